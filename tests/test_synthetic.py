"""Tests of sklearn_maec.datasets.make_dialogue_corpus (the synthetic corpus generator)."""

import re

import numpy as np
import opensmile
import pandas as pd
import pytest
import soundfile as sf
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_maec.datasets import make_dialogue_corpus
from sklearn_maec.datasets._channel import apply_channel, resolve_domain
from sklearn_maec.datasets._profiles import _draw_speaker, _profile
from sklearn_maec.datasets._salience import _salient_voice, _utterance_plan
from sklearn_maec.datasets._synthetic import _peak_spans
from sklearn_maec.datasets._voice import SYNTH_RATE, VoiceContour, VoiceParams, synthesize

COLUMNS = ["audio", "sampling_rate", "dialogue", "speaker", "start", "end", "gender", "corpus",
           "session", "utterance_id", "salient_spans"]
SMALL = dict(duration_median=1.0, duration_range=(0.5, 2.0))
# a domain without room and noise: the synthesised speech as it is
CLEAN = {"rt60": None, "noise": None}


@pytest.fixture(scope="module")
def smile():
    return opensmile.Smile(
        feature_set=opensmile.FeatureSet.emobase,
        feature_level=opensmile.FeatureLevel.LowLevelDescriptors,
    )


@pytest.fixture(scope="module")
def corpus():
    return make_dialogue_corpus(n_dialogues=6, n_sessions=3, random_state=0, **SMALL)


@pytest.fixture(scope="module")
def balanced_corpus():
    """Independent, equiprobable emotions: for measuring the emotions' effects."""
    return make_dialogue_corpus(
        n_dialogues=16, n_sessions=4, turns_per_dialogue=8, inertia=0.0, contagion=0.0,
        emotion_weights=[1, 1, 1, 1], random_state=1, **SMALL,
    )


def frame_db(x, sr, step=0.01):
    """Energy (dB) of consecutive frames of ``step`` seconds."""
    hop = int(step * sr)
    m = x.size // hop
    return 10 * np.log10(np.mean(x[: m * hop].reshape(m, hop).astype(float) ** 2, axis=1) + 1e-14)


def audio_and_rate(X):
    return zip(X["audio"], X["sampling_rate"], strict=True)


def opensmile_f0(smile, x, sr):
    """Mean openSMILE F0 (Hz) over the frames it finds voiced."""
    f0 = smile.process_signal(x, sr)["F0_sma"].to_numpy()
    return float(f0[f0 > 0].mean())


# --------------------------------------------------------------------------- #
# output format
# --------------------------------------------------------------------------- #
def test_output_format(corpus):
    X, y = corpus
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == COLUMNS
    assert isinstance(X.index, pd.RangeIndex) and X.index.start == 0
    assert isinstance(y, np.ndarray) and y.dtype == object and y.shape == (len(X),)
    assert set(y) <= {"neu", "hap", "sad", "ang"}
    assert X["sampling_rate"].dtype == np.int64 and (X["sampling_rate"] == 16000).all()
    for col in ("dialogue", "speaker", "gender", "corpus", "session", "utterance_id"):
        assert all(isinstance(v, str) for v in X[col]), col
    assert X["start"].dtype == np.float64 and X["end"].dtype == np.float64
    columns = (X["audio"], X["sampling_rate"], X["start"], X["end"])
    for audio, sr, start, end in zip(*columns, strict=True):
        assert isinstance(audio, np.ndarray) and audio.dtype == np.float32 and audio.ndim == 1
        assert np.all(np.isfinite(audio)) and np.abs(audio).max() < 1.0
        assert np.abs(audio).max() > 0.01  # not silent
        assert end - start == pytest.approx(audio.size / sr)
        assert 0.5 - 1e-3 <= end - start <= 2.0 + 1e-3  # duration_range
    # ids: unique, prefixed with the corpus name
    assert X["utterance_id"].is_unique
    assert (X["corpus"] == "synthetic").all()
    for col in ("dialogue", "speaker", "session", "utterance_id"):
        assert X[col].str.startswith("synthetic_").all(), col
    assert set(X["gender"]) == {"F", "M"}
    assert X["dialogue"].nunique() == 6 and X["session"].nunique() == 3
    assert X.groupby("dialogue")["start"].count().between(6, 14).all()
    # the ground truth of the salient moments: sorted, disjoint (start, end) seconds within
    # the utterance; none for neutral turns, at least one for the others (default salience)
    for spans, label, start, end in zip(X["salient_spans"], y, X["start"], X["end"],
                                        strict=True):
        assert isinstance(spans, list)
        assert all(isinstance(p, tuple) and len(p) == 2 and all(type(v) is float for v in p)
                   for p in spans)
        assert (spans == []) == (label == "neu")
        flat = np.ravel(spans)
        assert np.all(np.diff(flat) >= 0)  # sorted and not overlapping
        assert flat.size == 0 or (flat[0] >= 0 and flat[-1] <= end - start)


def test_dialogue_order_and_timeline(corpus):
    X, _ = corpus
    # rows are in session, dialogue, turn order; dialogues are contiguous blocks
    assert list(X["utterance_id"]) == sorted(X["utterance_id"])
    blocks = (X["dialogue"] != X["dialogue"].shift()).cumsum()
    assert blocks.max() == X["dialogue"].nunique()
    for _, g in X.groupby("dialogue"):
        start, end = g["start"].to_numpy(), g["end"].to_numpy()
        assert start[0] >= 0
        gaps = start[1:] - end[:-1]
        assert np.all(gaps > 0.0) and np.all(gaps < 3.01)  # in order, no overlaps
        assert g["session"].nunique() == 1


def test_dyadic_sessions_have_one_female_and_one_male_speaker(corpus):
    X, _ = corpus
    for _, g in X.groupby("session"):
        cast = g.groupby("speaker")["gender"].first()
        assert sorted(cast) == ["F", "M"]
        assert g["speaker"].str.startswith(g["session"].iloc[0]).all()
    # each speaker belongs to one session and has one gender
    assert (X.groupby("speaker")[["session", "gender"]].nunique() == 1).all().all()
    # turn-taking alternates mostly (the same speaker goes on with probability 0.1)
    same = (X["speaker"] == X["speaker"].shift()) & (X["dialogue"] == X["dialogue"].shift())
    assert same.sum() < 0.3 * len(X)


def test_multi_party_casts():
    X, y = make_dialogue_corpus(
        n_dialogues=8, n_sessions=2, speakers_per_dialogue=3, turns_per_dialogue=(10, 12),
        emotions=("neutral", "joy", "sadness", "anger", "surprise"), domain="tv",
        corpus="meld-like", random_state=2, duration_median=0.6, duration_range=(0.3, 1.0),
    )
    assert set(y) <= {"neutral", "joy", "sadness", "anger", "surprise"} and len(set(y)) >= 3
    assert (X["corpus"] == "meld-like").all() and X["speaker"].str.startswith("meld-like_").all()
    for _, g in X.groupby("session"):
        assert g["speaker"].nunique() <= 4  # a cast of speakers_per_dialogue + 1
        assert set(g["gender"]) == {"F", "M"}
    assert X.groupby("session")["speaker"].nunique().max() == 4
    per_dialogue = X.groupby("dialogue")["speaker"].nunique()
    assert per_dialogue.max() == 3 and per_dialogue.min() >= 2
    # the next speaker is mostly another one
    same = (X["speaker"] == X["speaker"].shift()) & (X["dialogue"] == X["dialogue"].shift())
    assert 0 < same.sum() < 0.3 * len(X)


def test_n_sessions_larger_than_n_dialogues():
    X, _ = make_dialogue_corpus(n_dialogues=2, n_sessions=5, turns_per_dialogue=2,
                                random_state=0, **SMALL)
    assert X["session"].nunique() == 2 and X["dialogue"].nunique() == 2


def test_short_utterances_and_single_turn():
    X, y = make_dialogue_corpus(n_dialogues=3, n_sessions=1, turns_per_dialogue=1,
                                duration_median=0.05, duration_range=(0.02, 0.08), random_state=0)
    assert len(X) == 3 and len(y) == 3
    for audio in X["audio"]:
        assert 0.02 * 16000 - 1 <= audio.size <= 0.08 * 16000 + 1
        assert np.all(np.isfinite(audio)) and np.abs(audio).max() < 1.0


def test_extreme_settings_stay_in_range():
    X, _ = make_dialogue_corpus(n_dialogues=4, n_sessions=2, emotion_strength=4.0,
                                speaker_variability=3.0, domain="tv", random_state=5, **SMALL)
    for audio in X["audio"]:
        assert np.all(np.isfinite(audio)) and np.abs(audio).max() < 1.0


# --------------------------------------------------------------------------- #
# reproducibility
# --------------------------------------------------------------------------- #
def _assert_same(a, b):
    (Xa, ya), (Xb, yb) = a, b
    pd.testing.assert_frame_equal(Xa.drop(columns="audio"), Xb.drop(columns="audio"))
    np.testing.assert_array_equal(ya, yb)
    for u, v in zip(Xa["audio"], Xb["audio"], strict=True):
        assert u.dtype == v.dtype and np.array_equal(u, v)


def test_same_seed_gives_identical_corpus(corpus):
    _assert_same(corpus, make_dialogue_corpus(n_dialogues=6, n_sessions=3, random_state=0, **SMALL))


def test_different_seed_gives_different_corpus(corpus):
    X, y = corpus
    X2, y2 = make_dialogue_corpus(n_dialogues=6, n_sessions=3, random_state=1, **SMALL)
    assert len(X2) != len(X) or not np.array_equal(y, y2) or not np.allclose(
        X["start"], X2["start"])
    assert not np.array_equal(X["audio"][0][:8000], X2["audio"][0][:8000])


def test_generator_and_randomstate_seeds():
    kw = dict(n_dialogues=2, n_sessions=1, turns_per_dialogue=2, **SMALL)
    _assert_same(make_dialogue_corpus(random_state=np.random.default_rng(3), **kw),
                 make_dialogue_corpus(random_state=np.random.default_rng(3), **kw))
    _assert_same(make_dialogue_corpus(random_state=np.random.RandomState(3), **kw),
                 make_dialogue_corpus(random_state=np.random.RandomState(3), **kw))
    # None draws fresh entropy
    a, _ = make_dialogue_corpus(random_state=None, **kw)
    b, _ = make_dialogue_corpus(random_state=None, **kw)
    assert not np.array_equal(a["audio"][0][:4000], b["audio"][0][:4000])


def test_speech_does_not_depend_on_domain_but_on_corpus_name():
    kw = dict(n_dialogues=2, n_sessions=1, turns_per_dialogue=3, random_state=4, **SMALL)
    # 6 dB down from the first, which is itself 6 dB down: the salient spans' peaks stay
    # below the limiter's knee
    X1, y1 = make_dialogue_corpus(domain=dict(CLEAN, gain_db=-6.0), **kw)
    X2, y2 = make_dialogue_corpus(domain=dict(CLEAN, gain_db=-12.0), **kw)
    np.testing.assert_array_equal(y1, y2)
    pd.testing.assert_frame_equal(X1.drop(columns="audio"), X2.drop(columns="audio"))
    for a, b in zip(X1["audio"], X2["audio"], strict=True):
        linear = np.abs(a) < 0.35  # below the soft limiter's knee
        assert linear.mean() > 0.95
        np.testing.assert_allclose(b[linear], a[linear] * 10 ** (-6 / 20), atol=1e-3)
    X3, _ = make_dialogue_corpus(domain=CLEAN, corpus="other", **kw)
    assert not np.array_equal(X1["audio"][0][:4000], X3["audio"][0][:4000])


# --------------------------------------------------------------------------- #
# wav files and sampling rates
# --------------------------------------------------------------------------- #
def test_wav_round_trip(tmp_path):
    kw = dict(n_dialogues=2, n_sessions=1, turns_per_dialogue=2, random_state=6, **SMALL)
    directory = tmp_path / "new" / "dir"
    X, y = make_dialogue_corpus(directory=directory, **kw)
    X_mem, y_mem = make_dialogue_corpus(**kw)
    np.testing.assert_array_equal(y, y_mem)
    assert directory.is_dir()
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        f"{u}.wav" for u in X["utterance_id"])
    for path, audio, uid in zip(X["audio"], X_mem["audio"], X["utterance_id"], strict=True):
        assert isinstance(path, str) and path.endswith(f"{uid}.wav")
        info = sf.info(path)
        assert info.subtype == "PCM_16" and info.samplerate == 16000 and info.channels == 1
        data, sr = sf.read(path, dtype="float32")
        assert data.shape == audio.shape
        np.testing.assert_allclose(data, audio, atol=1.5 / 32768)


def test_telephone_wavs_are_8khz(tmp_path):
    X, _ = make_dialogue_corpus(n_dialogues=1, n_sessions=1, turns_per_dialogue=2,
                                domain="telephone", directory=str(tmp_path), random_state=0,
                                **SMALL)
    assert (X["sampling_rate"] == 8000).all()
    for path, start, end in zip(X["audio"], X["start"], X["end"], strict=True):
        data, sr = sf.read(path)
        assert sr == 8000 and data.size / sr == pytest.approx(end - start)


def test_explicit_sampling_rate_resamples():
    kw = dict(n_dialogues=1, n_sessions=1, turns_per_dialogue=2, random_state=0, **SMALL)
    X16, _ = make_dialogue_corpus(**kw)
    X22, _ = make_dialogue_corpus(sampling_rate=22050, **kw)
    assert (X22["sampling_rate"] == 22050).all()
    for a, b in zip(X16["audio"], X22["audio"], strict=True):
        assert b.size == pytest.approx(a.size * 22050 / 16000, abs=2)
        assert b.dtype == np.float32 and np.abs(b).max() < 1.0


# --------------------------------------------------------------------------- #
# domains
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def domain_corpora():
    kw = dict(n_dialogues=3, n_sessions=1, turns_per_dialogue=4, duration_median=1.5,
              duration_range=(1.0, 2.5), random_state=7, sampling_rate=16000)
    out = {"clean": make_dialogue_corpus(domain=CLEAN, **kw)[0]}
    for name in ("studio", "telephone", "noisy", "reverberant", "tv"):
        out[name] = make_dialogue_corpus(domain=name, **kw)[0]
    return out


def test_telephone_band_limited(domain_corpora):
    def share_above_4k(X):
        ratios = []
        for x in X["audio"]:
            power = np.abs(np.fft.rfft(x)) ** 2
            freqs = np.fft.rfftfreq(x.size, 1 / 16000)
            ratios.append(10 * np.log10(power[freqs > 4000].sum() / power.sum()))
        return np.mean(ratios)

    studio = share_above_4k(domain_corpora["studio"])
    phone = share_above_4k(domain_corpora["telephone"])
    assert phone < -40 and phone < studio - 15
    # and little energy below the 300 Hz band edge (the speech has its F0 there)
    low = []
    for x in domain_corpora["telephone"]["audio"]:
        power = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(x.size, 1 / 16000)
        low.append(power[(freqs > 60) & (freqs < 200)].sum() / power.sum())
    assert np.mean(low) < 0.05


def _pause_floor(clean, other):
    """Median energy (dB re the loudest frame) of ``other`` where ``clean`` is silent."""
    floors = []
    for xc, xd in zip(clean["audio"], other["audio"], strict=True):
        ec, ed = frame_db(xc, 16000), frame_db(xd, 16000)
        silent = ec < ec.max() - 70
        if silent.any():
            floors.append(np.median(ed[silent]) - ed.max())
    return np.mean(floors)


def test_noisy_domain_has_a_higher_noise_floor(domain_corpora):
    studio = _pause_floor(domain_corpora["clean"], domain_corpora["studio"])
    noisy = _pause_floor(domain_corpora["clean"], domain_corpora["noisy"])
    tv = _pause_floor(domain_corpora["clean"], domain_corpora["tv"])
    assert studio < -40
    assert noisy > studio + 15  # 5-15 dB SNR
    assert tv > studio + 10  # music and laughter in the background


def _decay_after_offsets(clean, other):
    """Energy 50 and 150 ms after the end of speech, re the last speech frame (dB)."""
    d50, d150 = [], []
    for xc, xd in zip(clean["audio"], other["audio"], strict=True):
        ec, ed = frame_db(xc, 16000), frame_db(xd, 16000)
        top = ec.max()
        for i in range(1, ec.size - 21):
            if ec[i] > top - 25 and np.all(ec[i + 3 : i + 21] < top - 45):
                d50.append(ed[i + 5] - ed[i])
                d150.append(ed[i + 15] - ed[i])
    assert len(d50) >= 5
    return np.mean(d50), np.mean(d150)


def test_reverberant_domain_decays_slowly(domain_corpora):
    studio50, _ = _decay_after_offsets(domain_corpora["clean"], domain_corpora["studio"])
    rev50, rev150 = _decay_after_offsets(domain_corpora["clean"], domain_corpora["reverberant"])
    assert rev50 > studio50 + 8  # the room keeps sounding after the speech stops
    assert rev150 < rev50 - 4  # ... and fades away (a noise floor would not)


def test_channel_room_impulse_response_rt60():
    """On a noise burst, the energy decay follows the drawn RT60."""
    burst = np.zeros(3 * 16000, dtype=np.float32)
    burst[:8000] = np.random.default_rng(0).standard_normal(8000) * 0.1
    settings = resolve_domain(dict(CLEAN, rt60=0.8, drr_db=-2.0))
    y, sr = apply_channel(burst, 16000, settings, np.random.default_rng(1))
    e = frame_db(y, sr)
    slope = (e[50 + 40] - e[50 + 10]) / 0.3  # dB per second, 100-400 ms after the offset
    assert -60 / 0.8 * 1.4 < slope < -60 / 0.8 * 0.6
    y_dry, _ = apply_channel(burst, 16000, resolve_domain(CLEAN), np.random.default_rng(1))
    assert np.all(y_dry[8000:] == 0)


def test_domains_differ_in_level_and_rate(domain_corpora):
    def level(X):
        return np.mean([10 * np.log10(np.mean(x.astype(float) ** 2)) for x in X["audio"]])

    assert level(domain_corpora["telephone"]) < level(domain_corpora["studio"]) - 3
    X, _ = make_dialogue_corpus(n_dialogues=1, n_sessions=1, turns_per_dialogue=1,
                                domain="telephone", random_state=0, **SMALL)
    assert int(X["sampling_rate"].iloc[0]) == 8000


def test_custom_domain_dict():
    X, _ = make_dialogue_corpus(
        n_dialogues=1, n_sessions=1, turns_per_dialogue=2, random_state=0,
        domain={"base": "telephone", "sampling_rate": 11025, "codec": None, "noise": ("white",)},
        **SMALL,
    )
    assert (X["sampling_rate"] == 11025).all()


# --------------------------------------------------------------------------- #
# acoustics: source-filter synthesis as openSMILE sees it
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "params",
    [VoiceParams(f0=210.0, formant_scale=1.15, open_quotient=0.65),
     VoiceParams(f0=120.0, formant_scale=0.98)],
    ids=["female", "male"],
)
def test_opensmile_tracks_the_synthetic_voice(smile, params):
    x, info = synthesize(params, 3.0, np.random.default_rng(0), return_info=True)
    lld = smile.process_signal(x, SYNTH_RATE)
    f0, vp, zcr = (lld[c].to_numpy() for c in ("F0_sma", "voiceProb_sma", "pcm_zcr_sma"))
    centre = np.minimum(np.arange(f0.size) * 160 + 320, x.size - 1)  # 40 ms frames, 10 ms step
    voiced = np.array([info["voiced"][max(c - 320, 0) : c + 320].min() for c in centre]) > 0.3
    unvoiced_noise = (info["voiced"][centre] < 0.01) & (info["noise"][centre] > 0.05)
    pause = (info["voiced"][centre] < 0.01) & (info["noise"][centre] < 0.003)
    assert voiced.sum() > 50 and unvoiced_noise.sum() > 5 and pause.sum() > 5
    # F0_sma follows the F0 we synthesised in the voiced frames
    tracked = voiced & (f0 > 0)
    assert tracked.sum() > 0.9 * voiced.sum()
    err = np.abs(f0[tracked] / info["f0"][centre][tracked] - 1)
    assert np.median(err) < 0.05 and np.mean(err < 0.15) > 0.85
    # voicing probability: high in vowels, low in pauses and noise
    assert vp[voiced].mean() > 0.65
    assert vp[pause].mean() < vp[voiced].mean() - 0.3
    assert vp[unvoiced_noise].mean() < vp[voiced].mean() - 0.2
    # zero-crossing rate: higher on the unvoiced consonants
    assert zcr[unvoiced_noise].mean() > 2 * zcr[voiced].mean()


def test_gender_sets_f0(smile, balanced_corpus):
    X, _ = balanced_corpus
    f0 = np.array([opensmile_f0(smile, a, sr) for a, sr in audio_and_rate(X)])
    female, male = f0[X["gender"] == "F"].mean(), f0[X["gender"] == "M"].mean()
    assert female > 1.4 * male
    assert 150 < female < 300 and 90 < male < 170


def test_emotions_change_loudness_and_pitch(smile, balanced_corpus):
    X, y = balanced_corpus
    rms = np.array([10 * np.log10(np.mean(a.astype(float) ** 2)) for a in X["audio"]])
    assert rms[y == "ang"].mean() > rms[y == "sad"].mean() + 6
    assert rms[y == "ang"].mean() > rms[y == "neu"].mean() + 3
    # F0 relative to the speaker's mean (the speakers differ far more than the emotions)
    log_f0 = np.log([opensmile_f0(smile, a, sr) for a, sr in audio_and_rate(X)])
    rel = log_f0 - pd.Series(log_f0).groupby(X["speaker"].to_numpy()).transform("mean").to_numpy()
    semitones = 12 / np.log(2) * rel
    assert semitones[y == "hap"].mean() > semitones[y == "sad"].mean() + 2.5
    assert semitones[y == "hap"].mean() > semitones[y == "neu"].mean() + 1


def test_emotion_strength_zero_removes_the_effect():
    # 256 utterances: the spans' ordinary prominence varies the level of every class alike
    X, y = make_dialogue_corpus(n_dialogues=32, n_sessions=8, turns_per_dialogue=8, inertia=0.0,
                                contagion=0.0, emotion_weights=[1, 1, 1, 1], emotion_strength=0.0,
                                random_state=1, duration_median=0.5, duration_range=(0.3, 0.8))
    rms = np.array([10 * np.log10(np.mean(a.astype(float) ** 2)) for a in X["audio"]])
    means = [rms[y == e].mean() for e in ("neu", "hap", "sad", "ang")]
    assert max(means) - min(means) < 3


def test_intensity_spread_makes_some_turns_barely_expressive():
    def angry_loudness_spread(spread):
        X, y = make_dialogue_corpus(n_dialogues=8, n_sessions=1, turns_per_dialogue=8,
                                    emotion_weights=[1, 0, 0, 1], speaker_variability=0.0,
                                    intensity_spread=spread, random_state=2,
                                    duration_median=0.5, duration_range=(0.3, 0.8))
        rms = np.array([10 * np.log10(np.mean(a.astype(float) ** 2)) for a in X["audio"]])
        rel = rms - rms[y == "neu"].mean()
        return rel[y == "ang"].std(), rel[y == "ang"].min()

    steady, steady_min = angry_loudness_spread(0.0)
    varied, varied_min = angry_loudness_spread(1.0)
    assert varied > steady + 1.5, (steady, varied)  # dB
    # with the large spread some angry turns sound hardly louder than neutral ones
    assert varied_min < steady_min - 2


# --------------------------------------------------------------------------- #
# emotion dynamics
# --------------------------------------------------------------------------- #
def _context_agreement(X, y):
    """How often the current emotion equals the speaker's previous one / the interlocutor's."""
    own, other = [], []
    for _, g in X.groupby("dialogue", sort=False):
        spk, emo = g["speaker"].to_numpy(), y[g.index.to_numpy()]
        for t in range(len(g)):
            prev = [i for i in range(t) if spk[i] == spk[t]]
            inter = [i for i in range(t) if spk[i] != spk[t]]
            if prev:
                own.append(emo[prev[-1]] == emo[t])
            if inter:
                other.append(emo[inter[-1]] == emo[t])
    return np.mean(own), np.mean(other)


TINY = dict(n_dialogues=30, n_sessions=5, turns_per_dialogue=10, duration_median=0.2,
            duration_range=(0.15, 0.25))


def test_inertia_and_contagion_carry_context():
    chance = 0.3**2 + 0.3**2 + 0.2**2 + 0.2**2  # agreement of two independent prior draws
    X, y = make_dialogue_corpus(inertia=0.0, contagion=0.0, random_state=0, **TINY)
    own0, other0 = _context_agreement(X, y)
    assert abs(own0 - chance) < 0.1 and abs(other0 - chance) < 0.1
    X, y = make_dialogue_corpus(inertia=0.9, contagion=0.0, random_state=0, **TINY)
    own, _ = _context_agreement(X, y)
    assert own > 0.85 and own > own0 + 0.5  # the previous turn predicts the current one
    X, y = make_dialogue_corpus(inertia=0.0, contagion=0.9, random_state=0, **TINY)
    _, other = _context_agreement(X, y)
    assert other > 0.85 and other > other0 + 0.5
    # marginal distribution stays the prior
    assert abs(np.mean(y == "neu") - 0.3) < 0.1


def test_emotion_process_extremes():
    # inertia=1: every speaker keeps the emotion of their first turn
    X, y = make_dialogue_corpus(inertia=1.0, contagion=0.0, random_state=1, **TINY)
    keyed = pd.DataFrame({"d": X["dialogue"], "s": X["speaker"], "e": y})
    assert (keyed.groupby(["d", "s"])["e"].nunique() == 1).all()
    # contagion=1: every turn takes up the emotion of the latest other speaker's turn
    X, y = make_dialogue_corpus(inertia=0.0, contagion=1.0, random_state=1, **TINY)
    copied = 0
    for _, g in X.groupby("dialogue"):
        spk, emo = g["speaker"].to_numpy(), y[g.index.to_numpy()]
        for t in range(len(g)):
            inter = [i for i in range(t) if spk[i] != spk[t]]
            if inter:
                assert emo[t] == emo[inter[-1]]
                copied += 1
    assert copied > 0.8 * len(X)
    # a degenerate prior
    _, y = make_dialogue_corpus(emotion_weights=[0, 0, 1, 0], random_state=1, **TINY)
    assert set(y) == {"sad"}


# --------------------------------------------------------------------------- #
# hard but learnable
# --------------------------------------------------------------------------- #
def cheap_features(audio, sr):
    """RMS, loudness, crude ACF F0 (median, range), spectral centroid, duration, activity."""
    x = np.asarray(audio, dtype=np.float64)
    frame, hop = int(0.04 * sr), int(0.01 * sr)
    n = 1 + max(0, (x.size - frame) // hop)
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    frames = x[np.minimum(idx, x.size - 1)] * np.hanning(frame)
    energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    active = energy > energy.max() - 25
    spec = np.abs(np.fft.rfft(frames, 2 * frame, axis=1)) ** 2
    acf = np.fft.irfft(spec, axis=1)[:, :frame]
    lo, hi = int(sr / 450), int(sr / 60)
    lag = lo + np.argmax(acf[:, lo:hi], axis=1)
    voiced = active & (acf[np.arange(n), lag] > 0.5 * acf[:, 0])
    log_f0 = np.log(sr / lag[voiced if voiced.any() else active])
    freqs = np.fft.rfftfreq(2 * frame, 1 / sr)
    centroid = (spec[active] @ freqs) / (spec[active].sum(axis=1) + 1e-12)
    return [10 * np.log10(np.mean(x**2) + 1e-12), np.percentile(energy, 90), np.median(log_f0),
            np.percentile(log_f0, 90) - np.percentile(log_f0, 10), np.mean(centroid),
            x.size / sr, np.mean(active)]


def test_hard_but_learnable():
    # many short utterances of 20 speakers: the score varies little with the seed (0.47-0.56)
    X, y = make_dialogue_corpus(n_dialogues=40, n_sessions=10, turns_per_dialogue=(6, 10),
                                duration_median=0.8, duration_range=(0.4, 1.5), random_state=0)
    features = np.array([cheap_features(a, sr) for a, sr in audio_and_rate(X)])
    cv, groups = LeaveOneGroupOut(), X["session"]  # held-out sessions (= speakers)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    ua = balanced_accuracy_score(y, cross_val_predict(model, features, y, groups=groups, cv=cv))
    majority = balanced_accuracy_score(
        y, cross_val_predict(DummyClassifier(), features, y, groups=groups, cv=cv))
    assert majority <= 0.25 + 1e-9  # (the majority class of the training folds)
    assert 0.4 < ua < 0.9, ua  # clearly above chance (0.25), far from separable
    assert ua > majority + 0.15


# --------------------------------------------------------------------------- #
# within-utterance dynamics: salient spans, prominence, vocal events
# --------------------------------------------------------------------------- #
def test_salience_zero_is_the_global_shift_and_keeps_the_rest_of_the_corpus():
    kw = dict(n_dialogues=3, n_sessions=1, turns_per_dialogue=4, random_state=8, **SMALL)
    X0, y0 = make_dialogue_corpus(salience=0.0, **kw)
    assert all(spans == [] for spans in X0["salient_spans"])
    # at 0 the span settings play no part: no span is drawn, no contour applied
    X0b, _ = make_dialogue_corpus(salience=0.0, salient_spans=(2, 4), salient_duration=(0.1, 0.2),
                                  vocal_events=1.0, **kw)
    _assert_same((X0, y0), (X0b, y0))
    # the dynamics draw from streams of their own: labels, durations, timeline, speakers stay
    X1, y1 = make_dialogue_corpus(salience=1.0, **kw)
    np.testing.assert_array_equal(y0, y1)
    pd.testing.assert_frame_equal(X0.drop(columns=["audio", "salient_spans"]),
                                  X1.drop(columns=["audio", "salient_spans"]))
    assert any(spans for spans in X1["salient_spans"])
    assert not np.array_equal(X0["audio"][1], X1["audio"][1])


def test_salient_spans_follow_the_settings():
    kw = dict(n_dialogues=4, n_sessions=2, turns_per_dialogue=8, duration_median=6.0,
              duration_range=(5.0, 8.0), emotion_weights=[0, 1, 1, 1], random_state=3)
    X, y = make_dialogue_corpus(salience=1.0, salient_spans=(2, 3), salient_duration=(0.4, 0.6),
                                vocal_events=0.0, **kw)
    counts = np.array([len(spans) for spans in X["salient_spans"]])
    assert set(counts) == {2, 3}  # long utterances: every drawn span fits
    lengths = np.array([e - s for spans in X["salient_spans"] for s, e in spans])
    assert lengths.min() >= 0.4 - 1e-3 and lengths.max() <= 0.6 + 1e-3
    # every vocal event is one more span (5 s or more leave room for it)
    Xe, ye = make_dialogue_corpus(salience=1.0, salient_spans=(2, 3), salient_duration=(0.4, 0.6),
                                  vocal_events=1.0, **kw)
    assert np.array_equal([len(spans) for spans in Xe["salient_spans"]], counts + 1)
    # short utterances: the spans fit in the utterance, at least one each
    Xs, ys = make_dialogue_corpus(salience=1.0, n_dialogues=4, n_sessions=2, turns_per_dialogue=6,
                                  emotion_weights=[0, 1, 1, 1], duration_median=0.4,
                                  duration_range=(0.2, 0.6), random_state=3)
    for spans, start, end in zip(Xs["salient_spans"], Xs["start"], Xs["end"], strict=True):
        covered = sum(e - s for s, e in spans)
        assert spans and 0 < covered <= end - start
        assert spans[0][0] >= 0 and spans[-1][1] <= end - start


def test_peak_spans_are_the_salient_spans_plus_neutral_prominence():
    kw = dict(n_dialogues=3, n_sessions=1, turns_per_dialogue=6, intensity_spread=1.0,
              random_state=5, **SMALL)
    X, y = make_dialogue_corpus(**kw)
    peaks = _peak_spans(X, y, random_state=5, intensity_spread=1.0)
    for label, listed, peak in zip(y, X["salient_spans"], peaks, strict=True):
        assert peak  # every utterance has its peaks ...
        assert listed == ([] if label == "neu" else peak)  # ... listed unless neutral


def _frame_descriptors(smile, X, spans):
    """Per row: openSMILE's F0 (semitones, NaN where unvoiced) and the level (dB) of every
    10 ms frame, and which frames lie inside the row's spans."""
    out = []
    for audio, sr, row in zip(X["audio"], X["sampling_rate"], spans, strict=True):
        f0 = smile.process_signal(audio, sr)["F0_sma"].to_numpy()
        level = frame_db(audio, sr)
        n = min(f0.size, level.size)
        centre = (np.arange(n) + 0.5) * 0.01
        inside = np.zeros(n, dtype=bool)
        for start, end in row:
            inside |= (centre >= start) & (centre < end)
        st = np.where(f0[:n] > 0, 12 * np.log2(np.maximum(f0[:n], 1.0)), np.nan)
        out.append((st, level[:n], inside))
    return out


def _mean_in_out(rows, select=None):
    """Per row: (F0, level) inside minus outside and (F0, level) outside, over voiced frames.

    The F0 is a median (robust to the tracker's octave errors), the level a mean.
    ``select`` (per row, a frame mask) narrows the frames; fewer than 5 give NaN.
    """
    out = []
    for i, (st, level, inside) in enumerate(rows):
        use = ~np.isnan(st) if select is None else select[i] & ~np.isnan(st)
        rin, rout = use & inside, use & ~inside
        stats = [np.nan] * 4
        if rout.sum() >= 5:
            stats[2:] = np.median(st[rout]), level[rout].mean()
            if rin.sum() >= 5:
                stats[:2] = np.median(st[rin]) - stats[2], level[rin].mean() - stats[3]
        out.append(stats)
    return np.array(out)


@pytest.fixture(scope="module")
def salient_corpora(smile):
    """One balanced, clean corpus at salience 0, 0.5 and 1, measured (no vocal events).

    Per salience: ``y``, :func:`_frame_descriptors` over the rows' peaks (the
    neutral ones' prominence included; at 0 the peaks of salience 1, which are
    not acoustic there) and the speakers. The three share every draw but the
    dynamics' (speakers, intensities, per-utterance variation, durations), so
    an utterance can be compared with itself across them, frame by frame.
    """
    kw = dict(n_dialogues=12, n_sessions=2, turns_per_dialogue=8, inertia=0.0, contagion=0.0,
              emotion_weights=[1, 1, 1, 1], duration_median=1.6, duration_range=(1.2, 2.2),
              vocal_events=0.0, domain=CLEAN, random_state=11)
    out = {}
    for salience in (0.0, 0.5, 1.0):
        X, y = make_dialogue_corpus(salience=salience, **kw)
        if salience == 0:
            peaks = _peak_spans(X, y, random_state=11, vocal_events=0.0)  # same for all
        out[salience] = y, _frame_descriptors(smile, X, peaks), X["speaker"].to_numpy()
    return out


def test_descriptors_differ_inside_and_outside_the_spans_as_set(salient_corpora):
    contrast = {}
    for salience in (0.5, 1.0):
        y, rows, _ = salient_corpora[salience]
        d = _mean_in_out(rows)
        contrast[salience] = {e: np.nanmean(d[y == e, :2], axis=0)
                              for e in ("neu", "hap", "sad", "ang")}
    c = contrast[1.0]
    # neutral peaks: ordinary prominence (a little higher and louder); the emotions' peaks
    # move the voice the emotion's way, further than prominence does
    assert 0.5 < c["neu"][0] < 4 and 1 < c["neu"][1] < 8
    assert c["ang"][1] > c["neu"][1] + 5  # angry: much louder (dB)
    assert c["hap"][0] > c["neu"][0] + 2  # happy: higher (semitones)
    assert c["sad"][0] < c["neu"][0] - 1.5 and c["sad"][1] < c["neu"][1] - 4  # sad: low, soft
    # less salience, less contrast: at 0.5 the emotion is half outside the spans (the level
    # contrast of angry peaks grows less than in proportion: openSMILE's loudness is not
    # linear in dB, and the loudest peaks reach the recording's soft limiter)
    h = contrast[0.5]
    assert h["ang"][1] - h["neu"][1] < c["ang"][1] - c["neu"][1]
    assert h["sad"][1] - h["neu"][1] > c["sad"][1] - c["neu"][1] + 2


def test_outside_the_spans_the_emotion_fades_with_salience(salient_corpora):
    y, _, speaker = salient_corpora[0.0]
    # each utterance against itself, at 0.5 and at 1, on the frames voiced in both
    voiced = [~np.isnan(salient_corpora[0.5][1][i][0]) & ~np.isnan(salient_corpora[1.0][1][i][0])
              for i in range(len(y))]
    half, full = (_mean_in_out(salient_corpora[s][1], voiced)[:, 2:] for s in (0.5, 1.0))
    gone = {e: np.nanmean((half - full)[y == e], axis=0) for e in ("neu", "hap", "sad", "ang")}
    # a neutral turn's voice outside its peaks keeps its pitch; it is 5 dB softer at 1 than
    # at 0.5 (the recording headroom: 10 dB x salience)
    assert abs(gone["neu"][0]) < 0.3 and abs(gone["neu"][1] - 5.0) < 1.0
    # an emotional one's loses, besides, the half of the emotion's effect it kept at 0.5:
    # angry +7 dB / +2 st, happy +3 st / +4 dB, sad -2 st / -5 dB (times the intensity)
    effect = {e: gone[e] - gone["neu"] for e in ("hap", "sad", "ang")}
    assert effect["ang"][1] > 1.5 and effect["ang"][0] > 0.3 and effect["hap"][0] > 0.5
    assert effect["sad"][0] < -0.5 and effect["sad"][1] < -0.5
    assert effect["ang"][1] > effect["hap"][1] > 0 > effect["sad"][1]
    # at 1 nothing of it is left: outside their spans, the emotional turns sound like the
    # speaker's neutral turns outside their peaks (the per-turn variation is +-2 dB, 0.8 st)
    neutral = pd.DataFrame(full[y == "neu"]).groupby(speaker[y == "neu"]).mean()
    rel = full - neutral.loc[speaker].to_numpy()  # re the speaker's neutral turns
    for e in ("hap", "sad", "ang"):
        assert np.all(np.abs(np.nanmean(rel[y == e], axis=0)) < [1.0, 2.0]), (e, rel[y == e])


def test_contour_is_smooth_and_zero_outside_the_spans():
    speaker = _draw_speaker("F", 1.0, np.random.default_rng(0))
    z = np.random.default_rng(1).standard_normal(9)
    delta, key = _profile("ang")
    plan = [(0.5, 1.1, 1.0, "span"), (1.6, 2.1, 1.0, "shout")]
    base, contour, spans = _salient_voice(speaker, delta, key, 1.0, z, 2.5, 1.0, plan, 1.0,
                                          np.random.default_rng(2))
    assert spans == [(0.5, 1.1), (1.6, 2.1)]
    t = contour.times
    outside = (t <= 0.5) | ((t >= 1.1) & (t <= 1.6)) | (t >= 2.1)
    assert contour.unchanged(t[outside & (np.abs(t - 0.5) > 0.011) & (np.abs(t - 1.1) > 0.011)
                               & (np.abs(t - 1.6) > 0.011) & (np.abs(t - 2.1) > 0.011)]).all()
    assert not contour.unchanged(np.array([0.8, 1.85])).any()
    for name in ("f0", "level_db", "tilt", "open_quotient"):
        track = getattr(contour, name)
        assert np.all(track[outside] == 0), name
        peak = np.abs(track).max()
        assert peak > 0, name
        # raised-cosine edges over >= 50 ms: no step between 10 ms knots above 1/3 of the peak
        assert np.abs(np.diff(track)).max() <= peak / 3 + 1e-9, name
    # the shout on top of the angry span: louder still
    level = contour.at("level_db", np.array([0.8, 1.85]))
    assert level[1] > level[0] + 4


@pytest.mark.parametrize(
    "emotion, kinds",
    [("hap", {"laugh", "breathy burst"}), ("sad", {"sigh", "creak"}), ("ang", {"shout"}),
     ("neu", set())],
)
def test_vocal_events_by_emotion(emotion, kinds):
    key = _profile(emotion)[1]
    seen = set()
    for seed in range(40):
        plan = _utterance_plan(np.random.default_rng(seed), 3.0, key, (1, 2), (0.3, 1.5), 1.0)
        events = [(s, e, k) for s, e, _, k in plan if k != "span"]
        assert len(events) == (0 if emotion == "neu" else 1)
        for _, end, kind in events:
            seen.add(kind)
            if kind in ("sigh", "creak"):  # they end the utterance
                assert end == pytest.approx(3.0 - 0.1)
        none = _utterance_plan(np.random.default_rng(seed), 3.0, key, (1, 2), (0.3, 1.5), 0.0)
        assert all(k == "span" for *_, k in none)
    assert seen == kinds


def test_vocal_events_sound_as_described():
    speaker = _draw_speaker("M", 1.0, np.random.default_rng(0))
    z = np.zeros(9)

    def voice(emotion, kind, start, end, duration=3.0):
        delta, key = _profile(emotion)
        base, contour, _ = _salient_voice(speaker, delta, key, 1.0, z, duration, 1.0,
                                          [(start, end, 1.0, kind)], 1.0,
                                          np.random.default_rng(3))
        x, info = synthesize(base, duration, np.random.default_rng(4), contour=contour,
                             return_info=True)
        return base, contour, x, info

    # creaky end: F0 far below the speaker's, irregular
    base, contour, _, info = voice("sad", "creak", 2.4, 2.9)
    t = np.arange(info["f0"].size) / SYNTH_RATE
    voiced = info["voiced"] > 0.5
    creak = voiced & (t > 2.55) & (t < 2.75)
    assert creak.sum() > 0.02 * SYNTH_RATE
    assert np.median(info["f0"][creak]) < base.f0 * 2 ** (-6 / 12)
    assert contour.at("jitter", np.array([2.65]))[0] > 1.0  # jitter x e
    # a laugh: the level pulses (several dips of >= 5 dB) over breathy, high voice
    _, contour, _, _ = voice("hap", "laugh", 1.0, 1.8)
    inner = (contour.times > 1.1) & (contour.times < 1.7)
    level = contour.level_db[inner]
    dips = np.flatnonzero((level[1:-1] < level[:-2]) & (level[1:-1] <= level[2:]))
    assert len(dips) >= 2 and level.max() - level.min() > 5
    assert contour.aspiration[inner].max() > 0.1 and contour.breathiness[inner].min() > 0.1
    # a shout: much louder and brighter, and the audio follows
    base, contour, x, _ = voice("ang", "shout", 1.0, 1.6)
    assert contour.at("level_db", np.array([1.3]))[0] > 6
    assert contour.at("tilt", np.array([1.3]))[0] > 2
    e = frame_db(x, SYNTH_RATE)
    assert np.percentile(e[105:155], 90) > np.percentile(e[np.r_[20:95, 170:280]], 90) + 5
    # a sigh: a falling, breathy stretch with breath noise at the end
    _, contour, _, _ = voice("sad", "sigh", 2.1, 2.9)
    f0 = contour.at("f0", np.array([2.3, 2.8]))
    assert f0[1] < f0[0] - 1 and contour.at("aspiration", np.array([2.5]))[0] > 0.03


def test_synthesize_applies_every_contour_track():
    p = VoiceParams()
    rng = np.random.default_rng
    t = np.arange(0.0, 2.01, 0.01)
    env = np.clip(np.minimum(t - 0.8, 1.6 - t) / 0.1, 0, 1)  # 0.8-1.6 s, 0.1 s ramps
    x0, i0 = synthesize(p, 2.0, rng(0), return_info=True)
    x_none = synthesize(p, 2.0, rng(0), contour=None)
    assert np.array_equal(x0, x_none)  # no contour: the constant voice, bit for bit
    ts = np.arange(x0.size) / SYNTH_RATE
    core = (ts > 0.95) & (ts < 1.45)
    rest = (ts < 0.7) | (ts > 1.7)
    # F0: the contour's offset inside, the F0 without the contour outside
    i1 = synthesize(p, 2.0, rng(0), contour=VoiceContour(t, f0=4.0 * env), return_info=True)[1]
    shift = 12 * np.log2(i1["f0"] / i0["f0"])
    np.testing.assert_allclose(shift[rest], 0.0, atol=1e-9)
    np.testing.assert_allclose(shift[core], 4.0, atol=1e-6)
    # level: 10 dB up inside, the same waveform outside (against a contour that changes the
    # same stretch by 0.01 dB, so that both centre F0 and normalise on the same samples)
    xr = synthesize(p, 2.0, rng(0), contour=VoiceContour(t, level_db=0.01 * env))
    x1 = synthesize(p, 2.0, rng(0), contour=VoiceContour(t, level_db=10.0 * env))
    np.testing.assert_allclose(x1[rest], xr[rest], atol=1e-6)
    ratio = np.sqrt(np.mean(x1[core] ** 2) / np.mean(xr[core] ** 2))
    assert 20 * np.log10(ratio) == pytest.approx(10.0 - 0.01, abs=1e-3)
    # rate: faster syllables inside the span
    fast = synthesize(p, 2.0, rng(0), contour=VoiceContour(t, rate=np.log(1.6) * env),
                      return_info=True)[1]["layout"]
    mid = 0.5 * (fast["onset"] + fast["end"])
    inside = (mid > 0.85) & (mid < 1.55)
    outside = (mid < 0.75) | (mid > 1.65)
    syl = fast["end"] - fast["onset"]
    assert syl[inside].mean() < 0.8 * syl[outside].mean()
    # tilt, open quotient, breathiness, jitter, aspiration: each changes the audio inside,
    # not before the span (against a contour 100 times smaller, normalised on the same samples)
    for name, amount in [("tilt", 4.0), ("open_quotient", -0.15), ("breathiness", 0.3),
                         ("jitter", 1.5), ("aspiration", 0.2)]:
        xc = synthesize(p, 2.0, rng(0), contour=VoiceContour(t, **{name: amount * env}))
        xr = synthesize(p, 2.0, rng(0), contour=VoiceContour(t, **{name: 0.01 * amount * env}))
        diff = np.abs(xc - xr)
        assert diff[core].max() > 0.05 * np.abs(xr).max(), name
        assert diff[ts < 0.7].max() < 0.01 * np.abs(xr).max(), name
    with pytest.raises(ValueError, match="VoiceContour.f0 must be finite, one value per time"):
        VoiceContour(t, f0=np.zeros(3))
    with pytest.raises(ValueError, match="VoiceContour.times must be a non-empty increasing"):
        VoiceContour(np.array([0.0, 0.0]))


def test_oracle_pooling_the_spans_beats_pooling_everything():
    """There is something for attention to find: the spans' frames classify better than all."""
    X, y = make_dialogue_corpus(n_dialogues=40, n_sessions=10, turns_per_dialogue=(6, 10),
                                inertia=0.0, contagion=0.0, emotion_weights=[1, 1, 1, 1],
                                duration_median=1.5, duration_range=(1.0, 2.5), salience=1.0,
                                random_state=0)
    peaks = _peak_spans(X, y, random_state=0)

    def features(select):
        rows = []
        for audio, sr, spans in zip(X["audio"], X["sampling_rate"], peaks, strict=True):
            keep = np.zeros(audio.size, dtype=bool)
            for start, end in spans:
                keep[int(start * sr) : int(end * sr)] = True
            rows.append(cheap_features(audio[keep] if select and keep.sum() > 0.1 * sr else audio,
                                       sr)[:-2])  # not the duration nor the activity share
        return np.array(rows)

    cv, groups = LeaveOneGroupOut(), X["session"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    ua = {select: balanced_accuracy_score(
        y, cross_val_predict(model, features(select), y, groups=groups, cv=cv))
        for select in (False, True)}
    assert ua[True] > ua[False] + 0.05, ua


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_dialogues=0), "n_dialogues must be an int >= 1"),
        (dict(n_dialogues=2.5), "n_dialogues must be an int"),
        (dict(n_sessions=0), "n_sessions must be an int >= 1"),
        (dict(speakers_per_dialogue=1), "speakers_per_dialogue must be an int >= 2"),
        (dict(turns_per_dialogue=(5, 2)), "turns_per_dialogue must have min <= max"),
        (dict(turns_per_dialogue=0), "turns_per_dialogue must be >= 1"),
        (dict(turns_per_dialogue="many"), "turns_per_dialogue must be an int or a (min, max)"),
        (dict(emotions=()), "emotions must not be empty"),
        (dict(emotions="neu"), "emotions must be a sequence"),
        (dict(emotions=("neu", "bored")), "unknown emotion(s) ['bored']; known emotions are"),
        (dict(emotions=("neu", "neu")), "emotions must be unique"),
        (dict(emotion_weights=[1, 1]), "one weight per emotion (4)"),
        (dict(emotion_weights=[1, -1, 1, 1]), "emotion_weights must be finite, non-negative"),
        (dict(emotion_weights=[0, 0, 0, 0]), "not all zero"),
        (dict(inertia=1.5), "inertia must be a number in [0.0, 1.0], got 1.5"),
        (dict(contagion=-0.1), "contagion must be a number in [0.0, 1.0]"),
        (dict(inertia=0.7, contagion=0.5), "inertia + contagion must be <= 1"),
        (dict(emotion_strength=-1), "emotion_strength must be a number >= 0.0"),
        (dict(intensity_spread=-0.5), "intensity_spread must be a number >= 0.0"),
        (dict(speaker_variability=float("nan")),
         "speaker_variability must be a number >= 0.0, got nan"),
        (dict(duration_median=0), "duration_median must be a number > 0.0"),
        (dict(duration_median=-1.0), "duration_median must be a number > 0.0"),
        (dict(duration_range=(0.0, 2.0)), "duration_range must hold positive durations"),
        (dict(duration_range=(3.0, 2.0)), "duration_range must have min <= max"),
        (dict(duration_range=1.0), "duration_range must be a (min, max) pair"),
        (dict(domain="radio"),
         "unknown domain 'radio'; valid names are "
         "['noisy', 'reverberant', 'studio', 'telephone', 'tv']"),
        (dict(domain={"reverb": 1.0}), "unknown domain setting(s) ['reverb']; valid keys are"),
        (dict(domain={"base": "radio"}), "unknown base domain 'radio'"),
        (dict(domain={"snr_db": (20, 10)}),
         "domain setting 'snr_db' must be finite with low <= high"),
        (dict(domain={"noise": "brown"}), "domain setting 'noise' must be None, one of"),
        (dict(domain={"compression": 1.0}),
         "domain setting 'compression' must be a number in [0, 1)"),
        (dict(domain={"rt60": 0.0}), "domain setting 'rt60' must be positive"),
        (dict(domain=3), "domain must be a name in"),
        (dict(sampling_rate=0), "sampling_rate must be None or an int >= 1000"),
        (dict(sampling_rate=16000.0), "sampling_rate must be None or an int"),
        (dict(corpus=""), "corpus must be a non-empty str"),
        (dict(corpus="a/b"), "corpus must be a non-empty str"),
        (dict(directory=3), "directory must be None, a str or a path-like"),
        (dict(random_state="seed"), "random_state must be None, an int"),
        (dict(random_state=-1), "random_state must be a non-negative int"),
    ],
)
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_dialogue_corpus(**kwargs)
