"""What the entry points do to a path and a ``filesystem=`` before any reader or writer sees them.

Rules (the same as ``pandas.read_parquet`` / ``DataFrame.to_parquet``):

- ``~`` at the start of a local path (str or ``os.PathLike``, not a URL) is the
  user's home directory, on read and on write.
- ``filesystem=`` must be an fsspec filesystem (anything with ``open`` and
  ``protocol``); anything else raises ``ValueError("filesystem must be a pyarrow
  or fsspec FileSystem")``. A pyarrow filesystem raises
  ``UnsupportedFeatureError``: fastpq does its I/O through fsspec only.
- writing one file into a local directory that does not exist raises
  ``FileNotFoundError("Cannot save file into a non-existent directory: ...")``
  before anything is created (datasets create their directories).
"""
from __future__ import annotations

import os

from ..errors import UnsupportedFeatureError


def expand_user(path):
    """``path`` with a leading ``~`` expanded, for local paths; other values unchanged."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if isinstance(path, str) and path.startswith("~") and "://" not in path:
        return os.path.expanduser(path)
    return path


def check_filesystem(filesystem):
    """``filesystem`` if it is an fsspec filesystem (or None); raises otherwise."""
    if filesystem is None:
        return None
    module = type(filesystem).__module__ or ""
    if module == "pyarrow" or module.startswith("pyarrow."):
        raise UnsupportedFeatureError(f"filesystem={type(filesystem).__name__}: a pyarrow filesystem; fastpq "
                                      "takes fsspec filesystems (fsspec.filesystem(...)) or URLs")
    if not (hasattr(filesystem, "open") and hasattr(filesystem, "protocol")):
        raise ValueError("filesystem must be a pyarrow or fsspec FileSystem")
    return filesystem


def check_parent_directory(path) -> None:
    """Refuse a local file path whose directory does not exist (pandas' message)."""
    if not isinstance(path, str) or "://" in path:
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"Cannot save file into a non-existent directory: '{os.path.dirname(path)}'")


_ENGINES = (None, "auto", "pyarrow", "fastparquet", "fastpq")


def check_engine(engine, caller: str = "read_parquet") -> None:
    """``engine=``: pandas' names accepted and ignored (fastpq is the engine), anything else a
    ValueError as pandas raises it (docs/dtypes.md)."""
    if not (engine is None or isinstance(engine, str)) or engine not in _ENGINES:
        raise ValueError(f"{caller}(): engine must be one of 'auto', 'pyarrow', 'fastparquet' (fastpq reads and "
                         f"writes in their place), not {engine!r}")
