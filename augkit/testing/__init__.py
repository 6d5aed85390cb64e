"""Helpers for testing transforms (conformance checks)."""
