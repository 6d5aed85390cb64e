"""Geometry kernels: batches of 3x3 matrices, point mapping and image resampling.

Coordinate convention (used by every augkit kernel and target): continuous pixel
coordinates ``(x, y)`` where pixel ``(row, col)`` covers ``[col, col+1) x [row, row+1)``;
its centre is ``(col + 0.5, row + 0.5)``. Boxes and keypoints live in this system, and
every matrix here maps *source* coordinates to *destination* coordinates in it.

All functions are pure: no randomness, no I/O, inputs never modified.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .backend import opencv
from .scratch import work_array

__all__ = [
    "affine_matrices",
    "homography_from_points",
    "homography_source_coords",
    "identity_matrices",
    "invert_matrices",
    "map_points",
    "remap_image",
    "warp_homography_image",
]

#: Maximum number of output pixels resampled per chunk (bounds temporary memory).
CHUNK_PIXELS = 1 << 18

#: 3-channel images of at least this many output pixels are resampled by OpenCV as 4-channel
#: ones (bilinear) in ``remap``: its resampling loops are vectorized for 1 and 4 channels but
#: not 3, so the two colour conversions cost less than they save (measured: 2.2-2.8x at 256-512
#: px a side, 1.1-1.2x at 64; 0.98-1.01x at 32x32 and 48x48). The results are identical
#: (channels are independent).
FOUR_CHANNEL_MIN_PIXELS = 64 * 64
#: The same for ``warpAffine``/``warpPerspective``, which gain from smaller images on: 1.1-1.2x
#: at 1,500-2,000 pixels (32x48, 40x40, 32x64: text lines), 1.03-1.07x at 32x32 (not taken: the
#: 4-channel buffers would add ~0.25x of a small batch to its peak memory), even at 24x24.
FOUR_CHANNEL_MIN_PIXELS_MATRIX = 32 * 48


def identity_matrices(n: int) -> NDArray[np.float64]:
    """Return ``n`` identity 3x3 matrices, shape ``(n, 3, 3)``.

    Examples
    --------
    >>> identity_matrices(2).shape
    (2, 3, 3)
    """
    m = np.zeros((n, 3, 3))
    m[:, 0, 0] = m[:, 1, 1] = m[:, 2, 2] = 1.0
    return m


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
    deg, sx, sy, shx, shy, tx, ty = (np.asarray(v, dtype=np.float64) for v in
                                      (degrees, scale_x, scale_y, shear_x_degrees, shear_y_degrees,
                                       translate_x, translate_y))
    n = _common_length((deg, sx, sy, shx, shy, tx, ty))
    theta = np.deg2rad(deg)
    cos, sin = np.cos(theta), np.sin(theta)
    kx = np.tan(np.deg2rad(shx)) if np.count_nonzero(shx) else _NO_SHEAR
    ky = np.tan(np.deg2rad(shy)) if np.count_nonzero(shy) else _NO_SHEAR
    # R = [[c, s], [-s, c]] (counter-clockwise on screen, y pointing down); Sh = [[1, kx], [ky, 1]].
    cx, cy = center
    m = np.zeros((n, 3, 3))
    if kx is ky is _NO_SHEAR:  # the same values as below with kx = ky = 0 (signed zeros included)
        m[:, 0, 0] = a = cos * sx
        m[:, 0, 1] = b = sin * sy + 0.0
        m[:, 1, 0] = c = -sin * sx + 0.0
        m[:, 1, 1] = d = cos * sy
    else:
        m[:, 0, 0] = a = cos * sx + sin * ky * sx
        m[:, 0, 1] = b = cos * kx * sy + sin * sy
        m[:, 1, 0] = c = -sin * sx + cos * ky * sx
        m[:, 1, 1] = d = -sin * kx * sy + cos * sy
    m[:, 0, 2] = cx + tx - a * cx - b * cy
    m[:, 1, 2] = cy + ty - c * cx - d * cy
    m[:, 2, 2] = 1.0
    return m


#: Shear factor of a map without shear (a marker for the shorter formulas).
_NO_SHEAR = 0.0


def _common_length(arrays: tuple[NDArray, ...]) -> int:
    """The length ``n`` that scalars and 1-D arrays broadcast to (1 when all are scalars)."""
    rest = {a.size for a in arrays if a.ndim} - {1}
    if len(rest) > 1 or any(a.ndim > 1 for a in arrays):
        return math.prod(np.broadcast_shapes(*(a.shape for a in arrays), (1,)))  # (raises on a mismatch)
    return rest.pop() if rest else 1


def invert_matrices(matrices: NDArray) -> NDArray[np.float64]:
    """Invert a stack of 3x3 matrices ``(n, 3, 3)`` in closed form (adjugate / determinant).

    A singular matrix gives ``nan`` entries (those samples read the border).

    Examples
    --------
    >>> np.allclose(invert_matrices(np.diag([2.0, 4.0, 1.0])[None])[0], np.diag([0.5, 0.25, 1.0]))
    True
    """
    m = np.asarray(matrices, dtype=np.float64)
    flat = m.reshape(-1, 9)
    # adj[i, j] = m[j+1, i+1] * m[j+2, i+2] - m[j+1, i+2] * m[j+2, i+1] (indices mod 3): the
    # same products, subtracted in the same order, as the nine cofactors written out
    adj = flat.take(_ADJ_A, axis=1) * flat.take(_ADJ_B, axis=1)
    adj -= flat.take(_ADJ_C, axis=1) * flat.take(_ADJ_D, axis=1)
    adj = adj.reshape(m.shape)
    det = m[:, 0, 0] * adj[:, 0, 0] + m[:, 0, 1] * adj[:, 1, 0] + m[:, 0, 2] * adj[:, 2, 0]
    det[det == 0] = np.nan
    adj /= det[:, None, None]
    return adj


def _adjugate_indices() -> tuple[NDArray, ...]:
    cells = [(i, j) for i in range(3) for j in range(3)]
    pick = [[3 * ((j + dr) % 3) + (i + dc) % 3 for i, j in cells] for dr, dc in ((1, 1), (2, 2), (1, 2), (2, 1))]
    return tuple(np.array(p, dtype=np.intp) for p in pick)


_ADJ_A, _ADJ_B, _ADJ_C, _ADJ_D = _adjugate_indices()


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
    out = np.empty((n, 9))  # (np.concatenate costs ~10 us on a small call)
    out[:, :8] = np.linalg.solve(a, b[..., None])[..., 0]
    out[:, 8] = 1.0
    return out.reshape(n, 3, 3)


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
    inv_w = 1.0 / np.where(np.abs(w) > 1e-12, w, np.nan)
    u = (m[:, 0, 0] * x + m[:, 0, 1] * y + m[:, 0, 2]) * inv_w
    out = np.empty((len(u), 2))  # (np.stack costs ~10 us on a small call)
    out[:, 0] = u
    out[:, 1] = (m[:, 1, 0] * x + m[:, 1, 1] * y + m[:, 1, 2]) * inv_w
    return out


def homography_source_coords(
    inverse: NDArray, out_hw: tuple[int, int], *, out: tuple[NDArray, NDArray] | None = None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Source *index* coordinates of every output pixel for inverse homographies.

    Parameters
    ----------
    inverse : ndarray of shape (n, 3, 3)
        Destination-to-source maps in continuous coordinates.
    out_hw : (int, int)
        Output height and width.
    out : (ndarray, ndarray), optional
        Two float32 ``(n, H, W)`` arrays to write the coordinates into.

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
    n = len(m)
    xs = np.arange(w, dtype=np.float64) + 0.5
    ys = np.arange(h, dtype=np.float64) + 0.5
    # float64 work arrays reused per thread, computed in place (fresh temporaries of a few MB
    # page-faulted on every call: 1.3 ms per 256x256 map); the arithmetic is unchanged.
    u = work_array("geometry.coords_u", (n, h, w), np.float64)
    v = work_array("geometry.coords_v", (n, h, w), np.float64)

    def _row(k: int, dst: NDArray) -> NDArray:  # a*x + b*y + c, evaluated as an outer sum
        np.add(m[:, k, 0, None, None] * xs[None, None, :], m[:, k, 1, None, None] * ys[None, :, None], out=dst)
        dst += m[:, k, 2, None, None]
        return dst

    _row(0, u)
    _row(1, v)
    if np.any(m[:, 2, :2] != 0) or np.any(m[:, 2, 2] != 1):
        inv_w = _row(2, work_array("geometry.coords_w", (n, h, w), np.float64))
        inv_w[np.abs(inv_w) <= 1e-12] = np.nan  # (a NaN stays NaN: it reads the border)
        np.divide(1.0, inv_w, out=inv_w)
        u *= inv_w
        v *= inv_w
    u -= 0.5
    v -= 0.5
    x, y = out if out is not None else (np.empty((n, h, w), np.float32), np.empty((n, h, w), np.float32))
    np.copyto(x, u, casting="same_kind")
    np.copyto(y, v, casting="same_kind")
    return x, y


def _fold(idx: NDArray, size: int, border_mode: str) -> NDArray:
    if border_mode == "reflect":
        if size == 1:
            return np.zeros_like(idx)
        period = 2 * (size - 1)
        idx = np.abs(idx) % period
        return np.where(idx >= size, period - idx, idx)
    return np.clip(idx, 0, size - 1)


_CV_BORDER = {"constant": "BORDER_CONSTANT", "edge": "BORDER_REPLICATE", "reflect": "BORDER_REFLECT_101"}
_CV_DTYPES = {np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.float32, np.float64)}


def _cv2_for(images: NDArray) -> tuple[object, NDArray] | None:
    """OpenCV and a cv2-compatible view of ``images`` (n, h, w, c), or None for the NumPy path."""
    cv2 = opencv()
    if cv2 is None or images.shape[-1] > 4:
        return None
    if images.dtype == np.bool_:
        return cv2, images.view(np.uint8)
    if images.dtype not in _CV_DTYPES:
        return None
    return cv2, images


def _cv_fill(fill: NDArray) -> tuple[float, ...]:
    values = [float(v) for v in np.ravel(fill)]
    return tuple((values + [values[-1]] * 4)[:4])


def _cv_fill_of(fill: float | tuple[float, ...], channels: int) -> tuple[float, ...]:
    """OpenCV's four-value border colour for ``fill`` (a number, or one per channel): what
    ``_cv_fill`` makes of it broadcast to ``channels``, without NumPy for the usual forms."""
    if isinstance(fill, (int, float)):
        v = float(fill)
        return (v, v, v, v)
    if isinstance(fill, tuple) and len(fill) == channels and all(isinstance(v, (int, float)) for v in fill):
        return _cv_fill(fill)
    return _cv_fill(np.broadcast_to(np.asarray(fill, dtype=np.float64), (channels,)))  # (raises on a bad shape)


#: Bytes of 4-channel pixels converted at once (per buffer) on the 4-channel route: both buffers
#: stay in a 1 MB L2 cache; 256 KB chunks made 64x64-100x100 warps 3-7% faster than 64 KB ones.
#: (At most an eighth of the batch each, so that small batches do not hold more in them.)
FOUR_CHANNEL_CHUNK_BYTES = 1 << 18

#: What ``cv2.cvtColor`` converts between 3 and 4 channels.
_FOUR_CHANNEL_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))


def _four_channels_wanted(c: int, out_hw: tuple[int, int], interpolation: str, dtype: np.dtype,
                          minimum: int) -> bool:
    return (c == 3 and interpolation == "bilinear" and dtype in _FOUR_CHANNEL_DTYPES
            and out_hw[0] * out_hw[1] >= minimum)


def _warp_four_channels(cv2: object, src: NDArray, out: NDArray, warp_one: Callable[..., object],
                        alpha: tuple[NDArray, NDArray] | None = None) -> None:
    """Resample 3-channel images ``src`` into ``out`` through 4-channel work arrays.

    A chunk of images is converted with one ``cvtColor`` call (the chunk seen as one tall image),
    each image is warped by ``warp_one(i, src4, dst4)``, and the chunk is converted back with one
    call straight into ``out``. ``alpha``: one-channel images ``(n, h, w, 1)`` of the same dtype
    and where to write them ``(n, H, W, 1)``, carried through the same warps as the fourth
    channel (one resampling call per image instead of two).
    """
    n, h, w, _ = src.shape
    if n == 0:
        return
    big, small = cv2.COLOR_RGB2RGBA, cv2.COLOR_RGBA2RGB
    H, W = out.shape[1:3]
    # each buffer at most FOUR_CHANNEL_CHUNK_BYTES and an eighth of the batch (they are kept
    # between calls: small batches would otherwise hold more in them than in their pixels)
    budget = min(FOUR_CHANNEL_CHUNK_BYTES, src.nbytes // 8)
    per = min(n, max(1, budget // (max(h * w, H * W) * 4 * src.dtype.itemsize)))
    src4 = work_array("geometry.four_src", (per, h, w, 4), src.dtype)
    dst4 = work_array("geometry.four_dst", (per, H, W, 4), src.dtype)
    for a in range(0, n, per):
        k = min(per, n - a)
        s, o = src[a:a + k], out[a:a + k]
        if s.flags.c_contiguous:
            cv2.cvtColor(s.reshape(k * h, w, 3), big, dst=src4[:k].reshape(k * h, w, 4))
        else:
            for i in range(k):
                cv2.cvtColor(s[i], big, src4[i])
        if alpha is not None:
            src4[:k, ..., 3] = alpha[0][a:a + k, ..., 0]
        for i in range(k):
            warp_one(a + i, src4[i], dst4[i])  # (OpenCV calls here take positional arguments: ~2 us less each)
        if o.flags.c_contiguous:
            cv2.cvtColor(dst4[:k].reshape(k * H, W, 4), small, dst=o.reshape(k * H, W, 3))
        else:
            for i in range(k):
                cv2.cvtColor(dst4[i], small, o[i])
        if alpha is not None:
            alpha[1][a:a + k, ..., 0] = dst4[:k, ..., 3]


#: Coordinates are limited to this many pixels either side of the image.
COORD_LIMIT = 30000.0


def _sanitize(coord: NDArray) -> NDArray:
    """float32 coordinates within +-COORD_LIMIT; non-finite ones read the border."""
    coord = np.asarray(coord, dtype=np.float32)
    if coord.size == 0:
        return coord
    lo, hi = np.min(coord), np.max(coord)
    if np.isfinite(lo) and np.isfinite(hi) and -COORD_LIMIT <= lo and hi <= COORD_LIMIT:
        return coord
    return np.clip(np.where(np.isfinite(coord), coord, np.float32(-2.0)), -COORD_LIMIT, COORD_LIMIT)


def remap_image(
    images: NDArray,
    x: NDArray,
    y: NDArray,
    *,
    interpolation: str = "bilinear",
    border_mode: str = "constant",
    fill: float | tuple[float, ...] = 0.0,
    out: NDArray | None = None,
    coords_valid: bool = False,
) -> NDArray:
    """Resample a batch of images at per-pixel source coordinates.

    Parameters
    ----------
    images : ndarray of shape (n, h, w, c)
        Any dtype for ``"nearest"``; uint8 or float32 for ``"bilinear"``.
    x, y : ndarray of shape (n, H, W)
        Source array-index coordinates (pixel centres at integers); ``nan`` reads the border.
    interpolation : {"bilinear", "nearest"}
        Nearest rounds halves up (``floor(x + 0.5)``).
    border_mode : {"constant", "edge", "reflect"}
        How samples outside the source are read: ``fill``, the nearest edge pixel, or a
        mirror image without repeating the edge (OpenCV's ``BORDER_REFLECT_101``).
    fill : float or tuple of float
        Value (or per-channel values) outside the source with ``border_mode="constant"``.
    out : ndarray, optional
        Where to write the result (shape ``(n, H, W, c)``, the dtype of ``images``).
    coords_valid : bool
        The caller guarantees float32 coordinates that are finite and within
        ``COORD_LIMIT`` (skips a check pass).

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
    out = _output(out, (n, *x.shape[1:], c), images.dtype)
    value = _cv_fill_of(fill, c)  # (checks its shape)
    if not (coords_valid and x.dtype == y.dtype == np.float32):
        x, y = _sanitize(x), _sanitize(y)
    if interpolation == "nearest":  # round here, so that both paths pick the same pixel
        x, y = np.floor(x + np.float32(0.5)), np.floor(y + np.float32(0.5))
    found = _cv2_for(images)
    if found is not None:
        cv2, src = found
        dst = out.view(np.uint8) if out.dtype == np.bool_ else out
        border = getattr(cv2, _CV_BORDER[border_mode])
        flags = cv2.INTER_NEAREST if interpolation == "nearest" else cv2.INTER_LINEAR
        if _four_channels_wanted(c, x.shape[1:], interpolation, src.dtype, FOUR_CHANNEL_MIN_PIXELS):
            _warp_four_channels(cv2, src, dst, lambda i, s4, d4: cv2.remap(s4, x[i], y[i], flags, d4, border, value))
            return out
        for i in range(n):
            s, d = (src[i, ..., 0], dst[i, ..., 0]) if c == 1 else (src[i], dst[i])
            cv2.remap(s, x[i], y[i], flags, d, border, value)  # (dst, borderMode, borderValue)
        return out
    fill_arr = np.broadcast_to(np.asarray(fill, dtype=np.float64), (c,))
    return _remap_numpy(images, x, y, interpolation, border_mode, fill_arr, out)


def _numpy_chunk(n: int, pixels: int) -> int:
    """Images per chunk of the NumPy resamplers: at most CHUNK_PIXELS output pixels and an
    eighth of the batch (their temporaries take ~60 bytes a pixel), at least 4,096 pixels."""
    return max(1, min(CHUNK_PIXELS, max(1 << 12, n * pixels // 8)) // max(1, pixels))


def _remap_numpy(images: NDArray, x: NDArray, y: NDArray, interpolation: str, border_mode: str, fill: NDArray,
                 out: NDArray) -> NDArray:
    """The NumPy reference resampler, in chunks of images of at most :func:`_numpy_chunk` pixels."""
    per = _numpy_chunk(images.shape[0], x.shape[1] * x.shape[2])
    for s in range(0, images.shape[0], per):
        sl = slice(s, min(images.shape[0], s + per))
        if interpolation == "nearest":
            out[sl] = _remap_nearest(images[sl], x[sl], y[sl], border_mode, fill)
        else:
            out[sl] = _remap_bilinear(images[sl], x[sl], y[sl], border_mode, fill)
    return out


def _warp_axis_aligned_numpy(images: NDArray, inverse: NDArray, interpolation: str, border_mode: str,
                             fill: NDArray, out: NDArray, regions: NDArray | None = None) -> NDArray:
    """The NumPy resampler for maps that scale, flip and shift each axis alone (resizes, crops,
    scales): source rows first, then along each row, at the same source positions as
    :func:`homography_source_coords` (nearest: the same pixels as the 2-D path; bilinear: the
    same weights, summed in another order, so within one grey level of it).

    ``regions``: whole-pixel ``(x0, y0, x1, y1)`` per image, with ``border_mode="edge"``: source
    pixels are read from that region only, its border pixel repeated outside it (a crop's
    resize)."""
    n, h, w, c = images.shape
    H, W = out.shape[1:3]
    # x depends on the column only and y on the row only: the 2-D formula's terms, in its order
    xs = _sanitize(inverse[:, 0, 0, None] * (np.arange(W) + 0.5) + inverse[:, 0, 2, None] - 0.5)  # (n, W)
    ys = _sanitize(inverse[:, 1, 1, None] * (np.arange(H) + 0.5) + inverse[:, 1, 2, None] - 0.5)  # (n, H)
    nearest = interpolation == "nearest"
    if nearest:
        taps = [(np.floor(ys + np.float32(0.5)), None, np.floor(xs + np.float32(0.5)), None)]
    else:
        y0, x0 = np.floor(ys), np.floor(xs)
        taps = [(y0, 1 - (ys - y0), x0, 1 - (xs - x0)), (y0 + 1, ys - y0, x0 + 1, xs - x0)]
    constant = border_mode == "constant"
    dtype = images.dtype if nearest else np.dtype(np.float32)
    per = max(1, min(AXIS_ALIGNED_CHUNK_PIXELS // (H * max(w, W)), -(-n // 8)))  # (and an eighth of the batch)
    for a in range(0, n, per):
        b = min(n, a + per)
        k = np.arange(b - a)[:, None]
        vertical = work_array("axis.vertical", (b - a, H, w, c), dtype)
        cols = work_array("axis.cols", (b - a, H, W, c), dtype)
        acc = out[a:b] if nearest else work_array("axis.acc", (b - a, H, W, c), dtype)
        kept_y = kept_x = None
        for t, (ty, tap_wy, _, _) in enumerate(taps):  # source rows of every output row
            iy = ty[a:b].astype(np.intp)
            if regions is not None:
                iy = np.clip(iy, regions[a:b, 1, None], regions[a:b, 3, None] - 1)
            rows = images[a:b][k, _fold(iy, h, border_mode)]
            inside = (iy >= 0) & (iy < h)
            if nearest:
                vertical[...] = rows
                kept_y = inside
                continue
            wy = np.where(inside, tap_wy[a:b], np.float32(0.0)) if constant else tap_wy[a:b]
            if t == 0:
                np.multiply(rows, wy[:, :, None, None], out=vertical)
            else:
                vertical += np.multiply(rows, wy[:, :, None, None],
                                        out=work_array("axis.tmp", vertical.shape, np.float32))
            kept_y = wy if kept_y is None else kept_y + wy
        for t, (_, _, tx, tap_wx) in enumerate(taps):  # then along each row
            ix = tx[a:b].astype(np.intp)
            if regions is not None:
                ix = np.clip(ix, regions[a:b, 0, None], regions[a:b, 2, None] - 1)
            folded = _fold(ix, w, border_mode)
            dst = acc if t == 0 else cols
            for j in range(b - a):  # (8x faster than one take_along_axis over the chunk)
                np.take(vertical[j], folded[j], axis=1, out=dst[j], mode="clip")
            inside = (ix >= 0) & (ix < w)
            if nearest:
                kept_x = inside
                continue
            wx = np.where(inside, tap_wx[a:b], np.float32(0.0)) if constant else tap_wx[a:b]
            dst *= wx[:, None, :, None]
            if t:
                acc += cols
            kept_x = wx if kept_x is None else kept_x + wx
        if nearest:  # pure gathers, any dtype
            if constant:
                outside = ~(kept_y[:, :, None] & kept_x[:, None, :])
                if outside.any():
                    acc[outside] = fill.astype(images.dtype)
            continue
        if constant:
            kept = kept_y[:, :, None] * kept_x[:, None, :]  # the weight that fell on pixels inside
            if (kept < 1).any():
                acc += (1 - kept)[..., None] * fill.astype(np.float32)
        if images.dtype == np.uint8:
            np.rint(acc, out=acc)
            np.clip(acc, 0, 255, out=acc)
        out[a:b] = acc
    return out


#: Output pixels times source or output width per chunk of :func:`_warp_axis_aligned_numpy`
#: (float32 work arrays of ~0.75 MB for RGB).
AXIS_ALIGNED_CHUNK_PIXELS = 1 << 16


def _output(out: NDArray | None, shape: tuple[int, ...], dtype: np.dtype) -> NDArray:
    if out is None:
        return np.empty(shape, dtype=dtype)
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"out must have shape {shape} and dtype {dtype}, got {out.shape} {out.dtype}")
    return out


def _remap_nearest(images: NDArray, x: NDArray, y: NDArray, border_mode: str, fill: NDArray) -> NDArray:
    n, h, w, c = images.shape
    xi, yi = x.astype(np.intp), y.astype(np.intp)
    flat = images.reshape(n * h * w, c)
    base = (np.arange(n, dtype=np.intp) * (h * w)).reshape(n, 1, 1)
    out = np.take(flat, base + _fold(yi, h, border_mode) * w + _fold(xi, w, border_mode), axis=0)
    if border_mode == "constant":
        outside = (xi < 0) | (xi >= w) | (yi < 0) | (yi >= h)
        if outside.any():
            out[outside] = fill.astype(images.dtype)
    return out


def _remap_bilinear(images: NDArray, x: NDArray, y: NDArray, border_mode: str, fill: NDArray) -> NDArray:
    n, h, w, c = images.shape
    x0f, y0f = np.floor(x), np.floor(y)
    fx, fy = x - x0f, y - y0f
    x0, y0 = x0f.astype(np.intp), y0f.astype(np.intp)
    flat = images.reshape(n * h * w, c)
    base = (np.arange(n, dtype=np.intp) * (h * w)).reshape(n, 1, 1)
    acc = np.zeros((*x.shape, c), dtype=np.float32)
    gathered, term = np.empty(acc.shape, images.dtype), np.empty(acc.shape, np.float32)  # (reused by the taps)
    fill_weight = np.zeros(x.shape, dtype=np.float32) if border_mode == "constant" else None
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        yy = y0 + dy
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            xx = x0 + dx
            weight = wx * wy
            if fill_weight is not None:
                inside = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
                fill_weight += np.where(inside, 0.0, weight)
                weight = np.where(inside, weight, 0.0)
            idx = base + _fold(yy, h, border_mode) * w + _fold(xx, w, border_mode)
            np.take(flat, idx, axis=0, out=gathered, mode="clip")  # (indices in range; 3x faster than flat[idx])
            acc += np.multiply(weight[..., None], gathered, out=term)
    if fill_weight is not None and np.any(fill_weight):
        acc += fill_weight[..., None] * fill.astype(np.float32)
    if images.dtype == np.uint8:
        return np.clip(np.rint(acc), 0, 255).astype(np.uint8)
    return acc.astype(images.dtype, copy=False)


def _index_matrices(inverse: NDArray) -> NDArray[np.float64]:
    """Continuous dst->src matrices turned into array-index dst->src matrices."""
    return _TO_INDEX @ np.asarray(inverse, dtype=np.float64) @ _TO_CONTINUOUS


#: Index coordinates -> continuous coordinates (pixel centres at +0.5), and back.
_TO_CONTINUOUS = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
_TO_INDEX = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
_AFFINE_ROW = np.array([0.0, 0.0, 1.0])


def warp_homography_image(
    images: NDArray,
    inverse: NDArray,
    out_hw: tuple[int, int],
    *,
    interpolation: str = "bilinear",
    border_mode: str = "constant",
    fill: float | tuple[float, ...] = 0.0,
    out: NDArray | None = None,
) -> NDArray:
    """Warp each image by its own 3x3 matrix (affine or perspective).

    Parameters
    ----------
    images : ndarray of shape (n, h, w, c)
    inverse : ndarray of shape (n, 3, 3)
        Destination-to-source maps in continuous coordinates.
    out_hw : (int, int)
    interpolation, border_mode, fill, out
        As in :func:`remap_image` (same results, within one grey level).

    Examples
    --------
    >>> img = np.arange(6, dtype=np.uint8).reshape(1, 2, 3, 1)
    >>> flip = np.array([[[-1.0, 0, 3], [0, 1, 0], [0, 0, 1]]])
    >>> warp_homography_image(img, flip, (2, 3))[0, ..., 0].tolist()
    [[2, 1, 0], [5, 4, 3]]
    """
    n, c = images.shape[0], images.shape[3]
    found = _cv2_for(images) if images.dtype != np.bool_ else None
    if found is None:  # exact positions, as OpenCV's warpAffine/warpPerspective
        fill_arr = np.broadcast_to(np.asarray(fill, dtype=np.float64), (c,))
        out = _output(out, (n, *out_hw, c), images.dtype)
        m = np.asarray(inverse, dtype=np.float64)
        if not (m[:, 0, 1].any() or m[:, 1, 0].any() or m[:, 2, :2].any() or (m[:, 2, 2] != 1).any()):
            return _warp_axis_aligned_numpy(images, m, interpolation, border_mode, fill_arr, out)
        per = _numpy_chunk(n, out_hw[0] * out_hw[1])
        for a in range(0, n, per):  # the coordinates of a chunk at a time (float64 maps: 16 bytes a pixel)
            x, y = homography_source_coords(m[a:a + per], out_hw)
            x, y = _sanitize(x), _sanitize(y)
            if interpolation == "nearest":
                x, y = np.floor(x + np.float32(0.5)), np.floor(y + np.float32(0.5))
            _remap_numpy(images[a:a + per], x, y, interpolation, border_mode, fill_arr, out[a:a + per])
        return out
    cv2, src = found
    h, w = out_hw
    out = _output(out, (n, h, w, c), images.dtype)
    warp_one = _cv_matrix_warper(cv2, inverse, out_hw, interpolation, border_mode, _cv_fill_of(fill, c))
    if _four_channels_wanted(c, (h, w), interpolation, src.dtype, FOUR_CHANNEL_MIN_PIXELS_MATRIX):
        _warp_four_channels(cv2, src, out, warp_one)
        return out
    for i in range(n):
        warp_one(i, *((src[i, ..., 0], out[i, ..., 0]) if c == 1 else (src[i], out[i])))
    return out


def _cv_matrix_warper(cv2: object, inverse: NDArray, out_hw: tuple[int, int], interpolation: str,
                      border_mode: str, value: tuple[float, ...]) -> Callable[[int, NDArray, NDArray], None]:
    """``warp_one(i, src, dst)``: OpenCV's warp of one image by matrix ``i`` of ``inverse``
    (``warpAffine`` where the matrix is affine, ``warpPerspective`` elsewhere)."""
    h, w = out_hw
    mats = _index_matrices(inverse)
    flags = (cv2.INTER_NEAREST if interpolation == "nearest" else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    border = getattr(cv2, _CV_BORDER[border_mode])
    affine = (mats[:, 2] == _AFFINE_ROW).all(axis=1).tolist()
    rows2 = mats[:, :2]

    def warp_one(i: int, s: NDArray, d: NDArray) -> None:  # (dst, flags, borderMode, borderValue)
        if affine[i]:
            cv2.warpAffine(s, rows2[i], (w, h), d, flags, border, value)
        else:
            cv2.warpPerspective(s, mats[i], (w, h), d, flags, border, value)

    return warp_one
