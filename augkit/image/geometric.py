"""Matrix-based geometric transforms: rotation, scaling, affine, perspective, flips, quarter turns.

Each draws per-sample parameters in one vectorized call and returns one forward 3x3
matrix per sample; the pipeline fuses consecutive ones into a single resampling and maps
masks, boxes and keypoints through the same matrices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from ..core.transform import GeometricTransform, Meta, Params
from ..core.validate import check_range
from ..kernels.geometry import affine_matrices, homography_from_points
from ..kernels.permute import permutation_matrices, quarter_turn_flags

__all__ = ["Affine", "HorizontalFlip", "Perspective", "RandomRotate90", "Rotate", "Scale", "Transpose", "VerticalFlip"]


def _center(meta: Meta) -> tuple[float, float]:
    return (meta.width / 2.0, meta.height / 2.0)


@dataclass(frozen=True, kw_only=True)
class Rotate(GeometricTransform):
    """Rotate about the image centre by an angle drawn per sample; the canvas is kept.

    Parameters
    ----------
    degrees_range : (float, float)
        Angle interval in degrees; positive turns counter-clockwise on screen.
    interpolation, border_mode, fill, fill_mask, p
        See :class:`~augkit.core.transform.GeometricTransform`.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.Rotate(degrees_range=(90, 90))(image=np.eye(4, dtype=np.uint8) * 255)
    >>> out["image"][0].tolist()
    [0, 0, 0, 255]
    """

    degrees_range: tuple[float, float] = (-15.0, 15.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("degrees_range", check_range("degrees_range", self.degrees_range))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"degrees": rng.uniform(*self.degrees_range, size=meta.n)}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return affine_matrices(center=_center(meta), degrees=params["degrees"])


@dataclass(frozen=True, kw_only=True)
class Scale(GeometricTransform):
    """Enlarge or shrink about the image centre, keeping the canvas size.

    Parameters
    ----------
    scale_range : (float, float)
        Zoom factor interval (> 0); below 1 shrinks and exposes the border.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.Scale(scale_range=(2, 2))(image=np.zeros((8, 8), np.uint8),
    ...                                          keypoints=[[5.0, 4.0]])
    >>> out["keypoints"].tolist()
    [[6.0, 4.0]]
    """

    scale_range: tuple[float, float] = (0.9, 1.1)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("scale_range", check_range("scale_range", self.scale_range, low=0.0, low_open=True))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"scale": rng.uniform(*self.scale_range, size=meta.n)}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return affine_matrices(center=_center(meta), scale_x=params["scale"], scale_y=params["scale"])


@dataclass(frozen=True, kw_only=True)
class Affine(GeometricTransform):
    """Rotation, isotropic scale, translation and shear about the centre, in one matrix.

    Parameters
    ----------
    degrees_range : (float, float)
        Rotation in degrees (counter-clockwise positive).
    scale_range : (float, float)
        Zoom factor (> 0).
    translate_range : (float, float)
        Shift as a fraction of the width (x) and height (y), drawn independently per axis.
    shear_degrees_range : (float, float)
        Horizontal shear angle in degrees, within (-90, 90).
    shear_y_degrees_range : (float, float)
        Vertical shear angle in degrees, within (-90, 90).

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.Affine(translate_range=(0.25, 0.25))
    >>> t(image=np.zeros((4, 8), np.uint8), keypoints=[[1.0, 1.0]])["keypoints"].tolist()
    [[3.0, 2.0]]
    """

    degrees_range: tuple[float, float] = (0.0, 0.0)
    scale_range: tuple[float, float] = (1.0, 1.0)
    translate_range: tuple[float, float] = (0.0, 0.0)
    shear_degrees_range: tuple[float, float] = (0.0, 0.0)
    shear_y_degrees_range: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("degrees_range", check_range("degrees_range", self.degrees_range))
        self._set("scale_range", check_range("scale_range", self.scale_range, low=0.0, low_open=True))
        self._set("translate_range", check_range("translate_range", self.translate_range, low=-1.0, high=1.0))
        for name in ("shear_degrees_range", "shear_y_degrees_range"):
            value = check_range(name, getattr(self, name), low=-89.0, high=89.0)
            self._set(name, value)

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        n = meta.n
        return {
            "degrees": rng.uniform(*self.degrees_range, size=n),
            "scale": rng.uniform(*self.scale_range, size=n),
            "translate": rng.uniform(*self.translate_range, size=(n, 2)),
            "shear_degrees": rng.uniform(*self.shear_degrees_range, size=n),
            "shear_y_degrees": rng.uniform(*self.shear_y_degrees_range, size=n),
        }

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return affine_matrices(
            center=_center(meta), degrees=params["degrees"], scale_x=params["scale"], scale_y=params["scale"],
            shear_x_degrees=params["shear_degrees"], shear_y_degrees=params["shear_y_degrees"],
            translate_x=params["translate"][:, 0] * meta.width, translate_y=params["translate"][:, 1] * meta.height,
        )


@dataclass(frozen=True, kw_only=True)
class Perspective(GeometricTransform):
    """Random perspective: each corner moves independently, as in a photo taken at an angle.

    Parameters
    ----------
    distortion_range : (float, float)
        Per sample a strength ``d`` is drawn from this interval (a fraction of the image
        size, at most 0.45); each corner then moves by up to ``d`` times the width and height.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.Perspective(distortion_range=(0.1, 0.2))(image=np.zeros((4, 16, 16, 3), np.uint8), rng=0)
    >>> out["image"].shape
    (4, 16, 16, 3)
    """

    distortion_range: tuple[float, float] = (0.0, 0.1)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("distortion_range", check_range("distortion_range", self.distortion_range, low=0.0, high=0.45))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        strength = rng.uniform(*self.distortion_range, size=meta.n)
        return {"corner_shift": rng.uniform(-1.0, 1.0, size=(meta.n, 4, 2)) * strength[:, None, None]}

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        w, h = float(meta.width), float(meta.height)
        src = np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]])
        src = np.broadcast_to(src, (len(params["corner_shift"]), 4, 2))
        dst = src + params["corner_shift"] * np.array([w, h])
        return homography_from_points(src, dst)


def _check_labels(name: str, value: Any) -> frozenset | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a collection of class labels (e.g. a set), got {value!r}")
    try:
        return frozenset(value)
    except TypeError as exc:
        raise TypeError(f"{name} must hold hashable class labels: {exc}") from None


def _eligible(labels_set: frozenset | None, meta: Meta, owner: str) -> NDArray[np.bool_]:
    if labels_set is None:
        return np.ones(meta.n, dtype=bool)
    if meta.labels is None:
        raise ValueError(f"{owner}(symmetric_labels=...) needs the class label of each image: "
                         "pass label= to the call")
    return np.fromiter((lab in labels_set for lab in meta.labels), dtype=bool, count=meta.n)


class _GridPermutation:
    """What the flips, quarter turns and transposes share (a mixin: no fields of its own, not a
    Transform): exact permutations of the pixel grid, optionally only for ``symmetric_labels``."""

    symmetric_labels: frozenset | None
    permutes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]
        self._set("symmetric_labels", _check_labels("symmetric_labels", self.symmetric_labels))  # type: ignore[attr-defined]

    def permutation_flags(self, params: Params) -> tuple[NDArray, NDArray, NDArray]:
        raise NotImplementedError

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        return permutation_matrices(*self.permutation_flags(params), meta.height, meta.width)


@dataclass(frozen=True, kw_only=True)
class HorizontalFlip(_GridPermutation, GeometricTransform):
    """Mirror left-right, optionally only for classes that stay true when mirrored.

    Parameters
    ----------
    symmetric_labels : set or None
        If given, only images whose ``label=`` is in this set are flipped (a mirrored "A"
        is still an "A"; a mirrored "R" is not). ``None`` flips any image.
    p : float
        Probability per sample (default 0.5).

    Notes
    -----
    Keypoints of left and right parts (eyes, hands) trade roles in a mirror image:
    ``Compose(keypoint_flip_pairs=[("left_eye", "right_eye")])`` swaps them where a sample
    was flipped (an odd number of times).

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.HorizontalFlip(symmetric_labels={"A"}, p=1.0)
    >>> x = np.arange(6, dtype=np.uint8).reshape(1, 2, 3, 1)
    >>> out = t(image=[x[0], x[0]], label=["A", "R"])
    >>> [o[..., 0].tolist() for o in out["image"]]
    [[[2, 1, 0], [5, 4, 3]], [[0, 1, 2], [3, 4, 5]]]
    """

    symmetric_labels: frozenset | None = None
    p: float = 0.5

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"flip": _eligible(self.symmetric_labels, meta, type(self).__name__)}

    def permutation_flags(self, params: Params) -> tuple[NDArray, NDArray, NDArray]:
        none = np.zeros_like(params["flip"])
        return none, params["flip"], none


@dataclass(frozen=True, kw_only=True)
class VerticalFlip(_GridPermutation, GeometricTransform):
    """Mirror top-bottom, optionally only for ``symmetric_labels`` (see :class:`HorizontalFlip`).

    Examples
    --------
    >>> import augkit as ak
    >>> ak.image.VerticalFlip(p=1.0)(image=np.array([[1], [2]], np.uint8))["image"].ravel().tolist()
    [2, 1]
    """

    symmetric_labels: frozenset | None = None
    p: float = 0.5

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"flip": _eligible(self.symmetric_labels, meta, type(self).__name__)}

    def permutation_flags(self, params: Params) -> tuple[NDArray, NDArray, NDArray]:
        none = np.zeros_like(params["flip"])
        return none, none, params["flip"]


def _check_turns(value: Any) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"quarter_turns must be a sequence of integers in 0..3, got {value!r}")
    turns = tuple(value)
    ok = [isinstance(k, (int, np.integer)) and not isinstance(k, bool) and 0 <= k <= 3 for k in turns]
    if not turns or not all(ok):
        raise ValueError(f"quarter_turns must be a non-empty sequence of integers in 0..3 "
                         f"(quarter turns counter-clockwise), got {value!r}")
    return tuple(int(k) for k in turns)


def _need_square(meta: Meta, owner: str, what: str) -> None:
    if meta.height != meta.width:
        raise ValueError(f"{owner}: {what} turns a {meta.height}x{meta.width} image into a "
                         f"{meta.width}x{meta.height} one, which a batch cannot hold beside the others; it needs "
                         "square images (crop them square first, or use HorizontalFlip/VerticalFlip, or "
                         "RandomRotate90(quarter_turns=(0, 2)))")


@dataclass(frozen=True, kw_only=True)
class RandomRotate90(_GridPermutation, GeometricTransform):
    """Turn by a whole number of quarter turns drawn per sample: an exact copy, never resampled.

    With :class:`Transpose` (``p=0.5``) after it, each of the eight symmetries of a square
    is equally likely: the usual augmentation for aerial, microscopy and pathology tiles.
    Consecutive geometric transforms still fuse: a quarter turn followed by a small
    :class:`Rotate` resamples once.

    Parameters
    ----------
    quarter_turns : sequence of int in 0..3
        Quarter turns counter-clockwise on screen to choose from, uniformly per sample (a
        value listed twice is drawn twice as often). Odd turns need square images: a
        batch cannot hold an image whose height and width were swapped beside the others.
    symmetric_labels : set or None
        If given, only images whose ``label=`` is in this set are turned (a 6 turned half
        way is a 9).
    p : float
        Probability per sample.

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.arange(4, dtype=np.uint8).reshape(2, 2)
    >>> ak.image.RandomRotate90(quarter_turns=(1,))(image=x)["image"].tolist() == np.rot90(x).tolist()
    True
    """

    quarter_turns: tuple[int, ...] = (0, 1, 2, 3)
    symmetric_labels: frozenset | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("quarter_turns", _check_turns(self.quarter_turns))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        turns = np.array(self.quarter_turns, dtype=np.int64)
        if (turns % 2 == 1).any():
            _need_square(meta, type(self).__name__, "an odd number of quarter turns")
        drawn = turns[rng.integers(0, len(turns), size=meta.n)] if len(turns) > 1 else np.full(meta.n, turns[0])
        eligible = _eligible(self.symmetric_labels, meta, type(self).__name__)
        return {"quarter_turns": np.where(eligible, drawn, 0)}

    def permutation_flags(self, params: Params) -> tuple[NDArray, NDArray, NDArray]:
        return quarter_turn_flags(params["quarter_turns"])


@dataclass(frozen=True, kw_only=True)
class Transpose(_GridPermutation, GeometricTransform):
    """Swap rows and columns (mirror about the main diagonal): an exact copy; square images only.

    A mirror image: left and right parts trade roles as under :class:`HorizontalFlip`
    (see ``Compose(keypoint_flip_pairs=...)``).

    Parameters
    ----------
    symmetric_labels : set or None
        If given, only images whose ``label=`` is in this set are transposed.
    p : float
        Probability per sample (default 0.5).

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.arange(4, dtype=np.uint8).reshape(2, 2)
    >>> ak.image.Transpose(p=1.0)(image=x)["image"].tolist()
    [[0, 2], [1, 3]]
    """

    symmetric_labels: frozenset | None = None
    p: float = 0.5

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        _need_square(meta, type(self).__name__, "a transpose")
        return {"transpose": _eligible(self.symmetric_labels, meta, type(self).__name__)}

    def permutation_flags(self, params: Params) -> tuple[NDArray, NDArray, NDArray]:
        none = np.zeros_like(params["transpose"])
        return params["transpose"], none, none

