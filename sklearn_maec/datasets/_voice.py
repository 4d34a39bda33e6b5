"""Source-filter synthesis of one speech-like utterance (private).

The model is the classic one of speech acoustics: a glottal source (a
Rosenberg pulse train at the fundamental frequency F0, with jitter, shimmer and
aspiration noise) excites a vocal tract (a cascade of second-order
resonators: the formants F1..F4, whose frequencies follow the vowels of the
syllables, and three fixed higher ones), and noise sources (fricatives,
plosive bursts, breaths) fill the unvoiced parts. Everything is vectorised
with numpy: the only Python loops run over syllables (a few per second of
speech), never over samples.

The time-varying vocal-tract filter is applied in the short-time Fourier
domain: every 8 ms frame of the excitation is multiplied by the complex
frequency response of the formant cascade for that frame (the formant
frequencies are interpolated between per-syllable vowel targets) and
overlap-added back. That is equivalent to a slowly time-varying all-pole
filter and costs two FFTs per frame instead of a per-sample recursion.

The main entry point is :func:`synthesize`, which takes a :class:`VoiceParams`
(everything the speaker and the emotion set) and a duration, and returns the
waveform at :data:`SYNTH_RATE` (16 kHz). A :class:`VoiceContour` makes the voice
change within the utterance (a raised voice on a few words, a laugh, a creaky
end): smooth, time-varying offsets from the :class:`VoiceParams`, applied where
each acts (the syllable layout for the rate, the F0 contour, the glottal
source, the spectral tilt per frame, the output level per sample). Without a
contour the voice is constant and the output is what it always was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy.ndimage import uniform_filter1d
from scipy.signal import get_window

__all__ = ["SYNTH_RATE", "VoiceContour", "VoiceParams", "synthesize"]

SYNTH_RATE = 16000
"""Sampling rate (Hz) at which every utterance is synthesised."""

_N_FFT = 512  # 32 ms analysis/synthesis frames
_HOP = 128  # 8 ms hop, 75 % overlap (Hann^2 overlap-adds to a constant)
_WINDOW = get_window("hann", _N_FFT).astype(np.float32)
_OLA_NORM = float(np.sum(_WINDOW**2) / (_N_FFT / _HOP))
# The weighted overlap-add of Hann^2 frames every _HOP sums to sum(w^2) / _HOP, not _OLA_NORM:
# _istft returns its input _WOLA_GAIN (32) times too soft. The voice is normalised afterwards,
# so only the unvoiced noises are affected (30 dB below their _NOISE_LEVEL_DB); they are kept
# so, so that a corpus stays what it was, and new sources multiply by _WOLA_GAIN.
_WOLA_GAIN = float(_OLA_NORM / (np.sum(_WINDOW**2) / _HOP))
_FREQS = np.fft.rfftfreq(_N_FFT, 1.0 / SYNTH_RATE)
_Z1 = np.exp(-2j * np.pi * _FREQS / SYNTH_RATE).astype(np.complex64)
_Z2 = (_Z1 * _Z1).astype(np.complex64)

# Formant targets (Hz, adult male, after Peterson & Barney 1952): F1..F4.
_VOWELS = np.array(
    [
        [270, 2290, 3010, 3500],  # i
        [390, 1990, 2550, 3500],  # I
        [530, 1840, 2480, 3500],  # E
        [660, 1720, 2410, 3450],  # ae
        [730, 1090, 2440, 3400],  # a
        [570, 840, 2410, 3350],  # O
        [440, 1020, 2240, 3350],  # U
        [300, 870, 2240, 3300],  # u
        [640, 1190, 2390, 3450],  # V
        [500, 1500, 2500, 3500],  # schwa
    ],
    dtype=float,
)
_NASAL = np.array([280, 1150, 2300, 3300], dtype=float)
_BANDWIDTHS = np.array([85.0, 100.0, 140.0, 210.0])
# Higher formants do not follow the vowels; they keep the spectrum from
# falling off a cliff above F4 (the "higher-pole correction").
_HIGH_FORMANTS = np.array([4500.0, 5600.0, 6800.0])
_HIGH_BANDWIDTHS = np.array([300.0, 450.0, 600.0])

# Onset consonants of a syllable. Voiced ones (nasals, liquids) continue the
# voicing into the vowel; the others are noise: fricatives, and plosives
# (a silent closure, a short burst, then aspiration).
_ONSETS = ("none", "voiced", "s", "sh", "f", "plosive")
_ONSET_P = np.array([0.2, 0.28, 0.14, 0.07, 0.09, 0.22])

# Noise sources of the unvoiced path: spectral shape and level (dB relative to
# the RMS of the vowels).
_NOISE_TYPES = ("s", "sh", "f", "burst", "h", "breath")
_NOISE_LEVEL_DB = {"s": -13.0, "sh": -12.0, "f": -20.0, "burst": -6.0, "h": -18.0, "breath": -30.0}


def _noise_shapes():
    """Magnitude responses (n_types, n_bins) of the noise sources, unit power."""
    f = _FREQS
    khz = f / 1000.0

    def bump(center, width):
        return np.exp(-0.5 * ((khz - center) / width) ** 2)

    highpass = 1.0 / (1.0 + (0.4 / np.maximum(khz, 1e-3)) ** 4)  # removes rumble < 400 Hz
    shapes = {
        "s": bump(5.8, 1.3) + 0.03,
        "sh": bump(3.0, 0.9) + 0.5 * bump(5.0, 1.5) + 0.03,
        "f": 0.3 + bump(4.5, 3.0),
        "burst": 0.2 + bump(2.5, 2.0) + 0.5 * bump(5.0, 2.0),
        "h": bump(0.6, 0.25) + 0.8 * bump(1.5, 0.4) + 0.6 * bump(2.5, 0.5) + 0.1,
        "breath": bump(1.2, 1.0) + 0.25 * bump(3.0, 1.5) + 0.02,
    }
    out = np.empty((len(_NOISE_TYPES), f.size))
    for i, name in enumerate(_NOISE_TYPES):
        s = shapes[name] * highpass
        out[i] = s / np.sqrt(np.mean(s**2))
    return out.astype(np.float32)


_NOISE_SHAPES = _noise_shapes()


@dataclass(frozen=True)
class VoiceParams:
    """Everything that sets the acoustics of one utterance.

    The generator combines a speaker's habitual voice, the emotion's effect
    and per-utterance variation into one of these.

    Attributes
    ----------
    f0 : float
        Mean fundamental frequency over the voiced parts (Hz).
    f0_range : float
        Height of pitch accents (semitones).
    declination : float
        F0 fall over a phrase (semitones).
    rate : float
        Speaking rate (syllables per second, excluding pauses).
    level_db : float
        RMS level of the vowels (dB re full scale).
    tilt : float
        Extra spectral tilt of the voice (dB per octave, re 1 kHz; positive
        is flatter/brighter, negative is steeper/darker).
    open_quotient : float
        Open quotient of the glottal pulse (0.3 tense ... 0.8 breathy).
    breathiness : float
        Aspiration noise amplitude relative to the glottal pulses.
    jitter : float
        Relative standard deviation of consecutive glottal periods.
    shimmer : float
        Standard deviation of the log-amplitude of consecutive pulses.
    formant_scale : float
        Multiplies every formant frequency (vocal tract length: ~0.95 for
        adult male, ~1.15 for adult female voices).
    bandwidth_scale : float
        Multiplies the formant bandwidths (breathy voices have wider ones).
    articulation : float
        Multiplies F1 (more open mouth at high arousal).
    pause_prob : float
        Probability that a phrase break (pause) follows a syllable.
    pause_length : float
        Median pause length (seconds).
    """

    f0: float = 120.0
    f0_range: float = 3.0
    declination: float = 2.5
    rate: float = 4.5
    level_db: float = -26.0
    tilt: float = 0.0
    open_quotient: float = 0.6
    breathiness: float = 0.08
    jitter: float = 0.008
    shimmer: float = 0.05
    formant_scale: float = 1.0
    bandwidth_scale: float = 1.0
    articulation: float = 1.0
    pause_prob: float = 0.15
    pause_length: float = 0.3


#: The tracks of a :class:`VoiceContour`, in the order of its fields.
CONTOUR_TRACKS = ("f0", "f0_range", "level_db", "tilt", "open_quotient", "breathiness",
                  "jitter", "rate", "aspiration")


@dataclass(frozen=True, eq=False)
class VoiceContour:
    """Time-varying changes of a voice within one utterance.

    Each track is an offset from the utterance's :class:`VoiceParams`, given
    at the instants ``times`` and linearly interpolated in between (and held
    constant before the first and after the last instant); a track left at
    None does not change. A grid of 10 ms with ramps of ~100 ms gives changes
    without clicks. Every track is 0 where the voice is the
    :class:`VoiceParams` one.

    Attributes
    ----------
    times : ndarray of shape (n_knots,)
        Increasing instants (seconds from the utterance's start).
    f0 : ndarray of shape (n_knots,) or None
        F0 offset (semitones), added to the whole F0 contour.
    f0_range : ndarray of shape (n_knots,) or None
        Pitch-accent height, as a natural-log factor (``log(2)`` doubles the
        accents and the syllables' pitch spread).
    level_db : ndarray of shape (n_knots,) or None
        Level change (dB) of the output, voice and noises alike.
    tilt : ndarray of shape (n_knots,) or None
        Spectral tilt offset (dB per octave, positive is brighter).
    open_quotient : ndarray of shape (n_knots,) or None
        Open quotient offset (negative is tenser, positive breathier).
    breathiness : ndarray of shape (n_knots,) or None
        Aspiration noise offset, in the units of ``VoiceParams.breathiness``.
    jitter : ndarray of shape (n_knots,) or None
        Jitter and shimmer (period and amplitude irregularity), as a
        natural-log factor.
    rate : ndarray of shape (n_knots,) or None
        Speaking rate as a natural-log factor: syllables that would start
        there are shortened by ``exp(-rate)``.
    aspiration : ndarray of shape (n_knots,) or None
        Level (linear, re the vowels' RMS) of breath noise that sounds even
        where nobody speaks: an exhalation, the ``h`` of a laugh.
    """

    times: np.ndarray
    f0: np.ndarray | None = None
    f0_range: np.ndarray | None = None
    level_db: np.ndarray | None = None
    tilt: np.ndarray | None = None
    open_quotient: np.ndarray | None = None
    breathiness: np.ndarray | None = None
    jitter: np.ndarray | None = None
    rate: np.ndarray | None = None
    aspiration: np.ndarray | None = None

    def __post_init__(self):
        times = np.asarray(self.times, dtype=float)
        if times.ndim != 1 or times.size < 1 or np.any(np.diff(times) <= 0):
            raise ValueError("VoiceContour.times must be a non-empty increasing 1-D array")
        object.__setattr__(self, "times", times)
        for name in CONTOUR_TRACKS:
            value = getattr(self, name)
            if value is None:
                continue
            value = np.asarray(value, dtype=float)
            if value.shape != times.shape or not np.all(np.isfinite(value)):
                raise ValueError(f"VoiceContour.{name} must be finite, one value per time "
                                 f"({times.size}), got shape {value.shape}")
            object.__setattr__(self, name, value)

    def at(self, name, t):
        """Track ``name`` at the instants ``t`` (seconds), or None if it is not set."""
        values = getattr(self, name)
        if values is None:
            return None
        return np.interp(t, self.times, values)

    def _moving(self):
        """Per knot, whether any track is non-zero there."""
        moving = np.zeros(self.times.shape, dtype=bool)
        for name in CONTOUR_TRACKS:
            values = getattr(self, name)
            if values is not None:
                moving |= values != 0.0
        return moving

    def unchanged(self, t):
        """Whether the voice at the instants ``t`` is the :class:`VoiceParams` one (tracks 0)."""
        return np.interp(t, self.times, self._moving().astype(float)) == 0.0


class _Sampled:
    """A contour at many instants ``t``: where it acts, and its tracks there.

    The knots around each instant are found once for all the tracks (one
    search instead of one ``np.interp`` per track), and only the ``active``
    instants, where some track is non-zero, are evaluated.
    """

    def __init__(self, contour, t):
        self.contour = contour
        times = contour.times
        if times.size == 1:
            i, w = np.zeros(t.shape, dtype=np.int64), np.zeros(t.shape)
        else:
            step = (times[-1] - times[0]) / (times.size - 1)
            if np.allclose(np.diff(times), step, rtol=1e-9, atol=0.0):  # a grid: no search
                i = np.clip(((t - times[0]) / step).astype(np.int64), 0, times.size - 2)
            else:
                i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, times.size - 2)
            w = np.clip((t - times[i]) / (times[i + 1] - times[i]), 0.0, 1.0)
        j = np.minimum(i + 1, times.size - 1)
        moving = contour._moving()
        self.active = moving[i] | moving[j]  # exactly where the interpolation is not zero
        self.index = np.flatnonzero(self.active)
        self._i, self._j, self._w = i[self.index], j[self.index], w[self.index]
        self.t = t[self.index]

    def __call__(self, name):
        """Track ``name`` at the active instants, or None if it is not set."""
        values = getattr(self.contour, name)
        if values is None:
            return None
        a = values[self._i]
        return a + self._w * (values[self._j] - a)


def _reference(mask, active, minimum=0.05):
    """``mask`` where the contour leaves the voice unchanged (not ``active``), unless that is
    under ``minimum`` seconds.

    The source and the level are normalised on the unchanged voice, so that
    ``VoiceParams.level_db`` stays the voice outside the contour's changes (a
    loud or tense stretch would otherwise pull the rest down).
    """
    if active is None or not np.any(mask):
        return mask
    ref = mask & ~active
    return ref if ref.sum() >= minimum * SYNTH_RATE else mask



# --------------------------------------------------------------------------- #
# small vectorised helpers
# --------------------------------------------------------------------------- #
def _spans(starts, ends):
    """The non-empty spans ``[starts[i], ends[i])`` laid end to end, or None when all are empty.

    Returns ``(keep, lengths, first, index)``: which spans are non-empty, their
    lengths, where each begins in the concatenation, and per concatenated
    sample its index in the signal.
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(ends, dtype=np.int64) - starts
    keep = lengths > 0
    if not np.any(keep):
        return None
    starts, lengths = starts[keep], lengths[keep]
    first = np.cumsum(lengths) - lengths
    index = np.arange(int(lengths.sum())) + np.repeat(starts - first, lengths)
    return keep, lengths, first, index


def _fill(arr, starts, ends, values):
    """Set ``arr[starts[i]:ends[i]] = values[i]`` for non-overlapping spans, no loop."""
    spans = _spans(starts, ends)
    if spans is None:
        return arr
    keep, lengths, _, index = spans
    values = np.broadcast_to(np.asarray(values), keep.shape)[keep]
    arr[index] = np.repeat(values, lengths)
    return arr


def _relative_position(n, starts, ends):
    """Per sample, its relative position (0..1) in the span that holds it, -1 elsewhere.

    As released, span ``i`` is written ``first[i]`` samples early (its offset in
    the concatenation of the spans), so only the first span sits where it is;
    kept so that generated corpora stay the same, bit for bit.
    """
    out = np.full(n, -1.0, dtype=np.float32)
    spans = _spans(starts, ends)
    if spans is None:
        return out
    _, lengths, first, index = spans
    early = np.repeat(first, lengths)
    pos = np.arange(index.size) - early
    out[index - early] = pos / np.repeat(lengths, lengths)
    return out


def _smooth(x, width):
    """Triangular smoothing (two moving averages) of ``width`` samples."""
    width = max(int(width), 1)
    if width == 1:
        return x
    y = uniform_filter1d(x, width, mode="constant")
    return uniform_filter1d(y, width, mode="constant")


def _stft(x):
    """Hann-windowed frames of ``x`` (centred: frame i is centred on sample i*HOP)."""
    n = x.size
    pad = _N_FFT // 2
    n_frames = n // _HOP + 1
    total = (n_frames - 1) * _HOP + _N_FFT
    xp = np.zeros(total, dtype=np.float32)
    xp[pad : pad + n] = x
    frames = np.lib.stride_tricks.sliding_window_view(xp, _N_FFT)[::_HOP]
    return sp_fft.rfft(frames * _WINDOW, axis=1)


def _istft(spec, n):
    """Weighted overlap-add inverse of :func:`_stft`, cropped to ``n`` samples."""
    frames = sp_fft.irfft(spec, n=_N_FFT, axis=1).astype(np.float32, copy=False)
    frames *= _WINDOW
    n_frames = frames.shape[0]
    ratio = _N_FFT // _HOP
    out = np.zeros((n_frames - 1 + ratio) * _HOP, dtype=np.float32)
    for k in range(ratio):
        out[k * _HOP : k * _HOP + n_frames * _HOP] += frames[:, k * _HOP : (k + 1) * _HOP].reshape(
            -1
        )
    pad = _N_FFT // 2
    return out[pad : pad + n] / _OLA_NORM


def _formant_response(freqs, bandwidths):
    """Complex response (n_frames, n_bins) of a cascade of unit-DC-gain resonators.

    ``freqs`` and ``bandwidths`` are (n_frames, n_formants) arrays in Hz; a
    single row (1, n_formants) gives a time-invariant response (1, n_bins).
    """
    r = np.exp(-np.pi * bandwidths / SYNTH_RATE)
    a1 = (-2.0 * r * np.cos(2.0 * np.pi * freqs / SYNTH_RATE)).astype(np.float32)
    a2 = (r * r).astype(np.float32)
    gain = np.prod(1.0 + a1 + a2, axis=1).astype(np.float32)
    denom = None
    for k in range(freqs.shape[1]):
        d = 1.0 + a1[:, k, None] * _Z1 + a2[:, k, None] * _Z2
        denom = d if denom is None else denom * d
    return gain[:, None] / denom


# --------------------------------------------------------------------------- #
# utterance layout: syllables, consonants, phrases, pauses
# --------------------------------------------------------------------------- #
def _layout(p, duration, rng, contour=None):
    """Time structure of the utterance (all times in seconds).

    Returns a dict of per-syllable arrays: ``onset`` (start of the syllable,
    i.e. of its consonant), ``vowel`` (start of the vowel), ``end`` (end of
    the vowel), ``kind`` (index into ``_ONSETS``), ``vowel_id``, ``accent``
    (bool), ``phrase`` (phrase index) and ``pause_after`` (seconds). A
    ``contour`` with a ``rate`` track shortens (or lengthens) each syllable by
    the rate at its nominal position.
    """
    if duration >= 0.4:
        lead = rng.uniform(0.04, 0.12)
        trail = rng.uniform(0.06, 0.15)
    else:
        lead = trail = 0.1 * duration
        rng.uniform(size=2)  # keep the stream aligned
    span = max(duration - lead - trail, 1e-3)

    rate = None if contour is None else contour.rate
    faster = 1.0 if rate is None else max(1.0, float(np.exp(rate.max())))
    n_max = int(np.ceil(span * p.rate * faster * 1.6)) + 4
    syl = rng.lognormal(0.0, 0.22, n_max) / p.rate
    brk = rng.random(n_max) < p.pause_prob
    pauses = np.where(brk, p.pause_length * rng.lognormal(0.0, 0.35, n_max), 0.0)
    if rate is not None:  # each syllable at the rate of its nominal centre
        centre = lead + np.cumsum(syl + pauses) - pauses - 0.5 * syl
        syl = syl * np.exp(-contour.at("rate", centre))
    while True:
        ends = np.cumsum(syl + pauses) - pauses  # end of syllable i, pause excluded
        k = max(1, int(np.searchsorted(ends, span, side="right")))
        # a phrase break that leaves no room for the next syllable is dropped
        if k < n_max and pauses[k - 1] > 0 and ends[k] - pauses[k - 1] <= span:
            pauses[k - 1] = 0.0
        else:
            break
    syl, pauses = syl[:k].copy(), pauses[:k].copy()
    pauses[-1] = 0.0
    used = syl.sum() + pauses.sum()
    factor = min(span / used, 1.25)
    syl *= factor
    pauses *= factor
    trail += span - used * factor

    onset = lead + np.concatenate([[0.0], np.cumsum(syl + pauses)[:-1]])
    end = onset + syl
    kind = rng.choice(len(_ONSETS), size=k, p=_ONSET_P)
    cons_frac = rng.uniform(0.22, 0.4, k)
    cons = np.clip(syl * cons_frac, 0.02, 0.11)
    cons = np.where(kind == 0, 0.0, np.minimum(cons, 0.5 * syl))
    vowel = onset + cons
    vowel_id = rng.integers(0, len(_VOWELS), k)
    accent = rng.random(k) < 0.3
    phrase = np.concatenate([[0], np.cumsum(pauses[:-1] > 0)])
    return {
        "onset": onset,
        "vowel": vowel,
        "end": end,
        "kind": kind,
        "vowel_id": vowel_id,
        "accent": accent,
        "phrase": phrase,
        "pause_after": pauses,
        "lead": lead,
        "trail": trail,
    }


# --------------------------------------------------------------------------- #
# the synthesiser
# --------------------------------------------------------------------------- #
def _f0_contour(p, lay, t, voiced, rng, on=None):
    """F0 in Hz per sample: declination per phrase + accents + wander, centred on ``p.f0``.

    A contour (``on``, sampled at ``t``) scales the accents and the syllables'
    pitch spread (``f0_range``) and adds its ``f0`` offset where it acts; both
    come after the centring, which is that of the voice without them: outside
    the contour's changes the F0 is what it would be without the contour.
    """
    semitones = np.zeros_like(t)
    # declination: a linear fall over each phrase, reset in the pauses
    phrase = lay["phrase"]
    n_phr = int(phrase[-1]) + 1
    ps = np.array([lay["onset"][phrase == i][0] for i in range(n_phr)])
    pe = np.array([lay["end"][phrase == i][-1] for i in range(n_phr)])
    d = p.declination * rng.uniform(0.6, 1.4, n_phr)
    xs = np.column_stack([ps, pe]).ravel()
    ys = np.column_stack([d / 2, -d / 2]).ravel()
    semitones += np.interp(t, xs, ys)
    # accents (on stressed vowels) and boundary tones (phrase ends)
    centers = 0.5 * (lay["vowel"] + lay["end"])
    acc = lay["accent"]
    heights = list(p.f0_range * rng.uniform(0.5, 1.0, acc.sum()))
    widths = list(rng.uniform(0.05, 0.09, acc.sum()))
    locs = list(centers[acc])
    last_of_phrase = np.r_[phrase[1:] != phrase[:-1], True]
    question = rng.random() < 0.12
    for i in np.flatnonzero(last_of_phrase):
        final_rise = question and i == len(phrase) - 1
        locs.append(lay["end"][i])
        heights.append((1.0 if final_rise else -0.5) * p.f0_range * rng.uniform(0.6, 1.1))
        widths.append(0.08)
    accents = None
    if locs:
        # evaluated on a 5 ms grid, then interpolated: the accents are smooth
        grid = np.arange(0.0, t[-1] + 0.01, 0.005)
        bumps = np.exp(
            -0.5 * ((grid[:, None] - np.array(locs)[None, :]) / np.array(widths)[None, :]) ** 2
        )
        accents = np.interp(t, grid, bumps @ np.array(heights))
        semitones += accents
    # every syllable its own pitch level, with glides between them
    levels = np.interp(t, centers, rng.normal(0.0, 0.25 * p.f0_range, centers.size))
    semitones += levels
    # slow random wander
    knots = np.arange(0.0, t[-1] + 0.25, 0.2)
    semitones += np.interp(t, knots, rng.normal(0.0, 0.35, knots.size))
    # centre on the requested mean F0 over voiced samples
    w = voiced > 0.5
    if np.any(w):
        semitones -= semitones[w].mean()
    if on is not None:
        idx = on.index
        wide, offset = on("f0_range"), on("f0")
        if wide is not None:  # accents and levels scaled where they sound
            pitch = levels[idx] if accents is None else accents[idx] + levels[idx]
            semitones[idx] += np.expm1(wide) * pitch
        if offset is not None:
            semitones[idx] += offset
    return np.clip(p.f0 * 2.0 ** (semitones / 12.0), 60.0, 480.0)


def _rosenberg(frac, oq):
    """The Rosenberg glottal flow at phases ``frac`` (0..1) for open quotient(s) ``oq``."""
    # speed quotient (opening / closing time): tense voices close faster; the closing
    # phase is kept short (~0.5-1.5 ms at 120 Hz), which gives the source its high harmonics
    if np.ndim(oq):  # the same line as np.interp on [0.3, 0.85], for clipped values
        sq = 3.0 - (oq - 0.3) * (1.7 / 0.55)
    else:
        sq = np.interp(oq, [0.3, 0.85], [3.0, 1.3])
    tn = 0.5 * oq / (1.0 + sq)
    tp = oq - tn
    return np.where(
        frac < tp,
        0.5 * (1.0 - np.cos(np.pi * frac / tp)),
        np.where(frac < tp + tn, np.cos(0.5 * np.pi * (frac - tp) / tn), 0.0),
    )


def _pulse_rms_table():
    """RMS of the flow derivative over one cycle, on a grid of open quotients."""
    oq = np.linspace(0.3, 0.85, 111)
    frac = (np.arange(4096) + 0.5) / 4096
    flow = _rosenberg(frac[None, :], oq[:, None])
    deriv = np.diff(flow, axis=1, append=flow[:, :1])
    return oq, np.sqrt(np.mean(deriv**2, axis=1))


_OQ_GRID, _PULSE_RMS = _pulse_rms_table()


def _glottal_source(p, f0, rng, contour=None, on=None):
    """Rosenberg glottal-flow derivative with jitter and shimmer, plus the flow itself.

    A ``contour`` may change the jitter and shimmer (per cycle) and the open
    quotient (per sample, where it acts: ``on``) along the utterance; a change of the open quotient
    keeps the pulses' energy (a tenser voice is brighter, not louder: the
    contour's ``level_db`` says how much louder).
    """
    cycles_nominal = np.cumsum(f0) / SYNTH_RATE
    n_cycles = int(cycles_nominal[-1] * 1.3) + 8
    jitter, shimmer = p.jitter, p.shimmer
    if contour is not None and contour.jitter is not None:
        # the time at which each nominal cycle starts (cycles past the end: the last sample)
        starts = np.searchsorted(cycles_nominal, np.arange(n_cycles)) / SYNTH_RATE
        factor = np.exp(contour.at("jitter", starts))
        jitter, shimmer = p.jitter * factor, p.shimmer * factor
    jit = np.clip(1.0 + jitter * rng.standard_normal(n_cycles), 0.7, 1.3)
    idx = np.minimum(cycles_nominal.astype(np.int64), n_cycles - 1)
    phase = np.cumsum(f0 * jit[idx]) / SYNTH_RATE
    phase += rng.uniform()  # random start in the cycle
    cycle = np.minimum(phase.astype(np.int64), n_cycles - 1)
    frac = phase - np.floor(phase)
    oq = float(np.clip(p.open_quotient, 0.3, 0.85))
    varying = on is not None and contour.open_quotient is not None
    if varying:
        idx = on.index
        moved = np.clip(p.open_quotient + on("open_quotient"), 0.3, 0.85)
        flow = np.empty_like(frac)
        still = ~on.active
        flow[still] = _rosenberg(frac[still], oq)
        flow[idx] = _rosenberg(frac[idx], moved)
    else:
        flow = _rosenberg(frac, oq)
    deriv = np.diff(flow, prepend=flow[0])
    if varying:  # the pulses' energy of the base open quotient
        deriv[idx] *= np.interp(oq, _OQ_GRID, _PULSE_RMS) / np.interp(moved, _OQ_GRID, _PULSE_RMS)
    amp = np.exp(shimmer * rng.standard_normal(n_cycles))
    deriv *= amp[cycle]
    return deriv.astype(np.float32), flow.astype(np.float32)


def synthesize(p, duration, rng, *, contour=None, return_info=False):
    """Synthesise one utterance.

    Parameters
    ----------
    p : VoiceParams
        Voice and prosody of the utterance.
    duration : float
        Length in seconds (the output has ``round(duration * SYNTH_RATE)``
        samples, at least one).
    rng : numpy.random.Generator
        Source of every random draw.
    contour : VoiceContour or None, default=None
        Changes of the voice along the utterance, as offsets from ``p``. None
        keeps the voice constant (and the output the same, bit for bit, as
        without the argument). A contour draws nothing from ``rng`` itself;
        only a ``rate`` track, which moves the syllables, changes how many
        draws the layout makes.
    return_info : bool, default=False
        Also return a dict with per-sample ``f0`` (Hz), ``voiced`` (the
        voicing envelope, 0..1), ``noise`` (the envelope of the unvoiced
        noise sources, linear re the vowel RMS) and the syllable ``layout``.

    Returns
    -------
    audio : ndarray of shape (n_samples,), dtype float32
        The waveform at :data:`SYNTH_RATE`, not limited to [-1, 1].
    info : dict
        Only with ``return_info=True``.
    """
    n = max(int(round(duration * SYNTH_RATE)), 1)
    lay = _layout(p, n / SYNTH_RATE, rng, contour)
    t = np.arange(n) / SYNTH_RATE
    sampled = None if contour is None else _Sampled(contour, t)  # where the contour acts
    active = None if sampled is None else sampled.active
    kind = np.array(_ONSETS)[lay["kind"]]
    on, vo, en = (_samples(lay[key], n) for key in ("onset", "vowel", "end"))
    voiced = _voicing_envelope(lay, kind, on, vo, en, n, rng)
    noise_env, noise_type = _noise_envelope(p, lay, kind, on, vo, en, n, rng)

    # ---- source
    f0 = _f0_contour(p, lay, t, voiced, rng, sampled)
    deriv, flow = _glottal_source(p, f0, rng, contour, sampled)
    white = rng.standard_normal(n, dtype=np.float32)
    vmask = _reference(voiced > 0.3, active)
    ref = float(np.sqrt(np.mean(deriv[vmask] ** 2))) if np.any(vmask) else 1.0
    breathiness = p.breathiness
    if contour is not None and contour.breathiness is not None:
        breathiness = np.full(n, p.breathiness, dtype=np.float32)
        breathiness[sampled.index] = np.clip(p.breathiness + sampled("breathiness"), 0.0, 0.8)
    aspiration = white * (0.3 + flow) * (breathiness * 1.5)
    excitation = (deriv / max(ref, 1e-12) + aspiration) * voiced

    # ---- vocal tract, then the unvoiced path
    frame_t = np.arange(n // _HOP + 1) * _HOP / SYNTH_RATE
    response = _vocal_tract(p, lay, kind == "voiced", frame_t, rng)
    spectrum = _stft(excitation)
    response *= _tilt(p, contour, spectrum, response, frame_t).astype(np.float32)
    voice = _istft(spectrum * response, n)
    noise = _unvoiced_noise(noise_env, noise_type, white, frame_t.size, n)
    if contour is not None and contour.aspiration is not None:
        # breath noise of the contour (an exhalation, a laugh's "h"), at its stated level: the
        # path above is _WOLA_GAIN too soft, which the sources above keep for compatibility
        extra = np.zeros(n, dtype=np.float32)
        extra[sampled.index] = sampled("aspiration")
        breath = _NOISE_SHAPES[_NOISE_TYPES.index("breath")]
        noise = noise + _istft(_stft(np.roll(white, n // 2) * extra) * breath, n) * _WOLA_GAIN

    # ---- levels: the vowels' RMS is p.level_db; noise levels are relative to it
    gain = 10.0 ** (p.level_db / 20.0)
    vmask = _reference(voiced > 0.5 * max(float(voiced.max()), 1e-12), active)
    v_rms = float(np.sqrt(np.mean(voice[vmask] ** 2))) if np.any(vmask) else 0.0
    out = voice * (gain / max(v_rms, 1e-12)) + noise * gain
    if contour is not None and contour.level_db is not None:
        out[sampled.index] *= 10.0 ** (sampled("level_db") / 20.0)
    out = out.astype(np.float32)
    if not return_info:
        return out
    info = {"f0": f0, "voiced": voiced, "noise": noise_env, "layout": lay}
    return out, info


def _samples(x, n):
    """Seconds as sample indices of a signal of ``n`` samples (clipped to 0..n)."""
    return np.clip(np.round(np.asarray(x) * SYNTH_RATE).astype(np.int64), 0, n)


def _voicing_envelope(lay, kind, on, vo, en, n, rng):
    """Per sample, the voicing: vowels (stressed ones louder), voiced onsets softer."""
    k = lay["onset"].size
    syl_gain = np.where(lay["accent"], 1.35, 1.0) * rng.uniform(0.8, 1.1, k)
    # intensity declines a little along each phrase
    first = np.r_[True, lay["phrase"][1:] != lay["phrase"][:-1]]
    pos_in_phrase = np.arange(k) - np.maximum.accumulate(np.where(first, np.arange(k), 0))
    syl_gain *= 0.97**pos_in_phrase
    voiced = np.zeros(n, dtype=np.float32)
    _fill(voiced, vo, en, syl_gain)
    # within a vowel the amplitude peaks early and decays towards the end
    rel = _relative_position(n, vo, en)
    inside = rel >= 0
    voiced[inside] *= 1.0 - 0.45 * rel[inside] ** 1.5
    vc = kind == "voiced"
    _fill(voiced, on[vc], vo[vc], 0.35 * syl_gain[vc])
    return _smooth(voiced, 0.012 * SYNTH_RATE)


def _noise_envelope(p, lay, kind, on, vo, en, n, rng):
    """Per sample, the envelope and the type (index in ``_NOISE_TYPES``, -1: none) of the
    unvoiced noise: fricatives, plosive bursts and aspiration, breaths in the pauses."""
    sr, k = SYNTH_RATE, lay["onset"].size
    noise_env = np.zeros(n, dtype=np.float32)
    noise_type = np.full(n, -1, dtype=np.int8)

    def add_noise(starts, ends, name, level_db):
        lev = 10.0 ** (np.asarray(level_db) / 20.0)
        _fill(noise_env, starts, ends, lev)
        _fill(noise_type, starts, ends, _NOISE_TYPES.index(name))

    for name in ("s", "sh", "f"):
        m = kind == name
        if np.any(m):
            add_noise(on[m], vo[m], name, _NOISE_LEVEL_DB[name] + rng.normal(0, 2, m.sum()))
    m = kind == "plosive"
    if np.any(m):
        length = vo[m] - on[m]
        burst_start = on[m] + (0.45 * length).astype(np.int64)
        burst_end = np.minimum(burst_start + int(0.012 * sr), vo[m])
        add_noise(burst_start, burst_end, "burst", _NOISE_LEVEL_DB["burst"])
        add_noise(burst_end, vo[m], "h", _NOISE_LEVEL_DB["h"])
    # breaths in the longer pauses (and sometimes before the first word)
    pause_start = en + _samples(0.05, n)
    pause_end = en + _samples(lay["pause_after"], n) - _samples(0.05, n)
    take = (lay["pause_after"] > 0.25) & (rng.random(k) < 0.3 + 2.0 * p.breathiness)
    breath_db = _NOISE_LEVEL_DB["breath"] + 40.0 * p.breathiness + rng.normal(0, 2, k)
    if lay["lead"] > 0.1 and rng.random() < 0.3:
        pause_start = np.r_[_samples(0.01, n), pause_start]
        pause_end = np.r_[on[0] - _samples(0.03, n), pause_end]
        take = np.r_[True, take]
        breath_db = np.r_[breath_db[0], breath_db]
    if np.any(take):
        add_noise(pause_start[take], pause_end[take], "breath", breath_db[take])
    return _smooth(noise_env, 0.004 * sr), noise_type


def _vocal_tract(p, lay, vc, frame_t, rng):
    """Per frame, the vocal tract's response: formant targets per syllable (nasal ones for the
    voiced onsets ``vc``), interpolated between, and the fixed higher formants."""
    sr, k = SYNTH_RATE, lay["onset"].size
    targets_t, targets_f = [], []
    vowel_f = _VOWELS[lay["vowel_id"]] * rng.normal(1.0, 0.03, (k, 4))
    vowel_f[:, 0] *= p.articulation
    vlen = lay["end"] - lay["vowel"]
    targets_t += [lay["vowel"] + 0.3 * vlen, lay["vowel"] + 0.7 * vlen]
    targets_f += [vowel_f, vowel_f]
    if np.any(vc):
        targets_t.append(0.5 * (lay["onset"][vc] + lay["vowel"][vc]))
        targets_f.append(np.broadcast_to(_NASAL, (vc.sum(), 4)))
    tt = np.concatenate(targets_t)
    ff = np.concatenate(targets_f) * p.formant_scale
    order = np.argsort(tt, kind="stable")
    tt, ff = tt[order], ff[order]
    formants = np.column_stack([np.interp(frame_t, tt, ff[:, j]) for j in range(4)])
    formants = np.minimum(formants, 0.45 * sr)
    bws = np.broadcast_to(_BANDWIDTHS * p.bandwidth_scale, formants.shape)
    response = _formant_response(formants, bws)
    high = np.minimum(_HIGH_FORMANTS * p.formant_scale, 0.46 * sr)
    response *= _formant_response(high[None, :], _HIGH_BANDWIDTHS[None, :])
    return response


def _tilt(p, contour, spectrum, response, frame_t):
    """The spectral tilt above 500 Hz (the F0 region keeps its level), flat above 5 kHz: one
    gain per frequency, or per frame where the contour moves it (keeping each frame's power)."""
    octaves = np.log2(np.clip(_FREQS, 500.0, 5000.0) / 500.0)
    base_tilt = 10.0 ** (p.tilt * octaves / 20.0)
    if contour is None or contour.tilt is None:
        return base_tilt
    frames = _Sampled(contour, frame_t)
    moving = frames.index
    if not moving.size:
        return base_tilt
    tilt_db = p.tilt + frames("tilt")
    moved = 10.0 ** (tilt_db[:, None] * octaves[None, :] / 20.0)
    power = np.abs(spectrum[moving] * response[moving]) ** 2
    with_tilt = np.einsum("fk,fk->f", power, moved**2)
    without = power @ base_tilt**2
    floor = 1e-9 * max(float(without.max()), 1e-30)
    tilt = np.broadcast_to(base_tilt, response.shape).copy()
    tilt[moving] = moved * np.sqrt((without + floor) / (with_tilt + floor))[:, None]
    return tilt


def _unvoiced_noise(noise_env, noise_type, white, n_frames, n):
    """The unvoiced path: white noise shaped per frame by the dominant noise type."""
    if not np.any(noise_type >= 0):
        return np.zeros(n, dtype=np.float32)
    frame_of = np.minimum((np.arange(n) + _HOP // 2) // _HOP, n_frames - 1)
    sel = noise_type >= 0
    w = np.bincount(
        frame_of[sel] * len(_NOISE_TYPES) + noise_type[sel],
        weights=noise_env[sel] ** 2 + 1e-12,
        minlength=n_frames * len(_NOISE_TYPES),
    ).reshape(n_frames, len(_NOISE_TYPES))
    # frames may borrow a shape from their neighbours (8 ms on each side)
    w = w + 0.5 * (np.roll(w, 1, axis=0) + np.roll(w, -1, axis=0))
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 0, w / np.maximum(total, 1e-30), 1.0 / len(_NOISE_TYPES))
    shape = (w.astype(np.float32) @ _NOISE_SHAPES).astype(np.float32)
    return _istft(_stft(white * noise_env) * shape, n)
