"""pandas frames -> write plans and column buffers: plan (and from_file), check (the one
check_frame), options (per-column options), infer (object type inference), types (FieldType),
convert / objects / arrow / exact (values, exactly), shred (nested levels), arrow_schema."""
