"""Crash injection: an append killed (SIGKILL) at every disk operation and inside writes.

Each append runs in a forked child whose ``fastpq.append.appender.OPS`` counts the disk
operations it makes (pwrite, fsync, ftruncate, unlink, directory fsync) and
kills the process with SIGKILL before the k-th one, or in the middle of a
write after a fraction of its bytes. After every kill:

* fastpq reads exactly the old rows or exactly the new rows, and reading
  writes nothing (the file and its journal are unchanged by the read);
* ``fastpq.repair`` then leaves the file byte-identical to the original (old
  state) or to the file a clean append produces (new state): both of which
  pyarrow and fastpq were checked to read right, once per scenario.

Kills during recovery itself (of a repair, and of the next append, which
recovers first) are covered too. So is what may happen to a crashed file
before anyone repairs it: copied with its journal (new inodes), moved to
another directory, archived and restored, or rewritten in place by pyarrow,
duckdb or polars (``_crash.aftermath``). The total of kill points is asserted
so a regression in the counting cannot make the test vacuous.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections import Counter

import pytest

import fastpq
from fastpq.append import appender as append_mod
from fastpq.file import rowgroup
from tests.append._crash import AFTERMATHS, Crashed, KillAt, NoSync, Scenario, aftermath, in_child
from tests._oracles import read_pyarrow
from tests.append._helpers import canon, expected, frame, read_fastpq

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

FRACTIONS = (0.37, 0.999)        # inside every write, plus three random byte offsets


def _kill_points(scenario, rng):
    """(operation number, fraction) pairs: before every operation (and after the last),
    and five places inside every write (two fixed, three random)."""
    points = [(k, None) for k in range(1, len(scenario.kinds) + 2)]
    for k, kind in enumerate(scenario.kinds, 1):
        if kind == "pwrite":
            points += [(k, f) for f in FRACTIONS] + [(k, rng.random()) for _ in range(3)]
    return points


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crash")
    return [
        Scenario(tmp, "small", [frame(i) for i in range(4)], frame(50)),
        Scenario(tmp, "many_row_groups", [frame(i, 40) for i in range(3)], frame(60, 3000),
                 row_group_offsets=250, page_index=True),
        Scenario(tmp, "nulls_and_categories", [frame(i) for i in range(30)], frame(77, 500),
                 row_group_offsets=100, compression="zstd"),
        Scenario(tmp, "twenty_row_groups", [frame(i, 20) for i in range(2)], frame(90, 1000),
                 row_group_offsets=50),
    ]


def test_kill_at_every_operation_and_inside_writes(scenarios):
    rng = random.Random(20260)
    tried, outcomes = 0, {"old": 0, "new": 0}
    for scenario in scenarios:
        for at, fraction in _kill_points(scenario, rng):
            result = in_child(scenario.append, KillAt(at, fraction))
            assert result in ("killed", "done"), (scenario.path, at, fraction, result)
            state = scenario.state()
            if result == "done":
                assert state == "new"
            outcomes[state] += 1
            scenario.check_repaired(state)
            scenario.reset()
            tried += 1
    print(f"\nkill points tried: {tried}; fastpq then read the old rows {outcomes['old']} times, "
          f"the new rows {outcomes['new']} times")
    assert tried >= 300 and outcomes["old"] and outcomes["new"]


def test_kill_then_copy_move_restore_or_rewrite(scenarios, tmp_path, monkeypatch):
    """A kill before every disk operation and in the middle of every write; then the crashed
    file and its journal are copied, moved, restored from an archive, or the file is rewritten
    in place by another tool: fastpq reads, and pyarrow after repair reads, exactly the old rows,
    the new rows or the other tool's rows, and no journal is lost."""
    monkeypatch.setattr(append_mod, "OPS", NoSync())
    tried, kills, outcomes = 0, 0, Counter()
    for n, scenario in enumerate(scenarios):
        points = [(k, None) for k in range(1, len(scenario.kinds) + 2)]
        if n < 2:                                       # and inside every write (two scenarios: time)
            points += [(k, 0.5) for k, kind in enumerate(scenario.kinds, 1) if kind == "pwrite"]
        for at, fraction in points:
            assert in_child(scenario.append, KillAt(at, fraction)) in ("killed", "done")
            crashed = Crashed(scenario, scenario.state())
            scenario.reset()
            kills += 1
            for what in AFTERMATHS:
                workdir = tmp_path / f"case{tried}"
                outcomes[what, aftermath(scenario, crashed, what, str(workdir))] += 1
                shutil.rmtree(workdir)
                tried += 1
    print(f"\nkill points {kills}, cases {tried}: " + ", ".join(f"{w} -> {s}: {n}" for (w, s), n in sorted(outcomes.items())))
    assert kills >= 100 and tried == kills * len(AFTERMATHS)
    assert all(outcomes[what, "old"] and outcomes[what, "new"] for what in ("copy", "move", "restore"))


def test_kill_during_recovery(scenarios):
    """A crash leaves a journal; then repair (and the next append, which recovers
    first) is killed at each of its own operations: still old or new, never broken."""
    scenario = scenarios[1]
    writes = [k for k, kind in enumerate(scenario.kinds, 1) if kind == "pwrite"]
    tried = 0
    for crash_at in (writes[1], writes[-1]):           # mid-data (rolls back), footer (rolls back)
        for recovery_at in range(1, 8):
            for action in ("repair", "append"):
                assert in_child(scenario.append, KillAt(crash_at, 0.5)) == "killed"
                assert os.path.exists(scenario.journal)
                first = scenario.state()
                run = (lambda: fastpq.repair(scenario.path)) if action == "repair" else scenario.append
                in_child(run, KillAt(recovery_at))
                state = scenario.state()
                assert state in ("old", "new") and (first == "old" or state == "new")
                scenario.check_repaired(state)
                scenario.reset()
                tried += 1
    assert tried == 28


def test_kill_at_random_instants(tmp_path):
    """A child appends in a loop; the parent kills it at a random instant (no hook)."""
    rng = random.Random(7)
    path = str(tmp_path / "loop.parquet")
    frames = [frame(0)]
    fastpq.write(path, frames[0])
    total = [frame(i) for i in range(1, 400)]             # 7 rows each, as frames[0]
    for trial in range(12):
        done = fastpq.ParquetFile(path).num_rows // 7 - 1
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            rowgroup._POOL = None
            try:
                for df in total[done:]:
                    fastpq.write(path, df, append=True)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.01, 0.25))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        got = canon(read_fastpq(path))
        m = len(got) // 7 - 1
        assert got.equals(expected(frames + total[:m])), trial
        fastpq.repair(path)
        assert canon(read_pyarrow(path)).equals(got)
