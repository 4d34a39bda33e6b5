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

Nothing here is reimplemented: the scorers and :func:`emotion_scores` call
scikit-learn's metrics.

:func:`attention_span_scores` is of another kind: it checks *where* a model
looks, comparing the attention MAEC gives an utterance's segments
(:meth:`~sklearn_maec.MAECClassifier.segment_attention`) with the moments
known to carry the emotion (the ``salient_spans`` column of
:func:`~sklearn_maec.datasets.make_dialogue_corpus`).
"""

import warnings

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from .exceptions import caller_stacklevel

__all__ = ["scorers", "get_scorers", "emotion_scores", "attention_span_scores", "METRIC_NAMES"]

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
