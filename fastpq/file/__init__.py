"""One Parquet file: ParquetFile and selection reads, the append journal's record, row-group writing, the atomic target, ParquetWriter, verify."""
