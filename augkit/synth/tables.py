"""Advances and pair kerning read from a font's own tables, as HarfBuzz lays out one or two glyphs.

Measuring with the layout engine costs a Raqm layout per question (``getlength("AV")``, 50-90
us), and a generator meets a new (font, pair) at nearly every character crop with neighbours
and a new (font, size, character) often. :class:`FontTables` reads the answers from the font
file instead: a character's advance from ``hmtx`` (HarfBuzz's unhinted advance, in 26.6 fixed
point), and a pair's kerning from the pair-positioning
lookups of the GPOS ``kern`` feature (format 1 pairs and format 2 classes, extension lookups
unwrapped, the first subtable that applies in each lookup, lookups summed), or the legacy
``kern`` table where GPOS has no ``kern`` feature, scaled to 26.6 fixed point the way HarfBuzz
scales them. The tables are parsed straight from the file's bytes (a few milliseconds a font;
decompiling them with fontTools took 30-500 ms).

It answers only where that is exactly what shaping does (a character is *plain* when no
shaping can act on it alone: then the layout engine's glyph is the cmap's glyph, which
Pillow's basic layout renders to the same ink at half the cost), for the script HarfBuzz picks (the
default language system of ``latn``, ``cyrl`` or ``grek``; digits and punctuation alone as
Latin). A pair is left to the layout engine (:meth:`FontTables.units` returns ``None``)
where a substitution of the features HarfBuzz switches on by default (``ccmp``, ``locl``,
``rlig``, ``rclt``, the required feature, ...) or another positioning lookup (contextual
kerning, cursive attachment, distances, mark attachment) can act on it, where a glyph is a
mark, where a character belongs to another script or the pair mixes two, where a kerning value
has a device adjustment, and for a whole font whose tables cannot be read. A test compares
every answer with the layout engine over the builtin fonts.
"""

from __future__ import annotations

import struct
import threading
import unicodedata
from functools import lru_cache

__all__ = ["FontTables", "font_tables"]

#: GSUB features HarfBuzz's default shaper (Latin, Greek, Cyrillic, common) applies unasked,
#: less the ligature and contextual-alternate features the renderer switches off (``liga``,
#: ``clig``, ``calt``); ``frac``/``numr``/``dnom`` act only around U+2044, which is left unsure.
_SUBSTITUTIONS = frozenset({b"ccmp", b"locl", b"rlig", b"rclt", b"rvrn", b"ltra", b"ltrm", b"rand", b" RQD"})
#: GPOS features applied by default besides ``kern``; for mark attachment only the marks move.
_POSITIONINGS = frozenset({b"curs", b"dist", b"abvm", b"blwm", b"mark", b"mkmk", b" RQD"})
#: Scripts of the default shaper handled here, by the first word of a character's Unicode name.
_SCRIPTS = {"LATIN": b"latn", "CYRILLIC": b"cyrl", "GREEK": b"grek"}

Products = list[tuple[frozenset[int], frozenset[int]]]
_UNREAD = object()


def _script_of(ch: str) -> bytes | None:
    """OpenType script tag of ``ch``: ``latn``/``cyrl``/``grek``, ``b""`` for digits and
    punctuation (common to all scripts), ``None`` for a mark or any other script."""
    if ch.isascii():
        return b"latn" if ch.isalpha() else b""
    category = unicodedata.category(ch)
    if category.startswith("M"):
        return None  # marks attach to their base: the layout engine measures them
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    if first in _SCRIPTS:
        return _SCRIPTS[first]
    return b"" if category[0] in "NPSZ" and ord(ch) < 0x3000 else None


class _Reader:
    """Big-endian reads at absolute offsets of one table."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def u16(self, at: int) -> int:
        return (self.data[at] << 8) | self.data[at + 1]

    def u16s(self, at: int, count: int) -> tuple[int, ...]:
        return struct.unpack_from(f">{count}H", self.data, at)

    def u32(self, at: int) -> int:
        return struct.unpack_from(">I", self.data, at)[0]

    def coverage(self, at: int) -> dict[int, int]:
        """Glyph id -> coverage index."""
        fmt, count = self.u16(at), self.u16(at + 2)
        if fmt == 1:
            return {g: i for i, g in enumerate(self.u16s(at + 4, count))}
        if fmt == 2:
            out = {}
            for r in range(count):
                start, end, index = self.u16s(at + 4 + 6 * r, 3)
                out.update((g, index + g - start) for g in range(start, end + 1))
            return out
        raise ValueError(f"coverage format {fmt}")

    def class_def(self, at: int) -> dict[int, int]:
        """Glyph id -> class (absent: class 0)."""
        fmt = self.u16(at)
        if fmt == 1:
            start, count = self.u16(at + 2), self.u16(at + 4)
            return {start + i: c for i, c in enumerate(self.u16s(at + 6, count)) if c}
        if fmt == 2:
            out = {}
            for r in range(self.u16(at + 2)):
                start, end, cls = self.u16s(at + 4 + 6 * r, 3)
                if cls:
                    out.update((g, cls) for g in range(start, end + 1))
            return out
        raise ValueError(f"class definition format {fmt}")


def _value_size(fmt: int) -> int:
    return 2 * bin(fmt & 0xFF).count("1")


def _x_advance_at(fmt: int) -> int | None:
    """Byte offset of XAdvance inside a value record of format ``fmt`` (``None``: absent)."""
    return 2 * bin(fmt & 0x3).count("1") if fmt & 0x4 else None


class _Layout:
    """The script, feature and lookup lists of a GSUB or GPOS table."""

    def __init__(self, data: bytes, extension_type: int) -> None:
        self.r = _Reader(data)
        r = self.r
        if r.u16(0) != 1:
            raise ValueError("layout table version")
        if r.u16(2) >= 1 and len(data) >= 14 and r.u32(10):
            raise ValueError("feature variations")  # which features apply depends on the instance
        self.scripts, self.features, self.lookups = r.u16(4), r.u16(6), r.u16(8)
        self.extension_type = extension_type

    def lang_sys(self, script: bytes) -> int | None:
        """Offset of the default language system HarfBuzz uses for ``script`` (``b""``: Latin)."""
        r, base = self.r, self.scripts
        found = {r.data[base + 2 + 6 * i: base + 6 + 6 * i]: base + r.u16(base + 6 + 6 * i)
                 for i in range(r.u16(base))}
        for tag in (script or b"latn", b"DFLT", b"dflt", b"latn"):
            if tag in found:
                default = r.u16(found[tag])
                return found[tag] + default if default else None
        return None

    def feature_lookups(self, script: bytes) -> list[tuple[bytes, int]]:
        """``(feature tag, lookup index)`` of every feature of the script's default language
        system, its required feature tagged ``b" RQD"``."""
        at = self.lang_sys(script)
        if at is None:
            return []
        r, base = self.r, self.features
        required, count = r.u16(at + 2), r.u16(at + 4)
        chosen = [(r.data[base + 2 + 6 * i: base + 6 + 6 * i], i) for i in r.u16s(at + 6, count)]
        if required != 0xFFFF:
            chosen.append((b" RQD", required))
        out = []
        for tag, i in chosen:
            feature = base + r.u16(base + 6 + 6 * i)
            out += [(tag, j) for j in r.u16s(feature + 4, r.u16(feature + 2))]
        return out

    def subtables(self, index: int) -> tuple[int, list[int]]:
        """Lookup type and subtable offsets of lookup ``index``, extensions unwrapped."""
        r = self.r
        at = self.lookups + r.u16(self.lookups + 2 + 2 * index)
        kind, count = r.u16(at), r.u16(at + 4)
        subs = [at + o for o in r.u16s(at + 6, count)]
        if kind == self.extension_type and subs:
            kind = r.u16(subs[0] + 2)
            subs = [s + r.u32(s + 4) for s in subs]
        return kind, subs

    def triggers(self, index: int, gsub: bool) -> tuple[set[int], Products]:
        """Where a lookup can act on a two-glyph run ``a b``: glyphs unsure wherever they stand,
        and products ``(A, B)`` of pairs with ``a`` in ``A`` and ``b`` in ``B``.

        A lookup only starts at a glyph of its (first input) coverage. Ligatures and chained
        rules of format 3 are resolved to the pairs they can match in two glyphs; other
        contextual rules make their whole coverage unsure. Mark attachment moves only marks."""
        r = self.r
        kind, subs = self.subtables(index)
        glyphs: set[int] = set()
        products: Products = []
        chained, context = (6, 5) if gsub else (8, 7)
        for st in subs:
            fmt = r.u16(st)
            if gsub and kind == 4:  # ligatures: first glyph (coverage) + components
                cov = r.coverage(st + r.u16(st + 2))
                firsts = {i: g for g, i in cov.items()}
                for k, set_off in enumerate(r.u16s(st + 6, r.u16(st + 4))):
                    lig_set = st + set_off
                    for lig_off in r.u16s(lig_set + 2, r.u16(lig_set)):
                        lig = lig_set + lig_off
                        components = r.u16(lig + 2)
                        if components == 1:
                            glyphs.add(firsts[k])
                        elif components == 2:
                            products.append((frozenset([firsts[k]]), frozenset([r.u16(lig + 4)])))
                continue
            if kind == chained and fmt == 3:
                at = st + 2
                back = [r.coverage(st + o) for o in r.u16s(at + 2, r.u16(at))]
                at += 2 + 2 * len(back)
                run = [r.coverage(st + o) for o in r.u16s(at + 2, r.u16(at))]
                at += 2 + 2 * len(run)
                ahead = [r.coverage(st + o) for o in r.u16s(at + 2, r.u16(at))]
                if not back and len(run) == 1 and not ahead:
                    glyphs.update(run[0])
                elif not back and len(run) + len(ahead) == 2:  # the rule starts at a, b completes it
                    products.append((frozenset(run[0]), frozenset((run + ahead)[1])))
                elif len(back) == 1 and len(run) == 1 and not ahead:  # a is the context of b
                    products.append((frozenset(back[0]), frozenset(run[0])))
                continue  # longer rules cannot match two glyphs
            if kind == context and fmt == 3:
                glyphs.update(r.coverage(st + r.u16(st + 6)))
                continue
            glyphs.update(r.coverage(st + r.u16(st + 2)))  # every other format: coverage at +2
        return glyphs, products


def _cmap(data: bytes) -> dict[int, int]:
    """Code point -> glyph id from a ``cmap`` table (Windows Unicode subtables, formats 12 and 4)."""
    r = _Reader(data)
    subtables = {(r.u16(4 + 8 * i), r.u16(6 + 8 * i)): r.u32(8 + 8 * i) for i in range(r.u16(2))}
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3)):
        at = subtables.get(key)
        if at is None:
            continue
        fmt = r.u16(at)
        out: dict[int, int] = {}
        if fmt == 12:
            for g in range(r.u32(at + 12)):
                start, end, glyph = struct.unpack_from(">3I", data, at + 16 + 12 * g)
                out.update((c, glyph + c - start) for c in range(start, end + 1))
            return out
        if fmt == 4:
            segs = r.u16(at + 6) // 2
            ends = r.u16s(at + 14, segs)
            starts = r.u16s(at + 16 + 2 * segs, segs)
            deltas = struct.unpack_from(f">{segs}h", data, at + 16 + 4 * segs)
            range_at = at + 16 + 6 * segs
            offsets = r.u16s(range_at, segs)
            for s in range(segs):
                for c in range(starts[s], ends[s] + 1):
                    if c == 0xFFFF:
                        continue
                    if offsets[s] == 0:
                        glyph = (c + deltas[s]) & 0xFFFF
                    else:
                        glyph = r.u16(range_at + 2 * s + offsets[s] + 2 * (c - starts[s]))
                        glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
                    if glyph:
                        out[c] = glyph
            return out
    raise ValueError("no Unicode cmap subtable of format 4 or 12")


def _tables(data: bytes) -> dict[bytes, bytes]:
    """The tables of an OpenType/TrueType file (the first font of a collection)."""
    base = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
    if data[base: base + 4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise ValueError("not an OpenType/TrueType font (a WOFF is read by FreeType alone)")
    count = struct.unpack_from(">H", data, base + 4)[0]
    out = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        out[tag] = data[offset: offset + length]
    return out


class FontTables:
    """Advances and pair kerning of one font file, from its tables (see the module notes).

    Examples
    --------
    >>> from augkit.synth.fonts import FontBank
    >>> t = font_tables(next(p for p in FontBank.builtin().paths if p.endswith("DejaVuSans.ttf")))
    >>> t.plain("A"), t.units("A", "V") < 0, t.advance_26_6("A", 20) / 64
    (True, True, 13.6875)
    """

    def __init__(self, path: str) -> None:
        with open(path, "rb") as fh:
            tables = _tables(fh.read())
        self.units_per_em = struct.unpack_from(">H", tables[b"head"], 18)[0]
        self._cmap = _cmap(tables[b"cmap"])
        metrics = struct.unpack_from(">H", tables[b"hhea"], 34)[0]  # numberOfHMetrics
        self._advances = struct.unpack_from(f">{2 * metrics}H", tables[b"hmtx"])[0::2]
        self._gsub = _Layout(tables[b"GSUB"], 7) if b"GSUB" in tables else None
        self._gpos = _Layout(tables[b"GPOS"], 9) if b"GPOS" in tables else None
        self._marks: set[int] = set()
        gdef = tables.get(b"GDEF")
        if gdef is not None and len(gdef) >= 6 and _Reader(gdef).u16(4):  # marks: zero advance, attached
            self._marks = {g for g, c in _Reader(gdef).class_def(_Reader(gdef).u16(4)).items() if c == 3}
        gpos = self._gpos
        self._gpos_kern = gpos is not None and any(  # else the legacy table, as HarfBuzz does
            gpos.r.data[gpos.features + 2 + 6 * i: gpos.features + 6 + 6 * i] == b"kern"
            for i in range(gpos.r.u16(gpos.features)))
        self._legacy: dict[tuple[int, int], int] | None = {}
        if not self._gpos_kern and b"kern" in tables:
            self._legacy = _legacy_kern(tables[b"kern"])
        self._scripts: dict[bytes, tuple[set[int], dict[int, list[frozenset[int]]], list[list[tuple]]]] = {}
        self._lock = threading.Lock()

    def _script(self, script: bytes) -> tuple[set[int], dict[int, list[frozenset[int]]], list[list[tuple]]] | None:
        """(glyphs and pairs other shaping may touch, PairPos subtables of each kern lookup), or
        ``None`` where the script's tables could not be read (then every question goes to Raqm)."""
        data = self._scripts.get(script, _UNREAD)
        if data is _UNREAD:
            with self._lock:
                data = self._scripts.get(script, _UNREAD)
                if data is _UNREAD:
                    try:
                        data = self._read_script(script)
                    except Exception:  # noqa: BLE001 - a table this parser does not follow: Raqm answers
                        data = None
                    self._scripts[script] = data
        return data

    def _read_script(self, script: bytes) -> tuple[set[int], dict[int, list[frozenset[int]]], list[list[tuple]]]:
        unsure, products = set(self._marks), []

        def add(layout: _Layout, index: int, gsub: bool) -> None:
            glyphs, pairs = layout.triggers(index, gsub)
            unsure.update(glyphs)
            products.extend(pairs)

        if self._gsub is not None:
            for tag, j in set(self._gsub.feature_lookups(script)):
                if tag in _SUBSTITUTIONS:
                    add(self._gsub, j, True)
        lookups = []
        if self._gpos is not None:
            for tag, j in sorted(set(self._gpos.feature_lookups(script)), key=lambda t: t[1]):
                if tag in _POSITIONINGS:
                    add(self._gpos, j, False)
                elif tag == b"kern":
                    kind, subs = self._gpos.subtables(j)
                    if kind == 2:
                        lookups.append([self._pair_subtable(st) for st in subs])
                    else:  # contextual kerning: the pairs it may act on go to the layout engine
                        add(self._gpos, j, False)
        after: dict[int, list[frozenset[int]]] = {}  # the products indexed by their first glyph
        for firsts, seconds in products:
            for g in firsts:
                after.setdefault(g, []).append(seconds)
        return unsure, after, lookups

    def _pair_subtable(self, st: int) -> tuple:
        r = self._gpos.r
        fmt, covered = r.u16(st), r.coverage(st + r.u16(st + 2))
        f1, f2 = r.u16(st + 4), r.u16(st + 6)
        size1, size2 = _value_size(f1), _value_size(f2)
        x1, x2 = _x_advance_at(f1), _x_advance_at(f2)
        device = bool((f1 | f2) & 0x40)  # an XAdvance device adjustment: left to the layout engine

        def advance(at: int) -> int:
            v = 0
            if x1 is not None:
                v += struct.unpack_from(">h", r.data, at + x1)[0]
            if x2 is not None:
                v += struct.unpack_from(">h", r.data, at + size1 + x2)[0]
            return v

        if fmt == 1:
            sets = []
            step = 2 + size1 + size2
            for set_off in r.u16s(st + 10, r.u16(st + 8)):
                at = st + set_off
                sets.append((at, r.u16(at)))
            return (1, covered, (sets, step, advance), device)
        if fmt == 2:
            first, second = r.class_def(st + r.u16(st + 8)), r.class_def(st + r.u16(st + 10))
            c1, c2 = r.u16(st + 12), r.u16(st + 14)
            return (2, covered, (first, second, c1, c2, st + 16, size1 + size2, advance), device)
        raise ValueError(f"pair positioning format {fmt}")

    def units(self, a: str, b: str) -> int | None:
        """Kerning of ``a`` followed by ``b`` in font units, or ``None`` where the layout engine
        must measure it (other shaping may touch a glyph, another script, a character outside the cmap)."""
        ga, gb = self._cmap.get(ord(a)), self._cmap.get(ord(b))
        sa, sb = _script_of(a), _script_of(b)
        # (the fraction slash switches on frac/numr/dnom around it)
        mixed = sa is None or sb is None or (sa and sb and sa != sb) or "\u2044" in (a, b)
        data = None if ga is None or gb is None or mixed else self._script(sa or sb)
        if data is None:
            return None
        unsure, after, lookups = data
        if ga in unsure or gb in unsure or any(gb in seconds for seconds in after.get(ga, ())):
            return None
        if not self._gpos_kern:
            return None if self._legacy is None else self._legacy.get((ga, gb), 0)
        try:
            return self._pair_units(lookups, ga, gb)
        except (IndexError, struct.error):  # offsets past the table's end: a damaged font
            return None

    def _pair_units(self, lookups: list[list[tuple]], ga: int, gb: int) -> int | None:
        total = 0
        for subtables in lookups:
            for fmt, covered, data, device in subtables:
                i = covered.get(ga)
                if i is None:
                    continue
                if fmt == 1:
                    v = _pair_in_set(self._gpos.r, *data[0][i], data[1], gb, data[2])
                    if v is None:
                        continue  # not among this subtable's pairs: the next subtable may have it
                else:
                    first, second, c1, c2, records, step, advance = data
                    k1, k2 = first.get(ga, 0), second.get(gb, 0)
                    if k1 >= c1 or k2 >= c2:
                        continue
                    v = advance(records + (k1 * c2 + k2) * step)
                if device:
                    return None
                total += v
                break
        return total

    def plain(self, ch: str) -> bool:
        """Whether no shaping acts on ``ch`` alone: the layout engine draws the cmap's glyph
        with the advance of :meth:`advance_26_6`."""
        g, script = self._cmap.get(ord(ch)), _script_of(ch)
        if g is None or script is None or ch == "\u2044":
            return False
        data = self._script(script)
        return data is not None and g not in data[0]

    def advance_26_6(self, ch: str, pixel_size: int) -> int:
        """Advance of ``ch``'s cmap glyph at ``pixel_size`` px in 26.6 fixed point (see
        :meth:`plain`), as HarfBuzz gets it from FreeType: the unhinted advance in 16.16
        (``FT_MulDiv`` by the size's ``FT_DivFix`` scale), rounded to 26.6."""
        units = self._advances[min(self._cmap[ord(ch)], len(self._advances) - 1)]
        scale = (((pixel_size * 64) << 16) + self.units_per_em // 2) // self.units_per_em
        return ((units * scale + 32) // 64 + 512) >> 10

    def scaled_26_6(self, units: int, pixel_size: int) -> int:
        """``units`` (a GPOS or ``kern`` value) scaled to 26.6 fixed point at ``pixel_size`` px
        as HarfBuzz scales positions."""
        mult = ((pixel_size * 64) << 16) // self.units_per_em
        return (units * mult + 32768) >> 16


def _pair_in_set(r: _Reader, at: int, count: int, step: int, second: int, advance) -> int | None:
    """Binary search of a PairSet (sorted by second glyph) for ``second``."""
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) // 2
        g = r.u16(at + 2 + mid * step)
        if g == second:
            return advance(at + 2 + mid * step + 2)
        if g < second:
            lo = mid + 1
        else:
            hi = mid
    return None


def _legacy_kern(data: bytes) -> dict[tuple[int, int], int] | None:
    """Horizontal format-0 pairs of an OpenType ``kern`` table (``None``: kinds not handled here)."""
    r = _Reader(data)
    if r.u16(0) != 0:
        return None  # Apple's version 1 table
    out: dict[tuple[int, int], int] = {}
    at = 4
    for _ in range(r.u16(2)):
        length, coverage = r.u16(at + 2), r.u16(at + 4)
        if coverage >> 8 != 0 or coverage & 0x0F != 1:  # format 0, horizontal, no minimum or cross-stream
            return None
        pairs = r.u16(at + 6)
        for p in range(pairs):
            left, right = r.u16s(at + 14 + 6 * p, 2)
            value = struct.unpack_from(">h", data, at + 18 + 6 * p)[0]
            out[(left, right)] = out.get((left, right), 0) + value
        at += length if length >= 14 + 6 * pairs else 14 + 6 * pairs  # (some fonts understate it)
    return out


@lru_cache(maxsize=256)
def font_tables(path: str) -> FontTables | None:
    """The :class:`FontTables` of ``path`` (cached), or ``None`` if its tables cannot be read."""
    try:
        return FontTables(path)
    except Exception:  # noqa: BLE001 - any parsing trouble: the layout engine answers everything
        return None
