"""Time edits of clips ``(n, C, T)``: shifting and silencing spans, with short fades at every cut.

A cut in a waveform (the seam where a rolled clip wraps around, the edge of a silenced span,
the point where a shifted clip starts after silence) is a step from one sample to the next:
heard as a click, seen as a broadband stripe in the spectrogram. Real recordings have no such
clicks, so a model can learn them as a cue. Each cut here is smoothed by a raised-cosine fade
of ``fade`` samples on each side (``fade_in[j] = sin^2(pi/2 (j + 0.5) / fade)``, and
``fade_out`` its mirror image), applied to samples that the edit itself changes or
brings next to the cut; ``fade=0`` keeps hard cuts.

Clips are processed one at a time with slice copies (each clip has its own shift or span;
a gather through per-sample index arrays costs about 40 times as much).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["fade_ramps", "mask_audio", "shift_audio"]


@lru_cache(maxsize=64)
def fade_ramps(length: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Raised-cosine ``(fade_in, fade_out)`` of ``length`` samples (cached, read-only).

    ``fade_in`` rises from near 0 to near 1; ``fade_out`` is its mirror image, which is also
    ``1 - fade_in``.

    Examples
    --------
    >>> fade_in, fade_out = fade_ramps(4)
    >>> [round(v, 3) for v in fade_in.tolist()], bool(np.allclose(fade_in + fade_out, 1.0))
    ([0.038, 0.309, 0.691, 0.962], True)
    """
    t = (np.arange(length) + 0.5) / max(length, 1)
    rise = (np.sin(0.5 * np.pi * t) ** 2).astype(np.float32)
    fall = np.ascontiguousarray(rise[::-1])
    rise.flags.writeable = fall.flags.writeable = False
    return rise, fall


def _fade_in(segment: NDArray, fade: int) -> None:
    """Fade the start of ``segment`` (``(C, m)``) in, in place (the first ``fade`` samples at most)."""
    m = min(fade, segment.shape[-1])
    if m > 0:
        segment[:, :m] *= fade_ramps(fade)[0][:m]


def _fade_out(segment: NDArray, fade: int) -> None:
    """Fade the end of ``segment`` (``(C, m)``) out, in place (the last ``fade`` samples at most)."""
    m = min(fade, segment.shape[-1])
    if m > 0:
        segment[:, segment.shape[-1] - m:] *= fade_ramps(fade)[1][fade - m:]


def shift_audio(audio: NDArray, shifts: NDArray, lengths: NDArray, *, rollover: bool = True,
                fade: int = 0) -> NDArray[np.float32]:
    """Shift clip ``i`` by ``shifts[i]`` samples (positive: later) within its first ``lengths[i]``.

    Parameters
    ----------
    audio : ndarray (n, C, T) float32
        Padded clips (zeros beyond each length; kept zero).
    shifts, lengths : ndarray (n,) of int
    rollover : bool
        Samples pushed off one end come back at the other; else silence fills in.
    fade : int
        Samples faded out before and in after each cut: the seam of a rolled clip, or the
        start (end) of a clip shifted later (earlier) behind silence.

    Returns
    -------
    ndarray (n, C, T) float32, a new array.

    Examples
    --------
    >>> x = np.arange(1, 5, dtype=np.float32).reshape(1, 1, 4)
    >>> shift_audio(x, np.array([1]), np.array([4]))[0, 0].tolist()
    [4.0, 1.0, 2.0, 3.0]
    >>> shift_audio(x, np.array([1]), np.array([4]), rollover=False)[0, 0].tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    # two slice copies per clip, silence written only where nothing is copied (zeroing the
    # whole output first would be one more pass over it)
    out = np.empty_like(audio)
    for i, (shift, length) in enumerate(zip(np.asarray(shifts).tolist(), np.asarray(lengths).tolist(), strict=True)):
        out[i, :, length:] = 0.0  # beyond the clip's length
        if length == 0:
            continue
        src, dst = audio[i, :, :length], out[i, :, :length]
        if rollover:
            k = int(shift) % length
            dst[:, k:] = src[:, :length - k]
            dst[:, :k] = src[:, length - k:]
            if k and fade:  # the clip's old end now meets its old start at k
                _fade_out(dst[:, :k], fade)
                _fade_in(dst[:, k:], fade)
        elif 0 <= shift < length:
            dst[:, shift:] = src[:, :length - shift]
            dst[:, :shift] = 0.0
            if shift and fade:
                _fade_in(dst[:, shift:], fade)
        elif -length < shift < 0:
            dst[:, :length + shift] = src[:, -shift:]
            dst[:, length + shift:] = 0.0
            if fade:
                _fade_out(dst[:, :length + shift], fade)
        else:  # shifted out entirely
            dst[...] = 0.0
    return out


def mask_audio(audio: NDArray, starts: NDArray, widths: NDArray, *, fade: int = 0) -> NDArray[np.float32]:
    """Silence samples ``[starts[i], starts[i] + widths[i])`` of clip ``i``, fading at the span's edges.

    The fades lie inside the span: its first ``min(fade, width // 2)`` samples fade out, its
    last as many fade in, and the samples between them are zero.

    Examples
    --------
    >>> x = np.ones((1, 1, 8), np.float32)
    >>> mask_audio(x, np.array([2]), np.array([4]))[0, 0].tolist()
    [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    >>> mask_audio(x, np.array([2]), np.array([4]), fade=1)[0, 0].tolist()
    [1.0, 1.0, 0.5, 0.0, 0.0, 0.5, 1.0, 1.0]
    """
    out = audio.copy()  # then each span silenced in place (a batch-sized mask and product: 4x slower)
    for i, (first, width) in enumerate(zip(np.asarray(starts).tolist(), np.asarray(widths).tolist(), strict=True)):
        start, stop = max(first, 0), max(first + width, 0)
        edge = min(fade, max(stop - start, 0) // 2)
        if edge:
            _fade_out(out[i, :, start:start + edge], edge)
            _fade_in(out[i, :, stop - edge:stop], edge)
        out[i, :, start + edge:stop - edge] = 0.0
    return out
