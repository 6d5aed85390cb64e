"""Hue, saturation and value adjustments, vectorized over a batch (HSV as in :mod:`colorsys`).

With OpenCV the float32 colour conversions run in ``cvtColor``, on chunks of about 64K pixels
(several small images as one tall image, or one large image) so that the float temporaries stay
in cache; the NumPy path computes the same HSV model.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .backend import opencv
from .color import apply_lut_image

__all__ = ["hsv_to_rgb", "jitter_hsv_image", "rgb_to_hsv"]


def rgb_to_hsv(rgb: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Hue in [0, 1), saturation and value in [0, 1] of float RGB ``(..., 3)`` in [0, 1].

    Examples
    --------
    >>> [round(float(v), 4) for v in rgb_to_hsv(np.array([0.2, 0.4, 0.4]))]
    [0.5, 0.5, 0.4]
    """
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = np.maximum(np.maximum(r, g), b)
    c = v - np.minimum(np.minimum(r, g), b)
    s = np.where(v > 0, c / np.where(v > 0, v, 1), 0)
    safe = np.where(c > 0, c, 1)
    h = np.where(v == r, (g - b) / safe, np.where(v == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    h = np.where(c > 0, (h / 6.0) % 1.0, 0.0)
    return h, s, v


def hsv_to_rgb(h: NDArray, s: NDArray, v: NDArray) -> NDArray:
    """Float RGB ``(..., 3)`` of hue in [0, 1), saturation and value in [0, 1].

    Examples
    --------
    >>> hsv_to_rgb(np.array(0.5), np.array(0.5), np.array(0.4)).round(4).tolist()
    [0.2, 0.4, 0.4]
    """
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    i = i.astype(np.int64) % 6
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], axis=-1)


def jitter_hsv_image(images: NDArray, hue_shift: NDArray, saturation: NDArray, value: NDArray) -> NDArray:
    """Rotate hue by ``hue_shift[i]`` turns, scale saturation and value by the factors (clipped
    to [0, 1]). Grey images (1 or 2 channels) only get the value factor; alpha is kept.

    Examples
    --------
    >>> x = np.array([[[[255, 0, 0]]]], np.uint8)
    >>> jitter_hsv_image(x, np.array([1 / 3]), np.array([1.0]), np.array([0.5]))[0, 0, 0].tolist()
    [0, 128, 0]
    """
    top = 255.0 if images.dtype == np.uint8 else 1.0
    n = images.shape[0]
    if images.shape[-1] < 3:
        if images.dtype == np.uint8:  # a table per image, the same float32 arithmetic on each level
            levels = np.arange(256, dtype=np.float32)
            scaled = levels[None, :] / top * np.asarray(value, np.float32).reshape(n, 1)
            return apply_lut_image(images, np.clip(scaled, 0, 1) * top)
        out = images.copy()
        grey = images[..., :1].astype(np.float32) / top * value.astype(np.float32).reshape(n, 1, 1, 1)
        res = np.clip(grey, 0, 1) * top
        out[..., :1] = np.rint(res) if images.dtype == np.uint8 else res
        return out
    cv2 = opencv()
    if cv2 is not None:
        return _jitter_opencv(cv2, images, hue_shift, saturation, value, top)
    out = images.copy()
    shift = np.asarray(hue_shift, np.float32).reshape(n, 1, 1)
    sat = np.asarray(saturation, np.float32).reshape(n, 1, 1)
    val = np.asarray(value, np.float32).reshape(n, 1, 1)
    per = max(1, NUMPY_CHUNK_PIXELS // (images.shape[1] * images.shape[2]))
    for a in range(0, n, per):  # chunks of images: the float temporaries stay small (no page faults)
        b = min(n, a + per)
        rgb = images[a:b, ..., :3].astype(np.float32)
        if top != 1.0:
            rgb *= np.float32(1.0 / top)
        h, s, v = rgb_to_hsv(rgb)
        h = (h + shift[a:b]) % 1.0
        s = np.clip(s * sat[a:b], 0.0, 1.0)
        v = np.clip(v * val[a:b], 0.0, 1.0)
        res = hsv_to_rgb(h, s, v)
        res *= np.float32(top)
        out[a:b, ..., :3] = np.clip(np.rint(res), 0, 255) if images.dtype == np.uint8 else res
    return out


#: Pixels converted at a time on the NumPy path (about 25 float temporaries of them).
NUMPY_CHUNK_PIXELS = 1 << 14

#: Pixels converted per OpenCV call (several small images stacked, or one large one): the float
#: buffers (24 bytes a pixel) stay in the core's cache and near the size of a uint8 batch.
CHUNK_PIXELS = 1 << 15


@lru_cache(maxsize=64)
def _caps(width: int) -> NDArray[np.float32]:
    """Upper bounds of a row of ``width`` (H, S, V) triples (read-only; HSV2RGB wraps H >= 360 itself)."""
    cap = np.tile(np.array([720.0, 1.0, 1.0], np.float32), width)
    cap.flags.writeable = False
    return cap


def _jitter_opencv(cv2: object, images: NDArray, hue_shift: NDArray, saturation: NDArray, value: NDArray,
                   top: float) -> NDArray:
    n, height, width, c = images.shape
    out = np.empty_like(images) if c == 3 else images.copy()  # alpha (C=4) kept
    per = max(1, CHUNK_PIXELS // (height * width))
    # per image, as whole rows of (H, S, V) triples (a trailing axis of 3 would make NumPy loop
    # element by element): factors, the hue shift in degrees, and the caps
    gain = np.ones((n, 1, width, 3), np.float32)
    gain[..., 1] = np.asarray(saturation, np.float32).reshape(n, 1, 1)
    gain[..., 2] = np.asarray(value, np.float32).reshape(n, 1, 1)
    shift = np.zeros((n, 1, width, 3), np.float32)
    shift[..., 0] = ((np.asarray(hue_shift, np.float64) % 1.0) * 360.0).astype(np.float32).reshape(n, 1, 1)
    gain, shift = gain.reshape(n, 1, width * 3), shift.reshape(n, 1, width * 3)
    cap = _caps(width)
    rgb_buf = np.empty((min(n, per) * height, width, 3), np.float32)  # reused by every chunk (no page faults)
    hsv_buf = np.empty_like(rgb_buf)
    for a in range(0, n, per):
        b = min(n, a + per)
        rows = (b - a) * height
        rgb, hsv = rgb_buf[:rows], hsv_buf[:rows]
        np.multiply(images[a:b, ..., :3].reshape(rows, width, 3), np.float32(1.0 / top), out=rgb)
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV, dst=hsv)  # H in degrees
        per_image = hsv.reshape(b - a, height, width * 3)
        np.multiply(per_image, gain[a:b], out=per_image)
        np.add(per_image, shift[a:b], out=per_image)
        np.minimum(per_image, cap, out=per_image)
        rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB, dst=rgb)
        if images.dtype == np.uint8:  # saturate_cast: rounds half to even, as np.rint, and clips
            if c == 3:
                cv2.convertScaleAbs(rgb, dst=out[a:b].reshape(rows, width, 3), alpha=255.0)
            else:
                out[a:b, ..., :3] = cv2.convertScaleAbs(rgb, alpha=255.0).reshape(b - a, height, width, 3)
        else:
            np.clip(rgb, 0.0, 1.0, out=rgb)
            out[a:b, ..., :3] = rgb.reshape(b - a, height, width, 3)
    return out
