"""What a newsroom adds to a story after it is published: corrections and live updates.

Front matter::

    corrections:
      - date: 2026-11-28T10:00
        text: "An earlier version gave the river's height as 4.2 m; it was 3.2 m."
    live:                      # newest or oldest first: shown newest first
      - time: 2026-11-28T09:05
        title: "Water over the bridge"      # optional
        text: "The **Corran** is over the old bridge at Millbrook."   # Markdown
    live_ended: 2026-11-28T18:00           # optional: the coverage is over

Read here into plain values (they are cached with the parse, so they must pickle); the live
updates' Markdown is turned into HTML when the site is assembled (see library.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

NOTICE_KEYS = ("corrections", "live", "live_ended")


@dataclass(frozen=True, slots=True)
class Correction:
    """A dated correction to a published story."""

    date: datetime
    text: str


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """One timestamped entry of a live story, as written (``text`` is Markdown)."""

    time: datetime
    text: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Notices:
    """An article's corrections (oldest first) and live entries (newest first)."""

    corrections: tuple[Correction, ...] = ()
    live: tuple[LiveEntry, ...] = ()
    live_ended: datetime | None = None


Fail = Callable[[str, str, str | None], None]


def read_notices(
    data: dict[str, Any], tz: ZoneInfo, fail: Fail, parse_date: Callable[[str | date, ZoneInfo], datetime]
) -> Notices:
    """Read ``corrections``, ``live`` and ``live_ended`` from front matter; report each problem with ``fail``."""

    def when(key: str, value: Any, what: str) -> datetime | None:
        if isinstance(value, bool) or not isinstance(value, (str, date)):
            fail(key, f"{what} needs a date like 2026-11-29T09:30, not {value!r}", "write it as ISO 8601")
            return None
        try:
            return parse_date(value, tz)
        except ValueError as exc:
            fail(key, f"{what} has an invalid date {value!r} ({exc})", "use ISO 8601: 2026-11-29T09:30:00")
            return None

    def entries(key: str, stamp: str, example: str) -> list[tuple[datetime, str, str]]:
        raw = data.get(key)
        if raw is None:
            return []
        if not isinstance(raw, list):
            fail(key, f"'{key}' must be a list of entries, not {type(raw).__name__}", f"write {key}:\n  - {example}")
            return []
        out = []
        for i, item in enumerate(raw, start=1):
            what = f"'{key}' entry {i}"
            if not isinstance(item, dict):
                fail(key, f"{what} must be a mapping with {stamp} and text, not {item!r}", f"write - {example}")
                continue
            unknown = sorted(str(k) for k in item if k not in (stamp, "text", "title"))
            if unknown:
                fail(key, f"{what} has unknown key(s) {', '.join(unknown)}", f"use {stamp}, text and title")
            text = item.get("text")
            if not isinstance(text, str) or not text.strip():
                fail(key, f"{what} needs text", 'add text: "..." (quote it if it holds ": ")')
                continue
            title = item.get("title", "")
            if not isinstance(title, str):
                fail(key, f"{what} has a title that is not text: {title!r}", "put the title in quotes")
                title = ""
            if stamp not in item:
                fail(key, f"{what} has no {stamp}", f"add {stamp}: 2026-11-29T09:30")
                continue
            moment = when(key, item[stamp], what)
            if moment is not None:
                out.append((moment, text.strip(), title.strip()))
        return out

    corrections = sorted(
        entries("corrections", "date", 'date: 2026-11-29T09:30, text: "An earlier version said ..."'),
        key=lambda e: e[0],
    )
    live = sorted(entries("live", "time", 'time: 2026-11-29T09:30, text: "What happened"'), key=lambda e: e[0])
    ended = data.get("live_ended")
    return Notices(
        corrections=tuple(Correction(d, t) for d, t, _ in corrections),
        live=tuple(LiveEntry(d, t, title) for d, t, title in reversed(live)),
        live_ended=when("live_ended", ended, "'live_ended'") if ended is not None else None,
    )
