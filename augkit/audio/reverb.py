"""Room reverberation: convolution with recorded or synthetic impulse responses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import AudioMeta, AudioTransform, Params
from ..core.validate import check_number, check_range
from ..kernels.mixing import mean_power
from ..kernels.reverb import convolve_clips, synthetic_room_impulse
from .banks import ImpulseBank

__all__ = ["Reverb"]


@dataclass(frozen=True, kw_only=True)
class Reverb(AudioTransform):
    """Convolve each clip with a room impulse response; level and length are kept.

    With ``impulses`` (an :class:`ImpulseBank` of measured rooms) one response is drawn
    per clip; without, each clip gets a synthetic room: a direct path followed by
    exponentially decaying noise that falls by 60 dB in ``rt60_s`` seconds, at a
    direct-to-reverberant ratio ``drr_db``. The output is scaled back to the clip's power
    and cut to its length (the tail is dropped).

    Measured responses usually start with the sound's travel time and the recording
    latency before their direct path (milliseconds to a tenth of a second). With
    ``align_direct_path`` (the default) the output is advanced by the direct path's position
    (the response's largest magnitude), so the reverberant clip keeps the dry clip's timing
    and no speech is pushed past its end, as Kaldi's ``wav-reverberate --shift-output``
    does; synthetic rooms start with their direct path.

    Parameters
    ----------
    impulses : ImpulseBank or None
    rt60_s_range : (float, float)
        Reverberation time of synthetic rooms, drawn per clip.
    drr_db_range : (float, float)
        Direct-to-reverberant energy ratio of synthetic rooms, in dB.
    max_ir_s : float
        Longest synthetic impulse response, in seconds.
    align_direct_path : bool
        Advance the output by each measured response's direct-path delay (default), or keep
        the delay (the clip comes out later by that much, its end cut off).

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.zeros(8000, np.float32); x[100] = 1.0
    >>> y = ak.audio.Reverb(rt60_s_range=(0.3, 0.3))(audio=x, sample_rate=8000, rng=0)["audio"]
    >>> y.shape, bool(np.abs(y[:100]).max() < 1e-6), bool(np.abs(y[1000:]).max() > 0)
    ((8000,), True, True)
    """

    impulses: ImpulseBank | None = None
    rt60_s_range: tuple[float, float] = (0.2, 0.8)
    drr_db_range: tuple[float, float] = (0.0, 10.0)
    max_ir_s: float = 1.0
    align_direct_path: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.impulses is not None and not isinstance(self.impulses, ImpulseBank):
            raise TypeError(f"impulses must be an augkit.audio.ImpulseBank or None, got {type(self.impulses).__name__}")
        self._set("rt60_s_range", check_range("rt60_s_range", self.rt60_s_range, low=0.01, high=10.0))
        self._set("drr_db_range", check_range("drr_db_range", self.drr_db_range, low=-30.0, high=40.0))
        self._set("max_ir_s", check_number("max_ir_s", self.max_ir_s, low=0.01, high=10.0))
        if not isinstance(self.align_direct_path, bool):
            raise TypeError(f"align_direct_path must be True or False, got {self.align_direct_path!r}")

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        n = meta.n
        if self.impulses is not None:
            if self.impulses.sample_rate != meta.sample_rate:
                raise ValueError(f"the impulse bank is at {self.impulses.sample_rate} Hz but the clips are "
                                 f"{meta.sample_rate} Hz; build it with sample_rate={meta.sample_rate}")
            return {"impulse_index": rng.integers(len(self.impulses), size=n)}
        lo, hi = self.rt60_s_range
        dlo, dhi = self.drr_db_range
        return {"rt60_s": rng.uniform(lo, hi, n) if lo < hi else np.full(n, lo),
                "drr_db": rng.uniform(dlo, dhi, n) if dlo < dhi else np.full(n, dlo),
                "room_seed": rng.integers(0, 2**63, size=n, dtype=np.int64)}

    def _impulses(self, params: Params, meta: AudioMeta) -> list[NDArray]:
        if self.impulses is not None:
            return [self.impulses.sounds[k] for k in params["impulse_index"].tolist()]
        return [
            synthetic_room_impulse(np.random.default_rng(seed), rt60, drr, meta.sample_rate, self.max_ir_s)
            for seed, rt60, drr in zip(params["room_seed"].tolist(), params["rt60_s"].tolist(),
                                       params["drr_db"].tolist(), strict=True)
        ]

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        delays = None
        if self.impulses is not None and self.align_direct_path:
            delays = [self.impulses.direct_path[k] for k in params["impulse_index"].tolist()]
        wet = convolve_clips(audio, self._impulses(params, meta), delays)
        wet *= np.arange(audio.shape[2])[None, None, :] < meta.lengths[:, None, None]
        before, after = mean_power(audio, meta.lengths), mean_power(wet, meta.lengths)
        ok = (before > 0) & (after > 0)
        scale = np.sqrt(np.where(ok, before, 1.0) / np.where(ok, after, 1.0))
        return wet * scale.astype(np.float32)[:, None, None]
