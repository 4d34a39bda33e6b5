"""Training benchmark: MAECClassifier against a bare torch loop, in one run.

On a generated corpus (default 2,000 utterances, features extracted once and
cached), measures:

1. overhead: one epoch of ``MAECClassifier.fit`` against a hand-written torch
   loop doing the same forward/backward passes and optimizer steps on the same
   batches, collated beforehand (target ratio <= 1.25: batching, collation,
   skorch bookkeeping must stay cheap);
2. the adversarial phase: an epoch with the discriminator against one with
   ``adversarial_weight=0`` (the discriminator skipped) (target <= 1.4);
3. batching: segments encoded per epoch with dialogue-run batches against
   encoding every sample's three inputs separately, and the padding the
   attention sees, for both ``batching`` modes.

Usage::

    python benchmarks/bench_training.py [--n-utterances 2000] [--epochs 2] [--threads N]

Every figure is printed; exit code 1 when a target is missed.
"""

import argparse
import os
import sys
import time
import warnings


def corpus(n_utterances, cache):
    """Segmented triple table of about ``n_utterances`` generated utterances."""
    from sklearn_maec import ContextTripleBuilder, OpenSmileSegmenter
    from sklearn_maec.datasets import make_dialogue_corpus

    X, y = make_dialogue_corpus(n_dialogues=max(2, n_utterances // 10), turns_per_dialogue=10,
                                random_state=0)
    X, y = X.iloc[:n_utterances].reset_index(drop=True), y[:n_utterances]
    Xt = OpenSmileSegmenter(n_jobs=-1, memory=cache).fit_transform(X)
    return ContextTripleBuilder().fit_transform(Xt), y


def bare_epoch(clf, batches):
    """The same computation as ``MAECClassifier.train_step``, written out in plain torch."""
    import torch
    import torch.nn.functional as F

    net, disc = clf.module_, clf.discriminator_
    opt, opt_d = clf.optimizer_, clf.optimizer_disc_
    net.train()
    disc.train()
    for x, y in batches:
        z = net.encode(**x.to("cpu"))
        emotion_logits, gender_logits = net.heads(z)
        if clf.adversarial_weight > 0:
            real = disc(clf.prior_.sample(len(z)))
            fake = disc(z.detach())
            loss_d = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + \
                F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            adv = -F.softplus(disc(z)).mean()
        else:
            adv = z.new_zeros(())
        loss = F.cross_entropy(emotion_logits, y[:, 0]) + \
            F.cross_entropy(gender_logits, y[:, 1], ignore_index=-1) + clf.adversarial_weight * adv
        opt.zero_grad()
        loss.backward()
        opt.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-utterances", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed (best is kept)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: cores)")
    parser.add_argument("--cache", default=os.path.join(os.path.dirname(__file__), "_cache"))
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from _batch_stats import batch_statistics

    from sklearn_maec import MAECClassifier
    from sklearn_maec.model._data import BatchSampler

    warnings.simplefilter("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    t = time.perf_counter()
    X, y = corpus(args.n_utterances, args.cache)
    segs = np.array([s.shape[0] for s in X["segments"]])
    print(f"{len(X)} utterances, {segs.sum()} segments (median {np.median(segs):.0f} per bag), "
          f"prepared in {time.perf_counter() - t:.0f} s; torch threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} cores")

    def fit_epochs(**params):
        clf = MAECClassifier(max_epochs=args.epochs, random_state=0, validation_fraction=None,
                             **params).fit(X, y)
        return clf, min(clf.history[:, "dur"])

    results = {}
    for name, params in [("full", {}), ("no adversarial", {"adversarial_weight": 0.0})]:
        clf, fit_time = fit_epochs(**params)
        dataset = clf.get_dataset(X, y)
        batches = list(clf.get_iterator(dataset, training=True))  # collated outside the timing
        bare = []
        for _ in range(args.epochs):
            t = time.perf_counter()
            bare_epoch(clf, batches)
            bare.append(time.perf_counter() - t)
        results[name] = (fit_time, min(bare))

    print(f"\n{'epoch':<40}{'seconds':>10}")
    for name, (fit_time, bare_time) in results.items():
        print(f"{'MAECClassifier.fit, ' + name:<40}{fit_time:>10.2f}")
        print(f"{'bare torch loop, ' + name:<40}{bare_time:>10.2f}")

    clf = MAECClassifier(max_epochs=1, random_state=0, validation_fraction=None)
    clf.fit(X.iloc[:64], y[:64])
    dataset = clf.get_dataset(X, y)
    print(f"\n{'batching':<12}{'segments encoded':>18}{'one input at a time':>21}"
          f"{'saved':>8}{'attention padding':>19}")
    for mode in ("dialogue", "length"):
        sampler = BatchSampler(dataset, 32, shuffle=True, batching=mode, seed=0)
        stats = batch_statistics(dataset, list(sampler))
        print(f"{mode:<12}{stats['segments']:>18}{stats['needed']:>21}"
              f"{1 - stats['segments'] / stats['needed']:>8.0%}{stats['attention_padding']:>19.1%}")
    print("(padding never reaches the convolutions or the GRU: segments are concatenated and "
          "the GRU is packed)")

    checks = [
        ("overhead: fit epoch / bare loop", results["full"][0] / results["full"][1], 1.25),
        ("adversarial / adversarial_weight=0", results["full"][0] / results["no adversarial"][0],
         1.4),
    ]
    failed = False
    print(f"\n{'ratio':<42}{'value':>8}  target")
    for name, value, target in checks:
        ok = value <= target
        failed |= not ok
        print(f"{name:<42}{value:>8.2f}  <= {target}  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
