"""OpenSmileSegmenter: openSMILE low-level descriptors and the multi-instance bags."""

import numbers

import numpy as np
from joblib import Parallel, delayed

from ..exceptions import ExtractionInterrupted
from ._base import BaseSegmenter
from ._extraction import extract_row
from ._opensmile import feature_names, resolve_feature_set

__all__ = ["OpenSmileSegmenter"]


class OpenSmileSegmenter(BaseSegmenter):
    """Extract openSMILE low-level descriptors and cut each utterance into a bag of segments.

    The first step of the MAEC pipeline.  Every row of ``X`` is an utterance;
    its audio is run through openSMILE, giving one vector of low-level
    descriptors (LLDs) per 10 ms frame.  The frames are standardised with the
    per-LLD mean and standard deviation learned in :meth:`fit`, then cut into
    overlapping segments of ``window`` seconds every ``stride`` seconds: the
    bag of instances that MAEC's multi-instance encoder reads.

    Parameters
    ----------
    feature_set : str, os.PathLike or opensmile.FeatureSet, default="maec45"
        Which LLDs to extract.  ``"maec45"`` is the paper's 45 descriptors
        (F0 and delta; loudness with delta and delta-delta; voicing probability
        and delta; zero-crossing rate and delta; MFCC 1-12 with deltas and
        delta-deltas), computed in one pass by a configuration shipped with the
        package from the components of openSMILE's emobase set.  Any of
        openSMILE's own sets (``"IS10"``, ``"emobase"``, ``"eGeMAPSv02"``,
        ``"ComParE_2016"``, ...) or the path of an openSMILE ``.conf`` file is
        accepted too.
    feature_level : str or None, default=None
        For a built-in set: ``"LowLevelDescriptors"`` (alias ``"lld"``, the
        default) or ``"LowLevelDescriptors_Deltas"`` (``"lld_de"``).  For a
        ``.conf`` file: the name of its sink level (default ``"lld"``).
        Must be None for ``"maec45"``.
    window : float, default=0.5
        Segment length in seconds (50 frames at openSMILE's 10 ms step, as in
        the authors' released code; the paper's text reads "50 ms").
    stride : float, default=0.1
        Seconds between the starts of consecutive segments.
    max_segments : int or None, default=None
        Keep at most this many segments per utterance (the first ones).  The
        released code truncated every utterance to 70; None keeps them all.
    sampling_rate : int or None, default=16000
        Audio is resampled to this rate before extraction, so corpora recorded
        at different rates (8 kHz telephone, 48 kHz film) give comparable
        features.  None extracts at each input's own rate.
    standardize : bool or str, default=True
        True: subtract the per-LLD mean and divide by the standard deviation
        learned on the frames of the rows given to :meth:`fit`.  False: keep
        openSMILE's values.  A column name of ``X`` (``"corpus"``,
        ``"speaker"``, ``"session"``, ...): standardise each group of rows
        sharing that column's value with the group's own statistics, the
        usual normalisation for cross-corpus and speaker-independent
        evaluation (a corpus recorded through another channel, or an unseen
        speaker, no longer looks like one loud or one dark class).  A group
        seen in :meth:`fit` keeps the statistics learned there; a group new in
        :meth:`transform` is standardised with the statistics of its rows in
        that call, so pass a group's utterances together (an
        :class:`~sklearn_maec.AudioWarning` names a new group of a single
        utterance, whose own level and pitch are then removed).  The audio of
        the other ``*_audio`` columns (e.g. ``previous_audio``) takes the group
        of the row it is on.
    n_jobs : int or None, default=None
        Parallel extraction jobs (joblib; -1 uses every core).  Under
        ``joblib.parallel_config(backend="dask")`` the jobs run on a Dask
        cluster.
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Directory caching the extracted frames (a ``joblib.Memory`` gives its
        ``location``).  A file is keyed by its path, size and modification
        time, an array by its content, together with the feature set, level and
        sampling rate, so re-fitting, re-cutting with another ``window`` or a
        grid search over the classifier never extracts a file twice.  Each
        entry is one ``.npz`` file written atomically (safe for concurrent
        processes; an interrupted run resumes where it stopped) and read
        without unpickling.
    on_error : {"raise", "warn"}, default="raise"
        What to do with a row whose audio cannot be used (missing file,
        unreadable or corrupt audio, empty or silent signal, NaN samples or
        frames, missing sampling rate or one below 1000 Hz, as a corrupt header
        may claim).  ``"raise"`` processes every row, then
        raises :class:`~sklearn_maec.ExtractionError` naming each failed row
        (its position, id and audio source).  ``"warn"`` issues one
        :class:`~sklearn_maec.AudioWarning` listing them and gives each failed
        row an empty bag, which the classifier masks.
    verbose : int, default=0
        Show a progress bar during extraction when greater than 0.

    Attributes
    ----------
    n_lld_ : int
        Number of low-level descriptors per frame.
    lld_names_ : ndarray of str
        Their names, as openSMILE gives them.
    segmentation_ : Segmentation
        How the frames are cut: ``frame_step`` (seconds between frames, 0.01
        for openSMILE's sets), ``window_frames`` (``round(window /
        frame_step)``), ``stride_frames`` and ``max_segments``.  It is
        declared on every output (``Xt.attrs["segmentation"]``), where every
        reader of the bags takes it from.
    frame_step_, window_frames_, stride_frames_ : float, int, int
        The same numbers as ``segmentation_``'s fields (read-only).
    feature_spec_ : dict
        What the features are, by content: the kind of feature set, its level,
        the digest of its configuration file and a built-in set's name (no
        file path, so a fitted segmenter moves to another machine or install).
    mean_ : ndarray of shape (`n_lld_`,)
        Per-LLD mean of the training frames (zeros when ``standardize=False``;
        pooled over the groups when it names a column).
    scale_ : ndarray of shape (`n_lld_`,)
        Per-LLD standard deviation of the training frames (ones when
        ``standardize=False``; 1 where a descriptor is constant).
    groups_ : ndarray of object, shape (n_groups,)
        When ``standardize`` names a column: its values seen in :meth:`fit`,
        sorted (an empty array otherwise).
    group_mean_ : ndarray of shape (n_groups, `n_lld_`)
        Per group, the per-LLD mean of its training frames.
    group_scale_ : ndarray of shape (n_groups, `n_lld_`)
        Per group, the per-LLD standard deviation of its training frames.
    n_frames_seen_ : int
        Number of frames the statistics were computed on.
    feature_names_in_ : ndarray of str
        Columns of the ``X`` given to :meth:`fit`.

    See Also
    --------
    ContextTripleBuilder : Adds the dialogue-context columns the classifier reads.
    MAECClassifier : The model that consumes the bags.

    Notes
    -----
    :meth:`transform` returns ``X`` (a shallow copy: existing columns are
    shared, not copied) with two new object columns and a declaration, the
    segmenter's side of the frame-to-bag contract (the user guide's "Bags and
    segments" page gives it whole):

    ``frames``
        Per row the standardised LLD matrix, float32, ``(n_frames, n_lld_)``.
    ``segments``
        Per row the bag, ``(n_segments, window_frames_, n_lld_)``: a read-only
        strided view of ``frames`` (no copy; the default window and stride cover
        every frame five times).  Trailing frames that do not fill a whole window
        are not part of any segment.  An utterance shorter than one window gives
        one segment zero-padded after its ``len(frames)`` true frames (with an
        :class:`~sklearn_maec.AudioWarning`); a failed row an empty bag.
    ``Xt.attrs["segmentation"]``
        ``segmentation_``: how ``segments`` were cut from ``frames``.  The
        classifier, the displays, the metrics and an exported model read the
        frame step, window and stride from here.

    The segmenter extracts audio and nothing else.  Besides ``audio``, every
    column whose name ends in ``_audio`` is extracted the same way:
    ``<prefix>audio`` gives ``<prefix>frames`` and ``<prefix>segments`` (an
    empty bag where the value is None), standardised with the row's group.  The
    corpus loaders fill ``previous_audio`` / ``interlocutor_audio`` with the
    audio of each row's context turns (including turns whose label was
    dropped); which bag is a row's context is decided afterwards, once, by
    :class:`ContextTripleBuilder`.  Every distinct source (path, or array
    object) is extracted once per call and shares one frames array and one
    bag, whichever columns refer to it.

    Pickling the transformed DataFrame copies every view: cache the frames with
    ``memory`` rather than the transformed data.

    openSMILE wants float samples in [-1, 1]: integer arrays are scaled by their
    type's range (int16 by 32768), stereo is mixed down, floats beyond +-1 are
    rescaled by their peak (each with a warning).  Signals of 400 samples or
    fewer, empty or silent signals are errors (openSMILE returns NaN for them).

    Examples
    --------
    >>> from sklearn_maec import OpenSmileSegmenter
    >>> from sklearn_maec.datasets import make_dialogue_corpus
    >>> X, y = make_dialogue_corpus(n_dialogues=2, n_sessions=1, turns_per_dialogue=3,
    ...                             duration_median=1.0, random_state=0)
    >>> seg = OpenSmileSegmenter().fit(X)
    >>> Xt = seg.transform(X)
    >>> seg.n_lld_, seg.window_frames_, seg.stride_frames_
    (45, 50, 10)
    >>> Xt["segments"].iloc[0].shape[1:]
    (50, 45)
    """

    _width_attribute = "n_lld_"
    _names_attribute = "lld_names_"
    _default_frame_step = 0.01  # openSMILE's LLD step in every shipped config

    def __init__(
        self,
        feature_set="maec45",
        feature_level=None,
        window=0.5,
        stride=0.1,
        max_segments=None,
        sampling_rate=16000,
        standardize=True,
        n_jobs=None,
        memory=None,
        on_error="raise",
        verbose=0,
    ):
        self.feature_set = feature_set
        self.feature_level = feature_level
        self.window = window
        self.stride = stride
        self.max_segments = max_segments
        self.sampling_rate = sampling_rate
        self.standardize = standardize
        self.n_jobs = n_jobs
        self.memory = memory
        self.on_error = on_error
        self.verbose = verbose

    # ------------------------------------------------------------------ front-end
    def _check_params(self, fitted=False):
        self._check_common()
        if self.sampling_rate is not None and not (
            isinstance(self.sampling_rate, numbers.Integral) and self.sampling_rate >= 8000
        ):
            raise ValueError(
                f"sampling_rate must be None or an int >= 8000, got {self.sampling_rate!r}"
            )
        return resolve_feature_set(self.feature_set, self.feature_level)

    def _check_features(self, spec):
        if spec.identity != self.feature_spec_:
            raise ValueError(
                "feature_set/feature_level changed since fit (or the content of its openSMILE "
                f"configuration did): {spec.identity} here, {self.feature_spec_} in fit; fit "
                "the segmenter again"
            )

    def _extract_sources(self, sources, spec, cache, log_path):
        """openSMILE on every source, in ``n_jobs`` joblib jobs; Ctrl-C is named."""
        jobs = (
            delayed(extract_row)(audio, rate, spec, self.sampling_rate, cache, log_path)
            for audio, rate, _, _ in sources
        )
        parallel = Parallel(n_jobs=self.n_jobs, return_as="generator")
        results = parallel(jobs)
        if self.verbose:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(sources), desc="openSMILE", unit="file")
        done = []
        try:
            for result in results:
                done.append(result)
        except KeyboardInterrupt as exc:
            if isinstance(exc, ExtractionInterrupted):
                raise
            raise ExtractionInterrupted(len(done), len(sources)) from None
        return done

    def _feature_names(self, spec, width):
        names = feature_names(spec)
        if len(names) != width:  # a .conf whose sink names do not match its width
            names = [f"lld_{j}" for j in range(width)]
        return names

    @staticmethod
    def _stored(frames):
        return frames.astype(np.float32, copy=False)



