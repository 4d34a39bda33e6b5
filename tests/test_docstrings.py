"""numpydoc docstrings of the public API document exactly the parameters that exist.

After scikit-learn's and imbalanced-learn's ``test_docstring_parameters``.  For
every public class and function that a public module exports (its
``__all__``):

* the docstring parses with numpydoc without warnings;
* functions, class constructors (documented in the class docstring, as
  numpydoc wants) and the public methods a class defines itself list every
  parameter of their signature in ``Parameters``, in signature order, each
  with a type, and nothing that is not a parameter (``*args`` and
  ``**kwargs`` are documented under those names);
* every estimator and every splitter has an ``Examples`` section.

A dataclass (a record the package returns, such as the loaders' summary) may
document its generated constructor's fields under ``Attributes`` instead.

Methods inherited from scikit-learn, skorch or torch are their authors'
business; for :class:`~sklearn_maec.MAECClassifier` the check covers the
parameters its own ``__init__`` names (skorch's other parameters arrive
through ``**kwargs``).  All problems are reported in one assertion message.
"""

import dataclasses
import importlib
import inspect
import pydoc
import re
import warnings

import pytest
from sklearn.base import BaseEstimator

docscrape = pytest.importorskip(
    "numpydoc.docscrape", reason="numpydoc is needed to check the docstrings")

PUBLIC_MODULES = [
    "sklearn_maec",
    "sklearn_maec.features",
    "sklearn_maec.context",
    "sklearn_maec.model",
    "sklearn_maec.model.nn",
    "sklearn_maec.model.callbacks",
    "sklearn_maec.datasets",
    "sklearn_maec.model_selection",
    "sklearn_maec.exceptions",
    "sklearn_maec.persistence",
    "sklearn_maec.display",
    "sklearn_maec.deployment",
    "sklearn_maec.metrics",
    "sklearn_maec.pipeline",
]


def _public_objects():
    """``(qualified name, object)`` of every class and function in the modules' ``__all__``."""
    seen = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(obj) not in seen:
                seen[id(obj)] = (f"{module_name}.{name}", obj)
    return sorted(seen.values(), key=lambda item: item[0])


def _parse(doc_text, where, problems):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        doc = docscrape.NumpyDocString(doc_text or "")
    problems.extend(f"{where}: numpydoc: {w.message}" for w in caught)
    return doc


def _signature_names(func):
    names = []
    for p in inspect.signature(func).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            names.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            names.append(f"**{p.name}")
        else:
            names.append(p.name)
    return names


def _check_parameters(func, doc, where, problems, drop_first=False):
    """Compare the signature of ``func`` with the ``Parameters`` section of ``doc``."""
    expected = _signature_names(func)
    if drop_first:  # self / cls
        expected = expected[1:]
    documented, untyped = [], []
    for param in doc["Parameters"]:
        names = [n.strip() for n in param.name.split(",") if n.strip()]
        documented.extend(names)
        if not param.type and not names[0].startswith("*"):
            untyped.extend(names)
    missing = [n for n in expected if n not in documented]
    extra = [n for n in documented if n not in expected]
    if missing:
        problems.append(f"{where}: parameters not documented: {missing}")
    if extra:
        problems.append(f"{where}: documented but not parameters: {extra}")
    if not missing and not extra and documented != expected:
        problems.append(f"{where}: parameters documented in the order {documented}, "
                        f"the signature has {expected}")
    if untyped:
        problems.append(f"{where}: parameters without a type ('name : type'): {untyped}")


def _own_public_methods(cls):
    """Public methods defined by ``cls`` or its bases from this package.

    Yields ``(name, function, takes self or cls first)``; what comes from
    scikit-learn, skorch or torch is left out.
    """
    seen = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("sklearn_maec"):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(attr, (classmethod, staticmethod)):
                yield name, attr.__func__, isinstance(attr, classmethod)
            elif inspect.isfunction(attr):
                yield name, attr, True


def _needs_examples(cls):
    return issubclass(cls, BaseEstimator) or cls.__module__.startswith(
        "sklearn_maec.model_selection")


def _check_class(qualname, cls, problems):
    doc = _parse(inspect.getdoc(cls), qualname, problems)
    if not doc["Summary"]:
        problems.append(f"{qualname}: no docstring summary")
    init = cls.__dict__.get("__init__")
    if init is None:  # inherited: checked where it is defined, if that is ours
        init = next((k.__dict__["__init__"] for k in cls.__mro__[1:]
                     if "__init__" in k.__dict__ and k.__module__.startswith("sklearn_maec")),
                    None)
    if dataclasses.is_dataclass(cls):
        documented = {n.strip() for section in ("Parameters", "Attributes")
                      for p in doc[section] for n in p.name.split(",")}
        missing = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in documented]
        if missing:
            problems.append(f"{qualname}: dataclass fields not documented: {missing}")
    elif init is not None:
        _check_parameters(init, doc, f"{qualname}.__init__ (class docstring)", problems,
                          drop_first=True)
    if _needs_examples(cls) and not doc["Examples"]:
        problems.append(f"{qualname}: no Examples section")
    for name, method, bound in _own_public_methods(cls):
        where = f"{qualname}.{name}"
        text = inspect.getdoc(method)
        if not text:
            problems.append(f"{where}: no docstring")
            continue
        method_doc = _parse(text, where, problems)
        _check_parameters(method, method_doc, where, problems, drop_first=bound)


def _check_function(qualname, func, problems):
    text = inspect.getdoc(func)
    if not text:
        problems.append(f"{qualname}: no docstring")
        return
    _check_parameters(func, _parse(text, qualname, problems), qualname, problems)


def test_public_api_is_not_empty():
    names = [name for name, _ in _public_objects()]
    assert "sklearn_maec.MAECClassifier" in names
    assert "sklearn_maec.datasets.make_dialogue_corpus" in names


def test_checker_finds_problems():
    """The checks themselves: a badly documented function and class are caught."""

    def bad(a, b, *args, c=1, **kwargs):
        """Summary.

        Parameters
        ----------
        b : int
            Out of order.
        a
            No type.
        d : int
            Not a parameter.
        **kwargs : dict
            Fine.
        """

    class Bad(BaseEstimator):
        """Summary without Parameters or Examples."""

        def __init__(self, alpha=1.0):
            self.alpha = alpha

        def fit(self, X, y=None):
            """Fit.

            Parameters
            ----------
            X : array-like
                Data.
            """

    Bad.__module__ = "sklearn_maec.fake"  # make its methods count as ours
    problems = []
    _check_function("bad", bad, problems)
    _check_class("Bad", Bad, problems)
    text = "\n".join(problems)
    assert "bad: parameters not documented: ['*args', 'c']" in text
    assert "bad: documented but not parameters: ['d']" in text
    assert "bad: parameters without a type ('name : type'): ['a']" in text
    assert "Bad.__init__ (class docstring): parameters not documented: ['alpha']" in text
    assert "Bad: no Examples section" in text
    assert "Bad.fit: parameters not documented: ['y']" in text
    problems = []
    _check_function("bad", lambda a, b: None, problems)
    assert problems == ["bad: no docstring"]

    def unordered(a, b):
        """Summary.

        Parameters
        ----------
        b : int
            Second.
        a : int
            First.
        """

    problems = []
    _check_function("unordered", unordered, problems)
    assert problems == ["unordered: parameters documented in the order ['b', 'a'], the "
                        "signature has ['a', 'b']"]


def test_docstring_parameters():
    problems = []
    for qualname, obj in _public_objects():
        if inspect.isclass(obj):
            _check_class(qualname, obj, problems)
        else:
            _check_function(qualname, obj, problems)
    assert not problems, (f"{len(problems)} docstring problem(s):\n  "
                          + "\n  ".join(problems))


def test_help_documents_every_classifier_parameter():
    """``help(MAECClassifier)`` shows a description of every parameter ``__init__`` names."""
    from sklearn_maec import MAECClassifier

    text = pydoc.render_doc(MAECClassifier, renderer=pydoc.plaintext)
    text = re.sub(r"^ \|  ?", "", text, flags=re.MULTILINE)  # pydoc's class margin
    # the class docstring's Parameters section
    section = text.split("\nParameters\n----------\n", 1)[1].split("\nAttributes\n", 1)[0]
    names = _signature_names(MAECClassifier.__init__)[1:]
    # "name : type" ("name, other : type", "**kwargs") at the margin, then a description
    undocumented = [n for n in names if not re.search(
        rf"^{re.escape(n)}( :.*|,.*|)\n    \S", section, re.MULTILINE)]
    assert not undocumented, f"help(MAECClassifier) does not describe {undocumented}"
