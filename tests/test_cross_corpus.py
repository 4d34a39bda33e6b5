"""Tests of sklearn_maec.model_selection.CrossCorpusSplit."""

import doctest

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    check_cv,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_maec.datasets import (
    load_iemocap,
    load_meld,
    make_dialogue_corpus,
    make_iemocap_layout,
    make_meld_layout,
)
from sklearn_maec.model_selection import CrossCorpusSplit


@pytest.fixture(scope="module")
def two_domains():
    """An IEMOCAP-like studio corpus and a MELD-like TV corpus, audio as arrays."""
    Xa, ya = make_dialogue_corpus(n_dialogues=6, n_sessions=2, turns_per_dialogue=(4, 6),
                                  duration_median=0.8, duration_range=(0.6, 4.0),
                                  emotion_strength=2.0, corpus="iemocap",
                                  random_state=0)
    Xb, yb = make_dialogue_corpus(n_dialogues=4, n_sessions=1, speakers_per_dialogue=3,
                                  turns_per_dialogue=(4, 6), duration_median=0.8,
                                  duration_range=(0.6, 4.0), emotion_strength=2.0,
                                  corpus="meld", domain="tv",
                                  random_state=1)
    return pd.concat([Xa, Xb], ignore_index=True), np.concatenate([ya, yb])


def level_features(X):
    """Cheap utterance features from the audio arrays: level, duration, ZCR, energy spread."""
    rows = []
    for audio in X["audio"]:
        a = np.asarray(audio, dtype=np.float64)
        frames = a[: len(a) // 400 * 400].reshape(-1, 400)
        energy = np.log(np.mean(frames**2, axis=1) + 1e-10)
        zcr = np.mean(np.abs(np.diff(np.sign(a))) > 0)
        rows.append([energy.mean(), energy.std(), np.log(len(a)), zcr])
    return np.array(rows)


def pipeline():
    return Pipeline([("features", FunctionTransformer(level_features)),
                     ("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=1000))])


def majority_accuracy(y_train, y_test):
    values, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == values[np.argmax(counts)]))


# --------------------------------------------------------------------------- #
# the split
# --------------------------------------------------------------------------- #
def test_one_split_train_on_one_corpus_test_on_the_other(two_domains):
    X, y = two_domains
    cv = CrossCorpusSplit(train="iemocap", test="meld")
    splits = list(cv.split(X, y))
    assert len(splits) == 1 == cv.get_n_splits() == cv.get_n_splits(X, y, None)
    train, test = splits[0]
    assert np.issubdtype(train.dtype, np.integer) and np.issubdtype(test.dtype, np.integer)
    np.testing.assert_array_equal(train, np.flatnonzero(X["corpus"] == "iemocap"))
    np.testing.assert_array_equal(test, np.flatnonzero(X["corpus"] == "meld"))
    assert len(train) and len(test) and not set(train) & set(test)
    # the other direction
    train2, test2 = next(CrossCorpusSplit(train="meld", test="iemocap").split(X))
    np.testing.assert_array_equal(train2, test)
    np.testing.assert_array_equal(test2, train)
    assert check_cv(cv) is cv


def test_rows_of_other_corpora_are_in_neither_set():
    X = pd.DataFrame({"corpus": ["a", "b", "c", "a", "c", "b"]})
    train, test = next(CrossCorpusSplit("a", "b").split(X))
    assert train.tolist() == [0, 3] and test.tolist() == [1, 5]


def test_several_corpora_are_pooled_into_one_split():
    X = pd.DataFrame({"corpus": ["a", "b", "c", "a", "c", "b", "d"]})
    cv = CrossCorpusSplit(train=["a", "c"], test=["b", "d"])
    splits = list(cv.split(X))
    assert len(splits) == 1 and cv.get_n_splits() == 1
    assert splits[0][0].tolist() == [0, 2, 3, 4] and splits[0][1].tolist() == [1, 5, 6]


def test_groups_override_the_corpus_column(two_domains):
    X, y = two_domains
    groups = np.where(X["corpus"] == "iemocap", "studio", "tv")
    train, test = next(CrossCorpusSplit("tv", "studio").split(X, y, groups))
    np.testing.assert_array_equal(train, np.flatnonzero(X["corpus"] == "meld"))
    np.testing.assert_array_equal(test, np.flatnonzero(X["corpus"] == "iemocap"))
    # X without a corpus column (even a plain array) works with groups
    train, test = next(CrossCorpusSplit("studio", "tv").split(np.zeros((len(X), 2)), y, groups))
    np.testing.assert_array_equal(train, np.flatnonzero(X["corpus"] == "iemocap"))


def test_errors():
    X = pd.DataFrame({"corpus": ["iemocap", "meld", "iemocap"]})
    with pytest.raises(ValueError, match=r"no rows of corpus \['msp'\]; corpora present: "
                                         r"\['iemocap', 'meld'\]"):
        next(CrossCorpusSplit("iemocap", "msp").split(X))
    with pytest.raises(ValueError, match=r"\['meld'\] are both in train and test"):
        next(CrossCorpusSplit(["iemocap", "meld"], "meld").split(X))
    for bad in (3, [], None, ["a", 1]):
        with pytest.raises(ValueError, match="train must be a corpus name"):
            next(CrossCorpusSplit(bad, "meld").split(X))
    with pytest.raises(ValueError, match="groups=.*corpus"):
        next(CrossCorpusSplit().split(pd.DataFrame({"x": [1, 2]})))
    with pytest.raises(ValueError, match="2 values for 3 rows"):
        next(CrossCorpusSplit().split(X, groups=["iemocap", "meld"]))


def test_repr_and_doctest():
    assert repr(CrossCorpusSplit()) == "CrossCorpusSplit(test='meld', train='iemocap')"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(CrossCorpusSplit, "CrossCorpusSplit"):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# --------------------------------------------------------------------------- #
# with scikit-learn's model selection
# --------------------------------------------------------------------------- #
def test_cross_val_score_trains_on_train_corpus_only(two_domains):
    X, y = two_domains
    corpus = X["corpus"].to_numpy()
    scores = cross_val_score(DummyClassifier(strategy="most_frequent"), X, y,
                             cv=CrossCorpusSplit())
    assert scores.shape == (1,)
    expected = majority_accuracy(y[corpus == "iemocap"], y[corpus == "meld"])
    assert scores[0] == pytest.approx(expected)
    # groups passed through cross_val_score reach the splitter
    swapped = np.where(corpus == "iemocap", "meld", "iemocap")
    scores = cross_val_score(DummyClassifier(strategy="most_frequent"), X, y, groups=swapped,
                             cv=CrossCorpusSplit())
    assert scores[0] == pytest.approx(majority_accuracy(y[corpus == "meld"],
                                                        y[corpus == "iemocap"]))


def test_cross_validate_indices_and_train_scores(two_domains):
    X, y = two_domains
    corpus = X["corpus"].to_numpy()
    out = cross_validate(pipeline(), X, y, cv=CrossCorpusSplit(), return_train_score=True,
                         return_indices=True, scoring=["accuracy", "balanced_accuracy"])
    np.testing.assert_array_equal(out["indices"]["train"][0], np.flatnonzero(corpus == "iemocap"))
    np.testing.assert_array_equal(out["indices"]["test"][0], np.flatnonzero(corpus == "meld"))
    assert out["test_accuracy"].shape == (1,) and np.isfinite(out["test_balanced_accuracy"]).all()
    model = pipeline().fit(X[corpus == "iemocap"], y[corpus == "iemocap"])
    assert out["test_accuracy"][0] == pytest.approx(
        model.score(X[corpus == "meld"], y[corpus == "meld"]))
    assert out["train_accuracy"][0] == pytest.approx(
        model.score(X[corpus == "iemocap"], y[corpus == "iemocap"]))


def test_grid_search(two_domains):
    X, y = two_domains
    corpus = X["corpus"].to_numpy()
    search = GridSearchCV(pipeline(), {"clf__C": [0.01, 1.0]}, cv=CrossCorpusSplit(),
                          scoring="balanced_accuracy")
    search.fit(X, y)
    assert "split0_test_score" in search.cv_results_
    assert "split1_test_score" not in search.cv_results_
    best = pipeline().set_params(**search.best_params_).fit(X[corpus == "iemocap"],
                                                            y[corpus == "iemocap"])
    from sklearn.metrics import balanced_accuracy_score

    assert search.best_score_ == pytest.approx(
        balanced_accuracy_score(y[corpus == "meld"], best.predict(X[corpus == "meld"])))
    # groups given to fit are used, also when X has no corpus column
    search.fit(X.drop(columns="corpus"), y, groups=corpus)
    assert search.best_score_ == pytest.approx(search.cv_results_["mean_test_score"].max())


def test_with_the_loaders_outputs(tmp_path):
    make_iemocap_layout(tmp_path / "iemocap", n_sessions=1, dialogues_per_session=2)
    make_meld_layout(tmp_path / "meld", splits=("test",), n_dialogues=2, media="wav")
    Xi, yi = load_iemocap(tmp_path / "iemocap")
    Xm, ym = load_meld(tmp_path / "meld", split="test")
    X = pd.concat([Xi, Xm], ignore_index=True)
    y = np.concatenate([yi, ym])
    assert list(Xi.columns) == list(Xm.columns)  # the two loaders concatenate cleanly
    train, test = next(CrossCorpusSplit().split(X, y))
    assert len(train) == len(Xi) and len(test) == len(Xm)
    scores = cross_val_score(DummyClassifier(), X, y, cv=CrossCorpusSplit())
    assert scores[0] == pytest.approx(majority_accuracy(yi, ym))


@pytest.mark.slow
def test_frame_functionals_pipeline_in_grid_search(two_domains):
    from sklearn_maec import OpenSmileSegmenter
    from sklearn_maec.features import FrameFunctionals

    X, y = two_domains
    frames = OpenSmileSegmenter().fit_transform(X)
    model = Pipeline([("functionals", FrameFunctionals(statistics=("mean", "std"))),
                      ("scale", StandardScaler()),
                      ("clf", LogisticRegression(max_iter=2000))])
    search = GridSearchCV(model, {"clf__C": [0.1, 1.0]}, cv=CrossCorpusSplit(),
                          scoring="balanced_accuracy").fit(frames, y)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert np.isfinite(search.best_score_)
    corpus = X["corpus"].to_numpy()
    scores = cross_val_score(search.best_estimator_, frames, y, cv=CrossCorpusSplit(),
                             scoring="balanced_accuracy")
    assert scores[0] == pytest.approx(search.best_score_)
    assert search.best_estimator_.predict(frames[corpus == "meld"]).shape == (
        int((corpus == "meld").sum()),)
