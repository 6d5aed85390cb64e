"""Per-pixel source maps of fused geometry: written into reused buffers, matrices applied in float32."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import augkit as ak
from augkit.core.plan import GeometryPlan, Op
from augkit.core.transform import Meta, take_params
from augkit.kernels import scratch
from augkit.kernels.geometry import invert_matrices

I = ak.image
H, W = 37, 45

FIELD_WARPS = {
    "GridWarp": lambda: I.GridWarp(num_steps=4, distort_limit=0.4),
    "ElasticWarp": lambda: I.ElasticWarp(alpha=20.0, sigma=4.0),
    "OpticalDistortion": lambda: I.OpticalDistortion(distortion_range=(-0.4, 0.4)),
    "PiecewiseAffine": lambda: I.PiecewiseAffine(scale_range=(0.03, 0.05), num_rows=3, num_cols=4),
}


def _meta(n: int) -> Meta:
    return Meta(n=n, height=H, width=W, channels=3, dtype=np.dtype(np.uint8))


def _ops(transforms, n, seed=0):
    rng = np.random.default_rng(seed)
    meta = _meta(n)
    return [Op(t, t.sample(rng, meta), np.arange(n)) for t in transforms]


@pytest.mark.parametrize("name", sorted(FIELD_WARPS))
def test_field_maps_written_into_out_equal_fresh_ones(name):
    t = FIELD_WARPS[name]()
    meta = _meta(4)
    field = t.field(t.sample(np.random.default_rng(1), meta), meta)
    fresh = field.source_on_grid(H, W)
    out = (np.full((4, H, W), np.nan, np.float32), np.full((4, H, W), np.nan, np.float32))
    got = field.source_on_grid(H, W, out=out)
    for a, b, o in zip(fresh, got, out, strict=True):
        assert a.dtype == np.float32 and np.array_equal(a, b)
        assert np.shares_memory(b, o)
    # outputs that are strided views (columns of wider buffers) get the same values
    wide = (np.full((4, H, W + 3), np.nan, np.float32), np.full((4, H, W + 3), np.nan, np.float32))
    got = field.source_on_grid(H, W, out=(wide[0][..., :W], wide[1][..., :W]))
    for a, b, o in zip(fresh, got, wide, strict=True):
        assert np.array_equal(a, b) and np.array_equal(a, o[..., :W]) and np.isnan(o[..., W:]).all()
    # and the values are the field's own (the continuous-coordinate source, in index coordinates)
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    for i in range(4):
        sx, sy = field.source(xx.ravel(), yy.ravel(), np.full(H * W, i))
        np.testing.assert_allclose(fresh[0][i].ravel(), sx - 0.5, atol=2e-3)
        np.testing.assert_allclose(fresh[1][i].ravel(), sy - 0.5, atol=2e-3)


@pytest.mark.parametrize("name", sorted(FIELD_WARPS))
@pytest.mark.parametrize("matrix", ["Rotate", "Perspective"])
def test_matrix_then_field_maps_match_float64_composition(name, matrix):
    """Rotate/Perspective followed by a field warp: the float32 maps equal the field's float64
    ``source`` at the pixel centres pushed through the matrix inverse, within 1e-3 px."""
    first = I.Rotate(degrees_range=(-40, 40)) if matrix == "Rotate" else I.Perspective(distortion_range=(0.05, 0.1))
    n = 5
    ops = _ops([first, FIELD_WARPS[name]()], n, seed=3)
    plan = GeometryPlan(ops, _meta(n))
    loc = np.arange(n)
    assert plan.grid_start().all() and (plan.nf == 1).all()
    x, y = plan.source_coords(loc, (H, W), True)
    # reference: field in float64 at the continuous pixel centres, then the inverse matrix
    gx, gy = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    field = plan._field(plan.fields[0][0][0], loc)
    fx, fy = field.source(np.broadcast_to(gx, (n, H, W)), np.broadcast_to(gy, (n, H, W)),
                          np.arange(n)[:, None, None])
    inv = invert_matrices(plan.runs[0][loc])[:, None, None]
    wv = inv[..., 2, 0] * fx + inv[..., 2, 1] * fy + inv[..., 2, 2]
    rx = (inv[..., 0, 0] * fx + inv[..., 0, 1] * fy + inv[..., 0, 2]) / wv - 0.5
    ry = (inv[..., 1, 0] * fx + inv[..., 1, 1] * fy + inv[..., 1, 2]) / wv - 0.5
    assert x.dtype == y.dtype == np.float32
    assert np.abs(x - rx).max() < 1e-3 and np.abs(y - ry).max() < 1e-3


@pytest.mark.parametrize("name", sorted(FIELD_WARPS))
def test_field_then_matrix_maps_match_float64_composition(name, monkeypatch):
    """A field warp followed by Rotate (the general per-pixel path, in blocks of rows: a few
    rows a block here): the maps equal the rotation's inverse at the pixel centres, then the
    field's float64 ``source``, bit for bit whatever the block size, into ``out`` or not."""
    import augkit.core.plan as plan_module

    n = 3
    ops = _ops([FIELD_WARPS[name](), I.Rotate(degrees_range=(-40, 40))], n, seed=4)
    plan = GeometryPlan(ops, _meta(n))
    loc = np.arange(n)
    assert (plan.nf == 1).all() and not plan.grid_start().any()
    whole = plan.source_coords(loc, (H, W), False)
    monkeypatch.setattr(plan_module, "FIELD_CHUNK_POINTS", 2 * n * W)  # blocks of 2 rows (and a last one)
    out = (np.full((n, H, W), np.nan, np.float32), np.full((n, H, W), np.nan, np.float32))
    blocks = plan.source_coords(loc, (H, W), False, out=out)
    assert blocks[0] is out[0] and np.array_equal(blocks[0], whole[0]) and np.array_equal(blocks[1], whole[1])
    gx, gy = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    inv = invert_matrices(plan.runs[1][loc])[:, None, None]
    wv = inv[..., 2, 0] * gx + inv[..., 2, 1] * gy + inv[..., 2, 2]
    px = (inv[..., 0, 0] * gx + inv[..., 0, 1] * gy + inv[..., 0, 2]) / wv
    py = (inv[..., 1, 0] * gx + inv[..., 1, 1] * gy + inv[..., 1, 2]) / wv
    fx, fy = plan._field(plan.fields[0][0][0], loc).source(px, py, np.arange(n)[:, None, None])
    assert np.abs(whole[0] - (fx - 0.5)).max() < 1e-3 and np.abs(whole[1] - (fy - 0.5)).max() < 1e-3


def test_mixed_chunk_each_sample_as_alone():
    """Samples with and without a matrix before the field, in one chunk: each sample's maps are
    bitwise the maps it gets alone (the matrix is applied only where there is one)."""
    n = 4
    grid = I.GridWarp(num_steps=3, distort_limit=0.3)
    rot = I.Rotate(degrees_range=(-30, 30))
    rng = np.random.default_rng(7)
    meta = _meta(n)
    rot_params = rot.sample(rng, meta)
    grid_params = grid.sample(rng, meta)
    ops = [Op(rot, rot_params, np.array([1, 3])), Op(grid, grid_params, np.arange(n))]
    plan = GeometryPlan(ops, meta)
    x, y = (a.copy() for a in plan.source_coords(np.arange(n), (H, W), True))
    for i in range(n):
        one = {k: v[i:i + 1] for k, v in grid_params.items()}
        solo_ops = [Op(grid, one, np.array([0]))]
        if i in (1, 3):
            solo_ops.insert(0, Op(rot, {k: v[i:i + 1] for k, v in rot_params.items()}, np.array([0])))
        solo = GeometryPlan(solo_ops, _meta(1))
        sx, sy = solo.source_coords(np.array([0]), (H, W), True)
        assert np.array_equal(sx[0], x[i]) and np.array_equal(sy[0], y[i]), i


def test_pipeline_results_do_not_depend_on_earlier_calls():
    """Reused work arrays carry nothing from one call to the next."""
    pipe = ak.Compose([I.Rotate(degrees_range=(-30, 30)), I.GridWarp(num_steps=5, distort_limit=0.3)])
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (9, 64, 80, 3), dtype=np.uint8)
    small = rng.integers(0, 256, (2, 64, 80, 3), dtype=np.uint8)
    first = pipe(image=small, rng=5)["image"]
    pipe(image=big, rng=6)
    again = pipe(image=small, rng=5)["image"]
    assert np.array_equal(first, again)


def test_work_arrays_are_reused_per_thread_and_bounded():
    a = scratch.work_array("test.reuse", (3, 4), np.float32)
    b = scratch.work_array("test.reuse", (2, 5), np.int32)
    assert b.shape == (2, 5) and b.dtype == np.int32 and np.shares_memory(a, b)
    bigger = scratch.work_array("test.reuse", (100, 100), np.float64)  # grows
    assert bigger.shape == (100, 100)
    other = []
    thread = threading.Thread(target=lambda: other.append(scratch.work_array("test.reuse", (3, 4), np.float32)))
    thread.start()
    thread.join()
    assert not np.shares_memory(other[0], scratch.work_array("test.reuse", (3, 4), np.float32))
    huge = (scratch.MAX_BYTES // 8 + 1,)
    h1, h2 = scratch.work_array("test.huge", huge, np.float64), scratch.work_array("test.huge", huge, np.float64)
    assert not np.shares_memory(h1, h2)  # too large to keep: fresh each time


def test_recycled_intermediates_never_touch_returned_images(monkeypatch):
    """Stages drop their intermediate batches for reuse; what a call returns stays as returned,
    and results equal those of runs that recycle nothing."""
    stages = [I.Rotate(degrees_range=(-30, 30)), I.Contrast(factor_range=(0.5, 1.5)),
              I.GridWarp(num_steps=4, distort_limit=0.3), I.Brightness(delta_range=(-0.2, 0.2)),
              I.Resize(height=120, width=132), I.Gamma(gamma_range=(0.8, 1.25)), I.Perspective(p=1.0)]
    rng = np.random.default_rng(2)
    batches = [rng.integers(0, 256, (n, 160, 176, 3), dtype=np.uint8) for n in (3, 3, 5, 3)]
    assert all(t.p == 1.0 for t in stages) and batches[0].nbytes >= scratch.RECYCLE_MIN_BYTES
    # ending in a geometric stage, in a pixel stage, a lone warp, a resize then a warp
    for chosen in (stages, stages[:-1], stages[:1], [stages[4], stages[6]]):
        pipe = ak.Compose(chosen)
        kept, copies = [], []
        for i, x in enumerate(batches):
            out = pipe(image=x, rng=i)["image"]
            kept.append(out)
            copies.append(out.copy())
        assert all(np.array_equal(a, b) for a, b in zip(kept, copies, strict=True))  # later calls wrote nothing
        assert len({id(a) for a in kept}) == len(kept)
        with monkeypatch.context() as m:
            m.setattr(scratch, "RECYCLE_MAX_BYTES", 0)  # nothing kept: plain allocations
            for i, x in enumerate(batches):
                assert np.array_equal(pipe(image=x, rng=i)["image"], copies[i])


def test_subset_steps_write_only_their_samples_and_keep_results_apart():
    """Transforms with p < 1 gather their samples into reused work arrays and copy the results
    into the batch: every sample equals its own one-image call, the input is untouched, and
    what a call returned is not changed by later calls (which reuse the same work arrays)."""
    pipe = ak.Compose([I.Contrast(factor_range=(0.5, 1.5), p=0.5), I.HorizontalFlip(p=0.5),
                       I.GaussianBlur(sigma_range=(0.5, 1.5), p=0.5), I.Rotate(degrees_range=(-20, 20), p=0.5),
                       I.VerticalFlip(p=0.5), I.GridWarp(p=0.5)])
    rng = np.random.default_rng(5)
    kept, copies = [], []
    for i, n in enumerate((9, 9, 6)):
        x = rng.integers(0, 256, (n, 70, 66, 3), dtype=np.uint8)
        mask = rng.integers(0, 4, (n, 70, 66), dtype=np.uint8)
        before, mask_before = x.copy(), mask.copy()
        out = pipe(image=x, mask=mask, rng=i, return_params=True)
        assert np.array_equal(x, before) and np.array_equal(mask, mask_before)
        params = out["params"]
        partial = [c["active"] for c in params["children"]]
        assert all(0 < a.sum() < n for a in partial[:3]), "the seeds must give partial subsets"
        for j in range(n):  # each sample as its own call with its own params gives the same pixels
            one = pipe.replay(take_params(params, np.array([j])), image=x[j:j + 1], mask=mask[j:j + 1])
            assert np.array_equal(one["image"][0], out["image"][j])
            assert np.array_equal(one["mask"][0], out["mask"][j])
        kept.append((out["image"], out["mask"]))
        copies.append((out["image"].copy(), out["mask"].copy()))
    for (img, m), (img0, m0) in zip(kept, copies, strict=True):  # later calls wrote nothing
        assert np.array_equal(img, img0) and np.array_equal(m, m0)


def test_boxes_and_keypoints_share_the_field_built_for_points(monkeypatch):
    """Boxes and keypoints of the same samples through an elastic warp: one field is built for
    both (besides the pixels'), and each target maps exactly as when it comes alone."""
    t = I.ElasticWarp(alpha=20.0, sigma=4.0)
    x = np.random.default_rng(2).integers(0, 256, (3, H, W, 3), dtype=np.uint8)
    boxes = [np.array([[3.0, 4.0, 20.0, 30.0]])] * 3
    points = [np.array([[5.0, 6.0], [30.0, 20.0]])] * 3
    alone_boxes = t(image=x, bboxes=boxes, rng=1)["bboxes"]
    alone_points = t(image=x, keypoints=points, rng=1)["keypoints"]
    calls = []
    field = type(t).field
    monkeypatch.setattr(type(t), "field", lambda self, params, meta: calls.append(meta.n) or field(self, params, meta))
    t(image=x, rng=1)
    pixels = len(calls)  # (the pixels' chunks build fields of their own)
    calls.clear()
    both = t(image=x, bboxes=boxes, keypoints=points, rng=1)
    assert len(calls) == pixels + 1 and calls[-1] == 3  # then one field for boxes and keypoints together
    for a, b in zip(both["bboxes"], alone_boxes, strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(both["keypoints"], alone_points, strict=True):
        assert np.array_equal(a, b)
