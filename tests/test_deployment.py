"""Tests of sklearn_maec.deployment: exported models predict what the estimator predicts.

The done-when of the export: a file written by ``export_pipeline`` /
``MAECClassifier.export`` gives the estimator's labels, and probabilities
within 1e-5, from the same DataFrame of utterances, with neither skorch nor the
pickled estimator (for ONNX, not even torch).
"""

import json
import os
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import network_batch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.deployment import EXPORT_FORMAT, METADATA_KEY, ExportedModel, export_pipeline
from sklearn_maec.exceptions import MAECWarning
from sklearn_maec.model._inference import ExportNetwork
from sklearn_maec.model.nn import MAECNetwork

TOL = 1e-5  # max abs difference of probabilities allowed between export and estimator
TINY = dict(latent_dim=8, conv_channels=8, disc_hidden=16, random_state=0, max_epochs=2,
            validation_fraction=None, batch_size=5)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)  # short utterances are zero-padded
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def fitted_pipe(tiny_corpus):
    """A tiny pipeline fitted on the array corpus; batches of 5 so prediction has several."""
    torch.set_num_threads(1)
    X, y = tiny_corpus
    pipe = Pipeline([("segment", OpenSmileSegmenter()), ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(**TINY))])
    return quiet(pipe.fit, X, y)


@pytest.fixture(scope="module")
def onnx_file(fitted_pipe, tmp_path_factory):
    pytest.importorskip("onnx", reason="ONNX export needs the export extra (onnx)")
    pytest.importorskip("onnxruntime", reason="running an ONNX export needs onnxruntime")
    path = tmp_path_factory.mktemp("onnx") / "maec.onnx"
    export_pipeline(fitted_pipe, path)
    return path


def unseen(corpus):
    """The wav corpus as new dialogues (its ids collide with the training corpus's)."""
    X = corpus[0].copy()
    X["dialogue"] = "new_" + X["dialogue"].astype(str)
    return X


def check_same_predictions(model, pipe, X):
    """Labels equal, probabilities within TOL, latent codes close; returns the max diff."""
    expected = quiet(pipe.predict_proba, X)
    proba = quiet(model.predict_proba, X)
    assert proba.shape == expected.shape
    diff = float(np.abs(proba - expected).max())
    assert diff < TOL, diff
    np.testing.assert_array_equal(quiet(model.predict, X), quiet(pipe.predict, X))
    Z = quiet(pipe[:-1].transform, X)
    np.testing.assert_allclose(quiet(model.transform, X), pipe[-1].transform(Z), atol=1e-5)
    return diff


# --------------------------------------------------------------------------- the network
def _layouts(lengths, current, previous, interlocutor, n_frames, seed=0, w=12, n_lld=5):
    """The same batch as MAECNetwork.encode's input and as ExportNetwork's."""
    rng = np.random.default_rng(seed)
    bags = [rng.standard_normal((n, w, n_lld)).astype(np.float32) for n in lengths]
    refs = (bags, current, previous, interlocutor, n_frames)
    return network_batch(*refs), network_batch(*refs, padded=True)


@pytest.mark.parametrize("config", [
    {}, {"pooling": "max"}, {"share_encoder": False}, {"use_context": False, "latent_dim": 8},
    {"fusion": "released"}, {"convolution": "segment"},
])
def test_export_network_computes_what_the_network_computes(config):
    torch.manual_seed(0)
    net = MAECNetwork(**{"n_lld": 5, "n_classes": 3, "latent_dim": 16, "channels": 8,
                         "window_frames": 12,
                         **config}).eval()
    # bags of many lengths, an empty bag, a short utterance, a segment used by no sample
    lengths = [3, 9, 0, 1, 6, 2]
    packed, export = _layouts(lengths, current=[0, 1, 2, 3, 4, 1],
                              previous=[-1, 0, -1, 2, 3, 4], interlocutor=[-1, -1, 1, 0, 2, 5],
                              n_frames=[36, 200, 0, 7, 100, 20])
    exported = ExportNetwork(net)
    with torch.no_grad():
        logits, _, z = net(**packed)
        e_logits, e_proba, e_z = exported(*export)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript, torch >= 2.10
            scripted = torch.jit.script(exported)(*export)
    torch.testing.assert_close(e_z, z, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(e_logits, logits, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(e_proba, torch.softmax(logits, 1), atol=1e-6, rtol=1e-5)
    for a, b in zip(scripted, (e_logits, e_proba, e_z), strict=True):
        torch.testing.assert_close(a, b)


def _onnx_round_trip(net, tmp_path, batches):
    """Export ``ExportNetwork(net)`` to ONNX; run it on the layouts of ``batches``."""
    pytest.importorskip("onnx", reason="ONNX export needs the export extra (onnx)")
    ort = pytest.importorskip("onnxruntime", reason="running ONNX needs onnxruntime")
    from sklearn_maec.deployment._format import INPUT_NAMES, OUTPUT_NAMES
    from sklearn_maec.deployment._writer import _example_inputs, _export_onnx

    exported = ExportNetwork(net)
    static = {d for p in exported.state_dict().values() for d in p.shape}
    path = tmp_path / "net.onnx"
    _export_onnx(exported, _example_inputs(12, 5, 2, 12, torch, static), path, {}, INPUT_NAMES,
                 OUTPUT_NAMES, torch)
    session = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    for packed, export in batches:
        feed = {n: t.numpy() for n, t in zip(INPUT_NAMES, export, strict=True) if n in names}
        logits, proba, z = session.run(["logits", "proba", "z"], feed)
        with torch.no_grad():
            ref_logits, _, ref_z = net(**packed)
        np.testing.assert_allclose(logits, ref_logits.numpy(), atol=1e-5, rtol=0)
        np.testing.assert_allclose(proba, torch.softmax(ref_logits, 1).numpy(), atol=1e-6,
                                   rtol=0)
        np.testing.assert_allclose(z, ref_z.numpy(), atol=1e-5, rtol=0)


@pytest.mark.parametrize("config", [
    {}, {"pooling": "max", "latent_dim": 8}, {"share_encoder": False},
    {"use_context": False, "latent_dim": 8}, {"fusion": "released", "share_encoder": False},
    {"convolution": "segment"},
])
def test_onnx_graph_computes_what_the_network_computes(config, tmp_path):
    """Any batch: sizes 1 (one bag of one segment, one sample), empty bags, long bags."""
    torch.manual_seed(0)
    net = MAECNetwork(**{"n_lld": 5, "n_classes": 3, "latent_dim": 16, "channels": 8,
                         "window_frames": 12,
                         **config}).eval()
    rng = np.random.default_rng(0)
    cases = [([1], [0], [-1], [-1], [30]), ([0], [0], [-1], [-1], [0]),
             ([1, 1], [0, 1], [1, 0], [-1, -1], [3, 70]),
             ([17, 1, 0, 9, 30, 4], [0, 1, 2, 3, 4, 5, 4], [-1, 0, 1, 2, 3, 4, 5],
              [5, 4, 3, 2, 1, 0, -1], [200, 5, 0, 100, 400, 50])]
    for _ in range(8):
        u, b = int(rng.integers(1, 9)), int(rng.integers(1, 12))
        lengths = [int(n) for n in rng.integers(0, 14, u)]
        cases.append((lengths, rng.integers(0, u, b).tolist(), rng.integers(-1, u, b).tolist(),
                      rng.integers(-1, u, b).tolist(), [10 * n + 7 for n in lengths]))
    _onnx_round_trip(net, tmp_path, [_layouts(*c, seed=k) for k, c in enumerate(cases)])


@pytest.mark.slow
def test_onnx_falls_back_to_the_torch_export_based_exporter(tmp_path, monkeypatch):
    """Torch releases without the TorchScript-based exporter use torch.export (onnxscript)."""
    pytest.importorskip("onnxscript", reason="torch's torch.export-based exporter needs it")
    export = torch.onnx.export
    calls = []

    def without_legacy(*args, dynamo=True, **kwargs):
        calls.append(dynamo)
        if not dynamo:
            raise TypeError("dynamo=False is not supported any more")
        return export(*args, dynamo=dynamo, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", without_legacy)
    torch.manual_seed(0)
    net = MAECNetwork(n_lld=5, n_classes=3, latent_dim=16, channels=8, window_frames=12).eval()
    cases = [([1], [0], [-1], [-1], [30]), ([9, 0, 4], [0, 1, 2, 2], [-1, 0, 1, 2],
                                             [2, -1, 0, 1], [100, 0, 45])]
    _onnx_round_trip(net, tmp_path, [_layouts(*c) for c in cases])
    assert calls == [False, True]


def test_export_network_handles_a_batch_of_empty_bags_only():
    torch.manual_seed(0)
    net = MAECNetwork(n_lld=5, n_classes=3, latent_dim=16, channels=8, window_frames=12).eval()
    packed, export = _layouts([0, 0], current=[0, 1], previous=[-1, 0], interlocutor=[1, -1],
                              n_frames=[0, 0])
    with torch.no_grad():
        logits, _, _ = net(**packed)
        e_logits, proba, z = ExportNetwork(net)(*export)
    torch.testing.assert_close(e_logits, logits)
    assert torch.isfinite(proba).all() and (z == 0).all()


# --------------------------------------------------------------------------- TorchScript
def test_torchscript_export_predicts_as_the_estimator(fitted_pipe, tiny_corpus, tmp_path):
    X, _ = tiny_corpus
    path = tmp_path / "maec.pt"
    assert export_pipeline(fitted_pipe, path) == os.fspath(path)
    model = ExportedModel(path)
    assert isinstance(model, ExportedModel) and model.format_ == "torchscript"
    np.testing.assert_array_equal(model.classes_, fitted_pipe.classes_)
    assert model.classes_.dtype == fitted_pipe.classes_.dtype
    diff = check_same_predictions(model, fitted_pipe, X)
    print(f"torchscript: max |proba diff| = {diff:.2e}, {os.path.getsize(path)} bytes")


def test_exported_model_predicts_audio_files_it_never_saw(fitted_pipe, wav_corpus, tmp_path):
    """Audio given as paths (the training data was arrays), several dialogues."""
    X = unseen(wav_corpus)
    path = export_pipeline(fitted_pipe, tmp_path / "maec.pt")
    check_same_predictions(ExportedModel(path), fitted_pipe, X)


def test_metadata_holds_what_prediction_needs(fitted_pipe, tmp_path):
    path = tmp_path / "maec.pt"
    export_pipeline(fitted_pipe, path)
    with zipfile.ZipFile(path) as archive:  # readable without torch
        name = next(n for n in archive.namelist() if n.endswith(METADATA_KEY))
        meta = json.loads(archive.read(name))
    seg = fitted_pipe.named_steps["segment"]
    clf = fitted_pipe.named_steps["maec"]
    assert meta["format"] == EXPORT_FORMAT
    assert meta["classes"]["spec"]["value"] == clf.classes_.tolist()  # str labels: plain JSON
    assert (meta["window_frames"], meta["n_lld"]) == (50, 45)
    assert meta["use_context"] and meta["context_builder"]
    assert meta["batch_size"] == 5 and meta["batching"] == "dialogue"
    fitted = meta["segmenter"]["fitted"]
    assert fitted["segmentation_"]["fields"] == seg.segmentation_.to_dict()
    assert fitted["feature_spec_"]["value"] == seg.feature_spec_
    assert "/" not in json.dumps(fitted["feature_spec_"])  # no path of this machine
    assert meta["segmenter"]["params"]["feature_set"] == "maec45"
    assert not {"n_jobs", "memory", "verbose", "on_error"} & set(meta["segmenter"]["params"])
    model = ExportedModel(path)
    rebuilt = model.segmenter_
    for name in ("mean_", "scale_"):  # float32 statistics survive JSON exactly
        np.testing.assert_array_equal(getattr(rebuilt, name), getattr(seg, name))
        assert getattr(rebuilt, name).dtype == np.float32
    np.testing.assert_array_equal(rebuilt.lld_names_, seg.lld_names_)


def test_failed_audio_rows_give_the_estimator_prediction(fitted_pipe, tiny_corpus, tmp_path):
    """on_error="warn": a row whose audio fails gets an empty bag in both."""
    X, _ = tiny_corpus
    X = X[X["dialogue"].isin(X["dialogue"].unique()[:2])].reset_index(drop=True)  # whole ones
    audio = X["audio"].to_numpy(dtype=object).copy()
    audio[2] = np.zeros(16000, np.float32)  # silent: an extraction error
    X["audio"] = audio
    path = tmp_path / "maec.pt"
    export_pipeline(fitted_pipe, path)
    pipe = Pipeline(fitted_pipe.steps)  # same fitted steps
    pipe.named_steps["segment"].set_params(on_error="warn")
    try:
        check_same_predictions(ExportedModel(path, on_error="warn"), pipe, X)
    finally:
        pipe.named_steps["segment"].set_params(on_error="raise")
    with pytest.raises(Exception, match="silent"):
        quiet(ExportedModel(path).predict, X)


def test_bare_classifier_export_predicts_from_segmented_frames(fitted_pipe, tiny_corpus,
                                                               tmp_path):
    X, _ = tiny_corpus
    clf = fitted_pipe.named_steps["maec"]
    Xt = quiet(fitted_pipe[:-1].transform, X)
    path = export_pipeline(clf, tmp_path / "clf.pt")
    model = ExportedModel(path)
    assert model.segmenter_ is None
    np.testing.assert_allclose(model.predict_proba(Xt), clf.predict_proba(Xt), atol=TOL)
    np.testing.assert_array_equal(model.predict(Xt), clf.predict(Xt))
    # a bare classifier's file takes the rows as the classifier does: with their context
    with pytest.raises(ValueError, match="ContextTripleBuilder"):
        model.predict(Xt.drop(columns=["previous", "interlocutor"]))
    with pytest.raises(ValueError, match="segments"):
        model.predict(X)  # audio, but nothing stored to segment it with


def test_the_export_reads_and_checks_the_declared_segmentation(fitted_pipe, tiny_corpus,
                                                              tmp_path):
    """The file stores the classifier's segmentation; bags cut otherwise are refused, named."""
    from sklearn_maec.features import Segmentation

    X, _ = tiny_corpus
    clf = fitted_pipe.named_steps["maec"]
    Xt = quiet(fitted_pipe[:-1].transform, X)
    model = ExportedModel(export_pipeline(clf, tmp_path / "clf.pt"))
    assert model.segmentation_ == clf.segmentation_ == fitted_pipe[0].segmentation_
    assert model.metadata_["segmentation"] == clf.segmentation_.to_dict()
    at_20_ms = Segmentation(0.02, clf.window_frames_, clf.stride_frames_).attach(Xt.copy())
    with pytest.raises(ValueError, match=r"frame_step=0\.02.*fitted on .*frame_step=0\.01"):
        model.predict(at_20_ms)
    undeclared = Xt.copy()
    undeclared.attrs.clear()
    with pytest.raises(ValueError, match=r"X\.attrs\['segmentation'\] = Segmentation"):
        model.predict(undeclared)
    # a file written before the segmentation was stored: its window and stride, no frame step
    legacy = dict(model.metadata_)
    del legacy["segmentation"]
    from sklearn_maec.features._segments import stored_segmentation

    assert stored_segmentation(legacy) == Segmentation(None, 50, 10)


@pytest.mark.slow
def test_explicit_context_columns_are_used_by_the_export(tmp_path):
    """A loader's true context turns (previous_audio, interlocutor_audio) reach the export."""
    from sklearn_maec.datasets import load_iemocap, make_iemocap_layout

    make_iemocap_layout(tmp_path / "iemocap", n_sessions=1, dialogues_per_session=2,
                        random_state=0)
    X, y = load_iemocap(tmp_path / "iemocap")
    pipe = Pipeline([("segment", OpenSmileSegmenter()), ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(**{**TINY, "max_epochs": 1}))])
    quiet(pipe.fit, X, y)
    path = export_pipeline(pipe, tmp_path / "maec.pt")
    check_same_predictions(ExportedModel(path), pipe, X)


def test_single_utterance_model_without_context_builder(tiny_corpus, tmp_path):
    X, y = tiny_corpus
    pipe = Pipeline([("segment", OpenSmileSegmenter()),
                     ("maec", MAECClassifier(**{**TINY, "use_context": False,
                                                "batching": "length", "max_epochs": 1}))])
    quiet(pipe.fit, X, y)
    path = export_pipeline(pipe, tmp_path / "single.pt")
    model = ExportedModel(path, batch_size=3)
    assert not model.metadata_["use_context"] and not model.metadata_["context_builder"]
    check_same_predictions(model, pipe, X.drop(columns=["dialogue", "speaker", "start"]))


def test_per_group_standardisation_travels_with_the_export(tiny_corpus, tmp_path):
    """The groups' statistics are in the file; a group new at prediction uses its own."""
    X, y = tiny_corpus
    first = (X["session"] == X["session"].iloc[0]).to_numpy()
    pipe = Pipeline([("segment", OpenSmileSegmenter(standardize="speaker")),
                     ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(**{**TINY, "max_epochs": 1}))])
    quiet(pipe.fit, X[first], y[first])
    model = ExportedModel(export_pipeline(pipe, tmp_path / "grouped.pt"))
    np.testing.assert_array_equal(model.segmenter_.groups_, pipe[0].groups_)
    np.testing.assert_array_equal(model.segmenter_.group_scale_, pipe[0].group_scale_)
    check_same_predictions(model, pipe, X)  # speakers of both sessions, seen and new


# --------------------------------------------------------------------------- ONNX
def test_onnx_export_predicts_as_the_estimator(fitted_pipe, tiny_corpus, wav_corpus, onnx_file):
    import onnx

    X, _ = tiny_corpus
    model = ExportedModel(onnx_file)
    assert model.format_ == "onnx"
    diff = check_same_predictions(model, fitted_pipe, X)
    check_same_predictions(model, fitted_pipe, unseen(wav_corpus))
    proto = onnx.load(onnx_file)
    onnx.checker.check_model(proto)
    assert {p.key for p in proto.metadata_props} == {METADATA_KEY}
    assert not any(n.metadata_props for n in proto.graph.node)  # no build-machine paths
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
            for i in proto.graph.input}
    assert dims["frames"] == ["frames", 45] and dims["segment_starts"] == ["segments"]
    assert dims["bag_index"] == ["bags", "bag_length"]  # any bag length, any batch
    print(f"onnx: max |proba diff| = {diff:.2e}, {os.path.getsize(onnx_file)} bytes")


@pytest.mark.slow
def test_runtime_needs_no_skorch_and_onnx_needs_no_torch(fitted_pipe, wav_corpus, onnx_file,
                                                          tmp_path):
    """In a fresh process where importing skorch (and, for ONNX, torch) fails."""
    X = unseen(wav_corpus)
    X.to_csv(tmp_path / "utterances.csv", index=False)
    pt_file = export_pipeline(fitted_pipe, tmp_path / "maec.pt")
    script = textwrap.dedent(f"""
        import importlib.abc, sys, warnings

        class Block(importlib.abc.MetaPathFinder):
            blocked = {{"torch", "skorch"}}

            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in self.blocked:
                    raise ModuleNotFoundError(f"{{name}} is not installed here")

        block = Block()
        sys.meta_path.insert(0, block)
        import pandas as pd
        from sklearn_maec.deployment import ExportedModel
        X = pd.read_csv({os.fspath(tmp_path / "utterances.csv")!r})
        warnings.simplefilter("ignore")
        print(" ".join(map(str, ExportedModel({os.fspath(onnx_file)!r}).predict(X))))
        assert "torch" not in sys.modules and "skorch" not in sys.modules
        block.blocked = {{"skorch"}}  # TorchScript needs torch, still not skorch
        print(" ".join(map(str, ExportedModel({pt_file!r}).predict(X))))
        assert "skorch" not in sys.modules and "sklearn_maec.model" not in sys.modules
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    expected = " ".join(quiet(fitted_pipe.predict, X))
    assert out.stdout.splitlines() == [expected, expected]


# --------------------------------------------------------------------------- errors
def test_export_errors(fitted_pipe, tmp_path):
    clf = fitted_pipe.named_steps["maec"]
    with pytest.raises(ValueError, match=r"\.pt.*\.onnx"):
        export_pipeline(clf, tmp_path / "model.bin")
    with pytest.raises(ValueError, match="format must be"):
        export_pipeline(clf, tmp_path / "model.pt", format="tflite")
    with pytest.raises(NotFittedError):
        export_pipeline(MAECClassifier(), tmp_path / "model.pt")
    with pytest.raises(TypeError, match="cannot export step"):
        export_pipeline(Pipeline([("segment", fitted_pipe.named_steps["segment"]),
                                  ("scale", StandardScaler()), ("maec", clf)]),
                        tmp_path / "model.pt")
    with pytest.raises(TypeError, match="last step"):
        export_pipeline(Pipeline([("scale", StandardScaler())]), tmp_path / "model.pt")
    with pytest.raises(TypeError, match="Pipeline or MAECClassifier"):
        export_pipeline(StandardScaler(), tmp_path / "model.pt")
    other = OpenSmileSegmenter(window=0.3)
    quiet(other.fit, pd.DataFrame({"audio": [np.sin(np.arange(16000) / 5).astype(np.float32)],
                                   "sampling_rate": [16000]}))
    with pytest.raises(ValueError, match="segments of 30 frames"):
        export_pipeline(Pipeline([("segment", other), ("maec", clf)]), tmp_path / "model.pt")


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        ExportedModel(tmp_path / "missing.pt")
    bogus = tmp_path / "bogus.pt"
    with zipfile.ZipFile(bogus, "w") as archive:
        archive.writestr("x/data.pkl", b"")
    with pytest.raises(ValueError, match="not a model exported by sklearn_maec"):
        ExportedModel(bogus)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="onnxruntime"):
            ExportedModel(junk)
    else:
        with pytest.raises(ValueError, match="neither a TorchScript nor an ONNX"):
            ExportedModel(junk)
