"""Telephone-channel degradations: G.711 companding, packet loss, and the whole bad-cellphone chain.

Parameter values follow the PSTN/G.711 narrowband channel: 300-3400 Hz, 8 kHz, 8-bit
mu-law (North America, Japan) or A-law (elsewhere), 20 ms frames with bursty loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.transform import AudioMeta, AudioTransform, Params
from ..core.validate import check_choice, check_int, check_number, check_range
from ..kernels import scratch
from ..kernels.g711 import LAWS, compand_audio
from ..kernels.packets import CONCEALMENTS, conceal_lost_frames, gilbert_elliott_losses
from ..kernels.phone import telephone_channel
from ..kernels.signal import resample_length
from .banks import NoiseBank
from .mixing import add_background, draw_background

__all__ = ["BadCellphone", "MuLaw", "PacketLoss"]


def _check_laws(name: str, laws: object) -> tuple[str, ...]:
    if isinstance(laws, str):
        laws = (laws,)
    if not isinstance(laws, (list, tuple)) or not laws:
        raise TypeError(f"{name} must be a non-empty tuple of 'mu'/'a', got {laws!r}")
    return tuple(check_choice(f"{name}[{i}]", v, LAWS) for i, v in enumerate(laws))


@dataclass(frozen=True, kw_only=True)
class MuLaw(AudioTransform):
    """G.711 companding: quantise each sample to 8 bits with mu-law or A-law, and decode.

    Applied at the clip's own rate (for the full narrowband codec use :class:`BadCellphone`,
    or :class:`~augkit.audio.Resample` around this).

    Parameters
    ----------
    laws : tuple of {"mu", "a"}
        Companding laws, one chosen per clip.

    Examples
    --------
    >>> import augkit as ak
    >>> x = np.linspace(-0.5, 0.5, 8000).astype(np.float32)
    >>> y = ak.audio.MuLaw()(audio=x, sample_rate=8000)["audio"]
    >>> bool(0 < np.abs(y - x).max() <= 512 / 32768)  # half of the largest quantisation step
    True
    """

    laws: tuple[str, ...] = ("mu",)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("laws", _check_laws("laws", self.laws))

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return {"law": rng.integers(len(self.laws), size=meta.n)}

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        out = np.empty_like(audio)
        for k, law in enumerate(self.laws):
            sel = np.flatnonzero(params["law"] == k)
            if sel.size:
                out[sel] = compand_audio(audio[sel], law)
        return out


def _check_loss_options(t: AudioTransform) -> None:
    """Validate the packet-loss options shared by :class:`PacketLoss` and :class:`BadCellphone`."""
    t._set("loss_rate_range", check_range("loss_rate_range", t.loss_rate_range, low=0.0, high=0.9))
    t._set("mean_burst_frames_range", check_range("mean_burst_frames_range", t.mean_burst_frames_range,
                                                  low=1.0, high=100.0))
    t._set("frame_s", check_number("frame_s", t.frame_s, low=0.001, high=1.0))
    check_choice("concealment", t.concealment, CONCEALMENTS)


def _draw_losses(rng: np.random.Generator, meta: AudioMeta, loss_rate_range: tuple[float, float],
                 mean_burst_frames_range: tuple[float, float], frame_s: float) -> Params:
    frame = max(1, round(frame_s * meta.sample_rate))
    frames = -(-meta.length // frame)
    lo, hi = loss_rate_range
    rate = rng.uniform(lo, hi, meta.n) if lo < hi else np.full(meta.n, lo)
    blo, bhi = mean_burst_frames_range
    burst = rng.uniform(blo, bhi, meta.n) if blo < bhi else np.full(meta.n, blo)
    lost = gilbert_elliott_losses(rng.random((meta.n, frames)), rate, burst)
    return {"loss_rate": rate, "mean_burst_frames": burst, "lost": lost}


@dataclass(frozen=True, kw_only=True)
class PacketLoss(AudioTransform):
    """Drop frames in bursts (a Gilbert-Elliott chain per clip) and conceal them.

    Parameters
    ----------
    loss_rate_range : (float, float)
        Long-run fraction of frames lost, drawn per clip.
    mean_burst_frames_range : (float, float)
        Mean length of a loss burst in frames, drawn per clip.
    frame_s : float
        Frame (packet) length in seconds; 20 ms for G.711/AMR.
    concealment : {"zero", "repeat"}
        Silence lost frames, or repeat the last received one, fading by half per further frame.

    Examples
    --------
    >>> import augkit as ak
    >>> drop = ak.audio.PacketLoss(loss_rate_range=(0.5, 0.5), concealment="zero")
    >>> out = drop(audio=np.ones(16000, np.float32), sample_rate=8000, rng=0, return_params=True)
    >>> lost = out["params"]["children"][0]["lost"][0]
    >>> bool(np.array_equal(out["audio"].reshape(-1, 160).max(axis=1) == 0, lost))
    True
    """

    loss_rate_range: tuple[float, float] = (0.01, 0.2)
    mean_burst_frames_range: tuple[float, float] = (1.0, 3.0)
    frame_s: float = 0.02
    concealment: str = "repeat"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_loss_options(self)

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        return _draw_losses(rng, meta, self.loss_rate_range, self.mean_burst_frames_range, self.frame_s)

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        frame = max(1, round(self.frame_s * meta.sample_rate))
        return conceal_lost_frames(audio, params["lost"], frame, self.concealment)


@dataclass(frozen=True, kw_only=True)
class BadCellphone(AudioTransform):
    """A bad cellphone call: noise at the talker, overload, telephone band, G.711, lost packets.

    Stages, in the order a call goes through them:

    1. background noise at ``snr_db_range`` (when ``noise`` is given), as recorded by the phone;
    2. input gain ``gain_db_range`` and hard clipping at full scale (an overloaded microphone);
    3. send filter to ``band_hz`` and resampling to ``codec_rate_hz`` (one FFT, raised-cosine edges);
    4. G.711 mu-law or A-law companding (one of ``laws`` per clip);
    5. bursty loss of ``frame_s`` frames with ``concealment`` (``loss_rate_range``);
    6. receive filter to ``band_hz`` again and back to the clip's rate.

    Each stage also exists on its own: :class:`BackgroundNoise`, :class:`Gain`,
    :class:`Clipping`, :class:`BandPass`, :class:`Resample`, :class:`MuLaw`, :class:`PacketLoss`.

    Parameters
    ----------
    noise : NoiseBank or None
    snr_db_range : (float, float)
    gain_db_range : (float, float)
    band_hz : (float, float)
        Telephone band; nothing outside it passes. Edges roll off over ``edge_hz`` inside it.
    edge_hz : float
    codec_rate_hz : int
    laws : tuple of {"mu", "a"}
    loss_rate_range, mean_burst_frames_range : (float, float)
        As in :class:`PacketLoss`; ``(0, 0)`` for no loss.
    frame_s : float
    concealment : {"zero", "repeat"}

    Examples
    --------
    >>> import augkit as ak
    >>> clip = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    >>> phone = ak.audio.BadCellphone()
    >>> phone(audio=clip, sample_rate=16000, rng=0)["audio"].shape
    (16000,)
    """

    noise: NoiseBank | None = None
    snr_db_range: tuple[float, float] = (0.0, 20.0)
    gain_db_range: tuple[float, float] = (0.0, 12.0)
    band_hz: tuple[float, float] = (300.0, 3400.0)
    edge_hz: float = 100.0
    codec_rate_hz: int = 8000
    laws: tuple[str, ...] = ("mu", "a")
    loss_rate_range: tuple[float, float] = (0.0, 0.1)
    mean_burst_frames_range: tuple[float, float] = (1.0, 3.0)
    frame_s: float = 0.02
    concealment: str = "repeat"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.noise is not None and not isinstance(self.noise, NoiseBank):
            raise TypeError(f"noise must be an augkit.audio.NoiseBank or None, got {type(self.noise).__name__}")
        self._set("snr_db_range", check_range("snr_db_range", self.snr_db_range, low=-60.0, high=120.0))
        self._set("gain_db_range", check_range("gain_db_range", self.gain_db_range, low=-60.0, high=60.0))
        self._set("codec_rate_hz", check_int("codec_rate_hz", self.codec_rate_hz, low=1000))
        band = check_range("band_hz", self.band_hz, low=0.0)
        if band[1] > self.codec_rate_hz / 2:
            raise ValueError(f"band_hz {band} must end at or below half of codec_rate_hz={self.codec_rate_hz}")
        self._set("band_hz", band)
        self._set("edge_hz", check_number("edge_hz", self.edge_hz, low=0.0, low_open=True,
                                          high=(band[1] - band[0]) / 2))
        self._set("laws", _check_laws("laws", self.laws))
        _check_loss_options(self)

    def sample(self, rng: np.random.Generator, meta: AudioMeta) -> Params:
        n = meta.n
        lo, hi = self.gain_db_range
        params: Params = {"gain_db": rng.uniform(lo, hi, n) if lo < hi else np.full(n, lo),
                          "law": rng.integers(len(self.laws), size=n)}
        codec_meta = AudioMeta(n=n, channels=meta.channels,
                               length=int(resample_length(meta.length, meta.sample_rate, self.codec_rate_hz)),
                               sample_rate=self.codec_rate_hz, lengths=meta.lengths)
        params.update(_draw_losses(rng, codec_meta, self.loss_rate_range, self.mean_burst_frames_range, self.frame_s))
        if self.noise is not None:
            params.update(draw_background(rng, self.noise, self.snr_db_range, meta))
        return params

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        if meta.sample_rate < 2 * self.band_hz[1]:
            raise ValueError(f"{meta.sample_rate} Hz audio cannot carry the band up to {self.band_hz[1]:g} Hz")
        x = audio if self.noise is None else add_background(audio, params, meta, self.noise, "all")
        gains = (10.0 ** (params["gain_db"] / 20.0)).astype(np.float32)[:, None, None]
        # the mix is this call's own array: scaled in place (the input never is)
        x = np.multiply(x, gains, out=x if x is not audio else scratch.empty(audio.shape, np.float32))
        np.clip(x, -1.0, 1.0, out=x)
        laws = np.asarray(self.laws)[params["law"]]
        lost = params["lost"] if self.loss_rate_range[1] > 0 else None
        lengths = np.unique(meta.lengths)
        if len(lengths) == 1 and lengths[0] == audio.shape[2]:  # every clip full length: no copy
            return telephone_channel(
                x, meta.sample_rate, band_hz=self.band_hz, edge_hz=self.edge_hz, codec_rate_hz=self.codec_rate_hz,
                laws=laws, lost=lost, frame_s=self.frame_s, concealment=self.concealment)
        out = np.zeros_like(audio)
        for length in lengths:  # equal lengths share one FFT size
            sel = np.flatnonzero(meta.lengths == length)
            out[sel, :, :length] = telephone_channel(
                x[sel, :, :length], meta.sample_rate, band_hz=self.band_hz, edge_hz=self.edge_hz,
                codec_rate_hz=self.codec_rate_hz, laws=laws[sel], lost=None if lost is None else lost[sel],
                frame_s=self.frame_s, concealment=self.concealment)
        return out
