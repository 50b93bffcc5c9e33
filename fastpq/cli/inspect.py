"""The commands that look at a file without changing it (schema, meta, stats, head, cat, count, verify),
and ``repair``."""
from __future__ import annotations

import os
import sys

from .common import _columns, _open, _print_json, _Usage
from .dataset import dataset_meta, dataset_stats, frames, is_dataset, open_dataset, print_dataset_meta, schema_text
from .rows import RowWriter, _rows_out


def _schema(args) -> None:
    if is_dataset(args.path):
        print(schema_text(open_dataset(args.path)))
    else:
        print(_open(args.path).schema)


def _meta(args) -> None:
    from .text import file_meta, print_meta

    if is_dataset(args.path):
        ds = open_dataset(args.path)
        _print_json(dataset_meta(ds)) if args.json else print_dataset_meta(ds)
        return
    pf = _open(args.path)
    _print_json(file_meta(pf)) if args.json else print_meta(pf)


def _stats(args) -> None:
    from .text import print_table, show, stats_rows

    dataset = is_dataset(args.path)
    rows = dataset_stats(open_dataset(args.path)) if dataset else stats_rows(_open(args.path))
    if args.json:
        _print_json(rows)
        return
    header = ["file"] * dataset + ["column", "row_group", "null_count", "distinct_count", "min", "max"]
    print_table(header, [[show(r[k]) for k in header] for r in rows])


def _count(args) -> None:
    """The number of rows, from the footers alone."""
    print(open_dataset(args.path).num_rows if is_dataset(args.path) else _open(args.path).num_rows)


def _head(args) -> None:
    if args.n < 0:
        raise _Usage("head: -n must be >= 0")
    columns = _columns(args.columns)
    if not is_dataset(args.path):
        pf = _open(args.path)
        RowWriter(sys.stdout, args.format, bool(pf.index_columns)).write(pf.head(args.n, columns=columns))
        return
    import pandas as pd

    got, rows = [], 0
    for df in frames(open_dataset(args.path), columns):
        got.append(df)
        rows += len(df)
        if rows >= args.n:
            break
    ranges = all(isinstance(df.index, pd.RangeIndex) for df in got)   # numbered on, as read_parquet does
    df = pd.concat(got, ignore_index=ranges).head(args.n) if len(got) > 1 else got[0].head(args.n)
    RowWriter(sys.stdout, args.format, not isinstance(df.index, pd.RangeIndex)).write(df)


def _cat(args) -> None:
    if not is_dataset(args.path):
        _rows_out(_open(args.path), sys.stdout, args.format, _columns(args.columns))
        return
    import pandas as pd

    writer = None
    for df in frames(open_dataset(args.path), _columns(args.columns)):
        writer = writer or RowWriter(sys.stdout, args.format, not isinstance(df.index, pd.RangeIndex))
        writer.write(df)
        sys.stdout.flush()


def _verify(args) -> int:
    from ..file.verify import verify_file

    status = 0
    for path in args.paths:
        report = verify_file(path)
        for w in report.warnings:
            print(f"fastpq: warning: {' '.join(str(w).split())}", file=sys.stderr)
        if report.ok and not args.quiet:
            print(report.summary())
        for problem in report.problems:
            print(problem)
        status = status or int(not report.ok)
        sys.stdout.flush()
    return status


def _repair(args) -> None:
    import fastpq

    if not os.path.exists(args.path):
        raise FileNotFoundError(f"{args.path}: no such file or directory")
    print(f"{args.path}: {fastpq.repair(args.path)}")
