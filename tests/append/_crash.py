"""Crash machinery shared by the crash tests: counting/killing disk operations, scenarios,
and what may happen to a crashed file afterwards (copied, moved, restored, rewritten)."""
from __future__ import annotations

import os
import shutil
import signal
import tarfile

import numpy as np

import fastpq
from fastpq.append import appender as append_mod
from fastpq.file import rowgroup
from tests._oracles import read_pyarrow, sha256
from tests.append._helpers import canon, expected, read_fastpq


class KillAt(append_mod.DiskOps):
    """Count disk operations; at number ``at``, SIGKILL this process - before the
    operation, or (a write, with ``fraction``) after that share of its bytes.

    fsyncs are counted but not made: a killed process loses nothing of what it
    wrote (the page cache survives it), so they only cost time here.
    ``test_power_loss.py`` covers what fsync is for.
    """

    def __init__(self, at=0, fraction=None):
        self.at, self.fraction, self.n, self.kinds = at, fraction, 0, []

    def _step(self, kind, fd=None, data=None, offset=None):
        self.n += 1
        self.kinds.append(kind)
        if self.n == self.at:
            if data is not None and self.fraction:
                view = memoryview(data).cast("B")
                super().pwrite(fd, view[:int(len(view) * self.fraction)], offset)
            os.kill(os.getpid(), signal.SIGKILL)

    def pwrite(self, fd, data, offset):
        self._step("pwrite", fd, data, offset)
        super().pwrite(fd, data, offset)

    def fsync(self, fd):
        self._step("fsync")

    def truncate(self, fd, size):
        self._step("truncate")
        super().truncate(fd, size)

    def unlink(self, path):
        self._step("unlink")
        super().unlink(path)

    def rename(self, src, dst):
        self._step("rename")
        super().rename(src, dst)

    def fsync_dir(self, folder):
        self._step("fsync_dir")


class NoSync(append_mod.DiskOps):
    """Disk operations without fsyncs: where no power is cut, they only cost time."""

    def fsync(self, fd):
        pass

    def fsync_dir(self, folder):
        pass


def in_child(action, ops) -> str:
    """Run ``action`` in a forked child with ``ops``: 'killed', 'done' or 'failed'."""
    def use_ops():
        append_mod.OPS = ops

    return forked(action, use_ops)


def forked(action, setup) -> str:
    """Run ``setup()`` then ``action()`` in a forked child: 'killed' (by SIGKILL), 'done' or 'failed'."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            rowgroup._POOL = None           # the parent's pool threads do not exist here
            setup()
            action()
        except BaseException:                 # noqa: BLE001
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return "killed"
    return "done" if os.WEXITSTATUS(status) == 0 else "failed"


class Scenario:
    """A base file (``frames`` written then appended one by one) and a frame to append."""

    def __init__(self, tmp_path, name, frames, new, **options):
        self.path = str(tmp_path / f"{name}.parquet")
        self.journal = append_mod.journal_path(self.path)
        fastpq.write(self.path, frames[0], row_group_offsets=options.get("row_group_offsets"))
        for f in frames[1:]:
            fastpq.write(self.path, f, append=True)
        self.base = open(self.path, "rb").read()
        self.base_sha = sha256(self.path)
        self.old, self.new_frames = expected(frames), expected(frames + [new])
        self.new, self.options = new, options
        counter = KillAt()
        saved, append_mod.OPS = append_mod.OPS, counter
        try:
            self.append()
        finally:
            append_mod.OPS = saved
        self.kinds = counter.kinds
        self.new_sha = sha256(self.path)
        assert canon(read_pyarrow(self.path)).equals(self.new_frames)
        self.reset()
        assert canon(read_pyarrow(self.path)).equals(self.old)

    def append(self):
        fastpq.write(self.path, self.new, append=True, **self.options)

    def reset(self):
        with open(self.path, "wb") as f:
            f.write(self.base)
        if os.path.exists(self.journal):
            os.unlink(self.journal)

    def state(self) -> str:
        """'old' or 'new', as fastpq reads the file (fails on anything else)."""
        return _read_state(self, self.path)

    def check_repaired(self, state: str) -> None:
        fastpq.repair(self.path)
        assert not os.path.exists(self.journal)
        assert sha256(self.path) == (self.base_sha if state == "old" else self.new_sha), state


def _journal_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------- after the kill

AFTERMATHS = ("copy", "move", "restore", "pyarrow", "duckdb", "polars")
OTHER_ROWS = np.arange(5000, dtype="int64") * 7 + 3          # what another tool writes over the file


class Crashed:
    """The bytes a kill (or power cut) left: the file and its journal (None: no journal)."""

    def __init__(self, scenario, state: str):
        with open(scenario.path, "rb") as f:
            self.data = f.read()
        self.journal = _journal_bytes(scenario.journal)
        self.name, self.state = os.path.basename(scenario.path), state


def aftermath(scenario, crashed: Crashed, what: str, workdir) -> str:
    """Lay ``crashed`` out in a directory of its own, then ``what`` (AFTERMATHS) happens to it:
    the directory is copied (new inodes), moved to another directory, or archived and restored
    from the archive; or another tool rewrites the file in place. Then fastpq must read
    exactly the old, the new or the other tool's rows, without writing anything, and after
    ``fastpq.repair`` pyarrow too, with the journal applied, finished or set aside (never
    lost). Returns what fastpq read: 'old', 'new' or 'other'."""
    import fastpq
    from fastpq.file.journal import Journal

    src = os.path.join(workdir, "src")
    os.makedirs(src)
    path = os.path.join(src, crashed.name)
    with open(path, "wb") as f:
        f.write(crashed.data)
    journal = append_mod.journal_path(path)
    if crashed.journal is not None:
        with open(journal, "wb") as f:
            f.write(crashed.journal)
    inode = os.stat(path).st_ino
    if what in ("copy", "move", "restore"):
        path = _relocate(src, workdir, crashed.name, what)
        if what != "restore":                           # (the restored file may reuse a freed inode)
            assert (os.stat(path).st_ino == inode) == (what == "move"), what
        assert _read_state(scenario, path) == crashed.state, what
        fastpq.repair(path)
        assert not os.path.exists(append_mod.journal_path(path))
        assert sha256(path) == (scenario.base_sha if crashed.state == "old" else scenario.new_sha), what
        assert canon(read_pyarrow(path)).equals(scenario.old if crashed.state == "old" else scenario.new_frames)
        return crashed.state
    _rewrite(path, what)
    written = sha256(path)
    assert _read_other(path, "fastpq") == OTHER_ROWS.tolist(), what
    done = fastpq.repair(path)
    assert sha256(path) == written and _read_other(path, "pyarrow") == OTHER_ROWS.tolist(), what
    assert not os.path.exists(journal)
    if crashed.journal is not None:
        if Journal.decode(crashed.journal) is None:
            assert done.startswith("removed an incomplete journal"), done
        else:
            aside = os.path.join(src, done.rsplit(" ", 1)[1])
            assert done.startswith("set aside a stale journal as ") and _journal_bytes(aside) == crashed.journal
    return "other"


def _relocate(src, workdir, name, what) -> str:
    if what == "copy":                                  # cp -a: new inodes, same bytes and modes
        shutil.copytree(src, os.path.join(workdir, "copy"), copy_function=shutil.copy2)
        return os.path.join(workdir, "copy", name)
    if what == "move":                                  # another directory, same inode
        os.makedirs(os.path.join(workdir, "elsewhere"))
        os.rename(src, os.path.join(workdir, "elsewhere", "moved"))
        return os.path.join(workdir, "elsewhere", "moved", name)
    archive = os.path.join(workdir, "backup.tar")      # a backup, the original lost, the backup restored
    with tarfile.open(archive, "w") as tar:
        tar.add(src, arcname="data")
    shutil.rmtree(src)
    with tarfile.open(archive) as tar:
        tar.extractall(os.path.join(workdir, "restored"), filter="data")
    return os.path.join(workdir, "restored", "data", name)


def _rewrite(path, tool) -> None:
    if tool == "pyarrow":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"x": OTHER_ROWS}), path)
    elif tool == "duckdb":
        import duckdb

        duckdb.sql(f"COPY (SELECT range * 7 + 3 AS x FROM range({len(OTHER_ROWS)})) TO '{path}' (FORMAT parquet)")
    else:
        import polars as pl

        pl.DataFrame({"x": OTHER_ROWS}).write_parquet(path)


def _read_other(path, reader) -> list:
    import fastpq

    if reader == "fastpq":
        return fastpq.ParquetFile(path).to_pandas()["x"].tolist()
    import pyarrow.parquet as pq

    return pq.read_table(path).column("x").to_pylist()


def _read_state(scenario, path) -> str:
    journal = append_mod.journal_path(path)
    before = (sha256(path), _journal_bytes(journal))
    got = canon(read_fastpq(path))
    assert (sha256(path), _journal_bytes(journal)) == before, "reading wrote to the file"
    for state, want in (("old", scenario.old), ("new", scenario.new_frames)):
        if got.equals(want):
            return state
    raise AssertionError(f"fastpq read {len(got)} rows: neither the old nor the new contents")
