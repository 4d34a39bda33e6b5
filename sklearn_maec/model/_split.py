"""The classifier's internal validation split: whole dialogues, stratified by emotion.

Public as :class:`sklearn_maec.model_selection.DialogueValidSplit`.
"""

import numbers
import warnings

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

__all__ = ["DialogueValidSplit"]


class DialogueValidSplit:
    """Hold out whole dialogues of the training data for validation (a skorch ``train_split``).

    :class:`~sklearn_maec.MAECClassifier` uses it for its internal validation
    set (early stopping, validation curves), so model selection only ever looks
    at the training data, never at the test fold.  Whole dialogues are held out,
    so no utterance is validated while its context turns, or turns of the same
    conversation, are trained on; the dialogues are drawn stratified by their
    emotions (:class:`~sklearn.model_selection.StratifiedGroupKFold`), so the
    validation part has every class in about the training proportions.

    A validation set too small to mean something is worse than none: it would
    stop training on noise, and it takes data from training.  When the held-out
    part would have fewer than ``min_dialogues`` dialogues or ``min_utterances``
    utterances, or would miss a class of the training data, nothing is held out
    (``valid`` is None: the classifier then trains for ``max_epochs`` on every
    row).

    Parameters
    ----------
    validation_fraction : float, default=0.1
        Fraction of the dialogues (groups) held out, in (0, 1).
    random_state : int or None, default=None
        Seed of the draw.
    min_dialogues : int, default=4
        Fewest dialogues a validation set may have.
    min_utterances : int, default=200
        Fewest utterances a validation set may have.  The UA of ``n``
        validation utterances has a standard error of about ``0.5 / sqrt(n)``
        (0.07 at 48 utterances, 0.035 at 200): below ~200 the epoch-to-epoch
        noise of the validation UA exceeds what training still gains, and
        early stopping picks a lucky early epoch.  On the accuracy benchmark's
        corpora (~470 training utterances, ~47 held out) training every epoch
        on every row instead gained in-corpus UA on 4 of 5 seeds, +0.046 on
        the mean (``benchmarks/RESULTS.md``).
    every_class : bool, default=True
        Whether the validation set must hold every class of the training data.

    Examples
    --------
    >>> from sklearn_maec.model_selection import DialogueValidSplit
    >>> DialogueValidSplit(0.2, random_state=0)
    DialogueValidSplit(validation_fraction=0.2, random_state=0, min_dialogues=4, \
min_utterances=200, every_class=True)
    """

    def __init__(self, validation_fraction=0.1, random_state=None, min_dialogues=4,
                 min_utterances=200, every_class=True):
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.min_dialogues = min_dialogues
        self.min_utterances = min_utterances
        self.every_class = every_class

    def __repr__(self):
        return (f"{type(self).__name__}(validation_fraction={self.validation_fraction}, "
                f"random_state={self.random_state}, min_dialogues={self.min_dialogues}, "
                f"min_utterances={self.min_utterances}, every_class={self.every_class})")

    def __call__(self, dataset, y=None, **fit_params):
        """Split a :class:`~sklearn_maec.model._data.BagDataset` into training and validation parts.

        Parameters
        ----------
        dataset : BagDataset
            The training rows; ``dataset.groups`` holds each row's dialogue
            (None: every row is its own group), ``dataset.labels`` its emotion.
        y : ignored
            Present for skorch's API.
        **fit_params : dict
            Ignored.

        Returns
        -------
        train, valid : BagDataset
            ``valid`` is None (and ``train`` the whole dataset) when the held-out
            part would be too small or miss a class; ``self.reason_`` says why.
        """
        frac = self.validation_fraction
        if not (isinstance(frac, numbers.Real) and 0 < frac < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), got {frac!r}")
        n = len(dataset)
        groups = dataset.groups
        groups = np.arange(n) if groups is None else np.asarray(groups)
        labels = dataset.labels
        labels = np.zeros(n, np.int64) if labels is None else np.asarray(labels)
        n_splits = max(2, int(round(1 / frac)))
        self.reason_ = None
        n_groups = len(np.unique(groups))
        if n_groups < n_splits:
            return self._none(dataset, f"only {n_groups} dialogue(s) for a validation fraction "
                                       f"of {frac}")
        counts = np.unique(labels, return_counts=True)[1]
        if (counts < n_splits).all():  # StratifiedGroupKFold refuses it (a ValueError)
            return self._none(dataset, f"every class has fewer than {n_splits} utterances, "
                                       f"too few for a validation fraction of {frac}")
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True,
                                        random_state=self.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a class in fewer groups than splits
            train, valid = next(splitter.split(np.zeros(n), labels, groups))
        n_dialogues = len(np.unique(groups[valid]))
        missing = sorted(set(labels[train].tolist()) - set(labels[valid].tolist()))
        if n_dialogues < self.min_dialogues or len(valid) < self.min_utterances:
            return self._none(dataset, f"the validation part would hold {len(valid)} "
                                       f"utterance(s) of {n_dialogues} dialogue(s), fewer than "
                                       f"{self.min_utterances} / {self.min_dialogues}")
        if missing and self.every_class:
            return self._none(dataset, f"the validation part would miss {len(missing)} class(es)")
        return dataset.subset(train), dataset.subset(valid)

    def _none(self, dataset, reason):
        self.reason_ = f"no validation set: {reason}; training on every row"
        return dataset, None
