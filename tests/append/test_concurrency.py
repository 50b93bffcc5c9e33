"""Two processes append to one file at once (serialised by the lock: both land), while a
reader polls it and must always see a consistent state: whole appends, in order."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

import fastpq
from fastpq.file import rowgroup
from fastpq.file.journal import journal_path
from tests._oracles import read_pyarrow
from tests.append._helpers import canon, expected, frame

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

APPENDS = 40
ROWS = 7
WRITERS = (1000, 2000)          # step numbers of writer A, writer B


def _writer(path, first):  # pragma: no cover - runs in a child
    rowgroup._POOL = None
    code = 0
    try:
        for k in range(APPENDS):
            fastpq.write(path, frame(first + k, ROWS), append=True)
    except BaseException:  # noqa: BLE001
        code = 1
    os._exit(code)


def _check_consistent(pf) -> list:
    """Steps of the row groups in file order; fails unless every row group is one whole
    append and each writer's appends are a prefix of its sequence."""
    df = canon(pf.to_pandas())
    counts = pf.metadata.row_groups.num_rows
    assert int(counts.sum()) == len(df) == pf.num_rows
    i = df["i"].to_numpy(dtype=np.int64)
    steps, pos = [], 0
    for n in counts:
        block = i[pos:pos + int(n)]
        step = int(block[0]) // 1_000_003
        assert (block == step * 1_000_003 + np.arange(int(n))).all(), "a row group mixes appends"
        want_s = [None if (step + j) % 5 == 0 else f"s{step}-{j}" for j in range(int(n))]
        assert df["s"].iloc[pos:pos + int(n)].tolist() == want_s
        steps.append(step)
        pos += int(n)
    for first in WRITERS:
        mine = [s for s in steps if first <= s < first + APPENDS]
        assert mine == list(range(first, first + len(mine))), "appends of one writer out of order or lost"
    return steps


def test_two_appenders_and_a_polling_reader(tmp_path):
    path = str(tmp_path / "shared.parquet")
    fastpq.write(path, frame(0, ROWS))
    pids = []
    for first in WRITERS:
        pid = os.fork()
        if pid == 0:  # pragma: no cover
            _writer(path, first)
        pids.append(pid)
    reads, states, running = 0, set(), set(pids)
    while running:
        steps = _check_consistent(fastpq.ParquetFile(path))
        states.add(len(steps))
        reads += 1
        for pid in list(running):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
                running.discard(pid)
        time.sleep(0.001)
    steps = _check_consistent(fastpq.ParquetFile(path))
    assert sorted(steps) == [0] + list(range(1000, 1000 + APPENDS)) + list(range(2000, 2000 + APPENDS))
    assert canon(read_pyarrow(path)).equals(expected([frame(s, ROWS) for s in steps]))
    assert not os.path.exists(journal_path(path))
    print(f"\n{reads} consistent reads of {len(states)} different states during {2 * APPENDS} appends")
    assert reads >= 5 and len(states) >= 3


def test_threads_appending_to_one_file(tmp_path):
    """Threads of one process: each append opens its own descriptor, so flock serialises them too."""
    import threading

    path = str(tmp_path / "threads.parquet")
    fastpq.write(path, frame(0, ROWS))
    errors = []

    def run(first):
        try:
            for k in range(15):
                fastpq.write(path, frame(first + k, ROWS), append=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(first,)) for first in (1000, 2000, 3000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    steps = _check_consistent(fastpq.ParquetFile(path))
    assert sorted(steps) == [0] + [f + k for f in (1000, 2000, 3000) for k in range(15)]
