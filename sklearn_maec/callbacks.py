"""skorch callbacks for MAECClassifier: checkpoints that training can resume from."""

import json
import os
import uuid
import warnings

from skorch.callbacks import Checkpoint, LoadInitState

from .exceptions import MAECWarning

__all__ = ["EveryNEpochs", "resumable_checkpoint", "recover_checkpoint"]


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

    A checkpoint is replaced whole or not at all: its files are written under
    temporary names and moved into place together (through a journal), so a
    process killed while saving resumes from the previous checkpoint, or from
    the new one when every file of it was written (see
    :func:`recover_checkpoint`), never from a mix of two epochs.

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
    cp = _JournaledCheckpoint(
        monitor=EveryNEpochs(every), dirname=os.fspath(dirname), f_params="params.pt",
        f_optimizer="optimizer.pt", f_criterion=None, f_history="history.json",
        f_discriminator="discriminator.pt", f_optimizer_disc="optimizer_disc.pt",
        event_name="event_checkpoint",
    )
    return [("checkpoint", cp), ("resume", _RecoveringLoadInitState(cp))]


_JOURNAL = "checkpoint-journal.json"
_TMP = ".tmp-"


class _JournaledCheckpoint(Checkpoint):
    """A skorch ``Checkpoint`` whose files are replaced all together or not at all.

    skorch writes the parameters, optimizers and history one file after the
    other, in place: a process killed in between leaves the weights of one
    epoch beside the history of the previous one, and a resumed run then
    silently trains from the wrong state (or fails on a torn file).  Here every
    file is first written under a temporary name; a journal naming them is
    written (atomically) before they are renamed into place and removed after.
    :func:`recover_checkpoint` finishes an interrupted commit (or drops an
    unfinished write), so the directory always holds one whole checkpoint.
    """

    def save_model(self, net):
        """Write every checkpoint file, then move them into place together.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        """
        os.makedirs(self.dirname or ".", exist_ok=True)
        prefix, token = self.fn_prefix, f"{_TMP}{os.getpid()}-{uuid.uuid4().hex[:8]}-"
        self.fn_prefix = token + prefix
        try:
            super().save_model(net)
        finally:
            self.fn_prefix = prefix
        directory = self.dirname or "."
        written = {n[len(token):] for n in os.listdir(directory) if n.startswith(token)}
        expected = {prefix + f for f in self._f_kwargs().values() if isinstance(f, str)}
        if written != expected:  # skorch logs a failed save and goes on: keep the last one
            for name in written:
                _remove(os.path.join(directory, token + name))
            warnings.warn(
                f"checkpoint of epoch {len(net.history)} could not be saved in {directory!r} "
                f"(missing: {sorted(expected - written)}); the previous checkpoint is kept",
                MAECWarning, stacklevel=2)
            return
        journal = os.path.join(directory, _JOURNAL)
        tmp = journal + f".{token}tmp"
        with open(tmp, "w") as fh:
            json.dump({"token": token, "files": sorted(written), "epoch": len(net.history)}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, journal)  # from here on, recovery completes this checkpoint
        _commit(directory, token, sorted(written))
        os.remove(journal)


class _RecoveringLoadInitState(LoadInitState):
    """``LoadInitState`` that first repairs a checkpoint interrupted while being saved."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Recover the checkpoint directory, then load it (skorch's behaviour).

        Parameters
        ----------
        net : MAECClassifier
            The estimator about to train.
        X, y : object
            Unused.
        **kwargs : dict
            Unused.
        """
        if not self.did_load_:
            recover_checkpoint(self.checkpoint.dirname or ".")
        super().on_train_begin(net, X=X, y=y, **kwargs)


def recover_checkpoint(dirname):
    """Leave ``dirname`` holding one whole checkpoint after an interrupted save.

    A journal (the files of a checkpoint were all written) means the move into
    place was interrupted: it is completed.  Temporary files without a journal
    are the remains of an interrupted write: they are removed and the previous
    checkpoint stays.

    Parameters
    ----------
    dirname : str or os.PathLike
        Directory of a :func:`resumable_checkpoint`.

    Returns
    -------
    recovered : str or None
        ``"completed"``, ``"discarded"`` or None when there was nothing to do.
    """
    directory = os.fspath(dirname)
    if not os.path.isdir(directory):
        return None
    journal = os.path.join(directory, _JOURNAL)
    state = None
    try:
        with open(journal) as fh:
            entry = json.load(fh)
        _commit(directory, entry["token"], entry["files"])
        os.remove(journal)
        state = "completed"
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the checkpoint journal {journal!r} is unreadable ({exc}); the "
                         "checkpoint in that directory may be incomplete: delete the "
                         "directory to train from scratch") from None
    leftovers = [n for n in os.listdir(directory) if n.startswith(_TMP) or
                 (n.startswith(_JOURNAL) and n != _JOURNAL)]
    for name in leftovers:
        _remove(os.path.join(directory, name))
    return state or ("discarded" if leftovers else None)


def _commit(directory, token, names):
    for name in names:
        src = os.path.join(directory, token + name)
        if os.path.exists(src):  # absent: already moved before the interruption
            os.replace(src, os.path.join(directory, name))


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass
