"""The Dask backend of joblib: extraction and a grid search on a local cluster.

DESIGN.md promises that ``OpenSmileSegmenter(n_jobs=...)`` and scikit-learn's
``GridSearchCV(n_jobs=...)`` spread their work over a Dask cluster under
``joblib.parallel_config(backend="dask")``.  These tests start a two-worker
``LocalCluster`` on the loopback interface (worker *processes*: openSMILE's
extractor objects are per process) and check that the cluster computes exactly
what one process computes.
"""

import logging
import os
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.exceptions import MAECWarning
from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV

distributed = pytest.importorskip(
    "distributed", reason="the Dask backend needs dask[distributed] (in the test extra)")


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)  # short utterances are zero-padded
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes; every port on 127.0.0.1, chosen free."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the workers (OMP_NUM_THREADS=1): the same float sums
    yield
    torch.set_num_threads(threads)


def test_extraction_on_the_cluster_gives_the_in_process_frames(client, tiny_corpus, tmp_path,
                                                               monkeypatch):
    X, _ = tiny_corpus
    in_process = OpenSmileSegmenter()
    reference = quiet(in_process.fit_transform, X)
    log = tmp_path / "extractions.log"
    monkeypatch.setenv(EXTRACTION_LOG_ENV, os.fspath(log))
    with joblib.parallel_config(backend="dask"):
        segmenter = OpenSmileSegmenter(n_jobs=2)
        out = quiet(segmenter.fit_transform, X)
    for col in ("frames", "segments"):
        for a, b in zip(reference[col], out[col], strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(segmenter.mean_, in_process.mean_)
    np.testing.assert_array_equal(segmenter.scale_, in_process.scale_)
    # every file was extracted once, by the workers, not by this process
    pids = {int(line.split("\t")[0]) for line in log.read_text().splitlines()}
    assert len(log.read_text().splitlines()) == len(X)
    assert os.getpid() not in pids
    workers = set(client.run(os.getpid).values())
    assert pids <= workers


def test_grid_search_on_the_cluster_scores_as_in_process(client, tiny_corpus, tmp_path):
    X, y = tiny_corpus
    pipe = Pipeline([
        # a shared frame cache: each file is extracted once, whichever process fits
        ("segment", OpenSmileSegmenter(memory=tmp_path / "cache")),
        ("context", ContextTripleBuilder()),
        ("maec", MAECClassifier(latent_dim=8, conv_channels=8, disc_hidden=16, max_epochs=1,
                                validation_fraction=None, batch_size=8, random_state=0)),
    ])
    grid = {"maec__latent_dim": [4, 8]}

    def search(n_jobs):
        gs = GridSearchCV(pipe, grid, cv=GroupKFold(n_splits=2), n_jobs=n_jobs, refit=False,
                          error_score="raise")
        return quiet(gs.fit, X, y, groups=X["dialogue"]).cv_results_

    local = search(None)
    with joblib.parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        remote = search(2)
    assert len(tasks.data) >= 4  # the 2 candidates x 2 folds ran on the workers
    for key in ("split0_test_score", "split1_test_score", "mean_test_score",
                "rank_test_score"):
        np.testing.assert_array_equal(remote[key], local[key], err_msg=key)
    assert list(remote["params"]) == list(local["params"])
