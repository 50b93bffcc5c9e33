"""ParquetWriter (streaming, schema checks) and atomic writes."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq
from tests.conftest import WITHOUT_PYARROW


def _df(start, n):
    return pd.DataFrame({"a": np.arange(start, start + n), "s": [f"v{i}" for i in range(start, start + n)],
                         "c": pd.Categorical(["x", "y"] * (n // 2) + ["x"] * (n % 2))},
                        index=pd.RangeIndex(start, start + n))


def test_parquet_writer_one_row_group_per_write(tmp_path):
    path = tmp_path / "f.parquet"
    with fastpq.ParquetWriter(path, _df(0, 1), row_group_offsets=250) as w:
        for k in range(4):
            w.write(_df(100 * k, 100))
        w.write(_df(400, 600))                         # split: 250 + 250 + 100
        assert not path.exists()                       # published only on close
    md = pq.ParquetFile(path).metadata
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [100] * 4 + [250, 250, 100]
    got = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(got, _df(0, 1000))


def test_parquet_writer_rejects_another_schema(tmp_path):
    path = tmp_path / "f.parquet"
    with fastpq.ParquetWriter(path, _df(0, 4)) as w:
        w.write(_df(0, 4))
        bad = _df(4, 4).assign(a=lambda d: d.a.astype("float64"))
        with pytest.raises(fastpq.SchemaMismatchError, match="'a'.*int64.*float64"):
            w.write(bad)
    assert not path.exists()                           # the failed writer was aborted
    with fastpq.ParquetWriter(path, _df(0, 4)) as w:
        with pytest.raises(fastpq.SchemaMismatchError, match="missing"):
            w.write(_df(0, 4).drop(columns="s"))
    with fastpq.ParquetWriter(path, pd.DataFrame({"o": ["a", "b"]})) as w:
        with pytest.raises(fastpq.SchemaMismatchError, match="'o'.*str"):
            w.write(pd.DataFrame({"o": [1, 2]}, dtype=object))


def test_parquet_writer_accepts_nullable_data_in_optional_columns(tmp_path):
    path = tmp_path / "f.parquet"
    with fastpq.ParquetWriter(path, pd.DataFrame({"f": [1.0], "s": ["a"]})) as w:
        w.write(pd.DataFrame({"f": [1.0, np.nan], "s": ["a", None]}))
        w.write(pd.DataFrame({"f": [np.nan, 2.0], "s": [None, None]}))
    assert pq.read_table(path).column("f").null_count == 2


def test_parquet_writer_from_a_dtype_dict(tmp_path):
    path = tmp_path / "f.parquet"
    with fastpq.ParquetWriter(path, {"a": "int64", "t": "datetime64[ms]"}) as w:
        w.write(pd.DataFrame({"a": [1, 2], "t": pd.to_datetime(["2020", "2021"]).as_unit("ms")}))
    assert pq.read_table(path).num_rows == 2


def test_overwrite_false(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    with pytest.raises(FileExistsError):
        fastpq.write(path, _df(0, 5), overwrite=False)
    assert pq.read_table(path).num_rows == 3
    fastpq.write(tmp_path / "g.parquet", _df(0, 5), overwrite=False)
    assert pq.read_table(tmp_path / "g.parquet").num_rows == 5


def _leftovers(folder):
    return [p for p in os.listdir(folder) if p.endswith(".fastpq-tmp")]


def test_failure_during_encoding_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "f.parquet"
    bad = pd.DataFrame({"a": np.arange(10), "o": [1] * 5 + ["x"] * 5})
    with pytest.raises(TypeError):
        fastpq.write(path, bad)
    assert not path.exists() and not _leftovers(tmp_path)
    fastpq.write(path, _df(0, 3))
    before = path.read_bytes()
    from fastpq.column.write import pages as write_pages

    real = write_pages.PageSink.data_page_v1
    calls = {"n": 0}

    def failing(self, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk on fire")
        return real(self, *args, **kw)

    monkeypatch.setattr(write_pages.PageSink, "data_page_v1", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        fastpq.write(path, _df(0, 100_000), row_group_offsets=10_000)
    assert path.read_bytes() == before and not _leftovers(tmp_path)


def test_failure_in_the_footer_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    before = path.read_bytes()
    import fastpq.file.writer as writer_module

    def boom(*a, **k):
        raise OSError("no space left")

    monkeypatch.setattr(writer_module, "footer_bytes", boom)
    with pytest.raises(OSError, match="no space"):
        fastpq.write(path, _df(0, 50))
    assert path.read_bytes() == before and not _leftovers(tmp_path)


def test_killed_writer_never_leaves_a_partial_target(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    before = path.read_bytes()
    code = (
        "import os, numpy as np, pandas as pd, fastpq\n"
        "from fastpq.column.write import pages as write_pages\n"
        "real = write_pages.PageSink.data_page_v1\n"
        "n = [0]\n"
        "def die(self, *a, **k):\n"
        "    n[0] += 1\n"
        "    if n[0] == 3: os._exit(9)\n"
        "    return real(self, *a, **k)\n"
        "write_pages.PageSink.data_page_v1 = die\n"
        f"fastpq.write({str(path)!r}, pd.DataFrame({{'a': np.arange(100000)}}), row_group_offsets=1000)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == 9
    assert path.read_bytes() == before


def test_file_like_and_fsspec_targets(tmp_path):
    import io

    import fsspec

    sink = io.BytesIO()
    fastpq.write(sink, _df(0, 10))
    assert pq.read_table(io.BytesIO(sink.getvalue())).num_rows == 10
    fastpq.write("memory://bucket/f.parquet", _df(0, 10))
    with fsspec.open("memory://bucket/f.parquet", "rb") as f:
        assert pq.read_table(io.BytesIO(f.read())).num_rows == 10


def test_file_permissions_follow_the_umask(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_works_without_pyarrow(tmp_path):
    """pyarrow blocked from import: pandas uses python storage for str; fastpq still writes."""
    path = tmp_path / "f.parquet"
    code = WITHOUT_PYARROW + (
        "import pandas as pd, numpy as np, fastpq\n"
        "df = pd.DataFrame({'s': ['a', None, 'héllo'], 'i': [1, 2, 3], 'c': pd.Categorical(['x', 'y', 'x']),\n"
        "                   't': pd.to_datetime(['2020', None, '2021'])})\n"
        "assert df.s.dtype.storage == 'python', df.s.dtype\n"
        f"fastpq.write({str(path)!r}, df, page_index=True)\n"
        "assert 'pyarrow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    got = pq.read_table(path).to_pandas()
    assert got.s.tolist()[0] == "a" and got.s.isna().tolist() == [False, True, False]
    assert got.c.tolist() == ["x", "y", "x"] and got.i.tolist() == [1, 2, 3]


def test_import_fastpq_stays_light():
    code = ("import sys, fastpq\n"
            "assert callable(fastpq.write)\n"
            "assert 'numba' not in sys.modules and 'pyarrow' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_parquet_writer_categories_growing_past_int8(tmp_path):
    """Row groups with more categories than the first frame's int8 codes hold: pyarrow unifies them."""
    import pyarrow.parquet as pq

    path = tmp_path / "f.parquet"
    with fastpq.ParquetWriter(path, pd.DataFrame({"c": pd.Categorical(["a"])})) as writer:
        writer.write(pd.DataFrame({"c": pd.Categorical(["a", "b"])}))
        writer.write(pd.DataFrame({"c": pd.Categorical([f"x{i}" for i in range(300)])}))
    got = pq.read_table(path).to_pandas()["c"]
    assert list(got.astype(str)) == ["a", "b"] + [f"x{i}" for i in range(300)]
    assert list(fastpq.read_parquet(path)["c"].astype(str)) == list(got.astype(str))


def test_one_column_pages_compress_on_threads_in_order(tmp_path):
    """A one-column frame: pages are compressed on the pool and written in page order."""
    n = 400_000
    df = pd.DataFrame({"s": pd.Series(np.arange(n).astype(str), dtype="str")})
    for codec in ("snappy", "zstd", "gzip"):
        for version in ("1.0", "2.0"):
            path = tmp_path / f"{codec}{version}.parquet"
            fastpq.write(path, df, compression=codec, data_page_version=int(version[0]), page_index=True,
                         page_checksum=True)
            pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), df)
            pd.testing.assert_frame_equal(fastpq.read_parquet(path, verify_checksums=True), df)
            assert pq.ParquetFile(path).metadata.row_group(0).column(0).total_compressed_size > 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_writing_in_a_forked_child_does_not_hang(tmp_path):
    """The writer's pools are module-wide; a forked child must not inherit their (absent) threads."""
    code = (
        "import os, sys, numpy as np, pandas as pd, fastpq\n"
        "df = pd.DataFrame({'a': np.arange(300_000), 'b': np.arange(300_000) * 0.5})\n"
        f"fastpq.write({str(tmp_path / 'parent.parquet')!r}, df)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        f"    fastpq.write({str(tmp_path / 'child.parquet')!r}, df)\n"
        "    os._exit(0)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert len(fastpq.read_parquet(tmp_path / "child.parquet")) == 300_000
