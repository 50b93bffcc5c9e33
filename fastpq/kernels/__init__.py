"""numba kernels: numpy arrays in, numpy arrays out; no Python objects, no pandas.

``import fastpq`` compiles nothing and does not import numba. A fresh process runs
small calls interpreted until a large call or a time budget makes it load numba;
from then on every kernel is compiled (lazily, per signature) and cached on disk.
Options and that policy live in :mod:`fastpq.kernels._jit`; status codes in
:mod:`fastpq.kernels.status`.
"""
