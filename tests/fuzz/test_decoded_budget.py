"""The decoded-bytes budget (``fastpq.options.max_decoded_bytes``): small files that decode to a lot.

Two classes of input, each built by hand (tests/fuzz/_bombs.py) so nothing of its decoded size
is allocated to build it:

* level counts: one row of a nested field (every shape: lists, nested lists, maps, lists of
  structs, structs of lists, legacy repeated fields) or a flat column's rows, whose levels are
  RLE runs claiming up to 2**31 - 1 entries in a few bytes; values null or one dictionary
  value repeated; data pages v1 and v2;
* expansion: pages of zeros (zstd, gzip, brotli) whose declared size is 1-2 GiB, pages that
  decompress beyond their declared size, dictionary gathers of a 1 MiB string 4,096 times.

Big cases run in the fuzz harness's worker processes (RLIMIT_AS 4 GiB, so the default budget
there is half of what is left, about 1 GiB): each must raise ``DecodedBytesLimitError``
(or ``CorruptFileError`` where the file lies) having decoded little (the error's ``used``: work
counted, not timed) and with little resident memory. Small cases run here and check that within
the budget the same shapes read as pyarrow reads them, whatever their compression ratio.
"""
from __future__ import annotations

import io
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import fastpq
from fastpq import options
from fastpq._thrift import CompressionCodec
from fastpq.errors import CorruptFileError, DecodedBytesLimitError
from tests.conftest import PARQUET_TESTING, ROOT
from tests.fuzz import _bombs, _fuzz

ZSTD, GZIP, BROTLI = CompressionCodec.ZSTD, CompressionCodec.GZIP, CompressionCodec.BROTLI
MiB, GiB = 1 << 20, 1 << 30
BILLIONS = 2**31 - 1
LEVEL_SHAPES = ["flat", "list", "list<list>", "map", "list<struct>", "struct<list>", "repeated"]
LEVEL_CASES = [(shape, values, version) for shape in LEVEL_SHAPES for values in ("null", "dictionary")
               for version in (1, 2) if not (shape == "repeated" and values == "null")]  # its leaf is never null


# ------------------------------------------------------------------------------------ the setting
@pytest.mark.parametrize("text, value", [("1073741824", GiB), ("1G", GiB), ("512MiB", 512 * MiB), ("64k", 64 << 10),
                                         (" 2 GB ", 2 * GiB), ("3t", 3 << 40)])
def test_sizes_parse_in_binary_units(text, value):
    assert options.parse_size(text) == value


@pytest.mark.parametrize("text", ["", "-1", "0", "1.5G", "G", "1 X", "lots"])
def test_bad_sizes_are_refused_naming_the_variable(text):
    with pytest.raises(ValueError, match=options.ENV):
        options.parse_size(text)


def test_the_attribute_wins_over_the_environment_which_wins_over_the_default(monkeypatch):
    monkeypatch.delenv(options.ENV, raising=False)
    assert options.decoded_bytes_limit()[0] == options.default_max_decoded_bytes()
    monkeypatch.setenv(options.ENV, "3G")
    assert options.decoded_bytes_limit() == (3 * GiB, f"set by the environment variable {options.ENV}=3G")
    with options.override(max_decoded_bytes=5 * MiB):
        assert options.decoded_bytes_limit()[0] == 5 * MiB
        assert fastpq.options.max_decoded_bytes == 5 * MiB
    assert options.max_decoded_bytes is None and options.decoded_bytes_limit()[0] == 3 * GiB
    monkeypatch.setattr(options, "max_decoded_bytes", 7 * MiB)
    assert options.decoded_bytes_limit()[0] == 7 * MiB


@pytest.mark.parametrize("value, error", [(0, ValueError), (-5, ValueError), (1.5, TypeError), ("1G", TypeError),
                                          (True, TypeError)])
def test_bad_settings_are_refused(value, error, monkeypatch):
    with pytest.raises(error, match="max_decoded_bytes"):
        with options.override(max_decoded_bytes=value):
            pass
    monkeypatch.setattr(options, "max_decoded_bytes", value)
    with pytest.raises(error, match="max_decoded_bytes"):
        options.decoded_bytes_limit()


def test_the_default_is_half_the_memory_this_process_may_use():
    available = options.memory_available()
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert available is not None and 0 < available <= physical
    assert options.default_max_decoded_bytes() == max(options.FLOOR, available // 2)


def test_the_default_follows_an_address_space_limit():
    """Under RLIMIT_AS, the room left in the address space bounds the default (the fuzz workers')."""
    code = (
        "import resource\n"
        "from fastpq import options\n"
        "size = options._proc_status_bytes('VmSize')\n"
        "resource.setrlimit(resource.RLIMIT_AS, (size + (2 << 30), resource.RLIM_INFINITY))\n"
        "print(options.default_max_decoded_bytes())\n"
    )
    got = int(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout)
    assert 900 * MiB < got <= GiB


def test_the_budget_counts_what_is_kept_and_names_the_setting_when_full():
    budget = options.Budget(1000, "f.parquet")
    column = budget.account(column=["a", "b"])
    column.charge(600, "values")
    column.fits(400, "a page")  # checked, not charged
    pages = column.account()
    pages.charge(300, "a page kept")
    assert (budget.used, column.used, pages.used, budget.room) == (900, 900, 300, 100)
    with pytest.raises(DecodedBytesLimitError) as info:
        pages.charge(101, "a dictionary")
    exc = info.value
    assert isinstance(exc, fastpq.ParquetError) and not isinstance(exc, MemoryError)
    assert (exc.limit, exc.used, exc.needed) == (1000, 900, 101)
    for words in ("file f.parquet", "column 'a.b'", "a dictionary (101 bytes)", "fastpq.options.max_decoded_bytes",
                  "fastpq.options.override", options.ENV):
        assert words in str(exc)
    pages.close()
    assert (budget.used, column.used, pages.used) == (600, 600, 0)
    with pytest.raises(DecodedBytesLimitError):
        column.fits(401, "a page")
    column.close()
    assert budget.used == 0 and budget.room == 1000


# ------------------------------------------------------------------------------------ level counts
def _plain(value):
    """fastpq's objects as pyarrow's to_pylist gives them (arrays as lists, NaN as None)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@pytest.mark.parametrize("shape, values, version", LEVEL_CASES)
def test_level_bombs_read_as_pyarrow_reads_them_when_small(shape, values, version):
    import pyarrow.parquet as pq

    raw = _bombs.level_bomb(shape, 1000, values, version)
    expected = pq.read_table(io.BytesIO(raw)).column("c").to_pylist()
    got = [_plain(v) for v in fastpq.ParquetFile(raw).to_pandas()["c"].tolist()]
    assert got == expected


@pytest.mark.parametrize("shape, values, version", LEVEL_CASES)
def test_level_bombs_stop_at_the_budget_before_allocating(shape, values, version):
    raw = _bombs.level_bomb(shape, 100_000_000, values, version)
    with options.override(max_decoded_bytes=64 * MiB), pytest.raises(DecodedBytesLimitError) as info:
        fastpq.ParquetFile(raw).to_pandas()
    assert info.value.used <= 64 * MiB and "max_decoded_bytes" in str(info.value)


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    """Each big case read in a fuzz worker (RLIMIT_AS 4 GiB): {name: [outcomes]}."""
    folder = tmp_path_factory.mktemp("bombs")
    names, jobs = [], []

    def add(name, raw, variants=("read",), budget=None):
        path = folder / f"case{len(names)}.parquet"
        path.write_bytes(raw)
        names.append(name)
        jobs.append([{"path": str(path), "variant": v, "max_decoded_bytes": budget} for v in variants])

    for shape, values, version in LEVEL_CASES:
        add(("levels", shape, values, version, "2**31-1"), _bombs.level_bomb(shape, BILLIONS, values, version),
            ("read", "arrow", "head"))
        add(("levels", shape, values, version, "1e8"), _bombs.level_bomb(shape, 100_000_000, values, version),
            budget=256 * MiB)
    for codec in (ZSTD, GZIP):
        for version in (1, 2):
            for size in (GiB, 2 * GiB - 8):
                add(("page", codec, version, size), _bombs.page_bomb(size, codec, version=version), ("read", "head"))
            add(("page within rows", codec, version), _bombs.page_bomb(GiB, codec, version=version),
                budget=GiB + GiB // 2)
            add(("overrun", codec, version), _bombs.page_bomb(GiB, codec, version=version, declared=MiB),
                budget=4 * GiB)
    add(("pages", "4 GiB in 64 MiB pages, 4 row groups"), _bombs.page_bomb(4 * GiB, ZSTD, page_size=64 * MiB,
                                                                          row_groups=4))
    for shape in ("flat<string>", "list<string>"):
        for version in (1, 2):
            add(("gather", shape, version), _bombs.level_bomb(shape, 4096, "dictionary", version, entry=bytes(MiB),
                                                              codec=ZSTD), ("read", "arrow"))
    flat = [job for group in jobs for job in group]
    results = iter(_fuzz.run(flat, workers=2))
    return {name: [next(results) for _ in group] for name, group in zip(names, jobs)}


def _refused(outcomes, error="DecodedBytesLimitError", decoded=1200 * MiB):
    for out in outcomes:
        assert out["kind"] == "error" and out["type"] == error, out
        assert out["rss_growth_mb"] < 256, out
        if error == "DecodedBytesLimitError":
            assert out["decoded"] <= decoded, out  # refused before decoding what it claims
            assert "max_decoded_bytes" in out["message"], out


@pytest.mark.parametrize("shape, values, version", LEVEL_CASES)
def test_level_counts_of_billions_are_refused_in_bounded_memory(shape, values, version, harness):
    """Issue 13 item 14: a 187-byte list<int64> of 2e9 elements gave MemoryError, of 1e8 took
    1.7 GB: level entries are charged like flat columns' rows."""
    _refused(harness[("levels", shape, values, version, "2**31-1")])
    _refused(harness[("levels", shape, values, version, "1e8")], decoded=256 * MiB)


@pytest.mark.parametrize("codec", [ZSTD, GZIP])
@pytest.mark.parametrize("version", [1, 2])
def test_gigabyte_pages_are_refused_in_bounded_memory(codec, version, harness):
    """Issue 13 item 15: a single 1-2 GiB zstd page gave MemoryError."""
    for size in (GiB, 2 * GiB - 8):
        _refused(harness[("page", codec, version, size)])
    within_rows = harness[("page within rows", codec, version)]  # its rows fit, then the page does not
    _refused(within_rows, decoded=GiB + GiB // 2)
    assert "page at byte offset" in within_rows[0]["message"]


@pytest.mark.parametrize("codec", [ZSTD, GZIP])
@pytest.mark.parametrize("version", [1, 2])
def test_a_page_decompressing_beyond_its_declared_size_is_corrupt(codec, version, harness):
    outcomes = harness[("overrun", codec, version)]
    _refused(outcomes, "CorruptFileError")
    assert "more than" in outcomes[0]["message"]


def test_a_read_is_bounded_in_total_not_per_page(harness):
    """Issue 13 item 15: caps per page and per chunk let a 117 KB file reach 4 GB."""
    _refused(harness[("pages", "4 GiB in 64 MiB pages, 4 row groups")])


@pytest.mark.parametrize("shape", ["flat<string>", "list<string>"])
@pytest.mark.parametrize("version", [1, 2])
def test_dictionary_gathers_are_bounded_by_the_budget(shape, version, harness):
    _refused(harness[("gather", shape, version)])


# ------------------------------------------------------------------------------------ within the budget
@pytest.mark.parametrize("codec", [ZSTD, GZIP, BROTLI])
def test_a_page_decompresses_whatever_its_ratio_when_the_budget_holds_it(codec):
    """What a page may expand to depends on the budget alone: 64 MiB from a few KB (ratio ~10,000
    and more) reads with room for the column and the page, and is refused one byte short."""
    size = 64 * MiB
    raw = _bombs.page_bomb(size, codec)
    assert len(raw) * 500 < size
    need = size + size  # the column's values, and the page while it is decoded
    with options.override(max_decoded_bytes=need):
        df = fastpq.ParquetFile(raw).to_pandas()
    assert len(df) == size // 8 and not df["x"].any()
    with options.override(max_decoded_bytes=need - 1), pytest.raises(DecodedBytesLimitError, match="page"):
        fastpq.ParquetFile(raw).to_pandas()


def test_a_gather_reads_within_the_budget_and_is_refused_beyond_it():
    raw = _bombs.level_bomb("flat<string>", 64, "dictionary", entry=b"s" * MiB, codec=ZSTD)
    assert len(raw) < 1000
    with options.override(max_decoded_bytes=256 * MiB):
        assert fastpq.ParquetFile(raw).to_pandas()["c"].str.len().tolist() == [MiB] * 64
    with options.override(max_decoded_bytes=32 * MiB), pytest.raises(DecodedBytesLimitError) as info:
        fastpq.ParquetFile(raw).to_pandas()
    assert info.value.used <= 32 * MiB


LARGE_STRING_MAP = PARQUET_TESTING / "large_string_map.brotli.parquet"


def _mem_available() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


@pytest.mark.skipif(not LARGE_STRING_MAP.exists(), reason="corpus absent")
def test_large_string_map_is_refused_under_a_small_budget_without_decompressing():
    with options.override(max_decoded_bytes=256 * MiB), pytest.raises(DecodedBytesLimitError) as info:
        fastpq.ParquetFile(LARGE_STRING_MAP).to_pandas()
    assert info.value.used < MiB and "page" in str(info.value)


@pytest.mark.skipif(not LARGE_STRING_MAP.exists(), reason="corpus absent")
@pytest.mark.skipif(_mem_available() < 16 * GiB, reason="needs ~5.5 GB: runs where 16 GiB are free")
def test_large_string_map_reads_when_the_budget_allows():
    """Two 1 GiB pages in 4 KB (the caps per page refused it): ~20 s and 5.5 GB peak, in a child
    process, with the budget its decoding needs (the default on a machine of 12 GiB or more)."""
    code = (
        "import fastpq, resource\n"
        f"with fastpq.options.override(max_decoded_bytes={8 * GiB}):\n"
        f"    df = fastpq.ParquetFile({str(LARGE_STRING_MAP)!r}).to_pandas()\n"
        "assert len(df) == 2\n"
        "for row in df['arr']:\n"
        "    (key, value), = row\n"
        "    assert value == 1 and len(key) == 1 << 30 and key.count('a') == len(key)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=600)


@pytest.mark.parametrize("shape", ["flat<string>", "list<string>"])
def test_a_chunk_read_again_is_charged_once(shape):
    """A chunk whose metadata understates its size (old writers) is read again up to the footer:
    what its first attempt charged goes back, so it reads within the budget the honest file needs."""
    from tests.fuzz.test_allocation_caps import _join, _split

    raw = _bombs.level_bomb(shape, 16, "dictionary", entry=b"s" * (256 << 10), codec=ZSTD)
    data, fmd = _split(raw)
    md = fmd.row_groups[0].columns[0].meta_data
    md.total_compressed_size -= 1  # its last page runs past the end the metadata gives
    understated = _join(data, fmd)

    def reads(source, budget):
        try:
            with options.override(max_decoded_bytes=budget):
                fastpq.ParquetFile(source).to_pandas()
        except DecodedBytesLimitError:
            return False
        return True

    low, high = MiB, 64 * MiB  # the least budget the honest file reads in
    assert reads(raw, high) and not reads(raw, low)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if reads(raw, mid) else (mid, high)
    assert reads(understated, high)
