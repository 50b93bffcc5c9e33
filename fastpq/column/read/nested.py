"""Nested columns: the shape of a top-level field, and its leaf column chunks decoded to levels.

Two things live here, both below pandas:

* ``shape_of(field)``: what a top-level field *means* (LogicalTypes.md "Nested
  Types"): a tree of ``Shape`` nodes - struct, list, map, leaf - each knowing the
  nesting level of its slots (0 = rows, L = items of the L-th repeated field),
  the optional schema node that gives its validity and, for lists and maps, the
  repeated field whose offsets cut its items. LIST's backward-compatibility rules
  (two-level lists, ``array`` / ``*_tuple`` one-field groups, repeated fields
  without annotation) and MAP's (MAP_KEY_VALUE, misnamed fields, a missing value
  field, optional keys) are applied here, once, on the schema.
* ``NestedLeaf``: one leaf column over a selection of row groups. Each column
  chunk is decoded page by page (``fastpq.format.pages.iter_pages``, the value
  decoders of ``fastpq.column.read.decoders``) into its repetition and definition
  levels - all ``ColumnMetaData.num_values`` entries - and its dense non-null
  values; ``fastpq.kernels.levels.decode_nested_levels`` then turns the levels
  into offsets per repeated field, validity per optional field and the leaf
  slots holding a value, and the values are spaced out to those slots in place.
  Chunks are independent (decoded on the reader's threads) and merged at the end.

Level counts are charged to the read's budget (``fastpq.options``) like flat
columns' rows: a chunk's rows before its levels are decoded, every level entry
beyond them as its page comes (an RLE run may repeat a level 2**31 times in five
bytes, so nothing but the budget bounds them), each entry at what it may cost
decoded (``entry_bytes``); the chunk's decompressed pages are charged while it
keeps them.

``check_chunk`` verifies that the leaves of one field agree on every structure
they share (slot counts, offsets, validity) in one row group: a file whose
sibling columns disagree raises ``CorruptFileError`` instead of giving rows of
the wrong shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..._thrift import Type
from ...errors import CorruptFileError, UnsupportedFeatureError
from ...format.pages import BIT_PACKED, DictionaryPage, iter_pages, owned_bytes
from ...kernels import bitpack, levels, plain, rle, spaced
from ...kernels.status import BAD_LEVEL, BAD_VALUE
from .decoders import (
    DECODERS,
    BoolBuffer,
    ByteArrayBuffer,
    Decoded,
    FixedBuffer,
    Int96Buffer,
    KernelError,
    check,
    check_consumed,
)
from ...options import Budget
from .flat import (
    _DICTIONARY_ENCODINGS,
    _NUMPY,
    INT64_MIN,
    FlatColumn,
    Int96Overflow,
    _check_utf8,
    decoded_bytes_per_row_of_leaf,
    new_byte_arrays,
)


# ---------------------------------------------------------------------------- shapes
@dataclass(eq=False)
class Shape:
    """One node of a field's logical tree.

    ``kind``: "struct" (``children`` are its fields), "list" (one child, the
    element), "map" (children key and value) or "leaf" (``leaf`` is the column).
    ``level``: nesting level of its slots. ``optional``: the optional schema node
    whose validity says where it is null (None: never null where its slot exists).
    ``repeated``: for list and map, the repeated schema node cutting its items
    (the items are the slots of ``level + 1``). ``leaves``: leaf columns below it
    in column order; the first one is where its offsets and validity are read.
    """

    kind: str
    node: object
    level: int
    optional: object = None
    repeated: object = None
    leaf: object = None
    children: list = field(default_factory=list)
    leaves: list = field(default_factory=list)

    def walk(self):
        yield self
        for _, child in self.children:
            yield from child.walk()


def shape_of(top) -> Shape:
    """The Shape tree of a top-level field (a group, or a leaf with repetition)."""
    shape = _field(top)
    for s in shape.walk():
        s.leaves = list(s.node.leaves()) if s.kind != "leaf" else [s.leaf]
    return shape


def _field(node) -> Shape:
    """A field as its parent sees it. A repeated field that no LIST / MAP group
    consumed is a required list of required elements (LogicalTypes.md)."""
    if node.repeated:
        element = _type(node)
        return Shape("list", node, node.max_rep - 1, repeated=node, children=[("element", element)])
    shape = _type(node)
    shape.optional = node if node.optional else None
    return shape


def _type(node) -> Shape:
    """A node's own type, its repetition aside; its slots are at level node.max_rep."""
    level = node.max_rep
    if node.is_leaf:
        return Shape("leaf", node, level, leaf=node)
    kind = node.logical.kind
    inner = node.children[0] if len(node.children) == 1 else None
    if inner is not None and inner.repeated and kind == "list":
        return Shape("list", node, level, repeated=inner, children=[("element", _list_element(node, inner))])
    if inner is not None and inner.repeated and kind == "map":   # MAP, or MAP_KEY_VALUE used as MAP
        return _map(node, inner)
    return Shape("struct", node, level, children=[(c.name, _field(c)) for c in node.children])


def _list_element(list_node, rep) -> Shape:
    """The element of a LIST group whose repeated child is ``rep`` (the backward-compatibility
    rules of LogicalTypes.md "Lists", in their order)."""
    if rep.is_leaf:                                            # 1: repeated primitive
        return _type(rep)
    if len(rep.children) > 1 or rep.children[0].repeated:     # 2, 3: the repeated group itself
        return _type(rep)
    if rep.name == "array" or rep.name == f"{list_node.name}_tuple":   # 4: one-field tuple
        return _type(rep)
    return _field(rep.children[0])                             # 5: the three-level list


def _map(node, kv) -> Shape:
    """MAP: keys and values are the first two fields of the repeated group, whatever their
    names. Without a value field the map reads as the list of its keys (as pyarrow does);
    a repeated primitive or more than two fields read as a list of the repeated type."""
    level = node.max_rep
    if kv.is_leaf or len(kv.children) > 2:
        return Shape("list", node, level, repeated=kv, children=[("element", _type(kv))])
    key = _field(kv.children[0])
    if len(kv.children) == 1:
        return Shape("list", node, level, repeated=kv, children=[("element", key)])
    return Shape("map", node, level, repeated=kv, children=[("key", key), ("value", _field(kv.children[1]))])


def optional_index(leaf, node) -> int:
    """Index of optional schema node ``node`` among the optional fields on ``leaf``'s path
    (its position in ``NestedLevels.validity``)."""
    k = 0
    for n in leaf.ancestors():
        if n is node:
            return k
        k += n.optional
    raise ValueError(f"{node.name!r} is not an optional field above {leaf.path}")


def repetitions(leaf) -> list:
    return [n.repetition for n in leaf.ancestors()]


# ---------------------------------------------------------------------------- decoding
LEVELS_FLOOR = 1 << 22   # level entries allocated up front whatever the row count (then doubled as pages come)
ENTRY_OVERHEAD = 16      # decoded bytes per level entry besides its leaf value: levels, offsets, validity, merging

@dataclass
class LeafChunk:
    """One column chunk of a nested leaf: its levels decoded, its values spaced to its leaf slots."""

    levels: levels.NestedLevels
    buffer: object            # FixedBuffer / BoolBuffer / Int96Buffer (values[:n]) or ByteArrayBuffer


@dataclass
class LeafData:
    """A nested leaf over the selected row groups: merged levels and its values per leaf slot."""

    levels: levels.NestedLevels
    decoded: Decoded          # n = leaf slots; valid = leaf_valid


class NestedLeaf:
    """Decoding state of one leaf column of a nested field over a selection of row groups.

    ``read_chunk`` has FlatColumn's signature, so the reader's chunk loop drives both;
    chunks write disjoint entries and may run on several threads.
    """

    def __init__(self, leaf, n_chunks: int, *, int96_unit: int = plain.UNIT_NS, int96_check_exact: bool = False,
                 budget: Budget | None = None):
        self.leaf = leaf
        self.budget = (Budget() if budget is None else budget).account(column=leaf.path)
        self.entry_bytes = ENTRY_OVERHEAD + decoded_bytes_per_row_of_leaf(leaf)
        self.info = levels.level_info(repetitions(leaf))
        self.chunks: list = [None] * n_chunks
        self.int96_unit = int96_unit
        self.int96_check_exact = int96_check_exact and int96_unit != plain.UNIT_NS
        top = max(self.info.max_def, self.info.max_rep)
        self.level_dtype = np.uint8 if top <= 255 else np.uint16
        self.utf8 = leaf.logical.kind in ("string", "enum")

    def _dictionary_reader(self, buffer) -> FlatColumn:
        """A zero-row FlatColumn of the same leaf: its dictionary-page decoding is reused as is
        (INT96 exactness is noted on ``buffer``, the chunk's own)."""
        flat = FlatColumn(self.leaf, 0, 1, int96_unit=self.int96_unit, int96_check_exact=self.int96_check_exact,
                          budget=self.budget)
        flat.buffer = buffer
        return flat

    def _new_buffer(self, n: int, ref=None, budget=None):
        ptype = self.leaf.physical_type
        if ptype == Type.BOOLEAN:
            return BoolBuffer(np.empty(n, np.uint8))
        if ptype == Type.INT96:
            return Int96Buffer(np.empty(n, np.int64), self.int96_unit, self.int96_check_exact)
        if ptype == Type.FIXED_LEN_BYTE_ARRAY:
            width = self.leaf.type_length
            return FixedBuffer(np.empty((n, width), np.uint8), width)
        if ptype == Type.BYTE_ARRAY:
            return ByteArrayBuffer(n, 0) if ref is None else new_byte_arrays(ref, budget, n)
        dtype = _NUMPY[ptype]
        return FixedBuffer(np.empty(n, dtype), np.dtype(dtype).itemsize)

    def _fill(self, buffer):
        if buffer.kind in ("bool", "bytes") or buffer.values.ndim == 2:
            return 0
        if buffer.values.dtype.kind == "f":
            return np.nan
        if buffer.kind == "int96" or self.leaf.logical.kind == "timestamp":
            return INT64_MIN
        return 0

    def read_chunk(self, data: np.ndarray, ref, index: int, path, *, verify_crc=False) -> None:
        """Decode one column chunk (its bytes in ``data``) in two passes over its pages: the levels
        first, which give the leaf slots; then the values, into a buffer of exactly that many
        slots, spaced in place. Nothing is sized from metadata alone."""
        where = dict(path=path, row_group=ref.row_group, column=self.leaf.path)
        if ref.num_values < ref.num_rows:
            raise CorruptFileError(f"column chunk holds {ref.num_values} level entries for {ref.num_rows} rows",
                                   offset=ref.start, **where)
        kept = self.budget.account()  # the chunk's levels and values: given back if it fails (read again)
        held = kept.account()         # its pages and dictionary: given back once it is decoded
        done = False
        try:
            pages, reps, defs, n_values = self._levels_pass(data, ref, verify_crc, kept, held)
            lv = levels.decode_nested_levels(defs, reps, self.info, len(defs))
            if lv.n_slots[0] != ref.num_rows:
                raise CorruptFileError(f"column chunk holds {lv.n_slots[0]} rows, the row group {ref.num_rows}",
                                       offset=ref.start)
            slots = int(lv.n_slots[-1])
            buffer = self._new_buffer(slots, ref, kept)
            self._values_pass(pages, buffer, ref, held)
            self._space(buffer, slots, n_values, lv.leaf_valid)
            done = True
        except KernelError as exc:
            raise CorruptFileError(str(exc), offset=ref.start, **where) from None
        except CorruptFileError as exc:
            raise exc.located(offset=ref.start, **where) from None
        except UnsupportedFeatureError as exc:
            raise type(exc)(f"{exc} (file {path}, row group {ref.row_group}, column {'.'.join(self.leaf.path)})") \
                from None
        finally:
            held.close()
            if not done:
                kept.close()
        self.chunks[index] = LeafChunk(lv, buffer)

    def _levels_pass(self, data, ref, verify_crc, kept, held):
        """Every page's levels decoded into arrays that grow as pages come (so a chunk claiming
        more entries than its pages hold allocates nothing for them), each entry charged to
        ``kept`` before its room is allocated (the pages, to ``held``); returns the pages (with
        the number of values each holds), the levels and the number of values."""
        leaf, info = self.leaf, self.info
        # room for the chunk's rows (charged as a flat column's are), or for all it claims if fewer
        cap = min(ref.num_values, max(ref.num_rows, LEVELS_FLOOR))
        kept.charge(cap * self.entry_bytes, f"{cap:,} level entries")
        reps = np.empty(cap, self.level_dtype) if info.max_rep else None
        defs = np.empty(cap, self.level_dtype)
        pages = []
        pos = n_values = 0
        page = None
        try:
            for page in iter_pages(data, ref.start, ref.codec, leaf.max_def, leaf.max_rep, ref.num_values,
                                   verify_crc=verify_crc, budget=held, exact_end=ref.exact):
                held.charge(owned_bytes(page), "a decompressed page kept until its chunk is decoded")
                if isinstance(page, DictionaryPage):
                    pages.append((page, 0))
                    continue
                m = page.num_values
                if pos + m > len(defs):  # iter_pages keeps pos + m <= num_values
                    grow = self._more_entries(kept, len(defs), pos + m, ref.num_values)
                    defs = _grown(defs, grow)
                    reps = None if reps is None else _grown(reps, grow)
                if reps is not None:
                    _levels(page, page.rep, reps, pos, m, info.max_rep, "repetition levels")
                if info.max_def > 0:
                    _levels(page, page.def_, defs, pos, m, info.max_def, "definition levels")
                    k = int(np.count_nonzero(defs[pos:pos + m] == info.max_def))
                else:
                    defs[pos:pos + m] = 0
                    k = m
                pages.append((page, k))
                pos += m
                n_values += k
        except KernelError as exc:
            raise CorruptFileError(str(exc), offset=page.offset if page is not None else ref.start) from None
        if pos != ref.num_values:  # iter_pages guarantees it; a cheap guard for what follows
            raise CorruptFileError(f"pages hold {pos} of the chunk's {ref.num_values} level entries")
        return pages, None if reps is None else reps[:pos], defs[:pos], n_values

    def _more_entries(self, budget, have: int, need: int, most: int) -> int:
        """Charge ``budget`` for level entries beyond ``have`` (twice as many, when it has room and
        the chunk claims them; ``need`` at least) and return the new number."""
        grow = min(most, max(2 * have, need))
        if (grow - have) * self.entry_bytes > budget.room:
            grow = need
        budget.charge((grow - have) * self.entry_bytes, f"{need:,} level entries")
        return grow

    def _values_pass(self, pages, buffer, ref, held) -> None:
        """Each data page's non-null values, densely, one page after the other."""
        dictionary = flat = page = None
        n_values = 0
        try:
            for page, k in pages:
                if isinstance(page, DictionaryPage):
                    flat = flat or self._dictionary_reader(buffer)
                    dictionary = flat._dictionary(page, held)
                    continue
                decode = DECODERS.get(page.encoding)
                if decode is None:
                    raise UnsupportedFeatureError(f"encoding {page.encoding} is not supported")
                src = page.buf[page.values_start:]
                check_consumed(decode(src, k, buffer, n_values, dictionary), src, k, "values")
                if self.utf8 and buffer.kind == "bytes" and page.encoding not in _DICTIONARY_ENCODINGS:
                    _check_utf8(buffer.offsets, n_values, n_values + k, buffer.data)
                n_values += k
        except KernelError as exc:
            raise CorruptFileError(str(exc), offset=page.offset if page is not None else ref.start) from None

    def _space(self, buffer, slots: int, n_values: int, leaf_valid) -> None:
        """Move the dense values to their leaf slots in place (the buffer holds ``slots``)."""
        if n_values < slots:
            if buffer.kind == "bytes":
                check(spaced.expand_offsets_spaced(buffer.offsets, 0, slots, n_values, leaf_valid, 0), "nulls")
            elif buffer.values.ndim == 2:
                check(levels.expand_spaced_rows(buffer.values, 0, slots, n_values, leaf_valid, 0, 0), "nulls")
            else:
                check(levels.expand_spaced(buffer.values, 0, slots, n_values, leaf_valid, 0, self._fill(buffer)),
                      "nulls")
                if buffer.kind == "int96":
                    check(levels.expand_spaced(buffer.overflow, 0, slots, n_values, leaf_valid, 0, False), "nulls")
        if buffer.kind == "bytes":
            buffer.offsets = buffer.offsets[:slots + 1]
        else:
            buffer.values = buffer.values[:slots]
            if buffer.kind == "int96":
                buffer.overflow = buffer.overflow[:slots]

    def discard(self) -> None:
        """This leaf will not be used (it is read again at another unit): give back its charges."""
        self.budget.close()

    # ------------------------------------------------------------ results
    @property
    def int96_overflowed(self) -> bool:
        return any(c is not None and c.buffer.kind == "int96" and bool(c.buffer.overflow.any()) for c in self.chunks)

    @property
    def int96_inexact(self) -> bool:
        return any(c is not None and c.buffer.kind == "int96" and c.buffer.inexact for c in self.chunks)

    def result(self) -> LeafData:
        """The chunks merged: offsets shifted, validity and values concatenated (byte arrays
        stay one buffer per chunk)."""
        present = [c for c in self.chunks if c is not None]
        if not present:
            present = [self._empty()]
        merged = _merge_levels([c.levels for c in present])
        first = present[0].buffer
        leaf_valid = merged.leaf_valid
        has_nulls = merged.n_values < len(leaf_valid)
        n = len(leaf_valid)
        if first.kind == "bytes":
            decoded = Decoded(self.leaf, n, chunks=tuple(c.buffer.result() for c in present), valid=leaf_valid,
                              has_nulls=has_nulls)
        else:
            parts = [c.buffer.values for c in present]
            values = parts[0] if len(parts) == 1 else np.concatenate(parts)
            decoded = Decoded(self.leaf, n, values=values, valid=leaf_valid, has_nulls=has_nulls,
                              int96_unit=first.unit if first.kind == "int96" else 0)
        return LeafData(merged, decoded)

    def _empty(self) -> LeafChunk:
        lv = levels.decode_nested_levels(np.zeros(0, self.level_dtype),
                                         np.zeros(0, self.level_dtype) if self.info.max_rep else None, self.info, 0)
        buffer = self._new_buffer(0)
        if buffer.kind == "bytes":
            buffer.offsets = buffer.offsets[:1]
        return LeafChunk(lv, buffer)


def _grown(a: np.ndarray, n: int) -> np.ndarray:
    out = np.empty(n, a.dtype)
    out[:len(a)] = a
    return out


def _levels(page, lv, out, pos: int, m: int, max_level: int, what: str) -> None:
    """Decode one page's level section into ``out[pos:pos+m]``; levels above the maximum raise."""
    if lv is None:
        raise KernelError(BAD_VALUE, f"data page of a nested column has no {what}")
    if lv.encoding == BIT_PACKED:
        check(bitpack.bit_packed_legacy_decode(page.buf, lv.start, lv.end, lv.bit_width, m, out, pos), what)
    else:
        check(rle.rle_hybrid_decode(page.buf, lv.start, lv.end, lv.bit_width, m, out, pos), what)
    if m and int(out[pos:pos + m].max()) > max_level:
        raise KernelError(BAD_LEVEL, what)


def _merge_levels(parts: list) -> levels.NestedLevels:
    """Concatenate the NestedLevels of consecutive chunks (each starting at a row)."""
    if len(parts) == 1:
        return parts[0]
    n_slots = np.sum([p.n_slots for p in parts], axis=0)
    offsets = []
    for L in range(len(n_slots) - 1):
        base = np.cumsum([0] + [int(p.n_slots[L + 1]) for p in parts])
        pieces = [p.offsets[L][:-1] + base[i] for i, p in enumerate(parts)]
        pieces.append(np.array([base[-1]], np.int64))
        offsets.append(np.concatenate(pieces))
    validity = [np.concatenate([p.validity[k] for p in parts]) for k in range(len(parts[0].validity))]
    leaf_valid = np.concatenate([p.leaf_valid for p in parts])
    return levels.NestedLevels(n_slots, offsets, validity, leaf_valid, sum(p.n_values for p in parts))


# ---------------------------------------------------------------------------- consistency
def check_chunk(shape: Shape, chunks: dict, where: dict) -> None:
    """Leaves under one shape node must agree, in one row group, on its slots, its offsets
    (list, map) and its validity (optional); ``chunks`` maps leaf -> LeafChunk (or None for an
    empty row group). Raises CorruptFileError naming the two columns."""
    for s in shape.walk():
        if len(s.leaves) < 2:
            continue
        first = s.leaves[0]
        ref = chunks.get(first)
        for other in s.leaves[1:]:
            got = chunks.get(other)
            if ref is None or got is None:
                if (ref is None) != (got is None):
                    raise CorruptFileError(f"columns {'.'.join(first.path)} and {'.'.join(other.path)} "
                                           "disagree on whether the row group is empty", **where)
                continue
            problem = _disagreement(s, first, ref.levels, other, got.levels)
            if problem:
                raise CorruptFileError(f"columns {'.'.join(first.path)} and {'.'.join(other.path)} disagree "
                                       f"on {problem} of {'.'.join(s.node.path)}", column=other.path, **where)


def _disagreement(s: Shape, a, la, b, lb) -> str | None:
    if la.n_slots[s.level] != lb.n_slots[s.level]:
        return f"the number of slots ({la.n_slots[s.level]} vs {lb.n_slots[s.level]})"
    if s.kind in ("list", "map") and not np.array_equal(la.offsets[s.level], lb.offsets[s.level]):
        return "the list offsets"
    if s.optional is not None and not np.array_equal(la.validity[optional_index(a, s.optional)],
                                                     lb.validity[optional_index(b, s.optional)]):
        return "the nulls"
    return None


__all__ = ["Shape", "shape_of", "optional_index", "NestedLeaf", "LeafChunk", "LeafData", "check_chunk",
           "Int96Overflow"]
