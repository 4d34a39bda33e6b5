"""OpenSmileSegmenter: openSMILE low-level descriptors and the multi-instance bags."""

import numbers
import os
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_dataframe, check_option, describe_rows, row_label
from ..exceptions import (
    AudioWarning,
    ExtractionError,
    ExtractionInterrupted,
    caller_stacklevel,
)
from ._cache import as_cache
from ._extraction import EXTRACTION_LOG_ENV, extract_row
from ._opensmile import feature_names, resolve_feature_set
from ._segments import (
    AUDIO_COLUMN,
    Segmentation,
    SegmentationMixin,
    audio_columns,
    bag_columns,
)
from ._standardize import fit_statistics, standardizers

__all__ = ["OpenSmileSegmenter"]

_DEFAULT_FRAME_STEP = 0.01  # openSMILE's LLD step in every shipped config
#: The values of ``OpenSmileSegmenter(on_error=...)``.
ON_ERRORS = ("raise", "warn")


class OpenSmileSegmenter(SegmentationMixin, TransformerMixin, BaseEstimator,
                         auto_wrap_output_keys=None):
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

    #: The record types its fitted attributes hold (``segmentation_``), for the codec of
    #: fitted state (``sklearn_maec._state``), which imports nothing of this layer.
    _fitted_records = (Segmentation,)
    #: Parameters naming a place on the machine that fitted it (the feature cache): never
    #: stored with a model; a loaded model caches nothing until given a ``memory`` of its own.
    _machine_local_params = ("memory",)

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

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        for name in ("window", "stride"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if self.max_segments is not None and not (
            isinstance(self.max_segments, numbers.Integral) and self.max_segments >= 1
        ):
            raise ValueError(f"max_segments must be None or an int >= 1, got {self.max_segments!r}")
        if self.sampling_rate is not None and not (
            isinstance(self.sampling_rate, numbers.Integral) and self.sampling_rate >= 8000
        ):
            raise ValueError(
                f"sampling_rate must be None or an int >= 8000, got {self.sampling_rate!r}"
            )
        check_option("on_error", self.on_error, ON_ERRORS)
        if not isinstance(self.standardize, (bool, np.bool_, str)) or self.standardize == "":
            raise ValueError("standardize must be True, False or the name of a column of X "
                             f"(e.g. 'corpus', 'speaker'), got {self.standardize!r}")
        return resolve_feature_set(self.feature_set, self.feature_level)

    @staticmethod
    def _as_frame(X):
        if isinstance(X, pd.Series):
            return X.to_frame(name="audio")
        if isinstance(X, (list, tuple)) and not isinstance(X, pd.DataFrame):
            return pd.DataFrame({"audio": pd.Series(list(X), dtype=object)})
        return check_dataframe(X, ["audio"], "OpenSmileSegmenter")

    # -------------------------------------------------------------- extraction
    def _sources(self, X):
        """Distinct audio sources of X (every audio column, see :func:`audio_columns`), each once.

        Returns the list of ``(audio, sampling_rate, row, column)`` sources and,
        per column, every row's source index (-1: no audio in that column).
        """
        rates = X["sampling_rate"].to_numpy() if "sampling_rate" in X.columns else None
        index, sources, refs = {}, [], {}
        for col in audio_columns(X.columns):
            ref = np.full(len(X), -1, dtype=np.int64)
            for i, audio in enumerate(X[col].to_numpy()):
                if col != AUDIO_COLUMN and _is_missing(audio):
                    continue  # e.g. no previous turn
                if isinstance(audio, (str, os.PathLike)):
                    key = os.path.abspath(os.fspath(audio))
                else:  # the same samples at another rate are another source
                    key = ("array", id(audio), None if rates is None else str(rates[i]))
                k = index.get(key)
                if k is None:
                    k = index[key] = len(sources)
                    sources.append((audio, None if rates is None else rates[i], i, col))
                ref[i] = k
            refs[col] = ref
        return sources, refs

    def _extract(self, X, spec):
        """Extract every distinct source.

        Returns the results per source, each row's references (as
        :meth:`_sources`) and each source's standardisation group (None unless
        ``standardize`` names a column).
        """
        sources, refs = self._sources(X)
        groups = self._source_groups(X, sources)  # a bad column fails before the long part
        cache = as_cache(self.memory)
        if cache is not None:  # once per run, here: the workers get copies of the cache
            cache.remove_stale_temporaries()
        log_path = os.environ.get(EXTRACTION_LOG_ENV)
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
        results = done

        def where(k):
            _, _, row, col = sources[k]
            return describe_row(X, row, col)

        notes = [f"{where(k)}: {note}" for k, r in enumerate(results) for note in r.notes]
        if notes:
            warnings.warn(_summarise(notes, "audio input(s) were adjusted"), AudioWarning,
                          stacklevel=caller_stacklevel())
        errors = {sources[k][2]: f"{where(k)}: {r.error}" for k, r in enumerate(results)
                  if r.error}
        if errors:
            if self.on_error == "raise":
                # every row that needs a failed source is named (a path may recur)
                errors = _row_errors(X, results, refs)
                own = refs["audio"]
                raise ExtractionError(errors, [None if results[k].error else results[k].frames
                                               for k in own])
            warnings.warn(
                _summarise(list(errors.values()), "audio source(s) failed and give an empty bag"),
                AudioWarning, stacklevel=caller_stacklevel(),
            )
        return results, refs, groups

    def _source_groups(self, X, sources):
        """Each source's group (its first row's value of the ``standardize`` column), or None."""
        column = self.standardize
        if not isinstance(column, str):
            return None
        if column not in X.columns:
            raise ValueError(f"standardize={column!r} names a column that X does not have; "
                             f"its columns: {list(X.columns)}")
        values = X[column].to_numpy()
        missing = [i for i, v in enumerate(values) if _is_missing(v) or v is pd.NA]
        if missing:
            raise ValueError(f"standardize={column!r}: {len(missing)} row(s) have no {column}: "
                             f"{describe_rows(X, missing)}")
        return [values[row] for _, _, row, _ in sources]

    def _fit_from_results(self, X, spec, results, groups=None):
        ok = [r for r in results if r.error is None]
        if not ok:
            raise ValueError(
                f"OpenSmileSegmenter: no row of X could be extracted ({len(results)} failed); "
                "see the warnings for the reasons"
            )
        n_lld = ok[0].frames.shape[1]
        names = feature_names(spec)
        if len(names) != n_lld:  # a .conf whose sink names do not match its width
            names = [f"lld_{j}" for j in range(n_lld)]
        steps = [r.frame_step for r in ok if r.frame_step is not None]
        frame_step = float(steps[0]) if steps else _DEFAULT_FRAME_STEP
        segmentation = Segmentation.from_seconds(self.window, self.stride, frame_step,
                                                 self.max_segments)
        frames = [None if r.error else r.frames for r in results]
        statistics = fit_statistics(frames, groups, n_lld, self.standardize)

        self.n_lld_ = n_lld
        self.lld_names_ = np.asarray(names, dtype=object)
        self.segmentation_ = segmentation
        self.feature_spec_ = spec.identity
        vars(self).update(statistics)
        self.n_frames_seen_ = int(sum(f.shape[0] for f in frames if f is not None))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def _standardizers(self, results, groups):
        """Per source, the ``(mean, scale)`` its frames are standardised with (None: as is)."""
        frames = [None if r.error else r.frames for r in results]
        stats, lonely = standardizers(self, frames, groups, self.standardize)
        if lonely:
            warnings.warn(_summarise([f"{self.standardize} {g!r}" for g in lonely],
                                     f"{self.standardize} group(s) unseen in fit hold a "
                                     "single utterance, standardised with its own "
                                     "statistics; transform a group's rows together"),
                          AudioWarning, stacklevel=caller_stacklevel())
        return stats

    def _assemble(self, X, results, refs, groups=None):
        empty_frames = np.empty((0, self.n_lld_), dtype=np.float32)
        empty = (empty_frames, self.segmentation_.cut(empty_frames))
        bags = []  # per source: (frames, segments), computed once even when shared
        standardizers = self._standardizers(results, groups)
        for r, standardizer in zip(results, standardizers, strict=True):
            if r.error is not None:
                bags.append(empty)
                continue
            if r.frames.shape[1] != self.n_lld_:
                raise ValueError(f"{r.frames.shape[1]} LLDs per frame, but the segmenter was "
                                 f"fitted with {self.n_lld_}")
            frames = r.frames
            if standardizer is not None:
                frames = (frames - standardizer[0]) / standardizer[1]
            frames = frames.astype(np.float32, copy=False)
            bags.append((frames, self.segmentation_.cut(frames)))
        out = X.copy(deep=False)
        for col, ref in refs.items():
            frames_name, segments_name = bag_columns(col)
            frames_col = np.empty(len(X), dtype=object)
            segments_col = np.empty(len(X), dtype=object)
            for i, k in enumerate(ref):
                frames_col[i], segments_col[i] = empty if k < 0 else bags[k]
            out[frames_name] = frames_col
            out[segments_name] = segments_col
        self.segmentation_.attach(out)  # the declared contract: how these bags were cut
        short = [f"{describe_row(X, i)}: {len(f)} frames" for i, f in enumerate(out["frames"])
                 if 0 < len(f) < self.window_frames_]
        if short:
            warnings.warn(
                _summarise(short, f"utterance(s) are shorter than one window ({self.window} s = "
                                  f"{self.window_frames_} frames) and were zero-padded to one "
                                  "segment"),
                AudioWarning, stacklevel=caller_stacklevel(),
            )
        return out

    # -------------------------------------------------------------- public API
    def fit(self, X, y=None):
        """Extract the frames of ``X`` and learn the feature statistics and segment shape.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per utterance, with an ``audio`` column (a file path or a 1-D
            array of samples; arrays need a ``sampling_rate`` column).  A list or
            Series of paths is accepted as a one-column DataFrame.
        y : ignored
            Present for API consistency.

        Returns
        -------
        self : OpenSmileSegmenter
            The fitted segmenter.
        """
        spec = self._check_params()
        X = self._as_frame(X)
        results, _, groups = self._extract(X, spec)
        return self._fit_from_results(X, spec, results, groups)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit and transform in one extraction pass.

        Parameters
        ----------
        X : pandas.DataFrame
            As in :meth:`fit`.
        y : ignored
            Present for API consistency.
        **fit_params : dict
            Ignored.

        Returns
        -------
        Xt : pandas.DataFrame
            ``X`` with the ``frames`` and ``segments`` columns, declaring
            ``Xt.attrs["segmentation"]`` (see :meth:`transform`).
        """
        spec = self._check_params()
        X = self._as_frame(X)
        results, refs, groups = self._extract(X, spec)
        self._fit_from_results(X, spec, results, groups)
        return self._assemble(X, results, refs, groups)

    def transform(self, X):
        """Add the ``frames`` and ``segments`` columns to ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            As in :meth:`fit`.

        Returns
        -------
        Xt : pandas.DataFrame
            A shallow copy of ``X`` with the object columns ``frames``
            (standardised float32 ``(n_frames, n_lld_)``) and ``segments``
            (read-only view, ``(n_segments, window_frames_, n_lld_)``), the
            same pair for every other ``<prefix>audio`` column, and
            ``Xt.attrs["segmentation"]``, the fitted ``segmentation_``.
        """
        check_is_fitted(self, "n_lld_")
        spec = self._check_params()
        if spec.identity != self.feature_spec_:
            raise ValueError(
                "feature_set/feature_level changed since fit (or the content of its openSMILE "
                f"configuration did): {spec.identity} here, {self.feature_spec_} in fit; fit "
                "the segmenter again"
            )
        X = self._as_frame(X)
        segmentation = Segmentation.from_seconds(self.window, self.stride, self.frame_step_,
                                                 self.max_segments)
        if segmentation != self.segmentation_:
            raise ValueError("window/stride/max_segments changed since fit; fit the segmenter "
                             "again")
        if isinstance(self.standardize, str) != (len(self.groups_) > 0):
            raise ValueError("standardize changed between a column and True/False since fit; "
                             "fit the segmenter again")
        return self._assemble(X, *self._extract(X, spec))

    def get_feature_names_out(self, input_features=None):
        """Columns of the transformed DataFrame.

        Parameters
        ----------
        input_features : array-like of str or None
            Input column names; defaults to those seen in :meth:`fit`.

        Returns
        -------
        feature_names_out : ndarray of str
            The input columns followed by ``"frames"`` and ``"segments"`` (and
            ``<prefix>frames``, ``<prefix>segments`` for every other
            ``<prefix>audio`` input column).
        """
        check_is_fitted(self, "n_lld_")
        cols = list(self.feature_names_in_ if input_features is None else input_features)
        added = [name for col in audio_columns(cols) for name in bag_columns(col)]
        cols += [c for c in added if c not in cols]
        return np.asarray(cols, dtype=object)

    def set_output(self, *, transform=None):
        """Accept sklearn's output configuration; the output is always a DataFrame.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            Only ``"default"``, ``"pandas"`` and None are accepted.

        Returns
        -------
        self : OpenSmileSegmenter
        """
        if transform not in (None, "default", "pandas"):
            raise ValueError("OpenSmileSegmenter always returns pandas; got "
                             f"transform={transform!r}")
        return self


def _is_missing(value):
    return value is None or (isinstance(value, float) and np.isnan(value))


def describe_row(X, position, column="audio"):
    """Name a row for messages: its position, its id and its audio source."""
    label = row_label(X, position)
    audio = X[column].iloc[position]
    if isinstance(audio, (str, os.PathLike)):
        source = repr(os.fspath(audio))
    else:
        shape = getattr(audio, "shape", None)
        source = f"array of shape {shape}" if shape is not None else type(audio).__name__
    return f"row {position} ({label!r}, {column} {source})"


def _row_errors(X, results, refs):
    """Map each row position to the errors of the sources it needs.

    Parameters
    ----------
    X : pandas.DataFrame
        The rows.
    results : list of RowResult
        One per distinct source.
    refs : dict of str to ndarray of int
        Per audio column, each row's source index (-1: none).

    Returns
    -------
    errors : dict of int to str
        For every row whose own audio or context audio failed, in row order,
        a message naming the row, the column, the source and the reason.
    """
    errors = {}
    for col, ref in refs.items():
        for i in np.flatnonzero(ref >= 0):
            r = results[ref[i]]
            if r.error:
                errors.setdefault(int(i), []).append(f"{describe_row(X, i, col)}: {r.error}")
    return {i: "; ".join(messages) for i, messages in sorted(errors.items())}


def _summarise(items, what, limit=5):
    head = "\n  ".join(items[:limit])
    more = f"\n  ... and {len(items) - limit} more" if len(items) > limit else ""
    return f"{len(items)} {what}:\n  {head}{more}"

