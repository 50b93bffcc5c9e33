"""fastpq for dask: ``read_parquet`` and ``to_parquet`` on dask DataFrames.

Built on public dask API only: ``dask.dataframe.from_map`` for reading (one
partition per file, per row group, or per N row groups), ``to_delayed`` and
``dask.delayed`` for writing.

Reading plans on the client: files, partition pruning, row-group and page
pruning (``fastpq.dataset.read.ParquetDataset.plan``). Each task carries only
its own piece of the plan and its file's entry and identity (``fastpq.format.source``:
taken on the client); what all tasks share (the plan's fields, options, meta) is held once
by the task function. In the client's process the tasks reuse the client's footers; on a
cluster a worker re-reads a file's footer once (``_FOOTERS``). A task reads its piece like
``fastpq.read_parquet`` would (filters applied to rows exactly); a file that changed since
the plan raises ``FileChangedError`` on the worker instead of being read through a
footer that is no longer its own. Planning cost is linear in files and row groups:
1,000 files planned in 0.1 s where each task carrying the whole plan took 48.6 s. Column projection reaches the reads through
from_map's protocol: the function takes a ``columns=`` keyword, which dask's
optimizer fills in. Partitions are given the
dtypes of ``meta``: an integer (bool) column that statistics say may hold nulls
is float64 (object) in every partition, so partitions agree. Divisions are
known when the index is a stored column whose statistics show the pieces
sorted and disjoint.

Writing: every partition becomes one part file per partition-key combination
(``k=v/part.<partition>.<tag>.parquet``), written in parallel by the workers
with fastpq's file writer, inside the dataset writer's protocol
(``fastpq.dataset.write.begin_write``: lock, recovery, journal, commit of one
``_metadata`` and ``_common_metadata`` from the row groups the tasks return).
``append=True`` adds part files and extends ``_metadata``; the frame must match
the dataset's schema.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .dataset.read import ParquetDataset

__all__ = ["read_parquet", "to_parquet"]


# ---------------------------------------------------------------- reading

class _Task:
    """What one task carries: its own piece of the plan and how to find its file's footer
    (the file's entry, its identity pinned on the client, its row-group count), never the
    footer or the other pieces: dask tokenizes (and, on a cluster, ships) every task apart,
    so anything shared by all tasks would be hashed once per task (quadratic: 48.6 s and
    +1.9 GB to plan 1,000 files when each task carried the whole plan)."""

    __slots__ = ("index", "entry", "identity", "fingerprint", "num_row_groups", "values", "piece")

    def __init__(self, index, entry, identity, fingerprint, num_row_groups, values, piece):
        self.index, self.entry, self.identity = index, entry, identity
        self.fingerprint, self.num_row_groups, self.values, self.piece = fingerprint, num_row_groups, values, piece

    @property
    def row_groups(self) -> list:
        """The row groups planned (a whole-file piece: those the file had then)."""
        rgs = self.piece.row_groups
        return list(range(self.num_row_groups)) if rgs is None else rgs

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def __dask_tokenize__(self):
        p = self.piece
        return ("fastpq-task", self.entry.name, self.identity, self.fingerprint, self.num_row_groups, repr(self.values),
                p.row_groups, repr(p.groups), repr(p.selections), p.num_rows)


class _ReadPiece:
    """Reads one piece; ``columns`` is filled in by dask's projection (from_map's protocol).

    Holds what every task shares, once: the plan without its pieces, the options, ``meta``,
    the file system and the partition categories. In the client's process (dask's local
    schedulers) it also holds the dataset, whose footers the tasks reuse; pickled (a
    cluster, the processes scheduler) it drops it, and a worker re-reads the footer of a
    task's file (one per file per process, kept in ``_FOOTERS``), checked against the
    identity pinned on the client (``FileChangedError`` when the file changed since).
    """

    def __init__(self, options: dict, meta: pd.DataFrame, ds, plan):
        self.options = options
        self.meta = meta
        self.plan = dataclasses.replace(plan, pieces=[])
        lst = ds._listing
        self.listing = (lst.fs, lst.root, lst.kind)
        p = ds.partitioning
        self.partitioning = (p.names, p.kinds, p.categories)
        self._ds = ds

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_ds"] = None
        return state

    def __dask_tokenize__(self):
        return ("fastpq-read", repr(self.options), list(self.meta.columns), [str(t) for t in self.meta.dtypes],
                self.plan.order, self.plan.filter_columns, self.plan.filter_level, repr(self.listing[1:]))

    def __call__(self, task, columns=None):
        ds = self._ds
        if ds is None:
            ds, piece = self._one_file(task), dataclasses.replace(task.piece, file=0, row_groups=task.row_groups)
        else:
            piece = task.piece
        df = ds.read_piece(piece, self.plan, columns=columns, **self.options)
        meta = self.meta if columns is None else self.meta[list(columns)]
        return _conform(df, meta)

    def _one_file(self, task):
        """A dataset of the task's file alone, its footer re-read here (or found in ``_FOOTERS``)."""
        from .dataset.read import ParquetDataset

        fs, root, kind = self.listing
        pf = _footer(fs, task)
        names, kinds, categories = self.partitioning
        return ParquetDataset.of_entry(fs, root, kind, task.entry, pf, names, kinds, categories, task.values)


# Footers re-read by this worker process: (name, identity) -> ParquetFile. Small: a worker reads
# the pieces of a few files at a time (split_row_groups gives many tasks per file).
_FOOTERS: dict = {}
_FOOTERS_MAX = 64


def _footer(fs, task):
    """The footer of ``task``'s file, re-read here: refused (``FileChangedError``) when the
    file is not the one planned: replaced, or rewritten so that the task's row groups (or the
    schema) are not what the plan saw (an append keeps them: read on, as a ParquetFile would)."""
    from .dataset.footers import ChunkTable, open_footer
    from .errors import FileChangedError
    from .format.source import same_remote

    key = (task.entry.name, task.identity)
    pf = _FOOTERS.get(key) if task.identity is not None else None
    if pf is not None:
        return pf
    pf = open_footer(fs, task.entry)
    was, now = task.identity, pf.source.identity
    same = was is None or now is None or (now == was if fs is None else same_remote(was, now))
    replaced = not same and (fs is not None or now[0] != was[0])
    if replaced or task.num_row_groups > pf.num_row_groups or \
            ChunkTable(pf).fingerprint(task.row_groups) != task.fingerprint:
        what = "replaced by another file" if replaced else "rewritten in place"
        raise FileChangedError(f"{task.entry.name} changed since it was opened ({what}) by the dask plan: "
                               "plan it again to read it")
    if was is not None:
        if len(_FOOTERS) >= _FOOTERS_MAX:
            _FOOTERS.pop(next(iter(_FOOTERS)))
        _FOOTERS[key] = pf
    return pf


def _conform(df: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Give ``df`` the dtypes of ``meta`` where its values decided another (int -> float or
    Int64, dates -> datetime64[s], times -> timedelta64[ns], INT96 ns -> us ...): exact, since
    meta's dtype holds every planned value (``_meta``)."""
    for i, (have, want) in enumerate(zip(df.dtypes, meta.dtypes)):
        if have != want and not isinstance(want, pd.CategoricalDtype):
            col = df.iloc[:, i]
            if have == object and isinstance(want, np.dtype) and want.kind == "m":
                col = col.map(_as_timedelta)
            try:
                df.isetitem(i, col.astype(want))
            except (TypeError, ValueError):
                pass
    return df


def _as_timedelta(v):
    """A TIME value (datetime.time, or already a Timedelta) as a Timedelta since midnight."""
    if hasattr(v, "hour") and not isinstance(v, pd.Timedelta):
        return pd.Timedelta(hours=v.hour, minutes=v.minute, seconds=v.second, microseconds=v.microsecond)
    return v


def read_parquet(path, columns=None, filters=None, index=None, split_row_groups="infer", storage_options=None,
                 filesystem=None, categories=None, dtype_backend=None, filter_level="row", partitioning="hive",
                 calculate_divisions=True, verify_checksums=False, use_metadata=True, engine=None, progress=False):
    """A dask DataFrame over a Parquet file or dataset (``fastpq.read_parquet``'s arguments).

    split_row_groups: False (one partition per file), True (per row group), an int
        N (N row groups per partition) or 'infer' (per row group when files average
        more than 128 MB uncompressed, else per file).
    calculate_divisions: know the divisions when the index is a stored column sorted
        across pieces per statistics (nothing is read for it).
    engine: as ``fastpq.read_parquet`` takes it ('auto', 'pyarrow', 'fastparquet' ignored,
        anything else a ValueError). progress: a tqdm bar while the client reads the files'
        footers (the tasks are dask's to show: ``dask.diagnostics.ProgressBar``).
    Columns have the dtypes ``fastpq.read_parquet`` gives (strings: ``pd.StringDtype(na_value=nan)``,
        pandas' default), whatever dask's ``dataframe.convert-string`` says.
    """
    import dask
    import dask.dataframe as dd

    from .api.paths import check_engine
    from .dataset.footers import ChunkTable

    check_engine(engine, "fastpq.dask.read_parquet")
    ds = ParquetDataset(path, filesystem=filesystem, storage_options=storage_options, partitioning=partitioning,
                        use_metadata=use_metadata, progress=progress)
    split = _split_mode(ds, split_row_groups)
    plan = ds.plan(None, filters, filter_level, index, split_row_groups=split is not False)
    pieces = _group(plan.pieces, split)
    options = dict(index=index, categories=categories, dtype_backend=dtype_backend,
                   verify_checksums=verify_checksums)
    tables: dict = {}   # file -> ChunkTable: one footer scan per file for meta, divisions and tasks
    meta = _meta(ds, plan, options, tables, filtered=filters is not None)
    if columns is not None:
        data, parts, order = ds._select(columns, plan.fields)
        plan = dataclasses.replace(plan, data=data, partitions=parts, order=order)
        meta = meta[[n if n in parts else plan.fields[n].label for n in order]]
    if not pieces:
        with dask.config.set({"dataframe.convert-string": False}):
            return dd.from_pandas(meta, npartitions=1)
    tasks = []
    for piece in pieces:
        pf = ds.file(piece.file)
        pf.source.pin()  # the worker refuses a file that changed since (fastpq.io)
        if piece.file not in tables:
            tables[piece.file] = ChunkTable(pf)
        tasks.append(_Task(piece.file, ds._files[piece.file], pf.source.identity, tables[piece.file].fingerprint(
            piece.row_groups), pf.num_row_groups, ds.partitioning.values[piece.file], piece))
    divisions = _divisions(ds, plan, pieces, meta, index, tables) if calculate_divisions else None
    with dask.config.set({"dataframe.convert-string": False}):  # else str columns become na_value=<NA>
        return dd.from_map(_ReadPiece(options, meta, ds, plan), tasks, meta=meta, divisions=divisions,
                           label="fastpq-read", enforce_metadata=False)


def _split_mode(ds, split_row_groups):
    if split_row_groups == "infer":
        n = len(ds)
        if not n:
            return False
        sample = [ds.file(i) for i in range(min(n, 8))]
        sizes = [sum(r.total_byte_size for r in pf.row_groups) for pf in sample]
        many = any(pf.num_row_groups > 1 for pf in sample)
        return True if many and np.mean(sizes) > (128 << 20) else False
    if split_row_groups is True or split_row_groups is False:
        return split_row_groups
    if isinstance(split_row_groups, int) and split_row_groups > 0:
        return int(split_row_groups)
    raise ValueError(f"split_row_groups must be True, False, 'infer' or a positive int, not {split_row_groups!r}")


def _group(pieces: list, split) -> list:
    """Row-group pieces of one file merged into runs of ``split`` row groups (an int)."""
    if split is True or split is False:
        return pieces
    out = []
    for piece in pieces:
        last = out[-1] if out else None
        if last is not None and last.file == piece.file and len(last.row_groups) < split:
            merged_sel = {**(last.selections or {}), **(piece.selections or {})} or None
            out[-1] = dataclasses.replace(last, row_groups=last.row_groups + piece.row_groups,
                                          selections=merged_sel, num_rows=(last.num_rows or 0) + (piece.num_rows or 0))
        else:
            out.append(piece)
    return out


def _meta(ds, plan, options, tables, filtered=False) -> pd.DataFrame:
    """Zero rows with the dtypes ``fastpq.read_parquet`` gives the planned rows, which every
    partition is conformed to (docs/datasets.md, "dask"). Where pandas' dtype depends on the
    values (an int / bool column with nulls, a DATE beyond datetime.date, a TIME(NANOS) with
    sub-microsecond values, INT96's unit) statistics decide; what they cannot decide is read:
    those columns alone, once, on the client."""
    from .dataset.value_dtypes import READ, by_statistics

    meta = ds.empty(plan, **options)
    files = sorted({p.file for p in plan.pieces})
    probe = []
    for pos, name in enumerate(plan.order):
        if name not in plan.data:
            continue
        verdict = by_statistics(ds, files, name, meta.dtypes.iloc[pos], options.get("dtype_backend"), tables)
        if verdict is READ:
            probe.append(name)
        elif verdict is not None:
            meta.isetitem(pos, meta.iloc[:, pos].astype(verdict))
    if probe and plan.pieces:
        sub = dataclasses.replace(plan, data=probe, partitions=[], order=probe)
        parts = ds._read_pieces(sub, plan.pieces, ds._threads, False, options,
                                frame=len(plan.pieces) == 1 and not filtered)
        read = ds._combine(sub, parts, options.get("dtype_backend"), filtered=filtered, options=options)
        for k, name in enumerate(probe):
            meta.isetitem(plan.order.index(name), meta.iloc[:, plan.order.index(name)].astype(read.dtypes.iloc[k]))
    return meta


def _divisions(ds, plan, pieces, meta, index, tables):
    """(min of each piece, max of the last) of the index column, from statistics; None when a
    piece has no usable statistics or the pieces are not sorted and disjoint."""
    from .dataset.footers import ChunkTable
    from .format.statistics import chunk_statistics
    from .frame.values import python_stat_value

    name = index if isinstance(index, str) else None
    if name is None and index is None and not isinstance(meta.index, pd.RangeIndex):
        pf0 = ds.file(pieces[0].file)
        stored = pf0.index_columns
        name = stored[0] if len(stored) == 1 else None
    if name is None or meta.index.dtype.kind not in "iufM" or getattr(meta.index.dtype, "tz", None) is not None:
        return None
    bounds = []
    for piece in pieces:
        pf = ds.file(piece.file)
        if name not in pf.schema.names:
            return None
        node = pf.schema.field(name)
        orders = pf.metadata.column_orders or []
        order = orders[node.column_index] if node.column_index < len(orders) else None
        lo = hi = None
        table = tables[piece.file] if piece.file in tables else tables.setdefault(piece.file, ChunkTable(pf))
        for k in piece.row_groups if piece.row_groups is not None else range(pf.num_row_groups):
            found = table.statistics(k, node.column_index)
            if found is None:
                return None
            st = chunk_statistics(found[0], node, order)
            if st["min"] is None or st["max"] is None or (node.optional and st["null_count"] != 0):
                return None
            a, b = python_stat_value(st["min"], node), python_stat_value(st["max"], node)
            lo = a if lo is None else min(lo, a)
            hi = b if hi is None else max(hi, b)
        if lo is None:
            return None
        bounds.append((lo, hi))
    for (_, hi), (lo, _) in zip(bounds, bounds[1:]):
        if not hi < lo:
            return None
    divisions = [b[0] for b in bounds] + [bounds[-1][1]]
    try:
        return tuple(pd.Index(divisions).astype(meta.index.dtype))
    except (TypeError, ValueError, OverflowError):
        return None


# ---------------------------------------------------------------- writing

# dask.dataframe.to_parquet's names that mean what fastpq's do (the value moves to fastpq's name)
_DASK_SPELLINGS = {"partition_cols": "partition_on", "index": "write_index", "row_group_size": "row_group_offsets"}
# the file writer's options a dask write passes on to every part file (ParquetWriter's keywords)
_WRITER_OPTIONS = ("stats", "dictionary", "data_page_version", "page_size", "column_encoding", "page_index",
                   "page_checksum", "sorting_columns", "times", "object_encoding", "nullable")
# dask's own arguments, accepted at these values only (a different value means something fastpq does not do)
_DASK_ONLY = {"schema": ("infer", None), "write_metadata_file": (None, True), "name_function": (None,)}
_WHY = {"schema": "fastpq plans the schema from the frame's dtypes (pass object_encoding= / nullable= to steer it)",
        "write_metadata_file": "the crash-safe dataset protocol always commits _metadata",
        "name_function": "part files are named part.<n>.<tag>.parquet: the tag is how recovery finds the files "
                         "of a crashed write"}


def _check_write_arguments(given: dict, extra: dict) -> dict:
    """``to_parquet``'s arguments checked on the client, before any task exists: dask's spellings
    moved to fastpq's (two spellings of one option refused), unknown names refused as a TypeError
    naming ``fastpq.dask.to_parquet``, the file writer's options checked by ``WriteOptions`` (the
    check every ParquetWriter makes). Returns the writer's options for every task."""
    from .api.paths import check_engine
    from .file.options import WriteOptions, as_int

    check_engine(extra.pop("engine", None), "fastpq.dask.to_parquet")
    for name, target in _DASK_SPELLINGS.items():
        if name in extra:
            value = extra.pop(name)
            if value is not None and given[target] is not None:
                raise ValueError(f"fastpq.dask.to_parquet(): {name}= and {target}= are two spellings of one "
                                 "option; give one")
            given[target] = value if value is not None else given[target]
    for name, allowed in _DASK_ONLY.items():
        if name in extra and extra.pop(name) not in allowed:
            raise TypeError(f"fastpq.dask.to_parquet() does not take {name}=: {_WHY[name]}")
    extra.pop("ignore_divisions", None)   # fastpq does not check divisions on append: nothing to ignore
    unknown = sorted(set(extra) - set(_WRITER_OPTIONS) - {"compute_kwargs"})
    if unknown:
        raise TypeError(f"fastpq.dask.to_parquet() got an unexpected keyword argument {unknown[0]!r}")
    rgo = as_int(given["row_group_offsets"])   # numpy integers are ints, as for fastpq.write
    if rgo is not None and (isinstance(rgo, bool) or not isinstance(rgo, int) or rgo <= 0):
        raise ValueError(f"fastpq.dask.to_parquet(): row_group_offsets (row_group_size) must be a positive int "
                         f"(rows per row group), not {rgo!r}")
    writer = {k: v for k, v in extra.items() if k in _WRITER_OPTIONS}
    writer.update(compression=given["compression"], row_group_offsets=rgo)
    WriteOptions(**writer).check_codecs()
    return writer


def to_parquet(ddf, path, partition_on=None, append=False, overwrite=False, storage_options=None,
               filesystem=None, write_index=None, compression="snappy", row_group_offsets=None,
               custom_metadata=None, compute=True, progress=False, **options):
    """Write a dask DataFrame as a hive dataset: one part file per partition (and partition-key
    combination), written in parallel, then one ``_metadata`` / ``_common_metadata``.

    The write follows the dataset writer's protocol (``fastpq.dataset.write``): the
    client locks the dataset, recovers an interrupted write, checks the schema and
    journals the write; the tasks write part files; the client commits ``_metadata``.
    A failed write is rolled back; a killed one is recovered by the next write or
    ``fastpq.repair(root)``, like any other.

    append: add to an existing dataset (its schema and partition columns must match).
    write_index: store the index as a column; default: unless it is unnamed and int64
        (taken for dask's default index, pieces of RangeIndexes).
    overwrite: replace an existing non-empty directory (default: refuse); the old files
        go once the new ``_metadata`` is in place.
    options: fastpq's file writer options (stats, dictionary, page_index, ...); dask's
        spellings ``partition_cols`` (= partition_on), ``index`` (= write_index),
        ``row_group_size`` (= row_group_offsets), ``engine`` (as ``fastpq.read_parquet``
        takes it), ``compute_kwargs`` (to ``dask.compute``), ``ignore_divisions``,
        ``schema='infer'`` and ``write_metadata_file=True``; anything else is a TypeError
        raised here, before any task runs (docs/datasets.md).
    compute=False returns a dask.delayed object that writes when computed: the journal
        is written now (an uncomputed write is rolled back by the next write, as a crashed
        one), the commit locks the dataset again and fails if another writer recovered
        this write meanwhile.
    """
    import dask

    from .dataset.store import METADATA, Store
    from .dataset.write import begin_write

    given = dict(partition_on=partition_on, write_index=write_index, row_group_offsets=row_group_offsets,
                 compression=compression)
    compute_kwargs = options.get("compute_kwargs") or {}
    writer_options = _check_write_arguments(given, options)
    partition_on, write_index = given["partition_on"], given["write_index"]
    partition_on = [partition_on] if isinstance(partition_on, str) else list(partition_on or [])
    missing = [c for c in partition_on if c not in ddf.columns]
    if missing:
        raise ValueError(f"partition_on columns {missing} are not columns of the DataFrame")
    store = Store(path, storage_options, filesystem)
    if not append and store.is_dir() and store.files() and not overwrite:
        raise FileExistsError(f"{store.url} exists and is not empty: pass overwrite=True or append=True")
    if write_index is None:  # an unnamed int64 index is taken for dask's default (RangeIndex pieces)
        write_index = not (ddf.index.name is None and ddf.index.dtype == np.int64)
    sample = _sample(ddf)
    store.makedirs("")

    def begin():
        return begin_write(store, sample, partition_on, bool(append), custom_metadata, writer_options,
                           bool(write_index), writer_options.get("object_encoding", "infer"),
                           writer_options.get("times", "int64"), writer_options.get("nullable"))

    if not compute:
        with store.lock():
            job = begin()
        return dask.delayed(_commit_later)(_part_tasks(ddf, job), job, ddf.npartitions)
    with store.lock():  # held until the commit: other writers on this machine wait
        job = begin()
        try:
            parts = _part_tasks(ddf, job)
            results = _compute_with_progress(parts, compute_kwargs) if progress else \
                list(dask.compute(*parts, **compute_kwargs))
        except BaseException:
            job.roll_back()   # tasks still running delete what they write (write_part_of)
            raise
        job.commit([w for written in results for w in written], ddf.npartitions)
    return store.path(METADATA)


def _part_tasks(ddf, job) -> list:
    """One write task per partition; parts checked against the plan when it is the dataset's."""
    import dask

    appending = bool(job.mode) and job.old is not None
    return [dask.delayed(_write_partition)(part, job.first + i, job.store, job.plan, job.partition_on, job.tag,
                                           job.options, appending)
            for i, part in enumerate(ddf.to_delayed())]


def _commit_later(results, job, count) -> str:
    from .dataset.store import METADATA
    from .errors import ParquetError

    with job.store.lock():
        if not job.is_current():
            job.roll_back()   # its files only
            raise ParquetError(f"{job.store.url}: another writer recovered this dask write before it was "
                               "committed (its journal is gone): nothing was written")
        job.commit([w for written in results for w in written], count)
    return job.store.path(METADATA)


def _sample(ddf) -> pd.DataFrame:
    """Rows to plan object columns from: the first non-empty partition (an empty frame of
    the dtypes when no column is of object dtype)."""
    dtypes = ddf.dtypes
    index = pd.Index([], dtype=ddf.index.dtype, name=ddf.index.name)
    empty = pd.DataFrame({c: pd.Series(dtype=t, index=index) for c, t in dtypes.items()}, index=index)
    if not any(t == object for t in dtypes):
        return empty
    for i in range(ddf.npartitions):
        part = ddf.get_partition(i).compute()
        if len(part):
            return part
    return empty


def _write_partition(df, number, store, plan, partition_on, tag, options, appending):
    """Write one dask partition: one part file per partition-key combination in it.
    Returns [(row groups with file_path set, rows)]."""
    from .append.schema import check_frame
    from .dataset.write import part_name, split, write_part_of

    out = []
    for folder, part in split(df, partition_on):
        if not len(part):
            continue
        if appending:
            check_frame(part, plan)
        out.append(write_part_of(store, part_name(folder, number, tag), part, plan, options, tag))
    return out


def _compute_with_progress(parts, compute_kwargs) -> list:
    """Compute the part writes with a tqdm bar (futures on a distributed client if there is one)."""
    from .dataset.progress import bar

    try:
        from distributed import as_completed, get_client

        client = get_client()
    except (ImportError, ValueError):
        client = None
    with bar(True, len(parts), "writing (partitions)") as pbar:
        if client is not None:
            futures = client.compute(parts)
            for _ in as_completed(futures):
                pbar.update()
            results = client.gather(futures)
        else:
            import dask
            from dask.callbacks import Callback

            class _Count(Callback):  # dask's documented hook for local schedulers
                def _posttask(self, key, result, dsk, state, worker_id):
                    name = key[0] if isinstance(key, tuple) else key
                    if str(name).startswith("_write_partition"):
                        pbar.update()

            with _Count():
                results = list(dask.compute(*parts, **compute_kwargs))
    return results
