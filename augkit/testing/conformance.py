"""Checks every augkit transform must pass; public so user transforms get the same checks.

Each ``check_*`` function raises ``AssertionError`` with a message on failure.

Examples
--------
>>> import augkit as ak
>>> check_transform(ak.image.Rotate(degrees_range=(-20, 20)))
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.pipeline import Compose
from ..core.serialize import from_dict, to_dict
from ..core.transform import CanvasTransform, Meta, Transform, take_params

__all__ = [
    "check_batch_equals_per_sample",
    "check_dtypes_and_shapes",
    "check_float_range",
    "check_memory_layouts",
    "check_no_mutation",
    "check_p_zero_is_identity",
    "check_round_trips",
    "check_seed_determinism",
    "check_transform",
    "make_batch",
]

Size = tuple[int, int]

#: Image size ``(height, width)`` of the checks' test batches: not square, so that a swapped
#: height and width shows. Transforms that need square images take ``size=(24, 24)``.
SIZE: Size = (24, 20)


def make_batch(n: int = 4, height: int = 24, width: int = 20, channels: int = 3,
               dtype: np.dtype | type = np.uint8, seed: int = 0) -> NDArray:
    """A smooth-plus-noise test batch ``(n, height, width, channels)`` (uint8 or float32 in [0, 1]).

    Examples
    --------
    >>> make_batch(n=2, channels=1, dtype=np.float32).shape
    (2, 24, 20, 1)
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = (np.sin(xx / 3.0)[..., None] + np.cos(yy / 4.0)[..., None] + 2.0) / 4.0
    data = np.clip(base[None] * 0.7 + rng.random((n, height, width, channels)) * 0.3, 0.0, 1.0)
    if np.dtype(dtype) == np.uint8:
        return np.round(data * 255).astype(np.uint8)
    return data.astype(np.float32)


def _targets(n: int, height: int, width: int) -> dict[str, Any]:
    mask = np.zeros((n, height, width), np.uint8)
    mask[:, height // 4: 3 * height // 4, width // 4: 3 * width // 4] = 1
    box = [width * 0.25, height * 0.25, width * 0.75, height * 0.75]
    return {
        "mask": mask,
        "bboxes": [np.array([box])] * n,
        "bbox_labels": [[7]] * n,
        "keypoints": [np.array([[width * 0.5, height * 0.5], [width * 0.3, height * 0.6]])] * n,
    }


def _equal_outputs(a: dict, b: dict, what: str) -> None:
    for key in ("image", "mask"):
        if key in a:
            assert np.array_equal(np.asarray(a[key]), np.asarray(b[key])), f"{what}: {key!r} differs"
    for key in ("bboxes", "keypoints"):
        if key in a:
            for x, y in zip(a[key], b[key], strict=True):
                assert np.allclose(x, y, atol=1e-6, equal_nan=True), f"{what}: {key!r} differ"


def check_batch_equals_per_sample(t: Transform, batch: NDArray | None = None, *, size: Size = SIZE) -> None:
    """A batch call equals per-sample replays of the same params, targets included.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_batch_equals_per_sample(ak.image.GaussianBlur())
    """
    x = make_batch(height=size[0], width=size[1]) if batch is None else batch
    n, h, w = x.shape[:3]
    pipe = Compose([t])
    out = pipe(image=x, rng=12345, return_params=True, **_targets(n, h, w))
    one = _targets(1, h, w)
    for i in range(n):
        single = pipe.replay(take_params(out["params"], np.array([i])), image=x[i], mask=one["mask"][0],
                             bboxes=one["bboxes"][0], bbox_labels=one["bbox_labels"][0],
                             keypoints=one["keypoints"][0])
        name = type(t).__name__
        assert np.array_equal(single["image"], out["image"][i]), f"{name}: sample {i} image differs from batch"
        assert np.array_equal(single["mask"], out["mask"][i]), f"{name}: sample {i} mask differs from batch"
        assert np.allclose(single["bboxes"], out["bboxes"][i]), f"{name}: sample {i} boxes differ from batch"
        assert np.allclose(single["keypoints"], out["keypoints"][i]), f"{name}: sample {i} keypoints differ"


def check_p_zero_is_identity(t: Transform, batch: NDArray | None = None, *, size: Size = SIZE) -> None:
    """With ``p=0`` nothing changes: image, mask, boxes and keypoints come back equal.

    Canvas transforms (crops, pads, resizes) apply to every sample or to none: for them,
    ``p=0`` must be refused at construction with an error that names ``p``.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_p_zero_is_identity(ak.image.GaussianBlur())
    >>> check_p_zero_is_identity(ak.image.RandomCrop(height=8, width=8))
    """
    if isinstance(t, CanvasTransform):
        try:
            dataclasses.replace(t, p=0.0)
        except ValueError as err:
            assert "p must be 1" in str(err), f"{type(t).__name__}(p=0): unclear error {err}"
            return
        raise AssertionError(f"{type(t).__name__}(p=0) was accepted, but a canvas transform changes every sample")
    x = make_batch(height=size[0], width=size[1]) if batch is None else batch
    n, h, w = x.shape[:3]
    targets = _targets(n, h, w)
    out = dataclasses.replace(t, p=0.0)(image=x, rng=1, **targets)
    assert np.array_equal(out["image"], x), f"{type(t).__name__}(p=0) changed the image"
    assert np.array_equal(out["mask"], targets["mask"]), f"{type(t).__name__}(p=0) changed the mask"
    for got, want in zip(out["bboxes"], targets["bboxes"], strict=True):
        assert np.allclose(got, want), f"{type(t).__name__}(p=0) changed the boxes"
    for got, want in zip(out["keypoints"], targets["keypoints"], strict=True):
        assert np.allclose(got, want), f"{type(t).__name__}(p=0) changed the keypoints"


def check_seed_determinism(t: Transform, batch: NDArray | None = None, *, size: Size = SIZE) -> None:
    """The same seed gives the same output; a ``Compose(seed=)`` is reproducible.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_seed_determinism(ak.image.GaussianBlur())
    """
    x = make_batch(height=size[0], width=size[1]) if batch is None else batch
    a, b = t(image=x, rng=7), t(image=x, rng=7)
    _equal_outputs(a, b, f"{type(t).__name__} with equal seeds")
    p1, p2 = Compose([t], seed=3), Compose([t], seed=3)
    _equal_outputs(p1(image=x), p2(image=x), f"{type(t).__name__} in Compose(seed=3)")


def check_dtypes_and_shapes(t: Transform, *, size: Size = SIZE) -> None:
    """uint8 and float32, grey and colour, one image and a batch: shape and dtype kept.

    Canvas transforms keep the dtype and the channels and give the size ``output_size`` says.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_dtypes_and_shapes(ak.image.GaussianBlur())
    """
    for dtype in (np.uint8, np.float32):
        for channels in (1, 3, 4):
            x = make_batch(n=3, height=size[0], width=size[1], channels=channels, dtype=dtype)
            out = t(image=x, rng=0)["image"]
            want = _expected_shape(t, x.shape)
            assert out.shape == want and out.dtype == x.dtype, (
                f"{type(t).__name__}: {x.shape} {x.dtype} became {out.shape} {out.dtype}, expected {want}")
            if dtype == np.float32:
                assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1, (
                    f"{type(t).__name__}: float32 output left [0, 1]")
        single = make_batch(n=1, height=size[0], width=size[1], channels=1, dtype=dtype)[0, ..., 0]
        out = t(image=single, rng=0)["image"]
        want = _expected_shape(t, (1, *single.shape, 1))[1:3]
        assert out.shape == want and out.dtype == single.dtype, f"{type(t).__name__}: (H,W) input"


def _expected_shape(t: Transform, shape: tuple[int, ...]) -> tuple[int, ...]:
    if not isinstance(t, CanvasTransform):
        return tuple(shape)
    n, h, w, c = shape
    out_h, out_w = t.output_size(Meta(n=n, height=h, width=w, channels=c, dtype=np.dtype(np.uint8)))
    return (n, out_h, out_w, c)


def check_no_mutation(t: Transform, *, size: Size = SIZE) -> None:
    """Read-only inputs are accepted and left unchanged (targets too).

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_no_mutation(ak.image.GaussianBlur())
    """
    x = make_batch(height=size[0], width=size[1])
    n, h, w = x.shape[:3]
    targets = _targets(n, h, w)
    keep = (x.copy(), targets["mask"].copy(), [b.copy() for b in targets["bboxes"]],
            [k.copy() for k in targets["keypoints"]])
    x.setflags(write=False)
    targets["mask"].setflags(write=False)
    for arr in targets["bboxes"] + targets["keypoints"]:
        arr.setflags(write=False)
    t(image=x, rng=0, **targets)
    assert np.array_equal(x, keep[0]), f"{type(t).__name__} modified its input image"
    assert np.array_equal(targets["mask"], keep[1]), f"{type(t).__name__} modified its input mask"
    for got, kept, kind in ((targets["bboxes"], keep[2], "boxes"), (targets["keypoints"], keep[3], "keypoints")):
        assert all(np.array_equal(a, b) for a, b in zip(got, kept, strict=True)), f"input {kind} modified"


def check_float_range(t: Transform, *, size: Size = SIZE) -> None:
    """float32 images come back finite and within [0, 1] (the range a float image must hold to be
    passed in again), for flat black and white images, a checkerboard and noise.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_float_range(ak.image.GaussianBlur())
    """
    rng = np.random.default_rng(0)
    board = (np.indices(size).sum(axis=0) % 2).astype(np.float32)
    images = {
        "white": np.ones((3, *size, 3), np.float32),
        "black": np.zeros((3, *size, 3), np.float32),
        "checkerboard": np.repeat(board[None, ..., None], 3, axis=0).repeat(3, axis=3),
        "noise": rng.random((3, *size, 3), dtype=np.float32),
    }
    for what, x in images.items():
        for seed in range(3):
            out = t(image=x, rng=seed)["image"]
            assert out.dtype == np.float32, f"{type(t).__name__} turned float32 into {out.dtype}"
            ok = bool(np.isfinite(out).all()) and float(out.min()) >= 0.0 and float(out.max()) <= 1.0
            assert ok, (f"{type(t).__name__} on a {what} float image gave values in "
                        f"[{float(np.nanmin(out))!r}, {float(np.nanmax(out))!r}], outside [0, 1]")


def check_memory_layouts(t: Transform, *, size: Size = SIZE) -> None:
    """Images and masks in any memory layout give the output of their C-contiguous copies.

    The layouts users hand over: a channels-last view of a ``(N, C, H, W)`` array (what
    ``tensor.permute(0, 2, 3, 1).numpy()`` gives), a Fortran-ordered array, a mirrored and a
    strided view. Inputs are left unchanged.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_memory_layouts(ak.image.GaussianBlur())
    """
    x = make_batch(n=3, height=size[0], width=size[1])
    n, h, w = x.shape[:3]
    mask = _targets(n, h, w)["mask"]
    tall, tall_mask = make_batch(n=3, height=2 * h, width=w, seed=1), np.repeat(mask, 2, axis=1)
    layouts = {
        "channels-last view of (N, C, H, W)": (np.ascontiguousarray(x.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1),
                                               np.ascontiguousarray(mask.transpose(0, 2, 1)).transpose(0, 2, 1)),
        "Fortran order": (np.asfortranarray(x), np.asfortranarray(mask)),
        "mirrored view": (x[:, :, ::-1], mask[:, :, ::-1]),
        "every other row": (tall[:, ::2], tall_mask[:, ::2]),
    }
    name = type(t).__name__
    for what, (image, msk) in layouts.items():
        keep = image.copy()
        want = t(image=np.ascontiguousarray(image), mask=np.ascontiguousarray(msk), rng=0)
        got = t(image=image, mask=msk, rng=0)
        _equal_outputs(got, want, f"{name} on a {what}")
        assert np.array_equal(image, keep), f"{name} modified its input ({what})"


def check_round_trips(t: Transform, *, size: Size = SIZE) -> None:
    """``to_dict``/``from_dict`` and pickle give an equal transform with identical output.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_round_trips(ak.image.GaussianBlur())
    """
    x = make_batch(height=size[0], width=size[1])
    expected = t(image=x, rng=5)
    rebuilt = from_dict(to_dict(t))
    assert rebuilt == t, f"{type(t).__name__}: from_dict(to_dict(t)) != t"
    _equal_outputs(expected, rebuilt(image=x, rng=5), f"{type(t).__name__} after to_dict/from_dict")
    unpickled = pickle.loads(pickle.dumps(t))
    assert unpickled == t, f"{type(t).__name__}: pickle round trip is not equal"
    _equal_outputs(expected, unpickled(image=x, rng=5), f"{type(t).__name__} after pickle")


def check_transform(t: Transform, *, size: Size = SIZE) -> None:
    """Run every conformance check on ``t``.

    Parameters
    ----------
    t : Transform
    size : (int, int)
        ``(height, width)`` of the test images (every check takes it): square for transforms
        that need square images, such as :class:`~augkit.image.Transpose`.

    Raises ``AssertionError`` naming the transform and what differs; returns nothing on success.

    Examples
    --------
    >>> import augkit as ak
    >>> check_transform(ak.image.Rotate(degrees_range=(-20, 20)))
    >>> check_transform(ak.image.Transpose(p=0.5), size=(16, 16))
    """
    check_batch_equals_per_sample(t, size=size)
    check_p_zero_is_identity(t, size=size)
    check_seed_determinism(t, size=size)
    check_dtypes_and_shapes(t, size=size)
    check_float_range(t, size=size)
    check_no_mutation(t, size=size)
    check_memory_layouts(t, size=size)
    check_round_trips(t, size=size)
