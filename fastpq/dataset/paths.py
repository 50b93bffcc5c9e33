"""The paths a dataset may name: one check for every relative path read from disk
(journal entries, ``_metadata`` file_paths, merged files) and every path the
dataset writer, its recovery or ``merge`` creates, renames or deletes; and the
name-length limits new names are checked against before anything is written.

A dataset-relative path is a non-empty ``str`` of '/'-separated segments, none
of them empty, ``.`` or ``..``; it has no NUL, no backslash (a separator on
Windows), no leading ``/`` and no drive letter (``C:``). A path anything else
names is refused (``CorruptFileError``: the file that named it is corrupt).

Local roots are also checked for symbolic links: the real path of the folder
holding the path (every link resolved) must lie under the real path of the
root. The last segment is not resolved: unlink, rename, link and rmdir act on
a link itself, never through it, so a folder that is a link leading out of the
root is refused, and a file to delete must be a regular file (or absent): never
a directory, nor a link, which fastpq never makes.
Reads through ``_metadata`` check the segments only: they follow links as
directory listings (fastpq's and pyarrow's) do, and change nothing.

Names: every segment of a new path fits the file system's name limit
(``NAME_MAX``, local roots; 255 bytes elsewhere, so that a dataset can be
copied to a local disk), its last segment with room for the temporary name it
is first written under, and the whole path fits ``PATH_MAX``.
"""
from __future__ import annotations

import errno
import os
import re
import stat

from ..errors import CorruptFileError, PartitionError

_DRIVE = re.compile(r"[A-Za-z]:")
_ABSENT = (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG)     # no file is there (or can be)
PORTABLE_NAME_MAX = 255
TEMP_ROOM = 32          # '.' + name + '.' + a random part + '.fastpq-tmp' (writer and Store.put_atomic)


def problem(rel) -> str | None:
    """What makes ``rel`` no dataset-relative path (module docstring), or None."""
    if not isinstance(rel, str):
        return f"is a {type(rel).__name__}, not a path"
    if not rel:
        return "is empty: it names no file"
    if "\x00" in rel:
        return "holds a NUL character"
    if "\\" in rel:
        return "holds a backslash (a path separator on Windows)"
    if rel.startswith("/") or _DRIVE.match(rel):
        return "leaves the dataset directory (an absolute path)"
    segments = rel.split("/")
    if ".." in segments:
        return "leaves the dataset directory (a '..' segment)"
    if "" in segments or "." in segments:
        return "has an empty or '.' segment"
    return None


def check_path(rel, where, what: str = "path", real_root: str | None = None, file: bool = False) -> str:
    """``rel`` if it is a dataset-relative path (and, given the real path of a local
    root, its folder lies under it and, with ``file``, it is a regular file or absent);
    else ``CorruptFileError`` naming ``where`` (the file that named ``rel``, or the root)."""
    reason = problem(rel)
    if reason is None and real_root is not None:
        reason = _escapes(rel, real_root)
        if reason is None and file:
            reason = _not_a_file(os.path.join(real_root, *rel.split("/")))
    if reason is not None:
        raise CorruptFileError(f"{what} {rel!r} {reason}", path=where)
    return rel


def _escapes(rel: str, real_root: str) -> str | None:
    """Why the folder of ``rel`` is not under ``real_root``, or None: each folder segment is
    examined (one lstat), and a link resolved and checked (os.path.realpath of every path
    costs ~100 us, 5x an unlink)."""
    folder = real_root
    for segment in rel.split("/")[:-1]:
        folder = os.path.join(folder, segment)
        if os.path.islink(folder):
            folder = os.path.realpath(folder)
            if folder != real_root and not folder.startswith(real_root.rstrip(os.sep) + os.sep):
                return f"leaves the dataset directory {real_root} through a symbolic link (to {folder})"
    return None


def _not_a_file(path: str) -> str | None:
    try:
        mode = os.lstat(path).st_mode
    except OSError as e:
        return None if e.errno in _ABSENT else f"cannot be examined ({e.strerror})"
    return None if stat.S_ISREG(mode) else "is not a regular file (a directory or a link?)"


def name_limits(root: str | None) -> tuple[int, int | None]:
    """(longest segment, longest path) in bytes for new names under the local ``root``
    (None: another file system; no path limit then)."""
    if root is None:
        return PORTABLE_NAME_MAX, None
    try:
        return os.pathconf(root, "PC_NAME_MAX"), os.pathconf(root, "PC_PATH_MAX")
    except (OSError, ValueError):
        return PORTABLE_NAME_MAX, 4096


def check_new_name(rel: str, full_path: str, limits: tuple) -> None:
    """``PartitionError`` unless every segment of the new path ``rel`` (and the whole
    ``full_path``) fits the ``limits`` of ``name_limits``."""
    name_max, path_max = limits
    segments = rel.split("/")
    for i, segment in enumerate(segments):
        size = len(os.fsencode(segment))
        room = TEMP_ROOM if i == len(segments) - 1 else 0
        if size + room > name_max:
            raise PartitionError(f"the name {_short(segment)!r} in the dataset is {size} bytes long; a name here "
                                 f"holds at most {name_max - room} (a partition value too long for a directory "
                                 f"name?); nothing was written")
    size = len(os.fsencode(full_path))
    if path_max is not None and size + TEMP_ROOM >= path_max:
        raise PartitionError(f"the path {_short(full_path)!r} is {size} bytes long; a path here holds fewer than "
                             f"{path_max - TEMP_ROOM}; nothing was written")


def _short(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:60]}...{text[-16:]}"
