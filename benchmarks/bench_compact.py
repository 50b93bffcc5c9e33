"""Reading a file built by 1,000 appends, before and after ``fastpq.compact``.

A file built by 1,000 appends of 1,000 rows (6 columns: int64, float64 with
nulls, int32, bool, str, timestamp) has 1,000 row groups: every read pays per
row group. Reported: fastpq's full read of that file before and after
``fastpq.compact`` (default row group size), the time compact itself takes, and
the same rows written in one go by pyarrow (``pq.write_table``, its default
row groups) read by fastpq and by pyarrow; ratios against the pyarrow-written
file read by fastpq. Appends skip their fsyncs while the file is built (only
the build is faster: the file is the same). No asserts.

    PYTHONPATH=. python benchmarks/bench_compact.py [--quick]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

from common import DATA, best_of, table

APPENDS = 1_000
ROWS = 1_000


def frame(step: int, n: int = ROWS) -> pd.DataFrame:
    k = np.arange(n) + step * n
    return pd.DataFrame({
        "i": k.astype("int64"),
        "f": np.where(k % 7 == 0, np.nan, k * 0.5),
        "n": (k % 1000).astype("int32"),
        "b": k % 3 == 0,
        "s": [f"s{j % 5000}" for j in k],
        "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(k, unit="s"),
    })


def build(path: str, appends: int) -> None:
    import fastpq
    from fastpq.append import appender

    class NoSync(appender.DiskOps):
        def fsync(self, fd):
            pass

        def fsync_dir(self, folder):
            pass

    saved, appender.OPS = appender.OPS, NoSync()
    try:
        fastpq.write(path, frame(0))
        for step in range(1, appends):
            fastpq.write(path, frame(step), append=True)
    finally:
        appender.OPS = saved


def main(quick: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import fastpq

    appends = 100 if quick else APPENDS
    appended = str(DATA / "compact_appended.parquet")
    compacted = str(DATA / "compact_compacted.parquet")
    one_go = str(DATA / "compact_pyarrow.parquet")
    for p in (appended, compacted, one_go):
        if os.path.exists(p):
            os.unlink(p)
    t = time.perf_counter()
    build(appended, appends)
    build_s = time.perf_counter() - t
    whole = pd.concat([frame(s) for s in range(appends)], ignore_index=True)
    pq.write_table(pa.Table.from_pandas(whole, preserve_index=False), one_go)
    with open(appended, "rb") as src, open(compacted, "wb") as dst:
        dst.write(src.read())
    t = time.perf_counter()
    fastpq.compact(compacted)
    compact_s = time.perf_counter() - t

    def fq(path):
        return lambda: fastpq.ParquetFile(path).to_pandas()

    rows = []
    for name, path, fn in (
        ("fastpq, appended file", appended, fq(appended)),
        ("fastpq, after compact", compacted, fq(compacted)),
        ("fastpq, pyarrow one go", one_go, fq(one_go)),
        ("pyarrow, pyarrow one go", one_go, lambda: pq.read_table(one_go).to_pandas()),
        ("pyarrow, appended file", appended, lambda: pq.read_table(appended).to_pandas()),
    ):
        s = best_of(fn, repeat=3)
        rows.append({"read": name, "row groups": pq.ParquetFile(path).metadata.num_row_groups,
                     "MB": os.path.getsize(path) / 1e6, "ms": s * 1e3})
    base = rows[2]["ms"]
    for row in rows:
        row["x one go (fastpq)"] = row["ms"] / base
    print(f"{appends} appends of {ROWS} rows: built in {build_s:.1f} s (no fsync); compact took "
          f"{compact_s * 1e3:.0f} ms")
    print(table(rows, ["read", "row groups", "MB", "ms", "x one go (fastpq)"]))


if __name__ == "__main__":
    main("--quick" in sys.argv)
