"""Seeded mutation fuzzing of the read path, in a pool of child processes.

Parent side: ``run(jobs, workers=2)`` starts ``python -m tests.fuzz._fuzz`` workers, hands each
the next job (JSON on stdin) and collects one outcome per job; a worker that dies inside a job
(``crash``) or does not answer in time (``timeout``) is replaced and the next job goes on.
Worker side: address space capped with ``RLIMIT_AS`` (``FASTPQ_FUZZ_AS`` bytes, default 4 GiB,
set after warm-up), a ``faulthandler`` watchdog per case that dumps the stack and exits on a hang.

A job: ``{"file": name in test-data, "seed": s, "kind": mutation, "variant": read|head|arrow|groups,
"verify": verify page CRCs, "check_verify": also run fastpq.file.verify on it}``. Reproduce one with
``python -m tests.fuzz._fuzz --repro '<job as JSON>'`` (prints the outcome, raises what the read
raised). The mutation comes from ``random.Random(seed)`` over the file's layout (page headers and
payloads from ``tests.file._hostile.page_regions``, and the footer):

flip / set        1-3 bits flipped / 1-4 bytes set (0, 0xFF, 0x7F, 0x80, 1, random) in a page
                  payload, a page header, the footer or anywhere
cut               1-64 bytes deleted inside a page region, zeros added at its chunk's end
truncate          the file cut short
splice            1-64 bytes of another test-data file copied over a region
dup_header        one page header's bytes copied over another page's header
zero_header       a page header zeroed
field             one integer field of a page header set to an extreme or nearby value
                  (``tests.file._hostile``'s mutation)
footer_field      one integer field anywhere in the FileMetaData (num_rows, a row group's
                  num_rows, a chunk's num_values, sizes, offsets, ...) set to an extreme value,
                  the footer re-encoded: a footer that claims billions of rows or values
multi             2-4 same-length mutations at once

The oracle (``_verdict``): no crash, no hang, no exception but a ``ParquetError`` (so no
MemoryError either). Beyond that, what a result may be depends on where the bytes changed:
a page payload without a CRC may decode to other values (same rows and columns; dtypes may
follow, as a null appearing makes an int column float); with a CRC verified it must raise
``ChecksumError``. A page header must give the original frame or a ParquetError, unless the
mutated header still decodes and names another encoding (another valid reading of the same
bytes). A footer must give the original frame or a ParquetError unless what it says about the
data changed (schema, key-value metadata, created_by, column orders): then any frame will do.
"""
from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "test-data"
KINDS = {"flip": 18, "set": 14, "cut": 8, "truncate": 3, "splice": 10, "dup_header": 6, "zero_header": 4,
         "field": 12, "footer_field": 15, "multi": 10}
VARIANTS = {"read": 6, "head": 2, "arrow": 1, "groups": 1}
CASE_SECONDS = 20.0


# =========================================================================== parent side
def make_jobs(n: int, base_seed: int, files: list, crc_files: set) -> list:
    rnd = random.Random(base_seed)
    kinds, kw = zip(*KINDS.items())
    variants, vw = zip(*VARIANTS.items())
    jobs = []
    for i in range(n):
        name = rnd.choice(files)
        jobs.append({"file": name, "seed": base_seed * 1_000_003 + i, "kind": rnd.choices(kinds, kw)[0],
                     "variant": rnd.choices(variants, vw)[0],
                     "verify": name in crc_files and rnd.random() < 0.5, "check_verify": rnd.random() < 0.08})
    return jobs


def run(jobs: list, workers: int = 2, case_seconds: float = CASE_SECONDS) -> list:
    """One outcome per job, in order."""
    outcomes: list = [None] * len(jobs)
    todo: queue.Queue = queue.Queue()
    for i in range(len(jobs)):
        todo.put(i)
    threads = [threading.Thread(target=_drive, args=(jobs, todo, outcomes, case_seconds), daemon=True)
               for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


class _Worker:
    def __init__(self):
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   PYTHONFAULTHANDLER="1")
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz._fuzz"], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def ask(self, job, seconds):
        """The outcome of ``job``, or {'kind': 'timeout'|'crash'} (the worker is then gone)."""
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._died()
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.proc.kill()
                self.proc.wait()
                return {"kind": "timeout", "stderr": self._stderr()}
            if line is None:
                return self._died()
            if line.startswith("DONE "):
                return json.loads(line[5:])

    def _died(self):
        self.proc.wait()
        return {"kind": "crash", "returncode": self.proc.returncode, "stderr": self._stderr()}

    def _stderr(self) -> str:
        self.err.seek(0)
        return self.err.read().decode(errors="replace")[-1500:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.err.close()


def _drive(jobs, todo, outcomes, case_seconds):
    worker = None
    try:
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            if worker is None:
                worker = _Worker()
            # the watchdog inside the worker fires first; this one catches a worker that cannot
            # even do that (and covers its start-up, which loads the kernels)
            out = worker.ask(jobs[i], case_seconds * 2 + 60)
            if out["kind"] in ("timeout", "crash"):
                worker.close()
                worker = None
            outcomes[i] = out
    finally:
        if worker is not None:
            worker.close()


# =========================================================================== worker side
_LAYOUTS: dict = {}
_ORIGINALS: dict = {}


class Layout:
    """A file's bytes and where its page headers, page payloads and footer are."""

    def __init__(self, name: str):
        from tests.file._hostile import page_regions

        self.raw = (TEST_DATA / name).read_bytes()
        self.regions = page_regions(self.raw)  # (kind, start, end, chunk_end)
        size = len(self.raw)
        footer_len = int.from_bytes(self.raw[-8:-4], "little")
        self.footer = (size - 8 - footer_len, size - 8)
        self.by_kind = {"payload": [r for r in self.regions if r[0] == "data"],
                        "header": [r for r in self.regions if r[0] == "header"],
                        "footer": [("footer", *self.footer, self.footer[1])],
                        "anywhere": [("anywhere", 0, size, size)]}

    def pick(self, rnd, kinds=("payload", "header", "footer", "anywhere"), weights=(40, 30, 20, 10)):
        kinds, weights = zip(*[(k, w) for k, w in zip(kinds, weights) if self.by_kind[k]])
        return rnd.choice(self.by_kind[rnd.choices(kinds, weights)[0]])

    def where(self, pos: int) -> str:
        """'payload', 'header', 'footer' or 'other' (page index, bloom filters, magic, gaps)."""
        for kind, start, end, _ in self.regions:
            if start <= pos < end:
                return "payload" if kind == "data" else "header"
        return "footer" if self.footer[0] <= pos < self.footer[1] else "other"

    def touched(self, bad: bytes) -> set:
        """Where ``bad`` (same length as the file) differs from it: the places of every changed byte."""
        import numpy as np

        a, b = np.frombuffer(self.raw, np.uint8), np.frombuffer(bad, np.uint8)
        changed = np.nonzero(a != b)[0]
        places = set()
        for kind, start, end, _ in self.regions:
            i = np.searchsorted(changed, start)
            if i < len(changed) and changed[i] < end:
                places.add("payload" if kind == "data" else "header")
        lo, hi = self.footer
        i = np.searchsorted(changed, lo)
        if i < len(changed) and changed[i] < hi:
            places.add("footer")
        inside = sum(int(np.searchsorted(changed, e) - np.searchsorted(changed, s)) for _, s, e, _ in self.regions)
        inside += int(np.searchsorted(changed, hi) - np.searchsorted(changed, lo))
        if inside < len(changed):
            places.add("other")
        return places


def layout(name: str) -> Layout:
    if name not in _LAYOUTS:
        _LAYOUTS[name] = Layout(name)
    return _LAYOUTS[name]


def mutate(job) -> tuple:
    """(mutated bytes, set of the places touched: payload/header/footer/other/file). Mutations that
    keep the file's length report where bytes changed (a header field re-encoded longer moves its
    page's payload: 'payload' too); the others, the region they cut into (and 'file')."""
    bad, places = _mutate(job)
    if len(bad) == len(layout(job["file"]).raw):
        return bad, layout(job["file"]).touched(bad)
    return bad, places | {"file"}


def _mutate(job) -> tuple:
    rnd = random.Random(job["seed"])
    lay = layout(job["file"])
    kind = job["kind"]
    if kind == "multi":
        out, places = bytearray(lay.raw), set()
        for _ in range(rnd.randint(2, 4)):
            out, more = _same_length(rnd.choice(["flip", "set", "splice", "dup_header", "zero_header"]), rnd, lay,
                                     out)
            places |= more
        return bytes(out), places
    if kind in ("flip", "set", "splice", "dup_header", "zero_header"):
        out, places = _same_length(kind, rnd, lay, bytearray(lay.raw))
        return bytes(out), places
    raw = lay.raw
    if kind in ("cut", "field") and not lay.by_kind["header"]:  # a file without pages
        kind = "truncate"
    if kind == "truncate":
        return raw[:rnd.randrange(0, len(raw))], {"file"}
    if kind == "cut":
        region = lay.pick(rnd, ("payload", "header"), (50, 50))
        _, start, end, chunk_end = region
        at = rnd.randrange(start, end)
        n = min(rnd.randint(1, 64), end - at)
        out = bytearray(raw)
        del out[at:at + n]
        out[chunk_end - n:chunk_end - n] = b"\0" * n
        return bytes(out), {"payload" if region[0] == "data" else "header"}
    if kind == "field":
        from tests.file._hostile import _mutate_header_field

        _, start, end, chunk_end = rnd.choice(lay.by_kind["header"])
        return _mutate_header_field(raw, rnd, start, end, chunk_end), {"header"}
    if kind == "footer_field":
        return _mutate_footer_field(raw, rnd, lay), {"footer"}
    raise ValueError(kind)


def _same_length(kind, rnd, lay, out: bytearray) -> tuple:
    if kind in ("dup_header", "zero_header"):
        headers = lay.by_kind["header"]
        if not headers:
            kind = "flip"
        else:
            _, start, end, _ = rnd.choice(headers)
            if kind == "zero_header":
                out[start:end] = bytes(end - start)
                return out, {"header"}
            _, s2, e2, _ = rnd.choice(headers)
            piece = lay.raw[s2:e2][:len(out) - start]
            out[start:start + len(piece)] = piece
            return out, {lay.where(p) for p in range(start, start + len(piece))}
    _, start, end, _ = lay.pick(rnd)
    if kind == "flip":
        spots = [rnd.randrange(start, end) for _ in range(rnd.randint(1, 3))]
        for p in spots:
            out[p] ^= 1 << rnd.randrange(8)
    elif kind == "set":
        at = rnd.randrange(start, end)
        spots = list(range(at, min(end, at + rnd.randint(1, 4))))
        for p in spots:
            out[p] = rnd.choice([0, 0xFF, 0x7F, 0x80, 1, rnd.randrange(256)])
    elif kind == "splice":
        other = (TEST_DATA / rnd.choice(sorted(p.name for p in TEST_DATA.glob("*.parquet")))).read_bytes()
        n = min(rnd.randint(1, 64), end - start, len(other))
        at = rnd.randrange(start, end - n + 1)
        src = rnd.randrange(0, len(other) - n + 1)
        out[at:at + n] = other[src:src + n]
        spots = list(range(at, at + n))
    else:
        raise ValueError(kind)
    return out, {lay.where(p) for p in spots}


def _int_fields(obj, path=()):
    """(object, attribute, path) of every int field in a thrift struct tree."""
    for spec in obj.thrift_spec:
        if spec is None:
            continue
        name = spec[2]
        value = getattr(obj, name)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            yield obj, name, path + (name,)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if hasattr(item, "thrift_spec"):
                    yield from _int_fields(item, path + (name, i))
        elif hasattr(value, "thrift_spec"):
            yield from _int_fields(value, path + (name,))


def _mutate_footer_field(raw: bytes, rnd, lay) -> bytes:
    from fastpq._thrift import FileMetaData
    from fastpq.format import thrift_io

    start, end = lay.footer
    fmd, _ = thrift_io.decode(FileMetaData, raw[start:end])
    fields = list(_int_fields(fmd))
    obj, name, _ = rnd.choice(fields)
    value = getattr(obj, name)
    ttype = next(s[1] for s in obj.thrift_spec if s and s[2] == name)
    top = {3: 2**7 - 1, 6: 2**15 - 1, 10: 2**63 - 1}.get(ttype, 2**31 - 1)  # TType I08, I16, I64; else I32
    new = rnd.choice([0, 1, -1, value + 1, value - 1, value * 2, value * 1000, 2**31 - 1, 2**32, 2**40, top,
                      -top - 1, rnd.randrange(-top, top)])
    setattr(obj, name, max(min(new, top), -top - 1))
    footer = thrift_io.encode(fmd)
    return raw[:start] + footer + len(footer).to_bytes(4, "little") + b"PAR1"


# ----------------------------------------------------------------------------- reading
def _read(source, variant, verify, rows):
    import warnings

    import fastpq

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pf = fastpq.ParquetFile(source)
        _ = (pf.schema, pf.dtypes, pf.statistics, pf.row_groups, str(pf.schema), repr(pf))  # metadata paths too
        kw = dict(verify_checksums=verify, use_threads=False)
        if variant == "head":
            return [pf.head(rows, **kw)]
        if variant == "arrow":
            return [pf.to_pandas(dtype_backend="pyarrow", **kw)]
        if variant == "groups":
            return [pf.to_pandas(row_groups=[i], **kw) for i in range(pf.num_row_groups)]
        return [pf.to_pandas(**kw)]


def _original(job):
    key = (job["file"], job["variant"], job["verify"], _head_rows(job))
    if key not in _ORIGINALS:
        try:
            _ORIGINALS[key] = _read(layout(job["file"]).raw, job["variant"], job["verify"], _head_rows(job))
        except Exception as exc:  # noqa: BLE001 - a file fastpq does not read: nothing to compare
            _ORIGINALS[key] = exc
    return _ORIGINALS[key]


def _head_rows(job) -> int:
    return (1, 7, 50, 333)[job["seed"] % 4] if job["variant"] == "head" else 0


def _compare(frames, originals) -> str:
    """'equal', 'values' (same rows, columns and dtypes), 'dtypes' (same rows and columns) or 'shape'."""

    if len(frames) != len(originals):
        return "shape"
    worst = "equal"
    for df, orig in zip(frames, originals):
        if df.shape != orig.shape or list(map(str, df.columns)) != list(map(str, orig.columns)):
            return "shape"
        if list(map(str, df.dtypes)) != list(map(str, orig.dtypes)):
            worst = "dtypes"
            continue
        if not all(_same_column(df.iloc[:, i], orig.iloc[:, i]) for i in range(df.shape[1])) \
                or not df.index.equals(orig.index):
            worst = "values" if worst == "equal" else worst
    return worst


def _same_column(a, b) -> bool:
    import pandas as pd

    try:
        if a.equals(b):
            return True
    except Exception:  # noqa: BLE001 - nested values (arrays in cells) pandas cannot compare this way
        pass
    try:
        pd.testing.assert_series_equal(a, b)
        return True
    except Exception:  # noqa: BLE001 - AssertionError, or values pandas cannot compare
        return False


def _semantics(raw: bytes):
    """What a footer says about the data (None if it does not decode)."""
    from fastpq._thrift import FileMetaData
    from fastpq.format import thrift_io

    try:
        n = int.from_bytes(raw[-8:-4], "little")
        fmd, _ = thrift_io.decode(FileMetaData, raw[len(raw) - 8 - n:len(raw) - 8])
    except Exception:  # noqa: BLE001
        return None
    return (fmd.schema, fmd.key_value_metadata, fmd.created_by, fmd.column_orders)


_ENCODING_FIELDS = {"encoding", "definition_level_encoding", "repetition_level_encoding", "is_compressed"}


def _header_encodings_changed(job, bad: bytes) -> bool:
    """True if some page header of ``bad`` still decodes but names other encodings than the original."""
    from fastpq._thrift import PageHeader
    from fastpq.format import thrift_io

    lay = layout(job["file"])
    for kind, start, end, chunk_end in lay.by_kind["header"]:
        if bad[start:end] == lay.raw[start:end]:
            continue
        try:
            new, _ = thrift_io.decode(PageHeader, bad[start:chunk_end])
            old, _ = thrift_io.decode(PageHeader, lay.raw[start:end])
        except Exception:  # noqa: BLE001
            continue
        for part in ("data_page_header", "data_page_header_v2", "dictionary_page_header"):
            a, b = getattr(old, part), getattr(new, part)
            if a is not None and b is not None and any(getattr(a, f, None) != getattr(b, f, None)
                                                       for f in _ENCODING_FIELDS):
                return True
    return False


def _verdict(job, places, bad, outcome) -> tuple:
    """(why the outcome is not acceptable or None, why a differing frame is acceptable or None)."""
    kind = outcome["kind"]
    if kind == "error":
        if not outcome["parquet_error"]:
            return f"{outcome['type']} (not a ParquetError): {outcome['message']}", None
        return None, None
    if outcome.get("verify_problem"):
        return outcome["verify_problem"], None
    if kind == "equal":
        return None, None
    # a frame that differs from the original
    if "footer" in places and _semantics(bad) != _semantics(layout(job["file"]).raw):
        return None, "footer describes other data"  # any frame is a faithful reading of it
    if outcome["compare"] == "shape":
        return "a frame of another shape or other columns", None
    if job["verify"] and "payload" in places:
        return "a page payload changed under verify_checksums, yet no ChecksumError", None
    if "payload" in places:
        return None, "payload without CRC"  # other values (and the dtypes they imply) are a faithful reading
    if "header" in places and _header_encodings_changed(job, bad):
        return None, "header names another encoding"  # another valid reading of the same bytes
    return f"{sorted(places)} mutation read without error but gave other data ({outcome['compare']})", None


def run_file(job) -> dict:
    """Read the file ``job['path']`` as it is: {'kind': 'ok'|'error', ..., 'rss_growth_mb': peak RSS growth};
    under ``job['max_decoded_bytes']`` when given (else the default: half the room left under RLIMIT_AS).
    A DecodedBytesLimitError also gives 'decoded', the bytes the read had decoded when it was refused."""
    import resource

    import fastpq

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    calls = [0]
    if job.get("count_calls"):   # work done, counted: Python and C function calls (every thread)
        def count(frame, event, arg):
            calls[0] += 1
        sys.setprofile(count)
        threading.setprofile(count)
    try:
        with fastpq.options.override(max_decoded_bytes=job.get("max_decoded_bytes")):
            frames = _read(Path(job["path"]).read_bytes(), job.get("variant", "read"), job.get("verify", False), 5)
        outcome = {"kind": "ok", "rows": [len(f) for f in frames]}
    except Exception as exc:  # noqa: BLE001 - every exception type is an outcome
        outcome = {"kind": "error", "type": type(exc).__name__, "parquet_error": isinstance(exc, fastpq.ParquetError),
                   "message": str(exc)[:300]}
        if isinstance(exc, fastpq.DecodedBytesLimitError):
            outcome["decoded"] = exc.used
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    outcome["calls"] = calls[0]
    outcome["seconds"] = round(time.perf_counter() - start, 3)
    outcome["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
    return outcome


def run_case(job) -> dict:
    import fastpq

    if "path" in job:
        return run_file(job)
    original = _original(job)
    if isinstance(original, Exception):
        return {"kind": "skipped", "why": f"original: {type(original).__name__}"}
    bad, places = mutate(job)
    start = time.perf_counter()
    try:
        frames = _read(bad, job["variant"], job["verify"], _head_rows(job))
    except Exception as exc:  # noqa: BLE001 - every exception type is an outcome
        outcome = {"kind": "error", "type": type(exc).__name__, "parquet_error": isinstance(exc, fastpq.ParquetError),
                   "checksum": isinstance(exc, fastpq.ChecksumError), "message": str(exc)[:300]}
    else:
        compare = _compare(frames, original)
        outcome = {"kind": "equal" if compare == "equal" else "differs", "compare": compare}
    outcome["seconds"] = round(time.perf_counter() - start, 3)
    outcome["places"] = sorted(places)
    if job.get("check_verify"):
        outcome["verify_problem"] = _check_verify(bad, outcome)
    outcome["problem"], outcome["excuse"] = _verdict(job, places, bad, outcome)
    return outcome


def _check_verify(bad: bytes, outcome) -> str | None:
    """fastpq.file.verify never raises, and finds a problem wherever reading raised one."""
    from fastpq.file.verify import verify_file

    try:
        report = verify_file(bad)
    except Exception as exc:  # noqa: BLE001
        return f"verify raised {type(exc).__name__}: {exc}"
    if outcome["kind"] == "error" and outcome.get("parquet_error") and report.ok \
            and "PrecisionError" not in outcome.get("type", ""):
        return f"the read raised {outcome['type']} but verify found nothing"
    return None


def _limit_address_space() -> None:
    import resource

    limit = int(os.environ.get("FASTPQ_FUZZ_AS", 4 << 30))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main() -> None:
    import faulthandler

    # warm up (imports, kernels from the cache, thread pools) before capping the address space
    _read((TEST_DATA / "pyarrow_core_v1_snappy.parquet").read_bytes(), "read", False, 5)
    _read((TEST_DATA / "pyarrow_nested_v1_snappy.parquet").read_bytes(), "arrow", False, 5)
    _limit_address_space()
    for line in sys.stdin:
        job = json.loads(line)
        if "path" not in job:
            # the first read of an unmutated file may compile kernels (an empty numba cache in a
            # fresh clone, two workers compiling at once): not under test, so not under the watchdog
            _original(job)
        faulthandler.dump_traceback_later(CASE_SECONDS, exit=True)
        try:
            outcome = run_case(job)
        except MemoryError as exc:  # outside the read: mutation or comparison
            outcome = {"kind": "error", "type": "MemoryError", "parquet_error": False, "message": str(exc),
                       "problem": "MemoryError"}
        finally:
            faulthandler.cancel_dump_traceback_later()
        print("DONE", json.dumps(outcome), flush=True)


def repro(job) -> None:
    _read((TEST_DATA / "pyarrow_core_v1_snappy.parquet").read_bytes(), "read", False, 5)
    _limit_address_space()
    bad, places = mutate(job)
    print(f"mutated {sorted(places)}: {len(bad)} bytes (original {len(layout(job['file']).raw)})")
    print(json.dumps(run_case(job), indent=2))
    _read(bad, job["variant"], job["verify"], _head_rows(job))  # raises what it raises, with a traceback


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--repro":
        repro(json.loads(sys.argv[2]))
    else:
        main()
