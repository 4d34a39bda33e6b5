"""sklearn-maec: the MAEC speech-emotion model for scikit-learn.

MAEC (Fu et al., ICASSP 2021) combines multi-instance learning over short
segments of an utterance with an adversarial auto-encoder-style regulariser
on the latent code and a multi-task (emotion + gender) classifier, using the
dialogue context (the speaker's previous turn and the interlocutor's turn).
"""

from ._version import __version__
from .exceptions import AudioWarning, ExtractionError, MAECWarning

# The estimators are imported on first use: the classifier (torch, skorch), so the parts
# that need neither (the segmenters, the context builder, sklearn_maec.deployment's runtime)
# can run where they are not installed; the segmenter and the builder (numpy, pandas,
# scikit-learn, openSMILE), so that ``import sklearn_maec`` imports no library, and the
# command line (``python -m sklearn_maec``, the ``sklearn-maec`` script, whose every
# import happens inside ``cli.main``) answers a Ctrl-C at any moment in one line.
_LAZY = {"MAECClassifier": "model", "OpenSmileSegmenter": "features",
         "PretrainedSegmenter": "features", "ContextTripleBuilder": "context"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "OpenSmileSegmenter",
    "PretrainedSegmenter",
    "ContextTripleBuilder",
    "MAECClassifier",
    "MAECWarning",
    "AudioWarning",
    "ExtractionError",
    "__version__",
]
