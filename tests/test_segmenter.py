"""OpenSmileSegmenter: feature sets, segmentation as views, standardisation, bad input, caching."""

import os
import pickle
import warnings

import numpy as np
import opensmile
import pandas as pd
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.pipeline import Pipeline

import sklearn_maec.features._extraction as extraction_module
from sklearn_maec import AudioWarning, ExtractionError
from sklearn_maec.features import OpenSmileSegmenter


def _raw(seg, X):
    """Unstandardised frames of every row (the segmenter with standardize=False)."""
    return [f for f in seg.set_params(standardize=False).fit_transform(X)["frames"]]


# --------------------------------------------------------------------------- feature sets
def test_is10_frames_equal_opensmile_own(wav_corpus):
    X, _ = wav_corpus
    path = X["audio"].iloc[0]
    seg = OpenSmileSegmenter(feature_set="IS10", standardize=False, sampling_rate=None)
    frames = seg.fit_transform(X.iloc[:1])["frames"].iloc[0]
    ref = opensmile.Smile(
        opensmile.FeatureSet.IS10, opensmile.FeatureLevel.LowLevelDescriptors
    ).process_file(path)
    assert frames.shape == ref.shape == (ref.shape[0], 38)
    np.testing.assert_array_equal(frames, ref.to_numpy(np.float32))
    assert list(seg.lld_names_) == list(ref.columns)
    assert seg.n_lld_ == 38 and seg.frame_step_ == pytest.approx(0.01)


def test_maec45_agrees_with_emobase(wav_corpus):
    X, _ = wav_corpus
    path = X["audio"].iloc[1]
    seg = OpenSmileSegmenter(standardize=False, sampling_rate=None).fit(X.iloc[[1]])
    frames = seg.transform(X.iloc[[1]])["frames"].iloc[0]
    assert seg.n_lld_ == 45 and frames.shape[1] == 45
    names = list(seg.lld_names_)
    lld = opensmile.Smile(opensmile.FeatureSet.emobase,
                          opensmile.FeatureLevel.LowLevelDescriptors).process_file(path)
    de = opensmile.Smile(opensmile.FeatureSet.emobase,
                         opensmile.FeatureLevel.LowLevelDescriptors_Deltas).process_file(path)
    assert frames.shape[0] == len(lld)  # same frames as emobase's LLD level
    shared = [c for c in lld.columns if c in names]
    assert len(shared) == 4 + 12  # F0, voicing, ZCR, loudness, MFCC 1-12 (not F0env, LSP)
    for col in shared:
        np.testing.assert_array_equal(frames[:, names.index(col)], lld[col].to_numpy(np.float32))
    shared_de = [c for c in de.columns if c in names]
    assert len(shared_de) == 4 + 12
    n = min(len(de), frames.shape[0])
    for col in shared_de:
        np.testing.assert_allclose(frames[:n, names.index(col)], de[col].to_numpy(np.float32)[:n],
                                   rtol=1e-5, atol=1e-5)


def test_maec45_delta_deltas_follow_opensmile_regression(wav_corpus):
    X, _ = wav_corpus
    seg = OpenSmileSegmenter(standardize=False)
    frames = seg.fit_transform(X.iloc[[0]])["frames"].iloc[0].astype(np.float64)
    names = list(seg.lld_names_)
    # openSMILE's delta regression with deltawin W=2: sum_n n (x[t+n] - x[t-n]) / (2 sum_n n^2)
    for base in ["pcm_loudness_sma_de", "mfcc_sma_de[4]"]:
        d = frames[:, names.index(base)]
        dd_name = base.replace("_de", "_de_de") if "[" not in base else "mfcc_sma_de_de[4]"
        dd = frames[:, names.index(dd_name)]
        expected = ((d[3:-1] - d[1:-3]) + 2 * (d[4:] - d[:-4])) / 10.0
        np.testing.assert_allclose(dd[2:-2], expected, rtol=1e-4, atol=1e-4)


def test_exactly_the_papers_45_descriptors():
    seg = OpenSmileSegmenter()
    from sklearn_maec.features._opensmile import feature_names, resolve_feature_set

    names = feature_names(resolve_feature_set(seg.feature_set))
    assert len(names) == 45 and len(set(names)) == 45
    assert sum(n.startswith("mfcc_sma[") for n in names) == 12
    assert sum(n.startswith("mfcc_sma_de[") for n in names) == 12
    assert sum(n.startswith("mfcc_sma_de_de[") for n in names) == 12
    assert {"F0_sma", "F0_sma_de", "pcm_loudness_sma_de_de", "voiceProb_sma_de",
            "pcm_zcr_sma_de"} <= set(names)


@pytest.mark.parametrize("name, width", [("emobase", 26), ("eGeMAPSv02", 25), ("IS10", 38)])
def test_builtin_widths(tone, name, width):
    X = pd.DataFrame({"audio": [tone], "sampling_rate": [16000]})
    seg = OpenSmileSegmenter(feature_set=name).fit(X)
    assert seg.n_lld_ == width == len(seg.lld_names_)


def test_conf_path_equals_builtin_maec45(tone):
    from sklearn_maec.features._opensmile import MAEC45_CONFIG

    X = pd.DataFrame({"audio": [tone], "sampling_rate": [16000]})
    a = OpenSmileSegmenter(standardize=False).fit_transform(X)["frames"].iloc[0]
    b = OpenSmileSegmenter(feature_set=MAEC45_CONFIG, feature_level="maec45",
                           standardize=False).fit_transform(X)["frames"].iloc[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"feature_set": "nope"}, "unknown feature_set 'nope'"),
        ({"feature_set": "IS10", "feature_level": "Functionals"}, "functionals"),
        ({"feature_set": "/no/such/file.conf"}, "not found"),
        ({"window": 0}, "window must be a positive"),
        ({"stride": -1}, "stride must be a positive"),
        ({"max_segments": 0}, "max_segments"),
        ({"on_error": "ignore"}, "on_error"),
        ({"sampling_rate": 100}, "sampling_rate"),
    ],
)
def test_invalid_parameters(tone, kwargs, match):
    X = pd.DataFrame({"audio": [tone], "sampling_rate": [16000]})
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        OpenSmileSegmenter(**kwargs).fit(X)


# --------------------------------------------------------------------------- segmentation
def test_segments_are_strided_views(tiny_corpus):
    X, _ = tiny_corpus
    seg = OpenSmileSegmenter()
    Xt = seg.fit_transform(X)
    assert (seg.window_frames_, seg.stride_frames_) == (50, 10)
    for frames, segs in zip(Xt["frames"], Xt["segments"], strict=True):
        assert frames.dtype == np.float32 and segs.dtype == np.float32
        n = frames.shape[0]
        if n >= 50:
            assert segs.shape == (1 + (n - 50) // 10, 50, 45)
            assert np.shares_memory(frames, segs)  # a view, no copy
            assert not segs.flags.writeable
            for k in (0, segs.shape[0] - 1):
                np.testing.assert_array_equal(segs[k], frames[10 * k:10 * k + 50])


def test_window_and_stride_and_max_segments(tiny_corpus):
    X, _ = tiny_corpus
    # the paper's literal reading
    seg = OpenSmileSegmenter(window=0.05, stride=0.01, max_segments=7)
    Xt = seg.fit_transform(X)
    assert (seg.window_frames_, seg.stride_frames_) == (5, 1)
    assert all(s.shape == (7, 5, 45) for s in Xt["segments"])


def test_short_utterance_is_one_padded_segment(tone):
    X = pd.DataFrame({"audio": [tone, tone[:3200]], "sampling_rate": [16000, 16000]})
    with pytest.warns(AudioWarning, match="shorter than one window"):
        Xt = OpenSmileSegmenter().fit_transform(X)
    frames, segs = Xt["frames"].iloc[1], Xt["segments"].iloc[1]
    assert 0 < frames.shape[0] < 50
    assert segs.shape == (1, 50, 45)
    np.testing.assert_array_equal(segs[0, : frames.shape[0]], frames)
    assert not segs[0, frames.shape[0]:].any()


def test_standardisation_uses_training_frames_only(tiny_corpus):
    X, _ = tiny_corpus
    train, test = X.iloc[:10], X.iloc[10:]
    raw = np.concatenate(_raw(OpenSmileSegmenter(), train))
    seg = OpenSmileSegmenter().fit(train)
    np.testing.assert_allclose(seg.mean_, raw.mean(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(seg.scale_, raw.std(0), rtol=1e-3, atol=1e-4)
    z = np.concatenate(list(seg.transform(train)["frames"]))
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-3)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-2)
    assert seg.n_frames_seen_ == raw.shape[0]
    zt = np.concatenate(list(seg.transform(test)["frames"]))
    rawt = np.concatenate(_raw(OpenSmileSegmenter(), test))
    np.testing.assert_allclose(zt, (rawt - seg.mean_) / seg.scale_, rtol=1e-4, atol=1e-4)


def test_standardisation_per_group(tiny_corpus):
    """Each speaker's frames standardised with that speaker's own statistics."""
    X, _ = tiny_corpus
    raw = _raw(OpenSmileSegmenter(), X)
    seg = OpenSmileSegmenter(standardize="speaker")
    Xt = seg.fit_transform(X)
    speakers = sorted(X["speaker"].unique())
    assert list(seg.groups_) == speakers and seg.group_mean_.shape == (len(speakers), 45)
    pooled = np.concatenate(raw)
    np.testing.assert_allclose(seg.mean_, pooled.mean(0), rtol=1e-4, atol=1e-4)
    for k, speaker in enumerate(speakers):
        rows = np.flatnonzero(X["speaker"] == speaker)
        own = np.concatenate([raw[i] for i in rows])
        np.testing.assert_allclose(seg.group_mean_[k], own.mean(0), rtol=1e-4, atol=1e-4)
        z = np.concatenate([Xt["frames"].iloc[i] for i in rows])
        np.testing.assert_allclose(z.mean(0), 0, atol=1e-3)
        np.testing.assert_allclose(z.std(0), 1, atol=1e-2)
    # a seen group keeps its fitted statistics, whatever else is transformed with it
    one = seg.transform(X.iloc[[3]])["frames"].iloc[0]
    np.testing.assert_array_equal(one, Xt["frames"].iloc[3])
    assert not np.allclose(Xt["frames"].iloc[3],
                           OpenSmileSegmenter().fit_transform(X)["frames"].iloc[3], atol=1e-2)


def test_unseen_group_gets_its_own_statistics(tiny_corpus):
    X, _ = tiny_corpus
    first = X["session"] == X["session"].iloc[0]
    seg = OpenSmileSegmenter(standardize="session").fit(X[first])
    new = X[~first]
    z = np.concatenate(list(seg.transform(new)["frames"]))  # the new session as one group
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-3)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-2)
    assert list(seg.groups_) == [X["session"].iloc[0]]  # transform learns nothing
    with pytest.warns(AudioWarning, match=f"(?s)single utterance.*{new['session'].iloc[0]}"):
        seg.transform(new.iloc[:1])


@pytest.mark.parametrize("value, match", [
    ("channel", "'channel' names a column that X does not have"),
    ("", "standardize must be"),
    (1.5, "standardize must be"),
])
def test_bad_standardize(tiny_corpus, value, match):
    X, _ = tiny_corpus
    with pytest.raises(ValueError, match=match):
        OpenSmileSegmenter(standardize=value).fit(X)


def test_group_column_with_missing_values_names_the_rows(tiny_corpus):
    X, _ = tiny_corpus
    X = X.astype({"speaker": object})
    X.loc[X.index[[2, 5]], "speaker"] = None
    with pytest.raises(ValueError, match=r"2 row\(s\) have no speaker: utterance_id='"
                                         + X["utterance_id"].iloc[2]):
        OpenSmileSegmenter(standardize="speaker").fit(X)


def test_output_keeps_input_and_does_not_copy_it(tiny_corpus):
    X, _ = tiny_corpus
    before = X.copy()
    Xt = OpenSmileSegmenter().fit_transform(X)
    pd.testing.assert_frame_equal(X, before)
    assert list(Xt.columns) == list(X.columns) + ["frames", "segments"]
    assert Xt["audio"].iloc[0] is X["audio"].iloc[0]
    assert list(OpenSmileSegmenter().fit(X).get_feature_names_out()) == list(Xt.columns)


# --------------------------------------------------------------------------- odd and bad input
def test_int16_stereo_and_8khz_inputs(tone):
    int16 = (tone * 32767).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1)
    from scipy.signal import resample_poly

    tone8k = resample_poly(tone, 1, 2).astype(np.float32)
    X = pd.DataFrame({"audio": [tone, int16, stereo, tone8k, tone.astype(np.float64)],
                      "sampling_rate": [16000, 16000, 16000, 8000, 16000]})
    with pytest.warns(AudioWarning, match="mixed 2 channels"):
        Xt = OpenSmileSegmenter(standardize=False).fit_transform(X)
    f = list(Xt["frames"])
    np.testing.assert_allclose(f[1], f[0], rtol=1e-2, atol=1e-2)  # int16 scaled by 32768
    np.testing.assert_array_equal(f[2], f[0])  # stereo mixed down
    np.testing.assert_array_equal(f[4], f[0])  # float64 accepted
    assert abs(f[3].shape[0] - f[0].shape[0]) <= 2  # 8 kHz resampled to 16 kHz, same duration


def test_loud_float_input_is_rescaled_not_wrapped(tone):
    X = pd.DataFrame({"audio": [tone, tone * 1000], "sampling_rate": [16000, 16000]})
    with pytest.warns(AudioWarning, match="rescaled by the peak"):
        f = list(OpenSmileSegmenter(standardize=False).fit_transform(X)["frames"])
    names = list(OpenSmileSegmenter().fit(X.iloc[:1]).lld_names_)
    f0 = names.index("F0_sma")
    # wrapped int16 samples would destroy the pitch; rescaled ones keep it
    voiced = f[0][:, f0] > 0
    np.testing.assert_allclose(np.median(f[1][voiced, f0]), np.median(f[0][voiced, f0]), rtol=0.05)


def _bad_rows(tmp_path, tone):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + os.urandom(300))
    good = tmp_path / "good file ü.wav"  # spaces and unicode in the path
    soundfile.write(good, tone, 16000, subtype="PCM_16")
    nan = tone.copy()
    nan[100] = np.nan
    return pd.DataFrame({
        "audio": [str(good), str(tmp_path / "missing.wav"), str(broken), tone[:0],
                  np.zeros(16000, np.float32), nan, tone, tone],
        "sampling_rate": [None, None, None, 16000, 16000, 16000, None, 16000],
        "utterance_id": [f"u{i}" for i in range(8)],
    })


def test_bad_rows_raise_naming_each_row_after_processing_all(tmp_path, tone):
    X = _bad_rows(tmp_path, tone)
    with pytest.raises(ExtractionError) as info:
        OpenSmileSegmenter().fit(X)
    err = info.value
    assert sorted(err.errors) == [1, 2, 3, 4, 5, 6]
    assert "and 1 more" in str(err)  # the message lists 5, the attribute all
    msg = "\n".join(err.errors.values())
    for needle in ["'u1'", "missing.wav", "not found", "'u2'", "broken.wav", "'u3'", "empty",
                   "'u4'", "silent", "'u5'", "NaN", "sampling_rate"]:
        assert needle in msg, needle
    # the rows that worked were computed and are handed back
    assert err.results[0] is not None and err.results[7] is not None
    assert err.results[1] is None


def test_bad_rows_warn_keeps_every_other_row(tmp_path, tone):
    X = _bad_rows(tmp_path, tone)
    with pytest.warns(AudioWarning, match="6 audio source\\(s\\) failed"):
        Xt = OpenSmileSegmenter(on_error="warn").fit_transform(X)
    sizes = [s.shape[0] for s in Xt["segments"]]
    assert sizes[0] > 0 and sizes[7] > 0
    assert sizes[1:7] == [0] * 6
    assert all(s.shape[1:] == (50, 45) for s in Xt["segments"])
    # the good rows' features are exactly what a clean run gives
    clean = OpenSmileSegmenter(on_error="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)
        clean.fit(X)
    ref = clean.transform(X.iloc[[0, 7]])
    np.testing.assert_array_equal(ref["frames"].iloc[0], Xt["frames"].iloc[0])


def test_missing_audio_column_and_wrong_type():
    with pytest.raises(ValueError, match="missing the required column"):
        OpenSmileSegmenter().fit(pd.DataFrame({"path": ["a.wav"]}))
    with pytest.raises(TypeError, match="DataFrame"):
        OpenSmileSegmenter().fit(np.zeros((3, 3)))


def test_list_of_paths_is_accepted(wav_corpus):
    X, _ = wav_corpus
    Xt = OpenSmileSegmenter().fit_transform(list(X["audio"].iloc[:2]))
    assert list(Xt.columns) == ["audio", "frames", "segments"] and len(Xt) == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 40000),
    dtype=st.sampled_from(["float32", "float64", "int16", "int32", "uint8"]),
    channels=st.integers(1, 3),
    rate=st.sampled_from([8000, 16000, 22050, 44100]),
    scale=st.sampled_from([0.0, 1e-3, 0.5, 3.0]),
    seed=st.integers(0, 2**16),
)
def test_odd_arrays_never_escape_as_exceptions(n, dtype, channels, rate, scale, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, channels)) * scale
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        x = np.clip(x * info.max / 4 + (info.max // 2 if info.min == 0 else 0), info.min, info.max)
    x = x.astype(dtype)
    good = (np.sin(np.arange(16000) * 0.06) * 0.3).astype(np.float32)
    X = pd.DataFrame({"audio": [good, x if channels > 1 else x[:, 0]],
                      "sampling_rate": [16000, rate]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)
        Xt = OpenSmileSegmenter(on_error="warn").fit_transform(X)
    segs = Xt["segments"].iloc[1]
    assert segs.ndim == 3 and segs.shape[1:] == (50, 45)
    assert np.isfinite(Xt["frames"].iloc[1]).all()
    assert Xt["segments"].iloc[0].shape[0] > 0


# --------------------------------------------------------------------------- caching, parallel
class _Counter:
    def __init__(self, monkeypatch):
        self.n = 0
        original = extraction_module.extract_lld

        def counting(*args, **kwargs):
            self.n += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(extraction_module, "extract_lld", counting)


def test_memory_extracts_each_file_once(wav_corpus, tmp_path, monkeypatch):
    X, _ = wav_corpus
    counter = _Counter(monkeypatch)
    seg = OpenSmileSegmenter(memory=str(tmp_path / "cache"))
    first = seg.fit_transform(X)
    assert counter.n == len(X)
    again = clone(seg).set_params(window=1.0).fit_transform(X)  # re-cut, no re-extraction
    assert counter.n == len(X)
    assert again["segments"].iloc[0].shape[1] == 100
    np.testing.assert_array_equal(first["frames"].iloc[0], again["frames"].iloc[0])
    # a file that changed on disk is extracted again
    path = X["audio"].iloc[0]
    data, rate = soundfile.read(path)
    soundfile.write(path, data * 0.5, rate)
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    seg.transform(X)
    assert counter.n == len(X) + 1
    # another feature set is another cache entry
    clone(seg).set_params(feature_set="emobase").fit(X.iloc[:1])
    assert counter.n == len(X) + 2


def test_without_memory_each_call_extracts(tiny_corpus, monkeypatch):
    X, _ = tiny_corpus
    counter = _Counter(monkeypatch)
    seg = OpenSmileSegmenter().fit(X.iloc[:3])
    seg.transform(X.iloc[:3])
    assert counter.n == 6


def test_parallel_equals_sequential(tiny_corpus):
    X, _ = tiny_corpus
    a = OpenSmileSegmenter(n_jobs=1).fit_transform(X)
    b = OpenSmileSegmenter(n_jobs=2).fit_transform(X)
    for fa, fb in zip(a["frames"], b["frames"], strict=True):
        np.testing.assert_array_equal(fa, fb)


# --------------------------------------------------------------------------- sklearn integration
def test_pipeline_clone_and_pickle(tiny_corpus):
    X, _ = tiny_corpus
    pipe = Pipeline([("segment", OpenSmileSegmenter(window=0.3))])
    Xt = pipe.fit_transform(X)
    cloned = clone(pipe)
    assert cloned.get_params()["segment__window"] == 0.3
    assert not hasattr(cloned.named_steps["segment"], "n_lld_")
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.transform(X)["frames"].iloc[2], Xt["frames"].iloc[2])


def test_transform_before_fit_raises(tone):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        OpenSmileSegmenter().transform(pd.DataFrame({"audio": [tone], "sampling_rate": [16000]}))


def test_extraction_log_counts_across_worker_processes(wav_corpus, tmp_path, monkeypatch):
    from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV

    X, _ = wav_corpus
    log = tmp_path / "extractions.log"
    monkeypatch.setenv(EXTRACTION_LOG_ENV, str(log))
    seg = OpenSmileSegmenter(n_jobs=2, memory=str(tmp_path / "cache"))
    seg.fit(X)
    seg.transform(X)  # served from the cache
    lines = log.read_text().splitlines()
    assert len(lines) == len(X)
    assert sorted(line.split("\t")[1] for line in lines) == sorted(X["audio"])


def test_explicit_context_audio_is_extracted_once_and_shared(wav_corpus, tmp_path, monkeypatch):
    from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV

    X, _ = wav_corpus
    X = X.copy()
    paths = list(X["audio"])
    # context turns: the row before (a labelled row), and one file that is not a row
    extra = tmp_path / "dropped turn.wav"
    soundfile.write(extra, soundfile.read(paths[0])[0], 16000)
    X["previous_audio"] = [None] + paths[:-1]
    X["interlocutor_audio"] = [str(extra)] + [None] * (len(X) - 1)
    log = tmp_path / "log"
    monkeypatch.setenv(EXTRACTION_LOG_ENV, str(log))
    Xt = OpenSmileSegmenter().fit_transform(X)
    assert len(log.read_text().splitlines()) == len(X) + 1  # each distinct file once
    for col in ["previous_frames", "previous_segments", "interlocutor_frames",
                "interlocutor_segments"]:
        assert col in Xt.columns
    assert Xt["previous_segments"].iloc[0].shape[0] == 0  # no previous turn: empty bag
    for i in range(1, len(X)):  # the same objects as the referenced rows' own bags
        assert Xt["previous_segments"].iloc[i] is Xt["segments"].iloc[i - 1]
    np.testing.assert_array_equal(Xt["interlocutor_frames"].iloc[0], Xt["frames"].iloc[0])
    assert Xt["interlocutor_segments"].iloc[1].shape == (0, 50, 45)


def test_every_audio_column_is_extracted_alike_and_nothing_is_decided(wav_corpus):
    """The segmenter extracts audio, nothing else: ``*_audio`` columns by name, no context rule."""
    X, _ = wav_corpus
    X = X.copy()
    paths = list(X["audio"])
    X["previous_audio"] = [None] + paths[:-1]
    X["far_field_audio"] = paths[::-1]  # any name ending in _audio, not only the context roles
    seg = OpenSmileSegmenter(standardize="speaker")
    Xt = seg.fit_transform(X)
    assert list(Xt.columns) == list(seg.get_feature_names_out())
    assert list(Xt.columns)[len(X.columns):] == [
        "frames", "segments", "previous_frames", "previous_segments", "far_field_frames",
        "far_field_segments"]
    assert Xt.attrs["segmentation"] == seg.segmentation_  # the declared segmentation
    # no context decision: no positions, and every row's previous turn is given as a bag,
    # though each of them is a row (the ContextTripleBuilder decides that)
    assert "previous" not in Xt.columns and "interlocutor" not in Xt.columns
    assert all(Xt["previous_segments"].iloc[i] is Xt["segments"].iloc[i - 1]
               for i in range(1, len(X)))
    # the same file is the same frames, whichever column names it (each file once, first
    # standardised with the group of the first row that refers to it)
    last = len(X) - 1
    assert Xt["far_field_frames"].iloc[0] is Xt["frames"].iloc[last]
