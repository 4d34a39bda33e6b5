"""The sklearn-maec command line: demo, make-corpus, fit, evaluate, predict; errors, exit codes."""

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
    assert json.loads(report.read_text())["params"]["segment__standardize"] == "'corpus'"
    assert "its own statistics" in captured.err
    # MELD's audio went where --audio-cache said, and it was said; the corpus is untouched
    assert sorted(os.listdir(audio / "test")) and f"into {audio}" in captured.err
    assert sorted(p.name for p in (releases / "meld").rglob("*")) == before


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
                   "macro-F1", "saved the fitted MAEC pipeline",
                   "except MAEC's 1 epoch (the default is", "MAEC - baseline:", "95 % interval",
                   "paired bootstrap over the 6 test dialogues", "verdict: "]:
        assert needle in proc.stdout
    pipe = joblib.load(out)
    assert hasattr(pipe, "predict") and pipe.named_steps["segment"].memory is None


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

    def damaged(args, need_meld=False):
        X, y = load(args, need_meld)
        y = y.astype(object)
        y[3] = np.nan if labels == "nan" else 7
        return X, y

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


def test_readme_python_version_matches_pyproject():
    import re

    with open(os.path.join(os.path.dirname(__file__), os.pardir, "pyproject.toml")) as fh:
        required = re.search(r'^requires-python\s*=\s*"([^"]+)"', fh.read(), re.MULTILINE)[1]
    minimum = re.fullmatch(r">=\s*(3\.\d+)", required).group(1)
    versions = set(re.findall(r"Python (3\.\d+)", _readme()))
    assert versions == {minimum}, (versions, required)


def test_readme_own_corpora_section_commands_parse():
    import re
    import shlex

    from sklearn_maec.cli import build_parser

    readme = _readme()
    section = readme[readme.index("## Your own IEMOCAP and MELD"):]
    section = section[:section.index("\n## ", 3)]
    commands = [" ".join(shlex.split(c.replace("\\\n", " ")))
                for c in re.findall(r"^sklearn-maec (?:[^\n]*\\\n)*[^\n]*", section,
                                    re.MULTILINE)]
    protocols = set()
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[1:])
        if args.command == "evaluate":
            protocols.add(args.protocol)
    assert protocols == {"loso", "cross-corpus"}
    assert "-v" in section and "minutes" in section and "docs" in section
