"""Running an exported MAEC model: from audio to emotion labels, without skorch or pickle.

This module imports neither torch nor skorch: a TorchScript file needs torch
to run, an ONNX file only onnxruntime (a file exported with a pretrained
encoder runs that encoder from its checkpoint, with torch and transformers).
"""

import json
import os
import warnings
import zipfile

import numpy as np
import pandas as pd

from .._batching import collate, evaluation_order, match_segmentation, table_to_bags
from ..exceptions import MAECWarning, caller_stacklevel
from ..features import PretrainedSegmenter
from ..features._segments import stored_segmentation
from ._format import (
    EXPORT_FORMAT,
    INPUT_NAMES,
    METADATA_KEY,
    OUTPUT_NAMES,
    decode_classes,
    quiet_jit,
    rebuild_segmenter,
)

__all__ = ["ExportedModel"]


def _read_metadata(path):
    """``(format, metadata, onnxruntime session or None)`` of an exported file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"exported model not found: {path!r}")
    if zipfile.is_zipfile(path):  # TorchScript archives are zip files
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("/extra/" + METADATA_KEY)]
            if not names:
                raise ValueError(f"{path!r} is not a model exported by sklearn_maec "
                                 "(a zip file without its metadata)")
            return "torchscript", json.loads(archive.read(names[0]).decode()), None
    try:
        import onnxruntime
    except ImportError:
        raise ImportError(f"{path!r} is not a TorchScript file; running an ONNX export needs "
                          'onnxruntime: pip install "sklearn-maec[export]"') from None
    try:
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ValueError(f"{path!r} is neither a TorchScript nor an ONNX file: {exc}") from None
    props = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in props:
        raise ValueError(f"{path!r} is an ONNX model but not one exported by sklearn_maec")
    return "onnx", json.loads(props[METADATA_KEY]), session


class ExportedModel:
    """A model exported by :func:`export_pipeline`, loaded to predict without skorch or pickle.

    Predicts from the same DataFrame of utterances the pipeline takes: it runs
    the stored segmenter (openSMILE, or a pretrained encoder, with the fitted
    settings and statistics), finds the context turns as the pipeline's
    ``ContextTripleBuilder`` does, and runs the exported network.  The
    predictions are the estimator's: the same labels, probabilities within
    float rounding.

    Parameters
    ----------
    path : str or os.PathLike
        The exported file (``.pt`` TorchScript or ``.onnx``; the format is
        read from the file itself).
    n_jobs : int or None, default=None
        Parallel openSMILE jobs (as the segmenter's ``n_jobs``); for a
        pretrained encoder, its CPU threads (its ``n_threads``).
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Frame cache directory (as the segmenter's ``memory``).
    on_error : {"raise", "warn"}, default="raise"
        What to do with audio that cannot be used (as the segmenter's): with
        ``"warn"`` such a row gets an empty bag and the model's prediction for
        an empty input.
    verbose : int, default=0
        Show an extraction progress bar when greater than 0.
    batch_size : int or None, default=None
        Utterances per network call; None uses the classifier's.
    encoder : str, os.PathLike or None, default=None
        For a file exported with a :class:`~sklearn_maec.PretrainedSegmenter`:
        the directory of its checkpoint, which the file does not hold (None:
        the path given when the pipeline was fitted).  The checkpoint must be
        the one the pipeline was fitted on, by content: loading warns, and
        predicting from audio raises, when it is missing or differs.  The
        encoder runs on the CPU (``segmenter_.set_params(device="cuda")``
        moves it) and needs torch and transformers.

    Attributes
    ----------
    classes_ : ndarray
        The emotion labels, in the column order of :meth:`predict_proba`.
    format_ : {"torchscript", "onnx"}
        The file's format.
    metadata_ : dict
        Everything stored beside the network (JSON).
    segmentation_ : Segmentation
        How the bags the model was trained on were cut (frame step, window and
        stride); the bags it predicts from must be cut alike.
    segmenter_ : OpenSmileSegmenter, PretrainedSegmenter or None
        The fitted segmenter rebuilt from the stored settings; None when the
        file was exported from a bare classifier (then ``X`` must hold the
        ``segments`` column, and declare its segmentation when it holds
        ``frames``).

    Examples
    --------
    >>> from sklearn_maec.deployment import ExportedModel
    >>> model = ExportedModel("maec.onnx", n_jobs=2)         # doctest: +SKIP
    >>> model.predict(X_new)                                 # doctest: +SKIP
    """

    def __init__(self, path, *, n_jobs=None, memory=None, on_error="raise", verbose=0,
                 batch_size=None, encoder=None):
        self.path = os.fspath(path)
        self.n_jobs = n_jobs
        self.memory = memory
        self.on_error = on_error
        self.verbose = verbose
        self.batch_size = batch_size
        self.encoder = encoder
        self.format_, meta, self._session = _read_metadata(self.path)
        if meta.get("format") != EXPORT_FORMAT:
            raise ValueError(f"{self.path!r} has export format {meta.get('format')!r}; this "
                             f"version of sklearn_maec reads {EXPORT_FORMAT!r}")
        self.metadata_ = meta
        self.classes_ = decode_classes(meta["classes"])
        self.segmentation_ = stored_segmentation(meta)
        if self._session is None:  # TorchScript
            import torch

            with quiet_jit():
                self._module = torch.jit.load(self.path, map_location="cpu").eval()
        else:
            self._inputs = [i.name for i in self._session.get_inputs()]
        self.segmenter_ = None if meta["segmenter"] is None else \
            rebuild_segmenter(meta["segmenter"])
        if isinstance(self.segmenter_, PretrainedSegmenter):
            if encoder is not None:
                self.segmenter_.set_params(encoder=encoder)
            problem = self.segmenter_._checkpoint_problem()
            if problem:
                warnings.warn(f"{self.path!r} cannot predict from audio yet: {problem}; or "
                              "give ExportedModel(..., encoder=PATH)", MAECWarning,
                              stacklevel=caller_stacklevel())

    def __repr__(self):
        return (f"ExportedModel({self.path!r}, format={self.format_!r}, "
                f"classes={list(self.classes_)})")

    # ------------------------------------------------------------------ input
    def prepare(self, X):
        """Run the stored segmentation (and context lookup) on ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per utterance: ``audio`` (path or samples, with a
            ``sampling_rate`` column for arrays), ``dialogue``, ``speaker`` and
            ``start`` (for the context); or, for a file exported from a bare
            classifier, the pipeline's segmented DataFrame.

        Returns
        -------
        Xt : pandas.DataFrame
            ``X`` with the ``frames``, ``segments`` (and ``previous``,
            ``interlocutor``) columns, as the pipeline's steps before the
            classifier would give it.
        """
        if self.segmenter_ is not None and not (isinstance(X, pd.DataFrame)
                                                and "segments" in X.columns):
            jobs = "n_threads" if isinstance(self.segmenter_, PretrainedSegmenter) else "n_jobs"
            seg = self.segmenter_.set_params(**{jobs: self.n_jobs}, memory=self.memory,
                                             on_error=self.on_error, verbose=self.verbose)
            X = seg.transform(X)
        elif not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        if self.metadata_["context_builder"]:
            from ..context import ContextTripleBuilder

            # the positions of the turns in this X; a dialogue check against the training
            # data (the pipeline's fitted ContextTripleBuilder) has no meaning for new data
            X = ContextTripleBuilder(allow_split_dialogues=True).fit_transform(X)
        return X

    # ------------------------------------------------------------------ inference
    def _run(self, X):
        meta = self.metadata_
        table = table_to_bags(self.prepare(X), meta["use_context"], "ExportedModel")
        if (table.window_frames, table.n_lld) != (self.segmentation_.window_frames,
                                                   meta["n_lld"]):
            raise ValueError(f"X has segments of {table.window_frames} frames x "
                             f"{table.n_lld} features, but the model was exported for "
                             f"{self.segmentation_.window_frames} x {meta['n_lld']}")
        match_segmentation(table, self.segmentation_, "the exported model")
        n_rows = table.n_rows
        order = evaluation_order(table.groups, table.n_segments[:n_rows], meta["batching"])
        batch_size = self.batch_size or meta["batch_size"]
        if batch_size == -1:
            batch_size = max(n_rows, 1)
        outputs = {"logits": [], "proba": [], "z": []}
        for start in range(0, n_rows, batch_size):
            batch = collate(table, order[start:start + batch_size], meta["use_context"],
                            gap=meta["frame_gap"], padded=True)
            for key, out in zip(outputs, self._call(batch), strict=True):
                outputs[key].append(out)
        result = {}
        for key, parts in outputs.items():
            out = np.concatenate(parts) if parts else np.empty((0, 0), np.float32)
            unsorted = np.empty_like(out)
            unsorted[order] = out
            result[key] = unsorted
        return result

    def _call(self, inputs):
        if self._session is not None:
            feed = {name: inputs[name] for name in self._inputs}
            return self._session.run(list(OUTPUT_NAMES), feed)
        import torch

        with torch.no_grad():
            out = self._module(*(torch.from_numpy(inputs[k]) for k in INPUT_NAMES))
        return [t.numpy() for t in out]

    def predict_proba(self, X):
        """Probability of each emotion class.

        Parameters
        ----------
        X : pandas.DataFrame
            As in :meth:`prepare`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._run(X)["proba"]

    def predict(self, X):
        """Predicted emotion labels (from ``classes_``).

        Parameters
        ----------
        X : pandas.DataFrame
            As in :meth:`prepare`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def transform(self, X):
        """Latent codes ``Z``, as the classifier's ``transform`` gives them.

        Parameters
        ----------
        X : pandas.DataFrame
            As in :meth:`prepare`.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
        """
        return self._run(X)["z"]
