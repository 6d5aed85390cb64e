"""Photometric kernels on batches ``(n, H, W, C)`` with one parameter per sample.

uint8 images go through a per-sample 256-entry lookup table (exact, saturating at 0 and
255); float32 images are expected in [0, 1] and are computed in float and clipped to that
range, the float analogue of uint8 saturation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["adjust_brightness_image", "adjust_contrast_image", "adjust_gamma_image", "apply_lut_image", "luma_mean"]

#: ITU-R BT.601 luma weights, as used by Pillow's ``convert("L")``.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])


def luma_mean(images: NDArray) -> NDArray[np.float64]:
    """Mean luma of each image, shape ``(n,)``; 1 or 2 channels count as grey (+alpha).

    For uint8 the mean is rounded to an integer grey level as Pillow's
    ``ImageEnhance.Contrast`` does.

    Examples
    --------
    >>> luma_mean(np.full((1, 2, 2, 3), 100, np.uint8))
    array([100.])
    """
    n, _, _, c = images.shape
    if c >= 3:
        sums = images[..., :3].reshape(n, -1, 3).sum(axis=1, dtype=np.float64)
        mean = sums @ LUMA_WEIGHTS / (images.shape[1] * images.shape[2])
    else:
        mean = images[..., 0].reshape(n, -1).mean(axis=1, dtype=np.float64)
    return np.floor(mean + 0.5) if images.dtype == np.uint8 else mean


def apply_lut_image(images: NDArray[np.uint8], luts: NDArray) -> NDArray[np.uint8]:
    """Map each uint8 image through its own 256-entry table ``luts[i]`` (color channels only).

    A 4th (alpha) channel is left as it is.

    Examples
    --------
    >>> img = np.array([[[[0], [255]]]], np.uint8)
    >>> apply_lut_image(img, (255 - np.arange(256))[None]).ravel().tolist()
    [255, 0]
    """
    luts = np.clip(np.rint(luts), 0, 255).astype(np.uint8)
    out = np.empty_like(images)
    color = 3 if images.shape[-1] == 4 else images.shape[-1]
    for i in range(images.shape[0]):
        out[i, ..., :color] = luts[i][images[i, ..., :color]]
    if color < images.shape[-1]:
        out[..., color:] = images[..., color:]
    return out


def _affine_pixels(images: NDArray, scale: NDArray, offset: NDArray) -> NDArray:
    """``x * scale + offset`` per sample on color channels; LUT for uint8, float otherwise."""
    n = images.shape[0]
    if images.dtype == np.uint8:
        levels = np.arange(256, dtype=np.float64)
        return apply_lut_image(images, levels[None, :] * scale[:, None] + offset[:, None])
    out = images.astype(np.float32, copy=True)
    color = 3 if images.shape[-1] == 4 else images.shape[-1]
    shape = (n, 1, 1, 1)
    out[..., :color] = np.clip(out[..., :color] * scale.reshape(shape).astype(np.float32)
                               + offset.reshape(shape).astype(np.float32), 0.0, 1.0)
    return out


def adjust_contrast_image(images: NDArray, factors: NDArray) -> NDArray:
    """Scale each image's deviation from its mean luma by ``factors[i]``.

    ``out = mean + factor * (x - mean)``, matching Pillow's ``ImageEnhance.Contrast``.

    Examples
    --------
    >>> img = np.array([[[[50], [150]]]], np.uint8)
    >>> adjust_contrast_image(img, np.array([2.0])).ravel().tolist()
    [0, 200]
    """
    factors = np.asarray(factors, dtype=np.float64)
    mean = luma_mean(images)
    return _affine_pixels(images, factors, mean * (1.0 - factors))


def adjust_brightness_image(images: NDArray, deltas: NDArray) -> NDArray:
    """Add ``deltas[i]`` (a fraction of full scale: 255 for uint8, 1 for float) to image ``i``.

    Examples
    --------
    >>> adjust_brightness_image(np.array([[[[100]]]], np.uint8), np.array([0.2])).item()
    151
    """
    deltas = np.asarray(deltas, dtype=np.float64)
    full = 255.0 if images.dtype == np.uint8 else 1.0
    return _affine_pixels(images, np.ones_like(deltas), deltas * full)


def adjust_gamma_image(images: NDArray, gammas: NDArray) -> NDArray:
    """Apply ``out = full * (x / full) ** gamma`` with one gamma per image.

    Examples
    --------
    >>> adjust_gamma_image(np.array([[[[64]]]], np.uint8), np.array([0.5])).item()
    128
    """
    gammas = np.asarray(gammas, dtype=np.float64)
    if images.dtype == np.uint8:
        levels = np.arange(256, dtype=np.float64) / 255.0
        return apply_lut_image(images, 255.0 * levels[None, :] ** gammas[:, None])
    out = images.astype(np.float32, copy=True)
    color = 3 if images.shape[-1] == 4 else images.shape[-1]
    base = np.clip(out[..., :color], 0.0, 1.0)
    out[..., :color] = base ** gammas.reshape(-1, 1, 1, 1).astype(np.float32)
    return out
