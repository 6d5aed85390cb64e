"""Audio calls: parsing clips into one padded batch, running transforms, shaping outputs.

Internally a call works on float32 clips ``(N, C, T)`` plus the valid length of each
clip (the rest of its row is zeros). A single clip is a batch of one; a list of clips of
different lengths is padded; the outputs are shaped like the inputs.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..kernels import scratch
from ..kernels.mixing import row_sum_squares
from .transform import AudioMeta, AudioTransform, Params, Transform, take_params

__all__ = ["AudioRunner", "parse_audio"]

AUDIO_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass
class AudioLayout:
    """How the clips came in (internal)."""

    kind: str  # "single" | "list" | "batch"
    single_ndim: int = 1
    lengths_given: bool = False


def _as_clip(name: str, value: Any) -> NDArray:
    if not isinstance(value, np.ndarray):
        hint = " (a torch tensor: pass tensor.numpy())" if type(value).__module__.split(".")[0] == "torch" else ""
        raise TypeError(f"{name} must be a numpy array of samples, got {type(value).__name__}{hint}")
    if value.dtype not in AUDIO_DTYPES:
        raise TypeError(
            f"{name} must be float32 or float64 samples (full scale = 1.0), got dtype {value.dtype}; "
            "read files with augkit.audio.load, or divide int16 samples by 32768"
        )
    return value


def _check_finite(name: str, audio: NDArray) -> NDArray | None:
    """Raise on NaN/inf samples; return each clip's sum of squares (reused as its power)."""
    # one read-only pass: a NaN/inf sample makes its row's sum of squares non-finite
    flat = audio.reshape(1, -1) if audio.ndim < 3 else audio.reshape(audio.shape[0], -1)
    sums = row_sum_squares(flat)
    if math.isfinite(sums.sum()):  # (non-negative terms: a finite total means every sum is finite)
        return sums.astype(np.float64)
    if not np.isfinite(audio).all():  # (else huge but finite samples overflowed the squares)
        bad = np.argwhere(~np.isfinite(audio))[0]
        raise ValueError(f"{name} holds NaN or infinite samples (first at index {tuple(int(i) for i in bad)})")
    return None


def _check_rate(sample_rate: Any) -> int:
    if type(sample_rate) is int and sample_rate > 0:  # (the usual call: no ABC check)
        return sample_rate
    if sample_rate is None:
        raise TypeError("sample_rate (Hz) is required with audio=, e.g. sample_rate=16000")
    if not isinstance(sample_rate, numbers.Integral) or isinstance(sample_rate, bool) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer number of Hz, got {sample_rate!r}")
    return int(sample_rate)


def parse_audio(audio: Any, sample_rate: Any, lengths: Any = None) -> tuple[AudioRunner, AudioLayout]:
    """Validate the call's clips and build the runner and the output layout (internal)."""
    rate = _check_rate(sample_rate)
    if isinstance(audio, (list, tuple)):
        if not audio:
            raise ValueError("audio is an empty list; give at least one clip")
        if lengths is not None:
            raise ValueError("lengths= is for a padded (N, C, T) array; a list of clips has its own lengths")
        clips = [_as_clip(f"audio[{i}]", a) for i, a in enumerate(audio)]
        ndims = {c.ndim for c in clips}
        if not ndims <= {1, 2} or len(ndims) != 1:
            raise ValueError(f"audio clips in a list must all be (T,) or all be (C, T), got ndims {sorted(ndims)}")
        single_ndim = clips[0].ndim
        clips = [c[None] if c.ndim == 1 else c for c in clips]
        channels = {c.shape[0] for c in clips}
        if len(channels) != 1:
            raise ValueError(f"audio clips in a list must have the same number of channels, got {sorted(channels)}")
        lens = np.array([c.shape[1] for c in clips], dtype=np.int64)
        if (lens == 0).any():
            raise ValueError(f"audio[{int(np.argmin(lens))}] is empty; clips need at least one sample")
        out = np.zeros((len(clips), clips[0].shape[0], int(lens.max())), np.float32)
        sums = []
        for i, c in enumerate(clips):
            out[i, :, : c.shape[1]] = c
            sums.append(_check_finite(f"audio[{i}]", out[i : i + 1]))
        known = None if any(v is None for v in sums) else np.concatenate(sums)
        return (AudioRunner(out, lens, rate, owned=True, sum_squares=known),
                AudioLayout("list", single_ndim=single_ndim))
    arr = _as_clip("audio", audio)
    if arr.ndim not in (1, 2, 3):
        raise ValueError(
            f"audio must be (T,) or (C, T) for one clip, or (N, C, T) for a batch; got shape {arr.shape}"
        )
    if arr.shape[-1] == 0 or arr.size == 0:
        raise ValueError(f"audio has no samples (shape {arr.shape})")
    sums = _check_finite("audio", arr)
    if arr.ndim < 3:
        if lengths is not None:
            raise ValueError("lengths= is for a padded (N, C, T) batch, not for one clip")
        batch = arr.reshape(1, -1, arr.shape[-1])
        layout = AudioLayout("single", single_ndim=arr.ndim)
        lens = np.array([arr.shape[-1]], np.int64)
    else:
        batch, layout = arr, AudioLayout("batch", lengths_given=lengths is not None)
        lens = _check_lengths(lengths, arr.shape[0], arr.shape[2])
    owned = batch.dtype != np.float32
    batch = batch.astype(np.float32, copy=False)
    if lengths is not None and (lens < batch.shape[2]).any():  # (else every clip fills its row)
        batch = batch.copy() if not owned else batch
        owned = True
        _zero_tails(batch, lens)
        sums = None  # measured with the padding, which was not all zeros
    return AudioRunner(batch, lens, rate, owned=owned, sum_squares=sums), layout


def _check_lengths(lengths: Any, n: int, t: int) -> NDArray:
    if lengths is None:
        return np.full(n, t, np.int64)
    lens = np.asarray(lengths)
    if lens.shape != (n,) or not np.issubdtype(lens.dtype, np.integer):
        raise ValueError(f"lengths must be {n} integers (one per clip), got {lengths!r}")
    if (lens < 1).any() or (lens > t).any():
        raise ValueError(f"lengths must lie in [1, {t}] (the padded length), got {lens.tolist()}")
    return lens.astype(np.int64)


def _zero_tails(audio: NDArray, lengths: NDArray) -> None:
    t = audio.shape[2]
    for i in np.flatnonzero(lengths < t):
        audio[i, :, lengths[i]:] = 0.0


class AudioRunner:
    """Applies audio transforms to one padded batch (one call; internal)."""

    def __init__(self, audio: NDArray, lengths: NDArray, sample_rate: int, *, owned: bool,
                 sum_squares: NDArray | None = None) -> None:
        self.audio = audio
        self.lengths = lengths
        self.sample_rate = sample_rate
        self.owned = owned
        self.sum_squares = sum_squares  # of the current audio, while known
        self._meta: AudioMeta | None = None

    @property
    def meta(self) -> AudioMeta:
        if self._meta is None:  # (reset by every step that changes the audio)
            n, c, t = self.audio.shape
            self._meta = AudioMeta(n=n, channels=c, length=t, sample_rate=self.sample_rate, lengths=self.lengths,
                                   sum_squares=self.sum_squares)
        return self._meta

    def leaf(self, t: Transform, rng: np.random.Generator | None, params: Params | None, reach: NDArray) -> Params:
        """Draw (or reuse) ``t``'s params for every clip and apply it where active."""
        if not isinstance(t, AudioTransform):
            raise TypeError(f"{type(t).__name__} is an image transform; this call passed audio=")
        meta = self.meta
        if params is None:
            draw = rng.random(meta.n)
            params = {"active": reach & (draw < t.p), **t.sample(rng, meta)}
        idx = np.asarray(params["active"]).nonzero()[0]
        if idx.size:
            self._apply(t, params, idx, meta)
        return params

    def _apply(self, t: AudioTransform, params: Params, idx: NDArray, meta: AudioMeta) -> None:
        whole = idx.size == meta.n
        sub = params if whole else take_params(params, idx)
        sub_meta = meta if whole else meta.take(idx)
        clips = self.audio if whole else self.audio[idx]
        new_lens = np.asarray(t.output_lengths(sub, sub_meta), np.int64)
        longest = int(new_lens.max())
        result = t.apply_audio(clips, sub, sub_meta)
        name = type(t).__name__
        self.sum_squares = None  # the audio changes
        self._meta = None
        if result.dtype != np.float32 or result.ndim != 3 or result.shape[:2] != clips.shape[:2]:
            raise RuntimeError(f"{name}.apply_audio must return float32 (n, C, T) clips, got {result.shape}")
        if result.shape[2] < longest:
            raise RuntimeError(f"{name}.apply_audio returned {result.shape[2]} samples, lengths need {longest}")
        if whole:
            if self.owned and not np.may_share_memory(result, self.audio):
                scratch.recycle(self.audio)  # made by this call and replaced: reusable by a later step
            self.audio = result[:, :, :longest]
            self.owned = not np.may_share_memory(result, clips)
            self.lengths = new_lens
        else:
            t_new = max(int(np.delete(self.lengths, idx).max(initial=0)), longest)
            if t_new != self.audio.shape[2] or not self.owned:
                grown = np.zeros((meta.n, meta.channels, t_new), np.float32)
                keep = min(t_new, self.audio.shape[2])
                grown[:, :, :keep] = self.audio[:, :, :keep]
                self.audio, self.owned = grown, True
            self.audio[idx] = 0.0
            width = min(result.shape[2], t_new)
            self.audio[idx, :, :width] = result[:, :, :width]
            self.lengths = self.lengths.copy()
            self.lengths[idx] = new_lens
        if int(self.lengths.min()) < self.audio.shape[2]:
            if not self.owned:
                self.audio, self.owned = self.audio.copy(), True
            _zero_tails(self.audio, self.lengths)

    def finish(self, layout: AudioLayout) -> dict[str, Any]:
        """The call's outputs, shaped like its inputs."""
        out: dict[str, Any] = {"sample_rate": self.sample_rate}
        audio = self.audio if self.owned else self.audio.copy()
        if layout.kind == "batch":
            out["audio"] = audio
            out["lengths"] = self.lengths.copy()
        elif layout.kind == "list":
            clips = [audio[i, :, : self.lengths[i]] for i in range(len(self.lengths))]
            out["audio"] = [c[0].copy() if layout.single_ndim == 1 else c.copy() for c in clips]
        else:
            clip = audio[0, :, : self.lengths[0]]
            out["audio"] = clip[0] if layout.single_ndim == 1 else clip
        return out
