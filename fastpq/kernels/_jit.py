"""The one place that sets numba options for every fastpq kernel, and decides when a
kernel runs compiled and when it runs as the Python it is written in.

``kernel`` wraps a function as a :class:`Kernel`. Compiled, it is ``numba.njit`` with
``cache=True`` (compiled once per machine and reused from ``__pycache__``),
``nogil=True`` (decoding runs on threads), no fastmath (exact float semantics) and
numpy's error model.

Start-up: importing numba and loading its first cached kernel costs 0.4-0.6 s on our
2-core VM (its typing registries), and each further cached kernel 3-5 ms, which is
most of a fresh process's first read of a small file. So kernels start *interpreted*:
the same Python source run by CPython (numpy scalars, so the same wrap-around integer
semantics, with numpy's overflow warnings silenced as numba has none). While numba has
not been loaded in this process, a call whose largest array holds at most
``CALL_LIMIT`` elements (or whose declared ``work`` is at most that) runs interpreted, until interpreted calls have taken
``TIME_BUDGET`` seconds in all; the first call past either limit loads numba, and from
then on every kernel is compiled. The budget is time, not elements: array sizes say
little about a kernel's work (a page-header scan is handed the whole chunk). So the
most a process loses to interpreting is about what loading numba costs, and a large
read never interprets a page.

``FASTPQ_KERNELS=jit`` compiles from the first call (the test suite's default),
``FASTPQ_KERNELS=python`` never loads numba (slow: for tests of the interpreted path),
``auto`` (default) is the above. ``NUMBA_DISABLE_JIT=1`` makes numba itself run the
Python; ``NUMBA_BOUNDSCHECK=1`` turns on bounds checks for test runs.

After numba is loaded, a kernel that numba has *not* cached on disk yet (a new machine,
an empty ``NUMBA_CACHE_DIR``) keeps running small calls interpreted, until that kernel's own
interpreted calls have taken ``TIME_BUDGET``; only a large call (or the spent budget)
compiles it. Compiling a kernel costs 0.3-5 s, loading it from the cache 3-5 ms: a
page-header scan over a few pages, compiled cold, cost 4.7 s of a 19 s first read of a
1M-row file (it pulls in the whole Thrift skipping machinery). Cached kernels are loaded
and called compiled as soon as numba is loaded. Module globals keep the :class:`Kernel`
objects (callers in other layers and interpreted bodies go through them); numba compiles
each kernel over a copy of its module's globals in which every kernel is its dispatcher.
(The indirection costs ~0.2 µs a call on top of numba's ~0.25 µs dispatch: nothing
beside a page's decoding.)
``fastpq.warmup`` (:func:`compile_everything`) makes every call compiled.

A kernel may name a faster plain-Python stand-in (``python=``) for use while
interpreted, when its numba-shaped body (byte-at-a-time word loads) is slow in
CPython; the tests check each stand-in against the kernel's own body.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import threading
import time
import types

import numpy as np

_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")
MODES = ("auto", "jit", "python")
MODE = os.environ.get("FASTPQ_KERNELS", "auto")
if MODE not in MODES:
    raise ValueError(f"FASTPQ_KERNELS={MODE!r}: expected one of {', '.join(MODES)}")
CALL_LIMIT = 1 << 14   # elements in one call's largest array (~0.1-0.3 s interpreted, at worst)
TIME_BUDGET = 0.25     # seconds a process interprets before it loads numba

_kernels: list[Kernel] = []
_lock = threading.Lock()
class _Local(threading.local):
    interpreting = False   # a class default: no AttributeError (1-2 µs) on the hot path


_local = _Local()
_state = {"compiled": False, "spent": 0.0, "eager": MODE == "jit"}


class Kernel:
    """A kernel before numba is loaded: calls run its Python (see the module docstring)
    or load numba, compile every kernel and forward to the compiled one."""

    def __init__(self, fn, options, python, work):
        self.py_func = fn
        self.python = python or fn
        self.work = work
        self.options = options
        self.compiled = None     # numba's dispatcher, made by compile_all
        self.dispatcher = None   # set once calls go to the compiled kernel
        self.spent = 0.0         # seconds this kernel ran interpreted after numba was loaded
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args):
        # called from an interpreted kernel: interpreted too, even when compiled (a compiled
        # callee would box its results where the interpreted caller expects numpy scalars)
        if _local.interpreting:
            return self.python(*args)
        if self.dispatcher is not None:
            return self.dispatcher(*args)
        if _interpret(self, args):
            return _run_interpreted(self.python, args, self)
        compile_all()
        self.dispatcher = self.compiled   # compiled (or loaded) on this call
        return self.compiled(*args)

    def __repr__(self):
        return f"<fastpq kernel {self.__module__}.{self.__qualname__}>"


def _run_interpreted(fn, args, k: Kernel | None = None):
    """Run a top-level call interpreted, with numba's boundary: numpy integer scalars
    among the arguments become Python ints (the kernels are written for numba, where a
    scalar argument joins int64 arithmetic, ``out_pos + n_valid - 1``; a numpy uint8 or
    uint64 there would make CPython wrap where numba does not), and numpy scalars in the
    result become Python scalars, as numba boxes them."""
    args = [int(a) if isinstance(a, np.integer) else a for a in args]
    _local.interpreting = True
    start = time.perf_counter()
    try:
        with np.errstate(all="ignore"):   # numba wraps integers silently; so do we
            return _boxed(fn(*args))
    finally:
        _local.interpreting = False
        spent = time.perf_counter() - start
        _state["spent"] += spent
        if _state["compiled"] and k is not None:
            k.spent += spent


def _boxed(result):
    if isinstance(result, np.generic):
        return result.item()
    if type(result) is tuple:
        return tuple(_boxed(r) for r in result)
    return result


def _interpret(k: Kernel, args) -> bool:
    """Whether this top-level call runs interpreted."""
    if MODE != "auto":
        return MODE == "python"
    if _state["eager"]:
        return False
    if (k.spent if _state["compiled"] else _state["spent"]) > TIME_BUDGET:
        return False
    if k.work is not None:
        try:
            return k.work(*args) <= CALL_LIMIT
        except Exception:   # arguments the kernel itself would refuse: let numba refuse them
            return False
    for arg in args:
        if isinstance(arg, np.ndarray) and arg.size > CALL_LIMIT:
            return False
    return True


def compile_all() -> None:
    """Load numba and make a dispatcher for every kernel (compiling is still lazy: per
    signature, on first call). Kernels call each other through their modules' globals:
    numba compiles each kernel over a copy of its module's globals in which every kernel
    is its dispatcher. Kernels cached on disk are called compiled from now on; the others
    stay interpreted for small calls (see the module docstring)."""
    with _lock:
        if _state["compiled"]:
            return
        import numba

        package = sys.modules[__name__.rpartition(".")[0]]
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")
        jit_globals = {}
        for k in _kernels:
            if k.__module__ not in jit_globals:
                jit_globals[k.__module__] = dict(vars(sys.modules[k.__module__]))
            k.compiled = numba.njit(**k.options)(_rebound(k.py_func, jit_globals[k.__module__]))
        for g in jit_globals.values():
            for attr, value in list(g.items()):
                if isinstance(value, Kernel):
                    g[attr] = value.compiled
        for k in _kernels:
            if _state["eager"] or _cached(k.compiled):
                k.dispatcher = k.compiled
        _state["compiled"] = True


def compile_everything() -> None:
    """From now on every call of every kernel runs compiled (``fastpq.warmup``)."""
    _state["eager"] = True
    compile_all()
    for k in _kernels:
        k.dispatcher = k.compiled


def _rebound(fn, namespace):
    """``fn`` with ``namespace`` as its globals (same code, so the same numba cache entry)."""
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def _cached(dispatcher) -> bool:
    """Whether numba has an on-disk cache index for this kernel (any signature). Reads
    numba's private cache locator; if it is not there, assume cached (compile, as before)."""
    try:
        return os.path.exists(dispatcher._cache._cache_file._index_path)
    except AttributeError:
        return True


def kernel(fn=None, *, python=None, work=None, **overrides):
    """Decorate a kernel: ``@kernel`` or ``@kernel(inline='always', python=stand_in)``.

    ``work(*args)``: an upper bound on the elements the call touches, for kernels handed
    arrays much larger than what they work on (a page's levels inside the whole page, a
    validity mask for the whole column); without it, the largest array's size."""
    options = {**_OPTIONS, **overrides}

    def wrap(f):
        if _state["compiled"]:   # a kernel module imported after numba was loaded
            import numba
            namespace = {k: (v.compiled if isinstance(v, Kernel) else v) for k, v in f.__globals__.items()}
            return numba.njit(**options)(_rebound(f, namespace))
        k = Kernel(f, options, python, work)
        _kernels.append(k)
        return k

    return wrap if fn is None else wrap(fn)



def cache_report() -> dict:
    """What numba compiled and loaded in this process, per kernel dispatcher (numba's
    ``Dispatcher.stats``): kernels with a signature, signatures, cache misses (compiled
    here) and hits (loaded from the cache), and the cache directory."""
    report = {"kernels": 0, "signatures": 0, "compiled": 0, "loaded": 0, "cache_dir": None}
    for k in _kernels:
        if k.compiled is None or not k.compiled.signatures:
            continue
        stats = k.compiled.stats
        report["kernels"] += 1
        report["signatures"] += len(k.compiled.signatures)
        report["compiled"] += sum(stats.cache_misses.values())
        report["loaded"] += sum(stats.cache_hits.values())
        report["cache_dir"] = report["cache_dir"] or stats.cache_path
    return report
