"""Shared fixtures."""

from __future__ import annotations

import pytest

from augkit.kernels.backend import opencv, use_backend


def _backends() -> list[str]:
    with use_backend("auto"):
        return ["numpy", "opencv"] if opencv() is not None else ["numpy"]


@pytest.fixture(params=_backends())
def each_backend(request):
    """Run a test once with the NumPy reference kernels and once with the OpenCV accelerator."""
    with use_backend(request.param):
        yield request.param
