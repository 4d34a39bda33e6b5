"""Inference benchmark: one file end to end, and batch throughput.

Trains a small pipeline on a generated corpus, saves it in the pickle-free
format and loads it back (as a user would), then measures on ONE core:

1. extraction + prediction of one 5 s wav file, as a fraction of real time
   (target <= 0.2);
2. batch prediction throughput (utterances per second) from precomputed
   features, and end to end from wav files.

Usage::

    python benchmarks/bench_inference.py [--repeat 5]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd
    import soundfile
    import torch

    from sklearn_maec.datasets import make_dialogue_corpus
    from sklearn_maec.persistence import load_model, save_model
    from sklearn_maec.pipeline import make_maec_pipeline

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    work = tempfile.mkdtemp(prefix="maec_infer_")
    X, y = make_dialogue_corpus(n_dialogues=30, random_state=0, directory=os.path.join(work, "wav"))
    pipe = make_maec_pipeline(n_jobs=1, max_epochs=3, random_state=0,
                              class_weight="balanced").fit(X, y)
    path = os.path.join(work, "model.maec")
    save_model(pipe, path)
    model = load_model(path)

    # a 5 s utterance: concatenated turns of the corpus, cut to exactly 5 s
    signal = np.concatenate([soundfile.read(p, dtype="float32")[0] for p in X["audio"][:6]])
    wav = os.path.join(work, "five_seconds.wav")
    soundfile.write(wav, signal[: 5 * 16000], 16000)
    one = pd.DataFrame({"audio": [wav], "dialogue": ["d"], "speaker": ["s"], "start": [0.0]})
    model.predict(one)  # warm-up
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        model.predict(one)
        times.append(time.perf_counter() - t)
    single = statistics.median(times)

    Xt = X.copy()
    for _, step in model.steps[:-1]:
        Xt = step.transform(Xt)
    t = time.perf_counter()
    model.steps[-1][1].predict(Xt)
    features_rate = len(X) / (time.perf_counter() - t)
    t = time.perf_counter()
    model.predict(X)
    e2e_rate = len(X) / (time.perf_counter() - t)
    audio_seconds = float((X["end"] - X["start"]).sum())

    print(f"one core (torch threads {torch.get_num_threads()}, extraction n_jobs=1)")
    print(f"one 5 s file, extraction + prediction:   {single:.3f} s "
          f"= {single / 5:.3f} x real time (median of {args.repeat})")
    print(f"batch of {len(X)} utterances ({audio_seconds / 60:.1f} min of audio):")
    print(f"  from precomputed features:             {features_rate:8.0f} utterances/s")
    print(f"  end to end from wav files:             {e2e_rate:8.0f} utterances/s "
          f"({audio_seconds / (len(X) / e2e_rate):.0f} x real time)")
    ok = single / 5 <= 0.2
    print(f"\none file <= 0.2 x real time: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
