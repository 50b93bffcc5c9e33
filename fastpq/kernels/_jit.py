"""The one place that sets numba options for every fastpq kernel.

``kernel`` is ``numba.njit`` with ``cache=True`` (compiled once per machine and
reused from ``__pycache__``), ``nogil=True`` (decoding runs on threads) and no
fastmath (exact float semantics). Compilation is lazy: decorating compiles
nothing, the first call with a new signature does.

``NUMBA_DISABLE_JIT=1`` runs the kernels as plain Python (coverage, clear index
errors); ``NUMBA_BOUNDSCHECK=1`` turns on bounds checks for the test runs.
"""
from __future__ import annotations

import numba

_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


def kernel(fn=None, **overrides):
    """Decorate a kernel: ``@kernel`` or ``@kernel(inline='always')``."""
    options = {**_OPTIONS, **overrides}
    if fn is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(fn)
