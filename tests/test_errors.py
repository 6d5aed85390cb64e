"""Bad input raises TypeError/ValueError naming the argument and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

import augkit as ak

I = ak.image
IMG = np.zeros((16, 16, 3), np.uint8)


@pytest.mark.parametrize("make, exc, match", [
    (lambda: I.Rotate(degrees_range=(30, -30)), ValueError, "degrees_range"),
    (lambda: I.Rotate(degrees_range=(1, 2, 3)), ValueError, "degrees_range"),
    (lambda: I.Rotate(degrees_range=30), TypeError, "degrees_range"),
    (lambda: I.Rotate(degrees_range=("a", 1)), TypeError, r"degrees_range\[0\]"),
    (lambda: I.Rotate(degrees_range=(float("nan"), 1)), ValueError, "finite"),
    (lambda: I.Scale(scale_range=(0, 1)), ValueError, "scale_range"),
    (lambda: I.Rotate(p=1.5), ValueError, "p must be"),
    (lambda: I.Rotate(interpolation="cubic"), ValueError, "interpolation"),
    (lambda: I.Rotate(border_mode="wrap"), ValueError, "border_mode"),
    (lambda: I.Rotate(fill="black"), TypeError, "fill"),
    (lambda: I.Affine(shear_degrees_range=(-95, 0)), ValueError, "shear_degrees_range"),
    (lambda: I.Affine(translate_range=(-2, 0)), ValueError, "translate_range"),
    (lambda: I.Perspective(distortion_range=(0, 0.6)), ValueError, "distortion_range"),
    (lambda: I.GridWarp(num_steps=0), ValueError, "num_steps"),
    (lambda: I.GridWarp(num_steps=2.5), TypeError, "num_steps"),
    (lambda: I.GridWarp(distort_limit=0.7), ValueError, "distort_limit"),
    (lambda: I.ElasticWarp(sigma=0), ValueError, "sigma"),
    (lambda: I.Contrast(factor_range=(-1, 1)), ValueError, "factor_range"),
    (lambda: I.Gamma(gamma_range=(0, 1)), ValueError, "gamma_range"),
    (lambda: I.Brightness(delta_range=(-2, 0)), ValueError, "delta_range"),
    (lambda: I.HorizontalFlip(symmetric_labels="AOX"), TypeError, "symmetric_labels"),
    (lambda: I.Rotate(bogus=1), TypeError, "bogus"),
    (lambda: ak.Compose(I.Rotate()), TypeError, "transforms"),
    (lambda: ak.Compose([I.Rotate(), "flip"]), TypeError, r"transforms\[1\]"),
    (lambda: ak.Compose([], seed=-1), ValueError, "seed"),
    (lambda: ak.Compose([], keypoints_outside="clip"), ValueError, "keypoints_outside"),
    (lambda: ak.Compose([], bbox_min_visibility=2), ValueError, "bbox_min_visibility"),
    (lambda: ak.OneOf([]), ValueError, "at least one"),
    (lambda: ak.OneOf([I.Rotate()], weights=[1, 2]), ValueError, "weights"),
    (lambda: ak.OneOf([I.Rotate()], weights=[-1]), ValueError, "weights"),
    (lambda: ak.SomeOf([I.Rotate()], n=2), ValueError, "n must be <= 1"),
    (lambda: ak.SomeOf([I.Rotate(), I.Scale()], n=(2, 1)), ValueError, r"n\[1\]"),
])
def test_bad_configuration(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(image=None), TypeError, "image is required"),
    (dict(image=IMG.astype(np.float64)), TypeError, "uint8 or float32"),
    (dict(image=IMG.astype(np.int16)), TypeError, "uint8 or float32"),
    (dict(image="photo.png"), TypeError, "image must be a numpy array"),
    (dict(image=np.zeros((1, 2, 3, 4, 5), np.uint8)), ValueError, "2 .* 3 .* or 4"),
    (dict(image=np.zeros(5, np.uint8)), ValueError, "dimensions"),
    (dict(image=np.zeros((0, 5, 3), np.uint8)), ValueError, "empty"),
    (dict(image=np.full((4, 4), 2.0, np.float32)), ValueError, r"\[0, 1\]"),
    (dict(image=np.full((4, 4), np.nan, np.float32)), ValueError, "NaN"),
    (dict(image=[np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8)]), ValueError, r"image\[1\]"),
    (dict(image=[]), ValueError, "empty list"),
    (dict(image=IMG, mask=np.zeros((15, 16), np.uint8)), ValueError, "mask height/width"),
    (dict(image=IMG, mask=np.zeros((16, 16), np.complex64)), TypeError, "mask must have"),
    (dict(image=IMG[None].repeat(2, 0), mask=np.zeros((3, 16, 16), np.uint8)), ValueError, "mask has 3"),
    (dict(image=IMG, bboxes=[[1, 1, 5]]), ValueError, r"bboxes must have shape \(M, 4\)"),
    (dict(image=IMG, bboxes=[[5, 1, 1, 5]]), ValueError, "no area"),
    (dict(image=IMG, bboxes=[[1, 1, 50, 5]]), ValueError, "outside"),
    (dict(image=IMG, bboxes=[[0.95, 0.5, 0.2, 0.2]], bbox_format="yolo"), ValueError, "outside"),
    (dict(image=IMG, bboxes=[[1, 1, 5, 5]], bbox_format="xyxy"), ValueError, "bbox_format"),
    (dict(image=IMG, bboxes=[[1, 1, 5, 5]], bbox_labels=[1, 2]), ValueError, "bbox_labels has 2 labels"),
    (dict(image=IMG, bbox_labels=[1]), ValueError, "without bboxes"),
    (dict(image=IMG, keypoints=[[1, 2, 3]]), ValueError, r"keypoints must have shape \(M, 2\)"),
    (dict(image=IMG, keypoints=[[1, np.inf]]), ValueError, "NaN or infinite"),
    (dict(image=IMG[None].repeat(2, 0), keypoints=[[[1, 1]], [[2, np.nan]]]), ValueError,
     r"keypoints\[1\] contains NaN"),
    (dict(image=IMG[None].repeat(2, 0), bboxes=[[1, 1, 5, 5]]), ValueError, "one entry per image"),
    # in a batch, the message names the image and the box within it
    (dict(image=IMG[None].repeat(3, 0), bboxes=[[[1, 1, 5, 5]], [], [[1, 1, 5, 5], [5, 1, 1, 5]]]), ValueError,
     r"bboxes\[2\]\[1\] has no area"),
    (dict(image=IMG[None].repeat(2, 0), bboxes=[[[1, 1, 5, 5], [2, 2, 3, 3]], [[1, 1, 50, 5]]]), ValueError,
     r"bboxes\[1\]\[0\] = \[1.0, 1.0, 50.0, 5.0\] lies outside"),
    (dict(image=IMG[None].repeat(2, 0), bboxes=[[[1, 1, 5, 5]], [[1, np.nan, 5, 5]]]), ValueError,
     r"bboxes\[1\] contains NaN"),
    (dict(image=IMG[None].repeat(2, 0), label=[1, 2, 3]), ValueError, "one class label per image"),
])
def test_bad_call_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        I.Rotate()(**kwargs)


def test_unsupported_pil_mode():
    from PIL import Image

    with pytest.raises(ValueError, match="PIL mode 'I;16'"):
        I.Rotate()(image=Image.new("I;16", (4, 4)))


def test_from_dict_errors():
    with pytest.raises(ValueError, match="unknown transform type 'Twirl'"):
        ak.from_dict({"type": "Twirl"})
    with pytest.raises(ValueError, match="has no option"):
        ak.from_dict({"type": "Rotate", "angle": 3})
    with pytest.raises(ValueError, match="no 'type'"):
        ak.from_dict({"degrees_range": [1, 2]})
    with pytest.raises(ValueError, match="degrees_range"):
        ak.from_dict({"type": "Rotate", "degrees_range": [5, 1]})


def test_load_rejects_other_files(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="not an augkit pipeline"):
        ak.load(tmp_path / "x.json")


def test_transforms_are_frozen():
    t = I.Rotate()
    with pytest.raises(AttributeError):
        t.degrees_range = (0, 1)


def test_duplicate_registration_from_another_module_is_rejected():
    from dataclasses import dataclass

    from augkit.core.transform import PixelTransform

    with pytest.raises(TypeError, match="already registered"):
        @dataclass(frozen=True, kw_only=True)
        class Rotate(PixelTransform):  # deliberately clashes with augkit.image.Rotate
            pass


def test_a_torch_tensor_gets_a_hint_and_its_permuted_view_works():
    torch = pytest.importorskip("torch")
    chw = torch.arange(3 * 8 * 10, dtype=torch.uint8).reshape(3, 8, 10)
    with pytest.raises(TypeError, match=r"permute\(1, 2, 0\)\.numpy\(\)"):
        ak.image.Rotate()(image=chw)
    view = chw.permute(1, 2, 0).numpy()  # channels last, not C-contiguous
    assert not view.flags.c_contiguous
    rotate = ak.image.Rotate(degrees_range=(10, 10))
    np.testing.assert_array_equal(rotate(image=view)["image"], rotate(image=np.ascontiguousarray(view))["image"])
