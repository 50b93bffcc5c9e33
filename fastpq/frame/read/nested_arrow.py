"""Nested columns -> pyarrow arrays, for ``dtype_backend='pyarrow'`` (``pd.ArrowDtype`` columns).

The same inputs as fastpq.frame.read.nested (a field's Shape tree, each leaf's merged
levels and values), assembled bottom-up without a Python object per value:
leaves through fastpq.frame.read.arrow (typed as ``column_type`` says, refined by
``ARROW:schema``), lists and maps from the levels' offsets, structs from their
children, each with a validity bitmap where its Parquet field is optional.

The Arrow type follows what pyarrow gives the same field: child names from
the Parquet schema (or the stored Arrow field), nullability from the Parquet
repetition (``list<element: int32 not null>`` for a required element), and
large / fixed-size lists where ``ARROW:schema`` says so (a fixed-size list
holds list_size null items under each null list, as in Arrow).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ...column.read.decoders import INT96_UNITS
from ...errors import CorruptFileError, UnsupportedFeatureError
from ...format.arrow_types import ColumnType
from . import arrow as to_arrow
from .nested import arrow_origins, leaf_type, validity_of


def nested_to_arrow(shape, data: dict, arrow_field=None):
    """``pd.arrays.ArrowExtensionArray`` over the rows of the field described by ``shape``."""
    pa = to_arrow._pa()
    builder = _ArrowBuilder(pa, data, arrow_origins(shape, arrow_field))
    return pd.arrays.ArrowExtensionArray(pa.chunked_array([builder.array(shape)]))


class _ArrowBuilder:
    def __init__(self, pa, data, origins):
        self.pa = pa
        self.data = data
        self.origins = origins

    def array(self, shape):
        """A pyarrow Array over all slots of the shape's level."""
        build = {"leaf": self._leaf, "struct": self._struct, "list": self._list, "map": self._map}[shape.kind]
        return build(shape)

    def _mask(self, shape):
        valid = validity_of(self.data, shape)
        if valid is None or valid.all():
            return None
        return self.pa.array(valid == 0)

    def _field(self, name, shape, arr):
        origin = self.origins.get(shape)
        return self.pa.field(origin.name if origin is not None and origin.name else name, arr.type,
                             nullable=shape.optional is not None)

    def _leaf(self, shape):
        ctype = leaf_type(shape, self.origins)
        d = self.data[shape.leaf].decoded
        if shape.optional is None or not d.has_nulls:  # a required leaf has no nulls of its own
            d = replace(d, has_nulls=False)
        plain = ColumnType(ctype.type, None, ctype.extension)
        arr = to_arrow.decoded_to_arrow(d, plain, INT96_UNITS[d.int96_unit]).combine_chunks()
        if ctype.dictionary is not None:
            arr = arr.dictionary_encode().cast(to_arrow.arrow_type(ctype))
        return arr

    def _struct(self, shape):
        arrays = [self.array(child) for _, child in shape.children]
        fields = [self._field(name, child, arr) for (name, child), arr in zip(shape.children, arrays)]
        return self.pa.StructArray.from_arrays(arrays, fields=fields, mask=self._mask(shape))

    def _offsets(self, shape):
        return self.data[shape.leaves[0]].levels.offsets[shape.level]

    def _list(self, shape):
        pa = self.pa
        (_, element), = shape.children
        child = self.array(element)
        field = self._field(element.node.name, element, child)
        offsets = self._offsets(shape)
        mask = self._mask(shape)
        origin = self.origins.get(shape)
        kind = origin.type.kind if origin is not None else "list"
        if kind == "fixed_size_list":
            return self._fixed_size(shape, child, field, offsets, mask, origin.type.list_size)
        if kind in ("large_list", "large_list_view"):
            return pa.LargeListArray.from_arrays(pa.array(offsets), child, type=pa.large_list(field), mask=mask)
        return pa.ListArray.from_arrays(pa.array(_int32(offsets)), child, type=pa.list_(field), mask=mask)

    def _fixed_size(self, shape, child, field, offsets, mask, size):
        """Every list of ``size`` items; under a null list, ``size`` null items (Arrow's layout)."""
        pa = self.pa
        lengths = np.diff(offsets)
        valid = validity_of(self.data, shape)
        present = np.ones(len(lengths), bool) if valid is None else valid.view(bool)
        if size is None or size < 0 or np.any(lengths[present] != size) or np.any(lengths[~present] != 0):
            raise CorruptFileError(f"column {'.'.join(shape.node.path)}: ARROW:schema says fixed_size_list"
                                   f"[{size}], the lists have other lengths")
        starts = np.where(present, offsets[:-1], 0)
        take = (starts[:, None] + np.arange(size)[None, :]).reshape(-1)
        null_items = np.repeat(~present, size)
        items = child.take(pa.array(take, mask=null_items)) if len(child) or not null_items.any() else \
            pa.nulls(len(take), child.type)
        return pa.FixedSizeListArray.from_arrays(items, type=pa.list_(field, size), mask=mask)

    def _map(self, shape):
        pa = self.pa
        (_, key), (_, value) = shape.children
        keys, items = self.array(key), self.array(value)
        if keys.null_count:
            raise UnsupportedFeatureError(f"column {'.'.join(shape.node.path)}: a map with null keys has no "
                                          "Arrow type (read it with the default dtype_backend)")
        key_field = pa.field(self._field(key.node.name, key, keys).name, keys.type, nullable=False)
        item_field = self._field(value.node.name, value, items)
        return pa.MapArray.from_arrays(pa.array(_int32(self._offsets(shape))), keys, items,
                                       type=pa.map_(key_field, item_field), mask=self._mask(shape))


def _int32(offsets: np.ndarray) -> np.ndarray:
    if len(offsets) and offsets[-1] > np.iinfo(np.int32).max:
        raise UnsupportedFeatureError("a list column with more than 2**31 items needs large_list offsets")
    return offsets.astype(np.int32)


def leafless_to_arrow(node, n_rows: int):
    """A group with no leaf columns under ``dtype_backend='pyarrow'``: ``n_rows`` nulls of its
    struct type (children as nested structs, not null where REQUIRED), as pyarrow gives it."""
    pa = to_arrow._pa()

    def struct_of(group):
        return pa.struct([pa.field(c.name, struct_of(c), nullable=c.repetition != 0) for c in group.children])

    return pd.arrays.ArrowExtensionArray(pa.nulls(n_rows, type=struct_of(node)))
