"""Reliability (issue 8), part 4: trust -- no code runs from a model file unless the user
chose pickle, paths stay inside the directory named, files are written whole.

Related: test_persistence.py (a raw pickle named .maec is refused without running it, the
allow-list of classes), test_cli.py (symlink escape, warning before a pickle is loaded).
"""

import glob
import os
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import soundfile
import torch
from sklearn.pipeline import Pipeline

import sklearn_maec.persistence as persistence
from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.cli import main
from sklearn_maec.exceptions import MAECWarning
from sklearn_maec.persistence import FORMAT, load_model, save_model

pytestmark = pytest.mark.reliability


class _Payload:
    """Unpickling this runs ``os.write(2, ...)`` and creates a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (_run_payload, (self.marker,))


def _run_payload(marker):  # what an attacker's code would do (module-level: picklable)
    os.write(2, b"PAYLOAD RAN\n")
    with open(marker, "w") as fh:
        fh.write("pwned")
    return None


def _voice(seconds, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    x = sum(np.sin(2 * np.pi * (110 + 12 * seed) * k * t) / k for k in range(1, 6))
    return (0.2 * x + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A tiny fitted pipeline in the pickle-free format, and a wav file to predict."""
    d = tmp_path_factory.mktemp("trust")
    n = 8
    X = pd.DataFrame({"audio": [_voice(0.7, i) for i in range(n)], "sampling_rate": 16000,
                      "dialogue": ["d0"] * 4 + ["d1"] * 4, "speaker": ["A", "B"] * 4,
                      "gender": ["F", "M"] * 4, "start": np.arange(n, dtype=float)})
    y = np.array(["neu", "ang", "hap", "sad"] * 2)
    pipe = Pipeline([("segment", OpenSmileSegmenter()), ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(latent_dim=8, conv_channels=8, disc_hidden=16,
                                             max_epochs=1, random_state=0,
                                             validation_fraction=None))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        pipe.fit(X, y)
    save_model(pipe, d / "model.maec")
    wav = d / "one.wav"
    soundfile.write(wav, _voice(0.7, 3), 16000)
    return d / "model.maec", wav


# --------------------------------------------------------------------------- code in files
@pytest.mark.parametrize("how", ["torch.save", "torch.save nested", "pickle", "joblib"])
def test_the_weights_only_loader_never_runs_code(tmp_path, how):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.maec"
    payload = {"format": FORMAT, "pipeline": False, "meta": "[]", "tensors": {}}
    if how == "torch.save":  # the real zip format of torch.save, with a pickled object in it
        payload["meta"] = _Payload(marker)
        torch.save(payload, path)
    elif how == "torch.save nested":
        payload["tensors"] = {"0": {"weight": _Payload(marker)}}
        torch.save(payload, path)
    elif how == "pickle":
        with open(path, "wb") as fh:
            pickle.dump(_Payload(marker), fh)
    else:
        joblib.dump(_Payload(marker), path)
    with pytest.raises(ValueError, match="is not a file written by save_model"):
        load_model(path)
    assert not marker.exists()


def test_cli_refuses_code_in_a_maec_file(tmp_path, model_file, capfd):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.maec"
    torch.save({"format": FORMAT, "meta": _Payload(marker)}, path)
    assert main(["predict", str(path), str(model_file[1])]) == 2
    err = capfd.readouterr().err
    assert "is not a file written by save_model" in err and "PAYLOAD RAN" not in err
    assert not marker.exists()


def test_cli_warns_before_it_loads_a_pickle(tmp_path, model_file, capfd):
    """A .joblib file is a pickle: the user chose it, so it is loaded, after a warning."""
    marker = tmp_path / "marker"
    path = tmp_path / "evil.joblib"
    joblib.dump(_Payload(marker), path)
    assert main(["predict", str(path), str(model_file[1])]) == 2  # not a pipeline
    err = capfd.readouterr().err
    assert marker.exists()  # the user's choice: the pickle ran ...
    assert err.index("can run code when loaded") < err.index("PAYLOAD RAN")  # ... warned first
    assert "is not a pipeline" in err and "Traceback" not in err


# --------------------------------------------------------------------------- paths
def test_cli_predict_stays_inside_the_directory(tmp_path, model_file, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    soundfile.write(outside / "secret.wav", _voice(0.7, 5), 16000)
    (outside / "sub").mkdir()
    soundfile.write(outside / "sub" / "deep.wav", _voice(0.7, 6), 16000)
    inside = tmp_path / "inside dir é"
    inside.mkdir()
    soundfile.write(inside / "mine.wav", _voice(0.7, 7), 16000)
    os.symlink(outside / "secret.wav", inside / "escape.wav")  # a file link out
    os.symlink(outside / "sub", inside / "linked dir")  # a directory link out: not followed
    os.symlink(inside / "mine.wav", inside / "alias.wav")  # a link inside is fine
    os.symlink(tmp_path / "nowhere.wav", inside / "dangling.wav")
    out = tmp_path / "preds.csv"
    code = main(["predict", str(model_file[0]), str(inside), "--out", str(out)])
    preds = pd.read_csv(out)
    assert sorted(map(os.path.basename, preds["file"])) == ["alias.wav", "mine.wav"]
    err = capsys.readouterr().err
    assert "escape.wav: a symbolic link leading outside" in err
    assert "secret" not in "".join(preds["file"]) and "deep" not in "".join(preds["file"])
    assert code == 0


# --------------------------------------------------------------------------- whole files
def _temporaries(directory):
    return [p for p in glob.glob(os.path.join(directory, "**", "*"), recursive=True)
            if os.path.basename(p).startswith(".") or p.endswith(".tmp")]


def test_a_failed_save_leaves_the_old_model_and_no_temporary_file(tmp_path, model_file,
                                                                  monkeypatch):
    target = tmp_path / "model.maec"
    model = load_model(model_file[0])
    save_model(model, target)
    before = target.read_bytes()
    assert not _temporaries(str(tmp_path))

    def dies_half_way(obj, f, *args, **kwargs):
        with open(f, "wb") as fh:
            fh.write(before[: len(before) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence.torch, "save", dies_half_way)
    with pytest.raises(OSError, match="No space left"):
        save_model(model, target)
    assert target.read_bytes() == before  # was: a truncated, unloadable model
    assert not _temporaries(str(tmp_path))
    monkeypatch.undo()
    assert isinstance(load_model(target), Pipeline)


def test_cli_output_and_pickle_saves_are_whole_or_absent(tmp_path, model_file, monkeypatch):
    out = tmp_path / "preds.csv"
    assert main(["predict", str(model_file[0]), str(model_file[1]), "--out", str(out)]) == 0
    good = out.read_text()
    assert good.startswith("file,label,") and not _temporaries(str(tmp_path))

    def dies_half_way(self, path, *args, **kwargs):
        with open(path, "w") as fh:
            fh.write("file,lab")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", dies_half_way)
    with pytest.raises(OSError):
        main(["predict", str(model_file[0]), str(model_file[1]), "--out", str(out)])
    assert out.read_text() == good and not _temporaries(str(tmp_path))
    monkeypatch.undo()

    from sklearn_maec.cli import _save as save

    def dump_dies(value, filename, *args, **kwargs):
        with open(filename, "wb") as fh:
            fh.write(b"\x80\x04partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(joblib, "dump", dump_dies)
    with pytest.raises(KeyboardInterrupt):
        save(load_model(model_file[0]), tmp_path / "model.joblib")
    assert not (tmp_path / "model.joblib").exists() and not _temporaries(str(tmp_path))
