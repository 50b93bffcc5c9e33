"""Datasets: directories of Parquet files.

Writing (``fastpq.dataset.write``: hive partitions, appends, partition
overwrites, crash recovery) and the metadata files ``_metadata`` /
``_common_metadata`` (``fastpq.dataset.metadata``: ``Store``, ``merge``).

Reading (``fastpq.dataset.read.ParquetDataset``): finding the files
(``discover``), partition values (``partitions``), one schema for many files
(``unify``), footers and ``_metadata`` (``footers``), filters and their pruning
(``filters``, ``pages``, ``pageread``, ``rows``), and combining the files'
columns into one frame (``combine``).
"""
