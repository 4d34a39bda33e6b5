"""Loader of the IEMOCAP corpus from its official release layout."""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from numbers import Integral

import numpy as np
import pandas as pd

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

__all__ = ["load_iemocap", "IEMOCAP_CLASSES"]

#: The class mappings ``classes=`` selects (raw label -> class).
IEMOCAP_CLASSES = {
    "4": {"neu": "neu", "hap": "hap", "exc": "hap", "sad": "sad", "ang": "ang"},
    "6": {"neu": "neu", "hap": "hap", "sad": "sad", "ang": "ang", "exc": "exc", "fru": "fru"},
}
_NO_CLASS = frozenset({"xxx", "oth"})
#: Every categorical label of the release; any other is a damaged evaluation file.
_RAW_LABELS = frozenset({"neu", "hap", "sad", "ang", "exc", "fru", "sur", "fea", "dis"}) | _NO_CLASS


def _all_labels(raw):
    return None if raw in _NO_CLASS else raw


_PRESETS = {**IEMOCAP_CLASSES, "all": _all_labels}
_SESSION_DIR = re.compile(r"^Session0*(\d+)$")
_TURN_LINE = re.compile(
    r"^\[\s*(?P<start>\d+(?:\.\d*)?)\s*-\s*(?P<end>\d+(?:\.\d*)?)\s*\]\s*(?P<rest>.*)$")
_UTTERANCE = re.compile(r"^(?P<session>Ses\d{2})[A-Za-z0-9]*_.+_(?P<gender>[FM])[A-Za-z]*\d+$")
_SHOWN = 5  # items named in a message before "and N more"


def load_iemocap(root, classes="4", label_map=None, sessions=None, on_missing="raise",
                 return_summary=False):
    """Load IEMOCAP from the official release layout into the package's ``(X, y)`` form.

    Reads the categorical labels of every turn from the evaluation files
    ``Session<n>/dialog/EmoEvaluation/<dialogue>.txt`` and points each row at
    its audio file ``Session<n>/sentences/wav/<dialogue>/<utterance_id>.wav``.
    The audio is not read here: the paths are what
    :class:`~sklearn_maec.OpenSmileSegmenter` takes.

    Parameters
    ----------
    root : str or path-like
        The ``IEMOCAP_full_release`` directory, or a directory containing it.
    classes : {"4", "6", "all"}, default="4"
        Which turns become rows, and their labels:

        - ``"4"``: the common 4-class setup of the paper: ``neu``, ``hap``
          (``exc`` merged into ``hap``), ``sad``, ``ang`` (5,531 utterances of
          the full release);
        - ``"6"``: ``neu``, ``hap``, ``sad``, ``ang``, ``exc``, ``fru``, each
          under its own label (``exc`` is *not* merged);
        - ``"all"``: every label except ``xxx`` (no majority among the
          annotators) and ``oth`` (other), under its raw name.
    label_map : dict or None, default=None
        A custom mapping raw label -> class (raw labels are matched in lower
        case); raw labels not in it, or mapped to None, are dropped.  When
        given it replaces ``classes``.  E.g. the authors' released code:
        ``{"neu": "neu", "fru": "neu", "hap": "hap", "exc": "hap",
        "sad": "sad", "ang": "ang"}``.
    sessions : int, str, sequence or None, default=None
        Sessions to load, as numbers (``1``..``5``) or names (``"Session1"``,
        ``"Ses01"``); None loads every ``Session*`` directory found, with a
        :class:`~sklearn_maec.datasets.LoaderWarning` naming any session
        missing below the highest one found (``Session3`` absent beside
        ``Session1``, ``Session2``, ``Session4``, ``Session5``: a
        leave-one-session-out mean over the others would look complete).
    on_missing : {"raise", "skip"}, default="raise"
        What to do with a wav file listed in an evaluation file but absent from
        disk, and with a malformed turn line. ``"raise"``: a
        ``FileNotFoundError`` naming the wav and the evaluation file (a
        ``ValueError`` with file and line number for a malformed line).
        ``"skip"``: the row is dropped (a context turn keeps its id, its audio
        column becomes None; a malformed line is ignored), counted in the
        summary and reported by a
        :class:`~sklearn_maec.datasets.LoaderWarning`.  Only the wav files of
        returned rows and of their context turns are checked.
    return_summary : bool, default=False
        Also return a :class:`~sklearn_maec.datasets.LoadSummary` (the same
        summary is logged at INFO level on the ``"sklearn_maec"`` logger).

    Returns
    -------
    X : pandas.DataFrame
        One row per kept utterance, ordered by session, dialogue and start,
        with a RangeIndex and the columns (object dtype unless noted):

        - ``audio``: absolute path of the wav file (files keep their own
          sampling rate, 16 kHz in the release; there is no
          ``sampling_rate`` column);
        - ``dialogue``: e.g. ``"Ses01F_impro01"``, ``"Ses01F_script01_2"``;
        - ``speaker``: session + the gender letter of the *utterance*, e.g.
          ``"Ses01M"`` for ``Ses01F_impro01_M003`` (see Notes);
        - ``start``, ``end`` (float64): seconds in the dialogue recording;
        - ``gender``: ``"F"`` or ``"M"``;
        - ``corpus``: ``"iemocap"``;
        - ``session``: e.g. ``"Ses01"``;
        - ``utterance_id``: e.g. ``"Ses01F_impro01_F000"``;
        - ``previous_id``, ``interlocutor_id``: the utterance ids of the
          speaker's previous turn and of the latest earlier turn by the other
          speaker, over *every* turn of the dialogue (see Notes), None when
          there is none;
        - ``previous_audio``, ``interlocutor_audio``: their wav paths (None
          when there is no such turn, or its wav was skipped).
    y : ndarray of shape (n_rows,), dtype object
        The class label of every row.
    summary : LoadSummary
        Only with ``return_summary=True``: turns read, rows kept per class,
        turns dropped per raw label (``xxx``, ``fru``, ...), skipped files and
        lines.

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or holds no ``Session*`` directory; a
        requested session or its ``dialog/EmoEvaluation`` directory (or any
        ``Ses*.txt`` evaluation file in it) is missing; a needed wav file is
        missing and ``on_missing="raise"``.
    ValueError
        Invalid parameters; a malformed turn line with ``on_missing="raise"``;
        the same utterance id listed twice.
    OSError
        An evaluation file cannot be read (the message names it).

    See Also
    --------
    load_meld : The cross-corpus test set of the paper.
    make_iemocap_layout : Writes a miniature IEMOCAP in this layout.
    sklearn.model_selection.LeaveOneGroupOut : Leave-one-session-out
        evaluation with ``groups=X["session"]``.

    Notes
    -----
    **Evaluation files.** Only the turn lines are read:
    ``[START - END]<TAB>UTTERANCE_ID<TAB>LABEL<TAB>[V, A, D]`` (tabs or spaces;
    the ``[V, A, D]`` field may be missing).  Per-annotator lines (``C-E1:``,
    ``A-E2:``, ...), the ``%`` header, blank lines, Windows line endings and
    trailing spaces are tolerated.  Files are the ``Ses*.txt`` files directly
    in ``EmoEvaluation`` (the ``Categorical/``, ``Attribute/`` and
    ``Self-evaluation/`` sub-folders and hidden files such as ``.DS_Store``
    or ``._*`` resource forks are ignored).  A line starting with ``[`` that
    lacks the time range, the utterance id or the label, or whose utterance id
    does not end in a gender letter and a turn number, is malformed.  A label
    IEMOCAP does not use (other than ``neu``, ``hap``, ``sad``, ``ang``,
    ``exc``, ``fru``, ``sur``, ``fea``, ``dis``, ``oth``, ``xxx``) is dropped
    like an unmapped one, with a :class:`~sklearn_maec.datasets.LoaderWarning`
    naming the file and line: it is the sign of a damaged file.

    **Speakers.** Each session has one female and one male actor. The letter
    after the session in a *dialogue* id (``Ses01F_...``) tells who wore the
    motion-capture markers; the speaker of an utterance is the letter before
    its turn number (``..._F000`` female, ``..._M012`` male), so the speaker id
    is the session plus that letter and the gender is that letter.

    **Context over all turns.** Turns of a dialogue are ordered by ``start``
    (ties by utterance id).  The context columns are computed over *every*
    turn listed in the dialogue's evaluation file, labelled or not, *before*
    rows are dropped for their label: the ``previous_id`` of an utterance may
    be an ``xxx`` or ``fru`` turn that is not among the rows.  For a turn of
    speaker *A*, ``previous`` is *A*'s latest earlier turn, ``interlocutor``
    the latest earlier turn by the other speaker (in IEMOCAP turns overlap: by
    ``start``, the other speaker's turn that began last before this one).
    These are the same semantics as :class:`~sklearn_maec.ContextTripleBuilder`
    (which only sees the rows it is given); :mod:`sklearn_maec.datasets._context`
    documents them.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_maec.datasets import load_iemocap, make_iemocap_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = tmp.name
    >>> manifest = make_iemocap_layout(root, n_sessions=1, dialogues_per_session=2)
    >>> X, y, summary = load_iemocap(root, return_summary=True)
    >>> len(X) == manifest["expected"]["4"]
    True
    >>> sorted(set(y)) <= ["ang", "hap", "neu", "sad"]
    True
    >>> X["corpus"].unique().tolist(), X["session"].unique().tolist()
    (['iemocap'], ['Ses01'])
    >>> tmp.cleanup()
    """
    on_missing = check_on_missing(on_missing)
    label_of = resolve_label_map(classes, label_map, _PRESETS, "IEMOCAP")
    release = _find_release(root)
    session_dirs = _session_dirs(release, _session_numbers(sessions))
    summary = LoadSummary("iemocap")

    records = []
    for session_dir in session_dirs:
        records.extend(_read_session(session_dir, on_missing, summary))
    if summary.bad_lines:
        warnings.warn(
            f"IEMOCAP: skipped {len(summary.bad_lines)} malformed evaluation line(s): "
            + listing(summary.bad_lines), LoaderWarning, stacklevel=caller_stacklevel())
    turns = _turn_table(records)
    summary.n_turns = len(turns)
    labelled = _label_turns(turns, label_of, summary)

    exists = np.fromiter((os.path.isfile(p) for p in turns["wav"]), dtype=bool,
                         count=len(turns))
    turns["audio"] = np.where(exists, turns["wav"].to_numpy(dtype=object), None)
    context = resolve_context(turns)
    turns = pd.concat([turns, context], axis=1)
    _check_audio(turns, labelled, exists, on_missing, summary)
    turns["corpus"] = "iemocap"
    X, y = finish(turns, labelled & exists, summary)
    return (X, y, summary) if return_summary else (X, y)


def _read_session(session_dir, on_missing, summary):
    """The turn records of every evaluation file of one session."""
    evaluation_dir = os.path.join(session_dir, "dialog", "EmoEvaluation")
    if not os.path.isdir(evaluation_dir):
        raise FileNotFoundError(
            f"IEMOCAP: no evaluation directory {evaluation_dir!r} (expected "
            "Session<n>/dialog/EmoEvaluation/<dialogue>.txt)")
    files = sorted(
        name for name in os.listdir(evaluation_dir)
        if name.startswith("Ses") and name.lower().endswith(".txt")
        and os.path.isfile(os.path.join(evaluation_dir, name)))
    if not files:
        raise FileNotFoundError(
            f"IEMOCAP: no evaluation file (Ses*.txt) in {evaluation_dir!r}")
    wav_dir = os.path.join(session_dir, "sentences", "wav")
    records = []
    for name in files:
        records.extend(_parse_evaluation(os.path.join(evaluation_dir, name), wav_dir,
                                         on_missing, summary))
    return records


def _turn_table(records):
    """The turns as a table in session, dialogue and start order; an id listed twice is an
    error naming the files and lines."""
    columns = ["utterance_id", "dialogue", "session", "speaker", "gender", "start", "end", "raw",
               "wav", "evaluation_file", "line"]
    turns = pd.DataFrame.from_records(records, columns=columns)
    duplicated = turns["utterance_id"].duplicated(keep=False)
    if duplicated.any():
        dup = turns[duplicated].sort_values(["utterance_id", "evaluation_file", "line"])
        shown = [f"{r.utterance_id} ({r.evaluation_file}:{r.line})"
                 for r in dup.head(2 * _SHOWN).itertuples()]
        raise ValueError(f"IEMOCAP: utterance id(s) listed more than once: {', '.join(shown)}")
    return turns.sort_values(["session", "dialogue", "start", "utterance_id"],
                             kind="stable").reset_index(drop=True)


def _label_turns(turns, label_of, summary):
    """Set the ``label`` column; returns which turns have one (the others are counted, and a
    label IEMOCAP does not use is warned about, naming file and line)."""
    turns["label"] = [label_of(raw) for raw in turns["raw"]]
    labelled = turns["label"].notna().to_numpy()
    summary.dropped_labels = dict(sorted(Counter(turns.loc[~labelled, "raw"]).items()))
    unknown = ~turns["raw"].isin(_RAW_LABELS).to_numpy()
    if unknown.any():  # dropped like any unmapped label, but it is damage: say where
        where = [f"{r.evaluation_file}:{r.line}: {r.raw!r}" for r in turns[unknown].itertuples()]
        warnings.warn(
            f"IEMOCAP: {len(where)} turn(s) have a label that IEMOCAP does not use (a damaged "
            f"evaluation file?); they are dropped: " + listing(where),
            LoaderWarning, stacklevel=caller_stacklevel())
    return labelled


def _check_audio(turns, labelled, exists, on_missing, summary):
    """The wav files needed, the kept rows' own and their context turns': raise for a missing
    one, or count and warn (``on_missing="skip"``)."""
    own_missing = labelled & ~exists
    position = pd.Series(np.arange(len(turns)), index=turns["utterance_id"])
    ctx_ids = pd.concat([turns.loc[labelled, "previous_id"],
                         turns.loc[labelled, "interlocutor_id"]])
    ctx_pos = np.unique(position.reindex(ctx_ids.dropna()).to_numpy(dtype=np.int64))
    ctx_missing = ctx_pos[~exists[ctx_pos]] if len(ctx_pos) else ctx_pos
    if not (own_missing.any() or len(ctx_missing)):
        return
    missing = np.union1d(np.flatnonzero(own_missing), ctx_missing)
    described = [f"{turns.at[i, 'wav']} (listed in {turns.at[i, 'evaluation_file']})"
                 for i in missing]
    if on_missing == "raise":
        raise FileNotFoundError(
            f"IEMOCAP: {len(missing)} wav file(s) listed in evaluation files are missing: "
            + listing(described)
            + ". Pass on_missing='skip' to skip those rows (counted in the summary).")
    summary.missing_audio = turns.loc[own_missing, "wav"].tolist()
    summary.missing_context_audio = [turns.at[i, "wav"] for i in ctx_missing]
    warnings.warn(
        f"IEMOCAP: {len(missing)} wav file(s) listed in evaluation files are missing; "
        f"skipped {int(own_missing.sum())} row(s), {len(ctx_missing)} context turn(s) "
        f"have no audio: " + listing(described), LoaderWarning, stacklevel=caller_stacklevel())


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


def _session_numbers(sessions):
    if sessions is None:
        return None
    if isinstance(sessions, (str, Integral)):
        sessions = [sessions]
    numbers = []
    for s in sessions:
        n = None
        if isinstance(s, Integral) and not isinstance(s, bool):
            n = int(s)
        elif isinstance(s, str):
            m = re.fullmatch(r"(?:session|ses)?\s*0*(\d+)", s.strip(), flags=re.IGNORECASE)
            n = int(m.group(1)) if m else None
        if n is None or n < 1:
            raise ValueError(
                "sessions must be None or session numbers (1..5) or names ('Session1', "
                f"'Ses01'), got {s!r}")
        numbers.append(n)
    if not numbers:
        raise ValueError("sessions must not be empty (None loads every session)")
    return sorted(set(numbers))


def _find_release(root):
    root = absolute(root)
    if not os.path.exists(root):
        raise FileNotFoundError(f"IEMOCAP root not found: {root!r}")
    if not os.path.isdir(root):
        raise ValueError(f"IEMOCAP root must be a directory, got the file {root!r}")
    candidates = [root, os.path.join(root, "IEMOCAP_full_release")]
    for candidate in candidates:
        if os.path.isdir(candidate) and _session_map(candidate):
            return candidate
    raise FileNotFoundError(
        f"IEMOCAP: no Session* directory in {candidates[0]!r} nor in {candidates[1]!r}; "
        "expected the official release layout (IEMOCAP_full_release/Session1 .. Session5)")


def _session_map(release):
    found = {}
    for name in os.listdir(release):
        m = _SESSION_DIR.match(name)
        if m and os.path.isdir(os.path.join(release, name)):
            found[int(m.group(1))] = os.path.join(release, name)
    return found


def _session_dirs(release, numbers):
    found = _session_map(release)
    if numbers is None:
        gaps = [n for n in range(1, max(found) + 1) if n not in found]
        if gaps:
            names = ", ".join(f"Session{n}" for n in gaps)
            warnings.warn(
                f"IEMOCAP: {names} not found in {release!r}: loading the {len(found)} "
                f"session(s) present ({', '.join(f'Session{n}' for n in sorted(found))}); "
                "leave-one-session-out will run one fold fewer per missing session",
                LoaderWarning, stacklevel=caller_stacklevel())
        return [found[n] for n in sorted(found)]
    absent = [n for n in numbers if n not in found]
    if absent:
        expected = ", ".join(repr(os.path.join(release, f"Session{n}")) for n in absent)
        raise FileNotFoundError(
            f"IEMOCAP: requested session(s) {absent} not found: no {expected}; sessions "
            f"present: {sorted(found)}")
    return [found[n] for n in numbers]


def _parse_evaluation(path, wav_dir, on_missing, summary):
    """Turn records of one evaluation file."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline=None) as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise OSError(f"IEMOCAP: cannot read evaluation file {path!r}: {exc}") from exc
    records = []
    for lineno, line in enumerate(lines, start=1):
        text = line.strip()
        if not text.startswith("["):
            continue
        record, reason = _parse_turn(text)
        if record is None:
            message = f"{path}:{lineno}: {reason}: {text[:120]!r}"
            if on_missing == "raise":
                raise ValueError(
                    f"IEMOCAP: malformed turn line at {message}. Pass on_missing='skip' to skip "
                    "malformed lines (they are counted in the summary).")
            summary.bad_lines.append(message)
            continue
        utterance_id, dialogue, session, gender, start, end, raw = record
        wav = os.path.join(wav_dir, dialogue, utterance_id + ".wav")
        records.append((utterance_id, dialogue, session, session + gender, gender, start, end,
                        raw, wav, path, lineno))
    return records


def _parse_turn(text):
    m = _TURN_LINE.match(text)
    if m is None:
        return None, "no [START - END] time range"
    fields = m.group("rest").split()
    if len(fields) < 2 or fields[1].startswith("["):
        return None, "missing utterance id or label"
    utterance_id, raw = fields[0], fields[1].strip().lower()
    u = _UTTERANCE.match(utterance_id)
    if u is None or "_" not in utterance_id:
        return None, (f"utterance id {utterance_id!r} is not of the form "
                      "Ses<nn><F|M>_<dialogue>_<F|M><turn>")
    dialogue = utterance_id.rsplit("_", 1)[0]
    return (utterance_id, dialogue, u.group("session"), u.group("gender"),
            float(m.group("start")), float(m.group("end")), raw), None
