"""Per-column write options: the one lookup of an option given for all columns or per column.

Used by the plan (``object_encoding``, ``nullable``) and by ``fastpq.file.writer``
(``compression``, ``column_encoding``). No pandas here: the writer imports it
before any DataFrame is seen.
"""
from __future__ import annotations


def column_option(options, label, name, default=None, default_key=None):
    """The option of one column: ``options`` itself unless it is a dict, else its entry for
    the column's ``label`` or, failing that, its Parquet field ``name``; for a column it
    does not name, ``options[default_key]`` when given and present, else ``default``.
    Unhashable labels are skipped."""
    if not isinstance(options, dict):
        return options
    for key in (label, name):
        try:
            if key in options:
                return options[key]
        except TypeError:
            continue
    if default_key is not None:
        return options.get(default_key, default)
    return default
