"""Photometric kernels on batches ``(n, H, W, C)`` with one parameter per sample.

uint8 images go through a per-sample 256-entry lookup table (exact, saturating at 0 and
255); float32 images are expected in [0, 1] and are computed in float and clipped to that
range, the float analogue of uint8 saturation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import NDArray

from .backend import opencv, stringzilla

__all__ = [
    "adjust_brightness_image",
    "adjust_contrast_image",
    "adjust_gamma_image",
    "apply_lut_image",
    "channel_sums",
    "color_channels",
    "encode_linear_uint8",
    "equalize_image",
    "equalize_luts",
    "illuminate_image",
    "invert_image",
    "linear_to_srgb",
    "luma_mean",
    "posterize_image",
    "scale_light_image",
    "srgb_tables",
    "srgb_to_linear",
    "to_gray_image",
]

#: log(level / 255) for the 256 uint8 levels (log 0 = -inf, so level 0 stays 0 under any gamma).
_LOG_LEVELS = np.concatenate([[-np.inf], np.log(np.arange(1, 256) / 255.0)])

#: ITU-R BT.601 luma weights, as used by Pillow's ``convert("L")``.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])


def color_channels(channels: int) -> int:
    """How many leading channels carry colour: grey (1), grey+alpha (2 -> 1), RGB (3), RGBA (4 -> 3).

    Examples
    --------
    >>> [color_channels(c) for c in (1, 2, 3, 4)]
    [1, 1, 3, 3]
    """
    return {2: 1, 4: 3}.get(channels, channels)


def channel_sums(images: NDArray) -> NDArray[np.float64]:
    """Exact per-image, per-channel sums, shape ``(n, c)`` (OpenCV's ``sumElems`` when available)."""
    n, c = images.shape[0], images.shape[3]
    cv2 = opencv() if c <= 4 and images.dtype in (np.uint8, np.float32) else None
    if cv2 is not None:
        return np.array([cv2.sumElems(img)[:c] for img in images], dtype=np.float64).reshape(n, c)
    pixels = images.reshape(n, -1, c)
    # rows of 256 pixels summed down the image (a contiguous 768-wide add: 14x faster than
    # reducing the pixel axis, whose inner axis is the channels), then the 256 columns
    main = pixels.shape[1] // 256 * 256
    # uint8: exact integer sums (uint32 holds 16M rows of 255); float: float64 sums
    rows, total = (np.uint32, np.uint64) if images.dtype == np.uint8 else (np.float64, np.float64)
    sums = pixels[:, :main].reshape(n, -1, 256 * c).sum(axis=1, dtype=rows).reshape(n, 256, c).sum(axis=1, dtype=total)
    return (sums + pixels[:, main:].sum(axis=1, dtype=total)).astype(np.float64)


def luma_mean(images: NDArray) -> NDArray[np.float64]:
    """Mean luma of each image, shape ``(n,)``; 1 or 2 channels count as grey (+alpha).

    For uint8 the mean is rounded to an integer grey level as Pillow's
    ``ImageEnhance.Contrast`` does.

    Examples
    --------
    >>> luma_mean(np.full((1, 2, 2, 3), 100, np.uint8))
    array([100.])
    """
    sums = channel_sums(images)
    pixels = images.shape[1] * images.shape[2]
    if color_channels(images.shape[3]) == 3:
        mean = sums[:, :3] @ LUMA_WEIGHTS / pixels
    else:
        mean = sums[:, 0] / pixels
    return np.floor(mean + 0.5) if images.dtype == np.uint8 else mean


def _uint8_tables(luts: NDArray) -> NDArray[np.uint8]:
    """Tables rounded to uint8 levels (rint, then clipped), a block of rows at a time: small
    batches of small images would otherwise hold several float copies of ``n x 256`` entries."""
    luts = np.asarray(luts)
    if luts.dtype == np.uint8:
        return luts
    out = np.empty(luts.shape, np.uint8)
    for s in range(0, len(luts), _TABLE_BLOCK):
        out[s:s + _TABLE_BLOCK] = _round_levels(np.array(luts[s:s + _TABLE_BLOCK], dtype=np.float32))
    return out


#: Rows of float tables made at once (small batches of small images would otherwise hold
#: a float32 copy of every table: as many bytes as a 256 KB batch of 32x32 grey images).
_TABLE_BLOCK = 64


def _round_levels(block: NDArray[np.float32]) -> NDArray[np.float32]:
    """rint, then clip to [0, 255], in place (np.clip without its overhead)."""
    np.rint(block, out=block)
    return np.minimum(np.maximum(block, 0, out=block), 255, out=block)


def apply_lut_image(images: NDArray[np.uint8], luts: NDArray) -> NDArray[np.uint8]:
    """Map each uint8 image through its own 256-entry table ``luts[i]`` (colour channels only).

    An alpha channel (the 2nd of 2, the 4th of 4) is left as it is.

    Examples
    --------
    >>> img = np.array([[[[0], [255]]]], np.uint8)
    >>> apply_lut_image(img, (255 - np.arange(256))[None]).ravel().tolist()
    [255, 0]
    """
    luts = _uint8_tables(luts)
    n, c = images.shape[0], images.shape[3]
    color = color_channels(c)
    out = np.empty_like(images)
    sz, cv2 = stringzilla(), opencv()
    if sz is not None and images.flags.c_contiguous and n:
        size = images[0].size
        src, dst, tables = memoryview(images.reshape(-1)), memoryview(out.reshape(-1)), memoryview(luts.reshape(-1))
        for i in range(n):
            a = i * size
            sz.translate(src[a:a + size], tables[i * 256:(i + 1) * 256], out=dst[a:a + size])
        n = 0  # done
    for i in range(n):
        if cv2 is not None:
            src, dst = (images[i, ..., 0], out[i, ..., 0]) if c == 1 else (images[i], out[i])
            cv2.LUT(src, luts[i], dst)
        else:
            np.take(luts[i], images[i], out=out[i], mode="clip")  # (mode="raise" buffers the output: ~10x slower)
    if color < c:
        out[..., color:] = images[..., color:]
    return out


def _affine_pixels(images: NDArray, scale: NDArray, offset: NDArray) -> NDArray:
    """``x * scale + offset`` per sample on colour channels; LUT for uint8, float otherwise."""
    n = images.shape[0]
    if images.dtype == np.uint8:  # uint8 tables made a block of rows at a time (see _uint8_tables)
        levels = np.arange(256, dtype=np.float32)
        scale, offset = scale[:, None].astype(np.float32), offset[:, None].astype(np.float32)
        tables = np.empty((n, 256), np.uint8)
        for s in range(0, n, _TABLE_BLOCK):
            block = np.multiply(levels[None, :], scale[s:s + _TABLE_BLOCK])
            block += offset[s:s + _TABLE_BLOCK]
            tables[s:s + _TABLE_BLOCK] = _round_levels(block)
        return apply_lut_image(images, tables)
    out = images.astype(np.float32, copy=True)
    color = color_channels(images.shape[-1])
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
        luts = np.empty((len(gammas), 256), np.float32)
        for s in range(0, len(gammas), 64):  # blocks of rows: no n x 256 float64 temporaries
            block = luts[s:s + 64]
            np.exp((gammas[s:s + 64, None] * _LOG_LEVELS[None, :]).astype(np.float32), out=block)
            block *= 255.0
        return apply_lut_image(images, luts)
    out = images.astype(np.float32, copy=True)
    color = color_channels(images.shape[-1])
    base = np.clip(out[..., :color], 0.0, 1.0)
    out[..., :color] = base ** gammas.reshape(-1, 1, 1, 1).astype(np.float32)
    return out


def invert_image(images: NDArray) -> NDArray:
    """Negative of each image (colour channels; alpha kept): ``full - x``.

    Examples
    --------
    >>> invert_image(np.array([[[[0], [200]]]], np.uint8)).ravel().tolist()
    [255, 55]
    """
    out = np.empty_like(images)
    color = color_channels(images.shape[-1])
    full = images.dtype.type(255 if images.dtype == np.uint8 else 1.0)
    np.subtract(full, images[..., :color], out=out[..., :color])
    if color < images.shape[-1]:
        out[..., color:] = images[..., color:]
    return out


def to_gray_image(images: NDArray) -> NDArray:
    """Replace RGB by its BT.601 luma in every colour channel (shape kept; alpha kept).

    The NumPy path uses Pillow's ``convert("L")`` integer formula (exact match); OpenCV's
    ``cvtColor`` uses the same weights in 14-bit fixed point (within one level). Grey (and
    grey + alpha) images come back unchanged.

    Examples
    --------
    >>> to_gray_image(np.array([[[[255, 0, 0]]]], np.uint8)).ravel().tolist()
    [76, 76, 76]
    """
    c = images.shape[-1]
    if color_channels(c) != 3:
        return images.copy()
    cv2 = opencv()
    if cv2 is not None and images.dtype in (np.uint8, np.float32) and images.flags.c_contiguous:
        # rows are independent: the whole batch is converted as one tall image, twice
        n, h, w = images.shape[:3]
        out = np.empty_like(images)
        to_gray, back = ((cv2.COLOR_RGB2GRAY, cv2.COLOR_GRAY2RGB) if c == 3
                         else (cv2.COLOR_RGBA2GRAY, cv2.COLOR_GRAY2RGBA))
        gray = cv2.cvtColor(images.reshape(n * h, w, c), to_gray)
        cv2.cvtColor(gray, back, dst=out.reshape(n * h, w, c))
        if c == 4:
            out[..., 3] = images[..., 3]
        return out
    out = images.copy()
    if images.dtype == np.uint8:  # Pillow's formula in uint32, 64K pixels at a time (2x the whole batch at once)
        pixels, rows = images.reshape(-1, c), out.reshape(-1, c)
        for a in range(0, len(pixels), 1 << 16):
            px = pixels[a:a + (1 << 16)]
            luma = np.multiply(px[:, 0], np.uint32(19595), dtype=np.uint32)
            luma += np.multiply(px[:, 1], np.uint32(38470), dtype=np.uint32)
            luma += np.multiply(px[:, 2], np.uint32(7471), dtype=np.uint32)
            luma += np.uint32(0x8000)
            luma >>= np.uint32(16)
            rows[a:a + len(px), :3] = luma[:, None]
    else:
        out[..., :3] = (images[..., :3] @ LUMA_WEIGHTS.astype(np.float32))[..., None]
    return out


def posterize_image(images: NDArray, bits: NDArray) -> NDArray:
    """Keep the ``bits[i]`` most significant bits of each 8-bit level (Pillow's ``posterize``).

    float32 images are quantised to 8-bit levels first, then mapped back to [0, 1].

    Examples
    --------
    >>> posterize_image(np.array([[[[255], [100]]]], np.uint8), np.array([2])).ravel().tolist()
    [192, 64]
    """
    bits = np.asarray(bits, dtype=np.int64)
    masks = (0xFF << (8 - bits)) & 0xFF
    if images.dtype == np.uint8:
        return apply_lut_image(images, np.arange(256)[None, :] & masks[:, None])
    out = images.astype(np.float32, copy=True)
    color = color_channels(images.shape[-1])
    levels = np.floor(out[..., :color] * 255.0 + 0.5).astype(np.int64)
    out[..., :color] = (levels & masks.reshape(-1, 1, 1, 1)) / np.float32(255.0)
    return out


def _equalize_tables(hist: NDArray, pixels: int) -> NDArray[np.uint8]:
    """Pillow's equalisation tables ``(..., 256)`` from histograms ``(..., 256)`` of ``pixels`` each."""
    present = hist > 0
    last = 255 - np.argmax(present[..., ::-1], axis=-1)
    step = (pixels - np.take_along_axis(hist, last[..., None], axis=-1)[..., 0]) // 255
    safe = np.maximum(step, 1)[..., None]
    lut = (safe // 2 + np.cumsum(hist, axis=-1, dtype=np.int64) - hist) // safe
    identity = (present.sum(axis=-1) <= 1) | (step == 0)
    return np.clip(np.where(identity[..., None], np.arange(256, dtype=np.int32), lut), 0, 255).astype(np.uint8)


def equalize_luts(images: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Per-image, per-channel histogram-equalisation tables ``(n, c, 256)`` (Pillow's algorithm).

    For each channel: ``step = (pixels - count of the highest level present) // 255`` and
    ``lut[v] = (step // 2 + pixels below v) // step``; a channel with a single level, or
    ``step == 0``, keeps the identity.

    Examples
    --------
    >>> img = np.repeat(np.array([10, 20, 30], np.uint8), 2000).reshape(1, 60, 100, 1)
    >>> equalize_luts(img)[0, 0, [10, 20, 30]].tolist()
    [0, 133, 255]
    """
    n, h, w, c = images.shape
    luts = np.empty((n, c, 256), dtype=np.uint8)
    cv2 = opencv() if c <= 4 and h * w < (1 << 24) else None  # float32 counts stay exact
    for a in range(0, n, 32):  # tables for up to 32 images at a time: bounded temporaries
        b = min(n, a + 32)
        hist = np.empty((b - a, c, 256), dtype=np.int32)
        for i in range(a, b):
            for ch in range(c):
                if cv2 is not None:  # reads the channel in place (NumPy would copy it first): ~3x faster
                    hist[i - a, ch] = cv2.calcHist([images[i]], [ch], None, [256], [0, 256]).reshape(256)
                else:
                    hist[i - a, ch] = np.bincount(images[i, ..., ch].ravel(), minlength=256)
        luts[a:b] = _equalize_tables(hist, h * w)
    return luts


#: Images of at most this many colour samples (H * W * colour channels) are equalised a chunk of
#: images at a time with NumPy (one ``bincount`` of per-image-channel offset levels, one ``take``);
#: larger ones per image and channel (``cv2.calcHist``/``cv2.LUT``): 6.3 vs 17.5 us per 32x32 grey
#: image, 18 vs 20.5 at 64x64 grey, 30 vs 36 at 32x32 RGB; 62 vs 34 at 128x128 grey.
EQUALIZE_BATCH_MAX_SAMPLES = 64 * 64


def _equalize_small(levels: NDArray[np.uint8], color: int) -> NDArray[np.uint8]:
    """Equalise the first ``color`` channels of small uint8 images, a chunk of images at a time
    (the other channels of the result are left unset)."""
    n, h, w, c = levels.shape
    out = np.empty_like(levels)
    samples = h * w * color  # chunks of at most 64K samples and an eighth of the batch (8-byte indices)
    per = max(1, min(1 << 16, n * samples // 8) // samples)
    for a in range(0, n, per):
        k = min(n, a + per) - a
        idx = levels[a:a + k, ..., :color].astype(np.intp)
        idx += np.arange(k * color, dtype=np.intp).reshape(k, 1, 1, color) * 256
        hist = np.bincount(idx.ravel(), minlength=k * color * 256).reshape(k, color, 256)
        tables = _equalize_tables(hist, h * w).reshape(-1)
        if color == c:
            np.take(tables, idx, out=out[a:a + k], mode="clip")
        else:
            out[a:a + k, ..., :color] = tables[idx]
    return out


def _equalize_per_image(levels: NDArray[np.uint8], color: int) -> NDArray[np.uint8]:
    """Equalise the first ``color`` channels image by image (the others are left unset)."""
    c = levels.shape[-1]
    luts = equalize_luts(levels[..., :color])
    out = np.empty_like(levels)
    cv2 = opencv()
    for i in range(len(levels)):
        if cv2 is not None and c in (1, 3, 4):  # one call with a per-channel table
            table = np.concatenate([luts[i], np.arange(256, dtype=np.uint8)[None].repeat(c - color, 0)])
            src, dst = (levels[i, ..., 0], out[i, ..., 0]) if c == 1 else (levels[i], out[i])
            cv2.LUT(src, np.ascontiguousarray(table.T).reshape(256, 1, c) if c > 1 else table[0], dst=dst)
        else:
            for ch in range(color):
                np.take(luts[i, ch], levels[i, ..., ch], out=out[i, ..., ch], mode="clip")
    return out


def equalize_image(images: NDArray) -> NDArray:
    """Histogram-equalise each colour channel of each image (Pillow's ``ImageOps.equalize``).

    float32 images are equalised on their 8-bit levels and mapped back to [0, 1]; alpha is kept.

    Examples
    --------
    >>> img = np.repeat(np.array([10, 20, 30], np.uint8), 2000).reshape(1, 60, 100, 1)
    >>> np.unique(equalize_image(img)).tolist()
    [0, 133, 255]
    """
    c = images.shape[-1]
    color = color_channels(c)
    levels = images if images.dtype == np.uint8 else np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    if levels.shape[1] * levels.shape[2] * color <= EQUALIZE_BATCH_MAX_SAMPLES:
        out = _equalize_small(levels, color)
    else:
        out = _equalize_per_image(levels, color)
    if images.dtype != np.uint8:
        result = images.copy()
        result[..., :color] = out[..., :color] / np.float32(255.0)
        return result
    if color < c:
        out[..., color:] = images[..., color:]
    return out


def srgb_to_linear(values: NDArray) -> NDArray:
    """Linear light of sRGB-encoded values in [0, 1] (IEC 61966-2-1), float64 or float32 as given.

    Examples
    --------
    >>> srgb_to_linear(np.array([0.0, 0.5, 1.0])).round(4).tolist()
    [0.0, 0.214, 1.0]
    """
    v = np.asarray(values)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(v.dtype, copy=False)


def linear_to_srgb(values: NDArray) -> NDArray:
    """sRGB encoding of linear values in [0, 1] (the inverse of :func:`srgb_to_linear`).

    Examples
    --------
    >>> linear_to_srgb(np.array([0.0, 0.214041, 1.0])).round(4).tolist()
    [0.0, 0.5, 1.0]
    """
    v = np.asarray(values)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.maximum(v, 0.0031308) ** (1 / 2.4) - 0.055).astype(
        v.dtype, copy=False)


#: Steps of linear light at which uint8 results are encoded again (a table of 65,536 levels: at worst
#: 0.03 of a grey level from the exact encoding, near black where the sRGB curve is steepest).
SRGB_LINEAR_STEPS = 65535


@cache
def srgb_tables() -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    """uint8 level -> linear light (float32), and linear step -> uint8 level (rounded)."""
    decode = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
    encode = np.rint(linear_to_srgb(np.arange(SRGB_LINEAR_STEPS + 1) / SRGB_LINEAR_STEPS) * 255.0)
    decode.flags.writeable = False
    encode = encode.astype(np.uint8)
    encode.flags.writeable = False
    return decode, encode


def encode_linear_uint8(linear: NDArray[np.float32]) -> NDArray[np.uint8]:
    """sRGB uint8 levels of linear light in [0, 1] (float32, overwritten), through :func:`srgb_tables`.

    Examples
    --------
    >>> encode_linear_uint8(srgb_to_linear(np.array([0, 128, 255], np.float32) / 255)).tolist()
    [0, 128, 255]
    """
    linear *= np.float32(SRGB_LINEAR_STEPS)
    return srgb_tables()[1].take(np.rint(linear, out=linear).astype(np.uint16), mode="clip")


#: Pixels per chunk of :func:`illuminate_image` (its float32 gain planes stay in cache).
ILLUMINATION_CHUNK_PIXELS = 1 << 15
#: The power law taken for the encoding of light (sRGB's usual approximation): a gain ``g`` on
#: the light is a gain ``g ** (1 / 2.2)`` on the encoded values.
ILLUMINATION_GAMMA = 2.2


def illumination_gains(height: int, width: int, gradients: NDArray, angles_deg: NDArray,
                       vignettes: NDArray) -> NDArray[np.float32]:
    """Light falling on each pixel, relative to the image centre: float32 ``(n, height, width)``.

    ``(1 + gradient * d) * (1 - vignette * r2)``: ``d`` runs from -1/2 to +1/2 across the image
    towards ``angles_deg`` (counter-clockwise from the right, as displayed: the side the light
    comes from), ``r2`` from 0 at the centre to 1 at the corners (squared distance, each axis
    scaled by its half size).

    Examples
    --------
    >>> g = illumination_gains(2, 4, np.array([0.4]), np.array([0.0]), np.array([0.0]))
    >>> [round(v, 3) for v in g[0, 0].tolist()]    # lit from the right: 0.8 .. 1.2 across the width
    [0.85, 0.95, 1.05, 1.15]
    """
    angles = np.deg2rad(np.asarray(angles_deg, np.float64))
    cos, sin = np.cos(angles), np.sin(angles)
    gradients, vignettes = np.asarray(gradients, np.float64), np.asarray(vignettes, np.float64)
    dx = np.arange(width, dtype=np.float64) + 0.5 - width / 2
    dy = np.arange(height, dtype=np.float64) + 0.5 - height / 2
    span = np.abs(cos) * width + np.abs(sin) * height  # the image's extent along the direction
    # both factors are sums of a row term and a column term: two broadcast passes and a product
    lit_x = (1.0 + (gradients * cos / span)[:, None] * dx).astype(np.float32)[:, None, :]
    lit_y = ((gradients * sin / span)[:, None] * dy).astype(np.float32)[:, :, None]  # (screen y points down)
    dark_x = (1.0 - vignettes[:, None] * ((dx / (width / 2)) ** 2 / 2)).astype(np.float32)[:, None, :]
    dark_y = (vignettes[:, None] * ((dy / (height / 2)) ** 2 / 2)).astype(np.float32)[:, :, None]
    gains = lit_x - lit_y
    gains *= dark_x - dark_y
    return gains


def _display_gains(gains: NDArray[np.float32]) -> NDArray[np.float32]:
    """``gains ** (1 / ILLUMINATION_GAMMA)``, in place (``cv2.pow``: 5x NumPy's float32 power)."""
    cv2 = opencv()
    n, h, w = gains.shape
    if cv2 is not None and gains.flags.c_contiguous:
        flat = gains.reshape(n * h, w)
        cv2.pow(flat, 1.0 / ILLUMINATION_GAMMA, flat)
        return gains
    np.log(gains, out=gains)
    gains *= np.float32(1.0 / ILLUMINATION_GAMMA)
    return np.exp(gains, out=gains)


def illuminate_image(images: NDArray, gradients: NDArray, angles_deg: NDArray, vignettes: NDArray) -> NDArray:
    """Multiply each image's light by :func:`illumination_gains`; alpha kept (see :func:`scale_light_image`).

    Examples
    --------
    >>> x = np.full((1, 8, 8, 1), 128, np.uint8)
    >>> out = illuminate_image(x, np.array([0.0]), np.array([0.0]), np.array([0.5]))
    >>> int(out[0, 4, 4, 0]), int(out[0, 0, 0, 0])  # the centre as it was, a corner darker
    (128, 103)
    """
    h, w = images.shape[1:3]
    return scale_light_image(images, lambda a, b: illumination_gains(h, w, gradients[a:b], angles_deg[a:b],
                                                                      vignettes[a:b]))


def scale_light_image(images: NDArray, gains_of: Callable[[int, int], NDArray[np.float32]]) -> NDArray:
    """Multiply the light of every pixel by a gain; alpha kept.

    ``gains_of(a, b)`` gives the float32 light gains ``(b - a, h, w)`` of images ``a`` to ``b``
    (a chunk of :data:`ILLUMINATION_CHUNK_PIXELS` at a time). Light is the encoded value to the
    power :data:`ILLUMINATION_GAMMA`, so the encoded values are multiplied by
    ``gains ** (1 / 2.2)``; results saturate at white (uint8: rounded half to even, as ``np.rint``).

    Examples
    --------
    >>> x = np.full((2, 1, 2, 1), 200, np.uint8)
    >>> scale_light_image(x, lambda a, b: np.full((b - a, 1, 2), 0.5, np.float32))[..., 0].tolist()
    [[[146, 146]], [[146, 146]]]
    """
    n, h, w, c = images.shape
    color = color_channels(c)
    out = np.empty_like(images)
    cv2 = opencv() if c in (1, 3) and images.dtype == np.uint8 else None
    # (and float32 gains of at most a quarter of the batch's bytes: grey uint8 batches are small)
    per = max(1, min(n, ILLUMINATION_CHUNK_PIXELS // (h * w), images.nbytes // (16 * h * w)))
    for a in range(0, n, per):
        b = min(n, a + per)
        gain = _display_gains(gains_of(a, b))
        if cv2 is not None:  # one multiplication, rounded half to even and saturated (the gains copied per channel)
            rows = (b - a) * h
            src, dst = images[a:b].reshape(rows, w, c), out[a:b].reshape(rows, w, c)
            plane = gain.reshape(rows, w)
            cv2.multiply(src, cv2.cvtColor(plane, cv2.COLOR_GRAY2RGB) if c == 3 else plane[..., None],
                         dst=dst, dtype=cv2.CV_8U)
            continue
        scaled = images[a:b, ..., :color] * gain[..., None]
        if images.dtype == np.uint8:
            out[a:b, ..., :color] = np.minimum(np.rint(scaled, out=scaled), 255)
        else:
            out[a:b, ..., :color] = np.minimum(scaled, 1.0)
    if color < c:
        out[..., color:] = images[..., color:]
    return out
