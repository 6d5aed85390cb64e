"""Property-based tests (hypothesis): shapes, dtypes, parameter ranges, geometry invariants."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import augkit as ak

I = ak.image
# derandomize: CI runs the same examples every time (a failure is reproducible, never flaky)
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def images(draw):
    n = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    c = draw(st.sampled_from([1, 3, 4]))
    dtype = draw(st.sampled_from([np.uint8, np.float32]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.random((n, h, w, c))
    return (x * 255).astype(np.uint8) if dtype == np.uint8 else x.astype(np.float32)


def ranges(lo, hi):
    return st.tuples(st.floats(lo, hi), st.floats(lo, hi)).map(sorted).map(tuple)


transforms = st.one_of(
    ranges(-180, 180).map(lambda r: I.Rotate(degrees_range=r)),
    ranges(0.2, 3).map(lambda r: I.Scale(scale_range=r)),
    st.tuples(ranges(-45, 45), ranges(-0.5, 0.5), ranges(-40, 40)).map(
        lambda a: I.Affine(degrees_range=a[0], translate_range=a[1], shear_degrees_range=a[2])),
    ranges(0, 0.45).map(lambda r: I.Perspective(distortion_range=r)),
    st.tuples(st.integers(1, 8), st.floats(0, 0.49)).map(lambda a: I.GridWarp(num_steps=a[0], distort_limit=a[1])),
    st.tuples(st.floats(0, 50), st.floats(0.5, 10)).map(lambda a: I.ElasticWarp(alpha=a[0], sigma=a[1])),
    ranges(0, 3).map(lambda r: I.Contrast(factor_range=r)),
    ranges(-1, 1).map(lambda r: I.Brightness(delta_range=r)),
    ranges(0.1, 5).map(lambda r: I.Gamma(gamma_range=r)),
    st.sampled_from([I.HorizontalFlip(), I.VerticalFlip()]),
)
modes = st.sampled_from(["constant", "edge", "reflect"])


@SETTINGS
@given(x=images(), t=transforms, seed=st.integers(0, 1000))
def test_shape_dtype_and_range_kept(x, t, seed):
    out = t(image=x, rng=seed)["image"]
    assert out.shape == x.shape and out.dtype == x.dtype
    if x.dtype == np.float32:
        assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


@SETTINGS
@given(x=images(), t=transforms, seed=st.integers(0, 1000), data=st.data())
def test_boxes_stay_inside_canvas_and_keep_labels(x, t, seed, data):
    n, h, w = x.shape[:3]
    boxes, labels = [], []
    for i in range(n):
        x0, y0 = data.draw(st.floats(0, w * 0.9)), data.draw(st.floats(0, h * 0.9))
        x1, y1 = data.draw(st.floats(x0 + w * 0.05, w)), data.draw(st.floats(y0 + h * 0.05, h))
        boxes.append([[x0, y0, x1, y1]])
        labels.append([f"obj{i}"])
    out = t(image=x, bboxes=boxes, bbox_labels=labels, rng=seed)
    for b, lab, want in zip(out["bboxes"], out["bbox_labels"], labels, strict=True):
        assert len(b) == len(lab) <= 1 and (not lab or lab == want)
        if len(b):
            assert (b[:, 0] >= 0).all() and (b[:, 2] <= w).all() and (b[:, 1] >= 0).all() and (b[:, 3] <= h).all()
            assert (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()


@SETTINGS
@given(angle=st.floats(-180, 180), scale=st.floats(0.3, 3), mode=modes,
       pts=st.lists(st.tuples(st.floats(0, 31.9), st.floats(0, 19.9)), min_size=1, max_size=6))
def test_geometry_then_inverse_returns_keypoints(angle, scale, mode, pts):
    img = np.zeros((20, 32), np.uint8)
    pipe = ak.Compose([I.Rotate(degrees_range=(angle, angle), border_mode=mode),
                       I.Scale(scale_range=(scale, scale)), I.Scale(scale_range=(1 / scale, 1 / scale)),
                       I.Rotate(degrees_range=(-angle, -angle))], keypoints_outside="flag")
    out = pipe(image=img, keypoints=pts)
    assert np.allclose(out["keypoints"], pts, atol=1e-6)


@SETTINGS
@given(x=images(), seed=st.integers(0, 1000))
def test_batch_equals_per_sample_for_a_full_pipeline(x, seed):
    pipe = ak.Compose([I.Rotate(), ak.OneOf([I.GridWarp(), I.ElasticWarp(alpha=10, sigma=3)]), I.Gamma(),
                       ak.SomeOf([I.HorizontalFlip(), I.Contrast(), I.Perspective()], n=(0, 3))])
    out = pipe(image=x, rng=seed, return_params=True)
    from augkit.core.transform import take_params

    for i in range(len(x)):
        one = pipe.replay(take_params(out["params"], np.array([i])), image=x[i])["image"]
        assert np.array_equal(one, out["image"][i])


@SETTINGS
@given(limit=st.floats(0, 0.49), steps=st.integers(1, 6), seed=st.integers(0, 100),
       pts=st.lists(st.tuples(st.floats(0.5, 39.5), st.floats(0.5, 29.5)), min_size=1, max_size=5))
def test_grid_warp_points_invert_the_pixel_map(limit, steps, seed, pts):
    """The forward-mapped keypoint reads back (through the inverse map) its source point."""
    t = I.GridWarp(num_steps=steps, distort_limit=limit)
    out = t(image=np.zeros((30, 40), np.uint8), keypoints=pts, rng=seed, return_params=True)
    from augkit.core.transform import Meta

    meta = Meta(n=1, height=30, width=40, channels=1, dtype=np.dtype(np.uint8))
    field = t.field(out["params"]["children"][0], meta)
    mapped = np.asarray(out["keypoints"])
    sx, sy = field.source(mapped[:, 0], mapped[:, 1], np.zeros(len(mapped), np.intp))
    kept = np.asarray(pts)[:len(mapped)]
    assert np.allclose(np.column_stack([sx, sy]), kept, atol=1e-3)
