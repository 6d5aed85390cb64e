"""Photometric transforms (one parameter per sample): contrast, brightness, gamma, invert,
grey, posterize, equalize, CLAHE, colour jitter, uneven illumination."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import Meta, Params, PixelTransform
from ..core.validate import check_int, check_int_range, check_number, check_range
from ..kernels.clahe import clahe_image
from ..kernels.color import (
    adjust_brightness_image,
    adjust_contrast_image,
    adjust_gamma_image,
    equalize_image,
    illuminate_image,
    invert_image,
    posterize_image,
    scale_light_image,
    to_gray_image,
)
from ..kernels.hsv import jitter_hsv_image
from ..kernels.shadow import shadow_gains

__all__ = ["CLAHE", "Brightness", "ColorJitter", "Contrast", "Equalize", "Gamma", "Illumination", "Invert", "Posterize",
           "Shadow", "ToGray"]


@dataclass(frozen=True, kw_only=True)
class Contrast(PixelTransform):
    """Scale the deviation from the image's mean luma by a factor drawn per sample.

    ``out = mean + factor * (x - mean)`` (Pillow's ``ImageEnhance.Contrast``); 0 gives a
    flat grey image, 1 the original.

    Parameters
    ----------
    factor_range : (float, float)
        Contrast factor interval (>= 0).

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.array([[50, 150]], np.uint8)
    >>> ak.image.Contrast(factor_range=(2, 2))(image=img)["image"].tolist()
    [[0, 200]]
    """

    factor_range: tuple[float, float] = (0.8, 1.2)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("factor_range", check_range("factor_range", self.factor_range, low=0.0))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"factor": rng.uniform(*self.factor_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return adjust_contrast_image(images, params["factor"])


@dataclass(frozen=True, kw_only=True)
class Brightness(PixelTransform):
    """Add an offset drawn per sample, as a fraction of full scale (255 for uint8, 1 for float).

    Parameters
    ----------
    delta_range : (float, float)
        Offset interval within [-1, 1].

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.Brightness(delta_range=(0.2, 0.2))(image=np.array([[100]], np.uint8))["image"].item()
    151
    """

    delta_range: tuple[float, float] = (-0.2, 0.2)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("delta_range", check_range("delta_range", self.delta_range, low=-1.0, high=1.0))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"delta": rng.uniform(*self.delta_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return adjust_brightness_image(images, params["delta"])


@dataclass(frozen=True, kw_only=True)
class Gamma(PixelTransform):
    """Gamma curve ``out = full * (x / full) ** gamma`` with gamma drawn per sample.

    Parameters
    ----------
    gamma_range : (float, float)
        Gamma interval (> 0); below 1 brightens mid-tones, above 1 darkens them.

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.Gamma(gamma_range=(0.5, 0.5))(image=np.array([[64]], np.uint8))["image"].item()
    128
    """

    gamma_range: tuple[float, float] = (0.8, 1.25)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("gamma_range", check_range("gamma_range", self.gamma_range, low=0.0, low_open=True))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"gamma": rng.uniform(*self.gamma_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return adjust_gamma_image(images, params["gamma"])


@dataclass(frozen=True, kw_only=True)
class Invert(PixelTransform):
    """Negative image: ``full - x`` on the colour channels (alpha kept). Pillow's ``ImageOps.invert``.

    Useful for OCR and scans, where text may be dark on light or light on dark.

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.Invert()(image=np.array([[0, 250]], np.uint8))["image"].tolist()
    [[255, 5]]
    """

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return invert_image(images)


@dataclass(frozen=True, kw_only=True)
class ToGray(PixelTransform):
    """Replace colour by its BT.601 luma, keeping the number of channels (Pillow's ``convert("L")``).

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.ToGray()(image=np.array([[[0, 255, 0]]], np.uint8))["image"].tolist()
    [[[150, 150, 150]]]
    """

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return to_gray_image(images)


@dataclass(frozen=True, kw_only=True)
class Posterize(PixelTransform):
    """Keep only the top bits of each 8-bit level, with the bit count drawn per sample.

    Parameters
    ----------
    bits_range : (int, int)
        Inclusive range of bits kept, within [1, 8] (8 leaves the image unchanged).

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.Posterize(bits_range=(1, 1))(image=np.array([[100, 200]], np.uint8))["image"].tolist()
    [[0, 128]]
    """

    bits_range: tuple[int, int] = (4, 8)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("bits_range", check_int_range("bits_range", self.bits_range, low=1, high=8))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"bits": rng.integers(self.bits_range[0], self.bits_range[1] + 1, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return posterize_image(images, params["bits"])


@dataclass(frozen=True, kw_only=True)
class Equalize(PixelTransform):
    """Histogram equalisation of each colour channel (Pillow's ``ImageOps.equalize``).

    Spreads the levels a scan or a dim photo actually uses over the full range.

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.repeat(np.array([10, 20, 30], np.uint8), 2000).reshape(60, 100)
    >>> np.unique(ak.image.Equalize()(image=img)["image"]).tolist()
    [0, 133, 255]
    """

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return equalize_image(images)


@dataclass(frozen=True, kw_only=True)
class CLAHE(PixelTransform):
    """Contrast-limited adaptive histogram equalisation, with a clip limit drawn per sample.

    Local contrast is stretched tile by tile, so detail comes out in both the dark and the
    bright parts of a scan or a backlit photo, while the clip limit keeps noise in flat areas
    from being blown up. OpenCV's algorithm (``cv2.createCLAHE``); colour images are equalised
    on their luma and keep their chroma.

    Parameters
    ----------
    clip_limit_range : (float, float)
        Clip limit: the most a histogram bin may hold, as a multiple of the tile's mean bin
        count (1 = no contrast gain; OpenCV's ``clipLimit``).
    tile_grid_size : (int, int)
        Tiles per column and per row: ``(rows, columns)``.

    Examples
    --------
    >>> import augkit as ak
    >>> ramp = np.tile(np.repeat(np.arange(100, 132, dtype=np.uint8), 2), (64, 1))
    >>> out = ak.image.CLAHE(clip_limit_range=(40, 40))(image=ramp)["image"]
    >>> int(ramp.max()) - int(ramp.min()), int(out.max()) - int(out.min())   # a dull ramp spread out
    (31, 131)
    """

    clip_limit_range: tuple[float, float] = (1.0, 4.0)
    tile_grid_size: tuple[int, int] = (8, 8)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("clip_limit_range", check_range("clip_limit_range", self.clip_limit_range, low=0.0, low_open=True))
        grid = tuple(self.tile_grid_size) if not isinstance(self.tile_grid_size, (str, bytes)) else ()
        if len(grid) != 2:
            raise ValueError(f"tile_grid_size must be (rows, columns), got {self.tile_grid_size!r}")
        self._set("tile_grid_size", tuple(check_int(f"tile_grid_size[{i}]", v, low=1) for i, v in enumerate(grid)))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"clip_limit": rng.uniform(*self.clip_limit_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return clahe_image(images, params["clip_limit"], self.tile_grid_size)


@dataclass(frozen=True, kw_only=True)
class ColorJitter(PixelTransform):
    """Shift hue and scale saturation and value (HSV, as :mod:`colorsys`), drawn per sample.

    Parameters
    ----------
    hue_degrees_range : (float, float)
        Hue rotation in degrees.
    saturation_range, value_range : (float, float)
        Factors for saturation and value (results are limited to the colour range). Grey
        images only get the value factor.

    Examples
    --------
    >>> import augkit as ak
    >>> red = np.zeros((2, 2, 3), np.uint8); red[..., 0] = 255
    >>> jit = ak.image.ColorJitter(hue_degrees_range=(120, 120), saturation_range=(1, 1), value_range=(1, 1))
    >>> jit(image=red)["image"][0, 0].tolist()
    [0, 255, 0]
    """

    hue_degrees_range: tuple[float, float] = (-10.0, 10.0)
    saturation_range: tuple[float, float] = (0.7, 1.3)
    value_range: tuple[float, float] = (0.8, 1.2)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("hue_degrees_range", check_range("hue_degrees_range", self.hue_degrees_range,
                                                   low=-360.0, high=360.0))
        self._set("saturation_range", check_range("saturation_range", self.saturation_range, low=0.0))
        self._set("value_range", check_range("value_range", self.value_range, low=0.0))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        n = meta.n
        return {"hue_degrees": rng.uniform(*self.hue_degrees_range, size=n),
                "saturation": rng.uniform(*self.saturation_range, size=n),
                "value": rng.uniform(*self.value_range, size=n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return jitter_hsv_image(images, params["hue_degrees"] / 360.0, params["saturation"], params["value"])


@dataclass(frozen=True, kw_only=True)
class Illumination(PixelTransform):
    """Uneven lighting: more light from one side, and less towards the corners.

    A page under a desk lamp, a face by a window, a photo through a cheap lens: the light
    falling on the scene changes smoothly across the frame. Each sample's light is multiplied
    by ``(1 + gradient * d) * (1 - vignette * r2)``, where ``d`` runs from -1/2 on the far
    side to +1/2 on the side the light comes from (a direction drawn uniformly) and ``r2``
    from 0 at the centre to 1 in the corners. The centre keeps its brightness. Light is taken
    as the encoded value to the power 2.2 (the usual approximation of the sRGB curve), so the
    encoded values are multiplied by that gain to the power 1/2.2, saturating at white.

    Parameters
    ----------
    gradient_range : (float, float)
        Light difference between the lit and the far side, as a fraction of the centre's
        light (0.4: 1.2x on the lit side, 0.8x on the far side), drawn per sample, in [0, 1.9].
    vignette_range : (float, float)
        Fraction of the centre's light lost in the corners, drawn per sample, in [0, 1].
    angle_degrees_range : (float, float)
        Direction the light comes from, counter-clockwise from the right as displayed.

    Examples
    --------
    >>> import augkit as ak
    >>> flat = np.full((16, 32), 100, np.uint8)
    >>> t = ak.image.Illumination(gradient_range=(0.8, 0.8), vignette_range=(0, 0), angle_degrees_range=(0, 0))
    >>> row = t(image=flat)["image"][8]
    >>> int(row[0]) < 100 < int(row[-1])           # lit from the right
    True
    """

    gradient_range: tuple[float, float] = (0.0, 0.6)
    vignette_range: tuple[float, float] = (0.0, 0.4)
    angle_degrees_range: tuple[float, float] = (0.0, 360.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("gradient_range", check_range("gradient_range", self.gradient_range, low=0.0, high=1.9))
        self._set("vignette_range", check_range("vignette_range", self.vignette_range, low=0.0, high=1.0))
        self._set("angle_degrees_range", check_range("angle_degrees_range", self.angle_degrees_range,
                                                     low=-360.0, high=360.0))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        n = meta.n
        return {"gradient": rng.uniform(*self.gradient_range, size=n),
                "vignette": rng.uniform(*self.vignette_range, size=n),
                "angle_degrees": rng.uniform(*self.angle_degrees_range, size=n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return illuminate_image(images, params["gradient"], params["angle_degrees"], params["vignette"])


#: Most edges a :class:`Shadow` region may have.
SHADOW_MAX_EDGES = 4


@dataclass(frozen=True, kw_only=True)
class Shadow(PixelTransform):
    """A soft cast shadow across part of each image: a hand or a phone over a page, a pole or
    a building across a road.

    Each sample's shadow is a convex region bounded by ``edges_range`` straight edges (1: a
    half-plane; 2: a wedge or a band; more: a polygon) around a random point of the image,
    each edge a random distance (up to ``reach`` times the image's shorter side, and never
    beyond the image: every edge crosses it) from it in a random direction. Inside, a fraction
    ``darkness`` of the light is blocked; across the edge the light changes over a penumbra
    ``penumbra_fraction`` of the shorter side wide. Light is
    scaled as in :class:`Illumination` (encoded values to the power 2.2), so a shadow darkens
    dark and bright surfaces in proportion, as a real one does.

    Parameters
    ----------
    darkness_range : (float, float)
        Fraction of the light blocked inside the shadow, in [0, 1).
    edges_range : (int, int)
        Number of straight edges, inclusive, within 1..4.
    penumbra_fraction_range : (float, float)
        Width of the soft edge as a fraction of the image's shorter side (> 0).
    reach : float
        Largest distance from the shadow's anchor point to an edge, as a fraction of the
        shorter side (> 0): larger shadows with larger values.

    Examples
    --------
    >>> import augkit as ak
    >>> page = np.full((32, 32), 200, np.uint8)
    >>> out = ak.image.Shadow(darkness_range=(0.5, 0.5))(image=page, rng=0)["image"]
    >>> int(out.min()) == round(200 * 0.5 ** (1 / 2.2)), int(out.max())     # a shadow, and light left
    (True, 200)
    """

    darkness_range: tuple[float, float] = (0.3, 0.7)
    edges_range: tuple[int, int] = (1, 3)
    penumbra_fraction_range: tuple[float, float] = (0.01, 0.1)
    reach: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("darkness_range", check_range("darkness_range", self.darkness_range, low=0.0, high=0.99))
        self._set("edges_range", check_int_range("edges_range", self.edges_range, low=1, high=SHADOW_MAX_EDGES))
        self._set("penumbra_fraction_range", check_range("penumbra_fraction_range", self.penumbra_fraction_range,
                                                         low=0.0, high=10.0, low_open=True))
        self._set("reach", check_number("reach", self.reach, low=0.0, high=10.0))
        if self.reach == 0:
            raise ValueError("reach must be above 0 (a fraction of the image's shorter side)")

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        n, k = meta.n, SHADOW_MAX_EDGES
        w, h = meta.width, meta.height
        lo, hi = self.edges_range
        anchor = rng.random((n, 2)) * np.array([w, h])
        normal = rng.uniform(0.0, 360.0, size=(n, k))
        # every edge crosses the image: at most as far behind the anchor as the image reaches
        theta = np.deg2rad(normal)
        back_x = np.where(np.cos(theta) > 0, anchor[:, 0, None], anchor[:, 0, None] - w) * np.cos(theta)
        back_y = np.where(np.sin(theta) < 0, anchor[:, 1, None], anchor[:, 1, None] - h) * -np.sin(theta)
        room = np.minimum(back_x + back_y, self.reach * min(w, h))
        return {"anchor": anchor,
                "normal_degrees": normal,
                "offset_px": rng.random((n, k)) * room,
                "edges": rng.integers(lo, hi + 1, size=n),
                "darkness": rng.uniform(*self.darkness_range, size=n),
                "penumbra_px": rng.uniform(*self.penumbra_fraction_range, size=n) * min(w, h)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        h, w = images.shape[1:3]
        p = params
        return scale_light_image(images, lambda a, b: shadow_gains(
            h, w, p["anchor"][a:b], p["normal_degrees"][a:b], p["offset_px"][a:b], p["edges"][a:b],
            p["darkness"][a:b], p["penumbra_px"][a:b]))
