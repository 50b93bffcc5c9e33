"""Round-trip closure (issue 15 item 11): every frame ``fastpq.read_parquet`` returns, under each
dtype_backend, is writable by ``fastpq.write`` (read back equal, dtypes included) and appendable to
the file it came from (pyarrow reads the appended copy: the old rows, then the same values again).

Files: every ``test-data/*.parquet`` and the shared corpus (parquet-testing, fastparquet; skipped
when absent) that fastpq reads. Pairs that cannot be closed are listed in ``OPEN`` with the reason,
never skipped in bulk; a listed pair that passes fails the test (strict xfail), so the list shrinks.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq
from tests._oracles import BACKENDS, assert_same

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
_MAX_BYTES = 1_500_000


def _files() -> list[Path]:
    found = sorted((ROOT / "test-data").glob("*.parquet"))
    for sub, pattern in (("parquet-testing/data", "*.parquet"), ("fastparquet", "*.parq*")):
        if (CORPUS / sub).is_dir():
            found += sorted((CORPUS / sub).glob(pattern))
    return [p for p in found if p.is_file() and p.stat().st_size <= _MAX_BYTES]


FILES = _files()

_LEGACY_LIST = "legacy list / map layout (names or repetition) fastpq's writer cannot reproduce for an append"
_JSON = "JSON column reads as object under the default backends, written back as str"
_NESTED_STRUCT = "nested struct values differ after a fastpq write/read (list of structs inside a struct)"
_UUID = "arrow.uuid extension dtype (pyarrow backend) has no write path"
_LARGE_LIST = "large_list dtype is written as list (no large flag on list FieldTypes)"
_TZ_UTC = "polars stores the zone only in ARROW:schema: the file's plan says UTC, the frame Asia/Tokyo"
_INT96 = "appending datetime64 to an INT96 column is refused (int96 vs int96 compared by unit)"
_NULL_EMPTY = "a 0-row file: columns pyarrow gives a type are null-typed after fastpq's write"
_DATE_FAR = "dates beyond datetime64's range read as datetime64[ms] / date32 and do not come back alike"

# (file name, backend) -> why the closure does not hold yet.  Backends: None, 'numpy_nullable', 'pyarrow'.
OPEN: dict[tuple[str, str | None], str] = {}


def _open(names, backends, reason):
    for name in names:
        for backend in backends:
            OPEN[(name, backend)] = reason


_ALL = BACKENDS
_open(["list_columns.parquet", "null_list.parquet", "old_list_structure.parquet",
       "pyarrow_nested_legacy_names.parquet", "nullable.impala.parquet", "map_no_value.parquet",
       "unknown-logical-type.parquet"], _ALL, _LEGACY_LIST)
_open(["nonnullable.impala.parquet"], [None, "numpy_nullable"], _NESTED_STRUCT)
_open(["nonnullable.impala.parquet"], ["pyarrow"], _LEGACY_LIST)
_open(["repeated_primitive_no_list.parquet"], [None, "numpy_nullable"], _NESTED_STRUCT)
_open(["repeated_primitive_no_list.parquet"], ["pyarrow"], _LEGACY_LIST)
_open(["nested_structs.rust.parquet"], _ALL, "object column of datetimes inside a struct / year 52951 dates")
_DUCK = [f"duckdb_codec_{c}.parquet" for c in ("brotli", "gzip", "lz4_raw", "uncompressed")] + \
    ["duckdb_types_v1_snappy.parquet", "pyarrow_types_dict_v2_zstd.parquet", "pyarrow_types_plain_v1_snappy.parquet"]
_open(_DUCK, [None, "numpy_nullable"], _JSON)
_open(_DUCK, ["pyarrow"], _UUID)
_open(["duckdb_empty_0rows.parquet"], [None, "numpy_nullable"], "INTERVAL column: no write path")
_open(["duckdb_empty_0rows.parquet", "polars_empty_0rows.parquet"], ["pyarrow"], _NULL_EMPTY)
_POLARS = ["polars_empty_0rows.parquet", "polars_pages_small_rowgroups.parquet"] + \
    [f"polars_types_{c}.parquet" for c in ("brotli", "gzip", "lz4_raw", "snappy", "uncompressed", "zstd")]
_open(_POLARS[:1] + _POLARS[1:], [None, "numpy_nullable"], _TZ_UTC)
_open(["polars_nested_zstd.parquet"], [None, "numpy_nullable"], _NESTED_STRUCT)
_open(["polars_nested_zstd.parquet", "pyarrow_nested_v1_snappy.parquet", "pyarrow_nested_v2_uncompressed.parquet",
       "pyarrow_nested_legacy_names.parquet"], ["pyarrow"], _LARGE_LIST)
_open(["pyarrow_int96_timestamps.parquet"], _ALL, _INT96)
_open(["pyarrow_dates_far_from_1970.parquet"], _ALL, _DATE_FAR)


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _plain(value):
    """A pyarrow ``to_pylist`` value with NaN made comparable (NaN != NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _rows(table) -> list:
    return [_plain(row) for row in table.to_pylist()]


def _read(path, backend):
    kw = {} if backend is None else {"dtype_backend": backend}
    try:
        return fastpq.read_parquet(path, **kw)
    except fastpq.ParquetError:       # files fastpq refuses (encrypted, corrupt, ...) are not closure cases
        return None


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: str(b))
@pytest.mark.parametrize("source", FILES, ids=_id)
def test_closure(source: Path, backend, tmp_path, request):
    reason = OPEN.get((source.name, backend))
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    df = _read(source, backend)
    if df is None:
        pytest.skip("fastpq does not read this file")
    kw = {} if backend is None else {"dtype_backend": backend}

    written = tmp_path / "written.parquet"
    fastpq.write(str(written), df)
    assert_same(fastpq.read_parquet(str(written), **kw), df)

    copy = tmp_path / "appended.parquet"
    shutil.copyfile(source, copy)
    fastpq.write(str(copy), df, append=True)
    before, after = pq.read_table(source), pq.read_table(copy)
    assert after.num_rows == 2 * before.num_rows == 2 * len(df)
    assert _rows(after.slice(before.num_rows)) == _rows(before)
