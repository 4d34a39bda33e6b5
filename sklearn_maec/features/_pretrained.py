"""Frames from a pretrained speech encoder: the hidden states of a local checkpoint.

The engine of the pretrained front-end.  A checkpoint is a directory in the
Hugging Face layout (``config.json``, the weights, ``preprocessor_config.json``)
of one of the families in :data:`FAMILIES`: Whisper (its encoder), WavLM,
HuBERT, wav2vec2 and data2vec-audio.  It is loaded with transformers from that
directory only (``local_files_only``: nothing is ever fetched), and turns
16 kHz audio into one frame per 20 ms (the step is derived from the model's
configuration): the hidden states at the chosen ``layer`` (an index into the
model's ``hidden_states``, 0 being the input of the first block; a negative
index; or a list of indices, averaged).

The parts, bottom up:

* :func:`resolve_encoder` reads and checks a checkpoint directory without
  importing transformers (:class:`EncoderSpec`: family, depth, width and the
  content digest of :func:`checkpoint_digest`, memoised by path, size and
  modification time);
* :func:`load_encoder` loads it (memoised) into an :class:`Encoder`, whose
  :meth:`Encoder.hidden_states` runs batched inference over signals of any
  length (long ones in overlapping windows, joined without a duplicated or a
  missing frame: :func:`plan_windows`);
* :func:`extract_sources` is what a segmenter calls: per audio source (a path or
  an array at any rate, as ``features/_audio.py`` reads them) a
  :class:`~sklearn_maec.features._extraction.RowResult` (frames, frame step,
  notes, or the error naming what went wrong), through the frame cache of
  :mod:`sklearn_maec.features._cache`, keyed by the source and
  :func:`frames_key` (checkpoint content, layers, rate, windowing, dtype).

This module imports neither torch nor transformers at import time (the
``features`` layer never does): both are imported inside the functions that
run the model.
"""

import hashlib
import importlib
import inspect
import json
import math
import numbers
import os
import threading
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .._threads import torch_threads
from ..exceptions import ExtractionInterrupted
from ._audio import SILENCE_PEAK, AudioError, resample
from ._extraction import (
    RowResult,
    _log_extraction,
    audio_source,
    check_rate,
    error_message,
    store,
)

__all__ = [
    "FAMILIES", "INSTALL_HINT", "MIN_TRANSFORMERS", "DEFAULT_DEPTH", "EncoderSpec", "Encoder",
    "resolve_encoder", "checkpoint_digest", "resolve_layers", "load_encoder", "plan_windows",
    "frames_key", "extract_sources",
]

#: The supported families: ``config.json``'s ``model_type`` -> the transformers class loaded.
#: Whisper loads as ``WhisperForAudioClassification`` (its encoder and a small head, whose
#: random weights are dropped after loading): the decoder's weights are never read.
FAMILIES = {
    "whisper": "WhisperForAudioClassification",
    "wav2vec2": "Wav2Vec2Model",
    "wavlm": "WavLMModel",
    "hubert": "HubertModel",
    "data2vec-audio": "Data2VecAudioModel",
}
#: Oldest transformers release these functions are tested with (``pyproject.toml``'s
#: ``pretrained`` extra).
MIN_TRANSFORMERS = "4.40"
INSTALL_HINT = 'pip install "sklearn-maec[pretrained]"'
#: The default ``layer`` (None) is the output of the block at this fraction of the encoder's
#: depth: block 3 of Whisper tiny.en's 4, whose frames (on the audio's own length, the
#: default) gave the best leave-one-speaker-out linear probe on both EmoDB (UA 0.957) and
#: EMOVO (0.676) (benchmarks/bench_encoder_probe.py; padded to 30 s, EMOVO's best was the
#: last block, 0.661 against 0.619); 9 of 12 blocks, 24 of 32 (the same relative depth:
#: measured on tiny.en only).
DEFAULT_DEPTH = 0.75

#: Part of every frames key: bump it when the frames computed for a key change.
FRAMES_VERSION = "2"
#: Parameters a missing key may belong to without the encoder being incomplete: Whisper's
#: classification head (never used), wav2vec2's mask embedding (used only in training).
_OPTIONAL_PARAMETERS = ("projector.", "classifier.", "masked_spec_embed", "layer_weights")
_CONFIG = "config.json"
_PREPROCESSOR = "preprocessor_config.json"
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
            "pytorch_model.bin.index.json")
_EXPECTED = (f"{_CONFIG}, the weights ({' or '.join(_WEIGHTS)}, or the shards an index "
             f"names) and {_PREPROCESSOR} (the feature extractor)")


def _import_transformers():
    """transformers, or one ImportError saying what to install."""
    try:
        return importlib.import_module("transformers")
    except ImportError as exc:
        raise ImportError(
            "reading frames from a pretrained speech encoder needs the transformers package, "
            f"which is not installed: {INSTALL_HINT} (transformers>={MIN_TRANSFORMERS})"
        ) from exc


def _transformers_version():
    return _import_transformers().__version__


# --------------------------------------------------------------------------- the checkpoint
@dataclass(frozen=True)
class EncoderSpec:
    """A checked checkpoint directory, read without loading the model.

    Attributes
    ----------
    path : str
        Absolute path of the directory.
    family : str
        Its ``model_type`` (a key of :data:`FAMILIES`).
    digest : str
        Content digest of its configuration, feature extractor and weight files
        (:func:`checkpoint_digest`).
    n_hidden_states : int
        Entries of the model's ``hidden_states``: its blocks plus one (the input
        of the first block).
    hidden_size : int
        Width of a frame.
    """

    path: str
    family: str
    digest: str
    n_hidden_states: int
    hidden_size: int

    @property
    def identity(self):
        """What the encoder is, by content (no path: the same checkpoint elsewhere is the same)."""
        return {"family": self.family, "digest": self.digest,
                "n_hidden_states": self.n_hidden_states, "hidden_size": self.hidden_size}


def _checkpoint_files(path):
    """The files of ``path`` that make the encoder (config, feature extractor, weights)."""
    path = os.path.abspath(os.fspath(path))
    if not os.path.isdir(path):
        what = "is a file, not a directory" if os.path.exists(path) else "does not exist"
        raise FileNotFoundError(
            f"encoder checkpoint {path!r} {what}: expected a directory in the Hugging Face "
            f"layout holding {_EXPECTED}"
        )
    present = set(os.listdir(path))
    missing = [name for name in (_CONFIG, _PREPROCESSOR) if name not in present]
    weights = [name for name in _WEIGHTS if name in present]
    if not weights:
        missing.append(" or ".join(_WEIGHTS))
    if missing:
        raise FileNotFoundError(
            f"encoder checkpoint {path!r} lacks {', '.join(missing)} (expected {_EXPECTED}; "
            f"it holds: {', '.join(sorted(present)) or 'nothing'})"
        )
    files = [_CONFIG, _PREPROCESSOR]
    for index in (n for n in weights if n.endswith(".index.json")):
        try:
            with open(os.path.join(path, index)) as fh:
                shards = sorted(set(json.load(fh)["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"encoder checkpoint {path!r}: cannot read the weight index "
                             f"{index}: {exc}") from None
        absent = [s for s in shards if s not in present]
        if absent:
            raise FileNotFoundError(f"encoder checkpoint {path!r} lacks the weight shard(s) "
                                    f"{', '.join(absent)} that {index} names")
        files += [index, *shards]
    files += [n for n in weights if not n.endswith(".index.json")]
    return path, files


_DIGESTS = {}
_DIGESTS_LOCK = threading.Lock()


def _hash_file(filename, h):
    with open(filename, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)


def checkpoint_digest(path, files=None):
    """Content digest of a checkpoint (SHA-256 of its config, feature extractor and weights).

    Computed once per directory and memoised by the files' names, sizes and
    modification times, so a large checkpoint is hashed again only when a file
    changes (a touched file is hashed again and, unchanged, gives the same digest).

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint directory.
    files : list of str or None
        Its files to hash (default: those :func:`resolve_encoder` checks).

    Returns
    -------
    digest : str
        Hex digest.
    """
    if files is None:
        path, files = _checkpoint_files(path)
    path = os.path.abspath(os.fspath(path))
    stats = []
    for name in files:
        st = os.stat(os.path.join(path, name))
        stats.append((name, st.st_size, st.st_mtime_ns))
    memo_key = (path, tuple(stats))
    with _DIGESTS_LOCK:
        digest = _DIGESTS.get(memo_key)
    if digest is None:
        h = hashlib.sha256()
        for name, size, _ in stats:
            h.update(f"{name}\x00{size}\x00".encode())
            _hash_file(os.path.join(path, name), h)
        digest = h.hexdigest()
        with _DIGESTS_LOCK:
            _DIGESTS[memo_key] = digest
    return digest


def resolve_encoder(path):
    """Check a checkpoint directory and describe it, without importing transformers.

    Parameters
    ----------
    path : str or os.PathLike
        Directory in the Hugging Face layout (as ``save_pretrained`` writes it, or
        a model downloaded from the hub).

    Returns
    -------
    spec : EncoderSpec

    Raises
    ------
    FileNotFoundError
        When the directory, its configuration, its feature extractor or its
        weights are missing (the message names the directory and what was expected).
    ValueError
        For a configuration that cannot be read, or a family not in :data:`FAMILIES`.
    """
    path, files = _checkpoint_files(path)
    try:
        with open(os.path.join(path, _CONFIG)) as fh:
            config = json.load(fh)
        family = config["model_type"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"encoder checkpoint {path!r}: cannot read the model_type of its "
                         f"{_CONFIG}: {exc!r}") from None
    if family not in FAMILIES:
        raise ValueError(
            f"encoder checkpoint {path!r} is a {family!r} model; the supported families are "
            f"{', '.join(FAMILIES)} (config.json's model_type)"
        )
    try:
        if family == "whisper":  # transformers' defaults where config.json is silent
            depth, width = config.get("encoder_layers", 4), config.get("d_model", 384)
        else:
            depth, width = config.get("num_hidden_layers", 12), config.get("hidden_size", 768)
        depth, width = int(depth), int(width)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"encoder checkpoint {path!r}: its {_CONFIG} lacks the model's "
                         f"depth or width ({exc!r})") from None
    return EncoderSpec(path, family, checkpoint_digest(path, files), depth + 1, width)


def resolve_layers(layer, n_hidden_states):
    """The hidden-state indices ``layer`` selects, non-negative and in order.

    Parameters
    ----------
    layer : int, sequence of int or None
        An index into ``hidden_states`` (0: the input of the first block;
        ``n_hidden_states - 1``: the output of the last), a negative index
        counted from the end, or several indices whose frames are averaged.
        None: the output of the block at :data:`DEFAULT_DEPTH` of the depth
        (``round(0.75 * n_blocks)``, halves up).
    n_hidden_states : int
        Entries of the model's ``hidden_states``.

    Returns
    -------
    layers : tuple of int

    Raises
    ------
    ValueError
        For an index out of range, an empty list, a repeated index or a non-integer.
    """
    if layer is None:
        return (int(math.floor(DEFAULT_DEPTH * (n_hidden_states - 1) + 0.5)),)
    many = not isinstance(layer, numbers.Integral) and hasattr(layer, "__iter__") and not (
        isinstance(layer, (str, bytes)))
    items = list(layer) if many else [layer]
    if not items:
        raise ValueError("layer is an empty list: give an index or a list of indices")
    resolved = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise ValueError(f"layer must be an int or a list of ints, got {layer!r}")
        if not -n_hidden_states <= item < n_hidden_states:
            raise ValueError(
                f"layer {int(item)} is out of range: the encoder has {n_hidden_states} hidden "
                f"states (0 = the input of the first block .. {n_hidden_states - 1} = the "
                f"last block's output; -1 .. -{n_hidden_states} from the end)"
            )
        resolved.append(int(item) % n_hidden_states)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"layer {layer!r} names a hidden state twice (indices {resolved} of "
                         f"{n_hidden_states})")
    return tuple(sorted(resolved))


# --------------------------------------------------------------------------- windows
def plan_windows(n_frames, max_frames, overlap_frames):
    """How a recording of ``n_frames`` frames is cut into windows of the model and joined.

    Windows of ``max_frames`` frames start every ``max_frames - overlap_frames``
    frames, the last one ending with the recording (so every window is full);
    two neighbours hand over in the middle of their overlap, so each frame kept
    comes from the window in which it sits furthest from an edge, and the kept
    ranges tile ``[0, n_frames)``: no frame is duplicated or missing.

    Parameters
    ----------
    n_frames : int
        Frames of the whole recording.
    max_frames : int
        Frames of one window.
    overlap_frames : int
        Frames two consecutive windows share (``0 <= overlap_frames < max_frames``).

    Returns
    -------
    windows : list of (int, int, int)
        Per window its first frame and the range ``[keep_from, keep_to)`` of the
        recording's frames it gives (all in the recording's frame indices).
    """
    if not 0 <= overlap_frames < max_frames:
        raise ValueError(f"the overlap of {overlap_frames} frames must be at least 0 and "
                         f"below the window of {max_frames} frames")
    if n_frames <= max_frames:
        return [(0, 0, n_frames)]
    step = max_frames - overlap_frames
    starts = list(range(0, n_frames - max_frames, step)) + [n_frames - max_frames]
    handovers = [(starts[j] + starts[j + 1] + max_frames) // 2 for j in range(len(starts) - 1)]
    bounds = [0, *handovers, n_frames]
    return [(s, bounds[j], bounds[j + 1]) for j, s in enumerate(starts)]


# --------------------------------------------------------------------------- the model
_LOADED = OrderedDict()  # (path, digest, device) -> Encoder: the last one loaded
_LOADED_LOCK = threading.Lock()


@contextmanager
def _quiet(transformers):
    """Silence transformers' loading chatter (the unused Whisper head, progress bars)."""
    logging = transformers.utils.logging
    verbosity = logging.get_verbosity()
    bar = logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bar:
            logging.enable_progress_bar()


def load_encoder(spec, device="cpu"):
    """Load a checkpoint with transformers, from its directory only, for inference.

    Memoised: the last checkpoint loaded (by path, content and device) is
    returned again without reading its files.

    Parameters
    ----------
    spec : EncoderSpec, str or os.PathLike
        The checkpoint (a directory is resolved with :func:`resolve_encoder`).
    device : str or torch.device, default="cpu"
        Where the model runs (``"cuda"`` for a GPU).

    Returns
    -------
    encoder : Encoder

    Raises
    ------
    ImportError
        Without transformers (the message says which extra to install).
    ValueError
        When the weights do not cover the encoder's parameters (not a checkpoint
        of the family its configuration names).
    """
    if not isinstance(spec, EncoderSpec):
        spec = resolve_encoder(spec)
    transformers = _import_transformers()
    import torch

    device = torch.device(device)
    key = (spec.path, spec.digest, str(device))
    with _LOADED_LOCK:
        if key in _LOADED:
            return _LOADED[key]
    cls = getattr(transformers, FAMILIES[spec.family])
    major = int(transformers.__version__.split(".")[0])
    dtype = {"dtype" if major >= 5 else "torch_dtype": torch.float32}
    with _quiet(transformers):
        model, info = cls.from_pretrained(spec.path, local_files_only=True,
                                          output_loading_info=True, **dtype)
        extractor = transformers.AutoFeatureExtractor.from_pretrained(
            spec.path, local_files_only=True)
    missing = [k for k in info.get("missing_keys", ())
               if not any(part in k for part in _OPTIONAL_PARAMETERS)]
    if missing:
        raise ValueError(
            f"encoder checkpoint {spec.path!r}: its weights lack {len(missing)} of the "
            f"{spec.family} encoder's parameters (e.g. {', '.join(sorted(missing)[:3])}); is it "
            f"a {spec.family} checkpoint, as its {_CONFIG} says?"
        )
    if spec.family == "whisper":
        model = model.encoder  # the head (random weights) goes
    shape = (len(model.layers) + 1 if spec.family == "whisper"
             else model.config.num_hidden_layers + 1, model.config.hidden_size)
    if shape != (spec.n_hidden_states, spec.hidden_size):
        raise ValueError(f"encoder checkpoint {spec.path!r}: the model loaded has {shape[0]} "
                         f"hidden states of width {shape[1]}, its {_CONFIG} says "
                         f"{spec.n_hidden_states} of {spec.hidden_size}")
    model.eval().requires_grad_(False).to(device)
    encoder = Encoder(spec, model, extractor, device)
    with _LOADED_LOCK:
        _LOADED.clear()  # one model at a time: they can be large
        _LOADED[key] = encoder
    return encoder


def _conv_length(length, kernel, stride, padding=0):
    return (length + 2 * padding - kernel) // stride + 1


class Encoder:
    """A loaded checkpoint: turns 16 kHz signals into hidden states at the model's frame step.

    Made by :func:`load_encoder`.

    Parameters
    ----------
    spec : EncoderSpec
        The checkpoint.
    model : torch.nn.Module
        The encoder (for Whisper ``WhisperEncoder``, else the family's base model), in
        eval mode on ``device``.
    extractor : transformers.FeatureExtractionMixin
        The checkpoint's feature extractor.
    device : torch.device
        Where ``model`` is.

    Attributes
    ----------
    sampling_rate : int
        Rate the model reads (Hz), from the feature extractor.
    frame_samples : int
        Samples between two frames (the model's total stride).
    frame_step : float
        Seconds between frames (``frame_samples / sampling_rate``: 0.02 for the five
        families).
    max_frames : int or None
        Frames of the longest input the model takes (Whisper: its
        ``max_source_positions``, 30 s); None without such a limit.
    uses_attention_mask : bool
        Whether the model reads an attention mask (Whisper here, through its own
        forward pass; the wav2vec2 family when its feature extractor returns one).
    ragged_batches : bool
        Whether inputs of different lengths share a batch (padded, and masked).
        Only where an input's frames then do not depend on what it is batched
        with: Whisper; wav2vec2, WavLM and HuBERT with an attention mask and a
        layer-normed convolutional front (``feat_extract_norm="layer"``, the
        large models).  Not where the first convolution is group-normed over time
        (the base models: the padding enters its statistics, mask or not), nor
        for data2vec-audio (its stacked positional convolutions see the padding):
        there only inputs of the same length share a batch (the full windows of
        long recordings, utterances of equal length).
    """

    def __init__(self, spec, model, extractor, device):
        self.spec = spec
        self.model = model
        self.extractor = extractor
        self.device = device
        self.family = spec.family
        self.sampling_rate = int(extractor.sampling_rate)
        config = model.config
        if self.family == "whisper":
            self._convs = [(c.kernel_size[0], c.stride[0], c.padding[0])
                           for c in (model.conv1, model.conv2)]
            self._hop = int(extractor.hop_length)
            self.frame_samples = self._hop * math.prod(s for _, s, _ in self._convs)
            self.max_frames = int(config.max_source_positions)
            window_samples = int(getattr(extractor, "n_samples", 0))
            if window_samples and window_samples != self.max_frames * self.frame_samples:
                raise ValueError(
                    f"encoder checkpoint {spec.path!r}: its feature extractor pads to "
                    f"{window_samples} samples but the encoder takes {self.max_frames} frames of "
                    f"{self.frame_samples} samples"
                )
            self.uses_attention_mask = True
        else:
            self._convs = [(int(k), int(s), 0) for k, s in
                           zip(config.conv_kernel, config.conv_stride, strict=True)]
            self._hop = 1
            self.frame_samples = math.prod(s for _, s, _ in self._convs)
            self.max_frames = None
            self.uses_attention_mask = bool(getattr(extractor, "return_attention_mask", False))
        self.ragged_batches = self.family == "whisper" or (
            self.uses_attention_mask and self.family != "data2vec-audio"
            and getattr(config, "feat_extract_norm", "layer") == "layer")
        self.frame_step = self.frame_samples / self.sampling_rate
        # the fewest samples giving one frame: the model's receptive field
        self.min_samples = next(n for n in range(1, 1 << 16) if self.frame_count(n) >= 1)

    def __repr__(self):
        return (f"Encoder({self.spec.path!r}, family={self.family!r}, "
                f"n_hidden_states={self.spec.n_hidden_states}, device={str(self.device)!r})")

    def frame_count(self, n_samples):
        """Frames the model gives for ``n_samples`` samples at :attr:`sampling_rate`.

        Parameters
        ----------
        n_samples : int

        Returns
        -------
        n_frames : int
        """
        length = int(n_samples) // self._hop  # Whisper's log-mel frames (its extractor drops
        for kernel, stride, padding in self._convs:  # the STFT's last one)
            if length <= 0:
                return 0
            length = _conv_length(length, kernel, stride, padding)
        return max(int(length), 0)

    def _span(self, n_frames):
        """Samples of a window that gives exactly ``n_frames`` frames from its start."""
        return n_frames * self.frame_samples + max(self.min_samples - self.frame_samples, 0)

    # ------------------------------------------------------------------ inputs
    def _prepare(self, signal, pad_to_window):
        """The model's input for a whole recording (wav2vec2 family: normalised samples)."""
        if self.family == "whisper":
            return signal  # log-mel per window (Whisper normalises each 30 s window)
        out = self.extractor(signal, sampling_rate=self.sampling_rate, return_tensors="np")
        return np.asarray(out["input_values"][0], dtype=np.float32)

    def _piece_input(self, piece, pad_to_window):
        """One window's model input: Whisper's log-mel (80 x frames), else the samples."""
        if self.family != "whisper":
            return piece
        out = self.extractor(piece, sampling_rate=self.sampling_rate, return_tensors="np",
                             padding="max_length" if pad_to_window else "longest")
        return np.asarray(out["input_features"][0], dtype=np.float32)

    # ------------------------------------------------------------------ forward
    def _forward(self, inputs, n_frames, layers, average=False):
        """Hidden states ``layers`` of a batch: a list of (len(layers), n_frames[b], width)
        (with ``average``, their mean: (1, n_frames[b], width))."""
        import torch

        top = max(layers)
        lengths = [x.shape[-1] for x in inputs]
        longest = max(lengths)
        if self.family == "whisper":
            batch = np.zeros((len(inputs), inputs[0].shape[0], longest), dtype=np.float32)
            for b, x in enumerate(inputs):
                batch[b, :, : x.shape[-1]] = x
            states = _whisper_hidden_states(self.model, torch.from_numpy(batch).to(self.device),
                                            lengths, top)
        else:
            batch = np.zeros((len(inputs), longest), dtype=np.float32)
            mask = np.zeros((len(inputs), longest), dtype=np.int64)
            for b, x in enumerate(inputs):
                batch[b, : x.size] = x
                mask[b, : x.size] = 1
            kwargs = {}
            if self.uses_attention_mask:
                kwargs["attention_mask"] = torch.from_numpy(mask).to(self.device)
            with warnings.catch_warnings():  # WavLM's call into torch's attention, not ours
                warnings.filterwarnings("ignore", "Support for mismatched key_padding_mask",
                                        UserWarning)
                out = self.model(torch.from_numpy(batch).to(self.device),
                                 output_hidden_states=True, **kwargs)
            states = out.hidden_states
        picked = torch.stack([states[i] for i in layers], dim=1)  # (B, n_layers, T, width)
        if average:
            picked = picked.float().mean(dim=1, keepdim=True)
        picked = picked.float().cpu().numpy()
        return [picked[b, :, : n_frames[b]] for b in range(len(inputs))]

    def _batches(self, pieces, batch_size):
        """Pieces grouped into batches, longest first (one length a batch unless ragged)."""
        order = sorted(range(len(pieces)), key=lambda p: -pieces[p][0].shape[-1])
        batch = []
        for p in order:
            if batch and (len(batch) == batch_size or (
                    not self.ragged_batches
                    and pieces[p][0].shape[-1] != pieces[batch[0]][0].shape[-1])):
                yield batch
                batch = []
            batch.append(p)
        if batch:
            yield batch

    def _windows(self, n_samples, chunk_frames, overlap_frames):
        n_frames = self.frame_count(n_samples)
        plan = plan_windows(n_frames, chunk_frames, overlap_frames)
        span = self._span(chunk_frames)
        return n_frames, [(s * self.frame_samples, min(n_samples, s * self.frame_samples + span),
                           lo - s, hi - s, lo, hi) for s, lo, hi in plan]

    def _chunking(self, chunk_length, chunk_overlap):
        if chunk_length is None:
            chunk_frames = self.max_frames or int(round(30.0 / self.frame_step))
        else:
            chunk_frames = int(round(float(chunk_length) / self.frame_step))
            if chunk_frames < 1:
                raise ValueError(f"chunk_length={chunk_length} s is shorter than one frame "
                                 f"({self.frame_step} s)")
            if self.max_frames is not None and chunk_frames > self.max_frames:
                raise ValueError(
                    f"chunk_length={chunk_length} s exceeds what the model takes at once "
                    f"({self.max_frames * self.frame_step:g} s)")
        if chunk_overlap is None:
            overlap_frames = chunk_frames // 6  # 5 s of Whisper's 30 s
        else:
            overlap_frames = int(round(float(chunk_overlap) / self.frame_step))
        if not 0 <= overlap_frames < chunk_frames:
            raise ValueError(f"chunk_overlap={chunk_overlap} s must be at least 0 and shorter "
                             f"than a window ({chunk_frames * self.frame_step:g} s)")
        return chunk_frames, overlap_frames

    def hidden_states(self, signals, layers, *, batch_size=8, pad_to_window=False,
                      chunk_length=None, chunk_overlap=None, n_threads=None, average=False,
                      errors="raise"):
        """The hidden states ``layers`` of each signal.

        Parameters
        ----------
        signals : list of ndarray of shape (n_samples,)
            Mono float signals at :attr:`sampling_rate`.
        layers : sequence of int
            Non-negative indices into ``hidden_states`` (:func:`resolve_layers`).
        batch_size : int, default=8
            Windows per forward pass.
        pad_to_window : bool, default=False
            Whisper only: pad every window to the model's 30 s, as Whisper was
            trained, instead of running it on the audio's own length (which costs
            30 s of computation for a 2 s utterance).  The frames kept are those of
            the audio either way.
        chunk_length : float or None, default=None
            Longest window in seconds (None: the model's own limit, 30 s for
            Whisper; 30 s for the others, which bounds their memory).
        chunk_overlap : float or None, default=None
            Seconds two consecutive windows of a long recording share (None: a
            sixth of a window, 5 s of 30 s); each frame comes from the window
            where it sits furthest from an edge (:func:`plan_windows`).
        n_threads : int or None, default=None
            torch threads for the duration of the call (None: as they are).
        average : bool, default=False
            Return the mean of the ``layers`` (one array of depth 1 per signal),
            averaged batch by batch: a long recording never holds all its layers.
        errors : {"raise", "return"}, default="raise"
            What a signal whose forward pass fails gives: the exception raised, or
            returned in its place in the list.

        Returns
        -------
        states : list of ndarray of shape (len(layers), n_frames, hidden_size)
            float32, ``n_frames = frame_count(len(signal))`` (depth 1 with ``average``).
        """
        import torch

        layers = tuple(int(i) for i in layers)
        chunk_frames, overlap_frames = self._chunking(chunk_length, chunk_overlap)
        pad = bool(pad_to_window) and self.family == "whisper"
        out, pieces = [], []
        with torch_threads(n_threads), torch.inference_mode():
            for k, signal in enumerate(signals):
                signal = np.asarray(signal, dtype=np.float32)
                n_frames, windows = self._windows(signal.size, chunk_frames, overlap_frames)
                if n_frames < 1:
                    out.append(AudioError(
                        f"audio too short for the encoder: {signal.size} samples; at least "
                        f"{self.min_samples} ({1000 * self.min_samples / self.sampling_rate:g} "
                        f"ms at {self.sampling_rate} Hz) are needed"))
                    continue
                depth = 1 if average else len(layers)
                out.append(np.empty((depth, n_frames, self.spec.hidden_size), np.float32))
                prepared = self._prepare(signal, pad)
                for start, end, lo, hi, at, to in windows:
                    pieces.append((self._piece_input(prepared[start:end], pad),
                                   self.frame_count(end - start), k, lo, hi, at, to))
            for batch in self._batches(pieces, max(int(batch_size), 1)):
                self._run(batch, pieces, layers, out, average)
        if errors == "raise":
            for item in out:
                if isinstance(item, BaseException):
                    raise item
        return out

    def _run(self, batch, pieces, layers, out, average):
        """Forward one batch into ``out``; a failing batch is retried one piece at a time."""
        todo = [p for p in batch if not isinstance(out[pieces[p][2]], BaseException)]
        if not todo:
            return
        try:
            states = self._forward([pieces[p][0] for p in todo], [pieces[p][1] for p in todo],
                                   layers, average)
        except Exception as exc:  # e.g. out of memory: alone, each piece may pass
            if len(todo) > 1:
                for p in todo:
                    self._run([p], pieces, layers, out, average)
                return
            out[pieces[todo[0]][2]] = exc
            return
        for p, state in zip(todo, states, strict=True):
            _, _, k, lo, hi, at, to = pieces[p]
            out[k][:, at:to] = state[:, lo:hi]

    def encode(self, signals, layer, **kwargs):
        """Each signal's frames: the hidden states ``layer`` selects, averaged over layers.

        Parameters
        ----------
        signals : list of ndarray of shape (n_samples,)
            Mono float signals at :attr:`sampling_rate`.
        layer : int, list of int or None
            As :func:`resolve_layers` reads it (None: the default depth).
        **kwargs
            Passed to :meth:`hidden_states`.

        Returns
        -------
        frames : list of ndarray of shape (n_frames, hidden_size), float32
        """
        layers = resolve_layers(layer, self.spec.n_hidden_states)
        states = self.hidden_states(signals, layers, average=True, **kwargs)
        return [s if isinstance(s, BaseException) else s[0] for s in states]


_TAKES_HEAD_MASK = {}


def _call_layer(layer, hidden, mask):
    """One Whisper encoder block, across transformers versions.

    In transformers 4.x a block takes a head mask and returns a tuple; in 5.x neither.
    """
    cls = type(layer)
    takes_head_mask = _TAKES_HEAD_MASK.get(cls)
    if takes_head_mask is None:
        takes_head_mask = "layer_head_mask" in inspect.signature(cls.forward).parameters
        _TAKES_HEAD_MASK[cls] = takes_head_mask
    out = layer(hidden, mask, layer_head_mask=None) if takes_head_mask else layer(hidden, mask)
    return out[0] if isinstance(out, tuple) else out


def _whisper_hidden_states(encoder, mel, lengths, top):
    """Whisper's encoder on log-mel inputs of their own lengths: ``hidden_states[: top + 1]``.

    transformers' ``WhisperEncoder.forward`` insists on 30 s of input (3000 mel
    frames) and adds all 1500 positional embeddings.  The same blocks run here on
    the frames there are, with the first ``T`` positional embeddings; in a batch
    of several lengths, each input's padding is zeroed after the first convolution
    (where its own zero padding would be) and masked out of the attention, so an
    input gives the same frames alone and in a batch.  Equal to transformers'
    output on 30 s inputs (``hidden_states[i]`` is the input of block ``i + 1``;
    the last one is after the final layer norm), and stops after block ``top``.
    """
    import torch
    from torch.nn import functional as F

    ragged = len(set(lengths)) > 1
    x = F.gelu(encoder.conv1(mel))
    if ragged:
        steps = torch.arange(x.shape[-1], device=x.device)
        keep = steps[None, :] < torch.tensor(lengths, device=x.device)[:, None]
        x = x * keep[:, None, :].to(x.dtype)
    x = F.gelu(encoder.conv2(x)).permute(0, 2, 1)
    n = x.shape[1]
    if n > encoder.embed_positions.weight.shape[0]:
        raise ValueError(f"{n} frames exceed Whisper's {encoder.embed_positions.weight.shape[0]} "
                         "positions")
    hidden = x + encoder.embed_positions.weight[:n]
    mask = None
    if ragged:
        frames = torch.tensor([_conv_length(length, encoder.conv2.kernel_size[0],
                                            encoder.conv2.stride[0], encoder.conv2.padding[0])
                               for length in lengths], device=x.device)
        valid = torch.arange(n, device=x.device)[None, :] < frames[:, None]  # (B, n) keys
        mask = torch.zeros(valid.shape, dtype=hidden.dtype, device=x.device)
        mask = mask.masked_fill(~valid, torch.finfo(hidden.dtype).min)
        mask = mask[:, None, None, :].expand(-1, 1, n, n)
    states = [hidden]
    n_blocks = len(encoder.layers)
    for block in encoder.layers[: min(top, n_blocks)]:
        hidden = _call_layer(block, hidden, mask)
        states.append(hidden)
    if top >= n_blocks:
        states[-1] = encoder.layer_norm(states[-1])
    return states


# --------------------------------------------------------------------------- sources
def frames_key(spec, layers, *, sampling_rate=16000, pad_to_window=False, chunk_length=None,
               chunk_overlap=None, dtype="float16"):
    """The part of a cache key that says which frames (checkpoint content, not its path).

    Parameters
    ----------
    spec : EncoderSpec
    layers : tuple of int
        Resolved indices (:func:`resolve_layers`), so ``-1`` and the last index
        share entries.
    sampling_rate : int, default=16000
    pad_to_window, chunk_length, chunk_overlap
        As :meth:`Encoder.hidden_states` (padding counts for Whisper only).
    dtype : {"float16", "float32"}, default="float16"
        How the frames are stored.

    Returns
    -------
    parts : tuple
        To append to a source's key parts (``FrameCache.key``).
    """
    return ("pretrained", FRAMES_VERSION, spec.family, spec.digest, tuple(layers),
            int(sampling_rate), bool(pad_to_window) and spec.family == "whisper",
            None if chunk_length is None else float(chunk_length),
            None if chunk_overlap is None else float(chunk_overlap),
            str(np.dtype(dtype)), _transformers_version())


def _read(read, sampling_rate, min_samples):
    """A source's 16 kHz signal, checked."""
    signal, rate, notes = read(sampling_rate)
    check_rate(rate)
    signal = resample(np.asarray(signal, dtype=np.float32), rate, sampling_rate)
    if signal.size < min_samples:
        raise AudioError(
            f"audio too short for the encoder: {signal.size} samples at {sampling_rate} Hz "
            f"({1000 * signal.size / sampling_rate:.1f} ms); at least {min_samples} "
            f"({1000 * min_samples / sampling_rate:g} ms) are needed"
        )
    if float(np.max(np.abs(signal))) < SILENCE_PEAK:
        raise AudioError(f"audio is silent (peak below {SILENCE_PEAK:g}, about -100 dBFS)")
    return signal, notes


#: A recording's frames are kept as float16 only where rounding to float16 moves no value by
#: more than this fraction of the standard deviation of its dimension over the recording
#: (float16 rounds to 2**-11 of a value): as standardisation later divides by the corpus's
#: standard deviation, which is at least about as large, float16 then costs at most a few
#: thousandths of a standard deviation.  Whisper tiny.en's frames of blocks 1-4 pass (the
#: ratio this checks stays below 0.016 on EmoDB and EMOVO; after standardisation float16 is
#: within 0.007 standard deviations of float32); those of layer 0, the convolutional front's
#: output (ratios 0.026-0.068; 0.02 standard deviations), stay float32, as does a recording
#: with a dimension far from zero that hardly varies (as in randomly initialised models).
FLOAT16_TOLERANCE = 0.02


def _as_stored(frames, dtype):
    """Frames in the storage dtype: float16 only where it keeps them (:data:`FLOAT16_TOLERANCE`)."""
    if dtype == np.float16 and _keeps_in_float16(frames):
        return frames.astype(np.float16)
    return frames.astype(np.float32, copy=False)


def _keeps_in_float16(frames):
    """Whether float16 holds ``frames`` within FLOAT16_TOLERANCE of each dimension's spread."""
    if not frames.size:
        return True
    peak = np.abs(frames).max(axis=0).astype(np.float64)
    if peak.max() >= np.finfo(np.float16).max:
        return False
    rounding = peak * 2.0 ** -11
    spread = frames.std(axis=0, dtype=np.float64)
    return bool(np.all((rounding == 0) | (rounding <= FLOAT16_TOLERANCE * spread)))


def extract_sources(sources, spec, layer=None, *, cache=None, device="cpu",
                    batch_size=8, pad_to_window=False, chunk_length=None, chunk_overlap=None,
                    dtype="float16", n_threads=None, log_path=None, verbose=0):
    """Frames of each audio source from a pretrained encoder; never raises for bad input.

    The pretrained counterpart of :func:`~sklearn_maec.features._extraction.extract_row`,
    over all sources at once (batched inference): cache hits are read first, the
    model is loaded only when something is left to compute, and the rest goes
    through it in groups of sources (so memory holds a group's audio, not the
    corpus's), each group's frames stored as soon as they are computed (an
    interrupted run resumes where it stopped).

    Parameters
    ----------
    sources : sequence of (audio, sampling_rate)
        ``audio`` a file path (any file ``features/_audio.py`` reads) or an array
        of samples (any rate, mono or multi-channel, ints or floats);
        ``sampling_rate`` needed for arrays.
    spec : EncoderSpec, str or os.PathLike
        The checkpoint (a directory is resolved with :func:`resolve_encoder`).
    layer : int, list of int or None, default=None
        Hidden state(s), as :func:`resolve_layers` reads it; a list is averaged;
        None the default depth (block 3 of Whisper tiny.en's 4).
    cache : FrameCache or None
        Where frames are kept, keyed by the source (path, size and modification
        time, or an array's content) and :func:`frames_key`.
    device : str, default="cpu"
        Where the model runs.
    batch_size : int, default=8
        Windows per forward pass.
    pad_to_window, chunk_length, chunk_overlap, n_threads
        As :meth:`Encoder.hidden_states`.
    dtype : {"float16", "float32"}, default="float16"
        Storage of the frames returned and cached: float16 halves the memory
        (a recording whose frames float16 would not keep within
        :data:`FLOAT16_TOLERANCE` of their spread stays float32).
    log_path : str or None
        File to which each source really encoded (not a cache hit) appends a line
        (as :data:`~sklearn_maec.features._extraction.EXTRACTION_LOG_ENV`).
    verbose : int, default=0
        Show a progress bar when greater than 0.

    Returns
    -------
    results : list of RowResult
        One per source, in order: frames ``(n_frames, hidden_size)``, the frame step
        in seconds, notes (channels mixed down, a cache that could not be
        written...), or the error.

    Raises
    ------
    ImportError, FileNotFoundError, ValueError
        For the checkpoint (missing transformers, files, unsupported family) or
        the parameters, before any source is read: those are no row's fault.
    ExtractionInterrupted
        On a Ctrl-C (a ``KeyboardInterrupt``), saying how many sources were
        done; the groups finished before it are in the cache.
    """
    _import_transformers()
    if not isinstance(spec, EncoderSpec):
        spec = resolve_encoder(spec)
    layers = resolve_layers(layer, spec.n_hidden_states)
    dtype = np.dtype(dtype)
    if dtype not in (np.float16, np.float32):
        raise ValueError(f"dtype must be 'float16' or 'float32', got {dtype}")
    options = {"pad_to_window": pad_to_window, "chunk_length": chunk_length,
               "chunk_overlap": chunk_overlap}
    results = [None] * len(sources)
    pending = []
    sampling_rate = None
    key_tail = None
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(sources), desc="encoder", unit="file")
    try:
        for k, (audio, rate) in enumerate(sources):
            try:
                key_parts, read = audio_source(audio, rate)
                key = None
                if cache is not None:
                    if key_tail is None:
                        sampling_rate = _sampling_rate(spec)
                        key_tail = frames_key(spec, layers, sampling_rate=sampling_rate,
                                              dtype=dtype, **options)
                    key = cache.key(*key_parts, *key_tail)
                    hit = cache.load(key)
                    if hit is not None:
                        frames, step, notes = hit
                        results[k] = RowResult(frames=frames, frame_step=step, notes=notes)
                        if bar is not None:
                            bar.update()
                        continue
                pending.append((k, key, key_parts, read))
            except Exception as exc:  # one bad row must not cost the others
                results[k] = RowResult(error=error_message(exc))
                if bar is not None:
                    bar.update()
        if pending:
            encoder = load_encoder(spec, device)
            group = max(4 * int(batch_size), 32)
            for g in range(0, len(pending), group):
                _encode_group(encoder, pending[g: g + group], results, layers, dtype, cache,
                              log_path, batch_size=batch_size, n_threads=n_threads, **options)
                if bar is not None:
                    bar.update(len(pending[g: g + group]))
    except KeyboardInterrupt as exc:  # Ctrl-C: say how far it got (finished groups are cached)
        if isinstance(exc, ExtractionInterrupted):
            raise
        raise ExtractionInterrupted(sum(r is not None for r in results), len(sources)) from None
    finally:
        if bar is not None:
            bar.close()
    return results


def _sampling_rate(spec):
    """The rate of the checkpoint's feature extractor, from its file (no model loaded)."""
    try:
        with open(os.path.join(spec.path, _PREPROCESSOR)) as fh:
            return int(json.load(fh).get("sampling_rate", 16000))
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"encoder checkpoint {spec.path!r}: cannot read {_PREPROCESSOR}: "
                         f"{exc}") from None


def _encode_group(encoder, group, results, layers, dtype, cache, log_path, **kwargs):
    """Read, encode and store one group of pending sources into ``results``."""
    signals, ready = [], []
    for k, key, key_parts, read in group:
        try:
            signal, notes = _read(read, encoder.sampling_rate, encoder.min_samples)
        except Exception as exc:
            results[k] = RowResult(error=error_message(exc))
            continue
        signals.append(signal)
        ready.append((k, key, key_parts, notes, signal.size))
    states = encoder.hidden_states(signals, layers, average=True, errors="return", **kwargs)
    for (k, key, key_parts, notes, size), state in zip(ready, states, strict=True):
        if isinstance(state, BaseException):
            results[k] = RowResult(error=error_message(state))
            continue
        frames = state[0]
        if not np.all(np.isfinite(frames)):
            bad = int(np.count_nonzero(~np.isfinite(frames).all(axis=1)))
            results[k] = RowResult(error=f"the encoder returned NaN/inf in {bad} of "
                                         f"{frames.shape[0]} frame(s)")
            continue
        frames = _as_stored(frames, dtype)
        notes = store(cache, key, frames, encoder.frame_step, notes)
        if log_path:
            _log_extraction(key_parts[1] if key_parts[0] == "file"
                            else f"array of {size} samples at {encoder.sampling_rate} Hz",
                            log_path)
        results[k] = RowResult(frames=frames, frame_step=encoder.frame_step, notes=list(notes))
