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
"""

from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

__all__ = ["scorers", "get_scorers", "emotion_scores", "METRIC_NAMES"]

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
