"""Status codes that kernels return instead of raising.

A kernel returns a new position (>= 0) on success, or one of these negative
codes. The column layer turns a code into a ``CorruptFileError`` with file, row
group, column and offset in one cold function (``describe`` gives the words).
"""
from __future__ import annotations

OK = 0
TRUNCATED = -1          # input ends before the data it announces
BAD_BIT_WIDTH = -2      # bit width outside 0..64 (or outside what the type allows)
BAD_LEVEL = -3          # a level value above max_def / max_rep
BAD_INDEX = -4          # a dictionary index outside the dictionary
BAD_LENGTH = -5         # a negative or oversized byte-array length
BAD_HEADER = -6         # malformed varint / block header (delta encodings)
OUTPUT_OVERFLOW = -7    # more values than the output has room for
BAD_VALUE = -8          # a value the format does not allow (e.g. bad prefix length)

_MESSAGES = {
    TRUNCATED: "data ends before the values it announces",
    BAD_BIT_WIDTH: "invalid bit width",
    BAD_LEVEL: "level value above the column's maximum",
    BAD_INDEX: "dictionary index out of range",
    BAD_LENGTH: "invalid byte-array length",
    BAD_HEADER: "malformed encoding header",
    OUTPUT_OVERFLOW: "more values than the page announces",
    BAD_VALUE: "invalid encoded value",
}


def describe(status: int) -> str:
    """Words for a negative status code."""
    return _MESSAGES.get(int(status), f"decoder failed with status {int(status)}")
