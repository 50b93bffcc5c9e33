"""Datasets: directories of Parquet files.

Writing (``fastpq.dataset.write``: hive partitions, appends, partition
overwrites, crash recovery) and the metadata files ``_metadata`` /
``_common_metadata`` (``fastpq.dataset.metadata``: ``Store``, ``merge``).
"""
