"""TrainingCurvesDisplay: every loss of a fit and the discriminator's accuracy, per epoch."""

import numbers

import numpy as np

from ._base import pyplot, split_estimator

__all__ = ["TrainingCurvesDisplay", "TRAINING_PANELS", "DEFAULT_PANELS"]

#: The panels of :class:`TrainingCurvesDisplay`: name -> (title, y label, history keys).
TRAINING_PANELS = {
    "emotion_loss": ("emotion loss", "cross-entropy",
                     ("train_emotion_loss", "valid_emotion_loss")),
    "gender_loss": ("gender loss", "cross-entropy", ("train_gender_loss", "valid_gender_loss")),
    "adversarial_loss": ("adversarial loss (encoder)", "log(1 - D(Z)) or -log D(Z)",
                         ("train_adversarial_loss", "valid_adversarial_loss")),
    "disc_loss": ("discriminator loss", "binary cross-entropy",
                  ("train_disc_loss", "valid_disc_loss")),
    "disc_acc": ("discriminator accuracy", "accuracy (prior vs Z)",
                 ("train_disc_acc", "valid_disc_acc")),
    "scores": ("validation UA / WA", "score", ("valid_ua", "valid_wa")),
    "loss": ("total encoder loss", "loss", ("train_loss",)),
}
DEFAULT_PANELS = ("emotion_loss", "gender_loss", "adversarial_loss", "disc_loss", "disc_acc",
                  "scores")
_ALL_ZERO_NOTES = {
    "gender_loss": "gender head not trained\n(no gender labels or gender_weight=0)",
    "adversarial_loss": "regulariser off\n(adversarial_weight=0)",
    "disc_loss": "discriminator not trained\n(adversarial_weight=0)",
    "disc_acc": "discriminator not trained\n(adversarial_weight=0)",
}


def _history_to_dict(history):
    """Per-epoch values of every numeric key: ``{key: float array}`` (NaN where missing).

    Booleans (skorch's ``*_best`` flags) read as 1.0 / 0.0.
    """
    import pandas as pd

    if isinstance(history, pd.DataFrame):
        rows = history.to_dict("records")
    elif isinstance(history, dict):
        lengths = {len(np.atleast_1d(v)) for v in history.values()}
        if len(lengths) > 1:
            raise ValueError(f"the history's columns have different lengths {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        rows = [{k: np.atleast_1d(v)[i] for k, v in history.items()} for i in range(n)]
    else:
        try:
            rows = [dict(row) for row in history]
        except (TypeError, ValueError):
            raise TypeError("history must be a skorch History, a list of per-epoch dicts, a "
                            f"dict of lists or a DataFrame, got {type(history).__name__}") from None
    keys = []
    for row in rows:
        for key, value in row.items():
            if key not in keys and isinstance(value, (numbers.Real, np.number, np.bool_)):
                keys.append(key)
    out = {}
    for key in keys:
        values = []
        for row in rows:
            value = row.get(key)
            ok = isinstance(value, (numbers.Real, np.number, np.bool_))
            values.append(float(value) if ok else np.nan)
        out[key] = np.asarray(values)
    return out


def _kept_epoch(history, epochs):
    """The epoch early stopping keeps and its legend label, or ``(None, None)``.

    The classifier's early stopping watches ``valid_ua`` (higher is better) and
    records ``valid_ua_best`` on the epochs it kept: the last of them.  A
    history without that record keeps the first epoch with the highest
    ``valid_ua``; one without ``valid_ua`` either (another monitor, an older
    fit) falls back to the lowest validation loss.
    """
    kept = history.get("valid_ua_best")
    if kept is not None and (kept == 1).any():
        return int(epochs[np.flatnonzero(kept == 1)[-1]]), "best valid UA"
    valid_ua = history.get("valid_ua")
    if valid_ua is not None and np.isfinite(valid_ua).any():
        return int(epochs[np.nanargmax(valid_ua)]), "best valid UA"
    valid_loss = history.get("valid_loss", history.get("valid_emotion_loss"))
    if valid_loss is not None and np.isfinite(valid_loss).any():
        return int(epochs[np.nanargmin(valid_loss)]), "lowest valid loss"
    return None, None


class TrainingCurvesDisplay:
    """Every loss of a MAEC fit and the discriminator's accuracy, per epoch.

    One panel per quantity the classifier records in its ``history_``: the
    emotion and gender cross-entropies, the encoder's adversarial loss, the
    discriminator's loss and accuracy (0.5 is chance: a discriminator that
    cannot tell the codes from prior samples means the regulariser has done
    its work), and the unweighted and weighted accuracy on the validation
    dialogues.  Training values are solid, validation values dashed; the epoch
    whose weights early stopping keeps is marked: the one with the best
    validation UA (the classifier's early stopping watches ``valid_ua``), or
    the lowest validation loss in a history without ``valid_ua``.

    Use :meth:`from_estimator` or :meth:`from_history` rather than the
    constructor.  All parameters are stored as attributes.

    Parameters
    ----------
    history : dict of str to array-like
        Per-epoch values, e.g. ``{"train_emotion_loss": [...], ...}`` with the
        keys of :class:`~sklearn_maec.MAECClassifier`'s ``history_`` (NaN
        where an epoch has no value); an ``"epoch"`` key numbers the epochs.

    Attributes
    ----------
    lines_ : dict of str to matplotlib.lines.Line2D
        The curve of each history key drawn (``"train_emotion_loss"``, ...).
    axes_ : ndarray of matplotlib.axes.Axes
        The grid of axes (unused cells are hidden), as scikit-learn's
        multi-axes displays name it.
    panel_axes_ : dict of str to matplotlib.axes.Axes
        The axes of each panel, by panel name (``"emotion_loss"``,
        ``"gender_loss"``, ``"adversarial_loss"``, ``"disc_loss"``,
        ``"disc_acc"``, ``"scores"``, and ``"loss"`` when asked for).
    chance_line_ : matplotlib.lines.Line2D or None
        The 0.5 line of the discriminator-accuracy panel.
    best_epoch_ : int or None
        The epoch marked as the one early stopping keeps: the first with the
        highest ``valid_ua``, else the one with the lowest validation loss
        (None without validation).
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    LatentSpaceDisplay : Where the regulariser put the latent codes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_maec.display import TrainingCurvesDisplay
    >>> history = [{"epoch": 1, "train_emotion_loss": 1.4, "valid_emotion_loss": 1.38,
    ...             "train_disc_acc": 0.7, "valid_disc_acc": 0.6},
    ...            {"epoch": 2, "train_emotion_loss": 1.2, "valid_emotion_loss": 1.3,
    ...             "train_disc_acc": 0.6, "valid_disc_acc": 0.55}]
    >>> disp = TrainingCurvesDisplay.from_history(history)
    >>> disp.lines_["train_emotion_loss"].get_ydata()
    array([1.4, 1.2])
    >>> plt.close(disp.figure_)

    For a fitted classifier (or a pipeline ending in one):

    >>> TrainingCurvesDisplay.from_estimator(pipe)  # doctest: +SKIP
    """

    def __init__(self, history):
        self.history = history

    def plot(self, *, ax=None, panels=None, n_cols=3):
        """Draw one panel per quantity.

        Parameters
        ----------
        ax : array-like of matplotlib.axes.Axes or None, default=None
            At least one Axes per panel (taken in order, flattened); None
            creates a figure with a grid of ``n_cols`` columns.
        panels : sequence of str or None, default=None
            Which panels, in order: any of ``"emotion_loss"``,
            ``"gender_loss"``, ``"adversarial_loss"``, ``"disc_loss"``,
            ``"disc_acc"``, ``"scores"`` (validation UA/WA) and ``"loss"``
            (the encoder's total training loss).  None draws all but
            ``"loss"``.
        n_cols : int, default=3
            Columns of the grid created when ``ax`` is None.

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, with the artists as attributes.
        """
        plt = pyplot(f"{type(self).__name__}.plot")
        panels = list(DEFAULT_PANELS if panels is None else panels)
        unknown = [p for p in panels if p not in TRAINING_PANELS]
        if unknown or not panels:
            raise ValueError(f"unknown panel(s) {unknown}; choose among {list(TRAINING_PANELS)}")
        history = {k: np.asarray(v, dtype=float) for k, v in dict(self.history).items()}
        lengths = {len(v) for v in history.values()}
        if len(lengths) > 1:
            raise ValueError(f"the history's columns have different lengths {sorted(lengths)}")
        n_epochs = lengths.pop() if lengths else 0
        if n_epochs == 0:
            raise ValueError("the history is empty: nothing to plot (fit the model first)")
        epochs = history.get("epoch", np.arange(1, n_epochs + 1, dtype=float))
        fig, grid = _grid(plt, ax, len(panels), n_cols)
        flat = list(grid.flat)
        for extra in flat[len(panels):]:
            extra.set_visible(False)

        best, best_label = _kept_epoch(history, epochs)
        self.lines_, self.panel_axes_, self.chance_line_ = {}, {}, None
        for panel, axes in zip(panels, flat, strict=False):
            self.panel_axes_[panel] = axes
            self._draw_panel(axes, panel, history, epochs)
            if best is not None:
                axes.axvline(best, color="0.6", linestyle="-.", linewidth=1,
                             label=best_label if panel == panels[0] else None)
            if panel in (panels[0], "disc_acc", "scores") and axes.get_legend_handles_labels()[0]:
                axes.legend(fontsize="x-small", loc="best")
            axes.grid(True, alpha=0.3)
        _epoch_axes(grid, flat[:len(panels)])
        self.axes_, self.figure_, self.best_epoch_ = grid, fig, best
        return self

    def _draw_panel(self, axes, panel, history, epochs):
        """One panel's curves (or a note saying why there are none)."""
        title, ylabel, keys = TRAINING_PANELS[panel]
        axes.set_title(title)
        axes.set_ylabel(ylabel, fontsize="small")
        present = [k for k in keys if k in history and np.isfinite(history[k]).any()]
        values = np.concatenate([history[k][np.isfinite(history[k])] for k in present]) \
            if present else np.empty(0)
        all_zero = panel in _ALL_ZERO_NOTES and not values.any()
        if not present or all_zero:
            note = "no validation data" if panel == "scores" else (
                _ALL_ZERO_NOTES.get(panel, "not recorded") if present else "not recorded")
            axes.text(0.5, 0.5, note, transform=axes.transAxes, ha="center", va="center",
                      color="0.4")
            axes.set_yticks([])
            if all_zero:
                return
        for key in present:
            (line,) = axes.plot(epochs, history[key], marker="o", markersize=3,
                                **_line_style(panel, key))
            self.lines_[key] = line
        if panel == "disc_acc" and present:
            self.chance_line_ = axes.axhline(0.5, color="0.35", linestyle=":", linewidth=1.2,
                                             label="chance (0.5)")
        if panel in ("disc_acc", "scores") and present:
            axes.set_ylim(-0.02, 1.02)

    @classmethod
    def from_history(cls, history, *, ax=None, panels=None, n_cols=3):
        """Plot a training history.

        Parameters
        ----------
        history : skorch.History, list of dict, dict of lists or pandas.DataFrame
            Per-epoch records with the keys of
            :class:`~sklearn_maec.MAECClassifier`'s ``history_``; keys absent
            (no validation set, an older history) leave their curves out.
        ax : array-like of matplotlib.axes.Axes or None, default=None
            At least one Axes per panel; None creates a figure.
        panels : sequence of str or None, default=None
            Which panels (see :meth:`plot`).
        n_cols : int, default=3
            Columns of the grid created when ``ax`` is None.

        Returns
        -------
        display : TrainingCurvesDisplay
            The plotted display.
        """
        pyplot(f"{cls.__name__}.from_history")
        return cls(_history_to_dict(history)).plot(ax=ax, panels=panels, n_cols=n_cols)

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, panels=None, n_cols=3):
        """Plot the training history of a fitted classifier.

        Parameters
        ----------
        estimator : MAECClassifier or Pipeline
            A fitted classifier, or a pipeline ending in one; its ``history_``
            is drawn.
        ax : array-like of matplotlib.axes.Axes or None, default=None
            At least one Axes per panel; None creates a figure.
        panels : sequence of str or None, default=None
            Which panels (see :meth:`plot`).
        n_cols : int, default=3
            Columns of the grid created when ``ax`` is None.

        Returns
        -------
        display : TrainingCurvesDisplay
            The plotted display.
        """
        from sklearn.exceptions import NotFittedError

        caller = f"{cls.__name__}.from_estimator"
        pyplot(caller)
        _, model = split_estimator(estimator, caller)
        history = getattr(model, "history_", None)
        if history is None or len(history) == 0:
            raise NotFittedError(f"{caller}: {type(model).__name__} has no training history; "
                                 "fit it first")
        return cls.from_history(history, ax=ax, panels=panels, n_cols=n_cols)


def _line_style(panel, key):
    if panel == "scores":
        return {"color": "C2" if key == "valid_ua" else "C3", "linestyle": "--",
                "label": "valid UA (balanced accuracy)" if key == "valid_ua"
                else "valid WA (accuracy)"}
    if key.startswith("valid_"):
        return {"color": "C1", "linestyle": "--", "label": "valid"}
    return {"color": "C0", "linestyle": "-", "label": "train"}


def _grid(plt, ax, n_panels, n_cols):
    """``(figure, 2-D array of Axes)``: a new grid, or the Axes given."""
    if ax is None:
        n_cols = max(1, min(int(n_cols), n_panels))
        n_rows = -(-n_panels // n_cols)
        return plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.1 * n_rows),
                            sharex=True, squeeze=False, layout="constrained")
    grid = np.asarray(ax, dtype=object)
    if grid.ndim == 0:
        grid = grid.reshape(1, 1)
    if grid.size < n_panels:
        raise ValueError(f"ax has {grid.size} Axes for {n_panels} panels")
    return grid.flat[0].figure, grid


def _epoch_axes(grid, used):
    """Integer epochs; the x label on the lowest panel of each column."""
    from matplotlib.ticker import MaxNLocator

    n_cols = grid.shape[-1] if grid.ndim == 2 else len(used)
    for k, axes in enumerate(used):
        if k + n_cols >= len(used):
            axes.set_xlabel("epoch")
            axes.tick_params(labelbottom=True)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
