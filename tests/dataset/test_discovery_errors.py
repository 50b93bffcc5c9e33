"""Discovery of local datasets with symbolic links: loops are detected (``DiscoveryError``,
a ``ParquetError``) after a bounded number of directory listings, never followed until
the path is too long; other failures below the root are ``DiscoveryError``s naming the
path; errors about the root itself stay what pandas expects.

Matrix: loop shape (a link to itself, to the root, to an intermediate ancestor, by a
relative path, two loops) x entry point (read_parquet of the directory, ParquetDataset,
a list of directories, a ``**`` glob, a glob matching directories, dask).
"""
from __future__ import annotations

import os

import pandas as pd
import pytest

import fastpq

DF = pd.DataFrame({"x": [1, 2, 3]})


def _dataset(tmp_path):
    root = tmp_path / "ds"
    (root / "k=1" / "m=2").mkdir(parents=True)
    (root / "k=3").mkdir()
    fastpq.write(str(root / "k=1" / "m=2" / "a.parquet"), DF)
    fastpq.write(str(root / "k=3" / "b.parquet"), DF)
    return root


def _self_link(root):
    os.symlink("x.parquet", root / "k=3" / "x.parquet")  # a data file that is a loop by itself


def _to_root(root):
    os.symlink(root, root / "k=1" / "back")


def _to_ancestor(root):
    os.symlink("..", root / "k=1" / "m=2" / "up")         # relative


def _two_loops(root):
    os.symlink(root, root / "k=1" / "m=2" / "l1")
    os.symlink(root / "k=1", root / "k=3" / "l2")


LOOPS = {"self link": _self_link, "to the root": _to_root, "to an ancestor": _to_ancestor,
         "two loops": _two_loops}


def _read_dir(root):
    return fastpq.read_parquet(str(root))


def _dataset_obj(root):
    return fastpq.ParquetDataset(str(root)).to_pandas()


def _list_of_dirs(root):
    return fastpq.read_parquet([str(root / "k=1"), str(root / "k=3")])


def _recursive_glob(root):
    return fastpq.read_parquet(str(root) + "/**/*.parquet")


def _dir_glob(root):
    return fastpq.read_parquet(str(root) + "/k=*")


def _dask(root):
    fdask = pytest.importorskip("fastpq.dask")
    return fdask.read_parquet(str(root)).compute(scheduler="sync")


ENTRIES = {"read_parquet": _read_dir, "ParquetDataset": _dataset_obj, "list of dirs": _list_of_dirs,
           "** glob": _recursive_glob, "glob of dirs": _dir_glob, "dask": _dask}


@pytest.fixture
def counted_scandir(monkeypatch):
    calls = []
    real = os.scandir

    def counted(path="."):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(os, "scandir", counted)
    return calls


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_symlink_loops_are_detected(tmp_path, counted_scandir, loop, entry):
    root = _dataset(tmp_path)
    LOOPS[loop](root)
    with pytest.raises(fastpq.DiscoveryError) as info:
        ENTRIES[entry](root)
    assert isinstance(info.value, fastpq.ParquetError)
    assert "loop of symbolic links" in str(info.value)
    assert len(counted_scandir) <= 12, counted_scandir          # a few listings, not one per level


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_links_without_loops_are_followed(tmp_path, entry):
    """A link to a directory outside the dataset, and hidden loops (never listed), are fine."""
    root = _dataset(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    fastpq.write(str(outside / "c.parquet"), DF)
    os.symlink(outside, root / "k=3" / "m=5")
    os.symlink(root, root / "k=1" / "_hidden_loop")
    os.symlink(".also_hidden", root / ".also_hidden")
    assert len(ENTRIES[entry](root)) == 9


def test_a_link_to_nothing(tmp_path):
    root = _dataset(tmp_path)
    os.symlink(tmp_path / "missing.parquet", root / "k=3" / "gone.parquet")
    os.symlink(tmp_path / "missing", root / "k=3" / "_gone.parquet")      # hidden: never read
    with pytest.raises(fastpq.DiscoveryError, match="symbolic link to nothing"):
        fastpq.read_parquet(str(root))


@pytest.mark.parametrize("where", ["k=3", ""])
def test_an_unreadable_directory(tmp_path, monkeypatch, where):
    """A subdirectory that cannot be listed is the dataset's problem (DiscoveryError); the
    root given is the caller's (PermissionError as it is). Simulated: tests may run as root."""
    root = _dataset(tmp_path)
    locked = str(root / where) if where else str(root)
    real = os.scandir

    def refusing(path="."):
        if os.fspath(path).rstrip("/") == locked.rstrip("/"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", refusing)
    with pytest.raises(fastpq.DiscoveryError if where else PermissionError) as info:
        fastpq.read_parquet(str(root))
    assert isinstance(info.value, fastpq.ParquetError) == bool(where)
    if where:
        assert "cannot list" in str(info.value) and locked in str(info.value)


def test_root_errors_stay_as_pandas_has_them(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastpq.read_parquet(str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError):
        fastpq.ParquetDataset(str(tmp_path / "missing"))
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(fastpq.DiscoveryError):
        fastpq.ParquetDataset(str(tmp_path / "loop"))
