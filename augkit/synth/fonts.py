"""Fonts for text synthesis: loaded once, with a coverage table so no text is drawn with a
font that lacks one of its glyphs.

Coverage comes from each font's character map (fontTools), confirmed by rendering: a
character counts as covered only if it is in the cmap and, unless it is whitespace, draws
some ink. Fonts that draw lower case as capitals are flagged ``caps_only`` (their labels
must be upper-cased).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["FONT_EXTENSIONS", "FontBank"]

FONT_EXTENSIONS = (".ttf", ".otf", ".ttc")
#: Built-in fonts that draw lower case as capitals (see fonts/SOURCES.md).
BUILTIN_CAPS_ONLY = frozenset({"BebasNeue-Regular.otf", "Humor-Sans.ttf"})


def _builtin_folder() -> Path:
    """``augkit/fonts`` in an installed augkit, else the repository's ``fonts/`` (editable installs)."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "fonts", package.parent / "fonts"):
        if any(folder.glob("*.ttf")):
            return folder
    raise FileNotFoundError(f"augkit's fonts are missing (looked in {package / 'fonts'} "
                            f"and {package.parent / 'fonts'})")


@lru_cache(maxsize=4096)
def load_font(path: str, size: int) -> Any:
    """A Pillow FreeType font for ``path`` at ``size`` pixels (cached per process).

    Examples
    --------
    >>> f = load_font(str(_builtin_folder() / "DejaVuSans.ttf"), 20)
    >>> f.size
    20
    """
    from PIL import ImageFont

    return ImageFont.truetype(path, size=size, layout_engine=_layout_engine())


@lru_cache(maxsize=1)
def _layout_engine() -> Any:
    from PIL import ImageFont, features

    return ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


def _ink(font: Any, char: str) -> NDArray[np.uint8]:
    """The glyph's anti-aliased ink, cropped to its bounding box (empty if none)."""
    from PIL import Image, ImageDraw

    box = font.getbbox(char)
    w, h = max(1, box[2] - box[0]), max(1, box[3] - box[1])
    img = Image.new("L", (w + 2, h + 2), 0)
    ImageDraw.Draw(img).text((1 - box[0], 1 - box[1]), char, font=font, fill=255)
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr > 0)
    if ys.size == 0:
        return np.zeros((0, 0), np.uint8)
    return arr[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


class FontBank:
    """Fonts from files and folders, each with its coverage and a caps-only flag.

    Parameters
    ----------
    paths : path or sequence of paths
        Font files (``.ttf``, ``.otf``, ``.ttc``) and folders (searched recursively).
    test_size : int
        Pixel size used for the render tests.

    Notes
    -----
    An unreadable or corrupt font file is reported by name (a ``UserWarning``) and skipped;
    ``skipped`` lists them with the reason. A bank with no usable font is an error.

    Examples
    --------
    >>> bank = FontBank.builtin()
    >>> len(bank) >= 30, bank.covers(0, "Hello!")
    (True, True)
    """

    def __init__(self, paths: str | os.PathLike | Sequence[str | os.PathLike], *, test_size: int = 24) -> None:
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        files = sorted(set(self._expand(paths)))
        self.paths: tuple[str, ...] = ()
        self.skipped: list[tuple[str, str]] = []
        self.test_size = int(test_size)
        cmaps, caps = [], []
        for path in files:
            try:
                cmap = self._cmap(path)
                font = load_font(path, self.test_size)
            except Exception as err:  # noqa: BLE001 - any failure to parse a font file means: skip it
                self.skipped.append((path, f"{type(err).__name__}: {err}"))
                warnings.warn(f"skipping unreadable font {path!r}: {err}", UserWarning, stacklevel=2)
                continue
            self.paths += (path,)
            cmaps.append(cmap)
            caps.append(Path(path).name in BUILTIN_CAPS_ONLY or self._draws_caps(font, cmap))
        if not self.paths:
            raise ValueError(f"no usable font among {len(files)} file(s) in {list(map(str, paths))}")
        self._cmaps = cmaps
        self.caps_only: tuple[bool, ...] = tuple(caps)
        self._verified: list[dict[str, bool]] = [{} for _ in self.paths]  # render tests, run on first use
        self._good: list[set[str]] = [set() for _ in self.paths]
        # bit k of _char_fonts[c]: font k draws c (every font tested on c's first sight);
        # one index array per distinct set of fonts
        self._char_fonts: dict[str, int] = {}
        self._by_fonts: dict[int, NDArray[np.intp]] = {}

    @staticmethod
    def _expand(paths: Iterable[str | os.PathLike]) -> Iterable[str]:
        for p in paths:
            name = os.fspath(p)
            if os.path.isdir(name):
                for d, _, fs in os.walk(name):
                    yield from (os.path.join(d, f) for f in fs if f.lower().endswith(FONT_EXTENSIONS))
            elif os.path.isfile(name):
                yield name
            else:
                raise FileNotFoundError(f"no font file or folder at {name!r}")

    @staticmethod
    def _cmap(path: str) -> frozenset[int]:
        from fontTools.ttLib import TTFont

        with open(path, "rb") as fh, TTFont(fh, lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap()
        if not cmap:
            raise ValueError("the font has no Unicode character map")
        return frozenset(cmap)

    @staticmethod
    def _draws_caps(font: Any, cmap: frozenset[int]) -> bool:
        """Lower case drawn as the capitals (same bitmap) for most letters."""
        same = 0
        for lo in "abcdeghkmnrst":
            if ord(lo) in cmap and ord(lo.upper()) in cmap:
                a, b = _ink(font, lo), _ink(font, lo.upper())
                same += a.shape == b.shape and np.array_equal(a, b)
        return same >= 8

    @classmethod
    def builtin(cls) -> FontBank:
        """The fonts shipped with augkit (``fonts/``; see ``fonts/SOURCES.md``), loaded once."""
        return _builtin_bank()

    def _verify(self, k: int, chars: str) -> None:
        verified, cmap = self._verified[k], self._cmaps[k]
        todo = [c for c in set(chars) if c not in verified]
        if not todo:
            return
        font = load_font(self.paths[k], self.test_size)
        for c in todo:
            verified[c] = ord(c) in cmap and (c.isspace() or _ink(font, c).size > 0)
            if verified[c]:
                self._good[k].add(c)

    def covers(self, k: int, text: str) -> bool:
        """Whether font ``k`` draws every character of ``text``."""
        chars = set(text)
        if chars <= self._good[k]:
            return True
        self._verify(k, text)
        return chars <= self._good[k]

    def covering(self, text: str) -> NDArray[np.intp]:
        """Indices of the fonts that draw every character of ``text`` (read-only; shared).

        Examples
        --------
        >>> bank = FontBank.builtin()
        >>> 0 < len(bank.covering("Ж")) < len(bank.covering("A")) == len(bank)
        True
        """
        fonts = (1 << len(self.paths)) - 1
        known = self._char_fonts
        for c in set(text):
            bits = known.get(c)
            if bits is None:
                bits = known[c] = sum(1 << k for k in range(len(self.paths)) if self.covers(k, c))
            fonts &= bits
        hit = self._by_fonts.get(fonts)
        if hit is None:
            hit = np.array([k for k in range(len(self.paths)) if fonts >> k & 1], dtype=np.intp)
            hit.flags.writeable = False
            self._by_fonts[fonts] = hit
        return hit

    def font(self, k: int, size: int) -> Any:
        """Pillow font ``k`` at ``size`` pixels (cached).

        Examples
        --------
        >>> bank = FontBank.builtin()
        >>> bank.font(0, 24).size, bank.font(0, 24) is bank.font(0, 24)
        (24, True)
        """
        return load_font(self.paths[k], int(size))

    def name(self, k: int) -> str:
        """File name of font ``k``.

        Examples
        --------
        >>> FontBank.builtin().name(0).endswith((".ttf", ".otf"))
        True
        """
        return os.path.basename(self.paths[k])

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return f"FontBank({len(self)} fonts, {sum(self.caps_only)} caps-only, {len(self.skipped)} skipped)"

    # pickling: worker processes rebuild the bank from its paths
    def __reduce__(self) -> tuple:
        return (_rebuild_bank, (self.paths, self.test_size))

    def to_config(self) -> dict[str, Any]:
        """Where the fonts came from (for dataset manifests).

        Examples
        --------
        >>> sorted(FontBank.builtin().to_config())
        ['paths', 'test_size']
        """
        return {"paths": [str(p) for p in self.paths], "test_size": self.test_size}


def _rebuild_bank(paths: tuple[str, ...], test_size: int) -> FontBank:
    return _cached_bank(paths, test_size)


@lru_cache(maxsize=8)
def _cached_bank(paths: tuple[str, ...], test_size: int) -> FontBank:
    return FontBank(list(paths), test_size=test_size)


@lru_cache(maxsize=1)
def _builtin_bank() -> FontBank:
    return FontBank(_builtin_folder())
