"""Synthetic OCR: fonts, layout against Pillow's own rendering, geometry, contrast, datasets."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import augkit as ak
from augkit.synth import FontBank, RandomText, TextImageGenerator, read_folder_labels, write_dataset
from augkit.synth.fonts import _builtin_folder
from augkit.synth.render import _features, glyph_set, layout_text, text_contrast

FONTS = _builtin_folder()


def bank_of(*names: str) -> FontBank:
    return FontBank([FONTS / n for n in names])


# --- fonts ----------------------------------------------------------------------------------
def test_builtin_fonts_are_licensed_and_listed():
    sources = (FONTS / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in FONTS.iterdir() if p.suffix in (".ttf", ".otf"))
    assert len(files) >= 30
    assert all(f in sources for f in files)
    total = sum((FONTS / f).stat().st_size for f in files)
    assert total < 15e6
    for lic in ("OFL", "Apache", "BSD", "Bitstream"):
        assert lic in sources
    assert "GPL" not in sources.replace("AGPL", "").replace("no GPL", "")


def test_coverage_table_catches_a_font_without_a_needed_glyph():
    bank = bank_of("Humor-Sans.ttf", "DejaVuSans.ttf")
    humor = bank.paths.index(str(FONTS / "Humor-Sans.ttf"))
    assert not bank.covers(humor, "café") and bank.covers(1 - humor, "café")
    gen = TextImageGenerator(text=["café", "naïve"], fonts=bank, seed=0)
    assert {gen[i]["font"] for i in range(30)} == {"DejaVuSans.ttf"}
    strict = TextImageGenerator(text=["Ωμέγα"], fonts=bank_of("Humor-Sans.ttf", "Kristi.ttf"), strict=True)
    with pytest.raises(ValueError, match="no font in the bank draws every character"):
        strict[0]


def test_corrupt_font_is_reported_by_name_and_skipped(tmp_path):
    (tmp_path / "broken.ttf").write_bytes(b"not a font at all")
    (tmp_path / "good.ttf").write_bytes((FONTS / "DejaVuSans.ttf").read_bytes())
    with pytest.warns(UserWarning, match="broken.ttf"):
        bank = FontBank(tmp_path)
    assert len(bank) == 1 and bank.skipped[0][0].endswith("broken.ttf")
    (tmp_path / "good.ttf").unlink()
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="no usable font"):
        FontBank(tmp_path)


def test_caps_only_fonts_get_upper_case_labels():
    bank = bank_of("BebasNeue-Regular.otf")
    assert bank.caps_only == (True,)
    assert TextImageGenerator(text=["hello"], fonts=bank, seed=0)[0]["text"] == "HELLO"


# --- layout and boxes --------------------------------------------------------------------------
def _pillow_ink(text: str, font: ImageFont.FreeTypeFont, size=(400, 80)) -> np.ndarray:
    img = Image.new("L", size, 0)
    ImageDraw.Draw(img).text((20, 20), text, font=font, fill=255, anchor="la", features=_features())
    return np.asarray(img).astype(int)


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "LiberationSerif-Regular.ttf", "Roboto-Regular.ttf",
                                  "Go-Mono.ttf", "Carlito-Regular.ttf", "LiberationSerif-Italic.ttf"])
def test_character_boxes_match_the_ink_pillow_draws_for_each_character(name):
    """Pillow draws the whole string (kerning and all); character i's ink is what appending it adds.

    Where a glyph overlaps its predecessor (A-R, italics) the added ink is smaller than the glyph,
    so it must lie inside the box; where nothing overlaps it must equal the box (within 1 px).
    """
    exact = 0
    for size in (17, 32):
        glyphs = glyph_set(str(FONTS / name), size)
        for text in ("AVATAR Typewriter", "Kerning: To, Wa, y.", "flat office"):
            _, boxes = layout_text(text, glyphs)
            for i, ch in enumerate(text):
                if ch.isspace():
                    continue
                before, after = _pillow_ink(text[:i], glyphs.font), _pillow_ink(text[: i + 1], glyphs.font)
                ys, xs = np.nonzero(after > before)
                if ys.size == 0:  # fully overlapped by earlier glyphs: nothing to compare
                    continue
                ink = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]) - [20, 20, 20, 20]
                box = boxes[i]
                assert ink[0] >= box[0] - 1 and ink[1] >= box[1] - 1, (name, size, text, ch, ink, box)
                assert ink[2] <= box[2] + 1 and ink[3] <= box[3] + 1, (name, size, text, ch, ink, box)
                if not (before > 0).any(axis=0)[20 + int(box[0]) - 1: 20 + int(box[2]) + 1].any():
                    assert np.abs(ink - box).max() <= 1.0, (name, size, text, ch, ink, box)  # no overlap
                    exact += 1
    assert exact >= 10


def test_text_mask_is_the_per_pixel_maximum_of_its_glyphs_clipped_to_the_canvas():
    from augkit.synth.render import render_mask

    for name, word in [("DejaVuSans.ttf", "AVATAR Wolf"), ("LiberationSerif-Italic.ttf", "jiffy fj"),
                       ("OpenSans-Italic.ttf", "office")]:
        g = glyph_set(str(FONTS / name), 31)
        pens, _ = layout_text(word, g)
        for origin in [(2, 3), (-5, 1), (0, -4)]:
            ref = np.zeros((40, 140), np.uint8)
            big = np.zeros((40 + 200, 140 + 200), np.uint8)  # paste unclipped, with room around
            for ch, pen in zip(word, pens.tolist(), strict=True):
                _, bm, left, top = g.glyph(ch)
                y0, x0 = 100 + origin[1] + top, 100 + origin[0] + pen + left
                np.maximum(big[y0: y0 + bm.shape[0], x0: x0 + bm.shape[1]], bm,
                           out=big[y0: y0 + bm.shape[0], x0: x0 + bm.shape[1]])
            ref[:] = big[100: 140, 100: 240]
            np.testing.assert_array_equal(render_mask(word, g, (140, 40), origin, pens), ref)


def test_boxes_follow_a_rotation_exactly():
    plain = TextImageGenerator(seed=3)
    turned = TextImageGenerator(seed=3, pipeline=ak.Compose([ak.image.Rotate(degrees_range=(15, 15))]))
    compared = 0
    for i in range(20):
        a, b = plain[i], turned[i]
        if a["attempt"] or b["attempt"]:  # redrawn after the contrast gate: another text
            continue
        compared += 1
        assert a["text"] == b["text"]
        h, w = a["image"].shape[:2]
        c = np.array([w / 2, h / 2])
        t = np.deg2rad(15)
        # augkit's Rotate turns counter-clockwise on screen (y down): x' = R(-t) applied about the centre
        rot = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
        want = (a["char_boxes"].reshape(-1, 2) - c) @ rot.T + c
        np.testing.assert_allclose(b["char_boxes"].reshape(-1, 2), want, atol=1e-3)
    assert compared >= 10


def _inside(points: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Points inside a convex quad (either orientation)."""
    signs = []
    for k in range(4):
        a, b = quad[k], quad[(k + 1) % 4]
        signs.append((b[0] - a[0]) * (points[:, 1] - a[1]) - (b[1] - a[1]) * (points[:, 0] - a[0]))
    s = np.stack(signs)
    return (s >= -1e-9).all(axis=0) | (s <= 1e-9).all(axis=0)


@pytest.mark.parametrize("distortion", [
    ak.image.Perspective(distortion_range=(0.05, 0.1)),
    ak.image.Affine(degrees_range=(-10, 10), shear_degrees_range=(-15, 15)),
])
def test_text_ink_stays_inside_its_character_quads_after_distortion(distortion):
    gen = TextImageGenerator(seed=1, fonts=bank_of("DejaVuSans.ttf", "LiberationSerif-Regular.ttf"),
                             pipeline=ak.Compose([distortion]))
    for i in range(12):
        s = gen[i]
        ys, xs = np.nonzero(s["mask"] >= 128)
        pts = np.stack([xs + 0.5, ys + 0.5], axis=1)
        grown = []
        for q in s["char_boxes"]:  # 1 px of slack around each quad
            centre = q.mean(axis=0)
            grown.append(centre + (q - centre) * (1 + 2.0 / max(np.ptp(q[:, 0]), np.ptp(q[:, 1]), 1)))
        covered = np.zeros(len(pts), bool)
        for q in grown:
            covered |= _inside(pts, q)
        assert covered.mean() > 0.99, (i, s["text"], covered.mean())
        for q in s["char_boxes"]:
            if np.ptp(q[:, 0]) > 2:
                assert _inside(pts, q).any()


# --- colours, determinism ----------------------------------------------------------------------
def test_contrast_gate_holds_under_contrast_loss_and_blur():
    pipe = ak.Compose([ak.image.Contrast(factor_range=(0.2, 0.6)), ak.image.GaussianBlur(sigma_range=(0.5, 1.5))])
    gen = TextImageGenerator(seed=2, pipeline=pipe, min_contrast=3.0)
    batch = gen.batch(0, 60)
    scores = [text_contrast(img, m) for img, m in zip(batch["image"], batch["mask"], strict=True)]
    assert min(scores) >= 2.0
    assert max(batch["attempt"]) >= 1  # the gate did have to re-draw some


def test_no_label_goes_out_with_characters_pushed_out_of_the_picture():
    # a long line rotated by up to 8 degrees: its ends leave a 32 px band; such draws are redrawn
    pipe = ak.Compose([ak.image.Rotate(degrees_range=(-8, 8), border_mode="edge")])
    gen = TextImageGenerator(mode="line", seed=1, pipeline=pipe)
    batch = gen.batch(0, 12)
    redrawn = 0
    for img, quads, attempt in zip(batch["image"], batch["char_boxes"], batch["attempt"], strict=True):
        h, w = img.shape[:2]
        centres = quads.mean(axis=1)
        assert ((centres >= 0) & (centres < [w, h])).all()
        redrawn += attempt > 0
    assert redrawn >= 3  # the check did reject some draws
    unchecked = gen._distort([gen._render(i, 0) for i in range(12)])  # first draws, as they came out
    def out_of_picture(r):
        centres = r["char_boxes"].mean(axis=1)
        return not ((centres >= 0) & (centres < r["image"].shape[1::-1])).all()
    outside = [out_of_picture(r) for r in unchecked]
    assert sum(outside) >= 3 and all(not r["passed"] for r, o in zip(unchecked, outside, strict=True) if o)


# Per-image references for the group painting: plain, one image at a time (OpenCV's resize for
# the noise field, boolean masks and Python arithmetic for colours and contrast).
_LIN = lambda c: c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4  # noqa: E731


def _ref_luminance(rgb):
    return sum(w * _LIN(float(c) / 255.0) for c, w in zip(rgb, (0.2126, 0.7152, 0.0722), strict=True))


def _ref_background(rng, kind, size):
    import cv2

    w, h = size
    if kind == "solid":
        return np.broadcast_to((rng.random(3) * 256).astype(np.uint8), (h, w, 3)).copy()  # uniform levels
    if kind == "gradient":  # t = x cos + y sin, normalised to [0, 1]: a row part plus a column part
        a, b = (rng.random(6) * 256).astype(np.int64).reshape(2, 3).astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
        x0, y0 = min(np.float32(0), (w - 1) * cos), min(np.float32(0), (h - 1) * sin)
        span = max(np.float32(0), (w - 1) * cos) - x0 + max(np.float32(0), (h - 1) * sin) - y0
        scale = np.float32(1.0 / max(float(span), 1e-6))
        tx = (np.arange(w, dtype=np.float32) * cos - x0) * scale
        ty = (np.arange(h, dtype=np.float32) * sin - y0) * scale
        row = (a + np.float32(0.5))[:, None, None] + (b - a)[:, None, None] * tx[None, None, :]
        return (row + (b - a)[:, None, None] * ty[None, :, None]).transpose(1, 2, 0).astype(np.uint8)
    base = (rng.random(3) * 256).astype(np.int64).astype(np.float32)
    cells = (rng.standard_normal((max(2, h // 4), max(2, w // 4), 3)) * 38.0).astype(np.float32)
    smooth = cv2.resize(cells, (w, h), interpolation=cv2.INTER_LINEAR)
    smooth *= np.float32(rng.uniform(0.1, 0.6))
    smooth += base
    return np.clip(smooth, 0, 255).astype(np.uint8)


def _ref_pick_color(rng, background, mask, min_contrast):
    weight = mask.reshape(-1).astype(np.float32)
    pixels = background.reshape(-1, 3).astype(np.float32)
    under = (weight @ pixels) / weight.sum() if weight.sum() > 0 else pixels.mean(axis=0)
    lb = _ref_luminance(under)
    for c in rng.integers(0, 256, size=(12, 3)):
        lc = _ref_luminance(c)
        if (max(lc, lb) + 0.05) / (min(lc, lb) + 0.05) >= min_contrast:
            return c.astype(np.uint8)
    return np.full(3, 0 if lb > 0.18 else 255, np.uint8)


def _ref_composite(background, mask, color):
    bg = background.astype(np.int64)
    return (bg + ((np.asarray(color, np.int64) - bg) * mask[..., None] + 127) // 255).astype(np.uint8)


def _ref_text_contrast(image, mask):
    text = mask >= 128
    rows, cols = np.flatnonzero(text.any(axis=1)), np.flatnonzero(text.any(axis=0))
    if rows.size == 0:
        return 1.0
    pad = max(2, int(rows[-1] - rows[0]) // 2)
    r0, r1, c0, c1 = max(rows[0] - pad, 0), rows[-1] + 1 + pad, max(cols[0] - pad, 0), cols[-1] + 1 + pad
    img, m = image[r0:r1, c0:c1].astype(np.float64), mask[r0:r1, c0:c1]
    if not (m == 0).any():
        return 1.0
    lf, lb = _ref_luminance(img[m >= 128].mean(axis=0)), _ref_luminance(img[m == 0].mean(axis=0))
    return (max(lf, lb) + 0.05) / (min(lf, lb) + 0.05)


def test_group_painting_equals_the_per_image_reference():
    from augkit.synth import render as R

    pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    for size in [(104, 32), (32, 32), (9, 5)]:
        w, h = size
        masks = np.zeros((6, h, w), np.uint8)
        masks[:, h // 4: h // 2, 1: w // 2] = rng.integers(1, 256, (6, 1, 1))
        masks[5] = 0  # no text at all
        for kind in ("solid", "gradient", "noise"):
            specs, refs, colors, chosen = [], [], [], []
            for i in range(6):
                a, b = np.random.default_rng(i), np.random.default_rng(i)
                specs.append(R.background_spec(a, kind, size))
                colors.append(a.integers(0, 256, size=(R.COLOR_TRIES, 3)))
                refs.append(_ref_background(b, kind, size))
                chosen.append(_ref_pick_color(b, refs[-1], masks[i], 4.5))
            backgrounds = R.render_backgrounds(specs, size)
            np.testing.assert_array_equal(backgrounds, np.stack(refs))
            picked = R.choose_colors(np.stack(colors), backgrounds, masks, 4.5)
            np.testing.assert_array_equal(picked, np.stack(chosen))
            images = R.composite_batch(backgrounds, masks, picked)
            expected = np.stack([_ref_composite(refs[i], masks[i], chosen[i]) for i in range(6)])
            np.testing.assert_array_equal(images, expected)
            np.testing.assert_allclose(R.text_contrast_batch(images, masks),
                                       [_ref_text_contrast(images[i], masks[i]) for i in range(6)], rtol=1e-5)


def test_group_compositing_equals_integer_rounding_for_every_value():
    from augkit.synth.render import composite_batch

    m = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, axis=1)  # rows: coverage
    bg = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 256, axis=0)  # columns: background
    for c0 in range(0, 256, 32):  # every text colour, 32 at a time
        colors = np.repeat(np.arange(c0, c0 + 32)[:, None], 3, axis=1)
        backgrounds = np.broadcast_to(bg[None, :, :, None], (32, 256, 256, 3))
        got = composite_batch(backgrounds, np.broadcast_to(m, (32, 256, 256)), colors)
        c = colors[:, 0, None, None].astype(np.int64)
        want = (bg.astype(np.int64) * (255 - m.astype(np.int64)) + c * m + 127) // 255
        np.testing.assert_array_equal(got[..., 1], want)


def test_texture_backgrounds_come_from_the_folder(tmp_path):
    Image.fromarray(np.full((40, 60, 3), (200, 30, 30), np.uint8)).save(tmp_path / "red.png")
    Image.fromarray(np.full((50, 50, 3), (30, 30, 200), np.uint8)).save(tmp_path / "blue.png")
    gen = TextImageGenerator(mode="word", backgrounds=("texture",), texture_folder=str(tmp_path), seed=0)
    batch = gen.batch(0, 12)
    corners = {tuple(int(v) for v in img[0, 0]) for img in batch["image"]}
    assert corners == {(200, 30, 30), (30, 30, 200)}  # both textures used, pixels as in the files
    with pytest.raises(ValueError, match="texture_folder"):
        TextImageGenerator(backgrounds=("texture",))


def test_samples_depend_only_on_seed_and_index():
    pipe = ak.Compose([ak.image.Rotate(degrees_range=(-5, 5)), ak.image.GaussianNoise(std_range=(0.01, 0.05))])
    gen = TextImageGenerator(seed=7, pipeline=pipe)
    batch = gen.batch(3, 10)
    for j, i in enumerate(range(3, 13)):
        s = gen[i]
        assert np.array_equal(s["image"], batch["image"][j]) and s["text"] == batch["text"][j]
        np.testing.assert_array_equal(s["char_boxes"], batch["char_boxes"][j])
    assert not np.array_equal(TextImageGenerator(seed=8, pipeline=pipe)[3]["image"], gen[3]["image"])
    assert gen._row_draws  # augkit's transforms: a size group's params in one pass


@dataclass(frozen=True, kw_only=True)
class _LognormalGain(ak.core.transform.PixelTransform, abstract=True):  # (abstract: not registered)
    """A custom transform whose sample() uses a Generator method that RowStreams lacks."""

    def sample(self, rng, meta):
        return {"gain": rng.lognormal(0.0, 0.2, size=meta.n)}

    def apply_image(self, images, params, meta):
        scaled = images.astype(np.float32) * params["gain"].astype(np.float32)[:, None, None, None]
        return np.clip(scaled, 0, 255).astype(np.uint8)


def test_custom_transforms_without_row_draws_are_drawn_sample_by_sample():
    pipe = ak.Compose([ak.image.Rotate(degrees_range=(-5, 5)), _LognormalGain()])
    gen = TextImageGenerator(seed=3, pipeline=pipe, mode="char")
    assert not gen._row_draws
    batch = gen.batch(0, 12)
    for i in (0, 5, 11):
        assert np.array_equal(gen[i]["image"], batch["image"][i])


class _IntegerText(ak.synth.text.TextSource):
    """A custom text source that calls a Generator method the pre-drawn floats do not cover."""

    def draw(self, rng, mode):
        return "".join("abcdefgh"[int(v)] for v in rng.integers(0, 8, size=3))


@pytest.mark.parametrize("text", [_IntegerText(), ak.synth.RandomText(charset="xyz", length_range=(20, 30))])
def test_draws_beyond_the_pre_drawn_floats_stay_a_function_of_seed_and_index(text):
    # RandomText lines of 40-240 characters use many more than the 32 floats drawn ahead; the
    # custom source calls Generator.integers: both come from the key's own Generator
    gen = TextImageGenerator(mode="line" if isinstance(text, ak.synth.RandomText) else "word", text=text, seed=4)
    batch = gen.batch(5, 6)
    again = TextImageGenerator(mode=gen.mode, text=text, seed=4)
    for j, i in enumerate(range(5, 11)):
        s = again[i]
        assert s["text"] == batch["text"][j] and np.array_equal(s["image"], batch["image"][j])
    assert len({t for t in batch["text"]}) == 6


@pytest.mark.parametrize("mode", ["char", "line"])
def test_char_and_line_modes(mode):
    gen = TextImageGenerator(mode=mode, seed=0, size=(24, 24), height=24)
    s = gen[0]
    if mode == "char":
        assert s["image"].shape == (24, 24, 3) and len(s["text"]) == 1 and s["char_boxes"].shape == (1, 4, 2)
    else:
        assert " " in s["text"] and s["image"].shape[0] == 24 and s["image"].shape[1] % 8 == 0
        assert s["char_boxes"].shape == (len(s["text"]), 4, 2)


# --- datasets ------------------------------------------------------------------------------------
def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def _gen() -> TextImageGenerator:
    return TextImageGenerator(seed=5, pipeline=ak.Compose([ak.image.Rotate(degrees_range=(-4, 4))]))


@pytest.mark.parametrize("fmt", ["folder", "webdataset"])
def test_one_and_two_workers_write_identical_datasets(tmp_path, fmt):
    write_dataset(_gen(), tmp_path / "one", 90, format=fmt, workers=1, shard_size=25, quiet=True)
    write_dataset(_gen(), tmp_path / "two", 90, format=fmt, workers=2, shard_size=25, quiet=True)
    assert _tree_hash(tmp_path / "one") == _tree_hash(tmp_path / "two")


class _Crash(TextImageGenerator):
    crash_at = 60

    def _samples(self, indices):
        if self.crash_at in indices:
            raise KeyboardInterrupt("killed")
        return super()._samples(indices)


def test_a_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path):
    write_dataset(_gen(), tmp_path / "whole", 100, shard_size=20, quiet=True)
    crash = _Crash(seed=5, pipeline=ak.Compose([ak.image.Rotate(degrees_range=(-4, 4))]))
    with pytest.raises(KeyboardInterrupt):
        write_dataset(crash, tmp_path / "resumed", 100, shard_size=20, quiet=True)
    done = sorted(p.name for p in (tmp_path / "resumed" / "shards").glob("*.jsonl"))
    assert done == ["000000.jsonl", "000001.jsonl", "000002.jsonl"]  # whole shards only
    assert any(".tmp-" in p.name for p in (tmp_path / "resumed" / "images").iterdir())  # the torn one
    write_dataset(_gen(), tmp_path / "resumed", 100, shard_size=20, quiet=True)
    assert _tree_hash(tmp_path / "whole") == _tree_hash(tmp_path / "resumed")
    with pytest.raises(ValueError, match="other settings"):
        write_dataset(TextImageGenerator(seed=6), tmp_path / "resumed", 100, shard_size=20, quiet=True)


def test_png_level_trades_size_for_speed_with_the_same_pixels(tmp_path):
    gen = TextImageGenerator(mode="char", seed=2)
    fast = write_dataset(gen, tmp_path / "fast", 40, format="webdataset", quiet=True)
    small = write_dataset(gen, tmp_path / "small", 40, format="webdataset", quiet=True, png_level=3)
    assert fast["png_encoder"].endswith("level 0") or fast["png_encoder"].startswith("zlib")
    assert small["png_encoder"] != fast["png_encoder"]

    def pngs(folder):
        with tarfile.open(next((folder).glob("*.tar"))) as tar:
            return [tar.extractfile(m).read() for m in tar.getmembers() if m.name.endswith(".png")]
    a, b = pngs(tmp_path / "fast"), pngs(tmp_path / "small")
    assert sum(map(len, b)) < sum(map(len, a))
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(x))), np.asarray(Image.open(io.BytesIO(y))))
    with pytest.raises(ValueError, match="png_level must be one of"):
        write_dataset(gen, tmp_path / "bad", 1, quiet=True, png_level=9)


def test_folder_format_reads_back_with_its_users_parsers(tmp_path):
    gen = _gen()
    manifest = write_dataset(gen, tmp_path, 30, shard_size=16, quiet=True)
    assert manifest["complete"] and manifest["generator"]["seed"] == 5
    records = read_folder_labels(tmp_path)
    paddle = [line.split("\t") for line in (tmp_path / "rec_gt.txt").read_text("utf-8").splitlines()]
    trdg = [line.split(" ", 1) for line in (tmp_path / "labels.txt").read_text("utf-8").splitlines()]
    assert len(records) == len(paddle) == len(trdg) == 30
    for i, (r, p, t) in enumerate(zip(records, paddle, trdg, strict=True)):
        s = gen[i]
        assert r["index"] == i and r["text"] == p[1] == t[1] == s["text"] and r["file_name"] == p[0] == t[0]
        assert np.array_equal(np.asarray(Image.open(tmp_path / p[0])), s["image"])
        np.testing.assert_allclose(r["char_boxes"], s["char_boxes"], atol=0.006)


@pytest.mark.parametrize("compressor", ["installed", "zlib"])
def test_png_encoder_round_trips_exactly_through_two_decoders(compressor, monkeypatch):
    import sys

    cv2 = pytest.importorskip("cv2")
    from augkit.synth import dataset

    if compressor == "zlib":  # as without the fast extra
        monkeypatch.setitem(sys.modules, "isal", None)
    dataset._deflate.cache_clear()
    try:
        assert dataset.png_encoder().startswith("zlib" if compressor == "zlib" else ("isal", "zlib"))
        rng = np.random.default_rng(0)
        for shape in [(1, 1), (1, 7, 3), (5, 1, 3), (9, 13), (32, 100, 3), (3, 4, 3)]:
            x = rng.integers(0, 256, shape, dtype=np.uint8)
            x[..., :2] = 255  # runs, and wrap-around differences for the Up filter
            x[::2, :, ...] = np.minimum(x[::2, :, ...], 3)  # rows far apart: differences wrap modulo 256
            for level in dataset.PNG_LEVELS:
                data = dataset.encode_png(x, level)
                assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), x)
                y = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
                assert np.array_equal(y if x.ndim == 2 else y[..., ::-1], x)
        with pytest.raises(ValueError, match=r"png_level must be one of \(0, 1, 2, 3\)"):
            dataset.encode_png(x, 4)
        # many at once (as write_dataset encodes a chunk): the same bytes, whatever the grouping
        images = [rng.integers(0, 256, (7, 5 + k % 3, 3), dtype=np.uint8) for k in range(20)]
        images += [rng.integers(0, 256, (6, 10), dtype=np.uint8), images[0][:, ::-1]]  # grey; a strided view
        monkeypatch.setattr(dataset, "PNG_CHUNK_BYTES", 100)  # a few images per filtered chunk
        assert dataset.encode_pngs(images) == [dataset.encode_png(x) for x in images]
        with pytest.raises(ValueError, match=r"encode_pngs \(image 1\) takes .* uint8 images, got float32 \(2, 2\)"):
            dataset.encode_pngs([images[0], np.zeros((2, 2), np.float32)])
        with pytest.raises(ValueError, match="at least one row and one column"):
            dataset.encode_png(np.zeros((0, 4, 3), np.uint8))
    finally:
        dataset._deflate.cache_clear()


def test_label_records_are_the_json_of_their_fields_with_short_numbers():
    from augkit.synth.dataset import _record_json

    q = np.array([[[6.3199, 5.51], [15.31, 5.81], [14.89, 18.8], [5.889, 18.51]]], np.float32)
    s = {"text": 'a"b\\é', "char_boxes": q, "font": "DejaVuSans.ttf", "index": 7, "attempt": 1, "seed": 3,
         "mode": "char"}
    line = _record_json(s, "images/000000/000000007.png")
    fields = {"file_name": "images/000000/000000007.png", **s, "char_boxes": np.round(q.astype(float), 2).tolist()}
    assert json.loads(line) == fields and list(json.loads(line)) == list(fields)  # same fields, same order
    assert '"char_boxes": [[[6.32, 5.51], [15.31, 5.81], [14.89, 18.80], [5.89, 18.51]]]' in line
    assert json.loads(_record_json(s, None)) == {k: v for k, v in fields.items() if k != "file_name"}
    q[0, 1, 0] = np.nan  # a point sent to infinity by a degenerate warp stays readable by Python's json
    assert np.isnan(json.loads(_record_json(s, None))["char_boxes"][0][1][0])


def test_webdataset_shards_read_back_sample_by_sample(tmp_path):
    gen = _gen()
    write_dataset(gen, tmp_path, 23, format="webdataset", shard_size=10, quiet=True)
    shards = sorted(tmp_path.glob("shard-*.tar"))
    assert [s.name for s in shards] == ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"]
    seen = []
    for shard in shards:
        with tarfile.open(shard) as tar:
            members = tar.getmembers()
            keys = [m.name.split(".", 1)[0] for m in members]
            for j in range(0, len(members), 3):  # a sample's files are consecutive and share a key
                assert len(set(keys[j: j + 3])) == 1
                files = {m.name.split(".", 1)[1]: tar.extractfile(m).read() for m in members[j: j + 3]}
                i = int(keys[j])
                s = gen[i]
                assert np.array_equal(np.asarray(Image.open(io.BytesIO(files["png"]))), s["image"])
                assert files["txt"].decode("utf-8") == s["text"] == json.loads(files["json"])["text"]
                seen.append(i)
    assert seen == list(range(23))


def test_webdataset_shards_are_byte_identical_to_what_tarfile_writes(tmp_path):
    gen = _gen()
    write_dataset(gen, tmp_path, 7, format="webdataset", shard_size=7, quiet=True)
    ours = (tmp_path / "shard-000000.tar").read_bytes()
    buf = io.BytesIO()
    with tarfile.open(tmp_path / "shard-000000.tar") as src, \
            tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for m in src.getmembers():
            info = tarfile.TarInfo(m.name)
            info.size, info.mtime, info.mode = m.size, 0, 0o644
            tar.addfile(info, src.extractfile(m))
    assert ours == buf.getvalue() and len(ours) % 10240 == 0


def test_lmdb_has_the_contiguous_one_based_layout_and_resumes(tmp_path):
    lmdb = pytest.importorskip("lmdb")
    gen = _gen()
    write_dataset(gen, tmp_path / "whole", 45, format="lmdb", shard_size=10, quiet=True)
    crash = _Crash(seed=5, pipeline=ak.Compose([ak.image.Rotate(degrees_range=(-4, 4))]))
    crash.crash_at = 25
    with pytest.raises(KeyboardInterrupt):
        write_dataset(crash, tmp_path / "resumed", 45, format="lmdb", shard_size=10, workers=1, quiet=True)
    assert sorted(p.name for p in (tmp_path / "resumed" / "staging").glob("*.tar")) == [
        "shard-000000.tar", "shard-000001.tar"]  # staged, not yet in the database
    write_dataset(gen, tmp_path / "resumed", 45, format="lmdb", shard_size=10, workers=2, quiet=True)
    for root in (tmp_path / "whole", tmp_path / "resumed"):
        env = lmdb.open(str(root / "lmdb"), readonly=True, lock=False)  # as DTRB / MMOCR open it
        with env.begin() as txn:
            n = int(txn.get(b"num-samples"))
            assert n == 45
            for i in range(n):  # MMOCR reads range(num_samples) -> idx + 1
                s = gen[i]
                assert txn.get(b"label-%09d" % (i + 1)).decode("utf-8") == s["text"]
                png = txn.get(b"image-%09d" % (i + 1))
                assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), s["image"])
            assert txn.get(b"image-%09d" % 0) is None and txn.get(b"image-%09d" % 46) is None
        env.close()
    assert not (tmp_path / "resumed" / "staging").exists()


def test_labels_a_format_cannot_hold_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="tabs or newlines"):
        RandomText(charset="ab\tc")
    gen = TextImageGenerator(text=["tab\there"], seed=0)
    with pytest.raises(ValueError, match="tab or newline"):
        write_dataset(gen, tmp_path, 2, quiet=True)


def test_cli_synth_writes_a_dataset(tmp_path):
    from augkit.cli import main

    assert main(["synth", "--mode", "char", "--count", "12", "--out", str(tmp_path), "--quiet",
                 "--shard-size", "5"]) == 0
    records = read_folder_labels(tmp_path)
    assert len(records) == 12 and all(len(r["text"]) == 1 for r in records)
    assert main(["synth", "--mode", "char", "--count", "12", "--out", str(tmp_path / "small"), "--quiet",
                 "--shard-size", "5", "--png-level", "2"]) == 0
    manifest = json.loads((tmp_path / "small" / "manifest.json").read_text("utf-8"))
    from augkit.synth.dataset import png_encoder

    assert manifest["png_encoder"] == png_encoder(2)
    small = read_folder_labels(tmp_path / "small")
    for a, b in zip(records, small, strict=True):
        assert np.array_equal(np.asarray(Image.open(tmp_path / a["file_name"])),
                              np.asarray(Image.open(tmp_path / "small" / b["file_name"])))


def test_a_built_wheel_carries_the_fonts_data_and_finds_them(tmp_path):
    """A non-editable install (the README's first command) must find fonts, words and audio."""
    import subprocess
    import sys
    import zipfile

    setuptools = pytest.importorskip("setuptools")
    if tuple(int(v) for v in setuptools.__version__.split(".")[:2]) < (70, 1):
        pytest.skip("setuptools < 70.1 cannot build a wheel without the wheel package (the test extra pins >= 70.1)")
    root = Path(__file__).resolve().parents[1]
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(tmp_path / "wheel"), str(root)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    wheel = next((tmp_path / "wheel").glob("augkit-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    assert sum(n.startswith("augkit/fonts/") and n.endswith((".ttf", ".otf")) for n in names) >= 30
    assert {"augkit/fonts/SOURCES.md", "augkit/data/words_en.txt", "augkit/data/audio/speech.flac"} <= names
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from augkit.synth.fonts import _builtin_folder; "
            "print(_builtin_folder())")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site")], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.strip()
    assert out == str(tmp_path / "site" / "augkit" / "fonts")


def test_a_dask_cluster_writes_the_same_dataset_as_one_process(tmp_path):
    distributed = pytest.importorskip("distributed")
    write_dataset(_gen(), tmp_path / "serial", 60, format="webdataset", shard_size=20, quiet=True)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        write_dataset(_gen(), tmp_path / "dask", 60, format="webdataset", shard_size=20, quiet=True,
                      executor=client.get_executor())
    assert _tree_hash(tmp_path / "serial") == _tree_hash(tmp_path / "dask")


def test_uniform_index_draws_cover_their_range_evenly():
    from augkit.synth.text import uniform_index, uniform_indices

    rng = np.random.default_rng(0)
    one = np.array([uniform_index(rng, 7) for _ in range(70_000)])
    many = uniform_indices(rng, 256, 256_000)
    for draws, n in ((one, 7), (many, 256)):
        counts = np.bincount(draws, minlength=n)
        assert draws.min() == 0 and draws.max() == n - 1 and len(counts) == n
        expected = len(draws) / n
        assert ((counts - expected) ** 2 / expected).sum() < n + 5 * np.sqrt(2 * n)  # chi-square, ~5 sigma


def test_group_draws_with_containers_equal_single_samples():
    """Distortion params drawn per size group (RowStreams) through OneOf/SomeOf and per-pixel
    noise: every sample of a batch equals the sample made alone."""
    I = ak.image
    pipe = ak.Compose([
        ak.OneOf([I.GridWarp(distort_limit=0.2), I.Perspective(distortion_range=(0.02, 0.06)),
                  I.ElasticWarp(alpha=8.0, sigma=4.0)], p=0.8),
        ak.SomeOf([I.Contrast(), I.Brightness(), I.GaussianNoise(std_range=(0.01, 0.04))], n=(1, 2)),
        I.GaussianBlur(sigma_range=(0.3, 0.8), p=0.5),
    ])
    for mode in ("char", "word"):
        gen = TextImageGenerator(mode=mode, seed=11, pipeline=pipe)
        assert gen._row_draws
        batch = gen.batch(0, 24)
        for i in (0, 7, 13, 23):
            s = gen[i]
            assert np.array_equal(s["image"], batch["image"][i]), (mode, i)
            np.testing.assert_array_equal(s["char_boxes"], batch["char_boxes"][i])


def test_contact_sheet_shows_a_sample_wider_than_its_cell_whole():
    from augkit.synth.sheet import contact_sheet

    wide = np.full((32, 600, 3), 255, np.uint8)
    wide[:, -20:] = (0, 0, 255)  # the end of a long line: must not be cut off the tile
    narrow = np.full((32, 40, 3), 255, np.uint8)
    narrow[:, :] = (0, 200, 0)
    boxes = np.array([[[580.0, 4.0], [598.0, 4.0], [598.0, 28.0], [580.0, 28.0]]])
    sheet = np.asarray(contact_sheet([{"image": wide, "char_boxes": boxes, "text": "x", "font": "f"},
                                      {"image": narrow, "char_boxes": np.zeros((0, 4, 2)), "text": "y", "font": "f"}],
                                     columns=2, width=300, scale=2))
    cell = sheet[6:6 + 16, 6:6 + 300]  # the wide sample shrunk to 300 x 16 (half size)
    assert (cell[8, 292:299] == (0, 0, 255)).all(axis=1).any()  # its last columns are shown
    assert (sheet[6 + 16 + 14:6 + 64, 6:306] == 255).all()  # the shrunk height (label right beneath), not 64
    green = sheet[6:6 + 64, 312:312 + 80]  # the narrow one enlarged twice, as before
    assert (green == (0, 200, 0)).all()
