"""Noise transforms against their statistical definitions."""

from __future__ import annotations

import numpy as np
import pytest

import augkit as ak
from augkit.testing.conformance import make_batch

I = ak.image


@pytest.mark.parametrize("std", [0.02, 0.1])
def test_gaussian_noise_statistics(std):
    x = np.full((4, 96, 96, 3), 0.5, np.float32)
    out = I.GaussianNoise(std_range=(std, std))(image=x, rng=0)["image"]
    noise = out - x
    assert abs(float(noise.mean())) < 0.05 * std
    assert abs(float(noise.std()) / std - 1) < 0.02
    # independent per sample and per channel
    assert abs(np.corrcoef(noise[0, ..., 0].ravel(), noise[1, ..., 0].ravel())[0, 1]) < 0.03
    assert abs(np.corrcoef(noise[0, ..., 0].ravel(), noise[0, ..., 1].ravel())[0, 1]) < 0.03


def test_gaussian_noise_shared_channels_and_uint8_saturation():
    x = np.full((1, 64, 64, 3), 128, np.uint8)
    out = I.GaussianNoise(std_range=(0.05, 0.05), per_channel=False)(image=x, rng=1)["image"]
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 0], out[..., 2])
    assert 10 < out.astype(float).std() < 15
    white = np.full((1, 32, 32, 1), 255, np.uint8)
    out = I.GaussianNoise(std_range=(0.2, 0.2))(image=white, rng=2)["image"]
    assert out.max() == 255 and 0 < (out < 255).mean() < 0.7  # about half the pixels go down


@pytest.mark.parametrize("amount, ratio", [(0.05, 0.5), (0.3, 0.2), (0.0, 0.5)])
def test_salt_pepper_rates(amount, ratio):
    x = make_batch(n=3, height=120, width=110, channels=3)
    x = np.clip(x, 1, 254)  # so that hits are recognisable
    out = I.SaltPepper(amount_range=(amount, amount), salt_ratio_range=(ratio, ratio))(image=x, rng=3)["image"]
    hit = np.any(out != x, axis=-1)
    salt = np.all(out == 255, axis=-1)
    pepper = np.all(out == 0, axis=-1)
    assert np.array_equal(hit, salt | pepper)  # a hit pixel is white or black in every channel
    assert abs(hit.mean() - amount) < 0.01
    if amount:
        assert abs(salt.sum() / hit.sum() - ratio) < 0.03
    assert np.array_equal(out[~hit], x[~hit])


def test_noise_replay_is_exact_and_alpha_kept():
    x = make_batch(n=3, channels=4)
    for t in (I.GaussianNoise(std_range=(0.1, 0.2)), I.SaltPepper(amount_range=(0.2, 0.3))):
        out = t(image=x, rng=4, return_params=True)
        assert np.array_equal(t.replay(out["params"], image=x)["image"], out["image"])
        assert np.array_equal(out["image"][..., 3], x[..., 3])


def test_gaussian_noise_is_the_same_on_both_backends_and_rounds_the_noise(each_backend):
    # uint8: the noise is rounded to whole levels (half to even), then added with saturation
    # (what OpenCV's saturating add does); the reference is computed here from the drawn noise
    x = make_batch(n=5, height=33, width=21)
    t = I.GaussianNoise(std_range=(0.05, 0.1))
    out = t(image=x, rng=5, return_params=True)
    params = out["params"]["children"][0]
    as_float = t.replay(out["params"], x.astype(np.float32) / np.float32(255))["image"]
    for i in range(5):  # the same draws on float images are the unrounded noise (where not clipped)
        noise = (as_float[i] - x[i].astype(np.float32) / np.float32(255)) * np.float32(255)
        inside = (as_float[i] > 0) & (as_float[i] < 1)
        want = np.clip(x[i] + np.rint(noise), 0, 255)
        np.testing.assert_array_equal(out["image"][i][inside], want[inside])
    assert abs(float(np.std(noise[inside])) / (255 * params["std"][4]) - 1) < 0.1


def test_salt_pepper_pixels_follow_their_16_bit_draws():
    # the documented rule, computed here from the seed's stream: white below the salt threshold,
    # black below the hit threshold, untouched otherwise
    from augkit.kernels.noise import salt_pepper_image
    from augkit.kernels.streams import random_bits

    x = np.full((3, 17, 23, 2), 100, np.uint8)  # grey + alpha
    amounts, ratios, seeds = np.array([0.2, 0.0, 1.0]), np.array([0.3, 0.5, 0.25]), np.array([11, 12, 13])
    out = salt_pepper_image(x, amounts, ratios, seeds)
    for i in range(3):
        u = random_bits(seeds[i:i + 1], 17 * 23)[0].view(np.uint16)[: 17 * 23].reshape(17, 23).astype(int)
        want = np.where(u < round(65536 * amounts[i] * ratios[i]), 255,
                        np.where(u < round(65536 * amounts[i]), 0, 100))
        np.testing.assert_array_equal(out[i, ..., 0], want)
        np.testing.assert_array_equal(out[i, ..., 1], 100)  # alpha kept
    assert (out[2, ..., 0] != 100).all() and (out[1, ..., 0] == 100).all()  # amount 1 hits all, 0 none
