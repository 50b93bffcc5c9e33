"""Which pandas dtype each Parquet column reads into.

The defaults match ``pandas.read_parquet`` (pyarrow engine) on pandas 3:
integers keep their width and signedness and become float64 when they hold
nulls; booleans with nulls become object; strings become pandas' ``str``
dtype; timestamps keep their unit (UTC-adjusted ones are UTC-aware); dates,
times, decimals, binary and nested values are Python objects. pandas metadata
(categoricals, nullable dtypes, time zones) and ``dtype_backend`` override.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..._thrift import Type
from ...format.schema import SchemaNode

_INT_DTYPES = {(8, True): "int8", (16, True): "int16", (32, True): "int32", (64, True): "int64",
               (8, False): "uint8", (16, False): "uint16", (32, False): "uint32", (64, False): "uint64"}
_NULLABLE = {"int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
             "uint8": "UInt8", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
             "float32": "Float32", "float64": "Float64", "bool": "boolean"}
STR_DTYPE = pd.StringDtype(na_value=np.nan)
NO_DEFAULT = pd.api.extensions.no_default  # pandas' "argument not given" marker (dtype_backend's default)


def base_dtype(node: SchemaNode) -> str:
    """The numpy-backed dtype of a column without nulls, as a string ('object' for Python values)."""
    if not node.is_leaf:
        return "object"
    kind = node.logical.kind
    ptype = node.physical_type
    if kind in ("string", "enum"):
        return "str"
    if kind == "timestamp":
        return f"datetime64[{node.logical.unit}, UTC]" if node.logical.utc else f"datetime64[{node.logical.unit}]"
    if ptype == Type.INT96 and kind is None:
        return "datetime64[ns]"
    if kind == "int" and ptype in (Type.INT32, Type.INT64):
        return _INT_DTYPES.get((node.logical.bit_width, bool(node.logical.signed)), "int64")
    if kind == "float16":
        return "float16"
    if kind is None:  # a bare physical type, or a logical type newer than our IDL
        return _PHYSICAL.get(ptype, "object")
    return "object"


_PHYSICAL = {Type.BOOLEAN: "bool", Type.INT32: "int32", Type.INT64: "int64", Type.FLOAT: "float32",
             Type.DOUBLE: "float64", Type.INT96: "datetime64[ns]"}


def with_nulls(dtype: str) -> str:
    """The dtype pandas.read_parquet gives the same column when it holds nulls."""
    if dtype.startswith(("int", "uint")):
        return "float64"
    if dtype == "bool":
        return "object"
    return dtype


def nullable(dtype: str) -> str:
    """The pandas nullable counterpart (``dtype_backend='numpy_nullable'``)."""
    if dtype == "str":
        return "string"
    return _NULLABLE.get(dtype, dtype)


def column_dtype(node: SchemaNode, may_have_nulls: bool, dtype_backend=None, ctype=None,
                 categorical: bool = False) -> str:
    """The dtype a top-level field reads into, given whether it may hold nulls.

    ``ctype``: its Arrow type (fastpq.format.arrow_types), which adds time zones
    and durations; ``categorical``: read as a categorical.
    """
    if categorical:
        return "category"
    dtype = base_dtype(node)
    if node.logical.kind == "null" or node.repeated:
        return "object"
    t = ctype.type if ctype is not None else None
    if t is not None and t.kind == "duration":
        return f"timedelta64[{t.unit}]"
    if t is not None and t.kind == "timestamp" and t.timezone:
        try:
            return str(pd.DatetimeTZDtype(t.unit, t.timezone))  # pandas' spelling: "+07:30" -> "UTC+07:30"
        except Exception:  # noqa: BLE001 - a zone pandas does not know: read in UTC (as to_pandas does)
            return str(pd.DatetimeTZDtype(t.unit, "UTC"))
    if dtype_backend == "numpy_nullable":
        return nullable(dtype)
    return with_nulls(dtype) if may_have_nulls else dtype


DTYPE_BACKENDS = (None, "numpy_nullable", "pyarrow")


def check_dtype_backend(dtype_backend) -> None:
    """The one check of ``dtype_backend`` (None is fastpq's spelling of pandas' default), with pandas' message."""
    if dtype_backend not in DTYPE_BACKENDS:
        raise ValueError(f"dtype_backend {dtype_backend} is invalid, only 'numpy_nullable' and 'pyarrow' are allowed.")
