"""Reading hostile files in a child process, so that a crash or a hang is caught and named.

``run_jobs(jobs)`` starts ``python -m tests.file._hostile`` (the worker below),
feeds it JSON jobs and collects one outcome per job. A job that takes longer
than its timeout is recorded as ``timeout``; one that kills the worker
(segfault, abort) as ``crash``; either way a new worker resumes with the next
job. Jobs:

* ``{"op": "read", "path": p}``: read the file twice (the second read is timed,
  so that first-use kernel compilation does not count);
* ``{"op": "mutate", "path": p, "seed": s, "kind": "flip"|"truncate"|"splice"|"field",
  "region": "header"|"data", "verify": bool, "columns": [...]}``: mutate the
  file's bytes inside one page header or page payload (chosen by the seed;
  ``field`` sets one integer field of a page header and re-encodes it),
  read the result (``head(n)`` instead with ``"head": n``; ``"backend"``: a
  dtype_backend) and compare it with the unmutated file's frame.

Outcomes: ``{"kind": "ok", "seconds": t, ...}``, ``{"kind": "error", "type":
name, "parquet_error": bool, "checksum": bool, "message": m, "seconds": t}``,
for mutations ``"equal"`` / ``"differs"`` instead of ``"ok"``, and
``{"kind": "timeout"}`` / ``{"kind": "crash", "returncode": rc}``.
"""
from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------ parent side
def run_jobs(jobs: list, timeout: float = 30.0) -> list:
    """One outcome per job, in order (see the module docstring)."""
    outcomes: list = []
    while len(outcomes) < len(jobs):
        outcomes.extend(_run_worker(jobs[len(outcomes):], timeout))
    return outcomes


def _run_worker(jobs: list, timeout: float) -> list:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "tests.file._hostile"], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] + [lines.put(None)],
                     daemon=True).start()

    def feed():
        try:
            proc.stdin.write("".join(json.dumps(j) + "\n" for j in jobs))
            proc.stdin.close()
        except (BrokenPipeError, OSError):  # the worker died: the reader side reports it
            pass

    threading.Thread(target=feed, daemon=True).start()
    out: list = []
    try:
        while len(out) < len(jobs):
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                proc.kill()
                out.append({"kind": "timeout"})
                return out
            if line is None:  # the worker died inside the job it was running
                proc.wait()
                out.append({"kind": "crash", "returncode": proc.returncode})
                return out
            if line.startswith("DONE "):
                out.append(json.loads(line[5:]))
        return out
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


# ------------------------------------------------------------------------ worker side
def _error(exc, seconds) -> dict:
    import fastpq

    return {"kind": "error", "type": type(exc).__name__, "parquet_error": isinstance(exc, fastpq.ParquetError),
            "checksum": isinstance(exc, fastpq.ChecksumError), "message": str(exc)[:300], "seconds": seconds}


def _read(source, columns=None, verify=False, head=None, backend=None):
    import warnings

    import fastpq

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if head is not None:
            return fastpq.ParquetFile(source).head(head, columns=columns, verify_checksums=verify, use_threads=False,
                                                   dtype_backend=backend)
        return fastpq.read_parquet(source, columns=columns, verify_checksums=verify, use_threads=False,
                                   dtype_backend=backend)


def _timed(source, columns=None, verify=False, head=None, backend=None):
    t = time.perf_counter()
    try:
        df = _read(source, columns, verify, head, backend)
    except Exception as exc:  # noqa: BLE001 - every exception type is what we record
        return None, _error(exc, time.perf_counter() - t)
    return df, {"kind": "ok", "seconds": time.perf_counter() - t}


def _job_read(job) -> dict:
    _timed(job["path"])  # first read: kernels compile (or load from the cache)
    df, outcome = _timed(job["path"])
    if df is not None:
        outcome["shape"] = list(df.shape)
    return outcome


def page_regions(raw: bytes, columns=None) -> list:
    """[(kind, start, end, chunk_end)] for every page header ('header') and payload ('data') of
    the file (of the chunks of ``columns`` only, when given)."""
    import numpy as np

    import fastpq
    from fastpq._thrift import PageHeader
    from fastpq.format import thrift_io

    pf = fastpq.ParquetFile(raw)
    wanted = None if columns is None else {leaf.column_index for name in columns
                                           for leaf in pf.schema.field(name).leaves()}
    buf = np.frombuffer(raw, np.uint8)
    regions = []
    for rg in pf.metadata.row_groups:
        for i, chunk in enumerate(rg.columns):
            if wanted is not None and i not in wanted:
                continue
            md = chunk.meta_data
            if not md.num_values:
                continue  # an empty chunk (some writers leave its offsets at 0): no pages
            start = md.data_page_offset
            if md.dictionary_page_offset is not None and 0 < md.dictionary_page_offset < start:
                start = md.dictionary_page_offset
            pos, end = start, start + md.total_compressed_size
            while pos < end:
                header, n = thrift_io.decode_window(PageHeader, buf, pos, end, "PageHeader")
                regions.append(("header", pos, pos + n, end))
                if header.compressed_page_size:
                    regions.append(("data", pos + n, pos + n + header.compressed_page_size, end))
                pos += n + header.compressed_page_size
    return regions


def mutate(raw: bytes, seed: int, kind: str, region: str, columns=None) -> bytes:
    """``raw`` with one mutation inside a page header or payload, chosen by ``seed``."""
    rnd = random.Random(seed)
    regions = page_regions(raw, columns)
    _, start, end, chunk_end = rnd.choice([r for r in regions if r[0] == region])
    out = bytearray(raw)
    if kind == "flip":
        for _ in range(rnd.randint(1, 3)):
            out[rnd.randrange(start, end)] ^= rnd.randrange(1, 256)
    elif kind == "truncate":  # the page loses bytes; zeros after the chunk keep later offsets valid
        at = rnd.randrange(start, end)
        cut = min(rnd.randint(1, 64), end - at)
        del out[at:at + cut]
        out[chunk_end - cut:chunk_end - cut] = b"\0" * cut
    elif kind == "field":  # one integer field of the page header set to an extreme or nearby value
        return _mutate_header_field(raw, rnd, start, end, chunk_end)
    elif kind == "splice":  # bytes of another page overwrite part of this one
        length = min(rnd.randint(1, 32), end - start)
        at = rnd.randrange(start, end - length + 1)
        _, s2, e2, _ = rnd.choice(regions)
        src = rnd.randrange(s2, max(s2 + 1, e2 - length + 1))
        piece = raw[src:src + length]
        out[at:at + len(piece)] = piece
    else:
        raise ValueError(kind)
    return bytes(out)


def _mutate_header_field(raw: bytes, rnd: random.Random, start: int, end: int, chunk_end: int) -> bytes:
    from fastpq._thrift import PageHeader
    from fastpq.format import thrift_io

    header, n = thrift_io.decode(PageHeader, raw[start:end])
    fields = []
    for obj in (header, header.data_page_header, header.data_page_header_v2, header.dictionary_page_header):
        if obj is not None:
            fields += [(obj, spec[2]) for spec in obj.thrift_spec if spec and isinstance(getattr(obj, spec[2]), int)]
    obj, name = rnd.choice(fields)
    value = getattr(obj, name)
    new_value = rnd.choice([0, 1, -1, 2**31 - 1, -2**31, value + 1, value - 1, value * 2, value // 2,
                            rnd.randrange(-2**31, 2**31)])
    setattr(obj, name, min(max(new_value, -2**31), 2**31 - 1))  # thrift i32 fields
    return replace_header(raw, start, end, chunk_end, thrift_io.encode(header))


def replace_header(raw: bytes, start: int, end: int, chunk_end: int, new: bytes) -> bytes:
    """``raw`` with the page header at ``start:end`` replaced by ``new``; later chunks stay
    in place (this chunk is trimmed or padded at its end)."""
    out = bytearray(raw[:start] + new + raw[end:])
    shift = len(new) - (end - start)
    at = chunk_end + shift
    if shift > 0:
        del out[at - shift:at]
    elif shift < 0:
        out[at:at] = b"\0" * -shift
    return bytes(out)


_ORIGINALS: dict = {}


def _job_mutate(job) -> dict:
    import pandas as pd

    path, columns, verify, head = job["path"], job.get("columns"), job.get("verify", False), job.get("head")
    backend = job.get("backend")
    raw = Path(path).read_bytes()
    key = (path, tuple(columns or ()), head, backend)
    if key not in _ORIGINALS:
        _ORIGINALS[key] = _read(raw, columns, verify, head, backend)
    original = _ORIGINALS[key]
    bad = mutate(raw, job["seed"], job["kind"], job["region"], columns)
    df, outcome = _timed(bad, columns, verify, head, backend)
    if df is None:
        return outcome
    try:
        pd.testing.assert_frame_equal(df, original)
        outcome["kind"] = "equal"
    except Exception:  # noqa: BLE001 - AssertionError, or values pandas cannot compare (dates beyond 9999)
        outcome["kind"] = "differs"
        outcome["same_shape"] = list(df.shape) == list(original.shape) and list(df.columns) == list(original.columns)
    return outcome


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        print("START", json.dumps(job), flush=True)
        outcome = _job_read(job) if job["op"] == "read" else _job_mutate(job)
        print("DONE", json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
