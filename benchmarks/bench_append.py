"""Appending 1,000 rows to files of 10, 1,000 and 10,000 row groups: fastpq against fastparquet.

An append should cost what its new data and the footer cost, not what the file
holds. Each library appends to a file it wrote itself (6 columns: int64,
float64, int32, bool, str, timestamp; 10 rows per row group in the base
files). Reported: the median of 7 appends (each adds one row group), the file
and footer sizes, and fastpq without its fsyncs (the same protocol with
``os.fsync`` skipped: what durability costs on this disk). fastparquet's
append rewrites the footer in place without a journal or fsync (not
crash-safe), so "fastpq, no fsync" is the like-for-like figure.

    python benchmarks/bench_append.py [--quick]
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import time

import numpy as np
import pandas as pd

from common import DATA, table

SIZES = (10, 1_000, 10_000)
ROWS_PER_GROUP = 10
APPEND_ROWS = 1_000
REPEAT = 7


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "i": rng.integers(0, 1 << 40, n),
        "f": rng.random(n),
        "j": rng.integers(0, 1000, n).astype("int32"),
        "b": rng.random(n) < 0.5,
        "s": [f"value-{v}" for v in rng.integers(0, 100_000, n)],
        "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**9, n), unit="s"),
    })


def base_file(library: str, groups: int):
    path = DATA / f"append_base_{library}_{groups}.parquet"
    if not path.exists():
        df = frame(groups * ROWS_PER_GROUP, 0)
        if library == "fastpq":
            import fastpq

            fastpq.write(path, df, row_group_offsets=ROWS_PER_GROUP, compression=None)
        else:
            import fastparquet

            fastparquet.write(str(path), df, row_group_offsets=ROWS_PER_GROUP, compression=None)
    return path


class _NoFsync:
    """fastpq.append.appender's disk operations with the fsyncs left out."""

    def __init__(self):
        from fastpq.append import appender as append

        self.ops = append.OPS

    def __enter__(self):
        from fastpq.append import appender as append

        class Ops(append.DiskOps):
            def fsync(self, fd):
                pass

            def fsync_dir(self, folder):
                pass

        append.OPS = Ops()

    def __exit__(self, *exc):
        from fastpq.append import appender as append

        append.OPS = self.ops


def time_appends(library: str, groups: int, fsync: bool = True) -> tuple[float, int, int]:
    """Median seconds of one append, and the file size and footer size before them."""
    import fastparquet

    import fastpq

    work = DATA / f"append_work_{library}.parquet"
    shutil.copyfile(base_file(library, groups), work)
    size = os.path.getsize(work)
    footer = fastpq.ParquetFile(work).footer_size
    times = []
    for k in range(REPEAT + 1):
        df = frame(APPEND_ROWS, k + 1)
        t = time.perf_counter()
        if library == "fastpq":
            if fsync:
                fastpq.write(work, df, append=True, compression=None)
            else:
                with _NoFsync():
                    fastpq.write(work, df, append=True, compression=None)
        else:
            fastparquet.write(str(work), df, append=True, compression=None)
        times.append(time.perf_counter() - t)
    check = fastpq.ParquetFile(work)
    assert check.num_row_groups == groups + REPEAT + 1, (library, check.num_row_groups)
    os.unlink(work)
    return statistics.median(times[1:]), size, footer


def main():
    global SIZES
    if "--quick" in sys.argv:
        SIZES = SIZES[:2]
    rows = []
    for groups in SIZES:
        fq, size, footer = time_appends("fastpq", groups)
        fq_nosync, _, _ = time_appends("fastpq", groups, fsync=False)
        fp, fp_size, fp_footer = time_appends("fastparquet", groups)
        rows.append({"row groups": f"{groups:,}", "file MB (fastpq)": size / 1e6, "footer MB (fastpq)": footer / 1e6,
                     "fastpq ms": fq * 1e3, "fastpq, no fsync ms": fq_nosync * 1e3,
                     "footer MB (fastparquet)": fp_footer / 1e6, "fastparquet ms": fp * 1e3,
                     "fastparquet / fastpq (no fsync)": fp / fq_nosync})
    print(f"one append of {APPEND_ROWS:,} rows x 6 columns, median of {REPEAT}:")
    print(table(rows, list(rows[0])))


if __name__ == "__main__":
    main()
