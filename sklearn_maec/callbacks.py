"""skorch callbacks for MAECClassifier: checkpoints that training can resume from."""

import os

from skorch.callbacks import Checkpoint, LoadInitState

__all__ = ["EveryNEpochs", "resumable_checkpoint"]


class EveryNEpochs:
    """Checkpoint monitor that fires every ``n`` epochs (picklable, unlike a lambda).

    Parameters
    ----------
    n : int
        Period in epochs.

    Examples
    --------
    >>> from skorch.callbacks import Checkpoint
    >>> from sklearn_maec.callbacks import EveryNEpochs
    >>> cp = Checkpoint(monitor=EveryNEpochs(5), dirname="checkpoints")
    """

    def __init__(self, n=1):
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n!r}")
        self.n = int(n)

    def __call__(self, net):
        """Whether the epoch that just ended is a multiple of ``n``."""
        return len(net.history) % self.n == 0

    def __repr__(self):
        return f"EveryNEpochs({self.n})"


def resumable_checkpoint(dirname, every=1):
    """Callbacks that save the whole training state every ``every`` epochs and resume from it.

    Saves the encoder and heads, the discriminator, both optimizers and the
    history into ``dirname``; a later ``fit`` with the same callbacks (after a
    crash, a killed job, a pre-empted node) loads them when training begins and
    runs only the epochs left to ``max_epochs``.  With the same ``random_state``
    the result is the same as an uninterrupted run (each epoch's batches,
    dropout and prior samples depend on the seed and the epoch number alone).
    Early stopping's patience counter is not part of the state: resume runs
    without ``patience`` (or accept that it restarts counting).

    Parameters
    ----------
    dirname : str or os.PathLike
        Directory of the checkpoint files (created if missing).
    every : int, default=1
        Save every this many epochs.

    Returns
    -------
    callbacks : list of (str, skorch.callbacks.Callback)
        Pass them as ``MAECClassifier(callbacks=...)``.

    Examples
    --------
    >>> from sklearn_maec import MAECClassifier
    >>> from sklearn_maec.callbacks import resumable_checkpoint
    >>> clf = MAECClassifier(max_epochs=50, random_state=0,
    ...                      callbacks=resumable_checkpoint("ckpt", every=5))
    """
    cp = Checkpoint(
        monitor=EveryNEpochs(every), dirname=os.fspath(dirname), f_params="params.pt",
        f_optimizer="optimizer.pt", f_criterion=None, f_history="history.json",
        f_discriminator="discriminator.pt", f_optimizer_disc="optimizer_disc.pt",
        event_name="event_checkpoint",
    )
    return [("checkpoint", cp), ("resume", LoadInitState(cp))]
