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


def test_srgb_transfer_functions_match_the_standard():
    from augkit.kernels.color import linear_to_srgb, srgb_to_linear

    # IEC 61966-2-1 values (sRGB 0.5 -> 0.2140 linear; the linear segment below 0.04045)
    np.testing.assert_allclose(srgb_to_linear(np.array([0.0, 0.04045, 0.5, 1.0])),
                               [0.0, 0.04045 / 12.92, 0.21404, 1.0], atol=1e-5)
    v = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(v)), v, atol=1e-9)
    np.testing.assert_allclose(srgb_to_linear(v.astype(np.float32)), srgb_to_linear(v), atol=1e-6)


@pytest.mark.parametrize("level, photons, read", [(0.5, 200.0, 0.0), (0.8, 50.0, 0.0), (0.3, 1000.0, 0.004)])
def test_sensor_noise_has_the_poisson_gaussian_variance_in_linear_light(level, photons, read):
    # Flat float images: decoded back to linear light, the noise must have the mean of the
    # signal and the variance of a photon count (x / photons, in intensity units) plus read
    # noise; a Poisson simulation with NumPy gives the same moments.
    from augkit.kernels.color import srgb_to_linear

    x = np.full((6, 64, 64, 3), level, np.float32)
    t = I.SensorNoise(white_photons_range=(photons, photons), read_noise_range=(read, read))
    lin = srgb_to_linear(t(image=x, rng=3)["image"].astype(np.float64))
    signal = float(srgb_to_linear(np.float64(level)))
    want_var = signal / photons + read**2
    sim = np.random.default_rng(0)
    poisson = sim.poisson(signal * photons, size=lin.size) / photons + sim.normal(0.0, read, size=lin.size)
    assert lin.mean() == pytest.approx(signal, rel=0.01)
    assert lin.var() == pytest.approx(want_var, rel=0.03)
    assert poisson.var() == pytest.approx(want_var, rel=0.03)


def test_sensor_noise_grows_with_the_light_and_read_noise_fills_the_shadows():
    from augkit.kernels.color import srgb_to_linear

    levels = np.array([0, 10, 60, 150, 240], np.uint8)
    tones = np.repeat(levels, 64)[None, :, None].repeat(128, axis=0)
    x = np.repeat(tones[None], 4, axis=0)  # 4 grey images: five vertical bands of 128 x 64
    shot = I.SensorNoise(white_photons_range=(300, 300), read_noise_range=(0, 0))(image=x, rng=1)["image"]
    bands = [srgb_to_linear(shot[:, :, 64 * k: 64 * (k + 1)] / 255.0) for k in range(5)]
    assert bands[0].std() == 0.0  # no light, no shot noise: black stays black
    signal = srgb_to_linear(levels[2:] / 255.0)
    got = np.array([b.std() for b in bands[2:]])  # in linear light: std = sqrt(signal / photons)
    np.testing.assert_allclose(got, np.sqrt(signal / 300), rtol=0.05)
    # in grey levels the sRGB curve evens it out: mid-tones and highlights get similar grain
    grey = [float(shot[:, :, 64 * k: 64 * (k + 1)].std()) for k in (2, 3, 4)]
    assert max(grey) < 1.6 * min(grey)
    read = I.SensorNoise(white_photons_range=(1e6, 1e6), read_noise_range=(0.001, 0.001))(image=x, rng=1)["image"]
    dark = read[:, :, 64:128].astype(float)     # level 10: the linear segment of sRGB, slope 12.92
    assert float(dark.std()) == pytest.approx(0.001 * 12.92 * 255, rel=0.1)
    assert float(read[:, :, 256:].std()) < 1.0  # read noise is lost in the highlights


def test_sensor_noise_uint8_table_agrees_with_the_float_formula():
    # The uint8 path decodes and encodes through tables; the same draws on the float image
    # (replayed) go through the formulas: within one grey level everywhere.
    x = make_batch(n=5, height=30, width=22)
    t = I.SensorNoise(white_photons_range=(40, 400), read_noise_range=(0.0, 0.01))
    out = t(image=x, rng=9, return_params=True)
    as_float = t.replay(out["params"], x.astype(np.float32) / np.float32(255))["image"]
    diff = np.abs(out["image"].astype(int) - np.rint(as_float * 255).astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99
    assert (out["image"] != x).mean() > 0.5


def test_sensor_noise_shared_draws_keep_grey_grey():
    x = np.full((2, 32, 32, 4), 128, np.uint8)
    x[..., 3] = 77  # alpha
    out = I.SensorNoise(white_photons_range=(50, 50), per_channel=False)(image=x, rng=2)["image"]
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert (out[..., 3] == 77).all() and out[..., 0].std() > 3
    colour = I.SensorNoise(white_photons_range=(50, 50))(image=x, rng=2)["image"]
    assert (colour[..., 0] != colour[..., 1]).mean() > 0.5
