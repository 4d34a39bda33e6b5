"""Peak resident memory of ``MAECClassifier.predict`` over 10,000 utterances.

Prediction runs batch by batch (each batch's segments are copied into one buffer, the
network runs, the buffer is freed), so the memory it needs on top of its input should
not depend on the number of utterances.  This script builds precomputed features
(frames and their segment views, as ``OpenSmileSegmenter`` gives them, 1-4 s per
utterance, with the context columns of ``ContextTripleBuilder``), trains a default-sized
classifier for one epoch on 300 of them, and measures in a fresh process per size:

* the resident memory once the input is built (``before``);
* the peak resident memory during ``predict`` (``peak``) and the growth over ``before``.

It runs N/4 and N utterances; the growth should stay about the same (the input itself
grows 4 times).

Usage::

    python benchmarks/bench_predict_memory.py [--n 10000] [--batch-size 32]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def _status(field):
    """A field of /proc/self/status in MB, or None off Linux."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak():
    """Reset the kernel's peak-RSS mark (Linux); False where it cannot be reset."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _maxrss_mb():
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def measure(n, batch_size, seed=0):
    """Build the input of ``n`` utterances, predict, return the memory figures (MB)."""
    import warnings

    import numpy as np
    import pandas as pd
    import torch

    from sklearn_maec import ContextTripleBuilder, MAECClassifier
    from sklearn_maec.features import Segmentation

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    n_frames = rng.integers(100, 400, size=n)  # 1-4 s of 10 ms frames
    frames = [rng.standard_normal((k, 45), dtype=np.float32) for k in n_frames]
    X = pd.DataFrame({"dialogue": np.arange(n) // 12, "speaker": np.resize(["A", "B"], n),
                      "start": (np.arange(n) % 12).astype(float),
                      "gender": np.resize(["F", "M"], n)})
    X["frames"] = pd.Series(frames, dtype=object)
    segmentation = Segmentation.from_seconds(0.5, 0.1, frame_step=0.01)  # 10 ms frames
    X["segments"] = pd.Series([segmentation.cut(f) for f in frames], dtype=object)
    X = ContextTripleBuilder().fit_transform(segmentation.attach(X))
    y = np.resize(["ang", "hap", "neu", "sad"], n)
    clf = MAECClassifier(max_epochs=1, random_state=0, validation_fraction=None,
                         batch_size=batch_size).fit(X.iloc[:300].reset_index(drop=True), y[:300])
    input_mb = sum(f.nbytes for f in frames) / 2**20

    before = _status("VmRSS")
    exact = _reset_peak()
    maxrss_before = _maxrss_mb()
    t = time.perf_counter()
    labels = clf.predict(X)
    seconds = time.perf_counter() - t
    peak = _status("VmHWM") if exact else _maxrss_mb()
    if before is None:  # not Linux: the peak so far is all there is
        before = maxrss_before
    assert len(labels) == n
    return {"n": n, "input_mb": input_mb, "before_mb": before, "peak_mb": peak,
            "growth_mb": peak - before, "seconds": seconds, "exact_peak": exact}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="utterances (default: 10000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.n, args.batch_size)))
        return 0

    rows = []
    for n in (args.n // 4, args.n):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "--n",
                              str(n), "--batch-size", str(args.batch_size)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"predict with precomputed features, batch_size={args.batch_size}, one torch thread")
    print(f"{'utterances':>10} {'input MB':>9} {'RSS before':>11} {'peak RSS':>9} "
          f"{'growth':>8} {'seconds':>8}")
    for r in rows:
        print(f"{r['n']:>10} {r['input_mb']:>9.0f} {r['before_mb']:>11.0f} {r['peak_mb']:>9.0f} "
              f"{r['growth_mb']:>8.1f} {r['seconds']:>8.1f}")
    small, large = rows
    ratio = large["growth_mb"] / max(small["growth_mb"], 1.0)
    print(f"\npeak RSS predicting {large['n']} utterances: {large['peak_mb']:.0f} MB "
          f"({large['growth_mb']:.0f} MB above the {large['before_mb']:.0f} MB holding the "
          f"input and the model)")
    print(f"growth for 4x the utterances: x{ratio:.2f} (bounded: about x1; the input grew "
          f"x{large['input_mb'] / small['input_mb']:.1f})")
    if not large["exact_peak"]:
        print("(peak from getrusage: includes building the input, an upper bound)")
    return 0 if ratio < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
