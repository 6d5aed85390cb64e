"""Kernels that change the canvas: crops, pads and resizes of whole batches.

Every sample of a batch gets the same output size; crops and pads copy pixels exactly
(no resampling), resizes sample each output pixel centre (continuous coordinates, pixel
``(row, col)`` covers ``[col, col+1) x [row, row+1)``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .degrade import _pil_resize
from .geometry import (
    _CV_BORDER,
    _cv2_for,
    _cv_fill_of,
    _warp_axis_aligned_numpy,
    invert_matrices,
    warp_homography_image,
)

__all__ = ["crop_image", "pad_image", "region_matrices", "resize_region_image"]

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "area")


def crop_image(images: NDArray, x0: NDArray, y0: NDArray, out_hw: tuple[int, int]) -> NDArray:
    """Cut an ``out_hw`` window at ``(x0[i], y0[i])`` out of image ``i`` (windows inside the image).

    Examples
    --------
    >>> img = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1)
    >>> crop_image(img, np.array([1]), np.array([2]), (2, 3))[0, ..., 0].tolist()
    [[9, 10, 11], [13, 14, 15]]
    """
    h, w = out_hw
    # corners as Python ints: on small batches a dozen NumPy reductions cost more than the copy
    xs, ys = np.asarray(x0, np.intp).tolist(), np.asarray(y0, np.intp).tolist()
    if len(xs) != images.shape[0] or len(ys) != images.shape[0]:
        raise ValueError(f"x0 and y0 need one corner per image ({images.shape[0]}), got {len(xs)} and {len(ys)}")
    if not xs:
        return np.empty((0, h, w, *images.shape[3:]), images.dtype)
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)
    if x_lo < 0 or y_lo < 0 or x_hi + w > images.shape[2] or y_hi + h > images.shape[1]:
        raise ValueError(f"crop windows of {h}x{w} leave the {images.shape[1]}x{images.shape[2]} images")
    if x_lo == x_hi and y_lo == y_hi:  # one window for all: a single slice copy
        return images[:, y_lo:y_lo + h, x_lo:x_lo + w].copy()
    out = np.empty((images.shape[0], h, w, *images.shape[3:]), images.dtype)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        out[i] = images[i, y:y + h, x:x + w]
    return out


#: Constant padding of images of at most this many pixels: the whole batch's borders filled and
#: its images copied in with NumPy (per image, 256 images: 32x32 RGB 1.3 vs 3.3 us, 64x64 3.9 vs
#: 5.1 us for OpenCV's copyMakeBorder per image; at 256x256 OpenCV's is faster, 73 vs 90 us).
PAD_NUMPY_MAX_PIXELS = 64 * 64


def pad_image(images: NDArray, pads: tuple[int, int, int, int], border_mode: str = "constant",
              fill: float | tuple[float, ...] = 0.0) -> NDArray:
    """Pad every image by ``pads = (left, top, right, bottom)`` pixels.

    ``border_mode`` is ``"constant"`` (``fill``, per channel if a tuple), ``"edge"`` (repeat the
    border pixel) or ``"reflect"`` (mirror without repeating it, as OpenCV's BORDER_REFLECT_101).

    Examples
    --------
    >>> img = np.array([[1, 2, 3]], np.uint8).reshape(1, 1, 3, 1)
    >>> pad_image(img, (2, 0, 1, 0), "reflect")[0, 0, :, 0].tolist()
    [3, 2, 1, 2, 3, 2]
    >>> pad_image(img, (1, 0, 0, 0), "constant", 9)[0, 0, :, 0].tolist()
    [9, 1, 2, 3]
    """
    left, top, right, bottom = (int(p) for p in pads)
    if border_mode not in _CV_BORDER:
        raise ValueError(f"border_mode must be 'constant', 'edge' or 'reflect', got {border_mode!r}")
    small = border_mode == "constant" and images.shape[1] * images.shape[2] <= PAD_NUMPY_MAX_PIXELS
    found = _cv2_for(images) if images.ndim == 4 and min(images.shape[1:3]) > 1 and not small else None
    if found is not None:  # OpenCV's copyMakeBorder per image: the same pixels, without np.pad's overhead
        cv2, src = found
        n, h, w, c = src.shape
        out = np.empty((n, h + top + bottom, w + left + right, c), src.dtype)
        mode = getattr(cv2, _CV_BORDER[border_mode])
        value = _cv_fill_of(fill, c)  # (checks the shape of a per-channel fill)
        for i in range(n):
            s, d = (src[i, ..., 0], out[i, ..., 0]) if c == 1 else (src[i], out[i])
            cv2.copyMakeBorder(s, top, bottom, left, right, mode, d, value)  # (dst, value) positional: cheaper
        return out.view(np.bool_) if images.dtype == np.bool_ else out
    widths = [(0, 0), (top, bottom), (left, right)] + [(0, 0)] * (images.ndim - 3)
    if border_mode == "edge":
        return np.pad(images, widths, mode="edge")
    if border_mode == "reflect":  # per axis: a 1-pixel side has nothing to mirror, so it repeats
        rows = [(0, 0), (top, bottom)] + [(0, 0)] * (images.ndim - 2)
        cols = [(0, 0), (0, 0), (left, right)] + [(0, 0)] * (images.ndim - 3)
        out = np.pad(images, rows, mode="reflect" if images.shape[1] > 1 else "edge")
        return np.pad(out, cols, mode="reflect" if images.shape[2] > 1 else "edge")
    n, h, w = images.shape[:3]
    out = np.empty((n, h + top + bottom, w + left + right, *images.shape[3:]), images.dtype)
    value = np.asarray(fill, dtype=np.float64).astype(images.dtype) if images.dtype != np.bool_ else bool(fill)
    out[:, :top] = value  # (the border only: the image is written once, below)
    out[:, top + h:] = value
    out[:, top:top + h, :left] = value
    out[:, top:top + h, left + w:] = value
    out[:, top:top + h, left:left + w] = images
    return out


def region_matrices(boxes: NDArray, out_hw: tuple[int, int]) -> NDArray[np.float64]:
    """Forward matrices that map each source region ``(x0, y0, x1, y1)`` onto an ``out_hw`` canvas.

    Examples
    --------
    >>> region_matrices(np.array([[10.0, 20.0, 30.0, 60.0]]), (20, 10))[0].tolist()
    [[0.5, 0.0, -5.0], [0.0, 0.5, -10.0], [0.0, 0.0, 1.0]]
    """
    boxes = np.asarray(boxes, np.float64)
    h, w = out_hw
    sx = w / (boxes[:, 2] - boxes[:, 0])
    sy = h / (boxes[:, 3] - boxes[:, 1])
    m = np.zeros((len(boxes), 3, 3))
    m[:, 0, 0], m[:, 0, 2] = sx, -boxes[:, 0] * sx
    m[:, 1, 1], m[:, 1, 2] = sy, -boxes[:, 1] * sy
    m[:, 2, 2] = 1.0
    return m


def _nearest_regions(images: NDArray, boxes: NDArray, out_hw: tuple[int, int]) -> NDArray:
    """Nearest resampling of regions ``boxes`` (n, 4): the source pixel holding each output pixel
    centre. Indices for all images at once; one gather for the batch when every image has the
    same region (Resize, LongestMaxSize, CenterCrop): per-image index arithmetic cost ~40 us."""
    h, w = out_hw
    src_h, src_w = images.shape[1:3]
    x0, y0, x1, y1 = (boxes[:, k:k + 1] for k in range(4))
    cols = np.floor(x0 + (np.arange(w) + 0.5) * ((x1 - x0) / w)).astype(np.intp)
    rows = np.floor(y0 + (np.arange(h) + 0.5) * ((y1 - y0) / h)).astype(np.intp)
    np.minimum(np.maximum(cols, 0, out=cols), src_w - 1, out=cols)
    np.minimum(np.maximum(rows, 0, out=rows), src_h - 1, out=rows)
    if len(boxes) and (boxes == boxes[0]).all():
        return images.take(rows[0], axis=1).take(cols[0], axis=2)
    out = np.empty((images.shape[0], h, w, *images.shape[3:]), images.dtype)
    for i in range(len(boxes)):
        out[i] = images[i].take(rows[i], axis=0).take(cols[i], axis=1)
    return out


def resize_region_image(images: NDArray, boxes: NDArray, out_hw: tuple[int, int],
                        interpolation: str = "bilinear") -> NDArray:
    """Resample region ``boxes[i] = (x0, y0, x1, y1)`` of image ``i`` onto an ``out_hw`` canvas.

    ``"bilinear"`` samples the source at each output pixel centre (the border pixel is repeated
    outside, as ``cv2.resize``); ``"nearest"`` takes the source pixel that contains each output
    pixel centre (index arithmetic: the same on every backend, so masks agree exactly). Both
    alias when shrinking by more than 2x.
    ``"area"`` averages the source pixels under each output pixel (Pillow's BOX filter):
    antialiased, the right choice for large reductions.

    Examples
    --------
    >>> img = np.array([[0, 100, 200, 100]], np.uint8).reshape(1, 1, 4, 1)
    >>> resize_region_image(img, np.array([[0.0, 0.0, 4.0, 1.0]]), (1, 2), "area")[0, 0, :, 0].tolist()
    [50, 150]
    >>> resize_region_image(img, np.array([[0.0, 0.0, 4.0, 1.0]]), (1, 8), "nearest")[0, 0, :, 0].tolist()
    [0, 0, 100, 100, 200, 200, 100, 100]
    """
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {RESIZE_INTERPOLATIONS}, got {interpolation!r}")
    boxes = np.asarray(boxes, np.float64)
    h, w = out_hw
    if interpolation == "nearest":
        return _nearest_regions(images, boxes.reshape(-1, 4), out_hw)
    if interpolation == "area":
        out = np.empty((images.shape[0], h, w, images.shape[3]), images.dtype)
        for i, box in enumerate(boxes.tolist()):
            out[i] = _pil_resize(images[i], (w, h), "area", box=tuple(box))
        return out
    found = _cv2_for(images)
    if found is not None and np.all(boxes == np.round(boxes)):  # whole-pixel regions: cv2.resize of a view
        cv2, src = found
        n, c = src.shape[0], src.shape[3]
        out = np.empty((n, h, w, c), src.dtype)
        for i, (x0, y0, x1, y1) in enumerate(boxes.astype(np.intp).tolist()):
            s, d = (src[i, y0:y1, x0:x1, 0], out[i, ..., 0]) if c == 1 else (src[i, y0:y1, x0:x1], out[i])
            cv2.resize(s, (w, h), d, 0.0, 0.0, cv2.INTER_LINEAR)  # (dst, fx, fy, interpolation)
        return out.view(np.bool_) if images.dtype == np.bool_ else out
    inverse = invert_matrices(region_matrices(boxes, out_hw))
    if np.all(boxes == np.round(boxes)) and images.dtype != np.bool_:
        # whole-pixel regions: read from the region only, its own border pixel repeated outside it
        # (as cv2.resize of the crop), not the image's pixels next to it
        n, c = images.shape[0], images.shape[3]
        out = np.empty((n, h, w, c), images.dtype)
        return _warp_axis_aligned_numpy(images, inverse, interpolation, "edge", np.zeros(c), out,
                                        regions=boxes.astype(np.intp))
    return warp_homography_image(images, inverse, out_hw, interpolation=interpolation, border_mode="edge")
