"""openSMILE feature sets: resolving the user's choice and running the extractor.

The ``opensmile`` package crashes on some string combinations of feature set
and level, so names are always resolved to its enums here.  ``"maec45"`` is
the paper's 45 LLDs, produced in one pass by a config shipped in the package
(``configs/maec45.conf``).
"""

import contextlib
import functools
import hashlib
import math
import os
import signal
import threading
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["FeatureSpec", "resolve_feature_set", "extract_lld", "expected_frame_count",
           "MAEC45_CONFIG", "BUILTIN_FEATURE_SETS"]

MAEC45_CONFIG = os.path.join(os.path.dirname(__file__), "configs", "maec45.conf")

# openSMILE's own frame-level sets that produce frames (not functionals only).
BUILTIN_FEATURE_SETS = (
    "ComParE_2016", "GeMAPSv01a", "GeMAPSv01b", "eGeMAPSv01a", "eGeMAPSv01b", "eGeMAPSv02",
    "emobase", "IS09", "IS10", "IS11", "IS12", "IS13",
)
_LEVEL_ALIASES = {
    "lld": "LowLevelDescriptors",
    "lowleveldescriptors": "LowLevelDescriptors",
    "lld_de": "LowLevelDescriptors_Deltas",
    "lowleveldescriptors_deltas": "LowLevelDescriptors_Deltas",
}
# Frames shorter than this give openSMILE nothing to analyse (it returns one NaN row).
MIN_SAMPLES = 401


@dataclass(frozen=True)
class FeatureSpec:
    """A resolved, hashable description of a feature set.

    Attributes
    ----------
    kind : {"maec45", "builtin", "conf"}
    name : str
        The built-in set's name, or the config file's absolute path.
    level : str
        The feature level (enum name for built-in sets, sink level otherwise).
    digest : str
        Content hash of the config file (so editing a ``.conf`` invalidates caches).
    """

    kind: str
    name: str
    level: str
    digest: str = ""

    @property
    def identity(self):
        """What the spec computes, by content (JSON-safe): no file path, so it travels.

        Two specs with the same identity give the same features: the kind, the
        level, the configuration's digest, and the name of a built-in set.
        """
        return {"kind": self.kind, "name": self.name if self.kind == "builtin" else "",
                "level": self.level, "digest": self.digest}

    def make_smile(self, sampling_rate):
        """Return an ``opensmile.Smile`` for this spec (resampling to ``sampling_rate``)."""
        import opensmile

        if self.kind == "builtin":
            feature_set = opensmile.FeatureSet[self.name]
            level = opensmile.FeatureLevel[self.level]
        else:
            feature_set, level = self.name, self.level
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=DeprecationWarning)
            return opensmile.Smile(
                feature_set=feature_set,
                feature_level=level,
                sampling_rate=sampling_rate,
                resample=sampling_rate is not None,
            )


def _file_digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha1(fh.read()).hexdigest()


def resolve_feature_set(feature_set, feature_level=None):
    """Resolve the user's ``feature_set`` / ``feature_level`` into a :class:`FeatureSpec`.

    Parameters
    ----------
    feature_set : str, os.PathLike or opensmile.FeatureSet
        ``"maec45"``, a built-in set's name (``"IS10"``, ``"emobase"``, ...) or
        enum, or the path of an openSMILE ``.conf`` file.
    feature_level : str, opensmile.FeatureLevel or None
        For built-in sets: ``"LowLevelDescriptors"`` (default, alias ``"lld"``)
        or ``"LowLevelDescriptors_Deltas"`` (``"lld_de"``).  For a ``.conf``
        file: the name of its sink level (default ``"lld"``).

    Returns
    -------
    FeatureSpec
    """
    import opensmile

    if isinstance(feature_set, opensmile.FeatureSet):
        feature_set = feature_set.name
    if isinstance(feature_level, opensmile.FeatureLevel):
        feature_level = feature_level.name
    if feature_level is not None and not isinstance(feature_level, str):
        raise TypeError(f"feature_level must be a str or None, got {type(feature_level).__name__}")

    if isinstance(feature_set, str) and feature_set == "maec45":
        if feature_level not in (None, "maec45"):
            raise ValueError("feature_set='maec45' has a single level; got "
                             f"feature_level={feature_level!r}")
        return FeatureSpec("maec45", MAEC45_CONFIG, "maec45", _file_digest(MAEC45_CONFIG))

    if isinstance(feature_set, str) and feature_set in opensmile.FeatureSet.__members__:
        if feature_set not in BUILTIN_FEATURE_SETS:  # deprecated aliases (GeMAPS, eGeMAPS)
            feature_set = opensmile.FeatureSet[feature_set].name
        level = _LEVEL_ALIASES.get((feature_level or "lld").lower())
        if level is None:
            raise ValueError(
                f"feature_level={feature_level!r} does not give frames: use 'LowLevelDescriptors' "
                "('lld') or 'LowLevelDescriptors_Deltas' ('lld_de'); functionals have one row per "
                "file and cannot be segmented"
            )
        if level == "LowLevelDescriptors_Deltas" and feature_set.startswith(("GeMAPS", "eGeMAPS")):
            raise ValueError(f"feature set {feature_set!r} has no LowLevelDescriptors_Deltas level")
        return FeatureSpec("builtin", feature_set, level)

    if isinstance(feature_set, (str, os.PathLike)):
        path = os.fspath(feature_set)
        if path.endswith(".conf") or os.sep in path or os.path.exists(path):
            if not os.path.isfile(path):
                raise FileNotFoundError(f"openSMILE config file not found: {path!r}")
            path = os.path.abspath(path)
            return FeatureSpec("conf", path, feature_level or "lld", _file_digest(path))

    raise ValueError(
        f"unknown feature_set {feature_set!r}: use 'maec45' (the paper's 45 LLDs), one of "
        f"openSMILE's sets {list(BUILTIN_FEATURE_SETS)}, or the path of a .conf file"
    )


@functools.lru_cache(maxsize=16)
def _smile(spec, sampling_rate):
    # One extractor per process and configuration: building it parses the config.
    return spec.make_smile(sampling_rate)


def feature_names(spec):
    """Column names the spec produces."""
    return list(_smile(spec, None).feature_names)


@contextlib.contextmanager
def _sigint_deferred():
    """Hold a Ctrl-C (SIGINT) that arrives inside openSMILE until it returns, then raise it.

    openSMILE hands every frame to a Python callback through ctypes, and ctypes
    swallows an exception raised inside a callback (it prints ``Exception
    ignored ...``): a KeyboardInterrupt landing there would drop one frame and
    let the run go on with a torn result.  Here the interrupt only sets a flag
    while openSMILE runs, and the KeyboardInterrupt is raised once it is done.
    Only where Python's default handler is installed, in the main thread (the
    only one that receives signals); a handler of the user's is left alone.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pending = []
    signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pending:
        raise KeyboardInterrupt


def extract_lld(signal, sampling_rate, spec, target_rate):
    """Run openSMILE on one mono float32 signal.

    A Ctrl-C during the extraction is raised as a KeyboardInterrupt when
    openSMILE returns (see :func:`_sigint_deferred`), never lost inside it.

    Returns
    -------
    frames : ndarray of shape (n_frames, n_lld), float32
    frame_step : float or None
        Seconds between frame starts (None when fewer than two frames).
    """
    smile = _smile(spec, target_rate)
    with warnings.catch_warnings(), _sigint_deferred():
        # The caller checks lengths and NaNs itself and reports them per row.
        warnings.simplefilter("ignore", UserWarning)
        df = smile.process_signal(signal, sampling_rate)
    frames = df.to_numpy(dtype=np.float32)
    step = None
    if len(df) >= 2:
        starts = df.index.get_level_values("start")
        step = round((starts[1] - starts[0]).total_seconds(), 6)
    return frames, step


#: Length (seconds) of the reference signal a spec's frame-count offset is measured on.
_REFERENCE_SECONDS = 1.0


@functools.lru_cache(maxsize=16)
def _frame_count_offset(spec, target_rate):
    """Frames a spec gives fewer than ``floor(duration / frame_step)``, and its frame step.

    Measured once per process on a second of noise: a whole extraction with
    the config's own windows and delta alignment, so nothing about the config
    is assumed.  None when the spec gives no regular frames.
    """
    rate = target_rate or 16000
    n = int(round(_REFERENCE_SECONDS * rate))
    noise = np.random.default_rng(0).standard_normal(n).astype(np.float32) * np.float32(0.1)
    frames, step = extract_lld(noise, rate, spec, target_rate)
    if not step:
        return None
    return math.floor(_REFERENCE_SECONDS / step + 1e-6) - frames.shape[0], step


def expected_frame_count(spec, target_rate, n_samples, sampling_rate):
    """Frames a whole extraction of ``n_samples`` at ``sampling_rate`` gives, or None if unknown.

    ``floor(duration / frame_step)`` less the spec's offset (the frames its
    analysis windows and delta alignment cost, measured by
    :func:`_frame_count_offset`).  Exact when openSMILE resamples to
    ``target_rate``; at an input's own rate the frame step may not be a whole
    number of samples and the count can differ by one, so callers treat a
    mismatch as a reason to look again, not as an error.

    Parameters
    ----------
    spec : FeatureSpec
    target_rate : int or None
    n_samples : int
    sampling_rate : int

    Returns
    -------
    count : int or None
    """
    offset = _frame_count_offset(spec, target_rate)
    if offset is None:
        return None
    offset, step = offset
    if target_rate is not None and target_rate != sampling_rate:
        # openSMILE's resampler rounds the length up
        n_samples = math.ceil(n_samples * target_rate / sampling_rate - 1e-6)
        sampling_rate = target_rate
    return max(math.floor(n_samples / sampling_rate / step + 1e-6) - offset, 1)
