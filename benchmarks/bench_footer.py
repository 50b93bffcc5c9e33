"""Opening a file with 10,000 row groups x 20 columns (a ~19 MB footer with statistics).

Measures the time to reach the file metadata: fastpq ``ParquetFile(f).metadata``
against pyarrow ``pq.ParquetFile(f).metadata`` and fastparquet
``ParquetFile(f)``, in one run, as ratios to pyarrow. Also the time to decode
every row group (what a full read needs) and the cold import time.

    python benchmarks/bench_footer.py
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from common import DATA, best_of, table

N_ROW_GROUPS = 10_000
N_COLUMNS = 20


def make_file():
    path = DATA / f"footer_{N_ROW_GROUPS}x{N_COLUMNS}.parquet"
    if not path.exists():
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = N_ROW_GROUPS * 10
        rng = np.random.default_rng(0)
        cols = {f"c{i}": rng.integers(0, 1_000_000, rows) for i in range(N_COLUMNS // 2)}
        cols.update({f"s{i}": [f"value-{v}" for v in rng.integers(0, 1_000_000, rows)] for i in range(N_COLUMNS // 2)})
        pq.write_table(pa.table(cols), path, row_group_size=10)
    return path


def main():
    import pyarrow.parquet as pq

    import fastpq

    path = make_file()
    pf = fastpq.ParquetFile(path)
    print(f"file: {path.name}, footer {pf.footer_size / 1e6:.1f} MB, {pf.num_row_groups} row groups")
    t_pa = best_of(lambda: pq.ParquetFile(path).metadata)
    t_fq = best_of(lambda: fastpq.ParquetFile(path).metadata)
    t_fq_all = best_of(lambda: list(fastpq.ParquetFile(path).metadata.row_groups), repeat=3)
    rows = [
        {"reader": "pyarrow pq.ParquetFile(f).metadata", "seconds": t_pa, "ratio to pyarrow": 1.0},
        {"reader": "fastpq ParquetFile(f).metadata (lazy row groups)", "seconds": t_fq, "ratio to pyarrow": t_fq / t_pa},
        {"reader": "fastpq, then every RowGroup decoded", "seconds": t_fq_all, "ratio to pyarrow": t_fq_all / t_pa},
    ]
    try:
        import fastparquet

        t_fp = best_of(lambda: fastparquet.ParquetFile(str(path)), repeat=3)
        rows.append({"reader": "fastparquet ParquetFile(f)", "seconds": t_fp, "ratio to pyarrow": t_fp / t_pa})
    except Exception as exc:  # noqa: BLE001 - fastparquet is retired and may not run on pandas 3
        rows.append({"reader": f"fastparquet: unavailable ({type(exc).__name__}: {str(exc)[:60]})"})
    print(table(rows, ["reader", "seconds", "ratio to pyarrow"]))
    code = "import time; t=time.perf_counter(); import fastpq; print(time.perf_counter()-t)"
    base = "import time; import pandas; t=time.perf_counter(); import fastpq; print(time.perf_counter()-t)"
    cold = float(subprocess.check_output([sys.executable, "-c", code]).decode())
    beyond = float(subprocess.check_output([sys.executable, "-c", base]).decode())
    print(f"import fastpq: {cold:.3f} s in a fresh process, {beyond:.3f} s beyond importing pandas")


if __name__ == "__main__":
    main()
