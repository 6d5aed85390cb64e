"""A baseline JPEG round trip (encode, then decode) computed for a whole batch at once.

JPEG loses information in a few integer stages; the entropy coding between encoder and
decoder is lossless, so the decoded pixels depend only on those stages. This module computes
them for every image of a batch together, in the exact integer arithmetic of libjpeg-turbo
with the settings Pillow and OpenCV use by default, so its output equals, bit for bit, what
``Image.save(..., "JPEG", quality=q)`` followed by ``Image.open`` gives
(``tests/test_jpeg.py`` checks every quality and many sizes against Pillow):

- colour: JFIF full-range RGB -> YCbCr with 16-bit fixed-point coefficients (grey images
  have one component and no conversion);
- chroma 4:2:0: 2x2 sums with libjpeg's alternating rounding bias (1, 2, 1, 2, ...);
  edges padded by repeating the last column/row, as the encoder does;
- the "islow" integer DCT (Loeffler-Ligtenberg-Moschytz, 13-bit constants), quantization by
  the standard tables scaled by quality (clamped to 1..255, baseline) with libjpeg-turbo's
  reciprocal rounding, dequantization and the islow inverse DCT with its range limit;
- decoding: chroma upsampled with the "fancy" triangle filter (box replication when the
  chroma plane is at most 2 samples wide, as libjpeg-turbo does), YCbCr -> RGB.

Each 8x8 transform pass is a linear map with integer coefficients followed by a rounding
shift, so a pass is one matrix product over all blocks and a floor, in float32 where every
value is an integer below 2**24 (colour, chroma filters, the first forward pass) and in
float64 (exact below 2**53) elsewhere. Work arrays are reused between chunks of images.

It pays for small images, where libjpeg's fixed cost per call dominates (about 3x faster than
one OpenCV call per image for 16x16 grey, 1.6x for 32x32 grey); from about 64x64 grey and
24x24 RGB one libjpeg call per image is faster, and :func:`augkit.kernels.degrade.jpeg_image`
routes by size.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import NDArray

from .scratch import work_array

__all__ = ["jpeg_quality_tables", "jpeg_roundtrip_image"]

#: Annex K tables (natural row-major order: vertical frequency, then horizontal).
_LUMA_BASE = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
], np.int64)
_CHROMA_BASE = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
] + [99] * 32, np.int64)

#: The islow constants: FIX(c) = round(c * 2**13).
_C = {"0.298631336": 2446, "0.390180644": 3196, "0.541196100": 4433, "0.765366865": 6270,
      "0.899976223": 7373, "1.175875602": 9633, "1.501321110": 12299, "1.847759065": 15137,
      "1.961570560": 16069, "2.053119869": 16819, "2.562915447": 20995, "3.072711026": 25172}


def _odd_part(a: int, b: int, c: int, d: int) -> tuple[int, int, int, int]:
    """The rotation shared by the forward and inverse islow transforms (inputs a..d -> 4 sums)."""
    z1, z2, z3, z4 = a + d, b + c, a + c, b + d
    z5 = (z3 + z4) * _C["1.175875602"]
    z1, z2 = z1 * -_C["0.899976223"], z2 * -_C["2.562915447"]
    z3, z4 = z3 * -_C["1.961570560"] + z5, z4 * -_C["0.390180644"] + z5
    return (a * _C["0.298631336"] + z1 + z3, b * _C["2.053119869"] + z2 + z4,
            c * _C["3.072711026"] + z2 + z3, d * _C["1.501321110"] + z1 + z4)


def _forward_1d(x: list[int]) -> list[int]:
    """One islow forward pass before its rounding shift. Outputs 0 and 4 are exact sums in
    libjpeg (shifted left by 2 in the first pass, rounded by 2 bits in the second); scaled by
    2**13 here, the shift shared with the other outputs (11 bits, then 15) gives the same."""
    t0, t7, t1, t6 = x[0] + x[7], x[0] - x[7], x[1] + x[6], x[1] - x[6]
    t2, t5, t3, t4 = x[2] + x[5], x[2] - x[5], x[3] + x[4], x[3] - x[4]
    t10, t13, t11, t12 = t0 + t3, t0 - t3, t1 + t2, t1 - t2
    z1 = (t12 + t13) * _C["0.541196100"]
    o7, o5, o3, o1 = _odd_part(t4, t5, t6, t7)
    return [(t10 + t11) << 13, o1, z1 + t13 * _C["0.765366865"], o3,
            (t10 - t11) << 13, o5, z1 - t12 * _C["1.847759065"], o7]


def _inverse_1d(x: list[int]) -> list[int]:
    """One islow inverse pass before its rounding shift."""
    z1 = (x[2] + x[6]) * _C["0.541196100"]
    t2, t3 = z1 - x[6] * _C["1.847759065"], z1 + x[2] * _C["0.765366865"]
    t0, t1 = (x[0] + x[4]) << 13, (x[0] - x[4]) << 13
    t10, t13, t11, t12 = t0 + t3, t0 - t3, t1 + t2, t1 - t2
    o0, o1, o2, o3 = _odd_part(x[7], x[5], x[3], x[1])
    return [t10 + o3, t11 + o2, t12 + o1, t13 + o0, t13 - o0, t12 - o1, t11 - o2, t10 - o3]


def _matrix(pass_1d: Callable[[list[int]], list[int]]) -> NDArray[np.float64]:
    """The integer matrix M of a linear 1-D pass: out = M @ x."""
    unit = [[int(i == j) for j in range(8)] for i in range(8)]
    cols = [pass_1d(unit[i]) for i in range(8)]
    return np.array([[cols[i][k] for i in range(8)] for k in range(8)], np.float64)


#: The pass matrices (and the first, transposed, in float32 for ``rows @ M.T``). Forward: the
#: passes round by 2**11 and 2**15 (the first keeps 2 extra bits); inverse: by 2**11, then by
#: 2**18 (3 more: the 1/8 of the DCT).
_FORWARD = _matrix(_forward_1d)
_FORWARD_T32 = _FORWARD.T.astype(np.float32)
_INVERSE = _matrix(_inverse_1d)

#: libjpeg's post-IDCT range limit, indexed by ``value & 1023`` (values are centred on 0).
_RANGE_LIMIT = np.concatenate([np.arange(128, 256), np.full(384, 255), np.zeros(384), np.arange(128)]).astype(np.uint8)


def jpeg_quality_tables(qualities: NDArray) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Luma and chroma quantization tables ``(n, 64)`` (row-major) for JPEG qualities 1-100.

    The Annex K tables scaled as libjpeg's ``jpeg_set_quality`` does (baseline: 1..255).

    Examples
    --------
    >>> luma, chroma = jpeg_quality_tables(np.array([50, 100]))
    >>> luma[0, :3].tolist(), luma[1, :3].tolist(), chroma[0, 0].item()
    ([16, 11, 10], [1, 1, 1], 17)
    """
    q = np.clip(np.asarray(qualities, np.int64), 1, 100)
    scale = np.where(q < 50, 5000 // q, 200 - 2 * q)[:, None]
    return (np.clip((_LUMA_BASE * scale + 50) // 100, 1, 255), np.clip((_CHROMA_BASE * scale + 50) // 100, 1, 255))


@cache
def _quality_factors() -> NDArray[np.float64]:
    """For qualities 0..100 (0 unused): ``(101, 2, 3, 64)`` = (luma, chroma) x (rounding
    correction, reciprocal * 2**-shift, table) of libjpeg-turbo's quantizer."""
    luma, chroma = jpeg_quality_tables(np.arange(101))
    out = np.empty((101, 2, 3, 64))
    for k, table in enumerate((luma, chroma)):
        divisor = table * 8  # the islow DCT leaves its output scaled by 8
        bits = np.floor(np.log2(divisor)).astype(np.int64)  # (exact: divisors are small integers)
        shift = 16 + bits
        quotient, remainder = np.divmod(np.int64(1) << shift, divisor)
        half = divisor // 2
        power = remainder == 0
        low = ~power & (remainder <= half)
        quotient = np.where(power, quotient >> 1, np.where(low, quotient, quotient + 1))
        shift = np.where(power, shift - 1, shift)
        out[:, k, 0] = half + low
        out[:, k, 1] = np.ldexp(quotient.astype(np.float64), -shift)  # exact: an integer times 2**-shift
        out[:, k, 2] = table
    return out


def _descale(a: NDArray, bits: int) -> None:
    """In place: ``floor((a + 2**(bits-1)) / 2**bits)`` (exact for integers below 2**53)."""
    a += float(1 << (bits - 1))
    a *= 2.0 ** -bits
    np.floor(a, out=a)


def _blocks_roundtrip(planes: NDArray, factors: NDArray, out: NDArray) -> None:
    """Encode and decode level-shifted float32 planes ``(k, Hp, Wp)`` (multiples of 8) with
    per-plane quantizer ``factors`` ``(k, 3, 64)``; write uint8 samples into ``out``.

    Coefficients are kept frequency-major, ``(v, u, k, block row, block column)``, so that each
    pass is one matrix product over all blocks and the per-image tables broadcast over blocks.
    """
    k, hp, wp = planes.shape
    hb, wb = hp // 8, wp // 8
    m = k * hb * wb
    # forward pass 1 along block rows, in float32 (exact: every sum is an integer below 2**24)
    a = np.matmul(planes.reshape(-1, 8), _FORWARD_T32, out=work_array("jpeg.a32", (m * 8, 8), np.float32))
    a += np.float32(1 << 10)
    a *= np.float32(2.0 ** -11)
    t = work_array("jpeg.t", (8, 8, k, hb, wb), np.float64)  # (y, u, ...)
    np.floor(a.reshape(k, hb, 8, wb, 8).transpose(2, 4, 0, 1, 3), out=t)
    coef = np.matmul(_FORWARD, t.reshape(8, -1), out=work_array("jpeg.coef", (8, 8 * m), np.float64))  # (v, u..)
    _descale(coef, 15)
    # quantize (round half away from zero, by libjpeg-turbo's reciprocals), then dequantize
    per = factors.reshape(k, 3, 64).transpose(1, 2, 0)[:, :, :, None]  # (3, v*8+u, k, 1)
    c3 = coef.reshape(64, k, hb * wb)
    mag = np.abs(c3, out=work_array("jpeg.mag", c3.shape, np.float64))
    mag += per[0]
    mag *= per[1]
    np.floor(mag, out=mag)
    np.copysign(mag, c3, out=mag)
    mag *= per[2]
    # inverse pass 1 along v, then pass 2 along u (one product per output row y)
    w = np.matmul(_INVERSE, mag.reshape(8, -1), out=coef)  # (y, u, ...)
    _descale(w, 11)
    o = np.matmul(_INVERSE, w.reshape(8, 8, -1), out=t.reshape(8, 8, m))  # (y, x, ...)
    o += float(1 << 17)
    o *= 2.0 ** -18
    idx = a.view(np.int32).reshape(k, hb, 8, wb, 8)  # (the first pass's float32 buffer, done with)
    np.floor(o.reshape(8, 8, k, hb, wb).transpose(2, 3, 0, 4, 1), out=idx, casting="unsafe")
    idx &= 1023
    np.take(_RANGE_LIMIT, idx.reshape(k, hp, wp), out=out, mode="clip")


def _fix(x: float) -> int:
    return int(x * 65536 + 0.5)


#: RGB -> level-shifted (Y, Cb, Cr) - 128: rows of weights and the offsets, 16-bit fixed point.
#: Every partial sum is an integer below 2**24 in magnitude, so float32 products are exact.
_FROM_RGB = np.array([[_fix(0.299), _fix(0.587), _fix(0.114)],
                      [-_fix(0.16874), -_fix(0.33126), _fix(0.5)],
                      [_fix(0.5), -_fix(0.41869), -_fix(0.08131)]], np.float32)
_FROM_RGB_OFFSET = np.array([32768 - (128 << 16), 32767, 32767], np.float32)[:, None]
#: level-shifted (Cb, Cr) -> R, G, B offsets from Y: (Cb weight, Cr weight) per channel.
_TO_RGB = ((0, _fix(1.402)), (-_fix(0.34414), -_fix(0.71414)), (_fix(1.772), 0))


def _pad_edge(plane: NDArray, hp: int, wp: int, key: str) -> NDArray:
    """``plane`` (k, h, w) grown to (k, hp, wp) by repeating its last row and column."""
    k, h, w = plane.shape
    if (h, w) == (hp, wp):
        return plane
    out = work_array(key, (k, hp, wp), plane.dtype)
    out[:, :h, :w] = plane
    out[:, :h, w:] = plane[:, :, w - 1:w]
    out[:, h:, :] = out[:, h - 1:h, :]
    return out


def _downsample(chroma: NDArray, key: str) -> NDArray:
    """2x2 subsampling of level-shifted chroma (k, h, w) as libjpeg does it, padded to whole
    8x8 blocks of the subsampled plane as its encoder pads them."""
    k, h, w = chroma.shape
    ch, cw = -(-h // 2), -(-w // 16) * 8  # rows that hold data; columns padded to whole blocks
    full = _pad_edge(chroma, 2 * ch, 2 * cw, key + ".full")
    hp = -(-h // 16) * 8
    out = work_array(key + ".plane", (k, hp, cw), np.float32)
    s = out[:, :ch]
    np.add(full[:, 0::2, 0::2], full[:, 0::2, 1::2], out=s)
    s += full[:, 1::2, 0::2]
    s += full[:, 1::2, 1::2]
    s += _bias(cw)  # libjpeg's rounding bias alternates 1, 2, 1, 2 along a row
    s *= np.float32(0.25)
    np.floor(s, out=s)
    out[:, ch:] = out[:, ch - 1:ch]
    return out


@cache
def _bias(width: int) -> NDArray[np.float32]:
    """The encoder's chroma rounding bias along a row: 1, 2, 1, 2, ..."""
    return np.resize(np.array([1.0, 2.0], np.float32), width)


def _upsample(dec: NDArray, h: int, w: int, key: str) -> NDArray:
    """Decoder-side 2x2 upsampling of decoded, level-shifted chroma ``(k, ceil(h/2), ceil(w/2))``
    (float32): libjpeg's triangle ("fancy") filter, or replication for planes at most 2 wide.
    Returns ``(k, h, w)`` (a view of a work array)."""
    k, ch, cw = dec.shape
    up = work_array(key, (k, ch, 2, cw, 2), np.float32)  # (row, v, column, parity)
    if cw <= 2:  # libjpeg-turbo does not use the fancy filter on such narrow planes
        up[:] = dec[:, :, None, :, None]
        return up.reshape(k, 2 * ch, 2 * cw)[:, :h, :w]
    col = work_array(key + ".col", (2, k, ch, cw), np.float32)  # 3 * nearer row + further row
    np.multiply(dec, np.float32(3.0), out=col[0])
    col[1] = col[0]
    col[0, :, 1:] += dec[:, :-1]
    col[0, :, :1] += dec[:, :1]
    col[1, :, :-1] += dec[:, 1:]
    col[1, :, -1:] += dec[:, -1:]
    three = work_array(key + ".three", col.shape, np.float32)
    np.multiply(col, np.float32(3.0), out=three)
    for v in (0, 1):
        even, odd = up[:, :, v, :, 0], up[:, :, v, :, 1]
        np.add(three[v, :, :, 1:], col[v, :, :, :-1], out=even[:, :, 1:])
        np.add(three[v, :, :, :1], col[v, :, :, :1], out=even[:, :, :1])
        np.add(three[v, :, :, :-1], col[v, :, :, 1:], out=odd[:, :, :-1])
        np.add(three[v, :, :, -1:], col[v, :, :, -1:], out=odd[:, :, -1:])
    up[..., 0] += np.float32(8.0)
    up[..., 1] += np.float32(7.0)
    up *= np.float32(1.0 / 16.0)
    np.floor(up, out=up)
    return up.reshape(k, 2 * ch, 2 * cw)[:, :h, :w]


def _to_rgb(y: NDArray, cb: NDArray, cr: NDArray, out: NDArray) -> None:
    """libjpeg's YCbCr -> RGB (16-bit fixed point, rounded, saturated) into uint8 ``out``;
    ``cb``/``cr`` level-shifted float32, ``y`` float32."""
    t = work_array("jpeg.rgb_t", y.shape, np.float32)
    for channel, (w_cb, w_cr) in enumerate(_TO_RGB):
        if w_cb and w_cr:
            np.multiply(cb, np.float32(w_cb), out=t)
            t += np.float32(32768.0)
            u = work_array("jpeg.rgb_u", y.shape, np.float32)
            np.multiply(cr, np.float32(w_cr), out=u)
            t += u
        else:
            np.multiply(cb if w_cb else cr, np.float32(w_cb or w_cr), out=t)
            t += np.float32(32768.0)
        t *= np.float32(2.0 ** -16)
        np.floor(t, out=t)
        t += y
        np.clip(t, np.float32(0.0), np.float32(255.0), out=t)
        out[..., channel] = t


def _roundtrip_chunk(images: NDArray, qualities: NDArray, out: NDArray) -> None:
    k, h, w, c = images.shape
    factors = _quality_factors()[qualities]  # (k, 2, 3, 64)
    hp, wp = -(-h // 8) * 8, -(-w // 8) * 8
    if c == 1:
        plane = work_array("jpeg.grey", (k, h, w), np.float32)
        np.subtract(images[..., 0], np.float32(128.0), out=plane)
        dec = work_array("jpeg.grey_out", (k, hp, wp), np.uint8)
        _blocks_roundtrip(_pad_edge(plane, hp, wp, "jpeg.grey_pad"), factors[:, 0], dec)
        out[..., 0] = dec[:, :h, :w]
        return
    rgb = work_array("jpeg.rgb", (k * h * w, 3), np.float32)
    np.copyto(rgb, images.reshape(-1, 3))
    ycc = work_array("jpeg.ycc", (3, k, h, w), np.float32)
    flat = np.matmul(_FROM_RGB, rgb.T, out=ycc.reshape(3, -1))
    flat += _FROM_RGB_OFFSET
    flat *= np.float32(2.0 ** -16)
    np.floor(flat, out=flat)
    dec_luma = work_array("jpeg.luma_out", (k, hp, wp), np.uint8)
    _blocks_roundtrip(_pad_edge(ycc[0], hp, wp, "jpeg.luma_pad"), factors[:, 0], dec_luma)
    chroma = []
    for i in (1, 2):
        plane = _downsample(ycc[i], f"jpeg.c{i}")
        dec = work_array(f"jpeg.c{i}_out", plane.shape, np.uint8)
        _blocks_roundtrip(plane, factors[:, 1], dec)
        shifted = work_array(f"jpeg.c{i}_dec", (k, -(-h // 2), -(-w // 2)), np.float32)
        np.subtract(dec[:, :shifted.shape[1], :shifted.shape[2]], np.float32(128.0), out=shifted)
        chroma.append(_upsample(shifted, h, w, f"jpeg.c{i}_up"))
    y = ycc[0]  # (its encoder values are no longer needed)
    np.copyto(y, dec_luma[:, :h, :w])
    _to_rgb(y, chroma[0], chroma[1], out)


#: Images per chunk: about this many luma samples at a time (work arrays of 0.25-0.5 MB; 2**14
#: and 2**15 ran 5-30% slower at 16x16-48x48, see benchmarks/README.md).
CHUNK_SAMPLES = 1 << 16


def jpeg_roundtrip_image(images: NDArray[np.uint8], qualities: NDArray) -> NDArray[np.uint8]:
    """JPEG-compress and decompress each uint8 image at ``qualities[i]`` (1-100), exactly as
    libjpeg-turbo does with Pillow's defaults (4:2:0 chroma for RGB).

    Parameters
    ----------
    images : uint8 ndarray of shape (n, H, W, C), C = 1 (grey) or 3 (RGB)
    qualities : int array of shape (n,)

    Returns
    -------
    uint8 ndarray of the same shape: the decoded images.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> x = np.random.default_rng(0).integers(0, 256, (1, 24, 40, 3), dtype=np.uint8)
    >>> buf = io.BytesIO()
    >>> Image.fromarray(x[0]).save(buf, "JPEG", quality=75)
    >>> np.array_equal(jpeg_roundtrip_image(x, np.array([75]))[0], np.asarray(Image.open(buf)))
    True
    """
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] not in (1, 3):
        raise ValueError(f"images must be uint8 (n, H, W, 1 or 3), got {images.dtype} {images.shape}")
    q = np.asarray(qualities, np.int64).reshape(-1)
    if q.shape[0] != images.shape[0] or ((q < 1) | (q > 100)).any():
        raise ValueError(f"qualities must be {images.shape[0]} integers in 1..100, got {q.tolist()[:8]}")
    n, h, w, _ = images.shape
    out = np.empty_like(images)
    samples = -(-h // 8) * 8 * (-(-w // 8) * 8)
    # at most a 1/4 of the batch per chunk (work arrays take ~30 bytes a sample), but not tiny chunks
    per = max(1, min(CHUNK_SAMPLES, max(1 << 13, n * samples // 8)) // samples)
    for s in range(0, n, per):
        _roundtrip_chunk(images[s:s + per], q[s:s + per], out[s:s + per])
    return out
