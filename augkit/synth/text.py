"""Where the text of synthetic samples comes from: word lists, random strings, corpora.

Every source draws with the generator it is given, so a sample's text depends only on that
generator's seed. The synthetic generator passes a sample's
:class:`~augkit.synth.draws.SampleDraws`: ``random`` and ``uniform`` come from floats drawn
ahead for the sample, and any other ``numpy.random.Generator`` method (for a custom source)
from a ``Generator`` of the sample's key.
"""

from __future__ import annotations

import os
import string
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CASES", "Corpus", "RandomText", "TextSource", "WordList", "as_text_source"]


def uniform_index(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in ``[0, n)``: ``floor(u * n)`` of one double (bias below 2**-53 n;
    ``Generator.integers`` costs ~3x as much per call on small draws).

    Examples
    --------
    >>> 0 <= uniform_index(np.random.default_rng(0), 5) < 5
    True
    """
    return int(rng.random() * n)


def uniform_indices(rng: np.random.Generator, n: int, count: int) -> NDArray[np.intp]:
    """``count`` uniform integers in ``[0, n)`` (as :func:`uniform_index`)."""
    return (rng.random(count) * n).astype(np.intp)

#: How word-list text may be cased (drawn per sample).
CASES = ("lower", "title", "upper")


class TextSource:
    """Base class: ``draw(rng, mode)`` returns a string for a ``"char"``, ``"word"`` or ``"line"``
    sample; ``rng`` is a ``numpy.random.Generator`` or behaves like one."""

    def draw(self, rng: np.random.Generator, mode: str) -> str:
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__}


def _check_nonempty(name: str, items: list[str]) -> list[str]:
    if not items:
        raise ValueError(f"{name} holds no text")
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(t).__name__}")
    return items


class WordList(TextSource):
    """Words drawn uniformly from a list; lines are 2-8 words joined by spaces.

    Parameters
    ----------
    words : list of str
    cases : tuple of {"lower", "title", "upper"}
        Casing drawn per sample (``"lower"`` keeps the words as they are).

    Examples
    --------
    >>> w = WordList(["alpha", "beta"], cases=("upper",))
    >>> w.draw(np.random.default_rng(0), "word") in ("ALPHA", "BETA")
    True
    """

    def __init__(self, words: list[str], *, cases: tuple[str, ...] = CASES, name: str = "custom") -> None:
        self.words = tuple(_check_nonempty("words", [w for w in words if w]))
        bad = [c for c in cases if c not in CASES]
        if bad or not cases:
            raise ValueError(f"cases must be a non-empty subset of {CASES}, got {cases!r}")
        self.cases = tuple(cases)
        self.name = name

    @classmethod
    def builtin(cls, language: str = "en", **kwargs: Any) -> WordList:
        """The bundled word list (``"en"``: 20,000 English words from SCOWL; see ``augkit/data``).

        Examples
        --------
        >>> words = WordList.builtin("en")
        >>> words.draw(np.random.default_rng(0), "word").isalpha()
        True
        """
        if language != "en":
            raise ValueError(f"no built-in word list for language {language!r}; available: 'en'")
        return cls(list(_builtin_words()), name="builtin:en", **kwargs)

    def _case(self, rng: np.random.Generator, text: str) -> str:
        case = self.cases[uniform_index(rng, len(self.cases))]
        return text.upper() if case == "upper" else text.title() if case == "title" else text

    def draw(self, rng: np.random.Generator, mode: str) -> str:
        if mode == "char":
            word = self.words[uniform_index(rng, len(self.words))]
            return self._case(rng, word[uniform_index(rng, len(word))])
        if mode == "word":
            return self._case(rng, self.words[uniform_index(rng, len(self.words))])
        count = 2 + uniform_index(rng, 7)
        return self._case(rng, " ".join(self.words[j] for j in uniform_indices(rng, len(self.words), count).tolist()))

    def to_config(self) -> dict[str, Any]:
        return {"type": "WordList", "name": self.name, "words": len(self.words), "cases": list(self.cases)}


@lru_cache(maxsize=1)
def _builtin_words() -> tuple[str, ...]:
    text = resources.files("augkit").joinpath("data/words_en.txt").read_text(encoding="utf-8")
    return tuple(w for w in text.split() if w)


class RandomText(TextSource):
    """Random strings over a character set (letters, digits, codes, licence plates...).

    Parameters
    ----------
    charset : str
        Characters to draw from, uniformly.
    length_range : (int, int)
        Inclusive length range for words (lines join 2-8 such words; chars take one).

    Examples
    --------
    >>> t = RandomText(charset="0123456789", length_range=(4, 4))
    >>> s = t.draw(np.random.default_rng(1), "word")
    >>> len(s), s.isdigit()
    (4, True)
    """

    def __init__(self, charset: str = string.ascii_letters + string.digits,
                 length_range: tuple[int, int] = (1, 12)) -> None:
        if not isinstance(charset, str) or not charset or any(c in "\t\n\r" for c in charset):
            raise ValueError(f"charset must be a non-empty string without tabs or newlines, got {charset!r}")
        lo, hi = length_range
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
            raise ValueError(f"length_range must be (lo, hi) integers with 1 <= lo <= hi, got {length_range!r}")
        self.charset = charset
        self.length_range = (lo, hi)

    def _word(self, rng: np.random.Generator) -> str:
        lo, hi = self.length_range
        n = lo + uniform_index(rng, hi - lo + 1)
        return "".join(self.charset[j] for j in uniform_indices(rng, len(self.charset), n).tolist())

    def draw(self, rng: np.random.Generator, mode: str) -> str:
        if mode == "char":
            return self.charset[uniform_index(rng, len(self.charset))]
        if mode == "word":
            return self._word(rng)
        return " ".join(self._word(rng) for _ in range(2 + uniform_index(rng, 7)))

    def to_config(self) -> dict[str, Any]:
        return {"type": "RandomText", "charset": self.charset, "length_range": list(self.length_range)}


class Corpus(TextSource):
    """Lines of a UTF-8 text file (one sample per line; words are drawn from the lines).

    Examples
    --------
    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "c.txt")
    >>> with open(p, "w") as fh:
    ...     _ = fh.write("first line\\nsecond one\\n")
    >>> Corpus(p).draw(np.random.default_rng(0), "line") in ("first line", "second one")
    True
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"no corpus file at {self.path!r}")
        with open(self.path, encoding="utf-8") as fh:
            lines = [ln.strip() for ln in fh]
        self.lines = tuple(_check_nonempty(f"corpus {self.path!r}", [ln for ln in lines if ln]))
        self.words = tuple(w for ln in self.lines for w in ln.split())

    def draw(self, rng: np.random.Generator, mode: str) -> str:
        if mode == "line":
            return self.lines[uniform_index(rng, len(self.lines))]
        word = self.words[uniform_index(rng, len(self.words))]
        return word[uniform_index(rng, len(word))] if mode == "char" else word

    def to_config(self) -> dict[str, Any]:
        return {"type": "Corpus", "path": self.path, "lines": len(self.lines)}


class _Strings(TextSource):
    def __init__(self, items: list[str]) -> None:
        self.items = tuple(_check_nonempty("text", list(items)))

    def draw(self, rng: np.random.Generator, mode: str) -> str:
        s = self.items[uniform_index(rng, len(self.items))]
        return s[uniform_index(rng, len(s))] if mode == "char" and len(s) > 1 else s

    def to_config(self) -> dict[str, Any]:
        return {"type": "strings", "count": len(self.items)}


def as_text_source(text: Any) -> TextSource:
    """A :class:`TextSource` from a source, or a list/tuple of strings."""
    if isinstance(text, TextSource):
        return text
    if isinstance(text, (list, tuple)):
        return _Strings(list(text))
    raise TypeError(f"text must be a WordList, RandomText, Corpus or a list of strings, got {type(text).__name__}")
