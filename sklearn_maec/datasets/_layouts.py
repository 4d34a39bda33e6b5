"""Miniature IEMOCAP and MELD releases, in the official layouts, with generated audio.

The real corpora are licensed; these writers make small copies of their
directory structure and annotation formats (quirks included) whose audio comes
from :func:`~sklearn_maec.datasets.make_dialogue_corpus`, so the loaders can be
tested, demonstrated and tried without the real data.
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
from joblib import Parallel, delayed

from .._validation import check_option
from ._synthetic import make_dialogue_corpus

__all__ = ["make_iemocap_layout", "make_meld_layout"]

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
