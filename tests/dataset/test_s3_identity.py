"""Objects replaced under an open reader on a real S3 protocol (moto's server, through s3fs):
the ETag taken when the footer was read (or from the listing) is checked once per read,
against a fresh HEAD (not s3fs's cached listing); a replaced object raises
``FileChangedError``, the same bytes put again are read."""
from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from tests.dataset.test_s3 import BUCKET, s3  # noqa: F401 - the moto server fixture

OLD = pd.DataFrame({"a": [1, 2, 3], "b": [10, 20, 30]})
NEW = pd.DataFrame({"b": [7, 8, 9], "a": [4, 5, 6]})


def _bytes(df) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf)
    return buf.getvalue()


@pytest.mark.parametrize("reader", ["file", "listed dataset", "list of files"])
@pytest.mark.parametrize("change", ["replaced", "same bytes"])
def test_s3_objects_replaced_under_a_reader(s3, reader, change):  # noqa: F811
    options, fs = s3
    key = f"{BUCKET}/identity-{reader.replace(' ', '-')}-{change.replace(' ', '-')}"
    fs.pipe_file(f"{key}/part-0.parquet", _bytes(OLD))
    url = f"s3://{key}/part-0.parquet"
    if reader == "file":
        pf = fastpq.ParquetFile(url, storage_options=options)
        read = pf.to_pandas
    else:
        ds = fastpq.ParquetDataset(f"s3://{key}" if reader == "listed dataset" else [url], storage_options=options)
        ds.file(0)
        read = ds.to_pandas
    pd.testing.assert_frame_equal(read(), OLD)
    fs.pipe_file(f"{key}/part-0.parquet", _bytes(NEW if change == "replaced" else OLD))
    if change == "same bytes":
        pd.testing.assert_frame_equal(read(), OLD)
    else:
        with pytest.raises(fastpq.FileChangedError, match="changed since it was opened"):
            read()


def test_s3_one_head_per_file_per_read(s3, monkeypatch):  # noqa: F811
    options, fs = s3
    key = f"{BUCKET}/identity-count"
    for k in range(3):
        fs.pipe_file(f"{key}/part-{k}.parquet", _bytes(OLD + k))
    ds = fastpq.ParquetDataset(f"s3://{key}", storage_options=options)
    shared = ds.file(0).source.fs                  # one file system object for the dataset's files
    assert all(ds.file(i).source.fs is shared for i in range(3))
    calls = []
    real = shared.info                            # s3fs puts its sync methods on the instance

    def counted(path, **kwargs):
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(shared, "info", counted)
    assert len(ds.to_pandas()) == 9
    assert len(calls) == 3, calls


def test_dask_workers_refuse_a_replaced_object(s3):  # noqa: F811
    pytest.importorskip("dask.dataframe")
    import dask

    import fastpq.dask as fdask

    options, fs = s3
    key = f"{BUCKET}/identity-dask"
    for k in range(2):
        fs.pipe_file(f"{key}/part-{k}.parquet", _bytes(OLD + k))
    with dask.config.set(scheduler="threads"):
        ddf = fdask.read_parquet(f"s3://{key}", storage_options=options)
        assert len(ddf.compute()) == 6
        fs.pipe_file(f"{key}/part-1.parquet", _bytes(NEW))
        with pytest.raises(fastpq.FileChangedError):
            ddf.compute()
