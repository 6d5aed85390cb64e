"""Degradations: JPEG compression, motion blur, stroke thickness (erode/dilate), occlusion.

These look like the defects of real photographs and scans — a better bet for robustness
than per-pixel noise (see :mod:`augkit.image.noise`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from ..core.transform import Meta, Params, PixelTransform
from ..core.validate import check_fill, check_int_range, check_range
from ..kernels.degrade import (
    defocus_image,
    downscale_image,
    dropout_image,
    jpeg_image,
    morphology_image,
    motion_blur_image,
)
from ..kernels.lens import chromatic_aberration_image

__all__ = ["ChromaticAberration", "CoarseDropout", "Defocus", "Dilate", "Downscale", "Erode", "JpegCompression",
           "MotionBlur"]


@dataclass(frozen=True, kw_only=True)
class JpegCompression(PixelTransform):
    """A real JPEG round trip (Pillow's libjpeg) at a quality drawn per sample.

    Parameters
    ----------
    quality_range : (int, int)
        JPEG quality, 1 (worst) to 100, inclusive range drawn per sample.

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    >>> y = ak.image.JpegCompression(quality_range=(20, 20))(image=x)["image"]
    >>> y.shape, bool((y != x).any())
    ((16, 16, 3), True)
    """

    quality_range: tuple[int, int] = (30, 95)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("quality_range", check_int_range("quality_range", self.quality_range, low=1, high=100))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        lo, hi = self.quality_range
        return {"quality": rng.integers(lo, hi + 1, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return jpeg_image(images, params["quality"])


@dataclass(frozen=True, kw_only=True)
class MotionBlur(PixelTransform):
    """Blur along a straight line (camera shake, moving subject), length and angle per sample.

    Parameters
    ----------
    length_px_range : (int, int)
        Kernel length in pixels (odd values; even draws are rounded up), inclusive range.
    angle_degrees_range : (float, float)
        Direction of the motion, counter-clockwise from the x axis.

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.zeros((9, 9), np.uint8); img[4, 4] = 250
    >>> out = ak.image.MotionBlur(length_px_range=(5, 5), angle_degrees_range=(90, 90))(image=img)["image"]
    >>> out[2:7, 4].tolist(), int(out[4, 3])
    ([50, 50, 50, 50, 50], 0)
    """

    length_px_range: tuple[int, int] = (3, 9)
    angle_degrees_range: tuple[float, float] = (0.0, 180.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("length_px_range", check_int_range("length_px_range", self.length_px_range, low=3, high=101))
        self._set("angle_degrees_range", check_range("angle_degrees_range", self.angle_degrees_range))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        lo, hi = self.length_px_range
        length = rng.integers(lo, hi + 1, size=meta.n)
        return {"length_px": length | 1, "angle_degrees": rng.uniform(*self.angle_degrees_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return motion_blur_image(images, params["length_px"], params["angle_degrees"])


def _check_radius(t: PixelTransform) -> None:
    t._set("radius_px_range", check_int_range("radius_px_range", t.radius_px_range, low=1, high=50))


def _draw_radius(t: PixelTransform, rng: np.random.Generator, meta: Meta) -> Params:
    lo, hi = t.radius_px_range
    return {"radius_px": rng.integers(lo, hi + 1, size=meta.n)}


class _Morphology:
    """What Erode and Dilate share (a mixin: no fields, not a Transform): the radius checks and
    draws, and the kernel call with the class's ``operation``."""

    radius_px_range: tuple[int, int]
    operation: ClassVar[str]

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]
        _check_radius(self)  # type: ignore[arg-type]

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return _draw_radius(self, rng, meta)  # type: ignore[arg-type]

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return morphology_image(images, params["radius_px"], self.operation)


@dataclass(frozen=True, kw_only=True)
class Erode(_Morphology, PixelTransform):
    """Grey erosion (local minimum over a disk): dark strokes on a light page get thicker.

    Parameters
    ----------
    radius_px_range : (int, int)
        Disk radius in pixels, inclusive range drawn per sample; the disk is
        ``x^2 + y^2 <= r^2`` (radius 1: the 3x3 cross, OpenCV's 3x3 ellipse).

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.full((7, 7), 200, np.uint8); img[3, 3] = 0
    >>> int((ak.image.Erode(radius_px_range=(1, 1))(image=img)["image"] == 0).sum())   # a 3x3 cross
    5
    """

    radius_px_range: tuple[int, int] = (1, 2)
    operation: ClassVar[str] = "erosion"


@dataclass(frozen=True, kw_only=True)
class Dilate(_Morphology, PixelTransform):
    """Grey dilation (local maximum over a disk): dark strokes on a light page get thinner.

    Parameters
    ----------
    radius_px_range : (int, int)
        Disk radius in pixels, inclusive range drawn per sample; the disk is
        ``x^2 + y^2 <= r^2`` (radius 1: the 3x3 cross, OpenCV's 3x3 ellipse).

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.full((7, 7), 200, np.uint8); img[3, 2:5] = 0
    >>> int((ak.image.Dilate(radius_px_range=(1, 1))(image=img)["image"] == 0).sum())
    0
    """

    radius_px_range: tuple[int, int] = (1, 2)
    operation: ClassVar[str] = "dilation"


@dataclass(frozen=True, kw_only=True)
class Defocus(PixelTransform):
    """Out-of-focus blur: a normalized disk kernel of a radius drawn per sample.

    Parameters
    ----------
    radius_px_range : (int, int)
        Disk radius in pixels, inclusive range drawn per sample.

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.zeros((9, 9), np.uint8); img[4, 4] = 255
    >>> out = ak.image.Defocus(radius_px_range=(1, 1))(image=img)["image"]
    >>> int((out > 0).sum())
    9
    """

    radius_px_range: tuple[int, int] = (1, 3)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_radius(self)

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return _draw_radius(self, rng, meta)

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return defocus_image(images, params["radius_px"])


@dataclass(frozen=True, kw_only=True)
class Downscale(PixelTransform):
    """Lose resolution: shrink by a factor drawn per sample (area averaging), enlarge back.

    Parameters
    ----------
    scale_range : (float, float)
        Shrink factor, in (0, 1].
    downscale : {"area", "bilinear", "nearest"}
        How it shrinks: ``"area"`` averages pixels (what a lower-resolution sensor records);
        ``"nearest"`` aliases (and is much faster on large images).
    upscale : {"bilinear", "nearest"}
        How the image is enlarged back (``"nearest"``: blocky).

    Examples
    --------
    >>> import augkit as ak
    >>> img = (np.arange(16, dtype=np.uint8).reshape(4, 4) * 10)
    >>> ak.image.Downscale(scale_range=(0.5, 0.5), upscale="nearest")(image=img)["image"][0].tolist()
    [25, 25, 45, 45]
    """

    scale_range: tuple[float, float] = (0.25, 0.5)
    downscale: str = "area"
    upscale: str = "bilinear"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("scale_range", check_range("scale_range", self.scale_range, low=0.0, high=1.0, low_open=True))
        if self.upscale not in ("bilinear", "nearest"):
            raise ValueError(f"upscale must be 'bilinear' or 'nearest', got {self.upscale!r}")
        if self.downscale not in ("area", "bilinear", "nearest"):
            raise ValueError(f"downscale must be 'area', 'bilinear' or 'nearest', got {self.downscale!r}")

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"scale": rng.uniform(*self.scale_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        return downscale_image(images, params["scale"], self.upscale, self.downscale)


@dataclass(frozen=True, kw_only=True)
class CoarseDropout(PixelTransform):
    """Cut-out: fill a few rectangles of each image with a value or with random colours.

    Masks, boxes and keypoints are left as they are (the object is occluded, not gone).

    Parameters
    ----------
    holes_range : (int, int)
        Number of rectangles per sample, inclusive range.
    size_fraction_range : (float, float)
        Height and width of each rectangle as fractions of the image's (drawn separately).
    fill : float, tuple of float, or "random"
        Fill value in the image's range (per channel if a tuple), or a random colour per hole.

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.full((20, 20), 255, np.uint8)
    >>> out = ak.image.CoarseDropout(holes_range=(1, 1), size_fraction_range=(0.5, 0.5), fill=0)(image=img, rng=0)
    >>> int((out["image"] == 0).sum())
    100
    """

    holes_range: tuple[int, int] = (1, 4)
    size_fraction_range: tuple[float, float] = (0.05, 0.2)
    fill: float | tuple[float, ...] | str = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("holes_range", check_int_range("holes_range", self.holes_range, low=0, high=64))
        self._set("size_fraction_range", check_range("size_fraction_range", self.size_fraction_range,
                                                     low=0.0, high=1.0))
        if isinstance(self.fill, str):
            if self.fill != "random":
                raise ValueError(f"fill must be a number, a tuple of numbers or 'random', got {self.fill!r}")
        else:
            self._set("fill", check_fill("fill", self.fill))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        n, k = meta.n, self.holes_range[1]
        count = rng.integers(self.holes_range[0], k + 1, size=n)
        frac = rng.uniform(*self.size_fraction_range, size=(n, k, 2))
        hh = np.rint(frac[..., 0] * meta.height).astype(np.int64)
        ww = np.rint(frac[..., 1] * meta.width).astype(np.int64)
        y0 = (rng.random((n, k)) * (meta.height - hh + 1)).astype(np.int64)
        x0 = (rng.random((n, k)) * (meta.width - ww + 1)).astype(np.int64)
        used = np.arange(k)[None, :] < count[:, None]
        boxes = np.empty((n, k, 4), np.int64)  # (filled plane by plane: np.stack costs ~20 us on a small call)
        boxes[..., 0], boxes[..., 1], boxes[..., 3] = y0, x0, x0 + ww
        boxes[..., 2] = np.where(used, y0 + hh, y0)
        params: Params = {"holes": boxes}
        if self.fill == "random":
            params["fill_color"] = rng.random((n, k, meta.channels))
        return params

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        n, k = params["holes"].shape[:2]
        top = 255.0 if images.dtype == np.uint8 else 1.0
        if self.fill == "random":
            fills = params["fill_color"] * top
        else:
            value = np.asarray(self.fill, np.float64)
            if value.ndim == 1 and value.size != images.shape[-1]:
                raise ValueError(f"CoarseDropout: fill has {value.size} values, the images have "
                                 f"{images.shape[-1]} channels")
            value = np.broadcast_to(value, (images.shape[-1],))
            if (value < 0).any() or (value > top).any():
                raise ValueError(f"CoarseDropout: fill={self.fill!r} is outside the range of {images.dtype} images "
                                 f"[0, {top:g}]")
            fills = np.broadcast_to(value, (n, k, images.shape[-1]))
        if images.dtype == np.uint8:
            fills = np.rint(fills).astype(np.uint8)
        else:
            fills = fills.astype(images.dtype)
        return dropout_image(images, params["holes"], fills)


@dataclass(frozen=True, kw_only=True)
class ChromaticAberration(PixelTransform):
    """Colour fringes along edges away from the centre: a lens that magnifies red and blue light
    slightly differently from green (lateral chromatic aberration, strong in cheap and wide
    lenses).

    The red plane is magnified about the image centre by ``1 + m`` and the blue plane by
    ``1 - m`` (or ``1 + m`` with ``same_side``), ``m`` drawn per sample; green and alpha are
    kept, as are masks and boxes (the fringes are a fraction of a pixel to a few pixels).
    Images with fewer than three colour channels are returned unchanged.

    Parameters
    ----------
    magnification_range : (float, float)
        ``m``: the red plane's magnification relative to green, minus one (0.002: 0.2 %, a
        pixel at the edge of a 1000-pixel-wide image), in [-0.1, 0.1].
    same_side : bool
        Blue magnified like red instead of the opposite way (a green-magenta fringe rather than
        red on one side of an edge and blue on the other).

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.zeros((9, 9, 3), np.uint8); img[:, 7:] = 255
    >>> out = ak.image.ChromaticAberration(magnification_range=(0.1, 0.1))(image=img)["image"]
    >>> out[4, 6].tolist()      # just inside the edge: blue (shrunk) spills over it, red (magnified) moves out
    [0, 0, 57]
    """

    magnification_range: tuple[float, float] = (-0.005, 0.005)
    same_side: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("magnification_range", check_range("magnification_range", self.magnification_range,
                                                     low=-0.1, high=0.1))
        if not isinstance(self.same_side, bool):
            raise TypeError(f"same_side must be True or False, got {self.same_side!r}")

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"magnification": rng.uniform(*self.magnification_range, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        m = np.asarray(params["magnification"], np.float64)
        return chromatic_aberration_image(images, 1.0 + m, 1.0 + m if self.same_side else 1.0 - m)
