"""Degradations against independent references: Pillow's JPEG, SciPy's correlation and morphology."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

import augkit as ak
from augkit.kernels.degrade import _disk, morphology_footprint, motion_kernel, motion_kernels
from augkit.testing.conformance import make_batch

I = ak.image


def test_jpeg_is_pillows_round_trip_at_each_samples_quality():
    x = make_batch(n=3, height=24, width=32)
    out = I.JpegCompression(quality_range=(5, 95))(image=x, rng=2, return_params=True)
    qualities = out["params"]["children"][0]["quality"]
    assert len(set(qualities.tolist())) > 1
    for img, q, got in zip(x, qualities, out["image"], strict=True):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=int(q))
        np.testing.assert_array_equal(got, np.asarray(Image.open(io.BytesIO(buf.getvalue()))))


def test_jpeg_keeps_alpha_and_handles_grey_and_float():
    rgba = make_batch(n=2, channels=4)
    out = I.JpegCompression(quality_range=(30, 30))(image=rgba)["image"]
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])
    grey = make_batch(n=2, channels=1)
    assert I.JpegCompression()(image=grey)["image"].shape == grey.shape
    f = make_batch(n=1, dtype=np.float32)
    y = I.JpegCompression(quality_range=(95, 95))(image=f)["image"]
    as_uint8 = I.JpegCompression(quality_range=(95, 95))(image=np.rint(f * 255).astype(np.uint8))["image"]
    assert y.dtype == np.float32
    np.testing.assert_array_equal(np.rint(y * 255).astype(np.uint8), as_uint8)  # float goes through uint8


def test_motion_blur_matches_scipy_correlation(each_backend):
    x = make_batch(n=3, height=20, width=24)
    out = I.MotionBlur(length_px_range=(3, 11))(image=x, rng=5, return_params=True)
    p = out["params"]["children"][0]
    for img, n, a, got in zip(x, p["length_px"], p["angle_degrees"], out["image"], strict=True):
        k = motion_kernel(int(n), float(a))
        ref = np.stack([ndimage.correlate(img[..., c].astype(np.float64), k.astype(np.float64), mode="mirror")
                        for c in range(3)], axis=-1)
        assert np.abs(got.astype(float) - ref).max() <= 1.0


def test_motion_kernel_is_a_line_of_the_given_length_and_direction():
    for angle in (0.0, 45.0, 90.0, 135.0):
        k = motion_kernel(9, angle)
        ys, xs = np.nonzero(k)
        d = np.array([np.cos(np.deg2rad(angle)), -np.sin(np.deg2rad(angle))])
        proj = (np.stack([xs - 4, ys - 4], axis=1) @ d)
        assert abs(k.sum() - 1) < 1e-6 and proj.max() - proj.min() >= 7  # spans the length
        perp = np.abs(np.stack([xs - 4, ys - 4], axis=1) @ np.array([-d[1], d[0]]))
        assert perp.max() <= 0.75  # and stays on the line


def test_motion_kernels_made_together_equal_each_made_alone():
    angles = np.concatenate([np.random.default_rng(3).uniform(-180, 180, 40), [0, 30, 45, 90, -90, 135, 180]])
    for length in (1, 2, 3, 7, 12):
        together = motion_kernels(length, angles)
        assert together.shape == (len(angles), length, length) and together.dtype == np.float32
        for a, k in zip(angles.tolist(), together, strict=True):
            alone = motion_kernels(length, np.array([a]))[0]
            np.testing.assert_array_equal(k, alone)
            assert abs(float(k.sum()) - 1.0) < 1e-6


@pytest.mark.parametrize(("cls", "ref"), [(I.Erode, ndimage.grey_erosion), (I.Dilate, ndimage.grey_dilation)])
@pytest.mark.parametrize(("n", "height", "width", "dtype"), [
    (3, 21, 17, np.uint8), (9, 8, 13, np.uint8), (5, 3, 7, np.float32), (1, 12, 5, np.uint8), (4, 1, 6, np.float32)])
def test_morphology_matches_scipy(each_backend, cls, ref, n, height, width, dtype):
    # many images per radius exercise the OpenCV path's tall image (rows next to another
    # image redone from bands) and images lower than the radius its padded fallback
    x = make_batch(n=n, height=height, width=width, dtype=dtype)
    out = cls(radius_px_range=(1, 3))(image=x, rng=1, return_params=True)
    radii = out["params"]["children"][0]["radius_px"]
    for img, r, got in zip(x, radii, out["image"], strict=True):
        fp = morphology_footprint(int(r)).astype(bool)
        want = np.stack([ref(img[..., c], footprint=fp, mode="mirror") for c in range(3)], axis=-1)
        np.testing.assert_array_equal(got, want)


def test_morphology_radius_one_is_opencvs_3x3_ellipse():
    cv2 = pytest.importorskip("cv2")
    x = make_batch(n=4, height=16, width=19)
    ellipse = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    np.testing.assert_array_equal(morphology_footprint(1), ellipse)
    for cls, op in ((I.Erode, cv2.erode), (I.Dilate, cv2.dilate)):
        got = cls(radius_px_range=(1, 1))(image=x)["image"]
        for img, g in zip(x, got, strict=True):  # OpenCV's default border: outside pixels ignored
            np.testing.assert_array_equal(g, op(img, ellipse))


def test_erode_thickens_dark_strokes_and_dilate_thins_them():
    page = np.full((1, 30, 30, 1), 230, np.uint8)
    page[0, 10:20, 14:16] = 20  # a 2 px dark stroke
    dark = lambda a: int((a < 128).sum())  # noqa: E731
    assert dark(I.Erode(radius_px_range=(1, 1))(image=page)["image"]) > dark(page)
    assert dark(I.Dilate(radius_px_range=(1, 1))(image=page)["image"]) < dark(page)


def test_coarse_dropout_fills_the_drawn_rectangles_and_leaves_targets():
    x = np.full((4, 30, 40, 3), 255, np.uint8)
    mask = np.ones((4, 30, 40), np.uint8)
    t = I.CoarseDropout(holes_range=(1, 3), size_fraction_range=(0.1, 0.3), fill=(10, 20, 30))
    out = t(image=x, mask=mask, rng=3, return_params=True)
    holes = out["params"]["children"][0]["holes"]
    for i in range(4):
        want = np.zeros((30, 40), bool)
        for y0, x0, y1, x1 in holes[i]:
            want[y0:y1, x0:x1] = True
        got = (out["image"][i] == (10, 20, 30)).all(axis=-1)
        np.testing.assert_array_equal(got, want)
        assert 1 <= sum((y1 > y0) for y0, _, y1, _ in holes[i]) <= 3
    np.testing.assert_array_equal(out["mask"], mask)
    rnd = I.CoarseDropout(holes_range=(2, 2), size_fraction_range=(0.3, 0.3), fill="random")
    y = rnd(image=np.zeros((2, 20, 20, 3), np.float32), rng=0)["image"]
    assert y.dtype == np.float32 and 0 < y.max() <= 1.0
    with pytest.raises(ValueError, match="channels"):
        I.CoarseDropout(fill=(1, 2))(image=x)
    with pytest.raises(ValueError, match="outside the range"):
        I.CoarseDropout(fill=300)(image=x)


def test_defocus_matches_scipy_with_a_disk(each_backend):
    x = make_batch(n=3, height=20, width=24)
    out = I.Defocus(radius_px_range=(1, 4))(image=x, rng=3, return_params=True)
    for img, r, got in zip(x, out["params"]["children"][0]["radius_px"], out["image"], strict=True):
        k = _disk(int(r)).astype(np.float64)
        k /= k.sum()
        ref = np.stack([ndimage.correlate(img[..., c].astype(np.float64), k, mode="mirror") for c in range(3)], -1)
        assert np.abs(got.astype(float) - ref).max() <= 1.0


@pytest.mark.parametrize("h, w", [(60, 45), (30, 401)])  # 401: wide rows gathered as 4-byte pixels
def test_downscale_nearest_reads_the_pixel_containing_each_centre(each_backend, monkeypatch, h, w):
    # Pixel centres that fall exactly on a boundary (60 -> 24 -> 60 has many) take the pixel
    # after it, on both backends: OpenCV's fixed-point INTER_NEAREST_EXACT does not always.
    from fractions import Fraction

    from augkit.kernels import degrade

    def source(src: int, dst: int) -> list[int]:
        return [min(src - 1, int((Fraction(x) + Fraction(1, 2)) * Fraction(src, dst))) for x in range(dst)]

    assert (w >= degrade.NEAREST_FOUR_BYTE_MIN_WIDTH) == (w == 401)
    monkeypatch.setattr(degrade, "NEAREST_CHUNK_SAMPLES", 3 * w * h)  # chunks of a few images
    x = make_batch(n=40, height=h, width=w)
    t = I.Downscale(scale_range=(0.25, 0.6), downscale="nearest", upscale="nearest")
    out = t(image=x, rng=4, return_params=True)
    scales = out["params"]["children"][0]["scale"]
    assert len({round(h * s) for s in scales}) > 5  # several sizes, some shared
    for img, s, got in zip(x, scales, out["image"], strict=True):
        sh, sw = max(1, round(h * s)), max(1, round(w * s))
        rows = np.array(source(h, sh))[source(sh, h)]
        cols = np.array(source(w, sw))[source(sw, w)]
        np.testing.assert_array_equal(got, img[rows][:, cols])


def test_downscale_by_two_is_block_means_then_blocks(each_backend):
    x = make_batch(n=2, height=16, width=12, dtype=np.float32)
    got = I.Downscale(scale_range=(0.5, 0.5), upscale="nearest")(image=x)["image"]
    blocks = x.reshape(2, 8, 2, 6, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(got, blocks.repeat(2, axis=1).repeat(2, axis=2), atol=1e-5)
    smooth = I.Downscale(scale_range=(0.3, 0.3))(image=x)["image"]
    assert smooth.shape == x.shape and np.abs(smooth - x).mean() > 0.01  # detail is lost


@pytest.mark.usefixtures("each_backend")
def test_float_blurs_stay_within_the_unit_range():
    # A normalized kernel's float32 sums overshoot 1 by an ulp for some sizes (a white image came
    # back at 1.0000001 for 19 of 116 Gaussian sigmas in 0.2-6): outputs must stay passable as
    # inputs again, so float results are kept in [0, 1].
    white = np.ones((1, 24, 20, 3), np.float32)
    for sigma in np.arange(0.2, 6.0, 0.05):
        assert I.GaussianBlur(sigma_range=(sigma, sigma))(image=white)["image"].max() <= 1.0
    for length in range(3, 16, 2):
        for angle in range(0, 180, 15):
            out = ak.kernels.degrade.motion_blur_image(white, np.array([length]), np.array([float(angle)]))
            assert out.max() <= 1.0
    for radius in range(1, 8):
        assert I.Defocus(radius_px_range=(radius, radius))(image=white)["image"].max() <= 1.0
