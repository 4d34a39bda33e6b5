"""skorch callbacks of MAECClassifier: validation scores, the collapse watch, resumable checkpoints.

:class:`ValidationScores` and :class:`CollapseMonitor` are among the
classifier's default callbacks; :func:`resumable_checkpoint` gives the
callbacks that save the whole training state and resume from it.
"""

import json
import os
import uuid
import warnings

import numpy as np
import torch
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, LoadInitState
from skorch.dataset import unpack_data

from ..exceptions import MAECWarning, TrainingCollapsedError, caller_stacklevel
from .nn import current_code

__all__ = ["ValidationScores", "CollapseMonitor", "BestValidationScore", "EveryNEpochs",
           "resumable_checkpoint", "recover_checkpoint"]


class ValidationScores(Callback):
    """Records UA (balanced accuracy) and WA (accuracy) on the validation set each epoch.

    As ``valid_ua`` and ``valid_wa`` in the history.

    Examples
    --------
    >>> from sklearn_maec.model.callbacks import ValidationScores
    >>> ValidationScores()
    <ValidationScores>
    """

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def on_epoch_begin(self, net, **kwargs):
        """Forget the previous epoch's predictions.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        **kwargs : dict
            Unused.
        """
        self.y_true_, self.y_pred_ = [], []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        """Keep a validation batch's labels and predictions.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        batch : tuple or None, default=None
            The batch, ``(x, targets)``.
        training : bool, default=False
            Whether it was a training batch (those are ignored).
        y_pred : Tensor or None, default=None
            The emotion logits.
        **kwargs : dict
            Unused.
        """
        if training or y_pred is None:
            return
        _, y = unpack_data(batch)
        self.y_true_.append(y[:, 0].cpu().numpy())
        self.y_pred_.append(y_pred.argmax(dim=1).cpu().numpy())

    def on_epoch_end(self, net, **kwargs):
        """Record ``valid_ua`` and ``valid_wa``.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        **kwargs : dict
            Unused.
        """
        from sklearn.metrics import accuracy_score, balanced_accuracy_score

        if not self.y_true_:
            return
        y_true, y_pred = np.concatenate(self.y_true_), np.concatenate(self.y_pred_)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a class absent from a small validation set
            net.history.record("valid_ua", float(balanced_accuracy_score(y_true, y_pred)))
        net.history.record("valid_wa", float(accuracy_score(y_true, y_pred)))


class BestValidationScore(EarlyStopping):
    """Early stopping on the validation UA, keeping the best epoch's weights.

    skorch's :class:`~skorch.callbacks.EarlyStopping` on ``valid_ua`` (higher
    is better) with ``load_best=True``, which does nothing in a fit without a
    validation set (the classifier holds none out when it would be too small:
    see :class:`~sklearn_maec.model_selection.DialogueValidSplit`).

    Parameters
    ----------
    patience : int, default=10
        Epochs without a better validation UA before training stops.
    monitor : str, default="valid_ua"
        The history key watched.

    Examples
    --------
    >>> from sklearn_maec.model.callbacks import BestValidationScore
    >>> BestValidationScore(patience=5).patience
    5
    """

    def __init__(self, patience=10, monitor="valid_ua"):
        super().__init__(monitor=monitor, patience=patience, lower_is_better=False,
                         load_best=True, sink=_silent)

    def on_epoch_end(self, net, **kwargs):
        """Count the epochs without improvement (when the epoch has a validation score).

        Records ``<monitor>_best`` in the history: True on the epochs that
        became the kept best (the last True is the epoch whose weights the fit
        ends with).  It follows skorch's own rule, a relative improvement of
        more than ``threshold`` (1e-4), which a plain maximum of the history
        does not: a later score higher by less than that is not kept.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        **kwargs : dict
            Unused.
        """
        if self.monitor not in net.history[-1]:
            return
        epoch = net.history[-1, "epoch"]
        try:  # the stopping epoch raises KeyboardInterrupt: it is recorded too
            super().on_epoch_end(net, **kwargs)
        finally:
            net.history.record(f"{self.monitor}_best", bool(self.best_epoch_ == epoch))

    def on_train_end(self, net, **kwargs):
        """Restore the best epoch's weights (when there was a validation set).

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        **kwargs : dict
            Unused.
        """
        if getattr(self, "best_model_weights_", None) is not None:
            super().on_train_end(net, **kwargs)


def _silent(*args, **kwargs):
    """A sink that prints nothing (module-level, so the estimator pickles)."""


class CollapseMonitor(Callback):
    """Stop a training whose encoder collapsed: ``train_hf_alive`` in the history.

    Each epoch it records ``train_hf_alive``, the fraction of the units of the
    current utterance's code ``HF_cur`` that vary by more than ``tolerance``
    across the epoch's training utterances.  The encoder has collapsed when
    at most ``alive_below`` of them still vary although more than
    ``alive_before`` did in an earlier epoch, while the training emotion loss
    is still at least ``stuck`` times the first epoch's, or than chance's
    (``log(n_classes)``, when that is lower; a normalised latent code starts
    with larger logits, so its first epoch's loss is above chance): the model then
    predicts almost one class whatever the input, with finite losses.  It
    raises :class:`~sklearn_maec.exceptions.TrainingCollapsedError`, which a
    fresh ``fit`` catches to start over from new weights.

    Parameters
    ----------
    tolerance : float, default=0.01
        Range below which a unit counts as constant.
    alive_below : float, default=0.25
        Fraction of varying units at or below which an epoch may be collapsed.
    alive_before : float, default=0.5
        Fraction some earlier epoch must have exceeded.
    stuck : float, default=0.95
        The emotion loss must be at least this fraction of the first epoch's
        (or of chance's, ``log(n_classes)``, when lower).

    Examples
    --------
    >>> from sklearn_maec.model.callbacks import CollapseMonitor
    >>> CollapseMonitor(alive_below=0.2).alive_below
    0.2
    """

    def __init__(self, tolerance=0.01, alive_below=0.25, alive_before=0.5, stuck=0.95):
        self.tolerance = tolerance
        self.alive_below = alive_below
        self.alive_before = alive_before
        self.stuck = stuck

    def on_epoch_begin(self, net, **kwargs):
        """Start the epoch's range of the codes afresh.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        **kwargs : dict
            Unused.
        """
        self.range_ = None

    def on_batch_end(self, net, batch=None, training=False, code=None, **kwargs):
        """Widen the epoch's per-unit range of ``HF_cur`` with a training batch's codes.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        batch : tuple or None, default=None
            The batch (unused).
        training : bool, default=False
            Whether it was a training batch (others are ignored).
        code : Tensor or None, default=None
            The batch's latent codes before the latent normalisation (the
            training step returns them).
        **kwargs : dict
            Unused.
        """
        if not training or code is None:
            return
        hf = current_code(code, net.use_context_, net.fusion)
        lo, hi = hf.amin(dim=0), hf.amax(dim=0)
        if getattr(self, "range_", None) is not None:
            lo, hi = torch.minimum(self.range_[0], lo), torch.maximum(self.range_[1], hi)
        self.range_ = (lo, hi)

    def on_epoch_end(self, net, **kwargs):
        """Record ``train_hf_alive``; raise when this epoch's encoder has collapsed.

        Parameters
        ----------
        net : MAECClassifier
            The estimator being trained.
        **kwargs : dict
            Unused.

        Raises
        ------
        TrainingCollapsedError
            When the encoder stopped telling the training utterances apart.
        """
        seen, self.range_ = getattr(self, "range_", None), None
        if seen is None:
            return
        history = net.history
        alive = float(((seen[1] - seen[0]) > self.tolerance).float().mean())
        history.record("train_hf_alive", alive)
        if len(history) < 2 or alive > self.alive_below:
            return
        earlier = [row.get("train_hf_alive", 0.0) for row in history[:-1]]
        # this epoch's emotion loss is not yet recorded (skorch's scoring callbacks run later)
        first, now = (np.mean([b["train_emotion_loss"] for b in row["batches"]
                               if "train_emotion_loss" in b] or [np.nan])
                      for row in (history[0], history[-1]))
        reference = min(first, np.log(len(net.classes_)))
        if max(earlier) <= self.alive_before or not now >= self.stuck * reference:
            return
        raise TrainingCollapsedError(
            f"training collapsed in epoch {len(history)}: only {alive:.0%} of the units of the "
            f"current utterance's code HF_cur still vary across the training utterances (up "
            f"to {max(earlier):.0%} in earlier epochs) and the emotion loss is stuck at "
            f"{now:.3f} (epoch 1: {first:.3f}), so the model predicts almost one class "
            f"whatever the input. Lower lr (now {net.lr}) or adversarial_weight (now "
            f"{net.adversarial_weight}), or use another random_state")


class EveryNEpochs:
    """Checkpoint monitor that fires every ``n`` epochs (picklable, unlike a lambda).

    Parameters
    ----------
    n : int
        Period in epochs.

    Examples
    --------
    >>> from skorch.callbacks import Checkpoint
    >>> from sklearn_maec.model.callbacks import EveryNEpochs
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
    >>> from sklearn_maec.model.callbacks import resumable_checkpoint
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
                MAECWarning, stacklevel=caller_stacklevel())
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
