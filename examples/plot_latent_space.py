"""
=================================================
The latent space with and without the regulariser
=================================================

MAEC is an adversarial auto-encoder-style classifier: a discriminator tries to
tell the encoder's latent codes ``Z`` from samples of a Gaussian prior
``N(prior_mu, prior_sigma^2 I)``, and the encoder is trained to fool it, on top
of classifying emotion and gender.  The regulariser keeps the codes in a known,
compact region, which is meant to help the classifier generalise to unseen
speakers.

Here we train the same pipeline twice on a generated corpus, once with the
regulariser (``adversarial_weight=1``, the default) and once without it
(``adversarial_weight=0``), and draw the latent codes of the held-out speakers
with :class:`~sklearn_maec.display.LatentSpaceDisplay`: coloured by emotion,
projected to two dimensions with PCA, with the prior's 1- and 2-sigma
contours and samples of the prior drawn in the same projection.  How close the
codes are to the prior is measured by
:func:`~sklearn_maec.metrics.prior_mmd2`.
"""

# %%
# Data: a small corpus, one session held out
# ------------------------------------------
# :func:`~sklearn_maec.datasets.make_dialogue_corpus` generates dialogues of
# two speakers per session; the last session's speakers are never trained on.
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import balanced_accuracy_score

from sklearn_maec import AudioWarning
from sklearn_maec.datasets import make_dialogue_corpus
from sklearn_maec.display import LatentSpaceDisplay, TrainingCurvesDisplay
from sklearn_maec.metrics import prior_mmd2
from sklearn_maec.pipeline import make_maec_pipeline

warnings.simplefilter("ignore", AudioWarning)  # a few turns shorter than one segment

X, y = make_dialogue_corpus(n_dialogues=30, n_sessions=5, random_state=0)
test = (X["session"] == X["session"].iloc[-1]).to_numpy()
X_train, y_train = X[~test].reset_index(drop=True), y[~test]
X_test, y_test = X[test].reset_index(drop=True), y[test]
print(f"training on {len(X_train)} utterances, plotting the codes of {len(X_test)} "
      "utterances of unseen speakers")

# %%
# Two pipelines that differ only in ``adversarial_weight``
# --------------------------------------------------------
# :func:`~sklearn_maec.pipeline.make_maec_pipeline` builds the pipeline the command line
# trains (:class:`~sklearn_maec.OpenSmileSegmenter`,
# :class:`~sklearn_maec.ContextTripleBuilder`,
# :class:`~sklearn_maec.MAECClassifier`); both share one feature cache, so
# openSMILE runs once per utterance.  Both run at the library's defaults
# except the number of epochs, cut from 50 to 20 to keep the example fast.
cache = tempfile.TemporaryDirectory(prefix="maec_latent_")
settings = dict(max_epochs=20, random_state=0)
models, codes = {}, {}
for name, weight in [("with the regulariser", 1.0), ("without (adversarial_weight=0)", 0.0)]:
    pipe = make_maec_pipeline(memory=cache.name, adversarial_weight=weight, **settings)
    models[name] = pipe.fit(X_train, y_train)
    codes[name] = pipe.transform(X_test)  # the latent codes Z, one row per utterance
    ua = balanced_accuracy_score(y_test, pipe.predict(X_test))
    print(f"{name}: UA on the held-out session {ua:.2f}")

# %%
# The codes of the held-out speakers
# ----------------------------------
# Each point is one utterance of the held-out session, coloured by its true
# emotion; the grey points are as many samples of the prior, the black circles
# its 1- and 2-sigma contours and the cross its mean, projected with the same
# PCA as the codes.  The emotions form clusters in both models, and in both
# the codes spread beyond the prior's circles along the first components:
# each coordinate of ``Z`` is batch-normalised (``latent_norm="batch"``), but
# the coordinates are correlated, so a few directions carry most of the
# variance (see the axis labels), where ``N(0, I)`` spreads the same unit
# variance in every direction.  The title gives MMD^2 between the codes and
# the prior, measured in all 64 dimensions.
fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
for ax, (name, pipe) in zip(axes, models.items(), strict=True):
    LatentSpaceDisplay.from_estimator(pipe, X_test, y_test, ax=ax)
    ax.set_title(name)
fig.suptitle("Latent codes of unseen speakers (PCA) and the Gaussian prior N(0, I)")

# %%
# How close are the codes to the prior?
# -------------------------------------
# A 2-D projection hides most of the 64 dimensions (``latent_dim``).
# :func:`~sklearn_maec.metrics.prior_mmd2` compares the codes with as many
# prior samples in all of them (about 0 for codes distributed as the prior),
# and the effective dimension of the codes (the participation ratio of their
# covariance's eigenvalues) says how many directions they fill: 64 for the
# prior.  On the training utterances, the codes the game was played on, the
# regulariser brings them closer to the prior and spreads them over more
# directions; the held-out speakers' codes also shift away from the training
# ones, which the regulariser cannot see (``benchmarks/RESULTS.md``, "The
# adversarial regulariser, diagnosed and fixed", measures both over seeds and
# corpora).
#
# The discriminator's accuracy, on prior samples and on codes, shows the game:
# it sees both through the same Gaussian noise (``disc_noise=1.5``), so it
# cannot separate them perfectly and keeps guiding the encoder; with
# ``disc_noise=0`` (the paper's form) it wins, its accuracy climbing towards
# 1, and its gradient stops telling the encoder anything useful.


def effective_dimension(Z):
    values = np.clip(np.linalg.eigvalsh(np.cov(Z, rowvar=False)), 0, None)
    return values.sum() ** 2 / (values ** 2).sum()


for name, pipe in models.items():
    train_codes = pipe.transform(X_train)
    print(f"{name}: MMD^2 to the prior, training codes {prior_mmd2(train_codes, pipe[-1]):.3f}, "
          f"held-out codes {prior_mmd2(codes[name], pipe[-1]):.3f}; effective dimension "
          f"{effective_dimension(train_codes):.1f} (training) of {train_codes.shape[1]}")
history = models["with the regulariser"][-1].history_
print(f"discriminator accuracy in the last epoch: {history[-1, 'train_disc_acc']:.2f} "
      f"(prior samples {history[-1, 'train_disc_acc_real']:.2f}, codes "
      f"{history[-1, 'train_disc_acc_fake']:.2f})")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
TrainingCurvesDisplay.from_estimator(models["with the regulariser"], ax=axes,
                                     panels=["disc_acc", "emotion_loss"])
axes[0].set_title("discriminator (with the regulariser)")
axes[1].set_title("emotion loss (with the regulariser)")
cache.cleanup()
plt.show()
