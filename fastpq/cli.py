"""The ``fastpq`` command line: ``fastpq schema FILE``, ``fastpq meta FILE``, ...

Output suits people and pipes: plain text, one item per line. Errors are one
line on stderr and a non-zero exit status (2 for usage, 1 for Parquet errors).
"""
from __future__ import annotations

import argparse
import sys

from .errors import ParquetError


def _schema(args) -> None:
    from .file import ParquetFile

    print(ParquetFile(args.path).schema)


def _meta(args) -> None:
    from .file import ParquetFile
    from .format.schema import TYPE_NAMES
    from ._thrift import CompressionCodec, Encoding

    pf = ParquetFile(args.path)
    print(f"file:        {pf.path}")
    print(f"created_by:  {pf.created_by}")
    print(f"rows:        {pf.num_rows}")
    print(f"row groups:  {pf.num_row_groups}")
    print(f"columns:     {len(pf.schema.columns)}")
    print(f"footer:      {pf.footer_size} bytes of {pf.file_size}")
    for rg_info, rg in zip(pf.row_groups, pf.metadata.row_groups):
        print(f"row group {rg_info.index}: {rg_info.num_rows} rows, {rg_info.total_byte_size} bytes uncompressed")
        for leaf, chunk in zip(pf.schema.columns, rg.columns):
            md = chunk.meta_data
            if md is None:
                print(f"  {'.'.join(leaf.path)}: (no metadata)")
                continue
            codec = CompressionCodec._VALUES_TO_NAMES.get(md.codec, md.codec)
            encodings = ",".join(Encoding._VALUES_TO_NAMES.get(e, str(e)) for e in md.encodings or [])
            print(f"  {'.'.join(leaf.path)}: {TYPE_NAMES.get(md.type, md.type)} {codec} [{encodings}] "
                  f"{md.total_compressed_size} bytes, {md.num_values} values")


def _demo(args) -> None:
    """The README's first command: a real end-to-end run on a shipped file."""
    import pandas as pd

    from .file import ParquetFile

    pf = ParquetFile(args.path)
    print(f"$ fastpq.ParquetFile({args.path!r})\n{pf}\n")
    print(f"schema:\n{pf.schema}\n")
    df = pf.to_pandas()
    with pd.option_context("display.width", 120, "display.max_columns", 8):
        print(f"read {len(df):,} rows x {df.shape[1]} columns; head:\n{df.head()}\n")
    print("dtypes:", dict(df.dtypes.astype(str)))


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastpq", description="Inspect and convert Parquet files.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("schema", help="print the schema as a tree")
    p.add_argument("path")
    p.set_defaults(func=_schema)
    p = sub.add_parser("demo", help="read a shipped file end to end and show what fastpq sees")
    p.add_argument("path", nargs="?", default="test-data/pyarrow_core_v1_snappy.parquet")
    p.set_defaults(func=_demo)
    p = sub.add_parser("meta", help="row groups, sizes, codecs, encodings")
    p.add_argument("path")
    p.set_defaults(func=_meta)
    return parser


def main(argv=None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:  # `fastpq meta f | head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ParquetError, OSError, ValueError) as exc:
        print(f"fastpq: error: {exc}", file=sys.stderr)
        return 1
    return 0
