"""Extraction benchmark: OpenSmileSegmenter against openSMILE itself, in one run.

Generates N wav files (synthetic dialogues, 16 kHz) and measures, on the same files:

1. overhead: ``OpenSmileSegmenter.transform`` (n_jobs=1, no cache) against calling
   ``opensmile.Smile(...).process_file`` directly in a loop (same feature set, the
   paper's 45 LLDs) -- target ratio <= 1.10;
2. parallel speed-up: n_jobs=2 against n_jobs=1 -- target >= 1.7 on 2 cores;
3. cache: a second ``transform`` with ``memory`` against the first (cold) one --
   target >= 20x faster;
4. a ``GridSearchCV`` of 4 candidates x 3 folds (over ``segment__window`` and
   the classifier) on a pipeline with ``memory``: extractions per file,
   counted with the extraction log -- target exactly 1;
5. with ``--encoder PATH`` (a checkpoint directory, e.g. ``../shared/models/whisper-tiny.en``):
   the pretrained-encoder front-end (``features._pretrained.extract_sources``, no
   cache, ``--encoder-layer``, float16 frames) on the same files, at one torch thread and
   at every core, on the audio's own length and (Whisper) padded to its 30 s window,
   on ``--device``: files per second and the ratio to openSMILE's loop (reported,
   no target).  ``--encoder-only`` skips steps 2-4.

Usage::

    python benchmarks/bench_extraction.py [--n-files 500] [--workdir DIR]
    python benchmarks/bench_extraction.py --encoder ../shared/models/whisper-tiny.en \
        [--encoder-only] [--device cuda]

Every figure is printed; the exit code is 1 when a target is missed.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings


def timed(fn, repeat=1):
    """Best wall-clock time of ``repeat`` runs of ``fn`` (and its last result)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-files", type=int, default=500)
    parser.add_argument("--workdir", default=None,
                        help="where the wav files go (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per timing (best is kept)")
    parser.add_argument("--grid-files", type=int, default=200,
                        help="files in the grid-search extraction count")
    parser.add_argument("--encoder", default=None,
                        help="checkpoint directory of a pretrained encoder to time as well")
    parser.add_argument("--encoder-layer", type=int, default=3)
    parser.add_argument("--encoder-batch-size", type=int, default=8)
    parser.add_argument("--device", default="cpu", help="where the encoder runs")
    parser.add_argument("--encoder-only", action="store_true",
                        help="time openSMILE's loop and the encoder only")
    args = parser.parse_args(argv)

    import opensmile
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, GroupKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_maec import OpenSmileSegmenter
    from sklearn_maec.datasets import make_dialogue_corpus
    from sklearn_maec.features import FrameFunctionals
    from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV
    from sklearn_maec.features._opensmile import MAEC45_CONFIG

    workdir = args.workdir or tempfile.mkdtemp(prefix="maec_bench_")
    wav_dir = os.path.join(workdir, "wav")
    t, (X, y) = timed(lambda: make_dialogue_corpus(
        n_dialogues=max(1, args.n_files // 10), turns_per_dialogue=10, directory=wav_dir,
        random_state=0))
    X, y = X.iloc[: args.n_files].reset_index(drop=True), y[: args.n_files]
    paths = list(X["audio"])
    hours = sum(X["end"] - X["start"]) / 3600
    print(f"{len(paths)} wav files, {hours:.2f} h of audio, generated in {t:.1f} s")
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")

    smile = opensmile.Smile(MAEC45_CONFIG, "maec45", sampling_rate=16000, resample=True)
    t_direct, _ = timed(lambda: [smile.process_file(p) for p in paths], args.repeat)

    warnings.simplefilter("ignore")
    encoder_rows = encoder_timings(args, paths) if args.encoder else []
    if args.encoder_only:
        print(f"\n{'step':<48}{'seconds':>10}{'files/s':>10}{'vs openSMILE':>14}")
        print(f"{'openSMILE directly (loop, 1 core)':<48}{t_direct:>10.2f}"
              f"{len(paths) / t_direct:>10.1f}{1.0:>14.2f}")
        for name, sec in encoder_rows:
            print(f"{name:<48}{sec:>10.2f}{len(paths) / sec:>10.1f}{t_direct / sec:>14.2f}")
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    seg1 = OpenSmileSegmenter(n_jobs=1).fit(X.iloc[:20])
    t_seg1, _ = timed(lambda: seg1.transform(X), args.repeat)
    seg2 = OpenSmileSegmenter(n_jobs=2).fit(X.iloc[:20])
    seg2.transform(X.iloc[:40])  # start the worker processes outside the timing
    t_seg2, _ = timed(lambda: seg2.transform(X), args.repeat)

    cache = os.path.join(workdir, "cache")
    shutil.rmtree(cache, ignore_errors=True)
    segc = OpenSmileSegmenter(n_jobs=1, memory=cache).fit(X.iloc[:20])
    t_cold, _ = timed(lambda: segc.transform(X))
    t_warm, _ = timed(lambda: segc.transform(X), args.repeat)

    # a grid search of 4 candidates x 3 folds over a pipeline with ``memory``:
    # every file must be extracted exactly once (counted by the extraction log)
    n_grid = min(len(X), args.grid_files)
    Xg, yg = X.iloc[:n_grid].reset_index(drop=True), y[:n_grid]
    log = os.path.join(workdir, "extractions.log")
    os.environ[EXTRACTION_LOG_ENV] = log
    grid = GridSearchCV(
        Pipeline([("segment", OpenSmileSegmenter(memory=os.path.join(workdir, "grid_cache"))),
                  ("functionals", FrameFunctionals()), ("scale", StandardScaler()),
                  ("clf", LogisticRegression(max_iter=500))]),
        {"segment__window": [0.4, 0.5], "clf__C": [0.1, 1.0]}, cv=GroupKFold(3))
    t_grid, _ = timed(lambda: grid.fit(Xg, yg, groups=Xg["dialogue"]))
    del os.environ[EXTRACTION_LOG_ENV]
    with open(log) as f:
        extracted = [line.split("\t", 1)[1].strip() for line in f]
    n_fits = 4 * 3 + 1
    print(f"\nGridSearchCV 4 candidates x 3 folds (+ refit) over {n_grid} files with memory: "
          f"{t_grid:.1f} s, {len(extracted)} extractions for {n_fits} segmenter fits "
          f"({len(set(extracted))} distinct files)")

    rows = [
        ("openSMILE directly (loop, 1 core)", t_direct, None),
        ("OpenSmileSegmenter.transform n_jobs=1", t_seg1, None),
        ("OpenSmileSegmenter.transform n_jobs=2", t_seg2, None),
        ("with memory, first (cold) transform", t_cold, None),
        ("with memory, second transform", t_warm, None),
        *((name, sec, None) for name, sec in encoder_rows),
    ]
    print(f"\n{'step':<48}{'seconds':>10}{'files/s':>10}{'vs openSMILE':>14}")
    for name, sec, _ in rows:
        print(f"{name:<48}{sec:>10.2f}{len(paths) / sec:>10.1f}{t_direct / sec:>14.2f}")
    checks = [
        ("overhead: segmenter / openSMILE", t_seg1 / t_direct, "<=", 1.10),
        ("speed-up: n_jobs=2 vs n_jobs=1", t_seg1 / t_seg2, ">=", 1.7),
        ("cache: cold / warm transform", t_cold / t_warm, ">=", 20.0),
        ("grid search: extractions per file", len(extracted) / n_grid, "<=", 1.0),
    ]
    failed = False
    print(f"\n{'ratio':<42}{'value':>10}  target")
    for name, value, op, target in checks:
        ok = value <= target if op == "<=" else value >= target
        failed |= not ok
        print(f"{name:<42}{value:>10.2f}  {op} {target}  {'ok' if ok else 'MISSED'}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def encoder_timings(args, paths):
    """Seconds the pretrained-encoder front-end takes over ``paths`` (no cache), per setting."""
    from sklearn_maec.features._pretrained import extract_sources, load_encoder, resolve_encoder

    spec = resolve_encoder(args.encoder)
    load_encoder(spec, args.device)  # loading is not part of the timing
    sources = [(p, None) for p in paths]
    extract_sources(sources[:4], spec, args.encoder_layer, device=args.device)  # warm up
    cores = os.cpu_count()
    settings = [(1, False), (cores, False)]
    if spec.family == "whisper":
        settings += [(1, True), (cores, True)]
    if args.device != "cpu":
        settings = [(1, False)] + ([(1, True)] if spec.family == "whisper" else [])
    rows = []
    for threads, pad in settings:
        t, results = timed(lambda threads=threads, pad=pad: extract_sources(
            sources, spec, args.encoder_layer, device=args.device, n_threads=threads,
            pad_to_window=pad, batch_size=args.encoder_batch_size), args.repeat)
        failed = sum(r.error is not None for r in results)
        where = args.device if args.device != "cpu" else f"{threads} thread(s)"
        name = (f"encoder {spec.family} layer {args.encoder_layer}, {where}"
                + (", padded 30 s" if pad else ""))
        rows.append((name + (f" ({failed} failed)" if failed else ""), t))
    return rows


if __name__ == "__main__":
    sys.exit(main())
