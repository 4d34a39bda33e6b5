"""Give the memory freed by a batch back to the system.

Every batch allocates tensors of a different size (bags of different lengths),
several megabytes each, freed after the step.  glibc's malloc serves them from
its heap and rarely returns freed heap memory to the system, so resident memory
climbs over the epochs.  :func:`release_freed_memory`, called after every
batch, hands the free pages back (``malloc_trim(0)``) every few batches; the
measurements behind the choice are in ``benchmarks/RESULTS.md`` (Training,
Memory).  It runs only on Linux with
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


#: Batches between two trims: a trim costs about a tenth of a frame-level batch's time,
#: while a few batches' worth of freed buffers is what the heap may hold on to.
TRIM_EVERY = 8
_calls = 0


def release_freed_memory():
    """Call after every batch: every ``TRIM_EVERY`` calls, return the heap's free pages.

    Returns whether anything was released.
    """
    global _calls
    if os.environ.get("SKLEARN_MAEC_KEEP_MALLOC"):
        return False
    _calls += 1
    if _calls % TRIM_EVERY:
        return False
    trim = _malloc_trim()
    return bool(trim(0)) if trim else False
