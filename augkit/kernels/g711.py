"""G.711 companding (ITU-T G.711): mu-law and A-law encode/decode, and a round-trip table.

Codes are the 8-bit values as transmitted (mu-law with all bits inverted, A-law with even
bits inverted), and linear values are 16-bit integers, as in WAV files. The decoders follow
the segment tables of the standard; the encoders pick the code whose decoded value is
nearest (ties to the smaller magnitude), so ``decode(encode(x))`` is the closest value the
codec can represent. The round trip on a whole int16 range is cached as a 65,536-entry
table, so companding a signal is one table lookup per sample.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["LAWS", "compand_audio", "compand_in_place", "g711_decode", "g711_encode", "g711_round_trip_table"]

LAWS = ("mu", "a")


def _check_law(law: str) -> None:
    if law not in LAWS:
        raise ValueError(f"law must be 'mu' or 'a', got {law!r}")


def g711_decode(codes: NDArray, law: str = "mu") -> NDArray[np.int16]:
    """Decode 8-bit G.711 codes to 16-bit linear samples.

    Examples
    --------
    >>> g711_decode(np.array([0x00, 0x7F, 0x80, 0xFF], np.uint8), "mu").tolist()
    [-32124, 0, 32124, 0]
    >>> g711_decode(np.array([0xD5, 0x55, 0xAA, 0x2A], np.uint8), "a").tolist()
    [8, -8, 32256, -32256]
    """
    _check_law(law)
    c = np.asarray(codes, dtype=np.uint8).astype(np.int32)
    if law == "mu":
        c = ~c & 0xFF
        exponent = (c >> 4) & 7
        magnitude = (((c & 0x0F) << 3) + 0x84 << exponent) - 0x84
        value = np.where(c & 0x80, -magnitude, magnitude)
    else:
        c = c ^ 0x55
        exponent = (c >> 4) & 7
        mantissa = (c & 0x0F) << 4
        magnitude = np.where(exponent == 0, mantissa + 8, (mantissa + 0x108) << np.maximum(exponent - 1, 0))
        value = np.where(c & 0x80, magnitude, -magnitude)
    return value.astype(np.int16)


@lru_cache(maxsize=2)
def _levels(law: str) -> tuple[NDArray, NDArray, NDArray]:
    codes = np.arange(256, dtype=np.uint8)
    values = g711_decode(codes, law).astype(np.int32)
    order = np.lexsort((codes, values))
    values, codes = values[order], codes[order]
    keep = np.r_[True, np.diff(values) > 0]  # mu-law has two codes for zero
    values, codes = values[keep], codes[keep]
    mids = (values[:-1] + values[1:]) / 2.0
    return values, codes, mids


def g711_encode(samples: NDArray, law: str = "mu") -> NDArray[np.uint8]:
    """Encode 16-bit linear samples to 8-bit G.711 codes (nearest representable value).

    Examples
    --------
    >>> x = np.array([-32768, -1000, 0, 1000, 32767], np.int16)
    >>> g711_decode(g711_encode(x, "mu"), "mu").tolist()
    [-32124, -988, 0, 988, 32124]
    """
    _check_law(law)
    _values, codes, mids = _levels(law)
    x = np.asarray(samples)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"samples must be integers (16-bit linear), got dtype {x.dtype}")
    idx = np.searchsorted(mids, x, side="left")
    return codes[idx]


@lru_cache(maxsize=2)
def g711_round_trip_table(law: str) -> NDArray[np.int16]:
    """``decode(encode(x))`` for every int16 ``x``, indexed by ``x + 32768`` (cached)."""
    table = g711_decode(g711_encode(np.arange(-32768, 32768, dtype=np.int32), law), law)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=2)
def _float_table(law: str) -> NDArray[np.float32]:
    table = (g711_round_trip_table(law) / np.float32(32768.0)).astype(np.float32)
    table.setflags(write=False)
    return table


def compand_audio(audio: NDArray, law: str = "mu") -> NDArray[np.float32]:
    """Pass float samples (full scale 1.0) through a G.711 encoder and decoder.

    Samples are first quantised to 16 bits (rounding halves up), saturating at full scale
    as a codec input does; then one lookup in a cached 65,536-entry table.

    Examples
    --------
    >>> [round(float(v), 4) for v in compand_audio(np.array([0.0, 0.5, -0.01, 2.0], np.float32))]
    [0.0, 0.5116, -0.0099, 0.9803]
    """
    out = np.array(audio, dtype=np.float32, order="C")  # (a copy: the input is never changed)
    _compand_into(out, law)
    return out


def compand_in_place(audio: NDArray[np.float32], laws: list[str]) -> None:
    """:func:`compand_audio` of each clip ``audio[i]`` with ``laws[i]`` (``"mu"``, ``"a"``, or
    ``""`` for none), written back into ``audio`` (float32, C-contiguous) through reused work
    arrays: the same values, without a batch-sized temporary per step.

    Examples
    --------
    >>> x = np.array([[[0.5, -0.01]], [[0.5, -0.01]]], np.float32)
    >>> compand_in_place(x, ["mu", ""]); x.astype(float).round(4).tolist()
    [[[0.5116, -0.0099]], [[0.5, -0.01]]]
    """
    if len(set(laws)) == 1:
        if laws[0]:
            _compand_into(audio, laws[0])
        return
    for i, law in enumerate(laws):
        if law:
            _compand_into(audio[i], law)


def _compand_into(x: NDArray[np.float32], law: str) -> None:
    """The G.711 round trip of float32 ``x`` (C-contiguous), written back into it."""
    from . import scratch

    idx = scratch.work_array("g711.idx", x.shape, np.float32)
    np.multiply(x, np.float32(32768.0), out=idx)
    idx += np.float32(32768.5)  # x * 32768 + 0.5, shifted to the table index
    np.clip(idx, 0.0, 65535.0, out=idx)
    ints = scratch.work_array("g711.int", x.shape, np.int32)
    np.copyto(ints, idx, casting="unsafe")  # truncation, as astype: the values are >= 0
    np.take(_float_table(law), ints, out=x, mode="clip")  # (in range: "clip" only avoids a buffered copy)
