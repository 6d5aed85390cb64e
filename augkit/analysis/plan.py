"""From counts to a data plan: how many new examples per category, and samplers that draw them.

A :class:`DataPlan` spreads a budget over the error categories in proportion to their counts
(largest-remainder rounding, so the parts add up to the budget exactly). It can be consumed as

* ``plan.counts`` — make that many augmented copies (any ``Compose``) of examples of each category;
* ``plan.sampler(example_categories)`` — a :class:`WeightedSampler` over a training pool that
  draws each category as often as the plan says (a PyTorch-compatible sampler);
* ``plan.text_source({category: strings})`` — a text source for
  :class:`~augkit.synth.TextImageGenerator` that synthesizes, e.g., confusable characters in
  the planned proportions; ``plan.font_weights()`` — when the categories are fonts, the
  generator's ``font_weights=`` to oversample them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..synth.text import TextSource
from .errors import UNTAGGED

__all__ = ["DataPlan", "WeightedSampler", "WeightedText"]


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    exact = weights / weights.sum() * total
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base


@dataclass(frozen=True)
class DataPlan:
    """New examples per category (``counts``) and the shares they were drawn from (``weights``).

    Examples
    --------
    >>> from augkit.analysis import ErrorAnalysis
    >>> ea = ErrorAnalysis([0, 0, 0, 1, 1, 2], [1, 2, 1, 0, 2, 0])
    >>> for c in (0, 1, 2):
    ...     _ = ea.tag(f"true {c}", lambda i, c=c: ea.y_true[i] == c)
    >>> ea.plan(budget=100).counts
    {'true 0': 50, 'true 1': 33, 'true 2': 17}
    """

    counts: dict[str, int]
    weights: dict[str, float]

    @classmethod
    def from_report(cls, report: Any, budget: int, *, categories: Sequence[str] | None = None,
                    min_count: int = 1, include_untagged: bool = False) -> DataPlan:
        if not isinstance(budget, int) or budget < 0:
            raise ValueError(f"budget must be a non-negative integer, got {budget!r}")
        rows = [r for r in report.rows if r["count"] >= min_count
                and (include_untagged or r["category"] != UNTAGGED)
                and (categories is None or r["category"] in categories)]
        if not rows:
            raise ValueError(f"no category to plan for ({report.message or 'no rows'}); tag the errors first")
        w = np.array([r["count"] for r in rows], np.float64)
        counts = _largest_remainder(w, budget)
        names = [r["category"] for r in rows]
        return cls(dict(zip(names, counts.tolist(), strict=True)),
                   dict(zip(names, (w / w.sum()).tolist(), strict=True)))

    def sampler(self, example_categories: Sequence[Any], *, num_samples: int | None = None, seed: int = 0,
                base_weight: float = 0.0) -> WeightedSampler:
        """A sampler over a pool whose example ``j`` belongs to ``example_categories[j]`` (a
        category name or a collection of names): each planned category is drawn in proportion to
        its plan weight, spread evenly over its examples; examples in no planned category get
        ``base_weight`` (relative to a total plan weight of 1).

        Examples
        --------
        >>> plan = DataPlan(counts={"blurry": 30, "dark": 10}, weights={"blurry": 0.75, "dark": 0.25})
        >>> s = plan.sampler(["blurry", "dark", "dark", "sharp"], seed=0)
        >>> len(list(s)), 3 in list(s)               # 40 draws; "sharp" has base_weight 0
        (40, False)
        """
        cats = [{c} if isinstance(c, str) else set(c) for c in example_categories]
        size = {name: sum(name in c for c in cats) for name in self.weights}
        missing = [n for n, s in size.items() if s == 0]
        if missing:
            raise ValueError(f"the pool has no examples of planned categories {missing}")
        w = np.array([sum(self.weights[n] / size[n] for n in c if n in self.weights) for c in cats])
        w = np.where(w > 0, w, base_weight / max(len(cats), 1))
        return WeightedSampler(w, num_samples=num_samples or int(sum(self.counts.values())), seed=seed)

    def font_weights(self, fonts: Mapping[str, str] | None = None) -> dict[str, float]:
        """Font weights for :class:`~augkit.synth.TextImageGenerator` (``font_weights=``) from a
        plan whose categories are fonts: ``fonts`` maps category to font file name (default:
        the category is the file name).

        Examples
        --------
        >>> plan = DataPlan(counts={"serif": 3, "mono": 1}, weights={"serif": 0.75, "mono": 0.25})
        >>> plan.font_weights({"serif": "DejaVuSerif.ttf", "mono": "DejaVuSansMono.ttf"})
        {'DejaVuSerif.ttf': 0.75, 'DejaVuSansMono.ttf': 0.25}
        """
        names = fonts or {c: c for c in self.weights}
        missing = [c for c in self.weights if c not in names]
        if missing:
            raise ValueError(f"give a font file name for every planned category; missing {missing}")
        return {names[c]: w for c, w in self.weights.items()}

    def text_source(self, texts: Mapping[str, Sequence[str]]) -> WeightedText:
        """A text source drawing each category's strings in the plan's proportions.

        Examples
        --------
        >>> plan = DataPlan(counts={"O/0": 3, "l/1": 1}, weights={"O/0": 0.75, "l/1": 0.25})
        >>> src = plan.text_source({"O/0": ["O", "0"], "l/1": ["l", "1"]})
        >>> src.draw(np.random.default_rng(0), "char") in ("O", "0", "l", "1")
        True
        """
        missing = [n for n in self.weights if n not in texts]
        if missing:
            raise ValueError(f"give strings for every planned category; missing {missing}")
        return WeightedText({n: list(texts[n]) for n in self.weights}, dict(self.weights))


class WeightedSampler:
    """Draw ``num_samples`` indices with replacement, with probability proportional to ``weights``.

    Iterable like a PyTorch ``Sampler`` (``DataLoader(sampler=...)``); each iteration (epoch)
    continues the stream seeded by ``seed``.

    Examples
    --------
    >>> s = WeightedSampler([0.0, 1.0, 3.0], num_samples=8, seed=1)
    >>> idx = list(s)
    >>> len(idx), 0 in idx
    (8, False)
    """

    def __init__(self, weights: Sequence[float], num_samples: int, seed: int = 0) -> None:
        w = np.asarray(weights, np.float64)
        if w.ndim != 1 or w.size == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("weights must be a non-empty sequence of non-negative numbers, not all zero")
        if not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
            raise ValueError(f"num_samples must be a positive integer, got {num_samples!r}")
        self.p = w / w.sum()
        self.num_samples = int(num_samples)
        self._rng = np.random.default_rng(seed)

    def __iter__(self) -> Iterator[int]:
        return iter(self._rng.choice(len(self.p), size=self.num_samples, p=self.p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class WeightedText(TextSource):
    """Text drawn category by category in given proportions (for synthesis aimed at a plan).

    Examples
    --------
    >>> src = WeightedText({"O/0": ["O", "0"], "l/1": ["l", "1"]}, {"O/0": 0.75, "l/1": 0.25})
    >>> src.draw(np.random.default_rng(0), "char") in ("O", "0", "l", "1")
    True
    """

    def __init__(self, texts: Mapping[str, Sequence[str]], weights: Mapping[str, float]) -> None:
        self.names = list(texts)
        self.texts = [tuple(texts[n]) for n in self.names]
        if any(not t for t in self.texts):
            raise ValueError("every category needs at least one string")
        w = np.array([weights[n] for n in self.names], np.float64)
        self.p = w / w.sum()

    def draw(self, rng: np.random.Generator, mode: str) -> str:
        k = int(rng.choice(len(self.names), p=self.p))
        items = self.texts[k]
        return items[int(rng.integers(len(items)))]

    def to_config(self) -> dict[str, Any]:
        return {"type": "WeightedText", "weights": dict(zip(self.names, self.p.tolist(), strict=True))}
