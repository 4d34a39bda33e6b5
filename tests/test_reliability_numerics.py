"""Reliability (issue 8), part 3: numerics of MAECClassifier.

Training either stays finite or stops with a TrainingDivergedError naming the epoch and
the loss; predictions are never NaN.  Networks are tiny and train for 1-2 epochs.
Related: test_classifier.py (huge inputs diverge with a clear error, NaN features name
their row).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.exceptions import (
    AudioWarning,
    ExtractionError,
    MAECWarning,
    TrainingCollapsedError,
    TrainingDivergedError,
)

pytestmark = pytest.mark.reliability

TINY = dict(latent_dim=8, conv_channels=8, disc_hidden=16, random_state=0, max_epochs=2,
            validation_fraction=None, patience=None)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((48, 9, 6)).astype(np.float32)
    return X, rng.choice(["ang", "hap", "neu", "sad"], 48)


def fit(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        return MAECClassifier(**{**TINY, **params}).fit(X, y)


def assert_sane(clf, X):
    for key in ("train_loss", "train_emotion_loss", "train_disc_loss"):
        assert np.isfinite(clf.history[:, key]).all(), key
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_)) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert np.isfinite(clf.transform(X)).all()


@pytest.mark.parametrize("prior", ["gaussian", "class_mixture"])
@pytest.mark.parametrize("prior_sigma", [1e-3, 1e3])
def test_extreme_prior_sigma_stays_finite(data, prior, prior_sigma):
    X, y = data
    clf = fit(X, y, prior=prior, prior_sigma=prior_sigma, prior_mu=3.0)
    assert_sane(clf, X)


def test_tiny_learning_rate_stays_finite_and_barely_moves(data):
    X, y = data
    clf = fit(X, y, lr=1e-8)
    assert_sane(clf, X)
    initial = fit(X, y, lr=1e-8, max_epochs=0)  # same seed: the initial weights
    for p, q in zip(clf.module_.parameters(), initial.module_.parameters(), strict=True):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("prior", ["gaussian", "class_mixture"])
def test_huge_learning_rate_stays_finite_or_raises_naming_epoch_and_loss(data, prior):
    X, y = data
    try:
        clf = fit(X, y, lr=10.0, prior=prior, prior_mu=3.0)
    except TrainingDivergedError as exc:
        assert "epoch" in str(exc) and "lr (now 10.0)" in str(exc)
    else:
        assert_sane(clf, X)


def test_divergence_in_a_step_names_epoch_batch_and_loss(data):
    X, y = data
    with pytest.raises(TrainingDivergedError,
                       match=r"diverged in epoch 1, training batch \d+: "
                             r"(disc_loss|adversarial_loss|emotion_loss|train_loss) is nan"):
        fit(X, y, optimizer=torch.optim.SGD, lr=1e10, batch_size=16)


def test_divergence_in_the_very_last_step_is_caught(data):
    """The last step's weights are seen by no loss: the fit checks them (was: NaN predictions)."""
    X, y = data
    with pytest.raises(TrainingDivergedError, match="last step of epoch 1: .*non-finite"):
        fit(X, y, optimizer=torch.optim.SGD, lr=1e30, batch_size=48, max_epochs=1,
            adversarial_weight=0.0)


def saturate_grus(module):
    """Drive every GRU's update gate to 1: its state stays 0, so every code HF is 0."""
    with torch.no_grad():
        for gru in (m for m in module.modules() if isinstance(m, torch.nn.GRU)):
            hidden = gru.hidden_size
            for name, bias in gru.named_parameters():
                if name.startswith("bias_ih"):
                    bias[hidden:2 * hidden] = 1e3  # rows [reset, update, new]


class SaturateAfterEpochOne(Callback):
    """Collapses the encoder at the end of epoch 1 of the first ``times`` trainings."""

    def __init__(self, times):
        self.times = times
        self.done = [0]  # survives skorch's re-initialisation of the callbacks

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 1 and self.done[0] < self.times:
            self.done[0] += 1
            saturate_grus(net.module_)


def test_a_collapsed_fit_starts_over_from_new_weights(data):
    """Seen with lr=1e-2 on a generated corpus: the GRU saturated, the encoder gave (almost)
    every utterance the same code, the losses stayed finite and the fit predicted one class
    for every test row, silently.  A fresh fit now notices it and starts over."""
    X, y = data
    with pytest.warns(MAECWarning, match=r"collapsed in epoch 2: only 0% of the units .* "
                                         r"Starting over .*restart 1 of 2"):
        clf = MAECClassifier(**{**TINY, "max_epochs": 3},
                             callbacks=[("collapse", SaturateAfterEpochOne(times=1))]).fit(X, y)
    assert clf.n_restarts_ == 1
    assert len(clf.history_) == 3  # the restart's own history, every epoch trained
    assert min(clf.history_[:, "train_hf_alive"]) > 0.25
    assert_sane(clf, X)
    assert np.ptp(clf.transform(X), axis=0).max() > 0.01  # codes vary again


def test_a_fit_that_keeps_collapsing_raises_naming_the_epoch(data):
    X, y = data
    clf = MAECClassifier(**{**TINY, "max_epochs": 3},
                         callbacks=[("collapse", SaturateAfterEpochOne(times=99))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        with pytest.raises(TrainingCollapsedError,
                           match=r"training collapsed in epoch 2: .*lr \(now 0.001\)"):
            clf.fit(X, y)
    assert clf.n_restarts_ == 2
    assert issubclass(TrainingCollapsedError, TrainingDivergedError)


def test_partial_fit_does_not_start_over(data):
    X, y = data
    clf = fit(X, y, max_epochs=1)
    saturate_grus(clf.module_)
    # every code is the same (the latent normalisation's running shift)
    assert np.ptp(clf.transform(X), axis=0).max() == 0
    with pytest.raises(TrainingCollapsedError, match="collapsed in epoch 2"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MAECWarning)
            clf.partial_fit(X, y)
    assert len(clf.history_) == 2  # stopped at the end of the collapsed epoch


def test_codes_that_never_varied_are_not_a_collapse(data):
    """Identical inputs give identical codes from the first epoch: nothing collapsed."""
    X, y = data
    clf = fit(np.zeros_like(X), y, max_epochs=3, dropout=0.0)
    assert clf.n_restarts_ == 0 and len(clf.history_) == 3
    assert max(clf.history_[:, "train_hf_alive"]) == 0


def test_predictions_are_never_nan(data):
    X, y = data
    clf = fit(X, y)
    with torch.no_grad():  # weights broken after fitting (e.g. edited by hand)
        next(clf.module_.parameters()).fill_(float("inf"))
    for method in (clf.predict_proba, clf.predict, clf.transform):
        with pytest.raises(TrainingDivergedError, match="non-finite outputs .* for 48 row"):
            method(X)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_single_class_y(data, class_weight):
    """Refused as by scikit-learn's classifiers; told the classes, a class may be absent."""
    X, _ = data
    y = np.full(len(X), "neu")
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 'neu'"):
        fit(X, y, class_weight=class_weight)
    clf = fit(X, y, class_weight=class_weight, classes=["neu", "sad"])
    assert list(clf.classes_) == ["neu", "sad"]
    assert_sane(clf, X)


@pytest.mark.parametrize("prior", ["gaussian", "class_mixture"])
def test_single_class_batches(data, prior):
    X, y = data
    order = np.argsort(y, kind="stable")  # batches of 12 sorted rows: one class each
    clf = fit(X[order], y[order], batch_size=12, batching="length", prior=prior, prior_mu=3.0)
    assert_sane(clf, X)
    clf = fit(X[:8], y[:8], batch_size=1, max_epochs=1, prior=prior, prior_mu=3.0)
    assert_sane(clf, X[:8])


def test_all_zero_features(data):
    X, y = data
    clf = fit(np.zeros_like(X), y)
    assert_sane(clf, np.zeros_like(X))
    assert_sane(fit(X, y), np.zeros_like(X))


# --------------------------------------------------------------------------- from audio
def _voice(seconds, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    f0 = 110 + 15 * seed
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    return (0.2 * x + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


def _corpus(audio, speakers):
    n = len(audio)
    return pd.DataFrame({"audio": audio, "sampling_rate": 16000, "dialogue": "d0",
                         "speaker": speakers,
                         "gender": ["F" if s == "A" else "M" for s in speakers],
                         "start": np.arange(n, dtype=float),
                         "utterance_id": [f"u{i}" for i in range(n)]})


def test_all_silent_audio_is_a_clear_error():
    X = _corpus([np.zeros(16000, np.float32)] * 4, ["A", "B", "A", "B"])
    with pytest.raises(ExtractionError, match="(?s)4 row\\(s\\).*'u3'.*silent"):
        OpenSmileSegmenter().fit(X)
    with pytest.warns(AudioWarning, match="silent"), \
            pytest.raises(ValueError, match="no row of X could be extracted"):
        OpenSmileSegmenter(on_error="warn").fit(X)


def test_silent_rows_and_a_one_speaker_dialogue_through_the_pipeline():
    """Silent turns give empty bags (masked as context and left out of training); a
    dialogue with one speaker has no interlocutor.  Every prediction stays finite."""
    audio = [_voice(0.7, i) for i in range(8)]
    audio[2] = np.zeros(11200, np.float32)  # silent: an empty bag
    X = pd.concat([_corpus(audio, ["A", "B"] * 4),
                   _corpus([_voice(0.7, 9), _voice(0.7, 10), _voice(0.7, 11)], ["C"] * 3)
                   .assign(dialogue="d1")], ignore_index=True)
    y = np.array(["neu", "ang", "hap", "sad"] * 2 + ["neu", "sad", "ang"])
    pipe = make_pipeline(OpenSmileSegmenter(on_error="warn"), ContextTripleBuilder(),
                         MAECClassifier(**TINY))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)  # the silent turn, reported
        with pytest.warns(MAECWarning, match="empty bag .* training: utterance_id='u2'"):
            pipe.fit(X, y)
        Xt = pipe[:-1].transform(X)
    assert len(Xt["segments"].iloc[2]) == 0
    assert (Xt["interlocutor"].iloc[8:] == -1).all()  # the one-speaker dialogue
    proba = pipe[-1].predict_proba(Xt)
    assert proba.shape == (11, 4) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
