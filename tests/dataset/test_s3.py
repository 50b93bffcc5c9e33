"""A real S3 protocol: moto's standalone server on 127.0.0.1 (a free port), reached through s3fs.

Writes, appends and reads a hive-partitioned dataset; checks what is read against pandas
(pyarrow engine through the same s3fs) and that reads are ranged.
"""
from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

import fastpq

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")
BUCKET = "fastpq-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """(storage_options, s3fs file system) for a bucket on a fresh moto server."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    options = {"key": "testing", "secret": "testing", "skip_instance_cache": True,
               "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
    import boto3

    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=BUCKET)
    fs = s3fs.S3FileSystem(**options)
    try:
        yield options, fs
    finally:
        server.stop()


def _frame(seed: int, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "k": rng.choice(["a", "b", "c"], n),
        "n": rng.integers(0, 3, n),
        "v": seed * 10_000 + np.arange(n),
        "f": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "s": [f"s{seed}-{i}" for i in range(n)],
    })


def _canon(df: pd.DataFrame) -> pd.DataFrame:
    out = df[["k", "n", "v", "f", "s"]].copy()
    out["k"] = out["k"].astype(str)
    out["n"] = out["n"].astype("int64")
    out["s"] = out["s"].astype(str)
    return out.sort_values("v").reset_index(drop=True)


def test_write_append_read_partitioned_dataset(s3):
    options, fs = s3
    url = f"s3://{BUCKET}/ds"
    frames = [_frame(1)]
    fastpq.write(url, frames[0], file_scheme="hive", partition_on=["k", "n"], storage_options=options)
    frames.append(_frame(2, 50))
    fastpq.write(url, frames[1], file_scheme="hive", partition_on=["k", "n"], append=True, storage_options=options)
    assert fs.exists(f"{BUCKET}/ds/_metadata") and fs.exists(f"{BUCKET}/ds/_common_metadata")
    expected = _canon(pd.concat(frames, ignore_index=True))

    got = fastpq.read_parquet(url, storage_options=options)
    pd.testing.assert_frame_equal(_canon(got), expected)
    assert list(got["k"].cat.categories) == ["a", "b", "c"] and list(got["n"].cat.categories) == [0, 1, 2]
    # the same through a directory listing (no _metadata) and through pandas/pyarrow over s3fs
    listed = fastpq.ParquetDataset(url, storage_options=options, use_metadata=False).to_pandas()
    pd.testing.assert_frame_equal(listed, got)
    pd.testing.assert_frame_equal(got, pd.read_parquet(url, storage_options=options))

    filters = [("k", "in", ["a", "c"]), ("n", "!=", 1), ("v", ">=", 20_000)]
    got = fastpq.read_parquet(url, storage_options=options, filters=filters, columns=["v", "k"])
    pd.testing.assert_frame_equal(got, pd.read_parquet(url, storage_options=options, filters=filters,
                                                       columns=["v", "k"]))
    assert set(got["v"]) == set(expected[(expected.k.isin(["a", "c"])) & (expected.n != 1)
                                         & (expected.v >= 20_000)]["v"])


def test_reads_are_ranged(s3, monkeypatch):
    options, fs = s3
    url = f"s3://{BUCKET}/wide"
    n = 50_000
    wide = pd.DataFrame({f"c{j}": np.random.default_rng(j).random(n) for j in range(10)})
    fastpq.write(url, wide, file_scheme="hive", storage_options=options)
    dataset = fastpq.ParquetDataset(url, storage_options=options)
    s3 = dataset.file(0).source.fs
    requests = []
    real = s3.cat_file

    def counted(path, start=None, end=None, **kw):
        requests.append((start, end))
        return real(path, start=start, end=end, **kw)

    monkeypatch.setattr(s3, "cat_file", counted)
    got = dataset.to_pandas(columns=["c7"])
    assert got["c7"].tolist() == wide["c7"].tolist()
    size = sum(fs.size(f.replace("s3://", "")) for f in dataset.files)
    fetched = sum(e - s for s, e in requests)
    assert requests and all(s is not None for s, _ in requests)
    assert fetched < size / 5, (fetched, size)


def test_dask_reads_s3(s3):
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import fastpq.dask as fdask

    options, fs = s3
    url = f"s3://{BUCKET}/dask"
    df = _frame(3)
    fastpq.write(url, df, file_scheme="hive", partition_on=["k"], storage_options=options)
    with dask.config.set(scheduler="threads"):
        ddf = fdask.read_parquet(url, storage_options=options, filters=[("v", "<", 30_100)])
        got = ddf.compute()
    assert isinstance(ddf, dd.DataFrame) and ddf.npartitions == 3
    expected = fastpq.read_parquet(url, storage_options=options, filters=[("v", "<", 30_100)])
    # dask turns str columns into string[pyarrow] (its 'dataframe.convert-string' option)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.astype({"s": got["s"].dtype}))
