"""The sklearn-maec command line: demo, make-corpus, fit, evaluate, predict; errors and exit codes."""

import json
import os
import shutil
import subprocess
import sys

import joblib
import pandas as pd
import pytest

from sklearn_maec.cli import main

FAST = ["--max-epochs", "1", "--param", "latent_dim=8", "--param", "conv_channels=8"]


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    root = tmp_path_factory.mktemp("releases")
    args = ["make-corpus", "--iemocap", str(root / "iemocap"), "--sessions", "3",
            "--dialogues", "2"]
    if shutil.which("ffmpeg"):
        args += ["--meld", str(root / "meld")]
    assert main(args) == 0
    return root


@pytest.fixture(scope="module")
def model(releases, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.maec"
    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--out", str(path), *FAST]) == 0
    return path


def test_fit_saves_a_pickle_free_pipeline(model):
    from sklearn_maec.persistence import load_model

    pipe = load_model(model)
    assert [name for name, _ in pipe.steps] == ["segment", "context", "maec"]
    assert pipe.named_steps["maec"].latent_dim == 8


def test_evaluate_loso_prints_folds_and_writes_reports(releases, tmp_path, capsys, monkeypatch):
    import sklearn_maec.pipeline

    baselines = []  # the baseline gets the segmenter's --param settings too (same features)
    build = sklearn_maec.pipeline.make_baseline_pipeline
    monkeypatch.setattr(sklearn_maec.pipeline, "make_baseline_pipeline",
                        lambda **kw: baselines.append(build(**kw)) or baselines[-1])
    report, csv = tmp_path / "r.json", tmp_path / "r.csv"
    code = main(["evaluate", "--iemocap", str(releases / "iemocap"), "--protocol", "loso",
                 "--baseline", "--report", str(report), "--csv", str(csv),
                 "--param", "segment__standardize=speaker", *FAST])
    assert code == 0
    assert [b.get_params()["segment__standardize"] for b in baselines] == ["speaker"]
    out = capsys.readouterr().out
    for session in ("Ses01", "Ses02", "Ses03"):
        assert f"MAEC      {session}" in out
    assert "mean +- std" in out
    data = json.loads(report.read_text())
    assert data["protocol"] == "loso" and len(data["folds"]) == 6  # 3 folds x 2 models
    assert {"UA", "WA", "F1"} <= set(data["summary"]["MAEC"])
    assert all(0 <= f["UA"] <= 1 for f in data["folds"])
    assert len(pd.read_csv(csv)) == 6


def test_evaluate_cross_corpus(releases, tmp_path, capsys):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed: the MELD-like release needs it for its mp4 media")
    code = main(["evaluate", "--iemocap", str(releases / "iemocap"), "--meld",
                 str(releases / "meld"), "--protocol", "cross-corpus", *FAST])
    assert code == 0
    assert "iemocap->meld" in capsys.readouterr().out


def test_cross_corpus_without_meld_is_a_user_error(releases, capsys):
    code = main(["evaluate", "--iemocap", str(releases / "iemocap"), "--protocol",
                 "cross-corpus", *FAST])
    assert code == 2
    err = capsys.readouterr().err
    assert "needs --meld" in err and "Traceback" not in err


def test_predict_a_directory_with_one_corrupt_file(model, releases, tmp_path, capsys):
    wavs = tmp_path / "wavs"
    wavs.mkdir()
    src = releases / "iemocap" / "IEMOCAP_full_release" / "Session1" / "sentences" / "wav"
    files = sorted(src.rglob("*.wav"))[:6]
    for f in files:
        shutil.copy(f, wavs / f.name)
    (wavs / "broken.wav").write_bytes(os.urandom(500))
    (wavs / "notes.txt").write_text("not audio")
    out = tmp_path / "preds.csv"
    code = main(["predict", str(model), str(wavs), "--out", str(out)])
    assert code == 1  # some inputs failed
    preds = pd.read_csv(out)
    assert len(preds) == 6 and not preds["file"].str.contains("broken").any()
    assert set(preds["label"]) <= {"neu", "hap", "sad", "ang"}
    proba = preds.filter(like="p_")
    assert ((proba.sum(axis=1) - 1).abs() < 1e-3).all()
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "broken.wav" in err


def test_predict_refuses_symlinks_leading_out_of_the_directory(model, releases, tmp_path):
    wavs = tmp_path / "w"
    wavs.mkdir()
    outside = next((releases / "iemocap").rglob("*.wav"))
    os.symlink(outside, wavs / "escape.wav")
    shutil.copy(outside, wavs / "inside.wav")
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(wavs), "--out", str(out)]) == 0
    assert list(pd.read_csv(out)["file"].map(os.path.basename)) == ["inside.wav"]


def test_predict_warns_before_loading_a_pickle(model, releases, tmp_path, capsys):
    from sklearn_maec.persistence import load_model

    pickled = tmp_path / "model.joblib"
    joblib.dump(load_model(model), pickled)
    wav = next((releases / "iemocap").rglob("*.wav"))
    assert main(["predict", str(pickled), str(wav)]) == 0
    captured = capsys.readouterr()
    assert "can run code when loaded" in captured.err
    assert captured.out.startswith("file,label,")


@pytest.mark.parametrize("argv, message", [
    (["predict", "missing.maec", "x.wav"], "model file not found"),
    (["fit", "--iemocap", "/no/such/dir", "--out", "m.maec"], "/no/such/dir"),
    (["fit", "--iemocap", ".", "--out", "m.maec", "--param", "nope=1"], "unknown parameter"),
    (["fit", "--iemocap", ".", "--out", "m.maec", "--param", "oops"], "KEY=VALUE"),
    (["make-corpus"], "give --iemocap"),
])
def test_user_errors_are_one_line_with_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_demo_and_console_script(tmp_path):
    out = tmp_path / "demo.joblib"
    exe = shutil.which("sklearn-maec") or os.path.join(os.path.dirname(sys.executable),
                                                       "sklearn-maec")
    proc = subprocess.run([exe, "demo", "--n-dialogues", "10", "--max-epochs", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    for needle in ["MAEC", "functionals + logistic regression", "majority class", "UA", "WA",
                   "macro-F1", "saved the fitted MAEC pipeline"]:
        assert needle in proc.stdout
    pipe = joblib.load(out)
    assert hasattr(pipe, "predict") and pipe.named_steps["segment"].memory is None


def test_python_dash_m_help():
    proc = subprocess.run([sys.executable, "-m", "sklearn_maec", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0
    for command in ["demo", "fit", "evaluate", "predict", "make-corpus"]:
        assert command in proc.stdout
