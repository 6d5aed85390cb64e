"""Signal power and mixing at a signal-to-noise ratio, for clips ``(n, C, T)``.

SNR is ``10 * log10(P_signal / P_noise)`` with ``P`` the mean square over a clip's valid
samples (all channels). :func:`active_power` measures speech power over active frames
only, so that pauses do not lower it.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
from numpy.typing import NDArray

__all__ = ["active_power", "add_looped_noise", "mean_power", "noise_gains", "row_sum_squares", "snr_db"]


def row_sum_squares(flat: NDArray) -> NDArray:
    """Sum of squares of each row of a 2-D array, as float32 dot products (one read-only pass).

    Examples
    --------
    >>> row_sum_squares(np.array([[3.0, 4.0], [1.0, 1.0]], np.float32)).tolist()
    [25.0, 2.0]
    """
    return np.matmul(flat[:, None, :], flat[:, :, None])[:, 0, 0]


def _sum_squares(audio: NDArray) -> NDArray[np.float64]:
    flat = audio.reshape(audio.shape[0], -1)
    return row_sum_squares(flat).astype(np.float64)


def mean_power(audio: NDArray, lengths: NDArray | None = None) -> NDArray[np.float64]:
    """Mean square of each clip over its first ``lengths[i]`` samples (zeros beyond them).

    Examples
    --------
    >>> mean_power(np.full((1, 2, 4), 0.5, np.float32)).tolist()
    [0.25]
    >>> mean_power(np.array([[[1.0, 1.0, 0.0, 0.0]]], np.float32), np.array([2])).tolist()
    [1.0]
    """
    n, c, t = audio.shape
    count = np.full(n, t, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    return _sum_squares(audio) / (count * c)


def active_power(
    audio: NDArray, lengths: NDArray, sample_rate: int, *, frame_s: float = 0.02, floor_db: float = -40.0
) -> NDArray[np.float64]:
    """Mean square over the active frames of each clip (pauses excluded).

    A frame is active when its mean square is within ``floor_db`` of the clip's loudest
    frame. A silent clip has power 0.

    Examples
    --------
    >>> x = np.zeros((1, 1, 1600), np.float32); x[..., :800] = 0.1
    >>> round(float(active_power(x, np.array([1600]), 8000)[0]), 6), round(float(mean_power(x)[0]), 6)
    (0.01, 0.005)
    """
    n, c, t = audio.shape
    frame = max(1, round(frame_s * sample_rate))
    frames = -(-t // frame)
    padded = np.zeros((n, c, frames * frame), np.float32)
    padded[:, :, :t] = audio
    sq = np.square(padded, dtype=np.float64).reshape(n, c, frames, frame).sum(axis=(1, 3))
    idx = np.arange(frames)
    start = idx * frame
    valid = np.clip(np.asarray(lengths)[:, None] - start[None, :], 0, frame) * c  # samples per frame
    with np.errstate(invalid="ignore", divide="ignore"):
        frame_power = np.where(valid > 0, sq / np.maximum(valid, 1), 0.0)
    loudest = frame_power.max(axis=1, keepdims=True)
    active = (valid > 0) & (frame_power > 0) & (frame_power >= loudest * 10.0 ** (floor_db / 10.0))
    total = (sq * active).sum(axis=1)
    count = (valid * active).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def noise_gains(signal_power: NDArray, noise_power: NDArray, snr_db: NDArray) -> NDArray[np.float64]:
    """Amplitude gains that put noise of ``noise_power`` at ``snr_db`` below the signal.

    Zero where either power is zero (a silent clip or a silent noise gets no noise).

    Examples
    --------
    >>> noise_gains(np.array([1.0, 0.0]), np.array([1.0, 1.0]), np.array([20.0, 20.0])).tolist()
    [0.1, 0.0]
    """
    ok = (signal_power > 0) & (noise_power > 0)
    ratio = np.where(ok, signal_power, 0.0) / np.where(ok, noise_power, 1.0)
    return np.sqrt(ratio * 10.0 ** (-np.asarray(snr_db, np.float64) / 10.0))


def add_looped_noise(out: NDArray, clip: NDArray, noise: NDArray, start: int, length: int, gain: float,
                     cv2: ModuleType | None = None) -> None:
    """Write ``clip + gain * noise`` into ``out`` for one clip ``(C, T)``, reading the noise in a loop.

    Sample ``j < length`` of every channel gets ``gain * noise[(start + j) % len(noise)]``;
    samples from ``length`` on are copied unchanged. The noise is read in place (no copy
    of it is made), one contiguous piece at a time, split only where the loop wraps around.
    With ``cv2`` (the OpenCV module) each piece is one fused ``cv2.scaleAdd`` pass;
    without it, the clip is copied and BLAS ``saxpy`` adds each piece (two passes, the same
    result within one rounding of the float32 product).

    Examples
    --------
    >>> out = np.empty((1, 5), np.float32)
    >>> add_looped_noise(out, np.zeros((1, 5), np.float32), np.array([1, 2, 3], np.float32), 1, 4, 0.5)
    >>> out.tolist()
    [[1.0, 1.5, 0.5, 1.0, 0.0]]
    """
    if cv2 is None:
        np.copyto(out, clip)
    elif length < clip.shape[1]:
        np.copyto(out[:, length:], clip[:, length:])
    if gain == 0.0:
        if cv2 is not None:
            np.copyto(out[:, :length], clip[:, :length])
        return
    size = len(noise)
    a = 0
    while a < length:
        pos = (start + a) % size
        b = a + min(length - a, size - pos)
        piece = noise[pos: pos + b - a]
        for c in range(out.shape[0]):
            dst = out[c, a:b]
            if cv2 is not None:
                res = cv2.scaleAdd(piece, gain, clip[c, a:b], dst=dst)
            else:
                res = _saxpy()(piece, dst, a=gain)  # dst += gain * piece, in place
            if res is not dst and not np.shares_memory(res, dst):  # pragma: no cover - a binding copied
                dst[...] = np.asarray(res).reshape(dst.shape)
        a = b


def _saxpy():
    from scipy.linalg.blas import saxpy

    return saxpy


def snr_db(signal: NDArray, noise: NDArray, lengths: NDArray | None = None) -> NDArray[np.float64]:
    """Measured SNR of ``signal`` over ``noise`` per clip, in dB.

    Examples
    --------
    >>> s = np.ones((1, 1, 10), np.float32)
    >>> snr_db(s, 0.1 * s).round(3).tolist()
    [20.0]
    """
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(mean_power(signal, lengths) / mean_power(noise, lengths))
