"""Checkpoints: training interrupted and resumed ends exactly where an uninterrupted run does."""

import pickle

import numpy as np
import pytest

from sklearn_maec import MAECClassifier
from sklearn_maec.model.callbacks import EveryNEpochs, resumable_checkpoint


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((96, 12, 6)).astype(np.float32)
    y = rng.choice(["a", "b", "c"], 96)
    return X, y


KW = dict(latent_dim=8, conv_channels=8, random_state=3, patience=None)


@pytest.mark.reliability
def test_resumed_training_equals_uninterrupted(data, tmp_path):
    X, y = data
    full = MAECClassifier(max_epochs=4, **KW).fit(X, y)
    MAECClassifier(max_epochs=2, callbacks=resumable_checkpoint(tmp_path), **KW).fit(X, y)
    assert (tmp_path / "discriminator.pt").exists() and (tmp_path / "optimizer_disc.pt").exists()
    resumed = MAECClassifier(max_epochs=4, callbacks=resumable_checkpoint(tmp_path), **KW)
    resumed.fit(X, y)
    assert len(resumed.history) == 4  # 2 restored + the 2 left
    np.testing.assert_array_equal(resumed.predict_proba(X), full.predict_proba(X))
    np.testing.assert_allclose(resumed.history[:, "train_loss"], full.history[:, "train_loss"])


@pytest.mark.reliability
def test_checkpoint_every_n_epochs(data, tmp_path):
    X, y = data
    clf = MAECClassifier(max_epochs=5, callbacks=resumable_checkpoint(tmp_path, every=2), **KW)
    clf.fit(X, y)
    assert clf.history[:, "event_checkpoint"] == [False, True, False, True, False]
    # a run that already reached max_epochs resumes into no further training
    again = MAECClassifier(max_epochs=4, callbacks=resumable_checkpoint(tmp_path, every=2), **KW)
    assert len(again.fit(X, y).history) == 4


def test_every_n_epochs_is_picklable_and_validated():
    monitor = pickle.loads(pickle.dumps(EveryNEpochs(3)))
    assert monitor.n == 3
    with pytest.raises(ValueError, match="n must be"):
        EveryNEpochs(0)


def test_epoch_order_depends_on_seed_and_epoch_only(data):
    X, y = data
    clf = MAECClassifier(max_epochs=1, **KW).fit(X, y)
    ds = clf.get_dataset(X, y)
    first = [b[1][:, 0].tolist() for b in clf.get_iterator(ds, training=True)]
    again = [b[1][:, 0].tolist() for b in clf.get_iterator(ds, training=True)]
    assert first == again  # same epoch number: same batches


def test_early_stopping_records_the_epoch_it_keeps_and_the_display_marks_it():
    """skorch keeps a score only if it beats the best by more than 1e-4 (relative):
    a later UA higher by less is not the kept epoch, and the history says so."""
    import torch
    from skorch.history import History

    from sklearn_maec.display import TrainingCurvesDisplay
    from sklearn_maec.model.callbacks import BestValidationScore

    class Net:  # what the callback reads of a net
        verbose = 0
        history = History()
        module_ = torch.nn.Linear(1, 1)

    net, stopper = Net(), BestValidationScore(patience=2)
    stopper.on_train_begin(net)
    stopped = None
    for epoch, ua in enumerate([0.5, 0.6, 0.60001, 0.55, 0.7], start=1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("valid_ua", ua)
        try:
            stopper.on_epoch_end(net)
        except KeyboardInterrupt:
            stopped = epoch
            break
    assert stopped == 4 and stopper.best_epoch_ == 2
    assert net.history[:, "valid_ua_best"] == [True, True, False, False]
    disp = TrainingCurvesDisplay.from_history(net.history, panels=["scores"])
    assert disp.best_epoch_ == 2  # the highest UA is epoch 3's, which early stopping did not keep
