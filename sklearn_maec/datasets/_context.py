"""Helpers shared by the corpus loaders: dialogue context over every turn, labels, summaries.

A loader reads *every* turn of a dialogue (labelled or not), resolves each
turn's context turns over all of them with :func:`resolve_context`, and only
then keeps the rows whose label maps to a class.  So the context of a
returned utterance is the true previous / interlocutor turn of the recording,
even when that turn was dropped (no agreement, another class) from the rows.

Context semantics (the same as :class:`sklearn_maec.ContextTripleBuilder`,
applied to all turns instead of the returned rows): within a dialogue, turns
are ordered by ``start``, ties by row order (loaders sort their turns so that
row order is the documented tie-break). For turn *t* of speaker *A*:

- ``previous_id`` is *A*'s latest turn in the dialogue before *t*;
- ``interlocutor_id`` is the latest turn in the dialogue before *t* by any
  speaker other than *A* (consecutive turns of *A* share it);
- ``previous_audio`` / ``interlocutor_audio`` are those turns' audio files;

and None where there is no such turn (start of the dialogue).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import Counter

import numpy as np
import pandas as pd

from .._validation import check_option
from ..context import context_positions
from ..exceptions import MAECWarning

__all__ = [
    "CONTEXT_COLUMNS",
    "LoaderWarning",
    "LoadSummary",
    "OUTPUT_COLUMNS",
    "resolve_context",
]

logger = logging.getLogger(__name__)  # a child of the "sklearn_maec" logger

#: Context columns every loader adds.
CONTEXT_COLUMNS = ("previous_id", "interlocutor_id", "previous_audio", "interlocutor_audio")
#: Columns of the ``X`` every loader returns, in order.
OUTPUT_COLUMNS = ("audio", "dialogue", "speaker", "start", "end", "gender", "corpus", "session",
                  "utterance_id") + CONTEXT_COLUMNS

_ON_MISSING = ("raise", "skip")


class LoaderWarning(MAECWarning):
    """A corpus loader skipped something: a missing or unreadable audio file, a malformed line.

    Issued by :func:`~sklearn_maec.datasets.load_iemocap` and
    :func:`~sklearn_maec.datasets.load_meld` with ``on_missing="skip"``, and
    by the acted-corpus loaders (:func:`~sklearn_maec.datasets.load_emodb`
    ...) for an unreadable file with ``on_missing="skip"`` and for a file
    whose name does not parse; the skipped items are listed in the loader's
    summary (``return_summary=True``).
    """


@dataclasses.dataclass
class LoadSummary:
    """What a loader read, kept and dropped (returned with ``return_summary=True``).

    Every turn read is either returned, dropped for its label, or skipped for
    its audio: ``n_turns == n_loaded + n_dropped + len(missing_audio)``.

    Attributes
    ----------
    corpus : str
        ``"iemocap"``, ``"meld"``, ``"ravdess"``, ``"cremad"``, ``"emodb"``,
        ``"emovo"``, ``"tess"`` or ``"savee"``.
    n_turns : int
        Turns read from the annotation files (labelled or not), i.e. the turns
        the context was resolved over; for an acted corpus, the audio files
        whose names parse.
    n_loaded : int
        Rows returned.
    class_counts : dict
        Returned rows per class.
    dropped_labels : dict
        Turns whose raw label maps to no class (e.g. ``xxx``, ``oth``,
        ``fru`` for the 4 classes), per raw label.  They are not returned, but
        still serve as context turns.
    missing_audio : list of str
        Audio files of turns with a kept label that were missing or
        unreadable; those rows were skipped (``on_missing="skip"``).
    missing_context_audio : list of str
        Audio files of context turns that were missing or unreadable: the
        context id is kept, its ``*_audio`` column is None.
    bad_lines : list of str
        Malformed annotation lines or rows skipped (``"file:line: reason"``);
        for an acted corpus, the files whose names do not parse
        (``"path: reason"``).
    n_extracted : int
        Media files whose audio was extracted with ffmpeg in this call (MELD;
        0 when every file came from the cache).
    audio_cache : str or None
        The directory the extracted audio is kept in (MELD), None for a
        corpus that needs none.
    """

    corpus: str
    n_turns: int = 0
    n_loaded: int = 0
    class_counts: dict = dataclasses.field(default_factory=dict)
    dropped_labels: dict = dataclasses.field(default_factory=dict)
    missing_audio: list = dataclasses.field(default_factory=list)
    missing_context_audio: list = dataclasses.field(default_factory=list)
    bad_lines: list = dataclasses.field(default_factory=list)
    n_extracted: int = 0
    audio_cache: str = None

    @property
    def n_dropped(self):
        """Turns dropped for their label."""
        return int(sum(self.dropped_labels.values()))

    def __str__(self):
        classes = ", ".join(f"{k}: {v}" for k, v in sorted(self.class_counts.items()))
        dropped = ", ".join(f"{k}: {v}" for k, v in sorted(self.dropped_labels.items()))
        text = (f"{self.corpus}: {self.n_loaded} utterances ({classes}) of {self.n_turns} turns; "
                f"dropped for their label: {self.n_dropped} ({dropped or 'none'})")
        if self.missing_audio:
            text += f"; skipped for missing/unreadable audio: {len(self.missing_audio)}"
        if self.missing_context_audio:
            text += f"; context turns without audio: {len(self.missing_context_audio)}"
        if self.bad_lines:
            text += f"; malformed lines skipped: {len(self.bad_lines)}"
        if self.n_extracted:
            text += f"; audio extracted from {self.n_extracted} media file(s)"
            if self.audio_cache:
                text += f" into {self.audio_cache}"
        return text


# --------------------------------------------------------------------------- #
# parameters
# --------------------------------------------------------------------------- #
def check_on_missing(on_missing):
    return check_option("on_missing", on_missing, _ON_MISSING)


def resolve_label_map(classes, label_map, presets, corpus):
    """The mapping raw label -> class, or a callable deciding per raw label.

    Returns a function ``raw label (lower case) -> class or None``.
    """
    if label_map is not None:
        if not isinstance(label_map, dict) or not label_map:
            raise ValueError(
                f"label_map must be a non-empty dict raw label -> class, got {label_map!r}")
        mapping = {}
        for key, value in label_map.items():
            if not isinstance(key, str) or not (value is None or isinstance(value, str)):
                raise ValueError(
                    "label_map must map str raw labels to str classes (or None to drop), "
                    f"got {key!r}: {value!r}")
            mapping[key.strip().lower()] = value
        return mapping.get
    if not isinstance(classes, str) or classes not in presets:
        raise ValueError(
            f"classes must be one of {sorted(presets)} for {corpus} (or pass label_map=), "
            f"got {classes!r}")
    preset = presets[classes]
    return preset if callable(preset) else preset.get


# --------------------------------------------------------------------------- #
# context
# --------------------------------------------------------------------------- #
def resolve_context(turns):
    """Context columns of every turn, computed over all the turns given.

    Parameters
    ----------
    turns : pandas.DataFrame
        Every turn of the dialogues (labelled or not), with the columns
        ``dialogue``, ``speaker``, ``start``, ``utterance_id`` and ``audio``
        (a path, or None when the turn has no usable audio).  Turns with the
        same ``start`` in a dialogue are ordered by row order.

    Returns
    -------
    context : pandas.DataFrame
        Same index as ``turns``, object columns ``previous_id``,
        ``interlocutor_id``, ``previous_audio``, ``interlocutor_audio``
        (None where there is no such turn, see the module docstring).
    """
    previous, interlocutor = context_positions(
        turns["dialogue"].to_numpy(), turns["speaker"].to_numpy(), turns["start"].to_numpy())
    ids = turns["utterance_id"].to_numpy(dtype=object)
    audio = turns["audio"].to_numpy(dtype=object)

    def take(values, positions):
        out = np.empty(len(positions), dtype=object)
        out[:] = None
        ok = positions >= 0
        out[ok] = values[positions[ok]]
        return out

    return pd.DataFrame({
        "previous_id": take(ids, previous),
        "interlocutor_id": take(ids, interlocutor),
        "previous_audio": take(audio, previous),
        "interlocutor_audio": take(audio, interlocutor),
    }, index=turns.index)


# --------------------------------------------------------------------------- #
# output
# --------------------------------------------------------------------------- #
def finish(turns, keep, summary, label_column="label", columns=OUTPUT_COLUMNS):
    """Select the kept rows and ``columns`` (in order), fill the summary; return ``X, y``."""
    X = turns.loc[keep, list(columns)].reset_index(drop=True)
    for column in X.columns:
        if column in ("start", "end"):
            X[column] = X[column].astype(np.float64)
        else:
            X[column] = X[column].astype(object)
            X[column] = X[column].where(X[column].notna(), None)
    y = np.empty(int(keep.sum()), dtype=object)
    y[:] = turns.loc[keep, label_column].to_list()
    summary.n_loaded = len(X)
    summary.class_counts = dict(sorted(Counter(y.tolist()).items()))
    logger.info("%s", summary)
    return X, y


def absolute(path):
    return os.path.abspath(os.fspath(path))


def listing(items, shown=5):
    """The first ``shown`` items joined by "; ", then "and N more" (for messages)."""
    items = list(items)
    text = "; ".join(str(i) for i in items[:shown])
    return text + (f"; and {len(items) - shown} more" if len(items) > shown else "")
