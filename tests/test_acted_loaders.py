"""Tests of the acted-corpus loaders (RAVDESS, CREMA-D, EmoDB, EMOVO, TESS, SAVEE).

Always run: miniature releases written by ``make_acted_layout`` (exact file names, short
tones).  When the real corpora are present in ``../shared/data`` (next to the repository
root, or where ``SKLEARN_MAEC_SHARED_DATA`` points), their documented counts are checked
exactly and a few rows go through the segmenter and the context builder.
"""

import doctest
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sklearn_maec import ContextTripleBuilder, OpenSmileSegmenter
from sklearn_maec.datasets import (
    LoaderWarning,
    load_cremad,
    load_emodb,
    load_emovo,
    load_ravdess,
    load_savee,
    load_tess,
    make_acted_layout,
)

COLUMNS = ["audio", "dialogue", "speaker", "start", "end", "gender", "corpus", "session",
           "utterance_id", "emotion", "sentence", "intensity", "repetition", "language"]
LOADERS = {"ravdess": load_ravdess, "cremad": load_cremad, "emodb": load_emodb,
           "emovo": load_emovo, "tess": load_tess, "savee": load_savee}
# the 4-class mapping of each corpus, written out here independently of the package's tables
FOUR = {
    "ravdess": {"neutral": "neu", "happy": "hap", "sad": "sad", "angry": "ang"},
    "cremad": {"neutral": "neu", "happy": "hap", "sad": "sad", "anger": "ang"},
    "emodb": {"neutral": "neu", "happiness": "hap", "sadness": "sad", "anger": "ang"},
    "emovo": {"neutral": "neu", "joy": "hap", "sadness": "sad", "anger": "ang"},
    "tess": {"neutral": "neu", "happiness": "hap", "sadness": "sad", "anger": "ang"},
    "savee": {"neutral": "neu", "happiness": "hap", "sadness": "sad", "anger": "ang"},
}
ALL = {
    "ravdess": {"neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"},
    "cremad": {"anger", "disgust", "fear", "happy", "neutral", "sad"},
    "emodb": {"anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral"},
    "emovo": {"neutral", "joy", "sadness", "anger", "fear", "disgust", "surprise"},
    "tess": {"anger", "disgust", "fear", "happiness", "pleasant_surprise", "sadness", "neutral"},
    "savee": {"anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"},
}
LANGUAGE = {"ravdess": "en", "cremad": "en", "emodb": "de", "emovo": "it", "tess": "en",
            "savee": "en"}
# (corpus, layout, make_acted_layout arguments) of the generated releases
LAYOUTS = {
    "ravdess": ("ravdess", dict(speakers=2, song=True)),
    "cremad": ("cremad", dict(speakers=2, sentences=2)),
    "emodb": ("emodb", dict(speakers=2, sentences=2)),
    "emovo": ("emovo", dict(speakers=2, sentences=2)),
    "tess": ("tess", dict(sentences=3)),
    "tess-flat": ("tess", dict(sentences=2, layout="flat")),
    "savee": ("savee", dict(speakers=2, sentences=2)),
    "savee-flat": ("savee", dict(speakers=2, sentences=1, layout="flat")),
}


def shared_data():
    """The real corpora: $SKLEARN_MAEC_SHARED_DATA, else ../shared/data beside the repository."""
    env = os.environ.get("SKLEARN_MAEC_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def real(corpus):
    path = shared_data() / corpus
    if not path.is_dir():
        pytest.skip(f"the real {corpus} corpus is not at {path} (set SKLEARN_MAEC_SHARED_DATA "
                    "to the folder holding emodb/ and emovo/)")
    return path


def load_quietly(loader, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", LoaderWarning)  # a clean load warns about nothing
        return loader(*args, **kwargs)


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """Every generated release, written once: name -> (corpus, manifest)."""
    out = {}
    for name, (corpus, kwargs) in LAYOUTS.items():
        root = tmp_path_factory.mktemp(name)
        out[name] = corpus, make_acted_layout(root, corpus, duration=0.2, **kwargs)
    return out


def copy_release(releases, name, tmp_path):
    corpus, manifest = releases[name]
    target = tmp_path / name
    shutil.copytree(manifest["root"], target)
    return corpus, manifest, target


# --------------------------------------------------------------------------- #
# the contract, on every generated layout
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_form_labels_and_metadata(releases, name):
    corpus, manifest = releases[name]
    X, y, summary = load_quietly(LOADERS[corpus], manifest["root"], return_summary=True)
    files = manifest["files"]
    four = files[files["emotion"].isin(list(FOUR[corpus]))].reset_index(drop=True)

    assert list(X.columns) == COLUMNS  # no context columns: acted corpora have none
    assert isinstance(X.index, pd.RangeIndex)
    assert X["start"].dtype == np.float64 and X["end"].dtype == np.float64
    assert len(X) == manifest["expected"]["4"] == len(four) > 0
    assert X["utterance_id"].tolist() == four["utterance_id"].tolist()
    assert list(y) == [FOUR[corpus][e] for e in four["emotion"]]
    assert set(y) == {"neu", "hap", "sad", "ang"}
    assert y.dtype == object

    # each file its own dialogue, from 0 to its duration
    assert X["dialogue"].tolist() == X["utterance_id"].tolist()
    assert (X["start"] == 0.0).all()
    np.testing.assert_allclose(X["end"], four["duration"], rtol=0, atol=1e-9)
    assert X["session"].isna().all() and all(v is None for v in X["session"])
    assert (X["corpus"] == corpus).all()
    assert (X["language"] == LANGUAGE[corpus]).all()
    assert X["utterance_id"].str.startswith(f"{corpus}/").all()
    assert X["speaker"].str.startswith(f"{corpus}_").all()
    assert X["utterance_id"].is_unique
    for column in ("speaker", "gender", "emotion", "sentence", "intensity"):
        assert X[column].tolist() == four[column].tolist(), column
    assert [None if pd.isna(r) else r for r in X["repetition"]] == \
        [None if pd.isna(r) else int(r) for r in four["repetition"]]
    assert set(X["gender"]) <= {"F", "M"}
    for path in X["audio"]:
        assert os.path.isabs(path) and os.path.isfile(path)
    assert X["audio"].tolist() == four["path"].tolist()

    assert summary.corpus == corpus
    assert summary.n_turns == len(files)
    assert summary.n_loaded == len(X)
    assert summary.n_turns == summary.n_loaded + summary.n_dropped + len(summary.missing_audio)
    assert summary.dropped_labels == files.loc[~files["emotion"].isin(list(FOUR[corpus])),
                                               "emotion"].value_counts().sort_index().to_dict()
    assert summary.bad_lines == [] and summary.missing_audio == []


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_classes_all_keeps_every_emotion_under_its_english_name(releases, name):
    corpus, manifest = releases[name]
    X, y = load_quietly(LOADERS[corpus], manifest["root"], classes="all")
    assert len(X) == manifest["expected"]["all"] == len(manifest["files"])
    assert list(y) == X["emotion"].tolist()
    assert set(y) == ALL[corpus]


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_root_may_be_the_corpus_folder_or_its_parent(releases, name):
    corpus, manifest = releases[name]
    a = load_quietly(LOADERS[corpus], manifest["root"])[0]
    b = load_quietly(LOADERS[corpus], manifest["corpus_dir"])[0]
    pd.testing.assert_frame_equal(a, b)


def test_inner_data_folders_are_accepted_too(releases):
    # EmoDB's wav/ and CREMA-D's AudioWAV/ themselves (CREMA-D finds the CSV beside AudioWAV)
    _, emodb = releases["emodb"]
    X, _ = load_quietly(load_emodb, os.path.join(emodb["root"], "wav"))
    assert len(X) == emodb["expected"]["4"]
    _, cremad = releases["cremad"]
    X, _ = load_quietly(load_cremad, os.path.join(cremad["root"], "AudioWAV"))
    assert len(X) == cremad["expected"]["4"] and X["gender"].notna().all()


def test_corpora_concatenate_without_colliding_ids(releases):
    parts = [load_quietly(LOADERS[c], m["root"]) for c, m in
             (releases[n] for n in ("ravdess", "cremad", "emodb", "emovo", "tess", "savee"))]
    X = pd.concat([p[0] for p in parts], ignore_index=True)
    assert list(X.columns) == COLUMNS
    assert X["utterance_id"].is_unique and X["dialogue"].is_unique
    by_corpus = X.groupby("speaker")["corpus"].nunique()
    assert (by_corpus == 1).all()  # no speaker id shared between corpora
    Xt = ContextTripleBuilder().fit_transform(X)
    assert (Xt["previous"] == -1).all() and (Xt["interlocutor"] == -1).all()


# --------------------------------------------------------------------------- #
# corpus-specific
# --------------------------------------------------------------------------- #
def test_ravdess_song_and_calm_are_excluded(releases):
    _, manifest = releases["ravdess"]
    song = [p for p in manifest["ignored"] if os.path.basename(p).startswith("03-02-")]
    assert song and all(os.path.isfile(p) for p in song)  # the song files are there
    X, y, summary = load_quietly(load_ravdess, manifest["root"], return_summary=True)
    assert not X["utterance_id"].str.contains("/03-02-").any()
    assert "calm" not in set(X["emotion"])
    assert summary.dropped_labels["calm"] == (manifest["files"]["emotion"] == "calm").sum() > 0
    assert summary.n_turns == len(manifest["files"])  # song files are not counted as turns
    Xa, _ = load_quietly(load_ravdess, manifest["root"], classes="all")
    assert not Xa["utterance_id"].str.contains("/03-02-").any()
    assert (Xa["emotion"] == "calm").sum() > 0


def test_ravdess_fields(releases, tmp_path):
    _, manifest, root = copy_release(releases, "ravdess", tmp_path)
    # a song file among the speech files: skipped without a warning
    src = manifest["files"]["path"].iloc[0]
    actor = root / "Audio_Speech_Actors_01-24" / "Actor_01"
    shutil.copy(src, actor / "03-02-03-01-01-01-01.wav")
    X, _ = load_quietly(load_ravdess, root, classes="all")
    assert "ravdess/03-02-03-01-01-01-01" not in set(X["utterance_id"])
    assert len(X) == manifest["expected"]["all"]
    row = X.set_index("utterance_id").loc["ravdess/03-01-05-02-02-01-02"]
    assert (row["emotion"], row["intensity"], row["sentence"], row["repetition"],
            row["speaker"], row["gender"]) == ("angry", "strong", "02", 1, "ravdess_02", "F")
    assert set(X.loc[X["speaker"] == "ravdess_01", "gender"]) == {"M"}
    assert set(X.loc[X["emotion"] == "neutral", "intensity"]) == {"normal"}
    channels = {sf.info(p).channels for p in X["audio"]}
    assert channels == {1, 2}  # a few stereo files, as in the release


def test_ravdess_actor_parity_gives_gender(tmp_path):
    make_acted_layout(tmp_path, "ravdess", speakers=["07", "12", "23", "24"], sentences=1,
                      duration=0.05)
    X, _ = load_quietly(load_ravdess, tmp_path)
    genders = X.groupby("speaker")["gender"].unique().map(list).to_dict()
    assert genders == {"ravdess_07": ["M"], "ravdess_12": ["F"], "ravdess_23": ["M"],
                       "ravdess_24": ["F"]}


def test_cremad_genders_from_the_demographics_file(releases, tmp_path):
    _, manifest, root = copy_release(releases, "cremad", tmp_path)
    X, _ = load_quietly(load_cremad, root)
    assert X.groupby("speaker")["gender"].unique().map(list).to_dict() == \
        {"cremad_1001": ["M"], "cremad_1002": ["F"]}
    assert set(X["intensity"]) == {"low", "medium", "high", "unspecified"}
    assert set(X.loc[X["sentence"] != "IEO", "intensity"]) == {"unspecified"}
    # the real file's layout: quoted fields, other columns, Windows line endings
    (root / "VideoDemographics.csv").write_bytes(
        b'\xef\xbb\xbfActorID,Age,Sex,Race,Ethnicity\r\n1001,51,"Female",Caucasian,'
        b'Not Hispanic\r\n1002,21,Male,"African American",Not Hispanic\r\n')
    X, _ = load_quietly(load_cremad, root)
    assert X.groupby("speaker")["gender"].first().to_dict() == \
        {"cremad_1001": "F", "cremad_1002": "M"}
    # elsewhere, named by demographics=
    moved = tmp_path / "elsewhere.csv"
    shutil.move(root / "VideoDemographics.csv", moved)
    X, _ = load_quietly(load_cremad, root, demographics=moved)
    assert X["gender"].notna().all()
    with pytest.raises(FileNotFoundError, match="demographics file not found"):
        load_cremad(root, demographics=tmp_path / "nope.csv")
    # absent: one warning, gender None
    with pytest.warns(LoaderWarning, match="VideoDemographics.csv not found"):
        X, _ = load_cremad(root)
    assert X["gender"].isna().all() and all(v is None for v in X["gender"])
    # an actor without a row
    moved.write_text("ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n")
    with pytest.warns(LoaderWarning, match="1002"):
        X, _ = load_cremad(root, demographics=moved)
    assert set(X.loc[X["speaker"] == "cremad_1001", "gender"]) == {"M"}
    assert X.loc[X["speaker"] == "cremad_1002", "gender"].isna().all()
    moved.write_text("Actor,Gender\n1001,Male\n")
    with pytest.raises(ValueError, match="ActorID"):
        load_cremad(root, demographics=moved)


def test_emodb_speaker_table(tmp_path):
    manifest = make_acted_layout(tmp_path, "emodb", speakers=None, sentences=1, duration=0.05)
    X, y = load_quietly(load_emodb, tmp_path)
    genders = X.groupby("speaker")["gender"].first().to_dict()
    assert genders == {"emodb_03": "M", "emodb_08": "F", "emodb_09": "F", "emodb_10": "M",
                       "emodb_11": "M", "emodb_12": "M", "emodb_13": "F", "emodb_14": "F",
                       "emodb_15": "M", "emodb_16": "F"}
    assert len(X) == manifest["expected"]["4"] == 40
    # the version letter is the repetition number
    row = manifest["files"].iloc[0]
    letter = os.path.basename(row["path"])[6]
    assert row["repetition"] == "abcdef".index(letter) + 1


def test_emodb_unknown_speaker_does_not_parse(releases, tmp_path):
    _, manifest, root = copy_release(releases, "emodb", tmp_path)
    shutil.copy(manifest["files"]["path"].iloc[0], root / "wav" / "05a01Wa.wav")
    with pytest.warns(LoaderWarning, match=r"05a01Wa\.wav: speaker 05 is not one of"):
        X, _ = load_emodb(root)
    assert len(X) == manifest["expected"]["4"]


def test_emovo_speakers_and_both_audio_formats(releases, tmp_path):
    _, manifest = releases["emovo"]
    assert {sf.info(p).channels for p in manifest["files"]["path"]} == {2}
    assert {sf.info(p).samplerate for p in manifest["files"]["path"]} == {48000}
    small = make_acted_layout(tmp_path, "emovo", speakers=None, sentences=1, sampling_rate=16000,
                              channels=1, duration=0.05)
    X, _ = load_quietly(load_emovo, tmp_path)
    assert X.groupby("speaker")["gender"].first().to_dict() == {
        "emovo_f1": "F", "emovo_f2": "F", "emovo_f3": "F", "emovo_m1": "M", "emovo_m2": "M",
        "emovo_m3": "M"}
    assert (X.groupby("speaker").size() == 4).all()
    np.testing.assert_allclose(X["end"], small["files"].query("emotion in ['neutral', 'joy', "
                                                              "'sadness', 'anger']")["duration"])


def test_tess_spellings_and_the_misnamed_file(releases):
    _, manifest = releases["tess"]
    folders = {os.path.basename(os.path.dirname(p)) for p in manifest["files"]["path"]}
    assert {"OAF_Fear", "OAF_Pleasant_surprise", "OAF_Sad", "YAF_pleasant_surprised"} <= folders
    X, y = load_quietly(load_tess, manifest["root"], classes="all")
    row = X.set_index("utterance_id").loc["tess/OA_bite_neutral"]
    assert (row["speaker"], row["emotion"], row["sentence"]) == ("tess_OAF", "neutral", "bite")
    assert (X.groupby(["speaker", "emotion"]).size() == 3).all()  # 3 words each
    assert set(X["gender"]) == {"F"}
    assert (X.loc[X["emotion"] == "pleasant_surprise", "utterance_id"]
            .str.endswith("_ps").all())


def test_tess_file_disagreeing_with_its_folder_is_named(releases, tmp_path):
    _, manifest, root = copy_release(releases, "tess", tmp_path)
    src = manifest["files"]["path"].iloc[0]
    shutil.copy(src, root / "OAF_angry" / "OAF_dog_sad.wav")
    shutil.copy(src, root / "OAF_angry" / "YAF_dog_angry.wav")
    with pytest.warns(LoaderWarning) as record:
        X, _, summary = load_tess(root, return_summary=True)
    message = str(record[0].message)
    assert "OAF_dog_sad.wav" in message and "YAF_dog_angry.wav" in message
    assert len(summary.bad_lines) == 2
    assert len(X) == manifest["expected"]["4"]


def test_savee_both_layouts_give_the_same_ids(releases):
    _, release = releases["savee"]
    _, flat = releases["savee-flat"]
    a, _ = load_quietly(load_savee, release["root"], classes="all")
    b, _ = load_quietly(load_savee, flat["root"], classes="all")
    assert os.path.basename(release["corpus_dir"]) == "AudioData"
    assert set(b["utterance_id"]) <= set(a["utterance_id"])
    assert "savee/DC_sa01" in set(b["utterance_id"])
    assert set(a["speaker"]) == {"savee_DC", "savee_JE"} and set(a["gender"]) == {"M"}
    # neutral has twice as many prompts
    counts = a[a["speaker"] == "savee_DC"].groupby("emotion").size()
    assert counts["neutral"] == 2 * counts["anger"] == 4


# --------------------------------------------------------------------------- #
# errors and warnings
# --------------------------------------------------------------------------- #
EXPECTED_IN_ERROR = {
    "ravdess": "expected the unpacked Audio_Speech_Actors_01-24 zip",
    "cremad": "AudioWAV",
    "emodb": "wav/03a01Fa.wav",
    "emovo": "f1/neu-f1-b1.wav",
    "tess": "OAF_angry/OAF_back_angry.wav",
    "savee": "AudioData/DC/a01.wav",
}


@pytest.mark.parametrize("corpus", list(LOADERS))
def test_a_folder_that_is_not_the_corpus_is_one_clear_error(releases, corpus, tmp_path):
    # another corpus's release is not this one
    other = "emodb" if corpus != "emodb" else "emovo"
    root = releases[other][1]["root"]
    with pytest.raises(FileNotFoundError) as excinfo:
        LOADERS[corpus](root)
    message = str(excinfo.value)
    assert EXPECTED_IN_ERROR[corpus] in message and repr(root) in message
    # an empty folder, a missing one, a file
    with pytest.raises(FileNotFoundError, match="expected"):
        LOADERS[corpus](tmp_path)
    with pytest.raises(FileNotFoundError, match="root not found"):
        LOADERS[corpus](tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="must be a directory"):
        LOADERS[corpus](tmp_path / "file.txt")


def test_ravdess_song_only_folder_says_the_speech_zip_is_needed(tmp_path):
    make_acted_layout(tmp_path, "ravdess", speakers=1, sentences=1, song=True, duration=0.05)
    shutil.rmtree(tmp_path / "Audio_Speech_Actors_01-24")
    with pytest.raises(FileNotFoundError, match="found only song files"):
        load_ravdess(tmp_path)


def test_two_copies_of_a_corpus_are_an_error(releases, tmp_path):
    _, manifest = releases["emodb"]
    shutil.copytree(manifest["root"], tmp_path / "copy1")
    shutil.copytree(manifest["root"], tmp_path / "copy2")
    with pytest.raises(ValueError, match="2 folders .* each hold the corpus"):
        load_emodb(tmp_path)
    X, _ = load_quietly(load_emodb, tmp_path / "copy2")
    assert len(X) == manifest["expected"]["4"]


def test_the_same_file_twice_is_an_error_naming_both(releases, tmp_path):
    _, manifest, root = copy_release(releases, "tess", tmp_path)
    src = manifest["files"]["path"].iloc[0]
    shutil.copy(src, root / os.path.basename(src))  # the same file flat beside the folders
    with pytest.raises(ValueError, match="more than once") as excinfo:
        load_tess(root)
    assert str(root / os.path.basename(src)) in str(excinfo.value)


BAD_NAMES = {
    "ravdess": ("Audio_Speech_Actors_01-24/Actor_01", ["03-01-09-01-01-01-01.wav",
                                                      "01-01-01-01-01-01-01.wav", "take1.wav"]),
    "cremad": ("AudioWAV", ["1001_DFA_JOY_XX.wav", "1001_XYZ_ANG_XX.wav", "1001-DFA.wav"]),
    "emodb": ("wav", ["03a01Xa.wav", "03a01Fa copy.wav"]),
    "emovo": ("EMOVO/f1", ["ans-f1-b1.wav", "neu_f1_b1.wav"]),
    "tess": ("OAF_angry", ["OAF_back_angry (1).wav", "OAF_back_bored.wav"]),
    "savee": ("AudioData/DC", ["x01.wav", "DC_a01.wav"]),
}


@pytest.mark.parametrize("corpus", list(BAD_NAMES))
def test_a_name_that_does_not_parse_is_named_and_the_rest_load(releases, corpus, tmp_path):
    _, manifest, root = copy_release(releases, corpus, tmp_path)
    folder, names = BAD_NAMES[corpus]
    src = manifest["files"]["path"].iloc[0]
    for name in names:
        shutil.copy(src, root / folder / name)
    (root / folder / "notes.txt").write_text("not audio: ignored")  # not .wav: silent
    with pytest.warns(LoaderWarning) as record:
        X, _, summary = LOADERS[corpus](root, return_summary=True)
    assert len(record) == 1
    message = str(record[0].message)
    for name in names:
        assert name in message
    assert len(summary.bad_lines) == len(names)
    assert len(X) == manifest["expected"]["4"]


@pytest.mark.parametrize("corpus", list(LOADERS))
def test_on_missing_raise_or_skip(corpus, tmp_path):
    manifest = make_acted_layout(tmp_path, corpus, speakers=1, sentences=1, duration=0.05,
                                 unreadable=2)
    lost = manifest["unreadable"]
    assert len(lost) == 2 and all(os.path.getsize(p) == 0 for p in lost)
    with pytest.raises(ValueError, match="cannot be read") as excinfo:
        LOADERS[corpus](tmp_path)
    for path in lost:
        assert path in str(excinfo.value)
    assert "an empty file" in str(excinfo.value)
    with pytest.warns(LoaderWarning, match="skipped 2 unreadable"):
        X, y, summary = LOADERS[corpus](tmp_path, on_missing="skip", return_summary=True)
    assert len(X) == manifest["expected"]["4"]
    assert not set(lost) & set(X["audio"])
    assert sorted(summary.missing_audio) == sorted(lost)
    assert summary.n_turns == summary.n_loaded + summary.n_dropped + len(summary.missing_audio)
    with pytest.raises(ValueError, match="on_missing"):
        LOADERS[corpus](tmp_path, on_missing="ignore")


def test_only_returned_files_are_read_and_lfs_pointers_are_explained(releases, tmp_path):
    _, manifest, root = copy_release(releases, "cremad", tmp_path)
    files = manifest["files"]
    fear = root / "AudioWAV" / os.path.basename(files.loc[files["emotion"] == "fear",
                                                          "path"].iloc[0])
    fear.write_bytes(b"")  # a dropped emotion: its audio is never needed
    X, _ = load_quietly(load_cremad, root)
    assert len(X) == manifest["expected"]["4"]
    with pytest.raises(ValueError, match=fear.name):
        load_cremad(root, classes="all")
    happy = root / "AudioWAV" / os.path.basename(files.loc[files["emotion"] == "happy",
                                                           "path"].iloc[0])
    happy.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n")
    with pytest.raises(ValueError, match="git lfs pull"):
        load_cremad(root)
    header_only = root / "AudioWAV" / os.path.basename(files.loc[files["emotion"] == "sad",
                                                                 "path"].iloc[0])
    sf.write(header_only, np.zeros(0, dtype=np.float32), 16000)  # a header and no samples
    with pytest.warns(LoaderWarning) as record:
        X, _, summary = load_cremad(root, on_missing="skip", return_summary=True)
    assert "no audio samples" in str(record[0].message)
    assert sorted(summary.missing_audio) == sorted([str(happy), str(header_only)])


def test_label_map_keys_are_the_english_emotion_names(releases):
    _, manifest = releases["emodb"]
    files = manifest["files"]
    X, y = load_quietly(load_emodb, manifest["root"],
                        label_map={"Anger": "ang", "boredom": "neu", "neutral": "neu",
                                   "fear": None})
    kept = files[files["emotion"].isin(["anger", "boredom", "neutral"])]
    assert X["utterance_id"].tolist() == kept["utterance_id"].tolist()
    assert list(y) == ["ang" if e == "anger" else "neu" for e in kept["emotion"]]
    with pytest.raises(ValueError, match=r"\['W'\] are not emotions of the corpus"):
        load_emodb(manifest["root"], label_map={"W": "ang"})  # codes are not keys
    with pytest.raises(ValueError, match="label_map"):
        load_emodb(manifest["root"], label_map={})
    with pytest.raises(ValueError, match="classes must be one of"):
        load_emodb(manifest["root"], classes="6")
    _, ravdess = releases["ravdess"]
    X, y = load_quietly(load_ravdess, ravdess["root"],
                        label_map={"neutral": "neu", "calm": "neu", "happy": "hap",
                                   "sad": "sad", "angry": "ang"})
    assert (X["emotion"] == "calm").sum() > 0
    assert set(y[X["emotion"].to_numpy() == "calm"]) == {"neu"}


def test_make_acted_layout_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="corpus"):
        make_acted_layout(tmp_path, "iemocap")
    with pytest.raises(ValueError, match="layout"):
        make_acted_layout(tmp_path, "emodb", layout="flat")
    with pytest.raises(ValueError, match="song=True"):
        make_acted_layout(tmp_path, "emodb", song=True)
    with pytest.raises(ValueError, match="speakers"):
        make_acted_layout(tmp_path, "emodb", speakers=["04"])
    with pytest.raises(ValueError, match="sentences"):
        make_acted_layout(tmp_path, "ravdess", sentences=3)


def test_docstring_examples():
    import sklearn_maec.datasets._acted as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- #
# the real corpora in ../shared/data
# --------------------------------------------------------------------------- #
def test_real_emodb_counts():
    root = real("emodb")
    X, y, summary = load_quietly(load_emodb, root, classes="all", return_summary=True)
    assert len(X) == 535 and summary.n_turns == 535
    assert pd.Series(y).value_counts().to_dict() == {
        "anger": 127, "boredom": 81, "neutral": 79, "happiness": 71, "fear": 69,
        "sadness": 62, "disgust": 46}
    X4, y4 = load_quietly(load_emodb, root)
    assert len(X4) == 339
    assert pd.Series(y4).value_counts().to_dict() == {"ang": 127, "neu": 79, "hap": 71,
                                                      "sad": 62}
    table = pd.crosstab(X4["speaker"], y4)
    assert table.shape == (10, 4) and (table > 0).all().all()  # every speaker has all four
    assert table.loc["emodb_12", "hap"] == 2 and table.loc["emodb_10", "sad"] == 3
    assert X4.groupby("speaker")["gender"].first().to_dict() == {
        "emodb_03": "M", "emodb_08": "F", "emodb_09": "F", "emodb_10": "M", "emodb_11": "M",
        "emodb_12": "M", "emodb_13": "F", "emodb_14": "F", "emodb_15": "M", "emodb_16": "F"}
    # the layout, not manifest.csv: the same rows from the wav folder alone
    pd.testing.assert_frame_equal(X4, load_quietly(load_emodb, root / "wav")[0])
    # the durations agree with the corpus's manifest (within one sample at 16 kHz)
    manifest = pd.read_csv(root / "manifest.csv")
    durations = dict(zip("emodb/" + manifest["path"].str[4:-4], manifest["duration_s"],
                         strict=True))
    np.testing.assert_allclose(X["end"], X["utterance_id"].map(durations), atol=1e-4)
    assert (X["start"] == 0).all() and X["dialogue"].is_unique


def test_real_emovo_counts():
    root = real("emovo")
    X, y = load_quietly(load_emovo, root, classes="all")
    assert len(X) == 588
    assert pd.Series(y).value_counts().to_dict() == {e: 84 for e in ALL["emovo"]}
    X4, y4 = load_quietly(load_emovo, root)
    assert len(X4) == 336
    assert pd.Series(y4).value_counts().to_dict() == {"neu": 84, "hap": 84, "sad": 84,
                                                      "ang": 84}
    assert X4.groupby("speaker").size().to_dict() == {
        f"emovo_{s}": 56 for s in ("f1", "f2", "f3", "m1", "m2", "m3")}
    assert X4.groupby("speaker")["gender"].first().to_dict() == {
        "emovo_f1": "F", "emovo_f2": "F", "emovo_f3": "F", "emovo_m1": "M", "emovo_m2": "M",
        "emovo_m3": "M"}
    assert set(X4["sentence"]) == {"b1", "b2", "b3", "d1", "d2", "l1", "l2", "l3", "l4", "n1",
                                   "n2", "n3", "n4", "n5"}
    # its parent folder works too (it also holds emodb/, which is not EMOVO)
    pd.testing.assert_frame_equal(X4, load_quietly(load_emovo, root.parent)[0])


@pytest.mark.parametrize("corpus", ["emodb", "emovo"])
def test_real_corpus_through_segmenter_and_context(corpus):
    root = real(corpus)
    X, y = load_quietly(LOADERS[corpus], root)
    rows = X.groupby(y, sort=True).head(2).reset_index(drop=True)  # 8 rows, all four classes
    Xt = OpenSmileSegmenter().fit_transform(rows)
    Xt = ContextTripleBuilder().fit_transform(Xt)
    assert len(Xt) == 8
    assert (Xt["previous"] == -1).all() and (Xt["interlocutor"] == -1).all()
    for k in range(len(Xt)):
        frames, segments = Xt["frames"].iloc[k], Xt["segments"].iloc[k]
        # about 100 frames per second of audio, 45 LLDs, at least one 0.5 s segment
        assert frames.shape[1] == 45 and abs(len(frames) - 100 * Xt["end"].iloc[k]) < 5
        assert segments.shape[0] >= 1 and np.isfinite(frames).all()
