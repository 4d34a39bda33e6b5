"""Audio to frames to bags: two front-ends, the segments of each utterance, functionals.

This layer never imports torch (nor transformers) at import time.
:class:`OpenSmileSegmenter` extracts the low-level descriptors of every
utterance (cached, in parallel); :class:`PretrainedSegmenter` the hidden states
of a pretrained speech encoder loaded from a local checkpoint (cached, batched;
torch and transformers are imported when it runs).  Both standardise the frames
and cut each utterance into its bag of overlapping segments
(:class:`Segmentation`); :class:`FrameFunctionals` summarises the frames of an
utterance for the classic utterance-level baselines (functionals of
openSMILE's descriptors, or the mean of an encoder's frames: the linear probe).

The segmenter's output declares how its bags were cut: ``Xt.attrs["segmentation"]``
holds its :class:`Segmentation` (:data:`SEGMENTATION_ATTR`), which every reader
downstream takes the frame step, window and stride from.
"""

from ._functionals import FrameFunctionals
from ._pretrained_segmenter import PretrainedSegmenter
from ._segmenter import OpenSmileSegmenter
from ._segments import SEGMENTATION_ATTR, Segmentation

__all__ = ["OpenSmileSegmenter", "PretrainedSegmenter", "FrameFunctionals", "Segmentation",
           "SEGMENTATION_ATTR"]
