"""Frequency filters and a resampling round trip (stages of a telephone channel)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from ..core.transform import AudioMeta, AudioTransform, Params
from ..core.validate import check_int, check_range
from ..kernels.signal import butter_sos, filter_audio, resample_audio, resample_length

__all__ = ["BandPass", "BandStop", "HighPass", "LowPass", "Resample"]

#: Cut-offs are snapped to this many steps per octave, so filter designs are cached.
STEPS_PER_OCTAVE = 24


def _draw_hz(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> NDArray:
    """Log-uniform frequencies in ``bounds``, snapped to 1/24-octave steps (within bounds)."""
    lo, hi = np.log2(bounds[0]), np.log2(bounds[1])
    octaves = rng.uniform(lo, hi, n) if lo < hi else np.full(n, lo)
    snapped = np.round(octaves * STEPS_PER_OCTAVE) / STEPS_PER_OCTAVE
    return np.clip(2.0 ** snapped, bounds[0], bounds[1])


def _check_nyquist(name: str, hz: NDArray, meta: AudioMeta) -> None:
    if (hz >= meta.sample_rate / 2).any():
        raise ValueError(f"{name} reaches {hz.max():g} Hz, at or above the Nyquist rate "
                         f"{meta.sample_rate / 2:g} Hz of {meta.sample_rate} Hz audio")


def _filter_groups(audio: NDArray, edges_hz: NDArray, kind: str, order: int, rate: int) -> NDArray:
    """Filter each clip with the Butterworth design of its row of ``edges_hz`` (one design per distinct row)."""
    rows, groups = np.unique(edges_hz, axis=0, return_inverse=True)
    if len(rows) == 1:  # one design for every clip (the usual case): no copy
        return filter_audio(audio, butter_sos(kind, tuple(float(v) for v in rows[0]), order, rate))
    out = np.empty_like(audio)
    for g, row in enumerate(rows):
        sel = np.flatnonzero(groups.reshape(-1) == g)
        out[sel] = filter_audio(audio[sel], butter_sos(kind, tuple(float(v) for v in row), order, rate))
    return out


def _check_cutoff_options(t: AudioTransform) -> None:
    t._set("cutoff_hz_range", check_range("cutoff_hz_range", t.cutoff_hz_range, low=1.0, low_open=True))
    t._set("order", check_int("order", t.order, low=1, high=16))


def _draw_cutoff(t: AudioTransform, rng: np.random.Generator, meta: AudioMeta) -> Params:
    hz = _draw_hz(rng, t.cutoff_hz_range, meta.n)
    _check_nyquist("cutoff_hz_range", hz, meta)
    return {"cutoff_hz": hz}


class _OneCutoff:
    """What LowPass and HighPass share (a mixin: no fields, not a Transform): the cut-off checks
    and draws, and the filter call with the class's ``kind``."""

    cutoff_hz_range: tuple[float, float]
    order: int
    kind: ClassVar[str]

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]
        _check_cutoff_options(self)  # type: ignore[arg-type]

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return _draw_cutoff(self, rng, meta)  # type: ignore[arg-type]

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        return _filter_groups(audio, params["cutoff_hz"][:, None], self.kind, self.order, meta.sample_rate)


@dataclass(frozen=True, kw_only=True)
class LowPass(_OneCutoff, AudioTransform):
    """Butterworth low-pass filter (causal), cut-off drawn per clip.

    Parameters
    ----------
    cutoff_hz_range : (float, float)
        -3 dB cut-off, drawn log-uniformly and snapped to 1/24 octave (cached designs).
    order : int
        Filter order (roll-off 6 dB/octave per order).

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.sin(2 * np.pi * 3000 * np.arange(8000) / 8000 * 1.0).astype(np.float32)
    >>> y = ak.audio.LowPass(cutoff_hz_range=(500, 500))(audio=x, sample_rate=8000)["audio"]
    >>> bool(np.abs(y[1000:]).max() < 0.01)
    True
    """

    cutoff_hz_range: tuple[float, float] = (2000.0, 6000.0)
    order: int = 4
    kind: ClassVar[str] = "lowpass"


@dataclass(frozen=True, kw_only=True)
class HighPass(_OneCutoff, AudioTransform):
    """Butterworth high-pass filter (causal), cut-off drawn per clip.

    Parameters
    ----------
    cutoff_hz_range : (float, float)
        -3 dB cut-off, drawn log-uniformly and snapped to 1/24 octave (cached designs).
    order : int

    Examples
    --------
    >>> import augkit as ak
    >>> y = ak.audio.HighPass(cutoff_hz_range=(300, 300))(audio=np.ones(8000, np.float32), sample_rate=8000)["audio"]
    >>> bool(np.abs(y[2000:]).max() < 1e-3)
    True
    """

    cutoff_hz_range: tuple[float, float] = (50.0, 400.0)
    order: int = 4
    kind: ClassVar[str] = "highpass"


@dataclass(frozen=True, kw_only=True)
class BandPass(AudioTransform):
    """Butterworth band-pass filter (causal), band edges drawn per clip.

    Parameters
    ----------
    low_hz_range, high_hz_range : (float, float)
        -3 dB band edges, drawn log-uniformly and snapped to 1/24 octave.
    order : int
        Order of each edge (the band-pass has ``2 * order`` poles).

    Examples
    --------
    >>> import augkit as ak
    >>> bp = ak.audio.BandPass(low_hz_range=(300, 300), high_hz_range=(3400, 3400))
    >>> bp(audio=np.zeros((2, 1, 800), np.float32), sample_rate=16000)["audio"].shape
    (2, 1, 800)
    """

    low_hz_range: tuple[float, float] = (200.0, 400.0)
    high_hz_range: tuple[float, float] = (3000.0, 4000.0)
    order: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("order", check_int("order", self.order, low=1, high=16))
        low = check_range("low_hz_range", self.low_hz_range, low=1.0, low_open=True)
        high = check_range("high_hz_range", self.high_hz_range, low=1.0, low_open=True)
        if low[1] >= high[0]:
            raise ValueError(f"low_hz_range {low} must lie below high_hz_range {high}")
        self._set("low_hz_range", low)
        self._set("high_hz_range", high)

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        low = _draw_hz(rng, self.low_hz_range, meta.n)
        high = _draw_hz(rng, self.high_hz_range, meta.n)
        _check_nyquist("high_hz_range", high, meta)
        return {"low_hz": low, "high_hz": high}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        edges = np.stack([params["low_hz"], params["high_hz"]], axis=1)
        return _filter_groups(audio, edges, "bandpass", self.order, meta.sample_rate)


@dataclass(frozen=True, kw_only=True)
class BandStop(AudioTransform):
    """Butterworth band-stop filter (causal): a band of frequencies removed, centre and width
    drawn per clip (SpecAugment's frequency masking on the waveform; a notch of a cheap
    loudspeaker or microphone).

    Parameters
    ----------
    center_hz_range : (float, float)
        Centre of the band (geometric mean of its edges), drawn log-uniformly.
    bandwidth_octaves_range : (float, float)
        Width of the band in octaves (> 0; 1: from ``centre / sqrt(2)`` to ``centre * sqrt(2)``).
    order : int
        Order of each edge (the band-stop has ``2 * order`` poles).

    Edges are snapped to 1/24 octave (cached designs).

    Examples
    --------
    >>> import augkit as ak
    >>> t = np.arange(16000) / 16000
    >>> tones = (np.sin(2 * np.pi * 1000 * t) + np.sin(2 * np.pi * 4000 * t)).astype(np.float32)
    >>> notch = ak.audio.BandStop(center_hz_range=(1000, 1000), bandwidth_octaves_range=(1, 1))
    >>> y = notch(audio=tones, sample_rate=16000)["audio"][4000:]
    >>> spectrum = np.abs(np.fft.rfft(y))
    >>> bool(spectrum[3000] > 100 * spectrum[1000])      # 1 kHz gone, 4 kHz kept (1 Hz bins)
    True
    """

    center_hz_range: tuple[float, float] = (200.0, 4000.0)
    bandwidth_octaves_range: tuple[float, float] = (0.25, 1.5)
    order: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("order", check_int("order", self.order, low=1, high=16))
        self._set("center_hz_range", check_range("center_hz_range", self.center_hz_range, low=1.0, low_open=True))
        self._set("bandwidth_octaves_range", check_range("bandwidth_octaves_range", self.bandwidth_octaves_range,
                                                         low=0.0, high=8.0, low_open=True))

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        center = np.log2(_draw_hz(rng, self.center_hz_range, meta.n))
        width = rng.uniform(*self.bandwidth_octaves_range, size=meta.n)
        low = 2.0 ** (np.round((center - width / 2) * STEPS_PER_OCTAVE) / STEPS_PER_OCTAVE)
        high = 2.0 ** (np.round((center + width / 2) * STEPS_PER_OCTAVE) / STEPS_PER_OCTAVE)
        high = np.maximum(high, low * 2.0 ** (1 / STEPS_PER_OCTAVE))  # (at least one step wide)
        _check_nyquist("the band of center_hz_range and bandwidth_octaves_range", high, meta)
        return {"low_hz": low, "high_hz": high}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        edges = np.stack([params["low_hz"], params["high_hz"]], axis=1)
        return _filter_groups(audio, edges, "bandstop", self.order, meta.sample_rate)


@dataclass(frozen=True, kw_only=True)
class Resample(AudioTransform):
    """Resample each clip down to a lower rate and back (what a narrowband link does).

    The clip keeps its rate and length; content above half the lower rate is gone, and
    the polyphase filters leave their mark near that edge.

    Parameters
    ----------
    rates_hz : tuple of int
        Intermediate rates, one chosen per clip (e.g. ``(8000,)`` for telephone,
        ``(8000, 11025, 16000)`` for a mix of devices).

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.audio.Resample(rates_hz=(8000,))(audio=np.zeros(1601, np.float32), sample_rate=16000)
    >>> out["audio"].shape
    (1601,)
    """

    rates_hz: tuple[int, ...] = (8000,)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.rates_hz, (list, tuple)) or not self.rates_hz:
            raise TypeError(f"rates_hz must be a non-empty tuple of rates in Hz, got {self.rates_hz!r}")
        self._set("rates_hz", tuple(check_int(f"rates_hz[{i}]", r, low=1) for i, r in enumerate(self.rates_hz)))

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return {"rate_hz": np.asarray(self.rates_hz)[rng.integers(len(self.rates_hz), size=meta.n)]}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        out = np.empty_like(audio)
        t = audio.shape[2]
        for rate in np.unique(params["rate_hz"]):
            sel = np.flatnonzero(params["rate_hz"] == rate)
            down = resample_audio(audio[sel], meta.sample_rate, int(rate))
            valid = resample_length(meta.lengths[sel], meta.sample_rate, int(rate))
            down *= np.arange(down.shape[2])[None, None, :] < valid[:, None, None]  # as if unpadded
            up = resample_audio(down, int(rate), meta.sample_rate)
            out[sel] = 0.0
            out[sel, :, : min(t, up.shape[2])] = up[:, :, :t]
        return out
