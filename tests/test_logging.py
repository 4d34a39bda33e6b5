"""Output discipline: the library logs, never prints; verbose=0 is silent, verbose=1 shows progress.

Only the command-line interface (``sklearn_maec/cli.py``) writes to stdout and
stderr itself.  Everything else reports through :mod:`logging` (a
module-level ``logging.getLogger(__name__)``, under the ``"sklearn_maec"``
logger) and :mod:`warnings`; progress bars (tqdm for the extraction, skorch's
epoch table for training) appear only when ``verbose`` is greater than 0.
"""

import ast
import logging
import pathlib
import warnings

import numpy as np
import pytest

import sklearn_maec
from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter
from sklearn_maec.exceptions import MAECWarning
from sklearn_maec.model_selection import DialogueValidSplit

PACKAGE = pathlib.Path(sklearn_maec.__file__).parent
MAY_PRINT = {"cli.py"}  # the command-line interface talks to its user


def _library_files():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in MAY_PRINT)


def test_library_code_never_prints():
    offenders = []
    for path in _library_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "print":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr") \
                    and isinstance(node.value, ast.Name) and node.value.id == "sys":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} (sys.{node.attr})")
    assert not offenders, f"print / sys.stdout in library code (use logging): {offenders}"


def test_loggers_are_named_after_their_module():
    """A module's own logger is ``logging.getLogger(__name__)`` (under "sklearn_maec")."""
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:  # module-level assignments: the module's own logger
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                    and isinstance(node.value.func, ast.Attribute) \
                    and node.value.func.attr == "getLogger":
                args = node.value.args
                if not (args and isinstance(args[0], ast.Name) and args[0].id == "__name__"):
                    bad.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not bad, f"loggers not named by __name__: {bad}"


def _segment_and_fit(X, y, verbose):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)  # short utterances are zero-padded
        Xt = OpenSmileSegmenter(verbose=verbose).fit_transform(X)
        Xt = ContextTripleBuilder().fit_transform(Xt)
        clf = MAECClassifier(latent_dim=8, conv_channels=8, disc_hidden=16, max_epochs=2,
                             train_split=DialogueValidSplit(0.3, 0, min_dialogues=1,
                                                            min_utterances=1,
                                                            every_class=False),
                             random_state=0, verbose=verbose)
        clf.fit(Xt, y)
        clf.predict(Xt)
        clf.transform(Xt)
    return clf


def test_verbose_0_writes_nothing(tiny_corpus, capfd, caplog):
    """Not a byte on stdout or stderr (file descriptors included: openSMILE is C++)."""
    X, y = tiny_corpus
    with caplog.at_level(logging.WARNING, logger="sklearn_maec"):
        _segment_and_fit(X, y, verbose=0)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not [r for r in caplog.records if r.name.startswith("sklearn_maec")]


def test_verbose_1_shows_progress(tiny_corpus, capfd):
    X, y = tiny_corpus
    clf = _segment_and_fit(X, y, verbose=1)
    out, err = capfd.readouterr()
    assert "openSMILE" in err and f"{len(X)}/{len(X)}" in err  # tqdm's extraction bar
    # skorch's epoch table: a header and one line per epoch
    assert "epoch" in out and "train_loss" in out and "valid_loss" in out
    lines = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(lines) == len(clf.history_) == 2


@pytest.mark.parametrize("verbose", [0, 1])
def test_segmenter_progress_bar_follows_verbose(tiny_corpus, capfd, verbose):
    X, _ = tiny_corpus
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MAECWarning)
        Xt = OpenSmileSegmenter(verbose=verbose, n_jobs=2).fit_transform(X.iloc[:4])
    assert all(len(f) for f in Xt["frames"])
    out, err = capfd.readouterr()
    assert out == ""
    assert ("openSMILE" in err) == bool(verbose)
    assert np.isfinite(np.concatenate(list(Xt["frames"]))).all()


_CLI_WITH_LOGGING_LIBRARY = """
import logging, sys
import sklearn_maec.cli as cli


def command(args):
    logging.getLogger("torch._subclasses.fake_tensor").info("FakeTensor cache stats:")
    logging.getLogger("sklearn_maec.model._classifier").info("MAECClassifier: progress")
    logging.getLogger("somelibrary").warning("somelibrary: a real problem")
    return 0


cli.run_predict = command
package, root = logging.getLogger("sklearn_maec"), logging.getLogger()
before = (package.level, package.propagate, list(package.handlers), root.level, list(root.handlers))
code = cli.main(sys.argv[1:])
after = (package.level, package.propagate, list(package.handlers), root.level, list(root.handlers))
assert after == before, (before, after)
sys.exit(code)
"""


@pytest.mark.parametrize("flag", ["-v", None])
def test_cli_shows_this_package_and_no_other_library(flag):
    """``-v`` shows the package's progress; another library's INFO lines (torch's "FakeTensor
    cache stats") never, with or without it; the loggers are as they were afterwards.

    In a process of its own, as the command runs: no logging configured beforehand.
    """
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _CLI_WITH_LOGGING_LIBRARY, "predict",
                           "model.maec", "x.wav", *([flag] if flag else [])],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "FakeTensor" not in proc.stderr  # the root logger stays at WARNING
    assert proc.stderr.count("MAECClassifier: progress") == (1 if flag else 0)
    assert "somelibrary: a real problem" in proc.stderr  # other libraries' warnings still show


def test_warnings_point_at_the_callers_line(tiny_corpus, monkeypatch):
    """Through a Pipeline (and joblib's Memory in it) and skorch's fit: the user's own line.

    A fixed ``stacklevel`` pointed at ``sklearn/pipeline.py`` or ``skorch/classifier.py``.
    """
    from sklearn.pipeline import Pipeline

    X, y = tiny_corpus
    X = X.drop(columns=["gender"])  # the classifier warns that the gender head is not trained

    def one_class(self, X):  # the fitted model predicts one class: warned from skorch's fit
        return np.eye(len(self.classes_))[np.zeros(len(X), dtype=int)]

    monkeypatch.setattr(MAECClassifier, "predict_proba", one_class)
    pipe = Pipeline([("segment", OpenSmileSegmenter()), ("context", ContextTripleBuilder()),
                     ("maec", MAECClassifier(latent_dim=8, conv_channels=8, max_epochs=1,
                                             validation_fraction=None, random_state=0))])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.fit(X, y)
    ours = [w for w in caught if issubclass(w.category, MAECWarning)]
    texts = " | ".join(str(w.message) for w in ours)
    for needle in ("shorter than one window", "no row of the training data has a known gender",
                   "the fitted model predicts"):
        assert needle in texts
    assert {(w.filename, w.lineno) for w in ours} == {(__file__, _line_of("pipe.fit(X, y)"))}


def _line_of(code):
    """The line of this file holding ``code`` (once)."""
    (number,) = [k for k, line in enumerate(pathlib.Path(__file__).read_text().splitlines(), 1)
                 if line.strip() == code]
    return number


def test_a_warning_of_a_direct_call_points_at_it(tiny_corpus):
    X, _ = tiny_corpus
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        OpenSmileSegmenter().fit_transform(X)
    assert {w.filename for w in caught if issubclass(w.category, MAECWarning)} == {__file__}
