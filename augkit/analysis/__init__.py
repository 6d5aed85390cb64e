"""From error analysis to targeted data: count what the model gets wrong, then plan new data.

:class:`ErrorAnalysis` holds the misclassified examples (``sample`` for manual review, ``tag``
by predicate or ``load_tags`` from a review file); ``report()`` counts categories with Wilson
intervals (Markdown, HTML with thumbnails and a plot); ``plan(budget)`` turns the counts into a
:class:`DataPlan` for augmentation, a :class:`WeightedSampler` or synthesis (:class:`WeightedText`).
Guide: ``docs/analysis.md``.
"""

from .errors import UNTAGGED, ErrorAnalysis, wilson_interval
from .plan import DataPlan, WeightedSampler, WeightedText
from .report import Report

__all__ = ["UNTAGGED", "DataPlan", "ErrorAnalysis", "Report", "WeightedSampler", "WeightedText", "wilson_interval"]
