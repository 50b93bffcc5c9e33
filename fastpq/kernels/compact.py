"""Skipping over Thrift compact-protocol bytes without building objects.

Used by the footer reader to find where each RowGroup of a FileMetaData starts
and ends (and its num_rows and byte sizes) in one fast pass, so that row groups
are decoded into thrift objects only when first used. The compact protocol
(Thrift's TCompactProtocol specification) in brief: a field header byte holds a
field-id delta (high nibble, 0 = zigzag varint id follows) and a type (low
nibble); containers carry their element types; structs end with a 0 byte.

Every function returns a position >= 0 or a negative status code; nesting is
walked with an explicit stack (no recursion) bounded by ``MAX_DEPTH``.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .status import BAD_HEADER, TRUNCATED

MAX_DEPTH = 64

# compact type ids
BOOL_TRUE = 1
BOOL_FALSE = 2
BYTE = 3
I16 = 4
I32 = 5
I64 = 6
DOUBLE = 7
BINARY = 8
LIST = 9
SET = 10
MAP = 11
STRUCT = 12

_IN_STRUCT = 0
_IN_LIST = 1
_IN_MAP = 2


@kernel
def read_varint(buf, pos, end):
    """Decode an unsigned LEB128 varint at ``pos``: (value as uint64, new pos | status)."""
    result = np.uint64(0)
    shift = 0
    while True:
        if pos >= end:
            return np.uint64(0), TRUNCATED
        b = buf[pos]
        pos += 1
        if shift >= 64 or (shift == 63 and (b & 0x7E) != 0):
            return np.uint64(0), BAD_HEADER
        result |= np.uint64(b & 0x7F) << np.uint64(shift)
        if b < 0x80:
            return result, pos
        shift += 7


@kernel
def _skip_scalar(buf, pos, end, ttype, in_container):
    """Skip one non-container value of compact type ``ttype``."""
    if ttype == BOOL_TRUE or ttype == BOOL_FALSE:
        return pos + 1 if in_container else pos
    if ttype == BYTE:
        return pos + 1
    if ttype == I16 or ttype == I32 or ttype == I64:
        _, pos = read_varint(buf, pos, end)
        return pos
    if ttype == DOUBLE:
        return pos + 8
    if ttype == BINARY:
        n, pos = read_varint(buf, pos, end)
        if pos < 0:
            return pos
        if n > np.uint64(end - pos):
            return TRUNCATED
        return pos + np.int64(n)
    return BAD_HEADER


@kernel
def skip_value(buf, pos, end, ttype):
    """Skip one value of compact type ``ttype`` starting at ``pos`` (structs, containers included)."""
    kind = np.empty(MAX_DEPTH, np.int8)
    left = np.empty(MAX_DEPTH, np.int64)
    etype = np.empty(MAX_DEPTH, np.int8)
    vtype = np.empty(MAX_DEPTH, np.int8)
    depth = 0
    t = ttype
    in_container = False
    while True:
        # t is the type of the value at pos, or -1 when a frame must advance
        if t >= 0:
            if t == LIST or t == SET or t == MAP or t == STRUCT:
                if depth >= MAX_DEPTH:
                    return BAD_HEADER
                if pos >= end:
                    return TRUNCATED
                if t == STRUCT:
                    kind[depth] = _IN_STRUCT
                elif t == MAP:
                    n, pos = read_varint(buf, pos, end)
                    if pos < 0:
                        return pos
                    kind[depth] = _IN_MAP
                    left[depth] = 2 * np.int64(min(n, np.uint64(end)))
                    if n > 0:
                        if pos >= end:
                            return TRUNCATED
                        etype[depth] = buf[pos] >> 4
                        vtype[depth] = buf[pos] & 0x0F
                        pos += 1
                else:
                    h = buf[pos]
                    pos += 1
                    n = np.uint64(h >> 4)
                    if n == 15:
                        n, pos = read_varint(buf, pos, end)
                        if pos < 0:
                            return pos
                    kind[depth] = _IN_LIST
                    left[depth] = np.int64(min(n, np.uint64(end)))
                    etype[depth] = h & 0x0F
                depth += 1
            else:
                pos = _skip_scalar(buf, pos, end, t, in_container)
                if pos < 0:
                    return pos
                if pos > end:
                    return TRUNCATED
            if depth == 0:
                return pos
            t = -1
            continue
        # advance the innermost frame
        d = depth - 1
        if kind[d] == _IN_STRUCT:
            if pos >= end:
                return TRUNCATED
            h = buf[pos]
            pos += 1
            if h == 0:
                depth -= 1
                if depth == 0:
                    return pos
                continue
            if (h >> 4) == 0:
                _, pos = read_varint(buf, pos, end)
                if pos < 0:
                    return pos
            t = h & 0x0F
            in_container = False
        else:
            if left[d] == 0:
                depth -= 1
                if depth == 0:
                    return pos
                continue
            left[d] -= 1
            if kind[d] == _IN_MAP and (left[d] & 1) == 0:
                t = vtype[d]
            else:
                t = etype[d]
            in_container = True


@kernel
def scan_row_groups(buf, pos, end, starts, ends, num_rows, byte_sizes, compressed_sizes):
    """Walk the elements of FileMetaData.row_groups (a list of RowGroup structs).

    ``pos`` points at the first RowGroup (just after the list header). For each
    element i it records starts[i], ends[i], num_rows[i] (field 3),
    byte_sizes[i] (field 2, total_byte_size) and compressed_sizes[i] (field 6,
    -1 when absent). Returns the position after the last element or a status.
    """
    for i in range(starts.shape[0]):
        starts[i] = pos
        num_rows[i] = -1
        byte_sizes[i] = -1
        compressed_sizes[i] = -1
        fid = 0
        while True:
            if pos >= end:
                return TRUNCATED
            h = buf[pos]
            pos += 1
            if h == 0:
                break
            delta = h >> 4
            t = h & 0x0F
            if delta == 0:
                raw, pos = read_varint(buf, pos, end)
                if pos < 0:
                    return pos
                fid = np.int64((raw >> np.uint64(1)) ^ (np.uint64(0) - (raw & np.uint64(1))))
            else:
                fid += delta
            if t == I64 and (fid == 2 or fid == 3 or fid == 6):
                raw, pos = read_varint(buf, pos, end)
                if pos < 0:
                    return pos
                value = np.int64(raw >> np.uint64(1)) ^ (-np.int64(raw & np.uint64(1)))
                if fid == 2:
                    byte_sizes[i] = value
                elif fid == 3:
                    num_rows[i] = value
                else:
                    compressed_sizes[i] = value
            else:
                pos = skip_value(buf, pos, end, t)
                if pos < 0:
                    return pos
        ends[i] = pos
    return pos


@kernel
def struct_fields(buf, pos, end, fids, types, starts, ends):
    """List the top-level fields of the struct at ``pos``: id, compact type, value start and end.

    Returns the number of fields found (at most fids.shape[0]) or a status;
    the struct's end is ends[count - 1] + 1 (the stop byte).
    """
    count = 0
    fid = 0
    while True:
        if pos >= end:
            return TRUNCATED
        h = buf[pos]
        pos += 1
        if h == 0:
            return count
        if count >= fids.shape[0]:
            return BAD_HEADER
        delta = h >> 4
        if delta == 0:
            raw, pos = read_varint(buf, pos, end)
            if pos < 0:
                return pos
            fid = np.int64((raw >> np.uint64(1)) ^ (np.uint64(0) - (raw & np.uint64(1))))
        else:
            fid += delta
        t = h & 0x0F
        fids[count] = fid
        types[count] = t
        starts[count] = pos
        pos = skip_value(buf, pos, end, t)
        if pos < 0:
            return pos
        ends[count] = pos
        count += 1


# PageHeader fields decoded by parse_page_header, by slot in its output array.
PH_TYPE, PH_UNCOMPRESSED, PH_COMPRESSED, PH_CRC = 0, 1, 2, 3
PH_NUM_VALUES, PH_ENCODING, PH_DEF_ENCODING, PH_REP_ENCODING = 4, 5, 6, 7       # DataPageHeader
PH_DICT_NUM_VALUES, PH_DICT_ENCODING = 8, 9                                     # DictionaryPageHeader
PH_V2_NUM_VALUES, PH_V2_NUM_NULLS, PH_V2_NUM_ROWS, PH_V2_ENCODING = 10, 11, 12, 13  # DataPageHeaderV2
PH_V2_DEF_LENGTH, PH_V2_REP_LENGTH, PH_V2_IS_COMPRESSED = 14, 15, 16
PH_SIZE = 17
MISSING = -(1 << 63)

# (struct field id of the PageHeader, field id inside it) -> output slot; i32 and bool fields only
_SUB_SLOTS = np.full((9, 9), -1, np.int64)
_SUB_SLOTS[0, 1:5] = [PH_TYPE, PH_UNCOMPRESSED, PH_COMPRESSED, PH_CRC]
_SUB_SLOTS[5, 1:5] = [PH_NUM_VALUES, PH_ENCODING, PH_DEF_ENCODING, PH_REP_ENCODING]
_SUB_SLOTS[7, 1:3] = [PH_DICT_NUM_VALUES, PH_DICT_ENCODING]
_SUB_SLOTS[8, 1:8] = [PH_V2_NUM_VALUES, PH_V2_NUM_NULLS, PH_V2_NUM_ROWS, PH_V2_ENCODING,
                      PH_V2_DEF_LENGTH, PH_V2_REP_LENGTH, PH_V2_IS_COMPRESSED]


@kernel
def parse_page_header(buf, pos, end, out):
    """Decode the fields of a PageHeader that reading needs, skipping the rest
    (statistics included), into ``out`` (PH_SIZE int64 slots, MISSING where absent).

    Replaces a thrift decode per page (measured: ~40 us with required-field
    checks, against ~1 us here). Walks the PageHeader and, one level down, its
    DataPageHeader / DictionaryPageHeader / DataPageHeaderV2. Returns the
    position after the header or a status.
    """
    out[:] = MISSING
    parent = 0      # 0 in the PageHeader, else the id of the sub-header being read
    outer_fid = 0   # the PageHeader field id to resume from after a sub-header
    fid = 0
    while True:
        if pos >= end:
            return TRUNCATED
        h = buf[pos]
        pos += 1
        if h == 0:
            if parent == 0:
                return pos
            parent = 0
            fid = outer_fid
            continue
        t = h & 0x0F
        if (h >> 4) == 0:
            raw, pos = read_varint(buf, pos, end)
            if pos < 0:
                return pos
            fid = np.int64((raw >> np.uint64(1)) ^ (np.uint64(0) - (raw & np.uint64(1))))
        else:
            fid += h >> 4
        if parent == 0 and t == STRUCT and (fid == 5 or fid == 7 or fid == 8):
            parent = fid
            outer_fid = fid
            fid = 0
            continue
        slot = _SUB_SLOTS[parent, fid] if 0 < fid < 9 else -1
        if slot >= 0 and t == I32:
            raw, pos = read_varint(buf, pos, end)
            if pos < 0:
                return pos
            v = np.int64(raw >> np.uint64(1)) ^ (-np.int64(raw & np.uint64(1)))
            if v < -2147483648 or v > 2147483647:
                return BAD_HEADER
            out[slot] = v
        elif slot >= 0 and (t == BOOL_TRUE or t == BOOL_FALSE):
            out[slot] = 1 if t == BOOL_TRUE else 0
        else:
            pos = skip_value(buf, pos, end, t)
            if pos < 0:
                return pos
