"""The fastpq command line."""
