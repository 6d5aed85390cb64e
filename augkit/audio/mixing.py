"""Adding noise at a chosen signal-to-noise ratio.

SNR is ``10 * log10(P_clip / P_noise)`` with ``P`` the mean square over the clip's samples
(all channels); only the noise is scaled. With ``speech_power="active"`` the clip's power is
measured over active 20 ms frames only (within 40 dB of the loudest frame), so pauses do
not make speech look quieter than it is. A silent clip gets no noise (its SNR is
undefined; nothing becomes NaN).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import AudioMeta, AudioTransform, Params
from ..core.validate import check_choice, check_range
from ..kernels import backend, scratch
from ..kernels.mixing import active_power, add_looped_noise, mean_power, noise_gains
from .banks import NoiseBank
from .basic import _uniform

__all__ = ["BackgroundNoise", "GaussianNoise", "Loudness"]

SPEECH_POWERS = ("all", "active")


def _clip_power(audio: NDArray, meta: AudioMeta, how: str) -> NDArray:
    if how == "active":
        return active_power(audio, meta.lengths, meta.sample_rate)
    if meta.sum_squares is not None:  # measured while the call validated its input
        return meta.sum_squares / (meta.lengths * audio.shape[1])
    return mean_power(audio, meta.lengths)


def draw_background(rng: np.random.Generator, bank: NoiseBank, snr_db_range: tuple[float, float],
                    meta: AudioMeta) -> Params:
    """Noise choice, offset and SNR per clip (shared with :class:`~augkit.audio.BadCellphone`)."""
    check_bank_rate(bank, meta)
    index = rng.integers(len(bank), size=meta.n)
    offset = bank.offsets(index, rng.random(meta.n), meta.lengths)
    lo, hi = snr_db_range
    snr = rng.uniform(lo, hi, meta.n) if lo < hi else np.full(meta.n, lo)
    return {"noise_index": index, "noise_offset": offset, "snr_db": snr}


def check_bank_rate(bank: NoiseBank, meta: AudioMeta) -> None:
    if bank.sample_rate != meta.sample_rate:
        raise ValueError(f"the noise bank holds {bank.sample_rate} Hz noise but the clips are "
                         f"{meta.sample_rate} Hz; build the bank with sample_rate={meta.sample_rate}")


def add_background(audio: NDArray, params: Params, meta: AudioMeta, bank: NoiseBank, how: str) -> NDArray:
    """Mix bank noise into clips at ``params["snr_db"]`` (the kernel of :class:`BackgroundNoise`).

    Clip by clip, the noise is read straight from the bank (no per-call copy of it) and
    added by :func:`~augkit.kernels.mixing.add_looped_noise`: one fused OpenCV pass per
    piece when OpenCV is in use, else a copy and BLAS ``saxpy``.
    """
    check_bank_rate(bank, meta)
    index, offset = params["noise_index"], params["noise_offset"]
    gains = noise_gains(_clip_power(audio, meta, how), bank.segment_power(index, offset, meta.lengths),
                        params["snr_db"])
    out = scratch.empty(audio.shape, np.float32)
    looped, starts = bank.placement(index, offset, meta.lengths)
    cv2 = backend.opencv()
    c, width = audio.shape[1:]
    sources = (bank.sounds, bank.loops)
    for i, (k, lp, start, t, g) in enumerate(zip(index.tolist(), looped.tolist(), starts.tolist(),
                                                 meta.lengths.tolist(), gains.tolist(), strict=True)):
        src = sources[lp][k]
        if cv2 is not None and c == 1 and t == width and start + t <= len(src) and g != 0.0:
            # the usual clip, inlined: one contiguous piece, one fused pass (no per-clip call chain)
            dst = out[i, 0]
            res = cv2.scaleAdd(src[start: start + t], g, audio[i, 0], dst=dst)
            if res is not dst and not np.shares_memory(res, dst):  # pragma: no cover - the binding copied
                dst[...] = np.asarray(res).reshape(dst.shape)
        else:
            add_looped_noise(out[i], audio[i], src, start, t, g, cv2)
    return out


@dataclass(frozen=True)
class BackgroundNoise(AudioTransform):
    """Mix a random segment of a recorded noise into each clip at a random SNR.

    Parameters
    ----------
    noise : NoiseBank
        Noises at the clips' sample rate, loaded once (:meth:`NoiseBank.from_folder`).
    snr_db_range : (float, float)
        SNR in dB, drawn uniformly per clip; the drawn value is ``params["snr_db"]``.
    speech_power : {"all", "active"}
        Measure the clip's power over all samples, or over active frames only.

    Examples
    --------
    >>> import augkit as ak
    >>> bank = ak.audio.NoiseBank.from_arrays([np.random.default_rng(0).standard_normal(8000)], 8000)
    >>> add = ak.audio.BackgroundNoise(bank, snr_db_range=(10, 10))
    >>> clean = np.sin(np.arange(4000) / 5).astype(np.float32)
    >>> noisy = add(audio=clean, sample_rate=8000, rng=0)["audio"]
    >>> round(float(10 * np.log10(np.mean(clean ** 2) / np.mean((noisy - clean) ** 2))), 3)
    10.0
    """

    noise: NoiseBank
    _: KW_ONLY
    snr_db_range: tuple[float, float] = (0.0, 20.0)
    speech_power: str = "all"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.noise, NoiseBank):
            raise TypeError(f"noise must be an augkit.audio.NoiseBank, got {type(self.noise).__name__}")
        self._set("snr_db_range", check_range("snr_db_range", self.snr_db_range, low=-60.0, high=120.0))
        check_choice("speech_power", self.speech_power, SPEECH_POWERS)

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return draw_background(rng, self.noise, self.snr_db_range, meta)

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        return add_background(audio, params, meta, self.noise, self.speech_power)


@dataclass(frozen=True, kw_only=True)
class GaussianNoise(AudioTransform):
    """Add white Gaussian noise at a random SNR relative to each clip's power.

    Registered as ``"audio.GaussianNoise"``. White noise rarely resembles real recording
    conditions; prefer :class:`BackgroundNoise` with recorded noise when you have it.

    Parameters
    ----------
    snr_db_range : (float, float)
        SNR in dB, drawn uniformly per clip.
    speech_power : {"all", "active"}

    Examples
    --------
    >>> import augkit as ak
    >>> clean = np.ones((1, 1, 20000), np.float32)
    >>> noisy = ak.audio.GaussianNoise(snr_db_range=(20, 20))(audio=clean, sample_rate=8000, rng=1)["audio"]
    >>> round(float(10 * np.log10(1 / np.mean((noisy - clean) ** 2))), 1)
    20.0
    """

    snr_db_range: tuple[float, float] = (5.0, 40.0)
    speech_power: str = "all"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("snr_db_range", check_range("snr_db_range", self.snr_db_range, low=-60.0, high=120.0))
        check_choice("speech_power", self.speech_power, SPEECH_POWERS)

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        lo, hi = self.snr_db_range
        snr = rng.uniform(lo, hi, meta.n) if lo < hi else np.full(meta.n, lo)
        # one independent stream seed per clip: a clip's noise does not depend on the batch
        return {"snr_db": snr, "noise_seed": rng.integers(0, 2**63, size=meta.n, dtype=np.int64)}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        n, c, t = audio.shape
        noise = np.zeros((n, c, t), np.float32)
        for i, (seed, length) in enumerate(zip(params["noise_seed"].tolist(), meta.lengths.tolist(), strict=True)):
            noise[i, :, :length] = np.random.default_rng(seed).standard_normal((c, length), np.float32)
        # the noise is scaled to the requested SNR exactly (its own measured power, not 1.0)
        gains = noise_gains(_clip_power(audio, meta, self.speech_power), mean_power(noise, meta.lengths),
                            params["snr_db"])
        return audio + noise * gains.astype(np.float32)[:, None, None]


#: How :class:`Loudness` measures a clip's level.
LEVEL_MEASURES = ("rms", "active", "peak")


@dataclass(frozen=True, kw_only=True)
class Loudness(AudioTransform):
    """Scale each clip to a level drawn in dBFS: recordings made near and far, loud and quiet,
    brought to (or spread over) the levels the test data has.

    Levels are ``10 * log10(mean square)`` for ``"rms"`` (a full-scale square wave is 0 dBFS,
    a full-scale sine -3.01 dBFS), the same over active frames only for ``"active"`` (pauses do
    not lower a speaker's level; see :class:`BackgroundNoise`), or ``20 * log10(peak)``. Silent
    clips stay silent; nothing is clipped (see :class:`Clipping`): a high target can take peaks
    past full scale.

    Parameters
    ----------
    level_dbfs_range : (float, float)
        Target level in dBFS, drawn uniformly per clip, in [-100, 20].
    measure : {"rms", "active", "peak"}

    Examples
    --------
    >>> import augkit as ak
    >>> x = (0.01 * np.sin(np.arange(16000) / 5)).astype(np.float32)
    >>> y = ak.audio.Loudness(level_dbfs_range=(-20, -20))(audio=x, sample_rate=16000)["audio"]
    >>> round(float(10 * np.log10(np.mean(y.astype(np.float64) ** 2))), 2)
    -20.0
    """

    level_dbfs_range: tuple[float, float] = (-35.0, -15.0)
    measure: str = "rms"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("level_dbfs_range", check_range("level_dbfs_range", self.level_dbfs_range, low=-100.0, high=20.0))
        check_choice("measure", self.measure, LEVEL_MEASURES)

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return {"level_dbfs": _uniform(rng, self.level_dbfs_range, meta.n)}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        if self.measure == "peak":
            flat = audio.reshape(audio.shape[0], -1)  # (two reductions: no batch-sized |x| temporary)
            power = np.maximum(flat.max(axis=1), -flat.min(axis=1)).astype(np.float64) ** 2
        else:
            power = _clip_power(audio, meta, "active" if self.measure == "active" else "all")
        target = 10.0 ** (np.asarray(params["level_dbfs"], np.float64) / 10.0)
        gains = np.sqrt(np.where(power > 0, target / np.where(power > 0, power, 1.0), 1.0)).astype(np.float32)
        return np.multiply(audio, gains[:, None, None], out=scratch.empty(audio.shape, np.float32))
