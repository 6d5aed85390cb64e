"""Every fast path agrees with the NumPy reference path (within 1 grey level for uint8)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import augkit as ak
from augkit.kernels.backend import get_backend, set_backend, use_backend
from augkit.kernels.color import apply_lut_image
from augkit.kernels.geometry import homography_source_coords, remap_image, warp_homography_image
from augkit.kernels.permute import flip_image, permute_image, quarter_turn_flags
from augkit.testing.conformance import make_batch

from .test_conformance import EXAMPLE_ARGS, SQUARE

cv2 = pytest.importorskip("cv2")
I = ak.image


def _run(t, x, backend, **targets):
    with use_backend(backend):
        return t(image=x, rng=11, **targets)


def _sharp_batch(n=4, h=40, w=36, c=3, dtype=np.uint8):
    """Hard edges and noise: the worst case for interpolation differences."""
    rng = np.random.default_rng(3)
    x = (rng.random((n, h, w, c)) > 0.5).astype(np.float32)
    x[:, ::7] = rng.random((n, 1, w, c)) if h > 7 else x[:, ::7]
    if dtype == np.uint8:
        return (x * 255).astype(np.uint8)
    return x.astype(np.float32)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("name", sorted(EXAMPLE_ARGS))
def test_transform_paths_agree(name, dtype):
    t = EXAMPLE_ARGS[name]()
    (h1, w1), (h2, w2) = ((31, 31), (36, 36)) if name in SQUARE else ((33, 29), (40, 36))
    for x in (make_batch(n=5, height=h1, width=w1, dtype=dtype), _sharp_batch(h=h2, w=w2, dtype=dtype)):
        n, h, w = x.shape[:3]
        mask = (np.random.default_rng(0).random((n, h, w)) > 0.5).astype(np.uint8)
        boxes = [np.array([[w * 0.2, h * 0.3, w * 0.7, h * 0.8]])] * n
        ref = _run(t, x, "numpy", mask=mask, bboxes=boxes)
        fast = _run(t, x, "opencv", mask=mask, bboxes=boxes)
        diff = np.abs(ref["image"].astype(np.float64) - fast["image"].astype(np.float64))
        assert diff.max() <= (1.0 if dtype == np.uint8 else 1.0 / 255), (name, diff.max())
        assert np.array_equal(ref["mask"], fast["mask"]), name
        for a, b in zip(ref["bboxes"], fast["bboxes"], strict=True):
            assert np.allclose(a, b, atol=1e-4), name


@pytest.mark.parametrize("border_mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_resampling_kernels_agree(border_mode, interpolation, channels):
    x = _sharp_batch(n=3, h=23, w=31, c=channels)
    rng = np.random.default_rng(1)
    inv = np.linalg.inv(ak.kernels.geometry.affine_matrices(center=(15.5, 11.5), degrees=rng.uniform(-90, 90, 3),
                                                           scale_x=[0.6, 1.0, 1.7], scale_y=[0.6, 1.3, 1.7]))
    inv[1, 2, :2] = [1e-3, -2e-3]  # one true perspective
    kw = {"interpolation": interpolation, "border_mode": border_mode, "fill": (9, 99, 199, 255)[:channels]}
    xs, ys = homography_source_coords(inv, (29, 27))
    xs = xs + rng.normal(0, 0.7, xs.shape).astype(np.float32)  # an irregular field too
    for fn, args in ((warp_homography_image, (inv, (29, 27))), (remap_image, (xs, ys))):
        with use_backend("numpy"):
            ref = fn(x, *args, **kw)
        with use_backend("opencv"):
            fast = fn(x, *args, **kw)
        d = np.abs(ref.astype(int) - fast.astype(int))
        assert d.max() <= (0 if interpolation == "nearest" else 1), (fn.__name__, d.max())


@pytest.mark.parametrize("border_mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.int32, np.bool_])
def test_axis_aligned_maps_take_the_separable_numpy_route(monkeypatch, border_mode, interpolation, dtype):
    # resizes, crops and scales (no rotation, shear or perspective): rows, then columns; the same
    # pixels as the 2-D NumPy resampler (forced here by making the maps look non-separable)
    from augkit.kernels import geometry

    if interpolation == "bilinear" and dtype in (np.int32, np.bool_):
        pytest.skip("bilinear resampling is for uint8 and float32 images")
    rng = np.random.default_rng(3)
    x = _sharp_batch(n=4, h=23, w=31, c=3)
    x = x.astype(dtype) / np.float32(255) if dtype == np.float32 else x.astype(dtype) if dtype != np.bool_ else x > 128
    if dtype == np.int32:
        x = x * 7919 + 1_000_000  # values float32 could not hold exactly
    inv = np.zeros((4, 3, 3))
    inv[:, 0, 0], inv[:, 1, 1] = [0.5, 1.7, -1.0, 2.0], [0.8, 1.0, 1.3, -0.6]  # shrink, enlarge, mirror
    inv[:, 0, 2], inv[:, 1, 2] = rng.uniform(-9, 30, 4), rng.uniform(-9, 20, 4)
    inv[:, 2, 2] = 1.0
    fill = {np.float32: (0.1, 0.5, 0.9), np.bool_: 1}.get(dtype, (9, 99, 199))
    kw = {"interpolation": interpolation, "border_mode": border_mode, "fill": fill}
    calls = []
    real = geometry._warp_axis_aligned_numpy
    monkeypatch.setattr(geometry, "_warp_axis_aligned_numpy", lambda *a: calls.append(1) or real(*a))
    with use_backend("numpy"):
        fast = warp_homography_image(x, inv, (19, 37), **kw)
        assert calls == [1]
        skewed = inv.copy()
        skewed[:, 0, 1] = 1e-300  # not axis-aligned for the route test; the same positions
        reference = warp_homography_image(x, skewed, (19, 37), **kw)
        assert calls == [1]
    assert fast.dtype == reference.dtype
    d = np.abs(fast.astype(np.float64) - reference.astype(np.float64))
    assert d.max() <= (0 if interpolation == "nearest" else 1e-4 if dtype == np.float32 else 1)
    assert dtype != np.uint8 or (d > 0).mean() < 0.001  # (float sums in another order: ulps apart)
    if dtype in (np.uint8, np.float32):  # and the accelerated route within one level, as every resampler
        with use_backend("opencv"):
            accelerated = warp_homography_image(x, inv, (19, 37), **kw)
        d = np.abs(accelerated.astype(np.float64) - fast.astype(np.float64))
        assert d.max() <= (0 if interpolation == "nearest" else 1 if dtype == np.uint8 else 1 / 255)


@pytest.mark.parametrize("dtype", [np.int16, np.float64])
def test_three_channel_dtypes_without_colour_conversion_resample_directly(dtype):
    """OpenCV converts only uint8/uint16/float32 to 4 channels: other dtypes warp as they are."""
    x = (np.random.default_rng(4).random((2, 66, 70, 3)) * 200).astype(dtype)
    inv = np.stack([np.eye(3), np.linalg.inv(ak.kernels.geometry.affine_matrices(center=(35, 33), degrees=[20.0]))[0]])
    xs, ys = homography_source_coords(inv, (66, 70))
    with use_backend("opencv"):
        mapped = remap_image(x, xs, ys)
    assert mapped.dtype == dtype
    for i in range(2):  # the same as one direct OpenCV call per image
        direct = cv2.remap(x[i], xs[i], ys[i], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        assert np.array_equal(mapped[i], direct)
    with use_backend("opencv"):
        warped = warp_homography_image(x, inv, (66, 70))
    assert warped.dtype == dtype and np.array_equal(warped[0], x[0])  # identity, then a rotation that ran


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.uint16])
@pytest.mark.parametrize("border_mode", ["constant", "edge", "reflect"])
def test_three_channels_resampled_as_four_are_identical(monkeypatch, dtype, border_mode):
    """Large 3-channel images go through OpenCV as 4-channel ones: same pixels as the direct call."""
    from augkit.kernels import geometry

    rng = np.random.default_rng(5)
    x = (rng.random((3, 61, 70, 3)) * 255).astype(dtype)
    x[:, ::9] = 0
    out_hw = (66, 64)  # not the source size
    assert out_hw[0] * out_hw[1] >= max(geometry.FOUR_CHANNEL_MIN_PIXELS, geometry.FOUR_CHANNEL_MIN_PIXELS_MATRIX)
    inv = np.linalg.inv(geometry.affine_matrices(center=(35, 30), degrees=[-70.0, 10.0, 33.0],
                                                 scale_x=[0.7, 1.0, 1.6], scale_y=[0.8, 1.2, 1.6]))
    inv[2, 2, :2] = [2e-3, -1e-3]  # a true perspective
    xs, ys = homography_source_coords(inv, out_hw)
    xs = xs + rng.normal(0, 0.8, xs.shape).astype(np.float32)
    kw = {"border_mode": border_mode, "fill": (7, 77, 177)}
    for fn, args in ((warp_homography_image, (inv, out_hw)), (remap_image, (xs, ys))):
        calls: list[int] = []

        def counted(cv, src, out, warp_one, _calls=calls, _route=geometry._warp_four_channels):
            _calls.append(len(src))
            return _route(cv, src, out, warp_one)

        monkeypatch.setattr(geometry, "_warp_four_channels", counted)
        with use_backend("opencv"):
            four = fn(x, *args, **kw)
            assert sum(calls) == len(x), fn.__name__  # the 4-channel route was taken for every image
            monkeypatch.setattr(geometry, "FOUR_CHANNEL_MIN_PIXELS", 10**9)
            monkeypatch.setattr(geometry, "FOUR_CHANNEL_MIN_PIXELS_MATRIX", 10**9)
            direct = fn(x, *args, **kw)
            monkeypatch.undo()
        with use_backend("numpy"):
            ref = fn(x, *args, **kw)
        assert np.array_equal(four, direct), fn.__name__
        # chunks of 2 images (the last one partial), and images that are a strided view
        with monkeypatch.context() as m, use_backend("opencv"):
            m.setattr(geometry, "FOUR_CHANNEL_CHUNK_BYTES", 2 * 66 * 70 * 4 * x.itemsize)
            assert np.array_equal(fn(x, *args, **kw), direct), fn.__name__
            wide = np.zeros((3, 61, 75, 3), dtype)
            wide[:, :, :70] = x
            assert np.array_equal(fn(wide[:, :, :70], *args, **kw), direct), fn.__name__
        d = np.abs(ref.astype(np.float64) - four.astype(np.float64))
        assert d.max() <= 1.0, (fn.__name__, d.max())  # one grey level (values on a 0-255 scale)
        # per image: the same as a direct cv2 call on that image alone (no state between images)
        if fn is remap_image:
            border = getattr(cv2, {"constant": "BORDER_CONSTANT", "edge": "BORDER_REPLICATE",
                                   "reflect": "BORDER_REFLECT_101"}[border_mode])
            one = cv2.remap(x[1], xs[1], ys[1], cv2.INTER_LINEAR, borderMode=border, borderValue=(7, 77, 177, 0))
            assert np.array_equal(one, four[1])


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("border_mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("hw", [(5, 7), (32, 32), (32, 128), (61, 70)])
def test_soft_mask_as_fourth_channel_equals_separate_resampling(monkeypatch, border_mode, hw, dtype):
    """An RGB image and its soft mask resampled in one 4-channel call: the same pixels as two calls."""
    from augkit.kernels import geometry
    from augkit.kernels.packed import packable, remap_image_and_mask, warp_homography_image_and_mask

    rng = np.random.default_rng(8)
    h, w = hw
    top = 255 if dtype == np.uint8 else 1
    x = (rng.integers(0, 256, (4, h, w, 3)) * top / 255).astype(dtype)
    m = (rng.integers(0, 256, (4, h, w, 1)) * top / 255).astype(dtype)
    m[:, ::3] = 0
    assert not packable(x, m.astype(np.float64), "bilinear")  # one dtype for both
    inv = np.linalg.inv(geometry.affine_matrices(center=(w / 2, h / 2), degrees=[-40.0, 5.0, 20.0, 90.0],
                                                 scale_x=[0.7, 1.0, 1.3, 1.0], scale_y=[0.9, 1.1, 1.3, 1.0]))
    inv[3, 2, :2] = [3e-3, -2e-3]  # a true perspective
    out_hw = (h + 3, w + 5)
    xs, ys = homography_source_coords(inv, out_hw)
    xs = xs + rng.normal(0, 0.8, xs.shape).astype(np.float32)
    kw = {"border_mode": border_mode, "fill": tuple(v * top / 255 for v in (7, 77, 177))}
    fill_mask = 201 * top / 255
    assert packable(x, m, "bilinear") and not packable(x, m, "nearest") and not packable(x[..., :1], m, "bilinear")
    for both, one, args in ((warp_homography_image_and_mask, warp_homography_image, (inv, out_hw)),
                            (remap_image_and_mask, remap_image, (xs, ys))):
        img, mask = both(x, m, *args, mask_fill=fill_mask, **kw)
        assert img.dtype == mask.dtype == dtype
        assert np.array_equal(img, one(x, *args, **kw)), both.__name__
        assert np.array_equal(mask, one(m, *args, **{**kw, "fill": fill_mask})), both.__name__
        with monkeypatch.context() as mp:  # chunks of 3 images (the last one partial), into given outputs
            mp.setattr(geometry, "FOUR_CHANNEL_CHUNK_BYTES", 3 * (h + 3) * (w + 5) * 4 * x.itemsize)
            into, mask_into = np.zeros_like(img), np.zeros_like(mask)
            both(x, m, *args, mask_fill=fill_mask, out=into, mask_out=mask_into, **kw)
            assert np.array_equal(into, img) and np.array_equal(mask_into, mask), both.__name__
    for both, args in ((warp_homography_image_and_mask, (inv[:0], out_hw)), (remap_image_and_mask, (xs[:0], ys[:0]))):
        img, mask = both(x[:0], m[:0], *args)  # an empty batch (the 4-channel route raised on one)
        assert img.shape == (0, *out_hw, 3) and mask.shape == (0, *out_hw, 1)
    # through a pipeline (matrix warps, a field warp, a subset at p < 1): as without the packing
    pipe = ak.Compose([I.Rotate(degrees_range=(-30, 30), border_mode=border_mode), I.Contrast(),
                       I.GridWarp(num_steps=4, distort_limit=0.3, border_mode=border_mode),
                       I.Perspective(distortion_range=(0.05, 0.1), p=0.5, border_mode=border_mode)],
                      mask_interpolation="image")
    from augkit.core import runner

    with use_backend("opencv"):
        got = pipe(image=x, mask=m[..., 0], rng=4)
        monkeypatch.setattr(runner, "packable", lambda *a: False)
        want = pipe(image=x, mask=m[..., 0], rng=4)
    assert np.array_equal(got["image"], want["image"]) and np.array_equal(got["mask"], want["mask"])


def test_masks_of_any_dtype_agree():
    for dtype in (np.bool_, np.uint8, np.int16, np.int32, np.int64, np.float32, np.float64):
        m = (np.random.default_rng(0).random((2, 20, 20, 2)) * 5).astype(dtype)
        xs, ys = homography_source_coords(np.linalg.inv(ak.kernels.geometry.affine_matrices(
            center=(10.0, 10.0), degrees=[20.0, -50.0])), (20, 20))
        with use_backend("numpy"):
            ref = remap_image(m, xs, ys, interpolation="nearest", fill=1)
        with use_backend("opencv"):
            fast = remap_image(m, xs, ys, interpolation="nearest", fill=1)
        assert ref.dtype == fast.dtype == m.dtype and np.array_equal(ref, fast), dtype


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.bool_])
@pytest.mark.parametrize("c", [1, 3, 4, 6])
def test_permutation_kernel_agrees_with_numpy_rot90(c, dtype):
    """All eight symmetries of a square, per sample in one batch, on both backends."""
    x = _sharp_batch(n=8, h=9, w=9, c=c, dtype=np.float32 if dtype == np.float32 else np.uint8)
    x = x > 127 if dtype == np.bool_ else x
    turns = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    tr, fx, fy = quarter_turn_flags(turns)
    tr = tr ^ (np.arange(8) >= 4)  # the other four of the eight: the transpose flag flipped
    want = []
    for i in range(8):  # the flags as defined: transpose first, then the flips
        img = x[i].transpose(1, 0, 2) if tr[i] else x[i]
        want.append(img[::-1 if fy[i] else 1, ::-1 if fx[i] else 1])
    for backend in ("numpy", "opencv"):
        with use_backend(backend):
            got = permute_image(x, tr, fx, fy)
        assert got.dtype == x.dtype and np.array_equal(got, np.stack(want)), backend
    for k in range(4):  # the quarter-turn flags are np.rot90's turns
        got = permute_image(x[:1], *quarter_turn_flags(np.array([k])))
        assert np.array_equal(got[0], np.rot90(x[0], k)), k


def test_flip_and_lut_kernels_agree():
    for c in (1, 3, 4, 6):
        x = _sharp_batch(n=4, h=9, w=11, c=c)
        fx, fy = np.array([True, False, True, False]), np.array([False, True, True, False])
        with use_backend("numpy"):
            ref = flip_image(x, fx, fy)
        with use_backend("opencv"):
            fast = flip_image(x, fx, fy)
        assert np.array_equal(ref, fast)
        assert np.array_equal(ref[0], x[0, :, ::-1]) and np.array_equal(ref[2], x[2, ::-1, ::-1])
        for fx, fy in ((np.array([True, True, True, False]), np.array([False, False, True, False])),
                       (np.array([True, False, True, True]), np.array([True, False, True, False]))):
            with use_backend("numpy"):  # runs of several images mirrored together, and single ones
                ref = flip_image(x, fx, fy)
            want = np.stack([x[i, ::-1 if fy[i] else 1, ::-1 if fx[i] else 1] for i in range(4)])
            assert np.array_equal(ref, want), c
        luts = np.random.default_rng(c).integers(0, 256, (4, 256)).astype(np.float64)
        with use_backend("numpy"):
            ref = apply_lut_image(x, luts)
        with use_backend("opencv"):
            fast = apply_lut_image(x, luts)
        assert np.array_equal(ref, fast)


def test_backend_selection():
    default = os.environ.get("AUGKIT_BACKEND", "auto")
    assert get_backend() == default
    with pytest.raises(ValueError, match="backend must be one of"):
        set_backend("cuda")
    with use_backend("numpy"):
        assert get_backend() == "numpy"
    assert get_backend() == default
