"""``fastpq.read_parquet``: the pandas-shaped entry point for reading one Parquet file.

Same call shape and defaults as ``pandas.read_parquet`` (path, ``columns``,
``filters``, ``dtype_backend``, ``storage_options``, ``filesystem`` and
``engine`` accepted for drop-in use), plus fastpq's own options: ``index``,
``categories``, ``use_threads``, ``verify_checksums``, ``row_groups`` and
``coerce_int96_timestamp_unit``. Directories (datasets) and ``filters`` are
later work and raise ``UnsupportedFeatureError`` (a ``NotImplementedError``).
"""
from __future__ import annotations

import os

from .errors import UnsupportedFeatureError
from .file import ParquetFile
from .frame.dtypes import NO_DEFAULT
from .io import Source

_BACKENDS = ("numpy_nullable", "pyarrow")
_ACCEPTED = {"engine", "filesystem", "row_groups", "coerce_int96_timestamp_unit", "to_pandas_kwargs"}


def read_parquet(path, columns=None, filters=None, index=None, categories=None, dtype_backend=NO_DEFAULT,
                 storage_options=None, use_threads=True, verify_checksums=False, **kwargs):
    """Read one Parquet file into a DataFrame, with the dtypes ``pandas.read_parquet`` gives.

    path: a local path, an fsspec URL (``storage_options`` go to fsspec), a
        binary file object or bytes.
    columns: column names to read (default: all); index columns recorded in
        pandas metadata are read as the index either way.
    filters: not supported yet (must be None).
    index: column name(s) to use as the index instead of pandas metadata's;
        False for none.
    categories: column names to read as categoricals (default: those pandas
        metadata or the stored Arrow schema say are).
    dtype_backend: 'numpy_nullable' (Int64, boolean, Float64, string ...) or
        'pyarrow' (``pd.ArrowDtype`` for every column); default: numpy dtypes.
    use_threads: decode column chunks on a thread pool (an int sets its size).
    verify_checksums: check page CRCs where the writer stored them; a mismatch
        raises ``fastpq.ChecksumError``.
    **kwargs: ``engine`` (ignored: fastpq is the engine), ``filesystem`` (an
        fsspec filesystem for ``path``), ``row_groups`` (row group numbers to
        read), ``coerce_int96_timestamp_unit`` ('ns', 'us', 'ms' or 's').
    """
    unknown = set(kwargs) - _ACCEPTED
    if unknown:
        raise TypeError(f"read_parquet() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if kwargs.get("to_pandas_kwargs"):
        raise TypeError("read_parquet(): to_pandas_kwargs is a pyarrow option fastpq does not take")
    if filters is not None:
        raise UnsupportedFeatureError("read_parquet(filters=...): filters are not supported yet")
    if dtype_backend is NO_DEFAULT or dtype_backend is None:  # None: fastpq's own spelling of the default
        dtype_backend = None
    elif dtype_backend not in _BACKENDS:
        raise ValueError(f"dtype_backend {dtype_backend} is invalid, only 'numpy_nullable' and 'pyarrow' "
                         "are allowed.")
    source = Source(path, storage_options, kwargs.get("filesystem"))
    if _is_directory(source):
        raise UnsupportedFeatureError(f"{source.name} is a directory: reading a directory (a dataset) "
                                      "is not supported yet; pass the path of one Parquet file")
    pf = ParquetFile(source)
    return pf.to_pandas(columns=columns, row_groups=kwargs.get("row_groups"), index=index, categories=categories,
                        dtype_backend=dtype_backend, use_threads=use_threads, verify_checksums=verify_checksums,
                        coerce_int96_timestamp_unit=kwargs.get("coerce_int96_timestamp_unit"))


def _is_directory(source: Source) -> bool:
    if source.is_local:
        return os.path.isdir(source.fs_path)
    if source.fs is not None:
        try:
            return bool(source.fs.isdir(source.fs_path))
        except (OSError, NotImplementedError):
            return False
    return False
