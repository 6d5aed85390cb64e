"""Error analysis: the misclassified examples, reviewed in (overlapping) categories.

Look at what the model gets wrong, group the errors into categories, count them, and spend
the data budget where the errors are — not on "more of everything".
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

__all__ = ["UNTAGGED", "ErrorAnalysis", "wilson_interval"]

#: Category name of reviewed errors that carry no tag.
UNTAGGED = "(untagged)"


def wilson_interval(count: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``count / total``.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(3, 100)]
    [0.0103, 0.0845]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if total <= 0:
        return 0.0, 1.0
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = count / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


class ErrorAnalysis:
    """The misclassified examples of a model, for review and counting by category.

    Parameters
    ----------
    y_true, y_pred : sequences of the same length
        True and predicted labels.
    ids : sequence, optional
        An id per example (default: its position). Ids must be unique.
    seed : int
        Seed of :meth:`sample`.

    Examples
    --------
    >>> ea = ErrorAnalysis([1, 1, 2, 3, 3], [1, 2, 2, 1, 2])
    >>> ea.errors, ea.error_rate
    ([1, 3, 4], 0.6)
    >>> _ = ea.tag("true 3", lambda i: i in (3, 4))
    >>> [(r["category"], r["count"]) for r in ea.report().rows]
    [('true 3', 2), ('(untagged)', 1)]
    """

    def __init__(self, y_true: Sequence[Any], y_pred: Sequence[Any], ids: Sequence[Hashable] | None = None,
                 seed: int = 0) -> None:
        t, p = list(y_true), list(y_pred)
        if len(t) != len(p):
            raise ValueError(f"y_true and y_pred must have the same length, got {len(t)} and {len(p)}")
        if not t:
            raise ValueError("y_true and y_pred are empty: there is nothing to analyse")
        ids = list(range(len(t))) if ids is None else list(ids)
        if len(ids) != len(t):
            raise ValueError(f"ids must have one id per example: got {len(ids)} ids for {len(t)} examples")
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be unique")
        self.total = len(t)
        self.seed = int(seed)
        self.y_true = dict(zip(ids, t, strict=True))
        self.y_pred = dict(zip(ids, p, strict=True))
        self.errors: list[Hashable] = [i for i, a, b in zip(ids, t, p, strict=True) if a != b]
        self._error_set = set(self.errors)
        self.reviewed: list[Hashable] = list(self.errors)
        self.tags: dict[Hashable, set[str]] = {i: set() for i in self.errors}

    @property
    def error_rate(self) -> float:
        """Misclassified fraction of all examples."""
        return len(self.errors) / self.total

    def sample(self, k: int = 100) -> list[Hashable]:
        """Draw ``k`` misclassified examples for manual review (reproducible from ``seed``).

        The report then counts over this sample. With ``k`` >= the number of errors, all are kept.

        Examples
        --------
        >>> ea = ErrorAnalysis([0] * 10, [1] * 8 + [0] * 2, seed=0)
        >>> picked = ea.sample(3)
        >>> len(picked), picked == ErrorAnalysis([0] * 10, [1] * 8 + [0] * 2, seed=0).sample(3)
        (3, True)
        """
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        if not self.errors:
            raise ValueError("there are no misclassified examples to sample")
        rng = np.random.default_rng(self.seed)
        picked = np.sort(rng.choice(len(self.errors), size=min(k, len(self.errors)), replace=False))
        self.reviewed = [self.errors[j] for j in picked]
        return list(self.reviewed)

    def tag(self, category: str, predicate: Callable[[Hashable], bool]) -> int:
        """Tag every misclassified example for which ``predicate(id)`` is true; return how many."""
        self._check_category(category)
        hits = 0
        for i in self.errors:
            if predicate(i):
                self.tags[i].add(category)
                hits += 1
        return hits

    def load_tags(self, path: str | os.PathLike) -> int:
        """Read tags written during review: CSV rows ``id,tag1;tag2`` (a header row ``id,tags`` is
        allowed) or JSON lines ``{"id": ..., "tags": [...]}``. Returns the number of tagged ids.

        Ids are matched as text; an id that is not a misclassified example is an error.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "tags.csv")
        >>> with open(path, "w") as fh:
        ...     fh.writelines(line + "\\n" for line in ["id,tags", "1,blurry;dark", "3,dark"])
        >>> ea = ErrorAnalysis([0, 0, 1, 1], [0, 1, 1, 0])
        >>> ea.load_tags(path), ea.categories()
        (2, {'blurry': [1], 'dark': [1, 3]})
        """
        name = os.fspath(path)
        by_text = {str(i): i for i in self.errors}
        entries: list[tuple[str, list[str]]] = []
        with open(name, encoding="utf-8", newline="") as fh:
            if name.endswith((".jsonl", ".json")):
                for n, line in enumerate(fh, 1):
                    if line.strip():
                        rec = json.loads(line)
                        if "id" not in rec or not isinstance(rec.get("tags", []), list):
                            raise ValueError(f"{name}:{n}: expected {{'id': ..., 'tags': [...]}}, got {line.strip()}")
                        entries.append((str(rec["id"]), [str(t) for t in rec.get("tags", [])]))
            else:
                for n, row in enumerate(csv.reader(fh), 1):
                    if not row or (n == 1 and row[0].strip().lower() == "id"):
                        continue
                    tags = row[1].split(";") if len(row) > 1 else []
                    entries.append((row[0].strip(), [t.strip() for t in tags if t.strip()]))
        unknown = [i for i, _ in entries if i not in by_text]
        if unknown:
            raise ValueError(f"{name}: {len(unknown)} id(s) are not misclassified examples, e.g. {unknown[:3]}")
        for i, tags in entries:
            for t in tags:
                self._check_category(t)
                self.tags[by_text[i]].add(t)
        return len(entries)

    @staticmethod
    def _check_category(category: str) -> None:
        if not isinstance(category, str) or not category.strip() or category == UNTAGGED:
            raise ValueError(f"category must be a non-empty name other than {UNTAGGED!r}, got {category!r}")

    def categories(self) -> dict[str, list[Hashable]]:
        """Reviewed errors per category (an example may be in several); untagged ones last.

        Examples
        --------
        >>> ea = ErrorAnalysis([0, 0, 1, 1], [1, 1, 0, 0])
        >>> ea.tag("first two", lambda i: i < 2)
        2
        >>> ea.categories()
        {'first two': [0, 1], '(untagged)': [2, 3]}
        """
        out: dict[str, list[Hashable]] = {}
        for i in self.reviewed:
            for t in sorted(self.tags[i]) or [UNTAGGED]:
                out.setdefault(t, []).append(i)
        return out

    def report(self, confidence: float = 0.95) -> Any:
        """Counts per category with Wilson intervals, largest first (see :class:`Report`)."""
        from .report import Report

        return Report.from_analysis(self, confidence)

    def plan(self, budget: int, **kwargs: Any) -> Any:
        """A data plan spreading ``budget`` new examples over the categories (see :class:`DataPlan`).

        Keyword arguments go to :meth:`DataPlan.from_report` (``categories``, ``min_count``,
        ``include_untagged``).

        Examples
        --------
        >>> ea = ErrorAnalysis([0, 0, 0, 1], [1, 1, 1, 0])
        >>> ea.tag("class 0", lambda i: i < 3), ea.tag("class 1", lambda i: i == 3)
        (3, 1)
        >>> ea.plan(budget=10).counts
        {'class 0': 8, 'class 1': 2}
        """
        from .plan import DataPlan

        return DataPlan.from_report(self.report(), budget, **kwargs)
