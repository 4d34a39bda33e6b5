"""Give the memory freed by a batch back to the system.

Every batch allocates tensors of a different size (bags of different lengths),
several megabytes each, freed after the step.  glibc's malloc serves them from
its heap and rarely returns freed heap memory to the system, so resident memory
climbs over the epochs.  :func:`release_freed_memory` after every batch
(``malloc_trim(0)``) hands the free pages back; the measurements behind the
choice are in ``benchmarks/RESULTS.md`` (Training).  It runs only on Linux with
glibc; set the environment variable ``SKLEARN_MAEC_KEEP_MALLOC=1`` to leave
malloc alone.
"""

import ctypes
import ctypes.util
import os
import sys

__all__ = ["release_freed_memory"]

_trim = None  # libc's malloc_trim, False where there is none


def _malloc_trim():
    global _trim
    if _trim is None:
        _trim = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _trim = libc.malloc_trim
            except (OSError, AttributeError):  # musl and other libcs have no malloc_trim
                pass
            else:
                _trim.argtypes = [ctypes.c_size_t]
                _trim.restype = ctypes.c_int
    return _trim


def release_freed_memory():
    """Return the heap's free pages to the system; returns whether anything was released."""
    if os.environ.get("SKLEARN_MAEC_KEEP_MALLOC"):
        return False
    trim = _malloc_trim()
    return bool(trim(0)) if trim else False
