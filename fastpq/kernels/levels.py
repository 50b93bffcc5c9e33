"""Definition / repetition levels <-> validity masks, list offsets and leaf positions.

Implements the Dremel levels of README.md "Nested Encoding" / "Nulls" and the
LIST / MAP shapes of LogicalTypes.md "Nested Types" (level streams themselves are
RLE / bit-packed, see :mod:`fastpq.kernels.rle`, or BIT_PACKED, see
:mod:`fastpq.kernels.bitpack`). Owns:

* flat optional columns (max_rep == 0): :func:`def_levels_to_validity` (straight
  from the encoded def_levels), :func:`validity_from_def_levels` (decoded ones);
* :func:`expand_spaced` / :func:`expand_spaced_rows`: densely decoded values moved
  in place to their slots, ``fill`` at nulls;
* nested columns: :func:`level_info`, :func:`decode_nested_levels` (levels ->
  offsets, validity, leaf positions) and :func:`encode_nested_levels` (the inverse).

Model. The path from the root to a leaf is a list of fields, each required,
optional or repeated. Optional and repeated fields add 1 to the definition level;
repeated fields add 1 to the repetition level, so the L-th repeated field has
rep level L. The repeated fields cut the path into *nesting levels* 0..max_rep:
level 0 are the rows, level L the items of the L-th repeated field. A *slot* is
one row (level 0) or one item (level L). ``list_def[L]`` is the def level at which a
level-L slot exists (``list_def[0] = 0``, else the L-th repeated field's def level).
Each optional field k has a def level ``node_def[k]`` and sits at the nesting level
``node_level[k]`` of the nearest repeated field above it (0 if none): its validity
is one byte per slot of that level. A level entry ``(rep r, def d)`` opens a new
slot at every level L = r, r+1, ... while ``d >= list_def[L]``; in each opened slot
an optional field k of that level is valid iff ``d >= node_def[k]``. Leaf values
are stored only for entries with ``d == max_def``; in the spaced leaf array (one
position per slot of level max_rep) they sit where ``leaf_valid`` is 1.

Worked example: a nullable list of nullable int32::

    optional group a (LIST) {          # optional field 0: def 1, nesting level 0
      repeated group list {            # repeated field 1: def 2, rep 1
        optional int32 element;        # optional field 1: def 3, nesting level 1
      }
    }
    rows:        [1, None]      None      []      [2]
    rep_levels:   0   1          0         0       0
    def_levels:   3   2          0         1       3        values: 1, 2

    level_info(["optional", "repeated", "optional"])
      -> max_def 3, max_rep 1, list_def [0, 2], node_def [1, 3], node_level [0, 1]
    decode_nested_levels(def_levels, rep_levels, info)
      n_slots    [4, 3]                 4 rows, 3 list items (1, None, 2)
      offsets    [[0, 2, 2, 2, 3]]      items of row i: offsets[0][i]:offsets[0][i+1]
      validity   [[1, 0, 1, 1],         field 'a' per row (row 1 is a null list)
                  [1, 0, 1]]            'element' per item
      leaf_valid [1, 0, 1], n_values 2  -> expand_spaced(vals, 0, 3, 2, leaf_valid, 0, fill)
                                           turns [1, 2, _] into [1, fill, 2]

``encode_nested_levels(info, 4, offsets, validity)`` gives those rep/def levels
back, plus ``leaf_take`` (which leaf slots hold a value to write).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fastpq.errors import CorruptFileError
from fastpq.kernels._jit import kernel
from fastpq.kernels.bitpack import _U, _check_out, _unpack_unchecked
from fastpq.kernels.plain import store_le8
from fastpq.kernels.rle import _next_run
from fastpq.kernels.status import (BAD_BIT_WIDTH, BAD_LEVEL, BAD_VALUE, OUTPUT_OVERFLOW,
                                   TRUNCATED, describe)

__all__ = ["def_levels_to_validity", "validity_from_def_levels", "expand_spaced",
           "expand_spaced_rows", "LevelInfo", "level_info", "NestedLevels",
           "decode_nested_levels", "encode_nested_levels", "nested_count_slots",
           "nested_decode_levels", "nested_encode_levels"]


# ---------------------------------------------------------------- flat (max_rep == 0)
@kernel
def _mask_levels(buf, o, n, max_def):
    """In place ``buf[o:o+n] = (buf == max_def)``; number of ones, or BAD_LEVEL."""
    bad = False
    hits = 0
    for i in range(o, o + n):
        d = buf[i]
        bad |= d > max_def
        e = d == max_def
        buf[i] = e
        hits += e
    return BAD_LEVEL if bad else hits


# byte b of 1-bit levels -> the 8 validity bytes it holds (little-endian uint64), and its popcount
_BIT_SPREAD = np.array([sum(((b >> k) & 1) << (8 * k) for k in range(8)) for b in range(256)], np.uint64)
_POPCOUNT = np.array([bin(b).count("1") for b in range(256)], np.int64)


@kernel(inline="always")
def _spread_bits(src, data_pos, n, valid, o):
    """1-bit levels (max_def 1) at ``src[data_pos:]`` straight into ``valid[o:o+n]``, a byte
    (8 values) at a time through a lookup table: ~8x fewer operations than unpacking then
    comparing. The caller (``_next_run``) checked that the run's bytes are in ``src``, and
    ``_check_out`` that ``valid`` holds ``o + n``. Returns the number of ones."""
    hits = 0
    full = n // 8
    for j in range(full):
        b = src[data_pos + j]
        store_le8(valid, o + 8 * j, _BIT_SPREAD[b])
        hits += _POPCOUNT[b]
    for i in range(full * 8, n):
        bit = (src[data_pos + (i >> 3)] >> (i & 7)) & 1
        valid[o + i] = bit
        hits += bit
    return hits


@kernel(work=lambda src, pos, end, *rest: end - pos)
def def_levels_all_max(src, pos, end, bit_width, count, max_def):
    """1 if the ``count`` def_levels at ``src[pos:end]`` are RLE runs of ``max_def`` only (every
    value defined: what writers give an optional column without nulls), else 0 (or a status):
    such a page needs no validity written. Bit-packed runs give 0 without being looked at."""
    bit_width = np.int64(bit_width)
    if bit_width < 1 or bit_width > 8 or count < 0 or pos < 0 or end > len(src) or max_def < 1:
        return 0
    done = 0
    while done < count:
        kind, n, v, data_pos, run_end = _next_run(src, pos, end, bit_width, count - done)
        if kind < 0:
            return kind
        if kind != 0 or v != _U(max_def):
            return 0
        done += n
        pos = run_end
    return 1


@kernel(work=lambda src, pos, end, bit_width, count, *rest: max(count, end - pos))
def def_levels_to_validity(src, pos, end, bit_width, count, max_def, valid, valid_pos):
    """Decode ``count`` RLE-hybrid def_levels of a flat column (max_rep == 0) at
    ``src[pos:end]`` straight into the mask ``valid[valid_pos:valid_pos+count]`` (uint8 or
    bool, C-contiguous)
    (1 where def == max_def). ``bit_width`` 0..8 (as for the level stream, usually
    ``bit_width_for(max_def)``). Returns the number of valid values, or BAD_LEVEL (a level
    above max_def), BAD_BIT_WIDTH, TRUNCATED, BAD_HEADER, BAD_VALUE, OUTPUT_OVERFLOW.
    """
    bit_width = np.int64(bit_width)          # e.g. a uint8 read from the page
    st = _check_out(src, pos, end, count, valid, valid_pos)
    if st < 0:
        return st
    if bit_width < 0 or bit_width > 8 or valid.itemsize != 1:
        return BAD_BIT_WIDTH
    if max_def < 0:
        return BAD_LEVEL
    valid = valid.view(np.uint8)                         # levels pass through it (bool too)
    if bit_width == 0:                                   # every level is 0
        valid[valid_pos:valid_pos + count] = max_def == 0
        return count if max_def == 0 else 0
    n_valid = 0
    done = 0
    while done < count:
        kind, n, v, data_pos, run_end = _next_run(src, pos, end, bit_width, count - done)
        if kind < 0:
            return kind
        o = valid_pos + done
        if kind == 0:
            if v > _U(max_def):
                return BAD_LEVEL
            valid[o:o + n] = v == _U(max_def)
            n_valid += n if v == _U(max_def) else 0
        elif bit_width == 1 and max_def == 1:           # the common case: an optional flat column
            n_valid += _spread_bits(src, data_pos, n, valid, o)
        else:
            _unpack_unchecked(src, data_pos, bit_width, n, valid, o)
            k = _mask_levels(valid, o, n, max_def)
            if k < 0:
                return k
            n_valid += k
        done += n
        pos = run_end
    return n_valid


@kernel(work=lambda def_levels, count, *rest: count)
def validity_from_def_levels(def_levels, count, max_def, valid, valid_pos):
    """``valid[valid_pos+i] = def_levels[i] == max_def`` for i < count (decoded levels,
    e.g. from BIT_PACKED). Returns the number of valid values, BAD_LEVEL (a level outside
    0..max_def), TRUNCATED (def_levels shorter than count) or OUTPUT_OVERFLOW.
    """
    if count < 0 or count > def_levels.size:
        return TRUNCATED
    if valid_pos < 0 or valid_pos > valid.size - count:
        return OUTPUT_OVERFLOW
    bad = False
    hits = 0
    for i in range(count):
        d = def_levels[i]
        bad |= (d > max_def) | (d < 0)
        e = d == max_def
        valid[valid_pos + i] = e
        hits += e
    return BAD_LEVEL if bad else hits


@kernel
def _spaced_args(out_n, out_pos, count, n_valid, valid, valid_pos):
    if count < 0 or out_pos < 0 or out_pos > out_n - count:
        return OUTPUT_OVERFLOW
    if valid_pos < 0 or valid_pos > valid.size - count or n_valid < 0 or n_valid > count:
        return BAD_VALUE
    return 0


@kernel(work=lambda out, out_pos, count, *rest: count)
def expand_spaced(out, out_pos, count, n_valid, valid, valid_pos, fill):
    """Move ``out[out_pos:out_pos+n_valid]`` (dense values) backwards, in place, to the
    slots ``out[out_pos+i]`` with ``valid[valid_pos+i]`` true; the other slots get
    ``fill``. 1-D ``out`` of any numeric dtype. Returns ``out_pos + count``, or
    OUTPUT_OVERFLOW / BAD_VALUE (bad sizes, or ``valid`` has more than n_valid ones;
    fewer ones is not detected: values land wrong but nothing out of bounds).
    """
    st = _spaced_args(out.shape[0], out_pos, count, n_valid, valid, valid_pos)
    if st < 0:
        return st
    t = out.dtype.type
    f = t(fill)
    j = out_pos + n_valid - 1                 # next dense value to place
    i = out_pos + count - 1                   # slot being filled
    v = valid_pos + count - 1
    while i > j and i >= out_pos:             # once i == j the prefix is already in place
        m = valid[v] != 0                     # branch-free: nulls are unpredictable
        x = out[max(j, out_pos)]
        out[i] = x if m else f
        j -= m
        i -= 1
        v -= 1
    return out_pos + count if j >= out_pos - 1 else BAD_VALUE


@kernel(work=lambda out, out_pos, count, *rest: count * out.shape[1])
def expand_spaced_rows(out, out_pos, count, n_valid, valid, valid_pos, fill):
    """:func:`expand_spaced` for 2-D ``out`` of shape (n, width) (e.g. FIXED_LEN_BYTE_ARRAY
    rows as uint8): moves whole rows; null rows are set to ``fill``."""
    st = _spaced_args(out.shape[0], out_pos, count, n_valid, valid, valid_pos)
    if st < 0:
        return st
    j = out_pos + n_valid - 1
    i = out_pos + count - 1
    v = valid_pos + count - 1
    while i > j:
        if valid[v]:
            if j < out_pos:
                return BAD_VALUE
            out[i, :] = out[j, :]
            j -= 1
        else:
            out[i, :] = fill
        i -= 1
        v -= 1
    return out_pos + count


# ---------------------------------------------------------------- nested: reading
@kernel
def _check_info(list_def, node_def, node_level, max_def):
    """0 if the level description is consistent, else BAD_VALUE."""
    n_rep = list_def.size - 1
    if n_rep < 0 or list_def[0] != 0 or node_def.size != node_level.size:
        return BAD_VALUE
    for L in range(1, n_rep + 1):
        if list_def[L] <= list_def[L - 1] or list_def[L] > max_def:
            return BAD_VALUE
    for k in range(node_def.size):
        if node_level[k] < 0 or node_level[k] > n_rep or node_def[k] > max_def:
            return BAD_VALUE
    return 0


@kernel
def _levels_ok(def_levels, rep_levels, count, list_def, max_def):
    """Whether every pair can occur: levels in range, the first at a row start, and a
    rep r > 0 only where this entry and the previous one both reach the level-r list
    (it adds an item to that list). Branch-free."""
    n_rep = list_def.size - 1
    bad = False
    prev = np.int64(-1)
    for i in range(count):
        d = np.int64(def_levels[i])
        r = np.int64(rep_levels[i]) if n_rep > 0 else np.int64(0)
        need = list_def[min(max(r, 0), n_rep)]
        bad |= (d < 0) | (d > max_def) | (r < 0) | (r > n_rep)
        bad |= (r > 0) & ((d < need) | (prev < need) | (i == 0))
        prev = d
    return not bad


@kernel
def nested_count_slots(def_levels, rep_levels, count, list_def, max_def, n_slots):
    """Validate ``count`` level pairs and count slots: ``n_slots[L]`` (int64, size
    max_rep+1) = slots of nesting level L. ``rep_levels`` may be empty if max_rep == 0.
    Returns the number of leaf values (def == max_def), or BAD_LEVEL / TRUNCATED / BAD_VALUE.
    """
    n_rep = list_def.size - 1
    if n_slots.size != n_rep + 1 or _check_info(list_def, list_def[:0], list_def[:0], max_def) < 0:
        return BAD_VALUE
    if count < 0 or count > def_levels.size or (n_rep > 0 and count > rep_levels.size):
        return TRUNCATED
    if not _levels_ok(def_levels, rep_levels, count, list_def, max_def):
        return BAD_LEVEL
    n_slots[0] = count
    for L in range(n_rep + 1):                 # a slot opens at L iff rep <= L, def >= list_def[L]
        if n_rep > 0:
            thr = list_def[L]
            c = 0
            for i in range(count):
                c += (rep_levels[i] <= L) & (def_levels[i] >= thr)
            n_slots[L] = c
    n_values = 0
    for i in range(count):
        n_values += def_levels[i] == max_def
    return n_values


@kernel
def _check_layout(n_slots, off_start, offsets, node_level, val_start, validity, leaf, scratch,
                  all_valid_ok):
    """0 if every per-level segment fits its flat array, else OUTPUT_OVERFLOW
    (``val_start[k] < 0``, "no nulls", only if all_valid_ok). Decoding writes one
    slot past the end of each validity segment and of ``leaf`` (slack, see below)."""
    n_rep = n_slots.size - 1
    pad = 0 if all_valid_ok else 1
    if off_start.size < n_rep or val_start.size < node_level.size or scratch.size < 2 * n_rep + 2:
        return OUTPUT_OVERFLOW
    if leaf.size < n_slots[n_rep] + pad:
        return OUTPUT_OVERFLOW
    for L in range(n_rep):
        if off_start[L] < 0 or off_start[L] > offsets.size - n_slots[L] - 1:
            return OUTPUT_OVERFLOW
    for k in range(node_level.size):
        if val_start[k] < 0:
            if not all_valid_ok:
                return OUTPUT_OVERFLOW
        elif val_start[k] > validity.size - n_slots[node_level[k]] - pad:
            return OUTPUT_OVERFLOW
    return 0


@kernel
def nested_decode_levels(def_levels, rep_levels, count, list_def, node_def, node_level,
                         max_def, n_slots, offsets, off_start, validity, val_start,
                         leaf_valid, cursor):
    """Levels -> offsets / validity / leaf positions (the body of
    :func:`decode_nested_levels`, callable from numba code).

    ``n_slots`` from :func:`nested_count_slots`. Outputs are flat: list level L's
    offsets (int64, ``n_slots[L-1]+1`` entries) start at ``offsets[off_start[L-1]]``;
    optional field k's validity (uint8, ``n_slots[node_level[k]]`` entries + 1 slack
    byte) at ``validity[val_start[k]]``; ``leaf_valid`` (uint8, ``n_slots[max_rep]``
    + 1 slack). ``cursor``: int64 scratch, size >= 2*max_rep+2. Returns n_values or a
    status (BAD_LEVEL, TRUNCATED, BAD_VALUE, OUTPUT_OVERFLOW).

    Branch-free: every entry writes each level's current slot and advances the cursor
    only where a slot opens, so not-yet-open slots (and the slack) get overwritten.
    """
    n_rep = list_def.size - 1
    st = _check_info(list_def, node_def, node_level, max_def)
    if st == 0 and n_slots.size != n_rep + 1:
        st = BAD_VALUE
    if st == 0:
        st = _check_layout(n_slots, off_start, offsets, node_level, val_start, validity,
                           leaf_valid, cursor, False)
    if st < 0:
        return st
    if count < 0 or count > def_levels.size or (n_rep > 0 and count > rep_levels.size):
        return TRUNCATED
    if not _levels_ok(def_levels, rep_levels, count, list_def, max_def):
        return BAD_LEVEL
    cursor[:n_rep + 1] = 0
    for i in range(count):
        d = np.int64(def_levels[i])
        r = np.int64(rep_levels[i]) if n_rep > 0 else np.int64(0)
        for L in range(n_rep + 1):
            s = min(cursor[L], n_slots[L])              # stays in bounds whatever n_slots says
            if L < n_rep:
                offsets[off_start[L] + s] = min(cursor[L + 1], n_slots[L + 1])
            else:
                leaf_valid[s] = d == max_def
            for k in range(node_def.size):
                if node_level[k] == L:
                    validity[val_start[k] + s] = d >= node_def[k]
            cursor[L] = s + ((r <= L) & (d >= list_def[L]))
    for L in range(n_rep + 1):
        if cursor[L] != n_slots[L]:
            return OUTPUT_OVERFLOW
        if L < n_rep:
            offsets[off_start[L] + n_slots[L]] = n_slots[L + 1]
    n_values = 0
    for s in range(n_slots[n_rep]):
        n_values += leaf_valid[s] != 0
    return n_values


class LevelInfo(NamedTuple):
    """Level structure of one leaf column (see the module docstring)."""
    max_def: int
    max_rep: int
    list_def: np.ndarray     # int64[max_rep+1]: def level at which a level-L slot exists
    node_def: np.ndarray     # int64[K]: def level of each optional field (path order)
    node_level: np.ndarray   # int64[K]: nesting level whose slots its validity indexes


_REPETITION = {"required": 0, "optional": 1, "repeated": 2}


def level_info(repetitions) -> LevelInfo:
    """LevelInfo from the repetition of each field on the path root(excluded)..leaf
    (``"required"/"optional"/"repeated"`` or FieldRepetitionType 0/1/2)."""
    d, list_def, node_def, node_level = 0, [0], [], []
    for rep in repetitions:
        code = _REPETITION[rep.lower()] if isinstance(rep, str) else int(rep)
        if code == 1:
            d += 1
            node_def.append(d)
            node_level.append(len(list_def) - 1)
        elif code == 2:
            d += 1
            list_def.append(d)
        elif code != 0:
            raise ValueError(f"unknown repetition {rep!r}")
    return LevelInfo(d, len(list_def) - 1, np.array(list_def, np.int64),
                     np.array(node_def, np.int64), np.array(node_level, np.int64))


class NestedLevels(NamedTuple):
    """Output of :func:`decode_nested_levels` (see the module docstring's example)."""
    n_slots: np.ndarray          # int64[max_rep+1]; n_slots[0] = rows
    offsets: list                # offsets[L-1]: int64[n_slots[L-1]+1] for list level L=1..max_rep
    validity: list               # validity[k]: uint8[n_slots[node_level[k]]] per optional field
    leaf_valid: np.ndarray       # uint8[n_slots[max_rep]]: 1 where a leaf value is stored
    n_values: int                # leaf values stored in the pages (= leaf_valid.sum())


def _segments(sizes):
    starts = np.zeros(len(sizes), np.int64)
    if len(sizes):
        starts[1:] = np.cumsum(sizes)[:-1]
    return starts, int(np.sum(sizes))


def decode_nested_levels(def_levels, rep_levels, info: LevelInfo, count=None) -> NestedLevels:
    """Offsets, validity and leaf positions of a column chunk's levels (``count`` pairs
    from index 0, starting at a row; concatenate pages first). ``rep_levels`` may be
    None when max_rep == 0. Raises CorruptFileError (no location; use ``.located``).
    """
    def_levels = np.ascontiguousarray(def_levels)
    count = def_levels.size if count is None else int(count)
    rep_levels = np.zeros(0, np.int16) if rep_levels is None else np.ascontiguousarray(rep_levels)
    n_slots = np.zeros(info.max_rep + 1, np.int64)
    n = nested_count_slots(def_levels, rep_levels, count, info.list_def, info.max_def, n_slots)
    if n < 0:
        raise CorruptFileError(describe(n))
    off_start, off_total = _segments(n_slots[:-1] + 1)
    val_start, val_total = _segments(n_slots[info.node_level] + 1)     # + 1: slack byte
    offsets = np.empty(off_total, np.int64)
    validity = np.empty(val_total, np.uint8)
    leaf_valid = np.empty(n_slots[-1] + 1, np.uint8)
    cursor = np.empty(2 * info.max_rep + 2, np.int64)
    n = nested_decode_levels(def_levels, rep_levels, count, info.list_def, info.node_def,
                             info.node_level, info.max_def, n_slots, offsets, off_start,
                             validity, val_start, leaf_valid, cursor)
    if n < 0:
        raise CorruptFileError(describe(n))
    offs = [offsets[s:s + m + 1] for s, m in zip(off_start, n_slots[:-1])]
    vals = [validity[s:s + n_slots[lv]] for s, lv in zip(val_start, info.node_level)]
    return NestedLevels(n_slots, offs, vals, leaf_valid[:-1], int(n))


# ---------------------------------------------------------------- nested: writing
@kernel
def _slot_def(L, s, list_def, node_def, node_level, validity, val_start):
    """Def level reached inside level-L slot s, and whether all its optional fields are
    valid (val_start[k] < 0 means field k has no nulls)."""
    d = list_def[L]
    for k in range(node_def.size):
        if node_level[k] == L:
            if val_start[k] >= 0 and validity[val_start[k] + s] == 0:
                return d, False
            d = node_def[k]
    return d, True


@kernel
def nested_encode_levels(n_rows, list_def, node_def, node_level, max_def, n_slots, offsets,
                         off_start, validity, val_start, def_out, rep_out, leaf_take, stack):
    """Offsets / validity -> def_levels, rep_levels (the body of
    :func:`encode_nested_levels`; same flat layout as :func:`nested_decode_levels`, and
    ``val_start[k] < 0`` for a field without nulls). Writes ``def_out[:n]``,
    ``rep_out[:n]`` and ``leaf_take`` (uint8[n_slots[max_rep]], 1 = leaf slot whose value is
    written), returns n or BAD_VALUE (offsets out of order / range) / OUTPUT_OVERFLOW.
    ``stack``: int64 scratch, size >= 2*max_rep+2.
    """
    n_rep = list_def.size - 1
    st = _check_info(list_def, node_def, node_level, max_def)
    if st == 0 and (n_slots.size != n_rep + 1 or n_slots[0] != n_rows):
        st = BAD_VALUE
    if st == 0:
        st = _check_layout(n_slots, off_start, offsets, node_level, val_start, validity,
                           leaf_take, stack, True)
    if st < 0:
        return st
    leaf_take[:n_slots[n_rep]] = 0
    top = n_rep + 1                                  # stack[L]: next sibling, stack[top+L]: end
    n = 0
    for row in range(n_rows):
        L, s, r = 0, row, 0
        while True:
            d, ok = _slot_def(L, s, list_def, node_def, node_level, validity, val_start)
            if ok and L == n_rep:
                leaf_take[s] = 1
            elif ok:
                a = offsets[off_start[L] + s]
                b = offsets[off_start[L] + s + 1]
                if a < 0 or a > b or b > n_slots[L + 1]:
                    return BAD_VALUE
                if a < b:                             # descend into the first child
                    L += 1
                    stack[L] = a + 1
                    stack[top + L] = b
                    s = a
                    continue
            if n >= def_out.size or n >= rep_out.size:
                return OUTPUT_OVERFLOW
            def_out[n] = d
            rep_out[n] = r
            n += 1
            while L > 0 and stack[L] >= stack[top + L]:
                L -= 1
            if L == 0:
                break
            s = stack[L]
            stack[L] += 1
            r = L
    return n


def encode_nested_levels(info: LevelInfo, n_rows, offsets, validity, n_leaf=None):
    """def_levels and rep_levels (int16) of ``n_rows`` rows, and ``leaf_take``.

    ``offsets[L-1]``: int64-compatible offsets of list level L (``n_slots[L-1]+1``
    entries, Arrow style: item i of the parent's slot j is ``offsets[j] <= i <
    offsets[j+1]``; slices not starting at 0 are fine; items behind a null are skipped).
    ``validity[k]``: 0/1 mask per optional field k over its level's slots, or None if
    it has no nulls. ``n_leaf``: slots of the last level (default: the last offset,
    or n_rows if max_rep == 0). ``leaf_take`` (uint8[n_leaf]): leaf slots whose value
    is to be written (dense values = ``leaf_values[leaf_take.view(bool)]``).
    Raises ValueError on inconsistent inputs.
    """
    R = info.max_rep
    if len(offsets) != R or len(validity) != len(info.node_def):
        raise ValueError("need one offsets array per repeated field, one mask per optional field")
    offs = [np.asarray(o, dtype=np.int64) for o in offsets]
    if n_leaf is None:
        n_leaf = int(offs[-1][-1]) if R else int(n_rows)
    n_slots = np.array([n_rows] + [o.size - 1 for o in offs[1:]] + ([n_leaf] if R else []),
                       np.int64)
    if any(o.size != n_slots[L] + 1 for L, o in enumerate(offs)):
        raise ValueError("offsets[L-1] must have n_slots[L-1] + 1 entries")
    off_start, _ = _segments([o.size for o in offs])
    flat_off = np.concatenate(offs) if R else np.zeros(0, np.int64)
    masks = [np.zeros(0, np.uint8) if m is None else np.asarray(m).astype(np.uint8, copy=False)
             for m in validity]
    for k, m in enumerate(validity):
        if m is not None and masks[k].size < n_slots[info.node_level[k]]:
            raise ValueError(f"validity[{k}] shorter than its level's slots")
    val_start, _ = _segments([m.size for m in masks])
    val_start[[m is None for m in validity]] = -1
    flat_val = np.concatenate(masks) if masks else np.zeros(0, np.uint8)
    cap = int(n_slots.sum())
    def_out = np.empty(cap, np.int16)
    rep_out = np.empty(cap, np.int16)
    leaf_take = np.zeros(n_slots[-1], np.uint8)
    stack = np.empty(2 * R + 2, np.int64)
    n = nested_encode_levels(int(n_rows), info.list_def, info.node_def, info.node_level,
                             info.max_def, n_slots, flat_off, off_start, flat_val, val_start,
                             def_out, rep_out, leaf_take, stack)
    if n < 0:
        raise ValueError(f"encode_nested_levels: {describe(n)}")
    return def_out[:n], rep_out[:n], leaf_take
