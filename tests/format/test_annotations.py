"""Issue 15 item 2: every annotation against every physical type (and width).

A logical or converted type that contradicts its column's physical type is refused
when the schema is built (``CorruptFileError`` naming the column), never read by
narrowing or reinterpreting the physical values. The files are pyarrow-written
with one column per physical type; the footer's SchemaElement is patched by hand.
The expected verdict comes from LogicalTypes.md (the table below); where pyarrow
is asked too, it must refuse the same files.
"""
from __future__ import annotations

import struct

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq._thrift import ttypes as T
from fastpq.format.footer import footer_bytes, parse_file_metadata

I32, I64, BA, FLBA, BOOL, FLT, DBL = "INT32", "INT64", "BYTE_ARRAY", "FLBA", "BOOLEAN", "FLOAT", "DOUBLE"

# column name -> (arrow array, physical type, type_length)
PHYSICAL = {
    "bool": (pa.array([True, False]), BOOL, None),
    "i32": (pa.array([1, 42], pa.int32()), I32, None),
    "i64": (pa.array([1, 4294967338], pa.int64()), I64, None),
    "f32": (pa.array([1.5, 2.5], pa.float32()), FLT, None),
    "f64": (pa.array([1.5, 2.5], pa.float64()), DBL, None),
    "ba": (pa.array([b"ab", b"c"], pa.binary()), BA, None),
    "fl2": (pa.array([b"ab", b"cd"], pa.binary(2)), FLBA, 2),
    "fl4": (pa.array([b"abcd", b"efgh"], pa.binary(4)), FLBA, 4),
    "fl12": (pa.array([b"a" * 12, b"b" * 12], pa.binary(12)), FLBA, 12),
    "fl16": (pa.array([b"a" * 16, b"b" * 16], pa.binary(16)), FLBA, 16),
}


def _unit(u):
    return T.TimeUnit(**{{"ms": "MILLIS", "us": "MICROS", "ns": "NANOS"}[u]: {"ms": T.MilliSeconds,
                                                                            "us": T.MicroSeconds,
                                                                            "ns": T.NanoSeconds}[u]()})


# annotation name -> (patch(SchemaElement), physical types (with width) it may annotate per the spec)
def _logical(**kw):
    return lambda el: setattr(el, "logicalType", T.LogicalType(**kw))


def _converted(ct, precision=None, scale=None):
    def patch(el):
        el.converted_type, el.precision, el.scale = ct, precision, scale
    return patch


ANNOTATIONS = {
    "STRING": (_logical(STRING=T.StringType()), {BA}),
    "UTF8": (_converted(T.ConvertedType.UTF8), {BA}),
    "ENUM": (_logical(ENUM=T.EnumType()), {BA}),
    "JSON": (_logical(JSON=T.JsonType()), {BA}),
    "BSON": (_logical(BSON=T.BsonType()), {BA}),
    "UUID": (_logical(UUID=T.UUIDType()), {(FLBA, 16)}),
    "FLOAT16": (_logical(FLOAT16=T.Float16Type()), {(FLBA, 2)}),
    "DATE": (_logical(DATE=T.DateType()), {I32}),
    "DATE(converted)": (_converted(T.ConvertedType.DATE), {I32}),
    "INTERVAL": (_converted(T.ConvertedType.INTERVAL), {(FLBA, 12)}),
}
for _u in ("ms", "us", "ns"):
    ANNOTATIONS[f"TIME({_u})"] = (_logical(TIME=T.TimeType(True, _unit(_u))), {I32} if _u == "ms" else {I64})
    ANNOTATIONS[f"TIMESTAMP({_u})"] = (_logical(TIMESTAMP=T.TimestampType(True, _unit(_u))), {I64})
ANNOTATIONS["TIME_MILLIS"] = (_converted(T.ConvertedType.TIME_MILLIS), {I32})
ANNOTATIONS["TIME_MICROS"] = (_converted(T.ConvertedType.TIME_MICROS), {I64})
ANNOTATIONS["TIMESTAMP_MILLIS"] = (_converted(T.ConvertedType.TIMESTAMP_MILLIS), {I64})
ANNOTATIONS["TIMESTAMP_MICROS"] = (_converted(T.ConvertedType.TIMESTAMP_MICROS), {I64})
for _bits in (8, 16, 32, 64):
    _phys = {I64} if _bits == 64 else {I32}
    for _signed in (True, False):
        _name = f"{'' if _signed else 'U'}INT_{_bits}"
        ANNOTATIONS[_name] = (_converted(getattr(T.ConvertedType, _name)), _phys)
        ANNOTATIONS[f"INTEGER({_bits},{_signed})"] = (_logical(INTEGER=T.IntType(_bits, _signed)), _phys)
# decimals: precision against the physical width (INT32 <= 9, INT64 <= 18, FLBA(n) by n, BYTE_ARRAY any)
for _p in (1, 2, 9, 10, 18, 19, 38):
    _ok = {BA, (FLBA, 16)} | ({I32} if _p <= 9 else set()) | ({I64} if _p <= 18 else set())
    _ok |= {(FLBA, n) for n, digits in ((2, 4), (4, 9), (12, 28)) if _p <= digits}
    ANNOTATIONS[f"DECIMAL({_p},0)"] = (_logical(DECIMAL=T.DecimalType(0, _p)), _ok)
    ANNOTATIONS[f"DECIMAL_CT({_p},0)"] = (_converted(T.ConvertedType.DECIMAL, _p, 0), _ok)
ANNOTATIONS["DECIMAL(4,5)"] = (_logical(DECIMAL=T.DecimalType(5, 4)), set())  # scale > precision
ANNOTATIONS["DECIMAL(0,0)"] = (_logical(DECIMAL=T.DecimalType(0, 0)), set())
ANNOTATIONS["INTEGER(7,True)"] = (_logical(INTEGER=T.IntType(7, True)), set())


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("ann") / "base.parquet"
    pq.write_table(pa.table({k: v[0] for k, v in PHYSICAL.items()}), path, store_schema=False,
                   use_dictionary=False)
    return path.read_bytes()


def _patched(raw: bytes, column: str, patch) -> bytes:
    n = struct.unpack("<I", raw[-8:-4])[0]
    md = parse_file_metadata(raw[-8 - n:-8])
    el = next(e for e in md.schema if e.name == column)
    el.logicalType = el.converted_type = None
    patch(el)
    return raw[:-8 - n] + footer_bytes(md)


def _allowed(column, annotation) -> bool:
    _, ptype, width = PHYSICAL[column]
    ok = ANNOTATIONS[annotation][1]
    return ptype in ok or (ptype, width) in ok


@pytest.mark.parametrize("annotation", sorted(ANNOTATIONS))
@pytest.mark.parametrize("column", sorted(PHYSICAL))
def test_annotation_against_physical_type(base, tmp_path, column, annotation):
    path = tmp_path / "f.parquet"
    path.write_bytes(_patched(base, column, ANNOTATIONS[annotation][0]))
    if _allowed(column, annotation):
        fastpq.ParquetFile(path).schema  # builds
        return
    with pytest.raises(fastpq.CorruptFileError, match=repr(column)) as info:
        fastpq.read_parquet(path)
    assert "annotat" in str(info.value)
    with pytest.raises(fastpq.CorruptFileError):
        fastpq.ParquetFile(path)


# Contradictions that other readers refuse too (polars as the oracle; pyarrow and duckdb refuse the
# integer, timestamp and string ones but read DATE/DECIMAL/UUID ones as bare physical values).
@pytest.mark.parametrize("column,annotation", [
    ("i64", "UINT_32"), ("i64", "INT_32"), ("i32", "INT_64"), ("i64", "DATE"), ("i32", "TIMESTAMP_MILLIS"),
    ("i32", "UTF8"), ("i64", "DECIMAL(19,0)"), ("i32", "DECIMAL(10,0)"), ("fl4", "UUID"),
])
def test_pyarrow_refuses_the_same_files(base, tmp_path, column, annotation):
    path = tmp_path / "f.parquet"
    path.write_bytes(_patched(base, column, ANNOTATIONS[annotation][0]))
    with pytest.raises(Exception, match="out of specification"):
        pl.read_parquet(path)
    with pytest.raises(fastpq.CorruptFileError, match=repr(column)):
        fastpq.read_parquet(path)


def test_uint32_on_int64_is_not_narrowed(base, tmp_path):
    path = tmp_path / "f.parquet"
    path.write_bytes(_patched(base, "i64", ANNOTATIONS["UINT_32"][0]))
    with pytest.raises(fastpq.CorruptFileError, match="UINT_32 cannot annotate INT64"):
        fastpq.read_parquet(path, columns=["i32"])
