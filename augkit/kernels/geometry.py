"""Geometry kernels: batches of 3x3 matrices, point mapping and image resampling.

Coordinate convention (used by every augkit kernel and target): continuous pixel
coordinates ``(x, y)`` where pixel ``(row, col)`` covers ``[col, col+1) x [row, row+1)``;
its centre is ``(col + 0.5, row + 0.5)``. Boxes and keypoints live in this system, and
every matrix here maps *source* coordinates to *destination* coordinates in it.

All functions are pure: no randomness, no I/O, inputs never modified.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "affine_matrices",
    "flip_matrices",
    "homography_from_points",
    "homography_source_coords",
    "identity_matrices",
    "map_points",
    "remap_image",
]

#: Maximum number of output pixels resampled per chunk (bounds temporary memory).
CHUNK_PIXELS = 1 << 18


def identity_matrices(n: int) -> NDArray[np.float64]:
    """Return ``n`` identity 3x3 matrices, shape ``(n, 3, 3)``.

    Examples
    --------
    >>> identity_matrices(2).shape
    (2, 3, 3)
    """
    return np.broadcast_to(np.eye(3), (n, 3, 3)).copy()


def affine_matrices(
    *,
    center: tuple[float, float],
    degrees: NDArray | float = 0.0,
    scale_x: NDArray | float = 1.0,
    scale_y: NDArray | float = 1.0,
    shear_x_degrees: NDArray | float = 0.0,
    shear_y_degrees: NDArray | float = 0.0,
    translate_x: NDArray | float = 0.0,
    translate_y: NDArray | float = 0.0,
) -> NDArray[np.float64]:
    """Build forward affine matrices about ``center``, one per element of the inputs.

    The map is ``dst = center + t + R @ Sh @ S @ (src - center)`` where a positive angle
    turns the image counter-clockwise on screen (as Pillow's ``Image.rotate``).

    Parameters
    ----------
    center : (float, float)
        ``(cx, cy)`` in continuous pixel coordinates, e.g. ``(W / 2, H / 2)``.
    degrees, scale_x, scale_y, shear_x_degrees, shear_y_degrees, translate_x, translate_y
        Scalars or arrays of one common length ``n`` (translations in pixels).

    Returns
    -------
    ndarray of shape (n, 3, 3)

    Examples
    --------
    >>> m = affine_matrices(center=(2.0, 2.0), degrees=[90.0])
    >>> np.round(map_points(np.array([[3.0, 2.0]]), m), 6)
    array([[2., 1.]])
    """
    arrays = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in
          (degrees, scale_x, scale_y, shear_x_degrees, shear_y_degrees, translate_x, translate_y))
    )
    deg, sx, sy, shx, shy, tx, ty = arrays
    theta = np.deg2rad(deg)
    cos, sin = np.cos(theta), np.sin(theta)
    kx, ky = np.tan(np.deg2rad(shx)), np.tan(np.deg2rad(shy))
    # R = [[c, s], [-s, c]] (counter-clockwise on screen, y pointing down); Sh = [[1, kx], [ky, 1]].
    a = cos * sx + sin * ky * sx
    b = cos * kx * sy + sin * sy
    c = -sin * sx + cos * ky * sx
    d = -sin * kx * sy + cos * sy
    cx, cy = center
    n = deg.shape[0]
    m = np.zeros((n, 3, 3))
    m[:, 0, 0], m[:, 0, 1] = a, b
    m[:, 1, 0], m[:, 1, 1] = c, d
    m[:, 0, 2] = cx + tx - a * cx - b * cy
    m[:, 1, 2] = cy + ty - c * cx - d * cy
    m[:, 2, 2] = 1.0
    return m


def flip_matrices(
    horizontal: NDArray[np.bool_], vertical: NDArray[np.bool_], height: int, width: int
) -> NDArray[np.float64]:
    """Matrices that mirror the canvas where ``horizontal``/``vertical`` are true.

    Examples
    --------
    >>> flip_matrices(np.array([True]), np.array([False]), 4, 10)[0, 0]
    array([-1.,  0., 10.])
    """
    h = np.asarray(horizontal, dtype=bool)
    v = np.asarray(vertical, dtype=bool)
    m = identity_matrices(h.shape[0])
    m[h, 0, 0], m[h, 0, 2] = -1.0, float(width)
    m[v, 1, 1], m[v, 1, 2] = -1.0, float(height)
    return m


def homography_from_points(src: NDArray, dst: NDArray) -> NDArray[np.float64]:
    """Solve the homographies mapping 4 ``src`` points onto 4 ``dst`` points.

    Parameters
    ----------
    src, dst : ndarray of shape (n, 4, 2)

    Returns
    -------
    ndarray of shape (n, 3, 3), normalised so that ``m[:, 2, 2] == 1``.

    Examples
    --------
    >>> sq = np.array([[[0, 0], [1, 0], [1, 1], [0, 1]]], dtype=float)
    >>> np.allclose(homography_from_points(sq, sq * 2)[0], np.diag([2, 2, 1]))
    True
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = src.shape[0]
    a = np.zeros((n, 8, 8))
    b = np.zeros((n, 8))
    x, y = src[..., 0], src[..., 1]
    u, v = dst[..., 0], dst[..., 1]
    a[:, 0::2, 0], a[:, 0::2, 1], a[:, 0::2, 2] = x, y, 1.0
    a[:, 0::2, 6], a[:, 0::2, 7] = -x * u, -y * u
    a[:, 1::2, 3], a[:, 1::2, 4], a[:, 1::2, 5] = x, y, 1.0
    a[:, 1::2, 6], a[:, 1::2, 7] = -x * v, -y * v
    b[:, 0::2], b[:, 1::2] = u, v
    h = np.linalg.solve(a, b[..., None])[..., 0]
    return np.concatenate([h, np.ones((n, 1))], axis=1).reshape(n, 3, 3)


def map_points(points: NDArray, matrices: NDArray) -> NDArray[np.float64]:
    """Map points through matrices: one matrix per point, or one shared matrix.

    Parameters
    ----------
    points : ndarray of shape (m, 2)
    matrices : ndarray of shape (m, 3, 3) or (3, 3)

    Returns
    -------
    ndarray of shape (m, 2); points sent to infinity come back as ``nan``.

    Examples
    --------
    >>> map_points(np.array([[1.0, 2.0]]), np.diag([2.0, 3.0, 1.0]))
    array([[2., 6.]])
    """
    pts = np.asarray(points, dtype=np.float64)
    m = np.asarray(matrices, dtype=np.float64)
    if m.ndim == 2:
        m = m[None]
    x, y = pts[:, 0], pts[:, 1]
    w = m[:, 2, 0] * x + m[:, 2, 1] * y + m[:, 2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_w = np.where(np.abs(w) > 1e-12, 1.0 / w, np.nan)
    u = (m[:, 0, 0] * x + m[:, 0, 1] * y + m[:, 0, 2]) * inv_w
    v = (m[:, 1, 0] * x + m[:, 1, 1] * y + m[:, 1, 2]) * inv_w
    return np.stack([u, v], axis=1)


def homography_source_coords(
    inverse: NDArray, out_hw: tuple[int, int]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Source *index* coordinates of every output pixel for inverse homographies.

    Parameters
    ----------
    inverse : ndarray of shape (n, 3, 3)
        Destination-to-source maps in continuous coordinates.
    out_hw : (int, int)
        Output height and width.

    Returns
    -------
    x, y : ndarray of shape (n, H, W), float32
        Array-index coordinates (pixel centre at integer values), ready for :func:`remap_image`.

    Examples
    --------
    >>> x, y = homography_source_coords(np.eye(3)[None], (2, 3))
    >>> x[0, 0].tolist(), y[0, :, 0].tolist()
    ([0.0, 1.0, 2.0], [0.0, 1.0])
    """
    h, w = out_hw
    m = np.asarray(inverse, dtype=np.float64)
    xs = np.arange(w, dtype=np.float64) + 0.5
    ys = np.arange(h, dtype=np.float64) + 0.5
    # Separable affine part: value = a*x + b*y + c, evaluated as an outer sum.
    def _row(k: int) -> NDArray:
        return (m[:, k, 0, None, None] * xs[None, None, :] + m[:, k, 1, None, None] * ys[None, :, None]
                + m[:, k, 2, None, None])
    u, v = _row(0), _row(1)
    if np.any(m[:, 2, :2] != 0) or np.any(m[:, 2, 2] != 1):
        wv = _row(2)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_w = np.where(np.abs(wv) > 1e-12, 1.0 / wv, np.nan)
        u, v = u * inv_w, v * inv_w
    return (u - 0.5).astype(np.float32), (v - 0.5).astype(np.float32)


def _fold(idx: NDArray, size: int, border_mode: str) -> NDArray:
    if border_mode == "reflect":
        if size == 1:
            return np.zeros_like(idx)
        period = 2 * (size - 1)
        idx = np.abs(idx) % period
        return np.where(idx >= size, period - idx, idx)
    return np.clip(idx, 0, size - 1)


def remap_image(
    images: NDArray,
    x: NDArray,
    y: NDArray,
    *,
    interpolation: str = "bilinear",
    border_mode: str = "constant",
    fill: float | tuple[float, ...] = 0.0,
) -> NDArray:
    """Resample a batch of images at per-pixel source coordinates.

    Parameters
    ----------
    images : ndarray of shape (n, h, w, c)
        Any dtype for ``"nearest"``; uint8 or float32 for ``"bilinear"``.
    x, y : ndarray of shape (n, H, W)
        Source array-index coordinates (pixel centres at integers); ``nan`` reads ``fill``.
    interpolation : {"bilinear", "nearest"}
    border_mode : {"constant", "edge", "reflect"}
        How samples outside the source are read: ``fill``, the nearest edge pixel, or a
        mirror image without repeating the edge (OpenCV's ``BORDER_REFLECT_101``).
    fill : float or tuple of float
        Value (or per-channel values) outside the source with ``border_mode="constant"``.

    Returns
    -------
    ndarray of shape (n, H, W, c) with the dtype of ``images``.

    Examples
    --------
    >>> img = np.arange(4, dtype=np.uint8).reshape(1, 2, 2, 1)
    >>> xx, yy = homography_source_coords(np.eye(3)[None], (2, 2))
    >>> np.array_equal(remap_image(img, xx, yy), img)
    True
    """
    n, c = images.shape[0], images.shape[3]
    out_hw = x.shape[1:]
    out = np.empty((n, *out_hw, c), dtype=images.dtype)
    per = max(1, CHUNK_PIXELS // max(1, out_hw[0] * out_hw[1]))
    fill_arr = np.broadcast_to(np.asarray(fill, dtype=np.float64), (c,))
    for s in range(0, n, per):
        sl = slice(s, min(n, s + per))
        kernel = _remap_nearest if interpolation == "nearest" else _remap_bilinear
        out[sl] = kernel(images[sl], x[sl], y[sl], border_mode, fill_arr)
    return out


def _remap_nearest(images: NDArray, x: NDArray, y: NDArray, border_mode: str, fill: NDArray) -> NDArray:
    n, h, w, c = images.shape
    finite = np.isfinite(x) & np.isfinite(y)
    xi = np.floor(np.where(finite, x, -2.0) + 0.5).astype(np.intp)
    yi = np.floor(np.where(finite, y, -2.0) + 0.5).astype(np.intp)
    valid = finite
    if border_mode == "constant":
        valid = valid & (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    flat = images.reshape(n * h * w, c)
    base = (np.arange(n, dtype=np.intp) * (h * w)).reshape(n, 1, 1)
    idx = base + _fold(yi, h, border_mode) * w + _fold(xi, w, border_mode)
    out = flat[idx]
    if not valid.all():
        out[~valid] = fill.astype(images.dtype) if images.dtype != np.bool_ else fill.astype(bool)
    return out


def _remap_bilinear(images: NDArray, x: NDArray, y: NDArray, border_mode: str, fill: NDArray) -> NDArray:
    n, h, w, c = images.shape
    finite = np.isfinite(x) & np.isfinite(y)
    xf = np.where(finite, x, -2.0).astype(np.float32)
    yf = np.where(finite, y, -2.0).astype(np.float32)
    x0f, y0f = np.floor(xf), np.floor(yf)
    fx, fy = xf - x0f, yf - y0f
    x0, y0 = x0f.astype(np.intp), y0f.astype(np.intp)
    flat = images.reshape(n * h * w, c)
    base = (np.arange(n, dtype=np.intp) * (h * w)).reshape(n, 1, 1)
    acc = np.zeros((*x.shape, c), dtype=np.float32)
    fill_weight = np.zeros(x.shape, dtype=np.float32) if border_mode == "constant" else None
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        yy = y0 + dy
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            xx = x0 + dx
            weight = wx * wy
            if fill_weight is not None:
                inside = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h) & finite
                fill_weight += np.where(inside, 0.0, weight)
                weight = np.where(inside, weight, 0.0)
            idx = base + _fold(yy, h, border_mode) * w + _fold(xx, w, border_mode)
            acc += weight[..., None] * flat[idx]
    if fill_weight is not None and np.any(fill_weight):
        acc += fill_weight[..., None] * fill.astype(np.float32)
    if images.dtype == np.uint8:
        return np.clip(np.rint(acc), 0, 255).astype(np.uint8)
    return acc.astype(images.dtype, copy=False)
