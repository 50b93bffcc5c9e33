"""Decoding and encoding single thrift structs with the compact protocol.

The only module that touches thrift transports and protocols. Decoding uses
thrift's C-accelerated compact protocol over an in-memory buffer, with string
and container length limits set from the size of that buffer, so a hostile
length cannot allocate more than the bytes could hold. Any failure of the
decoder (it is a black box fed untrusted bytes) becomes a ``CorruptFileError``.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager

from thrift.protocol.TCompactProtocol import TCompactProtocolAccelerated
from thrift.Thrift import TType
from thrift.transport.TTransport import TMemoryBuffer

from ..errors import CorruptFileError


class _Truncated(CorruptFileError):
    """The buffer ended inside the struct (a larger window may succeed)."""


def decode(cls, data, what: str = None, deep: bool = True, limit: int | None = None):
    """Decode one ``cls`` struct from the start of ``data``: (object, bytes consumed).

    Required fields are checked on the struct itself, and on nested structs
    too when ``deep`` (costly for row groups: their column chunks are checked
    where they are used instead). ``limit`` bounds string and container
    lengths (default: the size of ``data``).
    """
    if not isinstance(data, bytes):
        data = bytes(data)
    size = len(data) if limit is None else limit
    transport = TMemoryBuffer(data)
    protocol = TCompactProtocolAccelerated(
        transport, string_length_limit=size, container_length_limit=size
    )
    obj = cls()
    try:
        obj.read(protocol)
    except EOFError:
        raise _Truncated(f"{what or cls.__name__} is truncated") from None
    except OverflowError as exc:
        if limit is not None and "exceeded specified limit" in str(exc) and len(data) < limit:
            raise _Truncated(f"{what or cls.__name__} is longer than the window read") from None
        raise CorruptFileError(f"cannot decode {what or cls.__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - untrusted bytes through a C decoder
        raise CorruptFileError(f"cannot decode {what or cls.__name__}: {type(exc).__name__}: {exc}") from None
    check_required(obj, what or cls.__name__, deep)
    return obj, transport._buffer.tell()


def decode_window(cls, buf, pos: int, end: int, what: str = None, first_window: int = 512):
    """Decode a struct at ``buf[pos:end]`` reading a small window first, growing it if needed."""
    window = first_window
    while True:
        stop = min(end, pos + window)
        try:
            return decode(cls, buf[pos:stop], what, limit=end - pos)
        except _Truncated:
            if stop >= end:
                raise
            window *= 16


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while decoding many small objects.

    Decoding 10,000 row groups allocates millions of objects, none cyclic; the
    collector's passes over them doubled the time (measured: 0.44 s -> 0.24 s
    for 2,000 row groups of 20 columns).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def encode(obj) -> bytes:
    """Encode one struct with the compact protocol."""
    transport = TMemoryBuffer()
    obj.write(TCompactProtocolAccelerated(transport))
    return transport.getvalue()


def check_required(obj, what: str, deep: bool = True) -> None:
    """Raise CorruptFileError if a required field (of nested structs too if ``deep``) is missing.

    thrift's decoder does not enforce requiredness; fastpq code may then assume
    required fields are present.
    """
    for name, required, nested in _plan(type(obj)):
        value = getattr(obj, name)
        if value is None:
            if required:
                raise CorruptFileError(f"{what}: required field {type(obj).__name__}.{name} is missing")
            continue
        if not deep or nested is None:
            continue
        if nested == TType.STRUCT:
            check_required(value, what)
        else:
            for item in value:
                check_required(item, what)


_PLANS: dict = {}


def _plan(cls) -> tuple:
    """(name, required, nested) per field of a generated struct class: nested is TType.STRUCT
    for a struct, TType.LIST for a list of structs, else None. Built once per class: a
    footer of 300,000 columns checks 90,000 structs per 30,000 columns."""
    plan = _PLANS.get(cls)
    if plan is None:
        required = _required_fields(cls)
        plan = []
        for spec in cls.thrift_spec:
            if spec is None:
                continue
            _, ttype, name, type_args = spec[:4]
            nested = TType.STRUCT if ttype == TType.STRUCT else \
                TType.LIST if ttype == TType.LIST and type_args[0] == TType.STRUCT else None
            plan.append((name, name in required, nested))
        plan = _PLANS[cls] = tuple(plan)
    return plan


_REQUIRED: dict = {}


def _required_fields(cls) -> frozenset:
    """Names of required fields of a generated struct class (read from its validate())."""
    found = _REQUIRED.get(cls)
    if found is None:
        found = frozenset(_required_from_validate(cls))
        _REQUIRED[cls] = found
    return found


def _required_from_validate(cls):
    # The generated validate() raises for each missing required field; probe it
    # field by field on an otherwise filled instance.
    names = [spec[2] for spec in cls.thrift_spec if spec is not None]
    required = []
    for name in names:
        probe = cls()
        for other in names:
            setattr(probe, other, 0)
        setattr(probe, name, None)
        try:
            probe.validate()
        except Exception:  # noqa: BLE001 - TProtocolException
            required.append(name)
    return required
