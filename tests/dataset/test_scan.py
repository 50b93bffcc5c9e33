"""The footer shortcuts the dataset reader takes: Statistics decoded from their byte spans
(kernels.compact.scan_column_chunks' CC_STATS_*), file paths of _metadata without thrift
objects (CC_FILE_PATH_*), and RowGroupList.take / spans."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import fastpq
from fastpq._thrift import Statistics
from fastpq.dataset.footers import ChunkTable, file_paths
from fastpq.format import thrift_io
from fastpq.kernels import compact as C


def test_statistics_spans_decode_to_the_thrift_statistics(tmp_path):
    path = tmp_path / "f.parquet"
    t = pa.table({"a": np.arange(300), "s": [f"v{i % 7}" if i % 5 else None for i in range(300)],
                  "f": np.linspace(0, 1, 300)})
    pq.write_table(t, path, row_group_size=50)
    pf = fastpq.ParquetFile(path)
    rgs = pf.metadata.row_groups
    buf, starts, ends = rgs.spans()
    out = np.empty((len(rgs), 3, C.CC_SIZE), np.int64)
    assert C.scan_column_chunks(np.frombuffer(buf, np.uint8), starts, ends, out) == 0
    table = ChunkTable(pf)
    for r, rg in enumerate(rgs):
        for c, chunk in enumerate(rg.columns):
            row = out[r, c]
            stats, _ = thrift_io.decode(Statistics, buf[row[C.CC_STATS_START]:row[C.CC_STATS_END]])
            assert stats == chunk.meta_data.statistics
            assert table.statistics(r, c) == (chunk.meta_data.statistics, chunk.meta_data.num_values)
            assert row[C.CC_FILE_PATH_START] == C.MISSING


def test_metadata_file_paths_and_take(tmp_path):
    root = tmp_path / "ds"
    for k in range(3):
        (root / f"k={k}").mkdir(parents=True)
        pq.write_table(pa.table({"x": np.arange(20)}), root / f"k={k}" / "p.parquet", row_group_size=7)
    fastpq.merge(str(root))
    md = fastpq.ParquetFile(root / "_metadata").metadata
    paths = file_paths(md.row_groups, "m")
    assert paths == [rg.columns[0].file_path for rg in md.row_groups]
    assert sorted(set(paths)) == [f"k={k}/p.parquet" for k in range(3)]
    fresh = fastpq.ParquetFile(root / "_metadata").metadata.row_groups
    part = fresh.take([3, 4, 5])
    assert len(part) == 3 and list(part.num_rows) == [7, 7, 6]
    assert [rg.columns[0].file_path for rg in part] == ["k=1/p.parquet"] * 3
    assert fresh._objects.count(None) == len(fresh)             # nothing decoded by take
