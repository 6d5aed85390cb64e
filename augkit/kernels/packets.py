"""Packet loss on fixed frames: bursty loss patterns and concealment.

Loss follows a two-state Gilbert-Elliott chain per clip: in the "bad" state every frame
is lost, in the "good" state none. With stationary loss rate ``q`` and mean burst length
``b`` frames, the chain leaves the bad state with probability ``1/b`` and enters it with
``q / (b * (1 - q))``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["CONCEALMENTS", "conceal_lost_frames", "gilbert_elliott_losses"]

CONCEALMENTS = ("zero", "repeat")


def gilbert_elliott_losses(u: NDArray, loss_rate: NDArray, mean_burst_frames: NDArray) -> NDArray[np.bool_]:
    """Lost frames ``(n, F)`` from uniform draws ``u`` ``(n, F)``.

    The first frame starts in the stationary distribution (lost with probability ``loss_rate``).

    Examples
    --------
    >>> u = np.random.default_rng(0).random((2000, 50))
    >>> lost = gilbert_elliott_losses(u, np.full(2000, 0.1), np.full(2000, 2.0))
    >>> round(float(lost.mean()), 2)
    0.1
    """
    n, frames = u.shape
    q = np.clip(np.asarray(loss_rate, np.float64), 0.0, 0.999)
    leave = 1.0 / np.maximum(np.asarray(mean_burst_frames, np.float64), 1.0)
    enter = np.minimum(q * leave / (1.0 - q), 1.0)
    if frames == 0:
        return np.zeros((n, 0), bool)
    # Frame f is lost (bad) if: previous bad and u >= leave, or previous good and u < enter.
    # Vectorized: when both rules agree the state is "reset" to that value; when they differ it
    # either copies or toggles the previous state. The state is thus the value of the last
    # reset XOR the parity of the toggles since then.
    stay_bad = u >= leave[:, None]
    go_bad = u < enter[:, None]
    reset = stay_bad == go_bad
    reset[:, 0] = True
    value = stay_bad.copy()
    value[:, 0] = u[:, 0] < q  # the first frame: the stationary distribution
    toggle = ~stay_bad & go_bad
    toggle[:, 0] = False
    toggles = np.cumsum(toggle, axis=1)
    idx = np.arange(frames)
    last = np.maximum.accumulate(np.where(reset, idx[None, :], 0), axis=1)
    rows = np.arange(n)[:, None]
    flips = (toggles - toggles[rows, last]) & 1
    return value[rows, last] ^ flips.astype(bool)


def conceal_lost_frames(audio: NDArray, lost: NDArray, frame: int, mode: str = "zero",
                        fade_per_frame: float = 0.5, *, in_place: bool = False) -> NDArray[np.float32]:
    """Replace lost frames of clips ``(n, C, T)``; frame ``f`` covers ``[f*frame, (f+1)*frame)``.

    ``"zero"`` silences a lost frame; ``"repeat"`` plays the last received frame again,
    scaled by ``fade_per_frame`` for each further frame of the same burst (silence when no
    frame was received yet). ``lost`` may hold more frames than the clips; extra ones are ignored.
    ``in_place``: write into ``audio`` (float32, C-contiguous, owned by the caller) and return it.

    Examples
    --------
    >>> x = np.arange(1.0, 7.0, dtype=np.float32).reshape(1, 1, 6)
    >>> conceal_lost_frames(x, np.array([[False, True, True]]), 2, "repeat").tolist()
    [[[1.0, 2.0, 1.0, 2.0, 0.5, 1.0]]]
    """
    if mode not in CONCEALMENTS:
        raise ValueError(f"mode must be one of {CONCEALMENTS}, got {mode!r}")
    n, c, t = audio.shape
    frames = -(-t // frame)
    lost = np.asarray(lost, bool)[:, :frames]
    if lost.shape[1] < frames:
        lost = np.pad(lost, ((0, 0), (0, frames - lost.shape[1])))
    if in_place and t == frames * frame and audio.dtype == np.float32 and audio.flags.c_contiguous:
        padded = audio
    else:
        padded = np.zeros((n, c, frames * frame), np.float32)
        padded[:, :, :t] = audio
    view = padded.reshape(n, c, frames, frame)
    if mode == "zero":
        view[np.broadcast_to(lost[:, None, :], (n, c, frames))] = 0.0
        return padded[:, :, :t]
    idx = np.arange(frames)
    last_ok = np.maximum.accumulate(np.where(lost, -1, idx[None, :]), axis=1)  # -1: none received yet
    rows, cols = np.nonzero(lost)
    src = last_ok[rows, cols]
    gain = np.where(src >= 0, fade_per_frame ** (cols - src - 1), 0.0).astype(np.float32)
    # lost frames are written from received ones only (never from another lost frame), so the
    # frames are read before any is written whether the copy is new or not
    out = view if padded is audio else view.copy()
    out[rows, :, cols] = view[rows, :, np.maximum(src, 0)] * gain[:, None, None]
    return out.reshape(n, c, -1)[:, :, :t]
