"""Reading audio and turning any accepted input into a float32 mono signal.

openSMILE (through the ``opensmile`` package) wants one channel of float
samples in [-1, 1]: it multiplies by 32768 and casts to int16, so integer
arrays or floats outside that range silently overflow.  Everything that feeds
openSMILE goes through :func:`as_mono_float32` first.
"""

import math
import os
import shutil
import subprocess

import numpy as np
import soundfile
from scipy.signal import resample_poly

__all__ = ["AudioError", "read_audio", "as_mono_float32", "resample", "SOUNDFILE_EXTENSIONS"]

#: Extensions read by libsndfile directly; anything else is decoded by ffmpeg.
SOUNDFILE_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".snd", ".w64", ".rf64", ".caf", ".mp3"}
)

# Largest float that survives openSMILE's ``x * 32768 -> int16`` conversion.
_INT16_SAFE_MAX = 32767.0 / 32768.0
# A signal whose peak stays below this (about -100 dBFS) carries no speech.
SILENCE_PEAK = 1e-5


class AudioError(ValueError):
    """An audio input that cannot be turned into a usable signal."""


def read_audio(path, target_rate=None):
    """Read an audio file into a float32 mono signal.

    Parameters
    ----------
    path : str or os.PathLike
        Path of a file libsndfile reads (wav, flac, ogg, ...), or of any media
        file ffmpeg decodes (mp4, m4a, ...).
    target_rate : int or None
        Sampling rate ffmpeg decodes to; ignored for files libsndfile reads
        (they keep their own rate and are resampled by openSMILE's caller).

    Returns
    -------
    signal : ndarray of shape (n_samples,), float32
    sampling_rate : int
    notes : list of str
        Recoverable oddities (e.g. channels mixed down).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"audio file not found: {path!r}")
    if os.path.isdir(path):
        raise AudioError(f"expected an audio file, got a directory: {path!r}")
    ext = os.path.splitext(path)[1].lower()
    if ext in SOUNDFILE_EXTENSIONS:
        try:
            data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
            raise AudioError(f"cannot read audio file {path!r}: {exc}") from None
        notes = [f"mixed {data.shape[1]} channels down to mono"] if data.shape[1] > 1 else []
        signal, more = as_mono_float32(data.mean(axis=1) if data.shape[1] > 1 else data[:, 0])
        return signal, int(rate), notes + more
    return _decode_with_ffmpeg(path, target_rate or 16000)


def _decode_with_ffmpeg(path, rate):
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise AudioError(
            f"cannot decode {path!r}: reading {os.path.splitext(path)[1] or 'this'} files needs "
            "ffmpeg, which is not installed (Debian/Ubuntu: 'apt-get install ffmpeg'; "
            "conda: 'conda install ffmpeg'), or convert the file to wav first"
        )
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1",
           "-ar", str(int(rate)), "-f", "f32le", "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError(f"ffmpeg cannot decode {path!r}: {err[-1] if err else 'unknown error'}")
    signal = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)
    signal, notes = as_mono_float32(signal)
    return signal, int(rate), notes


def as_mono_float32(signal):
    """Convert an array of samples into a float32 mono signal in [-1, 1].

    Integer arrays are scaled by their type's full range (int16 by 32768),
    multi-channel arrays (channels on the shorter axis, at most 16) are
    averaged, and float signals whose peak exceeds 1 are rescaled by their peak.

    Parameters
    ----------
    signal : array-like of shape (n_samples,) or (n_samples, n_channels) or (n_channels, n_samples)

    Returns
    -------
    signal : ndarray of shape (n_samples,), float32
    notes : list of str
        What was done that the user may want to know about.

    Raises
    ------
    AudioError
        For empty, non-numeric, more than 2-D or non-finite input.
    """
    notes = []
    arr = np.asarray(signal)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ) or np.iscomplexobj(arr):
        raise AudioError(f"audio samples must be real numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise AudioError("audio is empty (0 samples)")
    if arr.ndim == 2:
        ch_axis = int(np.argmin(arr.shape))
        n_ch = arr.shape[ch_axis]
        if n_ch > 16:
            raise AudioError(f"audio array of shape {arr.shape} is not a signal: expected "
                             "1-D samples or (n_samples, n_channels)")
        if n_ch > 1:
            notes.append(f"mixed {n_ch} channels down to mono")
        arr = _to_float(arr).mean(axis=ch_axis, dtype=np.float64)
    elif arr.ndim != 1:
        raise AudioError(f"audio array must be 1-D (or 2-D with channels), got shape {arr.shape}")
    else:
        arr = _to_float(arr)
    if arr.size == 0:
        raise AudioError("audio is empty (0 samples)")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise AudioError(f"audio has {bad} NaN/inf sample(s) of {arr.size}")
    peak = float(np.max(np.abs(arr)))
    if peak > 1.0:
        notes.append(f"float samples exceeded [-1, 1] (peak {peak:.3g}); rescaled by the peak")
        arr = arr / peak
    out = np.clip(arr, -1.0, _INT16_SAFE_MAX).astype(np.float32, copy=False)
    return out, notes


def resample(signal, rate, target_rate):
    """Polyphase resampling (``scipy.signal.resample_poly``), float32; no-op for equal rates.

    Parameters
    ----------
    signal : ndarray of shape (n_samples,)
    rate : int
        Sampling rate of ``signal`` (Hz).
    target_rate : int
        Sampling rate wanted (Hz).

    Returns
    -------
    signal : ndarray of shape (round(n_samples * target_rate / rate),), float32
    """
    if int(rate) == int(target_rate):
        return signal
    g = math.gcd(int(rate), int(target_rate))
    return resample_poly(signal, int(target_rate) // g, int(rate) // g).astype(np.float32)


def _to_float(arr):
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        if info.min == 0:  # unsigned PCM is centred on its midpoint
            mid = (int(info.max) + 1) / 2
            return (arr.astype(np.float64) - mid) / mid
        return arr.astype(np.float64) / (int(info.max) + 1)
    if arr.dtype == np.bool_:
        return arr.astype(np.float64)
    return arr.astype(np.float64, copy=False)
