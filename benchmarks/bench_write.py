"""Writing DataFrames: fastpq vs pyarrow (threaded and one thread) vs fastparquet.

For every scenario of ``scenarios.py`` (default 10 million rows) and codec
(uncompressed, snappy, zstd), one run reports the best-of-N wall time of each
writer, the ratio to pyarrow, and the file sizes. fastpq's first (cold) call is
reported apart: it includes numba compilation or loading the on-disk cache.
pyarrow is timed as a pandas user calls it: ``pq.write_table(pa.Table.from_pandas(df))``
(conversion included); "pyarrow 1t" runs with ``pa.set_cpu_count(1)``.
fastparquet may not support pandas 3: its failures are shown, not raised.
fastpq fsyncs before its atomic rename, and pays that inside its time.

    python benchmarks/bench_write.py [--rows 10000000] [--repeat 3] [--dir /tmp]
        [--scenarios numeric,strings_low] [--codecs none,snappy,zstd]
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

from common import best_of, table  # noqa: E402
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

    def fastparquet(df, codec):
        import fastparquet as fp

        path = folder / "fastparquet.parquet"
        fp.write(str(path), df, compression=(codec or "UNCOMPRESSED").upper(), stats=True)
        return path

    return {"fastpq": fq, "pyarrow": arrow, "pyarrow 1t": arrow_1t, "fastparquet": fastparquet}


def run(rows: int, repeat: int, folder: Path, scenarios, codecs) -> list:
    writers = _writers(folder)
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
                    row[f"{label} s"] = best_of(lambda: fn(df, codec), repeat=repeat, warmup=0)
                    row[f"{label} MB"] = os.path.getsize(fn(df, codec)) / 1e6 if label != "pyarrow 1t" else None
                except Exception as exc:  # noqa: BLE001 - fastparquet vs pandas 3
                    row[f"{label} s"] = f"failed: {type(exc).__name__}"
                    print(f"# {label} {name} {codec}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
            arrow_s = row["pyarrow s"]
            row["fastpq/pyarrow time"] = row["fastpq s"] / arrow_s
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
    args = parser.parse_args(argv)
    codecs = [None if c == "none" else c for c in args.codecs.split(",")]
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        results = run(args.rows, args.repeat, Path(folder), args.scenarios.split(","), codecs)
    columns = ["scenario", "codec", "fastpq cold s", "fastpq s", "pyarrow s", "pyarrow 1t s", "fastparquet s",
               "fastpq/pyarrow time", "fastpq MB", "pyarrow MB", "fastparquet MB", "fastpq/pyarrow size"]
    print(f"\nWriting {args.rows:,} rows (best of {args.repeat}); sizes in MB\n")
    print(table(results, columns))


if __name__ == "__main__":
    main()
