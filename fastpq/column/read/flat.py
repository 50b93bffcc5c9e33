"""Reading flat columns: column chunks decoded page by page into preallocated buffers.

A flat column is a top-level leaf with no repetition (``max_rep == 0``, depth 1):
one level entry per row. For a selection of row groups, ``FlatColumn``
allocates the whole output once (values, and a uint8 validity mask when the
column is optional), and each column chunk decodes straight into its slice:
definition levels become the mask, values are decoded densely at the slot of
the first row and spread to their rows in place. Byte arrays are the exception:
each chunk gets its own offsets + data (their total size is unknown up front),
which the pandas layer wraps as the chunks of one arrow array, without
concatenating them.

Chunks of one column write disjoint slices, so they may be decoded on several
threads at once (the kernels release the GIL).

Everything a column allocates from what the file claims is first charged to the
read's ``fastpq.options.Budget`` (see there for the rule): its output at
construction, byte-array data as it grows, each dictionary, and each page's
decompressed size is checked against what is left.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ..._thrift import Encoding, Type
from ...errors import CorruptFileError, EncryptedFileError, UnsupportedFeatureError
from ...options import Budget
from ...format.pages import BIT_PACKED, DictionaryPage, iter_pages
from ...kernels import bitpack, levels, plain, rle, spaced, utf8
from ...kernels.status import BAD_VALUE, TRUNCATED
from .decoders import (
    DECODERS,
    SLACK,
    BoolBuffer,
    ByteArrayBuffer,
    ByteArrays,
    CodesBuffer,
    Decoded,
    Dictionary,
    FixedBuffer,
    Int96Buffer,
    KernelError,
    check,
    check_consumed,
)

INT64_MIN = np.iinfo(np.int64).min
_NUMPY = {Type.INT32: np.int32, Type.INT64: np.int64, Type.FLOAT: np.float32, Type.DOUBLE: np.float64}
_DICTIONARY_ENCODINGS = (Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY)
# A chunk's byte-array data starts at its claimed uncompressed size when that looks real (at most
# this many times its stored bytes, and 1 GiB): an estimate that saves the copies of growing, not
# a bound (the data grows past it as values come, within the read's budget).
ESTIMATE_RATIO = 4096


@dataclass
class ChunkRef:
    """Where one column chunk lies and what it should hold."""

    row_group: int
    row_start: int        # first output slot of this chunk
    num_rows: int
    start: int            # file offset of the first page
    length: int
    codec: int
    num_values: int
    total_uncompressed_size: int
    claimed_length: int | None = None  # total_compressed_size as the metadata says it

    @property
    def exact(self) -> bool:
        """Whether ``length`` is the size the metadata gives (not cut to the file, nor extended
        past an understated size): then the chunk's last page must end where it ends."""
        return self.length == self.claimed_length


def chunk_ref(chunk, leaf, row_group: int, row_start: int, num_rows: int, data_end: int, path) -> ChunkRef:
    """Validate a ColumnChunk's metadata against the file and locate its bytes."""
    md = chunk.meta_data
    where = dict(path=path, row_group=row_group, column=leaf.path)
    if chunk.crypto_metadata is not None or chunk.encrypted_column_metadata is not None:
        # a plaintext footer (or plaintext column metadata) over encrypted pages
        raise EncryptedFileError(f"{path}: column {'.'.join(leaf.path)} of row group {row_group} is encrypted "
                                 "(Parquet modular encryption); fastpq does not support decryption")
    if md is None:
        raise CorruptFileError("column chunk has no metadata", **where)
    if md.type is None or md.codec is None or md.num_values is None or md.total_compressed_size is None \
            or md.data_page_offset is None:
        for name in ("type", "codec", "num_values", "total_compressed_size", "data_page_offset"):
            if getattr(md, name) is None:
                raise CorruptFileError(f"column chunk metadata lacks {name}", **where)
    if md.type != leaf.physical_type:
        raise CorruptFileError(f"column chunk type {md.type} differs from the schema's {leaf.physical_type}", **where)
    start = md.data_page_offset
    dpo = md.dictionary_page_offset
    if dpo is not None and 0 < dpo < start:
        start = dpo
    length = md.total_compressed_size
    if md.num_values < 0 or length < 0 or start < 4 or start > data_end:
        raise CorruptFileError(f"column chunk at offset {start} of {length} bytes lies outside the data", **where)
    length = min(length, data_end - start)  # some writers overstate it; pages are checked one by one
    return ChunkRef(row_group, row_start, num_rows, start, length, md.codec, md.num_values,
                    md.total_uncompressed_size or 0, md.total_compressed_size)


def decoded_bytes_per_row_of_leaf(leaf) -> int:
    """Bytes a leaf's decoded output takes per row (per leaf slot): its value, and its validity
    when it is optional (byte arrays: an offset; their data is charged as it comes)."""
    ptype = leaf.physical_type
    if ptype == Type.FIXED_LEN_BYTE_ARRAY:
        width = max(leaf.type_length or 0, 0)
    elif ptype == Type.INT96:
        width = 9                       # int64 value + overflow flag
    elif ptype == Type.BOOLEAN:
        width = 1
    elif ptype == Type.BYTE_ARRAY:
        width = 8                       # an offset (the bytes themselves are bounded by the pages)
    else:
        width = np.dtype(_NUMPY.get(ptype, np.int64)).itemsize
    return width + (leaf.max_def > 0)


def new_byte_arrays(ref, budget, n: int | None = None) -> ByteArrayBuffer:
    """The ByteArrayBuffer of one chunk (``n`` values, default its rows), its data charged to
    ``budget`` (see ESTIMATE_RATIO)."""
    capacity = min(ref.total_uncompressed_size, 1 << 30, ESTIMATE_RATIO * max(ref.length, 1))
    return ByteArrayBuffer(ref.num_rows if n is None else n, capacity, budget)


class FlatColumn:
    """Output buffers of one flat leaf column over a selection of row groups."""

    def __init__(self, leaf, total_rows: int, n_chunks: int, *, as_codes: bool = False,
                 int96_unit: int = plain.UNIT_NS, int96_check_exact: bool = False, limit: int | None = None,
                 codes_dtype=np.int32, budget: Budget | None = None):
        self.leaf = leaf
        # everything this column keeps is charged here: ``discard`` gives it back at once
        self.budget = (Budget() if budget is None else budget).account(column=leaf.path)
        per_row = np.dtype(codes_dtype).itemsize + (leaf.max_def > 0) if as_codes else \
            decoded_bytes_per_row_of_leaf(leaf)
        self.budget.charge(total_rows * per_row, f"{total_rows:,} rows")
        self.total_rows = total_rows
        self.as_codes = as_codes
        # keep only the first ``limit`` rows (head): a chunk stops decoding after the page that reaches them
        self.limit = None if limit is None or limit >= total_rows else max(int(limit), 0)
        # validity (uint8 per row, 1 = not null) of an optional column, allocated when a page
        # first has a null: pages whose def_levels are runs of max_def (most of an optional
        # column's, as pandas writes every column optional) write nothing
        self.valid = None
        self._valid_lock = threading.Lock()
        self.null_counts = [0] * n_chunks
        ptype = leaf.physical_type
        self.chunks: list = [None] * n_chunks  # per-chunk ByteArrayBuffer
        self.dictionaries: list = [None] * n_chunks  # per-chunk Dictionary (codes mode)
        self.chunk_rows: list = [0] * n_chunks
        if as_codes:
            self.buffer = CodesBuffer(np.empty(total_rows, codes_dtype))
        elif ptype == Type.BOOLEAN:
            self.buffer = BoolBuffer(np.empty(total_rows, np.uint8))
        elif ptype == Type.INT96:
            self.buffer = Int96Buffer(np.empty(total_rows, np.int64), int96_unit, int96_check_exact)
        elif ptype == Type.FIXED_LEN_BYTE_ARRAY:
            width = leaf.type_length
            self.buffer = FixedBuffer(np.empty((total_rows, width), np.uint8), width)
        elif ptype == Type.BYTE_ARRAY:
            self.buffer = None
        else:
            dtype = _NUMPY[ptype]
            self.buffer = FixedBuffer(np.empty(total_rows, dtype), np.dtype(dtype).itemsize)
        self.fill = self._fill_value()
        # STRING/ENUM bytes are checked as they are decoded (dictionaries once), so the
        # pandas layer can wrap them as arrow strings without another full pass
        self.utf8 = leaf.logical.kind in ("string", "enum")

    def _fill_value(self):
        if self.buffer is None or self.buffer.kind in ("bool", "codes"):
            return 0
        values = self.buffer.values
        if values.dtype.kind == "f":
            return np.nan
        if self.buffer.kind == "int96" or self.leaf.logical.kind == "timestamp":
            return INT64_MIN
        return 0

    # ------------------------------------------------------------ decoding
    def read_chunk(self, data: np.ndarray, ref: ChunkRef, index: int, path, *, verify_crc=False) -> None:
        """Decode one column chunk (its bytes in ``data``) into slots [row_start, row_start + num_rows).

        With ``limit`` set, decoding stops after the page that reaches row ``limit``.
        """
        if ref.num_values != ref.num_rows:
            raise CorruptFileError(f"column chunk holds {ref.num_values} values for {ref.num_rows} rows",
                                   offset=ref.start, path=path, row_group=ref.row_group, column=self.leaf.path)
        stop = ref.num_rows if self.limit is None else min(ref.num_rows, self.limit - ref.row_start)
        if stop <= 0 and ref.num_rows > 0:
            return
        self.chunk_rows[index] = stop
        self.null_counts[index] = 0
        kept = self.budget.account()  # the chunk's byte arrays: given back if it fails (it may be read again)
        out = self.buffer
        if out is None:
            held = kept.account()     # its dictionary, while the chunk decodes
            out = new_byte_arrays(ref, kept)
            self.chunks[index] = out
        else:  # nothing but the dictionary is kept per chunk (codes keep it): one account does
            held = kept
        base = 0 if out.kind == "bytes" else ref.row_start
        pos = 0
        dictionary = None
        page = None
        done = False
        try:
            for page in iter_pages(data, ref.start, ref.codec, self.leaf.max_def, 0, ref.num_values,
                                   verify_crc=verify_crc, budget=held, exact_end=ref.exact):
                if isinstance(page, DictionaryPage):
                    dictionary = self._dictionary(page, held)
                    if self.as_codes:
                        self.dictionaries[index] = dictionary
                    continue
                self._data_page(page, out, base + pos, ref.row_start + pos, dictionary, index)
                pos += page.num_values
                if pos >= stop:
                    break
            done = True
        except KernelError as exc:
            offset = page.offset if page is not None else ref.start
            raise CorruptFileError(str(exc), offset=offset, path=path, row_group=ref.row_group,
                                   column=self.leaf.path) from None
        except CorruptFileError as exc:
            raise exc.located(path=path, row_group=ref.row_group, column=self.leaf.path) from None
        except UnsupportedFeatureError as exc:
            raise type(exc)(f"{exc} (file {path}, row group {ref.row_group}, column {'.'.join(self.leaf.path)})") from None
        finally:
            if not self.as_codes:
                held.close()
            if not done:
                kept.close()
        if stop < ref.num_rows and out.kind == "bytes":
            out.offsets = out.offsets[:stop + 1]

    def _data_page(self, page, out, out_pos: int, row: int, dictionary, index: int) -> None:
        if self.as_codes and page.encoding not in _DICTIONARY_ENCODINGS:
            raise NotDictionaryEncoded()
        n = page.num_values
        n_valid = self._validity(page, n, row)
        if page.num_nulls is not None and page.num_nulls != n - n_valid and self.leaf.max_def > 0:
            raise KernelError(BAD_VALUE, f"page says {page.num_nulls} nulls, its levels say {n - n_valid}")
        decode = DECODERS.get(page.encoding)
        if decode is None:
            raise UnsupportedFeatureError(f"encoding {Encoding._VALUES_TO_NAMES.get(page.encoding, page.encoding)}"
                                          " is not supported")
        src = page.buf[page.values_start:]
        check_consumed(decode(src, n_valid, out, out_pos, dictionary), src, n_valid, "values")
        if self.utf8 and out.kind == "bytes" and page.encoding not in _DICTIONARY_ENCODINGS:
            _check_utf8(out.offsets, out_pos, out_pos + n_valid, out.data)
        if n_valid < n:
            self.null_counts[index] += n - n_valid
            self._spread(out, out_pos, n, n_valid, row)

    def _validity(self, page, n: int, row: int) -> int:
        if self.leaf.max_def == 0:
            return n
        lv = page.def_
        if lv is None:
            raise KernelError(BAD_VALUE, "data page of an optional column has no definition levels")
        if self.valid is None:
            if lv.encoding != BIT_PACKED and levels.def_levels_all_max(page.buf, lv.start, lv.end, lv.bit_width, n,
                                                                       self.leaf.max_def) == 1:
                return n
            with self._valid_lock:
                if self.valid is None:
                    self.valid = np.ones(self.total_rows, np.uint8)
        if lv.encoding == BIT_PACKED:
            scratch = np.empty(n, np.int16)
            check(bitpack.bit_packed_legacy_decode(page.buf, lv.start, lv.end, lv.bit_width, n, scratch, 0),
                  "definition levels")
            return check(levels.validity_from_def_levels(scratch, n, self.leaf.max_def, self.valid, row),
                         "definition levels")
        return check(levels.def_levels_to_validity(page.buf, lv.start, lv.end, lv.bit_width, n,
                                                   self.leaf.max_def, self.valid, row), "definition levels")

    def _spread(self, out, out_pos: int, n: int, n_valid: int, row: int) -> None:
        kind = out.kind
        if kind == "bytes":
            check(spaced.expand_offsets_spaced(out.offsets, out_pos, n, n_valid, self.valid, row), "nulls")
        elif kind == "codes":
            check(spaced.expand_codes_spaced(out.values, out_pos, n, n_valid, self.valid, row), "nulls")
        elif out.values.ndim == 2:
            check(levels.expand_spaced_rows(out.values, out_pos, n, n_valid, self.valid, row, 0), "nulls")
        else:
            check(levels.expand_spaced(out.values, out_pos, n, n_valid, self.valid, row, self.fill), "nulls")
            if kind == "int96":
                check(levels.expand_spaced(out.overflow, out_pos, n, n_valid, self.valid, row, False), "nulls")

    def _dictionary(self, page: DictionaryPage, budget: Budget) -> Dictionary:
        """The decoded dictionary, charged to ``budget``."""
        if page.encoding not in (Encoding.PLAIN, Encoding.PLAIN_DICTIONARY):
            raise KernelError(BAD_VALUE, f"dictionary page with encoding {page.encoding}")
        n = page.num_values
        ptype = self.leaf.physical_type
        width, smallest = self._entry_sizes()
        # n is checked against the page before anything is allocated for it
        if n > (8 * len(page.buf) if ptype == Type.BOOLEAN else len(page.buf) // smallest):
            raise KernelError(TRUNCATED, "dictionary page")
        budget.charge(n * width, f"a dictionary of {n:,} values")
        if ptype == Type.BYTE_ARRAY:
            buf = ByteArrayBuffer(n, len(page.buf) + SLACK, budget)  # slack kept: the gather kernel's fast path
            end = check(plain.plain_byte_array_decode(page.buf, 0, n, buf.offsets, 0, buf.data), "dictionary page")
            check_consumed(end, page.buf, n, "dictionary page")
            if self.utf8:
                _check_utf8(buf.offsets, 0, n, buf.data)
            return Dictionary((buf.offsets, buf.data), n)
        if ptype == Type.INT96:
            unit = self.buffer.unit if self.buffer.kind == "int96" else plain.UNIT_NS
            values = np.empty(n, np.int64)
            overflow = np.zeros(n, np.bool_)
            end = check(plain.plain_decode_int96(page.buf, 0, n, unit, values, overflow, 0), "dictionary page")
            check_consumed(end, page.buf, n, "dictionary page")
            if overflow.any():
                raise Int96Overflow()
            if self.buffer.kind == "int96":
                self.buffer.note_exactness(page.buf, n)
            return Dictionary(values, n)
        if ptype == Type.BOOLEAN:
            values = np.empty(n, np.uint8)
            end = check(rle.plain_bool_decode(page.buf, 0, len(page.buf), n, values, 0), "dictionary page")
            check_consumed(end, page.buf, n, "dictionary page")
            return Dictionary(values, n)
        check_consumed(n * width, page.buf, n, "dictionary page")
        buf = page.buf
        # a page decompressed for this chunk alone and holding exactly the values is kept as it
        # is (charged above); a view of the chunk's bytes (reused by the next chunk) is copied
        raw = buf if buf.base is None and len(buf) == n * width else np.array(buf[: n * width])
        values = raw if ptype == Type.FIXED_LEN_BYTE_ARRAY else raw.view(_NUMPY[ptype])
        return Dictionary(values, n)

    def _entry_sizes(self) -> tuple:
        """(decoded bytes per dictionary entry, bytes of the smallest encoded entry), computed once:
        byte arrays decode to an offset (their data is charged by the buffer) from at least a
        4-byte length, INT96 to 9 bytes from 12, booleans to a byte from a bit (checked apart)."""
        sizes = self.__dict__.get("_sizes")
        if sizes is None:
            ptype = self.leaf.physical_type
            width = {Type.BYTE_ARRAY: 8, Type.INT96: 9, Type.BOOLEAN: 1}.get(ptype) or \
                (self.leaf.type_length if ptype == Type.FIXED_LEN_BYTE_ARRAY else np.dtype(_NUMPY[ptype]).itemsize)
            sizes = self._sizes = (width, max({Type.BYTE_ARRAY: 4, Type.INT96: 12}.get(ptype, width), 1))
        return sizes

    def discard(self) -> None:
        """This column will not be used (it is read again another way): give back its charges."""
        self.budget.close()

    # ------------------------------------------------------------ results
    @property
    def rows(self) -> int:
        """Rows in the result: ``total_rows``, or ``limit`` when set."""
        return self.total_rows if self.limit is None else self.limit

    @property
    def has_nulls(self) -> bool:
        if self.limit is None:
            return sum(self.null_counts) > 0
        return self.valid is not None and not self.valid[:self.limit].all()

    def decoded(self) -> Decoded:
        """The kept rows' values (or codes and each chunk's dictionary) and validity."""
        buf = self.buffer
        n = self.rows
        valid = None if self.valid is None else self.valid[:n]
        if self.as_codes:
            return Decoded(self.leaf, n, values=buf.values[:n], valid=valid, has_nulls=self.has_nulls,
                           as_codes=True, dictionaries=tuple(self._dictionary_values()),
                           chunk_rows=tuple(self.chunk_rows))
        return Decoded(self.leaf, n, values=None if buf is None else buf.values[:n],
                       chunks=None if buf is not None else tuple(None if c is None else c.result()
                                                                 for c in self.chunks),
                       valid=valid, has_nulls=self.has_nulls,
                       int96_unit=buf.unit if buf is not None and buf.kind == "int96" else 0)

    def _dictionary_values(self):
        """Each chunk's dictionary as ``Decoded`` values (codes mode), None where a chunk had none."""
        for d in self.dictionaries:
            if d is None:
                yield None
            elif self.leaf.physical_type == Type.BYTE_ARRAY:
                offsets, data = d.values
                yield Decoded(self.leaf, d.size, chunks=(ByteArrays(offsets, data[:offsets[-1]]),))
            else:
                values = d.values.reshape(-1, self.leaf.type_length) if self.leaf.physical_type == \
                    Type.FIXED_LEN_BYTE_ARRAY else d.values
                yield Decoded(self.leaf, d.size, values=values)

    @property
    def int96_overflowed(self) -> bool:
        return self.buffer is not None and self.buffer.kind == "int96" and bool(self.buffer.overflow.any())


def _check_utf8(offsets, first: int, last: int, data) -> None:
    if not utf8.utf8_valid_values(offsets, first, last, data):
        raise KernelError(BAD_VALUE, "STRING values that are not valid UTF-8")


class NotDictionaryEncoded(Exception):
    """A column read as categorical codes has a page that is not dictionary-encoded."""


class Int96Overflow(Exception):
    """An INT96 value does not fit the requested unit: read the column again at a coarser one."""
