"""Hostile ``_fastpq_journal`` files: every operation on the dataset either refuses
(``CorruptFileError``: the journal and the dataset untouched) or, for reads, ignores the
journal; nothing beside the root (sentinel files, a sentinel tree, what symbolic links
inside the root point to) ever changes. Issue 13, item 5."""
from __future__ import annotations

import json
import os
import zlib

import pytest

from fastpq import CorruptFileError
from fastpq.dataset.metadata import read_metadata
from fastpq.dataset.store import Store
from tests.safety._arena import MUTATING, OPS

# entry -> whether it needs symbolic links (local roots only); callables take the arena
ENTRIES = {
    "dotdot": "../victim.txt",
    "dotdot into the tree": "../outside/sub/deeper/note.txt",
    "dotdot into an empty folder": "../outside/empty/x.parquet",
    "inner dotdot": "k=a/../../victim.txt",
    "absolute": lambda a: os.path.join(a.base, "victim.txt") if a.symlinks else f"{a.base}/victim.txt",
    "root": "/",
    "backslash dotdot": "..\\victim.txt",
    "inner backslash": "k=a\\..\\..\\victim.txt",
    "NUL": "victim.txt\x00",
    "NUL after dotdot": "../victim.txt\x00.parquet",
    "dot": ".",
    "empty": "",
    "dot segment": "./k=a/x.parquet",
    "empty segment": "k=a//x.parquet",
    "trailing slash": "k=a/",
    "drive": "C:/victim.txt",
    "drive relative": "C:victim.txt",
    "_metadata": "_metadata",
    "the journal": "_fastpq_journal",
    "a file _metadata names": lambda a: a.live,
    "int": 7,
    "null": None,
    "bool": True,
    "float": 1.5,
    "list": ["../victim.txt"],
    "object": {"path": "../victim.txt"},
}
LOCAL_ENTRIES = {
    "through a symlinked folder": "link/sub/deeper/note.txt",
    "through a symlinked partition": "k=z/deep.parquet",
    "the symlink itself": "link",
    "a symlinked partition itself": "k=z",
    "a directory": "k=a",
}


def _journal(new=(), delete=(), crc=None, **extra) -> bytes:
    body = {"format": "fastpq-dataset-journal", "version": 1, "new": list(new), "delete": list(delete),
            "metadata_crc": crc}
    body.update(extra)
    return json.dumps(body).encode()


WHOLE = {
    "not JSON": b"../victim.txt",
    "empty file": b"",
    "binary": b"\xff\xfe\x00\x01",
    "deeply nested": b"[" * 100_000,
    "JSON null": b"null",
    "JSON list": b'["../victim.txt"]',
    "JSON string": b'"../victim.txt"',
    "no keys": b"{}",
    "other format": _journal(["../victim.txt"], format="other"),
    "version 2": _journal(["../victim.txt"], version=2),
    "new is a string": _journal(new="../victim.txt"),
    "delete is an object": _journal(delete={"../victim.txt": 1}),
    "crc is a string": _journal(["../victim.txt"], crc="123"),
    "crc is a bool": _journal(["../victim.txt"], crc=True),
    "crc is a float": _journal(["../victim.txt"], crc=1.5),
}


def _cases():
    for name, entry in {**ENTRIES, **LOCAL_ENTRIES}.items():
        local = name in LOCAL_ENTRIES
        yield pytest.param(entry, "new", local, id=f"new:{name}")      # rolled back: no CRC
        yield pytest.param(entry, "delete", local, id=f"delete:{name}")  # rolled forward: CRC matches
    for name, data in WHOLE.items():
        yield pytest.param(data, None, False, id=name)


def _install(arena, entry, where) -> None:
    arena.live = read_metadata(Store(arena.url)).row_groups[0].columns[0].file_path
    if where is None:
        arena.put("_fastpq_journal", entry)
        return
    entry = entry(arena) if callable(entry) else entry
    if where == "new":
        arena.put("_fastpq_journal", _journal(new=[entry]))
    else:
        crc = zlib.crc32(arena.get("_metadata"))
        arena.put("_fastpq_journal", _journal(delete=[entry], crc=crc))


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("entry, where, local", list(_cases()))
def test_hostile_journal_touches_nothing(arena, entry, where, local, op):
    if local and not arena.symlinks:
        pytest.skip("symbolic links and directories: local roots only")
    _install(arena, entry, where)
    outside, inside = arena.snapshot(inside=False), arena.snapshot(inside=True)
    if op in MUTATING:
        with pytest.raises(CorruptFileError, match="journal"):
            OPS[op](arena.url)
    else:
        assert len(OPS[op](arena.url)) == 3          # readers of _metadata ignore journals
    assert arena.snapshot(inside=False) == outside
    assert arena.snapshot(inside=True) == inside


def test_a_sound_journal_naming_missing_files_is_applied(arena):
    """Recovery treats files that are not there (never written, or names no file can
    have) as already removed, and the dataset keeps working."""
    from fastpq.dataset.write import read_dataset

    gone = ["k=a/part.999999.000000000000.parquet", "k=" + "x" * 400 + "/part.parquet",
            f"{read_metadata(Store(arena.url)).row_groups[0].columns[0].file_path}/under-a-file.parquet"]
    arena.put("_fastpq_journal", _journal(new=gone))
    outside = arena.snapshot(inside=False)
    assert OPS["repair"](arena.url) == "rolled back the interrupted write"
    assert not any(path.endswith("_fastpq_journal") for path in arena.snapshot(inside=True))
    OPS["append=True"](arena.url)
    assert read_dataset(Store(arena.url)).num_rows == 5
    assert arena.snapshot(inside=False) == outside
