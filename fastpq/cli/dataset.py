"""The CLI on datasets: a directory (hive / drill partitions, ``_metadata``), a ``_metadata`` file or a glob,
read as ``fastpq.read_parquet`` reads it (``fastpq.dataset.read.ParquetDataset``). What each command prints
for a dataset is in docs/cli.md: schema, the unified schema; meta, files, row groups and rows; stats, per
file and row group; head / cat, the rows of the pieces in read order, partition columns included."""
from __future__ import annotations

import os

_GLOB = "*?["


def is_dataset(path: str) -> bool:
    """A directory, a ``_metadata`` file, or a glob that is not itself a file's name."""
    return os.path.isdir(path) or os.path.basename(path.rstrip("/")) == "_metadata" or (
        any(c in path for c in _GLOB) and not os.path.exists(path))


def open_dataset(path: str):
    from ..dataset.read import ParquetDataset

    return ParquetDataset(path)


def _relative(ds, name: str) -> str:
    root = ds._listing.root
    return os.path.relpath(name, root) if isinstance(root, str) and root else name


def schema_text(ds) -> str:
    """The unified schema: one line per column with the dtype ``fastpq.read_parquet`` gives it over every
    file (index columns and partition columns marked), after a line saying how many files."""
    empty = next(frames(ds, None, empty=True))
    index = [n for n in empty.index.names if n is not None]
    parts = set(ds.partition_columns)
    lines = [f"dataset of {len(ds.files)} file{'s' if len(ds.files) != 1 else ''}, as read:"]
    lines += [f"  {name}: {empty.index.get_level_values(name).dtype} (index)" for name in index]
    lines += [f"  {label}: {dtype}{' (partition)' if label in parts else ''}" for label, dtype in empty.dtypes.items()]
    return "\n".join(lines)


def dataset_meta(ds) -> dict:
    files = []
    for i, name in enumerate(ds.files):
        pf = ds.file(i)
        files.append({"file": _relative(ds, name), "num_rows": pf.num_rows, "num_row_groups": pf.num_row_groups,
                      "file_size": pf.file_size})
    return {"num_files": len(files), "num_rows": sum(f["num_rows"] for f in files),
            "num_row_groups": sum(f["num_row_groups"] for f in files), "num_columns": len(ds.schema),
            "partition_columns": ds.partition_columns, "files": files}


def print_dataset_meta(ds) -> None:
    from .text import print_table

    meta = dataset_meta(ds)
    print(f"files:       {meta['num_files']}")
    print(f"rows:        {meta['num_rows']:,}")
    print(f"row groups:  {meta['num_row_groups']}")
    print(f"columns:     {meta['num_columns']}")
    if meta["partition_columns"]:
        print(f"partitions:  {', '.join(meta['partition_columns'])}")
    header = ["file", "num_rows", "num_row_groups", "file_size"]
    print_table(header, [[str(f[k]) for k in header] for f in meta["files"]])


def dataset_stats(ds) -> list:
    """``stats_rows`` of every file, each row naming its file first."""
    from .text import stats_rows

    return [{"file": _relative(ds, name), **row} for i, name in enumerate(ds.files) for row in stats_rows(ds.file(i))]


def frames(ds, columns=None, empty=False):
    """The dataset's rows, one piece (file or row group) at a time, as ``fastpq.read_parquet`` reads them
    (``empty``: one frame of no rows, with the dtypes of the whole read)."""
    plan = ds.plan(columns)
    if empty:
        yield ds.empty(plan, index=None, categories=None, dtype_backend=None, verify_checksums=False)
        return
    for piece in plan.pieces:
        yield ds.read_piece(piece, plan, index=None, categories=None, dtype_backend=None, verify_checksums=False)
    if not plan.pieces:
        yield ds.empty(plan, index=None, categories=None, dtype_backend=None, verify_checksums=False)
