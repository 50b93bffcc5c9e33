"""Power loss: what was not fsynced may be lost, torn or kept, in any combination.

SIGKILL (``test_crash.py``) loses nothing that was written; a power cut loses
what the disk had not made durable. This simulation stops an append at its
k-th disk operation (every later operation, including the rollback the
exception triggers, is dropped: the machine is off), then undoes a random
choice of what happened since the last fsync of each file - writes dropped
whole, torn (some 512-byte sectors kept, some not) or kept; truncations
undone or kept - and of what happened since the last directory fsync
(the journal's creation or removal undone or kept). fastpq must then read the
old or the new rows, and repair must give the byte-exact old or new file.

This is what checks the fsync ordering: drop the fsync after the row groups
and before the commit record, and a kept footer over lost data reads wrong.

Each state a power cut leaves then meets, in turn, one of the aftermaths of
``_crash.aftermath`` (copied, moved, restored from an archive, rewritten by
pyarrow, duckdb or polars) in a directory of its own.
"""
from __future__ import annotations

import os
import random
import shutil
from collections import Counter

import pytest

from fastpq.append import appender as append_mod
from tests.append._crash import AFTERMATHS, Crashed, Scenario, aftermath
from tests.append._helpers import frame

SEEDS_PER_POINT = 6


class PowerCut(BaseException):
    """The power went off (a BaseException: nothing should handle it)."""


class PowerLoss(append_mod.DiskOps):
    def __init__(self, at: int, rng: random.Random):
        self.at, self.rng, self.n, self.off = at, rng, 0, False
        self.pending = {}          # path -> [undo records since its last fsync]
        self.dir_pending = []      # undo records of directory entries since the last directory fsync

    def _step(self):
        if self.off:
            return False
        self.n += 1
        if self.n == self.at:
            self.off = True
            raise PowerCut()
        return True

    @staticmethod
    def _path(fd):
        return os.readlink(f"/proc/self/fd/{fd}")

    def pwrite(self, fd, data, offset):
        if not self._step():
            return
        path = self._path(fd)
        size = os.fstat(fd).st_size
        old = _pread(path, offset, len(memoryview(data).cast("B")))
        self.pending.setdefault(path, []).append(("write", offset, old, size, len(memoryview(data).cast("B"))))
        super().pwrite(fd, data, offset)

    def truncate(self, fd, size):
        if not self._step():
            return
        path = self._path(fd)
        old_size = os.fstat(fd).st_size
        tail = _pread(path, size, max(0, old_size - size))
        self.pending.setdefault(path, []).append(("truncate", size, tail, old_size, 0))
        super().truncate(fd, size)

    def fsync(self, fd):
        if self._step():
            self.pending.pop(self._path(fd), None)

    def write_file(self, path, data, offset=0, create=True, like=None):
        if self.off:
            return
        if create:
            self.dir_pending.append(("created", path, None))
        super().write_file(path, data, offset, create, like)

    def unlink(self, path):
        if not self._step():
            return
        try:
            with open(path, "rb") as f:
                content = f.read()
        except FileNotFoundError:
            return
        self.dir_pending.append(("unlinked", path, content))
        self.pending.pop(path, None)
        super().unlink(path)

    def fsync_dir(self, folder):
        if self._step():
            self.dir_pending.clear()

    # ------------------------------------------------------------ the lost state
    def lose(self) -> None:
        """Undo a random part of everything not yet durable (newest first)."""
        for path, records in self.pending.items():
            if not os.path.exists(path):
                continue
            with open(path, "r+b") as f:
                for kind, a, old, size_before, length in reversed(records):
                    choice = self.rng.choice(("keep", "drop", "tear"))
                    if choice == "keep":
                        continue
                    if kind == "truncate":
                        f.seek(a)
                        f.write(old)
                        continue
                    self._undo_write(f, a, old, size_before, length, choice == "tear")
        for kind, path, content in reversed(self.dir_pending):
            if self.rng.random() < 0.5:
                continue
            if kind == "created" and os.path.exists(path):
                os.unlink(path)
            elif kind == "unlinked" and not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(content)

    def _undo_write(self, f, offset, old, size_before, length, tear):
        sectors = range(offset // 512, (offset + length + 511) // 512)
        for sector in sectors:
            if tear and self.rng.random() < 0.5:
                continue
            lo, hi = max(offset, sector * 512), min(offset + length, sector * 512 + 512)
            f.seek(lo)
            f.write(old[lo - offset:hi - offset] if lo - offset < len(old) else b"")
            if hi - offset > len(old):            # past the old end of file: gone, or zeros
                f.seek(max(lo, offset + len(old)))
                f.write(b"\0" * (hi - max(lo, offset + len(old))))
        end = os.fstat(f.fileno()).st_size
        if not tear and offset + length >= end and size_before < end:
            f.truncate(max(size_before, offset))


def _pread(path, offset, n) -> bytes:
    with open(path, "rb") as f:       # fds of the journal are write-only
        f.seek(offset)
        return f.read(n)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("power")
    return [
        Scenario(tmp, "small", [frame(i) for i in range(5)], frame(50, 300)),
        Scenario(tmp, "row_groups", [frame(i, 30) for i in range(12)], frame(61, 900), row_group_offsets=300),
    ]


def test_power_cut_at_every_operation(scenarios, tmp_path):
    rng = random.Random(99)
    tried, outcomes, after = 0, {"old": 0, "new": 0}, Counter()
    for scenario in scenarios:
        for at in range(1, len(scenario.kinds) + 2):
            for _ in range(SEEDS_PER_POINT):
                ops = PowerLoss(at, rng)
                saved, append_mod.OPS = append_mod.OPS, ops
                try:
                    scenario.append()
                except PowerCut:
                    pass
                finally:
                    append_mod.OPS = saved
                ops.lose()
                state = scenario.state()
                outcomes[state] += 1
                what = AFTERMATHS[tried % len(AFTERMATHS)]
                workdir = tmp_path / f"case{tried}"
                after[what, aftermath(scenario, Crashed(scenario, state), what, str(workdir))] += 1
                shutil.rmtree(workdir)
                scenario.check_repaired(state)
                scenario.reset()
                tried += 1
    print(f"\npower cuts simulated: {tried}; old rows {outcomes['old']}, new rows {outcomes['new']}; then "
          + ", ".join(f"{w} -> {s}: {n}" for (w, s), n in sorted(after.items())))
    assert outcomes["old"] and outcomes["new"]
    assert sum(after.values()) == tried and {w for w, _ in after} == set(AFTERMATHS)
