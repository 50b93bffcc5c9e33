"""Single values as pandas users expect them (statistics, filter operands)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def python_stat_value(value, leaf):
    """A decoded statistics value as a pandas scalar where pandas has one.

    Timestamps become ``pd.Timestamp`` (UTC-aware when the column is adjusted
    to UTC), times ``pd.Timedelta``-free ``datetime.time`` is not forced: a
    ``numpy.timedelta64`` time of day becomes ``pd.Timedelta``.
    """
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        try:
            ts = pd.Timestamp(value)
        except (OverflowError, ValueError):
            return value
        return ts.tz_localize("UTC") if getattr(leaf.logical, "utc", False) else ts
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    return value
