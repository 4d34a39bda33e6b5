"""The ready-made pipelines of ``sklearn_maec.pipeline``."""

import doctest
import glob
import os

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec import pipeline as pipeline_module
from sklearn_maec.features import FrameFunctionals
from sklearn_maec.pipeline import make_baseline_pipeline, make_maec_pipeline


def test_maec_pipeline_routes_every_argument_to_its_step(tmp_path):
    pipe = make_maec_pipeline(memory=str(tmp_path), n_jobs=2, verbose=0,
                              segmenter_params={"stride": 0.25, "feature_set": "IS10"},
                              latent_dim=16, prior_sigma=0.5, random_state=3)
    segment, context, maec = (step for _, step in pipe.steps)
    assert (type(segment), type(context), type(maec)) == (
        OpenSmileSegmenter, ContextTripleBuilder, MAECClassifier)
    assert (segment.memory, segment.n_jobs, segment.stride, segment.feature_set) == (
        str(tmp_path), 2, 0.25, "IS10")
    assert (maec.latent_dim, maec.prior_sigma, maec.random_state) == (16, 0.5, 3)
    # the rest are the estimators' own defaults
    assert maec.get_params()["lr"] == MAECClassifier().get_params()["lr"]
    assert segment.window == OpenSmileSegmenter().window
    # a well-formed estimator: clone keeps every parameter
    assert clone(pipe).get_params()["maec__latent_dim"] == 16


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"segmenter_params repeats \['memory'\]"):
        make_maec_pipeline(segmenter_params={"memory": "/tmp/x"})
    with pytest.raises(TypeError, match="n_jobs"):
        make_baseline_pipeline(segmenter_params={"n_jobs": 2})
    with pytest.raises(TypeError, match="no_such"):
        make_maec_pipeline(no_such=1)
    with pytest.raises(TypeError, match="no_such"):
        make_maec_pipeline(segmenter_params={"no_such": 1})
    with pytest.raises(TypeError, match="optimiser__lr"):
        make_maec_pipeline(optimiser__lr=0.1)


def test_component_settings_pass_before_the_components_exist():
    # skorch names a component's prefix only once it has built it: the builder must not
    # refuse optimizer__* / module__* settings of a classifier that is not fitted yet
    pipe = make_maec_pipeline(optimizer__weight_decay=0.01, optimizer_disc__lr=0.002,
                              criterion__reduction="mean")
    params = pipe.get_params()
    assert params["maec__optimizer__weight_decay"] == 0.01
    assert params["maec__optimizer_disc__lr"] == 0.002


def test_baseline_default_and_custom_classifier():
    default = make_baseline_pipeline()
    assert [name for name, _ in default.steps] == ["segment", "functionals", "scale",
                                                   "classifier"]
    assert isinstance(default.named_steps["functionals"], FrameFunctionals)
    final = default.named_steps["classifier"]
    assert isinstance(final, LogisticRegression) and final.class_weight == "balanced"
    svc = SVC(C=3.0)
    assert make_baseline_pipeline(classifier=svc).named_steps["classifier"] is svc
    # two calls never share a mutable default
    assert make_baseline_pipeline().named_steps["classifier"] is not final


def test_both_pipelines_fit_from_one_cache(wav_corpus, tmp_path):
    X, y = wav_corpus
    cache = str(tmp_path / "frames")
    baseline = make_baseline_pipeline(memory=cache).fit(X, y)
    n_files = len(glob.glob(os.path.join(cache, "**", "*.npz"), recursive=True))
    assert n_files == len(X)
    maec = make_maec_pipeline(memory=cache, max_epochs=1, latent_dim=8, conv_channels=8,
                              batch_size=8, random_state=0).fit(X, y)
    # MAEC's segmenter read the baseline's frames: nothing new was extracted
    assert len(glob.glob(os.path.join(cache, "**", "*.npz"), recursive=True)) == n_files
    for model in (baseline, maec):
        proba = model.predict_proba(X)
        assert proba.shape == (len(X), len(np.unique(y)))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_doctests():
    result = doctest.testmod(pipeline_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
