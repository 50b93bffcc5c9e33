"""``fastpq.read_parquet``: the pandas-shaped entry point for reading Parquet.

Same call shape and defaults as ``pandas.read_parquet`` (path, ``columns``,
``filters``, ``dtype_backend``, ``storage_options``, ``filesystem`` and
``engine`` accepted for drop-in use), plus fastpq's own options: ``index``,
``categories``, ``use_threads``, ``verify_checksums``, ``row_groups``,
``coerce_int96_timestamp_unit``, and for datasets ``filter_level``,
``partitioning`` and ``progress``. One file without filters is read by
``ParquetFile``; directories, lists of files, globs and anything with
``filters`` go through ``fastpq.dataset.read.ParquetDataset``.
"""
from __future__ import annotations

import os

from ..file.reader import ParquetFile
from ..frame.read.dtypes import NO_DEFAULT, check_dtype_backend
from ..format.source import Source
from .paths import check_engine, check_filesystem, expand_user

_ACCEPTED = {"engine", "filesystem", "row_groups", "coerce_int96_timestamp_unit", "to_pandas_kwargs",
             "filter_level", "partitioning", "progress"}
_GLOB = "*?["


def read_parquet(path, columns=None, filters=None, index=None, categories=None, dtype_backend=NO_DEFAULT,
                 storage_options=None, use_threads=True, verify_checksums=False, **kwargs):
    """Read a Parquet file or dataset into a DataFrame, with the dtypes ``pandas.read_parquet`` gives.

    path: a local path, an fsspec URL (``storage_options`` go to fsspec), a
        binary file object or bytes; or a directory (hive / drill partitions,
        ``_metadata``), a ``_metadata`` file, a list of files or a glob.
    columns: column names to read (default: all); index columns recorded in
        pandas metadata are read as the index either way.
    filters: DNF predicates as pyarrow takes them (``[('a', '>', 3)]``, lists of
        such lists for OR; see fastpq.frame.read.filters): partitions, row groups and
        pages are pruned from metadata, then rows are filtered exactly.
    index: column name(s) to use as the index instead of pandas metadata's;
        False for none.
    categories: column names to read as categoricals (default: those pandas
        metadata or the stored Arrow schema say are).
    dtype_backend: 'numpy_nullable' (Int64, boolean, Float64, string ...) or
        'pyarrow' (``pd.ArrowDtype`` for every column); default: numpy dtypes.
    use_threads: decode column chunks on a thread pool (an int sets its size).
    verify_checksums: check page CRCs where the writer stored them; a mismatch
        raises ``fastpq.ChecksumError``.
    **kwargs: ``engine`` (ignored: fastpq is the engine), ``filesystem`` (an
        fsspec filesystem for ``path``), ``row_groups`` (row group numbers to
        read), ``coerce_int96_timestamp_unit`` ('ns', 'us', 'ms' or 's'),
        ``filter_level`` ('row' default; 'page', 'row_group', 'file': stop at that
        granularity), ``partitioning`` ('hive' default, 'drill', None, or
        ``{column: dtype}``: hive with those columns typed, fastpq.dataset.partitions),
        ``progress`` (a tqdm progress bar over files).
    """
    unknown = set(kwargs) - _ACCEPTED
    if unknown:
        raise TypeError(f"read_parquet() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    check_engine(kwargs.get("engine"))
    if kwargs.get("to_pandas_kwargs"):
        raise TypeError("read_parquet(): to_pandas_kwargs is a pyarrow option fastpq does not take")
    if dtype_backend is NO_DEFAULT or dtype_backend is None:  # None: fastpq's own spelling of the default
        dtype_backend = None
    else:
        check_dtype_backend(dtype_backend)
    path = [expand_user(p) for p in path] if isinstance(path, (list, tuple)) else expand_user(path)
    if kwargs.get("filesystem") is not None:
        kwargs["filesystem"] = check_filesystem(kwargs["filesystem"])
    options = dict(index=index, categories=categories, dtype_backend=dtype_backend, use_threads=use_threads,
                   verify_checksums=verify_checksums,
                   coerce_int96_timestamp_unit=kwargs.get("coerce_int96_timestamp_unit"))
    dataset_only = {k: kwargs[k] for k in ("filter_level", "partitioning", "progress") if kwargs.get(k) is not None}
    source = Source(path, storage_options, kwargs.get("filesystem")) if not isinstance(path, (list, tuple)) else None
    as_dataset = filters is not None or bool(dataset_only) or source is None or (
        _is_path(path) and _is_dataset(path, source))
    if as_dataset:
        if kwargs.get("row_groups") is not None:
            raise ValueError("row_groups selects row groups of one file: it cannot be combined with a dataset "
                             "or filters")
        return _read_dataset(path, source, columns, filters, storage_options, kwargs, options, dataset_only)
    pf = ParquetFile(source)
    return pf.to_pandas(columns=columns, row_groups=kwargs.get("row_groups"), index=index, categories=categories,
                        dtype_backend=dtype_backend, use_threads=use_threads, verify_checksums=verify_checksums,
                        coerce_int96_timestamp_unit=kwargs.get("coerce_int96_timestamp_unit"))


def _is_path(path) -> bool:
    return isinstance(path, (str, os.PathLike))


def _is_dataset(path, source: Source) -> bool:
    if _is_directory(source):
        return True
    name = os.path.basename(os.fspath(path).rstrip("/"))
    if name == "_metadata":  # the dataset it describes (pandas fails on it: its row groups are elsewhere)
        return True
    return any(c in os.fspath(path) for c in _GLOB) and not _exists(source)


def _exists(source: Source) -> bool:
    if source.is_local:
        return os.path.exists(source.fs_path)
    try:
        return bool(source.fs.exists(source.fs_path))
    except (OSError, NotImplementedError):
        return False


def _read_dataset(path, source, columns, filters, storage_options, kwargs, options, dataset_only):
    from ..dataset.read import ParquetDataset

    if source is not None and not _is_path(path):  # a file object or bytes: a dataset of that one file
        ds = ParquetDataset.of_file(ParquetFile(source))
    else:
        ds = ParquetDataset(path, filesystem=kwargs.get("filesystem"), storage_options=storage_options,
                            partitioning=dataset_only.get("partitioning", "hive"))
    return ds.to_pandas(columns=columns, filters=filters, filter_level=dataset_only.get("filter_level", "row"),
                        progress=dataset_only.get("progress", False), **options)


def _is_directory(source: Source) -> bool:
    if source.is_local:
        return os.path.isdir(source.fs_path)
    if source.fs is not None:
        try:
            return bool(source.fs.isdir(source.fs_path))
        except (OSError, NotImplementedError):
            return False
    return False




def read_file_filtered(pf, row_groups, columns=None, filters=None, filter_level="row", **options):
    """``ParquetFile.to_pandas(filters=...)``: the one file read as a dataset of itself (the filter
    language, pruning and row semantics of ``read_parquet(filters=)``), restricted to
    ``row_groups`` (file row group numbers, read in file order; None: all)."""
    import dataclasses

    from ..dataset.read import ParquetDataset

    ds = ParquetDataset.of_file(pf)
    if row_groups is None:
        return ds.to_pandas(columns=columns, filters=filters, filter_level=filter_level, **options)
    options.pop("use_threads", None)  # one piece: read on the file reader's own pool
    plan = ds.plan(columns, filters, filter_level, options.get("index"))
    wanted = set(row_groups)
    pieces = []
    for piece in plan.pieces:
        rgs = [k for k in (piece.row_groups or range(pf.num_row_groups)) if k in wanted]
        if rgs:
            sel = {k: v for k, v in (piece.selections or {}).items() if k in wanted} or None
            pieces.append(dataclasses.replace(piece, row_groups=rgs, selections=sel, num_rows=None))
    if not pieces:
        return ds.empty(plan, **options)
    return ds.read_piece(pieces[0], plan, **options)
