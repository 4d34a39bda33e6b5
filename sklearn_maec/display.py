"""Visualisations of a fitted MAEC model, in scikit-learn's Display style.

Each display follows the pattern of :class:`sklearn.metrics.ConfusionMatrixDisplay`:
the constructor stores the data to draw, :meth:`plot` draws it and returns the
display with the matplotlib objects as attributes (``ax_``, ``figure_`` and the
artists), and class methods build the data from a fitted estimator
(``from_estimator``) or from plain arrays (``from_latent``, ``from_history``).

* :class:`LatentSpaceDisplay`: the latent codes ``Z`` in two dimensions,
  coloured by emotion, with the prior the adversarial regulariser pulls them
  towards drawn as its 1- and 2-sigma contours in the same projection.
* :class:`TrainingCurvesDisplay`: every loss and the discriminator's accuracy
  per epoch, on the training and the validation data.
* :class:`SegmentAttentionDisplay`: one utterance's waveform (or its
  spectrogram, or its openSMILE frames) above the attention the model gives
  each of its segments, i.e. the moments multi-instance learning found salient.

matplotlib is an optional dependency (``pip install sklearn-maec[plot]``): it is
imported only when something is drawn.
"""

import numbers

import numpy as np

__all__ = ["LatentSpaceDisplay", "TrainingCurvesDisplay", "SegmentAttentionDisplay"]

_MATPLOTLIB_MISSING = (
    "{caller} requires matplotlib, which is not installed. Install it with "
    "'pip install sklearn-maec[plot]' (or 'pip install matplotlib')."
)


def _pyplot(caller):
    """Import ``matplotlib.pyplot``, with an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_MATPLOTLIB_MISSING.format(caller=caller)) from exc
    return plt


def _split_estimator(estimator, caller):
    """``(transformers, final step)`` of a Pipeline, or ``([], estimator)``."""
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        if not steps:
            raise ValueError(f"{caller}: the pipeline has no steps")
        return steps[:-1], steps[-1]
    return [], estimator


def _check_fitted_model(model, caller):
    from sklearn.exceptions import NotFittedError

    check = getattr(model, "_check_fitted", None)
    if check is not None:  # MAECClassifier
        check()
        return
    if not getattr(model, "initialized_", True) or not hasattr(model, "classes_"):
        raise NotFittedError(f"{caller}: this {type(model).__name__} instance is not fitted yet; "
                             "call 'fit' first")


def _transform(transformers, X):
    for step in transformers:
        X = step.transform(X)
    return X


# --------------------------------------------------------------------------- latent space
def _class_colors(n):
    """Qualitative colours, one per class (tab10, then tab20 beyond 10 classes)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _fit_projection(Z, y, projection):
    """Fit ``projection`` on ``Z``; return ``(fitted projector or None, Z2, axis names)``."""
    from sklearn.base import clone

    if projection is None:
        if Z.shape[1] < 2:
            raise ValueError(f"Z must have at least 2 columns, got {Z.shape[1]}")
        return None, Z[:, :2].copy(), ("z[0]", "z[1]")
    if isinstance(projection, str):
        if projection == "pca":
            from sklearn.decomposition import PCA

            projector = PCA(n_components=2)
        elif projection == "lda":
            from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

            if len(np.unique(y)) < 3:
                raise ValueError("projection='lda' gives 2 components only with at least 3 "
                                 f"classes; y has {len(np.unique(y))}: use 'pca'")
            projector = LinearDiscriminantAnalysis(n_components=2)
        else:
            raise ValueError(f"projection must be 'pca', 'lda', None or a transformer, got "
                             f"{projection!r}")
    elif hasattr(projection, "fit") and hasattr(projection, "transform"):
        projector = clone(projection)
    else:
        raise ValueError(f"projection must be 'pca', 'lda', None or a transformer with fit and "
                         f"transform, got {projection!r}")
    Z2 = np.asarray(projector.fit(Z, y).transform(Z), dtype=float)
    if Z2.ndim != 2 or Z2.shape[1] < 2:
        raise ValueError(f"the projection must give 2 components, got shape {Z2.shape}")
    Z2 = Z2[:, :2]
    if isinstance(projection, str) and projection == "pca":
        ratio = projector.explained_variance_ratio_
        names = tuple(f"PC {k + 1} ({100 * r:.0f}% of variance)" for k, r in enumerate(ratio))
    elif isinstance(projection, str):
        names = ("LD 1", "LD 2")
    else:
        names = ("component 1", "component 2")
    return projector, Z2, names


def _project_gaussians(projector, means, sigma, latent_dim):
    """Centres and 2x2 covariances of ``N(means[k], sigma^2 I)`` under an affine projection.

    The linear part ``A`` of the projection is read off its action on the unit
    vectors, so any affine transformer works (PCA, whitened PCA, LDA, ...); an
    orthonormal projection (PCA) keeps the Gaussian isotropic with the same sigma.
    """
    means = np.atleast_2d(np.asarray(means, dtype=float))
    if projector is None:
        centres = means[:, :2]
        linear = np.eye(latent_dim)[:, :2]
    else:
        origin = np.asarray(projector.transform(np.zeros((1, latent_dim))), dtype=float)[:, :2]
        linear = np.asarray(projector.transform(np.eye(latent_dim)), dtype=float)[:, :2] - origin
        centres = np.asarray(projector.transform(means), dtype=float)[:, :2]
    cov = float(sigma) ** 2 * linear.T @ linear
    return centres, np.repeat(cov[np.newaxis], len(centres), axis=0)


class LatentSpaceDisplay:
    """The latent codes ``Z`` in two dimensions, coloured by emotion, with the prior.

    MAEC's adversarial regulariser pulls the distribution of the latent codes
    towards a Gaussian prior (or, with ``prior="class_mixture"``, each
    emotion's codes towards its own Gaussian).  This display shows the codes
    projected to two dimensions (PCA by default) and the prior drawn in the
    same projection as its 1- and 2-sigma contours, so one sees how well the
    codes match it and how the classes are laid out.

    Use :meth:`from_estimator` (a fitted pipeline or classifier and data) or
    :meth:`from_latent` (codes you already have) rather than the constructor.
    All parameters are stored as attributes.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, 2)
        The projected latent codes.
    y : array-like of shape (n_samples,)
        Emotion label of each code.
    prior_means : array-like of shape (n_components, 2) or None, default=None
        Centres of the prior's Gaussian components in the projection; None
        draws no prior.
    prior_covariances : array-like of shape (n_components, 2, 2) or None, default=None
        Their covariances in the projection (required with ``prior_means``).
    prior_classes : array-like of shape (n_components,) or None, default=None
        The class of each component, for a class-conditional prior (each
        contour is drawn in its class's colour); None for a prior shared by
        all classes (drawn in black).
    labels : array-like of shape (n_classes,) or None, default=None
        The classes, in the order of the colours and the legend; None takes the
        sorted labels of ``y`` and ``prior_classes``.
    display_labels : array-like of shape (n_classes,) or None, default=None
        Names of the classes in the legend; None uses ``labels``.
    axis_labels : tuple of str or None, default=None
        Labels of the x and y axes; None gives "component 1" and "component 2".
    projection : object or None, default=None
        The fitted projection that made ``embedding`` (kept for reference, e.g.
        to project new codes); not used for drawing.

    Attributes
    ----------
    scatters_ : list of matplotlib.collections.PathCollection
        One scatter per class of ``labels`` (classes without a code get an
        empty one); ``scatters_[k].get_offsets()`` are the projected codes of
        class ``labels[k]``.
    contours_ : list of matplotlib.patches.Ellipse
        The prior's contours: for each component, one ellipse per level.
    centres_ : matplotlib.collections.PathCollection or None
        Markers at the prior's centres (None without a prior).
    legend_ : matplotlib.legend.Legend
        The legend (class names and contour levels).
    colors_ : dict
        The colour of each class.
    ax_ : matplotlib.axes.Axes
        The axes.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    TrainingCurvesDisplay : The losses of the same fit, including the adversarial ones.
    sklearn_maec.MAECClassifier.transform : Computes the latent codes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_maec.display import LatentSpaceDisplay
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.normal(size=(40, 8))
    >>> y = np.repeat(["neu", "hap", "sad", "ang"], 10)
    >>> disp = LatentSpaceDisplay.from_latent(Z, y, prior_mu=0.0, prior_sigma=1.0)
    >>> len(disp.contours_)  # one Gaussian, 1- and 2-sigma contours
    2
    >>> plt.close(disp.figure_)

    With a fitted pipeline ending in a :class:`~sklearn_maec.MAECClassifier`
    (``pipe`` fitted on ``X_train``):

    >>> LatentSpaceDisplay.from_estimator(pipe, X_test, y_test)  # doctest: +SKIP
    """

    def __init__(self, embedding, y, *, prior_means=None, prior_covariances=None,
                 prior_classes=None, labels=None, display_labels=None, axis_labels=None,
                 projection=None):
        self.embedding = embedding
        self.y = y
        self.prior_means = prior_means
        self.prior_covariances = prior_covariances
        self.prior_classes = prior_classes
        self.labels = labels
        self.display_labels = display_labels
        self.axis_labels = axis_labels
        self.projection = projection

    def plot(self, *, ax=None, levels=(1, 2), scatter_kwargs=None, prior_kwargs=None,
             legend=True, title=None):
        """Draw the codes and the prior's contours.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; None creates a figure.
        levels : sequence of float, default=(1, 2)
            The contours drawn for each Gaussian, in standard deviations
            (Mahalanobis distance in the projection).
        scatter_kwargs : dict or None, default=None
            Extra keyword arguments of :meth:`matplotlib.axes.Axes.scatter`.
        prior_kwargs : dict or None, default=None
            Extra keyword arguments of the contours
            (:class:`matplotlib.patches.Ellipse`).
        legend : bool, default=True
            Whether to add the legend.
        title : str or None, default=None
            Axes title.

        Returns
        -------
        display : LatentSpaceDisplay
            The display, with the artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        from matplotlib.lines import Line2D
        from matplotlib.patches import Ellipse

        embedding = np.asarray(self.embedding, dtype=float)
        y = np.asarray(self.y)
        if embedding.ndim != 2 or embedding.shape[1] != 2:
            raise ValueError(f"embedding must have shape (n_samples, 2), got {embedding.shape}")
        if len(y) != len(embedding):
            raise ValueError(f"embedding has {len(embedding)} rows but y has {len(y)}")
        has_prior = self.prior_means is not None
        if has_prior:
            means = np.atleast_2d(np.asarray(self.prior_means, dtype=float))
            if self.prior_covariances is None:
                raise ValueError("prior_covariances is required with prior_means")
            covs = np.asarray(self.prior_covariances, dtype=float).reshape(len(means), 2, 2)
            prior_classes = None if self.prior_classes is None \
                else np.asarray(self.prior_classes)
        labels = self._labels(y)
        names = labels if self.display_labels is None else list(self.display_labels)
        if len(names) != len(labels):
            raise ValueError(f"display_labels has {len(names)} names for {len(labels)} classes")
        colors = _class_colors(len(labels))

        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 5.6))
        self.ax_, self.figure_ = ax, ax.figure
        self.colors_ = dict(zip(labels, colors, strict=True))

        scatter_kw = {"s": 18, "alpha": 0.75, "linewidths": 0}
        scatter_kw.update(scatter_kwargs or {})
        self.scatters_ = []
        for label, name, color in zip(labels, names, colors, strict=True):
            points = embedding[y == label]
            self.scatters_.append(ax.scatter(points[:, 0], points[:, 1], color=color,
                                             label=str(name), **scatter_kw))

        self.contours_, self.centres_ = [], None
        handles = list(self.scatters_)
        if has_prior:
            styles = ["-", "--", ":", "-."]
            for k, (mean, cov) in enumerate(zip(means, covs, strict=True)):
                if prior_classes is None:
                    color = "black"
                else:
                    color = self.colors_.get(prior_classes[k], "black")
                values, vectors = np.linalg.eigh(cov)
                values = np.clip(values, 0, None)
                angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
                for j, level in enumerate(levels):
                    kw = {"fill": False, "edgecolor": color, "linewidth": 1.6,
                          "linestyle": styles[j % len(styles)]}
                    kw.update(prior_kwargs or {})
                    ellipse = Ellipse(mean, 2 * level * np.sqrt(values[-1]),
                                      2 * level * np.sqrt(values[0]), angle=angle, **kw)
                    ax.add_patch(ellipse)
                    self.contours_.append(ellipse)
            centre_colors = ["black" if prior_classes is None
                             else self.colors_.get(c, "black") for c in
                             (prior_classes if prior_classes is not None else [None] * len(means))]
            self.centres_ = ax.scatter(means[:, 0], means[:, 1], marker="X", s=90,
                                       c=centre_colors, edgecolors="white", linewidths=0.8,
                                       zorder=3)
            what = "prior" if prior_classes is None else "class prior"
            for j, level in enumerate(levels):
                handles.append(Line2D([], [], color="black" if prior_classes is None else "grey",
                                      linestyle=styles[j % len(styles)],
                                      label=f"{what} {level:g}\u03c3"))
        ax.set_aspect("equal", adjustable="datalim")
        ax.autoscale_view()
        xlabel, ylabel = self.axis_labels or ("component 1", "component 2")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title is not None:
            ax.set_title(title)
        self.legend_ = ax.legend(handles=handles, loc="best", fontsize="small",
                                 framealpha=0.85) if legend else None
        return self

    def _labels(self, y):
        if self.labels is not None:
            return list(self.labels)
        values = set(np.unique(y).tolist())
        if self.prior_classes is not None:
            values.update(np.asarray(self.prior_classes).tolist())
        return sorted(values, key=str)

    @classmethod
    def from_latent(cls, Z, y, *, prior="gaussian", prior_mu=0.0, prior_sigma=1.0,
                    class_means=None, labels=None, projection="pca", display_labels=None,
                    ax=None, levels=(1, 2), scatter_kwargs=None, prior_kwargs=None):
        """Plot latent codes you already have, with a prior of your choice.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent codes (e.g. ``MAECClassifier.transform``).
        y : array-like of shape (n_samples,)
            Emotion label of each code.
        prior : {"gaussian", "class_mixture"} or None, default="gaussian"
            The prior to draw: ``N(prior_mu, prior_sigma^2 I)``, one Gaussian
            ``N(class_means[k], prior_sigma^2 I)`` per class, or none.
        prior_mu : float, default=0.0
            Mean of every coordinate of the Gaussian prior; for the class
            mixture without ``class_means``, the radius of the class means
            (as in :class:`~sklearn_maec.MAECClassifier`).
        prior_sigma : float, default=1.0
            Standard deviation of the prior (of each class's Gaussian).
        class_means : array-like of shape (n_classes, latent_dim) or None, default=None
            Means of the class mixture, one row per class of ``labels``; None
            computes the classifier's (:func:`sklearn_maec.nn.class_mixture_means`
            with radius ``prior_mu``).
        labels : array-like of shape (n_classes,) or None, default=None
            The classes, in the classifier's ``classes_`` order (which the
            rows of the class means follow); None takes the sorted labels of
            ``y``.
        projection : {"pca", "lda"}, transformer or None, default="pca"
            How ``Z`` is brought to 2-D: scikit-learn's PCA or linear
            discriminant analysis fitted on ``Z`` (and ``y``), any affine
            transformer (cloned and fitted on ``Z, y``), or None for the first
            two coordinates.
        display_labels : array-like of shape (n_classes,) or None, default=None
            Names of the classes in the legend.
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; None creates a figure.
        levels : sequence of float, default=(1, 2)
            The contours drawn, in standard deviations.
        scatter_kwargs : dict or None, default=None
            Extra keyword arguments of the scatter plot.
        prior_kwargs : dict or None, default=None
            Extra keyword arguments of the contours.

        Returns
        -------
        display : LatentSpaceDisplay
            The plotted display.
        """
        _pyplot(f"{cls.__name__}.from_latent")
        Z = np.asarray(Z, dtype=float)
        y = np.asarray(y)
        if Z.ndim != 2:
            raise ValueError(f"Z must be 2-D (n_samples, latent_dim), got shape {Z.shape}")
        if len(Z) != len(y):
            raise ValueError(f"Z has {len(Z)} rows but y has {len(y)}")
        if prior not in ("gaussian", "class_mixture", None):
            raise ValueError(f"prior must be 'gaussian', 'class_mixture' or None, got {prior!r}")
        labels = list(np.unique(y)) if labels is None else list(labels)
        projector, embedding, axis_labels = _fit_projection(Z, y, projection)
        latent_dim = Z.shape[1]
        means = covs = prior_classes = None
        if prior == "gaussian":
            means, covs = _project_gaussians(projector, np.full(latent_dim, float(prior_mu)),
                                             prior_sigma, latent_dim)
        elif prior == "class_mixture":
            if class_means is None:
                from .nn import class_mixture_means

                class_means = class_mixture_means(len(labels), latent_dim,
                                                  float(prior_mu)).numpy()
            class_means = np.asarray(class_means, dtype=float)
            if class_means.shape != (len(labels), latent_dim):
                raise ValueError(f"class_means must have shape ({len(labels)}, {latent_dim}) "
                                 f"(one row per class of labels), got {class_means.shape}")
            means, covs = _project_gaussians(projector, class_means, prior_sigma, latent_dim)
            prior_classes = np.asarray(labels, dtype=object)
        disp = cls(embedding, y, prior_means=means, prior_covariances=covs,
                   prior_classes=prior_classes, labels=labels, display_labels=display_labels,
                   axis_labels=axis_labels, projection=projector)
        return disp.plot(ax=ax, levels=levels, scatter_kwargs=scatter_kwargs,
                         prior_kwargs=prior_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, projection="pca", display_labels=None,
                       ax=None, levels=(1, 2), scatter_kwargs=None, prior_kwargs=None):
        """Plot the latent codes a fitted model gives ``X``, with its prior.

        Parameters
        ----------
        estimator : Pipeline or MAECClassifier
            Fitted.  A pipeline's steps before the last transform ``X``; the
            last step's ``transform`` gives the codes, and its ``prior``,
            ``prior_mu``, ``prior_sigma`` and ``classes_`` describe the prior.
        X : pandas.DataFrame or array-like
            Input of the estimator (utterances for a pipeline).
        y : array-like of shape (n_samples,)
            Emotion label of each row.
        projection : {"pca", "lda"}, transformer or None, default="pca"
            How the codes are brought to 2-D (fitted on the codes of ``X``);
            see :meth:`from_latent`.
        display_labels : array-like of shape (n_classes,) or None, default=None
            Names of the classes in the legend (in ``classes_`` order).
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; None creates a figure.
        levels : sequence of float, default=(1, 2)
            The contours drawn, in standard deviations.
        scatter_kwargs : dict or None, default=None
            Extra keyword arguments of the scatter plot.
        prior_kwargs : dict or None, default=None
            Extra keyword arguments of the contours.

        Returns
        -------
        display : LatentSpaceDisplay
            The plotted display.
        """
        caller = f"{cls.__name__}.from_estimator"
        _pyplot(caller)
        transformers, model = _split_estimator(estimator, caller)
        if not hasattr(model, "transform"):
            raise TypeError(f"{caller}: the (last step of the) estimator must have a transform "
                            f"method returning latent codes, got {type(model).__name__}")
        _check_fitted_model(model, caller)
        y = np.asarray(y)
        n_rows = len(X)
        if n_rows != len(y):
            raise ValueError(f"X has {n_rows} rows but y has {len(y)}")
        Z = model.transform(_transform(transformers, X))
        classes = getattr(model, "classes_", None)
        labels = list(classes) if classes is not None else None
        unknown = set(np.unique(y).tolist()) - set(labels or np.unique(y).tolist())
        if unknown:
            raise ValueError("y has labels the estimator does not know: "
                             f"{sorted(unknown, key=str)}")
        return cls.from_latent(
            Z, y, prior=getattr(model, "prior", "gaussian"),
            prior_mu=getattr(model, "prior_mu", 0.0),
            prior_sigma=getattr(model, "prior_sigma", 1.0),
            labels=labels, projection=projection, display_labels=display_labels, ax=ax,
            levels=levels, scatter_kwargs=scatter_kwargs, prior_kwargs=prior_kwargs)


# --------------------------------------------------------------------------- training curves
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
    """Per-epoch values of every numeric key: ``{key: float array}`` (NaN where missing)."""
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
            if key not in keys and isinstance(value, (numbers.Real, np.number)) \
                    and not isinstance(value, bool):
                keys.append(key)
    out = {}
    for key in keys:
        values = []
        for row in rows:
            value = row.get(key)
            ok = isinstance(value, (numbers.Real, np.number)) and not isinstance(value, bool)
            values.append(float(value) if ok else np.nan)
        out[key] = np.asarray(values)
    return out


class TrainingCurvesDisplay:
    """Every loss of a MAEC fit and the discriminator's accuracy, per epoch.

    One panel per quantity the classifier records in its ``history_``: the
    emotion and gender cross-entropies, the encoder's adversarial loss, the
    discriminator's loss and accuracy (0.5 is chance: a discriminator that
    cannot tell the codes from prior samples means the regulariser has done
    its work), and the unweighted and weighted accuracy on the validation
    dialogues.  Training values are solid, validation values dashed; the epoch
    with the lowest validation loss (the one early stopping keeps) is marked.

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
        The epoch with the lowest validation loss (None without validation).
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
        plt = _pyplot(f"{type(self).__name__}.plot")
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

        if ax is None:
            n_cols = max(1, min(int(n_cols), len(panels)))
            n_rows = -(-len(panels) // n_cols)
            fig, grid = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.1 * n_rows),
                                     sharex=True, squeeze=False, layout="constrained")
        else:
            grid = np.asarray(ax, dtype=object)
            if grid.ndim == 0:
                grid = grid.reshape(1, 1)
            if grid.size < len(panels):
                raise ValueError(f"ax has {grid.size} Axes for {len(panels)} panels")
            fig = grid.flat[0].figure
        flat = list(grid.flat)
        for extra in flat[len(panels):]:
            extra.set_visible(False)

        best = None
        valid_loss = history.get("valid_loss", history.get("valid_emotion_loss"))
        if valid_loss is not None and np.isfinite(valid_loss).any():
            best = int(epochs[np.nanargmin(valid_loss)])

        self.lines_, self.panel_axes_, self.chance_line_ = {}, {}, None
        for panel, axes in zip(panels, flat, strict=False):
            title, ylabel, keys = TRAINING_PANELS[panel]
            self.panel_axes_[panel] = axes
            axes.set_title(title)
            axes.set_ylabel(ylabel, fontsize="small")
            present = [k for k in keys if k in history and np.isfinite(history[k]).any()]
            values = np.concatenate([history[k][np.isfinite(history[k])] for k in present]) \
                if present else np.empty(0)
            if not present or (panel in _ALL_ZERO_NOTES and not values.any()):
                note = "no validation data" if panel == "scores" else (
                    _ALL_ZERO_NOTES.get(panel, "not recorded") if present else "not recorded")
                axes.text(0.5, 0.5, note, transform=axes.transAxes, ha="center", va="center",
                          color="0.4")
                axes.set_yticks([])
            for key in present:
                if panel == "scores":
                    style = {"color": "C2" if key == "valid_ua" else "C3", "linestyle": "--",
                             "label": "valid UA (balanced accuracy)" if key == "valid_ua"
                             else "valid WA (accuracy)"}
                elif key.startswith("valid_"):
                    style = {"color": "C1", "linestyle": "--", "label": "valid"}
                else:
                    style = {"color": "C0", "linestyle": "-", "label": "train"}
                if panel in _ALL_ZERO_NOTES and not values.any():
                    continue
                (line,) = axes.plot(epochs, history[key], marker="o", markersize=3, **style)
                self.lines_[key] = line
            if panel == "disc_acc" and present and values.any():
                self.chance_line_ = axes.axhline(0.5, color="0.35", linestyle=":", linewidth=1.2,
                                                 label="chance (0.5)")
                axes.set_ylim(-0.02, 1.02)
            if panel == "scores" and present:
                axes.set_ylim(-0.02, 1.02)
            if best is not None:
                axes.axvline(best, color="0.6", linestyle="-.", linewidth=1,
                             label="lowest valid loss" if panel == panels[0] else None)
            if panel in (panels[0], "disc_acc", "scores") and axes.get_legend_handles_labels()[0]:
                axes.legend(fontsize="x-small", loc="best")
            axes.grid(True, alpha=0.3)
        n_cols_grid = grid.shape[-1] if grid.ndim == 2 else len(flat)
        for k, axes in enumerate(flat[:len(panels)]):
            # the x label on the lowest panel of each column
            below = k + n_cols_grid
            if below >= len(panels):
                axes.set_xlabel("epoch")
                axes.tick_params(labelbottom=True)
        from matplotlib.ticker import MaxNLocator

        for axes in flat[:len(panels)]:
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.axes_, self.figure_, self.best_epoch_ = grid, fig, best
        return self

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
        _pyplot(f"{cls.__name__}.from_history")
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
        _pyplot(caller)
        _, model = _split_estimator(estimator, caller)
        history = getattr(model, "history_", None)
        if history is None or len(history) == 0:
            raise NotFittedError(f"{caller}: {type(model).__name__} has no training history; "
                                 "fit it first")
        return cls.from_history(history, ax=ax, panels=panels, n_cols=n_cols)


# --------------------------------------------------------------------------- attention
def _split_axes(ax, plt):
    """Two stacked Axes (signal above, attention below) in the area of ``ax``."""
    fig = ax.figure
    spec = ax.get_subplotspec()
    ax.set_axis_off()
    if spec is not None:
        sub = spec.subgridspec(2, 1, height_ratios=(1.6, 1), hspace=0.08)
        top = fig.add_subplot(sub[0])
        bottom = fig.add_subplot(sub[1], sharex=top)
    else:
        x0, y0, w, h = ax.get_position().bounds
        bottom = fig.add_axes((x0, y0, w, 0.38 * h))
        top = fig.add_axes((x0, y0 + 0.42 * h, w, 0.58 * h), sharex=bottom)
    return top, bottom


class SegmentAttentionDisplay:
    """Which moments of an utterance the model attends to.

    MAEC reads an utterance as a bag of overlapping segments (multi-instance
    learning) and pools them with attention; the weights say which segments
    the model found salient.  This display draws the utterance's waveform (or
    its spectrogram, or, without audio, its openSMILE frames as a heat map)
    above the attention weight of every segment, as a bar at the segment's place in time (centred
    on the segment, one stride wide).  The span of the most attended segment is
    shaded on the signal, and a dashed line marks uniform attention
    ``1 / n_segments``.

    Segment ``k`` covers frames ``[k * stride_frames, k * stride_frames +
    window_frames)``, each frame ``frame_step`` seconds after the previous one.

    Use :meth:`from_estimator` rather than the constructor.  All parameters
    are stored as attributes.

    Parameters
    ----------
    attention : array-like of shape (n_segments,)
        The attention weight of each segment (they sum to 1).
    window_frames : int
        Frames per segment.
    stride_frames : int
        Frames between the starts of consecutive segments.
    frame_step : float, default=0.01
        Seconds between frames (openSMILE's 10 ms).
    audio : array-like of shape (n_samples,) or None, default=None
        The utterance's samples, drawn as a waveform or a spectrogram.
    sampling_rate : float or None, default=None
        Samples per second of ``audio`` (required with it).
    frames : array-like of shape (n_frames, n_lld) or None, default=None
        The utterance's frames, drawn as a heat map when there is no audio.
    y_true : object or None, default=None
        The true emotion, shown in the title.
    y_pred : object or None, default=None
        The predicted emotion, shown in the title.
    title : str or None, default=None
        Title; None builds one from ``y_true`` and ``y_pred``.

    Attributes
    ----------
    bars_ : matplotlib.container.BarContainer
        One bar per segment; its heights are the attention weights.
    segment_times_ : ndarray of shape (n_segments, 2)
        Start and end of each segment, in seconds.
    spread_ : matplotlib.patches.StepPatch
        The attention spread over time: at each frame, the weights of the
        segments covering it times ``stride_frames / window_frames`` (a step
        curve from the first segment's start to the last one's end, at the
        same level as the bars for uniform attention).
    uniform_line_ : matplotlib.lines.Line2D
        The level of uniform attention, ``1 / n_segments``.
    signal_ : matplotlib.lines.Line2D, matplotlib.collections.QuadMesh, \
matplotlib.image.AxesImage or None
        The waveform, the spectrogram (in dB) or the frames' heat map (None
        when no signal is drawn).
    highlight_ : matplotlib.patches.Patch or None
        The shaded span of the most attended segment on the signal.
    ax_ : matplotlib.axes.Axes
        The axes of the attention bars.
    signal_ax_ : matplotlib.axes.Axes or None
        The axes of the signal.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    sklearn_maec.MAECClassifier.segment_attention : Computes the weights.
    sklearn_maec.OpenSmileSegmenter : Cuts the segments.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn_maec.display import SegmentAttentionDisplay
    >>> attention = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    >>> disp = SegmentAttentionDisplay(attention, window_frames=50, stride_frames=10).plot()
    >>> disp.segment_times_[-1]  # the last segment: frames 40-89
    array([0.4, 0.9])
    >>> plt.close(disp.figure_)

    With a fitted pipeline, for the utterance at position 3 of ``X`` (``X``
    holding its dialogue, for the context turns):

    >>> SegmentAttentionDisplay.from_estimator(pipe, X, 3, y=y)  # doctest: +SKIP
    """

    def __init__(self, attention, *, window_frames, stride_frames, frame_step=0.01, audio=None,
                 sampling_rate=None, frames=None, y_true=None, y_pred=None, title=None):
        self.attention = attention
        self.window_frames = window_frames
        self.stride_frames = stride_frames
        self.frame_step = frame_step
        self.audio = audio
        self.sampling_rate = sampling_rate
        self.frames = frames
        self.y_true = y_true
        self.y_pred = y_pred
        self.title = title

    def plot(self, *, ax=None, signal="auto", bar_kwargs=None, max_frequency=8000.0,
             dynamic_range=70.0):
        """Draw the signal and the attention bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, pair of Axes or None, default=None
            Where to draw: None creates a figure with the signal above the
            attention; a pair of Axes gives (signal, attention); a single Axes
            is split into those two (or holds the attention alone when no
            signal is drawn).
        signal : {"auto", "waveform", "spectrogram", "frames"} or None, default="auto"
            What to draw above the attention: the waveform or the spectrogram
            (25 ms Hann windows every 10 ms, in dB, the top ``dynamic_range``
            dB shown; both need ``audio``), the frames' heat map (needs
            ``frames``), the first of the waveform and the frames that is
            available (``"auto"``), or nothing.
        bar_kwargs : dict or None, default=None
            Extra keyword arguments of :meth:`matplotlib.axes.Axes.bar`.
        max_frequency : float or None, default=8000.0
            Highest frequency of the spectrogram, in Hz (None: half the
            sampling rate); ignored for the other signals.
        dynamic_range : float, default=70.0
            Decibels below the spectrogram's maximum drawn (quieter cells
            are clipped to the colour of the floor); ignored for the other
            signals.

        Returns
        -------
        display : SegmentAttentionDisplay
            The display, with the artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        attention = np.asarray(self.attention, dtype=float).ravel()
        n = len(attention)
        if n == 0:
            raise ValueError("attention is empty: the utterance has no segment (failed "
                             "extraction?)")
        for name in ("window_frames", "stride_frames"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        step = float(self.frame_step)
        if not step > 0:
            raise ValueError(f"frame_step must be > 0, got {self.frame_step!r}")
        kind = self._signal_kind(signal)

        starts = np.arange(n) * self.stride_frames * step
        ends = starts + self.window_frames * step
        self.segment_times_ = np.column_stack([starts, ends])
        centres = (starts + ends) / 2
        width = self.stride_frames * step

        if ax is None:
            if kind is None:
                fig, att_ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
                sig_ax = None
            else:
                fig, (sig_ax, att_ax) = plt.subplots(
                    2, 1, figsize=(8, 4.2), sharex=True, height_ratios=(1.6, 1),
                    layout="constrained")
        elif isinstance(ax, (list, tuple, np.ndarray)):
            if len(ax) != 2:
                raise ValueError("ax must be one Axes or a pair (signal, attention), got "
                                 f"{len(ax)}")
            sig_ax, att_ax = ax
            if kind is None:
                sig_ax.set_axis_off()
                sig_ax = None
            fig = att_ax.figure
        elif kind is None:
            sig_ax, att_ax, fig = None, ax, ax.figure
        else:
            sig_ax, att_ax = _split_axes(ax, plt)
            fig = ax.figure

        duration = ends[-1]
        self.signal_, self.highlight_ = None, None
        if kind == "waveform":
            audio = np.asarray(self.audio, dtype=float).ravel()
            rate = float(self.sampling_rate)
            t = np.arange(len(audio)) / rate
            (self.signal_,) = sig_ax.plot(t, audio, color="0.25", linewidth=0.5)
            peak = float(np.max(np.abs(audio))) if len(audio) else 1.0
            sig_ax.set_ylim(-1.1 * peak or -1, 1.1 * peak or 1)
            sig_ax.set_ylabel("amplitude")
            duration = max(duration, len(audio) / rate)
        elif kind == "spectrogram":
            audio = np.asarray(self.audio, dtype=float).ravel()
            rate = float(self.sampling_rate)
            self.signal_ = _draw_spectrogram(sig_ax, audio, rate, max_frequency, dynamic_range)
            duration = max(duration, len(audio) / rate)
        elif kind == "frames":
            frames = np.asarray(self.frames, dtype=float)
            limit = float(np.nanpercentile(np.abs(frames), 98)) if frames.size else 1.0
            self.signal_ = sig_ax.imshow(
                frames.T, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-limit,
                vmax=limit, interpolation="nearest",
                extent=(0, len(frames) * step, -0.5, frames.shape[1] - 0.5))
            sig_ax.set_ylabel("descriptor")
            duration = max(duration, len(frames) * step)
        if sig_ax is not None:
            best = int(np.argmax(attention))
            span = {"facecolor": "C3", "alpha": 0.18, "linewidth": 0} if kind == "waveform" \
                else {"fill": False, "edgecolor": "cyan" if kind == "spectrogram" else "black",
                      "linewidth": 2}
            self.highlight_ = sig_ax.axvspan(starts[best], ends[best], **span,
                                             label=f"most attended segment ({starts[best]:.2f}-"
                                                   f"{ends[best]:.2f} s)")
            sig_ax.legend(loc="upper right", fontsize="x-small", framealpha=0.85)
            sig_ax.tick_params(labelbottom=False)

        # attention spread over each segment's span, per frame: the segments covering a
        # frame share out their weight, scaled by the overlap so that the level of uniform
        # attention is the same 1 / n_segments as for the bars
        last = (n - 1) * self.stride_frames + self.window_frames
        density = np.zeros(last)
        for k, weight in enumerate(attention):
            density[k * self.stride_frames:k * self.stride_frames + self.window_frames] += weight
        density *= self.stride_frames / self.window_frames
        edges = np.arange(last + 1) * step
        self.spread_ = att_ax.stairs(density, edges, color="C1", linewidth=1.5, zorder=3,
                                     label="spread over segment spans")
        kw = {"color": "C0", "alpha": 0.85, "edgecolor": "white", "linewidth": 0.3}
        kw.update(bar_kwargs or {})
        self.bars_ = att_ax.bar(centres, attention, width=width, align="center",
                                label="attention per segment", **kw)
        self.uniform_line_ = att_ax.axhline(1.0 / n, color="0.3", linestyle="--", linewidth=1,
                                            label=f"uniform (1/{n})")
        att_ax.set_xlim(0, duration)
        att_ax.set_ylim(0, max(attention.max(), density.max(), 1.0 / n) * 1.45)
        att_ax.set_xlabel("time (s)")
        att_ax.set_ylabel("attention")
        att_ax.legend(loc="upper center", ncols=3, fontsize="x-small", framealpha=0.85)
        if sig_ax is not None:
            sig_ax.set_xlim(0, duration)

        title = self.title
        if title is None:
            parts = []
            if self.y_true is not None:
                parts.append(f"true: {self.y_true}")
            if self.y_pred is not None:
                parts.append(f"predicted: {self.y_pred}")
            parts.append(f"{n} segments of {self.window_frames * step:g} s every {width:g} s")
            title = ", ".join(parts)
        (sig_ax if sig_ax is not None else att_ax).set_title(title, fontsize="medium")
        self.ax_, self.signal_ax_, self.figure_ = att_ax, sig_ax, fig
        return self

    def _signal_kind(self, signal):
        has_audio = self.audio is not None
        has_frames = self.frames is not None and np.asarray(self.frames).size > 0
        if signal == "auto":
            return "waveform" if has_audio else ("frames" if has_frames else None)
        if signal in ("waveform", "spectrogram"):
            if not has_audio:
                raise ValueError(f"signal={signal!r} needs audio")
        elif signal == "frames":
            if not has_frames:
                raise ValueError("signal='frames' needs frames")
        elif signal is not None:
            raise ValueError(f"signal must be 'auto', 'waveform', 'spectrogram', 'frames' or "
                             f"None, got {signal!r}")
        if signal in ("waveform", "spectrogram") and self.sampling_rate is None:
            raise ValueError("audio needs a sampling_rate")
        return signal

    @classmethod
    def from_estimator(cls, estimator, X, index, *, y=None, signal="auto", ax=None,
                       bar_kwargs=None, max_frequency=8000.0, dynamic_range=70.0):
        """Plot the attention a fitted model gives the segments of one utterance.

        Parameters
        ----------
        estimator : Pipeline or MAECClassifier
            A fitted pipeline (an :class:`~sklearn_maec.OpenSmileSegmenter`,
            usually a :class:`~sklearn_maec.ContextTripleBuilder`, and a
            :class:`~sklearn_maec.MAECClassifier` last), or a bare classifier
            when ``X`` is already transformed (then the stride is read from the
            segments' view of the frames and the frame step is taken as
            openSMILE's 10 ms).
        X : pandas.DataFrame
            Utterances, including the one to plot and its context turns
            (e.g. its whole dialogue): the context is looked up within ``X``.
        index : int
            Position (as in ``iloc``) of the utterance in ``X``; negative
            values count from the end.
        y : array-like of shape (n_samples,) or None, default=None
            Emotion labels of ``X``; the true label goes into the title.
        signal : {"auto", "waveform", "spectrogram", "frames"} or None, default="auto"
            What to draw above the attention (see :meth:`plot`).  The waveform
            and the spectrogram come from the row's ``audio`` (an array with
            ``sampling_rate``, or a file path).
        ax : matplotlib.axes.Axes, pair of Axes or None, default=None
            Where to draw (see :meth:`plot`).
        bar_kwargs : dict or None, default=None
            Extra keyword arguments of the bars.
        max_frequency : float or None, default=8000.0
            Highest frequency of the spectrogram, in Hz (see :meth:`plot`).
        dynamic_range : float, default=70.0
            Decibels of the spectrogram drawn (see :meth:`plot`).

        Returns
        -------
        display : SegmentAttentionDisplay
            The plotted display.

        Raises
        ------
        IndexError
            If ``index`` is not a position of ``X``.
        """
        import pandas as pd

        caller = f"{cls.__name__}.from_estimator"
        _pyplot(caller)
        transformers, model = _split_estimator(estimator, caller)
        if not hasattr(model, "segment_attention"):
            raise TypeError(f"{caller}: the (last step of the) estimator must have a "
                            f"segment_attention method, got {type(model).__name__}")
        _check_fitted_model(model, caller)
        for step in transformers:  # a clear NotFittedError before any work
            from sklearn.utils.validation import check_is_fitted

            check_is_fitted(step)
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"{caller}: X must be a DataFrame of utterances, got "
                            f"{type(X).__name__}")
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise TypeError(f"index must be an int position, got {index!r}")
        n = len(X)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for X with {n} rows")
        index = int(index) % n
        if y is not None:
            y = np.asarray(y)
            if len(y) != n:
                raise ValueError(f"X has {n} rows but y has {len(y)}")

        Xt = _transform(transformers, X)
        attention = model.segment_attention(Xt)[index]
        y_pred = model.predict(Xt)[index]

        segmenter = next((s for s in reversed(transformers)
                          if all(hasattr(s, a) for a in ("window_frames_", "stride_frames_",
                                                         "frame_step_"))), None)
        row = Xt.iloc[index]
        frames = row["frames"] if "frames" in Xt.columns else None
        if segmenter is not None:
            window, stride, step = (segmenter.window_frames_, segmenter.stride_frames_,
                                    segmenter.frame_step_)
        else:
            window = int(getattr(model, "window_frames_", row["segments"].shape[1]))
            stride, step = _infer_stride(row["segments"], frames), 0.01

        audio = rate = None
        if signal in ("auto", "waveform", "spectrogram") and "audio" in X.columns:
            audio, rate = _row_audio(X, index, signal in ("waveform", "spectrogram"))
        return cls(attention, window_frames=int(window), stride_frames=int(stride),
                   frame_step=float(step), audio=audio, sampling_rate=rate, frames=frames,
                   y_true=None if y is None else y[index], y_pred=y_pred).plot(
            ax=ax, signal=signal, bar_kwargs=bar_kwargs, max_frequency=max_frequency,
            dynamic_range=dynamic_range)


def _draw_spectrogram(ax, audio, rate, max_frequency, dynamic_range):
    """Draw the spectrogram of ``audio`` in dB on ``ax`` (25 ms Hann windows every 10 ms)."""
    from scipy.signal import spectrogram

    if not dynamic_range > 0:
        raise ValueError(f"dynamic_range must be > 0, got {dynamic_range!r}")
    nperseg = max(min(int(round(0.025 * rate)), len(audio)), 2)
    hop = max(int(round(0.010 * rate)), 1)
    nfft = max(512, 1 << (nperseg - 1).bit_length())
    if len(audio) < 2:
        audio = np.zeros(nperseg)
    freqs, times, power = spectrogram(audio, rate, window="hann", nperseg=nperseg,
                                      noverlap=max(nperseg - hop, 0), nfft=nfft)
    power_db = 10 * np.log10(power + 1e-12)
    top = float(power_db.max())
    mesh = ax.pcolormesh(times, freqs / 1000, power_db, shading="auto", cmap="magma",
                         vmin=top - float(dynamic_range), vmax=top, rasterized=True)
    high = rate / 2 if max_frequency is None else min(float(max_frequency), rate / 2)
    ax.set_ylim(0, high / 1000)
    ax.set_ylabel("frequency (kHz)")
    return mesh


def _infer_stride(segments, frames):
    """The stride of a bag cut as a view of its frames (1 when it cannot matter or be told)."""
    if segments.shape[0] < 2:
        return 1
    if frames is not None and np.shares_memory(segments, frames) and frames.strides[0]:
        return int(segments.strides[0] // frames.strides[0])
    raise ValueError("cannot tell the segments' stride: pass a Pipeline that includes the "
                     "OpenSmileSegmenter")


def _row_audio(X, index, required):
    """The samples and rate of row ``index``'s audio, or ``(None, None)``."""
    from ._audio import as_mono_float32, read_audio

    audio = X["audio"].iloc[index]
    try:
        if isinstance(audio, (str, bytes)) or hasattr(audio, "__fspath__"):
            signal, rate, _ = read_audio(audio)
            return signal, rate
        rate = X["sampling_rate"].iloc[index] if "sampling_rate" in X.columns else None
        if rate is None or (isinstance(rate, float) and np.isnan(rate)):
            raise ValueError("an audio array needs a sampling_rate column")
        signal, _ = as_mono_float32(audio)
        return signal, float(rate)
    except (OSError, ValueError):
        if required:
            raise
        return None, None
