"""Audio to frames to bags: openSMILE descriptors, the segments of each utterance, functionals.

This layer never imports torch.  :class:`OpenSmileSegmenter` extracts the
low-level descriptors of every utterance (cached, in parallel), standardises
them and cuts each utterance into its bag of overlapping segments
(:class:`Segmentation`); :class:`FrameFunctionals` summarises the frames of an
utterance for the classic utterance-level baseline.

The segmenter's output declares how its bags were cut: ``Xt.attrs["segmentation"]``
holds its :class:`Segmentation` (:data:`SEGMENTATION_ATTR`), which every reader
downstream takes the frame step, window and stride from.
"""

from ._functionals import FrameFunctionals
from ._segmenter import OpenSmileSegmenter
from ._segments import SEGMENTATION_ATTR, Segmentation

__all__ = ["OpenSmileSegmenter", "FrameFunctionals", "Segmentation", "SEGMENTATION_ATTR"]
