"""Choosing between the NumPy reference kernels and the optional OpenCV accelerator.

augkit's kernels are defined by their NumPy implementations. When OpenCV (``cv2``) is
importable — it comes with ``augkit[bench]`` / albumentations, or ``opencv-python-headless``
— resampling, lookup tables, flips and Gaussian smoothing are routed to it, which is
several times faster. Both paths give the same results (within one grey level for uint8;
tests check this).

The choice is ``"auto"`` (OpenCV when importable), ``"numpy"`` or ``"opencv"``; set it
with :func:`set_backend`, temporarily with :func:`use_backend`, or with the environment
variable ``AUGKIT_BACKEND``. OpenCV is imported on first use, never at ``import augkit``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType

__all__ = ["BACKENDS", "get_backend", "opencv", "set_backend", "use_backend"]

BACKENDS = ("auto", "numpy", "opencv")
_state: dict[str, object] = {"name": None, "cv2": None, "tried": False}


def _check(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}; got {name!r}")
    return name


def get_backend() -> str:
    """The configured backend name (``AUGKIT_BACKEND`` or ``"auto"`` unless set).

    Examples
    --------
    >>> get_backend() in BACKENDS
    True
    """
    name = _state["name"]
    if name is None:
        name = _check(os.environ.get("AUGKIT_BACKEND", "auto"))
    return name  # type: ignore[return-value]


def set_backend(name: str) -> None:
    """Select ``"auto"``, ``"numpy"`` or ``"opencv"`` for this process.

    Examples
    --------
    >>> set_backend("numpy"); get_backend()
    'numpy'
    >>> set_backend("auto")
    """
    _check(name)
    if name == "opencv" and _import_cv2() is None:
        raise ImportError("backend 'opencv' needs OpenCV: pip install opencv-python-headless")
    _state["name"] = name


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Context manager: run the block with backend ``name``.

    Examples
    --------
    >>> with use_backend("numpy"):
    ...     opencv() is None
    True
    """
    previous = _state["name"]
    set_backend(name)
    try:
        yield
    finally:
        _state["name"] = previous


def _import_cv2() -> ModuleType | None:
    if not _state["tried"]:
        _state["tried"] = True
        try:
            import cv2
        except ImportError:
            cv2 = None
        _state["cv2"] = cv2
    return _state["cv2"]  # type: ignore[return-value]


def opencv() -> ModuleType | None:
    """The ``cv2`` module when the OpenCV path should be used, else ``None``."""
    if get_backend() == "numpy":
        return None
    return _import_cv2()
