"""albumentations interop: its transforms inside augkit, augkit inside A.Compose, pipeline conversion."""

from __future__ import annotations

import numpy as np
import pytest

import augkit as ak
from augkit.interop import Albumentations, UnsupportedTransforms, from_albumentations, to_albumentations
from augkit.testing.conformance import make_batch

A = pytest.importorskip("albumentations")


def test_wrapped_transform_gives_albumentations_own_output_per_sample():
    x = make_batch(n=4)
    t = Albumentations(transform=A.GaussNoise(std_range=(0.05, 0.2)))
    out = t(image=x, rng=2, return_params=True)
    seeds = out["params"]["children"][0]["seed"]
    ref = A.GaussNoise(std_range=(0.05, 0.2), p=1)
    for img, seed, got in zip(x, seeds, out["image"], strict=True):
        ref.set_random_seed(int(seed))
        np.testing.assert_array_equal(got, ref(image=img)["image"])
    assert len({o.tobytes() for o in out["image"]}) == 4  # a draw per sample


def test_wrapped_transform_keeps_targets_and_refuses_geometric_ones():
    x = make_batch(n=2)
    out = Albumentations(transform=A.RandomGamma())(image=x, bboxes=[[[1, 2, 10, 12]]] * 2, rng=0)
    np.testing.assert_array_equal(out["bboxes"][0], [[1, 2, 10, 12]])
    with pytest.raises(TypeError, match="pixel-level"):
        Albumentations(transform=A.Rotate())
    original = A.Blur(p=0.3)
    Albumentations(transform=original)
    assert original.p == 0.3  # the caller's object is left as it was


def test_augkit_pipeline_inside_albumentations_compose():
    x = make_batch(n=1)[0]
    comp = A.Compose([A.HorizontalFlip(p=1), to_albumentations(ak.Compose([ak.image.Invert()]))], seed=0)
    np.testing.assert_array_equal(comp(image=x)["image"], 255 - x[:, ::-1])
    rot = lambda: A.Compose([to_albumentations(ak.Compose([ak.image.Rotate()]))], seed=5)  # noqa: E731
    a, b = rot()(image=x)["image"], rot()(image=x)["image"]
    np.testing.assert_array_equal(a, b)  # reproducible from the A.Compose seed
    c = rot()
    assert not np.array_equal(c(image=x)["image"], c(image=x)["image"])  # and drawn per call


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_albumentations_files_convert_and_the_rest_is_named(tmp_path, suffix):
    comp = A.Compose([
        A.OneOf([A.Rotate(limit=20, p=1), A.Affine(scale=(0.9, 1.1), rotate=(-5, 5), p=1)], p=0.7),
        A.RandomBrightnessContrast(brightness_limit=0.1, contrast_limit=0.3, p=0.5),
        A.GaussNoise(std_range=(0.01, 0.05), p=0.2),
        A.CLAHE(p=0.1),
    ])
    path = tmp_path / f"pipe{suffix}"
    A.save(comp, str(path), data_format=suffix.lstrip("."))
    with pytest.raises(UnsupportedTransforms, match="CLAHE"):
        from_albumentations(path)
    pipe, missing = from_albumentations(path, strict=False)
    assert missing == ["CLAHE"]
    one_of, bc, noise = pipe.transforms
    assert isinstance(one_of, ak.OneOf) and one_of.p == 0.7
    assert one_of.transforms[0].degrees_range == (-20.0, 20.0)
    assert one_of.transforms[1].scale_range == (0.9, 1.1) and one_of.transforms[1].degrees_range == (-5.0, 5.0)
    assert bc.transforms[0].delta_range == (-0.1, 0.1) and bc.transforms[1].factor_range == (0.7, 1.3)
    assert noise.std_range == (0.01, 0.05) and noise.p == 0.2
    assert pipe(image=make_batch(n=3), rng=0)["image"].shape == (3, 24, 20, 3)


def test_converted_deterministic_transforms_match_albumentations():
    x = make_batch(n=1)[0]
    for a in (A.HorizontalFlip(p=1), A.VerticalFlip(p=1), A.InvertImg(p=1)):
        pipe, _ = from_albumentations(A.Compose([a]))
        np.testing.assert_array_equal(pipe(image=x)["image"], A.Compose([a])(image=x)["image"])
