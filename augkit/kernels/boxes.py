"""Bounding-box kernels: format conversion, outline points, re-boxing and clipping.

Internally boxes are ``pascal_voc``: ``(x_min, y_min, x_max, y_max)`` in continuous pixel
coordinates (see :mod:`augkit.kernels.geometry`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BBOX_FORMATS",
    "box_outline_points",
    "boxes_from_points",
    "clip_boxes",
    "clip_outline_boxes",
    "clip_polygons",
    "convert_boxes_from",
    "convert_boxes_to",
]

BBOX_FORMATS = ("pascal_voc", "coco", "yolo")


def convert_boxes_from(boxes: NDArray, fmt: str, height: int, width: int) -> NDArray[np.float64]:
    """Convert ``(m, 4)`` boxes in ``fmt`` to absolute ``pascal_voc``.

    ``coco`` is ``(x_min, y_min, w, h)`` in pixels; ``yolo`` is ``(x_c, y_c, w, h)`` as
    fractions of the image width and height.

    Examples
    --------
    >>> convert_boxes_from(np.array([[0.5, 0.5, 0.5, 0.5]]), "yolo", 10, 20)
    array([[ 5. ,  2.5, 15. ,  7.5]])
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if fmt == "pascal_voc":
        return b.copy()
    if fmt == "coco":
        return np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]])
    if fmt == "yolo":
        cx, cy, bw, bh = b[:, 0] * width, b[:, 1] * height, b[:, 2] * width, b[:, 3] * height
        return np.column_stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
    raise ValueError(f"bbox_format must be one of {BBOX_FORMATS}, got {fmt!r}")


def convert_boxes_to(boxes: NDArray, fmt: str, height: int, width: int) -> NDArray[np.float64]:
    """Convert absolute ``pascal_voc`` boxes to ``fmt`` (inverse of :func:`convert_boxes_from`).

    Examples
    --------
    >>> convert_boxes_to(np.array([[5.0, 2.5, 15.0, 7.5]]), "coco", 10, 20)
    array([[ 5. ,  2.5, 10. ,  5. ]])
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if fmt == "pascal_voc":
        return b.copy()
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    if fmt == "coco":
        return np.column_stack([b[:, 0], b[:, 1], bw, bh])
    if fmt == "yolo":
        return np.column_stack([(b[:, 0] + bw / 2) / width, (b[:, 1] + bh / 2) / height, bw / width, bh / height])
    raise ValueError(f"bbox_format must be one of {BBOX_FORMATS}, got {fmt!r}")


def box_outline_points(boxes: NDArray, per_edge: int = 1) -> NDArray[np.float64]:
    """Points on each box outline, in order around it, shape ``(m, 4 * per_edge, 2)``.

    ``per_edge=1`` gives the 4 corners (enough for affine and perspective maps, which keep
    straight lines straight); non-linear warps need points along the edges too.

    Examples
    --------
    >>> box_outline_points(np.array([[0.0, 0.0, 2.0, 1.0]])).tolist()
    [[[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]]]
    """
    b = np.asarray(boxes, dtype=np.float64)
    t = np.arange(per_edge, dtype=np.float64) / per_edge
    x0, y0, x1, y1 = (b[:, k:k + 1] for k in range(4))
    top = np.stack([x0 + (x1 - x0) * t, np.broadcast_to(y0, (len(b), per_edge))], axis=-1)
    right = np.stack([np.broadcast_to(x1, (len(b), per_edge)), y0 + (y1 - y0) * t], axis=-1)
    bottom = np.stack([x1 - (x1 - x0) * t, np.broadcast_to(y1, (len(b), per_edge))], axis=-1)
    left = np.stack([np.broadcast_to(x0, (len(b), per_edge)), y1 - (y1 - y0) * t], axis=-1)
    return np.concatenate([top, right, bottom, left], axis=1)


def boxes_from_points(points: NDArray) -> NDArray[np.float64]:
    """Axis-aligned boxes around ``(m, k, 2)`` point sets (``nan`` points are ignored; a set of
    ``nan`` points only gives a ``nan`` box, without a warning).

    Examples
    --------
    >>> boxes_from_points(np.array([[[1.0, 5.0], [3.0, 2.0]]])).tolist()
    [[1.0, 2.0, 3.0, 5.0]]
    >>> boxes_from_points(np.full((1, 2, 2), np.nan)).tolist()
    [[nan, nan, nan, nan]]
    """
    if not points.size:
        return np.zeros((points.shape[0], 4))
    if points.shape[1] <= 32:  # few points a set: reduce over the outer axis of (k, m, 2), row by row
        rows = np.ascontiguousarray(points.transpose(1, 0, 2))
        return np.concatenate([np.fmin.reduce(rows, axis=0), np.fmax.reduce(rows, axis=0)], axis=1)
    # each coordinate contiguous first: reducing the middle axis of (m, k, 2) ran ~9x slower
    xs, ys = np.ascontiguousarray(np.moveaxis(points, 2, 0))
    return np.column_stack([np.fmin.reduce(xs, axis=1), np.fmin.reduce(ys, axis=1),
                            np.fmax.reduce(xs, axis=1), np.fmax.reduce(ys, axis=1)])


def clip_boxes(boxes: NDArray, height: int, width: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Clip boxes to the canvas; return the clipped boxes and the fraction of area kept.

    Examples
    --------
    >>> b, kept = clip_boxes(np.array([[-2.0, 0.0, 2.0, 2.0]]), 4, 4)
    >>> b.tolist(), kept.tolist()
    ([[0.0, 0.0, 2.0, 2.0]], [0.5])
    """
    b = np.asarray(boxes, dtype=np.float64)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    c = np.column_stack([
        np.clip(b[:, 0], 0, width), np.clip(b[:, 1], 0, height),
        np.clip(b[:, 2], 0, width), np.clip(b[:, 3], 0, height),
    ])
    kept_area = np.clip(c[:, 2] - c[:, 0], 0, None) * np.clip(c[:, 3] - c[:, 1], 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.where(area > 0, kept_area / area, 0.0)
    kept = np.nan_to_num(kept, nan=0.0)
    return c, kept


def clip_outline_boxes(outlines: NDArray, height: int, width: int, *,
                       windows: NDArray | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Boxes of the part of each closed outline inside the canvas, and the fraction of area kept.

    ``outlines`` ``(m, k, 2)`` are polygons (a box's outline points mapped through a warp, in
    order around it). Where a polygon leaves the canvas, its bounding box clipped to the canvas
    (:func:`clip_boxes` of :func:`boxes_from_points`) is too large: a rotated box whose left and
    right corners are above the top border keeps their x extent, though only a narrower part of
    it shows; one carried past a corner of the canvas keeps covering that corner. This box is
    that of the polygon intersected with the canvas instead: the extremes among its vertices
    inside the canvas, its crossings of the canvas's borders and the canvas corners it encloses
    (even-odd rule). ``windows`` ``(m, 4)``: a rectangle ``(x0, y0, x1, y1)`` per polygon to
    intersect with instead of the whole canvas (the part of the canvas its object still shows
    in, after crops). The kept fraction is that box's area over the unclipped bounding box's, as
    in :func:`clip_boxes`; 0 for a polygon with nothing inside (its box is then the bounding box
    clipped). Polygons with a non-finite point get the bounding box of their finite points,
    clipped.

    Examples
    --------
    >>> band = np.array([[[-5.5, -1.5], [-4.5, -2.5], [3.5, 5.5], [2.5, 6.5]]])  # enters across x = 0
    >>> boxes, kept = clip_outline_boxes(band, 10, 10)
    >>> boxes.tolist(), clip_boxes(boxes_from_points(band), 10, 10)[0].tolist()
    ([[0.0, 2.0, 3.5, 6.5]], [[0.0, 0.0, 3.5, 6.5]])
    >>> diamond = np.array([[[0.0, -2.0], [2.0, 0.0], [0.0, 2.0], [-2.0, 0.0]]])  # encloses a corner
    >>> clip_outline_boxes(diamond, 10, 10)[0].tolist()
    [[0.0, 0.0, 2.0, 2.0]]
    >>> clip_outline_boxes(band, 10, 10, windows=np.array([[0.0, 0.0, 10.0, 4.0]]))[0].tolist()
    [[0.0, 2.0, 2.0, 4.0]]
    """
    pts = np.asarray(outlines, dtype=np.float64)
    m = pts.shape[0]
    win = np.tile([0.0, 0.0, float(width), float(height)], (m, 1)) if windows is None \
        else np.asarray(windows, dtype=np.float64).reshape(m, 4)
    full = boxes_from_points(pts)
    boxes, kept = _clip_to(full, win)
    # only polygons that reach outside their window (finite ones) can be cut by it
    cut = (np.isfinite(pts).all(axis=(1, 2)) & ((full[:, 0] < win[:, 0]) | (full[:, 1] < win[:, 1])
                                                | (full[:, 2] > win[:, 2]) | (full[:, 3] > win[:, 3]))).nonzero()[0]
    if cut.size == 0:
        return boxes, kept
    x, y = pts[cut, :, 0], pts[cut, :, 1]
    wx0, wy0, wx1, wy1 = (win[cut, i:i + 1] for i in range(4))
    xn, yn = np.roll(x, -1, axis=1), np.roll(y, -1, axis=1)
    xs, ys = [], []
    inside = (x >= wx0) & (x <= wx1) & (y >= wy0) & (y <= wy1)
    xs.append(np.where(inside, x, np.nan))
    ys.append(np.where(inside, y, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        # crossings of the vertical borders (u = x) and of the horizontal ones (u = y), each
        # kept where it falls between the other two borders (lo..hi along v)
        for u, v, un, vn, borders, lo, hi, vertical in ((x, y, xn, yn, (wx0, wx1), wy0, wy1, True),
                                                        (y, x, yn, xn, (wy0, wy1), wx0, wx1, False)):
            for border in borders:
                at = v + (border - u) / (un - u) * (vn - v)
                ok = ((u - border) * (un - border) <= 0) & (un != u) & (at >= lo) & (at <= hi)
                on, along = np.where(ok, border, np.nan), np.where(ok, at, np.nan)
                xs.append(on if vertical else along)
                ys.append(along if vertical else on)
        for cx, cy in ((wx0, wy0), (wx1, wy0), (wx0, wy1), (wx1, wy1)):
            straddle = (y > cy) != (yn > cy)
            crossing = x + (cy - y) * (xn - x) / (yn - y)
            enclosed = (np.count_nonzero(straddle & (cx < crossing), axis=1) % 2 == 1)[:, None]
            enclosed &= (wx1 > wx0) & (wy1 > wy0)  # (an empty window encloses nothing)
            xs.append(np.where(enclosed, cx, np.nan))
            ys.append(np.where(enclosed, cy, np.nan))
    cand_x, cand_y = np.concatenate(xs, axis=1), np.concatenate(ys, axis=1)
    tight = np.column_stack([np.fmin.reduce(cand_x, axis=1), np.fmin.reduce(cand_y, axis=1),
                             np.fmax.reduce(cand_x, axis=1), np.fmax.reduce(cand_y, axis=1)])
    shows = np.isfinite(tight).all(axis=1)
    kept[cut[~shows]] = 0.0  # wholly outside, though its bounding box is not
    cut, tight = cut[shows], tight[shows]
    boxes[cut] = tight
    area = (full[cut, 2] - full[cut, 0]) * (full[cut, 3] - full[cut, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        kept[cut] = np.nan_to_num(np.where(area > 0, (tight[:, 2] - tight[:, 0]) * (tight[:, 3] - tight[:, 1]) / area,
                                           0.0), nan=0.0)
    return boxes, kept


def _clip_to(boxes: NDArray, windows: NDArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`clip_boxes` against a rectangle per box instead of the canvas."""
    lo, hi = windows[:, :2], windows[:, 2:]
    c = np.concatenate([np.minimum(np.maximum(boxes[:, :2], lo), hi), np.minimum(np.maximum(boxes[:, 2:], lo), hi)],
                       axis=1)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept_area = np.clip(c[:, 2] - c[:, 0], 0, None) * np.clip(c[:, 3] - c[:, 1], 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.nan_to_num(np.where(area > 0, kept_area / area, 0.0), nan=0.0)
    return c, kept


def clip_polygons(polygons: NDArray, windows: NDArray) -> NDArray[np.float64]:
    """Each polygon ``(m, k, 2)`` clipped to its rectangle ``windows[i] = (x0, y0, x1, y1)``
    (Sutherland-Hodgman, the four borders one after the other).

    Returns ``(m, k', 2)``: each row's vertices in order, the places after them filled with
    repeats of its last (the same polygon); a row with nothing inside is all NaN. Repeated
    vertices in the input are fine (zero-length edges).

    Examples
    --------
    >>> tri = np.array([[[-2.0, 1.0], [4.0, 1.0], [1.0, 4.0]]])
    >>> clip_polygons(tri, np.array([[0.0, 0.0, 10.0, 10.0]]))[0].tolist()
    [[0.0, 3.0], [0.0, 1.0], [4.0, 1.0], [1.0, 4.0]]
    """
    poly = np.asarray(polygons, dtype=np.float64)
    win = np.asarray(windows, dtype=np.float64).reshape(-1, 4)
    m = poly.shape[0]
    for axis, col, keep_above in ((0, 0, True), (0, 2, False), (1, 1, True), (1, 3, False)):
        bound = win[:, col:col + 1]
        prev = np.roll(poly, 1, axis=1)
        c, pc = poly[..., axis], prev[..., axis]
        cur_in, prev_in = ((c >= bound, pc >= bound) if keep_above else (c <= bound, pc <= bound))
        with np.errstate(divide="ignore", invalid="ignore"):  # (t is used only where the edge crosses)
            t = (bound - pc) / (c - pc)
            cross = prev + t[..., None] * (poly - prev)
        cross[..., axis] = np.broadcast_to(bound, c.shape)  # exactly on the border
        slots = np.stack([cross, poly], axis=2).reshape(m, -1, 2)  # per vertex: crossing, then itself
        ok = np.stack([cur_in != prev_in, cur_in], axis=2).reshape(m, -1)
        count = ok.sum(axis=1)
        order = np.argsort(~ok, axis=1, kind="stable")[:, :max(int(count.max(initial=0)), 1)]
        last = np.maximum(count - 1, 0)[:, None]
        order = np.take_along_axis(order, np.minimum(np.arange(order.shape[1])[None, :], last), axis=1)
        poly = np.take_along_axis(slots, order[:, :, None], axis=1)
        poly[count == 0] = np.nan
    return poly
