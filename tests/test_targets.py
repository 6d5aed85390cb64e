"""Masks, boxes (three formats) and keypoints follow the geometry; filtering rules."""

from __future__ import annotations

import numpy as np
import pytest

import augkit as ak
from augkit.kernels.boxes import convert_boxes_from, convert_boxes_to

I = ak.image
pytestmark = pytest.mark.usefixtures("each_backend")


@pytest.mark.parametrize("fmt", ["pascal_voc", "coco", "yolo"])
def test_box_format_round_trip(fmt):
    rng = np.random.default_rng(0)
    h, w = 30, 50
    xy = np.sort(rng.uniform(0, 1, size=(10, 2, 2)), axis=1)
    voc = np.column_stack([xy[:, 0, 0] * w, xy[:, 0, 1] * h, xy[:, 1, 0] * w, xy[:, 1, 1] * h])
    boxes = convert_boxes_to(voc, fmt, h, w)
    assert np.allclose(convert_boxes_from(boxes, fmt, h, w), voc)


def test_box_formats_known_values():
    voc = np.array([[10.0, 20.0, 30.0, 60.0]])
    assert np.allclose(convert_boxes_to(voc, "coco", 100, 200), [[10, 20, 20, 40]])
    assert np.allclose(convert_boxes_to(voc, "yolo", 100, 200), [[0.1, 0.4, 0.1, 0.4]])


@pytest.mark.parametrize("fmt", ["pascal_voc", "coco", "yolo"])
def test_flip_in_every_format(fmt):
    h, w = 20, 40
    voc = np.array([[4.0, 2.0, 10.0, 8.0]])
    boxes = convert_boxes_to(voc, fmt, h, w)
    out = I.HorizontalFlip(p=1)(image=np.zeros((h, w), np.uint8), bboxes=boxes, bbox_format=fmt)
    assert np.allclose(convert_boxes_from(out["bboxes"], fmt, h, w), [[30.0, 2.0, 36.0, 8.0]])


def test_mask_uses_nearest_and_keeps_dtype_and_labels():
    mask = np.zeros((32, 32, 2), np.int32)
    mask[8:24, 8:24, 0] = 3
    mask[4:10, 20:30, 1] = 7
    out = I.Rotate(degrees_range=(20, 20))(image=np.zeros((32, 32, 3), np.uint8), mask=mask)
    assert out["mask"].dtype == np.int32 and out["mask"].shape == mask.shape
    assert set(np.unique(out["mask"][..., 0])) == {0, 3} and set(np.unique(out["mask"][..., 1])) <= {0, 7}


def test_mask_fill_value():
    mask = np.ones((10, 10), np.uint8)
    out = I.Scale(scale_range=(0.5, 0.5), fill_mask=255)(image=np.zeros((10, 10), np.uint8), mask=mask)
    assert out["mask"][0, 0] == 255 and out["mask"][5, 5] == 1


def test_boxes_clipped_and_dropped_by_visibility_with_labels():
    img = np.zeros((100, 100), np.uint8)
    boxes = [[0, 0, 40, 40], [60, 10, 100, 50], [80, 80, 100, 100]]
    t = I.Affine(translate_range=(-0.3, -0.3))  # everything moves 30 px up-left
    pipe = ak.Compose([t], bbox_min_visibility=0.5)
    out = pipe(image=img, bboxes=boxes, bbox_labels=["a", "b", "c"])
    # a: (-30,-30,10,10) keeps 100/1600; b: (30,-20,70,20) keeps 800/1600; c: fully inside
    assert out["bbox_labels"] == ["b", "c"]
    assert np.allclose(out["bboxes"], [[30, 0, 70, 20], [50, 50, 70, 70]])
    loose = ak.Compose([t], bbox_min_visibility=0.0)(image=img, bboxes=boxes, bbox_labels=["a", "b", "c"])
    assert loose["bbox_labels"] == ["a", "b", "c"] and np.allclose(loose["bboxes"][0], [0, 0, 10, 10])


def test_box_leaving_canvas_entirely_is_dropped():
    img = np.zeros((50, 50), np.uint8)
    out = I.Affine(translate_range=(-0.9, -0.9))(image=img, bboxes=[[0, 0, 10, 10]], bbox_labels=[1])
    assert out["bboxes"].shape == (0, 4) and out["bbox_labels"] == []


def test_min_area():
    img = np.zeros((50, 50), np.uint8)
    pipe = ak.Compose([I.Scale(scale_range=(0.5, 0.5))], bbox_min_area=30)
    out = pipe(image=img, bboxes=[[0, 0, 10, 10], [20, 20, 40, 40]], bbox_labels=[0, 1])
    assert out["bbox_labels"] == [1]  # 10x10 shrinks to 5x5 = 25 px^2 < 30; 20x20 -> 10x10 kept
    assert np.allclose(out["bboxes"], [[22.5, 22.5, 32.5, 32.5]])


def test_keypoints_drop_or_flag():
    img = np.zeros((40, 40), np.uint8)
    pts = [[5.0, 5.0], [20.0, 20.0], [38.0, 30.0]]
    t = I.Affine(translate_range=(0.1, 0.1))  # +4 px: the last one leaves
    dropped = ak.Compose([t])(image=img, keypoints=pts, keypoint_labels=["eye", "nose", "ear"])
    assert dropped["keypoint_labels"] == ["eye", "nose"]
    assert np.allclose(dropped["keypoints"], [[9, 9], [24, 24]])
    flagged = ak.Compose([t], keypoints_outside="flag")(image=img, keypoints=pts,
                                                        keypoint_labels=["eye", "nose", "ear"])
    assert flagged["keypoint_labels"] == ["eye", "nose", "ear"]
    assert flagged["keypoints_visible"].tolist() == [True, True, False]
    assert np.allclose(flagged["keypoints"][2], [42, 34])


def test_keypoint_that_left_stays_invisible():
    img = np.zeros((40, 40), np.uint8)
    t1, t2 = I.Affine(translate_range=(0.5, 0.5)), I.Affine(translate_range=(-0.5, -0.5))
    pipe = ak.Compose([t1, I.Brightness(), t2], keypoints_outside="flag")  # pixels are lost in between
    out = pipe(image=img, keypoints=[[30.0, 30.0], [5.0, 5.0]], rng=0)
    assert out["keypoints_visible"].tolist() == [False, True]
    assert np.allclose(out["keypoints"], [[30, 30], [5, 5]])


def test_batch_targets_are_lists_per_image():
    x = np.zeros((3, 20, 20, 3), np.uint8)
    boxes = [np.array([[1, 1, 5, 5]]), np.zeros((0, 4)), np.array([[2, 2, 8, 8], [10, 10, 19, 19]])]
    labels = [["a"], [], ["b", "c"]]
    out = I.HorizontalFlip(p=1)(image=x, bboxes=boxes, bbox_labels=labels, keypoints=[[[1, 1]], [], [[3, 4]]])
    assert [len(b) for b in out["bboxes"]] == [1, 0, 2] and out["bbox_labels"] == labels
    assert np.allclose(out["bboxes"][2], [[12, 2, 18, 8], [1, 10, 10, 19]])
    assert [len(k) for k in out["keypoints"]] == [1, 0, 1]


def test_grid_warp_identity_at_zero_limit():
    x = np.random.default_rng(0).integers(0, 255, (2, 16, 16, 3), dtype=np.uint8)
    out = I.GridWarp(distort_limit=0.0)(image=x, keypoints=[[[3.5, 4.5]], [[8.0, 8.0]]], rng=0)
    assert np.array_equal(out["image"], x) and np.allclose(out["keypoints"][0], [[3.5, 4.5]])


@pytest.mark.parametrize(("height", "width"), [(32, 32), (64, 48), (5, 9), (1, 7), (2, 2)])
@pytest.mark.parametrize("steps", [1, 3, 5, 8])
def test_grid_warp_keeps_the_frame_so_no_fill_bleeds_in(each_backend, height, width, steps):
    # edge nodes slide along the edge: every pixel reads from inside the image, so a flat image
    # stays exactly flat (the fill, 0 here, never mixes into the outermost pixels)
    x = np.full((4, height, width, 3), 200, np.uint8)
    for limit in (0.1, 0.3, 0.49):
        t = I.GridWarp(num_steps=steps, distort_limit=limit)
        out = t(image=x, rng=steps, return_params=True)
        assert np.array_equal(out["image"], x)
        from augkit.core.transform import Meta

        meta = Meta(n=4, height=height, width=width, channels=3, dtype=np.dtype(np.uint8))
        sx, sy = t.field(out["params"]["children"][0], meta).source_on_grid(height, width)
        eps = 1e-4
        assert sx.min() >= -eps and sx.max() <= width - 1 + eps and sy.min() >= -eps and sy.max() <= height - 1 + eps
        if steps > 1 and min(height, width) > 2 * steps:  # and the interior does move (one cell: corners only)
            assert np.abs(sx - np.arange(width)).max() > 0.05


def test_fast_grid_maps_equal_the_generic_field_evaluation():
    from augkit.kernels.fields import elastic_displacements, grid_node_displacements

    h, w = 21, 34
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    offsets = np.random.default_rng(0).uniform(-0.4, 0.4, (3, 5, 5, 2))
    for field in (grid_node_displacements(offsets, h, w),
                  elastic_displacements(np.array([4, 5, 6]), h, w, alpha=20.0, sigma=3.0)):
        fx, fy = field.source_on_grid(h, w)
        for i in range(3):
            sx, sy = field.source(xs, ys, np.full(xs.shape, i))
            assert np.allclose(fx[i], sx - 0.5, atol=1e-4) and np.allclose(fy[i], sy - 0.5, atol=1e-4)


@pytest.mark.parametrize("chain", ["rotate+scale", "perspective", "grid+rotate", "elastic", "flip", "resize"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_soft_masks_are_resampled_exactly_like_the_image(chain, dtype):
    # a soft mask equal to a grey image must come out equal to it: same maps, same interpolation
    transforms = {
        "rotate+scale": [I.Rotate(degrees_range=(-40, 40)), I.Scale(scale_range=(0.7, 1.3))],
        "perspective": [I.Perspective(distortion_range=(0.05, 0.15), border_mode="edge")],
        "grid+rotate": [I.GridWarp(num_steps=4, distort_limit=0.3), I.Rotate(degrees_range=(-20, 20))],
        "elastic": [I.ElasticWarp(alpha=20.0, sigma=4.0, border_mode="reflect")],
        "flip": [I.HorizontalFlip(p=0.5), I.VerticalFlip(p=0.5)],
        "resize": [I.Rotate(degrees_range=(-10, 10)), I.Resize(height=13, width=29)],
    }[chain]
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (6, 24, 20, 1)).astype(np.uint8)
    image = grey if dtype == np.uint8 else (grey / 255.0).astype(np.float32)
    pipe = ak.Compose(transforms, mask_interpolation="image")
    out = pipe(image=image, mask=image[..., 0], rng=3)
    assert out["mask"].dtype == image.dtype
    np.testing.assert_array_equal(out["mask"], out["image"][..., 0])
    # label masks (the default) are never blended: only values of the input appear
    labels = (grey[..., 0] // 64).astype(np.int64)
    plain = ak.Compose(transforms)(image=image, mask=labels, rng=3)["mask"]
    assert set(np.unique(plain)) <= set(np.unique(labels)) | {0}


def test_soft_masks_use_fill_mask_outside_and_refuse_label_dtypes():
    img = np.full((10, 10), 200, np.uint8)
    pipe = ak.Compose([I.Rotate(degrees_range=(45, 45), fill=0, fill_mask=255)], mask_interpolation="image")
    out = pipe(image=img, mask=np.zeros((10, 10), np.uint8), rng=0)
    assert out["image"][0, 0] == 0 and out["mask"][0, 0] == 255 and out["mask"][5, 5] == 0
    # a blended corner pixel lies strictly between the fill and the mask value
    assert ((out["mask"] > 0) & (out["mask"] < 255)).any()
    for bad in (np.zeros((10, 10), np.int32), np.zeros((10, 10), bool)):
        with pytest.raises(ValueError, match="mask_interpolation='image'"):
            pipe(image=img, mask=bad)
    with pytest.raises(ValueError, match="mask_interpolation"):
        ak.Compose([], mask_interpolation="bilinear")
    again = ak.from_dict(ak.to_dict(pipe))
    assert again.mask_interpolation == "image"


FACE = {"keypoints": [[10.5, 5.5], [30.5, 6.5], [20.0, 15.0]], "keypoint_labels": ["left_eye", "right_eye", "nose"]}
EYES = [("left_eye", "right_eye")]


def test_keypoint_flip_pairs_swap_the_mirrored_parts():
    # A face mirrored left-right: the point at the old right eye is now where a left eye is.
    x = np.zeros((20, 40, 3), np.uint8)
    out = ak.Compose([I.HorizontalFlip(p=1)], keypoint_flip_pairs=EYES)(image=x, **FACE)
    assert out["keypoint_labels"] == ["left_eye", "right_eye", "nose"]  # rows keep their labels ...
    np.testing.assert_allclose(out["keypoints"], [[40 - 30.5, 6.5], [40 - 10.5, 5.5], [20.0, 15.0]])  # ... new points
    plain = ak.Compose([I.HorizontalFlip(p=1)])(image=x, **FACE)  # without pairs: mirrored, not swapped
    np.testing.assert_allclose(plain["keypoints"], [[40 - 10.5, 5.5], [40 - 30.5, 6.5], [20.0, 15.0]])
    vertical = ak.Compose([I.VerticalFlip(p=1)], keypoint_flip_pairs=EYES)(image=x, **FACE)
    np.testing.assert_allclose(vertical["keypoints"], [[30.5, 20 - 6.5], [10.5, 20 - 5.5], [20.0, 5.0]])


@pytest.mark.parametrize("flips", [[I.HorizontalFlip(p=1), I.VerticalFlip(p=1)],   # a half turn: no mirror
                                   [I.HorizontalFlip(p=1), I.Rotate(degrees_range=(10, 10)), I.HorizontalFlip(p=1)]])
def test_keypoint_flip_pairs_leave_an_even_number_of_flips_alone(flips):
    x = np.zeros((20, 40, 3), np.uint8)
    with_pairs = ak.Compose(flips, keypoint_flip_pairs=EYES)(image=x, rng=0, **FACE)
    without = ak.Compose(flips)(image=x, rng=0, **FACE)
    np.testing.assert_array_equal(with_pairs["keypoints"], without["keypoints"])


def test_keypoint_flip_pairs_see_a_transpose_as_a_mirror_and_a_quarter_turn_as_not():
    x = np.zeros((40, 40, 3), np.uint8)
    for chain, mirrored in (([I.Transpose(p=1)], True), ([I.RandomRotate90(quarter_turns=(1,))], False),
                            ([I.RandomRotate90(quarter_turns=(3,)), I.Transpose(p=1)], True),
                            ([I.Transpose(p=1), I.HorizontalFlip(p=1)], False)):
        with_pairs = ak.Compose(chain, keypoint_flip_pairs=EYES)(image=x, **FACE)["keypoints"]
        plain = ak.Compose(chain)(image=x, **FACE)["keypoints"]
        np.testing.assert_array_equal(with_pairs, plain[[1, 0, 2]] if mirrored else plain)


def test_keypoint_flip_pairs_follow_each_sample_and_instance():
    # Two faces per image (the k-th left eye pairs with the k-th right eye), flips drawn per
    # sample with p = 0.5 inside a chain, keypoints outside the canvas flagged: the output with
    # pairs is the output without them, with each pair's rows (and visibility) exchanged in the
    # samples that were flipped.
    n = 12
    x = np.zeros((n, 30, 40, 3), np.uint8)
    pts = [[5.0, 5.0], [15.0, 5.0], [25.0, 8.0], [35.0, 8.0], [-3.0, 20.0], [10.0, 20.0]]
    labels = ["left_eye", "right_eye", "left_eye", "right_eye", "left_ear", "right_ear"]
    chain = [I.Rotate(degrees_range=(-10, 10)), ak.OneOf([I.HorizontalFlip(p=0.5), I.Scale()])]
    pairs = [("left_ear", "right_ear"), ("left_eye", "right_eye")]
    kw = dict(image=x, keypoints=[pts] * n, keypoint_labels=[labels] * n, rng=4, return_params=True)
    got = ak.Compose(chain, keypoint_flip_pairs=pairs, keypoints_outside="flag")(**kw)
    plain = ak.Compose(chain, keypoints_outside="flag")(**kw)
    one_of = plain["params"]["children"][1]
    flipped = one_of["children"][0]["active"] & one_of["children"][0]["flip"]
    assert 0 < flipped.sum() < n
    swap = [1, 0, 3, 2, 5, 4]
    for i in range(n):
        order = swap if flipped[i] else list(range(6))
        np.testing.assert_array_equal(got["keypoints"][i], plain["keypoints"][i][order])
        np.testing.assert_array_equal(got["keypoints_visible"][i], plain["keypoints_visible"][i][order])
        assert got["keypoint_labels"][i] == labels
    assert not got["keypoints_visible"][0][4] or not got["keypoints_visible"][0][5]  # the outside ear
    pipe = ak.Compose(chain, keypoint_flip_pairs=pairs, keypoints_outside="flag")
    again = pipe.replay(got["params"], image=x, keypoints=[pts] * n, keypoint_labels=[labels] * n)
    for a, b in zip(again["keypoints"], got["keypoints"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_keypoint_flip_pairs_errors():
    x = np.zeros((20, 40, 3), np.uint8)
    pipe = ak.Compose([I.HorizontalFlip(p=1)], keypoint_flip_pairs=EYES)
    with pytest.raises(ValueError, match="1 keypoints labelled 'left_eye' and 0 labelled 'right_eye'"):
        pipe(image=x, keypoints=[[1, 1]], keypoint_labels=["left_eye"])
    with pytest.raises(ValueError, match="pass keypoint_labels="):
        pipe(image=x, keypoints=[[1, 1], [2, 2]])
    assert pipe(image=x)["image"].shape == x.shape  # no keypoints: nothing to pair
    for bad, err in ((["left_eye"], ValueError), ([("a", "a")], ValueError), ([("a", "b"), ("b", "c")], ValueError),
                     ("ab", TypeError), ([("a", ["b"])], TypeError)):
        with pytest.raises(err, match="keypoint_flip_pairs"):
            ak.Compose([I.HorizontalFlip()], keypoint_flip_pairs=bad)


def test_keypoint_flip_pairs_survive_serialization():
    import pickle

    pipe = ak.Compose([I.HorizontalFlip(p=1)], keypoint_flip_pairs=[["left_eye", "right_eye"], (1, 2)])
    assert pipe.keypoint_flip_pairs == (("left_eye", "right_eye"), (1, 2))
    assert ak.from_dict(ak.to_dict(pipe)) == pipe == pickle.loads(pickle.dumps(pipe))


def test_batch_targets_may_be_arrays_with_one_row_per_image():
    x = np.zeros((3, 20, 24, 3), np.uint8)
    points = np.random.default_rng(0).uniform(2, 18, (3, 4, 2))
    boxes = np.tile(np.array([[2.0, 3.0, 12.0, 15.0], [5.0, 5.0, 9.0, 9.0]]), (3, 1, 1))
    labels = np.array([[1, 2], [3, 4], [5, 6]])
    t = I.Rotate(degrees_range=(-20, 20))
    arrays = t(image=x, keypoints=points, bboxes=boxes, bbox_labels=labels, rng=1)
    lists = t(image=x, keypoints=list(points), bboxes=list(boxes), bbox_labels=labels.tolist(), rng=1)
    for key in ("keypoints", "bboxes"):
        assert all(np.array_equal(a, b) for a, b in zip(arrays[key], lists[key], strict=True))
    assert [[int(v) for v in row] for row in arrays["bbox_labels"]] == lists["bbox_labels"]
    with pytest.raises(ValueError, match="an array of 3 rows"):
        t(image=x, keypoints=points[:2])
