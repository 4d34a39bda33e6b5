"""The pipeline's table as bags, and the one batch layout and order (numpy only).

Training, inference and the exported runtime read the rows the same way, here:

* :func:`table_to_bags` reads the DataFrame the segmenter and the context
  builder produce, as they declare it (the segmentation in
  ``X.attrs["segmentation"]``, each row's context turn in the builder's
  columns; nothing is inferred here), validates it and gives a
  :class:`BagTable`: each row's bag and the bags of its context turns, as
  indices into one list of bags; :func:`match_segmentation` checks a table
  against the segmentation a model was fitted on;
* :func:`evaluation_order` and :func:`training_batches` say which rows go
  together in a batch;
* :func:`collate` copies the bags one batch needs, each once, into the arrays
  the network takes.

No torch here: the deployment runtime runs on onnxruntime alone.
"""

from dataclasses import replace

import numpy as np
import pandas as pd

from ._validation import describe_rows
from .context import CONTEXT_ROLES
from .features._segments import SEGMENTATION_ATTR, Segmentation

#: How rows are grouped into batches: runs of a dialogue's turns, or rows of similar length.
BATCHINGS = ("dialogue", "length")

__all__ = ["CONTEXT_ROLES", "BagTable", "table_to_bags", "array_to_bags", "has_context_columns",
           "match_segmentation",
           "encode_gender", "evaluation_order", "training_batches", "collate", "pack_bags"]

_GENDER_CODES = {"f": 0, "female": 0, "w": 0, "m": 1, "male": 1}


class BagTable:
    """Bags of the rows and of their context turns, with what the model needs of each row.

    Attributes
    ----------
    bags : ndarray of object
        The rows' bags (``(n_segments, W, L)`` arrays), then the bags of context
        turns that are not rows.
    frames : ndarray of object
        Per bag, the frames its segments cover (``(n_frames, L)``; fewer than
        ``W`` for the single, zero-padded segment of a short utterance).
    n_frames : ndarray of int64
        Frames of each bag.
    n_segments : ndarray of int64
        Segments of each bag.
    stride_frames : int
        Frames between the starts of consecutive segments (segment ``k`` of a
        bag covers its frames ``[k * stride_frames, k * stride_frames + W)``).
    segmentation : Segmentation or None
        The segmentation the bags were read with (declared by the table, or
        the consecutive segments of an undeclared one); None for a table built
        by hand.
    previous, interlocutor : ndarray of int64 or None
        Per row, the index in ``bags`` of its context turn (-1: none); None
        without context.
    gender : ndarray of int64
        Per row 0 (F), 1 (M) or -1 (unknown).
    groups : ndarray of int64 or None
        Per row its dialogue's code (None when there is no ``dialogue`` column).
    n_rows : int
        Number of rows (the first ``n_rows`` bags are theirs).
    window_frames, n_lld : int
        The shape of every segment.
    """

    def __init__(self, bags, frames, window_frames, n_lld, stride_frames, previous=None,
                 interlocutor=None, gender=None, groups=None, n_rows=None, segmentation=None):
        self.bags = bags
        self.frames = frames
        self.n_frames = np.fromiter((len(f) for f in frames), np.int64, count=len(frames))
        self.n_segments = np.fromiter((b.shape[0] for b in bags), np.int64, count=len(bags))
        self.window_frames = int(window_frames)
        self.n_lld = int(n_lld)
        self.stride_frames = int(stride_frames)
        self.n_rows = len(bags) if n_rows is None else int(n_rows)
        self.previous = previous
        self.interlocutor = interlocutor
        self.gender = np.full(self.n_rows, -1, np.int64) if gender is None else gender
        self.groups = groups
        self.segmentation = segmentation

    def has_context(self):
        """Whether any row has a context turn (a previous or an interlocutor turn)."""
        return any(ref is not None and bool((ref[:self.n_rows] >= 0).any())
                   for ref in (self.previous, self.interlocutor))


def has_context_columns(X):
    """Whether ``X`` has the columns :class:`~sklearn_maec.ContextTripleBuilder` writes."""
    return all(role in X.columns for role in CONTEXT_ROLES)


def table_to_bags(X, use_context, name):
    """The :class:`BagTable` of the pipeline's DataFrame, read as its producers declare it.

    ``X`` is the output of the segmenter (``segments``, optionally ``frames``,
    ``gender``, ``dialogue``), with context the output of
    ``ContextTripleBuilder`` too.  Nothing is inferred:

    * the segmentation is ``X.attrs["segmentation"]``
      (:meth:`~sklearn_maec.features.Segmentation.of`): segment ``k`` of a row
      covers its frames ``[k * stride, k * stride + window)``.  A table with
      ``frames`` must declare it; one of ``segments`` alone that declares none
      holds consecutive segments (stride = window, the numeric array forms'
      meaning);
    * the context turn of a row for a role is the row at the position in the
      ``previous`` / ``interlocutor`` column, or the bag the builder declared
      in ``previous_segments`` / ``interlocutor_segments`` (a turn that is not
      a row), or none: the builder gives at most one of the two.

    ``name`` names the caller in messages.
    """
    if "segments" not in X.columns:
        raise ValueError(f"{name}: X has no 'segments' column; put an OpenSmileSegmenter "
                         f"before the classifier (columns present: {list(X.columns)})")
    bags = X["segments"].to_numpy(dtype=object)
    window_frames, n_lld = _segment_shape(X, bags, name)
    frames = X["frames"].to_numpy(dtype=object) if "frames" in X.columns else None
    bad = [i for i, f in enumerate(bags if frames is None else frames)
           if f.size and not np.isfinite(f).all()]
    if bad:
        raise ValueError(f"{name}: non-finite values (NaN/inf) in the features of "
                         f"{len(bad)} row(s): {describe_rows(X, bad)}")
    segmentation = _declared_segmentation(X, window_frames, frames is not None, name)
    _check_cut(X, "segments", bags, frames, segmentation, name)
    frames = _covered_frames(bags, frames, segmentation)
    n = len(X)
    refs = {}
    if use_context:
        extra_bags, extra_frames = [], []
        for role in CONTEXT_ROLES:
            refs[role] = _declared_context(X, role, segmentation, n_lld, name, extra_bags,
                                       extra_frames)
        if extra_bags:
            extra_frames = _covered_frames(_objects(extra_bags), _objects(extra_frames),
                                           segmentation)
            bags = _objects(list(bags) + extra_bags)
            frames = _objects(list(frames) + list(extra_frames))
    gender = encode_gender(X["gender"]) if "gender" in X.columns else None
    groups = pd.factorize(X["dialogue"])[0] if "dialogue" in X.columns else None
    return BagTable(bags, frames, window_frames, n_lld, segmentation.stride_frames,
                    refs.get("previous"), refs.get("interlocutor"), gender, groups, n_rows=n,
                    segmentation=segmentation)


def _objects(items):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _declared_segmentation(X, window_frames, has_frames, name):
    """The segmentation ``X`` declares; consecutive segments for an undeclared table of bags."""
    segmentation = Segmentation.of(X)
    if segmentation is None:
        if has_frames:
            raise ValueError(
                f"{name}: X has 'segments' and 'frames' columns but does not declare how the "
                f"frames were cut into segments (no X.attrs[{SEGMENTATION_ATTR!r}]). The "
                "segmenters declare it on their output; for bags cut by hand, declare it: "
                f"X.attrs[{SEGMENTATION_ATTR!r}] = Segmentation.from_seconds(window, stride, "
                "frame_step) (from sklearn_maec.features import Segmentation), or "
                "segmentation.attach(X). pd.concat of tables that declare different "
                "segmentations, and pd.DataFrame(X), drop the declaration.")
        return Segmentation(None, window_frames, window_frames)  # consecutive segments
    if segmentation.window_frames != window_frames:
        raise ValueError(f"{name}: X declares {segmentation!r}, but its segments have "
                         f"{window_frames} frames")
    return segmentation


def _check_cut(X, column, bags, frames, segmentation, name, rows=None):
    """Every bag has the segments its frames give under ``segmentation`` (rows named if not).

    ``rows`` are the positions in ``X`` of the bags (default: all its rows, in
    order).  Without frames, segments further apart than a window leave frames
    out, which the batch layout (each bag's frames, one after the other) needs.
    """
    if frames is None:
        if segmentation.stride_frames > segmentation.window_frames and any(
                b is not None and b.shape[0] > 1 for b in bags):
            raise ValueError(f"{name}: X declares {segmentation!r}: segments further apart "
                             "than a window leave frames out; give the 'frames' column too")
        return
    bad = [i for i, (b, f) in enumerate(zip(bags, frames, strict=True))
           if b is not None and f is not None
           and b.shape[0] != segmentation.n_segments(len(f))]
    if bad:
        i = bad[0]
        raise ValueError(
            f"{name}: the {column!r} of {len(bad)} row(s) are not the cut of their frames "
            f"that X declares ({segmentation!r}): "
            f"{describe_rows(X, bad if rows is None else [rows[k] for k in bad])}; e.g. "
            f"{bags[i].shape[0]} segments for {len(frames[i])} frames where the declared "
            f"segmentation gives {segmentation.n_segments(len(frames[i]))}. Declare the "
            "segmentation the bags were cut with (X.attrs['segmentation'])")


def _covered_frames(bags, frames, segmentation):
    """Per bag the frames its segments cover (from its segments when there are no frames)."""
    W, stride = segmentation.window_frames, segmentation.stride_frames
    out = np.empty(len(bags), dtype=object)
    for k, bag in enumerate(bags):
        n = bag.shape[0]
        if frames is None or frames[k] is None:
            # the frames of the segments, in order: all of each consecutive segment (the
            # numeric array forms); else each segment's first ``stride`` frames, then the last
            if n <= 1 or stride == W:
                out[k] = np.ascontiguousarray(bag.reshape(-1, bag.shape[-1]))
            else:
                out[k] = np.concatenate([bag[:-1, :stride].reshape(-1, bag.shape[-1]), bag[-1]])
            continue
        f = frames[k]
        out[k] = f if n == 0 or len(f) < W else f[:(n - 1) * stride + W]
    return out


def _segment_shape(X, bags, name):
    shapes = set()
    for i, b in enumerate(bags):
        if not isinstance(b, np.ndarray) or b.ndim != 3:
            raise ValueError(f"{name}: row {describe_rows(X, [i])}: 'segments' must hold a "
                             f"3-D array (n_segments, window_frames, n_lld), got "
                             f"{getattr(b, 'shape', type(b).__name__)}")
        shapes.add(b.shape[1:])
    if len(shapes) != 1:
        raise ValueError(f"{name}: the bags have different segment shapes {sorted(shapes)}; "
                         "they must all come from the same segmenter")
    return shapes.pop()


def _declared_context(X, role, segmentation, n_lld, name, extra_bags, extra_frames):
    """One role's context as ``ContextTripleBuilder`` declared it; appends the declared bags.

    Each row's index in the table's bags: the position in the ``role`` column,
    else ``n + k`` for the ``k``-th bag declared in ``<role>_segments`` (a turn
    that is not a row), else -1.
    """
    n = len(X)
    if role not in X.columns:
        missing = [c for c in CONTEXT_ROLES if c not in X.columns]
        raise ValueError(f"{name}: X has no {missing} column(s); put a ContextTripleBuilder "
                         "before the classifier, or set use_context=False")
    ref = pd.to_numeric(X[role], errors="coerce").to_numpy()
    bad = np.isnan(ref) | (ref < -1) | (ref >= n) | (ref != np.round(ref))
    if bad.any():
        raise ValueError(
            f"{name}: column {role!r} must hold row positions in [-1, {n - 1}] "
            f"(from ContextTripleBuilder on this very X); bad rows: "
            f"{describe_rows(X, np.flatnonzero(bad))}")
    ref = ref.astype(np.int64)
    segments_column, frames_column = f"{role}_segments", f"{role}_frames"
    if segments_column not in X.columns:
        return ref
    declared = X[segments_column].to_numpy(dtype=object)
    given = np.array([not (b is None or (isinstance(b, float) and np.isnan(b)))
                      for b in declared], dtype=bool)
    both = np.flatnonzero(given & (ref >= 0))
    if len(both):
        raise ValueError(
            f"{name}: row(s) {describe_rows(X, both)} give both a position in {role!r} and a "
            f"bag in {segments_column!r}; ContextTripleBuilder declares one or the other: run "
            "it on this X, after the segmenter")
    bags = [declared[i] for i in np.flatnonzero(given)]
    for i, bag in zip(np.flatnonzero(given), bags, strict=True):
        if not isinstance(bag, np.ndarray) or bag.ndim != 3 or \
                bag.shape[1:] != (segmentation.window_frames, n_lld):
            raise ValueError(f"{segments_column} of row {describe_rows(X, [i])} has shape "
                             f"{getattr(bag, 'shape', type(bag).__name__)}; expected (n, "
                             f"{segmentation.window_frames}, {n_lld})")
    frames = X[frames_column].to_numpy(dtype=object)[given] if frames_column in X.columns \
        else [None] * len(bags)
    _check_cut(X, segments_column, bags, list(frames), segmentation, name,
               rows=np.flatnonzero(given))
    ref[given] = n + len(extra_bags) + np.arange(len(bags))  # after the rows and earlier roles
    extra_bags.extend(bags)
    extra_frames.extend(frames)
    return ref


def match_segmentation(table, fitted, name):
    """Check ``table``'s segmentation against the ``fitted`` one; adopt its stride if equivalent.

    The two must cut alike (:meth:`~sklearn_maec.features.Segmentation.cuts_like`:
    window, stride and, where both are known, frame step), except the stride
    when no bag of the table has two segments (any stride then gives the same
    windows, and the table takes the fitted one).

    Raises
    ------
    ValueError
        Naming both segmentations.
    """
    given = table.segmentation
    single = table.n_segments.max(initial=0) <= 1
    if not given.cuts_like(fitted) and not (
            single and replace(given, stride_frames=fitted.stride_frames).cuts_like(fitted)):
        undeclared = " (undeclared: consecutive segments)" if given.frame_step is None else ""
        raise ValueError(f"X's bags are cut as {given!r}{undeclared}, but {name} was fitted on "
                         f"bags cut as {fitted!r}; cut the bags as in fit")
    table.stride_frames = fitted.stride_frames
    return table


def array_to_bags(X, n_features=None, name="MAECClassifier"):
    """The :class:`BagTable` of a numeric array, each row a single utterance without context.

    A 2-D array ``(n_samples, n_features)`` is a bag of one one-frame segment,
    a 3-D array ``(n_samples, n_frames, n_features)`` a bag of one segment, a
    4-D array ``(n_samples, n_segments, n_frames, n_features)`` a bag of
    segments.  ``n_features`` (when given) is the number the model expects.
    """
    from sklearn.utils.validation import check_array

    X = check_array(X, allow_nd=True, dtype=np.float32, ensure_min_samples=1, input_name="X")
    if X.ndim == 2:
        X = X[:, None, None, :]
    elif X.ndim == 3:
        X = X[:, None, :, :]
    elif X.ndim != 4:
        raise ValueError(f"X must be a DataFrame or a 2-D, 3-D or 4-D array, got {X.ndim}-D")
    if n_features is not None and X.shape[-1] != n_features:
        raise ValueError(f"X has {X.shape[-1]} features, but {name} is expecting "
                         f"{n_features} features as input")
    n, _, window_frames, n_lld = X.shape
    bags = np.empty(n, dtype=object)
    for i in range(n):
        bags[i] = X[i]
    none = np.full(n, -1, np.int64)
    consecutive = Segmentation(None, window_frames, window_frames)
    return BagTable(bags, _covered_frames(bags, None, consecutive), window_frames, n_lld,
                    window_frames, previous=none, interlocutor=none.copy(),
                    segmentation=consecutive)


def encode_gender(values):
    """Map gender strings to 0 (F) / 1 (M) / -1 (unknown)."""
    out = np.full(len(values), -1, np.int64)
    for i, v in enumerate(values):
        if isinstance(v, str):
            out[i] = _GENDER_CODES.get(v.strip().lower(), -1)
    return out


def evaluation_order(groups, lengths, batching):
    """Order of rows for batched inference: by dialogue, or by bag length.

    Parameters
    ----------
    groups : ndarray or None
        Each row's dialogue code.
    lengths : ndarray of int
        Each row's segments.
    batching : {"dialogue", "length"}
        ``"dialogue"`` keeps each dialogue's rows together (a batch encodes a
        context turn once for all its uses); ``"length"`` sorts by bag length
        (batches pad little).  Without groups, by length.

    Returns
    -------
    order : ndarray of int
        Positions of the rows, in batch order.
    """
    if batching == "dialogue" and groups is not None:
        return np.lexsort((np.arange(len(groups)), np.asarray(groups)))
    return np.argsort(lengths, kind="stable")


def training_batches(lengths, groups, batch_size, batching, rng, pool_batches=50,
                     run_length=4):
    """One epoch's training batches (positions of rows), in a random order.

    Parameters
    ----------
    lengths : ndarray of int
        Each row's segments.
    groups : ndarray or None
        Each row's dialogue code.
    batch_size : int
        Rows per batch.
    batching : {"dialogue", "length"}
        ``"dialogue"``: each dialogue is cut into runs of ``run_length``
        consecutive turns (at a random offset), the runs shuffled and the
        sequence cut into batches: most context turns are in the batch anyway
        (every distinct bag is encoded once per batch), while a batch mixes many
        dialogues.  ``"length"``: shuffled, sorted within pools of
        ``pool_batches`` batches by bag length and cut (little padding).
        Batch order is shuffled in both.
    rng : numpy.random.Generator
        The epoch's source of randomness.
    pool_batches : int, default=50
        Pool size of the length bucketing.
    run_length : int, default=4
        Turns per run for ``"dialogue"`` batching.

    Returns
    -------
    batches : list of ndarray of int
    """
    n, bs = len(lengths), batch_size
    if batching == "dialogue" and groups is not None:
        order = np.lexsort((np.arange(n), groups))
        starts = np.flatnonzero(np.r_[True, groups[order][1:] != groups[order][:-1]])
        sizes = np.diff(np.r_[starts, n])
        position = np.arange(n) - np.repeat(starts, sizes)
        offset = rng.integers(0, run_length, size=len(starts))
        run_id = np.repeat(np.arange(len(starts)), sizes) * n + \
            (position + np.repeat(offset, sizes)) // run_length
        runs, run_of = np.unique(run_id, return_inverse=True)
        rank = rng.permutation(len(runs))[run_of]
        order = order[np.lexsort((np.arange(n), rank))]
        batches = [order[i:i + bs] for i in range(0, n, bs)]
    else:
        perm = rng.permutation(n)
        pool = bs * pool_batches
        batches = []
        for start in range(0, n, pool):
            chunk = perm[start:start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i:i + bs] for i in range(0, len(chunk), bs))
    return [batches[k] for k in rng.permutation(len(batches))]


def collate(table, rows, use_context, *, gap=2, padded=False):
    """The network's input arrays for the rows ``rows`` of ``table``.

    Parameters
    ----------
    table : BagTable
        The bags.
    rows : array-like of int
        Positions of the batch's rows in ``table``.
    use_context : bool
        Whether the rows' context turns are part of the batch.
    gap : int, default=2
        Zero frames between the bags' frame sequences (see :func:`pack_bags`).
    padded : bool, default=False
        The exported graph's layout (see :func:`pack_bags`).

    Returns
    -------
    batch : dict of ndarray
        As :func:`pack_bags` gives it, for the samples ``rows``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    refs = {"current": rows}
    if use_context:
        refs["previous"] = table.previous[rows]
        refs["interlocutor"] = table.interlocutor[rows]
    return pack_bags(table, refs, gap=gap, padded=padded)


def pack_bags(table, refs, *, gap=2, padded=False):
    """The one batch layout: the bags the samples refer to, each once, and the references.

    The frames of every distinct bag the samples need are copied once, one bag
    after the other with at least ``gap`` zero frames before, between and after
    them (so a convolution of that reach never mixes two utterances), each bag
    starting at a multiple of the segments' stride, and each segment is given
    by its first frame; each sample's inputs index into the distinct bags.

    Parameters
    ----------
    table : BagTable
        The bags.
    refs : dict of str to array-like of int
        Per role (``"current"``, and optionally ``"previous"`` and
        ``"interlocutor"``), each sample's bag in ``table.bags`` (-1: none).
    gap : int, default=2
        Zero frames around each bag's frames: at least the reach of the
        segment encoder's widest convolution (``dilation * (kernel_size // 2)``).
    padded : bool, default=False
        Also give ``bag_index`` and always every role, with at least one
        segment (the exported graph's fixed inputs); False gives what
        :meth:`~sklearn_maec.model.nn.MAECNetwork.encode` takes.

    Returns
    -------
    batch : dict of ndarray
        ``frames`` (T, L) float32, the bags' frames and the zero gaps;
        ``frame_valid`` (T,) bool, False on the gaps; ``segment_starts`` (N,)
        int64, each segment's first frame in ``frames`` (bag after bag);
        ``segment_frames`` (N,) int64, its true frames (W except the single,
        shorter segment of a short utterance); ``bag_lengths`` (U,) int64,
        segments per distinct bag; per role of ``refs`` (every role when
        ``padded``) its (B,) int64 indices into the distinct bags (-1: none);
        with ``padded``, ``bag_index`` (U, S) int64, per distinct bag and slot
        its segment's row in ``segment_starts`` (-1 for padding).
    """
    refs = {role: np.asarray(ref, dtype=np.int64) for role, ref in refs.items()}
    n_samples = len(refs["current"])
    distinct = np.unique(np.concatenate([r[r >= 0] for r in refs.values()]))
    lengths = table.n_segments[distinct]
    W, S = table.window_frames, table.stride_frames
    used = [table.frames[b] if n else table.frames[b][:0] for b, n in zip(distinct, lengths,
                                                                         strict=True)]
    offsets, end = _offsets([len(f) for f in used], lengths, W, S, gap)
    # at least one window of frames: the exported graph pools windows even of empty batches
    frames = np.zeros((max(end, W if padded else 1), table.n_lld), dtype=np.float32)
    valid = np.zeros(len(frames), dtype=bool)
    starts, counts = [], []
    for f, first, n in zip(used, offsets, lengths, strict=True):
        frames[first:first + len(f)] = f
        valid[first:first + len(f)] = True
        starts.append(first + S * np.arange(n, dtype=np.int64))
        counts.append(np.full(n, min(W, len(f)), dtype=np.int64))
    starts = np.concatenate(starts) if starts else np.empty(0, np.int64)
    counts = np.concatenate(counts) if counts else np.empty(0, np.int64)
    if padded and not len(starts):  # the graph always gathers at least one segment
        starts, counts = np.zeros(1, np.int64), np.ones(1, np.int64)
    batch = {"frames": frames, "frame_valid": valid, "segment_starts": starts,
             "segment_frames": counts, "bag_lengths": lengths}
    for role in ("current", "previous", "interlocutor"):
        if role not in refs and not padded:
            continue
        ref = refs.get(role, np.full(n_samples, -1, np.int64))
        batch[role] = np.where(ref >= 0, np.searchsorted(distinct, np.maximum(ref, 0)),
                               -1).astype(np.int64)
    if padded:
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        slots = np.arange(max(int(lengths.max(initial=0)), 1))[None, :]
        batch["bag_index"] = np.where(slots < lengths[:, None], first[:, None] + slots, -1)
    return batch


def _offsets(n_frames, n_segments, window, stride, gap):
    """Where each bag's frames start in the layout, and the layout's length.

    Each bag starts at a multiple of ``stride`` (so every segment does: a pooling
    of stride ``stride`` then covers them all) with ``gap`` zero frames before
    it; a short bag (fewer frames than a window) is followed by zeros up to its
    window's end; the layout ends after the last window and ``gap`` zeros.
    """
    def aligned(position):
        return -(-position // stride) * stride

    offsets, position = [], aligned(gap)
    for m, n in zip(n_frames, n_segments, strict=True):
        offsets.append(position)
        covered = position + max(m, window if n else 0)
        position = aligned(max(position + m + gap, covered))
    end = max(position, (offsets[-1] + window) if offsets else 0)
    return np.asarray(offsets, dtype=np.int64), int(end)
