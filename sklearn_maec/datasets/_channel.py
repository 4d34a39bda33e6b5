"""Recording domains: the room, the noise and the channel an utterance goes through (private).

A *domain* is a dict of channel settings (see :data:`DOMAINS` for the named
ones and :data:`CHANNEL_KEYS` for what each key means). :func:`resolve_domain`
validates a user's choice and :func:`apply_channel` runs one utterance through
the chain, in this order:

1. room: convolution with a synthetic room impulse response (a direct path
   plus exponentially decaying noise with the drawn RT60 and
   direct-to-reverberant ratio),
2. ambient noise at the drawn SNR (white, pink or babble),
3. background music and laughter (TV-like soundtracks),
4. band-pass filter (e.g. the 300-3400 Hz telephone band),
5. dynamic range compression,
6. gain,
7. line noise (hiss and mains hum, added after the band-pass),
8. resampling to the domain's sampling rate,
9. codec (G.711-like mu-law, 8 bits),
10. resampling to the rate the user asked for, and a soft limiter that keeps
    every sample inside (-1, 1).

Levels (SNR, music, laughter) are relative to the *active speech level*: the
mean power of the 20 ms frames of the speech that lie within 30 dB of its
loudest frame (a simple stand-in for ITU-T P.56).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy import fft as sp_fft
from scipy.signal import butter, lfilter, oaconvolve, sosfilt

from ..features._audio import resample

__all__ = ["CHANNEL_KEYS", "DOMAINS", "NOISE_KINDS", "apply_channel", "resolve_domain", "limit"]

NOISE_KINDS = ("white", "pink", "babble")
"""Kinds of ambient noise a domain can add."""

CHANNEL_KEYS = {
    "sampling_rate": "int, output rate of the domain (Hz)",
    "gain_db": "level change (dB)",
    "rt60": "reverberation time (s), or None for no room",
    "drr_db": "direct-to-reverberant energy ratio of the room (dB)",
    "noise": f"ambient noise kind, one of {NOISE_KINDS}, a tuple of them (one drawn per "
    "utterance) or None",
    "snr_db": "signal-to-noise ratio of the ambient noise (dB)",
    "music_db": "level of background music re speech (dB), or None",
    "laughter_rate": "expected laughter bursts per second (0 for none)",
    "laughter_db": "level of laughter re speech (dB)",
    "bandpass": "(low, high) pass band in Hz, or None",
    "compression": "float in [0, 1): fraction of the level above -30 dBFS removed",
    "line_snr_db": "SNR of line noise (hiss + hum) added after the band-pass (dB), or None",
    "codec": "None or 'mulaw' (8-bit G.711-like companding at the domain's rate)",
}
"""The keys of a domain dict and what they mean.

Every level, SNR and time may be a number or a ``(low, high)`` range, drawn
uniformly and independently for each utterance.
"""

_STUDIO = {
    "sampling_rate": 16000,
    "gain_db": 0.0,
    "rt60": (0.15, 0.3),
    "drr_db": (8.0, 14.0),
    "noise": "white",
    "snr_db": (45.0, 55.0),
    "music_db": None,
    "laughter_rate": 0.0,
    "laughter_db": (-12.0, -4.0),
    "bandpass": None,
    "compression": 0.0,
    "line_snr_db": None,
    "codec": None,
}

DOMAINS = {
    # IEMOCAP-like: close microphones in a small treated room, quiet.
    "studio": dict(_STUDIO),
    # narrow-band telephone: 8 kHz, 300-3400 Hz, AGC-like compression, line noise, mu-law.
    "telephone": dict(
        _STUDIO,
        sampling_rate=8000,
        gain_db=(-4.0, 0.0),
        rt60=(0.1, 0.25),
        drr_db=(12.0, 18.0),
        noise="pink",
        snr_db=(30.0, 40.0),
        bandpass=(300.0, 3400.0),
        compression=0.5,
        line_snr_db=(25.0, 35.0),
        codec="mulaw",
    ),
    # a crowded place: babble or pink noise at 5-15 dB SNR.
    "noisy": dict(
        _STUDIO,
        rt60=(0.2, 0.35),
        drr_db=(6.0, 12.0),
        noise=("babble", "pink"),
        snr_db=(5.0, 15.0),
    ),
    # a distant microphone in a live room.
    "reverberant": dict(
        _STUDIO,
        rt60=(0.4, 0.9),
        drr_db=(-4.0, 2.0),
        noise="pink",
        snr_db=(35.0, 45.0),
    ),
    # MELD-like TV soundtrack: louder and compressed, music, laugh track, mild reverb.
    "tv": dict(
        _STUDIO,
        gain_db=(3.0, 8.0),
        rt60=(0.25, 0.45),
        drr_db=(3.0, 9.0),
        noise="pink",
        snr_db=(25.0, 35.0),
        music_db=(-24.0, -14.0),
        laughter_rate=0.15,
        laughter_db=(-12.0, -4.0),
        bandpass=(60.0, 7000.0),
        compression=0.4,
    ),
}
"""The named domains (dicts of channel settings, see :data:`CHANNEL_KEYS`)."""

_RANGED = ("gain_db", "rt60", "drr_db", "snr_db", "music_db", "laughter_db", "line_snr_db")
_OPTIONAL = ("rt60", "music_db", "line_snr_db")


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #
def _check_range(key, value, *, positive=False):
    """A number or a (low, high) pair of numbers, returned as a (low, high) tuple."""
    if isinstance(value, Real) and not isinstance(value, bool):
        lo = hi = float(value)
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, Real) and not isinstance(v, bool) for v in value)
    ):
        lo, hi = float(value[0]), float(value[1])
    else:
        raise ValueError(
            f"domain setting {key!r} must be a number or a (low, high) pair, got {value!r}"
        )
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"domain setting {key!r} must be finite with low <= high, got {value!r}")
    if positive and lo <= 0:
        raise ValueError(f"domain setting {key!r} must be positive, got {value!r}")
    return lo, hi


def resolve_domain(domain):
    """Validate ``domain`` (a name or a dict) and return the complete settings dict.

    A dict may name the domain it starts from under the key ``"base"``
    (default ``"studio"``); its other keys override that domain's settings.

    Raises
    ------
    ValueError
        For an unknown domain name, an unknown key or a bad value.
    """
    settings = _domain_settings(domain)
    out = {}
    sr = settings["sampling_rate"]
    if not isinstance(sr, Integral) or isinstance(sr, bool) or sr < 1000:
        raise ValueError(f"domain setting 'sampling_rate' must be an int >= 1000, got {sr!r}")
    out["sampling_rate"] = int(sr)
    for key in _RANGED:
        value = settings[key]
        if value is None and key in _OPTIONAL:
            out[key] = None
        else:
            out[key] = _check_range(key, value, positive=key == "rt60")
    out["noise"] = _check_noise(settings["noise"])
    rate = settings["laughter_rate"]
    if not isinstance(rate, Real) or isinstance(rate, bool) or not (0 <= rate < math.inf):
        raise ValueError(f"domain setting 'laughter_rate' must be a number >= 0, got {rate!r}")
    out["laughter_rate"] = float(rate)
    band = settings["bandpass"]
    if band is None:
        out["bandpass"] = None
    else:
        lo, hi = _check_range("bandpass", band)
        if not 0 <= lo < hi:
            raise ValueError(
                f"domain setting 'bandpass' must be (low, high) with 0 <= low < high, got {band!r}"
            )
        out["bandpass"] = (lo, hi)
    comp = settings["compression"]
    if not isinstance(comp, Real) or isinstance(comp, bool) or not 0 <= comp < 1:
        raise ValueError(f"domain setting 'compression' must be a number in [0, 1), got {comp!r}")
    out["compression"] = float(comp)
    codec = settings["codec"]
    if codec not in (None, "mulaw"):
        raise ValueError(f"domain setting 'codec' must be None or 'mulaw', got {codec!r}")
    out["codec"] = codec
    return out


def _domain_settings(domain):
    """The settings ``domain`` names, unchecked: a named domain's, or a dict's over its base."""
    if isinstance(domain, str):
        if domain not in DOMAINS:
            raise ValueError(
                f"unknown domain {domain!r}; valid names are {sorted(DOMAINS)}, "
                "or pass a dict of channel settings"
            )
        settings = dict(DOMAINS[domain])
    elif isinstance(domain, dict):
        base = domain.get("base", "studio")
        if base not in DOMAINS:
            raise ValueError(
                f"unknown base domain {base!r} in the domain dict; "
                f"valid names are {sorted(DOMAINS)}"
            )
        unknown = sorted(set(domain) - set(CHANNEL_KEYS) - {"base"})
        if unknown:
            raise ValueError(
                f"unknown domain setting(s) {unknown}; valid keys are {sorted(CHANNEL_KEYS)} "
                "and 'base'"
            )
        settings = dict(DOMAINS[base])
        settings.update({k: v for k, v in domain.items() if k != "base"})
    else:
        raise ValueError(
            f"domain must be a name in {sorted(DOMAINS)} or a dict of channel settings, "
            f"got {type(domain).__name__}"
        )
    return settings


def _check_noise(noise):
    """The ``noise`` setting as a tuple of noise kinds, or None."""
    if noise is None:
        return None
    kinds = (noise,) if isinstance(noise, str) else tuple(noise)
    bad = [k for k in kinds if k not in NOISE_KINDS]
    if not kinds or bad:
        raise ValueError(
            f"domain setting 'noise' must be None, one of {NOISE_KINDS} or a tuple of them, "
            f"got {noise!r}"
        )
    return kinds


# --------------------------------------------------------------------------- #
# signal helpers
# --------------------------------------------------------------------------- #
def active_level(x, sr):
    """Mean power of the 20 ms frames within 30 dB of the loudest one."""
    hop = max(int(0.02 * sr), 1)
    m = x.size // hop
    if m == 0:
        return float(np.mean(np.square(x, dtype=np.float64))) if x.size else 0.0
    p = np.mean(np.square(x[: m * hop].reshape(m, hop), dtype=np.float64), axis=1)
    top = p.max()
    if top <= 0:
        return 0.0
    return float(p[p >= top * 1e-3].mean())


def _scale_to(noise, level, rel_db):
    """``noise`` scaled to power ``level * 10**(rel_db/10)``."""
    p = float(np.mean(np.square(noise, dtype=np.float64)))
    if p <= 0 or level <= 0:
        return np.zeros_like(noise)
    return noise * np.float32(math.sqrt(level * 10.0 ** (rel_db / 10.0) / p))


def _shaped_noise(white, sr, gain_of_freq):
    """White noise coloured by a magnitude response given as a function of frequency."""
    n = white.size
    m = sp_fft.next_fast_len(n, real=True)  # zero-padded: pocketfft is slow on large primes
    spec = sp_fft.rfft(white, n=m)
    spec *= gain_of_freq(np.fft.rfftfreq(m, 1.0 / sr))
    return sp_fft.irfft(spec, n=m)[:n].astype(np.float32)


def _pink(f):
    g = np.zeros_like(f)
    g[1:] = 1.0 / np.sqrt(np.maximum(f[1:], 20.0))
    return g


def _speech_shaped(f):
    # long-term average speech spectrum: flat-ish to ~500 Hz, then -8 dB/octave
    return 1.0 / (1.0 + (f / 500.0) ** 1.3) / (1.0 + (80.0 / np.maximum(f, 1.0)) ** 2)


def _babble(n, sr, rng, talkers=6):
    """Speech-shaped noise, amplitude-modulated at syllable rates by several talkers."""
    t = np.arange(n, dtype=np.float32) / sr
    total = np.zeros(n, dtype=np.float32)
    for _ in range(talkers):
        rate = rng.uniform(3.0, 6.0)
        env = np.maximum(np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi)), 0.0) ** 2
        # on/off phrases of each talker
        knots = np.arange(0.0, t[-1] + 1.0, 0.5) if n else np.zeros(1)
        gate = np.interp(t, knots, (rng.random(knots.size) < 0.7).astype(float))
        total += rng.standard_normal(n, dtype=np.float32) * (env * gate).astype(np.float32)
    return _shaped_noise(total, sr, _speech_shaped)


def _music(n, sr, rng):
    """Chords of harmonic tones (3 partials), a new chord every 0.4-1.2 s."""
    out = np.zeros(n, dtype=np.float32)
    start = 0
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    while start < n:
        length = min(int(rng.uniform(0.4, 1.2) * sr), n - start)
        root = 48 + rng.integers(0, 12)
        notes = root + np.array([0, scale[2], scale[4]]) + 12 * rng.integers(0, 2, 3)
        freqs = 440.0 * 2.0 ** ((notes - 69) / 12.0)
        tt = np.arange(length) / sr
        seg = np.zeros(length)
        for f0 in freqs:
            for h, a in ((1, 1.0), (2, 0.5), (3, 0.25)):
                if h * f0 < 0.45 * sr:
                    seg += a * np.sin(2 * np.pi * h * f0 * tt + rng.uniform(0, 2 * np.pi))
        env = np.minimum(1.0, tt / 0.03) * np.exp(-tt / rng.uniform(0.4, 1.5))
        out[start : start + length] = seg * env
        start += length
    return out


def _laughter(n, sr, rng, rate):
    """Laugh-track-like bursts: trains of breathy 'ha' pulses at ~5 Hz, vowel-coloured."""
    duration = n / sr
    k = rng.poisson(rate * duration)
    env = np.zeros(n, dtype=np.float32)
    for _ in range(k):
        t0 = rng.uniform(0.0, duration)
        pulses = rng.integers(3, 8)
        period = 1.0 / rng.uniform(4.0, 6.0)
        length = int(pulses * period * sr)
        s = int(t0 * sr)
        e = min(n, s + length)
        if e <= s:
            continue
        tt = np.arange(e - s) / sr
        train = np.maximum(np.sin(np.pi * tt / period), 0.0) ** 3
        fade = np.exp(-tt / (pulses * period))
        env[s:e] += (train * fade).astype(np.float32)
    if not np.any(env):
        return env
    white = rng.standard_normal(n, dtype=np.float32) * env

    def vowel(f):
        return np.exp(-0.5 * ((f - 800.0) / 250.0) ** 2) + 0.6 * np.exp(
            -0.5 * ((f - 1300.0) / 300.0) ** 2
        ) + 0.3 * np.exp(-0.5 * ((f - 2600.0) / 500.0) ** 2)

    return _shaped_noise(white, sr, vowel)


def _room_impulse_response(sr, rt60, drr_db, rng):
    """Direct path + exponentially decaying noise tail (RT60 in s, DRR in dB), unit energy."""
    length = max(int(min(rt60, 1.5) * sr), 2)
    t = np.arange(length) / sr
    tail = rng.standard_normal(length) * np.exp(-3.0 * math.log(10.0) * t / rt60)
    tail[: max(int(rng.uniform(0.002, 0.008) * sr), 1)] = 0.0
    # air absorption: the tail loses its highs a little (one-pole low-pass)
    tail = lfilter([0.6], [1.0, -0.4], tail)
    tail *= math.sqrt(10.0 ** (-drr_db / 10.0) / max(float(np.sum(tail**2)), 1e-30))
    h = tail
    h[0] = 1.0
    return (h / math.sqrt(float(np.sum(h**2)))).astype(np.float32)


def _compress(x, sr, amount, threshold_db=-30.0):
    """Static compressor on a 10 ms envelope: removes ``amount`` of the level above threshold."""
    a = math.exp(-1.0 / (0.01 * sr))
    env = lfilter([1.0 - a], [1.0, -a], np.abs(x).astype(np.float64))
    env_db = 20.0 * np.log10(np.maximum(env * math.sqrt(2.0), 1e-9))
    gain_db = -amount * np.maximum(env_db - threshold_db, 0.0)
    return (x * 10.0 ** (gain_db / 20.0)).astype(np.float32)


def _mulaw(x, mu=255.0):
    """8-bit mu-law companding: encode, quantise to 256 levels, decode."""
    x = np.clip(x, -1.0, 1.0)
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / math.log1p(mu)
    y = np.round(y * 127.0) / 127.0
    return (np.sign(y) * np.expm1(np.abs(y) * math.log1p(mu)) / mu).astype(np.float32)


def limit(x, ceiling=0.99):
    """Soft limiter: ~identity below -6 dBFS, never reaches ``ceiling``."""
    x = np.asarray(x, dtype=np.float32)
    r = np.abs(x) / ceiling
    if not np.any(r > 0.4):
        return x
    return (x / (1.0 + r**8) ** 0.125).astype(np.float32)


def _draw(rng, bounds):
    lo, hi = bounds
    return lo if lo == hi else float(rng.uniform(lo, hi))


def apply_channel(x, sr, settings, rng, out_rate=None, *, level_mask=None):
    """Run one utterance through a domain's channel.

    Parameters
    ----------
    x : ndarray of shape (n_samples,)
        Clean speech at rate ``sr``.
    sr : int
        Its sampling rate.
    settings : dict
        A resolved domain (the output of :func:`resolve_domain`).
    rng : numpy.random.Generator
        Source of the per-utterance draws (levels, room, noise).
    out_rate : int or None, default=None
        Rate of the result; None keeps the domain's rate.
    level_mask : ndarray of bool of shape (n_samples,) or None, default=None
        The samples whose speech level the noise, music, laughter and line
        levels (their SNRs) refer to, e.g. the voice outside the salient
        spans: a room's noise does not rise when the speaker shouts. None (or
        a mask of under 0.1 s) uses the whole utterance's active level.

    Returns
    -------
    y : ndarray of shape (n_out,), dtype float32
        The recorded utterance, inside (-1, 1).
    rate : int
        Its sampling rate.
    """
    s = settings
    x = np.asarray(x, dtype=np.float32)
    n = x.size
    # draw every value first, in a fixed order, so that the stream does not depend on branches
    gain_db = _draw(rng, s["gain_db"])
    rt60 = _draw(rng, s["rt60"]) if s["rt60"] is not None else None
    drr_db = _draw(rng, s["drr_db"])
    snr_db = _draw(rng, s["snr_db"])
    kind = s["noise"][rng.integers(len(s["noise"]))] if s["noise"] else None
    music_db = _draw(rng, s["music_db"]) if s["music_db"] is not None else None
    laughter_db = _draw(rng, s["laughter_db"])
    line_snr_db = _draw(rng, s["line_snr_db"]) if s["line_snr_db"] is not None else None
    seeds = rng.integers(0, 2**63, size=5)
    rngs = [np.random.default_rng(int(v)) for v in seeds]

    if level_mask is not None:
        level_mask = np.asarray(level_mask, dtype=bool)
        if level_mask.shape != x.shape or level_mask.sum() < 0.1 * sr:
            level_mask = None

    def speech_level(x):
        return active_level(x if level_mask is None else x[level_mask], sr)

    if rt60 is not None and n > 1:
        h = _room_impulse_response(sr, rt60, drr_db, rngs[0])
        x = oaconvolve(x, h)[:n].astype(np.float32)
    level = speech_level(x)
    if kind is not None and n > 1:
        x = x + _scale_to(_noise(kind, n, sr, rngs[1]), level, -snr_db)
    if music_db is not None and n > 1:
        x = x + _scale_to(_music(n, sr, rngs[2]), level, music_db)
    if s["laughter_rate"] > 0 and n > 1:
        laugh = _laughter(n, sr, rngs[3], s["laughter_rate"])
        if np.any(laugh):
            x = x + _scale_to(laugh, level, laughter_db)
    if s["bandpass"] is not None and n > 1:
        x = _bandpass(x, sr, s["bandpass"])
    if s["compression"] > 0:
        x = _compress(x, sr, s["compression"])
    x = x * np.float32(10.0 ** (gain_db / 20.0))
    if line_snr_db is not None and n > 1:
        line = _line_noise(n, sr, s["bandpass"], rngs[4])
        x = x + _scale_to(line, speech_level(x), -line_snr_db)
    x = resample(x, sr, s["sampling_rate"])
    rate = s["sampling_rate"]
    if s["codec"] == "mulaw":
        x = _mulaw(limit(x))
    if out_rate is not None and out_rate != rate:
        x = resample(x, rate, out_rate)
        rate = out_rate
    return limit(x), int(rate)


def _noise(kind, n, sr, rng):
    """``n`` samples of background noise of ``kind`` (see :data:`NOISE_KINDS`), unscaled."""
    if kind == "white":
        return rng.standard_normal(n, dtype=np.float32)
    if kind == "pink":
        return _shaped_noise(rng.standard_normal(n, dtype=np.float32), sr, _pink)
    return _babble(n, sr, rng)


def _bandpass(x, sr, band):
    """``x`` through the channel's band (a high-pass, low-pass or band-pass as the band needs)."""
    lo, hi = band
    nyq = 0.5 * sr
    if hi >= nyq and lo <= 0:
        pass
    elif hi >= nyq:
        x = sosfilt(butter(4, lo / nyq, btype="highpass", output="sos"), x)
    elif lo <= 0:
        x = sosfilt(butter(6, hi / nyq, btype="lowpass", output="sos"), x)
    else:
        x = sosfilt(butter(4, [lo / nyq, hi / nyq], btype="bandpass", output="sos"), x)
    return x.astype(np.float32)


def _line_noise(n, sr, band, rng):
    """A telephone line's noise: hiss (in the channel's ``band``) and a mains hum 6 dB under it."""
    hiss = rng.standard_normal(n, dtype=np.float32)
    if band is not None:
        lo, hi = band
        hiss = _shaped_noise(hiss, sr, lambda f: ((f >= lo) & (f <= hi)).astype(float))
    mains = 50.0 if rng.random() < 0.5 else 60.0
    # buzz of odd mains harmonics, looked up from one tabulated period
    table = np.linspace(0.0, 2 * np.pi, 1024, endpoint=False)
    table = sum(np.sin(k * table) / k for k in (1, 3, 5, 7)).astype(np.float32)
    hum = table[(np.arange(n) * (mains * 1024 / sr)).astype(np.int64) % 1024]
    hum = _scale_to(hum, float(np.mean(hiss**2)), -6.0)
    return hiss + hum
