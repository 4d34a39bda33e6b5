"""The model: the MAEC estimator, its network, prior and training callbacks (torch, skorch).

:class:`MAECClassifier` is the scikit-learn estimator; the plain PyTorch
modules it trains are in :mod:`sklearn_maec.model.nn`, its callbacks
(validation scores, the collapse watch, resumable checkpoints) in
:mod:`sklearn_maec.model.callbacks`.
"""

from ._classifier import MAECClassifier
from ._prior import ClassMixturePrior, GaussianPrior

__all__ = ["MAECClassifier", "GaussianPrior", "ClassMixturePrior"]
