"""Per-descriptor standardisation of the frames: over the whole corpus, or per group.

The segmenter's ``standardize`` is True (the statistics of every training
frame), False (openSMILE's values) or the name of a column (each group of rows
sharing its value, e.g. a corpus or a speaker, with its own statistics; a group
unseen in fit with the statistics of its rows at transform).
"""

import numpy as np

__all__ = ["moments", "fit_statistics", "standardizers"]


def moments(frames, n_lld):
    """Per-LLD mean and standard deviation (1 where constant) of a list of frame matrices."""
    s1 = np.zeros(n_lld)
    s2 = np.zeros(n_lld)
    n = 0
    for f in frames:
        f = f.astype(np.float64)
        s1 += f.sum(axis=0)
        s2 += np.square(f).sum(axis=0)
        n += f.shape[0]
    mean = s1 / max(n, 1)
    scale = np.sqrt(np.maximum(s2 / max(n, 1) - mean**2, 0.0))
    scale[scale < 1e-8 * np.maximum(1.0, np.abs(mean))] = 1.0
    return mean, scale


def fit_statistics(frames, groups, n_lld, standardize):
    """The fitted statistics of the segmenter, as its attributes.

    Parameters
    ----------
    frames : list of ndarray or None
        Per source its frames (None: the extraction failed).
    groups : list or None
        Per source its group (None unless ``standardize`` names a column).
    n_lld : int
        Descriptors per frame.
    standardize : bool or str
        The segmenter's parameter.

    Returns
    -------
    attributes : dict
        ``mean_``, ``scale_``, ``groups_``, ``group_mean_``, ``group_scale_``.
    """
    ok = [f for f in frames if f is not None]
    if standardize:
        mean, scale = moments(ok, n_lld)
    else:
        mean, scale = np.zeros(n_lld), np.ones(n_lld)
    names, means, scales = [], np.empty((0, n_lld)), np.empty((0, n_lld))
    if groups is not None:
        names = sorted(set(groups), key=lambda g: (type(g).__name__, g))
        stats = [moments([f for f, g in zip(frames, groups, strict=True)
                          if f is not None and g == name], n_lld) for name in names]
        means = np.array([m for m, _ in stats]).reshape(-1, n_lld)
        scales = np.array([s for _, s in stats]).reshape(-1, n_lld)
    group_names = np.empty(len(names), dtype=object)
    group_names[:] = names
    return {"mean_": mean.astype(np.float32), "scale_": scale.astype(np.float32),
            "groups_": group_names, "group_mean_": means.astype(np.float32),
            "group_scale_": scales.astype(np.float32)}


def standardizers(fitted, frames, groups, standardize):
    """Per source, the ``(mean, scale)`` its frames are standardised with (None: as they are).

    Parameters
    ----------
    fitted : OpenSmileSegmenter
        Fitted: its ``mean_``, ``scale_``, ``groups_``, ``group_mean_`` and
        ``group_scale_`` are read.
    frames : list of ndarray or None
        Per source its frames (None: the extraction failed).
    groups : list or None
        Per source its group (None unless ``standardize`` names a column).
    standardize : bool or str
        The segmenter's parameter.

    Returns
    -------
    stats : list of (ndarray, ndarray) or None
        One per source.
    lonely : list of object
        Groups unseen in fit that hold a single utterance here (their own level
        and pitch are removed: the caller warns).
    """
    if not standardize:
        return [None] * len(frames), []
    if groups is None:
        return [(fitted.mean_, fitted.scale_)] * len(frames), []
    known = {g: k for k, g in enumerate(fitted.groups_)}
    stats, new = {}, {}
    for k, g in enumerate(groups):
        if g in known:
            stats[g] = (fitted.group_mean_[known[g]], fitted.group_scale_[known[g]])
        else:
            new.setdefault(g, []).append(k)
    lonely = []
    for g, members in new.items():
        own = [frames[k] for k in members if frames[k] is not None]
        if not own:
            continue  # every source of the group failed: nothing to standardise
        mean, scale = moments(own, fitted.mean_.shape[0])
        stats[g] = (mean.astype(np.float32), scale.astype(np.float32))
        if len(own) == 1:
            lonely.append(g)
    return [stats.get(g) for g in groups], lonely
