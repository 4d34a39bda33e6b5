"""The speech-emotion metrics of the paper, as scikit-learn scorers.

Speech-emotion papers report two accuracies and often a macro F1:

``UA`` (unweighted accuracy)
    The mean of the per-class recalls: scikit-learn's
    :func:`~sklearn.metrics.balanced_accuracy_score` (scorer
    ``"balanced_accuracy"``).  Every class counts the same, however rare.
``WA`` (weighted accuracy)
    The plain fraction of correct predictions:
    :func:`~sklearn.metrics.accuracy_score` (scorer ``"accuracy"``).
``macro_F1``
    The unweighted mean of the per-class F1 scores:
    :func:`~sklearn.metrics.f1_score` with ``average="macro"`` (scorer
    ``"f1_macro"``).

:data:`scorers` maps these names to scikit-learn's scorer names, so one
dictionary gives all three in a cross-validation or a grid search (results
come back as ``test_UA``, ``test_WA``, ``test_macro_F1``)::

    from sklearn.model_selection import LeaveOneGroupOut, cross_validate
    from sklearn_maec.metrics import scorers

    cv = cross_validate(pipeline, X, y, groups=X["session"], cv=LeaveOneGroupOut(),
                        scoring=scorers)
    cv["test_UA"].mean()

The scorers and :func:`emotion_scores` call scikit-learn's metrics.
:func:`paired_bootstrap_difference` compares two models on one test set: the
difference of UA (or WA, macro F1) with a bootstrap interval that resamples
whole groups (dialogues, speakers), since the turns of one dialogue are not
independent evidence.  It counts per group and class once and scores every
resample from those counts (the same numbers as scikit-learn's metrics on the
resampled rows, which the tests check), so thousands of resamples take a
fraction of a second.

:func:`attention_span_scores` is of another kind: it checks *where* a model
looks, comparing the attention MAEC gives an utterance's segments
(:meth:`~sklearn_maec.MAECClassifier.segment_attention`) with the moments
known to carry the emotion (the ``salient_spans`` column of
:func:`~sklearn_maec.datasets.make_dialogue_corpus`).

:func:`prior_mmd2` checks what the adversarial regulariser does to the latent
code: the kernel MMD^2 (:func:`mmd2`) between the codes
(:meth:`~sklearn_maec.MAECClassifier.transform`) and samples of the prior,
about 0 when the codes are distributed as the prior.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from .exceptions import caller_stacklevel

__all__ = ["scorers", "get_scorers", "emotion_scores", "paired_bootstrap_difference",
           "attention_span_scores", "mmd2", "prior_mmd2", "METRIC_NAMES", "BANDWIDTH_RULES"]

#: The names of the metrics, in the order papers report them.
METRIC_NAMES = ("UA", "WA", "macro_F1")

#: ``{"UA": "balanced_accuracy", "WA": "accuracy", "macro_F1": "f1_macro"}``: pass as
#: ``scoring=`` to ``cross_validate`` / ``GridSearchCV`` (with ``refit="UA"``, say).
scorers = {"UA": "balanced_accuracy", "WA": "accuracy", "macro_F1": "f1_macro"}


def get_scorers():
    """A fresh copy of :data:`scorers` (safe to modify).

    Returns
    -------
    scorers : dict of str to str
        ``{"UA": "balanced_accuracy", "WA": "accuracy", "macro_F1": "f1_macro"}``,
        usable as ``scoring=`` of scikit-learn's model selection tools.

    Examples
    --------
    >>> from sklearn_maec.metrics import get_scorers
    >>> get_scorers()
    {'UA': 'balanced_accuracy', 'WA': 'accuracy', 'macro_F1': 'f1_macro'}
    """
    return dict(scorers)


def emotion_scores(y_true, y_pred):
    """UA, WA and macro F1 of predicted labels (what :data:`scorers` computes).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotion labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    Returns
    -------
    scores : dict of str to float
        ``{"UA": ..., "WA": ..., "macro_F1": ...}``.

    Examples
    --------
    >>> from sklearn_maec.metrics import emotion_scores
    >>> emotion_scores(["ang", "ang", "ang", "sad"], ["ang", "ang", "ang", "ang"])
    {'UA': 0.5, 'WA': 0.75, 'macro_F1': 0.42857142857142855}
    """
    return {
        "UA": float(balanced_accuracy_score(y_true, y_pred)),
        "WA": float(accuracy_score(y_true, y_pred)),
        "macro_F1": float(f1_score(y_true, y_pred, average="macro")),
    }


def _weighted_scores(weights, true, correct, predicted, metric):
    """``metric`` of every resample, from per-group counts.

    ``weights`` (n_resamples, n_groups) says how often each group is drawn;
    ``true``, ``correct`` and ``predicted`` (n_groups, n_classes) count, per
    group and class, the utterances of that true class, those of them predicted
    right, and the predictions of that class.  The scores are scikit-learn's on
    the resampled rows: UA is the mean recall over the classes present in the
    resample's truth, macro F1 the mean F1 over the classes in its truth or its
    predictions.
    """
    n_true = weights @ true
    n_correct = weights @ correct
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "WA":
            return n_correct.sum(axis=1) / n_true.sum(axis=1)
        if metric == "UA":
            present = n_true > 0
            recall = np.where(present, n_correct / n_true, 0.0)
            return recall.sum(axis=1) / present.sum(axis=1)
        both = n_true + weights @ predicted  # 2 TP + FP + FN
        present = both > 0
        f1 = np.where(present, 2 * n_correct / both, 0.0)
        return f1.sum(axis=1) / present.sum(axis=1)


def paired_bootstrap_difference(y_true, y_pred_a, y_pred_b, *, groups, metric="UA",
                                n_resamples=2000, confidence=0.95, random_state=None):
    """The difference of a score between two models on one test set, with a bootstrap interval.

    Model A's score minus model B's on the same utterances, and a paired
    percentile bootstrap interval of that difference that resamples whole
    **groups** with replacement: the turns of one dialogue (or the utterances
    of one speaker) share a speaker, a topic and an emotional course, so they
    are not independent evidence, and resampling single utterances would make
    the interval too narrow.  Both models are scored on the same resampled
    rows in every resample (paired), so what they have in common (hard
    groups, easy groups) cancels out of the difference.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred_a : array-like of shape (n_samples,)
        Model A's predicted labels.
    y_pred_b : array-like of shape (n_samples,)
        Model B's predicted labels, for the same rows.
    groups : array-like of shape (n_samples,)
        The group of each row (e.g. ``X["dialogue"]``): groups are drawn whole.
        At least 2 groups.
    metric : {"UA", "WA", "macro_F1"}, default="UA"
        The score compared (:data:`METRIC_NAMES`; the same numbers as
        :func:`emotion_scores`).
    n_resamples : int, default=2000
        Bootstrap resamples (>= 1).  2,000 puts the interval's ends within
        about 0.005 of where infinitely many would.
    confidence : float, default=0.95
        Confidence level of the interval, in (0, 1).
    random_state : int, numpy.random.Generator, RandomState or None, default=None
        Seeds the resampling: the same value gives the same interval.

    Returns
    -------
    result : dict
        - ``"difference"`` (float): ``score(y_true, y_pred_a) -
          score(y_true, y_pred_b)`` on the rows as given;
        - ``"low"``, ``"high"`` (float): the ``confidence`` percentile
          interval of the difference over the resamples;
        - ``"score_a"``, ``"score_b"`` (float): each model's score;
        - ``"metric"``, ``"confidence"``, ``"n_groups"``, ``"n_resamples"``:
          what was computed.

    Raises
    ------
    ValueError
        If the three label arrays and ``groups`` differ in length, if there
        are fewer than 2 groups, or if a parameter is out of range.

    See Also
    --------
    emotion_scores : The three scores of one model.

    Notes
    -----
    The interval is the bootstrap's percentile interval: it describes how much
    the difference moves when the test set is drawn again from a population of
    groups like these, not how much it moves when the models are trained
    again (another seed, another thread count); a difference whose interval
    excludes 0 is one that another test set of the same size would most
    likely confirm.  The percentile interval needs a few dozen groups to be
    trustworthy: with a handful, it is too narrow.  A resample that misses a
    class scores it as scikit-learn does (UA over the classes present).

    Examples
    --------
    Model A gets 9 of 10 dialogues right, model B 7 (every turn of a dialogue
    alike):

    >>> import numpy as np
    >>> from sklearn_maec.metrics import paired_bootstrap_difference
    >>> y = np.repeat(["neu", "ang"] * 5, 4)          # 10 dialogues of 4 turns
    >>> dialogue = np.repeat(np.arange(10), 4)
    >>> a = np.where(dialogue < 9, y, "sad")
    >>> b = np.where(dialogue < 7, y, "sad")
    >>> result = paired_bootstrap_difference(y, a, b, groups=dialogue, metric="WA",
    ...                                      random_state=0)
    >>> round(result["difference"], 2), result["n_groups"]
    (0.2, 10)
    >>> bool(result["low"] <= 0.2 <= result["high"])
    True
    """
    y_true, y_pred_a, y_pred_b, groups = (np.asarray(v).reshape(-1) for v in
                                          (y_true, y_pred_a, y_pred_b, groups))
    if not (len(y_true) == len(y_pred_a) == len(y_pred_b) == len(groups)):
        raise ValueError(f"y_true, y_pred_a, y_pred_b and groups must have one entry per row, got "
                         f"{len(y_true)}, {len(y_pred_a)}, {len(y_pred_b)} and {len(groups)}")
    if metric not in METRIC_NAMES:
        raise ValueError(f"metric must be one of {list(METRIC_NAMES)}, got {metric!r}")
    if not isinstance(n_resamples, Integral) or isinstance(n_resamples, bool) or n_resamples < 1:
        raise ValueError(f"n_resamples must be an int >= 1, got {n_resamples!r}")
    if not isinstance(confidence, Real) or isinstance(confidence, bool) \
            or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number in (0, 1), got {confidence!r}")
    group_codes = np.unique(groups, return_inverse=True)[1].reshape(-1)
    n_groups = int(group_codes.max()) + 1 if group_codes.size else 0
    if n_groups < 2:
        raise ValueError(f"paired_bootstrap_difference needs at least 2 groups to resample, got "
                         f"{n_groups}")
    classes, codes = np.unique(np.concatenate([y_true, y_pred_a, y_pred_b]).astype(str),
                               return_inverse=True)
    n = len(y_true)
    true, pred_a, pred_b = codes[:n], codes[n:2 * n], codes[2 * n:]
    shape = (n_groups, len(classes))

    def count(mask, labels):
        out = np.zeros(shape)
        np.add.at(out, (group_codes[mask], labels[mask]), 1.0)
        return out

    everything = np.ones(n, dtype=bool)
    n_true = count(everything, true)
    counts = [(count(pred == true, true), count(everything, pred)) for pred in (pred_a, pred_b)]
    rng = random_state if isinstance(random_state, np.random.RandomState) \
        else np.random.default_rng(random_state)
    # how often each group is drawn, in n_groups draws with replacement
    draws = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=n_resamples)
    weights = np.vstack([np.ones((1, n_groups)), draws])  # row 0: the test set as given
    scores = [_weighted_scores(weights, n_true, correct, predicted, metric)
              for correct, predicted in counts]
    difference = scores[0] - scores[1]
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(difference[1:], [tail, 1.0 - tail])
    return {
        "difference": float(difference[0]),
        "low": float(low),
        "high": float(high),
        "score_a": float(scores[0][0]),
        "score_b": float(scores[1][0]),
        "metric": metric,
        "confidence": float(confidence),
        "n_groups": n_groups,
        "n_resamples": int(n_resamples),
    }


_SEGMENTATION_FIELDS = ("frame_step", "window_frames", "stride_frames", "max_segments", "check")


def _segment_seconds(segmentation, window, stride):
    """``(window, stride, max_segments)`` in seconds, from the segmentation or the old keywords."""
    if segmentation is not None:
        if window is not None or stride is not None:
            raise ValueError("give segmentation, or (deprecated) window and stride, not both")
        # a Segmentation (read by its fields: this module imports nothing of the package)
        if not all(hasattr(segmentation, name) for name in _SEGMENTATION_FIELDS):
            raise TypeError(f"segmentation must be a Segmentation (e.g. Xt.attrs['segmentation']"
                            f"), got {type(segmentation).__name__}")
        step = segmentation.check().frame_step
        if step is None:
            raise ValueError(f"{segmentation!r} has no frame step, so its segments have no time; "
                             "pass the segmentation the segmenter declared")
        return (segmentation.window_frames * step, segmentation.stride_frames * step,
                segmentation.max_segments)
    warnings.warn("attention_span_scores without segmentation= is deprecated (window= and "
                  "stride= in seconds will be removed): pass the segmentation the bags were cut "
                  "with, segmentation=Xt.attrs['segmentation']", FutureWarning,
                  stacklevel=caller_stacklevel())
    window = 0.5 if window is None else window
    stride = 0.1 if stride is None else stride
    for name, value in (("window", window), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return window, stride, None


def _rank_auc(scores, positive):
    """ROC-AUC of ``scores`` for the boolean labels ``positive`` (ties count one half)."""
    pos, neg = scores[positive], scores[~positive]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (pos.size * neg.size))


def _row_spans(value, row):
    """The (start, end) pairs of row ``row`` as an (n, 2) float array, or a ValueError."""
    bad = ValueError(f"spans of row {row} must be a list of (start, end) pairs in seconds, "
                     f"got {value!r}")
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise bad
    pairs = []
    for pair in value:
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise bad
        try:
            pairs.append((float(pair[0]), float(pair[1])))
        except (TypeError, ValueError):
            raise bad from None
    pairs = np.array(pairs, dtype=float).reshape(-1, 2)
    if not np.all(np.isfinite(pairs)) or np.any(pairs[:, 1] < pairs[:, 0]):
        raise ValueError(f"spans of row {row} must be finite with start <= end, got {value!r}")
    return pairs


def attention_span_scores(attention, spans, *, segmentation=None, durations=None, window=None,
                          stride=None):
    """How well a model's segment attention points at the known salient moments.

    For every utterance that has at least one salient span and a non-empty
    bag, segment ``k`` covers the seconds ``segmentation.segment_times`` gives
    it, ``[k * stride, k * stride + window)`` with the ``segmentation``'s
    window and stride in seconds (the segmenter's cut), and is *on a span*
    when it overlaps one. Two measures compare the attention with those
    segments:

    - the **lift**: the attention mass on span segments divided by their share
      of the segments (both averaged over the utterances). 1.0 is no better
      than uniform attention; ``1 / share_of_segments`` is the most possible
      (every weight on span segments);
    - the **AUC**: per utterance, the ROC-AUC of the attention weights as a
      score for "this segment is on a span" (0.5 is chance, 1.0 ranks every
      span segment above every other), averaged over the utterances that have
      both kinds of segments.

    Parameters
    ----------
    attention : sequence of array-like of shape (n_segments_i,)
        Per utterance, the weights of its segments, e.g.
        ``model.segment_attention(Xt)`` (non-negative; each row is normalised
        to sum to one here).
    spans : sequence of sequence of (float, float)
        Per utterance, its salient spans as ``(start, end)`` seconds from the
        utterance's start, an empty list for none: the ``salient_spans``
        column of :func:`~sklearn_maec.datasets.make_dialogue_corpus`. Same
        length and order as ``attention``.
    segmentation : Segmentation
        How the utterances were cut into segments: what the segmented table
        declares, ``Xt.attrs["segmentation"]`` (the segmenter's
        ``segmentation_``).  Its frame step must be known.
    durations : array-like of shape (n_utterances,) or None, default=None
        Each utterance's length in seconds (e.g. ``X["end"] - X["start"]``).
        Given, every row is checked: its attention must have the number of
        segments an utterance of that length has (within one, for the
        feature set's frame rounding; at most the segmentation's
        ``max_segments``), and its spans must end within it; a row that fails
        is reported (attention and spans of different rows, or another
        segmentation).
    window : float or None, default=None
        Deprecated: segment length in seconds; pass ``segmentation`` instead
        (without it, ``window`` defaults to 0.5 and a FutureWarning is issued).
    stride : float or None, default=None
        Deprecated: seconds between segment starts; pass ``segmentation``
        instead (without it, ``stride`` defaults to 0.1).

    Returns
    -------
    scores : dict
        - ``"lift"`` (float): ``attention_on_spans / share_of_segments``;
        - ``"auc"`` (float): the mean per-utterance ROC-AUC;
        - ``"attention_on_spans"`` (float): mean attention mass on span
          segments;
        - ``"share_of_segments"`` (float): mean share of span segments;
        - ``"n_utterances"`` (int): utterances scored (with a span and a
          non-empty bag);
        - ``"n_auc_utterances"`` (int): those with both kinds of segments,
          over which ``"auc"`` is averaged.

        Values that have no utterance to average over are NaN.

    Raises
    ------
    ValueError
        If ``attention`` and ``spans`` differ in length, if the segmentation
        has no frame step (or ``window`` or ``stride`` is not positive), if
        both ``segmentation`` and ``window`` / ``stride`` are given, or if a
        row is malformed (negative,
        non-finite or all-zero weights, spans that are not ``(start, end)``
        pairs with ``start <= end``, or, with ``durations``, lengths that do
        not match): the message names the row (its position).

    See Also
    --------
    sklearn_maec.MAECClassifier.segment_attention : The attention of a fitted model.
    sklearn_maec.datasets.make_dialogue_corpus : A corpus with ``salient_spans``.

    Notes
    -----
    :class:`~sklearn_maec.display.SegmentAttentionDisplay` reads the same
    convention from the same segmentation: segment ``k`` of a row spans
    ``[k * stride, k * stride + window)`` seconds, and a segment is on a span
    when the two intervals overlap. Neutral utterances of the generator have no salient span (their
    peaks are ordinary prominence) and so do not enter the scores.

    Examples
    --------
    Two utterances cut into 0.2 s segments every 0.1 s (frames of 20 ms); the
    first has a salient span from 0.2 to 0.3 s, which its 2nd and 3rd segments
    overlap (half of its four segments), and they get 0.7 of its attention:

    >>> import numpy as np
    >>> from sklearn_maec.features import Segmentation
    >>> from sklearn_maec.metrics import attention_span_scores
    >>> attention = [np.array([0.1, 0.1, 0.6, 0.2]), np.array([0.5, 0.5])]
    >>> spans = [[(0.2, 0.3)], []]
    >>> segmentation = Segmentation.from_seconds(window=0.2, stride=0.1, frame_step=0.02)
    >>> scores = attention_span_scores(attention, spans, segmentation=segmentation)
    >>> {k: round(v, 3) for k, v in scores.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'lift': 1.4, 'auc': 0.625, 'attention_on_spans': 0.7, 'share_of_segments': 0.5,
     'n_utterances': 1, 'n_auc_utterances': 1}

    With a fitted pipeline (segmenter, context builder, MAEC) and a generated
    corpus::

        Xt = pipe[:-1].transform(X_test)
        attention_span_scores(pipe[-1].segment_attention(Xt), X_test["salient_spans"],
                              segmentation=Xt.attrs["segmentation"],
                              durations=X_test["end"] - X_test["start"])
    """
    window, stride, max_segments = _segment_seconds(segmentation, window, stride)
    attention, spans = list(attention), list(spans)
    if len(attention) != len(spans):
        raise ValueError(f"attention and spans must have one entry per utterance, got "
                         f"{len(attention)} attention rows and {len(spans)} span rows")
    if durations is not None:
        durations = np.asarray(durations, dtype=float).reshape(-1)
        if durations.shape != (len(spans),):
            raise ValueError(f"durations must have one entry per utterance ({len(spans)}), "
                             f"got {durations.size}")
    eps = 1e-9
    on, share, aucs = [], [], []
    for row, (weights, value) in enumerate(zip(attention, spans, strict=True)):
        weights = np.asarray(weights, dtype=float)
        if weights.ndim != 1:
            raise ValueError(f"attention of row {row} must be a 1-D array of segment weights, "
                             f"got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(f"attention of row {row} must be finite and non-negative")
        pairs = _row_spans(value, row)
        n = weights.size
        if durations is not None:
            duration = durations[row]
            expected = 1 if duration < window else 1 + int(np.floor((duration - window) / stride
                                                                    + eps))
            if max_segments is not None:
                expected = min(expected, max_segments)
            if abs(n - expected) > 1:
                raise ValueError(
                    f"attention of row {row} has {n} segments, but an utterance of "
                    f"{duration:.3f} s has {expected} segments of {window} s every {stride} s: "
                    "attention and durations of different rows, or another segmentation?")
            if pairs.size and pairs[:, 1].max() > duration + stride:
                raise ValueError(
                    f"spans of row {row} end at {pairs[:, 1].max():.3f} s, after the "
                    f"utterance ({duration:.3f} s): spans and durations of different rows?")
        if not pairs.size or n == 0:
            continue
        total = weights.sum()
        if total <= 0:
            raise ValueError(f"attention of row {row} is all zero")
        start = np.arange(n) * stride
        hit = ((start[:, None] < pairs[None, :, 1] - eps)
               & (start[:, None] + window > pairs[None, :, 0] + eps)).any(axis=1)
        on.append(weights[hit].sum() / total)
        share.append(hit.mean())
        if 0 < hit.sum() < n:
            aucs.append(_rank_auc(weights, hit))
    nan = float("nan")
    mean_on = float(np.mean(on)) if on else nan
    mean_share = float(np.mean(share)) if share else nan
    return {
        "lift": mean_on / mean_share if share and mean_share > 0 else nan,
        "auc": float(np.mean(aucs)) if aucs else nan,
        "attention_on_spans": mean_on,
        "share_of_segments": mean_share,
        "n_utterances": len(on),
        "n_auc_utterances": len(aucs),
    }


#: The bandwidth rules of :func:`mmd2` and :func:`prior_mmd2`.
BANDWIDTH_RULES = ("reference", "pooled")


def _sq_distances(a, b):
    """Squared Euclidean distances between the rows of ``a`` and ``b`` (float64, >= 0)."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d2, 0.0)


def _median_off_diagonal(d2):
    """Median of the off-diagonal entries of a square distance matrix."""
    n = len(d2)
    return float(np.median(d2[~np.eye(n, dtype=bool)])) if n > 1 else float("nan")


def _check_sample(name, value):
    value = np.asarray(value, dtype=np.float64)
    if value.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {value.shape}")
    if len(value) < 2:
        raise ValueError(f"{name} needs at least 2 rows for the unbiased estimate, got "
                         f"{len(value)}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} has non-finite values")
    return value


def mmd2(X, Y, *, bandwidth="reference", max_samples=1000, random_state=0):
    """Unbiased estimate of the squared maximum mean discrepancy between two samples.

    MMD^2 (Gretton et al., "A Kernel Two-Sample Test", JMLR 2012) is zero when
    ``X`` and ``Y`` come from the same distribution and grows as their
    distributions differ, in location, spread or shape (correlations,
    clusters): every moment counts, not only the mean and the per-coordinate
    variance. This is the unbiased estimator ``MMD^2_u``:

    .. math::

        \\frac{1}{m(m-1)}\\sum_{i \\neq j} k(x_i, x_j)
        + \\frac{1}{n(n-1)}\\sum_{i \\neq j} k(y_i, y_j)
        - \\frac{2}{mn}\\sum_{i, j} k(x_i, y_j),

    which can be slightly negative when the distributions are equal, with the
    Gaussian kernel ``k(a, b) = exp(-||a - b||^2 / gamma)``.

    Parameters
    ----------
    X : array-like of shape (m, n_features)
        The first sample (e.g. latent codes).
    Y : array-like of shape (n, n_features)
        The second sample, the reference (e.g. samples of a prior).
    bandwidth : {"reference", "pooled"} or float, default="reference"
        ``gamma``, the kernel's squared length scale (``2 h^2`` for a
        Gaussian of width ``h``). ``"reference"``: the median squared distance
        between the rows of ``Y``, so the kernel depends on the reference alone
        and figures of several ``X`` against the same ``Y`` (codes of several
        models against one prior) compare on one scale; ``"pooled"``: the
        median over the rows of ``X`` and ``Y`` together (the classic median
        heuristic, which changes with ``X``); a float: that value.
    max_samples : int or None, default=1000
        Each sample larger than this is subsampled to it, without replacement
        (the kernel matrices grow as the square); None uses every row.
    random_state : int, RandomState instance or None, default=0
        Seeds the subsampling: the same value gives the same figure.

    Returns
    -------
    mmd2 : float
        The estimate (0 for equal distributions, up to about 2).

    Raises
    ------
    ValueError
        If a sample is not 2-D, has fewer than 2 rows or non-finite values,
        if the two differ in their number of columns, or if ``bandwidth`` is
        neither a rule nor a positive number.

    See Also
    --------
    prior_mmd2 : Latent codes against samples of a model's prior.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_maec.metrics import mmd2
    >>> rng = np.random.default_rng(0)
    >>> prior = rng.normal(size=(500, 8))
    >>> same = rng.normal(size=(500, 8))
    >>> narrow = rng.normal(size=(500, 8)) * np.r_[np.ones(4), np.full(4, 0.2)]
    >>> bool(abs(mmd2(same, prior)) < 0.01), bool(mmd2(narrow, prior) > 0.02)
    (True, True)
    """
    X, Y = _check_sample("X", X), _check_sample("Y", Y)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of columns, got {X.shape[1]} and "
                         f"{Y.shape[1]}")
    if isinstance(bandwidth, str):
        if bandwidth not in BANDWIDTH_RULES:
            raise ValueError(f"bandwidth must be one of {BANDWIDTH_RULES} or a positive number, "
                             f"got {bandwidth!r}")
    elif isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.number)) \
            or not np.isfinite(bandwidth) or bandwidth <= 0:
        raise ValueError(f"bandwidth must be one of {BANDWIDTH_RULES} or a positive number, got "
                         f"{bandwidth!r}")
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    if max_samples is not None:
        if len(X) > max_samples:
            X = X[np.sort(rng.choice(len(X), max_samples, replace=False))]
        if len(Y) > max_samples:
            Y = Y[np.sort(rng.choice(len(Y), max_samples, replace=False))]
    kxx, kyy, kxy = _sq_distances(X, X), _sq_distances(Y, Y), _sq_distances(X, Y)
    if bandwidth == "reference":
        gamma = _median_off_diagonal(kyy)
    elif bandwidth == "pooled":
        both = np.concatenate([X, Y])
        gamma = _median_off_diagonal(_sq_distances(both, both))
    else:
        gamma = float(bandwidth)
    if not gamma > 0:  # a reference of identical rows
        raise ValueError("the median squared distance is 0 (identical rows): pass a bandwidth")
    m, n = len(X), len(Y)
    kxx, kyy, kxy = np.exp(-kxx / gamma), np.exp(-kyy / gamma), np.exp(-kxy / gamma)
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * kxy.mean())


def prior_mmd2(Z, prior, y=None, *, n_prior=None, bandwidth="reference", max_samples=1000,
               random_state=0):
    """MMD^2 between latent codes and samples of the prior they are pulled towards.

    How close the adversarial regulariser brought the codes to its prior:
    :func:`mmd2` of ``Z`` against as many samples of ``prior`` (drawn here,
    seeded by ``random_state``), with the kernel's bandwidth set by the prior's
    samples alone (``bandwidth="reference"``), so the codes of several models
    (with and without the regulariser, say) are measured on one scale. For a
    ``N(mu, sigma^2 I)`` prior in ``d`` dimensions that bandwidth is about
    ``2 d sigma^2``. Figures are comparable only for the same prior, code
    size and number of codes (the estimate's noise shrinks with more codes).

    Parameters
    ----------
    Z : array-like of shape (n_samples, latent_dim)
        Latent codes, e.g. ``MAECClassifier.transform(X)``.
    prior : GaussianPrior, ClassMixturePrior or MAECClassifier
        The prior (:class:`sklearn_maec.model.GaussianPrior`,
        :class:`sklearn_maec.model.ClassMixturePrior`), or a fitted
        classifier, whose ``prior_`` is used: anything with a ``sample(n,
        labels, generator=...)`` method.
    y : array-like of shape (n_samples,) or None, default=None
        The class of each code; needed for a class-conditional prior (each
        prior sample is drawn from its code's class, so the two samples have
        the same class proportions, and the codes are compared with the
        mixture over those classes: which cloud a given code sits in is not
        checked). Labels (e.g. ``"ang"``) are mapped to
        the classifier's ``classes_`` when ``prior`` is a classifier; with a
        prior object they must be class indices.
    n_prior : int or None, default=None
        Prior samples drawn; None draws ``len(Z)`` (not used with ``y``).
    bandwidth : {"reference", "pooled"} or float, default="reference"
        See :func:`mmd2`; ``"reference"`` is the median squared distance
        between the prior's samples.
    max_samples : int or None, default=1000
        See :func:`mmd2`.
    random_state : int, default=0
        Seeds the prior's samples and the subsampling: the same value gives
        the same figure.

    Returns
    -------
    mmd2 : float
        The estimate (about 0 when the codes are distributed as the prior).

    Raises
    ------
    ValueError
        As :func:`mmd2`; also when a class-conditional prior gets no ``y``,
        or when ``Z``'s width is not the prior's dimension.

    See Also
    --------
    mmd2 : The estimator.
    sklearn_maec.display.LatentSpaceDisplay : Draws the codes beside prior samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_maec.metrics import prior_mmd2
    >>> from sklearn_maec.model import GaussianPrior
    >>> prior = GaussianPrior(16, mu=0.0, sigma=1.0)
    >>> rng = np.random.default_rng(0)
    >>> gaussian = rng.normal(size=(400, 16))
    >>> on_a_line = rng.normal(size=(400, 1)) * np.ones((1, 16))  # unit spread, one direction
    >>> bool(abs(prior_mmd2(gaussian, prior)) < 0.01), bool(prior_mmd2(on_a_line, prior) > 0.05)
    (True, True)
    """
    import torch

    model = prior
    prior = getattr(model, "prior_", model)
    if not hasattr(prior, "sample"):
        raise TypeError(f"prior must be a prior (with a sample method) or a fitted classifier "
                        f"with prior_, got {type(model).__name__}")
    Z = _check_sample("Z", Z)
    dim = getattr(prior, "latent_dim", Z.shape[1])
    if Z.shape[1] != dim:
        raise ValueError(f"Z has {Z.shape[1]} columns but the prior has {dim} dimensions")
    generator = torch.Generator().manual_seed(int(random_state))
    labels = None
    if getattr(prior, "n_conditions", 0):
        if y is None:
            raise ValueError("a class-conditional prior needs y, the class of each code")
        y = np.asarray(y)
        if len(y) != len(Z):
            raise ValueError(f"Z has {len(Z)} rows but y has {len(y)}")
        classes = getattr(model, "classes_", None)
        if classes is not None and not np.issubdtype(y.dtype, np.integer):
            index = {c: k for k, c in enumerate(classes)}
            unknown = sorted({c for c in y.tolist() if c not in index}, key=str)
            if unknown:
                raise ValueError(f"y has labels the classifier does not know: {unknown}")
            y = np.array([index[c] for c in y.tolist()])
        labels = torch.as_tensor(np.asarray(y, dtype=np.int64))
        n = len(Z)
    else:
        n = len(Z) if n_prior is None else int(n_prior)
    sample = prior.sample(n, labels, generator=generator).double().numpy()
    return mmd2(Z, sample, bandwidth=bandwidth, max_samples=max_samples,
                random_state=random_state)
