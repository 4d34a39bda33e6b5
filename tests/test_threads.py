"""MAECClassifier(n_threads=...): torch's intra-op threads while the network runs."""

import inspect
import os
import signal
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import Callback

from sklearn_maec import MAECClassifier
from sklearn_maec._threads import (
    DEFAULT_N_THREADS,
    effective_n_threads,
    resolve_n_threads,
    torch_threads,
)
from sklearn_maec.exceptions import FitInterrupted, MAECWarning
from sklearn_maec.model.nn import MAECNetwork

TINY = dict(latent_dim=8, conv_channels=8, disc_hidden=16, random_state=0, max_epochs=1,
            validation_fraction=None)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((24, 12, 6)).astype(np.float32),
            np.array(["a", "b", "c"] * 8))


@pytest.fixture
def other_count():
    """A thread count other than torch's current one (which is put back after the test)."""
    before = torch.get_num_threads()
    yield 2 if before == 1 else 1
    torch.set_num_threads(before)


@pytest.fixture
def seen(monkeypatch):
    """Records torch's thread count each time the network runs (forward or encode)."""
    calls = []
    for name in ("forward", "encode"):
        original = getattr(MAECNetwork, name)

        def record(self, *args, _original=original, **kwargs):
            calls.append(torch.get_num_threads())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(MAECNetwork, name, record)
    return calls


def _fit(clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)  # no gender in arrays
        return clf.fit(X, y)


def test_every_method_that_runs_the_network_runs_at_n_threads(data, other_count, seen):
    X, y = data
    before = torch.get_num_threads()
    clf = _fit(MAECClassifier(n_threads=other_count, **TINY), X, y)
    assert seen and set(seen) == {other_count}  # every training batch
    assert torch.get_num_threads() == before  # restored
    for method in ("predict", "predict_proba", "decision_function", "transform",
                   "segment_attention", "partial_fit"):
        seen.clear()
        args = (X, y) if method == "partial_fit" else (X,)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MAECWarning)  # a one-epoch model: one class
            getattr(clf, method)(*args)
        assert seen and set(seen) == {other_count}, method
        assert torch.get_num_threads() == before, method


def test_none_leaves_torch_alone(data, other_count, seen):
    X, y = data
    torch.set_num_threads(other_count)  # whatever the caller set is what runs
    clf = _fit(MAECClassifier(n_threads=None, **TINY), X, y)
    clf.predict(X)
    assert set(seen) == {other_count} and torch.get_num_threads() == other_count


def test_the_count_is_restored_after_an_error_and_a_ctrl_c(data, other_count, monkeypatch):
    X, y = data
    before = torch.get_num_threads()
    clf = _fit(MAECClassifier(n_threads=other_count, **TINY), X, y)

    def fail(self, *args, **kwargs):
        assert torch.get_num_threads() == other_count
        raise RuntimeError("boom")

    with monkeypatch.context() as m:
        m.setattr(MAECNetwork, "forward", fail)
        with pytest.raises(RuntimeError, match="boom"):
            clf.predict(X)
        assert torch.get_num_threads() == before
        with pytest.raises(RuntimeError, match="boom"):
            clone(clf).fit(X, y)
        assert torch.get_num_threads() == before

    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(MAECNetwork, "forward", interrupt)
        with pytest.raises(KeyboardInterrupt):
            clf.predict_proba(X)
    assert torch.get_num_threads() == before

    class CtrlC(Callback):  # a real SIGINT in the middle of training
        def on_batch_end(self, net, training=False, **kwargs):
            if training:
                os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # even in background
    try:
        with pytest.raises(FitInterrupted):
            _fit(MAECClassifier(n_threads=other_count, callbacks=[("ctrl_c", CtrlC())],
                                **{**TINY, "max_epochs": 3}), X, y)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert torch.get_num_threads() == before


def test_set_params_and_clone_change_no_weights(data, other_count):
    X, y = data
    clf = _fit(MAECClassifier(**TINY), X, y)
    assert clf.get_params()["n_threads"] == DEFAULT_N_THREADS
    module, weights = clf.module_, clf.predict_proba(X)
    clf.set_params(n_threads=other_count)
    assert clf.module_ is module and clf.n_threads == other_count  # nothing re-initialised
    np.testing.assert_allclose(clf.predict_proba(X), weights, rtol=1e-5, atol=1e-6)
    assert clone(clf).get_params()["n_threads"] == other_count
    assert "n_threads" in repr(clf)  # a parameter that was set, as scikit-learn shows them


def test_the_model_files_keep_it_and_older_files_load_with_the_default(data, tmp_path):
    from sklearn_maec.persistence import load_model, model_provenance, save_model

    X, y = data
    clf = _fit(MAECClassifier(n_threads=1, **TINY), X, y)
    save_model(clf, tmp_path / "m.maec")
    loaded = load_model(tmp_path / "m.maec")
    assert loaded.n_threads == 1
    assert model_provenance(tmp_path / "m.maec")["threads"]["torch_num_threads"] == 1
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    # a file written before the parameter existed: its params have no n_threads
    import json

    state = torch.load(tmp_path / "m.maec", weights_only=True)
    meta = json.loads(state["meta"])
    del meta[0]["params"]["n_threads"]
    state["meta"] = json.dumps(meta)
    torch.save(state, tmp_path / "old.maec")
    old = load_model(tmp_path / "old.maec")
    assert old.n_threads == DEFAULT_N_THREADS
    np.testing.assert_array_equal(old.predict(X), clf.predict(X))
    # and a pickle of one (joblib): unpickled with the default
    joblib.dump(clf, tmp_path / "m.joblib")
    state = clf.__getstate__()
    del state["n_threads"]
    unpickled = MAECClassifier.__new__(MAECClassifier)
    unpickled.__setstate__(state)
    assert unpickled.get_params()["n_threads"] == DEFAULT_N_THREADS
    assert joblib.load(tmp_path / "m.joblib").n_threads == 1


@pytest.mark.parametrize("value", [0, 1.5, "2", True])
def test_bad_values_are_refused_when_used(data, value):
    X, y = data
    clf = MAECClassifier(n_threads=value, **TINY)  # stored as it is (scikit-learn convention)
    with pytest.raises(ValueError, match=r"n_threads must be None or a non-zero int"):
        clf.fit(X, y)


def test_negative_counts_count_from_the_cpus():
    cpus = joblib.cpu_count()
    assert resolve_n_threads(-1) == cpus and resolve_n_threads(3) == 3
    assert resolve_n_threads(-cpus - 5) == 1 and resolve_n_threads(None) is None
    assert effective_n_threads(None) == torch.get_num_threads()
    before = torch.get_num_threads()
    with torch_threads(-1) as threads:
        assert threads == cpus == torch.get_num_threads()
    assert torch.get_num_threads() == before


def test_the_default_is_the_one_the_docstring_states():
    """One named default: the signature and the docstring follow ``DEFAULT_N_THREADS``."""
    assert inspect.signature(MAECClassifier).parameters["n_threads"].default \
        == DEFAULT_N_THREADS
    assert f"n_threads : int or None, default={DEFAULT_N_THREADS}" in MAECClassifier.__doc__
