"""Dataset writes killed (SIGKILL) at every step: readers of ``_metadata`` see the old or
the new dataset; after ``fastpq.repair`` the directory holds exactly that state."""
from __future__ import annotations

import os
import shutil
import signal

import pandas as pd
import pytest

import fastpq
from fastpq.file import rowgroup
from fastpq.dataset import store as store_mod
from fastpq.dataset import write as dw
from tests._oracles import read_pyarrow_dir, read_pyarrow_metadata
from tests.dataset._helpers import canon, frame, want

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


class Killer:
    """Wrap the dataset writer's steps (part files, renames, metadata swaps, deletions);
    SIGKILL before step ``at`` (0: count only)."""

    def __init__(self, at=0):
        self.at, self.n = at, 0

    def wrap(self, fn):
        def step(*args, **kwargs):
            self.n += 1
            if self.n == self.at:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return step

    def install(self, monkey):
        monkey(dw, "write_part", self.wrap(dw.write_part))
        monkey(store_mod.Store, "put_atomic", self.wrap(store_mod.Store.put_atomic))
        monkey(store_mod.Store, "remove", self.wrap(store_mod.Store.remove))
        monkey(os, "replace", self.wrap(os.replace))
        monkey(os, "link", self.wrap(os.link))


def _run(action, at) -> str:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        rowgroup._POOL = None
        Killer(at).install(setattr)
        try:
            action()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return "killed" if os.WIFSIGNALED(status) else "done"


SCENARIOS = {
    "append": (dict(append=True), lambda old, new: want([old, new])),
    "overwrite": (dict(append="overwrite"), None),
    "rewrite": (dict(append=False), lambda old, new: want([new])),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_kill_dataset_writes_at_every_step(tmp_path, monkeypatch, name):
    options, expect = SCENARIOS[name]
    base, root = str(tmp_path / "base"), str(tmp_path / "ds")
    old, new = frame(1, 30), frame(2, 12).assign(n=1)
    fastpq.write(base, old, file_scheme="hive", partition_on=["k", "n"])
    if expect is None:
        everything = pd.concat([old], ignore_index=True)
        gone = everything["n"].eq(1) & (everything["k"].isin(new["k"].dropna()) |
                                        (everything["k"].isna() & new["k"].isna().any()))
        new_state = want([everything[~gone], new])
    else:
        new_state = expect(old, new)
    old_state = want([old])

    def action():
        fastpq.write(root, new, file_scheme="hive", partition_on=["k", "n"], **options)

    counter = Killer()
    shutil.copytree(base, root)
    with monkeypatch.context() as m:
        counter.install(m.setattr)
        action()
    assert canon(read_pyarrow_metadata(root)).equals(new_state)
    steps = counter.n
    seen = {"old": 0, "new": 0}
    for at in range(1, steps + 2):
        shutil.rmtree(root)
        shutil.copytree(base, root)
        _run(action, at)
        got = canon(read_pyarrow_metadata(root))
        state = "old" if got.equals(old_state) else "new" if got.equals(new_state) else None
        assert state, f"kill before step {at}: _metadata shows neither state"
        seen[state] += 1
        fastpq.repair(root)
        assert canon(read_pyarrow_metadata(root)).equals(got)
        assert canon(read_pyarrow_dir(root)).equals(got), f"step {at}: the listing differs from _metadata"
        leftovers = [f for d, _, fs in os.walk(root) for f in fs if "fastpq" in f]
        assert not leftovers, leftovers
    print(f"\n{name}: {steps + 1} kill points, old {seen['old']}, new {seen['new']}")
    assert seen["old"] and seen["new"]
