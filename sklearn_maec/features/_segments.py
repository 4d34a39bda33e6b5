"""The segmentation of an utterance's frames into its bag of overlapping segments.

:class:`Segmentation` is the one place where seconds become frames and where a
frame matrix becomes its bag (a strided view).  It is also the declared half of
the frame-to-bag contract: a segmenter attaches its fitted segmentation to the
table it returns (``Xt.attrs["segmentation"]``, :meth:`Segmentation.attach`),
and every reader (the classifier, the displays, the metrics, the exported
runtime) takes the frame step, window and stride from there
(:meth:`Segmentation.of`), never from the memory layout of the bags.
"""

import math
import numbers
from dataclasses import asdict, dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Segmentation", "SEGMENTATION_ATTR", "AUDIO_COLUMN", "audio_columns", "bag_columns",
           "cut_segments", "n_segments", "stored_segmentation", "SegmentationMixin"]

#: The key of :attr:`pandas.DataFrame.attrs` under which a table of bags declares its
#: :class:`Segmentation` (written by the segmenters, read by everything downstream).
SEGMENTATION_ATTR = "segmentation"
#: The column of each row's own audio.  A segmenter extracts it and every other column named
#: ``<prefix>audio`` (e.g. ``previous_audio``) alike, into ``<prefix>frames`` and
#: ``<prefix>segments``.
AUDIO_COLUMN = "audio"


def audio_columns(columns):
    """The audio columns the segmenter extracts: ``audio``, then every other ``*_audio`` column.

    Parameters
    ----------
    columns : iterable of str
        Column names of ``X``.

    Returns
    -------
    columns : list of str
        ``"audio"`` first (whether or not it is among ``columns``), then the
        other names that end in ``"_audio"``, in their order.
    """
    return [AUDIO_COLUMN] + [c for c in columns if isinstance(c, str) and c != AUDIO_COLUMN
                             and c.endswith("_" + AUDIO_COLUMN)]


def bag_columns(audio_column):
    """The ``(frames, segments)`` columns the segmenter gives an audio column.

    ``"audio"`` gives ``("frames", "segments")``, ``"<prefix>audio"`` gives
    ``("<prefix>frames", "<prefix>segments")``.
    """
    prefix = audio_column[: -len(AUDIO_COLUMN)]
    return prefix + "frames", prefix + "segments"


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

    Segment ``k`` of an utterance covers its frames ``[k * stride_frames,
    k * stride_frames + window_frames)``, i.e. the seconds ``[k * stride_frames
    * frame_step, ...)`` from the utterance's start.  A table of bags declares
    the segmentation its ``segments`` were cut with in
    ``X.attrs["segmentation"]`` (see :meth:`attach`); the segmenters do it for
    their output, and bags cut by hand must do it too before they reach the
    classifier when the table holds their ``frames``.

    Parameters
    ----------
    frame_step : float or None
        Seconds between frames (0.01 for openSMILE's sets, 0.02 for a
        pretrained speech encoder).  None: unknown (the classifier's record of
        bags given without a declaration, the numeric array forms); what needs
        seconds (:meth:`segment_times`, the displays) then refuses it.
    window_frames : int
        Frames per segment.
    stride_frames : int
        Frames between the starts of consecutive segments.
    max_segments : int or None, default=None
        At most this many segments per utterance (the first ones).

    Examples
    --------
    Bags cut by hand from frames of 20 ms, declared on the table that holds them:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_maec.features import Segmentation
    >>> seg = Segmentation.from_seconds(window=0.5, stride=0.1, frame_step=0.02)
    >>> seg
    Segmentation(frame_step=0.02, window_frames=25, stride_frames=5, max_segments=None)
    >>> frames = [np.zeros((60, 8), np.float32), np.zeros((30, 8), np.float32)]
    >>> X = pd.DataFrame({"frames": pd.Series(frames, dtype=object)})
    >>> X["segments"] = [seg.cut(f) for f in frames]
    >>> X = seg.attach(X)
    >>> Segmentation.of(X) == seg and X.attrs["segmentation"] is seg
    True
    >>> [bag.shape[0] for bag in X["segments"]]
    [8, 2]
    """

    frame_step: float | None
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

        Raises
        ------
        ValueError
            When the frame step is unknown (None).
        """
        if self.frame_step is None:
            raise ValueError(f"{self!r} has no frame step: the segment times are unknown; "
                             "declare the segmentation of the bags with "
                             "Segmentation.from_seconds(window, stride, frame_step)")
        starts = np.arange(n) * self.stride_frames * self.frame_step
        return starts, starts + self.window_frames * self.frame_step

    def to_dict(self):
        """The fields as a JSON-safe dict (:meth:`from_dict` reads it back)."""
        return asdict(self)

    def cuts_like(self, other):
        """Whether bags cut with ``self`` and with ``other`` are the same windows of frames.

        The same window and stride in frames and, where both are known, the same
        frame step; ``max_segments`` (how many segments are kept) is not compared.

        Parameters
        ----------
        other : Segmentation
            The other segmentation.

        Returns
        -------
        same : bool
        """
        steps = (self.frame_step, other.frame_step)
        return (self.window_frames == other.window_frames
                and self.stride_frames == other.stride_frames
                and (None in steps or math.isclose(*steps, rel_tol=1e-9)))

    def check(self):
        """Validate the fields; returns ``self``.

        Returns
        -------
        segmentation : Segmentation
            ``self``.

        Raises
        ------
        ValueError
            When ``window_frames`` or ``stride_frames`` is not an int >= 1,
            ``max_segments`` neither None nor an int >= 1, or ``frame_step``
            neither None nor a positive number of seconds.
        """
        for name in ("window_frames", "stride_frames"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"segmentation.{name} must be an int >= 1, got {value!r}")
        if self.max_segments is not None and not (_is_int(self.max_segments)
                                                  and self.max_segments >= 1):
            raise ValueError("segmentation.max_segments must be None or an int >= 1, got "
                             f"{self.max_segments!r}")
        step = self.frame_step
        if step is not None and not (isinstance(step, numbers.Real) and not isinstance(step, bool)
                                     and math.isfinite(step) and step > 0):
            raise ValueError("segmentation.frame_step must be None or a positive number of "
                             f"seconds, got {step!r}")
        return self

    def attach(self, X):
        """Declare on ``X`` that its bags were cut with this segmentation; returns ``X``.

        Sets ``X.attrs["segmentation"] = self`` (in place: ``X`` itself is
        returned, not a copy).  pandas keeps the declaration through ``copy``,
        ``iloc`` / ``loc`` / boolean masks, ``reset_index``, adding or dropping
        columns, pickling, scikit-learn's cross-validation subsets, and
        ``pd.concat`` of tables that declare the same segmentation; ``pd.concat``
        of tables that declare different ones (or none) and
        ``pd.DataFrame(X)`` drop it.

        Parameters
        ----------
        X : pandas.DataFrame
            The table whose ``segments`` (and ``frames``) columns were cut with
            this segmentation.

        Returns
        -------
        X : pandas.DataFrame
            The same object, now declaring the segmentation.
        """
        import pandas as pd

        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"attach takes a pandas DataFrame, got {type(X).__name__}")
        X.attrs[SEGMENTATION_ATTR] = self.check()
        return X

    @classmethod
    def of(cls, X):
        """The segmentation ``X`` declares (``X.attrs["segmentation"]``), or None.

        Parameters
        ----------
        X : pandas.DataFrame
            A table of bags.

        Returns
        -------
        segmentation : Segmentation or None
            None when ``X`` declares none (or is not a DataFrame).

        Raises
        ------
        TypeError
            When ``X.attrs["segmentation"]`` holds something else than a
            :class:`Segmentation`.
        """
        attrs = getattr(X, "attrs", None)
        value = attrs.get(SEGMENTATION_ATTR) if isinstance(attrs, dict) else None
        if value is None:
            return None
        if not isinstance(value, cls):
            raise TypeError(f"X.attrs[{SEGMENTATION_ATTR!r}] must be a Segmentation, got "
                            f"{type(value).__name__}: declare it with "
                            f"X.attrs[{SEGMENTATION_ATTR!r}] = Segmentation.from_seconds(window, "
                            "stride, frame_step)")
        return value.check()

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


class SegmentationMixin:
    """The fitted segmentation's numbers as read-only attributes.

    ``frame_step_``, ``window_frames_`` and ``stride_frames_`` are views of
    ``segmentation_``, for the estimators that hold a fitted
    :class:`Segmentation` (the segmenters, the classifier): the numbers have
    one home, the record.
    """

    @property
    def frame_step_(self):
        """Seconds between frames (``segmentation_.frame_step``)."""
        return self.segmentation_.frame_step

    @property
    def window_frames_(self):
        """Frames per segment (``segmentation_.window_frames``)."""
        return self.segmentation_.window_frames

    @property
    def stride_frames_(self):
        """Frames between segment starts (``segmentation_.stride_frames``)."""
        return self.segmentation_.stride_frames


def stored_segmentation(fields):
    """The segmentation a model file or an export stored (``Segmentation.to_dict`` fields).

    Parameters
    ----------
    fields : dict
        The stored fitted values: ``segmentation`` (the fields), or, in files
        written before the segmentation was stored, ``window_frames`` and
        ``stride_frames`` (the frame step was not stored: None).

    Returns
    -------
    segmentation : Segmentation
    """
    if "segmentation" in fields:
        return Segmentation.from_dict(fields["segmentation"]).check()
    return Segmentation(None, int(fields["window_frames"]), int(fields["stride_frames"]))


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
