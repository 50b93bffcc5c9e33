"""Footer-only edits of one local Parquet file, in place and crash-safely.

``fastpq.update_file_custom_metadata(path, {key: value | None})`` and
``fastpq.remove_row_groups(path, [i, ...])`` (also ``ParquetFile.remove_row_groups``)
rewrite the footer and nothing else: no row group data moves, so the cost follows
the footer, not the file. Removed row groups' bytes stay in the file (dead, never
read) until ``fastpq.compact`` rewrites it.

The protocol is an append's (``appender.py``, its docstring) with zero new row
groups, under the same lock and the same journal, so a reader, ``fastpq.repair``
and the next append or edit recover an interrupted edit exactly as they recover
an interrupted append:

1. lock the file (``flock``), recover a journal a crash left;
2. read the footer, build the new one; a bad argument (an unknown row group, a
   reserved key, a value that would not read back) raises here, before anything
   is written; an edit that changes nothing writes nothing;
3. write the journal (the old tail) and fsync it and the directory;
4. append the commit record (new size, where the new tail starts, its CRC) to
   the journal, truncate the file to ``data_end`` (the old tail is in the
   journal: in between, the file ends with no footer at all, which recovery
   reads as "interrupted, roll back"), write the new tail there, fsync;
5. remove the journal.

Rules chosen (docs/files.md, "Editing a file in place"):

* keys and values are ``str`` or ``bytes``; bytes must be UTF-8 (the Parquet
  ``KeyValue`` fields are UTF-8 strings and fastpq reads them as ``str``: other
  bytes would not read back as written), others raise TypeError. A value of
  None removes the key (a key that is not there is no error).
* ``pandas`` and ``ARROW:schema`` describe how the columns read back: they are
  refused (ValueError) unless ``force=True``.
* row groups are given by position: -n <= i < n (negative as in Python lists);
  out of range raises IndexError, a row group named twice ValueError, a non-int
  TypeError. The pandas metadata's RangeIndex is shortened by the rows removed.
"""
from __future__ import annotations

import json
import os
import struct
import zlib

from ..errors import FileChangedError, UnsupportedFeatureError
from ..file.journal import Journal, journal_path
from ..format.footer import MAGIC, footer_bytes, parse_file_metadata, read_footer_bytes, row_group_position
from . import appender

RESERVED_KEYS = ("pandas", "ARROW:schema")


# ---------------------------------------------------------------- the edits

def update_file_custom_metadata(path, metadata, force: bool = False, storage_options=None) -> None:
    """Add, replace (``{key: value}``) or remove (``{key: None}``) key-value metadata of the
    local Parquet file ``path``, rewriting only its footer (module docstring for the rules)."""
    changes = _checked_changes(metadata, force)

    def edit(fmd) -> bool:
        kv = {item.key: item.value for item in fmd.key_value_metadata or []}
        before = dict(kv)
        arrow = kv.pop("ARROW:schema", None)
        for key, value in changes.items():
            if key == "ARROW:schema":
                arrow = value
            elif value is None:
                kv.pop(key, None)
            else:
                kv[key] = value
        if arrow is not None:
            kv["ARROW:schema"] = arrow                    # last, as writers put it
        if kv == before:
            return False
        if arrow is not None and "ARROW:schema" not in changes:
            _embed_in_arrow_schema(fmd, kv, path, strict=not force)
        fmd.key_value_metadata = _key_values(kv)
        return True

    edit_footer(path, edit, storage_options)


def remove_row_groups(path, row_groups, storage_options=None, expect=None) -> None:
    """Drop the row groups at positions ``row_groups`` from the footer of the local Parquet
    file ``path`` (their bytes stay until ``fastpq.compact``). ``expect``: (row group count,
    row count) the caller's view of the file has; FileChangedError when the file differs."""
    if isinstance(row_groups, (str, bytes)) or not hasattr(row_groups, "__iter__"):
        raise TypeError(f"row_groups must be a list of row group positions, not {type(row_groups).__name__}")
    row_groups = list(row_groups)

    def edit(fmd) -> bool:
        n = len(fmd.row_groups)
        if expect is not None and (n, int(fmd.num_rows)) != tuple(expect):
            raise FileChangedError(f"{path} changed since it was opened ({expect[0]} row groups of "
                                   f"{expect[1]} rows then, {n} of {fmd.num_rows} now): open it again")
        drop = _checked_positions(row_groups, n)
        if not drop:
            return False
        keep = [i for i in range(n) if i not in drop]
        removed = int(sum(int(fmd.row_groups.num_rows[i]) for i in drop))
        fmd.row_groups = fmd.row_groups.take(keep)
        fmd.num_rows = int(fmd.num_rows) - removed
        kv = {item.key: item.value for item in fmd.key_value_metadata or []}
        if kv.get("pandas"):
            kv["pandas"] = _shortened_range_index(kv["pandas"], removed)
            if "ARROW:schema" in kv:
                _embed_in_arrow_schema(fmd, kv, path, strict=False)
            fmd.key_value_metadata = _key_values(kv)
        return True

    edit_footer(path, edit, storage_options)


def _checked_changes(metadata, force: bool) -> dict:
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict of key -> str, bytes or None, not {type(metadata).__name__}")
    out = {}
    for key, value in metadata.items():
        key = _as_text(key, "key", key)
        if key in RESERVED_KEYS and not force:
            raise ValueError(f"{key!r} describes how the columns read back; fastpq edits it only with force=True")
        out[key] = None if value is None else _as_text(value, "value", key)
    return out


def _as_text(value, what: str, key) -> str:
    """``value`` as the str it reads back as; TypeError / ValueError when it would not."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"metadata {what} for {key!r} is not UTF-8 ({exc}): Parquet key-value metadata "
                             "holds UTF-8 strings") from None
    if not isinstance(value, str):
        raise TypeError(f"metadata {what}s are str or bytes (None removes a key), not {type(value).__name__}"
                        f" (key {key!r})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"metadata {what} for {key!r} cannot be stored as UTF-8 ({exc})") from None
    return value


def _embed_in_arrow_schema(fmd, kv: dict, path, strict: bool) -> None:
    """Re-serialise ``kv['ARROW:schema']`` (which embeds the other keys: pyarrow reads the
    embedded copy) with the new keys, its fields unchanged. When fastpq cannot reproduce
    the fields exactly: UnsupportedFeatureError if ``strict``, else the old one stays."""
    from ..format.arrow_schema import ArrowSchemaError, parse_arrow_schema
    from ..frame.write.arrow_schema import arrow_schema
    from .schema import plan_for

    embedded = {k: v for k, v in kv.items() if k != "ARROW:schema"}
    try:
        old = parse_arrow_schema(kv["ARROW:schema"])
        plan = plan_for(fmd, path)
        fields = [(c.field_name, _as_large(c.ft, f)) for c, f in zip(plan.columns, old.fields)]
        new = arrow_schema(fields, embedded)
        same = _fields_alike(parse_arrow_schema(new).fields, old.fields)
    except (ArrowSchemaError, UnsupportedFeatureError, ValueError) as exc:
        same, new = False, exc
    if same:
        kv["ARROW:schema"] = new
    elif strict:
        raise UnsupportedFeatureError(
            f"{path}: its ARROW:schema embeds a copy of the key-value metadata (pyarrow reads that copy), and "
            f"fastpq cannot re-serialise its fields exactly ({new if isinstance(new, Exception) else 'they differ'}"
            "); force=True edits the footer's keys and leaves ARROW:schema (and pyarrow's view) as it is")


def _as_large(ft, field):
    """``ft`` with Arrow's large string/binary where the old field had it (same Parquet type)."""
    from dataclasses import replace

    if ft.kind in ("str", "bytes") and field.type.kind in ("large_utf8", "large_binary"):
        return replace(ft, large=True)
    return ft


def _fields_alike(new: list, old: list) -> bool:
    """Equal Arrow fields, but for a dictionary's index width where the new one is at least as
    wide (fastpq writes int32 indexes; pandas reads the same categorical from either)."""
    from dataclasses import replace

    if len(new) != len(old):
        return False
    for a, b in zip(new, old):
        if (a.dictionary is None) != (b.dictionary is None):
            return False
        if a.dictionary is not None:
            if a.dictionary.index_bit_width < b.dictionary.index_bit_width:
                return False
            a = replace(a, dictionary=replace(a.dictionary, index_bit_width=b.dictionary.index_bit_width))
        if not _fields_alike(a.children, b.children) or replace(a, children=[]) != replace(b, children=[]):
            return False
    return True


def _key_values(kv: dict):
    from .._thrift import KeyValue

    return [KeyValue(key=k, value=v) for k, v in kv.items()] or None


def _checked_positions(row_groups: list, n: int) -> set:
    out = set()
    for key in row_groups:
        if isinstance(key, bool):
            raise TypeError("row groups are given by int position, not bool")
        i = row_group_position(key, n)
        if i in out:
            raise ValueError(f"row group {i} given twice")
        out.add(i)
    return out


def _shortened_range_index(raw: str, removed: int) -> str:
    """``raw`` (pandas metadata) with its RangeIndex ``removed`` rows shorter; as it is when
    it is not the JSON pandas writes (readers then ignore it, as they did before)."""
    try:
        meta = json.loads(raw)
        for entry in meta.get("index_columns") or []:
            if isinstance(entry, dict) and entry.get("kind") == "range":
                step = int(entry.get("step", 1))
                entry["stop"] = int(entry.get("stop", 0)) - step * removed
        return json.dumps(meta)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return raw


# ---------------------------------------------------------------- the protocol

def edit_footer(path, edit, storage_options=None) -> None:
    """Lock the local file ``path``, recover it, and replace its footer by the one
    ``edit(FileMetaData)`` makes of it (module docstring); nothing when it returns False."""
    with appender.locked_file(path, storage_options, "edit") as (path, fd, f):
        size = os.fstat(fd).st_size
        footer = read_footer_bytes(f, size, path)
        fmd = parse_file_metadata(footer, path)
        if not edit(fmd):
            return
        old_tail = footer + struct.pack("<I", len(footer)) + MAGIC
        new_tail = footer_bytes(fmd)
        if new_tail != old_tail:
            _replace_tail(fd, f, path, size - len(old_tail), old_tail, new_tail)


def _replace_tail(fd: int, f, path: str, data_end: int, old_tail: bytes, new_tail: bytes) -> None:
    ops, jpath = appender.OPS, journal_path(path)
    journal = Journal.of(f, data_end, old_tail)
    record = journal.record()
    try:
        ops.write_file(jpath, record, like=os.fstat(fd))
        ops.fsync_dir(os.path.dirname(jpath))
    except BaseException:
        appender._drop(jpath)                            # the file is untouched: only the journal goes
        raise
    try:
        new_size = data_end + len(new_tail)
        ops.write_file(jpath, Journal.commit_record(new_size, data_end, zlib.crc32(new_tail)), len(record),
                       create=False)
        ops.truncate(fd, data_end)
        ops.pwrite(fd, new_tail, data_end)
        ops.fsync(fd)
    except BaseException as exc:
        try:
            appender._restore(fd, journal)
            appender._drop(jpath)
        except BaseException as again:  # noqa: BLE001 - the original error matters more
            exc.add_note(f"fastpq could not roll the edit back ({again!r}); its journal stays: "
                         "fastpq.repair(path), a reader or the next append restores the file")
        raise
    try:
        ops.unlink(jpath)       # not fsynced: a journal that comes back matches the file (NEW) and goes again
    except OSError:
        pass
