"""The ``pandas`` key-value metadata: building it (writer) and parsing it (reader).

The format is the one pandas' pyarrow engine writes (``pyarrow.pandas_compat``)
and reads, so files written by fastpq round-trip through
``pyarrow.parquet.read_table(...).to_pandas()`` and vice versa::

    {"index_columns": ["__index_level_0__"] or [{"kind": "range", "name": null,
                       "start": 0, "stop": 3, "step": 1}],
     "column_indexes": [{"name": null, "field_name": null, "pandas_type": "unicode",
                         "numpy_type": "str", "metadata": {"encoding": "UTF-8"}}],
     "columns": [{"name": "a", "field_name": "a", "pandas_type": "int64",
                  "numpy_type": "int64", "metadata": null}, ...],
     "attributes": {}, "creator": {"library": "fastpq", "version": "0.1.0"},
     "pandas_version": "3.1.1"}

``columns`` lists the data columns, then the index columns stored as data.
``name`` is the original label as a string (tuples of a MultiIndex as
``str(tuple)``; ``column_indexes`` records each column level's dtype so ints
can be restored), ``field_name`` the Parquet field. ``pandas_type`` is the
logical type pyarrow derives from the Arrow type, ``numpy_type`` the pandas
dtype's name; ``metadata`` holds per-type extras (timezone, categorical
``num_categories``/``ordered``, decimal ``precision``/``scale``).
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CREATOR = {"library": "fastpq", "version": "0.1.0"}


# ---------------------------------------------------------------- building

def column_name_to_string(name):
    """The string form pyarrow stores for a column label (None stays None)."""
    if name is None or isinstance(name, str):
        return name
    if isinstance(name, bytes):
        return name.decode("utf-8")
    if isinstance(name, tuple):
        return str(tuple(column_name_to_string(part) for part in name))
    return str(name)


def column_entry(name, field_name, pandas_type, numpy_type, metadata=None) -> dict:
    return {"name": name, "field_name": field_name, "pandas_type": pandas_type,
            "numpy_type": numpy_type, "metadata": metadata}


def column_indexes(columns: pd.Index) -> list:
    """One entry per level of the DataFrame's column index (its name and dtype)."""
    levels = columns.levels if isinstance(columns, pd.MultiIndex) else [columns]
    out = []
    for level in levels:
        name = column_name_to_string(level.name)
        pandas_type, numpy_type, meta = _index_level_type(level)
        out.append(column_entry(name, name, pandas_type, numpy_type, meta))
    return out


def _index_level_type(level: pd.Index):
    dtype = level.dtype
    if isinstance(dtype, pd.StringDtype) or (dtype == object and pd.api.types.infer_dtype(level) == "string"):
        return "unicode", str(dtype), {"encoding": "UTF-8"}
    if dtype == object:
        kind = pd.api.types.infer_dtype(level, skipna=True)
        return {"empty": "empty"}.get(kind, kind), "object", None
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetimetz", f"datetime64[{dtype.unit}]", {"timezone": tz_to_string(dtype.tz)}
    if dtype.kind == "M":
        return "datetime", str(dtype), None
    return str(dtype), str(dtype), None


def tz_to_string(tz) -> str:
    """A time zone as pyarrow writes it: an IANA key, 'UTC', or '+HH:MM' for fixed offsets."""
    import datetime

    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if key:
        return str(key)
    if tz is datetime.timezone.utc:
        return "UTC"
    if isinstance(tz, datetime.timezone):
        offset = tz.utcoffset(None)
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        minutes = abs(minutes)
        return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return str(tz)


def range_index_entry(index: pd.RangeIndex) -> dict:
    return {"kind": "range", "name": column_name_to_string(index.name),
            "start": int(index.start), "stop": int(index.stop), "step": int(index.step)}


def build(columns: list, index_columns: list, column_index: pd.Index, attrs=None) -> bytes:
    """The JSON bytes of the 'pandas' key.

    ``columns``: column entries (data columns, then index columns), made with
    :func:`column_entry`; ``index_columns``: field names and/or RangeIndex
    entries (:func:`range_index_entry`); ``column_index``: ``df.columns``.
    """
    meta = {
        "index_columns": index_columns,
        "column_indexes": column_indexes(column_index),
        "columns": columns,
        "attributes": _json_attrs(attrs),
        "creator": dict(CREATOR),
        "pandas_version": pd.__version__,
    }
    return json.dumps(meta).encode("utf-8")


def _json_attrs(attrs) -> dict:
    if not attrs:
        return {}
    try:
        json.dumps(attrs)
    except (TypeError, ValueError):
        return {}
    return dict(attrs)


# ---------------------------------------------------------------- parsing

@dataclass
class RangeIndexInfo:
    """A RangeIndex stored as metadata only (no column): ``range(start, stop, step)``."""

    name: object
    start: int
    stop: int
    step: int


@dataclass
class ColumnInfo:
    """One entry of ``columns``.

    ``name``: the label to restore (ints/tuples recovered where
    ``column_indexes`` says so; None for an unnamed index level);
    ``field_name``: the Parquet top-level field; ``pandas_type`` /
    ``numpy_type``: as written; ``dtype``: the pandas dtype to restore
    ('Int64', 'category', 'datetime64[ns, Europe/Paris]', 'timedelta64[us]',
    ... or None where the Parquet type decides); ``timezone``,
    ``categorical_ordered``, ``num_categories``, ``precision``, ``scale`` from
    ``metadata``; ``is_index``: the column holds (a level of) the index.
    """

    name: object
    field_name: str
    pandas_type: str | None
    numpy_type: str | None
    metadata: dict = field(default_factory=dict)
    is_index: bool = False
    timezone: str | None = None
    categorical_ordered: bool | None = None
    num_categories: int | None = None
    precision: int | None = None
    scale: int | None = None

    @property
    def is_categorical(self) -> bool:
        return self.pandas_type == "categorical"

    @property
    def dtype(self) -> str | None:
        """The pandas dtype string to restore, when the metadata pins one."""
        if self.is_categorical:
            return "category"
        if self.pandas_type == "datetimetz" and self.timezone:
            unit = (self.numpy_type or "datetime64[ns]")[len("datetime64["):-1] or "ns"
            return f"datetime64[{unit}, {self.timezone}]"
        nt = self.numpy_type
        if nt is None or nt == "object":
            return None
        return nt


@dataclass
class PandasMetadata:
    """Parsed 'pandas' metadata.

    ``columns``: data columns in DataFrame order (``ColumnInfo``);
    ``index``: the index levels in order, each a ``ColumnInfo`` (stored as a
    column) or a ``RangeIndexInfo`` (metadata only); ``column_index_names``:
    names of the column index levels; ``column_index_dtypes``: their
    pandas_type ('int64', 'unicode', 'mixed-integer', ...); ``by_field``:
    field name -> ColumnInfo for every stored column; ``attributes``:
    ``DataFrame.attrs``; ``creator``: who wrote the file.
    """

    columns: list
    index: list
    column_index_names: list
    column_index_dtypes: list
    by_field: dict
    attributes: dict
    creator: dict
    raw: dict

    @property
    def index_field_names(self) -> list:
        return [i.field_name for i in self.index if isinstance(i, ColumnInfo)]

    def column_labels(self) -> list:
        """Data column labels restored to their original types where possible."""
        return [c.name for c in self.columns]


def parse_pandas_metadata(meta: dict) -> PandasMetadata:
    """Parse the decoded JSON of the 'pandas' key (raises ValueError if malformed)."""
    if not isinstance(meta, dict):
        raise ValueError("pandas metadata is not a JSON object")
    col_idx = meta.get("column_indexes") or []
    level_types = [c.get("pandas_type") for c in col_idx if isinstance(c, dict)]
    infos = [_column_info(c, level_types) for c in meta.get("columns") or [] if isinstance(c, dict)]
    by_field = {c.field_name: c for c in infos}
    index = []
    index_fields = set()
    for entry in meta.get("index_columns") or []:
        if isinstance(entry, dict) and entry.get("kind") == "range":
            index.append(RangeIndexInfo(entry.get("name"), int(entry.get("start", 0)),
                                        int(entry.get("stop", 0)), int(entry.get("step", 1))))
        elif isinstance(entry, str):
            info = by_field.get(entry) or ColumnInfo(None, entry, None, None)
            info.is_index = True
            if _is_generated_index_name(info.name):
                info.name = None
            index.append(info)
            index_fields.add(entry)
    columns = [c for c in infos if c.field_name not in index_fields]
    return PandasMetadata(
        columns=columns, index=index,
        column_index_names=[c.get("name") for c in col_idx if isinstance(c, dict)],
        column_index_dtypes=level_types, by_field=by_field,
        attributes=meta.get("attributes") or {}, creator=meta.get("creator") or {}, raw=meta)


def _is_generated_index_name(name) -> bool:
    return isinstance(name, str) and name.startswith("__index_level_") and name.endswith("__")


def _column_info(entry: dict, level_types: list) -> ColumnInfo:
    md = entry.get("metadata") or {}
    name = entry.get("name")
    field_name = entry.get("field_name") or (name if isinstance(name, str) else str(name))
    info = ColumnInfo(name=_restore_label(name, level_types), field_name=field_name,
                      pandas_type=entry.get("pandas_type"), numpy_type=entry.get("numpy_type"),
                      metadata=md if isinstance(md, dict) else {})
    if isinstance(md, dict):
        info.timezone = md.get("timezone")
        info.categorical_ordered = md.get("ordered")
        info.num_categories = md.get("num_categories")
        info.precision = md.get("precision")
        info.scale = md.get("scale")
    return info


def _restore_label(name, level_types: list):
    """Undo the stringification of non-string labels, guided by column_indexes."""
    if not isinstance(name, str):
        return name
    if len(level_types) > 1 and name.startswith("("):
        try:
            parts = ast.literal_eval(name)
        except (ValueError, SyntaxError):
            return name
        if isinstance(parts, tuple) and len(parts) == len(level_types):
            return tuple(_convert_label(p, t) for p, t in zip(parts, level_types))
        return name
    if len(level_types) == 1:
        return _convert_label(name, level_types[0])
    return name


def _convert_label(value, pandas_type):
    if not isinstance(value, str) or pandas_type is None:
        return value
    try:
        if pandas_type.startswith(("int", "uint")):
            return int(value)
        if pandas_type.startswith("float"):
            return float(value)
    except ValueError:
        return value
    return value


def numpy_type_of(dtype) -> str:
    """``numpy_type`` of a pandas dtype, as pyarrow writes it."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "int8"  # replaced by the codes' dtype by the caller
    if isinstance(dtype, pd.DatetimeTZDtype):
        return f"datetime64[{dtype.unit}]"
    if isinstance(dtype, np.dtype) and dtype == object:
        return "object"
    return str(dtype)
