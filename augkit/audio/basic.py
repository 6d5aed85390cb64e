"""Level, polarity, time and speed transforms for waveforms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import AudioMeta, AudioTransform, Params
from ..core.validate import check_number, check_range
from ..kernels import scratch
from ..kernels.signal import resample_audio, resample_length
from ..kernels.timeline import mask_audio, shift_audio

__all__ = ["Clipping", "Gain", "PolarityInversion", "SpeedPerturb", "TimeMask", "TimeShift"]


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> NDArray:
    return rng.uniform(bounds[0], bounds[1], n) if bounds[0] < bounds[1] else np.full(n, bounds[0])


@dataclass(frozen=True, kw_only=True)
class Gain(AudioTransform):
    """Multiply each clip by a gain drawn in decibels.

    Samples may exceed full scale afterwards (nothing is clipped here; see :class:`Clipping`).

    Parameters
    ----------
    gain_db_range : (float, float)
        Gain in dB, drawn uniformly per clip.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.audio.Gain(gain_db_range=(-6.0206, -6.0206))(audio=np.ones(4, np.float32), sample_rate=8000)
    >>> out["audio"].astype(float).round(3).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """

    gain_db_range: tuple[float, float] = (-6.0, 6.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("gain_db_range", check_range("gain_db_range", self.gain_db_range, low=-120.0, high=60.0))

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return {"gain_db": _uniform(rng, self.gain_db_range, meta.n)}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        gains = (10.0 ** (params["gain_db"] / 20.0)).astype(np.float32)
        return np.multiply(audio, gains[:, None, None], out=scratch.empty(audio.shape, np.float32))


@dataclass(frozen=True, kw_only=True)
class PolarityInversion(AudioTransform):
    """Flip the sign of every sample (inaudible alone; changes how mixes add up).

    Examples
    --------
    >>> import augkit as ak
    >>> ak.audio.PolarityInversion()(audio=np.array([0.5, -0.25], np.float32), sample_rate=8000)["audio"].tolist()
    [-0.5, 0.25]
    """

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        return np.negative(audio)


@dataclass(frozen=True, kw_only=True)
class Clipping(AudioTransform):
    """Hard-clip each clip at a threshold below its own peak (an overloaded input stage).

    Parameters
    ----------
    threshold_db_range : (float, float)
        Clipping level relative to the clip's peak, in dB (<= 0), drawn per clip.

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.array([0.2, -1.0, 0.6], np.float32)
    >>> clip = ak.audio.Clipping(threshold_db_range=(-6.0206, -6.0206))
    >>> clip(audio=x, sample_rate=8000)["audio"].astype(float).round(3).tolist()
    [0.2, -0.5, 0.5]
    """

    threshold_db_range: tuple[float, float] = (-20.0, -3.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("threshold_db_range", check_range("threshold_db_range", self.threshold_db_range,
                                                    low=-80.0, high=0.0))

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return {"threshold_db": _uniform(rng, self.threshold_db_range, meta.n)}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        peak = np.abs(audio).max(axis=(1, 2))
        level = (peak * 10.0 ** (params["threshold_db"] / 20.0)).astype(np.float32)[:, None, None]
        return np.clip(audio, -level, level, out=scratch.empty(audio.shape, np.float32))


@dataclass(frozen=True, kw_only=True)
class TimeShift(AudioTransform):
    """Shift each clip in time by a fraction of its length.

    Parameters
    ----------
    shift_fraction_range : (float, float)
        Shift as a fraction of the clip's length (positive: later), drawn per clip.
    rollover : bool
        Samples pushed off one end come back at the other (default); else silence fills in.
    fade_s : float
        Seconds faded out before and in after the cut (the seam where a rolled clip wraps
        around, or where it meets the silence), so that the cut does not click; 0 keeps it hard.

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.arange(1, 5, dtype=np.float32)
    >>> ak.audio.TimeShift(shift_fraction_range=(0.25, 0.25), fade_s=0)(audio=x, sample_rate=8000)["audio"].tolist()
    [4.0, 1.0, 2.0, 3.0]
    """

    shift_fraction_range: tuple[float, float] = (-0.5, 0.5)
    rollover: bool = True
    fade_s: float = 0.005

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("shift_fraction_range", check_range("shift_fraction_range", self.shift_fraction_range,
                                                      low=-1.0, high=1.0))
        if not isinstance(self.rollover, bool):
            raise TypeError(f"rollover must be True or False, got {self.rollover!r}")
        self._set("fade_s", check_number("fade_s", self.fade_s, low=0.0, high=1.0))

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        shift = np.rint(_uniform(rng, self.shift_fraction_range, meta.n) * meta.lengths).astype(np.int64)
        return {"shift": shift}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        return shift_audio(audio, params["shift"], meta.lengths, rollover=self.rollover,
                           fade=round(self.fade_s * meta.sample_rate))


@dataclass(frozen=True, kw_only=True)
class TimeMask(AudioTransform):
    """Silence one span of each clip (SpecAugment-style time masking, on the waveform).

    Parameters
    ----------
    width_fraction_range : (float, float)
        Width of the silenced span as a fraction of the clip's length, drawn per clip.
    fade_s : float
        Seconds of fade at each edge of the span, inside it (at most half its width), so that
        the edges do not click; 0 keeps them hard.

    Examples
    --------
    >>> import augkit as ak
    >>> mask = ak.audio.TimeMask(width_fraction_range=(0.5, 0.5), fade_s=0)
    >>> int((mask(audio=np.ones(8, np.float32), sample_rate=8000, rng=0)["audio"] == 0).sum())
    4
    """

    width_fraction_range: tuple[float, float] = (0.0, 0.2)
    fade_s: float = 0.005

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("width_fraction_range", check_range("width_fraction_range", self.width_fraction_range,
                                                      low=0.0, high=1.0))
        self._set("fade_s", check_number("fade_s", self.fade_s, low=0.0, high=1.0))

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        width = np.rint(_uniform(rng, self.width_fraction_range, meta.n) * meta.lengths).astype(np.int64)
        start = (rng.random(meta.n) * (meta.lengths - width + 1)).astype(np.int64)
        return {"start": start, "width": width}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        return mask_audio(audio, params["start"], params["width"], fade=round(self.fade_s * meta.sample_rate))


@dataclass(frozen=True, kw_only=True)
class SpeedPerturb(AudioTransform):
    """Play each clip faster or slower (tempo and pitch together), as in Kaldi recipes.

    The clip is resampled by ``1 / factor``: factor 1.1 makes it 10% shorter and higher.
    Clip lengths change; a padded batch comes back with new ``lengths``.

    Parameters
    ----------
    factors : tuple of float
        Speed factors, one chosen uniformly per clip.

    Examples
    --------
    >>> import augkit as ak
    >>> out = ak.audio.SpeedPerturb(factors=(1.25,))(audio=np.ones(1000, np.float32), sample_rate=8000)
    >>> out["audio"].shape
    (800,)
    """

    factors: tuple[float, ...] = (0.9, 1.0, 1.1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.factors, (list, tuple)) or not self.factors:
            raise TypeError(f"factors must be a non-empty tuple of speed factors, got {self.factors!r}")
        self._set("factors", tuple(check_number(f"factors[{i}]", f, low=0.25, high=4.0)
                                   for i, f in enumerate(self.factors)))

    def _ratio(self, factor: float) -> tuple[int, int]:
        from fractions import Fraction

        r = Fraction(factor).limit_denominator(1000)
        return r.numerator, r.denominator

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return {"factor": np.asarray(self.factors)[rng.integers(len(self.factors), size=meta.n)]}

    def output_lengths(self, params: Params, meta: AudioMeta) -> NDArray:
        out = meta.lengths.copy()
        for f in np.unique(params["factor"]):
            a, b = self._ratio(float(f))
            sel = params["factor"] == f
            out[sel] = resample_length(meta.lengths[sel], a, b)
        return out

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        lengths = self.output_lengths(params, meta)
        out = np.zeros((audio.shape[0], audio.shape[1], int(lengths.max())), np.float32)
        for f in np.unique(params["factor"]):
            sel = np.flatnonzero(params["factor"] == f)
            a, b = self._ratio(float(f))
            part = resample_audio(audio[sel], a, b)
            width = min(part.shape[2], out.shape[2])
            out[sel, :, :width] = part[:, :, :width]
        return out
