"""Audio behaviour against analytic values, SciPy/NumPy references and sox's G.711 files."""

from __future__ import annotations

import os
from importlib.resources import files

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

import augkit as ak
from augkit.kernels.g711 import g711_decode, g711_encode
from augkit.kernels.mixing import active_power, add_looped_noise, mean_power

A = ak.audio
DATA = files("augkit") / "data" / "audio"
TESTS = os.path.join(os.path.dirname(__file__), "data")
RATE = 16000


def speech() -> np.ndarray:
    return A.load(DATA / "speech.flac", RATE)[0]


def crowd_and_car() -> ak.audio.NoiseBank:
    return A.NoiseBank.from_files([DATA / "babble.flac", DATA / "car.flac"], sample_rate=RATE)


# --- SNR ---------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["all", "active"])
def test_measured_snr_is_within_a_tenth_of_a_db_of_the_request(how):
    clean = speech()
    batch = np.repeat(clean[None], 12, axis=0)
    add = A.BackgroundNoise(crowd_and_car(), snr_db_range=(-5, 25), speech_power=how)
    out = add(audio=batch, sample_rate=RATE, rng=0, return_params=True)
    requested = out["params"]["children"][0]["snr_db"]
    noise = out["audio"] - batch
    lengths = np.full(12, clean.shape[1])
    p_speech = active_power(batch, lengths, RATE) if how == "active" else mean_power(batch)
    measured = 10 * np.log10(p_speech / mean_power(noise))
    assert np.abs(measured - requested).max() < 0.1
    assert requested.std() > 5  # really drawn per clip


def test_active_speech_power_ignores_pauses():
    clean = speech()
    padded = np.concatenate([clean, np.zeros((1, 3 * RATE), np.float32)], axis=1)[None]
    with_pause = active_power(padded, np.array([padded.shape[2]]), RATE)[0]
    without = active_power(clean[None], np.array([clean.shape[1]]), RATE)[0]
    assert with_pause == pytest.approx(without, rel=0.02)
    assert mean_power(padded)[0] < 0.7 * mean_power(clean[None])[0]


def test_short_noise_is_looped_with_a_crossfade_and_the_snr_still_holds():
    rng = np.random.default_rng(1)
    hum = (0.3 * np.sin(2 * np.pi * 50 * np.arange(4000) / RATE)).astype(np.float32)  # 0.25 s, 12.5 periods
    bank = A.NoiseBank.from_arrays([hum], sample_rate=RATE, crossfade_s=0.02)
    clip = rng.standard_normal((1, 3 * RATE)).astype(np.float32) * 0.1
    out = A.BackgroundNoise(bank, snr_db_range=(6, 6))(audio=clip, sample_rate=RATE, rng=2)["audio"]
    noise = out - clip
    assert 10 * np.log10(mean_power(clip[None])[0] / mean_power(noise[None])[0]) == pytest.approx(6, abs=0.1)
    # no click at the loop seams: the largest sample-to-sample step stays that of the sine
    gain = np.abs(noise).max() / 0.3
    assert np.abs(np.diff(noise[0])).max() <= gain * 0.3 * 2 * np.pi * 50 / RATE * 1.6


def test_noise_segments_come_from_the_bank_at_the_drawn_offset():
    noise = np.random.default_rng(2).standard_normal(RATE).astype(np.float32)
    bank = A.NoiseBank.from_arrays([noise], sample_rate=RATE)
    clip = np.ones((3, 1, 4000), np.float32)
    out = A.BackgroundNoise(bank, snr_db_range=(0, 0))(audio=clip, sample_rate=RATE, rng=3, return_params=True)
    p = out["params"]["children"][0]
    for i in range(3):
        seg = noise[p["noise_offset"][i]: p["noise_offset"][i] + 4000]
        added = out["audio"][i, 0] - 1.0
        gain = np.sqrt(1.0 / np.mean(seg.astype(np.float64) ** 2))
        np.testing.assert_allclose(added, seg * gain, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("route", ["numpy", "opencv"])
def test_looped_noise_is_added_piece_by_piece_as_the_formula_says(route):
    # clip + gain * noise[(start + j) % len(noise)] for j < length, the rest copied: both routes
    cv2 = pytest.importorskip("cv2") if route == "opencv" else None
    rng = np.random.default_rng(5)
    noise = rng.standard_normal(700).astype(np.float32)
    clip = rng.standard_normal((2, 2000)).astype(np.float32)
    for start, length, gain in [(0, 2000, 0.3), (650, 1999, 1.7), (699, 1, 0.01), (10, 500, 0.0), (0, 700, 2.0)]:
        out = np.full_like(clip, np.nan)
        add_looped_noise(out, clip, noise, start, length, gain, cv2)
        expected = clip.astype(np.float64).copy()
        expected[:, :length] += gain * noise[(start + np.arange(length)) % 700]
        np.testing.assert_allclose(out, expected, rtol=0, atol=2e-7 * np.abs(expected).max())
        assert (out[:, length:] == clip[:, length:]).all()


def test_silent_and_constant_clips_behave():
    bank = crowd_and_car()
    silent = np.zeros((2, 1, RATE), np.float32)
    out = A.BackgroundNoise(bank)(audio=silent, sample_rate=RATE, rng=0)["audio"]
    assert np.array_equal(out, silent)  # SNR relative to silence is undefined: no noise, no NaN
    dc = np.full((2, 1, RATE), 0.5, np.float32)
    out = A.BackgroundNoise(bank, snr_db_range=(10, 10))(audio=dc, sample_rate=RATE, rng=0)["audio"]
    assert (10 * np.log10(0.25 / mean_power(out - dc))).round(2).tolist() == [10.0, 10.0]
    quiet_bank = A.NoiseBank.from_arrays([np.zeros(RATE, np.float32)], sample_rate=RATE)
    out = A.BackgroundNoise(quiet_bank)(audio=dc, sample_rate=RATE, rng=0)["audio"]
    assert np.array_equal(out, dc)


# --- telephone channel ---------------------------------------------------------------------
def band_levels_db(y: np.ndarray) -> tuple[float, float]:
    f, pxx = signal.welch(y, fs=RATE, nperseg=2048, window="blackmanharris", axis=-1)
    pxx = pxx.reshape(-1, len(f)).mean(axis=0)
    passband = pxx[(f > 500) & (f < 3000)].mean()
    return 10 * np.log10(pxx[f > 3400].mean() / passband), 10 * np.log10(pxx[f < 300].mean() / passband)


@pytest.fixture(params=["numpy", "opencv"])
def route(request):
    """Run the test on the NumPy/SciPy kernels, then on the OpenCV ones."""
    from augkit.kernels.backend import use_backend

    if request.param == "opencv":
        pytest.importorskip("cv2")
    with use_backend(request.param):
        yield request.param


def test_phone_channel_removes_energy_outside_300_to_3400_hz(route):
    white = np.random.default_rng(0).standard_normal((8, 1, 2 * RATE)).astype(np.float32) * 0.1
    out = A.BadCellphone(loss_rate_range=(0.05, 0.2))(audio=white, sample_rate=RATE, rng=0)["audio"]
    above, below = band_levels_db(out)
    assert above < -30 and below < -30
    raw_above, raw_below = band_levels_db(white)
    assert abs(raw_above) < 1 and abs(raw_below) < 1  # the measurement itself sees white noise as flat


def test_phone_channel_keeps_the_speech_band_intact(route):
    t = np.arange(RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    phone = A.BadCellphone(gain_db_range=(0, 0), loss_rate_range=(0, 0), laws=("mu",))
    out = phone(audio=tone, sample_rate=RATE, rng=0)["audio"]
    core = slice(800, -800)
    assert np.sqrt(np.mean(out[core] ** 2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.01)
    assert 10 * np.log10(np.mean((out - tone)[core] ** 2) / np.mean(tone[core] ** 2)) < -30  # mu-law noise only


@pytest.mark.parametrize("from_hz, to_hz", [(16000, 8000), (8000, 16000), (44100, 8000), (16000, 16000)])
@pytest.mark.parametrize("length", [1, 999, 16000, 40001, 100000])
def test_band_limit_resample_routes_agree(from_hz, to_hz, length):
    # OpenCV's packed real spectra against SciPy's rfft/irfft: single FFTs and overlapping blocks
    pytest.importorskip("cv2")
    from augkit.kernels.backend import use_backend
    from augkit.kernels.phone import band_limit_resample

    x = np.random.default_rng(length).standard_normal((2, 2, length)).astype(np.float32)
    with use_backend("numpy"):
        ref = band_limit_resample(x, from_hz, to_hz, (300.0, 3400.0), 100.0)
    with use_backend("opencv"):
        got = band_limit_resample(x, from_hz, to_hz, (300.0, 3400.0), 100.0)
        again = band_limit_resample(x, from_hz, to_hz, (300.0, 3400.0), 100.0, work="test.out")
    assert got.shape == ref.shape == (2, 2, -(-length * to_hz // from_hz))
    np.testing.assert_allclose(got, ref, rtol=0, atol=2e-6 * max(1.0, float(np.abs(ref).max())))
    assert np.array_equal(again, got)


def test_in_place_companding_and_concealment_equal_the_copying_kernels():
    from augkit.kernels.g711 import compand_audio, compand_in_place
    from augkit.kernels.packets import conceal_lost_frames

    rng = np.random.default_rng(3)
    x = (rng.standard_normal((4, 2, 800)) * 0.3).astype(np.float32)
    x[0, 0, :5] = [2.0, -2.0, 1.0, -1.0, 0.0]  # saturation and the ends of the range
    laws = ["mu", "a", "", "mu"]
    y = x.copy()
    compand_in_place(y, laws)
    for i, law in enumerate(laws):
        assert np.array_equal(y[i], compand_audio(x[i], law) if law else x[i])
    same = x.copy()
    compand_in_place(same, ["a"] * 4)
    assert np.array_equal(same, compand_audio(x, "a"))
    lost = rng.random((4, 10)) < 0.4
    lost[1, :3] = True  # a burst at the start: nothing received yet
    for mode in ("zero", "repeat"):
        ref = conceal_lost_frames(x, lost, 80, mode)
        z = x.copy()
        out = conceal_lost_frames(z, lost, 80, mode, in_place=True)
        assert np.array_equal(out, ref) and np.shares_memory(out, z)
        assert np.array_equal(conceal_lost_frames(x[..., :790], lost, 80, mode, in_place=True), ref[..., :790])


def test_bandpass_matches_scipy_butterworth():
    x = np.random.default_rng(3).standard_normal((2, 1, 4000)).astype(np.float32)
    bp = A.BandPass(low_hz_range=(300, 300), high_hz_range=(3400, 3400), order=3)
    ours = bp(audio=x, sample_rate=RATE)["audio"]
    # 300 and 3400 Hz are snapped to 1/24 octave: read back the edges that were used
    out = bp(audio=x, sample_rate=RATE, return_params=True)["params"]["children"][0]
    assert 300 <= out["low_hz"][0] < 300 * 2 ** (1 / 48) and 3400 * 2 ** (-1 / 48) < out["high_hz"][0] <= 3400
    sos = signal.butter(3, [out["low_hz"][0], out["high_hz"][0]], btype="bandpass", output="sos", fs=RATE)
    assert_error_below_db(ours, signal.sosfilt(sos, x, axis=-1), -100)


def assert_error_below_db(actual, reference, db):
    """The error's power is ``db`` below the reference's (the float32 filters' documented bound,
    -100 dB) and no single sample is off by more than 1e-4 of the signal's RMS. A pointwise
    ``atol`` alone fails by chance: float32 rounding differs between machines and designs."""
    ref = np.asarray(reference, np.float64)
    err = np.asarray(actual, np.float64) - ref
    rms = np.sqrt(np.mean(ref**2))
    assert 10 * np.log10(np.mean(err**2) / rms**2) < db
    assert np.abs(err).max() < 1e-4 * rms


@pytest.mark.parametrize("measure", ["rms", "active", "peak"])
def test_loudness_sets_each_clips_level(measure):
    """Each clip's measured level after the call is the drawn target (0.01 dB): mean square over
    all samples, over active frames (a clip with a pause: its speech level), or the peak; ragged
    clips measured over their own samples; silence stays silence."""
    from augkit.kernels.mixing import active_power

    rng = np.random.default_rng(7)
    clips = [rng.standard_normal(n).astype(np.float32) * s for n, s in ((16000, 0.5), (9000, 0.01), (12000, 0.2))]
    clips[2][:6000] = 0.0                        # a long pause: "active" ignores it, "rms" does not
    clips.append(np.zeros(5000, np.float32))    # silence
    res = A.Loudness(level_dbfs_range=(-40, -10), measure=measure)(audio=clips, sample_rate=RATE,
                                                                   return_params=True, rng=1)
    target = res["params"]["children"][0]["level_dbfs"]
    for i, clip in enumerate(res["audio"][:3]):
        y = clip.astype(np.float64)
        if measure == "rms":
            level = 10 * np.log10(np.mean(y**2))
        elif measure == "peak":
            level = 20 * np.log10(np.abs(y).max())
        else:
            level = 10 * np.log10(active_power(y[None, None].astype(np.float32), np.array([len(y)]), RATE)[0])
        assert level == pytest.approx(target[i], abs=0.01), (i, measure)
    assert not res["audio"][3].any() and len(res["audio"][3]) == 5000
    with pytest.raises(ValueError, match="measure"):
        A.Loudness(measure="lufs")


def test_bandstop_matches_scipy_and_removes_its_band():
    x = np.random.default_rng(4).standard_normal((3, 1, 16000)).astype(np.float32)
    t = A.BandStop(center_hz_range=(500, 3000), bandwidth_octaves_range=(0.5, 1.5), order=3)
    res = t(audio=x, sample_rate=RATE, return_params=True, rng=4)
    p = res["params"]["children"][0]
    for i in range(3):
        lo, hi = p["low_hz"][i], p["high_hz"][i]
        assert 500 / 2 ** 0.8 < lo < hi < 3000 * 2 ** 0.8 and 0.45 < np.log2(hi / lo) < 1.55
        sos = signal.butter(3, [lo, hi], btype="bandstop", output="sos", fs=RATE)
        assert_error_below_db(res["audio"][i], signal.sosfilt(sos, x[i], axis=-1), -100)
        # white noise: the band's centre at least 30 dB down, an octave outside the band untouched
        f, pxx = signal.welch(res["audio"][i, 0, 2000:], fs=RATE, nperseg=1024)
        _, ref = signal.welch(x[i, 0, 2000:], fs=RATE, nperseg=1024)
        gain = 10 * np.log10(pxx / ref)
        centre = np.sqrt(lo * hi)
        assert gain[np.argmin(np.abs(f - centre))] < -30
        far = (f < lo / 2) | ((f > hi * 2) & (f < RATE / 2 * 0.9))
        assert np.abs(gain[far & (f > 50)]).max() < 1.0
    with pytest.raises(ValueError, match="Nyquist"):
        A.BandStop(center_hz_range=(7000, 7000), bandwidth_octaves_range=(1, 1))(audio=x, sample_rate=RATE)


def test_lowpass_attenuates_by_the_butterworth_law():
    t = np.arange(2 * RATE) / RATE
    for f in (1000.0, 4000.0):
        x = np.sin(2 * np.pi * f * t).astype(np.float32)
        out = A.LowPass(cutoff_hz_range=(2000, 2000), order=4)(audio=x, sample_rate=RATE, return_params=True)
        y, cutoff = out["audio"], out["params"]["children"][0]["cutoff_hz"][0]
        gain_db = 10 * np.log10(np.mean(y[RATE:] ** 2) / np.mean(x[RATE:] ** 2))
        warped = np.tan(np.pi * f / RATE) / np.tan(np.pi * cutoff / RATE)  # bilinear-transform Butterworth
        assert gain_db == pytest.approx(-10 * np.log10(1 + warped**8), abs=0.05)


def test_resample_round_trip_matches_resample_poly():
    x = np.random.default_rng(4).standard_normal(3001).astype(np.float32)
    ours = A.Resample(rates_hz=(8000,))(audio=x, sample_rate=RATE)["audio"]
    ref = signal.resample_poly(signal.resample_poly(x, 1, 2), 2, 1)[:3001]
    np.testing.assert_allclose(ours, ref, atol=1e-5)


# --- G.711 against sox ------------------------------------------------------------------------
def _wav_codes(path: str) -> np.ndarray:
    with open(path, "rb") as fh:
        raw = fh.read()
    at = raw.find(b"data")
    size = int.from_bytes(raw[at + 4: at + 8], "little")
    return np.frombuffer(raw[at + 8: at + 8 + size], np.uint8)


@pytest.mark.parametrize(("law", "name"), [("mu", "speech_8k_ulaw.wav"), ("a", "speech_8k_alaw.wav")])
def test_g711_against_sox(law, name):
    pcm, _ = sf.read(os.path.join(TESTS, "speech_8k_pcm16.wav"), dtype="int16")
    path = os.path.join(TESTS, name)
    sox_codes = _wav_codes(path)
    sox_decoded, _ = sf.read(path, dtype="int16")  # libsndfile's decoder
    # decoding sox's bytes: identical to libsndfile's decoding of them
    assert np.array_equal(g711_decode(sox_codes, law), sox_decoded)
    # encoding: within one quantisation step of sox's result, and never farther from the input
    ours = g711_decode(g711_encode(pcm, law), law).astype(np.int64)
    levels = np.unique(g711_decode(np.arange(256, dtype=np.uint8), law).astype(np.int64))
    k = np.clip(np.searchsorted(levels, sox_decoded), 1, len(levels) - 2)
    step = np.maximum(levels[k] - levels[k - 1], levels[k + 1] - levels[k])
    assert (np.abs(ours - sox_decoded) <= step).all()
    assert (np.abs(ours - pcm) <= np.abs(sox_decoded.astype(np.int64) - pcm)).all()
    assert (ours == sox_decoded).mean() > 0.85


def test_mulaw_transform_equals_the_codec_round_trip():
    x = np.random.default_rng(5).uniform(-1, 1, 5000).astype(np.float32)
    y = A.MuLaw(laws=("a",))(audio=x, sample_rate=8000)["audio"]
    q = np.clip(np.floor(x.astype(np.float64) * 32768 + 0.5), -32768, 32767).astype(np.int16)
    np.testing.assert_array_equal(y, g711_decode(g711_encode(q, "a"), "a") / np.float32(32768))


# --- packet loss, reverb, level and time ---------------------------------------------------------
def test_packet_loss_rate_and_bursts_follow_the_gilbert_elliott_parameters():
    x = np.ones((400, 1, 8000 * 5), np.float32)
    drop = A.PacketLoss(loss_rate_range=(0.1, 0.1), mean_burst_frames_range=(3, 3), concealment="zero")
    out = drop(audio=x, sample_rate=8000, rng=0)["audio"]
    lost = out.reshape(400, -1, 160).max(axis=2) == 0
    assert lost.mean() == pytest.approx(0.1, abs=0.01)
    starts = (lost[:, 1:] & ~lost[:, :-1]).sum() + lost[:, 0].sum()
    assert lost.sum() / starts == pytest.approx(3.0, rel=0.08)


def test_vectorized_gilbert_elliott_chain_equals_the_frame_by_frame_chain():
    from augkit.kernels.packets import gilbert_elliott_losses

    rng = np.random.default_rng(11)
    for _ in range(100):
        n, frames = rng.integers(1, 12), rng.integers(1, 200)
        u, q, burst = rng.random((n, frames)), rng.uniform(0, 0.95, n), rng.uniform(0.5, 6, n)
        leave = 1 / np.maximum(burst, 1)
        enter = np.minimum(q * leave / (1 - q), 1)
        state, want = u[:, 0] < q, np.empty((n, frames), bool)
        want[:, 0] = state
        for f in range(1, frames):  # the textbook two-state chain, one frame at a time
            state = np.where(state, u[:, f] >= leave, u[:, f] < enter)
            want[:, f] = state
        assert np.array_equal(gilbert_elliott_losses(u, q, burst), want)


def test_repeat_concealment_plays_the_last_received_frame():
    x = np.random.default_rng(6).standard_normal((1, 1, 1600)).astype(np.float32)
    drop = A.PacketLoss(loss_rate_range=(0.3, 0.3), concealment="repeat")
    out = drop(audio=x, sample_rate=8000, rng=1, return_params=True)
    lost = out["params"]["children"][0]["lost"][0]
    frames_in, frames_out = x.reshape(-1, 160), out["audio"].reshape(-1, 160)
    for f in np.flatnonzero(lost):
        last = max((g for g in range(f) if not lost[g]), default=None)
        want = 0 * frames_in[f] if last is None else frames_in[last] * 0.5 ** (f - last - 1)
        np.testing.assert_allclose(frames_out[f], want, rtol=1e-6)
    np.testing.assert_array_equal(frames_out[~lost], frames_in[~lost])


@pytest.mark.parametrize("align", [True, False])
def test_reverb_with_a_measured_impulse_is_a_convolution_at_the_same_level(align):
    x = np.random.default_rng(7).standard_normal(3000).astype(np.float32)
    h = np.random.default_rng(8).standard_normal(400) * np.exp(-np.arange(400) / 60.0)
    bank = A.ImpulseBank.from_arrays([h], sample_rate=RATE)
    y = A.Reverb(impulses=bank, align_direct_path=align)(audio=x, sample_rate=RATE)["audio"]
    delay = int(np.argmax(np.abs(h))) if align else 0
    assert not align or delay > 0  # (this response's largest sample is not its first)
    ref = np.convolve(x, h.astype(np.float32))[delay:delay + 3000]
    ref *= np.sqrt(np.mean(x.astype(np.float64) ** 2) / np.mean(ref**2))
    np.testing.assert_allclose(y, ref, atol=1e-4)


def test_reverb_keeps_the_timing_of_speech_behind_a_measured_delay():
    # A measured response: 60 ms of travel time and latency (a weak early arrival in it), then
    # the direct path and a room. Aligned on the direct path, the output keeps the clip's
    # timing (a click at 100 ms stays at 100 ms) and its end; unaligned, it comes 60 ms late.
    from augkit.kernels.reverb import synthetic_room_impulse

    room = synthetic_room_impulse(np.random.default_rng(0), 0.3, 6.0, RATE)
    lead = round(0.06 * RATE)
    h = np.concatenate([np.zeros(lead), room]).astype(np.float32)
    h[lead // 2] = 0.05  # before the direct path: a pre-echo once aligned
    bank = A.ImpulseBank.from_arrays([h], sample_rate=RATE)
    assert bank.direct_path == (lead,)
    x = np.zeros((1, RATE // 2), np.float32)
    x[0, 1600] = 1.0                      # a click at 100 ms
    x[0, -10:] = 0.5                      # and something at the very end
    aligned = A.Reverb(impulses=bank)(audio=x, sample_rate=RATE)["audio"][0]
    late = A.Reverb(impulses=bank, align_direct_path=False)(audio=x, sample_rate=RATE)["audio"][0]
    assert np.argmax(np.abs(aligned)) == 1600 and np.argmax(np.abs(late)) == 1600 + lead
    assert abs(aligned[1600 - lead // 2]) > 0   # the early arrival, before the click
    assert np.abs(aligned[-10:]).min() > 0 and np.abs(late[-lead:]).max() > 0
    ref = np.convolve(x[0], h)[lead:lead + RATE // 2]
    np.testing.assert_allclose(aligned, ref * np.sqrt(np.mean(x**2) / np.mean(ref**2)), atol=1e-5)


def test_synthetic_room_decays_by_60_db_in_rt60():
    from augkit.kernels.reverb import synthetic_room_impulse

    h = synthetic_room_impulse(np.random.default_rng(0), 0.5, 0.0, RATE, max_s=2.0).astype(np.float64)
    energy = np.cumsum(h[::-1] ** 2)[::-1]  # Schroeder backward integral
    decay_db = 10 * np.log10(energy / energy[1])
    t20 = np.argmax(decay_db < -20) - np.argmax(decay_db < -5)  # slope from -5 to -20 dB
    assert t20 * 4 / RATE == pytest.approx(0.5, rel=0.1)


def test_gain_time_shift_mask_and_polarity_are_exact():
    x = np.random.default_rng(9).standard_normal((2, 1, 1000)).astype(np.float32)
    np.testing.assert_allclose(A.Gain(gain_db_range=(20, 20))(audio=x, sample_rate=RATE)["audio"], x * 10, rtol=1e-6)
    out = A.TimeShift(fade_s=0)(audio=x, sample_rate=RATE, rng=0, return_params=True)
    shifts = out["params"]["children"][0]["shift"]
    for i in range(2):
        np.testing.assert_array_equal(out["audio"][i], np.roll(x[i], shifts[i], axis=-1))
    out = A.TimeMask(width_fraction_range=(0.1, 0.1), fade_s=0)(audio=x, sample_rate=RATE, rng=0, return_params=True)
    start = out["params"]["children"][0]["start"]
    for i in range(2):
        want = x[i].copy()
        want[:, start[i]: start[i] + 100] = 0
        np.testing.assert_array_equal(out["audio"][i], want)
    np.testing.assert_array_equal(A.PolarityInversion()(audio=x, sample_rate=RATE)["audio"], -x)


@pytest.mark.parametrize("rollover", [True, False])
def test_time_shift_of_ragged_multichannel_clips_equals_a_roll(rollover):
    rng = np.random.default_rng(4)
    clips = [rng.standard_normal((2, n)).astype(np.float32) for n in (1, 7, 500, 1000, 333)]
    out = A.TimeShift(shift_fraction_range=(-1.0, 1.0), rollover=rollover, fade_s=0)(
        audio=clips, sample_rate=RATE, rng=3, return_params=True)
    shifts = out["params"]["children"][0]["shift"]
    assert len(set(np.sign(shifts).tolist())) > 1  # both directions drawn
    for clip, s, got in zip(clips, shifts.tolist(), out["audio"], strict=True):
        n = clip.shape[-1]
        if rollover:
            want = np.roll(clip, s, axis=-1)
        else:  # sample t reads t - s where that lies in the clip; silence elsewhere
            want = np.zeros_like(clip)
            for t in range(n):
                if 0 <= t - s < n:
                    want[:, t] = clip[:, t - s]
        np.testing.assert_array_equal(got, want)


def _click_db(y: np.ndarray, at: int) -> float:
    """Energy above 4 kHz (dB) in a Hann-windowed 32 ms window centred on sample ``at``."""
    at = min(max(at, 256), len(y) - 256)
    spec = np.abs(np.fft.rfft(y[at - 256: at + 256] * np.hanning(512))) ** 2
    return float(10 * np.log10(spec[np.fft.rfftfreq(512, 1 / RATE) > 4000].sum() + 1e-30))


@pytest.mark.parametrize("make, cuts", [
    (lambda fade: A.TimeMask(width_fraction_range=(0.2, 0.2), fade_s=fade),
     lambda p: [p["start"], p["start"] + p["width"]]),
    (lambda fade: A.TimeShift(shift_fraction_range=(0.31, 0.31), fade_s=fade), lambda p: [p["shift"]]),
    (lambda fade: A.TimeShift(shift_fraction_range=(0.31, 0.31), rollover=False, fade_s=fade),
     lambda p: [p["shift"]]),
    (lambda fade: A.TimeShift(shift_fraction_range=(-0.31, -0.31), rollover=False, fade_s=fade),
     lambda p: [RATE + p["shift"]]),
])
def test_time_edits_fade_their_cuts_instead_of_clicking(make, cuts):
    # A hard cut through a tone is a click: broadband energy that no real recording has there.
    tone = (0.5 * np.cos(2 * np.pi * 441.3 * np.arange(RATE) / RATE + 0.7)).astype(np.float32)
    hard = make(0.0)(audio=tone, sample_rate=RATE, rng=1, return_params=True)
    soft = make(0.005)(audio=tone, sample_rate=RATE, rng=1)["audio"]  # the default fade
    for at in cuts({k: int(v[0]) for k, v in hard["params"]["children"][0].items() if k != "active"}):
        assert _click_db(tone, at) < -70
        assert _click_db(hard["audio"], at) > 0                     # the click, with hard cuts
        assert _click_db(soft, at) < min(-40, _click_db(hard["audio"], at) - 40)


def _rise(m: int) -> np.ndarray:
    """A raised-cosine ramp of ``m`` samples from ~0 to ~1 (written as 1/2 - cos/2: the reference)."""
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(m) + 0.5) / m)


@pytest.mark.parametrize("rollover", [True, False])
def test_time_shift_fades_equal_a_roll_times_its_envelope(rollover):
    rng = np.random.default_rng(4)
    clips = [rng.standard_normal((2, n)).astype(np.float32) for n in (1, 7, 90, 500, 1000, 333)]
    fade = 40  # samples (2.5 ms at 16 kHz): longer than some clips and some shifts
    out = A.TimeShift(shift_fraction_range=(-1.0, 1.0), rollover=rollover, fade_s=fade / RATE)(
        audio=clips, sample_rate=RATE, rng=3, return_params=True)
    shifts = out["params"]["children"][0]["shift"].tolist()
    for clip, s, got in zip(clips, shifts, out["audio"], strict=True):
        n = clip.shape[-1]
        env = np.ones(n)
        if rollover:
            want = np.roll(clip, s, axis=-1)
            k = s % n
            if k:  # the old end meets the old start at k: fade out before, in after
                m = min(fade, k)
                env[k - m:k] = _rise(fade)[::-1][fade - m:]
                m = min(fade, n - k)
                env[k:k + m] = _rise(fade)[:m]
        else:
            want = np.zeros_like(clip)
            for t in range(n):
                if 0 <= t - s < n:
                    want[:, t] = clip[:, t - s]
            if 0 < s < n:
                m = min(fade, n - s)
                env[s:s + m] = _rise(fade)[:m]
            elif -n < s < 0:
                m = min(fade, n + s)
                env[n + s - m:n + s] = _rise(fade)[::-1][fade - m:]
        np.testing.assert_allclose(got, want * env, rtol=1e-6, atol=1e-7)


def test_time_mask_fades_inside_the_span():
    x = np.random.default_rng(5).standard_normal((40, 2, 600)).astype(np.float32)
    fade = 30
    out = A.TimeMask(width_fraction_range=(0.0, 0.4), fade_s=fade / RATE)(
        audio=x, sample_rate=RATE, rng=2, return_params=True)
    p = out["params"]["children"][0]
    assert (p["width"] < 2 * fade).any() and (p["width"] > 2 * fade).any()  # narrow spans fade less
    for i, (start, width) in enumerate(zip(p["start"].tolist(), p["width"].tolist(), strict=True)):
        env = np.ones(600)
        env[start:start + width] = 0.0
        m = min(fade, width // 2)
        if m:
            env[start:start + m] = _rise(m)[::-1]
            env[start + width - m:start + width] = _rise(m)
        np.testing.assert_allclose(out["audio"][i], x[i] * env, rtol=1e-6, atol=1e-7)


def test_speed_perturb_scales_duration_and_pitch():
    t = np.arange(RATE) / RATE
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = A.SpeedPerturb(factors=(1.1,))(audio=[tone, tone[:8000]], sample_rate=RATE)["audio"]
    assert [len(c) for c in out] == [int(np.ceil(RATE / 1.1)), int(np.ceil(8000 / 1.1))]
    spectrum = np.abs(np.fft.rfft(out[0] * np.hanning(len(out[0]))))
    peak_hz = np.argmax(spectrum) * RATE / len(out[0])
    assert peak_hz == pytest.approx(440 * 1.1, abs=2)


def test_a_padded_batch_with_lengths_keeps_zeros_beyond_each_length():
    x = np.random.default_rng(10).standard_normal((2, 1, 4000)).astype(np.float32)
    x[1, :, 3000:] = 0
    pipe = ak.Compose([A.Reverb(max_ir_s=0.1), A.SpeedPerturb(factors=(0.9,)), A.Gain()], seed=0)
    out = pipe(audio=x, sample_rate=RATE, lengths=[4000, 3000])
    assert out["lengths"].tolist() == [4445, 3334] and out["audio"].shape == (2, 1, 4445)
    assert not out["audio"][1, :, 3334:].any() and out["audio"][1, :, 3300:3334].any()


# --- the pipeline, I/O and errors ---------------------------------------------------------
def test_the_crowd_car_phone_pipeline_runs_on_a_ragged_batch(tmp_path):
    for name in ("babble.flac", "car.flac"):
        data, rate = sf.read(DATA / name)
        sf.write(tmp_path / name.replace(".flac", ".wav"), data, rate)
    noise = A.NoiseBank.from_folder(tmp_path, sample_rate=RATE)
    pipe = ak.Compose([
        A.BackgroundNoise(noise, snr_db_range=(0, 20)),
        ak.OneOf([A.BadCellphone(), A.Reverb()], p=0.5),
        A.Gain(gain_db_range=(-6, 6)),
    ], seed=0)
    clips = [speech()[0], speech()[0, :20000]]
    out = pipe(audio=clips, sample_rate=RATE)
    assert [c.shape for c in out["audio"]] == [clips[0].shape, (20000,)]
    assert all(np.isfinite(c).all() for c in out["audio"])
    path = tmp_path / "pipe.json"
    ak.save(pipe, path)
    again = ak.load(path)
    assert again == pipe
    a = pipe(audio=clips, sample_rate=RATE, rng=4)["audio"]
    b = again(audio=clips, sample_rate=RATE, rng=4)["audio"]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_load_resamples_and_save_round_trips(tmp_path):
    clip, rate = A.load(DATA / "speech.flac")
    assert rate == 16000 and clip.dtype == np.float32 and clip.shape[0] == 1
    low, _ = A.load(DATA / "speech.flac", 8000)
    np.testing.assert_allclose(low, signal.resample_poly(clip, 1, 2, axis=-1), atol=1e-5)
    stereo = np.stack([clip[0], -clip[0]])
    A.save(tmp_path / "s.wav", stereo, 16000, subtype="FLOAT")
    back, _ = A.load(tmp_path / "s.wav")
    np.testing.assert_array_equal(back, stereo)
    assert A.load(tmp_path / "s.wav", mono=True)[0].shape == (1, clip.shape[1])


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"audio": np.array([0.0, np.nan], np.float32), "sample_rate": RATE}, ValueError, "NaN"),
    ({"audio": np.array([0.0, np.inf], np.float32), "sample_rate": RATE}, ValueError, "infinite"),
    ({"audio": np.zeros((1, 1, 1, 5), np.float32), "sample_rate": RATE}, ValueError, "(N, C, T)"),
    ({"audio": np.zeros(5, np.float32)}, TypeError, "sample_rate"),
    ({"audio": np.zeros(5, np.float32), "sample_rate": 0}, ValueError, "sample_rate"),
    ({"audio": np.zeros(5, np.int16), "sample_rate": RATE}, TypeError, "float32"),
    ({"audio": np.zeros((2, 1, 5), np.float32), "sample_rate": RATE, "lengths": [5, 6]}, ValueError, "lengths"),
    ({"audio": [np.zeros(5, np.float32), np.zeros((2, 5), np.float32)], "sample_rate": RATE}, ValueError, "ndim"),
    ({"audio": np.zeros(0, np.float32), "sample_rate": RATE}, ValueError, "no samples"),
    ({"audio": np.zeros(5, np.float32), "image": np.zeros((4, 4), np.uint8), "sample_rate": RATE}, TypeError,
     "audio="),
])
def test_bad_audio_input_gets_a_clear_error(kwargs, error, words):
    with pytest.raises(error) as info:
        A.Gain()(**kwargs)
    assert words in str(info.value)


def test_bank_and_file_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="no audio files"):
        A.NoiseBank.from_folder(tmp_path, sample_rate=RATE)
    with pytest.raises(FileNotFoundError, match="no folder"):
        A.NoiseBank.from_folder(tmp_path / "missing", sample_rate=RATE)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wav file")
    with pytest.raises(ValueError, match=r"could not read .*broken\.wav"):
        A.NoiseBank.from_folder(tmp_path, sample_rate=RATE)
    with pytest.raises(FileNotFoundError, match="no audio file"):
        A.load(tmp_path / "nothing.wav")
    bank = A.NoiseBank.from_arrays([np.ones(100, np.float32)], sample_rate=8000)
    with pytest.raises(ValueError, match="8000 Hz noise but the clips are 16000 Hz"):
        A.BackgroundNoise(bank)(audio=np.ones(100, np.float32), sample_rate=RATE)
    with pytest.raises(ValueError, match="built from arrays cannot be saved"):
        ak.to_dict(A.BackgroundNoise(bank))
    with pytest.raises(TypeError, match=r"noise must be an augkit\.audio\.NoiseBank"):
        A.BackgroundNoise("noises/")
    with pytest.raises(ValueError, match="Nyquist"):
        A.LowPass(cutoff_hz_range=(5000, 5000))(audio=np.ones(100, np.float32), sample_rate=8000)
    with pytest.raises(TypeError, match="image transform"):
        ak.image.Rotate()(audio=np.ones(100, np.float32), sample_rate=8000)
    with pytest.raises(TypeError, match="audio transform"):
        A.Gain()(image=np.zeros((8, 8), np.uint8))


def test_readme_audio_example_runs(tmp_path, monkeypatch):
    """The README's audio example stays runnable (with the bundled noises as its folder)."""
    import re
    import textwrap
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    code = textwrap.dedent(re.findall(r"```python\n(.*?)```", readme, re.S)[1])
    (tmp_path / "noises").mkdir()
    for name in ("babble.flac", "car.flac"):
        (tmp_path / "noises" / name).write_bytes((DATA / name).read_bytes())
    monkeypatch.chdir(tmp_path)
    clips = [speech()[0], speech()[0, :9000]]
    namespace = {"ak": ak, "clips": clips}
    exec(compile(code, "README.md", "exec"), namespace)
    assert [c.shape for c in namespace["out"]] == [c.shape for c in clips]


@pytest.mark.parametrize("kind, cutoffs_hz, order, rate, float32", [
    ("bandpass", (300.0, 3400.0), 4, 16000, True),   # the telephone band: float32 is exact enough
    ("lowpass", (3400.0,), 4, 8000, True),
    ("highpass", (20.0,), 8, 48000, False),          # poles 5e-4 from the unit circle: float64
    ("highpass", (5.0,), 4, 16000, False),
])
def test_iir_filtering_matches_float64_within_100_db(kind, cutoffs_hz, order, rate, float32):
    from scipy.signal import sosfilt

    from augkit.kernels.signal import _float32_enough, butter_sos, filter_audio

    sos = butter_sos(kind, cutoffs_hz, order, rate)
    assert _float32_enough(np.asarray(sos, np.float64).tobytes()) == float32
    x = np.random.default_rng(0).standard_normal((2, 1, rate)).astype(np.float32) * 0.1
    y = filter_audio(x, sos)
    ref = sosfilt(np.array(sos), x.astype(np.float64), axis=-1)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert 10 * np.log10(np.mean((y - ref) ** 2) / np.mean(ref ** 2)) < -100
