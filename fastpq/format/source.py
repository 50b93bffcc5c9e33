"""Where bytes come from: local paths, fsspec URLs, file-like objects and bytes.

``Source`` is what the file and dataset layers hold instead of an open handle:
it reads byte ranges of the file (local files by ``os.pread`` on a descriptor,
anything with a protocol through fsspec), knows the size, and gives a display
name for error messages.

A file must not change under a reader that has its footer: the footer's
offsets would then read another file's bytes (a column read as another). A
Source therefore keeps the file it was opened on, or notices that it changed:

* identity: taken when the footer is about to be read (``open_pinned``), before
  its bytes are, so any later change shows. Local: (inode, size, mtime_ns,
  ctime_ns) (no st_dev: a dask worker on another host sees the same file through
  another mount). fsspec: the size and whichever of ETag / md5 / generation /
  version (or, lacking all, mtime / created) ``fs.info`` gives; a dataset
  listing's entries give the same without a request. A footer taken from a
  dataset's ``_metadata`` has no file behind it: the identity is then taken at
  the first read of the file.
* held descriptor: a ParquetFile opened by the user on a local path keeps the
  descriptor its footer was read through (``hold=True``) and reads through it
  until ``close()`` (or garbage collection): a file replaced by rename, or
  deleted, is still read as it was, as pyarrow does. At most ``MAX_HELD``
  descriptors are held at once; beyond that (and after ``close()``) a Source
  re-opens and checks, as dataset files always do: a dataset of 10,000 files
  holds no descriptor between reads.
* ``session``: one read (``ParquetFile.to_pandas``, a dataset piece) opens the
  local file once, or checks the remote object's identity once (one
  ``fs.info``), at its first chunk (a read of no chunk costs nothing), and every
  chunk of the read goes through that descriptor / check.
  A local file changed in place (same inode: an append, a rewrite) is accepted
  when the caller's ``revalidate`` finds the footer's row groups where they
  were (appends keep them); anything else raises ``FileChangedError``.
  Remote objects are replaced whole: any change raises. (Between the check and
  the ranged reads of a remote read there is no way to pin an object through
  fsspec: a replacement in that window is not seen.)
"""
from __future__ import annotations

import io
import os
import stat
import threading
import weakref
from contextlib import contextmanager, nullcontext

import numpy as np

from ..errors import CorruptFileError, FileChangedError

# fsspec info keys that name one version of an object (compared when both sides have them) ...
_STRONG_KEYS = ("ETag", "etag", "e_tag", "md5Hash", "md5", "generation", "VersionId", "version_id")
# ... and, when neither side has one of those, the times that do
_TIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "created", "ino")


def _max_held() -> int:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 128
    return 256 if soft == resource.RLIM_INFINITY else max(16, min(256, soft // 4))


MAX_HELD = _max_held()   # descriptors held by open ParquetFiles at once (a quarter of the limit, <= 256)
_held = [0]
_held_lock = threading.Lock()


def is_url(path: str) -> bool:
    """Whether ``path`` names a file of an fsspec file system other than the local one
    (``file://`` URLs are local paths)."""
    return "://" in path and not path.startswith("file://")


def strip_file_scheme(path: str) -> str:
    """``path`` without a leading ``file://``."""
    return path[len("file://"):] if path.startswith("file://") else path


def fs_protocols(fs) -> tuple:
    """The protocols an fsspec file system answers to (its ``protocol`` is a str or a tuple)."""
    return tuple(fs.protocol) if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)


def is_local_fs(fs) -> bool:
    """Whether the fsspec file system ``fs`` is the local one."""
    protocols = fs_protocols(fs)
    return "file" in protocols or "local" in protocols


def split_url(path: str, storage_options=None) -> tuple:
    """(fsspec file system, path on it) for a URL (``is_url``); (None, the local path) for
    a local path or a ``file://`` URL. The one place local paths are told from URLs."""
    if is_url(path):
        import fsspec

        return fsspec.core.url_to_fs(path, **(storage_options or {}))
    return None, strip_file_scheme(path)


class Source:
    """A readable Parquet source: path, URL, file-like object or bytes.

    ``hold``: keep the descriptor a local file's footer is read through
    (module docstring); ``identity``: the file's identity when already known
    (a dataset listing).
    """

    _mode = None       # 'held', 'local', 'remote'; None: bytes, file objects (nothing to check)
    identity = None

    def __init__(self, source, storage_options=None, filesystem=None, size=None, hold=False, identity=None):
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
            else:
                self.fs, self.fs_path = split_url(path, storage_options)
                self.is_local = self.fs is None
            self._mode = "local" if self.is_local else "remote"
        self._size = None if size is None else int(size)  # known from a directory listing: no stat
        self._body = None  # a remote object whose server ignored a Range request, read whole
        self._hold = hold and self.is_local
        self.identity = identity
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._users = 0            # sessions open (reads in progress)
        self._checked = False      # the open sessions' check was made
        self._revalidate = None
        self._session_fd = None    # the descriptor of the open session (unheld local files)
        self._fd = None            # the held descriptor
        self._finalizer = None
        self._closing = False

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
            with open_regular(self.fs_path) as f:
                yield f

    @contextmanager
    def open_pinned(self):
        """``open`` for reading the footer: the identity is taken first (module docstring); a
        local file's descriptor is kept afterwards when the Source holds."""
        if self._mode == "local":
            with open_regular(self.fs_path) as f:
                self.identity = local_identity(os.fstat(f.fileno()))
                yield f
                if self._hold:
                    self._keep(f.fileno())
            return
        if self._mode == "remote" and self.identity is None:
            info = self.fs.info(self.fs_path)
            self.identity = remote_identity(info)
            if info.get("size") is not None:
                self._size = int(info["size"])
        if self._mode == "remote":  # ranged reads, lengths checked (fsspec's file refuses seeks on
            yield _RangeFile(self)  # servers that ignore Range)
            return
        with self.open() as f:
            yield f

    def pin(self) -> None:
        """Take a local file's identity now if it is not known yet (a footer from ``_metadata``:
        fastpq.dask pins what its tasks will read). Remote objects are pinned at their first
        read instead (one request per file is not worth it when the footers cost none)."""
        if self.identity is None and self._mode == "local":
            self.identity = local_identity(os.stat(self.fs_path))

    def _keep(self, fileno: int) -> None:
        with _held_lock:
            if _held[0] >= MAX_HELD:
                return          # too many held: this one re-opens and checks per read
            _held[0] += 1
        try:
            self._fd = os.dup(fileno)
        except OSError:     # out of descriptors: re-open and check instead
            with _held_lock:
                _held[0] -= 1
            return
        self._mode = "held"
        self._finalizer = weakref.finalize(self, _release, self._fd)

    def close(self) -> None:
        """Let go of a held descriptor (after the reads in progress); later reads re-open the
        file and check its identity."""
        with self._lock:
            if self._fd is None:
                return
            self._mode = "local"
            if self._users:
                self._closing = True
            else:
                self._drop_held()

    def _drop_held(self) -> None:
        self._finalizer()
        self._fd = self._finalizer = None
        self._closing = False

    # ---------------------------------------------------------------- sessions
    @contextmanager
    def session(self, revalidate=None):
        """One read: the identity is checked once, at the session's first read, and every
        read inside goes through one descriptor (module docstring). ``revalidate(f)``:
        whether a local file changed in place (``f`` open on it) still holds what the
        caller read from it."""
        if self._mode is None:
            yield
            return
        with self._lock:
            self._users += 1
            if revalidate is not None:
                self._revalidate = revalidate
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._checked, self._revalidate = False, None
                    if self._session_fd is not None:
                        os.close(self._session_fd)
                        self._session_fd = None
                    if self._closing:
                        self._drop_held()

    def _ready(self):
        """Check the file once per session (at its first read); the descriptor to read through
        (local files; call inside a session)."""
        with self._lock:
            if not self._checked:
                self._begin(self._revalidate)
                self._checked = True
            return self._fd if self._fd is not None else self._session_fd

    def _begin(self, revalidate) -> None:
        if self._mode == "remote":
            info = self._fresh_info()
            if self.identity is None:
                self.identity = remote_identity(info)
            elif not same_remote(self.identity, remote_identity(info)):
                raise FileChangedError(f"{self.name} changed since it was opened (was {_show(self.identity)}, "
                                       f"now {_show(remote_identity(info))}): open it again to read it")
            return
        if self._mode == "held":
            self._check_local(self._fd, revalidate)
            return
        fd = open_regular_fd(self.fs_path)
        try:
            self._check_local(fd, revalidate)
        except BaseException:
            os.close(fd)
            raise
        self._session_fd = fd

    def _check_local(self, fd: int, revalidate) -> None:
        now = local_identity(os.fstat(fd))
        if self.identity is None:
            self.identity = now
            return
        if now == self.identity:
            return
        if now[0] == self.identity[0] and revalidate is not None:
            with open(fd, "rb", closefd=False) as f:
                if revalidate(f):
                    self.identity = now       # changed in place, what was read is still there (an append)
                    return
        what = "replaced by another file" if now[0] != self.identity[0] else "rewritten in place"
        raise FileChangedError(f"{self.name} changed since it was opened ({what}): open it again to read it")

    def _fresh_info(self) -> dict:
        try:
            self.fs.invalidate_cache(self.fs_path)   # a cached listing would show the old object
        except (AttributeError, NotImplementedError, TypeError):
            pass
        return self.fs.info(self.fs_path)

    # ---------------------------------------------------------------- reading
    def read_range(self, start: int, length: int) -> bytes:
        """Bytes [start, start + length) in one read.

        Through fsspec this is ``cat_file`` with a byte range: one ranged GET on
        object stores, where ``fs.open`` would first ask for the size (a HEAD)
        and then read ahead a whole block (5 MB for s3fs) around the range.
        """
        if self._fileobj is not None:
            with self.open() as f:
                f.seek(start)
                return f.read(length)
        if length <= 0:
            return b""
        if self.fs is not None:
            if self._users:     # inside a read: check first (reads of footers are outside)
                self._ready()
            return self._remote_range(start, length)
        with self.session():
            return _pread(self._ready(), start, length)

    def _remote_range(self, start: int, length: int) -> bytes:
        """A ranged read of a remote object, its length checked: a server that ignores Range
        (``python -m http.server``) answers with the whole object, which is then kept and
        sliced for every later range (the object is read once)."""
        body = self._body
        if body is None:
            data = self.fs.cat_file(self.fs_path, start=start, end=start + length)
            size = self.size
            if len(data) == max(0, min(length, size - start)):
                return data
            if len(data) != size:
                raise CorruptFileError(f"a read of {length} bytes at offset {start} of an object of {size} "
                                       f"bytes returned {len(data)} bytes", path=self.name, offset=start)
            self._body = body = data  # the server ignored the range
        return body[start:start + length]

    def read_array(self, start: int, length: int, out=None):
        """Bytes [start, start + length) as a uint8 numpy array (shorter at the end of the file).

        ``out``: a uint8 array of at least ``length`` bytes that a local file is read into
        (the result is then a view of it); other sources ignore it.

        Local files are read straight into the array (``preadv``): no intermediate
        ``bytes`` object, and the array's large allocation is eligible for transparent
        huge pages (numpy asks for them), which halves the cost of touching fresh memory
        for the chunk bytes of a big read.
        """
        if self.fs is not None or self._fileobj is not None or length <= 0:
            return np.frombuffer(self.read_range(start, length), np.uint8)
        if out is None or len(out) < length:
            out = np.empty(length, np.uint8)
        with self.session():
            got = _pread_into(self._ready(), memoryview(out)[:length], start)
        return out[:got]

    def __getstate__(self) -> dict:
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("_body", "_lock", "_users", "_checked", "_revalidate", "_session_fd", "_fd", "_finalizer",
                              "_closing")}
        if state.get("_mode") == "held":
            state["_mode"] = "local"      # elsewhere: re-open and check the identity
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._body = None
        self._reset()

    def __repr__(self) -> str:
        return f"Source({self.name!r})"


class _RangeFile:
    """The seek/tell/read a footer reader needs, over a Source's checked ranged reads."""

    def __init__(self, source: Source):
        self.source = source
        self.pos = 0

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        self.pos = pos if whence == io.SEEK_SET else (self.pos + pos if whence == io.SEEK_CUR
                                                      else self.source.size + pos)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = max(0, self.source.size - self.pos)
        data = self.source.read_range(self.pos, n)
        self.pos += len(data)
        return data


def open_regular_fd(path: str) -> int:
    """A descriptor of ``path`` opened for reading if it is a regular file; ``CorruptFileError``
    for a directory, a FIFO (whose open would wait for a writer forever) or a device."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CorruptFileError("is not a regular file (a directory, FIFO or device): not a Parquet file",
                                   path=path)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular(path: str):
    """``open_regular_fd`` as a binary file object."""
    return os.fdopen(open_regular_fd(path), "rb")


def _release(fd: int) -> None:
    os.close(fd)
    with _held_lock:
        _held[0] -= 1


def held_descriptors() -> int:
    """Descriptors held by open ParquetFiles right now."""
    return _held[0]


def _pread(fd: int, start: int, length: int) -> bytes:
    parts, got = [], 0
    while got < length:
        data = os.pread(fd, length - got, start + got)
        if not data:
            break
        parts.append(data)
        got += len(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _pread_into(fd: int, view: memoryview, start: int) -> int:
    got, length = 0, len(view)
    while got < length:
        if hasattr(os, "preadv"):
            n = os.preadv(fd, [view[got:]], start + got)
        else:  # pragma: no cover - platforms without preadv
            data = os.pread(fd, length - got, start + got)
            n = len(data)
            view[got:got + n] = data
        if not n:
            break
        got += n
    return got


def local_identity(st) -> tuple:
    """(inode, size, mtime_ns, ctime_ns) of an ``os.stat`` result."""
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def remote_identity(info: dict) -> tuple:
    """(size, ((key, value), ...)) of an fsspec ``info`` (or ``find(detail=True)``) entry."""
    keys = tuple((k, _plain(info[k])) for k in _STRONG_KEYS + _TIME_KEYS if info.get(k) is not None)
    return info.get("size"), keys


def _plain(value) -> str:
    """A time as seconds whichever way it is given (memory://'s listing gives a float, its info
    a datetime), anything else as text."""
    if hasattr(value, "timestamp"):
        value = value.timestamp()
    return repr(float(value)) if isinstance(value, (int, float)) else str(value)


def same_remote(a: tuple, b: tuple) -> bool:
    """Whether two remote identities name the same object: the same size, and the same version
    keys present on both sides (times only when neither gives a version key: a listing's
    LastModified and a HEAD's differ in precision on S3)."""
    if a[0] != b[0]:
        return False
    da, db = dict(a[1]), dict(b[1])
    common = [k for k in _STRONG_KEYS if k in da and k in db]
    if not common:
        common = [k for k in _TIME_KEYS if k in da and k in db]
    return all(da[k] == db[k] for k in common)


def _show(identity: tuple) -> str:
    size, keys = identity
    return ", ".join([f"size {size}"] + [f"{k} {v}" for k, v in keys])
