"""Reliability (issue 8), part 5: load -- a thousand files through the CLI, and prediction
that streams in batches (memory bounded by the batch, not by the number of rows).

``benchmarks/bench_predict_memory.py`` measures the resident memory of predicting 10,000
utterances; here the same property is checked deterministically on smaller inputs.
"""

import os
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile
from sklearn.pipeline import Pipeline

import sklearn_maec.model._data as bags_module
from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.cli import main
from sklearn_maec.exceptions import MAECWarning
from sklearn_maec.features import Segmentation
from sklearn_maec.features._segments import cut_segments
from sklearn_maec.persistence import save_model

pytestmark = pytest.mark.reliability

TINY = dict(latent_dim=8, conv_channels=8, disc_hidden=16, random_state=0, max_epochs=1,
            validation_fraction=None, patience=None)


def _voice(n, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    x = sum(np.sin(2 * np.pi * (100 + 7 * (seed % 20)) * k * t) / k for k in range(1, 6))
    return (0.2 * x + 0.005 * rng.standard_normal(n)).astype(np.float32)


def test_cli_predicts_a_thousand_files_with_one_corrupt(tmp_path, capsys):
    n_train = 8
    X = pd.DataFrame({"audio": [_voice(9600, i) for i in range(n_train)], "sampling_rate": 16000,
                      "dialogue": ["d0"] * 4 + ["d1"] * 4, "speaker": ["A", "B"] * 4,
                      "gender": ["F", "M"] * 4, "start": np.arange(n_train, dtype=float)})
    y = np.array(["neu", "ang", "hap", "sad"] * 2)
    pipe = Pipeline([("segment", OpenSmileSegmenter()), ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(**TINY))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        pipe.fit(X, y)
    model = tmp_path / "model.maec"
    save_model(pipe, model)

    wavs = tmp_path / "wavs"
    wavs.mkdir()
    base = [_voice(4800, i) for i in range(20)]  # 0.3 s each
    for i in range(1000):
        soundfile.write(wavs / f"utt{i:04d}.wav", base[i % 20] * (0.5 + (i % 7) / 10), 16000,
                        subtype="PCM_16")
    corrupt = wavs / "utt0500.wav"
    corrupt.write_bytes(corrupt.read_bytes()[:30])  # a truncated header
    out = tmp_path / "predictions.csv"
    code = main(["predict", str(model), str(wavs), "--out", str(out), "--n-jobs", "1"])
    assert code == 1  # some inputs failed
    preds = pd.read_csv(out)
    assert len(preds) == 999 and "utt0500.wav" not in set(map(os.path.basename, preds["file"]))
    assert preds["file"].is_unique and set(preds["label"]) <= {"ang", "hap", "neu", "sad"}
    proba = preds.filter(like="p_").to_numpy()
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1, atol=2e-3)
    err = capsys.readouterr().err.splitlines()
    errors = [line for line in err if line.startswith("error:")]
    assert len(errors) == 1 and str(corrupt) in errors[0]
    assert "999 prediction(s) written" in err[-1] and "1 error(s)" in err[-1]


# --------------------------------------------------------------------------- streaming
@pytest.fixture(scope="module")
def fitted():
    """A tiny classifier and a maker of N-row inputs of precomputed frames (with context)."""
    rng = np.random.default_rng(0)
    pool = [rng.standard_normal((int(rng.integers(55, 120)), 45)).astype(np.float32)
            for _ in range(64)]  # rows share a pool of frames: the input itself stays small

    def make(n):
        frames = [pool[i % len(pool)] for i in range(n)]
        X = pd.DataFrame({"dialogue": np.arange(n) // 10, "speaker": np.tile(["A", "B"], n)[:n],
                          "start": np.arange(n, dtype=float) % 10,
                          "utterance_id": [f"u{i}" for i in range(n)]})
        X["frames"] = pd.Series(frames, dtype=object)
        X["segments"] = pd.Series([cut_segments(f, 50, 10) for f in frames], dtype=object)
        # bags cut by hand declare how: 50-frame windows every 10 frames of 10 ms
        return ContextTripleBuilder().fit_transform(Segmentation(0.01, 50, 10).attach(X))

    X = make(200)
    y = np.resize(["ang", "hap", "neu", "sad"], 200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        clf = MAECClassifier(**TINY).fit(X, y)
    return clf, make


def _measure(clf, X, monkeypatch):
    """Largest collated batch (bytes), number of batches, and traced peak of predict_proba."""
    seen = []
    original = bags_module.BagCollator.__call__

    def recording(self, rows):
        batch = original(self, rows)
        seen.append(batch[0].tensors["frames"].numel() * 4)
        return batch

    monkeypatch.setattr(bags_module.BagCollator, "__call__", recording)
    tracemalloc.start()
    try:
        proba = clf.predict_proba(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        monkeypatch.undo()
    assert proba.shape == (len(X), 4) and np.isfinite(proba).all()
    return max(seen), len(seen), peak


def test_predict_memory_is_bounded_by_the_batch_not_the_rows(fitted, monkeypatch):
    clf, make = fitted
    n = 500
    small, large = make(n), make(4 * n)
    batch_small, batches_small, peak_small = _measure(clf, small, monkeypatch)
    batch_large, batches_large, peak_large = _measure(clf, large, monkeypatch)
    assert batches_small == -(-n // clf.batch_size) and batches_large == -(-4 * n // clf.batch_size)
    # the largest batch does not grow with the number of rows ...
    assert batch_large <= 1.2 * batch_small
    # ... and neither does the memory predict allocates (4x the rows, far less than 4x)
    assert peak_large < 1.6 * peak_small, (peak_small, peak_large)
    # the per-row results are small next to the batches: what does grow stays under 64 B/row
    assert peak_large - peak_small < 64 * 3 * n + batch_small


def test_predict_batch_size_bounds_the_batch(fitted, monkeypatch):
    clf, make = fitted
    X = make(400)
    default = _measure(clf, X, monkeypatch)
    clf.set_params(iterator_valid__batch_size=8)
    try:
        smaller = _measure(clf, X, monkeypatch)
    finally:
        clf.set_params(iterator_valid__batch_size=clf.batch_size)
    assert smaller[1] == 50 and smaller[0] < default[0] / 2
