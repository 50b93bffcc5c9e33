"""Finding a dataset's files: a directory (walked recursively), a list of files, a glob,
one file, or a ``_metadata`` file; local paths or any fsspec URL.

What is skipped, as pyarrow.dataset, Spark and dask skip it: every path
component under the root whose name starts with ``.`` or ``_`` (``_SUCCESS``,
``_metadata``, ``_common_metadata``, ``.part-0.crc``, fastpq's ``_fastpq_journal``
and ``.*.fastpq-tmp`` files, ``_temporary/`` directories), and files whose
suffix says they are not Parquet (``.crc``, ``.json``, ``.txt`` ...). Files
without a suffix are kept (Hive and Impala write them). Directory listings are
sorted by path, the order pyarrow.dataset gives; a list of files keeps its
order.

Listings come with file sizes (``os.stat`` / fsspec's ``find(detail=True)``),
so reading a footer later is one ranged read with no size request; remote
entries also carry the object's identity (``fastpq.format.source``: size, ETag ...), which
every later read of the file is checked against.

Local directories are walked following symbolic links; a link
that leads back to a directory above it (a loop) raises ``DiscoveryError``
instead of being followed, and so do a data file that is a link to nothing and
a subdirectory that cannot be listed. Errors about the path given (a missing
root: ``FileNotFoundError``, as pandas expects; a root that cannot be read)
are raised as they are. A directory holding no data file (empty, or only
skipped files such as ``.csv``) raises the built-in ``FileNotFoundError`` "no
Parquet files found in ..." (as a glob matching nothing does), unless it holds
``_metadata`` or ``_common_metadata``: an explicitly empty dataset, read as
zero rows with that schema.
"""
from __future__ import annotations

import errno
import glob as _glob
import os
import posixpath
from dataclasses import dataclass, field

from ..errors import DiscoveryError
from ..format.source import is_local_fs, remote_identity, split_url, strip_file_scheme

HIDDEN_PREFIXES = (".", "_")
NOT_PARQUET_SUFFIXES = (".crc", ".json", ".txt", ".csv", ".md", ".log", ".tmp", ".swp", ".inprogress",
                        ".avro", ".orc")
METADATA = "_metadata"
COMMON_METADATA = "_common_metadata"
_GLOB_CHARS = "*?["


@dataclass
class FileEntry:
    """One data file: where it is, its size if known, and the directory names that may
    carry partition values."""

    path: str                 # local path, or the fsspec path (protocol stripped)
    name: str                 # for messages: the local path or the full URL
    size: int | None
    segments: list            # directory names to parse for partitions (hive: key=value)
    identity: tuple | None = None   # a remote object's identity from the listing (fastpq.io)


@dataclass
class Listing:
    fs: object                # an fsspec file system, or None for local paths
    root: str | None          # the dataset directory (None for lists and single files)
    kind: str                 # 'directory', 'metadata', 'list', 'glob' or 'file'
    files: list = field(default_factory=list)
    metadata_path: str | None = None         # the _metadata file to use (kind 'metadata')
    common_metadata_path: str | None = None

    def name_of(self, path: str) -> str:
        return path if self.fs is None else self.fs.unstrip_protocol(path)


def resolve(path_or_paths, filesystem=None, storage_options=None):
    """(fs or None, [paths]) for a path, URL, or list of them; fs None means local."""
    single = isinstance(path_or_paths, (str, os.PathLike))
    items = [path_or_paths] if single else list(path_or_paths)
    if not items:
        raise ValueError("no paths given: an empty list is not a dataset")
    items = [os.fspath(p) for p in items]
    if filesystem is not None:
        fs = filesystem
        paths = [fs._strip_protocol(p) if "://" in p else p for p in items]
        if is_local_fs(fs):
            return None, [os.path.abspath(p) for p in paths]
        return fs, paths
    first = items[0]
    fs, _ = split_url(first, storage_options)
    if fs is not None:
        return fs, [fs._strip_protocol(p) for p in items]
    return None, [strip_file_scheme(p) for p in items]


def discover(path_or_paths, filesystem=None, storage_options=None, use_metadata=True) -> Listing:
    """The files of a dataset (module docstring)."""
    single = isinstance(path_or_paths, (str, os.PathLike))
    fs, paths = resolve(path_or_paths, filesystem, storage_options)
    if not single:
        return _listing_of_list(fs, paths)
    path = paths[0]
    info = _info(fs, path)
    if info is None:
        if any(c in path for c in _GLOB_CHARS):
            return _glob_listing(fs, path)
        raise FileNotFoundError(f"no such file or directory: {_display(fs, path)}")
    kind, size, identity = info
    if kind == "directory":
        return _directory(fs, path.rstrip("/") if fs is not None else path, use_metadata)
    if posixpath.basename(path.replace(os.sep, "/")) == METADATA:
        root = posixpath.dirname(path) if fs is not None else os.path.dirname(os.path.abspath(path))
        return Listing(fs, root, "metadata", metadata_path=path, common_metadata_path=_sibling(fs, root))
    return Listing(fs, None, "file", [FileEntry(path, _display(fs, path), size, [], identity)])


def _display(fs, path: str) -> str:
    return path if fs is None else fs.unstrip_protocol(path)


def _info(fs, path: str):
    """('file' | 'directory', size, remote identity or None) or None when the path does not exist."""
    if fs is None:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise DiscoveryError(f"{path}: a loop of symbolic links") from exc
            raise
        import stat

        return ("directory", 0, None) if stat.S_ISDIR(st.st_mode) else ("file", st.st_size, None)
    try:
        info = fs.info(path)
    except (FileNotFoundError, OSError):
        return None
    return _kind_size(info)


def _kind_size(info: dict) -> tuple:
    if info.get("type") == "directory":
        return "directory", info.get("size"), None
    return "file", info.get("size"), remote_identity(info)


def _sibling(fs, root: str) -> str | None:
    path = _join(fs, root, COMMON_METADATA)
    return path if _info(fs, path) is not None else None


def _join(fs, root: str, rel: str) -> str:
    if fs is not None:
        return f"{root.rstrip('/')}/{rel}"
    return root + (os.sep if not root.endswith(os.sep) else "") + (rel if os.sep == "/" else rel.replace("/", os.sep))


def is_data_file(rel: str) -> bool:
    """Whether a file at ``rel`` (relative to the dataset root, '/'-separated) holds data."""
    parts = rel.split("/")
    if any(p[:1] in HIDDEN_PREFIXES for p in parts if p):
        return False
    return not parts[-1].lower().endswith(NOT_PARQUET_SUFFIXES)


def _directory(fs, root: str, use_metadata: bool) -> Listing:
    if use_metadata:
        meta = _join(fs, root, METADATA)
        if _info(fs, meta) is not None:
            return Listing(fs, root, "metadata", metadata_path=meta, common_metadata_path=_sibling(fs, root))
    files, skipped = [], 0
    for rel, size, identity in walk(fs, root):
        if not is_data_file(rel):
            skipped += 1
            continue
        path = _join(fs, root, rel)
        files.append(FileEntry(path, path if fs is None else fs.unstrip_protocol(path), size, rel.split("/")[:-1],
                               identity))
    common = _join(fs, root, COMMON_METADATA)
    common = common if _info(fs, common) is not None else None
    if not files and common is None:
        raise FileNotFoundError(errno.ENOENT, f"no Parquet files found in {_display(fs, root)} ({skipped} file(s) "
                                "skipped: hidden, or named as another format such as .csv)" if skipped else
                                f"no Parquet files found in {_display(fs, root)} (an empty directory)")
    return Listing(fs, root, "directory", files, common_metadata_path=common)


def walk(fs, root: str) -> list:
    """[(relative path, size, remote identity or None)] of every file under ``root``, sorted
    by path (local directories: module docstring on links)."""
    if fs is None:
        out = _walk_local(root)
    else:
        out = []
        base = root.rstrip("/") + "/"
        for path, info in fs.find(root, withdirs=False, detail=True).items():
            path = fs._strip_protocol(path) if "://" in path else path
            if path.startswith(base):
                out.append((path[len(base):],) + _kind_size(info)[1:])
    out.sort()
    return out


def _walk_local(root: str) -> list:
    out = []
    top = os.stat(root)
    stack = [(root, "", {(top.st_dev, top.st_ino): root})]
    while stack:  # os.scandir: one stat per file (what os.walk does too), no path joins
        folder, prefix, above = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            if not prefix:
                raise                      # the directory given: as it is
            raise DiscoveryError(f"cannot list {folder}, a directory of the dataset {root}: {exc}") from exc
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_dir = entry.is_dir()
                pruned = entry.name[:1] in HIDDEN_PREFIXES  # hidden directories are never listed
                st = entry.stat() if is_dir and not pruned else None
            except OSError as exc:
                if not is_data_file(rel):
                    continue
                raise DiscoveryError(f"{entry.path}, in the dataset {root}: {_reason(exc)}") from exc
            if st is not None:
                key = (st.st_dev, st.st_ino)
                if key in above:
                    raise DiscoveryError(f"{entry.path} leads back to {above[key]}: a loop of symbolic links "
                                         f"in the dataset {root}")
                stack.append((entry.path, rel + "/", {**above, key: entry.path}))
            if is_dir:
                continue
            try:
                size = entry.stat().st_size
            except FileNotFoundError as exc:
                if entry.is_symlink() and is_data_file(rel):
                    raise DiscoveryError(f"{entry.path}, in the dataset {root}, is a symbolic link to nothing "
                                         f"({os.readlink(entry.path)})") from exc
                size = None                # gone since it was listed: reading it will say so
            except OSError:
                size = None
            out.append((rel, size, None))
    return out


def _reason(exc: OSError) -> str:
    return "a loop of symbolic links" if exc.errno == errno.ELOOP else str(exc)


def _recursive_glob(pattern: str) -> list:
    """[(path, ('file', size, None))] of the local files matching a pattern with a ``**``
    component (any number of directories), found by ``walk`` (loops detected, hidden
    directories skipped) instead of ``glob.glob``, which follows links around a loop
    until the path is too long (and, with two loops, exponentially long)."""
    parts = pattern.replace(os.sep, "/").split("/")
    k = next(i for i, p in enumerate(parts) if any(c in p for c in _GLOB_CHARS))
    base = "/".join(parts[:k]) or ("/" if pattern.startswith(("/", os.sep)) else "")
    if not os.path.isdir(base or "."):
        return []
    return [(_join(None, base, rel) if base else rel, ("file", size, None))
            for rel, size, _ in walk(None, base or ".") if _matches(rel.split("/"), parts[k:])]


def _matches(names: list, patterns: list) -> bool:
    import fnmatch

    if not patterns:
        return not names
    if patterns[0] == "**":
        return any(_matches(names[i:], patterns[1:]) for i in range(len(names) + 1))
    return bool(names) and fnmatch.fnmatch(names[0], patterns[0]) and \
        (names[0][:1] != "." or patterns[0][:1] == ".") and _matches(names[1:], patterns[1:])


def _listing_of_list(fs, paths: list) -> Listing:
    files = []
    for path in paths:
        info = _info(fs, path)
        if info is None:
            raise FileNotFoundError(f"no such file: {_display(fs, path)}")
        kind, size, identity = info
        if kind == "directory":
            for rel, sub_size, sub_identity in walk(fs, path):
                if is_data_file(rel):
                    full = _join(fs, path, rel)
                    files.append(FileEntry(full, _display(fs, full), sub_size, _segments(full), sub_identity))
        else:
            files.append(FileEntry(path, _display(fs, path), size, _segments(path), identity))
    return Listing(fs, None, "list", files)


def _segments(path: str) -> list:
    """Directory names of a path as given (pyarrow parses hive segments from all of them
    for a list of files)."""
    parts = path.replace(os.sep, "/").split("/")
    return [p for p in parts[:-1] if p]


def _glob_listing(fs, pattern: str) -> Listing:
    magic = min(pattern.find(c) for c in _GLOB_CHARS if c in pattern)
    base = pattern[:magic].rsplit("/", 1)[0] if "/" in pattern[:magic] else ""
    if fs is None and "**" in pattern.replace(os.sep, "/").split("/"):
        infos = _recursive_glob(pattern)
    elif fs is None:
        matches = sorted(_glob.glob(pattern))
        infos = [(m, _info(None, m)) for m in matches]
    else:
        found = fs.glob(pattern, detail=True)
        infos = [(p, _kind_size(i)) for p, i in sorted(found.items())]
    files = []
    for path, info in infos:
        if info is None:
            continue
        rel_base = path[len(base):].lstrip("/") if base and path.startswith(base) else path
        if info[0] == "directory":
            for rel, size, identity in walk(fs, path):
                if is_data_file(rel):
                    full = _join(fs, path, rel)
                    files.append(FileEntry(full, _display(fs, full), size, _segments(rel_base + "/" + rel), identity))
        elif is_data_file(posixpath.basename(path.replace(os.sep, "/"))):
            files.append(FileEntry(path, _display(fs, path), info[1], _segments(rel_base), info[2]))
    if not files:
        raise FileNotFoundError(f"no Parquet files match {_display(fs, pattern)}")
    return Listing(fs, base or None, "glob", files)
