"""Command-line interface: ``sklearn-maec`` / ``python -m sklearn_maec``.

``demo``
    Generate a synthetic dialogue corpus, train MAEC and a functionals +
    logistic-regression baseline on four of its ten sessions, evaluate both on
    the other six sessions' unseen speakers (UA, WA, macro-F1, the UA
    difference with a bootstrap interval and the verdict it allows) and save
    the fitted MAEC pipeline.
``fit``
    Train on IEMOCAP (and optionally MELD) and save the model.
``evaluate``
    The paper's protocols: leave-one-session-out on IEMOCAP, or train on
    IEMOCAP and test on MELD; UA/WA/F1 per fold, mean and standard deviation,
    and a JSON/CSV report.
``predict``
    Emotion label and class probabilities of audio files (or directories).
``make-corpus``
    Write miniature IEMOCAP/MELD releases with generated audio, to try the
    other commands without the licensed corpora.

Errors in the user's input are reported in one line with exit code 2; a
``predict`` run where some files fail prints one error line per file and exits
with 1.  Ctrl-C stops any command with exit code 130 and the line
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
#: MELD split each command reads by default: fit trains on ``train``; evaluate tests on
#: ``test`` (the split the cross-corpus protocol reports), never the one it trains on.
DEFAULT_MELD_SPLIT = {"fit": "train", "evaluate": "test"}
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


def _add_common(p, training=True):
    p.add_argument("--n-jobs", type=int, default=None,
                   help="parallel feature-extraction jobs (default: 1; -1: every core)")
    _add_progress(p)
    if training:
        p.add_argument("--max-epochs", type=int, default=None,
                       help="training epochs (default: the classifier's)")
        p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
        p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                       help="a pipeline parameter, e.g. latent_dim=32 (the classifier's) "
                            "or segment__window=0.3; repeatable")


def _add_corpora(p, command, meld_required=False):
    p.add_argument("--iemocap", required=True, metavar="ROOT",
                   help="IEMOCAP release (IEMOCAP_full_release or its parent)")
    p.add_argument("--meld", required=meld_required, metavar="ROOT",
                   help="MELD release (the folder with *_sent_emo.csv)")
    default = DEFAULT_MELD_SPLIT[command]
    p.add_argument("--meld-split", default=default,
                   choices=["train", "dev", "test", "all"],
                   help=f"MELD split to use (default: {default})")
    p.add_argument("--audio-cache", metavar="DIR", default=None,
                   help="where the audio extracted from MELD's mp4 files is kept (default: "
                        "the user cache, $XDG_CACHE_HOME or ~/.cache/sklearn_maec/meld/; "
                        "never the corpus folder)")
    p.add_argument("--skip-missing", action="store_true",
                   help="skip (and count) utterances whose audio is missing or corrupt")


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
    demo.add_argument("--out", default="maec_demo.joblib",
                      help="where to save the fitted pipeline (default: maec_demo.joblib; "
                           "a .maec name uses the pickle-free format)")
    _add_progress(demo)
    demo.set_defaults(func=run_demo)


def _add_fit(sub):
    fit = sub.add_parser("fit", help="train on IEMOCAP (and MELD) and save the model")
    _add_corpora(fit, "fit")
    fit.add_argument("--out", required=True,
                     help="model file: .maec (pickle-free, for sharing) or .joblib")
    fit.add_argument("--cache", default=None,
                     help="directory caching the extracted features (re-runs skip "
                          "extraction; not saved in the model)")
    _add_common(fit)
    fit.set_defaults(func=run_fit)


def _add_evaluate(sub):
    ev = sub.add_parser("evaluate", help="leave-one-session-out or cross-corpus evaluation")
    _add_corpora(ev, "evaluate")
    ev.add_argument("--protocol", choices=["loso", "cross-corpus"], default="loso",
                    help="loso: leave one IEMOCAP session out; cross-corpus: train on "
                         "IEMOCAP, test on MELD, each corpus standardised with its own "
                         "statistics unless --param segment__standardize=... says otherwise "
                         "(default: loso)")
    ev.add_argument("--report", default=None, help="write the results as JSON here")
    ev.add_argument("--csv", default=None, help="write the per-fold results as CSV here")
    ev.add_argument("--baseline", action="store_true",
                    help="also evaluate the functionals + logistic-regression baseline")
    ev.add_argument("--cache", default=None,
                    help="directory caching the extracted features, kept for later runs "
                         "(default: a temporary one, removed at the end; either way each "
                         "file is extracted once for all folds and models)")
    _add_common(ev)
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
                        help="write miniature IEMOCAP/MELD releases with generated audio")
    mk.add_argument("--iemocap", metavar="DIR", help="where to write the IEMOCAP-like release")
    mk.add_argument("--meld", metavar="DIR", help="where to write the MELD-like release")
    mk.add_argument("--sessions", type=int, default=5, help="IEMOCAP sessions (default: 5)")
    mk.add_argument("--dialogues", type=int, default=4,
                    help="dialogues per IEMOCAP session / per MELD split (default: 4)")
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


def _maec_pipeline(n_jobs=None, cache=None, seed=0, max_epochs=None, verbose=0, params=()):
    """The MAEC pipeline a command trains: the public builder with the command line's settings.

    ``params`` holds ``segment__<name>`` and ``maec__<name>`` keys (from
    ``--param``); anything the builder refuses is a :class:`UserError`.  The
    classifier's epoch log loses its colour codes when stdout is not a terminal.
    """
    from .pipeline import make_maec_pipeline

    maec_params = {"random_state": seed}
    if max_epochs is not None:
        maec_params["max_epochs"] = max_epochs
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
        pipe = make_maec_pipeline(memory=cache, n_jobs=n_jobs, verbose=verbose,
                                  segmenter_params=segmenter_params, **maec_params)
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
    """Problems with the data found while training or predicting: one line, exit code 2."""
    try:
        yield
    except (ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None


def _load_corpora(args, need_meld=False):
    import numpy as np
    import pandas as pd

    from .datasets import load_iemocap, load_meld

    on_missing = "skip" if args.skip_missing else "raise"
    try:
        X, y = load_iemocap(args.iemocap, on_missing=on_missing)
        sessions = sorted(X["session"].unique())
        print(f"IEMOCAP: {len(X)} utterances, {X['dialogue'].nunique()} dialogues, "
              f"{len(sessions)} sessions ({', '.join(map(str, sessions))})")
        if need_meld or args.meld:
            if not args.meld:
                raise UserError("--protocol cross-corpus needs --meld ROOT")
            Xm, ym, summary = load_meld(args.meld, split=args.meld_split, on_missing=on_missing,
                                        n_jobs=args.n_jobs, audio_cache=args.audio_cache,
                                        return_summary=True)
            if summary.n_extracted:
                _note(f"MELD: extracted the audio of {summary.n_extracted} media file(s) "
                      f"into {summary.audio_cache} (kept for later runs; --audio-cache DIR "
                      "puts it elsewhere)")
            print(f"MELD ({args.meld_split}): {len(Xm)} utterances, "
                  f"{Xm['dialogue'].nunique()} dialogues")
            X = pd.concat([X, Xm], ignore_index=True)
            y = np.concatenate([y, ym])
    except (OSError, ValueError, RuntimeError) as exc:  # OSError: also an unwritable cache
        raise UserError(str(exc)) from None
    return X, y


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
    from ._demo import N_JOBS, N_SESSIONS, compare, demo_corpus
    from .pipeline import make_baseline_pipeline

    if args.n_dialogues < N_SESSIONS:
        raise UserError(f"--n-dialogues must be at least {N_SESSIONS} (one per session)")
    t0 = time.perf_counter()
    X, y, train = demo_corpus(args.seed, args.n_dialogues)
    n_jobs = N_JOBS if args.n_jobs is None else args.n_jobs
    with tempfile.TemporaryDirectory(prefix="maec_demo_") as cache:  # extract once for both
        maec = _maec_pipeline(n_jobs, cache, args.seed, args.max_epochs, _verbosity(args))
        baseline = make_baseline_pipeline(memory=cache, n_jobs=n_jobs, verbose=_verbosity(args))
        compare(maec, baseline, X, y, train, seed=args.seed)
    _save(maec, args.out)
    print(f"\nsaved the fitted MAEC pipeline to {args.out} "
          f"({time.perf_counter() - t0:.0f} s in all)")
    return 0


def run_fit(args):
    """Train on the given corpora and save the pipeline."""
    verbose = _verbosity(args)
    pipe = _maec_pipeline(args.n_jobs, args.cache, args.seed, args.max_epochs, verbose,
                          _parse_params(args.param))
    X, y = _load_corpora(args)
    if not verbose and not args.quiet:
        _note(f"extracting the features of {len(X)} utterances, then training MAEC (up to "
              f"{pipe.named_steps['maec'].max_epochs} epochs); -v shows the progress")
    t = time.perf_counter()
    with _data_errors():
        pipe.fit(X, y)
    print(f"trained on {len(X)} utterances in {time.perf_counter() - t:.0f} s; classes "
          f"{list(pipe.classes_)}")
    _save(pipe, args.out)
    print(f"saved to {args.out}")
    return 0


def run_evaluate(args):
    """Leave-one-session-out on IEMOCAP, or IEMOCAP -> MELD."""
    params = _parse_params(args.param)
    if args.protocol == "cross-corpus" and "segment__standardize" not in params:
        # one corpus' statistics on another collapse MAEC to one class: each its own
        params["segment__standardize"] = "corpus"
        _note("cross-corpus: each corpus is standardised with its own statistics "
              "(segment__standardize='corpus'; --param segment__standardize=True pools them)")
    with _feature_cache(args.cache) as cache:
        return _evaluate(args, params, cache)


def _evaluate(args, params, cache):
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import LeaveOneGroupOut

    from .model_selection import CrossCorpusSplit
    from .pipeline import make_baseline_pipeline

    verbose = _verbosity(args)
    models = {"MAEC": _maec_pipeline(args.n_jobs, cache, args.seed, args.max_epochs,
                                     verbose, params)}
    X, y = _load_corpora(args, need_meld=args.protocol == "cross-corpus")
    if args.baseline:  # the same features: the segmenter's --param settings reach it too
        baseline = make_baseline_pipeline(memory=cache, n_jobs=args.n_jobs, verbose=verbose)
        with _data_errors():
            models["baseline"] = baseline.set_params(
                **{k: v for k, v in params.items() if k.startswith("segment__")})
    if args.protocol == "loso":
        keep = (X["corpus"] == "iemocap").to_numpy()
        X, y = X[keep].reset_index(drop=True), y[keep]
        splits = list(LeaveOneGroupOut().split(X, y, groups=X["session"]))
        names = [str(X["session"].iloc[test[0]]) for _, test in splits]
    else:
        splits = list(CrossCorpusSplit(train="iemocap", test="meld").split(X, y))
        names = ["iemocap->meld"]
    rows = []
    for k, ((train, test), fold) in enumerate(zip(splits, names, strict=True), 1):
        for model_name, model in models.items():
            if not args.quiet:
                _note(f"fold {k} of {len(splits)} ({fold}): {model_name}, training on "
                      f"{len(train)} utterances, testing on {len(test)}")
            t = time.perf_counter()
            with _data_errors():
                est = clone(model).fit(X.iloc[train].reset_index(drop=True), y[train])
                predicted = est.predict(X.iloc[test].reset_index(drop=True))
            scores = _scores(y[test], predicted)
            rows.append({"model": model_name, "fold": fold, "n_train": int(len(train)),
                         "n_test": int(len(test)), **scores,
                         "seconds": round(time.perf_counter() - t, 1)})
            print(f"{model_name:<10}{fold:<16} UA {scores['UA']:.3f}  WA {scores['WA']:.3f}  "
                  f"F1 {scores['F1']:.3f}  ({rows[-1]['seconds']:.0f} s)", flush=True)
    summary = {}
    for model_name in models:
        mine = [r for r in rows if r["model"] == model_name]
        summary[model_name] = {k: {"mean": float(np.mean([r[k] for r in mine])),
                                   "std": float(np.std([r[k] for r in mine]))}
                               for k in ("UA", "WA", "F1")}
        s = summary[model_name]
        print(f"{model_name:<10}{'mean +- std':<16} " + "  ".join(
            f"{k} {s[k]['mean']:.3f} +- {s[k]['std']:.3f}" for k in ("UA", "WA", "F1")))
    report = {"protocol": args.protocol, "params": {k: repr(v) for k, v in params.items()},
              "seed": args.seed, "folds": rows, "summary": summary}
    from ._files import atomic_write

    if args.report:
        atomic_write(args.report, lambda tmp: _write_json(report, tmp))
        print(f"report written to {args.report}")
    if args.csv:
        import pandas as pd

        atomic_write(args.csv, lambda tmp: pd.DataFrame(rows).to_csv(tmp, index=False))
        print(f"per-fold results written to {args.csv}")
    return 0


def _write_json(data, path):
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)


def _audio_files(inputs):
    files = []
    for item in inputs:
        if os.path.isdir(item):
            root = os.path.realpath(item)
            found = len(files)
            for folder, dirs, names in sorted(os.walk(item, followlinks=False)):
                dirs.sort()
                before = len(files)
                for name in sorted(names):
                    path = os.path.join(folder, name)
                    if not name.lower().endswith(AUDIO_SUFFIXES):
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
        elif os.path.exists(item):
            files.append(item)
        else:
            raise UserError(f"no such file or directory: {item!r}")
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
    files = _audio_files(args.inputs)
    X = pd.DataFrame({"audio": files, "dialogue": files, "speaker": "unknown", "start": 0.0,
                      "utterance_id": files})
    if not hasattr(model, "steps") or "segment" not in model.named_steps:
        raise UserError(f"{args.model} is not a pipeline that starts from audio (an "
                        "OpenSmileSegmenter step named 'segment'); save one with fit or demo")
    segmenter = model.named_steps["segment"]
    segmenter.set_params(on_error="warn", n_jobs=args.n_jobs, verbose=verbose)
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
    """Why extracting one file fails (run again alone, only for the files that failed)."""
    from .features._extraction import extract_row
    from .features._opensmile import resolve_feature_set

    spec = resolve_feature_set(segmenter.feature_set, segmenter.feature_level)
    result = extract_row(path, None, spec, segmenter.sampling_rate)
    return result.error or "no frames"


def run_make_corpus(args):
    """Write miniature releases in the official layouts."""
    from .datasets import make_iemocap_layout, make_meld_layout

    if not (args.iemocap or args.meld):
        raise UserError("give --iemocap DIR and/or --meld DIR")
    if args.iemocap:
        make_iemocap_layout(args.iemocap, n_sessions=args.sessions,
                            dialogues_per_session=args.dialogues, random_state=args.seed)
        print(f"IEMOCAP-like release written to {args.iemocap}")
    if args.meld:
        try:
            make_meld_layout(args.meld, n_dialogues=args.dialogues, random_state=args.seed)
        except RuntimeError as exc:  # ffmpeg missing
            raise UserError(str(exc)) from None
        print(f"MELD-like release written to {args.meld}")
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
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", None) or 0  # -v only: progress alone logs nothing
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _make_showwarning(verbose)
            return args.func(args)
    except UserError as exc:
        message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"sklearn-maec {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # FitInterrupted / ExtractionInterrupted say where
        print(str(exc) or "interrupted", file=sys.stderr, flush=True)
        return 130
