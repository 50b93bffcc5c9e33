"""Decoded buffers -> one column chunk: values, pages, statistics."""
