"""Pure, batch-first kernels (no randomness, no I/O): geometry, fields, boxes, colour."""
