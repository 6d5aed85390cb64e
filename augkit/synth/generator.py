"""``TextImageGenerator``: brand-new OCR training images, deterministic per index.

Sample ``i`` depends only on ``(seed, i)``: every draw comes from counter-based streams keyed
by ``(seed, i, attempt)`` (:mod:`augkit.synth.draws`), computed for a chunk or a group of
samples in one vectorized pass where row ``i`` equals its draw alone: the layout's (text,
font, size, position), the painting's (background, colours) and the distortion params
(:class:`~augkit.kernels.streams.RowStreams`), which are replayed on a group of equally sized
images in one call. A dataset is therefore identical whatever the batch size, the number of
workers or the sharding.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.pipeline import Compose
from ..core.serialize import to_dict
from ..core.transform import stack_params
from ..kernels.streams import RowStreams
from .draws import SampleDraws, layout_draws, paint_draws
from .fonts import FontBank
from .render import (
    BACKGROUNDS,
    COLOR_TRIES,
    _texture_background,
    choose_colors,
    composite_batch,
    glyph_set,
    layout_lists,
    paint_backgrounds,
    render_mask,
    text_contrast_batch,
)
from .text import TextSource, WordList, as_text_source, uniform_index

__all__ = ["MODES", "TextImageGenerator"]

MODES = ("char", "word", "line")


@lru_cache(maxsize=1024)
def _band_at_100px(path: str) -> int:
    """Ascender-to-descender height of a font at 100 px (to size it to a band of pixels)."""
    ascent, descent = glyph_set(path, 100).font.getmetrics()
    return ascent + descent


#: Mixed into a sample's key for the stream of its distortion params.
_PIPELINE_TAG = 0x5851F42D4C957F2D
#: Pixels per block of painting and distortion (32x32 crops: 256 a block; 1024 were ~30% slower).
DISTORT_BLOCK_PIXELS = 1 << 18
#: Mixed into a sample's key for the Generator of its texture crop.
_TEXTURE_TAG = 0x3C6EF372FE94F82B
#: Word and line images are padded (with background) to a multiple of this width.
WIDTH_STEP = 8
#: Re-draws allowed when the distorted text fails the contrast gate.
MAX_ATTEMPTS = 6


def _characters_inside(quads: list[NDArray], width: int, height: int) -> NDArray[np.bool_]:
    """Per sample: whether the centre of every one of its character quads lies in the image
    (a distortion that pushes a labelled character out, e.g. a rotated long line whose ends
    leave a 32 px band, would make the label untrue)."""
    counts = [len(q) for q in quads]
    centres = np.concatenate(quads).mean(axis=1) if sum(counts) else np.zeros((0, 2), np.float32)
    with np.errstate(invalid="ignore"):  # (a point a degenerate warp sent to NaN is outside)
        inside = ((centres[:, 0] >= 0) & (centres[:, 0] < width) & (centres[:, 1] >= 0)
                  & (centres[:, 1] < height))
    starts = np.cumsum([0, *counts[:-1]])
    out = np.ones(len(quads), bool)
    some = np.asarray(counts) > 0
    if some.any():
        out[some] = np.logical_and.reduceat(inside, starts[some])
    return out


@dataclass
class _Draft:
    """One laid-out sample, not yet painted or distorted (internal).

    Painting (background, text colour, compositing) and distortion run per group of equally
    sized drafts, vectorized, with draws keyed by ``key`` (``plain``: the last-resort
    rendering, black on white, undistorted).
    """

    index: int
    attempt: int
    key: int
    text: str
    label: str
    font: str
    mask: NDArray[np.uint8]
    quads: NDArray[np.float32]  # (L, 4, 2)
    plain: bool = False
    params: dict | None = None


@dataclass
class TextImageGenerator:
    """Render random text in many fonts, colours and contrasts, then distort it.

    Parameters
    ----------
    mode : {"char", "word", "line"}
        ``"char"``: one character in the middle of a ``size`` patch (neighbours, if any, cut
        at the edges); ``"word"`` / ``"line"``: ``height`` pixels high, width to fit (a
        multiple of 8, padded with background).
    text : TextSource or list of str
        ``WordList.builtin("en")`` (default), ``RandomText(...)``, ``Corpus(path)`` or strings.
    fonts : FontBank
        Default: the built-in fonts. Text is only drawn with a font that has all its glyphs.
    height : int
        Image height for words and lines.
    size : (int, int)
        ``(height, width)`` of character patches.
    pipeline : Compose or None
        Image pipeline applied to every sample; character boxes follow its geometry.
    seed : int
    backgrounds : tuple of str
        Drawn per sample from ``"solid"``, ``"gradient"``, ``"noise"``, ``"texture"``.
    texture_folder : str or None
        Folder of images for ``"texture"`` backgrounds.
    min_contrast : float
        Minimum WCAG contrast ratio of the text colour over the background under it; the
        distorted image must still reach ``1 + (min_contrast - 1) / 2``, else the sample is
        drawn again (after a few tries: undistorted, black or white).
    text_height_range : (float, float)
        Height of the font's ascender-to-descender band, as a fraction of the image height.
    neighbors_p : float
        ``"char"`` mode: probability of drawing the neighbouring characters, cut at the edges.
    strict : bool
        Raise when a text has no covering font, instead of drawing another text.
    font_weights : dict of str to float, optional
        Relative weight of each font (by file name) when choosing among the fonts that cover
        a text; fonts not named get weight 0 (e.g. ``DataPlan.font_weights`` oversamples the
        fonts an error analysis found hard). Default: uniform.

    Examples
    --------
    >>> gen = TextImageGenerator(mode="word", seed=0)
    >>> s = gen[5]
    >>> s["image"].shape[0], s["char_boxes"].shape == (len(s["text"]), 4, 2)
    (32, True)
    >>> bool((gen[5]["image"] == s["image"]).all())
    True
    """

    mode: str = "word"
    text: Any = None
    fonts: FontBank | None = None
    height: int = 32
    size: tuple[int, int] = (32, 32)
    pipeline: Compose | None = None
    seed: int = 0
    backgrounds: tuple[str, ...] = ("solid", "gradient", "noise")
    texture_folder: str | None = None
    min_contrast: float = 3.0
    text_height_range: tuple[float, float] = (0.6, 0.9)
    neighbors_p: float = 0.5
    strict: bool = False
    font_weights: dict[str, float] | None = None
    _source: TextSource = field(init=False, repr=False)
    _wrapped: Compose | None = field(init=False, repr=False)
    _font_w: NDArray | None = field(init=False, repr=False, default=None)
    _row_draws: bool = field(init=False, repr=False, default=False)
    _font_names: tuple[str, ...] = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        self._source = WordList.builtin("en") if self.text is None else as_text_source(self.text)
        if self.fonts is None:
            self.fonts = FontBank.builtin()
        if not isinstance(self.fonts, FontBank):
            raise TypeError(f"fonts must be an augkit.synth.FontBank, got {type(self.fonts).__name__}")
        if not isinstance(self.height, int) or not 8 <= self.height <= 512:
            raise ValueError(f"height must be an integer number of pixels in [8, 512], got {self.height!r}")
        if len(self.size) != 2 or not all(isinstance(v, int) and 8 <= v <= 512 for v in self.size):
            raise ValueError(f"size must be (height, width) integers in [8, 512], got {self.size!r}")
        self.size = tuple(self.size)
        if self.pipeline is not None and not isinstance(self.pipeline, Compose):
            raise TypeError(f"pipeline must be an augkit.Compose or None, got {type(self.pipeline).__name__}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        bad = [b for b in self.backgrounds if b not in BACKGROUNDS]
        if bad or not self.backgrounds:
            raise ValueError(f"backgrounds must be a non-empty subset of {BACKGROUNDS}, got {self.backgrounds!r}")
        if "texture" in self.backgrounds and self.texture_folder is None:
            raise ValueError("backgrounds include 'texture': give texture_folder=")
        if not 1.0 <= float(self.min_contrast) <= 21.0:
            raise ValueError(f"min_contrast is a WCAG ratio in [1, 21], got {self.min_contrast!r}")
        lo, hi = self.text_height_range
        if not 0.2 <= lo <= hi <= 1.0:
            raise ValueError(f"text_height_range must satisfy 0.2 <= lo <= hi <= 1, got {self.text_height_range!r}")
        self._font_names = tuple(self.fonts.name(k) for k in range(len(self.fonts)))
        self._font_w = None
        if self.font_weights is not None:
            names = {self.fonts.name(k): k for k in range(len(self.fonts))}
            unknown = sorted(set(self.font_weights) - set(names))
            if unknown:
                raise ValueError(f"font_weights names fonts that are not in the bank: {unknown}")
            w = np.zeros(len(self.fonts))
            for name, v in self.font_weights.items():
                if not (isinstance(v, (int, float)) and v >= 0):
                    raise ValueError(f"font_weights[{name!r}] must be a non-negative number, got {v!r}")
                w[names[name]] = float(v)
            if w.sum() <= 0:
                raise ValueError("font_weights gives every font weight 0")
            self._font_w = w
        # The pipeline as run here: keypoints (the corners of the character boxes) are never
        # dropped, and the text coverage mask is soft, so it is resampled like the image (cheaper
        # than nearest maps, and truer). A copy with those settings, not a wrapper: a wrapper
        # would add a container, and its random stream, to every sample's draw.
        self._wrapped = None if self.pipeline is None else dataclasses.replace(
            self.pipeline, keypoints_outside="flag", mask_interpolation="image")
        # Params of a size group in one pass, when every transform draws through the Generator
        # methods RowStreams has (all of augkit's do); a custom transform that uses another
        # method gets its params drawn sample by sample, from each sample's own stream.
        if self._wrapped is not None:
            h, w = self.size if self.mode == "char" else (self.height, 4 * self.height)
            try:
                self._wrapped._draw_rows((h, w, 3), RowStreams([1, 2]))
                self._row_draws = True
            except (AttributeError, TypeError):  # a Generator method RowStreams lacks, or a scalar draw
                self._row_draws = False
            except Exception:  # noqa: BLE001 - this probe canvas did not suit the pipeline: the draws are rows
                self._row_draws = True

    # --- one sample ----------------------------------------------------------------------
    def _key(self, index: int, attempt: int) -> int:
        return (int(self.seed) * 0x9E3779B97F4A7C15 + int(index) * 0xBF58476D1CE4E5B9 + int(attempt)) % (1 << 64)

    def _pick_text(self, rng: SampleDraws) -> tuple[str, int]:
        fonts = self.fonts
        for _ in range(50):
            text = self._source.draw(rng, self.mode)
            covering = fonts.covering(text)
            if self._font_w is not None:
                covering = covering[self._font_w[covering] > 0]
            if covering.size:
                if self._font_w is None:
                    return text, int(covering[uniform_index(rng, covering.size)])
                w = self._font_w[covering]
                return text, int(covering[int(rng.choice(covering.size, p=w / w.sum()))])
            if self.strict:
                raise ValueError(f"no font in the bank draws every character of {text!r}")
        raise ValueError("50 texts in a row had no covering font; check the text source against the fonts")

    def _render(self, index: int, attempt: int, plain: bool = False, floats: list[float] | None = None) -> _Draft:
        """Lay out sample ``index`` (``floats``: its :func:`~augkit.synth.draws.layout_draws`,
        computed here when not given)."""
        key = self._key(index, attempt)
        rng = SampleDraws(key, layout_draws([key])[0] if floats is None else floats)
        text, k = self._pick_text(rng)
        label = text.upper() if self.fonts.caps_only[k] else text
        if self.mode == "char":
            return self._render_char(rng, index, attempt, label, k, plain)
        return self._render_text(rng, index, attempt, label, k, plain)

    def _font_for_height(self, k: int, band_px: float) -> Any:
        band_100 = _band_at_100px(self.fonts.paths[k])
        return glyph_set(self.fonts.paths[k], max(4, round(100 * band_px / max(band_100, 1))))

    def _render_text(self, rng: SampleDraws, index: int, attempt: int, label: str, k: int,
                     plain: bool) -> _Draft:
        h = self.height
        glyphs = self._font_for_height(k, h * float(rng.uniform(*self.text_height_range)))
        pens, boxes = layout_lists(label, glyphs)
        x0, x1 = min(b[0] for b in boxes), max(b[2] for b in boxes)
        left = 1 + uniform_index(rng, max(2, h // 4) - 1)
        right = 1 + uniform_index(rng, max(2, h // 4) - 1)
        width = int(math.ceil((x1 - x0 + left + right) / WIDTH_STEP) * WIDTH_STEP)
        slack = h - (glyphs.ascent + glyphs.descent)
        oy = round(slack / 2 + rng.uniform(-0.25, 0.25) * max(slack, 0))
        origin = (left - math.floor(x0), oy)
        return self._finish(rng, index, attempt, label, k, (width, h), label, glyphs, origin, pens, boxes, plain)

    def _render_char(self, rng: SampleDraws, index: int, attempt: int, label: str, k: int,
                     plain: bool) -> _Draft:
        ph, pw = self.size
        glyphs = self._font_for_height(k, ph * float(rng.uniform(*self.text_height_range)))
        drawn, target = label, 0
        if rng.random() < self.neighbors_p:
            left, right = self._source.draw(rng, "char"), self._source.draw(rng, "char")
            if self.fonts.covers(k, left + right) and not (left + right).isspace():
                drawn, target = left + label + right, 1
        pens, boxes = layout_lists(drawn, glyphs)
        box = boxes[target]
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        jx, jy = rng.random(), rng.random()  # a shift of up to 8% of the patch each way
        origin = (round(pw / 2 - cx + (0.16 * jx - 0.08) * pw), round(ph / 2 - cy + (0.16 * jy - 0.08) * ph))
        return self._finish(rng, index, attempt, label, k, (pw, ph), drawn, glyphs, origin, pens, [box], plain)

    def _finish(self, rng: SampleDraws, index: int, attempt: int, label: str, k: int,
                canvas: tuple[int, int], drawn: str, glyphs: Any, origin: tuple[int, int],
                pens: list[int], boxes: list[tuple[float, float, float, float]], plain: bool) -> _Draft:
        """The draft of a laid-out text; ``boxes`` are those of the labelled characters."""
        mask = render_mask(drawn, glyphs, canvas, origin, pens)
        ox, oy = origin
        quads = np.array([(x0 + ox, y0 + oy, x1 + ox, y0 + oy, x1 + ox, y1 + oy, x0 + ox, y1 + oy)
                          for x0, y0, x1, y1 in boxes], np.float32).reshape(-1, 4, 2)
        draft = _Draft(index, attempt, rng._key, drawn, label, self._font_names[k], mask, quads, plain)
        if not plain and self._wrapped is not None and not self._row_draws:
            draft.params = self._wrapped.draw_params((canvas[1], canvas[0], 3), rng=rng.generator())
        return draft

    # --- painting, distortion and the contrast gate, in groups of equal size ------------------
    def _paint(self, ds: list[_Draft]) -> tuple[NDArray, NDArray]:
        """Images and masks ``(g, H, W, 3)``, ``(g, H, W)`` of equally sized drafts."""
        masks = np.stack([d.mask for d in ds])
        if ds[0].plain:  # black text on white
            white = np.full((*masks.shape, 3), 255, np.uint8)
            return composite_batch(white, masks, np.zeros((len(ds), 3), np.uint8)), masks
        h, w = masks.shape[1:]
        keys = np.array([d.key for d in ds], np.uint64)
        draws = paint_draws(keys, len(self.backgrounds), COLOR_TRIES)
        kinds = [self.backgrounds[i] for i in draws["kind"].tolist()]
        noisy = [i for i, kind in enumerate(kinds) if kind == "noise"]
        cells = None
        if noisy:
            ch, cw = max(2, h // 4), max(2, w // 4)
            cells = RowStreams(draws["noise_keys"][noisy]).standard_normal((len(noisy), ch, cw, 3))
        textures = {i: _texture_background(np.random.default_rng([int(keys[i]), _TEXTURE_TAG]), (w, h),
                                           self.texture_folder) for i, kind in enumerate(kinds) if kind == "texture"}
        unit = draws["unit"]
        backgrounds = paint_backgrounds(kinds, draws["ab"], (w, h), angle=unit * (2 * np.pi),
                                        amplitude=0.1 + 0.5 * unit, cells=cells, textures=textures)
        # a margin over the gate: anti-aliasing and blur pull the measured contrast down
        colors = choose_colors(draws["colors"], backgrounds, masks, min(21.0, 1.5 * float(self.min_contrast)))
        return composite_batch(backgrounds, masks, colors), masks

    def _distort(self, drafts: list[_Draft]) -> list[dict[str, Any]]:
        out: list[dict[str, Any] | None] = [None] * len(drafts)
        groups: dict[tuple, list[int]] = {}
        for j, d in enumerate(drafts):
            groups.setdefault((d.mask.shape, d.plain), []).append(j)
        # groups are painted and distorted in blocks whose float temporaries stay in cache
        # (each sample's draws are its own: the blocks do not change the samples)
        groups = {(key, a): members[a: a + max(16, DISTORT_BLOCK_PIXELS // (key[0][0] * key[0][1]))]
                  for key, members in groups.items()
                  for a in range(0, len(members), max(16, DISTORT_BLOCK_PIXELS // (key[0][0] * key[0][1])))}
        floor = 1.0 + (float(self.min_contrast) - 1.0) / 2.0
        for members in groups.values():
            ds = [drafts[j] for j in members]
            images, masks = self._paint(ds)
            quads = [d.quads for d in ds]
            if self._wrapped is not None and not ds[0].plain:  # (plain drafts: no distortion)
                params = (self._wrapped._draw_rows(images.shape[1:], RowStreams(
                    [d.key ^ _PIPELINE_TAG for d in ds])) if self._row_draws
                    else stack_params([d.params for d in ds]))
                res = self._wrapped.replay(params, image=images, mask=masks,
                                           keypoints=[q.reshape(-1, 2) for q in quads])
                images, masks = res["image"], res["mask"]
                quads = [kp.reshape(-1, 4, 2).astype(np.float32) for kp in res["keypoints"]]
            passed = text_contrast_batch(images, masks) >= floor
            if not ds[0].plain:  # and every labelled character still in the picture
                passed &= _characters_inside(quads, images.shape[2], images.shape[1])
            for j, d, img, m, q, ok in zip(members, ds, images, masks, quads, passed.tolist(), strict=True):
                out[j] = {"image": img, "mask": m, "char_boxes": q, "draft": d, "passed": ok}
        return out

    def _samples(self, indices: list[int]) -> list[dict[str, Any]]:
        attempts = dict.fromkeys(indices, 0)
        done: dict[int, dict[str, Any]] = {}
        todo = list(indices)
        while todo:
            keys = [self._key(i, attempts[i]) for i in todo]
            drafts = [self._render(i, attempts[i], plain=attempts[i] >= MAX_ATTEMPTS, floats=f)
                      for i, f in zip(todo, layout_draws(keys), strict=True)]
            results = self._distort(drafts)
            retry = []
            for i, r in zip(todo, results, strict=True):
                if attempts[i] >= MAX_ATTEMPTS or r["passed"]:
                    done[i] = r
                else:
                    attempts[i] += 1
                    retry.append(i)
            todo = retry
        return [self._public(i, done[i]) for i in indices]

    def _public(self, index: int, r: dict[str, Any]) -> dict[str, Any]:
        d: _Draft = r["draft"]
        return {"image": r["image"], "text": d.label, "char_boxes": r["char_boxes"], "mask": r["mask"],
                "font": d.font, "index": index, "attempt": d.attempt, "seed": int(self.seed), "mode": self.mode}

    # --- public API -------------------------------------------------------------------------
    def __getitem__(self, index: int) -> dict[str, Any]:
        """Sample ``index``: ``image`` (H, W, 3) uint8, ``text`` (the label), ``char_boxes``
        (L, 4, 2) corner quads (clockwise from top-left, in pixels), ``mask`` (H, W) uint8 text
        coverage after the distortion, ``font`` (file name), ``index``, ``attempt`` (re-draws
        after a failed contrast check), ``seed``, ``mode``."""
        if not isinstance(index, (int, np.integer)) or index < 0:
            raise IndexError(f"index must be a non-negative integer, got {index!r}")
        return self._samples([int(index)])[0]

    def batch(self, start: int, count: int) -> dict[str, list]:
        """Samples ``start .. start + count - 1`` as lists per field (identical to ``gen[i]``).

        Examples
        --------
        >>> gen = TextImageGenerator(mode="word", seed=0)
        >>> b = gen.batch(10, 3)
        >>> len(b["image"]), b["text"][1] == gen[11]["text"]
        (3, True)
        """
        if start < 0 or count < 0:
            raise ValueError(f"start and count must be >= 0, got {start}, {count}")
        samples = self._samples(list(range(start, start + count)))
        keys = ("image", "text", "char_boxes", "mask", "font", "index", "attempt")
        return {k: [s[k] for s in samples] for k in keys}

    def to_config(self) -> dict[str, Any]:
        """The full configuration, for dataset manifests.

        Examples
        --------
        >>> cfg = TextImageGenerator(mode="char", seed=4).to_config()
        >>> cfg["mode"], cfg["seed"]
        ('char', 4)
        """
        return {
            "mode": self.mode, "text": self._source.to_config(), "fonts": self.fonts.to_config(),
            "height": self.height, "size": list(self.size), "seed": int(self.seed),
            "pipeline": None if self.pipeline is None else to_dict(self.pipeline),
            "backgrounds": list(self.backgrounds), "texture_folder": self.texture_folder,
            "min_contrast": float(self.min_contrast), "text_height_range": list(self.text_height_range),
            "neighbors_p": float(self.neighbors_p), "strict": self.strict, "font_weights": self.font_weights,
        }
