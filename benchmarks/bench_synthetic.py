"""Speed of the synthetic corpus generator, ``make_dialogue_corpus``.

Generates about 1,000 utterances with the default settings (median duration
2.5 s, studio domain) on one core, then a smaller corpus in every domain, and
prints for each: seconds per 1,000 utterances, hours of audio per hour of
compute, and the real-time factor (compute time / audio duration, < 1 is
faster than real time). Optionally also the time to write wav files.

Run it as a plain script::

    python benchmarks/bench_synthetic.py               # ~1,000 utterances + domains
    python benchmarks/bench_synthetic.py --utterances 3000 --no-domains
"""

import os

# one core: the generator is single-threaded, keep BLAS/FFT pools from helping
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from sklearn_maec.datasets import make_dialogue_corpus  # noqa: E402
from sklearn_maec.datasets._channel import DOMAINS  # noqa: E402

MEAN_TURNS = 10  # turns_per_dialogue=(6, 14) by default


def run(n_dialogues, **kwargs):
    start = time.perf_counter()
    X, _ = make_dialogue_corpus(n_dialogues=n_dialogues, random_state=0, **kwargs)
    seconds = time.perf_counter() - start
    audio = float((X["end"] - X["start"]).sum())
    return len(X), audio, seconds


def report(label, n, audio, seconds):
    per_1000 = seconds / n * 1000
    rtf = seconds / audio
    print(f"{label:28s} {n:6d} utt {audio / 60:7.1f} min audio {seconds:7.2f} s  "
          f"{per_1000:6.2f} s/1000 utt  RTF {rtf:.4f} ({1 / rtf:5.0f}x real time)")
    return per_1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=1000,
                        help="approximate size of the main run (default 1000)")
    parser.add_argument("--no-domains", action="store_true", help="skip the per-domain runs")
    parser.add_argument("--wav", action="store_true", help="also time writing wav files")
    args = parser.parse_args()

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"cpu count {os.cpu_count()} (using one)")
    make_dialogue_corpus(n_dialogues=1, turns_per_dialogue=1, random_state=0)  # warm-up

    n_dialogues = max(1, round(args.utterances / MEAN_TURNS))
    per_1000 = report("default (studio, 2.5 s)", *run(n_dialogues))
    budget = 60.0
    verdict = "OK" if per_1000 < budget / 2 else "SLOW"
    print(f"-> {per_1000:.1f} s per 1,000 utterances "
          f"(target: well under {budget:.0f} s): {verdict}")

    if not args.no_domains:
        for name in DOMAINS:
            report(f"domain={name!r}", *run(max(1, n_dialogues // 5), domain=name))
        report("multi-party (4 speakers)",
               *run(max(1, n_dialogues // 5), speakers_per_dialogue=4, domain="tv"))
        report("sampling_rate=44100",
               *run(max(1, n_dialogues // 5), sampling_rate=44100))

    if args.wav:
        with tempfile.TemporaryDirectory() as tmp:
            report("directory= (16-bit wav)", *run(max(1, n_dialogues // 5), directory=tmp))


if __name__ == "__main__":
    main()
