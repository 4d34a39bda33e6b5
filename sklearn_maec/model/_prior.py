"""The distribution the adversarial regulariser pulls the latent codes towards.

:func:`make_prior` is the only place that knows the ``prior`` parameter's
values: it builds, once per fit, an object that draws the discriminator's
"real" samples, tells whether the discriminator is told the class, and gives
the components' means and spread (for the latent-space display).
"""

import numbers

import numpy as np
import torch

from .._validation import check_option

__all__ = ["PRIORS", "GaussianPrior", "ClassMixturePrior", "check_prior", "make_prior",
           "class_mixture_means"]

#: The values of ``MAECClassifier(prior=...)``.
PRIORS = ("gaussian", "class_mixture")


def class_mixture_means(n_classes, latent_dim, radius, seed=0):
    """Fixed, well separated class means on a sphere of the given radius.

    Orthogonal directions when ``n_classes <= latent_dim`` (from a QR
    decomposition of a seeded Gaussian matrix), so every pair of means is
    ``radius * sqrt(2)`` apart.

    Parameters
    ----------
    n_classes : int
        Number of means.
    latent_dim : int
        Their dimension.
    radius : float
        Norm of every mean.
    seed : int, default=0
        Seed of the Gaussian matrix the directions come from (the same seed
        gives the same means).

    Returns
    -------
    means : Tensor of shape (n_classes, latent_dim)
    """
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(latent_dim, max(n_classes, 1), generator=g)
    if n_classes <= latent_dim:
        q, _ = torch.linalg.qr(a)
        directions = q.T[:n_classes]
    else:
        directions = torch.nn.functional.normalize(a.T, dim=1)
    return radius * directions


class GaussianPrior:
    """``N(mu, sigma^2 I)`` in ``latent_dim`` dimensions (the paper's prior).

    Parameters
    ----------
    latent_dim : int
        Dimension of the codes.
    mu : float
        Mean of every coordinate.
    sigma : float
        Standard deviation of every coordinate.
    """

    #: Classes the discriminator is told (0: none).
    n_conditions = 0

    def __init__(self, latent_dim, mu, sigma):
        self.latent_dim = int(latent_dim)
        self.mu = float(mu)
        self.sigma = float(sigma)

    @property
    def means(self):
        """Centres of the components, shape (n_components, latent_dim)."""
        return np.full((1, self.latent_dim), self.mu)

    def condition(self, labels):
        """What the discriminator is told beside a code: nothing.

        Parameters
        ----------
        labels : LongTensor of shape (n,) or None
            The classes of the codes (unused).

        Returns
        -------
        condition : None
        """
        return None

    def _noise(self, n, device, dtype, generator):
        if generator is None:  # torch's global generator, which each epoch seeds
            return torch.randn(n, self.latent_dim, dtype=dtype, device=device)
        return torch.randn(n, self.latent_dim, generator=generator, dtype=dtype,
                           device=generator.device).to(device)

    def sample(self, n, labels=None, device=None, dtype=torch.float32, generator=None):
        """``n`` samples of the prior.

        Parameters
        ----------
        n : int
            Number of samples.
        labels : LongTensor of shape (n,) or None, default=None
            Class of each sample (used by the class mixture only).
        device : str, torch.device or None, default=None
            Device of the samples.
        dtype : torch.dtype, default=torch.float32
            Their dtype.
        generator : torch.Generator or None, default=None
            Source of randomness; None uses torch's global generator.

        Returns
        -------
        sample : Tensor of shape (n, latent_dim)
        """
        return self.mu + self.sigma * self._noise(n, device, dtype, generator)


class ClassMixturePrior(GaussianPrior):
    """One Gaussian per class, means on a sphere of radius ``mu``, spread ``sigma``.

    The discriminator is told each sample's class (the authors' follow-up idea
    of isolated Gaussian regularisation).

    Parameters
    ----------
    latent_dim : int
        Dimension of the codes.
    mu : float
        Radius of the sphere the class means lie on (> 0).
    sigma : float
        Standard deviation of each class's Gaussian.
    n_classes : int
        Number of classes.
    """

    def __init__(self, latent_dim, mu, sigma, n_classes):
        super().__init__(latent_dim, mu, sigma)
        self.n_conditions = int(n_classes)
        self._means = class_mixture_means(self.n_conditions, self.latent_dim, self.mu)

    @property
    def means(self):
        """Centres of the components, shape (n_classes, latent_dim), in ``classes_`` order."""
        return self._means.numpy().astype(float)

    def condition(self, labels):
        """What the discriminator is told beside a code: its class.

        Parameters
        ----------
        labels : LongTensor of shape (n,)
            The classes of the codes.

        Returns
        -------
        condition : LongTensor of shape (n,)
            ``labels`` itself.
        """
        return labels

    def sample(self, n, labels=None, device=None, dtype=torch.float32, generator=None):
        """``n`` samples, the ``k``-th from its class ``labels[k]``'s Gaussian.

        Parameters
        ----------
        n : int
            Number of samples.
        labels : LongTensor of shape (n,)
            Class of each sample.
        device : str, torch.device or None, default=None
            Device of the samples.
        dtype : torch.dtype, default=torch.float32
            Their dtype.
        generator : torch.Generator or None, default=None
            Source of randomness; None uses torch's global generator.

        Returns
        -------
        sample : Tensor of shape (n, latent_dim)
        """
        noise = self._noise(n, device, dtype, generator)
        return self._means.to(device=device, dtype=dtype)[labels] + self.sigma * noise


def check_prior(prior, mu, sigma):
    """Raise a ValueError naming the parameter when the prior's settings are invalid.

    An unknown ``prior``, a class mixture without a positive radius ``mu``, or
    a spread ``sigma`` that is not positive.
    """
    check_option("prior", prior, PRIORS)
    if prior == "class_mixture" and not mu > 0:
        raise ValueError("prior='class_mixture' puts the class means on a sphere of radius "
                         f"prior_mu, which must be > 0 (e.g. 3.0); got {mu!r}")
    if not (isinstance(sigma, numbers.Real) and sigma > 0):
        raise ValueError(f"prior_sigma must be > 0, got {sigma!r}")


def make_prior(prior, latent_dim, mu, sigma, n_classes):
    """The prior object of ``MAECClassifier(prior=..., prior_mu=..., prior_sigma=...)``.

    Raises
    ------
    ValueError
        As :func:`check_prior`.
    """
    check_prior(prior, mu, sigma)
    if prior == "class_mixture":
        return ClassMixturePrior(latent_dim, mu, sigma, n_classes)
    return GaussianPrior(latent_dim, mu, sigma)
