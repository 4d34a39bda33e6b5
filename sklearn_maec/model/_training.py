"""The training step of MAECClassifier: the paper's two phases per batch (a skorch hooks mixin).

Each batch first updates the discriminator on prior samples (real) against the
batch's latent codes (fake), then the encoder and heads on the emotion and
gender cross-entropies plus the adversarial term, whose gradient reaches the
encoder through ``Z`` (Eq. 8).  Every loss is recorded per batch in the
history, and checked before its step.
"""

import contextlib
import signal
import threading
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.utils.class_weight import compute_class_weight
from skorch.dataset import unpack_data
from skorch.utils import to_tensor

from .._validation import describe_rows
from ..exceptions import MAECWarning, TrainingDivergedError, caller_stacklevel

#: The encoder's adversarial loss: the paper's ``log(1 - D(Z))``, minimised, or ``-log D(Z)``.
GENERATOR_LOSSES = ("minimax", "non_saturating")

__all__ = ["AdversarialTraining", "LOSS_KEYS", "class_weight_tensor", "watch_interrupts"]

#: Losses recorded per batch and averaged per epoch, for training and validation.
#: ``disc_acc`` is the discriminator's accuracy over prior samples and codes together,
#: ``disc_acc_real`` on the prior samples alone and ``disc_acc_fake`` on the codes alone.
LOSS_KEYS = ("emotion_loss", "gender_loss", "adversarial_loss", "disc_loss", "disc_acc",
             "disc_acc_real", "disc_acc_fake")

#: How the latent normalisation's statistics are set for prediction (``latent_stats``).
LATENT_STATS = ("final", "running")


class AdversarialTraining:
    """skorch's ``train_step`` and ``validation_step`` for the adversarial auto-encoder.

    A mixin of :class:`~sklearn_maec.MAECClassifier`, which provides the
    networks (``module_``, ``discriminator_``), their criteria and optimizers,
    the prior (``prior_``) and the loss weights.
    """

    def _losses(self, x, y):
        """Forward pass and every loss of one batch (no optimizer step)."""
        emotion_y, gender_y = y[:, 0], y[:, 1]
        code = self.module_.encode(**x, normalise=False)
        z = self.module_.normalise(code)
        emotion_logits, gender_logits = self.module_.heads(z)
        out = {"z": z, "code": code, "y_pred": emotion_logits,
               "emotion_loss": self.criterion_(emotion_logits, emotion_y)}
        if self.has_gender_ and self.gender_weight > 0 and bool((gender_y >= 0).any()):
            out["gender_loss"] = self.criterion_gender_(gender_logits, gender_y)
        else:
            out["gender_loss"] = z.new_zeros(())
        return out

    def _disc_view(self, v):
        """What the discriminator sees of prior samples or codes ``v``: ``v`` plus instance noise.

        Gaussian noise of standard deviation ``disc_noise * prior_sigma`` (drawn
        from torch's generator, which each epoch seeds), added alike to prior
        samples and codes; ``disc_noise=0`` shows them as they are (the paper).
        """
        if not self.disc_noise:
            return v
        return v + (self.disc_noise * self.prior_.sigma) * torch.randn_like(v)

    def _disc_terms(self, z, labels):
        """Discriminator loss on prior vs (detached) codes; its accuracy, overall, real, fake."""
        condition = self.prior_.condition(labels)
        prior = self.prior_.sample(len(z), labels, device=z.device)
        real = self.discriminator_(self._disc_view(prior), condition)
        fake = self.discriminator_(self._disc_view(z.detach()), condition)
        loss = self.criterion_disc_(real, torch.ones_like(real)) + \
            self.criterion_disc_(fake, torch.zeros_like(fake))
        acc_real, acc_fake = (real > 0).float().mean(), (fake < 0).float().mean()
        return loss, 0.5 * (acc_real + acc_fake), acc_real, acc_fake

    def _adversarial_term(self, z, labels):
        """The encoder's adversarial loss; its gradient reaches the encoder through ``z``."""
        logit = self.discriminator_(self._disc_view(z), self.prior_.condition(labels))
        if self.generator_loss == "minimax":  # E[log(1 - D(z))], minimised
            return -torch.nn.functional.softplus(logit).mean()
        return torch.nn.functional.softplus(-logit).mean()  # -E[log D(z)]

    def _check_finite(self, values, phase):
        for key, value in values.items():
            if not torch.isfinite(value).all():
                epoch = len(self.history_)
                batch = len(self.history_[-1, "batches"]) if len(self.history_) else 0
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch}, {phase} batch {batch}: {key} is "
                    f"{float(value.detach().cpu())}; lower lr (now {self.lr}), set grad_clip, "
                    "or check the inputs for extreme values")

    def train_step(self, batch, **fit_params):
        """One batch in the paper's order: discriminator, then encoder + heads (Eq. 8).

        Parameters
        ----------
        batch : tuple
            ``(x, y)`` from :meth:`get_iterator`.
        **fit_params : dict
            Unused.

        Returns
        -------
        step : dict
            ``loss`` (the encoder's total loss), ``y_pred`` (emotion logits) and
            ``code`` (the latent codes before the latent normalisation, for the
            collapse monitor: a normalisation would blow a collapsed code's
            rounding noise up to unit spread).
        """
        self._set_training(True)
        x, y = unpack_data(batch)
        x, y = x.to(self.device), to_tensor(y, device=self.device)
        out = self._losses(x, y)
        z = out["z"]
        adversarial = self.adversarial_weight > 0
        if adversarial:
            # 1. regularisation phase: the discriminator learns prior (real) vs codes (fake)
            disc_loss, *disc_acc = self._disc_terms(z, y[:, 0])
            self._check_finite({"disc_loss": disc_loss}, "training")
            self.optimizer_disc_.zero_grad()
            disc_loss.backward()
            self._clip(self.discriminator_)
            self.optimizer_disc_.step()
            # the encoder is trained to fool the updated discriminator
            adv_loss = self._adversarial_term(z, y[:, 0])
        else:
            disc_loss = adv_loss = z.new_zeros(())
            disc_acc = (z.new_zeros(()),) * 3
        # 2. classification phase (+ the adversarial term): encoder and heads
        loss = out["emotion_loss"] + self.gender_weight * out["gender_loss"] + \
            self.adversarial_weight * adv_loss
        self._check_finite({"emotion_loss": out["emotion_loss"],
                            "gender_loss": out["gender_loss"],
                            "adversarial_loss": adv_loss, "train_loss": loss}, "training")
        self.optimizer_.zero_grad()
        loss.backward()
        self._clip(self.module_)
        self.optimizer_.step()
        self._record("train", out, adv_loss, disc_loss, disc_acc)
        return {"loss": loss.detach(), "y_pred": out["y_pred"].detach(),
                "code": out["code"].detach()}

    def validation_step(self, batch, **fit_params):
        """Every loss on a validation batch, without updates; ``loss`` is the emotion loss.

        Parameters
        ----------
        batch : tuple
            ``(x, y)`` from :meth:`get_iterator`.
        **fit_params : dict
            Unused.

        Returns
        -------
        step : dict
            ``loss`` and ``y_pred``.
        """
        self._set_training(False)
        x, y = unpack_data(batch)
        x, y = x.to(self.device), to_tensor(y, device=self.device)
        with torch.no_grad():
            out = self._losses(x, y)
            if self.adversarial_weight > 0:
                disc_loss, *disc_acc = self._disc_terms(out["z"], y[:, 0])
                adv_loss = self._adversarial_term(out["z"], y[:, 0])
            else:
                disc_loss = adv_loss = out["z"].new_zeros(())
                disc_acc = (out["z"].new_zeros(()),) * 3
        self._record("valid", out, adv_loss, disc_loss, disc_acc)
        return {"loss": out["emotion_loss"], "y_pred": out["y_pred"]}

    def _record(self, prefix, out, adv_loss, disc_loss, disc_acc):
        acc, acc_real, acc_fake = disc_acc
        values = {"emotion_loss": out["emotion_loss"], "gender_loss": out["gender_loss"],
                  "adversarial_loss": adv_loss, "disc_loss": disc_loss, "disc_acc": acc,
                  "disc_acc_real": acc_real, "disc_acc_fake": acc_fake}
        for key, value in values.items():
            self.history_.record_batch(f"{prefix}_{key}", float(value.detach()))

    def _set_final_latent_statistics(self, dataset):
        """Set the latent normalisation's statistics to those of the final weights.

        During training the batch normalisation of ``Z`` (``latent_norm="batch"``)
        normalises each batch with its own statistics and keeps running averages
        for prediction; those averages lag behind weights that keep moving (and
        the adversarial game moves them: at the end of a default fit on the
        README demo's corpus the running means were 0.35 standard deviations off
        per unit, 1.7 with ``adversarial_weight=5``), so the codes ``transform``
        returned were not the codes the game was played on.  With
        ``latent_stats="final"`` one pass over the training rows, without
        dropout, recomputes the mean and (unbiased) variance of every unit of the
        code with the weights training ended with (after early stopping restored
        the best epoch's); ``"running"`` keeps the running averages.

        Parameters
        ----------
        dataset : BagDataset
            The training rows.
        """
        bn = getattr(getattr(self.module_, "latent_norm", None), "norm", None)
        if self.latent_stats != "final" or not isinstance(bn, torch.nn.BatchNorm1d) \
                or not len(dataset):
            return  # no batch normalisation of Z (latent_norm=None, or a module of the user's)
        self._set_training(False)
        total = total_sq = None
        n = 0
        with torch.no_grad():
            for x, _ in self.get_iterator(dataset, training=False):
                code = self.module_.encode(**x.to(self.device), normalise=False)
                code = code.to("cpu", torch.float64)  # float64 sums (not on every device)
                if total is None:
                    total, total_sq = code.new_zeros(code.shape[1]), code.new_zeros(code.shape[1])
                total += code.sum(0)
                total_sq += (code * code).sum(0)
                n += len(code)
        if n < 2:
            return
        mean = total / n
        var = (total_sq / n - mean * mean).clamp_min(0) * (n / (n - 1))
        bn.running_mean.copy_(mean.to(bn.running_mean))
        bn.running_var.copy_(var.to(bn.running_var))

    def _clip(self, module):
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(module.parameters(), self.grad_clip)

    def _warn_if_one_class(self, dataset):
        """Warn, naming the class, when the fitted model predicts one class for its training data.

        Such a fit has learnt nothing (a collapsed encoder, a learning rate far
        too small or too large, a validation set that stopped it at once); the
        losses alone do not show it.  Skipped when the training data itself is
        (almost) one class.
        """
        labels = dataset.labels
        if labels is None or not len(labels):
            return
        predicted = self.predict_proba(dataset).argmax(axis=1)
        counts = np.bincount(predicted, minlength=len(self.classes_))
        top = int(counts.argmax())
        share, true_share = counts[top] / len(predicted), np.mean(labels == top)
        if share >= 0.99 and true_share < 0.9 and len(np.unique(labels)) > 1:
            warnings.warn(
                f"the fitted model predicts {self.classes_[top]!r} for {share:.0%} of its own "
                f"training utterances ({true_share:.0%} of them are {self.classes_[top]!r}): it "
                "has not learnt to tell the emotions apart; see the training curves "
                "(history_), and try more epochs, another lr or random_state",
                MAECWarning, stacklevel=caller_stacklevel())

    def _check_trained_weights(self, dataset):
        """Raise when the trained weights give non-finite outputs.

        Each loss is checked before its step; the weights left by the last
        step of training are checked here, by their values and by one forward
        pass over a batch of the training rows (a step can leave finite but
        huge weights whose outputs overflow).

        Parameters
        ----------
        dataset : BagDataset
            The training rows.

        Raises
        ------
        TrainingDivergedError
            Naming the last epoch and the non-finite parameters or outputs.
        """
        if not len(self.history_) or not len(dataset):
            return
        bad = [name for name, p in self.module_.named_parameters()
               if not bool(torch.isfinite(p).all())]
        if not bad:
            self._set_training(False)
            with torch.no_grad():
                for x, _ in self.get_iterator(dataset, training=False):
                    logits, _, z = self.module_(**x.to(self.device))
                    bad = [name for name, t in (("emotion logits", logits), ("Z", z))
                           if not bool(torch.isfinite(t).all())]
                    break
        if bad:
            raise TrainingDivergedError(
                f"training diverged in the last step of epoch {len(self.history_)}: the weights "
                f"it left give non-finite values in {', '.join(bad[:5])}; lower lr (now "
                f"{self.lr}), set grad_clip, or check the inputs for extreme values")

    def _training_rows(self, dataset, X):
        empty = np.flatnonzero(dataset.lengths == 0)
        if len(empty) == len(dataset):
            raise ValueError("every row of X has an empty bag: nothing to train on")
        if len(empty):
            label = describe_rows(X, empty) if isinstance(X, pd.DataFrame) else list(empty[:5])
            warnings.warn(f"{len(empty)} row(s) with an empty bag (failed extraction) are left "
                          f"out of training: {label}", MAECWarning, stacklevel=caller_stacklevel())
            return dataset.subset(np.flatnonzero(dataset.lengths > 0))
        return dataset


def class_weight_tensor(class_weight, classes, counts):
    """The emotion loss's class weights for ``class_weight`` (None: unweighted).

    ``"balanced"`` weighs each class present in the training data inversely to
    its count (``counts``, in ``classes`` order; absent classes get 1), a dict
    maps labels to weights (1 for the others).  None when ``class_weight`` is
    None or the counts are not known yet.
    """
    if class_weight is None or counts is None:
        return None
    codes = np.arange(len(classes))
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got "
                             f"{class_weight!r}")
        present = counts > 0
        w = np.ones(len(codes))
        y = np.repeat(codes, counts)
        w[present] = compute_class_weight("balanced", classes=codes[present], y=y)
    elif isinstance(class_weight, dict):
        w = np.array([float(class_weight.get(c, 1.0)) for c in classes])
    else:
        raise ValueError(f"class_weight must be None, 'balanced' or a dict, got "
                         f"{class_weight!r}")
    return torch.as_tensor(w, dtype=torch.float32)


@contextlib.contextmanager
def watch_interrupts():
    """Tell a Ctrl-C (SIGINT) from the KeyboardInterrupt skorch's callbacks stop training with.

    skorch's ``EarlyStopping`` ends training by raising KeyboardInterrupt, which
    its loop catches like a user's Ctrl-C.  Inside this context a SIGINT also
    sets ``watch["interrupted"]`` (and then raises as usual), so the caller can
    tell a user's interrupt from an early stop.  In a thread other than the main
    one, where no signal arrives, it only yields.
    """
    watch = {"interrupted": False}
    if threading.current_thread() is not threading.main_thread():
        yield watch
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        watch["interrupted"] = True
        if previous is signal.SIG_IGN:
            return
        if callable(previous):
            previous(signum, frame)  # Python's default handler raises KeyboardInterrupt
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield watch
    finally:
        signal.signal(signal.SIGINT, previous)
