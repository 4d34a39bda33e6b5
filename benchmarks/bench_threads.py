"""Threads benchmark: MAEC training and prediction at 1 and 2 torch threads, idle and loaded.

Issue 29 found two intra-op threads 4-8x slower than one on a 2-core machine
with one other job running.  This benchmark measures, each configuration in
a fresh worker process (the thread count and OpenMP's settings are read when
torch starts):

* torch threads: 1 and 2 (``--threads``);
* load: none, or one other CPU-bound process (a pure-Python loop, started
  before the worker and stopped after it);
* OpenMP's wait policy: the default, and ``OMP_WAIT_POLICY=PASSIVE`` (idle
  pool threads sleep instead of spinning) (``--policies``);
* what runs: ``fit`` of ``MAECClassifier`` at its defaults for ``--epochs``
  epochs on a generated corpus (the time per epoch, skorch's ``dur``, the
  best and the median), and ``predict_proba`` on the same table;
* the default: the classifier's own ``n_threads`` default (``--threads
  default``), whatever it is when the benchmark runs.

The corpus's frames are extracted once and cached (``benchmarks/_cache``), so
workers time the network only.  Prints one line per configuration and the
ratios against one thread under the same load and policy.

Usage::

    python benchmarks/bench_threads.py [--n-dialogues 60] [--epochs 3] [--repeats 2]
        [--threads 1 2 default] [--loads idle busy] [--policies default passive]
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "_cache")


def corpus(n_dialogues):
    """The generated corpus (the README demo's generator settings) through segmenter + builder."""
    import warnings

    from sklearn_maec import ContextTripleBuilder, OpenSmileSegmenter
    from sklearn_maec.datasets import make_dialogue_corpus

    X, y = make_dialogue_corpus(n_dialogues=n_dialogues, n_sessions=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Xt = OpenSmileSegmenter(memory=CACHE).fit_transform(X)
    return ContextTripleBuilder().fit_transform(Xt), y


def worker(args):
    """Fit and predict in this process at ``args.threads``; print one JSON line."""
    import warnings

    import numpy as np
    import torch

    from sklearn_maec import MAECClassifier

    X, y = corpus(args.n_dialogues)
    params = dict(random_state=0, max_epochs=args.epochs, validation_fraction=None)
    if args.threads != "default":
        params["n_threads"] = int(args.threads)
        torch.set_num_threads(int(args.threads))
    clf = MAECClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    epochs = [h["dur"] for h in clf.history_]
    t = time.perf_counter()
    clf.predict_proba(X)
    predict = time.perf_counter() - t
    threads = getattr(clf, "n_threads", None)
    print(json.dumps({"epoch_best": min(epochs), "epoch_median": float(np.median(epochs)),
                      "predict": predict, "n_utterances": len(X),
                      "classifier_n_threads": threads}))


def burn():
    """One CPU-bound process (the load)."""
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2147483648


def run(config, args):
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    if config["policy"] == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    else:
        env.pop("OMP_WAIT_POLICY", None)
    if config["threads"] != "default":
        env["OMP_NUM_THREADS"] = str(config["threads"])
    load = None
    if config["load"] == "busy":
        load = subprocess.Popen([sys.executable, "-c",
                                 "import bench_threads; bench_threads.burn()"], cwd=HERE)
        time.sleep(1.0)
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", "--threads",
                              str(config["threads"]), "--epochs", str(args.epochs),
                              "--n-dialogues", str(args.n_dialogues)],
                             env=env, capture_output=True, text=True, check=True)
    finally:
        if load is not None:
            load.kill()
            load.wait()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-dialogues", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each configuration (the best is kept)")
    parser.add_argument("--threads", nargs="+", default=["1", "2", "default"])
    parser.add_argument("--loads", nargs="+", choices=["idle", "busy"],
                        default=["idle", "busy"])
    parser.add_argument("--policies", nargs="+", choices=["default", "passive"],
                        default=["default", "passive"])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "threads.json"))
    args = parser.parse_args(argv)
    if args.worker:
        args.threads = args.threads[0]
        worker(args)
        return 0
    X, _ = corpus(args.n_dialogues)  # extract once, before any worker is timed
    print(f"{len(X)} generated utterances, {args.epochs} epochs per fit, best of "
          f"{args.repeats} fits; {os.cpu_count()} CPUs")
    results = []
    for load in args.loads:
        for policy in args.policies:
            for threads in args.threads:
                config = {"load": load, "policy": policy, "threads": threads}
                runs = [run(config, args) for _ in range(args.repeats)]
                best = min(runs, key=lambda r: r["epoch_best"])
                results.append({**config, **best,
                                "epoch_best_all": [r["epoch_best"] for r in runs]})
                each = ", ".join(f"{r['epoch_best']:.2f}" for r in runs)
                print(f"load {load:<5} policy {policy:<8} threads {threads:<8} epoch "
                      f"{best['epoch_best']:6.2f} s (median {best['epoch_median']:6.2f}; runs "
                      f"{each})  predict {best['predict']:5.2f} s", flush=True)
    print("\nepoch time / one thread's (same load and policy):")
    for r in results:
        one = next(o for o in results if o["load"] == r["load"] and o["policy"] == r["policy"]
                   and o["threads"] == "1")
        print(f"load {r['load']:<5} policy {r['policy']:<8} threads {r['threads']:<8} "
              f"fit {r['epoch_best'] / one['epoch_best']:.2f}x  predict "
              f"{r['predict'] / one['predict']:.2f}x")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
