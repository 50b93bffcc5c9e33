"""Metadata as text and JSON for the command line (``fastpq meta``, ``fastpq stats``).

No pandas here: values come from ``ParquetFile`` (statistics decoded through
the logical type) and are shown with ``show`` (people: short, one cell) or
``jsonable`` (``json.dumps(default=...)``: exact, strings for what JSON lacks).
"""
from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
import uuid

from .._thrift import CompressionCodec, Encoding
from ..format.schema import TYPE_NAMES

MAX_CELL = 40


def codec_name(codec) -> str:
    return CompressionCodec._VALUES_TO_NAMES.get(codec, str(codec))


def encoding_names(encodings) -> list:
    return [Encoding._VALUES_TO_NAMES.get(e, str(e)) for e in encodings or []]


def leaf_name(leaf) -> str:
    return ".".join(leaf.path)


_STATS = ("null_count", "distinct_count", "min", "max")


def leaf_statistics(pf) -> list:
    """Per leaf column in file order: {statistic: [value per row group]}. ``pf.statistics`` maps a
    name that several columns share (duplicate top-level names) to a tuple of their lists: the
    n-th column of that name takes the n-th."""
    stats, seen, out = pf.statistics, {}, []
    for leaf in pf.schema.columns:
        name = leaf_name(leaf)
        n = seen[name] = seen.get(name, -1) + 1
        out.append({k: stats[k][name][n] if isinstance(stats[k][name], tuple) else stats[k][name] for k in _STATS})
    return out


def stats_rows(pf) -> list:
    """[{column, row_group, null_count, distinct_count, min, max}] in column, then row group, order."""
    rows = []
    for leaf, values in zip(pf.schema.columns, leaf_statistics(pf)):
        for i in range(pf.num_row_groups):
            rows.append({"column": leaf_name(leaf), "row_group": i, **{k: values[k][i] for k in _STATS}})
    return rows


def file_meta(pf) -> dict:
    """Everything ``fastpq meta`` shows, as plain data (see ``print_meta``)."""
    per_leaf = leaf_statistics(pf)
    out = {
        "file": str(pf.path), "created_by": pf.created_by, "format_version": pf.metadata.version,
        "num_rows": pf.num_rows, "num_row_groups": pf.num_row_groups, "num_columns": len(pf.schema.columns),
        "file_size": pf.file_size, "footer_size": pf.footer_size,
        "key_value_metadata": sorted(pf.key_value_metadata), "row_groups": [],
    }
    for info, rg in zip(pf.row_groups, pf.metadata.row_groups):
        group = {"index": info.index, "num_rows": info.num_rows, "total_byte_size": info.total_byte_size,
                 "total_compressed_size": info.total_compressed_size, "columns": []}
        for leaf, chunk, values in zip(pf.schema.columns, rg.columns, per_leaf):
            md = chunk.meta_data
            name = leaf_name(leaf)
            if md is None:
                group["columns"].append({"column": name, "metadata": None})
                continue
            group["columns"].append({
                "column": name, "type": TYPE_NAMES.get(md.type, str(md.type)),
                "logical_type": str(leaf.logical) or None, "codec": codec_name(md.codec),
                "encodings": encoding_names(md.encodings), "num_values": md.num_values,
                "compressed_size": md.total_compressed_size, "uncompressed_size": md.total_uncompressed_size,
                "data_page_offset": md.data_page_offset, "dictionary_page_offset": md.dictionary_page_offset,
                "statistics": {k: values[k][info.index] for k in _STATS},
            })
        out["row_groups"].append(group)
    return out


def print_meta(pf) -> None:
    meta = file_meta(pf)
    print(f"file:        {meta['file']}")
    print(f"created_by:  {meta['created_by']}")
    print(f"rows:        {meta['num_rows']:,}")
    print(f"row groups:  {meta['num_row_groups']}")
    print(f"columns:     {meta['num_columns']}")
    print(f"size:        {meta['file_size']:,} bytes, footer {meta['footer_size']:,}")
    if meta["key_value_metadata"]:
        print(f"metadata:    {', '.join(meta['key_value_metadata'])}")
    for rg in meta["row_groups"]:
        compressed = rg["total_compressed_size"]
        print(f"row group {rg['index']}: {rg['num_rows']:,} rows, {rg['total_byte_size']:,} bytes"
              + (f" ({compressed:,} compressed)" if compressed is not None else ""))
        for c in rg["columns"]:
            if c.get("metadata", True) is None:
                print(f"  {c['column']}: (no metadata)")
                continue
            kind = c["type"] + (f" {c['logical_type']}" if c["logical_type"] else "")
            s = c["statistics"]
            line = (f"  {c['column']}: {kind} {c['codec']} [{','.join(c['encodings'])}] "
                    f"{c['compressed_size']:,} bytes ({c['uncompressed_size']:,} uncompressed), "
                    f"{c['num_values']:,} values")
            if s["null_count"] is not None:
                line += f", {s['null_count']:,} nulls"
            if s["min"] is not None or s["max"] is not None:
                line += f", min {show(s['min'])}, max {show(s['max'])}"
            print(line)


def print_table(header: list, rows: list) -> None:
    """Columns padded to their widest cell, two spaces apart."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    for cells in [header] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())


def show(value) -> str:
    """A value in one short cell: '-' for none, strings as they are, bytes as b'...'."""
    if value is None:
        return "-"
    if isinstance(value, str):
        text = value if value.strip() == value and value else json.dumps(value, ensure_ascii=False)
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value) if not isinstance(value, (bytes, bytearray)) else repr(bytes(value))
    text = " ".join(text.split()) if any(ch in text for ch in "\n\r\t") else text
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def jsonable(value):
    """``json.dumps`` ``default``: exact text for what JSON has no type for."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)) or hasattr(value, "isoformat"):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        item = value.item()
        return None if isinstance(item, float) and math.isnan(item) else item
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
