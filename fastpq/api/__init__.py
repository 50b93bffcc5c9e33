"""The public entry points, dispatching file vs dataset: ``read`` (``read_parquet``, which imports pandas) and
``write`` (``write``, ``repair``, ``merge``, which do not: ``fastpq.write`` keeps ``import fastpq`` light). This
package imports neither; ``fastpq/__init__.py`` exposes their functions on first use."""
