"""The pipeline's DataFrame as bags and context references (numpy only).

Shared by :class:`~sklearn_maec.MAECClassifier` and the deployment runtime
(:mod:`sklearn_maec.deployment`), which must not need torch or skorch to read
the same rows the same way.
"""

import numpy as np
import pandas as pd

from ._validation import describe_rows

__all__ = ["frame_to_bags", "explicit_context", "encode_gender", "CONTEXT_ROLES"]

CONTEXT_ROLES = ("previous", "interlocutor")
_CONTEXT_ROLES = CONTEXT_ROLES
_GENDER_CODES = {"f": 0, "female": 0, "w": 0, "m": 1, "male": 1}


def frame_to_bags(X, use_context, name):
    """The bags, true frame counts and context references of the pipeline's DataFrame.

    Validates ``X`` (the output of ``OpenSmileSegmenter``, and with context of
    ``ContextTripleBuilder`` or the segmenter's explicit ``*_segments`` columns)
    and returns a dict: ``bags`` (object array of the rows' bags, then any
    extra explicit context bags), ``n_frames``, ``window_frames``, ``n_lld``
    and, when present, ``previous``/``interlocutor``, ``gender``, ``groups``
    and ``n_rows``.  ``name`` names the caller in error messages.
    """
    if "segments" not in X.columns:
        raise ValueError(f"{name}: X has no 'segments' column; put an OpenSmileSegmenter "
                         f"before the classifier (columns present: {list(X.columns)})")
    explicit = all(f"{role}_segments" in X.columns for role in _CONTEXT_ROLES)
    if use_context and not explicit:
        missing = [c for c in _CONTEXT_ROLES if c not in X.columns]
        if missing:
            raise ValueError(f"{name}: X has no {missing} column(s); put a "
                             "ContextTripleBuilder before the classifier, or set "
                             "use_context=False")
    bags = X["segments"].to_numpy(dtype=object)
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
    window_frames, n_lld = shapes.pop()
    if "frames" in X.columns:
        frames = X["frames"].to_numpy(dtype=object)
        n_frames = np.fromiter((len(f) for f in frames), np.int64, len(frames))
        finite_src = frames
    else:
        n_frames = np.fromiter((b.shape[0] and window_frames for b in bags), np.int64,
                               len(bags))
        finite_src = bags
    bad = [i for i, f in enumerate(finite_src) if f.size and not np.isfinite(f).all()]
    if bad:
        raise ValueError(f"{name}: non-finite values (NaN/inf) in the features of "
                         f"{len(bad)} row(s): {describe_rows(X, bad)}")
    out = {"bags": bags, "n_frames": n_frames, "window_frames": window_frames,
           "n_lld": n_lld}
    n = len(X)
    if use_context and explicit:
        out.update(explicit_context(X, bags, n_frames, window_frames))
    elif use_context:
        for col in _CONTEXT_ROLES:
            ref = pd.to_numeric(X[col], errors="coerce").to_numpy()
            if np.isnan(ref).any() or (ref != np.round(ref)).any() or \
                    ((ref < -1) | (ref >= n)).any():
                bad = np.flatnonzero(np.isnan(ref) | (ref < -1) | (ref >= n) |
                                     (ref != np.round(ref)))
                raise ValueError(
                    f"{name}: column {col!r} must hold row positions in [-1, {n - 1}] "
                    f"(from ContextTripleBuilder on this very X); bad rows: "
                    f"{describe_rows(X, bad)}")
            out[col] = ref.astype(np.int64)
    if "gender" in X.columns:
        out["gender"] = encode_gender(X["gender"])
    if "dialogue" in X.columns:
        out["groups"] = pd.factorize(X["dialogue"])[0]
    return out


def explicit_context(X, bags, n_frames, window_frames):
    """Context bags given as columns (``previous_segments``, ``interlocutor_segments``).

    A context bag that is the same object as a row's own bag (the segmenter
    shares them) refers to that row; any other one is appended after the rows,
    so each distinct bag is still encoded once per batch.

    Returns
    -------
    dict
        ``bags``/``n_frames`` extended with the extra bags, and the
        ``previous``/``interlocutor`` indices into them (-1: no context turn).
    """
    all_bags, all_frames = list(bags), list(n_frames)
    index = {id(b): i for i, b in enumerate(bags)}
    out = {}
    for role in _CONTEXT_ROLES:
        ref = np.full(len(X), -1, dtype=np.int64)
        frames_col = X[f"{role}_frames"] if f"{role}_frames" in X.columns else None
        for i, bag in enumerate(X[f"{role}_segments"]):
            if not isinstance(bag, np.ndarray) or bag.shape[0] == 0:
                continue  # no such turn (or it failed): an empty context
            if bag.ndim != 3 or bag.shape[1:] != bags[0].shape[1:]:
                expected = ", ".join(map(str, bags[0].shape[1:]))
                raise ValueError(f"{role}_segments of row {describe_rows(X, [i])} has shape "
                                 f"{bag.shape}; expected (n, {expected})")
            k = index.get(id(bag))
            if k is None:
                k = index[id(bag)] = len(all_bags)
                all_bags.append(bag)
                all_frames.append(len(frames_col.iloc[i]) if frames_col is not None
                                  else window_frames)
            ref[i] = k
        out[role] = ref
    bag_array = np.empty(len(all_bags), dtype=object)
    bag_array[:] = all_bags
    out["bags"] = bag_array
    out["n_frames"] = np.asarray(all_frames, dtype=np.int64)
    out["n_rows"] = len(X)
    return out


def encode_gender(values):
    """Map gender strings to 0 (F) / 1 (M) / -1 (unknown)."""
    out = np.full(len(values), -1, np.int64)
    for i, v in enumerate(values):
        if isinstance(v, str):
            out[i] = _GENDER_CODES.get(v.strip().lower(), -1)
    return out
