"""dtype_backend='pyarrow', nested columns whose strings exceed 2 GiB: a list's child is one
Array, and string/binary offsets are int32, so the leaf is widened to large_string /
large_binary (values unchanged) instead of failing with pyarrow's offset overflow."""
from __future__ import annotations

import pyarrow as pa
import pytest

import fastpq
from fastpq.frame.read.nested_arrow import _one_array
from tests.conftest import ROOT

LARGE_MAP = ROOT.parent / "shared" / "corpus" / "parquet-testing" / "data" / "large_string_map.brotli.parquet"


@pytest.mark.parametrize("typ, large", [(pa.string(), pa.large_string()), (pa.binary(), pa.large_binary())])
def test_byte_arrays_beyond_2_gib_become_one_large_array(typ, large, monkeypatch):
    """The widening rule, with the 2 GiB threshold counted from the chunks' data buffers
    (the size is patched down: the real case is the corpus test below)."""
    import fastpq.frame.read.nested_arrow as nested_arrow

    values = [["a", None, "bc"], ["", "d"]] if typ == pa.string() else [[b"a", None, b"bc"], [b"", b"d"]]
    chunked = pa.chunked_array([pa.array(v, typ) for v in values], typ)
    assert nested_arrow._byte_size(chunked) == 4
    assert _one_array(pa, chunked).type == typ           # small: several chunks keep their type
    monkeypatch.setattr(nested_arrow, "_byte_size", lambda c: 1 << 31)
    out = _one_array(pa, chunked)
    assert out.type == large and out.to_pylist() == values[0] + values[1]


@pytest.mark.skipif(not LARGE_MAP.exists(), reason="parquet-testing corpus absent")
def test_map_with_1_gib_keys_reads_under_the_pyarrow_backend():
    """parquet-testing's large_string_map: two rows, each a map whose one key is 1 GiB.
    pyarrow's own reader refuses it (nested data in chunked outputs); fastpq reads the same
    values under both backends."""
    arrow = fastpq.read_parquet(LARGE_MAP, dtype_backend="pyarrow").iloc[:, 0]
    assert str(arrow.dtype).startswith("map<large_string, int32>")
    got = arrow.array._pa_array.combine_chunks()
    plain = fastpq.read_parquet(LARGE_MAP).iloc[:, 0].tolist()
    assert [[(len(k), v) for k, v in row] for row in got.to_pylist()] == \
           [[(len(k), v) for k, v in row] for row in plain] == [[(1 << 30, 1)], [(1 << 30, 1)]]
