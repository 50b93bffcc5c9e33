"""Hostile input on the read path, read in a child process (tests/file/_hostile.py) so that a crash
or a hang fails the test instead of the test run.

* Every file of parquet-testing's bad_data raises the ParquetError subclass the registry lists
  (the registry must name every file there), in under a second.
* Seeded mutations of committed files (bytes flipped, pages truncated, bytes spliced in from
  another page, inside page headers and page payloads; header fields set to extreme values):
  each read equals the original, or
  raises a ParquetError, or (where nothing can tell: no CRC) gives a frame of the same shape.
  With page CRCs verified, a mutated payload must raise ChecksumError.
"""
from __future__ import annotations

import collections
import itertools

import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq import CorruptFileError, UnsupportedFeatureError
from tests.conftest import BAD_DATA, TEST_DATA, needs_corpus
from tests.file._hostile import run_jobs

# bad_data file -> (the error it must raise, or None when it is valid and must read as pyarrow reads it; why)
BAD_FILES = {
    "ARROW-GH-41317.parquet": ((CorruptFileError,), "RowGroup metadata whose thrift field types are wrong"),
    "ARROW-GH-41321.parquet": ((CorruptFileError,), "definition levels run past their page"),
    "ARROW-GH-43605.parquet": (None, "valid: dictionary indices with bit width 0 (crashed Go's reader); "
                                     "pyarrow and arrow-rs read it"),
    "ARROW-GH-45185.parquet": ((CorruptFileError, UnsupportedFeatureError),
                               "list levels above the maximum (UnsupportedFeatureError where nested "
                               "reading is absent)"),
    "ARROW-GH-47662.parquet": ((CorruptFileError,), "FIXED_LEN_BYTE_ARRAY page shorter than its values"),
    "ARROW-RS-GH-6229-DICTHEADER.parquet": ((CorruptFileError,), "dictionary page header lacks num_values"),
    "ARROW-RS-GH-6229-LEVELS.parquet": ((CorruptFileError, UnsupportedFeatureError),
                                        "pages hold more level entries than the chunk (nested)"),
    "PARQUET-1481.parquet": ((CorruptFileError,), "schema element with an invalid physical type"),
}
SECONDS = 1.0


def _bad_files():
    return sorted(p for p in BAD_DATA.glob("*") if p.is_file() and not p.name.startswith(".")) \
        if BAD_DATA.exists() else []


@needs_corpus
def test_registry_lists_every_bad_file():
    names = {p.name for p in _bad_files()}
    assert names - set(BAD_FILES) == set(), "bad_data files without a registry entry"
    assert set(BAD_FILES) - names == set(), "registry entries without a file"


@pytest.fixture(scope="module")
def bad_outcomes():
    files = _bad_files()
    outcomes = run_jobs([{"op": "read", "path": str(p)} for p in files], timeout=120)
    return dict(zip([p.name for p in files], outcomes))


@needs_corpus
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_raises_its_registered_error(name, bad_outcomes):
    if name not in bad_outcomes:
        pytest.skip("file absent")
    outcome = bad_outcomes[name]
    expected, why = BAD_FILES[name]
    assert outcome["kind"] in ("ok", "error"), f"{name}: {outcome} ({why})"
    assert outcome["seconds"] < SECONDS, f"{name} took {outcome['seconds']:.2f} s"
    if expected is None:
        assert outcome["kind"] == "ok", outcome
        pd.testing.assert_frame_equal(fastpq.read_parquet(BAD_DATA / name), pd.read_parquet(BAD_DATA / name))
        return
    assert outcome["kind"] == "error", f"{name} read without error; expected {expected} ({why})"
    assert outcome["parquet_error"], f"{name} raised {outcome['type']}, not a ParquetError: {outcome['message']}"
    assert issubclass(getattr(fastpq, outcome["type"]), expected), outcome
    assert "bad_data" in outcome["message"]  # the message names the file


# ---------------------------------------------------------------------------------- mutations
# (file, columns to read or None, verify page CRCs)
MUTATED = [
    ("pyarrow_core_v1_snappy.parquet", None, False),
    ("pyarrow_core_v1_uncompressed.parquet", None, False),
    ("pyarrow_core_v2_zstd.parquet", None, False),
    ("pyarrow_core_v2_uncompressed.parquet", None, False),
    ("pyarrow_encodings_v1_snappy.parquet", None, False),
    ("pyarrow_encodings_v2_uncompressed.parquet", None, False),
    ("pyarrow_dict_fallback_v2_snappy.parquet", None, False),
    ("pyarrow_nulls_v1_dict_snappy.parquet", None, False),
    ("pyarrow_int96_timestamps.parquet", None, False),
    ("duckdb_types_v1_snappy.parquet", None, False),
    ("polars_types_lz4_raw.parquet", None, False),
    ("pyarrow_pages_small_v1_snappy_pageindex_crc_bloom.parquet", "flat", True),
    ("pyarrow_pages_small_v2_zstd_pageindex_crc_bloom.parquet", "flat", True),
]
CASES_PER_FILE = 28
KINDS = ["flip", "truncate", "splice"]
REGIONS = ["header", "data"]
# (mutation, region): "field" sets one integer field of a page header to an extreme or nearby value
CASE_KINDS = [(k, r) for k in KINDS for r in REGIONS] + [("field", "header")]


def _flat_columns(path):
    pf = fastpq.ParquetFile(path)
    return [f.name for f in pf.schema.fields if f.is_leaf and f.max_rep == 0]


def _mutation_jobs():
    jobs = []
    for k, (name, columns, verify) in enumerate(MUTATED):
        path = TEST_DATA / name
        cols = _flat_columns(path) if columns == "flat" else None
        for i, (kind, region) in zip(range(CASES_PER_FILE), itertools.cycle(CASE_KINDS)):
            jobs.append({"op": "mutate", "path": str(path), "seed": 1000 * k + i, "kind": kind, "region": region,
                         "verify": verify, "columns": cols})
    return jobs


@pytest.fixture(scope="module")
def mutation_outcomes():
    jobs = _mutation_jobs()
    return jobs, run_jobs(jobs, timeout=60)


def test_mutated_files_read_equal_or_raise_parquet_errors(mutation_outcomes):
    jobs, outcomes = mutation_outcomes
    assert len(outcomes) == len(jobs) >= 300
    counts = collections.Counter()
    problems = []
    for job, out in zip(jobs, outcomes):
        tag = f"{job['path'].rsplit('/', 1)[-1]} seed={job['seed']} {job['kind']} {job['region']}"
        kind = out["kind"]
        counts[kind if kind != "error" else ("ChecksumError" if out["checksum"] else "ParquetError"
                                             if out["parquet_error"] else "other " + out["type"])] += 1
        if kind in ("timeout", "crash"):
            problems.append(f"{tag}: {out}")
        elif kind == "error" and not out["parquet_error"]:
            problems.append(f"{tag}: {out['type']}: {out['message']}")
        elif kind == "differs" and not out["same_shape"]:
            problems.append(f"{tag}: a frame of another shape or columns")
        elif job["verify"] and job["region"] == "data" and not (kind == "equal" or out.get("checksum")):
            problems.append(f"{tag}: payload changed under verify_checksums but got {out}")
        if kind in ("ok", "equal", "differs", "error") and out["seconds"] > 5:
            problems.append(f"{tag}: took {out['seconds']:.1f} s")
    print("mutation outcomes:", dict(counts))
    assert not problems, "\n".join(problems)


def test_mutations_change_the_bytes_they_say():
    from tests.file._hostile import mutate, page_regions

    raw = (TEST_DATA / "pyarrow_core_v1_snappy.parquet").read_bytes()
    regions = page_regions(raw)
    md = pq.ParquetFile(TEST_DATA / "pyarrow_core_v1_snappy.parquet").metadata
    assert sum(1 for r in regions if r[0] == "header") >= md.num_columns
    for seed in range(20):
        for kind, region in CASE_KINDS:
            bad = mutate(raw, seed, kind, region)
            assert len(bad) == len(raw) and bad[-8:] == raw[-8:]  # the footer is untouched
            diff = [i for i in range(len(raw)) if bad[i] != raw[i]]
            if kind in ("flip", "field") and diff:
                assert any(s <= diff[0] < e for r, s, e, _ in regions if r == region)
            if kind == "flip":
                assert diff
