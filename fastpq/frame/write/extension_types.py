"""pandas dtypes stored through an Arrow extension type, the way pyarrow stores them.

``period[F]``: the periods' int64 ordinals (NaT as null) in an INT64 column, and
in ``ARROW:schema`` the field carries ``ARROW:extension:name = pandas.period`` and
``ARROW:extension:metadata = {"freq": "F"}`` (pandas' own extension type, which
pyarrow and pandas.read_parquet turn back into ``period[F]``); pandas metadata's
``numpy_type`` is ``period[F]``, which is what fastpq reads back from.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .types import FieldType


def is_extension_dtype(dtype) -> bool:
    return isinstance(dtype, pd.PeriodDtype)


def extension_field_type(dtype) -> FieldType:
    """The stored FieldType of a column of such a dtype."""
    freq = dtype.name[len("period["):-1]
    return FieldType("int", nullable=True, bits=64,
                     extension=("pandas.period", json.dumps({"freq": freq})))


def storage_series(s) -> pd.Series:
    """The values to store: the ordinals as a nullable Int64 Series (NaT -> null)."""
    ordinals = np.asarray(s.array.asi8, dtype=np.int64).copy()
    mask = np.asarray(pd.isna(s), dtype=bool)
    return pd.Series(pd.arrays.IntegerArray(ordinals, mask), copy=False)
