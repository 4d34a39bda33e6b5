"""Tests of sklearn_maec.metrics: UA / WA / macro F1 as scikit-learn scorers."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sklearn_maec.metrics import METRIC_NAMES, emotion_scores, get_scorers, scorers

# small folds of a rare class: sklearn notes classes predicted but absent from a fold
pytestmark = pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")


@pytest.fixture
def imbalanced():
    """Four emotions, one rare, features that only partly separate them."""
    rng = np.random.default_rng(0)
    y = np.array(["neu"] * 60 + ["hap"] * 25 + ["sad"] * 10 + ["ang"] * 5, dtype=object)
    centers = {"neu": 0.0, "hap": 1.0, "sad": -1.0, "ang": 2.0}
    X = np.array([[centers[c], -centers[c]] for c in y]) + rng.normal(0, 0.8, (len(y), 2))
    return X, y


def test_scorer_names():
    assert scorers == {"UA": "balanced_accuracy", "WA": "accuracy", "macro_F1": "f1_macro"}
    assert tuple(scorers) == METRIC_NAMES
    copy = get_scorers()
    assert copy == scorers and copy is not scorers
    copy["extra"] = "roc_auc"
    assert "extra" not in scorers


def test_emotion_scores_are_sklearns_metrics():
    y_true = ["neu", "neu", "neu", "neu", "hap", "sad"]
    y_pred = ["neu", "neu", "neu", "hap", "hap", "neu"]
    scores = emotion_scores(y_true, y_pred)
    assert list(scores) == list(METRIC_NAMES)
    assert scores["UA"] == pytest.approx((3 / 4 + 1 + 0) / 3)  # mean per-class recall
    assert scores["WA"] == pytest.approx(4 / 6)
    assert scores["UA"] == balanced_accuracy_score(y_true, y_pred)
    assert scores["WA"] == accuracy_score(y_true, y_pred)
    assert scores["macro_F1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert all(isinstance(v, float) for v in scores.values())


def test_scorers_in_cross_validate_match_emotion_scores(imbalanced):
    X, y = imbalanced
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    model = LogisticRegression(max_iter=500)
    result = cross_validate(model, X, y, cv=cv, scoring=scorers)
    for k, (train, test) in enumerate(cv.split(X, y)):
        pred = model.fit(X[train], y[train]).predict(X[test])
        expected = emotion_scores(y[test], pred)
        for name in METRIC_NAMES:
            assert result[f"test_{name}"][k] == pytest.approx(expected[name]), name
    # on imbalanced data UA (every class alike) and WA (every row alike) differ
    assert not np.allclose(result["test_UA"], result["test_WA"])


def test_scorers_drive_a_grid_search(imbalanced):
    X, y = imbalanced
    search = GridSearchCV(LogisticRegression(max_iter=500),
                          {"class_weight": [None, "balanced"]},
                          cv=KFold(3, shuffle=True, random_state=0), scoring=scorers,
                          refit="UA").fit(X, y)
    assert {f"mean_test_{n}" for n in METRIC_NAMES} <= set(search.cv_results_)
    assert search.best_index_ == int(np.argmax(search.cv_results_["mean_test_UA"]))
