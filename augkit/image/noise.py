"""Noise transforms.

A lesson worth keeping in mind (Ng; also the synthetic-data literature): purely random
per-pixel noise that does not look like the test data rarely helps a model. Prefer
distortions that your test set actually shows — sensor noise of the right strength, blur,
compression, lighting — and check with error analysis that the errors you target are there.
Grain in dim photos is :class:`SensorNoise` (it grows with the light, as a camera's does);
:class:`GaussianNoise` is the same everywhere, which no camera does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import Meta, Params, PixelTransform
from ..core.validate import check_range
from ..kernels.noise import gaussian_noise_image, salt_pepper_image, sensor_noise_image

__all__ = ["GaussianNoise", "SaltPepper", "SensorNoise"]


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
class SensorNoise(PixelTransform):
    """Camera sensor noise: photon shot noise plus read noise, added in linear light.

    The grain of a photo taken in dim light: each pixel counts photons, and the count varies
    like a Poisson variable, so the noise grows with the light (variance proportional to the
    linear intensity) while staying smaller relative to it; the electronics add a little
    noise of their own (read noise), which dominates in the shadows. Images are taken as
    sRGB-encoded: decoded to linear light, given the noise, clipped to the sensor's range and
    encoded again, so the grain has the strength, per tone, that a camera gives it.

    Parameters
    ----------
    white_photons_range : (float, float)
        Photons a white (full-scale) pixel collects, drawn log-uniformly per sample. Fewer
        photons, more noise: thousands and up in daylight on a large sensor, a few hundred
        for a phone indoors, tens at night or at high ISO.
    read_noise_range : (float, float)
        Read-noise standard deviation as a fraction of full scale in linear light, per sample.
    per_channel : bool
        Each colour channel counts its own photons (default: colour grain), or one draw per
        pixel for all its channels, each scaled by its own level (grain of brightness only).

    Notes
    -----
    The Poisson count is drawn as a Gaussian of the same mean and variance (close to it above
    about ten photons, the range where grain looks like grain rather than specks). Noise is
    drawn as in :class:`GaussianNoise`: a per-sample seed in the params, exact on replay.

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.zeros((64, 128), np.uint8); x[:, 64:] = 200      # a dark and a bright half
    >>> out = ak.image.SensorNoise(white_photons_range=(100, 100), read_noise_range=(0, 0))(image=x, rng=0)
    >>> dark, bright = out["image"][:, :64], out["image"][:, 64:]
    >>> int(dark.max()), 5 < float(bright.std()) < 15           # no light, no shot noise
    (0, True)
    """

    white_photons_range: tuple[float, float] = (100.0, 2000.0)
    read_noise_range: tuple[float, float] = (0.0, 0.002)
    per_channel: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("white_photons_range", check_range("white_photons_range", self.white_photons_range, low=1.0,
                                                     high=1e9))
        self._set("read_noise_range", check_range("read_noise_range", self.read_noise_range, low=0.0, high=1.0))
        if not isinstance(self.per_channel, bool):
            raise TypeError(f"per_channel must be True or False, got {self.per_channel!r}")

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        lo, hi = np.log(self.white_photons_range[0]), np.log(self.white_photons_range[1])
        return {"white_photons": np.exp(rng.uniform(lo, hi, size=meta.n)),
                "read_noise": rng.uniform(*self.read_noise_range, size=meta.n), "seed": _seeds(rng, meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return sensor_noise_image(images, params["white_photons"], params["read_noise"], params["seed"],
                                  per_channel=self.per_channel)


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
