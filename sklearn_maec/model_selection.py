"""Splitters: validation splits that respect dialogues, and cross-corpus evaluation.

:class:`DialogueValidSplit` lives beside the classifier that uses it
(``sklearn_maec/model/_split.py``; the model never imports this module) and is
public here, with the other splitters.
"""


import numpy as np
from sklearn.model_selection import BaseCrossValidator

from .model._split import DialogueValidSplit

__all__ = ["DialogueValidSplit", "CrossCorpusSplit"]


class CrossCorpusSplit(BaseCrossValidator):
    """Cross-corpus evaluation: train on whole corpora, test on others (one split).

    The paper's cross-corpus protocol (train on IEMOCAP, test on MELD) as a
    scikit-learn splitter, usable as ``cv=`` in
    :func:`~sklearn.model_selection.cross_val_score`,
    :func:`~sklearn.model_selection.cross_validate` and
    :class:`~sklearn.model_selection.GridSearchCV`.  It yields exactly one
    ``(train, test)`` pair: the rows whose corpus is in ``train`` and the rows
    whose corpus is in ``test``.  Rows of any other corpus are in neither.

    Parameters
    ----------
    train : str or list of str, default="iemocap"
        Corpus (or corpora) to train on.  A list pools its corpora into the
        single training set (still one split, not one split per corpus).
    test : str or list of str, default="meld"
        Corpus (or corpora) to test on; a list pools them into one test set.

    See Also
    --------
    sklearn.model_selection.LeaveOneGroupOut : With ``groups=X["corpus"]``,
        one split per corpus (leave-one-corpus-out); with
        ``groups=X["session"]``, IEMOCAP's leave-one-session-out protocol.
    sklearn_maec.datasets.load_iemocap, sklearn_maec.datasets.load_meld :
        Loaders that fill the ``corpus`` column.

    Notes
    -----
    The corpus of every row is read from ``groups`` when it is given (as
    :func:`~sklearn.model_selection.cross_val_score` passes it through), else
    from the ``corpus`` column of ``X`` (a :class:`pandas.DataFrame`).
    :meth:`split` raises a ``ValueError`` when a named corpus has no rows (the
    message lists the corpora present) and when ``train`` and ``test``
    share a corpus.  The split is deterministic: no ``random_state``.

    With several training corpora the model sees them pooled; to get one
    score per held-out corpus, use one ``CrossCorpusSplit`` per test corpus or
    :class:`~sklearn.model_selection.LeaveOneGroupOut`.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_maec.model_selection import CrossCorpusSplit
    >>> X = pd.DataFrame({"corpus": ["iemocap"] * 4 + ["meld"] * 3 + ["other"],
    ...                   "x": range(8)})
    >>> y = ["neu", "neu", "ang", "neu", "neu", "ang", "ang", "neu"]
    >>> cv = CrossCorpusSplit(train="iemocap", test="meld")
    >>> [(tr.tolist(), te.tolist()) for tr, te in cv.split(X)]
    [([0, 1, 2, 3], [4, 5, 6])]
    >>> cv.get_n_splits()
    1
    >>> cross_val_score(DummyClassifier(), X, y, cv=cv).round(3)
    array([0.333])
    """

    # split() takes (and, with metadata routing, requests) groups.
    __metadata_request__split = {"groups": True}

    def __init__(self, train="iemocap", test="meld"):
        self.train = train
        self.test = test

    @staticmethod
    def _names(value, name):
        names = [value] if isinstance(value, str) else value
        try:
            names = list(names)
        except TypeError:
            names = None
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"CrossCorpusSplit: {name} must be a corpus name (str) or a "
                             f"non-empty list of them, got {value!r}")
        return list(dict.fromkeys(names))

    def split(self, X, y=None, groups=None):
        """Yield the one ``(train, test)`` pair of row positions.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, ...)
            The utterances; its ``corpus`` column is used when ``groups`` is
            None.
        y : array-like of shape (n_samples,), default=None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            The corpus of every row; overrides ``X["corpus"]``.

        Yields
        ------
        train : ndarray of int
            Positions (0-based) of the rows of the ``train`` corpora.
        test : ndarray of int
            Positions of the rows of the ``test`` corpora.

        Raises
        ------
        ValueError
            If ``train`` and ``test`` overlap, a named corpus has no rows, or
            the corpora cannot be found (no ``groups`` and no ``corpus``
            column).
        """
        train = self._names(self.train, "train")
        test = self._names(self.test, "test")
        both = [c for c in train if c in test]
        if both:
            raise ValueError(f"CrossCorpusSplit: corpora {both} are both in train and test")
        if groups is None:
            columns = getattr(X, "columns", None)
            if columns is None or "corpus" not in columns:
                raise ValueError(
                    "CrossCorpusSplit needs the corpus of every row: pass groups=<corpus per "
                    "row> or an X DataFrame with a 'corpus' column"
                    + ("" if columns is None else f" (columns present: {list(columns)})"))
            corpus = np.asarray(X["corpus"], dtype=object)
        else:
            corpus = np.asarray(groups, dtype=object)
            if corpus.ndim != 1:
                raise ValueError(f"CrossCorpusSplit: groups must be 1-D, got shape {corpus.shape}")
            if X is not None and hasattr(X, "__len__") and len(X) != len(corpus):
                raise ValueError(f"CrossCorpusSplit: groups has {len(corpus)} values for "
                                 f"{len(X)} rows of X")
        present = sorted({str(c) for c in corpus if isinstance(c, str)})
        empty = [c for c in train + test if not np.any(corpus == c)]
        if empty:
            raise ValueError(f"CrossCorpusSplit: no rows of corpus {empty}; corpora present: "
                             f"{present}")
        yield (np.flatnonzero(np.isin(corpus, train)), np.flatnonzero(np.isin(corpus, test)))

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splits: always 1.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
            1.
        """
        return 1
