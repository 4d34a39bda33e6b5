"""Training benchmark: MAECClassifier against a bare torch loop, in one run.

On a generated corpus (default 2,000 utterances, features extracted once and
cached under ``benchmarks/_cache``), on ``--device`` (default ``cpu``), measures:

1. the convolution forms and the path the speed issue was filed on:

   * the target: one epoch of ``MAECClassifier.fit`` at the defaults against
     one of ``--reference`` (default ``529c246``, the commit the speed issue
     was filed on, whose only form convolved each segment on its own): that
     source tree, extracted with ``git archive``, runs in a worker process
     (``_reference.py``) on the same utterances, segmented by its own
     segmenter, at its own defaults; the median ratio over ``--pairs`` fits,
     each right after a fit of the default (target >= 3x).  Without git or
     with ``--reference none`` the target falls back to the next ratio;
   * ``convolution="segment"`` (each segment convolved on its own, the paper's
     form, kept as a parameter) against the default ``convolution="frame"``
     (each utterance's frames convolved once, each segment's mean pooled from
     its window), and the same for the bare loop, median over ``--pairs``
     (reported).  The kept per-segment form shares every other speed-up made
     since (the training BiGRU, dialogue batches, in-place masking), so this
     ratio measures the convolution change alone;
   * one epoch with ``nn.GRU`` over packed sequences instead of the training
     BiGRU of ``model/_gru.py`` (its gain; on a GPU both are ``nn.GRU``), and
     one of ``"segment"`` with ``nn.GRU`` (reported);
2. overhead: one epoch of ``fit`` (default form) against a hand-written torch
   loop doing the same forward/backward passes and optimizer steps on the same
   batches, collated beforehand, right after it (target ratio <= 1.25:
   batching, collation, skorch bookkeeping must stay cheap; the median over
   the default's fits of the pairs above, as one pair swings by 0.2-0.4 here);
3. the adversarial phase: an epoch with the discriminator against one with
   ``adversarial_weight=0`` (the discriminator skipped) (target <= 1.4);
4. FLOPs: the matmul and convolution FLOPs (forward + backward, counted with
   ``torch.utils.flop_counter.FlopCounterMode``) of one training epoch of each
   form, over the whole epoch's batches (``--flop-batches K``: over the first
   K batches, scaled to the epoch by the segments encoded); the achieved
   GFLOP/s of the fit epoch, against a 2048x2048 float32 matmul's GFLOP/s
   measured in the same run on the same thread count and device (fraction of
   that peak) (reported);
5. throughput at 1 and 2 torch threads (``--throughput-threads``): segments/s
   and utterances/s of one training epoch (``fit``, default form) and of
   ``predict_proba`` on the same table (the table's own segments; context
   turns encoded again are not counted), and the segment / frame ratio at
   each thread count (reported);
6. batching: segments encoded per epoch with dialogue-run batches against
   encoding every sample's three inputs separately, and the padding the
   attention sees, for both ``batching`` modes.

Epoch times are the best of ``--epochs`` epochs.  With ``--device cuda`` every
measure runs on the GPU (the thread counts then only drive the host side);
without a CUDA device that exits with status 2 and a message.

Usage::

    python benchmarks/bench_training.py [--n-utterances 2000] [--epochs 2] [--threads N]
        [--device cpu|cuda] [--flop-batches K] [--pairs 3] [--throughput-threads 1,2]
        [--reference REVISION|DIRECTORY|none]

Every figure is printed, then a summary with the targets; exit code 1 when a
target is missed.
"""

import argparse
import os
import sys
import time
import warnings

#: The commit the speed issue ("training near the compute limit") was filed on.
FILED_ON = "529c246"


def utterances(n_utterances):
    """``n_utterances`` generated utterances (audio) and their labels."""
    from sklearn_maec.datasets import make_dialogue_corpus

    X, y = make_dialogue_corpus(n_dialogues=max(2, n_utterances // 10), turns_per_dialogue=10,
                                random_state=0)
    return X.iloc[:n_utterances].reset_index(drop=True), y[:n_utterances]


def corpus(n_utterances, cache, raw=None):
    """Segmented triple table of about ``n_utterances`` generated utterances.

    ``raw``: the ``(X, y)`` of :func:`utterances`, when already generated.
    """
    from sklearn_maec import ContextTripleBuilder, OpenSmileSegmenter

    X, y = raw if raw is not None else utterances(n_utterances)
    Xt = OpenSmileSegmenter(n_jobs=-1, memory=cache).fit_transform(X)
    return ContextTripleBuilder().fit_transform(Xt), y


def bare_epoch(clf, batches):
    """The same computation as ``MAECClassifier.train_step``, written out in plain torch.

    The network (and so its ``convolution``), the losses, the prior and the
    optimizers are ``clf``'s; only skorch's bookkeeping and the checks are left out.
    """
    import torch
    import torch.nn.functional as F
    from _flops import synchronize

    net, disc, prior, device = clf.module_, clf.discriminator_, clf.prior_, clf.device
    opt, opt_d = clf.optimizer_, clf.optimizer_disc_
    net.train()
    disc.train()
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        labels = y[:, 0]
        z = net.encode(**x)
        emotion_logits, gender_logits = net.heads(z)
        if clf.adversarial_weight > 0:
            condition = prior.condition(labels)
            real = disc(prior.sample(len(z), labels, device=z.device), condition)
            fake = disc(z.detach(), condition)
            loss_d = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + \
                F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            logit = disc(z, condition)
            adv = -F.softplus(logit).mean() if clf.generator_loss == "minimax" \
                else F.softplus(-logit).mean()
        else:
            adv = z.new_zeros(())
        loss = clf.criterion_(emotion_logits, labels) + clf.adversarial_weight * adv
        if clf.has_gender_ and clf.gender_weight > 0:
            loss = loss + clf.gender_weight * clf.criterion_gender_(gender_logits, y[:, 1])
        opt.zero_grad()
        loss.backward()
        opt.step()
    synchronize(device)


def epoch_flops(clf, batches, n_batches=0):
    """FLOPs of one training epoch (forward + backward) on ``batches``.

    ``n_batches`` > 0 counts the first ``n_batches`` only and scales the count
    by the segments encoded in the whole epoch over those in the counted ones.
    """
    from _flops import counted_flops

    counted = batches[:n_batches] if 0 < n_batches < len(batches) else batches

    def segments(bs):
        return sum(int(x.tensors["segment_starts"].shape[0]) for x, _ in bs)

    total, _ = counted_flops(lambda: bare_epoch(clf, counted), clf.device)
    return total * segments(batches) / max(segments(counted), 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-utterances", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed (best is kept)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: cores)")
    parser.add_argument("--cache", default=os.path.join(os.path.dirname(__file__), "_cache"))
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:k]")
    parser.add_argument("--flop-batches", type=int, default=0,
                        help="count the FLOPs over the first K batches, scaled to the epoch "
                             "(default 0: over the whole epoch)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="pairs of fits behind each ratio's median: the default and the "
                             "segment form (the first pair is the runs above), the default and "
                             "--reference (default 3)")
    parser.add_argument("--throughput-threads", default="1,2",
                        help="torch thread counts of the throughput measures (default 1,2)")
    parser.add_argument("--reference", default=FILED_ON,
                        help="git revision of this repository, or a directory holding "
                             "sklearn_maec/, whose default fit epoch the target compares "
                             f"against (default {FILED_ON}, the commit the speed issue was "
                             "filed on); 'none' to skip")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    device = args.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {device}: no CUDA device is available to torch "
              f"(torch {torch.__version__}, torch.cuda.is_available() is False); "
              "run without --device or with --device cpu", file=sys.stderr)
        return 2
    if device != "cpu" and not device.startswith("cuda"):
        parser.error(f"--device must be cpu or cuda[:k], got {device!r}")
    thread_counts = [int(t) for t in args.throughput_threads.split(",") if t.strip()]

    from _batch_stats import batch_statistics
    from _flops import matmul_rate, synchronize
    from _reference import ReferenceFit, ReferenceUnavailable

    from sklearn_maec import MAECClassifier
    from sklearn_maec.model._data import BatchSampler
    from sklearn_maec.model.nn import BagEncoder

    warnings.simplefilter("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    t = time.perf_counter()
    raw = utterances(args.n_utterances)
    X, y = corpus(args.n_utterances, args.cache, raw)
    segs = np.array([s.shape[0] for s in X["segments"]])
    n_utt, n_seg = len(X), int(segs.sum())
    where = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") \
        else "cpu"
    print(f"{n_utt} utterances, {n_seg} segments (median {np.median(segs):.0f} per bag), "
          f"prepared in {time.perf_counter() - t:.0f} s; device {where}, torch threads "
          f"{threads}, {os.cpu_count()} cores")

    reference = None
    if args.reference.lower() != "none":
        t = time.perf_counter()
        try:
            reference = ReferenceFit(args.reference, *raw, args.cache, args.epochs, threads,
                                     device)
        except ReferenceUnavailable as exc:
            print(f"reference {args.reference}: not run ({exc})")
        else:
            same = reference.segments == n_seg
            print(f"reference {reference.name}: its segmenter gives {reference.segments} "
                  f"segments ({'the same' if same else 'NOT the same'} as above), ready in "
                  f"{time.perf_counter() - t:.0f} s")
            if not same:
                reference.close()
                reference = None
    del raw

    peak = matmul_rate(device)
    print(f"dense 2048x2048 float32 matmul: {peak:.1f} GFLOP/s ({threads} threads, {device})")

    def training_batches(clf):
        return list(clf.get_iterator(clf.get_dataset(X, y), training=True))

    def bare_epochs(clf, batches):
        """Best of ``args.epochs`` bare-loop epochs on batches collated beforehand."""
        best = float("inf")
        for _ in range(args.epochs):
            t = time.perf_counter()
            bare_epoch(clf, batches)
            best = min(best, time.perf_counter() - t)
        return best

    def fit_epochs(**params):
        clf = MAECClassifier(max_epochs=args.epochs, random_state=0, validation_fraction=None,
                             device=device, **params).fit(X, y)
        return clf, min(clf.history[:, "dur"])

    runs = [("frame", {}), ("frame, no adversarial", {"adversarial_weight": 0.0}),
            ("frame, nn.GRU", {}), ("segment", {"convolution": "segment"}),
            ("segment, nn.GRU", {"convolution": "segment"})]
    results, flops, fitted = {}, {}, {}
    for name, params in runs:
        BagEncoder.fast_gru = not name.endswith("nn.GRU")
        try:
            clf, fit_time = fit_epochs(**params)
        finally:
            BagEncoder.fast_gru = True
        if name.endswith("nn.GRU"):  # the training BiGRU's gain (model/_gru.py), fit only
            results[name] = (fit_time, None)
            continue
        batches = training_batches(clf)  # collated outside the timing
        results[name] = (fit_time, bare_epochs(clf, batches))
        if name in ("frame", "segment"):
            flops[name] = epoch_flops(clf, batches, args.flop_batches)
        del batches
        if name == "frame":
            fitted[threads] = (clf, fit_time)

    print(f"\n{'epoch (best of ' + str(args.epochs) + '), convolution=':<52}{'seconds':>10}")
    for name, (fit_time, bare_time) in results.items():
        print(f"{'MAECClassifier.fit, ' + name:<52}{fit_time:>10.2f}")
        if bare_time is not None:
            print(f"{'bare torch loop, ' + name:<52}{bare_time:>10.2f}")
    # the ratios as medians over fits one after the other, pair by pair, so that a machine
    # whose speed drifts over the run moves both sides of each ratio; the segment pairs start
    # with the runs above, the reference's are all fits right after a fit of the default
    pairs, filed_pairs = [(results["segment"][0], results["frame"][0])], []
    overheads = [results["frame"][0] / results["frame"][1]]
    for i in range(args.pairs if reference is not None else args.pairs - 1):
        clf, frame_time = fit_epochs()
        overheads.append(frame_time / bare_epochs(clf, training_batches(clf)))
        del clf
        if i < args.pairs - 1:
            pairs.append((fit_epochs(convolution="segment")[1], frame_time))
        if reference is not None:
            filed_pairs.append((reference.fit_epoch(), frame_time))
    if reference is not None:
        reference.close()
    speedup = float(np.median([seg / frame for seg, frame in pairs]))
    print(f"convolution='segment' / 'frame': fit {pairs[0][0] / pairs[0][1]:.2f}x, bare loop "
          f"{results['segment'][1] / results['frame'][1]:.2f}x")
    print(f"  fit, {len(pairs)} pairs (the runs above, then fits one after the other): median "
          f"{speedup:.2f}x (" + ", ".join(f"{seg:.2f} / {frame:.2f} s" for seg, frame in pairs)
          + ")")
    filed = None
    if filed_pairs:
        filed = float(np.median([ref / frame for ref, frame in filed_pairs]))
        print(f"{reference.name} (its defaults, per-segment convolution) / the default: fit, "
              f"{len(filed_pairs)} pairs, each after a fit of the default: median {filed:.2f}x ("
              + ", ".join(f"{ref:.2f} / {frame:.2f} s" for ref, frame in filed_pairs) + ")")
    print("fit epoch / bare loop right after it, the default: " +
          ", ".join(f"{r:.2f}" for r in overheads) + f" (median {np.median(overheads):.2f})")
    gru_gain = results["frame, nn.GRU"][0] / results["frame"][0]
    print(f"nn.GRU over packed sequences / the training BiGRU (model/_gru.py): fit "
          f"{gru_gain:.2f}x")
    as_filed = results["segment, nn.GRU"][0] / results["frame"][0]
    print(f"convolution='segment' with nn.GRU (the per-segment path the speed issue was filed "
          f"on, bar its masking, now in place) / the default: fit {as_filed:.2f}x")

    counted = "whole epoch" if args.flop_batches <= 0 else \
        f"first {args.flop_batches} batches, scaled to the epoch by segments encoded"
    print(f"\nFLOPs per training epoch (matmul + convolution, forward + backward; {counted})")
    print(f"{'convolution':<13}{'GFLOP/epoch':>13}{'fit epoch s':>13}{'GFLOP/s':>10}"
          f"{'of peak':>9}")
    rates = {}
    for name in ("frame", "segment"):
        rate = flops[name] / 1e9 / results[name][0]
        rates[name] = rate
        print(f"{name:<13}{flops[name] / 1e9:>13.1f}{results[name][0]:>13.2f}{rate:>10.2f}"
              f"{rate / peak:>9.1%}")
    print(f"(peak: the dense matmul above, {peak:.1f} GFLOP/s; 'segment' computes "
          f"{flops['segment'] / flops['frame']:.2f}x the FLOPs of 'frame')")

    throughput, per_thread_speedup = {}, {}
    for n_threads in thread_counts:
        torch.set_num_threads(n_threads)
        if n_threads in fitted:
            clf, fit_time = fitted[n_threads]
            per_thread_speedup[n_threads] = speedup
        else:
            clf, fit_time = fit_epochs()
            per_thread_speedup[n_threads] = fit_epochs(convolution="segment")[1] / fit_time
        best = float("inf")
        for _ in range(args.epochs):
            t = time.perf_counter()
            clf.predict_proba(X)
            synchronize(device)
            best = min(best, time.perf_counter() - t)
        throughput[n_threads] = (fit_time, best)
    torch.set_num_threads(threads)
    print(f"\nthroughput (convolution='frame', {n_utt} utterances, {n_seg} segments; best of "
          f"{args.epochs})")
    print(f"{'threads':<9}{'phase':<15}{'seconds':>9}{'segments/s':>12}{'utterances/s':>14}")
    for n_threads, (train_time, predict_time) in throughput.items():
        for phase, seconds in (("train epoch", train_time), ("predict_proba", predict_time)):
            print(f"{n_threads:<9}{phase:<15}{seconds:>9.2f}{n_seg / seconds:>12.0f}"
                  f"{n_utt / seconds:>14.1f}")
    print(f"speed-up segment / frame fit epoch by threads (at {threads}, the median above; "
          "elsewhere one pair): " + ", ".join(
              f"{n} thread(s) {r:.2f}x" for n, r in per_thread_speedup.items()))

    clf = MAECClassifier(max_epochs=1, random_state=0, validation_fraction=None, device=device)
    clf.fit(X.iloc[:64], y[:64])
    dataset = clf.get_dataset(X, y)
    print(f"\n{'batching':<12}{'segments encoded':>18}{'one input at a time':>21}"
          f"{'saved':>8}{'attention padding':>19}")
    for mode in ("dialogue", "length"):
        sampler = BatchSampler(dataset, 32, shuffle=True, batching=mode, seed=0)
        stats = batch_statistics(dataset, list(sampler))
        print(f"{mode:<12}{stats['segments']:>18}{stats['needed']:>21}"
              f"{1 - stats['segments'] / stats['needed']:>8.0%}{stats['attention_padding']:>19.1%}")
    print("(padding never reaches the convolutions or the GRU's outputs: segments are "
          "concatenated, the GRU's steps past a bag's end are masked)")

    # (name, value, format, target as (comparison, bound) or None: reported)
    target = (">=", 3.0)
    summary = []
    if filed is not None:
        summary.append((f"speed-up: {reference.name} / default fit, {threads} thr", filed, ".2f",
                        target))
    summary += [
        (f"speed-up: segment / frame fit, {threads} thr, median", speedup, ".2f",
         None if filed is not None else target),
        (f"overhead: fit epoch / bare loop, median of {len(overheads)}",
         float(np.median(overheads)), ".2f",
         ("<=", 1.25)),
        ("adversarial / adversarial_weight=0",
         results["frame"][0] / results["frame, no adversarial"][0], ".2f", ("<=", 1.4)),
    ]
    for n_threads, ratio in per_thread_speedup.items():
        if n_threads != threads:
            summary.append((f"speed-up: segment / frame, {n_threads} thr", ratio, ".2f", None))
    summary.append(("nn.GRU / training BiGRU fit epoch", gru_gain, ".2f", None))
    summary.append(("speed-up: segment with nn.GRU / frame", as_filed, ".2f", None))
    for name in ("frame", "segment"):
        summary.append((f"GFLOP/s, {name} (of peak {peak:.0f})", rates[name], ".2f", None))
        summary.append((f"fraction of peak, {name}", rates[name] / peak, ".1%", None))
    for n_threads, (train_time, predict_time) in throughput.items():
        summary.append((f"train segments/s, {n_threads} thread(s)", n_seg / train_time, ".0f",
                        None))
        summary.append((f"predict segments/s, {n_threads} thread(s)", n_seg / predict_time,
                        ".0f", None))
    failed = False
    print(f"\nsummary ({device}, {n_utt} utterances)")
    print(f"{'measure':<44}{'value':>10}  target")
    for name, value, fmt, target in summary:
        if target is None:
            print(f"{name:<44}{value:>10{fmt}}  (reported)")
            continue
        op, bound = target
        ok = value >= bound if op == ">=" else value <= bound
        failed |= not ok
        print(f"{name:<44}{value:>10{fmt}}  {op} {bound}  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
