"""Exact permutations of the pixel grid: flips, quarter turns and transposes (no resampling).

These are the eight symmetries of a square (the dihedral group D4), written per sample as
``(transpose, flip_x, flip_y)``: first rows and columns are swapped where ``transpose`` is
true (square images only), then the result is mirrored left-right and/or top-bottom. A
quarter turn counter-clockwise is a transpose then a top-bottom flip; a half turn, both
flips. The same triple gives the forward matrix (:func:`permutation_matrices`) that boxes
and keypoints are mapped through, and that fuses with the other geometric transforms.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .geometry import _cv2_for, _output, identity_matrices
from .scratch import work_array

__all__ = ["compose_permutations", "flip_image", "flip_matrices", "permutation_matrices", "permute_image",
           "quarter_turn_flags"]


def flip_matrices(
    horizontal: NDArray[np.bool_], vertical: NDArray[np.bool_], height: int, width: int
) -> NDArray[np.float64]:
    """Matrices that mirror the canvas where ``horizontal``/``vertical`` are true.

    Examples
    --------
    >>> flip_matrices(np.array([True]), np.array([False]), 4, 10)[0, 0]
    array([-1.,  0., 10.])
    """
    h = np.asarray(horizontal, dtype=bool)
    v = np.asarray(vertical, dtype=bool)
    m = identity_matrices(h.shape[0])
    m[h, 0, 0], m[h, 0, 2] = -1.0, float(width)
    m[v, 1, 1], m[v, 1, 2] = -1.0, float(height)
    return m


def permutation_matrices(transpose: NDArray[np.bool_], flip_x: NDArray[np.bool_], flip_y: NDArray[np.bool_],
                         height: int, width: int) -> NDArray[np.float64]:
    """Forward matrices of ``(transpose, flip_x, flip_y)`` (transpose first; it needs a square).

    Examples
    --------
    >>> m = permutation_matrices(np.array([True]), np.array([False]), np.array([True]), 4, 4)
    >>> m[0] + 0.0                      # a quarter turn counter-clockwise: (x, y) -> (y, 4 - x)
    array([[ 0.,  1.,  0.],
           [-1.,  0.,  4.],
           [ 0.,  0.,  1.]])
    """
    t = np.asarray(transpose, dtype=bool)
    m = flip_matrices(flip_x, flip_y, height, width)
    if t.any():
        if height != width:
            raise ValueError(f"a transpose or quarter turn maps a canvas onto itself only when it is square; "
                             f"got {height}x{width}")
        m[t, 0, 1], m[t, 0, 0] = m[t, 0, 0], 0.0  # x' from y
        m[t, 1, 0], m[t, 1, 1] = m[t, 1, 1], 0.0  # y' from x
    return m


def quarter_turn_flags(turns: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """``(transpose, flip_x, flip_y)`` of ``turns`` quarter turns counter-clockwise (any integers).

    Examples
    --------
    >>> [f.tolist() for f in quarter_turn_flags(np.array([0, 1, 2, 3, -1]))]
    [[False, True, False, True, True], [False, False, True, True, True], [False, True, True, False, False]]
    """
    k = np.asarray(turns, dtype=np.int64) % 4
    return k % 2 == 1, k >= 2, (k == 1) | (k == 2)


def compose_permutations(first: tuple[NDArray, NDArray, NDArray],
                         then: tuple[NDArray, NDArray, NDArray]) -> tuple[NDArray, NDArray, NDArray]:
    """The ``(transpose, flip_x, flip_y)`` of applying ``first``, then ``then`` (per sample).

    A transpose after flips swaps which axis each flip acts on.

    Examples
    --------
    >>> turn = quarter_turn_flags(np.array([1]))
    >>> [f.tolist() for f in compose_permutations(turn, turn)]   # two quarter turns: a half turn
    [[False], [True], [True]]
    """
    t1, x1, y1 = (np.asarray(f, dtype=bool) for f in first)
    t2, x2, y2 = (np.asarray(f, dtype=bool) for f in then)
    return t1 ^ t2, x2 ^ np.where(t2, y1, x1), y2 ^ np.where(t2, x1, y1)


def flip_image(images: NDArray, flip_x: NDArray, flip_y: NDArray, *, out: NDArray | None = None) -> NDArray:
    """Mirror each image exactly (no resampling) where ``flip_x``/``flip_y`` are true.

    Examples
    --------
    >>> img = np.arange(4, dtype=np.uint8).reshape(1, 2, 2, 1)
    >>> flip_image(img, np.array([True]), np.array([True]))[0, ..., 0].tolist()
    [[3, 2], [1, 0]]
    """
    out = _output(out, images.shape, images.dtype)
    found = _cv2_for(images)
    n, h, w, c = images.shape
    flip_x, flip_y = np.asarray(flip_x, dtype=bool), np.asarray(flip_y, dtype=bool)
    if found is not None and n and not flip_y.any() and flip_x.all():  # the usual call: one OpenCV call
        cv2, src = found
        dst = out.view(np.uint8) if out.dtype == np.bool_ else out
        cv2.flip(src.reshape(n * h, w, c), 1, dst=dst.reshape(n * h, w, c))
        return out
    code = flip_x.astype(np.intp) * 2 + flip_y  # 0..3: (fx, fy)
    for kind in sorted(set(code.tolist())):  # only the kinds present
        fx, fy = kind >= 2, kind % 2 == 1
        sel = np.arange(len(code)) if len(code) == 1 else (code == kind).nonzero()[0]
        contiguous = sel[-1] - sel[0] + 1 == sel.size
        if found is not None and fx and not fy and contiguous:
            # rows are independent: one call mirrors every row of the whole run of images
            cv2, src = found
            dst = out.view(np.uint8) if out.dtype == np.bool_ else out
            a, b = int(sel[0]), int(sel[-1]) + 1
            cv2.flip(src[a:b].reshape((b - a) * h, w, c), 1, dst=dst[a:b].reshape((b - a) * h, w, c))
        elif found is not None and fx:
            cv2, src = found
            dst = out.view(np.uint8) if out.dtype == np.bool_ else out
            for i in sel:
                s, d = (src[i, ..., 0], dst[i, ..., 0]) if c == 1 else (src[i], dst[i])
                cv2.flip(s, -1 if fy else 1, d)
        elif fx and c > 1:  # NumPy: each row's elements reversed (fast), then the channels put back
            runs = [slice(int(sel[0]), int(sel[-1]) + 1)] if contiguous else [slice(i, i + 1) for i in sel.tolist()]
            for run in runs:
                dst = out[run]
                k = dst.shape[0]
                np.copyto(dst.reshape(k, h, w * c), images[run].reshape(k, h, w * c)[:, ::-1 if fy else 1, ::-1])
                for ch in range(c // 2):  # a reversed row holds each pixel's channels reversed
                    first = dst[..., ch].copy()
                    dst[..., ch] = dst[..., c - 1 - ch]
                    dst[..., c - 1 - ch] = first
        else:  # identity or vertical only (or one channel): whole rows or elements in order
            for i in sel:
                out[i] = images[i, ::-1 if fy else 1, ::-1 if fx else 1]
    return out


#: OpenCV's flip code for each (flip_x, flip_y) code ``2 * flip_x + flip_y`` (0: a copy).
_FLIP_CODES = {1: 0, 2: 1, 3: -1}

#: Images of at most this many pixels that are transposed in a run are transposed together, as
#: one tall image (a chunk of them at a time): 32x32, 256 images, per image: grey 2.4 -> 1.3 us,
#: RGB 6.1 -> 4.8 us; at 64x64 it is slower (18 vs 26 us), as its second copy then costs more.
TALL_TRANSPOSE_MAX_PIXELS = 1024

#: Bytes of images transposed at once on the tall route (its work array).
TALL_TRANSPOSE_CHUNK_BYTES = 1 << 18


def permute_image(images: NDArray, transpose: NDArray, flip_x: NDArray, flip_y: NDArray, *,
                  out: NDArray | None = None) -> NDArray:
    """Apply ``(transpose, flip_x, flip_y)`` to each image exactly (see the module docstring).

    Without transposes this is :func:`flip_image`. Otherwise each image takes one or two
    OpenCV calls (``rotate`` for the quarter turns, ``transpose`` and an in-place ``flip``
    for the rest), or a NumPy copy of its reordered view without OpenCV.

    Examples
    --------
    >>> img = np.arange(4, dtype=np.uint8).reshape(1, 2, 2, 1)
    >>> turn = quarter_turn_flags(np.array([1]))
    >>> permute_image(img, *turn)[0, ..., 0].tolist() == np.rot90(img[0, ..., 0]).tolist()
    True
    """
    t = np.asarray(transpose, dtype=bool)
    if not t.any():
        return flip_image(images, flip_x, flip_y, out=out)
    h, w, c = images.shape[1:]
    if h != w:
        raise ValueError(f"a transpose or quarter turn keeps the canvas only for square images; got {h}x{w}")
    out = _output(out, images.shape, images.dtype)
    codes = (t * 4 + np.asarray(flip_x, dtype=bool) * 2 + np.asarray(flip_y, dtype=bool)).tolist()
    found = _cv2_for(images)
    if found is None:
        for i, code in enumerate(codes):
            img = images[i].transpose(1, 0, 2) if code >= 4 else images[i]
            np.copyto(out[i], img[::-1 if code & 1 else 1, ::-1 if code & 2 else 1])
        return out
    cv2, src = found
    dst = out.view(np.uint8) if out.dtype == np.bool_ else out
    if c == 1:
        src, dst = src[..., 0], dst[..., 0]
    done = _tall_transposes(cv2, src, dst, codes) if h * w <= TALL_TRANSPOSE_MAX_PIXELS else range(0)
    # transpose, then: left-right = a clockwise quarter turn, top-bottom = counter-clockwise
    turns = {6: cv2.ROTATE_90_CLOCKWISE, 5: cv2.ROTATE_90_COUNTERCLOCKWISE}
    for i, code in enumerate(codes):  # (OpenCV calls with positional arguments: cheaper)
        if i in done:
            continue
        s, d = src[i], dst[i]
        if code == 0:
            np.copyto(d, s)
        elif code < 4:
            cv2.flip(s, _FLIP_CODES[code], d)
        elif code in turns:
            cv2.rotate(s, turns[code], d)
        else:
            cv2.transpose(s, d)
            if code == 7:
                cv2.flip(d, -1, d)
    return out


def _tall_transposes(cv2: object, src: NDArray, dst: NDArray, codes: list[int]) -> range:
    """Transpose (and flip) the samples of ``codes`` that are transposed, when they form one
    run: a chunk of them at a time as one tall image, whose transpose holds image ``j``'s
    rows in columns ``j * h`` to ``(j + 1) * h``; returns the range of samples done."""
    moved = [i for i, code in enumerate(codes) if code >= 4]
    if not moved or moved[-1] - moved[0] + 1 != len(moved):
        return range(0)
    h, w = src.shape[1:3]
    # (at most an eighth of the batch too: the work array is kept between calls)
    per = max(1, min(TALL_TRANSPOSE_CHUNK_BYTES, src.nbytes // 8) // src[0].nbytes)
    for a in range(moved[0], moved[-1] + 1, per):
        b = min(a + per, moved[-1] + 1)
        k = b - a
        tall = src[a:b].reshape(k * h, *src.shape[2:])
        work = work_array("permute.tall", (w, k * h, *src.shape[3:]), src.dtype)
        cv2.transpose(tall, work)
        np.copyto(dst[a:b].reshape(k, w, -1), work.reshape(w, k, -1).transpose(1, 0, 2))
        for i in range(a, b):
            if codes[i] > 4:
                cv2.flip(dst[i], _FLIP_CODES[codes[i] - 4], dst[i])
    return range(moved[0], moved[-1] + 1)
