"""The frame-to-bag contract: the declared Segmentation and who reads it (features/_segments.py).

A segmenter declares how it cut its bags (``Xt.attrs["segmentation"]``); the
classifier, the export and the model files read the frame step, window and stride
from there, never from the memory layout of the ``segments`` views.
"""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.utils import _safe_indexing

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec._batching import table_to_bags
from sklearn_maec.exceptions import MAECWarning
from sklearn_maec.features import SEGMENTATION_ATTR, Segmentation
from sklearn_maec.features._segments import stored_segmentation

TINY = dict(latent_dim=8, conv_channels=8, disc_hidden=16, random_state=0, max_epochs=1,
            validation_fraction=None)
DECLARE = re.escape("X.attrs['segmentation'] = Segmentation.from_seconds(window, stride, "
                    "frame_step)")


@pytest.fixture(scope="module")
def segmented(tiny_corpus):
    """The tiny corpus through the segmenter and the builder, with its labels and segmenter."""
    X, y = tiny_corpus
    segmenter = OpenSmileSegmenter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short utterances are zero-padded
        Xs = segmenter.fit_transform(X)
    return ContextTripleBuilder().fit_transform(Xs), np.asarray(y), segmenter


@pytest.fixture(scope="module")
def fitted(segmented):
    X, y, _ = segmented
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        return MAECClassifier(**TINY).fit(X, y)


def random_table(n_rows, segmentation, n_lld=6, seed=0):
    """A table of random frames cut by hand with ``segmentation``, declared, one dialogue."""
    rng = np.random.default_rng(seed)
    frames = [rng.standard_normal((int(k), n_lld)).astype(np.float32)
              for k in rng.integers(30, 90, n_rows)]
    X = pd.DataFrame({"dialogue": ["d"] * n_rows, "speaker": ["A", "B"] * (n_rows // 2),
                      "start": np.arange(n_rows, dtype=float),
                      "utterance_id": [f"u{i}" for i in range(n_rows)]})
    X["frames"] = pd.Series(frames, dtype=object)
    X["segments"] = pd.Series([segmentation.cut(f) for f in frames], dtype=object)
    return segmentation.attach(X)


# --------------------------------------------------------------------------- the record
def test_attach_declares_in_place_and_of_reads_it():
    seg = Segmentation.from_seconds(0.5, 0.1, frame_step=0.02)
    assert (seg.window_frames, seg.stride_frames) == (25, 5)
    X = pd.DataFrame({"a": [1, 2]})
    assert Segmentation.of(X) is None
    assert seg.attach(X) is X and X.attrs[SEGMENTATION_ATTR] is seg
    assert Segmentation.of(X) is seg
    X.attrs[SEGMENTATION_ATTR] = {"frame_step": 0.01}
    with pytest.raises(TypeError, match="must be a Segmentation"):
        Segmentation.of(X)
    with pytest.raises(TypeError, match="DataFrame"):
        seg.attach(np.zeros(3))
    with pytest.raises(ValueError, match="stride_frames must be an int >= 1"):
        Segmentation(0.01, 5, 0).attach(pd.DataFrame())
    with pytest.raises(ValueError, match="frame_step must be None or a positive"):
        Segmentation(-0.01, 5, 1).check()


def test_cuts_like_compares_window_stride_and_known_frame_step():
    seg = Segmentation(0.01, 50, 10)
    assert seg.cuts_like(Segmentation(0.01, 50, 10, max_segments=70))  # truncation aside
    assert seg.cuts_like(Segmentation(None, 50, 10))  # an unknown frame step
    assert not seg.cuts_like(Segmentation(0.02, 50, 10))
    assert not seg.cuts_like(Segmentation(0.01, 50, 5))
    assert not seg.cuts_like(Segmentation(0.01, 40, 10))


def test_segment_times_need_a_frame_step():
    starts, ends = Segmentation(0.02, 25, 5).segment_times(3)
    np.testing.assert_allclose(starts, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(ends, [0.5, 0.6, 0.7])
    with pytest.raises(ValueError, match="no frame step"):
        Segmentation(None, 25, 5).segment_times(3)


def test_stored_segmentation_reads_files_from_before_it_was_stored():
    seg = Segmentation(0.02, 25, 5, max_segments=9)
    assert stored_segmentation({"segmentation": seg.to_dict(), "window_frames": 1}) == seg
    assert stored_segmentation({"window_frames": 50, "stride_frames": 10}) == \
        Segmentation(None, 50, 10)


# --------------------------------------------------------------------------- it travels
def test_the_declaration_survives_the_pipeline_and_subsetting(segmented):
    X, _, segmenter = segmented
    declared = X.attrs[SEGMENTATION_ATTR]
    assert declared == segmenter.segmentation_  # written by the segmenter, kept by the builder
    subsets = {
        "copy": X.copy(), "iloc": X.iloc[[3, 1]], "mask": X[X["speaker"] == X["speaker"][0]],
        "reset_index": X.iloc[2:].reset_index(drop=True), "pickle": pickle.loads(pickle.dumps(X)),
        "concat": pd.concat([X.iloc[:3], X.iloc[3:]], ignore_index=True),
        "cv subset": _safe_indexing(X, np.arange(0, len(X), 2)),
        "drop column": X.drop(columns=["frames"]),
    }
    for how, subset in subsets.items():
        assert Segmentation.of(subset) == declared, how
    # tables that declare different segmentations lose it in a concat, and are then refused
    other = Segmentation(0.02, 50, 10).attach(X.iloc[:2].copy())
    with pytest.raises(ValueError, match=DECLARE):
        table_to_bags(pd.concat([X.iloc[2:], other]), False, "test")


def test_cross_validation_of_the_classifier_on_segmented_data(segmented):
    """scikit-learn's CV subsets carry the declaration to every fold's fit and predict."""
    X, y, _ = segmented
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        scores = cross_val_score(MAECClassifier(**TINY, use_context=False), X, y,
                                 groups=X["dialogue"], cv=GroupKFold(2), error_score="raise")
    assert np.isfinite(scores).all()


# --------------------------------------------------------------------------- it is read
def test_a_copied_segments_column_reads_like_the_view(segmented, fitted):
    """The stride is the declared one: the views' memory layout and values are not read."""
    X, _, segmenter = segmented
    copied = X.copy()
    copied["segments"] = [np.array(b) for b in X["segments"]]  # copies, not views
    assert not any(np.shares_memory(b, f) for b, f in zip(copied["segments"], X["frames"],
                                                          strict=True) if b.size)
    zeros = X.copy()  # the right shapes, but no window of any frame
    zeros["segments"] = [np.zeros_like(b) for b in X["segments"]]
    expected = fitted.predict_proba(X)
    for table in (copied, zeros):
        bags = table_to_bags(table, True, "test")
        assert bags.stride_frames == segmenter.stride_frames_
        assert bags.segmentation == segmenter.segmentation_
        np.testing.assert_array_equal(fitted.predict_proba(table), expected)


def test_an_undeclared_table_with_frames_is_refused(segmented, fitted):
    X, y, _ = segmented
    undeclared = X.copy()
    undeclared.attrs.clear()
    for call in (lambda: MAECClassifier(**TINY).fit(undeclared, y),
                 lambda: fitted.predict(undeclared),
                 lambda: fitted.predict(pd.DataFrame(X))):  # the constructor drops attrs
        with pytest.raises(ValueError, match=DECLARE):
            call()


def test_segments_without_frames_and_without_declaration_are_consecutive():
    rng = np.random.default_rng(0)
    bags = [rng.standard_normal((k, 4, 3)).astype(np.float32) for k in (1, 3, 2)]
    X = pd.DataFrame({"segments": pd.Series(bags, dtype=object)})
    table = table_to_bags(X, False, "test")
    assert table.segmentation == Segmentation(None, 4, 4)
    np.testing.assert_array_equal(table.frames[1], bags[1].reshape(-1, 3))
    # declared overlapping segments without frames: each segment's first stride frames
    frames = rng.standard_normal((10, 3)).astype(np.float32)
    seg = Segmentation(None, 4, 2)
    declared = seg.attach(pd.DataFrame({"segments": pd.Series([seg.cut(frames)], dtype=object)}))
    np.testing.assert_array_equal(table_to_bags(declared, False, "test").frames[0], frames)


def test_bags_that_are_not_the_declared_cut_of_their_frames_are_named(segmented):
    X, y, _ = segmented
    wrong = Segmentation(0.01, 50, 5).attach(X.copy())  # the bags were cut every 10 frames
    with pytest.raises(ValueError, match=r"not the cut of their frames .*utterance_id="):
        MAECClassifier(**TINY).fit(wrong, y)


def test_fit_and_predict_segmentations_must_match(segmented, fitted):
    X, _, segmenter = segmented
    fit_seg = segmenter.segmentation_
    slower = Segmentation(0.02, fit_seg.window_frames, fit_seg.stride_frames)
    restrided = Segmentation(0.01, fit_seg.window_frames, 5)
    recut = X.copy()
    recut["segments"] = [restrided.cut(f) for f in X["frames"]]
    for table in (slower.attach(X.copy()), restrided.attach(recut)):
        given = Segmentation.of(table)
        with pytest.raises(ValueError) as info:
            fitted.predict(table)
        assert repr(given) in str(info.value) and repr(fit_seg) in str(info.value)
    assert fitted.segmentation_ == fit_seg
    assert (fitted.window_frames_, fitted.stride_frames_) == (50, 10)
    with pytest.raises(AttributeError):
        fitted.stride_frames_ = 5  # a read-only view of segmentation_


def test_a_20_ms_segmentation_reaches_the_classifier():
    seg = Segmentation.from_seconds(0.2, 0.1, frame_step=0.02)
    X = random_table(8, seg)
    y = np.array(["a", "b"] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        clf = MAECClassifier(**TINY, use_context=False).fit(X, y)
    assert clf.segmentation_ == seg and clf.stride_frames_ == 5
    attention = clf.segment_attention(X)
    assert [len(a) for a in attention] == [b.shape[0] for b in X["segments"]]


def test_a_classifier_pickled_before_segmentation_existed_loads(segmented, fitted):
    X, _, _ = segmented
    state = fitted.__getstate__()
    segmentation = state.pop("segmentation_")
    state["window_frames_"], state["stride_frames_"] = 50, 10  # as pickles of earlier releases
    old = MAECClassifier.__new__(MAECClassifier)
    old.__setstate__(state)
    assert old.segmentation_ == Segmentation(None, 50, 10) and segmentation.cuts_like(
        old.segmentation_)
    np.testing.assert_array_equal(old.predict_proba(X), fitted.predict_proba(X))
