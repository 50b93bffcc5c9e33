"""One column chunk -> decoded buffers: chunk location and page loop, flat and nested decoding."""
