"""The displays of :mod:`sklearn_maec.display`: the artists exist and hold the right data."""

import copy
import doctest
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg", force=True)
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter  # noqa: E402
from sklearn_maec import display as display_module  # noqa: E402
from sklearn_maec.display import (  # noqa: E402
    LatentSpaceDisplay,
    SegmentAttentionDisplay,
    TrainingCurvesDisplay,
)
from sklearn_maec.features import Segmentation  # noqa: E402
from sklearn_maec.model import ClassMixturePrior, GaussianPrior  # noqa: E402
from sklearn_maec.model._prior import class_mixture_means  # noqa: E402
from sklearn_maec.model_selection import DialogueValidSplit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_maec.AudioWarning")

SEG_50_10 = Segmentation(frame_step=0.01, window_frames=50, stride_frames=10)
SEG_5_1 = Segmentation(frame_step=0.01, window_frames=5, stride_frames=1)
ALL_PANELS = ["emotion_loss", "gender_loss", "adversarial_loss", "disc_loss", "disc_acc",
              "scores", "loss"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted(tiny_corpus):
    """A tiny fitted pipeline, the corpus and the classifier's view of it."""
    X, y = tiny_corpus
    pipe = make_pipeline(
        OpenSmileSegmenter(), ContextTripleBuilder(),
        MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=2, random_state=0,
                       train_split=DialogueValidSplit(0.3, 0, min_dialogues=1,
                                                      min_utterances=1,
                                                      every_class=False)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(X, y)
        Xt = pipe[:-1].transform(X)
    return pipe, X, y, Xt


# --------------------------------------------------------------------------- latent space
def test_latent_space_from_estimator(fitted):
    pipe, X, y, Xt = fitted
    clf = pipe[-1]
    disp = LatentSpaceDisplay.from_estimator(pipe, X, y)
    Z = clf.transform(Xt)
    expected = PCA(n_components=2).fit_transform(Z)
    np.testing.assert_allclose(disp.embedding, expected, rtol=1e-5, atol=1e-6)
    assert len(disp.scatters_) == len(clf.classes_)
    for label, scatter in zip(clf.classes_, disp.scatters_, strict=True):
        np.testing.assert_allclose(scatter.get_offsets(), expected[y == label], rtol=1e-5,
                                   atol=1e-6)
    # the Gaussian prior N(0, I): PCA is orthonormal, so 1- and 2-sigma circles around the
    # projected mean
    assert len(disp.contours_) == 2
    centre = disp.projection.transform(np.full((1, clf.latent_dim), clf.prior_mu))[0]
    for level, ellipse in zip((1, 2), disp.contours_, strict=True):
        np.testing.assert_allclose(ellipse.center, centre, atol=1e-6)
        np.testing.assert_allclose([ellipse.width, ellipse.height],
                                   [2 * level * clf.prior_sigma] * 2, rtol=1e-6)
    np.testing.assert_allclose(disp.centres_.get_offsets(), [centre], atol=1e-6)
    legend = [t.get_text() for t in disp.legend_.get_texts()]
    assert legend[:len(clf.classes_)] == list(clf.classes_)
    assert "prior 1\u03c3" in legend and "prior 2\u03c3" in legend
    assert disp.ax_.get_xlabel().startswith("PC 1")
    assert disp.figure_ is disp.ax_.figure


def test_latent_space_bare_classifier_and_lda(fitted):
    pipe, X, y, Xt = fitted
    disp = LatentSpaceDisplay.from_estimator(pipe[-1], Xt, y, projection="lda")
    lda = disp.projection
    np.testing.assert_allclose(disp.embedding, lda.transform(pipe[-1].transform(Xt))[:, :2],
                               rtol=1e-5, atol=1e-6)
    # LDA is not orthonormal: the isotropic prior becomes an ellipse of covariance A^T A
    A = lda.transform(np.eye(8))[:, :2] - lda.transform(np.zeros((1, 8)))[:, :2]
    values = np.linalg.eigvalsh(A.T @ A)
    one_sigma = disp.contours_[0]
    np.testing.assert_allclose(sorted([one_sigma.width, one_sigma.height]),
                               2 * np.sqrt(values), rtol=1e-6)


def test_latent_space_class_mixture(fitted):
    pipe, X, y, Xt = fitted
    pipe = copy.deepcopy(pipe)
    pipe.set_params(maecclassifier__prior="class_mixture", maecclassifier__prior_mu=3.0,
                    maecclassifier__prior_sigma=0.5)  # re-initialised weights: fine here
    clf = pipe[-1]
    disp = LatentSpaceDisplay.from_estimator(pipe, X, y, levels=(1, 2, 3))
    n_classes = len(clf.classes_)
    assert len(disp.contours_) == 3 * n_classes
    means = class_mixture_means(n_classes, clf.latent_dim, 3.0).numpy()
    np.testing.assert_allclose(clf.prior_.means, means, rtol=1e-6)  # the fit's own prior
    centres = disp.projection.transform(means)
    np.testing.assert_allclose(disp.centres_.get_offsets(), centres, atol=1e-5)
    for k, label in enumerate(clf.classes_):
        ellipses = disp.contours_[3 * k:3 * k + 3]
        color = disp.colors_[label]
        for level, ellipse in zip((1, 2, 3), ellipses, strict=True):
            np.testing.assert_allclose(ellipse.center, centres[k], atol=1e-5)
            assert ellipse.width == pytest.approx(2 * level * 0.5)
            np.testing.assert_allclose(ellipse.get_edgecolor(), color)
        np.testing.assert_allclose(disp.scatters_[k].get_facecolor()[0][:3], color[:3])


def test_latent_space_from_latent_identity_and_labels():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(30, 4))
    y = np.repeat(["a", "b", "c"], 10)
    disp = LatentSpaceDisplay.from_latent(Z, y, prior=GaussianPrior(4, mu=1.0, sigma=2.0),
                                          projection=None, display_labels=["A", "B", "C"])
    np.testing.assert_array_equal(disp.embedding, Z[:, :2])
    assert disp.contours_[0].center == pytest.approx((1.0, 1.0))
    assert disp.contours_[1].width == pytest.approx(8.0)
    assert [t.get_text() for t in disp.legend_.get_texts()][:3] == ["A", "B", "C"]
    # no prior; an axes of ours
    fig, ax = plt.subplots()
    disp = LatentSpaceDisplay.from_latent(Z, y, prior=None, ax=ax)
    assert disp.ax_ is ax and disp.contours_ == [] and disp.centres_ is None
    # the constructor + plot
    disp = LatentSpaceDisplay(Z[:, :2], y).plot(legend=False)
    assert disp.legend_ is None and len(disp.scatters_) == 3


def test_latent_space_prior_samples_side_by_side():
    """Prior samples in a second panel, in the codes' projection and on the same scale."""
    import torch

    from sklearn_maec.metrics import prior_mmd2

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(60, 6)) * np.r_[3.0, 1.0, 0.3, 0.3, 0.3, 0.3]  # a stretched cloud
    y = np.repeat(["a", "b", "c"], 20)
    prior = GaussianPrior(6, mu=0.0, sigma=1.0)
    disp = LatentSpaceDisplay.from_latent(Z, y, prior=prior, random_state=3)
    assert disp.prior_ax_ is not disp.ax_ and disp.prior_ax_.figure is disp.figure_
    sample = prior.sample(60, generator=torch.Generator().manual_seed(3)).double().numpy()
    np.testing.assert_allclose(disp.prior_scatter_.get_offsets(),
                               disp.projection.transform(sample)[:, :2], rtol=1e-6, atol=1e-9)
    # both panels on one scale (shared axes), the MMD^2 of the codes themselves in the title
    assert disp.ax_.get_xlim() == disp.prior_ax_.get_xlim()
    assert disp.mmd2 == prior_mmd2(Z, prior, random_state=3) and disp.mmd2 > 0.05
    assert f"{disp.mmd2:.3f}" in disp.ax_.get_title()
    assert len(disp.contours_) == 2  # the contours stay with the codes
    # one Axes: the samples in grey behind the codes, in the legend
    fig, ax = plt.subplots()
    disp = LatentSpaceDisplay.from_latent(Z, y, prior=prior, ax=ax, n_prior_samples=25)
    assert disp.prior_ax_ is ax and len(disp.prior_scatter_.get_offsets()) == 25
    assert "prior samples" in [t.get_text() for t in disp.legend_.get_texts()]
    # none asked: the display as before
    disp = LatentSpaceDisplay.from_latent(Z, y, prior=prior, n_prior_samples=0)
    assert disp.prior_scatter_ is None and disp.prior_ax_ is None
    plt.close("all")


def test_latent_space_class_mixture_samples_follow_the_codes_classes():
    prior = ClassMixturePrior(6, 3.0, 0.5, n_classes=3)
    rng = np.random.default_rng(1)
    codes = np.repeat([0, 1, 2], [10, 20, 30])
    Z = prior.means[codes] + 0.5 * rng.normal(size=(60, 6))
    y = np.array(["a", "b", "c"], dtype=object)[codes]
    disp = LatentSpaceDisplay.from_latent(Z, y, prior=prior, n_prior_samples=5)
    assert len(disp.prior_scatter_.get_offsets()) == 60  # one per code, from its class
    np.testing.assert_array_equal(disp.prior_embedding_y, y)
    colors = disp.prior_scatter_.get_facecolors()
    np.testing.assert_allclose(colors[0, :3], disp.colors_["a"][:3])
    np.testing.assert_allclose(colors[-1, :3], disp.colors_["c"][:3])
    assert abs(disp.mmd2) < 0.05
    plt.close("all")


def test_latent_space_errors(fitted):
    pipe, X, y, Xt = fitted
    Z = np.random.default_rng(0).normal(size=(5, 8))
    with pytest.raises(ValueError, match="Z has 5 rows but y has 4"):
        LatentSpaceDisplay.from_latent(Z, ["a", "b", "a", "b"])
    with pytest.raises(ValueError, match="X has 20 rows but y has 19"):
        LatentSpaceDisplay.from_estimator(pipe, X, y[:-1])
    with pytest.raises(ValueError, match="projection must be"):
        LatentSpaceDisplay.from_latent(Z, list("ababa"), projection="tsne")
    with pytest.raises(ValueError, match="at least 3 classes"):
        LatentSpaceDisplay.from_latent(Z, list("ababa"), projection="lda")
    with pytest.raises(ValueError, match=r"means have shape \(3, 8\); expected \(2, 8\)"):
        LatentSpaceDisplay.from_latent(Z, list("ababa"),
                                       prior=ClassMixturePrior(8, 3.0, 1.0, n_classes=3))
    with pytest.raises(ValueError, match=r"means have shape \(1, 4\); expected \(1, 8\)"):
        LatentSpaceDisplay.from_latent(Z, list("ababa"), prior=GaussianPrior(4, 0.0, 1.0))
    with pytest.raises(ValueError, match="embedding has 5 rows but y has 4"):
        LatentSpaceDisplay(np.zeros((5, 2)), list("abab")).plot()
    unfitted = make_pipeline(OpenSmileSegmenter(), ContextTripleBuilder(),
                             MAECClassifier(latent_dim=8))
    with pytest.raises(NotFittedError):
        LatentSpaceDisplay.from_estimator(unfitted, X, y)
    with pytest.raises(NotFittedError):
        LatentSpaceDisplay.from_estimator(MAECClassifier(), Xt, y)


# --------------------------------------------------------------------------- training curves
def test_training_curves_from_estimator(fitted):
    pipe = fitted[0]
    history = pipe[-1].history_
    disp = TrainingCurvesDisplay.from_estimator(pipe)
    assert list(disp.panel_axes_) == ["emotion_loss", "gender_loss", "adversarial_loss",
                                      "disc_loss", "disc_acc", "scores"]
    epochs = history[:, "epoch"]
    for prefix in ("train", "valid"):
        for key in ("emotion_loss", "gender_loss", "adversarial_loss", "disc_loss", "disc_acc"):
            line = disp.lines_[f"{prefix}_{key}"]
            np.testing.assert_allclose(line.get_xdata(), epochs)
            np.testing.assert_allclose(line.get_ydata(), history[:, f"{prefix}_{key}"])
            assert line.get_linestyle() == ("-" if prefix == "train" else "--")
            assert line.axes is disp.panel_axes_[key]
    for key in ("valid_ua", "valid_wa"):
        np.testing.assert_allclose(disp.lines_[key].get_ydata(), history[:, key])
        assert disp.lines_[key].axes is disp.panel_axes_["scores"]
    np.testing.assert_allclose(disp.chance_line_.get_ydata(), [0.5, 0.5])
    assert disp.chance_line_.axes is disp.panel_axes_["disc_acc"]
    # the marked epoch is the one early stopping keeps: the best validation UA's
    assert disp.best_epoch_ == epochs[int(np.argmax(history[:, "valid_ua"]))]
    stopper = dict(pipe[-1].callbacks_).get("early_stopping")
    if getattr(stopper, "best_epoch_", None) is not None:
        assert disp.best_epoch_ == stopper.best_epoch_
    assert disp.axes_.shape == (2, 3) and disp.figure_ is disp.axes_[0, 0].figure
    assert disp.axes_[1, 0].get_xlabel() == "epoch"


def test_training_curves_without_validation():
    history = [{"epoch": e, "train_loss": 3.0 - e, "train_emotion_loss": 1.5 - 0.1 * e,
                "train_gender_loss": 0.0, "train_adversarial_loss": -0.7,
                "train_disc_loss": 1.4, "train_disc_acc": 0.5 + 0.05 * e, "dur": 0.1}
               for e in (1, 2, 3)]
    fig, axes = plt.subplots(2, 4)
    disp = TrainingCurvesDisplay.from_history(history, ax=axes, panels=ALL_PANELS)
    assert not any(key.startswith("valid_") for key in disp.lines_)
    np.testing.assert_allclose(disp.lines_["train_disc_acc"].get_ydata(), [0.55, 0.6, 0.65])
    np.testing.assert_allclose(disp.lines_["train_loss"].get_ydata(), [2.0, 1.0, 0.0])
    assert disp.best_epoch_ is None
    texts = [t.get_text() for t in disp.panel_axes_["scores"].texts]
    assert texts == ["no validation data"]
    # an all-zero gender loss: a note instead of a flat line
    assert "train_gender_loss" not in disp.lines_
    assert "gender head not trained" in disp.panel_axes_["gender_loss"].texts[0].get_text()
    assert not axes[1, 3].get_visible()  # 7 panels on 8 axes


def test_training_curves_mark_the_best_validation_ua_not_the_lowest_loss():
    # early stopping watches valid_ua: where the loss and the UA disagree, the
    # marked epoch is the UA's (epoch 3), not the lowest loss's (epoch 2)
    history = [{"epoch": e, "train_emotion_loss": 1.0, "valid_loss": loss,
                "valid_emotion_loss": loss, "valid_ua": ua, "valid_wa": ua}
               for e, loss, ua in [(1, 1.3, 0.30), (2, 1.0, 0.40), (3, 1.2, 0.55), (4, 1.4, 0.55)]]
    disp = TrainingCurvesDisplay.from_history(history, panels=["emotion_loss", "scores"])
    assert disp.best_epoch_ == 3  # the first of the tied best UAs
    marker = [line for line in disp.panel_axes_["emotion_loss"].lines
              if line.get_label() == "best valid UA"]
    assert len(marker) == 1 and list(marker[0].get_xdata()) == [3, 3]
    # without valid_ua (another monitor, an older history): the lowest loss
    no_ua = [{k: v for k, v in row.items() if k != "valid_ua"} for row in history]
    assert TrainingCurvesDisplay.from_history(no_ua, panels=["emotion_loss"]).best_epoch_ == 2


def test_training_curves_history_forms_and_errors():
    import pandas as pd

    as_dict = {"train_emotion_loss": [1.0, 0.5], "valid_emotion_loss": [1.1, np.nan]}
    for history in (as_dict, pd.DataFrame(as_dict)):
        disp = TrainingCurvesDisplay.from_history(history, panels=["emotion_loss"])
        np.testing.assert_allclose(disp.lines_["valid_emotion_loss"].get_ydata(), [1.1, np.nan])
        np.testing.assert_allclose(disp.lines_["train_emotion_loss"].get_xdata(), [1, 2])
        assert disp.best_epoch_ == 1
    with pytest.raises(ValueError, match="unknown panel"):
        TrainingCurvesDisplay.from_history(as_dict, panels=["nope"])
    with pytest.raises(ValueError, match="history is empty"):
        TrainingCurvesDisplay.from_history([])
    with pytest.raises(ValueError, match="ax has 2 Axes for 6 panels"):
        TrainingCurvesDisplay.from_history(as_dict, ax=plt.subplots(1, 2)[1])
    with pytest.raises(TypeError, match="history must be"):
        TrainingCurvesDisplay.from_history(3)
    with pytest.raises(NotFittedError):
        TrainingCurvesDisplay.from_estimator(MAECClassifier())


# --------------------------------------------------------------------------- attention
def test_segment_attention_from_estimator(fitted):
    pipe, X, y, Xt = fitted
    seg, clf = pipe[0], pipe[-1]
    index = 3
    disp = SegmentAttentionDisplay.from_estimator(pipe, X, index, y=y)
    expected = clf.segment_attention(Xt)[index]
    heights = np.array([bar.get_height() for bar in disp.bars_])
    np.testing.assert_allclose(heights, expected, rtol=1e-6)
    assert heights.sum() == pytest.approx(1.0, abs=1e-5)
    n = len(expected)
    assert n == Xt["segments"].iloc[index].shape[0]
    assert disp.segmentation == seg.segmentation_  # the fitted segmenter's
    step, window, stride = seg.frame_step_, seg.window_frames_, seg.stride_frames_
    starts = np.arange(n) * stride * step
    np.testing.assert_allclose(disp.segment_times_, np.column_stack([starts,
                                                                     starts + window * step]))
    centres = [bar.get_x() + bar.get_width() / 2 for bar in disp.bars_]
    np.testing.assert_allclose(centres, starts + window * step / 2)
    assert disp.bars_[0].get_width() == pytest.approx(stride * step)
    # the spread curve covers the segments' spans and carries the same total weight
    values, edges = disp.spread_.get_data()[:2]
    assert edges[0] == 0 and edges[-1] == pytest.approx(((n - 1) * stride + window) * step)
    assert values.sum() == pytest.approx(stride, rel=1e-5)
    # the waveform in seconds, the x extent the utterance's duration
    audio, rate = X["audio"].iloc[index], X["sampling_rate"].iloc[index]
    np.testing.assert_allclose(disp.signal_.get_ydata(), audio, atol=1e-6)
    assert disp.signal_.get_xdata()[-1] == pytest.approx((len(audio) - 1) / rate)
    duration = max(len(audio) / rate, disp.segment_times_[-1, 1])
    assert disp.ax_.get_xlim() == pytest.approx((0, duration))
    assert disp.signal_ax_.get_xlim() == pytest.approx((0, duration))
    assert disp.ax_.get_xlabel() == "time (s)"
    best = int(np.argmax(expected))
    span = disp.highlight_  # a Rectangle (matplotlib >= 3.9) or a Polygon, x in data units
    xs = [span.get_x(), span.get_x() + span.get_width()] if hasattr(span, "get_x") \
        else span.get_xy()[:, 0]
    assert min(xs) == pytest.approx(disp.segment_times_[best, 0], abs=1e-6)
    assert max(xs) == pytest.approx(disp.segment_times_[best, 1], abs=1e-6)
    np.testing.assert_allclose(disp.uniform_line_.get_ydata(), [1 / n, 1 / n])
    title = disp.signal_ax_.get_title()
    predicted = pipe.predict(X)[index]
    assert f"true: {y[index]}" in title and f"predicted: {predicted}" in title


def test_segment_attention_frames_and_paths(fitted, tmp_path):
    import soundfile

    pipe, X, y, Xt = fitted
    frames = Xt["frames"].iloc[0]
    disp = SegmentAttentionDisplay.from_estimator(pipe, X, 0, signal="frames")
    image = disp.signal_.get_array()
    assert image.shape == (frames.shape[1], frames.shape[0])
    np.testing.assert_allclose(image, frames.T)
    assert disp.signal_.get_extent()[:2] == pytest.approx([0, len(frames) * 0.01])
    assert "true:" not in disp.signal_ax_.get_title()
    # audio given as file paths: the waveform is read from the file
    paths = []
    for i, (audio, rate) in enumerate(zip(X["audio"], X["sampling_rate"], strict=True)):
        paths.append(str(tmp_path / f"{i}.wav"))
        soundfile.write(paths[-1], audio, int(rate), subtype="FLOAT")
    X_paths = X.assign(audio=paths).drop(columns="sampling_rate")
    disp = SegmentAttentionDisplay.from_estimator(pipe, X_paths, -1)
    np.testing.assert_allclose(disp.signal_.get_ydata(), X["audio"].iloc[-1], atol=1e-6)
    heights = [bar.get_height() for bar in disp.bars_]
    np.testing.assert_allclose(heights, pipe[-1].segment_attention(Xt)[-1], rtol=1e-5)


def test_segment_attention_spectrogram(fitted):
    pipe, X, y, Xt = fitted
    index = 3
    audio, rate = X["audio"].iloc[index], float(X["sampling_rate"].iloc[index])
    disp = SegmentAttentionDisplay.from_estimator(pipe, X, index, y=y, signal="spectrogram",
                                                  max_frequency=4000, dynamic_range=60)
    mesh = disp.signal_
    assert mesh.axes is disp.signal_ax_
    values = np.asarray(mesh.get_array())
    # in dB, the top 60 dB shown, 10 ms hops over the utterance, up to 4 kHz
    assert mesh.get_clim() == pytest.approx((values.max() - 60, values.max()))
    n_hops = (len(audio) - int(0.025 * rate)) // int(0.01 * rate) + 1
    assert values.shape[-1] == n_hops
    assert disp.signal_ax_.get_ylim() == pytest.approx((0, 4.0))
    assert disp.signal_ax_.get_ylabel() == "frequency (kHz)"
    duration = max(len(audio) / rate, disp.segment_times_[-1, 1])
    assert disp.signal_ax_.get_xlim() == pytest.approx((0, duration))
    heights = [bar.get_height() for bar in disp.bars_]
    np.testing.assert_allclose(heights, pipe[-1].segment_attention(Xt)[index], rtol=1e-5)
    assert f"true: {y[index]}" in disp.signal_ax_.get_title()
    # the constructor: max_frequency None goes up to half the sampling rate
    disp = SegmentAttentionDisplay([0.5, 0.5], segmentation=SEG_50_10,
                                   audio=audio, sampling_rate=rate).plot(
        signal="spectrogram", max_frequency=None)
    assert disp.signal_ax_.get_ylim() == pytest.approx((0, rate / 2000))
    with pytest.raises(ValueError, match="signal='spectrogram' needs audio"):
        SegmentAttentionDisplay([1.0], segmentation=SEG_5_1).plot(
            signal="spectrogram")
    with pytest.raises(ValueError, match="dynamic_range must be > 0"):
        SegmentAttentionDisplay([1.0], segmentation=SEG_5_1, audio=audio,
                                sampling_rate=rate).plot(signal="spectrogram", dynamic_range=0)


def test_segment_attention_bare_classifier_and_axes(fitted):
    pipe, X, y, Xt = fitted
    # a bare classifier on transformed data: the segmentation it declares
    disp = SegmentAttentionDisplay.from_estimator(pipe[-1], Xt, 2)
    seg = disp.segmentation
    assert (seg.stride_frames, seg.window_frames, seg.frame_step) == (10, 50, 0.01)
    assert disp.signal_ is not None  # the audio column survives the transformers
    # one Axes of a grid is split into signal + attention
    fig, axes = plt.subplots(2, 2)
    disp = SegmentAttentionDisplay.from_estimator(pipe, X, 1, ax=axes[0, 1])
    assert disp.figure_ is fig and not axes[0, 1].axison
    assert disp.signal_ax_ is not disp.ax_ and disp.ax_.figure is fig
    # a pair of Axes; no signal
    fig, pair = plt.subplots(2, 1)
    disp = SegmentAttentionDisplay.from_estimator(pipe, X, 1, ax=pair, signal=None)
    assert disp.ax_ is pair[1] and disp.signal_ax_ is None and disp.signal_ is None


def test_segment_attention_reads_the_declared_segmentation():
    """Frames of 20 ms, declared: segment times and the frames' extent follow the declaration."""
    import pandas as pd

    seg = Segmentation.from_seconds(window=0.2, stride=0.1, frame_step=0.02)  # 10 / 5 frames
    rng = np.random.default_rng(0)
    frames = [rng.standard_normal((n, 6)).astype(np.float32) for n in (40, 25, 60, 33)]
    X = pd.DataFrame({"frames": pd.Series(frames, dtype=object),
                      "segments": pd.Series([seg.cut(f) for f in frames], dtype=object)})
    X = seg.attach(X)
    clf = MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=1, random_state=0,
                         use_context=False, validation_fraction=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, ["a", "b", "a", "b"])
    disp = SegmentAttentionDisplay.from_estimator(clf, X, 2, signal="frames")
    assert disp.segmentation == seg
    n = X["segments"].iloc[2].shape[0]  # (60 - 10) // 5 + 1 = 11 segments
    starts = np.arange(n) * 0.1
    np.testing.assert_allclose(disp.segment_times_, np.column_stack([starts, starts + 0.2]))
    assert disp.signal_.get_extent()[:2] == pytest.approx([0, 60 * 0.02])
    assert "11 segments of 0.2 s every 0.1 s" in disp.signal_ax_.get_title()
    # bags without a declaration (consecutive segments of unknown frame step) have no times
    bare = X.drop(columns="frames")
    bare.attrs.clear()
    clf_bare = MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=1, random_state=0,
                              use_context=False, validation_fraction=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf_bare.fit(bare, ["a", "b", "a", "b"])
    with pytest.raises(ValueError, match="no frame step"):
        SegmentAttentionDisplay.from_estimator(clf_bare, bare, 0)


def test_segment_attention_constructor():
    attention = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    disp = SegmentAttentionDisplay(attention, segmentation=SEG_50_10,
                                   y_true="ang", y_pred="sad").plot()
    assert disp.signal_ax_ is None
    assert disp.ax_.get_xlim() == pytest.approx((0, 0.9))
    assert disp.ax_.get_title().startswith("true: ang, predicted: sad")
    rate = 8000
    audio = np.sin(np.arange(rate) / 10.0)
    disp = SegmentAttentionDisplay(attention, segmentation=SEG_50_10, audio=audio,
                                   sampling_rate=rate, title="mine").plot()
    assert disp.ax_.get_xlim() == pytest.approx((0, 1.0))  # the audio is longer
    assert disp.signal_ax_.get_title() == "mine"


def test_segment_attention_errors(fitted):
    pipe, X, y, Xt = fitted
    with pytest.raises(IndexError, match="index 20 is out of range for X with 20 rows"):
        SegmentAttentionDisplay.from_estimator(pipe, X, 20)
    with pytest.raises(IndexError):
        SegmentAttentionDisplay.from_estimator(pipe, X, -21)
    with pytest.raises(TypeError, match="index must be an int"):
        SegmentAttentionDisplay.from_estimator(pipe, X, "t003")
    with pytest.raises(ValueError, match="X has 20 rows but y has 2"):
        SegmentAttentionDisplay.from_estimator(pipe, X, 0, y=y[:2])
    unfitted = make_pipeline(OpenSmileSegmenter(), ContextTripleBuilder(),
                             MAECClassifier(latent_dim=8))
    with pytest.raises(NotFittedError):
        SegmentAttentionDisplay.from_estimator(unfitted, X, 0)
    with pytest.raises(ValueError, match="needs audio"):
        SegmentAttentionDisplay([1.0], segmentation=SEG_5_1).plot(signal="waveform")
    with pytest.raises(ValueError, match="attention is empty"):
        SegmentAttentionDisplay([], segmentation=SEG_5_1).plot()
    with pytest.raises(ValueError, match="stride_frames must be an int"):
        SegmentAttentionDisplay([1.0], segmentation=Segmentation(0.01, 5, 0.5)).plot()


# --------------------------------------------------------------------------- misc
def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install sklearn-maec\[plot\]"):
        TrainingCurvesDisplay({"train_emotion_loss": [1.0]}).plot()
    with pytest.raises(ImportError, match="LatentSpaceDisplay.from_latent requires matplotlib"):
        LatentSpaceDisplay.from_latent(np.zeros((2, 2)), [0, 1])


@pytest.mark.parametrize("name", ["_latent_space", "_training_curves", "_segment_attention"])
def test_doctests(name):
    import importlib

    module = importlib.import_module(f"{display_module.__name__}.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
