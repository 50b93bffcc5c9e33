"""Where a written dataset lives (``Store``), and its metadata files: ``_metadata``,
``_common_metadata`` and ``merge``.

``_metadata`` is a Parquet file without data (``PAR1`` + footer): a
``FileMetaData`` whose row groups are those of every part file, each
ColumnChunk's ``file_path`` set to the part's path relative to the dataset
root ('/'-separated, as the Parquet spec and pyarrow/dask/fastparquet have it).
``_common_metadata`` is the same schema and key-value metadata with no row
groups. The write path (``dataset.write``) keeps both in step with the part
files; ``merge`` builds them for files written by anyone.

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
import io
import os
import posixpath
import stat
import uuid
from contextlib import contextmanager

from ..file import localfs
from .._thrift import FileMetaData
from ..append.schema import describe_leaf, same_leaf
from ..errors import CorruptFileError, SchemaMismatchError
from ..format.footer import MAGIC, footer_bytes, parse_file_metadata, read_footer_bytes
from ..format.schema import Schema
from ..format.source import open_regular
from ..file.target import fsync_dir
from .paths import check_new_name, check_path, name_limits

METADATA = "_metadata"
COMMON_METADATA = "_common_metadata"
PARTITIONS_KEY = "fastpq:partitions"
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
        if filesystem is None and "://" in root and not root.startswith("file://"):
            import fsspec

            self.fs, root = fsspec.core.url_to_fs(root, **(storage_options or {}))
        if self.fs is not None:
            protocols = self.fs.protocol if isinstance(self.fs.protocol, (tuple, list)) else (self.fs.protocol,)
            self.local = "file" in protocols
            self.object_store = bool(set(protocols) & _OBJECT_STORES)
            if self.local:
                root = self.fs._strip_protocol(root)
        if self.local:
            self.fs = None
            root = os.path.abspath(root[len("file://"):] if root.startswith("file://") else root)
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


# ---------------------------------------------------------------- metadata files

def file_bytes(fmd: FileMetaData) -> bytes:
    """A metadata-only Parquet file: ``PAR1`` + footer."""
    return MAGIC + footer_bytes(fmd)


def common_metadata(fmd: FileMetaData) -> FileMetaData:
    """``_common_metadata`` of ``_metadata``: the same schema and key-value metadata, no row groups."""
    return FileMetaData(version=fmd.version, schema=fmd.schema, num_rows=0, row_groups=[],
                        key_value_metadata=fmd.key_value_metadata, created_by=fmd.created_by,
                        column_orders=fmd.column_orders)


def parse_bytes(data: bytes, name) -> FileMetaData:
    f = io.BytesIO(data)
    return parse_file_metadata(read_footer_bytes(f, len(data), name), name)


def read_metadata(store: Store, rel: str = METADATA) -> FileMetaData | None:
    data = store.read(rel)
    return None if data is None else parse_bytes(data, store.path(rel))


def read_footer(store: Store, rel: str) -> FileMetaData:
    """The footer of the part file ``rel`` (one or two reads of its tail)."""
    if store.local:
        path = store.path(rel)
        with open_regular(path) as f:
            return parse_file_metadata(read_footer_bytes(f, os.fstat(f.fileno()).st_size, path), path)
    path = store.path(rel)
    with store.fs.open(path, "rb") as f:
        return parse_file_metadata(read_footer_bytes(f, store.fs.size(path), path), path)


def located(row_groups, rel: str) -> list:
    """The row groups of the part file ``rel`` with every ColumnChunk's file_path set."""
    out = []
    for rg in row_groups:
        for chunk in rg.columns:
            chunk.file_path = rel
        out.append(rg)
    return out


def file_path_of(rg) -> str | None:
    return rg.columns[0].file_path if rg.columns else None


def check_schemas_agree(first: FileMetaData, other: FileMetaData, first_name, other_name) -> None:
    """SchemaMismatchError unless two files have the same columns with the same types."""
    a, b = Schema(first.schema), Schema(other.schema)
    names_a, names_b = [".".join(c.path) for c in a.columns], [".".join(c.path) for c in b.columns]
    if names_a != names_b:
        raise SchemaMismatchError(f"{other_name} has columns {names_b}, {first_name} has {names_a}")
    for x, y in zip(a.columns, b.columns):
        if not same_leaf(x, y):
            raise SchemaMismatchError(f"column {'.'.join(x.path)!r}: {first_name} has {describe_leaf(x)}, "
                                      f"{other_name} has {describe_leaf(y)}")


def collect(store: Store, rels: list) -> FileMetaData | None:
    """One FileMetaData for the part files ``rels`` (schemas checked to agree; schema and
    key-value metadata from the first), row groups located; None without files."""
    merged, first_rel, total = None, None, 0
    for rel in rels:
        fmd = read_footer(store, rel)
        row_groups = located(list(fmd.row_groups), rel)
        if merged is None:
            merged, first_rel = fmd, rel
            merged.row_groups = []
        else:
            check_schemas_agree(merged, fmd, first_rel, rel)
        merged.row_groups.extend(row_groups)
        total += int(fmd.num_rows)
    if merged is not None:
        merged.num_rows = total
    return merged


def write_metadata(store: Store, fmd: FileMetaData) -> None:
    """Write ``_common_metadata`` then ``_metadata`` (the commit point), each atomically."""
    store.put_atomic(COMMON_METADATA, file_bytes(common_metadata(fmd)))
    store.put_atomic(METADATA, file_bytes(fmd))


def merge(files_or_dir, root=None, storage_options=None, filesystem=None) -> str:
    """Write ``_metadata`` and ``_common_metadata`` for existing Parquet files.

    ``files_or_dir``: a dataset directory (its part files: every non-hidden
    ``*.parquet``/``.parq``/``.pq`` below it) or a list of files. ``root``: where
    the metadata files go and what ``file_path`` is relative to (default: the
    directory, or the files' common folder). The files' schemas must agree
    (``SchemaMismatchError`` names the file and column otherwise). Returns the
    path of ``_metadata``.
    """
    if isinstance(files_or_dir, (list, tuple)):
        paths = [os.fspath(p) for p in files_or_dir]
        if not paths:
            raise ValueError("merge() needs at least one file")
        if root is None:
            root = _common_folder(paths)
        store = Store(root, storage_options, filesystem)
        rels = [_relative(store, p) for p in paths]
    else:
        inner = Store(files_or_dir, storage_options, filesystem)
        store = inner if root is None else Store(root, storage_options, filesystem)
        rels = [r if root is None else _relative(store, inner.path(r)) for r in inner.data_files()]
    if not rels:
        raise FileNotFoundError(f"no Parquet files to merge under {store.url}")
    rels = [check_path(rel, store.url, "file") for rel in rels]       # what _metadata may name
    from .write import recover

    with store.lock():
        if recover(store) != "clean" and not isinstance(files_or_dir, (list, tuple)):
            rels = [r for r in rels if store.exists(r)]       # a crashed write's part files are gone
        fmd = collect(store, rels)
        write_metadata(store, fmd)
    return store.path(METADATA)


def _common_folder(paths: list) -> str:
    if "://" in paths[0]:
        proto, _, rest = paths[0].partition("://")
        folder = posixpath.commonpath([p.partition("://")[2] for p in paths])
        if len(paths) == 1:
            folder = posixpath.dirname(rest)
        return f"{proto}://{folder}"
    folder = os.path.commonpath([os.path.abspath(p) for p in paths])
    return os.path.dirname(folder) if len(set(paths)) == 1 else folder


def _relative(store: Store, path: str) -> str:
    if store.local:
        path = path[len("file://"):] if path.startswith("file://") else path
        rel = os.path.relpath(os.path.abspath(path), store.root).replace(os.sep, "/")
    else:
        inner = store.fs._strip_protocol(path)
        base = store.root.rstrip("/") + "/"
        if not inner.startswith(base):
            raise ValueError(f"{path} is not under the dataset root {store.url}")
        rel = inner[len(base):]
    return rel


__all__ = ["Store", "merge", "collect", "write_metadata", "read_metadata", "METADATA", "COMMON_METADATA"]
