"""Spacing byte arrays and dictionary indices out to row positions (nulls in between).

Companions of :func:`fastpq.kernels.levels.expand_spaced` for outputs that are
not plain fixed-width arrays: byte-array offsets (a null slot gets an empty
value, so its end offset repeats the previous one) and dictionary codes for
categoricals (a null slot gets -1).
"""
from __future__ import annotations

from ._jit import kernel
from .status import BAD_VALUE, OUTPUT_OVERFLOW


@kernel(work=lambda offsets, pos, count, *rest: count)
def expand_offsets_spaced(offsets, pos, count, n_valid, valid, valid_pos):
    """Spread the dense offsets ``offsets[pos : pos+n_valid+1]`` to
    ``offsets[pos : pos+count+1]``, one value per slot, empty where ``valid`` is 0.

    In place, walking backwards: slot i ends where the c-th dense value ends, c
    being the number of valid slots up to i, and c never exceeds i + 1, so each
    read comes from a position not yet overwritten. Returns ``pos + count`` or a
    status (BAD_VALUE if ``valid`` does not hold exactly n_valid ones).
    """
    if count < 0 or pos < 0 or pos + count + 1 > offsets.shape[0] or valid_pos + count > valid.shape[0]:
        return OUTPUT_OVERFLOW
    total = 0
    for i in range(count):
        total += valid[valid_pos + i] != 0
    if total != n_valid:
        return BAD_VALUE
    c = n_valid
    for i in range(count - 1, -1, -1):
        offsets[pos + i + 1] = offsets[pos + c]
        c -= valid[valid_pos + i] != 0
    return pos + count


@kernel(work=lambda codes, pos, count, *rest: count)
def expand_codes_spaced(codes, pos, count, n_valid, valid, valid_pos):
    """Spread dense dictionary codes ``codes[pos : pos+n_valid]`` to their slots, -1 at nulls."""
    if count < 0 or pos < 0 or pos + count > codes.shape[0] or valid_pos + count > valid.shape[0]:
        return OUTPUT_OVERFLOW
    j = pos + n_valid - 1
    for i in range(pos + count - 1, pos - 1, -1):
        if valid[valid_pos + i - pos]:
            if j < pos:
                return BAD_VALUE
            codes[i] = codes[j]
            j -= 1
        else:
            codes[i] = -1
    return pos + count if j == pos - 1 else BAD_VALUE
