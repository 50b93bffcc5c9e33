"""The column layer: one column chunk <-> preallocated buffers (reading and writing)."""
