"""Reading the benchmark scenarios: fastpq against pyarrow and fastparquet, in one run.

For every scenario of ``scenarios.py`` (written once by pyarrow per codec), a
full read and a one-column read, each by: fastpq (threads, and
``use_threads=False``), pyarrow ``pq.read_table(...).to_pandas()`` (threaded,
and ``use_threads=False``) and fastparquet. Every measurement runs in a fresh
process: it warms up on the same file (numba compile and disk cache), then
reports the best of ``--repeat`` wall times and the peak memory of one more
read, as the growth of the process's maximum resident set over its size
before that read. Ratios are fastpq's time over the others'.

    python benchmarks/bench_read.py --rows 10000000 [--codecs snappy,zstd,none] [--scenarios numeric,...]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import DATA, table

HERE = Path(__file__).resolve().parent
READERS = ["fastpq", "fastpq_1thread", "pyarrow", "pyarrow_1thread", "fastparquet"]


def _read(reader: str, path: str, columns):
    if reader.startswith("fastpq"):
        import fastpq

        return fastpq.ParquetFile(path).to_pandas(columns=columns, use_threads=reader == "fastpq")
    if reader.startswith("pyarrow"):
        import pyarrow.parquet as pq

        threads = reader == "pyarrow"
        return pq.read_table(path, columns=columns, use_threads=threads).to_pandas(use_threads=threads)
    import fastparquet

    return fastparquet.ParquetFile(path).to_pandas(columns=columns)


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def _reset_peak() -> None:
    """Start VmHWM afresh (Linux: writing 5 to clear_refs). ru_maxrss cannot be reset, and it is
    inherited across exec from the forked parent, whose frames inflated it."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def worker(reader: str, path: str, columns, repeat: int) -> dict:
    """One measurement, in this (fresh) process. repeat == 0: peak memory of one read."""
    import gc

    if repeat == 0:  # a process of its own: the numba cache is warm, the heap is not
        import fastparquet  # noqa: F401 - imports count in the baseline, not the read
        import pyarrow.parquet  # noqa: F401

        import fastpq

        # load the libraries' lazily loaded parts (numba and fastpq's cached kernels, arrow's
        # readers) with a read of one row group's first column, so that only the read counts
        first = fastpq.ParquetFile(path).columns[:1]
        if reader.startswith("fastpq"):
            fastpq.ParquetFile(path)[0].head(10, columns=first)
        else:
            pyarrow.parquet.ParquetFile(path).read_row_group(0, columns=first).to_pandas()
        gc.collect()
        _reset_peak()
        base = _status_mb("VmRSS")
        df = _read(reader, path, columns)
        return {"peak_mb": _status_mb("VmHWM") - base,
                "frame_mb": df.memory_usage(index=True, deep=True).sum() / 2**20}
    try:
        _read(reader, path, columns)  # warm-up: compile, page cache
    except Exception as exc:  # noqa: BLE001 - a reader that cannot read it is reported, not fatal
        return {"error": f"{type(exc).__name__}: {str(exc)[:80]}"}
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        _read(reader, path, columns)
        times.append(time.perf_counter() - t)
    return {"seconds": min(times)}


def measure(reader, path, columns, repeat) -> dict:
    result = _run_worker(reader, path, columns, repeat)
    if "error" not in result and reader in ("fastpq", "pyarrow"):
        result.update(_run_worker(reader, path, columns, 0))
    return result


def _run_worker(reader, path, columns, repeat) -> dict:
    cmd = [sys.executable, str(HERE / "bench_read.py"), "--worker", reader, str(path),
           json.dumps(columns), str(repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1][:80] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_file(name: str, rows: int, codec: str) -> Path:
    path = DATA / f"read_{name}_{rows}_{codec}.parquet"
    if not path.exists():
        import pyarrow as pa
        import pyarrow.parquet as pq

        import scenarios

        df = scenarios.SCENARIOS[name](rows)
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression=codec)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--codecs", default="none,snappy,zstd")
    parser.add_argument("--scenarios", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--readers", default=",".join(READERS))
    parser.add_argument("--raw", default=None, help="also write every measurement to this JSON file")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import scenarios

    names = args.scenarios.split(",") if args.scenarios else list(scenarios.SCENARIOS)
    readers = args.readers.split(",")
    rows_out, raw = [], []
    for name in names:
        for codec in args.codecs.split(","):
            path = make_file(name, args.rows, codec)
            first = _first_column(path)
            for label, columns in [("all", None), (f"1 col ({first})", [first])]:
                res = {r: measure(r, path, columns, args.repeat) for r in readers}
                rows_out.append(_row(name, codec, label, res))
                raw.append({"scenario": name, "codec": codec, "read": label, **res})
                print(table(rows_out[-1:], COLUMNS).splitlines()[-1], flush=True)
    if args.raw:
        Path(args.raw).write_text(json.dumps(raw, indent=1))
    print()
    print(f"{args.rows:,} rows; times in seconds (best of {args.repeat}); ratio = fastpq / other; "
          "peak = peak memory growth during one read / size of the resulting DataFrame")
    print(table(rows_out, COLUMNS))


COLUMNS = ["scenario", "codec", "read", "fastpq s", "vs pyarrow", "vs pyarrow 1thr", "1thr vs pyarrow 1thr",
           "vs fastparquet",
           "fastpq peak", "pyarrow peak"]


def _first_column(path) -> str:
    import fastpq

    return fastpq.ParquetFile(path).columns[0]


def _row(name, codec, label, res) -> dict:
    def s(r):
        return res.get(r, {}).get("seconds")

    def ratio(a, b):
        return f"{s(a) / s(b):.2f}" if s(a) and s(b) else res.get(b, {}).get("error", "-")[:30]

    def peak(r):
        m = res.get(r, {})
        return f"{m['peak_mb'] / m['frame_mb']:.2f}" if "peak_mb" in m and m["frame_mb"] else "-"

    return {"scenario": name, "codec": codec, "read": label,
            "fastpq s": s("fastpq") if s("fastpq") else res["fastpq"].get("error"),
            "vs pyarrow": ratio("fastpq", "pyarrow"),
            "vs pyarrow 1thr": ratio("fastpq", "pyarrow_1thread"),
            "1thr vs pyarrow 1thr": ratio("fastpq_1thread", "pyarrow_1thread"),
            "vs fastparquet": ratio("fastpq", "fastparquet"),
            "fastpq peak": peak("fastpq"), "pyarrow peak": peak("pyarrow")}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        reader, path, columns, repeat = sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(worker(reader, path, columns, repeat)))
    else:
        main()
