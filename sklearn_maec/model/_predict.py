"""Inference of MAECClassifier: probabilities, labels, codes, gender and attention by batch.

Rows are batched in the one evaluation order (``_batching.evaluation_order``),
run through the network without gradients, checked for non-finite outputs
(named by row) and put back in the input's order.
"""

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted

from .._batching import evaluation_order
from .._threads import with_torch_threads
from .._validation import describe_rows
from ..exceptions import TrainingDivergedError
from ._memory import release_freed_memory

__all__ = ["BagPrediction"]

GENDERS = np.array(["F", "M"], dtype=object)


class BagPrediction:
    """``predict_proba``, ``predict``, ``decision_function``, ``transform``, gender, attention.

    A mixin of :class:`~sklearn_maec.MAECClassifier`, which provides
    ``get_dataset``, ``get_iterator``, ``module_`` and ``classes_``.
    """

    def __sklearn_is_fitted__(self):
        """Whether the networks were trained on data (their shapes are learned in ``fit``)."""
        return bool(self.initialized_ and hasattr(self, "n_features_in_"))

    @with_torch_threads
    def _run(self, X, fn):
        """Apply ``fn(x) -> tensor`` to every batch of ``X``, in length order, and unsort.

        At the estimator's ``n_threads`` torch threads (restored afterwards).
        """
        check_is_fitted(self)
        dataset = self.get_dataset(X)
        order = evaluation_order(dataset.groups, dataset.lengths, self.batching)
        self._set_training(False)
        outputs, bad, done = [], [], 0
        with torch.no_grad():
            for x, _ in self.get_iterator(dataset.subset(order), training=False):
                out = fn(x.to(self.device))
                finite = torch.isfinite(out.reshape(len(out), -1)).all(dim=1)
                if not bool(finite.all()):
                    bad.extend(order[done + np.flatnonzero(~finite.cpu().numpy())])
                done += len(out)
                outputs.append(out)
                release_freed_memory()
        if bad:  # never hand back NaN probabilities
            bad = np.sort(np.asarray(bad))
            rows = describe_rows(X, bad) if isinstance(X, pd.DataFrame) else \
                f"positions {bad[:5].tolist()}"
            raise TrainingDivergedError(
                f"{type(self).__name__} gives non-finite outputs (NaN/inf) for {len(bad)} "
                f"row(s): {rows}; the fitted weights are unusable (training diverged: fit "
                "again with a lower lr or grad_clip) or those rows hold extreme feature values")
        return outputs, order

    def _unsort(self, outputs, order):
        out = torch.cat(outputs).cpu().numpy()
        result = np.empty_like(out)
        result[order] = out
        return result

    def predict_proba(self, X):
        """Probability of each emotion class.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            As in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        outputs, order = self._run(
            X, lambda x: torch.softmax(self.module_(**x)[0].float(), dim=1))
        return self._unsort(outputs, order)

    def predict(self, X):
        """Predicted emotion labels (from ``classes_``).

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            As in :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)  # first: raises NotFittedError before classes_ is read
        return self.classes_[proba.argmax(axis=1)]

    def decision_function(self, X):
        """Emotion logits (before the softmax).

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            As in :meth:`fit`.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes) or (n_samples,)
            One column per class of ``classes_``.  With two classes, the
            scikit-learn convention: one score per row, the logit of
            ``classes_[1]`` minus that of ``classes_[0]`` (> 0 predicts
            ``classes_[1]``), as ``roc_auc_score`` and the scorers expect.
        """
        outputs, order = self._run(X, lambda x: self.module_(**x)[0].float())
        logits = self._unsort(outputs, order)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def transform(self, X):
        """Latent codes ``Z`` (for plots and downstream models).

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            As in :meth:`fit`.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
        """
        outputs, order = self._run(X, lambda x: self.module_.encode(**x).float())
        return self._unsort(outputs, order)

    def predict_gender(self, X):
        """Predicted speaker gender ("F" or "M") from the multi-task head.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            As in :meth:`fit`.

        Returns
        -------
        gender : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if not self.has_gender_:
            raise ValueError("the gender head was not trained: the training data had no gender")
        outputs, order = self._run(X, lambda x: self.module_(**x)[1].float())
        return GENDERS[self._unsort(outputs, order).argmax(axis=1)]

    def segment_attention(self, X):
        """Attention each segment of the current utterance receives (the salient moments).

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            As in :meth:`fit`.

        Returns
        -------
        attention : list of ndarray
            One array per row, of length ``n_segments`` of that row's bag,
            summing to 1 (empty for an empty bag).
        """
        dataset = self.get_dataset(X)
        outputs, order = self._run(
            dataset, lambda x: self.module_.encode(**x, return_attention=True)[1].float())
        rows = [row for batch in outputs for row in batch.cpu().numpy()]
        result = [None] * len(rows)
        for pos, row in zip(order, rows, strict=True):
            result[pos] = row[: dataset.lengths[pos]]
        return result
