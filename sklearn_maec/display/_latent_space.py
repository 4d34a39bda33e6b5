"""LatentSpaceDisplay: the latent codes in two dimensions, with the prior they are pulled to."""

import numpy as np

from ._base import check_fitted_model, class_colors, pyplot, split_estimator, transform

__all__ = ["LatentSpaceDisplay"]


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


def _prior_samples(prior, Z, y, labels, projector, n_samples, random_state):
    """``(projected prior samples, their classes or None, MMD^2(Z, prior))``; Nones without."""
    if prior is None or n_samples == 0 or not hasattr(prior, "sample"):
        return None, None, None
    import torch

    from ..metrics import prior_mmd2

    conditional = getattr(prior, "n_conditions", 0) > 0
    index = {c: k for k, c in enumerate(labels)}
    codes = np.array([index[c] for c in y.tolist()]) if conditional else None
    mmd2 = prior_mmd2(Z, prior, codes, random_state=random_state) if len(Z) > 1 else None
    n = len(Z) if (n_samples is None or conditional) else int(n_samples)
    generator = torch.Generator().manual_seed(int(random_state))
    cond = torch.as_tensor(codes) if conditional else None
    sample = prior.sample(n, cond, generator=generator).double().numpy()
    projected = sample[:, :2] if projector is None else \
        np.asarray(projector.transform(sample), dtype=float)[:, :2]
    sample_y = np.asarray(labels, dtype=object)[codes] if conditional else None
    return projected, sample_y, mmd2


class LatentSpaceDisplay:
    """The latent codes ``Z`` in two dimensions, coloured by emotion, with the prior.

    MAEC's adversarial regulariser pulls the distribution of the latent codes
    towards a Gaussian prior (or, with ``prior="class_mixture"``, each
    emotion's codes towards its own Gaussian).  This display shows the codes
    projected to two dimensions (PCA by default) and the prior drawn in the
    same projection as its 1- and 2-sigma contours and, beside them, as many
    samples of the prior in the same projection and on the same scale, so one
    sees how well the codes match it (a cloud of the prior's shape, or a few
    stretched directions) and how the classes are laid out.  The title gives
    ``MMD^2(Z, prior)`` (:func:`sklearn_maec.metrics.prior_mmd2`), measured in
    the codes' own space, not in the projection.

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
    prior_embedding : array-like of shape (n_prior_samples, 2) or None, default=None
        Samples of the prior in the same projection, drawn beside the codes
        (in a second panel, or behind the codes when :meth:`plot` gets one
        Axes); None draws none.
    prior_embedding_y : array-like of shape (n_prior_samples,) or None, default=None
        The class of each prior sample (a class-conditional prior: drawn in
        its class's colour); None draws them in grey.
    mmd2 : float or None, default=None
        ``MMD^2`` between the codes and the prior, shown in the title.

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
    prior_scatter_ : matplotlib.collections.PathCollection or None
        The prior's samples (None without them); ``get_offsets()`` are their
        projections.
    prior_ax_ : matplotlib.axes.Axes or None
        The panel of the prior's samples (``ax_`` when they are drawn behind
        the codes, None without them).
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
    >>> import numpy as np
    >>> from sklearn_maec.display import LatentSpaceDisplay
    >>> from sklearn_maec.model import GaussianPrior
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.normal(size=(40, 8))
    >>> y = np.repeat(["neu", "hap", "sad", "ang"], 10)
    >>> disp = LatentSpaceDisplay.from_latent(Z, y, prior=GaussianPrior(8, mu=0.0, sigma=1.0))
    >>> len(disp.contours_)  # one Gaussian, 1- and 2-sigma contours
    2
    >>> disp.prior_scatter_.get_offsets().shape  # as many prior samples, in a second panel
    (40, 2)
    >>> bool(abs(disp.mmd2) < 0.05)  # codes drawn from the prior itself
    True
    >>> plt.close(disp.figure_)

    With a fitted pipeline ending in a :class:`~sklearn_maec.MAECClassifier`
    (``pipe`` fitted on ``X_train``):

    >>> LatentSpaceDisplay.from_estimator(pipe, X_test, y_test)  # doctest: +SKIP
    """

    def __init__(self, embedding, y, *, prior_means=None, prior_covariances=None,
                 prior_classes=None, labels=None, display_labels=None, axis_labels=None,
                 projection=None, prior_embedding=None, prior_embedding_y=None, mmd2=None):
        self.embedding = embedding
        self.y = y
        self.prior_means = prior_means
        self.prior_covariances = prior_covariances
        self.prior_classes = prior_classes
        self.labels = labels
        self.display_labels = display_labels
        self.axis_labels = axis_labels
        self.projection = projection
        self.prior_embedding = prior_embedding
        self.prior_embedding_y = prior_embedding_y
        self.mmd2 = mmd2

    def plot(self, *, ax=None, levels=(1, 2), scatter_kwargs=None, prior_kwargs=None,
             legend=True, title=None):
        """Draw the codes and the prior's contours.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, pair of Axes or None, default=None
            Where to draw.  None creates a figure: one panel, or two side by
            side (codes, prior samples) when there are prior samples; one
            Axes draws the prior samples (if any) in grey behind the codes; a
            pair draws the codes in the first and the samples in the second.
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
            Title of the codes' panel; None gives "latent codes" (with
            ``MMD^2`` to the prior when known).

        Returns
        -------
        display : LatentSpaceDisplay
            The display, with the artists as attributes.
        """
        plt = pyplot(f"{type(self).__name__}.plot")
        embedding = np.asarray(self.embedding, dtype=float)
        y = np.asarray(self.y)
        if embedding.ndim != 2 or embedding.shape[1] != 2:
            raise ValueError(f"embedding must have shape (n_samples, 2), got {embedding.shape}")
        if len(y) != len(embedding):
            raise ValueError(f"embedding has {len(embedding)} rows but y has {len(y)}")
        labels = self._labels(y)
        names = labels if self.display_labels is None else list(self.display_labels)
        if len(names) != len(labels):
            raise ValueError(f"display_labels has {len(names)} names for {len(labels)} classes")
        colors = class_colors(len(labels))
        samples = None if self.prior_embedding is None else \
            np.asarray(self.prior_embedding, dtype=float).reshape(-1, 2)
        if ax is None:
            if samples is None:
                _, ax = plt.subplots(figsize=(6.4, 5.6))
            else:
                _, ax = plt.subplots(1, 2, figsize=(11.5, 5.4), sharex=True, sharey=True)
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) not in (1, 2):
            raise ValueError(f"ax must be one Axes or a pair, got {len(axes)}")
        ax = axes[0]
        self.ax_, self.figure_ = ax, ax.figure
        self.colors_ = dict(zip(labels, colors, strict=True))
        self.prior_ax_ = None if samples is None else axes[-1]
        self.prior_scatter_ = None
        if samples is not None:
            self._draw_samples(samples, scatter_kwargs, behind=len(axes) == 1)

        scatter_kw = {"s": 18, "alpha": 0.75, "linewidths": 0}
        scatter_kw.update(scatter_kwargs or {})
        self.scatters_ = []
        for label, name, color in zip(labels, names, colors, strict=True):
            points = embedding[y == label]
            self.scatters_.append(ax.scatter(points[:, 0], points[:, 1], color=color,
                                             label=str(name), **scatter_kw))
        handles = list(self.scatters_)
        self.contours_, self.centres_ = [], None
        if self.prior_means is not None:
            handles += self._draw_prior(ax, levels, prior_kwargs)
        if self.prior_scatter_ is not None and self.prior_ax_ is ax:
            handles.append(self.prior_scatter_)
        xlabel, ylabel = self.axis_labels or ("component 1", "component 2")
        for panel in axes:
            panel.set_aspect("equal", adjustable="datalim")
            panel.autoscale_view()
            panel.set_xlabel(xlabel)
            panel.set_ylabel(ylabel)
        if title is None:
            title = "latent codes" if self.mmd2 is None else \
                f"latent codes (MMD\u00b2 to the prior {self.mmd2:.3f})"
        ax.set_title(title)
        self.legend_ = ax.legend(handles=handles, loc="best", fontsize="small",
                                 framealpha=0.85) if legend else None
        return self

    def _draw_samples(self, samples, scatter_kwargs, behind):
        """The prior's samples: in their own panel, or in grey behind the codes."""
        kw = {"s": 14, "alpha": 0.35 if behind else 0.6, "linewidths": 0, "zorder": 0}
        kw.update(scatter_kwargs or {})
        classes = None if self.prior_embedding_y is None else np.asarray(self.prior_embedding_y)
        if classes is None or behind:
            color = "0.55"
        else:
            if len(classes) != len(samples):
                raise ValueError(f"prior_embedding has {len(samples)} rows but "
                                 f"prior_embedding_y has {len(classes)}")
            color = [self.colors_.get(c, "0.55") for c in classes]
        self.prior_scatter_ = self.prior_ax_.scatter(samples[:, 0], samples[:, 1], c=color,
                                                     label="prior samples", **kw)
        if not behind:
            self.prior_ax_.set_title(f"{len(samples)} samples of the prior")

    def _draw_prior(self, ax, levels, prior_kwargs):
        """The prior's contours and centres; returns the legend handles of the levels."""
        from matplotlib.lines import Line2D
        from matplotlib.patches import Ellipse

        means = np.atleast_2d(np.asarray(self.prior_means, dtype=float))
        if self.prior_covariances is None:
            raise ValueError("prior_covariances is required with prior_means")
        covs = np.asarray(self.prior_covariances, dtype=float).reshape(len(means), 2, 2)
        classes = None if self.prior_classes is None else np.asarray(self.prior_classes)
        colors = ["black"] * len(means) if classes is None else \
            [self.colors_.get(c, "black") for c in classes]
        styles = ["-", "--", ":", "-."]
        for mean, cov, color in zip(means, covs, colors, strict=True):
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
        self.centres_ = ax.scatter(means[:, 0], means[:, 1], marker="X", s=90, c=colors,
                                   edgecolors="white", linewidths=0.8, zorder=3)
        what = "prior" if classes is None else "class prior"
        return [Line2D([], [], color="black" if classes is None else "grey",
                       linestyle=styles[j % len(styles)], label=f"{what} {level:g}\u03c3")
                for j, level in enumerate(levels)]

    def _labels(self, y):
        if self.labels is not None:
            return list(self.labels)
        values = set(np.unique(y).tolist())
        if self.prior_classes is not None:
            values.update(np.asarray(self.prior_classes).tolist())
        return sorted(values, key=str)

    @classmethod
    def from_latent(cls, Z, y, *, prior=None, labels=None, projection="pca",
                    display_labels=None, ax=None, levels=(1, 2), scatter_kwargs=None,
                    prior_kwargs=None, n_prior_samples=None, random_state=0):
        """Plot latent codes you already have, with a prior of your choice.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent codes (e.g. ``MAECClassifier.transform``).
        y : array-like of shape (n_samples,)
            Emotion label of each code.
        prior : GaussianPrior, ClassMixturePrior or None, default=None
            The prior to draw (:class:`sklearn_maec.model.GaussianPrior`,
            :class:`sklearn_maec.model.ClassMixturePrior`, or a fitted
            classifier's ``prior_``): its ``means`` (one Gaussian per row; for
            the class mixture one per class of ``labels``, in that order) and
            its spread ``sigma``.  None draws no prior.
        labels : array-like of shape (n_classes,) or None, default=None
            The classes, in the classifier's ``classes_`` order (which the
            rows of the class mixture's means follow); None takes the sorted
            labels of ``y``.
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
        n_prior_samples : int or None, default=None
            Samples of the prior drawn beside the codes, in the same projection
            (fitted on the codes alone); None draws as many as there are codes,
            0 none.  A class-conditional prior draws each sample from the
            class of a code (as many as codes, whatever the number asked).
        random_state : int, default=0
            Seeds the prior's samples and ``MMD^2``.

        Returns
        -------
        display : LatentSpaceDisplay
            The plotted display.
        """
        pyplot(f"{cls.__name__}.from_latent")
        Z = np.asarray(Z, dtype=float)
        y = np.asarray(y)
        if Z.ndim != 2:
            raise ValueError(f"Z must be 2-D (n_samples, latent_dim), got shape {Z.shape}")
        if len(Z) != len(y):
            raise ValueError(f"Z has {len(Z)} rows but y has {len(y)}")
        labels = list(np.unique(y)) if labels is None else list(labels)
        projector, embedding, axis_labels = _fit_projection(Z, y, projection)
        means = covs = prior_classes = None
        if prior is not None:
            prior_means = np.atleast_2d(np.asarray(prior.means, dtype=float))
            conditional = getattr(prior, "n_conditions", 0) > 0
            expected = (len(labels) if conditional else prior_means.shape[0], Z.shape[1])
            if prior_means.shape != expected:
                raise ValueError(f"the prior's means have shape {prior_means.shape}; expected "
                                 f"{expected} (one row per "
                                 f"{'class of labels' if conditional else 'component'}, "
                                 "the codes' dimension)")
            means, covs = _project_gaussians(projector, prior_means, prior.sigma, Z.shape[1])
            prior_classes = np.asarray(labels, dtype=object) if conditional else None
        samples, sample_y, mmd2 = _prior_samples(prior, Z, y, labels, projector, n_prior_samples,
                                                 random_state)
        disp = cls(embedding, y, prior_means=means, prior_covariances=covs,
                   prior_classes=prior_classes, labels=labels, display_labels=display_labels,
                   axis_labels=axis_labels, projection=projector, prior_embedding=samples,
                   prior_embedding_y=sample_y, mmd2=mmd2)
        return disp.plot(ax=ax, levels=levels, scatter_kwargs=scatter_kwargs,
                         prior_kwargs=prior_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, projection="pca", display_labels=None,
                       ax=None, levels=(1, 2), scatter_kwargs=None, prior_kwargs=None,
                       n_prior_samples=None, random_state=0):
        """Plot the latent codes a fitted model gives ``X``, with its prior.

        Parameters
        ----------
        estimator : Pipeline or MAECClassifier
            Fitted.  A pipeline's steps before the last transform ``X``; the
            last step's ``transform`` gives the codes, its ``prior_`` (when it
            has one) is drawn and its ``classes_`` order the classes.
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
        n_prior_samples : int or None, default=None
            Samples of the prior drawn beside the codes (None: as many as
            codes; 0: none); see :meth:`from_latent`.
        random_state : int, default=0
            Seeds the prior's samples and ``MMD^2``.

        Returns
        -------
        display : LatentSpaceDisplay
            The plotted display.
        """
        caller = f"{cls.__name__}.from_estimator"
        pyplot(caller)
        transformers, model = split_estimator(estimator, caller)
        if not hasattr(model, "transform"):
            raise TypeError(f"{caller}: the (last step of the) estimator must have a transform "
                            f"method returning latent codes, got {type(model).__name__}")
        check_fitted_model(model)
        y = np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        Z = model.transform(transform(transformers, X))
        classes = getattr(model, "classes_", None)
        labels = list(classes) if classes is not None else None
        unknown = set(np.unique(y).tolist()) - set(labels or np.unique(y).tolist())
        if unknown:
            raise ValueError("y has labels the estimator does not know: "
                             f"{sorted(unknown, key=str)}")
        return cls.from_latent(
            Z, y, prior=getattr(model, "prior_", None), labels=labels, projection=projection,
            display_labels=display_labels, ax=ax, levels=levels,
            scatter_kwargs=scatter_kwargs, prior_kwargs=prior_kwargs,
            n_prior_samples=n_prior_samples, random_state=random_state)
