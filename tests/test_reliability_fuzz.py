"""Reliability (issue 8), part 1: fuzzing the segmenter, the triple builder and the loaders.

Every case ends in a result that could be checked (the good rows intact, finite frames of
the documented shape) or in an error naming the offending row, file and line: never a
crash, a hang or a silently wrong shape.  Related cases elsewhere: odd *arrays* are fuzzed
in test_segmenter.py (``test_odd_arrays_never_escape_as_exceptions``), the builder's
brute-force equivalence in test_context.py.
"""

import copy
import os
import re
import shutil
import struct
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sklearn_maec import ContextTripleBuilder, OpenSmileSegmenter
from sklearn_maec.datasets import load_iemocap, load_meld, make_iemocap_layout, make_meld_layout
from sklearn_maec.exceptions import AudioWarning, ExtractionError, MAECWarning
from sklearn_maec.features._segments import n_segments

pytestmark = pytest.mark.reliability

FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def voice(seconds=1.0, rate=16000, seed=0):
    """A voiced-like float32 signal (harmonics of 150 Hz plus a little noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6))
    return (0.2 * x + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A directory whose name has spaces and non-ASCII characters.

    Made here, not in ``good``: a test may use it where ``good`` never ran (``-k``, ``-n 2``).
    """
    path = tmp_path_factory.mktemp("fuzz") / "données audio 日本"
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def good(scratch):
    """A good 0.6 s wav file, its bytes, a segmenter fitted on it and its frames."""
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / "good ü.wav"
    soundfile.write(path, voice(0.6), 16000, subtype="PCM_16")
    seg = OpenSmileSegmenter(on_error="warn").fit([str(path)])
    frames = seg.transform([str(path)])["frames"].iloc[0]
    return {"path": str(path), "bytes": path.read_bytes(), "seg": seg, "frames": frames}


def _transform_with(good, path):
    """Transform [good, path, good]; return the output and the warnings' texts."""
    X = pd.DataFrame({"audio": [good["path"], path, good["path"]],
                      "utterance_id": ["good-a", "fuzzed", "good-b"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Xt = good["seg"].transform(X)
    return Xt, [str(w.message) for w in caught if issubclass(w.category, AudioWarning)]


def _check_fuzzed_row(good, Xt, texts, path):
    # the good rows are exactly what a clean run gives
    np.testing.assert_array_equal(Xt["frames"].iloc[0], good["frames"])
    np.testing.assert_array_equal(Xt["frames"].iloc[2], good["frames"])
    frames, bag = Xt["frames"].iloc[1], Xt["segments"].iloc[1]
    assert frames.ndim == 2 and frames.shape[1] == 45 and frames.dtype == np.float32
    assert bag.shape == (n_segments(len(frames), 50, 10), 50, 45)
    if len(frames) == 0:  # failed: reported, naming the row and the file
        assert any("'fuzzed'" in t and repr(path) in t for t in texts), texts
    else:  # read as audio (libsndfile is lenient): then it must be clean
        assert np.isfinite(frames).all()


# --------------------------------------------------------------------------- audio files
@FUZZ
@given(data=st.binary(min_size=0, max_size=3000))
@example(data=b"")
@example(data=b"RIFF")
@example(data=b"RIFF\x24\x00\x00\x00WAVEfmt ")
def test_random_bytes_as_a_wav_file(good, scratch, data):
    path = str(scratch / f"random {uuid.uuid4().hex[:8]}.wav")
    with open(path, "wb") as fh:
        fh.write(data)
    Xt, texts = _transform_with(good, path)
    _check_fuzzed_row(good, Xt, texts, path)
    assert len(Xt["frames"].iloc[1]) == 0 or len(data) > 44


@FUZZ
@given(cut=st.integers(0, 19244), flips=st.lists(
    st.tuples(st.integers(0, 43), st.integers(0, 255)), max_size=4))
def test_truncated_and_corrupted_wav_headers(good, scratch, cut, flips):
    raw = bytearray(good["bytes"][:cut])
    for pos, value in flips:
        if pos < len(raw):
            raw[pos] = value
    path = str(scratch / f"truncated {uuid.uuid4().hex[:8]}.wav")
    with open(path, "wb") as fh:
        fh.write(bytes(raw))
    Xt, texts = _transform_with(good, path)
    _check_fuzzed_row(good, Xt, texts, path)


@pytest.mark.parametrize("offset, fmt, value, expect", [
    (24, "<I", 1, "sampling rate 1 Hz is below"),    # was: 16000x upsampling, killed by OOM
    (24, "<I", 999, "sampling rate 999 Hz is below"),
    (24, "<I", 0, "cannot read"),
    (24, "<I", 2**31 - 1, "too short"),
    (22, "<H", 0, "cannot read"),                      # zero channels
    (22, "<H", 65535, "cannot read"),
    (34, "<H", 64, "cannot read"),                     # 64-bit integer PCM
    (40, "<I", 2**32 - 1, None),                       # data size beyond the file: read it
    (4, "<I", 0, None),                                # RIFF size 0: read anyway
])
def test_header_fields(good, scratch, offset, fmt, value, expect):
    raw = bytearray(good["bytes"])
    raw[offset:offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    path = str(scratch / f"header {offset}-{value}.wav")
    with open(path, "wb") as fh:
        fh.write(bytes(raw))
    Xt, texts = _transform_with(good, path)
    _check_fuzzed_row(good, Xt, texts, path)
    if expect is None:
        np.testing.assert_array_equal(Xt["frames"].iloc[1], good["frames"])
    else:
        assert len(Xt["frames"].iloc[1]) == 0
        assert any(expect in t for t in texts), texts


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "PCM_U8"])
@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_file_formats_rates_and_stereo(scratch, rate, subtype):
    x = voice(0.6, rate)
    path = str(scratch / f"fmt {rate} {subtype} é.wav")
    soundfile.write(path, np.stack([x, x], axis=1), rate, subtype=subtype)  # stereo
    mono = str(scratch / f"fmt {rate} {subtype} mono.wav")
    soundfile.write(mono, x, rate, subtype=subtype)
    with pytest.warns(AudioWarning, match="mixed 2 channels down to mono"):
        Xt = OpenSmileSegmenter(standardize=False).fit_transform([path, mono])
    stereo_frames, mono_frames = Xt["frames"]
    np.testing.assert_array_equal(stereo_frames, mono_frames)  # identical channels mix exactly
    # every rate is resampled to 16 kHz: 0.6 s is about 58 frames of 10 ms
    assert abs(len(mono_frames) - 58) <= 2 and np.isfinite(mono_frames).all()


def test_zero_length_one_sample_nan_and_inf_inputs_name_their_rows(good):
    x = voice(0.6)
    nan, inf = x.copy(), x.copy()
    nan[1234] = np.nan
    inf[99] = -np.inf
    X = pd.DataFrame({"audio": [x, x[:0], x[:1], nan, inf, np.zeros(9600, np.float32), x],
                      "sampling_rate": 16000,
                      "utterance_id": ["ok", "empty", "one", "nan", "inf", "silent", "ok2"]})
    with pytest.raises(ExtractionError) as info:
        copy.deepcopy(good["seg"]).set_params(on_error="raise").transform(X)
    err = info.value
    assert sorted(err.errors) == [1, 2, 3, 4, 5]
    for pos, needle in [(1, "empty (0 samples)"), (2, "too short"), (3, "1 NaN/inf sample"),
                        (4, "1 NaN/inf sample"), (5, "silent")]:
        assert f"'{X['utterance_id'][pos]}'" in err.errors[pos] and needle in err.errors[pos]
    # the rows that worked were computed and come back with the error
    assert [r is None for r in err.results] == [False, True, True, True, True, True, False]
    assert err.results[0].shape[1] == 45


def test_one_broken_file_among_good_ones_keeps_the_others(good, scratch, tmp_path):
    broken = str(scratch / "broken ü.wav")
    with open(broken, "wb") as fh:
        fh.write(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + bytes(range(256)))
    files = [good["path"], broken, good["path"], broken, good["path"]]  # a path may recur
    X = pd.DataFrame({"audio": files, "utterance_id": [f"u{i}" for i in range(5)]})
    seg = OpenSmileSegmenter(memory=str(tmp_path / "cache"))
    with pytest.raises(ExtractionError) as info:
        seg.fit(X)
    err = info.value
    # every row that needs the broken file is named (was: only its first row)
    assert sorted(err.errors) == [1, 3]
    assert "'u3'" in err.errors[3] and repr(broken) in err.errors[3]
    assert str(err).startswith("feature extraction failed for 2 row(s)")
    assert [r is None for r in err.results] == [False, True, False, True, False]
    np.testing.assert_array_equal(err.results[0], err.results[4])
    # the good file was cached before the error: warn mode reuses it and keeps every good row
    with pytest.warns(AudioWarning, match="1 audio source\\(s\\) failed"):
        Xt = seg.set_params(on_error="warn").fit_transform(X)
    assert [len(s) > 0 for s in Xt["segments"]] == [True, False, True, False, True]


def test_ten_minute_array_works_in_bounded_memory(good):
    """10 minutes of audio: frames of the right shape, segments a view, memory sane.

    openSMILE used to keep every intermediate frame (spectra, ACF, cepstrum) of the
    whole signal: 2.6 GB of peak memory for 10 minutes.  The shipped configuration
    now uses ring buffers for them.
    """
    x = np.tile(voice(1.0, seed=3), 600)
    X = pd.DataFrame({"audio": [x], "sampling_rate": [16000]})
    out = {}
    peak = _peak_rss_mb(lambda: out.setdefault("Xt", good["seg"].transform(X)))
    Xt = out["Xt"]
    frames, bag = Xt["frames"].iloc[0], Xt["segments"].iloc[0]
    assert abs(len(frames) - 60000) <= 3 and np.isfinite(frames).all()
    assert bag.shape == (n_segments(len(frames), 50, 10), 50, 45)
    assert np.shares_memory(bag, frames)  # a view, not 5 copies
    if peak is not None:
        # signal 38 MB, frames 11 MB; openSMILE's own levels are bounded now
        assert peak < 600, f"peak resident memory grew by {peak:.0f} MB"


def _peak_rss_mb(fn):
    """Growth of the peak resident memory (MB) while ``fn`` runs; None where unmeasurable."""
    try:  # Linux: reset the high-water mark, run, read it
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return None

    def hwm():
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))

    def rss():
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))

    before = rss()
    fn()
    return (hwm() - before) / 1024


# --------------------------------------------------------------------------- triple builder
_dialogues = st.lists(
    st.tuples(st.sampled_from(["d0", "d1", "d2"]), st.sampled_from(["A", "B", "C"]),
              st.one_of(st.sampled_from([0.0, 1.0, 1.0, 2.5, 7.0]),
                        st.just(float("nan")))),
    min_size=1, max_size=25)


@FUZZ
@given(rows=_dialogues)
@example(rows=[("d0", "A", 0.0), ("d0", "A", 1.0), ("d0", "A", 1.0)])  # one speaker, a tie
def test_triple_builder_with_duplicated_missing_starts_and_one_speaker(rows):
    X = pd.DataFrame(rows, columns=["dialogue", "speaker", "start"])
    X["utterance_id"] = [f"utt{i}" for i in range(len(X))]
    missing = np.flatnonzero(X["start"].isna().to_numpy())
    if len(missing):
        with pytest.raises(ValueError, match="missing \\(NaN\\)") as info:
            ContextTripleBuilder().fit_transform(X)
        for i in missing[:5]:
            assert f"utterance_id='utt{i}'" in str(info.value)
        return
    tied = X.groupby("dialogue")["start"].apply(lambda s: s.duplicated().any())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = ContextTripleBuilder().fit_transform(X)
    texts = [str(w.message) for w in caught if issubclass(w.category, MAECWarning)]
    for dialogue, has_tie in tied.items():
        assert any(repr(dialogue) in t for t in texts) == bool(has_tie)
    assert len(out) == len(X) and out["previous"].dtype == np.int64
    start, spk, dia = X["start"].to_numpy(), X["speaker"].to_numpy(), X["dialogue"].to_numpy()
    for i, (p, q) in enumerate(zip(out["previous"], out["interlocutor"], strict=True)):
        for j, same_speaker in ((p, True), (q, False)):
            if j == -1:
                continue
            assert dia[j] == dia[i] and (spk[j] == spk[i]) == same_speaker
            assert start[j] < start[i] or (start[j] == start[i] and j < i)
        if X[X["dialogue"] == dia[i]]["speaker"].nunique() == 1:
            assert q == -1  # one speaker: no interlocutor, never a crash


# --------------------------------------------------------------------------- loaders
@pytest.fixture(scope="module")
def iemocap(tmp_path_factory):
    root = tmp_path_factory.mktemp("iemocap") / "IEMOCAP release é 日本"
    manifest = make_iemocap_layout(root, n_sessions=1, dialogues_per_session=2,
                                   turns_per_dialogue=4, duration_median=0.4)
    X, y = load_iemocap(root)
    return root, manifest, X, y


_IEMOCAP_OPS = ["crlf", "cr", "bom", "blank", "drop_label", "drop_vad", "truncate", "garbage",
                "nul"]


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(op=st.sampled_from(_IEMOCAP_OPS), which=st.integers(0, 10**6),
       junk=st.binary(min_size=1, max_size=20))
def test_iemocap_evaluation_files_corrupted(iemocap, op, which, junk):
    root, manifest, X0, y0 = iemocap
    path = manifest["evaluation_files"][which % len(manifest["evaluation_files"])]
    original = open(path, "rb").read()
    text = original.replace(b"\r\n", b"\n")
    lines = text.split(b"\n")
    turns = [i for i, line in enumerate(lines) if line.startswith(b"[")]
    k = turns[which % len(turns)]
    expect_same = op in ("crlf", "cr", "bom", "blank", "drop_vad")
    if op == "crlf":
        new = text.replace(b"\n", b"\r\n")
    elif op == "cr":
        new = text.replace(b"\n", b"\r")
    elif op == "bom":
        new = b"\xef\xbb\xbf" + original
    elif op == "blank":
        new = text.replace(b"\n", b"\n\n \t\n")
    elif op in ("drop_label", "drop_vad"):
        fields = lines[k].split(b"\t")
        del fields[2 if op == "drop_label" else 3:]  # (one line has no [V, A, D] already)
        lines[k] = b"\t".join(fields)
        new = b"\n".join(lines)
    elif op == "truncate":
        new = original[: which % len(original)]
    elif op == "garbage":
        pos = which % len(original)
        new = original[:pos] + junk + original[pos:]
    else:  # a NUL byte inside a turn line
        line = lines[k]
        lines[k] = line[: which % len(line)] + b"\x00" + line[which % len(line):]
        new = b"\n".join(lines)
    try:
        with open(path, "wb") as fh:
            fh.write(new)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X, y = load_iemocap(root)
        except (ValueError, FileNotFoundError) as exc:
            assert not expect_same, exc
            assert path in str(exc)  # the evaluation file is named
            if op == "drop_label":
                assert f"{path}:{k + 1}: missing utterance id or label" in str(exc)
        else:
            assert op != "drop_label"
            if expect_same:
                pd.testing.assert_frame_equal(X, X0)
                np.testing.assert_array_equal(y, y0)
            assert set(X["utterance_id"]) <= set(manifest["turns"]["utterance_id"])
        # skipping only raises for an id listed twice (documented), and whatever it
        # returns points at real files
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X, y, summary = load_iemocap(root, on_missing="skip", return_summary=True)
        except ValueError as exc:
            assert "listed more than once" in str(exc) and path in str(exc)
        else:
            assert len(X) == len(y) and all(os.path.isfile(p) for p in X["audio"])
            assert set(X["utterance_id"]) <= set(manifest["turns"]["utterance_id"])
            assert set(y) <= {"neu", "hap", "sad", "ang"}
            if op == "drop_label":
                assert len(X) <= len(X0) and len(summary.bad_lines) == 1
    finally:
        with open(path, "wb") as fh:
            fh.write(original)


@pytest.fixture(scope="module")
def meld(tmp_path_factory):
    root = tmp_path_factory.mktemp("meld") / "MELD release é"
    manifest = make_meld_layout(root, splits=("dev",), n_dialogues=2, media="wav",
                                turns_per_dialogue=3, duration_median=0.4)
    X, y = load_meld(root, split="dev")
    return root, manifest, X, y


_MELD_OPS = ["lf", "cr", "bom", "blank", "short_row", "truncate", "garbage", "cp1252"]


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(op=st.sampled_from(_MELD_OPS), which=st.integers(0, 10**6),
       junk=st.binary(min_size=1, max_size=20))
def test_meld_csv_corrupted(meld, op, which, junk):
    root, manifest, X0, y0 = meld
    path = manifest["splits"]["dev"]["csv"]
    original = open(path, "rb").read()
    lines = original.splitlines(keepends=True)
    k = 1 + which % (len(lines) - 1)  # a data row (the rows here have no embedded newline)
    expect_same = op in ("lf", "cr", "bom", "blank", "cp1252")
    if op == "lf":
        new = original.replace(b"\r\n", b"\n")
    elif op == "cr":
        new = original.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    elif op == "bom":
        new = b"\xef\xbb\xbf" + original
    elif op == "blank":
        new = b"".join(line + b"\r\n" for line in original.splitlines())
        new = new.replace(b"\r\n", b"\r\n,,,\r\n\r\n", 2)
    elif op == "short_row":  # the last field (EndTime, quoted: it holds a comma) is gone
        lines[k] = re.sub(rb',("[^"]*"|[^,"]*)\r?\n$', b"\r\n", lines[k])
        new = b"".join(lines)
    elif op == "truncate":
        new = original[: which % len(original)]
    elif op == "garbage":
        pos = which % len(original)
        new = original[:pos] + junk + original[pos:]
    else:  # a stray Windows-1252 byte inside the utterance text of a row
        at = lines[k].index(b",") + 1
        at += lines[k][at:at + 1] == b'"'  # inside the quotes of a quoted utterance
        lines[k] = lines[k][:at] + b"\x93" + lines[k][at:]
        new = b"".join(lines)
    try:
        with open(path, "wb") as fh:
            fh.write(new)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X, y = load_meld(root, split="dev")
        except (ValueError, FileNotFoundError) as exc:
            assert not expect_same, exc
            assert path in str(exc)
            if op == "short_row":
                assert re.search(re.escape(path) + f":{k + 1}: 10 fields, expected 11", str(exc))
        else:
            assert op != "short_row"
            if expect_same:
                pd.testing.assert_frame_equal(X, X0)
                np.testing.assert_array_equal(y, y0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X, y, summary = load_meld(root, split="dev", on_missing="skip",
                                          return_summary=True)
        except ValueError as exc:  # only a file without even a header is beyond skipping
            assert "is empty" in str(exc) or "lacks the column" in str(exc)
            assert path in str(exc) and op in ("truncate", "garbage")
        else:
            assert len(X) == len(y) and all(os.path.isfile(p) for p in X["audio"])
            assert set(y) <= {"neu", "hap", "sad", "ang"}
            # a kept row's utterance is one of the release; any other turn was counted
            known = {f"meld_dev_dia{d}_utt{u}" for d, u in
                     zip(manifest["turns"]["dia"], manifest["turns"]["utt"], strict=True)}
            assert set(X["utterance_id"]) <= known
            if op == "short_row":
                assert len(summary.bad_lines) == 1
    finally:
        with open(path, "wb") as fh:
            fh.write(original)


def test_loaders_with_spaces_and_unicode_in_paths_feed_the_segmenter(iemocap, tmp_path):
    root, _, X, _ = iemocap
    assert " " in X["audio"].iloc[0] and "日本" in X["audio"].iloc[0]
    assert not [n for n in os.listdir(root) if n.startswith(".layout-")]  # writer's scratch
    copy = tmp_path / "copie à part"
    shutil.copytree(root, copy)
    Xc, _ = load_iemocap(copy)
    assert all(p.startswith(str(copy)) for p in Xc["audio"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)
        Xt = OpenSmileSegmenter(memory=str(tmp_path / "caché ü")).fit_transform(Xc.iloc[:3])
    assert all(len(f) > 0 for f in Xt["frames"])


def test_a_damaged_label_is_dropped_with_a_warning_naming_where(iemocap, meld):
    """A label byte damaged (here a NUL) used to make a row vanish silently."""
    from sklearn_maec.datasets import LoaderWarning

    root, manifest, X0, _ = iemocap
    path = manifest["evaluation_files"][0]
    original = open(path, "rb").read()
    lines = original.split(b"\n")
    k = next(i for i, line in enumerate(lines) if re.match(rb"\[.*\t(neu|hap|sad|ang)", line))
    lines[k] = re.sub(rb"\t(neu|hap|sad|ang)", lambda m: b"\t" + m.group(1)[:1] + b"\x00" +
                      m.group(1)[1:], lines[k], count=1)
    try:
        with open(path, "wb") as fh:
            fh.write(b"\n".join(lines))
        with pytest.warns(LoaderWarning, match=re.escape(f"{path}:{k + 1}: '") + ".\\\\x00"):
            X, _ = load_iemocap(root)
        assert len(X) == len(X0) - 1
    finally:
        with open(path, "wb") as fh:
            fh.write(original)

    root, manifest, X0, _ = meld
    path = manifest["splits"]["dev"]["csv"]
    original = open(path, "rb").read()
    damaged = re.sub(rb",(neutral|joy|sadness|anger),", lambda m: b"," + m.group(1)[:1] +
                     b"\x00" + m.group(1)[1:] + b",", original, count=1)
    try:
        with open(path, "wb") as fh:
            fh.write(damaged)
        with pytest.warns(LoaderWarning, match=re.escape(f"{path}: meld_dev_dia0_utt")):
            X, _ = load_meld(root, split="dev")
        assert len(X) == len(X0) - 1
    finally:
        with open(path, "wb") as fh:
            fh.write(original)
