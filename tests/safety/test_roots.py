"""Local dataset roots with symbolic links and special files: the writer follows no link out
of the root, deletes no link, hangs on no FIFO, and works as before where the root itself
(or a folder above it) is a link (issue 13, items 5, 6)."""
from __future__ import annotations

import os

import pandas as pd
import pytest

import fastpq
from fastpq import CorruptFileError, ParquetError
from fastpq.dataset.store import Store
from fastpq.dataset.write import read_dataset
from tests.safety._arena import MUTATING, OPS, Arena

APPENDS = {"append=True": True, "append='overwrite'": "overwrite", "append=False": False}


@pytest.fixture
def local(template, tmp_path):
    return Arena("local", template, tmp_path)


@pytest.mark.parametrize("op", list(APPENDS))
def test_writing_into_a_partition_folder_that_links_out_is_refused(local, op):
    outside, inside = local.snapshot(inside=False), local.snapshot(inside=True)
    df = pd.DataFrame({"k": ["z", "a"], "v": [20, 21]})
    with pytest.raises(CorruptFileError, match="symbolic link"):
        fastpq.write(local.url, df, file_scheme="hive", partition_on=["k"], append=APPENDS[op])
    assert local.snapshot(inside=False) == outside
    assert local.snapshot(inside=True) == inside


@pytest.mark.parametrize("op", ["write", "append=False"])
def test_a_part_file_that_is_a_link_is_not_deleted(local, op):
    """Without _metadata, a rewrite replaces the files it lists: a link among them (here to
    the sentinel Parquet file beside the root) is refused, not unlinked nor followed."""
    os.unlink(local.path("_metadata"))
    os.symlink(os.path.join("..", "victim.parquet"), local.path("evil.parquet"))
    outside, inside = local.snapshot(inside=False), local.snapshot(inside=True)
    with pytest.raises(CorruptFileError, match="regular file"):
        OPS[op](local.url)
    assert local.snapshot(inside=False) == outside
    assert local.snapshot(inside=True) == inside


@pytest.mark.parametrize("op", list(OPS))
def test_a_root_reached_through_links_works(local, op):
    """No false alarm: the root given through a link (and below a linked folder)."""
    base = local.base
    os.symlink("ds", os.path.join(base, "alias"))
    os.symlink(base, os.path.join(os.path.dirname(base), "base-alias"))
    url = os.path.join(os.path.dirname(base), "base-alias", "alias")
    outside = local.snapshot(inside=False)
    OPS[op](url)
    if op != "read":
        assert not os.path.exists(os.path.join(url, "_fastpq_journal"))
        want = {"write": 2, "append=True": 5, "append='overwrite'": 3, "append=False": 2}.get(op, 3)
        assert read_dataset(Store(url)).num_rows == want
    assert local.snapshot(inside=False) == outside


@pytest.mark.parametrize("kind", ["directory", "fifo"])
@pytest.mark.parametrize("name", ["_fastpq_journal", "_metadata"])
@pytest.mark.parametrize("op", MUTATING)
@pytest.mark.timeout(60)
def test_special_files_in_place_of_metadata_or_journal(local, kind, name, op):
    path = local.path(name)
    if os.path.exists(path):
        os.unlink(path)
    os.mkdir(path) if kind == "directory" else os.mkfifo(path)
    outside = local.snapshot(inside=False)
    try:
        OPS[op](local.url)          # merge rebuilds _metadata; repair does not read it
    except ParquetError as e:
        assert "regular file" in str(e) or "journal" in str(e)
    assert local.snapshot(inside=False) == outside
    assert os.path.lexists(path)


def test_merge_names_no_file_outside_its_root(local):
    with pytest.raises(ValueError, match="leaves the dataset"):
        fastpq.merge([os.path.join(local.base, "victim.parquet")], root=local.path(""))
    assert len(OPS["read"](local.url)) == 3


def test_the_temporary_file_sweep_removes_only_regular_files(local):
    """``repair`` removes fastpq's leftover temporary files: a link, a FIFO or a directory
    named like one is left alone (and a link's target with it)."""
    os.symlink(os.path.join("..", "..", "victim.txt"), local.path("k=a/.evil.parquet.0123456789ab.fastpq-tmp"))
    os.mkfifo(local.path(".fifo.0123456789ab.fastpq-tmp"))
    os.mkdir(local.path(".dir.0123456789ab.fastpq-tmp"))
    with open(local.path("k=b/.part.000001.0123456789ab.parquet.0123456789ab.fastpq-tmp"), "wb") as f:
        f.write(b"a leftover")
    outside, inside = local.snapshot(inside=False), local.snapshot(inside=True)
    assert OPS["repair"](local.url) == "removed temporary files"
    assert local.snapshot(inside=False) == outside
    assert set(inside) - set(local.snapshot(inside=True)) == {local.path(
        "k=b/.part.000001.0123456789ab.parquet.0123456789ab.fastpq-tmp")}
