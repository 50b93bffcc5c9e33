"""The commands that look at a file without changing it (schema, meta, stats, head, cat, count, verify),
and ``repair``."""
from __future__ import annotations

import os
import sys

from .common import _columns, _open, _print_json, _Usage
from .rows import RowWriter, _rows_out


def _schema(args) -> None:
    print(_open(args.path).schema)


def _meta(args) -> None:
    from .text import file_meta, print_meta

    pf = _open(args.path)
    if args.json:
        _print_json(file_meta(pf))
    else:
        print_meta(pf)


def _stats(args) -> None:
    from .text import print_table, show, stats_rows

    rows = stats_rows(_open(args.path))
    if args.json:
        _print_json(rows)
        return
    header = ["column", "row_group", "null_count", "distinct_count", "min", "max"]
    print_table(header, [[show(r[k]) for k in header] for r in rows])



def _head(args) -> None:
    if args.n < 0:
        raise _Usage("head: -n must be >= 0")
    pf = _open(args.path)
    RowWriter(sys.stdout, args.format, bool(pf.index_columns)).write(pf.head(args.n, columns=_columns(args.columns)))


def _cat(args) -> None:
    pf = _open(args.path)
    _rows_out(pf, sys.stdout, args.format, _columns(args.columns))



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

    if not os.path.isfile(args.path):
        raise FileNotFoundError(f"{args.path}: no such file")
    print(f"{args.path}: {fastpq.repair(args.path)}")
