"""Accuracy benchmark on real speech: EmoDB and EMOVO, in-corpus and cross-corpus.

Settings (``--settings``), 4 classes (neu, hap, sad, ang):

* ``emodb``, ``emovo``: in-corpus, leave one speaker out, the folds'
  predictions pooled into one UA / WA / macro-F1 (and the mean over folds of
  each fold's UA);
* ``emodb-emovo``, ``emovo-emodb``: cross-corpus, train on all of the first,
  test on all of the second, each corpus standardised with its own statistics
  (``segment__standardize="corpus"`` for every row, baselines included).

Rows (``--rows``, by name or alias): openSMILE functionals + logistic
regression and + RBF-SVM (the baselines, as ``bench_accuracy.py`` builds
them), MAEC at the library's defaults, without the adversarial regulariser,
and with ``use_context=True`` (the dialogue model on single utterances: what
the default ``use_context="auto"`` changed); with an encoder (``--encoder``,
default ``../shared/models/whisper-tiny.en`` where present) the linear probe of
its frames (``make_baseline_pipeline(encoder=PATH)``), MAEC over its frames at
the defaults and without the regulariser.

Every finished (setting, row, seed) is appended as one line to
``OUT/real_runs.csv`` (UA, WA, F1, fold UAs, seconds, restarts, the commit,
the parameters); a combination already there for the same code (the last
commit that changed ``sklearn_maec/`` or this script, ``+dirty`` with
uncommitted changes there), parameters, encoder and ``--quick`` is skipped
unless ``--force``, so an interrupted run continues where it stopped and
processes with different ``--settings``/``--rows`` can share the file.  The
deterministic rows (the functionals and the probe: no seed reaches them) run
once and their figure stands in every seed's column.  At the end (or with
``--table`` alone) the table per setting and the issues' targets are printed
and written to ``OUT/real_table.md``; the exit status is 1 when a target is
missed (never with ``--quick``).

Usage::

    python benchmarks/bench_real.py [--settings emodb emovo emodb-emovo emovo-emodb]
        [--rows lr svm maec noreg context probe maec-encoder noreg-encoder]
        [--seeds 5] [--first-seed 0] [--data ../shared/data] [--encoder PATH]
        [--param KEY=VALUE] [--encoder-param KEY=VALUE] [--out benchmarks/results]
        [--cache benchmarks/_cache] [--threads 1] [--quick] [--force] [--table]
"""

import argparse
import csv
import datetime
import io
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))
DEFAULT_ENCODER = os.path.normpath(os.path.join(REPO, "..", "shared", "models", "whisper-tiny.en"))

#: name -> (alias, kind, the row's own MAEC parameters).  Kinds: ``functionals`` (openSMILE
#: functionals into a linear model), ``maec`` (MAEC over openSMILE frames), ``probe`` (the
#: encoder's frames averaged into the logistic regression), ``encoder`` (MAEC over them).
ROWS = {
    "functionals + LR": ("lr", "functionals", "lr"),
    "functionals + SVM": ("svm", "functionals", "svm"),
    "MAEC": ("maec", "maec", {}),
    "MAEC, no regulariser": ("noreg", "maec", {"adversarial_weight": 0.0}),
    "MAEC, context": ("context", "maec", {"use_context": True}),
    "probe (encoder)": ("probe", "probe", None),
    "MAEC (encoder)": ("maec-encoder", "encoder", {}),
    "MAEC (encoder), no regulariser": ("noreg-encoder", "encoder", {"adversarial_weight": 0.0}),
}
ALIASES = {alias: name for name, (alias, _, _) in ROWS.items()}
#: Rows no seed reaches (checked: their predictions are identical across seeds): run once.
DETERMINISTIC = {name for name, (_, kind, _) in ROWS.items() if kind in ("functionals", "probe")}
ENCODER_KINDS = ("probe", "encoder")

#: setting -> (training corpus, test corpus or None for leave-one-speaker-out).
SETTINGS = {"emodb": ("emodb", None), "emovo": ("emovo", None),
            "emodb-emovo": ("emodb", "emovo"), "emovo-emodb": ("emovo", "emodb")}
QUICK_FOLDS, QUICK_EPOCHS = 2, 3

COLUMNS = ["commit", "head", "date", "setting", "row", "seed", "deterministic", "quick",
           "encoder", "params", "UA", "WA", "F1", "fold_UA_mean", "fold_UAs", "n_test",
           "use_context_", "restarts", "seconds"]


# --------------------------------------------------------------------------- #
# the code version, the CSV
# --------------------------------------------------------------------------- #
def _git(*args):
    try:
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def code_version():
    """(key, HEAD): the last commit that changed the library or this script (+dirty), and HEAD.

    A commit elsewhere (docs, other benchmarks, a merge) keeps the key, so the runs
    already in the CSV stay valid; a change of the library or of this script does not.
    """
    paths = ["sklearn_maec", os.path.relpath(os.path.abspath(__file__), REPO)]
    head = _git("rev-parse", "HEAD") or "unknown"
    key = _git("log", "-1", "--format=%H", "--", *paths) or head
    if _git("status", "--porcelain", "--", *paths):
        key += "+dirty"
    return key, head


def _locked(path, mode):
    import fcntl

    fh = open(path, mode, newline="")
    fcntl.flock(fh, fcntl.LOCK_EX if "a" in mode else fcntl.LOCK_SH)
    return fh


def append_record(path, record):
    """One CSV line, written whole under an exclusive lock (header first in a new file)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    with _locked(path, "a") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            writer.writeheader()
        writer.writerow(record)
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def read_records(path):
    """The CSV's runs (a DataFrame; empty when there is no file yet)."""
    import pandas as pd

    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return pd.DataFrame(columns=COLUMNS)
    with _locked(path, "r") as fh:
        text = fh.read()
    df = pd.read_csv(io.StringIO(text), dtype={"commit": str, "head": str, "params": str,
                                               "encoder": str, "fold_UAs": str},
                     keep_default_na=False, na_values={c: [""] for c in ("UA", "WA", "F1",
                                                                         "fold_UA_mean")})
    if list(df.columns) != COLUMNS:
        raise SystemExit(f"{path}: its columns {list(df.columns)} are not this script's "
                         f"{COLUMNS}; give another --out")
    df["quick"] = df["quick"].astype(str) == "True"
    df["deterministic"] = df["deterministic"].astype(str) == "True"
    return df


# --------------------------------------------------------------------------- #
# rows
# --------------------------------------------------------------------------- #
def row_settings(row, setting, args, settings, encoder_settings):
    """The pipeline parameters of one row in one setting (``random_state`` aside)."""
    _, kind, own = ROWS[row]
    if kind in ENCODER_KINDS:  # --param's classifier keys, then --encoder-param's
        params = {k: v for k, v in settings.items() if not k.startswith("segment__")}
        params.update(encoder_settings)
    else:
        params = dict(settings)
    if kind in ("maec", "encoder"):
        params.update({f"maec__{k}": v for k, v in own.items()})
        if args.quick:
            params["maec__max_epochs"] = QUICK_EPOCHS
    else:  # a baseline shares its segmenter's settings (standardize, layer...), nothing else
        params = {k: v for k, v in params.items() if k.startswith("segment__")}
    if SETTINGS[setting][1] is not None:  # cross-corpus: unless a --param says otherwise
        params.setdefault("segment__standardize", "corpus")
    return dict(sorted(params.items()))


def build(row, seed, params, encoder, cache):
    from sklearn.svm import SVC

    from sklearn_maec.pipeline import make_baseline_pipeline, make_maec_pipeline

    _, kind, own = ROWS[row]
    if kind == "functionals":
        classifier = SVC(class_weight="balanced", random_state=seed) if own == "svm" \
            else None  # None: the builder's logistic regression
        pipe = make_baseline_pipeline(memory=cache, classifier=classifier)
    elif kind == "probe":
        pipe = make_baseline_pipeline(memory=cache, encoder=encoder)
    else:
        pipe = make_maec_pipeline(memory=cache, encoder=encoder if kind == "encoder" else None,
                                  random_state=seed)
    return pipe.set_params(**params)


def run_one(row, setting, seed, params, data, args):
    """Fit and score one (setting, row, seed): the CSV record's figures."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    encoder = args.encoder if ROWS[row][1] in ENCODER_KINDS else None
    template = build(row, seed, params, encoder, args.cache)
    train, test = SETTINGS[setting]
    restarts, contexts, folds = 0, set(), {}

    def fit(X, y):
        nonlocal restarts
        est = clone(template).fit(X, y)
        restarts += int(getattr(est[-1], "n_restarts_", 0))
        if hasattr(est[-1], "use_context_"):
            contexts.add(bool(est[-1].use_context_))
        return est

    if test is None:  # leave one speaker out, the predictions pooled
        X, y = data[train]
        speakers = sorted(X["speaker"].unique())
        if args.quick:
            speakers = speakers[:QUICK_FOLDS]
        pred = np.empty(len(y), dtype=object)
        scored = np.zeros(len(y), dtype=bool)
        for s in speakers:
            held = (X["speaker"] == s).to_numpy()
            est = fit(X[~held].reset_index(drop=True), y[~held])
            pred[held] = est.predict(X[held].reset_index(drop=True))
            scored |= held
            folds[s] = float(balanced_accuracy_score(y[held], pred[held]))
        y_true, y_pred = y[scored], pred[scored]
    else:  # all of one corpus, tested on all of the other
        (Xs, ys), (Xt, yt) = data[train], data[test]
        y_true, y_pred = yt, fit(Xs, ys).predict(Xt)
    return dict(UA=float(balanced_accuracy_score(y_true, y_pred)),
                WA=float(accuracy_score(y_true, y_pred)),
                F1=float(f1_score(y_true, y_pred, average="macro")),
                fold_UA_mean=float(np.mean(list(folds.values()))) if folds else "",
                fold_UAs=json.dumps(folds), n_test=len(y_true),
                use_context_="/".join(str(c) for c in sorted(contexts)),
                restarts=restarts)


def load_data(path, corpora):
    from sklearn_maec.datasets import load_emodb, load_emovo

    loaders = {"emodb": load_emodb, "emovo": load_emovo}
    data = {}
    for corpus in corpora:
        X, y = loaders[corpus](os.path.join(path, corpus))
        data[corpus] = (X, y)
    return data


# --------------------------------------------------------------------------- #
# the table
# --------------------------------------------------------------------------- #
def _fmt(x, digits=3, sign=False):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def paired(a, b):
    """Paired comparison of per-seed figures ``a - b`` (dicts seed -> value, common seeds)."""
    import numpy as np
    from scipy.stats import binomtest

    seeds = sorted(set(a) & set(b))
    d = np.array([a[s] - b[s] for s in seeds], dtype=float)
    out = dict(seeds=seeds, diffs=d, mean=float(d.mean()) if len(d) else float("nan"),
               ahead=int((d > 0).sum()), behind=int((d < 0).sum()), n=len(d),
               t=float("nan"), p=float("nan"))
    if len(d) > 1:
        sd = d.std(ddof=1)
        out["t"] = float(d.mean() / (sd / math.sqrt(len(d)))) if sd > 0 else \
            (math.copysign(math.inf, d.mean()) if d.mean() else float("nan"))
    nonzero = out["ahead"] + out["behind"]
    if nonzero:
        out["p"] = float(binomtest(out["ahead"], nonzero, 0.5).pvalue)
    return out


def matching(df, key, setting, row, params, args):
    """The CSV's runs of ``(setting, row)`` with this code, parameters, encoder and mode."""
    enc = args.encoder if ROWS[row][1] in ENCODER_KINDS else ""
    return df[(df["commit"] == key) & (df["setting"] == setting) & (df["row"] == row)
              & (df["params"] == json.dumps(params)) & (df["encoder"] == enc)
              & (df["quick"] == bool(args.quick))]


def select(df, key, args, settings, encoder_settings, seeds):
    """Per (setting, row): {seed: record} of this code, parameters and mode (the last run wins)."""
    out = {}
    for setting in args.settings:
        for row in args.rows:
            params = row_settings(row, setting, args, settings, encoder_settings)
            sel = matching(df, key, setting, row, params, args)
            if sel.empty:
                continue
            if row in DETERMINISTIC:  # one run stands for every seed
                rec = sel.iloc[-1].to_dict()
                out[setting, row] = {s: rec for s in seeds}
            else:
                recs = {int(r["seed"]): r.to_dict() for _, r in sel.iterrows()}
                got = {s: recs[s] for s in seeds if s in recs}
                if got:
                    out[setting, row] = got
    return out


def table(df, key, head, args, settings, encoder_settings, corpus_sizes):
    import numpy as np

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs = select(df, key, args, settings, encoder_settings, seeds)
    lines = []  # markdown
    title = ("Accuracy on real speech (EmoDB, EMOVO; 4 classes: neu, hap, sad, ang)"
             + (" - QUICK smoke run, not a result" if args.quick else ""))
    lines += [f"### {title}", "",
              f"Code {key[:12]}{'+dirty' if key.endswith('+dirty') else ''} "
              f"(HEAD {head[:12]}), {datetime.date.today().isoformat()}, "
              f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPU cores, "
              f"{args.threads} torch thread(s); command: "
              f"`python benchmarks/bench_real.py {shlex.join(args.argv)}`.", "",
              "In-corpus: leave one speaker out, the folds' predictions pooled into one UA "
              "(balanced accuracy), WA (accuracy) and macro-F1; *fold UA*: the mean over folds "
              "of each fold's UA.  Cross-corpus (A-B): trained on all of A, tested on all of B, "
              "each corpus standardised with its own statistics "
              "(`segment__standardize=\"corpus\"`, every row).  Corpora: "
              + ", ".join(f"{c} {n} utterances, {k} speakers" for c, (n, k) in
                          corpus_sizes.items())
              + (f"; quick: the first {QUICK_FOLDS} speakers' folds, MAEC "
                 f"max_epochs={QUICK_EPOCHS}" if args.quick else "") + ".  "
              "Rows marked * are deterministic (no seed reaches them): run once, the figure "
              "stands in every seed's column.  Parameters beyond the library's defaults: "
              f"--param {settings or '{}'}, --encoder-param {encoder_settings or '{}'}"
              + (f"; encoder {args.encoder}" if any(ROWS[r][1] in ENCODER_KINDS
                                                    for r in args.rows) else "") + ".", ""]

    ua = {}  # (setting, row) -> {seed: UA}
    for setting in args.settings:
        in_corpus = SETTINGS[setting][1] is None
        header = (["row"] + [f"UA s{s}" for s in seeds] + ["UA mean +- std", "WA", "F1"]
                  + (["fold UA"] if in_corpus else []) + ["restarts"])
        lines += [f"**{setting}** ({'leave one speaker out' if in_corpus else 'cross-corpus'})",
                  "", "| " + " | ".join(header) + " |",
                  "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        for row in args.rows:
            recs = runs.get((setting, row))
            if not recs:
                continue
            det = row in DETERMINISTIC
            ua[setting, row] = {s: float(r["UA"]) for s, r in recs.items()}
            cells = [row + (" *" if det else "")]
            cells += [_fmt(ua[setting, row].get(s)) for s in seeds]

            cells += [_mean_std(recs, f, det)
                      for f in ("UA", "WA", "F1") + (("fold_UA_mean",) if in_corpus else ())]
            unique = {id(r): r for r in recs.values()}.values()
            cells.append(str(sum(int(r["restarts"]) for r in unique)))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")

    # the issues' targets
    comparisons, missed = [], False
    for setting in args.settings:
        base = [r for r in ("functionals + LR", "functionals + SVM") if (setting, r) in ua]
        if base and (setting, "MAEC") in ua:
            better = max(base, key=lambda r: np.mean(list(ua[setting, r].values())))
            comparisons.append((setting, "MAEC", better, 0.0, "issue 31"))
        for a, b, target, issue in (
                ("MAEC (encoder)", "probe (encoder)", 0.0, "issue 32"),
                ("MAEC (encoder)", "MAEC", 0.10, "issue 32"),
                ("MAEC", "MAEC, no regulariser", None, "regulariser"),
                ("MAEC (encoder)", "MAEC (encoder), no regulariser", None, "regulariser"),
                ("MAEC", "MAEC, context", None, "use_context=\"auto\"")):
            if (setting, a) in ua and (setting, b) in ua:
                comparisons.append((setting, a, b, target, issue))
    if comparisons:
        lines += ["**Differences of UA** (paired per seed; *ahead*: seeds where the first row "
                  "is higher; *t*: paired t statistic; *sign p*: two-sided sign test over the "
                  "seeds that differ; a target is met when the mean difference reaches it)", "",
                  "| setting | difference | mean | per seed | ahead | t | sign p | target |",
                  "|---|---|---:|---|---:|---:|---:|---|"]
        for setting, a, b, target, issue in comparisons:
            c = paired(ua[setting, a], ua[setting, b])
            met = target is None or c["mean"] >= target - 1e-12
            missed |= not met
            verdict = "" if target is None else \
                f"{'met' if met else 'MISSED'} (>= {target:+.2f}, {issue})"
            lines.append(f"| {setting} | {a} - {b} | {_fmt(c['mean'], sign=True)} | "
                         + " ".join(_fmt(d, sign=True) for d in c["diffs"])
                         + f" | {c['ahead']}/{c['n']} | {_fmt(c['t'], 2)} | {_fmt(c['p'], 3)}"
                         f" | {verdict} |")
        lines.append("")
    missing = [(s, r) for s in args.settings for r in args.rows if (s, r) not in runs]
    if missing:
        lines += ["Not run yet (for this code, these parameters and mode): "
                  + "; ".join(f"{s} / {r}" for s, r in missing), ""]
    partial = [f"{s} / {r} ({len(v)} of {len(seeds)} seeds)" for (s, r), v in runs.items()
               if len(v) < len(seeds)]
    if partial:
        lines += ["Seeds missing: " + "; ".join(partial), ""]
    return "\n".join(lines), missed


def _mean_std(recs, field, deterministic):
    """``mean +- std`` of a field over the seeds' records (the mean alone for one run)."""
    import numpy as np

    vals = []
    for r in recs.values():
        try:
            vals.append(float(r[field]))
        except (TypeError, ValueError):
            pass
    vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return "-"
    if deterministic:
        return _fmt(float(np.mean(vals)))
    sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else float("nan")
    return f"{_fmt(float(np.mean(vals)))} +- {_fmt(sd)}"


# --------------------------------------------------------------------------- #
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--rows", nargs="+", default=None,
                        help="rows by name or alias (" + ", ".join(
                            f"{a}: {n!r}" for n, (a, _, _) in ROWS.items())
                        + "); default: all (the encoder rows when there is an encoder)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds are first-seed .. first-seed + seeds - 1")
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="the folder holding emodb/ and emovo/ (default: the shared/data "
                             "folder next to the repository root)")
    parser.add_argument("--encoder", default=None,
                        help="a pretrained encoder's checkpoint directory for the encoder rows "
                             f"(default: {DEFAULT_ENCODER} when present); 'none': no encoder rows")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a pipeline parameter, as the CLI's --param: latent_dim=32 (the "
                             "classifier's) reaches every MAEC row, segment__window=0.25 the "
                             "openSMILE rows (functionals too); a row's own setting "
                             "(adversarial_weight=0, use_context=True) wins over it; "
                             "segment__standardize replaces the cross-corpus 'corpus'; "
                             "repeatable")
    parser.add_argument("--encoder-param", action="append", default=[], metavar="KEY=VALUE",
                        help="a pipeline parameter of the encoder rows only (after --param): "
                             "latent_dim=32 the encoder MAEC rows, segment__layer=4 the probe "
                             "too; repeatable")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder of real_runs.csv and real_table.md (a path ending in .csv: "
                             "the CSV itself, the table beside it)")
    parser.add_argument("--cache", default=os.path.join(HERE, "_cache"),
                        help="the frame cache (shared by every row)")
    parser.add_argument("--threads", type=int, default=1, help="torch (and BLAS) threads")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: the first {QUICK_FOLDS} speakers' folds, MAEC "
                             f"max_epochs={QUICK_EPOCHS} (recorded apart from full runs)")
    parser.add_argument("--force", action="store_true",
                        help="run combinations already in the CSV again")
    parser.add_argument("--table", action="store_true",
                        help="only print (and write) the table of the runs in the CSV")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))  # BLAS threads: before numpy is imported

    from sklearn_maec.cli import UserError, _parse_params

    try:
        settings = _parse_params(args.param)
        encoder_settings = _parse_params(args.encoder_param)
    except UserError as exc:
        parser.error(str(exc))
    for k in list(settings) + list(encoder_settings):
        if k.endswith("__random_state"):
            parser.error(f"{k}: the seed is --first-seed/--seeds")

    # the encoder: explicit, the shared default, or none
    if args.encoder is None:
        args.encoder = DEFAULT_ENCODER if os.path.isdir(DEFAULT_ENCODER) else ""
        if not args.encoder:
            print(f"no encoder at {DEFAULT_ENCODER}: no encoder rows (--encoder PATH)")
    elif args.encoder.lower() == "none":
        args.encoder = ""
    elif not os.path.isdir(args.encoder):
        parser.error(f"--encoder {args.encoder!r}: no such directory (a checkpoint directory in "
                     "the Hugging Face layout)")
    if args.encoder:
        args.encoder = os.path.abspath(args.encoder)
    if args.rows is None:
        args.rows = [r for r in ROWS if args.encoder or ROWS[r][1] not in ENCODER_KINDS]
    else:
        rows = []
        for r in args.rows:
            name = ALIASES.get(r, r)
            if name not in ROWS:
                parser.error(f"--rows: unknown row {r!r}; rows: " + ", ".join(
                    f"{a} ({n!r})" for n, (a, _, _) in ROWS.items()))
            if ROWS[name][1] in ENCODER_KINDS and not args.encoder:
                parser.error(f"--rows {r!r} needs an encoder: --encoder PATH")
            rows.append(name)
        args.rows = list(dict.fromkeys(rows))
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.out.endswith(".csv"):
        csv_path = args.out
    else:
        csv_path = os.path.join(args.out, "real_runs.csv")
    md_path = os.path.join(os.path.dirname(csv_path) or ".", "real_table.md")
    corpora = sorted({c for s in args.settings for c in SETTINGS[s] if c})
    data_dir = os.path.abspath(args.data)
    absent = [c for c in corpora if not os.path.isdir(os.path.join(data_dir, c))]
    if absent:
        parser.error(f"--data {args.data!r}: no {' nor '.join(absent)} folder there; the real "
                     "corpora are expected as DATA/emodb (EmoDB's release: wav/03a01Fa.wav ...) "
                     "and DATA/emovo (EMOVO's: f1/neu-f1-b1.wav ...)")

    import torch

    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    os.makedirs(os.path.dirname(csv_path) or ".", exist_ok=True)
    key, head = code_version()
    data = load_data(data_dir, corpora)
    sizes = {c: (len(y), X["speaker"].nunique()) for c, (X, y) in data.items()}
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    print(f"code {key} (HEAD {head[:12]}); data {data_dir}: "
          + ", ".join(f"{c} {n} utterances / {k} speakers" for c, (n, k) in sizes.items())
          + f"; encoder {args.encoder or 'none'}; seeds {seeds}"
          + (f"; QUICK: {QUICK_FOLDS} folds, {QUICK_EPOCHS} epochs" if args.quick else "")
          + f"\nruns: {csv_path}", flush=True)

    if not args.table:
        print("deterministic rows (" + ", ".join(r for r in args.rows if r in DETERMINISTIC)
              + ") run once and stand for every seed", flush=True)
        for seed in seeds:
            for setting in args.settings:
                for row in args.rows:
                    params = row_settings(row, setting, args, settings, encoder_settings)
                    enc = args.encoder if ROWS[row][1] in ENCODER_KINDS else ""
                    det = row in DETERMINISTIC
                    if not args.force:  # what this or another process has finished
                        done = read_records(csv_path)
                        prev = matching(done, key, setting, row, params, args)
                        if not det:
                            prev = prev[prev["seed"].astype(int) == seed]
                        if not prev.empty:
                            continue
                    elif det and seed != seeds[0]:
                        continue
                    t = time.perf_counter()
                    rec = run_one(row, setting, seed, params, data, args)
                    rec.update(commit=key, head=head, date=datetime.datetime.now().isoformat(
                        timespec="seconds"), setting=setting, row=row, seed=seed,
                        deterministic=det, quick=bool(args.quick), encoder=enc,
                        params=json.dumps(params), seconds=round(time.perf_counter() - t, 1))
                    append_record(csv_path, rec)
                    print(f"{setting:<12} {row:<31} seed {seed}{' (deterministic)' if det else ''}"
                          f"  UA {rec['UA']:.3f}  WA {rec['WA']:.3f}  F1 {rec['F1']:.3f}"
                          + (f"  fold UA {rec['fold_UA_mean']:.3f}" if rec["fold_UAs"] != "{}"
                             else "")
                          + f"  ({rec['seconds']:.0f} s, {rec['restarts']} restart(s))",
                          flush=True)

    text, missed = table(read_records(csv_path), key, head, args, settings, encoder_settings, sizes)
    print("\n" + text)
    with open(md_path, "w") as fh:
        fh.write(text + "\n")
    print(f"written: {md_path}")
    return int(missed and not args.quick)  # status 1: a target missed (not in a smoke run)


if __name__ == "__main__":
    sys.exit(main())
