"""The generator ``make_dialogue_corpus``: its speed, and whether its salient spans are as claimed.

Three parts, each on by default (``--parts`` picks some):

``speed``
    Generates about 1,000 utterances with the default settings (median
    duration 2.5 s, studio domain) on one core, then a smaller corpus in every
    domain, and prints for each: seconds per 1,000 utterances, hours of audio
    per hour of compute, and the real-time factor (compute time / audio
    duration, < 1 is faster than real time). Then the cost of the
    within-utterance dynamics: the default against ``salience=0`` (the
    emotion over the whole utterance, no contour), the two interleaved on the
    same corpora; target: at most 1.3x.
``spans``
    openSMILE's F0 (semitones) and the frames' level (dB) inside the
    ``salient_spans`` against outside them, per emotion, at several
    ``salience`` settings; for neutral utterances the same over their
    (unlisted) spans of ordinary prominence.
``accuracy``
    Functionals (the baseline's utterance statistics of the maec45
    descriptors) + logistic regression, leave one session out, UA at
    ``salience`` 0, 0.5, 1 and the default, over a few seeds; and an oracle
    that pools only the frames inside the spans (a neutral utterance's
    prominence spans included, so that "has a span" tells nothing) against
    all frames and against the frames outside the spans.

Run it as a plain script::

    python benchmarks/bench_synthetic.py                       # everything (~10 min)
    python benchmarks/bench_synthetic.py --parts speed --utterances 3000 --no-domains
    python benchmarks/bench_synthetic.py --parts accuracy --seeds 5
"""

import os

# one core: the generator is single-threaded, keep BLAS/FFT pools from helping
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from sklearn_maec.datasets import make_dialogue_corpus  # noqa: E402
from sklearn_maec.datasets._channel import DOMAINS  # noqa: E402
from sklearn_maec.datasets._synthetic import SALIENCE_DEFAULT, _peak_spans  # noqa: E402

MEAN_TURNS = 10  # turns_per_dialogue=(6, 14) by default
RATIO_TARGET = 1.3
EMOTIONS = ("neu", "hap", "sad", "ang")


def run(n_dialogues, random_state=0, **kwargs):
    start = time.perf_counter()
    X, _ = make_dialogue_corpus(n_dialogues=n_dialogues, random_state=random_state, **kwargs)
    seconds = time.perf_counter() - start
    audio = float((X["end"] - X["start"]).sum())
    return len(X), audio, seconds


def report(label, n, audio, seconds):
    per_1000 = seconds / n * 1000
    rtf = seconds / audio
    print(f"{label:28s} {n:6d} utt {audio / 60:7.1f} min audio {seconds:7.2f} s  "
          f"{per_1000:6.2f} s/1000 utt  RTF {rtf:.4f} ({1 / rtf:5.0f}x real time)")
    return per_1000


# --------------------------------------------------------------------------- speed
def speed(args):
    make_dialogue_corpus(n_dialogues=1, turns_per_dialogue=1, random_state=0)  # warm-up
    n_dialogues = max(1, round(args.utterances / MEAN_TURNS))
    per_1000 = report(f"default (salience={SALIENCE_DEFAULT})", *run(n_dialogues))
    budget = 60.0
    verdict = "OK" if per_1000 < budget / 2 else "SLOW"
    print(f"-> {per_1000:.1f} s per 1,000 utterances "
          f"(target: well under {budget:.0f} s): {verdict}")

    # the dynamics' cost: both settings on the same corpora, interleaved, so that
    # other load on the machine hits both alike
    chunks = 5
    size = max(1, n_dialogues // chunks)
    spent = {0.0: [0.0, 0], SALIENCE_DEFAULT: [0.0, 0]}
    for k in range(chunks):
        for salience in (spent if k % 2 == 0 else reversed(list(spent))):
            n, _, seconds = run(size, random_state=100 + k, salience=salience)
            spent[salience][0] += seconds
            spent[salience][1] += n
    per = {s: t / n * 1000 for s, (t, n) in spent.items()}
    ratio = per[SALIENCE_DEFAULT] / per[0.0]
    ok = ratio <= RATIO_TARGET
    print(f"salience=0 (global shift, no contour) {per[0.0]:6.2f} s/1000 utt; "
          f"salience={SALIENCE_DEFAULT} (default) {per[SALIENCE_DEFAULT]:6.2f} s/1000 utt "
          f"({spent[0.0][1]} utterances each)")
    print(f"-> the within-utterance dynamics cost {ratio:.2f}x "
          f"(target <= {RATIO_TARGET}x): {'OK' if ok else 'MISSED'}")

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
    return ok


# --------------------------------------------------------------------------- corpora
def corpus(seed, salience, n_dialogues):
    """A balanced corpus (independent, equiprobable emotions) with its peak spans."""
    X, y = make_dialogue_corpus(n_dialogues=n_dialogues, n_sessions=5, inertia=0.0,
                                contagion=0.0, emotion_weights=[1, 1, 1, 1],
                                salience=salience, random_state=seed)
    peaks = _peak_spans(X, y, random_state=seed)
    return X, y, peaks


def frames_of(X):
    """Raw maec45 frames of every row (not standardised: the functionals are scaled later)."""
    from sklearn_maec import OpenSmileSegmenter

    seg = OpenSmileSegmenter(standardize=False).fit(X)
    return list(seg.transform(X)["frames"]), list(seg.lld_names_), seg.frame_step_


def span_mask(n_frames, spans, step):
    """Frames (centres) inside any of ``spans`` (seconds)."""
    centre = (np.arange(n_frames) + 0.5) * step
    inside = np.zeros(n_frames, dtype=bool)
    for start, end in spans:
        inside |= (centre >= start) & (centre < end)
    return inside


def frame_level_db(audio, sr, n_frames, step):
    """RMS level (dB) of the 10 ms frames of ``audio``, aligned with openSMILE's frames."""
    hop = int(round(step * sr))
    x = np.asarray(audio, dtype=np.float64)
    m = min(n_frames, x.size // hop)
    out = np.full(n_frames, -120.0)
    out[:m] = 10 * np.log10(np.mean(x[: m * hop].reshape(m, hop) ** 2, axis=1) + 1e-12)
    return out


# --------------------------------------------------------------------------- spans
def in_out_differences(X, y, peaks, frames, names, step):
    """Per emotion: mean over utterances of (inside - outside) F0 (semitones) and level (dB).

    Voiced frames only (openSMILE's F0 > 0). Neutral utterances use their
    prominence spans (not in ``salient_spans``).
    """
    f0_col = names.index("F0_sma")
    rows = {e: [] for e in EMOTIONS}
    for audio, sr, label, spans, f in zip(X["audio"], X["sampling_rate"], y, peaks, frames,
                                          strict=True):
        f0 = f[:, f0_col]
        voiced = f0 > 0
        inside = span_mask(len(f), spans, step)
        if not (voiced & inside).any() or not (voiced & ~inside).any():
            continue
        st = 12 * np.log2(np.maximum(f0, 1.0))
        level = frame_level_db(audio, sr, len(f), step)
        rows[label].append((st[voiced & inside].mean() - st[voiced & ~inside].mean(),
                            level[voiced & inside].mean() - level[voiced & ~inside].mean()))
    return {e: np.mean(v, axis=0) if v else (np.nan, np.nan) for e, v in rows.items()}


def outside_vs_neutral(X, y, peaks, frames, names, step):
    """Per emotion: outside-the-span F0 / level minus the speaker's neutral (outside its peaks)."""
    f0_col = names.index("F0_sma")
    stats = []
    for audio, sr, label, spk, spans, f in zip(X["audio"], X["sampling_rate"], y, X["speaker"],
                                               peaks, frames, strict=True):
        f0 = f[:, f0_col]
        sel = (f0 > 0) & ~span_mask(len(f), spans, step)
        if sel.any():
            level = frame_level_db(audio, sr, len(f), step)
            stats.append((label, spk, 12 * np.log2(f0[sel]).mean(), level[sel].mean()))
    neutral = {}
    for label, spk, st, db in stats:
        if label == "neu":
            neutral.setdefault(spk, []).append((st, db))
    neutral = {k: np.mean(v, axis=0) for k, v in neutral.items()}
    out = {e: [] for e in EMOTIONS}
    for label, spk, st, db in stats:
        if spk in neutral:
            out[label].append((st - neutral[spk][0], db - neutral[spk][1]))
    return {e: np.mean(v, axis=0) if v else (np.nan, np.nan) for e, v in out.items()}


def spans_part(args):
    print(f"\n# inside vs outside the spans ({args.dialogues} balanced dialogues, seed 0; "
          "voiced frames; neutral: its prominence spans)")
    print(f"{'salience':>8} {'emotion':>8} {'F0 in-out':>10} {'level in-out':>13} "
          f"{'F0 out-neu':>11} {'level out-neu':>14}")
    for salience in sorted({0.5, SALIENCE_DEFAULT, 1.0}):
        X, y, peaks = corpus(0, salience, args.dialogues)
        frames, names, step = frames_of(X)
        diff = in_out_differences(X, y, peaks, frames, names, step)
        base = outside_vs_neutral(X, y, peaks, frames, names, step)
        for e in EMOTIONS:
            print(f"{salience:>8} {e:>8} {diff[e][0]:>+8.2f} st {diff[e][1]:>+10.2f} dB "
                  f"{base[e][0]:>+8.2f} st {base[e][1]:>+11.2f} dB")
    return True


# --------------------------------------------------------------------------- accuracy
def functionals(frames, masks=None):
    import pandas as pd

    from sklearn_maec.features import FrameFunctionals

    if masks is not None:  # an empty selection falls back to all frames
        frames = [f[m] if m.sum() >= 2 else f for f, m in zip(frames, masks, strict=True)]
    return FrameFunctionals().fit_transform(pd.DataFrame({"frames": frames}))


def loso_ua(features, y, sessions):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(),
                          LogisticRegression(max_iter=3000, class_weight="balanced"))
    pred = cross_val_predict(model, features, y, groups=sessions, cv=LeaveOneGroupOut())
    return balanced_accuracy_score(y, pred)


def accuracy_part(args):
    settings = sorted({0.0, 0.5, SALIENCE_DEFAULT, 1.0})
    print(f"\n# functionals + logistic regression, leave one session out "
          f"({args.dialogues} balanced dialogues in 5 sessions, seeds 0-{args.seeds - 1})")
    table = {s: {"all": [], "oracle": [], "outside": []} for s in settings}
    for seed in range(args.seeds):
        for salience in settings:
            X, y, peaks = corpus(seed, salience, args.dialogues)
            frames, _, step = frames_of(X)
            inside = [span_mask(len(f), p, step) for f, p in zip(frames, peaks, strict=True)]
            sessions = X["session"].to_numpy()
            rec = table[salience]
            rec["all"].append(loso_ua(functionals(frames), y, sessions))
            if salience > 0:
                rec["oracle"].append(loso_ua(functionals(frames, inside), y, sessions))
                rec["outside"].append(loso_ua(functionals(frames, [~m for m in inside]), y,
                                              sessions))
            print(f"seed {seed} salience {salience}: {len(X)} utterances, UA all frames "
                  f"{rec['all'][-1]:.3f}" + (f", in-span frames (oracle) {rec['oracle'][-1]:.3f}"
                                             f", outside the spans {rec['outside'][-1]:.3f}"
                                             if salience > 0 else ""), flush=True)

    def cell(values):
        return f"{np.mean(values):.3f} +- {np.std(values):.3f}" if values else "-"

    print(f"\n{'salience':>8} | {'all frames':>15} | {'oracle (in-span)':>17} | "
          f"{'outside spans':>15}")
    ok = True
    for s in settings:
        r = table[s]
        print(f"{s:>8} | {cell(r['all']):>15} | {cell(r['oracle']):>17} | "
              f"{cell(r['outside']):>15}")
        if s > 0:
            ok &= np.mean(r["oracle"]) > np.mean(r["all"])
    print(f"-> the oracle beats all frames at every salience > 0: {'OK' if ok else 'MISSED'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=["speed", "spans", "accuracy"],
                        default=["speed", "spans", "accuracy"])
    parser.add_argument("--utterances", type=int, default=1000,
                        help="approximate size of the main speed run (default 1000)")
    parser.add_argument("--no-domains", action="store_true", help="skip the per-domain runs")
    parser.add_argument("--wav", action="store_true", help="also time writing wav files")
    parser.add_argument("--dialogues", type=int, default=40,
                        help="dialogues per corpus of the spans / accuracy parts "
                             "(default 40: ~400 utterances)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the accuracy part")
    args = parser.parse_args()

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"cpu count {os.cpu_count()} (using one)")
    ok = True
    if "speed" in args.parts:
        ok &= speed(args)
    if "spans" in args.parts:
        ok &= spans_part(args)
    if "accuracy" in args.parts:
        ok &= accuracy_part(args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
