"""Malformed pandas metadata: ignored with a PandasMetadataWarning, never an exception of another type."""
from __future__ import annotations

import json
import random
import warnings

import pyarrow.parquet as pq
import pytest

import fastpq
from tests.conftest import TEST_DATA
from tests.frame.test_arrow_schema_read import _with_key_value

FILES = sorted(TEST_DATA.glob("pyarrow_pandas_*.parquet"))
ODD_VALUES = [None, "", "x", 0, -1, 10**30, 1.5, [], {}, [1, "a"], {"kind": "range"}, True, "__index_level_0__",
              "UTC", "Mars/Olympus_Mons", "int64", "categorical", "category", "datetime64[ns]", "timedelta64[ns]",
              "timedelta64[bogus]", "Int64", "boolean", "string", "bogus[type]", "(" * 5000, "('a', 'b', 'c')"]


def _paths(obj, path=()):
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))


def _replace(obj, rnd):
    path = rnd.choice(list(_paths(obj))[1:])
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = rnd.choice(ODD_VALUES)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", "3", json.dumps({"columns": 1.5}),
                                  json.dumps({"index_columns": [{"kind": "range", "start": "a", "stop": 3}]})])
def test_malformed_pandas_metadata_is_ignored_with_a_warning(tmp_path, text):
    src = TEST_DATA / "pyarrow_pandas_named_index.parquet"
    bad = tmp_path / "bad.parquet"
    _with_key_value(src, bad, "pandas", text)
    with pytest.warns(fastpq.PandasMetadataWarning):
        df = fastpq.read_parquet(bad)
    assert len(df) == fastpq.ParquetFile(src).num_rows
    assert fastpq.ParquetFile(bad).columns == fastpq.ParquetFile(bad).schema.names  # no index columns known


def test_seeded_metadata_mutations_never_raise_foreign_errors(tmp_path):
    rnd = random.Random(20251126)
    bad = tmp_path / "bad.parquet"
    failures = []
    for i in range(300):
        src = rnd.choice(FILES)
        meta = json.loads(pq.ParquetFile(src).metadata.metadata[b"pandas"])
        for _ in range(rnd.randint(1, 3)):
            _replace(meta, rnd)
        _with_key_value(src, bad, "pandas", json.dumps(meta))
        backend = rnd.choice([None, "numpy_nullable", "pyarrow"])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fastpq.ParquetFile(bad).dtypes  # noqa: B018 - the metadata accessors, too
                fastpq.read_parquet(bad, dtype_backend=backend)
        except fastpq.ParquetError:
            pass
        except Exception as exc:  # noqa: BLE001 - what this test looks for
            failures.append(f"case {i} ({src.name}, {backend}): {type(exc).__name__}: {exc}: {json.dumps(meta)[:200]}")
    assert not failures, "\n".join(failures)
