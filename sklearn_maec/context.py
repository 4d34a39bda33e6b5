"""Dialogue context: which earlier turns give each utterance its context.

MAEC classifies an utterance from three inputs: the utterance itself, the
speaker's own previous turn and the interlocutor's latest turn before it.
:class:`ContextTripleBuilder` is the one place that decides, for every row and
each role of :data:`CONTEXT_ROLES`, which turn that is: a row of the table (its
position, so the classifier refers to rows instead of copying their large
feature arrays) or, for a turn that is not a row, that turn's bag.  The
classifier and an exported model read its decision as it is.
:func:`context_positions` is the rule it applies to rows, which the corpus
loaders apply to every turn of a recording.
"""

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import check_dataframe, describe_rows
from .exceptions import MAECWarning, caller_stacklevel
from .features._segments import AUDIO_COLUMN, bag_columns

__all__ = ["ContextTripleBuilder", "context_positions", "CONTEXT_ROLES"]

_REQUIRED = ("dialogue", "speaker", "start")
#: The context roles, each an output column of positions of :class:`ContextTripleBuilder`.
CONTEXT_ROLES = ("previous", "interlocutor")
#: Columns naming each row's true context turns by utterance id (the corpus loaders').
ID_COLUMNS = tuple(f"{role}_id" for role in CONTEXT_ROLES)
_MAX_NAMED = 10  # dialogues named in a message before "and N more"


class ContextTripleBuilder(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Decide each utterance's context turns: row positions, or the bags of turns that are not rows.

    For every utterance (row) of ``X`` this transformer finds, within the same
    dialogue, the speaker's own previous turn and the interlocutor's latest
    earlier turn, and adds their positions as two integer columns,
    ``previous`` and ``interlocutor``. Together with the row itself they form
    the (current, previous, interlocutor) triple the MAEC model takes. The
    positions are 0-based row positions in ``X`` (as used by ``iloc``), with
    ``-1`` where there is no such turn (an empty context bag for the model).
    It is the one place where the context is decided: the classifier and an
    exported model read its output as it is (see "The context contract" in
    the Notes).

    Parameters
    ----------
    allow_split_dialogues : bool, default=False
        If False, :meth:`transform` raises a ``ValueError`` when a dialogue
        seen in :meth:`fit` comes back with different turns, the sign of a
        train/test split that cut a dialogue in two (see Notes). If True, this
        check is skipped.

    Attributes
    ----------
    dialogue_fingerprints_ : pandas.DataFrame
        One row per dialogue seen in :meth:`fit` (indexed by the dialogue id,
        index name ``"dialogue"``), with the columns ``n_turns`` (int64, the
        number of turns) and ``turns_hash`` (uint64, an order-independent hash
        of the dialogue's (speaker, start) pairs).
    n_dialogues_ : int
        Number of distinct dialogues seen in :meth:`fit`.
    n_features_in_ : int
        Number of columns of ``X`` seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of ``X`` seen in :meth:`fit`.

    See Also
    --------
    sklearn.model_selection.GroupKFold : K-fold cross-validation that keeps each
        group (here, each dialogue or session) in one fold.
    sklearn.model_selection.LeaveOneGroupOut : Leave-one-session-out
        cross-validation (the IEMOCAP protocol) with ``groups=X["session"]``.

    Notes
    -----
    **The context contract.** The output is ``X`` (a shallow copy) with, per
    role (``previous``, ``interlocutor``):

    ``<role>`` (int64)
        The position of the row that is the row's context turn, ``-1`` where
        that turn is not a row of ``X`` or there is none.
    ``<role>_segments``, ``<role>_frames`` (object; only where ``X`` has them)
        The bag (and frames) of the context turn where it is not a row of
        ``X``, None everywhere else.  ``X`` has them when the corpus loader gave
        the context turns' audio (``<role>_audio``: turns the loader dropped
        for their label are context all the same) and the segmenter extracted
        it.

    At most one of the two is given for a row and role; neither means no
    context turn (an empty turn, whose audio failed, is none).  How the turn is
    found, per role:

    1. with the columns ``previous_id``, ``interlocutor_id`` and
       ``utterance_id`` (the corpus loaders give them, from every turn of the
       recording): the turn the corpus recorded, i.e. the row whose
       ``utterance_id`` the id names, else (a turn that is not a row) its bag
       in ``<role>_segments``, else none;
    2. else, with a ``<role>_segments`` column (context audio given without
       ids): the bag there, for every row (none where it is empty);
    3. else: the rule below, applied to the rows.

    **Context semantics.** ``X`` has one row per utterance, with the columns
    ``dialogue`` (dialogue id), ``speaker`` and ``start`` (in seconds). Within a
    dialogue, turns are ordered by ``start``; rows may come in any order and
    the output keeps the input's row order. For a turn *t* of speaker *A*:

    - ``previous`` is *A*'s latest turn in the same dialogue before *t*;
    - ``interlocutor`` is the latest turn in the same dialogue before *t* by a
      speaker other than *A*. In a dyadic dialogue (IEMOCAP) this is the other
      speaker's latest turn; in a multi-party dialogue (MELD) it is whichever
      other speaker spoke last. When *A* speaks several turns in a row, all of
      them share the interlocutor turn that came before that run.

    A turn with no such earlier turn (the start of a dialogue, or a dialogue
    with one speaker) gets ``-1``. Dialogues never share context, and neither
    do the same speaker's turns in different dialogues.

    **Ties.** Turns of one dialogue with the same ``start`` are ordered by row
    order (the earlier row counts as the earlier turn), and a
    :class:`~sklearn_maec.exceptions.MAECWarning` names the dialogues
    concerned. Missing or non-numeric ``start`` values, and missing
    ``dialogue`` or ``speaker`` values, raise a ``ValueError`` naming the rows
    (by ``utterance_id`` when that column exists, else by index label).

    **Cross-validation must split by dialogue (or session).** The context of a
    test utterance must come from the same dialogue, and in the position
    columns it can only come from the rows being transformed. If a train/test
    split cuts a dialogue in two, the test part's ``previous`` and
    ``interlocutor`` point to the wrong turns (the true ones sit in the other
    fold), and turns of one conversation end up on both sides of the split.
    Split by dialogue or session instead, with
    :class:`~sklearn.model_selection.GroupKFold` or
    :class:`~sklearn.model_selection.LeaveOneGroupOut` and
    ``groups=X["dialogue"]`` (or ``groups=X["session"]`` for the
    leave-one-session-out IEMOCAP protocol). To catch the mistake, :meth:`fit`
    records a fingerprint of each dialogue's turns (their number and a hash of
    the (speaker, start) pairs) and :meth:`transform` raises a ``ValueError``
    when a dialogue seen in :meth:`fit` comes back with different turns.
    Transforming the training data itself passes (its dialogues are whole), as
    do dialogues not seen in fit. Set ``allow_split_dialogues=True`` to skip the
    check.

    The output is always a :class:`pandas.DataFrame`: ``X`` shallowly copied
    (columns holding arrays, such as ``frames`` or ``segments``, share their
    arrays with ``X``; its ``attrs``, the segmentation, travel with it) with
    the two int64 columns added, or overwritten if ``X`` already has them.
    ``X`` itself is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_maec.context import ContextTripleBuilder
    >>> X = pd.DataFrame({
    ...     "dialogue": ["d1", "d1", "d1", "d1"],
    ...     "speaker": ["A", "B", "B", "A"],
    ...     "start": [0.0, 1.5, 3.2, 4.0],
    ... })
    >>> ContextTripleBuilder().fit_transform(X)
      dialogue speaker  start  previous  interlocutor
    0       d1       A    0.0        -1            -1
    1       d1       B    1.5        -1             0
    2       d1       B    3.2         1             0
    3       d1       A    4.0         0             2
    """

    def __init__(self, allow_split_dialogues=False):
        self.allow_split_dialogues = allow_split_dialogues

    # ------------------------------------------------------------------ API
    def fit(self, X, y=None):
        """Record the columns and a fingerprint of each dialogue's turns.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per utterance, with the columns ``dialogue``, ``speaker``
            and ``start``.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : ContextTripleBuilder
            The fitted transformer.
        """
        self._fit(self._validate(X))
        return self

    def transform(self, X):
        """Add the ``previous`` and ``interlocutor`` columns (the context contract, see Notes).

        Parameters
        ----------
        X : pandas.DataFrame
            One row per utterance, with the columns ``dialogue``, ``speaker``
            and ``start``.

        Returns
        -------
        X_out : pandas.DataFrame
            A shallow copy of ``X`` with the int64 columns ``previous`` and
            ``interlocutor`` (row positions, -1 for none), and where ``X`` has
            ``<role>_segments`` / ``<role>_frames``, those holding the bags of
            the context turns that are not rows (None elsewhere).

        Raises
        ------
        ValueError
            If a dialogue seen in :meth:`fit` has different turns in ``X``
            (and ``allow_split_dialogues`` is False), or if ``X`` is invalid.
        """
        check_is_fitted(self, "dialogue_fingerprints_")
        keys = self._validate(X)
        if not self.allow_split_dialogues:
            self._check_split_dialogues(keys)
        return self._transform(X, keys)

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and add the ``previous`` and ``interlocutor`` columns (see Notes).

        Parameters
        ----------
        X : pandas.DataFrame
            One row per utterance, with the columns ``dialogue``, ``speaker``
            and ``start``.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        X_out : pandas.DataFrame
            A shallow copy of ``X`` with the int64 columns ``previous`` and
            ``interlocutor`` (row positions, -1 for none), and where ``X`` has
            ``<role>_segments`` / ``<role>_frames``, those holding the bags of
            the context turns that are not rows (None elsewhere).
        """
        keys = self._validate(X)
        self._fit(keys)
        return self._transform(X, keys)

    def get_feature_names_out(self, input_features=None):
        """Column names of the output of :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; if given, they must equal the columns seen
            in :meth:`fit`.

        Returns
        -------
        feature_names_out : ndarray of object
            The input columns followed by ``"previous"`` and
            ``"interlocutor"`` (each appended only if not already an input
            column, since existing ones are overwritten in place).
        """
        check_is_fitted(self, "feature_names_in_")
        names = list(self.feature_names_in_)
        if input_features is not None:
            given = list(input_features)
            if given != names:
                raise ValueError(
                    f"input_features {given} do not match the columns seen in fit {names}."
                )
        names += [c for c in CONTEXT_ROLES if c not in names]
        return np.asarray(names, dtype=object)

    def set_output(self, *, transform=None):
        """Accept an output configuration; the output is always a DataFrame.

        This is a no-op kept for composition: a
        :class:`~sklearn.pipeline.Pipeline` or
        :class:`~sklearn.compose.ColumnTransformer` calls it on every step
        when its own ``set_output`` is used.

        Parameters
        ----------
        transform : {"default", "pandas"} or None, default=None
            Accepted and ignored: the output of :meth:`transform` is always a
            :class:`pandas.DataFrame`.

        Returns
        -------
        self : ContextTripleBuilder
            The transformer, unchanged.
        """
        if transform not in (None, "default", "pandas"):
            raise ValueError(
                f"ContextTripleBuilder always returns a pandas DataFrame; set_output("
                f"transform={transform!r}) is not supported (use 'default' or 'pandas')."
            )
        return self

    # ------------------------------------------------------------- internals
    def _validate(self, X):
        """Validate ``X`` and return its integer keys (dialogue, speaker codes, start)."""
        name = type(self).__name__
        check_dataframe(X, _REQUIRED, name)
        if not isinstance(self.allow_split_dialogues, (bool, np.bool_)):
            raise ValueError(
                f"{name}: allow_split_dialogues must be a bool; "
                f"got {self.allow_split_dialogues!r}."
            )
        for column in ("dialogue", "speaker"):
            missing = X[column].isna().to_numpy()
            if missing.any():
                raise ValueError(
                    f"{name}: missing value(s) in column {column!r} at row(s) "
                    f"{describe_rows(X, np.flatnonzero(missing))}."
                )
        start = _start_seconds(X, name)
        dialogue_codes, dialogues = pd.factorize(X["dialogue"])
        speaker_codes, _ = pd.factorize(X["speaker"])
        dialogues = pd.Index(np.asarray(dialogues, dtype=object), dtype=object, name="dialogue")
        return _Keys(
            X,
            dialogue_codes.astype(np.int64, copy=False),
            dialogues,
            speaker_codes.astype(np.int64, copy=False),
            start,
        )

    def _fit(self, keys):
        X = keys.X
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.dialogue_fingerprints_ = _fingerprints(keys)
        self.n_dialogues_ = len(self.dialogue_fingerprints_)

    def _check_split_dialogues(self, keys):
        fitted = self.dialogue_fingerprints_
        current = _fingerprints(keys)
        where = fitted.index.get_indexer(current.index)
        seen = where >= 0
        if not seen.any():
            return
        fit_n = fitted["n_turns"].to_numpy()[where[seen]]
        fit_h = fitted["turns_hash"].to_numpy()[where[seen]]
        n = current["n_turns"].to_numpy()[seen]
        h = current["turns_hash"].to_numpy()[seen]
        differ = (n != fit_n) | (h != fit_h)
        if not differ.any():
            return
        names = current.index[seen][differ]
        shown = [
            f"{d!r} ({a} turn(s) here, {b} in fit)"
            for d, a, b in zip(names[:_MAX_NAMED], n[differ], fit_n[differ], strict=False)
        ]
        more = f" and {len(names) - _MAX_NAMED} more" if len(names) > _MAX_NAMED else ""
        raise ValueError(
            f"{type(self).__name__}: the turns of {len(names)} dialogue(s) seen in fit differ "
            f"from those in fit: {', '.join(shown)}{more}. The train/test split has cut these "
            "dialogues in two, so the context turns (previous, interlocutor) of their "
            "utterances would be looked up in the wrong fold. Split by dialogue or session, "
            "e.g. with sklearn.model_selection.GroupKFold or LeaveOneGroupOut and "
            "groups=X['dialogue'] (or groups=X['session']). Pass allow_split_dialogues=True "
            "to skip this check."
        )

    def _transform(self, X, keys):
        """The context contract (see the class Notes): per role, positions and declared bags."""
        n = len(X)
        by_id = all(column in X.columns for column in ID_COLUMNS)
        explicit = {role: bag_columns(f"{role}_{AUDIO_COLUMN}") for role in CONTEXT_ROLES}
        if by_id:
            recorded = _turns_of_ids(X, type(self).__name__)
        elif not all(segments in X.columns for _, segments in explicit.values()):
            previous, interlocutor, tied = _positions(
                keys.dialogue_codes, keys.speaker_codes, keys.start)
            self._warn_ties(keys, tied)
            by_rule = dict(zip(CONTEXT_ROLES, (previous, interlocutor), strict=True))
        out = X.copy(deep=False)
        for role in CONTEXT_ROLES:
            frames_column, segments_column = explicit[role]
            bags = X[segments_column].to_numpy(dtype=object) \
                if segments_column in X.columns else None
            if by_id:  # 1. the turn the corpus recorded: a row, or not a row
                position, has_turn = recorded[role]
                elsewhere = has_turn & (position < 0)
            elif bags is not None:  # 2. the context audio given, without ids
                position, elsewhere = np.full(n, -1, np.int64), np.ones(n, dtype=bool)
            else:  # 3. the rule, on the rows
                position, elsewhere = by_rule[role], np.zeros(n, dtype=bool)
            out[role] = position
            if bags is None:
                continue
            declared = elsewhere & np.fromiter((_has_bag(b) for b in bags), bool, count=n)
            for column in (segments_column, frames_column):
                if column in X.columns:
                    values = np.empty(n, dtype=object)  # None: no bag declared on the row
                    values[declared] = X[column].to_numpy(dtype=object)[declared]
                    out[column] = values
        return out

    def _warn_ties(self, keys, tied):
        if not len(tied):
            return
        names = [keys.dialogues[c] for c in tied]
        shown = ", ".join(repr(d) for d in names[:_MAX_NAMED])
        more = f" and {len(names) - _MAX_NAMED} more" if len(names) > _MAX_NAMED else ""
        warnings.warn(
            f"{type(self).__name__}: turns with equal 'start' in {len(names)} dialogue(s): "
            f"{shown}{more}. They are ordered by row order (the earlier row is the earlier "
            "turn); give them distinct start times to make the order explicit.",
            MAECWarning,
            stacklevel=caller_stacklevel(),
        )


def _has_bag(value):
    """Whether a ``<role>_segments`` value is a context turn's bag (not None, NaN or empty)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    return not (isinstance(value, np.ndarray) and value.shape[:1] == (0,))


def _turns_of_ids(X, name):
    """Per role, the rows the ``<role>_id`` columns name, and which rows have such a turn.

    Returns ``{role: (positions, has_turn)}``: the position of the row whose
    ``utterance_id`` the id names, -1 where the row has no such turn or the
    turn is not a row of ``X`` (a turn the loader dropped for its label, whose
    bag the builder then declares from ``<role>_segments``); ``has_turn`` is
    False where the id is missing.
    """
    if "utterance_id" not in X.columns:
        raise ValueError(f"{name}: X has {list(ID_COLUMNS)} (the context turns by utterance "
                         "id) but no 'utterance_id' column to find them by")
    ids = X["utterance_id"].to_numpy(dtype=object)
    duplicated = pd.Series(ids).duplicated(keep=False).to_numpy()
    if duplicated.any():
        raise ValueError(f"{name}: 'utterance_id' must be unique to find the context turns by "
                         f"id; repeated at row(s) {describe_rows(X, np.flatnonzero(duplicated))}")
    where = {uid: k for k, uid in enumerate(ids)}
    turns = {}
    for role, column in zip(CONTEXT_ROLES, ID_COLUMNS, strict=True):
        named = X[column].to_numpy(dtype=object)
        has_turn = np.fromiter((isinstance(uid, str) for uid in named), bool, count=len(X))
        turns[role] = (np.fromiter((where.get(uid, -1) if ok else -1
                                    for uid, ok in zip(named, has_turn, strict=True)),
                                   dtype=np.int64, count=len(X)), has_turn)
    return turns


class _Keys:
    """The validated columns of ``X`` the computation needs."""

    __slots__ = ("X", "dialogue_codes", "dialogues", "speaker_codes", "start")

    def __init__(self, X, dialogue_codes, dialogues, speaker_codes, start):
        self.X = X
        self.dialogue_codes = dialogue_codes
        self.dialogues = dialogues
        self.speaker_codes = speaker_codes
        self.start = start


def _start_seconds(X, name):
    """Column ``start`` as a float64 array; ValueError naming the rows if not numeric/finite."""
    column = X["start"]
    dtype = column.dtype
    numeric = (
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not pd.api.types.is_complex_dtype(dtype)
    )
    if not numeric and pd.api.types.is_object_dtype(dtype):
        kind = pd.api.types.infer_dtype(column, skipna=True)
        numeric = kind in ("empty", "integer", "floating", "mixed-integer-float", "decimal")
    if not numeric:
        raise ValueError(_non_numeric_start_message(X, column, name))
    start = column.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(start)
    if bad.any():
        raise ValueError(
            f"{name}: missing (NaN) or infinite value(s) in column 'start' at row(s) "
            f"{describe_rows(X, np.flatnonzero(bad))}; every turn needs a start time in seconds."
        )
    return start + 0.0  # also turns -0.0 into 0.0, so equal times hash equally


def _non_numeric_start_message(X, column, name):
    """Why a ``start`` column is not numbers: the rows that are no number, and numbers as text."""
    values = column.astype(object).to_numpy()
    text_numbers, others = [], []
    for i, v in enumerate(values):
        if (isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))) or (
                pd.api.types.is_scalar(v) and pd.isna(v)):
            continue
        if isinstance(v, str):
            try:
                float(v)
            except ValueError:
                pass
            else:
                text_numbers.append(i)
                continue
        others.append(i)
    parts = []
    if others:
        parts.append(f"row(s) {describe_rows(X, others)} hold a value that is not a number "
                     f"(e.g. {values[others[0]]!r})")
    if text_numbers:
        parts.append(f"{len(text_numbers)} row(s) hold numbers written as text (e.g. "
                     f"{values[text_numbers[0]]!r} at {describe_rows(X, text_numbers[:1])}): "
                     "convert the column with pandas.to_numeric")
    if not parts:  # e.g. a boolean or complex column
        parts.append(f"row(s) {describe_rows(X, range(min(len(values), 1)))} hold "
                     f"{values[0]!r}" if len(values) else "it is empty")
    return (f"{name}: column 'start' must hold numbers (seconds), got dtype {column.dtype}: "
            + "; ".join(parts) + ".")


def _fingerprints(keys):
    """Per dialogue: number of turns and an order-independent hash of (speaker, start)."""
    d = keys.dialogue_codes
    n_dialogues = len(keys.dialogues)
    n_turns = np.bincount(d, minlength=n_dialogues).astype(np.int64)
    turns_hash = np.zeros(n_dialogues, dtype=np.uint64)
    if len(d):
        speakers = keys.X["speaker"].to_numpy(dtype=object)
        per_turn = pd.util.hash_pandas_object(
            pd.DataFrame({"speaker": speakers, "start": keys.start}, copy=False), index=False
        ).to_numpy(dtype=np.uint64)
        by_dialogue = np.argsort(d, kind="stable")
        offsets = np.concatenate(([0], np.cumsum(n_turns)[:-1]))
        # The sum (mod 2**64) of per-turn hashes does not depend on the turns' order.
        turns_hash = np.add.reduceat(per_turn[by_dialogue], offsets).astype(np.uint64)
    return pd.DataFrame(
        {"n_turns": n_turns, "turns_hash": turns_hash}, index=keys.dialogues.copy()
    )


def context_positions(dialogue, speaker, start):
    """Row positions of each turn's previous turn and interlocutor turn: the context rule.

    Within a dialogue, turns are ordered by ``start`` (ties by row order).  For
    a turn *t* of speaker *A*, ``previous`` is *A*'s latest turn before *t* and
    ``interlocutor`` the latest turn before *t* by another speaker (consecutive
    turns of *A* share it).  :class:`ContextTripleBuilder` applies it to the
    rows of ``X``, the corpus loaders to every turn of a recording.

    Parameters
    ----------
    dialogue, speaker : array-like of shape (n_turns,)
        Dialogue and speaker of every turn (hashable values, no missing ones).
    start : array-like of float, shape (n_turns,)
        Start of every turn in seconds.

    Returns
    -------
    previous, interlocutor : ndarray of int64, shape (n_turns,)
        Row positions (0-based), -1 where there is no such turn.

    Examples
    --------
    >>> from sklearn_maec.context import context_positions
    >>> context_positions(["d", "d", "d"], ["A", "B", "A"], [0.0, 1.0, 2.0])
    (array([-1, -1,  0]), array([-1,  0,  1]))
    """
    d = pd.factorize(np.asarray(dialogue, dtype=object))[0].astype(np.int64)
    s = pd.factorize(np.asarray(speaker, dtype=object))[0].astype(np.int64)
    previous, interlocutor, _ = _positions(d, s, np.asarray(start, dtype=np.float64))
    return previous, interlocutor


def _positions(d, s, t):
    """The context rule on integer codes; also the dialogues where two turns share a start.

    Parameters
    ----------
    d, s : ndarray of int64
        Dialogue and speaker codes per row.
    t : ndarray of float64
        Start times per row.

    Returns
    -------
    previous, interlocutor : ndarray of int64
        Row positions, -1 for none.
    tied_dialogues : ndarray of int64
        Codes of the dialogues in which two turns share a start time.
    """
    n = len(d)
    pos = np.arange(n, dtype=np.int64)
    # Turn order: by dialogue, then start, then row position (the tie-break).
    order = np.lexsort((pos, t, d))
    ds, ss, ts = d[order], s[order], t[order]
    same_dialogue = ds[1:] == ds[:-1]
    tied = np.unique(ds[1:][same_dialogue & (ts[1:] == ts[:-1])])

    # previous: shift within (dialogue, speaker) groups, in turn order (rank = pos).
    by_speaker = np.lexsort((pos, ss, ds))
    same_group = (ds[by_speaker][1:] == ds[by_speaker][:-1]) & (
        ss[by_speaker][1:] == ss[by_speaker][:-1]
    )
    prev_sorted = np.full(n, -1, dtype=np.int64)
    prev_sorted[by_speaker[1:][same_group]] = by_speaker[:-1][same_group]

    # interlocutor: the turn just before the start of the current same-speaker run.
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = ~(same_dialogue & (ss[1:] == ss[:-1]))
    run_start = np.maximum.accumulate(np.where(new_run, pos, 0)) if n else pos
    before = np.maximum(run_start - 1, 0)
    has_other = (run_start > 0) & (ds[before] == ds)
    inter_sorted = np.where(has_other, run_start - 1, -1)

    # Back from turn order to row positions.
    previous = np.empty(n, dtype=np.int64)
    interlocutor = np.empty(n, dtype=np.int64)
    previous[order] = np.where(prev_sorted >= 0, order[prev_sorted], -1)
    interlocutor[order] = np.where(inter_sorted >= 0, order[inter_sorted], -1)
    return previous, interlocutor, tied
