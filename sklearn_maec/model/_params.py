"""The constructor signature of MAECClassifier, with the skorch parameters it passes on."""

import inspect

from skorch import NeuralNet, NeuralNetClassifier

__all__ = ["signature_with_skorch_params"]


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
