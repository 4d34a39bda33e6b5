"""What every display shares: matplotlib on demand, the estimator's parts, fitted checks."""

import numpy as np

__all__ = ["pyplot", "split_estimator", "check_fitted_model", "transform", "class_colors"]

_MATPLOTLIB_MISSING = (
    "{caller} requires matplotlib, which is not installed. Install it with "
    "'pip install sklearn-maec[plot]' (or 'pip install matplotlib')."
)


def pyplot(caller):
    """Import ``matplotlib.pyplot``, with an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_MATPLOTLIB_MISSING.format(caller=caller)) from exc
    return plt


def split_estimator(estimator, caller):
    """``(transformers, final step)`` of a Pipeline, or ``([], estimator)``."""
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        if not steps:
            raise ValueError(f"{caller}: the pipeline has no steps")
        return steps[:-1], steps[-1]
    return [], estimator


def check_fitted_model(model, transformers=()):
    """A clear NotFittedError before any work: the model and every transformer before it."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    for step in transformers:
        check_is_fitted(step)


def transform(transformers, X):
    """``X`` through the pipeline's transformers."""
    for step in transformers:
        X = step.transform(X)
    return X


def class_colors(n):
    """Qualitative colours, one per class (tab10, then tab20 beyond 10 classes)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def check_same_length(X, y, what="X"):
    """ValueError when ``y`` does not have one entry per row of ``X``."""
    if len(X) != len(np.asarray(y)):
        raise ValueError(f"{what} has {len(X)} rows but y has {len(y)}")
