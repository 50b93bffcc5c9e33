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
_MAX_DECODED = 50_000_000


def _files() -> list[Path]:
    found = sorted((ROOT / "test-data").glob("*.parquet"))
    for sub, pattern in (("parquet-testing/data", "*.parquet"), ("fastparquet", "*.parq*")):
        if (CORPUS / sub).is_dir():
            found += sorted((CORPUS / sub).glob(pattern))
    return [p for p in found if p.is_file() and p.stat().st_size <= _MAX_BYTES and _decoded_bytes(p) <= _MAX_DECODED]


def _decoded_bytes(path: Path) -> int:
    """The file's uncompressed size as its footer states it (0 when pyarrow cannot read the footer):
    large_string_map.brotli.parquet is 4 kB on disk and 2 GiB decoded."""
    try:
        md = pq.read_metadata(path)
    except Exception:  # noqa: BLE001 - not readable by the oracle: fastpq decides below
        return 0
    return sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups))


FILES = _files()

_LEGACY_LIST = ("legacy list / map layout (a repeated field without a LIST group, two-level lists, a map "
                "without values or with optional keys) fastpq's writer cannot reproduce for an append")
_INT96 = ("INT96 values beyond datetime64[ns]'s range: fastpq writes INT96 through int64 nanoseconds, "
          "so it refuses them (nothing written)")
_DATE_FAR = "dates beyond datetime64's range read as datetime64[ms] / date32 and do not come back alike"

# (file name, backend) -> why the closure does not hold yet.  Backends: None, 'numpy_nullable', 'pyarrow'.
OPEN: dict[tuple[str, str | None], str] = {}


def _open(names, backends, reason):
    for name in names:
        for backend in backends:
            OPEN[(name, backend)] = reason


_ALL = BACKENDS
_open(["old_list_structure.parquet", "map_no_value.parquet", "incorrect_map_schema.parquet",
       "repeated_no_annotation.parquet"], _ALL, _LEGACY_LIST)
_open(["pyarrow_nested_legacy_names.parquet"], ["pyarrow"], "fixed_size_list dtype is written as a list")
_open(["unknown-logical-type.parquet"], _ALL, "a BYTE_ARRAY with an unknown logical type: fastpq's leaf has none")
_open(["repeated_primitive_no_list.parquet"], _ALL, _LEGACY_LIST)
_open(["nested_structs.rust.parquet"], _ALL, "object column of datetimes inside a struct / year 52951 dates")
_open(["polars_nested_zstd.parquet", "pyarrow_nested_v1_snappy.parquet", "pyarrow_nested_v2_uncompressed.parquet"],
      ["pyarrow"], "fixed_size_list dtype is written as a list: a dataset's later parts would disagree with the "
      "first (dataset appends plan from metadata without ARROW:schema)")
_open(["pyarrow_int96_timestamps.parquet"], _ALL, _INT96)
_open(["pyarrow_dates_far_from_1970.parquet"], _ALL, _DATE_FAR)


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _plain(value, nan):
    """A pyarrow ``to_pylist`` value with NaN made comparable (NaN != NaN): ``nan`` in its place."""
    if isinstance(value, float) and math.isnan(value):
        return nan
    if isinstance(value, list):
        return [_plain(v, nan) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v, nan) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v, nan) for k, v in value.items()}
    return value


def _rows(table, nan="NaN") -> list:
    return [_plain(row, nan) for row in table.to_pylist()]


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
    back = fastpq.read_parquet(str(written), **kw)
    assert_same(back, _text_as_str(df, back))

    copy = tmp_path / "appended.parquet"
    shutil.copyfile(source, copy)
    fastpq.write(str(copy), df, append=True)
    before, after = pq.read_table(source), pq.read_table(copy)
    assert after.num_rows == 2 * before.num_rows == 2 * len(df)
    # Under the numpy backends a top-level float NaN is pandas' missing value, written as null (as
    # pyarrow's Table.from_pandas writes it) - except in a REQUIRED column, which has no nulls: NaN
    # stays NaN there; the pyarrow backend keeps NaN apart from null.
    nan = "NaN" if backend == "pyarrow" else None
    required = {f.name for f in before.schema if not f.nullable}
    appended = after.slice(before.num_rows, before.num_rows)
    if before.num_columns:
        assert _rows(appended, "NaN") == [_top_level_nan(row, nan, required) for row in _rows(before, "NaN")]


def _text_as_str(df: pd.DataFrame, back: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its object columns of str values (a JSON column under the numpy backends) as the
    str dtype they read back as: fastpq writes them as plain strings, and pandas reads an object
    column of str it wrote (``to_parquet``) back as str too."""
    out = df.copy()
    for i in range(df.shape[1]):
        s, dtype = df.iloc[:, i], back.dtypes.iloc[i]
        dense = s.dropna()
        if s.dtype == object and isinstance(dtype, pd.StringDtype) and all(isinstance(v, str) for v in dense):
            out.isetitem(i, s.astype(dtype))
    return out


def _top_level_nan(row: dict, nan, required) -> dict:
    return {k: (nan if v == "NaN" and k not in required else v) for k, v in row.items()}
