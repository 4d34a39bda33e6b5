"""Time another source tree of sklearn-maec on the same utterances (for bench_training.py).

A reference is a directory holding a ``sklearn_maec`` package, or a git
revision of this repository, extracted with ``git archive`` into a temporary
directory.  It runs in a worker process of the same Python with
``PYTHONPATH`` pointing at it (:mod:`_reference_worker`), which segments the
utterances with the reference's own segmenter and context builder (features
cached under ``<cache>/reference-<name>``) and fits the reference's
``MAECClassifier`` at its own defaults when asked, so that its epochs can be
timed alternately with the current code's in one run.
"""

import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


class ReferenceUnavailable(RuntimeError):
    """The reference tree could not be prepared or its worker failed."""


def _source_tree(reference, workdir):
    """The directory holding the reference's ``sklearn_maec`` package, and its name."""
    if os.path.isdir(os.path.join(reference, "sklearn_maec")):
        return os.path.abspath(reference), os.path.basename(os.path.abspath(reference))
    if shutil.which("git") is None:
        raise ReferenceUnavailable(f"{reference!r} is not a directory holding sklearn_maec/ and "
                                   "git is not installed to extract it as a revision")
    repo = os.path.dirname(HERE)
    archive = subprocess.run(["git", "-C", repo, "archive", "--format=tar", reference],
                             capture_output=True)
    if archive.returncode != 0:
        raise ReferenceUnavailable(f"{reference!r} is neither a directory holding sklearn_maec/ "
                                   f"nor a revision of {repo}: git archive says "
                                   f"{archive.stderr.decode(errors='replace').strip()}")
    tree = os.path.join(workdir, "tree")
    os.makedirs(tree)
    subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
    return tree, reference


class ReferenceFit:
    """A worker process fitting the reference's ``MAECClassifier`` on demand.

    Parameters
    ----------
    reference : str
        Directory holding ``sklearn_maec/``, or a git revision of this repository.
    X, y : DataFrame and array-like
        The utterances, before segmentation (the worker segments them itself).
    cache : str or None
        Cache directory of the benchmark; the reference's features go under
        ``reference-<name>`` inside it.
    epochs, threads : int
        Epochs per fit (the best is kept) and torch threads of the worker.
    device : str
        ``"cpu"`` or ``"cuda[:k]"``.

    Attributes
    ----------
    name : str
        The revision or the directory's name.
    segments : int
        Segments of the reference's table (to check that the data are the same).
    """

    def __init__(self, reference, X, y, cache, epochs, threads, device="cpu"):
        self._workdir = tempfile.mkdtemp(prefix="maec_reference_")
        try:
            tree, self.name = _source_tree(reference, self._workdir)
            data = os.path.join(self._workdir, "utterances.pkl")
            with open(data, "wb") as f:
                pickle.dump((X, y), f, protocol=pickle.HIGHEST_PROTOCOL)
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)
            features = os.path.join(cache, f"reference-{safe}") if cache else None
            env = dict(os.environ, PYTHONPATH=tree, PYTHONWARNINGS="ignore")
            self._proc = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "_reference_worker.py"), data,
                 features or "", str(epochs), str(threads), device],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
            ready = self._reply()
            os.remove(data)  # loaded by the worker; no copy of the corpus left behind
            if not ready["package"].startswith(tree):
                raise ReferenceUnavailable("the worker imported sklearn_maec from "
                                           f"{ready['package']}, not from the reference tree "
                                           f"{tree}")
            self.segments = ready["segments"]
        except BaseException:
            self.close()
            raise

    def _reply(self):
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            raise ReferenceUnavailable(f"the reference worker exited with status {code} (its error "
                                 "is printed above)")
        return json.loads(line)

    def fit_epoch(self):
        """Fit the reference at its defaults; the best epoch's seconds (skorch's ``dur``)."""
        self._proc.stdin.write("fit\n")
        self._proc.stdin.flush()
        return self._reply()["epoch"]

    def close(self):
        """Stop the worker and remove the temporary files."""
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self._workdir, ignore_errors=True)
