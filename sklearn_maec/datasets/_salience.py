"""Within-utterance dynamics of the synthetic corpora: salient spans and vocal events.

An utterance's emotion is concentrated in a few salient spans (and a vocal
event: a laugh, a sigh, a shout), planned by :func:`_utterance_plan` and
turned into a :class:`~._voice.VoiceContour` by :func:`_salient_voice` (see the
Notes of :func:`~sklearn_maec.datasets.make_dialogue_corpus`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._profiles import _PROFILE_KEYS, _voice_params
from ._voice import SYNTH_RATE, VoiceContour

# --------------------------------------------------------------------------- #
# within-utterance dynamics: salient spans and vocal events
# --------------------------------------------------------------------------- #
#: Inside a salient span the emotion's effect is ``1 + salience * (_PEAK - 1)`` times its
#: utterance-level profile (outside: ``1 - salience`` times).
_PEAK = 1.3
#: Ordinary prosodic prominence (a stressed word, any emotion), in profile units, at
#: salience 1: on every utterance's spans, so a neutral utterance has peaks too.
_PROMINENCE = np.array([dict(f0=2.0, range=1.5, rate=math.log(0.9), level=3.0, tilt=1.0,
                             oq=-0.02).get(k, 0.0) for k in _PROFILE_KEYS])
_RAMP = 0.1  # seconds: raised-cosine edges, inside the spans
#: The recording level is set for the peaks: every utterance is ``_HEADROOM * salience`` dB
#: softer, so that the loudest spans keep clear of the limiter as at salience 0.
_HEADROOM = 10.0
_GRID = 0.01  # seconds: the contours' knots
_SPAN_HEIGHT = (0.75, 1.25)  # each span's own strength, drawn uniformly
#: The vocal events of each emotion: (kind, probability given an event).
_EVENTS = {
    "hap": (("laugh", 0.7), ("breathy burst", 0.3)),
    "exc": (("laugh", 0.7), ("breathy burst", 0.3)),
    "sad": (("sigh", 0.5), ("creak", 0.5)),
    "fru": (("sigh", 1.0),),
    "ang": (("shout", 1.0),),
}
#: Length range (seconds) of each event, and whether it ends the utterance.
_EVENT_LENGTH = {"laugh": (0.4, 0.9), "breathy burst": (0.2, 0.4), "sigh": (0.5, 1.0),
                 "creak": (0.3, 0.6), "shout": (0.3, 0.8)}
_EVENT_AT_END = {"sigh", "creak"}
_TRACK_KEYS = ("f0", "f0_range", "level_db", "tilt", "open_quotient", "breathiness", "jitter",
               "rate", "aspiration")


def _plan_spans(rng, duration, n_spans, span_length, events, event_prob):
    """Where an utterance's salient spans and its vocal event (if any) lie.

    Returns a list of ``(start, end, height, kind)`` in time order, ``kind``
    ``"span"`` or an event name. The spans stay ``min(0.1, duration / 10)``
    seconds from both ends and cover at most 60 % of the rest (at least one
    span of the shortest length, or all of it if the utterance is shorter).
    """
    n = int(rng.integers(n_spans[0], n_spans[1] + 1))
    lengths = list(rng.uniform(span_length[0], span_length[1], n))
    heights = list(rng.uniform(*_SPAN_HEIGHT, n))
    kinds = ["span"] * n
    if events and rng.random() < event_prob:
        names, probs = zip(*events, strict=True)
        kind = names[int(rng.choice(len(names), p=np.array(probs) / sum(probs)))]
        lengths.insert(0, float(rng.uniform(*_EVENT_LENGTH[kind])))  # the event goes first
        heights.insert(0, 1.0)
        kinds.insert(0, kind)
    margin = min(0.1, 0.1 * duration)
    room = duration - 2.0 * margin
    cap = max(0.6 * room, min(span_length[0], room))
    keep, total = [], 0.0
    for i, length in enumerate(lengths):
        length = min(length, cap - total)
        if length < min(span_length[0], cap) - 1e-9 and keep:
            break
        keep.append(i)
        lengths[i] = length
        total += length
    lo, hi = margin, duration - margin
    out = []
    if kinds[keep[0]] in _EVENT_AT_END:  # a sigh or a creaky voice ends the utterance
        i = keep.pop(0)
        out.append((hi - lengths[i], hi, heights[i], kinds[i]))
        hi -= lengths[i]
        total -= lengths[i]
    order = [keep[j] for j in rng.permutation(len(keep))]
    cuts = np.sort(rng.uniform(0.0, max(hi - lo - total, 0.0), len(order)))
    start = lo
    for i, cut in zip(order, cuts, strict=True):
        out.append((start + cut, start + cut + lengths[i], heights[i], kinds[i]))
        start += lengths[i]
    return sorted(out)


def _box(t, start, end, ramp):
    """0 outside [start, end], rising to 1 inside it with raised-cosine edges of ``ramp`` s.

    The edges lie inside the span (at most half of it each), so outside it the
    voice is exactly the base one.
    """
    r = max(min(ramp, 0.5 * (end - start)), 1e-3)
    x = np.clip(np.minimum(t - start, end - t) / r, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _tracks_between(base, peak):
    """Contour offsets (VoiceContour units) that turn voice ``base`` into ``peak``."""
    return {
        "f0": 12.0 * math.log2(peak.f0 / base.f0),
        "f0_range": math.log(peak.f0_range / base.f0_range),
        "level_db": peak.level_db - base.level_db,
        "tilt": peak.tilt - base.tilt,
        "open_quotient": peak.open_quotient - base.open_quotient,
        "breathiness": peak.breathiness - base.breathiness,
        "jitter": math.log(peak.jitter / base.jitter),
        "rate": math.log(peak.rate / base.rate),
    }


def _add_event(tracks, t, kind, start, end, scale, rng):
    """Add a vocal event's changes (at ``scale``, 1 = full) to the contour ``tracks``."""
    def add(name, values):
        tracks[name] = tracks.get(name, 0.0) + scale * values

    if kind == "laugh":  # a speech-laugh: breathy, high, pulsed at 4-6 "ha" per second
        env = _box(t, start, end, 0.06)
        pulse = 0.5 + 0.5 * np.cos(2.0 * np.pi * rng.uniform(4.0, 6.0) * (t - start))
        add("f0", 5.0 * env)
        add("f0_range", math.log(1.5) * env)
        add("breathiness", 0.25 * env)
        add("open_quotient", 0.05 * env)
        add("level_db", env * (4.0 - 8.0 * (1.0 - pulse)))
        add("aspiration", 0.2 * env * (1.0 - pulse))
    elif kind == "breathy burst":  # an audible out-breath with a high, breathy voice
        env = _box(t, start, end, 0.05)
        add("aspiration", 0.3 * env)
        add("breathiness", 0.35 * env)
        add("f0", 3.0 * env)
        add("level_db", 1.0 * env)
    elif kind == "sigh":  # breathy, slower, falling in pitch and level, an exhalation
        env = _box(t, start, end, 0.15)
        fall = np.clip((t - start) / (end - start), 0.0, 1.0)
        add("f0", -4.0 * env * fall)
        add("level_db", -5.0 * env * fall)
        add("breathiness", 0.3 * env)
        add("aspiration", 0.1 * env)
        add("rate", math.log(0.8) * env)
    elif kind == "creak":  # creaky voice: very low, irregular, pressed
        env = _box(t, start, end, 0.1)
        add("f0", -9.0 * env)
        add("jitter", math.log(5.0) * env)
        add("open_quotient", -0.15 * env)
        add("level_db", -4.0 * env)
    elif kind == "shout":  # much louder, higher, brighter, tense
        env = _box(t, start, end, 0.08)
        add("level_db", 6.0 * env)
        add("f0", 5.0 * env)
        add("f0_range", math.log(1.3) * env)
        add("tilt", 4.0 * env)
        add("open_quotient", -0.12 * env)
        add("rate", math.log(0.9) * env)
    else:  # pragma: no cover - the tables above name every kind
        raise AssertionError(kind)


def _utterance_plan(rng, duration, key, n_spans, span_length, event_prob):
    """:func:`_plan_spans` for an utterance of emotion ``key`` (a neutral one has no event)."""
    events = _EVENTS.get(key, ()) if key != "neu" else ()
    return _plan_spans(rng, duration, n_spans, span_length, events, event_prob)


def _outside(plan, n):
    """The samples of an ``n``-sample utterance outside every span of ``plan``."""
    mask = np.ones(n, dtype=bool)
    for start, end, _, _ in plan:
        mask[int(start * SYNTH_RATE) : int(math.ceil(end * SYNTH_RATE))] = False
    return mask


def _salient_voice(speaker, delta, key, intensity, z, duration, salience, plan, event_scale, rng):
    """The voice of an utterance whose emotion sits in the salient spans of ``plan``.

    Returns the base :class:`VoiceParams` (the voice outside the spans), the
    :class:`VoiceContour` of the spans and events, and the ground truth: the
    ``(start, end)`` of every span and event of an emotional utterance, none
    for a neutral one (whose spans are ordinary prominence).
    """
    shift = intensity * delta
    base = _voice_params(speaker, (1.0 - salience) * shift, z)
    emotional = key != "neu"
    t = np.arange(0.0, duration + _GRID, _GRID)
    # every span (and event): the prominence of a stressed word plus the emotion at its peak
    peak = _voice_params(speaker, (1.0 - salience) * shift + salience * _PROMINENCE
                         + (salience * _PEAK) * shift, z)
    per_span = _tracks_between(base, peak)
    envelope = np.zeros_like(t)
    for start, end, height, _ in plan:  # a vocal event sits on a peak of its own
        envelope += height * _box(t, start, end, _RAMP)
    tracks = {name: amount * envelope for name, amount in per_span.items()}
    base = dataclasses.replace(base, level_db=base.level_db - _HEADROOM * salience)
    for start, end, _, kind in plan:
        if kind != "span":
            _add_event(tracks, t, kind, start, end, salience * event_scale, rng)
    contour = VoiceContour(t, **tracks)
    spans = [(round(float(s), 3), round(float(e), 3)) for s, e, _, _ in plan] if emotional else []
    return base, contour, spans
