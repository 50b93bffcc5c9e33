"""Hostile ``_metadata`` file_paths: writes that would delete through them and reads refuse
(``CorruptFileError``, a ``ParquetError``: never IsADirectoryError or a NUL's ValueError),
leaving the dataset untouched; nothing beside the root ever changes. Issue 13, items 5, 6."""
from __future__ import annotations

import os

import pytest

from fastpq import CorruptFileError, ParquetError
from fastpq.dataset.metadata import file_bytes, read_metadata
from fastpq.dataset.store import Store
from tests.safety._arena import OPS

# not a dataset-relative path: every write and every read through _metadata refuses
MALFORMED = {
    "dotdot": "../victim.parquet",
    "dotdot into the tree": "../outside/sub/deep.parquet",
    "inner dotdot": "k=a/../../victim.parquet",
    "absolute": lambda a: os.path.join(a.base, "victim.parquet") if a.symlinks else f"{a.base}/victim.parquet",
    "backslash dotdot": "..\\victim.parquet",
    "NUL": "victim\x00.parquet",
    "dot": ".",
    "empty": "",
    "missing": None,
    "dot segment": "./k=a/p.parquet",
    "empty segment": "k=a//p.parquet",
    "drive": "C:/victim.parquet",
}
# paths, but through a link out of the root or to what is no file: the writes that would
# delete them (append=False, a rewrite) refuse; reads follow links as listings do
LOCAL = {
    "through a symlinked folder": "link/sub/deep.parquet",
    "through a symlinked partition": "k=z/deep.parquet",
    "the symlink itself": "link",
    "a directory": "k=a",
}
REFUSE_ALWAYS = ("write", "append=True", "append='overwrite'", "append=False", "read")
REFUSE_LOCAL = ("write", "append=False")


def _cases():
    for name, value in MALFORMED.items():
        yield pytest.param(value, REFUSE_ALWAYS, id=name)
    for name, value in LOCAL.items():
        yield pytest.param(value, REFUSE_LOCAL, id=name)


def _install(arena, value) -> None:
    md = read_metadata(Store(arena.url))
    rgs = list(md.row_groups)
    for chunk in rgs[0].columns:
        chunk.file_path = value(arena) if callable(value) else value
    md.row_groups = rgs
    arena.put("_metadata", file_bytes(md))


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("value, refused", list(_cases()))
def test_hostile_metadata_touches_nothing(arena, value, refused, op, request):
    if refused is REFUSE_LOCAL and not arena.symlinks:
        pytest.skip("symbolic links and directories: local roots only")
    _install(arena, value)
    outside, inside = arena.snapshot(inside=False), arena.snapshot(inside=True)
    if op in refused:
        with pytest.raises(CorruptFileError, match="file_path|leaves the dataset|regular file"):
            OPS[op](arena.url)
        assert arena.snapshot(inside=True) == inside
    else:
        try:
            OPS[op](arena.url)
        except ParquetError:       # any failure must at least be fastpq's own
            pass
    assert arena.snapshot(inside=False) == outside


def test_merge_repairs_a_hostile_metadata(arena):
    _install(arena, "../victim.parquet")
    OPS["merge"](arena.url)
    assert len(OPS["read"](arena.url)) == 3
