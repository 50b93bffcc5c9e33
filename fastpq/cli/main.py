"""The ``fastpq`` command line (also ``python -m fastpq``): inspect, print, convert, append, verify.

    fastpq schema FILE                    fastpq head FILE [-n N] [--columns a,b] [--format ...]
    fastpq meta FILE [--json]             fastpq cat FILE [--format csv|jsonl] [--columns a,b]
    fastpq stats FILE [--json]            fastpq convert SRC DST [--compression C] [--row-group-size N]
    fastpq append FILE SRC                fastpq verify FILE...
    fastpq repair FILE                    fastpq demo                 fastpq warmup [-v]

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
import contextlib
import json
import os
import sys

from ..errors import ParquetError


class _Usage(Exception):
    """A usage error found after parsing (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line: ``fastpq: error: head: ...`` (exit 2)."""

    def error(self, message):
        command = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        self.exit(2, f"fastpq: error: {command}{message} (see '{self.prog} --help')\n")


def _columns(text):
    return None if text is None else [c for c in text.split(",") if c]


def _open(path):
    from ..file.reader import ParquetFile

    if isinstance(path, str) and os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory: pass one Parquet file")
    return ParquetFile(path)


# ------------------------------------------------------------------ metadata
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


def _print_json(obj) -> None:
    from .text import jsonable

    print(json.dumps(obj, indent=2, ensure_ascii=False, default=jsonable))


# ------------------------------------------------------------------ rows
def _head(args) -> None:
    if args.n < 0:
        raise _Usage("head: -n must be >= 0")
    pf = _open(args.path)
    RowWriter(sys.stdout, args.format, bool(pf.index_columns)).write(pf.head(args.n, columns=_columns(args.columns)))


def _cat(args) -> None:
    pf = _open(args.path)
    _rows_out(pf, sys.stdout, args.format, _columns(args.columns))


def _rows_out(pf, out, fmt, columns) -> int:
    """Every row of ``pf`` to ``out``, one row group in memory at a time; returns the row count."""
    writer = RowWriter(out, fmt, bool(pf.index_columns))
    rows = 0
    for df in pf.iter_row_groups(columns=columns):
        writer.write(df)
        out.flush()
        rows += len(df)
    if writer.first:
        writer.write(pf.head(0, columns=columns))  # an empty file still has a header line
    return rows


class RowWriter:
    """DataFrames out as a table, CSV (one header) or JSON lines (see the module docstring)."""

    def __init__(self, out, fmt: str, stored_index: bool):
        self.out, self.fmt, self.stored_index, self.first = out, fmt, stored_index, True

    SLICE = 65536  # rows formatted at a time: output starts early, the text stays small

    def write(self, df) -> None:
        if len(df) <= self.SLICE or self.fmt == "table":
            return self._write(df)
        for start in range(0, len(df), self.SLICE):
            self._write(df.iloc[start:start + self.SLICE])

    def _write(self, df) -> None:
        import pandas as pd

        if self.fmt == "table":
            with pd.option_context("display.max_colwidth", 40):
                self.out.write(df.to_string() + "\n")
        else:
            if self.stored_index:
                df = df.reset_index()
            if self.fmt == "csv":
                _as_text_cells(df).to_csv(self.out, index=False, header=self.first, lineterminator="\n")
            elif len(df):
                keys = [json.dumps(_label(c), ensure_ascii=False) + ":" for c in df.columns]
                cols = [_json_texts(df.iloc[:, i]) for i in range(df.shape[1])]
                self.out.write("".join("{" + ",".join(k + v for k, v in zip(keys, vals)) + "}\n"
                                       for vals in zip(*cols)))
        self.first = False


def _label(c) -> str:
    return ".".join(map(str, c)) if isinstance(c, tuple) else str(c)


def _as_text_cells(df):
    """``df`` with object columns' bytes, nested values, decimals ... as text (CSV cells)."""
    objects = [i for i in range(df.shape[1]) if df.dtypes.iloc[i] == object]
    if not objects:
        return df
    df = df.copy(deep=False)
    for i in objects:
        df.isetitem(i, df.iloc[:, i].map(_cell, na_action="ignore"))
    return df


def _cell(v):
    """One CSV cell of an object column: numbers and strings as they are, nested values as JSON."""
    from .text import jsonable

    if getattr(v, "ndim", None) == 0:  # a numpy scalar
        v = v.item()
    if isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (list, dict, tuple)) or hasattr(v, "tolist"):
        return json.dumps(v, ensure_ascii=False, default=_nested)
    return jsonable(v)


def _nested(v):
    from .text import jsonable

    return v.tolist() if hasattr(v, "tolist") and getattr(v, "ndim", 0) else jsonable(v)


def _json_texts(s) -> list:
    """The JSON text of each value of ``s``."""
    import numpy as np
    import pandas as pd

    missing = s.isna().to_numpy()
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        s, dtype = s.astype(object), np.dtype(object)
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        texts = ["true" if v else "false" for v in s.to_numpy(dtype=bool, na_value=False)]
    elif kind in "iu":
        texts = s.astype(str).tolist()
    elif kind == "f":
        texts = [_json_float(t) for t in s.astype(str).tolist()]
    elif kind in "Mm":
        texts = [json.dumps(t) for t in s.astype(str).tolist()]
    else:
        texts = [json.dumps(v, ensure_ascii=False, default=_nested) for v in s.tolist()]
    return ["null" if m else t for m, t in zip(missing, texts)]


def _json_float(text: str) -> str:
    if text in ("inf", "-inf"):
        return '"Infinity"' if text == "inf" else '"-Infinity"'
    return "null" if text == "nan" else text


# ------------------------------------------------------------------ convert, append
_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".parq": "parquet", ".csv": "csv", ".tsv": "csv",
             ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip")


def _format_of(path: str, given, option: str) -> str:
    if given:
        return given
    if path == "-":
        return "csv"
    name = path.lower()
    for ext in _COMPRESSED:
        name = name.removesuffix(ext)
    fmt = _SUFFIXES.get(os.path.splitext(name)[1])
    if fmt is None:
        raise _Usage(f"cannot tell the format of {path!r} from its name: pass {option}")
    return fmt


def _sep(path: str, sep) -> str:
    return sep if sep else ("\t" if ".tsv" in path.lower() else ",")


def _convert(args) -> None:
    src, dst = args.src, args.dst
    sfmt, dfmt = _format_of(src, args.from_, "--from"), _format_of(dst, args.to, "--to")
    if src != "-" and dst != "-" and os.path.exists(dst) and os.path.samefile(src, dst):
        raise _Usage(f"convert: {src} and {dst} are the same file")
    if sfmt == "csv" and dfmt == "parquet":
        rows, groups = _csv_to_parquet(src, dst, args.compression, args.row_group_size, _sep(src, args.sep))
    elif sfmt == "parquet" and dfmt in ("csv", "jsonl"):
        with _text_output(dst) as out:
            rows = _rows_out(_open(src), out, dfmt, _columns(args.columns))
        groups = None
    else:
        raise _Usage(f"convert: cannot convert {sfmt} to {dfmt}")
    if dst != "-":
        what = f", {groups} row group{'s' if groups != 1 else ''}" if groups is not None else ""
        print(f"{dst}: {rows:,} rows{what}, {os.path.getsize(dst):,} bytes")


@contextlib.contextmanager
def _text_output(dst):
    """stdout for '-'; else a temporary file renamed to ``dst`` once complete."""
    if dst == "-":
        yield sys.stdout
        return
    tmp = os.path.join(os.path.dirname(os.path.abspath(dst)), f".{os.path.basename(dst)}.fastpq-tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def _seekable(src):
    """A path to read twice: ``src`` itself, or stdin spooled to a temporary file for '-'."""
    if src != "-":
        yield src
        return
    import shutil
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="fastpq-stdin-", suffix=".csv") as tmp:
        shutil.copyfileobj(sys.stdin.buffer, tmp)
        tmp.flush()
        yield tmp.name


def _csv_dtypes(sample) -> dict:
    """read_csv dtypes for every chunk, from the first chunk's inference: nullable ints and booleans
    (a later chunk may have gaps), text for text and for columns without a value in the sample."""
    out = {}
    for name, s in sample.items():
        values = s.dropna()
        kind = s.dtype.kind if len(values) else "S"
        if kind == "O" and all(isinstance(v, bool) for v in values):  # True/False with gaps
            kind = "b"
        out[name] = {"i": "Int64", "u": "UInt64", "b": "boolean", "f": "float64"}.get(kind, "str")
    return out


def _numpy_where_complete(df):
    """Nullable int / boolean columns without a gap as numpy int64 / bool (what pandas infers)."""
    for i, dtype in enumerate(df.dtypes):
        if str(dtype) in ("Int64", "UInt64", "boolean", "Int32", "Int16", "Int8", "UInt32", "UInt16", "UInt8") \
                and not df.iloc[:, i].isna().any():
            df.isetitem(i, df.iloc[:, i].astype(str(dtype).lower().replace("boolean", "bool")))
    return df


def _csv_to_parquet(src, dst, compression, rg_size, sep) -> tuple:
    """Stream a CSV into a ParquetWriter, ``rg_size`` rows (one row group) at a time. The first
    chunk decides the column types; the Parquet file then reads back as ``pandas.read_csv``
    reads the whole CSV (ints with gaps as float64, bools with gaps as object)."""
    import pandas as pd

    from ..file.writer import ROW_GROUP_SIZE, ParquetWriter

    rg_size = _positive(rg_size, ROW_GROUP_SIZE)
    with _seekable(src) as path:
        dtypes = _csv_dtypes(pd.read_csv(path, sep=sep, nrows=rg_size))
        schema = pd.DataFrame({c: pd.Series(dtype=d.lower().replace("boolean", "bool")) for c, d in dtypes.items()})
        rows = groups = 0
        with ParquetWriter(dst, schema, compression=_codec(compression), row_group_offsets=rg_size, write_index=False,
                           nullable=list(schema.columns)) as writer:
            for chunk in _csv_chunks(path, sep, rg_size, dtypes):
                writer.write(_numpy_where_complete(chunk))
                rows, groups = rows + len(chunk), groups + 1
    return rows, groups


def _csv_chunks(path, sep, rg_size, dtypes):
    import pandas as pd

    rows = 0
    reader = pd.read_csv(path, sep=sep, chunksize=rg_size, dtype=dtypes)
    while True:
        try:
            chunk = next(reader)
        except StopIteration:
            return
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}: after row {rows:,}: {exc} (the first {rg_size:,} rows decided the column "
                             "types; a larger --row-group-size looks at more rows)") from None
        rows += len(chunk)
        yield chunk


def _append(args) -> None:
    import fastpq

    path, src = args.path, args.src
    sfmt = _format_of(src, args.from_, "--from")
    pf = _open(path) if os.path.exists(path) else None
    if sfmt == "csv":
        with _seekable(src) as csv_path:
            df = _csv_for(pf, csv_path, _sep(src, args.sep))
    else:
        df = fastpq.read_parquet(src)
    if pf is not None:
        if pf.index_columns and set(pf.index_columns) <= set(df.columns):
            df = df.set_index(pf.index_columns)
        if list(df.columns) != pf.columns and sorted(map(str, df.columns)) == sorted(map(str, pf.columns)):
            df = df[pf.columns]
    compression = args.compression or _file_codec(pf)
    before = pf.num_row_groups if pf is not None else 0
    fastpq.write(path, df, compression=_codec(compression), row_group_offsets=args.row_group_size, append=True)
    groups = _open(path).num_row_groups - before
    print(f"{path}: appended {len(df):,} rows ({groups} row group{'s' if groups != 1 else ''})")


def _csv_for(pf, path, sep):
    """A CSV read with the types of the file it goes to: nullable where the CSV may have gaps."""
    import pandas as pd

    from .._thrift import Type

    dtypes, dates = {}, []
    want = pf.dtypes if pf is not None else {}
    for name, dtype in want.items():
        node = pf.schema.field(name)
        kind = node.logical.kind if node.is_leaf else "nested"
        if str(dtype) == "category":
            dtypes[name] = "category"
        elif node.is_leaf and node.physical_type in (Type.INT32, Type.INT64) and kind in (None, "int"):
            bits = node.logical.bit_width or (32 if node.physical_type == Type.INT32 else 64)
            dtypes[name] = f"{'Int' if node.logical.signed is not False else 'UInt'}{bits}"
        elif node.is_leaf and node.physical_type in (Type.FLOAT, Type.DOUBLE):
            dtypes[name] = str(dtype) if str(dtype).startswith("float") else "float64"
        elif node.is_leaf and node.physical_type == Type.BOOLEAN:
            dtypes[name] = "boolean"
        elif kind in ("string", "enum", "json"):
            dtypes[name] = "str"
        elif kind == "timestamp":
            dates.append(name)
    df = pd.read_csv(path, sep=sep, dtype={k: v for k, v in dtypes.items()}, parse_dates=dates or False)
    for name in dates:
        if name in df.columns and str(df[name].dtype) != str(want[name]):
            tz = getattr(want[name], "tz", None)
            s = pd.to_datetime(df[name], utc=tz is not None)
            df[name] = (s.dt.tz_convert(tz) if tz is not None else s).astype(want[name])
    return _numpy_where_complete(df)


def _file_codec(pf) -> str:
    from ..format.compression import CODEC_NAMES, LZ4

    if pf is None or not pf.num_row_groups or not pf.metadata.row_groups[-1].columns:
        return "snappy"
    md = pf.metadata.row_groups[-1].columns[0].meta_data
    return "lz4_hadoop" if md is not None and md.codec == LZ4 else CODEC_NAMES.get(md.codec, "snappy").lower()


def _codec(name):
    return "snappy" if name is None else (None if name.lower() in ("none", "uncompressed") else name)


def _positive(value, default) -> int:
    if value is None:
        return default
    if value <= 0:
        raise _Usage("--row-group-size must be a positive number of rows")
    return value


# ------------------------------------------------------------------ checking, demo
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


def _demo(args) -> None:
    """Write a DataFrame, append to it in place, read it back, show what is in the file."""
    import tempfile

    import numpy as np
    import pandas as pd

    import fastpq
    from .text import print_meta

    rng = np.random.default_rng(7)
    n = 1000
    df = pd.DataFrame({
        "id": np.arange(n),
        "city": pd.Categorical(rng.choice(["Lisbon", "Oslo", "Quito", "Accra"], n)),
        "temp_c": rng.normal(15, 8, n).round(1),
        "at": pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC"),
        "ok": rng.random(n) > 0.1,
        "note": [f"note {i}" if i % 7 == 0 else None for i in range(n)],
    })
    more = df.iloc[:500].assign(id=df.id[:500] + n, at=df["at"][:500] + pd.Timedelta(hours=n))
    folder = tempfile.mkdtemp(prefix="fastpq-demo-")
    path = os.path.join(folder, "weather.parquet")
    try:
        fastpq.write(path, df, compression="zstd")
        print(f"fastpq.write(path, df)               {len(df):,} rows -> {path} ({os.path.getsize(path):,} bytes)")
        fastpq.write(path, more, compression="zstd", append=True)
        print(f"fastpq.write(path, more, append=True) {len(more):,} rows appended in place, crash-safely")
        back = fastpq.read_parquet(path)
        pd.testing.assert_frame_equal(back, pd.concat([df, more], ignore_index=True))
        print(f"fastpq.read_parquet(path)            {len(back):,} rows, equal to the two frames concatenated\n")
        with pd.option_context("display.width", 120):
            print(back.head().to_string(), "\n")
        print(f"$ fastpq schema {path}\n{fastpq.ParquetFile(path).schema}\n")
        print(f"$ fastpq meta {path}")
        print_meta(fastpq.ParquetFile(path))
        print(f"\ndtypes: {', '.join(f'{k}: {v}' for k, v in back.dtypes.astype(str).items())}")
    finally:
        if args.keep:
            print(f"\nkept {path}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


def _warmup(args) -> None:
    """Fill numba's cache with every kernel fastpq commonly uses (fastpq.warmup)."""
    from ..warmup import warmup

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
            p.add_argument("path", metavar="FILE")
        p.set_defaults(func=func)
        return p

    command("schema", _schema, "print the schema as a tree")
    command("meta", _meta, "row groups and column chunks: sizes, codecs, encodings, statistics") \
        .add_argument("--json", action="store_true", help="machine-readable output")
    command("stats", _stats, "min, max, null_count, distinct_count per column per row group") \
        .add_argument("--json", action="store_true", help="machine-readable output")
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
