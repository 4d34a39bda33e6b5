"""The voices of the synthetic corpora: emotion profiles, speakers, utterance voices.

Each emotion moves a speaker's habitual voice by its profile (see the Notes
of :func:`~sklearn_maec.datasets.make_dialogue_corpus`); :func:`_voice_params`
turns speaker, emotion and per-utterance variation into the
:class:`~._voice.VoiceParams` of one utterance.
"""

from __future__ import annotations

import math

import numpy as np

from ._voice import VoiceParams

# --------------------------------------------------------------------------- #
# emotions
# --------------------------------------------------------------------------- #
# Effect of each emotion relative to neutral speech, at emotion_strength=1 and
# intensity 1 (every utterance draws its own intensity, see the Notes of
# make_dialogue_corpus):
#   f0: mean F0 (semitones)          range: pitch-accent height (semitones)
#   rate: speaking rate (log factor)  level: loudness (dB)
#   tilt: spectral tilt (dB/octave, + is brighter)
#   oq: glottal open quotient (- is tenser, + breathier)
#   breath: aspiration noise          jitter: period perturbation
#   pause: pause frequency (log factor)  duration: utterance length (log factor)
#   artic: F1 (log factor, + is a more open mouth)
_PROFILE_KEYS = ("f0", "range", "rate", "level", "tilt", "oq", "breath", "jitter", "pause",
                 "duration", "artic")
_L = math.log
_PROFILES = {
    "neu": dict(),
    "hap": dict(f0=3.0, range=2.5, rate=_L(1.1), level=4.0, tilt=1.5, oq=-0.03, jitter=0.001,
                pause=_L(0.8), artic=_L(1.05)),
    "sad": dict(f0=-2.0, range=-1.8, rate=_L(0.78), level=-5.0, tilt=-2.5, oq=0.08, breath=0.08,
                jitter=0.002, pause=_L(1.6), duration=_L(1.15), artic=_L(0.95)),
    "ang": dict(f0=2.0, range=1.0, rate=_L(1.18), level=7.0, tilt=3.0, oq=-0.15, breath=-0.04,
                jitter=0.003, pause=_L(0.75), duration=_L(0.95), artic=_L(1.1)),
    "exc": dict(f0=4.0, range=3.5, rate=_L(1.15), level=5.0, tilt=2.5, oq=-0.06, jitter=0.002,
                pause=_L(0.8), artic=_L(1.08)),
    "fru": dict(f0=0.5, range=-0.5, rate=_L(1.05), level=3.0, tilt=2.0, oq=-0.08, jitter=0.002,
                artic=_L(1.03)),
    "sur": dict(f0=5.0, range=5.0, rate=_L(1.05), level=3.0, tilt=1.0, pause=_L(0.9),
                artic=_L(1.08)),
    "fea": dict(f0=3.5, range=-0.5, rate=_L(1.15), level=-1.0, tilt=-1.0, oq=0.05, breath=0.08,
                jitter=0.005),
    "dis": dict(f0=-1.5, range=1.0, rate=_L(0.85), level=0.0, tilt=1.0, oq=-0.05, jitter=0.002,
                duration=_L(1.1)),
}
_ALIASES = {
    "neutral": "neu", "happy": "hap", "happiness": "hap", "joy": "hap", "sad": "sad",
    "sadness": "sad", "angry": "ang", "anger": "ang", "excited": "exc", "excitement": "exc",
    "frustrated": "fru", "frustration": "fru", "surprise": "sur", "surprised": "sur",
    "fear": "fea", "fearful": "fea", "disgust": "dis", "disgusted": "dis",
}
# Default class prior (IEMOCAP-like for the four classes); other emotions 0.1.
_DEFAULT_WEIGHT = {"neu": 0.3, "hap": 0.3, "sad": 0.2, "ang": 0.2}

_F0_MEAN = {"F": 210.0, "M": 125.0}  # Hz, adult speakers' habitual F0
_FORMANT_SCALE = {"F": 1.15, "M": 0.98}
_OPEN_QUOTIENT = {"F": 0.65, "M": 0.58}
_BREATHINESS = {"F": 0.10, "M": 0.07}


def _profile(emotion):
    key = emotion.lower()
    key = _ALIASES.get(key, key)
    prof = _PROFILES[key]
    return np.array([prof.get(k, 0.0) for k in _PROFILE_KEYS]), key


# --------------------------------------------------------------------------- #
# speakers and utterances
# --------------------------------------------------------------------------- #
def _draw_speaker(gender, variability, rng):
    """A speaker's habitual voice: a dict of base values (same keys as the profiles)."""
    z = rng.standard_normal(10) * variability
    return {
        "gender": gender,
        "f0": _F0_MEAN[gender] * 2.0 ** (2.0 * z[0] / 12.0),
        "formant_scale": float(np.clip(_FORMANT_SCALE[gender] * math.exp(0.04 * z[1]), 0.85, 1.25)),
        "level": -26.0 + 3.0 * z[2],
        "rate": 4.5 * math.exp(0.12 * z[3]),
        "tilt": 1.5 * z[4],
        "oq": _OPEN_QUOTIENT[gender] + 0.05 * z[5],
        "breath": _BREATHINESS[gender] * math.exp(0.3 * z[6]),
        "range": 3.0 * math.exp(0.25 * z[7]),
        "jitter": 0.006 * math.exp(0.25 * z[8]),
        "pause": 0.15 * math.exp(0.2 * z[9]),
    }


def _draw_voice(strength, rng, intensity_spread):
    """The utterance's emotional intensity ``a`` (x ``strength``) and its voice noise ``z``."""
    intensity = float(np.clip(rng.normal(1.0, intensity_spread), 0.0, 2.0)) * strength
    return intensity, rng.standard_normal(9)


def _voice_params(speaker, shift, z):
    """Combine speaker, emotion (``shift``: the profile already scaled) and utterance noise."""
    d = dict(zip(_PROFILE_KEYS, shift, strict=True))
    jitter = float(np.clip((speaker["jitter"] + d["jitter"]) * math.exp(0.25 * z[7]), 0.002, 0.014))
    return VoiceParams(
        f0=float(np.clip(speaker["f0"] * 2.0 ** ((d["f0"] + 0.8 * z[0]) / 12.0), 85.0, 380.0)),
        f0_range=float(np.clip((speaker["range"] + d["range"]) * math.exp(0.25 * z[1]), 0.3, 9.0)),
        declination=float(np.clip(2.5 + 0.8 * z[2], 0.0, 6.0)),
        rate=float(np.clip(speaker["rate"] * math.exp(d["rate"] + 0.08 * z[3]), 2.0, 9.0)),
        level_db=float(speaker["level"] + d["level"] + 2.0 * z[4]),
        tilt=float(np.clip(speaker["tilt"] + d["tilt"] + 1.2 * z[5], -9.0, 5.0)),
        open_quotient=float(np.clip(speaker["oq"] + d["oq"] + 0.04 * z[6], 0.35, 0.78)),
        breathiness=float(
            np.clip((speaker["breath"] + d["breath"]) * math.exp(0.3 * z[8]), 0.0, 0.6)
        ),
        jitter=jitter,
        shimmer=float(np.clip(0.035 + 3.0 * (jitter - 0.006), 0.015, 0.06)),
        formant_scale=speaker["formant_scale"],
        bandwidth_scale=float(np.clip(1.0 + 2.0 * (speaker["oq"] + d["oq"] - 0.6), 0.7, 1.8)),
        articulation=float(math.exp(d["artic"])),
        pause_prob=float(np.clip(speaker["pause"] * math.exp(d["pause"]), 0.02, 0.5)),
        pause_length=float(0.3 * math.exp(0.5 * d["pause"])),
    )
