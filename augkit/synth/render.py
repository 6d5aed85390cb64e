"""Rendering kernels for text synthesis: layout with per-character boxes, backgrounds,
colours with a contrast gate, and compositing.

Text is laid out like Pillow lays out a whole string: advances plus the font's pair
kerning (as the Raqm engine lays them out, ligatures off, so every character keeps its own
glyph and box: read from the font's tables where that is exact, see
:mod:`augkit.synth.tables`, else measured with Raqm), pen positions rounded to whole
pixels. Glyph bitmaps are rendered by FreeType once per font, size and character and then
pasted, so each character's box is exactly the ink of its glyph. A test checks the layout
against Pillow's own rendering.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..kernels.color import srgb_to_linear
from .fonts import _layout_engine
from .tables import font_tables
from .text import uniform_indices

__all__ = [
    "BACKGROUNDS",
    "GlyphSet",
    "background_spec",
    "choose_colors",
    "composite_batch",
    "draw_background",
    "glyph_set",
    "layout_lists",
    "layout_text",
    "luminance",
    "paint_backgrounds",
    "render_backgrounds",
    "render_mask",
    "text_contrast",
    "text_contrast_batch",
]

BACKGROUNDS = ("solid", "gradient", "noise", "texture")
_NO_LIGATURES = ["-liga", "-clig", "-dlig", "-calt"]


def _features() -> list[str] | None:
    from PIL import ImageFont

    return _NO_LIGATURES if _layout_engine() == ImageFont.Layout.RAQM else None


#: Kerning is measured once per font and pair at this size and scaled.
KERN_REFERENCE_PX = 200


class GlyphSet:
    """One font at one pixel size: glyph bitmaps, advances and kerning, cached on first use.

    Rendering pastes cached glyph bitmaps at pen positions rounded to whole pixels (as
    Pillow does), so a word costs a few array copies instead of a FreeType layout.
    """

    def __init__(self, path: str, size: int) -> None:
        from PIL import ImageFont

        from .fonts import load_font

        self.path, self.size = path, int(size)
        self.font = load_font(path, self.size)
        self.ascent, self.descent = self.font.getmetrics()
        self._glyphs: dict[str, tuple[float, NDArray[np.uint8], int, int]] = {}
        self._kern: dict[str, float] = {}
        self._tables = font_tables(path) if _layout_engine() == ImageFont.Layout.RAQM else None

    def glyph(self, ch: str) -> tuple[float, NDArray[np.uint8], int, int]:
        """``(advance, bitmap, left, top)`` of ``ch``; bitmap offsets from the pen at the ascender line."""
        g = self._glyphs.get(ch)
        if g is None:
            if self._tables is not None and self._tables.plain(ch):  # no shaping: read, and draw plainly
                advance = self._tables.advance_26_6(ch, self.size) / 64
                font, features = _basic_font(self.path, self.size), None
            else:
                advance = float(self.font.getlength(ch, features=_features()))
                font, features = self.font, _features()
            if ch.isspace():
                g = (advance, np.zeros((0, 0), np.uint8), 0, 0)
            else:
                core, (left, top) = font.getmask2(ch, mode="L", anchor="la", features=features)
                ink = core.getbbox()  # crop to the ink, so that a glyph's box is exactly its ink
                if ink is not None:
                    x0, y0, x1, y1 = ink
                    bitmap = _core_pixels(core)[y0:y1, x0:x1].copy()
                    left, top = left + x0, top + y0
                else:
                    bitmap = np.zeros((0, 0), np.uint8)
                g = (advance, bitmap, int(left), int(top))
            self._glyphs[ch] = g
        return g

    def kerning(self, a: str, b: str) -> float:
        """Pair adjustment in pixels between ``a`` and ``b`` (from the font's kerning, scaled)."""
        pair = a + b
        k = self._kern.get(pair)
        if k is None:
            k = self._kern[pair] = _kerning(self.path, pair) * self.size / KERN_REFERENCE_PX
        return k


@lru_cache(maxsize=1024)
def _basic_font(path: str, size: int) -> Any:
    """``path`` at ``size`` px with Pillow's basic layout: a lone plain glyph (no shaping) comes
    out as the same ink as with Raqm, at half the cost (a test checks every builtin font).

    Each is a FreeType face holding its own copy of the font (~140 KB for the builtin fonts:
    ~40 MB for the ~300 font sizes a 32 px generator uses), hence the smaller cache."""
    from PIL import ImageFont

    return ImageFont.truetype(path, size=size, layout_engine=ImageFont.Layout.BASIC)


def _core_pixels(core: Any) -> NDArray[np.uint8]:
    """The pixels of a Pillow ``"L"`` image core (what ``getmask2`` returns) as an ``(H, W)`` array."""
    from PIL import Image

    w, h = core.size
    try:
        data = Image.Image()._new(core).tobytes()  # one C copy (``bytes(core)`` walks it pixel by pixel)
    except AttributeError:  # a Pillow without the private constructor
        data = Image.frombuffer("L", core.size, bytes(core), "raw", "L", 0, 1).tobytes()
    return np.frombuffer(data, np.uint8).reshape(h, w)


@lru_cache(maxsize=1 << 16)
def _kerning(path: str, pair: str) -> float:
    """Kerning of a pair at the reference size: read from the font's tables where that is exactly
    what the Raqm layout does (see :mod:`augkit.synth.tables`), else measured with it."""
    from PIL import ImageFont

    if _layout_engine() == ImageFont.Layout.RAQM:
        table = font_tables(path)
        units = None if table is None else table.units(pair[0], pair[1])
        if units is not None:
            return table.scaled_26_6(units, KERN_REFERENCE_PX) / 64
    return measured_kerning(path, pair)


def measured_kerning(path: str, pair: str) -> float:
    """Kerning of a pair at the reference size as the layout engine lays it out: the pair's
    length less its two characters' advances (one layout, 50-90 us)."""
    from .fonts import load_font

    font = load_font(path, KERN_REFERENCE_PX)
    return float(font.getlength(pair, features=_features()) - _advance(path, pair[0]) - _advance(path, pair[1]))


@lru_cache(maxsize=1 << 14)
def _advance(path: str, ch: str) -> float:
    """Advance of one character at the reference size (a new pair's two characters have
    usually been measured before: two of the three layouts of a pair, saved)."""
    from .fonts import load_font

    return load_font(path, KERN_REFERENCE_PX).getlength(ch, features=_features())


@lru_cache(maxsize=2048)
def glyph_set(path: str, size: int) -> GlyphSet:
    """The cached :class:`GlyphSet` of ``path`` at ``size`` pixels."""
    return GlyphSet(path, size)


def layout_text(text: str, glyphs: GlyphSet) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Pen positions (whole pixels) and ink boxes ``(x0, y0, x1, y1)`` of each character.

    Coordinates are relative to the drawing origin at the ascender line. Whitespace gets a
    box spanning its advance from the ascender to the baseline.

    Examples
    --------
    >>> from augkit.synth.fonts import FontBank
    >>> g = glyph_set(FontBank.builtin().paths[0], 20)
    >>> pens, boxes = layout_text("AV", g)
    >>> boxes.shape, bool(pens[1] < g.glyph("A")[0])   # kerning: V moves under A
    ((2, 4), True)
    """
    pens, boxes = layout_lists(text, glyphs)
    return np.array(pens, np.int64), np.array(boxes, np.float32).reshape(len(text), 4)


def layout_lists(text: str, glyphs: GlyphSet) -> tuple[list[int], list[tuple[float, float, float, float]]]:
    """:func:`layout_text` as Python lists (what the generator uses per sample: a few
    characters, for which arrays cost more than they save).

    Examples
    --------
    >>> from augkit.synth.fonts import FontBank
    >>> pens, boxes = layout_lists("Hi", glyph_set(FontBank.builtin().paths[0], 20))
    >>> len(pens), len(boxes[0])
    (2, 4)
    """
    pens: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    x = 0.0
    prev = None
    cache, kern = glyphs._glyphs, glyphs._kern  # the caches first: this loop runs per character
    for ch in text:
        if prev is not None:
            k = kern.get(prev + ch)
            x += glyphs.kerning(prev, ch) if k is None else k
        advance, bitmap, left, top = cache.get(ch) or glyphs.glyph(ch)
        pen = round(x)
        pens.append(pen)
        if bitmap.size:
            boxes.append((pen + left, top, pen + left + bitmap.shape[1], top + bitmap.shape[0]))
        else:
            boxes.append((pen, 0, pen + advance, glyphs.ascent))
        x += advance
        prev = ch
    return pens, boxes


def render_mask(text: str, glyphs: GlyphSet, size: tuple[int, int], origin: tuple[int, int],
                pens: NDArray | list[int] | None = None) -> NDArray[np.uint8]:
    """Anti-aliased text coverage ``(H, W)`` uint8 with the string drawn at ``origin`` (whole pixels).

    Overlapping glyphs (scripts, italics, tight kerning) combine by maximum coverage.

    Examples
    --------
    >>> from augkit.synth.fonts import FontBank
    >>> m = render_mask("Hi", glyph_set(FontBank.builtin().paths[0], 20), (40, 24), (2, 2))
    >>> m.shape, int(m.max())
    ((24, 40), 255)
    """
    w, h = size
    out = np.zeros((h, w), np.uint8)
    if pens is None:
        pens, _ = layout_lists(text, glyphs)
    ox, oy = int(origin[0]), int(origin[1])
    right = -1 << 30  # right edge of the ink pasted so far
    cache = glyphs._glyphs
    for ch, pen in zip(text, pens if isinstance(pens, list) else pens.tolist(), strict=True):
        _, ink, left, top = cache.get(ch) or glyphs.glyph(ch)
        bh, bw = ink.shape
        if not bh:
            continue
        x0, y0 = ox + pen + left, oy + top
        x1, y1 = x0 + bw, y0 + bh
        end = x1  # right edge of this glyph's ink
        # a glyph cut by the canvas edge is clamped; the usual one, inside, is pasted as it is
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if cx0 >= cx1 or cy0 >= cy1:
                continue
            ink = ink[cy0 - y0: cy1 - y0, cx0 - x0: cx1 - x0]
            x0, y0, x1, y1 = cx0, cy0, cx1, cy1
        if x0 >= right:  # nothing drawn there yet: a plain copy
            out[y0:y1, x0:x1] = ink
        else:  # overlapping glyphs (kerning, italics) combine by maximum coverage
            region = out[y0:y1, x0:x1]
            np.maximum(region, ink, out=region)
        right = max(right, end)
    return out


_LINEAR = srgb_to_linear(np.arange(256) / 255.0)  # linear light of the 256 sRGB levels
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


def luminance(rgb: NDArray) -> NDArray[np.float64]:
    """Relative luminance in [0, 1] of sRGB colours ``(..., 3)`` in [0, 255] (Rec. 709 weights).

    Examples
    --------
    >>> luminance(np.array([[255, 255, 255], [0, 0, 0]])).tolist()
    [1.0, 0.0]
    """
    return srgb_to_linear(np.asarray(rgb, np.float64) / 255.0) @ _WEIGHTS


def _contrast(la: NDArray | float, lb: NDArray | float) -> NDArray:
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def text_contrast(image: NDArray, mask: NDArray) -> float:
    """WCAG contrast ratio between the mean colour under the text and the mean colour of the
    background around it.

    Text is ``mask`` >= 128; background is ``mask`` == 0 within the text's bounding box
    grown by half its height. 1.0 means no contrast, 21 the most.

    Examples
    --------
    >>> img = np.zeros((4, 4, 3), np.uint8); img[1, 1:3] = 255
    >>> m = np.zeros((4, 4), np.uint8); m[1, 1:3] = 255
    >>> round(text_contrast(img, m), 1)
    21.0
    """
    return float(text_contrast_batch(image[None], mask[None])[0])


@lru_cache(maxsize=8)
def _textures(folder: str) -> tuple[NDArray[np.uint8], ...]:
    from PIL import Image

    exts = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.lower().endswith(exts))
    if not files:
        raise ValueError(f"no texture images in {folder!r} (looked for {', '.join(exts)})")
    out = []
    for f in files:
        with Image.open(f) as im:
            out.append(np.asarray(im.convert("RGB")))
    return tuple(out)


def draw_background(rng: np.random.Generator, kind: str, size: tuple[int, int],
                    texture_folder: str | None = None) -> NDArray[np.uint8]:
    """A background ``(H, W, 3)`` uint8 of ``kind`` (see :data:`BACKGROUNDS`): one image of
    :func:`render_backgrounds`.

    Examples
    --------
    >>> draw_background(np.random.default_rng(0), "gradient", (20, 10)).shape
    (10, 20, 3)
    """
    return render_backgrounds([background_spec(rng, kind, size, texture_folder)], size)[0]


def _texture_background(rng: np.random.Generator, size: tuple[int, int], folder: str | None) -> NDArray[np.uint8]:
    """A random crop of a random texture of ``folder``, at least as large as ``size``, resized to it."""
    if folder is None:
        raise ValueError("background 'texture' needs texture_folder=")
    from PIL import Image

    w, h = size
    textures = _textures(folder)
    tex = textures[int(rng.integers(len(textures)))]
    th, tw = tex.shape[:2]
    scale = max(h / th, w / tw) * float(rng.uniform(1.0, 2.0))
    ch, cw = min(th, max(1, round(h / scale))), min(tw, max(1, round(w / scale)))
    y0, x0 = int(rng.integers(th - ch + 1)), int(rng.integers(tw - cw + 1))
    crop = Image.fromarray(tex[y0: y0 + ch, x0: x0 + cw]).resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(crop).copy()


# --- the same steps for a group of equally sized samples (what the generator uses) ---------------
#: Candidate text colours drawn per sample for :func:`choose_colors`.
COLOR_TRIES = 12


def background_spec(rng: np.random.Generator, kind: str, size: tuple[int, int],
                    texture_folder: str | None = None) -> tuple:
    """The random draws of a background of ``kind``; :func:`render_backgrounds` turns a group of
    them into pixels (a texture is cropped and resized here already: it is rare and per image).

    Examples
    --------
    >>> spec = background_spec(np.random.default_rng(0), "gradient", (20, 10))
    >>> spec[0], render_backgrounds([spec], (20, 10)).shape
    ('gradient', (1, 10, 20, 3))
    """
    w, h = size
    if kind == "solid":  # (colours: uniform_indices, ~3x cheaper than Generator.integers here)
        return ("solid", uniform_indices(rng, 256, 3))
    if kind == "gradient":
        return ("gradient", uniform_indices(rng, 256, 6).reshape(2, 3), rng.uniform(0, 2 * np.pi))
    if kind == "noise":
        base = uniform_indices(rng, 256, 3)
        ch, cw = max(2, h // 4), max(2, w // 4)
        cells = rng.standard_normal(ch * cw * 3).reshape(ch, cw, 3)
        return ("noise", base, cells, rng.uniform(0.1, 0.6))
    if kind == "texture":  # rare and per image: rendered now
        return ("texture", _texture_background(rng, size, texture_folder))
    raise ValueError(f"background must be one of {BACKGROUNDS}, got {kind!r}")


def _gradient_axes(ab: NDArray, angle: NDArray, h: int, w: int) -> tuple[NDArray, NDArray]:
    """A linear gradient from colour ``ab[:, 0]`` to ``ab[:, 1]`` along direction ``angle``,
    normalised to the canvas, as a row part ``(n, 1, w, 3)`` and a column part ``(n, h, 1, 3)``
    whose sum (plus the 0.5 for rounding, folded into the row) is the image: the gradient
    is affine in x and y, so it costs one pass over the pixels instead of a dozen."""
    ab = np.asarray(ab, np.float32)
    a, d = ab[:, 0], ab[:, 1] - ab[:, 0]  # (n, 3)
    cos, sin = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
    x0, y0 = np.minimum(0, (w - 1) * cos), np.minimum(0, (h - 1) * sin)  # where t is smallest
    span = np.maximum(0, (w - 1) * cos) - x0 + np.maximum(0, (h - 1) * sin) - y0
    scale = (1.0 / np.maximum(span.astype(np.float64), 1e-6)).astype(np.float32)
    tx = (np.arange(w, dtype=np.float32)[None, :] * cos[:, None] - x0[:, None]) * scale[:, None]  # (n, w)
    ty = (np.arange(h, dtype=np.float32)[None, :] * sin[:, None] - y0[:, None]) * scale[:, None]  # (n, h)
    row = (a + np.float32(0.5))[:, None, None, :] + d[:, None, None, :] * tx[:, None, :, None]
    col = d[:, None, None, :] * ty[:, :, None, None]
    return row, col


@lru_cache(maxsize=256)
def _upsample_weights(out: int, size: int) -> NDArray[np.float32]:
    """``(out, size)`` bilinear weights of a resize from ``size`` to ``out`` samples (pixel
    centres aligned, edges clamped: OpenCV's INTER_LINEAR and Pillow's BILINEAR when enlarging)."""
    src = np.clip((np.arange(out) + 0.5) * (size / out) - 0.5, 0.0, size - 1)
    i0 = np.minimum(np.floor(src).astype(np.intp), size - 1)
    i1 = np.minimum(i0 + 1, size - 1)
    frac = src - i0
    w = np.zeros((out, size))
    np.add.at(w, (np.arange(out), i0), 1.0 - frac)
    np.add.at(w, (np.arange(out), i1), frac)
    w = w.astype(np.float32)
    w.setflags(write=False)
    return w


def render_backgrounds(specs: list[tuple], size: tuple[int, int]) -> NDArray[np.uint8]:
    """Backgrounds ``(n, H, W, 3)`` uint8 of :func:`background_spec` draws (see :func:`paint_backgrounds`).

    Examples
    --------
    >>> render_backgrounds([("solid", np.array([1, 2, 3]))], (4, 2))[0, 1, 3].tolist()
    [1, 2, 3]
    """
    n = len(specs)
    kinds = [sp[0] for sp in specs]
    ab = np.zeros((n, 2, 3), np.float32)
    angle = np.zeros(n)
    amplitude = np.zeros(n)
    cells, textures = [], {}
    for i, sp in enumerate(specs):
        if sp[0] == "gradient":
            ab[i], angle[i] = sp[1], sp[2]
        elif sp[0] == "texture":
            textures[i] = sp[1]
        else:
            ab[i, 0] = sp[1]
            if sp[0] == "noise":
                cells.append(sp[2])
                amplitude[i] = sp[3]
    return paint_backgrounds(kinds, ab, size, angle=angle, amplitude=amplitude,
                             cells=np.array(cells, np.float32) if cells else None, textures=textures)


def paint_backgrounds(kinds: list[str], ab: NDArray, size: tuple[int, int], *, angle: NDArray, amplitude: NDArray,
                      cells: NDArray | None = None, textures: dict[int, NDArray] | None = None) -> NDArray[np.uint8]:
    """Backgrounds ``(n, H, W, 3)`` uint8 of a group, one vectorized pass per kind.

    ``kinds[i]`` is the kind of sample ``i``; ``ab`` ``(n, 2, 3)`` its colours (a solid or
    noise background uses ``ab[i, 0]``, a gradient runs from ``ab[i, 0]`` to ``ab[i, 1]``
    along direction ``angle[i]``); a noise background is a smooth field of the normal
    ``cells`` (one ``(ch, cw, 3)`` grid per noise sample, in order) enlarged bilinearly (as
    ``cv2.resize`` INTER_LINEAR does; one matrix product per axis for the group), times
    ``amplitude[i]``, around its colour; a texture is given whole in ``textures[i]``.

    Examples
    --------
    >>> out = paint_backgrounds(["gradient"], np.array([[[0, 0, 0], [255, 255, 255]]]), (8, 2),
    ...                         angle=np.zeros(1), amplitude=np.zeros(1))
    >>> out[0, 0, :, 0].tolist()
    [0, 36, 73, 109, 146, 182, 219, 255]
    """
    w, h = size
    n = len(kinds)
    out = np.empty((n, h, w, 3), np.uint8)
    groups: dict[str, list[int]] = {}
    for i, k in enumerate(kinds):
        groups.setdefault(k, []).append(i)
    for kind, idx in groups.items():
        # (broadcasting a per-sample colour over a last axis of 3 runs element by element in
        # NumPy: colours are laid out along whole rows first)
        if kind == "solid":
            out[idx] = np.repeat(np.asarray(ab)[idx, 0].astype(np.uint8)[:, None, None, :], w, axis=2)
        elif kind == "gradient":
            row, col = _gradient_axes(np.asarray(ab)[idx], np.asarray(angle)[idx], h, w)  # (g, 1, w, 3), (g, h, 1, 3)
            g = len(idx)
            total = np.repeat(col, w, axis=2).reshape(g, h, w * 3)
            total += row.reshape(g, 1, w * 3)
            out[idx] = total.reshape(g, h, w, 3)  # truncated to uint8, as astype would
        elif kind == "noise":
            grid = np.asarray(cells, np.float32) * np.float32(38.0)  # (g, ch, cw, 3)
            g, ch = grid.shape[:2]
            wy = _upsample_weights(h, ch)
            wx = _upsample_weights(w, grid.shape[2])
            wide = (wx @ grid).reshape(g, ch, w * 3)  # along x, channels kept last: (g, ch, w, 3)
            smooth = (wy @ wide).reshape(g, h, w, 3)  # then along y, contiguous
            smooth *= np.asarray(amplitude, np.float32)[idx][:, None, None, None]
            smooth += np.repeat(np.asarray(ab, np.float32)[idx, 0][:, None, None, :], w, axis=2)
            np.clip(smooth, 0, 255, out=smooth)
            out[idx] = smooth  # truncated to uint8, as astype would
        elif kind == "texture":
            out[idx] = np.stack([(textures or {})[i] for i in idx])
        else:
            raise ValueError(f"background must be one of {BACKGROUNDS}, got {kind!r}")
    return out


def choose_colors(candidates: NDArray, backgrounds: NDArray, masks: NDArray, min_contrast: float) -> NDArray:
    """The text colour of each sample: the first of its ``candidates`` (n, k, 3) with at least
    ``min_contrast`` (WCAG ratio) against the mean background under its text ``masks``; if
    none has, black or white, whichever contrasts more.

    Examples
    --------
    >>> bg = np.full((1, 4, 4, 3), 255, np.uint8); m = np.full((1, 4, 4), 255, np.uint8)
    >>> choose_colors(np.array([[[250, 250, 250], [10, 10, 10]]]), bg, m, 4.5).tolist()
    [[10, 10, 10]]
    """
    n = len(backgrounds)
    weight = masks.reshape(n, 1, -1).astype(np.float32)
    pixels = backgrounds.reshape(n, -1, 3).astype(np.float32)
    total = weight.sum(axis=2)
    under = (weight @ pixels)[:, 0] / np.maximum(total, 1e-12)
    empty = np.flatnonzero(total[:, 0] == 0)  # no text: the whole background's mean
    under[empty] = pixels[empty].mean(axis=1)
    lb = luminance(under)
    lum = _LINEAR[candidates] @ _WEIGHTS
    ok = _contrast(lum, lb[:, None]) >= min_contrast
    first = np.argmax(ok, axis=1)
    chosen = candidates[np.arange(n), first].astype(np.uint8)
    fallback = np.where(lb > 0.18, 0, 255).astype(np.uint8)
    return np.where(ok.any(axis=1)[:, None], chosen, fallback[:, None])


def composite_batch(backgrounds: NDArray[np.uint8], masks: NDArray[np.uint8], colors: NDArray) -> NDArray[np.uint8]:
    """Blend ``colors`` ``(n, 3)`` over ``backgrounds`` ``(n, H, W, 3)`` with the anti-aliased text
    ``masks`` ``(n, H, W)`` as alpha, rounded as integer arithmetic would.

    In float32: ``bg + (color - bg) * (m / 255) + 0.5``, truncated. That equals the integer
    ``(bg * (255 - m) + color * m + 127) // 255`` for every one of the 256**3 combinations
    (checked exhaustively: the fraction is a multiple of 1/255, never within float32 error of
    one half), in fewer, faster passes than 16-bit integer arithmetic.

    Examples
    --------
    >>> composite_batch(np.zeros((1, 1, 2, 3), np.uint8), np.array([[[0, 255]]], np.uint8),
    ...                 np.array([[200, 0, 0]]))[0, :, :, 0].tolist()
    [[0, 200]]
    """
    alpha = masks[..., None].astype(np.float32)
    alpha *= np.float32(1 / 255)
    width = backgrounds.shape[2]  # colours laid out along a row: NumPy broadcasts rows fast, pixels slowly
    out = np.repeat(np.asarray(colors, np.float32)[:, None, None, :], width, axis=2) - backgrounds
    out *= alpha
    out += backgrounds
    out += np.float32(0.5)
    return out.astype(np.uint8)


def text_contrast_batch(images: NDArray, masks: NDArray) -> NDArray[np.float64]:
    """:func:`text_contrast` of each sample of a group ``(n, H, W, 3)`` with ``(n, H, W)`` masks
    (1.0 for a sample without text or without background around it).

    Examples
    --------
    >>> img = np.zeros((2, 4, 4, 3), np.uint8); img[:, 1, 1:3] = 255
    >>> m = np.zeros((2, 4, 4), np.uint8); m[0, 1, 1:3] = 255
    >>> text_contrast_batch(img, m).round(1).tolist()
    [21.0, 1.0]
    """
    n, h, w = masks.shape
    text = masks >= 128
    rows, cols = text.any(axis=2), text.any(axis=1)
    has = rows.any(axis=1)
    r0, r1 = np.argmax(rows, axis=1), h - 1 - np.argmax(rows[:, ::-1], axis=1)
    c0, c1 = np.argmax(cols, axis=1), w - 1 - np.argmax(cols[:, ::-1], axis=1)
    pad = np.maximum(2, (r1 - r0) // 2)
    ys, xs = np.arange(h), np.arange(w)
    near = (((ys >= (r0 - pad)[:, None]) & (ys <= (r1 + pad)[:, None]))[:, :, None]
            & ((xs >= (c0 - pad)[:, None]) & (xs <= (c1 + pad)[:, None]))[:, None, :])
    weights = np.stack([text, near & (masks == 0)], axis=1).reshape(n, 2, -1).astype(np.float32)
    pixels = images.reshape(n, -1, 3).astype(np.float32)
    total = weights.sum(axis=2)  # (n, 2): text and background pixels
    means = (weights @ pixels) / np.maximum(total, 1.0)[..., None]
    lum = luminance(means)
    ratio = (lum.max(axis=1) + 0.05) / (lum.min(axis=1) + 0.05)
    return np.where(has & (total[:, 1] > 0), ratio, 1.0)
