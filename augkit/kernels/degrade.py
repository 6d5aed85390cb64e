"""Degradation kernels: JPEG round trip, motion blur, grey morphology, rectangular dropout.

Images are ``(n, H, W, C)`` uint8 or float32 in [0, 1]; one parameter set per image.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .backend import opencv
from .geometry import _cv2_for
from .jpeg import jpeg_roundtrip_image
from .scratch import work_array

__all__ = [
    "JPEG_BATCH_MAX_PIXELS",
    "dropout_image",
    "jpeg_image",
    "morphology_footprint",
    "morphology_image",
    "motion_blur_image",
    "motion_kernel",
    "motion_kernels",
]


def _to_uint8(img: NDArray) -> NDArray[np.uint8]:
    return img if img.dtype == np.uint8 else np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


#: Largest images (pixels) that :func:`jpeg_image` compresses as one batch with
#: :func:`~augkit.kernels.jpeg.jpeg_roundtrip_image` (pure NumPy) rather than one libjpeg call
#: per image, by (colour, OpenCV importable). Measured crossovers in ``benchmarks/README.md``:
#: per image, libjpeg's fixed costs dominate small images; the batch's NumPy passes, large ones.
JPEG_BATCH_MAX_PIXELS = {("grey", True): 48 * 48, ("grey", False): 64 * 64,
                         ("rgb", True): 16 * 16, ("rgb", False): 32 * 32}


def jpeg_image(images: NDArray, qualities: NDArray) -> NDArray:
    """Encode each image as JPEG at ``qualities[i]`` (1-100) and decode it again.

    libjpeg's settings as Pillow and OpenCV use them (standard tables scaled by quality, 4:2:0
    chroma, islow DCT, fancy upsampling); every route gives identical pixels: Pillow's encoder,
    OpenCV's ``imencode``/``imdecode`` where installed (cheaper per image), and, for small
    images (:data:`JPEG_BATCH_MAX_PIXELS`), the whole batch at once by
    :func:`~augkit.kernels.jpeg.jpeg_roundtrip_image` (``tests/test_jpeg.py``,
    ``tests/test_backends.py``). Grey (C=1) and RGB (C=3) images are compressed as such; with
    C=2 or C=4 the alpha channel is kept as it is (JPEG has none). float32 images go through
    uint8 (1/255 steps).

    Examples
    --------
    >>> x = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    >>> y = jpeg_image(x, np.array([10, 95]))
    >>> y.shape, bool(np.abs(y[0].astype(int) - x[0]).mean() > np.abs(y[1].astype(int) - x[1]).mean())
    ((2, 16, 16, 3), True)
    """
    c = images.shape[-1]
    color = 1 if c in (1, 2) else 3
    cv2 = opencv()
    qualities = np.asarray(qualities)
    src = _to_uint8(images[..., :color])
    if images.shape[1] * images.shape[2] <= JPEG_BATCH_MAX_PIXELS[("grey" if color == 1 else "rgb", cv2 is not None)]:
        decoded = jpeg_roundtrip_image(np.ascontiguousarray(src), qualities)
    else:
        decoded = np.empty(src.shape, np.uint8)
        for i, q in enumerate(qualities.tolist()):
            decoded[i] = _libjpeg_round_trip(cv2, src[i], int(q))
    if c == color and images.dtype == np.uint8:
        return decoded
    out = np.empty_like(images)
    out[..., :color] = decoded if images.dtype == np.uint8 else decoded.astype(np.float32) / np.float32(255.0)
    if c > color:
        out[..., color:] = images[..., color:]
    return out


def _libjpeg_round_trip(cv2: Any, img: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """One (H, W, 1 or 3) image through OpenCV's libjpeg, or Pillow's where OpenCV is missing."""
    if cv2 is not None:
        if img.shape[2] == 1:
            _, data = cv2.imencode(".jpg", np.ascontiguousarray(img[..., 0]), [cv2.IMWRITE_JPEG_QUALITY, quality])
            return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)[..., None]
        _, data = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
        rgb_flag = getattr(cv2, "IMREAD_COLOR_RGB", None)  # OpenCV >= 4.11 decodes straight to RGB
        if rgb_flag is not None:
            return cv2.imdecode(data, rgb_flag)
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    from PIL import Image

    mode = "L" if img.shape[2] == 1 else "RGB"
    pil = Image.fromarray(img[..., 0] if mode == "L" else img)
    data = pil.tobytes("jpeg", mode, quality)  # Pillow's JPEG encoder, without the file plugin
    back = np.asarray(Image.frombytes(mode, pil.size, data, "jpeg", mode, ""))
    return back[..., None] if mode == "L" else back


def motion_kernel(length: int, angle_deg: float) -> NDArray[np.float32]:
    """A normalized ``length`` x ``length`` kernel: a centred line at ``angle_deg``.

    The line is sampled in equal steps, each counted at its nearest pixel, so a horizontal or
    vertical line weighs every pixel the same.

    Examples
    --------
    >>> k = motion_kernel(5, 0.0)
    >>> k.shape, round(float(k.sum()), 6), k[2].astype(float).round(2).tolist()
    ((5, 5), 1.0, [0.2, 0.2, 0.2, 0.2, 0.2])
    """
    return motion_kernels(length, np.array([angle_deg], np.float64))[0]


def motion_kernels(length: int, angles_deg: NDArray) -> NDArray[np.float32]:
    """:func:`motion_kernel` of one ``length`` at several angles: ``(k, length, length)``,
    computed together (each kernel exactly as by itself).

    Examples
    --------
    >>> ks = motion_kernels(3, np.array([0.0, 90.0]))
    >>> ks.shape, ks[0, 1].tolist() == ks[1, :, 1].tolist()
    ((2, 3, 3), True)
    """
    c = (length - 1) / 2.0
    m = 8 * length  # equal steps along the segment of length ``length``, each to its nearest pixel
    t = -length / 2.0 + (np.arange(m) + 0.5) * (length / m)
    radians = [math.radians(a) for a in np.asarray(angles_deg, np.float64).tolist()]
    cos = np.array([math.cos(a) for a in radians])[:, None]  # (the scalar math functions, as always)
    sin = np.array([math.sin(a) for a in radians])[:, None]
    xi = np.rint(c + t * cos).astype(np.intp)
    yi = np.rint(c - t * sin).astype(np.intp)
    np.clip(xi, 0, length - 1, out=xi)
    np.clip(yi, 0, length - 1, out=yi)
    flat = yi * length + xi + (np.arange(len(radians)) * (length * length))[:, None]
    counts = np.bincount(flat.ravel(), minlength=len(radians) * length * length)
    return (counts / m).astype(np.float32).reshape(len(radians), length, length)


def _filter_batch(images: NDArray, kernels: Iterator[NDArray]) -> NDArray:
    """Correlate image ``i`` (of ``(n, H, W, C)``) with ``kernels``' ``i``-th kernel, mirror border
    (reflect-101), sums in float32; uint8 results rounded half to even and saturated, float ones
    kept in [0, 1]."""
    out = np.empty_like(images)
    c = images.shape[-1]
    cv2 = opencv() if c <= 4 else None
    if cv2 is not None:
        for i, kernel in enumerate(kernels):
            src, dst = (images[i, ..., 0], out[i, ..., 0]) if c == 1 else (images[i], out[i])
            # float sums either way; uint8 rounded half to even and saturated on the way out
            cv2.filter2D(src, -1, kernel, dst, (-1, -1), 0.0, cv2.BORDER_REFLECT_101)  # (anchor, delta, border)
        return _within_unit(out)
    from scipy import ndimage

    for i, kernel in enumerate(kernels):
        src = images[i].astype(np.float32)
        res = np.stack([ndimage.correlate(src[..., ch], kernel, mode="mirror") for ch in range(c)], axis=-1)
        out[i] = np.clip(np.rint(res), 0, 255) if images.dtype == np.uint8 else res
    return _within_unit(out)


def _within_unit(out: NDArray) -> NDArray:
    """Float results in [0, 1], in place (float sums of a normalized kernel can overshoot by an ulp)."""
    if out.dtype != np.uint8:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def motion_blur_image(images: NDArray, lengths: NDArray, angles_deg: NDArray) -> NDArray:
    """Blur image ``i`` along a line of ``lengths[i]`` pixels at ``angles_deg[i]``.

    Examples
    --------
    >>> img = np.zeros((1, 9, 9, 1), np.uint8); img[0, 4, 4] = 250
    >>> out = motion_blur_image(img, np.array([5]), np.array([0.0]))
    >>> out[0, 4, 2:7, 0].tolist(), int(out[0, 3, 4, 0])
    ([50, 50, 50, 50, 50], 0)
    """
    lengths = np.asarray(lengths).astype(np.intp)
    angles = np.asarray(angles_deg, np.float64)
    if lengths.shape != angles.shape or lengths.shape != images.shape[:1]:
        raise ValueError(f"lengths and angles_deg need one value per image ({images.shape[0]}), "
                         f"got shapes {lengths.shape} and {angles.shape}")
    kernels: list[NDArray] = [np.empty(0, np.float32)] * len(lengths)
    for n in np.unique(lengths).tolist():  # each length's kernels at once
        idx = np.flatnonzero(lengths == n)
        for i, k in zip(idx.tolist(), motion_kernels(int(n), angles[idx]), strict=True):
            kernels[i] = k
    return _filter_batch(images, iter(kernels))


@lru_cache(maxsize=64)
def _disk(radius: int) -> NDArray[np.uint8]:
    """Disk footprint of ``radius`` pixels (cached; read-only)."""
    yy, xx = np.mgrid[-radius: radius + 1, -radius: radius + 1]
    disk = (xx * xx + yy * yy <= radius * radius + radius).astype(np.uint8)
    disk.setflags(write=False)
    return disk


@lru_cache(maxsize=64)
def morphology_footprint(radius: int) -> NDArray[np.uint8]:
    """The footprint of grey erosion and dilation: the Euclidean disk ``x^2 + y^2 <= r^2``
    (scikit-image's ``disk(r)``; at radius 1 the 3x3 cross, OpenCV's 3x3 ellipse). Cached,
    read-only.

    Examples
    --------
    >>> morphology_footprint(1).tolist()
    [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    """
    yy, xx = np.mgrid[-radius: radius + 1, -radius: radius + 1]
    disk = (xx * xx + yy * yy <= radius * radius).astype(np.uint8)
    disk.setflags(write=False)
    return disk


def morphology_image(images: NDArray, radii: NDArray, operation: str) -> NDArray:
    """Grey erosion (minimum) or dilation (maximum) of image ``i`` over a disk of ``radii[i]`` px
    (:func:`morphology_footprint`).

    Only pixels inside the image count: for a symmetric footprint that is the same as a mirror
    border (reflect-101), since every mirrored neighbour is also a neighbour. On dark text on a
    light background, erosion thickens the strokes and dilation thins them.

    Images of equal radius are processed together: with OpenCV as one tall image (the rows
    within ``r`` of an image's top or bottom, which would see the next image, are redone from
    bands of ``3 r`` rows padded with the operation's neutral value), with NumPy as a running
    minimum (maximum) along the rows for each half-width of the disk, then one over its rows.

    Examples
    --------
    >>> img = np.full((1, 7, 7, 1), 200, np.uint8); img[0, 3, 3] = 0
    >>> int((morphology_image(img, np.array([1]), "erosion")[0, ..., 0] == 0).sum())
    5
    """
    if operation not in ("erosion", "dilation"):
        raise ValueError(f"operation must be 'erosion' or 'dilation', got {operation!r}")
    radii = np.asarray(radii).astype(np.intp)
    found = _cv2_for(images)
    values = np.unique(radii).tolist()
    out = np.empty_like(images) if len(values) > 1 else None  # one radius: the result is the output
    for r in values:
        idx = np.flatnonzero(radii == r)
        whole = out is None
        group = images if whole else images[idx]
        if found is not None:
            res = _morphology_cv2(found[0], group, int(r), operation)
        else:
            res = _morphology_numpy(group, int(r), operation)
        if out is None:
            return res
        out[idx] = res
    return out  # type: ignore[return-value]


#: Padded pixels per chunk of :func:`_morphology_numpy` (its arrays are a few times a chunk).
MORPHOLOGY_CHUNK_PIXELS = 1 << 16


def _morphology_numpy(group: NDArray, r: int, operation: str) -> NDArray:
    """Minimum (erosion) or maximum (dilation) over the disk of radius ``r`` with NumPy: the
    disk as its rows (half-width ``isqrt(r^2 - dy^2)`` at row ``dy``), a running extreme along
    the image rows for each half-width, then the extreme over the disk's rows. The border is
    the operation's neutral value (only pixels inside the image count). Exact."""
    n, h, w, c = group.shape
    fold = np.minimum if operation == "erosion" else np.maximum
    if group.dtype.kind == "f":
        neutral = np.inf if operation == "erosion" else -np.inf
    else:
        info = np.iinfo(group.dtype)
        neutral = info.max if operation == "erosion" else info.min
    half = [math.isqrt(r * r - dy * dy) for dy in range(-r, r + 1)]
    out = np.empty_like(group)
    per = max(1, MORPHOLOGY_CHUNK_PIXELS // ((h + 2 * r) * (w + 2 * r)))
    for a in range(0, n, per):
        b = min(n, a + per)
        padded = np.full((b - a, h + 2 * r, w + 2 * r, c), neutral, group.dtype)
        padded[:, r:r + h, r:r + w] = group[a:b]
        along = [padded[:, :, r:r + w]]  # along[s]: the extreme over x - s .. x + s of each padded row
        for s in range(1, max(half) + 1):
            run = fold(along[-1], padded[:, :, r - s:r - s + w])
            along.append(fold(run, padded[:, :, r + s:r + s + w], out=run))
        dst = out[a:b]
        np.copyto(dst, along[half[0]][:, :h])
        for dy in range(1, 2 * r + 1):
            fold(dst, along[half[dy]][:, dy:dy + h], out=dst)
    return out


def _morphology_cv2(cv2: Any, group: NDArray, r: int, operation: str) -> NDArray:
    """Erode or dilate equal-radius images ``(n, H, W, C)`` with OpenCV in a few calls."""
    n, h, w, c = group.shape
    fp = morphology_footprint(r)
    op = cv2.erode if operation == "erosion" else cv2.dilate
    if group.dtype == np.uint8:
        neutral = 255 if operation == "erosion" else 0
    else:
        neutral = np.inf if operation == "erosion" else -np.inf

    def run(stack: NDArray) -> NDArray:  # (m, rows, W, C) as one tall image; OpenCV's default border
        # ignores the pixels outside
        m, rows = stack.shape[:2]
        res = op(stack.reshape(m * rows, w) if c == 1 else stack.reshape(m * rows, w, c), fp)
        return res.reshape(m, rows, w, c)

    if n == 1:
        return run(group)
    if h < 2 * r:  # tiny images: each padded with neutral rows
        padded = np.full((n, h + 2 * r, w, c), neutral, group.dtype)
        padded[:, r: r + h] = group
        return np.ascontiguousarray(run(padded)[:, r: r + h])
    out = run(np.ascontiguousarray(group))  # right except within r rows of each image's top and bottom
    bands = np.full((n, 2, 3 * r, w, c), neutral, group.dtype)
    bands[:, 0, r:] = group[:, : 2 * r]  # top band: r neutral rows, then the image's first 2r rows
    bands[:, 1, : 2 * r] = group[:, h - 2 * r:]  # bottom band: its last 2r rows, then r neutral rows
    fixed = run(bands.reshape(n * 2, 3 * r, w, c)).reshape(n, 2, 3 * r, w, c)
    out[:, :r] = fixed[:, 0, r: 2 * r]
    out[:, h - r:] = fixed[:, 1, r: 2 * r]
    return out


def dropout_image(images: NDArray, boxes: NDArray, fills: NDArray) -> NDArray:
    """Fill rectangles: ``boxes`` ``(n, k, 4)`` as ``(y0, x0, y1, x1)`` pixel indices (empty when
    ``y1 <= y0``), ``fills`` ``(n, k, C)`` values in the image's range.

    Examples
    --------
    >>> img = np.zeros((1, 4, 4, 1), np.uint8)
    >>> out = dropout_image(img, np.array([[[1, 1, 3, 2]]]), np.array([[[9]]]))
    >>> out[0, ..., 0].tolist()
    [[0, 0, 0, 0], [0, 9, 0, 0], [0, 9, 0, 0], [0, 0, 0, 0]]
    """
    out = images.copy()
    for i in range(boxes.shape[0]):
        for (y0, x0, y1, x1), fill in zip(boxes[i].tolist(), fills[i], strict=True):
            if y1 > y0 and x1 > x0:
                out[i, y0:y1, x0:x1] = fill
    return out


def defocus_image(images: NDArray, radii: NDArray) -> NDArray:
    """Blur image ``i`` with a normalized disk of ``radii[i]`` pixels (an out-of-focus lens).

    Examples
    --------
    >>> img = np.zeros((1, 9, 9, 1), np.uint8); img[0, 4, 4] = 255
    >>> out = defocus_image(img, np.array([1]))
    >>> int((out[0, ..., 0] > 0).sum()), int(out[0, 4, 4, 0])
    (9, 28)
    """
    return _filter_batch(images, (_defocus_kernel(int(r)) for r in np.asarray(radii).tolist()))


@lru_cache(maxsize=64)
def _defocus_kernel(radius: int) -> NDArray[np.float32]:
    k = _disk(radius).astype(np.float32)
    k /= k.sum()
    k.setflags(write=False)
    return k


@lru_cache(maxsize=1024)
def _nearest_index(src: int, dst: int) -> NDArray[np.intp]:
    """Source index of each destination pixel: the pixel containing the destination pixel's
    centre, ``floor((x + 0.5) * src / dst)`` in exact integer arithmetic (cached, read-only)."""
    x = np.arange(dst, dtype=np.int64)
    idx = np.minimum((2 * x + 1) * src // (2 * dst), src - 1).astype(np.intp)
    idx.setflags(write=False)
    return idx


@lru_cache(maxsize=1024)
def _nearest_round_trip(h: int, w: int, sh: int, sw: int, c: int) -> tuple[NDArray, NDArray, NDArray]:
    """Maps of a nearest shrink to ``(sh, sw)`` and back: the distinct source rows, their
    expansion to ``h`` rows, and the composed column map as element indices of a row of
    ``w * c`` values (cached, read-only)."""
    cols = _nearest_index(w, sw)[_nearest_index(sw, w)]
    cols_c = (cols[:, None] * c + np.arange(c)).ravel()
    cols_c.setflags(write=False)
    return _nearest_index(h, sh), _nearest_index(sh, h), cols_c


#: uint8 RGB source-row samples per chunk of the 4-byte-pixel route of :func:`_nearest_round_trip_group`.
NEAREST_CHUNK_SAMPLES = 1 << 16
#: Images at least this wide take that route (per image, Downscale 0.25-0.5 in alternating
#: runs: 1.01x at 320 px, 1.12x at 384, 1.18-1.29x at 512, 1.39x at 1024; 0.90-0.97x at 32-256).
NEAREST_FOUR_BYTE_MIN_WIDTH = 384


def _nearest_round_trip_group(group: NDArray, sh: int, sw: int, out: NDArray | None = None) -> NDArray:
    """Nearest shrink to ``(sh, sw)`` and enlarge back of images ``(k, H, W, C)``: columns are
    gathered for the distinct source rows only, then rows are repeated. Faster than two
    ``cv2.resize`` calls per image, and exact, where OpenCV's fixed-point
    ``INTER_NEAREST_EXACT`` may pick the other pixel at a tie.

    Columns are gathered as runs of elements (C indices a pixel); wide uint8 RGB images with
    OpenCV: as 4-byte pixels (one ``uint32`` index a pixel) between two ``cvtColor`` calls
    (the same pixels; see ``NEAREST_FOUR_BYTE_MIN_WIDTH``)."""
    k, h, w, c = group.shape
    rows_small, rows_expand, cols_c = _nearest_round_trip(h, w, sh, sw, c)
    cv2 = opencv() if c == 3 and group.dtype == np.uint8 and w >= NEAREST_FOUR_BYTE_MIN_WIDTH else None
    if cv2 is None:
        small = group.take(rows_small, axis=1).reshape(k, sh, w * c).take(cols_c, axis=2)
        return small.reshape(k, sh, w, c).take(rows_expand, axis=1, out=out, mode="clip")
    out = np.empty_like(group) if out is None else out
    cols = _nearest_round_trip(h, w, sh, sw, 1)[2]
    per = max(1, min(k, NEAREST_CHUNK_SAMPLES // (sh * w * c)))
    rows = work_array("degrade.nearest_rows", (per, sh, w, 3), np.uint8)
    wide = work_array("degrade.nearest_wide", (per, sh, w, 4), np.uint8)
    picked = work_array("degrade.nearest_picked", (per, sh, w), np.uint32)
    for a in range(0, k, per):
        b = min(k, a + per)
        n = b - a
        np.take(group[a:b], rows_small, axis=1, out=rows[:n], mode="clip")
        cv2.cvtColor(rows[:n].reshape(n * sh, w, 3), cv2.COLOR_RGB2RGBA, dst=wide[:n].reshape(n * sh, w, 4))
        np.take(wide[:n].view(np.uint32).reshape(n, sh, w), cols, axis=2, out=picked[:n], mode="clip")
        cv2.cvtColor(picked[:n].view(np.uint8).reshape(n * sh, w, 4), cv2.COLOR_RGBA2RGB,
                     dst=rows[:n].reshape(n * sh, w, 3))
        np.take(rows[:n], rows_expand, axis=1, out=out[a:b], mode="clip")
    return out


def _pil_resize(img: NDArray, size: tuple[int, int], method: str,
                box: tuple[float, float, float, float] | None = None) -> NDArray:
    """Resize ``(H, W, C)`` (or its region ``box`` = x0, y0, x1, y1) to ``size`` = (w, h) with Pillow
    (BOX for area, BILINEAR, both antialiased when shrinking) — the same on every backend."""
    from PIL import Image

    resample = Image.Resampling.BOX if method == "area" else Image.Resampling.BILINEAR
    if img.dtype == np.uint8 and img.shape[-1] in (1, 3):
        pil = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
        out = np.asarray(pil.resize(size, resample, box=box))
        return out[..., None] if img.shape[-1] == 1 else out
    planes = [np.asarray(Image.fromarray(img[..., ch].astype(np.float32), mode="F").resize(size, resample, box=box))
              for ch in range(img.shape[-1])]
    out = np.stack(planes, axis=-1)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8) if img.dtype == np.uint8 else out.astype(img.dtype)


def downscale_image(images: NDArray, scales: NDArray, upscale: str = "bilinear",
                    downscale: str = "area") -> NDArray:
    """Shrink image ``i`` by ``scales[i]`` and enlarge it back to its size.

    ``downscale`` is ``"area"`` (pixel averaging, what a lower-resolution sensor records),
    ``"bilinear"`` or ``"nearest"`` (aliasing); ``upscale`` is ``"bilinear"`` or ``"nearest"``
    (blocky). Area and bilinear use Pillow and nearest uses index arithmetic, on every backend,
    so the result does not depend on whether OpenCV is installed.

    Examples
    --------
    >>> img = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1) * 10
    >>> downscale_image(img, np.array([0.5]), "nearest")[0, ..., 0].tolist()
    [[25, 25, 45, 45], [25, 25, 45, 45], [105, 105, 125, 125], [105, 105, 125, 125]]
    """
    if upscale not in ("bilinear", "nearest"):
        raise ValueError(f"upscale must be 'bilinear' or 'nearest', got {upscale!r}")
    if downscale not in ("area", "bilinear", "nearest"):
        raise ValueError(f"downscale must be 'area', 'bilinear' or 'nearest', got {downscale!r}")
    h, w = images.shape[1:3]
    if downscale == upscale == "nearest":
        return _downscale_nearest(images, scales)
    out = np.empty_like(images)
    for i, s in enumerate(np.asarray(scales, np.float64).tolist()):
        sw, sh = max(1, round(w * s)), max(1, round(h * s))
        img = images[i]
        if downscale == "nearest":
            small = img[_nearest_index(h, sh)][:, _nearest_index(w, sw)]
        else:
            small = _pil_resize(img, (sw, sh), downscale)
        if upscale == "nearest":
            out[i] = small[_nearest_index(sh, h)][:, _nearest_index(sw, w)]
        else:
            out[i] = _pil_resize(small, (w, h), "bilinear")
    return out


def _downscale_nearest(images: NDArray, scales: NDArray) -> NDArray:
    """Nearest shrink by ``scales[i]`` and nearest enlarge back, exactly by :func:`_nearest_index`
    (the same on every backend); images that share a small size are gathered together."""
    h, w = images.shape[1:3]
    scales = np.asarray(scales, np.float64)  # sizes rounded half to even, as Python's round()
    sizes = np.empty((len(scales), 2), np.intp)  # (np.stack costs ~10 us on a small call)
    sizes[:, 0] = np.maximum(1, np.rint(h * scales))
    sizes[:, 1] = np.maximum(1, np.rint(w * scales))
    keys, inverse = np.unique(sizes[:, 0] * (w + 1) + sizes[:, 1], return_inverse=True)
    if len(keys) == 1:
        return _nearest_round_trip_group(images, int(sizes[0, 0]), int(sizes[0, 1]))
    out = np.empty_like(images)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
    for g in range(len(keys)):
        idx = order[starts[g]: starts[g + 1]]
        sh, sw = (int(v) for v in sizes[idx[0]])
        if len(idx) == 1:
            i = int(idx[0])
            _nearest_round_trip_group(images[i: i + 1], sh, sw, out=out[i: i + 1])
        else:
            out[idx] = _nearest_round_trip_group(images.take(idx, axis=0), sh, sw)
    return out
