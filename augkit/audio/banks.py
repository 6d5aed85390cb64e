"""Banks of sounds loaded once: background noises and room impulse responses.

A bank decodes its files, down-mixes them to mono and resamples them to one rate when it is
built; a transform call only slices arrays that are already in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.serialize import register_resource
from .io import audio_extensions, load, resample

__all__ = ["ImpulseBank", "NoiseBank"]


class _SoundBank:
    """Mono float32 sounds at one sample rate (base of the banks)."""

    def __init__(self, sounds: Sequence[NDArray], sample_rate: int, *, paths: Sequence[str] | None = None) -> None:
        if not isinstance(sample_rate, (int, np.integer)) or isinstance(sample_rate, bool) or sample_rate <= 0:
            raise ValueError(f"sample_rate must be a positive integer number of Hz, got {sample_rate!r}")
        if len(sounds) == 0:
            raise ValueError(f"a {type(self).__name__} needs at least one sound")
        self.sample_rate = int(sample_rate)
        self.paths = None if paths is None else tuple(paths)
        self.sounds: tuple[NDArray, ...] = tuple(self._freeze(s) for s in sounds)

    @staticmethod
    def _freeze(sound: NDArray) -> NDArray:
        s = np.array(sound, dtype=np.float32)
        s.setflags(write=False)
        return s

    # --- constructors ------------------------------------------------------------------
    @classmethod
    def from_files(cls, paths: Iterable[str | os.PathLike], sample_rate: int, **kwargs: Any) -> Any:
        """Load the files (any format soundfile reads), down-mixed and resampled once."""
        names = [os.fspath(p) for p in paths]
        if not names:
            raise ValueError(f"{cls.__name__}.from_files got no files")
        sounds = [load(p, sample_rate, mono=True)[0][0] for p in names]
        return cls(sounds, sample_rate, paths=names, **kwargs)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike, sample_rate: int, **kwargs: Any) -> Any:
        """Load every audio file under ``folder`` (recursively, sorted by path).

        Examples
        --------
        >>> from importlib.resources import files
        >>> bank = NoiseBank.from_folder(files("augkit") / "data" / "audio", sample_rate=8000)
        >>> len(bank), bank.sample_rate
        (3, 8000)
        """
        root = os.fspath(folder)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"no folder at {root!r}")
        exts = audio_extensions()
        found = sorted(
            os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if os.path.splitext(f)[1].lower() in exts
        )
        if not found:
            raise ValueError(f"no audio files in {root!r} (looked for {', '.join(exts)})")
        return cls.from_files(found, sample_rate, **kwargs)

    @classmethod
    def from_arrays(cls, arrays: Sequence[NDArray], sample_rate: int, *, source_rate: int | None = None,
                    **kwargs: Any) -> Any:
        """Build from float clips ``(T,)`` or ``(C, T)`` at ``source_rate`` (default: ``sample_rate``)."""
        if isinstance(arrays, np.ndarray) and arrays.ndim == 1:
            arrays = [arrays]
        sounds = []
        for i, a in enumerate(arrays):
            x = np.asarray(a)
            if x.ndim not in (1, 2) or x.shape[-1] == 0 or not np.issubdtype(x.dtype, np.floating):
                raise ValueError(f"arrays[{i}] must be non-empty float (T,) or (C, T) samples, got {x.dtype} {x.shape}")
            if not np.isfinite(x).all():
                raise ValueError(f"arrays[{i}] holds NaN or infinite samples")
            x = x.mean(axis=0) if x.ndim == 2 else x
            if source_rate is not None and source_rate != sample_rate:
                x = resample(x.astype(np.float32), source_rate, sample_rate)
            sounds.append(x)
        return cls(sounds, sample_rate, **kwargs)

    # --- serialization ---------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """Where the bank came from (files only), for :func:`augkit.save`."""
        if self.paths is None:
            raise ValueError(f"a {type(self).__name__} built from arrays cannot be saved; build it from files")
        return {"paths": list(self.paths), "sample_rate": self.sample_rate, **self._options()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Re-load a bank described by :meth:`to_config`."""
        config = dict(config)
        return cls.from_files(config.pop("paths"), config.pop("sample_rate"), **config)

    def _options(self) -> dict[str, Any]:
        return {}

    def _key(self) -> tuple:
        return (type(self), self.paths, self.sample_rate, tuple(sorted(self._options().items())))

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, _SoundBank) and self.paths is not None and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key()) if self.paths is not None else id(self)

    def __len__(self) -> int:
        return len(self.sounds)

    def __repr__(self) -> str:
        seconds = sum(len(s) for s in self.sounds) / self.sample_rate
        return f"{type(self).__name__}({len(self)} sounds, {seconds:.1f} s at {self.sample_rate} Hz)"


@register_resource
class NoiseBank(_SoundBank):
    """Background noises (crowd, car, street...) for :class:`~augkit.audio.BackgroundNoise`.

    A clip gets a noise segment of its own length at a random offset. A noise shorter than
    the clip is looped, its end cross-faded into its start (equal power, ``crossfade_s``
    long) so that the loop has no click.

    Parameters
    ----------
    sounds : sequence of ndarray
        Mono float32 noises at ``sample_rate`` (use the ``from_*`` constructors otherwise).
    sample_rate : int
        Rate of the clips the bank will be mixed into (Hz).
    crossfade_s : float
        Length of the loop cross-fade (at most a quarter of the noise).

    Examples
    --------
    >>> bank = NoiseBank.from_arrays([np.ones(100, np.float32)], sample_rate=8000)
    >>> bank.segments(np.array([0]), np.array([0]), np.array([250]), 250).shape
    (1, 250)
    """

    def __init__(self, sounds: Sequence[NDArray], sample_rate: int, *, paths: Sequence[str] | None = None,
                 crossfade_s: float = 0.05) -> None:
        super().__init__(sounds, sample_rate, paths=paths)
        if not (isinstance(crossfade_s, (int, float)) and 0 <= crossfade_s < 10):
            raise ValueError(f"crossfade_s must be a number of seconds in [0, 10), got {crossfade_s!r}")
        self.crossfade_s = float(crossfade_s)
        self.loops = tuple(self._freeze(self._loop(s)) for s in self.sounds)
        # prefix sums of squares of every sound (and loop), concatenated, for segment powers
        self._size = {False: np.array([len(x) for x in self.sounds]), True: np.array([len(x) for x in self.loops])}
        self._base: dict[bool, NDArray] = {}
        self._prefix: dict[bool, NDArray] = {}
        for looped, group in ((False, self.sounds), (True, self.loops)):
            prefixes = [_prefix_squares(x) for x in group]
            self._base[looped] = np.cumsum([0] + [len(x) for x in prefixes[:-1]])
            self._prefix[looped] = np.concatenate(prefixes)

    def _options(self) -> dict[str, Any]:
        return {"crossfade_s": self.crossfade_s}

    def _loop(self, s: NDArray) -> NDArray:
        fade = min(round(self.crossfade_s * self.sample_rate), len(s) // 4)
        if fade < 1:
            return s
        t = (np.arange(fade) + 0.5) / fade
        out = s[: len(s) - fade].copy()
        out[:fade] = s[:fade] * np.sin(0.5 * np.pi * t) + s[len(s) - fade:] * np.cos(0.5 * np.pi * t)
        return out

    def offsets(self, index: NDArray, u: NDArray, lengths: NDArray) -> NDArray[np.int64]:
        """Offsets from uniform draws ``u``: within the noise if it is long enough, else in its loop.

        Examples
        --------
        >>> bank = NoiseBank([np.ones(100, np.float32)], sample_rate=8000)
        >>> bank.offsets(np.array([0, 0]), np.array([0.0, 0.999]), lengths=np.array([40, 40])).tolist()
        [0, 60]
        """
        sizes = np.array([len(s) for s in self.sounds], np.int64)[index]
        loops = np.array([len(s) for s in self.loops], np.int64)[index]
        span = np.where(sizes >= lengths, sizes - lengths + 1, loops)
        return np.minimum((u * span).astype(np.int64), span - 1)

    def placement(self, index: NDArray, offsets: NDArray, lengths: NDArray) -> tuple[NDArray, NDArray]:
        """Per clip: whether its segment comes from the loop, and where it starts (it may wrap).

        Examples
        --------
        >>> bank = NoiseBank([np.ones(100, np.float32)], sample_rate=8000)
        >>> looped, starts = bank.placement(np.array([0, 0]), np.array([10, 10]), np.array([40, 400]))
        >>> looped.tolist(), starts.tolist()
        ([False, True], [10, 10])
        """
        looped = self._size[False][index] < lengths
        span = np.where(looped, self._size[True][index], self._size[False][index] - lengths + 1)
        return looped, offsets % span

    def segments(self, index: NDArray, offsets: NDArray, lengths: NDArray, width: int) -> NDArray[np.float32]:
        """Noise segments ``(n, width)``: clip ``i`` gets ``lengths[i]`` samples, zeros after."""
        out = np.zeros((len(index), width), np.float32)
        looped, starts = self.placement(index, offsets, lengths)
        for i, (k, lp, start, t) in enumerate(zip(index.tolist(), looped.tolist(), starts.tolist(),
                                                  lengths.tolist(), strict=True)):
            src = self.loops[k] if lp else self.sounds[k]
            out[i, :t] = np.take(src, np.arange(start, start + t), mode="wrap")
        return out

    def segment_power(self, index: NDArray, offsets: NDArray, lengths: NDArray) -> NDArray[np.float64]:
        """Mean square of each segment :meth:`segments` returns (from cached prefix sums).

        Examples
        --------
        >>> bank = NoiseBank([np.arange(8, dtype=np.float32)], sample_rate=8000)
        >>> idx, off, n = np.array([0]), np.array([2]), np.array([3])
        >>> bank.segments(idx, off, n, 3).tolist()
        [[2.0, 3.0, 4.0]]
        >>> round(float(bank.segment_power(idx, off, n)[0]), 4)
        9.6667
        """
        looped, start = self.placement(index, offsets, lengths)
        out = np.empty(len(index))
        for lp in (False, True):
            sel = looped == lp
            k, t, s0 = index[sel], lengths[sel], start[sel]
            size, base, prefix = self._size[lp][k], self._base[lp][k], self._prefix[lp]
            total = prefix[base + size]
            end = s0 + t
            out[sel] = ((end // size) * total + prefix[base + end % size] - prefix[base + s0]) / t
        return out


@register_resource
class ImpulseBank(_SoundBank):
    """Room impulse responses for :class:`~augkit.audio.Reverb` (mono, one rate).

    ``direct_path`` holds each response's direct-path position: the index of its largest
    magnitude (found once, when the bank is built).

    Examples
    --------
    >>> bank = ImpulseBank.from_arrays([np.r_[0.0, 0.0, 1.0, 0.5, 0.25]], sample_rate=16000)
    >>> bank, bank.direct_path
    (ImpulseBank(1 sounds, 0.0 s at 16000 Hz), (2,))
    """

    def __init__(self, sounds: Sequence[NDArray], sample_rate: int, *, paths: Sequence[str] | None = None) -> None:
        super().__init__(sounds, sample_rate, paths=paths)
        self.direct_path: tuple[int, ...] = tuple(int(np.argmax(np.abs(s))) if len(s) else 0 for s in self.sounds)


def _prefix_squares(s: NDArray) -> NDArray[np.float64]:
    out = np.zeros(len(s) + 1)
    np.cumsum(np.square(s, dtype=np.float64), out=out[1:])
    return out
