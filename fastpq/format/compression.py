"""Page compression: the Parquet ``CompressionCodec`` values and their byte-level codecs.

This module owns turning the compressed bytes of one page (data or dictionary
page, or the compressed section of a v2 data page) into exactly
``uncompressed_page_size`` bytes and back, for every codec of the spec
(Compression.md): UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4 (deprecated, with
Hadoop framing), ZSTD and LZ4_RAW. LZO is recognised but not supported.
It knows nothing about page headers, files or columns: a failure raises a
``CorruptFileError`` without location, and the caller adds it with
``err.located(path=..., row_group=..., column=..., offset=...)``.

All codecs go through cramjam, which decompresses straight into a caller's
buffer (``*_into``) for every codec used here, except that ZSTD pages are
decompressed by the system's libzstd when it is present (``libzstd.py``:
one-shot with a per-thread context, ~25 % faster than cramjam's streaming). python-snappy 0.7 is itself a
wrapper over cramjam's raw snappy plus a ``bytes()`` copy, so it cannot be
faster (measured ~990 MB/s against cramjam's ~1050-1400 MB/s) and is not used.

Measured (cramjam 2.14, this project's 2-core machine, best of 5): 64 MiB of
plain-encoded values -- sorted int64 ids, int64 codes in 0..999, float64
prices with 2 decimals, float64 normals, 16 MiB each -- in 1 MiB pages,
decompressed into one preallocated array ("into") versus cramjam allocating
its own buffer per page:

    codec     ratio   into (MB/s)   cramjam-allocated (MB/s)
    SNAPPY    1.64       ~1420          ~1070
    LZ4_RAW   1.62       ~1870          ~1330
    ZSTD      2.37        ~750           ~755
    GZIP      2.29        ~350           ~340
    BROTLI    2.39        ~200           ~190

Decompressing into place wins 30-40% for the fast codecs (no allocation and no
page faults on fresh memory) and never loses, so ``decompress`` always goes
through ``*_into``: into the caller's ``out`` (the page reader's slice of the
column buffer) or a fresh ``np.empty``.

Size guard (hostile ``uncompressed_size``)
------------------------------------------
``np.empty`` only reserves address space, so allocating a declared size that
the data does not fill costs little; the real risk is a small page that truly
expands to gigabytes (a "bomb"). ``decompress`` therefore:

* always rejects sizes a codec cannot reach from ``len(src)`` bytes (snappy's
  own length header must match; LZ4 expands at most ~255x, deflate at most
  1032x; UNCOMPRESSED must match exactly) -- see ``check_size``;
* decompresses into exactly ``uncompressed_size`` bytes: output beyond them is
  refused by the codec (nothing larger is ever allocated), output short of
  them is corruption too;
* rejects ``uncompressed_size > max_size`` when the caller passes ``max_size``.

ZSTD and BROTLI have no useful intrinsic bound, and genuine pages do expand
~30,000x (a page of zeros; parquet-testing's ``large_string_map.brotli.parquet``
holds a 1 GiB page in 1.6 KB), so no ratio separates a bomb from a real page.
The page reader (``fastpq.format.pages``) instead asks the read's budget
(``fastpq.options.max_decoded_bytes``) for room for the declared size first.
"""
from __future__ import annotations

import numpy as np
import cramjam

from fastpq.errors import CorruptFileError, UnsupportedFeatureError
from fastpq.format import libzstd

__all__ = [
    "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW",
    "CODEC_NAMES", "decompress", "compress", "codec_from_name", "codec_name",
    "max_uncompressed_size", "check_size",
]

# Parquet CompressionCodec enum (parquet.thrift).
UNCOMPRESSED = 0
SNAPPY = 1
GZIP = 2
LZO = 3
BROTLI = 4
LZ4 = 5          # deprecated: Hadoop-framed LZ4 blocks (or raw / frame in the wild)
ZSTD = 6
LZ4_RAW = 7      # a plain LZ4 block

CODEC_NAMES = {
    UNCOMPRESSED: "UNCOMPRESSED", SNAPPY: "SNAPPY", GZIP: "GZIP", LZO: "LZO",
    BROTLI: "BROTLI", LZ4: "LZ4", ZSTD: "ZSTD", LZ4_RAW: "LZ4_RAW",
}

_NAME_ALIASES = {
    "none": UNCOMPRESSED, "uncompressed": UNCOMPRESSED, "snappy": SNAPPY,
    "gzip": GZIP, "lzo": LZO, "brotli": BROTLI, "lz4": LZ4_RAW,
    "lz4_hadoop": LZ4, "zstd": ZSTD, "lz4_raw": LZ4_RAW,
}
# 'lz4' means LZ4_RAW, as in pyarrow, duckdb and polars: the spec deprecates
# codec 5 for writers; it stays reachable as 'lz4_hadoop'.

# Default levels when ``level`` is None: zlib's and zstd's own defaults; brotli
# at 11 (its library default) compresses ~10x slower than at 5 for a few per
# cent, so 5 it is (the same trade-off most Parquet writers make).
_DEFAULT_LEVEL = {GZIP: 6, ZSTD: 3, BROTLI: 5}
_LEVEL_RANGE = {GZIP: (0, 9), ZSTD: (-131072, 22), BROTLI: (0, 11), LZ4: (1, 12), LZ4_RAW: (1, 12)}

# Hadoop's BlockCompressorStream: each block is BE32 raw length, then sub-blocks
# of BE32 compressed length + LZ4 block. We write the whole page as ONE block
# with one sub-block, as Arrow C++ does: pyarrow and duckdb also read several
# blocks, but polars 2.1 fails on a page whose last block's compressed size (+8)
# is not larger than the previous block's (measured on a 4-block page), so
# several blocks would cost interoperability for nothing.
_LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"

# Worst-case expansion used by max_uncompressed_size. An LZ4 sequence's
# extension bytes each add at most 255 output bytes; deflate's maximum ratio is
# 1032:1 (a 258-byte match from ~2 bits). The constants absorb tiny inputs.
_LZ4_MAX_RATIO = 255
_DEFLATE_MAX_RATIO = 1032
_SLACK = 64


def codec_name(codec: int) -> str:
    """The spec's name of a codec value, or ``'codec <n>'`` for an unknown one."""
    return CODEC_NAMES.get(codec, f"codec {codec}")


def codec_from_name(name) -> int:
    """Codec value for a user-facing name: 'snappy', 'gzip', 'zstd', 'brotli',
    'lz4' / 'lz4_raw' (LZ4_RAW, as other libraries mean it), 'lz4_hadoop' (the
    deprecated Hadoop-framed codec 5), 'none'/'uncompressed'
    or None (uncompressed). Case-insensitive; an int codec value passes through.
    'lzo' is recognised and rejected as unsupported.
    """
    if name is None:
        return UNCOMPRESSED
    if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
        codec = int(name)
        if codec not in CODEC_NAMES:
            raise ValueError(f"unknown compression codec value {codec}; expected one of {sorted(CODEC_NAMES)}")
    elif isinstance(name, str):
        codec = _NAME_ALIASES.get(name.strip().lower())
        if codec is None:
            raise ValueError(
                f"unknown compression {name!r}; expected one of "
                "'snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'lz4_raw', 'none' (or None)")
    else:
        raise TypeError(f"compression must be a codec name, a codec value or None, not {type(name).__name__}")
    if codec == LZO:
        raise UnsupportedFeatureError("LZO compression (codec 3) is not supported")
    return codec


def max_uncompressed_size(codec: int, compressed_size: int) -> int | None:
    """The largest output ``compressed_size`` bytes of ``codec`` can possibly
    decompress to, or None when the codec has no useful bound (ZSTD, BROTLI,
    unknown codecs). ``decompress`` applies this check itself."""
    if codec == UNCOMPRESSED:
        return compressed_size
    if codec == SNAPPY:          # a copy-2 op emits at most 64 bytes from 3
        return compressed_size * 22 + _SLACK
    if codec in (LZ4, LZ4_RAW):
        return compressed_size * _LZ4_MAX_RATIO + _SLACK
    if codec == GZIP:
        return compressed_size * _DEFLATE_MAX_RATIO + _SLACK
    return None


def check_size(codec: int, compressed_size: int, uncompressed_size: int) -> None:
    """Raise ``CorruptFileError`` if ``compressed_size`` bytes of ``codec`` cannot decompress to
    ``uncompressed_size`` (negative, or beyond ``max_uncompressed_size``): before allocating for it."""
    if uncompressed_size < 0:
        raise _corrupt(codec, uncompressed_size, "a negative declared size")
    bound = max_uncompressed_size(codec, compressed_size)
    if bound is not None and uncompressed_size > bound:
        raise _corrupt(codec, uncompressed_size, f"{compressed_size} compressed bytes, which cannot expand beyond "
                                                 f"{bound}")


# ----------------------------------------------------------------------------- decompress

class _Mismatch(Exception):
    """Internal: the codec produced a different size than expected (``got`` is words)."""

    def __init__(self, got: str):
        super().__init__(got)
        self.got = got


def _as_u8(src) -> np.ndarray:
    """A zero-copy C-contiguous uint8 view of bytes / bytearray / memoryview / ndarray."""
    if isinstance(src, np.ndarray):
        src = np.ascontiguousarray(src).reshape(-1)  # copies only a strided array
        return src if src.dtype == np.uint8 else src.view(np.uint8)
    return np.frombuffer(src, dtype=np.uint8)


as_u8 = _as_u8


def _check_out(out, size: int) -> np.ndarray:
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.ndim != 1:
        raise TypeError("out must be a 1-D uint8 numpy array")
    if out.size != size:
        raise ValueError(f"out has {out.size} bytes; uncompressed_size is {size}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writable")
    return out


def _exact(n: int, size: int) -> None:
    if n != size:
        raise _Mismatch(str(n))


def _snappy(src, out):
    size = out.size
    declared = cramjam.snappy.decompress_raw_len(src)
    if declared != size:                # checked before touching the output
        raise _Mismatch(str(declared))
    n = cramjam.snappy.decompress_raw_into(src, out)
    if n != size:
        raise _Mismatch(str(n))


def _gzip(src, out):
    # cramjam's gzip decoder reads every concatenated member (spec: readers
    # should). Data with a zlib header instead of gzip is accepted too, as
    # zlib's own inflate does when asked to auto-detect.
    if src.size >= 2 and src[0] == 0x1F and src[1] == 0x8B:
        n = cramjam.gzip.decompress_into(src, out)
    else:
        n = cramjam.zlib.decompress_into(src, out)
    _exact(n, out.size)


def _zstd(src, out):
    if libzstd.library() is None:
        n = cramjam.zstd.decompress_into(src, out)
    else:                               # the system's libzstd: ~25 % faster (see libzstd.py)
        try:
            n = libzstd.decompress_into(src, out)
        except libzstd.ZstdError as exc:
            if exc.too_small:
                raise _Mismatch(f"more than {out.size} (decoder: {exc})") from None
            raise
    _exact(n, out.size)


def _brotli(src, out):
    _exact(cramjam.brotli.decompress_into(src, out), out.size)


def _lz4_raw(src, out):
    _exact(cramjam.lz4.decompress_block_into(src, out), out.size)


def _be32(src, pos: int) -> int:
    return int.from_bytes(src[pos:pos + 4].tobytes(), "big")


def _hadoop_plausible(src, size: int) -> bool:
    """The first Hadoop block header fits: raw length <= size, compressed length <= rest."""
    return src.size >= 8 and _be32(src, 0) <= size and _be32(src, 4) <= src.size - 8


def _lz4_hadoop(src, out):
    """Hadoop BlockCompressorStream framing: blocks of (BE32 raw length, then
    sub-blocks of BE32 compressed length + LZ4 block until raw length is reached).
    Arrow and parquet-mr write one sub-block per block; several are accepted."""
    n, size = src.size, out.size
    pos = opos = 0
    while pos < n:
        if n - pos < 8:
            raise _Mismatch("a truncated Hadoop LZ4 block header")
        end = opos + _be32(src, pos)
        pos += 4
        if end > size:
            raise _Mismatch(f"Hadoop LZ4 blocks totalling more than {size}")
        while True:
            if n - pos < 4:
                raise _Mismatch("a truncated Hadoop LZ4 sub-block header")
            clen = _be32(src, pos)
            pos += 4
            if clen > n - pos:
                raise _Mismatch("a Hadoop LZ4 sub-block longer than the page")
            opos += cramjam.lz4.decompress_block_into(src[pos:pos + clen], out[opos:end])
            pos += clen
            if opos >= end:
                break
    _exact(opos, size)


def _lz4_frame(src, out):
    _exact(cramjam.lz4.decompress_into(src, out), out.size)


def _lz4_any(src, out):
    """Codec 5 as found in the wild: Hadoop framing (when its first header is
    consistent), else a raw LZ4 block (older parquet-cpp), else an LZ4 frame."""
    errors = []
    attempts = []
    if _hadoop_plausible(src, out.size):
        attempts.append(("Hadoop framing", _lz4_hadoop))
    attempts.append(("raw block", _lz4_raw))
    if src[:4].tobytes() == _LZ4_FRAME_MAGIC:
        attempts.append(("LZ4 frame", _lz4_frame))
    for label, fn in attempts:
        try:
            fn(src, out)
            return
        except (_Mismatch, cramjam.DecompressionError) as exc:
            errors.append(f"{label}: {exc}")
    raise _Mismatch("nothing readable as " + "; ".join(errors))


def _uncompressed(src, out):
    _exact(src.size, out.size)
    out[:] = src


_DECOMPRESSORS = {
    UNCOMPRESSED: _uncompressed, SNAPPY: _snappy, GZIP: _gzip, BROTLI: _brotli,
    LZ4: _lz4_any, ZSTD: _zstd, LZ4_RAW: _lz4_raw,
}


def _corrupt(codec: int, size: int, got: str) -> CorruptFileError:
    return CorruptFileError(
        f"cannot decompress page with codec {codec_name(codec)} ({codec}): "
        f"expected {size} bytes, got {got}")


def _describe_failure(exc: BaseException, size: int) -> str:
    text = str(exc)
    if "smaller than required" in text or "failed to write whole buffer" in text:
        return f"more than {size} (decoder: {text})"
    return f"a decoding error ({type(exc).__name__}: {text})"


def decompress(codec: int, src, uncompressed_size: int, out=None, *, max_size: int | None = None):
    """Decompress one page's bytes with ``codec`` into exactly ``uncompressed_size`` bytes.

    ``src`` is bytes, bytearray, memoryview or a uint8 numpy array. ``out``, if
    given, is a writable C-contiguous 1-D uint8 array of exactly
    ``uncompressed_size`` bytes that the codec writes into (and which is
    returned); otherwise a new array is allocated. The result is a 1-D uint8
    ``np.ndarray``; for UNCOMPRESSED without ``out`` it is a zero-copy (possibly
    read-only) view of ``src``.

    Raises ``CorruptFileError`` ("... codec X ...: expected N bytes, got M") when
    the data does not decompress to exactly ``uncompressed_size`` bytes, when the
    codec library fails for any reason, when ``uncompressed_size`` is negative,
    beyond what the codec can produce from ``len(src)`` bytes, or above
    ``max_size``. Raises ``UnsupportedFeatureError`` for LZO and unknown codec
    values. Wrong ``out`` arguments are programming errors (TypeError/ValueError).
    ``max_size`` (optional) is the caller's bound on ``uncompressed_size``; see
    the module docstring for the suggested policy.
    """
    fn = _DECOMPRESSORS.get(codec)
    if fn is None:
        if codec == LZO:
            raise UnsupportedFeatureError("LZO compression (codec 3) is not supported")
        raise UnsupportedFeatureError(f"unknown compression codec {codec!r}")
    size = int(uncompressed_size)
    src = _as_u8(src)
    if not (codec == UNCOMPRESSED and out is None):
        check_size(codec, src.size, size)
    elif size < 0:
        raise _corrupt(codec, size, "a negative declared size")
    if max_size is not None and size > max_size:
        raise _corrupt(codec, size, f"a declared size above the limit of {max_size} bytes")
    if codec == UNCOMPRESSED and out is None:
        if src.size != size:
            raise _corrupt(codec, size, str(src.size))
        return src
    if size == 0 and src.size == 0:
        # Some writers emit an empty (zero-byte) compressed section for an empty
        # page, e.g. a v2 data page with only levels; no codec would accept it.
        return np.empty(0, np.uint8) if out is None else _check_out(out, 0)
    out = np.empty(size, np.uint8) if out is None else _check_out(out, size)
    return _run(fn, codec, src, out, size)


def decompress_page(codec: int, src: np.ndarray, size: int) -> np.ndarray:
    """``decompress(codec, src, size)`` into a new array, for the page reader, which has already
    run ``check_size(codec, src.size, size)`` on ``src`` (a C-contiguous 1-D uint8 array: a
    slice of the chunk's bytes): the same result and errors, without checking again (one call
    per page, not a dozen)."""
    fn = _DECOMPRESSORS.get(codec)
    if fn is None or codec == UNCOMPRESSED or size == 0:
        return decompress(codec, src, size)
    out = np.empty(size, np.uint8)
    try:
        fn(src, out)
    except _Mismatch as exc:
        raise _corrupt(codec, size, exc.got) from None
    except BaseException as exc:   # the same as _run, inline: one call less per page
        _failure(exc, codec, size)
    return out


def _run(fn, codec: int, src: np.ndarray, out: np.ndarray, size: int) -> np.ndarray:
    """``fn(src, out)``, its failures as CorruptFileError; returns ``out``."""
    try:
        fn(src, out)
    except _Mismatch as exc:
        raise _corrupt(codec, size, exc.got) from None
    except BaseException as exc:
        _failure(exc, codec, size)
    return out


def _failure(exc: BaseException, codec: int, size: int):
    """Raise a codec's failure as CorruptFileError (a Rust panic surfaces as pyo3's
    PanicException, a BaseException); anything else (KeyboardInterrupt...) as it is."""
    if isinstance(exc, Exception) or type(exc).__name__ == "PanicException":
        raise _corrupt(codec, size, _describe_failure(exc, size)) from exc
    raise exc


# ----------------------------------------------------------------------------- compress

def _level(codec: int, level):
    if level is None:
        return _DEFAULT_LEVEL.get(codec)
    if codec not in _LEVEL_RANGE:
        raise ValueError(f"codec {codec_name(codec)} takes no compression level (got {level!r})")
    lo, hi = _LEVEL_RANGE[codec]
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not lo <= level <= hi:
        raise ValueError(f"{codec_name(codec)} compression level must be an int in {lo}..{hi}, not {level!r}")
    return int(level)


def _lz4_block(data, level) -> bytes:
    if level is None:
        return bytes(cramjam.lz4.compress_block(data, store_size=False))
    return bytes(cramjam.lz4.compress_block(data, mode="high_compression", compression=level, store_size=False))


def _lz4_hadoop_compress(data, level) -> bytes:
    if data.size == 0:
        return b""
    block = _lz4_block(data, level)
    return data.size.to_bytes(4, "big") + len(block).to_bytes(4, "big") + block


def compress(codec: int, data, level: int | None = None) -> bytes:
    """Compress one page's bytes with ``codec`` (any codec but LZO).

    ``level`` applies to GZIP (0-9, default 6), ZSTD (-131072..22, default 3),
    BROTLI (0-11, default 5) and LZ4 / LZ4_RAW (1-12: LZ4 high-compression mode;
    default: LZ4's fast mode); other codecs reject a level. LZ4 (codec 5) is
    written with Hadoop framing as Arrow writes it: one block per page (BE32
    raw length, BE32 compressed length, LZ4 block), which parquet-mr, Arrow,
    duckdb and polars read.
    An empty ``data`` gives the codec's encoding of nothing (never b'' except for
    UNCOMPRESSED and LZ4).
    """
    if codec == LZO:
        raise UnsupportedFeatureError("LZO compression (codec 3) is not supported")
    if codec not in _DECOMPRESSORS:
        raise UnsupportedFeatureError(f"unknown compression codec {codec!r}")
    level = _level(codec, level)
    data = _as_u8(data)
    if codec == UNCOMPRESSED:
        return data.tobytes()
    if codec == SNAPPY:
        return bytes(cramjam.snappy.compress_raw(data))
    if codec == GZIP:
        return bytes(cramjam.gzip.compress(data, level=level))
    if codec == ZSTD:
        return bytes(cramjam.zstd.compress(data, level=level))
    if codec == BROTLI:
        return bytes(cramjam.brotli.compress(data, level=level))
    if codec == LZ4_RAW:
        return _lz4_block(data, level)
    return _lz4_hadoop_compress(data, level)
