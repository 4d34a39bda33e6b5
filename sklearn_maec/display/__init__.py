"""Visualisations of a fitted MAEC model, in scikit-learn's Display style.

Each display follows the pattern of :class:`sklearn.metrics.ConfusionMatrixDisplay`:
the constructor stores the data to draw, :meth:`plot` draws it and returns the
display with the matplotlib objects as attributes (``ax_``, ``figure_`` and the
artists), and class methods build the data from a fitted estimator
(``from_estimator``) or from plain arrays (``from_latent``, ``from_history``).

* :class:`LatentSpaceDisplay`: the latent codes ``Z`` in two dimensions,
  coloured by emotion, with the prior the adversarial regulariser pulls them
  towards drawn as its 1- and 2-sigma contours in the same projection.
* :class:`TrainingCurvesDisplay`: every loss and the discriminator's accuracy
  per epoch, on the training and the validation data.
* :class:`SegmentAttentionDisplay`: one utterance's waveform (or its
  spectrogram, or its openSMILE frames) above the attention the model gives
  each of its segments, i.e. the moments multi-instance learning found salient.

matplotlib is an optional dependency (``pip install sklearn-maec[plot]``): it is
imported only when something is drawn.
"""

from ._latent_space import LatentSpaceDisplay
from ._segment_attention import SegmentAttentionDisplay
from ._training_curves import TrainingCurvesDisplay

__all__ = ["LatentSpaceDisplay", "TrainingCurvesDisplay", "SegmentAttentionDisplay"]
