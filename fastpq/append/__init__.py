"""Appending row groups to an existing file; depends on fastpq.file, never the reverse."""
