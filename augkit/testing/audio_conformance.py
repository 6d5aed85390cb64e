"""Checks every augkit audio transform must pass (public, for user transforms too).

Each ``check_*`` function raises ``AssertionError`` with a message on failure. FFT-based
transforms agree between batch and single-clip calls to float32 rounding, so clips are
compared with ``atol=1e-5``.

Examples
--------
>>> import augkit as ak
>>> check_audio_transform(ak.audio.Gain())
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
from numpy.typing import NDArray

from ..core.pipeline import Compose
from ..core.serialize import from_dict, to_dict
from ..core.transform import Transform, take_params

__all__ = [
    "RATE",
    "check_audio_batch_equals_per_clip",
    "check_audio_no_mutation",
    "check_audio_p_zero_is_identity",
    "check_audio_round_trips",
    "check_audio_seed_determinism",
    "check_audio_shapes",
    "check_audio_silence",
    "check_audio_transform",
    "make_clips",
]

#: Sample rate of the test clips.
RATE = 16000
ATOL = 1e-5


def make_clips(n: int = 3, channels: int = 1, lengths: tuple[int, ...] = (4000, 3000, 3500),
               seed: int = 0) -> list[NDArray]:
    """Speech-like test clips (harmonics with a syllable envelope, plus a little noise)."""
    rng = np.random.default_rng(seed)
    clips = []
    for i in range(n):
        t = np.arange(lengths[i % len(lengths)]) / RATE
        f0 = 110 + 40 * i
        tone = sum(np.sin(2 * np.pi * f0 * k * t + k) / k for k in range(1, 8))
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
        x = 0.2 * tone * envelope + 0.01 * rng.standard_normal((channels, len(t)))
        clips.append(x.astype(np.float32))
    return clips


def _same(a: NDArray, b: NDArray, what: str) -> None:
    assert a.shape == b.shape, f"{what}: shapes {a.shape} and {b.shape} differ"
    assert np.allclose(a, b, atol=ATOL, rtol=0), f"{what}: max difference {np.abs(a - b).max():.3g}"


def check_audio_batch_equals_per_clip(t: Transform) -> None:
    """A list of clips of different lengths, replayed clip by clip with the same params."""
    clips = make_clips()
    pipe = Compose([t])
    out = pipe(audio=clips, sample_rate=RATE, rng=3, return_params=True)
    for i, clip in enumerate(clips):
        one = take_params(out["params"], np.array([i]))
        alone = pipe.replay(one, audio=clip, sample_rate=RATE)["audio"]
        _same(out["audio"][i], alone, f"{type(t).__name__}: clip {i} in a batch vs alone")


def check_audio_p_zero_is_identity(t: Transform) -> None:
    clips = np.stack(make_clips(lengths=(3000,)))
    off = dataclasses.replace(t, p=0.0)
    out = off(audio=clips, sample_rate=RATE, rng=1)["audio"]
    assert np.array_equal(out, clips), f"{type(t).__name__}(p=0) changed the audio"


def check_audio_seed_determinism(t: Transform) -> None:
    clips = make_clips()
    a = t(audio=clips, sample_rate=RATE, rng=7)["audio"]
    b = t(audio=clips, sample_rate=RATE, rng=7)["audio"]
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y), f"{type(t).__name__}: the same seed gave different audio"


def check_audio_shapes(t: Transform) -> None:
    """(T,), (C, T), (N, C, T) and lists come back in the same layout, float32."""
    mono = make_clips(n=1, lengths=(3000,))[0][0]
    stereo = make_clips(n=1, channels=2, lengths=(3000,))[0]
    name = type(t).__name__
    for x in (mono, stereo, mono.astype(np.float64)):
        y = t(audio=x, sample_rate=RATE, rng=0)["audio"]
        assert y.ndim == x.ndim and y.shape[:-1] == x.shape[:-1], f"{name}: {x.shape} came back as {y.shape}"
        assert y.dtype == np.float32, f"{name}: output dtype {y.dtype}, expected float32"
    batch = np.stack([stereo, stereo])
    out = t(audio=batch, sample_rate=RATE, rng=0)
    assert out["audio"].ndim == 3 and out["audio"].shape[:2] == (2, 2), f"{name}: batch shape {out['audio'].shape}"
    assert out["lengths"].shape == (2,) and out["sample_rate"] == RATE
    listed = t(audio=[mono, mono[:2000]], sample_rate=RATE, rng=0)["audio"]
    assert isinstance(listed, list) and [c.ndim for c in listed] == [1, 1], f"{name}: list layout lost"


def check_audio_no_mutation(t: Transform) -> None:
    clips = make_clips()
    kept = [c.copy() for c in clips]
    out = t(audio=clips, sample_rate=RATE, rng=0)["audio"]
    batch = np.stack(make_clips(lengths=(3000,)))
    kept_batch = batch.copy()
    out_batch = t(audio=batch, sample_rate=RATE, rng=0)["audio"]
    name = type(t).__name__
    assert all(np.array_equal(a, b) for a, b in zip(clips, kept, strict=True)), f"{name} modified its input"
    assert np.array_equal(batch, kept_batch), f"{name} modified its input batch"
    assert not np.may_share_memory(out_batch, batch), f"{name} returned (a view of) its input"
    assert not any(np.may_share_memory(o, c) for o, c in zip(out, clips, strict=True))


def check_audio_silence(t: Transform) -> None:
    """Silent and constant clips give finite output (no NaN from a zero power)."""
    for value in (0.0, 0.25):
        x = np.full((2, 1, 3000), value, np.float32)
        y = t(audio=x, sample_rate=RATE, rng=0)["audio"]
        assert np.isfinite(y).all(), f"{type(t).__name__} gave NaN/inf on a constant {value} clip"


def check_audio_round_trips(t: Transform) -> None:
    clips = make_clips()
    expected = t(audio=clips, sample_rate=RATE, rng=5)["audio"]
    name = type(t).__name__
    for how, rebuilt in (("to_dict/from_dict", lambda: from_dict(to_dict(t))),
                         ("pickle", lambda: pickle.loads(pickle.dumps(t)))):
        u = rebuilt()
        assert u == t, f"{name}: {how} gave an unequal transform"
        got = u(audio=clips, sample_rate=RATE, rng=5)["audio"]
        for a, b in zip(expected, got, strict=True):
            assert np.array_equal(a, b), f"{name}: output differs after {how}"


def check_audio_transform(t: Transform) -> None:
    """Run every audio conformance check on ``t``."""
    check_audio_batch_equals_per_clip(t)
    check_audio_p_zero_is_identity(t)
    check_audio_seed_determinism(t)
    check_audio_shapes(t)
    check_audio_no_mutation(t)
    check_audio_silence(t)
    check_audio_round_trips(t)
