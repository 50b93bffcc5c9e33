"""Write options: codecs, page versions, encodings, dictionaries, page index, CRCs, row groups."""
from __future__ import annotations

import decimal
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq._thrift import ColumnIndex, OffsetIndex, PageHeader, PageType
from fastpq.format import thrift_io

from tests._oracles import check_statistics


def _frame(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.random(n)
    f[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "i64": rng.integers(-10**12, 10**12, n),
        "i32": rng.integers(0, 50, n).astype("int32"),
        "u64": rng.integers(0, 2**63, n, dtype="uint64") * 2 + 1,
        "f": f,
        "f32": rng.random(n).astype("float32"),
        "b": rng.random(n) < 0.5,
        "s": pd.Series(rng.integers(0, 100, n).astype(str), dtype="str"),
        "s_hi": pd.Series([f"value-{i}-{'x' * (i % 30)}" for i in rng.integers(0, 10**9, n)], dtype="str"),
        "t": pd.Series(rng.integers(0, 10**15, n).view("M8[us]")),
        "I": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 9, n)), dtype="Int16"),
        "c": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
    })


CODECS = ["snappy", "gzip", "zstd", "brotli", "lz4", "lz4_raw", None]


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("codec", CODECS)
def test_codecs_and_page_versions(codec, version, tmp_path):
    df = _frame(3000)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, compression=codec, data_page_version=version, row_group_offsets=1000,
                 page_size=4096)
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)
    md = pq.ParquetFile(path).metadata
    assert md.num_row_groups == 3
    want = {None: "UNCOMPRESSED", "lz4": "LZ4", "lz4_raw": "LZ4"}.get(codec, (codec or "").upper())
    assert md.row_group(0).column(0).compression == want
    check_statistics(path, df)
    import duckdb
    import polars as pl

    assert duckdb.sql(f"select count(*), sum(i64) from '{path}'").fetchall()[0] == (len(df), int(df.i64.sum()))
    assert pl.read_parquet(path)["s"].to_list() == df.s.tolist()


def test_compression_per_column_with_levels(tmp_path):
    df = _frame(1000)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, compression={"i64": ("zstd", 7), "s": {"codec": "gzip", "level": 1},
                                        "_default": None})
    md = pq.ParquetFile(path).metadata.row_group(0)
    codecs = {md.column(i).path_in_schema: md.column(i).compression for i in range(md.num_columns)}
    assert codecs["i64"] == "ZSTD" and codecs["s"] == "GZIP" and codecs["f"] == "UNCOMPRESSED"
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)
    with pytest.raises(ValueError):
        fastpq.write(path, df, compression={"i64": ("zstd", 99)})
    with pytest.raises(ValueError):
        fastpq.write(path, df, compression="nope")


ENCODED = {
    "PLAIN": ["i64", "f", "s", "b", "t", "u64"],
    "DELTA_BINARY_PACKED": ["i64", "i32", "t", "u64", "I"],
    "DELTA_LENGTH_BYTE_ARRAY": ["s", "s_hi"],
    "DELTA_BYTE_ARRAY": ["s", "s_hi"],
    "BYTE_STREAM_SPLIT": ["f", "f32", "i64", "i32"],
    "RLE_DICTIONARY": ["i64", "f", "s", "t", "s_hi"],
    "RLE": ["b"],
}


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_each_encoding_on_request(encoding, version, tmp_path):
    df = _frame(4000)
    cols = ENCODED[encoding]
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, column_encoding={c: encoding for c in cols}, data_page_version=version,
                 page_size=8192)
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)
    md = pq.ParquetFile(path).metadata.row_group(0)
    for i in range(md.num_columns):
        col = md.column(i)
        if col.path_in_schema in cols:
            assert encoding in col.encodings, (col.path_in_schema, col.encodings)
    import duckdb

    got = duckdb.sql(f"select {', '.join(cols)} from '{path}'").df()
    for c in cols:
        assert got[c].isna().sum() == df[c].isna().sum(), c


def test_encoding_that_cannot_encode_the_type(tmp_path):
    with pytest.raises(fastpq.UnsupportedFeatureError, match="DELTA_BINARY_PACKED"):
        fastpq.write(tmp_path / "f.parquet", _frame(10), column_encoding={"f": "DELTA_BINARY_PACKED"})
    assert not (tmp_path / "f.parquet").exists()


def _chunk(path, name, rg=0):
    md = pq.ParquetFile(path).metadata.row_group(rg)
    for i in range(md.num_columns):
        if md.column(i).path_in_schema == name:
            return md.column(i)
    raise KeyError(name)


def test_dictionary_modes(tmp_path):
    df = _frame(5000)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    assert "RLE_DICTIONARY" in _chunk(path, "s").encodings       # low cardinality: pays
    assert "RLE_DICTIONARY" not in _chunk(path, "i64").encodings  # all distinct: does not
    fastpq.write(path, df, dictionary=False)
    assert all("RLE_DICTIONARY" not in _chunk(path, c).encodings for c in ["s", "i32", "c"])
    fastpq.write(path, df, dictionary=True)
    assert all("RLE_DICTIONARY" in _chunk(path, c).encodings for c in ["s", "i64", "f", "c"])
    fastpq.write(path, df, dictionary=["i64"])
    assert "RLE_DICTIONARY" in _chunk(path, "i64").encodings
    assert "RLE_DICTIONARY" not in _chunk(path, "s").encodings
    assert "RLE_DICTIONARY" in _chunk(path, "c").encodings       # categoricals keep theirs
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)


def test_dictionary_falls_back_to_plain_past_the_limit(tmp_path):
    n = 300_000
    df = pd.DataFrame({"a": np.arange(n, dtype=np.int64), "s": pd.Series(np.arange(n).astype(str), dtype="str")})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, dictionary=True)
    for name in ("a", "s"):
        chunk = _chunk(path, name)
        assert {"RLE_DICTIONARY", "PLAIN"} <= set(chunk.encodings)
        assert chunk.has_dictionary_page
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)
    fastpq.write(path, df)                           # auto: a full dictionary never fits
    assert "RLE_DICTIONARY" not in _chunk(path, "a").encodings


@pytest.mark.parametrize("kind", ["unique", "few", "cycle_4000", "skewed", "unique_then_few"])
def test_sampled_cardinality_skips_only_hopeless_dictionaries(tmp_path, kind, monkeypatch):
    """Strings whose sample says the dictionary cannot fit skip the attempt; any column whose
    dictionary fits still gets one (the sample never decides a column it could not tell)."""
    from fastpq.column.write import chunk as column_writer

    n = 200_000
    rng = np.random.default_rng(1)
    values = {
        "unique": np.arange(n).astype(str),
        "few": np.array([f"w{i}" for i in range(50)])[rng.integers(0, 50, n)],
        "cycle_4000": np.array([f"value-{i:06d}" for i in range(4000)])[np.arange(n) % 4000],
        "skewed": np.where(rng.random(n) < 0.9, "common", np.arange(n).astype(str)),
        "unique_then_few": np.concatenate([np.arange(1000).astype(str), np.full(n - 1000, "x")]),
    }[kind]
    df = pd.DataFrame({"s": pd.Series(values, dtype="str")})
    tried = []
    original = column_writer._build_dictionary
    monkeypatch.setattr(column_writer, "_build_dictionary", lambda *a: tried.append(1) or original(*a))
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    encodings = set(_chunk(path, "s").encodings)
    if kind == "unique":
        assert not tried and "RLE_DICTIONARY" not in encodings
    else:
        assert tried
    if kind in ("few", "cycle_4000", "unique_then_few"):
        assert "RLE_DICTIONARY" in encodings
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)


def test_categorical_dictionary_holds_the_categories(tmp_path):
    df = pd.DataFrame({"c": pd.Categorical(["b", None, "b"], categories=["z", "b", "a"])})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    got = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(got, df)
    assert list(got.c.cat.categories) == ["z", "b", "a"]
    stats = _chunk(path, "c").statistics
    assert (stats.min, stats.max, stats.null_count) == ("b", "b", 1)
    fastpq.write(path, df, dictionary=False)
    assert "RLE_DICTIONARY" not in _chunk(path, "c").encodings
    assert pq.read_table(path).column(0).to_pylist() == ["b", None, "b"]


def test_row_group_splitting(tmp_path):
    df = _frame(2500)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, row_group_offsets=1000)
    md = pq.ParquetFile(path).metadata
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [1000, 1000, 500]
    check_statistics(path, df)
    fastpq.write(path, df, row_group_offsets=[0, 10, 2000])
    md = pq.ParquetFile(path).metadata
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [10, 1990, 500]
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)
    check_statistics(path, df)
    with pytest.raises(ValueError):
        fastpq.write(path, df, row_group_offsets=[5, 10])


def test_stats_options(tmp_path):
    df = _frame(100)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, stats=False)
    assert _chunk(path, "i64").statistics is None
    fastpq.write(path, df, stats=["f"])
    assert _chunk(path, "i64").statistics is None and _chunk(path, "f").statistics is not None


def test_statistics_signed_unsigned_nan_and_zero(tmp_path):
    df = pd.DataFrame({"u": np.array([1, 2**64 - 1], "uint64"), "u32": np.array([5, 2**32 - 1], "uint32"),
                       "i": np.array([-5, 3], "int64"), "z": [0.0, -0.0], "n": [np.nan, np.nan],
                       "fz": [-0.0, 1.0]})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    assert (_chunk(path, "u").statistics.min, _chunk(path, "u").statistics.max) == (1, 2**64 - 1)
    assert (_chunk(path, "u32").statistics.min, _chunk(path, "u32").statistics.max) == (5, 2**32 - 1)
    z = _chunk(path, "z").statistics
    assert np.signbit(z.min) and not np.signbit(z.max)
    assert not _chunk(path, "n").statistics.has_min_max
    assert np.signbit(_chunk(path, "fz").statistics.min)
    from fastpq.format.footer import parse_file_metadata, read_footer_bytes

    with open(path, "rb") as f:
        fmd = parse_file_metadata(read_footer_bytes(f, path.stat().st_size))
    stats = {c.meta_data.path_in_schema[0]: c.meta_data.statistics for c in fmd.row_groups[0].columns}
    assert stats["n"].null_count == 2 and stats["n"].nan_count == 0 and stats["n"].min_value is None
    assert stats["z"].nan_count == 0
    assert stats["i"].min == stats["i"].min_value and stats["u"].min is None   # legacy only if signed


def test_long_string_bounds_are_truncated_and_inexact(tmp_path):
    lo, hi = "a" * 100, "é" * 100
    df = pd.DataFrame({"s": [hi, lo], "b": [b"\xff" * 80, b"\x01" * 80]})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    from fastpq.format.footer import parse_file_metadata, read_footer_bytes

    with open(path, "rb") as f:
        fmd = parse_file_metadata(read_footer_bytes(f, path.stat().st_size))
    s, b = (c.meta_data.statistics for c in fmd.row_groups[0].columns)
    assert s.min_value == b"a" * 64 and s.is_min_value_exact is False
    assert len(s.max_value) <= 64 and s.max_value > hi.encode() and s.is_max_value_exact is False
    s.max_value.decode("utf-8")                                   # still valid UTF-8
    assert b.max_value == b"\xff" * 80 and b.is_max_value_exact   # no shorter upper bound exists
    assert b.min_value == b"\x01" * 64 and b.is_min_value_exact is False


def _read_struct(path, cls, offset, length):
    with open(path, "rb") as f:
        f.seek(offset)
        return thrift_io.decode(cls, f.read(length))[0]


@pytest.mark.parametrize("version", [1, 2])
def test_page_index(version, tmp_path):
    df = _frame(20_000)
    df["sorted"] = np.arange(len(df))
    df["l"] = [[i, i + 1] if i % 5 else None for i in range(len(df))]
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, page_index=True, page_size=8192, data_page_version=version, row_group_offsets=12_000)
    from fastpq.file.reader import ParquetFile

    pf = ParquetFile(path)
    start = 0
    for rg in pf.metadata.row_groups:
        for chunk in rg.columns:
            name = chunk.meta_data.path_in_schema
            oi = _read_struct(path, OffsetIndex, chunk.offset_index_offset, chunk.offset_index_length)
            rows = [p.first_row_index for p in oi.page_locations]
            assert rows[0] == 0 and rows == sorted(rows) and (len(rows) > 1 or name != ["sorted"]), name
            for loc in oi.page_locations:
                header = _read_struct(path, PageHeader, loc.offset, loc.compressed_page_size)
                assert header.type in (PageType.DATA_PAGE, PageType.DATA_PAGE_V2)
            if chunk.column_index_offset is None:
                assert name[0] in ("l",) or df[name[0]].dtype == float, name
                continue
            ci = _read_struct(path, ColumnIndex, chunk.column_index_offset, chunk.column_index_length)
            assert len(ci.min_values) == len(rows)
            if name == ["sorted"]:
                assert ci.boundary_order == 1  # ASCENDING
                bounds = rows + [rg.num_rows]
                for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
                    assert int.from_bytes(ci.min_values[k], "little", signed=True) == start + a
                    assert int.from_bytes(ci.max_values[k], "little", signed=True) == start + b - 1
            if name == ["I"]:
                bounds = rows + [rg.num_rows]
                assert ci.null_counts == [int(df.I.iloc[start + a:start + b].isna().sum())
                                          for a, b in zip(bounds, bounds[1:])]
        start += rg.num_rows
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas().drop(columns="l"), df.drop(columns="l"))
    import duckdb

    assert duckdb.sql(f"select count(*) from '{path}' where sorted between 100 and 200").fetchall()[0][0] == 101


@pytest.mark.parametrize("version", [1, 2])
def test_page_checksums(version, tmp_path):
    df = _frame(2000)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, page_checksum=True, data_page_version=version, page_size=4096)
    pd.testing.assert_frame_equal(pq.read_table(path, page_checksum_verification=True).to_pandas(), df)
    raw = bytearray(path.read_bytes())
    first = pq.ParquetFile(path).metadata.row_group(0).column(0)
    pos = (first.dictionary_page_offset or first.data_page_offset) + 40
    raw[pos] ^= 0xFF
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(raw))
    with pytest.raises(OSError, match="(?i)crc|checksum"):
        pq.read_table(bad, page_checksum_verification=True)


def test_custom_metadata_sorting_columns_created_by(tmp_path):
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, custom_metadata={"origin": "test", "n": "3"}, sorting_columns=["a", ("b", "descending")])
    md = pq.ParquetFile(path).metadata
    assert md.metadata[b"origin"] == b"test" and md.metadata[b"n"] == b"3"
    assert md.created_by == "fastpq version 0.1.0"
    sc = md.row_group(0).sorting_columns
    assert [(s.column_index, s.descending) for s in sc] == [(0, False), (1, True)]
    fastpq.write(path, df, sorting_columns=[pq.SortingColumn(1, descending=True, nulls_first=True)])
    sc = pq.ParquetFile(path).metadata.row_group(0).sorting_columns
    assert (sc[0].column_index, sc[0].descending, sc[0].nulls_first) == (1, True, True)


def test_pandas_metadata_matches_pyarrow(tmp_path):
    df = pd.DataFrame({
        "i": np.arange(3), "s": ["a", "b", None], "I": pd.array([1, None, 3], dtype="Int32"),
        "c": pd.Categorical(["x", "y", "x"], ordered=True), "t": pd.date_range("2020", periods=3, tz="Asia/Tokyo"),
        "d": [decimal.Decimal("1.5"), None, decimal.Decimal("2.25")], "l": [[1], [], None],
        "td": pd.to_timedelta([1, 2, 3], unit="s"),
    }, index=pd.Index([10, 20, 30], name="idx"))
    df.columns.name = "cols"
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    ours = json.loads(pq.ParquetFile(path).metadata.metadata[b"pandas"])
    theirs = pa.Table.from_pandas(df).schema.pandas_metadata
    assert ours["creator"]["library"] == "fastpq"
    for key in ("index_columns", "column_indexes", "attributes", "pandas_version"):
        assert ours[key] == theirs[key], key
    for a, b in zip(ours["columns"], theirs["columns"]):
        assert a == b or (a["name"] == "d" and a["metadata"] == {"precision": 3, "scale": 2}), (a, b)
    got = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(got.drop(columns=["d", "l"]), df.drop(columns=["d", "l"]))


def test_parse_pandas_metadata_round_trip():
    from fastpq.frame.pandas_meta import RangeIndexInfo, parse_pandas_metadata

    df = pd.DataFrame({0: [1], ("a"): ["x"]}, index=pd.MultiIndex.from_tuples([(1, "p")], names=["n", None]))
    meta = pa.Table.from_pandas(pd.DataFrame({0: [1], 1: [2.0]})).schema.pandas_metadata
    parsed = parse_pandas_metadata(meta)
    assert parsed.column_labels() == [0, 1] and isinstance(parsed.index[0], RangeIndexInfo)
    meta = pa.Table.from_pandas(df).schema.pandas_metadata
    parsed = parse_pandas_metadata(meta)
    assert [i.field_name for i in parsed.index] == ["n", "__index_level_1__"]
    assert [i.name for i in parsed.index] == ["n", None]
    tz = pa.Table.from_pandas(pd.DataFrame({"t": pd.date_range("2020", periods=2, tz="Europe/Paris"),
                                            "c": pd.Categorical(["a", "b"], ordered=True)})).schema.pandas_metadata
    parsed = parse_pandas_metadata(tz)
    t, c = parsed.columns
    assert t.timezone == "Europe/Paris" and t.dtype.endswith("Europe/Paris]")
    assert c.is_categorical and c.categorical_ordered is True and c.dtype == "category"
    cols = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])
    meta = pa.Table.from_pandas(pd.DataFrame([[1, 2]], columns=cols)).schema.pandas_metadata
    assert parse_pandas_metadata(meta).column_labels() == [("a", 1), ("b", 2)]
