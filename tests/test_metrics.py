"""Tests of sklearn_maec.metrics: UA / WA / macro F1 as scikit-learn scorers, attention scores."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sklearn_maec.features import Segmentation
from sklearn_maec.metrics import (
    METRIC_NAMES,
    attention_span_scores,
    emotion_scores,
    get_scorers,
    paired_bootstrap_difference,
    scorers,
)

pytestmark = [
    # small folds of a rare class: sklearn notes classes predicted but absent from a fold
    pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true"),
    # the attention tests below also cover the deprecated seconds keywords (window=, stride=)
    pytest.mark.filterwarnings("ignore:attention_span_scores without segmentation"),
]


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


# --------------------------------------------------------------------------- #
# attention_span_scores: the attention against known salient spans
# --------------------------------------------------------------------------- #
def test_attention_span_scores_hand_built_bag():
    # 0.2 s segments every 0.1 s: [0, .2) [.1, .3) [.2, .4) [.3, .5) [.4, .6)
    attention = [np.array([0.05, 0.1, 0.6, 0.2, 0.05])]
    spans = [[(0.25, 0.35)]]  # overlaps segments 1, 2 and 3
    scores = attention_span_scores(attention, spans, window=0.2, stride=0.1)
    assert scores["share_of_segments"] == pytest.approx(3 / 5)
    assert scores["attention_on_spans"] == pytest.approx(0.9)
    assert scores["lift"] == pytest.approx(0.9 / (3 / 5))
    # span segments (0.1, 0.6, 0.2) against the others (0.05, 0.05): every pair ranked right
    assert scores["auc"] == pytest.approx(1.0)
    assert scores["n_utterances"] == scores["n_auc_utterances"] == 1


def test_attention_span_scores_ranks_with_ties_and_averages_over_utterances():
    attention = [np.array([0.1, 0.1, 0.6, 0.2]),  # span segments 1, 2: 0.7 of the mass
                 np.array([0.4, 0.1, 0.1, 0.4]),  # span segment 0 only: 0.4
                 np.array([0.5, 0.5]),  # no span: not scored
                 np.array([])]  # empty bag: not scored
    spans = [[(0.2, 0.3)], [(0.0, 0.05)], [], [(0.0, 1.0)]]
    scores = attention_span_scores(attention, spans, window=0.2, stride=0.1)
    assert scores["n_utterances"] == 2 and scores["n_auc_utterances"] == 2
    assert scores["attention_on_spans"] == pytest.approx((0.7 + 0.4) / 2)
    assert scores["share_of_segments"] == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert scores["lift"] == pytest.approx(0.55 / 0.375)
    # row 0: (0.1 vs 0.1 tie, 0.1 < 0.2, 0.6 > both) = 2.5 / 4; row 1: 0.4 > 0.1, 0.1, tie 0.4
    assert scores["auc"] == pytest.approx((2.5 / 4 + 2.5 / 3) / 2)


def test_attention_span_scores_uniform_and_perfect_attention():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 40, size=20)
    spans = []
    for n in lengths:
        start = float(rng.uniform(0, 0.1 * n))
        spans.append([(start, start + float(rng.uniform(0.05, 0.8)))])
    uniform = [np.full(n, 1.0 / n) for n in lengths]
    scores = attention_span_scores(uniform, spans)
    assert scores["lift"] == pytest.approx(1.0)  # no better than uniform
    assert scores["auc"] == pytest.approx(0.5)
    # all the weight on the span segments (unnormalised: each row is normalised)
    on_span = []
    for n, row in zip(lengths, spans, strict=True):
        start = np.arange(n) * 0.1
        on_span.append(((start < row[0][1]) & (start + 0.5 > row[0][0])).astype(float) * 3.0)
    perfect = attention_span_scores(on_span, spans)
    assert perfect["attention_on_spans"] == pytest.approx(1.0)
    assert perfect["lift"] == pytest.approx(1.0 / perfect["share_of_segments"])
    assert perfect["lift"] > 1.5
    assert perfect["auc"] == pytest.approx(1.0)
    assert perfect["n_auc_utterances"] < perfect["n_utterances"] == 20  # some all-span rows
    reversed_ = attention_span_scores([1.01 - r / 3.0 for r in on_span], spans)
    assert reversed_["lift"] < 1.0 and reversed_["auc"] == pytest.approx(0.0)


def test_attention_span_scores_segment_boundaries():
    # a segment [0.2, 0.7) does not overlap a span that ends at 0.2 (half-open intervals)
    attention = [np.array([0.25, 0.25, 0.25, 0.25])]
    assert attention_span_scores(attention, [[(0.1, 0.2)]])["share_of_segments"] == 0.5
    assert attention_span_scores(attention, [[(0.8, 0.9)]])["share_of_segments"] == 0.0
    # spans as the generator writes them: a pandas column of lists of tuples
    spans = pd.Series([[(0.1, 0.2), (0.65, 0.8)]])
    assert attention_span_scores(attention, spans)["share_of_segments"] == 1.0


def test_attention_span_scores_without_spans_is_nan():
    scores = attention_span_scores([np.array([0.5, 0.5])], [[]])
    assert scores["n_utterances"] == 0 and scores["n_auc_utterances"] == 0
    assert np.isnan(scores["lift"]) and np.isnan(scores["auc"])


def test_attention_span_scores_checks_lengths_against_durations():
    # 1.0 s at 0.5 s / 0.1 s: 6 segments
    ok = attention_span_scores([np.full(6, 1 / 6)], [[(0.2, 0.4)]], durations=[1.0])
    assert ok["n_utterances"] == 1
    attention = [np.full(6, 1 / 6), np.full(12, 1 / 12)]
    with pytest.raises(ValueError, match=r"attention of row 1 has 12 segments, but an utterance "
                                         r"of 1\.000 s has 6"):
        attention_span_scores(attention, [[], []], durations=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"spans of row 0 end at 2\.500 s, after the utterance"):
        attention_span_scores([np.full(6, 1 / 6)], [[(2.0, 2.5)]], durations=[1.0])
    with pytest.raises(ValueError, match=r"durations must have one entry per utterance \(1\)"):
        attention_span_scores([np.full(6, 1 / 6)], [[]], durations=[1.0, 2.0])


def test_attention_span_scores_reads_the_declared_segmentation():
    """The segment times are the segmentation's: frame step times stride / window frames."""
    attention = [np.array([0.05, 0.1, 0.6, 0.2, 0.05])]
    spans = [[(0.25, 0.35)]]
    at_20_ms = Segmentation(frame_step=0.02, window_frames=10, stride_frames=5)  # 0.2 / 0.1 s
    scores = attention_span_scores(attention, spans, segmentation=at_20_ms)
    assert scores["share_of_segments"] == pytest.approx(3 / 5)  # [.1, .3) [.2, .4) [.3, .5)
    # the same frames at 10 ms: 0.1 s segments every 0.05 s, [0, .1) ... [.2, .3), of which
    # only the last touches the span
    at_10_ms = Segmentation(frame_step=0.01, window_frames=10, stride_frames=5)
    scores = attention_span_scores(attention, spans, segmentation=at_10_ms)
    assert scores["share_of_segments"] == pytest.approx(1 / 5)
    assert scores["attention_on_spans"] == pytest.approx(0.05)
    # durations: a 1.0 s utterance at 0.5 s / 0.1 s has 6 segments, at most max_segments
    truncated = Segmentation(0.01, 50, 10, max_segments=3)
    ok = attention_span_scores([np.full(3, 1 / 3)], [[(0.0, 0.1)]], segmentation=truncated,
                               durations=[1.0])
    assert ok["n_utterances"] == 1
    with pytest.raises(ValueError, match="has 6 segments, but an utterance of 1.000 s has 3"):
        attention_span_scores([np.full(6, 1 / 6)], [[]], segmentation=truncated, durations=[1.0])


def test_attention_span_scores_seconds_keywords_are_deprecated():
    attention, spans = [np.array([0.5, 0.5])], [[(0.0, 0.1)]]
    with pytest.warns(FutureWarning, match="segmentation="):
        old = attention_span_scores(attention, spans, window=0.2, stride=0.1)
    new = attention_span_scores(attention, spans, segmentation=Segmentation(0.1, 2, 1))
    assert old == new
    with pytest.raises(ValueError, match="not both"):
        attention_span_scores(attention, spans, segmentation=Segmentation(0.1, 2, 1), window=0.2)
    with pytest.raises(ValueError, match="no frame step"):
        attention_span_scores(attention, spans, segmentation=Segmentation(None, 2, 1))
    with pytest.raises(TypeError, match="must be a Segmentation"):
        attention_span_scores(attention, spans, segmentation={"window": 0.2})


@pytest.mark.parametrize(
    "attention, spans, kwargs, message",
    [
        ([np.ones(3)], [[], []], {}, "got 1 attention rows and 2 span rows"),
        ([np.ones(3), np.ones((2, 2))], [[], []], {},
         "attention of row 1 must be a 1-D array"),
        ([np.array([0.5, -0.1, 0.6])], [[(0, 1)]], {},
         "attention of row 0 must be finite and non-negative"),
        ([np.array([0.5, np.nan])], [[(0, 1)]], {}, "attention of row 0 must be finite"),
        ([np.zeros(3)], [[(0, 1)]], {}, "attention of row 0 is all zero"),
        ([np.ones(3), np.ones(3)], [[], [(0.5,)]], {},
         "spans of row 1 must be a list of (start, end) pairs"),
        ([np.ones(3)], ["(0, 1)"], {}, "spans of row 0 must be a list of (start, end) pairs"),
        ([np.ones(3)], [None], {}, "spans of row 0 must be a list"),
        ([np.ones(3)], [[("a", 1)]], {}, "spans of row 0 must be a list"),
        ([np.ones(3)], [[(1.0, 0.5)]], {}, "spans of row 0 must be finite with start <= end"),
        ([np.ones(3)], [[]], {"window": 0}, "window must be a positive number of seconds"),
        ([np.ones(3)], [[]], {"stride": "0.1"}, "stride must be a positive number of seconds"),
    ],
)
def test_attention_span_scores_invalid_input(attention, spans, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        attention_span_scores(attention, spans, **kwargs)


def test_metrics_module_does_not_import_torch():
    code = ("import sys, sklearn_maec.metrics as m; m.attention_span_scores([[1.0]], [[(0, 1)]]); "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --------------------------------------------------------------------------- paired bootstrap
def test_paired_bootstrap_known_cases():
    y = np.repeat(["neu", "hap", "sad", "ang"], 10)
    dialogue = np.tile(np.arange(10), 4)
    wrong = np.roll(y, 10)  # every prediction another class
    # A always right, B always wrong: the difference is 1 in every resample
    result = paired_bootstrap_difference(y, y, wrong, groups=dialogue, random_state=0)
    assert (result["difference"], result["low"], result["high"]) == (1.0, 1.0, 1.0)
    assert (result["score_a"], result["score_b"]) == (1.0, 0.0)
    assert result["n_groups"] == 10 and result["n_resamples"] == 2000
    assert result["metric"] == "UA" and result["confidence"] == 0.95
    # the same predictions: nothing to tell them apart
    same = paired_bootstrap_difference(y, wrong, wrong, groups=dialogue, random_state=0)
    assert (same["difference"], same["low"], same["high"]) == (0.0, 0.0, 0.0)
    # swapping A and B mirrors the interval
    rng = np.random.default_rng(1)
    a = np.where(rng.random(40) < 0.7, y, wrong)
    b = np.where(rng.random(40) < 0.5, y, wrong)
    ab = paired_bootstrap_difference(y, a, b, groups=dialogue, random_state=3)
    ba = paired_bootstrap_difference(y, b, a, groups=dialogue, random_state=3)
    assert ab["difference"] == pytest.approx(-ba["difference"])
    assert (ab["low"], ab["high"]) == pytest.approx((-ba["high"], -ba["low"]))
    assert ab["low"] <= ab["difference"] <= ab["high"]
    # the point estimate is scikit-learn's, for each metric
    for metric, score in [("UA", balanced_accuracy_score), ("WA", accuracy_score),
                          ("macro_F1", lambda t, p: f1_score(t, p, average="macro"))]:
        r = paired_bootstrap_difference(y, a, b, groups=dialogue, metric=metric, random_state=0)
        assert r["score_a"] == pytest.approx(score(y, a))
        assert r["difference"] == pytest.approx(score(y, a) - score(y, b))
    # reproducible, and the seed matters
    again = paired_bootstrap_difference(y, a, b, groups=dialogue, random_state=3)
    assert again == ab
    other = paired_bootstrap_difference(y, a, b, groups=dialogue, random_state=4)
    assert (other["low"], other["high"]) != (ab["low"], ab["high"])


@pytest.mark.parametrize("metric", METRIC_NAMES)
def test_paired_bootstrap_resamples_score_like_sklearn(metric):
    """Every resample's score, from the per-group counts, is sklearn's on the resampled rows
    (a class missing from a resample included)."""
    from sklearn_maec.metrics import _weighted_scores

    rng = np.random.default_rng(0)
    classes = np.array(["neu", "hap", "sad", "ang"])
    group = np.repeat(np.arange(8), 5)
    y = classes[rng.choice(4, 40, p=[0.5, 0.3, 0.15, 0.05])]
    pred = classes[rng.integers(0, 4, 40)]
    true_c, pred_c = (np.searchsorted(np.sort(classes), v) for v in (y, pred))
    sort = np.sort(classes)
    shape = (8, 4)
    n_true, correct, predicted = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(n_true, (group, true_c), 1)
    np.add.at(correct, (group[y == pred], true_c[y == pred]), 1)
    np.add.at(predicted, (group, pred_c), 1)
    weights = rng.multinomial(8, np.full(8, 1 / 8), size=30).astype(float)
    got = _weighted_scores(weights, n_true, correct, predicted, metric)
    score = {"UA": balanced_accuracy_score, "WA": accuracy_score,
             "macro_F1": lambda t, p: f1_score(t, p, average="macro")}[metric]
    for w, value in zip(weights, got, strict=True):
        rows = np.repeat(np.arange(40), w[group].astype(int))
        assert value == pytest.approx(score(y[rows], pred[rows])), (w, sort)


def _simulated_test_set(rng, n_groups, per_group, a=1.0, b=0.6, spread=1.0):
    """Correct / wrong per utterance for two models whose accuracy varies with the group
    (both alike, plus a group-level difference); four balanced classes."""
    u = rng.normal(0, spread, n_groups)
    v = rng.normal(0, spread / 2, n_groups)
    group = np.repeat(np.arange(n_groups), per_group)
    y = np.tile(np.array(["neu", "hap", "sad", "ang"]), n_groups * per_group // 4 + 1)
    y = y[:group.size]
    wrong = np.array([{"neu": "hap", "hap": "sad", "sad": "ang", "ang": "neu"}[c] for c in y])
    p_a = 1 / (1 + np.exp(-(a + u[group])))
    p_b = 1 / (1 + np.exp(-(b + u[group] + v[group])))
    pred_a = np.where(rng.random(group.size) < p_a, y, wrong)
    pred_b = np.where(rng.random(group.size) < p_b, y, wrong)
    return y, pred_a, pred_b, group


def test_paired_bootstrap_covers_the_true_difference_and_respects_groups():
    """On simulated test sets whose utterances are correlated within their group, the 95 %
    interval covers the population difference about 95 % of the time; taking every
    utterance for its own group (ignoring the correlation) covers it far less often."""
    rng = np.random.default_rng(0)
    u = rng.normal(0, 2.0, 400_000)
    v = rng.normal(0, 1.0, 400_000)
    truth = np.mean(1 / (1 + np.exp(-(1.0 + u)))) - np.mean(1 / (1 + np.exp(-(0.6 + u + v))))
    covered, covered_rows, runs = 0, 0, 150
    for i in range(runs):
        y, a, b, group = _simulated_test_set(rng, n_groups=40, per_group=20, spread=2.0)
        r = paired_bootstrap_difference(y, a, b, groups=group, metric="WA", n_resamples=400,
                                        random_state=i)
        covered += r["low"] <= truth <= r["high"]
        r = paired_bootstrap_difference(y, a, b, groups=np.arange(y.size), metric="WA",
                                        n_resamples=400, random_state=i)
        covered_rows += r["low"] <= truth <= r["high"]
    assert 0.88 <= covered / runs <= 0.99, covered / runs  # 0.93 with these seeds
    assert covered_rows / runs < 0.8, covered_rows / runs  # 0.69


def test_paired_bootstrap_draws_groups_whole():
    """Repeating every row of a group inside the group changes nothing (the groups are the
    units drawn); the same rows as their own groups give a narrower interval."""
    rng = np.random.default_rng(2)
    y, a, b, group = _simulated_test_set(rng, n_groups=20, per_group=4)
    base = paired_bootstrap_difference(y, a, b, groups=group, random_state=0)
    rows = np.repeat(np.arange(y.size), 5)
    repeated = paired_bootstrap_difference(y[rows], a[rows], b[rows], groups=group[rows],
                                           random_state=0)
    assert repeated["low"] == pytest.approx(base["low"])
    assert repeated["high"] == pytest.approx(base["high"])
    as_rows = paired_bootstrap_difference(y[rows], a[rows], b[rows], groups=np.arange(rows.size),
                                          random_state=0)
    assert as_rows["high"] - as_rows["low"] < 0.6 * (base["high"] - base["low"])


@pytest.mark.parametrize("kwargs, message", [
    ({"groups": np.zeros(6)}, "at least 2 groups"),
    ({"groups": np.arange(5)}, "one entry per row"),
    ({"groups": np.arange(6), "metric": "F1"}, "metric must be one of"),
    ({"groups": np.arange(6), "n_resamples": 0}, "n_resamples"),
    ({"groups": np.arange(6), "confidence": 1.0}, "confidence"),
])
def test_paired_bootstrap_refuses_bad_input(kwargs, message):
    y = np.array(["a", "b"] * 3)
    with pytest.raises(ValueError, match=message):
        paired_bootstrap_difference(y, y, y, **kwargs)


# --- MMD^2 between codes and a prior
def _brute_force_mmd2(X, Y, gamma):
    """The unbiased estimator written out with loops over the pairs."""
    def k(a, b):
        return np.exp(-np.sum((a - b) ** 2) / gamma)
    m, n = len(X), len(Y)
    xx = sum(k(X[i], X[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(Y[i], Y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(X[i], Y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_mmd2_is_the_unbiased_estimator_with_the_stated_bandwidths():
    from sklearn_maec.metrics import mmd2

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(9, 3)), rng.normal(1.0, 2.0, size=(7, 3))
    assert mmd2(X, Y, bandwidth=5.0) == pytest.approx(_brute_force_mmd2(X, Y, 5.0), rel=1e-10)
    d2_y = ((Y[:, None] - Y[None]) ** 2).sum(-1)[~np.eye(7, dtype=bool)]
    assert mmd2(X, Y) == pytest.approx(_brute_force_mmd2(X, Y, np.median(d2_y)), rel=1e-10)
    both = np.concatenate([X, Y])
    d2 = ((both[:, None] - both[None]) ** 2).sum(-1)[~np.eye(16, dtype=bool)]
    assert mmd2(X, Y, bandwidth="pooled") == pytest.approx(
        _brute_force_mmd2(X, Y, np.median(d2)), rel=1e-10)


def test_mmd2_separates_shapes_that_per_coordinate_moments_do_not():
    """Unit spread per coordinate but one shared direction: far from an isotropic Gaussian."""
    from sklearn_maec.metrics import mmd2

    rng = np.random.default_rng(1)
    prior = rng.normal(size=(400, 16))
    same = rng.normal(size=(400, 16))
    line = rng.normal(size=(400, 1)) * np.ones((1, 16))
    assert line.std(axis=0) == pytest.approx(np.ones(16), abs=0.1)
    assert abs(mmd2(same, prior)) < 0.005
    assert mmd2(line, prior) > 10 * abs(mmd2(same, prior)) + 0.05
    # the reference bandwidth does not move with X: a farther X scores higher
    assert mmd2(3 * line, prior) > mmd2(line, prior)


def test_mmd2_is_deterministic_given_a_seed():
    from sklearn_maec.metrics import mmd2

    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(300, 4)), rng.normal(0.3, 1.0, size=(300, 4))
    assert mmd2(X, Y, max_samples=100, random_state=3) == \
        mmd2(X, Y, max_samples=100, random_state=3)
    assert mmd2(X, Y, max_samples=100, random_state=3) != \
        mmd2(X, Y, max_samples=100, random_state=4)
    assert mmd2(X, Y, max_samples=None) == mmd2(X, Y, max_samples=1000, random_state=9)


@pytest.mark.parametrize("X, Y, kwargs, match", [
    (np.zeros(5), np.zeros((5, 2)), {}, "X must be 2-D"),
    (np.zeros((1, 2)), np.zeros((5, 2)), {}, "at least 2 rows"),
    (np.full((3, 2), np.nan), np.zeros((5, 2)), {}, "non-finite"),
    (np.zeros((3, 2)), np.zeros((5, 3)), {}, "same number of columns"),
    (np.zeros((3, 2)), np.ones((5, 2)), {"bandwidth": "median"}, "bandwidth must be"),
    (np.zeros((3, 2)), np.ones((5, 2)), {"bandwidth": -1.0}, "bandwidth must be"),
    (np.zeros((3, 2)), np.ones((5, 2)), {}, "identical rows"),
])
def test_mmd2_rejects_bad_input(X, Y, kwargs, match):
    from sklearn_maec.metrics import mmd2

    with pytest.raises(ValueError, match=match):
        mmd2(X, Y, **kwargs)


def test_prior_mmd2_draws_the_prior_and_accepts_a_fitted_classifier():
    from types import SimpleNamespace

    from sklearn_maec.metrics import mmd2, prior_mmd2
    from sklearn_maec.model import GaussianPrior

    prior = GaussianPrior(8, mu=0.5, sigma=2.0)
    rng = np.random.default_rng(3)
    Z = 0.5 + 2.0 * rng.normal(size=(300, 8))
    assert abs(prior_mmd2(Z, prior)) < 0.005
    assert prior_mmd2(Z / 2.0, prior) > 0.05  # the prior's scale, not unit spread
    # deterministic given random_state, and the same as mmd2 against the drawn sample
    assert prior_mmd2(Z, prior, random_state=5) == prior_mmd2(Z, prior, random_state=5)
    import torch

    sample = prior.sample(300, generator=torch.Generator().manual_seed(5)).double().numpy()
    assert prior_mmd2(Z, prior, random_state=5) == mmd2(Z, sample, random_state=5)
    assert prior_mmd2(Z, SimpleNamespace(prior_=prior), random_state=5) == \
        prior_mmd2(Z, prior, random_state=5)
    with pytest.raises(ValueError, match="8 dimensions"):
        prior_mmd2(Z[:, :4], prior)
    with pytest.raises(TypeError, match="prior"):
        prior_mmd2(Z, object())


def test_prior_mmd2_of_a_class_mixture_draws_each_code_s_class():
    from types import SimpleNamespace

    from sklearn_maec.metrics import prior_mmd2
    from sklearn_maec.model import ClassMixturePrior

    prior = ClassMixturePrior(6, mu=3.0, sigma=0.5, n_classes=3)
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, size=300)
    Z = prior.means[y] + 0.5 * rng.normal(size=(300, 6))
    assert abs(prior_mmd2(Z, prior, y)) < 0.01
    # the mixture's marginal over the classes of y: codes all in one cloud are far from it
    assert prior_mmd2(prior.means[np.zeros(300, int)] + 0.5 * rng.normal(size=(300, 6)),
                      prior, y) > 0.1
    labels = np.array(["ang", "hap", "neu"], dtype=object)
    model = SimpleNamespace(prior_=prior, classes_=labels)
    assert prior_mmd2(Z, model, labels[y]) == prior_mmd2(Z, prior, y)
    with pytest.raises(ValueError, match="needs y"):
        prior_mmd2(Z, prior)
    with pytest.raises(ValueError, match="does not know"):
        prior_mmd2(Z, model, np.array(["sad"] * 300, dtype=object))
