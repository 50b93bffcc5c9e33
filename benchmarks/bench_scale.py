"""Scale (issue 16): cost per file, per row group, per column and per task, against a peer.

Every case runs fastpq and its peer each in a fresh child process (so peak memory is the
child's own: ``ru_maxrss`` minus the resident size before the timed work), with a
watchdog (``--timeout``): a case that does not finish is reported as such, not waited for.
The time is the best of ``--repeat`` runs inside the child after one warm-up run (numba
kernels compiled, footers cold on the first run only for the dask cases, which are
planning only: nothing is computed).

Cases (full size / ``--quick``):

- ``dask_files``: ``fastpq.dask.read_parquet(dir)`` planning over 1,000 (100) small files
  vs ``dd.read_parquet(dir, engine="pyarrow")``;
- ``dask_row_groups``: the same with ``split_row_groups=True`` over 100 x 44 = 4,400
  (10 x 44) row groups;
- ``row_groups``: one file of 2,000 (200) row groups x 4 columns x 1,000 rows,
  ``fastpq.read_parquet`` vs ``pd.read_parquet(engine="pyarrow")``;
- ``dataset``: 300 (30) files x 5,000 rows, vs ``pd.read_parquet(dir)``;
- ``wide``: 5,000 (500) columns x 200 rows;
- ``very_wide``: 300,000 (30,000) columns, 0 rows (fastpq only: open and read);
- ``cold`` / ``warm``: a fresh interpreter reading 1M (100k) rows x 9 mixed columns, numba
  cache empty (``NUMBA_CACHE_DIR`` a new temporary directory; best of ``--repeat``, each in a
  new one) / filled by the last cold run (what that read compiled; kernels it ran interpreted stay
  uncached: ``fastpq warmup`` caches every kernel), vs
  a fresh interpreter reading it with pandas + pyarrow. Times are from outside the child
  (interpreter start, imports and exit included).

    python benchmarks/bench_scale.py [--quick] [--repeat 3] [--timeout 600] [--only CASE ...]

Results: a Markdown table printed and written to ``benchmarks/results/<date>-scale.md``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))   # this checkout's fastpq, not an installed one
from common import DATA, table  # noqa: E402

SIZES = {  # case -> (full, quick) parameters
    "dask_files": ((1000, 1), (100, 1)),            # (files, row groups per file)
    "dask_row_groups": ((100, 44), (10, 44)),
    "row_groups": ((2000,), (200,)),
    "dataset": ((300,), (30,)),
    "wide": ((5000,), (500,)),
    "very_wide": ((300_000,), (30_000,)),
    "cold": ((1_000_000,), (100_000,)),
    "warm": ((1_000_000,), (100_000,)),
}


# ---------------------------------------------------------------- data (pyarrow writes the inputs)

def _frame(n: int, ncols: int = 4, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame({f"c{i}": rng.integers(0, 1 << 40, n) if i % 2 == 0 else rng.random(n)
                         for i in range(ncols)})


def _write(df, path, row_group_size=None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=row_group_size)


def make_data(case: str, params: tuple) -> Path:
    tag = "_".join(map(str, params))
    path = DATA / f"scale_{case if case not in ('cold', 'warm') else 'mixed'}_{tag}"
    if path.exists():
        return path
    tmp = Path(str(path) + ".tmp")
    if case in ("dask_files", "dask_row_groups", "dataset"):
        files, rgs = params if len(params) == 2 else (params[0], 1)
        rows = 5000 if case == "dataset" else 100 * rgs
        tmp.mkdir(parents=True, exist_ok=True)
        for i in range(files):
            _write(_frame(rows, 4, i), tmp / f"part.{i:05d}.parquet", row_group_size=rows // rgs)
    elif case == "row_groups":
        _write(_frame(1000 * params[0], 4), tmp, row_group_size=1000)
    elif case == "wide":
        _write(_frame(200, params[0]), tmp)
    elif case == "very_wide":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(f"c{i}", pa.int64()) for i in range(params[0])])
        pq.write_table(schema.empty_table(), tmp)
    else:  # 9 mixed columns
        import numpy as np
        import pandas as pd

        n = params[0]
        rng = np.random.default_rng(1)
        ints = rng.integers(0, 1000, n)
        df = pd.DataFrame({
            "i64": rng.integers(-(1 << 40), 1 << 40, n), "i32": ints.astype("int32"),
            "f64": rng.random(n), "f64_nulls": np.where(ints % 7 == 0, np.nan, rng.random(n)),
            "bool": ints % 3 == 0, "ts": pd.to_datetime(rng.integers(0, 10**18, n)),
            "str_low": pd.Series(np.array(["alpha", "beta", "gamma", "delta"])[ints % 4], dtype=object),
            "str_high": pd.Series([f"s{v}" for v in rng.integers(0, 1 << 30, n)], dtype=object),
            "cat": pd.Categorical(np.array(["x", "y", "z"])[ints % 3]),
        })
        df.to_parquet(tmp, engine="pyarrow", compression="snappy")
    tmp.rename(path)
    return path


# ---------------------------------------------------------------- the timed work (in a child)

def work(case: str, impl: str, path: str):
    """A function doing the case once with ``impl`` ('fastpq' or 'peer')."""
    import pandas as pd

    if case in ("dask_files", "dask_row_groups"):
        split = case == "dask_row_groups"
        if impl == "fastpq":
            import fastpq.dask as fd
            return lambda: fd.read_parquet(path, split_row_groups=split).npartitions
        import dask.dataframe as dd
        return lambda: dd.read_parquet(path, engine="pyarrow", split_row_groups=split).npartitions
    if impl == "fastpq":
        import fastpq
        return lambda: fastpq.read_parquet(path)
    return lambda: pd.read_parquet(path, engine="pyarrow")


def child(case: str, impl: str, path: str, repeat: int) -> None:
    import gc

    import psutil

    fn = work(case, impl, path)
    rss0 = psutil.Process().memory_info().rss
    times = []
    for i in range(repeat + (0 if case == "very_wide" else 1)):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    best = min(times[1:] or times) if case != "very_wide" else min(times)
    print(json.dumps({"seconds": best, "first": times[0], "peak_mb": max(0, peak - rss0) / 1e6}))


def run_child(case, impl, path, repeat, timeout) -> dict:
    cmd = [sys.executable, __file__, "--child", case, impl, str(path), str(repeat)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent, env=_env())
    except subprocess.TimeoutExpired:
        return {"error": f"killed after {timeout} s"}
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1][:120] if out.stderr.strip() else f"rc {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


FRESH = {
    "fastpq": "import fastpq, sys; fastpq.read_parquet(sys.argv[1])",
    "peer": "import pandas, sys; pandas.read_parquet(sys.argv[1], engine='pyarrow')",
}


def _env(**extra) -> dict:
    """The environment for a child: this checkout's fastpq first on the path."""
    path = os.pathsep.join(p for p in (str(HERE.parent), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, **extra)


def fresh(impl: str, path, env, timeout) -> dict:
    t = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", FRESH[impl], str(path)], env=env, capture_output=True,
                             text=True, timeout=timeout, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return {"error": f"killed after {timeout} s"}
    seconds = time.perf_counter() - t
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1][:120]}
    return {"seconds": seconds}


def fresh_cases(path, timeout, repeat, only) -> list:
    """(case, fastpq, peer) for a cold and a warm numba cache, fresh interpreters."""
    rows = []
    colds = []
    for _ in range(repeat - 1 if "cold" in only else 0):   # each in a new empty cache
        with tempfile.TemporaryDirectory(prefix="fastpq-numba-") as cache:
            colds.append(fresh("fastpq", path, _env(NUMBA_CACHE_DIR=cache), timeout))
    with tempfile.TemporaryDirectory(prefix="fastpq-numba-") as cache:
        env = _env(NUMBA_CACHE_DIR=cache)
        colds.append(fresh("fastpq", path, env, timeout))     # fills the cache
        cold = min(colds, key=lambda r: r.get("seconds", float("inf")))
        peer = min((fresh("peer", path, _env(), timeout) for _ in range(repeat)),
                   key=lambda r: r.get("seconds", float("inf")))
        if "cold" in only:
            rows.append(("cold", cold, peer))
        if "warm" in only:
            warm = min((fresh("fastpq", path, env, timeout) for _ in range(repeat)),
                       key=lambda r: r.get("seconds", float("inf")))
            rows.append(("warm", warm, peer))
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        case, impl, path, repeat = sys.argv[2:6]
        child(case, impl, path, int(repeat))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (minutes, not tens of minutes)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a child is killed")
    ap.add_argument("--only", nargs="*", default=list(SIZES), choices=list(SIZES))
    args = ap.parse_args()
    results = []
    for case in args.only:
        if case in ("cold", "warm"):
            continue
        params = SIZES[case][1 if args.quick else 0]
        path = make_data(case, params)
        fq = run_child(case, "fastpq", path, args.repeat, args.timeout)
        peer = {} if case == "very_wide" else run_child(case, "peer", path, args.repeat, args.timeout)
        results.append((case, params, fq, peer))
        print(case, params, fq, peer, flush=True)
    fresh_wanted = [c for c in ("cold", "warm") if c in args.only]
    if fresh_wanted:
        params = SIZES["cold"][1 if args.quick else 0]
        path = make_data("cold", params)
        for case, fq, peer in fresh_cases(path, args.timeout, args.repeat, fresh_wanted):
            results.append((case, params, fq, peer))
            print(case, params, fq, peer, flush=True)
    report(results, args)


def report(results, args) -> None:
    rows = []
    for case, params, fq, peer in results:
        row = {"case": case, "size": " x ".join(f"{p:,}" for p in params)}
        row["fastpq s"] = fq.get("seconds", fq.get("error", ""))
        row["fastpq peak MB"] = fq.get("peak_mb", "")
        row["peer s"] = peer.get("seconds", peer.get("error", ""))
        row["peer peak MB"] = peer.get("peak_mb", "")
        if isinstance(fq.get("seconds"), float) and isinstance(peer.get("seconds"), float):
            row["ratio"] = fq["seconds"] / peer["seconds"]
        rows.append(row)
    text = table(rows, ["case", "size", "fastpq s", "peer s", "ratio", "fastpq peak MB", "peer peak MB"])
    print(text)
    out = HERE / "results" / f"{datetime.date.today().isoformat()}-scale.md"
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                                cwd=HERE.parent).stdout.strip()
    except OSError:
        commit = "?"
    head = (f"# bench_scale.py {'--quick ' if args.quick else ''}--repeat {args.repeat} (fastpq at {commit})\n\n"
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end. Seconds: best of "
            "the repeats after a warm-up (cold / warm: one fresh interpreter, timed from outside). "
            "Peak MB: the child's peak resident size minus its size before the timed work.\n\n")
    with open(out, "a") as f:
        f.write(head + text + "\n\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
