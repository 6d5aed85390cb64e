"""The narrowband telephone channel as one kernel, for clips of equal length.

Send side: band-limit to the telephone band and resample to the codec rate in one real FFT
(spectrum cut with raised-cosine edges, read back at the codec rate). Codec: G.711
companding (mu-law or A-law, per clip). Network: lost 20 ms frames, concealed. Receive side:
the telephone band again (a handset's receive filter), back at the clip's rate, again in one
FFT pair. Each clip is zero-padded so the circular FFT filtering does not wrap around.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .g711 import compand_audio
from .packets import conceal_lost_frames
from .signal import band_gains, resample_length, resample_ratio, spectral_size

__all__ = ["band_limit_resample", "telephone_channel"]

#: Zero padding (seconds) against wrap-around of the band filter's impulse response.
PAD_S = 0.032


#: FFT size per block when a long clip is filtered block by block (overlap-save).
BLOCK_FFT = 16384


def band_limit_resample(audio: NDArray, from_hz: int, to_hz: int, band_hz: tuple[float, float],
                        edge_hz: float) -> NDArray[np.float32]:
    """Band-limit clips ``(n, C, T)`` to ``band_hz`` and resample them to ``to_hz``.

    Short clips take one FFT each; long ones are cut into overlapping blocks of about
    ``BLOCK_FFT`` samples (each block sees ``PAD_S`` of context on both sides, and only its
    middle is kept), which keeps the transforms small and in cache.

    Examples
    --------
    >>> t = np.arange(16000) / 16000
    >>> x = np.sin(2 * np.pi * 1000 * t)[None, None].astype(np.float32)
    >>> y = band_limit_resample(x, 16000, 8000, (300.0, 3400.0), 100.0)
    >>> y.shape, round(float(np.sqrt(2 * np.mean(y[..., 400:-400] ** 2))), 3)
    ((1, 1, 8000), 1.0)
    """
    from scipy.fft import irfft, rfft

    up, down = resample_ratio(from_hz, to_hz)
    t = audio.shape[-1]
    out_len = int(resample_length(t, from_hz, to_hz))
    pad = -(-round(PAD_S * from_hz) // down) * down  # context, a whole number of output samples
    core = (BLOCK_FFT * down // max(up, down) - 2 * pad) // down * down  # the larger FFT ~ BLOCK_FFT
    if core <= 0 or t <= 2 * core:
        blocks, core, segments = 1, t, audio[..., None, :]
        pad_out = 0
    else:
        blocks = -(-t // core)
        padded = np.zeros((*audio.shape[:-1], blocks * core + 2 * pad), np.float32)
        padded[..., pad: pad + t] = audio
        windows = np.lib.stride_tricks.sliding_window_view(padded, core + 2 * pad, axis=-1)
        segments = windows[..., ::core, :][..., :blocks, :]
        pad_out = pad * up // down
    n_from, n_to = spectral_size(segments.shape[-1], from_hz, to_hz, 0 if blocks > 1 else pad)
    spec = rfft(segments, n=n_from, axis=-1)
    bins = min(n_from, n_to) // 2 + 1
    spec = spec[..., :bins]
    spec *= band_gains(n_from, from_hz, band_hz[0], band_hz[1], edge_hz)[:bins]
    out = irfft(spec, n=n_to, axis=-1)
    core_out = core * up // down if blocks > 1 else out_len
    out = out[..., pad_out: pad_out + core_out].reshape((*audio.shape[:-1], -1))[..., :out_len]
    out *= np.float32(n_to / n_from)
    return out.astype(np.float32, copy=False)


def telephone_channel(
    audio: NDArray,
    sample_rate: int,
    *,
    band_hz: tuple[float, float] = (300.0, 3400.0),
    edge_hz: float = 100.0,
    codec_rate_hz: int = 8000,
    laws: NDArray | None = None,
    lost: NDArray | None = None,
    frame_s: float = 0.02,
    concealment: str = "repeat",
) -> NDArray[np.float32]:
    """Send clips ``(n, C, T)`` through a narrowband telephone channel; same shape back.

    Parameters
    ----------
    laws : sequence of {"mu", "a", ""}, optional
        Companding per clip (``""``: none). Default: mu-law for every clip.
    lost : bool ndarray (n, F), optional
        Lost codec frames of ``frame_s`` seconds per clip.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal((2, 1, 16000)).astype(np.float32) * 0.1
    >>> telephone_channel(x, 16000).shape
    (2, 1, 16000)
    """
    n, _, t = audio.shape
    narrow = band_limit_resample(audio, sample_rate, codec_rate_hz, band_hz, edge_hz)
    law_list = ["mu"] * n if laws is None else list(laws)
    for law in ("mu", "a"):
        idx = [i for i, v in enumerate(law_list) if v == law]
        if idx:
            narrow[idx] = compand_audio(narrow[idx], law)
    if lost is not None:
        narrow = conceal_lost_frames(narrow, lost, max(1, round(frame_s * codec_rate_hz)), concealment)
    back = band_limit_resample(narrow, codec_rate_hz, sample_rate, band_hz, edge_hz)
    if back.shape[-1] == t and back.flags.c_contiguous:
        return back
    out = np.zeros((n, audio.shape[1], t), np.float32)
    width = min(t, back.shape[-1])
    out[..., :width] = back[..., :width]
    return out
