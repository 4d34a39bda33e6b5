"""The one codec of fitted state: estimators' attributes as JSON plus numeric arrays.

A fitted transformer's state is its attributes ending in ``_`` (scikit-learn's
convention).  :func:`encode_fitted` turns them into JSON-safe metadata plus a
dict of numeric arrays, and :func:`restore_fitted` sets them back; the
pickle-free model files (:mod:`sklearn_maec.persistence`, arrays stored as
tensors) and the exported models (:mod:`sklearn_maec.deployment`, arrays as
JSON through :func:`arrays_to_json`) both use it.  Nothing here constructs an
object other than numbers, strings, arrays, tables and the record types the
estimator itself declares (its ``_fitted_records``), so reading a file never
runs code.  Which parameters are left out of a stored model is the estimator's
declaration too (its ``_machine_local_params``, read by :func:`stored_params`).

Numpy and pandas only: the deployment runtime reads it without torch; and it
imports nothing of the package, so every layer above may use it.
"""

import contextlib
import os

import numpy as np
import pandas as pd

__all__ = ["json_safe", "encode_fitted", "restore_fitted", "encode", "decode",
           "arrays_to_json", "arrays_from_json", "labels_as_objects", "stored_params",
           "without_machine_local_params"]


def _records(estimator):
    """The record types (``to_dict`` / ``from_dict``) ``estimator``'s fitted attributes may hold."""
    return {cls.__name__: cls for cls in getattr(estimator, "_fitted_records", ())}


def _machine_local(estimator):
    """The parameters of ``estimator`` that name a place on the machine that fitted it."""
    return tuple(getattr(estimator, "_machine_local_params", ()))


def stored_params(estimator):
    """``estimator``'s own parameters as a stored model keeps them: the machine-local ones left out.

    An estimator lists its machine-local parameters in ``_machine_local_params``
    (the segmenter's ``memory``, a cache directory of the machine that fitted
    it): no model file or export holds them, so a loaded model never creates or
    reads another machine's cache.  Paths become strings and numpy scalars
    Python numbers (in lists and tuples too), so they are stored as JSON.
    """
    local = _machine_local(estimator)
    return {k: _plain(v) for k, v in estimator.get_params(deep=False).items() if k not in local}


def _plain(value):
    """A path as a str, a numpy scalar as a Python number (in lists and tuples too)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


@contextlib.contextmanager
def without_machine_local_params(model):
    """Set the machine-local parameters of ``model`` (or of its steps) to None for a while.

    For formats that store the whole object (joblib): inside the block the model
    holds no machine-local parameter; they are put back when it ends.
    """
    estimators = [step for _, step in getattr(model, "steps", [(None, model)])]
    saved = [(est, {k: getattr(est, k) for k in _machine_local(est)}) for est in estimators]
    try:
        for est, params in saved:
            if params:
                est.set_params(**dict.fromkeys(params))
        yield model
    finally:
        for est, params in saved:
            if params:
                est.set_params(**params)


def labels_as_objects(labels):
    """Labels read back from a file: str labels as an object array (as ``fit`` infers them)."""
    return labels.astype(object) if labels.dtype.kind == "U" else labels


def json_safe(value):
    """Whether ``value`` is JSON as it is: None, bool, int, float, str, lists, str-keyed dicts."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_safe(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(json_safe(v) for v in value)
    return False


def encode(value, name, arrays, records=None):
    """A fitted value as JSON; numeric arrays go into ``arrays[name]`` (and ``name.*``).

    ``records`` maps the names of the record types the value may be (or hold)
    to the types.

    Raises
    ------
    TypeError
        For a value of a kind the codec does not store, naming the attribute.
    """
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        value = value.item()
    if json_safe(value):
        return {"kind": "json", "value": list(value) if isinstance(value, tuple) else value}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            arrays[name] = value
            return {"kind": "array", "dtype": value.dtype.str}
        items = [v.item() if isinstance(v, np.generic) else v for v in value.ravel()]
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in items):
            raise TypeError(f"cannot store attribute {name}: an array of non-scalar objects")
        return {"kind": "objects", "value": items, "shape": list(value.shape)}
    if isinstance(value, pd.DataFrame):
        columns = {str(col): encode(value[col].to_numpy(), f"{name}.{col}", arrays, records)
                   for col in value.columns}
        return {"kind": "frame", "index": encode(value.index.to_numpy(), f"{name}.index", arrays),
                "index_name": value.index.name, "columns": columns}
    records = records or {}
    if type(value).__name__ in records and isinstance(value, records[type(value).__name__]):
        return {"kind": "record", "type": type(value).__name__, "fields": value.to_dict()}
    raise TypeError(f"cannot store attribute {name} of type {type(value).__name__}")


def decode(spec, name, arrays, records=None):
    """The value :func:`encode` stored as ``spec`` (arrays looked up in ``arrays``).

    Only the record types in ``records`` (by name) are ever constructed.
    """
    kind = spec["kind"]
    if kind == "json":
        return spec["value"]
    if kind == "array":
        arr = np.asarray(arrays[name])
        dtype = np.dtype(spec["dtype"])
        if arr.dtype != dtype and arr.dtype.itemsize == dtype.itemsize and dtype.kind == "u":
            return arr.view(dtype)  # stored as the signed type of the same width
        return arr.astype(dtype, copy=False)
    if kind == "objects":
        arr = np.empty(len(spec["value"]), dtype=object)
        arr[:] = spec["value"]
        return arr.reshape(spec["shape"])
    if kind == "frame":
        data = {col: decode(s, f"{name}.{col}", arrays, records)
                for col, s in spec["columns"].items()}
        index = decode(spec["index"], f"{name}.index", arrays)
        return pd.DataFrame(data, index=pd.Index(index, name=spec["index_name"]))
    if kind == "record":
        cls = (records or {}).get(spec["type"])
        if cls is None:
            raise ValueError(f"attribute {name}: unknown record type {spec['type']!r}")
        return cls.from_dict(spec["fields"])
    raise ValueError(f"attribute {name}: unknown kind {kind!r}")


def encode_fitted(estimator):
    """``(metadata, arrays)`` of the fitted attributes (``name_``) of ``estimator``."""
    meta, arrays, records = {}, {}, _records(estimator)
    for name, value in vars(estimator).items():
        if name.endswith("_") and not name.startswith("_"):
            meta[name] = encode(value, name, arrays, records)
    return meta, arrays


def restore_fitted(estimator, meta, arrays):
    """Set the attributes :func:`encode_fitted` stored back on ``estimator``; returns it."""
    records = _records(estimator)
    for name, spec in meta.items():
        setattr(estimator, name, decode(spec, name, arrays, records))
    return estimator


def arrays_to_json(arrays):
    """Numeric arrays as JSON (dtype, shape, values), for formats that hold text only."""
    return {name: {"dtype": a.dtype.str, "shape": list(a.shape), "data": a.ravel().tolist()}
            for name, a in arrays.items()}


def arrays_from_json(stored):
    """The arrays :func:`arrays_to_json` wrote."""
    return {name: np.asarray(a["data"], dtype=np.dtype(a["dtype"])).reshape(a["shape"])
            for name, a in stored.items()}
