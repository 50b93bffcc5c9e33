"""``fastpq.merge``: ``_metadata`` and ``_common_metadata`` for Parquet files written by
anyone (a directory's part files, or a list of files), under the dataset lock and
after recovering an interrupted write."""
from __future__ import annotations

import os
import posixpath

from ..format.source import strip_file_scheme
from .journal import recover
from .metadata import collect, write_metadata
from .paths import check_path
from .store import METADATA, Store


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
        path = strip_file_scheme(path)
        rel = os.path.relpath(os.path.abspath(path), store.root).replace(os.sep, "/")
    else:
        inner = store.fs._strip_protocol(path)
        base = store.root.rstrip("/") + "/"
        if not inner.startswith(base):
            raise ValueError(f"{path} is not under the dataset root {store.url}")
        rel = inner[len(base):]
    return rel


__all__ = ["merge"]
