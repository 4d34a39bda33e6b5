"""Tiny randomly initialised speech encoders of each supported family, saved like real ones.

Each is built from its transformers config (2 blocks, width 16) and written with
``save_pretrained`` together with its feature extractor, so the loading code
reads exactly the layout of a checkpoint from the hub, without any download.
The Whisper one keeps the real frame rate but a 2 s window (100 positions), so
long-audio windows are exercised on seconds of audio, not minutes.  The
``encoder_checkpoints`` fixture (conftest.py) builds one of each per test session.

Also here: :func:`speech`, a voiced-like test signal, and where the real Whisper
tiny.en checkpoint is (``../shared/models`` next to the repository root, or
``$SKLEARN_MAEC_SHARED/models``), with the mark that skips a test without it.
"""

import os

import numpy as np
import pytest

SHARED = os.environ.get("SKLEARN_MAEC_SHARED") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared")
WHISPER_TINY = os.path.join(SHARED, "models", "whisper-tiny.en")
needs_whisper_tiny = pytest.mark.skipif(
    not os.path.isfile(os.path.join(WHISPER_TINY, "config.json")),
    reason=f"the real checkpoint is not at {os.path.abspath(WHISPER_TINY)}")

#: family -> (transformers model class, feature extractor attention mask)
FAMILIES = {
    "whisper": ("WhisperForConditionalGeneration", None),
    "wav2vec2": ("Wav2Vec2Model", False),  # group norm, trained without a mask (base style)
    "wavlm": ("WavLMModel", True),
    "hubert": ("HubertModel", True),
    "data2vec-audio": ("Data2VecAudioModel", True),
}
WIDTH = 16
BLOCKS = 2
WHISPER_POSITIONS = 100  # 2 s windows


def _config(transformers, family):
    common = {"num_attention_heads": 2, "hidden_size": WIDTH, "num_hidden_layers": BLOCKS,
              "intermediate_size": 32, "conv_dim": (8,) * 7, "num_conv_pos_embeddings": 16,
              "num_conv_pos_embedding_groups": 2, "vocab_size": 12}
    if family == "whisper":
        return transformers.WhisperConfig(
            d_model=WIDTH, encoder_layers=BLOCKS, decoder_layers=1, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, vocab_size=64,
            num_mel_bins=80, max_source_positions=WHISPER_POSITIONS, max_target_positions=16,
            pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
            suppress_tokens=None, begin_suppress_tokens=None)
    if family == "wav2vec2":
        return transformers.Wav2Vec2Config(feat_extract_norm="group", do_stable_layer_norm=False,
                                           **common)
    if family == "wavlm":
        return transformers.WavLMConfig(feat_extract_norm="layer", do_stable_layer_norm=True,
                                        num_buckets=16, max_bucket_distance=40, **common)
    if family == "hubert":
        return transformers.HubertConfig(feat_extract_norm="layer", do_stable_layer_norm=True,
                                         **common)
    common.pop("num_conv_pos_embeddings")
    return transformers.Data2VecAudioConfig(num_conv_pos_embeddings=3, conv_pos_kernel_size=7,
                                            **common)


def _extractor(transformers, family):
    if family == "whisper":
        return transformers.WhisperFeatureExtractor(
            feature_size=80, chunk_length=WHISPER_POSITIONS * 2 * 160 // 16000)
    return transformers.Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
        return_attention_mask=FAMILIES[family][1])


def build_model(family, seed=0):
    """A tiny randomly initialised model of ``family`` and its feature extractor."""
    import torch
    import transformers

    torch.manual_seed(seed)
    model = getattr(transformers, FAMILIES[family][0])(_config(transformers, family)).eval()
    return model, _extractor(transformers, family)


def save_checkpoint(model, extractor, directory, **save_kwargs):
    """Write ``model`` and ``extractor`` as a checkpoint directory."""
    os.makedirs(directory, exist_ok=True)
    model.save_pretrained(directory, **save_kwargs)
    extractor.save_pretrained(directory)
    return str(directory)


def build_checkpoint(family, directory, seed=0):
    """A tiny checkpoint of ``family`` saved under ``directory``; returns its path."""
    model, extractor = build_model(family, seed)
    return save_checkpoint(model, extractor, directory)


def speech(seconds, seed=0, rate=16000):
    """A voiced-like signal: harmonics of a wobbling f0, with noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    f0 = 110 + 20 * seed + 15 * np.sin(2 * np.pi * 2 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (0.2 * x + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
