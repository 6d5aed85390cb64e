"""Reused work arrays for large temporaries of the hot loops.

A batch call makes per-pixel temporaries (float32 coordinate maps of a chunk of images,
hundreds of kilobytes each) over and over. Freshly allocated, such arrays are often handed
back to the operating system when they are freed (glibc trims or unmaps large free blocks),
so the next chunk pays a page fault for every 4 KB it touches: at 64x64 that was a third to
a half of a grid warp's time. Work arrays from here are kept per thread and reused instead.

Rules for callers: a work array is uninitialised, it is only valid until the next request
for the same ``key`` in the same thread, and it must never be returned to a user or stored.
Requests above :data:`MAX_BYTES` get a fresh array (nothing that large is kept).

The same holds for the intermediate images of a pipeline (each stage writes a new batch and
drops the previous one): :func:`recycle` keeps a dropped array that nothing else refers to,
and :func:`empty` hands it out again for the next batch of that shape and dtype.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["MAX_BYTES", "RECYCLE_MAX_BYTES", "clear", "empty", "recycle", "retained_bytes", "work_array"]

#: Largest work array kept for reuse (bytes); larger requests are plain allocations.
MAX_BYTES = 32 << 20

#: Most bytes of dropped arrays kept per thread for :func:`empty` (the oldest go first).
RECYCLE_MAX_BYTES = 32 << 20
#: Most dropped arrays kept per thread (pipelines alternate between two or three batch shapes).
RECYCLE_MAX_COUNT = 4
#: Smaller arrays are not kept: the allocator serves them from its heap without page faults.
RECYCLE_MIN_BYTES = 1 << 17

_local = threading.local()


def work_array(key: str, shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """An uninitialised array of ``shape`` and ``dtype``, reusing this thread's buffer for ``key``.

    Examples
    --------
    >>> a = work_array("example", (2, 3), np.float32)
    >>> a.shape, a.dtype
    ((2, 3), dtype('float32'))
    >>> b = work_array("example", (3,), np.float32)     # the same memory, reused
    >>> np.shares_memory(a, b)
    True
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_BYTES:
        return np.empty(shape, dtype)
    pool: dict[str, NDArray] | None = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    buf = pool.get(key)
    if buf is None or buf.nbytes < nbytes:
        buf = pool[key] = np.empty(max(nbytes, 64), np.uint8)  # aligned by NumPy's allocator
    return buf[:nbytes].view(dtype).reshape(shape)


def _recycled() -> dict[tuple, NDArray]:
    kept: dict[tuple, NDArray] | None = getattr(_local, "recycled", None)
    if kept is None:
        kept = _local.recycled = {}
    return kept


def recycle(array: NDArray) -> None:
    """Keep ``array`` (dropped by its only owner) for a later :func:`empty` of its shape and dtype.

    Only whole, writeable, C-contiguous arrays that own their memory, of
    :data:`RECYCLE_MIN_BYTES` to :data:`MAX_BYTES`, are kept (at most
    :data:`RECYCLE_MAX_COUNT` of them); the caller guarantees that nothing else refers to it.

    Examples
    --------
    >>> a = np.zeros((512, 512), np.uint8)
    >>> recycle(a)
    >>> empty((512, 512), np.uint8) is a
    True
    >>> empty((512, 512), np.uint8) is a               # handed out once
    False
    """
    flags = array.flags
    if (not (flags.c_contiguous and flags.owndata and flags.writeable)
            or not RECYCLE_MIN_BYTES <= array.nbytes <= MAX_BYTES):
        return
    kept = _recycled()
    kept.pop((array.shape, array.dtype.str), None)
    kept[(array.shape, array.dtype.str)] = array  # newest last
    while len(kept) > RECYCLE_MAX_COUNT or sum(a.nbytes for a in kept.values()) > RECYCLE_MAX_BYTES:
        del kept[next(iter(kept))]


def empty(shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """An uninitialised array: a recycled one of this shape and dtype if this thread has one."""
    found = _recycled().pop((tuple(shape), np.dtype(dtype).str), None)
    return found if found is not None else np.empty(shape, dtype)


def retained_bytes() -> int:
    """Bytes this thread keeps in work arrays and recycled batches.

    Examples
    --------
    >>> clear()
    >>> retained_bytes()
    0
    """
    pools = (getattr(_local, "pool", None) or {}, getattr(_local, "recycled", None) or {})
    return sum(a.nbytes for pool in pools for a in pool.values())


def clear() -> None:
    """Let go of this thread's work arrays and recycled batches (they are made again when needed)."""
    _local.pool = {}
    _local.recycled = {}
