"""Noise transforms.

A lesson worth keeping in mind (Ng; also the synthetic-data literature): purely random
per-pixel noise that does not look like the test data rarely helps a model. Prefer
distortions that your test set actually shows — sensor noise of the right strength, blur,
compression, lighting — and check with error analysis that the errors you target are there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import Meta, Params, PixelTransform
from ..core.validate import check_range
from ..kernels.noise import gaussian_noise_image, salt_pepper_image

__all__ = ["GaussianNoise", "SaltPepper"]


def _seeds(rng: np.random.Generator, n: int) -> NDArray:
    return rng.integers(0, np.iinfo(np.int64).max, size=n, dtype=np.int64)


@dataclass(frozen=True, kw_only=True)
class GaussianNoise(PixelTransform):
    """Additive Gaussian noise with a standard deviation drawn per sample.

    Parameters
    ----------
    std_range : (float, float)
        Standard deviation as a fraction of full scale (255 for uint8, 1 for float), in [0, 1].
    per_channel : bool
        Independent noise per colour channel (default), or the same noise on all of them.

    Notes
    -----
    The per-pixel noise comes from a per-sample seed kept in the params, so replay is exact
    without storing per-pixel arrays. The normal draws come from an inverse-CDF table (see
    :func:`augkit.kernels.noise.normal_table`: cut at 4.3 standard deviations, otherwise exact to
    1/65536 in probability). On uint8 images the noise is rounded to whole grey levels before it
    is added (results saturate at 0 and 255). See the module note on choosing realistic noise.

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.full((64, 64), 128, np.uint8)
    >>> out = ak.image.GaussianNoise(std_range=(0.05, 0.05))(image=x, rng=0)["image"]
    >>> 10 < float(out.std()) < 15
    True
    """

    std_range: tuple[float, float] = (0.01, 0.05)
    per_channel: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("std_range", check_range("std_range", self.std_range, low=0.0, high=1.0))
        if not isinstance(self.per_channel, bool):
            raise TypeError(f"per_channel must be True or False, got {self.per_channel!r}")

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"std": rng.uniform(*self.std_range, size=meta.n), "seed": _seeds(rng, meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return gaussian_noise_image(images, params["std"], params["seed"], per_channel=self.per_channel)


@dataclass(frozen=True, kw_only=True)
class SaltPepper(PixelTransform):
    """Impulse noise: a fraction of pixels set to white (salt) or black (pepper).

    Parameters
    ----------
    amount_range : (float, float)
        Fraction of pixels hit, in [0, 1].
    salt_ratio_range : (float, float)
        Share of the hit pixels that turn white, in [0, 1].

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.full((50, 50), 100, np.uint8)
    >>> out = ak.image.SaltPepper(amount_range=(0.2, 0.2))(image=x, rng=1)["image"]
    >>> sorted(np.unique(out).tolist())
    [0, 100, 255]
    """

    amount_range: tuple[float, float] = (0.01, 0.06)
    salt_ratio_range: tuple[float, float] = (0.4, 0.6)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("amount_range", check_range("amount_range", self.amount_range, low=0.0, high=1.0))
        self._set("salt_ratio_range", check_range("salt_ratio_range", self.salt_ratio_range, low=0.0, high=1.0))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {
            "amount": rng.uniform(*self.amount_range, size=meta.n),
            "salt_ratio": rng.uniform(*self.salt_ratio_range, size=meta.n),
            "seed": _seeds(rng, meta.n),
        }

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return salt_pepper_image(images, params["amount"], params["salt_ratio"], params["seed"])
