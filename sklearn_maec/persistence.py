"""Saving and loading fitted models without pickle.

``joblib.dump`` / ``pickle`` store any Python object, and *loading* such a file
runs whatever code it names: never load one you did not make yourself.
:func:`save_model` writes a fitted :class:`~sklearn_maec.MAECClassifier`, or a
:class:`~sklearn.pipeline.Pipeline` of this package's steps (and a few plain
scikit-learn ones), as JSON metadata plus tensors; :func:`load_model` reads it
back with ``torch.load(weights_only=True)`` and rebuilds only the classes on an
allow-list, so a file from someone else cannot run code.  This is the format
to share models in.

What is stored: each step's class name, its JSON-representable parameters
(others, such as a ``joblib.Memory`` object, are left at their defaults), and
its fitted state (the attributes ending in ``_``: numbers, strings, arrays,
tables; the network weights for the classifier).  The segmenter's ``memory``
(a cache directory of the training machine) is not stored: a loaded model
caches nothing until given a ``memory`` of its own.
"""

import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._files import atomic_write
from ._state import encode_fitted, json_safe, restore_fitted
from .context import ContextTripleBuilder
from .features import FrameFunctionals, OpenSmileSegmenter
from .model import MAECClassifier

__all__ = ["save_model", "load_model", "FORMAT"]

FORMAT = "sklearn-maec-model/1"

# The classes a file may name; nothing else is ever constructed on load.
_ALLOWED = {cls.__name__: cls for cls in (
    OpenSmileSegmenter, ContextTripleBuilder, FrameFunctionals, MAECClassifier,
    StandardScaler, LogisticRegression,
)}


def save_model(model, path):
    """Save a fitted model in the pickle-free format.

    Parameters
    ----------
    model : MAECClassifier or sklearn.pipeline.Pipeline
        Fitted.  A pipeline's steps must be among ``OpenSmileSegmenter``,
        ``ContextTripleBuilder``, ``FrameFunctionals``, ``MAECClassifier``,
        ``StandardScaler`` and ``LogisticRegression``.
    path : str or os.PathLike
        Destination file (conventionally ``.maec``).

    Examples
    --------
    >>> from sklearn_maec.persistence import load_model, save_model
    >>> save_model(fitted_pipeline, "model.maec")          # doctest: +SKIP
    >>> pipe = load_model("model.maec")                     # doctest: +SKIP
    """
    steps = model.steps if isinstance(model, Pipeline) else [(None, model)]
    entries, tensors = [], {}
    for k, (name, est) in enumerate(steps):
        cls = type(est).__name__
        if _ALLOWED.get(cls) is not type(est):
            raise TypeError(f"cannot save step {name!r} of type {cls} in the pickle-free format "
                            f"(allowed: {sorted(_ALLOWED)}); use joblib.dump for it")
        if isinstance(est, MAECClassifier):
            meta, step_tensors = _classifier_state(est)
        else:
            fitted, arrays = encode_fitted(est)
            meta, step_tensors = {"params": _safe_params(est), "fitted": fitted}, \
                _to_tensors(arrays)
        entries.append({"name": name, "class": cls, **meta})
        tensors[str(k)] = step_tensors
    state = {"format": FORMAT, "pipeline": isinstance(model, Pipeline),
             "meta": json.dumps(entries), "tensors": tensors}
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_model(path, device="cpu"):
    """Load a model written by :func:`save_model`; no code from the file is run.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`save_model`.
    device : str, default="cpu"
        Where the classifier's weights go.

    Returns
    -------
    model : MAECClassifier or sklearn.pipeline.Pipeline
        Fitted, ready to predict.

    Examples
    --------
    >>> from sklearn_maec.persistence import load_model
    >>> pipe = load_model("model.maec")                     # doctest: +SKIP
    """
    try:
        with warnings.catch_warnings():  # torch's note on a foreign pickle: it is refused anyway
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            state = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # pickle opcodes beyond tensors, truncated file, ...
        raise ValueError(_load_failure(path, exc)) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not a file written by save_model")
    steps = []
    for k, entry in enumerate(json.loads(state["meta"])):
        cls = _ALLOWED.get(entry["class"])
        if cls is None:
            raise ValueError(f"{os.fspath(path)!r} names a class that is not allowed: "
                             f"{entry['class']!r}")
        tensors = state["tensors"][str(k)]
        if cls is MAECClassifier:
            est = _classifier_from_state(entry, tensors, device)
        else:
            est = restore_fitted(cls(**entry["params"]), entry["fitted"],
                                 _from_tensors(tensors))
        steps.append((entry["name"], est))
    return Pipeline(steps) if state["pipeline"] else steps[0][1]


def _load_failure(path, exc):
    """Why ``torch.load`` refused a file, in words (not torch's advice to unpickle it anyway)."""
    path = os.fspath(path)
    prefix = f"{path!r} is not a file written by save_model"
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as err:
        return f"cannot read {path!r}: {err.strerror or err}"
    if size == 0:
        return f"{prefix}: it is empty (0 bytes)"
    if head.startswith(b"PK"):
        if isinstance(exc, pickle.UnpicklingError) and zipfile.is_zipfile(path):
            return (f"{prefix}: it holds objects other than tensors and plain values, which "
                    "are refused without being run")
        return (f"{prefix}: it is truncated or damaged ({size} bytes, not a complete "
                "archive); save the model again or copy the whole file")
    if head[:1] == b"\x80":
        return (f"{prefix}: it is a pickle (as joblib.dump writes); load it with joblib.load "
                "only if you trust where it comes from (loading a pickle can run code), and "
                "share models with save_model")
    return f"{prefix}: it does not start like one (first bytes {head!r})"


def _safe_params(est):
    params = {k: v for k, v in est.get_params(deep=False).items() if json_safe(v)}
    if isinstance(est, OpenSmileSegmenter):  # a cache directory of this machine: not the model's
        params.pop("memory", None)
    return params


def _to_tensors(arrays):
    # torch has no unsigned 64-bit tensors: such arrays travel as int64 (decode views them back)
    return {name: torch.from_numpy(np.require(a.view(np.int64) if a.dtype == np.uint64 else a,
                                              requirements=["C", "W"]))
            for name, a in arrays.items()}


def _from_tensors(tensors):
    return {name: t.numpy() for name, t in tensors.items()}


def _classifier_state(clf):
    """A fitted classifier's parameters, fitted metadata and weights: (JSON-safe dict, tensors)."""
    check_is_fitted(clf)
    params = _safe_params(clf)
    fitted = {
        "classes": clf.classes_.tolist(),
        "n_lld": int(clf.n_features_in_),
        "window_frames": int(clf.window_frames_),
        "stride_frames": int(clf.stride_frames_),
        "has_gender": bool(clf.has_gender_),
        "class_counts": clf.class_counts_.tolist(),
    }
    tensors = {f"module.{k}": v.detach().cpu() for k, v in clf.module_.state_dict().items()}
    tensors.update({f"discriminator.{k}": v.detach().cpu()
                    for k, v in clf.discriminator_.state_dict().items()})
    return {"params": params, "fitted": fitted}, tensors


def _classifier_from_state(meta, tensors, device="cpu"):
    """Rebuild a fitted classifier from :func:`_classifier_state`'s output."""
    model = MAECClassifier(**dict(meta["params"], device=device))
    fitted = meta["fitted"]
    classes = np.asarray(fitted["classes"])
    model.classes_inferred_ = classes.astype(object) if classes.dtype.kind == "U" else classes
    model.n_features_in_ = fitted["n_lld"]
    model.window_frames_ = fitted["window_frames"]
    model.stride_frames_ = fitted["stride_frames"]
    model.has_gender_ = fitted["has_gender"]
    model.class_counts_ = np.asarray(fitted["class_counts"])
    model.random_seed_ = 0
    model.initialize()
    for prefix, module in (("module.", model.module_),
                           ("discriminator.", model.discriminator_)):
        module.load_state_dict({k[len(prefix):]: v.to(device) for k, v in tensors.items()
                                if k.startswith(prefix)})
    return model
