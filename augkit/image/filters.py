"""Blur and sharpening transforms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import Meta, Params, PixelTransform
from ..core.validate import check_range
from ..kernels.filters import gaussian_blur_image, unsharp_mask_image

__all__ = ["GaussianBlur", "Sharpen"]


@dataclass(frozen=True, kw_only=True)
class GaussianBlur(PixelTransform):
    """Gaussian blur with a standard deviation drawn per sample (out-of-focus, low resolution).

    Parameters
    ----------
    sigma_range : (float, float)
        Standard deviation in pixels (> 0); the kernel is truncated at 3 sigma.

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.zeros((9, 9), np.uint8); img[4, 4] = 255
    >>> out = ak.image.GaussianBlur(sigma_range=(1.0, 1.0))(image=img)["image"]
    >>> 35 < int(out[4, 4]) < 45, int(out[4, 3]) > int(out[4, 2]) > 0
    (True, True)
    """

    sigma_range: tuple[float, float] = (0.5, 2.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("sigma_range", check_range("sigma_range", self.sigma_range, low=0.0, low_open=True))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"sigma": rng.uniform(*self.sigma_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return gaussian_blur_image(images, params["sigma"])


@dataclass(frozen=True, kw_only=True)
class Sharpen(PixelTransform):
    """Unsharp masking with a radius and strength drawn per sample: the over-sharpened look of
    phone cameras and scanners (halos along edges, lifted fine texture).

    ``out = x + amount * (x - G * x)`` with ``G`` a Gaussian of ``sigma`` pixels, on the
    colour channels (alpha is kept); values saturate at black and white.

    Parameters
    ----------
    sigma_range : (float, float)
        Radius of the blur that defines "detail", standard deviation in pixels (> 0).
    amount_range : (float, float)
        How much detail is added back (0: no change; 1: doubled).

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.full((8, 8), 100, np.uint8); img[:, 4:] = 150
    >>> out = ak.image.Sharpen(sigma_range=(1.0, 1.0), amount_range=(1.0, 1.0))(image=img)["image"]
    >>> int(out[0, 0]), int(out[0, 3]) < 100 < 150 < int(out[0, 4])
    (100, True)
    """

    sigma_range: tuple[float, float] = (0.5, 1.5)
    amount_range: tuple[float, float] = (0.3, 1.5)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("sigma_range", check_range("sigma_range", self.sigma_range, low=0.0, low_open=True))
        self._set("amount_range", check_range("amount_range", self.amount_range, low=0.0, high=20.0))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"sigma": rng.uniform(*self.sigma_range, size=meta.n),
                "amount": rng.uniform(*self.amount_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return unsharp_mask_image(images, params["sigma"], params["amount"])
