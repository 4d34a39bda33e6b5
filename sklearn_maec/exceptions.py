"""Warnings and errors raised by sklearn-maec.

All warnings the package emits derive from :class:`MAECWarning`, so users can
filter them in one line (``warnings.simplefilter("ignore", MAECWarning)``).
"""

__all__ = ["MAECWarning", "AudioWarning", "ExtractionError", "TrainingDivergedError",
           "TrainingCollapsedError", "FitInterrupted", "ExtractionInterrupted"]


class MAECWarning(UserWarning):
    """Base class of every warning issued by sklearn-maec."""


class AudioWarning(MAECWarning):
    """A recoverable oddity in an audio input.

    Examples: audio shorter than one segment window, a signal that had to be
    mixed down to mono or rescaled into [-1, 1], or a row skipped with
    ``on_error="warn"``.
    """


class ExtractionError(ValueError):
    """Feature extraction failed for one or more rows.

    Raised by :class:`~sklearn_maec.OpenSmileSegmenter` and
    :class:`~sklearn_maec.PretrainedSegmenter` with ``on_error="raise"``
    *after* every other row was processed (and cached when the segmenter has
    ``memory``), so nothing already computed is lost.

    Parameters
    ----------
    errors : dict
        Maps the position of each failed row (0-based, like ``iloc``) to a
        message naming the row's id and its audio source.
    results : list or None
        Per-row results that were computed (``None`` at failed positions).

    Attributes
    ----------
    errors : dict
        As given.
    results : list or None
        As given.
    """

    def __init__(self, errors, results=None):
        self.errors = dict(errors)
        self.results = results
        shown = list(self.errors.values())[:5]
        more = len(self.errors) - len(shown)
        msg = f"feature extraction failed for {len(self.errors)} row(s):\n  " + "\n  ".join(shown)
        if more:
            msg += f"\n  ... and {more} more"
        msg += (
            "\nEvery other row was processed. Pass on_error='warn' to keep the other rows "
            "and mask the failed ones."
        )
        super().__init__(msg)


class TrainingDivergedError(FloatingPointError):
    """Training produced a non-finite loss.

    The message names the epoch, the batch and which loss (emotion, gender,
    adversarial or discriminator) became NaN or infinite.  The fitted weights
    are not usable; lower ``lr``, set ``grad_clip`` or check the inputs.
    """


class TrainingCollapsedError(TrainingDivergedError):
    """Training collapsed: the encoder stopped telling utterances apart.

    A collapse leaves every loss finite: nearly every unit of the code of
    the current utterance (``HF_cur``) stops varying across the training
    utterances, and the emotion loss stays where the first epoch left it, so
    the model predicts (almost) one class whatever the input.  Seen with a
    large ``lr`` and the adversarial regulariser (the encoder's GRU
    saturates).  :class:`~sklearn_maec.MAECClassifier` restarts a fresh
    ``fit`` from new initial weights when it happens; this error is raised
    when the last restart collapses too, or when a ``partial_fit`` or
    ``warm_start`` fit (which must not start over) collapses.  The message
    names the epoch.  A subclass of :class:`TrainingDivergedError`, so one
    ``except`` catches both.
    """


class FitInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C, SIGINT) before it finished.

    skorch stops its training loop on a KeyboardInterrupt and returns as if
    the fit had finished; :class:`~sklearn_maec.MAECClassifier` raises this
    instead, so whoever called ``fit`` (a script, ``cross_val_score``, the
    command line) stops as well and never takes a half-trained model for a
    trained one.  The estimator keeps the weights it had when interrupted
    (catch the exception to use them).  A subclass of ``KeyboardInterrupt``.

    Parameters
    ----------
    epoch : int
        The epoch that was running (1-based).
    max_epochs : int
        The epochs the fit was to train.

    Examples
    --------
    >>> from sklearn_maec.exceptions import FitInterrupted
    >>> str(FitInterrupted(3, 40))
    'interrupted (epoch 3 of 40)'
    """

    def __init__(self, epoch, max_epochs):
        self.epoch = int(epoch)
        self.max_epochs = int(max_epochs)
        super().__init__(f"interrupted (epoch {self.epoch} of {self.max_epochs})")


class ExtractionInterrupted(KeyboardInterrupt):
    """Feature extraction was interrupted (Ctrl-C, SIGINT) before every file was done.

    Raised by :class:`~sklearn_maec.OpenSmileSegmenter` and
    :class:`~sklearn_maec.PretrainedSegmenter`.  Every file finished before
    the interrupt is in the segmenter's ``memory`` cache (whole: a file being
    extracted when the interrupt came is not cached; the pretrained encoder
    caches each group of utterances as it finishes), so a new run resumes
    there.  A subclass of ``KeyboardInterrupt``.

    Parameters
    ----------
    done : int
        Audio sources extracted (or read from the cache) before the interrupt.
    total : int
        Audio sources the call had to extract.

    Examples
    --------
    >>> from sklearn_maec.exceptions import ExtractionInterrupted
    >>> str(ExtractionInterrupted(3, 40))
    'interrupted (feature extraction, 3 of 40 files done)'
    """

    def __init__(self, done, total):
        self.done = int(done)
        self.total = int(total)
        super().__init__(f"interrupted (feature extraction, {self.done} of {self.total} files "
                         "done)")
