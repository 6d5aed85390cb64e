"""Crops, pads and resizes: transforms that change the canvas size.

Every sample of a batch gets the same output size (a batch is one array), so these take no
``p`` other than 1. Crops and pads copy pixels exactly; resizes resample once. Masks follow
(nearest neighbour), and boxes and keypoints are mapped onto the new canvas, clipped, and
dropped or flagged by the pipeline's rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from ..core.transform import BORDER_MODES, CanvasTransform, Meta, Params
from ..core.validate import check_choice, check_fill, check_int, check_number, check_range
from ..kernels.canvas import RESIZE_INTERPOLATIONS, crop_image, pad_image, region_matrices, resize_region_image

__all__ = ["CenterCrop", "Crop", "LongestMaxSize", "Pad", "PadIfNeeded", "RandomCrop", "RandomResizedCrop",
           "RandomSizedBBoxSafeCrop", "Resize", "SmallestMaxSize"]


def _translations(dx: NDArray, dy: NDArray) -> NDArray[np.float64]:
    m = np.repeat(np.eye(3)[None], len(dx), axis=0)
    m[:, 0, 2], m[:, 1, 2] = dx, dy
    return m


def _fits(name: str, height: int, width: int, meta: Meta) -> None:
    if height > meta.height or width > meta.width:
        raise ValueError(f"{name}: a {height}x{width} crop does not fit in {meta.height}x{meta.width} images "
                         f"(pad first: PadIfNeeded(min_height={height}, min_width={width}))")


def _crop_apply(images: NDArray, params: Params, size: tuple[int, int]) -> NDArray:
    return crop_image(images, params["x0"], params["y0"], size)


def _crop_matrices(params: Params) -> NDArray:
    return _translations(-np.asarray(params["x0"], np.float64), -np.asarray(params["y0"], np.float64))


class _Window:
    """What CenterCrop and RandomCrop share (a mixin: no fields, not a Transform): a ``height x
    width`` window whose corner ``(x0, y0)`` each one draws in its own ``sample``."""

    height: int
    width: int

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]
        self._set("height", check_int("height", self.height, low=1))  # type: ignore[attr-defined]
        self._set("width", check_int("width", self.width, low=1))  # type: ignore[attr-defined]

    def output_size(self, meta: Meta) -> tuple[int, int]:
        return self.height, self.width

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return _crop_matrices(params)

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        return _crop_apply(images, params, (self.height, self.width))


@dataclass(frozen=True, kw_only=True)
class Crop(CanvasTransform):
    """Cut the fixed region ``[x_min, x_max) x [y_min, y_max)`` (pixels) out of every image.

    Parameters
    ----------
    x_min, y_min, x_max, y_max : int
        Region corners; it must lie inside the image.

    Examples
    --------
    >>> import augkit as ak
    >>> img = np.arange(20, dtype=np.uint8).reshape(4, 5)
    >>> out = ak.image.Crop(x_min=1, y_min=2, x_max=4, y_max=4)(image=img, keypoints=[[2.5, 2.5]])
    >>> out["image"].tolist(), out["keypoints"].tolist()
    ([[11, 12, 13], [16, 17, 18]], [[1.5, 0.5]])
    """

    x_min: int = 0
    y_min: int = 0
    x_max: int = 1
    y_max: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("x_min", "y_min"):
            self._set(name, check_int(name, getattr(self, name), low=0))
        self._set("x_max", check_int("x_max", self.x_max, low=self.x_min + 1))
        self._set("y_max", check_int("y_max", self.y_max, low=self.y_min + 1))

    def output_size(self, meta: Meta) -> tuple[int, int]:
        return self.y_max - self.y_min, self.x_max - self.x_min

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        if self.x_max > meta.width or self.y_max > meta.height:
            raise ValueError(f"Crop: x_max={self.x_max}, y_max={self.y_max} lie outside the "
                             f"{meta.height}x{meta.width} images")
        return {"x0": np.full(meta.n, self.x_min), "y0": np.full(meta.n, self.y_min)}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return _crop_matrices(params)

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        return _crop_apply(images, params, self.output_size(meta))


@dataclass(frozen=True, kw_only=True)
class CenterCrop(_Window, CanvasTransform):
    """Cut a ``height x width`` window out of the middle of every image.

    Parameters
    ----------
    height, width : int
        Output size in pixels (at most the image size). An odd margin puts the extra pixel
        at the bottom/right, as ``A.CenterCrop``.

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.CenterCrop(height=2, width=2)(image=np.arange(16, dtype=np.uint8).reshape(4, 4))["image"].tolist()
    [[5, 6], [9, 10]]
    """

    height: int = 1
    width: int = 1

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        _fits("CenterCrop", self.height, self.width, meta)
        return {"x0": np.full(meta.n, (meta.width - self.width) // 2),
                "y0": np.full(meta.n, (meta.height - self.height) // 2)}


@dataclass(frozen=True, kw_only=True)
class RandomCrop(_Window, CanvasTransform):
    """Cut a ``height x width`` window at a position drawn per sample (uniform over whole pixels).

    Parameters
    ----------
    height, width : int
        Output size in pixels (at most the image size; pad first for larger crops, with
        :class:`PadIfNeeded` for images that may be smaller, or as in the
        CIFAR recipe ``Pad(padding_px=4)`` then ``RandomCrop(height=32, width=32)``).

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.RandomCrop(height=24, width=24)(image=np.zeros((8, 32, 32, 3), np.uint8), rng=0)
    >>> out["image"].shape
    (8, 24, 24, 3)
    """

    height: int = 1
    width: int = 1

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        _fits("RandomCrop", self.height, self.width, meta)
        return {"x0": rng.integers(0, meta.width - self.width + 1, size=meta.n),
                "y0": rng.integers(0, meta.height - self.height + 1, size=meta.n)}


def _check_padding(value: Any) -> tuple[int, int, int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        v = check_int("padding_px", value, low=0)
        return v, v, v, v
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"padding_px must be an int or (left, top, right, bottom), got {value!r}")
    items = tuple(value)
    if len(items) == 2:
        items = (items[0], items[1], items[0], items[1])
    if len(items) != 4:
        raise ValueError(f"padding_px must have 1, 2 (x, y) or 4 (left, top, right, bottom) values, got {value!r}")
    return tuple(check_int(f"padding_px[{i}]", v, low=0) for i, v in enumerate(items))  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True)
class Pad(CanvasTransform):
    """Add a border of fixed width around every image.

    Parameters
    ----------
    padding_px : int or (int, int) or (int, int, int, int)
        Pixels on every side, ``(x, y)``, or ``(left, top, right, bottom)``.
    border_mode : {"constant", "edge", "reflect"}
        ``fill``; the border pixel repeated; a mirror image without repeating the border
        pixel (OpenCV's BORDER_REFLECT_101, NumPy's ``"reflect"``).
    fill : float or tuple of float
        Image value for ``"constant"`` (per channel if a tuple).
    fill_mask : float
        Mask value for ``"constant"``; other modes extend masks the same way as images.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.Pad(padding_px=(1, 0, 2, 0), fill=9)(image=np.ones((1, 2), np.uint8), bboxes=[[0, 0, 2, 1]])
    >>> out["image"].tolist(), out["bboxes"].tolist()
    ([[9, 1, 1, 9, 9]], [[1.0, 0.0, 3.0, 1.0]])
    """

    padding_px: int | tuple[int, ...] = 0
    border_mode: str = "constant"
    fill: float | tuple[float, ...] = 0.0
    fill_mask: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("padding_px", _check_padding(self.padding_px))
        check_choice("border_mode", self.border_mode, BORDER_MODES)
        self._set("fill", check_fill("fill", self.fill))
        self._set("fill_mask", check_number("fill_mask", self.fill_mask))

    def output_size(self, meta: Meta) -> tuple[int, int]:
        left, top, right, bottom = self.padding_px
        return meta.height + top + bottom, meta.width + left + right

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        left, top = self.padding_px[:2]
        return _translations(np.full(meta.n, float(left)), np.full(meta.n, float(top)))

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        return pad_image(images, self.padding_px, self.border_mode, self.fill_mask if is_mask else self.fill)


#: Where :class:`PadIfNeeded` puts the image on the padded canvas.
PAD_POSITIONS = ("center", "top_left", "random")


@dataclass(frozen=True, kw_only=True)
class PadIfNeeded(CanvasTransform):
    """Pad images up to at least ``min_height x min_width`` (and to multiples of ``divisor_px``).

    Larger images are left as they are (sides already long enough get no padding): the step
    before a fixed-size crop of images that may be smaller than it, or before a network
    whose input sides must be multiples of 32.

    Parameters
    ----------
    min_height, min_width : int
        Smallest output size in pixels.
    divisor_px : int
        Each output side is also rounded up to a multiple of this (1: no rounding).
    position : {"center", "top_left", "random"}
        Where the image sits on the padded canvas: centred (an odd margin puts the extra pixel
        at the bottom/right), at the top left, or at a position drawn per sample.
    border_mode, fill, fill_mask
        As :class:`Pad`.

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.PadIfNeeded(min_height=4, min_width=2, fill=9)(image=np.ones((2, 3), np.uint8))["image"].tolist()
    [[9, 9, 9], [1, 1, 1], [1, 1, 1], [9, 9, 9]]
    >>> ak.image.PadIfNeeded(min_height=1, min_width=1, divisor_px=32)(image=np.ones((40, 70), np.uint8))["image"].shape
    (64, 96)
    """

    min_height: int = 1
    min_width: int = 1
    divisor_px: int = 1
    position: str = "center"
    border_mode: str = "constant"
    fill: float | tuple[float, ...] = 0.0
    fill_mask: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("min_height", "min_width", "divisor_px"):
            self._set(name, check_int(name, getattr(self, name), low=1))
        check_choice("position", self.position, PAD_POSITIONS)
        check_choice("border_mode", self.border_mode, BORDER_MODES)
        self._set("fill", check_fill("fill", self.fill))
        self._set("fill_mask", check_number("fill_mask", self.fill_mask))

    def output_size(self, meta: Meta) -> tuple[int, int]:
        d = self.divisor_px
        return -(-max(meta.height, self.min_height) // d) * d, -(-max(meta.width, self.min_width) // d) * d

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        out_h, out_w = self.output_size(meta)
        extra_h, extra_w = out_h - meta.height, out_w - meta.width
        if self.position == "random":
            return {"left": rng.integers(0, extra_w + 1, size=meta.n), "top": rng.integers(0, extra_h + 1, size=meta.n)}
        centre = self.position == "center"
        return {"left": np.full(meta.n, extra_w // 2 if centre else 0),
                "top": np.full(meta.n, extra_h // 2 if centre else 0)}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return _translations(params["left"].astype(np.float64), params["top"].astype(np.float64))

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        out_h, out_w = self.output_size(meta)
        fill = self.fill_mask if is_mask else self.fill
        lefts, tops = params["left"].tolist(), params["top"].tolist()
        if len(set(lefts)) == 1 and len(set(tops)) == 1:  # (the usual case: one placement for the batch)
            left, top = lefts[0], tops[0]
            return pad_image(images, (left, top, out_w - meta.width - left, out_h - meta.height - top),
                             self.border_mode, fill)
        out = np.empty((images.shape[0], out_h, out_w, *images.shape[3:]), images.dtype)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, key in enumerate(zip(lefts, tops, strict=True)):
            groups.setdefault(key, []).append(i)
        for (left, top), idx in groups.items():
            out[idx] = pad_image(images[idx], (left, top, out_w - meta.width - left, out_h - meta.height - top),
                                 self.border_mode, fill)
        return out


def _check_interpolation(value: str) -> None:
    check_choice("interpolation", value, RESIZE_INTERPOLATIONS)


def _resize(images: NDArray, boxes: NDArray, size: tuple[int, int], interpolation: str, is_mask: bool) -> NDArray:
    return resize_region_image(images, boxes, size, "nearest" if is_mask else interpolation)


def _whole(meta: Meta) -> NDArray[np.float64]:
    return np.repeat(np.array([[0.0, 0.0, meta.width, meta.height]]), meta.n, axis=0)


@dataclass(frozen=True, kw_only=True)
class Resize(CanvasTransform):
    """Resize every image to ``height x width`` (the aspect ratio may change).

    Parameters
    ----------
    height, width : int
        Output size in pixels.
    interpolation : {"bilinear", "nearest", "area"}
        ``"bilinear"`` (as ``cv2.resize`` INTER_LINEAR; aliases when shrinking more than 2x),
        ``"nearest"`` or ``"area"`` (pixel averaging, antialiased). Masks use nearest.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.Resize(height=2, width=2, interpolation="area")(
    ...     image=np.array([[0, 100, 200, 100]] * 4, np.uint8), keypoints=[[3.0, 3.0]])
    >>> out["image"].tolist(), out["keypoints"].tolist()
    ([[50, 150], [50, 150]], [[1.5, 1.5]])
    """

    height: int = 1
    width: int = 1
    interpolation: str = "bilinear"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("height", check_int("height", self.height, low=1))
        self._set("width", check_int("width", self.width, low=1))
        _check_interpolation(self.interpolation)

    def output_size(self, meta: Meta) -> tuple[int, int]:
        return self.height, self.width

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return region_matrices(_whole(meta), (self.height, self.width))

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        return _resize(images, _whole(meta), (self.height, self.width), self.interpolation, is_mask)


class _AspectResize:
    """What LongestMaxSize and SmallestMaxSize share (a mixin: no fields, not a Transform): the
    whole image resized to the ``output_size`` each one works out from ``max_size_px``."""

    max_size_px: int
    interpolation: str

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]
        self._set("max_size_px", check_int("max_size_px", self.max_size_px, low=1))  # type: ignore[attr-defined]
        _check_interpolation(self.interpolation)

    def output_size(self, meta: Meta) -> tuple[int, int]:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return region_matrices(_whole(meta), self.output_size(meta))

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        return _resize(images, _whole(meta), self.output_size(meta), self.interpolation, is_mask)


@dataclass(frozen=True, kw_only=True)
class LongestMaxSize(_AspectResize, CanvasTransform):
    """Scale every image so that its longer side is ``max_size_px`` (aspect ratio kept).

    Parameters
    ----------
    max_size_px : int
        Length of the longer side after resizing (images are enlarged or shrunk to it); the
        shorter side is rounded to whole pixels.
    interpolation : {"bilinear", "nearest", "area"}
        See :class:`Resize`.

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.LongestMaxSize(max_size_px=64)(image=np.zeros((100, 200, 3), np.uint8))["image"].shape
    (32, 64, 3)
    """

    max_size_px: int = 1024
    interpolation: str = "bilinear"

    def output_size(self, meta: Meta) -> tuple[int, int]:
        return _aspect_size(meta, self.max_size_px / max(meta.height, meta.width))


def _aspect_size(meta: Meta, scale: float) -> tuple[int, int]:
    """Both sides scaled by ``scale``, rounded to whole pixels (at least one)."""
    return max(1, round(meta.height * scale)), max(1, round(meta.width * scale))


@dataclass(frozen=True, kw_only=True)
class SmallestMaxSize(_AspectResize, CanvasTransform):
    """Scale every image so that its shorter side is ``max_size_px`` (aspect ratio kept).

    The usual first step of classification pipelines ("resize the shorter side to 256, then
    crop 224"); albumentations' ``SmallestMaxSize``, torchvision's ``Resize(256)``.

    Parameters
    ----------
    max_size_px : int
        Length of the shorter side after resizing (images are enlarged or shrunk to it); the
        longer side is rounded to whole pixels.
    interpolation : {"bilinear", "nearest", "area"}
        See :class:`Resize`.

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.SmallestMaxSize(max_size_px=64)(image=np.zeros((100, 200, 3), np.uint8))["image"].shape
    (64, 128, 3)
    """

    max_size_px: int = 256
    interpolation: str = "bilinear"

    def output_size(self, meta: Meta) -> tuple[int, int]:
        return _aspect_size(meta, self.max_size_px / min(meta.height, meta.width))


#: Candidate regions drawn per sample before falling back to a centre crop (as torchvision).
RESIZED_CROP_TRIES = 10
#: Up to this many samples, the candidates are checked in a Python loop (the same arithmetic as
#: the vectorized version, which costs about 80 us of NumPy calls however small the batch).
RESIZED_CROP_LOOP_MAX = 16


def _resized_crop_fallback(hw: tuple[int, int], ratio_range: tuple[float, float]) -> tuple[int, int]:
    """The crop when no candidate fits: the largest centred one with the ratio clamped to the range."""
    hh, ww = hw
    in_ratio = ww / hh
    if ratio_range[0] <= in_ratio <= ratio_range[1]:
        return ww, hh
    if in_ratio < ratio_range[0]:
        return ww, round(ww / ratio_range[0])
    return round(hh * ratio_range[1]), hh


def _resized_crop_boxes(area: NDArray, ratio: NDArray, u: NDArray, hw: tuple[int, int],
                        ratio_range: tuple[float, float]) -> NDArray[np.float64]:
    """Boxes ``(n, 4)`` of :class:`RandomResizedCrop` from its draws: candidate areas and ratios
    ``(n, tries)``, and the position fractions ``u`` ``(n, 2)`` (the first candidate that fits)."""
    hh, ww = hw
    w = np.rint(np.sqrt(area * ratio)).astype(np.int64)
    h = np.rint(np.sqrt(area / ratio)).astype(np.int64)
    ok = (w > 0) & (w <= ww) & (h > 0) & (h <= hh)
    first = np.argmax(ok, axis=1)
    rows = np.arange(len(area))
    w, h = w[rows, first], h[rows, first]
    found = ok[rows, first]
    fw, fh = _resized_crop_fallback(hw, ratio_range)
    w, h = np.where(found, w, fw), np.where(found, h, fh)
    x0 = np.where(found, np.floor(u[:, 0] * (ww - w + 1)), (ww - fw) // 2).astype(np.int64)
    y0 = np.where(found, np.floor(u[:, 1] * (hh - h + 1)), (hh - fh) // 2).astype(np.int64)
    box = np.empty((len(area), 4))  # (filled column by column: np.stack costs ~20 us on a small call)
    box[:, 0], box[:, 1], box[:, 2], box[:, 3] = x0, y0, x0 + w, y0 + h
    return box


def _resized_crop_boxes_loop(area: NDArray, ratio: NDArray, u: NDArray, hw: tuple[int, int],
                             ratio_range: tuple[float, float]) -> NDArray[np.float64]:
    """:func:`_resized_crop_boxes` sample by sample in Python floats (IEEE products, quotients
    and square roots, halves rounded to even: the same boxes), for small batches."""
    hh, ww = hw
    rows = []
    for area_row, ratio_row, (ux, uy) in zip(area.tolist(), ratio.tolist(), u.tolist(), strict=True):
        for a, r in zip(area_row, ratio_row, strict=True):
            w, h = round(math.sqrt(a * r)), round(math.sqrt(a / r))
            if 0 < w <= ww and 0 < h <= hh:
                x0, y0 = math.floor(ux * (ww - w + 1)), math.floor(uy * (hh - h + 1))
                break
        else:
            w, h = _resized_crop_fallback(hw, ratio_range)
            x0, y0 = (ww - w) // 2, (hh - h) // 2
        rows.append((x0, y0, x0 + w, y0 + h))
    return np.array(rows, dtype=np.float64).reshape(len(rows), 4)


@dataclass(frozen=True, kw_only=True)
class RandomResizedCrop(CanvasTransform):
    """Crop a region of random area and aspect ratio, and resize it to ``height x width``.

    The Inception / ImageNet recipe, drawn as torchvision does: up to 10 candidate regions per
    sample with an area fraction from ``scale_range`` and a log-uniform aspect ratio (width /
    height) from ``ratio_range``; the first that fits is kept, else a centre crop with the
    aspect ratio clamped to the range. All samples' candidates are drawn in one call.

    Parameters
    ----------
    height, width : int
        Output size in pixels.
    scale_range : (float, float)
        Region area as a fraction of the image area, within (0, 1].
    ratio_range : (float, float)
        Region aspect ratio (width / height), positive.
    interpolation : {"bilinear", "nearest", "area"}
        See :class:`Resize`.

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.RandomResizedCrop(height=32, width=32, scale_range=(0.25, 1.0))
    >>> out = t(image=np.zeros((4, 100, 80, 3), np.uint8), rng=0, return_params=True)
    >>> out["image"].shape
    (4, 32, 32, 3)
    >>> box = out["params"]["children"][0]["box"]
    >>> bool(np.all(((box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])) >= 0.25 * 100 * 80 * 0.97))
    True
    """

    height: int = 1
    width: int = 1
    scale_range: tuple[float, float] = (0.08, 1.0)
    ratio_range: tuple[float, float] = (3 / 4, 4 / 3)
    interpolation: str = "bilinear"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("height", check_int("height", self.height, low=1))
        self._set("width", check_int("width", self.width, low=1))
        self._set("scale_range", check_range("scale_range", self.scale_range, low=0.0, high=1.0, low_open=True))
        self._set("ratio_range", check_range("ratio_range", self.ratio_range, low=0.0, low_open=True))
        _check_interpolation(self.interpolation)

    def output_size(self, meta: Meta) -> tuple[int, int]:
        return self.height, self.width

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        n, k, hh, ww = meta.n, RESIZED_CROP_TRIES, meta.height, meta.width
        area = hh * ww * rng.uniform(*self.scale_range, size=(n, k))
        log_lo, log_hi = np.log(self.ratio_range[0]), np.log(self.ratio_range[1])
        ratio = np.exp(rng.uniform(log_lo, log_hi, size=(n, k)))
        u = rng.random((n, 2))
        pick = _resized_crop_boxes_loop if n <= RESIZED_CROP_LOOP_MAX else _resized_crop_boxes
        return {"box": pick(area, ratio, u, (hh, ww), self.ratio_range)}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return region_matrices(params["box"], (self.height, self.width))

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        return _resize(images, params["box"], (self.height, self.width), self.interpolation, is_mask)


def _safe_crop_boxes(union: NDArray, u: NDArray, hw: tuple[int, int], erosion: float,
                     ratio: float | None = None) -> NDArray[np.float64]:
    """Crop regions ``(n, 4)`` (whole pixels) of :class:`RandomSizedBBoxSafeCrop` from each sample's
    box union (NaN: no boxes) and uniform draws ``u`` ``(n, 5)``; with ``ratio`` (width / height)
    the regions have that aspect ratio (to within whole-pixel rounding) wherever one can hold
    the union."""
    hh, ww = hw
    union = np.array(union, dtype=np.float64)  # (a copy: eroded below)
    none = np.isnan(union).any(axis=1)
    # the union shrunk by erosion (a fraction of its size, about its centre), clipped to the canvas
    shrink = erosion * 0.5 * (union[:, 2:] - union[:, :2])
    union[:, :2] += shrink
    union[:, 2:] -= shrink
    union = np.clip(union, 0.0, [ww, hh, ww, hh])
    x0 = np.floor(u[:, 0] * union[:, 0])
    y0 = np.floor(u[:, 1] * union[:, 1])
    x1 = np.minimum(np.ceil(union[:, 2] + u[:, 2] * (ww - union[:, 2])), ww)
    y1 = np.minimum(np.ceil(union[:, 3] + u[:, 3] * (hh - union[:, 3])), hh)
    # no boxes: a window with the image's aspect ratio, its height drawn in [(1 - erosion) H, H]
    ch = np.maximum(1.0, np.floor(hh * (1.0 - erosion * u[:, 2])))
    cw = np.maximum(1.0, np.floor(ch * ww / hh))
    fx0, fy0 = np.floor(u[:, 0] * (ww - cw + 1)), np.floor(u[:, 1] * (hh - ch + 1))
    box = np.empty((len(u), 4))
    box[:, 0], box[:, 1] = np.where(none, fx0, x0), np.where(none, fy0, y0)
    box[:, 2] = np.where(none, fx0 + cw, np.maximum(x1, x0 + 1))
    box[:, 3] = np.where(none, fy0 + ch, np.maximum(y1, y0 + 1))
    if ratio is not None:
        kept = _aspect_regions(union, none, u, hw, erosion, ratio)
        ok = ~np.isnan(kept[:, 0])
        box[ok] = kept[ok]
    return box


def _aspect_regions(union: NDArray, none: NDArray, u: NDArray, hw: tuple[int, int], erosion: float,
                    ratio: float) -> NDArray[np.float64]:
    """Regions of aspect ``ratio`` holding each union: a width drawn between the least that holds
    it and the most the image allows, a position drawn among those that hold it (NaN rows where
    no region of that aspect can hold the union). Without boxes: the largest such window, its
    width drawn down to ``1 - erosion`` of it, anywhere."""
    hh, ww = hw
    widest = min(ww, hh * ratio)
    least = np.where(none, widest * (1.0 - erosion),
                     np.maximum(union[:, 2] - union[:, 0], (union[:, 3] - union[:, 1]) * ratio))
    cw = least + u[:, 4] * (widest - least)
    ch = cw / ratio
    lo_x = np.where(none, 0.0, np.maximum(0.0, union[:, 2] - cw))
    hi_x = np.where(none, ww - cw, np.minimum(union[:, 0], ww - cw))
    lo_y = np.where(none, 0.0, np.maximum(0.0, union[:, 3] - ch))
    hi_y = np.where(none, hh - ch, np.minimum(union[:, 1], hh - ch))
    x0 = np.floor(lo_x + u[:, 0] * (hi_x - lo_x))
    y0 = np.floor(lo_y + u[:, 1] * (hi_y - lo_y))
    # (whole pixels outward: the far edge also reaches past the union's, which flooring x0 moved)
    reach_x = np.where(none, 0.0, np.ceil(union[:, 2]))
    reach_y = np.where(none, 0.0, np.ceil(union[:, 3]))
    x1 = np.minimum(np.maximum(np.maximum(np.ceil(x0 + cw), x0 + 1), reach_x), ww)
    y1 = np.minimum(np.maximum(np.maximum(np.ceil(y0 + ch), y0 + 1), reach_y), hh)
    out = np.stack([x0, y0, x1, y1], axis=1)
    out[least > widest + 1e-9] = np.nan
    return out


@dataclass(frozen=True, kw_only=True)
class RandomSizedBBoxSafeCrop(CanvasTransform):
    """Crop a random region that keeps every box whole, and resize it to ``height x width``.

    Detection data gets zoom and translation without losing objects. With
    ``keep_aspect_ratio`` (the default) each sample's region has the output's aspect ratio, so
    objects keep their shape: its width is drawn between the least that holds all the sample's
    boxes and the most the image allows, its position among those that hold them (where no
    such region exists, the rule below). Without it (albumentations' rule), the region reaches
    from a random point between the canvas's left edge and the boxes' left-most side to a
    random point between their right-most side and the right edge (the same for top and
    bottom), and the resize stretches it. Regions are whole pixels. A sample without boxes gets
    a window with the output's (or, without ``keep_aspect_ratio``, the image's) aspect ratio,
    the largest one when ``erosion_fraction`` is 0. Boxes are those of the call as
    the geometry so far left them (queued geometric transforms are resampled first).

    Parameters
    ----------
    height, width : int
        Output size in pixels (the region is resized to it, aspect ratio not kept).
    erosion_fraction : float
        In [0, 1): shrink the boxes' union by this fraction of its size (about its centre)
        before the region is drawn, so that objects at its edge may be cut a little.
    keep_aspect_ratio : bool
        Regions with the output's aspect ratio (no stretching), or albumentations' free ones.
    interpolation : {"bilinear", "nearest", "area"}
        See :class:`Resize`.

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.RandomSizedBBoxSafeCrop(height=64, width=64)
    >>> out = t(image=np.zeros((200, 300, 3), np.uint8), bboxes=[[120, 50, 180, 90]], rng=0)
    >>> out["image"].shape, len(out["bboxes"])
    ((64, 64, 3), 1)
    """

    height: int = 1
    width: int = 1
    erosion_fraction: float = 0.0
    keep_aspect_ratio: bool = True
    interpolation: str = "bilinear"
    reads_boxes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("height", check_int("height", self.height, low=1))
        self._set("width", check_int("width", self.width, low=1))
        self._set("erosion_fraction", check_number("erosion_fraction", self.erosion_fraction, low=0.0, high=1.0))
        if self.erosion_fraction >= 1.0:
            raise ValueError(f"erosion_fraction must be below 1 (1 erodes every box away), got {self.erosion_fraction}")
        if not isinstance(self.keep_aspect_ratio, bool):
            raise TypeError(f"keep_aspect_ratio must be True or False, got {self.keep_aspect_ratio!r}")
        _check_interpolation(self.interpolation)

    def output_size(self, meta: Meta) -> tuple[int, int]:
        return self.height, self.width

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        u = rng.random((meta.n, 5))
        union = meta.box_union if meta.box_union is not None else np.full((meta.n, 4), np.nan)
        ratio = self.width / self.height if self.keep_aspect_ratio else None
        return {"box": _safe_crop_boxes(union, u, (meta.height, meta.width), self.erosion_fraction, ratio)}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return region_matrices(params["box"], (self.height, self.width))

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        return _resize(images, params["box"], (self.height, self.width), self.interpolation, is_mask)
