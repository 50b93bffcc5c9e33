"""Partition values from directory names: hive (``key=value``) and drill (``dir0``, ``dir1``, ...).

Hive, as pyarrow.dataset's default ``partitioning='hive'`` (measured with
pyarrow 26 through ``pandas.read_parquet``): a directory name ``key=value``
gives column ``key``; both halves are percent-decoded (``segment_encoding='uri'``);
``__HIVE_DEFAULT_PARTITION__`` is null; names without ``=`` are ignored. A
column is int32 when every non-null value of it parses as a 32-bit integer
(an optional ``-`` then digits: ``01`` is 1, ``+1`` and ``1.5`` are not), else
string. A file that lacks a key holds null for it. Columns come in order of
first appearance; their categories are the distinct values in order of first
appearance over the files in listing order (what pyarrow's dictionary gives).

Drill (``partitioning='drill'``, as Apache Drill and fastparquet name them):
the i-th directory level below the root is column ``dir{i}``, typed as above.

Explicit types (``partitioning={'n': 'int64', 'date': 'datetime64[ns]', 'k': 'str'}``:
hive directories, the named columns typed, the others by the rule above): a
column of an explicit type is a plain column of that dtype (not a categorical),
as pyarrow gives it for a partitioning with a schema. Types: int8-int64,
uint8-uint64, float32/float64, bool (``true``/``false``, any case), str, and
datetime64[s|ms|us|ns] (ISO 8601 text: ``2024-06-01``, ``2024-06-01 10:00:00``
as the writer names them). A directory value that does not parse as its type
exactly (``1.5`` for an int, ``300`` for int8) raises ``PartitionError``.

Filters on a partition column compare values as directory names: a value of
the column's type is compared as is (numbers with numbers, datetimes and dates
with datetimes); any other value is converted as if it were the directory
name it would be written under (``fastpq.dataset.write.partition_value``, then
parsed by the column's type): ``('n', '==', '3')`` on an int column matches
``n=3``; ``('k', '==', 3)`` on a str column matches ``k=3``; a value that does
not parse (``'x'`` against ints) raises ``FilterTypeError``.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import numpy as np

from ..errors import PartitionError

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_INT = re.compile(r"-?[0-9]+\Z")
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
SCHEMES = ("hive", "drill", None)


@dataclass
class Partitioning:
    """The partition columns of a dataset and each file's values."""

    names: list = field(default_factory=list)
    kinds: dict = field(default_factory=dict)          # name -> 'int32' | 'str' | 'as:<dtype>' (explicit)
    categories: dict = field(default_factory=dict)     # name -> [typed values], first-appearance order
    # explicit types' values: int / float / bool / str, datetime64 as nanoseconds since the epoch (int)
    values: list = field(default_factory=list)         # per file: {name: typed value or None}

    def value(self, i: int, name: str):
        return self.values[i].get(name)

    def code(self, i: int, name: str) -> int:
        """The category code of file ``i``'s value (-1 for null)."""
        v = self.values[i].get(name)
        return -1 if v is None else self._codes[name][v]

    def __post_init__(self):
        self._codes = {n: {v: k for k, v in enumerate(c)} for n, c in self.categories.items()}


def parse_segments(segments: list, scheme: str | None, where: str) -> dict:
    """{key: raw string or None} for one file's directory names."""
    out: dict = {}
    if scheme is None:
        return out
    if scheme == "drill":
        for i, seg in enumerate(segments):
            out[f"dir{i}"] = _null_or(unquote(seg))
        return out
    for seg in segments:
        if "=" not in seg:
            continue
        key, _, raw = seg.partition("=")
        key, value = unquote(key), _null_or(unquote(raw))
        if key in out and out[key] != value:
            raise PartitionError(f"{where}: partition key {key!r} appears twice in the path with values "
                                 f"{out[key]!r} and {value!r}")
        out[key] = value
    return out


def _null_or(text: str):
    return None if text == NULL_PARTITION else text


def discover_partitioning(all_segments: list, scheme, names_for_errors: list) -> Partitioning:
    """Partitioning of files whose directory names are ``all_segments`` (one list per file);
    ``scheme``: 'hive', 'drill', None, or {column: dtype} (hive, explicit types)."""
    explicit = {}
    if isinstance(scheme, dict):
        explicit = {str(k): parse_type(k, v) for k, v in scheme.items()}
        scheme = "hive"
    if scheme not in SCHEMES:
        raise ValueError(f"partitioning must be 'hive', 'drill', None or a dict of column -> dtype, "
                         f"not {scheme!r}")
    raw = [parse_segments(segs, scheme, where) for segs, where in zip(all_segments, names_for_errors)]
    names: list = []
    for r in raw:
        for k in r:
            if k not in names:
                names.append(k)
    unknown = [n for n in explicit if n not in names]
    if unknown and raw:
        raise ValueError(f"partitioning names {unknown}, which no directory holds; the partition columns "
                         f"are {names}")
    kinds = {}
    for name in names:
        texts = [r[name] for r in raw if r.get(name) is not None]
        kinds[name] = "as:" + explicit[name] if name in explicit else \
            "int32" if texts and all(_is_int32(t) for t in texts) else "str"
    values = [{n: _typed(r.get(n), kinds[n], n, where) for n in names} for r, where in zip(raw, names_for_errors)]
    categories = {}
    for name in names:
        seen: dict = {}
        for v in values:
            x = v[name]
            if x is not None and x not in seen:
                seen[x] = None
        categories[name] = list(seen)
    return Partitioning(names, kinds, categories, values)


def _is_int32(text: str) -> bool:
    return bool(_INT.match(text)) and _INT32_MIN <= int(text) <= _INT32_MAX


def _typed(text, kind: str, name=None, where=None):
    if text is None:
        return None
    if kind.startswith("as:"):
        value = parse_value(text, kind[3:])
        if value is _BAD:
            raise PartitionError(f"{where}: partition {name}={text!r} is not a {kind[3:]} value")
        return value
    return int(text) if kind == "int32" else text


_BAD = object()
_INT_RANGES = {f"{u}int{b}": ((0, (1 << b) - 1) if u else (-(1 << (b - 1)), (1 << (b - 1)) - 1))
               for u in ("", "u") for b in (8, 16, 32, 64)}
_TYPE_NAMES = {"string": "str", "object": "str", "boolean": "bool", "datetime64": "datetime64[ns]",
               "float": "float64", "int": "int64"}
TYPES = tuple(_INT_RANGES) + ("float32", "float64", "bool", "str") + tuple(
    f"datetime64[{u}]" for u in ("s", "ms", "us", "ns"))


def parse_type(name, dtype) -> str:
    """The canonical name of an explicit partition type (module docstring); ValueError else."""
    text = str(dtype)
    text = _TYPE_NAMES.get(text, text)
    if text not in TYPES:
        raise ValueError(f"partitioning: column {name!r} cannot be typed {dtype!r}; types: {', '.join(TYPES)}")
    return text


def parse_value(text: str, dtype: str):
    """A directory value of an explicit type as its Python key (module docstring), or _BAD."""
    if dtype in _INT_RANGES:
        lo, hi = _INT_RANGES[dtype]
        return int(text) if _INT.match(text) and lo <= int(text) <= hi else _BAD
    if dtype.startswith("float"):
        try:
            return float(text)
        except ValueError:
            return _BAD
    if dtype == "bool":
        return {"true": True, "false": False}.get(text.lower(), _BAD)
    if dtype == "str":
        return text
    unit = dtype[len("datetime64["):-1]
    if _ZONE.search(text[10:]):
        return _BAD                   # a zone: not a naive datetime64 value
    try:
        value = np.datetime64(text, unit)
    except ValueError:
        return _BAD
    if np.isnat(value):
        return _BAD
    key = int(value.astype(np.int64)) * _NS[unit]
    try:                              # numpy truncates finer digits: refuse what the unit cannot hold
        fine = int(np.datetime64(text, "ns").astype(np.int64))
    except (ValueError, OverflowError):
        fine = key
    return key if fine == key else _BAD


_ZONE = re.compile(r"(Z|[+-][0-9]{2}:?[0-9]{2})\Z")
_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


# ---------------------------------------------------------------- filters on partition columns

def filter_kind(kind: str) -> str:
    """The filter kind (fastpq.frame.read.filters) of a partition column of ``kind``."""
    dtype = kind[3:] if kind.startswith("as:") else kind
    if dtype in _INT_RANGES or dtype.startswith("float"):
        return "number"
    if dtype == "bool":
        return "bool"
    return "timestamp" if dtype.startswith("datetime64") else "string"


def bind_filter(pred, kind: str):
    """``pred`` bound to a partition column of ``kind``; values of another type converted as
    the directory name they would be written under (module docstring)."""
    from ..frame.read import filters as F

    fkind = filter_kind(kind)
    if pred.op in ("is null", "is not null"):
        return F.bind(pred, fkind)
    if pred.op in ("in", "not in"):
        value = tuple(_as_kind(v, kind, fkind, pred) for v in pred.value)
    else:
        value = _as_kind(pred.value, kind, fkind, pred)
    return F.bind(dataclasses.replace(pred, value=value), fkind)


def _as_kind(value, kind: str, fkind: str, pred):
    from ..errors import FilterTypeError
    from ..frame.read import filters as F
    from .write import partition_value

    if value is None or (isinstance(value, float) and value != value):
        return value
    try:
        F.to_key(value, fkind, pred)
        return value                                    # already of the column's type
    except FilterTypeError:
        pass
    text = unquote(partition_value(value))
    dtype = kind[3:] if kind.startswith("as:") else kind
    parsed = parse_value(text, dtype)
    if parsed is _BAD:
        raise FilterTypeError(f"filter {(pred.column, pred.op, pred.value)!r}: partition column {pred.column!r} "
                              f"holds {dtype} values; {value!r} is not one (as a directory name: {text!r})")
    return np.datetime64(parsed, "ns") if dtype.startswith("datetime64") else parsed
