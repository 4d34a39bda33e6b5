"""PretrainedSegmenter: the frame-to-bag contract over an encoder's frames, without any download.

Tiny randomly initialised checkpoints (tests/_encoders.py, the ``checkpoints``
fixture) stand in for real ones; the real Whisper tiny.en in ``../shared/models``
is used when present.
"""

import os
import shutil
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import soundfile
from sklearn.base import clone

pytest.importorskip("transformers", reason="the pretrained front-end needs transformers")

import _encoders  # noqa: E402  (tests/ is on the path: pytest's rootdir-relative import)

from sklearn_maec import (  # noqa: E402
    AudioWarning,
    ContextTripleBuilder,
    ExtractionError,
    MAECClassifier,
    PretrainedSegmenter,
)
from sklearn_maec.exceptions import ExtractionInterrupted, MAECWarning  # noqa: E402
from sklearn_maec.features import FrameFunctionals, Segmentation  # noqa: E402
from sklearn_maec.features import _pretrained as P  # noqa: E402
from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV  # noqa: E402
from sklearn_maec.persistence import load_model, save_model  # noqa: E402
from sklearn_maec.pipeline import make_baseline_pipeline, make_maec_pipeline  # noqa: E402

speech = _encoders.speech
WIDTH = _encoders.WIDTH


def corpus(n_dialogues=3, turns=4, seed=0, directory=None):
    """Dialogues of utterances of 0.6-1.6 s (arrays, or wav files under ``directory``)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for d in range(n_dialogues):
        for t in range(turns):
            k = d * turns + t
            signal = speech(float(rng.uniform(0.6, 1.6)), seed=k % 5)
            audio = signal
            if directory is not None:
                audio = os.path.join(directory, f"d{d}_t{t}.wav")
                soundfile.write(audio, signal, 16000, subtype="FLOAT")
            rows.append({"audio": audio, "sampling_rate": 16000, "dialogue": f"d{d}",
                         "speaker": f"d{d}{'AB'[t % 2]}", "start": float(t),
                         "gender": "FM"[t % 2], "utterance_id": f"d{d}_t{t}"})
            labels.append(["neu", "ang"][(k // 2) % 2])
    return pd.DataFrame(rows), np.array(labels, dtype=object)


def log_lines(path):
    return len(open(path).read().splitlines()) if os.path.exists(path) else 0


@pytest.fixture
def whisper(checkpoints):
    return checkpoints["whisper"]


# --------------------------------------------------------------------------- the contract
@pytest.mark.parametrize("family", ["whisper", "wavlm"])
def test_the_output_is_the_contract_at_20_ms(family, checkpoints):
    X, _ = corpus()
    X["previous_audio"] = [None] + list(X["audio"].iloc[:-1])
    seg = PretrainedSegmenter(checkpoints[family])
    Xt = seg.fit_transform(X)
    assert list(Xt.columns) == list(X.columns) + ["frames", "segments", "previous_frames",
                                                  "previous_segments"]
    assert list(seg.get_feature_names_out()) == list(Xt.columns)
    assert Xt.attrs["segmentation"] is seg.segmentation_
    assert seg.segmentation_ == Segmentation(0.02, 25, 5)  # 0.5 s / 0.1 s at 20 ms
    assert (seg.frame_step_, seg.window_frames_, seg.stride_frames_) == (0.02, 25, 5)
    assert seg.n_features_ == WIDTH and seg.layers_ == [2]  # 3/4 of 2 blocks, rounded up
    assert list(seg.feature_names_[:2]) == [f"{family}_l2_0", f"{family}_l2_1"]
    assert seg.feature_spec_["family"] == family and "path" not in seg.feature_spec_
    encoder = P.load_encoder(checkpoints[family])
    for i in range(len(X)):
        frames, bag = Xt["frames"].iloc[i], Xt["segments"].iloc[i]
        assert frames.dtype == np.float16 and frames.shape == (
            encoder.frame_count(X["audio"].iloc[i].size), WIDTH)
        assert bag.shape == (seg.segmentation_.n_segments(len(frames)), 25, WIDTH)
        assert np.shares_memory(bag, frames) and not bag.flags.writeable
    # each previous turn is the same source: one frames array, shared
    assert Xt["previous_frames"].iloc[1] is Xt["frames"].iloc[0]
    assert len(Xt["previous_frames"].iloc[0]) == 0 and Xt["previous_segments"].iloc[0].shape == (
        0, 25, WIDTH)


def test_frames_are_the_encoders_standardised(whisper):
    X, _ = corpus(n_dialogues=2)
    encoder = P.load_encoder(whisper)
    raw = [encoder.encode([a], 1)[0] for a in X["audio"]]
    seg = PretrainedSegmenter(whisper, layer=1, dtype="float32")
    Xt = seg.fit_transform(X)
    stacked = np.concatenate(raw).astype(np.float64)
    np.testing.assert_allclose(seg.mean_, stacked.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(seg.scale_, stacked.std(0), rtol=1e-4, atol=1e-5)
    assert seg.n_frames_seen_ == len(stacked)
    for frames, r in zip(Xt["frames"], raw, strict=True):
        assert frames.dtype == np.float32
        np.testing.assert_allclose(frames, (r - seg.mean_) / seg.scale_, atol=1e-4)
    # float16, the default: the same frames to float16's precision (kept once, half the bytes)
    half = PretrainedSegmenter(whisper, layer=1).fit_transform(X)
    for h, f in zip(half["frames"], Xt["frames"], strict=True):
        assert h.dtype == np.float16 and h.nbytes * 2 == f.nbytes
        np.testing.assert_allclose(h.astype(np.float32), f, atol=5e-3 * max(1, np.abs(f).max()))
    # standardize=False: the encoder's own values
    plain = PretrainedSegmenter(whisper, layer=1, standardize=False).fit_transform(X.iloc[:2])
    np.testing.assert_allclose(plain["frames"].iloc[0].astype(np.float32), raw[0],
                               atol=2e-3 * max(1, np.abs(raw[0]).max()))


def test_standardize_by_group_and_layer_averages(whisper):
    X, _ = corpus(n_dialogues=2)
    seg = PretrainedSegmenter(whisper, layer=[0, -1], standardize="speaker")
    Xt = seg.fit_transform(X)
    assert seg.layers_ == [0, 2] and seg.feature_names_[0] == "whisper_l0+2_0"
    assert list(seg.groups_) == sorted(X["speaker"].unique())
    for speaker in seg.groups_:
        frames = np.concatenate([f for f, s in zip(Xt["frames"], X["speaker"], strict=True)
                                 if s == speaker]).astype(np.float64)
        np.testing.assert_allclose(frames.mean(0), 0, atol=5e-3)
        np.testing.assert_allclose(frames.std(0), 1, atol=5e-3)
    # a speaker unseen in fit, alone: its own statistics, with a warning
    new = X.iloc[:1].assign(speaker="someone else")
    with pytest.warns(AudioWarning, match="unseen in fit hold a single utterance"):
        seg.transform(new)


def test_parameters_are_checked_in_fit(whisper, tmp_path):
    X, _ = corpus(n_dialogues=1)
    with pytest.raises(ValueError, match=r"needs encoder=<the directory of a checkpoint>"):
        PretrainedSegmenter().fit(X)
    with pytest.raises(FileNotFoundError, match="nowhere.*does not exist.*config.json"):
        PretrainedSegmenter(str(tmp_path / "nowhere")).fit(X)
    for params, match in [({"layer": 7}, "layer 7 is out of range"),
                          ({"dtype": "int8"}, "dtype must be"),
                          ({"batch_size": 0}, "batch_size"), ({"n_threads": 0}, "n_threads"),
                          ({"pad_to_window": "yes"}, "pad_to_window"),
                          ({"window": 0}, "window"), ({"on_error": "skip"}, "on_error"),
                          ({"standardize": 3}, "standardize")]:
        with pytest.raises(ValueError, match=match):
            PretrainedSegmenter(whisper, **params).fit(X)
    # scikit-learn's conventions: __init__ stores, clone keeps every parameter
    seg = PretrainedSegmenter(whisper, layer=[1, 2], n_threads=-1, memory=str(tmp_path))
    assert clone(seg).get_params() == seg.get_params()
    with pytest.raises(ValueError, match="always returns pandas"):
        seg.set_output(transform="polars")


# --------------------------------------------------------------------------- the cache
def test_the_cache_serves_a_second_transform_and_misses_a_changed_checkpoint(
        checkpoints, tmp_path, monkeypatch):
    X, _ = corpus(n_dialogues=2, directory=tmp_path)
    log = str(tmp_path / "log")
    monkeypatch.setenv(EXTRACTION_LOG_ENV, log)
    memory = str(tmp_path / "cache")
    checkpoint = shutil.copytree(checkpoints["hubert"], tmp_path / "hubert")
    seg = PretrainedSegmenter(str(checkpoint), memory=memory)
    first = seg.fit_transform(X)
    assert log_lines(log) == len(X)

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded although every frame was cached")

    monkeypatch.setattr(P, "load_encoder", no_model)
    again = seg.transform(X)  # nothing extracted, the model never loaded
    assert log_lines(log) == len(X)
    for a, b in zip(again["frames"], first["frames"], strict=True):
        np.testing.assert_array_equal(a, b)
    # another window re-cuts the cached frames
    PretrainedSegmenter(str(checkpoint), window=0.3, memory=memory).fit(X)
    assert log_lines(log) == len(X)
    monkeypatch.undo()
    monkeypatch.setenv(EXTRACTION_LOG_ENV, log)
    # other weights at the same path: the fitted segmenter refuses them, a new fit misses
    model, extractor = _encoders.build_model("hubert", seed=1)
    _encoders.save_checkpoint(model, extractor, checkpoint)
    with pytest.raises(ValueError, match=r"is not the one this segmenter was fitted on: its "
                                         r"content changed.*set_params\(segment__encoder="):
        seg.transform(X)
    PretrainedSegmenter(str(checkpoint), memory=memory).fit(X)
    assert log_lines(log) == 2 * len(X)


# --------------------------------------------------------------------------- errors
def test_a_bad_file_among_good_ones(whisper, tmp_path):
    X, _ = corpus(n_dialogues=2, directory=tmp_path)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00 not a wave file" * 10)
    X.loc[2, "audio"] = str(corrupt)
    X.loc[5, "audio"] = str(tmp_path / "missing.wav")
    with pytest.warns(AudioWarning, match=r"(?s)2 audio source\(s\) failed.*row 2 \('d0_t2'.*"
                                          r"corrupt.wav.*row 5 \('d1_t1'.*missing.wav"):
        Xt = PretrainedSegmenter(whisper, on_error="warn").fit_transform(X)
    assert [len(f) for f in Xt["frames"]].count(0) == 2
    assert Xt["segments"].iloc[2].shape == (0, 25, WIDTH)
    assert all(len(Xt["frames"].iloc[i]) for i in range(len(X)) if i not in (2, 5))
    with pytest.raises(ExtractionError, match=r"row 2 \('d0_t2'.*cannot read audio file") as info:
        PretrainedSegmenter(whisper).fit(X)
    assert sorted(info.value.errors) == [2, 5]


def test_a_moved_checkpoint_is_pointed_at_again(whisper, tmp_path):
    X, _ = corpus(n_dialogues=1)
    checkpoint = shutil.copytree(whisper, tmp_path / "here")
    seg = PretrainedSegmenter(str(checkpoint)).fit(X)
    expected = seg.transform(X)
    moved = shutil.move(str(checkpoint), tmp_path / "there")
    with pytest.raises(FileNotFoundError, match=r"here.*does not exist.*fitted on a whisper "
                                                r"checkpoint of 2 blocks of width 16 .*"
                                                r"set_params\(encoder=PATH\)"):
        seg.transform(X)
    out = seg.set_params(encoder=moved).transform(X)
    for a, b in zip(out["frames"], expected["frames"], strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"layer or pad_to_window changed since fit"):
        seg.set_params(layer=1).transform(X)


def test_ctrl_c_during_extraction_is_named_and_the_finished_groups_are_cached(
        whisper, tmp_path, monkeypatch):
    # 40 utterances: two groups of 32 and 8 (batch_size 8); the second is interrupted
    X = pd.DataFrame({"audio": [speech(0.5 + 0.01 * k, k % 5) for k in range(40)],
                      "sampling_rate": 16000})
    calls = []
    original = P.Encoder.hidden_states

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(P.Encoder, "hidden_states", interrupted)
    memory = str(tmp_path / "cache")
    with pytest.raises(ExtractionInterrupted, match=r"32 of 40 files done"):
        PretrainedSegmenter(whisper, memory=memory).fit(X)
    log = str(tmp_path / "log")
    monkeypatch.setenv(EXTRACTION_LOG_ENV, log)
    PretrainedSegmenter(whisper, memory=memory).fit(X)  # resumes: 8 left
    assert log_lines(log) == 8


def test_without_transformers_one_error_says_what_to_install(whisper, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match=r'pip install "sklearn-maec\[pretrained\]"'):
        PretrainedSegmenter(whisper).fit(corpus(n_dialogues=1)[0])


# --------------------------------------------------------------------------- pipelines
def small_maec(**params):
    return dict(latent_dim=8, conv_channels=8, disc_hidden=8, max_epochs=2, batch_size=8,
                validation_fraction=None, random_state=0, **params)


def test_pipelines_over_the_encoders_frames_share_one_cache(whisper, tmp_path):
    X, y = corpus(directory=tmp_path)
    memory = str(tmp_path / "cache")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)  # two epochs learn little
        maec = make_maec_pipeline(encoder=whisper, memory=memory, n_jobs=1,
                                  **small_maec()).fit(X, y)
    segment = maec.named_steps["segment"]
    assert isinstance(segment, PretrainedSegmenter) and segment.n_threads == 1
    assert maec.named_steps["maec"].segmentation_ == Segmentation(0.02, 25, 5)
    assert maec.named_steps["maec"].n_features_in_ == WIDTH
    proba = maec.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    n_entries = sum(len(files) for _, _, files in os.walk(memory))
    assert n_entries == len(X)
    # the linear probe: the mean of each utterance's frames, standardised, logistic regression
    probe = make_baseline_pipeline(encoder=whisper, memory=memory).fit(X, y)
    assert [name for name, _ in probe.steps] == ["segment", "functionals", "scale",
                                                 "classifier"]
    assert probe.named_steps["functionals"].statistics == ("mean",)
    assert sum(len(files) for _, _, files in os.walk(memory)) == n_entries  # no new frames
    Xt = probe.named_steps["segment"].transform(X)
    means = np.stack([f.astype(np.float64).mean(0) for f in Xt["frames"]])
    np.testing.assert_allclose(probe.named_steps["functionals"].transform(Xt), means, rtol=1e-5,
                               atol=1e-6)
    assert set(probe.predict(X)) <= {"neu", "ang"}
    with pytest.raises(TypeError, match=r"segmenter_params repeats \['n_threads'\].*n_jobs"):
        make_maec_pipeline(encoder=whisper, segmenter_params={"n_threads": 2})


def test_float16_frames_train_like_their_float32_copy(whisper):
    """The classifier copies each batch into float32: float16 frames give the same model."""
    X, y = corpus()
    Xt = ContextTripleBuilder().fit_transform(PretrainedSegmenter(whisper).fit_transform(X))
    assert Xt["frames"].iloc[0].dtype == np.float16
    wide = Xt.copy()
    seg = Xt.attrs["segmentation"]
    wide["frames"] = [f.astype(np.float32) for f in Xt["frames"]]
    wide["segments"] = [seg.cut(f) for f in wide["frames"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        half = MAECClassifier(**small_maec()).fit(Xt, y)
        full = MAECClassifier(**small_maec()).fit(wide, y)
    np.testing.assert_allclose(half.predict_proba(Xt), full.predict_proba(wide), atol=1e-6)
    attention = half.segment_attention(Xt)
    assert [len(a) for a in attention] == [len(b) for b in Xt["segments"]]
    # the one batch layout copies the bags into float32
    from sklearn_maec._batching import collate, table_to_bags
    from sklearn_maec.metrics import attention_span_scores

    batch = collate(table_to_bags(Xt, True, "test"), np.arange(4), True)
    assert batch["frames"].dtype == np.float32
    spans = [[(0.2, 0.5)]] * len(Xt)  # at 20 ms: segments 0-4 overlap it
    scores = attention_span_scores(attention, spans, segmentation=seg)
    assert scores["share_of_segments"] == pytest.approx(np.mean(
        [min(5, len(b)) / len(b) for b in Xt["segments"]]))
    assert scores == pytest.approx(attention_span_scores(full.segment_attention(wide), spans,
                                                         segmentation=seg), abs=1e-5)
    # the attention display draws float16 frames at their 20 ms step
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn.pipeline import make_pipeline

    from sklearn_maec.display import SegmentAttentionDisplay

    pipe = make_pipeline(PretrainedSegmenter(whisper), ContextTripleBuilder(), half)
    pipe.steps[0][1].fit(X)
    pipe.steps[1][1].fit(pipe.steps[0][1].transform(X))
    disp = SegmentAttentionDisplay.from_estimator(pipe, X, 3, signal="frames")
    assert disp.segmentation == seg
    assert disp.segment_times_[1][0] == pytest.approx(0.1)


def test_functionals_slope_is_per_second_at_the_declared_frame_step():
    frames = np.arange(100, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    X = pd.DataFrame({"frames": pd.Series([frames], dtype=object)})
    fn = FrameFunctionals(statistics=("slope",)).fit(X)
    np.testing.assert_allclose(fn.transform(X), [[100.0, 100.0]], rtol=1e-5)  # 10 ms default
    Segmentation.from_seconds(0.5, 0.1, 0.02).attach(X)
    np.testing.assert_allclose(fn.transform(X), [[50.0, 50.0]], rtol=1e-5)


# --------------------------------------------------------------------------- persistence
def test_a_fitted_pipeline_saves_and_loads_without_pickle_and_with_joblib(whisper, tmp_path):
    X, y = corpus()
    checkpoint = shutil.copytree(whisper, tmp_path / "encoder")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        pipe = make_maec_pipeline(encoder=checkpoint, memory=str(tmp_path / "cache"),
                                  segmenter_params={"layer": np.int64(1)},
                                  **small_maec()).fit(X, y)
    expected = pipe.predict_proba(X)
    save_model(pipe, tmp_path / "model.maec")
    joblib.dump(pipe, tmp_path / "model.joblib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checkpoint is where it was: no warning
        loaded = load_model(tmp_path / "model.maec")
    segment = loaded.named_steps["segment"]
    assert segment.encoder == os.fspath(checkpoint) and segment.layer == 1
    assert segment.memory is None  # machine-local
    assert segment.feature_spec_ == pipe.named_steps["segment"].feature_spec_
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-6)
    np.testing.assert_allclose(joblib.load(tmp_path / "model.joblib").predict_proba(X), expected,
                               atol=1e-6)
    # the checkpoint elsewhere: loading warns, predicting raises, both say how to point at it
    moved = shutil.move(str(checkpoint), tmp_path / "elsewhere")
    with pytest.warns(MAECWarning, match=r"step 'segment' of the loaded model cannot run yet.*"
                                         r"does not exist.*set_params\(segment__encoder=PATH\)"):
        loaded = load_model(tmp_path / "model.maec")
    with pytest.raises(FileNotFoundError, match=r"set_params\(segment__encoder=PATH\)"):
        loaded.predict(X)
    loaded.set_params(segment__encoder=moved)
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-6)
    # another checkpoint at the stored path: refused by content
    _encoders.build_checkpoint("whisper", checkpoint, seed=3)
    with pytest.warns(MAECWarning, match="its content changed"):
        load_model(tmp_path / "model.maec")
    with pytest.raises(ValueError, match=r"its content changed.*segment__encoder"):
        joblib.load(tmp_path / "model.joblib").predict(X)


# --------------------------------------------------------------------------- the real checkpoint
@_encoders.needs_whisper_tiny
def test_real_whisper_tiny_through_the_segmenter(tmp_path, monkeypatch):
    long_signal = np.concatenate([speech(8.0, k) for k in range(5)])  # 40 s
    paths = []
    for k, signal in enumerate([long_signal, speech(1.3, 1), speech(2.1, 2), speech(0.7, 3)]):
        paths.append(str(tmp_path / f"u{k}.wav"))
        soundfile.write(paths[-1], signal, 16000, subtype="FLOAT")
    X = pd.DataFrame({"audio": paths})
    log = str(tmp_path / "log")
    monkeypatch.setenv(EXTRACTION_LOG_ENV, log)
    seg = PretrainedSegmenter(_encoders.WHISPER_TINY, memory=str(tmp_path / "cache"),
                              n_threads=1, batch_size=4, standardize=False)
    Xt = seg.fit_transform(X)
    assert seg.layers_ == [3] and seg.n_features_ == 384 and seg.frame_step_ == 0.02
    assert [f.shape for f in Xt["frames"]] == [(2000, 384), (65, 384), (105, 384), (35, 384)]
    assert Xt["segments"].iloc[0].shape == (1 + (2000 - 25) // 5, 25, 384)
    assert log_lines(log) == 4
    again = seg.transform(X)  # cache hits
    assert log_lines(log) == 4
    for a, b in zip(again["frames"], Xt["frames"], strict=True):
        np.testing.assert_array_equal(a, b)
    # the same frames in and out of a batch
    alone = PretrainedSegmenter(_encoders.WHISPER_TINY, n_threads=1, batch_size=1,
                                standardize=False).fit_transform(X.iloc[1:])
    for a, b in zip(alone["frames"], Xt["frames"].iloc[1:], strict=True):
        np.testing.assert_allclose(a.astype(np.float32), b.astype(np.float32),
                                   atol=2e-3 * max(1.0, float(np.abs(b).max())))


# --------------------------------------------------------------------------- export
@pytest.mark.parametrize("suffix", [".pt", ".onnx"])
def test_an_exported_pipeline_runs_the_encoder_from_its_checkpoint(suffix, whisper, tmp_path):
    if suffix == ".onnx":
        pytest.importorskip("onnx", reason="ONNX export needs the export extra (onnx)")
        pytest.importorskip("onnxruntime", reason="running an ONNX export needs onnxruntime")
    from sklearn_maec.deployment import ExportedModel, export_pipeline

    X, y = corpus()
    checkpoint = shutil.copytree(whisper, tmp_path / "encoder")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        pipe = make_maec_pipeline(encoder=checkpoint, **small_maec()).fit(X, y)
    path = export_pipeline(pipe, tmp_path / f"maec{suffix}")
    model = ExportedModel(path)
    assert isinstance(model.segmenter_, PretrainedSegmenter)
    assert model.segmenter_.feature_spec_ == pipe.named_steps["segment"].feature_spec_
    expected = pipe.predict_proba(X)
    np.testing.assert_allclose(model.predict_proba(X), expected, atol=1e-5)
    moved = shutil.move(str(checkpoint), tmp_path / "elsewhere")
    with pytest.warns(MAECWarning, match=r"cannot predict from audio yet.*does not exist.*"
                                         r"ExportedModel\(\.\.\., encoder=PATH\)"):
        ExportedModel(path)
    model = ExportedModel(path, encoder=moved, n_jobs=1)
    np.testing.assert_allclose(model.predict_proba(X), expected, atol=1e-5)
    assert model.segmenter_.n_threads == 1
