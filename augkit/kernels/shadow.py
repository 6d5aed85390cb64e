"""Cast shadows: the light falling on each pixel where an object blocks part of it.

A shadow is a convex region, the intersection of up to a few half-planes, all of which hold
the shadow's anchor point. Inside it a fraction ``darkness`` of the light is blocked; across
its edge the light changes linearly over a penumbra ``penumbra_px`` wide (a soft shadow: the
light source has a size). The signed distance to the region is the smallest signed distance
to its edges' lines (exact inside a convex region, close to it outside).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["shadow_gains"]


def shadow_gains(height: int, width: int, anchors: NDArray, normals_deg: NDArray, offsets_px: NDArray,
                 edges: NDArray, darkness: NDArray, penumbra_px: NDArray) -> NDArray[np.float32]:
    """Light falling on each pixel under a cast shadow: float32 ``(n, height, width)`` in [0, 1].

    Parameters
    ----------
    height, width : int
    anchors : ndarray of shape (n, 2)
        A point ``(x, y)`` inside each shadow (pixels).
    normals_deg : ndarray of shape (n, k)
        Direction of each edge's inward normal, counter-clockwise from the right as displayed.
    offsets_px : ndarray of shape (n, k)
        Distance from the anchor to each edge (>= 0).
    edges : ndarray of shape (n,)
        How many of the ``k`` edges each shadow has (1 to k: a half-plane, a wedge or band, ...).
    darkness : ndarray of shape (n,)
        Fraction of the light blocked inside the shadow.
    penumbra_px : ndarray of shape (n,)
        Width of the soft edge (> 0).

    Examples
    --------
    >>> g = shadow_gains(1, 6, np.array([[4.0, 0.5]]), np.array([[0.0]]), np.array([[1.0]]),
    ...                  np.array([1]), np.array([0.5]), np.array([2.0]))
    >>> g[0, 0].tolist()          # the shadow right of x = 3, a 2-pixel penumbra around it
    [1.0, 1.0, 0.875, 0.625, 0.5, 0.5]
    """
    n, k = np.shape(normals_deg)
    theta = np.deg2rad(np.asarray(normals_deg, np.float64))
    nx, ny = np.cos(theta), -np.sin(theta)  # (screen y points down)
    anchors = np.asarray(anchors, np.float64)
    # edge j: nx (x - ax) + ny (y - ay) + offset >= 0 inside; a row term plus a column term
    xs = np.arange(width, dtype=np.float64) + 0.5
    ys = np.arange(height, dtype=np.float64) + 0.5
    inside = np.full((n, height, width), np.inf, np.float32)
    plane = np.empty_like(inside)
    used = np.arange(k)[None, :] < np.asarray(edges)[:, None]
    for j in range(k):
        if not used[:, j].any():
            continue
        row = (nx[:, j, None] * (xs[None, :] - anchors[:, 0, None]) + np.asarray(offsets_px)[:, j, None])
        col = ny[:, j, None] * (ys[None, :] - anchors[:, 1, None])
        row = np.where(used[:, j, None], row, np.inf).astype(np.float32)[:, None, :]
        np.minimum(inside, np.add(row, col.astype(np.float32)[:, :, None], out=plane), out=inside)
    # 0 outside, 1 inside, linear across the penumbra centred on the edge; then the light left
    inside /= np.asarray(penumbra_px, np.float32)[:, None, None]
    inside += np.float32(0.5)
    np.clip(inside, 0.0, 1.0, out=inside)
    inside *= -np.asarray(darkness, np.float32)[:, None, None]
    inside += np.float32(1.0)
    return inside
