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
(paths as strings; others, such as a ``joblib.Memory`` object, are left at
their defaults), and its fitted state (the attributes ending in ``_``: numbers,
strings, arrays, tables; the network weights for the classifier).  The
segmenter's ``memory`` (a cache directory of the training machine) is not
stored: a loaded model caches nothing until given a ``memory`` of its own.  A
:class:`~sklearn_maec.PretrainedSegmenter` keeps the path of its checkpoint as
it was given and the checkpoint's content digest, never the weights: where the
checkpoint is elsewhere (or was changed), loading warns and predicting raises,
both saying how to point the model at it (``set_params(segment__encoder=PATH)``).

:func:`save_model_file` and :func:`load_model_file` are the one way to save and
load a model file of either kind: the pickle-free format for ``.maec`` names,
joblib for any other; a file is told by its content when loaded, and a pickle
is only loaded when the caller allows it.
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
from ._provenance import environment
from ._state import (
    encode_fitted,
    json_safe,
    labels_as_objects,
    restore_fitted,
    stored_params,
    without_machine_local_params,
)
from ._threads import effective_n_threads
from .context import ContextTripleBuilder
from .exceptions import MAECWarning, caller_stacklevel
from .features import FrameFunctionals, OpenSmileSegmenter, PretrainedSegmenter, Segmentation
from .features._segments import stored_segmentation
from .model import MAECClassifier

__all__ = ["save_model", "load_model", "save_model_file", "load_model_file", "model_file_kind",
           "model_provenance", "FORMAT", "PICKLE_FREE_SUFFIXES"]

FORMAT = "sklearn-maec-model/1"
#: Names of model files in the pickle-free format (:func:`save_model_file` uses joblib otherwise).
PICKLE_FREE_SUFFIXES = (".maec",)
#: The classifier's fitted attributes beside its weights, by the key a model file stores each
#: under; an export (:mod:`sklearn_maec.deployment`) stores the :data:`BAG_SHAPE` ones.  The
#: segmentation is stored as its fields (``Segmentation.to_dict``).
CLASSIFIER_FITTED = {
    "classes": "classes_",
    "n_lld": "n_features_in_",
    "segmentation": "segmentation_",
    "has_gender": "has_gender_",
    "use_context": "use_context_",
    "class_counts": "class_counts_",
}
#: The bag shape the classifier learns in fit (keys of :data:`CLASSIFIER_FITTED`).
BAG_SHAPE = ("n_lld", "segmentation")

# The classes a file may name; nothing else is ever constructed on load.
_ALLOWED = {cls.__name__: cls for cls in (
    OpenSmileSegmenter, PretrainedSegmenter, ContextTripleBuilder, FrameFunctionals,
    MAECClassifier, StandardScaler, LogisticRegression,
)}


def save_model(model, path):
    """Save a fitted model in the pickle-free format.

    Parameters
    ----------
    model : MAECClassifier or sklearn.pipeline.Pipeline
        Fitted.  A pipeline's steps must be among ``OpenSmileSegmenter``,
        ``PretrainedSegmenter`` (its checkpoint is not stored: its path and
        digest are), ``ContextTripleBuilder``, ``FrameFunctionals``,
        ``MAECClassifier``, ``StandardScaler`` and ``LogisticRegression``.
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
    # "provenance": a key readers of the format that predate it never look at; its torch
    # threads are those the classifier's n_threads runs it with
    classifier = steps[-1][1]
    threads = effective_n_threads(classifier.n_threads) \
        if isinstance(classifier, MAECClassifier) else None
    state = {"format": FORMAT, "pipeline": isinstance(model, Pipeline),
             "meta": json.dumps(entries), "tensors": tensors,
             "provenance": json.dumps(environment(threads))}
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def _read_state(path):
    """The dictionary a file written by :func:`save_model` holds (tensors loaded, no code run)."""
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
    return state


def model_provenance(path):
    """What a model file was saved with: the library versions and the machine's threads.

    :func:`save_model` records them beside the model; the model's own
    parameters (epochs, seed, ...) are in the loaded model's ``get_params()``.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`save_model`.

    Returns
    -------
    provenance : dict
        ``{"versions": {"sklearn-maec": ..., "python": ..., "torch": ...,
        "skorch": ..., "scikit-learn": ..., "numpy": ..., "pandas": ...,
        "opensmile": ...}, "threads": {"cpu_count": ..., "torch_num_threads":
        ...}}``; empty for a file saved before the format recorded it.

    Examples
    --------
    >>> from sklearn_maec.persistence import model_provenance
    >>> model_provenance("model.maec")["versions"]["torch"]      # doctest: +SKIP
    '2.13.0'
    """
    return json.loads(_read_state(path).get("provenance", "{}"))


def load_model(path, device="cpu"):
    """Load a model written by :func:`save_model`; no code from the file is run.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`save_model`.
    device : str, default="cpu"
        Where the classifier's weights go, and where a pretrained encoder runs
        (a :class:`~sklearn_maec.PretrainedSegmenter`'s ``device``).

    Returns
    -------
    model : MAECClassifier or sklearn.pipeline.Pipeline
        Fitted, ready to predict.

    Warns
    -----
    MAECWarning
        When a :class:`~sklearn_maec.PretrainedSegmenter`'s checkpoint is not
        at the path stored, or its content differs from the one it was fitted
        on; the message says how to point the model at it.

    Examples
    --------
    >>> from sklearn_maec.persistence import load_model
    >>> pipe = load_model("model.maec")                     # doctest: +SKIP
    """
    state = _read_state(path)
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
            params = entry["params"]
            if cls is PretrainedSegmenter:
                params = dict(params, device=device)
            est = restore_fitted(cls(**params), entry["fitted"], _from_tensors(tensors))
            if cls is PretrainedSegmenter:
                _check_checkpoint(est, entry["name"])
        steps.append((entry["name"], est))
    return Pipeline(steps) if state["pipeline"] else steps[0][1]


def save_model_file(model, path):
    """Save a fitted model: the pickle-free format for a ``.maec`` name, joblib otherwise.

    Either way the model is saved without its machine-local parameters (the
    segmenter's ``memory``, a cache directory of this machine), so a model file
    moved elsewhere never creates or reads this machine's cache; ``model``
    itself keeps them.  The file is written whole or not at all (a failed save
    leaves an existing file as it was).

    Parameters
    ----------
    model : estimator or sklearn.pipeline.Pipeline
        Fitted.  For a ``.maec`` name, what :func:`save_model` accepts; any
        picklable model otherwise.
    path : str or os.PathLike
        Destination file; a name ending in one of :data:`PICKLE_FREE_SUFFIXES`
        chooses the pickle-free format.

    Raises
    ------
    TypeError
        For a ``.maec`` name, a step the pickle-free format cannot store.

    Examples
    --------
    >>> from sklearn_maec.persistence import load_model_file, save_model_file
    >>> save_model_file(fitted_pipeline, "model.maec")       # doctest: +SKIP
    >>> save_model_file(fitted_pipeline, "model.joblib")     # doctest: +SKIP
    >>> pipe = load_model_file("model.maec")                 # doctest: +SKIP
    """
    import joblib

    with without_machine_local_params(model):
        if os.fspath(path).endswith(PICKLE_FREE_SUFFIXES):
            save_model(model, path)
        else:  # never a half-written file, nor a good one clobbered by a failed save
            atomic_write(path, lambda tmp: joblib.dump(model, tmp))


def model_file_kind(path):
    """Whether a model file is in the pickle-free format or a pickle, told by name and content.

    A file named ``.maec`` (a name that promises no code) or starting like a zip
    archive is read as the pickle-free format, whatever its content turns out
    to be; anything else is a pickle.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    kind : {"pickle-free", "pickle"}

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    IsADirectoryError
        When ``path`` is a directory.
    OSError
        When the file cannot be read.
    ValueError
        When a file that is not named ``.maec`` is empty.

    Examples
    --------
    >>> from sklearn_maec.persistence import model_file_kind
    >>> model_file_kind("model.joblib")                      # doctest: +SKIP
    'pickle'
    """
    if os.path.isdir(path):
        raise IsADirectoryError(f"model file {path!r} is a directory")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file not found: {path!r}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise OSError(f"cannot read the model file {path!r}: {exc.strerror or exc}") from None
    if os.fspath(path).endswith(PICKLE_FREE_SUFFIXES) or head.startswith(b"PK"):
        return "pickle-free"
    if not head:
        raise ValueError(f"cannot load {path!r}: the file is empty (0 bytes)")
    return "pickle"


def load_model_file(path, *, allow_pickle=False, device="cpu"):
    """Load a model file of either kind :func:`save_model_file` writes.

    The kind is told by :func:`model_file_kind`: a pickle-free file loads
    safely whatever its name; a pickle (joblib) is loaded only with
    ``allow_pickle=True``, since loading a pickle runs whatever code it names;
    a pickle named ``.maec`` is always refused.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    allow_pickle : bool, default=False
        Whether to load a pickle (only files you made or fully trust).
    device : str, default="cpu"
        Where the classifier's weights of a pickle-free file go.

    Returns
    -------
    model : estimator or sklearn.pipeline.Pipeline
        Fitted, ready to predict.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, OSError
        When there is no such file, it is a directory, or it cannot be read.
    ValueError
        When the file is empty, damaged, truncated or foreign, or is a pickle
        and ``allow_pickle`` is False; the message names the file and why.

    Examples
    --------
    >>> from sklearn_maec.persistence import load_model_file
    >>> pipe = load_model_file("model.maec")                        # doctest: +SKIP
    >>> pipe = load_model_file("model.joblib", allow_pickle=True)   # doctest: +SKIP
    """
    if model_file_kind(path) == "pickle-free" or not allow_pickle:
        return load_model(path, device=device)  # a refused pickle: load_model says why
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:
        raise ValueError(_pickle_failure(path, exc)) from None


def _pickle_failure(path, exc):
    """Why ``joblib.load`` failed on a file, in one line."""
    detail = str(exc).strip()
    if isinstance(exc, (EOFError, pickle.UnpicklingError)) or "truncated" in detail.lower():
        return (f"cannot load {path!r}: the file is truncated or damaged ("
                f"{os.path.getsize(path)} bytes" + (f"; {detail}" if detail else "")
                + "); save the model again or copy the whole file")
    return (f"cannot load {path!r}: {type(exc).__name__}"
            + (f": {detail}" if detail else " (a damaged or foreign file?)"))


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


def _check_checkpoint(segmenter, name):
    """Warn when a loaded pretrained segmenter's checkpoint is missing or changed."""
    problem = segmenter._checkpoint_problem()
    if problem:
        where = f"step {name!r}" if name is not None else "the segmenter"
        warnings.warn(f"{where} of the loaded model cannot run yet: {problem}", MAECWarning,
                      stacklevel=caller_stacklevel())


def _safe_params(est):
    return {k: v for k, v in stored_params(est).items() if json_safe(v)}


def _to_tensors(arrays):
    # torch has no unsigned 64-bit tensors: such arrays travel as int64 (decode views them back)
    return {name: torch.from_numpy(np.require(a.view(np.int64) if a.dtype == np.uint64 else a,
                                              requirements=["C", "W"]))
            for name, a in arrays.items()}


def _from_tensors(tensors):
    return {name: t.numpy() for name, t in tensors.items()}


def classifier_fitted(classifier, keys=tuple(CLASSIFIER_FITTED)):
    """The fitted attributes of a classifier named by ``keys``, as JSON values.

    Parameters
    ----------
    classifier : MAECClassifier
        Fitted.
    keys : sequence of str, default=all of :data:`CLASSIFIER_FITTED`
        Which attributes, by the key files store them under.

    Returns
    -------
    fitted : dict
        ``{key: value}``: arrays as lists, numpy scalars as Python numbers.
    """
    fitted = {}
    for key in keys:
        value = getattr(classifier, CLASSIFIER_FITTED[key])
        fitted[key] = (value.tolist() if isinstance(value, np.ndarray)
                       else value.item() if isinstance(value, np.generic)
                       else value.to_dict() if isinstance(value, Segmentation) else value)
    return fitted


def _restore_classifier_fitted(classifier, fitted):
    """Set the attributes :func:`classifier_fitted` stored back on ``classifier``."""
    for key, attribute in CLASSIFIER_FITTED.items():
        if key == "segmentation":
            classifier.segmentation_ = stored_segmentation(fitted)
            continue
        if key == "use_context" and key not in fitted:  # a file from before "auto": a bool
            classifier.use_context_ = bool(classifier.use_context)
            continue
        value = fitted[key]
        if isinstance(value, list):
            value = np.asarray(value)
        if attribute == "classes_":  # skorch's classes_ gives the labels fit inferred
            attribute, value = "classes_inferred_", labels_as_objects(value)
        setattr(classifier, attribute, value)


def _classifier_state(clf):
    """A fitted classifier's parameters, fitted metadata and weights: (JSON-safe dict, tensors)."""
    check_is_fitted(clf)
    tensors = {f"module.{k}": v.detach().cpu() for k, v in clf.module_.state_dict().items()}
    tensors.update({f"discriminator.{k}": v.detach().cpu()
                    for k, v in clf.discriminator_.state_dict().items()})
    return {"params": _safe_params(clf), "fitted": classifier_fitted(clf)}, tensors


def _classifier_from_state(meta, tensors, device="cpu"):
    """Rebuild a fitted classifier from :func:`_classifier_state`'s output."""
    model = MAECClassifier(**dict(meta["params"], device=device))
    _restore_classifier_fitted(model, meta["fitted"])
    model.random_seed_ = 0
    model.initialize()
    for prefix, module in (("module.", model.module_),
                           ("discriminator.", model.discriminator_)):
        module.load_state_dict({k[len(prefix):]: v.to(device) for k, v in tensors.items()
                                if k.startswith(prefix)})
    return model
