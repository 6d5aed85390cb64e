"""Cheap, reproducible per-sample random streams for kernels that need per-pixel randomness.

A transform draws one integer seed per sample (small params, exact replay); the kernel then
turns each seed into its own stream. Creating ``np.random.default_rng(seed)`` costs about
27 us on a slow core; setting the state of one reused PCG64 from a well-mixed hash of the
seed costs about 8 us, which matters when a batch holds hundreds of small images.

Pipelines use the same trick for their children's streams (:func:`child_streams`): one
reused PCG64 per nesting level and thread, re-seeded for each child, instead of
``Generator.spawn`` (about 30 us per child).

Kernels that need many random values per pixel for a whole batch use :func:`random_bits`
instead: a counter-based SplitMix64 stream per seed, computed for all samples at once in a
few NumPy passes, with no Python work per sample.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

__all__ = ["RowStreams", "child_streams", "per_sample_generators", "random_bits"]

_MASK64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _pcg_state(seed: int) -> dict:
    """A well-mixed PCG64 state for ``seed`` (distinct seeds give distinct streams)."""
    a = _splitmix64(seed)
    b = _splitmix64(a)
    c = _splitmix64(b)
    inc = (((c << 1) | 1) | (seed << 65)) & ((1 << 128) - 1)
    return {"bit_generator": "PCG64", "state": {"state": (a << 64) | b, "inc": inc}, "has_uint32": 0, "uinteger": 0}


def per_sample_generators(seeds: NDArray) -> Iterator[np.random.Generator]:
    """Yield one generator per seed, in order. Each is valid only until the next is yielded
    (one bit generator is reused), so use them one after the other.

    Examples
    --------
    >>> a = [g.random() for g in per_sample_generators(np.array([1, 2]))]
    >>> b = [g.random() for g in per_sample_generators(np.array([2]))]
    >>> a[1] == b[0] and a[0] != a[1]
    True
    """
    bits = np.random.PCG64(0)
    gen = np.random.Generator(bits)
    for seed in np.asarray(seeds, dtype=np.uint64):
        bits.state = _pcg_state(int(seed))
        yield gen


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's output function, in place (uint64 arithmetic wraps)."""
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


def random_bits(seeds: NDArray, count: int) -> NDArray[np.uint64]:
    """``(len(seeds), count)`` random 64-bit words: row ``i`` is the SplitMix64 stream started
    from a mix of ``seeds[i]``, so word ``k`` of a row depends only on its seed and ``k`` (the
    same whatever the batch around it). SplitMix64 passes BigCrush; streams of distinct seeds
    start at unrelated points of its 2^64 cycle.

    Examples
    --------
    >>> a = random_bits(np.array([5, 9]), 3)
    >>> a.shape, a.dtype, bool((random_bits(np.array([9]), 5)[0, :3] == a[1]).all())
    ((2, 3), dtype('uint64'), True)
    """
    start = _mix64(np.asarray(seeds).astype(np.uint64, copy=True).reshape(-1, 1))
    steps = np.arange(1, count + 1, dtype=np.uint64)
    steps *= _GOLDEN
    return _mix64(start + steps)


class RowStreams:
    """Draws for ``n`` samples at once where row ``i`` comes from a stream of its own (key ``i``).

    Behind the few :class:`numpy.random.Generator` methods that transforms' ``sample()`` use
    (``random``, ``uniform``, ``integers``, ``standard_normal``, each with ``size`` whose first
    axis is the rows), so that a pipeline's params for a group of samples are drawn in one
    vectorized pass, and each sample's draws equal those of its row drawn alone. Every call
    takes the same number of words from every row: a counter-based SplitMix64 word ``k`` of a
    row depends only on its key and ``k``. Containers open child streams with :meth:`children`
    (through :class:`child_streams`).

    Examples
    --------
    >>> both = RowStreams(np.array([3, 8])).uniform(0.0, 1.0, size=(2, 4))
    >>> alone = RowStreams(np.array([8])).uniform(0.0, 1.0, size=(1, 4))
    >>> bool((both[1] == alone[0]).all())
    True
    """

    __slots__ = ("_keys", "_used")

    def __init__(self, keys: NDArray) -> None:
        self._keys = _mix64(np.array(keys, dtype=np.uint64).reshape(-1))
        self._used = 0

    @property
    def n(self) -> int:
        """The number of rows."""
        return len(self._keys)

    def _words(self, size: object, per_value: int = 1) -> tuple[NDArray[np.uint64], tuple[int, ...]]:
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size) if size is not None else None
        if not shape or shape[0] != self.n:
            raise TypeError(f"RowStreams draws one row per sample: size must start with {self.n}, got {size!r}")
        per = math.prod(shape[1:]) * per_value
        steps = np.arange(self._used + 1, self._used + per + 1, dtype=np.uint64)
        steps *= _GOLDEN
        self._used += per
        return _mix64(self._keys[:, None] + steps[None, :]), tuple(int(v) for v in shape)

    def _unit(self, size: object) -> NDArray[np.float64]:
        words, shape = self._words(size)
        return ((words >> np.uint64(11)).astype(np.float64) * 2.0**-53).reshape(shape)  # [0, 1)

    def random(self, size: object = None) -> NDArray[np.float64]:
        """Floats in [0, 1), ``size`` starting with the rows."""
        return self._unit(size)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: object = None) -> NDArray[np.float64]:
        """Floats in [low, high), as ``Generator.uniform``."""
        return low + (high - low) * self._unit(size)

    def integers(self, low: int, high: int | None = None, size: object = None, dtype: object = np.int64,
                 endpoint: bool = False) -> NDArray:
        """Integers in [low, high) (``endpoint``: [low, high]), as ``Generator.integers``."""
        low, high = (0, low) if high is None else (low, high)
        span = int(high) - int(low) + (1 if endpoint else 0)
        if span <= 0:
            raise ValueError(f"integers: low >= high ({low}, {high})")
        words, shape = self._words(size)
        if span <= 1 << 53:
            picked = ((words >> np.uint64(11)).astype(np.float64) * (span * 2.0**-53)).astype(np.int64)
        else:  # (seeds: a bias of at most span / 2^63)
            picked = ((words >> np.uint64(1)) % np.uint64(span)).astype(np.int64)
        return (picked + int(low)).astype(dtype).reshape(shape)

    def standard_normal(self, size: object = None) -> NDArray[np.float64]:
        """Standard normal floats (Box-Muller, two words a value)."""
        words, shape = self._words(size, per_value=2)
        u = (words >> np.uint64(11)).astype(np.float64) * 2.0**-53
        radius = np.sqrt(-2.0 * np.log1p(-u[:, 0::2]))  # 1 - u in (0, 1]
        return (radius * np.cos(2.0 * np.pi * u[:, 1::2])).reshape(shape)

    def children(self, k: int) -> list[RowStreams]:
        """``k`` child streams per row (their keys are drawn from this one, as a Generator's
        children's seeds are)."""
        words, _ = self._words((self.n, k))
        return [RowStreams(words[:, j]) for j in range(k)]


_LOCAL = threading.local()


class child_streams:  # lower case: used like a function, ``with child_streams(rng, k) as ...``
    """Seeds for ``k`` child streams of ``rng``, and a function that opens each one.

    Use as ``with child_streams(rng, k) as (seeds, open_stream): gen = open_stream(seeds[i])``.
    The streams of one ``with`` block share one bit generator (this nesting level's, in this
    thread): open and use them one after the other. A child that itself opens child streams
    gets the next level's bit generator, so nesting is safe. (A class rather than a
    ``contextmanager`` generator: it is entered once per container per call.)

    Examples
    --------
    >>> parent = np.random.default_rng(0)
    >>> with child_streams(parent, 2) as (seeds, open_stream):
    ...     a = open_stream(seeds[0]).random()
    ...     b = open_stream(seeds[1]).random()
    >>> with child_streams(np.random.default_rng(0), 3) as (seeds, open_stream):
    ...     a2 = open_stream(seeds[0]).random()
    >>> a == a2 and a != b
    True
    """

    __slots__ = ("_bits", "_depth", "_k", "_rng")

    def __init__(self, rng: np.random.Generator, k: int) -> None:
        self._rng, self._k = rng, k

    def __enter__(self) -> tuple[list[int], object]:
        if isinstance(self._rng, RowStreams):  # per-row children; their "seeds" are their indices
            self._depth = None
            return list(range(self._k)), self._rng.children(self._k).__getitem__
        seeds = self._rng.bit_generator.random_raw(self._k).tolist()
        depth = getattr(_LOCAL, "depth", 0)
        pool = getattr(_LOCAL, "pool", None)
        if pool is None:
            pool = _LOCAL.pool = []
        while len(pool) <= depth:
            pool.append(np.random.PCG64(0))
        self._bits, self._depth = pool[depth], depth
        _LOCAL.depth = depth + 1
        return seeds, self._open

    def _open(self, seed: int) -> np.random.Generator:
        self._bits.state = _pcg_state(seed)
        return np.random.Generator(self._bits)

    def __exit__(self, *exc: object) -> None:
        if self._depth is not None:
            _LOCAL.depth = self._depth
