"""The comparison ``sklearn-maec demo`` runs: MAEC against the functionals baseline.

One generated corpus, :func:`~sklearn_maec.datasets.make_dialogue_corpus` at
its defaults, of :data:`N_DIALOGUES` dialogues in :data:`N_SESSIONS` sessions
(one speaker pair each, ~1,200 utterances).  Both models, at the library's
defaults, train on the first :data:`TRAIN_SESSIONS` sessions (~490
utterances) and are tested on the others (~730 utterances of 12 speakers
neither model has heard, in 72 dialogues).  The difference of their UA comes
with a paired bootstrap interval over the test dialogues
(:func:`~sklearn_maec.metrics.paired_bootstrap_difference`), and a winner is
named only when the interval excludes zero.

Why this design (issue 29; figures in ``benchmarks/RESULTS.md``): on one
held-out session of ~120 utterances the old demo's verdict was a coin toss
(a 95 % interval about 0.26 UA wide) that flipped with the thread count.  The
time budget, about two minutes on two cores, buys one MAEC fit at the
defaults (50 epochs: ~24,500 utterance-epochs at ~2.7 ms) on ~490 utterances,
and the generation and extraction of ~1,200 utterances (~30 ms each, the
extraction on every core).  Fewer epochs were tried and lose about 0.04 UA
against the baseline; fewer training utterances lose more (MAEC needs a few
hundred); the rest of the corpus is the test set, which narrows the interval
to about 0.09 UA.  ``benchmarks/bench_demo.py`` checks the verdict over seeds
and thread counts, and the time.
"""

import dataclasses
import inspect
import time

#: Dialogues of the demo's corpus (about 10 turns each).
N_DIALOGUES = 120
#: Sessions of the demo's corpus, one speaker pair each.
N_SESSIONS = 10
#: The first sessions, which train both models; the others are the test set.
TRAIN_SESSIONS = 4
#: Parallel extraction jobs unless the command line says otherwise: every core.
N_JOBS = -1
#: Bootstrap resamples of the interval.
N_RESAMPLES = 2000
#: Confidence level of the interval.
CONFIDENCE = 0.95
#: The baseline's name in the demo's output.
BASELINE = "functionals + logistic regression"
#: The baseline's name over a pretrained encoder's frames (``make_baseline_pipeline(encoder=...)``).
PROBE = "linear probe (mean frame + logistic regression)"

__all__ = []


def demo_corpus(seed, n_dialogues=N_DIALOGUES, n_sessions=N_SESSIONS,
                n_train_sessions=TRAIN_SESSIONS, **corpus_params):
    """The demo's corpus and its split.

    Parameters
    ----------
    seed : int
        ``random_state`` of the generator.
    n_dialogues : int, default=N_DIALOGUES
        Dialogues (>= ``n_sessions``, so that every session has one).
    n_sessions : int, default=N_SESSIONS
        Sessions, one speaker pair each.
    n_train_sessions : int, default=TRAIN_SESSIONS
        The first sessions, the training set (at least 1, fewer than
        ``n_sessions``).
    **corpus_params : dict
        Other parameters of :func:`~sklearn_maec.datasets.make_dialogue_corpus`
        (none in the demo: its defaults; the tests make shorter turns).

    Returns
    -------
    X : pandas.DataFrame
        The utterances (audio as arrays).
    y : ndarray of str
        Their emotions.
    train : ndarray of bool
        The rows of the first ``n_train_sessions`` sessions; the others are the test set.
    """
    from .datasets import make_dialogue_corpus

    if not 0 < n_train_sessions < n_sessions or n_dialogues < n_sessions:
        raise ValueError(f"the demo needs a dialogue per session and sessions on both sides, got "
                         f"{n_dialogues} dialogue(s) in {n_sessions} session(s), "
                         f"{n_train_sessions} to train on")
    X, y = make_dialogue_corpus(n_dialogues=n_dialogues, n_sessions=n_sessions,
                                random_state=seed, **corpus_params)
    sessions = list(dict.fromkeys(X["session"]))  # in order of appearance
    train = X["session"].isin(sessions[:n_train_sessions]).to_numpy()
    return X, y, train


@dataclasses.dataclass
class DemoResult:
    """What :func:`compare` found.

    Attributes
    ----------
    scores : dict of str to dict
        Per model (MAEC, the baseline, the majority class), its ``UA``,
        ``WA`` and ``F1`` on the test set.
    comparison : dict
        :func:`~sklearn_maec.metrics.paired_bootstrap_difference` of MAEC's
        UA minus the baseline's, over the test dialogues.
    verdict : str
        The verdict line (see :func:`verdict`).
    seconds : dict of str to float
        Training time of each model (extraction included for the first).
    """

    scores: dict
    comparison: dict
    verdict: str
    seconds: dict


def verdict(comparison, names=("MAEC", BASELINE)):
    """Say which model won, only when the interval says so.

    Parameters
    ----------
    comparison : dict
        A result of :func:`~sklearn_maec.metrics.paired_bootstrap_difference`
        (model A minus model B).
    names : (str, str), default=("MAEC", BASELINE)
        The names of models A and B.

    Returns
    -------
    line : str
        ``"MAEC ahead by 0.080 UA (95 % interval 0.040 to 0.120)"`` when the
        interval is above zero, the same for B when it is below, and ``"no
        clear winner on this split (MAEC - B: +0.020 UA, 95 % interval -0.030
        to 0.070)"`` when it holds zero.
    """
    diff, low, high = comparison["difference"], comparison["low"], comparison["high"]
    metric, level = comparison["metric"], f"{100 * comparison['confidence']:g} %"
    if low > 0:
        return f"{names[0]} ahead by {diff:.3f} {metric} ({level} interval {low:.3f} to {high:.3f})"
    if high < 0:
        return (f"{names[1]} ahead by {-diff:.3f} {metric} ({level} interval {-high:.3f} to "
                f"{-low:.3f})")
    return (f"no clear winner on this split ({names[0]} - {names[1]}: {diff:+.3f} {metric}, "
            f"{level} interval {low:+.3f} to {high:+.3f})")


def _default_epochs():
    from .model import MAECClassifier

    return inspect.signature(MAECClassifier).parameters["max_epochs"].default


def compare(maec, baseline, X, y, train, *, seed=0, echo=print, baseline_name=BASELINE):
    """Train both pipelines on ``X[train]``, score them on the rest, say which won.

    Parameters
    ----------
    maec : sklearn.pipeline.Pipeline
        An unfitted MAEC pipeline (fitted here), its classifier the last step.
    baseline : sklearn.pipeline.Pipeline
        An unfitted baseline pipeline (fitted here).
    X : pandas.DataFrame
        The utterances, with ``dialogue``, ``speaker`` and ``session`` columns.
    y : array-like of shape (n_samples,)
        Their emotions.
    train : ndarray of bool
        The training rows; the others are tested.  Whole dialogues on each side.
    seed : int, default=0
        Seeds the bootstrap.
    echo : callable, default=print
        Where the lines of the report go.
    baseline_name : str, default=BASELINE
        The baseline's name in the report (:data:`PROBE` over an encoder's frames).

    Returns
    -------
    result : DemoResult
    """
    import numpy as np

    from .metrics import emotion_scores, paired_bootstrap_difference

    y = np.asarray(y)
    train = np.asarray(train, dtype=bool)
    X_train, y_train = X[train].reset_index(drop=True), y[train]
    X_test, y_test = X[~train].reset_index(drop=True), y[~train]
    echo(f"corpus: {len(X)} utterances in {X['dialogue'].nunique()} dialogues, "
         f"{X['speaker'].nunique()} speakers in {X['session'].nunique()} sessions")
    echo(f"training on {len(X_train)} utterances ({X_train['session'].nunique()} sessions), "
         f"testing on {len(X_test)} ({X_test['session'].nunique()} other sessions: "
         f"{X_test['speaker'].nunique()} unseen speakers, {X_test['dialogue'].nunique()} "
         "dialogues)")
    epochs, default = maec[-1].max_epochs, _default_epochs()
    echo("both models at the library's defaults" + (
        "" if epochs == default else
        f", except MAEC's {epochs} epoch{'' if epochs == 1 else 's'} (the default is {default})"))

    scores, seconds, predictions = {}, {}, {}
    for name, pipe in [(baseline_name, baseline), ("MAEC", maec)]:  # the first one extracts
        t = time.perf_counter()
        pipe.fit(X_train, y_train)
        seconds[name] = time.perf_counter() - t
        predictions[name] = pipe.predict(X_test)
        echo(f"trained {name} in {seconds[name]:.0f} s")
    for name in ("MAEC", baseline_name):
        s = emotion_scores(y_test, predictions[name])
        scores[name] = {"UA": s["UA"], "WA": s["WA"], "F1": s["macro_F1"]}
    labels, counts = np.unique(y_train, return_counts=True)
    s = emotion_scores(y_test, np.full(len(y_test), labels[counts.argmax()]))
    scores["majority class"] = {"UA": s["UA"], "WA": s["WA"], "F1": s["macro_F1"]}

    comparison = paired_bootstrap_difference(
        y_test, predictions["MAEC"], predictions[baseline_name], groups=X_test["dialogue"],
        metric="UA", n_resamples=N_RESAMPLES, confidence=CONFIDENCE, random_state=seed)
    line = verdict(comparison, ("MAEC", baseline_name))

    echo(f"\n{'model':<36}{'UA':>8}{'WA':>8}{'macro-F1':>10}")
    for name, s in scores.items():
        echo(f"{name:<36}{s['UA']:>8.3f}{s['WA']:>8.3f}{s['F1']:>10.3f}")
    echo(f"\nMAEC - baseline: {comparison['difference']:+.3f} UA, "
         f"{100 * CONFIDENCE:g} % interval {comparison['low']:+.3f} to {comparison['high']:+.3f} "
         f"(paired bootstrap over the {comparison['n_groups']} test dialogues)")
    echo(f"verdict: {line}")
    return DemoResult(scores=scores, comparison=comparison, verdict=line, seconds=seconds)
