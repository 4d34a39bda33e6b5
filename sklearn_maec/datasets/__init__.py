"""Data sets: a generator of synthetic dialogue corpora and loaders for real corpora.

Every function returns ``(X, y)``: ``X`` a :class:`pandas.DataFrame` with one
row per utterance (columns ``audio``, ``dialogue``, ``speaker``, ``start`` and
optional metadata), ``y`` a 1-D array of emotion labels.
"""

from ._context import LoaderWarning, LoadSummary
from ._iemocap import load_iemocap
from ._layouts import make_iemocap_layout, make_meld_layout
from ._meld import default_audio_cache, load_meld
from ._synthetic import make_dialogue_corpus

__all__ = [
    "make_dialogue_corpus",
    "load_iemocap",
    "load_meld",
    "default_audio_cache",
    "make_iemocap_layout",
    "make_meld_layout",
    "LoadSummary",
    "LoaderWarning",
]
