"""fastpq.dask.to_parquet follows the dataset writer's protocol (lock, journal, commit,
recovery: fastpq.dataset.write), so a dask write that fails or is killed at any step is
rolled back or finished like any other write.

Kill matrix: scenario (a new dataset, an append, an overwrite) x every step of the
write (part files, renames, metadata swaps, deletions; SIGKILL in a forked child running
dask's synchronous scheduler) x recovery (``fastpq.repair``, the next ``fastpq.write``,
the next dask write). Readers of ``_metadata`` see the old or the new dataset at every
kill point; after recovery the listing holds exactly what ``_metadata`` says, with no
fastpq leftovers. Failures: a task raising (threaded scheduler, and worker processes of a
LocalCluster), and ``compute=False`` writes computed late, overtaken, or never computed.
"""
from __future__ import annotations

import json
import os
import shutil
import threading

import pandas as pd
import pytest

import fastpq
from fastpq.dataset import write as dw
from tests._oracles import read_pyarrow_dir, read_pyarrow_metadata
from tests.dataset._helpers import canon, frame, want
from tests.dataset.test_write_crash import Killer, _run

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402

import fastpq.dask as fdask  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

OLD, NEW, THIRD = frame(1, 30), frame(2, 24), frame(3, 9)
SCENARIOS = {"new dataset": dict(), "append": dict(append=True), "overwrite": dict(overwrite=True)}


def _dask_write(root, df, npartitions=2, **options):
    with dask.config.set(scheduler="sync"):
        return fdask.to_parquet(dd.from_pandas(df, npartitions=npartitions), root, partition_on=["n"], **options)


def _state(root):
    """The dataset as _metadata shows it (canonical), or None when there is none."""
    if not os.path.exists(os.path.join(root, "_metadata")):
        return None
    return canon(read_pyarrow_metadata(root))


def _data_files(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
                  if f.endswith(".parquet"))


def _check_recovered(root, expected, temps_swept=True):
    """The listing holds exactly what _metadata says; no journal (nor temporary files, once
    swept: a write recovers journals, only ``repair`` sweeps orphaned temporaries)."""
    leftovers = [f for d, _, fs in os.walk(root) for f in fs
                 if "fastpq" in f and (temps_swept or not f.endswith(".fastpq-tmp"))]
    assert not leftovers, leftovers
    if expected is None:
        assert _state(root) is None and not _data_files(root)
        return
    assert _state(root).equals(expected)
    assert canon(read_pyarrow_dir(root)).equals(expected), "the listing differs from _metadata"


def _recover_by(how, root, state):
    """Recover the killed write ``how``; returns what the dataset must then hold."""
    if how == "repair":
        fastpq.repair(root)
        return state
    frames = ([] if state is None else [state]) + [want([THIRD])]
    if how == "next write":
        fastpq.write(root, THIRD, file_scheme="hive", partition_on=["n"], append=True)
    else:
        _dask_write(root, THIRD, npartitions=1, append=True)
    return canon(pd.concat(frames, ignore_index=True))


@pytest.mark.parametrize("how", ["repair", "next write", "next dask write"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_kill_a_dask_write_at_every_step(tmp_path, monkeypatch, scenario, how):
    options = SCENARIOS[scenario]
    base, root = str(tmp_path / "base"), str(tmp_path / "ds")
    if scenario == "new dataset":
        os.makedirs(base)
        old_state, new_state = None, want([NEW])
    else:
        fastpq.write(base, OLD, file_scheme="hive", partition_on=["n"])
        old_state = want([OLD])
        new_state = want([OLD, NEW]) if options.get("append") else want([NEW])

    def action():
        _dask_write(root, NEW, **options)

    counter = Killer()
    shutil.copytree(base, root)
    with monkeypatch.context() as m:
        counter.install(m.setattr)
        action()
    _check_recovered(root, new_state)
    seen = {"old": 0, "new": 0}
    for at in range(1, counter.n + 2):
        shutil.rmtree(root)
        shutil.copytree(base, root)
        _run(action, at)
        state = _state(root)
        if state is None or old_state is not None and state.equals(old_state):
            assert state is None or old_state is not None, f"kill before step {at}"
            seen["old"] += 1
            state = old_state
        else:
            assert state.equals(new_state), f"kill before step {at}: _metadata shows neither state"
            seen["new"] += 1
        expected = _recover_by(how, root, state)
        _check_recovered(root, expected, temps_swept=how == "repair")
    print(f"\n{scenario} / {how}: {counter.n + 1} kill points, old {seen['old']}, new {seen['new']}")
    assert seen["old"] and seen["new"]


def test_the_journal_names_the_tag_while_tasks_write(tmp_path, monkeypatch):
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["n"])
    seen = []
    real = dw.write_part

    def spy(store, rel, *args, **kwargs):
        seen.append((rel, json.loads(open(os.path.join(root, dw.JOURNAL)).read())))
        return real(store, rel, *args, **kwargs)

    monkeypatch.setattr(dw, "write_part", spy)
    _dask_write(root, NEW, append=True)
    assert seen
    tags = {journal["tag"] for _, journal in seen}
    assert len(tags) == 1
    tag = tags.pop()
    assert all(rel.endswith(f".{tag}.parquet") for rel, _ in seen)
    _check_recovered(root, want([OLD, NEW]))


class _Tasks:
    """Wraps ``write_part_of`` (what dask's tasks call): counts the calls, fails the
    ``fail``-th, holds the ``hold``-th until ``go`` is set; ``idle()`` waits for every
    call to end (tasks may outlive a failed compute)."""

    def __init__(self, monkeypatch, fail=None, hold=None):
        self.calls, self.active = 0, 0
        self.fail, self.hold = fail, hold
        self.go, self.cond = threading.Event(), threading.Condition()
        self.errors = []
        real = dw.write_part_of

        def wrapped(*args, **kwargs):
            with self.cond:
                self.calls += 1
                self.active += 1
                n = self.calls
            try:
                if n == self.fail:
                    raise RuntimeError("disk on fire")
                if n == self.hold:
                    assert self.go.wait(60)
                return real(*args, **kwargs)
            except Exception as exc:
                self.errors.append(exc)
                raise
            finally:
                with self.cond:
                    self.active -= 1
                    self.cond.notify_all()

        monkeypatch.setattr(dw, "write_part_of", wrapped)

    def idle(self):
        with self.cond:
            assert self.cond.wait_for(lambda: self.active == 0, 60)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_failing_task_rolls_back(tmp_path, monkeypatch, scenario):
    root = str(tmp_path / "ds")
    if scenario != "new dataset":
        fastpq.write(root, OLD, file_scheme="hive", partition_on=["n"])
    before = _state(root)
    tasks = _Tasks(monkeypatch, fail=4)
    with dask.config.set(scheduler="threads"), pytest.raises(RuntimeError, match="disk on fire"):
        fdask.to_parquet(dd.from_pandas(NEW, npartitions=3), root, partition_on=["n"], **SCENARIOS[scenario])
    tasks.idle()
    _check_recovered(root, before)


def test_a_task_that_outlives_the_roll_back_deletes_its_file(tmp_path, monkeypatch):
    """One task fails while another is still to write: the client rolls back at once; the
    straggler then writes, sees the write aborted, and deletes its file."""
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["n"])
    tasks = _Tasks(monkeypatch, fail=2, hold=1)
    one = NEW.assign(n=1)
    parts = [dask.delayed(lambda: one.iloc[:12])(), dask.delayed(lambda: one.iloc[12:])()]
    ddf = dd.from_delayed(parts, meta=one.iloc[:0])
    with dask.config.set(scheduler="threads", num_workers=2), pytest.raises(RuntimeError, match="disk on fire"):
        fdask.to_parquet(ddf, root, partition_on=["n"], append=True)
    assert tasks.active == 1                              # the held task has not written yet
    _check_recovered(root, want([OLD]))
    tasks.go.set()
    tasks.idle()
    assert any("rolled back" in str(e) for e in tasks.errors), tasks.errors
    _check_recovered(root, want([OLD]))


def _cluster_idle(client) -> None:
    """Wait until no worker runs a task (tasks of a failed compute run on to their end)."""
    import time

    for _ in range(1200):
        if not any(client.run(lambda dask_worker: dask_worker.state.executing_count).values()):
            return
        time.sleep(0.05)
    raise AssertionError("the workers are still busy")


def test_a_failing_task_on_a_cluster_rolls_back(client, tmp_path):
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["n"])
    good, bad = NEW.iloc[:12], NEW.iloc[12:].assign(v=lambda d: d["v"].astype(str))
    parts = [dask.delayed(lambda x: x)(good), dask.delayed(lambda x: x)(bad)]
    ddf = dd.from_delayed(parts, meta=NEW.iloc[:0], verify_meta=False)
    with pytest.raises(fastpq.SchemaMismatchError):          # raised by a task's check
        fdask.to_parquet(ddf, root, partition_on=["n"], append=True)
    _cluster_idle(client)
    _check_recovered(root, want([OLD]))
    ddf = dd.from_delayed(parts, meta=NEW.iloc[:0])          # raised by dask, before a write task
    with pytest.raises(ValueError, match="Metadata mismatch"):
        fdask.to_parquet(ddf, root, partition_on=["n"], append=True)
    _cluster_idle(client)
    _check_recovered(root, want([OLD]))
    fdask.to_parquet(dd.from_pandas(NEW, npartitions=3), root, partition_on=["n"], append=True)
    _check_recovered(root, want([OLD, NEW]))


def test_compute_false_commits_when_computed(client, tmp_path):
    """The journal is written at once; the commit runs where the scheduler puts it (a worker
    process here: the job travels pickled)."""
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["n"])
    job = fdask.to_parquet(dd.from_pandas(NEW, npartitions=2), root, partition_on=["n"], append=True, compute=False)
    assert os.path.exists(os.path.join(root, dw.JOURNAL)) and _state(root).equals(want([OLD]))
    assert job.compute().endswith("_metadata")
    _check_recovered(root, want([OLD, NEW]))


def test_compute_false_overtaken_by_another_writer(tmp_path):
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["n"])
    job = fdask.to_parquet(dd.from_pandas(NEW, npartitions=2), root, partition_on=["n"], append=True, compute=False)
    fastpq.write(root, THIRD, file_scheme="hive", partition_on=["n"], append=True)   # recovers (rolls back) it
    with dask.config.set(scheduler="threads"), pytest.raises(fastpq.ParquetError, match="rolled back|another writer"):
        job.compute()
    _check_recovered(root, want([OLD, THIRD]))


def test_compute_false_never_computed(tmp_path):
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["n"])
    fdask.to_parquet(dd.from_pandas(NEW, npartitions=2), root, partition_on=["n"], append=True, compute=False)
    assert fastpq.repair(root) == "rolled back the interrupted write"
    _check_recovered(root, want([OLD]))


@pytest.mark.parametrize("writer", ["fastpq.write", "dask"])
def test_overwrite_a_directory_without_metadata(tmp_path, writer):
    """The files an overwrite replaces come from a listing when there is no _metadata: the
    new part files, listed too by then, are not among them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = str(tmp_path / "ds")
    os.makedirs(os.path.join(root, "n=0"))
    pq.write_table(pa.Table.from_pandas(OLD.drop(columns=["n"]), preserve_index=False),
                   os.path.join(root, "n=0", "old.parquet"))
    if writer == "dask":
        _dask_write(root, NEW, overwrite=True)
    else:
        fastpq.write(root, NEW, file_scheme="hive", partition_on=["n"])
    _check_recovered(root, want([NEW]))
    assert not os.path.exists(os.path.join(root, "n=0", "old.parquet"))
