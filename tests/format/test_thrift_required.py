"""thrift_io.check_required against thrift's own generated validate(), for every struct class,
and the per-class plan it walks (built once per class, not per object: a footer of 300,000
columns checks ~900,000 structs)."""
from __future__ import annotations

import inspect

import pytest

from fastpq._thrift import ttypes
from fastpq.errors import CorruptFileError
from fastpq.format import thrift_io

STRUCTS = [cls for _, cls in inspect.getmembers(ttypes, inspect.isclass)
           if getattr(cls, "thrift_spec", None) is not None and hasattr(cls, "validate")]
CASES = [(cls, spec[2]) for cls in STRUCTS for spec in cls.thrift_spec if spec is not None]


def _filled(cls):
    obj = cls()
    for spec in cls.thrift_spec:
        if spec is not None:
            setattr(obj, spec[2], 0)
    return obj


@pytest.mark.parametrize("cls, name", CASES, ids=[f"{c.__name__}.{n}" for c, n in CASES])
def test_missing_field_raises_exactly_when_validate_does(cls, name):
    obj = _filled(cls)
    setattr(obj, name, None)
    try:
        obj.validate()
        required = False
    except Exception:  # noqa: BLE001 - thrift's TProtocolException
        required = True
    if required:
        with pytest.raises(CorruptFileError, match=f"{cls.__name__}.{name} is missing"):
            thrift_io.check_required(obj, "x", deep=False)
    else:
        thrift_io.check_required(obj, "x", deep=False)


def test_deep_checks_structs_in_lists_and_fields():
    fmd = ttypes.FileMetaData(version=1, num_rows=0, row_groups=[],
                              schema=[ttypes.SchemaElement(name="s", num_children=1), ttypes.SchemaElement()])
    thrift_io.check_required(fmd, "x", deep=False)           # only the top struct
    with pytest.raises(CorruptFileError, match="SchemaElement.name is missing"):
        thrift_io.check_required(fmd, "x")
    chunk = ttypes.ColumnChunk(file_offset=0, meta_data=ttypes.ColumnMetaData(type=1))
    with pytest.raises(CorruptFileError, match="ColumnMetaData.* is missing"):
        thrift_io.check_required(chunk, "x")


def test_plan_built_once_per_class():
    schema = [ttypes.SchemaElement(name=f"c{i}", type=2) for i in range(1_000)]
    fmd = ttypes.FileMetaData(version=1, num_rows=0, row_groups=[], schema=schema)
    thrift_io.check_required(fmd, "x")
    before = dict(thrift_io._PLANS)
    thrift_io.check_required(fmd, "x")
    assert thrift_io._PLANS == before
    assert ttypes.SchemaElement in thrift_io._PLANS and ttypes.FileMetaData in thrift_io._PLANS
