"""Noise kernels with one reproducible per-pixel stream per sample (seeded from the params)."""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

from .color import color_channels, encode_linear_uint8, linear_to_srgb, srgb_tables, srgb_to_linear
from .geometry import _cv2_for
from .streams import random_bits

__all__ = ["gaussian_noise_image", "normal_table", "salt_pepper_image", "sensor_noise_image"]

#: Entries of the inverse-CDF table that Gaussian image noise is drawn from.
NORMAL_TABLE_SIZE = 1 << 16
#: Pixels per chunk of the noise kernels: random words, noise, table indices and masks of a
#: chunk stay in the core's cache, and a call's temporaries stay well under the batch's size.
NOISE_CHUNK_PIXELS = 1 << 14


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
    photometric kernel (uint8 0..255, float32 0..1). For uint8 the noise is rounded to whole
    levels (half to even) before it is added.
    ``per_channel=False`` adds the same noise to every colour channel (luminance noise). The
    noise of image ``i`` is drawn from its own stream (:func:`~augkit.kernels.streams.random_bits`
    of ``seeds[i]``) as 16-bit indices into :func:`normal_table`, for many images at once.

    Examples
    --------
    >>> x = np.full((1, 64, 64, 1), 0.5, np.float32)
    >>> out = gaussian_noise_image(x, np.array([0.1]), np.array([7]))
    >>> round(float(out.std()), 2)
    0.1
    """
    n, h, w, c = images.shape
    color = color_channels(c)
    cc = color if per_channel else 1
    full = np.float32(255.0 if images.dtype == np.uint8 else 1.0)
    out = np.empty_like(images)
    stds = np.asarray(stds, dtype=np.float32) * full
    seeds = np.asarray(seeds)
    table = normal_table()
    count = h * w * cc  # 16-bit draws per image, four to a 64-bit word
    found = _cv2_for(images) if images.dtype == np.uint8 and cc == color == c else None
    per = max(1, min(n, NOISE_CHUNK_PIXELS // (h * w)))
    for a in range(0, n, per):
        b = min(n, a + per)
        draws = random_bits(seeds[a:b], -(-count // 4)).view(np.uint16)[:, :count]
        noise = table.take(draws, mode="clip").reshape(b - a, h, w, cc)
        noise *= stds[a:b, None, None, None]
        if found is not None:  # OpenCV rounds the noise (half to even) and adds with saturation, in one pass
            cv2 = found[0]
            shape = ((b - a) * h, w) if c == 1 else ((b - a) * h, w, c)
            cv2.add(images[a:b].reshape(shape), noise.reshape(shape), dst=out[a:b].reshape(shape), dtype=cv2.CV_8U)
            continue
        if images.dtype == np.uint8:
            np.rint(noise, out=noise)
        noisy = images[a:b, ..., :color] + noise
        np.clip(noisy, 0, full, out=noisy)
        out[a:b, ..., :color] = noisy
    if color < c:
        out[..., color:] = images[..., color:]
    return out


def salt_pepper_image(images: NDArray, amounts: NDArray, salt_ratios: NDArray, seeds: NDArray) -> NDArray:
    """Set a fraction ``amounts[i]`` of pixels to white (share ``salt_ratios[i]``) or black.

    A pixel is hit in all its colour channels at once; alpha is kept. Pixel ``p`` of image ``i``
    draws ``u``, the ``p``-th 16-bit quarter (low quarter of each word first) of the stream
    :func:`~augkit.kernels.streams.random_bits` of ``seeds[i]``: it turns white when
    ``u < round(65536 * amounts[i] * salt_ratios[i])``, else black when
    ``u < round(65536 * amounts[i])`` (rates within 1/131072 of the asked ones).

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
    seeds = np.asarray(seeds)
    amounts = np.asarray(amounts, dtype=np.float64)
    # thresholds on 16-bit draws, as uint32 (an amount of 1 needs 65536)
    hits = np.rint(amounts * 65536.0).astype(np.uint32).reshape(-1, 1, 1)
    salts = np.rint(amounts * np.asarray(salt_ratios, dtype=np.float64) * 65536.0).astype(np.uint32).reshape(-1, 1, 1)
    per = max(1, min(n, NOISE_CHUNK_PIXELS // (h * w)))
    for a in range(0, n, per):
        b = min(n, a + per)
        words = random_bits(seeds[a:b], -(-(h * w) // 4)).astype("<u8", copy=False)  # (no copy on little-endian)
        u = words.view("<u2")[:, : h * w].reshape(b - a, h, w)  # four draws a word, low quarter first
        salt = u < salts[a:b]
        pepper = u < hits[a:b]
        pepper ^= salt  # (salt implies a hit)
        if color == 1:  # (a masked copy: 3.7x faster than boolean-index assignment here, 32x32 grey)
            np.copyto(out[a:b, ..., 0], full, where=salt)
            np.copyto(out[a:b, ..., 0], 0, where=pepper)
        else:  # (a masked copy broadcast over the channels is the slower one)
            view = out[a:b, ..., :color]
            view[salt] = full
            view[pepper] = 0
    return out


def sensor_noise_image(images: NDArray, white_photons: NDArray, read_stds: NDArray, seeds: NDArray, *,
                       per_channel: bool = True) -> NDArray:
    """Camera noise on sRGB images: photon shot noise plus read noise, added in linear light.

    Image ``i``'s colour channels are decoded to linear light ``x``; a pixel collects
    ``x * white_photons[i]`` photons on average, so its shot noise has variance
    ``x / white_photons[i]`` in intensity units (a Poisson count, drawn here as a Gaussian of
    that mean and variance: close to Poisson above ~10 photons); read noise adds a constant
    variance ``read_stds[i] ** 2``. The result is clipped to [0, 1] (the sensor's black and
    white) and encoded again. Noise draws as :func:`gaussian_noise_image` (image ``i``'s own
    stream from ``seeds[i]``); ``per_channel=False`` uses one draw per pixel for all its colour
    channels (each still scaled by its own variance). Alpha is kept.

    Examples
    --------
    >>> x = np.full((1, 64, 64, 1), 0.5, np.float32)
    >>> out = sensor_noise_image(x, np.array([200.0]), np.array([0.0]), np.array([7]))
    >>> lin = srgb_to_linear(out)                     # linear light 0.214 on average, std sqrt(0.214 / 200)
    >>> round(float(lin.mean()), 2), round(float(lin.std()), 3)
    (0.21, 0.033)
    """
    n, h, w, c = images.shape
    color = color_channels(c)
    cc = color if per_channel else 1
    out = np.empty_like(images)
    inv_photons = (1.0 / np.asarray(white_photons, np.float64)).astype(np.float32)
    read_var = np.square(np.asarray(read_stds, np.float64)).astype(np.float32)
    seeds = np.asarray(seeds)
    table = normal_table()
    decode = srgb_tables()[0]
    count = h * w * cc
    per = max(1, min(n, NOISE_CHUNK_PIXELS // (h * w)))
    for a in range(0, n, per):
        b = min(n, a + per)
        src = images[a:b, ..., :color]
        linear = decode.take(src, mode="clip") if images.dtype == np.uint8 else srgb_to_linear(
            src.astype(np.float32))
        draws = random_bits(seeds[a:b], -(-count // 4)).view(np.uint16)[:, :count]
        noise = table.take(draws, mode="clip").reshape(b - a, h, w, cc)
        std = linear * inv_photons[a:b, None, None, None]
        std += read_var[a:b, None, None, None]
        np.sqrt(std, out=std)
        std *= noise  # (broadcast over the colour channels when the draws are shared)
        linear += std
        np.clip(linear, 0.0, 1.0, out=linear)
        if images.dtype == np.uint8:
            out[a:b, ..., :color] = encode_linear_uint8(linear)
        else:
            out[a:b, ..., :color] = linear_to_srgb(linear)
    if color < c:
        out[..., color:] = images[..., color:]
    return out
