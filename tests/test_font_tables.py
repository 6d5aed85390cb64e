"""Advances and pair kerning read from the font tables agree with the layout engine (Raqm/HarfBuzz)."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import ImageFont

from augkit.synth import FontBank
from augkit.synth.fonts import _layout_engine
from augkit.synth.render import KERN_REFERENCE_PX, GlyphSet, _core_pixels, _features, _kerning, measured_kerning
from augkit.synth.tables import font_tables

pytestmark = pytest.mark.skipif(_layout_engine() != ImageFont.Layout.RAQM, reason="kerning tables mirror Raqm")

#: Kerned capitals and lower case, i/j (soft-dotted rules in many fonts), digits, punctuation,
#: accented Latin, Greek and Cyrillic (pairs that mix scripts are left to the layout engine).
CHARS = "AVTYkavoyfij.,7ÄΑωЖя"
SCRIPT = {c: "grek" if c in "Αω" else "cyrl" if c in "Жя" else "latn" if c.isalpha() else "" for c in CHARS}


def test_every_pair_the_tables_answer_equals_the_layout_engine_and_most_are_answered():
    bank = FontBank.builtin()
    answered = asked = nonzero = 0
    for k, path in enumerate(bank.paths):
        table = font_tables(path)
        assert table is not None, path
        font_nonzero = 0
        for a, b in itertools.product(CHARS, CHARS):
            if not bank.covers(k, a + b):
                continue
            asked += not (SCRIPT[a] and SCRIPT[b] and SCRIPT[a] != SCRIPT[b])  # mixed: measured, by design
            units = table.units(a, b)
            if units is None:
                continue
            answered += 1
            value = table.scaled_26_6(units, KERN_REFERENCE_PX) / 64
            assert value == measured_kerning(path, a + b), (bank.name(k), a + b, value)
            font_nonzero += value != 0
        nonzero += font_nonzero
        if bank.name(k) in ("LiberationSans-Regular.ttf", "Roboto-Regular.ttf", "OpenSans-Italic.ttf"):
            assert font_nonzero > 20, bank.name(k)  # GPOS pairs and classes; OpenSans: the legacy table
    assert nonzero > 500
    assert answered / asked > 0.9, (answered, asked)


@pytest.mark.parametrize("pair", ["A\u0301", "\u0301A", "AЖ", "1\u20442"])
def test_pairs_other_shaping_may_touch_go_to_the_layout_engine(pair):
    """A combining mark, a pair mixing scripts, the fraction slash (frac/numr/dnom around it),
    in a font that has all of these characters."""
    path = next(p for p in FontBank.builtin().paths if p.endswith("DejaVuSans.ttf"))
    table = font_tables(path)
    a, b = pair[0], pair[1]
    assert table._cmap.get(ord(a)) and table._cmap.get(ord(b))  # (not trivially: the font has both)
    assert table.units(a, b) is None
    assert table.units("A", "V") is not None and table.units("Ж", "Я") is not None


def test_soft_dotted_i_before_a_mark_is_left_to_the_engine_but_kerned_letters_are_not():
    bank = FontBank.builtin()
    path = next(p for p in bank.paths if p.endswith("Roboto-Regular.ttf"))
    table = font_tables(path)
    assert table.units("i", "\u0301") is None  # ccmp: i becomes dotless before an accent
    assert table.units("A", "V") < 0 and table.units("V", "A") < 0
    assert _kerning(path, "AV") == measured_kerning(path, "AV")


def test_a_file_that_is_not_a_font_gives_no_tables(tmp_path):
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"not a font")
    assert font_tables(str(bad)) is None


def _raqm_glyph(path: str, size: int, ch: str) -> tuple:
    """What the layout engine gives for one character: advance, and its ink and offset."""
    font = ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)
    core, (left, top) = font.getmask2(ch, mode="L", anchor="la", features=_features())
    box = core.getbbox()
    ink = _core_pixels(core)[box[1]:box[3], box[0]:box[2]] if box else None
    return float(font.getlength(ch, features=_features())), ink, (left + box[0], top + box[1]) if box else None


@pytest.mark.parametrize("size", [9, 23, 41])
def test_plain_glyphs_read_from_the_tables_equal_the_layout_engines_glyphs(size):
    """Advance from hmtx, ink drawn with the basic layout: both as Raqm lays the character out."""
    bank = FontBank.builtin()
    plain = 0
    for k, path in enumerate(bank.paths):
        table = font_tables(path)
        glyphs = GlyphSet(path, size)
        for ch in "aAgWjQ1.,ЖéMi&@ßfty% ":
            if not bank.covers(k, ch):
                continue
            plain += table.plain(ch)
            advance, bitmap, left, top = glyphs.glyph(ch)
            ref_advance, ref_ink, ref_offset = _raqm_glyph(path, size, ch)
            assert advance == ref_advance, (bank.name(k), ch)
            if ref_ink is not None and not ch.isspace():
                assert (left, top) == ref_offset and np.array_equal(bitmap, ref_ink), (bank.name(k), size, ch)
    assert plain > 500


def test_the_cmap_parsed_from_the_bytes_equals_fonttools_for_every_builtin_font():
    from fontTools.ttLib import TTFont

    from augkit.synth.tables import _cmap, _tables

    formats = set()
    for path in FontBank.builtin().paths:
        with open(path, "rb") as fh:
            data = fh.read()
        with TTFont(io.BytesIO(data), lazy=True) as font:
            expected = {c: font.getGlyphID(name) for c, name in font.getBestCmap().items()}
            formats.update(t.format for t in font["cmap"].tables if t.platformID in (0, 3))
        assert _cmap(_tables(data)[b"cmap"]) == expected, path
    assert {4, 12} <= formats  # both subtable kinds the parser reads occur in the builtin fonts


def test_a_script_whose_tables_cannot_be_followed_goes_to_the_layout_engine(monkeypatch):
    """A parsing failure inside a lookup (e.g. a format this parser does not know) must not stop
    generation: that script's questions are answered by Raqm, and the glyphs stay the same."""
    import augkit.synth.render as render
    from augkit.synth import tables

    path = next(p for p in FontBank.builtin().paths if p.endswith("LiberationSans-Regular.ttf"))
    table = tables.FontTables(path)

    def broken(self, index, gsub):
        raise ValueError("coverage format 9")

    monkeypatch.setattr(tables._Layout, "triggers", broken)
    assert table.units("A", "V") is None and not table.plain("A")
    monkeypatch.setattr(render, "font_tables", lambda p: table)
    advance, bitmap, left, top = GlyphSet(path, 23).glyph("A")
    ref_advance, ref_ink, ref_offset = _raqm_glyph(path, 23, "A")
    assert advance == ref_advance and (left, top) == ref_offset and np.array_equal(bitmap, ref_ink)
