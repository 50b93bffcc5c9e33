"""Key-value metadata that other writers leave for readers: checks and the warnings for bad values.

Two keys change how a file reads: ``ARROW:schema`` (fastpq.format.arrow_schema)
and ``pandas`` (JSON: index columns, original column names, pandas dtypes).
Both are advice about data the Parquet schema already describes, so a
malformed value is ignored with a warning rather than failing the read:
``ArrowSchemaWarning`` / ``PandasMetadataWarning``. ``pandas_metadata_problem``
checks the structure of the pandas JSON before anything relies on it.
"""
from __future__ import annotations

import numbers


class ArrowSchemaWarning(UserWarning):
    """A file's ``ARROW:schema`` (or a time zone it names) could not be used; fastpq ignored it."""


class PandasMetadataWarning(UserWarning):
    """A file's ``pandas`` metadata is malformed (or names an unknown time zone); fastpq ignored it."""


def _label(value) -> bool:
    """A column or index name as pandas writes one: str, None, or a number."""
    return value is None or isinstance(value, (str, numbers.Number))


def _optional_str(value) -> bool:
    return value is None or isinstance(value, str)


def pandas_metadata_problem(raw) -> str | None:
    """What is wrong with the structure of decoded pandas metadata, or None if it can be used."""
    if not isinstance(raw, dict):
        return f"a JSON {type(raw).__name__}, not an object"
    index_columns = raw.get("index_columns", [])
    if not isinstance(index_columns, list):
        return "index_columns is not a list"
    for entry in index_columns:
        problem = _index_entry_problem(entry)
        if problem:
            return problem
    column_indexes = raw.get("column_indexes", [])
    if not isinstance(column_indexes, list) or not all(
            isinstance(c, dict) and _label(c.get("name")) and _optional_str(c.get("pandas_type"))
            for c in column_indexes):
        return "column_indexes is not a list of objects with a name"
    columns = raw.get("columns", [])
    if not isinstance(columns, list):
        return "columns is not a list"
    for c in columns:
        problem = _column_problem(c)
        if problem:
            return problem
    return None


def _index_entry_problem(entry) -> str | None:
    if isinstance(entry, str):
        return None
    if not isinstance(entry, dict):
        return f"an index_columns entry is a {type(entry).__name__}"
    if entry.get("kind") != "range":
        return None  # other descriptors are not used
    bounds = [entry.get("start", 0), entry.get("step", 1)] + ([entry["stop"]] if entry.get("stop") is not None else [])
    if not all(isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63 for v in bounds) \
            or entry.get("step", 1) == 0:
        return "a RangeIndex descriptor has bounds that are not int64 or a zero step"
    if not _label(entry.get("name")):
        return "a RangeIndex descriptor's name is not a label"
    return None


def _column_problem(c) -> str | None:
    if not isinstance(c, dict):
        return f"a columns entry is a {type(c).__name__}"
    if not _label(c.get("name")) or not _optional_str(c.get("field_name")):
        return "a columns entry has a name or field_name that is not a label"
    if not _optional_str(c.get("pandas_type")) or not _optional_str(c.get("numpy_type")):
        return "a columns entry has a pandas_type or numpy_type that is not a string"
    md = c.get("metadata")
    if md is not None and not isinstance(md, dict):
        return "a columns entry's metadata is not an object"
    if isinstance(md, dict) and not _optional_str(md.get("timezone")):
        return "a columns entry's timezone is not a string"
    return None


# ---------------------------------------------------------------- custom metadata (writing)

RESERVED_KEYS = ("pandas", "ARROW:schema")
RESERVED_PREFIX = "fastpq:"


def custom_metadata_items(custom) -> dict:
    """``custom_metadata`` as the key -> value pairs to store, checked before anything is written.

    Keys and values may be ``str`` or ``bytes``. A key is stored as its text (``b'k'`` is the
    key ``'k'``; a bytes key must be UTF-8). A value is stored as its bytes: a ``str`` value
    as UTF-8, a ``bytes`` value as it is, UTF-8 or not. Anything else is a TypeError; the
    keys the writer owns ('pandas', 'ARROW:schema', 'fastpq:...') are a ValueError.
    """
    if custom is None:
        return {}
    if not isinstance(custom, dict):
        raise TypeError(f"custom_metadata must be a dict of str/bytes -> str/bytes, not {type(custom).__name__}")
    out = {}
    for key, value in custom.items():
        if isinstance(key, (bytes, bytearray)):
            try:
                key = bytes(key).decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"custom_metadata key {bytes(key)!r} is not UTF-8 text") from None
        if not isinstance(key, str):
            raise TypeError(f"custom_metadata key {key!r}: keys must be str or bytes, not {type(key).__name__}")
        if key in RESERVED_KEYS or key.startswith(RESERVED_PREFIX):
            raise ValueError(f"custom_metadata key {key!r} is written by fastpq itself; choose another key")
        if isinstance(value, (bytearray, memoryview)):
            value = bytes(value)
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"custom_metadata[{key!r}]: values must be str or bytes, not {type(value).__name__}")
        if key in out:
            raise ValueError(f"custom_metadata has the key {key!r} twice (as str and as bytes)")
        out[key] = value
    return out
