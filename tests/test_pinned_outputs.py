"""A fixed-seed pipeline's outputs, pinned: a refactoring must not change a single number.

The inputs are made here with numpy (harmonic tones with a moving pitch, no
corpus generator), every parameter that shapes the computation is spelt out, and
the expected outputs were written by this file's :func:`write_expected` before a
refactoring.  When a change is *meant* to alter the computation, give the new
computation a parameter, keep these parameters on the old one, and only rewrite
the file when the old computation itself is dropped::

    python -c "import tests.test_pinned_outputs as t; t.write_expected()"

The comparison allows 1e-6: bit-identity holds on the machine that wrote the
file; another CPU may round differently in its vector kernels.
"""

import os
import warnings

import numpy as np
import pandas as pd
import pytest

EXPECTED = os.path.join(os.path.dirname(__file__), "data", "pinned_outputs.npz")

#: Every parameter that shapes the computation, spelt out (later defaults may differ).
SEGMENTER = dict(feature_set="maec45", window=0.3, stride=0.1, standardize=True)
CLASSIFIER = dict(
    latent_dim=16, prior="gaussian", prior_mu=0.0, prior_sigma=1.0, adversarial_weight=1.0,
    gender_weight=1.0, use_context=True, share_encoder=True, fusion="paper",
    latent_norm=None, latent_stats="running", attention="scaled_dot", conv_channels=8,
    convolution="segment",
    kernel_size=3, dilation=2,
    pooling="mean", disc_hidden=16, disc_noise=0.0, dropout=0.1,
    generator_loss="minimax", label_smoothing=0.0, grad_clip=None, class_weight="balanced",
    validation_fraction=None, patience=None, batching="dialogue", lr=1e-2, max_epochs=3,
    batch_size=8, random_state=0,
)


def _corpus():
    """12 turns in 3 dialogues of 2 speakers: tones whose pitch and level follow the label."""
    rng = np.random.default_rng(20261202)
    rate = 16000
    labels = ["neu", "hap", "sad", "ang"]
    rows, y = [], []
    for d in range(3):
        clock = 0.0
        for t in range(4):
            speaker = t % 2
            label = labels[(d + t) % 4]
            duration = float(rng.uniform(0.6, 1.6))
            n = int(duration * rate)
            time = np.arange(n) / rate
            f0 = (200.0 if speaker == 0 else 120.0) * (1 + 0.15 * labels.index(label)) * \
                (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(1, 4) * time))
            phase = 2 * np.pi * np.cumsum(f0) / rate
            x = sum(np.sin(k * phase) / k for k in range(1, 6))
            x = (0.1 + 0.05 * labels.index(label)) * x + 0.01 * rng.standard_normal(n)
            rows.append({"audio": x.astype(np.float32), "sampling_rate": rate,
                         "dialogue": f"d{d}", "speaker": f"d{d}_s{speaker}", "start": clock,
                         "gender": "FM"[speaker], "utterance_id": f"d{d}_t{t}"})
            y.append(label)
            clock += duration + 0.3
    return pd.DataFrame(rows), np.array(y, dtype=object)


def _outputs():
    from sklearn.pipeline import Pipeline

    from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter

    X, y = _corpus()
    pipe = Pipeline([("segment", OpenSmileSegmenter(**SEGMENTER)),
                     ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(**CLASSIFIER))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(X, y)
        Xt = pipe[:-1].transform(X)
        clf = pipe[-1]
        attention = clf.segment_attention(Xt)
        return {
            "proba": pipe.predict_proba(X),
            "z": clf.transform(Xt),
            "attention": np.concatenate(attention),
            "attention_lengths": np.array([len(a) for a in attention]),
            "train_loss": np.array(clf.history_[:, "train_loss"]),
        }


def write_expected():
    """Write the expected outputs (only when the pinned computation is meant to change)."""
    os.makedirs(os.path.dirname(EXPECTED), exist_ok=True)
    np.savez(EXPECTED, **_outputs())


@pytest.mark.slow
def test_fixed_seed_pipeline_outputs_are_pinned():
    expected = np.load(EXPECTED)
    got = _outputs()
    assert set(got) == set(expected.files)
    np.testing.assert_array_equal(got["attention_lengths"], expected["attention_lengths"])
    for key in ("proba", "z", "attention", "train_loss"):
        np.testing.assert_allclose(got[key], expected[key], rtol=0, atol=1e-6, err_msg=key)
