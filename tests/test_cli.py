"""The sklearn-maec command line: demo, make-corpus, fit, evaluate, predict; errors, exit codes."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

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
    from sklearn_maec import __version__
    from sklearn_maec.persistence import load_model, model_provenance

    pipe = load_model(model)
    assert [name for name, _ in pipe.steps] == ["segment", "context", "maec"]
    assert pipe.named_steps["maec"].latent_dim == 8
    provenance = model_provenance(model)  # what it was trained with, kept in the file
    assert provenance["versions"]["sklearn-maec"] == __version__
    assert provenance["threads"]["cpu_count"] == os.cpu_count()


def test_fit_prints_what_it_trained_with(releases, tmp_path, capsys):
    import torch

    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--out",
                 str(tmp_path / "m.joblib"), *FAST]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "saved to" in line]
    assert f"torch {torch.__version__}" in line and "scikit-learn" in line
    assert "kept in the file" not in line  # a pickle has no room for it


def test_report_values_are_json():
    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression

    from sklearn_maec._provenance import json_value

    assert json_value((np.int64(3), np.float32(0.5), None, "a", True)) == [3, 0.5, None, "a",
                                                                           True]
    assert json_value({1: np.arange(2)}) == {"1": [0, 1]}
    assert json_value(float("nan")) == "nan" and json_value(torch.optim.Adam) == \
        "torch.optim.adam.Adam"
    assert json_value(LogisticRegression(C=2)) == "LogisticRegression(C=2)"
    assert json_value(object()) == "builtins.object"  # not "<object at 0x...>"


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
    # every effective parameter of every model, the seed, the versions and the threads
    maec, baseline = data["params"]["MAEC"], data["params"]["baseline"]
    assert maec["maec__max_epochs"] == 1 and maec["maec__latent_dim"] == 8
    assert maec["maec__random_state"] == data["seed"] == 0
    assert maec["maec__lr"] == 1e-3 and maec["segment__window"] == 0.5  # defaults too
    assert maec["maec__optimizer"] == "torch.optim.adam.Adam"
    assert baseline["segment__standardize"] == "speaker" and baseline["classifier__max_iter"]
    assert data["command_line"]["max_epochs"] == 1 and data["n_left_out"] == 0
    versions = data["environment"]["versions"]
    assert set(versions) == {"sklearn-maec", "python", "torch", "skorch", "scikit-learn",
                             "numpy", "pandas", "opensmile"}
    assert all(isinstance(v, str) for v in versions.values())
    threads = data["environment"]["threads"]
    assert threads["cpu_count"] == os.cpu_count() and threads["torch_num_threads"] >= 1

    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    json.loads(report.read_text(), parse_constant=refuse)  # no NaN or Infinity


def test_evaluate_cross_corpus(releases, tmp_path, capsys, monkeypatch):
    """Each corpus standardised with its own statistics by default, for both models."""
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed: the MELD-like release needs it for its mp4 media")
    import sklearn_maec.cli as cli
    import sklearn_maec.pipeline

    fitted = []  # the pipelines evaluate builds: MAEC's and the baseline's
    build_maec, build_baseline = cli._maec_pipeline, sklearn_maec.pipeline.make_baseline_pipeline
    monkeypatch.setattr(cli, "_maec_pipeline", lambda *a, **kw: fitted.append(
        build_maec(*a, **kw)) or fitted[-1])
    monkeypatch.setattr(sklearn_maec.pipeline, "make_baseline_pipeline", lambda **kw: fitted.append(
        build_baseline(**kw)) or fitted[-1])
    before = sorted(p.name for p in (releases / "meld").rglob("*"))
    report, audio = tmp_path / "r.json", tmp_path / "meld audio"
    code = main(["evaluate", "--iemocap", str(releases / "iemocap"), "--meld",
                 str(releases / "meld"), "--protocol", "cross-corpus", "--baseline",
                 "--report", str(report), "--audio-cache", str(audio), *FAST])
    assert code == 0
    captured = capsys.readouterr()
    assert "iemocap->meld" in captured.out and "MELD (test):" in captured.out
    assert [p.get_params()["segment__standardize"] for p in fitted] == ["corpus", "corpus"]
    params = json.loads(report.read_text())["params"]
    assert params["MAEC"]["segment__standardize"] == "corpus"
    assert params["baseline"]["segment__standardize"] == "corpus"
    assert "its own statistics" in captured.err
    # MELD's audio went where --audio-cache said, and it was said; the corpus is untouched
    assert sorted(os.listdir(audio / "test")) and f"into {audio}" in captured.err
    assert sorted(p.name for p in (releases / "meld").rglob("*")) == before


def test_cross_corpus_without_meld_is_a_user_error(releases, capsys):
    code = main(["evaluate", "--iemocap", str(releases / "iemocap"), "--protocol",
                 "cross-corpus", *FAST])
    assert code == 2
    err = capsys.readouterr().err
    assert "only --iemocap was given" in err and "--meld ROOT" in err
    assert "Traceback" not in err


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
    (["make-corpus"], "give at least one of --iemocap DIR, --meld DIR, --ravdess DIR"),
    (["make-corpus", "--emodb", "x", "--speakers", "0"], "speakers"),
])
def test_user_errors_are_one_line_with_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_demo_and_console_script(tmp_path):
    from sklearn_maec.persistence import load_model, model_file_kind

    exe = shutil.which("sklearn-maec") or os.path.join(os.path.dirname(sys.executable),
                                                       "sklearn-maec")
    proc = subprocess.run([exe, "demo", "--n-dialogues", "10", "--max-epochs", "1"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for needle in ["MAEC", "functionals + logistic regression", "majority class", "UA", "WA",
                   "macro-F1", "saved the fitted MAEC pipeline to maec_demo.maec",
                   "except MAEC's 1 epoch (the default is", "MAEC - baseline:", "95 % interval",
                   "paired bootstrap over the 6 test dialogues", "verdict: "]:
        assert needle in proc.stdout
    out = tmp_path / "maec_demo.maec"  # by default the pickle-free format, not a pickle
    assert os.listdir(tmp_path) == ["maec_demo.maec"] and model_file_kind(out) == "pickle-free"
    pipe = load_model(out)
    assert hasattr(pipe, "predict") and pipe.named_steps["segment"].memory is None


def test_the_demo_saves_a_pickle_only_when_asked(tmp_path, monkeypatch):
    import sklearn_maec.cli as cli
    from sklearn_maec.cli import build_parser

    assert build_parser().parse_args(["demo"]).out == "maec_demo.maec"
    saved = []
    monkeypatch.setattr(cli, "_save", lambda model, path: saved.append(path))
    monkeypatch.setattr(cli, "_maec_pipeline", lambda *a, **kw: _Stub())
    monkeypatch.setattr("sklearn_maec.pipeline.make_baseline_pipeline", lambda **kw: _Stub())
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--n-dialogues", "10"]) == 0
    assert main(["demo", "--n-dialogues", "10", "--out", "x.joblib"]) == 0
    assert saved == ["maec_demo.maec", "x.joblib"]  # save_model_file picks by the name


class _Stub:
    """A pipeline that fits in no time and predicts the first label."""

    max_epochs = 1  # read by the demo off its last step (the stub is its own last step)

    def __getitem__(self, index):
        return self

    def fit(self, X, y):
        self.label_ = y[0]
        return self

    def predict(self, X):
        import numpy as np

        return np.full(len(X), self.label_)


def test_python_dash_m_help():
    proc = subprocess.run([sys.executable, "-m", "sklearn_maec", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0
    for command in ["demo", "fit", "evaluate", "predict", "make-corpus"]:
        assert command in proc.stdout


# --------------------------------------------------------------------------- issue 17
def _two_sessions(tmp_path):
    root = tmp_path / "iemocap"
    assert main(["make-corpus", "--iemocap", str(root), "--sessions", "2",
                 "--dialogues", "2"]) == 0
    return root


def test_ctrl_c_in_training_says_the_epoch_and_saves_nothing(releases, tmp_path, capsys,
                                                             monkeypatch):
    from sklearn.pipeline import Pipeline

    from sklearn_maec.exceptions import FitInterrupted

    def interrupted(self, X, y=None, **params):
        raise FitInterrupted(2, 40)

    monkeypatch.setattr(Pipeline, "fit", interrupted)
    out = tmp_path / "m.maec"
    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--out", str(out), *FAST]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines()[-1] == "interrupted (epoch 2 of 40)"
    assert not out.exists() and "saved" not in captured.out


def test_a_joblib_model_moved_to_another_directory_and_install_predicts(model, releases,
                                                                       tmp_path):
    """The model was fitted here with a cache; it is used from a copy of the package."""
    import sklearn_maec

    trained = tmp_path / "trained"
    trained.mkdir()
    wav = next((releases / "iemocap").rglob("*.wav"))
    cache = trained / "cache-iem"
    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--out",
                 str(trained / "m.joblib"), "--cache", str(cache), *FAST]) == 0
    site = tmp_path / "other install"
    shutil.copytree(os.path.dirname(sklearn_maec.__file__), site / "sklearn_maec",
                    ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(trained / "m.joblib", elsewhere / "m.joblib")
    shutil.rmtree(cache)
    script = ("import sys, sklearn_maec\n"
              f"assert sklearn_maec.__file__.startswith({str(site)!r}), sklearn_maec.__file__\n"
              "from sklearn_maec.cli import main\n"
              f"sys.exit(main(['predict', 'm.joblib', {str(wav)!r}]))\n")
    env = dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].startswith(str(wav))
    assert not cache.exists() and os.listdir(elsewhere) == ["m.joblib"]  # no cache made


@pytest.mark.parametrize("suffix", [".maec", ".joblib"])
def test_models_are_saved_without_the_cache_directory(releases, tmp_path, monkeypatch, suffix):
    import joblib

    from sklearn_maec.persistence import load_model

    monkeypatch.chdir(tmp_path)
    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--out", "m" + suffix,
                 "--cache", "cache-iem", *FAST]) == 0
    loaded = load_model("m.maec") if suffix == ".maec" else joblib.load("m.joblib")
    assert loaded.named_steps["segment"].memory is None
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    wav = next((releases / "iemocap").rglob("*.wav"))
    assert main(["predict", str(tmp_path / ("m" + suffix)), str(wav)]) == 0
    assert os.listdir(work) == []  # predict made no cache-iem/ where it ran


def test_predict_with_a_per_corpus_standardised_model(releases, tmp_path, capsys):
    path = tmp_path / "corpus.maec"
    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--out", str(path),
                 "--param", "segment__standardize=corpus", *FAST]) == 0
    wavs = sorted((releases / "iemocap").rglob("*.wav"))[:4]
    capsys.readouterr()
    assert main(["predict", str(path), *map(str, wavs)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 1 + len(wavs)
    assert "warning" not in captured.err  # four files: one new group of their own
    assert main(["predict", str(path), str(wavs[0])]) == 0  # alone: said, not hidden
    assert "predicted alone" in capsys.readouterr().err


def test_progress_is_shown_on_a_terminal_by_default(tmp_path, capsys, monkeypatch):
    import sklearn_maec.cli as cli

    root = _two_sessions(tmp_path)
    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)
    capsys.readouterr()
    assert main(["fit", "--iemocap", str(root), "--out", str(tmp_path / "m.maec"),
                 "--max-epochs", "2", "--param", "latent_dim=8",
                 "--param", "conv_channels=8"]) == 0
    captured = capsys.readouterr()
    assert "openSMILE" in captured.err  # the extraction's progress bar
    epochs = [line.split()[0] for line in captured.out.splitlines()
              if line.strip()[:1].isdigit()]
    assert epochs == ["1", "2"]  # one line per epoch
    assert main(["fit", "--iemocap", str(root), "--out", str(tmp_path / "q.maec"), "-q",
                 "--max-epochs", "1", "--param", "latent_dim=8",
                 "--param", "conv_channels=8"]) == 0
    captured = capsys.readouterr()
    assert "openSMILE" not in captured.err and "epoch" not in captured.out


def test_no_colour_codes_when_the_output_is_not_a_terminal(tmp_path, capsys):
    root = _two_sessions(tmp_path)
    capsys.readouterr()
    assert main(["fit", "--iemocap", str(root), "--out", str(tmp_path / "m.maec"), "-v",
                 "--max-epochs", "2", "--param", "latent_dim=8",
                 "--param", "conv_channels=8"]) == 0
    captured = capsys.readouterr()
    assert "train_loss" in captured.out  # the epoch log is there ...
    assert "\x1b[" not in captured.out + captured.err  # ... without colour codes


def test_evaluate_extracts_each_file_once_without_cache(tmp_path, monkeypatch):
    from sklearn_maec.features._extraction import EXTRACTION_LOG_ENV

    root = _two_sessions(tmp_path)
    log = tmp_path / "extractions.log"
    monkeypatch.setenv(EXTRACTION_LOG_ENV, str(log))
    private_tmp = tmp_path / "tmp"  # other tests' temporary caches (-n 2) are not ours
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    assert main(["evaluate", "--iemocap", str(root), "--baseline", *FAST]) == 0
    extracted = [line.split("\t")[1] for line in log.read_text().splitlines()]
    assert extracted and len(extracted) == len(set(extracted))  # 2 folds x 2 models: once
    leftovers = [p for p in os.listdir(private_tmp) if p.startswith("sklearn_maec_features_")]
    assert leftovers == []  # the temporary cache is gone


def test_fit_with_meld_trains_on_the_train_split_and_says_where_audio_goes(releases, tmp_path,
                                                                           capsys,
                                                                           monkeypatch):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed: the MELD-like release needs it for its mp4 media")
    from sklearn_maec.datasets import default_audio_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user cache"))
    before = sorted(p.name for p in (releases / "meld").rglob("*"))
    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--meld",
                 str(releases / "meld"), "--out", str(tmp_path / "m.maec"), *FAST]) == 0
    captured = capsys.readouterr()
    assert "MELD (train):" in captured.out  # not the test split cross-corpus tests on
    target = default_audio_cache(releases / "meld")
    assert target.startswith(str(tmp_path / "user cache"))
    assert f"into {target}" in captured.err and os.listdir(os.path.join(target, "train"))
    assert sorted(p.name for p in (releases / "meld").rglob("*")) == before


def test_an_unwritable_audio_cache_is_one_line(releases, tmp_path, capsys):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed: the MELD-like release needs it for its mp4 media")
    blocker = tmp_path / "a file"
    blocker.write_text("")
    code = main(["evaluate", "--iemocap", str(releases / "iemocap"), "--meld",
                 str(releases / "meld"), "--protocol", "cross-corpus",
                 "--audio-cache", str(blocker / "cache"), *FAST])
    assert code == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "error:" in line]
    assert "Traceback" not in err
    assert str(blocker / "cache") in line and "--audio-cache" in line


def test_a_missing_iemocap_session_is_named(tmp_path, capsys):
    root = tmp_path / "iemocap"
    assert main(["make-corpus", "--iemocap", str(root), "--sessions", "3",
                 "--dialogues", "1"]) == 0
    shutil.rmtree(root / "IEMOCAP_full_release" / "Session2")
    assert main(["fit", "--iemocap", str(root), "--out", str(tmp_path / "m.maec"), *FAST]) == 0
    captured = capsys.readouterr()
    assert "warning: IEMOCAP: Session2 not found" in captured.err
    assert "2 sessions (Ses01, Ses03)" in captured.out


@pytest.mark.parametrize("labels, needle", [("nan", "missing label"), ("mixed", "row")])
def test_bad_labels_are_one_line_naming_the_rows(releases, tmp_path, capsys, monkeypatch,
                                                 labels, needle):
    import numpy as np

    import sklearn_maec.cli as cli

    load = cli._load_corpora

    def damaged(*args, **kwargs):
        X, y, n_unreadable = load(*args, **kwargs)
        y = y.astype(object)
        y[3] = np.nan if labels == "nan" else 7
        return X, y, n_unreadable

    monkeypatch.setattr(cli, "_load_corpora", damaged)
    code = main(["fit", "--iemocap", str(releases / "iemocap"), "--out",
                 str(tmp_path / "m.maec"), *FAST])
    assert code == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "error:" in line]
    assert "Traceback" not in err
    assert needle in line and "utterance_id=" in line


@pytest.mark.parametrize("kind, message", [
    ("truncated .maec", "is truncated or damaged"),
    ("truncated .joblib", "the file is truncated"),
    ("joblib named .maec", "it is a pickle"),
    ("empty .joblib", "the file is empty"),
    ("a directory", "is a directory"),
])
def test_damaged_model_files_are_named_with_the_reason(model, releases, tmp_path, capsys,
                                                       kind, message):
    import joblib

    from sklearn_maec.persistence import load_model

    pipe = load_model(model)
    full = tmp_path / "full.joblib"
    joblib.dump(pipe, full)
    if kind == "truncated .maec":
        path = tmp_path / "m.maec"
        path.write_bytes(model.read_bytes()[:5000])
    elif kind == "truncated .joblib":
        path = tmp_path / "m.joblib"
        path.write_bytes(full.read_bytes()[:3000])
    elif kind == "joblib named .maec":
        path = tmp_path / "m.maec"
        shutil.copy(full, path)
    elif kind == "empty .joblib":
        path = tmp_path / "m.joblib"
        path.write_bytes(b"")
    else:
        path = tmp_path / "m.maec"
        path.mkdir()
    wav = next((releases / "iemocap").rglob("*.wav"))
    assert main(["predict", str(path), str(wav)]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert message in last and str(path) in last and "Traceback" not in err
    assert "weights_only" not in err and not last.endswith(": ")


def test_predict_names_a_very_short_file_and_a_directory_named_like_audio(model, tmp_path,
                                                                          capsys):
    import numpy as np
    import soundfile

    wavs = tmp_path / "in"
    wavs.mkdir()
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t)))
    soundfile.write(wavs / "ok.wav", tone.astype(np.float32), 16000)
    soundfile.write(wavs / "short.wav", tone[:800].astype(np.float32), 16000)  # 0.05 s
    (wavs / "adir.wav").mkdir()
    (tmp_path / "empty.wav").mkdir()
    assert main(["predict", str(model), str(wavs), str(tmp_path / "empty.wav")]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 3
    short = [line for line in captured.err.splitlines() if "short.wav" in line]
    assert len(short) == 1 and "0.05 s" in short[0] and "under half of one" in short[0]
    assert any("adir.wav" in line and "directory" in line for line in captured.err.splitlines())
    assert any("empty.wav" in line and "directory" in line for line in captured.err.splitlines())


def test_version(capsys):
    from sklearn_maec import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"sklearn-maec {__version__}")


def test_predict_help_explains_its_inputs(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    out = capsys.readouterr().out
    text = " ".join(out[out.index("FILE_OR_DIR  "):].split())
    assert "audio files" in text and "directories" in text


def _readme():
    return open(os.path.join(os.path.dirname(__file__), os.pardir, "README.md")).read()


def test_every_page_names_the_python_version_of_pyproject():
    """The README and every documentation page: the one ``requires-python`` minimum."""
    import pathlib
    import re

    root = pathlib.Path(__file__).parent.parent
    required = re.search(r'^requires-python\s*=\s*"([^"]+)"', (root / "pyproject.toml").read_text(),
                         re.MULTILINE)[1]
    minimum = re.fullmatch(r">=\s*(3\.\d+)", required).group(1)
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.rst"))]
    found = {}
    for page in pages:
        if "_build" in page.parts or "generated" in page.parts:
            continue
        for version in re.findall(r"Python (3\.\d+)", page.read_text()):
            found.setdefault(version, []).append(str(page.relative_to(root)))
    assert set(found) == {minimum}, (found, required)
    assert "README.md" in found[minimum] and "docs/getting_started.rst" in found[minimum]


def _readme_section(title):
    """A README section (from its ``## title`` to the next one) and its commands, parsed."""
    import re
    import shlex

    from sklearn_maec.cli import build_parser

    readme = _readme()
    section = readme[readme.index(f"## {title}"):]
    section = section[:section.index("\n## ", 3)]
    commands = [" ".join(shlex.split(c.replace("\\\n", " ")))
                for c in re.findall(r"^sklearn-maec (?:[^\n]*\\\n)*[^\n]*", section,
                                    re.MULTILINE)]
    return section, [build_parser().parse_args(shlex.split(c)[1:]) for c in commands]


def test_readme_own_corpora_section_commands_parse():
    section, runs = _readme_section("Your own IEMOCAP and MELD")
    protocols = {args.protocol for args in runs if args.command == "evaluate"}
    assert protocols == {"loso", "cross-corpus"}
    assert "-v" in section and "minutes" in section and "docs" in section


# --------------------------------------------------------------------------- issue 29
def _with_an_emptied_wav(releases, tmp_path, header_only=False):
    """A copy of the release where one utterance's own wav is emptied (0 bytes or a bare header)."""
    from sklearn_maec.datasets import load_iemocap

    root = tmp_path / "iemocap"
    shutil.copytree(releases / "iemocap", root)
    X, _ = load_iemocap(root)
    victim = X["audio"].iloc[3]
    with open(victim, "rb") as fh:
        header = fh.read(44)
    with open(victim, "wb") as fh:
        fh.write(header if header_only else b"")
    return root, len(X), X["utterance_id"].iloc[3]


@pytest.mark.parametrize("header_only", [False, True])
def test_corrupt_audio_without_skip_missing_advises_the_command_line_flag(releases, tmp_path,
                                                                          capsys, header_only):
    root, _, victim = _with_an_emptied_wav(releases, tmp_path, header_only)
    code = main(["fit", "--iemocap", str(root), "--out", str(tmp_path / "m.maec"), *FAST])
    assert code == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "error:" in line]
    assert victim in line and "Traceback" not in err
    assert "--skip-missing" in line and "on_error" not in line  # the CLI's spelling
    assert ":;" not in line and ".;" not in line and "row(s): row" in line


def test_skip_missing_leaves_out_corrupt_audio_and_counts_it(releases, tmp_path, capsys):
    root, n, victim = _with_an_emptied_wav(releases, tmp_path)
    out = tmp_path / "m.maec"
    assert main(["fit", "--iemocap", str(root), "--out", str(out), "--skip-missing",
                 *FAST]) == 0
    captured = capsys.readouterr()
    assert f"trained on {n - 1} utterances (1 of the {n} left out: its audio could not be " \
           "read)" in captured.out
    assert out.exists() and victim in captured.err  # the warning names it
    report = tmp_path / "r.json"
    assert main(["evaluate", "--iemocap", str(root), "--skip-missing", "--baseline",
                 "--report", str(report), *FAST]) == 0
    captured = capsys.readouterr()
    assert f"evaluating on {n - 1} utterances (1 of the {n} left out" in captured.out
    folds = json.loads(report.read_text())["folds"]
    for model_name in ("MAEC", "baseline"):  # both models on the same utterances
        mine = [f for f in folds if f["model"] == model_name]
        assert sum(f["n_test"] for f in mine) == n - 1


def test_python_callers_keep_the_python_advice():
    from sklearn_maec.exceptions import ExtractionError

    error = ExtractionError({0: "row 0 ('u0', audio 'a.wav'): audio is empty (0 samples)"})
    assert "Pass on_error='warn'" in str(error)
    cli_error = error.advising("--skip-missing")
    assert "Pass --skip-missing" in str(cli_error) and "on_error" not in str(cli_error)
    assert cli_error.errors == error.errors and isinstance(cli_error, ValueError)
    import pickle

    assert str(pickle.loads(pickle.dumps(cli_error))) == str(cli_error)


def test_error_lines_read_as_sentences():
    from sklearn_maec.cli import _one_line

    text = ("feature extraction failed for 2 row(s):\n  row 1 ('u1', audio 'a.wav'): Format "
            "not recognised.\n  row 2 ('u2', audio 'b.wav'): audio is empty\n  ... and 3 more\n"
            "Every other row was processed.")
    assert _one_line(text) == (
        "feature extraction failed for 2 row(s): row 1 ('u1', audio 'a.wav'): Format not "
        "recognised; row 2 ('u2', audio 'b.wav'): audio is empty; ... and 3 more. Every other "
        "row was processed.")
    assert _one_line("one line") == "one line"


def test_predict_reports_a_missing_path_like_any_bad_input(model, releases, tmp_path, capsys):
    wavs = sorted((releases / "iemocap").rglob("*.wav"))[:2]
    missing, gone = tmp_path / "no such.wav", tmp_path / "no such dir"
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"")
    code = main(["predict", str(model), str(wavs[0]), str(missing), str(gone), str(broken),
                 str(wavs[1])])
    assert code == 1  # some inputs failed, the rest are labelled
    captured = capsys.readouterr()
    rows = pd.read_csv(io.StringIO(captured.out))
    assert list(rows["file"]) == [str(wavs[0]), str(wavs[1])]
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert errors[:2] == [f"error: {missing}: no such file or directory",
                          f"error: {gone}: no such file or directory"]
    assert len(errors) == 3 and str(broken) in errors[2] and "Traceback" not in captured.err
    assert main(["predict", str(model), str(missing)]) == 1  # nothing to label: still exit 1
    captured = capsys.readouterr()
    assert captured.out.startswith("file,label,") and len(captured.out.splitlines()) == 1


_SLOW_IMPORT_HOOK = '''
import importlib.abc, sys, time


class SlowNumpy(importlib.abc.MetaPathFinder):
    """Sleeps on the first import of numpy (the first library the command imports)."""

    def find_spec(self, name, path=None, target=None):
        if name == "numpy":
            sys.meta_path.remove(self)
            sys.stderr.write("importing numpy\\n")
            sys.stderr.flush()
            time.sleep(120)
        return None


sys.meta_path.insert(0, SlowNumpy())
'''


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, which Windows has not")
@pytest.mark.parametrize("entry", [
    # python -m sklearn_maec
    "import runpy; runpy.run_module('sklearn_maec', run_name='__main__', alter_sys=True)",
    # the sklearn-maec console script ([project.scripts] sklearn_maec.cli:main)
    "from sklearn_maec.cli import main; sys.exit(main())",
])
def test_ctrl_c_while_the_libraries_load_is_one_line(tmp_path, entry):
    import select
    import signal

    (tmp_path / "slow_numpy_hook.py").write_text(_SLOW_IMPORT_HOOK)
    script = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import slow_numpy_hook; "
              f"sys.argv = ['sklearn-maec', 'demo', '--out', {str(tmp_path / 'm.maec')!r}]; "
              f"{entry}")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 120)
        assert ready and proc.stderr.readline() == "importing numpy\n"  # the import has begun
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["interrupted"] and out == ""


# --------------------------------------------------------------------------- issue 31: any corpus
@pytest.fixture(scope="module")
def acted(tmp_path_factory):
    """Miniature EmoDB and EMOVO releases (3 speakers, 2 sentences: 24 four-class files each)."""
    root = tmp_path_factory.mktemp("acted")
    assert main(["make-corpus", "--emodb", str(root / "emodb"), "--emovo", str(root / "emovo"),
                 "--speakers", "3", "--sentences", "2"]) == 0
    return root


def test_make_corpus_writes_every_acted_release(tmp_path, capsys):
    from sklearn_maec import datasets

    args = ["make-corpus", "--speakers", "5", "--sentences", "1"]  # TESS has 2 speakers only
    for name in ("ravdess", "cremad", "emodb", "emovo", "tess", "savee"):
        args += [f"--{name}", str(tmp_path / name)]
    assert main(args) == 0
    out = capsys.readouterr().out
    for name, speakers in (("ravdess", 5), ("cremad", 5), ("emodb", 5), ("emovo", 5),
                           ("tess", 2), ("savee", 4)):
        X, y = getattr(datasets, f"load_{name}")(tmp_path / name)
        assert X["speaker"].nunique() == speakers and set(y) == {"neu", "hap", "sad", "ang"}
        assert (X["end"] > 0.8).all()  # a second of audio: a whole 0.5 s segment or more
    assert "EmoDB-like release written to" in out and "CREMA-D-like" in out


def test_evaluate_loso_leaves_one_speaker_out_of_an_acted_corpus(acted, tmp_path, capsys):
    report = tmp_path / "r.json"
    assert main(["evaluate", "--emovo", str(acted / "emovo"), "--protocol", "loso",
                 "--report", str(report), *FAST]) == 0
    captured = capsys.readouterr()
    assert "EMOVO: 24 utterances, 3 speakers" in captured.out
    assert "leave-one-speaker-out within EMOVO: 3 folds" in captured.out
    folds = [line.split()[1] for line in captured.out.splitlines()
             if line.startswith("MAEC ") and "mean" not in line]
    assert folds == ["emovo_f1", "emovo_f2", "emovo_m1"]  # one line per speaker left out
    assert "(speaker emovo_f1 left out)" in captured.err
    data = json.loads(report.read_text())
    assert data["corpora"] == ["emovo"] and data["held_out"] == "speaker"
    assert data["train_corpora"] == data["test_corpora"] == ["emovo"]
    assert [f["n_test"] for f in data["folds"]] == [8, 8, 8]
    assert data["params"]["MAEC"]["segment__standardize"] is True  # in-corpus: the default


def test_evaluate_iemocap_loso_says_it_leaves_out_sessions(releases, capsys):
    assert main(["evaluate", "--iemocap", str(releases / "iemocap"), *FAST]) == 0
    captured = capsys.readouterr()
    assert "leave-one-session-out within IEMOCAP: 3 folds" in captured.out
    assert "(session Ses01 left out)" in captured.err


def test_evaluate_cross_corpus_between_acted_corpora(acted, tmp_path, capsys):
    report = tmp_path / "r.json"
    assert main(["evaluate", "--emodb", str(acted / "emodb"), "--emovo", str(acted / "emovo"),
                 "--protocol", "cross-corpus", "--train", "emodb", "--test", "emovo",
                 "--baseline", "--report", str(report), *FAST]) == 0
    captured = capsys.readouterr()
    assert "cross-corpus: training on EmoDB, testing on EMOVO (1 fold)" in captured.out
    assert "MAEC      emodb->emovo" in captured.out and "baseline  emodb->emovo" in captured.out
    data = json.loads(report.read_text())
    assert data["protocol"] == "cross-corpus" and data["held_out"] == "corpus"
    assert (data["corpora"], data["train_corpora"], data["test_corpora"]) == (
        ["emodb", "emovo"], ["emodb"], ["emovo"])
    assert [(f["n_train"], f["n_test"]) for f in data["folds"]] == [(24, 24)] * 2
    for model_name in ("MAEC", "baseline"):  # each corpus standardised with its own statistics
        assert data["params"][model_name]["segment__standardize"] == "corpus"
    # the other way round, with the training corpus left to its default (the other one)
    assert main(["evaluate", "--emodb", str(acted / "emodb"), "--emovo", str(acted / "emovo"),
                 "--protocol", "cross-corpus", "--test", "emodb", *FAST]) == 0
    assert "MAEC      emovo->emodb" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    ([], "give at least one corpus: --iemocap ROOT, --meld ROOT, --ravdess ROOT"),
    (["--emodb", "E", "--emovo", "V"], "--protocol loso evaluates within one corpus, got "
                                       "--emodb, --emovo"),
    (["--meld", "M"], "MELD has no leave-one-out protocol"),
    (["--emodb", "E", "--train", "emodb"], "--train and --test choose the corpora of "
                                           "--protocol cross-corpus"),
    (["--emodb", "E", "--protocol", "cross-corpus"], "only --emodb was given"),
    (["--emodb", "E", "--emovo", "V", "--protocol", "cross-corpus"],
     "say which corpus to train on with --train (emodb or emovo)"),
    (["--emodb", "E", "--emovo", "V", "--protocol", "cross-corpus", "--train", "ravdess"],
     "--train ravdess: no --ravdess ROOT was given (the corpora given: --emodb, --emovo)"),
    (["--emodb", "E", "--emovo", "V", "--protocol", "cross-corpus", "--test", "tess"],
     "--test tess: no --tess ROOT was given"),
    (["--emodb", "E", "--emovo", "V", "--protocol", "cross-corpus", "--train", "emodb",
      "--test", "emodb"], "--train and --test both name emodb"),
    (["--emodb", "E", "--emovo", "V", "--protocol", "cross-corpus", "--train", "emodb",
      "--train", "emovo"], "--train names every corpus given: none is left to test on"),
    (["--emodb", "E", "--emovo", "V", "--tess", "T", "--protocol", "cross-corpus", "--train",
      "emodb", "--test", "emovo"], "--tess is given but neither trained nor tested on"),
])
def test_evaluate_refuses_corpora_its_protocol_cannot_use(argv, message, capsys):
    """Checked before anything is loaded: the roots need not exist."""
    assert main(["evaluate", *argv, *FAST]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_fit_pools_the_corpora_given(acted, tmp_path, capsys):
    from sklearn_maec.persistence import load_model

    out = tmp_path / "m.maec"
    assert main(["fit", "--emodb", str(acted / "emodb"), "--emovo", str(acted / "emovo"),
                 "--out", str(out), *FAST]) == 0
    captured = capsys.readouterr().out
    assert "EmoDB: 24 utterances" in captured and "EMOVO: 24 utterances" in captured
    assert "trained on 48 utterances in" in captured
    assert list(load_model(out).classes_) == ["ang", "hap", "neu", "sad"]


def test_skip_missing_covers_the_acted_corpora(tmp_path, capsys):
    from sklearn_maec.datasets import make_acted_layout

    root = tmp_path / "savee"
    make_acted_layout(root, "savee", speakers=3, sentences=2, duration=1.0, unreadable=2)
    argv = ["--savee", str(root), *FAST]
    assert main(["fit", *argv, "--out", str(tmp_path / "m.maec")]) == 2
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert "sa01.wav (an empty file)" in line
    assert "Pass --skip-missing" in line and "on_missing" not in line  # the CLI's spelling
    assert main(["fit", *argv, "--skip-missing", "--out", str(tmp_path / "m.maec")]) == 0
    captured = capsys.readouterr()
    assert "trained on 28 utterances (2 of the 30 left out: their audio could not be read)" \
        in captured.out
    assert "sa01.wav" in captured.err  # the warning names them
    report = tmp_path / "r.json"
    assert main(["evaluate", *argv, "--skip-missing", "--report", str(report)]) == 0
    assert "evaluating on 28 utterances (2 of the 30 left out" in capsys.readouterr().out
    data = json.loads(report.read_text())
    assert data["n_left_out"] == 2 and sum(f["n_test"] for f in data["folds"]) == 28


def test_predict_skips_hidden_files_of_a_directory(model, acted, capsys):
    wavs = acted / "emodb" / "wav"
    assert any(p.name.startswith("._") for p in wavs.iterdir())  # make-corpus writes one
    assert main(["predict", str(model), str(wavs)]) == 0
    captured = capsys.readouterr()
    visible = [p for p in wavs.iterdir() if p.suffix == ".wav" and not p.name.startswith(".")]
    assert len(captured.out.strip().splitlines()) == 1 + len(visible)
    assert "error" not in captured.err


def test_free_corpora_section_commands_parse():
    section, runs = _readme_section("The free corpora")
    evaluations = {(a.protocol, a.emodb is not None, a.emovo is not None, tuple(a.train or ()))
                   for a in runs if a.command == "evaluate"}
    assert evaluations == {("loso", True, False, ()), ("cross-corpus", True, True, ("emodb",))}
    assert any(a.command == "make-corpus" for a in runs)


def _shared_data():
    """The real corpora: $SKLEARN_MAEC_SHARED_DATA, else ../shared/data beside the repository."""
    import pathlib

    env = os.environ.get("SKLEARN_MAEC_SHARED_DATA")
    return pathlib.Path(env) if env else \
        pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.slow
def test_real_emodb_to_emovo(tmp_path, capsys):
    """The README's cross-corpus command on the real corpora, one epoch (a single fit)."""
    data = _shared_data()
    for corpus in ("emodb", "emovo"):
        if not (data / corpus).is_dir():
            pytest.skip(f"the real {corpus} corpus is not at {data / corpus} (set "
                        "SKLEARN_MAEC_SHARED_DATA to the folder holding emodb/ and emovo/)")
    report = tmp_path / "r.json"
    assert main(["evaluate", "--emodb", str(data / "emodb"), "--emovo", str(data / "emovo"),
                 "--protocol", "cross-corpus", "--train", "emodb", "--test", "emovo",
                 "--max-epochs", "1", "--threads", "1", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "EmoDB: 339 utterances, 10 speakers" in out and "EMOVO: 336 utterances, 6 speakers" \
        in out
    (fold,) = json.loads(report.read_text())["folds"]
    assert (fold["fold"], fold["n_train"], fold["n_test"]) == ("emodb->emovo", 339, 336)
    assert 0 <= fold["UA"] <= 1


# --------------------------------------------------------------------------- issue 29: --threads
def test_threads_reach_the_classifier_and_the_report(releases, tmp_path, capsys, monkeypatch):
    import torch

    from sklearn_maec.model.nn import MAECNetwork
    from sklearn_maec.persistence import load_model

    before = torch.get_num_threads()
    asked = 2 if before == 1 else 1
    seen = []
    forward = MAECNetwork.forward
    monkeypatch.setattr(MAECNetwork, "forward", lambda self, *a, **kw: seen.append(
        torch.get_num_threads()) or forward(self, *a, **kw))
    out = tmp_path / "m.maec"
    assert main(["fit", "--iemocap", str(releases / "iemocap"), "--out", str(out),
                 "--threads", str(asked), *FAST]) == 0
    assert set(seen) == {asked} and torch.get_num_threads() == before
    assert load_model(out).named_steps["maec"].n_threads == asked
    assert f"torch at {asked} thread(s)" in capsys.readouterr().out
    # predict runs the model at --threads too (the file's own setting otherwise)
    seen.clear()
    wav = next((releases / "iemocap").rglob("*.wav"))
    assert main(["predict", str(out), str(wav), "--threads", str(before)]) == 0
    assert set(seen) == {before}
    seen.clear()
    assert main(["predict", str(out), str(wav)]) == 0
    assert set(seen) == {asked}
    # evaluate's report: the parameter, and the threads the network ran with
    report = tmp_path / "r.json"
    assert main(["evaluate", "--iemocap", str(releases / "iemocap"), "--threads", str(asked),
                 "--report", str(report), *FAST]) == 0
    data = json.loads(report.read_text())
    assert data["params"]["MAEC"]["maec__n_threads"] == asked
    assert data["environment"]["threads"]["torch_num_threads"] == asked
    assert data["command_line"]["threads"] == asked


def test_threads_default_to_the_classifiers_and_refuse_zero(capsys, monkeypatch):
    import sklearn_maec.cli as cli
    from sklearn_maec._threads import DEFAULT_N_THREADS

    assert cli._maec_pipeline().named_steps["maec"].n_threads is DEFAULT_N_THREADS
    assert cli._maec_pipeline(threads=-1).named_steps["maec"].n_threads == -1
    assert cli.build_parser().parse_args(["fit", "--emodb", "E", "--out", "m"]).threads is None
    built = []  # the demo passes --threads on
    monkeypatch.setattr(cli, "_maec_pipeline", lambda *a, **kw: built.append(kw) or _Stub())
    monkeypatch.setattr("sklearn_maec.pipeline.make_baseline_pipeline", lambda **kw: _Stub())
    monkeypatch.setattr(cli, "_save", lambda model, path: None)
    assert main(["demo", "--n-dialogues", "10", "--threads", "3"]) == 0
    assert main(["demo", "--n-dialogues", "10"]) == 0
    assert [kw["threads"] for kw in built] == [3, None]  # None: the classifier's default
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["fit", "--emodb", "E", "--out", "m.maec", "--threads", "0"])
    assert "expected a non-zero integer" in capsys.readouterr().err


# --------------------------------------------------------------------------- issue 32: --encoder
def test_encoder_reaches_fit_evaluate_and_predict(acted, checkpoints, tmp_path, capsys):
    """--encoder: MAEC over the checkpoint's frames, the probe as the baseline, predict with it."""
    encoder = str(checkpoints["whisper"])
    model = tmp_path / "m.maec"
    assert main(["fit", "--emodb", str(acted / "emodb"), "--encoder", encoder,
                 "--out", str(model), *FAST]) == 0
    from sklearn_maec import PretrainedSegmenter
    from sklearn_maec.persistence import load_model

    loaded = load_model(model)
    assert isinstance(loaded.named_steps["segment"], PretrainedSegmenter)
    assert loaded.named_steps["segment"].segmentation_.frame_step == 0.02
    report = tmp_path / "r.json"
    capsys.readouterr()
    assert main(["evaluate", "--emodb", str(acted / "emodb"), "--emovo", str(acted / "emovo"),
                 "--protocol", "cross-corpus", "--train", "emodb", "--baseline",
                 "--encoder", encoder, "--report", str(report), *FAST]) == 0
    data = json.loads(report.read_text())
    # the baseline over an encoder's frames is their linear probe: the mean frame, scaled, LR
    assert data["params"]["baseline"]["segment__encoder"] == encoder
    assert data["params"]["baseline"]["functionals__statistics"] == ["mean"]
    assert data["params"]["MAEC"]["segment__encoder"] == encoder
    wavs = sorted(p for p in (acted / "emovo").rglob("*.wav") if not p.name.startswith("."))[:2]
    capsys.readouterr()
    assert main(["predict", str(model), *map(str, wavs), str(tmp_path / "gone.wav"),
                 "--n-jobs", "1"]) == 1  # the missing file is reported, the others labelled
    captured = capsys.readouterr()
    assert captured.out.count(".wav,") == 2
    assert "gone.wav: no such file or directory" in captured.err


def test_encoder_errors_are_one_line(acted, tmp_path, capsys):
    code = main(["fit", "--emodb", str(acted / "emodb"), "--encoder", str(tmp_path / "nope"),
                 "--out", str(tmp_path / "m.maec"), *FAST])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "nope" in err
