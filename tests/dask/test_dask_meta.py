"""fastpq.dask.read_parquet's meta: its dtypes == every partition's == the computed frame's ==
fastpq.read_parquet's, for every file in test-data/ and the shared corpus that fastpq reads,
under each dtype_backend, and for datasets whose files' values decide different dtypes (ints
with nulls beyond 2**53, dates beyond datetime.date, TIME(NANOS) with nanoseconds, INT96 beyond
datetime64[ns]). Oracles: fastpq.read_parquet's dtypes (pandas' rules as fastpq applies them) and
pyarrow's values. Work is bounded by counting the client's data reads, never by the clock."""
from __future__ import annotations

import datetime
import warnings

import numpy as np
import pandas as pd
import pytest

import fastpq
from fastpq.dataset.read import ParquetDataset
from tests.conftest import committed_files, corpus_files, relative

dd = pytest.importorskip("dask.dataframe")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
import dask  # noqa: E402

import fastpq.dask as fdask  # noqa: E402

BACKENDS = [None, "numpy_nullable", "pyarrow"]


def _kinds(dtypes) -> dict:
    """dtypes with a categorical's categories left out: dask's meta has them unknown by design."""
    return {c: ("category", t.ordered) if isinstance(t, pd.CategoricalDtype) else t for c, t in dtypes.items()}


def _read(path, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fastpq.read_parquet(path, dtype_backend=backend)
        except (fastpq.ParquetError, NotImplementedError):
            pytest.skip("fastpq refuses this file")
        except Exception as e:  # noqa: BLE001 - a reader bug, not meta's: tests/file's to catch
            pytest.skip(f"fastpq.read_parquet raises {type(e).__name__}")


def _check(path, backend, split=False, **kwargs):
    want = _read(path, backend)
    with warnings.catch_warnings(), dask.config.set({"scheduler": "sync"}):
        warnings.simplefilter("ignore")
        ddf = fdask.read_parquet(path, dtype_backend=backend, split_row_groups=split, **kwargs)
        parts = [ddf.get_partition(i).compute() for i in range(ddf.npartitions)]
        got = ddf.compute()
    meta = _kinds(ddf._meta.dtypes)
    assert meta == _kinds(want.dtypes)
    assert got.dtypes.to_dict() == want.dtypes.to_dict()
    for part in parts:
        assert _kinds(part.dtypes) == meta
    return want, got


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("path", committed_files(), ids=lambda p: p.name)
def test_meta_equals_partitions_computed_and_fastpq_committed(path, backend):
    _check(path, backend, split=True)


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("path", corpus_files(), ids=relative)
def test_meta_equals_computed_and_fastpq_corpus(path, backend):
    _check(path, backend)


# ---------------------------------------------------------------- values that decide dtypes
_BIG = 2**53 + 1
_CASES = {
    # name: (pyarrow array of file 1, of file 2): file 2's values change the whole read's dtype
    "int64": (pa.array([1, None, 3], pa.int64()), pa.array([_BIG, 5, None], pa.int64())),
    "uint64": (pa.array([1, None], pa.uint64()), pa.array([2**64 - 1, None], pa.uint64())),
    "int32": (pa.array([1, 2], pa.int32()), pa.array([None, 4], pa.int32())),
    "bool": (pa.array([True, False]), pa.array([None, True])),
    "date": (pa.array([datetime.date(2020, 1, 1), None]),
             pa.array([-800_000, 0], pa.int32()).cast(pa.date32())),
    "time_ns": (pa.array([1_000, None], pa.time64("ns")), pa.array([1_001, 5_000], pa.time64("ns"))),
}


def _write_pair(tmp_path, name, stats, **kw):
    root = tmp_path / "ds"
    root.mkdir()
    for k, arr in enumerate(_CASES[name]):
        pq.write_table(pa.table({"x": arr}), root / f"part{k}.parquet", write_statistics=stats, **kw)
    return root


@pytest.mark.parametrize("stats", [True, False], ids=["stats", "nostats"])
@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("name", sorted(_CASES))
def test_values_decide_dtype_across_files(tmp_path, name, backend, stats):
    root = _write_pair(tmp_path, name, stats)
    want, got = _check(root, backend)
    if backend == "pyarrow":   # pandas cannot say far dates as Python objects: compare as arrow
        assert pa.array(got["x"].array).equals(pa.array(want["x"].array))
    else:
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    # the oracle for the values: pyarrow's, compared as Python objects where both can say them
    if name in ("int64", "uint64"):
        expect = pq.read_table(root).column("x").to_pylist()
        assert [None if pd.isna(v) else int(v) for v in got["x"]] == expect


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
def test_int96_unit_beyond_nanoseconds(tmp_path, backend):
    root = tmp_path / "ds"
    root.mkdir()
    near = pa.array([datetime.datetime(2020, 1, 1), None], pa.timestamp("us"))
    far = pa.array([datetime.datetime(3000, 1, 1), datetime.datetime(1, 1, 1)], pa.timestamp("us"))
    for k, arr in enumerate([near, far]):
        pq.write_table(pa.table({"ts": arr}), root / f"p{k}.parquet", use_deprecated_int96_timestamps=True)
    want, got = _check(root, backend)
    assert got["ts"].tolist() == want["ts"].tolist()


def _counting(monkeypatch):
    calls = []
    real = ParquetDataset._read_pieces

    def counted(self, plan, pieces, *args, **kwargs):
        calls.append(list(plan.data))
        return real(self, plan, pieces, *args, **kwargs)

    monkeypatch.setattr(ParquetDataset, "_read_pieces", counted)
    return calls


@pytest.mark.parametrize("name", sorted(_CASES))
def test_statistics_decide_without_reading(tmp_path, monkeypatch, name):
    """With statistics, planning reads no data, but for TIME(NANOS), whose dtype no statistic
    decides, and for values beyond what the default dtype holds (read to know the dtype)."""
    root = _write_pair(tmp_path, name, True)
    calls = _counting(monkeypatch)
    fdask.read_parquet(root)
    expect = [["x"]] if name in ("time_ns", "int64", "uint64", "date") else []
    assert calls == expect


def test_statistics_absent_read_only_those_columns(tmp_path, monkeypatch):
    root = tmp_path / "ds"
    root.mkdir()
    table = pa.table({"a": pa.array([1, None], pa.int32()), "s": ["x", "y"], "f": [1.0, 2.0]})
    pq.write_table(table, root / "p.parquet", write_statistics=False)
    calls = _counting(monkeypatch)
    ddf = fdask.read_parquet(root)
    assert calls == [["a"]]
    assert ddf._meta.dtypes["a"] == np.float64


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
def test_filters_meta_is_the_filtered_read(tmp_path, backend):
    """A filter leaving only rows without nulls: meta follows fastpq.read_parquet(filters=...)."""
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"k": [1, 2, 3, 4], "x": pa.array([1, None, 3, 4], pa.int64())}), path,
                   row_group_size=2, write_statistics=False)
    filters = [("k", ">", 2)]
    want = fastpq.read_parquet(path, filters=filters, dtype_backend=backend)
    with dask.config.set({"scheduler": "sync"}):
        ddf = fdask.read_parquet(path, filters=filters, dtype_backend=backend)
        got = ddf.compute()
    assert _kinds(ddf._meta.dtypes) == _kinds(want.dtypes)
    assert got.dtypes.to_dict() == want.dtypes.to_dict()


def test_int96_units_no_one_unit_holds_refused(tmp_path):
    """Nanoseconds in one file, years beyond datetime64[ns] in another: no numpy unit holds
    both, so the read (and the dask plan, which reads that column for its meta) refuses."""
    root = tmp_path / "ds"
    root.mkdir()
    fine = pa.array([1_700_000_000_123_456_789], pa.timestamp("ns"))
    far = pa.array([datetime.datetime(3000, 1, 1)], pa.timestamp("us"))
    for k, arr in enumerate([fine, far]):
        pq.write_table(pa.table({"ts": arr}), root / f"p{k}.parquet", use_deprecated_int96_timestamps=True)
    with pytest.raises(fastpq.PrecisionError):
        fastpq.read_parquet(root)
    with pytest.raises(fastpq.PrecisionError):
        fdask.read_parquet(root)
