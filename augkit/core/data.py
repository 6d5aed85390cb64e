"""Turning call arguments into one internal batch, and the batch back into outputs.

Internally a call always works on a :class:`Batch`: images ``(N, H, W, C)``, masks
``(N, H, W, K)``, and ragged boxes/keypoints flattened into arrays with a sample index. A
single image is a batch of one; :class:`Layout` remembers how to give back what came in.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..kernels.boxes import BBOX_FORMATS, convert_boxes_from, convert_boxes_to

__all__ = ["Batch", "Layout", "build_outputs", "parse_inputs"]

IMAGE_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32))
PIL_MODES = {"L": 2, "LA": 3, "RGB": 3, "RGBA": 3, "F": 2}
KEYPOINT_POLICIES = ("drop", "flag")


def _empty(shape: tuple[int, ...], dtype: Any) -> NDArray:
    a = np.zeros(shape, dtype)
    a.flags.writeable = False  # shared by every call without targets: replaced, never written
    return a


_NO_BOXES, _NO_POINTS = _empty((0, 4), np.float64), _empty((0, 2), np.float64)
_NO_INDEX, _NO_FLOAT, _NO_BOOL = _empty(0, np.intp), _empty(0, np.float64), _empty(0, bool)


@dataclass
class Batch:
    """The working state of one call (internal)."""

    image: NDArray
    mask: NDArray | None = None
    labels: NDArray | None = None
    boxes: NDArray = field(default_factory=lambda: _NO_BOXES)
    box_sample: NDArray = field(default_factory=lambda: _NO_INDEX)
    box_id: NDArray = field(default_factory=lambda: _NO_INDEX)
    box_visibility: NDArray = field(default_factory=lambda: _NO_FLOAT)
    # after a warp: each box's mapped outline (m, k, 2) and the rectangle (m, 4) of the canvas its
    # object still shows in; the box is the outline's part inside it (crops cut the outline, not
    # its box; None: the boxes themselves are the outlines)
    box_outlines: NDArray | None = None
    box_windows: NDArray | None = None
    points: NDArray = field(default_factory=lambda: _NO_POINTS)
    point_sample: NDArray = field(default_factory=lambda: _NO_INDEX)
    point_inside: NDArray = field(default_factory=lambda: _NO_BOOL)
    image_owned: bool = False
    mask_owned: bool = False

    @property
    def n(self) -> int:
        return self.image.shape[0]


@dataclass
class Layout:
    """How the inputs were shaped, to shape the outputs the same way (internal)."""

    kind: str  # "batch" | "list" | "single" | "pil"
    single_ndim: int = 3
    pil_mode: str | None = None
    mask_squeeze: bool = False
    has_mask: bool = False
    bbox_format: str | None = None
    box_counts: list[int] | None = None
    bbox_labels: list[list] | None = None
    keypoint_counts: list[int] | None = None
    keypoint_labels: list[list] | None = None


def _as_image_array(name: str, value: Any) -> NDArray:
    if not isinstance(value, np.ndarray):
        hint = ""
        if type(value).__module__.split(".")[0] == "torch":
            hint = " (a torch tensor: pass tensor.permute(1, 2, 0).numpy() for a (C, H, W) image, channels last)"
        elif hasattr(value, "__array__"):
            hint = " (convert it with np.asarray first)"
        raise TypeError(f"{name} must be a numpy array or a PIL image, got {type(value).__name__}{hint}")
    if value.dtype not in IMAGE_DTYPES:
        raise TypeError(f"{name} must have dtype uint8 or float32, got {value.dtype}")
    return value


def _check_float_range(name: str, image: NDArray) -> None:
    if image.dtype == np.float32 and image.size:
        lo, hi = float(np.min(image)), float(np.max(image))
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"{name} contains NaN or infinite values")
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"{name} (float32) must hold values in [0, 1], got values in [{lo:g}, {hi:g}]")


def _parse_image(image: Any) -> tuple[NDArray, Layout]:
    if image is None:
        raise TypeError("image is required: pass image= an array (H,W), (H,W,C), (N,H,W,C), a PIL image or a list")
    Image = sys.modules.get("PIL.Image")  # (a PIL image means PIL is imported; no import per call)
    if Image is not None and isinstance(image, Image.Image):
        if image.mode not in PIL_MODES:
            raise ValueError(f"image: PIL mode {image.mode!r} is not supported; expected one of {sorted(PIL_MODES)} "
                             "(convert it first, e.g. image.convert('RGB'))")
        arr = np.asarray(image)
        arr = arr.astype(np.float32) if image.mode == "F" else arr
        layout = Layout("pil", single_ndim=arr.ndim, pil_mode=image.mode)
        return (arr[None, :, :, None] if arr.ndim == 2 else arr[None]), layout
    if isinstance(image, (list, tuple)):
        if not image:
            raise ValueError("image: an empty list is not a batch; pass at least one image")
        arrays = [_as_image_array(f"image[{i}]", a) for i, a in enumerate(image)]
        first = arrays[0]
        for i, a in enumerate(arrays):
            if a.ndim not in (2, 3) or a.shape != first.shape or a.dtype != first.dtype:
                raise ValueError(
                    f"image[{i}]: a list batch needs images of one shape and dtype; "
                    f"got {a.shape} {a.dtype}, expected {first.shape} {first.dtype}"
                )
        stacked = np.stack(arrays)
        return (stacked[..., None] if first.ndim == 2 else stacked), Layout("list", single_ndim=first.ndim)
    arr = _as_image_array("image", image)
    if arr.ndim == 4:
        return arr, Layout("batch")
    if arr.ndim == 3:
        return arr[None], Layout("single", single_ndim=3)
    if arr.ndim == 2:
        return arr[None, :, :, None], Layout("single", single_ndim=2)
    raise ValueError(f"image must have 2 (H,W), 3 (H,W,C) or 4 (N,H,W,C) dimensions, got shape {arr.shape}")


def _parse_mask(mask: Any, n: int, hw: tuple[int, int], batched: bool, layout: Layout) -> NDArray:
    if not isinstance(mask, np.ndarray):
        if isinstance(mask, (list, tuple)) and batched:
            mask = np.stack([np.asarray(m) for m in mask])
        else:
            raise TypeError(f"mask must be a numpy array, got {type(mask).__name__}")
    if mask.dtype.kind not in "biuf":
        raise TypeError(f"mask must have a boolean, integer or float dtype, got {mask.dtype}")
    expect = "(N,H,W) or (N,H,W,K)" if batched else "(H,W) or (H,W,K)"
    base = 1 if batched else 0
    if mask.ndim not in (base + 2, base + 3):
        raise ValueError(f"mask must have shape {expect}, got {mask.shape}")
    if batched and mask.shape[0] != n:
        raise ValueError(f"mask has {mask.shape[0]} samples, image has {n}")
    if mask.shape[base:base + 2] != hw:
        raise ValueError(f"mask height/width {mask.shape[base:base + 2]} must match the image's {hw}")
    layout.mask_squeeze = mask.ndim == base + 2
    layout.has_mask = True
    if not batched:
        mask = mask[None]
    return mask[..., None] if layout.mask_squeeze else mask


def _per_sample(name: str, value: Any, n: int, batched: bool) -> list:
    if not batched:
        return [value]
    if isinstance(value, np.ndarray) and value.ndim >= 2 and len(value) == n:  # e.g. (N, M, 2) keypoints
        return list(value)
    if not isinstance(value, (list, tuple)) or len(value) != n:
        got = f"a {type(value).__name__} of length {len(value)}" if hasattr(value, "__len__") else repr(value)
        raise ValueError(f"{name}: for a batch of {n} images pass a list with one entry per image (or an array "
                         f"of {n} rows), got {got}")
    return list(value)


def _labels_for(name: str, labels: Any, i: int, count: int, what: str, batched: bool) -> list:
    """Image ``i``'s labels as a list, checked to hold one label per item."""
    lab = list(labels)
    if len(lab) != count:
        raise ValueError(f"{name}{f'[{i}]' if batched else ''} has {len(lab)} labels for {count} {what}")
    return lab


def _parse_boxes(batch: Batch, layout: Layout, bboxes: Any, fmt: str, labels: Any, batched: bool) -> None:
    if fmt not in BBOX_FORMATS:
        raise ValueError(f"bbox_format must be one of {', '.join(BBOX_FORMATS)}; got {fmt!r}")
    n, h, w = batch.n, batch.image.shape[1], batch.image.shape[2]
    per_boxes = _per_sample("bboxes", bboxes, n, batched)
    per_labels = _per_sample("bbox_labels", labels, n, batched) if labels is not None else None
    arrays, counts, label_lists = [], [], []
    for i, raw in enumerate(per_boxes):
        arr = np.asarray(raw, dtype=np.float64) if len(raw) else np.zeros((0, 4))
        if arr.ndim != 2 or arr.shape[1] != 4:
            where = f"bboxes[{i}]" if batched else "bboxes"
            raise ValueError(f"{where} must have shape (M, 4) in {fmt!r} format, got {arr.shape}")
        if per_labels is not None:
            label_lists.append(_labels_for("bbox_labels", per_labels[i], i, len(arr), "boxes", batched))
        arrays.append(arr)
        counts.append(len(arr))
    # checked and converted for the batch at once (per image, these small NumPy calls cost ~40 us)
    raw_all = np.concatenate(arrays) if arrays else np.zeros((0, 4))
    sample = np.repeat(np.arange(n, dtype=np.intp), counts)
    first = np.cumsum([0, *counts[:-1]]) if counts else np.zeros(0, np.intp)

    def where(k: int) -> tuple[str, int]:  # (the name of box k's image, its index there)
        i = int(sample[k])
        return (f"bboxes[{i}]" if batched else "bboxes"), k - int(first[i])

    finite = np.isfinite(raw_all).all(axis=1)
    if not finite.all():
        raise ValueError(f"{where(int(np.argmin(finite)))[0]} contains NaN or infinite values")
    voc = convert_boxes_from(raw_all, fmt, h, w)
    bad = (voc[:, 2] <= voc[:, 0]) | (voc[:, 3] <= voc[:, 1])
    if bad.any():
        k = int(np.argmax(bad))
        name, j = where(k)
        raise ValueError(f"{name}[{j}] has no area (need x_max > x_min and y_max > y_min): {raw_all[k].tolist()}")
    tol = 1e-3
    out = (voc[:, 0] < -tol) | (voc[:, 1] < -tol) | (voc[:, 2] > w + tol) | (voc[:, 3] > h + tol)
    if out.any():
        k = int(np.argmax(out))
        name, j = where(k)
        raise ValueError(f"{name}[{j}] = {raw_all[k].tolist()} lies outside the {w}x{h} image; boxes must be "
                         "inside the canvas")
    batch.boxes = voc
    batch.box_sample = sample
    batch.box_id = np.arange(len(batch.boxes), dtype=np.intp)
    batch.box_visibility = np.ones(len(batch.boxes))
    layout.bbox_format, layout.box_counts = fmt, counts
    layout.bbox_labels = label_lists if per_labels is not None else None


def _parse_keypoints(batch: Batch, layout: Layout, keypoints: Any, labels: Any, batched: bool) -> None:
    n = batch.n
    per_points = _per_sample("keypoints", keypoints, n, batched)
    per_labels = _per_sample("keypoint_labels", labels, n, batched) if labels is not None else None
    pts, counts, label_lists = [], [], []
    if per_labels is None and n > 1:  # the same number of points in every image: one conversion
        try:
            stacked = np.asarray(per_points, dtype=np.float64)
        except (ValueError, TypeError):  # ragged (or not numbers: the loop below names the image)
            stacked = None
        if stacked is not None and stacked.ndim == 3 and stacked.shape[2] == 2:
            pts, counts, per_points = [stacked.reshape(-1, 2)], [stacked.shape[1]] * n, []
    for i, raw in enumerate(per_points):
        arr = np.asarray(raw, dtype=np.float64) if len(raw) else np.zeros((0, 2))
        if arr.ndim != 2 or arr.shape[1] != 2:
            where = f"keypoints[{i}]" if batched else "keypoints"
            raise ValueError(f"{where} must have shape (M, 2) holding (x, y), got {arr.shape}")
        if per_labels is not None:
            label_lists.append(_labels_for("keypoint_labels", per_labels[i], i, len(arr), "keypoints", batched))
        pts.append(arr)
        counts.append(len(arr))
    batch.points = np.concatenate(pts) if pts else np.zeros((0, 2))
    batch.point_sample = np.repeat(np.arange(n, dtype=np.intp), counts) if pts else np.zeros(0, np.intp)
    finite = np.isfinite(batch.points).all(axis=1)  # one check for the batch; the message names the sample
    if not finite.all():
        i = int(batch.point_sample[np.argmin(finite)])
        raise ValueError(f"{f'keypoints[{i}]' if batched else 'keypoints'} contains NaN or infinite values")
    h, w = batch.image.shape[1:3]
    p = batch.points
    batch.point_inside = (p[:, 0] >= 0) & (p[:, 0] < w) & (p[:, 1] >= 0) & (p[:, 1] < h)
    layout.keypoint_counts = counts
    layout.keypoint_labels = label_lists if per_labels is not None else None


def parse_inputs(
    image: Any,
    *,
    mask: Any = None,
    bboxes: Any = None,
    bbox_format: str = "pascal_voc",
    bbox_labels: Any = None,
    keypoints: Any = None,
    keypoint_labels: Any = None,
    label: Any = None,
) -> tuple[Batch, Layout]:
    """Validate the call's data and pack it into a :class:`Batch`.

    Arrays are used as they are when C-contiguous; any other layout (a channels-last view of a
    ``(C, H, W)`` tensor, a Fortran-ordered or strided array) is copied into one first: kernels
    hand images to OpenCV and write through reshaped views, which need rows of whole pixels.
    """
    images, layout = _parse_image(image)
    if images.shape[1] == 0 or images.shape[2] == 0 or images.shape[3] == 0:
        raise ValueError(f"image has an empty dimension: {images.shape}")
    _check_float_range("image", images)
    batched = layout.kind in ("batch", "list")
    batch = Batch(image=images)
    if not images.flags.c_contiguous:
        batch.image, batch.image_owned = np.ascontiguousarray(images), True
    n, hw = images.shape[0], images.shape[1:3]
    if mask is not None:
        batch.mask = _parse_mask(mask, n, hw, batched, layout)
        if not batch.mask.flags.c_contiguous:
            batch.mask, batch.mask_owned = np.ascontiguousarray(batch.mask), True
    if bbox_labels is not None and bboxes is None:
        raise ValueError("bbox_labels were given without bboxes")
    if keypoint_labels is not None and keypoints is None:
        raise ValueError("keypoint_labels were given without keypoints")
    if bboxes is not None:
        _parse_boxes(batch, layout, bboxes, bbox_format, bbox_labels, batched)
    if keypoints is not None:
        _parse_keypoints(batch, layout, keypoints, keypoint_labels, batched)
    if label is not None:
        labels = np.asarray(label, dtype=object).reshape(-1) if batched else np.array([label], dtype=object)
        if labels.shape[0] != n:
            raise ValueError(f"label: need one class label per image ({n}), got {labels.shape[0]}")
        batch.labels = labels
    return batch, layout


def _split(values: NDArray, sample: NDArray, n: int) -> list[NDArray]:
    """``values`` grouped by their ``sample`` (0..n-1), in order: one array per sample (views of
    one array; slices, as ``np.split`` would give them without its ~4 us a piece)."""
    if sample.size > 1 and not (sample[1:] >= sample[:-1]).all():  # (usually already in sample order)
        order = np.argsort(sample, kind="stable")
        values = values[order]
    else:
        values = values.copy()  # (what values[order] gave: outputs own their memory)
    ends = np.bincount(sample, minlength=n).cumsum().tolist()
    return [values[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def swap_mirrored_keypoints(batch: Batch, layout: Layout, mirrored: NDArray, pairs: tuple[tuple, ...]) -> None:
    """In each sample whose geometry is a mirror image, exchange the positions (and visibility) of
    the keypoints labelled ``a`` and ``b`` of every pair: row ``i`` keeps its label and gets the
    point that now plays that part. The k-th ``a`` pairs with the k-th ``b`` (one per instance)."""
    if layout.keypoint_counts is None or not mirrored.any():
        return
    if layout.keypoint_labels is None:
        raise ValueError("keypoint_flip_pairs pairs keypoints by their labels: pass keypoint_labels= with keypoints=")
    starts = np.concatenate([[0], np.cumsum(layout.keypoint_counts)]).astype(np.intp)
    batched = layout.kind in ("batch", "list")
    rows_a: list[int] = []
    rows_b: list[int] = []
    for i in np.flatnonzero(mirrored).tolist():
        where: dict[Any, list[int]] = {}
        for k, label in enumerate(layout.keypoint_labels[i]):
            where.setdefault(label, []).append(int(starts[i]) + k)
        for a, b in pairs:
            ka, kb = where.get(a, []), where.get(b, [])
            if len(ka) != len(kb):
                name = f"keypoint_labels[{i}]" if batched else "keypoint_labels"
                raise ValueError(f"{name} has {len(ka)} keypoints labelled {a!r} and {len(kb)} labelled {b!r}; "
                                 "keypoint_flip_pairs swaps them one to one (the k-th with the k-th)")
            rows_a += ka
            rows_b += kb
    if rows_a:
        points, inside = batch.points.copy(), batch.point_inside.copy()
        points[rows_a], points[rows_b] = batch.points[rows_b], batch.points[rows_a]
        inside[rows_a], inside[rows_b] = batch.point_inside[rows_b], batch.point_inside[rows_a]
        batch.points, batch.point_inside = points, inside


def build_outputs(
    batch: Batch,
    layout: Layout,
    *,
    min_visibility: float,
    min_area: float,
    keypoints_outside: str,
) -> dict[str, Any]:
    """Shape the final batch like the inputs and filter boxes/keypoints."""
    out: dict[str, Any] = {}
    n, h, w = batch.n, batch.image.shape[1], batch.image.shape[2]
    img = batch.image
    if layout.kind == "batch":
        out["image"] = img
    elif layout.kind == "list":
        out["image"] = [x[..., 0] if layout.single_ndim == 2 else x for x in img]
    else:
        single = img[0, ..., 0] if layout.single_ndim == 2 else img[0]
        if layout.kind == "pil":
            from PIL import Image

            out["image"] = Image.fromarray(np.ascontiguousarray(single), mode=layout.pil_mode)
        else:
            out["image"] = single
    if layout.has_mask:
        m = batch.mask[..., 0] if layout.mask_squeeze else batch.mask
        out["mask"] = m if layout.kind in ("batch", "list") else m[0]
    batched = layout.kind in ("batch", "list")
    if layout.bbox_format is not None:
        area = (batch.boxes[:, 2] - batch.boxes[:, 0]) * (batch.boxes[:, 3] - batch.boxes[:, 1])
        keep = (batch.box_visibility >= max(min_visibility, 1e-12)) & (area > 0) & (area >= min_area)
        boxes = convert_boxes_to(batch.boxes[keep], layout.bbox_format, h, w)
        per_boxes = _split(boxes, batch.box_sample[keep], n)
        out["bboxes"] = per_boxes if batched else per_boxes[0]
        if layout.bbox_labels is not None:
            starts = np.concatenate([[0], np.cumsum(layout.box_counts)])
            ids = _split(batch.box_id[keep], batch.box_sample[keep], n)
            labels = [[layout.bbox_labels[i][j - starts[i]] for j in ids[i]] for i in range(n)]
            out["bbox_labels"] = labels if batched else labels[0]
    if layout.keypoint_counts is not None:
        inside = batch.point_inside
        keep = inside if keypoints_outside == "drop" else np.ones(len(inside), bool)
        per_pts = _split(batch.points[keep], batch.point_sample[keep], n)
        per_vis = _split(inside[keep], batch.point_sample[keep], n)
        out["keypoints"] = per_pts if batched else per_pts[0]
        out["keypoints_visible"] = per_vis if batched else per_vis[0]
        if layout.keypoint_labels is not None:
            ids = _split(np.flatnonzero(keep) , batch.point_sample[keep], n)
            starts = np.concatenate([[0], np.cumsum(layout.keypoint_counts)])
            labels = [[layout.keypoint_labels[i][j - starts[i]] for j in ids[i]] for i in range(n)]
            out["keypoint_labels"] = labels if batched else labels[0]
    return out
