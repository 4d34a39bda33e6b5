"""Miniature corpus releases, in the official layouts, with generated audio.

IEMOCAP and MELD are licensed; these writers make small copies of their
directory structure and annotation formats (quirks included) whose audio comes
from :func:`~sklearn_maec.datasets.make_dialogue_corpus`, so the loaders can be
tested, demonstrated and tried without the real data.  The acted corpora
(RAVDESS, CREMA-D, EmoDB, EMOVO, TESS, SAVEE) are written by
:func:`make_acted_layout` with the exact file names of their releases and
short generated tones.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from numbers import Integral

import numpy as np
import pandas as pd
import soundfile
from joblib import Parallel, delayed

from .._validation import check_option
from ._acted import (
    ACTED_CORPORA,
    CREMAD_LEVELS,
    CREMAD_SENTENCES,
    EMODB_SPEAKERS,
    EMODB_TEXTS,
    EMOVO_SENTENCES,
    SAVEE_SPEAKERS,
)
from ._synthetic import make_dialogue_corpus

__all__ = ["make_iemocap_layout", "make_meld_layout", "make_acted_layout"]

_IEMOCAP_NAMES = {
    "neu": "Neutral state", "hap": "Happiness", "exc": "Excited", "sad": "Sadness",
    "ang": "Anger", "fru": "Frustration", "sur": "Surprise", "fea": "Fear", "dis": "Disgust",
    "oth": "Other",
}
_MELD_EMOTIONS = ("neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust")
_MELD_MEDIA = {"train": "train_splits", "dev": "dev_splits_complete",
               "test": "output_repeated_splits_test"}
_MELD_CSV = {"train": "train_sent_emo.csv", "dev": "dev_sent_emo.csv",
             "test": "test_sent_emo.csv"}
_NAMES = {"F": ["Rachel", "Monica", "Phoebe", "Janice", "Carol"],
          "M": ["Ross", "Chandler", "Joey", "Gunther", "Mr. Geller"]}
_LINES = [
    "Oh, hi.",
    'Well, I said "no", okay?',
    "I don't know, Ross, I just don't.",
    "What?!",
    "You\u2019re a genius!",
    'So, "the one with the, uh, comma", right?',
    "Hey.",
    "No, no, no, listen to me.",
]
_MOJIBAKE = "@@MOJIBAKE@@"  # replaced by the raw byte 0x92 in the written CSV


def _check_count(name, value, low, high=None):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low \
            or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an int {bound}, got {value!r}")
    return int(value)


def _ensure_present(labels, wanted, protected):
    """Relabel turns (from the end) so that every label of ``wanted`` occurs."""
    flat = [(d, t) for d in range(len(labels)) for t in range(len(labels[d]))]
    candidates = [p for p in reversed(flat) if p not in protected]
    for label in wanted:
        if any(label in dl for dl in labels):
            continue
        if not candidates:
            break
        d, t = candidates.pop(0)
        labels[d][t] = label
        protected.add((d, t))


def _lose_last_turns(labels, dialogues, kept, default):
    """The ``(d, t)`` of the last turn of each of ``dialogues``, whose audio is to be deleted;
    its label becomes ``default`` unless it is one of ``kept``."""
    lost = []
    for d in dialogues:
        t = len(labels[d]) - 1
        if labels[d][t] not in kept:
            labels[d][t] = default
        lost.append((d, t))
    return lost


# --------------------------------------------------------------------------- #
# IEMOCAP
# --------------------------------------------------------------------------- #
def make_iemocap_layout(root, n_sessions=2, dialogues_per_session=2, *, turns_per_dialogue=(6, 9),
                        duration_median=0.8, missing_wavs=0, random_state=0):
    """Write a miniature IEMOCAP release (official layout, generated audio).

    Writes ``root/IEMOCAP_full_release/Session<n>/`` with
    ``dialog/EmoEvaluation/<dialogue>.txt`` evaluation files and the audio
    ``sentences/wav/<dialogue>/<utterance_id>.wav`` of every turn, made by
    :func:`~sklearn_maec.datasets.make_dialogue_corpus` (two-speaker studio
    dialogues, one female and one male actor per session).  It reproduces the
    release's quirks the loader must cope with:

    - improvised (``Ses01F_impro01``) and scripted (``Ses01M_script01_1``)
      dialogues, utterance ids numbered per speaker (``F000``, ``M000``,
      ``F001`` ...), the dialogue letter alternating between F and M;
    - labels beyond the 4 classes: ``xxx`` (the second turn of every
      dialogue), ``oth``, and at least one ``exc``, ``fru`` and ``sur``;
    - per-annotator lines (``C-E1:``, ``A-E2:`` ...), the ``%`` header and
      blank lines; one turn line without its ``[V, A, D]`` field and with
      trailing spaces; the first evaluation file listing its turns by speaker
      rather than in time order; Windows line endings in the last file;
    - the ``Categorical/``, ``Attribute/``, ``Self-evaluation/`` sub-folders,
      a ``.DS_Store`` and a ``._<dialogue>.txt`` resource fork (whose content
      would be a malformed turn line if it were read).

    Parameters
    ----------
    root : str or path-like
        Directory to write into (created if missing); the release goes into
        ``root/IEMOCAP_full_release``.
    n_sessions : int, default=2
        Sessions (1..9).
    dialogues_per_session : int, default=2
        Dialogues per session (>= 1); even ones improvised, odd ones scripted.
    turns_per_dialogue : int or (int, int), default=(6, 9)
        Turns per dialogue (>= 4 each).
    duration_median : float, default=0.8
        Median utterance duration in seconds.
    missing_wavs : int, default=0
        Delete the wav files of the last turn of this many dialogues (the last
        ones), whose labels are made 4-class labels, to exercise
        ``on_missing``.
    random_state : int, default=0
        Seed.

    Returns
    -------
    manifest : dict
        ``root`` (the ``IEMOCAP_full_release`` path), ``n_turns``, ``labels``
        (raw label -> count), ``expected`` (rows per ``classes``: ``"4"``,
        ``"6"``, ``"all"``), ``dialogues``, ``evaluation_files``,
        ``crlf_file``, ``unordered_file``, ``missing_wavs`` (deleted paths) and
        ``turns`` (a DataFrame of every turn: ``utterance_id``, ``dialogue``,
        ``session``, ``speaker``, ``gender``, ``start``, ``end``, ``label``,
        ``wav``; in time order within each dialogue).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import make_iemocap_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_iemocap_layout(tmp.name, n_sessions=1)
    >>> manifest["dialogues"]
    ['Ses01F_impro01', 'Ses01M_script01_1']
    >>> tmp.cleanup()
    """
    n_sessions = _check_count("n_sessions", n_sessions, 1, 9)
    dps = _check_count("dialogues_per_session", dialogues_per_session, 1)
    n_dialogues = n_sessions * dps
    missing_wavs = _check_count("missing_wavs", missing_wavs, 0, n_dialogues)
    lo, hi = (turns_per_dialogue, turns_per_dialogue) if isinstance(turns_per_dialogue, Integral) \
        else turns_per_dialogue
    if lo < 4:
        raise ValueError(f"turns_per_dialogue must be >= 4, got {turns_per_dialogue!r}")
    root = os.path.abspath(os.fspath(root))
    release = os.path.join(root, "IEMOCAP_full_release")
    os.makedirs(release, exist_ok=True)
    rng = np.random.default_rng(random_state)

    with tempfile.TemporaryDirectory(dir=root, prefix=".layout-") as tmp:
        X, y = make_dialogue_corpus(
            n_dialogues=n_dialogues, n_sessions=n_sessions, speakers_per_dialogue=2,
            turns_per_dialogue=turns_per_dialogue,
            emotions=("neu", "hap", "sad", "ang", "exc", "fru", "sur"),
            emotion_weights=(0.25, 0.15, 0.15, 0.15, 0.12, 0.12, 0.06),
            duration_median=duration_median, domain="studio", corpus="iemocap",
            directory=tmp, random_state=random_state)
        groups = [np.flatnonzero((X["dialogue"] == d).to_numpy()) for d in X["dialogue"].unique()]
        labels, lost = _iemocap_labels(y, groups, missing_wavs)
        rows, files = [], []
        for d, g in enumerate(groups):
            session_dir, dialogue, turns = _move_iemocap_dialogue(release, X, g, d, dps,
                                                                  labels[d], lost)
            rows.extend(turns)
            files.append(_write_evaluation(session_dir, dialogue, turns, rng,
                                           by_speaker=(d == 0), crlf=(d == n_dialogues - 1),
                                           odd_line=(d == min(1, n_dialogues - 1))))
        for s in range(1, n_sessions + 1):
            _write_extras(os.path.join(release, f"Session{s}"))
        with open(os.path.join(release, "README.txt"), "w") as f:
            f.write("Miniature IEMOCAP release written by sklearn_maec.datasets."
                    "make_iemocap_layout (generated audio, not the real corpus).\n")
    return _iemocap_manifest(release, pd.DataFrame(rows), files, groups, lost)


def _iemocap_labels(y, groups, missing_wavs):
    """The raw labels of each dialogue's turns, with the release's quirks, and the turns
    ``(d, t)`` whose wav files are deleted (``missing_wavs`` dialogues' last turns)."""
    n_dialogues = len(groups)
    labels = [[str(y[i]) for i in g] for g in groups]
    protected = set()
    for d in range(n_dialogues):
        labels[d][1] = "xxx"
        protected.add((d, 1))
    labels[0][3] = "oth"
    protected.add((0, 3))
    lost = _lose_last_turns(labels, range(n_dialogues - missing_wavs, n_dialogues),
                            ("neu", "hap", "exc", "sad", "ang"), "neu")
    protected.update(lost)
    _ensure_present(labels, ("exc", "fru", "sur"), protected)
    return labels, lost


def _move_iemocap_dialogue(release, X, g, d, dps, labels, lost):
    """Move the wav files of dialogue ``d`` (rows ``g`` of ``X``) to their place in the
    release under IEMOCAP's names: ``(session folder, dialogue name, turns)``, the turns as
    dicts in time order."""
    s, k = d // dps + 1, d % dps
    letter = "FM"[k % 2]
    kind = f"impro{k // 2 + 1:02d}" if k % 2 == 0 else \
        f"script{k // 2 + 1:02d}_{(k // 2) % 3 + 1}"
    dialogue = f"Ses{s:02d}{letter}_{kind}"
    session_dir = os.path.join(release, f"Session{s}")
    wav_dir = os.path.join(session_dir, "sentences", "wav", dialogue)
    os.makedirs(wav_dir, exist_ok=True)
    counters = Counter()
    turns = []
    for t, i in enumerate(g):
        gender = X.at[i, "gender"]
        utt = f"{dialogue}_{gender}{counters[gender]:03d}"
        counters[gender] += 1
        wav = os.path.join(wav_dir, utt + ".wav")
        shutil.move(X.at[i, "audio"], wav)
        start = round(float(X.at[i, "start"]) + 2.0, 4)
        end = round(float(X.at[i, "end"]) + 2.0, 4)
        turns.append(dict(utterance_id=utt, dialogue=dialogue, session=f"Ses{s:02d}",
                          speaker=f"Ses{s:02d}{gender}", gender=gender, start=start, end=end,
                          label=labels[t], wav=wav))
        if (d, t) in lost:
            os.remove(wav)
    return session_dir, dialogue, turns


def _iemocap_manifest(release, turns, files, groups, lost):
    """What :func:`make_iemocap_layout` returns (see its Returns)."""
    counts = Counter(turns["label"])
    four = {"neu", "hap", "exc", "sad", "ang"}
    six = four | {"fru"}
    return {
        "root": release,
        "n_turns": len(turns),
        "labels": dict(sorted(counts.items())),
        "expected": {
            "4": int(sum(v for k, v in counts.items() if k in four)),
            "6": int(sum(v for k, v in counts.items() if k in six)),
            "all": int(sum(v for k, v in counts.items() if k not in ("xxx", "oth"))),
        },
        "dialogues": list(dict.fromkeys(turns["dialogue"])),
        "evaluation_files": files,
        "crlf_file": files[-1],
        "unordered_file": files[0],
        "missing_wavs": [turns.at[_row(groups, d, t), "wav"] for d, t in lost],
        "turns": turns,
    }


def _row(groups, d, t):
    return sum(len(g) for g in groups[:d]) + t


def _write_evaluation(session_dir, dialogue, turns, rng, *, by_speaker, crlf, odd_line):
    evaluation_dir = os.path.join(session_dir, "dialog", "EmoEvaluation")
    os.makedirs(evaluation_dir, exist_ok=True)
    order = sorted(range(len(turns)), key=lambda t: (turns[t]["gender"], t)) if by_speaker \
        else range(len(turns))
    lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
    for n, t in enumerate(order):
        turn = turns[t]
        vad = rng.integers(2, 10, size=3) / 2.0
        head = f"[{turn['start']:.4f} - {turn['end']:.4f}]\t{turn['utterance_id']}\t{turn['label']}"
        if odd_line and n == 0:
            lines.append(head + "   ")  # no [V, A, D] field, trailing spaces
        else:
            lines.append(head + f"\t[{vad[0]:.4f}, {vad[1]:.4f}, {vad[2]:.4f}]")
        names = ([_IEMOCAP_NAMES.get(turn["label"], "Neutral state")] * 3 if turn["label"] != "xxx"
                 else ["Neutral state", "Frustration", "Anger"])
        for evaluator, name in zip(("C-E1", "C-E2", "C-F1"), names, strict=True):
            lines.append(f"{evaluator}:\t{name};\t()")
        for evaluator in ("A-E1", "A-E2"):
            v, a, dom = rng.integers(1, 6, size=3)
            lines.append(f"{evaluator}:\tval {v}; act {a}; dom  {dom};\t()")
        lines.append("")
    path = os.path.join(evaluation_dir, dialogue + ".txt")
    with open(path, "w", newline="\r\n" if crlf else "\n") as f:
        f.write("\n".join(lines) + "\n")
    for sub, suffix, text in (("Categorical", "_e1_cat.txt", ":Neutral state; ()"),
                              ("Attribute", "_e1_atr.txt", ":val 3; act 2; dom  2; ()")):
        os.makedirs(os.path.join(evaluation_dir, sub), exist_ok=True)
        with open(os.path.join(evaluation_dir, sub, dialogue + suffix), "w") as f:
            f.writelines(f"{turn['utterance_id']} {text}\n" for turn in turns)
    with open(os.path.join(evaluation_dir, "._" + dialogue + ".txt"), "wb") as f:
        f.write(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \n[garbage\tnot a turn\n")
    return path


def _write_extras(session_dir):
    evaluation_dir = os.path.join(session_dir, "dialog", "EmoEvaluation")
    os.makedirs(os.path.join(evaluation_dir, "Self-evaluation"), exist_ok=True)
    with open(os.path.join(evaluation_dir, ".DS_Store"), "wb") as f:
        f.write(b"\x00\x00\x00\x01Bud1\x00\x00[\x00")


# --------------------------------------------------------------------------- #
# MELD
# --------------------------------------------------------------------------- #
def _format_time(seconds, two_digit_hours):
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}" if two_digit_hours else \
        f"{h:d}:{m:02d}:{s:02d},{ms:03d}"


def _ffmpeg_mp4(ffmpeg, wav, mp4):
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-y", "-f", "lavfi",
           "-i", "color=c=black:size=32x32:rate=5", "-i", wav, "-map", "0:v", "-map", "1:a",
           "-shortest", "-c:v", "mpeg4", "-c:a", "aac", "-ar", "48000", "-ac", "2", mp4]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not write {mp4!r}: "
                           f"{proc.stderr.decode(errors='replace').strip()}")


def make_meld_layout(root, splits=("train", "dev", "test"), n_dialogues=3, *,
                     speakers_per_dialogue=3, turns_per_dialogue=(4, 7), duration_median=0.8,
                     media="mp4", missing_media=0, n_jobs=None, random_state=0):
    """Write a miniature MELD release (official CSVs and media folders, generated audio).

    For each split writes ``root/<split>_sent_emo.csv`` (columns ``Sr No.,
    Utterance, Speaker, Emotion, Sentiment, Dialogue_ID, Utterance_ID,
    Season, Episode, StartTime, EndTime``) and one media file per row,
    ``dia{D}_utt{U}.mp4``, in ``train_splits/``, ``dev_splits_complete/`` or
    ``output_repeated_splits_test/``.  The audio comes from
    :func:`~sklearn_maec.datasets.make_dialogue_corpus` (multi-party dialogues
    recorded through the ``"tv"`` domain) with MELD's 7 emotions.  Quirks of
    the real files included: quoted utterances with commas and doubled quotes,
    a curly apostrophe and a stray Windows-1252 byte (``0x92``) in the text,
    times with one and two hour digits (``0:12:43,012``, ``00:12:43,012``), a
    gap in ``Sr No.``, two utterances of a dialogue with the same start time
    (the last of dialogue 0 in each split), dialogue ids restarting at 0 in
    every split, the same character names in every split, and at least one
    ``surprise``, ``fear`` and ``disgust`` per split.

    Parameters
    ----------
    root : str or path-like
        Directory to write into (created if missing).
    splits : sequence of {"train", "dev", "test"}, default=("train", "dev", "test")
        Splits to write.
    n_dialogues : int or dict, default=3
        Dialogues per split (or per split name).
    speakers_per_dialogue : int, default=3
        Participants of each dialogue (>= 2).
    turns_per_dialogue : int or (int, int), default=(4, 7)
        Turns per dialogue (>= 3 each).
    duration_median : float, default=0.8
        Median utterance duration in seconds.
    media : {"mp4", "wav"}, default="mp4"
        ``"mp4"``: video files with a tiny black video stream and 48 kHz
        stereo AAC audio, made with ffmpeg (as in the release); ``"wav"``:
        pre-extracted 16 kHz wav files ``dia{D}_utt{U}.wav`` instead (no
        ffmpeg needed to write or to load).
    missing_media : int, default=0
        Delete the media file of the last utterance of this many dialogues
        (the last ones of the first split), whose emotions are made
        ``neutral``, to exercise ``on_missing``.
    n_jobs : int or None, default=None
        Parallel ffmpeg processes (joblib threads).
    random_state : int, default=0
        Seed.

    Returns
    -------
    manifest : dict
        ``root``; ``splits``: per split a dict with ``csv``, ``media_dir``,
        ``n_rows``, ``n_dialogues``, ``emotions`` (emotion -> count) and
        ``expected`` (rows for ``classes="4"`` and ``"all"``);
        ``missing_media`` (deleted paths); ``tied`` (``(split, D, U)`` of the
        utterances whose start equals the previous one's); ``turns`` (a
        DataFrame of every row: ``split``, ``dia``, ``utt``, ``speaker``,
        ``emotion``, ``start``, ``end`` (seconds, as written), ``start_text``,
        ``end_text``, ``media``).

    Raises
    ------
    RuntimeError
        ``media="mp4"`` and ffmpeg is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import make_meld_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_meld_layout(tmp.name, splits=("dev",), n_dialogues=2,
    ...                             media="wav")
    >>> sorted(manifest["splits"])
    ['dev']
    >>> tmp.cleanup()
    """
    if isinstance(splits, str):
        splits = (splits,)
    splits = list(splits)
    if not splits or any(s not in _MELD_CSV for s in splits) or len(set(splits)) != len(splits):
        raise ValueError(f"splits must be distinct names among {list(_MELD_CSV)}, got {splits!r}")
    check_option("media", media, ("mp4", "wav"))
    counts = {s: _check_count(f"n_dialogues[{s!r}]",
                              n_dialogues[s] if isinstance(n_dialogues, dict) else n_dialogues, 1)
              for s in splits}
    missing_media = _check_count("missing_media", missing_media, 0, counts[splits[0]])
    lo = turns_per_dialogue if isinstance(turns_per_dialogue, Integral) else turns_per_dialogue[0]
    if lo < 3:
        raise ValueError(f"turns_per_dialogue must be >= 3, got {turns_per_dialogue!r}")
    ffmpeg = shutil.which("ffmpeg") if media == "mp4" else None
    if media == "mp4" and ffmpeg is None:
        from ._meld import FFMPEG_INSTALL_HINT

        raise RuntimeError(f"make_meld_layout(media='mp4') needs ffmpeg, which was not found: "
                           f"{FFMPEG_INSTALL_HINT}; or use media='wav'")
    root = os.path.abspath(os.fspath(root))
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(random_state)

    rows, manifest_splits, missing, tied, conversions = [], {}, [], [], []
    with tempfile.TemporaryDirectory(dir=root, prefix=".layout-") as tmp:
        for si, split in enumerate(splits):
            n = counts[split]
            X, y = make_dialogue_corpus(
                n_dialogues=n, n_sessions=1, speakers_per_dialogue=speakers_per_dialogue,
                turns_per_dialogue=turns_per_dialogue, emotions=_MELD_EMOTIONS,
                emotion_weights=(0.35, 0.2, 0.1, 0.12, 0.12, 0.05, 0.06),
                duration_median=duration_median, domain="tv", corpus=f"meld-{split}",
                directory=os.path.join(tmp, split), random_state=random_state)
            groups = [np.flatnonzero((X["dialogue"] == d).to_numpy())
                      for d in X["dialogue"].unique()]
            labels = [[str(y[i]) for i in g] for g in groups]
            lost = _lose_last_turns(labels, range(n - missing_media, n) if si == 0 else (),
                                    ("neutral", "joy", "sadness", "anger"), "neutral")
            _ensure_present(labels, ("surprise", "fear", "disgust"), set(lost))
            media_dir = os.path.join(root, _MELD_MEDIA[split])
            os.makedirs(media_dir, exist_ok=True)
            split_rows = []
            for row, source in _meld_split_rows(X, groups, labels, split, si, media, media_dir,
                                                rng, tied):
                if media == "mp4":
                    conversions.append((source, row["media"]))
                else:
                    shutil.move(source, row["media"])
                if (row["dia"], row["utt"]) in lost:
                    missing.append(row["media"])
                split_rows.append(row)
            csv_path = os.path.join(root, _MELD_CSV[split])
            _write_meld_csv(csv_path, split_rows)
            rows.extend(split_rows)
            manifest_splits[split] = _meld_split_manifest(csv_path, media_dir, split_rows, n)
        if conversions:
            Parallel(n_jobs=n_jobs, prefer="threads")(
                delayed(_ffmpeg_mp4)(ffmpeg, wav, mp4) for wav, mp4 in conversions)
        for path in missing:
            os.remove(path)

    turns = pd.DataFrame(rows)
    turns["start"] = [_seconds(t) for t in turns["start_text"]]
    turns["end"] = [_seconds(t) for t in turns["end_text"]]
    return {"root": root, "splits": manifest_splits, "missing_media": missing, "tied": tied,
            "turns": turns}


def _meld_split_rows(X, groups, labels, split, si, media, media_dir, rng, tied):
    """The CSV rows of split number ``si``, each with the generated audio file it comes from.

    Yields ``(row, source)``; the dialogues' season, episode and place on the
    episode's timeline are drawn from ``rng``; the ``(split, D, U)`` of an
    utterance given its predecessor's start is appended to ``tied``.
    """
    names = _character_names(X)
    season = rng.integers(1, 11, size=len(groups))
    episode = rng.integers(1, 25, size=len(groups))
    for d, g in enumerate(groups):
        offset = 60.0 + 97.3 * d + float(rng.uniform(0, 30))
        starts = [offset + float(X.at[i, "start"]) for i in g]
        ends = [offset + float(X.at[i, "end"]) for i in g]
        if d == 0 and len(g) >= 3:
            starts[-1] = starts[-2]  # same start as the previous utterance
            tied.append((split, 0, len(g) - 1))
        for u, i in enumerate(g):
            speaker = names[X.at[i, "speaker"]]
            emotion = labels[d][u]
            text = _LINES[(d * 7 + u * 3 + si) % len(_LINES)]
            if si == 0 and d == 0 and u == 0:
                text = f"I{_MOJIBAKE}m sorry, {speaker}, I{_MOJIBAKE}m so sorry."
            sentiment = {"neutral": "neutral", "joy": "positive"}.get(
                emotion, "positive" if emotion == "surprise" and u % 2 else "negative")
            two_digits = (d + u) % 2 == 0
            ext = ".mp4" if media == "mp4" else ".wav"
            path = os.path.join(media_dir, f"dia{d}_utt{u}{ext}")
            yield dict(
                split=split, dia=d, utt=u, speaker=speaker, emotion=emotion,
                sentiment=sentiment, text=text, season=int(season[d]),
                episode=int(episode[d]),
                start_text=_format_time(starts[u], two_digits),
                end_text=_format_time(ends[u], two_digits), media=path), X.at[i, "audio"]


def _meld_split_manifest(csv_path, media_dir, split_rows, n_dialogues):
    """The manifest's entry for one split (see :func:`make_meld_layout`'s Returns)."""
    emotions = Counter(r["emotion"] for r in split_rows)
    return {
        "csv": csv_path, "media_dir": media_dir, "n_rows": len(split_rows),
        "n_dialogues": n_dialogues, "emotions": dict(sorted(emotions.items())),
        "expected": {
            "4": int(sum(emotions[e] for e in ("neutral", "joy", "sadness", "anger"))),
            "all": len(split_rows)},
    }


def _character_names(X):
    """Generated speaker id -> a character name (the k-th speaker of a gender, k-th name)."""
    names, seen = {}, Counter()
    ids = sorted(set(X["speaker"]), key=lambda sid: int(sid.rsplit("_", 1)[1][1:]))
    for sid in ids:
        gender = sid.rsplit("_", 1)[1][0]
        pool = _NAMES[gender]
        k = seen[gender]
        names[sid] = pool[k] if k < len(pool) else f"{pool[k % len(pool)]} {k // len(pool) + 1}"
        seen[gender] += 1
    return names


def _seconds(text):
    h, m, rest = text.split(":")
    s, ms = rest.split(",")
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _write_meld_csv(path, rows):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID",
                     "Utterance_ID", "Season", "Episode", "StartTime", "EndTime"])
    serial = 1
    for n, r in enumerate(rows):
        writer.writerow([serial, r["text"], r["speaker"], r["emotion"], r["sentiment"], r["dia"],
                         r["utt"], r["season"], r["episode"], r["start_text"], r["end_text"]])
        serial += 2 if n == 2 else 1  # a gap in Sr No., as in the real files
    data = buffer.getvalue().encode("utf-8").replace(_MOJIBAKE.encode("utf-8"), b"\x92")
    with open(path, "wb") as f:
        f.write(data)


# --------------------------------------------------------------------------- #
# acted corpora
# --------------------------------------------------------------------------- #
#: Per corpus: sampling rate and channels of the release, speakers in writing order (genders
#: alternating where the corpus has both), sentence codes.
_ACTED_RELEASES = {
    "ravdess": dict(rate=48000, channels=1, speakers=tuple(f"{a:02d}" for a in range(1, 25)),
                    sentences=("01", "02")),
    "cremad": dict(rate=16000, channels=1, speakers=tuple(str(a) for a in range(1001, 1092)),
                   sentences=CREMAD_SENTENCES),
    "emodb": dict(rate=16000, channels=1,
                  speakers=("03", "08", "10", "09", "11", "13", "12", "14", "15", "16"),
                  sentences=EMODB_TEXTS),
    "emovo": dict(rate=48000, channels=2, speakers=("f1", "m1", "f2", "m2", "f3", "m3"),
                  sentences=EMOVO_SENTENCES),
    "tess": dict(rate=24414, channels=1, speakers=("OAF", "YAF"),
                 sentences=("back", "bite", "bar", "base", "bath", "bean", "beg", "boat",
                            "bone", "book", "bought", "burn", "cab", "calm", "came", "cause",
                            "chain", "chair", "chalk", "chat")),
    "savee": dict(rate=44100, channels=1, speakers=SAVEE_SPEAKERS,
                  sentences=tuple(f"{k:02d}" for k in range(1, 16))),
}
#: TESS's folder names, with the release's spellings.
_TESS_FOLDERS = {
    "OAF": {"angry": "angry", "disgust": "disgust", "fear": "Fear", "happy": "happy",
            "neutral": "neutral", "ps": "Pleasant_surprise", "sad": "Sad"},
    "YAF": {"angry": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy",
            "neutral": "neutral", "ps": "pleasant_surprised", "sad": "sad"},
}
_ACTED_LAYOUTS = {"tess": ("release", "flat"), "savee": ("release", "flat")}


def make_acted_layout(root, corpus, *, speakers=2, sentences=None, duration=0.3,
                      sampling_rate=None, channels=None, layout="release", song=False,
                      unreadable=0, random_state=0):
    """Write a miniature acted emotional-speech corpus in its release layout (generated tones).

    The file and folder names are exactly those of the release, so the
    corresponding loader reads the result as it reads the real corpus; the
    audio is a short harmonic tone per file (its pitch set by the speaker's
    gender and the emotion, with a little noise), at the release's sampling
    rate and channels unless told otherwise.  Each layout also holds what a
    loader must ignore: a ``.DS_Store``, a ``._*.wav`` resource fork and a
    ``README.txt`` (listed in the manifest's ``ignored``).

    ============  ==========================================================
    ``corpus``    written under ``root``
    ============  ==========================================================
    ``ravdess``   ``Audio_Speech_Actors_01-24/Actor_NN/03-01-EE-II-SS-RR-AA.wav``
                  (48 kHz; every 20th file stereo); with ``song=True`` also
                  ``Audio_Song_Actors_01-24/Actor_NN/03-02-...wav``
    ``cremad``    ``AudioWAV/AAAA_SSS_EMO_LVL.wav`` (16 kHz; the sentence IEO
                  at the levels LO, MD, HI, neutral and the others XX) and
                  ``VideoDemographics.csv`` (made-up ages; Male and Female
                  alternate from actor 1001, not the real table)
    ``emodb``     ``wav/SSTTTEV.wav`` (16 kHz): each speaker says each text
                  once in each emotion, version letter a, b or c
    ``emovo``     ``EMOVO/SPK/EMO-SPK-SENT.wav`` (48 kHz stereo)
    ``tess``      ``OAF_angry/OAF_back_angry.wav`` ... with the release's
                  folder spellings (``OAF_Fear``, ``OAF_Pleasant_surprise``,
                  ``YAF_pleasant_surprised`` ...) and its misnamed
                  ``OAF_neutral/OA_bite_neutral.wav`` (24,414 Hz);
                  ``layout="flat"``: the same files side by side in ``root``
    ``savee``     ``AudioData/DC/a01.wav`` (44.1 kHz; 15 per emotion, twice
                  as many neutral); ``layout="flat"``: ``ALL/DC_a01.wav``
    ============  ==========================================================

    Parameters
    ----------
    root : str or path-like
        Directory to write into (created if missing).
    corpus : {"ravdess", "cremad", "emodb", "emovo", "tess", "savee"}
        Which corpus.
    speakers : int, sequence of str or None, default=2
        The first this many speakers of the corpus (genders alternate where
        it has both: RAVDESS 01, 02; CREMA-D 1001, 1002; EmoDB 03, 08, 10,
        09 ...; EMOVO f1, m1, f2 ...; TESS OAF, YAF; SAVEE DC, JE, JK, KL),
        or their codes as in the file names (``["09", "12"]``), or None for
        all of them.
    sentences : int or None, default=None
        The first this many sentence codes per speaker (RAVDESS statements
        01, 02; CREMA-D IEO, TIE, ...; EmoDB a01, a02, a04 ...; EMOVO b1, b2
        ...; TESS words back, bite, bar ... (20 of the release's 200);
        SAVEE numbers 01 .. 15, neutral 01 .. 2n), or None for all of them.
    duration : float, default=0.3
        Seconds of audio per file (each file a little longer or shorter, up
        to 10 %, so that durations differ).
    sampling_rate : int or None, default=None
        Sampling rate of the files; None: the release's (above).
    channels : int or None, default=None
        1 or 2; None: the release's (above).
    layout : {"release", "flat"}, default="release"
        ``"flat"`` is accepted for TESS and SAVEE only (above).
    song : bool, default=False
        RAVDESS only: also write the song files (vocal channel 02; emotions
        01-06) in their own folder beside the speech, which the loader skips.
    unreadable : int, default=0
        Empty (0 bytes) this many files, the last ones written among those
        of the four classes, to exercise ``on_missing``.
    random_state : int, default=0
        Seed of the tones and of EmoDB's version letters.

    Returns
    -------
    manifest : dict
        ``root`` (absolute); ``corpus_dir``, the folder holding the corpus
        (the loader accepts it or ``root``); ``files``, a DataFrame of every
        speech file written (``path``, ``utterance_id``, ``speaker``,
        ``gender``, ``emotion``, ``sentence``, ``intensity``, ``repetition``,
        ``duration``, ``readable``) in the loader's row order; ``expected``,
        the rows the loader returns for ``classes="4"`` and ``"all"`` (the
        readable files); ``speakers``, speaker id -> gender; ``unreadable``
        and ``ignored`` (song, hidden and other files the loader skips),
        lists of paths.

    Raises
    ------
    ValueError
        An unknown corpus or speaker code, a layout the corpus does not have,
        ``song=True`` for another corpus than RAVDESS, or invalid counts.

    See Also
    --------
    load_ravdess, load_cremad, load_emodb, load_emovo, load_tess, load_savee :
        The loaders of these layouts.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_emodb, make_acted_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = make_acted_layout(tmp.name, "emodb", speakers=["03"], sentences=1)
    >>> manifest["files"]["utterance_id"].str[6:].tolist()
    ['03a01Ac', '03a01Eb', '03a01Fb', '03a01La', '03a01Na', '03a01Ta', '03a01Wa']
    >>> X, y = load_emodb(tmp.name)
    >>> X["utterance_id"].tolist() == manifest["files"].query("emotion in "
    ...     "['anger', 'happiness', 'sadness', 'neutral']")["utterance_id"].tolist()
    True
    >>> tmp.cleanup()
    """
    check_option("corpus", corpus, tuple(_ACTED_RELEASES))
    check_option("layout", layout, _ACTED_LAYOUTS.get(corpus, ("release",)))
    if song and corpus != "ravdess":
        raise ValueError(f"song=True is for RAVDESS only (its song files), got corpus={corpus!r}")
    release = _ACTED_RELEASES[corpus]
    codes = _acted_speakers(corpus, speakers)
    n_sentences = len(release["sentences"]) if sentences is None else \
        _check_count("sentences", sentences, 1, len(release["sentences"]))
    unreadable = _check_count("unreadable", unreadable, 0)
    if not isinstance(duration, (int, float)) or isinstance(duration, bool) \
            or not 0.01 <= duration <= 60:
        raise ValueError(f"duration must be a number of seconds in [0.01, 60], got {duration!r}")
    rate = release["rate"] if sampling_rate is None else \
        _check_count("sampling_rate", sampling_rate, 1000, 384000)
    n_channels = release["channels"] if channels is None else \
        _check_count("channels", channels, 1, 2)
    root = os.path.abspath(os.fspath(root))
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(random_state)

    writer = {"ravdess": _ravdess_files, "cremad": _cremad_files, "emodb": _emodb_files,
              "emovo": _emovo_files, "tess": _tess_files, "savee": _savee_files}[corpus]
    corpus_dir, files, ignored = writer(root, codes, release["sentences"][:n_sentences],
                                        layout, song, rng)
    four = set(ACTED_CORPORA[corpus]["four"])
    rows = []
    for k, f in enumerate(files):
        f["duration"] = _write_tone(f["path"], f, duration, rate,
                                    2 if channels is None and corpus == "ravdess" and k % 20 == 19
                                    else n_channels, rng)
        f["readable"] = True
        rows.append(f)
    for path, meta in ignored.get("song", []):
        _write_tone(path, meta, duration, rate, n_channels, rng)
    lost = [f for f in rows if f["emotion"] in four][-unreadable:] if unreadable else []
    for f in lost:
        open(f["path"], "wb").close()
        f["readable"] = False
    ignored_paths = [p for p, _ in ignored.get("song", [])] + _write_junk(corpus_dir, rows)
    table = pd.DataFrame(rows, columns=["path", "utterance_id", "speaker", "gender", "emotion",
                                        "sentence", "intensity", "repetition", "duration",
                                        "readable"])
    table = table.sort_values(["speaker", "utterance_id"], kind="stable").reset_index(drop=True)
    ok = table["readable"].to_numpy()
    return {
        "root": root,
        "corpus_dir": corpus_dir,
        "files": table,
        "expected": {"4": int((ok & table["emotion"].isin(four).to_numpy()).sum()),
                     "all": int(ok.sum())},
        "speakers": dict(zip(table["speaker"], table["gender"], strict=True)),
        "unreadable": [f["path"] for f in lost],
        "ignored": ignored_paths,
    }


def _acted_speakers(corpus, speakers):
    known = _ACTED_RELEASES[corpus]["speakers"]
    if speakers is None:
        return list(known)
    if isinstance(speakers, Integral) and not isinstance(speakers, bool):
        return list(known[:_check_count("speakers", speakers, 1, len(known))])
    if isinstance(speakers, str):
        speakers = [speakers]
    codes = [str(s) for s in speakers]
    unknown = [c for c in codes if c not in known]
    if unknown or not codes or len(set(codes)) != len(codes):
        raise ValueError(f"speakers of {corpus} must be distinct codes among {list(known)} (or "
                         f"a count), got {speakers!r}")
    return codes


def _acted_file(path, corpus, stem, speaker, gender, emotion, sentence, intensity=None,
                repetition=None):
    return dict(path=path, utterance_id=f"{corpus}/{stem}", speaker=f"{corpus}_{speaker}",
                gender=gender, emotion=emotion, sentence=sentence, intensity=intensity,
                repetition=repetition)


def _ravdess_files(root, codes, sentences, layout, song, rng):
    emotions = ACTED_CORPORA["ravdess"]["emotions"]
    speech = os.path.join(root, "Audio_Speech_Actors_01-24")
    files, songs = [], []
    for actor in codes:
        gender = "M" if int(actor) % 2 else "F"
        for folder, channel, emotion_codes, out in (
                (speech, "01", list(emotions), files),
                (os.path.join(root, "Audio_Song_Actors_01-24"), "02",
                 list(emotions)[:6] if song else [], songs)):
            directory = os.path.join(folder, f"Actor_{actor}")
            os.makedirs(directory, exist_ok=True)
            for e in emotion_codes:
                for intensity in ("01",) if e == "01" else ("01", "02"):
                    for statement in sentences:
                        for repetition in ("01", "02"):
                            stem = f"03-{channel}-{e}-{intensity}-{statement}-{repetition}-{actor}"
                            f = _acted_file(os.path.join(directory, stem + ".wav"), "ravdess",
                                            stem, actor, gender, emotions[e], statement,
                                            "normal" if intensity == "01" else "strong",
                                            int(repetition))
                            out.append(f if channel == "01" else (f["path"], f))
    return speech, files, {"song": songs}


def _cremad_files(root, codes, sentences, layout, song, rng):
    emotions = ACTED_CORPORA["cremad"]["emotions"]
    directory = os.path.join(root, "AudioWAV")
    os.makedirs(directory, exist_ok=True)
    files, lines = [], ["ActorID,Age,Sex,Race,Ethnicity"]
    for actor in codes:
        gender = "M" if (int(actor) - 1001) % 2 == 0 else "F"
        lines.append(f"{actor},{int(rng.integers(20, 75))},{'Male' if gender == 'M' else 'Female'},"
                     f"Caucasian,Not Hispanic")
        for sentence in sentences:
            for e in emotions:
                levels = ("LO", "MD", "HI") if sentence == "IEO" and e != "NEU" else ("XX",)
                for level in levels:
                    stem = f"{actor}_{sentence}_{e}_{level}"
                    files.append(_acted_file(os.path.join(directory, stem + ".wav"), "cremad",
                                             stem, actor, gender, emotions[e], sentence,
                                             CREMAD_LEVELS[level]))
    with open(os.path.join(root, "VideoDemographics.csv"), "w", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")
    return root, files, {}


def _emodb_files(root, codes, sentences, layout, song, rng):
    emotions = ACTED_CORPORA["emodb"]["emotions"]
    directory = os.path.join(root, "wav")
    os.makedirs(directory, exist_ok=True)
    files = []
    for speaker in codes:
        for text in sentences:
            for letter in sorted(emotions):
                version = "abc"[int(rng.integers(0, 3))]
                stem = f"{speaker}{text}{letter}{version}"
                files.append(_acted_file(os.path.join(directory, stem + ".wav"), "emodb", stem,
                                         speaker, EMODB_SPEAKERS[speaker][0], emotions[letter],
                                         text, repetition=ord(version) - ord("a") + 1))
    return root, files, {}


def _emovo_files(root, codes, sentences, layout, song, rng):
    emotions = ACTED_CORPORA["emovo"]["emotions"]
    corpus_dir = os.path.join(root, "EMOVO")
    files = []
    for speaker in codes:
        directory = os.path.join(corpus_dir, speaker)
        os.makedirs(directory, exist_ok=True)
        for code in emotions:
            for sentence in sentences:
                stem = f"{code}-{speaker}-{sentence}"
                files.append(_acted_file(os.path.join(directory, stem + ".wav"), "emovo", stem,
                                         speaker, speaker[0].upper(), emotions[code], sentence))
    return corpus_dir, files, {}


def _tess_files(root, codes, sentences, layout, song, rng):
    emotions = ACTED_CORPORA["tess"]["emotions"]
    files = []
    for speaker in codes:
        for token, emotion in emotions.items():
            directory = root if layout == "flat" else \
                os.path.join(root, f"{speaker}_{_TESS_FOLDERS[speaker][token]}")
            os.makedirs(directory, exist_ok=True)
            for word in sentences:
                prefix = "OA" if (layout == "release" and speaker == "OAF" and word == "bite"
                                  and token == "neutral") else speaker
                stem = f"{prefix}_{word}_{token}"
                files.append(_acted_file(os.path.join(directory, stem + ".wav"), "tess", stem,
                                         speaker, "F", emotion, word))
    return root, files, {}


def _savee_files(root, codes, sentences, layout, song, rng):
    emotions = ACTED_CORPORA["savee"]["emotions"]
    corpus_dir = os.path.join(root, "ALL" if layout == "flat" else "AudioData")
    files = []
    for speaker in codes:
        directory = corpus_dir if layout == "flat" else os.path.join(corpus_dir, speaker)
        os.makedirs(directory, exist_ok=True)
        for code, emotion in emotions.items():
            for k in range(1, (2 if code == "n" else 1) * len(sentences) + 1):
                name = f"{code}{k:02d}"
                file_name = f"{speaker}_{name}" if layout == "flat" else name
                files.append(_acted_file(os.path.join(directory, file_name + ".wav"), "savee",
                                         f"{speaker}_{name}", speaker, "M", emotion, name))
    return corpus_dir, files, {}


def _write_tone(path, meta, duration, rate, channels, rng):
    """A short harmonic tone (pitch by gender and emotion) with noise; returns its seconds."""
    n = max(1, int(round(duration * rate * rng.uniform(0.9, 1.1))))
    f0 = (210.0 if meta["gender"] == "F" else 120.0) * \
        (1.0 + 0.05 * (sum(map(ord, meta["emotion"])) % 7)) * rng.uniform(0.97, 1.03)
    t = np.arange(n) / rate
    x = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6) if f0 * h < rate / 2)
    x = 0.3 * x * np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02 + 0.05)
    x = x + 0.005 * rng.standard_normal(n)
    data = np.stack([x, 0.9 * x], axis=1) if channels == 2 else x
    os.makedirs(os.path.dirname(path), exist_ok=True)
    soundfile.write(path, np.clip(data, -1, 1).astype(np.float32), rate, subtype="PCM_16")
    return n / rate


def _write_junk(corpus_dir, files):
    """What a loader must ignore: a .DS_Store, a ._ resource fork, a README.txt."""
    first = files[0]["path"]
    folder = os.path.dirname(first)
    junk = [os.path.join(folder, ".DS_Store"),
            os.path.join(folder, "._" + os.path.basename(first)),
            os.path.join(corpus_dir, "README.txt")]
    with open(junk[0], "wb") as f:
        f.write(b"\x00\x00\x00\x01Bud1\x00\x00[\x00")
    with open(junk[1], "wb") as f:
        f.write(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    with open(junk[2], "w") as f:
        f.write("Miniature corpus written by sklearn_maec.datasets.make_acted_layout "
                "(generated tones, not the real recordings).\n")
    return junk
