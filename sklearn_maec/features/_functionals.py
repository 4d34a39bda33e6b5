"""FrameFunctionals: utterance-level statistics of the frames, for baselines."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_dataframe
from ._segments import Segmentation

__all__ = ["FrameFunctionals"]

_STATISTICS = ("mean", "std", "min", "max", "p10", "p50", "p90", "slope")
_FRAME_STEP = 0.01  # seconds between frames where X declares no segmentation (openSMILE's)


class FrameFunctionals(TransformerMixin, BaseEstimator):
    """Summarise each utterance's frames into one fixed-length vector (openSMILE-style functionals).

    The classic baseline of speech-emotion recognition: statistics of every
    low-level descriptor over the utterance, fed to a linear model or an SVM.
    It reads the ``frames`` column that :class:`~sklearn_maec.OpenSmileSegmenter`
    (or :class:`~sklearn_maec.PretrainedSegmenter`) adds, so a baseline
    pipeline shares the segmenter's extraction cache with the MAEC pipeline.

    Parameters
    ----------
    statistics : tuple of str, default=("mean", "std", "min", "max", "p10", "p50", "p90", "slope")
        Which functionals to compute per descriptor: ``mean``, ``std``,
        ``min``, ``max``, percentiles ``p<q>`` (e.g. ``p10``), and ``slope``
        (of a least-squares line over time, per second: the frame step is the
        one ``X`` declares, ``X.attrs["segmentation"]``, 10 ms where it
        declares none).  ``("mean",)`` over a pretrained encoder's frames is
        the linear probe's input.

    Attributes
    ----------
    n_lld_ : int
        Descriptors per frame.
    n_features_out_ : int
        ``n_lld_ * len(statistics)``.

    See Also
    --------
    OpenSmileSegmenter : Produces the ``frames`` column.
    PretrainedSegmenter : Produces it from a pretrained encoder.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_maec.features import FrameFunctionals
    >>> X = pd.DataFrame({"frames": [np.arange(6, dtype=np.float32).reshape(3, 2)]})
    >>> FrameFunctionals(statistics=("mean", "max")).fit_transform(X)
    array([[2., 3., 4., 5.]], dtype=float32)
    """

    def __init__(self, statistics=_STATISTICS):
        self.statistics = statistics

    def _check(self):
        for stat in self.statistics:
            if stat in _STATISTICS:
                continue
            if stat.startswith("p") and stat[1:].isdigit() and 0 <= int(stat[1:]) <= 100:
                continue
            raise ValueError(f"unknown statistic {stat!r}; use {list(_STATISTICS)} or p<0-100>")

    def fit(self, X, y=None):
        """Learn the number of descriptors.

        Parameters
        ----------
        X : pandas.DataFrame
            With a ``frames`` column of ``(n_frames, n_lld)`` arrays.
        y : ignored
            Present for API consistency.

        Returns
        -------
        self : FrameFunctionals
        """
        self._check()
        X = check_dataframe(X, ["frames"], type(self).__name__)
        widths = {f.shape[1] for f in X["frames"]}
        if len(widths) != 1:
            raise ValueError(f"frames of different widths {sorted(widths)}")
        self.n_lld_ = widths.pop()
        self.n_features_out_ = self.n_lld_ * len(self.statistics)
        return self

    def transform(self, X):
        """Compute the functionals of every row.

        Parameters
        ----------
        X : pandas.DataFrame
            With a ``frames`` column.

        Returns
        -------
        features : ndarray of shape (n_samples, `n_lld_` * len(statistics)), float32
            Rows without frames (failed extraction) are all zeros.
        """
        check_is_fitted(self, "n_lld_")
        X = check_dataframe(X, ["frames"], type(self).__name__)
        out = np.zeros((len(X), self.n_features_out_), dtype=np.float32)
        segmentation = Segmentation.of(X)
        step = segmentation.frame_step if segmentation is not None and \
            segmentation.frame_step is not None else _FRAME_STEP
        for i, frames in enumerate(X["frames"]):
            if len(frames):
                out[i] = np.concatenate([_statistic(frames, s, step) for s in self.statistics])
        return out

    def get_feature_names_out(self, input_features=None):
        """Names ``<statistic>_<lld index>``.

        Parameters
        ----------
        input_features : ignored
            Present for API consistency.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self, "n_lld_")
        return np.array([f"{s}_{j}" for s in self.statistics for j in range(self.n_lld_)],
                        dtype=object)


def _statistic(frames, stat, frame_step):
    f = np.asarray(frames, dtype=np.float64)
    if stat == "mean":
        return f.mean(0)
    if stat == "std":
        return f.std(0)
    if stat == "min":
        return f.min(0)
    if stat == "max":
        return f.max(0)
    if stat == "slope":
        t = np.arange(len(f)) / (1.0 / frame_step)  # frames per second: 100.0 at 10 ms
        t = t - t.mean()
        denom = float((t**2).sum())
        return (t @ (f - f.mean(0))) / denom if denom > 0 else np.zeros(f.shape[1])
    return np.percentile(f, int(stat[1:]), axis=0)
