"""Accuracy benchmark: the paper's ablation table, on generated corpora of two domains.

Source corpus: IEMOCAP-like two-speaker studio dialogues in 5 sessions (one
speaker pair each).  Target corpus: MELD-like multi-party dialogues through a
noisy telephone channel.  Protocols:

* in-corpus: leave one session (speaker pair) out on the source corpus, the
  predictions of the 5 folds pooled into one UA / WA;
* cross-corpus: train on the whole source corpus, test on the target corpus.

Rows: openSMILE functionals + SVM (the baseline), MAEC without context, MAEC
without the adversarial regulariser, the full MAEC, the class-mixture prior
(beyond the paper) and the released code's fusion (``Z`` also holds the
context turns' codes).  Each over several seeds (corpus and model), mean +- std;
writes a CSV of every run and a bar plot.

Usage::

    python benchmarks/bench_accuracy.py [--seeds 3] [--out benchmarks/results] [--quick]
"""

import argparse
import os
import sys
import time
import warnings

ROWS = {
    "functionals + SVM": None,
    "MAEC, no context": {"use_context": False},
    "MAEC, no regulariser": {"adversarial_weight": 0.0},
    "MAEC": {},
    "MAEC, class-mixture prior": {"prior": "class_mixture", "prior_mu": 3.0},
    "MAEC, released-code fusion": {"fusion": "released"},
}
TARGET_DOMAIN = {"base": "telephone", "noise": "babble", "snr_db": (8.0, 18.0)}


#: Generator settings of both corpora: emotions persist along a speaker's turns.
DYNAMICS = dict(inertia=0.8, contagion=0.1, emotion_strength=0.7)
#: ``--corpus context``: many turns barely expressive and speakers alike, so that
#: the speaker's previous turn (same emotion 9 times in 10) adds evidence a model
#: can use (see the Notes of make_dialogue_corpus).
CONTEXT_DYNAMICS = dict(inertia=0.8, contagion=0.1, emotion_strength=1.0, intensity_spread=1.0,
                        speaker_variability=0.2)


def corpora(seed, scale, dynamics=DYNAMICS):
    from sklearn_maec.datasets import make_dialogue_corpus

    source = make_dialogue_corpus(n_dialogues=int(60 * scale), n_sessions=5, domain="studio",
                                  corpus="studio", random_state=seed, **dynamics)
    target = make_dialogue_corpus(n_dialogues=int(24 * scale), n_sessions=3,
                                  speakers_per_dialogue=3, domain=TARGET_DOMAIN, corpus="phone",
                                  random_state=seed, **dynamics)
    return source, target


def model(row, seed, epochs, cache, lr=None, settings=None):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
    from sklearn_maec.features import FrameFunctionals

    segment = OpenSmileSegmenter(memory=cache)
    settings = settings or {}
    if ROWS[row] is None:  # the baseline shares the segmenter's settings (standardize, ...)
        return Pipeline([("segment", segment), ("functionals", FrameFunctionals()),
                         ("scale", StandardScaler()),
                         ("svm", SVC(class_weight="balanced", random_state=seed))]).set_params(
            **{k: v for k, v in settings.items() if k.startswith("segment__")})
    params = dict(max_epochs=epochs, class_weight="balanced", random_state=seed, **ROWS[row])
    if lr is not None:
        params["lr"] = lr
    pipe = Pipeline([("segment", segment), ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(**params))])
    return pipe.set_params(**settings)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds are first-seed .. first-seed + seeds - 1")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None, help="MAEC learning rate (default: its own)")
    parser.add_argument("--quick", action="store_true", help="smaller corpora, fewer epochs")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="corpus size: 1 is 60 source dialogues (~580 utterances) and 24 "
                             "target dialogues; 2 doubles both")
    parser.add_argument("--protocols", nargs="+", choices=["in", "cross"], default=["in", "cross"],
                        help="in-corpus (leave one session out) and/or cross-corpus")
    parser.add_argument("--corpus", choices=["default", "context"], default="default",
                        help="generator settings: 'context' makes turns less expressive and "
                             "speakers more alike, so the previous turn adds evidence")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a MAEC pipeline parameter for every MAEC row, as the CLI's "
                             "--param: latent_dim=32 (the classifier's) or "
                             "segment__stride=0.25 (segment__* reach the baseline too); "
                             "repeatable")
    parser.add_argument("--rows", nargs="*", default=list(ROWS), help="which rows to run")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--cache", default=os.path.join(os.path.dirname(__file__), "_cache"))
    args = parser.parse_args(argv)
    from sklearn_maec.cli import UserError, _parse_params

    try:
        settings = _parse_params(args.param)
    except UserError as exc:
        parser.error(str(exc))
    dynamics = CONTEXT_DYNAMICS if args.corpus == "context" else DYNAMICS

    import numpy as np
    import pandas as pd
    import torch
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    warnings.simplefilter("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    scale, epochs = (0.5, 10) if args.quick else (args.scale, args.epochs)
    os.makedirs(args.out, exist_ok=True)
    records = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        (Xs, ys), (Xt, yt) = corpora(seed, scale, dynamics)
        sessions = Xs["session"].unique()
        for row in args.rows:
            t = time.perf_counter()
            rec = dict(row=row, seed=seed, in_UA=np.nan, in_WA=np.nan, cross_UA=np.nan,
                       cross_WA=np.nan, restarts=0)  # fits that collapsed and started over
            if "in" in args.protocols:  # leave one session (speaker pair) out, pooled
                pred = np.empty(len(ys), dtype=object)
                for s in sessions:
                    test = (Xs["session"] == s).to_numpy()
                    est = clone(model(row, seed, epochs, args.cache, args.lr, settings))
                    est.fit(Xs[~test].reset_index(drop=True), ys[~test])
                    rec["restarts"] += getattr(est[-1], "n_restarts_", 0)
                    pred[test] = est.predict(Xs[test].reset_index(drop=True))
                rec.update(in_UA=balanced_accuracy_score(ys, pred), in_WA=accuracy_score(ys, pred))
            if "cross" in args.protocols:  # the whole source corpus, tested on the target
                est = clone(model(row, seed, epochs, args.cache, args.lr, settings)).fit(Xs, ys)
                rec["restarts"] += getattr(est[-1], "n_restarts_", 0)
                cross = est.predict(Xt)
                rec.update(cross_UA=balanced_accuracy_score(yt, cross),
                           cross_WA=accuracy_score(yt, cross))
            rec["seconds"] = time.perf_counter() - t
            records.append(rec)
            print(f"seed {seed} {row:<28} in-corpus UA {rec['in_UA']:.3f} WA {rec['in_WA']:.3f}"
                  f"  cross-corpus UA {rec['cross_UA']:.3f} WA {rec['cross_WA']:.3f}"
                  f"  ({rec['seconds']:.0f} s, {rec['restarts']} restart(s))", flush=True)
            pd.DataFrame(records).to_csv(os.path.join(args.out, "accuracy_runs.csv"), index=False)

    df = pd.DataFrame(records)
    table = df.groupby("row", sort=False)[["in_UA", "in_WA", "cross_UA", "cross_WA"]].agg(
        ["mean", "std"])
    print(f"\n{len(df['seed'].unique())} seed(s); source: {len(ys)} studio utterances in "
          f"{len(sessions)} sessions; target: {len(yt)} noisy telephone-band utterances")
    print(f"{'':<30}{'in-corpus UA':>16}{'in-corpus WA':>16}{'cross UA':>16}{'cross WA':>16}")
    for row, r in table.iterrows():
        cells = "".join(f"{r[(k, 'mean')]:>9.3f} +-{r[(k, 'std')]:.3f}"
                        for k in ("in_UA", "in_WA", "cross_UA", "cross_WA"))
        print(f"{row:<30}{cells}")
    table.to_csv(os.path.join(args.out, "accuracy_table.csv"))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(9, 4))
        keys = ["in_UA", "cross_UA"]
        x = np.arange(len(table))
        for k, key in enumerate(keys):
            ax.bar(x + (k - 0.5) * 0.38, table[(key, "mean")], 0.38, yerr=table[(key, "std")],
                   capsize=3, label={"in_UA": "in-corpus UA", "cross_UA": "cross-corpus UA"}[key])
        ax.axhline(0.25, color="gray", lw=0.8, ls=":", label="chance (4 classes)")
        ax.set_xticks(x, table.index, rotation=15, ha="right")
        ax.set_ylabel("UA (balanced accuracy)")
        ax.legend(fontsize=8)
        ax.set_title("MAEC ablations on generated corpora (mean +- std over seeds)")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "accuracy.png"), dpi=110)
    except ImportError:
        print("matplotlib is not installed: no plot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
