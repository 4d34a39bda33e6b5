"""Tests of sklearn_maec.model.MAECClassifier (skorch) in the pipeline and on arrays."""

import os
import signal
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_class_weight

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.exceptions import MAECWarning, TrainingDivergedError
from sklearn_maec.model_selection import DialogueValidSplit
from sklearn_maec.persistence import load_model, save_model

LOSS_KEYS = ("emotion_loss", "gender_loss", "adversarial_loss", "disc_loss", "disc_acc",
             "disc_acc_real", "disc_acc_fake")
TINY = dict(latent_dim=8, conv_channels=8, disc_hidden=16, random_state=0)
#: A validation split of the tiny corpus (the default refuses sets under 4 dialogues / 40 rows).
SMALL_SPLIT = DialogueValidSplit(0.3, random_state=0, min_dialogues=1, min_utterances=1,
                                 every_class=False)


def make_clf(**params):
    """A tiny, fast classifier (no validation unless asked)."""
    return MAECClassifier(**{**TINY, "max_epochs": 1, "validation_fraction": None, **params})


def fit_quiet(clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        return clf.fit(X, y)


# --- fixtures: the tiny corpus segmented once for the whole module
@pytest.fixture(scope="module")
def triples(tiny_corpus):
    """The tiny corpus through OpenSmileSegmenter and ContextTripleBuilder, and its labels."""
    X, y = tiny_corpus
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)  # short utterances are zero-padded
        segmented = OpenSmileSegmenter().fit_transform(X)
    return ContextTripleBuilder().fit_transform(segmented), np.asarray(y)


@pytest.fixture(scope="module")
def fitted(triples):
    """A classifier trained 2 epochs with an internal validation set (do not modify)."""
    X, y = triples
    return fit_quiet(make_clf(max_epochs=2, train_split=SMALL_SPLIT, patience=None), X, y)


@pytest.fixture(scope="module")
def fitted_pipe(tiny_corpus):
    X, y = tiny_corpus
    pipe = Pipeline([
        ("segment", OpenSmileSegmenter()),
        ("context", ContextTripleBuilder()),
        ("maec", make_clf(max_epochs=2)),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        pipe.fit(X, y)
    return pipe


def with_bag(X, position, segments, frames):
    """Copy of ``X`` with one row's bag (and frames) replaced."""
    X = X.copy()
    seg = X["segments"].to_numpy(dtype=object).copy()
    fr = X["frames"].to_numpy(dtype=object).copy()
    seg[position], fr[position] = segments, frames
    X["segments"], X["frames"] = seg, fr
    return X


def one_training_batch(clf, X, y=None):
    dataset = clf.get_dataset(X, y)
    return next(iter(clf.get_iterator(dataset, training=True)))


# --- the pipeline
def test_pipeline_fit_predict_proba_score_transform(fitted_pipe, tiny_corpus):
    X, y = tiny_corpus
    clf = fitted_pipe.named_steps["maec"]
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    pred = fitted_pipe.predict(X)
    assert pred.shape == (len(X),)
    assert set(pred) <= set(clf.classes_)
    assert all(isinstance(p, str) for p in pred)
    proba = fitted_pipe.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    score = fitted_pipe.score(X, y)
    assert score == pytest.approx(np.mean(pred == y))
    Xt = fitted_pipe[:-1].transform(X)
    Z = clf.transform(Xt)
    assert Z.shape == (len(X), 8)
    assert np.isfinite(Z).all()
    logits = clf.decision_function(Xt)
    assert logits.shape == proba.shape
    np.testing.assert_array_equal(clf.classes_[logits.argmax(axis=1)], pred)
    np.testing.assert_allclose(torch.softmax(torch.from_numpy(logits), 1).numpy(), proba,
                               rtol=1e-5, atol=1e-6)


# --- the adversarial gradient reaches the encoder (Eq. 8)
def _zero_emotion_loss(logits, target):
    return 0 * logits.sum()


def _grad_sum(module):
    return sum(float(p.grad.abs().sum()) for p in module.parameters() if p.grad is not None)


@pytest.mark.parametrize("generator_loss", ["minimax", "non_saturating"])
def test_encoder_receives_the_adversarial_gradient(triples, generator_loss):
    X, y = triples
    clf = fit_quiet(make_clf(generator_loss=generator_loss), X, y)
    batch = one_training_batch(clf, X)
    clf.criterion_ = _zero_emotion_loss
    clf.set_params(gender_weight=0)
    clf.train_step(batch)
    net = clf.module_
    # only the adversarial term can have produced these gradients
    assert _grad_sum(net.encoders) > 0
    for name in ("conv1", "conv2", "dilated", "shortcut"):
        assert _grad_sum(getattr(net.encoders[0].segment, name)) > 0, name
    assert _grad_sum(net.encoders[0].gru) > 0
    assert _grad_sum(net.emotion_head) == 0
    assert _grad_sum(net.gender_head) == 0

    clf.set_params(adversarial_weight=0)
    clf.train_step(batch)
    assert _grad_sum(net.encoders) == 0
    assert _grad_sum(net.emotion_head) == 0


def test_discriminator_is_updated_only_with_the_regulariser(triples):
    X, y = triples
    clf = fit_quiet(make_clf(), X, y)
    batch = one_training_batch(clf, X, y)
    before = {k: v.clone() for k, v in clf.discriminator_.state_dict().items()}
    clf.train_step(batch)
    after = clf.discriminator_.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)

    clf.set_params(adversarial_weight=0)
    before = {k: v.clone() for k, v in clf.discriminator_.state_dict().items()}
    module_before = {k: v.clone() for k, v in clf.module_.state_dict().items()}
    clf.train_step(batch)
    for k, v in clf.discriminator_.state_dict().items():
        assert torch.equal(before[k], v), k
    # while the encoder and heads still learn
    assert any(not torch.equal(module_before[k], v)
               for k, v in clf.module_.state_dict().items())


# --- history
def test_history_records_every_loss_per_epoch(fitted):
    history = fitted.history
    assert len(history) == 2
    for epoch in history:
        keys = ["train_loss", "valid_loss", "valid_ua", "valid_wa"]
        keys += [f"{p}_{k}" for p in ("train", "valid") for k in LOSS_KEYS]
        for key in keys:
            assert key in epoch, key
            assert np.isfinite(epoch[key]), key
        assert 0 <= epoch["valid_ua"] <= 1 and 0 <= epoch["valid_wa"] <= 1
        assert 0 <= epoch["train_disc_acc"] <= 1
        # the accuracy on prior samples and on codes, whose mean is the overall accuracy
        for p in ("train", "valid"):
            assert 0 <= epoch[f"{p}_disc_acc_real"] <= 1 and 0 <= epoch[f"{p}_disc_acc_fake"] <= 1
            assert epoch[f"{p}_disc_acc"] == pytest.approx(
                0.5 * (epoch[f"{p}_disc_acc_real"] + epoch[f"{p}_disc_acc_fake"]))
        assert epoch["train_disc_loss"] > 0
        assert epoch["train_gender_loss"] > 0
        # valid_loss is the validation emotion loss
        assert epoch["valid_loss"] == pytest.approx(epoch["valid_emotion_loss"])


def test_history_without_regulariser_has_zero_disc_losses(triples):
    X, y = triples
    clf = fit_quiet(make_clf(max_epochs=2, train_split=SMALL_SPLIT, patience=None,
                             adversarial_weight=0), X, y)
    for epoch in clf.history:
        for p in ("train", "valid"):
            assert epoch[f"{p}_disc_loss"] == 0
            assert epoch[f"{p}_adversarial_loss"] == 0
            assert epoch[f"{p}_emotion_loss"] > 0
        # the total loss is then emotion + gender
        assert epoch["train_loss"] == pytest.approx(
            epoch["train_emotion_loss"] + epoch["train_gender_loss"], rel=1e-5)


# --- gender
def test_missing_gender_is_masked(triples):
    X, y = triples
    X = X.copy()
    gender = X["gender"].to_numpy(dtype=object).copy()
    gender[::2] = None
    X["gender"] = gender
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = make_clf(max_epochs=2).fit(X, y)
    # some gender is known: no warning about the gender head
    assert not [w for w in caught if "gender" in str(w.message)]
    assert clf.has_gender_
    assert all(np.isfinite(e["train_gender_loss"]) and e["train_gender_loss"] > 0
               for e in clf.history)
    # in a batch (evaluation order = row order, one batch), unknown rows carry -1 ...
    batch_x, batch_y = next(iter(clf.get_iterator(clf.get_dataset(X, y), training=False)))
    assert len(batch_y) == len(X)
    known = batch_y[:, 1] >= 0
    np.testing.assert_array_equal(known.numpy(), [g is not None for g in gender])
    # ... and are left out of the gender loss
    clf.module_.eval()
    with torch.no_grad():
        out = clf._losses(batch_x.to("cpu"), batch_y)
        _, gender_logits, _ = clf.infer(batch_x)
    expected = torch.nn.functional.cross_entropy(gender_logits[known], batch_y[known, 1])
    torch.testing.assert_close(out["gender_loss"], expected)
    assert set(clf.predict_gender(X)) <= {"F", "M"}


def test_no_gender_column_warns_and_gender_cannot_be_predicted(triples):
    X, y = triples
    X = X.drop(columns=["gender"])
    with pytest.warns(MAECWarning, match="gender"):
        clf = make_clf().fit(X, y)
    assert not clf.has_gender_
    assert all(e["train_gender_loss"] == 0 for e in clf.history)
    with pytest.raises(ValueError, match="gender"):
        clf.predict_gender(X)
    assert clf.predict(X).shape == (len(X),)


def test_predict_gender_returns_f_and_m(fitted, triples):
    X, _ = triples
    assert fitted.has_gender_
    gender = fitted.predict_gender(X)
    assert gender.shape == (len(X),)
    assert set(gender) <= {"F", "M"}


def test_gender_head_learns_the_speakers_gender(triples):
    X, y = triples
    clf = fit_quiet(make_clf(max_epochs=40, lr=1e-2, adversarial_weight=0), X, y)
    truth = X["gender"].to_numpy()
    assert np.mean(clf.predict_gender(X) == truth) >= 0.8


# --- class weights
def test_balanced_class_weight_matches_sklearn(triples):
    X, y = triples
    clf = fit_quiet(make_clf(class_weight="balanced"), X, y)
    expected = compute_class_weight("balanced", classes=np.unique(y), y=y)
    assert not np.allclose(expected, 1)  # the corpus is imbalanced: the test can fail
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), expected, rtol=1e-6)
    clf = fit_quiet(make_clf(class_weight={"hap": 3.0}), X, y)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(),
                               [3.0 if c == "hap" else 1.0 for c in clf.classes_])


# --- reproducibility
def test_random_state_makes_fit_reproducible(triples):
    X, y = triples
    params = dict(max_epochs=2, train_split=SMALL_SPLIT, patience=None, batch_size=6)
    p0 = fit_quiet(make_clf(**params), X, y).predict_proba(X)
    p0_again = fit_quiet(make_clf(**params), X, y).predict_proba(X)
    p1 = fit_quiet(make_clf(**{**params, "random_state": 1}), X, y).predict_proba(X)
    np.testing.assert_array_equal(p0, p0_again)
    assert not np.allclose(p0, p1, atol=1e-4)
    # refitting the same estimator gives the same model too
    clf = make_clf(**params)
    first = fit_quiet(clf, X, y).predict_proba(X)
    np.testing.assert_array_equal(fit_quiet(clf, X, y).predict_proba(X), first)
    np.testing.assert_array_equal(first, p0)


def test_fit_leaves_the_global_torch_rng_untouched(triples):
    X, y = triples
    torch.manual_seed(1234)
    state = torch.random.get_rng_state()
    fit_quiet(make_clf(max_epochs=2, batch_size=6, train_split=SMALL_SPLIT, patience=None),
              X, y)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_inference_leaves_the_global_torch_rng_untouched(fitted, triples):
    X, _ = triples
    torch.manual_seed(1234)
    state = torch.random.get_rng_state()
    fitted.predict_proba(X)
    fitted.transform(X)
    assert torch.equal(torch.random.get_rng_state(), state)


# --- set_params and clone
def test_set_params_latent_dim_reinitialises_the_fitted_module(triples):
    X, y = triples
    clf = fit_quiet(make_clf(), X, y)
    assert clf.transform(X).shape == (len(X), 8)
    clf.set_params(latent_dim=16)
    Z = clf.transform(X)
    assert Z.shape == (len(X), 16)
    assert clf.module_.emotion_head.in_features == 16
    assert clf.discriminator_.net[0].in_features == 16
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    # and the new module trains (the optimizer follows the new parameters)
    before = [p.clone() for p in clf.module_.parameters()]
    clf.train_step(one_training_batch(clf, X, y))
    assert any(not torch.equal(b, p)
               for b, p in zip(before, clf.module_.parameters(), strict=True))


def test_clone_is_unfitted_with_the_same_params(fitted, triples):
    X, _ = triples
    c = clone(fitted)
    assert not c.initialized_
    assert not hasattr(c, "n_features_in_")
    with pytest.raises(NotFittedError):
        c.predict(X)
    params, cloned = fitted.get_params(deep=False), c.get_params(deep=False)
    assert params.keys() == cloned.keys()
    for key in ("latent_dim", "conv_channels", "max_epochs", "validation_fraction",
                "patience", "random_state", "batching", "prior", "lr"):
        assert cloned[key] == params[key], key


# --- empty bags
def test_rows_with_an_empty_bag_are_left_out_of_training(triples):
    X, y = triples
    W, L = X["segments"].iloc[0].shape[1:]
    position = 3
    Xe = with_bag(X, position, np.zeros((0, W, L), np.float32), np.zeros((0, L), np.float32))
    uid = X["utterance_id"].iloc[position]
    with pytest.warns(MAECWarning, match=uid):
        clf = make_clf(max_epochs=2).fit(Xe, y)
    assert clf.class_counts_.sum() == len(X) - 1
    np.testing.assert_array_equal(
        clf.class_counts_,
        [np.sum(np.delete(y, position) == c) for c in clf.classes_])
    proba = clf.predict_proba(Xe)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    # also alone in a batch, and without context
    clf.set_params(batch_size=1)
    proba1 = clf.predict_proba(Xe)
    np.testing.assert_allclose(proba1, proba, atol=1e-5)


def test_every_bag_empty_raises(triples):
    X, y = triples
    W, L = X["segments"].iloc[0].shape[1:]
    Xe = X.copy()
    Xe["segments"] = [np.zeros((0, W, L), np.float32) for _ in range(len(X))]
    Xe["frames"] = [np.zeros((0, L), np.float32) for _ in range(len(X))]
    with pytest.raises(ValueError, match="empty bag"):
        make_clf().fit(Xe, y)


# --- errors
def test_missing_segments_column(triples):
    X, y = triples
    with pytest.raises(ValueError, match="OpenSmileSegmenter"):
        make_clf().fit(X.drop(columns=["segments"]), y)


def test_missing_context_columns(triples):
    X, y = triples
    Xn = X.drop(columns=["previous", "interlocutor"])
    with pytest.raises(ValueError, match="ContextTripleBuilder") as info:
        make_clf(use_context=True).fit(Xn, y)
    assert "use_context=False" in str(info.value)
    # the single-utterance ablation needs no context columns
    clf = fit_quiet(make_clf(use_context=False), Xn, y)
    assert clf.predict(Xn).shape == (len(X),)
    # "auto" (the default) trains the single-utterance model on a table without them
    auto = fit_quiet(make_clf(), Xn, y)
    assert auto.use_context_ is False
    assert auto.module_.use_context is False


def test_auto_context_decides_on_the_training_rows(triples):
    X, y = triples
    # dialogues with context turns: the context is read
    assert fit_quiet(make_clf(), X, y).use_context_ is True
    # every row its own dialogue (an acted corpus): no row has a context turn, so the
    # single-utterance model, the same network as use_context=False from the same seed
    acted = X.assign(dialogue=[f"u{i}" for i in range(len(X))])
    acted = ContextTripleBuilder().fit_transform(acted)
    assert (acted[["previous", "interlocutor"]] == -1).all().all()
    auto = fit_quiet(make_clf(random_state=0), acted, y)
    single = fit_quiet(make_clf(random_state=0, use_context=False), acted, y)
    assert auto.use_context_ is False and single.use_context_ is False
    np.testing.assert_allclose(auto.predict_proba(acted), single.predict_proba(acted))
    # the decision is kept for prediction, whatever the rows predicted have
    assert auto.predict(X).shape == (len(X),)
    # numeric arrays have no context either
    assert fit_quiet(make_clf(), np.random.default_rng(0).random((12, 3, 6), np.float32),
                     np.array(["a", "b"] * 6)).use_context_ is False
    # True keeps today's behaviour: empty context bags are read
    assert fit_quiet(make_clf(use_context=True), acted, y).use_context_ is True
    with pytest.raises(ValueError, match="use_context must be True, False or 'auto'"):
        make_clf(use_context="yes").fit(acted, y)


def test_nan_in_frames_names_the_row(triples):
    X, y = triples
    position = 5
    frames = X["frames"].iloc[position].copy()
    frames[3, 2] = np.nan
    Xn = with_bag(X, position, X["segments"].iloc[position], frames)
    with pytest.raises(ValueError, match=X["utterance_id"].iloc[position]):
        make_clf().fit(Xn, y)


@pytest.mark.parametrize("params, match", [
    (dict(prior="class_mixture", prior_mu=0), "prior_mu"),
    (dict(prior="laplace"), "prior"),
    (dict(batching="random"), "batching"),
    (dict(latent_dim=10), "multiple of 4"),
    (dict(latent_dim=12, fusion="released"), "multiple of 8"),
    (dict(fusion="sum"), "fusion must be one of"),
    (dict(attention="cosine"), "attention must be one of"),
    (dict(latent_norm="layer"), "latent_norm must be one of"),
    (dict(prior_sigma=0), "prior_sigma"),
    (dict(adversarial_weight=-1), "adversarial_weight"),
    (dict(disc_noise=-0.5), "disc_noise must be a number >= 0"),
    (dict(disc_noise="high"), "disc_noise must be a number >= 0"),
    (dict(latent_stats="ema"), "latent_stats must be one of"),
    # skorch parameters the class cannot honour are refused, not silently ignored
    (dict(compile=True), "compile=True is not supported"),
    (dict(predict_nonlinearity=None), "predict_nonlinearity=None is not supported"),
    (dict(iterator_train=list), "iterator_train__"),
    (dict(dataset=dict), "dataset=.* is not supported"),
])
def test_bad_params_raise_in_fit(triples, params, match):
    X, y = triples
    with pytest.raises(ValueError, match=match):
        make_clf(**params).fit(X, y)


def test_repr_lists_only_the_parameters_set():
    """scikit-learn's repr: skorch's pass-through defaults (dataset, iterators...) stay out."""
    clf = MAECClassifier(latent_dim=32, lr=0.01, optimizer__weight_decay=1e-4)
    assert repr(clf) == "MAECClassifier(latent_dim=32, lr=0.01, optimizer__weight_decay=0.0001)"
    assert repr(MAECClassifier()) == "MAECClassifier()"
    assert "iterator_train" not in repr(Pipeline([("maec", clf)]))
    # the skorch parameters are still real parameters: settable, cloned
    clf.set_params(use_caching=False)
    assert "use_caching=False" in repr(clf)
    assert clone(clf).use_caching is False


def test_class_mixture_prior_trains(triples):
    X, y = triples
    clf = fit_quiet(make_clf(prior="class_mixture", prior_mu=3.0), X, y)
    assert clf.discriminator_.n_conditions == len(clf.classes_)
    assert np.isfinite(clf.predict_proba(X)).all()


def test_predict_before_fit_raises(triples):
    X, _ = triples
    clf = make_clf()
    for method in (clf.predict, clf.predict_proba, clf.transform, clf.decision_function):
        with pytest.raises(NotFittedError):
            method(X)


def test_predict_with_a_different_number_of_features_raises(fitted, triples):
    X, _ = triples
    Xf = X.copy()
    Xf["segments"] = [s[:, :, :-1] for s in X["segments"]]
    Xf["frames"] = [f[:, :-1] for f in X["frames"]]
    with pytest.raises(ValueError, match="fitted on"):
        fitted.predict(Xf)
    rng = np.random.default_rng(0)
    A, labels = rng.standard_normal((12, 4)), np.array(["a", "b", "c"] * 4)
    clf = make_clf().fit(A, labels)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(rng.standard_normal((12, 5)))


# --- numeric convenience inputs
@pytest.mark.parametrize("shape", [(30, 6), (30, 9, 6), (30, 3, 9, 6)])
def test_numeric_arrays_fit_and_predict(shape):
    rng = np.random.default_rng(0)
    A = rng.standard_normal(shape).astype(np.float32)
    labels = np.array(["x", "y", "z"])[rng.integers(0, 3, shape[0])]
    clf = make_clf(max_epochs=2).fit(A, labels)
    assert clf.n_features_in_ == 6
    pred = clf.predict(A)
    assert pred.shape == (30,)
    assert set(pred) <= {"x", "y", "z"}
    proba = clf.predict_proba(A)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert clf.transform(A).shape == (30, 8)


def test_learnable_blobs_reach_high_training_accuracy():
    A, labels = make_blobs(n_samples=150, centers=3, n_features=4, cluster_std=0.6,
                           random_state=0)
    A = (A - A.mean(0)) / A.std(0)
    clf = make_clf(max_epochs=40, lr=1e-2, batch_size=16, use_context=False).fit(A, labels)
    assert clf.score(A, labels) > 0.8


# --- divergence
def test_huge_inputs_raise_training_diverged_error(triples):
    X, y = triples
    huge = np.finfo(np.float32).max
    rng = np.random.default_rng(0)
    Xh = X.copy()
    Xh["segments"] = [np.where(rng.random(s.shape) < 0.5, -huge, huge).astype(np.float32)
                      for s in X["segments"]]
    Xh = Xh.drop(columns=["frames"])
    with pytest.raises(TrainingDivergedError,
                       match=r"epoch 1\b.*(emotion_loss|gender_loss|adversarial_loss|disc_loss"
                             r"|train_loss) is (nan|inf)"):
        fit_quiet(make_clf(max_epochs=2), Xh, y)


# --- early stopping and the validation split
def test_early_stopping_on_noise_labels(triples):
    X, y = triples
    noise = np.random.default_rng(0).permutation(y)
    clf = fit_quiet(make_clf(max_epochs=30, patience=1, train_split=SMALL_SPLIT, lr=1e-2), X,
                    noise)
    assert len(clf.history) < 30
    assert "valid_loss" in clf.history[-1] and "valid_ua" in clf.history[-1]
    # the weights kept are the best validation UA's epoch's
    best = int(np.argmax(clf.history[:, "valid_ua"]))
    assert clf.callbacks_[-2][0] == "early_stopping" or "early_stopping" in dict(clf.callbacks_)
    assert dict(clf.callbacks_)["early_stopping"].best_epoch_ == clf.history[best, "epoch"]


def test_no_validation_trains_every_epoch(triples):
    X, y = triples
    clf = fit_quiet(make_clf(max_epochs=3, patience=1, validation_fraction=None), X, y)
    assert len(clf.history) == 3
    for epoch in clf.history:
        assert not [k for k in epoch if k.startswith("valid_")]


def test_validation_split_holds_out_whole_dialogues(fitted, triples):
    X, _ = triples
    dataset = fitted.get_dataset(X)
    train, valid = SMALL_SPLIT(dataset)
    groups = np.asarray(dataset.groups)
    train_dialogues, valid_dialogues = set(groups[train.rows]), set(groups[valid.rows])
    assert train_dialogues and valid_dialogues
    assert not train_dialogues & valid_dialogues
    assert sorted(np.concatenate([train.rows, valid.rows])) == list(range(len(X)))
    # the split is the dialogue column's
    dialogues = X["dialogue"].to_numpy()
    assert not set(dialogues[train.rows]) & set(dialogues[valid.rows])


def test_a_validation_set_too_small_to_mean_anything_is_not_held_out(triples):
    """Fewer than 4 dialogues / 200 utterances, or a class missing: train on every row."""
    X, y = triples
    clf = fit_quiet(make_clf(max_epochs=2, validation_fraction=0.3, patience=1), X, y)
    assert clf.validation_size_ == 0
    assert len(clf.history_) == 2 and "valid_ua" not in clf.history_[-1]  # every epoch run
    dataset = clf.get_dataset(X, y)
    split = DialogueValidSplit(0.3, random_state=0)
    train, valid = split(dataset)
    assert valid is None and len(train) == len(X)
    assert "fewer than 200 / 4" in split.reason_
    # with the bounds met, a validation set of whole dialogues holding every class
    train, valid = DialogueValidSplit(0.5, 0, min_dialogues=1, min_utterances=1,
                                      every_class=False)(dataset)
    assert valid is not None
    assert set(dataset.table.groups[valid.rows]).isdisjoint(dataset.table.groups[train.rows])


def test_a_split_with_every_class_smaller_than_its_folds_trains_on_every_row():
    """16 one-utterance dialogues of 4 classes (a small acted corpus): no validation set.

    StratifiedGroupKFold(10) raised a ValueError there, which stopped the fit.
    """
    dataset = _grouped_dataset(np.repeat(["a", "b", "c", "d"], 4), 1)
    split = DialogueValidSplit(0.1, random_state=0, min_dialogues=1, min_utterances=1)
    train, valid = split(dataset)
    assert valid is None and len(train) == 16
    assert "every class has fewer than 10 utterances" in split.reason_


def _grouped_dataset(labels, turns_per_dialogue):
    """A classifier's dataset of random bags, ``turns_per_dialogue`` rows per dialogue."""
    rng = np.random.default_rng(0)
    clf = make_clf().fit(rng.standard_normal((8, 2, 3, 4)).astype(np.float32),
                         np.repeat(["a", "b", "c", "d"], 2))
    dataset = clf.get_dataset(rng.standard_normal((len(labels), 2, 3, 4)).astype(np.float32),
                              labels)
    dataset.table.groups = np.arange(len(labels)) // turns_per_dialogue
    return dataset


def test_the_validation_split_is_stratified_by_emotion():
    """Dialogues of one emotion each: the held-out dialogues still cover every class."""
    labels = np.repeat(["a", "b", "c", "d"], 10)  # 40 dialogues, one emotion each
    dataset = _grouped_dataset(np.repeat(labels, 5), 5)
    for seed in range(5):
        train, valid = DialogueValidSplit(0.2, seed, min_dialogues=4, min_utterances=20)(dataset)
        assert valid is not None
        assert set(np.repeat(labels, 5)[valid.rows]) == {"a", "b", "c", "d"}, seed


def test_early_stopping_needs_a_validation_part_of_200_utterances_by_default():
    """~47 held-out utterances (a 10 % part of 470) are noise; 10 % of 2,400 is enough."""
    for n_dialogues, held_out in ((47, False), (240, True)):  # 10 utterances per dialogue
        labels = np.tile(["a", "b", "c", "d"], n_dialogues * 10 // 4 + 1)[:n_dialogues * 10]
        dataset = _grouped_dataset(labels, 10)
        split = DialogueValidSplit(0.1, random_state=0)
        train, valid = split(dataset)
        assert (valid is not None) is held_out, split.reason_
        if held_out:
            assert len(valid) >= 200 and len(train) + len(valid) == len(dataset)
        else:
            assert "fewer than 200 / 4" in split.reason_ and len(train) == len(dataset)


def test_a_fit_that_predicts_one_class_warns_naming_it(triples):
    X, y = triples
    # learns nothing, and its latent statistics are the running averages, barely moved from
    # their initial variance 1: the codes shrink to ~0 and the heads' biases pick one class
    dead = make_clf(max_epochs=1, lr=1e-12, latent_stats="running")
    with pytest.warns(MAECWarning, match=r"the fitted model predicts '\w+' for \d+% of its "
                                         r"own training utterances"):
        dead.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MAECWarning)
        warnings.filterwarnings("ignore", message=".*shorter than one window")
        make_clf(max_epochs=40, lr=1e-2).fit(X, y)  # one that learns: no such warning


# --- persistence
def test_save_and_load_give_identical_predictions(fitted, triples, tmp_path):
    X, _ = triples
    path = tmp_path / "maec.pt"
    save_model(fitted, path)
    state = torch.load(path, weights_only=True)  # plain tensors and strings: no pickle needed
    assert state["format"] == "sklearn-maec-model/1"
    assert any(k.startswith("module.") for k in state["tensors"]["0"])
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    np.testing.assert_array_equal(loaded.predict_gender(X), fitted.predict_gender(X))
    assert loaded.get_params()["latent_dim"] == fitted.latent_dim


@pytest.mark.slow
def test_joblib_pipeline_in_a_fresh_process(fitted_pipe, tiny_corpus, tmp_path):
    X, _ = tiny_corpus
    joblib.dump(fitted_pipe, tmp_path / "pipe.joblib")
    joblib.dump(X, tmp_path / "X.joblib")
    script = textwrap.dedent(f"""
        import joblib, numpy as np
        pipe = joblib.load({str(tmp_path / "pipe.joblib")!r})
        X = joblib.load({str(tmp_path / "X.joblib")!r})
        np.save({str(tmp_path / "proba.npy")!r}, pipe.predict_proba(X))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"),
                                  fitted_pipe.predict_proba(X))


# --- batching and inference invariances
@pytest.mark.parametrize("batching", ["length", "dialogue"])
def test_batching_modes_and_inference_batch_size(triples, batching):
    X, y = triples
    clf = fit_quiet(make_clf(max_epochs=2, batching=batching, batch_size=6), X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    assert clf.transform(X).shape == (len(X), 8)
    assert clf.predict(X).shape == (len(X),)
    clf.set_params(batch_size=2)
    small = clf.predict_proba(X)
    clf.set_params(batch_size=64)
    large = clf.predict_proba(X)
    np.testing.assert_allclose(small, large, atol=1e-5)
    np.testing.assert_allclose(small, proba, atol=1e-5)


@pytest.mark.parametrize("batching", ["length", "dialogue"])
def test_predictions_do_not_depend_on_row_order(fitted, triples, batching):
    X, _ = triples
    old = fitted.batching, fitted.batch_size
    try:
        # same weights; only the inference batching changes
        fitted.batching, fitted.batch_size = batching, 4
        proba = fitted.predict_proba(X)
        perm = np.random.default_rng(0).permutation(len(X))
        shuffled = X.iloc[perm].reset_index(drop=True).drop(columns=["previous",
                                                                     "interlocutor"])
        shuffled = ContextTripleBuilder().fit_transform(shuffled)
        # the context positions did move
        assert not np.array_equal(shuffled["previous"].to_numpy(),
                                  X["previous"].to_numpy()[perm])
        proba_s = fitted.predict_proba(shuffled)
    finally:
        fitted.batching, fitted.batch_size = old
    by_id = pd.DataFrame(proba_s, index=shuffled["utterance_id"]).loc[X["utterance_id"]]
    np.testing.assert_allclose(by_id.to_numpy(), proba, atol=1e-5)


@pytest.mark.slow
def test_cross_val_score_with_session_groups(tiny_corpus):
    X, y = tiny_corpus
    pipe = Pipeline([
        ("segment", OpenSmileSegmenter()),
        ("context", ContextTripleBuilder()),
        ("maec", make_clf(max_epochs=2, patience=1,
                          train_split=DialogueValidSplit(0.5, 0, min_dialogues=1,
                                                         min_utterances=1,
                                                         every_class=False))),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        scores = cross_val_score(pipe, X, y, groups=X["session"], cv=GroupKFold(2),
                                 error_score="raise")
    assert scores.shape == (2,)
    assert np.isfinite(scores).all()
    assert ((scores >= 0) & (scores <= 1)).all()


# --------------------------------------------------------------------------- explicit context
def test_explicit_context_columns_reach_the_model(tmp_path):
    """A loader's true context turns (including dropped ones) are the context bags."""
    from sklearn_maec.datasets import load_iemocap, make_iemocap_layout

    make_iemocap_layout(tmp_path, n_sessions=1, dialogues_per_session=2, random_state=0)
    X, y = load_iemocap(tmp_path)
    # the builder finds the true turns by their ids; the segmenter extracts the dropped ones
    Xt = ContextTripleBuilder().fit_transform(OpenSmileSegmenter().fit_transform(X))
    clf = MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=1, random_state=0,
                         validation_fraction=None)
    table = clf.fit(Xt, y).get_dataset(Xt).table
    n = len(Xt)
    ids = list(X["utterance_id"])
    for role in ("previous", "interlocutor"):
        ref = getattr(table, role)
        for i, other in enumerate(X[f"{role}_id"]):
            if other is None:
                assert ref[i] == -1
            elif other in ids:  # a labelled turn: the row's own bag, not a copy
                assert ref[i] == ids.index(other) == Xt[role].iloc[i]
            else:  # a dropped turn: an extra bag after the rows
                assert ref[i] >= n and Xt[role].iloc[i] == -1
                assert table.bags[ref[i]] is Xt[f"{role}_segments"].iloc[i]
    assert table.n_rows == n and len(table.bags) > n  # dropped turns are used as context
    proba = clf.predict_proba(Xt)
    assert proba.shape == (n, len(clf.classes_)) and np.isfinite(proba).all()
    # the context matters to the model: dropping the explicit columns changes Z
    no_ctx = Xt.drop(columns=[c for c in Xt.columns if c.startswith(("previous", "interloc"))])
    no_ctx = ContextTripleBuilder().fit_transform(no_ctx)
    assert not np.allclose(clf.transform(no_ctx), clf.transform(Xt))


def test_a_model_trained_with_early_stopping_pickles(triples):
    import pickle

    X, y = triples
    clf = MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=2, patience=1,
                         train_split=SMALL_SPLIT, random_state=0).fit(X, y)
    assert "early_stopping" in dict(clf.callbacks_)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_memory_freed_by_each_batch_is_handed_back(triples, monkeypatch):
    """Every training, validation and prediction batch ends with a heap trim (``_memory``)."""
    import sklearn_maec.model._classifier as classifier_module
    import sklearn_maec.model._predict as predict_module
    from sklearn_maec.model import _memory

    calls = []
    for module in (classifier_module, predict_module):  # training hooks, prediction loop
        monkeypatch.setattr(module, "release_freed_memory", lambda: calls.append(1))
    X, y = triples
    clf = fit_quiet(make_clf(max_epochs=1, batch_size=8, train_split=SMALL_SPLIT), X, y)
    history = clf.history_[-1, "batches"]
    check = -(-len(X) // 8)  # the pass over the training rows of the one-class check
    assert len(calls) == len(history) + check and len(history) > 1  # train and valid batches
    calls.clear()
    clf.predict(X)
    assert len(calls) >= len(X) // 8
    monkeypatch.setenv("SKLEARN_MAEC_KEEP_MALLOC", "1")
    assert _memory.release_freed_memory() is False  # the opt-out leaves malloc alone


# --------------------------------------------------------------------------- interrupts
class _InterruptAt:
    """A callback that sends this process a SIGINT (a Ctrl-C) in the given epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def __call__(self):
        from skorch.callbacks import Callback

        stop_in = self.epoch

        class Interrupt(Callback):
            def on_batch_end(self, net, training=False, **kwargs):
                if training and len(net.history) == stop_in:
                    os.kill(os.getpid(), signal.SIGINT)

        return Interrupt()


def test_an_interrupted_fit_raises_instead_of_returning_a_half_trained_model(triples):
    """skorch swallows Ctrl-C in its loop; the classifier says it was interrupted, and when."""
    from sklearn_maec.exceptions import FitInterrupted

    X, y = triples
    clf = make_clf(max_epochs=5, callbacks=[("ctrl_c", _InterruptAt(2)())])
    with pytest.raises(FitInterrupted, match=r"^interrupted \(epoch 2 of 5\)$") as info:
        fit_quiet(clf, X, y)
    assert isinstance(info.value, KeyboardInterrupt)  # whoever called fit stops too
    assert (info.value.epoch, info.value.max_epochs) == (2, 5)
    assert len(clf.history_) == 2  # the weights it had, kept for whoever catches it
    # partial_fit (max_epochs more) too, with the epochs counted from the history
    more = make_clf(max_epochs=2, callbacks=[("ctrl_c", _InterruptAt(3)())])
    fit_quiet(more, X, y)  # epochs 1 and 2: not interrupted
    with pytest.raises(FitInterrupted, match=r"epoch 3 of 4"):
        more.partial_fit(X, y)
    # and a fit that is not interrupted returns as before, early stopping included (skorch
    # stops it with a KeyboardInterrupt of its own)
    assert fit_quiet(make_clf(max_epochs=1), X, y).history_[-1, "epoch"] == 1
    stopped = fit_quiet(make_clf(max_epochs=30, patience=1, train_split=SMALL_SPLIT, lr=1e-2),
                        X, np.random.default_rng(0).permutation(y))
    assert len(stopped.history_) < 30


def test_labels_that_cannot_be_classes_are_named_by_row(triples):
    X, y = triples
    bad = y.astype(object).copy()
    bad[[3, 7]] = [np.nan, None]
    with pytest.raises(ValueError,
                       match=r"y has 2 missing label\(s\) .*'synthetic_Ses01_d000_t003'"):
        make_clf().fit(X, bad)
    mixed = y.astype(object).copy()
    mixed[5] = 3
    with pytest.raises(ValueError, match=r"mixes str and non-str labels: 'neu' at .* and 3 at "
                       r"row\(s\) utterance_id='synthetic_Ses01_d001_t000'"):
        make_clf().fit(X, mixed)


def test_a_single_class_is_refused_naming_it(triples):
    """As scikit-learn's classifiers: one emotion gives nothing to tell apart."""
    X, _ = triples
    y = np.full(len(X), "hap", dtype=object)
    with pytest.raises(ValueError, match=r"at least 2 classes.*only one class: 'hap'"):
        make_clf().fit(X, y)
    with pytest.raises(ValueError, match="only one class: 'hap'"):
        make_clf().partial_fit(X, y)
    # the classes told beforehand: a first batch of one emotion is allowed
    clf = make_clf()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        clf.partial_fit(X, y, classes=["ang", "hap", "neu", "sad"])
        assert list(clf.classes_) == ["ang", "hap", "neu", "sad"]
        fit_quiet(make_clf(classes=["hap", "sad"]), X, y)
    with pytest.raises(ValueError, match="only one class: 'hap'"):
        make_clf(classes=["hap"]).fit(X, y)
