"""The batch JPEG round trip against Pillow's libjpeg, bit for bit."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import augkit as ak
from augkit.kernels import degrade
from augkit.kernels.jpeg import jpeg_quality_tables, jpeg_roundtrip_image


def pillow_round_trip(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img[..., 0] if img.shape[2] == 1 else img).save(buf, format="JPEG", quality=int(quality))
    back = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    return back[..., None] if back.ndim == 2 else back


def _images(rng: np.random.Generator, n: int, h: int, w: int, c: int) -> np.ndarray:
    """Noise, flat areas and smooth ramps: saturating, all-zero and ordinary blocks."""
    noise = rng.integers(0, 256, (n, h, w, c), dtype=np.uint8)
    ramp = (np.add.outer(np.arange(h), np.arange(w))[None, :, :, None] * rng.integers(1, 9, (n, 1, 1, c))) % 256
    flat = np.broadcast_to(rng.integers(0, 256, (n, 1, 1, c)), (n, h, w, c))
    kind = np.arange(n) % 3
    return np.where(kind[:, None, None, None] == 0, noise,
                    np.where(kind[:, None, None, None] == 1, ramp, flat)).astype(np.uint8)


@pytest.mark.parametrize("channels", [1, 3])
def test_every_quality_equals_pillow(channels):
    rng = np.random.default_rng(channels)
    x = _images(rng, 100, 24, 40, channels)
    qualities = np.arange(1, 101)
    out = jpeg_roundtrip_image(x, qualities)
    for i, q in enumerate(qualities):
        np.testing.assert_array_equal(out[i], pillow_round_trip(x[i], q), err_msg=f"quality {q}")


@pytest.mark.parametrize("channels", [1, 3])
def test_sizes_equal_pillow(channels):
    # padding to whole blocks and 16x16 chroma groups, odd sizes, and planes 1-2 chroma samples
    # wide (libjpeg-turbo replicates instead of its triangle filter there)
    rng = np.random.default_rng(10 + channels)
    for h, w in [(1, 1), (1, 9), (2, 3), (3, 4), (5, 2), (7, 5), (8, 8), (9, 17), (15, 16), (16, 15),
                 (17, 33), (31, 7), (33, 65), (48, 48), (64, 40)]:
        x = _images(rng, 3, h, w, channels)
        qualities = rng.integers(1, 101, 3)
        out = jpeg_roundtrip_image(x, qualities)
        for i in range(3):
            np.testing.assert_array_equal(out[i], pillow_round_trip(x[i], qualities[i]),
                                          err_msg=f"{h}x{w} quality {qualities[i]}")


def test_chunks_do_not_change_results(monkeypatch):
    rng = np.random.default_rng(3)
    x = _images(rng, 7, 16, 24, 3)
    q = rng.integers(20, 95, 7)
    whole = jpeg_roundtrip_image(x, q)
    monkeypatch.setattr("augkit.kernels.jpeg.CHUNK_SAMPLES", 1)  # one image per chunk
    np.testing.assert_array_equal(jpeg_roundtrip_image(x, q), whole)
    np.testing.assert_array_equal(x, _images(np.random.default_rng(3), 7, 16, 24, 3))  # input untouched


def test_quality_tables_are_libjpegs():
    luma, chroma = jpeg_quality_tables(np.array([1, 25, 50, 75, 100]))
    assert luma[2].tolist()[:8] == [16, 11, 10, 16, 24, 40, 51, 61]  # Annex K at quality 50
    assert luma[0].max() == 255 and chroma[0].min() == 255  # quality 1 clamped to baseline
    assert (luma[4] == 1).all() and (chroma[4] == 1).all()
    assert chroma[3, 0] == (17 * 50 + 50) // 100  # quality 75: scale 50 %


def test_bad_input_is_rejected():
    x = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="qualities"):
        jpeg_roundtrip_image(x, np.array([0, 50]))
    with pytest.raises(ValueError, match="qualities"):
        jpeg_roundtrip_image(x, np.array([50]))
    with pytest.raises(ValueError, match="uint8"):
        jpeg_roundtrip_image(x.astype(np.float32), np.array([50, 50]))
    with pytest.raises(ValueError, match="uint8"):
        jpeg_roundtrip_image(np.zeros((2, 8, 8, 4), np.uint8), np.array([50, 50]))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("size", [(12, 12), (72, 72)])  # the batch route and the per-image route
def test_transform_equals_pillow_on_either_route(each_backend, channels, size):
    rng = np.random.default_rng(channels)
    x = _images(rng, 4, *size, channels)
    out = ak.image.JpegCompression(quality_range=(5, 95))(image=x, rng=1, return_params=True)
    qualities = out["params"]["children"][0]["quality"]
    color = 1 if channels in (1, 2) else 3
    batch_route = size[0] * size[1] <= degrade.JPEG_BATCH_MAX_PIXELS[
        ("grey" if color == 1 else "rgb", each_backend == "opencv")]
    assert batch_route == (size == (12, 12))
    for i in range(4):
        np.testing.assert_array_equal(out["image"][i, ..., :color], pillow_round_trip(x[i, ..., :color], qualities[i]))
        np.testing.assert_array_equal(out["image"][i, ..., color:], x[i, ..., color:])  # alpha kept
    as_float = ak.image.JpegCompression(quality_range=(5, 95)).replay(out["params"], image=x / np.float32(255))
    assert as_float["image"].dtype == np.float32  # float images go through uint8 levels
    np.testing.assert_array_equal(np.rint(as_float["image"] * 255).astype(np.uint8), out["image"])
