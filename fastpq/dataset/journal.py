"""The dataset journal ``_fastpq_journal`` and crash recovery (``recover``).

A dataset write (``fastpq.dataset.write``, module docstring: the protocol)
journals, before it writes part files, the files it is about to create and its
tag; before it swaps ``_metadata``, also the files the change replaces and the
CRC of the new ``_metadata``. The journal is JSON::

    {"format": "fastpq-dataset-journal", "version": 1, "new": [...], "delete": [...],
     "metadata_crc": int | null, "tag": str | null, "aborted": bool}

``recover`` reads it after a crash: when the CRC is that of the current
``_metadata`` the write committed, and its ``delete`` entries go (roll
forward); else its ``new`` entries and every part file carrying its tag go
(roll back). Entries are checked (``Store.check``) before anything is deleted.
"""
from __future__ import annotations

import json
import re
import zlib

from ..errors import CorruptFileError
from .footers import file_paths
from .metadata import common_metadata, file_bytes, parse_bytes
from .store import COMMON_METADATA, METADATA

JOURNAL = "_fastpq_journal"
_TEMP = re.compile(r"(^|/)\.[^/]*\.fastpq-tmp$")


def put_journal(store, new: list, delete: list, crc, tag=None, aborted=False) -> None:
    for rel in new + delete:
        store.check(rel, file=True)
    body = {"format": "fastpq-dataset-journal", "version": 1, "new": new, "delete": delete, "metadata_crc": crc,
            "tag": tag, "aborted": aborted}
    store.put_atomic(JOURNAL, json.dumps(body).encode("utf-8"))


def is_current(store, tag: str) -> bool:
    try:
        journal = json.loads(store.read(JOURNAL) or b"null")
    except ValueError:
        return False
    return isinstance(journal, dict) and journal.get("tag") == tag and not journal.get("aborted")


def abort(store, new: list, tag) -> None:
    """Roll back the write of journal ``new`` / ``tag``: the journal marked aborted first
    (``write.write_part_of``), then the files and the journal removed."""
    if tag is not None:
        put_journal(store, new, [], None, tag, aborted=True)
    _roll_back(store, new + tagged_files(store, tag))


def tagged_files(store, tag) -> list:
    """The part files of the write ``tag`` that exist (one listing)."""
    if not isinstance(tag, str) or not re.fullmatch(r"[0-9a-f]{12}", tag):
        return []
    mine = re.compile(rf"(^|/)part\.[0-9]+\.{tag}\.parquet\Z")
    return [rel for rel in store.files() if mine.search(rel)]


def _roll_back(store, rels: list) -> None:
    """Delete ``rels`` (a failed write's new files; in recovery, a committed write's replaced
    files), their empty folders and the journal."""
    for rel in rels:
        store.remove(rel)
    store.remove_empty_dirs(rels)
    _sync_common(store)
    store.remove(JOURNAL)


def _sync_common(store) -> None:
    """Rewrite ``_common_metadata`` from ``_metadata`` (it may be one step ahead after a crash)."""
    data = store.read(METADATA)
    if data is not None:
        store.put_atomic(COMMON_METADATA, file_bytes(common_metadata(parse_bytes(data, store.path(METADATA)))))


def recover(store, sweep: bool = False) -> str:
    """Finish (the new ``_metadata`` is in place) or roll back (it is not) a write
    interrupted by a crash; then (or when ``sweep``) remove leftover temporary files of
    fastpq (local datasets). A journal that cannot be applied (``_doomed``) raises
    ``CorruptFileError`` and nothing is touched. Call under the lock."""
    raw = store.read(JOURNAL)
    result = "clean"
    if raw is not None:
        current = store.read(METADATA)
        forward, doomed, tag = _doomed(store, raw, current)
        if forward:
            _roll_back(store, doomed)
            result = "completed the interrupted write"
        else:
            abort(store, doomed, tag)
            result = "rolled back the interrupted write"
    if store.local and (sweep or raw is not None):
        removed = 0
        for rel in [rel for rel in store.files() if _TEMP.search(rel)]:
            try:
                store.remove(rel)
                removed += 1
            except CorruptFileError:       # a link, FIFO, ... named like one: not fastpq's, left alone
                pass
        if removed and result == "clean":
            result = "removed temporary files"
    return result


def _doomed(store, raw: bytes, current: bytes | None) -> tuple:
    """(roll forward?, the files recovery deletes, the write's tag) from the journal's bytes ``raw``: its
    ``delete`` entries when its CRC is that of the ``current`` _metadata, else its ``new``
    ones. ``CorruptFileError`` unless it is a journal of this module whose entries are
    files the dataset may delete (``Store.check``), none of them a metadata file or a file
    the current ``_metadata`` names (the protocol never deletes one)."""
    where = store.path(JOURNAL)
    advice = "nothing was changed; inspect the journal, then move it away by hand"
    try:
        journal = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise CorruptFileError(f"the dataset journal is not JSON ({e}); {advice}", path=where) from None
    crc = journal.get("metadata_crc") if isinstance(journal, dict) else None
    if not (isinstance(journal, dict) and journal.get("format") == "fastpq-dataset-journal"
            and journal.get("version") == 1 and (crc is None or type(crc) is int)
            and isinstance(journal.get("new"), list) and isinstance(journal.get("delete"), list)):
        raise CorruptFileError(f"the dataset journal is not a fastpq dataset journal (version 1); {advice}",
                               path=where)
    for key in ("new", "delete"):
        for rel in journal[key]:
            store.check(rel, where, f"journal entry ({key!r})", file=True)
    tag = journal.get("tag")
    if tag is not None and not isinstance(tag, str):
        raise CorruptFileError(f"the dataset journal's tag is {tag!r}, not a string; {advice}", path=where)
    forward = crc is not None and current is not None and zlib.crc32(current) == crc
    doomed = journal["delete" if forward else "new"]
    name = store.path(METADATA)
    live = set(file_paths(parse_bytes(current, name).row_groups, name)) if current else set()
    for rel in doomed:
        if rel in (METADATA, COMMON_METADATA, JOURNAL) or rel in live:
            raise CorruptFileError(f"the dataset journal would delete {rel!r}, which the dataset still uses; "
                                   f"{advice}", path=where)
    return forward, doomed, tag


__all__ = ["JOURNAL", "put_journal", "recover", "is_current", "abort", "tagged_files"]
