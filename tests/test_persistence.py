"""Pickle-free model files: round trips, allow-list, and refusing files that carry code."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.features import FrameFunctionals
from sklearn_maec.persistence import FORMAT, load_model, save_model


@pytest.fixture(scope="module")
def split(tiny_corpus):
    X, y = tiny_corpus
    test = (X["session"] == X["session"].iloc[-1]).to_numpy()
    return (X[~test].reset_index(drop=True), y[~test],
            X[test].reset_index(drop=True), y[test])


def test_maec_pipeline_round_trip(split, tmp_path):
    X_train, y_train, X_test, _ = split
    pipe = Pipeline([("segment", OpenSmileSegmenter(window=0.3, memory=str(tmp_path / "c"))),
                     ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=2,
                                             random_state=0, validation_fraction=None))])
    pipe.fit(X_train, y_train)
    path = tmp_path / "model.maec"
    save_model(pipe, path)
    loaded = load_model(path)
    assert [name for name, _ in loaded.steps] == ["segment", "context", "maec"]
    np.testing.assert_array_equal(loaded.predict_proba(X_test), pipe.predict_proba(X_test))
    seg = loaded.named_steps["segment"]
    assert seg.window == 0.3 and seg.window_frames_ == 30
    np.testing.assert_array_equal(seg.mean_, pipe.named_steps["segment"].mean_)
    # the builder still refuses a dialogue of the training data cut in two
    with pytest.raises(ValueError, match="cut these"):
        loaded.predict(X_train.iloc[1:3])


def test_the_classifier_keeps_its_segmentation(split, tmp_path):
    """segmentation_ (frame step included) is stored; older files give window and stride."""
    import json

    from sklearn_maec.features import Segmentation

    X_train, y_train, X_test, _ = split
    pipe = Pipeline([("segment", OpenSmileSegmenter(window=0.3)),
                     ("maec", MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=1,
                                             random_state=0, validation_fraction=None,
                                             use_context=False))])
    with warnings.catch_warnings():  # short utterances padded; one epoch learns little
        warnings.simplefilter("ignore")
        pipe.fit(X_train, y_train)
    clf = pipe[-1]
    assert clf.segmentation_ == Segmentation(0.01, 30, 10)
    save_model(clf, tmp_path / "clf.maec")
    loaded = load_model(tmp_path / "clf.maec")
    assert loaded.segmentation_ == clf.segmentation_
    assert loaded.use_context_ is clf.use_context_ is False
    assert (loaded.window_frames_, loaded.stride_frames_) == (30, 10)
    Xt = pipe[0].transform(X_test)
    np.testing.assert_array_equal(loaded.predict_proba(Xt), clf.predict_proba(Xt))
    # a file written before the segmentation was stored (window and stride in frames)
    state = torch.load(tmp_path / "clf.maec", weights_only=True)
    meta = json.loads(state["meta"])
    fitted = meta[0]["fitted"]
    del fitted["segmentation"]
    del fitted["use_context"]  # and before use_context="auto" was decided in fit
    fitted["window_frames"], fitted["stride_frames"] = 30, 10
    state["meta"] = json.dumps(meta)
    torch.save(state, tmp_path / "old.maec")
    old = load_model(tmp_path / "old.maec")
    assert old.segmentation_ == Segmentation(None, 30, 10)  # the frame step was not stored
    assert old.use_context_ is False  # the parameter's value then
    np.testing.assert_array_equal(old.predict_proba(Xt), clf.predict_proba(Xt))


@pytest.fixture(scope="module")
def baseline(split):
    """The functionals baseline fitted on the training part (do not modify)."""
    X_train, y_train, _, _ = split
    pipe = Pipeline([("segment", OpenSmileSegmenter()), ("functionals", FrameFunctionals()),
                     ("scale", StandardScaler()), ("logreg", LogisticRegression(max_iter=500))])
    return pipe.fit(X_train, y_train)


def test_baseline_pipeline_round_trip(split, baseline, tmp_path):
    X_test, pipe = split[2], baseline
    save_model(pipe, tmp_path / "baseline.maec")
    loaded = load_model(tmp_path / "baseline.maec")
    np.testing.assert_array_equal(loaded.predict_proba(X_test), pipe.predict_proba(X_test))
    np.testing.assert_array_equal(loaded.predict(X_test), pipe.predict(X_test))


def test_the_file_keeps_what_it_was_saved_with_and_older_files_still_load(split, baseline,
                                                                          tmp_path):
    from sklearn_maec import __version__
    from sklearn_maec.persistence import model_provenance

    X_test, pipe = split[2], baseline
    save_model(pipe, tmp_path / "m.maec")
    provenance = model_provenance(tmp_path / "m.maec")
    assert provenance["versions"]["sklearn-maec"] == __version__
    assert provenance["versions"]["torch"] == torch.__version__
    assert provenance["threads"]["torch_num_threads"] == torch.get_num_threads()
    # a file of the same format written before the provenance was recorded
    state = torch.load(tmp_path / "m.maec", weights_only=True)
    del state["provenance"]
    torch.save(state, tmp_path / "old.maec")
    assert model_provenance(tmp_path / "old.maec") == {}
    np.testing.assert_array_equal(load_model(tmp_path / "old.maec").predict(X_test),
                                  pipe.predict(X_test))


def test_steps_outside_the_allow_list_are_refused(split, tmp_path):
    X_train, y_train, _, _ = split
    pipe = Pipeline([("segment", OpenSmileSegmenter()), ("functionals", FrameFunctionals()),
                     ("tree", DecisionTreeClassifier())]).fit(X_train, y_train)
    with pytest.raises(TypeError, match="DecisionTreeClassifier"):
        save_model(pipe, tmp_path / "x.maec")
    forged = {"format": FORMAT, "pipeline": False, "tensors": {"0": {}},
              "meta": '[{"name": null, "class": "DecisionTreeClassifier", "params": {}, '
                      '"fitted": {}}]'}
    torch.save(forged, tmp_path / "forged.maec")
    with pytest.raises(ValueError, match="not allowed"):
        load_model(tmp_path / "forged.maec")


class _Payload:
    """Unpickling this would run code (it would create the marker file)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_carrying_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.maec"
    with open(path, "wb") as fh:
        pickle.dump({"format": FORMAT, "payload": _Payload(str(marker))}, fh)
    with pytest.raises(ValueError, match="not a file written by save_model"):
        load_model(path)
    assert not marker.exists()


def test_other_files_are_refused(tmp_path):
    (tmp_path / "junk.maec").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a file written by save_model"):
        load_model(tmp_path / "junk.maec")
    torch.save({"format": "something else"}, tmp_path / "other.maec")
    with pytest.raises(ValueError, match="not a file written by save_model"):
        load_model(tmp_path / "other.maec")


@pytest.fixture(scope="module")
def saved(split, tmp_path_factory):
    X_train, y_train, _, _ = split
    d = tmp_path_factory.mktemp("saved")
    pipe = Pipeline([("segment", OpenSmileSegmenter(memory=str(d / "machine-cache"))),
                     ("functionals", FrameFunctionals()), ("scale", StandardScaler()),
                     ("logreg", LogisticRegression(max_iter=500))]).fit(X_train, y_train)
    save_model(pipe, d / "model.maec")
    return d / "model.maec"


def test_the_training_machines_cache_directory_is_not_saved(saved):
    assert load_model(saved).named_steps["segment"].memory is None


@pytest.mark.parametrize("keep", [0.5, 0.9, 100])
def test_a_truncated_file_is_said_to_be_truncated(saved, tmp_path, keep):
    data = saved.read_bytes()
    cut = tmp_path / "cut.maec"
    cut.write_bytes(data[: int(len(data) * keep) if keep < 1 else keep])
    with pytest.raises(ValueError, match=r"not a file written by save_model: it is truncated "
                                         r"or damaged \(\d+ bytes"):
        load_model(cut)


def test_a_joblib_file_is_named_a_pickle_without_torchs_advice(saved, tmp_path):
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump(load_model(saved), path)
    with pytest.raises(ValueError) as info:
        load_model(path)
    message = str(info.value)
    assert "it is a pickle" in message and "joblib.load" in message
    assert "weights_only" not in message and "\n" not in message
    (tmp_path / "empty.maec").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_model(tmp_path / "empty.maec")
