"""Fetching one column chunk's bytes from a file and decoding them into a column's output.

Shared by flat reading (``fastpq.file.read``) and nested reading
(``fastpq.file.read_nested``): both hand a column object with a
``read_chunk(data, ref, k, path, verify_crc=...)`` method and a ``leaf``.
"""
from __future__ import annotations

import threading

import numpy as np

from .decoders import INT96_UNITS  # noqa: F401 - re-exported for the readers
from .flat import chunk_ref
from ...errors import CorruptFileError
from ...format.pages import ChunkTooShort


class ChunkBuffers:
    """Byte buffers that the chunks of one read take turns in.

    A chunk's bytes are dead once it is decoded (every decoder copies what it keeps:
    values, dictionaries, levels), so the next chunk is read into the same memory
    instead of fresh pages: first touch of fresh memory costs about 10 ms per
    100 MB here (page faults and zeroing), as much as reading the bytes. At most
    one buffer per thread is alive; all go when the read ends.
    """

    def __init__(self):
        self._free: list = []
        self._lock = threading.Lock()

    def take(self, length: int) -> np.ndarray:
        with self._lock:
            buf = self._free.pop() if self._free else None
        if buf is None or len(buf) < length:
            buf = np.empty(length + length // 8, np.uint8)  # room for slightly larger later chunks
        return buf

    def give(self, buf: np.ndarray) -> None:
        with self._lock:
            self._free.append(buf)


def decode_chunks(pf, cols, rgs, starts, pool, verify) -> None:
    """Decode every (column, selected row group) chunk of ``cols`` on the pool."""
    jobs = [(col, k) for col in cols for k in range(len(rgs))]
    buffers = ChunkBuffers()
    list(pool.map(lambda job: decode_chunk(pf, job[0], rgs, starts, job[1], verify, buffers), jobs))


# A row group's chunks are read with one read when they lie within this many bytes of each other
# (and fill at least half of the span): 2,000 row groups of 4 small chunks, one read per row
# group instead of four. Larger row groups gain nothing from it and would hold the span in memory.
BLOCK_MAX = 16 << 20


class Block:
    """The bytes [start, start + len(data)) of a file, read once for several chunks."""

    __slots__ = ("start", "data", "buf", "refs")

    def __init__(self, start: int, data: np.ndarray, buf: np.ndarray, refs: dict | None = None):
        self.start, self.data, self.buf = start, data, buf
        self.refs = {} if refs is None else refs   # column_index -> its validated ChunkRef (rows unset)

    def view(self, start: int, length: int):
        """``data`` of [start, start + length) when the block holds all of it, else None."""
        lo = start - self.start
        if lo < 0 or lo + length > len(self.data):
            return None
        return self.data[lo:lo + length]


def row_group_block(pf, cols, i: int, buffers: ChunkBuffers) -> Block | None:
    """One read of the chunks of ``cols`` in row group ``i`` when they lie close together
    (``BLOCK_MAX``), else None (each chunk is then read alone; so are chunks whose metadata is
    bad: ``decode_chunk`` raises for them)."""
    if len(cols) < 2 or pf.metadata.row_groups.num_rows[i] <= 0:  # nothing to read in an empty row group
        return None
    data_end = pf.file_size - pf.footer_size - 8
    rg = pf.metadata.row_groups[i]
    spans = []
    refs = {}
    for col in cols:
        leaf = col.leaf
        if len(rg.columns) <= leaf.column_index:
            return None
        try:
            ref = chunk_ref(rg.columns[leaf.column_index], leaf, i, 0, 0, data_end, pf.path)
        except CorruptFileError:
            return None
        spans.append((ref.start, ref.start + ref.length))
        refs[leaf.column_index] = ref
    lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    if hi - lo > BLOCK_MAX or 2 * sum(e - s for s, e in spans) < hi - lo:
        return None
    buf = buffers.take(hi - lo)
    return Block(lo, pf.source.read_array(lo, hi - lo, out=buf), buf, refs)


def decode_chunk(pf, col, rgs, starts, k: int, verify, buffers: ChunkBuffers | None = None,
                 block: Block | None = None) -> None:
    """Read and decode the chunk of ``col`` in the k-th selected row group (its bytes from
    ``block`` when that holds them)."""
    leaf = col.leaf
    data_end = pf.file_size - pf.footer_size - 8
    i = rgs[k]
    rg = pf.metadata.row_groups[i]
    if len(rg.columns) <= leaf.column_index:
        raise CorruptFileError(f"row group has {len(rg.columns)} column chunks, the schema has more",
                               path=pf.path, row_group=i)
    n = int(starts[k + 1] - starts[k])
    chunk = rg.columns[leaf.column_index]
    if n == 0 and chunk.meta_data is not None and chunk.meta_data.num_values == 0:
        return  # an empty row group: some writers leave its offsets at 0
    ref = None if block is None else block.refs.pop(leaf.column_index, None)  # validated already
    if ref is None:
        ref = chunk_ref(chunk, leaf, i, int(starts[k]), n, data_end, pf.path)
    else:
        ref.row_start, ref.num_rows = int(starts[k]), n
    data = None if block is None else block.view(ref.start, ref.length)
    buf = None if buffers is None or data is not None else buffers.take(ref.length)
    try:
        if data is None:
            data = pf.source.read_array(ref.start, ref.length, out=buf)
        try:
            col.read_chunk(data, ref, k, pf.path, verify_crc=verify)
        except ChunkTooShort:
            # Old writers (parquet-mr < 1.2.x, some Impala) understate total_compressed_size:
            # retry with the bytes up to the footer, the page headers say where pages end.
            if ref.length >= data_end - ref.start:
                raise
            ref.length = data_end - ref.start
            data = pf.source.read_array(ref.start, ref.length)
            col.read_chunk(data, ref, k, pf.path, verify_crc=verify)
    finally:
        if buf is not None:
            buffers.give(buf)
