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


def decode_chunk(pf, col, rgs, starts, k: int, verify, buffers: ChunkBuffers | None = None) -> None:
    """Read and decode the chunk of ``col`` in the k-th selected row group."""
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
    ref = chunk_ref(chunk, leaf, i, int(starts[k]), n, data_end, pf.path)
    buf = None if buffers is None else buffers.take(ref.length)
    try:
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
