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
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from ..errors import PartitionError

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_INT = re.compile(r"-?[0-9]+\Z")
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
SCHEMES = ("hive", "drill", None)


@dataclass
class Partitioning:
    """The partition columns of a dataset and each file's values."""

    names: list = field(default_factory=list)
    kinds: dict = field(default_factory=dict)          # name -> 'int32' | 'str'
    categories: dict = field(default_factory=dict)     # name -> [typed values], first-appearance order
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


def discover_partitioning(all_segments: list, scheme: str | None, names_for_errors: list) -> Partitioning:
    """Partitioning of files whose directory names are ``all_segments`` (one list per file)."""
    if scheme not in SCHEMES:
        raise ValueError(f"partitioning must be 'hive', 'drill' or None, not {scheme!r}")
    raw = [parse_segments(segs, scheme, where) for segs, where in zip(all_segments, names_for_errors)]
    names: list = []
    for r in raw:
        for k in r:
            if k not in names:
                names.append(k)
    kinds = {}
    for name in names:
        texts = [r[name] for r in raw if r.get(name) is not None]
        kinds[name] = "int32" if texts and all(_is_int32(t) for t in texts) else "str"
    values = [{n: _typed(r.get(n), kinds[n]) for n in names} for r in raw]
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


def _typed(text, kind: str):
    if text is None:
        return None
    return int(text) if kind == "int32" else text
