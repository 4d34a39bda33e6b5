"""The README demo's verdict over seeds and thread counts, and its wall time.

Runs ``python -m sklearn_maec demo --seed S`` once per seed and torch thread
count, each in a fresh process whose thread count is fixed before torch starts
(``OMP_NUM_THREADS`` and friends, and ``torch.set_num_threads``), timed from
the process's start to its end (imports, corpus, extraction, both trainings,
the interval and saving the model: the whole demo a newcomer waits for).
Prints one row per run (seed, threads, MAEC UA, baseline UA, the difference,
its interval, the verdict, seconds) and checks issue 29's targets:

* the same verdict in every run;
* that verdict is "MAEC ahead" (the interval above zero);
* every run within ``--budget`` seconds (default 120).

Exits with status 1 when a target is missed.  Timings need an otherwise idle
machine (the script warns when the load average says it is not): run it alone,
one configuration at a time, as it does.  Each run is pinned to ``--cpus``
cores (default 2, the target's machine; Linux), so a larger machine measures
what a 2-core laptop would see; the demo's parallel extraction uses those.

Usage::

    python benchmarks/bench_demo.py [--seeds 0 1 2 3 4] [--threads 1 2] [--budget 120]
        [--cpus 2] [--csv demo.csv] [-- extra demo options, e.g. --max-epochs 30]
"""

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time

#: Runs one demo with the thread count fixed before torch is imported.
LAUNCHER = """
import sys, torch
threads = int(sys.argv[1])
torch.set_num_threads(threads)
assert torch.get_num_threads() == threads, torch.get_num_threads()
from sklearn_maec.cli import main
sys.exit(main(sys.argv[2:]))
"""
ROW = r"^{name}\s+(?P<UA>\d\.\d+)\s+(?P<WA>\d\.\d+)\s+(?P<F1>\d\.\d+)\s*$"
DIFFERENCE = re.compile(r"^MAEC - baseline: (?P<difference>[+-]\d\.\d+) UA, (?P<level>[\d.]+) % "
                        r"interval (?P<low>[+-]\d\.\d+) to (?P<high>[+-]\d\.\d+)", re.M)
VERDICT = re.compile(r"^verdict: (?P<verdict>.+)$", re.M)


def parse(stdout):
    """The figures of one demo's output (a ``ValueError`` when its format changed)."""
    found = {}
    for key, name in [("maec", "MAEC"), ("baseline", r"functionals \+ logistic regression")]:
        m = re.search(ROW.format(name=name), stdout, re.M)
        if m is None:
            raise ValueError(f"no {name} row in the demo's output: update bench_demo.parse\n"
                             f"{stdout}")
        found[f"{key}_UA"] = float(m["UA"])
    for pattern in (DIFFERENCE, VERDICT):
        m = pattern.search(stdout)
        if m is None:
            raise ValueError(f"no line matching {pattern.pattern!r} in the demo's output: "
                             f"update bench_demo.parse\n{stdout}")
        found.update(m.groupdict())
    for key in ("difference", "low", "high"):
        found[key] = float(found[key])
    found["winner"] = ("MAEC" if found["verdict"].startswith("MAEC ahead") else
                       "none" if found["verdict"].startswith("no clear winner") else "baseline")
    return found


def run_one(seed, threads, extra, workdir, cpus=None):
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    out = os.path.join(workdir, f"demo_{seed}_{threads}.maec")
    # --threads too: the classifier's own n_threads default would otherwise set its count
    argv = [sys.executable, "-c", LAUNCHER, str(threads), "demo", "--seed", str(seed), "-q",
            "--threads", str(threads), "--out", out, *extra]
    t = time.perf_counter()
    pin = None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=workdir,
                          preexec_fn=pin)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"seed {seed}, {threads} thread(s): the demo failed "
                         f"(exit {proc.returncode})\n{proc.stdout}\n{proc.stderr}")
    return dict(parse(proc.stdout), seed=seed, threads=threads, seconds=seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds one demo may take (default: 120)")
    parser.add_argument("--cpus", type=int, default=2,
                        help="cores each run may use (default: 2; 0: all)")
    parser.add_argument("--csv", default=None, help="also write the rows here")
    parser.add_argument("extra", nargs="*", help="after --: more options of the demo")
    args = parser.parse_args(argv)

    import torch

    import sklearn_maec

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpus = None
    if args.cpus and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:args.cpus]
    elif args.cpus:
        print("warning: cannot pin the runs to cores here; they use every core")
    print(f"sklearn-maec {sklearn_maec.__version__}, torch {torch.__version__}, "
          f"{os.cpu_count()} cores, each run on {len(cpus) if cpus else 'all'}, load average "
          f"{load:.2f} at the start")
    if load > 0.5:
        print("warning: the machine is not idle; the seconds below are not the demo's")
    print(f"{'seed':>4} {'threads':>7} {'MAEC UA':>8} {'base UA':>8} {'diff':>7} "
          f"{'95 % interval':>17} {'seconds':>8}  verdict", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_demo_") as workdir:
        for seed in args.seeds:
            for threads in args.threads:
                r = run_one(seed, threads, args.extra, workdir, cpus)
                rows.append(r)
                print(f"{seed:>4} {threads:>7} {r['maec_UA']:>8.3f} {r['baseline_UA']:>8.3f} "
                      f"{r['difference']:>+7.3f} {r['low']:>+8.3f} to {r['high']:>+5.3f} "
                      f"{r['seconds']:>8.1f}  {r['verdict']}", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    winners = {r["winner"] for r in rows}
    slowest = max(r["seconds"] for r in rows)
    checks = [
        ("the same verdict in every run", len(winners) == 1, ", ".join(sorted(winners))),
        ("MAEC ahead (interval above zero) in every run", winners == {"MAEC"},
         f"{sum(r['winner'] == 'MAEC' for r in rows)} of {len(rows)}"),
        (f"every run <= {args.budget:g} s", slowest <= args.budget, f"slowest {slowest:.1f} s"),
    ]
    print()
    for text, ok, detail in checks:
        print(f"{text}: {'ok' if ok else 'MISSED'} ({detail})")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
