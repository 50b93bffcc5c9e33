"""Exactness checks for INT96 timestamps decoded at a unit coarser than nanoseconds.

INT96 values (Encodings.md, PLAIN; 8-byte nanoseconds of day + 4-byte Julian
day) that do not fit int64 nanoseconds are read at a coarser unit; this module
tells whether that loses sub-unit digits, so the reader can refuse to truncate
silently.
"""
from __future__ import annotations

from ._jit import kernel
from .plain import load_le, span_fits
from .status import TRUNCATED


@kernel
def int96_sub_unit_free(src, pos, count, nanos_per_unit):
    """1 if every one of ``count`` INT96 values at ``src[pos]`` is a whole number of
    ``nanos_per_unit``, 0 if one is not, TRUNCATED if ``src`` is short."""
    if not span_fits(pos, count, 12, len(src)):
        return TRUNCATED
    for i in range(count):
        nanos = load_le(src, pos + 12 * i, 8)
        if nanos % nanos_per_unit != 0:
            return 0
    return 1
