#!/usr/bin/env python
"""Write fastpq's committed Parquet test files with independent writers.

pyarrow, duckdb and polars (test-only dependencies) each write small,
deterministic files into this folder, and MANIFEST.json records, per file, the
writer, what it covers, its rows / row groups / columns, facts read back from
the file (physical and logical types, codecs, encodings, page kinds, page index,
CRCs, bloom filters) and its sha256, plus the seed and the writers' versions.
Tests iterate the manifest; nothing here is read by fastpq itself.

Run:  .venv/bin/python test-data/generate.py        (from anywhere)
Paths come from this file's location, never the working directory. Re-running
replaces every file the previous manifest listed; the bytes may differ across
writer versions (the manifest says which wrote them), the values do not.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import string
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEED = 20251126
FILES: list[dict] = []


def register(name: str, writer: str, covers: list[str], description: str, notes: str | None = None):
    """Decorator: ``fn(path)`` writes ``name``; the manifest gets writer, covers, description, notes."""
    def deco(fn):
        FILES.append({"name": name, "writer": writer, "covers": covers, "description": description,
                      "notes": notes, "fn": fn})
        return fn
    return deco


def rng(salt: int = 0) -> np.random.Generator:
    return np.random.default_rng(SEED + salt)


# ============================================================================ data

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "ñandú", "café", "日本語", "emoji 🙂", ""]


def _mask(r, n, p):
    """A boolean null mask with probability p, as a numpy array."""
    return r.random(n) < p


def _with_nulls(values, mask):
    return [None if m else v for v, m in zip(values, mask)]


def _strings(r, n, card=None, maxlen=12):
    if card is not None:
        return [WORDS[i % len(WORDS)] + (str(i // len(WORDS)) if i >= len(WORDS) else "")
                for i in r.integers(0, card, n)]
    letters = np.array(list(string.ascii_letters + string.digits))
    return ["".join(letters[r.integers(0, len(letters), k)]) for k in r.integers(0, maxlen + 1, n)]


def core_table(n=400, salt=1):
    """Every physical type but INT96, nullable and not, a dictionary-friendly and a
    high-cardinality string: the table written under every codec / page version."""
    import pyarrow as pa
    r = rng(salt)
    f64 = r.normal(0, 1e3, n)
    f64[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e308]
    return pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "bool": pa.array(_with_nulls((r.random(n) < 0.4).tolist(), _mask(r, n, 0.1)), pa.bool_()),
        "int32": pa.array(_with_nulls(r.integers(-2**31, 2**31, n).tolist(), _mask(r, n, 0.1)), pa.int32()),
        "int64": pa.array(r.integers(-2**63, 2**63 - 1, n, dtype=np.int64)),
        "float": pa.array(r.normal(0, 100, n).astype(np.float32)),
        "double": pa.array(_with_nulls(f64.tolist(), _mask(r, n, 0.05)), pa.float64()),
        "str_dict": pa.array(_with_nulls(_strings(r, n, card=40), _mask(r, n, 0.2)), pa.string()),
        "str_unique": pa.array([f"row-{i:06d}-{s}" for i, s in enumerate(_strings(r, n))], pa.string()),
        "binary": pa.array(_with_nulls([bytes(r.integers(0, 256, k, dtype=np.uint8)) for k in r.integers(0, 20, n)],
                                       _mask(r, n, 0.1)), pa.binary()),
        "fixed4": pa.array(_with_nulls([bytes(r.integers(0, 256, 4, dtype=np.uint8)) for _ in range(n)],
                                       _mask(r, n, 0.1)), pa.binary(4)),
    }, schema=pa.schema([
        pa.field("id", pa.int64(), nullable=False), ("bool", pa.bool_()), ("int32", pa.int32()),
        pa.field("int64", pa.int64(), nullable=False), ("float", pa.float32()), ("double", pa.float64()),
        ("str_dict", pa.string()), pa.field("str_unique", pa.string(), nullable=False),
        ("binary", pa.binary()), ("fixed4", pa.binary(4)),
    ]))


DATES = [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1677, 9, 21), dt.date(2262, 4, 12),
         dt.date(1900, 2, 28), dt.date(1969, 12, 31), dt.date(1970, 1, 1), dt.date(2000, 2, 29)]


def types_table(n=200, salt=2):
    """One column per logical type pyarrow writes (plus extremes of each)."""
    import pyarrow as pa
    r = rng(salt)
    D = decimal.Decimal
    cols = {}
    for bits in (8, 16, 32, 64):
        lo, hi = -2 ** (bits - 1), 2 ** (bits - 1) - 1
        v = r.integers(lo, hi, n, endpoint=True, dtype=np.int64)
        v[:3] = [lo, hi, 0]
        cols[f"int{bits}"] = pa.array(_with_nulls(v.tolist(), _mask(r, n, 0.1)), getattr(pa, f"int{bits}")())
        uv = r.integers(0, 2 ** bits, n, dtype=np.uint64)
        uv[:3] = [0, 2 ** bits - 1, 2 ** (bits - 1)]
        cols[f"uint{bits}"] = pa.array(_with_nulls(uv.tolist(), _mask(r, n, 0.1)), getattr(pa, f"uint{bits}")())
    h = r.normal(0, 10, n).astype(np.float16)
    h[:6] = [np.nan, np.inf, -np.inf, -0.0, 65504, 6e-8]
    cols["float16"] = pa.array(h)
    cols["float32"] = pa.array(r.normal(0, 1, n).astype(np.float32))
    cols["float64"] = pa.array(r.normal(0, 1, n))
    cols["bool"] = pa.array((r.random(n) < 0.5).tolist())
    cols["decimal_9_2_int32"] = pa.array(_with_nulls([D(int(x)) / 100 for x in r.integers(-10**9 + 1, 10**9, n)],
                                                     _mask(r, n, 0.1)), pa.decimal128(9, 2))
    cols["decimal_18_4_int64"] = pa.array([D(int(x)) / 10000 for x in r.integers(-10**18 + 1, 10**18, n)],
                                          pa.decimal128(18, 4))
    cols["decimal_30_6_flba"] = pa.array(_with_nulls([D(int(x)) * 10**12 / 10**6 + D(int(y)) / 10**6 for x, y in
                                                      zip(r.integers(-10**12, 10**12, n), r.integers(0, 10**6, n))],
                                                     _mask(r, n, 0.1)), pa.decimal128(30, 6))
    cols["decimal_50_10_flba256"] = pa.array([D(int(x)) * 10**30 / 10**10 for x in r.integers(-10**15, 10**15, n)],
                                             pa.decimal256(50, 10))
    days = r.integers(-25000, 30000, n).astype(np.int32)
    days[:len(DATES)] = [(d - dt.date(1970, 1, 1)).days for d in DATES]
    cols["date"] = pa.array(_with_nulls(days.tolist(), _mask(r, n, 0.1)), pa.date32())
    ms = r.integers(0, 86_400_000, n)
    cols["time_ms"] = pa.array(ms.astype(np.int32), pa.time32("ms"))
    cols["time_us"] = pa.array(ms * 1000 + r.integers(0, 1000, n), pa.time64("us"))
    cols["time_ns"] = pa.array(_with_nulls((ms * 1_000_000 + r.integers(0, 1_000_000, n)).tolist(),
                                           _mask(r, n, 0.1)), pa.time64("ns"))
    base_ns = r.integers(-2 * 10**18, 4 * 10**18, n)
    for unit, div in (("ms", 10**6), ("us", 10**3), ("ns", 1)):
        cols[f"ts_{unit}"] = pa.array(base_ns // div, pa.timestamp(unit))
        cols[f"ts_{unit}_utc"] = pa.array(_with_nulls((base_ns // div).tolist(), _mask(r, n, 0.1)),
                                          pa.timestamp(unit, tz="UTC"))
    cols["ts_us_new_york"] = pa.array(base_ns // 1000, pa.timestamp("us", tz="America/New_York"))
    cols["ts_ns_kolkata"] = pa.array(base_ns, pa.timestamp("ns", tz="Asia/Kolkata"))
    cols["string"] = pa.array(_with_nulls(_strings(r, n, card=30), _mask(r, n, 0.1)), pa.string())
    cols["large_string"] = pa.array(_strings(r, n), pa.large_string())
    cols["binary"] = pa.array([bytes(r.integers(0, 256, k, dtype=np.uint8)) for k in r.integers(0, 30, n)])
    cols["fixed_size_binary_16"] = pa.array([bytes(r.integers(0, 256, 16, dtype=np.uint8)) for _ in range(n)],
                                            pa.binary(16))
    uuids = [bytes(r.integers(0, 256, 16, dtype=np.uint8)) for _ in range(n)]
    cols["uuid"] = pa.ExtensionArray.from_storage(pa.uuid(), pa.array(_with_nulls(uuids, _mask(r, n, 0.1)), pa.binary(16)))
    js = [json.dumps({"k": int(i), "v": [w, None]}) for i, w in zip(r.integers(0, 100, n), _strings(r, n, card=10))]
    cols["json"] = pa.ExtensionArray.from_storage(pa.json_(), pa.array(js, pa.string()))
    cols["null"] = pa.nulls(n)
    cols["dictionary_string"] = pa.array(_strings(r, n, card=8)).dictionary_encode()
    cols["duration_s"] = pa.array(r.integers(-10**9, 10**9, n), pa.duration("s"))
    return pa.table(cols)


def nested_table(n=300, salt=3):
    """Lists (empty vs null, nullable items, list of lists), structs (nested,
    nullable, all-null), maps, list of structs, fixed-size lists."""
    import pyarrow as pa
    r = rng(salt)

    def maybe_list(gen, p_null=0.15, p_empty=0.15):
        out = []
        for _ in range(n):
            u = r.random()
            out.append(None if u < p_null else [] if u < p_null + p_empty else gen())
        return out

    def ints(k=5, p=0.2):
        return [None if r.random() < p else int(x) for x in r.integers(-1000, 1000, r.integers(1, k + 1))]

    list_int = maybe_list(ints)
    list_str_required = maybe_list(lambda: _strings(r, int(r.integers(1, 4)), card=12))
    list_list = maybe_list(lambda: [None if r.random() < 0.2 else ([] if r.random() < 0.2 else ints(3))
                                    for _ in range(r.integers(1, 4))])
    struct_simple = [None if r.random() < 0.15 else
                     {"a": None if r.random() < 0.2 else int(r.integers(0, 100)),
                      "b": None if r.random() < 0.2 else _strings(r, 1, card=9)[0]} for _ in range(n)]
    struct_nested = [None if r.random() < 0.1 else
                     {"x": None if r.random() < 0.2 else {"y": int(r.integers(0, 10**12)),
                                                          "z": None if r.random() < 0.2 else r.normal(size=r.integers(0, 4)).tolist()},
                      "w": bool(r.random() < 0.5)} for _ in range(n)]
    maps = maybe_list(lambda: [(f"k{j}", None if r.random() < 0.2 else int(r.integers(0, 99)))
                               for j in r.choice(10, r.integers(1, 4), replace=False)])
    list_struct = maybe_list(lambda: [None if r.random() < 0.1 else {"k": _strings(r, 1, card=5)[0], "v": float(r.normal())}
                                      for _ in range(r.integers(1, 4))])
    fixed = [None if r.random() < 0.1 else r.integers(0, 100, 3).astype(np.int16).tolist() for _ in range(n)]
    t_struct_simple = pa.struct([("a", pa.int32()), ("b", pa.string())])
    t_struct_nested = pa.struct([("x", pa.struct([pa.field("y", pa.int64(), nullable=False), ("z", pa.list_(pa.float64()))])),
                                 pa.field("w", pa.bool_(), nullable=False)])
    return pa.table({
        "id": pa.array(np.arange(n, dtype=np.int32)),
        "list_int": pa.array(list_int, pa.list_(pa.int64())),
        "list_str_required_items": pa.array(list_str_required, pa.list_(pa.field("element", pa.string(), nullable=False))),
        "list_list_int": pa.array(list_list, pa.list_(pa.list_(pa.int32()))),
        "large_list_int": pa.array(list_int, pa.large_list(pa.int64())),
        "fixed_size_list_int16": pa.array(fixed, pa.list_(pa.int16(), 3)),
        "struct": pa.array(struct_simple, t_struct_simple),
        "struct_nested": pa.array(struct_nested, t_struct_nested),
        "struct_all_null": pa.array([None] * n, t_struct_simple),
        "map_str_int": pa.array(maps, pa.map_(pa.string(), pa.int64())),
        "list_struct": pa.array(list_struct, pa.list_(pa.struct([("k", pa.string()), ("v", pa.float64())]))),
    })


def nulls_table(n=500, salt=4):
    """Per type: no nulls (required), some nulls, all null; plus a null-typed column."""
    import pyarrow as pa
    r = rng(salt)
    gens = {
        "int32": (pa.int32(), lambda: r.integers(-1000, 1000, n).tolist()),
        "int64": (pa.int64(), lambda: r.integers(-10**15, 10**15, n).tolist()),
        "double": (pa.float64(), lambda: r.normal(size=n).tolist()),
        "bool": (pa.bool_(), lambda: (r.random(n) < 0.5).tolist()),
        "string": (pa.string(), lambda: _strings(r, n, card=20)),
        "fixed3": (pa.binary(3), lambda: [bytes(r.integers(0, 256, 3, dtype=np.uint8)) for _ in range(n)]),
        "date": (pa.date32(), lambda: r.integers(0, 20000, n).tolist()),
        "ts_us": (pa.timestamp("us"), lambda: r.integers(0, 2 * 10**15, n).tolist()),
    }
    fields, arrays = [], []
    for name, (typ, gen) in gens.items():
        fields.append(pa.field(f"{name}_none", typ, nullable=False))
        arrays.append(pa.array(gen(), typ))
        fields.append(pa.field(f"{name}_some", typ))
        arrays.append(pa.array(_with_nulls(gen(), _mask(r, n, 0.3)), typ))
        fields.append(pa.field(f"{name}_all", typ))
        arrays.append(pa.array([None] * n, typ))
    fields.append(pa.field("null_type", pa.null()))
    arrays.append(pa.nulls(n))
    # runs: long null and long value runs (RLE definition levels)
    fields.append(pa.field("int32_runs", pa.int32()))
    arrays.append(pa.array([None if (i // 37) % 2 else i for i in range(n)], pa.int32()))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# ============================================================================ pyarrow

CODECS_PA = {"uncompressed": "NONE", "snappy": "SNAPPY", "gzip": "GZIP", "brotli": "BROTLI",
             "zstd": "ZSTD", "lz4_raw": "LZ4"}  # pyarrow's 'lz4' writes LZ4_RAW (codec 7)


def _pq():
    import pyarrow.parquet as pq
    return pq


for _ver, _codecs in (("v1", CODECS_PA), ("v2", {k: CODECS_PA[k] for k in ("uncompressed", "snappy", "zstd", "gzip")})):
    for _cname, _pa_codec in _codecs.items():
        def _write(path, _ver=_ver, _pa_codec=_pa_codec):
            _pq().write_table(core_table(), path, compression=_pa_codec,
                              data_page_version="1.0" if _ver == "v1" else "2.0")
        register(f"pyarrow_core_{_ver}_{_cname}.parquet", "pyarrow",
                 ["physical:BOOLEAN,INT32,INT64,FLOAT,DOUBLE,BYTE_ARRAY,FIXED_LEN_BYTE_ARRAY", f"page:{_ver}",
                  f"codec:{_cname}", "encoding:dictionary(+plain for bool/float)", "nulls:some+required"],
                 f"core table (400 rows, every physical type but INT96) with data page {_ver} and {_cname}",
                 notes=("pyarrow marks a v2 page is_compressed=false when compressing does not shrink it, so "
                        "v2 pages of a compressed chunk may be stored raw (see v2_pages_not_compressed)"
                        if _ver == "v2" and _cname != "uncompressed" else None))(_write)


@register("pyarrow_types_plain_v1_snappy.parquet", "pyarrow",
          ["logical:INT8..INT64,UINT8..UINT64,FLOAT16,DECIMAL(int32,int64,FLBA),DATE,TIME(ms,us,ns),"
           "TIMESTAMP(ms,us,ns; utc and not; tz New_York/Kolkata),STRING,JSON,UUID,NULL,ENUM-less string",
           "binary", "fixed_size_binary", "duration (ARROW:schema only)", "encoding:PLAIN", "page:v1", "codec:snappy"],
          "one column per logical type with extremes, PLAIN only, decimals stored as integers where they fit",
          notes="pyarrow's to_pandas fails on time_ns (datetime.time has no ns); compare column by column")
def _types_plain(path):
    _pq().write_table(types_table(), path, use_dictionary=False, store_decimal_as_integer=True)


@register("pyarrow_types_dict_v2_zstd.parquet", "pyarrow",
          ["logical:all of pyarrow_types_plain_v1_snappy", "DECIMAL as FLBA only (store_decimal_as_integer off)",
           "TIME isAdjustedToUTC=true", "encoding:dictionary", "page:v2", "codec:zstd"],
          "the same types table, dictionary encoded, v2 pages, decimals all FLBA, times adjusted to UTC",
          notes="pyarrow's to_pandas fails on time_ns (datetime.time has no ns); compare column by column")
def _types_dict(path):
    _pq().write_table(types_table(), path, compression="zstd", data_page_version="2.0",
                      write_time_adjusted_to_utc=True)


@register("pyarrow_int96_timestamps.parquet", "pyarrow",
          ["physical:INT96", "timestamp:int96 (deprecated)", "nulls:some", "dates far from 1970 (1677..2262)"],
          "timestamps of every unit written as INT96 (use_deprecated_int96_timestamps)")
def _int96(path):
    import pyarrow as pa
    r = rng(5)
    n = 300
    ns = r.integers(-9 * 10**18, 9 * 10**18, n)
    ns[:4] = [np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max, 0, -1]
    t = pa.table({
        "ts_ns": pa.array(_with_nulls(ns.tolist(), _mask(r, n, 0.1)), pa.timestamp("ns")),
        "ts_us": pa.array(ns // 1000, pa.timestamp("us")),
        "ts_ms_utc": pa.array(ns // 10**6, pa.timestamp("ms", tz="UTC")),
        "value": pa.array(np.arange(n, dtype=np.int32)),
    })
    _pq().write_table(t, path, use_deprecated_int96_timestamps=True, use_dictionary=False)


@register("pyarrow_dates_far_from_1970.parquet", "pyarrow",
          ["logical:DATE far from 1970 (BCE, year 1, 9999, beyond 9999)", "TIMESTAMP(ms,us) outside the ns range",
           "not representable as datetime64[ns]"],
          "dates and timestamps outside pandas' ns range; pyarrow.to_pandas may fail on the BCE/after-9999 dates")
def _far_dates(path):
    import pyarrow as pa
    epoch = dt.date(1970, 1, 1)
    days = [(d - epoch).days for d in DATES] + [-1_000_000, -719_163, 2_932_897, 5_000_000, 0, None]
    us = [int((dt.datetime(y, 6, 15, 12, 30) - dt.datetime(1970, 1, 1)).total_seconds()) * 10**6
          for y in (1, 100, 1000, 1500, 1677, 2263, 3000, 9999)] + [0, None, 1, -1, 2**62, -2**62]
    t = pa.table({
        "date": pa.array(days, pa.date32()),
        "ts_us": pa.array(us, pa.timestamp("us")),
        "ts_ms_utc": pa.array([None if v is None else v // 1000 for v in us], pa.timestamp("ms", tz="UTC")),
    })
    _pq().write_table(t, path)


_ENC_COVERS = "encoding:{}; page:{}; codec:{}"


def encodings_table(n=1200, salt=6):
    """Columns named after the encoding they are written with."""
    import pyarrow as pa
    r = rng(salt)
    ext = np.where(r.random(n) < 0.5, np.iinfo(np.int64).min, np.iinfo(np.int64).max)
    urls = sorted(f"https://example.org/{w}/{i % 97}/{s}" for i, (w, s) in
                  enumerate(zip(_strings(r, n, card=12), _strings(r, n, maxlen=6))))
    cols = {
        "dbp_int32": (pa.array(_with_nulls(r.integers(-2**31, 2**31, n).tolist(), _mask(r, n, 0.1)), pa.int32()), "DELTA_BINARY_PACKED"),
        "dbp_int32_small": (pa.array(r.integers(0, 7, n), pa.int32()), "DELTA_BINARY_PACKED"),
        "dbp_int64_sorted": (pa.array(np.cumsum(r.integers(0, 1000, n))), "DELTA_BINARY_PACKED"),
        "dbp_int64_extremes": (pa.array(ext), "DELTA_BINARY_PACKED"),
        "dbp_int64_constant": (pa.array(np.full(n, 42, np.int64)), "DELTA_BINARY_PACKED"),
        "dbp_uint32": (pa.array(r.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)), "DELTA_BINARY_PACKED"),
        "dlba_string": (pa.array(_with_nulls(_strings(r, n), _mask(r, n, 0.1)), pa.string()), "DELTA_LENGTH_BYTE_ARRAY"),
        "dlba_binary": (pa.array([bytes(r.integers(0, 256, k, dtype=np.uint8)) for k in r.integers(0, 40, n)]), "DELTA_LENGTH_BYTE_ARRAY"),
        "dba_urls_sorted": (pa.array(urls), "DELTA_BYTE_ARRAY"),
        "dba_string": (pa.array(_with_nulls(_strings(r, n, card=50), _mask(r, n, 0.1)), pa.string()), "DELTA_BYTE_ARRAY"),
        "dba_fixed8": (pa.array([b"prefix" + bytes(r.integers(0, 256, 2, dtype=np.uint8)) for _ in range(n)], pa.binary(8)), "DELTA_BYTE_ARRAY"),
        "bss_float": (pa.array(_with_nulls(r.normal(size=n).astype(np.float32).tolist(), _mask(r, n, 0.1)), pa.float32()), "BYTE_STREAM_SPLIT"),
        "bss_double": (pa.array(r.normal(size=n)), "BYTE_STREAM_SPLIT"),
        "bss_float16": (pa.array(r.normal(size=n).astype(np.float16)), "BYTE_STREAM_SPLIT"),
        "bss_int32": (pa.array(r.integers(-10**6, 10**6, n), pa.int32()), "BYTE_STREAM_SPLIT"),
        "bss_int64": (pa.array(r.integers(-10**12, 10**12, n)), "BYTE_STREAM_SPLIT"),
        "bss_fixed5": (pa.array([bytes(r.integers(0, 256, 5, dtype=np.uint8)) for _ in range(n)], pa.binary(5)), "BYTE_STREAM_SPLIT"),
        "bss_decimal_flba": (pa.array([decimal.Decimal(int(x)) / 100 for x in r.integers(-10**10, 10**10, n)], pa.decimal128(20, 2)), "BYTE_STREAM_SPLIT"),
        "plain_bool": (pa.array(_with_nulls((r.random(n) < 0.3).tolist(), _mask(r, n, 0.1))), "PLAIN"),
        "plain_bool_runs": (pa.array([(i // 100) % 2 == 0 for i in range(n)]), "PLAIN"),
    }
    table = pa.table({k: v for k, (v, _) in cols.items()})
    return table, {k: e for k, (_, e) in cols.items()}


for _ver, _codec in (("v2", "uncompressed"), ("v1", "snappy")):
    def _write_enc(path, _ver=_ver, _codec=_codec):
        table, encs = encodings_table()
        _pq().write_table(table, path, use_dictionary=False, column_encoding=encs,
                          compression=CODECS_PA[_codec], data_page_version="1.0" if _ver == "v1" else "2.0",
                          data_page_size=4096)
    register(f"pyarrow_encodings_{_ver}_{_codec}.parquet", "pyarrow",
             ["encoding:DELTA_BINARY_PACKED(int32,int64,uint32,extremes,constant)", "encoding:DELTA_LENGTH_BYTE_ARRAY",
              "encoding:DELTA_BYTE_ARRAY(string,FLBA)", "encoding:BYTE_STREAM_SPLIT(float,double,float16,int32,int64,FLBA,decimal)",
              "encoding:RLE booleans" if _ver == "v2" else "encoding:PLAIN booleans", f"page:{_ver}", f"codec:{_codec}",
              "several pages per column"],
             f"1200 rows, each column named after its encoding (prefix dbp/dlba/dba/bss/plain), {_ver} pages, {_codec}")(_write_enc)


for _ver in ("v1", "v2"):
    def _write_fallback(path, _ver=_ver):
        import pyarrow as pa
        r = rng(7)
        n = 2000
        t = pa.table({
            "str_high_card": pa.array(_with_nulls([f"value-{x}" for x in r.integers(0, 10**6, n)], _mask(r, n, 0.1))),
            "int64_high_card": pa.array(r.integers(0, 10**12, n)),
            "double_high_card": pa.array(r.normal(size=n)),
            "str_low_card": pa.array(_strings(r, n, card=10)),
        })
        _pq().write_table(t, path, dictionary_pagesize_limit=1024, data_page_size=4096,
                          data_page_version="1.0" if _ver == "v1" else "2.0", compression="snappy")
    register(f"pyarrow_dict_fallback_{_ver}_snappy.parquet", "pyarrow",
             ["encoding:RLE_DICTIONARY then PLAIN fallback (dictionary page limit 1 KiB)", "encoding:dictionary (low card)",
              f"page:{_ver}", "codec:snappy", "nulls:some"],
             f"high-cardinality columns whose dictionary overflows after a few pages, {_ver}")(_write_fallback)


for _ver, _codec in (("v1", "snappy"), ("v2", "zstd")):
    def _write_pages(path, _ver=_ver, _codec=_codec):
        import pyarrow as pa
        t = core_table(2000, salt=8)
        t = t.append_column("list_int", pa.array([None if i % 11 == 0 else list(range(i % 4)) for i in range(2000)],
                                                 pa.list_(pa.int32())))
        _pq().write_table(t, path, row_group_size=450, data_page_size=512, max_rows_per_page=200,
                          write_batch_size=100, write_page_index=True, write_page_checksum=True,
                          compression=CODECS_PA[_codec], data_page_version="1.0" if _ver == "v1" else "2.0",
                          bloom_filter_options={"str_unique": {"ndv": 2000, "fpp": 0.05},
                                                "int64": {"ndv": 2000, "fpp": 0.05}})
    register(f"pyarrow_pages_small_{_ver}_{_codec}_pageindex_crc_bloom.parquet", "pyarrow",
             ["row groups:5 (450 rows, last 200)", "many small pages (<=200 rows)", "page index (column+offset)",
              "page CRC32 checksums", "bloom filters (str_unique,int64)", f"page:{_ver}", f"codec:{_codec}", "dictionary pages",
              "nested:list across page boundaries"],
             f"2000 rows of the core table + a list column in 450-row row groups and tiny pages, {_ver}")(_write_pages)


for _ver, _codec in (("v1", "snappy"), ("v2", "uncompressed")):
    def _write_nested(path, _ver=_ver, _codec=_codec):
        _pq().write_table(nested_table(), path, compression=CODECS_PA[_codec],
                          data_page_version="1.0" if _ver == "v1" else "2.0", data_page_size=2048)
    register(f"pyarrow_nested_{_ver}_{_codec}.parquet", "pyarrow",
             ["nested:list (empty vs null, nullable items, required items)", "nested:list of lists", "nested:large_list",
              "nested:fixed_size_list", "nested:struct (nullable, nested, all-null)", "nested:map", "nested:list of structs",
              f"page:{_ver}", f"codec:{_codec}"],
             f"300 rows of nested columns, {_ver} pages")(_write_nested)


@register("pyarrow_nested_legacy_names.parquet", "pyarrow",
          ["nested:list with non-compliant child names (use_compliant_nested_type=False: 'item')", "nested:map"],
          "nested table written with pyarrow's legacy list naming")
def _nested_legacy(path):
    _pq().write_table(nested_table(100, salt=9), path, use_compliant_nested_type=False)


for _variant in ("v1_dict", "v2_plain"):
    def _write_nulls(path, _variant=_variant):
        _pq().write_table(nulls_table(), path, use_dictionary=_variant == "v1_dict",
                          data_page_version="1.0" if _variant == "v1_dict" else "2.0", compression="snappy")
    register(f"pyarrow_nulls_{_variant}_snappy.parquet", "pyarrow",
             ["nulls:none (required)", "nulls:some", "nulls:all (typed)", "NULL logical type", "null runs",
              f"page:{_variant[:2]}", "encoding:" + ("dictionary" if _variant == "v1_dict" else "PLAIN")],
             "for int32/int64/double/bool/string/FLBA/date/timestamp: a required, a 30%-null and an all-null column")(_write_nulls)


@register("pyarrow_wide_200cols.parquet", "pyarrow", ["wide:200 columns", "mixed types"],
          "200 columns (int32, double, string, bool, int64-with-nulls cycling) x 60 rows")
def _wide(path):
    import pyarrow as pa
    r = rng(10)
    n = 60
    cols = {}
    for i in range(200):
        kind = i % 5
        cols[f"c{i:03d}"] = [pa.array(r.integers(0, 100, n), pa.int32()), pa.array(r.normal(size=n)),
                             pa.array(_strings(r, n, card=5)), pa.array((r.random(n) < 0.5).tolist()),
                             pa.array(_with_nulls(r.integers(0, 10**9, n).tolist(), _mask(r, n, 0.3)), pa.int64())][kind]
    _pq().write_table(pa.table(cols), path)


@register("pyarrow_empty_0rows.parquet", "pyarrow", ["rows:0", "row_group:one with 0 rows (pyarrow's choice)"],
          "the core table's schema with no rows")
def _empty(path):
    _pq().write_table(core_table().slice(0, 0), path)


@register("pyarrow_zero_row_group.parquet", "pyarrow", ["row_group:0-row group between non-empty ones"],
          "three row groups of 100, 0 and 50 rows (ParquetWriter.write_table of an empty table)")
def _zero_rg(path):
    t = core_table(150, salt=11)
    with _pq().ParquetWriter(path, t.schema) as w:
        w.write_table(t.slice(0, 100))
        w.write_table(t.slice(0, 0))
        w.write_table(t.slice(100, 50))


@register("pyarrow_core_v1_lz4_hadoop_reframed.parquet", "pyarrow, re-framed by generate.py",
          ["codec:LZ4 (5, deprecated) with Hadoop framing", "page:v1", "multiple Hadoop blocks per page (128 KiB)"],
          "pyarrow_core_v1_lz4_raw's pages with each LZ4 block wrapped in Hadoop framing and the codec set to 5",
          notes=("no writer here produces codec 5 (pyarrow/duckdb/polars 'lz4' all mean LZ4_RAW), so generate.py "
                 "re-frames a pyarrow LZ4_RAW file: not an independent check of the framing (the shared corpus's "
                 "hadoop_lz4_compressed*.parquet from parquet-mr are). The big_text page has 4 Hadoop blocks, the "
                 "last one smaller: pyarrow and duckdb read it, polars 2.1 does not (its Hadoop loop stops when the "
                 "bytes left are not more than the previous block's compressed size)."))
def _lz4_hadoop(path):
    import pyarrow as pa
    r = rng(18)
    t = core_table(300, salt=18).append_column("big_text", pa.array(
        ["".join(_strings(r, 1, maxlen=12) * 150) * (1 if i % 50 else 60) for i in range(300)]))
    src = HERE / "_lz4_raw.tmp.parquet"
    _pq().write_table(t, src, compression="LZ4", use_dictionary=["str_dict"], data_page_size=1 << 20)
    try:
        path.write_bytes(_reframe_lz4_raw_as_hadoop(src.read_bytes()))
    finally:
        src.unlink()


def _thrift_read(cls, data: bytes, pos: int = 0):
    from thrift.protocol import TCompactProtocol
    from thrift.transport import TTransport
    buf = TTransport.TMemoryBuffer(data[pos:])
    obj = cls()
    obj.read(TCompactProtocol.TCompactProtocol(buf))
    return obj, pos + buf._buffer.tell()


def _thrift_bytes(obj) -> bytes:
    from thrift.protocol import TCompactProtocol
    from thrift.transport import TTransport
    buf = TTransport.TMemoryBuffer()
    obj.write(TCompactProtocol.TCompactProtocol(buf))
    return buf.getvalue()


def _reframe_lz4_raw_as_hadoop(data: bytes) -> bytes:
    """Rewrite an LZ4_RAW file (no page index, no bloom filters) as codec 5 with
    Hadoop framing: per page, blocks of <= 128 KiB raw, each BE32 raw length,
    BE32 compressed length, LZ4 block."""
    sys.path.insert(0, str(REPO))
    import cramjam
    from fastpq._thrift import FileMetaData, PageHeader

    footer_len = int.from_bytes(data[-8:-4], "little")
    meta, _ = _thrift_read(FileMetaData, data, len(data) - 8 - footer_len)
    out = bytearray(b"PAR1")
    for rg in meta.row_groups:
        rg_start = len(out)
        for chunk in rg.columns:
            md = chunk.meta_data
            assert md.codec == 7 and chunk.offset_index_offset is None and md.bloom_filter_offset is None
            pos = md.dictionary_page_offset or md.data_page_offset
            end = pos + md.total_compressed_size
            new_start, offsets = len(out), {}
            while pos < end:
                header, body_at = _thrift_read(PageHeader, data, pos)
                pos = body_at + header.compressed_page_size
                raw = bytearray(header.uncompressed_page_size)
                assert cramjam.lz4.decompress_block_into(data[body_at:pos], raw) == len(raw)
                body = b"".join(len(c).to_bytes(4, "big") + len(b).to_bytes(4, "big") + b
                                for c in (raw[i:i + 131072] for i in range(0, max(len(raw), 1), 131072))
                                for b in [bytes(cramjam.lz4.compress_block(c, store_size=False))])
                offsets.setdefault(header.type, len(out))
                header.compressed_page_size = len(body)
                out += _thrift_bytes(header) + body
            md.codec = 5
            md.total_compressed_size = len(out) - new_start
            md.data_page_offset = offsets.get(0, offsets.get(3))
            if md.dictionary_page_offset is not None:
                md.dictionary_page_offset = offsets[2]
            chunk.file_offset = new_start
        rg.file_offset = rg_start
        rg.total_compressed_size = len(out) - rg_start
    footer = _thrift_bytes(meta)
    return bytes(out + footer + len(footer).to_bytes(4, "little") + b"PAR1")


# ---------------------------------------------------------------------------- pandas metadata (via pyarrow)

def _pandas_frame(n=200, salt=12):
    import pandas as pd
    r = rng(salt)
    return pd.DataFrame({
        "int64": r.integers(-100, 100, n),
        "Int64_nullable": pd.array(_with_nulls(r.integers(0, 10, n).tolist(), _mask(r, n, 0.2)), dtype="Int64"),
        "float64": r.normal(size=n),
        "boolean_nullable": pd.array(_with_nulls((r.random(n) < 0.5).tolist(), _mask(r, n, 0.2)), dtype="boolean"),
        "str": pd.array(_with_nulls(_strings(r, n, card=15), _mask(r, n, 0.2)), dtype="str"),
        "datetime_ns": pd.to_datetime(r.integers(0, 2 * 10**18, n), unit="ns"),
        "datetime_berlin": pd.to_datetime(r.integers(0, 2 * 10**18, n), unit="ns", utc=True).tz_convert("Europe/Berlin"),
        "timedelta": pd.to_timedelta(r.integers(0, 10**12, n), unit="ns"),
    })


def _write_pandas(df, path, **kw):
    import pyarrow as pa
    _pq().write_table(pa.Table.from_pandas(df, **kw), path)


@register("pyarrow_pandas_rangeindex.parquet", "pyarrow+pandas",
          ["pandas:RangeIndex(10, 610, 3) stored as metadata only", "pandas 3 dtypes: str, Int64, boolean, tz datetime, timedelta"],
          "pandas frame with a non-default RangeIndex and pandas 3 dtypes")
def _pd_range(path):
    import pandas as pd
    df = _pandas_frame()
    df.index = pd.RangeIndex(10, 610, 3)
    _write_pandas(df, path)


@register("pyarrow_pandas_named_index.parquet", "pyarrow+pandas", ["pandas:named string index stored as a column"],
          "pandas frame indexed by a named 'key' column of strings")
def _pd_named(path):
    df = _pandas_frame(salt=13)
    df.index = [f"key-{i:04d}" for i in range(len(df))]
    df.index.name = "key"
    _write_pandas(df, path)


@register("pyarrow_pandas_multiindex.parquet", "pyarrow+pandas",
          ["pandas:MultiIndex (str, int, datetime levels; one unnamed)"], "pandas frame with a 3-level MultiIndex")
def _pd_multi(path):
    import pandas as pd
    df = _pandas_frame(120, salt=14)
    r = rng(14)
    df.index = pd.MultiIndex.from_arrays([
        pd.array(_strings(r, len(df), card=4), dtype="str"), r.integers(0, 5, len(df)),
        pd.to_datetime(r.integers(0, 10**18, len(df)), unit="ns")], names=["region", None, "when"])
    _write_pandas(df, path)


@register("pyarrow_pandas_categorical.parquet", "pyarrow+pandas",
          ["pandas:categorical (unordered str, ordered str with unused categories, int categories, all-null)",
           "encoding:dictionary"], "pandas categoricals, stored as dictionary columns")
def _pd_cat(path):
    import pandas as pd
    r = rng(15)
    n = 300
    words = _strings(r, n, card=6)
    df = pd.DataFrame({
        "cat_str": pd.Categorical(_with_nulls(words, _mask(r, n, 0.1))),
        "cat_ordered": pd.Categorical([["low", "mid", "high"][i] for i in r.integers(0, 3, n)],
                                      categories=["low", "mid", "high", "unused"], ordered=True),
        "cat_int": pd.Categorical(r.integers(0, 4, n) * 10),
        "cat_all_null": pd.Categorical([None] * n, categories=["a", "b"]),
        "value": r.normal(size=n),
    })
    _write_pandas(df, path)


@register("pyarrow_pandas_nonstring_columns.parquet", "pyarrow+pandas",
          ["pandas:non-string column names (int, float, bool-like, None-free)", "pandas:default RangeIndex"],
          "columns labelled 0, 1, 2.5 and 10**12 (pandas metadata keeps the originals)")
def _pd_nonstr(path):
    import pandas as pd
    r = rng(16)
    df = pd.DataFrame({0: r.integers(0, 9, 50), 1: r.normal(size=50), 2.5: _strings(r, 50, card=3),
                       10**12: (r.random(50) < 0.5)})
    _write_pandas(df, path)


@register("pyarrow_pandas_multiindex_columns.parquet", "pyarrow+pandas",
          ["pandas:MultiIndex columns (2 levels)"], "columns labelled by (str, str) tuples")
def _pd_multicols(path):
    import pandas as pd
    r = rng(17)
    cols = pd.MultiIndex.from_tuples([("a", "x"), ("a", "y"), ("b", "x")], names=["upper", "lower"])
    _write_pandas(pd.DataFrame(r.normal(size=(40, 3)), columns=cols), path)


# ============================================================================ duckdb

DUCK_TYPES_SQL = """
SELECT
  i::INTEGER AS id,
  CASE WHEN i % 10 = 3 THEN NULL ELSE (i * 37 % 256 - 128)::TINYINT END AS tinyint,
  (i * 7919 % 65536 - 32768)::SMALLINT AS smallint,
  CASE WHEN i % 10 = 4 THEN NULL ELSE ((hash(i) % 4294967296)::BIGINT - 2147483648)::INTEGER END AS integer,
  (hash(i * 3) // 2)::BIGINT * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) AS bigint,
  (i * 13 % 256)::UTINYINT AS utinyint,
  (i * 7919 % 65536)::USMALLINT AS usmallint,
  (hash(i) % 4294967296)::UINTEGER AS uinteger,
  CASE WHEN i = 0 THEN 18446744073709551615::UBIGINT ELSE hash(i * 5)::UBIGINT END AS ubigint,
  CASE WHEN i % 10 = 5 THEN NULL ELSE ((i * 31 % 20001) - 10000)::FLOAT / 7 END AS float,
  ((hash(i) % 2000001)::DOUBLE - 1000000) / 3 AS double,
  (((i * 17 % 19999) - 9999) / 10)::DECIMAL(5, 1) AS decimal_5_1_int32,
  ((hash(i) % 1000000000000000)::DECIMAL(18, 0) / 1000)::DECIMAL(18, 3) AS decimal_18_3_int64,
  CASE WHEN i % 10 = 6 THEN NULL ELSE (hash(i)::DECIMAL(38, 0) * 1000000)::DECIMAL(38, 10) END AS decimal_38_10_flba,
  CASE WHEN i = 0 THEN DATE '0001-01-01' WHEN i = 1 THEN DATE '9999-12-31' WHEN i = 2 THEN DATE '1677-09-21'
       WHEN i = 3 THEN DATE '2262-04-12' ELSE DATE '1970-01-01' + (i * 97 % 40000 - 20000)::INTEGER END AS date,
  TIME '00:00:00' + INTERVAL (i * 7919 % 86400) SECOND AS time,
  TIMESTAMP '2000-01-01' + INTERVAL (hash(i) % 1000000000) SECOND AS timestamp_us,
  CASE WHEN i % 10 = 7 THEN NULL ELSE (TIMESTAMP '1900-01-01' + INTERVAL (hash(i) % 5000000000) SECOND)::TIMESTAMP_MS END AS timestamp_ms,
  (TIMESTAMP '1970-01-01' + INTERVAL (hash(i) % 2000000000) SECOND)::TIMESTAMP_NS AS timestamp_ns,
  (TIMESTAMP '1990-01-01' + INTERVAL (i * 3600) SECOND)::TIMESTAMP_S AS timestamp_s,
  (TIMESTAMPTZ '2020-01-01 00:00:00+00' + INTERVAL (i * 600) SECOND) AS timestamptz,
  INTERVAL (i % 13) MONTH + INTERVAL (i % 29) DAY + INTERVAL (i) MILLISECOND AS interval,
  CASE WHEN i % 10 = 8 THEN NULL ELSE md5(i::VARCHAR)::UUID END AS uuid,
  json_object('i', i, 'tag', 'x' || (i % 5)::VARCHAR, 'list', [i, i + 1]) AS json,
  (['red', 'green', 'blue'])[i % 3 + 1]::ENUM('red', 'green', 'blue') AS enum,
  CASE WHEN i % 10 = 9 THEN NULL ELSE 'text-' || (i % 50)::VARCHAR || repeat('é', i % 4) END AS varchar,
  ('\\x' || lpad(printf('%x', i), 4, '0'))::BLOB AS blob,
  i % 3 = 0 AS boolean,
  NULL::INTEGER AS all_null_int
FROM range({n}) t(i)
"""

DUCK_NESTED_SQL = """
SELECT
  i::INTEGER AS id,
  CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN []::INTEGER[]
       ELSE [i, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 2 END, i * 3][1:(i % 3 + 1)] END AS list_int,
  CASE WHEN i % 5 = 0 THEN NULL ELSE [[i], [], NULL, [i + 1, NULL]][1:(i % 4 + 1)] END AS list_list,
  CASE WHEN i % 6 = 0 THEN NULL ELSE {'a': i, 'b': CASE WHEN i % 4 = 0 THEN NULL ELSE 'b' || i::VARCHAR END,
                                      'c': {'d': i * 1.5, 'e': [i % 2 = 0]}} END AS struct,
  CASE WHEN i % 8 = 0 THEN NULL WHEN i % 8 = 1 THEN MAP {}::MAP(VARCHAR, INTEGER)
       ELSE MAP {'k' || (i % 3)::VARCHAR: i, 'z': CASE WHEN i % 2 = 0 THEN NULL ELSE -i END} END AS map,
  [{'x': i, 'y': 'y' || i::VARCHAR}, {'x': NULL, 'y': NULL}][1:(i % 3)] AS list_struct,
  [i, i + 1, i + 2]::INTEGER[3] AS array_int3
FROM range({n}) t(i)
"""


def _duck_copy(sql: str, path: Path, **opts):
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads = 1")
    options = ", ".join(["FORMAT parquet"] + [f"{k} {v}" for k, v in opts.items()])
    con.execute(f"COPY ({sql}) TO '{path}' ({options})")
    con.close()


for _ver, _codec in (("v1", "snappy"), ("v2", "zstd")):
    def _write_duck_types(path, _ver=_ver, _codec=_codec):
        _duck_copy(DUCK_TYPES_SQL.replace("{n}", "800"), path, COMPRESSION=_codec, PARQUET_VERSION=_ver.upper())
    register(f"duckdb_types_{_ver}_{_codec}.parquet", "duckdb",
             ["logical:INT8..INT64,UINT8..UINT64,DECIMAL(int32,int64,FLBA),DATE(year 1..9999),TIME,TIMESTAMP(s,ms,us,ns,tz)",
              "logical:UUID,JSON,INTERVAL,ENUM (as string)", "binary (BLOB)", "nulls:some+all", "required columns",
              "page:v1 (duckdb's PARQUET_VERSION V2 changes encodings, not the page header)", f"codec:{_codec}",
              "encoding:duckdb V2 chooses DELTA_BINARY_PACKED/DELTA_LENGTH_BYTE_ARRAY/BYTE_STREAM_SPLIT" if _ver == "v2"
              else "encoding:dictionary+PLAIN"],
             f"800 rows covering duckdb's types, PARQUET_VERSION {_ver.upper()}, {_codec}",
             notes=("duckdb writes DELTA_BINARY_PACKED miniblocks of bit width 33 for the INT32 columns 'integer' "
                    "and 'uinteger' (deltas computed in 64 bits; the spec wraps INT32 deltas in 32 bits). duckdb "
                    "reads it back; pyarrow fails ('InitBlock EOF'). Decoding with 64-bit arithmetic and "
                    "truncating to 32 bits gives the right values." if _ver == "v2" else None))(_write_duck_types)


@register("duckdb_nested_v1_zstd.parquet", "duckdb",
          ["nested:list (empty vs null, null items)", "nested:list of lists", "nested:struct with nested struct and list",
           "nested:map (empty, null, null values)", "nested:list of structs", "nested:fixed-size array"],
          "500 rows of nested columns written by duckdb")
def _duck_nested(path):
    _duck_copy(DUCK_NESTED_SQL.replace("{n}", "500"), path, COMPRESSION="zstd")


for _codec, _duck in (("gzip", "gzip"), ("brotli", "brotli"), ("lz4_raw", "lz4"), ("uncompressed", "uncompressed")):
    def _write_duck_codec(path, _duck=_duck):
        _duck_copy(DUCK_TYPES_SQL.replace("{n}", "200"), path, COMPRESSION=_duck)
    register(f"duckdb_codec_{_codec}.parquet", "duckdb", [f"codec:{_codec}", "page:v1"],
             f"200 rows of the duckdb types query compressed with {_codec}")(_write_duck_codec)


@register("duckdb_row_groups_v1_snappy.parquet", "duckdb", ["row groups:3 (2048, 2048, 904 rows)", "encoding:dictionary"],
          "5000 rows of three low-entropy columns; duckdb flushes a row group per 2048 rows at most")
def _duck_row_groups(path):
    sql = ("SELECT i::INTEGER AS id, 'cat-' || (i % 17)::VARCHAR AS category, (i % 101) / 4 AS quarter, "
           "CASE WHEN i % 9 = 0 THEN NULL ELSE i % 7 END AS maybe FROM range(5000) t(i)")
    _duck_copy(sql, path, COMPRESSION="snappy", ROW_GROUP_SIZE=2048)


@register("duckdb_empty_0rows.parquet", "duckdb", ["rows:0"], "duckdb's types query with no rows")
def _duck_empty(path):
    _duck_copy(DUCK_TYPES_SQL.replace("{n}", "0"), path)


# ============================================================================ polars

def polars_frame(n=300, salt=20):
    import polars as pl
    r = rng(salt)
    D = decimal.Decimal
    return pl.DataFrame({
        "i8": pl.Series(_with_nulls(r.integers(-128, 128, n).tolist(), _mask(r, n, 0.1)), dtype=pl.Int8),
        "i16": pl.Series(r.integers(-2**15, 2**15, n), dtype=pl.Int16),
        "i32": pl.Series(r.integers(-2**31, 2**31, n), dtype=pl.Int32),
        "i64": pl.Series(r.integers(-2**63, 2**63 - 1, n, dtype=np.int64), dtype=pl.Int64),
        "u8": pl.Series(r.integers(0, 256, n), dtype=pl.UInt8),
        "u16": pl.Series(r.integers(0, 2**16, n), dtype=pl.UInt16),
        "u32": pl.Series(r.integers(0, 2**32, n, dtype=np.uint64), dtype=pl.UInt32),
        "u64": pl.Series(r.integers(0, 2**64 - 1, n, dtype=np.uint64), dtype=pl.UInt64),
        "f16": pl.Series(r.normal(size=n).astype(np.float32), dtype=pl.Float16),
        "f32": pl.Series(r.normal(size=n), dtype=pl.Float32),
        "f64": pl.Series(_with_nulls(r.normal(size=n).tolist(), _mask(r, n, 0.1)), dtype=pl.Float64),
        "bool": pl.Series(_with_nulls((r.random(n) < 0.5).tolist(), _mask(r, n, 0.1)), dtype=pl.Boolean),
        "str": pl.Series(_with_nulls(_strings(r, n, card=25), _mask(r, n, 0.1)), dtype=pl.String),
        "binary": pl.Series([bytes(r.integers(0, 256, k, dtype=np.uint8)) for k in r.integers(0, 10, n)], dtype=pl.Binary),
        "date": pl.Series([dt.date(1970, 1, 1) + dt.timedelta(days=int(x)) for x in r.integers(-719162, 2932896, n)], dtype=pl.Date),
        "time": pl.Series([dt.time(int(h), int(m), int(s), int(us)) for h, m, s, us in
                           zip(r.integers(0, 24, n), r.integers(0, 60, n), r.integers(0, 60, n), r.integers(0, 10**6, n))], dtype=pl.Time),
        "datetime_ms": pl.Series(r.integers(-10**12, 10**13, n), dtype=pl.Int64).cast(pl.Datetime("ms")),
        "datetime_us_utc": pl.Series(r.integers(-10**15, 10**16, n), dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
        "datetime_ns_tokyo": pl.Series(r.integers(-10**18, 10**18, n), dtype=pl.Int64).cast(pl.Datetime("ns", "Asia/Tokyo")),
        "duration_us": pl.Series(r.integers(-10**12, 10**12, n), dtype=pl.Int64).cast(pl.Duration("us")),
        "decimal_10_2": pl.Series([D(int(x)) / 100 for x in r.integers(-10**9, 10**9, n)], dtype=pl.Decimal(10, 2)),
        "decimal_30_5": pl.Series(_with_nulls([D(int(x)) / 10**5 for x in r.integers(-10**15, 10**15, n)], _mask(r, n, 0.1)),
                                  dtype=pl.Decimal(30, 5)),
        "categorical": pl.Series(_with_nulls(_strings(r, n, card=7), _mask(r, n, 0.1)), dtype=pl.Categorical),
        "enum": pl.Series([["lo", "mid", "hi"][i] for i in r.integers(0, 3, n)], dtype=pl.Enum(["lo", "mid", "hi"])),
        "null": pl.Series([None] * n, dtype=pl.Null),
    })


def polars_nested(n=400, salt=21):
    import polars as pl
    r = rng(salt)

    def lst(i):
        k = i % 5
        return None if k == 0 else [] if k == 1 else [None if j % 3 == 2 else int(x) for j, x in enumerate(r.integers(0, 99, k))]
    return pl.DataFrame({
        "list_int": pl.Series([lst(i) for i in range(n)], dtype=pl.List(pl.Int64)),
        "list_list_str": pl.Series([None if i % 6 == 0 else [[f"s{i}"], [], None][: i % 4] for i in range(n)],
                                   dtype=pl.List(pl.List(pl.String))),
        "struct": pl.Series([None if i % 7 == 0 else {"a": i, "b": None if i % 3 == 0 else f"b{i}", "c": [i, i]}
                             for i in range(n)], dtype=pl.Struct({"a": pl.Int32, "b": pl.String, "c": pl.List(pl.Int16)})),
        "list_struct": pl.Series([None if i % 9 == 0 else [{"x": float(i), "y": None}] * (i % 3) for i in range(n)],
                                 dtype=pl.List(pl.Struct({"x": pl.Float64, "y": pl.Boolean}))),
        "array_f32_2": pl.Series([None if i % 10 == 0 else [i / 2, -i / 2] for i in range(n)], dtype=pl.Array(pl.Float32, 2)),
    })


for _codec, _pl in (("zstd", "zstd"), ("snappy", "snappy"), ("lz4_raw", "lz4"), ("gzip", "gzip"), ("brotli", "brotli"),
                    ("uncompressed", "uncompressed")):
    def _write_pl_types(path, _pl=_pl):
        polars_frame().write_parquet(path, compression=_pl)
    register(f"polars_types_{_codec}.parquet", "polars",
             ["logical:INT8..INT64,UINT8..UINT64,FLOAT16,DECIMAL(int64,FLBA),DATE(year 1..9999),TIME(ns),TIMESTAMP(ms,us,ns; tz)",
              "categorical/enum (dictionary)", "duration", "NULL logical type", "binary", f"codec:{_codec}", "page:v1"],
             f"300 rows of polars' types, compressed with {_codec}")(_write_pl_types)


@register("polars_nested_zstd.parquet", "polars",
          ["nested:list (empty vs null, null items)", "nested:list of lists of strings", "nested:struct with list",
           "nested:list of structs", "nested:fixed-size array"], "400 rows of nested columns written by polars")
def _pl_nested(path):
    polars_nested().write_parquet(path)


@register("polars_pages_small_rowgroups.parquet", "polars", ["row groups:4", "many small pages", "codec:snappy"],
          "polars' types frame (1200 rows) in 300-row row groups with 1 KiB data pages")
def _pl_pages(path):
    polars_frame(1200, salt=22).write_parquet(path, compression="snappy", row_group_size=300, data_page_size=1024)


@register("polars_empty_0rows.parquet", "polars", ["rows:0"], "polars' types frame with no rows")
def _pl_empty(path):
    polars_frame().head(0).write_parquet(path)


# ============================================================================ manifest

def _page_facts(path: Path, md) -> dict:
    """Page kinds, CRCs and v2 compression flags found by walking every page header."""
    sys.path.insert(0, str(REPO))
    from thrift.protocol import TCompactProtocol
    from thrift.transport import TTransport
    from fastpq._thrift import PageHeader, PageType

    names = {v: k for k, v in PageType.__dict__.items() if isinstance(v, int)}
    data = path.read_bytes()
    kinds, crc, v2_flags, pages = set(), False, {True: 0, False: 0}, 0
    for rg in range(md.num_row_groups):
        for c in range(md.num_columns):
            cc = md.row_group(rg).column(c)
            pos = cc.dictionary_page_offset if cc.has_dictionary_page and cc.dictionary_page_offset else cc.data_page_offset
            end = pos + cc.total_compressed_size
            while pos < end:
                buf = TTransport.TMemoryBuffer(data[pos:end])
                h = PageHeader()
                h.read(TCompactProtocol.TCompactProtocol(buf))
                kinds.add(names.get(h.type, str(h.type)))
                crc |= h.crc is not None
                if h.data_page_header_v2 is not None:
                    v2_flags[h.data_page_header_v2.is_compressed is not False] += 1
                pages += 1
                pos += buf._buffer.tell() + h.compressed_page_size
    return {"page_types": sorted(kinds), "pages": pages, "page_crc": crc,
            "v2_pages_is_compressed": v2_flags[True], "v2_pages_not_compressed": v2_flags[False]}


def _facts(path: Path) -> dict:
    import pyarrow.parquet as pq
    pf = pq.ParquetFile(path)
    md = pf.metadata
    physical, logical, codecs, encodings = set(), set(), set(), set()
    for i in range(md.num_columns):
        col = pf.schema.column(i)
        physical.add(col.physical_type)
        lt = col.logical_type.type
        if lt != "NONE":
            logical.add(lt)
        elif col.converted_type not in (None, "NONE"):
            logical.add("converted:" + col.converted_type)
    bloom = page_index = False
    for rg in range(md.num_row_groups):
        for c in range(md.num_columns):
            cc = md.row_group(rg).column(c)
            codecs.add({"UNKNOWN": "LZ4", "LZ4": "LZ4_RAW"}.get(cc.compression, cc.compression))
            encodings.update(cc.encodings)
            page_index |= cc.has_offset_index
            bloom |= cc.bloom_filter_offset is not None
    facts = {
        "rows": md.num_rows, "row_groups": md.num_row_groups,
        "row_group_rows": [md.row_group(i).num_rows for i in range(md.num_row_groups)],
        "leaf_columns": md.num_columns, "top_level_columns": len(pf.schema_arrow),
        "created_by": md.created_by, "physical_types": sorted(physical), "logical_types": sorted(logical),
        "codecs": sorted(codecs), "encodings": sorted(encodings), "page_index": page_index, "bloom_filters": bloom,
        "pandas_metadata": b"pandas" in (md.metadata or {}),
    }
    facts.update(_page_facts(path, md))
    # Which independent readers can serve as an oracle for this file (True, or "no: <why>").
    facts["pyarrow_reads"] = _other_reader(lambda: pq.read_table(path))
    facts["pyarrow_to_pandas"] = _other_reader(lambda: pq.read_table(path).to_pandas())
    facts["duckdb_reads"] = _other_reader(lambda: _duckdb_read(path))
    facts["polars_reads"] = _other_reader(lambda: __import__("polars").read_parquet(path))
    return facts


def _duckdb_read(path: Path):
    import duckdb
    con = duckdb.connect()
    try:
        con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    finally:
        con.close()


def _other_reader(fn):
    try:
        fn()
        return True
    except BaseException as exc:  # polars reports some failures as a Rust panic (a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return f"no: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def _versions() -> dict:
    import duckdb
    import pandas
    import polars
    import pyarrow
    return {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__, "duckdb": duckdb.__version__, "polars": polars.__version__}


def main() -> int:
    manifest_path = HERE / "MANIFEST.json"
    if manifest_path.exists():  # remove what the previous run wrote (names may have changed)
        for entry in json.loads(manifest_path.read_text()).get("files", []):
            (HERE / entry["name"]).unlink(missing_ok=True)
    names = [f["name"] for f in FILES]
    assert len(names) == len(set(names)), "duplicate file names"
    entries = []
    for spec in FILES:
        path = HERE / spec["name"]
        path.unlink(missing_ok=True)
        spec["fn"](path)
        blob = path.read_bytes()
        entries.append({"name": spec["name"], "writer": spec["writer"], "description": spec["description"],
                        "covers": spec["covers"], **({"notes": spec["notes"]} if spec["notes"] else {}), "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
                        **_facts(path)})
        print(f"{spec['name']:60s} {len(blob):8d} bytes", flush=True)
    manifest = {
        "generator": "test-data/generate.py", "seed": SEED, "versions": _versions(),
        "total_bytes": sum(e["bytes"] for e in entries), "files": entries,
    }
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(entries)} files, {manifest['total_bytes']} bytes -> {manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
