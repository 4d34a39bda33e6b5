"""The demo's comparison (sklearn_maec._demo): the split, the verdict's wording, a run."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from sklearn_maec._demo import (
    BASELINE,
    N_DIALOGUES,
    N_SESSIONS,
    TRAIN_SESSIONS,
    compare,
    demo_corpus,
    verdict,
)
from sklearn_maec.pipeline import make_baseline_pipeline, make_maec_pipeline


def _comparison(difference, low, high):
    return {"difference": difference, "low": low, "high": high, "metric": "UA",
            "confidence": 0.95, "n_groups": 60, "n_resamples": 2000}


def test_verdict_names_a_winner_only_when_the_interval_excludes_zero():
    assert verdict(_comparison(0.08, 0.04, 0.12)) == \
        "MAEC ahead by 0.080 UA (95 % interval 0.040 to 0.120)"
    assert verdict(_comparison(-0.05, -0.09, -0.01)) == \
        f"{BASELINE} ahead by 0.050 UA (95 % interval 0.010 to 0.090)"
    assert verdict(_comparison(0.02, -0.03, 0.07)) == (
        f"no clear winner on this split (MAEC - {BASELINE}: +0.020 UA, 95 % interval -0.030 "
        "to +0.070)")
    # an end on zero is no evidence either way
    assert verdict(_comparison(0.04, 0.0, 0.08)).startswith("no clear winner")
    assert verdict(_comparison(-0.04, -0.08, 0.0)).startswith("no clear winner")
    other = dict(_comparison(0.1, 0.05, 0.15), metric="WA", confidence=0.9)
    assert verdict(other, names=("A", "B")) == "A ahead by 0.100 WA (90 % interval 0.050 to 0.150)"


def test_the_cli_runs_the_library_defaults():
    from sklearn_maec.cli import build_parser

    args = build_parser().parse_args(["demo"])
    assert (args.n_dialogues, args.max_epochs) == (N_DIALOGUES, None)  # None: the classifier's


@pytest.fixture(scope="module")
def tiny():
    # one dialogue of 4-6 short turns per session
    return demo_corpus(0, n_dialogues=N_SESSIONS, turns_per_dialogue=(4, 6), duration_median=1.2,
                       duration_range=(0.6, 4.0))


def test_demo_corpus_trains_on_the_first_sessions(tiny):
    X, y, train = tiny
    sessions = list(dict.fromkeys(X["session"]))
    assert len(sessions) == N_SESSIONS
    assert set(X.loc[train, "session"]) == set(sessions[:TRAIN_SESSIONS])
    # nothing of the test side was heard in training: speakers, dialogues
    assert not set(X.loc[train, "speaker"]) & set(X.loc[~train, "speaker"])
    assert not set(X.loc[train, "dialogue"]) & set(X.loc[~train, "dialogue"])
    assert len(y) == len(X)
    for bad in [dict(n_dialogues=3, n_sessions=4, n_train_sessions=2),
                dict(n_dialogues=4, n_sessions=4, n_train_sessions=4),
                dict(n_dialogues=4, n_sessions=4, n_train_sessions=0)]:
        with pytest.raises(ValueError, match="a dialogue per session and sessions on both"):
            demo_corpus(0, **bad)


def test_compare_end_to_end(tiny, tmp_path):
    X, y, train = tiny
    lines = []
    maec = make_maec_pipeline(memory=tmp_path, max_epochs=2, random_state=0)
    baseline = make_baseline_pipeline(memory=tmp_path)
    result = compare(maec, baseline, X, y, train, seed=0, echo=lines.append)
    out = "\n".join(lines)
    assert set(result.scores) == {"MAEC", BASELINE, "majority class"}
    c = result.comparison
    assert c["n_groups"] == X.loc[~train, "dialogue"].nunique() == N_SESSIONS - TRAIN_SESSIONS
    assert c["difference"] == pytest.approx(result.scores["MAEC"]["UA"]
                                            - result.scores[BASELINE]["UA"])
    assert c["low"] <= c["high"]
    assert result.verdict == verdict(c)
    assert f"verdict: {result.verdict}" in out
    assert f"{X.loc[~train, 'speaker'].nunique()} unseen speakers" in out
    assert "library's defaults, except MAEC's 2 epochs (the default is 50)" in out
    assert f"paired bootstrap over the {N_SESSIONS - TRAIN_SESSIONS} test dialogues" in out
    for name in ("MAEC", BASELINE, "majority class"):
        assert any(line.startswith(name) for line in lines)
    assert hasattr(maec, "classes_") and hasattr(baseline, "classes_")  # both fitted
    assert set(result.seconds) == {"MAEC", BASELINE}
    # the majority class row is the training set's most frequent emotion
    labels, counts = np.unique(y[train], return_counts=True)
    majority = np.mean(y[~train] == labels[counts.argmax()])
    assert result.scores["majority class"]["WA"] == pytest.approx(majority)

    # benchmarks/bench_demo.py reads these lines back
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_demo.py"
    spec = importlib.util.spec_from_file_location("bench_demo", bench)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parsed = module.parse(out)
    assert parsed["maec_UA"] == pytest.approx(result.scores["MAEC"]["UA"], abs=5e-4)
    assert parsed["baseline_UA"] == pytest.approx(result.scores[BASELINE]["UA"], abs=5e-4)
    assert parsed["low"] == pytest.approx(c["low"], abs=5e-4)
    assert parsed["verdict"] == result.verdict
    assert parsed["winner"] == ("MAEC" if c["low"] > 0 else "baseline" if c["high"] < 0
                                else "none")
