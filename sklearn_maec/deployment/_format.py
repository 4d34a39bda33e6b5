"""What an exported file holds beside the network: the metadata, written and read here.

The metadata is one JSON document (a TorchScript extra file, or an ONNX
``metadata_props`` entry): the emotion labels, the bag shape, the context and
batching settings, and the segmenter's parameters and fitted state (through the
package's one codec of fitted state, :mod:`sklearn_maec._state`).  No torch.
"""

import contextlib
import warnings

import numpy as np

from .._state import (
    arrays_from_json,
    arrays_to_json,
    decode,
    encode,
    encode_fitted,
    json_safe,
    labels_as_objects,
    restore_fitted,
    stored_params,
)

__all__ = ["EXPORT_FORMAT", "METADATA_KEY", "INPUT_NAMES", "OUTPUT_NAMES", "segmenter_metadata",
           "rebuild_segmenter", "encode_classes", "decode_classes", "quiet_jit"]

#: Format tag of the metadata (bumped when its meaning changes).
EXPORT_FORMAT = "sklearn-maec-export/2"
#: Name of the metadata: the TorchScript extra file, the ONNX ``metadata_props`` key.
METADATA_KEY = "sklearn_maec.json"
#: The exported network's inputs (the padded batch layout of ``_batching.collate``), in order.
INPUT_NAMES = ("frames", "frame_valid", "segment_starts", "segment_frames", "bag_index",
               "current", "previous", "interlocutor")
#: Its outputs.
OUTPUT_NAMES = ("logits", "proba", "z")
#: Segmenter parameters that are runtime choices of the machine that predicts, not of the model
#: (its machine-local ``memory`` is never stored: :func:`sklearn_maec._state.stored_params`):
#: openSMILE's jobs, a pretrained encoder's threads, device and batch size, and for both what
#: to do with bad audio and the progress output.
RUNTIME_PARAMS = ("n_jobs", "n_threads", "device", "batch_size", "on_error", "verbose")
#: The segmenters an export may hold, by the class name its metadata stores.
SEGMENTERS = ("OpenSmileSegmenter", "PretrainedSegmenter")


def encode_classes(classes):
    """The emotion labels as JSON."""
    arrays = {}
    spec = encode(np.asarray(classes), "classes", arrays)
    return {"spec": spec, "arrays": arrays_to_json(arrays)}


def decode_classes(stored):
    """The labels :func:`encode_classes` stored (str labels as an object array)."""
    return labels_as_objects(decode(stored["spec"], "classes", arrays_from_json(stored["arrays"])))


def segmenter_metadata(segmenter):
    """A fitted segmenter's class, parameters (the model's, not the runtime's) and fitted state."""
    params = {k: v for k, v in stored_params(segmenter).items() if k not in RUNTIME_PARAMS}
    feature_set = params.get("feature_set")
    if feature_set is not None and not isinstance(feature_set, str):  # opensmile.FeatureSet
        params["feature_set"] = feature_set.name
    if params.get("feature_level") is not None and not isinstance(params["feature_level"], str):
        params["feature_level"] = params["feature_level"].name
    unsafe = sorted(k for k, v in params.items() if not json_safe(v))
    if unsafe:
        raise TypeError(f"cannot export the segmenter's parameters {unsafe}: not JSON values")
    fitted, arrays = encode_fitted(segmenter)
    return {"class": type(segmenter).__name__, "params": params, "fitted": fitted,
            "arrays": arrays_to_json(arrays)}


def rebuild_segmenter(stored):
    """The fitted segmenter :func:`segmenter_metadata` describes (openSMILE in older files)."""
    from .. import features

    name = stored.get("class", "OpenSmileSegmenter")
    if name not in SEGMENTERS:
        raise ValueError(f"the exported file names a segmenter that is not allowed: {name!r}")
    segmenter = getattr(features, name)(**stored["params"])
    return restore_fitted(segmenter, stored["fitted"], arrays_from_json(stored["arrays"]))


@contextlib.contextmanager
def quiet_jit():
    """Silence torch's notice that TorchScript is deprecated (it still works in torch 2.x).

    TorchScript is the torch-native format that keeps the GRU's sequence length
    dynamic (``torch.export`` specialises it); ONNX is the format to prefer for
    the long run.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit.* is deprecated",
                                category=DeprecationWarning)
        yield
