"""Start-up: a fresh process that imports fastpq and reads a small file, timed from outside.

Each run is a new interpreter (``python -c "import fastpq; fastpq.read_parquet(f)"``), so
it pays for the interpreter, pandas, fastpq and the kernels, and for the interpreter's exit.
Two ways to run the kernels: as shipped (``FASTPQ_KERNELS=auto``: a small file's kernels
run interpreted and numba is never imported) and ``FASTPQ_KERNELS=jit`` (numba's own
start-up, then loading the cached kernels the file needs; numba cache warm: the package's
``__pycache__``). ``--cold-cache`` also times one ``jit`` run against an empty numba cache
(``NUMBA_CACHE_DIR`` pointed at a new temporary directory, so the real cache is left
alone): the first compiled read on a new machine, then ``fastpq warmup`` into another empty
cache and a read after it (what a container image built with ``RUN fastpq warmup`` pays).
The environment is passed on as it is (on our VM that includes
``PYTHONDONTWRITEBYTECODE=1``, so fastpq's own modules are compiled to bytecode in every
run: 0.05-0.1 s a user's installation does not pay).

    python benchmarks/bench_startup.py [--runs 7] [--cold-cache]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "pyarrow, core types, snappy": ROOT / "test-data" / "pyarrow_core_v1_snappy.parquet",
    "29 columns of every duckdb type": ROOT / "test-data" / "duckdb_codec_brotli.parquet",
}
CODE = "import fastpq, sys; fastpq.read_parquet(sys.argv[1])"
PARTS = """
import time, sys
t0 = time.perf_counter(); import pandas
t1 = time.perf_counter(); import fastpq
t2 = time.perf_counter(); fastpq.read_parquet(sys.argv[1])
t3 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f}")
"""


def _env(mode, **extra):
    return {**os.environ, "FASTPQ_KERNELS": mode, **extra}


def _run(path, env) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CODE, str(path)], check=True, env=env)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold-cache", action="store_true")
    args = parser.parse_args()
    print("| file | kernels | median s | min s | max s | import pandas | import fastpq | first read |")
    print("|---|---|---|---|---|---|---|---|")
    for label, path in FILES.items():
        if not path.exists():
            print(f"| {label} | | missing: {path.name} | | | | | |")
            continue
        for mode in ("auto", "jit"):
            env = _env(mode)
            _run(path, env)  # the numba cache exists and the files are in the page cache
            times = [_run(path, env) for _ in range(args.runs)]
            parts = subprocess.check_output([sys.executable, "-c", PARTS, str(path)], env=env)
            parts = parts.decode().split()
            print(f"| {label} | {mode} | {statistics.median(times):.2f} | {min(times):.2f} | "
                  f"{max(times):.2f} | {parts[0]} | {parts[1]} | {parts[2]} |")
    if args.cold_cache:
        path = next(iter(FILES.values()))
        with tempfile.TemporaryDirectory() as cache:
            env = _env("jit", NUMBA_CACHE_DIR=cache)
            print(f"\nempty numba cache, jit ({path.name}): {_run(path, env):.1f} s (compiling its kernels)")
        with tempfile.TemporaryDirectory() as cache:   # a cache filled by `fastpq warmup`, as in an image
            env = _env("auto", NUMBA_CACHE_DIR=cache)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "fastpq", "warmup"], check=True, env=env, cwd=ROOT)
            print(f"fastpq warmup into an empty cache: {time.perf_counter() - start:.1f} s; then a read, "
                  f"auto: {_run(path, env):.2f} s, jit: {_run(path, _env('jit', NUMBA_CACHE_DIR=cache)):.2f} s")


if __name__ == "__main__":
    main()
