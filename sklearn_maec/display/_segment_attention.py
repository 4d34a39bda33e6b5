"""SegmentAttentionDisplay: which moments of an utterance the model attends to."""

import numbers

import numpy as np

from ..features import Segmentation
from ._base import check_fitted_model, pyplot, split_estimator, transform

__all__ = ["SegmentAttentionDisplay"]


class SegmentAttentionDisplay:
    """Which moments of an utterance the model attends to.

    MAEC reads an utterance as a bag of overlapping segments (multi-instance
    learning) and pools them with attention; the weights say which segments
    the model found salient.  This display draws the utterance's waveform (or
    its spectrogram, or, without audio, its openSMILE frames as a heat map)
    above the attention weight of every segment, as a bar at the segment's place in time (centred
    on the segment, one stride wide).  The span of the most attended segment is
    shaded on the signal, and a dashed line marks uniform attention
    ``1 / n_segments``.

    Segment ``k`` covers frames ``[k * stride_frames, k * stride_frames +
    window_frames)`` of the ``segmentation``, each frame ``frame_step`` seconds
    after the previous one.  With ``spans`` (the ground truth of a generated
    corpus, its ``salient_spans`` column) the salient stretches are shaded on
    the attention axes.

    Use :meth:`from_estimator` rather than the constructor.  All parameters
    are stored as attributes.

    Parameters
    ----------
    attention : array-like of shape (n_segments,)
        The attention weight of each segment (they sum to 1).
    segmentation : Segmentation
        How the utterance's frames were cut into segments: what the segmented
        table declares (``Xt.attrs["segmentation"]``, the fitted segmenter's
        ``segmentation_``).  Its frame step must be known.
    audio : array-like of shape (n_samples,) or None, default=None
        The utterance's samples, drawn as a waveform or a spectrogram.
    sampling_rate : float or None, default=None
        Samples per second of ``audio`` (required with it).
    frames : array-like of shape (n_frames, n_lld) or None, default=None
        The utterance's frames, drawn as a heat map when there is no audio.
    y_true : object or None, default=None
        The true emotion, shown in the title.
    y_pred : object or None, default=None
        The predicted emotion, shown in the title.
    title : str or None, default=None
        Title; None builds one from ``y_true`` and ``y_pred``.
    spans : sequence of (float, float) or None, default=None
        Salient stretches of the utterance, ``(start, end)`` in seconds, shaded
        under the attention (e.g. a row of a generated corpus's
        ``salient_spans`` column); None or empty shades nothing.

    Attributes
    ----------
    bars_ : matplotlib.container.BarContainer
        One bar per segment; its heights are the attention weights.
    segment_times_ : ndarray of shape (n_segments, 2)
        Start and end of each segment, in seconds.
    spread_ : matplotlib.patches.StepPatch
        The attention spread over time: at each frame, the weights of the
        segments covering it times ``stride_frames / window_frames`` (a step
        curve from the first segment's start to the last one's end, at the
        same level as the bars for uniform attention).
    uniform_line_ : matplotlib.lines.Line2D
        The level of uniform attention, ``1 / n_segments``.
    signal_ : matplotlib.lines.Line2D, matplotlib.collections.QuadMesh, \
matplotlib.image.AxesImage or None
        The waveform, the spectrogram (in dB) or the frames' heat map (None
        when no signal is drawn).
    highlight_ : matplotlib.patches.Patch or None
        The shaded span of the most attended segment on the signal.
    span_patches_ : list of matplotlib.patches.Patch
        The shaded ``spans`` on the attention axes (empty without spans).
    ax_ : matplotlib.axes.Axes
        The axes of the attention bars.
    signal_ax_ : matplotlib.axes.Axes or None
        The axes of the signal.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    sklearn_maec.MAECClassifier.segment_attention : Computes the weights.
    sklearn_maec.OpenSmileSegmenter : Cuts the segments.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn_maec.display import SegmentAttentionDisplay
    >>> from sklearn_maec.features import Segmentation
    >>> attention = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    >>> segmentation = Segmentation(frame_step=0.01, window_frames=50, stride_frames=10)
    >>> disp = SegmentAttentionDisplay(attention, segmentation=segmentation,
    ...                                spans=[(0.2, 0.6)]).plot()
    >>> disp.segment_times_[-1]  # the last segment: frames 40-89
    array([0.4, 0.9])
    >>> len(disp.span_patches_)
    1
    >>> plt.close(disp.figure_)

    With a fitted pipeline, for the utterance at position 3 of ``X`` (``X``
    holding its dialogue, for the context turns):

    >>> SegmentAttentionDisplay.from_estimator(pipe, X, 3, y=y)  # doctest: +SKIP
    """

    def __init__(self, attention, *, segmentation, audio=None, sampling_rate=None, frames=None,
                 y_true=None, y_pred=None, title=None, spans=None):
        self.attention = attention
        self.segmentation = segmentation
        self.audio = audio
        self.sampling_rate = sampling_rate
        self.frames = frames
        self.y_true = y_true
        self.y_pred = y_pred
        self.title = title
        self.spans = spans

    def plot(self, *, ax=None, signal="auto", bar_kwargs=None, max_frequency=8000.0,
             dynamic_range=70.0):
        """Draw the signal and the attention bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, pair of Axes or None, default=None
            Where to draw: None creates a figure with the signal above the
            attention; a pair of Axes gives (signal, attention); a single Axes
            is split into those two (or holds the attention alone when no
            signal is drawn).
        signal : {"auto", "waveform", "spectrogram", "frames"} or None, default="auto"
            What to draw above the attention: the waveform or the spectrogram
            (25 ms Hann windows every 10 ms, in dB, the top ``dynamic_range``
            dB shown; both need ``audio``), the frames' heat map (needs
            ``frames``), the first of the waveform and the frames that is
            available (``"auto"``), or nothing.
        bar_kwargs : dict or None, default=None
            Extra keyword arguments of :meth:`matplotlib.axes.Axes.bar`.
        max_frequency : float or None, default=8000.0
            Highest frequency of the spectrogram, in Hz (None: half the
            sampling rate); ignored for the other signals.
        dynamic_range : float, default=70.0
            Decibels below the spectrogram's maximum drawn (quieter cells
            are clipped to the colour of the floor); ignored for the other
            signals.

        Returns
        -------
        display : SegmentAttentionDisplay
            The display, with the artists as attributes.
        """
        plt = pyplot(f"{type(self).__name__}.plot")
        attention = np.asarray(self.attention, dtype=float).ravel()
        n = len(attention)
        if n == 0:
            raise ValueError("attention is empty: the utterance has no segment (failed "
                             "extraction?)")
        seg = self.segmentation
        if not isinstance(seg, Segmentation):
            raise TypeError(f"segmentation must be a Segmentation, got {type(seg).__name__}")
        seg.check()
        if seg.frame_step is None:
            raise ValueError(f"{seg!r} has no frame step, so the segments have no time: "
                             "declare how the bags were cut, X.attrs['segmentation'] = "
                             "Segmentation.from_seconds(window, stride, frame_step)")
        kind = self._signal_kind(signal)
        starts, ends = seg.segment_times(n)
        self.segment_times_ = np.column_stack([starts, ends])
        fig, sig_ax, att_ax = _attention_axes(plt, ax, kind)

        self.signal_, self.highlight_ = None, None
        duration = max(ends[-1], self._draw_signal(sig_ax, kind, max_frequency, dynamic_range))
        if sig_ax is not None:
            best = int(np.argmax(attention))
            span = {"facecolor": "C3", "alpha": 0.18, "linewidth": 0} if kind == "waveform" \
                else {"fill": False, "edgecolor": "cyan" if kind == "spectrogram" else "black",
                      "linewidth": 2}
            self.highlight_ = sig_ax.axvspan(starts[best], ends[best], **span,
                                             label=f"most attended segment ({starts[best]:.2f}-"
                                                   f"{ends[best]:.2f} s)")
            sig_ax.legend(loc="upper right", fontsize="x-small", framealpha=0.85)
            sig_ax.tick_params(labelbottom=False)
            sig_ax.set_xlim(0, duration)
        self._draw_attention(att_ax, attention, starts, ends, bar_kwargs)
        att_ax.set_xlim(0, duration)
        (sig_ax if sig_ax is not None else att_ax).set_title(self._title(n), fontsize="medium")
        self.ax_, self.signal_ax_, self.figure_ = att_ax, sig_ax, fig
        return self

    def _draw_signal(self, sig_ax, kind, max_frequency, dynamic_range):
        """Draw the waveform, spectrogram or frames; returns their duration in seconds."""
        if kind in ("waveform", "spectrogram"):
            audio = np.asarray(self.audio, dtype=float).ravel()
            rate = float(self.sampling_rate)
            if kind == "spectrogram":
                self.signal_ = _draw_spectrogram(sig_ax, audio, rate, max_frequency,
                                                 dynamic_range)
                return len(audio) / rate
            t = np.arange(len(audio)) / rate
            (self.signal_,) = sig_ax.plot(t, audio, color="0.25", linewidth=0.5)
            peak = float(np.max(np.abs(audio))) if len(audio) else 1.0
            sig_ax.set_ylim(-1.1 * peak or -1, 1.1 * peak or 1)
            sig_ax.set_ylabel("amplitude")
            return len(audio) / rate
        if kind == "frames":
            step = self.segmentation.frame_step
            frames = np.asarray(self.frames, dtype=float)
            limit = float(np.nanpercentile(np.abs(frames), 98)) if frames.size else 1.0
            self.signal_ = sig_ax.imshow(
                frames.T, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-limit,
                vmax=limit, interpolation="nearest",
                extent=(0, len(frames) * step, -0.5, frames.shape[1] - 0.5))
            sig_ax.set_ylabel("descriptor")
            return len(frames) * step
        return 0.0

    def _draw_attention(self, att_ax, attention, starts, ends, bar_kwargs):
        """The bars, the spread over time, the uniform level and the shaded spans."""
        seg, n = self.segmentation, len(attention)
        stride, window, step = seg.stride_frames, seg.window_frames, seg.frame_step
        # attention spread over each segment's span, per frame: the segments covering a
        # frame share out their weight, scaled by the overlap so that the level of uniform
        # attention is the same 1 / n_segments as for the bars
        last = (n - 1) * stride + window
        density = np.zeros(last)
        for k, weight in enumerate(attention):
            density[k * stride:k * stride + window] += weight
        density *= stride / window
        self.spread_ = att_ax.stairs(density, np.arange(last + 1) * step, color="C1",
                                     linewidth=1.5, zorder=3, label="spread over segment spans")
        kw = {"color": "C0", "alpha": 0.85, "edgecolor": "white", "linewidth": 0.3}
        kw.update(bar_kwargs or {})
        self.bars_ = att_ax.bar((starts + ends) / 2, attention, width=stride * step,
                                align="center", label="attention per segment", **kw)
        self.uniform_line_ = att_ax.axhline(1.0 / n, color="0.3", linestyle="--", linewidth=1,
                                            label=f"uniform (1/{n})")
        self.span_patches_ = [
            att_ax.axvspan(float(a), float(b), facecolor="C2", alpha=0.2, linewidth=0,
                           zorder=0, label="salient span (ground truth)" if k == 0 else None)
            for k, (a, b) in enumerate(self.spans or ())]
        att_ax.set_ylim(0, max(attention.max(), density.max(), 1.0 / n) * 1.45)
        att_ax.set_xlabel("time (s)")
        att_ax.set_ylabel("attention")
        att_ax.legend(loc="upper center", ncols=3, fontsize="x-small", framealpha=0.85)

    def _title(self, n):
        if self.title is not None:
            return self.title
        seg = self.segmentation
        parts = []
        if self.y_true is not None:
            parts.append(f"true: {self.y_true}")
        if self.y_pred is not None:
            parts.append(f"predicted: {self.y_pred}")
        parts.append(f"{n} segments of {seg.window_frames * seg.frame_step:g} s every "
                     f"{seg.stride_frames * seg.frame_step:g} s")
        return ", ".join(parts)

    def _signal_kind(self, signal):
        has_audio = self.audio is not None
        has_frames = self.frames is not None and np.asarray(self.frames).size > 0
        if signal == "auto":
            return "waveform" if has_audio else ("frames" if has_frames else None)
        if signal in ("waveform", "spectrogram"):
            if not has_audio:
                raise ValueError(f"signal={signal!r} needs audio")
        elif signal == "frames":
            if not has_frames:
                raise ValueError("signal='frames' needs frames")
        elif signal is not None:
            raise ValueError(f"signal must be 'auto', 'waveform', 'spectrogram', 'frames' or "
                             f"None, got {signal!r}")
        if signal in ("waveform", "spectrogram") and self.sampling_rate is None:
            raise ValueError("audio needs a sampling_rate")
        return signal

    @classmethod
    def from_estimator(cls, estimator, X, index, *, y=None, signal="auto", ax=None,
                       bar_kwargs=None, max_frequency=8000.0, dynamic_range=70.0):
        """Plot the attention a fitted model gives the segments of one utterance.

        Parameters
        ----------
        estimator : Pipeline or MAECClassifier
            A fitted pipeline (an :class:`~sklearn_maec.OpenSmileSegmenter`,
            usually a :class:`~sklearn_maec.ContextTripleBuilder`, and a
            :class:`~sklearn_maec.MAECClassifier` last), or a bare classifier
            when ``X`` is already transformed.  The segment times come from
            the segmentation the transformed ``X`` declares
            (``attrs["segmentation"]``), else the classifier's
            ``segmentation_``.  When ``X`` has a ``salient_spans`` column (a
            generated corpus), the row's spans are shaded.
        X : pandas.DataFrame
            Utterances, including the one to plot and its context turns
            (e.g. its whole dialogue): the context is looked up within ``X``.
        index : int
            Position (as in ``iloc``) of the utterance in ``X``; negative
            values count from the end.
        y : array-like of shape (n_samples,) or None, default=None
            Emotion labels of ``X``; the true label goes into the title.
        signal : {"auto", "waveform", "spectrogram", "frames"} or None, default="auto"
            What to draw above the attention (see :meth:`plot`).  The waveform
            and the spectrogram come from the row's ``audio`` (an array with
            ``sampling_rate``, or a file path).
        ax : matplotlib.axes.Axes, pair of Axes or None, default=None
            Where to draw (see :meth:`plot`).
        bar_kwargs : dict or None, default=None
            Extra keyword arguments of the bars.
        max_frequency : float or None, default=8000.0
            Highest frequency of the spectrogram, in Hz (see :meth:`plot`).
        dynamic_range : float, default=70.0
            Decibels of the spectrogram drawn (see :meth:`plot`).

        Returns
        -------
        display : SegmentAttentionDisplay
            The plotted display.

        Raises
        ------
        IndexError
            If ``index`` is not a position of ``X``.
        """
        import pandas as pd

        caller = f"{cls.__name__}.from_estimator"
        pyplot(caller)
        transformers, model = split_estimator(estimator, caller)
        if not hasattr(model, "segment_attention"):
            raise TypeError(f"{caller}: the (last step of the) estimator must have a "
                            f"segment_attention method, got {type(model).__name__}")
        check_fitted_model(model, transformers)  # a clear NotFittedError before any work
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"{caller}: X must be a DataFrame of utterances, got "
                            f"{type(X).__name__}")
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise TypeError(f"index must be an int position, got {index!r}")
        n = len(X)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for X with {n} rows")
        index = int(index) % n
        if y is not None:
            y = np.asarray(y)
            if len(y) != n:
                raise ValueError(f"X has {n} rows but y has {len(y)}")

        Xt = transform(transformers, X)
        attention = model.segment_attention(Xt)[index]
        y_pred = model.predict(Xt)[index]

        segmentation = Segmentation.of(Xt)
        if segmentation is None:  # bags without a declaration: as the classifier read them
            segmentation = model.segmentation_
        row = Xt.iloc[index]
        frames = row["frames"] if "frames" in Xt.columns else None
        spans = X["salient_spans"].iloc[index] if "salient_spans" in X.columns else None

        audio = rate = None
        if signal in ("auto", "waveform", "spectrogram") and "audio" in X.columns:
            audio, rate = _row_audio(X, index, signal in ("waveform", "spectrogram"))
        return cls(attention, segmentation=segmentation, audio=audio, sampling_rate=rate,
                   frames=frames, y_true=None if y is None else y[index], y_pred=y_pred,
                   spans=spans).plot(
            ax=ax, signal=signal, bar_kwargs=bar_kwargs, max_frequency=max_frequency,
            dynamic_range=dynamic_range)


def _attention_axes(plt, ax, kind):
    """``(figure, signal axes or None, attention axes)`` to draw the attention display on."""
    if ax is None:
        if kind is None:
            fig, att_ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
            return fig, None, att_ax
        fig, (sig_ax, att_ax) = plt.subplots(2, 1, figsize=(8, 4.2), sharex=True,
                                             height_ratios=(1.6, 1), layout="constrained")
        return fig, sig_ax, att_ax
    if isinstance(ax, (list, tuple, np.ndarray)):
        if len(ax) != 2:
            raise ValueError(f"ax must be one Axes or a pair (signal, attention), got {len(ax)}")
        sig_ax, att_ax = ax
        if kind is None:
            sig_ax.set_axis_off()
            sig_ax = None
        return att_ax.figure, sig_ax, att_ax
    if kind is None:
        return ax.figure, None, ax
    sig_ax, att_ax = _split_axes(ax)
    return ax.figure, sig_ax, att_ax


def _split_axes(ax):
    """Two stacked Axes (signal above, attention below) in the area of ``ax``."""
    fig = ax.figure
    spec = ax.get_subplotspec()
    ax.set_axis_off()
    if spec is not None:
        sub = spec.subgridspec(2, 1, height_ratios=(1.6, 1), hspace=0.08)
        top = fig.add_subplot(sub[0])
        bottom = fig.add_subplot(sub[1], sharex=top)
    else:
        x0, y0, w, h = ax.get_position().bounds
        bottom = fig.add_axes((x0, y0, w, 0.38 * h))
        top = fig.add_axes((x0, y0 + 0.42 * h, w, 0.58 * h), sharex=bottom)
    return top, bottom


def _draw_spectrogram(ax, audio, rate, max_frequency, dynamic_range):
    """Draw the spectrogram of ``audio`` in dB on ``ax`` (25 ms Hann windows every 10 ms)."""
    from scipy.signal import spectrogram

    if not dynamic_range > 0:
        raise ValueError(f"dynamic_range must be > 0, got {dynamic_range!r}")
    nperseg = max(min(int(round(0.025 * rate)), len(audio)), 2)
    hop = max(int(round(0.010 * rate)), 1)
    nfft = max(512, 1 << (nperseg - 1).bit_length())
    if len(audio) < 2:
        audio = np.zeros(nperseg)
    freqs, times, power = spectrogram(audio, rate, window="hann", nperseg=nperseg,
                                      noverlap=max(nperseg - hop, 0), nfft=nfft)
    power_db = 10 * np.log10(power + 1e-12)
    top = float(power_db.max())
    mesh = ax.pcolormesh(times, freqs / 1000, power_db, shading="auto", cmap="magma",
                         vmin=top - float(dynamic_range), vmax=top, rasterized=True)
    high = rate / 2 if max_frequency is None else min(float(max_frequency), rate / 2)
    ax.set_ylim(0, high / 1000)
    ax.set_ylabel("frequency (kHz)")
    return mesh


def _row_audio(X, index, required):
    """The samples and rate of row ``index``'s audio, or ``(None, None)``."""
    from ..features._audio import as_mono_float32, read_audio

    audio = X["audio"].iloc[index]
    try:
        if isinstance(audio, (str, bytes)) or hasattr(audio, "__fspath__"):
            signal, rate, _ = read_audio(audio)
            return signal, rate
        rate = X["sampling_rate"].iloc[index] if "sampling_rate" in X.columns else None
        if rate is None or (isinstance(rate, float) and np.isnan(rate)):
            raise ValueError("an audio array needs a sampling_rate column")
        signal, _ = as_mono_float32(audio)
        return signal, float(rate)
    except (OSError, ValueError):
        if required:
            raise
        return None, None
