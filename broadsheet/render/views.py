"""View objects: what templates receive. The engine's models can change; these stay stable.

Every field is documented in broadsheet/themes/frontier/README.md.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from .. import deferred
from ..config import BreakingNews, CommentsConfig, NewsletterConfig, SiteConfig
from ..content.body import Body
from ..content.model import Article, Author, Category, LiveUpdate, Page, Site, Tag
from ..content.notices import Correction
from ..urls import absolute, base_path, paginated, rebase_html


@dataclass(frozen=True, slots=True)
class Link:
    """A name and a URL (breadcrumbs, navigation, social links)."""

    name: str
    url: str


class RelatedNotReady(Exception):
    """A page looked at a related list before the ranking was done (see :class:`PendingRelated`)."""


class PendingRelated(list):  # type: ignore[type-arg]  # holds nothing, ever
    """Stands for a related list still being ranked: any look at it raises RelatedNotReady.

    A cold build renders the pages that do not show related lists while it ranks them; a page
    that does look (a theme may show them anywhere) is put off until the lists are there.
    """

    def _not_ready(self, *args: object, **kwargs: object) -> Any:
        raise RelatedNotReady

    __iter__ = __len__ = __bool__ = __getitem__ = __contains__ = __reversed__ = _not_ready
    __eq__ = __hash__ = __repr__ = index = count = copy = _not_ready  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[PendingRelated], tuple[()]]:
        # Sent to an executor that pickles (not iterated, which would raise): still pending there.
        return PendingRelated, ()


@dataclass(slots=True)
class ArticleView:
    """An article as templates see it. ``related``, ``prev`` and ``next`` are filled for article pages."""

    title: str
    slug: str
    url: str
    abs_url: str
    date: datetime
    updated: datetime | None
    authors: tuple[Author, ...]
    category: Category
    tags: tuple[Tag, ...]
    summary: str
    body: Body
    """The article's body (see body.py): templates show ``html``."""
    toc: Markup
    words: int
    reading_minutes: int
    image: str | None
    image_alt: str
    image_caption: str
    source: str | None
    source_url: str | None
    featured: bool
    draft: bool
    extra: Mapping[str, Any]
    corrections: tuple[Correction, ...] = ()
    """Dated corrections (``date``, ``text``), oldest first."""
    live: tuple[LiveUpdate, ...] = ()
    """Live updates (``time``, ``title``, ``html``, ``anchor``), newest first."""
    live_ended: datetime | None = None
    """When the live coverage ended; None while it goes on (or for a story that is not live)."""
    views: int | None = None
    """Page views from the site's analytics export; None without one (or with ``show_views: false``)."""
    digest: str = ""
    """Hash of the source file (used for page fingerprints, not meant for display)."""
    dated_only: bool = False
    """Dated by a day without a time (an imported archive's): show ``date`` without a time of day."""
    # Links to other views are left out of the view's repr: every view reaches every other through
    # them, and a repr that followed them would print the site (and take minutes to).
    related: list[ArticleView] = field(default_factory=list, repr=False)
    prev: ArticleView | None = field(default=None, repr=False)
    next: ArticleView | None = field(default=None, repr=False)
    base: str = "/"
    """The path the site is published under: the body's site paths (links, images) are put under it."""

    def __getattr__(self, name: str) -> Any:
        # Only for a field left unset: a kept plan's view filled when first read (see deferred.py).
        return deferred.fill(self, name)

    @property
    def html(self) -> Markup:
        """The rendered body, safe to show as it is, its links under the site's base path."""
        return Markup(rebase_html(self.body.html, self.base) if self.base != "/" else self.body.html)

    @property
    def is_live(self) -> bool:
        """Whether the story is being updated live: it has live updates and its coverage has not ended."""
        return bool(self.live) and self.live_ended is None

    @property
    def last_change(self) -> datetime:
        """The latest of its date, ``updated``, its newest live update and its newest correction."""
        moments = [self.date, *([self.updated] if self.updated else []), *(u.time for u in self.live[:1])]
        moments += [c.date for c in self.corrections[-1:]]
        return max(moments)

    @property
    def author(self) -> Author:
        """The first author, for templates that show one byline."""
        return self.authors[0]


def view_counts(config: SiteConfig) -> Mapping[str, int] | None:
    """The view counts to show in bylines: the analytics export's, unless ``show_views`` is off."""
    a = config.analytics
    return a.views if a.show_views and a.views else None


def most_read(articles: Sequence[ArticleView], config: SiteConfig) -> list[ArticleView]:
    """The ``analytics.most_read`` stories with the most views (ties: the newer first); empty without data."""
    views = config.analytics.views
    if not views or config.analytics.most_read <= 0:
        return []
    counted = [v for v in articles if views.get(v.url, 0) > 0]  # articles come newest first: a stable sort keeps that
    return sorted(counted, key=lambda v: -views[v.url])[: config.analytics.most_read]


def article_view(a: Article, base_url: str, views: Mapping[str, int] | None = None) -> ArticleView:
    """Build the template view of an article (``views``: the counts to show, see :func:`view_counts`)."""
    return ArticleView(
        title=a.title,
        slug=a.slug,
        url=a.url,
        abs_url=absolute(base_url, a.url),
        date=a.date,
        updated=a.updated,
        authors=a.authors,
        category=a.category,
        tags=a.tags,
        summary=a.summary,
        body=a.body,
        toc=Markup(a.toc),
        words=a.words,
        reading_minutes=a.reading_minutes,
        image=a.image,
        image_alt=a.image_alt,
        image_caption=a.image_caption,
        source=a.source_name,
        source_url=a.source_url,
        featured=a.featured,
        draft=a.draft,
        extra=a.extra,
        corrections=a.corrections,
        live=rebased_updates(a.live, base_path(base_url)),
        live_ended=a.live_ended,
        views=views.get(a.url) if views else None,
        digest=a.digest,
        dated_only=a.dated_only,
        base=base_path(base_url),
    )


def rebased_updates(updates: tuple[LiveUpdate, ...], base: str) -> tuple[LiveUpdate, ...]:
    """Live updates with their links and pictures under the site's base path, as the body's are."""
    if base == "/":
        return updates
    return tuple(dataclasses.replace(u, html=rebase_html(u.html, base)) for u in updates)


@dataclass(frozen=True, slots=True)
class PageView:
    """A content page (About, Contact)."""

    title: str
    url: str
    summary: str
    html: Markup
    extra: Mapping[str, Any]
    abs_url: str = ""
    """The page's full URL (its redirects' canonical link); empty when built without the site's URL."""


def page_view(p: Page, base: str = "/", base_url: str = "") -> PageView:
    """Build the template view of a content page (its links under the site's base path ``base``;
    ``base_url``, the site's URL, gives its ``abs_url``)."""
    abs_url = absolute(base_url, p.url) if base_url else ""
    return PageView(p.title, p.url, p.summary, Markup(rebase_html(p.html, base)), p.extra, abs_url)


@dataclass(frozen=True, slots=True)
class Paginator:
    """Where a listing page sits among its pages."""

    number: int
    total: int
    base_url: str
    WINDOW = 2

    @property
    def prev_url(self) -> str | None:
        """URL of the previous page, or None on the first."""
        return paginated(self.base_url, self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        """URL of the next page, or None on the last."""
        return paginated(self.base_url, self.number + 1) if self.number < self.total else None

    def url(self, n: int) -> str:
        """URL of page ``n``."""
        return paginated(self.base_url, n)

    @property
    def pages(self) -> list[tuple[int, str]]:
        """Every page number with its URL (long listings: prefer ``window``)."""
        return [(n, paginated(self.base_url, n)) for n in range(1, self.total + 1)]

    @property
    def window(self) -> list[tuple[int, str] | None]:
        """Numbered links around the current page, first and last; None marks a gap ("…").

        A listing of 1,000 pages links 9 of them, not 1,000: linking every page from every
        page would make a large archive quadratic in size and build time.
        """
        near = set(range(max(1, self.number - self.WINDOW), min(self.total, self.number + self.WINDOW) + 1))
        shown = sorted(near | {1, self.total})
        out: list[tuple[int, str] | None] = []
        for i, n in enumerate(shown):
            if i and n - shown[i - 1] > 1:
                out.append(None)
            out.append((n, paginated(self.base_url, n)))
        return out


def page_count(items: int, per_page: int) -> int:
    """How many listing pages ``items`` need (at least one)."""
    return max(1, math.ceil(items / per_page))


def chunk(items: Sequence[Any], per_page: int) -> list[Sequence[Any]]:
    """Split a listing into pages."""
    return [items[i : i + per_page] for i in range(0, len(items), per_page)] or [items[:0]]


@dataclass(frozen=True, slots=True)
class SiteView:
    """Site-wide values available to every template as ``site``."""

    title: str
    tagline: str
    base_url: str
    language: str
    logo: str | None
    about: str
    copyright: str
    year: int
    now: datetime
    social: tuple[Link, ...]
    categories: tuple[Category, ...]
    pages: tuple[PageView, ...]
    default_author: str
    extra: Mapping[str, Any]
    breaking: BreakingNews | None = None
    """The breaking-news banner (``text``, ``url``, ``label``, ``expires``) while it has not expired."""
    newsletter: NewsletterConfig | None = None
    """The newsletter signup form (``action``, ``method``, ``title``, ``text``, ``button``, ``fields``)."""
    comments: CommentsConfig | None = None
    """The comments embed (``provider``, ``options``); none unless site.yml turns it on."""
    preview: bool = False
    """True only in the live preview: mark drafts and embargoed stories there (see partials/status.html)."""


def site_view(site: Site) -> SiteView:
    """Build the ``site`` variable."""
    c = site.config
    year = site.now.astimezone(c.tz).year
    return SiteView(
        title=c.title,
        tagline=c.tagline,
        base_url=c.base_url,
        language=c.language,
        logo=c.logo,
        about=c.about,
        copyright=c.copyright.replace("{year}", str(year)).replace("{title}", c.title),
        year=year,
        now=site.now,
        social=tuple(Link(s.name, s.url) for s in c.social),
        categories=tuple(cat for cat in site.categories if cat.in_nav or cat.slug in site.by_category),
        pages=tuple(page_view(p, base_path(c.base_url), c.base_url) for p in site.pages),
        default_author=c.default_author,
        extra=c.extra,
        breaking=c.breaking if c.breaking is not None and site.now < c.breaking.expires else None,
        newsletter=c.newsletter,
        comments=c.comments,
        preview=site.preview,
    )
