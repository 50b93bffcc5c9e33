"""The Parquet format layer: footer, schema, pages, compression, statistics (no pandas)."""
