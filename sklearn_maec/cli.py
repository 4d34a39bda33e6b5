"""Command-line interface: ``sklearn-maec`` / ``python -m sklearn_maec``.

``demo``
    Generate a synthetic dialogue corpus, train MAEC and a functionals +
    logistic-regression baseline on four sessions, evaluate both on the fifth
    (UA, WA, macro-F1) and save the fitted MAEC pipeline with joblib.
"""

import argparse
import logging
import sys
import time

__all__ = ["main", "build_parser"]

logger = logging.getLogger("sklearn_maec")


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit code 2."""


def build_parser():
    """The argument parser of the ``sklearn-maec`` command."""
    parser = argparse.ArgumentParser(
        prog="sklearn-maec",
        description="MAEC speech-emotion recognition (Fu et al., ICASSP 2021) for scikit-learn.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="train and evaluate on a generated corpus, save the model")
    demo.add_argument("--n-dialogues", type=int, default=60,
                      help="dialogues in the generated corpus (default: 60)")
    demo.add_argument("--max-epochs", type=int, default=20, help="training epochs (default: 20)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--n-jobs", type=int, default=None,
                      help="parallel feature-extraction jobs (default: 1; -1: every core)")
    demo.add_argument("--out", default="maec_demo.joblib",
                      help="where to save the fitted pipeline (default: maec_demo.joblib)")
    demo.add_argument("--verbose", "-v", action="count", default=0, help="show progress")
    demo.set_defaults(func=run_demo)
    return parser


def _scores(y_true, y_pred):
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    return {"UA": balanced_accuracy_score(y_true, y_pred), "WA": accuracy_score(y_true, y_pred),
            "macro-F1": f1_score(y_true, y_pred, average="macro")}


def run_demo(args):
    """The README's quick start: generate, train, evaluate, save."""
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from . import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
    from .datasets import make_dialogue_corpus
    from .functionals import FrameFunctionals

    if args.n_dialogues < 10:
        raise UserError("--n-dialogues must be at least 10 (two per session)")
    t0 = time.perf_counter()
    X, y = make_dialogue_corpus(n_dialogues=args.n_dialogues, n_sessions=5,
                                random_state=args.seed)
    test = (X["session"] == X["session"].iloc[-1]).to_numpy()
    X_train, y_train = X[~test].reset_index(drop=True), y[~test]
    X_test, y_test = X[test].reset_index(drop=True), y[test]
    print(f"corpus: {len(X)} utterances in {X['dialogue'].nunique()} dialogues, "
          f"{X['speaker'].nunique()} speakers; training on {len(X_train)} (sessions 1-4), "
          f"testing on {len(X_test)} (session 5, unseen speakers)")

    segmenter = OpenSmileSegmenter(n_jobs=args.n_jobs, verbose=args.verbose)
    maec = Pipeline([
        ("segment", segmenter),
        ("context", ContextTripleBuilder()),
        ("maec", MAECClassifier(max_epochs=args.max_epochs, random_state=args.seed,
                                verbose=args.verbose)),
    ])
    baseline = Pipeline([
        ("segment", segmenter),
        ("functionals", FrameFunctionals()),
        ("scale", StandardScaler()),
        ("logreg", LogisticRegression(max_iter=2000, class_weight="balanced")),
    ])
    results = {}
    for name, pipe in [("functionals + logistic regression", baseline), ("MAEC", maec)]:
        t = time.perf_counter()
        pipe.fit(X_train, y_train)
        results[name] = _scores(y_test, pipe.predict(X_test))
        print(f"trained {name} in {time.perf_counter() - t:.0f} s")
    majority = np.full(len(y_test), max(set(y_train), key=list(y_train).count))
    results["majority class"] = _scores(y_test, majority)

    print(f"\n{'model':<36}{'UA':>8}{'WA':>8}{'macro-F1':>10}")
    for name, s in results.items():
        print(f"{name:<36}{s['UA']:>8.3f}{s['WA']:>8.3f}{s['macro-F1']:>10.3f}")
    joblib.dump(maec, args.out)
    print(f"\nsaved the fitted MAEC pipeline to {args.out} "
          f"(load it with joblib.load; {time.perf_counter() - t0:.0f} s in all)")
    return 0


def main(argv=None):
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s")
    try:
        return args.func(args)
    except UserError as exc:
        print(f"sklearn-maec {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
