"""Room impulse responses and batched FFT convolution."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["convolve_clips", "synthetic_room_impulse"]


def synthetic_room_impulse(rng: np.random.Generator, rt60_s: float, drr_db: float, sample_rate: int,
                           max_s: float = 1.0) -> NDArray[np.float32]:
    """A direct path (sample 0, amplitude 1) and a diffuse tail decaying 60 dB in ``rt60_s``.

    The tail is Gaussian noise under an exponential envelope, starting 2.5 ms after the
    direct path, scaled so that direct energy / tail energy = ``10 ** (drr_db / 10)``.

    Examples
    --------
    >>> h = synthetic_room_impulse(np.random.default_rng(0), 0.5, 6.0, 16000)
    >>> h.shape, float(h[0]), round(float(10 * np.log10(1.0 / np.sum(h[1:] ** 2))), 3)
    ((8000,), 1.0, 6.0)
    """
    length = max(2, min(round(rt60_s * sample_rate), round(max_s * sample_rate)))
    t = np.arange(length) / sample_rate
    tail = rng.standard_normal(length) * 10.0 ** (-3.0 * t / rt60_s)
    tail[: max(1, round(0.0025 * sample_rate))] = 0.0
    energy = np.sum(tail**2)
    if energy > 0:
        tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / energy)
    tail[0] = 1.0
    return tail.astype(np.float32)


def convolve_clips(audio: NDArray, impulses: list[NDArray], delays: list[int] | None = None) -> NDArray[np.float32]:
    """Convolve clip ``i`` ``(C, T)`` with ``impulses[i]``; ``T`` samples of each from ``delays[i]`` on.

    ``delays[i]`` (default 0) advances the output by that many samples: with the position of
    the impulse response's direct path, the reverberant clip keeps the dry clip's timing (what
    came before the direct path becomes a pre-echo, as in the room).

    Examples
    --------
    >>> x = np.zeros((1, 1, 5), np.float32); x[..., 0] = 1
    >>> convolve_clips(x, [np.array([1.0, 0.5], np.float32)]).round(3).tolist()
    [[[1.0, 0.5, 0.0, 0.0, 0.0]]]
    >>> (convolve_clips(x, [np.array([0.0, 0.0, 1.0, 0.5], np.float32)], delays=[2]).round(3) + 0.0).tolist()
    [[[1.0, 0.5, 0.0, 0.0, 0.0]]]
    """
    from scipy.fft import irfft, next_fast_len, rfft

    n, _c, t = audio.shape
    longest = max(len(h) for h in impulses)
    size = next_fast_len(t + longest - 1, real=True)
    bank = np.zeros((n, 1, longest), np.float32)
    for i, h in enumerate(impulses):
        bank[i, 0, : len(h)] = h
    full = irfft(rfft(audio, n=size, axis=-1) * rfft(bank, n=size, axis=-1), n=size, axis=-1)
    if delays is None or not any(delays):
        return full[..., :t].astype(np.float32)
    out = np.empty(audio.shape, np.float32)
    for i, d in enumerate(delays):  # d < len(impulses[i]) <= longest, so d + t <= size
        out[i] = full[i, :, d:d + t]
    return out
