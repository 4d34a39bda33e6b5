"""
===========================================
Quick start: MAEC against a simple baseline
===========================================

The README's quick start in code.  We generate a small corpus of emotional
dialogues (:func:`~sklearn_maec.datasets.make_dialogue_corpus`: five sessions
with two speakers each, like IEMOCAP), train on four sessions and test on the
fifth, whose speakers the models have never heard.

Two pipelines share one feature cache, so openSMILE runs once per file:

* MAEC: :class:`~sklearn_maec.OpenSmileSegmenter` cuts each utterance into a
  bag of 0.5 s segments of openSMILE descriptors,
  :class:`~sklearn_maec.ContextTripleBuilder` finds each turn's context (the
  speaker's previous turn and the interlocutor's turn), and
  :class:`~sklearn_maec.MAECClassifier` learns from both;
* the baseline: per-utterance statistics of the same descriptors
  (:class:`~sklearn_maec.features.FrameFunctionals`) and a logistic
  regression.

We report UA (unweighted accuracy, the mean recall per class), WA (accuracy)
and macro-F1, draw MAEC's confusion matrix and every loss of its training, and
save the fitted pipeline in the pickle-free format.
"""

# %%
# Data: train on sessions 1-4, test on session 5
# ----------------------------------------------
# sphinx_gallery_parallel = False
import os
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
)

from sklearn_maec import AudioWarning
from sklearn_maec.datasets import make_dialogue_corpus
from sklearn_maec.display import TrainingCurvesDisplay
from sklearn_maec.metrics import paired_bootstrap_difference
from sklearn_maec.persistence import load_model, save_model
from sklearn_maec.pipeline import make_baseline_pipeline, make_maec_pipeline

warnings.simplefilter("ignore", AudioWarning)  # a few turns shorter than one 0.5 s window

X, y = make_dialogue_corpus(n_dialogues=60, n_sessions=5, random_state=0)
test = (X["session"] == X["session"].iloc[-1]).to_numpy()
X_train, y_train = X[~test].reset_index(drop=True), y[~test]
X_test, y_test = X[test].reset_index(drop=True), y[test]
print(f"{len(X)} utterances in {X['dialogue'].nunique()} dialogues; training on "
      f"{len(X_train)} (4 sessions), testing on {len(X_test)} (session 5, unseen speakers)")
labels, counts = np.unique(y_train, return_counts=True)
print("training labels:", dict(zip(labels.tolist(), counts.tolist(), strict=True)))

# %%
# The two pipelines
# -----------------
# :func:`~sklearn_maec.pipeline.make_maec_pipeline` and
# :func:`~sklearn_maec.pipeline.make_baseline_pipeline` build the pipelines that
# ``python -m sklearn_maec demo`` trains.  The MAEC one is
# ``Pipeline([("segment", OpenSmileSegmenter(...)), ("context",
# ContextTripleBuilder()), ("maec", MAECClassifier(...))])``: keyword arguments
# go to the classifier, ``segmenter_params`` to the segmenter.  Both segmenters cache their
# frames in the same directory: the baseline reads what MAEC's segmenter
# extracted.
#
# Both run at the library's defaults; only MAEC's number of epochs is cut from
# 50 to 20 to keep the example fast.  The defaults weigh the imbalanced
# emotion classes (``class_weight="balanced"``) and hold a validation part of
# the training dialogues out for early stopping only when it would hold at
# least 200 utterances: with the 490 training utterances here, MAEC trains
# every epoch on all of them (its ``validation_size_`` is 0).  MAEC needs a few
# hundred training utterances: on half of them (30 dialogues) the baseline
# is level or ahead (``benchmarks/RESULTS.md`` compares them over seeds).
# ``python -m sklearn_maec demo`` runs the same two pipelines at the full
# defaults (50 epochs) on a corpus twice this size, and tests them on six
# sessions instead of one: see the end of the next section for why.
cache = tempfile.TemporaryDirectory(prefix="maec_quickstart_")
maec = make_maec_pipeline(memory=cache.name, max_epochs=20, random_state=0)
baseline = make_baseline_pipeline(memory=cache.name)
print("MAEC pipeline steps:", [name for name, _ in maec.steps])

results = {}
for name, pipe in [("MAEC", maec), ("functionals + logistic regression", baseline)]:
    pipe.fit(X_train, y_train)
    y_pred = pipe.predict(X_test)
    results[name] = {"UA": balanced_accuracy_score(y_test, y_pred),
                     "WA": accuracy_score(y_test, y_pred),
                     "macro-F1": f1_score(y_test, y_pred, average="macro")}
majority = np.full(len(y_test), labels[counts.argmax()])
results["majority class"] = {"UA": balanced_accuracy_score(y_test, majority),
                             "WA": accuracy_score(y_test, majority),
                             "macro-F1": f1_score(y_test, majority, average="macro")}

print(f"\n{'model':<36}{'UA':>7}{'WA':>7}{'macro-F1':>10}")
for name, scores in results.items():
    print(f"{name:<36}{scores['UA']:>7.3f}{scores['WA']:>7.3f}{scores['macro-F1']:>10.3f}")

# %%
# Is the difference real?
# -----------------------
# One test session is about 120 utterances in 12 dialogues.
# :func:`~sklearn_maec.metrics.paired_bootstrap_difference` draws the test
# dialogues again, whole (the turns of a dialogue are not independent), and
# scores both models on each draw: the spread of the difference says how much
# of it the test set alone could produce.  On one session the 95 % interval
# is 0.2 to 0.3 UA wide (five seeds of this split, ``benchmarks/RESULTS.md``),
# wider than the gap between these two models, so this split cannot name a
# winner; another thread count, which rounds sums in another order, moves
# MAEC's UA by a few points.  The demo's six test sessions make it about 0.09.
comparison = paired_bootstrap_difference(
    y_test, maec.predict(X_test), baseline.predict(X_test), groups=X_test["dialogue"],
    metric="UA", random_state=0)
print(f"MAEC - baseline: {comparison['difference']:+.3f} UA, 95 % interval "
      f"{comparison['low']:+.3f} to {comparison['high']:+.3f} "
      f"({comparison['n_groups']} test dialogues)")

# %%
# Where MAEC goes wrong
# ---------------------
# Rows are the true emotions of the test session, columns the predictions,
# normalised per row (the diagonal is each class's recall; UA is its mean).
fig, ax = plt.subplots(figsize=(5.2, 4.4), layout="constrained")
ConfusionMatrixDisplay.from_estimator(maec, X_test, y_test, normalize="true",
                                      values_format=".2f", cmap="Blues", ax=ax)
ax.set_title(f"MAEC on session 5 (UA {results['MAEC']['UA']:.2f})")

# %%
# Every loss of the training
# --------------------------
# Per epoch, on the training dialogues (solid; a fit with a validation part
# adds its curves, dashed, and marks the epoch early stopping keeps): the
# emotion and gender cross-entropies of the two heads, the encoder's
# adversarial loss (the term that pulls the latent codes towards the Gaussian
# prior), the discriminator's loss, and its accuracy at telling codes from
# prior samples, where 0.5 would mean the codes look like the prior.  The
# codes are batch-normalised (``latent_norm="batch"``), so they start on the
# prior's scale and the discriminator near chance; it tells them apart better
# as the emotion head shapes the codes (see
# :ref:`sphx_glr_auto_examples_plot_latent_space.py`).  The scores panel is
# empty: no validation part was held out.
print("utterances held out for validation:", maec[-1].validation_size_)
curves = TrainingCurvesDisplay.from_estimator(maec)
curves.figure_.suptitle("MAEC training history")

# %%
# Save the fitted pipeline, without pickle
# ----------------------------------------
# :func:`~sklearn_maec.persistence.save_model` writes JSON metadata and tensors
# only, so loading a model from someone else cannot run code (``joblib`` files
# can).  The feature cache is a temporary directory here: drop it from the
# saved segmenter.  Use a path of your own instead of the temporary one.
maec.set_params(segment__memory=None)
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "maec_quickstart.maec")
    save_model(maec, path)
    reloaded = load_model(path)
    print(f"\nsaved to {os.path.basename(path)} ({os.path.getsize(path) / 1e3:.0f} kB); the "
          "reloaded pipeline predicts the same:",
          bool((reloaded.predict(X_test) == maec.predict(X_test)).all()))
cache.cleanup()
plt.show()
