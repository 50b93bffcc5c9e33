"""Tests of the writer: fastpq writes, pyarrow / duckdb / polars read."""
