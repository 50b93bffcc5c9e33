"""Writing and appending to hive-partitioned datasets (``fastpq.write`` with ``file_scheme='hive'``).

``write(path, df, file_scheme='hive', partition_on=[...])`` writes::

    root/k1=v1/k2=v2/part.000000.<uuid12>.parquet     one part file per partition
    root/_common_metadata                             schema + key-value metadata
    root/_metadata                                    every row group, file_path relative to root

Partition values are encoded as pyarrow and Hive do: ``str`` of the value
(booleans ``true``/``false``, integral floats without ``.0``), then
percent-encoded with nothing kept but letters, digits and ``_.-~``
(pyarrow's default ``segment_encoding='uri'``); nulls (None, NaN, NaT) become
``__HIVE_DEFAULT_PARTITION__``. Partition columns are not stored in the part
files. Without ``partition_on`` the part files sit at the top level. A
RangeIndex is not stored (rows of a dataset have no global order); any other
index is stored as columns, as in single files.

``file_scheme='drill'`` (fastparquet's): directories are named by the value
alone (``root/v1/v2/part...``), encoded as above; a read with
``partitioning='drill'`` gives them back as columns ``dir0``, ``dir1``, ... (the
column names are not in the paths; ``_metadata`` records them under
``fastpq:partitions`` with ``"scheme": "drill"``). A drill value that is null or
whose directory name would be empty or hidden ('.' or '_' first) is refused
before anything is written: listings skip such directories. An append follows
the dataset's recorded scheme.

``row_group_offsets``: an int is rows per row group in each part file; a list
is applied to the frame first (the row groups a single file would get), then
each row group is split by partition, as fastparquet did: every partition's
part file holds one row group per frame row group that has rows of it.

Every write, append or partition overwrite follows one protocol, whose commit
point is the atomic replacement of ``_metadata`` (``Store.put_atomic``):

1. lock the dataset (local: ``flock`` on the root directory) and recover a
   journal left by a crash;
2. read the dataset (``_metadata``, or the part files when there is none),
   check the frame against its schema (``SchemaMismatchError``: nothing written);
3. write the journal ``_fastpq_journal`` naming the part files about to be
   written; write them under fresh names (a counter kept in ``_metadata`` plus
   a random suffix: never an existing or orphaned name), each complete before
   it appears (local: temporary file + rename);
4. rewrite the journal with the files the change replaces and the CRC of the
   new ``_metadata``; replace ``_common_metadata``, then ``_metadata``;
5. delete the replaced files (``append='overwrite'``: those of the partitions
   present in the new data; ``append=False``: the whole old dataset), remove
   the journal.

A crash before step 4's ``_metadata`` swap leaves the old ``_metadata``: the
next write or ``fastpq.repair(root)`` deletes the listed new files, and every
part file carrying the write's tag (roll back: a dask write's tasks choose
their partition directories, so its journal names the tag, not the files).
After it, the journal's CRC matches ``_metadata``: recovery deletes the
replaced files (roll forward). Readers through ``_metadata`` see the old or
the new dataset; readers that list the directory see new part files from the
moment each is renamed into place, and replaced files until they are deleted.
Other fsspec file systems: no lock (one writer at a time), atomicity as
``Store.put_atomic`` describes.

Writers whose part files are written elsewhere (``fastpq.dask``: tasks on
workers) run the same steps one by one: ``begin_write`` (steps 1-3, under the
caller's lock: recover, read, check, journal the tag), ``write_part_of`` with
``part_name(folder, number, job.tag)`` in the tasks, then ``job.commit``
(steps 4-5) or ``job.roll_back``.
"""
from __future__ import annotations

import contextlib
import json
import posixpath
import uuid
import zlib
from collections import Counter
from urllib.parse import quote

import numpy as np

from ..append.schema import check_frame, check_names, plan_for, updated_key_value
from ..errors import ParquetError, PartitionError, SchemaMismatchError
from ..file.rowgroup import row_group_starts
from .footers import checked_file_paths
from .journal import JOURNAL, abort, is_current, put_journal, recover, tagged_files
from .metadata import PARTITIONS_KEY, collect, file_bytes, file_path_of, located, parse_bytes, write_metadata
from .store import METADATA, Store

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
SCHEMES = ("hive", "drill")
NEXT_PART_KEY = "fastpq:next_part"


# ---------------------------------------------------------------- the entry point

def write_dataset(root, df, partition_on=None, append=False, overwrite=True, storage_options=None,
                  filesystem=None, row_group_offsets=None, write_index=None, times="int64",
                  object_encoding="infer", nullable=None, custom_metadata=None, file_scheme="hive",
                  **options) -> None:
    """Write, append to (``append=True``) or overwrite partitions of (``append='overwrite'``)
    the dataset at ``root`` (see the module docstring). ``options``: the file writer's
    (compression, stats, dictionary, ...); ``file_scheme``: 'hive' or 'drill'."""
    from ..frame.write.plan import as_frame

    df = as_frame(df)
    if append not in (False, True, "overwrite"):
        raise ValueError(f"append must be False, True or 'overwrite', not {append!r}")
    if file_scheme not in SCHEMES:
        raise ValueError(f"a dataset's file_scheme must be one of {SCHEMES}, not {file_scheme!r}")
    starts = None
    if row_group_offsets is not None and (isinstance(row_group_offsets, bool)
                                          or not isinstance(row_group_offsets, int)):
        starts = row_group_starts(len(df), row_group_offsets)  # checked: start at 0, increase
        row_group_offsets = None
    _refuse_duplicates(list(df.columns))
    partition_on = [partition_on] if isinstance(partition_on, str) else list(partition_on or [])
    missing = [c for c in partition_on if c not in df.columns]
    if missing:
        raise ValueError(f"partition_on columns {missing} are not columns of the DataFrame")
    for name in partition_on:
        partition_key(name)
    store = Store(root, storage_options, filesystem)
    if not append and not overwrite and store.is_dir() and store.files():
        raise FileExistsError(f"{store.url} exists and is not empty, and overwrite=False")
    store.makedirs("")
    with store.lock():
        recover(store)
        job = _DatasetWrite(store, df, partition_on, append, custom_metadata,
                            dict(options, row_group_offsets=row_group_offsets), file_scheme)
        job.plan_from(write_index, object_encoding, times, nullable)
        job.run(starts)


def _refuse_duplicates(labels: list) -> None:
    """pandas' refusal of duplicate column labels, before partition columns are split off
    (a partition column named twice would otherwise fail inside groupby)."""
    counts = Counter(str(x) for x in labels)
    dupes = sorted(name for name, n in counts.items() if n > 1)
    if dupes:
        raise ValueError(f"Duplicate column names found: {dupes} (Parquet field names must be unique)")


# ---------------------------------------------------------------- partitions

def partition_value(value) -> str:
    """The directory name part of one partition value (module docstring)."""
    if _is_null(value):
        return NULL_PARTITION
    if isinstance(value, (bool, np.bool_)):
        text = "true" if value else "false"
    elif isinstance(value, (float, np.floating)):
        text = repr(float(value))
        text = text[:-2] if text.endswith(".0") else text
    elif isinstance(value, bytes):
        text = value.decode("utf-8", "backslashreplace")
    else:
        text = str(value)
    return quote(text, safe="")


def partition_key(name) -> str:
    """The directory name part of a partition column's name; ``PartitionError`` for names
    that make hidden directories ('.' or '_' first), which listings skip (0 rows)."""
    key = quote(str(name), safe="")
    if key[:1] in (".", "_"):
        raise PartitionError(f"partition column {name!r}: a directory named {key}=... would be hidden (names "
                             f"starting with '.' or '_' are skipped by fastpq's and pyarrow's listings, which "
                             f"would then find no rows); rename the column")
    return key


def _is_null(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)          # NaN, NaT
    except (TypeError, ValueError):          # pd.NA
        return True


def drill_value(value) -> str:
    """The directory name of one drill partition value; ``PartitionError`` for what a
    listing would not find (null, empty, '.' or '_' first)."""
    text = "" if _is_null(value) else partition_value(value)
    if not text or text[:1] in (".", "_"):
        what = "a null" if _is_null(value) else f"the value {value!r}"
        raise PartitionError(f"file_scheme='drill' cannot store {what}: its directory name {text!r} would be "
                             f"{'empty' if not text else 'hidden'} (listings skip it); use file_scheme='hive'")
    return text


def split(df, partition_on: list, scheme: str = "hive") -> list:
    """[(relative directory, part DataFrame without the partition columns)] in key order."""
    if not partition_on:
        return [("", df)] if len(df) else []
    keep = [i for i, c in enumerate(df.columns) if c not in set(partition_on)]
    try:
        groups = list(df.groupby(partition_on, dropna=False, observed=True, sort=True))
    except TypeError:                        # keys of mixed types do not sort
        groups = list(df.groupby(partition_on, dropna=False, observed=True, sort=False))
    except OverflowError as exc:             # e.g. date32 beyond datetime.date: no Python key, no folder name
        raise ValueError(f"cannot partition on {partition_on}: a value has no Python form to name "
                         f"its folder ({exc})") from None
    out = []
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        if scheme == "drill":
            folder = "/".join(drill_value(v) for v in key)
        else:
            folder = "/".join(f"{partition_key(name)}={partition_value(v)}" for name, v in zip(partition_on, key))
        out.append((folder, part.iloc[:, keep]))
    return out


def _partition_kinds(df, partition_on, scheme="hive") -> list:
    extra = {"scheme": "drill"} if scheme == "drill" else {}
    return [dict({"name": str(c), "kind": getattr(df[c].dtype, "kind", "O")}, **extra) for c in partition_on]


def _dataset_partitions(fmd) -> list | None:
    """[{'name', 'kind'}] of the dataset's partition columns (None when unknown)."""
    kv = {k.key: k.value for k in fmd.key_value_metadata or []}
    if PARTITIONS_KEY in kv:
        try:
            return json.loads(kv[PARTITIONS_KEY])
        except ValueError:
            pass
    if len(fmd.row_groups):
        path = file_path_of(fmd.row_groups[0]) or ""
        return [{"name": seg.split("=", 1)[0], "kind": None} for seg in path.split("/")[:-1] if "=" in seg]
    return None


# ---------------------------------------------------------------- the write

class _DatasetWrite:
    def __init__(self, store, df, partition_on, mode, custom_metadata, options, scheme="hive"):
        self.store, self.df, self.partition_on, self.mode = store, df, partition_on, mode
        self.scheme = scheme
        self.custom = custom_metadata
        self.options = options
        self.old = read_dataset(store)

    def plan_from(self, write_index, object_encoding, times, nullable) -> None:
        from ..frame.write.plan import build_plan

        if self.mode and self.old is not None:
            self._check_partitions()
            self.data = self._data()
            with dataset_words():
                check_names(self.data, self.old)
                self.plan = plan_for(self.old, self.store.url)
                check_frame(self.data, self.plan)
        else:
            self.data = self._data()
            self.plan = build_plan(self.data, write_index, object_encoding, times, nullable)
            self.plan.range_index = None

    def _data(self):
        keep = [i for i, c in enumerate(self.df.columns) if c not in set(self.partition_on)]
        return self.df.iloc[:, keep]

    def _check_partitions(self) -> None:
        known = _dataset_partitions(self.old)
        if known is None:
            return
        names = [p["name"] for p in known]
        if known:  # an append follows the dataset's layout
            self.scheme = known[0].get("scheme", "hive")
        if not self.partition_on and names:
            self.partition_on = names
            missing = [c for c in names if c not in self.df.columns]
            if missing:
                raise SchemaMismatchError(f"the dataset is partitioned on {names}; the DataFrame lacks {missing}")
        if [str(c) for c in self.partition_on] != names:
            raise SchemaMismatchError(f"the dataset is partitioned on {names}, not {list(self.partition_on)}")
        for p, new in zip(known, _partition_kinds(self.df, self.partition_on, self.scheme)):
            if p.get("kind") and p["kind"] != new["kind"] and {p["kind"], new["kind"]} - {"i", "u"}:
                raise SchemaMismatchError(f"partition column {p['name']!r}: the dataset's values have dtype kind "
                                          f"{p['kind']!r}, the DataFrame's {self.df[p['name']].dtype}")

    def run(self, starts=None) -> None:
        """Write the frame (``starts``: the frame's row group starts, module docstring)."""
        groups = self._groups(starts)
        self.begin([folder for folder, _, _ in groups])
        try:
            with dataset_words():
                written = [write_part(self.store, rel, part, self.plan, self.options, each)
                           for rel, (_, part, each) in zip(self.rels, groups)]
        except BaseException:
            self.roll_back()
            raise
        self.commit(written, len(groups))

    def _groups(self, starts) -> list:
        """[(folder, part, True: ``part`` is a list of frames, one row group each)], with rows."""
        if starts is None:
            return [(folder, part, False) for folder, part in split(self.df, self.partition_on, self.scheme)
                    if len(part)]
        pieces: dict = {}   # folder -> its rows of each frame row group, folders in order of first rows
        for a, b in zip(starts, starts[1:] + [len(self.df)]):
            for folder, part in split(self.df.iloc[a:b], self.partition_on, self.scheme):
                if len(part):
                    pieces.setdefault(folder, []).append(part)
        return [(folder, parts, True) for folder, parts in pieces.items()]

    def begin(self, folders=None) -> None:
        """Step 3's journal: the part files of ``folders`` (one each) when known, and the
        write's tag (module docstring)."""
        if self.mode == "overwrite" and not self.partition_on:
            raise ValueError("append='overwrite' replaces partitions: it needs partition_on")
        self.first = self._next_part()
        self.tag = uuid.uuid4().hex[:12]
        self.rels = [part_name(folder, self.first + i, self.tag) for i, folder in enumerate(folders or [])]
        for rel in self.rels:
            self.store.check_new(rel)
        put_journal(self.store, self.rels, [], None, self.tag)

    def commit(self, written: list, count: int) -> None:
        """Steps 4-5 for the part files ``written`` ([(row groups, rows)], as ``write_part``
        returns them) under ``count`` part numbers; rolled back if it fails before the
        ``_metadata`` swap."""
        store = self.store
        row_groups = [rg for rgs, _ in written for rg in rgs]
        rels = sorted(set(self.rels) | {file_path_of(rg) for rg in row_groups})
        try:
            fmd, replaced = self._metadata(row_groups, sum(n for _, n in written), self.first + count,
                                           {posixpath.dirname(rel) for rel in rels})
            replaced = [rel for rel in replaced if rel not in set(rels)]  # a listing sees the new files too
            data = file_bytes(fmd)
            put_journal(store, rels, replaced, zlib.crc32(data), self.tag)
            write_metadata(store, fmd, data)
        except BaseException:
            self.roll_back()
            raise
        for rel in replaced:
            store.remove(rel)
        store.remove_empty_dirs(replaced)
        store.remove(JOURNAL)

    def roll_back(self) -> None:
        """Undo the write: its part files (named, or found by tag) and its journal; only the
        files once another writer recovered it (the journal there is not this write's)."""
        if self.is_current():
            abort(self.store, self.rels, self.tag)
            return
        mine = self.rels + tagged_files(self.store, self.tag)
        for rel in mine:
            self.store.remove(rel)
        self.store.remove_empty_dirs(mine)

    def is_current(self) -> bool:
        """Whether the dataset's journal is still this write's (no other writer recovered it)."""
        return is_current(self.store, self.tag)

    def _next_part(self) -> int:
        if self.old is None:
            return 0
        kv = {k.key: k.value for k in self.old.key_value_metadata or []}
        try:
            return int(kv[NEXT_PART_KEY])
        except (KeyError, ValueError):
            return len(self.old.row_groups)

    def _metadata(self, row_groups, rows, next_part, folders):
        """(new _metadata FileMetaData, part files it no longer references)."""
        from .._thrift import KeyValue
        from ..file.rowgroup import file_metadata

        old, replaced = self.old, []
        if self.mode and old is not None:
            fmd = old
            if self.mode == "overwrite":
                keep = []
                for rg in old.row_groups:
                    path = file_path_of(rg) or ""
                    (replaced if posixpath.dirname(path) in folders else keep).append(rg)
                replaced = sorted({file_path_of(rg) for rg in replaced})
                fmd.row_groups = keep
            fmd.row_groups.extend(row_groups)
            fmd.num_rows = sum(int(rg.num_rows) for rg in fmd.row_groups) if self.mode == "overwrite" \
                else int(old.num_rows) + rows
            fmd.key_value_metadata = updated_key_value(old, self.plan, self.data, self.custom)
        else:
            fmd = file_metadata(self.plan, row_groups, rows, self.custom)
            if old is not None:
                replaced = sorted({file_path_of(rg) for rg in old.row_groups} | set(_listed(self.store)))
        kv = {k.key: k.value for k in fmd.key_value_metadata or []}
        if PARTITIONS_KEY not in kv and self.partition_on:
            kv[PARTITIONS_KEY] = json.dumps(_partition_kinds(self.df, self.partition_on, self.scheme))
        kv[NEXT_PART_KEY] = str(next_part)
        fmd.key_value_metadata = [KeyValue(key=k, value=v) for k, v in kv.items()]
        return fmd, [r for r in replaced if r]


_FILE_WORDS = (("the file has", "the dataset has"), ("the file's", "the dataset's"),
               ("the file stores", "the dataset stores"))


@contextlib.contextmanager
def dataset_words():
    """A frame checked against a dataset's schema by the file-level checks (which say "the
    file has ..."): their SchemaMismatchError says "the dataset has ..." instead."""
    try:
        yield
    except SchemaMismatchError as exc:
        message = str(exc)
        for old, new in _FILE_WORDS:
            message = message.replace(old, new)
        if message == str(exc):
            raise
        raise SchemaMismatchError(message) from None


def begin_write(store, sample, partition_on, mode, custom_metadata, options, write_index=None,
                object_encoding="infer", times="int64", nullable=None) -> _DatasetWrite:
    """Steps 1-3 for a write whose part files are written elsewhere (module docstring), under
    the caller's ``store.lock()``: recover, read the dataset, plan (or check) the schema from
    ``sample`` (a DataFrame of the data's columns and dtypes; partition columns included),
    write the journal. Returns the job: ``partition_on`` (the dataset's, when appending),
    ``plan``, ``first`` (the first part number), ``tag``, ``commit`` and ``roll_back``."""
    recover(store)
    job = _DatasetWrite(store, sample, list(partition_on), mode, custom_metadata, options)
    job.plan_from(write_index, object_encoding, times, nullable)
    job.begin()
    return job


def part_name(folder: str, number: int, tag: str) -> str:
    """The relative path of a write's part file (never an existing or orphaned name)."""
    return posixpath.join(folder, f"part.{number:06d}.{tag}.parquet")


def write_part_of(store, rel: str, part, plan, options: dict, tag: str):
    """``write_part`` in a task of the write ``tag`` (``begin_write``): refused once the write
    is no longer current (rolled back, its journal gone or another write's), and the file
    it wrote deleted again if it stopped being current meanwhile. Tasks may outlive their
    write (a client that stopped waiting after another task failed, or died): a roll back
    marks the journal aborted before it lists the write's files, so every file is either
    listed and deleted by it, or seen aborted and deleted by its task."""
    if not is_current(store, tag):
        raise ParquetError(f"{store.url}: the write {tag} was rolled back; part file {rel} not written")
    written = write_part(store, rel, part, plan, options)
    if not is_current(store, tag):
        store.remove(rel)
        raise ParquetError(f"{store.url}: the write {tag} was rolled back; part file {rel} deleted")
    return written


def _listed(store) -> list:
    return store.data_files() if store.read(METADATA) is None else []


def read_dataset(store):
    """The dataset's FileMetaData: ``_metadata`` (every file_path checked: ``paths``), else its
    part files merged; None if empty."""
    data = store.read(METADATA)
    if data is not None:
        fmd = parse_bytes(data, store.path(METADATA))
        checked_file_paths(fmd.row_groups, store.path(METADATA))
        return fmd
    return collect(store, store.data_files())


def write_part(store, rel: str, part, plan, options: dict, row_group_each=False):
    """Write one part file (``row_group_each``: ``part`` is a list of frames, one row group
    each; else the options' rows per row group); returns its row groups (file_path set)
    and row count."""
    from ..file.writer import ParquetWriter

    store.makedirs(posixpath.dirname(rel))
    options = dict(options)
    custom = options.pop("custom_metadata", None)
    tmp, f = None, None
    if store.local:
        target = store.target(rel)
    else:
        tmp = None if store.object_store else store.temp_name(rel)
        f = target = store.fs.open(store.target(tmp or rel), "wb")
    writer = ParquetWriter(target, plan, overwrite=False, custom_metadata=custom, **options)
    try:
        for piece in part if row_group_each else [part]:
            writer.write(piece, [0] if row_group_each else None)
        writer.close()
        if f is not None:
            f.close()
            if tmp is not None:
                store.fs.mv(store.path(tmp), store.target(rel))
    except BaseException:
        writer.abort()
        if f is not None:
            _discard(f)
            store.remove(tmp or rel)
        raise
    return located([r.row_group for r in writer.results], rel), writer.num_rows


def _discard(f) -> None:
    try:
        if hasattr(f, "discard"):
            f.discard()
        else:
            f.close()
    except Exception:  # noqa: BLE001 - cleaning up after another error
        pass
