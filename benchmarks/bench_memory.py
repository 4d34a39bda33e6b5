"""Memory benchmark: peak resident memory of fit on an IEMOCAP-sized corpus.

Builds 10,000 utterances of precomputed frames (45 LLDs, 10 ms) whose lengths
follow IEMOCAP's distribution (log-normal, median 3 s, 0.5 s to 30 s: about
11 hours), cuts the bags as the segmenter does (strided views), builds the
context triples, and trains MAECClassifier for one epoch in a child process,
reporting its peak RSS (target <= 2 GB).  For the record it also prints what
materialising every segment up front would take.  On the same IEMOCAP-like
length distribution it measures the padding of both batching modes (target
<= 15% of the segment positions with length bucketing).

Then the pretrained front-end's table: 10,000 utterances of the same length
distribution scaled to 7 hours in all (``--encoder-hours``; the issue's
IEMOCAP-sized corpus) as frames of a pretrained encoder (20 ms), through
``PretrainedSegmenter.fit_transform`` itself (standardised into float16, bags
as views) and ``ContextTripleBuilder``, with synthetic encoder outputs in place
of the model (raw float16 frames, as the frame cache returns Whisper tiny.en's),
each width in its own child process:
Whisper tiny.en's 384 dimensions (target: peak RSS <= 1.5 GB) and a base
model's 768 (reported: it misses 1.5 GB, the frames alone take about 1.8 GB).
``--fit-encoder`` also trains one epoch on the 384-dimensional table.

Usage::

    python benchmarks/bench_memory.py [--n-utterances 10000] [--epochs 1]
                                      [--encoder-widths 384 768] [--encoder-hours 7]
                                      [--fit-encoder]
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


ENCODER_CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
from sklearn_maec import ContextTripleBuilder, PretrainedSegmenter
from sklearn_maec.features._extraction import RowResult
from sklearn_maec.features._pretrained import EncoderSpec
from sklearn_maec.features._pretrained_segmenter import _EncoderFeatures
n, width, fit_epochs, hours = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                               float(sys.argv[4]))
rng = np.random.default_rng(0)
seconds = np.clip(rng.lognormal(np.log(3.0), 0.75, n), 0.5, 30.0)
seconds = np.clip(seconds * hours * 3600 / seconds.sum(), 0.5, 30.0)  # IEMOCAP's 7 h


class SyntheticEncoder(PretrainedSegmenter):
    # the segmenter itself, with synthetic encoder outputs in place of the model
    def _check_params(self, fitted=False):
        self._check_common()
        spec = EncoderSpec("synthetic", "whisper", "0" * 64, 5, width)
        return _EncoderFeatures(spec, (3,), False)

    def _extract_sources(self, sources, spec, cache, log_path):
        gen = np.random.default_rng(1)
        return [RowResult(frames=(3 + 2 * gen.standard_normal((int(seconds[k] * 50), width),
                                                              dtype=np.float32)
                                  ).astype(np.float16), frame_step=0.02)
                for k in range(len(sources))]


turns = 12
X = pd.DataFrame({
    "audio": [f"utterance{k}.wav" for k in range(n)],
    "dialogue": np.repeat(np.arange(n // turns + 1), turns)[:n],
    "speaker": np.tile(["A", "B"], n // 2 + 1)[:n],
    "start": np.arange(n, dtype=float),
    "gender": np.tile(["F", "M"], n // 2 + 1)[:n],
})
X["speaker"] = X["dialogue"].astype(str) + X["speaker"]
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
seg = SyntheticEncoder(encoder="synthetic")
X = ContextTripleBuilder().fit_transform(seg.fit_transform(X))
table_seconds = time.perf_counter() - t
frames = X["frames"]
result = {
    "hours": float(seconds.sum() / 3600), "frames": int(sum(len(f) for f in frames)),
    "dtype": str(frames.iloc[0].dtype), "segmentation": repr(X.attrs["segmentation"]),
    "frames_mb": sum(f.nbytes for f in frames) / 2**20,
    "views": bool(all(s.base is not None for s in X["segments"].iloc[:100])),
    "base_mb": base_rss, "table_seconds": table_seconds,
    "table_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}
if fit_epochs:
    from sklearn_maec import MAECClassifier
    y = rng.choice(["neu", "hap", "sad", "ang"], n)
    t = time.perf_counter()
    MAECClassifier(max_epochs=fit_epochs, random_state=0, validation_fraction=None).fit(X, y)
    result["fit_seconds"] = time.perf_counter() - t
    result["fit_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""

#: Peak RSS the table of Whisper tiny.en frames of an IEMOCAP-sized corpus must stay within.
ENCODER_TARGET_MB = 1536


def encoder_table(n_utterances, width, fit_epochs, hours=7.0):
    """The child's figures for one encoder width (None when it failed, its stderr printed)."""
    proc = subprocess.run([sys.executable, "-c", ENCODER_CHILD, str(n_utterances), str(width),
                           str(fit_epochs), str(hours)], capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-utterances", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--encoder-widths", type=int, nargs="*", default=[384, 768],
                        help="frame widths of the pretrained front-end's tables (none: skip)")
    parser.add_argument("--encoder-hours", type=float, default=7.0,
                        help="hours of audio in the encoder tables (IEMOCAP-sized: 7)")
    parser.add_argument("--fit-encoder", action="store_true",
                        help="also train one epoch on the 384-dimensional encoder table")
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
    if args.encoder_widths:
        print(f"\npretrained front-end ({args.n_utterances} utterances, "
              f"{args.encoder_hours:g} h, 20 ms frames, PretrainedSegmenter.fit_transform + "
              "ContextTripleBuilder):")
        print(f"{'width':>6}{'frames':>10}{'dtype':>9}{'frames MB':>11}{'base RSS':>10}"
              f"{'peak RSS':>10}  target")
    for width in args.encoder_widths:
        e = encoder_table(args.n_utterances, width, args.epochs if
                          (args.fit_encoder and width == 384) else 0, args.encoder_hours)
        if e is None:
            checks.append((f"encoder table of width {width} built", False))
            continue
        verdict = "<= 1536 MB" if width == 384 else "(reported)"
        print(f"{width:>6}{e['frames']:>10}{e['dtype']:>9}{e['frames_mb']:>11.0f}"
              f"{e['base_mb']:>10.0f}{e['table_peak_mb']:>10.0f}  {verdict}"
              f"{'' if e['views'] else '  (segments are not views!)'}")
        if "fit_peak_mb" in e:
            print(f"{'':>6}peak RSS of fit ({args.epochs} epoch, {e['fit_seconds']:.0f} s): "
                  f"{e['fit_peak_mb']:.0f} MB")
        if width == 384:
            checks.append((f"encoder table (384 dims) <= {ENCODER_TARGET_MB} MB",
                           e["table_peak_mb"] <= ENCODER_TARGET_MB and e["views"]))
        elif e["table_peak_mb"] > ENCODER_TARGET_MB:
            print(f"{'':>6}a {width}-dimensional encoder misses {ENCODER_TARGET_MB} MB: its "
                  f"frames alone take {e['frames_mb']:.0f} MB in float16")
    print()
    for name, ok in checks:
        print(f"{name:<40}{'ok' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
