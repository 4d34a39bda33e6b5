"""
=============================================
Spectrograms of the synthetic dialogue corpus
=============================================

:func:`sklearn_maec.datasets.make_dialogue_corpus` makes the data every test,
example and benchmark of sklearn-maec runs on: dialogues whose turns carry an
emotion, spoken by synthetic voices (a glottal pulse train through moving
formant filters, with fricatives, pauses and breaths) and recorded through a
chosen channel.

This example takes one utterance per emotion from the same speaker and shows
its spectrogram with the F0 contour that openSMILE (the feature extractor
MAEC uses) finds in it: angry speech is loud and bright (energy up to high
frequencies) and fast, sad speech soft, low, slow and monotonous, happy speech
high with a wide pitch range, neutral speech in between.
"""

# %%
# Generate a small corpus
# -----------------------
# One session, so all dialogues have the same two speakers.
import os

import matplotlib.pyplot as plt
import numpy as np
import opensmile
from scipy.signal import spectrogram

from sklearn_maec.datasets import make_dialogue_corpus

X, y = make_dialogue_corpus(
    n_dialogues=8, n_sessions=1, duration_median=2.5, duration_range=(1.8, 4.0), random_state=3
)
print(X.drop(columns="audio").head())
labels, counts = np.unique(y, return_counts=True)
print("labels:", {str(k): int(v) for k, v in zip(labels, counts, strict=True)})

# %%
# One utterance per emotion, same speaker if possible
# ---------------------------------------------------
# Take the speaker with the most emotions, and their longest utterance of each.
emotions = ["neu", "hap", "sad", "ang"]
X = X.assign(emotion=y, duration=X["end"] - X["start"])
speaker = max(X["speaker"].unique(), key=lambda s: X.loc[X["speaker"] == s, "emotion"].nunique())
picked = {}
for emotion in emotions:
    rows = X[(X["emotion"] == emotion) & (X["speaker"] == speaker)]
    if rows.empty:  # fall back to the other speaker
        rows = X[X["emotion"] == emotion]
    if not rows.empty:
        picked[emotion] = rows.loc[rows["duration"].idxmax()]

# %%
# Spectrograms and openSMILE's F0 contour
# ---------------------------------------
# openSMILE's ``emobase`` low-level descriptors, one frame every 10 ms:
# ``F0_sma`` is 0 where openSMILE finds no voicing.
smile = opensmile.Smile(
    feature_set=opensmile.FeatureSet.emobase,
    feature_level=opensmile.FeatureLevel.LowLevelDescriptors,
)
names = {"neu": "neutral", "hap": "happy", "sad": "sad", "ang": "angry"}
fig, axes = plt.subplots(len(picked), 1, figsize=(10, 2.6 * len(picked)), sharex=True)
axes = np.atleast_1d(axes)
for ax, (emotion, row) in zip(axes, picked.items(), strict=True):
    audio, sr = row["audio"], int(row["sampling_rate"])
    f, t, S = spectrogram(audio, sr, window="hann", nperseg=int(0.025 * sr),
                          noverlap=int(0.02 * sr), nfft=1024)
    S_db = 10 * np.log10(S + 1e-12)
    ax.pcolormesh(t, f / 1000, S_db, vmin=S_db.max() - 75, vmax=S_db.max(),
                  shading="auto", cmap="magma")
    ax.set_ylim(0, 6)
    ax.set_ylabel("kHz")
    lld = smile.process_signal(audio, sr)
    times = lld.index.get_level_values("start").total_seconds() + 0.02  # frame centres
    f0 = lld["F0_sma"].to_numpy()
    f0_plot = np.where(f0 > 0, f0, np.nan)
    ax2 = ax.twinx()
    ax2.plot(times, f0_plot, color="cyan", lw=2)
    ax2.set_ylim(50, 450)
    ax2.set_ylabel("F0 (Hz)", color="cyan")
    rms_db = 20 * np.log10(np.sqrt(np.mean(audio**2)))
    ax.set_title(
        f"{names[emotion]} ({row['speaker']}, {row['gender']}): RMS {rms_db:.1f} dBFS, "
        f"mean F0 {np.nanmean(f0_plot):.0f} Hz",
        fontsize=10,
    )
axes[-1].set_xlabel("time (s)")
fig.tight_layout()

# keep a copy of the figure (git ignores examples/*.png); MAEC_EXAMPLE_OUTPUT chooses the path
output = os.environ.get("MAEC_EXAMPLE_OUTPUT", "plot_synthetic_corpus.png")
fig.savefig(output, dpi=90)
print("saved", output)

# %%
# The same utterance through other channels
# -----------------------------------------
# The same ``random_state`` and ``corpus`` with another ``domain`` give the
# same speech recorded differently, e.g. over the telephone (8 kHz, 300-3400 Hz)
# or in a reverberant room, which is what cross-corpus experiments vary.
for domain in ("studio", "telephone", "noisy", "reverberant", "tv"):
    Xd, _ = make_dialogue_corpus(
        n_dialogues=1, n_sessions=1, turns_per_dialogue=1, duration_median=1.0,
        domain=domain, random_state=0,
    )
    audio = Xd.loc[0, "audio"]
    print(f"{domain:12s} {int(Xd.loc[0, 'sampling_rate']):6d} Hz  "
          f"RMS {20 * np.log10(np.sqrt(np.mean(audio**2))):6.1f} dBFS")

plt.show()
