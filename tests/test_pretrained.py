"""The pretrained-encoder front-end's engine (features/_pretrained.py), without any download.

Tiny randomly initialised models of each family (tests/_encoders.py) check the
mechanics against transformers' own forward pass; the real Whisper tiny.en in
``../shared/models`` (next to the repository root, or ``$SKLEARN_MAEC_SHARED``)
checks them on a real checkpoint when present.
"""

import glob
import os
import shutil
import socket
import sys

import numpy as np
import pytest
import soundfile

pytest.importorskip("transformers", reason="the pretrained front-end needs transformers")

import _encoders  # noqa: E402  (tests/ is on the path: pytest's rootdir-relative import)

from sklearn_maec.features import _pretrained as P  # noqa: E402
from sklearn_maec.features._audio import resample  # noqa: E402
from sklearn_maec.features._cache import FrameCache  # noqa: E402

FAMILIES = list(_encoders.FAMILIES)
WHISPER_TINY = _encoders.WHISPER_TINY
needs_whisper_tiny = _encoders.needs_whisper_tiny
speech = _encoders.speech


def reference_states(checkpoint, signal):
    """transformers' own hidden states for one signal (Whisper: padded to its window)."""
    import torch
    import transformers

    extractor = transformers.AutoFeatureExtractor.from_pretrained(checkpoint)
    model = transformers.AutoModel.from_pretrained(checkpoint).eval()
    with torch.inference_mode():
        if model.config.model_type == "whisper":
            feats = extractor(signal, sampling_rate=16000, return_tensors="pt").input_features
            out = model.get_encoder()(feats, output_hidden_states=True)
        else:
            values = extractor(signal, sampling_rate=16000, return_tensors="pt").input_values
            out = model(values, output_hidden_states=True)
    return [h[0].numpy() for h in out.hidden_states]


# --------------------------------------------------------------------------- frames
@pytest.mark.parametrize("family", FAMILIES)
def test_frames_every_20_ms_whatever_the_family(family, checkpoints):
    encoder = P.load_encoder(checkpoints[family])
    assert encoder.frame_samples == 320 and encoder.frame_step == pytest.approx(0.02)
    signals = [speech(s, k) for k, s in enumerate((1.0, 1.37, 0.3))]
    states = encoder.hidden_states(signals, (0, 1, 2))
    for signal, state in zip(signals, states, strict=True):
        n = encoder.frame_count(signal.size)
        assert state.shape == (3, n, _encoders.WIDTH) and state.dtype == np.float32
        assert abs(n - signal.size / 16000 / 0.02) <= 1.5  # one frame per 20 ms
    if family != "whisper":  # the count is the model's own
        import torch

        lengths = encoder.model._get_feat_extract_output_lengths(torch.tensor([16000, 21920]))
        assert lengths.tolist() == [encoder.frame_count(16000), encoder.frame_count(21920)]


@pytest.mark.parametrize("family", FAMILIES)
def test_layers_are_transformers_hidden_states(family, checkpoints):
    path = checkpoints[family]
    signal = speech(1.3)
    reference = reference_states(path, signal)
    encoder = P.load_encoder(path)
    n = encoder.frame_count(signal.size)
    pad = family == "whisper"  # transformers' Whisper only runs on its whole window

    def frames(layer):
        return encoder.encode([signal], layer, pad_to_window=pad)[0]

    for index in range(3):
        np.testing.assert_allclose(frames(index), reference[index][:n], atol=2e-5)
    np.testing.assert_allclose(frames(-1), reference[2][:n], atol=2e-5)
    np.testing.assert_allclose(frames([0, 2]), (reference[0][:n] + reference[2][:n]) / 2,
                               atol=2e-5)


def test_whisper_on_its_own_length_matches_its_padded_run_where_it_sees_the_same(checkpoints):
    """Without the 30 s of padding, the first convolutions see the same log-mel frames."""
    encoder = P.load_encoder(checkpoints["whisper"])
    signal = speech(1.1)
    short = encoder.hidden_states([signal], (0,))[0][0]
    padded = encoder.hidden_states([signal], (0,), pad_to_window=True)[0][0]
    assert short.shape == padded.shape == (55, _encoders.WIDTH)
    # layer 0 is local (two convolutions + positions): equal but for the last frame,
    # whose receptive field reaches past the audio
    np.testing.assert_allclose(short[:-1], padded[:-1], atol=1e-4)


@pytest.mark.parametrize("family", FAMILIES)
def test_same_frames_in_and_out_of_a_batch(family, checkpoints):
    encoder = P.load_encoder(checkpoints[family])
    signals = [speech(s, k) for k, s in enumerate((1.0, 0.45, 1.0, 0.8, 1.63))]
    together = encoder.hidden_states(signals, (0, 1, 2), batch_size=5)
    for signal, batched in zip(signals, together, strict=True):
        alone = encoder.hidden_states([signal], (0, 1, 2), batch_size=1)[0]
        np.testing.assert_allclose(batched, alone, atol=2e-5)


def test_batches_mix_lengths_only_where_frames_do_not_depend_on_the_batch(checkpoints,
                                                                         tmp_path):
    ragged = {f: P.load_encoder(checkpoints[f]).ragged_batches for f in FAMILIES}
    assert ragged == {"whisper": True, "wav2vec2": False, "wavlm": True, "hubert": True,
                      "data2vec-audio": False}
    # WavLM Base+ style: an attention mask, but a group-normed first convolution
    model, extractor = _encoders.build_model("wavlm")
    import transformers

    config = model.config
    config.feat_extract_norm, config.do_stable_layer_norm = "group", False
    model = transformers.WavLMModel(config).eval()
    grouped = P.load_encoder(_encoders.save_checkpoint(model, extractor, tmp_path / "base"))
    assert grouped.uses_attention_mask and not grouped.ragged_batches
    signals = [speech(1.0), speech(0.6, 1)]
    for signal, together in zip(signals, grouped.encode(signals, 1, batch_size=2), strict=True):
        np.testing.assert_allclose(together, grouped.encode([signal], 1)[0], atol=2e-5)
    encoder = P.load_encoder(checkpoints["wav2vec2"])
    pieces = [(np.zeros(n, np.float32),) for n in (500, 900, 500, 700, 900)]
    batches = [[pieces[p][0].size for p in b] for b in encoder._batches(pieces, 8)]
    assert batches == [[900, 900], [700], [500, 500]]


# --------------------------------------------------------------------------- long audio
@pytest.mark.parametrize("n_frames,max_frames,overlap", [
    (10, 10, 2), (11, 10, 2), (57, 10, 0), (57, 10, 3), (1000, 100, 17), (101, 100, 99)])
def test_windows_tile_the_recording_without_gap_or_duplicate(n_frames, max_frames, overlap):
    plan = P.plan_windows(n_frames, max_frames, overlap)
    kept = np.concatenate([np.arange(lo, hi) for _, lo, hi in plan])
    np.testing.assert_array_equal(kept, np.arange(n_frames))
    for start, lo, hi in plan:
        assert 0 <= start <= lo <= hi <= start + max_frames <= max(n_frames, max_frames)
    with pytest.raises(ValueError, match="overlap"):
        P.plan_windows(20, 10, 10)


@pytest.mark.parametrize("family,chunk", [("whisper", None), ("whisper", 1.0), ("hubert", 1.0),
                                          ("wav2vec2", 0.7)])
def test_long_audio_goes_through_in_windows_joined_frame_for_frame(family, chunk, checkpoints):
    """Each kept frame is the frame of its window run alone, at the right place."""
    encoder = P.load_encoder(checkpoints[family])
    signal = speech(5.3)
    n = encoder.frame_count(signal.size)
    frames = encoder.encode([signal], 2, chunk_length=chunk, chunk_overlap=0.3)[0]
    assert frames.shape == (n, _encoders.WIDTH)
    chunk_frames, overlap = encoder._chunking(chunk, 0.3)
    plan = P.plan_windows(n, chunk_frames, overlap)
    assert len(plan) >= 3
    for start, lo, hi in plan:
        piece = signal[start * 320: start * 320 + encoder._span(chunk_frames)]
        if family != "whisper":  # the wav2vec2 family normalises the whole recording
            piece = encoder._prepare(signal, False)[start * 320:][: piece.size]
            alone = encoder._forward([piece], [chunk_frames], (2,))[0][0]
        else:
            alone = encoder.encode([piece], 2)[0]
        assert alone.shape[0] == chunk_frames
        np.testing.assert_allclose(frames[lo:hi], alone[lo - start: hi - start], atol=2e-5)


def test_whisper_windows_are_bounded_by_its_positions(checkpoints):
    encoder = P.load_encoder(checkpoints["whisper"])
    assert encoder.max_frames == _encoders.WHISPER_POSITIONS
    with pytest.raises(ValueError, match="exceeds what the model takes at once"):
        encoder.encode([speech(1.0)], 0, chunk_length=3.0)
    with pytest.raises(ValueError, match="chunk_overlap"):
        encoder.encode([speech(1.0)], 0, chunk_overlap=2.0)


# --------------------------------------------------------------------------- layers
def test_layer_indices_resolve_and_are_checked():
    assert P.resolve_layers(3, 5) == (3,)
    assert P.resolve_layers(-1, 5) == (4,)
    assert P.resolve_layers([4, 0, -3], 5) == (0, 2, 4)
    assert P.resolve_layers(np.int64(2), 5) == (2,)
    # the default: the block at three quarters of the depth (block 3 of Whisper tiny.en's 4)
    assert [P.resolve_layers(None, n + 1) for n in (2, 4, 6, 12, 32)] == [
        (2,), (3,), (5,), (9,), (24,)]
    for bad, match in [(5, "out of range"), (-6, "out of range"), ([], "empty"),
                       ([1, -4], "twice"), (1.0, "int"), (True, "int"), ("3", "int")]:
        with pytest.raises(ValueError, match=match):
            P.resolve_layers(bad, 5)


# --------------------------------------------------------------------------- sources
def test_sources_give_row_results_cached_by_content(checkpoints, tmp_path):
    path = checkpoints["hubert"]
    wav = tmp_path / "a.wav"
    stereo = np.stack([speech(1.2, 1, 44100), speech(1.2, 2, 44100)], axis=1)
    soundfile.write(wav, stereo, 44100, subtype="PCM_16")
    int8k = (speech(0.9, 3, 8000) * 32767).astype(np.int16)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00not a wave file at all" * 10)
    sources = [(str(wav), None), (int8k, 8000), (str(tmp_path / "missing.wav"), None),
               (np.zeros(16000, np.float32), 16000), (speech(0.01), 16000),
               (speech(1.0), None), (np.array([0.1, np.nan, 0.2] * 300), 16000),
               (str(corrupt), None)]
    cache = FrameCache(tmp_path / "cache")
    log = tmp_path / "log"
    results = P.extract_sources(sources, path, 1, cache=cache, log_path=str(log))
    ok, i8 = results[0], results[1]
    assert ok.error is None and ok.frame_step == pytest.approx(0.02)
    assert ok.frames.dtype == np.float16 and ok.frames.shape == (59, _encoders.WIDTH)
    assert any("mixed 2 channels" in n for n in ok.notes)
    assert i8.error is None and i8.frames.shape == (44, _encoders.WIDTH)
    assert "not found" in results[2].error and "missing.wav" in results[2].error
    assert "silent" in results[3].error
    assert "too short" in results[4].error and "400" in results[4].error
    assert "sampling_rate" in results[5].error
    assert "NaN" in results[6].error
    assert "cannot read audio file" in results[7].error and "corrupt.wav" in results[7].error
    # the frames are the encoder's, stored as float16
    encoder = P.load_encoder(path)
    signal = resample(soundfile.read(wav, dtype="float32")[0].mean(axis=1), 44100, 16000)
    np.testing.assert_allclose(ok.frames, encoder.encode([signal], 1)[0], atol=2e-3)
    assert len(open(log).read().splitlines()) == 2
    assert len(glob.glob(str(tmp_path / "cache" / "*" / "*" / "*.npz"))) == 2

    # a second run reads the cache: no model is loaded, nothing is encoded
    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded although every frame was cached")

    original, P.load_encoder = P.load_encoder, no_model
    try:
        again = P.extract_sources(sources[:2], path, 1, cache=cache, log_path=str(log))
    finally:
        P.load_encoder = original
    for a, b in zip(again, results[:2], strict=True):
        np.testing.assert_array_equal(a.frames, b.frames)
        assert a.frames.dtype == np.float16 and a.frame_step == pytest.approx(0.02)
    assert len(open(log).read().splitlines()) == 2
    # another layer selection, the same layer spelled otherwise, float32
    other = P.extract_sources(sources[:1], path, [0, 1], cache=cache)[0]
    assert np.abs(other.frames.astype(float) - ok.frames).max() > 1e-3  # not a cache hit
    same = P.extract_sources(sources[:1], path, -2, cache=cache, log_path=str(log))[0]
    np.testing.assert_array_equal(same.frames, ok.frames)
    assert len(open(log).read().splitlines()) == 2
    full = P.extract_sources(sources[:1], path, 1, cache=cache, dtype="float32")[0]
    assert full.frames.dtype == np.float32
    np.testing.assert_allclose(full.frames, ok.frames, atol=2e-3)


def test_a_failing_forward_pass_costs_its_row_only(checkpoints, monkeypatch):
    encoder = P.load_encoder(checkpoints["wavlm"])
    original = P.Encoder._forward

    def fails_on_long(self, inputs, n_frames, layers, average=False):
        if any(x.shape[-1] > 20000 for x in inputs):
            raise RuntimeError("out of memory (simulated)")
        return original(self, inputs, n_frames, layers, average)

    monkeypatch.setattr(P.Encoder, "_forward", fails_on_long)
    results = P.extract_sources([(speech(1.0), 16000), (speech(1.5), 16000),
                                 (speech(0.5), 16000)], encoder.spec, 0, batch_size=3)
    assert results[0].error is None and results[2].error is None
    assert "RuntimeError: out of memory (simulated)" in results[1].error


def test_frames_key_follows_content_layers_and_options(checkpoints, tmp_path):
    spec = P.resolve_encoder(checkpoints["wavlm"])
    base = P.frames_key(spec, (1,))
    assert spec.path not in repr(base)  # a moved checkpoint keeps its entries
    moved = shutil.copytree(spec.path, tmp_path / "moved")
    assert P.frames_key(P.resolve_encoder(moved), (1,)) == base
    assert P.frames_key(spec, (2,)) != base
    assert P.frames_key(spec, (1,), dtype="float32") != base
    assert P.frames_key(spec, (1,), chunk_length=10.0) != base
    # padding only means something to Whisper
    assert P.frames_key(spec, (1,), pad_to_window=True) == base
    whisper = P.resolve_encoder(checkpoints["whisper"])
    assert P.frames_key(whisper, (1,), pad_to_window=True) != P.frames_key(whisper, (1,))


# --------------------------------------------------------------------------- checkpoint digest
def test_digest_changes_with_the_weights_and_is_computed_once(checkpoints, tmp_path,
                                                             monkeypatch):
    copy = shutil.copytree(checkpoints["hubert"], tmp_path / "hubert")
    calls = []
    original = P._hash_file

    def counting(filename, h):
        calls.append(os.path.basename(filename))
        original(filename, h)

    monkeypatch.setattr(P, "_hash_file", counting)
    first = P.checkpoint_digest(copy)
    assert sorted(calls) == ["config.json", "model.safetensors", "preprocessor_config.json"]
    assert P.checkpoint_digest(copy) == first and len(calls) == 3  # memoised
    os.utime(copy / "model.safetensors")  # touched, same content: hashed again, same digest
    assert P.checkpoint_digest(copy) == first and len(calls) == 6
    model, extractor = _encoders.build_model("hubert", seed=1)  # other weights
    _encoders.save_checkpoint(model, extractor, copy)
    assert P.checkpoint_digest(copy) != first
    assert P.resolve_encoder(copy).digest != P.resolve_encoder(checkpoints["hubert"]).digest


def test_sharded_and_pickled_weights_are_read_and_hashed(tmp_path):
    model, extractor = _encoders.build_model("wav2vec2")
    path = _encoders.save_checkpoint(model, extractor, tmp_path / "sharded",
                                     max_shard_size="20KB")
    files = set(os.listdir(path))
    assert "model.safetensors.index.json" in files and len(files) > 4
    spec = P.resolve_encoder(path)
    encoder = P.load_encoder(spec)
    reference = P.load_encoder(_encoders.build_checkpoint("wav2vec2", tmp_path / "whole"))
    signal = speech(0.5)
    np.testing.assert_allclose(encoder.encode([signal], 2)[0], reference.encode([signal], 2)[0],
                               atol=1e-6)
    shard = sorted(f for f in files if f.endswith(".safetensors"))[0]
    os.remove(os.path.join(path, shard))
    with pytest.raises(FileNotFoundError, match=f"lacks the weight shard.*{shard}"):
        P.resolve_encoder(path)


def test_whisper_loads_from_either_layout_and_drops_the_decoder(tmp_path):
    import transformers

    model, extractor = _encoders.build_model("whisper")
    generation = _encoders.save_checkpoint(model, extractor, tmp_path / "generation")
    bare = _encoders.save_checkpoint(model.model, extractor, tmp_path / "model")
    signal = speech(0.7)
    a = P.load_encoder(generation)
    assert isinstance(a.model, transformers.models.whisper.modeling_whisper.WhisperEncoder)
    frames = a.encode([signal], [0, 1, 2])[0]
    np.testing.assert_allclose(P.load_encoder(bare).encode([signal], [0, 1, 2])[0], frames,
                               atol=1e-6)


# --------------------------------------------------------------------------- errors
def test_a_missing_checkpoint_names_the_directory_and_what_was_expected(checkpoints, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere.*does not exist.*config.json"):
        P.resolve_encoder(missing)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        P.extract_sources([(speech(1.0), 16000)], str(missing))
    partial = shutil.copytree(checkpoints["wavlm"], tmp_path / "partial")
    os.remove(partial / "model.safetensors")
    os.remove(partial / "preprocessor_config.json")
    with pytest.raises(FileNotFoundError, match=r"partial.*lacks preprocessor_config.json, "
                                                r"model.safetensors or .*it holds: config.json"):
        P.load_encoder(partial)
    with pytest.raises(FileNotFoundError, match="is a file, not a directory"):
        P.resolve_encoder(partial / "config.json")


def test_an_unsupported_family_is_named(checkpoints, tmp_path):
    import json

    other = shutil.copytree(checkpoints["wavlm"], tmp_path / "bert")
    config = json.loads((other / "config.json").read_text())
    config["model_type"] = "bert"
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="'bert' model; the supported families are whisper, "
                                         "wav2vec2, wavlm, hubert, data2vec-audio"):
        P.resolve_encoder(other)


def test_weights_of_another_family_are_refused_not_left_random(checkpoints, tmp_path):
    mixed = shutil.copytree(checkpoints["whisper"], tmp_path / "mixed")
    shutil.copy(os.path.join(checkpoints["wav2vec2"], "model.safetensors"), mixed)
    with pytest.raises(ValueError, match="weights lack .* whisper encoder's parameters"):
        P.load_encoder(mixed)


def test_without_transformers_one_error_says_what_to_install(checkpoints, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.setattr(P, "_LOADED", type(P._LOADED)())
    for call in (lambda: P.load_encoder(checkpoints["hubert"]),
                 lambda: P.extract_sources([(speech(1.0), 16000)], checkpoints["hubert"], 1)):
        with pytest.raises(ImportError, match=r'pip install "sklearn-maec\[pretrained\]"'):
            call()


def test_loading_never_touches_the_network(checkpoints, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access while loading: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(P, "_LOADED", type(P._LOADED)())
    for family in ("whisper", "wavlm"):
        encoder = P.load_encoder(checkpoints[family])
        assert encoder.encode([speech(0.5)], 1)[0].shape[0] == 25 - (family != "whisper")


@pytest.mark.parametrize("statement", ["import sklearn_maec.features._pretrained",
                                       "from sklearn_maec import PretrainedSegmenter"])
def test_importing_imports_neither_torch_nor_transformers(statement):
    import subprocess

    code = (f"import sys; {statement}; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the real checkpoint
@needs_whisper_tiny
def test_real_whisper_tiny_frames_every_20_ms():
    spec = P.resolve_encoder(WHISPER_TINY)
    assert (spec.family, spec.n_hidden_states, spec.hidden_size) == ("whisper", 5, 384)
    encoder = P.load_encoder(spec)
    assert encoder.frame_step == pytest.approx(0.02) and encoder.max_frames == 1500
    frames = encoder.encode([speech(1.0), speech(2.5, 1)], None, n_threads=1)
    assert [f.shape for f in frames] == [(50, 384), (125, 384)]
    np.testing.assert_allclose(frames[0], encoder.encode([speech(1.0)], 3, n_threads=1)[0],
                               atol=1e-4)


@needs_whisper_tiny
def test_real_whisper_tiny_on_a_40_s_recording():
    encoder = P.load_encoder(WHISPER_TINY)
    signal = np.concatenate([speech(8.0, k) for k in range(5)])
    frames = encoder.encode([signal], 3, n_threads=1)[0]
    assert frames.shape == (2000, 384) and np.all(np.isfinite(frames))
    # two 30 s windows handing over mid-overlap: the second ends with the recording
    assert P.plan_windows(2000, 1500, 250) == [(0, 0, 1000), (500, 1000, 2000)]
    first = encoder.encode([signal[: 30 * 16000]], 3, n_threads=1)[0]
    np.testing.assert_allclose(frames[:1000], first[:1000], atol=1e-4)
    last = encoder.encode([signal[10 * 16000:]], 3, n_threads=1)[0]
    np.testing.assert_allclose(frames[1000:], last[500:], atol=1e-4)


@needs_whisper_tiny
def test_real_whisper_tiny_same_frames_in_and_out_of_a_batch():
    encoder = P.load_encoder(WHISPER_TINY)
    signals = [speech(s, k) for k, s in enumerate((1.0, 2.2, 0.6))]
    batched = encoder.encode(signals, [2, 3], batch_size=3, n_threads=1)
    for signal, together in zip(signals, batched, strict=True):
        alone = encoder.encode([signal], [2, 3], batch_size=1, n_threads=1)[0]
        np.testing.assert_allclose(together, alone, atol=1e-4)


def test_float16_keeps_only_what_it_holds_to_a_fraction_of_each_dimensions_spread():
    rng = np.random.default_rng(0)
    frames = rng.standard_normal((200, 8)).astype(np.float32) * 3
    assert P._as_stored(frames, np.float16).dtype == np.float16
    assert P._as_stored(frames, np.float32).dtype == np.float32
    # a dimension at 100 that varies by 0.05: float16's steps there (0.0625) are its spread
    offset = frames.copy()
    offset[:, 2] = 100 + 0.05 * rng.standard_normal(200)
    kept = P._as_stored(offset, np.float16)
    assert kept.dtype == np.float32 and kept is offset
    constant_zero = frames.copy()
    constant_zero[:, 3] = 0.0  # exact in float16
    assert P._as_stored(constant_zero, np.float16).dtype == np.float16
    beyond = frames.copy()
    beyond[0, 0] = 1e5  # beyond float16's range
    assert P._as_stored(beyond, np.float16).dtype == np.float32
    assert P._as_stored(np.empty((0, 8), np.float32), np.float16).dtype == np.float16
