"""Per-epoch diagnostics of the adversarial game: where the regulariser goes wrong.

Fits MAEC on one corpus and seed of ``bench_latent.py`` (the same splits) with an
instrumented training step and prints, per epoch:

* the discriminator's accuracy on prior samples and on codes (after its step);
* the norms of the adversarial and of the classification gradients at the
  code before the latent normalisation and on the encoder's parameters, and
  the size of the Adam step each would make (``lr * g / (sqrt(v_hat) + eps)``
  with the optimizer's second-moment estimate of that step);
* ``MMD^2(Z, prior)`` (:func:`sklearn_maec.metrics.prior_mmd2`) of the
  training and held-out codes, normalised with the running statistics (what
  ``transform`` returns with ``latent_stats="running"``) and with the
  statistics of the current weights over the training utterances (what
  ``latent_stats="final"`` gives); how far the running means are off, in
  standard deviations per unit; the effective dimension of the codes (the
  participation ratio of their covariance's eigenvalues).

Options switch single suspects on or off (``--disc-steps``, ``--freeze-affine``,
``--r1``, ``--latent-linear``, ``--disc-block``; any classifier parameter with
``--param``), so each candidate cause can be ruled in or out by one fit.  Every
epoch's figures are appended to ``--out`` as one JSON line per fit.

Usage::

    python benchmarks/diagnose_regulariser.py --corpus demo --seed 0
        [--param disc_noise=0 --param latent_stats='"running"'] [--tag NAME]

The instrumentation costs one more backward pass per batch and two inference
passes per epoch: a fit takes about twice as long as a plain one.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


def spectrum(Z):
    """Effective dimension (participation ratio) of the codes' covariance, and the top-5 share."""
    import numpy as np

    values = np.clip(np.linalg.eigvalsh(np.cov(Z, rowvar=False))[::-1], 0, None)
    return float(values.sum() ** 2 / (values ** 2).sum()), float(values[:5].sum() / values.sum())


def build_classifier(options):
    """An instrumented MAECClassifier subclass (the imports wait for the thread setting)."""
    import numpy as np
    import torch
    from skorch.dataset import unpack_data
    from skorch.utils import to_tensor

    from sklearn_maec import MAECClassifier
    from sklearn_maec.metrics import prior_mmd2
    from sklearn_maec.model.nn import Discriminator

    class LinearThenNorm(torch.nn.Module):
        """A learned linear layer before the batch normalisation (``--latent-linear``)."""

        def __init__(self, dim):
            super().__init__()
            self.lin = torch.nn.Linear(dim, dim)
            self.norm = torch.nn.BatchNorm1d(dim)

        def forward(self, z):
            return self.norm(self.lin(z))

    def raw_codes(clf, Xt):
        """Codes before the latent normalisation's statistics (after ``--latent-linear``)."""
        clf.module_.eval()
        out = []
        with torch.no_grad():
            for x, _ in clf.get_iterator(clf.get_dataset(Xt), training=False):
                code = clf.module_.encode(**x.to(clf.device), normalise=False)
                if hasattr(clf.module_.latent_norm, "lin"):
                    code = clf.module_.latent_norm.lin(code)
                out.append(code.numpy())
        return np.concatenate(out)

    class Instrumented(MAECClassifier):
        def initialize_module(self):
            super().initialize_module()
            if options["latent_linear"]:
                torch.manual_seed(self.random_seed_ + 5)
                self.module_.latent_norm = LinearThenNorm(self.latent_dim)
            if options["disc_block"]:
                torch.manual_seed(self.random_seed_ + 6)
                self.discriminator_ = Discriminator(self.latent_dim // 2, self.disc_hidden)
            return self

        def _disc_view(self, v):
            if options["disc_block"]:  # the discriminator sees the HF_cur half of Z only
                v = v[:, v.shape[1] // 2:]
            return super()._disc_view(v)

        def train_step(self, batch, **fit_params):
            self._set_training(True)
            x, y = unpack_data(batch)
            x, y = x.to(self.device), to_tensor(y, device=self.device)
            out = self._losses(x, y)
            z, code = out["z"], out["code"]
            if options["freeze_affine"]:
                for p in self.module_.latent_norm.parameters():
                    p.requires_grad_(False)
            rec, w = {}, self.adversarial_weight
            if w > 0:
                for _ in range(options["disc_steps"]):
                    disc_loss, *disc_acc = self._disc_terms(z, y[:, 0])
                    if options["r1"]:  # R1 gradient penalty on the prior samples
                        real = self._disc_view(self.prior_.sample(len(z), device=z.device))
                        real.requires_grad_(True)
                        (g,) = torch.autograd.grad(self.discriminator_(real).sum(), real,
                                                   create_graph=True)
                        disc_loss = disc_loss + 0.5 * options["r1"] * (g ** 2).sum(1).mean()
                    self.optimizer_disc_.zero_grad()
                    disc_loss.backward()
                    self.optimizer_disc_.step()
                with torch.no_grad():
                    _, _, acc_real, acc_fake = self._disc_terms(z, y[:, 0])
                rec.update(acc=float(disc_acc[0]), acc_real=float(acc_real),
                           acc_fake=float(acc_fake))
                adv_loss = self._adversarial_term(z, y[:, 0])
            else:
                disc_loss = adv_loss = z.new_zeros(())
                disc_acc = (z.new_zeros(()),) * 3
            cls_loss = out["emotion_loss"] + self.gender_weight * out["gender_loss"]
            loss = cls_loss + w * adv_loss
            enc = [p for n, p in self.module_.named_parameters() if n.startswith("encoders")]
            if w > 0:
                ga_code, = torch.autograd.grad(w * adv_loss, [code], retain_graph=True)
                gc_code, = torch.autograd.grad(cls_loss, [code], retain_graph=True)
                ga = torch.autograd.grad(w * adv_loss, enc, retain_graph=True,
                                         allow_unused=True)
                ga = [torch.zeros_like(p) if g is None else g for g, p in zip(ga, enc, strict=True)]
                rec.update(adv_code=float(ga_code.norm()), cls_code=float(gc_code.norm()))
            self.optimizer_.zero_grad()
            loss.backward()
            if w > 0:
                gc = [(p.grad if p.grad is not None else torch.zeros_like(p)) - a
                      for p, a in zip(enc, ga, strict=True)]
                rec["adv_enc"] = float(sum(float((g ** 2).sum()) for g in ga) ** 0.5)
                rec["cls_enc"] = float(sum(float((g ** 2).sum()) for g in gc) ** 0.5)
            self._clip(self.module_)
            self.optimizer_.step()
            if w > 0:
                _, beta2 = self.optimizer_.param_groups[0]["betas"]
                step_adv = step_cls = 0.0
                for p, a, c in zip(enc, ga, gc, strict=True):
                    state = self.optimizer_.state[p]
                    denom = (state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))).sqrt()
                    denom = denom + 1e-8
                    step_adv += float(((a / denom) ** 2).sum())
                    step_cls += float(((c / denom) ** 2).sum())
                rec.update(adam_adv=self.lr * step_adv ** 0.5, adam_cls=self.lr * step_cls ** 0.5)
            options["batches"].append(rec)
            self._record("train", out, adv_loss, disc_loss, disc_acc)
            return {"loss": loss.detach(), "y_pred": out["y_pred"].detach(),
                    "code": out["code"].detach()}

        def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
            super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid,
                                 **kwargs)
            row = {"epoch": len(self.history_)}
            batches, options["batches"] = options["batches"], []
            for key in dict.fromkeys(k for b in batches for k in b):
                row[key] = float(np.mean([b[key] for b in batches if key in b]))
            raw = {part: raw_codes(self, options[part]) for part in ("train", "test")}
            bn = self.module_.latent_norm.norm
            gamma, beta = bn.weight.detach().numpy(), bn.bias.detach().numpy()
            running = (bn.running_mean.numpy(), bn.running_var.numpy())
            final = (raw["train"].mean(0), raw["train"].var(0, ddof=1))
            row["running_mean_offset"] = float(
                (np.abs(running[0] - final[0]) / np.sqrt(final[1] + bn.eps)).mean())
            for part in ("train", "test"):
                for kind, (mean, var) in (("running", running), ("final", final)):
                    Z = (raw[part] - mean) / np.sqrt(var + bn.eps) * gamma + beta
                    row[f"mmd2_{part}_{kind}"] = prior_mmd2(Z, self.prior_, random_state=1)
                    row[f"eff_dim_{part}_{kind}"] = spectrum(Z)[0]
            options["epochs"].append(row)
            self.module_.train()

    return Instrumented


COLUMNS = [("acc_real", "D real"), ("acc_fake", "D fake"), ("adv_code", "adv@code"),
           ("cls_code", "cls@code"), ("adv_enc", "adv@enc"), ("cls_enc", "cls@enc"),
           ("adam_adv", "Adam adv"), ("adam_cls", "Adam cls"),
           ("mmd2_train_running", "train run"), ("mmd2_train_final", "train fin"),
           ("mmd2_test_running", "test run"), ("mmd2_test_final", "test fin"),
           ("running_mean_offset", "mean off"), ("eff_dim_train_final", "eff dim")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="demo", choices=["demo", "emodb", "emovo"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a classifier parameter (JSON value)")
    parser.add_argument("--disc-steps", type=int, default=1,
                        help="discriminator steps per batch (default: 1, the paper's)")
    parser.add_argument("--freeze-affine", action="store_true",
                        help="keep the latent normalisation's scale and shift at 1 and 0")
    parser.add_argument("--r1", type=float, default=0.0,
                        help="weight of an R1 gradient penalty on the discriminator")
    parser.add_argument("--latent-linear", action="store_true",
                        help="a learned linear layer before the latent normalisation")
    parser.add_argument("--disc-block", action="store_true",
                        help="the discriminator sees the HF_cur half of Z only")
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data"))
    parser.add_argument("--cache", default=None)
    parser.add_argument("--tag", default="")
    parser.add_argument("--out", default=None, help="append the per-epoch figures (JSON line)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from sklearn.metrics import balanced_accuracy_score

    sys.path.insert(0, HERE)
    from bench_latent import corpus_split

    from sklearn_maec.pipeline import make_maec_pipeline

    warnings.simplefilter("ignore")
    torch.set_num_threads(args.threads)
    params = {}
    for item in args.param:
        key, _, value = item.partition("=")
        params[key] = json.loads(value)
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs
    elif args.corpus == "demo":
        params.setdefault("max_epochs", 20)
    options = {"disc_steps": args.disc_steps, "freeze_affine": args.freeze_affine,
               "r1": args.r1, "latent_linear": args.latent_linear,
               "disc_block": args.disc_block, "batches": [], "epochs": []}
    t = time.perf_counter()
    X_train, y_train, X_test, y_test = corpus_split(args.corpus, args.seed, args.data)
    with tempfile.TemporaryDirectory(prefix="diagnose_") as tmp:
        pipe = make_maec_pipeline(memory=args.cache or tmp, random_state=args.seed, **params)
        clf = build_classifier(options)(**pipe[-1].get_params())
        options["train"] = pipe[:-1].fit_transform(X_train)
        options["test"] = pipe[:-1].transform(X_test)
        clf.fit(options["train"], y_train)
    ua = balanced_accuracy_score(y_test, clf.predict(options["test"]))
    print(f"{args.corpus} seed {args.seed} {args.tag} {params}: test UA {ua:.3f} "
          f"({time.perf_counter() - t:.0f} s)")
    print("epoch " + " ".join(f"{name:>9}" for _, name in COLUMNS))
    for row in options["epochs"]:
        print(f"{row['epoch']:>5} " + " ".join(f"{row.get(k, np.nan):9.3g}" for k, _ in COLUMNS))
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps({"corpus": args.corpus, "seed": args.seed, "tag": args.tag,
                                "params": params, "options": {k: options[k] for k in (
                                    "disc_steps", "freeze_affine", "r1", "latent_linear",
                                    "disc_block")},
                                "ua": ua, "epochs": options["epochs"]}) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
