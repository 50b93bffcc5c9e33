"""Column labels -> ``df.columns``: the column index rebuilt from pandas metadata's ``column_indexes``.

Parquet field names are strings, so writers store each label as a string
(a MultiIndex label as ``str(tuple_of_strings)``) and record, per level of the
column index, its ``pandas_type`` (``pd.api.types.infer_dtype``'s answer, or
the dtype for typed levels) and ``numpy_type`` (the level's dtype). The reader
restores each level the way ``pyarrow.Table.to_pandas`` does, so a file reads
into the same ``df.columns`` with either:

- ``bytes`` levels: the strings encoded back to UTF-8 bytes;
- ``datetimetz``: parsed as UTC and converted to the recorded zone and unit;
- ``decimal``: ``decimal.Decimal`` labels;
- string levels recorded as ``object`` (pandas < 3 files, mixed labels): kept ``str``;
- otherwise cast to the dtype ``pandas_type`` names (``integer`` -> int64,
  ``datetime`` -> datetime64[ns], ``int64`` ...), then to ``numpy_type``.

A level whose metadata cannot be applied (hostile or foreign metadata) keeps
its string labels: labels are advice, never a reason to fail a read. With no
columns, the levels still get their types (``pd.DataFrame()`` reads back with
an int64 column index, an empty column MultiIndex as an empty MultiIndex).
"""
from __future__ import annotations

import decimal

import numpy as np
import pandas as pd

# pandas_type (infer_dtype's vocabulary) -> the dtype a level of that kind reads into
_LOGICAL = {"date": "datetime64[D]", "datetime": "datetime64[ns]", "datetimetz": "datetime64[ns]",
            "unicode": "str", "string": "str", "bytes": "bytes", "integer": "int64",
            "floating": "float64", "decimal": "object", "empty": "object"}


def column_index(labels: list, column_indexes: list) -> pd.Index:
    """``df.columns`` for ``labels`` (already mapped from field names to metadata names)."""
    levels_meta = [c for c in column_indexes if isinstance(c, dict)] if isinstance(column_indexes, list) else []
    names = [c.get("name") for c in levels_meta]
    if len(levels_meta) > 1:
        if all(isinstance(x, tuple) and len(x) == len(levels_meta) for x in labels):
            columns = pd.MultiIndex.from_tuples(labels, names=names)
            return _restore_multi(columns, levels_meta)
        return pd.Index(labels, dtype=object if not labels else None)
    columns = pd.Index(labels, name=names[0] if names else None, dtype=object if not labels else None)
    if not levels_meta:
        return columns
    return _restore_level(columns, levels_meta[0])


def _restore_multi(columns: pd.MultiIndex, levels_meta: list) -> pd.MultiIndex:
    levels = [_restore_level(level, meta) for level, meta in zip(columns.levels, levels_meta)]
    try:
        return pd.MultiIndex(levels=levels, codes=columns.codes, names=columns.names)
    except (ValueError, TypeError):  # a cast merged two labels ('1', '01' -> 1): keep the strings
        return columns


def _restore_level(level: pd.Index, meta: dict) -> pd.Index:
    pandas_type = meta.get("pandas_type")
    numpy_type = meta.get("numpy_type")
    if not isinstance(pandas_type, str):
        return level
    try:
        return _cast_level(level, pandas_type, numpy_type if isinstance(numpy_type, str) else None, meta)
    except (ValueError, TypeError, OverflowError, ArithmeticError, KeyError, AttributeError,
            UnicodeError, pd.errors.OutOfBoundsDatetime):
        return level


def _cast_level(level: pd.Index, pandas_type: str, numpy_type: str | None, meta: dict) -> pd.Index:
    target = _LOGICAL.get(pandas_type)
    if target is None:
        target = "object" if "mixed" in pandas_type else pandas_type
    if target == "bytes":
        return pd.Index([x.encode("utf-8") if isinstance(x, str) else x for x in level],
                        dtype=object, name=level.name)
    if pandas_type == "datetimetz":
        tz = (meta.get("metadata") or {}).get("timezone")
        out = pd.DatetimeIndex(pd.to_datetime(level, utc=True), name=level.name).tz_convert(tz)
        unit = np.datetime_data(np.dtype(numpy_type))[0] if numpy_type else "ns"
        return out.as_unit(unit)
    if pandas_type == "decimal":
        return pd.Index([decimal.Decimal(x) for x in level], dtype=object, name=level.name)
    if level.dtype == "str" and numpy_type == "object" and ("mixed" in pandas_type
                                                          or pandas_type in ("unicode", "string")):
        return level
    if level.dtype != target:
        level = level.astype(target)
    if numpy_type and level.dtype != numpy_type:
        level = level.astype(numpy_type)
    return level
