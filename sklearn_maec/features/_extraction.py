"""Per-row openSMILE extraction: load, check, extract, cache; errors returned, not raised.

Each row is one job.  A job never raises for bad input: it returns a
:class:`RowResult` whose ``error`` says what went wrong, so the caller can
keep every other row (and report warnings, which joblib's worker processes
would otherwise swallow).  Successful extractions are cached (see
:mod:`sklearn_maec.features._cache`) keyed by the file's path, size and modification
time (or the array's content) plus the feature parameters.
"""

import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass, field

import numpy as np

from ._audio import SILENCE_PEAK, AudioError, as_mono_float32, read_audio
from ._opensmile import MIN_SAMPLES, expected_frame_count, extract_lld

__all__ = ["RowResult", "extract_row", "audio_source", "cached", "store", "check_rate",
           "error_message",
           "EXTRACTION_LOG_ENV", "MIN_SAMPLING_RATE"]

#: Lowest sampling rate accepted (Hz).  A rate below it is no speech recording but
#: most likely a corrupt header (a wav claiming 1 Hz); resampled to 16 kHz it would
#: grow by that factor and could exhaust the memory.
MIN_SAMPLING_RATE = 1000

#: When this environment variable names a file (in the process that calls the
#: segmenter), every extraction that really runs openSMILE (not a cache hit)
#: appends one line to it -- from any worker process -- so benchmarks and
#: tests can count extractions.
EXTRACTION_LOG_ENV = "SKLEARN_MAEC_EXTRACTION_LOG"
_log_path = None  # set per job by extract_row (worker processes may predate the env var)


def _log_extraction(what, path=None):
    path = path or _log_path
    if path:
        line = f"{os.getpid()}\t{what}\n".encode()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)  # one short O_APPEND write: lines never interleave
        finally:
            os.close(fd)


_sigint_checked = False


def _leave_ctrl_c_to_the_parent():
    """In a joblib (loky) worker process, ignore SIGINT: Ctrl-C is the parent's to handle.

    A Ctrl-C at a terminal reaches the whole process group.  The parent stops
    the run (and joblib ends its workers); a worker that took the signal too
    would only print a traceback of its own, or, while waiting for work, die
    noisily.  Only loky's workers: a Dask worker or the user's own process keeps
    its handler.
    """
    global _sigint_checked
    if _sigint_checked:
        return
    _sigint_checked = True
    if (type(multiprocessing.current_process()).__name__ == "LokyProcess"
            and threading.current_thread() is threading.main_thread()):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class RowResult:
    """What extracting one row produced."""

    frames: np.ndarray = None
    frame_step: float = None
    notes: list = field(default_factory=list)
    error: str = None


def _check_and_extract(signal, rate, spec, target_rate):
    check_rate(rate)
    n = signal.size
    n_target = n if target_rate is None else int(n * target_rate / rate)
    if min(n, n_target) < MIN_SAMPLES:
        raise AudioError(
            f"audio too short for openSMILE: {n} samples ({1000 * n / rate:.1f} ms at {rate} Hz); "
            f"at least {MIN_SAMPLES} samples are needed"
        )
    if float(np.max(np.abs(signal))) < SILENCE_PEAK:
        raise AudioError(f"audio is silent (peak below {SILENCE_PEAK:g}, about -100 dBFS)")
    frames, step = _whole_extraction(signal, rate, spec, target_rate)
    if frames.shape[0] == 0:
        raise AudioError("openSMILE returned no frames")
    bad = ~np.isfinite(frames)
    if bad.any():
        rows = int(np.count_nonzero(bad.any(axis=1)))
        raise AudioError(f"openSMILE returned NaN/inf in {rows} of {frames.shape[0]} frame(s)")
    return frames, step


def _whole_extraction(signal, rate, spec, target_rate):
    """Extract, and make sure no frame is missing before the result may be cached.

    openSMILE delivers its frames one by one to a Python callback, and an
    exception there (a Ctrl-C under a handler of the user's, a MemoryError) is
    swallowed by ctypes: the extraction returns with a frame fewer, as if
    nothing had happened.  So the frame count is checked against the audio's
    duration and the config's frame step (:func:`expected_frame_count`); on a
    mismatch openSMILE runs again, and a result is kept only when it is the
    expected count or when two runs agree (the count rule does not always hold
    at an input's own sampling rate).  Anything else raises
    :class:`AudioError`, and nothing is cached.
    """
    frames, step = extract_lld(signal, rate, spec, target_rate)
    expected = expected_frame_count(spec, target_rate, signal.size, rate)
    if expected is None or frames.shape[0] == expected:
        return frames, step
    again, step_again = extract_lld(signal, rate, spec, target_rate)
    if again.shape[0] == frames.shape[0] or again.shape[0] == expected:
        return again, step_again
    raise AudioError(
        f"openSMILE gave {frames.shape[0]} frames, then {again.shape[0]}, for "
        f"{signal.size / rate:.3f} s of audio ({expected} expected): an extraction was cut "
        "short (interrupted?); nothing was cached, run again"
    )


def _valid_rate(rate):
    try:
        rate = float(rate)
    except (TypeError, ValueError):
        return None
    return int(rate) if np.isfinite(rate) and rate > 0 and rate == int(rate) else None


def _spec_key(spec, target_rate):
    # not the config's absolute path: the same features from another install hit the cache
    import opensmile

    identity = spec.identity
    return (identity["kind"], identity["name"], identity["level"], identity["digest"],
            opensmile.__version__, target_rate)


def audio_source(audio, sampling_rate):
    """What identifies one audio source for the cache, and how to read it.

    Shared by every front-end (openSMILE here, the pretrained encoders in
    :mod:`sklearn_maec.features._pretrained`), so a source is keyed and read one way.

    Parameters
    ----------
    audio : str, os.PathLike or array-like
        A file path or the samples.
    sampling_rate : int, float or None
        Needed when ``audio`` holds samples.

    Returns
    -------
    key_parts : tuple
        ``("file", absolute path, size, mtime_ns)`` or ``("array", samples, rate)``.
    read : callable
        ``read(target_rate)`` returns ``(signal, rate, notes)``: float32 mono
        samples, their rate (files libsndfile reads keep their own rate;
        ``target_rate`` is the rate ffmpeg decodes other media to) and the
        recoverable oddities met.

    Raises
    ------
    FileNotFoundError, AudioError
        For a missing file, a missing value, or an array without a valid rate
        (or whose samples are not a signal).
    """
    if isinstance(audio, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(audio))
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"audio file not found: {path!r}") from None

        def read(target_rate):
            return read_audio(path, target_rate)

        return ("file", path, st.st_size, st.st_mtime_ns), read
    if audio is None or (isinstance(audio, float) and np.isnan(audio)):
        raise AudioError("no audio (missing value in the 'audio' column)")
    rate = _valid_rate(sampling_rate)
    if rate is None:
        raise AudioError(
            "audio is an array of samples but its sampling_rate is missing or invalid "
            f"({sampling_rate!r}): give a positive integer in a 'sampling_rate' column"
        )
    signal, notes = as_mono_float32(audio)

    def read(target_rate):
        return signal, rate, list(notes)

    return ("array", signal, rate), read


def check_rate(rate):
    """Raise :class:`AudioError` for a sampling rate too low for speech (a corrupt header?)."""
    if rate < MIN_SAMPLING_RATE:
        raise AudioError(
            f"sampling rate {rate} Hz is below {MIN_SAMPLING_RATE} Hz, too low for speech "
            "(a corrupt file header?)"
        )


def store(cache, key, frames, frame_step, notes):
    """Store a computed value in the cache (if any); return its notes.

    A cache that cannot be written (a full or read-only disk) costs the cache,
    not the row: a note says so.

    Parameters
    ----------
    cache : FrameCache or None
    key : str or None
        The entry's key (None without a cache).
    frames, frame_step, notes
        The value.

    Returns
    -------
    notes : list of str
    """
    if cache:
        try:
            cache.save(key, frames, frame_step, notes)
        except OSError as exc:
            return [*notes, f"could not write to the cache: {exc}"]
    return list(notes)


def cached(cache, key, compute):
    """``(frames, frame_step, notes)`` from the cache, or computed and stored (:func:`store`).

    Parameters
    ----------
    cache : FrameCache or None
    key : str or None
        The entry's key (None without a cache).
    compute : callable
        Returns ``(frames, frame_step, notes)`` on a miss.

    Returns
    -------
    frames, frame_step, notes
    """
    hit = cache.load(key) if cache else None
    if hit is not None:
        return hit
    frames, step, notes = compute()
    return frames, step, store(cache, key, frames, step, notes)


def error_message(exc):
    """The message of a failed row: an audio problem as it reads, else with the type."""
    return str(exc) if isinstance(exc, (AudioError, FileNotFoundError)) else (
        f"{type(exc).__name__}: {exc}")


def extract_row(audio, sampling_rate, spec, target_rate, cache=None, log_path=None):
    """Extract one audio source's frames; never raises for bad input.

    Parameters
    ----------
    audio : str, os.PathLike or array-like
        A file path or the samples.
    sampling_rate : int, float or None
        Needed when ``audio`` holds samples.
    spec : FeatureSpec
    target_rate : int or None
        Rate openSMILE resamples to (None keeps the input's rate).
    cache : FrameCache or None
        Where extracted frames are kept: a file is keyed by its path, size and
        modification time, an array by its content, both with the feature
        parameters.
    log_path : str or None
        File to which each real extraction appends a line (see
        :data:`EXTRACTION_LOG_ENV`).

    Returns
    -------
    RowResult
    """
    global _log_path
    _log_path = log_path
    _leave_ctrl_c_to_the_parent()
    try:
        key_parts, read = audio_source(audio, sampling_rate)

        def compute():
            signal, rate, notes = read(target_rate)
            frames, step = _check_and_extract(signal, rate, spec, target_rate)
            _log_extraction(key_parts[1] if key_parts[0] == "file"
                            else f"array of {signal.size} samples at {rate} Hz")
            return frames, step, notes

        key = cache.key(*key_parts, *_spec_key(spec, target_rate)) if cache else None
        frames, step, notes = cached(cache, key, compute)
    except Exception as exc:  # one bad row must not cost the others
        return RowResult(error=error_message(exc))
    return RowResult(frames=frames, frame_step=step, notes=list(notes))
