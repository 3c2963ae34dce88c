"""The site as the engine sees it: immutable values assembled by library.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .. import deferred
from ..config import SiteConfig
from .body import Body, WithBody
from .notices import Correction


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """One entry of a live story: its time, optional title, and its text as HTML."""

    time: datetime
    title: str
    html: str

    @property
    def anchor(self) -> str:
        """The entry's fragment id, from its time: stable across builds."""
        return "update-" + self.time.strftime("%Y%m%d-%H%M%S")


@dataclass(frozen=True, slots=True)
class Author:
    """A byline: from site.yml when known there, otherwise from the name alone."""

    slug: str
    name: str
    url: str
    bio: str = ""
    avatar: str | None = None
    role: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    """A section of the paper."""

    slug: str
    name: str
    url: str
    description: str = ""
    in_nav: bool = True


@dataclass(frozen=True, slots=True)
class Tag:
    """A keyword shared by articles."""

    slug: str
    name: str
    url: str


PLACES: Mapping[str, bool] = MappingProxyType({"places": True})
"""Metadata of the :class:`Article` fields the plan of a site's pages reads: which pages there are,
which articles each shows and in which order (the site's groups, its order, the front page's lead,
the archive's months, the redirect pages). An edit that changes none of them moves nothing: the
preview updates the article's view in place (see plan.edit_plan). A field a listing, the front page
or the archive is made from must carry it: tests/test_plan.py changes every other field and checks
that no other page is planned differently."""


@dataclass(frozen=True, slots=True)
class Article(WithBody):
    """One published (or previewed) article with its rendered body."""

    source: str
    """Path relative to the site folder, for messages."""
    title: str
    slug: str = field(metadata=PLACES)
    url: str = field(metadata=PLACES)
    date: datetime = field(metadata=PLACES)
    authors: tuple[Author, ...] = field(metadata=PLACES)
    category: Category = field(metadata=PLACES)
    tags: tuple[Tag, ...] = field(metadata=PLACES)
    summary: str
    body: Body
    """The rendered HTML and plain text (read from the cache when first used: see body.py)."""
    toc: str
    words: int
    reading_minutes: int
    updated: datetime | None = None
    expires: datetime | None = None
    image: str | None = None
    image_alt: str = ""
    image_caption: str = ""
    source_name: str | None = None
    source_url: str | None = None
    draft: bool = False
    featured: bool = field(default=False, metadata=PLACES)
    pinned: tuple[str, ...] = ()
    aliases: tuple[str, ...] = field(default=(), metadata=PLACES)
    corrections: tuple[Correction, ...] = ()
    """Dated corrections, oldest first."""
    live: tuple[LiveUpdate, ...] = ()
    """Live updates, newest first, their text rendered."""
    live_ended: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    digest: str = ""
    """Hash of the source file's bytes: with the URL and resolved names, all a page shows of it."""
    dated_only: bool = False
    """Dated by a day without a time: pages show the day alone (see FrontMatter.dated_only)."""

    def __getattr__(self, name: str) -> Any:
        # Only for a field left unset: a kept plan's article filled when first read (see deferred.py).
        return deferred.fill(self, name)


PLACEMENT_FIELDS = tuple(f.name for f in fields(Article) if f.metadata.get("places"))
"""The names of the Article fields marked :data:`PLACES`, in field order."""


def placement(a: Article) -> tuple[Any, ...]:
    """What the plan reads of an article (the fields marked :data:`PLACES`): two versions of an
    article with equal placements sit at the same places among the same pages."""
    return tuple(getattr(a, name) for name in PLACEMENT_FIELDS)


@dataclass(frozen=True, slots=True)
class Page:
    """A content page such as About or Contact."""

    source: str
    title: str
    slug: str
    url: str
    summary: str
    html: str
    text: str
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    aliases: tuple[str, ...] = ()
    """Old URLs that redirect to the page (front matter ``aliases``), as for articles."""


@dataclass(frozen=True, slots=True)
class Site:
    """Everything the render stage needs, sorted and grouped once."""

    config: SiteConfig
    now: datetime
    articles: tuple[Article, ...]
    """Newest first."""
    pages: tuple[Page, ...]
    categories: tuple[Category, ...]
    """Navigation order: site.yml order, then categories found only in content."""
    tags: tuple[Tag, ...]
    authors: tuple[Author, ...]
    by_category: Mapping[str, tuple[Article, ...]]
    by_tag: Mapping[str, tuple[Article, ...]]
    by_author: Mapping[str, tuple[Article, ...]]
    related: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Article URL → related article URLs, best first."""
    preview: bool = False
    """Built for the live preview: templates mark drafts and embargoed stories (never in a build)."""
