"""Nested object columns shredded: lists (LIST), dicts (struct) and lists of pairs (MAP).

(Their ``FieldType`` comes from ``infer``.) ``shred`` walks the values level
by level - never row by row recursively - collecting for every leaf the
offsets of each repeated field above it, the validity of each optional
field, and the leaf slots' values; ``fastpq.kernels.levels.encode_nested_levels``
turns those into def_levels / rep_levels and says which leaf slots hold a
value. Example::

    a: list<int>, rows [[1, None], None, [], [2]]
    offsets [[0, 2, 2, 2, 3]]   validity [[1, 0, 1, 1], [1, 0, 1]]
    leaf slots [1, None, 2]  ->  def 3 2 0 1 3, rep 0 1 0 0 0, values 1, 2

``arrow.shred_arrow`` makes the same ``LeafShred`` records from Arrow arrays,
through the same ``enter_field`` step.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd

from .infer import entries, is_pair, object_array
from .types import FieldType


@dataclass
class LeafShred:
    """One leaf's raw level structure (inputs of ``encode_nested_levels``)."""

    ft: FieldType
    repetitions: list        # 'required' / 'optional' / 'repeated' from the top field down
    offsets: list            # one int64 array per repeated field
    validity: list           # one uint8 array (or None: no nulls) per optional field
    values: object           # object array, one entry per leaf slot; or (Arrow array, slot indices)


def shred(values: np.ndarray, ft: FieldType, name) -> list:
    """LeafShreds of a nested column's values (object array, one entry per row)."""
    out: list = []
    _walk(values, None, ft, [], [], [], out, name)
    return out


def enter_field(valid, present, ft: FieldType, reps: list, masks: list, name):
    """One field's step of a shredding walk over its slots: (repetitions and masks with
    this field's added, the slots valid here and in every ancestor: None for all).
    ``valid``: the slots' validity (None: all valid); ``present``: the ancestors'. A
    REQUIRED field may be null only under a null ancestor (it has no value to hold)."""
    if not ft.nullable and valid is not None and (~valid if present is None else present & ~valid).any():
        raise ValueError(f"column {name!r}: null in a field that cannot hold nulls")
    reps = reps + ["optional" if ft.nullable else "required"]
    if ft.nullable:
        masks = masks + [None if valid is None else valid.view(np.uint8)]
    if valid is None:
        return reps, masks, present
    return reps, masks, valid if present is None else present & valid


def _walk(values, present, ft, reps, offsets, validity, out, name):
    valid = ~pd.isna(values)
    reps, validity, here = enter_field(None if valid.all() else valid, present, ft, reps, validity, name)
    if ft.kind in ("list", "map"):
        present_values = values if here is None else np.where(here, values, None)
        lengths = np.fromiter((0 if v is None else len(v) for v in present_values), np.int64, len(values))
        off = np.zeros(len(values) + 1, np.int64)
        np.cumsum(lengths, out=off[1:])
        items = list(chain.from_iterable(entries(v) if ft.kind == "map" else v
                                         for v in present_values if v is not None))
        reps = reps + ["repeated"]
        offsets = offsets + [off]
        if ft.kind == "list":
            _walk(object_array(items), None, ft.children[0][1], reps, offsets, validity, out, f"{name}.element")
            return
        _check_pairs(items, name)
        keys = object_array([k for k, _ in items])
        vals = object_array([v for _, v in items])
        _walk(keys, None, ft.children[0][1], reps, offsets, validity, out, f"{name}.key")
        _walk(vals, None, ft.children[1][1], reps, offsets, validity, out, f"{name}.value")
        return
    if ft.kind == "struct":
        present_values = values if here is None else np.where(here, values, None)
        _check_dicts(present_values, name)
        for key, child in ft.children:
            child_values = object_array([None if d is None else d.get(key) for d in present_values])
            _walk(child_values, here, child, reps, offsets, validity, out, f"{name}.{key}")
        return
    out.append(LeafShred(ft, reps, offsets, validity, values))


def _check_dicts(values, name):
    for d in values:
        if d is not None and not isinstance(d, dict):
            raise ValueError(f"column {name!r}: expected a dict for a struct, found {d!r}")


def _check_pairs(items, name):
    for item in items:
        if not is_pair(item):
            raise TypeError(f"column {name!r}: map entries must be (key, value) tuples, found {item!r}")


def leaf_levels(leaf: LeafShred, n_rows: int):
    """(def_levels, rep_levels or None, take: uint8 per leaf slot, 1 where it holds a value)."""
    from ...kernels.levels import encode_nested_levels, level_info

    info = level_info(leaf.repetitions)
    n_leaf = len(leaf.values[1]) if isinstance(leaf.values, tuple) else len(leaf.values)
    def_levels, rep_levels, take = encode_nested_levels(info, n_rows, leaf.offsets, list(leaf.validity),
                                                        n_leaf=n_leaf)
    return def_levels, (rep_levels if info.max_rep else None), take
