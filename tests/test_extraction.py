"""Per-file extraction (features/_extraction.py): a result is whole before it is cached.

openSMILE hands each frame to a Python callback through ctypes, which swallows an
exception raised there (a Ctrl-C, a MemoryError) and returns a result a frame short.
Related: test_reliability_interrupt.py (Ctrl-C sent to a real command-line process).
"""

import glob
import os
import signal

import numpy as np
import pytest
import soundfile

from sklearn_maec.features._cache import FrameCache


def voice(seconds, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    f0 = 120 + 10 * seed
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    return (0.2 * x + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


def entries(location):
    return sorted(glob.glob(os.path.join(location, "sklearn_maec_frames", "*", "*.npz")))


# --------------------------------------------------------------------------- torn extractions
def _tearing(monkeypatch, drops):
    """Make the k-th openSMILE run lose ``drops[k]`` frames (as a swallowed exception does)."""
    import sklearn_maec.features._extraction as extraction

    original, calls = extraction.extract_lld, []

    def torn(*args, **kwargs):
        frames, step = original(*args, **kwargs)
        k = len(calls)
        calls.append(k)
        n = drops[k] if k < len(drops) else 0
        return (frames[: len(frames) - n] if n else frames), step

    monkeypatch.setattr(extraction, "extract_lld", torn)
    return calls


def test_a_torn_extraction_is_run_again_and_never_cached(tmp_path, monkeypatch):
    from sklearn_maec.features._extraction import extract_row
    from sklearn_maec.features._opensmile import resolve_feature_set

    wav = tmp_path / "a.wav"
    soundfile.write(wav, voice(1.3, 0), 16000, subtype="PCM_16")
    spec = resolve_feature_set("maec45")
    whole = extract_row(str(wav), None, spec, 16000).frames
    cache = FrameCache(tmp_path / "cache")
    calls = _tearing(monkeypatch, [1])  # the first run loses its last frame
    result = extract_row(str(wav), None, spec, 16000, cache=cache)
    assert len(calls) == 2 and result.error is None
    np.testing.assert_array_equal(result.frames, whole)
    monkeypatch.undo()
    (hit,) = [np.load(p)["frames"] for p in entries(str(tmp_path / "cache"))]
    np.testing.assert_array_equal(hit, whole)


def test_two_torn_extractions_that_disagree_are_an_error_and_nothing_is_cached(tmp_path,
                                                                               monkeypatch):
    from sklearn_maec.features._extraction import extract_row
    from sklearn_maec.features._opensmile import resolve_feature_set

    wav = tmp_path / "a.wav"
    soundfile.write(wav, voice(1.3, 0), 16000, subtype="PCM_16")
    _tearing(monkeypatch, [1, 3])
    result = extract_row(str(wav), None, resolve_feature_set("maec45"), 16000,
                         cache=FrameCache(tmp_path / "cache"))
    assert result.frames is None
    assert "cut short" in result.error and "nothing was cached" in result.error
    assert entries(str(tmp_path / "cache")) == []


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_whole_extractions_pass_the_frame_count_check_at_once(rate, tmp_path, monkeypatch):
    """At 16 kHz (the default target) the count rule is exact: one openSMILE run per file."""
    from sklearn_maec.features._extraction import extract_row
    from sklearn_maec.features._opensmile import resolve_feature_set

    spec = resolve_feature_set("maec45")
    calls = _tearing(monkeypatch, [])
    for k, seconds in enumerate([0.45, 0.61, 1.0, 2.337, 3.9]):
        rng = np.random.default_rng(k)
        n = int(seconds * rate)
        x = (0.1 * rng.standard_normal(n)).astype(np.float32)
        path = tmp_path / f"{k}.wav"
        soundfile.write(path, x, rate, subtype="FLOAT")
        assert extract_row(str(path), None, spec, 16000).error is None
    assert len(calls) == 5


def test_ctrl_c_inside_opensmile_is_raised_when_it_returns_not_lost(monkeypatch):
    """A SIGINT landing in openSMILE's frame callback would be swallowed by ctypes."""
    import threading

    from sklearn_maec.features._opensmile import extract_lld, resolve_feature_set

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("another SIGINT handler is installed")
    spec = resolve_feature_set("maec45")
    # ~1 s inside openSMILE (it runs ~150x real time on one core): the signal at 0.2 s
    # lands inside it on an idle or a loaded machine (40 s of audio was done in < 0.3 s)
    x = voice(150.0, 1)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            extract_lld(x, 16000, spec, 16000)
    finally:
        timer.cancel()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
