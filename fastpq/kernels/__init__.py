"""numba kernels: numpy arrays in, numpy arrays out; no Python objects, no pandas.

Every kernel is compiled lazily on first call (``import fastpq`` compiles nothing)
and cached on disk. Options live in :mod:`fastpq.kernels._jit`; status codes in
:mod:`fastpq.kernels.status`.
"""
