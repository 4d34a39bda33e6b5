"""The segmentation of an utterance's frames into its bag of overlapping segments.

:class:`Segmentation` is the one place where seconds become frames and where a
frame matrix becomes its bag (a strided view); the segmenter holds the fitted
one (``segmentation_``) and every reader (the classifier's bag shape, the
displays, the exported metadata) takes its numbers from it.
"""

from dataclasses import asdict, dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Segmentation", "cut_segments", "n_segments"]


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


@dataclass(frozen=True)
class Segmentation:
    """How frames are cut into segments: the frame step, window and stride in frames.

    Parameters
    ----------
    frame_step : float
        Seconds between frames (0.01 for openSMILE's sets).
    window_frames : int
        Frames per segment.
    stride_frames : int
        Frames between the starts of consecutive segments.
    max_segments : int or None, default=None
        At most this many segments per utterance (the first ones).
    """

    frame_step: float
    window_frames: int
    stride_frames: int
    max_segments: int | None = None

    @classmethod
    def from_seconds(cls, window, stride, frame_step, max_segments=None):
        """The segmentation of ``window`` / ``stride`` seconds at ``frame_step``.

        The one place where seconds become frames (rounded to the nearest frame).

        Parameters
        ----------
        window : float
            Segment length in seconds.
        stride : float
            Seconds between the starts of consecutive segments.
        frame_step : float
            Seconds between frames.
        max_segments : int or None, default=None
            At most this many segments per utterance.

        Returns
        -------
        segmentation : Segmentation

        Raises
        ------
        ValueError
            When the window or the stride is shorter than one frame step.
        """
        window_frames = int(round(window / frame_step))
        stride_frames = int(round(stride / frame_step))
        if window_frames < 1 or stride_frames < 1:
            raise ValueError(f"window={window} s and stride={stride} s must each be at least "
                             f"one frame step ({frame_step} s)")
        return cls(float(frame_step), window_frames, stride_frames, max_segments)

    def n_segments(self, n_frames):
        """Segments in the bag of an utterance of ``n_frames`` frames.

        Parameters
        ----------
        n_frames : int
            Frames of the utterance.

        Returns
        -------
        n_segments : int
        """
        return n_segments(n_frames, self.window_frames, self.stride_frames, self.max_segments)

    def cut(self, frames):
        """The bag of ``frames``: a read-only strided view (see :func:`cut_segments`).

        Parameters
        ----------
        frames : ndarray of shape (n_frames, n_lld)
            The utterance's frames.

        Returns
        -------
        segments : ndarray of shape (n_segments, window_frames, n_lld)
        """
        return cut_segments(frames, self.window_frames, self.stride_frames, self.max_segments)

    def segment_times(self, n):
        """Start and end of the first ``n`` segments of an utterance.

        Parameters
        ----------
        n : int
            Number of segments.

        Returns
        -------
        starts, ends : ndarray of shape (n,)
            Seconds from the start of the utterance.
        """
        starts = np.arange(n) * self.stride_frames * self.frame_step
        return starts, starts + self.window_frames * self.frame_step

    def to_dict(self):
        """The fields as a JSON-safe dict (:meth:`from_dict` reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, fields):
        """A segmentation from :meth:`to_dict`'s output.

        Parameters
        ----------
        fields : dict
            The fields, by name.

        Returns
        -------
        segmentation : Segmentation
        """
        return cls(**fields)
