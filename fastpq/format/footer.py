"""The Parquet footer: finding it at the end of a file, decoding it, writing it.

Layout (Parquet README, "File Format"): ``PAR1 <column chunks> <FileMetaData>
<4-byte little-endian footer length> PAR1``; ``PARE`` instead of the final
magic marks an encrypted footer.

Reading takes one read of the file's tail (64 KiB by default) and a second one
only when the footer is larger. Decoding is lazy for row groups: one pass of a
numba kernel records where each RowGroup starts and ends (and its num_rows and
sizes), everything else in FileMetaData is decoded at once, and a RowGroup is
decoded into a thrift object on first access (see ``RowGroupList``). Encoding
splices the raw bytes of row groups that were never decoded, so appending to a
file with a large footer costs a copy, not a decode and re-encode.
"""
from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

from .._thrift import FileMetaData, RowGroup
from ..errors import CorruptFileError, EncryptedFileError
from ..kernels.varint import uleb128_bytes
from . import thrift_io

MAGIC = b"PAR1"
MAGIC_ENCRYPTED = b"PARE"
TAIL_READ = 64 * 1024
_MAX_TOP_FIELDS = 64
_ROW_GROUPS_FIELD = 4
_COMPACT_LIST = 9
_COMPACT_STRUCT = 12


# --------------------------------------------------------------------- reading

def read_footer_bytes(f, size: int, path=None, tail: int = TAIL_READ) -> bytes:
    """Return the serialized FileMetaData of the file-like ``f`` of ``size`` bytes.

    Checks both magics (the leading one when it lies inside the tail read, or
    when ``f`` is cheap to seek: callers for remote files pass ``check_head``
    through ``tail``'s read), the footer length bounds, and raises
    ``EncryptedFileError`` for encrypted footers.
    """
    if size < 12:
        raise CorruptFileError(f"file is {size} bytes, too small for Parquet (at least 12)", path=path)
    first = min(size, tail)
    f.seek(size - first)
    data = _read_exactly(f, first, size - first, path)
    end_magic = data[-4:]
    if end_magic == MAGIC_ENCRYPTED:
        raise EncryptedFileError(f"{path or 'file'}: encrypted footer (PARE): Parquet modular encryption is not supported")
    if end_magic != MAGIC:
        raise CorruptFileError(f"not a Parquet file: ends with {end_magic!r}, expected {MAGIC!r}", path=path, offset=size - 4)
    footer_len = struct.unpack("<I", data[-8:-4])[0]
    if footer_len == 0 or footer_len > size - 12:
        raise CorruptFileError(
            f"footer length {footer_len} does not fit in a file of {size} bytes", path=path, offset=size - 8
        )
    footer_start = size - 8 - footer_len
    if first == size and data[:4] != MAGIC:
        raise CorruptFileError(f"not a Parquet file: starts with {data[:4]!r}, expected {MAGIC!r}", path=path, offset=0)
    if footer_len + 8 <= first:
        return data[first - 8 - footer_len: first - 8]
    f.seek(footer_start)
    return _read_exactly(f, footer_len, footer_start, path)


def check_head_magic(f, path=None) -> None:
    """Check the leading ``PAR1`` (one 4-byte read)."""
    f.seek(0)
    head = f.read(4)
    if head != MAGIC:
        raise CorruptFileError(f"not a Parquet file: starts with {head!r}, expected {MAGIC!r}", path=path, offset=0)


def _read_exactly(f, n: int, offset: int, path) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise CorruptFileError(f"short read: wanted {n} bytes, got {len(data)}", path=path, offset=offset)
    return bytes(data)


def parse_file_metadata(buf: bytes, path=None) -> FileMetaData:
    """Decode a serialized FileMetaData; its ``row_groups`` is a lazy ``RowGroupList``."""
    from ..kernels import compact

    arr = np.frombuffer(buf, np.uint8)
    n = len(buf)
    fids = np.zeros(_MAX_TOP_FIELDS, np.int64)
    types = np.zeros(_MAX_TOP_FIELDS, np.int8)
    starts = np.zeros(_MAX_TOP_FIELDS, np.int64)
    ends = np.zeros(_MAX_TOP_FIELDS, np.int64)
    count = compact.struct_fields(arr, 0, n, fids, types, starts, ends)
    if count < 0:
        raise _corrupt_status(count, "FileMetaData", path)
    rg_fields = [i for i in range(count) if fids[i] == _ROW_GROUPS_FIELD and types[i] == _COMPACT_LIST]
    if not rg_fields:
        fmd, _ = _decode(FileMetaData, buf, path)
        fmd.row_groups = RowGroupList.from_objects(fmd.row_groups or [])
        return fmd
    i = rg_fields[-1]
    start, end = int(starts[i]), int(ends[i])
    row_groups = _scan_row_groups(buf, arr, start, end, path)
    # Decode everything else with the row-group list replaced by an empty one.
    stripped = buf[:start] + bytes([_COMPACT_STRUCT]) + buf[end:]
    fmd, _ = _decode(FileMetaData, stripped, path)
    fmd.row_groups = row_groups
    return fmd


def _scan_row_groups(buf, arr, start: int, end: int, path) -> "RowGroupList":
    from ..kernels import compact, varint

    header = int(arr[start])
    count = header >> 4
    if count and header & 0x0F != _COMPACT_STRUCT:
        raise CorruptFileError("FileMetaData.row_groups is not a list of structs", path=path, offset=start)
    pos = start + 1
    if count == 15:
        count, pos = varint.read_uleb128(arr, pos, end)
        count, pos = int(count), int(pos)
        if pos < 0 or count > end - pos:
            raise CorruptFileError("FileMetaData.row_groups has an invalid length", path=path, offset=start)
    columns = [np.empty(count, np.int64) for _ in range(5)]
    status = compact.scan_row_groups(arr, pos, end, *columns)
    if status < 0:
        raise _corrupt_status(status, "FileMetaData.row_groups", path)
    return RowGroupList(buf, *columns, path=path)


def _decode(cls, buf, path):
    try:
        return thrift_io.decode(cls, buf, cls.__name__)
    except CorruptFileError as exc:
        raise exc.located(path=path) from None


def _corrupt_status(status, what, path):
    from ..kernels.status import describe

    return CorruptFileError(f"cannot decode {what}: {describe(status)}", path=path)


class RowGroupList(Sequence):
    """FileMetaData.row_groups, decoded one RowGroup at a time on first access.

    ``num_rows``, ``total_byte_size`` and ``total_compressed_size`` (numpy
    arrays, -1 where absent) are known without decoding anything. Objects added
    with ``append`` / ``extend`` are kept as they are.
    """

    def __init__(self, buf, starts, ends, num_rows, byte_sizes, compressed_sizes, path=None):
        self._buf = buf
        self._starts = starts
        self._ends = ends
        self.num_rows = num_rows
        self.total_byte_size = byte_sizes
        self.total_compressed_size = compressed_sizes
        self._objects: list = [None] * len(starts)
        self._path = path

    @classmethod
    def from_objects(cls, row_groups) -> "RowGroupList":
        empty = np.empty(0, np.int64)
        out = cls(b"", empty, empty, empty, empty, empty)
        out.extend(row_groups)
        return out

    def __len__(self) -> int:
        return len(self._objects)

    def __getitem__(self, i):
        if isinstance(i, slice):
            with thrift_io.paused_gc():
                return [self[j] for j in range(*i.indices(len(self)))]
        obj = self._objects[i]
        if obj is None:
            i = range(len(self))[i]
            obj = self._decode(i)
            self._objects[i] = obj
        return obj

    def _decode(self, i: int) -> RowGroup:
        start, end = int(self._starts[i]), int(self._ends[i])
        try:
            obj, _ = thrift_io.decode(RowGroup, self._buf[start:end], f"RowGroup {i}", deep=False)
        except CorruptFileError as exc:
            raise exc.located(path=self._path, row_group=i) from None
        return obj

    def __iter__(self):
        return iter(self[:])

    def append(self, row_group: RowGroup) -> None:
        self._objects.append(row_group)
        self.num_rows = np.append(self.num_rows, row_group.num_rows)
        self.total_byte_size = np.append(self.total_byte_size, row_group.total_byte_size)
        tcs = row_group.total_compressed_size
        self.total_compressed_size = np.append(self.total_compressed_size, -1 if tcs is None else tcs)

    def extend(self, row_groups) -> None:
        for rg in row_groups:
            self.append(rg)

    def take(self, indices) -> "RowGroupList":
        """The row groups at ``indices`` (a list or a slice) as a new list sharing this one's
        bytes: those never decoded stay undecoded (a dataset's ``_metadata`` split by file)."""
        idx = indices if isinstance(indices, slice) else np.asarray(indices, dtype=np.int64)
        if len(self._starts) != len(self._objects):  # some were added as objects
            return RowGroupList.from_objects([self[int(i)] for i in range(len(self))[idx]])
        out = RowGroupList(self._buf, self._starts[idx], self._ends[idx], self.num_rows[idx],
                           self.total_byte_size[idx], self.total_compressed_size[idx], self._path)
        out._objects = self._objects[idx] if isinstance(idx, slice) else [self._objects[i] for i in idx]
        return out

    def spans(self):
        """(buffer, starts, ends) of the row groups as bytes, for compact-protocol scanners;
        None when some were built as objects rather than parsed."""
        if len(self._starts) != len(self._objects):
            return None
        return self._buf, self._starts, self._ends

    def encoded(self, i: int) -> bytes:
        """The compact encoding of row group ``i``: its original bytes if never decoded."""
        if i < len(self._starts) and self._objects[i] is None:
            return self._buf[int(self._starts[i]): int(self._ends[i])]
        return thrift_io.encode(self[i])

    def __eq__(self, other):
        if not isinstance(other, Sequence) or len(other) != len(self):
            return NotImplemented if not isinstance(other, Sequence) else False
        return all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"<RowGroupList of {len(self)} row groups>"


# --------------------------------------------------------------------- writing

def encode_file_metadata(fmd: FileMetaData) -> bytes:
    """Serialize ``fmd`` with the compact protocol, splicing undecoded row groups as raw bytes."""
    row_groups = fmd.row_groups
    if not isinstance(row_groups, RowGroupList):
        return thrift_io.encode(fmd)
    head = FileMetaData(version=fmd.version, schema=fmd.schema, num_rows=fmd.num_rows)
    tail = FileMetaData(
        key_value_metadata=fmd.key_value_metadata,
        created_by=fmd.created_by,
        column_orders=fmd.column_orders,
        encryption_algorithm=fmd.encryption_algorithm,
        footer_signing_key_metadata=fmd.footer_signing_key_metadata,
    )
    head_bytes = thrift_io.encode(head)[:-1]  # drop the stop byte
    parts = [head_bytes, _field_header(_ROW_GROUPS_FIELD, _last_field_id(head), _COMPACT_LIST)]
    parts.append(_list_header(len(row_groups), _COMPACT_STRUCT))
    parts.extend(row_groups.encoded(i) for i in range(len(row_groups)))
    tail_bytes = thrift_io.encode(tail)
    if tail_bytes != b"\x00":
        tail_bytes = _rebase_first_field(tail_bytes, _ROW_GROUPS_FIELD)
    parts.append(tail_bytes)
    return b"".join(parts)


def footer_bytes(fmd: FileMetaData) -> bytes:
    """The bytes that end a file: serialized metadata, its length and the magic."""
    body = encode_file_metadata(fmd)
    return body + struct.pack("<I", len(body)) + MAGIC


def _last_field_id(obj) -> int:
    last = 0
    for spec in obj.thrift_spec:
        if spec is not None and getattr(obj, spec[2]) is not None:
            last = spec[0]
    return last


def _field_header(fid: int, previous: int, ctype: int) -> bytes:
    delta = fid - previous
    if 0 < delta <= 15:
        return bytes([(delta << 4) | ctype])
    return bytes([ctype]) + uleb128_bytes((fid << 1) ^ (fid >> 31))


def _list_header(n: int, etype: int) -> bytes:
    if n < 15:
        return bytes([(n << 4) | etype])
    return bytes([0xF0 | etype]) + uleb128_bytes(n)


def _rebase_first_field(encoded: bytes, previous: int) -> bytes:
    """Rewrite the first field header of a struct encoded from field id 0 to follow ``previous``."""
    h = encoded[0]
    delta = h >> 4
    if delta == 0:  # long form: the absolute id follows, nothing to rebase
        return encoded
    fid = delta
    return _field_header(fid, previous, h & 0x0F) + encoded[1:]


def row_group_position(key, n: int) -> int:
    """The position of row group ``key`` (an int or numpy integer; negative counts from the end) among
    ``n``: the one check of a row-group index given by a caller."""
    import operator

    try:
        i = operator.index(key)
    except TypeError:
        raise TypeError(f"row groups are selected by int, slice or list of ints, not {type(key).__name__}") from None
    if not -n <= i < n:
        raise IndexError(f"row group {i} out of range for {n} row groups")
    return i % n
