"""Executing transforms on a batch, with fused geometry.

The runner walks a pipeline in order. Pixel transforms run at once on the samples they
are active for. Geometric transforms are *queued*: consecutive ones (with the same
resampling settings) are composed, and the pixels are resampled once when a pixel
transform, a change of settings, or the end of the pipeline needs them. Matrices are
multiplied; a chain that includes a displacement-field warp is turned into one
per-pixel source map. Masks use the same map with nearest-neighbour sampling (or, for
soft masks, the image's own resampling); boxes and keypoints are pushed forward through
each step.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from ..kernels import scratch
from ..kernels.boxes import box_outline_points, boxes_from_points, clip_boxes, clip_outline_boxes, clip_polygons
from ..kernels.geometry import (
    CHUNK_PIXELS,
    invert_matrices,
    map_points,
    remap_image,
    warp_homography_image,
)
from ..kernels.packed import packable, remap_image_and_mask, warp_homography_image_and_mask
from ..kernels.permute import compose_permutations, permute_image
from ..kernels.scratch import work_array
from .data import Batch
from .plan import GeometryPlan, Op, member_mask
from .transform import CanvasTransform, GeometricTransform, Meta, Params, PixelTransform, Transform, take_params

__all__ = ["Runner"]

#: Mask dtypes that ``mask_interpolation="image"`` can blend.
SOFT_MASK_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))
#: Points spread along each edge of an outline pushed through a non-linear warp: about one
#: every ``EDGE_SPACING_PX`` (pixels before the warp), from 1 up to ``EDGE_POINTS_NONLINEAR``.
EDGE_POINTS_NONLINEAR = 16
EDGE_SPACING_PX = 2.0
#: ``Runner.mirrored`` of a call without keypoints (nothing reads it; read-only).
_NOT_TRACKED = np.zeros(0, dtype=bool)
_NOT_TRACKED.flags.writeable = False


class Runner:
    """Applies transforms to one :class:`~augkit.core.data.Batch` (one call; internal)."""

    def __init__(self, batch: Batch, *, fuse: bool = True, soft_masks: bool = False) -> None:
        self.batch = batch
        self.fuse = fuse
        self.soft_masks = soft_masks
        if soft_masks and batch.mask is not None and batch.mask.dtype not in SOFT_MASK_DTYPES:
            raise ValueError(f"mask_interpolation='image' blends mask values like pixels, so it needs a uint8 or "
                             f"float mask, got {batch.mask.dtype} (label masks: mask_interpolation='nearest')")
        self.meta = Meta(
            n=batch.n, height=batch.image.shape[1], width=batch.image.shape[2], channels=batch.image.shape[3],
            dtype=batch.image.dtype, labels=batch.labels,
        )
        self.pending: list[Op] = []
        #: Samples whose geometry so far is a mirror image (an odd number of flips applied; kept
        #: only when the call has keypoints, else an empty array).
        self.mirrored = np.zeros(batch.n, dtype=bool) if batch.points.size else _NOT_TRACKED

    # --- leaves -------------------------------------------------------------------------
    def leaf(self, t: Transform, rng: np.random.Generator | None, params: Params | None, reach: NDArray) -> Params:
        """Draw (or reuse) ``t``'s params for every sample and apply it where active."""
        if params is None:
            meta = self.meta
            if getattr(t, "reads_boxes", False):  # (boxes where the pixels are: queued geometry first)
                self.flush()
                meta = dataclasses.replace(meta, box_union=self._box_union())
            draw = rng.random(meta.n)
            params = {"active": reach & (draw < t.p), **t.sample(rng, meta)}
        idx = np.asarray(params["active"]).nonzero()[0]
        if idx.size == 0:
            return params
        if isinstance(t, GeometricTransform):
            if t.permutes and self.batch.points.size:  # (read by keypoint_flip_pairs only)
                tr, fx, fy = (np.asarray(f, dtype=bool) for f in t.permutation_flags(params))
                self.mirrored[idx] ^= (tr ^ fx ^ fy)[idx]  # (each is a reflection; a turn is two)
            self._queue(t, params, idx)
        elif isinstance(t, PixelTransform):
            self.flush(idx)
            self._apply_pixel(t, params, idx)
        elif isinstance(t, CanvasTransform):
            if idx.size != self.meta.n:
                raise ValueError(
                    f"{type(t).__name__} changes the image size, so it must apply to every sample of a batch; "
                    f"here it reached {idx.size} of {self.meta.n} (it cannot sit inside OneOf/SomeOf or a "
                    "container with p < 1)")
            self.flush()
            self._apply_canvas(t, params)
        else:
            raise TypeError(f"{type(t).__name__} is an audio transform; this call passed images (use audio=)")
        return params

    def _box_union(self) -> NDArray[np.float64]:
        """Each sample's union of its boxes that still show (visibility and area above 0); NaN
        rows for samples without any."""
        b = self.batch
        union = np.full((b.n, 4), np.nan)
        if b.boxes.size:
            box = b.boxes
            live = (b.box_visibility > 0) & (box[:, 2] > box[:, 0]) & (box[:, 3] > box[:, 1])
            owner, box = b.box_sample[live], box[live]
            for i in np.unique(owner).tolist():
                mine = box[owner == i]
                union[i] = (mine[:, 0].min(), mine[:, 1].min(), mine[:, 2].max(), mine[:, 3].max())
        return union

    def _apply_pixel(self, t: PixelTransform, params: Params, idx: NDArray) -> None:
        b = self.batch
        whole = idx.size == b.n
        sub = params if whole else take_params(params, idx)
        images = b.image if whole else _subset(b.image, idx, "runner.subset")
        result = t.apply_image(images, sub, self.meta if whole else self.meta.take(idx))
        if result.shape != images.shape or result.dtype != images.dtype:
            raise RuntimeError(f"{type(t).__name__}.apply_image changed the shape or dtype of the images")
        if whole:  # a kernel may hand back (a view of) its input: then the result is not ours to write
            _drop(images, b.image_owned, result)
            b.image, b.image_owned = result, not np.may_share_memory(result, images)
        else:
            self._own_image()
            b.image[idx] = result

    def _apply_canvas(self, t: CanvasTransform, params: Params) -> None:
        """Crop, pad or resize every sample (the whole batch), and move boxes and keypoints."""
        b = self.batch
        meta = self.meta
        out_h, out_w = t.output_size(meta)
        fill = getattr(t, "fill", None)
        if fill is not None:
            _check_fill(t, b.image.dtype)
        images = t.apply_canvas(b.image, params, meta, is_mask=False)
        if images.shape != (b.n, out_h, out_w, b.image.shape[3]) or images.dtype != b.image.dtype:
            raise RuntimeError(f"{type(t).__name__}.apply_canvas returned {images.shape} {images.dtype}, "
                               f"expected {(b.n, out_h, out_w, b.image.shape[3])} {b.image.dtype}")
        _drop(b.image, b.image_owned, images)
        b.image, b.image_owned = images, not np.may_share_memory(images, b.image)
        if b.mask is not None:
            # soft masks are resized like the image (a pad still fills them with fill_mask)
            like_image = self.soft_masks and hasattr(t, "interpolation")
            b.mask, b.mask_owned = t.apply_canvas(b.mask, params, meta, is_mask=not like_image), True
        self.meta = dataclasses.replace(meta, height=out_h, width=out_w)
        if b.boxes.size or b.points.size:
            m = t.matrices(params, meta)
            if b.boxes.size:
                self._crop_boxes(m, out_h, out_w)
            if b.points.size:
                pts = map_points(b.points, m[b.point_sample])
                inside = (pts[:, 0] >= 0) & (pts[:, 0] < out_w) & (pts[:, 1] >= 0) & (pts[:, 1] < out_h)
                b.points, b.point_inside = pts, b.point_inside & inside

    # --- geometry ------------------------------------------------------------------------
    def flush(self, subset: NDArray | None = None) -> None:
        """Resample the queued geometry of ``subset`` (default: every sample) and map targets.

        Samples outside ``subset`` keep their queue, so whether a sample's transforms are fused
        depends on that sample alone, never on the rest of the batch.
        """
        take: list[Op] = []
        keep: list[Op] = []
        for op in self.pending:
            if subset is None:
                take.append(op)
                continue
            inside = member_mask(op.idx, subset)
            if inside.any():
                take.append(Op(op.t, op.params, op.idx[inside]))
            if not inside.all():
                keep.append(Op(op.t, op.params, op.idx[~inside]))
        self.pending = keep
        keys: list[tuple] = []
        for op in take:
            if op.t.resampling_key not in keys:
                keys.append(op.t.resampling_key)
        for key in keys:  # a sample's queue never mixes keys, so groups are disjoint
            group = [op for op in take if op.t.resampling_key == key]
            if all(op.t.permutes for op in group) and not (self.batch.boxes.size or self.batch.points.size):
                self._permute(group)  # flips and quarter turns only: exact copies, no matrices needed
                continue
            plan = GeometryPlan(group, self.meta)
            settings = group[0].t
            self._resample_pixels(plan, settings)
            if self.batch.boxes.size:
                self._map_boxes(plan)
            if self.batch.points.size:
                self._map_points(plan)

    def _permute(self, ops: list[Op]) -> None:
        """Apply a run of flips, quarter turns and transposes (image and mask) by exact copies."""
        b = self.batch
        if len(ops) == 1:  # one transform (the usual case): its own flags, where it is active
            touched = ops[0].idx
            tr, fx, fy = (np.asarray(f, dtype=bool) for f in ops[0].t.permutation_flags(ops[0].params))
        else:
            touched = np.unique(np.concatenate([op.idx for op in ops]))
            none = np.zeros(b.n, dtype=bool)
            tr, fx, fy = none, none, none
            for op in ops:
                active = member_mask(np.arange(b.n), op.idx)
                step = tuple(np.asarray(f, dtype=bool) & active for f in op.t.permutation_flags(op.params))
                tr, fx, fy = compose_permutations((tr, fx, fy), step)
        whole = touched.size == b.n
        images = b.image if whole else _subset(b.image, touched, "runner.subset")
        masks = None if b.mask is None else (b.mask if whole else _subset(b.mask, touched, "runner.subset_mask"))
        # a subset's new images only pass through (they are copied into the batch): work arrays
        if not whole:
            tr, fx, fy = tr[touched], fx[touched], fy[touched]
        new_images = permute_image(images, tr, fx, fy,
                                   out=None if whole else _work_like(images, "runner.subset_out"))
        new_masks = None if masks is None else permute_image(
            masks, tr, fx, fy, out=None if whole else _work_like(masks, "runner.subset_mask_out"))
        self._store(touched, new_images, new_masks)

    def _queue(self, t: GeometricTransform, params: Params, idx: NDArray) -> None:
        clash = [op.idx for op in self.pending if not self.fuse or op.t.resampling_key != t.resampling_key]
        if clash:
            self.flush(np.intersect1d(np.concatenate(clash), idx))
        self.pending.append(Op(t, params, idx))
        if not self.fuse:
            self.flush(idx)

    def _resample_pixels(self, plan: GeometryPlan, settings: GeometricTransform) -> None:
        b = self.batch
        h, w = b.image.shape[1:3]
        touched = plan.touched
        whole = touched.size == b.n
        images = b.image if whole else _subset(b.image, touched, "runner.subset")
        masks = None if b.mask is None else (b.mask if whole else _subset(b.mask, touched, "runner.subset_mask"))
        _check_fill(settings, images.dtype)
        if whole:
            new_images = scratch.empty(images.shape, images.dtype)  # a batch an earlier stage dropped, if any
            new_masks = None if masks is None else np.empty_like(masks)
        else:  # only passing through: copied into the batch by _store
            new_images = _work_like(images, "runner.subset_out")
            new_masks = None if masks is None else _work_like(masks, "runner.subset_mask_out")
        resample = {"border_mode": settings.border_mode}
        pure, tr, fx, fy = plan.permutation_flags(np.arange(len(touched)))
        mirror = pure.nonzero()[0]
        if mirror.size:
            _into(permute_image, images, new_images, mirror, tr[mirror], fx[mirror], fy[mirror])
            if masks is not None:
                _into(permute_image, masks, new_masks, mirror, tr[mirror], fx[mirror], fy[mirror])
        rest = (~pure).nonzero()[0]
        linear = rest[plan.nf[rest] == 0]
        soft = self.soft_masks and masks is not None
        # a soft mask resampled like its RGB image: carried as the image's fourth channel
        packed = soft and packable(images, masks, settings.interpolation)
        if linear.size:  # matrices only: warp directly (no per-pixel maps for the image)
            inv = invert_matrices(plan.runs[0][linear])
            if packed:
                _into_pair(warp_homography_image_and_mask, images, masks, new_images, new_masks, linear, inv,
                           (h, w), fill=settings.fill, mask_fill=settings.fill_mask,
                           interpolation=settings.interpolation, **resample)
            else:
                _into(warp_homography_image, images, new_images, linear, inv, (h, w), fill=settings.fill,
                      interpolation=settings.interpolation, **resample)
                if soft:
                    _into(warp_homography_image, masks, new_masks, linear, inv, (h, w), fill=settings.fill_mask,
                          interpolation=settings.interpolation, **resample)
        # chunks bound the per-pixel temporaries (float32 maps and fields, about 24 bytes a pixel):
        # at most CHUNK_PIXELS pixels, at most a quarter of the batch, and at most the images whose
        # maps take as many bytes as 1.5 times the batch (grey uint8 batches: 1 byte a pixel)
        px_bytes = images.shape[3] * images.dtype.itemsize
        per = max(1, min(CHUNK_PIXELS // (h * w), -(-len(touched) // 4), len(touched) * px_bytes // 16))
        need_maps = rest if masks is not None and not soft else rest[plan.nf[rest] > 0]
        grid_start = plan.grid_start() if need_maps.size else None
        if need_maps.size:  # reused map buffers: fresh ones would page-fault chunk after chunk
            k = min(per, need_maps.size)
            maps = (work_array("runner.map_x", (k, h, w), np.float32),
                    work_array("runner.map_y", (k, h, w), np.float32))
        for m in sorted(set(plan.nf[need_maps].tolist())):
            for start_on_grid in (False, True):
                group = need_maps[(plan.nf[need_maps] == m) & (grid_start[need_maps] == start_on_grid)]
                for s in range(0, group.size, per):
                    loc = group[s:s + per]
                    x, y = plan.source_coords(loc, (h, w), start_on_grid,
                                              out=(maps[0][:loc.size], maps[1][:loc.size]))
                    if m > 0 and packed:
                        _into_pair(remap_image_and_mask, images, masks, new_images, new_masks, loc, x, y,
                                   fill=settings.fill, mask_fill=settings.fill_mask,
                                   interpolation=settings.interpolation, coords_valid=start_on_grid and m == 1,
                                   **resample)
                        continue
                    if m > 0:
                        _into(remap_image, images, new_images, loc, x, y, interpolation=settings.interpolation,
                              fill=settings.fill, coords_valid=start_on_grid and m == 1, **resample)
                    if masks is not None:
                        _into(remap_image, masks, new_masks, loc, x, y, fill=settings.fill_mask,
                              interpolation=settings.interpolation if soft else "nearest",
                              coords_valid=soft and start_on_grid and m == 1, **resample)
        self._store(touched, new_images, new_masks)

    def _store(self, touched: NDArray, images: NDArray, masks: NDArray | None) -> None:
        b = self.batch
        if touched.size == b.n:
            _drop(b.image, b.image_owned, images)
            b.image, b.image_owned = images, True
            if masks is not None:
                b.mask, b.mask_owned = masks, True
            return
        self._own_image()
        b.image[touched] = images
        if masks is not None:
            if not b.mask_owned:
                b.mask, b.mask_owned = b.mask.copy(), True
            b.mask[touched] = masks

    def _own_image(self) -> None:
        """Make the batch's images this call's own (a copy of the caller's array) before writing."""
        b = self.batch
        if not b.image_owned:
            copy = scratch.empty(b.image.shape, b.image.dtype)  # (a batch an earlier stage dropped, if any)
            np.copyto(copy, b.image)
            b.image, b.image_owned = copy, True

    def _crop_boxes(self, m: NDArray, out_h: int, out_w: int) -> None:
        """Boxes through a crop, pad or resize (axis-aligned matrices ``m``, one per sample):
        after a warp, the warped outlines are cut by what still shows of the canvas (a rotated
        box cropped near its corner keeps only the extent of that part), else the boxes."""
        b = self.batch
        rows = m[b.box_sample]
        moved = _move_boxes(b.boxes, rows)
        if b.box_outlines is None:
            clipped, kept = clip_boxes(moved, out_h, out_w)
            b.boxes, b.box_visibility = clipped, b.box_visibility * kept
            return
        outlines = _move_points(b.box_outlines, rows)
        windows = _move_boxes(b.box_windows, rows)  # (the window moved, then within the new canvas)
        np.maximum(windows[:, :2], 0.0, out=windows[:, :2])
        np.minimum(windows[:, 2:], [out_w, out_h], out=windows[:, 2:])
        clipped, shows = clip_outline_boxes(outlines, out_h, out_w, windows=windows)
        area = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
        before = (moved[:, 2] - moved[:, 0]) * (moved[:, 3] - moved[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = np.where((shows > 0) & (before > 0), area / np.where(before > 0, before, 1.0), 0.0)
        b.boxes, b.box_visibility = clipped, b.box_visibility * np.minimum(kept, 1.0)
        b.box_outlines, b.box_windows = outlines, windows

    def _keep_outlines(self, sel: NDArray, outlines: NDArray, clipped: NDArray) -> None:
        """Remember the warped outlines of boxes ``sel`` (their boxes ``clipped``) for a later
        crop; an outline with a non-finite point is replaced by its box's corners."""
        b = self.batch
        bad = ~np.isfinite(outlines).all(axis=(1, 2))
        if bad.any():
            outlines = outlines.copy()
            outlines[bad] = _pad_points(box_outline_points(clipped[bad]), outlines.shape[1])
        canvas = np.array([0.0, 0.0, self.meta.width, self.meta.height])
        if sel.size == len(b.boxes):
            b.box_outlines, b.box_windows = outlines, np.tile(canvas, (sel.size, 1))
            return
        base = b.box_outlines if b.box_outlines is not None else box_outline_points(b.boxes)
        windows = b.box_windows.copy() if b.box_windows is not None else np.tile(canvas, (len(b.boxes), 1))
        k = max(base.shape[1], outlines.shape[1])
        base = _pad_points(base, k).copy()
        base[sel] = _pad_points(outlines, k)
        windows[sel] = canvas
        b.box_outlines, b.box_windows = base, windows

    def _map_boxes(self, plan: GeometryPlan) -> None:
        b = self.batch
        sel = member_mask(b.box_sample, plan.touched).nonzero()[0]
        if sel.size == 0:
            return
        local = np.searchsorted(plan.touched, b.box_sample[sel])
        clipped, kept = np.empty((sel.size, 4)), np.empty(sel.size)
        linear = plan.nf[local] == 0
        source = self._visible_outlines(sel)
        k = source.shape[1]
        groups = []
        for group, nonlinear in ((linear.nonzero()[0], False), ((~linear).nonzero()[0], True)):
            if group.size == 0:
                continue
            if nonlinear:
                mapped = self._map_outlines(plan, source[group], local[group])
            else:  # (straight lines stay straight: the vertices are enough)
                mapped = plan.forward(source[group].reshape(-1, 2), np.repeat(local[group], k),
                                      outline=True).reshape(-1, k, 2)
            # the box of the mapped outline's part inside the canvas (tight where it leaves past a corner)
            clipped[group], kept[group] = clip_outline_boxes(mapped, self.meta.height, self.meta.width)
            groups.append((group, mapped))
        if len(groups) == 1:
            outlines = groups[0][1]
        else:
            k = max(mapped.shape[1] for _, mapped in groups)
            outlines = np.empty((sel.size, k, 2))
            for group, mapped in groups:
                outlines[group] = _pad_points(mapped, k)
        bad = ~np.all(np.isfinite(clipped), axis=1)
        clipped[bad] = 0.0
        kept[bad] = 0.0
        self._keep_outlines(sel, outlines, clipped)
        b.boxes = b.boxes.copy()
        b.boxes[sel] = clipped
        b.box_visibility = b.box_visibility.copy()
        b.box_visibility[sel] *= kept

    def _visible_outlines(self, sel: NDArray) -> NDArray:
        """Outlines ``(m, k, 2)`` of boxes ``sel`` to push through a warp: the part of the
        outline an earlier warp left that still shows (what crops and the canvas's edges left of
        it), or the box's corners (before any warp, or where nothing of it shows)."""
        b = self.batch
        corners = box_outline_points(b.boxes[sel])
        if b.box_outlines is None:
            return corners
        outlines, windows = b.box_outlines[sel], b.box_windows[sel]
        full = boxes_from_points(outlines)
        cut = ((full[:, :2] < windows[:, :2]) | (full[:, 2:] > windows[:, 2:])).any(axis=1).nonzero()[0]
        if cut.size:
            part = clip_polygons(outlines[cut], windows[cut])
            k = max(outlines.shape[1], part.shape[1])
            outlines = _pad_points(outlines, k).copy()
            outlines[cut] = _pad_points(part, k)
        empty = ~np.isfinite(outlines).all(axis=(1, 2))
        if empty.any():  # (nothing of it shows: its box has no area, its visibility is 0)
            k = max(outlines.shape[1], 4)
            outlines = _pad_points(outlines, k).copy()
            outlines[empty] = _pad_points(corners[empty], k)
        return outlines

    @staticmethod
    def _map_outlines(plan: GeometryPlan, outlines: NDArray, local: NDArray) -> NDArray:
        """Closed outlines ``(m, k, 2)`` pushed through a chain with a field, densified first:
        about one point every ``EDGE_SPACING_PX`` along each edge (1 to
        ``EDGE_POINTS_NONLINEAR`` a side), and only distinct points pushed (inverting a field
        costs ~0.5 us a point; character boxes are small and many). Returns ``(m, k', 2)``, the
        places after a row's points filled with repeats of its last."""
        m = outlines.shape[0]
        step = np.roll(outlines, -1, axis=1) - outlines
        length = np.hypot(step[..., 0], step[..., 1])
        pieces = np.clip(np.ceil(length / EDGE_SPACING_PX), 1, EDGE_POINTS_NONLINEAR).astype(np.intp)
        j = np.arange(int(pieces.max()))
        t = j[None, None, :] / pieces[..., None]
        points = (outlines[:, :, None, :] + t[..., None] * step[:, :, None, :]).reshape(m, -1, 2)
        # a point of its own: within its edge's pieces, on an edge of some length (a repeated
        # vertex starts the next edge anyway), and every row's first vertex
        own = (j[None, None, :] < pieces[..., None]) & (length > 0)[..., None]
        own[:, 0, 0] = True
        own = own.reshape(m, -1)
        count = own.sum(axis=1)
        mapped = plan.forward(points[own], np.repeat(local, count), outline=True,  # (row by row, in order)
                              polygons=np.repeat(np.arange(m), count))
        # rows of their own points, then repeats of the last
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        slot = np.minimum(np.arange(int(count.max()))[None, :], (count - 1)[:, None])
        return mapped[start[:, None] + slot]

    def _map_points(self, plan: GeometryPlan) -> None:
        b = self.batch
        sel = member_mask(b.point_sample, plan.touched).nonzero()[0]
        if sel.size == 0:
            return
        mapped = plan.forward(b.points[sel], np.searchsorted(plan.touched, b.point_sample[sel]))
        h, w = self.meta.height, self.meta.width
        inside = (np.isfinite(mapped).all(axis=1) & (mapped[:, 0] >= 0) & (mapped[:, 0] < w)
                  & (mapped[:, 1] >= 0) & (mapped[:, 1] < h))
        b.points = b.points.copy()
        b.points[sel] = mapped
        b.point_inside = b.point_inside.copy()
        b.point_inside[sel] &= inside


def _is_scale_translate(rows: NDArray) -> bool:
    """Are all matrices ``(m, 3, 3)`` ``x' = a x + c, y' = b y + d`` (crops, pads, resizes)?"""
    return bool((rows[:, 0, 1] == 0).all() and (rows[:, 1, 0] == 0).all() and (rows[:, 2, :2] == 0).all()
                and (rows[:, 2, 2] == 1).all())


def _move_points(points: NDArray, rows: NDArray) -> NDArray:
    """Points ``(m, k, 2)`` through one matrix per row (scale and translation read directly)."""
    if not _is_scale_translate(rows):
        k = points.shape[1]
        return map_points(points.reshape(-1, 2), np.repeat(rows, k, axis=0)).reshape(-1, k, 2)
    return points * rows[:, None, [0, 1], [0, 1]] + rows[:, None, :2, 2]


def _move_boxes(boxes: NDArray, rows: NDArray) -> NDArray:
    """Boxes ``(m, 4)`` through one matrix per row: the box of their moved corners."""
    if not _is_scale_translate(rows):
        return boxes_from_points(_move_points(box_outline_points(boxes), rows))
    scale, shift = rows[:, [0, 1], [0, 1]], rows[:, :2, 2]
    a, b = boxes[:, :2] * scale + shift, boxes[:, 2:] * scale + shift
    return np.concatenate([np.minimum(a, b), np.maximum(a, b)], axis=1)


def _pad_points(outlines: NDArray, k: int) -> NDArray:
    """Outlines ``(m, j, 2)`` grown to ``k`` points by repeating the last (a polygon unchanged)."""
    j = outlines.shape[1]
    if j == k:
        return outlines
    return np.concatenate([outlines, np.repeat(outlines[:, -1:], k - j, axis=1)], axis=1)


def _subset(array: NDArray, idx: NDArray, key: str) -> NDArray:
    """Samples ``idx`` of ``array`` in this thread's work array ``key`` (valid for one step):
    a fresh gather per step made glibc map and fault in new pages call after call."""
    # mode="clip" (the indices are valid): with the default "raise", take() buffers out= (~10x slower)
    return np.take(array, idx, axis=0, out=work_array(key, (idx.size, *array.shape[1:]), array.dtype), mode="clip")


def _work_like(array: NDArray, key: str) -> NDArray:
    return work_array(key, array.shape, array.dtype)


def _drop(old: NDArray, owned: bool, new: NDArray) -> None:
    """``old`` (the batch's images until now) is replaced by ``new``: if this call made it and
    ``new`` does not use its memory, nothing refers to it any more, so keep it for a later stage."""
    if owned and not np.may_share_memory(old, new):
        scratch.recycle(old)


def _into(kernel, src: NDArray, dst: NDArray, idx: NDArray, *args, **kwargs) -> None:
    """Run ``kernel`` on samples ``idx`` of ``src``, writing into ``dst`` without extra copies
    when ``idx`` is a contiguous run (the usual case)."""
    if idx.size and idx[-1] - idx[0] + 1 == idx.size:
        sl = slice(int(idx[0]), int(idx[-1]) + 1)
        kernel(src[sl], *args, out=dst[sl], **kwargs)
    else:
        dst[idx] = kernel(src[idx], *args, **kwargs)


def _into_pair(kernel, images: NDArray, masks: NDArray, images_out: NDArray, masks_out: NDArray, idx: NDArray,
               *args, **kwargs) -> None:
    """:func:`_into` for a kernel of images and masks together (returning both)."""
    if idx.size and idx[-1] - idx[0] + 1 == idx.size:
        sl = slice(int(idx[0]), int(idx[-1]) + 1)
        kernel(images[sl], masks[sl], *args, out=images_out[sl], mask_out=masks_out[sl], **kwargs)
    else:
        images_out[idx], masks_out[idx] = kernel(images[idx], masks[idx], *args, **kwargs)


def _check_fill(t: GeometricTransform, dtype: np.dtype) -> None:
    """Fill values must be representable in the image's units (0-255 uint8, 0-1 float32)."""
    top = 255.0 if dtype == np.uint8 else 1.0
    values = t.fill if isinstance(t.fill, tuple) else (t.fill,)  # validated numbers (check_fill)
    if min(values) < 0 or max(values) > top:
        raise ValueError(f"{type(t).__name__}: fill={t.fill!r} is outside the range of {dtype} images [0, {top:g}]")

