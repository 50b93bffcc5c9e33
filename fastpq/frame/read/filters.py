"""Filters in disjunctive normal form: parsing, type checks, and pruning from metadata.

``filters`` is what pyarrow and ``pandas.read_parquet`` take: a list of
predicates ``(column, op, value)`` ANDed together, or a list of such lists ORed
together. Operators: ``==`` (``=``), ``!=``, ``<``, ``<=``, ``>``, ``>=``,
``in``, ``not in`` (value: a collection), ``is null`` / ``is not null`` (value
ignored; also spelled ``('c', 'is', None)`` / ``('c', 'is not', None)``).

Semantics are pyarrow's (measured with pyarrow 26), on stored nulls: a
comparison never matches a null (nor does any comparison with a None value);
``in`` matches nulls only when the collection holds None, so ``not in`` keeps
nulls unless it does; NaN is a value, not a null: ``x != 1`` and ``x in [nan]``
match it, ``x == nan`` and ``x < 1`` do not.

Values are checked against the column's type before anything is read
(``FilterTypeError``, a TypeError): numbers (int, float, Decimal, numpy
scalars; not bool) for integer, float and decimal columns; bool for booleans;
str (or UTF-8 bytes) for strings; bytes (or str) for binary; ``datetime.date``
or naive datetimes for dates; naive datetimes / Timestamps / datetime64 / dates
for naive timestamps; zone-aware datetimes or Timestamps of any zone for
zone-aware timestamps (compared as instants), and dates for any timestamp column:
a date is midnight, UTC midnight against a zone-aware column (pyarrow casts a date
to a zoned timestamp so: ``date(2024, 6, 1)`` is 2024-05-31 20:00 in New York); ``datetime.time`` for times;
timedeltas for durations. An unknown column raises ``FilterError`` (a
ValueError).

Pruning is three-valued ("cannot match" / "may match"): this module decides it
from constants (a file's partition values; columns a file lacks, all null) and
from statistics (row groups here, pages in ``fastpq.file.page_filter``), with the
trust rules of fastpq.format.statistics plus: bounds of strings that are not
flagged exact are only bounds (no pruning on ``!=`` / ``not in``); a bound
holding a replacement character (a truncation inside a UTF-8 sequence) is
ignored; floats may hold NaN unless ``nan_count`` says 0; a missing null count
means nulls may be present. Floats of every width compare in float64 (bounds
decoded exactly, keys as given), as rows do (fastpq.frame.read.rows).
"""
from __future__ import annotations

import datetime
import operator
import uuid
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ...errors import FilterError, FilterTypeError

_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_OPS = {"==": "==", "=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "in": "in",
        "not in": "not in", "is null": "is null", "is not null": "is not null", "is": "is null",
        "is not": "is not null"}
NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1, "D": 86_400 * 10**9, "day": 86_400 * 10**9}
_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_MISSING = object()


@dataclass(frozen=True)
class Predicate:
    column: str
    op: str          # normalised: one of _COMPARISONS, 'in', 'not in', 'is null', 'is not null'
    value: object    # as given (a tuple for in / not in)


@dataclass(frozen=True)
class Bound:
    """A predicate checked against its column's kind, its value(s) turned into keys."""

    column: str
    op: str
    kind: str        # number, bool, string, binary, uuid, date, timestamp, time, duration, null
    key: object      # comparisons: one key (None: compares with null); in/not in: tuple of keys
    has_null: bool = False   # in / not in: the collection holds None
    has_nan: bool = False    # in / not in: the collection holds NaN


# ---------------------------------------------------------------- parsing

def normalize(filters) -> list | None:
    """[[Predicate, ...], ...] (OR of ANDs), or None for no filters."""
    if filters is None:
        return None
    if not isinstance(filters, (list, tuple)) or not filters:
        raise FilterError(f"malformed filters {filters!r}: expected a list of (column, op, value) tuples "
                          "or a list of such lists")
    if all(_is_predicate(p) for p in filters):
        groups = [filters]
    elif all(isinstance(g, (list, tuple)) and g and all(_is_predicate(p) for p in g) for g in filters):
        groups = filters
    else:
        raise FilterError(f"malformed filters {filters!r}: expected a list of (column, op, value) tuples "
                          "or a non-empty list of non-empty lists of them")
    return [[_predicate(p) for p in g] for g in groups]


def _is_predicate(p) -> bool:
    return isinstance(p, (list, tuple)) and len(p) in (2, 3) and isinstance(p[0], str) and isinstance(p[1], str)


def _predicate(p) -> Predicate:
    column, op_text = p[0], p[1]
    value = p[2] if len(p) == 3 else _MISSING
    op = _OPS.get(op_text.strip().lower() if isinstance(op_text, str) else op_text)
    if op is None:
        raise FilterError(f"filter {tuple(p)!r}: unknown operator {op_text!r}; use one of "
                          "==, =, !=, <, <=, >, >=, in, not in, is null, is not null")
    if op_text.strip().lower() in ("is", "is not") and value is not None:
        raise FilterError(f"filter {tuple(p)!r}: 'is' and 'is not' take None (null tests)")
    if op in ("is null", "is not null"):
        return Predicate(column, op, None)
    if value is _MISSING:
        raise FilterError(f"filter {tuple(p)!r}: operator {op_text!r} needs a value")
    if op in ("in", "not in"):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise FilterError(f"filter {tuple(p)!r}: {op!r} needs a collection of values, not {value!r}")
        value = tuple(value.tolist() if isinstance(value, np.ndarray) else value)
    return Predicate(column, op, value)


def columns_of(dnf) -> list:
    """Columns the filters name, in order of first mention."""
    out: dict = {}
    for group in dnf or []:
        for p in group:
            out[p.column] = None
    return list(out)


# ---------------------------------------------------------------- binding

def kind_of(sig: tuple) -> str | None:
    """The filter kind of a dataset column signature (fastpq.dataset.unify), None if unfilterable."""
    k = sig[0]
    if k in ("int", "float", "decimal"):
        return "number"
    if k in ("fixed", "binary"):
        return "binary"
    if k == "timestamp":
        return "timestamp_tz" if sig[2] else "timestamp"
    if k in ("bool", "string", "uuid", "date", "time", "duration", "null"):
        return k
    return None


def bind(pred: Predicate, kind: str | None) -> Bound:
    if kind is None:
        raise FilterError(f"filter on {pred.column!r}: filtering on nested or unsupported columns is not supported")
    if pred.op in ("is null", "is not null"):
        return Bound(pred.column, pred.op, kind, None)
    if pred.op in ("in", "not in"):
        keys = [to_key(v, kind, pred) for v in pred.value]
        has_null = any(k is None for k in keys)
        has_nan = any(_is_nan(k) for k in keys)
        keys = tuple(k for k in keys if k is not None and not _is_nan(k))
        return Bound(pred.column, pred.op, kind, keys, has_null, has_nan)
    return Bound(pred.column, pred.op, kind, to_key(pred.value, kind, pred))


def _is_nan(x) -> bool:
    return isinstance(x, float) and x != x


def _bad(pred: Predicate, value, kind: str, wanted: str):
    return FilterTypeError(f"filter {(pred.column, pred.op, pred.value)!r}: cannot compare column {pred.column!r} "
                           f"({kind.replace('_tz', ' with time zone')}) with {value!r} of type "
                           f"{type(value).__name__}; expected {wanted}")


def to_key(value, kind: str, pred: Predicate):
    """The comparable key of a filter value for a column kind (module docstring), None for None."""
    if value is None:
        return None
    if kind == "null":
        return value
    if kind == "number":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, Decimal, np.integer,
                                                                         np.floating)):
            raise _bad(pred, value, kind, "a number")
        return value.item() if isinstance(value, np.generic) else value
    if kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise _bad(pred, value, kind, "a bool")
        return bool(value)
    if kind == "string":
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise _bad(pred, value, kind, "a str") from None
        if not isinstance(value, str):
            raise _bad(pred, value, kind, "a str")
        return value
    if kind == "binary":
        if isinstance(value, str):
            return value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise _bad(pred, value, kind, "bytes")
        return bytes(value)
    if kind == "uuid":
        if isinstance(value, uuid.UUID):
            return value
        raise _bad(pred, value, kind, "a uuid.UUID")
    return _time_key(value, kind, pred)


def _time_key(value, kind: str, pred: Predicate) -> int:
    """Dates, timestamps, times and durations compare as nanoseconds (Python ints: no range limit)."""
    if kind == "time":
        if isinstance(value, datetime.time) and value.tzinfo is None:
            return ((value.hour * 60 + value.minute) * 60 + value.second) * 10**9 + value.microsecond * 1000
        raise _bad(pred, value, kind, "a datetime.time")
    if kind == "duration":
        if isinstance(value, np.timedelta64) and not np.isnat(value):
            unit = np.datetime_data(value.dtype)[0]
            return int(value.astype(np.int64)) * NS[unit] if unit in NS else _bad_raise(pred, value, kind)
        if isinstance(value, datetime.timedelta):
            import pandas as pd

            td = pd.Timedelta(value)
            return int(td.asm8.astype(np.int64)) * NS[np.datetime_data(td.asm8.dtype)[0]]
        raise _bad(pred, value, kind, "a timedelta")
    aware_ok = kind == "timestamp_tz"
    naive_ok = kind in ("timestamp", "date")
    if isinstance(value, np.datetime64):
        if np.isnat(value) or not naive_ok:
            raise _bad(pred, value, kind, _wanted(kind))
        unit = np.datetime_data(value.dtype)[0]
        if unit not in NS:
            value, unit = value.astype("datetime64[ns]"), "ns"
        return int(value.astype(np.int64)) * NS[unit]
    if isinstance(value, datetime.datetime):
        aware = value.tzinfo is not None and value.utcoffset() is not None
        if (aware and not aware_ok) or (not aware and not naive_ok):
            raise _bad(pred, value, kind, _wanted(kind))
        return _datetime_ns(value)
    if isinstance(value, datetime.date) and (naive_ok or aware_ok):  # midnight (UTC for aware columns)
        return (value.toordinal() - _EPOCH_ORDINAL) * NS["D"]
    raise _bad(pred, value, kind, _wanted(kind))


def _bad_raise(pred, value, kind):
    raise _bad(pred, value, kind, "a timedelta")


def _wanted(kind: str) -> str:
    return {"date": "a datetime.date or a naive datetime",
            "timestamp": "a naive datetime, Timestamp, numpy.datetime64 or date",
            "timestamp_tz": "a datetime or Timestamp with a time zone, or a date"}[kind]


def _datetime_ns(value) -> int:
    """Nanoseconds since the epoch (UTC for aware values), exactly, for datetimes and Timestamps."""
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return int(value.asm8.astype(np.int64)) * NS[np.datetime_data(value.asm8.dtype)[0]]
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = (value - value.utcoffset()).replace(tzinfo=None)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


# ---------------------------------------------------------------- constants

def const_match(b: Bound, key) -> bool:
    """Whether a value (as a key; None for null) known for every row satisfies the predicate."""
    op = b.op
    if op == "is null":
        return key is None
    if op == "is not null":
        return key is not None
    if op in ("in", "not in"):
        if key is None:
            hit = b.has_null
        elif _is_nan(key):
            hit = b.has_nan
        else:
            hit = any(_eq(key, k) for k in b.key)
        return hit if op == "in" else not hit
    if key is None or b.key is None:
        return False
    return _compare(key, op, b.key)


def _eq(a, b) -> bool:
    try:
        return bool(a == b)
    except TypeError:
        return False


COMPARISONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
               ">": operator.gt, ">=": operator.ge}


def _compare(a, op: str, b) -> bool:
    try:
        return COMPARISONS[op](a, b)
    except TypeError:
        return False


# ---------------------------------------------------------------- statistics

@dataclass
class Summary:
    """What metadata says about some rows of one column (a column chunk or a page)."""

    lo: object              # key of the minimum, None if unknown
    hi: object              # key of the maximum, None if unknown
    null_count: int | None  # None if unknown
    num_values: int
    exact: bool             # lo / hi are values that occur (not just bounds)
    may_have_nan: bool


def may_match(b: Bound, s: Summary) -> bool:
    """False only when no row summarised by ``s`` can satisfy ``b``."""
    nulls = s.null_count is None or s.null_count > 0
    values = s.null_count is None or s.null_count < s.num_values
    op = b.op
    if op == "is null":
        return nulls
    if op == "is not null":
        return values
    if op == "in":
        if b.has_null and nulls:
            return True
        if not values:
            return False
        if b.has_nan and s.may_have_nan:
            return True
        return any(_within(k, s) for k in b.key)
    if op == "not in":
        if nulls and not b.has_null:
            return True
        if not values:
            return False
        if s.may_have_nan and not b.has_nan:
            return True
        return not (s.exact and s.lo is not None and _eq(s.lo, s.hi) and any(_eq(s.lo, k) for k in b.key))
    key = b.key
    if key is None or not values:
        return False
    if _is_nan(key):
        return op == "!=" or False
    if op == "!=":
        if s.may_have_nan:
            return True
        return not (s.exact and s.lo is not None and _eq(s.lo, s.hi) and _eq(s.lo, key))
    lo, hi = s.lo, s.hi
    try:
        if op == "==":
            return (lo is None or lo <= key) and (hi is None or key <= hi)
        if op == "<":
            return lo is None or lo < key
        if op == "<=":
            return lo is None or lo <= key
        if op == ">":
            return hi is None or hi > key
        return hi is None or hi >= key
    except TypeError:
        return True


def _within(key, s: Summary) -> bool:
    try:
        return (s.lo is None or s.lo <= key) and (s.hi is None or key <= s.hi)
    except TypeError:
        return True


def stat_key(value, kind: str):
    """A statistics value (fastpq.format.statistics' Python objects) as a key, None if unusable."""
    if value is None:
        return None
    if kind in ("date", "timestamp", "timestamp_tz", "time", "duration"):
        if isinstance(value, datetime.date):
            return (value.toordinal() - _EPOCH_ORDINAL) * NS["D"]
        if isinstance(value, (np.datetime64, np.timedelta64)):
            if np.isnat(value):
                return None
            unit = np.datetime_data(value.dtype)[0]
            return int(value.astype(np.int64)) * NS[unit] if unit in NS else None
        if kind == "duration" and isinstance(value, int):
            return None  # unit known only to the caller: see chunk_summary
        return None
    if kind == "string":
        if not isinstance(value, str) or "\ufffd" in value:
            return None
        return value
    if kind == "number":
        if isinstance(value, float) and value != value:
            return None
        return value if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else None
    if kind == "bool":
        return bool(value) if isinstance(value, (bool, np.bool_)) else None
    if kind == "binary":
        return bytes(value) if isinstance(value, (bytes, bytearray)) else None
    if kind == "uuid":
        return value if isinstance(value, uuid.UUID) else None
    return None


def chunk_summary(stats: dict, kind: str, num_values: int, optional: bool, is_float: bool, unit=None) -> Summary:
    """A Summary from fastpq.format.statistics.chunk_statistics output."""
    lo, hi = stats.get("min"), stats.get("max")
    if kind == "duration" and unit in NS:
        lo = None if lo is None else int(lo) * NS[unit]
        hi = None if hi is None else int(hi) * NS[unit]
    else:
        lo, hi = stat_key(lo, kind), stat_key(hi, kind)
    null_count = stats.get("null_count") if optional else 0
    exact = kind not in ("string", "binary") or (stats.get("min_exact") is True and stats.get("max_exact") is True)
    nan_count = stats.get("nan_count")
    return Summary(lo, hi, null_count, num_values, exact, is_float and (nan_count is None or nan_count > 0))


def group_may_match(group: list, summaries: dict) -> bool:
    """A conjunction may match unless one of its predicates cannot; ``summaries``: column -> Summary
    (a column without one is unknown)."""
    for b in group:
        s = summaries.get(b.column)
        if s is not None and not may_match(b, s):
            return False
    return True
