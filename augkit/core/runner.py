"""Executing transforms on a batch, with fused geometry.

The runner walks a pipeline in order. Pixel transforms run at once on the samples they
are active for. Geometric transforms are *queued*: consecutive ones (with the same
resampling settings) are composed, and the pixels are resampled once when a pixel
transform, a change of settings, or the end of the pipeline needs them. Matrices are
multiplied; a chain that includes a displacement-field warp is turned into one
per-pixel source map. Masks use the same map with nearest-neighbour sampling; boxes
and keypoints are pushed forward through each step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..kernels.boxes import box_outline_points, boxes_from_points, clip_boxes
from ..kernels.geometry import CHUNK_PIXELS, homography_source_coords, identity_matrices, map_points, remap_image
from .data import Batch
from .transform import GeometricTransform, Meta, Params, PixelTransform, Transform, take_params

__all__ = ["Runner"]

#: Points sampled per box edge when a chain contains a non-linear warp.
EDGE_POINTS_NONLINEAR = 16


class Runner:
    """Applies transforms to one :class:`~augkit.core.data.Batch` (one call; internal)."""

    def __init__(self, batch: Batch, *, fuse: bool = True) -> None:
        self.batch = batch
        self.fuse = fuse
        self.meta = Meta(
            n=batch.n, height=batch.image.shape[1], width=batch.image.shape[2], channels=batch.image.shape[3],
            dtype=batch.image.dtype, labels=batch.labels,
        )
        self.pending: list[tuple[GeometricTransform, Params, NDArray]] = []

    # --- leaves -------------------------------------------------------------------------
    def leaf(self, t: Transform, rng: np.random.Generator | None, params: Params | None, reach: NDArray) -> Params:
        """Draw (or reuse) ``t``'s params for every sample and apply it where active."""
        if params is None:
            draw = rng.random(self.meta.n)
            params = {"active": reach & (draw < t.p), **t.sample(rng, self.meta)}
        idx = np.flatnonzero(params["active"])
        if idx.size == 0:
            return params
        if isinstance(t, GeometricTransform):
            if self.pending and (not self.fuse or self.pending[0][0].resampling_key != t.resampling_key):
                self.flush()
            self.pending.append((t, params, idx))
            if not self.fuse:
                self.flush()
        elif isinstance(t, PixelTransform):
            self.flush()
            self._apply_pixel(t, params, idx)
        else:  # pragma: no cover - guarded by the registry
            raise TypeError(f"{type(t).__name__} is neither a PixelTransform nor a GeometricTransform")
        return params

    def _apply_pixel(self, t: PixelTransform, params: Params, idx: NDArray) -> None:
        b = self.batch
        whole = idx.size == b.n
        sub = params if whole else take_params(params, idx)
        images = b.image if whole else b.image[idx]
        result = t.apply_image(images, sub, self.meta if whole else self.meta.take(idx))
        if result.shape != images.shape or result.dtype != images.dtype:
            raise RuntimeError(f"{type(t).__name__}.apply_image changed the shape or dtype of the images")
        if whole:
            b.image, b.image_owned = result, True
        else:
            if not b.image_owned:
                b.image, b.image_owned = b.image.copy(), True
            b.image[idx] = result

    # --- geometry ------------------------------------------------------------------------
    def flush(self) -> None:
        """Resample everything queued in one pass and map the targets."""
        if not self.pending:
            return
        ops, self.pending = self.pending, []
        touched = np.unique(np.concatenate([idx for _, _, idx in ops]))
        chain = self._build_chain(ops, touched)
        settings = ops[0][0]
        self._resample_pixels(chain, touched, settings)
        self._map_boxes(chain, touched)
        self._map_points(chain, touched)

    def _build_chain(self, ops: list, touched: NDArray) -> list[tuple[str, Any]]:
        """Steps over the touched samples: ("H", (k,3,3)) matrices or ("F", (t, params, local idx))."""
        chain: list[tuple[str, Any]] = []
        for t, params, idx in ops:
            local = np.searchsorted(touched, idx)
            sub = take_params(params, idx)
            m = t.matrices(sub, self.meta.take(idx))
            if m is not None:
                full = identity_matrices(len(touched))
                full[local] = m
                if chain and chain[-1][0] == "H":
                    chain[-1] = ("H", full @ chain[-1][1])
                else:
                    chain.append(("H", full))
            else:
                chain.append(("F", (t, params, idx, local)))
        return chain

    def _field_for(self, step: tuple, samples_local: NDArray, touched: NDArray) -> tuple[Any, NDArray] | None:
        """The displacement field of a field step for the given touched-local samples."""
        t, params, _, local = step
        member = np.isin(samples_local, local)
        if not member.any():
            return None
        chosen = samples_local[member]
        global_idx = touched[chosen]
        f = t.field(take_params(params, global_idx), self.meta.take(global_idx))
        return f, member

    def _resample_pixels(self, chain: list, touched: NDArray, settings: GeometricTransform) -> None:
        b = self.batch
        h, w = b.image.shape[1:3]
        images = b.image[touched]
        masks = None if b.mask is None else b.mask[touched]
        exact = self._exact_flip_plan(chain)
        if exact is not None:
            new_images = _flip_exact(images, *exact)
            new_masks = None if masks is None else _flip_exact(masks, *exact)
        else:
            new_images = np.empty_like(images)
            new_masks = None if masks is None else np.empty_like(masks)
            per = max(1, CHUNK_PIXELS // (h * w))
            for s in range(0, len(touched), per):
                loc = np.arange(s, min(len(touched), s + per))
                x, y = self._source_coords(chain, loc, touched, (h, w))
                new_images[loc] = remap_image(images[loc], x, y, interpolation=settings.interpolation,
                                              border_mode=settings.border_mode, fill=settings.fill)
                if masks is not None:
                    new_masks[loc] = remap_image(masks[loc], x, y, interpolation="nearest",
                                                 border_mode=settings.border_mode, fill=settings.fill_mask)
        self._store(touched, new_images, new_masks)

    def _store(self, touched: NDArray, images: NDArray, masks: NDArray | None) -> None:
        b = self.batch
        if touched.size == b.n:
            b.image, b.image_owned = images, True
            if masks is not None:
                b.mask, b.mask_owned = masks, True
            return
        if not b.image_owned:
            b.image, b.image_owned = b.image.copy(), True
        b.image[touched] = images
        if masks is not None:
            if not b.mask_owned:
                b.mask, b.mask_owned = b.mask.copy(), True
            b.mask[touched] = masks

    def _exact_flip_plan(self, chain: list) -> tuple[NDArray, NDArray] | None:
        """If every matrix only mirrors the canvas, return (flip_x, flip_y) flags; else None."""
        if len(chain) != 1 or chain[0][0] != "H":
            return None
        m = chain[0][1]
        h, w = self.meta.height, self.meta.width
        off = np.abs(m[:, [0, 1, 2, 2], [1, 0, 0, 1]]).max() if len(m) else 0.0
        if off != 0 or np.any(m[:, 2, 2] != 1):
            return None
        fx, fy = m[:, 0, 0] == -1, m[:, 1, 1] == -1
        ok_x = np.where(fx, m[:, 0, 2] == w, (m[:, 0, 0] == 1) & (m[:, 0, 2] == 0))
        ok_y = np.where(fy, m[:, 1, 2] == h, (m[:, 1, 1] == 1) & (m[:, 1, 2] == 0))
        return (fx, fy) if (ok_x.all() and ok_y.all()) else None

    def _source_coords(self, chain: list, loc: NDArray, touched: NDArray, hw: tuple[int, int]) -> tuple:
        """Per-pixel source *index* coordinates for touched-local samples ``loc``."""
        h, w = hw
        if len(chain) == 1 and chain[0][0] == "H":
            return homography_source_coords(np.linalg.inv(chain[0][1][loc]), hw)
        k = len(loc)
        x = np.broadcast_to(np.arange(w, dtype=np.float64) + 0.5, (k, h, w)).copy()
        y = np.broadcast_to((np.arange(h, dtype=np.float64) + 0.5)[:, None], (k, h, w)).copy()
        for kind, step in reversed(chain):
            if kind == "H":
                inv = np.linalg.inv(step[loc])[:, None, None]
                wv = inv[..., 2, 0] * x + inv[..., 2, 1] * y + inv[..., 2, 2]
                with np.errstate(divide="ignore", invalid="ignore"):
                    iw = np.where(np.abs(wv) > 1e-12, 1.0 / wv, np.nan)
                x, y = ((inv[..., 0, 0] * x + inv[..., 0, 1] * y + inv[..., 0, 2]) * iw,
                        (inv[..., 1, 0] * x + inv[..., 1, 1] * y + inv[..., 1, 2]) * iw)
            else:
                found = self._field_for(step, loc, touched)
                if found is None:
                    continue
                f, member = found
                rows = np.flatnonzero(member)
                sx, sy = f.source(x[rows], y[rows], np.arange(len(rows)).reshape(-1, 1, 1))
                x[rows], y[rows] = sx, sy
        return (x - 0.5).astype(np.float32), (y - 0.5).astype(np.float32)

    def _forward(self, chain: list, pts: NDArray, local: NDArray, touched: NDArray) -> NDArray:
        """Push points (continuous coords) of touched-local samples ``local`` through the chain."""
        for kind, step in chain:
            if kind == "H":
                pts = map_points(pts, step[local])
            else:
                uniq = np.unique(local)
                found = self._field_for(step, uniq, touched)
                if found is None:
                    continue
                f, member = found
                members = uniq[member]
                rows = np.flatnonzero(np.isin(local, members))
                which = np.searchsorted(members, local[rows])
                fx, fy = f.forward(pts[rows, 0], pts[rows, 1], which)
                pts = pts.copy()
                pts[rows, 0], pts[rows, 1] = fx, fy
        return pts

    def _map_boxes(self, chain: list, touched: NDArray) -> None:
        b = self.batch
        sel = np.flatnonzero(np.isin(b.box_sample, touched))
        if sel.size == 0:
            return
        linear = all(kind == "H" for kind, _ in chain)
        per_edge = 1 if linear else EDGE_POINTS_NONLINEAR
        outline = box_outline_points(b.boxes[sel], per_edge)
        k = outline.shape[1]
        local = np.repeat(np.searchsorted(touched, b.box_sample[sel]), k)
        mapped = self._forward(chain, outline.reshape(-1, 2), local, touched).reshape(-1, k, 2)
        boxes = boxes_from_points(mapped)
        bad = ~np.all(np.isfinite(boxes), axis=1)
        boxes[bad] = 0.0
        clipped, kept = clip_boxes(boxes, self.meta.height, self.meta.width)
        kept[bad] = 0.0
        b.boxes = b.boxes.copy()
        b.boxes[sel] = clipped
        b.box_visibility = b.box_visibility.copy()
        b.box_visibility[sel] *= kept

    def _map_points(self, chain: list, touched: NDArray) -> None:
        b = self.batch
        sel = np.flatnonzero(np.isin(b.point_sample, touched))
        if sel.size == 0:
            return
        local = np.searchsorted(touched, b.point_sample[sel])
        mapped = self._forward(chain, b.points[sel], local, touched)
        h, w = self.meta.height, self.meta.width
        inside = (np.isfinite(mapped).all(axis=1) & (mapped[:, 0] >= 0) & (mapped[:, 0] < w)
                  & (mapped[:, 1] >= 0) & (mapped[:, 1] < h))
        b.points = b.points.copy()
        b.points[sel] = mapped
        b.point_inside = b.point_inside.copy()
        b.point_inside[sel] &= inside


def _flip_exact(arr: NDArray, flip_x: NDArray, flip_y: NDArray) -> NDArray:
    """Mirror each sample of ``arr`` (n, H, W, C) exactly, without resampling."""
    out = np.empty_like(arr)
    for fx in (False, True):
        for fy in (False, True):
            sel = np.flatnonzero((flip_x == fx) & (flip_y == fy))
            if sel.size:
                view = arr[sel]
                out[sel] = view[:, ::-1 if fy else 1, ::-1 if fx else 1]
    return out
