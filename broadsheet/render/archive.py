"""The archive: articles grouped by month of publication, in the site's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from ..content.model import Article

ARCHIVE_URL = "/archive/"


@dataclass(frozen=True, slots=True)
class ArchiveMonth:
    """One month of the archive: ``start`` is its first instant in the site's time zone."""

    year: int
    month: int
    start: datetime
    count: int

    @property
    def url(self) -> str:
        """``/archive/YYYY/MM/``."""
        return f"{ARCHIVE_URL}{self.year:04d}/{self.month:02d}/"


def group_by_month(articles: Sequence[Article], tz: tzinfo) -> list[tuple[ArchiveMonth, list[Article]]]:
    """Group articles (newest first) by their month in ``tz``; newest month first, order kept inside."""
    groups: dict[tuple[int, int], list[Article]] = {}
    for a in articles:
        local = a.date.astimezone(tz)
        groups.setdefault((local.year, local.month), []).append(a)
    return [
        (ArchiveMonth(y, m, datetime(y, m, 1, tzinfo=tz), len(items)), items)
        for (y, m), items in sorted(groups.items(), reverse=True)
    ]
