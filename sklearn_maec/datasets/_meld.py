"""Loader of the MELD corpus (Friends TV series) from its official CSVs and media files."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
import shutil
import subprocess
import uuid
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import soundfile
from joblib import Parallel, delayed

from .._validation import check_option
from ..exceptions import caller_stacklevel
from ._context import (
    LoaderWarning,
    LoadSummary,
    absolute,
    check_on_missing,
    finish,
    listing,
    resolve_context,
    resolve_label_map,
)

__all__ = ["load_meld", "default_audio_cache", "MELD_CLASSES", "MELD_SPLITS",
           "FFMPEG_INSTALL_HINT"]

#: split -> (CSV file, media folder) of the official release.
MELD_SPLITS = {
    "train": ("train_sent_emo.csv", "train_splits"),
    "dev": ("dev_sent_emo.csv", "dev_splits_complete"),
    "test": ("test_sent_emo.csv", "output_repeated_splits_test"),
}
_EMOTIONS = ("neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust")
#: The class mappings ``classes=`` selects (raw emotion -> class).
MELD_CLASSES = {
    "4": {"neutral": "neu", "joy": "hap", "sadness": "sad", "anger": "ang"},
    "all": {e: e for e in _EMOTIONS},
}
FFMPEG_INSTALL_HINT = (
    "install ffmpeg (Debian/Ubuntu: 'sudo apt-get install ffmpeg'; macOS: 'brew install ffmpeg'; "
    "conda: 'conda install -c conda-forge ffmpeg'; Windows: 'winget install ffmpeg') and make "
    "sure it is on PATH"
)
_REQUIRED = ("Speaker", "Emotion", "Dialogue_ID", "Utterance_ID", "StartTime", "EndTime")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?\s*$")
_MIN_STEP = 0.001  # seconds: starts are made strictly increasing by at least this


def load_meld(root, split="train", classes="4", label_map=None, audio_cache=None,
              on_missing="raise", n_jobs=None, return_summary=False):
    """Load MELD from its official CSVs and media files into the package's ``(X, y)`` form.

    Reads ``<split>_sent_emo.csv`` and points each row at a 16 kHz mono wav
    file: a pre-extracted ``dia{D}_utt{U}.wav`` beside the media file when
    there is one, else the audio of ``dia{D}_utt{U}.mp4`` extracted once with
    ffmpeg into ``audio_cache``.

    Parameters
    ----------
    root : str or path-like
        Directory holding the CSVs ``train_sent_emo.csv``, ``dev_sent_emo.csv``,
        ``test_sent_emo.csv`` and the media folders ``train_splits/``,
        ``dev_splits_complete/`` and ``output_repeated_splits_test/`` (each
        looked for in ``root`` and then in ``root/<split>/``).
    split : {"train", "dev", "test", "all"}, default="train"
        Which split; ``"all"`` concatenates train, dev and test (in that order).
    classes : {"4", "all"}, default="4"
        ``"4"``: the paper's cross-corpus classes, neutral -> ``neu``, joy ->
        ``hap``, sadness -> ``sad``, anger -> ``ang`` (other emotions
        dropped); ``"all"``: the 7 MELD emotions under their own names
        (``neutral``, ``joy``, ``sadness``, ``anger``, ``surprise``, ``fear``,
        ``disgust``).
    label_map : dict or None, default=None
        A custom mapping raw emotion -> class (matched in lower case); others,
        or those mapped to None, are dropped. When given it replaces ``classes``.
    audio_cache : str, path-like or None, default=None
        Where the extracted wav files go, in a sub-folder per split
        (``<audio_cache>/<split>/dia{D}_utt{U}.wav``), created at the first
        extraction.  None: the user's cache,
        ``~/.cache/sklearn_maec/meld/<name of root>-<hash of root>/``
        (``$XDG_CACHE_HOME`` is honoured; see :func:`default_audio_cache`):
        nothing is ever written inside the corpus folder.  The summary's
        ``audio_cache`` and ``n_extracted`` say where and how many files went.
    on_missing : {"raise", "skip"}, default="raise"
        A media file that is missing, or that ffmpeg cannot decode (the real
        ``train_splits/dia125_utt3.mp4`` is corrupt), and a malformed CSV row:
        ``"raise"`` raises (``FileNotFoundError`` / ``ValueError`` naming the
        file, and the CSV line for a row); ``"skip"`` drops the row (a context
        turn keeps its id and gets no audio), counts it in the summary and
        issues a :class:`~sklearn_maec.datasets.LoaderWarning`.  Only the media
        of returned rows and of their context turns are needed.
    n_jobs : int or None, default=None
        Parallel ffmpeg extractions (joblib, threads; None: 1 unless in a
        :func:`joblib.parallel_backend` context; -1: every core).
    return_summary : bool, default=False
        Also return a :class:`~sklearn_maec.datasets.LoadSummary` (its
        ``n_extracted`` counts the files ffmpeg extracted in this call).

    Returns
    -------
    X : pandas.DataFrame
        One row per kept utterance, ordered by split, dialogue and utterance,
        with a RangeIndex and the columns of
        :func:`~sklearn_maec.datasets.load_iemocap`:

        - ``audio``: absolute path of a 16 kHz mono wav file;
        - ``dialogue``: ``"meld_<split>_dia<D>"`` (dialogue ids restart at 0
          in every split of the CSVs; the prefix makes them unique);
        - ``speaker``: the ``Speaker`` field as given (str): the same character
          keeps one id across splits;
        - ``start``, ``end`` (float64): seconds from the start of the episode,
          from ``StartTime`` / ``EndTime`` (see Notes);
        - ``gender``: None (MELD has no gender labels);
        - ``corpus``: ``"meld"``; ``session``: the split name;
        - ``utterance_id``: ``"meld_<split>_dia<D>_utt<U>"``;
        - ``previous_id``, ``interlocutor_id``, ``previous_audio``,
          ``interlocutor_audio``: the context turns, computed over every row
          of the dialogue in the CSV whatever its emotion (see Notes of
          :func:`~sklearn_maec.datasets.load_iemocap`).
    y : ndarray of shape (n_rows,), dtype object
        The class of every row.
    summary : LoadSummary
        Only with ``return_summary=True``.

    Raises
    ------
    FileNotFoundError
        ``root`` or a CSV is missing; a needed media file (or the media
        folder) is missing and ``on_missing="raise"``.
    ValueError
        Invalid parameters; a CSV without the needed columns; a malformed row
        (bad time, non-integer ids, duplicate utterance) or a media file
        ffmpeg cannot decode, with ``on_missing="raise"``.
    RuntimeError
        ffmpeg is needed (some mp4 has no cached or pre-extracted wav) but is
        not installed; the message says how to install it.
    PermissionError
        The audio must be extracted but ``audio_cache`` cannot be created or
        written; the message names the directory.

    See Also
    --------
    load_iemocap : The training corpus of the paper.
    make_meld_layout : Writes a miniature MELD in this layout.
    sklearn_maec.model_selection.CrossCorpusSplit : Train on IEMOCAP, test on MELD.

    Notes
    -----
    **Reading the CSVs.** The files are parsed with :mod:`csv` (quoted
    utterances with commas and doubled quotes), decoded as UTF-8 with a
    Windows-1252 fallback per line, so the stray bytes of the real files (such
    as ``\\x92``) do not stop the load.  Times are ``H:MM:SS,mmm`` with one or
    two hour digits (``0:16:16,059``, ``00:16:16,059``).  An ``Emotion`` that
    is not one of MELD's 7 is dropped like an unmapped one, with a
    :class:`~sklearn_maec.datasets.LoaderWarning` naming the CSV and the
    utterance: it is the sign of a damaged file.

    **Turn order and times.** The turns of a dialogue are ordered by
    ``Utterance_ID``, the official order.  The CSV times are episode times and
    are not always increasing along it (overlapping or equal start times
    occur), so ``start`` is the ``StartTime`` raised where needed to increase
    strictly, by at least 1 ms, along ``Utterance_ID``; ``end`` is
    ``max(EndTime, start)``.  Elsewhere the CSV times are kept.

    **Audio.** Extraction runs ``ffmpeg -i dia{D}_utt{U}.mp4 -vn -ac 1 -ar 16000``
    into a temporary file renamed into place when complete (so an interrupted
    run never leaves a truncated wav), and is skipped when the cached wav
    exists and is newer than the mp4.  Only the turns that are returned or
    serve as their context are extracted.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_meld, make_meld_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = tmp.name
    >>> manifest = make_meld_layout(root, splits=("dev",), n_dialogues=2, media="wav")
    >>> X, y = load_meld(root, split="dev")
    >>> len(X) == manifest["splits"]["dev"]["expected"]["4"]
    True
    >>> X["dialogue"].iloc[0], bool(X["gender"].isna().all())
    ('meld_dev_dia0', True)
    >>> tmp.cleanup()
    """
    on_missing = check_on_missing(on_missing)
    label_of = resolve_label_map(classes, label_map, MELD_CLASSES, "MELD")
    check_option("split", split, (*MELD_SPLITS, "all"))
    splits = list(MELD_SPLITS) if split == "all" else [split]
    root = absolute(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"MELD root directory not found: {root!r}")
    cache_root = _cache_root(root, audio_cache)
    summary = LoadSummary("meld", audio_cache=cache_root)

    parts = [_read_split(root, s, on_missing, summary) for s in splits]
    if summary.bad_lines:
        warnings.warn(f"MELD: skipped {len(summary.bad_lines)} malformed row(s): "
                      + listing(summary.bad_lines), LoaderWarning, stacklevel=caller_stacklevel())
    turns = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    summary.n_turns = len(turns)
    turns["label"] = [label_of(raw) for raw in turns["raw"]]
    labelled = turns["label"].notna().to_numpy()
    summary.dropped_labels = dict(sorted(Counter(turns.loc[~labelled, "raw"]).items()))
    unknown = ~turns["raw"].isin(_EMOTIONS).to_numpy()
    if unknown.any():  # dropped like any unmapped emotion, but it is damage: say where
        where = [f"{os.path.join(root, MELD_SPLITS[r.split][0])}: {r.utterance_id}: {r.raw!r}"
                 for r in turns[unknown].itertuples()]
        warnings.warn(
            f"MELD: {len(where)} row(s) have an Emotion that MELD does not use (a damaged "
            f"CSV?); they are dropped: " + listing(where), LoaderWarning,
            stacklevel=caller_stacklevel())

    # context over every turn, by utterance id; which turns need audio
    turns["audio"] = turns["utterance_id"]  # placeholder, replaced below
    context = resolve_context(turns)
    needed = labelled.copy()
    position = pd.Series(np.arange(len(turns)), index=turns["utterance_id"])
    for column in ("previous_id", "interlocutor_id"):
        ids = context.loc[labelled, column].dropna()
        needed[position.reindex(ids).to_numpy(dtype=np.int64)] = True

    audio, failures = _resolve_audio(turns, needed, root, cache_root, n_jobs, summary)
    if failures:
        if on_missing == "raise":
            missing = any(m.startswith("missing") for _, m in failures)
            kind = FileNotFoundError if missing else ValueError
            raise kind(
                f"MELD: {len(failures)} media file(s) missing or unreadable: "
                + listing(m for _, m in failures)
                + ". Pass on_missing='skip' to skip those rows (counted in the summary).")
        bad = np.array([i for i, _ in failures], dtype=np.int64)
        bad_mask = np.zeros(len(turns), dtype=bool)
        bad_mask[bad] = True
        summary.missing_audio = [turns.at[i, "media"] for i in bad if labelled[i]]
        in_context = _is_context(context, turns, labelled)
        summary.missing_context_audio = [turns.at[i, "media"] for i in bad if in_context[i]]
        warnings.warn(
            f"MELD: {len(failures)} media file(s) missing or unreadable; skipped "
            f"{len(summary.missing_audio)} row(s), {len(summary.missing_context_audio)} context "
            "turn(s) have no audio: " + listing(m for _, m in failures),
            LoaderWarning, stacklevel=caller_stacklevel())
        audio[bad_mask] = None
    turns["audio"] = audio
    turns = pd.concat([turns, resolve_context(turns)], axis=1)
    turns["corpus"] = "meld"
    turns["gender"] = None
    keep = labelled & pd.notna(audio)
    X, y = finish(turns, keep, summary)
    return (X, y, summary) if return_summary else (X, y)


# --------------------------------------------------------------------------- #
# CSV
# --------------------------------------------------------------------------- #
def _decode(data):
    """UTF-8 text; lines that are not valid UTF-8 are decoded as Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = []
    for raw in data.splitlines(keepends=True):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("cp1252", errors="replace"))
    text = "".join(lines)
    return text[1:] if text.startswith("\ufeff") else text


def parse_time(text):
    """Seconds from a MELD time ``H:MM:SS,mmm`` (one or two hour digits); None if invalid."""
    m = _TIME.match(text or "")
    if m is None:
        return None
    h, mnt, s, ms = m.groups()
    if int(mnt) >= 60 or int(s) >= 60:
        return None
    frac = int(ms.ljust(3, "0")) / 1000.0 if ms else 0.0
    return int(h) * 3600 + int(mnt) * 60 + int(s) + frac


def _read_split(root, split, on_missing, summary):
    csv_name, media_name = MELD_SPLITS[split]
    path = os.path.join(root, csv_name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"MELD: CSV file of the {split!r} split not found: {path!r}")
    try:
        with open(path, "rb") as f:
            text = _decode(f.read())
    except OSError as exc:
        raise OSError(f"MELD: cannot read {path!r}: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError(f"MELD: {path!r} is empty") from None
    absent = [c for c in _REQUIRED if c not in header]
    if absent:
        raise ValueError(f"MELD: {path!r} lacks the column(s) {absent}; columns: {header}")
    col = {c: header.index(c) for c in _REQUIRED}
    media_dir = _media_dir(root, split, media_name)

    records, seen = [], {}
    line_end = reader.line_num
    for row in reader:
        line = line_end + 1
        line_end = reader.line_num
        if not any(field.strip() for field in row):
            continue
        reason = None
        if len(row) < len(header):
            reason = f"{len(row)} fields, expected {len(header)}"
        else:
            d, u = row[col["Dialogue_ID"]].strip(), row[col["Utterance_ID"]].strip()
            start, end = parse_time(row[col["StartTime"]]), parse_time(row[col["EndTime"]])
            speaker = row[col["Speaker"]].strip()
            if not (d.isdigit() and u.isdigit()):
                reason = f"Dialogue_ID/Utterance_ID not integers ({d!r}, {u!r})"
            elif start is None or end is None:
                reason = (f"times not of the form H:MM:SS,mmm ({row[col['StartTime']]!r}, "
                          f"{row[col['EndTime']]!r})")
            elif not speaker:
                reason = "empty Speaker"
            elif (int(d), int(u)) in seen:
                reason = f"dia{int(d)}_utt{int(u)} already listed at line {seen[int(d), int(u)]}"
        if reason is not None:
            message = f"{path}:{line}: {reason}"
            if on_missing == "raise":
                raise ValueError(f"MELD: malformed row at {message}. Pass on_missing='skip' to "
                                 "skip malformed rows (they are counted in the summary).")
            summary.bad_lines.append(message)
            continue
        d, u = int(d), int(u)
        seen[d, u] = line
        stem = f"dia{d}_utt{u}"
        records.append((d, u, speaker, row[col["Emotion"]].strip().lower(), start, end,
                        os.path.join(media_dir, stem + ".mp4"),
                        os.path.join(media_dir, stem + ".wav"), stem))
    if not records:  # a truncated download or an export that kept only the header
        warnings.warn(f"MELD: {path!r} holds no utterance row: the {split!r} split is empty",
                      LoaderWarning, stacklevel=caller_stacklevel())
    turns = pd.DataFrame.from_records(
        records, columns=["dia", "utt", "speaker", "raw", "start_raw", "end_raw", "media",
                          "beside_wav", "stem"])
    turns = turns.sort_values(["dia", "utt"], kind="stable").reset_index(drop=True)
    turns["dialogue"] = [f"meld_{split}_dia{d}" for d in turns["dia"]]
    turns["utterance_id"] = [f"meld_{split}_dia{d}_utt{u}" for d, u in
                             zip(turns["dia"], turns["utt"], strict=True)]
    turns["session"] = split
    turns["split"] = split
    turns["start"], turns["end"] = _monotone_times(turns)
    return turns


def _monotone_times(turns):
    """Starts raised to increase strictly (by >= 1 ms) along utterance order in each dialogue."""
    start = turns["start_raw"].to_numpy(dtype=np.float64)
    end = turns["end_raw"].to_numpy(dtype=np.float64)
    if not len(start):
        return start, end
    d = turns["dia"].to_numpy()
    new = np.ones(len(d), dtype=bool)
    new[1:] = d[1:] != d[:-1]
    group_first = np.maximum.accumulate(np.where(new, np.arange(len(d)), 0))
    k = np.arange(len(d)) - group_first  # rank within the dialogue
    # s'_k = max_{j <= k} (s_j + (k - j) * step) = k * step + cummax(s_j - j * step)
    shifted = pd.Series(start - k * _MIN_STEP).groupby(group_first).cummax().to_numpy()
    new_start = np.round(np.maximum(start, shifted + k * _MIN_STEP), 6)
    return new_start, np.maximum(end, new_start)


def _media_dir(root, split, media_name):
    candidates = [os.path.join(root, media_name), os.path.join(root, split, media_name)]
    for c in candidates:
        if os.path.isdir(c):
            return c
    return candidates[0]


# --------------------------------------------------------------------------- #
# audio
# --------------------------------------------------------------------------- #
def _cache_root(root, audio_cache):
    if audio_cache is not None:
        return absolute(audio_cache)
    return default_audio_cache(root)


def default_audio_cache(root):
    """The directory :func:`load_meld` keeps a release's extracted audio in by default.

    ``$XDG_CACHE_HOME/sklearn_maec/meld/<name>-<hash>/`` (``~/.cache`` when the
    variable is unset), where ``<name>`` is the release folder's name and
    ``<hash>`` a digest of its absolute path, so two copies of MELD never share
    files.  Outside the corpus folder, which may be read-only or shared.

    Parameters
    ----------
    root : str or path-like
        The MELD release folder.

    Returns
    -------
    path : str
        Absolute path (not created here).

    Examples
    --------
    >>> from sklearn_maec.datasets import default_audio_cache
    >>> default_audio_cache("/data/MELD.Raw").split("/")[-1][:9]
    'MELD.Raw-'
    """
    root = absolute(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha1(root.encode("utf-8")).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(root.rstrip(os.sep))) or "meld"
    return os.path.join(absolute(base), "sklearn_maec", "meld", f"{name}-{digest}")


def _is_context(context, turns, labelled):
    """Turns referenced as context by a labelled turn."""
    ids = pd.concat([context.loc[labelled, "previous_id"],
                     context.loc[labelled, "interlocutor_id"]]).dropna()
    return turns["utterance_id"].isin(set(ids)).to_numpy()


def _resolve_audio(turns, needed, root, cache_root, n_jobs, summary):
    """Wav path of every needed turn (None elsewhere); list of (position, problem)."""
    audio = np.empty(len(turns), dtype=object)
    audio[:] = None
    failures, jobs = [], []
    for i in np.flatnonzero(needed):
        beside, media = turns.at[i, "beside_wav"], turns.at[i, "media"]
        if os.path.isfile(beside):
            audio[i] = beside
            continue
        if not os.path.isfile(media):
            folder = os.path.dirname(media)
            where = "" if os.path.isdir(folder) else f" (the folder {folder!r} does not exist)"
            failures.append((i, f"missing media file {media!r}{where}"))
            continue
        target = os.path.join(cache_root, turns.at[i, "split"], turns.at[i, "stem"] + ".wav")
        audio[i] = target
        if not (os.path.isfile(target) and os.path.getmtime(target) >= os.path.getmtime(media)):
            jobs.append((i, media, target))
    if jobs:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise RuntimeError(
                f"MELD: extracting the audio of {len(jobs)} media file(s) (e.g. "
                f"{jobs[0][1]!r}) needs ffmpeg, which was not found: {FFMPEG_INSTALL_HINT}. "
                "Alternatively put pre-extracted 16 kHz wav files dia{D}_utt{U}.wav beside "
                "the mp4 files.")
        for split in {turns.at[i, "split"] for i, _, _ in jobs}:
            folder = os.path.join(cache_root, split)
            try:
                os.makedirs(folder, exist_ok=True)
                if not os.access(folder, os.W_OK | os.X_OK):
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            except OSError as exc:
                raise PermissionError(
                    f"MELD: cannot write the audio extracted from {len(jobs)} media file(s) "
                    f"to {folder!r} ({exc.strerror or exc}); pass audio_cache= (the command "
                    "line's --audio-cache) a writable directory") from None
        results = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_extract)(ffmpeg, media, target) for _, media, target in jobs)
        for (i, media, _), error in zip(jobs, results, strict=True):
            if error is None:
                summary.n_extracted += 1
            else:
                audio[i] = None
                failures.append((i, f"ffmpeg cannot decode {media!r}: {error}"))
    failures.sort()
    return audio, failures


def _extract(ffmpeg, media, target):
    """Extract 16 kHz mono 16-bit audio atomically; None or an error message."""
    tmp = f"{target}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", media, "-vn", "-ac", "1", "-ar",
           "16000", "-c:a", "pcm_s16le", "-f", "wav", tmp]
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            return err[-1] if err else f"exit status {proc.returncode}"
        try:
            frames = soundfile.info(tmp).frames
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            return f"unreadable output: {exc}"
        if frames == 0:
            return "no audio samples"
        os.replace(tmp, target)
        return None
    except OSError as exc:
        return str(exc)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
