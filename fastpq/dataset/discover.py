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
so reading a footer later is one ranged read with no size request.
"""
from __future__ import annotations

import glob as _glob
import os
import posixpath
from dataclasses import dataclass, field

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
        if _is_local_fs(fs):
            return None, [os.path.abspath(p) for p in paths]
        return fs, paths
    first = items[0]
    if "://" in first and not first.startswith("file://"):
        import fsspec

        fs, _ = fsspec.core.url_to_fs(first, **(storage_options or {}))
        return fs, [fs._strip_protocol(p) for p in items]
    return None, [p[len("file://"):] if p.startswith("file://") else p for p in items]


def _is_local_fs(fs) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


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
    kind, size = info
    if kind == "directory":
        return _directory(fs, path.rstrip("/") if fs is not None else path, use_metadata)
    if posixpath.basename(path.replace(os.sep, "/")) == METADATA:
        root = posixpath.dirname(path) if fs is not None else os.path.dirname(os.path.abspath(path))
        return Listing(fs, root, "metadata", metadata_path=path, common_metadata_path=_sibling(fs, root))
    return Listing(fs, None, "file", [FileEntry(path, _display(fs, path), size, [])])


def _display(fs, path: str) -> str:
    return path if fs is None else fs.unstrip_protocol(path)


def _info(fs, path: str):
    """('file' | 'directory', size) or None when the path does not exist."""
    if fs is None:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        import stat

        return ("directory", 0) if stat.S_ISDIR(st.st_mode) else ("file", st.st_size)
    try:
        info = fs.info(path)
    except (FileNotFoundError, OSError):
        return None
    return ("directory" if info.get("type") == "directory" else "file"), info.get("size")


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
    files = []
    for rel, size in walk(fs, root):
        if is_data_file(rel):
            path = _join(fs, root, rel)
            files.append(FileEntry(path, path if fs is None else fs.unstrip_protocol(path), size, rel.split("/")[:-1]))
    common = _join(fs, root, COMMON_METADATA)
    return Listing(fs, root, "directory", files,
                   common_metadata_path=common if _info(fs, common) is not None else None)


def walk(fs, root: str) -> list:
    """[(relative path, size)] of every file under ``root``, sorted by path."""
    out = []
    if fs is None:
        stack = [(root, "")]
        while stack:  # os.scandir: one stat per file (what os.walk does too), no path joins
            folder, prefix = stack.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir():
                        if entry.name[:1] not in HIDDEN_PREFIXES:  # pruned: never listed
                            stack.append((entry.path, prefix + entry.name + "/"))
                        continue
                    try:
                        size = entry.stat().st_size
                    except OSError:
                        size = None
                    out.append((prefix + entry.name, size))
    else:
        base = root.rstrip("/") + "/"
        for path, info in fs.find(root, withdirs=False, detail=True).items():
            path = fs._strip_protocol(path) if "://" in path else path
            if path.startswith(base):
                out.append((path[len(base):], info.get("size")))
    out.sort()
    return out


def _listing_of_list(fs, paths: list) -> Listing:
    files = []
    for path in paths:
        info = _info(fs, path)
        if info is None:
            raise FileNotFoundError(f"no such file: {_display(fs, path)}")
        kind, size = info
        if kind == "directory":
            for rel, sub_size in walk(fs, path):
                if is_data_file(rel):
                    full = _join(fs, path, rel)
                    files.append(FileEntry(full, _display(fs, full), sub_size, _segments(full)))
        else:
            files.append(FileEntry(path, _display(fs, path), size, _segments(path)))
    return Listing(fs, None, "list", files)


def _segments(path: str) -> list:
    """Directory names of a path as given (pyarrow parses hive segments from all of them
    for a list of files)."""
    parts = path.replace(os.sep, "/").split("/")
    return [p for p in parts[:-1] if p]


def _glob_listing(fs, pattern: str) -> Listing:
    magic = min(pattern.find(c) for c in _GLOB_CHARS if c in pattern)
    base = pattern[:magic].rsplit("/", 1)[0] if "/" in pattern[:magic] else ""
    if fs is None:
        matches = sorted(_glob.glob(pattern, recursive=True))
        infos = [(m, _info(None, m)) for m in matches]
    else:
        found = fs.glob(pattern, detail=True)
        infos = [(p, ("directory" if i.get("type") == "directory" else "file", i.get("size")))
                 for p, i in sorted(found.items())]
    files = []
    for path, info in infos:
        if info is None:
            continue
        rel_base = path[len(base):].lstrip("/") if base and path.startswith(base) else path
        if info[0] == "directory":
            for rel, size in walk(fs, path):
                if is_data_file(rel):
                    full = _join(fs, path, rel)
                    files.append(FileEntry(full, _display(fs, full), size, _segments(rel_base + "/" + rel)))
        elif is_data_file(posixpath.basename(path.replace(os.sep, "/"))):
            files.append(FileEntry(path, _display(fs, path), info[1], _segments(rel_base)))
    if not files:
        raise FileNotFoundError(f"no Parquet files match {_display(fs, pattern)}")
    return Listing(fs, base or None, "glob", files)
