"""The ``fastpq`` command line (also ``python -m fastpq``): inspect, print, convert, append, verify.

    fastpq schema FILE                    fastpq head FILE [-n N] [--columns a,b] [--format ...]
    fastpq meta FILE [--json]             fastpq cat FILE [--format csv|jsonl] [--columns a,b]
    fastpq stats FILE [--json]            fastpq convert SRC DST [--compression C] [--row-group-size N]
    fastpq append FILE SRC                fastpq verify FILE...
    fastpq repair FILE                    fastpq demo
    fastpq count FILE                     fastpq warmup [-v]

FILE may be a dataset for schema, meta, stats, count, head and cat: a directory (hive / drill
partitions, _metadata), a _metadata file or a glob, read as fastpq.read_parquet reads it.

Output suits people and pipes: plain text on stdout; an error is one line
``fastpq: error: ...`` on stderr with exit status 2 (usage) or 1 (Parquet and
I/O errors), never a traceback for an expected error; a closed pipe
(``fastpq cat f | head``) ends the command quietly. Metadata as text and JSON
is ``fastpq.cli.text`` (no pandas); rows and conversions, which need pandas,
are here (tests/test_layers.py lets cli.py import it). Checking a file is
``fastpq.file.verify``.

Rows as text: CSV is pandas' ``to_csv`` (floats exact); JSON lines are built
here because pandas' ``to_json`` rounds floats to 15 digits and timestamps to
milliseconds. In both, bytes are base64 (as BigQuery exports them), nested
values are JSON, timestamps and durations are pandas' text for them
(``2026-01-01 00:00:00+00:00``, ``0 days 00:00:01``), decimals and UUIDs
their text, and missing values are empty (CSV) or ``null`` (JSON).
"""
from __future__ import annotations

import argparse
import os
import sys

from ..errors import ParquetError
from .common import _Usage
from .convert import _append, _convert
from .demo import _demo
from .inspect import _cat, _count, _head, _meta, _repair, _schema, _stats, _verify


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line: ``fastpq: error: head: ...`` (exit 2)."""

    def error(self, message):
        command = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        self.exit(2, f"fastpq: error: {command}{message} (see '{self.prog} --help')\n")


def _warmup(args) -> None:
    """Fill numba's cache with every kernel fastpq commonly uses (fastpq.warmup)."""
    from ..api.warmup import warmup

    r = warmup(verbose=args.verbose)
    print(f"fastpq warmup: {r['signatures']} kernel signatures ({r['compiled']} compiled, {r['loaded']} already "
          f"cached) in {r['seconds']:.1f} s; cache: {r['cache_dir']}")


# ------------------------------------------------------------------ parser
def _build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(prog="fastpq", description="Inspect, print, convert, append to and verify Parquet files.")
    parser.add_argument("--version", action="version", version=f"fastpq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, text, path=True):
        p = sub.add_parser(name, help=text, description=text)
        if path:
            p.add_argument("path", metavar="FILE", help="a Parquet file (or, where said, a dataset)")
        p.set_defaults(func=func)
        return p

    command("schema", _schema, "print the schema as a tree")
    command("meta", _meta, "row groups and column chunks: sizes, codecs, encodings, statistics") \
        .add_argument("--json", action="store_true", help="machine-readable output")
    command("stats", _stats, "min, max, null_count, distinct_count per column per row group") \
        .add_argument("--json", action="store_true", help="machine-readable output")
    command("count", _count, "print the number of rows (from the footers)")
    p = command("head", _head, "print the first rows")
    p.add_argument("-n", type=int, default=10, help="rows (default 10)")
    p.add_argument("--columns", help="comma-separated column names")
    p.add_argument("--format", choices=["table", "csv", "jsonl"], default="table")
    p = command("cat", _cat, "print every row as CSV or JSON lines, one row group at a time")
    p.add_argument("--columns", help="comma-separated column names")
    p.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    p = command("convert", _convert, "CSV -> Parquet; Parquet -> CSV or JSON lines", path=False)
    p.add_argument("src", metavar="SRC", help="input file ('-': CSV on stdin)")
    p.add_argument("dst", metavar="DST", help="output file ('-': stdout)")
    _conversion_options(p, "snappy")
    p.add_argument("--to", choices=["parquet", "csv", "jsonl"], help="output format (default: from DST's name)")
    p.add_argument("--columns", help="comma-separated columns to keep (Parquet input)")
    p.add_argument("--dtype", help="CSV input: column=type,... (pandas dtypes: int32, float32, bool, str, "
                                   "datetime64[us], 'datetime64[ns, UTC]', category ...) instead of inferring")
    p = command("append", _append, "append the rows of a CSV or Parquet file to a Parquet file, in place")
    p.add_argument("src", metavar="SRC", help="CSV or Parquet file ('-': CSV on stdin)")
    _conversion_options(p, "the file's")
    p = command("verify", _verify, "check every page of every column chunk (exit 1 on a problem)", path=False)
    p.add_argument("paths", nargs="+", metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    command("repair", _repair, "finish or roll back an interrupted append")
    command("demo", _demo, "write a DataFrame, append to it, read it back, show the file", path=False) \
        .add_argument("--keep", action="store_true", help="keep the file it writes")
    command("warmup", _warmup, "compile every kernel into numba's cache (NUMBA_CACHE_DIR), for images and workers",
            path=False).add_argument("-v", "--verbose", action="store_true", help="name each workload step")
    return parser


def _conversion_options(p, codec_default) -> None:
    p.add_argument("--from", dest="from_", choices=["csv", "parquet"], help="input format (default: from its name)")
    p.add_argument("--compression", help=f"codec of the new row groups: snappy, zstd, gzip, brotli, lz4, none "
                                         f"(default: {codec_default})")
    p.add_argument("--row-group-size", type=int, help="rows per row group (default 1,048,576); a CSV is read "
                                                      "this many rows at a time")
    p.add_argument("--sep", help="CSV field separator (default ',', tab for .tsv)")


def _warning_line(message, category, filename, lineno, line=None) -> str:
    return f"fastpq: warning: {' '.join(str(message).split())}\n"


def main(argv=None) -> int:
    import warnings

    args = _build_parser().parse_args(argv)
    warnings.formatwarning = _warning_line  # one line each, as errors are
    try:
        status = args.func(args) or 0
        sys.stdout.flush()
    except BrokenPipeError:  # `fastpq cat f | head`: the reader has gone, and that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("fastpq: interrupted", file=sys.stderr)
        return 130
    except _Usage as exc:
        print(f"fastpq: error: {exc}", file=sys.stderr)
        return 2
    except (ParquetError, OSError, ValueError, KeyError, MemoryError) as exc:
        print(f"fastpq: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    return status


def _one_line(exc) -> str:
    if isinstance(exc, KeyError):
        text = f"no such column or key: {exc}"
    elif isinstance(exc, MemoryError):
        text = f"out of memory {exc}".strip()
    elif isinstance(exc, OSError) and exc.strerror and exc.filename:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())
