"""Exporting a fitted MAEC pipeline: the inference network and its metadata in one file.

Needs torch (it reads the fitted estimator); :mod:`._runtime` reads the file
without skorch, and an ``.onnx`` file without torch.
"""

import copy
import json
import logging
import os
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._files import atomic_write
from .._validation import check_option
from ._format import (
    EXPORT_FORMAT,
    INPUT_NAMES,
    METADATA_KEY,
    OUTPUT_NAMES,
    encode_classes,
    quiet_jit,
    segmenter_metadata,
)

__all__ = ["export_pipeline"]

logger = logging.getLogger(__name__)

_SUFFIXES = {".pt": "torchscript", ".onnx": "onnx"}


def export_pipeline(model, path, *, format=None):
    """Export a fitted MAEC pipeline (or classifier) for inference without skorch.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline or MAECClassifier
        Fitted.  A pipeline ends with a :class:`~sklearn_maec.MAECClassifier`,
        preceded by a segmenter (:class:`~sklearn_maec.OpenSmileSegmenter` or
        :class:`~sklearn_maec.PretrainedSegmenter`) and optionally a
        :class:`~sklearn_maec.ContextTripleBuilder` (no other steps).  With the
        segmenter, the exported file predicts from audio; a bare classifier's
        file predicts from segmented DataFrames (the ``segments`` column) only.
        A pretrained encoder is not put in the file: the file holds its
        checkpoint's path and content digest, and predicting from audio runs
        it from that checkpoint (with torch and transformers; see
        :class:`ExportedModel`'s ``encoder``).
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
    >>> from sklearn_maec.deployment import ExportedModel, export_pipeline
    >>> export_pipeline(fitted_pipeline, "maec.pt")               # doctest: +SKIP
    >>> ExportedModel("maec.pt").predict(X_new)                   # doctest: +SKIP
    """
    from sklearn.pipeline import Pipeline

    from ..context import ContextTripleBuilder
    from ..features import OpenSmileSegmenter, PretrainedSegmenter
    from ..model import MAECClassifier

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
        if isinstance(step, (OpenSmileSegmenter, PretrainedSegmenter)) and k == 0:
            segmenter = step
        elif isinstance(step, ContextTripleBuilder) and context is None:
            context = step
        else:
            raise TypeError(
                f"cannot export step {name!r} ({type(step).__name__}): an exported pipeline is "
                "a segmenter (OpenSmileSegmenter or PretrainedSegmenter), optionally "
                "ContextTripleBuilder, then MAECClassifier")
    return _export_classifier(clf, path, format=format, segmenter=segmenter,
                              context_builder=context is not None)


def _export_classifier(classifier, path, *, format=None, segmenter=None, context_builder=None):
    """Export a fitted classifier, optionally with the segmenter that feeds it.

:func:`export_pipeline` finds the steps of a pipeline.

    Parameters
    ----------
    classifier : MAECClassifier
        Fitted.
    path : str or os.PathLike
        Destination file.
    format : {"torchscript", "onnx"} or None, default=None
        None infers it from the suffix (``.pt`` or ``.onnx``).
    segmenter : OpenSmileSegmenter, PretrainedSegmenter or None, default=None
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

    from ..model._inference import ExportNetwork
    from ..model.nn import MAECNetwork

    check_is_fitted(classifier)
    path = os.fspath(path)
    format = _check_format(format, path)
    if segmenter is not None:
        _check_segmenter(segmenter, classifier)
    if context_builder is None:
        context_builder = bool(classifier.use_context_ and segmenter is not None)
    metadata = _metadata(classifier, segmenter, bool(context_builder))
    module = module_of(classifier)
    if not isinstance(module, MAECNetwork):
        raise TypeError(f"export supports the MAECNetwork module, not {type(module).__name__}")
    # a CPU copy: the fitted estimator's own module stays where and as it is
    net = ExportNetwork(copy.deepcopy(module).to("cpu").eval())
    static_sizes = {d for p in net.state_dict().values() for d in p.shape}
    example = _example_inputs(classifier.window_frames_, metadata["n_lld"], metadata["frame_gap"],
                              classifier.stride_frames_, torch, avoid=static_sizes)
    with torch.no_grad():
        if format == "torchscript":
            with quiet_jit():
                scripted = torch.jit.script(net)
                extra = {METADATA_KEY: json.dumps(metadata)}
                atomic_write(path, lambda tmp: torch.jit.save(scripted, tmp, _extra_files=extra))
        else:
            _export_onnx(net, example, path, metadata, INPUT_NAMES, OUTPUT_NAMES, torch)
    logger.info("exported %s to %s (%s, %d bytes)", type(classifier).__name__, path, format,
                os.path.getsize(path))
    return path


def _check_format(format, path):
    if format is None:
        suffix = os.path.splitext(path)[1].lower()
        if suffix not in _SUFFIXES:
            raise ValueError(f"cannot infer the export format from {path!r}: name the file "
                             "*.pt (TorchScript) or *.onnx (ONNX), or pass format=")
        return _SUFFIXES[suffix]
    return check_option("format", format, ("torchscript", "onnx", None))


def _check_segmenter(segmenter, classifier):
    check_is_fitted(segmenter, "segmentation_")
    shape = (segmenter.segmentation_.window_frames, segmenter._width)
    if shape != (classifier.window_frames_, classifier.n_features_in_):
        raise ValueError(f"the segmenter cuts segments of {shape[0]} frames x {shape[1]} "
                         "features, "
                         f"but the classifier was fitted on {classifier.window_frames_} x "
                         f"{classifier.n_features_in_}")
    if not segmenter.segmentation_.cuts_like(classifier.segmentation_):
        raise ValueError(f"the segmenter cuts the bags as {segmenter.segmentation_!r}, but the "
                         f"classifier was fitted on bags cut as {classifier.segmentation_!r}")


def _metadata(classifier, segmenter, context_builder):
    import torch

    from .._version import __version__
    from ..persistence import BAG_SHAPE, classifier_fitted

    batch_size = classifier.get_params_for("iterator_valid").get("batch_size",
                                                                  classifier.batch_size)
    return {
        "format": EXPORT_FORMAT,
        "classes": encode_classes(classifier.classes_),
        **classifier_fitted(classifier, BAG_SHAPE),
        # the segmentation's window and stride again, for readers of the file (the runtime
        # reads "segmentation")
        "window_frames": int(classifier.window_frames_),
        "stride_frames": int(classifier.stride_frames_),
        "latent_dim": int(classifier.latent_dim),
        "use_context": bool(classifier.use_context_),
        "context_builder": context_builder,
        "batching": classifier.batching,
        "batch_size": int(batch_size),
        "frame_gap": int(module_of(classifier).frame_gap),
        "segmenter": None if segmenter is None else segmenter_metadata(segmenter),
        "sklearn_maec_version": __version__,
        "torch_version": torch.__version__,
    }


def module_of(classifier):
    """The classifier's network (unwrapped when ``torch.compile`` wrapped it)."""
    return getattr(classifier.module_, "_orig_mod", classifier.module_)


def _probe_batch(lengths, refs, window_frames, n_lld, gap, stride, torch, seed=0):
    """The padded batch layout of random bags of ``lengths`` segments, as tensors.

    ``refs`` gives the samples' ``current``, ``previous`` and ``interlocutor``
    bags; a bag of one segment is a short utterance (half a window).
    """
    from .._batching import BagTable, pack_bags

    rng = np.random.default_rng(seed)
    frames = [rng.standard_normal(((n - 1) * stride + window_frames if n > 1 else
                                   max(window_frames // 2, 1) if n else 0, n_lld))
              .astype(np.float32) for n in lengths]
    bags = np.empty(len(lengths), dtype=object)
    bags[:] = [np.zeros((n, window_frames, n_lld), np.float32) for n in lengths]
    frame_array = np.empty(len(lengths), dtype=object)
    frame_array[:] = frames
    table = BagTable(bags, frame_array, window_frames, n_lld, stride)
    batch = pack_bags(table, dict(zip(("current", "previous", "interlocutor"), refs,
                                      strict=True)), gap=gap, padded=True)
    return tuple(torch.from_numpy(batch[name]) for name in INPUT_NAMES)


def _example_inputs(window_frames, n_lld, gap, stride, torch, avoid=()):
    """A small batch whose dynamic sizes are distinct from each other and from ``avoid``.

    The ONNX exporter traces with these; a dynamic size whose example value
    equals a fixed size of the network (channels, classes, ...) can end up
    specialised to that value, so the numbers of bags, of samples and the
    longest bag are distinct unused primes, and the bags include an empty one
    and a short utterance.
    """
    taken = {int(a) for a in avoid} | {window_frames, n_lld}
    primes = [p for p in range(5, 200) if all(p % d for d in range(2, p)) and p not in taken]
    S, U, B = primes[:3]  # segments of the longest bag, bags, samples
    lengths = [S] + [max(S - 2 - k, 1) for k in range(U - 2)] + [0]  # a short and an empty bag
    lengths[-2] = 1
    current = np.arange(B) % U
    previous = np.arange(B) % (U + 1) - 1
    interlocutor = (np.arange(B) * 3) % (U + 1) - 1
    return _probe_batch(lengths, (current, previous, interlocutor), window_frames, n_lld, gap,
                        stride, torch)


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
    dynamic = {"frames": {0: "frames"}, "frame_valid": {0: "frames"},
               "segment_starts": {0: "segments"}, "segment_frames": {0: "segments"},
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
    atomic_write(path, lambda tmp: onnx.save_model(proto, tmp, format="protobuf"))


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
    frames, _, _, _, bag_index, *_ = example
    segment = net.enc_current.segment
    W, stride, L = segment.window_frames, segment.stride_frames, frames.shape[1]
    probes = [  # (bag lengths, current, previous, interlocutor): other sizes than the example
        ([1], [0], [-1], [-1]),
        ([bag_index.shape[1] + 4, 2, 0], [0, 1, 2, 0], [-1, 0, 1, 2], [2, -1, 0, 1]),
    ]
    gap = int(torch.nonzero(example[1])[0, 0])  # the example's leading gap is the layout's
    for k, (lengths, *refs) in enumerate(probes):
        inputs = _probe_batch(lengths, [np.asarray(r) for r in refs], W, L, gap, stride, torch,
                              seed=k + 1)
        with torch.no_grad():
            expected = net(*inputs)[1].numpy()
        feed = {name: t.numpy() for name, t in zip(INPUT_NAMES, inputs, strict=True)
                if name in names}
        got = session.run(["proba"], feed)[0]
        if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-5, rtol=0):
            raise RuntimeError("the exported ONNX graph does not reproduce the network on "
                               "other batch sizes; export to TorchScript (.pt) instead")
