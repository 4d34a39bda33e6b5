"""On-disk cache of extracted frames: one ``.npz`` file per extraction, written atomically.

Safe when several processes (joblib workers, two grid searches, a killed run
and its restart) share a cache directory:

* a value is written to a temporary file in the target's directory and moved
  into place with ``os.replace``, so a reader sees either no file or a whole
  one, never a torn one;
* a file that cannot be read (truncated by a crash, or foreign) is a miss: the
  value is computed again and the file replaced;
* files hold arrays and strings only and are read with ``allow_pickle=False``,
  so a cache directory from someone else cannot run code;
* the temporary file of a process killed while writing (``.tmp-*.npz``) is
  removed by the next extraction run over the cache (one sweep per segmenter
  ``fit``/``transform``, in the calling process), once it is an hour old (a
  younger one may belong to a writer still at work).
"""

import hashlib
import os
import time
import zipfile

import numpy as np

from .._files import atomic_write

__all__ = ["FrameCache", "as_cache"]

#: Part of every key: bump it when extraction changes what it returns.
CACHE_VERSION = "1"

#: Age (seconds) after which a temporary file is taken for a dead writer's.
STALE_TEMPORARY_AGE = 3600.0


class FrameCache:
    """Frames cache under ``<location>/sklearn_maec_frames``.

    Parameters
    ----------
    location : str or os.PathLike
        Directory of the cache (created when first written).
    """

    def __init__(self, location):
        self.location = os.fspath(location)
        self.root = os.path.join(self.location, "sklearn_maec_frames")

    def remove_stale_temporaries(self, older_than=STALE_TEMPORARY_AGE):
        """Delete the temporary files that writers killed mid-write left behind.

        Parameters
        ----------
        older_than : float, default=3600
            Minimum age in seconds (modification time) of a removed file.

        Returns
        -------
        removed : list of str
            Paths of the files removed.
        """
        removed = []
        limit = time.time() - older_than
        try:
            shards = [e.path for e in os.scandir(self.root) if e.is_dir()]
        except OSError:
            return removed
        for shard in shards:
            try:
                entries = [e for e in os.scandir(shard) if e.name.startswith(".tmp-")]
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.stat().st_mtime < limit:
                        os.unlink(entry.path)
                        removed.append(entry.path)
                except OSError:  # gone already (another process swept it) or not ours
                    pass
        return removed

    def __repr__(self):
        return f"FrameCache({self.location!r})"

    @staticmethod
    def key(*parts):
        """Hex digest of the parts (strings, numbers, or arrays by content)."""
        h = hashlib.sha1(CACHE_VERSION.encode())
        for part in parts:
            if isinstance(part, np.ndarray):
                arr = np.ascontiguousarray(part)
                h.update(f"array{arr.dtype.str}{arr.shape}".encode())
                h.update(memoryview(arr).cast("B"))
            else:
                h.update(repr(part).encode())
            h.update(b"\x00")
        return h.hexdigest()

    def _path(self, key):
        return os.path.join(self.root, key[:2], key + ".npz")

    def load(self, key):
        """Return ``(frames, frame_step, notes)`` or None on a miss (or an unreadable file)."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                frames = data["frames"]
                step = float(data["frame_step"])
                notes = [str(n) for n in data["notes"]]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        return frames, (None if np.isnan(step) else step), notes

    def save(self, key, frames, frame_step, notes):
        """Store a value atomically (last writer wins; readers never see a partial file).

        Frames are stored as float32, or as float16 when given as float16 (the
        pretrained encoders' hidden states, half the size, read back as float16).
        """
        path = self._path(key)
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        frames = np.asarray(frames)
        frames = frames.astype(np.float16 if frames.dtype == np.float16 else np.float32,
                               copy=False)

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, frames=frames,
                         frame_step=np.float64(np.nan if frame_step is None else frame_step),
                         notes=np.asarray(list(notes), dtype=str))

        atomic_write(path, write, suffix=".npz")


def as_cache(memory):
    """Turn the ``memory`` parameter (None, a path, or a ``joblib.Memory``) into a cache.

    Parameters
    ----------
    memory : None, str, os.PathLike or joblib.Memory
        A ``joblib.Memory`` contributes its ``location``; one without a
        location, like None, means no caching.

    Returns
    -------
    FrameCache or None
    """
    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):
        return FrameCache(memory)
    location = getattr(memory, "location", None)
    if hasattr(memory, "cache") and (location is None or isinstance(location, (str, os.PathLike))):
        return None if location is None else FrameCache(location)
    raise ValueError(f"memory must be None, a directory path or a joblib.Memory, got {memory!r}")
