"""Noise kernels with one reproducible per-pixel stream per sample (seeded from the params)."""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

from .color import color_channels
from .geometry import CHUNK_PIXELS
from .streams import per_sample_generators

__all__ = ["gaussian_noise_image", "normal_table", "salt_pepper_image"]

#: Entries of the inverse-CDF table that Gaussian image noise is drawn from.
NORMAL_TABLE_SIZE = 1 << 16


@cache
def normal_table() -> NDArray[np.float32]:
    """Standard normal quantiles at ``(i + 0.5) / 65536``: noise is drawn by indexing it with
    uniform 16-bit integers, three times faster than NumPy's ziggurat. The distribution is the
    normal one quantised in probability steps of 1/65536 and cut at +-4.32 standard deviations
    (std 0.99999), which no 8-bit image can tell apart.

    Examples
    --------
    >>> t = normal_table()
    >>> len(t), round(float(t.std()), 4), round(float(t.max()), 2)
    (65536, 1.0, 4.32)
    """
    from scipy.special import ndtri

    return ndtri((np.arange(NORMAL_TABLE_SIZE) + 0.5) / NORMAL_TABLE_SIZE).astype(np.float32)


def gaussian_noise_image(images: NDArray, stds: NDArray, seeds: NDArray, *, per_channel: bool = True) -> NDArray:
    """Add zero-mean Gaussian noise of ``stds[i]`` (a fraction of full scale) to image ``i``.

    Colour channels only (alpha kept); results saturate at the ends of the range like every
    photometric kernel (uint8 0..255, float32 0..1). ``per_channel=False`` adds the same
    noise to every colour channel (luminance noise).

    Examples
    --------
    >>> x = np.full((1, 64, 64, 1), 0.5, np.float32)
    >>> out = gaussian_noise_image(x, np.array([0.1]), np.array([7]))
    >>> round(float(out.std()), 2)
    0.1
    """
    n, h, w, c = images.shape
    color = color_channels(c)
    full = np.float32(255.0 if images.dtype == np.uint8 else 1.0)
    out = np.empty_like(images)
    stds = np.asarray(stds, dtype=np.float32) * full
    gens = per_sample_generators(seeds)
    table = normal_table()
    per = max(1, min(CHUNK_PIXELS // (h * w), -(-n // 4)))  # bounded float temporaries
    for a in range(0, n, per):  # draw per sample (exact replay), then add for a whole chunk at once
        b = min(n, a + per)
        noise = np.empty((b - a, h, w, color if per_channel else 1), np.float32)
        count = noise[0].size
        for k in range(b - a):  # 16-bit table indices straight from the bit generator's raw output
            raw = next(gens).bit_generator.random_raw(-(-count // 4))
            draws = raw.view(np.uint16)[:count].reshape(noise.shape[1:])
            np.take(table, draws, out=noise[k], mode="clip")
        noise *= stds[a:b, None, None, None]
        noisy = images[a:b, ..., :color] + noise
        if images.dtype == np.uint8:
            np.rint(noisy, out=noisy)
        np.clip(noisy, 0, full, out=noisy)
        out[a:b, ..., :color] = noisy
    if color < c:
        out[..., color:] = images[..., color:]
    return out


def salt_pepper_image(images: NDArray, amounts: NDArray, salt_ratios: NDArray, seeds: NDArray) -> NDArray:
    """Set a fraction ``amounts[i]`` of pixels to white (share ``salt_ratios[i]``) or black.

    A pixel is hit in all its colour channels at once; alpha is kept.

    Examples
    --------
    >>> x = np.full((1, 100, 100, 1), 128, np.uint8)
    >>> out = salt_pepper_image(x, np.array([0.1]), np.array([0.5]), np.array([3]))
    >>> round(float((out != 128).mean()), 2), sorted(np.unique(out).tolist())
    (0.1, [0, 128, 255])
    """
    n, h, w, c = images.shape
    color = color_channels(c)
    full = 255 if images.dtype == np.uint8 else 1.0
    out = images.copy()
    gens = per_sample_generators(seeds)
    amounts = np.asarray(amounts, dtype=np.float32).reshape(-1, 1, 1)
    salts = amounts * np.asarray(salt_ratios, dtype=np.float32).reshape(-1, 1, 1)
    per = max(1, min(CHUNK_PIXELS // (h * w), -(-n // 4)))  # bounded float temporaries
    for a in range(0, n, per):
        b = min(n, a + per)
        u = np.empty((b - a, h, w), np.float32)
        for k in range(b - a):
            next(gens).random((h, w), dtype=np.float32, out=u[k])
        view = out[a:b, ..., :color]
        view[u < salts[a:b]] = full
        view[(u >= salts[a:b]) & (u < amounts[a:b])] = 0
    return out
