"""Ready-made pipelines: MAEC from audio, and the utterance-level baseline over the same frames.

Both start with a segmenter, so they take the utterance table the loaders and
:func:`~sklearn_maec.datasets.make_dialogue_corpus` return (one row per
utterance, an ``audio`` column) and the emotion labels.  Without ``encoder``
the segmenter is an :class:`~sklearn_maec.OpenSmileSegmenter` (openSMILE's
descriptors every 10 ms); with ``encoder=PATH`` a
:class:`~sklearn_maec.PretrainedSegmenter` (the hidden states of the
checkpoint at ``PATH`` every 20 ms).  Give both builders the same ``encoder``
and ``memory`` directory and each audio file is read once, whatever the number
of models, folds and grid-search candidates.

They are what the command line (``sklearn-maec demo|fit|evaluate``) trains;
every step stays reachable by name for ``set_params`` and grid searches
(``maec__latent_dim``, ``segment__stride``, ``classifier__C``).
"""

import inspect

__all__ = ["make_maec_pipeline", "make_baseline_pipeline"]


def _segmenter(encoder, memory, n_jobs, verbose, segmenter_params):
    """The first step: openSMILE, or the pretrained encoder at ``encoder``."""
    from .features import OpenSmileSegmenter, PretrainedSegmenter

    params = dict(segmenter_params or {})
    own = {"memory", "n_jobs", "verbose"} | ({"encoder", "n_threads"} if encoder is not None
                                              else set())
    clash = sorted(own & set(params))
    if clash:
        raise TypeError(f"segmenter_params repeats {clash}: pass them as arguments of the "
                        "builder itself" + (" (n_jobs gives the encoder's n_threads)"
                                            if "n_threads" in clash else ""))
    if encoder is None:
        return OpenSmileSegmenter(memory=memory, n_jobs=n_jobs, verbose=verbose, **params)
    return PretrainedSegmenter(encoder=encoder, memory=memory, n_threads=n_jobs,
                               verbose=verbose, **params)


def make_maec_pipeline(*, encoder=None, memory=None, n_jobs=None, verbose=0,
                       segmenter_params=None, **maec_params):
    """The MAEC pipeline: segmenter, context builder and classifier.

    ``Pipeline([("segment", OpenSmileSegmenter(...)), ("context",
    ContextTripleBuilder()), ("maec", MAECClassifier(...))])``, or with
    ``encoder``, ``PretrainedSegmenter(encoder, ...)`` as its first step.

    Parameters
    ----------
    encoder : str, os.PathLike or None, default=None
        None: frames of openSMILE's descriptors
        (:class:`~sklearn_maec.OpenSmileSegmenter`).  The directory of a
        pretrained speech encoder's checkpoint (Whisper, WavLM, HuBERT,
        wav2vec2, data2vec-audio, in the Hugging Face layout): its hidden
        states (:class:`~sklearn_maec.PretrainedSegmenter`; needs the
        ``pretrained`` extra).
    memory : None, str, os.PathLike or joblib.Memory, default=None
        Frame cache of the segmenter (see :class:`~sklearn_maec.OpenSmileSegmenter`).
    n_jobs : int or None, default=None
        Parallel extraction jobs of the openSMILE segmenter; with ``encoder``,
        the encoder's CPU threads (its ``n_threads``: one batched model runs in
        one process).
    verbose : int, default=0
        Progress output of the segmenter and the classifier.
    segmenter_params : dict or None, default=None
        Other parameters of the segmenter (``window``, ``stride``,
        ``on_error``...; ``feature_set`` for openSMILE, ``layer``,
        ``device``, ``batch_size`` for an encoder).
    **maec_params : dict
        Parameters of :class:`~sklearn_maec.MAECClassifier` (its defaults
        otherwise), for example ``latent_dim=32, random_state=0,
        class_weight="balanced"``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted, steps ``segment``, ``context`` and ``maec``.

    See Also
    --------
    make_baseline_pipeline : The utterance-level baseline to compare it with.

    Examples
    --------
    >>> from sklearn_maec.pipeline import make_maec_pipeline
    >>> pipe = make_maec_pipeline(latent_dim=32, random_state=0,
    ...                           segmenter_params={"stride": 0.25})
    >>> [name for name, _ in pipe.steps]
    ['segment', 'context', 'maec']
    >>> pipe.get_params()["maec__latent_dim"], pipe.get_params()["segment__stride"]
    (32, 0.25)

    Over the frames of a pretrained encoder (any checkpoint directory):

    >>> pipe = make_maec_pipeline(encoder="models/whisper-tiny.en",
    ...                           segmenter_params={"layer": 3})
    >>> type(pipe.named_steps["segment"]).__name__, pipe.get_params()["segment__layer"]
    ('PretrainedSegmenter', 3)
    """
    from sklearn.pipeline import Pipeline

    from .context import ContextTripleBuilder
    from .model import MAECClassifier
    from .model._params import COMPONENT_PREFIXES

    segment = _segmenter(encoder, memory, n_jobs, verbose, segmenter_params)
    maec = MAECClassifier(verbose=verbose, **maec_params)
    # skorch would only notice a misspelt name at fit: say it now
    named = set(inspect.signature(MAECClassifier).parameters) - {"kwargs"}
    prefixes = set(maec.prefixes_) | set(COMPONENT_PREFIXES)
    unknown = sorted(k for k in maec_params
                     if k not in named and ("__" not in k or k.split("__")[0] not in prefixes))
    if unknown:
        raise TypeError(f"unknown parameter(s) {unknown} of MAECClassifier; its parameters are "
                        f"{sorted(named)}, or <prefix>__<name> for a prefix in "
                        f"{sorted(prefixes)}")
    return Pipeline([("segment", segment), ("context", ContextTripleBuilder()), ("maec", maec)])


def make_baseline_pipeline(*, encoder=None, classifier=None, memory=None, n_jobs=None,
                           verbose=0, segmenter_params=None):
    """The utterance-level baseline: statistics of each utterance's frames into a linear model.

    Without ``encoder``, ``Pipeline([("segment", OpenSmileSegmenter(...)),
    ("functionals", FrameFunctionals()), ("scale", StandardScaler()),
    ("classifier", ...)])``: openSMILE functionals, the usual baseline of
    speech emotion recognition.  With ``encoder``, the same steps over a
    :class:`~sklearn_maec.PretrainedSegmenter` with
    ``FrameFunctionals(statistics=("mean",))``: each utterance's frames
    averaged over time, standardised, into the logistic regression, the
    *linear probe* that is the field's standard baseline for a frozen encoder
    (the same frames MAEC reads).  No segments, no context.

    Parameters
    ----------
    encoder : str, os.PathLike or None, default=None
        None: openSMILE's descriptors and their functionals.  The directory
        of a pretrained speech encoder's checkpoint: the linear probe of its
        frames (see :func:`make_maec_pipeline`).
    classifier : estimator or None, default=None
        The final step; None gives
        ``LogisticRegression(max_iter=3000, class_weight="balanced")``.
    memory : None, str, os.PathLike or joblib.Memory, default=None
        Frame cache of the segmenter; share it with the MAEC pipeline so the
        audio is read once for both.
    n_jobs : int or None, default=None
        Parallel extraction jobs of the openSMILE segmenter; with ``encoder``,
        the encoder's CPU threads.
    verbose : int, default=0
        Progress output of the segmenter.
    segmenter_params : dict or None, default=None
        Other parameters of the segmenter (``feature_set``; ``layer``...).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted, steps ``segment``, ``functionals``, ``scale`` and ``classifier``.

    See Also
    --------
    make_maec_pipeline : The model this baseline is compared with.
    sklearn_maec.features.FrameFunctionals : The utterance statistics it uses.

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> from sklearn_maec.pipeline import make_baseline_pipeline
    >>> pipe = make_baseline_pipeline(classifier=SVC(class_weight="balanced"))
    >>> [name for name, _ in pipe.steps]
    ['segment', 'functionals', 'scale', 'classifier']

    The linear probe of an encoder's frames:

    >>> probe = make_baseline_pipeline(encoder="models/whisper-tiny.en")
    >>> probe.named_steps["functionals"].statistics
    ('mean',)
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .features import FrameFunctionals

    if classifier is None:
        classifier = LogisticRegression(max_iter=3000, class_weight="balanced")
    functionals = FrameFunctionals() if encoder is None else FrameFunctionals(
        statistics=("mean",))
    return Pipeline([
        ("segment", _segmenter(encoder, memory, n_jobs, verbose, segmenter_params)),
        ("functionals", functionals),
        ("scale", StandardScaler()),
        ("classifier", classifier),
    ])
