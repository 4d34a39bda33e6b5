"""Cutting a frame matrix into its bag of overlapping segments, as a view."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["cut_segments", "n_segments"]


def n_segments(n_frames, window_frames, stride_frames, max_segments=None):
    """Number of segments :func:`cut_segments` returns for ``n_frames`` frames."""
    if n_frames <= 0:
        n = 0
    elif n_frames < window_frames:
        n = 1
    else:
        n = 1 + (n_frames - window_frames) // stride_frames
    return n if max_segments is None else min(n, max_segments)


def cut_segments(frames, window_frames, stride_frames, max_segments=None):
    """Cut ``frames`` into overlapping segments without copying.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, n_lld)
    window_frames : int
        Frames per segment.
    stride_frames : int
        Frames between the starts of consecutive segments.
    max_segments : int or None
        Keep at most this many segments (the first ones).

    Returns
    -------
    segments : ndarray of shape (n_segments, window_frames, n_lld)
        A read-only strided view of ``frames``.  Trailing frames that do not
        fill a whole window are left out.  Fewer frames than one window give a
        single segment padded with zeros after the true frames (a small copy;
        the true length is ``len(frames)``).  No frames give an empty bag
        of shape ``(0, window_frames, n_lld)``.
    """
    n_frames, n_lld = frames.shape
    if n_frames == 0:
        return np.empty((0, window_frames, n_lld), dtype=frames.dtype)
    if n_frames < window_frames:
        padded = np.zeros((window_frames, n_lld), dtype=frames.dtype)
        padded[:n_frames] = frames
        padded.flags.writeable = False
        return padded[np.newaxis]
    # sliding_window_view puts the window axis last: (n_frames - w + 1, n_lld, w)
    view = sliding_window_view(frames, window_frames, axis=0)[::stride_frames]
    if max_segments is not None:
        view = view[:max_segments]
    return view.transpose(0, 2, 1)
