"""Where a written file's bytes go: ``AtomicTarget``, ``fsync_dir`` and ``local_path``.

``AtomicTarget``: a local path is written to a temporary file in the same
directory, flushed and fsynced, and renamed over the target only once
complete: a failure (or a kill) never leaves a partial file under the target
name, and never touches an existing target before the rename. A symlink is
written through (its target is replaced), a target the caller may not write is
refused (``PermissionError``), the replacement keeps the target's mode and,
where permitted, its owner and group; a kill can leave the temporary file
(``.<name>.<slot>.fastpq-tmp``) behind, and the next write of that path or
``fastpq.repair(path)`` removes it (``fastpq.file.localfs``). fsspec URLs are
written to their final path directly (object stores have no atomic rename);
file-like objects are written as they are.

``fsync_dir`` is the package's one directory fsync (renames and creations made
durable); ``local_path`` is the local file an in-place change (an append, a
repair) may modify, refusing file objects and other file systems.
"""
from __future__ import annotations

import os

from ..errors import UnsupportedFeatureError
from ..format.source import fs_protocols, is_url, split_url, strip_file_scheme
from . import localfs


class AtomicTarget:
    """An open binary file for a new Parquet file; ``commit`` publishes it, ``abort``
    removes it (see the module docstring)."""

    def __init__(self, path, overwrite: bool = True, storage_options=None):
        self.path, self.tmp, self.fs, self._own = path, None, None, True
        if hasattr(path, "write"):
            self.f, self._own = path, False
            return
        path = os.fspath(path)
        if is_url(path):
            self.fs, self.path = split_url(path, storage_options)
            if not overwrite and self.fs.exists(self.path):
                raise FileExistsError(f"{path} exists and overwrite=False")
            self.f = self.fs.open(self.path, "wb")
            return
        self.path = strip_file_scheme(path)
        if not overwrite and os.path.exists(self.path):
            raise FileExistsError(f"{self.path} exists and overwrite=False")
        self.overwrite = overwrite
        self.real = localfs.resolve_target(os.path.abspath(self.path))     # through symlinks
        localfs.check_writable(self.real)
        localfs.sweep_orphans(self.real)
        fd, self.tmp = localfs.create_temp(self.real)
        try:
            localfs.copy_owner_and_mode(fd, localfs.existing(self.real))
        except BaseException:
            os.close(fd)
            os.unlink(self.tmp)
            raise
        self.f = os.fdopen(fd, "wb", buffering=1 << 16)

    def commit(self) -> None:
        if not self._own:
            self.f.flush()
            return
        if self.tmp is None:
            self.f.close()
            return
        self.f.flush()
        os.fsync(self.f.fileno())
        try:                                      # the temporary file stays locked until renamed
            if self.overwrite:
                os.replace(self.tmp, self.real)
            else:
                try:
                    os.link(self.tmp, self.real)  # fails if the target appeared meanwhile
                finally:
                    os.unlink(self.tmp)
        finally:
            self.f.close()
        self.tmp = None
        fsync_dir(os.path.dirname(self.real))

    def abort(self) -> None:
        if not self._own:
            return
        try:
            self.f.close()
        except Exception:  # noqa: BLE001 - cleaning up after another error
            pass
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None
        elif self.fs is not None:
            try:
                self.fs.rm(self.path)
            except Exception:  # noqa: BLE001
                pass


def fsync_dir(folder: str, must_open: bool = False) -> None:
    """Make a rename or creation in ``folder`` durable. Best effort: some file systems refuse
    to fsync a directory. A folder that cannot be opened is skipped, or with ``must_open``
    (an append's journal, which must not be trusted to a directory it cannot sync) raises."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        if must_open:
            raise
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def local_path(path, storage_options=None) -> str:
    """The local path of ``path``; UnsupportedFeatureError for other file systems and file objects."""
    if hasattr(path, "write") or hasattr(path, "read"):
        raise UnsupportedFeatureError("append=True needs a path to a local file, not a file object")
    path = os.fspath(path)
    fs, inner = split_url(path, storage_options)
    if fs is not None and "file" not in fs_protocols(fs):
        raise UnsupportedFeatureError(
            f"cannot append to {path}: a file on {fs.protocol!r} cannot be modified in place (object stores "
            "replace whole objects); append to a dataset instead (file_scheme='hive', append=True)")
    return inner
