"""Settings a caller may change, and the per-read accounting that enforces them.

One setting so far, ``max_decoded_bytes``: the most a single read (one file's
``read_file``: ``ParquetFile.to_pandas`` / ``read``, ``head``, each file of a
dataset read) may decode. Parquet has no bound of its own on what a few bytes
decode to -- an RLE run repeats a level 2**31 times in five bytes, a zstd page
of zeros expands ~30,000x, and legitimate files do both (parquet-testing's
``large_string_map.brotli.parquet`` holds two 1 GiB pages in 4 KB) -- so no ratio
can tell a bomb from a genuine file: only the caller knows how much they mean
to read. The rule:

* what the metadata declares is cross-checked where it can be (a chunk's pages
  give exactly its ``num_values`` level entries, a flat chunk one per row, a
  nested chunk's levels exactly its row group's ``num_rows`` rows, a page
  decompresses to exactly its ``uncompressed_page_size`` -- into a buffer of
  that size, an overrun is corruption);
* everything a read allocates from those claims (output values, validity,
  offsets, byte-array data, nested levels, dictionaries, and each decompressed
  page while it lives) is charged to a ``Budget`` *before* it is allocated; a
  charge beyond ``max_decoded_bytes`` raises ``DecodedBytesLimitError`` (a
  ``ParquetError``) naming the setting, instead of a ``MemoryError`` or an
  exhausted machine.

``max_decoded_bytes`` is None by default: the environment variable
``FASTPQ_MAX_DECODED_BYTES`` (bytes, or with a K/M/G/T suffix: ``8G``) when set,
else half the memory this process may use (the smallest of physical memory,
the cgroup's memory limit and the room left under ``RLIMIT_AS`` /
``RLIMIT_DATA``), at least 256 MiB. Set ``fastpq.options.max_decoded_bytes`` (an
int) for the process, or for a block with ``fastpq.options.override(...)``.
"""
from __future__ import annotations

import functools
import os
import re
import threading
from contextlib import contextmanager

from .errors import CorruptFileError, DecodedBytesLimitError

ENV = "FASTPQ_MAX_DECODED_BYTES"
FLOOR = 256 << 20          # the default never goes below this
FALLBACK = 4 << 30         # the default where the machine's memory cannot be found
MEMORY_FRACTION = 2        # the default is 1/MEMORY_FRACTION of the memory available

max_decoded_bytes: int | None = None
"""The most one read may decode, in bytes (None: ``FASTPQ_MAX_DECODED_BYTES``, else sized to the machine)."""

_UNITS = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}


@contextmanager
def override(*, max_decoded_bytes: int | None):
    """Set ``max_decoded_bytes`` for the block, then restore it. Process-wide, as the attribute
    is (reads that run on other threads meanwhile, a dataset's among them, see it too)."""
    previous = globals()["max_decoded_bytes"]  # the module attribute, which the argument shadows
    globals()["max_decoded_bytes"] = _validated(max_decoded_bytes, "max_decoded_bytes")
    try:
        yield
    finally:
        globals()["max_decoded_bytes"] = previous


def decoded_bytes_limit() -> tuple[int, str]:
    """(the limit a read starting now gets, where it comes from: for the error message)."""
    value = _validated(max_decoded_bytes, "fastpq.options.max_decoded_bytes")
    if value is not None:
        return value, "set as fastpq.options.max_decoded_bytes"
    text = os.environ.get(ENV, "").strip()
    if text:
        return parse_size(text, ENV), f"set by the environment variable {ENV}={text}"
    return default_max_decoded_bytes(), "the default: half the memory this process may use"


def default_max_decoded_bytes() -> int:
    available = memory_available()
    if available is None:
        return FALLBACK
    return max(FLOOR, available // MEMORY_FRACTION)


def memory_available() -> int | None:
    """Bytes of memory this process may use: physical memory, a cgroup limit, and the room left
    under RLIMIT_AS / RLIMIT_DATA, whichever is least (None when none is known)."""
    bounds = [b for b in (_physical_memory(), _cgroup_limit(), *_rlimit_room()) if b is not None]
    return min(bounds) if bounds else None


@functools.cache
def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        return None


@functools.cache
def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max" (v2), or a page-rounded 2**63 (v1): none
            return int(text)
    return None


def _rlimit_room() -> list:
    """What is left under the address-space and data-segment limits, where they are set."""
    try:
        import resource
    except ImportError:  # Windows
        return []
    room = []
    for which, field in ((resource.RLIMIT_AS, "VmSize"), (getattr(resource, "RLIMIT_DATA", None), "VmData")):
        if which is None:
            continue
        soft, _ = resource.getrlimit(which)
        if soft != resource.RLIM_INFINITY and soft > 0:
            room.append(max(soft - _proc_status_bytes(field), 0))
    return room


def _proc_status_bytes(field: str) -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def parse_size(text: str, name: str = ENV) -> int:
    """Bytes from ``"1073741824"``, ``"1G"``, ``"512MiB"``, ``"64k"`` (binary units)."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"{name}={text!r}: expected a positive number of bytes, optionally with a K, M, G "
                         "or T suffix (e.g. 8G)")
    return int(m.group(1)) << _UNITS[m.group(2).lower()]


def _validated(value, name: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive int (bytes) or None, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


# ------------------------------------------------------------------------------------ accounting
class Budget:
    """The decoded bytes of one read: ``charge`` before allocating what is kept, ``fits`` before
    allocating what is dropped soon after (a decompressed page), ``release`` what was dropped.

    ``account(column)`` gives a part of the budget that ``close`` returns at once (a column
    read again at another unit, a chunk's pages once decoded). Charges of the read's threads
    share one lock; near the limit, which of two concurrent charges fails depends on timing.
    """

    def __init__(self, limit: int | None = None, path=None, *, _parent: "Budget | None" = None,
                 column=None):
        self._root = self if _parent is None else _parent._root
        self._parent = _parent
        if _parent is None:
            self.limit, self._source = decoded_bytes_limit() if limit is None else (limit, "given")
            self._lock = threading.Lock()
            self.path = path
        self.column = column if column is not None or _parent is None else _parent.column
        self.used = 0

    def account(self, column=None) -> "Budget":
        return Budget(_parent=self, column=column)

    @property
    def room(self) -> int:
        """Bytes the read may still decode."""
        root = self._root
        return max(root.limit - root.used, 0)

    def fits(self, nbytes: int, what: str) -> None:
        """Raise unless ``nbytes`` more would stay within the limit (nothing is charged)."""
        if int(nbytes) > self.room:
            self.refuse(what, nbytes)

    def charge(self, nbytes: int, what: str) -> None:
        """Count ``nbytes`` about to be allocated and kept; raise if they are beyond the limit."""
        nbytes = int(nbytes)
        if nbytes < 0:
            raise CorruptFileError(f"{what}: a negative size ({nbytes:,} bytes)", path=self._root.path,
                                   column=self.column)
        root = self._root
        with root._lock:
            within = root.used + nbytes <= root.limit
            if within:
                self._add(nbytes)
        if not within:
            self.refuse(what, nbytes)

    def release(self, nbytes: int) -> None:
        with self._root._lock:
            self._add(-int(nbytes))

    def _add(self, nbytes: int) -> None:
        node = self
        while node is not None:
            node.used += nbytes
            node = node._parent

    def close(self) -> None:
        """Give back everything this account charged."""
        self.release(self.used)

    def refuse(self, what: str, nbytes: int | None = None):
        """Raise DecodedBytesLimitError: decoding ``what`` (``nbytes`` more bytes) is beyond the limit."""
        root = self._root
        if nbytes is not None:
            what = f"{what} ({int(nbytes):,} bytes)"
        where = f"file {root.path}" if root.path is not None else "this read"
        if self.column is not None:
            col = ".".join(self.column) if isinstance(self.column, (list, tuple)) else self.column
            where += f", column {col!r}"
        raise DecodedBytesLimitError(
            f"{where}: decoding {what} would take this read past its limit of {root.limit:,} decoded bytes "
            f"({root.used:,} already decoded); the limit is fastpq.options.max_decoded_bytes ({root._source}). "
            f"If the file is trusted and the memory is there, raise it: fastpq.options.max_decoded_bytes = "
            f"<bytes>, `with fastpq.options.override(max_decoded_bytes=...)`, or {ENV}=<bytes> (e.g. 16G)",
            limit=root.limit, used=root.used, needed=nbytes)
