"""Deploying a fitted MAEC model: export the network, predict from audio without skorch.

A fitted pipeline (``OpenSmileSegmenter`` -> ``ContextTripleBuilder`` ->
``MAECClassifier``) is exported as one file holding the inference network
(encoder and emotion head) and everything needed to reproduce its input: the
emotion labels (``classes_``), the segmenter's settings and fitted statistics
(feature set, sampling rate, segmentation, standardisation), whether the
dialogue context is used and how it is found, and the batching.  Two formats:

``"torchscript"`` (``.pt``)
    A TorchScript module; the metadata travels as an extra file inside it
    (``torch.jit.save(..., _extra_files=...)``).  Needs torch to run.
``"onnx"`` (``.onnx``)
    An ONNX graph; the metadata is in the model's ``metadata_props``.  Runs on
    ``onnxruntime`` without torch (install the ``export`` extra:
    ``pip install "sklearn-maec[export]"``).

:func:`export_pipeline` writes the file, :class:`ExportedModel` loads it and
predicts from the same DataFrame of utterances the pipeline takes (``audio``
paths or arrays, ``dialogue``, ``speaker``, ``start``), with no pickle, no
skorch and no fitted estimator.

Loading and predicting imports neither torch nor skorch (a ``.pt`` file needs
torch to run, an ``.onnx`` file onnxruntime); exporting needs both.

Examples
--------
>>> from sklearn_maec.deployment import ExportedModel, export_pipeline
>>> export_pipeline(fitted_pipeline, "maec.onnx")            # doctest: +SKIP
>>> ExportedModel("maec.onnx").predict(X_new)                # doctest: +SKIP
"""

from ._format import EXPORT_FORMAT, METADATA_KEY
from ._runtime import ExportedModel
from ._writer import export_pipeline

__all__ = ["export_pipeline", "ExportedModel", "EXPORT_FORMAT", "METADATA_KEY"]
