"""Memory benchmark: peak resident memory of fit on an IEMOCAP-sized corpus.

Builds 10,000 utterances of precomputed frames (45 LLDs, 10 ms) whose lengths
follow IEMOCAP's distribution (log-normal, median about 3 s, 0.5 s to 30 s: about
7 hours), cuts the bags as the segmenter does (strided views), builds the
context triples, and trains MAECClassifier for one epoch in a child process,
reporting its peak RSS (target <= 2 GB).  For the record it also prints what
materialising every segment up front would take.  On the same IEMOCAP-like
length distribution it measures the padding of both batching modes (target
<= 15% of the segment positions with length bucketing).

Usage::

    python benchmarks/bench_memory.py [--n-utterances 10000] [--epochs 1]
"""

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
from sklearn_maec import ContextTripleBuilder, MAECClassifier
from sklearn_maec.features import Segmentation
n, epochs = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
seconds = np.clip(rng.lognormal(np.log(3.0), 0.75, n), 0.5, 30.0)
frames = [rng.standard_normal((int(s * 100), 45)).astype(np.float32) for s in seconds]
SEGMENTATION = Segmentation.from_seconds(0.5, 0.1, frame_step=0.01)  # openSMILE's 10 ms
turns = 12
X = pd.DataFrame({
    "frames": frames,
    "segments": [SEGMENTATION.cut(f) for f in frames],
    "dialogue": np.repeat(np.arange(n // turns + 1), turns)[:n],
    "speaker": np.tile(["A", "B"], n // 2 + 1)[:n],
    "start": np.arange(n, dtype=float),
    "gender": np.tile(["F", "M"], n // 2 + 1)[:n],
})
X["speaker"] = X["dialogue"].astype(str) + X["speaker"]
X = ContextTripleBuilder().fit_transform(SEGMENTATION.attach(X))
y = rng.choice(["neu", "hap", "sad", "ang"], n)
data_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
clf = MAECClassifier(max_epochs=epochs, random_state=0, validation_fraction=None).fit(X, y)
fit_seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
sys.path.insert(0, sys.argv[3])
from _batch_stats import batch_statistics
from sklearn_maec.model._data import BatchSampler
dataset = clf.get_dataset(X, y)
padding = {mode: batch_statistics(dataset, list(BatchSampler(dataset, 32, shuffle=True,
                                                             batching=mode, seed=0)))
           for mode in ("dialogue", "length")}
print(json.dumps({
    "hours": float(seconds.sum() / 3600), "frames": int(sum(len(f) for f in frames)),
    "frames_mb": sum(f.nbytes for f in frames) / 2**20,
    "materialised_mb": sum(s.size * 4 for s in X["segments"]) / 2**20,
    "data_peak_mb": data_rss, "fit_seconds": fit_seconds, "peak_mb": peak,
    "padding": padding,
}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-utterances", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args(argv)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(args.n_utterances), str(args.epochs),
                           os.path.dirname(os.path.abspath(__file__))],
                          capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr)
        return 2
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{args.n_utterances} utterances, {r['hours']:.1f} h, {r['frames']} frames; "
          f"{os.cpu_count()} cores; {time.perf_counter() - t:.0f} s in all")
    print(f"frames (kept once, bags are views):   {r['frames_mb']:8.0f} MB")
    print(f"every segment materialised up front:  {r['materialised_mb']:8.0f} MB "
          f"({r['materialised_mb'] / r['frames_mb']:.1f}x the frames)")
    print(f"peak RSS after building the table:    {r['data_peak_mb']:8.0f} MB")
    print(f"peak RSS of fit ({args.epochs} epoch, {r['fit_seconds']:.0f} s):"
          f"{r['peak_mb']:12.0f} MB")
    print(f"\n{'batching':<12}{'segments encoded':>18}{'attention padding':>19}")
    for mode, stats in r["padding"].items():
        print(f"{mode:<12}{stats['segments']:>18}{stats['attention_padding']:>19.1%}")
    print("(padding never reaches the convolutions or the GRU: the segments of a batch are "
          "concatenated and the GRU is packed; only the attention's (bags, S_max) layout pads)")
    checks = [("peak RSS of fit <= 2048 MB", r["peak_mb"] <= 2048),
              ("padding with length bucketing <= 15%",
               r["padding"]["length"]["attention_padding"] <= 0.15)]
    print()
    for name, ok in checks:
        print(f"{name:<40}{'ok' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
