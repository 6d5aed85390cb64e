"""Reading and writing audio files (soundfile), and resampling (scipy ``resample_poly``).

Clips are float32 arrays, channels first: ``(C, T)``, full scale 1.0.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ..kernels.signal import resample_audio

__all__ = ["audio_extensions", "load", "resample", "save"]


@lru_cache(maxsize=1)
def audio_extensions() -> tuple[str, ...]:
    """File extensions soundfile can read here (lower case, with the dot).

    Examples
    --------
    >>> ".wav" in audio_extensions() and ".flac" in audio_extensions()
    True
    """
    import soundfile

    exts = {f".{k.lower()}" for k in soundfile.available_formats()}
    if ".ogg" in exts:
        exts |= {".oga", ".opus"}
    if ".aiff" in exts:
        exts.add(".aif")
    return tuple(sorted(exts))


def load(path: str | os.PathLike, sample_rate: int | None = None, *, mono: bool = False) -> tuple[NDArray, int]:
    """Read an audio file as float32 ``(C, T)`` samples.

    Parameters
    ----------
    path : str or path-like
    sample_rate : int, optional
        Resample to this rate (Hz); default: keep the file's rate.
    mono : bool
        Average the channels into one.

    Returns
    -------
    audio : ndarray of shape (C, T), float32
    sample_rate : int

    Examples
    --------
    >>> from importlib.resources import files
    >>> clip, rate = load(files("augkit") / "data" / "audio" / "speech.flac", sample_rate=8000)
    >>> clip.shape[0], rate
    (1, 8000)
    """
    import soundfile

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FileNotFoundError(f"no audio file at {name!r}")
    try:
        data, rate = soundfile.read(name, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
        raise ValueError(f"could not read {name!r} as audio: {err}") from err
    if data.shape[0] == 0:
        raise ValueError(f"{name!r} holds no samples")
    audio = np.ascontiguousarray(data.T)
    if mono:
        audio = audio.mean(axis=0, keepdims=True, dtype=np.float32)
    if sample_rate is not None and sample_rate != rate:
        audio = resample(audio, rate, sample_rate)
        rate = sample_rate
    return audio, int(rate)


def save(path: str | os.PathLike, audio: NDArray, sample_rate: int, *, subtype: str | None = None) -> None:
    """Write a clip ``(T,)`` or ``(C, T)`` (float, full scale 1.0) to a file.

    The format follows the extension (``.wav``, ``.flac``, ``.ogg``...); ``subtype``
    (e.g. ``"PCM_16"``, ``"ULAW"``) as in :func:`soundfile.write`. Samples beyond full
    scale are an error for integer subtypes rather than being clipped silently.

    Examples
    --------
    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.wav")
    >>> save(p, np.zeros(160, np.float32), 16000)
    >>> load(p)[0].shape
    (1, 160)
    """
    import soundfile

    x = np.asarray(audio)
    if x.ndim not in (1, 2) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"audio must be float (T,) or (C, T), got {x.dtype} {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("audio holds NaN or infinite samples")
    sub = subtype or soundfile.default_subtype(os.path.splitext(os.fspath(path))[1].lstrip(".").upper() or "WAV")
    if sub and not sub.startswith(("FLOAT", "DOUBLE", "VORBIS", "OPUS")) and np.abs(x).max(initial=0) > 1.0:
        raise ValueError(f"audio exceeds full scale (peak {np.abs(x).max():.3g}) for subtype {sub}; "
                         "scale it down or save as FLOAT")
    soundfile.write(os.fspath(path), x.T if x.ndim == 2 else x, int(sample_rate), subtype=subtype)


def resample(audio: NDArray, from_hz: int, to_hz: int) -> NDArray[np.float32]:
    """Resample ``(..., T)`` float samples from ``from_hz`` to ``to_hz`` (polyphase FIR).

    Examples
    --------
    >>> resample(np.zeros((1, 44100), np.float32), 44100, 16000).shape
    (1, 16000)
    """
    for name, v in (("from_hz", from_hz), ("to_hz", to_hz)):
        if not isinstance(v, (int, np.integer)) or v <= 0:
            raise ValueError(f"{name} must be a positive integer number of Hz, got {v!r}")
    return resample_audio(audio, int(from_hz), int(to_hz))
