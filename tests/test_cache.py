"""The frames cache: atomic entries, torn files recomputed, safe across processes, no pickle."""

import glob
import os
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest

from sklearn_maec.features import OpenSmileSegmenter
from sklearn_maec.features._cache import FrameCache, as_cache
from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV


def test_round_trip_and_miss(tmp_path):
    cache = FrameCache(tmp_path)
    key = cache.key("file", "/a.wav", 10, 20)
    assert cache.load(key) is None
    frames = np.arange(12, dtype=np.float32).reshape(3, 4)
    cache.save(key, frames, 0.01, ["mixed 2 channels down to mono"])
    got, step, notes = cache.load(key)
    np.testing.assert_array_equal(got, frames)
    assert step == 0.01 and notes == ["mixed 2 channels down to mono"]
    assert cache.key("file", "/a.wav", 10, 21) != key  # another mtime, another entry
    assert not glob.glob(str(tmp_path / "**" / ".tmp-*"), recursive=True)


def test_float16_frames_stay_float16_and_others_become_float32(tmp_path):
    cache = FrameCache(tmp_path)
    half = (np.arange(12).reshape(3, 4) / 7).astype(np.float16)
    cache.save("aa1", half, 0.02, [])
    got, step, _ = cache.load("aa1")
    assert got.dtype == np.float16 and step == 0.02
    np.testing.assert_array_equal(got, half)
    cache.save("aa2", half.astype(np.float64), 0.02, [])
    assert cache.load("aa2")[0].dtype == np.float32


def test_array_keys_follow_content(tmp_path):
    a = np.zeros(10, np.float32)
    b = a.copy()
    assert FrameCache.key(a) == FrameCache.key(b)
    b[3] = 1
    assert FrameCache.key(a) != FrameCache.key(b)


def test_torn_entry_is_a_miss_and_gets_rewritten(wav_corpus, tmp_path, monkeypatch):
    X, _ = wav_corpus
    log = tmp_path / "log"
    monkeypatch.setenv(EXTRACTION_LOG_ENV, str(log))
    seg = OpenSmileSegmenter(memory=str(tmp_path / "c"))
    ref = seg.fit_transform(X.iloc[:2])
    entries = sorted(glob.glob(str(tmp_path / "c" / "**" / "*.npz"), recursive=True))
    assert len(entries) == 2
    with open(entries[0], "r+b") as fh:  # a crash half way through a write (without os.replace)
        fh.truncate(50)
    again = seg.transform(X.iloc[:2])
    assert len(log.read_text().splitlines()) == 3  # only the torn entry was recomputed
    for a, b in zip(ref["frames"], again["frames"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert FrameCache(tmp_path / "c").load(os.path.basename(entries[0])[:-4]) is not None


def test_memory_accepts_joblib_memory_and_rejects_junk(tmp_path):
    assert as_cache(None) is None
    assert as_cache(joblib.Memory(None)) is None
    assert as_cache(joblib.Memory(str(tmp_path))).location == str(tmp_path)
    with pytest.raises(ValueError, match="memory must be"):
        as_cache(42)


def test_entries_load_without_pickle(wav_corpus, tmp_path):
    X, _ = wav_corpus
    OpenSmileSegmenter(memory=str(tmp_path)).fit(X.iloc[:1])
    (entry,) = glob.glob(str(tmp_path / "**" / "*.npz"), recursive=True)
    with np.load(entry, allow_pickle=False) as data:  # would raise if an object array were inside
        assert data["frames"].dtype == np.float32


@pytest.mark.slow
def test_two_processes_filling_one_cache_at_once(wav_corpus, tmp_path):
    X, _ = wav_corpus
    paths = list(X["audio"])
    script = textwrap.dedent(f"""
        import sys, numpy as np, pandas as pd
        from sklearn_maec.features import OpenSmileSegmenter
        X = pd.DataFrame({{"audio": {paths!r}}})
        out = OpenSmileSegmenter(memory={str(tmp_path / 'shared')!r}, standardize=False,
                                 n_jobs=1).fit_transform(X)
        np.save(sys.argv[1], np.concatenate(list(out["frames"])))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / f"out{k}.npy")])
             for k in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    a, b = np.load(tmp_path / "out0.npy"), np.load(tmp_path / "out1.npy")
    np.testing.assert_array_equal(a, b)
    cache = FrameCache(tmp_path / "shared")
    entries = glob.glob(os.path.join(cache.root, "*", "*.npz"))
    assert len(entries) == len(paths)
    assert all(cache.load(os.path.basename(e)[:-4]) is not None for e in entries)
    assert not glob.glob(os.path.join(cache.root, "*", ".tmp-*"))


def test_a_killed_writers_temporary_is_removed_once_stale(wav_corpus, tmp_path):
    cache = FrameCache(tmp_path)
    cache.save(cache.key("a"), np.ones((3, 2)), 0.01, [])
    shard = os.path.dirname(cache._path(cache.key("a")))
    stale, fresh = os.path.join(shard, ".tmp-dead.npz"), os.path.join(shard, ".tmp-busy.npz")
    for path in (stale, fresh):
        with open(path, "wb") as fh:
            fh.write(b"PK\x03")  # what a writer killed mid-file leaves
    two_hours_ago = os.path.getmtime(stale) - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(fresh, (two_hours_ago + 7140, two_hours_ago + 7140))  # a minute old
    # the next extraction run over the cache sweeps it
    X, _ = wav_corpus
    OpenSmileSegmenter(memory=str(tmp_path)).fit(X)
    again = FrameCache(tmp_path)
    assert not os.path.exists(stale)
    assert os.path.exists(fresh)  # may belong to a writer still at work
    assert again.load(again.key("a"))[0].shape == (3, 2)
    assert again.remove_stale_temporaries(older_than=0.0) == [fresh]
