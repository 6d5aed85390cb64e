"""Crops, pads and resizes against independent references (NumPy slicing, OpenCV, Pillow,
albumentations) and analytic target mappings."""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import pytest
from PIL import Image

import augkit as ak

I = ak.image


def photo_batch(n: int = 4, h: int = 40, w: int = 52, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w, c), dtype=np.uint8)


def test_crop_equals_slicing_and_albumentations():
    x = photo_batch()
    out = I.Crop(x_min=5, y_min=7, x_max=30, y_max=33)(image=x)["image"]
    assert np.array_equal(out, x[:, 7:33, 5:30])
    ref = A.Crop(x_min=5, y_min=7, x_max=30, y_max=33, p=1)(image=x[0])["image"]
    assert np.array_equal(out[0], ref)


@pytest.mark.parametrize(("h", "w"), [(20, 30), (21, 31), (40, 52)])
def test_center_crop_equals_albumentations(h, w):
    x = photo_batch()
    out = I.CenterCrop(height=h, width=w)(image=x)["image"]
    for i in range(len(x)):
        assert np.array_equal(out[i], A.CenterCrop(height=h, width=w, p=1)(image=x[i])["image"])


def test_random_crop_windows_are_slices_at_uniform_offsets():
    x = photo_batch(n=1)
    t = I.RandomCrop(height=36, width=50)
    batch = np.repeat(x, 400, axis=0)
    res = t(image=batch, rng=0, return_params=True)
    p = res["params"]["children"][0]
    for i in range(0, 400, 37):
        assert np.array_equal(res["image"][i], x[0, p["y0"][i]:p["y0"][i] + 36, p["x0"][i]:p["x0"][i] + 50])
    assert set(p["x0"].tolist()) == {0, 1, 2} and set(p["y0"].tolist()) == {0, 1, 2, 3, 4}
    counts = np.bincount(p["y0"], minlength=5)
    assert counts.min() > 400 / 5 * 0.6                      # every offset, roughly equally often


@pytest.mark.parametrize(("mode", "cv_mode"), [("constant", cv2.BORDER_CONSTANT), ("edge", cv2.BORDER_REPLICATE),
                                               ("reflect", cv2.BORDER_REFLECT_101)])
def test_pad_equals_opencv_copy_make_border(mode, cv_mode):
    x = photo_batch(n=2, h=9, w=7)
    out = I.Pad(padding_px=(3, 1, 2, 5), border_mode=mode, fill=(10, 20, 30))(image=x)["image"]
    for i in range(2):
        ref = cv2.copyMakeBorder(x[i], 1, 5, 3, 2, cv_mode, value=(10, 20, 30))
        assert np.array_equal(out[i], ref)


def test_resize_bilinear_matches_opencv_and_nearest_matches_pillow():
    x = photo_batch(n=2, h=37, w=53)
    out = I.Resize(height=23, width=71)(image=x)["image"]
    for i in range(2):
        ref = cv2.resize(x[i], (71, 23), interpolation=cv2.INTER_LINEAR)
        assert np.abs(out[i].astype(int) - ref.astype(int)).max() <= 1
    near = I.Resize(height=23, width=71, interpolation="nearest")(image=x)["image"]
    for i in range(2):
        assert np.array_equal(near[i], np.asarray(Image.fromarray(x[i]).resize((71, 23), Image.Resampling.NEAREST)))


def test_resize_area_is_the_block_mean_for_whole_factors():
    x = photo_batch(n=2, h=40, w=52)
    out = I.Resize(height=10, width=13, interpolation="area")(image=x)["image"]
    blocks = x.reshape(2, 10, 4, 13, 4, 3).astype(np.float64).mean(axis=(2, 4))
    assert np.abs(out.astype(np.float64) - blocks).max() <= 1.0     # Pillow rounds between its two passes
    assert np.abs(out.astype(np.float64) - blocks).mean() < 0.4


def test_longest_max_size_keeps_the_aspect_ratio_like_albumentations():
    x = photo_batch(n=1, h=60, w=100)
    out = I.LongestMaxSize(max_size_px=40)(image=x)["image"]
    ref = A.LongestMaxSize(max_size=40, p=1)(image=x[0])["image"]
    assert out.shape[1:3] == ref.shape[:2] == (24, 40)
    assert np.abs(out[0].astype(int) - ref.astype(int)).max() <= 1


def test_smallest_max_size_keeps_the_aspect_ratio_like_albumentations():
    for h, w, side in ((60, 100, 40), (100, 60, 40), (30, 47, 90), (64, 64, 20)):
        x = photo_batch(n=2, h=h, w=w)
        mask = np.arange(h * w, dtype=np.int32).reshape(1, h, w).repeat(2, axis=0)
        out = I.SmallestMaxSize(max_size_px=side)(image=x, mask=mask, bboxes=[[[0, 0, w, h]]] * 2)
        ref = A.SmallestMaxSize(max_size=side, p=1)(image=x[0])["image"]
        assert out["image"].shape[1:3] == ref.shape[:2] and min(ref.shape[:2]) == side
        assert np.abs(out["image"][0].astype(int) - ref.astype(int)).max() <= 1
        assert out["mask"].shape == out["image"].shape[:3]
        np.testing.assert_allclose(out["bboxes"][1], [[0, 0, ref.shape[1], ref.shape[0]]])


def test_random_resized_crop_regions_follow_scale_and_ratio():
    t = I.RandomResizedCrop(height=8, width=8, scale_range=(0.2, 0.6), ratio_range=(0.5, 2.0))
    res = t(image=np.zeros((2000, 64, 64, 1), np.uint8), rng=0, return_params=True)
    box = res["params"]["children"][0]["box"]
    w, h = box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
    area = w * h / (64 * 64)
    assert (box[:, :2] >= 0).all() and (box[:, 2:] <= 64).all()
    assert area.min() > 0.2 * 0.9 and area.max() < 0.6 * 1.1           # whole-pixel rounding only
    assert (w / h).min() > 0.5 * 0.85 and (w / h).max() < 2.0 * 1.15
    assert np.median(np.log(w / h)) == pytest.approx(0.0, abs=0.1)     # log-uniform: symmetric around 1
    assert len({tuple(b) for b in box[:50].tolist()}) == 50            # per-sample draws


def test_random_resized_crop_falls_back_to_a_centre_crop():
    # No region with an aspect ratio of 10 fits a square image: a centre crop clamped to the ratio.
    t = I.RandomResizedCrop(height=4, width=40, scale_range=(0.5, 1.0), ratio_range=(10.0, 12.0))
    res = t(image=np.zeros((3, 30, 30, 1), np.uint8), rng=0, return_params=True)
    assert res["params"]["children"][0]["box"].tolist() == [[0.0, 13.0, 30.0, 16.0]] * 3  # 30 wide, 3 high


@pytest.mark.parametrize("hw, scale_range, ratio_range", [
    ((30, 30), (0.08, 1.0), (3 / 4, 4 / 3)),     # the defaults: nearly always the first candidate
    ((7, 50), (0.3, 1.0), (0.2, 5.0)),          # thin image, wide ratio range: many misses
    ((30, 30), (0.5, 1.0), (10.0, 12.0)),       # never fits: the fallback (ratio above the image's)
    ((40, 9), (0.9, 1.0), (2.0, 3.0)),          # never fits: the fallback (ratio below the image's)
    ((3, 3), (0.01, 0.2), (0.5, 2.0)),          # candidates of zero pixels
])
def test_random_resized_crop_small_batch_loop_equals_the_vectorized_picks(hw, scale_range, ratio_range):
    # Small batches check their candidates in a Python loop; it must pick what the vectorized
    # version picks from the same draws, sample by sample (ties of w/h at .5 included).
    from augkit.image.canvas import RESIZED_CROP_TRIES, _resized_crop_boxes, _resized_crop_boxes_loop

    rng = np.random.default_rng(7)
    n = 3000
    area = hw[0] * hw[1] * rng.uniform(*scale_range, size=(n, RESIZED_CROP_TRIES))
    ratio = np.exp(rng.uniform(np.log(ratio_range[0]), np.log(ratio_range[1]), size=(n, RESIZED_CROP_TRIES)))
    ratio[:50] = 1.0  # exact halves: w = h = sqrt(area) with area = (k + 0.5)^2
    area[:50] = (np.arange(50)[:, None] % 4 + 0.5) ** 2
    u = rng.random((n, 2))
    loop = _resized_crop_boxes_loop(area, ratio, u, hw, ratio_range)
    vec = _resized_crop_boxes(area, ratio, u, hw, ratio_range)
    assert loop.dtype == vec.dtype == np.float64 and loop.shape == vec.shape == (n, 4)
    np.testing.assert_array_equal(loop, vec)
    # and through sample(): a small batch (the loop) gets the vectorized picks of its own draws
    t = I.RandomResizedCrop(height=5, width=5, scale_range=scale_range, ratio_range=ratio_range)
    meta = ak.core.transform.Meta(n=9, height=hw[0], width=hw[1], channels=1, dtype=np.dtype(np.uint8))
    for seed in range(5):
        got = t.sample(np.random.default_rng(seed), meta)["box"]
        r = np.random.default_rng(seed)
        draws = (hw[0] * hw[1] * r.uniform(*scale_range, size=(9, RESIZED_CROP_TRIES)),
                 np.exp(r.uniform(np.log(ratio_range[0]), np.log(ratio_range[1]), size=(9, RESIZED_CROP_TRIES))),
                 r.random((9, 2)))
        np.testing.assert_array_equal(got, _resized_crop_boxes(*draws, hw, ratio_range))


def test_random_resized_crop_pixels_are_the_resized_region():
    x = photo_batch(n=3, h=60, w=60)
    res = I.RandomResizedCrop(height=20, width=20, interpolation="area")(image=x, rng=1, return_params=True)
    for i, (x0, y0, x1, y1) in enumerate(res["params"]["children"][0]["box"].astype(int).tolist()):
        ref = np.asarray(Image.fromarray(x[i][y0:y1, x0:x1]).resize((20, 20), Image.Resampling.BOX))
        assert np.abs(res["image"][i].astype(int) - ref.astype(int)).max() <= 1


def test_targets_follow_crop_pad_and_resize_analytically():
    img = np.zeros((40, 60, 3), np.uint8)
    mask = np.zeros((40, 60), np.uint8)
    mask[10:20, 30:40] = 1
    pipe = ak.Compose([I.Pad(padding_px=(4, 2, 0, 0)), I.Crop(x_min=10, y_min=0, x_max=64, y_max=42),
                       I.Resize(height=21, width=27)], keypoints_outside="flag")
    out = pipe(image=img, mask=mask, bboxes=[[30, 10, 40, 20]], bbox_format="pascal_voc",
               keypoints=[[35.0, 15.0], [1.0, 1.0]])
    # pad: +4, +2; crop: -10, -0; resize: x * 27/54, y * 21/42
    assert np.allclose(out["bboxes"], [[(30 + 4 - 10) / 2, (10 + 2) / 2, (40 + 4 - 10) / 2, (20 + 2) / 2]])
    assert np.allclose(out["keypoints"][0], [(35 + 4 - 10) / 2, (15 + 2) / 2])
    assert out["keypoints_visible"].tolist() == [True, False]          # (1, 1) was cropped away
    ys, xs = np.nonzero(out["mask"])
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (12, 17, 6, 11)


def test_boxes_cut_by_a_crop_are_clipped_or_dropped_with_their_labels():
    x = np.zeros((1, 50, 50, 3), np.uint8)
    pipe = ak.Compose([I.Crop(x_min=0, y_min=0, x_max=30, y_max=30)], bbox_min_visibility=0.2)
    out = pipe(image=x, bboxes=[[[20, 20, 40, 40], [0, 0, 10, 10], [28, 0, 48, 10]]], bbox_labels=[["a", "b", "c"]],
               bbox_format="pascal_voc")
    assert out["bboxes"][0].tolist() == [[20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 10.0]]  # a keeps 25%, c 10%
    assert out["bbox_labels"] == [["a", "b"]]


def test_yolo_boxes_are_normalised_to_the_new_canvas():
    out = I.Resize(height=20, width=40)(image=np.zeros((10, 10), np.uint8), bboxes=[[0.5, 0.5, 0.2, 0.4]],
                                        bbox_format="yolo")
    assert np.allclose(out["bboxes"], [[0.5, 0.5, 0.2, 0.4]])


def test_later_transforms_draw_for_the_new_size():
    pipe = ak.Compose([I.Resize(height=10, width=12), I.RandomCrop(height=10, width=12), I.Rotate()])
    out = pipe(image=np.zeros((3, 50, 50, 3), np.uint8), rng=0)
    assert out["image"].shape == (3, 10, 12, 3)
    params = pipe.draw_params((50, 50, 3), rng=0)
    assert params["children"][1]["x0"].tolist() == [0]
    cifar = ak.Compose([I.Pad(padding_px=4, border_mode="reflect"), I.RandomCrop(height=32, width=32),
                        I.HorizontalFlip()])
    assert cifar(image=np.zeros((8, 32, 32, 3), np.uint8), rng=0)["image"].shape == (8, 32, 32, 3)


def test_geometry_before_a_crop_is_resampled_first():
    x = photo_batch(n=2, h=32, w=32)
    rot = I.Rotate(degrees_range=(15, 15))
    res = ak.Compose([rot, I.CenterCrop(height=16, width=16)])(image=x, rng=3)
    assert np.array_equal(res["image"], rot(image=x)["image"][:, 8:24, 8:24])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"p must be 1\.0"):
        I.RandomCrop(height=4, width=4, p=0.5)
    with pytest.raises(ValueError, match="does not fit in 10x10"):
        I.RandomCrop(height=12, width=4)(image=np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="x_max=12"):
        I.Crop(x_min=0, y_min=0, x_max=12, y_max=4)(image=np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="x_max"):
        I.Crop(x_min=5, y_min=0, x_max=5, y_max=4)
    with pytest.raises(ValueError, match="must apply to every sample"):
        ak.Compose([ak.OneOf([I.CenterCrop(height=4, width=4), I.Resize(height=4, width=4)])])(
            image=np.zeros((6, 10, 10, 1), np.uint8), rng=0)
    with pytest.raises(ValueError, match="padding_px"):
        I.Pad(padding_px=(1, 2, 3))
    with pytest.raises(ValueError, match="interpolation"):
        I.Resize(height=4, width=4, interpolation="cubic")
    with pytest.raises(ValueError, match="scale_range"):
        I.RandomResizedCrop(height=4, width=4, scale_range=(0.0, 1.0))


def test_float_images_and_read_only_inputs():
    x = photo_batch(n=2).astype(np.float32) / 255
    x.setflags(write=False)
    for t in (I.RandomCrop(height=20, width=20), I.Pad(padding_px=3, fill=1.0), I.Resize(height=7, width=9),
              I.RandomResizedCrop(height=9, width=9, interpolation="area")):
        out = t(image=x, rng=0)["image"]
        assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1


def _scattered_boxes(rng, n, h, w):
    boxes = []
    for _ in range(n):
        b = []
        for _ in range(int(rng.integers(0, 4))):
            x0, y0 = rng.uniform(0, w - 4), rng.uniform(0, h - 4)
            b.append([x0, y0, min(w, x0 + rng.uniform(2, 25)), min(h, y0 + rng.uniform(2, 25))])
        boxes.append(np.array(b).reshape(-1, 4))
    return boxes


def test_bbox_safe_crop_keeps_every_box_whole_and_maps_it_exactly():
    rng = np.random.default_rng(0)
    n, h, w = 300, 60, 80
    x = photo_batch(n=n, h=h, w=w)
    boxes = _scattered_boxes(rng, n, h, w)
    pts = [rng.uniform(0, [w, h], (2, 2)) for _ in range(n)]
    t = I.RandomSizedBBoxSafeCrop(height=32, width=48, keep_aspect_ratio=False)  # (albumentations' rule)
    out = ak.Compose([t], keypoints_outside="flag")(image=x, bboxes=boxes, keypoints=pts, rng=1, return_params=True)
    region = out["params"]["children"][0]["box"]
    reach = {"left": [], "right": []}
    for i in range(n):
        x0, y0, x1, y1 = region[i]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h and float(x0).is_integer() and float(y1).is_integer()
        scale = np.array([48 / (x1 - x0), 32 / (y1 - y0)] * 2)
        np.testing.assert_allclose(out["bboxes"][i], (boxes[i] - [x0, y0, x0, y0]) * scale, atol=1e-9)
        np.testing.assert_allclose(out["keypoints"][i], (pts[i] - [x0, y0]) * scale[:2], atol=1e-9)
        if len(boxes[i]):
            ux0, ux1 = boxes[i][:, 0].min(), boxes[i][:, 2].max()
            assert x0 <= ux0 and x1 >= ux1
            reach["left"].append(x0 / ux0 if ux0 >= 1 else 0.5)
            reach["right"].append((x1 - ux1) / (w - ux1) if w - ux1 >= 1 else 0.5)
        else:  # no boxes: the whole image (erosion 0)
            assert (x0, y0, x1, y1) == (0, 0, w, h)
    for side in reach.values():  # uniform between the canvas edge and the boxes
        assert min(side) < 0.1 and max(side) > 0.9 and abs(np.mean(side) - 0.5) < 0.1


def test_bbox_safe_crop_sees_the_boxes_after_queued_geometry_and_erodes():
    rng = np.random.default_rng(1)
    n, h, w = 100, 48, 64
    x, boxes = photo_batch(n=n, h=h, w=w), _scattered_boxes(rng, n, h, w)
    rotate = I.Rotate(degrees_range=(-20, 20))
    before = ak.Compose([rotate], bbox_min_visibility=0.0)(image=x, bboxes=boxes, rng=2)["bboxes"]
    after = ak.Compose([rotate, I.RandomSizedBBoxSafeCrop(height=24, width=24)], bbox_min_visibility=0.0)(
        image=x, bboxes=boxes, rng=2)["bboxes"]
    assert [len(b) for b in after] == [len(b) for b in before]   # nothing cut away, rotated boxes included
    eroded = I.RandomSizedBBoxSafeCrop(height=24, width=24, erosion_fraction=0.6, keep_aspect_ratio=False)
    res = eroded(image=x, bboxes=boxes, rng=3, return_params=True)
    region = res["params"]["children"][0]["box"]
    cut = 0
    for i in range(n):
        if not len(boxes[i]):
            ch, cw = region[i, 3] - region[i, 1], region[i, 2] - region[i, 0]
            assert 0.4 * h - 1 <= ch <= h and abs(cw / ch - w / h) < 0.1   # the image's aspect ratio
            continue
        u = np.r_[boxes[i][:, :2].min(axis=0), boxes[i][:, 2:].max(axis=0)]
        size = u[2:] - u[:2]
        inner = np.r_[u[:2] + 0.3 * size, u[2:] - 0.3 * size]   # the union eroded by 60%
        assert (region[i, :2] <= np.floor(inner[:2]) + 1e-9).all() and (region[i, 2:] >= inner[2:] - 1e-9).all()
        cut += bool((region[i, :2] > u[:2]).any() or (region[i, 2:] < u[2:]).any())
    assert cut > 10   # erosion lets the region cut into the outer boxes
    with pytest.raises(ValueError, match="erosion_fraction"):
        I.RandomSizedBBoxSafeCrop(height=8, width=8, erosion_fraction=1.0)


def test_region_resize_repeats_the_regions_own_border_on_both_backends():
    """Upscaling a crop: samples beyond the region's edge repeat its border pixel (cv2.resize of the
    crop), on the NumPy path too (it used to read the image's pixels next to the region)."""
    from augkit.kernels.backend import use_backend
    from augkit.kernels.canvas import resize_region_image

    x = photo_batch(n=3, h=20, w=24)
    boxes = np.array([[3, 2, 9, 17], [0, 0, 24, 20], [10, 5, 24, 9]], float)
    for backend in ("numpy", "opencv"):
        with use_backend(backend):
            out = resize_region_image(x, boxes, (30, 31))
        for i, (x0, y0, x1, y1) in enumerate(boxes.astype(int).tolist()):
            ref = cv2.resize(x[i, y0:y1, x0:x1], (31, 30), interpolation=cv2.INTER_LINEAR)
            assert np.abs(out[i].astype(int) - ref.astype(int)).max() <= 1, (backend, i)


@pytest.mark.parametrize("border_mode", ["constant", "reflect"])
def test_pad_if_needed_matches_albumentations_and_leaves_large_sides_alone(border_mode):
    cv_mode = {"constant": cv2.BORDER_CONSTANT, "reflect": cv2.BORDER_REFLECT_101}[border_mode]
    for h, w in ((10, 7), (30, 7), (10, 40), (33, 41)):
        x = photo_batch(n=2, h=h, w=w)
        out = I.PadIfNeeded(min_height=24, min_width=31, border_mode=border_mode, fill=(9, 99, 199))(
            image=x, bboxes=[[[1, 2, 5, 6]]] * 2, keypoints=[[[0.5, 0.5]]] * 2)
        ref = A.PadIfNeeded(min_height=24, min_width=31, border_mode=cv_mode, fill=(9, 99, 199), p=1)(image=x[0])
        assert out["image"].shape[1:3] == ref["image"].shape[:2] == (max(h, 24), max(w, 31))
        assert np.array_equal(out["image"][0], ref["image"])
        top, left = (max(h, 24) - h) // 2, (max(w, 31) - w) // 2
        np.testing.assert_allclose(out["bboxes"][1], [[1 + left, 2 + top, 5 + left, 6 + top]])
        np.testing.assert_allclose(out["keypoints"][0], [[0.5 + left, 0.5 + top]])


def test_pad_if_needed_divisor_and_positions():
    x = photo_batch(n=200, h=10, w=13)
    mask = np.ones((200, 10, 13), np.uint8)
    t = I.PadIfNeeded(min_height=12, min_width=1, divisor_px=8, position="random", fill=0, fill_mask=7)
    res = ak.Compose([t])(image=x, mask=mask, rng=0, return_params=True)
    assert res["image"].shape[1:3] == (16, 16)
    p = res["params"]["children"][0]
    assert set(p["left"].tolist()) == set(range(4)) and set(p["top"].tolist()) == set(range(7))
    for i in range(200):
        left, top = int(p["left"][i]), int(p["top"][i])
        assert np.array_equal(res["image"][i, top:top + 10, left:left + 13], x[i])
        assert res["mask"][i].sum() == 10 * 13 + 7 * (16 * 16 - 10 * 13)   # fill_mask outside
    corner = I.PadIfNeeded(min_height=12, min_width=15, position="top_left")(image=x[:1])["image"][0]
    assert np.array_equal(corner[:10, :13], x[0]) and not corner[10:].any() and not corner[:, 13:].any()
    with pytest.raises(ValueError, match="position"):
        I.PadIfNeeded(position="middle")
    with pytest.raises(ValueError, match="PadIfNeeded"):
        I.RandomCrop(height=20, width=20)(image=x[0])


def test_bbox_safe_crop_keeps_the_output_aspect_ratio_and_every_box():
    """keep_aspect_ratio (the default): regions have the output's aspect (to a pixel) wherever one
    can hold the boxes, so objects are zoomed, not stretched; every box is kept and mapped."""
    rng = np.random.default_rng(2)
    n, h, w = 300, 60, 80
    x, boxes = photo_batch(n=n, h=h, w=w), _scattered_boxes(rng, n, h, w)
    t = I.RandomSizedBBoxSafeCrop(height=30, width=40)            # aspect 4:3, as the image
    out = t(image=x, bboxes=boxes, rng=5, return_params=True)
    region = out["params"]["children"][0]["box"]
    widths = region[:, 2] - region[:, 0]
    for i in range(n):
        x0, y0, x1, y1 = region[i]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert abs((x1 - x0) - (y1 - y0) * 4 / 3) <= 3.0            # 4:3 to within whole-pixel rounding
        scale = np.array([40 / (x1 - x0), 30 / (y1 - y0)] * 2)
        np.testing.assert_allclose(out["bboxes"][i], (boxes[i] - [x0, y0, x0, y0]) * scale, atol=1e-9)
        if len(boxes[i]):
            assert (region[i, :2] <= boxes[i][:, :2].min(axis=0)).all()
            assert (region[i, 2:] >= boxes[i][:, 2:].max(axis=0)).all()
    assert widths.min() < 40 and widths.max() == 80                  # zoomed in, and not
    tall = I.RandomSizedBBoxSafeCrop(height=40, width=10)             # a narrow output: no region of 1:4 holds
    res = tall(image=x[:1], bboxes=[[[5, 5, 75, 20]]], rng=0, return_params=True)   # a wide box
    assert len(res["bboxes"][0]) == 1                                # (the free rule then: the box still kept)
    with pytest.raises(TypeError, match="keep_aspect_ratio"):
        I.RandomSizedBBoxSafeCrop(height=8, width=8, keep_aspect_ratio=1)
