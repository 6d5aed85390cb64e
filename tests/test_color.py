"""Photometric transforms against Pillow and analytic values."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance

import augkit as ak
from augkit.testing.conformance import make_batch

I = ak.image
pytestmark = pytest.mark.usefixtures("each_backend")


@pytest.mark.parametrize("factor", [0.0, 0.4, 1.0, 1.7, 3.0])
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_contrast_matches_pillow(factor, mode):
    x = make_batch(n=1, height=30, width=40, channels=3 if mode == "RGB" else 1, seed=4)[0]
    pil = Image.fromarray(x if mode == "RGB" else x[..., 0], mode)
    ref = np.asarray(ImageEnhance.Contrast(pil).enhance(factor)).astype(int)
    ours = np.asarray(I.Contrast(factor_range=(factor, factor))(image=pil)["image"]).astype(int)
    assert np.abs(ours - ref).max() <= 1


def test_brightness_analytic():
    x = make_batch(n=2, dtype=np.uint8)
    out = I.Brightness(delta_range=(0.2, 0.2))(image=x)["image"]
    assert np.array_equal(out, np.clip(x.astype(int) + 51, 0, 255).astype(np.uint8))
    out = I.Brightness(delta_range=(-0.4, -0.4))(image=x)["image"]
    assert np.array_equal(out, np.clip(x.astype(int) - 102, 0, 255).astype(np.uint8))
    xf = make_batch(n=2, dtype=np.float32)
    outf = I.Brightness(delta_range=(-0.25, -0.25))(image=xf)["image"]
    assert np.allclose(outf, np.clip(xf - 0.25, 0, 1), atol=1e-6)


@pytest.mark.parametrize("gamma", [0.4, 1.0, 2.2])
def test_gamma_analytic(gamma):
    x = make_batch(n=2)
    out = I.Gamma(gamma_range=(gamma, gamma))(image=x)["image"]
    ref = np.rint(255 * (x / 255.0) ** gamma)
    assert np.abs(out - ref).max() == 0
    xf = x.astype(np.float32) / 255
    outf = I.Gamma(gamma_range=(gamma, gamma))(image=xf)["image"]
    assert np.allclose(outf, xf ** gamma, atol=1e-6)


def test_uint8_and_float_paths_agree():
    x = make_batch(n=4)
    xf = x.astype(np.float32) / 255
    for t in (I.Contrast(factor_range=(0.5, 1.5)), I.Brightness(), I.Gamma()):
        a = t(image=x, rng=3)["image"].astype(float)
        b = t(image=xf, rng=3)["image"] * 255
        assert np.abs(a - b).max() <= 1.0 + 1e-3, type(t).__name__


def test_alpha_channel_untouched():
    x = make_batch(n=2, channels=4)
    for t in (I.Contrast(factor_range=(2, 2)), I.Brightness(delta_range=(0.3, 0.3)), I.Gamma(gamma_range=(2, 2))):
        out = t(image=x)["image"]
        assert np.array_equal(out[..., 3], x[..., 3])
        assert not np.array_equal(out[..., :3], x[..., :3])


def test_masks_boxes_keypoints_pass_through_pixel_transforms():
    x = make_batch(n=1)[0]
    mask = np.eye(24, 20, dtype=np.uint8)
    out = I.Contrast()(image=x, mask=mask, bboxes=[[1, 2, 5, 6]], keypoints=[[3, 3]], rng=0)
    assert np.array_equal(out["mask"], mask)
    assert np.allclose(out["bboxes"], [[1, 2, 5, 6]]) and np.allclose(out["keypoints"], [[3, 3]])


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_invert_matches_pillow(mode):
    from PIL import ImageOps

    x = make_batch(n=1, channels=3 if mode == "RGB" else 1, seed=2)[0]
    pil = Image.fromarray(x if mode == "RGB" else x[..., 0], mode)
    assert np.array_equal(np.asarray(I.Invert()(image=pil)["image"]), np.asarray(ImageOps.invert(pil)))
    xf = x.astype(np.float32) / 255
    assert np.allclose(I.Invert()(image=xf)["image"], 1 - xf)


def test_to_gray_matches_pillow(each_backend):
    tol = 0 if each_backend == "numpy" else 1  # OpenCV: same weights in 14-bit fixed point
    x = make_batch(n=1, height=31, width=17, seed=3)[0]
    ref = np.asarray(Image.fromarray(x).convert("L")).astype(int)
    out = I.ToGray()(image=x)["image"].astype(int)
    assert out.shape == x.shape and all(np.abs(out[..., k] - ref).max() <= tol for k in range(3))
    assert np.array_equal(out[..., 0], out[..., 2])
    rgba = np.concatenate([x, np.full((*x.shape[:2], 1), 77, np.uint8)], axis=-1)
    out = I.ToGray()(image=rgba)["image"].astype(int)
    assert np.abs(out[..., 0] - ref).max() <= tol and (out[..., 3] == 77).all()
    xf = x.astype(np.float32) / 255
    assert np.allclose(I.ToGray()(image=xf)["image"][..., 1], xf @ np.array([0.299, 0.587, 0.114]), atol=1e-6)


@pytest.mark.parametrize("bits", [1, 3, 5, 8])
def test_posterize_matches_pillow(bits):
    from PIL import ImageOps

    x = make_batch(n=1, seed=bits)[0]
    ref = np.asarray(ImageOps.posterize(Image.fromarray(x), bits))
    assert np.array_equal(I.Posterize(bits_range=(bits, bits))(image=x)["image"], ref)
    xf = x.astype(np.float32) / 255
    assert np.allclose(I.Posterize(bits_range=(bits, bits))(image=xf)["image"] * 255, ref, atol=1e-3)


@pytest.mark.parametrize("sigma", [0.4, 1.0, 2.7])
def test_gaussian_blur_matches_scipy(sigma):
    from scipy import ndimage

    from augkit.kernels.filters import gaussian_radius

    x = make_batch(n=1, height=40, width=33, seed=5, dtype=np.float32)[0]
    radius = gaussian_radius(sigma)
    ref = ndimage.gaussian_filter(x.astype(np.float64), sigma=(sigma, sigma, 0), mode="mirror",
                                  truncate=radius / sigma)
    out = I.GaussianBlur(sigma_range=(sigma, sigma))(image=x)["image"]
    assert np.abs(out - ref).max() < 1e-5
    x8 = (x * 255).round().astype(np.uint8)
    out8 = I.GaussianBlur(sigma_range=(sigma, sigma))(image=x8)["image"].astype(float)
    assert np.abs(out8 - ref * 255).max() <= 1.0


def test_gaussian_kernels_are_opencvs_bit_for_bit():
    """The batch's kernels made in NumPy equal cv2.getGaussianKernel's, so the OpenCV route blurs
    exactly as it did with one getGaussianKernel call per image."""
    cv2 = pytest.importorskip("cv2")
    from augkit.kernels.filters import gaussian_kernels, gaussian_radius

    sigmas = np.concatenate([np.random.default_rng(2).uniform(0.1, 8.0, 3000), [0.5, 1.0, 1 / 3, 2.0, 5.0]])
    for sigma, kernel in zip(sigmas.tolist(), gaussian_kernels(sigmas), strict=True):
        ref = cv2.getGaussianKernel(2 * gaussian_radius(sigma) + 1, sigma, cv2.CV_32F)
        assert kernel.dtype == np.float32 and np.array_equal(kernel, ref), sigma


@pytest.mark.parametrize("sigma, amount", [(0.5, 0.3), (1.0, 1.0), (2.2, 3.0)])
def test_sharpen_is_the_unsharp_mask_formula_with_scipy(sigma, amount):
    """x + amount (x - G x), G from SciPy in float64, saturated: uint8 within one level, float 1e-5."""
    from scipy import ndimage

    from augkit.kernels.filters import gaussian_radius

    t = I.Sharpen(sigma_range=(sigma, sigma), amount_range=(amount, amount))
    x = make_batch(n=1, height=37, width=30, seed=4, dtype=np.float32)[0].astype(np.float64)
    truncate = gaussian_radius(sigma) / sigma
    blurred = ndimage.gaussian_filter(x, sigma=(sigma, sigma, 0), mode="mirror", truncate=truncate)
    ref = np.clip(x + amount * (x - blurred), 0.0, 1.0)
    assert np.abs(t(image=x.astype(np.float32))["image"] - ref).max() < 1e-5
    x8 = (x * 255).round()
    b8 = ndimage.gaussian_filter(x8, sigma=(sigma, sigma, 0), mode="mirror", truncate=truncate)
    ref8 = np.clip(x8 + amount * (x8 - b8), 0, 255)
    out8 = t(image=x8.astype(np.uint8))["image"].astype(float)
    assert np.abs(out8 - ref8).max() <= 1.0
    flat = np.full((12, 12, 3), 77, np.uint8)  # nothing to sharpen
    assert np.array_equal(t(image=flat)["image"], flat)
    # detail gained: the high-frequency energy grows by about (1 + amount) squared
    hp = lambda img: np.var(img - ndimage.gaussian_filter(img, (sigma, sigma, 0), mode="mirror"))  # noqa: E731
    ratio = hp(t(image=x.astype(np.float32))["image"].astype(np.float64)) / hp(x)
    assert 1.0 + amount < ratio


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize("size", [(30, 40), (90, 120)])  # a batch at a time / image by image
def test_equalize_matches_pillow(mode, size):
    from PIL import ImageOps

    from augkit.kernels.color import EQUALIZE_BATCH_MAX_SAMPLES

    assert (size[0] * size[1] * (3 if mode == "RGB" else 1) <= EQUALIZE_BATCH_MAX_SAMPLES) == (size == (30, 40))
    rng = np.random.default_rng(7)
    batch = (rng.beta(2, 5, (5, *size, 3)) * 180 + 30).astype(np.uint8)
    batch[:, :, :, 1] += np.arange(5, dtype=np.uint8)[:, None, None] * 9  # images differ
    batch[1, ..., 1] = 77  # a single level: identity
    batch[2, ..., 0] = batch[2, ..., 0] // 40 * 40  # few levels
    x = batch if mode == "RGB" else batch[..., :1]
    out = I.Equalize()(image=x)["image"]
    for i in range(5):
        pil = Image.fromarray(x[i] if mode == "RGB" else x[i, ..., 0], mode)
        ref = np.asarray(ImageOps.equalize(pil))
        np.testing.assert_array_equal(out[i] if mode == "RGB" else out[i, ..., 0], ref)
        assert np.array_equal(np.asarray(I.Equalize()(image=pil)["image"]), ref)
    xf = x.astype(np.float32) / 255
    outf = I.Equalize()(image=xf)["image"]
    assert np.allclose(outf * 255, out, atol=1e-3)
    rgba = np.concatenate([batch, batch[..., :1] // 2], axis=3)
    out4 = I.Equalize()(image=rgba)["image"]
    np.testing.assert_array_equal(out4[..., 3], rgba[..., 3])  # alpha kept
    np.testing.assert_array_equal(out4[..., :3], I.Equalize()(image=batch)["image"])


def test_color_jitter_matches_colorsys_pixel_by_pixel():
    import colorsys

    x = make_batch(n=3, height=6, width=5, dtype=np.float32)
    out = I.ColorJitter(hue_degrees_range=(-90, 90), saturation_range=(0.2, 1.8), value_range=(0.5, 1.5))(
        image=x, rng=4, return_params=True)
    p = out["params"]["children"][0]
    for i in range(3):
        for yy in range(6):
            for xx in range(5):
                h, s, v = colorsys.rgb_to_hsv(*x[i, yy, xx].astype(float))
                h = (h + p["hue_degrees"][i] / 360.0) % 1.0
                s = min(max(s * p["saturation"][i], 0.0), 1.0)
                v = min(max(v * p["value"][i], 0.0), 1.0)
                np.testing.assert_allclose(out["image"][i, yy, xx], colorsys.hsv_to_rgb(h, s, v), atol=1e-5)


def test_color_jitter_on_uint8_and_grey():
    x = make_batch(n=2)
    same = I.ColorJitter(hue_degrees_range=(0, 0), saturation_range=(1, 1), value_range=(1, 1))(image=x)["image"]
    assert np.abs(same.astype(int) - x).max() <= 1  # identity up to rounding
    grey = make_batch(n=2, channels=1)
    darker = I.ColorJitter(value_range=(0.5, 0.5))(image=grey)["image"]
    np.testing.assert_array_equal(darker, np.rint(grey * 0.5).astype(np.uint8))


# --- CLAHE -------------------------------------------------------------------------------


def _textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    noise = np.random.default_rng(seed).normal(0, 10, (h, w))
    return np.clip(80 + 40 * np.sin(xx / 7.0) + 30 * np.cos(yy / 5.0) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("h", "w", "grid", "clip"), [(64, 64, (8, 8), 2.0), (37, 53, (8, 8), 3.0),
                                                      (100, 80, (4, 6), 1.5), (7, 9, (2, 3), 4.0)])
def test_clahe_numpy_kernel_equals_opencv(h, w, grid, clip):
    import cv2

    from augkit.kernels.clahe import clahe_gray

    img = _textured(h, w)
    ref = cv2.createCLAHE(clipLimit=clip, tileGridSize=(grid[1], grid[0])).apply(img)
    assert np.array_equal(clahe_gray(img[None], np.array([clip]), grid)[0], ref)


def test_clahe_transform_equalises_luma_and_keeps_chroma():
    import cv2

    grey = _textured(48, 64)
    rgb = np.stack([grey, np.clip(grey.astype(int) + 30, 0, 255), grey // 2], axis=-1).astype(np.uint8)
    out = ak.image.CLAHE(clip_limit_range=(3, 3), tile_grid_size=(4, 4))(image=rgb)["image"]
    luma = np.rint(rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)
    want = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(4, 4)).apply(luma).astype(float)
    got = out.astype(float) @ np.array([0.299, 0.587, 0.114])
    inside = (out > 0).all(axis=-1) & (out < 255).all(axis=-1)          # where no channel was clipped
    assert np.abs(got - want)[inside].max() <= 1.0
    shift = out.astype(int) - rgb.astype(int)                          # one luma shift for all channels
    assert (shift[inside].max(axis=-1) - shift[inside].min(axis=-1)).max() <= 1


def test_clahe_grey_equals_opencv_through_the_pipeline_and_draws_per_sample():
    import cv2

    grey = np.stack([_textured(32, 32, s) for s in range(4)])
    res = ak.image.CLAHE(clip_limit_range=(1.0, 6.0))(image=grey[..., None], rng=0, return_params=True)
    limits = res["params"]["children"][0]["clip_limit"]
    assert len(set(limits.tolist())) == 4
    for i in range(4):
        ref = cv2.createCLAHE(clipLimit=float(limits[i]), tileGridSize=(8, 8)).apply(grey[i])
        assert np.array_equal(res["image"][i, ..., 0], ref)


def test_clahe_float_images_and_bad_arguments():
    x = np.stack([_textured(40, 40)] * 3, axis=-1)[None].astype(np.float32) / 255
    out = ak.image.CLAHE()(image=x, rng=0)["image"]
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1 and out.std() > x.std()
    with pytest.raises(ValueError, match="clip_limit_range"):
        ak.image.CLAHE(clip_limit_range=(0, 2))
    with pytest.raises(ValueError, match="tile_grid_size"):
        ak.image.CLAHE(tile_grid_size=(8,))


@pytest.mark.parametrize("shape", [(3, 1, 1, 3), (2, 17, 15, 1), (4, 16, 16, 4), (2, 33, 29, 3), (1, 300, 301, 3)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_channel_sums_on_both_backends(each_backend, shape, dtype):
    # the NumPy route sums rows of 256 pixels and the remainder apart: sizes on either side of it
    from augkit.kernels.color import channel_sums

    rng = np.random.default_rng(sum(shape))
    x = rng.integers(0, 256, shape).astype(dtype) if dtype == np.uint8 else rng.random(shape).astype(dtype)
    want = x.reshape(shape[0], -1, shape[3]).astype(np.float64).sum(axis=1)
    got = channel_sums(x)
    if dtype == np.uint8:
        np.testing.assert_array_equal(got, want)  # exact
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("h, w", [(17, 31), (24, 24), (9, 40)])
def test_illumination_multiplies_the_light_by_the_gradient_and_vignette(h, w):
    # Flat float images (several grey levels): light (the value to the power 2.2) times the gain
    # written out here from the documented formula, saturating at white.
    n = 8
    levels = np.linspace(0.1, 0.9, n, dtype=np.float32)
    x = np.broadcast_to(levels[:, None, None, None], (n, h, w, 3)).copy()
    t = I.Illumination(gradient_range=(0.1, 1.2), vignette_range=(0.0, 0.7))
    out = t(image=x, rng=5, return_params=True)
    p = out["params"]["children"][0]
    cx, cy = np.arange(w) + 0.5 - w / 2, np.arange(h) + 0.5 - h / 2
    for i in range(n):
        th = np.deg2rad(p["angle_degrees"][i])
        d = (np.cos(th) * cx[None, :] - np.sin(th) * cy[:, None]) / (abs(np.cos(th)) * w + abs(np.sin(th)) * h)
        r2 = (cx[None, :] / (w / 2)) ** 2 / 2 + (cy[:, None] / (h / 2)) ** 2 / 2
        gain = (1 + p["gradient"][i] * d) * (1 - p["vignette"][i] * r2)
        want = np.minimum((float(levels[i]) ** 2.2 * gain) ** (1 / 2.2), 1.0)
        np.testing.assert_allclose(out["image"][i], np.repeat(want[..., None], 3, axis=2), rtol=3e-6, atol=1e-6)
    assert (out["image"] < levels[:, None, None, None]).any() and (out["image"] > levels[:, None, None, None]).any()


@pytest.mark.parametrize("angle, brighter", [(0, "right"), (90, "top"), (180, "left"), (270, "bottom")])
def test_illumination_comes_from_the_given_side(angle, brighter):
    x = np.full((21, 21, 3), 100, np.uint8)
    t = I.Illumination(gradient_range=(0.6, 0.6), vignette_range=(0, 0), angle_degrees_range=(angle, angle))
    out = t(image=x)["image"][..., 0].astype(int)
    sides = {"right": out[:, -1], "left": out[:, 0], "top": out[0], "bottom": out[-1]}
    opposite = {"right": "left", "left": "right", "top": "bottom", "bottom": "top"}[brighter]
    assert sides[brighter].min() > 100 > sides[opposite].max()
    assert out[10, 10] == 100  # the centre pixel keeps its light


def test_illumination_uint8_tables_agree_with_the_float_formula_and_keep_alpha():
    x = np.concatenate([make_batch(n=4, height=20, width=26), np.full((4, 20, 26, 1), 7, np.uint8)], axis=3)
    x[0, :, :, :3] = 255  # white saturates where the light grows
    t = I.Illumination(gradient_range=(0.5, 1.5), vignette_range=(0.0, 0.8))
    out = t(image=x, rng=2, return_params=True)
    as_float = t.replay(out["params"], x.astype(np.float32) / np.float32(255))["image"]
    diff = np.abs(out["image"][..., :3].astype(int) - np.rint(as_float[..., :3] * 255).astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99
    assert (out["image"][..., 3] == 7).all()
    assert out["image"][0].max() == 255 and (out["image"][0, ..., :3] == 255).mean() > 0.2


def test_chromatic_aberration_magnifies_red_and_blue_about_the_centre():
    """Red scaled by 1 + m and blue by 1 - m about the image centre (SciPy's affine_transform in
    float64 as the reference, pixel centres at index + 0.5, edges repeated); green and alpha kept."""
    from scipy import ndimage

    x = make_batch(n=2, height=31, width=40, channels=4, dtype=np.float32, seed=6)
    m = 0.04
    out = I.ChromaticAberration(magnification_range=(m, m))(image=x)["image"]
    for ch, scale in ((0, 1 + m), (2, 1 - m)):
        a = 1 / scale   # output (i + 0.5 - c) / scale + c - 0.5, per axis
        offset = [(31 / 2) * (1 - a) + 0.5 * (a - 1), (40 / 2) * (1 - a) + 0.5 * (a - 1)]
        for i in range(2):
            ref = ndimage.affine_transform(x[i, ..., ch].astype(np.float64), [a, a], offset=offset, order=1,
                                           mode="nearest")
            assert np.abs(out[i, ..., ch] - ref).max() < 2e-3     # (OpenCV's 1/32-pixel positions)
    assert np.array_equal(out[..., 1], x[..., 1]) and np.array_equal(out[..., 3], x[..., 3])
    both = I.ChromaticAberration(magnification_range=(m, m), same_side=True)(image=x)["image"]
    assert np.array_equal(both[..., 0], out[..., 0]) and not np.array_equal(both[..., 2], out[..., 2])
    grey = make_batch(n=2, channels=1)
    assert np.array_equal(I.ChromaticAberration()(image=grey)["image"], grey)
    with pytest.raises(ValueError, match="magnification_range"):
        I.ChromaticAberration(magnification_range=(0.0, 0.5))


def test_shadow_blocks_a_fraction_of_the_light_inside_a_convex_region():
    """A flat page: inside the shadow exactly (1 - darkness) of the light (encoded ** 2.2), the
    rest untouched, a one-edge shadow a half-plane, and every edge crossing the image (each
    sample shows both light and shadow, but for an edge through a corner)."""
    n, h, w = 300, 48, 40
    page = np.full((n, h, w, 1), 200, np.uint8)
    t = I.Shadow(darkness_range=(0.5, 0.5), edges_range=(1, 3), penumbra_fraction_range=(0.02, 0.02))
    res = t(image=page, rng=0, return_params=True)
    out, p = res["image"][..., 0].astype(np.float64), res["params"]["children"][0]
    inside = round(200 * 0.5 ** (1 / 2.2))
    assert set(np.unique(out)) >= {inside, 200} and out.min() == inside and out.max() == 200
    for i in range(n):
        assert (out[i] < 200).any()                                       # a shadow in every sample
        assert (out[i] == 200).any() or (out[i] < 200).mean() > 0.97      # light left (or an edge at a corner)
        if p["edges"][i] == 1:   # a half-plane: every row and column switches at most once
            dark = out[i] < (inside + 200) / 2
            for line in (*dark, *dark.T):
                assert np.count_nonzero(np.diff(line.astype(int))) <= 1
    assert set(p["edges"].tolist()) == {1, 2, 3}


def test_shadow_darkens_every_level_in_proportion_to_its_light():
    ramp = np.tile(np.linspace(0.05, 1.0, 64, dtype=np.float32)[None, :, None], (32, 1, 3))[None]
    t = I.Shadow(darkness_range=(0.6, 0.6), edges_range=(1, 1), penumbra_fraction_range=(0.01, 0.01))
    for seed in range(5):
        out = t(image=ramp, rng=seed)["image"]
        shaded = out < ramp * 0.661  # (inside: 0.4 ** (1 / 2.2) = 0.659; the penumbra's pixels lie above)
        ratio = (out[shaded] / ramp[shaded]) ** 2.2
        assert shaded.sum() > 30 and np.abs(ratio - 0.4).max() < 2e-3   # 40% of the light, whatever the level
        assert ((out >= ramp * 0.661) & (out < ramp * 0.999)).sum() <= 3 * (32 + 64)   # a thin penumbra
    with pytest.raises(ValueError, match="reach"):
        I.Shadow(reach=0.0)
    with pytest.raises(ValueError, match="edges_range"):
        I.Shadow(edges_range=(1, 5))
