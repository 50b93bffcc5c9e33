"""Where bytes come from: local paths, fsspec URLs, file-like objects and bytes.

``Source`` is what the file and dataset layers hold instead of an open handle:
it opens a fresh binary file object on demand (local files with the builtin
``open``, anything with a protocol through fsspec), knows the size, and gives
a display name for error messages.
"""
from __future__ import annotations

import io
import os
from contextlib import contextmanager, nullcontext

import numpy as np


class Source:
    """A readable Parquet source: path, URL, file-like object or bytes."""

    def __init__(self, source, storage_options=None, filesystem=None, size=None):
        self.fs = None
        self.fs_path = None
        self._fileobj = None
        self.is_local = False  # a local path: extra small reads cost nothing
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._fileobj = io.BytesIO(bytes(source))
            self.name = "<bytes>"
        elif hasattr(source, "read") and hasattr(source, "seek"):
            self._fileobj = source
            self.name = getattr(source, "name", None) or f"<{type(source).__name__}>"
        else:
            path = os.fspath(source)
            self.name = path
            if filesystem is not None:
                self.fs, self.fs_path = filesystem, path
            elif "://" in path and not path.startswith("file://"):
                import fsspec

                self.fs, self.fs_path = fsspec.core.url_to_fs(path, **(storage_options or {}))
            else:
                self.fs_path = path[len("file://"):] if path.startswith("file://") else path
                self.is_local = True
        self._size = None if size is None else int(size)  # known from a directory listing: no stat

    @property
    def size(self) -> int:
        if self._size is None:
            if self._fileobj is not None:
                pos = self._fileobj.tell()
                self._size = self._fileobj.seek(0, io.SEEK_END)
                self._fileobj.seek(pos)
            elif self.fs is not None:
                self._size = int(self.fs.size(self.fs_path))
            else:
                self._size = os.path.getsize(self.fs_path)
        return self._size

    @contextmanager
    def open(self):
        """A binary file object positioned anywhere; closed on exit unless the caller owns it."""
        if self._fileobj is not None:
            with nullcontext(self._fileobj) as f:
                yield f
        elif self.fs is not None:
            with self.fs.open(self.fs_path, "rb") as f:
                yield f
        else:
            with open(self.fs_path, "rb") as f:
                yield f

    def read_range(self, start: int, length: int) -> bytes:
        """Bytes [start, start + length) in one read.

        Through fsspec this is ``cat_file`` with a byte range: one ranged GET on
        object stores, where ``fs.open`` would first ask for the size (a HEAD)
        and then read ahead a whole block (5 MB for s3fs) around the range.
        """
        if self.fs is not None and self._fileobj is None:
            if length <= 0:
                return b""
            return self.fs.cat_file(self.fs_path, start=start, end=start + length)
        with self.open() as f:
            f.seek(start)
            return f.read(length)

    def read_array(self, start: int, length: int, out=None):
        """Bytes [start, start + length) as a uint8 numpy array (shorter at the end of the file).

        ``out``: a uint8 array of at least ``length`` bytes that a local file is read into
        (the result is then a view of it); other sources ignore it.

        Local files are read straight into the array (``readinto``): no intermediate
        ``bytes`` object, and the array's large allocation is eligible for transparent
        huge pages (numpy asks for them), which halves the cost of touching fresh memory
        for the chunk bytes of a big read.
        """
        if self.fs is not None or self._fileobj is not None or length <= 0:
            return np.frombuffer(self.read_range(start, length), np.uint8)
        if out is None or len(out) < length:
            out = np.empty(length, np.uint8)
        view = memoryview(out)[:length]
        got = 0
        with open(self.fs_path, "rb", buffering=0) as f:
            f.seek(start)
            while got < length:
                n = f.readinto(view[got:])
                if not n:
                    break
                got += n
        return out[:got]

    def __repr__(self) -> str:
        return f"Source({self.name!r})"
