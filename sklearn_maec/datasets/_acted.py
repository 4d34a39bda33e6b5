"""Loaders of the free acted emotional-speech corpora, read from their release layouts.

RAVDESS, CREMA-D, EmoDB, EMOVO, TESS and SAVEE are single utterances read by
actors, with no dialogue: each file is its own dialogue (``dialogue`` equals
``utterance_id``, ``start`` is 0, ``end`` the file's duration), so
:class:`~sklearn_maec.ContextTripleBuilder` gives every row ``-1`` (no
previous, no interlocutor turn) and the loaders emit none of the context
columns of :func:`~sklearn_maec.datasets.load_iemocap`.

Every label, speaker and gender comes from the file names (and, for CREMA-D,
``VideoDemographics.csv``): the loaders list the corpus's folders, parse each
``.wav`` name, and read each kept file's header (with :mod:`soundfile`, not
the samples) for its duration.
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import soundfile

from ..exceptions import caller_stacklevel
from ._context import (
    LoaderWarning,
    LoadSummary,
    absolute,
    check_on_missing,
    finish,
    listing,
    resolve_label_map,
)

__all__ = ["load_ravdess", "load_cremad", "load_emodb", "load_emovo", "load_tess",
           "load_savee", "ACTED_COLUMNS", "ACTED_CORPORA"]

#: Columns of the ``X`` every acted-corpus loader returns, in order.
ACTED_COLUMNS = ("audio", "dialogue", "speaker", "start", "end", "gender", "corpus", "session",
                 "utterance_id", "emotion", "sentence", "intensity", "repetition", "language")

#: Per corpus: language, the code of each emotion in the file names -> its English name (the
#: ``emotion`` column and the labels of ``classes="all"``), the 4-class mapping, speakers.
ACTED_CORPORA = {
    "ravdess": {
        "title": "RAVDESS", "language": "en",
        "emotions": {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
                     "06": "fearful", "07": "disgust", "08": "surprised"},
        "four": {"neutral": "neu", "happy": "hap", "sad": "sad", "angry": "ang"},
    },
    "cremad": {
        "title": "CREMA-D", "language": "en",
        "emotions": {"ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "happy",
                     "NEU": "neutral", "SAD": "sad"},
        "four": {"neutral": "neu", "happy": "hap", "sad": "sad", "anger": "ang"},
    },
    "emodb": {
        "title": "EmoDB", "language": "de",
        "emotions": {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear",
                     "F": "happiness", "T": "sadness", "N": "neutral"},
        "four": {"neutral": "neu", "happiness": "hap", "sadness": "sad", "anger": "ang"},
    },
    "emovo": {
        "title": "EMOVO", "language": "it",
        "emotions": {"neu": "neutral", "gio": "joy", "tri": "sadness", "rab": "anger",
                     "pau": "fear", "dis": "disgust", "sor": "surprise"},
        "four": {"neutral": "neu", "joy": "hap", "sadness": "sad", "anger": "ang"},
    },
    "tess": {
        "title": "TESS", "language": "en",
        "emotions": {"angry": "anger", "disgust": "disgust", "fear": "fear",
                     "happy": "happiness", "neutral": "neutral", "ps": "pleasant_surprise",
                     "sad": "sadness"},
        "four": {"neutral": "neu", "happiness": "hap", "sadness": "sad", "anger": "ang"},
    },
    "savee": {
        "title": "SAVEE", "language": "en",
        "emotions": {"a": "anger", "d": "disgust", "f": "fear", "h": "happiness",
                     "n": "neutral", "sa": "sadness", "su": "surprise"},
        "four": {"neutral": "neu", "happiness": "hap", "sadness": "sad", "anger": "ang"},
    },
}

#: EmoDB's speakers: number -> (gender, age), from the corpus documentation.
EMODB_SPEAKERS = {"03": ("M", 31), "08": ("F", 34), "09": ("F", 21), "10": ("M", 32),
                  "11": ("M", 26), "12": ("M", 30), "13": ("F", 32), "14": ("F", 35),
                  "15": ("M", 25), "16": ("F", 31)}
#: EmoDB's text codes.
EMODB_TEXTS = ("a01", "a02", "a04", "a05", "a07", "b01", "b02", "b03", "b09", "b10")
#: EMOVO's sentence codes.
EMOVO_SENTENCES = ("b1", "b2", "b3", "d1", "d2", "l1", "l2", "l3", "l4",
                   "n1", "n2", "n3", "n4", "n5")
#: CREMA-D's sentence codes; IEO is the one recorded at three intensity levels.
CREMAD_SENTENCES = ("IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS",
                    "TSI", "WSI")
CREMAD_LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
RAVDESS_INTENSITY = {"01": "normal", "02": "strong"}
SAVEE_SPEAKERS = ("DC", "JE", "JK", "KL")
TESS_SPEAKERS = ("OAF", "YAF")
#: TESS folder emotion spellings (lower case) -> the file names' emotion token.
_TESS_FOLDER_EMOTIONS = {"angry": "angry", "disgust": "disgust", "fear": "fear",
                         "happy": "happy", "neutral": "neutral", "sad": "sad", "ps": "ps",
                         "pleasant_surprise": "ps", "pleasant_surprised": "ps"}

_LFS = b"version https://git-lfs"

_RAVDESS_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_RAVDESS_ACTOR_DIR = re.compile(r"^Actor_(\d+)$", re.IGNORECASE)
_CREMAD_NAME = re.compile(r"^(\d{4})_([A-Za-z]{3})_([A-Za-z]{3})_([A-Za-z]{2})$")
_EMODB_NAME = re.compile(r"^(\d{2})([ab]\d{2})([A-Za-z])([a-z])$")
_EMOVO_NAME = re.compile(r"^([a-z]{3})-([fm]\d)-([a-z]\d)$", re.IGNORECASE)
_EMOVO_SPEAKER_DIR = re.compile(r"^[fm]\d$", re.IGNORECASE)
_TESS_NAME = re.compile(r"^([A-Za-z]+)_([A-Za-z]+)_([A-Za-z_]+)$")
_TESS_DIR = re.compile(r"^(OAF|YAF)_([A-Za-z_]+)$", re.IGNORECASE)
_SAVEE_CODE = r"(sa|su|a|d|f|h|n)(\d{2})"
_SAVEE_NAME = re.compile(rf"^{_SAVEE_CODE}$")
_SAVEE_FLAT_NAME = re.compile(rf"^([A-Za-z]{{2}})_{_SAVEE_CODE}$")


# --------------------------------------------------------------------------- #
# shared docstring parts
# --------------------------------------------------------------------------- #
_COMMON_PARAMETERS = """classes : {"4", "all"}, default="4"
        ``"4"``: the four classes of the field's 4-class setups, under the
        package's labels ``neu``, ``hap``, ``sad``, ``ang`` (the corpus's other
        emotions are dropped, counted in the summary); ``"all"``: every
        emotion under the corpus's own English name (the ``emotion`` column;
        see the table in Notes).
    label_map : dict or None, default=None
        A custom mapping emotion -> class that replaces ``classes``.  Its keys
        are matched, in lower case, against the English emotion names of the
        ``emotion`` column (listed in Notes; not the codes of the file names),
        and a key that is none of them is a ``ValueError``; emotions not in
        it, or mapped to None, are dropped.  E.g. ``{"neutral": "neu",
        "happy": "hap", "sad": "sad", "angry": "ang", "calm": "neu"}`` for
        RAVDESS folds calm into neutral.
    on_missing : {"raise", "skip"}, default="raise"
        What to do with a kept file whose audio cannot be used: a header
        :mod:`soundfile` cannot read (a truncated or damaged file, a Git LFS
        pointer) or no samples.  ``"raise"``: a ``ValueError`` naming every
        such file.  ``"skip"``: the rows are dropped, listed in the summary's
        ``missing_audio`` and named in a
        :class:`~sklearn_maec.datasets.LoaderWarning`.  Only the files of
        rows that would be returned are read."""

_RETURN_SUMMARY = """return_summary : bool, default=False
        Also return a :class:`~sklearn_maec.datasets.LoadSummary` (the same
        summary is logged at INFO level on the ``"sklearn_maec"`` logger)."""

_RETURNS = """X : pandas.DataFrame
        One row per kept file, ordered by speaker and file name, with a
        RangeIndex and the columns (object dtype unless noted):

        - ``audio``: absolute path of the wav file (files keep their own
          sampling rate and channels; the segmenter resamples and mixes down);
        - ``dialogue``: the ``utterance_id`` (each file is its own dialogue);
        - ``speaker``: the corpus name and the speaker code, @SPEAKER@;
        - ``start`` (float64): 0.0; ``end`` (float64): the file's duration
          in seconds, from its header;
        - ``gender``: ``"F"`` or ``"M"``@GENDER@;
        - ``corpus``: ``"@CORPUS@"``; ``session``: None;
        - ``utterance_id``: ``"@CORPUS@/"`` and the file name without
          extension, @UTTERANCE@ (unique across corpora);
        - ``emotion``: the English name of the file's emotion (Notes);
        - ``sentence``: @SENTENCE@;
        - ``intensity``: @INTENSITY@;
        - ``repetition``: @REPETITION@;
        - ``language``: ``"@LANGUAGE@"`` (ISO 639-1).
    y : ndarray of shape (n_rows,), dtype object
        The class label of every row.
    summary : LoadSummary
        Only with ``return_summary=True``: files read (``n_turns``), rows
        kept per class, files dropped per emotion, unreadable files
        (``missing_audio``) and file names that do not parse
        (``bad_lines``)."""

_DIALOGUE_NOTE = """**No dialogue.** Each file is its own dialogue with one turn: the
    context triple of every row is (the row, none, none), the emotion is
    recognised from the utterance alone, and no context column
    (``previous_id`` ...) is returned.  Group cross-validation folds by
    ``X["speaker"]`` (leave one speaker out) so no actor is in both train and
    test."""

_FILE_NOTE = """**Files.** Hidden files (``.DS_Store``, ``._*`` resource forks), folders
    such as ``__MACOSX`` and files that are not ``.wav`` are ignored.  A
    ``.wav`` file in the corpus's folders whose name does not parse is named
    in a :class:`~sklearn_maec.datasets.LoaderWarning` (and in the summary's
    ``bad_lines``) and the other files load."""


def _fill_doc(**parts):
    """Substitute ``@NAME@`` markers in a docstring (markers keep the braces of examples)."""
    shared = {"COMMON_PARAMETERS": _COMMON_PARAMETERS, "RETURN_SUMMARY": _RETURN_SUMMARY,
              "RETURNS": _RETURNS, "DIALOGUE_NOTE": _DIALOGUE_NOTE, "FILE_NOTE": _FILE_NOTE}

    def decorate(func):
        doc = func.__doc__
        for _ in range(2):  # the shared parts hold markers of their own
            for key, value in {**shared, **parts}.items():
                doc = doc.replace(f"@{key}@", value)
        func.__doc__ = doc
        return func

    return decorate


# --------------------------------------------------------------------------- #
# RAVDESS
# --------------------------------------------------------------------------- #
@_fill_doc(CORPUS="ravdess", LANGUAGE="en", GENDER=" (odd actor numbers are male)",
           SPEAKER='``"ravdess_01"`` .. ``"ravdess_24"``',
           UTTERANCE='e.g. ``"ravdess/03-01-05-02-01-01-12"``',
           SENTENCE='the statement code, ``"01"`` ("Kids are talking by the door") or '
                    '``"02"`` ("Dogs are sitting by the door")',
           INTENSITY='``"normal"`` or ``"strong"``',
           REPETITION="1 or 2 (int)")
def load_ravdess(root, classes="4", label_map=None, on_missing="raise", return_summary=False):
    """Load the speech of RAVDESS from its release layout into the package's ``(X, y)`` form.

    The Ryerson Audio-Visual Database of Emotional Speech and Song (Livingstone
    & Russo, 2018): 24 North American English actors (12 female, 12 male), two
    statements, 8 emotions at two intensities, 1,440 audio-only speech files
    (48 kHz, 16 bit, a few stereo).  Reads the unpacked
    ``Audio_Speech_Actors_01-24.zip``: ``Actor_NN/03-01-EE-II-SS-RR-AA.wav``.

    Parameters
    ----------
    root : str or path-like
        The folder holding the ``Actor_01`` .. ``Actor_24`` folders, or a
        folder containing it (e.g. one holding ``Audio_Speech_Actors_01-24/``
        beside ``Audio_Song_Actors_01-24/``).
    @COMMON_PARAMETERS@
    @RETURN_SUMMARY@

    Returns
    -------
    @RETURNS@

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist, or holds no ``Actor_NN`` folder with
        audio-only speech files ``03-01-*.wav`` (nor does any folder in it).
    ValueError
        Invalid parameters; ``root`` is a file; several folders in ``root``
        each hold a copy of the corpus; an unreadable file with
        ``on_missing="raise"``.

    See Also
    --------
    load_cremad, load_emodb, load_emovo, load_tess, load_savee : The other
        acted corpora.
    make_acted_layout : Writes a miniature RAVDESS in this layout.

    Notes
    -----
    **File names.** Seven two-digit fields ``MM-VV-EE-II-SS-RR-AA``: modality
    (03 audio-only), vocal channel (01 speech, 02 song), emotion (below),
    intensity (01 normal, 02 strong; neutral has only normal), statement,
    repetition, actor.  Only speech is loaded: song files (vocal channel 02,
    the ``Audio_Song_Actors_01-24`` zip) are skipped without a warning, even
    in the same folders.  A ``.wav`` name with another modality, or a code
    out of range, does not parse.

    **Emotions** (code: ``emotion``, 4-class label): 01 ``neutral``
    (``neu``), 02 ``calm`` (dropped: calm is not one of the four), 03
    ``happy`` (``hap``), 04 ``sad`` (``sad``), 05 ``angry`` (``ang``), 06
    ``fearful``, 07 ``disgust``, 08 ``surprised``.  The full release gives
    672 rows in the four classes (96 neutral, 192 each for the others).

    @DIALOGUE_NOTE@

    @FILE_NOTE@

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_ravdess, make_acted_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_acted_layout(tmp.name, "ravdess", speakers=2, song=True)
    >>> X, y = load_ravdess(tmp.name)
    >>> len(X) == manifest["expected"]["4"], sorted(set(y))
    (True, ['ang', 'hap', 'neu', 'sad'])
    >>> X.loc[0, ["speaker", "gender", "emotion", "intensity", "dialogue"]].tolist()
    ['ravdess_01', 'M', 'neutral', 'normal', 'ravdess/03-01-01-01-01-01-01']
    >>> tmp.cleanup()
    """
    def locate(folder):
        actors = [d for d in _subdirs(folder) if _RAVDESS_ACTOR_DIR.match(os.path.basename(d))]
        return actors if any(_parses(d, _parse_ravdess) for d in actors) else []

    def not_found(root):
        songs = [d for d in [root, *_subdirs(root)] if _has_song(d)]
        hint = (f" (found only song files, 03-02-*.wav, in {songs[0]!r}: the speech is the "
                "Audio_Speech_Actors_01-24 zip)") if songs else ""
        return (f"RAVDESS: no Actor_NN folders with 03-01-EE-II-SS-RR-AA.wav files in {root!r} "
                f"nor in its sub-folders{hint}: expected the unpacked Audio_Speech_Actors_01-24 "
                "zip (Actor_01 .. Actor_24)")

    return _load("ravdess", root, classes, label_map, on_missing, return_summary,
                 locate, not_found, _parse_ravdess)


def _parse_ravdess(folder, stem):
    m = _RAVDESS_NAME.match(stem)
    if m is None:
        return None, "not of the form 03-01-EE-II-SS-RR-AA (seven two-digit fields)"
    modality, channel, emotion, intensity, statement, repetition, actor = m.groups()
    if modality != "03":
        return None, f"modality {modality} is not 03 (audio-only)"
    if channel == "02":
        return None, None  # song: skipped silently
    if channel != "01":
        return None, f"vocal channel {channel} is neither 01 (speech) nor 02 (song)"
    emotions = ACTED_CORPORA["ravdess"]["emotions"]
    if emotion not in emotions:
        return None, f"emotion code {emotion} is not one of 01-08"
    if intensity not in RAVDESS_INTENSITY or statement not in ("01", "02") \
            or repetition not in ("01", "02") or int(actor) < 1:
        return None, "intensity, statement or repetition not 01/02, or actor 00"
    return dict(speaker=f"ravdess_{actor}", gender="M" if int(actor) % 2 else "F",
                emotion=emotions[emotion], sentence=statement,
                intensity=RAVDESS_INTENSITY[intensity], repetition=int(repetition)), None


def _has_song(folder):
    for actor in _subdirs(folder):
        if _RAVDESS_ACTOR_DIR.match(os.path.basename(actor)) and any(
                n.startswith("03-02-") for n, _ in _wav_files(actor)):
            return True
    return False


# --------------------------------------------------------------------------- #
# CREMA-D
# --------------------------------------------------------------------------- #
@_fill_doc(CORPUS="cremad", LANGUAGE="en",
           GENDER=", from ``VideoDemographics.csv`` (None when it is absent)",
           SPEAKER='``"cremad_1001"`` .. ``"cremad_1091"``',
           UTTERANCE='e.g. ``"cremad/1001_DFA_ANG_XX"``',
           SENTENCE='the sentence code, ``"IEO"``, ``"TIE"``, ``"IOM"``, ``"IWW"``, '
                    '``"TAI"``, ``"MTI"``, ``"IWL"``, ``"ITH"``, ``"DFA"``, ``"ITS"``, '
                    '``"TSI"``, ``"WSI"``',
           INTENSITY='``"low"``, ``"medium"``, ``"high"`` (LO, MD, HI: the sentence IEO) '
                     'or ``"unspecified"`` (XX)',
           REPETITION="None")
def load_cremad(root, classes="4", label_map=None, on_missing="raise", demographics=None,
                return_summary=False):
    """Load CREMA-D from its release layout into the package's ``(X, y)`` form.

    The Crowd-sourced Emotional Multimodal Actors Dataset (Cao et al., 2014):
    91 actors (48 male, 43 female), 12 sentences, 6 emotions, 7,442 clips.
    Reads ``AudioWAV/AAAA_SSS_EMO_LVL.wav`` and, for the actors' genders,
    ``VideoDemographics.csv`` (columns ``ActorID``, ``Age``, ``Sex``,
    ``Race``, ``Ethnicity``) of the release's repository.

    Parameters
    ----------
    root : str or path-like
        The release folder holding ``AudioWAV/`` (and
        ``VideoDemographics.csv``), the ``AudioWAV`` folder itself, or a
        folder containing either.
    @COMMON_PARAMETERS@
    demographics : str, path-like or None, default=None
        The ``VideoDemographics.csv`` file.  None looks for it in the folder
        holding ``AudioWAV`` and in ``root``; when it is not found, a
        :class:`~sklearn_maec.datasets.LoaderWarning` says so and ``gender``
        is None (the classifier then leaves gender out of its loss).
    @RETURN_SUMMARY@

    Returns
    -------
    @RETURNS@

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or holds no ``AAAA_SSS_EMO_LVL.wav`` files
        (in itself, ``AudioWAV/`` or a folder in it); ``demographics`` is
        given but does not exist.
    ValueError
        Invalid parameters; ``root`` is a file; several copies of the corpus
        in ``root``; ``VideoDemographics.csv`` lacks the ``ActorID`` or
        ``Sex`` column; an unreadable file with ``on_missing="raise"``.

    See Also
    --------
    load_ravdess, load_emodb, load_emovo, load_tess, load_savee : The other
        acted corpora.
    make_acted_layout : Writes a miniature CREMA-D in this layout.

    Notes
    -----
    **Emotions** (code: ``emotion``, 4-class label): ``NEU`` ``neutral``
    (``neu``), ``HAP`` ``happy`` (``hap``), ``SAD`` ``sad`` (``sad``),
    ``ANG`` ``anger`` (``ang``), ``FEA`` ``fear``, ``DIS`` ``disgust``.  The
    labels are the acted (intended) emotions of the file names, not the
    crowd's perceived ones.  The authors report that
    ``1076_MTI_SAD_XX.wav`` holds no usable audio: when its header shows no
    samples it is an unreadable file (``on_missing``), otherwise the
    segmenter's checks of silent or very short audio report it.  A
    repository cloned without Git LFS holds pointer files instead of audio;
    the error says so.

    @DIALOGUE_NOTE@

    @FILE_NOTE@

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_cremad, make_acted_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_acted_layout(tmp.name, "cremad", speakers=2)
    >>> X, y = load_cremad(tmp.name, classes="all")
    >>> len(X) == manifest["expected"]["all"]
    True
    >>> X.loc[0, ["utterance_id", "speaker", "gender", "intensity"]].tolist()
    ['cremad/1001_DFA_ANG_XX', 'cremad_1001', 'M', 'unspecified']
    >>> tmp.cleanup()
    """
    def locate(folder):
        audio = os.path.join(folder, "AudioWAV")
        for candidate in (audio, folder):
            if os.path.isdir(candidate) and _parses(candidate, _parse_cremad):
                return [candidate]
        return []

    def not_found(root):
        return (f"CREMA-D: no AAAA_SSS_EMO_LVL.wav files (e.g. 1001_DFA_ANG_XX.wav) in {root!r}, "
                "its AudioWAV folder or its sub-folders: expected the CREMA-D release "
                "(AudioWAV/ with VideoDemographics.csv beside it)")

    def genders(folders, search_root):
        return _cremad_genders(demographics, folders[0], search_root)

    return _load("cremad", root, classes, label_map, on_missing, return_summary,
                 locate, not_found, _parse_cremad, genders=genders)


def _parse_cremad(folder, stem):
    m = _CREMAD_NAME.match(stem)
    if m is None:
        return None, "not of the form AAAA_SSS_EMO_LVL (e.g. 1001_DFA_ANG_XX)"
    actor, sentence, emotion, level = m.groups()
    sentence, emotion, level = sentence.upper(), emotion.upper(), level.upper()
    emotions = ACTED_CORPORA["cremad"]["emotions"]
    if emotion not in emotions:
        return None, f"emotion {emotion} is not one of {', '.join(emotions)}"
    if sentence not in CREMAD_SENTENCES:
        return None, f"sentence {sentence} is not one of CREMA-D's 12"
    if level not in CREMAD_LEVELS:
        return None, f"level {level} is not one of LO, MD, HI, XX"
    return dict(speaker=f"cremad_{actor}", actor=actor, gender=None, emotion=emotions[emotion],
                sentence=sentence, intensity=CREMAD_LEVELS[level], repetition=None), None


def _cremad_genders(demographics, audio_folder, search_root):
    """ActorID -> "F"/"M" from VideoDemographics.csv, or None when there is no such file."""
    if demographics is not None:
        path = absolute(demographics)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"CREMA-D: demographics file not found: {path!r}")
    else:
        candidates = list(dict.fromkeys(
            os.path.join(d, "VideoDemographics.csv")
            for d in (os.path.dirname(audio_folder), audio_folder, search_root)))
        path = next((c for c in candidates if os.path.isfile(c)), None)
        if path is None:
            warnings.warn(
                "CREMA-D: VideoDemographics.csv not found (looked for "
                + ", ".join(repr(c) for c in candidates)
                + "): the gender column is None. Pass demographics= the file from the "
                "CREMA-D repository to get the actors' genders.", LoaderWarning,
                stacklevel=caller_stacklevel())
            return None
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise OSError(f"CREMA-D: cannot read {path!r}: {exc}") from exc
    header = [h.strip() for h in rows[0]] if rows else []
    if "ActorID" not in header or "Sex" not in header:
        raise ValueError(f"CREMA-D: {path!r} lacks the column(s) ActorID and/or Sex; "
                         f"columns: {header}")
    a, s = header.index("ActorID"), header.index("Sex")
    sexes = {"male": "M", "female": "F", "m": "M", "f": "F"}
    return {row[a].strip(): sexes.get(row[s].strip().lower())
            for row in rows[1:] if len(row) > max(a, s)}


# --------------------------------------------------------------------------- #
# EmoDB
# --------------------------------------------------------------------------- #
@_fill_doc(CORPUS="emodb", LANGUAGE="de", GENDER=" (the corpus documentation's table, Notes)",
           SPEAKER='``"emodb_03"``, ``"emodb_08"`` .. ``"emodb_16"``',
           UTTERANCE='e.g. ``"emodb/03a01Fa"``',
           SENTENCE='the text code, ``"a01"`` .. ``"b10"``',
           INTENSITY="None",
           REPETITION="the take's version letter as a number (a: 1, b: 2, ...; not every "
                      "version was kept, so the numbers may skip)")
def load_emodb(root, classes="4", label_map=None, on_missing="raise", return_summary=False):
    """Load the Berlin Database of Emotional Speech (EmoDB) into the package's ``(X, y)`` form.

    EmoDB (Burkhardt et al., 2005): 10 German actors (5 female, 5 male), 10
    texts, 7 emotions, 535 utterances at 16 kHz.  Reads ``wav/SSTTTEV.wav``
    (speaker, text, emotion letter, version) from the release; its
    ``manifest.csv``-like conveniences, where present, are not used.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``wav/``, the ``wav`` folder itself, or a folder
        containing either.
    @COMMON_PARAMETERS@
    @RETURN_SUMMARY@

    Returns
    -------
    @RETURNS@

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or holds no ``SSTTTEV.wav`` files (in
        itself, ``wav/`` or a folder in it).
    ValueError
        Invalid parameters; ``root`` is a file; several copies of the corpus
        in ``root``; an unreadable file with ``on_missing="raise"``.

    See Also
    --------
    load_ravdess, load_cremad, load_emovo, load_tess, load_savee : The other
        acted corpora.
    make_acted_layout : Writes a miniature EmoDB in this layout.

    Notes
    -----
    **Emotions** (German letter: ``emotion``, 4-class label): W (Wut)
    ``anger`` (``ang``), F (Freude) ``happiness`` (``hap``), T (Trauer)
    ``sadness`` (``sad``), N ``neutral`` (``neu``), A (Angst) ``fear``, E
    (Ekel) ``disgust``, L (Langeweile) ``boredom``.  The release: 535 files
    (anger 127, boredom 81, neutral 79, happiness 71, fear 69, sadness 62,
    disgust 46), 339 in the four classes; every speaker has all four.

    **Speakers** (number: gender, age), from the corpus documentation: 03 M
    31, 08 F 34, 09 F 21, 10 M 32, 11 M 26, 12 M 30, 13 F 32, 14 F 35, 15 M
    25, 16 F 31.  A file of another speaker number does not parse.

    @DIALOGUE_NOTE@

    @FILE_NOTE@

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_emodb, make_acted_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_acted_layout(tmp.name, "emodb", speakers=2, sentences=2)
    >>> X, y, summary = load_emodb(tmp.name, return_summary=True)
    >>> summary.n_loaded, summary.dropped_labels
    (16, {'boredom': 4, 'disgust': 4, 'fear': 4})
    >>> X.loc[0, ["utterance_id", "speaker", "gender", "language"]].tolist()
    ['emodb/03a01Fb', 'emodb_03', 'M', 'de']
    >>> tmp.cleanup()
    """
    def locate(folder):
        for candidate in (os.path.join(folder, "wav"), folder):
            if os.path.isdir(candidate) and _parses(candidate, _parse_emodb):
                return [candidate]
        return []

    def not_found(root):
        return (f"EmoDB: no SSTTTEV.wav files (e.g. 03a01Fa.wav) in {root!r}, its wav folder or "
                "its sub-folders: expected the EmoDB release layout (wav/03a01Fa.wav ...)")

    return _load("emodb", root, classes, label_map, on_missing, return_summary,
                 locate, not_found, _parse_emodb)


def _parse_emodb(folder, stem):
    m = _EMODB_NAME.match(stem)
    if m is None:
        return None, "not of the form SSTTTEV (e.g. 03a01Fa: speaker, text, emotion, version)"
    speaker, text, letter, version = m.groups()
    emotions = ACTED_CORPORA["emodb"]["emotions"]
    if letter not in emotions:
        return None, f"emotion letter {letter!r} is not one of {''.join(emotions)}"
    if speaker not in EMODB_SPEAKERS:
        return None, f"speaker {speaker} is not one of EmoDB's ten (03, 08-16)"
    return dict(speaker=f"emodb_{speaker}", gender=EMODB_SPEAKERS[speaker][0],
                emotion=emotions[letter], sentence=text, intensity=None,
                repetition=ord(version) - ord("a") + 1), None


# --------------------------------------------------------------------------- #
# EMOVO
# --------------------------------------------------------------------------- #
@_fill_doc(CORPUS="emovo", LANGUAGE="it", GENDER=" (the letter of the speaker code)",
           SPEAKER='``"emovo_f1"`` .. ``"emovo_f3"``, ``"emovo_m1"`` .. ``"emovo_m3"``',
           UTTERANCE='e.g. ``"emovo/neu-f1-b1"``',
           SENTENCE='the sentence code, ``"b1"`` .. ``"n5"``',
           INTENSITY="None", REPETITION="None")
def load_emovo(root, classes="4", label_map=None, on_missing="raise", return_summary=False):
    """Load EMOVO from its release layout into the package's ``(X, y)`` form.

    EMOVO (Costantini et al., 2014): 6 Italian actors (f1-f3 female, m1-m3
    male), 14 sentences, 7 emotions, 588 utterances.  Reads
    ``SPK/EMO-SPK-SENT.wav`` (one folder per speaker), the 48 kHz stereo
    originals or 16 kHz mono copies alike.

    Parameters
    ----------
    root : str or path-like
        The folder holding the speaker folders ``f1`` .. ``m3``, or a folder
        containing it (e.g. the folder the ``EMOVO`` download was unpacked
        into).
    @COMMON_PARAMETERS@
    @RETURN_SUMMARY@

    Returns
    -------
    @RETURNS@

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or holds no speaker folder (``f1`` ..
        ``m3``) with ``EMO-SPK-SENT.wav`` files (nor does a folder in it).
    ValueError
        Invalid parameters; ``root`` is a file; several copies of the corpus
        in ``root``; an unreadable file with ``on_missing="raise"``.

    See Also
    --------
    load_ravdess, load_cremad, load_emodb, load_tess, load_savee : The other
        acted corpora.
    make_acted_layout : Writes a miniature EMOVO in this layout.

    Notes
    -----
    **Emotions** (Italian code: ``emotion``, 4-class label): ``neu``
    ``neutral`` (``neu``), ``gio`` (gioia) ``joy`` (``hap``), ``tri``
    (tristezza) ``sadness`` (``sad``), ``rab`` (rabbia) ``anger``
    (``ang``), ``pau`` (paura) ``fear``, ``dis`` (disgusto) ``disgust``,
    ``sor`` (sorpresa) ``surprise``.  The release: 84 files per emotion
    (588), 336 in the four classes, 56 per speaker.

    @DIALOGUE_NOTE@

    @FILE_NOTE@  The speaker is the one of the file name.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_emovo, make_acted_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_acted_layout(tmp.name, "emovo", speakers=2, sentences=1)
    >>> X, y = load_emovo(tmp.name)
    >>> X["speaker"].unique().tolist(), sorted(set(y))
    (['emovo_f1', 'emovo_m1'], ['ang', 'hap', 'neu', 'sad'])
    >>> tmp.cleanup()
    """
    def locate(folder):
        speakers = [d for d in _subdirs(folder) if _EMOVO_SPEAKER_DIR.match(os.path.basename(d))]
        return speakers if any(_parses(d, _parse_emovo) for d in speakers) else []

    def not_found(root):
        return (f"EMOVO: no speaker folders (f1 .. m3) with EMO-SPK-SENT.wav files (e.g. "
                f"f1/neu-f1-b1.wav) in {root!r} nor in its sub-folders: expected the EMOVO "
                "release layout")

    return _load("emovo", root, classes, label_map, on_missing, return_summary,
                 locate, not_found, _parse_emovo)


def _parse_emovo(folder, stem):
    m = _EMOVO_NAME.match(stem)
    if m is None:
        return None, "not of the form EMO-SPK-SENT (e.g. neu-f1-b1)"
    code, speaker, sentence = (g.lower() for g in m.groups())
    emotions = ACTED_CORPORA["emovo"]["emotions"]
    if code not in emotions:
        return None, f"emotion code {code!r} is not one of {', '.join(emotions)}"
    return dict(speaker=f"emovo_{speaker}", gender=speaker[0].upper(), emotion=emotions[code],
                sentence=sentence, intensity=None, repetition=None), None


# --------------------------------------------------------------------------- #
# TESS
# --------------------------------------------------------------------------- #
@_fill_doc(CORPUS="tess", LANGUAGE="en", GENDER=" (both speakers are women: ``\"F\"``)",
           SPEAKER='``"tess_OAF"`` (older, 64) or ``"tess_YAF"`` (younger, 26)',
           UTTERANCE='e.g. ``"tess/OAF_back_angry"``',
           SENTENCE='the target word of "Say the word ...", lower case',
           INTENSITY="None", REPETITION="None")
def load_tess(root, classes="4", label_map=None, on_missing="raise", return_summary=False):
    """Load the Toronto emotional speech set (TESS) into the package's ``(X, y)`` form.

    TESS (Dupuis & Pichora-Fuller, 2010): two female actors aged 64 (OAF) and
    26 (YAF) say 200 target words in the carrier phrase "Say the word ..." in
    7 emotions, 2,800 files.  Reads one folder per speaker and emotion,
    ``OAF_angry/OAF_back_angry.wav``, ``YAF_pleasant_surprised/YAF_back_ps.wav``
    ..., or the same files side by side in one folder.

    Parameters
    ----------
    root : str or path-like
        The folder holding the ``OAF_*`` / ``YAF_*`` folders (or the flat
        ``OAF_word_emotion.wav`` files), or a folder containing it.
    @COMMON_PARAMETERS@
    @RETURN_SUMMARY@

    Returns
    -------
    @RETURNS@

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or holds no TESS files (``OAF_*`` /
        ``YAF_*`` folders or ``SPK_word_emotion.wav`` files), nor does a
        folder in it.
    ValueError
        Invalid parameters; ``root`` is a file; several copies of the corpus
        in ``root``; an unreadable file with ``on_missing="raise"``.

    See Also
    --------
    load_ravdess, load_cremad, load_emodb, load_emovo, load_savee : The other
        acted corpora.
    make_acted_layout : Writes a miniature TESS in this layout.

    Notes
    -----
    **Emotions** (file-name token: ``emotion``, 4-class label): ``neutral``
    ``neutral`` (``neu``), ``happy`` ``happiness`` (``hap``), ``sad``
    ``sadness`` (``sad``), ``angry`` ``anger`` (``ang``), ``fear``
    ``fear``, ``disgust`` ``disgust``, ``ps`` ``pleasant_surprise``.  The
    release: 400 files per emotion, 1,600 in the four classes.

    **Spellings.** The folders spell pleasant surprise ``OAF_Pleasant_surprise``
    and ``YAF_pleasant_surprised`` and capitalise some emotions
    (``OAF_Fear``, ``OAF_Sad``); the files say ``ps``.  Folder names are
    matched in any case and with either spelling.  In a folder, the speaker
    and emotion are the folder's, and the file's emotion token must agree
    with it; a file whose speaker prefix is a truncation of the folder's (the
    release's ``OAF_neutral/OA_bite_neutral.wav``) loads as that speaker.
    Side by side in one folder, a file's prefix must be ``OAF`` or ``YAF``.

    @DIALOGUE_NOTE@

    @FILE_NOTE@

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_tess, make_acted_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_acted_layout(tmp.name, "tess", sentences=2)
    >>> X, y = load_tess(tmp.name, classes="all")
    >>> sorted(set(y))[-2:], X["speaker"].unique().tolist()
    (['pleasant_surprise', 'sadness'], ['tess_OAF', 'tess_YAF'])
    >>> tmp.cleanup()
    """
    def locate(folder):
        found = [d for d in _subdirs(folder) if _tess_folder(os.path.basename(d))
                 and _parses(d, _parse_tess)]
        if _parses(folder, _parse_tess):
            found.append(folder)
        return found

    def not_found(root):
        return (f"TESS: no OAF_*/YAF_* folders (e.g. OAF_angry/OAF_back_angry.wav) nor "
                f"OAF_word_emotion.wav files in {root!r} nor in its sub-folders: expected the "
                "TESS Toronto emotional speech set")

    return _load("tess", root, classes, label_map, on_missing, return_summary,
                 locate, not_found, _parse_tess)


def _tess_folder(name):
    """(speaker, emotion token) of a TESS folder name, or None."""
    m = _TESS_DIR.match(name)
    if m is None:
        return None
    token = _TESS_FOLDER_EMOTIONS.get(m.group(2).lower())
    return (m.group(1).upper(), token) if token else None


def _parse_tess(folder, stem):
    m = _TESS_NAME.match(stem)
    if m is None:
        return None, "not of the form SPK_word_emotion (e.g. OAF_back_angry)"
    prefix, word, token = m.group(1).upper(), m.group(2).lower(), m.group(3).lower()
    token = _TESS_FOLDER_EMOTIONS.get(token)
    if token is None:
        return None, (f"emotion {m.group(3)!r} is not one of angry, disgust, fear, happy, "
                      "neutral, ps, sad")
    in_folder = _tess_folder(os.path.basename(folder))
    if in_folder is None:  # files side by side
        if prefix not in TESS_SPEAKERS:
            return None, f"speaker {m.group(1)!r} is not OAF or YAF"
        speaker = prefix
    else:
        speaker, folder_token = in_folder
        if not speaker.startswith(prefix):
            return None, f"speaker {m.group(1)!r} in the folder of {speaker}"
        if token != folder_token:
            return None, (f"emotion {m.group(3)!r} in the folder "
                          f"{os.path.basename(folder)!r}")
    emotions = ACTED_CORPORA["tess"]["emotions"]
    return dict(speaker=f"tess_{speaker}", gender="F", emotion=emotions[token], sentence=word,
                intensity=None, repetition=None), None


# --------------------------------------------------------------------------- #
# SAVEE
# --------------------------------------------------------------------------- #
@_fill_doc(CORPUS="savee", LANGUAGE="en", GENDER=" (the four speakers are men: ``\"M\"``)",
           SPEAKER='``"savee_DC"``, ``"savee_JE"``, ``"savee_JK"``, ``"savee_KL"``',
           UTTERANCE='``"savee/DC_a01"`` in either layout',
           SENTENCE='the code of the file name, e.g. ``"a01"`` (the prompt numbered 1 in '
                    'the anger list; the lists differ between emotions)',
           INTENSITY="None", REPETITION="None")
def load_savee(root, classes="4", label_map=None, on_missing="raise", return_summary=False):
    """Load Surrey Audio-Visual Expressed Emotion (SAVEE) into the package's ``(X, y)`` form.

    SAVEE (Haq & Jackson, 2009): 4 male British English speakers (DC, JE,
    JK, KL), 7 emotions, 120 utterances each (480).  Reads the release's
    ``AudioData/DC/a01.wav`` (one folder per speaker) or the flat
    ``DC_a01.wav`` variant (all files in one folder).

    Parameters
    ----------
    root : str or path-like
        The folder holding the speaker folders ``DC``, ``JE``, ``JK``,
        ``KL`` (``AudioData``) or the flat ``DC_a01.wav`` files, or a folder
        containing it.
    @COMMON_PARAMETERS@
    @RETURN_SUMMARY@

    Returns
    -------
    @RETURNS@

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or holds no SAVEE files (speaker folders
        with ``a01.wav`` ... or ``DC_a01.wav`` files), nor does a folder in
        it.
    ValueError
        Invalid parameters; ``root`` is a file; several copies of the corpus
        in ``root``; an unreadable file with ``on_missing="raise"``.

    See Also
    --------
    load_ravdess, load_cremad, load_emodb, load_emovo, load_tess : The other
        acted corpora.
    make_acted_layout : Writes a miniature SAVEE in either layout.

    Notes
    -----
    **Emotions** (code: ``emotion``, 4-class label): ``n`` ``neutral``
    (``neu``), ``h`` ``happiness`` (``hap``), ``sa`` ``sadness`` (``sad``),
    ``a`` ``anger`` (``ang``), ``f`` ``fear``, ``d`` ``disgust``, ``su``
    ``surprise``.  Per speaker 15 files per emotion and 30 neutral; the
    release gives 300 rows in the four classes.

    @DIALOGUE_NOTE@

    @FILE_NOTE@

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_savee, make_acted_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_acted_layout(tmp.name, "savee", speakers=1, sentences=1,
    ...                              layout="flat")
    >>> X, y = load_savee(tmp.name)
    >>> X["utterance_id"].tolist()
    ['savee/DC_a01', 'savee/DC_h01', 'savee/DC_n01', 'savee/DC_n02', 'savee/DC_sa01']
    >>> tmp.cleanup()
    """
    def locate(folder):
        found = [d for d in _subdirs(folder) if os.path.basename(d).upper() in SAVEE_SPEAKERS
                 and _parses(d, _parse_savee)]
        if _parses(folder, _parse_savee):
            found.append(folder)
        return found

    def not_found(root):
        return (f"SAVEE: no speaker folders (DC, JE, JK, KL) with a01.wav ... files nor "
                f"DC_a01.wav files in {root!r} nor in its sub-folders: expected the SAVEE "
                "AudioData folder (AudioData/DC/a01.wav) or its flat variant")

    return _load("savee", root, classes, label_map, on_missing, return_summary,
                 locate, not_found, _parse_savee)


def _parse_savee(folder, stem):
    speaker = os.path.basename(folder).upper()
    if speaker in SAVEE_SPEAKERS:
        m = _SAVEE_NAME.match(stem)
        if m is None:
            return None, "not of the form EMONN (a01, sa12, n30 ...)"
        code, number = m.groups()
    else:
        m = _SAVEE_FLAT_NAME.match(stem)
        if m is None:
            return None, "not of the form SPK_EMONN (e.g. DC_a01)"
        speaker, code, number = m.group(1).upper(), m.group(2), m.group(3)
        if speaker not in SAVEE_SPEAKERS:
            return None, f"speaker {m.group(1)!r} is not one of {', '.join(SAVEE_SPEAKERS)}"
    return dict(speaker=f"savee_{speaker}", gender="M",
                emotion=ACTED_CORPORA["savee"]["emotions"][code], sentence=code + number,
                intensity=None, repetition=None, stem=f"{speaker}_{code}{number}"), None


# --------------------------------------------------------------------------- #
# the shared reader
# --------------------------------------------------------------------------- #
def _load(corpus, root, classes, label_map, on_missing, return_summary, locate, not_found,
          parse, genders=None):
    """List, parse, label and check the files of one acted corpus; ``finish`` the table."""
    info = ACTED_CORPORA[corpus]
    title = info["title"]
    on_missing = check_on_missing(on_missing)
    presets = {"4": info["four"], "all": {e: e for e in info["emotions"].values()}}
    label_of = resolve_label_map(classes, label_map, presets, title)
    if label_map is not None:  # a closed set of names: a key outside it is a mistake
        unknown = [k for k in label_map if k.strip().lower() not in presets["all"]]
        if unknown:
            raise ValueError(
                f"{title}: label_map key(s) {unknown} are not emotions of the corpus; its keys "
                f"are the English names of the emotion column: {sorted(presets['all'])}")
    root = absolute(root)
    if not os.path.exists(root):
        raise FileNotFoundError(f"{title} root not found: {root!r}")
    if not os.path.isdir(root):
        raise ValueError(f"{title} root must be a directory, got the file {root!r}")
    folders = _find(root, locate, not_found, title)
    summary = LoadSummary(corpus)

    records = []
    for folder in folders:
        for name, path in _wav_files(folder):
            stem = os.path.splitext(name)[0]
            record, reason = parse(folder, stem)
            if record is None:
                if reason is not None:
                    summary.bad_lines.append(f"{path}: {reason}")
                continue
            record["utterance_id"] = f"{corpus}/{record.pop('stem', stem)}"
            record["audio"] = path
            records.append(record)
    if summary.bad_lines:
        warnings.warn(
            f"{title}: {len(summary.bad_lines)} file name(s) do not parse; the files are "
            "skipped: " + listing(summary.bad_lines), LoaderWarning, stacklevel=caller_stacklevel())
    turns = _table(records, title)
    if genders is not None:
        _set_genders(turns, genders(folders, root), title)
    summary.n_turns = len(turns)
    turns["label"] = [label_of(e) for e in turns["emotion"]]
    labelled = turns["label"].notna().to_numpy()
    summary.dropped_labels = dict(sorted(Counter(turns.loc[~labelled, "emotion"]).items()))

    durations, problems = _durations(turns["audio"].to_numpy(dtype=object), labelled)
    readable = labelled & np.isfinite(durations)
    if problems:
        described = [f"{turns.at[i, 'audio']} ({why})" for i, why in problems]
        if on_missing == "raise":
            raise ValueError(
                f"{title}: {len(problems)} audio file(s) cannot be read: " + listing(described)
                + ". Pass on_missing='skip' to skip them (counted in the summary).")
        summary.missing_audio = [turns.at[i, "audio"] for i, _ in problems]
        warnings.warn(f"{title}: skipped {len(problems)} unreadable audio file(s): "
                      + listing(described), LoaderWarning, stacklevel=caller_stacklevel())
    turns["start"] = 0.0
    turns["end"] = durations
    turns["dialogue"] = turns["utterance_id"]
    turns["corpus"] = corpus
    turns["session"] = None
    turns["language"] = info["language"]
    X, y = finish(turns, readable, summary, columns=ACTED_COLUMNS)
    X["repetition"] = pd.Series([None if pd.isna(r) else int(r) for r in X["repetition"]],
                                dtype=object)
    return (X, y, summary) if return_summary else (X, y)


def _table(records, title):
    """The parsed files as a table ordered by speaker and file name; an utterance id found
    twice (two copies of a file) is an error naming both paths."""
    columns = ["audio", "utterance_id", "speaker", "gender", "emotion", "sentence",
               "intensity", "repetition", "actor"]
    turns = pd.DataFrame.from_records(records, columns=columns)
    duplicated = turns["utterance_id"].duplicated(keep=False)
    if duplicated.any():
        dup = turns[duplicated].sort_values(["utterance_id", "audio"])
        raise ValueError(
            f"{title}: the same file is found more than once: "
            + listing(f"{r.utterance_id} ({r.audio})" for r in dup.itertuples())
            + "; pass the folder of one copy as root")
    turns = turns.sort_values(["speaker", "utterance_id"], kind="stable")
    return turns.reset_index(drop=True)


def _set_genders(turns, table, title):
    """CREMA-D: the gender column from ActorID -> gender (None: no table)."""
    if table is None:
        return
    turns["gender"] = [table.get(a) for a in turns["actor"]]
    unknown = sorted(set(turns.loc[turns["gender"].isna(), "actor"]))
    if unknown:
        warnings.warn(f"{title}: {len(unknown)} actor(s) have no Male/Female row in the "
                      f"demographics file; their gender is None: {listing(unknown)}",
                      LoaderWarning, stacklevel=caller_stacklevel())


def _durations(paths, needed):
    """Seconds of each needed file from its header (NaN elsewhere), and the (position, reason)
    of each needed file that cannot be used."""
    durations = np.full(len(paths), np.nan)
    problems = []
    for i in np.flatnonzero(needed):
        try:
            info = soundfile.info(paths[i])
        except (RuntimeError, OSError) as exc:  # soundfile.LibsndfileError is a RuntimeError
            problems.append((i, _unreadable_reason(paths[i], exc)))
            continue
        if info.frames <= 0 or info.samplerate <= 0:
            problems.append((i, "no audio samples"))
            continue
        durations[i] = info.frames / info.samplerate
    return durations, problems


def _unreadable_reason(path, exc):
    if not os.path.isfile(path):
        return "the file is gone"
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        head = b""
    if not head:
        return "an empty file"
    if head.startswith(_LFS):
        return "a Git LFS pointer, not audio: run 'git lfs pull' in the clone"
    return f"unreadable header: {exc}"


# --------------------------------------------------------------------------- #
# folders
# --------------------------------------------------------------------------- #
def _find(root, locate, not_found, title):
    """The folders to read: ``locate(root)``, else that of the one sub-folder locating some."""
    folders = locate(root)
    if folders:
        return folders
    found = [(d, f) for d in _subdirs(root) for f in [locate(d)] if f]
    if len(found) > 1:
        raise ValueError(
            f"{title}: {len(found)} folders in {root!r} each hold the corpus: "
            + ", ".join(repr(d) for d, _ in found) + "; pass one of them as root")
    if found:
        return found[0][1]
    raise FileNotFoundError(not_found(root))


def _subdirs(folder):
    """Visible sub-folders, sorted (``__MACOSX`` and hidden ones left out)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names
            if not n.startswith(".") and n != "__MACOSX" and os.path.isdir(os.path.join(folder, n))]


def _wav_files(folder):
    """``(name, path)`` of the visible ``.wav`` files of a folder, sorted by name."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [(n, os.path.join(folder, n)) for n in names
            if not n.startswith(".") and n.lower().endswith(".wav")
            and os.path.isfile(os.path.join(folder, n))]


def _parses(folder, parse):
    """Whether some ``.wav`` name in the folder parses as a file of the corpus."""
    return any(parse(folder, os.path.splitext(n)[0])[0] is not None
               for n, _ in _wav_files(folder))
