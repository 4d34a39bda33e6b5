"""Linear probe of a pretrained encoder's layers on EmoDB and EMOVO, leave-one-speaker-out.

For every hidden state of the checkpoint (0 = the input of the first block) and
the average of all of them, each utterance's frames are averaged over time,
standardised and fed to ``LogisticRegression(class_weight="balanced")``; the
unweighted accuracy (UA, ``balanced_accuracy_score``) of the 4 classes (neu, hap,
sad, ang) under leave-one-speaker-out is reported two ways: over the pooled
predictions of all folds, and as the mean of the folds' UA.  Rows: Whisper on
the audio's own length or padded to its 30 s window (``pad_to_window``); frames
stored as float32 or float16.  Also per selection: the largest absolute
difference between float16 and float32 frames after standardisation with the
corpus's per-dimension statistics.

The corpora's tables are built from the file names (EmoDB ``wav/SSTTTEV.wav``,
W/F/T/N; EMOVO ``SPK/EMO-SPK-SENT.wav``, rab/gio/tri/neu).  Hidden states are
summarised per utterance into ``--out`` as they are computed (a rerun reuses
them); the table goes to ``<out>/probe.md``.

Usage::

    python benchmarks/bench_encoder_probe.py --encoder ../shared/models/whisper-tiny.en \\
        --data ../shared/data --out /tmp/probe [--threads 1]
"""

import argparse
import glob
import os
import sys

import numpy as np

EMODB = {"W": "ang", "F": "hap", "T": "sad", "N": "neu"}
EMOVO = {"rab": "ang", "gio": "hap", "tri": "sad", "neu": "neu"}


def corpus_table(data, corpus):
    """(paths, labels, speakers) of the 4 classes, from the file names."""
    rows = []
    if corpus == "emodb":
        for path in sorted(glob.glob(os.path.join(data, "emodb", "wav", "*.wav"))):
            name = os.path.basename(path)
            if name[5] in EMODB:
                rows.append((path, EMODB[name[5]], name[:2]))
    else:
        for path in sorted(glob.glob(os.path.join(data, "emovo", "*", "*.wav"))):
            emotion, speaker, _ = os.path.basename(path)[:-4].split("-")
            if emotion in EMOVO:
                rows.append((path, EMOVO[emotion], speaker))
    paths, labels, speakers = (np.array(c) for c in zip(*rows, strict=True))
    return paths, labels, speakers


def summarise(encoder_path, paths, pad, threads, batch_size=8):
    """Per utterance and selection (each layer, then their average): the float32 mean, the
    float16 mean, the per-dimension max |float16 - float32|, and frame sums for statistics."""
    from sklearn_maec.features._extraction import audio_source
    from sklearn_maec.features._pretrained import _read, load_encoder

    encoder = load_encoder(encoder_path)
    layers = tuple(range(encoder.spec.n_hidden_states))
    n_sel, width = len(layers) + 1, encoder.spec.hidden_size
    out = {k: np.zeros((len(paths), n_sel, width)) for k in ("mean32", "mean16", "maxerr",
                                                              "sum", "sumsq")}
    out["n_frames"] = np.zeros(len(paths), dtype=np.int64)
    step = 32
    for g in range(0, len(paths), step):
        signals = [_read(audio_source(p, None)[1], encoder.sampling_rate, encoder.min_samples)[0]
                   for p in paths[g: g + step]]
        states = encoder.hidden_states(signals, layers, pad_to_window=pad, n_threads=threads,
                                       batch_size=batch_size)
        for k, state in enumerate(states, start=g):
            sel = np.concatenate([state, state.mean(axis=0, keepdims=True)])  # (n_sel, T, D)
            half = sel.astype(np.float16).astype(np.float64)
            sel = sel.astype(np.float64)
            out["mean32"][k] = sel.mean(axis=1)
            out["mean16"][k] = half.mean(axis=1)
            out["maxerr"][k] = np.abs(half - sel).max(axis=1)
            out["sum"][k] = sel.sum(axis=1)
            out["sumsq"][k] = np.square(sel).sum(axis=1)
            out["n_frames"][k] = sel.shape[1]
        print(f"  {min(g + step, len(paths))}/{len(paths)}", flush=True)
    return out


def probe(X, labels, speakers, max_iter):
    """Pooled and mean-per-fold UA of the standardised linear probe, leave-one-speaker-out."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import LeaveOneGroupOut
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pred = np.empty_like(labels)
    folds = []
    for train, test in LeaveOneGroupOut().split(X, labels, speakers):
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced",
                                                                   max_iter=max_iter))
        model.fit(X[train], labels[train])
        pred[test] = model.predict(X[test])
        folds.append(balanced_accuracy_score(labels[test], pred[test]))
    return balanced_accuracy_score(labels, pred), float(np.mean(folds))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", required=True, help="checkpoint directory")
    parser.add_argument("--data", required=True, help="folder holding emodb/ and emovo/")
    parser.add_argument("--out", required=True, help="folder for the summaries and the table")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-iter", type=int, default=5000)
    parser.add_argument("--corpora", nargs="+", default=["emodb", "emovo"])
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    lines, errors, n_sel = [], [], 0
    for corpus in args.corpora:
        paths, labels, speakers = corpus_table(args.data, corpus)
        print(f"{corpus}: {len(paths)} utterances, {len(set(speakers))} speakers, "
              f"classes {dict(zip(*np.unique(labels, return_counts=True), strict=True))}")
        for pad in (False, True):
            mode = "padded to 30 s" if pad else "own length"
            cache = os.path.join(args.out, f"{corpus}_{'padded' if pad else 'own'}.npz")
            if os.path.exists(cache):
                with np.load(cache) as f:
                    summary = dict(f)
            else:
                print(f" {corpus}, {mode}:")
                summary = summarise(args.encoder, paths, pad, args.threads)
                np.savez(cache, **summary)
            n_sel = summary["mean32"].shape[1]
            n = summary["n_frames"].sum()
            mean = summary["sum"].sum(axis=0) / n
            std = np.sqrt(np.maximum(summary["sumsq"].sum(axis=0) / n - mean**2, 0))
            std[std < 1e-8] = 1.0
            worst = (summary["maxerr"].max(axis=0) / std).max(axis=1)  # per selection
            errors.append((corpus, mode, worst))
            for dtype, key in (("float32", "mean32"), ("float16", "mean16")):
                cells = []
                for s in range(summary[key].shape[1]):
                    pooled, per_fold = probe(summary[key][:, s], labels, speakers, args.max_iter)
                    cells.append(f"{pooled:.3f} ({per_fold:.3f})")
                lines.append(f"| {corpus} | {mode} | {dtype} | " + " | ".join(cells) + " |")
                print(lines[-1], flush=True)
    columns = [f"layer {i}" for i in range(n_sel - 1)] + [f"mean of 0-{n_sel - 2}"]
    lines = ["| corpus | Whisper input | frames | " + " | ".join(columns) + " |",
             "|---" * (n_sel + 3) + "|", *lines]
    lines += ["", "UA over the pooled predictions of the folds (mean of the folds' UA).", "",
              "Largest |float16 - float32| of a frame after standardisation (corpus statistics):",
              "", "| corpus | Whisper input | " + " | ".join(columns) + " |",
              "|---" * (n_sel + 2) + "|"]
    lines += [f"| {c} | {m} | " + " | ".join(f"{v:.2e}" for v in w) + " |" for c, m, w in errors]
    with open(os.path.join(args.out, "probe.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
