"""What the CLI's commands share: usage errors, column lists, opening a file or dataset, JSON out."""
from __future__ import annotations

import json
import os


class _Usage(Exception):
    """A usage error found after parsing (exit status 2)."""


def _columns(text):
    return None if text is None else [c for c in text.split(",") if c]


def _open(path):
    from ..file.reader import ParquetFile

    if isinstance(path, str) and os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory: pass one Parquet file")
    return ParquetFile(path)



def _print_json(obj) -> None:
    from .text import jsonable

    print(json.dumps(obj, indent=2, ensure_ascii=False, default=jsonable))

