"""Related articles: the "You may also like" ranking.

The pipeline hands this module one :class:`RelatedDoc` per published article and
gets back, for each article key, the keys of its related articles, best first.
This first version uses a simple rule (shared tags, then same category, then
closeness in time); the ranking can be replaced behind the same seam.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RelatedDoc:
    """What the ranking may know of one article."""

    key: str
    """Unique, stable id of the article (its URL)."""
    slug: str
    title: str
    summary: str
    text: str
    """The body as plain text."""
    tags: tuple[str, ...]
    category: str
    date: datetime
    """Publication time, timezone-aware."""
    pinned: tuple[str, ...] = ()
    """Slugs from front matter ``related:``, shown first in that order."""


@dataclass(frozen=True, slots=True)
class RelatedSettings:
    """How many related articles to pick and how the signals weigh."""

    count: int = 6
    weights: Mapping[str, float] = field(default_factory=dict)


def compute_related(docs: Sequence[RelatedDoc], settings: RelatedSettings) -> dict[str, list[str]]:
    """Return, for every doc key, the keys of its related docs, best first."""
    by_slug = {d.slug: d.key for d in docs}
    by_tag: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        for t in d.tags:
            by_tag[t].append(i)
    result: dict[str, list[str]] = {}
    for i, d in enumerate(docs):
        scores: dict[int, float] = defaultdict(float)
        for t in d.tags:
            for j in by_tag[t]:
                scores[j] += 1.0
        for j, other in enumerate(docs):
            if other.category == d.category:
                scores[j] += 0.5
        scores.pop(i, None)

        def order(j: int, d: RelatedDoc = d) -> tuple[float, float, str]:
            gap = abs((docs[j].date - d.date).total_seconds())
            return (-scores[j], gap, docs[j].key)

        ranked = [docs[j].key for j in sorted(scores, key=order)]
        pinned = [by_slug[s] for s in d.pinned if s in by_slug and by_slug[s] != d.key]
        seen = set(pinned)
        picks = pinned + [k for k in ranked if k not in seen]
        result[d.key] = picks[: settings.count]
    return result
