"""When will the published site next change by itself? An embargo lifting or an article expiring.

A static site does not change at midnight unless something rebuilds it: ``broadsheet schedule``
tells a cron job or CI the exact moment, with the file responsible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .frontmatter import Document

PUBLISH = "publish"
EXPIRE = "expire"
UNFEATURE = "unfeature"


@dataclass(frozen=True, slots=True)
class Change:
    """A moment the site changes: ``kind`` is "publish" (embargo lifts), "expire" or "unfeature"
    (a featured story leaves the front page's lead)."""

    when: datetime
    kind: str
    source: str
    title: str


def scheduled_changes(documents: Iterable[Document], now: datetime, featured_days: float | None = None) -> list[Change]:
    """Every future publication or expiry that a rebuild would show, soonest first.

    Drafts wait for a person, not a clock, so they never count; neither does an article that
    expires before its embargo lifts (it is never seen).
    """
    changes: list[Change] = []
    for doc in documents:
        meta = doc.meta
        if doc.source.is_page or meta.draft or meta.date is None:
            continue
        seen = meta.expires is None or meta.expires > meta.date
        if meta.date > now and seen:
            changes.append(Change(meta.date, PUBLISH, doc.source.rel, meta.title))
        if meta.expires is not None and meta.expires > now and seen:
            changes.append(Change(meta.expires, EXPIRE, doc.source.rel, meta.title))
        if meta.featured and featured_days is not None and seen:
            ends = meta.featured_until or meta.date + timedelta(days=featured_days)
            if ends > now and ends > meta.date and (meta.expires is None or ends < meta.expires):
                changes.append(Change(ends, UNFEATURE, doc.source.rel, meta.title))
    return sorted(changes, key=lambda c: (c.when, c.source, c.kind))


def next_changes(changes: list[Change]) -> list[Change]:
    """The changes that happen together at the soonest moment (empty when nothing is scheduled)."""
    return [c for c in changes if c.when == changes[0].when] if changes else []
