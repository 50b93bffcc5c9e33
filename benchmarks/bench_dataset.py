"""A dataset of 1,000 files: opening it, and reading one column with a selective filter.

Two copies of the same files (written by pyarrow: 1,000 files x 5,000 rows, 2
row groups each, hive-partitioned on ``p`` (10 values); ``id`` ascending across
files): one with a ``_metadata`` file (``fastpq.merge``), one without.
fastpq (``ParquetDataset``) against pyarrow.dataset (``ds.dataset`` /
``ds.parquet_dataset`` for ``_metadata``), in one run, as time ratios
fastpq / pyarrow (below 1: fastpq is faster):

* open: the constructor (fastpq lists the files or parses ``_metadata``;
  pyarrow lists them and, without ``_metadata``, reads the first footer);
* read: open + read ``value`` for ``id`` in a 0.01 % range (one row group of
  one file matches; every footer must be consulted without ``_metadata``);
* read (partition filter): ``p == 3`` and the ``id`` range: 900 files pruned
  by their paths before any footer is read;
* read (all rows, one column).

    python benchmarks/bench_dataset.py [--files 1000]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

import numpy as np

from common import DATA, best_of, table

ROWS_PER_FILE = 5_000


def make(n_files: int):
    import pyarrow as pa
    import pyarrow.parquet as pq

    import fastpq

    plain = DATA / f"dataset_{n_files}"
    with_md = DATA / f"dataset_{n_files}_metadata"
    if not (plain / "_done").exists():
        shutil.rmtree(plain, ignore_errors=True)
        rng = np.random.default_rng(0)
        for i in range(n_files):
            folder = plain / f"p={i % 10}"
            folder.mkdir(parents=True, exist_ok=True)
            start = i * ROWS_PER_FILE
            t = pa.table({
                "id": np.arange(start, start + ROWS_PER_FILE, dtype=np.int64),
                "value": rng.random(ROWS_PER_FILE),
                "name": pa.array([f"n{j % 997}" for j in range(ROWS_PER_FILE)]),
                "flag": rng.random(ROWS_PER_FILE) < 0.5,
                "count": rng.integers(0, 1000, ROWS_PER_FILE, dtype=np.int32),
            })
            pq.write_table(t, folder / f"part-{i:05d}.parquet", row_group_size=ROWS_PER_FILE // 2)
        (plain / "_done").write_text("")
    if not (with_md / "_metadata").exists():
        shutil.rmtree(with_md, ignore_errors=True)
        shutil.copytree(plain, with_md, ignore=shutil.ignore_patterns("_done"))
        fastpq.merge(str(with_md))
    return plain, with_md


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import pyarrow.dataset as ds

    import fastpq

    plain, with_md = make(args.files)
    total = args.files * ROWS_PER_FILE
    lo = total // 2 + 123
    hi = lo + total // 10_000
    selective = [("id", ">=", lo), ("id", "<", hi)]
    partition = [("p", "==", 3)] + selective
    expr = (ds.field("id") >= lo) & (ds.field("id") < hi)
    pexpr = (ds.field("p") == 3) & expr

    def f_open(root):
        return lambda: fastpq.ParquetDataset(root)

    def a_open(root, md):
        return (lambda: ds.parquet_dataset(root / "_metadata", partitioning="hive")) if md else \
            (lambda: ds.dataset(root, partitioning="hive"))

    def f_read(root, filters, columns=("value",)):
        return lambda: fastpq.ParquetDataset(root).to_pandas(columns=list(columns), filters=filters)

    def a_read(root, md, flt, columns=("value",)):
        opener = a_open(root, md)
        return lambda: opener().to_table(columns=list(columns), filter=flt).to_pandas()

    # correctness first (and warm numba's cache)
    for root, md in ((plain, False), (with_md, True)):
        got = f_read(root, selective)()
        want = a_read(root, md, expr)()
        assert got["value"].tolist() == want["value"].tolist(), (len(got), len(want))
        assert len(got) == hi - lo

    cold = subprocess.run([sys.executable, "-c", (
        "import time, fastpq; t = time.perf_counter(); "
        f"fastpq.ParquetDataset({str(plain)!r}).to_pandas(columns=['value'], filters={selective!r}); "
        "print(time.perf_counter() - t)")], capture_output=True, text=True, check=True)

    rows = []
    cases = [
        ("open", f_open, lambda r, md: a_open(r, md), None),
        ("read id range (0.01 %)", lambda r: f_read(r, selective), lambda r, md: a_read(r, md, expr), None),
        ("read p == 3 and id range", lambda r: f_read(r, partition), lambda r, md: a_read(r, md, pexpr), None),
        ("read all rows, one column", lambda r: f_read(r, None), lambda r, md: a_read(r, md, None), None),
    ]
    for label, fastpq_case, pyarrow_case, _ in cases:
        for root, md in ((plain, False), (with_md, True)):
            tf = best_of(fastpq_case(root), repeat=args.repeat)
            tp = best_of(pyarrow_case(root, md), repeat=args.repeat)
            rows.append({"case": label, "_metadata": "yes" if md else "no", "fastpq ms": tf * 1e3,
                         "pyarrow ms": tp * 1e3, "fastpq / pyarrow": tf / tp})
    print(f"{args.files} files x {ROWS_PER_FILE:,} rows, 2 row groups each, hive on p (10 values)\n")
    print(table(rows, ["case", "_metadata", "fastpq ms", "pyarrow ms", "fastpq / pyarrow"]))
    print(f"\nfastpq cold (new process, numba cache loaded, no _metadata, selective read): "
          f"{float(cold.stdout) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
