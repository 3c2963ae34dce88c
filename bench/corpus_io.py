"""Read a folder of Markdown articles into :class:`RelatedDoc` values, for benchmarks.

A small front-matter reader, not the engine's: it splits the ``---`` block,
parses it with PyYAML's C loader and turns the Markdown body into plain text
with a few regular expressions (links, emphasis, headings, quotes, lists),
which is all the ranking looks at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from broadsheet.related.index import RelatedDoc

from .story_corpus import Article

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)|[*_`]+")


# Typographic quotes and dashes become ASCII: one of them in a body makes Python
# store the whole string at two bytes a character, which at 100,000 articles is
# hundreds of MB of memory that the ranking never looks at (it treats them as spaces).
_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-"})


def markdown_to_text(body: str) -> str:
    """Return the readable text of a Markdown body: link texts kept, markup dropped."""
    text = _MARKS.sub("", _LINK.sub(r"\1", body))
    return text.translate(_TYPOGRAPHY) if not text.isascii() else text


def _aware(value: object) -> datetime:
    """Return a front-matter date as an aware datetime (UTC when it has no offset)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_article(path: Path, root: Path) -> RelatedDoc:
    """Read one article file into a RelatedDoc (native or Hugo front matter)."""
    raw = path.read_text(encoding="utf-8")
    _, head, body = raw.split("---\n", 2)
    meta = yaml.load(head, Loader=yaml.CSafeLoader)
    slug = str(meta.get("slug") or path.stem)
    category = meta.get("category")
    if category is None:
        cats = meta.get("categories") or [path.parent.name]
        category = cats[0]
    related = meta.get("related") or []
    return RelatedDoc(
        key="/" + path.relative_to(root).with_suffix("").as_posix() + "/",
        slug=slug,
        title=str(meta["title"]),
        summary=str(meta.get("summary") or ""),
        text=markdown_to_text(body),
        tags=tuple(str(t) for t in meta.get("tags") or ()),
        category=str(category),
        date=_aware(meta["date"]),
        pinned=tuple(str(s) for s in related),
    )


def read_corpus(root: Path) -> list[RelatedDoc]:
    """Read every ``*.md`` under ``root`` (sorted, so runs compare)."""
    return [read_article(p, root) for p in sorted(root.rglob("*.md"))]


def story_docs(articles: Sequence[Article]) -> tuple[list[RelatedDoc], dict[str, int], dict[int, int]]:
    """Return generated story articles as RelatedDocs, with each key's story and each story's size."""
    docs: list[RelatedDoc] = []
    story_of: dict[str, int] = {}
    size_of: dict[int, int] = {}
    for a in articles:
        key = f"/{a.category.lower()}/{a.slug}/"
        docs.append(
            RelatedDoc(
                key=key,
                slug=a.slug,
                title=a.title,
                summary=a.summary,
                text=a.body,
                tags=tuple(a.tags),
                category=a.category,
                date=a.date,
            )
        )
        story_of[key] = a.story
        size_of[a.story] = a.story_size
    return docs, story_of, size_of
