"""``fastpq.warmup()`` / ``fastpq warmup``: fill numba's on-disk cache with every kernel
signature fastpq's reads and writes use, so a container image or a dask worker starts warm.

Compiling fastpq's kernels on a new machine (an empty cache) takes 20-60 s on a 2-core
VM; loading them from the cache takes milliseconds each. Warmup makes every kernel call
compiled (no interpreted small calls) and runs a fixed workload in a temporary directory:
a frame of every common dtype (integers of every width, floats, booleans, pandas'
nullable dtypes, strings, bytes, categoricals, timestamps, durations, lists), with and
without nulls, written with and without dictionaries, as data page v1 and v2, with the
DELTA and BYTE_STREAM_SPLIT encodings, and read back whole, as categoricals and by row
group. Kernels of rarer paths (a file with a kind of page fastpq does not write itself)
may still compile on first use.

The cache lives where numba puts it: ``NUMBA_CACHE_DIR`` when set (it must be writable
by the processes that read, and be the same directory in the image and at run time),
else ``__pycache__`` beside fastpq's kernels, or numba's per-user cache directory when
that is read-only. See docs/performance.md, "Cold start".

Layer: an entry point above every layer (it builds pandas frames, like ``cli/``).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time

ROWS = 3000


def warmup(verbose: bool = False) -> dict:
    """Compile (or load) every kernel signature fastpq commonly uses into numba's cache.

    Returns ``{"seconds", "kernels", "signatures", "compiled", "loaded", "cache_dir"}``:
    kernels and signatures in use, how many signatures were compiled now (cache misses)
    and how many were loaded from the cache. A second run compiles nothing."""
    from ..kernels import _jit

    start = time.perf_counter()
    _jit.compile_everything()
    folder = tempfile.mkdtemp(prefix="fastpq-warmup-")
    try:
        for k, (label, frame, options) in enumerate(_workload()):
            _round_trip(os.path.join(folder, f"w{k}.parquet"), frame, options)
            if verbose:
                print(f"  {label}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"seconds": round(time.perf_counter() - start, 2), **_jit.cache_report()}


def _round_trip(path, frame, options) -> None:
    from .read import read_parquet
    from .write import write
    from ..file.reader import ParquetFile

    write(path, frame, row_group_offsets=ROWS // 2, **options)
    read_parquet(path)
    pf = ParquetFile(path)
    strings = [c for c in frame.columns if c.startswith("s")]
    pf.to_pandas(categories=strings)
    pf.to_pandas(row_groups=[1], columns=list(frame.columns[:3]))


def _workload():
    flat, nulls, nested = _frames()
    codings = {"i64": "DELTA_BINARY_PACKED", "i32": "DELTA_BINARY_PACKED", "s_high": "DELTA_BYTE_ARRAY",
               "s_low": "DELTA_LENGTH_BYTE_ARRAY", "f64": "BYTE_STREAM_SPLIT", "f32": "BYTE_STREAM_SPLIT"}
    for version in (1, 2):
        for dictionary in (True, False):
            for name, frame in (("flat", flat), ("nulls", nulls), ("nested", nested)):
                yield (f"{name}, dictionary={dictionary}, data_page_version={version}", frame,
                       {"dictionary": dictionary, "data_page_version": version})
        yield (f"DELTA / BYTE_STREAM_SPLIT, data_page_version={version}", flat,
               {"dictionary": False, "data_page_version": version, "column_encoding": codings})


def _frames():
    """(flat columns without nulls, nullable columns with nulls, list columns)."""
    import numpy as np
    import pandas as pd

    n = ROWS
    rng = np.random.default_rng(0)
    ints = rng.integers(0, 1000, n)
    null = ints % 7 == 0
    words = np.array(["alpha", "beta", "gamma", "delta"])[ints % 4]
    flat = pd.DataFrame({
        "i64": rng.integers(-(1 << 40), 1 << 40, n), "i32": ints.astype("int32"),
        "i16": ints.astype("int16"), "i8": (ints % 100).astype("int8"),
        "u64": ints.astype("uint64"), "u32": ints.astype("uint32"), "u16": ints.astype("uint16"),
        "u8": (ints % 200).astype("uint8"), "f64": rng.random(n), "f32": rng.random(n).astype("float32"),
        "bool": ints % 3 == 0, "ts": pd.to_datetime(rng.integers(0, 10**18, n)),
        "ts_tz": pd.to_datetime(rng.integers(0, 10**15, n), unit="us", utc=True),
        "td": pd.to_timedelta(ints, unit="s"), "s_low": pd.Series(words, dtype="str"),
        "s_high": pd.Series([f"s{v}" for v in rng.integers(0, 1 << 30, n)], dtype="str"),
        "cat": pd.Categorical(np.array(["x", "y", "z"])[ints % 3]),
        "bytes": pd.Series([b"b%d" % v for v in ints], dtype=object),
    })
    nulls = pd.DataFrame({
        "i64": pd.Series(ints, dtype="Int64").where(~null),
        "i32": pd.Series(ints, dtype="Int32").where(~null),
        "f64": np.where(null, np.nan, rng.random(n)),
        "f64n": pd.Series(rng.random(n), dtype="Float64").where(~null),
        "bool": pd.Series(ints % 3 == 0, dtype="boolean").where(~null),
        "ts": pd.Series(pd.to_datetime(rng.integers(0, 10**18, n))).where(~null),
        "s_low": pd.Series(words, dtype="str").where(~null),
        "s_high": pd.Series([f"s{v}" for v in ints], dtype="str").where(~null),
        "cat": pd.Categorical(np.where(null, None, words)),
    })
    nested = pd.DataFrame({
        "id": np.arange(n),
        "ints": pd.Series([None if v % 11 == 0 else list(range(v % 4)) for v in ints], dtype=object),
        "strs": pd.Series([[f"w{v}", None] if v % 5 else [] for v in ints], dtype=object),
    })
    return flat, nulls, nested
