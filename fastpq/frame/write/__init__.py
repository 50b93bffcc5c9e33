"""pandas frames -> write plans and column buffers: plan, type inference, exact conversion, shredding."""
