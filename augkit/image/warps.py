"""Non-linear warps: a random grid warp, a piecewise-affine warp, the classic elastic warp and a
lens distortion.

Both are inverse displacement fields (see :mod:`augkit.kernels.fields`); boxes and
keypoints follow by inverting the field at their positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.transform import GeometricTransform, Meta, Params
from ..core.validate import check_int, check_number, check_range
from ..kernels.fields import (
    DisplacementField,
    RadialField,
    TriangleField,
    elastic_displacements,
    grid_node_displacements,
)

__all__ = ["ElasticWarp", "GridWarp", "OpticalDistortion", "PiecewiseAffine"]


@dataclass(frozen=True, kw_only=True)
class GridWarp(GeometricTransform):
    """Warp a ``num_steps x num_steps`` grid laid over the image by moving its nodes.

    Inner nodes move by up to ``distort_limit`` of a cell in x and y; nodes on the border
    slide along it and the corners stay, so the image keeps its frame: the outer nodes sit on
    the outermost pixels' centres, every pixel reads from inside the image, and no border
    fill bleeds into the edges. Pixels are interpolated smoothly between nodes.

    Parameters
    ----------
    num_steps : int
        Cells per side (>= 1).
    distort_limit : float
        Largest node shift as a fraction of a cell, in [0, 0.5) so that cells never fold.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.GridWarp(num_steps=4, distort_limit=0.3)(image=np.zeros((2, 32, 32, 3), np.uint8), rng=0)
    >>> out["image"].shape
    (2, 32, 32, 3)
    """

    num_steps: int = 5
    distort_limit: float = 0.3

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("num_steps", check_int("num_steps", self.num_steps, low=1, high=256))
        limit = check_number("distort_limit", self.distort_limit, low=0.0)
        if limit >= 0.5:
            raise ValueError(f"distort_limit must be in [0, 0.5) (a fraction of a grid cell), got {limit!r}")
        self._set("distort_limit", limit)

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        k = self.num_steps + 1
        offsets = rng.uniform(-self.distort_limit, self.distort_limit, size=(meta.n, k, k, 2)).astype(np.float32)
        offsets[:, :, [0, -1], 0] = 0.0  # left/right columns: no x movement
        offsets[:, [0, -1], :, 1] = 0.0  # top/bottom rows: no y movement
        return {"offsets": offsets}

    def field(self, params: Params, meta: Meta) -> DisplacementField:
        return grid_node_displacements(params["offsets"], meta.height, meta.width)


@dataclass(frozen=True, kw_only=True)
class ElasticWarp(GeometricTransform):
    """Elastic deformation (Simard et al., 2003): smoothed random per-pixel displacement.

    Parameters
    ----------
    alpha : float
        Displacement scale in pixels (>= 0).
    sigma : float
        Smoothness: standard deviation in pixels of the Gaussian applied to the noise (> 0).

    Notes
    -----
    Each sample's field is generated from a per-sample seed kept in the params, so
    :meth:`~augkit.Compose.replay` reproduces it without storing per-pixel maps. Keypoints
    are placed by inverting the field; with ``alpha`` much larger than ``sigma`` the
    field can fold over and keypoints become approximate.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.image.ElasticWarp(alpha=30.0, sigma=5.0)(image=np.zeros((32, 32), np.float32), rng=0)
    >>> out["image"].dtype
    dtype('float32')
    """

    alpha: float = 30.0
    sigma: float = 5.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("alpha", check_number("alpha", self.alpha, low=0.0))
        self._set("sigma", check_number("sigma", self.sigma, low=0.0, low_open=True))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"seed": rng.integers(0, np.iinfo(np.int64).max, size=meta.n, dtype=np.int64)}

    def field(self, params: Params, meta: Meta) -> DisplacementField:
        return elastic_displacements(params["seed"], meta.height, meta.width, alpha=self.alpha, sigma=self.sigma)


@dataclass(frozen=True, kw_only=True)
class OpticalDistortion(GeometricTransform):
    """Barrel or pincushion lens distortion with a coefficient drawn per sample.

    The output point ``p`` shows the input at ``c + (p - c) * (1 + k r**2)``, where ``c`` is the
    centre and ``r`` the distance from it over half the diagonal: ``k > 0`` is barrel distortion
    (wide-angle and phone lenses; the corners read from outside the image and are filled),
    ``k < 0`` pincushion (telephoto). Masks, boxes and keypoints follow.

    Parameters
    ----------
    distortion_range : (float, float)
        Interval of ``k``, within [-1, 1]. Below ``k = -1/3`` the polynomial would turn back
        inside the canvas (a mirrored band of the periphery in the corners, which no lens
        shows): the output beyond that fold is filled instead, as barrel distortion's corners,
        and boxes end at the fold where it cuts their object off.

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.OpticalDistortion(distortion_range=(0.2, 0.2))
    >>> out = t(image=np.zeros((40, 40), np.uint8), keypoints=[[35.0, 20.0]])
    >>> round(float(out["keypoints"][0, 0]), 1)     # pulled towards the centre (20, 20)
    34.3
    """

    distortion_range: tuple[float, float] = (-0.2, 0.2)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("distortion_range", check_range("distortion_range", self.distortion_range, low=-1.0, high=1.0))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"k": rng.uniform(*self.distortion_range, size=meta.n)}

    def field(self, params: Params, meta: Meta) -> RadialField:
        return RadialField(params["k"], meta.height, meta.width)


@dataclass(frozen=True, kw_only=True)
class PiecewiseAffine(GeometricTransform):
    """Jitter the points of a regular grid and warp each triangle between them affinely.

    The points of a ``num_rows x num_cols`` grid spanning the image (corners included) move
    by normal offsets with a standard deviation of ``scale`` times the image height (y) and
    width (x), ``scale`` drawn per sample; each grid cell is split into two triangles, and the
    warp is affine on each (continuous across the edges), as imgaug's and albumentations'
    ``PiecewiseAffine``. Masks, boxes and keypoints follow.

    Parameters
    ----------
    scale_range : (float, float)
        Standard deviation of the point offsets, as a fraction of the image size, in [0, 0.5].
    num_rows, num_cols : int
        Grid points along each axis (>= 2).

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.PiecewiseAffine(scale_range=(0.03, 0.05), num_rows=4, num_cols=4)
    >>> t(image=np.zeros((2, 32, 32, 3), np.uint8), rng=0)["image"].shape
    (2, 32, 32, 3)
    """

    scale_range: tuple[float, float] = (0.03, 0.05)
    num_rows: int = 4
    num_cols: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("scale_range", check_range("scale_range", self.scale_range, low=0.0, high=0.5))
        self._set("num_rows", check_int("num_rows", self.num_rows, low=2, high=256))
        self._set("num_cols", check_int("num_cols", self.num_cols, low=2, high=256))

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        scale = rng.uniform(*self.scale_range, size=meta.n)
        offsets = rng.standard_normal((meta.n, self.num_rows, self.num_cols, 2)) * scale[:, None, None, None]
        return {"offsets": offsets}

    def field(self, params: Params, meta: Meta) -> TriangleField:
        spacing = (meta.width / (self.num_cols - 1), meta.height / (self.num_rows - 1))
        nodes = np.asarray(params["offsets"], np.float64) * np.array([meta.width, meta.height])
        return TriangleField(nodes, (0.0, 0.0), spacing)
