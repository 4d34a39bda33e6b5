"""MAECClassifier: the paper's model as a skorch / scikit-learn estimator."""

import logging
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochTimer, PassthroughScoring, PrintLog
from skorch.utils import is_dataset
from torch.utils.data import DataLoader

from .._batching import evaluation_order
from .._threads import DEFAULT_N_THREADS, with_torch_threads
from ..exceptions import (
    FitInterrupted,
    MAECWarning,
    TrainingCollapsedError,
    caller_stacklevel,
)
from ..features import Segmentation
from ..features._segments import SegmentationMixin
from ._data import BagCollator, BatchSampler, to_dataset
from ._memory import release_freed_memory
from ._params import (
    ARCHITECTURE_PARAMS,
    CRITERION_PARAMS,
    PRIOR_PARAMS,
    check_params,
    signature_with_skorch_params,
)
from ._predict import BagPrediction
from ._prior import make_prior
from ._split import DialogueValidSplit
from ._training import LOSS_KEYS, AdversarialTraining, class_weight_tensor, watch_interrupts
from .callbacks import BestValidationScore, CollapseMonitor, ValidationScores
from .nn import Discriminator, MAECNetwork

__all__ = ["MAECClassifier"]

logger = logging.getLogger(__name__)


#: Fresh fits whose training collapses start over from new initial weights this many times.
COLLAPSE_RESTARTS = 2


# TransformerMixin (as in sklearn's LinearDiscriminantAnalysis, a classifier that also
# transforms): ``transform`` returns the latent codes, so scikit-learn treats the estimator as a
# transformer and expects ``fit_transform`` and the transformer tags.  No output wrapping
# (``set_output``): the codes have no feature names.
class MAECClassifier(SegmentationMixin, TransformerMixin, AdversarialTraining, BagPrediction,
                     NeuralNetClassifier, auto_wrap_output_keys=None):
    """MAEC: multi-instance learning with an adversarial auto-encoder-based classifier.

    The model of Fu et al., "MAEC: Multi-Instance Learning with an Adversarial
    Auto-Encoder-Based Classifier for Speech Emotion Recognition" (ICASSP 2021),
    as a scikit-learn classifier built on skorch.  Each utterance is a bag of
    overlapping segments of openSMILE frames; one encoder (dilated convolutions
    per segment, a BiGRU with attention across segments) reads the current
    utterance, the speaker's previous turn and the interlocutor's turn, and
    fuses them into a latent code ``Z``.  A discriminator pulls the distribution
    of ``Z`` towards a Gaussian prior (the adversarial regulariser), while two
    heads classify emotion and gender from ``Z``.

    Parameters
    ----------
    latent_dim : int, default=64
        Size of the latent code ``Z``.  With context
        ``Z = concat(HF_cur * PI, HF_cur)``, so each utterance's ``HF`` has
        ``latent_dim / 2`` units and ``latent_dim`` must be a multiple of 4 (the
        BiGRU has ``latent_dim / 4`` units per direction); without context a
        multiple of 2.
    prior : {"gaussian", "class_mixture"}, default="gaussian"
        The distribution the regulariser pulls ``Z`` towards.  ``"gaussian"`` is
        the paper's ``N(prior_mu, prior_sigma^2 I)``.  ``"class_mixture"`` gives
        each emotion its own Gaussian, with means on a sphere of radius
        ``prior_mu`` (mutually orthogonal directions) and spread
        ``prior_sigma``, and tells the discriminator the class of each sample:
        the authors' follow-up idea of isolated Gaussian regularisation (beyond
        the paper).
    prior_mu : float, default=0.0
        Mean of every coordinate of the Gaussian prior; the radius of the class
        means for ``prior="class_mixture"`` (must then be > 0, e.g. 3).
    prior_sigma : float, default=1.0
        Standard deviation of the prior (of each class's Gaussian for the mixture).
    adversarial_weight : float, default=1.0
        Weight of the adversarial term in the encoder's loss (Eq. 8).  0 skips
        the discriminator entirely (the ablation without the regulariser).
    gender_weight : float, default=1.0
        Weight of the gender cross-entropy (the multi-task branch).  Rows with
        unknown gender are left out of it; with no gender at all in the
        training data the gender head is not trained (with a warning).
    use_context : bool or "auto", default="auto"
        Read the previous and interlocutor turns (the ``previous`` and
        ``interlocutor`` columns of :class:`~sklearn_maec.ContextTripleBuilder`).
        ``"auto"`` decides in :meth:`fit` (``use_context_``): with context when
        ``X`` has the builder's columns and at least one training row has a
        context turn, else without, so acted corpora of single utterances
        (every row its own dialogue) train the single-utterance model instead of
        encoding empty context bags (the model guide gives the measurements).
        True always reads the context (an error without the builder's
        columns); False is the single-utterance ablation.
    share_encoder : bool, default=True
        One encoder for the three inputs, as in the paper; False gives each
        input its own encoder, as in the authors' released code.
    fusion : {"paper", "released"}, default="paper"
        How the three encoded turns form ``Z``: the paper's
        ``concat(HF_cur * PI, HF_cur)`` with ``PI = softmax(HF_pre * HF_int)``,
        or the authors' released code, which appends ``HF_pre`` and ``HF_int``
        (the context then reaches the heads directly, not only through the
        softmax gate ``PI``).  ``latent_dim`` is the size of ``Z`` either way
        (a multiple of 8 for ``"released"``).
    latent_norm : {"batch", None}, default="batch"
        ``"batch"`` batch-normalises ``Z`` (a learned scale and shift per unit)
        before the heads and the discriminator, so the codes can reach the
        prior and the discriminator has a game to play; None keeps the
        paper's ``Z``, a product of poolings of tanh outputs about fifty
        times smaller than a ``N(0, 1)`` prior (the model guide gives the
        measurements).
    latent_stats : {"final", "running"}, default="final"
        The statistics ``latent_norm="batch"`` normalises with at prediction
        (``predict``, ``transform``).  ``"final"``: after training, one pass
        over the training utterances (without dropout) recomputes each unit's
        mean and variance with the final weights, so the codes ``transform``
        returns are those the adversarial game was played on.  ``"running"``:
        the running averages kept during training (the only form before),
        which lag behind the moving weights: at the end of a default fit on
        the README demo's corpus they were 0.35 standard deviations off per
        unit, and the codes twice to five times farther from the prior
        (MMD^2) than with ``"final"``.  Costs one forward pass over the
        training data (about a third of an epoch's work).  Ignored with
        ``latent_norm=None``.
    conv_channels : int, default=64
        Channels of the segment encoder's convolutions.
    convolution : {"frame", "segment"}, default="frame"
        How the segment encoder convolves.  ``"frame"`` runs the convolutions
        once over each utterance's frames and pools each segment's window of
        the output, so every frame is convolved once, not once per segment
        covering it (five times at the default 0.5 s window every 0.1 s).
        ``"segment"`` convolves each segment on its own, zero-padded at its
        borders: the paper's literal reading.  The two differ only within the
        block's reach of a window's border, where ``"frame"`` sees the real
        neighbouring frames.
    kernel_size : int, default=3
        Kernel size of the convolutions (odd).
    dilation : int, default=2
        Dilation of the dilated convolution.
    pooling : {"mean", "max"}, default="mean"
        The global pooling of the attention output and of the keys.
    attention : {"dot", "scaled_dot"}, default="dot"
        The attention scores: the dot product of the bottleneck query and the
        BiGRU key (the paper's ``Attention(Key, BT)``), or divided by
        ``sqrt(d)`` as in transformers.  Both are tanh outputs, so the
        division leaves the attention near uniform (the model guide gives the
        measurements).
    disc_hidden : int, default=64
        Units of the discriminator's hidden layer.
    disc_noise : float, default=1.5
        Instance noise: the discriminator sees prior samples and codes with
        Gaussian noise of standard deviation ``disc_noise * prior_sigma``
        added alike to both (in the encoder's adversarial term too).  The
        codes fill fewer dimensions than the prior (at the defaults about 5 to
        9 effective dimensions of 64, and without dialogue context half of
        ``Z`` is a scaled copy of the other half), so a discriminator that
        sees them as they are separates them from prior samples almost
        perfectly and its gradient stops guiding the encoder; the noise makes
        the two distributions overlap without changing where they match (the
        noised distributions are equal only when the codes' are).  0 shows
        the discriminator the codes as they are: the paper's form.
    dropout : float, default=0.1
        Dropout on segment vectors and on ``Z`` before the heads.
    generator_loss : {"minimax", "non_saturating"}, default="minimax"
        The encoder's adversarial term: the paper's ``log(1 - D(Z))``
        (minimised), or the common non-saturating ``-log D(Z)``, which gives
        stronger gradients when the discriminator wins early.
    label_smoothing : float, default=0.0
        Label smoothing of the emotion cross-entropy, in [0, 1).
    grad_clip : float or None, default=None
        Clip the gradient norm of each optimizer step to this value.
    class_weight : dict, "balanced" or None, default="balanced"
        Weights of the emotion classes in the loss; ``"balanced"`` weighs them
        inversely to their frequency in the training data (IEMOCAP's classes are
        imbalanced, and UA, the metric the field reports, weighs every class
        alike: on an imbalanced IEMOCAP-layout split it was worth +0.2 to +0.3
        UA); None weighs every utterance alike.
    validation_fraction : float or None, default=0.1
        Fraction of the training *dialogues* held out as the internal validation
        set, drawn stratified by emotion (see ``train_split``); None trains on
        everything.  When the held-out part would be too small to mean
        anything (fewer than 4 dialogues or 200 utterances, or a class missing:
        :class:`~sklearn_maec.model_selection.DialogueValidSplit`), nothing is
        held out and training runs ``max_epochs`` on every row
        (``validation_size_`` is then 0): at the default fraction, early
        stopping needs about 2,000 training utterances (an IEMOCAP
        leave-one-session-out fold has ~4,400).
    patience : int or None, default=10
        Early stopping: stop when the validation UA (balanced accuracy) has
        not improved for this many epochs and restore the best epoch's
        weights.  None trains for ``max_epochs``.  Needs a validation set.
    batching : {"dialogue", "length"}, default="dialogue"
        How rows are grouped into batches.  ``"dialogue"`` keeps each dialogue's
        turns together, so a turn that is one sample's current utterance and
        another's previous or interlocutor turn is encoded once per batch
        (about a third of the work with context).  ``"length"`` buckets rows of
        similar bag length (the classic way to keep padding small; here only the
        attention sees padding, the convolutions and the GRU never do).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the batch order, dropout, the prior
        samples and the validation split: the same value gives the same model.
        The global torch random state is left untouched.
    n_threads : int or None, default=1
        The number of torch intra-op threads (:func:`torch.set_num_threads`)
        while the network runs: in :meth:`fit`, :meth:`partial_fit`,
        :meth:`predict`, :meth:`predict_proba`, :meth:`decision_function`,
        :meth:`transform`, :meth:`predict_gender` and
        :meth:`segment_attention` (and what calls them: ``score``,
        ``fit_transform``).  Set on entering the method and restored on
        leaving it, also on an error or a Ctrl-C, so the process's setting is
        left as it was.  None leaves torch's setting alone (it then follows
        ``OMP_NUM_THREADS``, :func:`torch.set_num_threads` or
        :func:`threadpoolctl.threadpool_limits` around the call, else one
        thread per physical core).  ``-1`` means every CPU
        (:func:`joblib.cpu_count`), ``-2`` all but one, as for ``n_jobs``.
        One by default: on an idle 2-core machine two threads train about
        1.3 times faster, but with one other busy process about 5 times
        slower; pass ``-1`` on a machine the fit has to itself.
        It changes the speed, not the model (the sums of a different number
        of threads may round differently); changing it never re-initialises
        anything.  See the scaling guide.
    module : type, default=MAECNetwork
        The network class (skorch's ``module``); it is built with the keyword
        arguments above plus any ``module__*`` parameters.
    criterion : type, default=torch.nn.CrossEntropyLoss
        Emotion loss (skorch's ``criterion``).
    optimizer : type, default=torch.optim.Adam
        Optimizer class, used for the encoder and heads (``optimizer_``) and for
        the discriminator (``optimizer_disc_``; set its options with
        ``optimizer_disc__*``).
    lr : float, default=1e-3
        Learning rate of both optimizers.
    max_epochs : int, default=50
        Maximum number of passes over the training data.
    batch_size : int, default=32
        Utterances per batch (bags are padded per batch, and batches are
        bucketed by bag length).
    train_split : "auto", callable or None, default="auto"
        skorch's internal validation split.  ``"auto"`` holds out
        ``validation_fraction`` of the dialogues
        (:class:`~sklearn_maec.model_selection.DialogueValidSplit`), which keeps
        every context reference inside its part; None disables validation.
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
        Extra skorch callbacks (e.g. ``Checkpoint``, ``LRScheduler``).
    device : str or torch.device, default="cpu"
        Where to train and predict (``"cuda"`` for a GPU).
    verbose : int, default=0
        Print a line per epoch (skorch's log) when greater than 0.
    warm_start : bool, default=False
        Continue training from the current weights on ``fit``.
    iterator_train : type, default=torch.utils.data.DataLoader
        skorch's training loader class. Batches are always built by a
        :class:`~torch.utils.data.DataLoader` with the package's length
        bucketing, so only the default is accepted; set loader options with
        ``iterator_train__*`` (e.g. ``iterator_train__num_workers=2``).
    iterator_valid : type, default=torch.utils.data.DataLoader
        The same for validation and prediction batches
        (``iterator_valid__batch_size=256``, ...).
    dataset : type, default=skorch.dataset.Dataset
        skorch's dataset class; only the default is accepted (rows are wrapped
        in the package's bag dataset).
    predict_nonlinearity : "auto", default="auto"
        Only ``"auto"`` is accepted: :meth:`predict_proba` applies the softmax.
    compile : bool, default=False
        Only False is accepted (``torch.compile`` is not supported here).
    use_caching : bool or "auto", default="auto"
        skorch's caching of predictions for its scoring callbacks.
    torch_load_kwargs : dict or None, default=None
        Arguments for ``torch.load`` when skorch loads parameters or unpickles
        (None: skorch's default, ``weights_only=True`` where torch supports it).
    classes : array-like or None, default=None
        The emotion labels, when ``y`` may lack some of them; None infers
        them from ``y`` in :meth:`fit`.
    **kwargs
        Any other skorch parameter (``optimizer__weight_decay``,
        ``iterator_train__*``, ``criterion__*``, ...).

    Attributes
    ----------
    classes_ : ndarray
        The emotion labels, as found in ``y``.
    use_context_ : bool
        Whether the fitted model reads the context turns (``use_context``, with
        ``"auto"`` decided on the training data).
    n_features_in_ : int
        Descriptors per frame seen in :meth:`fit`.
    segmentation_ : Segmentation
        How the bags of :meth:`fit` were cut from their frames: the
        segmentation ``X`` declared (``X.attrs["segmentation"]``, the
        segmenter's ``segmentation_``), or, for bags without a declaration
        (the numeric array forms), consecutive segments with an unknown frame
        step.  Bags given to :meth:`predict` and the other methods must be cut
        the same way (same frame step, window and stride; an error names both
        otherwise).
    frame_step_, window_frames_, stride_frames_ : float or None, int, int
        The frame step (seconds; None when unknown), window and stride (frames)
        of ``segmentation_`` (read-only).
    module_ : MAECNetwork
        The encoder and heads.
    discriminator_ : Discriminator
        The adversarial discriminator.
    prior_ : GaussianPrior or ClassMixturePrior
        The prior the regulariser pulls ``Z`` towards (built from ``prior``,
        ``prior_mu`` and ``prior_sigma``): its ``means`` (one row per component,
        in ``classes_`` order for the class mixture), ``sigma`` and ``sample``.
    optimizer_, optimizer_disc_ : torch.optim.Optimizer
        The optimizers of the encoder and heads, and of the discriminator.
    criterion_, criterion_gender_, criterion_disc_ : torch.nn.Module
        Emotion, gender and discriminator losses.
    history_ : skorch.History
        Per epoch: ``train_loss`` (the encoder's total loss), ``train_*`` and
        ``valid_*`` for ``emotion_loss``, ``gender_loss``, ``adversarial_loss``,
        ``disc_loss`` and ``disc_acc``, ``valid_loss`` (validation emotion loss),
        ``valid_ua`` and ``valid_wa``; ``train_hf_alive``, the fraction of the
        units of ``HF_cur`` that vary across the epoch's training utterances
        (the collapse check).
    validation_size_ : int
        Utterances the last ``fit`` held out for validation (0: none).
    n_restarts_ : int
        How many times the last ``fit`` started over from new initial weights
        because training collapsed (0 normally; see ``TrainingCollapsedError``).
    has_gender_ : bool
        Whether the gender head was trained.
    random_seed_ : int
        The seed drawn from ``random_state`` for the last fit.

    See Also
    --------
    OpenSmileSegmenter : Produces the ``segments`` column (the bags).
    ContextTripleBuilder : Produces the ``previous`` and ``interlocutor`` columns.

    Notes
    -----
    Each batch trains in the paper's order: first the regularisation phase
    updates the discriminator on prior samples (real) against the batch's
    latent codes (fake); then the encoder and heads minimise
    ``adversarial_weight * L_adv + L_emotion + gender_weight * L_gender``
    (Eq. 8), where ``L_adv`` comes from the updated discriminator and its
    gradient flows into the encoder (the authors' released code lost that
    gradient).

    A fresh ``fit`` whose training collapses (the encoder stops telling the
    training utterances apart while the emotion loss stays where it started;
    ``train_hf_alive`` in ``history_``) starts over from new initial weights,
    with a warning, up to twice; then, or in ``partial_fit``, it raises
    :class:`~sklearn_maec.exceptions.TrainingCollapsedError`.

    Input ``X`` is the DataFrame of the pipeline, read as its steps declare
    it (the contract is in the user guide's "Bags and segments" page):
    ``segments`` and ``frames`` with the segmentation
    ``X.attrs["segmentation"]`` (the segmenter's output), and with context
    the columns of :class:`~sklearn_maec.ContextTripleBuilder` (``previous``
    and ``interlocutor``, and ``previous_segments`` /
    ``interlocutor_segments`` for context turns that are not rows); optional
    ``gender``, ``dialogue``.  A table with ``frames`` that declares no
    segmentation is refused (declare it with
    :meth:`Segmentation.attach <sklearn_maec.features.Segmentation.attach>`);
    one of ``segments`` alone that declares none holds consecutive segments.
    For convenience a numeric array is accepted too, each row a single
    utterance without context: a 2-D array ``(n_samples, n_features)`` is a
    bag of one one-frame segment, a 3-D array ``(n_samples, n_frames,
    n_features)`` a bag of one segment, a 4-D array ``(n_samples,
    n_segments, n_frames, n_features)`` a bag of consecutive segments.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
    >>> from sklearn_maec.datasets import make_dialogue_corpus
    >>> X, y = make_dialogue_corpus(n_dialogues=4, n_sessions=2, turns_per_dialogue=4,
    ...                             duration_median=1.0, random_state=0)
    >>> pipe = make_pipeline(OpenSmileSegmenter(), ContextTripleBuilder(),
    ...                      MAECClassifier(latent_dim=16, max_epochs=2, random_state=0))
    >>> pipe.fit(X, y).predict(X).shape
    (16,)
    """

    def __init__(
        self,
        latent_dim=64,
        prior="gaussian",
        prior_mu=0.0,
        prior_sigma=1.0,
        adversarial_weight=1.0,
        gender_weight=1.0,
        use_context="auto",
        share_encoder=True,
        fusion="paper",
        latent_norm="batch",
        latent_stats="final",
        conv_channels=64,
        convolution="frame",
        kernel_size=3,
        dilation=2,
        pooling="mean",
        attention="dot",
        disc_hidden=64,
        disc_noise=1.5,
        dropout=0.1,
        generator_loss="minimax",
        label_smoothing=0.0,
        grad_clip=None,
        class_weight="balanced",
        validation_fraction=0.1,
        patience=10,
        batching="dialogue",
        random_state=None,
        *,
        n_threads=DEFAULT_N_THREADS,
        module=MAECNetwork,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=50,
        batch_size=32,
        train_split="auto",
        callbacks=None,
        device="cpu",
        verbose=0,
        warm_start=False,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=verbose,
            warm_start=warm_start,
            **kwargs,
        )
        self.latent_dim = latent_dim
        self.prior = prior
        self.prior_mu = prior_mu
        self.prior_sigma = prior_sigma
        self.adversarial_weight = adversarial_weight
        self.gender_weight = gender_weight
        self.use_context = use_context
        self.share_encoder = share_encoder
        self.fusion = fusion
        self.latent_norm = latent_norm
        self.latent_stats = latent_stats
        self.conv_channels = conv_channels
        self.convolution = convolution
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.pooling = pooling
        self.attention = attention
        self.disc_hidden = disc_hidden
        self.disc_noise = disc_noise
        self.dropout = dropout
        self.generator_loss = generator_loss
        self.label_smoothing = label_smoothing
        self.grad_clip = grad_clip
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.batching = batching
        self.random_state = random_state
        self.n_threads = n_threads

    def _get_param_names(self):
        # skorch keeps its private bookkeeping (``_params_to_validate``) in
        # ``__dict__``; it is not a parameter.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # ``transform`` returns float32 codes whatever the input dtype: float32 is the
        # dtype it preserves (TransformerMixin's default claims float64).
        tags.transformer_tags.preserves_dtype = ["float32"]
        # Numeric input may be (n_samples, n_frames, n_features) too (see Notes).
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------------------ callbacks
    @property
    def _default_callbacks(self):
        cbs = [("epoch_timer", EpochTimer()),
               ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
               ("valid_loss", PassthroughScoring(name="valid_loss"))]
        for key in LOSS_KEYS:
            better = key != "disc_acc"
            cbs.append((f"train_{key}", PassthroughScoring(
                name=f"train_{key}", on_train=True, lower_is_better=None if not better else True)))
            cbs.append((f"valid_{key}", PassthroughScoring(
                name=f"valid_{key}", lower_is_better=None if not better else True)))
        cbs.append(("valid_scores", ValidationScores()))
        cbs.append(("collapse_monitor", CollapseMonitor()))
        if self.patience is not None and self._has_validation():
            cbs.append(("early_stopping", BestValidationScore(patience=self.patience)))
        cbs.append(("print_log", PrintLog(keys_ignored=[f"{p}_{k}" for p in ("train", "valid")
                                                        for k in LOSS_KEYS[2:]])))
        return cbs

    def _has_validation(self):
        if isinstance(self.train_split, str):
            return self.validation_fraction is not None
        return self.train_split is not None

    # ------------------------------------------------------------------ validation
    def _check_params(self):
        check_params(self)

    def _to_dataset(self, X, y=None, fitting=False, classes=None):
        """Validate ``X`` (and ``y``) and wrap them as a :class:`BagDataset`."""
        return to_dataset(self, X, y, fitting, classes)

    # ------------------------------------------------------------------ initialisation
    def _require_shapes(self):
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"{type(self).__name__} learns its input shape from the data: call fit(X, y) "
                "instead of initialize()")

    def initialize_module(self):
        """Build ``module_`` (encoder + heads) and ``discriminator_``, seeded by random_state."""
        self._require_shapes()
        self._check_params()
        kwargs = dict(n_lld=self.n_features_in_, n_classes=len(self.classes_),
                      latent_dim=self.latent_dim, use_context=self.use_context_,
                      share_encoder=self.share_encoder, fusion=self.fusion,
                      channels=self.conv_channels,
                      kernel_size=self.kernel_size, dilation=self.dilation,
                      dropout=self.dropout, pooling=self.pooling, attention=self.attention,
                      convolution=self.convolution, window_frames=self.window_frames_,
                      stride_frames=self.stride_frames_, latent_norm=self.latent_norm)
        kwargs.update(self.get_params_for("module"))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed())
            module = self.module if isinstance(self.module, torch.nn.Module) \
                else self.module(**kwargs)
            prior = self._make_prior()
            discriminator = Discriminator(self.latent_dim, self.disc_hidden, prior.n_conditions)
        self.module_ = module
        self.discriminator_ = discriminator
        self.prior_ = prior
        return self

    def _make_prior(self):
        return make_prior(self.prior, self.latent_dim, self.prior_mu, self.prior_sigma,
                          len(self.classes_))

    def initialize_criterion(self):
        """Build the emotion, gender and discriminator losses."""
        self._require_shapes()
        weight = class_weight_tensor(self.class_weight, self.classes_,
                                     getattr(self, "class_counts_", None))
        kwargs = {"label_smoothing": self.label_smoothing}
        if weight is not None:
            kwargs["weight"] = weight
        kwargs.update(self.get_params_for("criterion"))
        self.criterion_ = self.criterion(**kwargs)
        self.criterion_gender_ = torch.nn.CrossEntropyLoss(ignore_index=-1)
        self.criterion_disc_ = torch.nn.BCEWithLogitsLoss()
        return self

    def initialize_optimizer(self, triggered_directly=None):
        """Build ``optimizer_`` (encoder + heads) and ``optimizer_disc_`` (discriminator).

        Parameters
        ----------
        triggered_directly : bool or None, default=None
            Part of skorch's signature (deprecated there); unused.

        Returns
        -------
        self : MAECClassifier
        """
        args, kwargs = self.get_params_for_optimizer("optimizer", self.module_.named_parameters())
        self.optimizer_ = self.optimizer(*args, **kwargs)
        args, kwargs = self.get_params_for_optimizer(
            "optimizer_disc", self.discriminator_.named_parameters())
        self.optimizer_disc_ = self.optimizer(*args, **kwargs)
        return self

    def _seed(self):
        seed = getattr(self, "random_seed_", None)
        if seed is None:
            seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
            self.random_seed_ = seed
        return seed

    def set_params(self, **params):
        """Set parameters; re-initialise the networks when one that shapes them changes.

        Parameters
        ----------
        **params : dict
            Estimator parameters (including skorch's ``optimizer__*``,
            ``callbacks__*``, ...).

        Returns
        -------
        self : MAECClassifier
        """
        # skorch re-initialises a fitted net for every ``prefix__key`` it recognises and
        # fails ("Something went wrong") on the iterator ones, which need nothing
        # re-initialised: they are read when the next loader is built.
        iterator_params = {k: params.pop(k) for k in list(params)
                           if k.startswith(("iterator_train__", "iterator_valid__"))}
        if iterator_params and self.initialized_:
            vars(self).update(iterator_params)
            self._params_to_validate.update(iterator_params)
        else:
            params.update(iterator_params)
        if "callbacks" in params and not self.initialized_:
            # skorch builds the callbacks as soon as ``callbacks`` is set, so an invalid value
            # raised here; scikit-learn's convention is to store it and validate in ``fit``
            # (``initialize`` builds them).  Fitted nets keep skorch's behaviour.
            vars(self)["callbacks"] = params.pop("callbacks")
        super().set_params(**params)
        if isinstance(params.get("use_context"), (bool, np.bool_)) and \
                hasattr(self, "use_context_"):
            self.use_context_ = bool(params["use_context"])  # "auto" keeps what fit decided
        if self.initialized_ and hasattr(self, "n_features_in_"):
            if PRIOR_PARAMS.intersection(params):
                self.prior_ = self._make_prior()
            if ARCHITECTURE_PARAMS.intersection(params):
                self._initialize_module()
                self._initialize_criterion()
                self._initialize_optimizer()
            elif CRITERION_PARAMS.intersection(params):
                self._initialize_criterion()
        if {"patience", "validation_fraction", "train_split"}.intersection(params) \
                and self.initialized_:
            self._initialize_callbacks()
        return self

    # ------------------------------------------------------------------ data loading
    def get_split_datasets(self, X, y=None, **fit_params):
        """Split the training dataset; ``train_split="auto"`` holds out whole dialogues.

        Parameters
        ----------
        X : BagDataset
            The training rows, as built by :meth:`fit`.
        y : None
            Unused: the labels travel inside ``X``.
        **fit_params : dict
            Passed to a callable ``train_split``.

        Returns
        -------
        train, valid : BagDataset
            ``valid`` is None when there is no validation set; it is ordered for
            evaluation (by dialogue or by bag length, following ``batching``).
        """
        self.validation_size_ = 0
        if isinstance(self.train_split, str):
            if self.validation_fraction is None:
                return X, None
            split = DialogueValidSplit(self.validation_fraction, self.random_seed_)
            train, valid = split(X)
            if valid is None:
                logger.info("%s: %s", type(self).__name__, split.reason_)
        elif self.train_split is None:
            return X, None
        else:
            train, valid = self.train_split(X, **fit_params)
        if valid is not None:
            self.validation_size_ = len(valid)
            valid = valid.subset(evaluation_order(valid.groups, valid.lengths, self.batching))
        return train, valid

    def get_dataset(self, X, y=None):
        """Wrap ``X`` as a :class:`~sklearn_maec.model._data.BagDataset` (validated).

        Parameters
        ----------
        X : pandas.DataFrame, array-like or BagDataset
            As in :meth:`fit`; a dataset is returned as it is.
        y : array-like of shape (n_samples,) or None, default=None
            Emotion labels from ``classes_``, checked and encoded when given.

        Returns
        -------
        dataset : BagDataset
        """
        return self._to_dataset(X, y, fitting=False)

    def get_iterator(self, dataset, training=False):
        """A DataLoader whose batches are padded per batch and bucketed by bag length.

        Parameters
        ----------
        dataset : BagDataset
            The rows to iterate over.
        training : bool, default=False
            True: shuffled batches (a new order each epoch) with the
            ``iterator_train__*`` parameters; False: batches in dataset order
            with the ``iterator_valid__*`` parameters.

        Returns
        -------
        iterator : torch.utils.data.DataLoader
            Yields ``(BagBatch, targets)``, targets a long tensor of shape
            ``(batch, 2)`` (emotion, gender; -1 unknown).
        """
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        seed = self.random_seed_ if training else 0
        sampler = BatchSampler(dataset, batch_size, shuffle=training, batching=self.batching,
                               seed=seed, epoch_counter=self.history_ if training else None)
        # the loader draws its workers' base seed from this generator, not the global RNG
        kwargs.setdefault("generator", torch.Generator().manual_seed(seed))
        kwargs.setdefault("pin_memory", str(self.device).startswith("cuda"))
        collate = BagCollator(dataset, self.use_context_, self.module_.frame_gap)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, **kwargs)

    def infer(self, x, **fit_params):
        """Run the module on one collated batch.

        Parameters
        ----------
        x : BagBatch
            A batch from :meth:`get_iterator`.
        **fit_params : dict
            Passed to the module.

        Returns
        -------
        output : tuple of Tensor
            Emotion logits, gender logits and ``Z``.
        """
        return self.module_(**x.to(self.device), **fit_params)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Start an epoch; torch's random state is reset from ``(seed, epoch)``.

        Dropout and the prior samples of an epoch then depend on the seed and
        the epoch number only, so training resumed from a checkpoint continues
        exactly like the uninterrupted run.

        Parameters
        ----------
        net : MAECClassifier
            This estimator (skorch's callback signature).
        dataset_train, dataset_valid : BagDataset or None
            The epoch's data.
        **kwargs : dict
            Unused.
        """
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid,
                               **kwargs)
        torch.manual_seed((self.random_seed_ * 1_000_003 + len(self.history_)) % 2**63)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's training loop; after a checkpoint restore, only the remaining epochs run.

        When a fresh ``fit`` finds a history at the start of training (a
        ``LoadInitState`` callback restored a checkpoint of ``k`` epochs), it
        trains ``max_epochs - k`` more epochs, so an interrupted run resumed
        with the same parameters ends where the uninterrupted one would.

        Parameters
        ----------
        X : BagDataset
            The training data.
        y : None
            Targets are inside ``X``.
        epochs : int or None
            Epochs to run (None: as above).
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : MAECClassifier
        """
        if epochs is None and getattr(self, "fresh_fit_", False) and len(self.history_):
            epochs = max(self.max_epochs - len(self.history_), 0)
        planned = len(self.history_) + (self.max_epochs if epochs is None else epochs)
        with watch_interrupts() as watch:
            try:
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
            except KeyboardInterrupt:
                # a Ctrl-C (not early stopping, which stops with a KeyboardInterrupt too):
                # skorch's partial_fit swallows it and returns normally; fit and
                # partial_fit raise FitInterrupted once skorch has run its on_train_end
                if watch["interrupted"]:
                    self._interrupted = FitInterrupted(max(len(self.history_), 1), planned)
                raise

    def _raise_if_interrupted(self):
        interrupted, self._interrupted = getattr(self, "_interrupted", None), None
        if interrupted is not None:
            raise interrupted

    def check_data(self, X, y=None):
        """Checks happen in :meth:`fit` (skorch hook; nothing to do here).

        Parameters
        ----------
        X : object
            Unused.
        y : object, default=None
            Unused.
        """

    def on_batch_end(self, net, **kwargs):
        """Hand the memory the batch freed back to the system (skorch hook, after every batch).

        Parameters
        ----------
        net : MAECClassifier
            This estimator (skorch passes it to every hook).
        **kwargs : dict
            The batch and the other values skorch passes to the hook.
        """
        release_freed_memory()

    @with_torch_threads
    def fit(self, X, y, **fit_params):
        """Train on the bags of ``X`` and the emotion labels ``y``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            The output of ``OpenSmileSegmenter`` (+ ``ContextTripleBuilder``),
            or a numeric array (see the class Notes).
        y : array-like of shape (n_samples,)
            Emotion labels (any hashable labels, e.g. strings).
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : MAECClassifier
            The fitted classifier.

        Raises
        ------
        ValueError
            When ``y`` holds a single class and the ``classes`` parameter does
            not name more (as scikit-learn's classifiers), among others.
        """
        return self._fit(X, y, fit_params)

    def _check_fit_input(self, y, fit_params):
        self._check_params()
        if y is None:
            # the wording scikit-learn's check_requires_y_none looks for
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None (y holds the emotion labels)")
        if "sample_weight" in fit_params:
            # skorch would pass it on silently and the training step would ignore it
            raise TypeError(f"{type(self).__name__} does not support sample_weight; weigh the "
                            "emotion classes with class_weight instead")

    def _fit(self, X, y, fit_params, classes=None):
        self._check_fit_input(y, fit_params)
        if self.warm_start and self.initialized_:
            old = (self.n_features_in_, self.window_frames_, self.stride_frames_)
        dataset = self._to_dataset(X, y, fitting=True, classes=classes)
        if len(self.classes_) < 2:
            # scikit-learn's classifiers refuse it too (check_classifiers_one_label reads "class")
            only = ", ".join(map(repr, self.classes_.tolist()))
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {only}; an emotion classifier learns to tell "
                "emotions apart (give the classes parameter, or partial_fit's classes=, to "
                "train on a first batch of one emotion)")
        if self.warm_start and self.initialized_ and \
                old != (self.n_features_in_, self.window_frames_, self.stride_frames_):
            raise ValueError("warm_start=True but the bag shape changed since the last fit")
        dataset = self._training_rows(dataset, X)
        self.class_counts_ = np.bincount(dataset.labels, minlength=len(self.classes_))
        self.has_gender_ = bool((dataset.gender >= 0).any())
        if not self.has_gender_ and self.gender_weight > 0 and isinstance(X, pd.DataFrame) \
                and "segments" in X.columns:  # not for the numeric DataFrame form
            warnings.warn("no row of the training data has a known gender: the gender head is "
                          "not trained (only the emotion loss and the regulariser are)",
                          MAECWarning, stacklevel=caller_stacklevel())
        self.fresh_fit_ = not (self.warm_start and self.initialized_)
        if self.fresh_fit_:
            self.random_seed_ = None
        seed = self._seed()
        devices = [torch.device(self.device).index or 0] if str(self.device).startswith("cuda") \
            else []
        self.n_restarts_ = 0
        while True:
            try:
                with torch.random.fork_rng(devices=devices):
                    torch.manual_seed(self.random_seed_ + 1)
                    super().fit(dataset, None, **fit_params)
                return self
            except TrainingCollapsedError as exc:
                if not self.fresh_fit_ or self.n_restarts_ >= COLLAPSE_RESTARTS:
                    raise
                self.n_restarts_ += 1
                # new initial weights, batch order and validation split, from the same seed
                self.random_seed_ = (seed + 7919 * self.n_restarts_) % (2**31 - 1)
                self.initialized_ = False
                warnings.warn(f"{exc}. Starting over from new initial weights (restart "
                              f"{self.n_restarts_} of {COLLAPSE_RESTARTS})", MAECWarning,
                              stacklevel=caller_stacklevel())

    @with_torch_threads
    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Continue training from the current weights; the first call initialises.

        Each call trains ``max_epochs`` more epochs (as skorch's
        ``partial_fit``) without re-initialising the networks.  Later calls
        must bring bags of the fitted shape and labels from ``classes_``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            As in :meth:`fit`.
        y : array-like of shape (n_samples,)
            Emotion labels.
        classes : array-like of shape (n_classes,) or None, default=None
            Every emotion label of the task, for a first call whose ``y`` lacks
            some of them; ignored afterwards.
        **fit_params : dict
            Passed to skorch's ``partial_fit``.

        Returns
        -------
        self : MAECClassifier
            The updated classifier.
        """
        if is_dataset(X):
            # skorch's ``fit`` trains through ``partial_fit`` with the dataset built by ``_fit``
            super().partial_fit(X, y, classes, **fit_params)
            self._raise_if_interrupted()
            self._set_final_latent_statistics(X)
            self._check_trained_weights(X)
            self._warn_if_one_class(X)
            return self
        # skorch's own ``partial_fit`` would hand the raw X to the training loop unvalidated
        # (and could not build the networks, whose shapes are learned from X)
        if not self.__sklearn_is_fitted__():
            return self._fit(X, y, fit_params, classes=classes)
        self._check_fit_input(y, fit_params)
        self.fresh_fit_ = False  # max_epochs more epochs, whatever the history holds
        dataset = self._training_rows(self._to_dataset(X, y), X)  # checked against the fit
        devices = [torch.device(self.device).index or 0] if str(self.device).startswith("cuda") \
            else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self._seed() + 1 + len(self.history_))
            super().partial_fit(dataset, None, **fit_params)
        self._raise_if_interrupted()
        self._set_final_latent_statistics(dataset)
        self._check_trained_weights(dataset)
        self._warn_if_one_class(dataset)
        return self

    def __setstate__(self, state):
        """Unpickle; a classifier pickled before ``segmentation_`` or ``n_threads`` gets them.

        Parameters
        ----------
        state : dict
            What ``__getstate__`` gave (skorch's form).
        """
        if "segmentation_" not in state and "window_frames_" in state:
            state = dict(state)  # its window and stride, in frames; the frame step was not kept
            state["segmentation_"] = Segmentation(None, int(state.pop("window_frames_")),
                                                  int(state.pop("stride_frames_")))
        if "n_threads" not in state:  # pickled before the parameter existed
            state = {**state, "n_threads": DEFAULT_N_THREADS}
        super().__setstate__(state)

    def __repr__(self, N_CHAR_MAX=700):
        """scikit-learn's form, the parameters that were set: ``MAECClassifier(latent_dim=32)``."""
        return BaseEstimator.__repr__(self, N_CHAR_MAX)


MAECClassifier.__init__.__signature__ = signature_with_skorch_params(MAECClassifier)
