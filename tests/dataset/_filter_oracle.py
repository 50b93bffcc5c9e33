"""Random tables and filters, and a plain-Python oracle for pyarrow's filter semantics."""
from __future__ import annotations

import datetime as dt
import math
import operator
from decimal import Decimal

import pyarrow as pa
from hypothesis import strategies as st

UTC = dt.timezone.utc
DOMAINS = {
    "i": [-3, 0, 1, 2, 5, 7, 100],
    "f": [-1.5, -0.0, 0.0, 0.5, 2.5, float("nan"), 1e300],
    "f4": [-0.0, 0.1, 0.5, 0.3, float("nan"), float("inf")],   # stored as float32: 0.1 is not 0.1
    "s": ["", "a", "b", "bb", "c", "é", "zz"],
    "b": [True, False],
    "ts": [dt.datetime(1999, 12, 31, 23, 59, 59), dt.datetime(2000, 1, 1), dt.datetime(2000, 1, 1, 0, 0, 0, 1),
           dt.datetime(2020, 6, 1, 12)],
    "tz": [dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2000, 1, 1, 1, tzinfo=UTC),
           dt.datetime(2020, 6, 1, 12, tzinfo=UTC)],
    "d": [dt.date(1970, 1, 1), dt.date(1999, 12, 31), dt.date(2000, 1, 1), dt.date(2038, 1, 19)],
    "dec": [Decimal("-1.25"), Decimal("0.00"), Decimal("1.50"), Decimal("99.99")],
    "cat": ["lo", "mid", "hi"],
}
TYPES = {"i": pa.int64(), "f": pa.float64(), "f4": pa.float32(), "s": pa.string(), "b": pa.bool_(), "ts": pa.timestamp("us"),
         "tz": pa.timestamp("us", "UTC"), "d": pa.date32(), "dec": pa.decimal128(5, 2),
         "cat": pa.dictionary(pa.int32(), pa.string())}
# values a filter may use beyond the stored ones (missing values, other zones, other units)
EXTRA = {
    "i": [-100, 3, 2**40, 2.5, Decimal("1")],
    "f": [1, -1e301, float("inf")],
    "f4": [0.10000000149011612, 1e40, 0.30000001192092896],   # float32(0.1) and float32(0.3) exactly
    "s": ["aa", "b\x00", "\U0001f600"],
    "b": [],
    "ts": [dt.datetime(1900, 1, 1), dt.date(2000, 1, 1)],
    "tz": [dt.datetime(2000, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))), dt.date(2000, 1, 1),
           dt.date(2020, 6, 1)],
    "d": [dt.date(1, 1, 1), dt.datetime(1999, 12, 31, 12)],
    "dec": [Decimal("1.5"), 1, 0.5],
    "cat": ["zz", "a"],
}
COLUMNS = list(DOMAINS)
PARTITION = {"p": [0, 1, 2], "extra": [5, -1, 1.5]}  # a hive key: the file number
OPS = ["==", "=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null"]
PYARROW_OPS = {"==", "=", "!=", "<", "<=", ">", ">=", "in", "not in"}
_CMP = {"==": operator.eq, "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


@st.composite
def tables(draw, n_max: int = 60):
    n = draw(st.integers(0, n_max))
    cols = {"rid": pa.array(range(n), pa.int64())}
    for name, domain in DOMAINS.items():
        null_rate = draw(st.sampled_from([0.0, 0.2, 1.0 if name == "s" else 0.5]))
        values = [None if draw(st.floats(0, 1)) < null_rate else draw(st.sampled_from(domain)) for _ in range(n)] \
            if null_rate else [draw(st.sampled_from(domain)) for _ in range(n)]
        if name == "cat":
            cols[name] = pa.array(values, pa.string()).dictionary_encode()
        else:
            cols[name] = pa.array(values, TYPES[name])
    if draw(st.booleans()) and n:  # sorted on 'i' (nulls last): pages and row groups then prune well
        table = pa.table(cols)
        order = sorted(range(n), key=lambda r: (cols["i"][r].as_py() is None, cols["i"][r].as_py() or 0))
        return table.take(pa.array(order, pa.int64()))
    return pa.table(cols)


@st.composite
def predicates(draw, column=None):
    column = column or draw(st.sampled_from(COLUMNS))
    op = draw(st.sampled_from(OPS))
    pool = (PARTITION["p"] + PARTITION["extra"] if column == "p" else DOMAINS[column] + EXTRA[column]) + [None]
    if op in ("is null", "is not null"):
        return (column, op, None) if draw(st.booleans()) else (column, "is" if op == "is null" else "is not", None)
    if op in ("in", "not in"):
        return column, op, draw(st.lists(st.sampled_from(pool), max_size=4))
    value = draw(st.sampled_from(pool))
    return column, op, value


@st.composite
def filters(draw, partitioned: bool = False):
    pred = st.one_of(predicates(), predicates("p")) if partitioned else predicates()
    groups = draw(st.lists(st.lists(pred, min_size=1, max_size=3), min_size=1, max_size=3))
    return groups[0] if len(groups) == 1 and draw(st.booleans()) else groups


def matches(value, op: str, key) -> bool:
    """pyarrow's semantics on one stored value (None: null; NaN is a value)."""
    if op in ("is", "is null"):
        return value is None
    if op in ("is not", "is not null"):
        return value is not None
    if op in ("in", "not in"):
        if value is None:
            hit = any(k is None for k in key)
        elif _nan(value):
            hit = any(_nan(k) for k in key)
        else:
            hit = any(k is not None and not _nan(k) and _eq(value, k) for k in key)
        return hit if op == "in" else not hit
    if value is None or key is None:
        return False
    return _CMP[op](*_comparable(value, key))


def _nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _eq(a, b) -> bool:
    a, b = _comparable(a, b)
    return a == b


def _comparable(a, b):
    """Dates against datetimes compare as midnight datetimes, UTC midnight against zone-aware
    ones (pyarrow casts the date so)."""
    if isinstance(a, dt.date) and not isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        a = dt.datetime(a.year, a.month, a.day)
    if isinstance(b, dt.date) and not isinstance(b, dt.datetime) and isinstance(a, dt.datetime):
        b = dt.datetime(b.year, b.month, b.day, tzinfo=None if a.tzinfo is None else dt.timezone.utc)
    return a, b


def expected_rids(table: pa.Table, dnf) -> list:
    groups = dnf if isinstance(dnf[0], list) else [dnf]
    rows = table.to_pylist()
    out = []
    for row in rows:
        if any(all(matches(row[c], op, v) for c, op, v in g) for g in groups):
            out.append(row["rid"])
    return out


def pyarrow_can(dnf) -> bool:
    """Whether pyarrow accepts these filters (its type checks are narrower than fastpq's)."""
    groups = dnf if isinstance(dnf[0], list) else [dnf]
    for g in groups:
        for c, op, v in g:
            if op not in PYARROW_OPS:
                return False
            if c in ("f", "f4") and op in ("!=", "not in"):
                return False  # pyarrow prunes row groups whose min == max == value though NaN matches
            values = v if op in ("in", "not in") else [v]
            if op in ("in", "not in") and not [x for x in values if x is not None]:
                return False  # pyarrow: "Array type doesn't match type of values set: ... vs null"
            if op in ("in", "not in") and c == "f4":
                return False  # pyarrow casts a value set to float32 (0.1 in [0.1]); fastpq compares in float64
            if op in ("in", "not in") and c == "f" and any(x == 0 for x in values if isinstance(x, float)):
                return False  # pyarrow's is_in hashes bits: -0.0 does not match 0.0 (== says equal)
            for x in values:
                if x is None and op not in ("in", "not in"):
                    continue
                if x is None:
                    continue
                if c == "i" and isinstance(x, Decimal):
                    return False
                if c == "dec" and isinstance(x, int):
                    return False
                if c == "dec" and op in ("in", "not in") and isinstance(x, float):
                    return False  # pyarrow: "int or Decimal object expected, got float" in a decimal value set
                if c == "ts" and op in ("in", "not in") and not isinstance(x, dt.datetime):
                    return False  # pyarrow cannot build a timestamp value set holding a date
                if c == "tz" and op in ("in", "not in") and not isinstance(x, dt.datetime):
                    return False  # pyarrow cannot build a timestamp value set holding a date
                if c == "tz" and isinstance(x, dt.datetime) and x.utcoffset() != dt.timedelta(0):
                    return False
                if c == "d" and isinstance(x, dt.datetime):
                    return False
                if c == "s" and x == "b\x00":
                    return False
    return True
