"""Crash machinery shared by the crash tests: counting/killing disk operations, scenarios."""
from __future__ import annotations

import os
import signal

import fastpq
from fastpq import append as append_mod
from fastpq import writer as writer_mod
from tests.append._helpers import canon, expected, read_fastpq, read_pyarrow, sha256


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

    def fsync_dir(self, folder):
        self._step("fsync_dir")


def in_child(action, ops) -> str:
    """Run ``action`` in a forked child with ``ops``: 'killed', 'done' or 'failed'."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            writer_mod._POOL = None           # the parent's pool threads do not exist here
            append_mod.OPS = ops
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
        before = (sha256(self.path), _journal_bytes(self.journal))
        got = canon(read_fastpq(self.path))
        assert (sha256(self.path), _journal_bytes(self.journal)) == before, "reading wrote to the file"
        if got.equals(self.old):
            return "old"
        if got.equals(self.new_frames):
            return "new"
        raise AssertionError(f"fastpq read {len(got)} rows: neither the old ({len(self.old)}) nor the new "
                             f"({len(self.new_frames)}) contents")

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
