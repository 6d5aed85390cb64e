"""Argument checking shared by every transform.

Each helper raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind,
wrong value) with a message that names the argument and says what was expected.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

__all__ = [
    "check_choice",
    "check_fill",
    "check_int",
    "check_int_range",
    "check_number",
    "check_probability",
    "check_range",
    "check_weights",
]


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Return ``value`` as a finite float, or raise naming ``name``.

    Examples
    --------
    >>> check_number("alpha", 3)
    3.0
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (out < low or (low_open and out == low)):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and out > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return out


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``.

    Examples
    --------
    >>> check_int("num_steps", 5, low=1)
    5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    out = int(value)
    if low is not None and out < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    if high is not None and out > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return out


def check_probability(name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1], or raise naming ``name``.

    Examples
    --------
    >>> check_probability("p", 0.5)
    0.5
    """
    return check_number(name, value, low=0.0, high=1.0)


def check_range(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> tuple[float, float]:
    """Return ``value`` as a ``(lo, hi)`` float tuple with ``lo <= hi`` within bounds.

    Examples
    --------
    >>> check_range("degrees_range", [-30, 30])
    (-30.0, 30.0)
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a (low, high) pair of numbers, got {value!r}")
    items = tuple(value)
    if len(items) != 2:
        raise ValueError(f"{name} must be a (low, high) pair of numbers, got {len(items)} values: {value!r}")
    lo = check_number(f"{name}[0]", items[0], low=low, high=high, low_open=low_open)
    hi = check_number(f"{name}[1]", items[1], low=low, high=high, low_open=low_open)
    if lo > hi:
        raise ValueError(f"{name} must have low <= high, got {value!r}")
    return (lo, hi)


def check_int_range(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> tuple[int, int]:
    """Return ``value`` as an inclusive ``(lo, hi)`` integer pair with ``lo <= hi`` within bounds.

    Examples
    --------
    >>> check_int_range("bits_range", [4, 8], low=1, high=8)
    (4, 8)
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be an inclusive (low, high) pair of integers, got {value!r}")
    items = tuple(value)
    if len(items) != 2:
        raise ValueError(f"{name} must be an inclusive (low, high) pair of integers, got {value!r}")
    lo = check_int(f"{name}[0]", items[0], low=low, high=high)
    hi = check_int(f"{name}[1]", items[1], low=lo, high=high)
    return (lo, hi)


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming ``name``.

    Examples
    --------
    >>> check_choice("border_mode", "reflect", ("constant", "edge", "reflect"))
    'reflect'
    """
    options = tuple(choices)
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def check_fill(name: str, value: Any) -> float | tuple[float, ...]:
    """Return a fill value: one number, or one number per channel.

    Examples
    --------
    >>> check_fill("fill", (0, 128, 255))
    (0.0, 128.0, 255.0)
    """
    if _is_real(value):
        return check_number(name, value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a number or a sequence of numbers (one per channel), got {value!r}")
    items = tuple(check_number(f"{name}[{i}]", v) for i, v in enumerate(value))
    if not items:
        raise ValueError(f"{name} must not be empty")
    return items


def check_weights(name: str, value: Any, count: int) -> tuple[float, ...] | None:
    """Return ``count`` non-negative weights with a positive sum, or ``None``.

    Examples
    --------
    >>> check_weights("weights", [1, 3], 2)
    (1.0, 3.0)
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of {count} numbers, got {value!r}")
    items = tuple(check_number(f"{name}[{i}]", v, low=0.0) for i, v in enumerate(value))
    if len(items) != count:
        raise ValueError(f"{name} must have one weight per transform ({count}), got {len(items)}")
    if count and sum(items) <= 0:
        raise ValueError(f"{name} must have a positive sum, got {value!r}")
    return items
