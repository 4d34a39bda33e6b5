"""What every segmenter shares: sources, groups, standardisation, bags, errors and checks.

A segmenter turns a table of utterances into the frame-to-bag contract (the
``frames`` and ``segments`` columns of every ``*_audio`` column and the
declared :class:`~sklearn_maec.features.Segmentation`; the user guide's "Bags
and segments" page).  :class:`BaseSegmenter` is all of it but the front-end: a
subclass (openSMILE's descriptors, a pretrained encoder's hidden states) says
how its parameters are checked, how its audio sources become
:class:`~sklearn_maec.features._extraction.RowResult` objects, what its
features are called and in which dtype its frames are kept.
"""

import numbers
import os
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_dataframe, check_option, describe_rows, row_label
from ..exceptions import AudioWarning, ExtractionError, caller_stacklevel
from ._cache import as_cache
from ._extraction import EXTRACTION_LOG_ENV
from ._segments import (
    AUDIO_COLUMN,
    Segmentation,
    SegmentationMixin,
    audio_columns,
    bag_columns,
)
from ._standardize import fit_statistics, standardizers

__all__ = ["BaseSegmenter", "ON_ERRORS", "describe_row"]

#: The values of a segmenter's ``on_error``.
ON_ERRORS = ("raise", "warn")


class BaseSegmenter(SegmentationMixin, TransformerMixin, BaseEstimator,
                    auto_wrap_output_keys=None):
    """The segmenters' common machinery; a front-end subclasses it.

    A subclass has the parameters ``window``, ``stride``, ``max_segments``,
    ``standardize``, ``memory``, ``on_error`` and ``verbose`` (read here) and
    implements:

    ``_check_params(fitted=False)``
        Validate its own parameters (after :meth:`_check_common`) and return
        the *spec* of its features: an object with an ``identity`` (a JSON
        dict saying what the frames are, by content), passed back to the
        hooks below.  ``fitted`` is True when called from :meth:`transform`.
    ``_extract_sources(sources, spec, cache, log_path)``
        One :class:`~sklearn_maec.features._extraction.RowResult` per
        ``(audio, sampling_rate, row, column)`` source, in order; a Ctrl-C
        becomes :class:`~sklearn_maec.ExtractionInterrupted`.
    ``_feature_names(spec, width)``
        The names of the ``width`` features of a frame.
    ``_stored(frames)``
        A frame matrix in the dtype the ``frames`` column keeps.
    ``_check_features(spec)``
        Raise when ``spec`` no longer computes the features of fit.

    and names, in ``_width_attribute`` and ``_names_attribute``, the fitted
    attributes holding the width of a frame and the features' names.
    """

    #: The record types its fitted attributes hold (``segmentation_``), for the codec of
    #: fitted state (``sklearn_maec._state``), which imports nothing of this layer.
    _fitted_records = (Segmentation,)
    #: Parameters naming a place on the machine that fitted it (the feature cache): never
    #: stored with a model; a loaded model caches nothing until given a ``memory`` of its own.
    _machine_local_params = ("memory",)
    _width_attribute = "n_features_"
    _names_attribute = "feature_names_"
    #: Seconds between frames when no extraction gave two frames.
    _default_frame_step = None

    @property
    def _width(self):
        return getattr(self, self._width_attribute)

    # ------------------------------------------------------------------ checks
    def _check_common(self):
        """Validate the parameters every segmenter has."""
        for name in ("window", "stride"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if self.max_segments is not None and not (
            isinstance(self.max_segments, numbers.Integral) and self.max_segments >= 1
        ):
            raise ValueError(f"max_segments must be None or an int >= 1, got {self.max_segments!r}")
        check_option("on_error", self.on_error, ON_ERRORS)
        if not isinstance(self.standardize, (bool, np.bool_, str)) or self.standardize == "":
            raise ValueError("standardize must be True, False or the name of a column of X "
                             f"(e.g. 'corpus', 'speaker'), got {self.standardize!r}")

    def _as_frame(self, X):
        if isinstance(X, pd.Series):
            return X.to_frame(name="audio")
        if isinstance(X, (list, tuple)) and not isinstance(X, pd.DataFrame):
            return pd.DataFrame({"audio": pd.Series(list(X), dtype=object)})
        return check_dataframe(X, ["audio"], type(self).__name__)

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
        results = self._extract_sources(sources, spec, cache, log_path)

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
                f"{type(self).__name__}: no row of X could be extracted ({len(results)} "
                "failed); see the warnings for the reasons"
            )
        width = ok[0].frames.shape[1]
        steps = [r.frame_step for r in ok if r.frame_step is not None]
        frame_step = float(steps[0]) if steps else self._default_frame_step
        segmentation = Segmentation.from_seconds(self.window, self.stride, frame_step,
                                                 self.max_segments)
        frames = [None if r.error else r.frames for r in results]
        statistics = fit_statistics(frames, groups, width, self.standardize)

        setattr(self, self._width_attribute, width)
        setattr(self, self._names_attribute,
                np.asarray(self._feature_names(spec, width), dtype=object))
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
        """The output table; consumes ``results`` (each item is set to None once used)."""
        width = self._width
        empty_frames = self._stored(np.empty((0, width), dtype=np.float32))
        empty = (empty_frames, self.segmentation_.cut(empty_frames))
        bags = []  # per source: (frames, segments), computed once even when shared
        standardizers = self._standardizers(results, groups)
        for k, standardizer in enumerate(standardizers):
            r = results[k]
            results[k] = None  # the extracted frames go as their standardised copy comes: the
            # table, not twice the table, at the peak
            if r.error is not None:
                bags.append(empty)
                continue
            if r.frames.shape[1] != width:
                raise ValueError(f"{r.frames.shape[1]} features per frame, but the segmenter "
                                 f"was fitted with {width}")
            frames = r.frames
            if standardizer is not None:
                frames = (frames - standardizer[0]) / standardizer[1]
            frames = self._stored(frames)
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
        self : object
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
            (standardised, ``(n_frames, n_features)``) and ``segments``
            (read-only view, ``(n_segments, window_frames_, n_features)``), the
            same pair for every other ``<prefix>audio`` column, and
            ``Xt.attrs["segmentation"]``, the fitted ``segmentation_``.
        """
        check_is_fitted(self, "segmentation_")
        spec = self._check_params(fitted=True)
        self._check_features(spec)
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
        check_is_fitted(self, "segmentation_")
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
        self : object
            The segmenter.
        """
        if transform not in (None, "default", "pandas"):
            raise ValueError(f"{type(self).__name__} always returns pandas; got "
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
