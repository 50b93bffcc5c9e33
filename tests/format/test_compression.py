"""Tests for fastpq.format.compression: round trips, exact sizes, corrupt input,
LZ4 framings found in the wild, and agreement with an independent library
(pyarrow's codecs, Python's gzip/zlib) both ways."""
from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpq.errors import CorruptFileError, UnsupportedFeatureError
from fastpq.format import compression as C
from fastpq.format import libzstd
from tests.conftest import PARQUET_TESTING as CORPUS
from tests.conftest import TEST_DATA

CODECS = [C.UNCOMPRESSED, C.SNAPPY, C.GZIP, C.BROTLI, C.LZ4, C.ZSTD, C.LZ4_RAW]
COMPRESSING = [c for c in CODECS if c != C.UNCOMPRESSED]
PA_NAME = {C.SNAPPY: "snappy", C.GZIP: "gzip", C.BROTLI: "brotli", C.ZSTD: "zstd", C.LZ4_RAW: "lz4_raw"}


@pytest.fixture(autouse=True, scope="module", params=["libzstd", "cramjam"])
def zstd_decoder(request):
    """Every test twice: ZSTD pages through the system's libzstd (when present) and through
    cramjam, the fallback; both must decode and refuse exactly the same pages."""
    saved = libzstd._lib, libzstd._loaded
    if request.param == "cramjam":
        libzstd._lib, libzstd._loaded = None, True
    elif libzstd.library() is None:
        pytest.skip("no libzstd on this machine")
    yield request.param
    libzstd._lib, libzstd._loaded = saved


def test_libzstd_can_be_turned_off():
    import os
    import subprocess
    import sys
    code = "from fastpq.format import libzstd; assert libzstd.library() is None"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "FASTPQ_LIBZSTD": "0"})


def test_zstd_decoders_agree_on_frames_and_refusals(zstd_decoder):
    """libzstd and cramjam side by side: several frames, a skippable frame, a short output."""
    if zstd_decoder != "libzstd":
        pytest.skip("compares both decoders, once")
    import cramjam
    a, b = _data(100_000, 1), _data(5_000, 2)
    skippable = (0x184D2A50).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"xyz"
    blob = np.frombuffer(bytes(C.compress(C.ZSTD, a)) + skippable + bytes(C.compress(C.ZSTD, b)), np.uint8)
    out1, out2 = np.empty(len(a) + len(b), np.uint8), np.empty(len(a) + len(b), np.uint8)
    assert libzstd.decompress_into(blob, out1) == cramjam.zstd.decompress_into(blob, out2) == out1.size
    assert out1.tobytes() == out2.tobytes() == a + b
    with pytest.raises(libzstd.ZstdError) as info:
        libzstd.decompress_into(blob, np.empty(len(a), np.uint8))
    assert info.value.too_small


def _data(size: int, seed: int = 0) -> bytes:
    """Half-compressible bytes: small random integers, like a plain-encoded column."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 16, size, dtype=np.uint8).tobytes()


def _ids(codecs):
    return [C.codec_name(c) for c in codecs]


# ----------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("codec", CODECS, ids=_ids(CODECS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(
    st.binary(max_size=2048),
    st.builds(lambda chunk, reps: chunk * reps, st.binary(min_size=1, max_size=40), st.integers(1, 3000)),
))
def test_round_trip_hypothesis(codec, data):
    blob = C.compress(codec, data)
    assert isinstance(blob, bytes)
    out = C.decompress(codec, blob, len(data))
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8
    assert out.tobytes() == data


# Around snappy's 64 KiB fragment, 128 KiB (parquet-mr's Hadoop LZ4 blocks), powers of two.
SIZES = [0, 1, 2, 15, 16, 17, 65535, 65536, 65537, 131071, 131072, 131073, 262144, 262145, 400000]


@pytest.mark.parametrize("codec", CODECS, ids=_ids(CODECS))
@pytest.mark.parametrize("size", SIZES)
def test_round_trip_sizes(codec, size):
    data = _data(size, seed=size)
    blob = C.compress(codec, data)
    assert C.decompress(codec, blob, size).tobytes() == data
    out = np.full(size, 0xAB, np.uint8)
    res = C.decompress(codec, blob, size, out=out)
    assert res is out and out.tobytes() == data


@pytest.mark.parametrize("codec", COMPRESSING, ids=_ids(COMPRESSING))
@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "ndarray", "strided"])
def test_input_kinds(codec, kind):
    data = _data(5000)
    blob = C.compress(codec, data)
    src = {
        "bytes": lambda: blob,
        "bytearray": lambda: bytearray(blob),
        "memoryview": lambda: memoryview(b"xx" + blob)[2:],
        "ndarray": lambda: np.frombuffer(blob, np.uint8),
        "strided": lambda: np.repeat(np.frombuffer(blob, np.uint8), 2)[::2],
    }[kind]()
    assert C.decompress(codec, src, len(data)).tobytes() == data
    assert C.compress(C.UNCOMPRESSED, src) == blob


def test_uncompressed_is_zero_copy_without_out():
    src = np.arange(100, dtype=np.uint8)
    res = C.decompress(C.UNCOMPRESSED, src, 100)
    assert np.shares_memory(res, src)
    out = np.empty(100, np.uint8)
    assert C.decompress(C.UNCOMPRESSED, src, 100, out=out) is out and (out == src).all()


@pytest.mark.parametrize("codec,level", [(C.GZIP, 0), (C.GZIP, 9), (C.ZSTD, -5), (C.ZSTD, 1), (C.ZSTD, 22),
                                         (C.BROTLI, 0), (C.BROTLI, 11), (C.LZ4, 9), (C.LZ4_RAW, 12)])
def test_levels(codec, level):
    data = _data(70000)
    assert C.decompress(codec, C.compress(codec, data, level), len(data)).tobytes() == data


@pytest.mark.parametrize("codec,level", [(C.GZIP, 10), (C.GZIP, -1), (C.BROTLI, 12), (C.ZSTD, 23),
                                         (C.SNAPPY, 1), (C.UNCOMPRESSED, 1), (C.GZIP, 1.5), (C.ZSTD, True)])
def test_bad_levels(codec, level):
    with pytest.raises(ValueError):
        C.compress(codec, b"abc", level)


def test_higher_level_compresses_better():
    rng = np.random.default_rng(5)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon", b"zeta", b"eta", b"theta"]
    data = b" ".join(words[i] + str(j).encode() for i, j in zip(rng.integers(0, 8, 30000), rng.integers(0, 50, 30000)))
    for codec, lo, hi in [(C.GZIP, 1, 9), (C.ZSTD, 1, 19), (C.BROTLI, 1, 11)]:
        assert len(C.compress(codec, data, hi)) < len(C.compress(codec, data, lo))


# ----------------------------------------------------------------------------- corrupt input

@pytest.mark.parametrize("codec", CODECS, ids=_ids(CODECS))
@pytest.mark.parametrize("delta", [-1, 1, 1000])
def test_wrong_uncompressed_size(codec, delta):
    data = _data(3000)
    blob = C.compress(codec, data)
    with pytest.raises(CorruptFileError, match=rf"codec {C.codec_name(codec)} \({codec}\).*expected {3000 + delta} bytes, got"):
        C.decompress(codec, blob, 3000 + delta)
    with pytest.raises(CorruptFileError):
        C.decompress(codec, blob, 3000 + delta, out=np.empty(3000 + delta, np.uint8))


def test_size_mismatch_message_names_both_sizes():
    blob = C.compress(C.LZ4_RAW, _data(3000))
    with pytest.raises(CorruptFileError, match="expected 3001 bytes, got 3000"):
        C.decompress(C.LZ4_RAW, blob, 3001)
    blob = C.compress(C.SNAPPY, _data(3000))
    with pytest.raises(CorruptFileError, match="expected 2999 bytes, got 3000"):
        C.decompress(C.SNAPPY, blob, 2999)


@pytest.mark.parametrize("codec", COMPRESSING, ids=_ids(COMPRESSING))
@settings(max_examples=150, deadline=None)
@given(garbage=st.binary(max_size=300), size=st.integers(0, 5000))
def test_garbage_raises_corrupt_only(codec, garbage, size):
    try:
        out = C.decompress(codec, garbage, size)
    except CorruptFileError as exc:
        assert "expected" in str(exc) and C.codec_name(codec) in str(exc)
    else:  # random bytes may happen to be valid: then the size must be right
        assert out.size == size


@pytest.mark.parametrize("codec", COMPRESSING, ids=_ids(COMPRESSING))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_damaged_valid_stream_raises_corrupt_only(codec, data):
    payload = _data(data.draw(st.integers(1, 40000)), seed=1)
    blob = bytearray(C.compress(codec, payload))
    how = data.draw(st.sampled_from(["truncate", "flip", "append"]))
    if how == "truncate":
        blob = blob[:data.draw(st.integers(0, len(blob) - 1))]
    elif how == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] ^= data.draw(st.integers(1, 255))
    else:
        blob += data.draw(st.binary(min_size=1, max_size=20))
    try:
        out = C.decompress(codec, bytes(blob), len(payload))
    except CorruptFileError:
        return
    assert out.size == len(payload)  # a flip inside literals can decode to other bytes


def test_negative_size():
    with pytest.raises(CorruptFileError, match="negative"):
        C.decompress(C.ZSTD, C.compress(C.ZSTD, b"abc"), -1)


@pytest.mark.parametrize("codec", [C.UNCOMPRESSED, C.SNAPPY, C.GZIP, C.LZ4, C.LZ4_RAW])
def test_impossible_size_rejected_before_allocating(codec):
    blob = C.compress(codec, b"abc" * 10)
    match = "got 30" if codec == C.UNCOMPRESSED else "cannot expand beyond"
    with pytest.raises(CorruptFileError, match=match):
        C.decompress(codec, blob, 2**31 - 1)


def test_max_size_guard():
    blob = C.compress(C.ZSTD, bytes(1 << 20))
    assert C.decompress(C.ZSTD, blob, 1 << 20, max_size=1 << 20).size == 1 << 20
    with pytest.raises(CorruptFileError, match="limit of 1000 bytes"):
        C.decompress(C.ZSTD, blob, 1 << 20, max_size=1000)
    with pytest.raises(CorruptFileError, match="limit"):
        C.decompress(C.BROTLI, b"\x00" * 10, 2**31 - 1, max_size=2**26)
    with pytest.raises(CorruptFileError, match="limit"):
        C.decompress(C.ZSTD, blob, 1 << 20, out=np.empty(1 << 20, np.uint8), max_size=1000)


def test_bombs_within_intrinsic_bound_still_decode():
    # 1 MiB of zeros: far beyond 4096x for zstd/brotli, within the LZ4/deflate bounds.
    zeros = bytes(1 << 20)
    for codec in COMPRESSING:
        assert C.decompress(codec, C.compress(codec, zeros), len(zeros)).tobytes() == zeros


def test_empty_page_with_empty_section():
    for codec in CODECS:
        assert C.decompress(codec, b"", 0).size == 0


@pytest.mark.parametrize("codec", [C.LZO, 8, 99, -1])
def test_unsupported_codecs(codec):
    with pytest.raises(UnsupportedFeatureError, match="LZO" if codec == C.LZO else "unknown"):
        C.decompress(codec, b"abc", 3)
    with pytest.raises(UnsupportedFeatureError):
        C.compress(codec, b"abc")


def test_bad_out_arguments():
    blob = C.compress(C.SNAPPY, b"abcdef")
    with pytest.raises(ValueError):
        C.decompress(C.SNAPPY, blob, 6, out=np.empty(7, np.uint8))
    with pytest.raises(TypeError):
        C.decompress(C.SNAPPY, blob, 6, out=np.empty(6, np.int8))
    with pytest.raises(TypeError):
        C.decompress(C.SNAPPY, blob, 6, out=bytearray(6))
    ro = np.empty(6, np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        C.decompress(C.SNAPPY, blob, 6, out=ro)


# ----------------------------------------------------------------------------- framings in the wild

def test_gzip_concatenated_members():
    a, b = _data(5000, 1), _data(7000, 2)
    blob = gzip.compress(a) + gzip.compress(b, compresslevel=1) + gzip.compress(b"")
    assert C.decompress(C.GZIP, blob, len(a) + len(b)).tobytes() == a + b


def test_gzip_accepts_zlib_wrapper():
    a = _data(5000)
    assert C.decompress(C.GZIP, zlib.compress(a), len(a)).tobytes() == a


def _hadoop_blocks(blob: bytes):
    pos, blocks = 0, []
    while pos < len(blob):
        raw = int.from_bytes(blob[pos:pos + 4], "big")
        comp = int.from_bytes(blob[pos + 4:pos + 8], "big")
        blocks.append((raw, blob[pos + 8:pos + 8 + comp]))
        pos += 8 + comp
    assert pos == len(blob)
    return blocks


def test_lz4_hadoop_framing_structure():
    pa = pytest.importorskip("pyarrow")
    data = _data(300000)
    blocks = _hadoop_blocks(C.compress(C.LZ4, data))
    assert [raw for raw, _ in blocks] == [300000]  # one block per page, as Arrow writes
    got = b"".join(pa.decompress(body, raw, codec="lz4_raw", asbytes=True) for raw, body in blocks)
    assert got == data
    assert C.compress(C.LZ4, b"") == b""


def test_lz4_hadoop_several_sub_blocks_per_block():
    # Hadoop's BlockCompressorStream: one raw length, then several (length, block).
    a, b = _data(1000, 1), _data(2000, 2)
    ba, bb = C.compress(C.LZ4_RAW, a), C.compress(C.LZ4_RAW, b)
    blob = (len(a) + len(b)).to_bytes(4, "big") + len(ba).to_bytes(4, "big") + ba + len(bb).to_bytes(4, "big") + bb
    assert C.decompress(C.LZ4, blob, 3000).tobytes() == a + b


def test_lz4_codec5_accepts_raw_block_and_frame():
    pa = pytest.importorskip("pyarrow")
    data = _data(50000)
    assert C.decompress(C.LZ4, C.compress(C.LZ4_RAW, data), len(data)).tobytes() == data
    frame = pa.compress(data, codec="lz4", asbytes=True)
    assert frame[:4] == b"\x04\x22\x4d\x18"
    assert C.decompress(C.LZ4, frame, len(data)).tobytes() == data
    with pytest.raises(CorruptFileError, match="Hadoop framing.*raw block"):
        C.decompress(C.LZ4, C.compress(C.LZ4, data), len(data) + 1)


# ----------------------------------------------------------------------------- independent library

@pytest.mark.parametrize("codec", list(PA_NAME), ids=_ids(PA_NAME))
@pytest.mark.parametrize("size", [0, 1, 1000, 200000])
def test_agrees_with_pyarrow_both_ways(codec, size):
    pa = pytest.importorskip("pyarrow")
    data = _data(size, seed=3)
    ours = C.compress(codec, data)
    assert pa.decompress(ours, size, codec=PA_NAME[codec], asbytes=True) == data
    theirs = pa.compress(data, codec=PA_NAME[codec], asbytes=True)
    assert C.decompress(codec, theirs, size).tobytes() == data


def test_gzip_output_is_gzip_for_stdlib():
    data = _data(10000)
    blob = C.compress(C.GZIP, data)
    assert blob[:2] == b"\x1f\x8b" and gzip.decompress(blob) == data


# ----------------------------------------------------------------------------- names

@pytest.mark.parametrize("name,codec", [
    (None, C.UNCOMPRESSED), ("none", C.UNCOMPRESSED), ("UNCOMPRESSED", C.UNCOMPRESSED),
    ("snappy", C.SNAPPY), ("Snappy", C.SNAPPY), ("GZIP", C.GZIP), ("zstd", C.ZSTD),
    ("brotli", C.BROTLI), ("lz4", C.LZ4_RAW), ("LZ4_RAW", C.LZ4_RAW), ("lz4_hadoop", C.LZ4), (6, C.ZSTD),
])
def test_codec_from_name(name, codec):
    assert C.codec_from_name(name) == codec


def test_codec_from_name_errors():
    with pytest.raises(ValueError, match="unknown compression 'zip'.*snappy"):
        C.codec_from_name("zip")
    with pytest.raises(ValueError):
        C.codec_from_name(42)
    with pytest.raises(TypeError):
        C.codec_from_name(1.0)
    with pytest.raises(UnsupportedFeatureError, match="LZO"):
        C.codec_from_name("lzo")
    assert C.codec_name(C.ZSTD) == "ZSTD" and C.codec_name(42) == "codec 42"


# ----------------------------------------------------------------------------- corpus

def _pages(path):
    """(section, uncompressed size, is_compressed) for every page of every column chunk:
    the section after the levels for v2 pages, the whole payload otherwise.
    Test-only page walker: pyarrow for chunk offsets, thrift for page headers."""
    pq = pytest.importorskip("pyarrow.parquet")
    from thrift.protocol import TCompactProtocol
    from thrift.transport import TTransport
    from fastpq._thrift import PageHeader

    data = path.read_bytes()
    md = pq.ParquetFile(path).metadata
    for rg in range(md.num_row_groups):
        for c in range(md.num_columns):
            cc = md.row_group(rg).column(c)
            pos = cc.dictionary_page_offset if cc.has_dictionary_page and cc.dictionary_page_offset else cc.data_page_offset
            end = pos + cc.total_compressed_size
            while pos < end:
                buf = TTransport.TMemoryBuffer(data[pos:end])
                header = PageHeader()
                header.read(TCompactProtocol.TCompactProtocol(buf))
                start = pos + buf._buffer.tell()
                body = data[start:start + header.compressed_page_size]
                levels, compressed = 0, True
                v2 = header.data_page_header_v2
                if v2 is not None:
                    levels = v2.definition_levels_byte_length + v2.repetition_levels_byte_length
                    compressed = v2.is_compressed is not False
                yield body[levels:], header.uncompressed_page_size - levels, compressed
                pos = start + header.compressed_page_size


def _manifest_files():
    import json
    manifest = TEST_DATA / "MANIFEST.json"
    if not manifest.exists():
        return []
    return [f["name"] for f in json.loads(manifest.read_text())["files"] if f["pages"]]


@pytest.mark.parametrize("name", _manifest_files())
def test_committed_test_data_pages_decompress(name):
    """Every page that pyarrow, duckdb or polars compressed (and the Hadoop LZ4 file)."""
    pq = pytest.importorskip("pyarrow.parquet")
    codec_of = {"UNCOMPRESSED": 0, "SNAPPY": 1, "GZIP": 2, "BROTLI": 4, "UNKNOWN": 5, "ZSTD": 6, "LZ4": 7}
    path = TEST_DATA / name
    codec = codec_of[pq.ParquetFile(path).metadata.row_group(0).column(0).compression]
    for body, size, compressed in _pages(path):
        assert C.decompress(codec if compressed else C.UNCOMPRESSED, body, size, max_size=size).size == size


CORPUS_FILES = {
    "hadoop_lz4_compressed.parquet": C.LZ4,
    "hadoop_lz4_compressed_larger.parquet": C.LZ4,
    "non_hadoop_lz4_compressed.parquet": C.LZ4,
    "lz4_raw_compressed.parquet": C.LZ4_RAW,
    "lz4_raw_compressed_larger.parquet": C.LZ4_RAW,
    "concatenated_gzip_members.parquet": C.GZIP,
    "large_string_map.brotli.parquet": C.BROTLI,
    "byte_stream_split.zstd.parquet": C.ZSTD,
    "datapage_v2.snappy.parquet": C.SNAPPY,
    "page_v2_empty_compressed.parquet": None,
}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize("name", sorted(CORPUS_FILES))
def test_corpus_pages_decompress(name):
    pq = pytest.importorskip("pyarrow.parquet")
    path = CORPUS / name
    md = pq.ParquetFile(path).metadata
    codec_of = {"UNCOMPRESSED": 0, "SNAPPY": 1, "GZIP": 2, "BROTLI": 4, "UNKNOWN": 5, "ZSTD": 6, "LZ4": 7}
    codec = codec_of[md.row_group(0).column(0).compression]
    if CORPUS_FILES[name] is not None:
        assert codec == CORPUS_FILES[name]
    count = 0
    for body, size, compressed in _pages(path):
        out = C.decompress(codec if compressed else C.UNCOMPRESSED, body, size)
        if codec == C.GZIP and compressed:  # an independent oracle for the multi-member file
            assert out.tobytes() == gzip.decompress(body)
        count += 1
    assert count > 0


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_hadoop_and_raw_lz4_agree():
    hadoop = [C.decompress(C.LZ4, b, n).tobytes() for b, n, _ in _pages(CORPUS / "hadoop_lz4_compressed.parquet")]
    raw = [C.decompress(C.LZ4, b, n).tobytes() for b, n, _ in _pages(CORPUS / "non_hadoop_lz4_compressed.parquet")]
    # Same table, same pages; data pages differ only in their statistics-free headers.
    assert len(hadoop) == len(raw) and hadoop[0] == raw[0]
