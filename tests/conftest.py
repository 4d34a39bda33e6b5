"""Shared fixtures: tiny generated corpora, so the suite needs no external data."""

import os

import numpy as np
import pytest

# Keep torch and the BLAS libraries from oversubscribing the 2 CI cores when
# joblib workers run beside the main process.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session", autouse=True)
def _user_cache(tmp_path_factory):
    """A user cache directory of the test session's own (MELD's extracted audio goes there)."""
    directory = str(tmp_path_factory.mktemp("user_cache"))
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = directory
    yield directory
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="session")
def tiny_corpus():
    """Two sessions, 4 dialogues of 2 speakers, short utterances, as arrays."""
    from sklearn_maec.datasets import make_dialogue_corpus

    return make_dialogue_corpus(
        n_dialogues=4, n_sessions=2, turns_per_dialogue=(4, 6), duration_median=1.0,
        random_state=0,
    )


@pytest.fixture(scope="session")
def wav_corpus(tmp_path_factory):
    """The same kind of corpus written as 16 kHz wav files."""
    from sklearn_maec.datasets import make_dialogue_corpus

    directory = tmp_path_factory.mktemp("wavs")
    return make_dialogue_corpus(
        n_dialogues=2, n_sessions=1, turns_per_dialogue=(4, 5), duration_median=1.0,
        directory=directory, random_state=1,
    )


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    """family -> a tiny randomly initialised encoder checkpoint (tests/_encoders.py), built once."""
    pytest.importorskip("transformers", reason="the pretrained front-end needs transformers")
    import _encoders

    root = tmp_path_factory.mktemp("encoders")
    return {f: _encoders.build_checkpoint(f, root / f) for f in _encoders.FAMILIES}


@pytest.fixture
def tone():
    """A 1 s voiced-like signal at 16 kHz (a harmonic-rich 150 Hz tone plus noise)."""
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    x = 0.2 * x * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def network_batch(bags, current, previous=None, interlocutor=None, n_frames=None, padded=False,
                  gap=2):
    """Tensors of the one batch layout (``_batching.pack_bags``) for explicit bag references.

    ``bags`` are ``(n_segments, W, L)`` arrays; ``current``/``previous``/
    ``interlocutor`` give each sample's bag (-1: none); ``n_frames`` the true
    frames of a one-segment bag's utterance (a short utterance; default: whole
    windows); the segments of a bag are consecutive (stride W).  With
    ``padded``, the exported network's inputs in their order.
    """
    import torch

    from sklearn_maec._batching import BagTable, pack_bags
    from sklearn_maec.deployment._format import INPUT_NAMES

    bag_array = np.empty(len(bags), dtype=object)
    bag_array[:] = [np.asarray(b, dtype=np.float32) for b in bags]
    W, L = bag_array[0].shape[1:]
    frames = np.empty(len(bags), dtype=object)  # consecutive segments; a short one truncated
    for k, b in enumerate(bag_array):
        f = b.reshape(-1, L)
        frames[k] = f[:n_frames[k]] if n_frames is not None and len(b) == 1 else f
    table = BagTable(bag_array, frames, W, L, W)
    refs = {"current": current}
    for role, ref in (("previous", previous), ("interlocutor", interlocutor)):
        if ref is not None:
            refs[role] = ref
    batch = {k: torch.from_numpy(v)
             for k, v in pack_bags(table, refs, gap=gap, padded=padded).items()}
    if padded:
        return tuple(batch[name] for name in INPUT_NAMES)
    return batch
