"""MAECClassifier's parameters: what each one re-initialises, their checks, the signature."""

import inspect
import numbers

import numpy as np
from skorch import NeuralNet, NeuralNetClassifier
from skorch.dataset import Dataset
from torch.utils.data import DataLoader

from .._batching import BATCHINGS
from .._validation import check_option
from ._prior import check_prior
from ._training import GENERATOR_LOSSES, LATENT_STATS
from .nn import ATTENTIONS, CONVOLUTIONS, LATENT_NORMS, POOLINGS, check_latent_dim

__all__ = ["ARCHITECTURE_PARAMS", "COMPONENT_PREFIXES", "CRITERION_PARAMS", "PRIOR_PARAMS",
           "FIXED_SKORCH_PARAMS", "check_params", "signature_with_skorch_params"]

# Parameters that shape the networks: changing one re-initialises them.
ARCHITECTURE_PARAMS = frozenset({
    "latent_dim", "use_context", "share_encoder", "fusion", "conv_channels", "kernel_size",
    "dilation", "convolution", "latent_norm", "attention",
    "dropout", "pooling", "disc_hidden", "prior",
})
CRITERION_PARAMS = frozenset({"class_weight", "label_smoothing"})
#: The components MAECClassifier builds in ``initialize``, whose settings pass as
#: ``<prefix>__<name>`` (``optimizer__weight_decay``).  skorch adds them to ``prefixes_`` only
#: once it has built them, so an unfitted estimator's ``prefixes_`` does not name them yet.
COMPONENT_PREFIXES = ("module", "discriminator", "criterion", "criterion_gender",
                      "criterion_disc", "optimizer", "optimizer_disc")
PRIOR_PARAMS = frozenset({"prior_mu", "prior_sigma"})
# skorch parameters with a fixed value here: (name, the only value accepted, why).
FIXED_SKORCH_PARAMS = (
    ("iterator_train", DataLoader, "batches are built by a torch DataLoader with the package's "
     "bucketing sampler; pass iterator_train__* settings (batch_size, num_workers, ...) instead"),
    ("iterator_valid", DataLoader, "batches are built by a torch DataLoader with the package's "
     "bucketing sampler; pass iterator_valid__* settings (batch_size, num_workers, ...) instead"),
    ("dataset", Dataset, "the rows are wrapped in the package's bag dataset, built from the "
     "DataFrame that ContextTripleBuilder produces"),
    ("predict_nonlinearity", "auto", "predict_proba always applies the softmax"),
    ("compile", False, "torch.compile of the bag encoder is not supported (variable bag lengths)"),
)


def check_params(estimator):
    """Raise a ValueError naming the first parameter of ``estimator`` with a bad value.

    Parameters
    ----------
    estimator : MAECClassifier
        The estimator whose parameters are checked (at ``fit``).
    """
    if not (isinstance(estimator.use_context, (bool, np.bool_)) or estimator.use_context == "auto"):
        raise ValueError(f"use_context must be True, False or 'auto', got "
                         f"{estimator.use_context!r}")
    # "auto" is decided in fit: here the looser single-utterance rule, and the network
    # checks latent_dim against what fit decided
    context = False if isinstance(estimator.use_context, str) else bool(estimator.use_context)
    check_latent_dim(estimator.latent_dim, context, estimator.fusion)
    check_prior(estimator.prior, estimator.prior_mu, estimator.prior_sigma)
    for name in ("adversarial_weight", "gender_weight", "disc_noise"):
        value = getattr(estimator, name)
        if not (isinstance(value, numbers.Real) and value >= 0):
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if not (0 <= estimator.label_smoothing < 1):
        raise ValueError(f"label_smoothing must be in [0, 1), got {estimator.label_smoothing!r}")
    if estimator.grad_clip is not None and not estimator.grad_clip > 0:
        raise ValueError(f"grad_clip must be None or > 0, got {estimator.grad_clip!r}")
    for name, options in (("generator_loss", GENERATOR_LOSSES), ("latent_norm", LATENT_NORMS),
                          ("latent_stats", LATENT_STATS),
                          ("attention", ATTENTIONS), ("convolution", CONVOLUTIONS),
                          ("pooling", POOLINGS), ("batching", BATCHINGS)):
        check_option(name, getattr(estimator, name), options)
    if estimator.kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd, got {estimator.kernel_size}")
    if estimator.patience is not None and not (isinstance(estimator.patience, numbers.Integral)
                                          and estimator.patience >= 1):
        raise ValueError(f"patience must be None or an int >= 1, got {estimator.patience!r}")
    if isinstance(estimator.train_split, str) and estimator.train_split != "auto":
        raise ValueError(f"train_split must be 'auto', a callable or None, got "
                         f"{estimator.train_split!r}")
    # skorch parameters this class does not honour: refuse rather than ignore them
    for name, default, why in FIXED_SKORCH_PARAMS:
        value = getattr(estimator, name, default)
        if value is not default and value != default:
            raise ValueError(f"{name}={value!r} is not supported by MAECClassifier: {why}")


def signature_with_skorch_params(cls):
    """``MAECClassifier.__init__``'s signature plus the skorch parameters it takes by ``**kwargs``.

    skorch's ``get_params`` reports every constructor argument, including those
    that only pass through ``**kwargs``; scikit-learn prints a parameter as
    changed when the signature does not name it, so ``repr`` and
    ``print(pipeline)`` listed eight skorch internals.  Naming them (with
    skorch's own defaults, read from the installed version) makes ``repr`` show
    only what was set, and ``help`` and ``inspect.signature`` show them.
    """
    own = inspect.signature(cls.__init__)
    params = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
    names = {p.name for p in params}
    for base in (NeuralNet, NeuralNetClassifier):
        for p in inspect.signature(base.__init__).parameters.values():
            if p.name not in names and p.default is not p.empty \
                    and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                params.append(p.replace(kind=p.KEYWORD_ONLY))
                names.add(p.name)
    return own.replace(parameters=params + [own.parameters["kwargs"]])
