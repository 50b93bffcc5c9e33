"""``fastpq convert`` and ``fastpq append``: CSV -> Parquet (types inferred as ``pandas.read_csv`` does),
Parquet -> CSV / JSON lines, and rows of a CSV or Parquet file appended to a Parquet file."""
from __future__ import annotations

import contextlib
import os
import sys

from .common import _columns, _open, _Usage
from .rows import _rows_out


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
        rows, groups = _csv_to_parquet(src, dst, args.compression, args.row_group_size, _sep(src, args.sep),
                                       parse_dtype_option(args.dtype))
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


_DATE_LIKE = r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?(Z|[+-][0-9:]+)?\s*$"
_NULLABLE = {"int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64", "uint8": "UInt8",
             "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64", "bool": "boolean"}


def parse_dtype_option(text) -> dict:
    """``--dtype col=type,col=type``: {column: pandas dtype}; a bad one is a usage error."""
    import pandas as pd

    import re

    out = {}
    items = re.split(r",(?![^\[]*\])", text or "")   # not the comma inside datetime64[ns, UTC]
    for item in [t for t in items if t.strip()]:
        name, sep, dtype = item.partition("=")
        if not sep or not name.strip() or not dtype.strip():
            raise _Usage(f"--dtype takes column=type[,column=type...], not {item!r}")
        try:
            out[name.strip()] = pd.api.types.pandas_dtype(dtype.strip())
        except TypeError as exc:
            raise _Usage(f"--dtype {name.strip()}={dtype.strip()}: {exc}") from None
    return out


def _csv_dtypes(sample, given: dict) -> tuple:
    """(read_csv dtypes for every chunk, {column: datetime dtype}) from the first chunk's inference,
    ``given`` (``--dtype``) first: nullable ints and booleans (a later chunk may have gaps), text for
    text and for columns without a value in the sample; text columns whose every value looks like an
    ISO 8601 date or timestamp are timestamps, as ``read_csv(parse_dates=...)`` reads them."""
    import pandas as pd

    read, dates = {}, {}
    for name, s in sample.items():
        if name in given:
            want = given[name]
            if want.kind == "M":
                read[name], dates[name] = "str", want
            else:
                read[name] = _NULLABLE.get(str(want), want)
            continue
        values = s.dropna()
        kind = s.dtype.kind if len(values) else "S"
        if kind == "O" and all(isinstance(v, bool) for v in values):  # True/False with gaps
            kind = "b"
        read[name] = {"i": "Int64", "u": "UInt64", "b": "boolean", "f": "float64"}.get(kind, "str")
        if read[name] == "str" and len(values) and values.astype(str).str.match(_DATE_LIKE).all():
            try:
                dates[name] = pd.to_datetime(values.astype(str), format="ISO8601").dtype
            except (ValueError, TypeError, OverflowError):
                pass
    missing = sorted(set(given) - set(sample.columns))
    if missing:
        raise _Usage(f"--dtype names columns the CSV does not have: {missing}")
    return read, dates


def _numpy_where_complete(df):
    """Nullable int / boolean columns without a gap as numpy int64 / bool (what pandas infers)."""
    for i, dtype in enumerate(df.dtypes):
        if str(dtype) in ("Int64", "UInt64", "boolean", "Int32", "Int16", "Int8", "UInt32", "UInt16", "UInt8") \
                and not df.iloc[:, i].isna().any():
            df.isetitem(i, df.iloc[:, i].astype(str(dtype).lower().replace("boolean", "bool")))
    return df


def _schema_dtype(read_dtype, given):
    if given is not None:
        return given
    return str(read_dtype).lower().replace("boolean", "bool") if isinstance(read_dtype, str) else read_dtype


def _csv_to_parquet(src, dst, compression, rg_size, sep, given=None) -> tuple:
    """Stream a CSV into a ParquetWriter, ``rg_size`` rows (one row group) at a time. The first
    chunk decides the column types (``given``: ``--dtype``'s first); the Parquet file then reads
    back as ``pandas.read_csv(parse_dates=<the timestamp-looking columns>)`` reads the whole CSV
    (ints with gaps as float64, bools with gaps as object)."""
    import pandas as pd

    from ..file.writer import ROW_GROUP_SIZE, ParquetWriter

    rg_size, given = _positive(rg_size, ROW_GROUP_SIZE), given or {}
    with _seekable(src) as path:
        dtypes, dates = _csv_dtypes(pd.read_csv(path, sep=sep, nrows=rg_size), given)
        schema = pd.DataFrame({c: pd.Series(dtype=dates.get(c) or _schema_dtype(d, given.get(c)))
                               for c, d in dtypes.items()})
        rows = groups = 0
        with ParquetWriter(dst, schema, compression=_codec(compression), row_group_offsets=rg_size, write_index=False,
                           nullable=list(schema.columns)) as writer:
            for chunk in _csv_chunks(path, sep, rg_size, dtypes):
                writer.write(_typed(_numpy_where_complete(chunk), dates, given))
                rows, groups = rows + len(chunk), groups + 1
    return rows, groups


def _typed(chunk, dates: dict, given: dict):
    """A chunk's timestamp columns parsed, and ``--dtype``'s types applied where a gap allows them."""
    import pandas as pd

    for name, dtype in dates.items():
        s = pd.to_datetime(chunk[name], format="ISO8601", utc=getattr(dtype, "tz", None) is not None)
        chunk[name] = s.dt.tz_convert(dtype.tz).astype(dtype) if getattr(dtype, "tz", None) else s.astype(dtype)
    for name, dtype in given.items():
        if name not in dates and chunk[name].dtype != dtype and not chunk[name].isna().any():
            chunk[name] = chunk[name].astype(dtype)
    return chunk


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

