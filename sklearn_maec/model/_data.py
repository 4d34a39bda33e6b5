"""The pipeline's bags as a torch Dataset, batched and collated for the network.

The dataset holds *references*: each row's bag is the segmenter's read-only
view of its frames, and the context bags are looked up by index.  Nothing is
copied until a batch is collated (:func:`sklearn_maec._batching.collate`, the
one batch layout); this module only turns its arrays into tensors and adds the
targets.
"""

import numpy as np
import pandas as pd
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from skorch.utils import is_dataset
from torch.utils.data import Dataset, Sampler

from .._batching import (
    array_to_bags,
    collate,
    has_context_columns,
    match_segmentation,
    table_to_bags,
    training_batches,
)
from .._validation import describe_rows

__all__ = ["BagDataset", "BagBatch", "BagCollator", "BatchSampler", "check_labels", "all_numeric",
           "to_dataset"]


class BagDataset(Dataset):
    """Rows of a :class:`~sklearn_maec._batching.BagTable` with their labels.

    Parameters
    ----------
    table : BagTable
        The bags, context indices, gender and dialogue of every row.
    y : ndarray of int or None
        Encoded emotion labels, one per row of the table.
    rows : ndarray of int or None
        Which rows this dataset covers (a subset shares every array).
    """

    def __init__(self, table, y=None, rows=None):
        self.table = table
        self.y = None if y is None else np.asarray(y, dtype=np.int64)
        self.rows = np.arange(table.n_rows) if rows is None else np.asarray(rows, np.int64)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return int(self.rows[i])

    def subset(self, positions):
        """Dataset over ``self.rows[positions]``, sharing every array."""
        return BagDataset(self.table, self.y, self.rows[np.asarray(positions, dtype=np.int64)])

    @property
    def lengths(self):
        """Segments in each covered row's own bag."""
        return self.table.n_segments[self.rows]

    @property
    def groups(self):
        """Each covered row's dialogue code (None without a ``dialogue`` column)."""
        groups = self.table.groups
        return None if groups is None else np.asarray(groups)[self.rows]

    @property
    def labels(self):
        """Each covered row's encoded emotion (None without labels)."""
        return None if self.y is None else self.y[self.rows]

    @property
    def gender(self):
        """Each covered row's encoded gender (-1: unknown)."""
        return self.table.gender[self.rows]


class BagBatch:
    """A collated batch: tensors for :meth:`MAECNetwork.encode` plus its sample count.

    skorch takes ``len()`` of a batch's input to weigh per-batch losses; the
    tensors have different first dimensions (segments, distinct bags,
    samples), so they travel in this small container rather than a dict.
    """

    def __init__(self, tensors, size):
        self.tensors = tensors
        self.size = size

    def __len__(self):
        return self.size

    def to(self, device):
        """The tensors as a dict, on ``device``."""
        return {k: v.to(device, non_blocking=True) for k, v in self.tensors.items()}

    def pin_memory(self):
        """Pinned copy (used by the DataLoader when training on CUDA)."""
        return BagBatch({k: v.pin_memory() for k, v in self.tensors.items()}, self.size)


class BagCollator:
    """Turn a list of row positions into one :class:`BagBatch` and the targets.

    The targets are a long tensor ``(B, 2)``: emotion and gender (-1 unknown).
    """

    def __init__(self, dataset, use_context, gap):
        self.dataset = dataset
        self.use_context = use_context
        self.gap = gap

    def __call__(self, rows):
        rows = np.asarray(rows, dtype=np.int64)
        ds = self.dataset
        batch = collate(ds.table, rows, self.use_context, gap=self.gap)
        tensors = {k: torch.from_numpy(v) for k, v in batch.items()}
        emotion = ds.y[rows] if ds.y is not None else np.full(len(rows), -1, np.int64)
        y = torch.from_numpy(np.stack([emotion, ds.table.gender[rows]], axis=1))
        return BagBatch(tensors, len(rows)), y


class BatchSampler(Sampler):
    """Training and evaluation batches (see :func:`~sklearn_maec._batching.training_batches`).

    Parameters
    ----------
    dataset : BagDataset
        Its ``lengths`` and ``groups`` drive the batching.
    batch_size : int
        Rows per batch.
    shuffle : bool
        False: consecutive batches in dataset order (evaluation datasets are
        ordered by :func:`~sklearn_maec._batching.evaluation_order`).  True: a
        new random order each epoch.
    batching : {"dialogue", "length"}
        Whole dialogue runs together, or similar lengths together.
    seed : int
        Seed of the shuffling.
    epoch_counter : sized or None
        When given (the training history), each epoch's order is drawn from
        ``(seed, len(epoch_counter))`` alone, so training resumed from a
        checkpoint sees the same batches as an uninterrupted run; otherwise one
        generator is advanced every epoch.
    """

    def __init__(self, dataset, batch_size, shuffle, batching="dialogue", seed=0,
                 epoch_counter=None):
        self.lengths = np.asarray(dataset.lengths)
        self.groups = dataset.groups
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.batching = batching
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.epoch_counter = epoch_counter

    def __len__(self):
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        n, bs = len(self.lengths), self.batch_size
        if not self.shuffle:
            for start in range(0, n, bs):
                yield list(range(start, min(start + bs, n)))
            return
        if self.epoch_counter is not None:  # this epoch's order depends on (seed, epoch) only
            self.rng = np.random.default_rng([self.seed, len(self.epoch_counter)])
        for batch in training_batches(self.lengths, self.groups, bs, self.batching, self.rng):
            yield batch.tolist()


def check_labels(y, X):
    """ValueError naming the rows whose label is missing, or where str and numbers mix."""
    def rows(positions):
        return describe_rows(X, positions) if isinstance(X, pd.DataFrame) else \
            f"positions {list(positions[:5])}"

    missing = pd.isna(pd.Series(y, dtype=object)).to_numpy()
    if missing.any():
        raise ValueError(f"y has {int(missing.sum())} missing label(s) (NaN/None) at row(s) "
                         f"{rows(np.flatnonzero(missing))}: give every training utterance an "
                         "emotion label, or drop those rows")
    text = np.array([isinstance(v, str) for v in y])
    if text.any() and not text.all():
        first_str, first_other = int(np.argmax(text)), int(np.argmax(~text))
        raise ValueError(f"y mixes str and non-str labels: {y[first_str]!r} at row(s) "
                         f"{rows([first_str])} and {y[first_other]!r} at row(s) "
                         f"{rows([first_other])}; use one type (e.g. all str)")


def _context_wanted(estimator, X, fitting):
    """Whether to read ``X``'s context: the fitted decision, or ``use_context`` in fit.

    In fit, ``use_context="auto"`` reads the context when ``X`` has the
    context builder's columns (whether any row has a context turn is then
    decided on the table).
    """
    if not fitting:
        return estimator.use_context_
    if estimator.use_context == "auto":
        return isinstance(X, pd.DataFrame) and has_context_columns(X)
    return bool(estimator.use_context)


def all_numeric(frame):
    """Whether every column of a DataFrame is numeric (the 2-D array form of ``X``)."""
    return all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes)


def to_dataset(estimator, X, y=None, fitting=False, classes=None):
    """Validate ``X`` (and ``y``) for ``estimator`` and wrap them as a :class:`BagDataset`.

    Parameters
    ----------
    estimator : MAECClassifier
        The classifier; when ``fitting``, the bag shape learned from ``X``
        (``n_features_in_`` and ``segmentation_``, the segmentation ``X``
        declares) and the classes are set on it, else ``X`` is checked against
        them.
    X : pandas.DataFrame, array-like or Dataset
        The pipeline's table or the numeric array form (a Dataset is returned
        as it is).
    y : array-like or None, default=None
        Emotion labels.
    fitting : bool, default=False
        Whether ``X`` is the training data.
    classes : array-like or None, default=None
        All the classes (``partial_fit``), when ``y`` may not hold them all.

    Returns
    -------
    dataset : BagDataset
    """
    if is_dataset(X):
        return X
    name = type(estimator).__name__
    # A DataFrame of numbers only (no ``segments`` column) is the 2-D numeric form, as
    # for any scikit-learn estimator; a pipeline DataFrame (``audio``, ``segments``, ...)
    # always has object columns and keeps the helpful error of ``table_to_bags``.
    context = _context_wanted(estimator, X, fitting)
    if isinstance(X, pd.DataFrame) and ("segments" in X.columns or not all_numeric(X)):
        table = table_to_bags(X, context, name)
    else:
        table = array_to_bags(X, None if fitting else estimator.n_features_in_, name)
    if fitting:
        if context and estimator.use_context == "auto" and not table.has_context():
            context = False  # no training row has a context turn: the single-utterance model
        estimator.use_context_ = bool(context)
        estimator.n_features_in_ = table.n_lld
        estimator.segmentation_ = table.segmentation
    elif (table.window_frames, table.n_lld) != (estimator.window_frames_, estimator.n_features_in_):
        raise ValueError(
            f"X has segments of {table.window_frames} frames x {table.n_lld} features, "
            f"but {name} was fitted on {estimator.window_frames_} x {estimator.n_features_in_}"
        )
    else:
        match_segmentation(table, estimator.segmentation_, name)
    codes = None
    if y is not None:
        y = column_or_1d(y, warn=True)
        if len(y) != table.n_rows:
            raise ValueError(f"X has {table.n_rows} rows but y has {len(y)}")
        check_labels(y, X)
        check_classification_targets(y)
        if fitting and estimator.classes is None:
            estimator.classes_inferred_ = np.unique(y if classes is None else classes)
        classes = estimator.classes_
        codes = np.searchsorted(classes, y)
        codes = np.clip(codes, 0, len(classes) - 1)
        unknown = classes[codes] != y
        if unknown.any():
            raise ValueError(f"y has labels not in classes_ {list(classes)}: "
                             f"{sorted(set(np.asarray(y)[unknown].tolist()))}")
    return BagDataset(table, codes)
