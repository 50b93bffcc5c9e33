"""Definition / repetition levels (fastpq.kernels.levels) against a pure-Python Dremel
reference written from README.md "Nested Encoding" and LogicalTypes.md, pyarrow's
pages, and hostile input. Run also with NUMBA_DISABLE_JIT=1 and NUMBA_BOUNDSCHECK=1.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpq.errors import CorruptFileError
from fastpq.kernels import status
from fastpq.kernels.bitpack import bit_width_for
from fastpq.kernels.levels import (
    decode_nested_levels, def_levels_to_validity, encode_nested_levels, expand_spaced,
    expand_spaced_rows, level_info, nested_count_slots, nested_decode_levels,
    nested_encode_levels, validity_from_def_levels,
)
from fastpq.kernels.rle import (read_length_prefix, rle_hybrid_decode, rle_hybrid_encode)
from tests.kernels.test_varint import ref_uleb as uleb  # the spec-written ULEB128 reference

SETTINGS = settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------------
# reference: Dremel shredding and assembly on Python objects, straight from the spec
# ----------------------------------------------------------------------------------
# A path lists the repetition of each field from the root's child to the leaf. The
# value held by a required / optional field is its child's value (None = null); a
# repeated field holds a list of its child's values; the leaf holds an int.
def rep_levels_of(path):
    out, r = {}, 0
    for i, kind in enumerate(path):
        if kind == "repeated":
            r += 1
            out[i] = r
    return out


def shred(rows, path):
    """(rep_levels, def_levels, values): one entry per leaf value, null or empty list."""
    reps, defs, vals = [], [], []
    rep_of = rep_levels_of(path)

    def walk(i, v, r, d):
        if i == len(path):
            reps.append(r), defs.append(d), vals.append(v)
        elif path[i] == "required":
            walk(i + 1, v, r, d)
        elif v is None or (path[i] == "repeated" and not v):
            reps.append(r), defs.append(d)          # null, or empty list: stops here
        elif path[i] == "optional":
            walk(i + 1, v, r, d + 1)
        else:
            for j, item in enumerate(v):
                walk(i + 1, item, r if j == 0 else rep_of[i], d + 1)

    for row in rows:
        walk(0, row, 0, 0)
    return reps, defs, vals


def columnarize(rows, path):
    """Arrow-style columns: offsets per repeated field, validity per optional field
    (one entry per slot of its nesting level), spaced leaf (None at nulls)."""
    rep_of = rep_levels_of(path)
    opt_of = {i: k for k, i in enumerate(i for i, p in enumerate(path) if p == "optional")}
    offsets = [[0] for _ in rep_of]
    validity = [[] for _ in opt_of]
    leaf = []

    def pad(i):                                      # a null: its level still gets entries
        while i < len(path):
            if path[i] == "optional":
                validity[opt_of[i]].append(0)
            elif path[i] == "repeated":
                offsets[rep_of[i] - 1].append(offsets[rep_of[i] - 1][-1])
                return
            i += 1
        leaf.append(None)

    def visit(i, v):
        if i == len(path):
            leaf.append(v)
        elif path[i] == "required":
            visit(i + 1, v)
        elif path[i] == "optional":
            validity[opt_of[i]].append(int(v is not None))
            visit(i + 1, v) if v is not None else pad(i + 1)
        else:
            for item in v:
                visit(i + 1, item)
            offs = offsets[rep_of[i] - 1]
            offs.append(offs[-1] + len(v))

    for row in rows:
        visit(0, row)
    return offsets, validity, leaf


def assemble(path, offsets, validity, leaf, n_rows):
    """Rows back from offsets / validity / spaced leaf."""
    rep_of = rep_levels_of(path)
    opt_of = {i: k for k, i in enumerate(i for i, p in enumerate(path) if p == "optional")}

    def build(i, s):
        if i == len(path):
            return leaf[s]
        if path[i] == "required":
            return build(i + 1, s)
        if path[i] == "optional":
            return build(i + 1, s) if validity[opt_of[i]][s] else None
        offs = offsets[rep_of[i] - 1]
        return [build(i + 1, c) for c in range(offs[s], offs[s + 1])]

    return [build(0, r) for r in range(n_rows)]


PATHS = st.lists(st.sampled_from(["required", "optional", "repeated"]), min_size=1, max_size=6)


@st.composite
def rows_for(draw, path):
    def gen(i):
        if i == len(path):
            return draw(st.integers(-1000, 1000))
        if path[i] == "required":
            return gen(i + 1)
        if path[i] == "optional":
            return None if draw(st.integers(0, 3)) == 0 else gen(i + 1)
        return [gen(i + 1) for _ in range(draw(st.integers(0, 3)))]

    return [gen(0) for _ in range(draw(st.integers(0, 12)))]


def decode_all(path, rows):
    """Shred with the reference, decode with fastpq, assemble with the reference."""
    info = level_info(path)
    reps, defs, vals = shred(rows, path)
    nl = decode_nested_levels(np.array(defs, np.int16), np.array(reps, np.int16), info)
    spaced = np.zeros(nl.n_slots[-1], np.int64)
    spaced[:len(vals)] = vals
    assert expand_spaced(spaced, 0, spaced.size, nl.n_values, nl.leaf_valid, 0, -1) == spaced.size
    leaf = [int(x) if ok else None for x, ok in zip(spaced, nl.leaf_valid)]
    return info, nl, leaf


# ----------------------------------------------------------------------------------
# nested levels
# ----------------------------------------------------------------------------------
def test_docstring_example():
    info = level_info(["optional", "repeated", "optional"])
    assert (info.max_def, info.max_rep) == (3, 1)
    assert info.list_def.tolist() == [0, 2]
    assert info.node_def.tolist() == [1, 3] and info.node_level.tolist() == [0, 1]
    rows = [[1, None], None, [], [2]]
    reps, defs, vals = shred(rows, ["optional", "repeated", "optional"])
    assert (reps, defs, vals) == ([0, 1, 0, 0, 0], [3, 2, 0, 1, 3], [1, 2])
    nl = decode_nested_levels(np.array(defs, np.int16), np.array(reps, np.int16), info)
    assert nl.n_slots.tolist() == [4, 3] and nl.offsets[0].tolist() == [0, 2, 2, 2, 3]
    assert [v.tolist() for v in nl.validity] == [[1, 0, 1, 1], [1, 0, 1]]
    assert nl.leaf_valid.tolist() == [1, 0, 1] and nl.n_values == 2
    d, r, take = encode_nested_levels(info, 4, nl.offsets, nl.validity)
    assert d.tolist() == defs and r.tolist() == reps and take.tolist() == [1, 0, 1]


@pytest.mark.parametrize("path, rows", [
    (["repeated"], [[1, 2], [], [3]]),                                      # legacy repeated int32
    (["optional", "optional"], [None, 5, None]),                            # struct, R = 0
    (["required", "repeated", "required", "optional"], [[1, None], [], [None]]),  # MAP value
    (["optional", "repeated", "required", "repeated", "optional"],          # list<list<int?>>
     [[[1, None], [], [2]], None, [], [[]], [[3]]]),
    (["required"], [1, 2, 3]),
    (["optional"], []),
])
def test_known_schemas(path, rows):
    info, nl, leaf = decode_all(path, rows)
    offsets, validity, ref_leaf = columnarize(rows, path)
    assert [o.tolist() for o in nl.offsets] == offsets
    assert [v.tolist() for v in nl.validity] == validity
    assert leaf == ref_leaf
    assert assemble(path, nl.offsets, nl.validity, leaf, len(rows)) == rows


@SETTINGS
@given(st.data(), PATHS)
def test_decode_matches_reference(data, path):
    rows = data.draw(rows_for(path))
    info, nl, leaf = decode_all(path, rows)
    offsets, validity, ref_leaf = columnarize(rows, path)
    assert nl.n_slots[0] == len(rows) and len(nl.offsets) == info.max_rep
    assert [o.tolist() for o in nl.offsets] == offsets
    assert [v.tolist() for v in nl.validity] == validity
    assert leaf == ref_leaf and nl.n_values == sum(x is not None for x in leaf)
    assert assemble(path, nl.offsets, nl.validity, leaf, len(rows)) == rows


@SETTINGS
@given(st.data(), PATHS)
def test_encode_matches_reference(data, path):
    rows = data.draw(rows_for(path))
    info = level_info(path)
    reps, defs, vals = shred(rows, path)
    offsets, validity, leaf = columnarize(rows, path)
    # Arrow-style inputs: no-null masks may be None; offsets may be shifted slices
    shift = data.draw(st.integers(0, 3))
    offs = [np.array(o) + (shift if L == info.max_rep - 1 else 0) for L, o in enumerate(offsets)]
    leaf = [None] * (shift if info.max_rep else 0) + leaf
    lead = shift if info.max_rep else 0                  # leaf-level slots before the slice
    masks = [None if all(v) and data.draw(st.booleans()) else
             np.array([0] * (lead if lv == info.max_rep else 0) + v, np.uint8)
             for v, lv in zip(validity, info.node_level)]
    d, r, take = encode_nested_levels(info, len(rows), offs, masks, n_leaf=len(leaf))
    assert d.tolist() == defs and r.tolist() == reps
    assert [x for x, t in zip(leaf, take) if t] == vals
    # and through the RLE hybrid, the way pages store them
    stream = rle_hybrid_encode(d, d.size, bit_width_for(info.max_def))
    back = np.zeros(d.size, np.int16)
    w = bit_width_for(info.max_def)
    assert rle_hybrid_decode(stream, 0, stream.size, w, d.size, back, 0) >= 0
    assert back.tolist() == defs


@SETTINGS
@given(st.data(), PATHS)
def test_random_levels_roundtrip(data, path):
    """Any level sequence the decoder accepts encodes back to itself; others are BAD_LEVEL."""
    info = level_info(path)
    n = data.draw(st.integers(0, 30))
    defs = np.array(data.draw(st.lists(st.integers(-1, info.max_def + 1), min_size=n,
                                       max_size=n)), np.int16)
    reps = np.array(data.draw(st.lists(st.integers(0, info.max_rep), min_size=n, max_size=n)),
                    np.int16)
    if n and data.draw(st.booleans()):
        reps[0] = 0
    try:
        nl = decode_nested_levels(defs, reps if info.max_rep else None, info)
    except CorruptFileError as e:
        assert status.describe(status.BAD_LEVEL) in str(e)
        return
    d, r, _ = encode_nested_levels(info, nl.n_slots[0], nl.offsets, nl.validity,
                                   n_leaf=nl.n_slots[-1])
    assert d.tolist() == defs.tolist()
    if info.max_rep:
        assert r.tolist() == reps.tolist()


def test_bad_levels():
    info = level_info(["optional", "repeated", "optional"])
    bad = [([4], [0]),              # def above max_def
           ([3, 3], [1, 1]),        # first entry continues a list
           ([3, 3], [0, 2]),        # rep above max_rep
           ([0, 3], [0, 1]),        # continues the list of a null row
           ([1, 3], [0, 1]),        # continues an empty list
           ([3, 1], [0, 1]),        # an item that is not there
           ([-1], [0])]
    for defs, reps in bad:
        with pytest.raises(CorruptFileError, match="level"):
            decode_nested_levels(np.array(defs, np.int16), np.array(reps, np.int16), info)
    with pytest.raises(CorruptFileError):
        decode_nested_levels(np.array([3], np.int16), np.array([0], np.int16), info, count=2)
    # the kernels: bad structure, short outputs
    n_slots = np.zeros(2, np.int64)
    d, r = np.array([3, 2, 0], np.int16), np.array([0, 1, 0], np.int16)
    assert nested_count_slots(d, r, 3, np.array([1, 2]), 3, n_slots) == status.BAD_VALUE
    assert nested_count_slots(d, r, 3, info.list_def, 3, n_slots[:1]) == status.BAD_VALUE
    assert nested_count_slots(d, r, 3, info.list_def, 3, n_slots) == 1
    assert n_slots.tolist() == [2, 2]
    args = (info.list_def, info.node_def, info.node_level, 3, n_slots)
    ok = dict(offsets=np.zeros(3, np.int64), off_start=np.zeros(1, np.int64),
              validity=np.zeros(6, np.uint8), val_start=np.array([0, 3]),   # + 1 slack each
              leaf=np.zeros(3, np.uint8), cursor=np.zeros(4, np.int64))
    assert nested_decode_levels(d, r, 3, *args, *ok.values()) == 1
    assert ok["offsets"].tolist() == [0, 2, 2] and ok["leaf"][:2].tolist() == [1, 0]
    assert ok["validity"][[0, 1, 3, 4]].tolist() == [1, 0, 1, 0]
    for key, short in (("offsets", np.zeros(2, np.int64)), ("validity", np.zeros(5, np.uint8)),
                       ("leaf", np.zeros(2, np.uint8)), ("cursor", np.zeros(3, np.int64)),
                       ("val_start", np.array([0, -1])), ("off_start", np.array([1]))):
        kw = dict(ok, **{key: short})
        assert nested_decode_levels(d, r, 3, *args, *kw.values()) == status.OUTPUT_OVERFLOW, key
    n_more = np.array([1, 1], np.int64)                  # counts lower than the levels need
    assert nested_decode_levels(d, r, 3, info.list_def, info.node_def, info.node_level, 3,
                                n_more, *ok.values()) == status.OUTPUT_OVERFLOW


def test_encode_bad_inputs():
    info = level_info(["optional", "repeated", "optional"])
    ok_valid = [None, None]
    with pytest.raises(ValueError):                      # decreasing offsets
        encode_nested_levels(info, 2, [np.array([0, 2, 1])], ok_valid, n_leaf=3)
    with pytest.raises(ValueError):                      # offset past the leaf slots
        encode_nested_levels(info, 2, [np.array([0, 2, 5])], ok_valid, n_leaf=3)
    with pytest.raises(ValueError):                      # wrong number of offsets
        encode_nested_levels(info, 3, [np.array([0, 2, 3])], ok_valid)
    with pytest.raises(ValueError):                      # mask too short
        encode_nested_levels(info, 2, [np.array([0, 2, 3])], [np.array([1]), None])
    with pytest.raises(ValueError):
        encode_nested_levels(info, 2, [], ok_valid)
    # overlapping offsets visit slots twice: the output bound catches it
    stack = np.zeros(4, np.int64)
    got = nested_encode_levels(3, info.list_def, info.node_def, info.node_level, 3,
                               np.array([3, 3]), np.array([0, 3, 3, 3]), np.array([0]),
                               np.zeros(0, np.uint8), np.array([-1, -1]), np.zeros(3, np.int16),
                               np.zeros(3, np.int16), np.zeros(3, np.uint8), stack)
    assert got == status.OUTPUT_OVERFLOW
    d, r, take = encode_nested_levels(info, 0, [np.array([0])], ok_valid, n_leaf=0)
    assert d.size == r.size == take.size == 0


# ----------------------------------------------------------------------------------
# flat columns
# ----------------------------------------------------------------------------------
def hybrid_from_runs(runs, w):
    """("rle", value, n) / ("packed", values) runs -> hybrid bytes (spec grammar)."""
    out = bytearray()
    for run in runs:
        if run[0] == "rle":
            out += uleb(run[2] << 1) + run[1].to_bytes((w + 7) // 8, "little")
        else:
            vals = list(run[1]) + [0] * (-len(run[1]) % 8)
            bits = [(v >> b) & 1 for v in vals for b in range(w)]
            out += uleb(len(vals) // 8 << 1 | 1)
            out += bytes(sum(bits[k + j] << j for j in range(8)) for k in range(0, len(bits), 8))
    return bytes(out)


@SETTINGS
@given(st.data(), st.integers(0, 5))
def test_def_levels_to_validity(data, max_def):
    w = bit_width_for(max_def)
    level = st.integers(0, max_def)
    runs = data.draw(st.lists(st.one_of(
        st.tuples(st.just("rle"), level, st.integers(1, 40)),
        st.tuples(st.just("packed"), st.lists(level, min_size=8, max_size=24).map(
            lambda v: v[:len(v) // 8 * 8]))), min_size=1, max_size=5))
    levels = [v for run in runs for v in ([run[1]] * run[2] if run[0] == "rle" else run[1])]
    count = data.draw(st.integers(0, len(levels)))
    stream = np.frombuffer(hybrid_from_runs(runs, w) + b"\x07", np.uint8)
    valid = np.full(count + 2, 9, np.uint8)
    got = def_levels_to_validity(stream, 0, stream.size - 1, w, count, max_def, valid, 1)
    expect = [int(v == max_def) for v in levels[:count]]
    assert got == sum(expect)
    assert valid[1:-1].tolist() == expect and valid[0] == 9 and valid[-1] == 9
    assert validity_from_def_levels(np.array(levels), count, max_def, valid, 1) == sum(expect)
    assert valid[1:-1].tolist() == expect and valid[-1] == 9
    if count and max_def < 2**w - 1 and w:               # a level above max_def somewhere
        bad = np.frombuffer(hybrid_from_runs([("packed", [2**w - 1] * 8)], w), np.uint8)
        assert def_levels_to_validity(bad, 0, bad.size, w, 8, max_def, np.zeros(8, np.uint8),
                                      0) == status.BAD_LEVEL
        bad = np.frombuffer(hybrid_from_runs([("rle", max_def + 1, 3)], w), np.uint8)
        assert def_levels_to_validity(bad, 0, bad.size, w, 3, max_def, np.zeros(3, np.uint8),
                                      0) == status.BAD_LEVEL


def test_def_levels_to_validity_edges():
    valid = np.full(4, 7, np.uint8)
    src = np.zeros(0, np.uint8)
    assert def_levels_to_validity(src, 0, 0, 0, 4, 0, valid, 0) == 4 and (valid == 1).all()
    assert def_levels_to_validity(src, 0, 0, 0, 4, 1, valid, 0) == 0 and (valid == 0).all()
    src = np.frombuffer(uleb(8) + b"\x01", np.uint8)
    assert def_levels_to_validity(src, 0, 2, 9, 4, 1, valid, 0) == status.BAD_BIT_WIDTH
    assert def_levels_to_validity(src, 0, 2, 1, 4, 1, valid.view(np.int8).astype(np.int16),
                                  0) == status.BAD_BIT_WIDTH
    assert def_levels_to_validity(src, 0, 2, 1, 5, 1, valid, 0) == status.OUTPUT_OVERFLOW
    assert def_levels_to_validity(src, 0, 1, 1, 4, 1, valid, 0) == status.TRUNCATED
    assert def_levels_to_validity(src, 0, 2, 1, 4, 1, valid, 0) == 4
    assert validity_from_def_levels(np.array([0, 1, -1]), 3, 1, valid, 0) == status.BAD_LEVEL
    assert validity_from_def_levels(np.array([0, 1]), 3, 1, valid, 0) == status.TRUNCATED
    assert validity_from_def_levels(np.array([0, 1]), 2, 1, valid, 3) == status.OUTPUT_OVERFLOW


# ----------------------------------------------------------------------------------
# spacing
# ----------------------------------------------------------------------------------
@SETTINGS
@given(st.lists(st.booleans(), max_size=80), st.integers(0, 3),
       st.sampled_from(["u1", "i2", "i4", "i8", "u8", "f4", "f8"]))
def test_expand_spaced(mask, lead, dt):
    mask = np.array(mask, np.uint8)
    n, k = mask.size, int(mask.sum())
    dense = (np.arange(k) + 1).astype(dt)
    fill = np.nan if dt[0] == "f" else 0
    expect = np.full(n, fill, dt)
    expect[mask.astype(bool)] = dense
    out = np.full(lead + n + 1, 42, dt)
    out[lead:lead + k] = dense
    vmask = np.concatenate([np.zeros(2, np.uint8), mask])
    assert expand_spaced(out, lead, n, k, vmask, 2, fill) == lead + n
    np.testing.assert_array_equal(out[lead:lead + n], expect)
    assert (out[:lead] == 42).all() and out[-1] == 42
    rows = np.full((n + 1, 3), 42, np.uint8)
    rows[:k] = np.repeat(dense.astype(np.uint8)[:, None], 3, axis=1)
    assert expand_spaced_rows(rows, 0, n, k, mask, 0, 0) == n
    np.testing.assert_array_equal(rows[:n, 1], np.nan_to_num(expect).astype(np.uint8))
    assert (rows[n] == 42).all()
    if n:                                                # more ones than n_valid
        assert expand_spaced(out, lead, n, n - 1, np.ones(n, np.uint8), 0, fill) == \
            status.BAD_VALUE


def test_expand_spaced_bounds():
    out, valid = np.zeros(4, np.int32), np.ones(4, np.uint8)
    assert expand_spaced(out, 1, 4, 2, valid, 0, 0) == status.OUTPUT_OVERFLOW
    assert expand_spaced(out, 0, 4, 5, valid, 0, 0) == status.BAD_VALUE
    assert expand_spaced(out, 0, 4, -1, valid, 0, 0) == status.BAD_VALUE
    assert expand_spaced(out, 0, 4, 2, valid, 1, 0) == status.BAD_VALUE
    assert expand_spaced(out, 0, 4, 2, valid, 0, 0) == status.BAD_VALUE   # 4 ones, 2 values
    assert expand_spaced_rows(np.zeros((3, 2), np.uint8), 0, 4, 0, valid, 0, 0) == \
        status.OUTPUT_OVERFLOW


# ----------------------------------------------------------------------------------
# pyarrow's pages as an oracle (data page v1: rep levels, def levels, PLAIN values)
# ----------------------------------------------------------------------------------
def pyarrow_level_pages(array):
    """[(num_values, body)] of the v1 data pages pyarrow writes for column 'x'."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from thrift.protocol.TCompactProtocol import TCompactProtocol
    from thrift.transport.TTransport import TMemoryBuffer

    from fastpq._thrift.ttypes import PageHeader, PageType
    sink = io.BytesIO()
    pq.write_table(pa.table({"x": array}), sink, compression="NONE", use_dictionary=False,
                   data_page_version="1.0", write_statistics=False, data_page_size=2000)
    raw = sink.getvalue()
    meta = pq.ParquetFile(io.BytesIO(raw)).metadata.row_group(0).column(0)
    pos, end, pages = meta.data_page_offset, meta.data_page_offset + meta.total_compressed_size, []
    while pos < end:
        buf = TMemoryBuffer(raw[pos:end])
        header = PageHeader()
        header.read(TCompactProtocol(buf))
        pos += buf._buffer.tell()
        body = np.frombuffer(raw[pos:pos + header.compressed_page_size], np.uint8)
        pos += header.compressed_page_size
        if header.type == PageType.DATA_PAGE:
            pages.append((header.data_page_header.num_values, body))
    return pages


def read_levels(body, pos, n, max_level):
    """One v1 level stream: 4-byte length, then the hybrid."""
    if max_level == 0:
        return np.zeros(n, np.int16), pos
    length = read_length_prefix(body, pos, body.size)
    assert length >= 0
    out = np.zeros(n, np.int16)
    got = rle_hybrid_decode(body, pos + 4, pos + 4 + length, bit_width_for(max_level), n, out, 0)
    assert got >= 0, status.describe(got)
    return out, pos + 4 + length


@pytest.mark.parametrize("case", ["flat", "list", "list_list", "struct"])
def test_pyarrow_levels(case):
    pa = pytest.importorskip("pyarrow")
    rng = np.random.default_rng(5)

    def maybe(v, p=0.2):
        return None if rng.random() < p else v

    def lst(make):
        return maybe([make() for _ in range(rng.integers(0, 4))])

    leaf = lambda: maybe(int(rng.integers(-9, 9)))  # noqa: E731
    rows, path = {
        "flat": (lambda: [leaf() for _ in range(3000)], ["optional"]),
        "list": (lambda: [lst(leaf) for _ in range(1500)], ["optional", "repeated", "optional"]),
        "list_list": (lambda: [lst(lambda: lst(leaf)) for _ in range(800)],
                      ["optional", "repeated", "optional", "repeated", "optional"]),
        "struct": (lambda: [maybe({"a": leaf()}) for _ in range(2000)], ["optional", "optional"]),
    }[case]
    rows = rows()
    array = pa.array(rows, pa.int64()) if case == "flat" else pa.array(rows)
    info = level_info(path)
    all_def, all_rep, all_vals = [], [], []
    for n, body in pyarrow_level_pages(array):
        reps, pos = read_levels(body, 0, n, info.max_rep)
        defs, pos = read_levels(body, pos, n, info.max_def)
        k = int((defs == info.max_def).sum())
        all_vals.append(np.frombuffer(body[pos:pos + 8 * k].tobytes(), "<i8"))
        all_def.append(defs), all_rep.append(reps)
        if info.max_rep == 0:                            # the flat fast path agrees
            enc = body[4:4 + read_length_prefix(body, 0, body.size)]
            valid = np.zeros(n, np.uint8)
            assert def_levels_to_validity(enc, 0, enc.size, 1 if case == "flat" else 2, n,
                                          info.max_def, valid, 0) == k
            assert (valid == (defs == info.max_def)).all()
    defs, reps, vals = np.concatenate(all_def), np.concatenate(all_rep), np.concatenate(all_vals)
    nl = decode_nested_levels(defs, reps, info)
    assert nl.n_slots[0] == len(rows) and nl.n_values == vals.size
    spaced = np.zeros(nl.n_slots[-1], np.int64)
    spaced[:vals.size] = vals
    expand_spaced(spaced, 0, spaced.size, vals.size, nl.leaf_valid, 0, 0)
    leaf_list = [int(v) if ok else None for v, ok in zip(spaced, nl.leaf_valid)]
    got = assemble(path, nl.offsets, nl.validity, leaf_list, len(rows))
    if case == "struct":
        got = [{"a": g} if ok else None for g, ok in zip(got, nl.validity[0])]
    assert got == array.to_pylist()
    d, r, _ = encode_nested_levels(info, len(rows), nl.offsets, nl.validity)
    assert (d == defs).all() and (r == reps).all()
