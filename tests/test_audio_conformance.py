"""The audio conformance suite, run over every registered audio transform."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest

import augkit as ak
from augkit.core.transform import registry
from augkit.testing import audio_conformance as C

A = ak.audio
DATA = files("augkit") / "data" / "audio"


def bank() -> ak.audio.NoiseBank:
    return A.NoiseBank.from_files([DATA / "babble.flac", DATA / "car.flac"], sample_rate=C.RATE)


EXAMPLE_ARGS = {
    "audio.BackgroundNoise": lambda: A.BackgroundNoise(bank(), snr_db_range=(0, 20)),
    "audio.GaussianNoise": lambda: A.GaussianNoise(snr_db_range=(5, 30), speech_power="active"),
    "audio.BadCellphone": lambda: A.BadCellphone(noise=bank(), loss_rate_range=(0.05, 0.3)),
    "audio.BandPass": lambda: A.BandPass(low_hz_range=(200, 400), high_hz_range=(2500, 4000)),
    "audio.Loudness": lambda: A.Loudness(level_dbfs_range=(-40, -10), measure="active"),
    "audio.BandStop": lambda: A.BandStop(center_hz_range=(300, 3000), bandwidth_octaves_range=(0.3, 2.0)),
    "audio.LowPass": lambda: A.LowPass(cutoff_hz_range=(1000, 4000)),
    "audio.HighPass": lambda: A.HighPass(cutoff_hz_range=(100, 500), order=2),
    "audio.Resample": lambda: A.Resample(rates_hz=(8000, 11025)),
    "audio.MuLaw": lambda: A.MuLaw(laws=("mu", "a")),
    "audio.PacketLoss": lambda: A.PacketLoss(loss_rate_range=(0.1, 0.4)),
    "audio.Clipping": lambda: A.Clipping(threshold_db_range=(-12, -1)),
    "audio.Reverb": lambda: A.Reverb(rt60_s_range=(0.1, 0.5), max_ir_s=0.3),
    "audio.Gain": lambda: A.Gain(gain_db_range=(-12, 12)),
    "audio.TimeShift": lambda: A.TimeShift(shift_fraction_range=(-0.3, 0.3), rollover=False),
    "audio.TimeMask": lambda: A.TimeMask(width_fraction_range=(0.05, 0.3)),
    "audio.SpeedPerturb": lambda: A.SpeedPerturb(factors=(0.9, 1.0, 1.1)),
    "audio.PolarityInversion": lambda: A.PolarityInversion(p=0.5),
}
CONTAINERS = {
    "Compose": lambda: ak.Compose([A.Gain(), A.LowPass(), A.SpeedPerturb(), A.TimeShift()]),
    "OneOf": lambda: ak.OneOf([A.BadCellphone(), A.Reverb(max_ir_s=0.2), A.TimeMask()], weights=[1, 2, 1]),
    "SomeOf": lambda: ak.SomeOf([A.Gain(), A.PolarityInversion(p=1), A.SpeedPerturb(factors=(0.8, 1.2))], n=(1, 2)),
}


def test_every_audio_transform_has_an_example():
    names = sorted(n for n in registry() if n.startswith("audio."))
    assert sorted(EXAMPLE_ARGS) == names, f"missing: {sorted(set(names) - set(EXAMPLE_ARGS))}"


CHECKS = [
    C.check_audio_batch_equals_per_clip,
    C.check_audio_p_zero_is_identity,
    C.check_audio_seed_determinism,
    C.check_audio_shapes,
    C.check_audio_no_mutation,
    C.check_audio_silence,
    C.check_audio_round_trips,
]
ALL = {**EXAMPLE_ARGS, **CONTAINERS}


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(ALL))
def test_audio_conformance(name, check):
    check(ALL[name]())


RANDOM = sorted(set(ALL) - {"audio.PolarityInversion"})


@pytest.mark.parametrize("name", RANDOM)
def test_parameters_are_independent_per_clip(name):
    """Identical clips in a batch come out different: each clip has its own draw."""
    x = np.repeat(np.stack(C.make_clips(n=1, lengths=(4000,))), 6, axis=0)
    out = ALL[name]()(audio=x, sample_rate=C.RATE, rng=0)
    y, lengths = out["audio"], out["lengths"]
    assert len({y[i, :, : lengths[i]].tobytes() for i in range(len(y))}) > 1
