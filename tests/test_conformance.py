"""The conformance suite, run over every registered transform.

Every concrete transform in augkit must have an entry in EXAMPLE_ARGS; the guard test
fails when one is added without it.
"""

from __future__ import annotations

import numpy as np
import pytest

import augkit as ak
import augkit.interop  # registers the albumentations wrapper, so the guard below sees it
from augkit.core.transform import registry
from augkit.testing import conformance as C

I = ak.image

#: Constructor arguments for each registered transform (p=1 so that the checks bite).
EXAMPLE_ARGS = {
    "Rotate": lambda: I.Rotate(degrees_range=(-40, 40)),
    "Scale": lambda: I.Scale(scale_range=(0.7, 1.3)),
    "Affine": lambda: I.Affine(degrees_range=(-20, 20), scale_range=(0.8, 1.2), translate_range=(-0.1, 0.1),
                               shear_degrees_range=(-10, 10), shear_y_degrees_range=(-5, 5)),
    "Perspective": lambda: I.Perspective(distortion_range=(0.05, 0.2), border_mode="reflect"),
    "HorizontalFlip": lambda: I.HorizontalFlip(p=0.5),
    "VerticalFlip": lambda: I.VerticalFlip(p=1.0),
    "RandomRotate90": lambda: I.RandomRotate90(p=0.8),
    "Transpose": lambda: I.Transpose(p=0.5),
    "GridWarp": lambda: I.GridWarp(num_steps=4, distort_limit=0.4, border_mode="edge"),
    "ElasticWarp": lambda: I.ElasticWarp(alpha=20.0, sigma=4.0),
    "Contrast": lambda: I.Contrast(factor_range=(0.3, 1.8)),
    "Brightness": lambda: I.Brightness(delta_range=(-0.3, 0.3)),
    "Gamma": lambda: I.Gamma(gamma_range=(0.5, 2.0)),
    "Invert": lambda: I.Invert(p=0.7),
    "ToGray": lambda: I.ToGray(p=0.7),
    "Posterize": lambda: I.Posterize(bits_range=(1, 6)),
    "Equalize": lambda: I.Equalize(p=0.8),
    "GaussianBlur": lambda: I.GaussianBlur(sigma_range=(0.3, 2.5)),
    "ChromaticAberration": lambda: I.ChromaticAberration(magnification_range=(-0.05, 0.05), p=0.8),
    "Sharpen": lambda: I.Sharpen(sigma_range=(0.3, 2.5), amount_range=(0.2, 3.0), p=0.8),
    "GaussianNoise": lambda: I.GaussianNoise(std_range=(0.02, 0.2)),
    "Shadow": lambda: I.Shadow(darkness_range=(0.2, 0.9), edges_range=(1, 4), p=0.8),
    "Illumination": lambda: I.Illumination(gradient_range=(0.2, 1.0), vignette_range=(0.1, 0.6)),
    "SensorNoise": lambda: I.SensorNoise(white_photons_range=(20, 500), read_noise_range=(0.0, 0.01)),
    "SaltPepper": lambda: I.SaltPepper(amount_range=(0.05, 0.3)),
    "JpegCompression": lambda: I.JpegCompression(quality_range=(10, 90)),
    "MotionBlur": lambda: I.MotionBlur(length_px_range=(3, 9), angle_degrees_range=(0, 180)),
    "Erode": lambda: I.Erode(radius_px_range=(1, 3)),
    "Defocus": lambda: I.Defocus(radius_px_range=(1, 4)),
    "ColorJitter": lambda: I.ColorJitter(hue_degrees_range=(-40, 40), saturation_range=(0.3, 1.7)),
    "Downscale": lambda: I.Downscale(scale_range=(0.2, 0.9)),
    "Dilate": lambda: I.Dilate(radius_px_range=(1, 2), p=0.8),
    "CoarseDropout": lambda: I.CoarseDropout(holes_range=(0, 4), size_fraction_range=(0.1, 0.4), fill="random"),
    "CLAHE": lambda: I.CLAHE(clip_limit_range=(5.0, 40.0), tile_grid_size=(2, 2)),  # tiles of 120 px: limits 2-18
    "PiecewiseAffine": lambda: I.PiecewiseAffine(scale_range=(0.02, 0.06), num_rows=3, num_cols=5, p=0.8),
    "OpticalDistortion": lambda: I.OpticalDistortion(distortion_range=(-0.5, 0.5), p=0.8),
    "Crop": lambda: I.Crop(x_min=2, y_min=3, x_max=15, y_max=20),
    "CenterCrop": lambda: I.CenterCrop(height=15, width=11),
    "RandomCrop": lambda: I.RandomCrop(height=16, width=12),
    "Pad": lambda: I.Pad(padding_px=(1, 2, 3, 4), border_mode="reflect"),
    "PadIfNeeded": lambda: I.PadIfNeeded(min_height=29, min_width=25, position="random", border_mode="reflect"),
    "Resize": lambda: I.Resize(height=30, width=17),
    "LongestMaxSize": lambda: I.LongestMaxSize(max_size_px=40, interpolation="area"),
    "SmallestMaxSize": lambda: I.SmallestMaxSize(max_size_px=13),
    "RandomResizedCrop": lambda: I.RandomResizedCrop(height=16, width=16, scale_range=(0.3, 1.0)),
    "RandomSizedBBoxSafeCrop": lambda: I.RandomSizedBBoxSafeCrop(height=18, width=14, erosion_fraction=0.5),
    "Albumentations": lambda: __import__("augkit.interop", fromlist=["x"]).Albumentations(
        transform=__import__("albumentations").Blur(blur_limit=(3, 7)), p=0.8),
    "Compose": lambda: ak.Compose([I.Rotate(degrees_range=(-20, 20)), I.Contrast(), I.Scale()]),
    "OneOf": lambda: ak.OneOf([I.GridWarp(), I.Gamma(), I.Affine(translate_range=(-0.2, 0.2))], weights=[1, 2, 1]),
    "SomeOf": lambda: ak.SomeOf([I.Scale(), I.Brightness(), I.HorizontalFlip(p=1)], n=(1, 2)),
}


#: Transforms that need square images: their checks run on 24x24 images (else 24x20).
SQUARE = {"RandomRotate90", "Transpose"}


def size_of(name: str) -> tuple[int, int]:
    """The test image size for EXAMPLE_ARGS[name]: square where it needs one."""
    return (24, 24) if name in SQUARE else C.SIZE


def augkit_transforms() -> list[str]:
    return sorted(name for name, cls in registry().items()
                  if cls.__module__.startswith("augkit.") and not name.startswith("audio."))


def test_every_registered_transform_has_an_example():
    missing = sorted(set(augkit_transforms()) - set(EXAMPLE_ARGS))
    assert not missing, f"add these transforms to EXAMPLE_ARGS in tests/test_conformance.py: {missing}"
    stale = sorted(set(EXAMPLE_ARGS) - set(augkit_transforms()))
    assert not stale, f"EXAMPLE_ARGS names transforms that are not registered: {stale}"


CHECKS = [
    C.check_batch_equals_per_sample,
    C.check_p_zero_is_identity,
    C.check_seed_determinism,
    C.check_dtypes_and_shapes,
    C.check_float_range,
    C.check_no_mutation,
    C.check_memory_layouts,
    C.check_round_trips,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(EXAMPLE_ARGS))
def test_conformance(name, check):
    check(EXAMPLE_ARGS[name](), size=size_of(name))


@pytest.mark.parametrize("name", sorted(EXAMPLE_ARGS))
def test_float_batch_equals_per_sample(name):
    h, w = size_of(name)
    C.check_batch_equals_per_sample(EXAMPLE_ARGS[name](), C.make_batch(n=3, height=h, width=w, channels=1,
                                                                        dtype=np.float32))


#: Transforms that draw nothing (VerticalFlip(p=1), fixed crops, pads and resizes).
DETERMINISTIC = {"VerticalFlip", "Crop", "CenterCrop", "Pad", "Resize", "LongestMaxSize", "SmallestMaxSize"}
RANDOM = sorted(set(EXAMPLE_ARGS) - DETERMINISTIC)


@pytest.mark.parametrize("name", RANDOM)
def test_parameters_are_independent_per_sample(name):
    """Identical images in a batch come out different: each sample has its own draw."""
    h, w = size_of(name)
    x = np.repeat(C.make_batch(n=1, height=h, width=w), 32, axis=0)  # p=0.8 alone: all 32 active has odds 1e-3
    out = EXAMPLE_ARGS[name]()(image=x, rng=0)["image"]
    distinct = {out[i].tobytes() for i in range(len(out))}
    assert len(distinct) > 1


@pytest.mark.parametrize("name", RANDOM)
def test_different_seeds_differ(name):
    h, w = size_of(name)
    x = C.make_batch(n=6, height=h, width=w)
    t = EXAMPLE_ARGS[name]()
    assert not np.array_equal(t(image=x, rng=1)["image"], t(image=x, rng=2)["image"])


#: Pixel transforms that act on an alpha channel like on the others (they move or blur what
#: the pixels show); every other pixel transform leaves alpha as it is.
SPATIAL_PIXEL = {"GaussianBlur", "MotionBlur", "Defocus", "Erode", "Dilate", "Downscale", "CoarseDropout"}


def _colour_and_noise() -> list[str]:
    from augkit.core.transform import PixelTransform

    return sorted(n for n in EXAMPLE_ARGS if n not in SPATIAL_PIXEL | {"Albumentations"}
                  and isinstance(EXAMPLE_ARGS[n](), PixelTransform))


@pytest.mark.parametrize("name", _colour_and_noise())
def test_colour_and_noise_transforms_leave_alpha_alone(name):
    t = EXAMPLE_ARGS[name]()
    for dtype in (np.uint8, np.float32):
        for channels in (2, 4):
            x = C.make_batch(n=3, channels=channels, dtype=dtype)
            x[..., -1] = C.make_batch(n=3, channels=1, dtype=dtype, seed=9)[..., 0]
            out = t(image=x, rng=0)["image"]
            assert np.array_equal(out[..., -1], x[..., -1]), (name, dtype, channels)
