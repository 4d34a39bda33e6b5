"""Bags of segments as a torch Dataset, padded per batch, bucketed by length.

The dataset holds *references*: each row's bag is the segmenter's read-only
view of its frames, and the context bags are looked up by row position.
Nothing is copied until a batch is collated; a batch then holds every distinct
bag it needs once, as concatenated segments (no padding), and the samples'
three inputs index into those bags.
"""

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from .nn import length_groups

__all__ = ["BagDataset", "BagBatch", "BagCollator", "BatchSampler", "evaluation_order",
           "batch_statistics"]


class BagDataset(Dataset):
    """Rows of bags (with their context positions, gender and label).

    Parameters
    ----------
    bags : sequence of ndarray of shape (n_segments_i, W, L)
        One bag per row of the original table (possibly empty).
    n_frames : ndarray of int
        True frame count per row (the single segment of an utterance shorter
        than one window holds fewer real frames than ``W``).
    previous, interlocutor : ndarray of int or None
        Positions of the context rows (-1 for none).
    gender : ndarray of int
        0 / 1, or -1 when unknown.
    y : ndarray of int or None
        Encoded emotion labels.
    groups : ndarray or None
        Group of each row (the dialogue) for validation splits.
    rows : ndarray of int or None
        Which rows this dataset covers (a subset shares every array).
    """

    def __init__(self, bags, n_frames, previous=None, interlocutor=None, gender=None, y=None,
                 groups=None, rows=None):
        self.bags = bags
        self.n_frames = np.asarray(n_frames, dtype=np.int64)
        self.n_segments = np.fromiter((b.shape[0] for b in bags), dtype=np.int64, count=len(bags))
        n = len(bags)
        self.previous = previous
        self.interlocutor = interlocutor
        self.gender = np.full(n, -1, np.int64) if gender is None else np.asarray(gender, np.int64)
        self.y = None if y is None else np.asarray(y, dtype=np.int64)
        self.groups = groups
        self.rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return int(self.rows[i])

    def subset(self, positions):
        """Dataset over ``self.rows[positions]``, sharing every array."""
        new = object.__new__(BagDataset)
        new.__dict__.update(self.__dict__)
        new.rows = self.rows[np.asarray(positions, dtype=np.int64)]
        return new

    @property
    def lengths(self):
        """Segments in each covered row's current bag."""
        return self.n_segments[self.rows]


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
        return {k: None if v is None else v.to(device, non_blocking=True)
                for k, v in self.tensors.items()}

    def pin_memory(self):
        """Pinned copy (used by the DataLoader when training on CUDA)."""
        return BagBatch({k: None if v is None else v.pin_memory()
                         for k, v in self.tensors.items()}, self.size)


class BagCollator:
    """Turn a list of row positions into one :class:`BagBatch` and the targets.

    Every distinct bag the batch needs (the rows' current utterances and their
    context turns) is copied once, its segments concatenated without padding;
    ``current``/``previous``/``interlocutor`` index into the distinct bags.
    The targets are a long tensor ``(B, 2)``: emotion and gender (-1 unknown).
    """

    def __init__(self, dataset, window_frames, n_lld, use_context):
        self.dataset = dataset
        self.window_frames = window_frames
        self.n_lld = n_lld
        self.use_context = use_context

    def __call__(self, rows):
        rows = np.asarray(rows, dtype=np.int64)
        ds = self.dataset
        refs = {"current": rows}
        if self.use_context:
            refs["previous"] = ds.previous[rows]
            refs["interlocutor"] = ds.interlocutor[rows]
        distinct = np.unique(np.concatenate([r[r >= 0] for r in refs.values()]))
        lengths = ds.n_segments[distinct]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        W = self.window_frames
        segments = np.empty((int(lengths.sum()), W, self.n_lld), dtype=np.float32)
        frames = np.full(len(segments), W, dtype=np.int64)
        for bag, start, n in zip(distinct, starts, lengths):
            if n:
                segments[start:start + n] = ds.bags[bag]
                if ds.n_frames[bag] < W:
                    frames[start] = max(int(ds.n_frames[bag]), 1)
        tensors = {"segments": torch.from_numpy(segments),
                   "bag_lengths": torch.from_numpy(lengths),
                   "segment_frames": torch.from_numpy(frames)}
        for role, ref in refs.items():
            index = np.where(ref >= 0, np.searchsorted(distinct, np.maximum(ref, 0)), -1)
            tensors[role] = torch.from_numpy(index.astype(np.int64))
        emotion = ds.y[rows] if ds.y is not None else np.full(len(rows), -1, np.int64)
        y = torch.from_numpy(np.stack([emotion, ds.gender[rows]], axis=1))
        return BagBatch(tensors, len(rows)), y


def evaluation_order(dataset, batching):
    """Order of a dataset's items for batched inference: by dialogue or by length.

    ``"dialogue"`` keeps each dialogue's rows together (so a batch encodes a
    context turn once for all its uses); ``"length"`` sorts by bag length (so
    batches pad little).
    """
    if batching == "dialogue" and dataset.groups is not None:
        return np.lexsort((dataset.rows, np.asarray(dataset.groups)[dataset.rows]))
    return np.argsort(dataset.lengths, kind="stable")


class BatchSampler(Sampler):
    """Training and evaluation batches: whole dialogues together, or similar lengths together.

    Parameters
    ----------
    dataset : BagDataset
        Its ``lengths`` and ``groups`` drive the batching.
    batch_size : int
    shuffle : bool
        False: consecutive batches in dataset order (evaluation datasets are
        ordered by :func:`evaluation_order`).  True: a new random order each
        epoch, as below.
    batching : {"dialogue", "length"}
        ``"dialogue"``: cut each dialogue into runs of ``run_length``
        consecutive turns (at a random offset each epoch), shuffle the runs and
        cut the sequence into batches: most context turns are in the batch
        anyway (every distinct bag is encoded once per batch), while a batch
        still mixes many dialogues.
        ``"length"``: shuffle, sort within pools of ``pool_batches`` batches by
        bag length and cut (little padding).  Batch order is shuffled in both.
    seed : int
        Seed of the shuffling.
    pool_batches : int, default=50
        Pool size of the length bucketing.
    run_length : int, default=4
        Turns per run for ``"dialogue"`` batching.
    epoch_counter : sized or None
        When given (the training history), each epoch's order is drawn from
        ``(seed, len(epoch_counter))`` alone, so training resumed from a
        checkpoint sees the same batches as an uninterrupted run; otherwise one
        generator is advanced every epoch.
    """

    def __init__(self, dataset, batch_size, shuffle, batching="dialogue", seed=0,
                 pool_batches=50, run_length=4, epoch_counter=None):
        self.lengths = np.asarray(dataset.lengths)
        self.groups = None if dataset.groups is None else np.asarray(dataset.groups)[dataset.rows]
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.batching = batching
        self.rng = np.random.default_rng(seed)
        self.pool_batches = pool_batches
        self.run_length = run_length
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
        if self.batching == "dialogue" and self.groups is not None:
            # runs of `run_length` consecutive turns of a dialogue, the runs shuffled:
            # a run's context turns are mostly inside it, and a batch mixes many dialogues
            order = np.lexsort((np.arange(n), self.groups))
            starts = np.flatnonzero(np.r_[True, self.groups[order][1:] != self.groups[order][:-1]])
            position = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
            offset = self.rng.integers(0, self.run_length, size=len(starts))
            run_id = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n])) * n + \
                (position + np.repeat(offset, np.diff(np.r_[starts, n]))) // self.run_length
            runs, run_of = np.unique(run_id, return_inverse=True)
            rank = self.rng.permutation(len(runs))[run_of]
            order = order[np.lexsort((np.arange(n), rank))]
            batches = [order[i:i + bs] for i in range(0, n, bs)]
        else:
            perm = self.rng.permutation(n)
            pool = bs * self.pool_batches
            batches = []
            for start in range(0, n, pool):
                chunk = perm[start:start + pool]
                chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
                batches.extend(chunk[i:i + bs] for i in range(0, len(chunk), bs))
        for k in self.rng.permutation(len(batches)):
            yield batches[k].tolist()


def batch_statistics(dataset, batches, use_context=True, max_padding=0.1):
    """How much a set of batches encodes and pads (for benchmarks).

    ``max_padding`` is the bag encoder's: the attention runs on groups of
    bags of similar length (:func:`~sklearn_maec.nn.length_groups`).

    Returns
    -------
    stats : dict
        ``segments``: segments encoded; ``needed``: segments of the samples'
        own bags and context bags counted per use (what encoding each input
        separately would compute); ``attention_padding``: fraction of padded
        segment positions in the attention's per-group ``(bags, S_group)``
        layouts (the convolutions and the packed GRU compute no padding).
    """
    encoded = needed = slots = 0
    for batch in batches:
        rows = dataset.rows[np.asarray(batch)]
        refs = [rows] + ([dataset.previous[rows], dataset.interlocutor[rows]] if use_context
                         else [])
        distinct = np.unique(np.concatenate([r[r >= 0] for r in refs]))
        lens = dataset.n_segments[distinct]
        encoded += int(lens.sum())
        needed += sum(int(dataset.n_segments[r[r >= 0]].sum()) for r in refs)
        for group in length_groups(lens, max_padding):
            slots += max(int(lens[group[0]]), 1) * len(group)
    return {"segments": encoded, "needed": needed,
            "attention_padding": 1 - encoded / max(slots, 1)}
