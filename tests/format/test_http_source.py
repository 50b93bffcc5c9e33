"""Issue 15 item 10: http(s) URLs on servers that honour Range requests and on ones that do not.

``python -m http.server`` answers a ranged GET with the whole object; fastpq took that body
as the requested range (``CorruptFileError ... byte offset 4``). Every ranged read's length is
now checked: a whole body is kept and sliced (the object read once), any other length is a
``CorruptFileError``. The servers run in a thread; the oracle is pyarrow reading the local file.
"""
from __future__ import annotations

import functools
import http.server
import re
import threading

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq

pytest.importorskip("aiohttp")  # fsspec's http filesystem


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """Ignores Range (as http.server does); counts GETs."""

    gets: list

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.gets.append(self.headers.get("Range"))
        super().do_GET()


class _Ranged(_Quiet):
    """Honours ``Range: bytes=a-b`` (206 Partial Content)."""

    short = False  # answer one byte short: a broken server

    def do_GET(self):
        rng = self.headers.get("Range")
        if not rng:
            return super().do_GET()
        self.gets.append(rng)
        data = open(self.translate_path(self.path), "rb").read()
        a, b = re.match(r"bytes=(\d+)-(\d*)", rng).groups()
        part = data[int(a):(int(b) + 1 if b else len(data))]
        if self.short and len(part) > 1:
            part = part[:-1]
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {a}-{int(a) + len(part) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part)


class _Short(_Ranged):
    short = True


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("http")
    rng = np.random.default_rng(15)
    df = pd.DataFrame({"a": np.arange(5_000), "b": rng.random(5_000), "s": [f"v{i % 97}" for i in range(5_000)]})
    for groups in (1, 7):
        fastpq.write(str(root / f"g{groups}.parquet"), df, row_group_offsets=-(-len(df) // groups))
    servers = {}
    for name, handler in (("ignores", _Quiet), ("honours", _Ranged), ("short", _Short)):
        cls = type(name, (handler,), {"gets": []})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(cls, directory=str(root)))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers[name] = (f"http://127.0.0.1:{srv.server_address[1]}", cls)
    yield root, df, servers
    for _ in servers:
        pass


@pytest.mark.parametrize("server", ["ignores", "honours"])
@pytest.mark.parametrize("groups", [1, 7])
@pytest.mark.parametrize("how", ["read", "columns", "head", "row_groups"])
def test_http_reads_equal_the_local_file(served, server, groups, how):
    root, df, servers = served
    base, _ = servers[server]
    url = f"{base}/g{groups}.parquet"
    expected = pq.read_table(root / f"g{groups}.parquet").to_pandas()
    if how == "read":
        got, want = fastpq.read_parquet(url), expected
    elif how == "columns":
        got, want = fastpq.read_parquet(url, columns=["s", "a"]), expected[["s", "a"]]
    elif how == "head":
        got, want = fastpq.ParquetFile(url).head(10), expected.head(10)
    else:
        pf = fastpq.ParquetFile(url)
        last = pf.num_row_groups - 1
        got = pf.to_pandas(row_groups=[last])
        want = expected.iloc[-int(pf.metadata.row_groups.num_rows[last]):].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)
    assert got["a"].dtype == np.int64


def test_a_server_that_ignores_ranges_sends_the_object_once_per_file(served):
    _, df, servers = served
    base, cls = servers["ignores"]
    before = len(cls.gets)
    pf = fastpq.ParquetFile(f"{base}/g7.parquet")
    pd.testing.assert_frame_equal(pf.to_pandas(), df, check_dtype=False)
    pf.to_pandas(columns=["b"])
    assert len(cls.gets) - before == 1  # footer + 7 row groups x 3 columns, twice: one whole body, sliced


def test_a_range_of_the_wrong_length_is_refused(served):
    base, _ = served[2]["short"]
    with pytest.raises(fastpq.ParquetError):
        fastpq.read_parquet(f"{base}/g7.parquet")
