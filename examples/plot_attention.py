"""
=========================================
Where in an utterance MAEC pays attention
=========================================

MAEC treats an utterance as a *bag* of short overlapping segments
(multi-instance learning): :class:`~sklearn_maec.OpenSmileSegmenter` cuts the
openSMILE descriptors into 0.5 s windows every 0.1 s, the classifier encodes
each segment, and an attention layer decides how much each segment counts in
the utterance's code.  The weights say which moments the model found salient
for the emotion.

:class:`~sklearn_maec.display.SegmentAttentionDisplay` draws them under the
utterance's waveform or spectrogram: one bar per segment, at the segment's
place in time, with the most attended segment outlined on the signal.

A generated corpus knows where its emotion is:
:func:`~sklearn_maec.datasets.make_dialogue_corpus` concentrates most of an
utterance's emotion in a few *salient spans* (``salience=0.8`` by default) and
returns them as the ``salient_spans`` column.
:func:`~sklearn_maec.metrics.attention_span_scores` scores the attention
against them, and the display shades them.
"""

# %%
# Train a small model
# -------------------
# A generated corpus of five sessions; the last session (speakers never heard
# in training) provides the utterances we look at.
# :func:`~sklearn_maec.pipeline.make_maec_pipeline` builds the segmenter, context builder
# and classifier pipeline that the command line trains, at the library's
# defaults; only the number of epochs is cut to 20 to keep the example fast
# (with so few training dialogues no validation part is held out: see
# ``validation_size_``).
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import balanced_accuracy_score

from sklearn_maec import AudioWarning
from sklearn_maec.datasets import make_dialogue_corpus
from sklearn_maec.display import SegmentAttentionDisplay
from sklearn_maec.metrics import attention_span_scores
from sklearn_maec.pipeline import make_maec_pipeline

warnings.simplefilter("ignore", AudioWarning)  # a few turns shorter than one segment

X, y = make_dialogue_corpus(n_dialogues=30, n_sessions=5, random_state=0)
test = (X["session"] == X["session"].iloc[-1]).to_numpy()
X_train, y_train = X[~test].reset_index(drop=True), y[~test]
X_test, y_test = X[test].reset_index(drop=True), y[test]

cache = tempfile.TemporaryDirectory(prefix="maec_attention_")  # extract each turn once
pipe = make_maec_pipeline(memory=cache.name, max_epochs=20, random_state=0)
pipe.fit(X_train, y_train)
Xt = pipe[:-1].transform(X_test)  # the test bags (and context), once for both uses below
ua = balanced_accuracy_score(y_test, pipe[-1].predict(Xt))
print(f"trained on {len(X_train)} utterances; UA on the held-out session: {ua:.2f}")

# %%
# Does the attention find the salient spans?
# ------------------------------------------
# :func:`~sklearn_maec.metrics.attention_span_scores` compares each test
# utterance's segment attention with its ``salient_spans``: a segment is *on a
# span* when it overlaps one.  The **lift** is the attention mass on those
# segments divided by their share of the segments (1.0: no better than uniform
# attention); the **AUC** is the chance that a segment on a span gets more
# attention than one off it (0.5: chance).  Neutral utterances have no salient
# span (their peaks are ordinary prominence) and are not scored.  The segment
# times come from the segmentation the segmented table declares
# (``Xt.attrs["segmentation"]``, the segmenter's).  Read the lift against its ceiling,
# ``1 / share_of_segments``: with 0.5 s segments most segments of a short
# utterance touch one of its spans.  The attention is trained for the emotion,
# never told where the spans are: a lift near 1.0 and an AUC near 0.5 would say
# it does not find them (``benchmarks/RESULTS.md`` has the lift and AUC over
# seeds and corpora).
scores = attention_span_scores(pipe[-1].segment_attention(Xt), X_test["salient_spans"],
                               segmentation=Xt.attrs["segmentation"],
                               durations=X_test["end"] - X_test["start"])
print(f"attention on the salient spans of {scores['n_utterances']} emotional test utterances: "
      f"{scores['attention_on_spans']:.2f} of the mass on {scores['share_of_segments']:.2f} "
      f"of the segments, lift {scores['lift']:.2f} (uniform: 1.00), "
      f"AUC {scores['auc']:.2f} (chance: 0.50)")

# %%
# One utterance: waveform and attention
# -------------------------------------
# ``from_estimator`` runs the fitted pipeline on ``X_test`` (the utterance's
# context turns are looked up there) and plots the utterance at position
# ``index``; we take the longest emotional one.  Under the waveform, the blue
# bars are the attention weights of the segments (they sum to one), drawn at
# each segment's centre; the orange curve spreads each weight over the 0.5 s
# its segment covers; the dashed line is uniform attention.  The red band marks
# the most attended segment.  ``X_test`` has a ``salient_spans`` column, so
# ``from_estimator`` shades the true salient spans in green under the bars.
# The segments start every 0.1 s (the default ``stride``), so each frame is
# covered by five of them.
durations = (X_test["end"] - X_test["start"]).to_numpy()
emotional = np.flatnonzero(X_test["salient_spans"].map(len).to_numpy() > 0)
longest = int(emotional[np.argmax(durations[emotional])])
disp = SegmentAttentionDisplay.from_estimator(pipe, X_test, longest, y=y_test)
spans = ", ".join(f"{a:.2f}-{b:.2f}" for a, b in X_test["salient_spans"].iloc[longest])
print(f"utterance {X_test['utterance_id'].iloc[longest]} ({y_test[longest]}): "
      f"{len(disp.segment_times_)} segments; most attended "
      f"{disp.segment_times_[np.argmax([b.get_height() for b in disp.bars_])]} s; "
      f"salient spans {spans} s ({len(disp.span_patches_)} shaded)")

# %%
# One utterance of each emotion, as spectrograms
# ----------------------------------------------
# ``signal="spectrogram"`` draws the spectrogram instead (25 ms windows every
# 10 ms, in dB), where voiced stretches, pauses and fricatives are easy to tell
# apart.  Each Axes of the 2 x 2 grid is split into the spectrogram above and
# the attention below.  The title gives the true and the predicted emotion.
# The emotional utterances have their salient spans shaded; the neutral one
# has none.
fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), layout="constrained")
for ax, emotion in zip(axes.flat, ["neu", "hap", "sad", "ang"], strict=True):
    of_emotion = np.flatnonzero(y_test == emotion)
    index = int(of_emotion[np.argmax(durations[of_emotion])])  # the longest one
    SegmentAttentionDisplay.from_estimator(pipe, X_test, index, y=y_test,
                                           signal="spectrogram", ax=ax)
fig.suptitle("Attention over the segments of unseen speakers' utterances")
cache.cleanup()
plt.show()
