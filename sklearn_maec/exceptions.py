"""Warnings and errors raised by sklearn-maec.

All warnings the package emits derive from :class:`MAECWarning`, so users can
filter them in one line (``warnings.simplefilter("ignore", MAECWarning)``),
and point at the user's own line (:func:`caller_stacklevel`), not at
scikit-learn's pipeline or skorch's training loop that called the package.
"""

import functools
import os
import sys

__all__ = ["MAECWarning", "AudioWarning", "ExtractionError", "TrainingDivergedError",
           "TrainingCollapsedError", "FitInterrupted", "ExtractionInterrupted"]


#: The libraries whose frames lie between a user's call and the package's warning (a
#: ``Pipeline.fit`` calls a step's ``fit_transform`` through joblib's ``Memory``, skorch's
#: ``fit`` calls ``partial_fit`` and the callbacks, torch calls the modules): a warning skips
#: them to reach the user's line.
_CALLED_THROUGH = ("sklearn", "skorch", "torch", "joblib")


@functools.lru_cache(maxsize=1)
def _library_folders():
    """The folders of this package and of :data:`_CALLED_THROUGH` (those installed)."""
    from importlib.util import find_spec

    folders = [os.path.dirname(os.path.abspath(__file__))]
    for name in _CALLED_THROUGH:
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        folders.extend((spec.submodule_search_locations or []) if spec else [])
    return tuple(os.path.join(os.path.realpath(f), "") for f in folders)


@functools.lru_cache(maxsize=1024)
def _in_a_library(filename):
    return os.path.realpath(filename).startswith(_library_folders())


def caller_stacklevel():
    """The ``stacklevel`` at which a warning of the package points at the user's line.

    Counted from the function that calls :func:`warnings.warn` (level 1) up
    to the first frame outside sklearn-maec, scikit-learn, skorch, torch and
    joblib:
    the user's script or notebook cell, however many frames a ``Pipeline``, a
    ``cross_val_score`` or skorch's training loop add in between (a fixed
    ``stacklevel`` cannot know).  Python 3.12's ``skip_file_prefixes`` does
    the same; this works from 3.10.  When every frame is in those libraries,
    the outermost one.

    Returns
    -------
    stacklevel : int
        For ``warnings.warn(message, category, stacklevel=caller_stacklevel())``.
    """
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and _in_a_library(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


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
    keep_going : str, default="on_error='warn'"
        How the caller asks to keep the other rows, as the message's advice
        spells it: the segmenter's parameter in Python; a program that wraps
        the segmenter names its own option instead (:meth:`advising`).

    Attributes
    ----------
    errors : dict
        As given.
    results : list or None
        As given.
    keep_going : str
        As given.
    """

    def __init__(self, errors, results=None, keep_going="on_error='warn'"):
        self.errors = dict(errors)
        self.results = results
        self.keep_going = keep_going
        shown = list(self.errors.values())[:5]
        more = len(self.errors) - len(shown)
        msg = f"feature extraction failed for {len(self.errors)} row(s):\n  " + "\n  ".join(shown)
        if more:
            msg += f"\n  ... and {more} more"
        msg += (
            f"\nEvery other row was processed. Pass {keep_going} to keep the other rows (a "
            "failed row gets an empty bag, which training leaves out)."
        )
        super().__init__(msg)

    def advising(self, keep_going):
        """The same error, its advice naming another way to keep the other rows.

        Parameters
        ----------
        keep_going : str
            The option as the user writes it where the error is shown, e.g.
            the command line's ``--skip-missing``.

        Returns
        -------
        error : ExtractionError
            A new error with the same ``errors`` and ``results``.

        Examples
        --------
        >>> from sklearn_maec.exceptions import ExtractionError
        >>> error = ExtractionError({3: "row 3 ('u3', audio 'a.wav'): audio is empty"})
        >>> "Pass on_error='warn' to keep the other rows" in str(error)
        True
        >>> "Pass --skip-missing to keep" in str(error.advising("--skip-missing"))
        True
        """
        return type(self)(self.errors, self.results, keep_going)

    def __reduce__(self):  # pickled with its parts (joblib's workers), not its message
        return type(self), (self.errors, self.results, self.keep_going)


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
