"""File modes of what the dataset writer creates: a replaced ``_metadata`` or
``_common_metadata`` keeps its mode, its temporary file never has a wider one, and the
journal (it names the partition values) is never wider than ``_metadata``; new files
follow the umask (issue 13, item 9, datasets)."""
from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

import fastpq
from fastpq.dataset import write as dw
from fastpq.dataset.journal import JOURNAL

OLD = pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})
NEW = pd.DataFrame({"k": ["a", "c"], "v": [3, 4]})
APPENDS = {"append=True": True, "append='overwrite'": "overwrite", "append=False": False}


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


class Watch:
    """Modes seen during a write: of every file renamed into place (before the rename, and
    of what it replaces) and of the journal when each part file is written."""

    def __init__(self, monkeypatch, root):
        self.renames, self.journal = [], []
        replace, write_part = os.replace, dw.write_part

        def watched_replace(src, dst, *args, **kwargs):
            self.renames.append((os.path.basename(dst), _mode(src), _mode(dst) if os.path.exists(dst) else None))
            return replace(src, dst, *args, **kwargs)

        def watched_write_part(*args, **kwargs):
            self.journal.append(_mode(os.path.join(root, JOURNAL)))
            return write_part(*args, **kwargs)

        monkeypatch.setattr(os, "replace", watched_replace)
        monkeypatch.setattr(dw, "write_part", watched_write_part)


@pytest.mark.parametrize("mask", [0o077, 0o027, 0o002])
def test_a_new_dataset_follows_the_umask(tmp_path, monkeypatch, umask, mask):
    umask(mask)
    root = str(tmp_path / "ds")
    watch = Watch(monkeypatch, root)
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["k"])
    want = 0o666 & ~mask
    files = [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]
    assert files and {_mode(f) for f in files} == {want}
    assert watch.journal and set(watch.journal) == {want}
    assert watch.renames and all(before & ~want == 0 for _, before, _ in watch.renames)


@pytest.mark.parametrize("op", list(APPENDS))
@pytest.mark.parametrize("metadata_mode, common_mode, mask", [(0o600, 0o640, 0o022), (0o640, 0o600, 0o002),
                                                              (0o660, 0o666, 0o077)])
def test_replaced_metadata_keeps_its_mode(tmp_path, monkeypatch, umask, op, metadata_mode, common_mode, mask):
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["k"])
    os.chmod(os.path.join(root, "_metadata"), metadata_mode)
    os.chmod(os.path.join(root, "_common_metadata"), common_mode)
    umask(mask)
    watch = Watch(monkeypatch, root)
    fastpq.write(root, NEW, file_scheme="hive", partition_on=["k"], append=APPENDS[op])
    assert _mode(os.path.join(root, "_metadata")) == metadata_mode
    assert _mode(os.path.join(root, "_common_metadata")) == common_mode
    assert watch.journal and set(watch.journal) == {metadata_mode & 0o666 & ~mask}
    for name, before, replaced in watch.renames:
        if replaced is not None:                 # a temporary file is never wider than what it replaces
            assert before == replaced, (name, oct(before), oct(replaced))


def test_recovery_keeps_modes(tmp_path, monkeypatch, umask):
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive", partition_on=["k"])
    os.chmod(os.path.join(root, "_metadata"), 0o600)
    os.chmod(os.path.join(root, "_common_metadata"), 0o640)

    def fail(*args, **kwargs):
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as m:
        m.setattr(dw, "write_part", fail)
        with pytest.raises(RuntimeError):
            fastpq.write(root, NEW, file_scheme="hive", partition_on=["k"], append=True)
    assert _mode(os.path.join(root, "_metadata")) == 0o600
    assert _mode(os.path.join(root, "_common_metadata")) == 0o640
    assert not os.path.exists(os.path.join(root, JOURNAL))
