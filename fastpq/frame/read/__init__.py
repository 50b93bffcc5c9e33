"""Decoded buffers -> pandas arrays and frames."""
