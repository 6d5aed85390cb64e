"""The error-analysis report: a table per category, as Markdown or HTML (thumbnails, a plot)."""

from __future__ import annotations

import base64
import html
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import UNTAGGED, ErrorAnalysis, wilson_interval

__all__ = ["Report"]


@dataclass
class Report:
    """Rows ``category, count, share, ci_low, ci_high, max_accuracy_gain``, largest count first.

    ``share`` is the category's fraction of the reviewed errors (all misclassified examples, or
    the drawn sample), with its Wilson interval: the most of all errors that fixing the
    category could remove. ``max_accuracy_gain`` is the most that fixing
    every error of the category could add to accuracy (``share * error_rate``): "3 of 100
    errors" reads as a small ceiling. Categories overlap, so shares can add up to more than 1.

    Made by :meth:`ErrorAnalysis.report`; render with :meth:`to_markdown` or :meth:`to_html`.

    Examples
    --------
    >>> from augkit.analysis import ErrorAnalysis
    >>> y_true = [0, 0, 1, 1, 1]
    >>> ea = ErrorAnalysis(y_true, y_pred=[0, 1, 0, 1, 0])
    >>> ea.tag("true 1", lambda i: y_true[i] == 1)
    2
    >>> report = ea.report()
    >>> report.errors, report.rows[0]["category"], report.rows[0]["count"]
    (3, 'true 1', 2)
    """

    rows: list[dict[str, Any]]
    reviewed: int
    errors: int
    total: int
    confidence: float
    members: dict[str, list[Hashable]] = field(default_factory=dict)
    message: str = ""

    @classmethod
    def from_analysis(cls, ea: ErrorAnalysis, confidence: float = 0.95) -> Report:
        if not 0 < confidence < 1:
            raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
        if not ea.errors:
            return cls([], 0, 0, ea.total, confidence,
                       message=f"no misclassified examples among {ea.total}: nothing to analyse")
        members = ea.categories()
        n = len(ea.reviewed)
        rows = []
        for name, ids in members.items():
            lo, hi = wilson_interval(len(ids), n, confidence)
            share = len(ids) / n
            rows.append({"category": name, "count": len(ids), "share": share, "ci_low": lo, "ci_high": hi,
                         "max_accuracy_gain": share * ea.error_rate})
        rows.sort(key=lambda r: (r["category"] == UNTAGGED, -r["count"], r["category"]))
        note = "" if n == len(ea.errors) else f" (a random sample of {n} of the {len(ea.errors)} errors)"
        msg = f"{len(ea.errors)} misclassified of {ea.total} ({ea.error_rate:.1%}); reviewed {n}{note}"
        return cls(rows, n, len(ea.errors), ea.total, confidence, members, msg)

    def to_markdown(self) -> str:
        """The table as Markdown.

        Examples
        --------
        >>> ea = ErrorAnalysis([0, 0, 1, 1], [1, 0, 0, 1])
        >>> _ = ea.tag("true 0", lambda i: i == 0)
        >>> print(ea.report().to_markdown().splitlines()[2])
        | category | count | share of errors (most that fixing it removes) | 95% interval | max accuracy gain |
        """
        lines = [self.message, ""]
        if not self.rows:
            return "\n".join(lines)
        pct = round(self.confidence * 100)
        lines += [f"| category | count | share of errors (most that fixing it removes) | {pct}% interval "
                  "| max accuracy gain |", "|---|---|---|---|---|"]
        for r in self.rows:
            lines.append(f"| {r['category']} | {r['count']} of {self.reviewed} | {r['share']:.1%} | "
                         f"{r['ci_low']:.1%} - {r['ci_high']:.1%} | {r['max_accuracy_gain']:.2%} |")
        return "\n".join(lines) + "\n"

    def to_html(self, images: Mapping[Hashable, np.ndarray] | None = None, thumbnails: int = 6) -> str:
        """A self-contained HTML page: a bar chart with intervals (SVG), the table, and up to
        ``thumbnails`` example images per category when ``images`` maps ids to arrays.

        Examples
        --------
        >>> from augkit.analysis import ErrorAnalysis
        >>> ea = ErrorAnalysis([0, 0, 1], [1, 1, 0])
        >>> _ = ea.tag("zeros", lambda i: i < 2)
        >>> page = ea.report().to_html(images={0: np.zeros((8, 8), np.uint8)})
        >>> page.startswith("<!doctype html>"), "<svg" in page, page.count("<img")
        (True, True, 1)
        """
        parts = ["<!doctype html><meta charset='utf-8'><title>Error analysis</title>",
                 "<style>body{font-family:sans-serif} td,th{padding:2px 8px;text-align:left}"
                 " img{image-rendering:pixelated;margin:1px;border:1px solid #ccc}</style>",
                 f"<p>{html.escape(self.message)}</p>"]
        if not self.rows:
            return "\n".join(parts)
        parts.append(self._svg())
        pct = round(self.confidence * 100)
        parts.append(f"<table><tr><th>category</th><th>count</th><th>share</th><th>{pct}% interval</th>"
                     "<th>max accuracy gain</th><th>examples</th></tr>")
        for r in self.rows:
            thumbs = ""
            if images is not None:
                ids = self.members.get(r["category"], [])[:thumbnails]
                thumbs = "".join(_thumbnail(images[i], i) for i in ids if i in images)
            parts.append(f"<tr><td>{html.escape(r['category'])}</td><td>{r['count']} of {self.reviewed}</td>"
                         f"<td>{r['share']:.1%}</td><td>{r['ci_low']:.1%} - {r['ci_high']:.1%}</td>"
                         f"<td>{r['max_accuracy_gain']:.2%}</td><td>{thumbs}</td></tr>")
        parts.append("</table>")
        return "\n".join(parts)

    def _svg(self, width: int = 520, bar_h: int = 18) -> str:
        label_w, plot_w = 160, width - 200
        h = bar_h * len(self.rows) + 24
        out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}' font-size='11'>"]
        for j, r in enumerate(self.rows):
            y = 4 + j * bar_h
            w = r["share"] * plot_w
            lo, hi = label_w + r["ci_low"] * plot_w, label_w + r["ci_high"] * plot_w
            out.append(f"<text x='0' y='{y + 12}'>{html.escape(r['category'][:24])}</text>"
                       f"<rect x='{label_w}' y='{y + 2}' width='{w:.1f}' height='{bar_h - 6}' fill='#4a7ebb'/>"
                       f"<line x1='{lo:.1f}' x2='{hi:.1f}' y1='{y + bar_h / 2:.1f}' y2='{y + bar_h / 2:.1f}' "
                       f"stroke='black'/>"
                       f"<text x='{label_w + plot_w + 6}' y='{y + 12}'>{r['share']:.0%}</text>")
        out.append(f"<text x='{label_w}' y='{h - 4}'>share of reviewed errors (bars) with "
                   f"{round(self.confidence * 100)}% intervals</text></svg>")
        return "".join(out)


def _thumbnail(image: np.ndarray, key: Hashable, size: int = 48) -> str:
    from PIL import Image

    from ..synth.dataset import encode_png

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        top = float(arr.max()) if arr.size and arr.max() > 1 else 1.0
        arr = np.clip(np.rint(arr / top * 255), 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    h, w = arr.shape[:2]
    scale = max(1, size // max(h, w))
    if scale > 1:
        arr = np.asarray(Image.fromarray(arr).resize((w * scale, h * scale), Image.Resampling.NEAREST))
    data = base64.b64encode(encode_png(arr)).decode("ascii")
    return f"<img title='{html.escape(str(key))}' src='data:image/png;base64,{data}'>"
