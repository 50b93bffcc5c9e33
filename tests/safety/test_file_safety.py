"""Single files under hostile and ordinary edge cases: journals that do not apply, permissions,
ownership, symlinks, orphaned temporary files (issue 13, items 3 and 9-12).

The kill-then-copy/move/restore/rewrite matrix over every kill point is in
``tests/append/test_crash.py`` and ``test_power_loss.py``; this file holds the
cases around it: a copy cut short or without its journal, a journal torn or
forged, a rewrite with the same first bytes, a journal of fastpq before content
identity. Non-root behaviour is tested in a forked child that drops to
``nobody`` (we run as root here, where ``access(W_OK)`` is always true).
"""
from __future__ import annotations

import errno
import os
import pwd
import shutil
import signal
import stat
import struct
import tempfile
import zlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.append import appender as append_mod
from fastpq.file import localfs
from fastpq.file import writer as writer_mod
from fastpq.file import journal as journal_mod
from fastpq.format.footer import read_footer_bytes
from tests.append._crash import KillAt, in_child
from tests._oracles import sha256

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
FIRST_DATA_WRITE = 4            # journal pwrite, fsync, directory fsync, then the file's first write


def _df(start, n=1000):
    return pd.DataFrame({"a": np.arange(start, start + n, dtype="int64")})


def _rows(path, reader="fastpq"):
    if reader == "fastpq":
        return fastpq.ParquetFile(str(path)).to_pandas()["a"].tolist()
    return pq.read_table(str(path)).column("a").to_pylist()


def _data_end(data: bytes) -> int:
    import io

    return len(data) - len(read_footer_bytes(io.BytesIO(data), len(data))) - 8


def _crashed(folder, name="f.parquet", at=FIRST_DATA_WRITE, fraction=0.5):
    """A file of rows 0..999 whose append of 1000..1499 was killed (at the first data write,
    by default: the old tail half overwritten). Returns (path, the old file's bytes)."""
    path = os.path.join(folder, name)
    fastpq.write(path, _df(0))
    old = open(path, "rb").read()
    assert in_child(lambda: fastpq.write(path, _df(1000, 500), append=True), KillAt(at, fraction)) == "killed"
    assert os.path.exists(append_mod.journal_path(path))
    return path, old


def _unchanged(path):
    jpath = append_mod.journal_path(path)
    return sha256(path), open(jpath, "rb").read() if os.path.exists(jpath) else None


def _set_aside(folder):
    return sorted(n for n in os.listdir(folder) if ".fastpq-journal.stale-" in n)


# ---------------------------------------------------------------- 3: journals by content

def test_copy_without_its_journal_is_an_error_not_clean(tmp_path):
    path, _ = _crashed(str(tmp_path))
    (tmp_path / "copy").mkdir()
    copy = str(tmp_path / "copy" / "f.parquet")
    shutil.copy2(path, copy)
    before = sha256(copy)
    with pytest.raises(fastpq.CorruptFileError):
        fastpq.ParquetFile(copy)
    with pytest.raises(fastpq.CorruptFileError, match="no append journal"):
        fastpq.repair(copy)
    assert sha256(copy) == before


@pytest.mark.parametrize("cut", ["empty", "head", "before_data_end", "at_data_end", "in_tail", "one_short"])
def test_copy_cut_short(tmp_path, cut):
    """Cut before data_end: the journal does not apply, the file does not read: both stay, every
    operation says so. Cut after it: the journal still restores the old file. Then the whole
    file copied back: repair rolls back."""
    path, old = _crashed(str(tmp_path))
    full = open(path, "rb").read()
    end = _data_end(old)
    size = {"empty": 0, "head": 100, "before_data_end": end - 1, "at_data_end": end,
            "in_tail": end + 7, "one_short": len(full) - 1}[cut]
    with open(path, "r+b") as f:
        f.truncate(size)
    if size >= end:
        assert _rows(path) == list(range(1000))
        assert fastpq.repair(path) == "rolled back the interrupted append"
        assert open(path, "rb").read() == old
        return
    before = _unchanged(path)
    with pytest.raises(fastpq.CorruptFileError, match="journal .* does not describe it"):
        fastpq.ParquetFile(path)
    for action in (lambda: fastpq.repair(path), lambda: fastpq.write(path, _df(5, 5), append=True)):
        with pytest.raises(fastpq.CorruptFileError, match="leaves both as they are"):
            action()
        assert _unchanged(path) == before
    with open(path, "wb") as f:
        f.write(full)
    assert fastpq.repair(path) == "rolled back the interrupted append"
    assert open(path, "rb").read() == old and _rows(path, "pyarrow") == list(range(1000))


def test_rewrite_with_the_same_first_bytes_is_not_rolled_back(tmp_path):
    """Another writer's complete file over the same inode, identical before data_end (the same
    first row group): its footer is not the journal's, so the journal is stale."""
    path, old = _crashed(str(tmp_path))
    other = str(tmp_path / "other.parquet")
    fastpq.write(other, _df(0, 1800), row_group_offsets=[0, 1000])
    data = open(other, "rb").read()
    assert data[:_data_end(old)] == old[:_data_end(old)]            # the case this test is about
    inode = os.stat(path).st_ino
    with open(path, "r+b") as f:
        f.write(data)
        f.truncate()
    assert os.stat(path).st_ino == inode
    assert _rows(path) == list(range(1800))
    assert fastpq.repair(path).startswith("set aside a stale journal")
    assert open(path, "rb").read() == data and _rows(path, "pyarrow") == list(range(1800))
    assert len(_set_aside(str(tmp_path))) == 1


def test_torn_journal(tmp_path):
    """A first record cut short: removed beside a file that reads as it stands (it was never
    touched), kept beside one that does not."""
    path, old = _crashed(str(tmp_path))
    jpath = append_mod.journal_path(path)
    record = open(jpath, "rb").read()
    first = 60 + len(journal_mod.Journal.decode(record).tail) + 4          # the first record's length
    for keep in (0, 10, 60, first - 1):
        with open(path, "wb") as f:
            f.write(old)
        with open(jpath, "wb") as f:
            f.write(record[:keep])
        assert _rows(path) == list(range(1000))
        assert fastpq.repair(path) == "removed an incomplete journal (the file was not touched)"
        assert not os.path.exists(jpath) and open(path, "rb").read() == old
    with open(path, "wb") as f:
        f.write(old[:-5])
    with open(jpath, "wb") as f:
        f.write(record[:60])
    with pytest.raises(fastpq.CorruptFileError, match="journal .* is incomplete"):
        fastpq.ParquetFile(path)
    with pytest.raises(fastpq.CorruptFileError, match="is incomplete"):
        fastpq.repair(path)
    assert open(jpath, "rb").read() == record[:60]


def test_forged_journal_is_never_applied(tmp_path):
    """A journal whose CRC is right but whose content is impossible is set aside beside a file
    that reads, and kept (with an error) beside one that does not."""
    path = str(tmp_path / "f.parquet")
    fastpq.write(path, _df(0))
    good = open(path, "rb").read()
    head = struct.Struct("<8sIIQQII16sI").pack(b"FPQJRNL1", 2, 0, 10, 999, 16, 4096, b"\0" * 16, 9)
    body = head + b"\0PAR1PAR1"
    jpath = append_mod.journal_path(path)
    with open(jpath, "wb") as f:
        f.write(body + struct.pack("<I", zlib.crc32(body)))
    assert _rows(path) == list(range(1000))
    assert fastpq.repair(path).startswith("set aside a stale journal")
    assert open(path, "rb").read() == good and len(_set_aside(str(tmp_path))) == 1
    shutil.copy(os.path.join(tmp_path, _set_aside(str(tmp_path))[0]), jpath)
    with open(path, "r+b") as f:
        f.truncate(len(good) - 3)
    with pytest.raises(fastpq.CorruptFileError, match="does not describe it"):
        fastpq.repair(path)
    assert os.path.exists(jpath)


def test_version_1_journal_still_restores(tmp_path):
    """A journal of fastpq before content identity (device, inode, CRC of the first and last
    4 KiB): its inode is ignored, its CRC checked; it restores a copy too."""
    path, old = _crashed(str(tmp_path))
    jpath = append_mod.journal_path(path)
    journal = journal_mod.Journal.decode(open(jpath, "rb").read())
    end = journal.data_end
    crc = zlib.crc32(old[max(0, end - 4096):end], zlib.crc32(old[:min(4096, end)]))
    head = struct.Struct("<8sIIQQQQII").pack(b"FPQJRNL1", 1, 0, 1, 2, journal.old_size, end, crc, len(journal.tail))
    record = head + journal.tail
    (tmp_path / "copy").mkdir()
    copy = str(tmp_path / "copy" / "f.parquet")
    shutil.copy(path, copy)
    with open(append_mod.journal_path(copy), "wb") as f:
        f.write(record + struct.pack("<I", zlib.crc32(record)))
    assert _rows(copy) == list(range(1000))
    assert fastpq.repair(copy) == "rolled back the interrupted append"
    assert open(copy, "rb").read() == old


def test_damaged_journals_never_cost_the_old_rows(tmp_path):
    """A crashed file's journal with random bytes changed or cut: fastpq reads the old rows or
    raises a ParquetError; repair restores the old file, or raises with file and journal as
    they were."""
    import random

    path, old = _crashed(str(tmp_path))
    jpath = append_mod.journal_path(path)
    crashed, record = open(path, "rb").read(), open(jpath, "rb").read()
    rng = random.Random(13)
    outcomes = {"restored": 0, "refused": 0}
    for trial in range(150):
        damaged = bytearray(record)
        if trial % 3 == 0:
            damaged = damaged[:rng.randrange(len(damaged))]
        else:
            for _ in range(rng.choice((1, 1, 4))):
                damaged[rng.randrange(min(len(damaged), 2048))] ^= 1 << rng.randrange(8)
        with open(path, "wb") as f:
            f.write(crashed)
        with open(jpath, "wb") as f:
            f.write(damaged)
        try:
            assert _rows(path) == list(range(1000)), trial
        except fastpq.ParquetError:
            pass
        try:
            fastpq.repair(path)
        except fastpq.ParquetError:
            assert open(path, "rb").read() == crashed and open(jpath, "rb").read() == damaged, trial
            outcomes["refused"] += 1
            continue
        assert open(path, "rb").read() == old and not os.path.exists(jpath), trial
        outcomes["restored"] += 1
    assert outcomes["restored"] and outcomes["refused"], outcomes


def test_plain_write_does_not_list_the_directory(tmp_path, monkeypatch):
    """Finding the orphans of a path costs 8 probes, not a listing of its directory."""
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))

    def refuse(*a, **k):
        raise AssertionError("listed the directory")

    monkeypatch.setattr(os, "listdir", refuse)
    monkeypatch.setattr(os, "scandir", refuse)
    fastpq.write(path, _df(0, 5))
    fastpq.write(path, _df(5, 5), append=True)
    monkeypatch.undo()
    assert _rows(path, "pyarrow") == list(range(10))


def test_not_parquet_and_no_journal_is_not_clean(tmp_path):
    path = tmp_path / "f.parquet"
    path.write_bytes(b"PAR1" + b"x" * 100)
    with pytest.raises(fastpq.CorruptFileError, match="not a Parquet file a reader can open"):
        fastpq.repair(path)
    assert path.read_bytes() == b"PAR1" + b"x" * 100


def test_stale_journals_are_set_aside_under_distinct_names(tmp_path):
    for n in range(3):
        path, _ = _crashed(str(tmp_path))
        fastpq.write(path, _df(100 * n, 10))          # replaced: the journal is stale
        assert fastpq.repair(path).startswith("set aside a stale journal")
    assert len(_set_aside(str(tmp_path))) == 3


def test_identity_is_bounded_work(tmp_path, monkeypatch):
    """The content digest reads 16 blocks of 4 KiB, whatever the file's size: an append costs
    O(footer), not O(file)."""
    spans = journal_mod.sample_spans(10 ** 10)
    assert len(spans) == 16 and spans[0] == (0, 4096) and spans[-1] == (10 ** 10 - 4096, 4096)
    assert journal_mod.sample_spans(5000) == [(0, 5000)]
    path = str(tmp_path / "big.parquet")
    fastpq.write(path, pd.DataFrame({"a": np.random.default_rng(0).integers(0, 2 ** 62, 1_000_000)}),
                 compression=None, row_group_offsets=10_000)
    read = []
    real = journal_mod._pread
    monkeypatch.setattr(journal_mod, "_pread", lambda f, o, n: read.append(n) or real(f, o, n))
    fastpq.write(path, _df(0, 1000), append=True)
    assert os.path.getsize(path) > 8_000_000 and 0 < sum(read) <= 16 * 4096


# ---------------------------------------------------------------- 9: modes and owners

NOBODY = pwd.getpwnam("nobody") if "nobody" in {p.pw_name for p in pwd.getpwall()} else None
as_root = pytest.mark.skipif(os.geteuid() != 0 or NOBODY is None, reason="needs root and a 'nobody' user")


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o660, 0o444, 0o755])
@pytest.mark.parametrize("how", ["write", "writer", "link"])
def test_write_keeps_the_mode(tmp_path, mode, how):
    if mode == 0o444 and os.geteuid() != 0:
        pytest.skip("a read-only file is refused to a non-root user (test_non_root_...)")
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    os.chmod(path, mode)
    if how == "writer":
        with fastpq.ParquetWriter(path, _df(0, 3)) as w:
            w.write(_df(0, 5))
    elif how == "link":
        os.symlink("f.parquet", tmp_path / "link")
        fastpq.write(tmp_path / "link", _df(0, 5))
    else:
        fastpq.write(path, _df(0, 5))
    assert stat.S_IMODE(os.stat(path).st_mode) == mode and _rows(path, "pyarrow") == list(range(5))


def test_temporary_file_is_never_wider_than_the_target(tmp_path, monkeypatch):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    os.chmod(path, 0o600)
    seen = []
    real = writer_mod.write_row_group

    def spy(f, *args, **kw):
        seen.extend(stat.S_IMODE(os.stat(tmp_path / n).st_mode) for n in os.listdir(tmp_path) if n.endswith(".fastpq-tmp"))
        return real(f, *args, **kw)

    monkeypatch.setattr(writer_mod, "write_row_group", spy)
    fastpq.write(path, _df(0, 30), row_group_offsets=10)
    assert seen == [0o600] * 3


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_journal_gets_the_mode_and_owner_of_its_file(tmp_path, mode):
    path = str(tmp_path / "f.parquet")
    fastpq.write(path, _df(0))
    os.chmod(path, mode)
    owner = (NOBODY.pw_uid, NOBODY.pw_gid) if NOBODY is not None and os.geteuid() == 0 else None
    if owner:
        os.chown(path, *owner)
    assert in_child(lambda: fastpq.write(path, _df(1000, 5), append=True), KillAt(FIRST_DATA_WRITE)) == "killed"
    st = os.stat(append_mod.journal_path(path))
    assert stat.S_IMODE(st.st_mode) == mode
    if owner:
        assert (st.st_uid, st.st_gid) == owner
    assert fastpq.repair(path) == "rolled back the interrupted append"


@as_root
def test_write_keeps_owner_and_group(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(path, 0o640)
    fastpq.write(path, _df(0, 4))
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (NOBODY.pw_uid, NOBODY.pw_gid, 0o640)


# ---------------------------------------------------------------- 10: files the caller may not write

def _as_nobody(action):
    """Run ``action`` as 'nobody' in a forked child: the name of the exception it raised, or None."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        name = b""
        try:
            os.setgroups([])
            os.setgid(NOBODY.pw_gid)
            os.setuid(NOBODY.pw_uid)
            action()
        except BaseException as exc:  # noqa: BLE001
            name = type(exc).__name__.encode()
        os.write(w, name)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        name = f.read().decode()
    os.waitpid(pid, 0)
    return name or None


@pytest.fixture
def nobody_dir():
    """A directory 'nobody' owns (under /tmp: pytest's own are root's alone)."""
    folder = tempfile.mkdtemp(prefix="fastpq-nobody-", dir="/tmp")
    os.chmod(folder, 0o755)
    os.chown(folder, NOBODY.pw_uid, NOBODY.pw_gid)
    fastpq.write(os.path.join(folder, "warm.parquet"), _df(0, 3))     # kernels loaded before the fork
    yield folder
    shutil.rmtree(folder)


def _owned(folder, name, mode, uid, gid):
    path = os.path.join(folder, name)
    fastpq.write(path, _df(0, 3))
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


@as_root
@pytest.mark.parametrize("case", ["read_only_own", "others_file", "writable_own"])
def test_non_root_cannot_replace_what_it_may_not_write(nobody_dir, case):
    uid, gid = (0, 0) if case == "others_file" else (NOBODY.pw_uid, NOBODY.pw_gid)
    path = _owned(nobody_dir, "f.parquet", 0o644 if case != "read_only_own" else 0o444, uid, gid)
    before = sha256(path)
    results = [_as_nobody(lambda: fastpq.write(path, _df(7, 7))),
               _as_nobody(lambda: fastpq.ParquetWriter(path, _df(7, 7)).close()),
               _as_nobody(lambda: fastpq.write(path, _df(7, 7), append=True))]
    if case == "writable_own":
        assert results == [None, None, None] and len(_rows(path)) == 7
        return
    assert results == ["PermissionError"] * 3
    assert sha256(path) == before and sorted(os.listdir(nobody_dir)) == ["f.parquet", "warm.parquet"]


@as_root
def test_group_that_cannot_be_kept_gets_only_what_others_had(nobody_dir):
    path = _owned(nobody_dir, "f.parquet", 0o664, NOBODY.pw_uid, 0)      # group root: nobody is not in it
    assert _as_nobody(lambda: fastpq.write(path, _df(7, 7))) is None
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (NOBODY.pw_uid, NOBODY.pw_gid, 0o644)


@as_root
def test_root_may_write_a_read_only_file(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _df(0, 3))
    os.chmod(path, 0o444)
    fastpq.write(path, _df(0, 5))
    fastpq.write(path, _df(5, 5), append=True)
    assert _rows(path, "pyarrow") == list(range(10)) and stat.S_IMODE(os.stat(path).st_mode) == 0o444


# ---------------------------------------------------------------- 11: symlinks

@pytest.mark.parametrize("kind", ["absolute", "relative", "chain"])
def test_write_and_append_through_a_symlink(tmp_path, kind):
    (tmp_path / "data").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "data" / "f.parquet"
    fastpq.write(target, _df(0, 3))
    link = tmp_path / "links" / "l.parquet"
    if kind == "absolute":
        os.symlink(target, link)
    elif kind == "relative":
        os.symlink("../data/f.parquet", link)
    else:
        os.symlink(target, tmp_path / "links" / "hop")
        os.symlink("hop", link)
    fastpq.write(link, _df(0, 5))
    fastpq.write(link, _df(5, 5), append=True)
    assert os.path.islink(link) and not os.path.islink(target)
    assert _rows(target, "pyarrow") == list(range(10)) and _rows(link) == list(range(10))
    assert not [n for n in os.listdir(tmp_path / "links") if n.startswith(".")]


def test_crashed_append_through_a_symlink_is_repaired_through_it(tmp_path):
    (tmp_path / "data").mkdir()
    path, old = _crashed(str(tmp_path / "data"))
    os.symlink(path, tmp_path / "l.parquet")
    assert _rows(tmp_path / "l.parquet") == list(range(1000))
    assert fastpq.repair(tmp_path / "l.parquet") == "rolled back the interrupted append"
    assert open(path, "rb").read() == old and os.path.islink(tmp_path / "l.parquet")


def test_dangling_symlink_and_loop(tmp_path):
    os.symlink("missing.parquet", tmp_path / "dangling")
    fastpq.write(tmp_path / "dangling", _df(0, 3))
    assert os.path.islink(tmp_path / "dangling") and _rows(tmp_path / "missing.parquet") == [0, 1, 2]
    os.symlink("loop2", tmp_path / "loop1")
    os.symlink("loop1", tmp_path / "loop2")
    with pytest.raises(OSError) as info:
        fastpq.write(tmp_path / "loop1", _df(0, 3))
    assert info.value.errno == errno.ELOOP
    with pytest.raises(FileExistsError):
        fastpq.write(tmp_path / "dangling", _df(0, 3), overwrite=False)
    assert sorted(os.listdir(tmp_path)) == ["dangling", "loop1", "loop2", "missing.parquet"]


# ---------------------------------------------------------------- 12: orphaned temporary files

def _killed_write(path, point):
    """Run a plain write of ``path`` in a child killed at ``point``."""
    def action():
        if point == "footer":
            writer_mod.footer_bytes = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        else:
            real, calls = writer_mod.write_row_group, []

            def die(*a, **k):
                calls.append(1)
                if len(calls) == point:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*a, **k)
            writer_mod.write_row_group = die
        fastpq.write(path, _df(0, 300), row_group_offsets=100)
    assert in_child(action, append_mod.DiskOps()) == "killed"


def _temps(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".fastpq-tmp"))


def test_killed_writes_leave_orphans_that_the_next_write_and_repair_remove(tmp_path):
    path = str(tmp_path / "f.parquet")
    fastpq.write(path, _df(0, 3))
    for point in (1, 2, 3, "footer"):
        _killed_write(path, point)
        assert _temps(tmp_path) == [".f.parquet.0.fastpq-tmp"]         # each write removed the one before
    (tmp_path / ".f.parquet.5.fastpq-tmp").write_bytes(b"x")             # in another slot
    keep = [".g.parquet.0.fastpq-tmp",                                   # another file's
            ".f.parquet.x.0.fastpq-tmp",                                 # another file's ("f.parquet.x")
            ".f.parquet.8.fastpq-tmp", ".f.parquet.0123456789abcdefg.fastpq-tmp",    # not our names
            "f.parquet.sentinel"]
    for name in keep:
        (tmp_path / name).write_bytes(b"keep")
    os.symlink("f.parquet.sentinel", tmp_path / ".f.parquet.1.fastpq-tmp")
    keep.append(".f.parquet.1.fastpq-tmp")                               # a symlink: not ours
    listed = [".f.parquet.ab_9cd0e.fastpq-tmp",                          # tempfile.mkstemp's names, before
              ".f.parquet.00000000deadbeef.fastpq-tmp"]                  # past the 8 slots
    for name in listed:
        (tmp_path / name).write_bytes(b"x")
    fastpq.write(path, _df(0, 4))                                        # the slots: no listing
    assert sorted(n for n in os.listdir(tmp_path) if n != "f.parquet") == sorted(keep + listed)
    assert fastpq.repair(path) == "clean; removed 2 orphaned temporary files"
    assert sorted(n for n in os.listdir(tmp_path) if n != "f.parquet") == sorted(keep)
    assert (tmp_path / "f.parquet.sentinel").read_bytes() == b"keep" and _rows(path) == [0, 1, 2, 3]


def test_a_write_in_progress_keeps_its_temporary_file(tmp_path, monkeypatch):
    path = str(tmp_path / "f.parquet")
    writer = fastpq.ParquetWriter(path, _df(0, 3))
    writer.write(_df(0, 3))
    live = _temps(tmp_path)
    assert live == [".f.parquet.0.fastpq-tmp"]
    real, taken = os.replace, []
    monkeypatch.setattr(os, "replace", lambda a, b: taken.append(os.path.basename(a)) or real(a, b))
    fastpq.write(path, _df(100, 2))                  # sweeps: the live one is locked, slot 1 is used
    monkeypatch.undo()
    assert taken == [".f.parquet.1.fastpq-tmp"]
    assert fastpq.repair(path) == "clean"
    assert _temps(tmp_path) == live
    writer.close()
    assert _rows(path, "pyarrow") == [0, 1, 2] and _temps(tmp_path) == []


def test_repair_of_a_missing_file(tmp_path):
    path = str(tmp_path / "f.parquet")
    with pytest.raises(FileNotFoundError):
        fastpq.repair(path)
    _killed_write(path, 1)
    assert fastpq.repair(path) == "removed 1 orphaned temporary file"
    assert os.listdir(tmp_path) == []


def test_sweep_and_create_race_safely(tmp_path, monkeypatch):
    """A temporary file a sweep removed between its creation and its lock is replaced by
    a new one (create_temp checks, under the lock, that its name is still its own)."""
    import fcntl
    import types

    real = str(tmp_path / "f.parquet")
    calls = []

    def sweep_first(fd, op):
        if not calls:
            calls.append(fd)
            assert localfs.sweep_orphans(real) == 1         # not locked yet: taken for an orphan
        return fcntl.flock(fd, op)

    monkeypatch.setattr(localfs, "fcntl", types.SimpleNamespace(flock=sweep_first, LOCK_EX=fcntl.LOCK_EX,
                                                                LOCK_NB=fcntl.LOCK_NB))
    fd, tmp = localfs.create_temp(real)
    monkeypatch.undo()
    assert len(calls) == 1 and os.path.exists(tmp) and localfs.sweep_orphans(real) == 0
    os.close(fd)
    assert localfs.sweep_orphans(real) == 1 and not os.path.exists(tmp)
