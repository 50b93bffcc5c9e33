"""The committed generated thrift code is what thrift_spec/generate.sh produces."""
from __future__ import annotations

import filecmp
import shutil
import subprocess

import pytest

from tests.conftest import ROOT


@pytest.mark.skipif(shutil.which("thrift") is None, reason="thrift-compiler not installed")
def test_regeneration_reproduces_committed_code(tmp_path):
    subprocess.run(["bash", str(ROOT / "thrift_spec" / "generate.sh"), str(tmp_path)], check=True)
    committed = ROOT / "fastpq" / "_thrift"
    for name in ("__init__.py", "ttypes.py", "constants.py"):
        assert filecmp.cmp(tmp_path / name, committed / name, shallow=False), name


def test_every_spec_struct_is_generated():
    from fastpq import _thrift

    for name in ["FileMetaData", "SchemaElement", "RowGroup", "ColumnChunk", "ColumnMetaData", "Statistics",
                 "PageHeader", "DataPageHeader", "DataPageHeaderV2", "DictionaryPageHeader", "IndexPageHeader",
                 "LogicalType", "ColumnIndex", "OffsetIndex", "PageEncodingStats", "SortingColumn", "KeyValue",
                 "BloomFilterHeader", "FileCryptoMetaData", "ColumnCryptoMetaData", "EncryptionAlgorithm",
                 "SizeStatistics", "GeospatialStatistics", "ColumnOrder", "TimestampType", "DecimalType"]:
        assert hasattr(_thrift, name), name
