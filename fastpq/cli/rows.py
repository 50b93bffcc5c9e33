"""Rows as text: a table, CSV or JSON lines (see ``fastpq.cli.main``'s docstring for the rules)."""
from __future__ import annotations

import json


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
            elif self.first and df.columns.has_duplicates:
                dups = sorted({_label(c) for c in df.columns[df.columns.duplicated()]})
                raise ValueError(f"JSON lines need unique column names and {dups} appear more than once (pandas' "
                                 "to_json refuses them too): use --format csv")
            if self.fmt == "jsonl" and len(df):
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

