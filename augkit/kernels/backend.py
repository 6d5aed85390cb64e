"""Choosing between the NumPy reference kernels and the optional OpenCV accelerator.

augkit's kernels are defined by their NumPy implementations. When OpenCV (``cv2``) is
importable (``augkit[fast]`` installs ``opencv-python-headless`` and ``stringzilla``;
albumentations brings both), resampling, flips and Gaussian smoothing are routed to it,
and uint8 lookup tables to ``stringzilla.translate`` (about 3x faster than ``cv2.LUT`` in
OpenCV 5.0) or else ``cv2.LUT``. Both paths give the same results (within one grey level
for uint8; tests check this). The routing decisions and the measurements behind them are
in ``benchmarks/README.md``.

The choice is ``"auto"`` (OpenCV when importable), ``"numpy"`` or ``"opencv"``; set it
with :func:`set_backend`, temporarily with :func:`use_backend`, or with the environment
variable ``AUGKIT_BACKEND``. OpenCV is imported on first use, never at ``import augkit``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType

__all__ = ["BACKENDS", "get_backend", "opencv", "set_backend", "stringzilla", "use_backend"]

BACKENDS = ("auto", "numpy", "opencv")
_state: dict[str, object] = {"name": None, "cv2": None, "tried": False, "sz": None, "sz_tried": False}


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
        if _state.get("env") is None:  # the environment is read once, on first use
            _state["env"] = _check(os.environ.get("AUGKIT_BACKEND", "auto"))
        name = _state["env"]
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


def stringzilla() -> ModuleType | None:
    """The ``stringzilla`` module (fast byte translation) when accelerators are in use, else ``None``."""
    if get_backend() == "numpy":
        return None
    if not _state["sz_tried"]:
        _state["sz_tried"] = True
        try:
            import stringzilla as sz
        except ImportError:
            sz = None
        _state["sz"] = sz if sz is not None and hasattr(sz, "translate") else None
    return _state["sz"]  # type: ignore[return-value]
