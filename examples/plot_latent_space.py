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
projected to two dimensions with PCA, and with the prior's 1- and 2-sigma
contours drawn in the same projection.
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
# openSMILE runs once per utterance.  A smaller network than the default,
# segments every 0.25 s (instead of 0.1 s), a high learning rate and 15 epochs
# keep this example fast; with so few validation dialogues early stopping
# would be noise, so it is off.
cache = tempfile.TemporaryDirectory(prefix="maec_latent_")
settings = dict(segmenter_params={"stride": 0.25}, latent_dim=32, conv_channels=32, lr=1e-2,
                patience=None, max_epochs=15, class_weight="balanced", random_state=0)
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
# emotion; the black circles are the prior's 1- and 2-sigma contours and the
# cross its mean, projected with the same PCA as the codes.  With the
# regulariser the codes are drawn towards the prior's mean and several sit
# inside its 1-sigma circle; without it, nothing holds them and the emotion
# clusters drift out to the 2-sigma circle and beyond.
fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
for ax, (name, pipe) in zip(axes, models.items(), strict=True):
    LatentSpaceDisplay.from_estimator(pipe, X_test, y_test, ax=ax)
    ax.set_title(name)
fig.suptitle("Latent codes of unseen speakers (PCA) and the Gaussian prior N(0, I)")

# %%
# How close are the codes to the prior?
# -------------------------------------
# A 2-D projection hides most of the 32 dimensions, so we also compare every
# coordinate of the codes with the prior's density, and follow the
# discriminator during training: it is trained to tell prior samples from
# codes, so its accuracy would drop to chance (0.5) if the codes became
# indistinguishable from the prior.
#
# The histogram shows what the regulariser can and cannot do.  Every
# coordinate of MAEC's code is bounded: the second half of ``Z`` is ``HF``, a
# product of poolings of BiGRU outputs (each in (-1, 1)), here mostly between
# 0 and 1, and the first half is ``HF`` scaled by a softmax over its units, so
# it stays close to zero.  The prior ``N(0, I)`` puts a third of its mass
# outside (-1, 1), so the discriminator keeps winning (its accuracy stays near
# 1); what the regulariser does achieve is to keep the codes closer to the
# prior's mean (a smaller mean norm ``|z|``).  ``prior_sigma`` and
# ``prior_mu`` set the prior, and are hyper-parameters to tune.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
grid = np.linspace(-2.5, 2.5, 301)
for k, (name, Z) in enumerate(codes.items()):
    half = Z.shape[1] // 2
    axes[0].hist(Z[:, half:].ravel(), bins=50, range=(-2.5, 2.5), density=True, alpha=0.55,
                 color=f"C{k}", label=f"{name}: |z| = {np.linalg.norm(Z, axis=1).mean():.2f}")
axes[0].plot(grid, np.exp(-grid**2 / 2) / np.sqrt(2 * np.pi), color="black",
             label=f"prior N(0, 1): |z| = {np.sqrt(Z.shape[1]):.2f}")
axes[0].set_xlabel("coordinate of Z (second half, HF)")
axes[0].set_ylabel("density")
axes[0].set_title("codes against the prior")
axes[0].set_ylim(0, axes[0].get_ylim()[1] * 1.4)  # room for the legend
axes[0].legend(fontsize="x-small", loc="upper left")
TrainingCurvesDisplay.from_estimator(models["with the regulariser"], ax=axes[1:],
                                     panels=["disc_acc", "emotion_loss"])
axes[1].set_title("discriminator (with the regulariser)")
axes[2].set_title("emotion loss (with the regulariser)")
cache.cleanup()
plt.show()
