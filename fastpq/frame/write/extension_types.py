"""pandas dtypes stored through an Arrow extension type, the way pyarrow stores them.

``period[F]``: the periods' int64 ordinals (NaT as null) in an INT64 column, and
in ``ARROW:schema`` the field carries ``ARROW:extension:name = pandas.period`` and
``ARROW:extension:metadata = {"freq": "F"}`` (pandas' own extension type, which
pyarrow and pandas.read_parquet turn back into ``period[F]``); pandas metadata's
``numpy_type`` is ``period[F]``, which is what fastpq reads back from.

``interval[S, C]``: a struct ``<left: S, right: S>`` (a missing interval is a null
struct), ``ARROW:extension:name = pandas.interval`` and ``ARROW:extension:metadata =
{"subtype": "S", "closed": "C"}``; pandas metadata's ``numpy_type`` is
``interval[S, C]`` (fastpq.frame.read.assemble turns the struct back into it).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .types import FieldType


def is_extension_dtype(dtype) -> bool:
    return isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype))


def extension_field_type(dtype) -> FieldType:
    """The stored FieldType of a column of such a dtype."""
    if isinstance(dtype, pd.IntervalDtype):
        return _interval_type(dtype)
    freq = dtype.name[len("period["):-1]
    return FieldType("int", nullable=True, bits=64,
                     extension=("pandas.period", json.dumps({"freq": freq})))


def _interval_type(dtype: pd.IntervalDtype) -> FieldType:
    from .arrow import arrow_field_type

    bound = arrow_field_type(_storage(pd.Series([], dtype=dtype)).type.field(0).type, "interval", "int64")
    if bound is None or dtype.subtype is None:
        raise TypeError(f"cannot write dtype {dtype}")
    return FieldType("struct", children=(("left", bound), ("right", bound)),
                     extension=("pandas.interval", json.dumps({"subtype": str(dtype.subtype),
                                                               "closed": dtype.closed})))


def _storage(s: pd.Series):
    """The Arrow struct<left, right> of an interval column (pandas' own ``__arrow_array__``)."""
    arr = s.array.__arrow_array__()
    return getattr(arr, "storage", arr)


def storage_series(s) -> pd.Series:
    """The values to store: period ordinals as a nullable Int64 Series (NaT -> null); intervals
    as an Arrow struct Series of their bounds."""
    if isinstance(s.dtype, pd.IntervalDtype):
        return pd.Series(pd.arrays.ArrowExtensionArray(_storage(s)), copy=False)
    ordinals = np.asarray(s.array.asi8, dtype=np.int64).copy()
    mask = np.asarray(pd.isna(s), dtype=bool)
    return pd.Series(pd.arrays.IntegerArray(ordinals, mask), copy=False)
