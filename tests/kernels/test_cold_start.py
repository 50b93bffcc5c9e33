"""A new machine (empty numba cache): kernels numba has not cached stay interpreted for
small calls after numba is loaded; ``fastpq.warmup`` / ``fastpq warmup`` fill the cache
so that a later process compiles nothing; categorical codes of every width decode
through the one int32 index kernel. Compilations are counted (numba's dispatcher stats),
never timed."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastpq
from tests.conftest import ROOT


def _child(code: str, cache, mode: str = "auto"):
    """Run ``code`` in a fresh interpreter with numba's cache in ``cache``; it leaves its
    answer in ``result``."""
    env = {**os.environ, "FASTPQ_KERNELS": mode, "NUMBA_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    script = ("import pickle, sys, fastpq\nfrom fastpq.kernels import _jit\n" + code +
              "\nsys.stdout.buffer.write(pickle.dumps(result))\n")
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return pickle.loads(proc.stdout)


STATE = ("import fastpq.kernels.dictionary\n"
         "k = next(k for k in _jit._kernels if k.__name__ == 'indices_in_range')\n"
         "def state():\n"
         "    return (k.dispatcher is not None, len(k.compiled.signatures))\n")


def test_uncached_kernels_stay_interpreted_for_small_calls(tmp_path):
    """Empty cache: after numba is loaded, a small call of an uncached kernel runs
    interpreted (nothing compiled), a large one compiles it; the next process finds it
    cached and calls it compiled from the start."""
    code = STATE + (
        "import numpy as np\n_jit.compile_all()\n"
        "a = k(np.arange(10, dtype=np.int32), 20)\n"
        "s1 = state()\n"
        "b = k(np.zeros(100_000, np.int32), 5)\n"
        "result = (a, s1, b, state())")
    assert _child(code, tmp_path) == (True, (False, 0), True, (True, 1))
    code = STATE + ("import numpy as np\n_jit.compile_all()\ns0 = state()\n"
                    "k(np.arange(10, dtype=np.int32), 20)\n"   # small, but cached: compiled
                    "result = s0, state(), sum(k.compiled.stats.cache_misses.values())")
    assert _child(code, tmp_path) == ((True, 0), (True, 1), 0)


def test_an_uncached_kernel_compiles_once_its_budget_is_spent(tmp_path):
    code = STATE + (
        "import numpy as np\n_jit.compile_all()\n_jit.TIME_BUDGET = 0.0\n"
        "k(np.arange(10, dtype=np.int32), 20)\n"          # interpreted: spends the budget
        "k(np.arange(10, dtype=np.int32), 20)\n"          # compiled
        "result = state()")
    assert _child(code, tmp_path) == (True, 1)


def _mixed(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    ints = rng.integers(0, 1000, n)
    return pd.DataFrame({
        "i64": rng.integers(-(1 << 40), 1 << 40, n), "i32": ints.astype("int32"),
        "f64": rng.random(n), "f64_nulls": np.where(ints % 7 == 0, np.nan, rng.random(n)),
        "bool": ints % 3 == 0, "ts": pd.to_datetime(rng.integers(0, 10**18, n)),
        "str_low": pd.Series(np.array(["alpha", "beta", "gamma", "delta"])[ints % 4], dtype=object),
        "str_high": pd.Series([f"s{v}" for v in rng.integers(0, 1 << 30, n)], dtype=object),
        "cat": pd.Categorical(np.array(["x", "y", "z"])[ints % 3]),
    })


def test_warmup_then_a_read_compiles_nothing(tmp_path):
    """After ``fastpq warmup`` (the CLI) in one process, a pyarrow-written file of the
    benchmark's nine mixed columns is read in another, every kernel compiled
    (FASTPQ_KERNELS=jit): numba loads every signature from the cache and compiles none."""
    cache = tmp_path / "numba"
    cache.mkdir()
    path = tmp_path / "mixed.parquet"
    _mixed(50_000).to_parquet(path, engine="pyarrow", compression="snappy")
    status, text = _child("import contextlib, io\nfrom fastpq.cli.main import main\nout = io.StringIO()\n"
                          "with contextlib.redirect_stdout(out):\n    status = main(['warmup'])\n"
                          "result = status, out.getvalue()", cache)
    assert status == 0 and text.startswith("fastpq warmup: ") and str(cache) in text, text
    report = _child("result = fastpq.warmup()", cache)
    assert report["compiled"] == 0 and report["loaded"] == report["signatures"] > 50
    got = _child(f"df = fastpq.read_parquet({str(path)!r})\nresult = df, _jit.cache_report()", cache, "jit")
    df, report = got
    assert report["compiled"] == 0 and report["loaded"] > 0, report
    pd.testing.assert_frame_equal(df, fastpq.read_parquet(path))


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 400), st.integers(1, 3000), st.booleans(), st.booleans())
def test_categorical_codes_of_every_width(tmp_path_factory, n_cats, n, nulls, write_metadata):
    """int8 / int16 / int32 codes (by the number of categories; int16 when the pandas
    metadata is absent) decode through int32 indices: pyarrow's reading is the oracle."""
    rng = np.random.default_rng(n_cats * 7919 + n)
    codes = rng.integers(-1 if nulls else 0, n_cats, n)
    cats = [f"c{i}" for i in range(n_cats)]
    df = pd.DataFrame({"c": pd.Categorical.from_codes(codes, cats)})
    path = tmp_path_factory.mktemp("cat") / "c.parquet"
    table = pa.Table.from_pandas(df, preserve_index=False)
    if not write_metadata:
        table = table.replace_schema_metadata(None)
    pq.write_table(table, path, data_page_size=1 << 12)
    want = pq.read_table(path).column("c").to_pylist()
    pf = fastpq.ParquetFile(path)
    got = pf.to_pandas(categories=["c"])["c"]
    assert isinstance(got.dtype, pd.CategoricalDtype)
    assert [None if pd.isna(v) else v for v in got.astype(object)] == want


@pytest.mark.parametrize("n_cats", [127, 128, 129, 32767, 32768, 32769])
def test_categorical_codes_at_the_width_boundaries(tmp_path, n_cats):
    n = max(n_cats * 2, 1000)
    codes = np.arange(n) % n_cats
    codes[::5] = -1
    df = pd.DataFrame({"c": pd.Categorical.from_codes(codes, [f"c{i}" for i in range(n_cats)])})
    path = tmp_path / "c.parquet"
    df.to_parquet(path, engine="pyarrow")
    got = fastpq.read_parquet(path)
    assert list(got["c"].astype(object).where(got["c"].notna(), None)) == pq.read_table(path).column("c").to_pylist()
