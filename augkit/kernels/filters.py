"""Filtering kernels: Gaussian blur and unsharp masking, with one setting per image."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .backend import opencv

__all__ = ["gaussian_blur_image", "gaussian_kernels", "gaussian_radius", "unsharp_mask_image"]


def gaussian_radius(sigma: float) -> int:
    """Kernel radius used for ``sigma``: the Gaussian is truncated at 3 sigma (at least 1 px).

    Examples
    --------
    >>> gaussian_radius(1.0), gaussian_radius(0.1)
    (3, 1)
    """
    return max(1, int(3.0 * sigma + 0.5))


def gaussian_kernels(sigmas: NDArray) -> list[NDArray[np.float32]]:
    """The normalized 1-D Gaussian of each sigma, truncated at :func:`gaussian_radius`, as
    float32 columns ``(k, 1)``: bit for bit what ``cv2.getGaussianKernel(k, sigma, CV_32F)``
    gives (computed in float64 the same way, then rounded), made for a whole batch at once
    (one OpenCV call per image cost 2.6 us, a fifth of blurring a 32x32 image).

    Examples
    --------
    >>> [round(float(v), 4) for v in gaussian_kernels(np.array([0.5, 1.0]))[0].ravel()]
    [0.0003, 0.1065, 0.7866, 0.1065, 0.0003]
    """
    sigmas = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    sizes = 2 * np.maximum(1, (3.0 * sigmas + 0.5).astype(np.int64)) + 1
    out: list[NDArray[np.float32]] = [np.empty(0, np.float32)] * len(sigmas)
    for k in np.unique(sizes).tolist():
        which = (sizes == k).nonzero()[0]
        x = np.arange(k) - (k - 1) * 0.5
        scale = -0.5 / (sigmas[which] * sigmas[which])
        t = np.exp((scale[:, None] * x[None, :]) * x[None, :])  # (OpenCV's order: scale * x * x)
        rows = (t / t.sum(axis=1, keepdims=True)).astype(np.float32)
        for i, row in zip(which.tolist(), rows, strict=True):
            out[i] = row[:, None]
    return out


def gaussian_blur_image(images: NDArray, sigmas: NDArray) -> NDArray:
    """Blur image ``i`` with an isotropic Gaussian of ``sigmas[i]`` pixels.

    Mirror border without repeating the edge pixel (OpenCV's ``BORDER_REFLECT_101``,
    SciPy's ``"mirror"``); every channel is blurred, alpha included. Accumulation is in
    float32 on both paths; uint8 results are rounded, float results kept in [0, 1].

    Examples
    --------
    >>> img = np.zeros((1, 9, 9, 1), np.float32); img[0, 4, 4] = 1.0
    >>> out = gaussian_blur_image(img, np.array([1.0]))
    >>> round(float(out.sum()), 4), round(float(out[0, 4, 4, 0]), 3)
    (1.0, 0.159)
    """
    out = np.empty_like(images)
    c = images.shape[-1]
    cv2 = opencv() if c <= 4 else None
    kernels = gaussian_kernels(sigmas) if cv2 is not None else None
    for i, sigma in enumerate(np.asarray(sigmas, dtype=np.float64).tolist()):
        k = 2 * gaussian_radius(sigma) + 1
        if kernels is not None:
            # float kernels: float sums, uint8 rounded half to even on the way out (the fixed-point
            # path of cv2.GaussianBlur on uint8 is off by up to 2 levels)
            src, dst = (images[i, ..., 0], out[i, ..., 0]) if c == 1 else (images[i], out[i])
            kernel = kernels[i]
            cv2.sepFilter2D(src, -1, kernel, kernel, dst, (-1, -1), 0.0, cv2.BORDER_REFLECT_101)  # positional: cheaper
        else:
            from scipy import ndimage  # imported on first use

            smooth = ndimage.gaussian_filter(images[i].astype(np.float32), sigma=(sigma, sigma, 0), mode="mirror",
                                             truncate=(k // 2) / sigma)
            out[i] = np.clip(np.rint(smooth), 0, 255) if images.dtype == np.uint8 else smooth
    if out.dtype != np.uint8:  # float sums of a normalized kernel can overshoot 1 (or 0) by an ulp
        np.clip(out, 0.0, 1.0, out=out)
    return out


def unsharp_mask_image(images: NDArray, sigmas: NDArray, amounts: NDArray) -> NDArray:
    """Sharpen image ``i`` by unsharp masking: ``x + amounts[i] * (x - G(sigmas[i]) * x)``.

    ``G`` is the Gaussian of :func:`gaussian_blur_image` (mirror border, 3-sigma kernel),
    applied to the colour channels only (an alpha channel is copied). Sums in float32; uint8
    results are rounded and saturated, float results clipped to [0, 1] (the halo of an edge
    cannot go past black or white).

    Examples
    --------
    >>> step = np.repeat(np.array([[0.25] * 4 + [0.75] * 4], np.float32), 3, axis=0)[None, ..., None]
    >>> out = unsharp_mask_image(step, np.array([1.0]), np.array([1.0]))[0, 1, :, 0]
    >>> bool(out[3] < 0.25 < 0.75 < out[4]), float(out[0]) == 0.25     # halos at the edge, flat parts kept
    (True, True)
    """
    from .color import color_channels  # (kernels.color imports nothing from here)

    c = images.shape[-1]
    color = color_channels(c)
    out = np.empty_like(images)
    cv2 = opencv() if color in (1, 3) else None
    kernels = gaussian_kernels(sigmas) if cv2 is not None else None
    uint8 = images.dtype == np.uint8
    for i, (sigma, amount) in enumerate(zip(np.asarray(sigmas, np.float64).tolist(),
                                            np.asarray(amounts, np.float64).tolist(), strict=True)):
        k = 2 * gaussian_radius(sigma) + 1
        src = images[i, ..., 0] if color == 1 else images[i, ..., :color]
        dst = out[i, ..., 0] if color == 1 else out[i, ..., :color]
        if cv2 is not None:
            src = src if src.flags.c_contiguous else np.ascontiguousarray(src)  # (colour beside alpha)
            kernel = kernels[i]
            blurred = cv2.sepFilter2D(src, cv2.CV_32F, kernel, kernel, None, (-1, -1), 0.0, cv2.BORDER_REFLECT_101)
            sharp = cv2.addWeighted(src, 1.0 + amount, blurred, -amount, 0.0, None, cv2.CV_8U if uint8 else cv2.CV_32F)
            dst[...] = sharp.reshape(dst.shape)
            continue
        from scipy import ndimage  # imported on first use

        x = src.astype(np.float32)
        axes = (sigma, sigma) if color == 1 else (sigma, sigma, 0)
        blurred = ndimage.gaussian_filter(x, sigma=axes, mode="mirror", truncate=(k // 2) / sigma)
        sharp = x * np.float32(1.0 + amount) - blurred * np.float32(amount)
        dst[...] = np.clip(np.rint(sharp), 0, 255) if uint8 else sharp
    if color < c:
        out[..., color:] = images[..., color:]
    if not uint8:
        np.clip(out, 0.0, 1.0, out=out)
    return out
