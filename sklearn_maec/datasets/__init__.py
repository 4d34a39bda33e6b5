"""Data sets: a generator of synthetic dialogue corpora and loaders for real corpora.

Every function returns ``(X, y)``: ``X`` a :class:`pandas.DataFrame` with one
row per utterance (columns ``audio``, ``dialogue``, ``speaker``, ``start`` and
optional metadata), ``y`` a 1-D array of emotion labels.  The dialogue corpora
(IEMOCAP, MELD) come with each turn's context; the acted corpora (RAVDESS,
CREMA-D, EmoDB, EMOVO, TESS, SAVEE) are single utterances, each file its own
dialogue.
"""

from ._acted import (
    load_cremad,
    load_emodb,
    load_emovo,
    load_ravdess,
    load_savee,
    load_tess,
)
from ._context import LoaderWarning, LoadSummary
from ._iemocap import load_iemocap
from ._layouts import make_acted_layout, make_iemocap_layout, make_meld_layout
from ._meld import default_audio_cache, load_meld
from ._synthetic import make_dialogue_corpus

__all__ = [
    "make_dialogue_corpus",
    "load_iemocap",
    "load_meld",
    "load_ravdess",
    "load_cremad",
    "load_emodb",
    "load_emovo",
    "load_tess",
    "load_savee",
    "default_audio_cache",
    "make_iemocap_layout",
    "make_meld_layout",
    "make_acted_layout",
    "LoadSummary",
    "LoaderWarning",
]
