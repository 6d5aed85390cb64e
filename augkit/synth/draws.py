"""The random draws of synthetic samples: counter-based, per sample, computed for a chunk at once.

Sample ``i`` of a generator depends only on ``(seed, i)`` (and the attempt, after a failed
contrast check): its key. Every draw comes from SplitMix64 words of that key
(:func:`augkit.kernels.streams.random_bits`), word ``k`` depending only on the key and
``k``, so the words of a whole chunk of samples are computed in one vectorized pass and a
sample drawn alone gets the same ones.

- :class:`SampleDraws`: the sequential draws of one sample's layout (text, font, size,
  position), handed out from a list of floats (a Python float per draw instead of a
  ``Generator`` call); beyond the list, and for any other ``Generator`` method a custom
  text source may use, a ``Generator`` seeded by the key takes over.
- :func:`paint_draws`: the draws of painting (background kind, colours, gradient angle or
  noise amplitude, text colour candidates) for a group of samples as arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..kernels.streams import random_bits

__all__ = ["LAYOUT_DRAWS", "SampleDraws", "layout_draws", "paint_draws"]

#: Floats drawn ahead per sample for its layout (a character crop uses ~14, a word ~7).
LAYOUT_DRAWS = 32
#: Mixed into a sample's key for the stream of its painting draws, and of its noise cells.
_PAINT_TAG = 0x2545F4914F6CDD1D
_NOISE_TAG = 0x106689D45497FDB5
#: Mixed into a sample's key for the Generator behind the pre-drawn floats.
_FALLBACK_TAG = 0x61C8864680B583EB


def _unit(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Floats in [0, 1) from 64-bit words (their top 53 bits, as ``Generator.random``)."""
    return (words >> np.uint64(11)).astype(np.float64) * 2.0**-53


def layout_draws(keys: list[int]) -> list[list[float]]:
    """:data:`LAYOUT_DRAWS` floats in [0, 1) per key, as Python floats.

    Examples
    --------
    >>> a = layout_draws([3, 8])
    >>> len(a[0]), a[1] == layout_draws([8])[0], 0 <= min(a[0]) and max(a[0]) < 1
    (32, True, True)
    """
    return _unit(random_bits(np.array(keys, np.uint64), LAYOUT_DRAWS)).tolist()


class SampleDraws:
    """A sample's layout draws, with the subset of ``numpy.random.Generator`` that
    :class:`~augkit.synth.text.TextSource` and the generator use (``random``, ``uniform``).

    Other attributes are those of a ``Generator`` seeded by the key (made on first use), so
    a custom text source may call any ``Generator`` method; draws stay a function of the key.

    Examples
    --------
    >>> d = SampleDraws(7, [0.25, 0.5])
    >>> d.random(), d.uniform(0.0, 4.0), 0.0 <= d.random() < 1.0   # the third comes from the Generator
    (0.25, 2.0, True)
    >>> int(d.integers(0, 10)) in range(10)
    True
    """

    __slots__ = ("_gen", "_i", "_key", "_u")

    def __init__(self, key: int, floats: list[float]) -> None:
        self._key, self._u, self._i, self._gen = key, floats, 0, None

    def generator(self) -> np.random.Generator:
        """The ``Generator`` of this sample's key (the same object on every call)."""
        if self._gen is None:
            self._gen = np.random.default_rng([self._key & ((1 << 64) - 1), _FALLBACK_TAG])
        return self._gen

    def random(self, size: Any = None) -> Any:
        """A float in [0, 1), or an array of ``size`` of them."""
        if size is None:
            i = self._i
            if i < len(self._u):
                self._i = i + 1
                return self._u[i]
            return float(self.generator().random())
        count = int(np.prod(size))
        i = self._i
        if i + count <= len(self._u):
            self._i = i + count
            return np.array(self._u[i: i + count]).reshape(size)
        self._i = len(self._u)
        head = self._u[i:]
        return np.concatenate([head, self.generator().random(count - len(head))]).reshape(size)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None) -> Any:
        """Floats in [low, high), as ``Generator.uniform``."""
        return low + (high - low) * self.random(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.generator(), name)


def paint_draws(keys: NDArray[np.uint64], n_kinds: int, tries: int) -> dict[str, NDArray]:
    """The painting draws of a group of samples (one row each), vectorized.

    Returns ``kind`` (indices into the generator's background kinds), ``ab`` (two colours,
    ``(g, 2, 3)`` int; a solid or noise background uses the first), ``unit`` (a float in
    [0, 1): the gradient's angle or the noise's amplitude), ``colors`` (``(g, tries, 3)``
    candidate text colours) and ``noise_keys`` (the keys of the samples' noise cells, for
    :class:`~augkit.kernels.streams.RowStreams`).

    Examples
    --------
    >>> d = paint_draws(np.array([1, 2], np.uint64), 3, 12)
    >>> d["kind"].shape, d["ab"].shape, d["colors"].shape, bool((d["colors"] < 256).all())
    ((2,), (2, 2, 3), (2, 12, 3), True)
    """
    keys = np.asarray(keys, np.uint64)
    u = _unit(random_bits(keys ^ np.uint64(_PAINT_TAG), 8 + 3 * tries))
    return {
        "kind": (u[:, 0] * n_kinds).astype(np.intp),
        "ab": (u[:, 1:7] * 256).astype(np.int64).reshape(-1, 2, 3),
        "unit": u[:, 7],
        "colors": (u[:, 8:] * 256).astype(np.int64).reshape(-1, tries, 3),
        "noise_keys": keys ^ np.uint64(_NOISE_TAG),
    }
