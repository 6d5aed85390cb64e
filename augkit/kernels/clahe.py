"""Contrast-limited adaptive histogram equalisation (CLAHE), for whole batches.

The algorithm is OpenCV's (``cv2.createCLAHE``): the image is cut into a grid of tiles (padded
at the bottom/right by reflection when the size is not a multiple of the grid); each tile's
256-bin histogram is clipped at ``clip_limit`` times its mean bin count, the excess spread over
all bins, and its cumulative sum scaled to a lookup table; every pixel reads the four nearest
tiles' tables and blends them bilinearly. The NumPy version here does all tiles of all images
at once and gives OpenCV's results; with OpenCV installed, ``cv2.createCLAHE`` runs instead (one
call per image: faster, since small tiles make the tables far larger than the images).

Colour images are equalised on their luma (BT.601, ``0.299 R + 0.587 G + 0.114 B``; for uint8
in OpenCV's 15-bit fixed point, so that both paths compute the same levels): the luma change is
added to every colour channel, which keeps the chroma (Cb, Cr).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .backend import opencv

__all__ = ["clahe_gray", "clahe_image"]

LUMA = np.array([0.299, 0.587, 0.114], np.float32)
#: OpenCV's RGB -> grey weights for uint8 (``cv2.COLOR_RGB2GRAY``), in units of 2**-15.
LUMA_Q15 = (9798, 19235, 3735)


def luma_uint8(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """BT.601 luma of uint8 RGB ``(n, H, W, 3+)`` exactly as ``cv2.COLOR_RGB2GRAY`` rounds it.

    Examples
    --------
    >>> luma_uint8(np.array([[[[255, 0, 0], [10, 200, 30]]]], np.uint8)).tolist()
    [[[76, 124]]]
    """
    cv2 = opencv()
    n, h, w = rgb.shape[:3]
    if cv2 is not None:  # the whole batch as one tall image
        tall = np.ascontiguousarray(rgb[..., :3]).reshape(n * h, w, 3)
        return cv2.cvtColor(tall, cv2.COLOR_RGB2GRAY).reshape(n, h, w)
    acc = rgb[..., 0].astype(np.int32) * LUMA_Q15[0]
    acc += rgb[..., 1].astype(np.int32) * LUMA_Q15[1]
    acc += rgb[..., 2].astype(np.int32) * LUMA_Q15[2]
    return ((acc + (1 << 14)) >> 15).astype(np.uint8)


def _tile_luts(gray: NDArray[np.uint8], clip_limits: NDArray, grid: tuple[int, int]) -> tuple[NDArray, tuple[int, int]]:
    """Clipped-histogram lookup tables ``(n, tiles_y, tiles_x, 256)`` and the tile size."""
    n, h, w = gray.shape
    gy, gx = grid
    pad_y = pad_x = 0
    if h % gy or w % gx:  # as OpenCV: extend by reflection (BORDER_REFLECT_101) for the histograms,
        pad_y, pad_x = gy - h % gy, gx - w % gx  # by a whole grid count on an axis that already divides
        ry = np.concatenate([np.arange(h), h - 2 - np.arange(pad_y)]) if h > 1 else np.zeros(h + pad_y, np.intp)
        rx = np.concatenate([np.arange(w), w - 2 - np.arange(pad_x)]) if w > 1 else np.zeros(w + pad_x, np.intp)
        gray = gray[:, np.abs(ry)][:, :, np.abs(rx)]
    th, tw = gray.shape[1] // gy, gray.shape[2] // gx
    area = th * tw
    tiles = gray.reshape(n, gy, th, gx, tw).transpose(0, 1, 3, 2, 4).reshape(n * gy * gx, area)
    offsets = (np.arange(n * gy * gx, dtype=np.int64) * 256)[:, None]
    hist = np.bincount((tiles + offsets).ravel(), minlength=n * gy * gx * 256).reshape(n * gy * gx, 256)
    limit = np.maximum((np.asarray(clip_limits, np.float64) * area / 256).astype(np.int64), 1)
    limit = np.repeat(limit, gy * gx)[:, None]
    excess = np.maximum(hist - limit, 0).sum(axis=1, keepdims=True)
    hist = np.minimum(hist, limit) + excess // 256
    residual = excess % 256
    step = np.maximum(256 // np.maximum(residual, 1), 1)
    bins = np.arange(256)[None, :]
    hist += ((bins % step == 0) & (bins // step < residual)).astype(hist.dtype)
    luts = np.rint(np.cumsum(hist, axis=1) * (255.0 / area))
    return np.minimum(luts, 255).astype(np.float32).reshape(n, gy, gx, 256), (th, tw)


def _axis(size: int, tile: int, tiles: int) -> tuple[NDArray, NDArray, NDArray]:
    pos = np.arange(size, dtype=np.float32) * np.float32(1.0 / tile) - np.float32(0.5)
    lo = np.floor(pos)
    frac = pos - lo
    lo = lo.astype(np.intp)
    return np.maximum(lo, 0), np.minimum(lo + 1, tiles - 1), frac


def clahe_gray(gray: NDArray[np.uint8], clip_limits: NDArray, grid: tuple[int, int] = (8, 8)) -> NDArray[np.uint8]:
    """CLAHE of grey uint8 images ``(n, H, W)``, each with its own clip limit (NumPy).

    Examples
    --------
    >>> img = np.tile(np.repeat(np.arange(100, 132, dtype=np.uint8), 2), (64, 1))[None]
    >>> out = clahe_gray(img, np.array([40.0]))
    >>> int(img.max()) - int(img.min()), int(out.max()) - int(out.min())   # a dull ramp spread out
    (31, 131)
    """
    n, h, w = gray.shape
    luts, (th, tw) = _tile_luts(gray, clip_limits, grid)
    y1, y2, ya = _axis(h, th, grid[0])
    x1, x2, xa = _axis(w, tw, grid[1])
    flat = luts.reshape(-1)
    base = (np.arange(n) * (grid[0] * grid[1] * 256))[:, None, None] + gray.astype(np.intp)
    row1, row2 = (y1 * grid[1] * 256)[:, None], (y2 * grid[1] * 256)[:, None]
    col1, col2 = (x1 * 256)[None, :], (x2 * 256)[None, :]
    xa, ya = xa[None, :], ya[:, None]
    top = flat[base + row1 + col1] * (1 - xa) + flat[base + row1 + col2] * xa
    bottom = flat[base + row2 + col1] * (1 - xa) + flat[base + row2 + col2] * xa
    return np.clip(np.rint(top * (1 - ya) + bottom * ya), 0, 255).astype(np.uint8)


#: Histogram bins and pixels per chunk of images on the NumPy path (its temporaries: a few
#: arrays of each). Chunks of 4-16 32x32 images or 1-4 256x256 ones ran 2x faster than the
#: whole benchmark batch at once, and peak memory fell from 151x to ~5x a 32x32 batch.
CLAHE_CHUNK_BINS = 1 << 17
CLAHE_CHUNK_PIXELS = 1 << 17


def _clahe_gray_any(gray: NDArray[np.uint8], clip_limits: NDArray, grid: tuple[int, int]) -> NDArray[np.uint8]:
    cv2 = opencv()
    if cv2 is None:  # a few images at a time: each has grid tables of 256 int64 bins (~128 KB for 8x8)
        out = np.empty_like(gray)
        limits = np.asarray(clip_limits, np.float64)
        per = max(1, min(CLAHE_CHUNK_BINS // (grid[0] * grid[1] * 256), CLAHE_CHUNK_PIXELS // gray[0].size))
        for a in range(0, len(gray), per):
            out[a:a + per] = clahe_gray(gray[a:a + per], limits[a:a + per], grid)
        return out
    out = np.empty_like(gray)
    clahe = cv2.createCLAHE(tileGridSize=(grid[1], grid[0]))  # one object, its clip limit set per image
    for i, limit in enumerate(np.asarray(clip_limits, np.float64).tolist()):
        clahe.setClipLimit(limit)
        clahe.apply(gray[i], dst=out[i])
    return out


def clahe_image(images: NDArray, clip_limits: NDArray, grid: tuple[int, int] = (8, 8)) -> NDArray:
    """CLAHE of a batch ``(n, H, W, C)``: grey images directly, colour ones on their luma.

    uint8 or float32 in [0, 1] (float images are equalised on 256 levels of luma; the luma change
    is added in full precision). Alpha is kept.

    Examples
    --------
    >>> rgb = np.zeros((1, 16, 16, 3), np.uint8); rgb[..., 0] = 120; rgb[:, :, 8:, 0] = 130
    >>> out = clahe_image(rgb, np.array([40.0]), (2, 2))
    >>> np.unique(out[0, ..., 0].astype(int) - out[0, ..., 1]).tolist()   # chroma kept: R - G as before
    [120, 130]
    """
    channels = images.shape[3]
    colour = channels >= 3
    if colour and images.dtype == np.uint8:  # integer path: luma, its new levels, one shift per pixel
        luma = luma_uint8(images)
        delta = _clahe_gray_any(luma, clip_limits, grid).astype(np.int16) - luma
        out = images.copy()
        n, h, w = luma.shape
        per = max(1, (1 << 16) // (h * w))  # int16 sums in chunks: temporaries well under the batch
        for a in range(0, n, per):
            b = min(n, a + per)
            out[a:b, ..., :3] = np.clip(images[a:b, ..., :3] + delta[a:b, ..., None], 0, 255)
        return out
    if not colour and images.dtype == np.uint8:  # grey levels are equalised as they are
        out = images.copy()
        out[..., 0] = _clahe_gray_any(np.ascontiguousarray(images[..., 0]), clip_limits, grid)
        return out
    full = 255.0 if images.dtype == np.uint8 else 1.0
    if colour:
        luma = images[..., :3].astype(np.float32) @ LUMA
    else:
        luma = images[..., 0].astype(np.float32)
    levels = np.clip(np.rint(luma * np.float32(255.0 / full)), 0, 255).astype(np.uint8)
    equalised = _clahe_gray_any(levels, clip_limits, grid).astype(np.float32) * np.float32(full / 255.0)
    if not colour:
        new = equalised[..., None]
        if images.dtype == np.uint8:
            return np.concatenate([new.astype(np.uint8), images[..., 1:]], axis=3) if channels > 1 else new.astype(
                np.uint8)
        return np.concatenate([new, images[..., 1:]], axis=3).astype(images.dtype) if channels > 1 else new
    delta = (equalised - luma)[..., None]
    out = images.copy()
    shifted = images[..., :3].astype(np.float32) + delta
    if images.dtype == np.uint8:
        out[..., :3] = np.clip(np.rint(shifted), 0, 255).astype(np.uint8)
    else:
        out[..., :3] = np.clip(shifted, 0.0, 1.0)
    return out
