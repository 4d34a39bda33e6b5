"""What a result was computed with, as JSON: versions, the machine's threads, parameters.

A report (``sklearn-maec evaluate --report``) and a saved model
(:func:`~sklearn_maec.persistence.save_model`) record it, so a 3-epoch result
cannot be taken for a 50-epoch one, nor one library version's for another's.
"""

import math
import os
import platform
import types
from importlib import metadata

import numpy as np

__all__ = ["LIBRARIES", "environment", "describe_environment", "json_params", "json_value"]

#: The libraries a result depends on, by the name of the distribution that installs them.
LIBRARIES = ("torch", "skorch", "scikit-learn", "numpy", "pandas", "opensmile")


def environment(torch_threads=None):
    """The versions of sklearn-maec, Python and :data:`LIBRARIES`, and the machine's threads.

    Parameters
    ----------
    torch_threads : int or None, default=None
        The intra-op threads the result was computed with, when the model
        set its own (a classifier's ``n_threads``, resolved: see
        ``_threads.effective_n_threads``); None: torch's setting now.

    Returns
    -------
    info : dict
        ``{"versions": {"sklearn-maec": ..., "python": ..., "torch": ...},
        "threads": {"cpu_count": ..., "torch_num_threads": ...}}``; a library
        that is not installed has the version None.  ``cpu_count`` is
        :func:`os.cpu_count`, ``torch_num_threads`` ``torch_threads`` or else
        torch's :func:`~torch.get_num_threads` (the intra-op threads training
        uses).
    """
    from ._version import __version__

    versions = {"sklearn-maec": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    if torch_threads is None:
        import torch

        torch_threads = torch.get_num_threads()
    threads = {"cpu_count": os.cpu_count(), "torch_num_threads": int(torch_threads)}
    return {"versions": versions, "threads": threads}


def describe_environment(info):
    """:func:`environment` in one line: ``sklearn-maec 0.1, Python 3.12.3, ...; 2 CPUs, ...``.

    Parameters
    ----------
    info : dict
        What :func:`environment` returns.

    Returns
    -------
    text : str
    """
    versions = ", ".join(f"{'Python' if name == 'python' else name} {version}"
                         for name, version in info["versions"].items())
    threads = info["threads"]
    return (f"{versions}; {threads['cpu_count']} CPU(s), torch at "
            f"{threads['torch_num_threads']} thread(s)")


def json_params(estimator):
    """Every parameter of ``estimator`` (``get_params(deep=True)``) as JSON values.

    Parameters
    ----------
    estimator : estimator
        A scikit-learn estimator or pipeline, fitted or not.

    Returns
    -------
    params : dict
        Sorted by name; each value as :func:`json_value` gives it.
    """
    return {name: json_value(value)
            for name, value in sorted(estimator.get_params(deep=True).items())}


def json_value(value):
    """``value`` as JSON: numbers, strings, booleans, None and lists as they are, others named.

    Tuples become lists, dictionaries get string keys, numpy scalars and
    arrays become numbers and lists, a class or function becomes its dotted
    name (``torch.optim.adam.Adam``), as does an object without a ``repr`` of
    its own (by its class); a non-finite float and any other object become
    their ``repr`` on one line (an estimator: ``MAECClassifier(latent_dim=8)``).

    Parameters
    ----------
    value : object

    Returns
    -------
    json : None, bool, int, float, str, list or dict
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return json_value(value.tolist())
    if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
        return f"{value.__module__}.{value.__qualname__}"
    if type(value).__repr__ is object.__repr__:  # "<... object at 0x...>": its class says more
        return f"{type(value).__module__}.{type(value).__qualname__}"
    return " ".join(repr(value).split())  # a pretty-printed estimator on one line
