"""
============================================
Cross-corpus: train on IEMOCAP, test on MELD
============================================

A model of emotional speech is only useful beyond its own corpus if it
survives a change of speakers, language style and recording conditions.  The
MAEC paper's second protocol trains on IEMOCAP (actors in a studio, two per
dialogue) and tests on MELD (scenes of the TV series *Friends*: several
speakers, laughter and music, film sound), on the four emotions the corpora
share.

:class:`~sklearn_maec.model_selection.CrossCorpusSplit` is that protocol as a
scikit-learn splitter: it trains on every row of one corpus and tests on every
row of another, reading the ``corpus`` column that the loaders fill, so it
plugs into :func:`~sklearn.model_selection.cross_validate`.  We compare the
cross-corpus UA with the in-corpus UA (IEMOCAP's leave-one-session-out), for
MAEC and for the functionals baseline.

**Data.** The environment variables ``SKLEARN_MAEC_IEMOCAP`` and
``SKLEARN_MAEC_MELD`` point the example at your copies of the corpora (then
it trains with the classifier's default settings, which takes hours on a
CPU).  Without them, it writes miniature releases of generated dialogues in
the official layouts with :func:`~sklearn_maec.datasets.make_iemocap_layout`
(studio recordings) and :func:`~sklearn_maec.datasets.make_meld_layout`
(multi-party dialogues through a TV channel: other speakers, background and
a different microphone), and loads them with the same loaders.
"""

# %%
# Load both corpora
# -----------------
import os
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import LeaveOneGroupOut, cross_validate

from sklearn_maec import AudioWarning
from sklearn_maec.datasets import load_iemocap, load_meld, make_iemocap_layout, make_meld_layout
from sklearn_maec.model_selection import CrossCorpusSplit
from sklearn_maec.pipeline import make_baseline_pipeline, make_maec_pipeline

warnings.simplefilter("ignore", AudioWarning)  # a few turns shorter than one segment

workdir = tempfile.TemporaryDirectory(prefix="maec_cross_corpus_")
iemocap_root = os.environ.get("SKLEARN_MAEC_IEMOCAP")
meld_root = os.environ.get("SKLEARN_MAEC_MELD")
real_corpora = iemocap_root is not None and meld_root is not None
if iemocap_root is None:
    iemocap_root = os.path.join(workdir.name, "iemocap")
    make_iemocap_layout(iemocap_root, n_sessions=5, dialogues_per_session=4,
                        turns_per_dialogue=(10, 14), duration_median=1.5, random_state=11)
if meld_root is None:
    meld_root = os.path.join(workdir.name, "meld")
    # pre-extracted wav files; media="mp4" writes videos as in the release (needs ffmpeg)
    make_meld_layout(meld_root, splits=("test",), n_dialogues=16, turns_per_dialogue=(6, 10),
                     duration_median=1.5, media="wav", random_state=0)

X_iemocap, y_iemocap = load_iemocap(iemocap_root)
X_meld, y_meld = load_meld(meld_root, split="test")  # joy -> hap, sadness -> sad, ...
X = pd.concat([X_iemocap, X_meld], ignore_index=True)
y = np.concatenate([y_iemocap, y_meld])
print(pd.crosstab(X["corpus"], y, margins=True))

# %%
# Two protocols, two models
# -------------------------
# In-corpus: :class:`~sklearn.model_selection.LeaveOneGroupOut` over IEMOCAP's
# sessions.  Cross-corpus: ``CrossCorpusSplit("iemocap", "meld")``, a single
# split (train on all of IEMOCAP, test on all of MELD).  The pipelines come from
# :func:`~sklearn_maec.pipeline.make_maec_pipeline` and
# :func:`~sklearn_maec.pipeline.make_baseline_pipeline`, sharing one feature cache.
#
# Both segmenters standardise each corpus with its own statistics
# (``standardize="corpus"``): a model trained on studio frames standardised
# with studio statistics sees a film soundtrack as one loud, dark emotion.  In
# the cross-corpus split ``fit`` sees only IEMOCAP, so MELD's rows are
# standardised with MELD's own statistics at ``predict``; inside IEMOCAP (one
# corpus) it is the usual global standardisation.
cache = os.path.join(workdir.name, "frames")
features = {"standardize": "corpus"}
quick = {} if real_corpora else dict(latent_dim=32, conv_channels=32, lr=1e-2,
                                      patience=None, max_epochs=15)
segments = features if real_corpora else {**features, "stride": 0.25}
models = {
    "MAEC": make_maec_pipeline(memory=cache, class_weight="balanced", random_state=0,
                               segmenter_params=segments, **quick),
    "functionals + logistic regression": make_baseline_pipeline(memory=cache,
                                                                segmenter_params=features),
}
scoring = {"UA": "balanced_accuracy", "WA": "accuracy"}
# a generated session may lack an emotion: its UA is the mean recall of those it has
warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
in_corpus = (X["corpus"] == "iemocap").to_numpy()
rows = []
for name, model in models.items():
    within = cross_validate(model, X[in_corpus], y[in_corpus], cv=LeaveOneGroupOut(),
                            groups=X.loc[in_corpus, "session"], scoring=scoring,
                            error_score="raise")
    across = cross_validate(model, X, y, cv=CrossCorpusSplit(train="iemocap", test="meld"),
                            scoring=scoring, error_score="raise")
    for protocol, scores in [("IEMOCAP, leave one session out", within),
                             ("IEMOCAP -> MELD", across)]:
        rows.append({"model": name, "protocol": protocol,
                     "UA": scores["test_UA"].mean(), "UA std": scores["test_UA"].std(),
                     "WA": scores["test_WA"].mean(), "folds": len(scores["test_UA"])})
results = pd.DataFrame(rows)
print(results.round(3).to_string(index=False))

# %%
# In-corpus against cross-corpus UA
# ---------------------------------
# Each bar is a mean UA (over the held-out sessions for the in-corpus protocol,
# with the spread over sessions as an error bar; the single MELD test set for
# the cross-corpus one).  UA weighs the four emotions equally: chance is 0.25.
protocols = results["protocol"].unique()
x = np.arange(len(models))
width = 0.36
fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
for k, protocol in enumerate(protocols):
    part = results[results["protocol"] == protocol].set_index("model").loc[list(models)]
    spread = part["UA std"] if (part["folds"] > 1).all() else None  # none for one split
    bars = ax.bar(x + (k - 0.5) * width, part["UA"], width, yerr=spread, capsize=4,
                  color=f"C{k}", label=protocol)
    ax.bar_label(bars, fmt="%.2f", padding=3, fontsize="small")
ax.axhline(0.25, color="0.4", linestyle=":", linewidth=1, label="chance (0.25)")
ax.set_xticks(x, list(models))
ax.set_ylim(0, 1)
ax.set_ylabel("UA (balanced accuracy)")
ax.set_title("Trained on IEMOCAP: tested in-corpus and on MELD"
             + ("" if real_corpora else "\n(generated IEMOCAP-like and MELD-like corpora)"))
ax.legend(loc="upper right")
workdir.cleanup()
plt.show()
