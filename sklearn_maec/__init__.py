"""sklearn-maec: the MAEC speech-emotion model for scikit-learn.

MAEC (Fu et al., ICASSP 2021) combines multi-instance learning over short
segments of an utterance with an adversarial auto-encoder-style regulariser
on the latent code and a multi-task (emotion + gender) classifier, using the
dialogue context (the speaker's previous turn and the interlocutor's turn).
"""

from ._version import __version__
from .context import ContextTripleBuilder
from .exceptions import AudioWarning, ExtractionError, MAECWarning
from .features import OpenSmileSegmenter, PretrainedSegmenter

# The classifier (torch, skorch) is imported on first use, so the parts that need
# neither (the segmenters, the context builder, sklearn_maec.deployment's runtime)
# can run where they are not installed.
_LAZY = {"MAECClassifier": "model"}


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
