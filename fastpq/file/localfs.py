"""Local files a writer replaces or creates: links, permissions, ownership, temporary files.

The rules (``fastpq.write`` of a local file, an append's journal (``append/appender.py``)):

* **Links are written through.** The target is the file a symlink designates
  (``os.path.realpath``), so the link stays a link; the temporary file and
  the journal go beside the real file. A symlink loop is an ``OSError``.
* **Permissions as the kernel would give them.** A target that exists and that
  the caller may not write (``access(W_OK)`` with the effective ids: mode
  bits, ACLs, a read-only mount, an immutable file) is refused with
  ``PermissionError`` before anything is created: a rename only needs the
  directory, and would otherwise replace a read-only file. Root may write any
  file, as ``open(path, 'w')`` may: fastpq replaces a file exactly when the
  caller could have opened it for writing.
* **Mode and ownership are kept.** The replacement (and an append's journal,
  which holds the footer and its statistics) gets the target's owner and group
  where the process may set them (root; the same user; a group the user is
  in), then the target's mode. Never wider: where the group cannot be kept,
  the group permissions are cut to what everyone else had. A new file gets
  ``0o666 & ~umask``.
* **Temporary files are locked while alive.** A write's temporary file
  ``.<name>.<slot>.fastpq-tmp`` (the first free of 8 slots; past 8 writes of
  one path at once, 16 random hex digits) is created ``0o600`` and held under
  ``flock(LOCK_EX)`` until it is renamed (the lock dies with its process), so
  an unlocked one is the orphan of a killed write, and a locked one belongs to
  a write in progress and stays. The next write of the same path removes the
  orphans in the slots (8 probes: no directory listing, whatever the
  directory's size); ``fastpq.repair(path)`` lists the directory and removes
  every orphan of the path, including random-named ones and those of earlier
  fastpq versions (``.<name>.<8 of a-z0-9_>.fastpq-tmp``, never locked: a
  write of such a version still running would lose its file).
"""
from __future__ import annotations

import errno
import os
import re
import stat

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, no sweeping
    fcntl = None

TEMP_SUFFIX = ".fastpq-tmp"


def resolve_target(path: str) -> str:
    """The file ``path`` designates: symlinks followed (a dangling link: the file it would create)."""
    real = os.path.realpath(path)
    if os.path.islink(real):
        raise OSError(errno.ELOOP, "too many levels of symbolic links", path)
    return real


def existing(path: str):
    """``os.stat`` of ``path``, or None when there is no such file."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def check_writable(path: str) -> None:
    """PermissionError when ``path`` exists and the caller may not write it (module docstring)."""
    effective = os.access in os.supports_effective_ids
    if os.path.exists(path) and not os.access(path, os.W_OK, effective_ids=effective):
        raise PermissionError(errno.EACCES, "permission denied: fastpq.write does not replace a file this user "
                                            "may not write", path)


def new_file_mode() -> int:
    """The mode ``open(path, 'w')`` would give a new file: ``0o666 & ~umask``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def copy_owner_and_mode(fd: int, like, mask: int = 0o7777) -> None:
    """Give the file open as ``fd`` (created ``0o600``) the owner, group and mode (``& mask``)
    of the stat ``like``, where the process may; never wider (module docstring). ``like``
    None: a new file's mode. A file system that refuses owners or modes leaves it ``0o600``."""
    if like is None:
        _chmod(fd, new_file_mode() & mask)
        return
    mode = stat.S_IMODE(like.st_mode) & mask
    for uid in (like.st_uid, -1):            # the owner needs root; the group, membership
        try:
            os.fchown(fd, uid, like.st_gid)
            break
        except OSError:
            continue
    if os.fstat(fd).st_gid != like.st_gid:   # another group: it gets only what others had
        mode = (mode & ~0o070) | ((mode >> 3) & mode & 0o007) << 3
    _chmod(fd, mode)


def _chmod(fd: int, mode: int) -> None:
    try:
        os.fchmod(fd, mode)
    except OSError:
        pass


# ---------------------------------------------------------------- temporary files

SLOTS = 8


def _temp_name(base: str, slot: int) -> str:
    return f".{base}.{slot if slot < SLOTS else os.urandom(8).hex()}{TEMP_SUFFIX}"


def create_temp(real: str) -> tuple[int, str]:
    """A new temporary file beside ``real``, open read-write (``0o600``) and locked: (fd, path).
    Its lock marks it as in use until it is closed (module docstring)."""
    folder, base = os.path.split(real)
    slot = 0
    while True:
        tmp = os.path.join(folder, _temp_name(base, slot))
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if not _remove_if_orphan(tmp):   # in use: the next slot
                slot += 1
            continue
        if fcntl is None:
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)       # waits while a sweep looks at it
        if _same_file(fd, tmp):              # (which may have removed it first: then again)
            return fd, tmp
        os.close(fd)


def sweep_orphans(real: str, listing: bool = False) -> int:
    """Remove the temporary files killed writes of ``real`` left beside it: those in the
    slots, or (``listing``) every one the directory holds. Returns how many."""
    if fcntl is None:
        return 0
    folder, base = os.path.split(real)
    if not listing:
        names = [os.path.join(folder, _temp_name(base, slot)) for slot in range(SLOTS)]
    else:
        pattern = re.compile(re.escape(f".{base}.") + r"(?:[0-7]|[0-9a-f]{16}|[a-z0-9_]{8})" + re.escape(TEMP_SUFFIX))
        try:
            names = [os.path.join(folder, n) for n in os.listdir(folder or ".")
                     if n.endswith(TEMP_SUFFIX) and pattern.fullmatch(n)]
        except OSError:
            return 0
    return sum(_remove_if_orphan(tmp) for tmp in names)


def _remove_if_orphan(tmp: str) -> int:
    try:
        fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:                          # none there, a link, not ours to open
        return 0
    try:
        if fcntl is None or not stat.S_ISREG(os.fstat(fd).st_mode):
            return 0
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:              # a write in progress holds it
            return 0
        if not _same_file(fd, tmp):
            return 0
        os.unlink(tmp)                       # under our lock: its writer (if any) sees it gone
        return 1
    finally:
        os.close(fd)


def _same_file(fd: int, path: str) -> bool:
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    st = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino)
