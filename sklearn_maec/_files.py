"""Atomic file writes, shared by the model files, the CLI outputs and the frames cache."""

import os
import tempfile

__all__ = ["atomic_write"]


def atomic_write(path, write, suffix=".tmp"):
    """Write a file through a temporary one in its directory, moved into place when complete.

    An interrupted or failed write leaves neither a partial file nor the
    temporary one (named ``.tmp-*``), and an existing file at ``path`` stays
    as it was; with several writers the last one wins.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    write : callable
        ``write(tmp_path)`` writes the content to the given path.
    suffix : str, default=".tmp"
        Ending of the temporary name (for writers that append an extension
        unless the path already ends with it, such as ``numpy.savez``).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
