"""Filtering and resampling kernels for clips ``(n, C, T)`` (float32, full scale 1.0).

* IIR filters: Butterworth designs as second-order sections, cached per
  (kind, cutoffs, order, rate); applied causally with :func:`scipy.signal.sosfilt`, like an
  analogue channel (a causal filter also makes a padded clip filter exactly like the
  unpadded one).
* Polyphase resampling with :func:`scipy.signal.resample_poly` (rates as exact ratios).
* Spectral band-limiting and resampling through one real FFT per clip, used by the
  telephone channel: the spectrum is cut to a band with raised-cosine edges and read
  back at another rate, which band-limits and resamples in one step.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FILTER_KINDS",
    "band_gains",
    "butter_sos",
    "filter_audio",
    "resample_audio",
    "resample_length",
    "resample_ratio",
    "spectral_size",
]

FILTER_KINDS = ("lowpass", "highpass", "bandpass", "bandstop")


@lru_cache(maxsize=512)
def butter_sos(kind: str, cutoffs_hz: tuple[float, ...], order: int, sample_rate: int) -> NDArray:
    """Butterworth second-order sections (cached; do not modify the result).

    Examples
    --------
    >>> butter_sos("bandpass", (300.0, 3400.0), 4, 16000).shape
    (4, 6)
    """
    from scipy.signal import butter

    if kind not in FILTER_KINDS:
        raise ValueError(f"kind must be one of {FILTER_KINDS}, got {kind!r}")
    nyquist = sample_rate / 2
    for f in cutoffs_hz:
        if not 0 < f < nyquist:
            raise ValueError(f"cutoff {f:g} Hz must lie strictly between 0 and the Nyquist rate {nyquist:g} Hz")
    wn = cutoffs_hz[0] if len(cutoffs_hz) == 1 else list(cutoffs_hz)
    sos = butter(order, wn, btype=kind, output="sos", fs=sample_rate)
    sos.setflags(write=False)
    return sos


def filter_audio(audio: NDArray, sos: NDArray) -> NDArray[np.float32]:
    """Filter clips ``(..., T)`` causally with second-order sections (zero initial state).

    Computed in float32 (the sections rounded to float32) when every pole lies at least
    :data:`FLOAT32_POLE_MARGIN` inside the unit circle: the error against float64 filtering is
    then below -100 dB of the signal (-117 dB for the telephone band-pass), no float64 copies of
    the clips are made, and 10 s clips filter 13% faster. Designs with poles closer to the circle
    (cutoffs of a few Hz to ~50 Hz: -62 to -72 dB in float32) are computed in float64.

    Examples
    --------
    >>> x = np.zeros((1, 1, 8), np.float32); x[..., 0] = 1
    >>> y = filter_audio(x, butter_sos("lowpass", (1000.0,), 2, 8000))
    >>> y.dtype, y.shape
    (dtype('float32'), (1, 1, 8))
    """
    from scipy.signal import sosfilt

    sos = np.array(sos, dtype=np.float64)  # a writable copy (SciPy writes through its buffer)
    if _float32_enough(sos.tobytes()):
        return sosfilt(sos.astype(np.float32), np.asarray(audio, np.float32), axis=-1)
    return sosfilt(sos, audio, axis=-1).astype(np.float32)


#: Smallest distance of a pole from the unit circle for float32 filtering (measured: 0.015 gives
#: -101 dB of error, 0.04 -117 dB, 0.003 -72 dB, 0.0005 -62 dB on white noise).
FLOAT32_POLE_MARGIN = 0.01


@lru_cache(maxsize=512)
def _float32_enough(sos_bytes: bytes) -> bool:
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(-1, 6)
    radius = max(float(np.abs(np.roots(section[3:])).max(initial=0.0)) for section in sos)
    return 1.0 - radius >= FLOAT32_POLE_MARGIN


def resample_ratio(from_hz: int, to_hz: int) -> tuple[int, int]:
    """``(up, down)`` in lowest terms with ``to_hz / from_hz == up / down``.

    Examples
    --------
    >>> resample_ratio(44100, 16000)
    (160, 441)
    """
    from fractions import Fraction

    r = Fraction(int(to_hz), int(from_hz))
    return r.numerator, r.denominator


def resample_length(length: int | NDArray, from_hz: int, to_hz: int) -> NDArray:
    """Samples after resampling ``length`` samples from ``from_hz`` to ``to_hz``.

    Examples
    --------
    >>> int(resample_length(16001, 16000, 8000))
    8001
    """
    up, down = resample_ratio(from_hz, to_hz)
    return -(-np.asarray(length, np.int64) * up // down)


def resample_audio(audio: NDArray, from_hz: int, to_hz: int) -> NDArray[np.float32]:
    """Resample clips ``(..., T)`` with a polyphase FIR filter (Kaiser window).

    Examples
    --------
    >>> resample_audio(np.ones((2, 1, 160), np.float32), 16000, 8000).shape
    (2, 1, 80)
    """
    from scipy.signal import resample_poly

    if from_hz == to_hz:
        return np.array(audio, dtype=np.float32)
    up, down = resample_ratio(from_hz, to_hz)
    return resample_poly(audio, up, down, axis=-1).astype(np.float32)


def spectral_size(length: int, from_hz: int, to_hz: int, pad: int) -> tuple[int, int]:
    """FFT sizes ``(n_from, n_to)`` covering ``length + pad`` samples whose bins align.

    ``n_to / n_from == to_hz / from_hz`` exactly, so bin ``k`` is the same frequency in both.

    Examples
    --------
    >>> spectral_size(16000, 16000, 8000, 512)
    (17280, 8640)
    """
    from scipy.fft import next_fast_len

    up, down = resample_ratio(from_hz, to_hz)
    blocks = next_fast_len(math.ceil((length + pad) / down), real=True)
    return blocks * down, blocks * up


def band_gains(n_fft: int, sample_rate: int, low_hz: float, high_hz: float, edge_hz: float) -> NDArray:
    """Gain per rFFT bin: 1 inside ``[low_hz + edge_hz, high_hz - edge_hz]``, 0 outside
    ``[low_hz, high_hz]``, raised-cosine edges between (cached per arguments).

    Examples
    --------
    >>> g = band_gains(16, 16, 2.0, 6.0, 1.0)
    >>> g.round(2).tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    """
    return _band_gains(n_fft, sample_rate, float(low_hz), float(high_hz), float(edge_hz))


@lru_cache(maxsize=64)
def _band_gains(n_fft: int, sample_rate: int, low_hz: float, high_hz: float, edge_hz: float) -> NDArray:
    f = np.arange(n_fft // 2 + 1) * (sample_rate / n_fft)
    rise = np.clip((f - low_hz) / edge_hz, 0.0, 1.0) if low_hz > 0 else np.ones_like(f)
    fall = np.clip((high_hz - f) / edge_hz, 0.0, 1.0)
    g = (0.5 - 0.5 * np.cos(np.pi * rise)) * (0.5 - 0.5 * np.cos(np.pi * fall))
    g = g.astype(np.float32)
    g.setflags(write=False)
    return g
