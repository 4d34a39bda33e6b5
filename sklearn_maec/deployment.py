"""Deploying a fitted MAEC model: export the network, predict from audio without skorch.

A fitted pipeline (``OpenSmileSegmenter`` -> ``ContextTripleBuilder`` ->
``MAECClassifier``) is exported as one file holding the inference network
(encoder and emotion head) and everything needed to reproduce its input: the
emotion labels (``classes_``), the segmenter's settings and fitted statistics
(feature set, sampling rate, window and stride in frames, standardisation mean
and standard deviation), whether the dialogue context is used and how it is
found, and the batching.  Two formats:

``"torchscript"`` (``.pt``)
    A TorchScript module; the metadata travels as an extra file inside it
    (``torch.jit.save(..., _extra_files=...)``).  Needs torch to run.
``"onnx"`` (``.onnx``)
    An ONNX graph; the metadata is in the model's ``metadata_props``.  Runs on
    ``onnxruntime`` without torch (install the ``export`` extra:
    ``pip install "sklearn-maec[export]"``).

:func:`load_exported` (or :func:`predict_from_export`) then predicts from the
same DataFrame of utterances the pipeline takes (``audio`` paths or arrays,
``dialogue``, ``speaker``, ``start``): it runs openSMILE with the stored
settings, cuts the bags, finds the context turns and runs the exported
network, with no pickle, no skorch and no fitted estimator.  The predictions
are the estimator's: the same labels, probabilities within float rounding.

This module imports neither torch nor skorch; exporting needs both (it reads
the fitted estimator), running a ``.pt`` file needs torch, running an
``.onnx`` file needs onnxruntime.

Examples
--------
>>> from sklearn_maec.deployment import export_pipeline, load_exported
>>> export_pipeline(fitted_pipeline, "maec.onnx")            # doctest: +SKIP
>>> model = load_exported("maec.onnx")                       # doctest: +SKIP
>>> model.predict(X_new)                                     # doctest: +SKIP
"""

import contextlib
import copy
import json
import logging
import os
import warnings
import zipfile

import numpy as np
import pandas as pd

from ._rows import frame_to_bags

__all__ = ["export_pipeline", "load_exported", "predict_from_export", "ExportedModel",
           "EXPORT_FORMAT", "METADATA_KEY"]

logger = logging.getLogger(__name__)

#: Format tag of the metadata (bumped when its meaning changes).
EXPORT_FORMAT = "sklearn-maec-export/1"
#: Name of the metadata: the TorchScript extra file, the ONNX ``metadata_props`` key.
METADATA_KEY = "sklearn_maec.json"
_SUFFIXES = {".pt": "torchscript", ".onnx": "onnx"}
_INPUT_ORDER = ("segments", "segment_frames", "bag_index", "current", "previous", "interlocutor")
# Segmenter parameters that are runtime choices of the machine that predicts, not of the model.
_RUNTIME_PARAMS = ("n_jobs", "memory", "on_error", "verbose")


# --------------------------------------------------------------------------- export
def export_pipeline(model, path, *, format=None):
    """Export a fitted MAEC pipeline (or classifier) for inference without skorch.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline or MAECClassifier
        Fitted.  A pipeline ends with a :class:`~sklearn_maec.MAECClassifier`,
        preceded by an :class:`~sklearn_maec.OpenSmileSegmenter` and
        optionally a :class:`~sklearn_maec.ContextTripleBuilder` (no other
        steps).  With the segmenter, the exported file predicts from audio;
        a bare classifier's file predicts from segmented DataFrames (the
        ``segments`` column) only.
    path : str or os.PathLike
        Destination file.
    format : {"torchscript", "onnx"} or None, default=None
        None infers it from the suffix of ``path``: ``.pt`` for TorchScript,
        ``.onnx`` for ONNX.

    Returns
    -------
    path : str
        The file written.

    Examples
    --------
    >>> from sklearn_maec.deployment import export_pipeline, predict_from_export
    >>> export_pipeline(fitted_pipeline, "maec.pt")               # doctest: +SKIP
    >>> predict_from_export("maec.pt", X_new)                     # doctest: +SKIP
    """
    from sklearn.pipeline import Pipeline

    from .classifier import MAECClassifier
    from .context import ContextTripleBuilder
    from .segmenter import OpenSmileSegmenter

    if isinstance(model, MAECClassifier):
        return _export_classifier(model, path, format=format)
    if not isinstance(model, Pipeline):
        raise TypeError(f"export_pipeline expects a fitted Pipeline or MAECClassifier, got "
                        f"{type(model).__name__}")
    *head, (last_name, clf) = model.steps
    if not isinstance(clf, MAECClassifier):
        raise TypeError(f"the last step of the pipeline must be a MAECClassifier, got "
                        f"{type(clf).__name__} ({last_name!r})")
    segmenter = context = None
    for k, (name, step) in enumerate(head):
        if isinstance(step, OpenSmileSegmenter) and k == 0:
            segmenter = step
        elif isinstance(step, ContextTripleBuilder) and context is None:
            context = step
        else:
            raise TypeError(
                f"cannot export step {name!r} ({type(step).__name__}): an exported pipeline is "
                "OpenSmileSegmenter, optionally ContextTripleBuilder, then MAECClassifier")
    return _export_classifier(clf, path, format=format, segmenter=segmenter,
                              context_builder=context is not None)


def _export_classifier(classifier, path, *, format=None, segmenter=None, context_builder=None):
    """Export a fitted classifier, optionally with the segmenter that feeds it.

    :meth:`MAECClassifier.export <sklearn_maec.MAECClassifier.export>` calls
    this function; :func:`export_pipeline` finds the steps of a pipeline.

    Parameters
    ----------
    classifier : MAECClassifier
        Fitted.
    path : str or os.PathLike
        Destination file.
    format : {"torchscript", "onnx"} or None, default=None
        None infers it from the suffix (``.pt`` or ``.onnx``).
    segmenter : OpenSmileSegmenter or None, default=None
        The fitted segmenter whose bags the classifier was trained on; its
        settings and statistics are stored so the file predicts from audio.
    context_builder : bool or None, default=None
        Whether predictions find the context turns with
        :class:`~sklearn_maec.ContextTripleBuilder` (as a pipeline with that
        step does).  None: when the classifier uses context and a segmenter is
        given.

    Returns
    -------
    path : str
        The file written.
    """
    import torch

    from ._export import INPUT_NAMES, OUTPUT_NAMES, ExportNetwork
    from .nn import MAECNetwork
    from .persistence import _atomic_write

    classifier._check_fitted()
    path = os.fspath(path)
    format = _check_format(format, path)
    if segmenter is not None:
        _check_segmenter(segmenter, classifier)
    if context_builder is None:
        context_builder = bool(classifier.use_context and segmenter is not None)
    metadata = _metadata(classifier, segmenter, bool(context_builder))
    module = getattr(classifier.module_, "_orig_mod", classifier.module_)  # torch.compile'd
    if not isinstance(module, MAECNetwork):
        raise TypeError(f"export supports the MAECNetwork module, not {type(module).__name__}")
    # a CPU copy: the fitted estimator's own module stays where and as it is
    net = ExportNetwork(copy.deepcopy(module).to("cpu").eval())
    static_sizes = {d for p in net.state_dict().values() for d in p.shape}
    example = _example_inputs(metadata["window_frames"], metadata["n_lld"], torch,
                              avoid=static_sizes)
    with torch.no_grad():
        if format == "torchscript":
            with _quiet_jit():
                scripted = torch.jit.script(net)
                extra = {METADATA_KEY: json.dumps(metadata)}
                _atomic_write(path, lambda tmp: torch.jit.save(scripted, tmp, _extra_files=extra))
        else:
            _export_onnx(net, example, path, metadata, INPUT_NAMES, OUTPUT_NAMES, torch)
    logger.info("exported %s to %s (%s, %d bytes)", type(classifier).__name__, path, format,
                os.path.getsize(path))
    return path


@contextlib.contextmanager
def _quiet_jit():
    """Silence torch's notice that TorchScript is deprecated (it still works in torch 2.x).

    TorchScript is the torch-native format that keeps the GRU's sequence length
    dynamic (``torch.export`` specialises it); ONNX is the format to prefer for
    the long run.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit.* is deprecated",
                                category=DeprecationWarning)
        yield


def _check_format(format, path):
    if format is None:
        suffix = os.path.splitext(path)[1].lower()
        if suffix not in _SUFFIXES:
            raise ValueError(f"cannot infer the export format from {path!r}: name the file "
                             "*.pt (TorchScript) or *.onnx (ONNX), or pass format=")
        return _SUFFIXES[suffix]
    if format not in ("torchscript", "onnx"):
        raise ValueError(f"format must be 'torchscript', 'onnx' or None, got {format!r}")
    return format


def _check_segmenter(segmenter, classifier):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(segmenter, "n_lld_")
    shape = (segmenter.window_frames_, segmenter.n_lld_)
    if shape != (classifier.window_frames_, classifier.n_lld_):
        raise ValueError(f"the segmenter cuts segments of {shape[0]} frames x {shape[1]} LLDs, "
                         f"but the classifier was fitted on {classifier.window_frames_} x "
                         f"{classifier.n_lld_}")


def _segmenter_metadata(segmenter):
    params = {k: v for k, v in segmenter.get_params(deep=False).items()
              if k not in _RUNTIME_PARAMS}
    feature_set = params["feature_set"]
    if not isinstance(feature_set, (str, os.PathLike)):  # an opensmile.FeatureSet enum
        params["feature_set"] = feature_set.name
    elif isinstance(feature_set, os.PathLike):
        params["feature_set"] = os.fspath(feature_set)
    if params.get("feature_level") is not None and not isinstance(params["feature_level"], str):
        params["feature_level"] = params["feature_level"].name
    fitted = {}
    for name, value in vars(segmenter).items():
        if name.endswith("_") and not name.startswith("_"):
            fitted[name] = _encode(value)
    spec = segmenter._spec
    return {"params": params, "fitted": fitted,
            "spec": {"kind": spec.kind, "level": spec.level, "digest": spec.digest}}


def _metadata(classifier, segmenter, context_builder):
    import torch

    from . import __version__

    classes = np.asarray(classifier.classes_)
    batch_size = classifier.get_params_for("iterator_valid").get("batch_size",
                                                                  classifier.batch_size)
    return {
        "format": EXPORT_FORMAT,
        "classes": _encode(classes),
        "n_lld": int(classifier.n_lld_),
        "window_frames": int(classifier.window_frames_),
        "latent_dim": int(classifier.latent_dim),
        "use_context": bool(classifier.use_context),
        "context_builder": context_builder,
        "batching": classifier.batching,
        "batch_size": int(batch_size),
        "segmenter": None if segmenter is None else _segmenter_metadata(segmenter),
        "sklearn_maec_version": __version__,
        "torch_version": torch.__version__,
    }


def _example_inputs(window_frames, n_lld, torch, avoid=()):
    """A small batch whose dynamic sizes are distinct from each other and from ``avoid``.

    The ONNX exporter traces with these; a dynamic size whose example value
    equals a fixed size of the network (channels, classes, ...) can end up
    specialised to that value, so each is the smallest unused prime >= 5.
    """
    taken = {int(a) for a in avoid} | {window_frames, n_lld}
    sizes = []
    candidate = 5
    while len(sizes) < 4:
        if candidate not in taken and all(candidate % d for d in range(2, candidate)):
            sizes.append(candidate)
        candidate += 1
    S, U, B, extra = sizes  # segments per bag, bags, samples, unused segments
    g = torch.Generator().manual_seed(0)
    lengths = [S] + [max(S - 2 - k, 0) for k in range(U - 2)] + [0]  # an empty bag too
    N = sum(lengths) + extra  # segments that belong to no bag: the graph must allow them
    segments = torch.randn(N, window_frames, n_lld, generator=g)
    frames = torch.full((N,), window_frames, dtype=torch.int64)
    frames[0] = max(window_frames // 2, 1)
    bag_index = torch.full((U, S), -1, dtype=torch.int64)
    start = 0
    for k, n in enumerate(lengths):
        bag_index[k, :n] = torch.arange(start, start + n)
        start += n
    current = torch.arange(B) % U
    previous = torch.arange(B) % (U + 1) - 1
    interlocutor = (torch.arange(B) * 3) % (U + 1) - 1
    return (segments, frames, bag_index, current, previous, interlocutor)


def _export_onnx(net, example, path, metadata, input_names, output_names, torch):
    """Write ``net`` as ONNX with every batch size dynamic, checked against ``net`` itself.

    The TorchScript-based exporter (``dynamo=False``) maps the GRUs to ONNX
    ``GRU`` nodes with dynamic sizes, in well under a second.  Where a torch
    release no longer has it, the ``torch.export``-based one is used; it may
    fix a size that must stay dynamic, which is then an error.  Either way,
    when onnxruntime is installed, the file must reproduce ``net`` on batches
    of other sizes (one bag of one segment included) before it is kept.
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("exporting to ONNX needs the onnx package (and onnxscript for newer "
                          'torch releases): pip install "sklearn-maec[export]"') from None
    dynamic = {"segments": {0: "segments"}, "segment_frames": {0: "segments"},
               "bag_index": {0: "bags", 1: "bag_length"}, "current": {0: "samples"},
               "previous": {0: "samples"}, "interlocutor": {0: "samples"}}
    outputs = {name: {0: "samples"} for name in output_names}
    tmp = f"{path}.tmp-{os.getpid()}"
    # the exporters log (e.g. "torchvision is not installed") and warn about their tracing
    exporter_logger = logging.getLogger("torch.onnx")
    level = exporter_logger.level
    exporter_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(net, example, tmp, dynamo=False,
                                  input_names=list(input_names),
                                  output_names=list(output_names),
                                  dynamic_axes={**dynamic, **outputs}, opset_version=17)
                proto = onnx.load(tmp)
            except (TypeError, ValueError, RuntimeError, NotImplementedError) as exc:
                logger.info("the TorchScript-based ONNX exporter failed (%s); using "
                            "torch.export", exc)
                Dim = torch.export.Dim
                dims = {}
                shapes = {name: {axis: dims.setdefault(label, Dim(label))
                                 for axis, label in axes.items()}
                          for name, axes in dynamic.items()}
                program = torch.onnx.export(net, example, dynamo=True, dynamic_shapes=shapes,
                                            input_names=list(input_names),
                                            output_names=list(output_names),
                                            external_data=False, verbose=False)
                proto = program.model_proto
    finally:
        exporter_logger.setLevel(level)
        if os.path.exists(tmp):
            os.remove(tmp)
    shapes = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
              for i in proto.graph.input}
    fixed = {name: shapes[name] for name, axes in dynamic.items() if name in shapes
             and any(not isinstance(shapes[name][axis], str) for axis in axes)}
    if fixed:  # a dynamic size was specialised: the graph would reject other batches
        raise RuntimeError(f"the ONNX exporter fixed sizes that must stay dynamic: {fixed}; "
                           "export to TorchScript (.pt) instead")
    for node in proto.graph.node:  # stack traces with this machine's paths: not for shipping
        del node.metadata_props[:]
    _verify_onnx(proto, net, example, torch)
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(metadata)
    from .persistence import _atomic_write

    _atomic_write(path, lambda tmp: onnx.save_model(proto, tmp, format="protobuf"))


def _verify_onnx(proto, net, example, torch):
    """Run the graph on onnxruntime against ``net`` on batches of other sizes."""
    try:
        import onnxruntime
    except ImportError:
        logger.info("onnxruntime is not installed: the ONNX file is not checked")
        return
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    segments, _, bag_index, *_ = example
    W, L = segments.shape[1:]
    g = torch.Generator().manual_seed(1)
    probes = [  # (bag lengths, current, previous, interlocutor): other sizes than the example
        ([1], [0], [-1], [-1]),
        ([bag_index.shape[1] + 4, 2, 0], [0, 1, 2, 0], [-1, 0, 1, 2], [2, -1, 0, 1]),
    ]
    for lengths, *refs in probes:
        n = sum(lengths)
        index = torch.full((len(lengths), max(lengths)), -1, dtype=torch.int64)
        start = 0
        for k, m in enumerate(lengths):
            index[k, :m] = torch.arange(start, start + m)
            start += m
        frames = torch.full((n,), W, dtype=torch.int64)
        frames[-1] = max(W // 3, 1)
        inputs = (torch.randn(n, W, L, generator=g), frames, index,
                  *(torch.tensor(r, dtype=torch.int64) for r in refs))
        with torch.no_grad():
            expected = net(*inputs)[1].numpy()
        feed = {name: t.numpy() for name, t in zip(_INPUT_ORDER, inputs, strict=True)
                if name in names}
        got = session.run(["proba"], feed)[0]
        if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-5, rtol=0):
            raise RuntimeError("the exported ONNX graph does not reproduce the network on "
                               "other batch sizes; export to TorchScript (.pt) instead")


def _encode(value):
    """A fitted attribute as JSON (arrays keep their dtype)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            return {"array": [v.item() if isinstance(v, np.generic) else v for v in value.ravel()],
                    "dtype": "object", "shape": list(value.shape)}
        return {"array": value.ravel().tolist(), "dtype": value.dtype.str,
                "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value):
    if isinstance(value, dict) and "array" in value:
        if value["dtype"] == "object":
            arr = np.empty(len(value["array"]), dtype=object)
            arr[:] = value["array"]
        else:
            arr = np.asarray(value["array"], dtype=np.dtype(value["dtype"]))
        return arr.reshape(value["shape"])
    return value


# --------------------------------------------------------------------------- runtime
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
    """A model exported by :func:`export_pipeline`, ready to predict without skorch.

    Parameters
    ----------
    path : str or os.PathLike
        The exported file (``.pt`` TorchScript or ``.onnx``; the format is
        read from the file itself).
    n_jobs : int or None, default=None
        Parallel openSMILE jobs (as the segmenter's ``n_jobs``).
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

    Attributes
    ----------
    classes_ : ndarray
        The emotion labels, in the column order of :meth:`predict_proba`.
    format_ : {"torchscript", "onnx"}
        The file's format.
    metadata_ : dict
        Everything stored beside the network (JSON).
    segmenter_ : OpenSmileSegmenter or None
        The fitted segmenter rebuilt from the stored settings; None when the
        file was exported from a bare classifier (then ``X`` must hold the
        ``segments`` column).

    Examples
    --------
    >>> from sklearn_maec.deployment import load_exported
    >>> model = load_exported("maec.onnx")                   # doctest: +SKIP
    >>> model.predict(X_new)                                 # doctest: +SKIP
    """

    def __init__(self, path, *, n_jobs=None, memory=None, on_error="raise", verbose=0,
                 batch_size=None):
        self.path = os.fspath(path)
        self.n_jobs = n_jobs
        self.memory = memory
        self.on_error = on_error
        self.verbose = verbose
        self.batch_size = batch_size
        self.format_, meta, self._session = _read_metadata(self.path)
        if meta.get("format") != EXPORT_FORMAT:
            raise ValueError(f"{self.path!r} has export format {meta.get('format')!r}; this "
                             f"version of sklearn_maec reads {EXPORT_FORMAT!r}")
        self.metadata_ = meta
        classes = _decode(meta["classes"])
        self.classes_ = classes.astype(object) if classes.dtype.kind == "U" else classes
        if self._session is None:  # TorchScript
            import torch

            with _quiet_jit():
                self._module = torch.jit.load(self.path, map_location="cpu").eval()
        else:
            self._inputs = [i.name for i in self._session.get_inputs()]
        self.segmenter_ = None if meta["segmenter"] is None else \
            _rebuild_segmenter(meta["segmenter"])

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
        meta = self.metadata_
        if self.segmenter_ is not None and not (isinstance(X, pd.DataFrame)
                                                and "segments" in X.columns):
            seg = self.segmenter_.set_params(n_jobs=self.n_jobs, memory=self.memory,
                                             on_error=self.on_error, verbose=self.verbose)
            X = seg.transform(X)
        elif not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        explicit = all(f"{r}_segments" in X.columns for r in ("previous", "interlocutor"))
        if meta["use_context"] and not explicit and (
                meta["context_builder"] or not {"previous", "interlocutor"} <= set(X.columns)):
            from .context import ContextTripleBuilder

            # the positions of the turns in this X; a dialogue check against the training
            # data (the pipeline's fitted ContextTripleBuilder) has no meaning for new data
            X = ContextTripleBuilder(allow_split_dialogues=True).fit_transform(X)
        return X

    # ------------------------------------------------------------------ inference
    def _run(self, X):
        meta = self.metadata_
        data = frame_to_bags(self.prepare(X), meta["use_context"], "ExportedModel")
        if (data["window_frames"], data["n_lld"]) != (meta["window_frames"], meta["n_lld"]):
            raise ValueError(f"X has segments of {data['window_frames']} frames x "
                             f"{data['n_lld']} features, but the model was exported for "
                             f"{meta['window_frames']} x {meta['n_lld']}")
        n_rows = data.get("n_rows", len(data["bags"]))
        n_segments = np.fromiter((b.shape[0] for b in data["bags"]), np.int64,
                                 len(data["bags"]))
        groups = data.get("groups")
        if meta["batching"] == "dialogue" and groups is not None:
            order = np.lexsort((np.arange(n_rows), np.asarray(groups)[:n_rows]))
        else:
            order = np.argsort(n_segments[:n_rows], kind="stable")
        batch_size = self.batch_size or meta["batch_size"]
        if batch_size == -1:
            batch_size = max(n_rows, 1)
        outputs = {"logits": [], "proba": [], "z": []}
        for start in range(0, n_rows, batch_size):
            rows = order[start:start + batch_size]
            logits, proba, z = self._call(_collate(data, n_segments, rows, meta))
            outputs["logits"].append(logits)
            outputs["proba"].append(proba)
            outputs["z"].append(z)
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
            return self._session.run(["logits", "proba", "z"], feed)
        import torch

        with torch.no_grad():
            out = self._module(*(torch.from_numpy(inputs[k]) for k in _INPUT_ORDER))
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


def _collate(data, n_segments, rows, meta):
    """One batch in the exported network's layout (see :mod:`sklearn_maec._export`)."""
    refs = {"current": rows}
    if meta["use_context"]:
        refs["previous"] = data["previous"][rows]
        refs["interlocutor"] = data["interlocutor"][rows]
    distinct = np.unique(np.concatenate([r[r >= 0] for r in refs.values()]))
    lengths = n_segments[distinct]
    W, L = meta["window_frames"], meta["n_lld"]
    total = int(lengths.sum())
    # at least one segment row, so the graph can gather even when every bag is empty
    segments = np.zeros((max(total, 1), W, L), dtype=np.float32)
    frames = np.full(len(segments), W, dtype=np.int64)
    S = max(int(lengths.max(initial=0)), 1)
    bag_index = np.full((len(distinct), S), -1, dtype=np.int64)
    start = 0
    for k, (bag, n) in enumerate(zip(distinct, lengths, strict=True)):
        if n:
            segments[start:start + n] = data["bags"][bag]
            if data["n_frames"][bag] < W:
                frames[start] = max(int(data["n_frames"][bag]), 1)
            bag_index[k, :n] = np.arange(start, start + n)
            start += n
    inputs = {"segments": segments, "segment_frames": frames, "bag_index": bag_index}
    for role in ("current", "previous", "interlocutor"):
        ref = refs.get(role, np.full(len(rows), -1, np.int64))
        index = np.where(ref >= 0, np.searchsorted(distinct, np.maximum(ref, 0)), -1)
        inputs[role] = index.astype(np.int64)
    return inputs


def _rebuild_segmenter(meta):
    from ._opensmile import resolve_feature_set
    from .segmenter import OpenSmileSegmenter

    seg = OpenSmileSegmenter(**meta["params"])
    for name, value in meta["fitted"].items():
        setattr(seg, name, _decode(value))
    seg._spec = seg._check_params()
    stored = meta["spec"]
    spec = resolve_feature_set(seg.feature_set, seg.feature_level)
    if (spec.kind, spec.level, spec.digest) != (stored["kind"], stored["level"],
                                                 stored["digest"]):
        raise ValueError(
            f"the openSMILE configuration {seg.feature_set!r} here differs from the one the model "
            "was exported with (its content changed): the features would not be the ones the "
            "model was trained on")
    return seg


def load_exported(path, **kwargs):
    """Load a model written by :func:`export_pipeline` (no pickle, no skorch).

    Parameters
    ----------
    path : str or os.PathLike
        The exported ``.pt`` or ``.onnx`` file.
    **kwargs : dict
        Runtime options of :class:`ExportedModel` (``n_jobs``, ``memory``,
        ``on_error``, ``verbose``, ``batch_size``).

    Returns
    -------
    model : ExportedModel
        With ``predict``, ``predict_proba``, ``transform`` and ``classes_``.

    Examples
    --------
    >>> from sklearn_maec.deployment import load_exported
    >>> model = load_exported("maec.pt", n_jobs=2)           # doctest: +SKIP
    >>> model.predict_proba(X_new)                           # doctest: +SKIP
    """
    return ExportedModel(path, **kwargs)


def predict_from_export(path, X, **kwargs):
    """Emotion labels of the utterances of ``X`` from an exported model.

    Parameters
    ----------
    path : str or os.PathLike
        The exported ``.pt`` or ``.onnx`` file.
    X : pandas.DataFrame
        One row per utterance, as the pipeline takes it (``audio``,
        ``dialogue``, ``speaker``, ``start``; ``sampling_rate`` for arrays).
    **kwargs : dict
        Runtime options of :class:`ExportedModel`.

    Returns
    -------
    labels : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn_maec.deployment import predict_from_export
    >>> predict_from_export("maec.onnx", X_new)             # doctest: +SKIP
    """
    return load_exported(path, **kwargs).predict(X)
