"""The torch threads a computation runs with: the default, its checks and a scope that restores.

:class:`~sklearn_maec.MAECClassifier`'s ``n_threads`` and the command line's
``--threads`` are the number of torch *intra-op* threads
(:func:`torch.set_num_threads`) while the network runs.  The count is set on
entering each method that runs the network and put back on leaving it, also
when the method raises or is interrupted (Ctrl-C), so the caller's process is
left as it was; None leaves torch's setting alone.

torch is imported inside the functions only: the command line reads
:data:`DEFAULT_N_THREADS` for its help without loading torch, and the
``features`` layer (which never imports torch at import time) may use the
scope too.
"""

import contextlib
import functools
import numbers

__all__ = ["DEFAULT_N_THREADS", "check_n_threads", "resolve_n_threads", "effective_n_threads",
           "torch_threads", "with_torch_threads"]

#: The default of ``MAECClassifier(n_threads=...)``, and so of the command line's ``--threads``.
#: One thread, by measurement (``benchmarks/bench_threads.py``, RESULTS.md): on an idle 2-core
#: machine two threads train 1.3x faster than one, but with one other CPU-bound process they
#: train 5.4x slower (OpenMP's spinning pool; ``OMP_WAIT_POLICY=PASSIVE`` makes the idle case
#: 1.24x slower instead); one thread is never much slower than the best.  The classifier's
#: docstring states it (``tests/test_threads.py`` checks that they agree).
DEFAULT_N_THREADS = 1


def check_n_threads(n_threads, name="n_threads"):
    """``n_threads`` as an int, or None; a ``ValueError`` naming ``name`` for anything else.

    Parameters
    ----------
    n_threads : int or None
        None, or a non-zero integer (negative: counted from the number of CPUs).
    name : str, default="n_threads"
        The parameter's name in the message.

    Returns
    -------
    n_threads : int or None
    """
    if n_threads is None:
        return None
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral) \
            or n_threads == 0:
        raise ValueError(f"{name} must be None or a non-zero int (-1: every CPU), got "
                         f"{n_threads!r}")
    return int(n_threads)


def resolve_n_threads(n_threads):
    """The thread count ``n_threads`` asks for: a positive int, or None (torch's own setting).

    A negative value counts from the CPUs the process may use, as scikit-learn's
    ``n_jobs``: ``-1`` every one of :func:`joblib.cpu_count`, ``-2`` all but
    one, and never fewer than one.

    Parameters
    ----------
    n_threads : int or None

    Returns
    -------
    threads : int or None
    """
    n_threads = check_n_threads(n_threads)
    if n_threads is None or n_threads > 0:
        return n_threads
    from joblib import cpu_count

    return max(cpu_count() + 1 + n_threads, 1)


def effective_n_threads(n_threads):
    """The intra-op threads torch runs with under ``n_threads`` (None: torch's setting now).

    Parameters
    ----------
    n_threads : int or None

    Returns
    -------
    threads : int
    """
    threads = resolve_n_threads(n_threads)
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    return threads


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run the block with torch at ``n_threads`` intra-op threads, then put the count back.

    None runs the block with torch's setting as it is.  The count torch had
    on entering is restored on leaving, whatever ends the block (an
    exception, a Ctrl-C).  torch has one setting per process: threads of one
    process that run such blocks at once see each other's counts.

    Parameters
    ----------
    n_threads : int or None
        As :func:`resolve_n_threads` reads it.

    Yields
    ------
    threads : int or None
        The count the block runs with (None: torch's own).
    """
    threads = resolve_n_threads(n_threads)
    if threads is None:
        yield None
        return
    import torch

    previous = torch.get_num_threads()
    if threads != previous:
        torch.set_num_threads(threads)
    try:
        yield threads
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def with_torch_threads(method):
    """Decorate a method of an estimator to run in :func:`torch_threads` of its ``n_threads``.

    Parameters
    ----------
    method : callable
        A method; its estimator's ``n_threads`` is read on each call (an
        estimator without one runs as :data:`DEFAULT_N_THREADS` says).

    Returns
    -------
    wrapped : callable
    """
    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        with torch_threads(getattr(self, "n_threads", DEFAULT_N_THREADS)):
            return method(self, *args, **kwargs)

    return wrapped
