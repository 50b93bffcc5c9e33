"""Datasets: directories of Parquet files.

Where a dataset lives (``store``: ``Store``, local or fsspec). Writing
(``write``: hive partitions, appends, partition overwrites; the write protocol
also used by ``fastpq.dask``), its journal and crash recovery (``journal``),
the metadata files ``_metadata`` / ``_common_metadata`` (``metadata``) and
building them for files written by anyone (``merge``).

Reading (``fastpq.dataset.read.ParquetDataset``): finding the files
(``discover``), partition values (``partitions``), one schema for many files
(``unify``), footers and ``_metadata`` (``footers``), and pruning by partition
values and statistics. The filter language, row masks and the combining of
the files' columns into one frame are the pandas layer's
(``fastpq.frame.read.filters``, ``rows``, ``combine``); page-index pruning is
the file layer's (``fastpq.file.page_filter``, ``page_read``).
"""
