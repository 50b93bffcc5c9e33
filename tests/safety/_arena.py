"""A dataset root with sentinels around it, on a local disk (by path or file:// URL) or in
fsspec's memory file system, and snapshots to prove an operation touched none of them.

    base/victim.txt, base/victim.parquet        sentinel files beside the root
    base/outside/sub/deep.parquet               a sentinel tree (with an empty folder,
    base/outside/sub/deeper/note.txt            which "remove empty directories" must
    base/outside/empty/                         leave alone)
    base/ds/                                    the dataset: hive on k (a, b), column v
    base/ds/link -> ../outside                  local only: symbolic links inside the root
    base/ds/k=z -> ../outside/sub               that point out of it
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import fastpq

KINDS = ("local", "file", "memory")
OLD = pd.DataFrame({"k": ["a", "a", "b"], "v": [1, 2, 3]})
NEW = pd.DataFrame({"k": ["a", "c"], "v": [10, 11]})


def build_template(folder) -> str:
    """The local arena every test copies (symbolic links relative, so copies keep them)."""
    base = os.path.join(os.fspath(folder), "base")
    os.makedirs(os.path.join(base, "outside", "sub", "deeper"))
    os.makedirs(os.path.join(base, "outside", "empty"))
    with open(os.path.join(base, "victim.txt"), "wb") as f:
        f.write(b"sentinel: must survive")
    with open(os.path.join(base, "outside", "sub", "deeper", "note.txt"), "wb") as f:
        f.write(b"sentinel tree")
    table = pa.table({"v": [7, 8]}, schema=pa.schema([pa.field("v", pa.int64(), nullable=False)]))  # as the dataset
    pq.write_table(table, os.path.join(base, "victim.parquet"))
    pq.write_table(table, os.path.join(base, "outside", "sub", "deep.parquet"))
    fastpq.write(os.path.join(base, "ds"), OLD, file_scheme="hive", partition_on=["k"])
    os.symlink(os.path.join("..", "outside"), os.path.join(base, "ds", "link"))
    os.symlink(os.path.join("..", "outside", "sub"), os.path.join(base, "ds", "k=z"))
    return base


class Arena:
    """One test's copy of the template: ``url`` is the dataset root as the test passes it."""

    def __init__(self, kind: str, template: str, tmp_path):
        self.kind = kind
        if kind == "memory":
            self.fs = fsspec.filesystem("memory")
            self.base = f"/fastpq-safety-{uuid.uuid4().hex[:12]}"
            for folder, dirs, names in os.walk(template):
                rel = os.path.relpath(folder, template)
                target = self.base if rel == "." else f"{self.base}/{rel.replace(os.sep, '/')}"
                if os.path.islink(folder):
                    continue
                self.fs.makedirs(target, exist_ok=True)
                for name in names:
                    with open(os.path.join(folder, name), "rb") as f:
                        self.fs.pipe_file(f"{target}/{name}", f.read())
            self.url = f"memory://{self.base}/ds"
        else:
            self.fs = None
            self.base = os.path.join(os.fspath(tmp_path), "base")
            shutil.copytree(template, self.base, symlinks=True)
            root = os.path.join(self.base, "ds")
            self.url = root if kind == "local" else f"file://{root}"

    @property
    def symlinks(self) -> bool:
        return self.fs is None

    def path(self, rel: str) -> str:
        """The path of ``rel`` (relative to the dataset root)."""
        return f"{self.base}/ds/{rel}" if self.fs is not None else os.path.join(self.base, "ds", *rel.split("/"))

    def get(self, rel: str) -> bytes:
        if self.fs is not None:
            return self.fs.cat_file(self.path(rel))
        with open(self.path(rel), "rb") as f:
            return f.read()

    def put(self, rel: str, data: bytes) -> None:
        if self.fs is not None:
            self.fs.pipe_file(self.path(rel), data)
        else:
            with open(self.path(rel), "wb") as f:
                f.write(data)

    def snapshot(self, inside: bool) -> dict:
        """{path: what is there} for the dataset root (``inside``) or everything beside it."""
        root = f"{self.base}/ds" if self.fs is not None else os.path.join(self.base, "ds")
        out = {}
        if self.fs is not None:
            for path, info in self.fs.find(self.base, withdirs=True, detail=True).items():
                if (path == root or path.startswith(root + "/")) == inside:
                    data = self.fs.cat_file(path) if info["type"] == "file" else None
                    out[path] = (info["type"], _digest(data))
            return out
        for folder, dirs, names in os.walk(self.base):
            for name in dirs + names:
                path = os.path.join(folder, name)
                if (path == root or path.startswith(root + os.sep)) != inside:
                    continue
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    out[path] = ("link", os.readlink(path))
                elif stat.S_ISREG(st.st_mode):
                    with open(path, "rb") as f:
                        out[path] = ("file", oct(st.st_mode), _digest(f.read()))
                else:                                   # a directory, a FIFO (never opened)
                    out[path] = ("other", oct(st.st_mode))
        return out

    def close(self) -> None:
        if self.fs is not None and self.fs.exists(self.base):
            self.fs.rm(self.base, recursive=True)


def _digest(data) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


OPS = {
    "write": lambda url: fastpq.write(url, NEW[["v"]], file_scheme="hive"),
    "append=True": lambda url: fastpq.write(url, NEW, file_scheme="hive", partition_on=["k"], append=True),
    "append='overwrite'": lambda url: fastpq.write(url, NEW, file_scheme="hive", partition_on=["k"],
                                                   append="overwrite"),
    "append=False": lambda url: fastpq.write(url, NEW, file_scheme="hive", partition_on=["k"], append=False),
    "repair": lambda url: fastpq.repair(url),
    "merge": lambda url: fastpq.merge(url),
    "read": lambda url: fastpq.read_parquet(url),
}
MUTATING = tuple(op for op in OPS if op != "read")
