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
tables; the network weights for the classifier).
"""

import json
import os
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ._files import atomic_write as _atomic_write
from .classifier import MAECClassifier, _json_safe
from .context import ContextTripleBuilder
from .functionals import FrameFunctionals
from .segmenter import OpenSmileSegmenter

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
            meta, step_tensors = est._export_state()
        else:
            meta, step_tensors = _export_attributes(est)
            meta = {"params": _safe_params(est), "fitted": meta}
        entries.append({"name": name, "class": cls, **meta})
        tensors[str(k)] = step_tensors
    state = {"format": FORMAT, "pipeline": isinstance(model, Pipeline),
             "meta": json.dumps(entries), "tensors": tensors}
    _atomic_write(path, lambda tmp: torch.save(state, tmp))


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
    except Exception as exc:  # pickle opcodes beyond tensors, truncated file, ...
        raise ValueError(f"{os.fspath(path)!r} is not a file written by save_model: {exc}") \
            from None
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
            est = MAECClassifier._from_state(entry, tensors, device)
        else:
            est = cls(**entry["params"])
            _import_attributes(est, entry["fitted"], tensors)
        steps.append((entry["name"], est))
    return Pipeline(steps) if state["pipeline"] else steps[0][1]


def _safe_params(est):
    return {k: v for k, v in est.get_params(deep=False).items() if _json_safe(v)}


def _export_attributes(est):
    """Fitted attributes as (JSON metadata, tensors)."""
    meta, tensors = {}, {}
    for name, value in vars(est).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        meta[name] = _encode(value, name, tensors)
    return meta, tensors


def _encode(value, name, tensors):
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"kind": "json", "value": value}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return {"kind": "json", "value": value.item()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            arr = value.view(np.int64) if value.dtype == np.uint64 else value
            tensors[name] = torch.from_numpy(np.require(arr, requirements=["C", "W"]))
            return {"kind": "array", "dtype": value.dtype.str}
        items = [v.item() if isinstance(v, np.generic) else v for v in value.ravel()]
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in items):
            raise TypeError(f"cannot store attribute {name}: an array of non-scalar objects")
        return {"kind": "objects", "value": items, "shape": list(value.shape)}
    if isinstance(value, pd.DataFrame):
        columns = {}
        for col in value.columns:
            columns[str(col)] = _encode(value[col].to_numpy(), f"{name}.{col}", tensors)
        return {"kind": "frame", "index": _encode(value.index.to_numpy(), f"{name}.index", tensors),
                "index_name": value.index.name, "columns": columns}
    if isinstance(value, (list, tuple)) and _json_safe(list(value)):
        return {"kind": "json", "value": list(value)}
    raise TypeError(f"cannot store attribute {name} of type {type(value).__name__}")


def _decode(spec, name, tensors):
    kind = spec["kind"]
    if kind == "json":
        return spec["value"]
    if kind == "array":
        arr = tensors[name].numpy()
        dtype = np.dtype(spec["dtype"])
        return arr.view(dtype) if dtype == np.uint64 else arr.astype(dtype, copy=False)
    if kind == "objects":
        arr = np.empty(len(spec["value"]), dtype=object)
        arr[:] = spec["value"]
        return arr.reshape(spec["shape"])
    if kind == "frame":
        data = {col: _decode(s, f"{name}.{col}", tensors) for col, s in spec["columns"].items()}
        index = _decode(spec["index"], f"{name}.index", tensors)
        return pd.DataFrame(data, index=pd.Index(index, name=spec["index_name"]))
    raise ValueError(f"unknown attribute kind {kind!r}")


def _import_attributes(est, meta, tensors):
    for name, spec in meta.items():
        setattr(est, name, _decode(spec, name, tensors))
    if isinstance(est, OpenSmileSegmenter):
        est._spec = est._check_params()
