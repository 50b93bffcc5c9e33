"""ZSTD page decompression through the system's libzstd (ctypes), when it is there.

cramjam's ``zstd.decompress_into`` streams each page through zstd's window buffer and
copies it out; on the read benchmark's 1,548 pages (178 MB) it runs at 0.78 GB/s,
where zstd's one-shot ``ZSTD_decompressDCtx`` with a reused context (what pyarrow's
C++ does) runs at 0.95-0.99 GB/s. So when the shared library loads (``libzstd.so.1``
on Linux, ``libzstd.dylib`` on macOS), pages are decompressed by it, with one context
per thread (ctypes releases the GIL during the call); otherwise, or with
``FASTPQ_LIBZSTD=0``, by cramjam. Compression stays with cramjam. The library is a
system component, not a Python dependency: nothing is installed for it.

Safety: the call gets the exact capacity of the output array and the exact size of
the input; zstd never writes past the capacity and reports a frame that needs more as
an error, like any corrupt input.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

import numpy as np

_NAMES = ("libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib")
_MIN_VERSION = 10400          # 1.4.0; any libzstd since 1.0 has these calls


class ZstdError(ValueError):
    """libzstd refused a frame; ``too_small`` if it needs more than the output holds."""

    def __init__(self, name: str, too_small: bool):
        super().__init__(name)
        self.too_small = too_small


def _open(name):
    try:
        lib = ctypes.CDLL(name)
        lib.ZSTD_versionNumber.restype = ctypes.c_uint
        if lib.ZSTD_versionNumber() < _MIN_VERSION:
            return None
        lib.ZSTD_createDCtx.restype = ctypes.c_void_p
        lib.ZSTD_freeDCtx.argtypes = [ctypes.c_void_p]
        lib.ZSTD_decompressDCtx.restype = ctypes.c_size_t
        lib.ZSTD_decompressDCtx.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                            ctypes.c_void_p, ctypes.c_size_t]
        lib.ZSTD_isError.restype = ctypes.c_uint
        lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        lib.ZSTD_getErrorName.restype = ctypes.c_char_p
        lib.ZSTD_getErrorName.argtypes = [ctypes.c_size_t]
        return lib
    except (OSError, AttributeError):
        return None


def _load():
    if os.environ.get("FASTPQ_LIBZSTD", "1") == "0":
        return None
    for name in _NAMES:
        lib = _open(name)
        if lib is not None:
            return lib
    name = ctypes.util.find_library("zstd")   # runs ldconfig / searches paths: only as a fallback
    return _open(name) if name else None


_lib = None
_loaded = False
_local = threading.local()


def library():
    """The loaded libzstd, or None (loaded on first use, not at import)."""
    global _lib, _loaded
    if not _loaded:
        _lib, _loaded = _load(), True
    return _lib


class _Context:
    """A thread's decompression context, freed with the thread."""

    def __init__(self, lib):
        self.lib = lib
        self.ptr = lib.ZSTD_createDCtx()
        if not self.ptr:
            raise MemoryError("ZSTD_createDCtx failed")

    def __del__(self):
        if self.ptr:
            self.lib.ZSTD_freeDCtx(self.ptr)
            self.ptr = None


def decompress_into(src: np.ndarray, out: np.ndarray) -> int:
    """Decompress the zstd frame(s) in ``src`` (C-contiguous uint8) into ``out`` (C-contiguous,
    writable uint8); returns the bytes written. Raises ZstdError for anything zstd refuses."""
    lib = library()
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _local.ctx = _Context(lib)
    n = lib.ZSTD_decompressDCtx(ctx.ptr, out.ctypes.data, out.size, src.ctypes.data, src.size)
    if lib.ZSTD_isError(n):
        name = lib.ZSTD_getErrorName(n).decode("ascii", "replace")
        raise ZstdError(name, "too small" in name.lower())
    return n
