"""Rendering kernels for text synthesis: layout with per-character boxes, backgrounds,
colours with a contrast gate, and compositing.

Text is laid out like Pillow lays out a whole string: advances plus the font's pair
kerning (measured with the Raqm engine, ligatures off, so every character keeps its own
glyph and box), pen positions rounded to whole pixels. Glyph bitmaps are rendered by
FreeType once per font, size and character and then pasted, so each character's box is
exactly the ink of its glyph. A test checks the layout against Pillow's own rendering.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .fonts import _layout_engine

__all__ = [
    "BACKGROUNDS",
    "GlyphSet",
    "composite",
    "draw_background",
    "glyph_set",
    "layout_text",
    "luminance",
    "pick_colors",
    "render_mask",
    "text_contrast",
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
        from .fonts import load_font

        self.path, self.size = path, int(size)
        self.font = load_font(path, self.size)
        self.ascent, self.descent = self.font.getmetrics()
        self._glyphs: dict[str, tuple[float, NDArray[np.uint8], int, int]] = {}
        self._kern: dict[str, float] = {}

    def glyph(self, ch: str) -> tuple[float, NDArray[np.uint8], int, int]:
        """``(advance, bitmap, left, top)`` of ``ch``; bitmap offsets from the pen at the ascender line."""
        g = self._glyphs.get(ch)
        if g is None:
            from PIL import Image

            advance = float(self.font.getlength(ch, features=_features()))
            if ch.isspace():
                g = (advance, np.zeros((0, 0), np.uint8), 0, 0)
            else:
                core, (left, top) = self.font.getmask2(ch, mode="L", anchor="la", features=_features())
                bitmap = np.array(Image.frombuffer("L", core.size, bytes(core), "raw", "L", 0, 1))
                rows, cols = np.flatnonzero(bitmap.any(axis=1)), np.flatnonzero(bitmap.any(axis=0))
                if rows.size:  # crop to the ink, so that a glyph's box is exactly its ink
                    bitmap = bitmap[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1].copy()
                    left, top = left + cols[0], top + rows[0]
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


@lru_cache(maxsize=1 << 16)
def _kerning(path: str, pair: str) -> float:
    from .fonts import load_font

    font = load_font(path, KERN_REFERENCE_PX)
    feats = _features()
    return float(font.getlength(pair, features=feats) - font.getlength(pair[0], features=feats)
                 - font.getlength(pair[1], features=feats))


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
    pens: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    x = 0.0
    prev = None
    for ch in text:
        if prev is not None:
            x += glyphs.kerning(prev, ch)
        advance, bitmap, left, top = glyphs.glyph(ch)
        pen = round(x)
        pens.append(pen)
        if bitmap.size:
            boxes.append((pen + left, top, pen + left + bitmap.shape[1], top + bitmap.shape[0]))
        else:
            boxes.append((pen, 0, pen + advance, glyphs.ascent))
        x += advance
        prev = ch
    return np.array(pens, np.int64), np.array(boxes, np.float32).reshape(len(text), 4)


def render_mask(text: str, glyphs: GlyphSet, size: tuple[int, int], origin: tuple[int, int],
                pens: NDArray | None = None) -> NDArray[np.uint8]:
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
        pens, _ = layout_text(text, glyphs)
    ox, oy = int(origin[0]), int(origin[1])
    for ch, pen in zip(text, pens.tolist(), strict=True):
        _, bitmap, left, top = glyphs.glyph(ch)
        if not bitmap.size:
            continue
        x0, y0 = ox + pen + left, oy + top
        x1, y1 = x0 + bitmap.shape[1], y0 + bitmap.shape[0]
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if cx0 >= cx1 or cy0 >= cy1:
            continue
        region = out[cy0:cy1, cx0:cx1]
        np.maximum(region, bitmap[cy0 - y0: cy1 - y0, cx0 - x0: cx1 - x0], out=region)
    return out


_LINEAR = ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4
_LINEAR[: 11] = np.arange(11) / 255.0 / 12.92  # sRGB: linear segment up to 0.04045 (10.3 / 255)
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


def luminance(rgb: NDArray) -> NDArray[np.float64]:
    """Relative luminance in [0, 1] of sRGB colours ``(..., 3)`` in [0, 255] (Rec. 709 weights).

    Examples
    --------
    >>> luminance(np.array([[255, 255, 255], [0, 0, 0]])).tolist()
    [1.0, 0.0]
    """
    c = np.asarray(rgb, np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ _WEIGHTS


def _luminance_of(rgb: NDArray) -> float:
    """:func:`luminance` of one colour, in plain Python (a few microseconds instead of ~15)."""
    total = 0.0
    for c, w in zip(np.asarray(rgb, np.float64).tolist(), (0.2126, 0.7152, 0.0722), strict=True):
        v = c / 255.0
        total += w * (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    return total


def _contrast(la: NDArray | float, lb: NDArray | float) -> NDArray:
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def _weighted_mean(pixels: NDArray, weight: NDArray) -> NDArray:
    """Mean colour of ``pixels`` (N, 3) weighted by ``weight`` (N,) (sums, no boolean indexing)."""
    total = float(weight.sum())
    return (weight @ pixels) / total if total > 0 else pixels.mean(axis=0)


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
    text = mask >= 128
    rows, cols = np.flatnonzero(text.any(axis=1)), np.flatnonzero(text.any(axis=0))
    if rows.size == 0:
        return 1.0
    pad = max(2, int(rows[-1] - rows[0]) // 2)  # the background around the text
    r0, r1 = max(rows[0] - pad, 0), rows[-1] + 1 + pad
    c0, c1 = max(cols[0] - pad, 0), cols[-1] + 1 + pad
    img = image[r0:r1, c0:c1].reshape(-1, 3).astype(np.float32)
    m = mask[r0:r1, c0:c1].reshape(-1)
    back = (m == 0).astype(np.float32)
    if not back.any():
        return 1.0
    fg = _weighted_mean(img, (m >= 128).astype(np.float32))
    bg = _weighted_mean(img, back)
    lf, lb = _luminance_of(fg), _luminance_of(bg)
    return (max(lf, lb) + 0.05) / (min(lf, lb) + 0.05)


def pick_colors(rng: np.random.Generator, background: NDArray, mask: NDArray, min_contrast: float,
                tries: int = 12) -> NDArray[np.uint8]:
    """A text colour with at least ``min_contrast`` (WCAG ratio) against the background under the text.

    ``tries`` random colours are drawn at once and the first that passes is taken; if none
    does, black or white, whichever contrasts more.
    """
    under = _weighted_mean(background.reshape(-1, 3).astype(np.float32), mask.reshape(-1).astype(np.float32))
    lb = _luminance_of(under)
    candidates = rng.integers(0, 256, size=(tries, 3))
    lum = (_LINEAR[candidates] @ _WEIGHTS)
    ok = np.flatnonzero(_contrast(lum, lb) >= min_contrast)
    if ok.size:
        return candidates[ok[0]].astype(np.uint8)
    return np.full(3, 0 if lb > 0.18 else 255, np.uint8)


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
    """A background ``(H, W, 3)`` uint8 of ``kind`` (see :data:`BACKGROUNDS`).

    Examples
    --------
    >>> draw_background(np.random.default_rng(0), "gradient", (20, 10)).shape
    (10, 20, 3)
    """
    w, h = size
    if kind == "solid":
        return np.broadcast_to(rng.integers(0, 256, 3).astype(np.uint8), (h, w, 3)).copy()
    if kind == "gradient":
        a, b = rng.integers(0, 256, (2, 3)).astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        t = np.arange(w, dtype=np.float32)[None, :] * np.float32(np.cos(angle)) + \
            np.arange(h, dtype=np.float32)[:, None] * np.float32(np.sin(angle))
        t -= t.min()
        t *= np.float32(1.0 / max(float(t.max()), 1e-6))
        return (a + (b - a) * t[..., None] + 0.5).astype(np.uint8)
    if kind == "noise":
        from PIL import Image

        from ..kernels.backend import opencv

        base = rng.integers(0, 256, 3).astype(np.float32)
        cells = (rng.standard_normal((max(2, h // 4), max(2, w // 4), 3)) * 38.0).astype(np.float32)
        cv2 = opencv()
        if cv2 is not None:
            smooth = cv2.resize(cells, (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            channels = [np.asarray(Image.fromarray(cells[..., c], mode="F").resize((w, h), Image.Resampling.BILINEAR))
                        for c in range(3)]
            smooth = np.stack(channels, axis=-1)
        smooth *= np.float32(rng.uniform(0.1, 0.6))
        smooth += base
        return np.clip(smooth, 0, 255).astype(np.uint8)
    if kind == "texture":
        if texture_folder is None:
            raise ValueError("background 'texture' needs texture_folder=")
        from PIL import Image

        textures = _textures(texture_folder)
        tex = textures[int(rng.integers(len(textures)))]
        th, tw = tex.shape[:2]
        scale = max(h / th, w / tw) * float(rng.uniform(1.0, 2.0))
        ch, cw = min(th, max(1, round(h / scale))), min(tw, max(1, round(w / scale)))
        y0, x0 = int(rng.integers(th - ch + 1)), int(rng.integers(tw - cw + 1))
        crop = Image.fromarray(tex[y0: y0 + ch, x0: x0 + cw]).resize((w, h), Image.Resampling.BILINEAR)
        return np.asarray(crop).copy()
    raise ValueError(f"background must be one of {BACKGROUNDS}, got {kind!r}")


def composite(background: NDArray[np.uint8], mask: NDArray[np.uint8], color: NDArray) -> NDArray[np.uint8]:
    """Blend ``color`` over ``background`` with the anti-aliased text ``mask`` as alpha (integer math).

    Examples
    --------
    >>> out = composite(np.zeros((1, 2, 3), np.uint8), np.array([[0, 255]], np.uint8), np.array([200, 0, 0]))
    >>> out[0, :, 0].tolist()
    [0, 200]
    """
    bg = background.astype(np.int32)
    delta = np.asarray(color, np.int32) - bg
    delta *= mask[..., None]
    delta += 127
    delta //= 255
    bg += delta
    return bg.astype(np.uint8)
