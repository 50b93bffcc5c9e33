"""Writing DataFrames: fastpq vs pyarrow (threaded and one thread) vs polars vs fastparquet.

For every scenario of ``scenarios.py`` (default 10 million rows) and codec
(uncompressed, snappy, zstd), one run reports the best-of-N wall time of each
writer, the ratio to pyarrow, and the file sizes. fastpq's first (cold) call is
reported apart: it includes numba compilation or loading the on-disk cache.
pyarrow is timed as a pandas user calls it: ``pq.write_table(pa.Table.from_pandas(df))``
(conversion included); "pyarrow 1t" runs with ``pa.set_cpu_count(1)``. polars is
timed as ``pl.from_pandas(df).write_parquet(path, statistics=True)`` (conversion
included, its own thread pool). "cpu s" columns are the least process CPU time
(all threads, user + system) of the repeats: read them beside the wall times on
a loaded machine, where a process gets a fraction of the cores.
fastparquet may not support pandas 3: its failures are shown, not raised.
fastpq fsyncs before its atomic rename, and pays that inside its time.

    python benchmarks/bench_write.py [--rows 10000000] [--repeat 3] [--dir /tmp]
        [--scenarios numeric,strings_low] [--codecs none,snappy,zstd]
        [--writers fastpq,pyarrow,pyarrow 1t,polars,fastparquet]
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import table  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402


def _writers(folder: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    import fastpq

    def fq(df, codec):
        path = folder / "fastpq.parquet"
        fastpq.write(path, df, compression=codec)
        return path

    def arrow(df, codec):
        path = folder / "pyarrow.parquet"
        pq.write_table(pa.Table.from_pandas(df), path, compression=codec or "none")
        return path

    def arrow_1t(df, codec):
        before = pa.cpu_count()
        pa.set_cpu_count(1)
        try:
            return arrow(df, codec)
        finally:
            pa.set_cpu_count(before)

    def polars(df, codec):
        import polars as pl

        path = folder / "polars.parquet"
        pl.from_pandas(df).write_parquet(path, compression=codec or "uncompressed", statistics=True)
        return path

    def fastparquet(df, codec):
        import fastparquet as fp

        path = folder / "fastparquet.parquet"
        fp.write(str(path), df, compression=(codec or "UNCOMPRESSED").upper(), stats=True)
        return path

    return {"fastpq": fq, "pyarrow": arrow, "pyarrow 1t": arrow_1t, "polars": polars,
            "fastparquet": fastparquet}


def _best_wall_and_cpu(fn, repeat: int) -> tuple:
    """The least wall time and the least process CPU time (all threads) of ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), min(cpus)


def run(rows: int, repeat: int, folder: Path, scenarios, codecs, chosen=None) -> list:
    writers = {k: v for k, v in _writers(folder).items() if chosen is None or k in chosen}
    results = []
    for name in scenarios:
        t = time.perf_counter()
        df = SCENARIOS[name](rows)
        print(f"# {name}: built {df.shape} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        for codec in codecs:
            row = {"scenario": name, "codec": codec or "none"}
            t = time.perf_counter()
            writers["fastpq"](df, codec)
            row["fastpq cold s"] = time.perf_counter() - t
            for label, fn in writers.items():
                try:
                    row[f"{label} s"], row[f"{label} cpu s"] = _best_wall_and_cpu(lambda: fn(df, codec), repeat)
                    row[f"{label} MB"] = os.path.getsize(fn(df, codec)) / 1e6 if label != "pyarrow 1t" else None
                except Exception as exc:  # noqa: BLE001 - fastparquet vs pandas 3
                    row[f"{label} s"] = f"failed: {type(exc).__name__}"
                    print(f"# {label} {name} {codec}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
            for peer in ("pyarrow", "pyarrow 1t", "polars"):
                if isinstance(row.get(f"{peer} s"), float):
                    row[f"fastpq/{peer}"] = row["fastpq s"] / row[f"{peer} s"]
                    row[f"fastpq/{peer} cpu"] = row["fastpq cpu s"] / row[f"{peer} cpu s"]
            if isinstance(row.get("pyarrow MB"), float):
                row["fastpq/pyarrow size"] = row["fastpq MB"] / row["pyarrow MB"]
            results.append(row)
            print(row, file=sys.stderr)
        df = None
        gc.collect()
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--codecs", default="none,snappy,zstd")
    parser.add_argument("--writers", default="fastpq,pyarrow,pyarrow 1t,polars,fastparquet")
    args = parser.parse_args(argv)
    codecs = [None if c == "none" else c for c in args.codecs.split(",")]
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        results = run(args.rows, args.repeat, Path(folder), args.scenarios.split(","), codecs,
                      set(args.writers.split(",")) | {"fastpq"})
    columns = ["scenario", "codec", "fastpq cold s", "fastpq s", "pyarrow s", "pyarrow 1t s", "polars s",
               "fastparquet s", "fastpq/pyarrow", "fastpq/pyarrow 1t", "fastpq/polars", "fastpq cpu s",
               "pyarrow cpu s", "pyarrow 1t cpu s", "polars cpu s",
               "fastpq MB", "pyarrow MB", "polars MB", "fastparquet MB", "fastpq/pyarrow size", "fastpq/pyarrow 1t cpu", "fastpq/polars cpu"]
    print(f"\nWriting {args.rows:,} rows (best of {args.repeat}); sizes in MB; load average "
          f"{os.getloadavg()[0]:.1f} at the end\n")
    print(table(results, columns))


if __name__ == "__main__":
    main()
