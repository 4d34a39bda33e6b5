"""sklearn-maec: the MAEC speech-emotion model for scikit-learn.

MAEC (Fu et al., ICASSP 2021) combines multi-instance learning over short
segments of an utterance with an adversarial auto-encoder-style regulariser
on the latent code and a multi-task (emotion + gender) classifier, using the
dialogue context (the speaker's previous turn and the interlocutor's turn).
"""

from .classifier import MAECClassifier
from .context import ContextTripleBuilder
from .exceptions import AudioWarning, ExtractionError, MAECWarning
from .segmenter import OpenSmileSegmenter

__version__ = "0.1.0.dev0"

__all__ = [
    "OpenSmileSegmenter",
    "ContextTripleBuilder",
    "MAECClassifier",
    "MAECWarning",
    "AudioWarning",
    "ExtractionError",
    "__version__",
]
