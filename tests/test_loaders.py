"""Tests of the corpus loaders (load_iemocap, load_meld) on miniature releases."""

import doctest
import logging
import os
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sklearn_maec.context import ContextTripleBuilder, context_positions
from sklearn_maec.datasets import (
    LoaderWarning,
    default_audio_cache,
    load_iemocap,
    load_meld,
    make_iemocap_layout,
    make_meld_layout,
)
from sklearn_maec.datasets import _meld as meld_module
from sklearn_maec.datasets._meld import parse_time
from sklearn_maec.exceptions import MAECWarning

COLUMNS = ["audio", "dialogue", "speaker", "start", "end", "gender", "corpus", "session",
           "utterance_id", "previous_id", "interlocutor_id", "previous_audio",
           "interlocutor_audio"]
FOUR = {"neu": "neu", "hap": "hap", "exc": "hap", "sad": "sad", "ang": "ang"}
MELD_FOUR = {"neutral": "neu", "joy": "hap", "sadness": "sad", "anger": "ang"}
HAS_FFMPEG = shutil.which("ffmpeg") is not None
needs_ffmpeg = pytest.mark.skipif(not HAS_FFMPEG, reason="ffmpeg is not installed (CI installs "
                                  "it): the MELD mp4 tests need it to write and extract audio")


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def reference_context(dialogue, speaker, order_key):
    """Obviously-correct reference: for each turn, scan every earlier turn of its dialogue."""
    n = len(dialogue)
    previous, interlocutor = [None] * n, [None] * n
    for i in range(n):
        best_prev = best_inter = None
        for j in range(n):
            if dialogue[j] != dialogue[i] or not order_key[j] < order_key[i]:
                continue
            if speaker[j] == speaker[i]:
                if best_prev is None or order_key[j] > order_key[best_prev]:
                    best_prev = j
            elif best_inter is None or order_key[j] > order_key[best_inter]:
                best_inter = j
        previous[i], interlocutor[i] = best_prev, best_inter
    return previous, interlocutor


def write_wav(path, seconds=0.2):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, np.zeros(int(16000 * seconds), dtype=np.float32), 16000, subtype="PCM_16")


def write_release(root, dialogues, *, wavs=True, crlf=False, extra_lines=()):
    """A hand-made IEMOCAP release. ``dialogues``: {dialogue: [(utt, start, end, label)]}."""
    for dialogue, turns in dialogues.items():
        session = int(dialogue[3:5])
        base = os.path.join(root, "IEMOCAP_full_release", f"Session{session}")
        evaluation = os.path.join(base, "dialog", "EmoEvaluation")
        os.makedirs(evaluation, exist_ok=True)
        lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
        for utt, start, end, label in turns:
            lines += [f"[{start:.4f} - {end:.4f}]\t{utt}\t{label}\t[2.5000, 2.5000, 2.5000]",
                      "C-E1:\tNeutral state;\t()", ""]
            if wavs:
                write_wav(os.path.join(base, "sentences", "wav", dialogue, utt + ".wav"))
        lines += list(extra_lines)
        with open(os.path.join(evaluation, dialogue + ".txt"), "w",
                  newline="\r\n" if crlf else "\n") as f:
            f.write("\n".join(lines) + "\n")
    return os.path.join(root, "IEMOCAP_full_release")


def wav_of(release, utt):
    dialogue = utt.rsplit("_", 1)[0]
    return os.path.join(release, f"Session{int(utt[3:5])}", "sentences", "wav", dialogue,
                        utt + ".wav")


def write_meld_csv(root, rows, name="dev_sent_emo.csv"):
    """rows: (text, speaker, emotion, dia, utt, start, end)."""
    header = ("Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,"
              "Episode,StartTime,EndTime\n")
    body = "".join(f'{i + 1},"{t}",{s},{e},neutral,{d},{u},1,1,"{a}","{b}"\n'
                   for i, (t, s, e, d, u, a, b) in enumerate(rows))
    with open(os.path.join(root, name), "w") as f:
        f.write(header + body)


# --------------------------------------------------------------------------- #
# fixtures
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def iemocap(tmp_path_factory):
    root = tmp_path_factory.mktemp("iemocap")
    manifest = make_iemocap_layout(root, n_sessions=2, dialogues_per_session=3, random_state=0)
    return str(root), manifest


@pytest.fixture(scope="module")
def iemocap_loaded(iemocap):
    root, _ = iemocap
    return load_iemocap(root, return_summary=True)


@pytest.fixture(scope="module")
def meld(tmp_path_factory):
    root = tmp_path_factory.mktemp("meld")
    manifest = make_meld_layout(root, n_dialogues=3, turns_per_dialogue=(4, 6), media="wav",
                                random_state=0)
    return str(root), manifest


@pytest.fixture(scope="module")
def meld_mp4(tmp_path_factory):
    if not HAS_FFMPEG:
        pytest.skip("ffmpeg is not installed (CI installs it): needed to write mp4 media")
    root = tmp_path_factory.mktemp("meld_mp4")
    manifest = make_meld_layout(root, splits=("dev", "test"), n_dialogues=2,
                                turns_per_dialogue=(3, 5), media="mp4", n_jobs=2, random_state=1)
    return str(root), manifest


# --------------------------------------------------------------------------- #
# IEMOCAP
# --------------------------------------------------------------------------- #
def test_iemocap_form_counts_and_dtypes(iemocap, iemocap_loaded):
    root, manifest = iemocap
    X, y, summary = iemocap_loaded
    assert list(X.columns) == COLUMNS
    assert "sampling_rate" not in X.columns
    assert isinstance(X.index, pd.RangeIndex) and X.index[0] == 0
    assert len(X) == manifest["expected"]["4"] == summary.n_loaded
    assert isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype == object
    assert set(y) <= {"neu", "hap", "sad", "ang"}
    assert X["start"].dtype == np.float64 and X["end"].dtype == np.float64
    for column in set(COLUMNS) - {"start", "end"}:
        assert X[column].dtype == object, column
    assert (X["corpus"] == "iemocap").all()
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in X["audio"])
    assert (X["end"] > X["start"]).all()
    # start and end are the evaluation file's times
    truth = manifest["turns"].set_index("utterance_id")
    np.testing.assert_allclose(X["start"], truth.loc[X["utterance_id"], "start"])
    np.testing.assert_allclose(X["end"], truth.loc[X["utterance_id"], "end"])


def test_iemocap_exc_merged_into_hap_and_labels_follow_the_files(iemocap, iemocap_loaded):
    _, manifest = iemocap
    X, y, _ = iemocap_loaded
    truth = manifest["turns"].set_index("utterance_id")["label"]
    raw = truth.loc[X["utterance_id"]].to_numpy()
    assert [FOUR[r] for r in raw] == list(y)
    assert "exc" in set(raw)  # the layout has excited turns, and they came back as hap
    assert (y == "hap").sum() == manifest["labels"].get("hap", 0) + manifest["labels"]["exc"]


def test_iemocap_dropped_labels_counted_in_summary_and_logged(iemocap, caplog):
    root, manifest = iemocap
    with caplog.at_level(logging.INFO, logger="sklearn_maec"):
        X, y, summary = load_iemocap(root, return_summary=True)
    expected = {k: v for k, v in manifest["labels"].items() if k not in FOUR}
    assert {"xxx", "oth", "fru", "sur"} <= set(expected)
    assert summary.dropped_labels == expected
    assert summary.n_turns == manifest["n_turns"]
    assert summary.n_turns == summary.n_loaded + summary.n_dropped + len(summary.missing_audio)
    assert summary.class_counts == dict(pd.Series(y).value_counts().sort_index())
    assert summary.missing_audio == [] and summary.bad_lines == []
    message = " ".join(r.getMessage() for r in caplog.records
                       if r.name.startswith("sklearn_maec"))
    assert f"{len(X)} utterances" in message and "xxx" in message


def test_iemocap_rows_ordered_by_session_dialogue_start(iemocap, iemocap_loaded):
    _, manifest = iemocap
    X, _, _ = iemocap_loaded
    ordered = X.sort_values(["session", "dialogue", "start"], kind="stable")
    assert (ordered.index == X.index).all()
    # the first evaluation file lists its turns by speaker, not by time: still in time order
    first = os.path.basename(manifest["unordered_file"])[:-4]
    rows = X[X["dialogue"] == first]
    assert rows["start"].is_monotonic_increasing and rows["gender"].nunique() == 2


def test_iemocap_gender_speaker_session_from_the_utterance_id(iemocap_loaded):
    X, _, _ = iemocap_loaded
    turn_part = X["utterance_id"].str.rsplit("_", n=1).str[1]
    assert (X["gender"] == turn_part.str[0]).all()
    assert (X["session"] == X["utterance_id"].str[:5]).all()
    assert (X["speaker"] == X["session"] + X["gender"]).all()
    assert (X["dialogue"] == X["utterance_id"].str.rsplit("_", n=1).str[0]).all()
    # the speaker is not the dialogue's letter: M turns of F dialogues exist and are Ses..M
    crossed = X[X["dialogue"].str[5] != X["gender"]]
    assert len(crossed) and (crossed["speaker"].str[5] == crossed["gender"]).all()
    assert set(X["session"]) == {"Ses01", "Ses02"}


def test_iemocap_scripted_dialogues_and_wav_paths(iemocap, iemocap_loaded):
    root, manifest = iemocap
    X, _, _ = iemocap_loaded
    scripted = X[X["dialogue"].str.contains("_script")]
    assert len(scripted) and scripted["dialogue"].str.fullmatch(r"Ses0\dM_script\d\d_\d").all()
    for row in X.itertuples():
        assert row.audio == wav_of(manifest["root"], row.utterance_id)


def test_iemocap_windows_line_endings_and_junk_files_are_handled(iemocap, iemocap_loaded):
    _, manifest = iemocap
    X, _, _ = iemocap_loaded
    with open(manifest["crlf_file"], "rb") as f:
        assert b"\r\n" in f.read()
    dialogue = os.path.basename(manifest["crlf_file"])[:-4]
    turns = manifest["turns"]
    expected = turns[(turns["dialogue"] == dialogue) & turns["label"].isin(list(FOUR))]
    assert sorted(X.loc[X["dialogue"] == dialogue, "utterance_id"]) == \
        sorted(expected["utterance_id"])
    # resource forks hold a malformed "[" line: loading without error proves they were ignored
    evaluation = os.path.dirname(manifest["crlf_file"])
    assert os.path.isfile(os.path.join(evaluation, "._" + dialogue + ".txt"))
    assert os.path.isfile(os.path.join(evaluation, ".DS_Store"))
    assert os.path.isdir(os.path.join(evaluation, "Categorical"))


def test_iemocap_context_is_over_all_turns(iemocap, iemocap_loaded):
    _, manifest = iemocap
    X, _, _ = iemocap_loaded
    turns = manifest["turns"].sort_values(["dialogue", "start"]).reset_index(drop=True)
    previous, interlocutor = reference_context(
        turns["dialogue"].tolist(), turns["speaker"].tolist(), turns["start"].tolist())
    ids = turns["utterance_id"].tolist()
    ref = {ids[i]: (None if p is None else ids[p], None if q is None else ids[q])
           for i, (p, q) in enumerate(zip(previous, interlocutor, strict=True))}
    got = {r.utterance_id: (r.previous_id, r.interlocutor_id) for r in X.itertuples()}
    assert got == {u: ref[u] for u in got}
    # some context turns are dropped rows (xxx, fru, ...), and their wavs are given
    kept = set(X["utterance_id"])
    dropped_context = [c for c in X["previous_id"].tolist() + X["interlocutor_id"].tolist()
                       if c is not None and c not in kept]
    assert dropped_context
    for row in X.itertuples():
        for cid, audio in ((row.previous_id, row.previous_audio),
                           (row.interlocutor_id, row.interlocutor_audio)):
            assert (audio is None) if cid is None else audio == wav_of(manifest["root"], cid)


HAND = {
    "Ses01F_impro01": [  # written out of order; M000 overlaps F000
        ("Ses01F_impro01_F003", 7.5, 8.0, "hap"),
        ("Ses01F_impro01_F000", 1.0, 2.0, "neu"),
        ("Ses01F_impro01_M000", 1.5, 3.0, "xxx"),
        ("Ses01F_impro01_F001", 3.2, 4.0, "fru"),
        ("Ses01F_impro01_F002", 4.1, 5.0, "ang"),
        ("Ses01F_impro01_M001", 5.5, 6.0, "sad"),
        ("Ses01F_impro01_M002", 6.1, 7.0, "exc"),
    ],
    "Ses01M_script01_2": [
        ("Ses01M_script01_2_F000", 0.5, 1.0, "neu"),
        ("Ses01M_script01_2_M000", 1.2, 2.0, "oth"),
        ("Ses01M_script01_2_M001", 2.2, 3.0, "ang"),
    ],
}


def test_iemocap_context_hand_checked(tmp_path):
    release = write_release(tmp_path, HAND)
    X, y = load_iemocap(tmp_path)
    got = {r.utterance_id: (r.previous_id, r.interlocutor_id, r.speaker, r.gender, lab)
           for r, lab in zip(X.itertuples(), y, strict=True)}
    u = "Ses01F_impro01_"
    s = "Ses01M_script01_2_"
    assert got == {
        u + "F000": (None, None, "Ses01F", "F", "neu"),
        u + "F002": (u + "F001", u + "M000", "Ses01F", "F", "ang"),  # fru and xxx turns
        u + "M001": (u + "M000", u + "F002", "Ses01M", "M", "sad"),
        u + "M002": (u + "M001", u + "F002", "Ses01M", "M", "hap"),
        u + "F003": (u + "F002", u + "M002", "Ses01F", "F", "hap"),
        s + "F000": (None, None, "Ses01F", "F", "neu"),
        s + "M001": (s + "M000", s + "F000", "Ses01M", "M", "ang"),
    }
    assert list(X["utterance_id"]) == [u + "F000", u + "F002", u + "M001", u + "M002",
                                       u + "F003", s + "F000", s + "M001"]
    row = X.set_index("utterance_id").loc[u + "F002"]
    assert row["previous_audio"] == wav_of(release, u + "F001")
    assert row["interlocutor_audio"] == wav_of(release, u + "M000")
    assert X.set_index("utterance_id").loc[s + "M001", "dialogue"] == "Ses01M_script01_2"


def test_iemocap_context_agrees_with_context_triple_builder(iemocap):
    root, manifest = iemocap
    every = {label: label for label in manifest["labels"]}  # keep every turn
    X, _ = load_iemocap(root, label_map=every)
    assert len(X) == manifest["n_turns"]
    positions = ContextTripleBuilder().fit_transform(X)
    ids = X["utterance_id"].to_numpy(dtype=object)
    for column, out in (("previous", "previous_id"), ("interlocutor", "interlocutor_id")):
        pos = positions[column].to_numpy()
        expected = [None if p < 0 else ids[p] for p in pos]
        assert X[out].tolist() == expected


def test_context_positions_tie_break_by_row_order():
    prev, inter = context_positions(["d", "d", "d", "e"], ["A", "B", "A", "A"],
                                    [1.0, 1.0, 2.0, 0.0])
    assert prev.tolist() == [-1, -1, 0, -1]
    assert inter.tolist() == [-1, 0, 1, -1]


def test_iemocap_root_may_be_the_release_or_its_parent(iemocap, iemocap_loaded):
    _, manifest = iemocap
    X, y = load_iemocap(manifest["root"])
    pd.testing.assert_frame_equal(X, iemocap_loaded[0])
    assert list(y) == list(iemocap_loaded[1])


def test_iemocap_classes_and_label_map(iemocap):
    root, manifest = iemocap
    labels = manifest["labels"]
    authors = {"neu": "neu", "fru": "neu", "exc": "hap", "hap": "hap", "sad": "sad",
               "ang": "ang"}
    X, y = load_iemocap(root, label_map=authors)
    assert len(X) == manifest["expected"]["4"] + labels["fru"]
    assert (y == "neu").sum() == labels["neu"] + labels["fru"]
    fru_ids = set(manifest["turns"].query("label == 'fru'")["utterance_id"])
    assert set(y[X["utterance_id"].isin(fru_ids).to_numpy()]) == {"neu"}
    X6, y6 = load_iemocap(root, classes="6")
    assert len(X6) == manifest["expected"]["6"]
    assert {"exc", "fru"} <= set(y6) <= {"neu", "hap", "sad", "ang", "exc", "fru"}
    Xa, ya = load_iemocap(root, classes="all")
    assert len(Xa) == manifest["expected"]["all"] and "sur" in set(ya)
    assert not {"xxx", "oth"} & set(ya)
    # None drops a label; keys match case-insensitively
    Xn, yn = load_iemocap(root, label_map={"NEU": "neutral", "sad": None})
    assert set(yn) == {"neutral"} and len(Xn) == labels["neu"]
    with pytest.raises(ValueError, match="classes must be one of"):
        load_iemocap(root, classes="5")
    with pytest.raises(ValueError, match="label_map"):
        load_iemocap(root, label_map=["neu"])


def test_iemocap_sessions(iemocap):
    root, _ = iemocap
    for sessions in (1, "Ses01", ["Session1"]):
        X, _ = load_iemocap(root, sessions=sessions)
        assert set(X["session"]) == {"Ses01"}
    X, _ = load_iemocap(root, sessions=[2, 1])
    assert set(X["session"]) == {"Ses01", "Ses02"} and X["session"].is_monotonic_increasing
    with pytest.raises(FileNotFoundError, match="Session3"):
        load_iemocap(root, sessions=[1, 3])
    with pytest.raises(ValueError, match="sessions"):
        load_iemocap(root, sessions=[0])


def test_iemocap_root_errors_name_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_iemocap(missing)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no Session"):
        load_iemocap(tmp_path / "empty")
    (tmp_path / "empty" / "Session1").mkdir()
    with pytest.raises(FileNotFoundError, match="EmoEvaluation"):
        load_iemocap(tmp_path / "empty")
    with pytest.raises(ValueError, match="on_missing"):
        load_iemocap(tmp_path / "empty", on_missing="ignore")


def test_iemocap_missing_wav_raise_or_skip(tmp_path):
    manifest = make_iemocap_layout(tmp_path, n_sessions=1, dialogues_per_session=2,
                                   missing_wavs=1, random_state=3)
    [lost] = manifest["missing_wavs"]
    assert not os.path.exists(lost)
    with pytest.raises(FileNotFoundError) as info:
        load_iemocap(tmp_path)
    assert lost in str(info.value) and manifest["crlf_file"] in str(info.value)
    with pytest.warns(LoaderWarning, match="missing"):
        X, _, summary = load_iemocap(tmp_path, on_missing="skip", return_summary=True)
    assert len(X) == manifest["expected"]["4"] - 1
    assert summary.missing_audio == [lost]
    assert os.path.basename(lost)[:-4] not in set(X["utterance_id"])
    assert issubclass(LoaderWarning, MAECWarning)


def test_iemocap_missing_context_wav(tmp_path):
    release = write_release(tmp_path, {"Ses01F_impro01": HAND["Ses01F_impro01"]})
    xxx_wav = wav_of(release, "Ses01F_impro01_M000")  # a dropped turn, context of others
    os.remove(xxx_wav)
    with pytest.raises(FileNotFoundError, match="Ses01F_impro01_M000.wav"):
        load_iemocap(tmp_path)
    with pytest.warns(LoaderWarning):
        X, _, summary = load_iemocap(tmp_path, on_missing="skip", return_summary=True)
    assert len(X) == 5 and summary.missing_audio == []
    assert summary.missing_context_audio == [xxx_wav]
    row = X.set_index("utterance_id").loc["Ses01F_impro01_M001"]
    assert row["previous_id"] == "Ses01F_impro01_M000" and row["previous_audio"] is None


def test_iemocap_malformed_lines(tmp_path):
    write_release(tmp_path, {"Ses01F_impro01": HAND["Ses01F_impro01"][:3]},
                  extra_lines=["[9.0000 - 9.5000]\tSes01F_impro01_F009", "",
                               "[9.6 - 9.9]   Ses01F_impro01_M009   neu   "])
    evaluation = os.path.join(tmp_path, "IEMOCAP_full_release", "Session1", "dialog",
                              "EmoEvaluation", "Ses01F_impro01.txt")
    write_wav(wav_of(os.path.join(tmp_path, "IEMOCAP_full_release"), "Ses01F_impro01_M009"))
    with pytest.raises(ValueError, match=rf"{evaluation}:12: missing utterance id or label"):
        load_iemocap(tmp_path)
    with pytest.warns(LoaderWarning, match="malformed"):
        X, _, summary = load_iemocap(tmp_path, on_missing="skip", return_summary=True)
    assert len(summary.bad_lines) == 1 and ":12:" in summary.bad_lines[0]
    # spaces instead of tabs, no [V, A, D], trailing spaces: still a turn
    assert "Ses01F_impro01_M009" in set(X["utterance_id"])
    assert summary.n_turns == 4


def test_iemocap_duplicate_utterance_id(tmp_path):
    turns = HAND["Ses01F_impro01"][:2]
    write_release(tmp_path, {"Ses01F_impro01": turns + [turns[0]]})
    with pytest.raises(ValueError, match="more than once"):
        load_iemocap(tmp_path)


# --------------------------------------------------------------------------- #
# MELD
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("text, seconds", [
    ("00:16:16,059", 976.059), ("0:16:16,059", 976.059), ("01:02:03,456", 3723.456),
    ("1:02:03,5", 3723.5), (" 0:00:01,000 ", 1.0), ("0:00:07.250", 7.25),
])
def test_parse_time(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["16:16,059", "00:61:00,000", "0:00:60,000", "", "a:bc:de,f"])
def test_parse_time_rejects(text):
    assert parse_time(text) is None


def test_meld_form_counts_and_dtypes(meld):
    root, manifest = meld
    X, y, summary = load_meld(root, split="dev", return_summary=True)
    assert list(X.columns) == COLUMNS
    assert len(X) == manifest["splits"]["dev"]["expected"]["4"] == summary.n_loaded
    assert summary.n_turns == manifest["splits"]["dev"]["n_rows"]
    assert y.dtype == object and set(y) <= {"neu", "hap", "sad", "ang"}
    assert X["start"].dtype == np.float64 and X["end"].dtype == np.float64
    assert X["gender"].isna().all() and X["gender"].dtype == object
    assert (X["corpus"] == "meld").all() and (X["session"] == "dev").all()
    assert X["dialogue"].str.fullmatch(r"meld_dev_dia\d+").all()
    assert (X["utterance_id"].str.rsplit("_", n=1).str[0] == X["dialogue"]).all()
    assert X["utterance_id"].str.fullmatch(r"meld_dev_dia\d+_utt\d+").all()
    assert all(isinstance(s, str) for s in X["speaker"])
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in X["audio"])
    assert summary.n_extracted == 0  # pre-extracted wavs beside the media are used as they are
    assert not os.path.exists(os.path.join(root, "wav16k"))  # no cache made when not needed


def test_meld_csv_quirks_are_read(meld):
    root, manifest = meld
    with open(manifest["splits"]["train"]["csv"], "rb") as f:
        data = f.read()
    assert b"\x92" in data and b'""' in data and b'"0:' in data and b'"00:' in data
    X, y = load_meld(root, split="train", classes="all")
    turns = manifest["turns"].query("split == 'train'")
    assert len(X) == len(turns)  # every row, whatever the quoting and encoding
    assert list(X["speaker"]) == list(turns["speaker"])
    assert list(y) == list(turns["emotion"])


def test_meld_labels_and_dropped_emotions(meld):
    root, manifest = meld
    X, y, summary = load_meld(root, split="test", return_summary=True)
    truth = manifest["turns"].query("split == 'test'")
    kept = truth[truth["emotion"].isin(list(MELD_FOUR))]
    assert list(y) == [MELD_FOUR[e] for e in kept["emotion"]]
    dropped = truth.loc[~truth["emotion"].isin(list(MELD_FOUR)), "emotion"].value_counts()
    assert summary.dropped_labels == dict(dropped.sort_index())
    assert {"surprise", "fear", "disgust"} <= set(summary.dropped_labels)
    Xa, ya = load_meld(root, split="test", classes="all")
    assert set(ya) <= {"neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust"}
    assert len(Xa) == len(truth)
    Xm, ym = load_meld(root, split="test", label_map={"Surprise": "sur"})
    assert set(ym) == {"sur"} and len(Xm) == (truth["emotion"] == "surprise").sum()
    with pytest.raises(ValueError, match="classes"):
        load_meld(root, classes="6")


def test_meld_all_splits_and_unique_dialogues(meld):
    root, manifest = meld
    X, y = load_meld(root, split="all")
    assert len(X) == sum(s["expected"]["4"] for s in manifest["splits"].values())
    assert list(dict.fromkeys(X["session"])) == ["train", "dev", "test"]
    # Dialogue_ID 0 exists in every split: three distinct dialogue ids
    assert {"meld_train_dia0", "meld_dev_dia0", "meld_test_dia0"} <= set(X["dialogue"])
    assert X["utterance_id"].is_unique
    assert X.groupby("dialogue")["session"].nunique().max() == 1
    # speakers are not prefixed per split: the same character appears in several splits
    assert X.groupby("speaker")["session"].nunique().max() > 1
    parts = [load_meld(root, split=s)[0] for s in ("train", "dev", "test")]
    pd.testing.assert_frame_equal(X, pd.concat(parts, ignore_index=True))
    with pytest.raises(ValueError, match="split"):
        load_meld(root, split="valid")


def test_meld_start_is_strictly_increasing_along_utterance_order(meld):
    root, manifest = meld
    X, _ = load_meld(root, split="all", classes="all")
    truth = manifest["turns"]
    assert (X["utterance_id"].tolist() ==
            [f"meld_{r.split}_dia{r.dia}_utt{r.utt}" for r in truth.itertuples()])
    for _, rows in X.groupby("dialogue"):
        assert (np.diff(rows["start"].to_numpy()) >= 0.001 - 1e-9).all()
    tied = {f"meld_{s}_dia{d}_utt{u}" for s, d, u in manifest["tied"]}
    assert len(tied) == 3
    raw = truth["start"].to_numpy()
    is_tied = X["utterance_id"].isin(tied).to_numpy()
    np.testing.assert_allclose(X["start"][~is_tied], raw[~is_tied])
    np.testing.assert_allclose(X["start"][is_tied], raw[np.flatnonzero(is_tied) - 1] + 0.001)
    assert (X["end"] >= X["start"]).all()
    np.testing.assert_allclose(X["end"], np.maximum(truth["end"], X["start"]))


def test_meld_context_over_all_rows(meld):
    root, manifest = meld
    X, _ = load_meld(root, split="all")
    truth = manifest["turns"].reset_index(drop=True)
    dialogue = (truth["split"] + "_" + truth["dia"].astype(str)).tolist()
    previous, interlocutor = reference_context(dialogue, truth["speaker"].tolist(),
                                               list(range(len(truth))))
    ids = [f"meld_{r.split}_dia{r.dia}_utt{r.utt}" for r in truth.itertuples()]
    ref = {ids[i]: (None if p is None else ids[p], None if q is None else ids[q])
           for i, (p, q) in enumerate(zip(previous, interlocutor, strict=True))}
    got = {r.utterance_id: (r.previous_id, r.interlocutor_id) for r in X.itertuples()}
    assert got == {u: ref[u] for u in got}
    kept = set(X["utterance_id"])
    context = [c for c in X["previous_id"].tolist() + X["interlocutor_id"].tolist() if c]
    assert any(c not in kept for c in context)  # dropped emotions serve as context
    for row in X.itertuples():
        for cid, audio in ((row.previous_id, row.previous_audio),
                           (row.interlocutor_id, row.interlocutor_audio)):
            if cid is None:
                assert audio is None
            else:
                assert os.path.basename(audio) == cid.split("_", 2)[2] + ".wav"
                assert os.path.isfile(audio)


def test_meld_missing_media_raise_or_skip(tmp_path):
    manifest = make_meld_layout(tmp_path, splits=("dev",), n_dialogues=2, media="wav",
                                missing_media=1, random_state=2)
    [lost] = manifest["missing_media"]
    stem = os.path.basename(lost)[:-4]
    with pytest.raises(FileNotFoundError, match=stem + ".mp4"):
        load_meld(tmp_path, split="dev")
    with pytest.warns(LoaderWarning, match=stem):
        X, _, summary = load_meld(tmp_path, split="dev", on_missing="skip", return_summary=True)
    assert len(X) == manifest["splits"]["dev"]["expected"]["4"] - 1
    assert len(summary.missing_audio) == 1 and stem in summary.missing_audio[0]
    assert not X["utterance_id"].str.endswith(stem).any()


def test_meld_root_csv_and_row_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_meld(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="dev_sent_emo.csv"):
        load_meld(tmp_path, split="dev")
    with open(tmp_path / "dev_sent_emo.csv", "w") as f:
        f.write("Sr No.,Utterance,Speaker\n1,hi,Ross\n")
    with pytest.raises(ValueError, match="lacks the column"):
        load_meld(tmp_path, split="dev")
    write_meld_csv(tmp_path, [
        ("Hi, you.", "Ross", "neutral", 0, 0, "0:00:01,000", "0:00:02,000"),
        ("Bad time", "Rachel", "joy", 0, 1, "00:03,000", "00:00:04,000"),
        ("Fine.", "Rachel", "Joy", 0, 2, "00:00:05,000", "00:00:06,000"),
    ])
    os.makedirs(tmp_path / "dev_splits_complete")
    for u in (0, 2):
        write_wav(str(tmp_path / "dev_splits_complete" / f"dia0_utt{u}.wav"))
    with pytest.raises(ValueError, match=r"dev_sent_emo.csv:3: times"):
        load_meld(tmp_path, split="dev")
    with pytest.warns(LoaderWarning, match="malformed"):
        X, y, summary = load_meld(tmp_path, split="dev", on_missing="skip",
                                  return_summary=True)
    assert list(y) == ["neu", "hap"] and len(summary.bad_lines) == 1
    assert X["previous_id"].tolist() == [None, None]
    assert X["interlocutor_id"].tolist() == [None, "meld_dev_dia0_utt0"]


def test_meld_header_only_csv_warns_naming_the_file(tmp_path):
    write_meld_csv(tmp_path, [])
    os.makedirs(tmp_path / "dev_splits_complete")
    with pytest.warns(LoaderWarning, match=r"dev_sent_emo.csv.*no utterance row.*'dev'"):
        X, y = load_meld(tmp_path, split="dev")
    assert len(X) == 0 and len(y) == 0


def test_meld_ffmpeg_missing_says_how_to_install(tmp_path, monkeypatch):
    write_meld_csv(tmp_path, [("Hi.", "Ross", "neutral", 0, 0, "0:00:01,000", "0:00:02,000")])
    os.makedirs(tmp_path / "dev_splits_complete")
    (tmp_path / "dev_splits_complete" / "dia0_utt0.mp4").write_bytes(b"not really a video")
    monkeypatch.setattr(meld_module.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install ffmpeg"):
        load_meld(tmp_path, split="dev", on_missing="skip")


def test_meld_default_cache_is_the_user_cache_not_the_corpus(tmp_path, monkeypatch):
    root = str(tmp_path / "MELD.Raw")
    os.makedirs(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    default = meld_module._cache_root(root, None)
    assert default == default_audio_cache(root)
    assert default.startswith(str(tmp_path / "xdg" / "sklearn_maec" / "meld" / "MELD.Raw-"))
    assert not default.startswith(root)
    # two copies of MELD never share a cache
    assert default_audio_cache(str(tmp_path / "other" / "MELD.Raw")) != default
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert meld_module._cache_root(root, None).startswith(
        str(tmp_path / "home" / ".cache" / "sklearn_maec" / "meld"))
    assert meld_module._cache_root(root, tmp_path / "mine") == str(tmp_path / "mine")


@needs_ffmpeg
def test_meld_unwritable_audio_cache_is_one_clear_error(meld_mp4, tmp_path, monkeypatch):
    root, _ = meld_mp4
    real = os.makedirs

    def refuse(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "ro")):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(meld_module.os, "makedirs", refuse)
    with pytest.raises(PermissionError) as info:
        load_meld(root, split="dev", audio_cache=tmp_path / "ro" / "cache")
    message = str(info.value)
    assert str(tmp_path / "ro" / "cache" / "dev") in message and "audio_cache=" in message
    assert "\n" not in message


@needs_ffmpeg
def test_meld_mp4_extracted_once_into_the_cache(meld_mp4, tmp_path):
    root, manifest = meld_mp4
    cache = tmp_path / "cache"
    X, _, summary = load_meld(root, split="dev", audio_cache=cache, n_jobs=2,
                              return_summary=True)
    assert len(X) == manifest["splits"]["dev"]["expected"]["4"]
    files = sorted(os.listdir(cache / "dev"))
    assert summary.n_extracted == len(files) >= len(X)  # kept rows and their context turns
    assert all(p.startswith(str(cache / "dev")) for p in X["audio"])
    info = sf.info(X["audio"].iloc[0])
    assert (info.samplerate, info.channels) == (16000, 1) and info.frames > 0
    mtimes = {f: os.stat(cache / "dev" / f).st_mtime_ns for f in files}
    X2, _, again = load_meld(root, split="dev", audio_cache=cache, return_summary=True)
    assert again.n_extracted == 0
    assert {f: os.stat(cache / "dev" / f).st_mtime_ns for f in files} == mtimes
    pd.testing.assert_frame_equal(X, X2)
    # a media file newer than its cached wav is extracted again, and only that one
    mp4 = os.path.join(manifest["splits"]["dev"]["media_dir"],
                       os.path.basename(X["audio"].iloc[0])[:-4] + ".mp4")
    future = os.stat(cache / "dev" / files[0]).st_mtime + 10
    os.utime(mp4, (future, future))
    _, _, third = load_meld(root, split="dev", audio_cache=cache, return_summary=True)
    assert third.n_extracted == 1
    assert not [f for f in os.listdir(cache / "dev") if not f.endswith(".wav")]  # no temp left


@needs_ffmpeg
def test_meld_mp4_default_cache_and_parallel_jobs_agree(meld_mp4, tmp_path):
    root, manifest = meld_mp4
    X1, _ = load_meld(root, split="test", audio_cache=tmp_path / "one", n_jobs=1)
    X2, _ = load_meld(root, split="test", audio_cache=tmp_path / "two", n_jobs=2)
    for a, b in zip(X1["audio"], X2["audio"], strict=True):
        np.testing.assert_array_equal(sf.read(a)[0], sf.read(b)[0])
    X3, _, summary = load_meld(root, split="test", return_summary=True)
    assert summary.audio_cache == default_audio_cache(root)
    assert all(p.startswith(os.path.join(default_audio_cache(root), "test"))
               for p in X3["audio"])
    assert not os.path.exists(os.path.join(root, "wav16k"))  # nothing written in the corpus


@needs_ffmpeg
def test_meld_corrupt_mp4_raise_or_skip(tmp_path):
    write_meld_csv(tmp_path, [
        ("Hi.", "Ross", "neutral", 0, 0, "0:00:01,000", "0:00:02,000"),
        ("Hey.", "Monica", "anger", 0, 1, "0:00:03,000", "0:00:04,000"),
    ])
    media = tmp_path / "dev_splits_complete"
    os.makedirs(media)
    (media / "dia0_utt0.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    write_wav(str(media / "dia0_utt1.wav"))
    with pytest.raises(ValueError, match="dia0_utt0.mp4"):
        load_meld(tmp_path, split="dev")
    with pytest.warns(LoaderWarning, match="ffmpeg cannot decode"):
        X, y, summary = load_meld(tmp_path, split="dev", on_missing="skip",
                                  return_summary=True)
    assert list(y) == ["ang"] and len(summary.missing_audio) == 1
    # the corrupt turn is still the interlocutor turn of the next one, without audio
    assert X.loc[0, "interlocutor_id"] == "meld_dev_dia0_utt0"
    assert X.loc[0, "interlocutor_audio"] is None
    assert os.listdir(os.path.join(default_audio_cache(tmp_path), "dev")) == []  # no partial file


def test_clean_load_does_not_warn(meld):
    root, _ = meld
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_meld(root, split="dev")  # a clean load warns about nothing


@pytest.mark.parametrize("module", ["_iemocap", "_meld", "_layouts"])
def test_docstring_examples(module):
    import importlib

    mod = importlib.import_module(f"sklearn_maec.datasets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_iemocap_missing_session_warns_naming_it(tmp_path):
    make_iemocap_layout(tmp_path, n_sessions=3, dialogues_per_session=1, random_state=0)
    shutil.rmtree(tmp_path / "IEMOCAP_full_release" / "Session2")
    with pytest.warns(LoaderWarning, match=r"Session2 not found.*Session1, Session3"):
        X, _ = load_iemocap(tmp_path)
    assert sorted(X["session"].unique()) == ["Ses01", "Ses03"]
    with warnings.catch_warnings():  # asked for explicitly: nothing to warn about
        warnings.simplefilter("error")
        load_iemocap(tmp_path, sessions=[1, 3])
        make_iemocap_layout(tmp_path / "two", n_sessions=2, dialogues_per_session=1)
        load_iemocap(tmp_path / "two")  # sessions 1..n without a gap
