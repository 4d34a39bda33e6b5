"""Ready-made pipelines: MAEC from audio, and the openSMILE-functionals baseline.

Both start with an :class:`~sklearn_maec.OpenSmileSegmenter`, so they take the
utterance table the loaders and :func:`~sklearn_maec.datasets.make_dialogue_corpus`
return (one row per utterance, an ``audio`` column) and the emotion labels.
Give both the same ``memory`` directory and openSMILE reads each audio file
once, whatever the number of models, folds and grid-search candidates.

They are what the command line (``sklearn-maec demo|fit|evaluate``) trains;
every step stays reachable by name for ``set_params`` and grid searches
(``maec__latent_dim``, ``segment__stride``, ``classifier__C``).
"""

import inspect

__all__ = ["make_maec_pipeline", "make_baseline_pipeline"]


def _segmenter(memory, n_jobs, verbose, segmenter_params):
    from .features import OpenSmileSegmenter

    params = dict(segmenter_params or {})
    clash = sorted({"memory", "n_jobs", "verbose"} & set(params))
    if clash:
        raise TypeError(f"segmenter_params repeats {clash}: pass them as arguments of the "
                        "builder itself")
    return OpenSmileSegmenter(memory=memory, n_jobs=n_jobs, verbose=verbose, **params)


def make_maec_pipeline(*, memory=None, n_jobs=None, verbose=0, segmenter_params=None,
                       **maec_params):
    """The MAEC pipeline: segmenter, context builder and classifier.

    ``Pipeline([("segment", OpenSmileSegmenter(...)), ("context",
    ContextTripleBuilder()), ("maec", MAECClassifier(...))])``.

    Parameters
    ----------
    memory : None, str, os.PathLike or joblib.Memory, default=None
        Frame cache of the segmenter (see :class:`~sklearn_maec.OpenSmileSegmenter`).
    n_jobs : int or None, default=None
        Parallel extraction jobs of the segmenter.
    verbose : int, default=0
        Progress output of the segmenter and the classifier.
    segmenter_params : dict or None, default=None
        Other parameters of the segmenter (``feature_set``, ``window``,
        ``stride``, ``on_error``...).
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
    make_baseline_pipeline : The functionals baseline to compare it with.

    Examples
    --------
    >>> from sklearn_maec.pipeline import make_maec_pipeline
    >>> pipe = make_maec_pipeline(latent_dim=32, random_state=0,
    ...                           segmenter_params={"stride": 0.25})
    >>> [name for name, _ in pipe.steps]
    ['segment', 'context', 'maec']
    >>> pipe.get_params()["maec__latent_dim"], pipe.get_params()["segment__stride"]
    (32, 0.25)
    """
    from sklearn.pipeline import Pipeline

    from .context import ContextTripleBuilder
    from .model import MAECClassifier
    from .model._params import COMPONENT_PREFIXES

    segment = _segmenter(memory, n_jobs, verbose, segmenter_params)
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


def make_baseline_pipeline(*, classifier=None, memory=None, n_jobs=None, verbose=0,
                           segmenter_params=None):
    """The baseline: openSMILE functionals of each utterance, scaled, into a linear classifier.

    ``Pipeline([("segment", OpenSmileSegmenter(...)), ("functionals",
    FrameFunctionals()), ("scale", StandardScaler()), ("classifier", ...)])``:
    the usual utterance-level baseline of speech emotion recognition (no
    segments, no context).

    Parameters
    ----------
    classifier : estimator or None, default=None
        The final step; None gives
        ``LogisticRegression(max_iter=3000, class_weight="balanced")``.
    memory : None, str, os.PathLike or joblib.Memory, default=None
        Frame cache of the segmenter; share it with the MAEC pipeline so the
        audio is read once for both.
    n_jobs : int or None, default=None
        Parallel extraction jobs of the segmenter.
    verbose : int, default=0
        Progress output of the segmenter.
    segmenter_params : dict or None, default=None
        Other parameters of the segmenter (``feature_set``...).

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
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .features import FrameFunctionals

    if classifier is None:
        classifier = LogisticRegression(max_iter=3000, class_weight="balanced")
    return Pipeline([
        ("segment", _segmenter(memory, n_jobs, verbose, segmenter_params)),
        ("functionals", FrameFunctionals()),
        ("scale", StandardScaler()),
        ("classifier", classifier),
    ])
