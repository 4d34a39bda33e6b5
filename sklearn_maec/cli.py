"""Command-line interface: ``sklearn-maec`` / ``python -m sklearn_maec``.

``demo``
    Generate a synthetic dialogue corpus, train MAEC and a functionals +
    logistic-regression baseline on four of its ten sessions, evaluate both on
    the other six sessions' unseen speakers (UA, WA, macro-F1, the UA
    difference with a bootstrap interval and the verdict it allows) and save
    the fitted MAEC pipeline.
``fit``
    Train on one or more corpora (IEMOCAP, MELD, RAVDESS, CREMA-D, EmoDB,
    EMOVO, TESS, SAVEE; pooled) and save the model.
``evaluate``
    Leave one group out within a corpus (an IEMOCAP session, a speaker of an
    acted corpus), or train on some corpora and test on others (IEMOCAP ->
    MELD, EmoDB -> EMOVO, ...); UA/WA/F1 per fold, mean and standard
    deviation, and a JSON/CSV report.
``predict``
    Emotion label and class probabilities of audio files (or directories).
``make-corpus``
    Write miniature releases of any of these corpora with generated audio, to
    try the other commands without downloading a corpus.

Errors in the user's input are reported in one line with exit code 2; a
``predict`` run where some files fail (or do not exist) prints one error line
per file, labels the others and exits with 1.  Ctrl-C stops any command, at
any moment (the libraries' imports included), with exit code 130 and the line
``interrupted (...)`` saying where (``epoch N of M``, or how many files were
extracted); nothing is saved or reported then, and the feature cache keeps
only whole entries.  Progress (openSMILE files, one line per training epoch)
is shown when stderr is a terminal, or with ``-v``; ``-q`` hides it.  Colour
codes are only written to a terminal.
"""

import argparse
import ast
import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import time
import warnings

__all__ = ["main", "build_parser"]

logger = logging.getLogger(__name__)

PICKLE_WARNING = (
    "loading {path}: a joblib/pickle file can run code when loaded; only load files you made "
    "or fully trust (share models in the .maec format, which cannot)"
)
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".mp4", ".m4a", ".aiff", ".aif")
#: MELD split read by default when a command trains on MELD (``fit``, ``evaluate --train
#: meld``) and when it tests on it (``evaluate``, the split the cross-corpus protocol
#: reports): a model is never tested on the split it was trained on.
DEFAULT_MELD_SPLIT = {"train": "train", "test": "test"}
#: The corpora the commands read, each under its own flag (``--emodb ROOT``), in this order:
#: name -> (title, the release folder ``ROOT`` names, the group ``--protocol loso`` leaves
#: out, or None where the corpus has no such protocol).
CORPORA = {
    "iemocap": ("IEMOCAP", "the release (IEMOCAP_full_release or its parent)", "session"),
    "meld": ("MELD", "the release (the folder with *_sent_emo.csv)", None),
    "ravdess": ("RAVDESS", "the speech release (the unpacked Audio_Speech_Actors_01-24 zip, "
                "or its parent)", "speaker"),
    "cremad": ("CREMA-D", "the release (AudioWAV/ beside VideoDemographics.csv)", "speaker"),
    "emodb": ("EmoDB", "the release (the folder holding wav/)", "speaker"),
    "emovo": ("EMOVO", "the release (the speakers' folders f1 .. m3, or their parent)",
              "speaker"),
    "tess": ("TESS", "the release (OAF_angry/ ... YAF_sad/, or the files side by side)",
             "speaker"),
    "savee": ("SAVEE", "the release (AudioData/DC/a01.wav ..., or the flat DC_a01.wav "
              "files)", "speaker"),
}
ACTED = ("ravdess", "cremad", "emodb", "emovo", "tess", "savee")
#: ``make-corpus``'s acted releases: speakers, sentences per speaker and emotion, seconds a file.
ACTED_SPEAKERS, ACTED_SENTENCES, ACTED_SECONDS = 4, 2, 1.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit code 2."""


# --------------------------------------------------------------------------- parser
def build_parser():
    """The argument parser of the ``sklearn-maec`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="sklearn-maec",
        description="MAEC speech-emotion recognition (Fu et al., ICASSP 2021) for scikit-learn.",
    )
    parser.add_argument("--version", action="version",
                        version=f"sklearn-maec {__version__} (Python "
                                f"{'.'.join(map(str, sys.version_info[:3]))})")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_demo, _add_fit, _add_evaluate, _add_predict, _add_make_corpus):
        add(sub)
    return parser


def _add_progress(p):
    p.add_argument("--verbose", "-v", action="count", default=None,
                   help="show progress (openSMILE files, one line per training epoch); "
                        "the default when stderr is a terminal")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress, even on a terminal")


def _thread_count(text):
    """``--threads``: what ``n_threads`` accepts (:func:`check_n_threads`), spelt as a CLI error."""
    from ._threads import check_n_threads

    try:
        return check_n_threads(int(text), "--threads")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-zero integer (-1: every CPU), got "
                                         f"{text!r}") from None


def _add_threads(p, what="trains and predicts"):
    from ._threads import DEFAULT_N_THREADS

    default = ("torch's own setting: OMP_NUM_THREADS, else one per physical core"
               if DEFAULT_N_THREADS is None else str(DEFAULT_N_THREADS))
    p.add_argument("--threads", type=_thread_count, default=None, metavar="N",
                   help=f"torch threads while the network {what} (MAECClassifier's "
                        f"n_threads; -1: every CPU; default: the classifier's, {default})")


def _add_encoder(p):
    p.add_argument("--encoder", metavar="DIR", default=None,
                   help="a pretrained speech encoder's checkpoint directory (the Hugging Face "
                        "layout: Whisper, WavLM, HuBERT, wav2vec2, data2vec-audio; read "
                        "locally, never downloaded): MAEC reads its frames (20 ms) instead of "
                        "openSMILE's, the baseline is the linear probe of the same frames, "
                        "and --n-jobs is the encoder's CPU threads (needs "
                        "pip install 'sklearn-maec[pretrained]')")


def _add_common(p, training=True):
    p.add_argument("--n-jobs", type=int, default=None,
                   help="parallel feature-extraction jobs (default: 1; -1: every core)")
    _add_threads(p, "trains and predicts" if training else "predicts")
    _add_progress(p)
    if training:
        p.add_argument("--max-epochs", type=int, default=None,
                       help="training epochs (default: the classifier's)")
        p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
        p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                       help="a pipeline parameter, e.g. latent_dim=32 (the classifier's) "
                            "or segment__window=0.3; repeatable")


def _add_corpora(p, command):
    corpora = p.add_argument_group(
        "corpora", "at least one; " + ("several are pooled" if command == "fit" else
                                       "--protocol loso takes one, cross-corpus two or more"))
    for name, (title, root, _) in CORPORA.items():
        corpora.add_argument(f"--{name}", metavar="ROOT", help=f"{title}: {root}")
    if command == "fit":
        split_help = f"MELD split to train on (default: {DEFAULT_MELD_SPLIT['train']})"
    else:
        split_help = (f"MELD split to use (default: {DEFAULT_MELD_SPLIT['test']} when MELD "
                      f"is tested on, {DEFAULT_MELD_SPLIT['train']} when --train meld)")
    corpora.add_argument("--meld-split", default=None, choices=["train", "dev", "test", "all"],
                         help=split_help)
    corpora.add_argument("--audio-cache", metavar="DIR", default=None,
                         help="where the audio extracted from MELD's mp4 files is kept "
                              "(default: the user cache, $XDG_CACHE_HOME or "
                              "~/.cache/sklearn_maec/meld/; never the corpus folder)")
    corpora.add_argument("--skip-missing", action="store_true",
                         help="leave out (and count) the utterances whose audio is missing or "
                              "cannot be read (an empty or corrupt file), in every corpus; a "
                              "context turn whose audio fails counts as no context turn")


def _add_demo(sub):
    demo = sub.add_parser("demo", help="train and evaluate on a generated corpus, save the model")
    from ._demo import N_DIALOGUES, N_SESSIONS, TRAIN_SESSIONS

    demo.add_argument("--n-dialogues", type=int, default=N_DIALOGUES,
                      help=f"dialogues in the generated corpus, in {N_SESSIONS} sessions: the "
                           f"first {TRAIN_SESSIONS} train, the others test "
                           f"(default: {N_DIALOGUES})")
    demo.add_argument("--max-epochs", type=int, default=None,
                      help="MAEC's training epochs (default: the classifier's, 50)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--n-jobs", type=int, default=None,
                      help="parallel feature-extraction jobs (default: -1, every core)")
    _add_threads(demo)
    _add_encoder(demo)
    demo.add_argument("--out", default="maec_demo.maec",
                      help="where to save the fitted pipeline (default: maec_demo.maec, the "
                           "pickle-free format; another name, e.g. x.joblib, a joblib pickle)")
    _add_progress(demo)
    demo.set_defaults(func=run_demo)


def _add_fit(sub):
    fit = sub.add_parser("fit", help="train on one or more corpora (pooled) and save the model")
    _add_corpora(fit, "fit")
    fit.add_argument("--out", required=True,
                     help="model file: .maec (pickle-free, for sharing) or .joblib")
    fit.add_argument("--cache", default=None,
                     help="directory caching the extracted features (re-runs skip "
                          "extraction; not saved in the model)")
    _add_common(fit)
    _add_encoder(fit)
    fit.set_defaults(func=run_fit)


def _add_evaluate(sub):
    ev = sub.add_parser("evaluate", help="leave-one-session/speaker-out or cross-corpus "
                                         "evaluation")
    _add_corpora(ev, "evaluate")
    ev.add_argument("--protocol", choices=["loso", "cross-corpus"], default="loso",
                    help="loso: within one corpus, leave one group out per fold: an IEMOCAP "
                         "session, or one speaker of an acted corpus (RAVDESS, CREMA-D, EmoDB, "
                         "EMOVO, TESS, SAVEE); cross-corpus: train on --train, test on each "
                         "--test corpus (one fold each), each corpus standardised with its own "
                         "statistics unless --param segment__standardize=... says otherwise "
                         "(default: loso)")
    ev.add_argument("--train", action="append", choices=list(CORPORA), metavar="CORPUS",
                    help="cross-corpus: the corpus to train on (repeat it to pool several; "
                         "default: the corpora --test does not name, or, of two corpora one "
                         "of which is MELD, the other: IEMOCAP -> MELD)")
    ev.add_argument("--test", action="append", choices=list(CORPORA), metavar="CORPUS",
                    help="cross-corpus: a corpus to test on, one fold each (repeatable; "
                         "default: every corpus given that is not trained on)")
    ev.add_argument("--report", default=None, help="write the results as JSON here")
    ev.add_argument("--csv", default=None, help="write the per-fold results as CSV here")
    ev.add_argument("--baseline", action="store_true",
                    help="also evaluate the functionals + logistic-regression baseline")
    ev.add_argument("--cache", default=None,
                    help="directory caching the extracted features, kept for later runs "
                         "(default: a temporary one, removed at the end; either way each "
                         "file is extracted once for all folds and models)")
    _add_common(ev)
    _add_encoder(ev)
    ev.set_defaults(func=run_evaluate)


def _add_predict(sub):
    pr = sub.add_parser("predict", help="label audio files (or every audio file in directories)")
    pr.add_argument("model", help="a model saved by fit/demo (.maec or .joblib)")
    pr.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR",
                    help=f"audio files ({', '.join(AUDIO_SUFFIXES)}), or directories searched "
                         "for them (with their sub-directories); the files are predicted as "
                         "one new group (speaker, corpus) for standardisation")
    pr.add_argument("--out", default=None, help="write the CSV here instead of stdout")
    _add_common(pr, training=False)
    pr.set_defaults(func=run_predict)


def _add_make_corpus(sub):
    mk = sub.add_parser("make-corpus",
                        help="write miniature releases of the corpora with generated audio")
    for name, (title, _, _) in CORPORA.items():
        mk.add_argument(f"--{name}", metavar="DIR",
                        help=f"where to write the {title}-like release")
    mk.add_argument("--sessions", type=int, default=5, help="IEMOCAP sessions (default: 5)")
    mk.add_argument("--dialogues", type=int, default=4,
                    help="dialogues per IEMOCAP session / per MELD split (default: 4)")
    mk.add_argument("--speakers", type=int, default=ACTED_SPEAKERS,
                    help=f"speakers per acted corpus, at most the corpus's own (TESS has 2, "
                         f"SAVEE 4) (default: {ACTED_SPEAKERS})")
    mk.add_argument("--sentences", type=int, default=ACTED_SENTENCES,
                    help="sentences (TESS: words) each speaker of an acted corpus says in every "
                         f"emotion, at most the corpus's own (default: {ACTED_SENTENCES})")
    mk.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    mk.set_defaults(func=run_make_corpus)


# --------------------------------------------------------------------------- helpers
def _scores(y_true, y_pred):
    """UA, WA and macro F1 (sklearn_maec.metrics), keyed as the reports show them."""
    from .metrics import emotion_scores

    scores = emotion_scores(y_true, y_pred)
    return {"UA": scores["UA"], "WA": scores["WA"], "F1": scores["macro_F1"]}


def _parse_params(items):
    params = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UserError(f"--param expects KEY=VALUE, got {item!r}")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        params[key if "__" in key else f"maec__{key}"] = value
    return params


#: MAEC settings for the generated corpora of the demo (a few hundred utterances).
def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # replaced, closed or detached streams
        return False


def _verbosity(args):
    """``-q``: 0; ``-v``: as counted; neither: 1 when stderr (where progress goes) is a terminal."""
    if getattr(args, "quiet", False):
        return 0
    verbose = getattr(args, "verbose", None)
    if verbose is not None:
        return verbose
    return 1 if _is_terminal(sys.stderr) else 0


def _plain_print(text):
    """skorch's epoch log without its colour codes (the sink when stdout is no terminal)."""
    print(_ANSI.sub("", str(text)), flush=True)


def _note(text):
    """A line about the run's progress, on stderr (stdout keeps the results)."""
    print(text, file=sys.stderr, flush=True)


def _maec_pipeline(n_jobs=None, cache=None, seed=0, max_epochs=None, verbose=0, params=(),
                   threads=None, encoder=None):
    """The MAEC pipeline a command trains: the public builder with the command line's settings.

    ``params`` holds ``segment__<name>`` and ``maec__<name>`` keys (from
    ``--param``); anything the builder refuses is a :class:`UserError`.
    ``threads`` (``--threads``) is the classifier's ``n_threads`` (None: its
    default); ``encoder`` (``--encoder``) a pretrained encoder's checkpoint
    directory, whose frames MAEC then reads: checked here, before any corpus
    is read.  The classifier's epoch log loses its colour codes when stdout is
    not a terminal.
    """
    from .pipeline import make_maec_pipeline

    if encoder is not None:
        from .features._pretrained import resolve_encoder

        try:
            resolve_encoder(encoder)
        except (OSError, ValueError) as exc:
            raise UserError(f"--encoder: {exc}") from None

    maec_params = {"random_state": seed}
    if max_epochs is not None:
        maec_params["max_epochs"] = max_epochs
    if threads is not None:
        maec_params["n_threads"] = threads
    segmenter_params = {}
    for key, value in dict(params).items():
        step, _, name = key.partition("__")
        if step == "segment" and name:
            segmenter_params[name] = value
        elif step == "maec" and name:
            maec_params[name] = value
        else:
            raise UserError(f"unknown parameter {key!r}: use a classifier parameter "
                            "(latent_dim=32) or segment__<name> for the segmenter")
    try:
        pipe = make_maec_pipeline(encoder=encoder, memory=cache, n_jobs=n_jobs,
                                  verbose=verbose, segmenter_params=segmenter_params,
                                  **maec_params)
    except (ValueError, TypeError) as exc:
        raise UserError(str(exc)) from None
    if verbose and not _is_terminal(sys.stdout):
        pipe.set_params(maec__callbacks__print_log__sink=_plain_print)
    return pipe


@contextlib.contextmanager
def _feature_cache(cache):
    """The ``--cache`` directory, or a temporary one for this run (removed at the end)."""
    if cache is not None:
        yield cache
        return
    with tempfile.TemporaryDirectory(prefix="sklearn_maec_features_") as tmp:
        yield tmp


@contextlib.contextmanager
def _data_errors():
    """Problems with the data found while training or predicting: one line, exit code 2.

    A failed extraction's advice names the command line's ``--skip-missing``,
    not the segmenter's ``on_error`` (the Python spelling).
    """
    from .exceptions import ExtractionError

    try:
        yield
    except ExtractionError as exc:
        raise UserError(str(exc.advising("--skip-missing"))) from None
    except (ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None


def _one_line(text):
    """A message of several lines as one line that reads as the lines did.

    A line ending in ``:`` introduces what follows (``failed for 2 row(s): row
    1 ...``); a line starting with a capital letter is a new sentence; other
    lines are items of a list, joined with ``"; "``.
    """
    out = ""
    for line in (part.strip() for part in text.splitlines()):
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith(":"):
            out += " " + line
        elif line[:1].isupper():
            out += (" " if out.endswith((".", "!", "?")) else ". ") + line
        else:
            out = out.rstrip(".;") + "; " + line
    return out


def _given_corpora(args):
    """The corpora named on the command line: name -> ROOT, in the order of :data:`CORPORA`."""
    given = {name: getattr(args, name) for name in CORPORA
             if getattr(args, name, None) is not None}
    if not given:
        raise UserError("give at least one corpus: "
                        + ", ".join(f"--{name} ROOT" for name in CORPORA))
    return given


def _flags(names):
    return ", ".join(f"--{name}" for name in names)


def _loso_corpus(args, given):
    """The one corpus ``--protocol loso`` evaluates within; every other combination refused."""
    if args.train or args.test:
        raise UserError("--train and --test choose the corpora of --protocol cross-corpus; "
                        "--protocol loso evaluates within one corpus")
    if len(given) > 1:
        raise UserError(f"--protocol loso evaluates within one corpus, got {_flags(given)}: "
                        "run it once per corpus, or train on one and test on another with "
                        "--protocol cross-corpus")
    (name,) = given
    if CORPORA[name][2] is None:
        raise UserError(f"--protocol loso: {CORPORA[name][0]} has no leave-one-out protocol "
                        "here; test on it with --protocol cross-corpus")
    return name


def _cross_corpus_plan(args, given):
    """``(train, test)``: the corpora ``--protocol cross-corpus`` trains on (pooled) and tests on.

    Each test corpus is a fold of its own.  ``--train`` defaults to the
    corpora ``--test`` leaves, or, with two corpora of which one is MELD (the
    paper's IEMOCAP -> MELD), to the other one; ``--test`` defaults to every
    corpus not trained on.
    """
    names = list(given)
    if len(names) < 2:
        others = ", ".join(f"--{n} ROOT" for n in CORPORA if n != names[0])
        raise UserError(f"--protocol cross-corpus trains on one corpus and tests on another, "
                        f"but only --{names[0]} was given: add the corpus to test on ({others})")
    for option, chosen in (("--train", args.train), ("--test", args.test)):
        for name in chosen or ():
            if name not in given:
                raise UserError(f"{option} {name}: no --{name} ROOT was given (the corpora "
                                f"given: {_flags(names)})")
    train, test = list(dict.fromkeys(args.train or ())), list(dict.fromkeys(args.test or ()))
    both = [name for name in train if name in test]
    if both:
        raise UserError(f"--train and --test both name {both[0]}: a cross-corpus fold tests "
                        "on a corpus it was not trained on (leave-one-out within a corpus is "
                        "--protocol loso)")
    if not train:
        if test:
            train = [name for name in names if name not in test]
        elif len(names) == 2 and "meld" in names:
            train = [name for name in names if name != "meld"]
        else:
            raise UserError("--protocol cross-corpus: say which corpus to train on with "
                            f"--train ({' or '.join(names)})")
    if not train:
        raise UserError("--test names every corpus given: none is left to train on")
    test = test or [name for name in names if name not in train]
    if not test:
        raise UserError("--train names every corpus given: none is left to test on")
    unused = [name for name in names if name not in train and name not in test]
    if unused:
        raise UserError(f"--{unused[0]} is given but neither trained nor tested on: name it "
                        "in --train or --test, or leave it out")
    return train, test


def _load_corpora(args, corpora, meld_role="train"):
    """Load the corpora (name -> ROOT), print a line about each, and pool them.

    MELD's split is ``--meld-split``, else :data:`DEFAULT_MELD_SPLIT` of its
    role (``"train"`` or ``"test"``).

    Returns
    -------
    X, y
        The utterances of every corpus, in the order of ``corpora``.
    n_unreadable : int
        Utterances the loaders left out (``--skip-missing``) because their
        audio is missing or cannot be read.
    """
    import numpy as np
    import pandas as pd

    from . import datasets

    on_missing = "skip" if args.skip_missing else "raise"
    tables, labels, n_unreadable = [], [], 0
    try:
        for name, root in corpora.items():
            if name == "meld":
                split = args.meld_split or DEFAULT_MELD_SPLIT[meld_role]
                X, y, summary = datasets.load_meld(
                    root, split=split, on_missing=on_missing, n_jobs=args.n_jobs,
                    audio_cache=args.audio_cache, return_summary=True)
                if summary.n_extracted:
                    _note(f"MELD: extracted the audio of {summary.n_extracted} media file(s) "
                          f"into {summary.audio_cache} (kept for later runs; --audio-cache DIR "
                          "puts it elsewhere)")
                print(f"MELD ({split}): {len(X)} utterances, "
                      f"{X['dialogue'].nunique()} dialogues")
            else:
                load = getattr(datasets, f"load_{name}")
                X, y, summary = load(root, on_missing=on_missing, return_summary=True)
                if name == "iemocap":
                    sessions = sorted(X["session"].unique())
                    print(f"IEMOCAP: {len(X)} utterances, {X['dialogue'].nunique()} "
                          f"dialogues, {len(sessions)} sessions "
                          f"({', '.join(map(str, sessions))})")
                else:
                    print(f"{CORPORA[name][0]}: {len(X)} utterances, "
                          f"{X['speaker'].nunique()} speakers")
            n_unreadable += len(summary.missing_audio)
            tables.append(X)
            labels.append(np.asarray(y))
    except (OSError, ValueError, RuntimeError) as exc:  # OSError: also an unwritable cache
        # the loaders advise their Python parameter; here the flag does it
        raise UserError(str(exc).replace("Pass on_missing='skip'", "Pass --skip-missing")) \
            from None
    if len(tables) == 1:
        return tables[0], labels[0], n_unreadable
    return pd.concat(tables, ignore_index=True), np.concatenate(labels), n_unreadable


def _save(model, path):
    """Save a model file of the kind its name says (``persistence.save_model_file``)."""
    from .persistence import save_model_file

    save_model_file(model, path)


def _load(path):
    """Load a model file; a pickle only after a warning on stderr.

    Either kind is told by :func:`~sklearn_maec.persistence.model_file_kind`;
    anything wrong with the file is a :class:`UserError`.
    """
    from .persistence import load_model_file, model_file_kind

    try:
        if model_file_kind(path) == "pickle":
            print(f"warning: {PICKLE_WARNING.format(path=path)}", file=sys.stderr)
        return load_model_file(path, allow_pickle=True)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None


# --------------------------------------------------------------------------- commands
def run_demo(args):
    """The README's quick start: generate, train both models, compare them, save MAEC.

    The comparison is :func:`sklearn_maec._demo.compare` (its module says why this design).
    """
    from ._demo import BASELINE, N_JOBS, N_SESSIONS, PROBE, compare, demo_corpus
    from .pipeline import make_baseline_pipeline

    if args.n_dialogues < N_SESSIONS:
        raise UserError(f"--n-dialogues must be at least {N_SESSIONS} (one per session)")
    t0 = time.perf_counter()
    X, y, train = demo_corpus(args.seed, args.n_dialogues)
    n_jobs = N_JOBS if args.n_jobs is None else args.n_jobs
    with tempfile.TemporaryDirectory(prefix="maec_demo_") as cache:  # extract once for both
        maec = _maec_pipeline(n_jobs, cache, args.seed, args.max_epochs, _verbosity(args),
                              threads=args.threads, encoder=args.encoder)
        with _data_errors():
            baseline = make_baseline_pipeline(encoder=args.encoder, memory=cache, n_jobs=n_jobs,
                                              verbose=_verbosity(args))
            compare(maec, baseline, X, y, train, seed=args.seed,
                    baseline_name=BASELINE if args.encoder is None else PROBE)
    _save(maec, args.out)
    print(f"\nsaved the fitted MAEC pipeline to {args.out} "
          f"({time.perf_counter() - t0:.0f} s in all)")
    return 0


def run_fit(args):
    """Train on the given corpora (pooled) and save the pipeline."""
    verbose = _verbosity(args)
    given = _given_corpora(args)
    pipe = _maec_pipeline(args.n_jobs, args.cache, args.seed, args.max_epochs, verbose,
                          _training_params(args), threads=args.threads, encoder=args.encoder)
    X, y, n_unreadable = _load_corpora(args, given)
    if not verbose and not args.quiet:
        _note(f"extracting the features of {len(X)} utterances, then training MAEC (up to "
              f"{pipe.named_steps['maec'].max_epochs} epochs); -v shows the progress")
    t = time.perf_counter()
    with _data_errors():
        pipe.fit(X, y)
    # with --skip-missing a row whose audio failed has an empty bag, which training leaves out;
    # the loaders left out the rows whose audio file is missing or has no readable header
    trained = int(pipe.named_steps["maec"].class_counts_.sum())
    n_total = len(X) + n_unreadable
    print(f"trained on {trained} utterances{_left_out(n_total - trained, n_total)} in "
          f"{time.perf_counter() - t:.0f} s; classes {list(pipe.classes_)}")
    _save(pipe, args.out)
    from ._provenance import describe_environment, environment
    from .persistence import model_file_kind

    # kept in a .maec file (persistence.model_provenance); a pickle has no room for it
    kept = " (kept in the file)" if model_file_kind(args.out) == "pickle-free" else ""
    info = environment(_effective_threads(pipe))
    print(f"saved to {args.out}; trained with {describe_environment(info)}{kept}")
    return 0


def _effective_threads(pipe):
    """The torch threads the pipeline's classifier runs with (its ``n_threads``, resolved)."""
    from ._threads import effective_n_threads

    return effective_n_threads(pipe.named_steps["maec"].n_threads)


def _training_params(args):
    """The pipeline parameters of ``--param``; ``--skip-missing`` adds ``segment__on_error``.

    A row whose audio cannot be read (an empty or corrupt file) then gets an
    empty bag instead of stopping the run, and a context turn whose audio
    fails counts as none.
    """
    params = _parse_params(args.param)
    if args.skip_missing:
        params.setdefault("segment__on_error", "warn")
    return params


def _left_out(n_left_out, n_total):
    """`` (1 of the 109 left out: ...)`` after a count, or nothing when none was left out."""
    if not n_left_out:
        return ""
    whose = "its audio" if n_left_out == 1 else "their audio"
    return f" ({n_left_out} of the {n_total} left out: {whose} could not be read)"


#: Utterances whose audio ``evaluate --skip-missing`` checks at a time (bounds the frames held).
_CHECK_CHUNK = 1000


def _readable_rows(X, segmenter):
    """Whether each row's own audio extracts: ``evaluate --skip-missing`` leaves the rest out.

    Every model then trains and is scored on the same utterances (the
    baseline would otherwise train on the zero functionals of a failed row,
    and a failed test row would be scored on a prediction from nothing).  The
    extraction fills the run's feature cache, which the folds then read.  The
    check is the segmenter's own transform with ``on_error="warn"`` (a failed
    row gets no frames), fitted on a second of noise so that no part of ``X``
    has to extract for it to be fitted, and run a chunk at a time to bound the
    frames held.
    """
    import numpy as np
    import pandas as pd
    from sklearn.base import clone

    noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    probe = clone(segmenter).set_params(on_error="warn", standardize=False)
    probe.fit(pd.DataFrame({"audio": [noise], "sampling_rate": [16000]}))
    columns = [c for c in ("audio", "sampling_rate", "utterance_id") if c in X.columns]
    ok = np.ones(len(X), dtype=bool)
    with warnings.catch_warnings():  # the folds say it of the utterances they use
        warnings.filterwarnings("ignore", message=".*shorter than one window")
        for start in range(0, len(X), _CHECK_CHUNK):
            frames = probe.transform(X[columns].iloc[start:start + _CHECK_CHUNK])["frames"]
            ok[start:start + len(frames)] = [len(f) > 0 for f in frames]
    return ok


def run_evaluate(args):
    """Leave one session/speaker out within a corpus, or train on corpora and test on others."""
    given = _given_corpora(args)
    if args.protocol == "loso":
        name = _loso_corpus(args, given)
        train, test = [name], [name]
    else:
        train, test = _cross_corpus_plan(args, given)
    params = _training_params(args)
    if args.protocol == "cross-corpus" and "segment__standardize" not in params:
        # one corpus' statistics on another collapse MAEC to one class: each its own
        params["segment__standardize"] = "corpus"
        _note("cross-corpus: each corpus is standardised with its own statistics "
              "(segment__standardize='corpus'; --param segment__standardize=True pools them)")
    with _feature_cache(args.cache) as cache:
        return _evaluate(args, given, train, test, params, cache)


def _folds(args, X, y, train, test):
    """``(splits, names, held_out)``: the folds' row positions, their names, what each leaves out.

    ``--protocol loso``: :class:`~sklearn.model_selection.LeaveOneGroupOut` over
    IEMOCAP's sessions or an acted corpus's speakers, a fold named by the
    group left out; cross-corpus: one
    :class:`~sklearn_maec.model_selection.CrossCorpusSplit` per test corpus,
    named ``train->test``.
    """
    from sklearn.model_selection import LeaveOneGroupOut

    from .model_selection import CrossCorpusSplit

    if args.protocol == "loso":
        held_out = CORPORA[train[0]][2]
        groups = X[held_out]
        if groups.nunique() < 2:
            raise UserError(f"--protocol loso leaves one {held_out} of {CORPORA[train[0]][0]} "
                            f"out per fold and needs two {held_out}s, found "
                            f"{groups.nunique()}")
        splits = list(LeaveOneGroupOut().split(X, y, groups=groups))
        return splits, [str(groups.iloc[te[0]]) for _, te in splits], held_out
    splits, names = [], []
    for corpus in test:
        try:
            splits.append(next(CrossCorpusSplit(train=train, test=corpus).split(X, y)))
        except ValueError as exc:  # a corpus left with no rows (--skip-missing)
            raise UserError(str(exc)) from None
        names.append(f"{'+'.join(train)}->{corpus}")
    return splits, names, "corpus"


def _evaluate(args, given, train, test, params, cache):
    import numpy as np
    from sklearn.base import clone

    from ._provenance import environment, json_params
    from .pipeline import make_baseline_pipeline

    verbose = _verbosity(args)
    models = {"MAEC": _maec_pipeline(args.n_jobs, cache, args.seed, args.max_epochs,
                                     verbose, params, threads=args.threads,
                                     encoder=args.encoder)}
    X, y, n_left_out = _load_corpora(args, given, "train" if "meld" in train else "test")
    if args.baseline:  # the same features: the segmenter's --param settings reach it too
        # over an encoder's frames, the baseline is their linear probe
        baseline = make_baseline_pipeline(encoder=args.encoder, memory=cache, n_jobs=args.n_jobs,
                                          verbose=verbose)
        with _data_errors():
            models["baseline"] = baseline.set_params(
                **{k: v for k, v in params.items() if k.startswith("segment__")})
    if args.skip_missing:
        if not args.quiet:
            _note(f"extracting the features of {len(X)} utterances (--skip-missing: the "
                  "utterances whose audio cannot be read are left out of every fold)")
        with _data_errors():
            ok = _readable_rows(X, models["MAEC"].named_steps["segment"])
        if not ok.any():
            raise UserError(f"the audio of none of the {len(X)} utterances could be read")
        n_total = len(X) + n_left_out
        n_left_out += int((~ok).sum())
        print(f"evaluating on {int(ok.sum())} utterances{_left_out(n_left_out, n_total)}")
        X, y = X[ok].reset_index(drop=True), y[ok]
    splits, names, held_out = _folds(args, X, y, train, test)
    if args.protocol == "loso":
        print(f"leave-one-{held_out}-out within {CORPORA[train[0]][0]}: {len(splits)} folds",
              flush=True)
    else:
        print(f"cross-corpus: training on {' + '.join(CORPORA[n][0] for n in train)}, "
              f"testing on {', '.join(CORPORA[n][0] for n in test)} "
              f"({len(splits)} fold{'s' if len(splits) > 1 else ''})", flush=True)
    width = max(16, *(len(name) + 1 for name in names))
    rows, effective = [], {}
    for k, ((train_rows, test_rows), fold) in enumerate(zip(splits, names, strict=True), 1):
        what = f"{held_out} {fold} left out" if args.protocol == "loso" else fold
        for model_name, model in models.items():
            if not args.quiet:
                _note(f"fold {k} of {len(splits)} ({what}): {model_name}, training on "
                      f"{len(train_rows)} utterances, testing on {len(test_rows)}")
            t = time.perf_counter()
            with _data_errors():
                est = clone(model).fit(X.iloc[train_rows].reset_index(drop=True), y[train_rows])
                predicted = est.predict(X.iloc[test_rows].reset_index(drop=True))
            effective.setdefault(model_name, json_params(est))  # what was trained, in full
            scores = _scores(y[test_rows], predicted)
            rows.append({"model": model_name, "fold": fold, "n_train": int(len(train_rows)),
                         "n_test": int(len(test_rows)), **scores,
                         "seconds": round(time.perf_counter() - t, 1)})
            print(f"{model_name:<10}{fold:<{width}} UA {scores['UA']:.3f}  WA {scores['WA']:.3f}  "
                  f"F1 {scores['F1']:.3f}  ({rows[-1]['seconds']:.0f} s)", flush=True)
    summary = {}
    for model_name in models:
        mine = [r for r in rows if r["model"] == model_name]
        summary[model_name] = {k: {"mean": float(np.mean([r[k] for r in mine])),
                                   "std": float(np.std([r[k] for r in mine]))}
                               for k in ("UA", "WA", "F1")}
        s = summary[model_name]
        print(f"{model_name:<10}{'mean +- std':<{width}} " + "  ".join(
            f"{k} {s[k]['mean']:.3f} +- {s[k]['std']:.3f}" for k in ("UA", "WA", "F1")))
    report = {"protocol": args.protocol, "corpora": list(given), "train_corpora": train,
              "test_corpora": test, "held_out": held_out, "seed": args.seed,
              "command_line": _arguments(args), "n_left_out": n_left_out,
              "params": effective,
              "environment": environment(_effective_threads(models["MAEC"])),
              "folds": rows, "summary": summary}
    from ._files import atomic_write

    if args.report:
        atomic_write(args.report, lambda tmp: _write_json(report, tmp))
        print(f"report written to {args.report}")
    if args.csv:
        import pandas as pd

        atomic_write(args.csv, lambda tmp: pd.DataFrame(rows).to_csv(tmp, index=False))
        print(f"per-fold results written to {args.csv}")
    return 0


def _arguments(args):
    """The command's options as given (``--max-epochs 3`` ...), as JSON."""
    from ._provenance import json_value

    return {name: json_value(value) for name, value in sorted(vars(args).items())
            if name != "func"}


def _write_json(data, path):
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)


def _audio_files(inputs):
    """The audio files named or found in ``inputs``; a path that does not exist is kept.

    A directory is searched without its hidden files and folders (``.x``,
    macOS's ``._x.wav`` resource forks), as the corpus loaders do.

    It then fails like an unreadable file: an error line of its own, the
    other files labelled, exit code 1.
    """
    files = []
    for item in inputs:
        if os.path.isdir(item):
            root = os.path.realpath(item)
            found = len(files)
            for folder, _, names in sorted(os.walk(item, followlinks=False)):
                inside = os.path.relpath(folder, item).split(os.sep)
                if any(part.startswith(".") and part != "." for part in inside):
                    continue  # a hidden folder, or one inside it
                before = len(files)
                for name in sorted(names):
                    path = os.path.join(folder, name)
                    # hidden files (macOS's ._x.wav resource forks) are no recordings
                    if not name.lower().endswith(AUDIO_SUFFIXES) or name.startswith("."):
                        continue
                    # a symlink may not lead outside the directory the user named
                    target = os.path.realpath(path)
                    if _is_inside(target, root):
                        files.append(path)
                    else:
                        print(f"skipped: {path}: a symbolic link leading outside {item} "
                              f"(to {target})", file=sys.stderr)
                if (folder != item and len(files) == before
                        and folder.lower().endswith(AUDIO_SUFFIXES)):
                    print(f"skipped: {folder}: a directory named like an audio file, with no "
                          "audio file in it", file=sys.stderr)
            if len(files) == found:
                print(f"skipped: {item}: a directory with no audio file "
                      f"({', '.join(AUDIO_SUFFIXES)}) in it", file=sys.stderr)
        else:  # a file, or no such path: a bad input like an unreadable file
            files.append(item)
    if not files:
        raise UserError(f"no audio files ({', '.join(AUDIO_SUFFIXES)}) in {inputs}")
    return files


def _is_inside(path, root):
    """Whether the resolved ``path`` lies strictly inside the directory ``root``."""
    try:
        return path != root and os.path.commonpath([root, path]) == root
    except ValueError:  # another drive (Windows)
        return False


#: Columns the files of a ``predict`` run keep one per file (the context rule reads them).
_PER_FILE_COLUMNS = ("audio", "dialogue", "start", "utterance_id")


def _new_group(segmenter):
    """A value of the ``standardize`` column that ``fit`` never saw (None: no such column)."""
    column = segmenter.standardize
    if not isinstance(column, str) or column in _PER_FILE_COLUMNS:
        return None
    seen = {str(g) for g in getattr(segmenter, "groups_", [])}
    value, k = "predict", 1
    while value in seen:
        k += 1
        value = f"predict-{k}"
    return value


def run_predict(args):
    """Label each file; one error line per file that fails, one warning per doubtful one.

    The files are predicted together: with a segmenter that standardises per
    group (``standardize="speaker"``, ``"corpus"``, ...) they form one new
    group, standardised with their own statistics (so predict the files of one
    speaker or recording setup together).
    """
    import pandas as pd

    from ._state import without_machine_local_params
    from .exceptions import AudioWarning

    verbose = _verbosity(args)
    model = _load(args.model)
    classifier = model.steps[-1][1] if hasattr(model, "steps") else model
    if args.threads is not None and "n_threads" in classifier.get_params(deep=False):
        classifier.set_params(n_threads=args.threads)  # the model runs at --threads
    files = _audio_files(args.inputs)
    X = pd.DataFrame({"audio": files, "dialogue": files, "speaker": "unknown", "start": 0.0,
                      "utterance_id": files})
    if not hasattr(model, "steps") or "segment" not in model.named_steps:
        raise UserError(f"{args.model} is not a pipeline that starts from audio (a "
                        "segmenter step named 'segment'); save one with fit or demo")
    segmenter = model.named_steps["segment"]
    segmenter.set_params(on_error="warn", verbose=verbose)
    if args.n_jobs is not None:  # openSMILE's jobs, or a pretrained encoder's CPU threads
        workers = "n_jobs" if "n_jobs" in segmenter.get_params(deep=False) else "n_threads"
        segmenter.set_params(**{workers: args.n_jobs})
    group = _new_group(segmenter)
    if group is not None:
        X[segmenter.standardize] = group
    # without its machine-local parameters: a cache directory a model remembers from another
    # machine is not created here
    with warnings.catch_warnings(record=True) as caught, _data_errors(), \
            without_machine_local_params(model):
        warnings.simplefilter("always")
        Xt = X
        for _, step in model.steps[:-1]:
            Xt = step.transform(Xt)
        proba = model.steps[-1][1].predict_proba(Xt)
    failed = [len(f) == 0 for f in Xt["frames"]] if "frames" in Xt else [False] * len(X)
    lonely = False
    for w in caught:  # what the per-file lines below say better is not repeated
        text = str(w.message)
        if issubclass(w.category, AudioWarning) and (
                "failed and give an empty bag" in text or "shorter than one window" in text):
            continue
        if issubclass(w.category, AudioWarning) and "hold a single utterance" in text:
            lonely = True
            continue
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    classes = list(model.classes_)
    out = pd.DataFrame(proba, columns=[f"p_{c}" for c in classes])
    out.insert(0, "label", [classes[i] for i in proba.argmax(axis=1)])
    out.insert(0, "file", files)
    ok = out[[not f for f in failed]]
    if args.out:  # complete or absent, never truncated
        from ._files import atomic_write

        atomic_write(args.out, lambda tmp: ok.to_csv(tmp, index=False, float_format="%.4f"))
    else:
        ok.to_csv(sys.stdout, index=False, float_format="%.4f")
    if lonely:
        print(f"warning: {files[0]}: the model standardises per {segmenter.standardize!r} and "
              "this file is predicted alone, so it is standardised with its own statistics "
              "(its own level and pitch are removed); predict a speaker's or a recording "
              "setup's files together", file=sys.stderr)
    if "frames" in Xt:  # under half a segment of audio: the label says next to nothing
        window, step = segmenter.window_frames_, segmenter.frame_step_
        for path, frames in zip(files, Xt["frames"], strict=True):
            if 0 < len(frames) < window / 2:
                print(f"warning: {path}: only {_duration(path, len(frames) * step):.2f} s of "
                      f"audio ({len(frames)} frames), under half of one {segmenter.window} s "
                      "segment: its label comes from a mostly zero-padded segment and is "
                      "little more than a guess", file=sys.stderr)
    for path, bad in zip(files, failed, strict=True):
        if bad:
            print(f"error: {path}: {_failure_reason(segmenter, path)}", file=sys.stderr)
    n_failed = sum(failed)
    if args.out:
        print(f"{len(ok)} prediction(s) written to {args.out}; {n_failed} error(s)",
              file=sys.stderr)
    return 1 if n_failed else 0


def _duration(path, fallback):
    """Seconds of audio in a file libsndfile reads (``fallback`` for other files)."""
    import soundfile

    try:
        return soundfile.info(path).duration
    except Exception:  # mp4 and other ffmpeg formats
        return fallback


def _failure_reason(segmenter, path):
    """Why extracting one file fails (run again alone, only for the files that failed).

    The segmenter's own extraction of that one source, without its cache: the
    same code, whichever front-end (openSMILE or a pretrained encoder) it is.
    """
    if not os.path.lexists(path):
        return "no such file or directory"
    spec = segmenter._check_params(fitted=True)
    result = segmenter._extract_sources([(path, None, 0, "audio")], spec, None, None)[0]
    return result.error or "no frames"


def run_make_corpus(args):
    """Write miniature releases in the official layouts."""
    from .datasets import make_acted_layout, make_iemocap_layout, make_meld_layout
    from .datasets._layouts import _ACTED_RELEASES  # the releases' speakers and sentences

    wanted = [name for name in CORPORA if getattr(args, name) is not None]
    if not wanted:
        raise UserError("give at least one of " + ", ".join(f"--{n} DIR" for n in CORPORA))
    for name in wanted:
        root, title = getattr(args, name), CORPORA[name][0]
        try:
            if name == "iemocap":
                make_iemocap_layout(root, n_sessions=args.sessions,
                                    dialogues_per_session=args.dialogues,
                                    random_state=args.seed)
            elif name == "meld":
                make_meld_layout(root, n_dialogues=args.dialogues, random_state=args.seed)
            else:
                release = _ACTED_RELEASES[name]
                make_acted_layout(root, name,
                                  speakers=min(args.speakers, len(release["speakers"])),
                                  sentences=min(args.sentences, len(release["sentences"])),
                                  duration=ACTED_SECONDS, random_state=args.seed)
        except (ValueError, RuntimeError) as exc:  # bad counts; ffmpeg missing (MELD)
            raise UserError(str(exc)) from None
        print(f"{title}-like release written to {root}")
    return 0


def _make_showwarning(verbose):
    from .exceptions import MAECWarning

    shown = set()

    def show(message, category, filename, lineno, file=None, line=None):
        # the package's own warnings in one line (all of it with -v); others only with -v
        if issubclass(category, MAECWarning):
            lines = str(message).splitlines() or [""]
            if verbose or len(lines) == 1:
                text = "\n".join(lines)
            else:  # a summary line announcing a list: say how to see the list
                text = f"{lines[0].rstrip(':')} (-v lists them)"
            if text not in shown:  # the same warning from every fold, once
                shown.add(text)
                print(f"warning: {text}", file=sys.stderr)
        elif verbose:
            print(f"warning: {category.__name__}: {message}", file=sys.stderr)

    return show


@contextlib.contextmanager
def _package_logging(verbose):
    """This package's log lines on stderr while a command runs; no other library's.

    A handler on the ``sklearn_maec`` logger alone (INFO with ``-v``, else
    WARNING), which does not pass its records on to the root logger.  The
    root logger is left as it is, so other libraries (torch's INFO lines
    among them) stay at Python's default: their warnings and errors only.
    Undone when the command ends (``main`` may run again in one process).
    """
    package = logging.getLogger(__name__.partition(".")[0])
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = package.level, package.propagate
    package.addHandler(handler)
    package.setLevel(logging.INFO if verbose else logging.WARNING)
    package.propagate = False
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.setLevel(saved[0])
        package.propagate = saved[1]


def main(argv=None):
    """Entry point; returns the exit code.

    Parameters
    ----------
    argv : list of str or None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    code : int
        0 on success, 1 when some inputs failed, 2 for a user error, 130 when
        interrupted.
    """
    command = None
    try:  # everything, from the parser on: a Ctrl-C while the libraries load is one line too
        args = build_parser().parse_args(argv)
        command = args.command
        verbose = getattr(args, "verbose", None) or 0  # -v only: progress alone logs nothing
        with _package_logging(verbose), warnings.catch_warnings():
            warnings.showwarning = _make_showwarning(verbose)
            return args.func(args)
    except UserError as exc:
        print(f"sklearn-maec {command}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # FitInterrupted / ExtractionInterrupted say where
        print(str(exc) or "interrupted", file=sys.stderr, flush=True)
        return 130
