"""Nested columns (lists, structs, maps, legacy layouts) read into pandas.read_parquet's shapes.

* corpus and committed files: every nested file equals pandas.read_parquet (pyarrow engine)
  cell by cell, types and dtypes included (``deep_diff``); where pyarrow cannot read a file
  or reads it from facts outside Parquet (ARROW:schema), the expectation is written out;
* hypothesis: random nested types and values written by pyarrow (v1 / v2 pages,
  dictionary on / off, tiny pages and row groups) read back equal;
* legacy layouts (LogicalTypes.md backward-compatibility rules) and hostile inputs, on
  files assembled here page by page (``raw_file``), so every layout and every corruption
  is exact.
"""
from __future__ import annotations

import datetime
import io
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastpq
from fastpq import _thrift as T
from fastpq.column.write.pages import PageSink, encode_levels
from fastpq.format import thrift_io
from tests.conftest import FASTPARQUET_DATA, PARQUET_TESTING, TEST_DATA, relative

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


# ------------------------------------------------------------------ deep comparison
def deep_diff(got, exp, path="") -> str | None:
    """None if equal, else where and how they differ: same types (numpy dtypes too),
    NaN equal to NaN, dict keys in the same order, arrays compared cell by cell."""
    if type(got) is not type(exp):
        return f"{path}: {type(got).__name__} {got!r:.60} vs {type(exp).__name__} {exp!r:.60}"
    if isinstance(got, np.ndarray):
        if got.dtype != exp.dtype or got.shape != exp.shape:
            return f"{path}: {got.dtype}{got.shape} vs {exp.dtype}{exp.shape}"
        if got.dtype == object:
            return next((d for i, (g, e) in enumerate(zip(got, exp)) if (d := deep_diff(g, e, f"{path}[{i}]"))), None)
        same = np.array_equal(got, exp, equal_nan=got.dtype.kind in "fcmM")
        return None if same else f"{path}: {got!r:.80} vs {exp!r:.80}"
    if isinstance(got, dict):
        if list(got) != list(exp):
            return f"{path}: keys {list(got)} vs {list(exp)}"
        return next((d for k in got if (d := deep_diff(got[k], exp[k], f"{path}.{k}"))), None)
    if isinstance(got, (list, tuple)):
        if len(got) != len(exp):
            return f"{path}: length {len(got)} vs {len(exp)}"
        return next((d for i, (g, e) in enumerate(zip(got, exp)) if (d := deep_diff(g, e, f"{path}[{i}]"))), None)
    if isinstance(got, float) and got != got and exp != exp:
        return None
    if isinstance(got, datetime.datetime) and got.tzinfo != exp.tzinfo:
        return f"{path}: tz {got.tzinfo!r} vs {exp.tzinfo!r}"
    return None if got == exp else f"{path}: {got!r:.80} vs {exp!r:.80}"


def assert_frames_equal(got: pd.DataFrame, exp: pd.DataFrame):
    assert list(got.columns) == list(exp.columns)
    assert len(got) == len(exp)
    for c in exp.columns:
        assert got[c].dtype == exp[c].dtype, (c, got[c].dtype, exp[c].dtype)
        if exp[c].dtype == object:
            diff = deep_diff(got[c].tolist(), exp[c].tolist(), str(c))
            assert diff is None, diff
        elif isinstance(exp[c].dtype, pd.ArrowDtype) and not pa.types.is_primitive(exp[c].dtype.pyarrow_dtype):
            # pandas compares nested Arrow values as Python objects, where NaN != NaN: compare Arrow data
            left = pa.chunked_array(got[c].array.__arrow_array__()).combine_chunks()
            right = pa.chunked_array(exp[c].array.__arrow_array__()).combine_chunks()
            if not left.equals(right):
                diff = deep_diff(left.to_pylist(), right.to_pylist(), str(c))
                assert diff is None, diff
        else:
            pd.testing.assert_series_equal(got[c], exp[c])


def read_both(source, **kw):
    got = fastpq.ParquetFile(source).to_pandas(**kw)
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    return got, pd.read_parquet(source, **kw)


# ------------------------------------------------------------------ files pyarrow reads
CORPUS_NESTED = [PARQUET_TESTING / n for n in (
    "nested_lists.snappy.parquet", "nested_maps.snappy.parquet", "list_columns.parquet", "null_list.parquet",
    "old_list_structure.parquet", "repeated_no_annotation.parquet", "repeated_primitive_no_list.parquet",
    "map_no_value.parquet", "nonnullable.impala.parquet", "nullable.impala.parquet", "nulls.snappy.parquet",
    "datapage_v2.snappy.parquet")] + [FASTPARQUET_DATA / n for n in (
    "nested.parq", "nested1.parquet", "map-test.snappy.parquet", "test-map-last-row-split.parquet",
    "map_array.parq", "repeated_no_annotation.parquet")]
COMMITTED = [TEST_DATA / n for n in (
    "duckdb_nested_v1_zstd.parquet", "polars_nested_zstd.parquet",
    "pyarrow_pages_small_v1_snappy_pageindex_crc_bloom.parquet",
    "pyarrow_pages_small_v2_zstd_pageindex_crc_bloom.parquet")]
# pyarrow rebuilds fixed_size_list<int16>[3] from ARROW:schema here: k null items under a null list,
# so the items of every list turn float64 when a list is null (fastpq follows ARROW:schema too)
FIXED_SIZE = [TEST_DATA / n for n in ("pyarrow_nested_v1_snappy.parquet", "pyarrow_nested_v2_uncompressed.parquet",
                                      "pyarrow_nested_legacy_names.parquet")]


@pytest.mark.parametrize("backend", [None, "pyarrow"])
@pytest.mark.parametrize("path", CORPUS_NESTED + COMMITTED + FIXED_SIZE, ids=relative)
def test_file_matches_pandas(path, backend):
    if not path.exists():
        pytest.skip("corpus absent")
    kw = {} if backend is None else {"dtype_backend": backend}
    got, exp = read_both(path, **kw)
    assert_frames_equal(got, exp)
    if path in FIXED_SIZE and backend is None:
        assert got["fixed_size_list_int16"].dropna().map(lambda a: a.dtype == np.float64).all()


@pytest.mark.parametrize("path", CORPUS_NESTED[:6] + COMMITTED[2:], ids=relative)
def test_column_and_row_group_selection(path):
    if not path.exists():
        pytest.skip("corpus absent")
    pf = fastpq.ParquetFile(path)
    nested = [f.name for f in pf.schema.fields if not f.is_leaf or f.max_rep][-2:]
    rgs = list(range(pf.num_row_groups))[1::2] or [0]
    got = pf.to_pandas(columns=nested, row_groups=rgs)
    exp = pq.ParquetFile(path).read_row_groups(rgs, columns=nested).to_pandas()
    assert_frames_equal(got.reset_index(drop=True), exp.reset_index(drop=True))


def test_incorrect_map_schema():
    """Presto wrote optional map keys (parquet-testing README, "Incorrect Map Schema"); pyarrow
    refuses the file. The map was MAP(ARRAY['name', 'parent'], ARRAY['report', 'another']);
    the file stores the pairs parent -> another, name -> report in that order."""
    path = PARQUET_TESTING / "incorrect_map_schema.parquet"
    if not path.exists():
        pytest.skip("corpus absent")
    got = fastpq.ParquetFile(path).to_pandas()
    assert got["my_map"].tolist() == [[("parent", "another"), ("name", "report")]]


def test_nested_structs_rust():
    """pyarrow converts every column but ``ul_observation_date``, whose timestamp[us] fields hold
    nanoseconds (year 52951: datetime.datetime raises). fastpq keeps those as exact ints (numpy's
    own conversion of a datetime64 beyond year 9999), the in-range ones as aware datetimes."""
    path = PARQUET_TESTING / "nested_structs.rust.parquet"
    if not path.exists():
        pytest.skip("corpus absent")
    got = fastpq.ParquetFile(path).to_pandas()
    names = [c for c in got.columns if c != "ul_observation_date"]
    assert len(names) == 35
    assert_frames_equal(got[names], pd.read_parquet(path, columns=names))
    raw = pq.read_table(path, columns=["ul_observation_date"]).column(0).chunk(0)
    utc = datetime.timezone.utc
    expected = {}
    for f in raw.type:
        v = raw.field(f.name).cast(pa.int64()).to_pylist()[0]
        expected[f.name] = v if f.name == "count" or v > 10**17 else \
            datetime.datetime(1970, 1, 1, tzinfo=utc) + datetime.timedelta(microseconds=v)
    assert got["ul_observation_date"][0] == expected
    assert isinstance(got["ul_observation_date"][0]["min"], int)


# ------------------------------------------------------------------ shapes, spelled out
def test_shapes():
    t = pa.table({
        "li": pa.array([[1, 2], [], None, [3]], pa.list_(pa.int64())),
        "ln": pa.array([[1, None], [], None, [3]], pa.list_(pa.int64())),
        "ls": pa.array([["a", None], [], None, ["b"]], pa.list_(pa.string())),
        "ll": pa.array([[[1], []], [None], None, []], pa.list_(pa.list_(pa.int32()))),
        "st": pa.array([{"x": 1, "y": "a"}, {"x": None, "y": None}, None, {"x": 2, "y": "b"}],
                       pa.struct([("x", pa.int64()), ("y", pa.string())])),
        "mp": pa.array([[("k", 1)], [], None, [("a", None), ("b", 2)]], pa.map_(pa.string(), pa.int64())),
    })
    sink = io.BytesIO()
    pq.write_table(t, sink)
    got, exp = read_both(sink.getvalue())
    assert_frames_equal(got, exp)
    li, ln, ls, ll, stc, mp = (got[c] for c in t.column_names)
    assert li[0].dtype == np.int64 and li[1].dtype == np.int64 and len(li[1]) == 0 and li[2] is None
    assert ln[0].dtype == np.float64 and np.isnan(ln[0][1])
    assert ls[0].dtype == object and ls[0].tolist() == ["a", None]
    assert ll[0][0].dtype == np.int32 and ll[1][0] is None and len(ll[3]) == 0
    assert stc.tolist()[:3] == [{"x": 1.0, "y": "a"}, {"x": None, "y": None}, None]
    assert mp.tolist() == [[("k", 1.0)], [], None, [("a", None), ("b", 2.0)]]
    assert li[0].base is not None and li[0].base is li[3].base  # views of one array, not copies


# ------------------------------------------------------------------ hypothesis: pyarrow writes
_LEAVES = [pa.int64(), pa.int32(), pa.int8(), pa.uint32(), pa.float64(), pa.float32(), pa.bool_(), pa.string(),
           pa.binary(), pa.date32(), pa.timestamp("us"), pa.timestamp("ms", "UTC"), pa.timestamp("ns"),
           pa.decimal128(9, 2), pa.timestamp("us", "Europe/Paris"), pa.duration("ms"), pa.large_string(),
           pa.time64("us")]


def _types():
    def extend(children):
        structs = st.lists(children, min_size=1, max_size=3).map(
            lambda ts: pa.struct([(f"f{i}", t) for i, t in enumerate(ts)]))
        maps = st.tuples(st.sampled_from([pa.string(), pa.int32()]), children).map(lambda kv: pa.map_(*kv))
        return st.one_of(children.map(pa.list_), children.map(pa.large_list), structs, maps)
    return st.recursive(st.sampled_from(_LEAVES), extend, max_leaves=5)


def _scalar(t):
    if pa.types.is_integer(t):
        info = np.iinfo(t.to_pandas_dtype())
        return st.integers(max(info.min, -(1 << 40)), min(info.max, 1 << 40))
    if pa.types.is_floating(t):
        return st.floats(allow_nan=False, width=32 if t == pa.float32() else 64)
    if pa.types.is_boolean(t):
        return st.booleans()
    if pa.types.is_duration(t):
        return st.integers(-(10 ** 12), 10 ** 12).map(lambda v: datetime.timedelta(milliseconds=v))
    if pa.types.is_time(t):
        return st.times()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return st.text(max_size=5)
    if pa.types.is_binary(t):
        return st.binary(max_size=5)
    if pa.types.is_date(t):
        return st.dates(datetime.date(1900, 1, 1), datetime.date(2200, 1, 1))
    if pa.types.is_timestamp(t):
        return st.integers(-(10 ** 12), 10 ** 12).map(lambda s: pa.scalar(s * 1000, pa.timestamp("ns")).as_py()
                                                       if t.unit == "ns" else
                                                       datetime.datetime(1970, 1, 1) + datetime.timedelta(
                                                           microseconds=s * (1000 if t.unit == "ms" else 1)))
    if pa.types.is_decimal(t):
        return st.decimals(-10 ** 6, 10 ** 6, places=2)
    raise AssertionError(t)


def _values(t, null_rate):
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = st.lists(_values(t.value_type, null_rate), max_size=4)
    elif pa.types.is_struct(t):
        inner = st.fixed_dictionaries({f.name: _values(f.type, null_rate) for f in t})
    elif pa.types.is_map(t):
        inner = st.lists(st.tuples(_scalar(t.key_type), _values(t.item_type, null_rate)), max_size=3)
    else:
        inner = _scalar(t)
    return st.one_of(st.none(), inner) if null_rate else inner


@st.composite
def _tables(draw):
    types = draw(st.lists(_types(), min_size=1, max_size=3))
    n = draw(st.integers(0, 40))
    cols = {}
    for i, t in enumerate(types):
        nulls = draw(st.booleans())
        rows = draw(st.lists(_values(t, nulls), min_size=n, max_size=n))
        cols[f"c{i}"] = pa.array(rows, type=t)
    return pa.table(cols)


EXAMPLES = int(os.environ.get("FASTPQ_NESTED_EXAMPLES", "150"))


@settings(deadline=None, max_examples=EXAMPLES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(table=_tables(), version=st.sampled_from(["1.0", "2.0"]), dictionary=st.booleans(),
       page=st.sampled_from([64, 256, 1 << 20]), row_group=st.integers(1, 50), batch=st.integers(1, 16))
def test_roundtrip_pyarrow(table, version, dictionary, page, row_group, batch):
    sink = io.BytesIO()
    pq.write_table(table, sink, data_page_version=version, use_dictionary=dictionary, data_page_size=page,
                   row_group_size=row_group, write_batch_size=batch, compression="snappy")
    raw = sink.getvalue()
    got = fastpq.ParquetFile(raw).to_pandas()
    arrow = fastpq.ParquetFile(raw).to_pandas(dtype_backend="pyarrow")
    for name in table.column_names:
        assert_frames_equal(got[[name]], _expected_column(raw, table, name, row_group))
        assert_frames_equal(arrow[[name]], _expected_column(raw, table, name, row_group, "pyarrow"))


def _expected_column(raw, table, name, row_group, backend=None):
    """pandas.read_parquet of one column; where pyarrow misreads its own file, the table written,
    in the same record batches. pyarrow 26 drops the row of list<bool> [[]] after a flat column in
    a v2 file of 64-byte pages (0 rows; reading the whole file raises "Column 2 named c2 expected
    length 1 but got length 0")."""
    kw = {} if backend is None else {"dtype_backend": backend}
    try:
        exp = pd.read_parquet(io.BytesIO(raw), columns=[name], **kw)
    except pa.ArrowInvalid:
        exp = None
    if exp is None or len(exp) != table.num_rows:
        batches = table.select([name]).to_batches(max_chunksize=row_group)
        written = pa.Table.from_batches(batches, table.select([name]).schema)
        exp = written.to_pandas(types_mapper=pd.ArrowDtype) if backend else written.to_pandas()
    return exp


def test_struct_fields_per_record_batch():
    """pyarrow converts struct fields per record batch (row group, cut every 2**17 rows): an int
    field with nulls only in the last batch is int before it, float in it; lists and maps are
    converted whole. 300k rows in one row group, then in row groups of 70k."""
    n = 300_000
    a = [i if i < 280_000 else None for i in range(n)]
    t = pa.table({
        "s": pa.StructArray.from_arrays([pa.array(a, pa.int64()),
                                         pa.array([[i] if i < 270_000 else [None] for i in range(n)],
                                                  pa.list_(pa.int64()))], names=["a", "l"]),
        "m": pa.array([[("k", x)] for x in a], pa.map_(pa.string(), pa.int64())),
        "ls": pa.array([[{"a": x}] for x in a], pa.list_(pa.struct([("a", pa.int64())])))})
    for row_group in (None, 70_000):
        sink = io.BytesIO()
        pq.write_table(t, sink, row_group_size=row_group)
        got, exp = read_both(sink.getvalue())
        assert_frames_equal(got, exp)
        assert type(got["s"][0]["a"]) is int and got["s"][0]["l"].dtype == np.int64
        assert type(got["s"][n - 1]["a"]) is type(None) and got["s"][n - 1]["l"].dtype == np.float64


# ------------------------------------------------------------------ files assembled page by page
# Expected values follow pandas.read_parquet's rules (an int field with nulls is float64, so its
# values are floats in dicts and tuples too).
def _element(name, rep=None, ptype=None, children=None, converted=None, logical=None):
    return T.SchemaElement(name=name, repetition_type=None if rep is None else getattr(T.FieldRepetitionType, rep),
                           type=ptype, num_children=children, converted_type=converted, logicalType=logical)


def raw_file(elements, columns, num_rows, v2=False, num_values=None) -> bytes:
    """A one-row-group file of ``elements`` (root first); ``columns`` per leaf, in order:
    (path, max_rep, max_def, rep levels, def levels, int32 values), PLAIN, uncompressed.
    ``num_values``: what the column chunks' metadata claim instead of the truth."""
    out = bytearray(b"PAR1")
    chunks = []
    for path, max_rep, max_def, rep, dfn, values in columns:
        n = len(dfn) if dfn is not None else len(values)
        start = len(out)
        sink = PageSink(out.extend, start, T.CompressionCodec.UNCOMPRESSED, None, False)
        r = encode_levels(np.array(rep, np.int64), n, max_rep, not v2) if max_rep else b""
        d = encode_levels(np.array(dfn, np.int64), n, max_def, not v2) if max_def else b""
        body = np.array(values, "<i4").view(np.uint8)
        if v2:
            sink.data_page_v2(r, d, body, n, n - len(values), num_rows, T.Encoding.PLAIN)
        else:
            sink.data_page_v1(r, d, body, n, T.Encoding.PLAIN)
        meta = T.ColumnMetaData(type=T.Type.INT32, encodings=[T.Encoding.PLAIN, T.Encoding.RLE],
                                path_in_schema=list(path), codec=T.CompressionCodec.UNCOMPRESSED,
                                num_values=n if num_values is None else num_values,
                                total_uncompressed_size=sink.uncompressed, total_compressed_size=sink.compressed,
                                data_page_offset=start)
        chunks.append(T.ColumnChunk(file_offset=start, meta_data=meta))
    rg = T.RowGroup(columns=chunks, total_byte_size=len(out) - 4, num_rows=num_rows)
    footer = thrift_io.encode(T.FileMetaData(version=1, schema=elements, num_rows=num_rows, row_groups=[rg]))
    return bytes(out) + footer + len(footer).to_bytes(4, "little") + b"PAR1"


LIST, MAP, MKV = T.ConvertedType.LIST, T.ConvertedType.MAP, T.ConvertedType.MAP_KEY_VALUE
I32 = T.Type.INT32
ROOT = _element("root", children=1)
LEGACY = {
    # rule 1: a repeated primitive under LIST -> nullable list of required ints
    "rule1": ([_element("a", "OPTIONAL", children=1, converted=LIST), _element("e", "REPEATED", I32)],
              [(("a", "e"), 1, 2, [0, 1, 0, 0], [2, 2, 0, 1], [1, 2])],
              [np.array([1, 2], np.int32), None, np.array([], np.int32)]),
    # rule 2: a repeated group of two fields -> list of structs
    "rule2": ([_element("a", "OPTIONAL", children=1, converted=LIST), _element("e", "REPEATED", children=2),
               _element("x", "REQUIRED", I32), _element("y", "OPTIONAL", I32)],
              [(("a", "e", "x"), 1, 2, [0, 1, 0], [2, 2, 1], [1, 2]),
               (("a", "e", "y"), 1, 3, [0, 1, 0], [3, 2, 1], [5])],
              [np.array([{"x": 1, "y": 5.0}, {"x": 2, "y": None}], object), np.array([], object)]),
    # rule 3: a repeated group with one repeated field -> list of lists
    "rule3": ([_element("a", "OPTIONAL", children=1, converted=LIST),
               _element("array", "REPEATED", children=1, converted=LIST), _element("array", "REPEATED", I32)],
              [(("a", "array", "array"), 2, 3, [0, 2, 1, 0], [3, 3, 2, 0], [1, 2])],
              [np.array([np.array([1, 2], np.int32), np.array([], np.int32)], object), None]),
    # rule 4: one-field groups named 'array' or '<list>_tuple' -> list of one-field structs
    "rule4": ([_element("a", "OPTIONAL", children=1, converted=LIST), _element("a_tuple", "REPEATED", children=1),
               _element("s", "OPTIONAL", I32)],
              [(("a", "a_tuple", "s"), 1, 3, [0, 1, 0], [3, 2, 0], [7])],
              [np.array([{"s": 7.0}, {"s": None}], object), None]),
    # rule 5: any other name -> the three-level list, element nullable
    "rule5": ([_element("a", "REQUIRED", children=1, converted=LIST), _element("element", "REPEATED", children=1),
               _element("s", "OPTIONAL", I32)],
              [(("a", "element", "s"), 1, 2, [0, 1, 0], [2, 1, 0], [7])],
              [np.array([7.0, np.nan]), np.array([], np.float64)]),
    # MAP_KEY_VALUE outside MAP, misnamed key / value fields, optional keys (Presto)
    "map_kv": ([_element("m", "OPTIONAL", children=1, converted=MKV), _element("map", "REPEATED", children=2),
                _element("str", "OPTIONAL", I32), _element("num", "REQUIRED", I32)],
               [(("m", "map", "str"), 1, 3, [0, 1, 0], [3, 2, 0], [4]),
                (("m", "map", "num"), 1, 2, [0, 1, 0], [2, 2, 0], [5, 6])],
               [[(4.0, 5), (None, 6)], None]),
    # a top-level repeated group without annotation -> required list of required structs
    "repeated_group": ([_element("g", "REPEATED", children=1), _element("v", "OPTIONAL", I32)],
                       [(("g", "v"), 1, 2, [0, 1, 0], [2, 1, 0], [3])],
                       [np.array([{"v": 3.0}, {"v": None}], object), np.array([], object)]),
}


@pytest.mark.parametrize("case", list(LEGACY))
@pytest.mark.parametrize("v2", [False, True])
def test_legacy_layouts(case, v2):
    elements, columns, expected = LEGACY[case]
    root = _element("root", children=1)
    raw = raw_file([root] + elements, columns, len(expected), v2=v2)
    got = fastpq.ParquetFile(raw).to_pandas().iloc[:, 0].tolist()
    assert deep_diff(got, expected) is None, deep_diff(got, expected)


def test_struct_without_repetition():
    """max_rep == 0 under a struct: the struct's nulls come from the definition levels."""
    elements = [_element("root", children=1), _element("s", "OPTIONAL", children=2),
                _element("a", "REQUIRED", I32), _element("b", "OPTIONAL", I32)]
    columns = [(("s", "a"), 0, 1, None, [1, 0, 1], [1, 3]), (("s", "b"), 0, 2, None, [2, 0, 1], [2])]
    got = fastpq.ParquetFile(raw_file(elements, columns, 3)).to_pandas()["s"].tolist()
    assert got == [{"a": 1, "b": 2.0}, None, {"a": 3, "b": None}]


# ------------------------------------------------------------------ hostile input
LIST2 = [_element("root", children=1), _element("a", "OPTIONAL", children=1, converted=LIST),
         _element("list", "REPEATED", children=1), _element("element", "REQUIRED", I32)]     # max_def 2, max_rep 1
LISTLIST = [_element("root", children=1), _element("a", "REQUIRED", children=1, converted=LIST),
            _element("list", "REPEATED", children=1), _element("element", "REQUIRED", children=1, converted=LIST),
            _element("list", "REPEATED", children=1), _element("element", "REQUIRED", I32)]  # max_def 2, max_rep 2
PAIR = [_element("root", children=1), _element("a", "REQUIRED", children=1, converted=LIST),
        _element("list", "REPEATED", children=2), _element("x", "REQUIRED", I32), _element("y", "REQUIRED", I32)]
HOSTILE = {
    "def above max_def": (LIST2, [(("a", "list", "element"), 1, 2, [0, 1, 0], [2, 3, 2], [1, 2, 3])], 2),
    "rep above max_rep": (LISTLIST, [(("a", "list", "element", "list", "element"), 2, 2,
                                      [0, 3, 0], [2, 2, 2], [1, 2, 3])], 2),
    "no rep 0 at the start": (LIST2, [(("a", "list", "element"), 1, 2, [1, 1, 0], [2, 2, 2], [1, 2, 3])], 2),
    "rep > 0 into an empty list": (LIST2, [(("a", "list", "element"), 1, 2, [0, 1], [1, 2], [1])], 1),
    "rows disagree with the row group": (LIST2, [(("a", "list", "element"), 1, 2, [0, 1, 0], [2, 2, 2],
                                                  [1, 2, 3])], 3),
    "siblings disagree on offsets": (PAIR, [(("a", "list", "x"), 1, 1, [0, 1, 0, 1], [1, 1, 1, 1], [1, 2, 3, 4]),
                                            (("a", "list", "y"), 1, 1, [0, 1, 1, 0], [1, 1, 1, 1], [1, 2, 3, 4])],
                                     2),
    "siblings disagree on counts": (PAIR, [(("a", "list", "x"), 1, 1, [0, 1, 0, 1], [1, 1, 1, 1], [1, 2, 3, 4]),
                                           (("a", "list", "y"), 1, 1, [0, 1, 0], [1, 1, 1], [1, 2, 3])], 2),
    "fewer values than levels say": (LIST2, [(("a", "list", "element"), 1, 2, [0, 1, 0], [2, 2, 2], [1, 2])], 2),
}


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("v2", [False, True])
def test_hostile(case, v2):
    elements, columns, rows = HOSTILE[case]
    raw = raw_file(elements, columns, rows, v2=v2)
    with pytest.raises(fastpq.CorruptFileError) as info:
        fastpq.ParquetFile(raw).to_pandas()
    err = info.value
    assert err.row_group == 0 and err.column is not None and err.path == "<bytes>", str(err)


@pytest.mark.parametrize("claimed", [1, 2, 4, 1 << 40])
def test_chunk_metadata_lies_about_its_entries(claimed):
    """num_values below the rows, below or above what the pages hold (2**40: nothing is
    allocated for entries the pages do not have)."""
    raw = raw_file(LIST2, [(("a", "list", "element"), 1, 2, [0, 1, 0], [2, 2, 2], [1, 2, 3])], 2,
                   num_values=claimed)
    with pytest.raises(fastpq.CorruptFileError, match="level entries|values"):
        fastpq.ParquetFile(raw).to_pandas()


def test_level_arrays_grow_with_the_pages(monkeypatch):
    """Level arrays start small when the chunk claims many entries per row, and grow page by page."""
    import fastpq.column.read.nested as column_nested

    monkeypatch.setattr(column_nested, "LEVELS_FLOOR", 1)
    t = pa.table({"a": pa.array([list(range(50)), None, [], list(range(7))], pa.list_(pa.int64()))})
    sink = io.BytesIO()
    pq.write_table(t, sink, data_page_size=64, write_batch_size=5)
    got, exp = read_both(sink.getvalue())
    assert_frames_equal(got, exp)


def test_truncated_level_stream():
    """A v1 page whose level section claims more bytes than it holds, and one cut short."""
    raw = bytearray(raw_file(LIST2, [(("a", "list", "element"), 1, 2, [0, 1, 0], [2, 2, 2], [1, 2, 3])], 2))
    with io.BytesIO(bytes(raw)) as f:
        start = pq.ParquetFile(f).metadata.row_group(0).column(0).data_page_offset
    header_end = raw.index(bytes([2, 0, 0, 0]), start)        # the rep levels' 4-byte length prefix (2 bytes)
    for patch in (bytes([255, 0, 0, 0]), bytes([1, 0, 0, 0])):
        bad = raw[:header_end] + patch + raw[header_end + 4:]
        with pytest.raises(fastpq.CorruptFileError):
            fastpq.ParquetFile(bytes(bad)).to_pandas()


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_bytes_in_a_nested_chunk(data):
    """Any byte of a nested chunk replaced: a CorruptFileError or a frame of the right length."""
    t = pa.table({"a": pa.array([[[1, None]], None, [], [[2], [], None]] * 5, pa.list_(pa.list_(pa.int32()))),
                  "s": pa.array([{"x": 1, "y": [1]}, None] * 10, pa.struct([("x", pa.int32()),
                                                                            ("y", pa.list_(pa.int8()))]))})
    sink = io.BytesIO()
    pq.write_table(t, sink, compression="NONE", use_dictionary=data.draw(st.booleans()),
                   data_page_version=data.draw(st.sampled_from(["1.0", "2.0"])), write_statistics=False)
    raw = bytearray(sink.getvalue())
    end = len(raw) - 8 - int.from_bytes(raw[-8:-4], "little")
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(4, end - 1))] = data.draw(st.integers(0, 255))
    try:
        df = fastpq.ParquetFile(bytes(raw)).to_pandas()
    except (fastpq.CorruptFileError, fastpq.UnsupportedFeatureError):
        return
    assert len(df) == 20 and all(v is None or isinstance(v, np.ndarray) for v in df["a"])
