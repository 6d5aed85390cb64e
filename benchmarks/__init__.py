"""Benchmarks: augkit side by side with the established libraries (see README.md here)."""
