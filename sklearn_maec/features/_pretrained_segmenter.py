"""PretrainedSegmenter: a pretrained speech encoder's hidden states and the multi-instance bags."""

import numbers
import os
from dataclasses import dataclass

import numpy as np

from ._base import BaseSegmenter
from ._pretrained import EncoderSpec, extract_sources, resolve_encoder, resolve_layers

__all__ = ["PretrainedSegmenter"]

_DTYPES = ("float16", "float32")


@dataclass(frozen=True)
class _EncoderFeatures:
    """What a :class:`PretrainedSegmenter`'s frames are: the checkpoint, its layers, padding."""

    encoder: EncoderSpec
    layers: tuple
    pad_to_window: bool

    @property
    def identity(self):
        """By content, JSON-safe (no path: the same checkpoint elsewhere is the same)."""
        return {"kind": "pretrained", **self.encoder.identity, "layers": list(self.layers),
                "pad_to_window": self.pad_to_window}


class PretrainedSegmenter(BaseSegmenter):
    """Frames from a pretrained speech encoder, cut into each utterance's bag of segments.

    The first step of the MAEC pipeline over learned features: every row of
    ``X`` is an utterance, run through a pretrained speech encoder (Whisper,
    WavLM, HuBERT, wav2vec2 or data2vec-audio) loaded from a local checkpoint
    directory; the hidden states of one of its layers (one vector per 20 ms)
    are the frames, standardised with the statistics learned in :meth:`fit`
    and cut into overlapping segments of ``window`` seconds every ``stride``
    seconds, exactly as :class:`~sklearn_maec.OpenSmileSegmenter` cuts
    openSMILE's descriptors: the same output columns, the same declared
    segmentation, the same cache, standardisation and error handling.  Needs
    the ``pretrained`` extra (``pip install "sklearn-maec[pretrained]"``,
    transformers); nothing is ever downloaded.

    Parameters
    ----------
    encoder : str or os.PathLike
        The checkpoint: a directory in the Hugging Face layout (``config.json``,
        the weights as ``model.safetensors`` or ``pytorch_model.bin``, sharded
        or not, and ``preprocessor_config.json``), as ``save_pretrained``
        writes it or as a model is downloaded from the hub.  Required.  The
        path is kept as given (a model file stores it); what the frames are is
        the checkpoint's content (its digest, recorded in :meth:`fit`), so a
        fitted segmenter moved to another machine is pointed at its copy of
        the checkpoint with ``set_params(encoder=...)``.
    layer : int, list of int or None, default=None
        Which hidden state gives the frames: an index into the model's
        ``hidden_states`` (0 is the input of the first block, ``n_blocks``
        the output of the last), a negative index counted from the end, or a
        list of indices whose frames are averaged.  None: the output of the
        block at three quarters of the depth (``round(0.75 * n_blocks)``:
        block 3 of Whisper tiny.en's 4, whose frames gave the best
        leave-one-speaker-out linear probe on EmoDB and EMOVO; block 9 of a
        12-block model).
    window : float, default=0.5
        Segment length in seconds (25 frames of 20 ms).
    stride : float, default=0.1
        Seconds between the starts of consecutive segments (5 frames).
    max_segments : int or None, default=None
        Keep at most this many segments per utterance (the first ones); None
        keeps them all.
    standardize : bool or str, default=True
        True: subtract each feature's mean and divide by its standard deviation
        over the frames given to :meth:`fit`.  False: the encoder's values.  A
        column name of ``X`` (``"corpus"``, ``"speaker"``...): each group of
        rows sharing its value is standardised with the group's own statistics
        (a group unseen in :meth:`fit` with those of its rows in that
        :meth:`transform` call), exactly as
        :class:`~sklearn_maec.OpenSmileSegmenter` does.
    batch_size : int, default=8
        Audio windows (utterances, or the 30 s windows of longer recordings)
        per forward pass of the encoder.  Larger batches go faster on a GPU and
        take more memory; they never change the frames (inputs of different
        lengths share a batch only where the model masks the padding exactly).
    device : str, default="cpu"
        Where the encoder runs: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    pad_to_window : bool, default=False
        Whisper only: run every utterance padded to Whisper's 30 s window, as
        it was trained, instead of on its own length (which costs 30 s of
        computation for a 2 s utterance).  The frames kept are those of the
        audio either way; the default measured as well (see the user guide's
        "Pretrained encoders" page).
    dtype : {"float16", "float32"}, default="float16"
        How the frames are kept, in the ``frames`` column and in the cache.
        float16 halves the memory and loses nothing measurable: standardised
        frames are in standard deviations, which float16 rounds by at most
        2**-11 of a value; the encoder's raw frames are cached as float16 only
        where rounding moves no value by more than 2% of its dimension's
        spread over the recording (Whisper tiny.en's blocks 1-4 pass: after
        standardisation they differ from float32 by at most 0.007 standard
        deviations, with the same linear-probe accuracy), else as float32.
    n_threads : int or None, default=None
        CPU threads torch uses while the encoder runs (restored afterwards);
        -1: every core (``os.cpu_count()``); None: torch's own setting.  The
        encoder is one batched model in one process, so its parallelism is
        torch's threads (and ``batch_size``), not joblib jobs: there is no
        ``n_jobs``.
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Directory caching the frames, shared with the openSMILE segmenter: a
        file is keyed by its path, size and modification time, an array by its
        content, together with the checkpoint's content (not its path), the
        layers, padding and ``dtype``.  Re-fitting, re-cutting with another
        ``window`` or a grid search over the classifier never runs the encoder
        twice on a file, and the model is not even loaded when every frame is
        cached.
    on_error : {"raise", "warn"}, default="raise"
        What to do with a row whose audio cannot be used (missing, unreadable
        or corrupt file, empty or silent signal, shorter than the encoder's
        receptive field, NaN samples or frames, a forward pass that fails):
        ``"raise"`` processes every row, then raises
        :class:`~sklearn_maec.ExtractionError` naming each failed row;
        ``"warn"`` issues one :class:`~sklearn_maec.AudioWarning` listing them
        and gives each failed row an empty bag.
    verbose : int, default=0
        Show a progress bar during extraction when greater than 0.

    Attributes
    ----------
    n_features_ : int
        Features per frame (the encoder's width: 384 for Whisper tiny, 768 for
        the base models, 1024 for the large ones).
    feature_names_ : ndarray of str
        Their names, ``<family>_l<layer>_<unit>`` (``whisper_l3_0`` ...
        ``whisper_l3_383``; ``l2+3`` for an average of layers 2 and 3).
    layers_ : list of int
        The hidden states averaged into the frames (``layer`` resolved).
    segmentation_ : Segmentation
        How the frames are cut: ``frame_step`` (0.02 s, the encoder's),
        ``window_frames``, ``stride_frames`` and ``max_segments``; declared on
        every output (``Xt.attrs["segmentation"]``).
    frame_step_, window_frames_, stride_frames_ : float, int, int
        The same numbers as ``segmentation_``'s fields (read-only).
    feature_spec_ : dict
        What the frames are, by content: the family, the checkpoint's digest,
        its number of hidden states and width, the layers and the padding (no
        path).  :meth:`transform` refuses a checkpoint whose content differs.
    mean_, scale_ : ndarray of shape (`n_features_`,)
        Per-feature mean and standard deviation of the training frames (zeros
        and ones when ``standardize=False``).
    groups_, group_mean_, group_scale_ : ndarray
        When ``standardize`` names a column: its values seen in :meth:`fit` and
        each group's statistics (as :class:`~sklearn_maec.OpenSmileSegmenter`).
    n_frames_seen_ : int
        Number of frames the statistics were computed on.
    feature_names_in_ : ndarray of str
        Columns of the ``X`` given to :meth:`fit`.

    See Also
    --------
    OpenSmileSegmenter : The same contract over openSMILE's descriptors.
    ContextTripleBuilder : Adds the dialogue-context columns the classifier reads.
    MAECClassifier : The model that consumes the bags.

    Notes
    -----
    :meth:`transform` returns ``X`` (a shallow copy) with the columns and the
    declaration of the frame-to-bag contract (the user guide's "Bags and
    segments" page), as :class:`~sklearn_maec.OpenSmileSegmenter` does:
    ``frames`` (per row ``(n_frames, n_features_)``, in ``dtype``: float16 by
    default, where openSMILE's frames are float32), ``segments`` (the bag, a
    read-only strided view of ``frames``), the same pair for every other
    ``<prefix>audio`` column, and ``Xt.attrs["segmentation"]``.  The
    classifier copies each batch into float32, so float16 frames cost nothing
    in accuracy and half the memory.

    Audio of any rate is resampled to the encoder's (16 kHz), stereo is mixed
    down, integers are scaled; recordings longer than 30 s go through the
    encoder in overlapping 30 s windows joined without a duplicated or a
    missing frame.  An utterance gives the same frames alone and in a batch
    (inputs of different lengths share a batch only where the model masks
    their padding exactly).  The user guide's "Pretrained encoders" page says which
    checkpoints are supported, what the layers mean and what it costs.

    Examples
    --------
    >>> from sklearn_maec import PretrainedSegmenter
    >>> from sklearn_maec.datasets import make_dialogue_corpus
    >>> X, y = make_dialogue_corpus(n_dialogues=2, n_sessions=1, random_state=0)
    >>> seg = PretrainedSegmenter("models/whisper-tiny.en")    # doctest: +SKIP
    >>> Xt = seg.fit_transform(X)                              # doctest: +SKIP
    >>> seg.n_features_, seg.frame_step_, seg.window_frames_   # doctest: +SKIP
    (384, 0.02, 25)
    >>> Xt["frames"].iloc[0].dtype                             # doctest: +SKIP
    dtype('float16')
    """

    def __init__(
        self,
        encoder=None,
        layer=None,
        window=0.5,
        stride=0.1,
        max_segments=None,
        standardize=True,
        batch_size=8,
        device="cpu",
        pad_to_window=False,
        dtype="float16",
        n_threads=None,
        memory=None,
        on_error="raise",
        verbose=0,
    ):
        self.encoder = encoder
        self.layer = layer
        self.window = window
        self.stride = stride
        self.max_segments = max_segments
        self.standardize = standardize
        self.batch_size = batch_size
        self.device = device
        self.pad_to_window = pad_to_window
        self.dtype = dtype
        self.n_threads = n_threads
        self.memory = memory
        self.on_error = on_error
        self.verbose = verbose

    # ------------------------------------------------------------------ front-end
    def _check_params(self, fitted=False):
        self._check_common()
        if not (isinstance(self.batch_size, numbers.Integral) and self.batch_size >= 1) or \
                isinstance(self.batch_size, bool):
            raise ValueError(f"batch_size must be an int >= 1, got {self.batch_size!r}")
        if self.n_threads is not None and not (
                isinstance(self.n_threads, numbers.Integral) and not isinstance(
                    self.n_threads, bool) and (self.n_threads >= 1 or self.n_threads == -1)):
            raise ValueError(f"n_threads must be None, -1 or an int >= 1, got "
                             f"{self.n_threads!r}")
        if not isinstance(self.pad_to_window, (bool, np.bool_)):
            raise ValueError(f"pad_to_window must be True or False, got {self.pad_to_window!r}")
        self._storage_dtype()
        if self.encoder is None:
            raise ValueError(
                "PretrainedSegmenter needs encoder=<the directory of a checkpoint> (Whisper, "
                "WavLM, HuBERT, wav2vec2 or data2vec-audio in the Hugging Face layout: "
                "config.json, the weights, preprocessor_config.json), e.g. "
                "PretrainedSegmenter(encoder='models/whisper-tiny.en')")
        try:
            spec = resolve_encoder(self.encoder)
        except FileNotFoundError as exc:
            if not fitted:
                raise
            raise FileNotFoundError(f"{exc}. {self._fitted_on()}; {_POINT_AT}") from None
        layers = resolve_layers(self.layer, spec.n_hidden_states)
        return _EncoderFeatures(spec, layers, bool(self.pad_to_window) and (
            spec.family == "whisper"))

    def _storage_dtype(self):
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float16, np.float32):
            raise ValueError(f"dtype must be 'float16' or 'float32', got {self.dtype!r}")
        return dtype

    def _fitted_on(self):
        spec = self.feature_spec_
        return (f"This segmenter was fitted on a {spec['family']} checkpoint of "
                f"{spec['n_hidden_states'] - 1} blocks of width {spec['hidden_size']} whose "
                f"content digest is {spec['digest']}")

    def _check_features(self, spec):
        fitted, here = self.feature_spec_, spec.identity
        if fitted == here:
            return
        if any(fitted[k] != here[k] for k in spec.encoder.identity):
            raise ValueError(
                f"the encoder checkpoint {spec.encoder.path!r} is not the one this segmenter "
                f"was fitted on: its content changed (a {here['family']} checkpoint whose "
                f"digest is {here['digest']}). {self._fitted_on()}; {_POINT_AT}")
        raise ValueError(
            f"layer or pad_to_window changed since fit (hidden states {fitted['layers']}, "
            f"pad_to_window={fitted['pad_to_window']} in fit; {here['layers']}, "
            f"{here['pad_to_window']} here); set them back or fit the segmenter again")

    def _checkpoint_problem(self):
        """Why the fitted segmenter cannot run on its checkpoint as it is now (None: it can)."""
        try:
            self._check_features(self._check_params(fitted=True))
        except (OSError, ValueError) as exc:
            return str(exc)
        return None

    def _extract_sources(self, sources, spec, cache, log_path):
        threads = os.cpu_count() if self.n_threads == -1 else self.n_threads
        return extract_sources(
            [(audio, rate) for audio, rate, _, _ in sources], spec.encoder, list(spec.layers),
            cache=cache, device=self.device, batch_size=self.batch_size,
            pad_to_window=spec.pad_to_window, dtype=self._storage_dtype(), n_threads=threads,
            log_path=log_path, verbose=self.verbose)

    def _fit_from_results(self, X, spec, results, groups=None):
        super()._fit_from_results(X, spec, results, groups)
        self.layers_ = list(spec.layers)
        return self

    @staticmethod
    def _feature_names(spec, width):
        layers = "+".join(str(i) for i in spec.layers)
        return [f"{spec.encoder.family}_l{layers}_{j}" for j in range(width)]

    def _stored(self, frames):
        dtype = self._storage_dtype()
        if not frames.size:
            return frames.astype(dtype)
        if not self.standardize:  # the encoder's values, as extracted and cached
            return frames
        # standardised: in standard deviations, where float16 rounds by at most 2**-11 of a value
        if dtype == np.float16 and np.abs(frames).max() < np.finfo(np.float16).max:
            return frames.astype(np.float16)
        return frames.astype(np.float32, copy=False)


_POINT_AT = ("point it at that checkpoint with set_params(encoder=PATH) (on a pipeline: "
             "set_params(segment__encoder=PATH)), or fit it again")
