"""Seeded mutation fuzzing of every readable file in test-data/ (tests/fuzz/_fuzz.py has the
mutations and the oracle), in a pool of worker processes under an address-space limit.

FASTPQ_FUZZ_CASES (default 5000) sets the number of cases, FASTPQ_FUZZ_SEED (default 7) the
seed, FASTPQ_FUZZ_WORKERS (default 2) the pool. ``pytest -s tests/fuzz`` prints the summary; a
failure lists each bad case with the job that reproduces it:

    python -m tests.fuzz._fuzz --repro '<job>'
"""
from __future__ import annotations

import collections
import json
import os
import time

import pytest

import fastpq
from tests.fuzz import _fuzz

CASES = int(os.environ.get("FASTPQ_FUZZ_CASES", 5000))
SEED = int(os.environ.get("FASTPQ_FUZZ_SEED", 7))
WORKERS = int(os.environ.get("FASTPQ_FUZZ_WORKERS", 2))


def _files():
    """Files fastpq reads, and those of them with page CRCs."""
    from fastpq.file.verify import verify_file

    names, crc = [], set()
    for path in sorted(_fuzz.TEST_DATA.glob("*.parquet")):
        report = verify_file(str(path))
        if report.ok:
            names.append(path.name)
            if report.pages_with_crc:
                crc.add(path.name)
    return names, crc


@pytest.fixture(scope="module")
def fuzz_run():
    names, crc = _files()
    assert len(names) >= 50 and len(crc) >= 2
    jobs = _fuzz.make_jobs(CASES, SEED, names, crc)
    start = time.perf_counter()
    outcomes = _fuzz.run(jobs, workers=WORKERS)
    return jobs, outcomes, time.perf_counter() - start


def _label(out) -> str:
    kind = out["kind"]
    if kind == "error":
        if out.get("checksum"):
            return "ChecksumError"
        return "ParquetError" if out["parquet_error"] else f"other:{out['type']}"
    if kind == "differs":
        return f"differs:{out['compare']}"
    return kind


def test_mutated_files_read_equal_or_raise_parquet_errors(fuzz_run):
    jobs, outcomes, seconds = fuzz_run
    by_outcome = collections.Counter(_label(o) for o in outcomes)
    by_kind = collections.defaultdict(collections.Counter)
    for job, out in zip(jobs, outcomes):
        by_kind[job["kind"]][_label(out)] += 1
    problems = []
    for job, out in zip(jobs, outcomes):
        if out["kind"] in ("timeout", "crash"):
            problems.append(f"{out['kind']}: {json.dumps(job)}\n    {out.get('stderr', '')[-600:]}")
        elif out.get("problem"):
            problems.append(f"{out['problem']}: {json.dumps(job)}")
    slow = max((o.get("seconds", 0) for o in outcomes), default=0)
    print(f"\nfuzz: {len(jobs)} cases, seed {SEED}, {WORKERS} workers, {seconds:.0f} s, slowest read "
          f"{slow:.2f} s, address space {int(os.environ.get('FASTPQ_FUZZ_AS', 4 << 30)) >> 20} MiB per worker")
    print("fuzz outcomes:", dict(sorted(by_outcome.items())))
    for kind, counts in sorted(by_kind.items()):
        print(f"  {kind:12} {dict(sorted(counts.items()))}")
    excuses = collections.Counter(o.get("excuse") for o in outcomes if o.get("kind") == "differs")
    print("frames that differ, accepted because:", dict(excuses))
    print(f"fuzz problems: {len(problems)}")
    assert len(outcomes) == CASES and all(o is not None for o in outcomes)
    assert by_outcome["skipped"] == 0
    assert not problems, "\n".join(problems[:40])


def test_a_mutation_is_reproducible():
    job = {"file": "pyarrow_core_v1_snappy.parquet", "seed": 12345, "kind": "multi", "variant": "read",
           "verify": False, "check_verify": False}
    assert _fuzz.mutate(job) == _fuzz.mutate(job)
    assert _fuzz.mutate(job)[0] != _fuzz.layout(job["file"]).raw
    job = dict(job, kind="footer_field")
    bad, places = _fuzz.mutate(job)
    assert "footer" in places and bad[-4:] == b"PAR1"
    try:
        fastpq.ParquetFile(bad)
    except fastpq.ParquetError:
        pass
