"""Splitters: validation splits that respect dialogues, and cross-corpus evaluation."""

import numbers
import warnings

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit

from .exceptions import MAECWarning

__all__ = ["DialogueValidSplit"]


class DialogueValidSplit:
    """Hold out whole dialogues of the training data for validation (a skorch ``train_split``).

    :class:`~sklearn_maec.MAECClassifier` uses it for its internal validation
    set (early stopping, validation curves), so model selection only ever looks
    at the training data, never at the test fold.  Whole dialogues are held out,
    so no utterance is validated while its context turns, or turns of the same
    conversation, are trained on.

    Parameters
    ----------
    validation_fraction : float, default=0.1
        Fraction of the dialogues (groups) held out, in (0, 1).
    random_state : int or None, default=None
        Seed of the draw.

    Examples
    --------
    >>> from sklearn_maec.model_selection import DialogueValidSplit
    >>> DialogueValidSplit(0.2, random_state=0)
    DialogueValidSplit(validation_fraction=0.2, random_state=0)
    """

    def __init__(self, validation_fraction=0.1, random_state=None):
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def __repr__(self):
        return (f"{type(self).__name__}(validation_fraction={self.validation_fraction}, "
                f"random_state={self.random_state})")

    def __call__(self, dataset, y=None, **fit_params):
        """Split a :class:`~sklearn_maec._bags.BagDataset` into training and validation parts.

        Parameters
        ----------
        dataset : BagDataset
            The training rows; ``dataset.groups`` holds each row's dialogue
            (None: every row is its own group).
        y : ignored
            Present for skorch's API.
        **fit_params : dict
            Ignored.

        Returns
        -------
        train, valid : BagDataset
            ``valid`` is None when there are fewer than two groups.
        """
        frac = self.validation_fraction
        if not (isinstance(frac, numbers.Real) and 0 < frac < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), got {frac!r}")
        n = len(dataset)
        groups = None if dataset.groups is None else np.asarray(dataset.groups)[dataset.rows]
        n_groups = n if groups is None else len(np.unique(groups))
        if n_groups < 2 or n < 2:
            warnings.warn(
                f"only {n_groups} dialogue(s) to split: training without a validation set",
                MAECWarning, stacklevel=2,
            )
            return dataset, None
        if groups is None:
            splitter = ShuffleSplit(n_splits=1, test_size=frac, random_state=self.random_state)
            train, valid = next(splitter.split(np.zeros(n)))
        else:
            splitter = GroupShuffleSplit(n_splits=1, test_size=frac,
                                         random_state=self.random_state)
            train, valid = next(splitter.split(np.zeros(n), groups=groups))
        return dataset.subset(train), dataset.subset(valid)
