"""Does the adversarial regulariser shape the latent code?  Distances from ``Z`` to the prior.

On the README demo's generated corpus (the generator's defaults: 60 dialogues in
5 sessions; sessions 1-4 train, session 5 tests), fits MAEC at the library's
defaults with and without the regulariser (``adversarial_weight=0``), and the
paper's raw latent code (``latent_norm=None``) with it, and prints for each:

* the discriminator's training accuracy per epoch (``train_disc_acc``: 0.5 is
  a discriminator that cannot tell codes from prior samples; 1.0 one that
  always can, so no adversarial signal reaches the encoder);
* for the codes ``Z = transform(X)`` of the training and the test utterances:
  an unbiased estimate of the squared maximum mean discrepancy (MMD^2, RBF
  kernel with the median-distance bandwidth) between ``Z`` and as many prior
  samples, and the per-coordinate gaps ``|mean(Z) - mu|`` and
  ``|std(Z) - sigma|`` averaged over the coordinates;
* the test UA.

Usage::

    python benchmarks/bench_latent.py [--seeds 1] [--max-epochs 20] [--threads N]

Every figure is reported (no target): the model issue asks that the
regulariser's effect on ``Z`` be measured, with and without it.
"""

import argparse
import os
import sys
import tempfile
import time
import warnings

ROWS = {
    "MAEC (defaults)": {},
    "no regulariser": {"adversarial_weight": 0.0},
    "paper's raw Z (latent_norm=None)": {"latent_norm": None},
}


def mmd2(a, b, rng):
    """Unbiased MMD^2 between the rows of ``a`` and ``b`` (RBF kernel, median bandwidth)."""
    import numpy as np

    n = min(len(a), len(b), 1000)
    a = a[rng.choice(len(a), n, replace=False)]
    b = b[rng.choice(len(b), n, replace=False)]
    both = np.concatenate([a, b])
    d2 = ((both[:, None, :] - both[None, :, :]) ** 2).sum(-1)
    k = np.exp(-d2 / np.median(d2[d2 > 0]))
    kaa, kbb, kab = k[:n, :n], k[n:, n:], k[:n, n:]
    off = ~np.eye(n, dtype=bool)
    return float(kaa[off].mean() + kbb[off].mean() - 2 * kab.mean())


def describe(clf, Z, rng):
    """MMD^2 and the mean/std gaps between codes ``Z`` and the classifier's prior."""
    import torch

    generator = torch.Generator().manual_seed(0)
    prior = clf.prior_.sample(len(Z), generator=generator).numpy()  # the default Gaussian prior
    mu, sigma = clf.prior_mu, clf.prior_sigma
    return {"mmd2": mmd2(Z, prior, rng),
            "mean_gap": float(abs(Z.mean(axis=0) - mu).mean()),
            "std_gap": float(abs(Z.std(axis=0) - sigma).mean()),
            "std": float(Z.std(axis=0).mean())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=20,
                        help="as the README demo (default: 20)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from sklearn.metrics import balanced_accuracy_score

    from sklearn_maec.datasets import make_dialogue_corpus
    from sklearn_maec.pipeline import make_maec_pipeline

    warnings.simplefilter("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench_latent_") as cache:
        for seed in range(args.seeds):
            X, y = make_dialogue_corpus(n_dialogues=60, n_sessions=5, random_state=seed)
            test = (X["session"] == X["session"].iloc[-1]).to_numpy()
            X_train, y_train = X[~test].reset_index(drop=True), y[~test]
            X_test, y_test = X[test].reset_index(drop=True), y[test]
            for name, params in ROWS.items():
                t = time.perf_counter()
                pipe = make_maec_pipeline(memory=cache, random_state=seed,
                                          max_epochs=args.max_epochs, **params)
                pipe.fit(X_train, y_train)
                clf = pipe[-1]
                ua = balanced_accuracy_score(y_test, pipe.predict(X_test))
                rng = np.random.default_rng(seed)
                train = describe(clf, pipe.transform(X_train), rng)
                test_codes = describe(clf, pipe.transform(X_test), rng)
                acc = clf.history_[:, "train_disc_acc"]
                print(f"seed {seed} {name:<34} test UA {ua:.3f}  ({time.perf_counter() - t:.0f} s,"
                      f" {len(acc)} epochs)")
                print(f"    train_disc_acc per epoch: {' '.join(f'{a:.2f}' for a in acc)}")
                for part, d in (("train", train), ("test", test_codes)):
                    print(f"    Z({part}) vs prior: MMD^2 {d['mmd2']:.4f}  mean gap "
                          f"{d['mean_gap']:.3f}  std gap {d['std_gap']:.3f}  (std of Z "
                          f"{d['std']:.3f}, prior sigma {clf.prior_sigma})", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
