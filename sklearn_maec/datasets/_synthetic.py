"""A generator of synthetic emotional dialogue corpora.

The real corpora MAEC is evaluated on (IEMOCAP, MELD) are licensed, so tests,
examples and benchmarks run on corpora made by :func:`make_dialogue_corpus`:
dialogues between synthetic speakers whose voices (source-filter synthesis,
see :mod:`._voice`; emotion profiles and speakers, :mod:`._profiles`; salient
spans and vocal events, :mod:`._salience`) carry the emotion of each turn,
recorded through a chosen channel (see :mod:`._channel`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import zlib
from numbers import Integral, Real

import numpy as np
import pandas as pd
import soundfile as sf

from ._channel import apply_channel, resolve_domain
from ._profiles import (
    _ALIASES,
    _DEFAULT_WEIGHT,
    _PROFILE_KEYS,
    _PROFILES,
    _draw_speaker,
    _draw_voice,
    _profile,
    _voice_params,
)
from ._salience import _outside, _salient_voice, _utterance_plan
from ._voice import SYNTH_RATE, synthesize

__all__ = ["make_dialogue_corpus", "SALIENCE_DEFAULT"]

#: Default ``salience`` of :func:`make_dialogue_corpus` (see its Notes).
SALIENCE_DEFAULT = 0.8

_P_SAME_SPEAKER = 0.1  # probability that the speaker of a turn also speaks the next one
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #
def _check_int(name, value, low):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_float(name, value, low=None, high=None, *, low_open=False):
    """A finite number in the interval [low, high] (or (low, high] with ``low_open``)."""
    if low is not None and high is not None:
        want = f"a number in {'(' if low_open else '['}{float(low)}, {float(high)}]"
    elif low is not None:
        want = f"a number {'>' if low_open else '>='} {float(low)}"
    else:
        want = "a finite number"
    if not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    value = float(value)
    too_low = low is not None and (value < low or (low_open and value == low))
    if too_low or (high is not None and value > high):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return value


def _check_pair(name, value, *, integer):
    if integer and isinstance(value, Integral) and not isinstance(value, bool):
        return int(value), int(value)
    ok = isinstance(value, (tuple, list)) and len(value) == 2
    if ok:
        kind = Integral if integer else Real
        ok = all(isinstance(v, kind) and not isinstance(v, bool) for v in value)
    if not ok:
        what = "an int or a (min, max) pair of ints" if integer else "a (min, max) pair of numbers"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    lo, hi = value
    if not integer and not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if lo > hi:
        raise ValueError(f"{name} must have min <= max, got {value!r}")
    return (int(lo), int(hi)) if integer else (float(lo), float(hi))


def _check_emotions(emotions, emotion_weights):
    """The checked ``emotions`` (a list), their profiles, canonical keys and normalised weights."""
    if isinstance(emotions, str) or not hasattr(emotions, "__iter__"):
        raise ValueError(f"emotions must be a sequence of str labels, got {emotions!r}")
    emotions = list(emotions)
    if not emotions:
        raise ValueError("emotions must not be empty")
    if not all(isinstance(e, str) for e in emotions):
        raise ValueError(f"emotions must be str labels, got {emotions!r}")
    unknown = [e for e in emotions if _ALIASES.get(e.lower(), e.lower()) not in _PROFILES]
    if unknown:
        raise ValueError(
            f"unknown emotion(s) {unknown}; known emotions are {sorted(_PROFILES)} and the "
            f"aliases {sorted(_ALIASES)}"
        )
    if len(set(emotions)) != len(emotions):
        raise ValueError(f"emotions must be unique, got {emotions!r}")
    deltas, keys = zip(*(_profile(e) for e in emotions), strict=True)
    deltas = np.array(deltas)
    if emotion_weights is None:
        weights = np.array([_DEFAULT_WEIGHT.get(k, 0.1) for k in keys])
    else:
        try:
            weights = np.asarray(emotion_weights, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"emotion_weights must be numbers, got {emotion_weights!r}") from exc
        if weights.shape != (len(emotions),):
            raise ValueError(
                f"emotion_weights must have one weight per emotion ({len(emotions)}), "
                f"got {emotion_weights!r}"
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(
                "emotion_weights must be finite, non-negative and not all zero, "
                f"got {emotion_weights!r}"
            )
    weights = weights / weights.sum()
    return emotions, deltas, keys, weights


def _root_entropy(random_state):
    """An int entropy for the SeedSequence, from an int, None, RandomState or Generator."""
    if random_state is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state!r}")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    raise ValueError(
        "random_state must be None, an int, a numpy.random.RandomState or a "
        f"numpy.random.Generator, got {random_state!r}"
    )


def _simulate_dialogue(rng, turns, k_speakers, cast_size, inertia, contagion, weights):
    """Turn-taking and emotions of one dialogue (see the Notes of make_dialogue_corpus).

    Returns a dict with per-turn ``speaker`` (index into the session's cast),
    ``emotion`` (index into the emotions), ``duration_noise`` (log-normal
    deviation of the duration) and ``gaps`` (seconds to the next turn), and
    ``first_start`` (start of the first turn, seconds).
    """
    n_turns = int(rng.integers(turns[0], turns[1] + 1))
    if k_speakers == cast_size:
        participants = np.arange(cast_size)
    else:
        participants = np.sort(rng.choice(cast_size, size=k_speakers, replace=False))
    who = np.empty(n_turns, dtype=np.int64)  # index into participants
    who[0] = rng.integers(k_speakers)
    same = rng.random(n_turns) < _P_SAME_SPEAKER
    other = rng.integers(k_speakers - 1, size=n_turns)
    for t in range(1, n_turns):
        # the same speaker goes on, or one of the others (uniformly) takes the turn
        who[t] = who[t - 1] if same[t] else other[t] + (other[t] >= who[t - 1])
    u = rng.random(n_turns)
    prior_draw = rng.choice(len(weights), size=n_turns, p=weights)
    emotion = np.empty(n_turns, dtype=np.int64)
    last_own = {}
    for t in range(n_turns):
        spk = who[t]
        previous = [i for i in range(t) if who[i] != spk]
        last_turn_of_other = emotion[previous[-1]] if previous else None
        if u[t] < inertia and spk in last_own:
            emotion[t] = last_own[spk]
        elif inertia <= u[t] < inertia + contagion and last_turn_of_other is not None:
            emotion[t] = last_turn_of_other
        else:
            emotion[t] = prior_draw[t]
        last_own[spk] = emotion[t]
    return {
        "speaker": [int(i) for i in participants[who]],
        "emotion": [int(e) for e in emotion],
        "duration_noise": rng.normal(0.0, 0.5, n_turns),
        "gaps": np.clip(rng.lognormal(math.log(0.4), 0.5, n_turns), 0.05, 3.0),
        "first_start": float(rng.uniform(0.2, 1.0)),
    }


def make_dialogue_corpus(
    n_dialogues=20,
    *,
    n_sessions=5,
    speakers_per_dialogue=2,
    turns_per_dialogue=(6, 14),
    emotions=("neu", "hap", "sad", "ang"),
    emotion_weights=None,
    inertia=0.6,
    contagion=0.25,
    emotion_strength=1.0,
    speaker_variability=1.0,
    intensity_spread=0.35,
    salience=SALIENCE_DEFAULT,
    salient_spans=(1, 3),
    salient_duration=(0.3, 1.5),
    vocal_events=0.3,
    duration_median=2.5,
    duration_range=(0.5, 12.0),
    domain="studio",
    sampling_rate=None,
    corpus="synthetic",
    directory=None,
    random_state=None,
):
    """Generate a synthetic corpus of emotional dialogues with audio.

    Speakers hold dialogues; every turn is an utterance whose emotion follows a
    dialogue-level process (inertia and contagion) and shapes the synthetic
    voice (F0, intonation, speaking rate, loudness, spectral tilt, voice
    quality). The audio is made by source-filter synthesis and recorded
    through a *domain* (studio, telephone, noisy, reverberant, TV), so that
    corpora of different domains differ the way IEMOCAP and MELD do. The
    output has the form every sklearn-maec loader returns.

    Parameters
    ----------
    n_dialogues : int, default=20
        Number of dialogues (>= 1).
    n_sessions : int, default=5
        Number of recording sessions (>= 1), each with its own cast of
        speakers, like IEMOCAP's 5 sessions. Dialogues are split over the
        sessions in contiguous blocks of (nearly) equal size; when
        ``n_dialogues < n_sessions`` only the first ``n_dialogues`` sessions
        are used.
    speakers_per_dialogue : int, default=2
        Participants of each dialogue (>= 2). With 2 (dyadic, IEMOCAP-like)
        each session's cast is one female and one male speaker; with more
        (multi-party, MELD-like) the cast has ``speakers_per_dialogue + 1``
        speakers of both genders and each dialogue draws its participants
        from it.
    turns_per_dialogue : int or (int, int), default=(6, 14)
        Number of turns of a dialogue: fixed, or drawn uniformly from the
        inclusive range ``(min, max)``; min >= 1.
    emotions : sequence of str, default=("neu", "hap", "sad", "ang")
        The emotion labels, unique. Each must be one of the known emotions
        ``"neu"``, ``"hap"``, ``"sad"``, ``"ang"``, ``"exc"``, ``"fru"``,
        ``"sur"``, ``"fea"``, ``"dis"`` or a long-name alias (``"neutral"``,
        ``"happy"``, ``"joy"``, ``"sadness"``, ``"anger"``, ``"excited"``,
        ``"frustration"``, ``"surprise"``, ``"fear"``, ``"disgust"``, ...;
        case-insensitive). The labels are returned as given, so MELD-style
        labels (``"joy"``, ``"sadness"``, ...) work as they are.
    emotion_weights : sequence of float or None, default=None
        Class prior, one non-negative weight per emotion (normalised to sum
        to one). None gives an IEMOCAP-like prior: neutral 0.3, happy 0.3,
        sad 0.2, angry 0.2, and 0.1 for every other emotion, normalised.
    inertia : float, default=0.6
        Probability that a speaker keeps the emotion of their own previous
        turn, in [0, 1].
    contagion : float, default=0.25
        Probability that a speaker takes up the emotion of the latest turn of
        another speaker, in [0, 1]; ``inertia + contagion <= 1``.
    emotion_strength : float, default=1.0
        Scales the acoustic effect of the emotions (>= 0): 0 means the emotion
        has no effect on the audio (chance-level recognition), 1 the default
        separation, larger values separate the classes more.
    speaker_variability : float, default=1.0
        Scales how much speakers of one gender differ from each other (>= 0)
        in F0, vocal-tract length, loudness, speaking rate, spectral tilt and
        voice quality; at 1 the spread between speakers is about as large as
        the effect of the emotions. The difference between the genders is not
        scaled.
    intensity_spread : float, default=0.35
        Standard deviation of each utterance's emotional intensity
        ``a ~ N(1, intensity_spread)``, clipped to [0, 2] (>= 0; see Notes).
        Large values (about 1) make many turns barely expressive, as in real
        conversations, where only the dialogue context (the speaker's previous
        turn, which usually shares the emotion) tells their emotion: a corpus
        where context matters.
    salience : float, default=0.8
        How much of an utterance's emotion sits in its salient spans, in
        [0, 1] (see Notes).  ``0`` is the emotion spread evenly over the whole
        utterance (the generator of earlier releases, bit for bit); ``1``
        leaves the voice outside the spans fully neutral (the speaker's
        habitual voice), every emotional cue inside them.  The default keeps a
        fifth of the emotion outside the spans, as in acted corpora, where a
        whole turn is coloured but a few words carry most of it.
    salient_spans : int or (int, int), default=(1, 3)
        Salient spans per utterance: fixed, or drawn uniformly from the
        inclusive range (min >= 1).  Ignored when ``salience=0``.
    salient_duration : (float, float), default=(0.3, 1.5)
        Length of each span in seconds, drawn uniformly (a stressed word to a
        phrase); the spans of an utterance cover at most 60 % of it.
    vocal_events : float, default=0.3
        Probability, in [0, 1], that an emotional utterance also has a short
        nonverbal event on a span of its own: a laugh or a breathy burst for
        happy (and excited), a sigh or a creaky end for sad, a sigh for
        frustrated, a shout for angry.  Scaled by the utterance's intensity;
        ignored when ``salience=0``.
    duration_median : float, default=2.5
        Median utterance duration in seconds (> 0), before the emotion's
        effect (sad utterances are a little longer, angry ones shorter).
    duration_range : (float, float), default=(0.5, 12.0)
        Every utterance's duration is clipped to this range (seconds,
        ``0 < min <= max``).
    domain : str or dict, default="studio"
        The recording condition: one of ``"studio"``, ``"telephone"``,
        ``"noisy"``, ``"reverberant"``, ``"tv"`` (see Notes), or a dict of
        channel settings. A dict may hold the key ``"base"`` (a domain name,
        default ``"studio"``) whose settings it starts from, and any of these
        keys, where a level or time may be a number or a ``(low, high)`` range
        drawn uniformly for each utterance:

        - ``sampling_rate`` (int): the domain's rate in Hz;
        - ``gain_db``: level change in dB;
        - ``rt60`` (None for no room) and ``drr_db``: the room's
          reverberation time in seconds and direct-to-reverberant ratio in dB;
        - ``noise`` (``"white"``, ``"pink"``, ``"babble"``, a tuple of them of
          which one is drawn per utterance, or None) and ``snr_db``: the
          ambient noise and its SNR in dB;
        - ``music_db`` (None for none): background music re speech, dB;
        - ``laughter_rate`` (bursts per second, 0 for none) and
          ``laughter_db``: laugh-track-like bursts and their level re speech;
        - ``bandpass``: ``(low, high)`` pass band in Hz or None;
        - ``compression``: in [0, 1), the fraction of the level above
          -30 dBFS that a compressor removes;
        - ``line_snr_db`` (None for none): hiss and mains hum added after the
          band-pass, SNR in dB;
        - ``codec``: None or ``"mulaw"`` (8-bit companding).
    sampling_rate : int or None, default=None
        Sampling rate of the returned audio. None keeps the domain's own rate
        (8000 Hz for ``"telephone"``, 16000 Hz otherwise); another rate
        resamples (``scipy.signal.resample_poly``) after the channel, so
        ``domain="telephone", sampling_rate=16000`` gives 16 kHz audio with
        telephone bandwidth.
    corpus : str, default="synthetic"
        Name of the corpus: the ``corpus`` column, and the prefix of every
        session, dialogue, speaker and utterance id, so two corpora never
        share speakers. Letters, digits, ``_``, ``-`` and ``.`` only. It also
        enters the random seed: two corpora of different names are different
        even with the same ``random_state``.
    directory : str, path-like or None, default=None
        If given, every utterance is written there (created if missing) as a
        16-bit PCM wav file ``<utterance_id>.wav``, and the ``audio`` column
        holds the absolute paths instead of arrays.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, default=None
        Seeds everything. An int (>= 0) makes the result reproducible, bit for
        bit; a RandomState or Generator is used (and advanced) once to draw a
        seed, like :func:`sklearn.utils.check_random_state` users expect; None
        takes fresh entropy from the operating system.

    Returns
    -------
    X : pandas.DataFrame of shape (n_utterances, 11)
        One row per utterance, in session, dialogue and turn order, with a
        default RangeIndex, and the columns:

        - ``audio``: 1-D float32 array in (-1, 1), or the wav path (str) when
          ``directory`` is given;
        - ``sampling_rate`` (int): Hz;
        - ``dialogue`` (str): ``<corpus>_Ses<ss>_d<ddd>``, unique;
        - ``speaker`` (str): ``<corpus>_Ses<ss>_<gender><j>``;
        - ``start``, ``end`` (float): seconds on the dialogue's timeline,
          turns in order with a gap between turns (no overlaps);
          ``end - start`` is the audio's duration;
        - ``gender`` (str): ``"F"`` or ``"M"``;
        - ``corpus`` (str): the ``corpus`` parameter;
        - ``session`` (str): ``<corpus>_Ses<ss>``;
        - ``utterance_id`` (str): ``<dialogue>_t<ttt>``, unique;
        - ``salient_spans`` (list of (float, float)): the ground truth of the
          salient moments, ``(start, end)`` in seconds from the utterance's
          start, its vocal event included; an empty list for a neutral
          utterance (whose peaks are ordinary prominence) and for
          ``salience=0``.
    y : ndarray of shape (n_utterances,), dtype object
        The emotion label (from ``emotions``) of every utterance.

    Raises
    ------
    ValueError
        For invalid parameters, with a message naming the parameter (an
        unknown domain lists the valid ones).

    See Also
    --------
    sklearn_maec.datasets.load_iemocap : The real dyadic corpus.
    sklearn_maec.datasets.load_meld : The real multi-party corpus.

    Notes
    -----
    **Structure.** Speakers belong to sessions (casts as described for
    ``speakers_per_dialogue``). In a dialogue, the first speaker is drawn at
    random among the participants; after each turn the same speaker goes on
    with probability 0.1, otherwise another participant (uniformly) takes the
    turn. Turns follow each other with gaps of about 0.4 s (log-normal).

    **Emotion process.** For each turn of speaker ``s``, draw ``u ~ U(0, 1)``:

    - if ``u < inertia`` and ``s`` spoke before in this dialogue: the emotion
      of ``s``'s previous turn (inertia);
    - if ``inertia <= u < inertia + contagion`` and another speaker spoke
      before: the emotion of the latest turn by another speaker (contagion);
    - otherwise (and when the turn to copy does not exist): a draw from the
      prior ``emotion_weights``.

    So the speaker's previous turn and the interlocutor's latest turn carry
    information about the current emotion, as MAEC's context inputs assume;
    with ``inertia=contagion=0`` the emotions are independent draws. The
    marginal distribution of the labels stays the prior.

    **Acoustics.** A speaker has a gender, a habitual F0 (about 210 Hz for
    female, 125 Hz for male speakers, +-2 semitones), a vocal-tract length
    (formant scale about 1.15 / 0.98), and own loudness, speaking rate,
    spectral tilt, pitch range and voice quality. Each utterance draws an
    emotional intensity ``a ~ N(1, intensity_spread)`` clipped to [0, 2] and moves the
    speaker's voice by ``a * emotion_strength`` times the emotion's profile:
    angry is loud (+7 dB), fast, brighter (flatter spectral tilt) and tense;
    sad is low (-2 semitones), slow, soft, narrow in range, breathy, with more
    pauses; happy is high (+3 semitones) with a wide range, moderately fast
    and loud; neutral is the speaker's habitual voice. Independent
    per-utterance variation (standard deviations: F0 0.8 semitone, level 2 dB,
    speaking rate 8 %, ...) is added, so the classes overlap.

    **Salient spans.** Real emotional speech is uneven: a few moments (a
    stressed word, a raised voice, a laugh) carry most of the emotion, which
    is what MAEC's attention over segments is meant to find.  With
    ``salience`` ``s > 0`` every utterance gets ``salient_spans`` spans of
    ``salient_duration`` seconds at random places (a margin from both ends).
    Outside them the voice is the speaker's habitual one moved by ``1 - s``
    times the emotion's effect; inside them by ``1 + 0.3 s`` times it, plus
    the ordinary prominence of a stressed word (higher, wider pitch range,
    louder, slower, brighter), which every utterance has on its spans, neutral
    ones included, so that "there is a peak" alone tells nothing.  Each span
    draws its own strength (0.75 to 1.25) and rises and falls with 0.1 s
    raised-cosine edges inside the span (the voice parameters change smoothly,
    the waveform has no clicks).  The recording level is set for the peaks
    (``10 s`` dB of headroom), and the channel's noise refers to the level
    outside the spans (a shout does not make the room noisier).  Vocal events
    (``vocal_events``) sit on a span of their own, a sigh or a creaky voice at
    the utterance's end.  The spans of emotional utterances come back as the
    ``salient_spans`` column.  The extra randomness draws from its own streams,
    so ``salience`` changes the dynamics only: the speakers, turns, emotions,
    intensities, durations and per-utterance variation are those of the same
    ``random_state`` at any ``salience``.

    The waveform is made at 16 kHz by source-filter synthesis: a Rosenberg
    glottal pulse train following an F0 contour (declination over each
    phrase, pitch accents on stressed syllables, phrase-final falls or a
    question rise), with jitter, shimmer and aspiration noise, filtered by
    four formant resonators whose frequencies move between per-syllable vowel
    targets; fricative, plosive and breath noises fill the unvoiced parts,
    and pauses separate phrases.

    **Domains.** The named domains (all drawn per utterance):

    - ``"studio"`` (IEMOCAP-like): 16 kHz, small room (RT60 0.15-0.3 s,
      strong direct sound), white noise at 45-55 dB SNR.
    - ``"telephone"``: 8 kHz, 300-3400 Hz band-pass, compression, pink room
      noise (30-40 dB SNR), line hiss and hum (25-35 dB SNR), mu-law codec.
    - ``"noisy"``: 16 kHz, babble or pink noise at 5-15 dB SNR.
    - ``"reverberant"``: 16 kHz, distant microphone in a live room (RT60
      0.4-0.9 s, direct-to-reverberant ratio -4 to 2 dB).
    - ``"tv"`` (MELD-like): 16 kHz, compressed then 3-8 dB louder, 60-7000 Hz,
      background music (-24 to -14 dB re speech), laugh-track bursts, mild
      reverberation (RT60 0.25-0.45 s).

    **Randomness.** Every dialogue, speaker, utterance and channel draws from
    its own stream, ``numpy.random.SeedSequence(entropy, spawn_key=...)``
    keyed by its indices, so an utterance does not depend on the order of
    generation, and the same ``random_state`` and ``corpus`` with another
    ``domain`` give the same underlying speech recorded differently.

    Examples
    --------
    >>> from sklearn_maec.datasets import make_dialogue_corpus
    >>> X, y = make_dialogue_corpus(n_dialogues=2, n_sessions=1, turns_per_dialogue=3,
    ...                             duration_median=0.8, random_state=0)
    >>> X.shape
    (6, 11)
    >>> list(X.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['audio', 'sampling_rate', 'dialogue', 'speaker', 'start', 'end', 'gender',
     'corpus', 'session', 'utterance_id', 'salient_spans']
    >>> X.loc[0, "audio"].dtype, int(X.loc[0, "sampling_rate"])
    (dtype('float32'), 16000)
    >>> X["speaker"].nunique(), y.shape
    (2, (6,))
    """
    # ------------------------------------------------------------------ checks
    n_dialogues = _check_int("n_dialogues", n_dialogues, 1)
    n_sessions = _check_int("n_sessions", n_sessions, 1)
    if not isinstance(speakers_per_dialogue, Integral) or isinstance(speakers_per_dialogue, bool) \
            or speakers_per_dialogue < 2:
        raise ValueError(
            f"speakers_per_dialogue must be an int >= 2 (a dialogue needs an interlocutor), "
            f"got {speakers_per_dialogue!r}"
        )
    k_speakers = int(speakers_per_dialogue)
    turns_lo, turns_hi = _check_pair("turns_per_dialogue", turns_per_dialogue, integer=True)
    if turns_lo < 1:
        raise ValueError(f"turns_per_dialogue must be >= 1, got {turns_per_dialogue!r}")

    emotions, deltas, keys, weights = _check_emotions(emotions, emotion_weights)

    inertia = _check_float("inertia", inertia, 0.0, 1.0)
    contagion = _check_float("contagion", contagion, 0.0, 1.0)
    if inertia + contagion > 1.0 + 1e-12:
        raise ValueError(
            f"inertia + contagion must be <= 1 (they are probabilities of exclusive events), "
            f"got {inertia} + {contagion} = {inertia + contagion}"
        )
    emotion_strength = _check_float("emotion_strength", emotion_strength, 0.0)
    intensity_spread = _check_float("intensity_spread", intensity_spread, 0.0)
    salience = _check_float("salience", salience, 0.0, 1.0)
    spans_lo, spans_hi = _check_pair("salient_spans", salient_spans, integer=True)
    if spans_lo < 1:
        raise ValueError(f"salient_spans must be >= 1 (spans per utterance), got {salient_spans!r}")
    span_lo, span_hi = _check_pair("salient_duration", salient_duration, integer=False)
    if span_lo <= 0:
        raise ValueError(f"salient_duration must hold positive lengths (seconds), "
                         f"got {salient_duration!r}")
    vocal_events = _check_float("vocal_events", vocal_events, 0.0, 1.0)
    speaker_variability = _check_float("speaker_variability", speaker_variability, 0.0)
    duration_median = _check_float("duration_median", duration_median, 0.0, low_open=True)
    dur_lo, dur_hi = _check_pair("duration_range", duration_range, integer=False)
    if dur_lo <= 0:
        raise ValueError(f"duration_range must hold positive durations, got {duration_range!r}")
    channel = resolve_domain(domain)
    if sampling_rate is not None:
        if not isinstance(sampling_rate, Integral) or isinstance(sampling_rate, bool) \
                or sampling_rate < 1000:
            raise ValueError(f"sampling_rate must be None or an int >= 1000, got {sampling_rate!r}")
        sampling_rate = int(sampling_rate)
    if not isinstance(corpus, str) or not _ID_RE.match(corpus):
        raise ValueError(
            "corpus must be a non-empty str of letters, digits, '_', '-' and '.' "
            f"(it prefixes ids and file names), got {corpus!r}"
        )
    if directory is not None and not isinstance(directory, (str, os.PathLike)):
        raise ValueError(f"directory must be None, a str or a path-like, got {directory!r}")
    entropy = [_root_entropy(random_state), zlib.crc32(corpus.encode("utf-8"))]

    def stream(*key):
        return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))

    settings = _TurnSettings(emotion_strength, intensity_spread, salience, (spans_lo, spans_hi),
                             (span_lo, span_hi), vocal_events, channel, sampling_rate)
    n_used = min(n_sessions, n_dialogues)
    casts = _casts(stream, n_used, k_speakers, speaker_variability, corpus)
    session_of = np.concatenate(
        [np.full(len(b), i) for i, b in enumerate(np.array_split(np.arange(n_dialogues), n_used))]
    )
    if directory is not None:
        directory = os.path.abspath(os.fspath(directory))
        os.makedirs(directory, exist_ok=True)
    # zero-padded ids sort in row order
    w_ses, w_dlg, w_turn = len(str(n_used)), len(str(n_dialogues - 1)), len(str(turns_hi - 1))
    log_median = math.log(duration_median)
    dur_factor = deltas[:, _PROFILE_KEYS.index("duration")] * emotion_strength
    rows, labels = [], []
    for d in range(n_dialogues):
        s = int(session_of[d])
        session_id = f"{corpus}_Ses{s + 1:0{max(w_ses, 2)}d}"
        dialogue_id = f"{session_id}_d{d:0{max(w_dlg, 3)}d}"
        dlg = _simulate_dialogue(
            stream(0, d), (turns_lo, turns_hi), k_speakers, len(casts[s]), inertia, contagion,
            weights,
        )
        clock = dlg["first_start"]
        for t, (who, e) in enumerate(zip(dlg["speaker"], dlg["emotion"], strict=True)):
            speaker = casts[s][who]
            duration = float(np.clip(
                math.exp(log_median + dur_factor[e] + dlg["duration_noise"][t]), dur_lo, dur_hi))
            audio, rate, spans = _turn_audio(settings, stream, d, t, speaker, deltas[e], keys[e],
                                             duration)
            utterance_id = f"{dialogue_id}_t{t:0{max(w_turn, 3)}d}"
            length = audio.size / rate
            if directory is not None:
                path = os.path.join(directory, f"{utterance_id}.wav")
                sf.write(path, audio, rate, subtype="PCM_16")
                audio = path
            rows.append((audio, rate, dialogue_id, speaker["id"], clock, clock + length,
                         speaker["gender"], corpus, session_id, utterance_id, spans))
            labels.append(emotions[e])
            clock += length + dlg["gaps"][t]

    columns = ["audio", "sampling_rate", "dialogue", "speaker", "start", "end", "gender",
               "corpus", "session", "utterance_id", "salient_spans"]
    X = pd.DataFrame.from_records(rows, columns=columns)
    X["sampling_rate"] = X["sampling_rate"].astype(np.int64)
    y = np.empty(len(labels), dtype=object)
    y[:] = labels
    return X, y


def _casts(stream, n_used, k_speakers, speaker_variability, corpus):
    """The speakers of each session: two (F, M) for dyadic dialogues, one more than a dialogue
    holds otherwise, genders alternating in a random order."""
    cast_size = 2 if k_speakers == 2 else k_speakers + 1
    casts = []
    for s in range(n_used):
        rng = stream(1, s)
        if k_speakers == 2:
            genders = ["F", "M"]
        else:
            both = np.array(["F", "M"] * ((cast_size + 1) // 2))
            genders = list(rng.permutation(both))[:cast_size]
        cast = []
        for j, g in enumerate(genders):
            spk = _draw_speaker(str(g), speaker_variability, stream(1, s, j))
            spk["id"] = f"{corpus}_Ses{s + 1:0{max(len(str(n_used)), 2)}d}_{g}{j}"
            cast.append(spk)
        casts.append(cast)
    return casts


@dataclasses.dataclass(frozen=True)
class _TurnSettings:
    """The checked parameters of :func:`make_dialogue_corpus` that shape each turn's audio."""

    emotion_strength: float
    intensity_spread: float
    salience: float
    n_spans: tuple
    span_length: tuple
    vocal_events: float
    channel: dict
    sampling_rate: int | None


def _turn_audio(settings, stream, d, t, speaker, delta, key, duration):
    """Turn ``t`` of dialogue ``d``, recorded: ``(audio, sampling rate, salient spans)``."""
    intensity, z = _draw_voice(settings.emotion_strength, stream(2, d, t),
                               settings.intensity_spread)
    if settings.salience == 0.0:  # the emotion over the whole utterance
        params, contour, spans = _voice_params(speaker, intensity * delta, z), None, []
    else:  # concentrated in salient spans (their own stream: the rest is unchanged)
        rng = stream(4, d, t)
        exact = max(round(duration * SYNTH_RATE), 1) / SYNTH_RATE  # as synthesised
        # a turn without emotional intensity has no vocal event either
        plan = _utterance_plan(rng, exact, key, settings.n_spans, settings.span_length,
                               settings.vocal_events if intensity > 0 else 0.0)
        params, contour, spans = _salient_voice(
            speaker, delta, key, intensity, z, exact, settings.salience, plan,
            min(intensity, 1.0), rng)
    clean = synthesize(params, duration, stream(2, d, t, 1), contour=contour)
    # the noise refers to the level of the voice outside the spans (a shout does not make the
    # room noisier)
    mask = None if contour is None else _outside(plan, clean.size)
    audio, rate = apply_channel(clean, SYNTH_RATE, settings.channel, stream(3, d, t),
                                settings.sampling_rate, level_mask=mask)
    return audio, rate, spans


_TURN_RE = re.compile(r"_d(\d+)_t(\d+)$")


def _peak_spans(X, y, *, random_state, salient_spans=(1, 3), salient_duration=(0.3, 1.5),
                vocal_events=0.3, emotion_strength=1.0, intensity_spread=0.35):
    """The spans of every utterance of a generated corpus, neutral ones' prominence included.

    Private, for tests and benchmarks (an oracle that pools the frames of the
    spans must see a neutral utterance's peaks too, or "has spans" would give
    the class away). It redraws the plans from the generator's own streams, so
    ``random_state`` (an int) and the settings named here must be those the
    corpus was made with (``salience`` > 0); exact for 16 kHz output (the
    durations come from ``X``).
    """
    n_spans = _check_pair("salient_spans", salient_spans, integer=True)
    span_length = _check_pair("salient_duration", salient_duration, integer=False)
    out = []
    for uid, corpus, start, end, label in zip(X["utterance_id"], X["corpus"], X["start"],
                                              X["end"], y, strict=True):
        d, t = (int(v) for v in _TURN_RE.search(uid).groups())
        entropy = [_root_entropy(random_state), zlib.crc32(corpus.encode("utf-8"))]

        def stream(*key, entropy=entropy):
            return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))

        intensity, _ = _draw_voice(emotion_strength, stream(2, d, t), intensity_spread)
        duration = max(round((end - start) * SYNTH_RATE), 1) / SYNTH_RATE
        plan = _utterance_plan(stream(4, d, t), duration, _profile(label)[1], n_spans,
                               span_length, vocal_events if intensity > 0 else 0.0)
        out.append([(round(float(a), 3), round(float(b), 3)) for a, b, _, _ in plan])
    return out
