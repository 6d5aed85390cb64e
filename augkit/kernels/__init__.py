"""Pure, batch-first kernels (no randomness, no I/O): geometry, fields, boxes, colour."""

from . import backend, boxes, color, fields, filters, geometry, noise, permute, streams

__all__ = ["backend", "boxes", "color", "fields", "filters", "geometry", "noise", "permute", "streams"]
