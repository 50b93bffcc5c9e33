"""Where a dataset lives: ``Store``, a local directory or a directory of an fsspec file
system, and the names of its metadata files.

``Store`` hides whether the root is a local directory (os calls, fsync,
atomic ``os.replace``) or an fsspec file system. Every path it creates,
replaces or deletes passes ``paths.check_path`` first (inside the root, no
symbolic link leading out; deletions and replacements of regular files only);
a file it replaces keeps its mode (and owner, where it may), a file it creates
gets the umask's mode, never wider than ``_metadata``'s. Replacing a small file
atomically (``put_atomic``): local, a temporary file then ``os.replace``;
object stores (s3, gcs, azure), one PUT, which readers see whole or not at
all; other fsspec file systems, a temporary file then ``fs.mv`` (atomic on
memory:// and local; on file systems whose move copies, e.g. some FTP/SFTP
servers, a crash during the move can leave a partial file: rebuild it with
``fastpq.merge``).
"""
from __future__ import annotations

import errno
import os
import posixpath
import stat
import uuid
from contextlib import contextmanager

from ..file import localfs
from ..file.target import fsync_dir
from ..format.source import fs_protocols, open_regular, split_url, strip_file_scheme
from .paths import check_new_name, check_path, name_limits

METADATA = "_metadata"
COMMON_METADATA = "_common_metadata"
DATA_SUFFIXES = (".parquet", ".parq", ".pq")
_OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oss", "r2"}


class Store:
    """A dataset root: a local directory or a directory of an fsspec file system.

    Paths given to the methods are relative to the root, '/'-separated.
    """

    def __init__(self, root, storage_options=None, filesystem=None):
        self.fs, self.local = filesystem, True
        root = os.fspath(root)
        self.url = root
        if filesystem is None:
            self.fs, root = split_url(root, storage_options)
        if self.fs is not None:
            protocols = fs_protocols(self.fs)
            self.local = "file" in protocols
            self.object_store = bool(set(protocols) & _OBJECT_STORES)
            if self.local:
                root = self.fs._strip_protocol(root)
        if self.local:
            self.fs = None
            root = os.path.abspath(strip_file_scheme(root))
        self.root = root.rstrip("/") if not self.local else root
        self._real_root = None

    def path(self, rel: str) -> str:
        if not rel:
            return self.root
        return os.path.join(self.root, *rel.split("/")) if self.local else f"{self.root}/{rel}"

    def check(self, rel, where=None, what: str = "path", file: bool = False) -> str:
        """``rel`` if the dataset may create, replace or (``file``: a file to) delete it
        (``paths.check_path``, with symbolic links resolved on local roots); else
        ``CorruptFileError`` naming ``where``."""
        if self.local and self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        return check_path(rel, self.url if where is None else where, what, self._real_root, file)

    def check_new(self, rel: str) -> str:
        """``check``, then ``PartitionError`` unless the new path's names fit the file system."""
        self.check(rel)
        check_new_name(rel, self.path(rel), name_limits(self.root if self.local else None))
        return rel

    def target(self, rel: str) -> str:
        """The path of ``rel`` once ``check`` accepts it."""
        return self.path(self.check(rel))

    # ---------------------------------------------------------------- reading
    def read(self, rel: str) -> bytes | None:
        try:
            if self.local:
                with open_regular(self.path(rel)) as f:
                    return f.read()
            return self.fs.cat_file(self.path(rel))
        except FileNotFoundError:
            return None

    def exists(self, rel: str) -> bool:
        return os.path.exists(self.path(rel)) if self.local else self.fs.exists(self.path(rel))

    def is_dir(self) -> bool:
        return os.path.isdir(self.root) if self.local else self.fs.isdir(self.root)

    def files(self) -> list:
        """Every file under the root, relative, sorted."""
        out = []
        if self.local:
            for folder, dirs, names in os.walk(self.root):
                rel = os.path.relpath(folder, self.root)
                prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
                out += [prefix + n for n in names]
        elif self.fs.exists(self.root):
            base = self.root.rstrip("/") + "/"
            out = [p[len(base):] for p in self.fs.find(self.root, withdirs=False) if p.startswith(base)]
        return sorted(out)

    def data_files(self) -> list:
        """Part files: no component hidden ('.' or '_' first, as pyarrow skips them), a Parquet suffix."""
        return [rel for rel in self.files()
                if rel.endswith(DATA_SUFFIXES) and not any(p[:1] in "._" for p in rel.split("/"))]

    # ---------------------------------------------------------------- writing
    def makedirs(self, rel: str) -> None:
        """Make the folder ``rel`` ('' for the root) and its parents."""
        path = self.target(rel) if rel else self.root
        if self.local:
            os.makedirs(path, exist_ok=True)
        else:
            self.fs.makedirs(path, exist_ok=True)

    def temp_name(self, rel: str) -> str:
        folder, name = posixpath.split(rel)
        return posixpath.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.fastpq-tmp")

    def put_atomic(self, rel: str, data: bytes) -> None:
        """Replace ``rel`` with ``data``: readers see the old or the new bytes (module docstring)."""
        final = self.path(self.check(rel, file=True))
        if self.fs is not None and self.object_store:
            self.fs.pipe_file(final, data)
            return
        tmp = self.temp_name(rel)
        if self.local:
            path = self.target(tmp)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    self._keep_mode(f.fileno(), final)
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(path, final)
            except BaseException:
                self.remove(tmp)
                raise
            fsync_dir(os.path.dirname(final))
            return
        self.fs.pipe_file(self.target(tmp), data)
        self.fs.mv(self.path(tmp), final)

    def _keep_mode(self, fd: int, final: str) -> None:
        """Give the new file ``fd`` that will replace ``final`` its owner, group and mode
        (``localfs``); when there is no ``final``, the umask's mode, no wider than
        ``_metadata``'s (the dataset's file mode)."""
        like = localfs.existing(final)
        dataset = localfs.existing(self.path(METADATA)) if like is None else None
        localfs.copy_owner_and_mode(fd, like, 0o7777 if dataset is None else stat.S_IMODE(dataset.st_mode))

    def remove(self, rel: str) -> None:
        """Delete the file ``rel``; one that is not there (or whose name no file can have) is
        already gone."""
        path = self.path(self.check(rel, file=True))
        try:
            if self.local:
                os.unlink(path)
            else:
                self.fs.rm_file(path)
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as e:
            if e.errno != errno.ENAMETOOLONG:
                raise

    def remove_empty_dirs(self, rels) -> None:
        """Remove the (now empty) directories of ``rels``, deepest first (local only:
        object stores have no directories to leave behind)."""
        if not self.local:
            return
        folders = {posixpath.dirname(r) for r in rels}
        for folder in sorted({a for f in folders for a in _ancestors(f)}, key=len, reverse=True):
            try:
                os.rmdir(self.target(folder))
            except OSError:
                pass

    @contextmanager
    def lock(self):
        """An exclusive lock on the dataset (local: flock on the root directory; other file
        systems have no locks: one writer at a time is the caller's business)."""
        if not self.local:
            yield
            return
        import fcntl

        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _ancestors(folder: str) -> list:
    out = []
    while folder:
        out.append(folder)
        folder = posixpath.dirname(folder)
    return out


__all__ = ["Store", "METADATA", "COMMON_METADATA", "DATA_SUFFIXES"]
