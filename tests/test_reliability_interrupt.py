"""Reliability (issue 8), part 2: interruptions, concurrent writers and temporary files.

Related cases elsewhere: test_cache.py (a torn cache entry is a miss and is recomputed;
two whole segmenter runs filling one cache at once), test_callbacks.py (checkpoint and
resume in one process equals an uninterrupted run).
"""

import errno
import glob
import json
import multiprocessing
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
import soundfile
import torch

import sklearn_maec.features._cache as cache_module
from sklearn_maec import MAECClassifier, OpenSmileSegmenter
from sklearn_maec.datasets import load_meld, make_meld_layout
from sklearn_maec.exceptions import AudioWarning
from sklearn_maec.features._cache import FrameCache
from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV
from sklearn_maec.model.callbacks import recover_checkpoint, resumable_checkpoint

pytestmark = pytest.mark.reliability


def voice(seconds, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    f0 = 120 + 10 * seed
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    return (0.2 * x + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


def entries(location):
    """Complete entries of a frames cache (not the temporary files of a writer)."""
    return sorted(glob.glob(os.path.join(location, "sklearn_maec_frames", "*", "*.npz")))


def temporaries(directory):
    return [p for p in glob.glob(os.path.join(directory, "**", "*"), recursive=True)
            if os.path.basename(p).startswith(".tmp") or p.endswith(".tmp")]


def wait_for(condition, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the child exited early with {proc.returncode}: "
                                 f"{proc.stderr.read().decode(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the child")
        time.sleep(0.05)


# --------------------------------------------------------------------------- extraction
def test_extraction_killed_half_way_resumes_without_recomputing(tmp_path, monkeypatch):
    wavs = tmp_path / "wavs"
    wavs.mkdir()
    files = []
    for i in range(16):
        path = wavs / f"utt {i:02d}.wav"
        soundfile.write(path, voice(0.6, i), 16000, subtype="PCM_16")
        files.append(str(path))
    cache = str(tmp_path / "cache")
    # the child extracts slowly (0.2 s a file), so it is surely killed half way
    script = textwrap.dedent(f"""
        import time
        import sklearn_maec.features._extraction as ex
        from sklearn_maec import OpenSmileSegmenter
        original = ex._check_and_extract
        def slow(*args, **kwargs):
            time.sleep(0.2)
            return original(*args, **kwargs)
        ex._check_and_extract = slow
        OpenSmileSegmenter(memory={cache!r}, n_jobs=1).fit({files!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(entries(cache)) >= 5, timeout=120, proc=proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    done = entries(cache)
    assert 5 <= len(done) < len(files)  # killed half way
    store = FrameCache(cache)
    assert all(store.load(os.path.basename(p)[:-4]) is not None for p in done)  # none torn

    log = tmp_path / "extractions.log"
    monkeypatch.setenv(EXTRACTION_LOG_ENV, str(log))
    resumed = OpenSmileSegmenter(memory=cache, standardize=False).fit_transform(files)
    extracted = log.read_text().splitlines()
    assert len(extracted) == len(files) - len(done)  # the finished files were not recomputed
    assert len(entries(cache)) == len(files)
    clean = OpenSmileSegmenter(standardize=False).fit_transform(files)
    for a, b in zip(resumed["frames"], clean["frames"], strict=True):
        np.testing.assert_array_equal(a, b)


def _hammer(location, writer, n_keys, rounds):
    """Save the same keys over and over; writer 0 writes zeros, writer 1 ones (forked child)."""
    cache = FrameCache(location)
    for _ in range(rounds):
        for k in range(n_keys):
            frames = np.full((400, 45), writer, dtype=np.float32)
            cache.save(FrameCache.key("entry", k), frames, 0.01, [f"writer {writer}"])


def test_two_processes_writing_the_same_entries_never_tear_them(tmp_path):
    """Two processes rewrite the same cache entries while this one reads them.

    A reader sees no entry or a whole one from one writer, never a mix or a torn file.
    (test_cache.py runs two whole segmenters on one cache; this is the tight loop.)
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    location, n_keys = str(tmp_path / "shared"), 8
    writers = [ctx.Process(target=_hammer, args=(location, w, n_keys, 40)) for w in (0, 1)]
    for p in writers:
        p.start()
    cache, seen = FrameCache(location), {0: 0, 1: 0}
    try:
        while any(p.is_alive() for p in writers):
            for k in range(n_keys):
                hit = cache.load(FrameCache.key("entry", k))
                if hit is None:
                    continue
                frames, step, notes = hit
                writer = int(frames[0, 0])
                assert frames.shape == (400, 45) and step == 0.01
                assert (frames == writer).all() and notes == [f"writer {writer}"]
                seen[writer] += 1
    finally:
        for p in writers:
            p.join(60)
    assert [p.exitcode for p in writers] == [0, 0]
    assert all(cache.load(FrameCache.key("entry", k)) is not None for k in range(n_keys))
    assert len(entries(location)) == n_keys and not temporaries(location)
    assert sum(seen.values()) > 0


# --------------------------------------------------------------------------- training
_TRAIN = dict(latent_dim=8, conv_channels=8, disc_hidden=16, random_state=3, patience=None,
              validation_fraction=None, max_epochs=6)


def _training_data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((64, 12, 6)).astype(np.float32),
            rng.choice(["a", "b", "c"], 64))


def test_training_killed_between_epochs_resumes_like_an_uninterrupted_run(tmp_path):
    """A training process killed with SIGKILL after its 3rd checkpoint, then resumed.

    test_callbacks.py covers stopping and resuming in one process; here the first run
    dies for real (no clean-up code runs) and the second starts in another process.
    """
    ckpt, marker = tmp_path / "ckpt", tmp_path / "epoch3"
    script = textwrap.dedent(f"""
        import os, time
        import numpy as np
        import torch
        from skorch.callbacks import Callback
        from sklearn_maec import MAECClassifier
        from sklearn_maec.model.callbacks import recover_checkpoint, resumable_checkpoint
        torch.set_num_threads(1)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((64, 12, 6)).astype(np.float32)
        y = rng.choice(["a", "b", "c"], 64)

        class Stall(Callback):  # runs after the checkpoint callback
            def on_epoch_end(self, net, **kwargs):
                if len(net.history) == 3:
                    open({str(marker)!r}, "w").close()
                    time.sleep(120)

        MAECClassifier(callbacks=[*resumable_checkpoint({str(ckpt)!r}), ("stall", Stall())],
                       **{_TRAIN!r}).fit(X, y)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    try:
        wait_for(marker.exists, timeout=120, proc=proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    X, y = _training_data()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        resumed = MAECClassifier(callbacks=resumable_checkpoint(ckpt), **_TRAIN).fit(X, y)
        full = MAECClassifier(**_TRAIN).fit(X, y)
    finally:
        torch.set_num_threads(threads)
    assert len(resumed.history) == 6
    assert resumed.history[:, "event_checkpoint"] == [True] * 6
    np.testing.assert_allclose(resumed.history[:, "train_loss"], full.history[:, "train_loss"],
                               rtol=1e-5)
    np.testing.assert_allclose(resumed.predict_proba(X), full.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


# --------------------------------------------------------------------------- temporary files
def test_cache_write_failures_leave_no_temporary_files(tmp_path, monkeypatch):
    x = voice(0.6, 1)
    X = pd.DataFrame({"audio": [x], "sampling_rate": [16000]})
    location = str(tmp_path / "cache")
    OpenSmileSegmenter(memory=location).fit(X)  # success: one entry, no temporary file
    assert len(entries(location)) == 1 and not temporaries(location)

    def full_disk(fh, **arrays):  # half an entry written, then the disk is full
        fh.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module.np, "savez", full_disk)
    y = voice(0.6, 2)
    with pytest.warns(AudioWarning, match="could not write to the cache.*No space left"):
        Xt = OpenSmileSegmenter(memory=location).fit_transform(
            pd.DataFrame({"audio": [y], "sampling_rate": [16000]}))
    assert len(Xt["frames"].iloc[0]) > 0  # the row is kept: the failure costs the cache only
    assert len(entries(location)) == 1 and not temporaries(location)

    def interrupted(fh, **arrays):  # Ctrl-C in the middle of a write
        fh.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_module.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        FrameCache(location).save("ab" + "0" * 38, np.zeros((2, 45), np.float32), 0.01, [])
    assert len(entries(location)) == 1 and not temporaries(location)


@pytest.fixture
def fake_ffmpeg(tmp_path, monkeypatch):
    """An ``ffmpeg`` on PATH that copies its input (a wav named .mp4) or fails half way."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "ffmpeg"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import shutil, sys
        src, out = sys.argv[sys.argv.index("-i") + 1], sys.argv[-1]
        if "utt0" in src:  # a corrupt media file: ffmpeg writes a little, then fails
            open(out, "wb").write(b"RIFF partial")
            sys.stderr.write(src + ": Invalid data found when processing input\\n")
            sys.exit(1)
        shutil.copyfile(src, out)
    """))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return script


def test_meld_audio_extraction_failures_leave_no_temporary_files(tmp_path, fake_ffmpeg):
    root = tmp_path / "meld"
    make_meld_layout(root, splits=("dev",), n_dialogues=2, media="wav", turns_per_dialogue=3,
                     duration_median=0.4)
    for wav in glob.glob(str(root / "dev_splits_complete" / "*.wav")):
        os.replace(wav, wav[:-4] + ".mp4")  # "media" that the fake ffmpeg decodes
    audio_cache = tmp_path / "audio cache"
    with pytest.raises(ValueError, match="dia0_utt0.mp4.*Invalid data"):
        load_meld(root, split="dev", audio_cache=audio_cache)
    assert not temporaries(str(audio_cache))
    with pytest.warns(UserWarning, match="media file\\(s\\) missing or unreadable"):
        X, y, summary = load_meld(root, split="dev", audio_cache=audio_cache,
                                  on_missing="skip", return_summary=True)
    assert not temporaries(str(audio_cache))
    assert len(X) and all(os.path.isfile(p) for p in X["audio"])
    assert not any(p.endswith(("dia0_utt0.wav", "dia1_utt0.wav")) for p in X["audio"])
    assert all(soundfile.info(p).frames > 0 for p in X["audio"])


class _Killed(BaseException):
    """Stands for SIGKILL: no ``except Exception`` (nor skorch's Ctrl-C handler) stops it."""


@pytest.mark.parametrize("when", ["writing", "moving"])
def test_training_killed_while_saving_a_checkpoint_resumes_consistently(tmp_path, monkeypatch,
                                                                        when):
    """Killed half way through saving the 3rd checkpoint: after writing its weights (was:
    those weights resumed with the history and optimizer of epoch 2, a silently different
    model) or half way through moving its files into place."""
    import sklearn_maec.model.callbacks as callbacks_module

    X, y = _training_data()
    ckpt = tmp_path / "ckpt"
    if when == "writing":
        original = MAECClassifier.save_params

        def save_params(self, **kwargs):
            if "f_optimizer" in kwargs and len(self.history) == 3:
                raise _Killed
            return original(self, **kwargs)

        monkeypatch.setattr(MAECClassifier, "save_params", save_params)
    else:
        original = callbacks_module.os.replace
        calls = []

        def replace(src, dst):
            if os.path.basename(src).startswith(".tmp-") and not dst.endswith("journal.json"):
                calls.append(dst)
                if len(calls) == 2 * 5 + 2:  # epochs 1-2 moved 5 files each; 2 of epoch 3
                    raise _Killed
            return original(src, dst)

        monkeypatch.setattr(callbacks_module.os, "replace", replace)
    with pytest.raises(_Killed):
        MAECClassifier(callbacks=resumable_checkpoint(ckpt), **_TRAIN).fit(X, y)
    monkeypatch.undo()
    assert any(n.startswith(".tmp-") for n in os.listdir(ckpt))  # the interrupted save ...
    # ... is repaired when training resumes: dropped (writing) or completed (moving)
    assert recover_checkpoint(ckpt) == ("discarded" if when == "writing" else "completed")
    assert not any(n.startswith(".tmp-") or "journal" in n for n in os.listdir(ckpt))
    with open(ckpt / "history.json") as fh:
        assert len(json.load(fh)) == (2 if when == "writing" else 3)
    resumed = MAECClassifier(callbacks=resumable_checkpoint(ckpt), **_TRAIN)
    resumed.fit(X, y)
    full = MAECClassifier(**_TRAIN).fit(X, y)
    assert len(resumed.history) == 6
    np.testing.assert_allclose(resumed.history[:, "train_loss"], full.history[:, "train_loss"],
                               rtol=1e-5)
    np.testing.assert_allclose(resumed.predict_proba(X), full.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


# --------------------------------------------------------------------------- Ctrl-C, command line
# A real ``python -m sklearn_maec`` process gets SIGINT as from Ctrl-C at a terminal: sent to
# its whole process group (the joblib workers too).  Expected: exit code 130, one line saying
# where it stopped, no model file, no fold result, and a frames cache of whole entries only.

def _cli(args, tmp_path, extraction_log=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    if extraction_log is not None:
        env[EXTRACTION_LOG_ENV] = str(extraction_log)
    return subprocess.Popen([sys.executable, "-m", "sklearn_maec", *args], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def _ctrl_c(proc, timeout=60):
    """Interrupt like a terminal's Ctrl-C; return (exit code, stdout, stderr)."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # Ctrl-C ignored: the bug this section is about
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError("still running after SIGINT: " + err.decode()[-2000:]) from None
    return proc.returncode, out.decode(), err.decode()


class _Lines:
    """Collect a pipe's lines in a thread (so the child never blocks on a full pipe)."""

    def __init__(self, stream):
        import threading

        self.lines = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, b""):
            self.lines.append(line.decode(errors="replace"))

    def text(self):
        return "".join(self.lines)


@pytest.fixture(scope="module")
def long_release(tmp_path_factory):
    """An IEMOCAP-like release of ~50 turns of ~4 s: extraction lasts a few seconds."""
    from sklearn_maec.datasets import make_iemocap_layout

    root = tmp_path_factory.mktemp("long_release")
    make_iemocap_layout(root, n_sessions=2, dialogues_per_session=3, turns_per_dialogue=(8, 9),
                        duration_median=4.0, random_state=0)
    return root


@pytest.fixture(scope="module")
def short_release(tmp_path_factory):
    from sklearn_maec.datasets import make_iemocap_layout

    root = tmp_path_factory.mktemp("short_release")
    make_iemocap_layout(root, n_sessions=2, dialogues_per_session=2, random_state=0)
    return root


def _cached_frames_are_whole(cache, release):
    """Every cached extraction equals a fresh one of the same file (none torn); how many."""
    from sklearn_maec.features._extraction import _spec_key, extract_row
    from sklearn_maec.features._opensmile import resolve_feature_set

    spec = resolve_feature_set("maec45")
    store = FrameCache(cache)
    n_cached = 0
    for wav in sorted(glob.glob(os.path.join(release, "**", "*.wav"), recursive=True)):
        st = os.stat(wav)
        key = store.key("file", os.path.abspath(wav), st.st_size, st.st_mtime_ns,
                        *_spec_key(spec, 16000))
        hit = store.load(key)
        if hit is None:
            continue
        fresh = extract_row(wav, None, spec, 16000)
        assert hit[0].shape == fresh.frames.shape, wav  # a torn entry has fewer frames
        np.testing.assert_array_equal(hit[0], fresh.frames)
        n_cached += 1
    return n_cached


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_cli_ctrl_c_during_extraction_stops_and_caches_only_whole_entries(
        long_release, tmp_path, n_jobs):
    cache, log, model = tmp_path / "cache", tmp_path / "extractions.log", tmp_path / "m.maec"
    proc = _cli(["fit", "--iemocap", str(long_release), "--out", str(model), "--cache",
                 str(cache), "--n-jobs", str(n_jobs), "--max-epochs", "2",
                 "--param", "conv_channels=8", "--param", "latent_dim=8"], tmp_path, log)
    wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 3, timeout=120,
             proc=proc)
    n_files = len(glob.glob(os.path.join(long_release, "**", "*.wav"), recursive=True))
    assert len(log.read_text().splitlines()) < n_files - 5  # surely interrupted half way
    code, out, err = _ctrl_c(proc)
    assert code == 130, err[-3000:]
    assert "interrupted (feature extraction" in err
    assert "Exception ignored" not in err and "Traceback" not in err
    assert "trained on" not in out and not model.exists()
    n_entries = len(entries(str(cache)))
    assert 0 < n_entries < n_files
    assert not temporaries(str(cache))
    # what is cached is whole, so a new run reuses it safely
    assert _cached_frames_are_whole(str(cache), long_release) == n_entries


def _interrupt_at_epoch_two(args, tmp_path):
    """Run the CLI with a long training, Ctrl-C it once epoch 2 is logged; check the exit.

    Returns the stdout lines; the exit code 130 and the ``interrupted (epoch N of 500)``
    line are asserted here.
    """
    proc = _cli([*args, "-v", "--max-epochs", "500", "--param", "conv_channels=8", "--param",
                 "latent_dim=8"], tmp_path)
    out = _Lines(proc.stdout)
    wait_for(lambda: any(line.split()[:1] == ["2"] for line in out.lines), timeout=120,
             proc=proc)
    os.killpg(proc.pid, signal.SIGINT)
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert code == 130, err[-3000:]
    assert re.search(r"^interrupted \(epoch \d+ of 500\)$", err, re.MULTILINE), err[-3000:]
    return out


@pytest.mark.slow
def test_cli_ctrl_c_during_training_saves_nothing(short_release, tmp_path):
    model = tmp_path / "m.maec"
    out = _interrupt_at_epoch_two(["fit", "--iemocap", str(short_release), "--out", str(model)],
                                  tmp_path)
    assert "saved to" not in out.text() and not model.exists()
    assert "\x1b[" not in out.text()  # the epoch log into a pipe has no colour codes


@pytest.mark.slow
def test_cli_ctrl_c_during_evaluate_reports_no_fold(short_release, tmp_path):
    report = tmp_path / "r.json"
    out = _interrupt_at_epoch_two(["evaluate", "--iemocap", str(short_release), "--report",
                                   str(report)], tmp_path)
    assert " UA " not in out.text() and "mean +- std" not in out.text()  # no fold reported
    assert not report.exists()
