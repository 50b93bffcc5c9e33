"""Kernels interpreted and compiled (fastpq.kernels._jit): a fresh process reads a small
file without loading numba, loads it for a large read or once the time budget is spent,
and every mode gives the same frame. The kernel and corpus suites run again in a child
with every kernel interpreted (FASTPQ_KERNELS=python)."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fastpq
from tests.conftest import ROOT, TEST_DATA

SMALL = [TEST_DATA / "pyarrow_core_v1_snappy.parquet", TEST_DATA / "duckdb_types_v1_snappy.parquet",
         TEST_DATA / "pyarrow_nested_v1_snappy.parquet", TEST_DATA / "pyarrow_encodings_v1_snappy.parquet",
         TEST_DATA / "duckdb_codec_brotli.parquet"]


def _child(code: str, mode: str = "auto"):
    """Run ``code`` in a fresh interpreter; it leaves its answer in ``result``."""
    env = {**os.environ, "FASTPQ_KERNELS": mode}
    script = ("import pickle, sys, fastpq\n" + code +
              "\nsys.stdout.buffer.write(pickle.dumps(result))\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True,
                         capture_output=True).stdout
    return pickle.loads(out)


# the time budget is made unlimited where a test asks whether numba was loaded: on a busy
# machine, five files can take longer than the budget (then numba loads, as it should)
UNLIMITED = "from fastpq.kernels import _jit\n_jit.TIME_BUDGET = 1e9\n"


def test_small_reads_do_not_load_numba():
    paths = [str(p) for p in SMALL]
    frames, loaded = _child(UNLIMITED + f"frames = [fastpq.read_parquet(p) for p in {paths!r}]\n"
                            "result = frames, 'numba' in sys.modules")
    assert not loaded
    for path, got in zip(SMALL, frames):
        pd.testing.assert_frame_equal(got, fastpq.read_parquet(path))   # compiled, here


def test_small_write_does_not_load_numba(tmp_path):
    path = tmp_path / "w.parquet"
    df = pd.DataFrame({"i": np.arange(300), "s": [f"v{i % 7}" for i in range(300)],
                       "f": np.linspace(0, 1, 300)})
    df.to_pickle(tmp_path / "df.pkl")
    loaded = _child(UNLIMITED + f"import pandas as pd\ndf = pd.read_pickle({str(tmp_path / 'df.pkl')!r})\n"
                    f"fastpq.write({str(path)!r}, df)\nresult = 'numba' in sys.modules")
    assert not loaded
    pd.testing.assert_frame_equal(fastpq.read_parquet(path), df)


def test_a_large_read_loads_numba(tmp_path):
    path = tmp_path / "big.parquet"
    df = pd.DataFrame({"i": np.arange(200_000), "s": [f"v{i % 1000}" for i in range(200_000)]})
    fastpq.write(path, df)
    got, loaded = _child(UNLIMITED + f"result = fastpq.read_parquet({str(path)!r}), 'numba' in sys.modules")
    assert loaded
    pd.testing.assert_frame_equal(got, df)


@pytest.mark.parametrize("budget", [0.0, 0.002, 0.01])
def test_switching_part_way_through_a_read(budget):
    """Once the time budget is spent, the next call compiles everything: a read that
    starts interpreted and ends compiled must give the same frame."""
    path = str(SMALL[0])
    got = _child(f"from fastpq.kernels import _jit\n_jit.TIME_BUDGET = {budget}\n"
                 f"result = fastpq.read_parquet({path!r})")
    pd.testing.assert_frame_equal(got, fastpq.read_parquet(path))


def test_unknown_mode_is_refused():
    proc = subprocess.run([sys.executable, "-c", "import fastpq.kernels.plain"],
                          env={**os.environ, "FASTPQ_KERNELS": "fast"}, capture_output=True)
    assert proc.returncode != 0 and b"FASTPQ_KERNELS" in proc.stderr


def test_suites_pass_with_every_kernel_interpreted():
    """The kernel property tests and the corpus comparison, every kernel interpreted: the
    Python the kernels are written in must give what numba gives, on every file."""
    env = {**os.environ, "FASTPQ_KERNELS": "python"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-W", "error::RuntimeWarning",
         "tests/kernels", f"--ignore={Path(__file__).relative_to(ROOT)}",  # not this file: it would recurse
         "--ignore=tests/kernels/test_cold_start.py",  # about numba's cache (its children set their own mode)
         "tests/file/test_corpus_read.py", "tests/frame/test_nested.py", "tests/interop/test_dtypes.py"],
        env=env, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
