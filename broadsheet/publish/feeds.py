"""RSS 2.0 feeds: the whole site at ``/feed.xml``, each category at ``/category/<slug>/feed.xml``.

Feeds are built by the engine, not by theme templates: they are a machine format with a
fixed schema, nothing in them is presentation, and building them with ElementTree (every text
cleaned of characters XML cannot hold) keeps them well-formed whatever a theme or a headline
does. A theme changes how pages look; it cannot break a reader's subscription.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..content.body import Body
from ..content.bodystore import load_bodies
from ..content.model import Article, Category, Site
from ..outputs import OutputFile
from ..urls import absolute
from .xmltext import absolutize_html, element, rfc822_datetime, to_bytes

SITE_FEED = "/feed.xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
for _prefix, _uri in (("atom", ATOM_NS), ("content", CONTENT_NS), ("dc", DC_NS)):
    ET.register_namespace(_prefix, _uri)


def category_feed_url(category: Category) -> str:
    """The feed of one category: ``/category/<slug>/feed.xml``."""
    return f"{category.url}feed.xml"


def modified(article: Article) -> datetime:
    """When an article last changed: its ``updated`` time, else its publication time."""
    return article.updated or article.date


@dataclass(frozen=True, slots=True)
class FeedItem:
    """What a feed shows of one article."""

    url: str
    title: str
    date: datetime
    updated: datetime | None
    authors: tuple[str, ...]
    category: str
    tags: tuple[str, ...]
    summary: str
    digest: str
    """Hash of the article's source file: stands for its body in the key (see incremental/keys.py)."""
    body: Body = field(repr=False, compare=False)
    """The rendered body, read only by a full-text feed."""


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed: where it goes and the newest ``feeds.count`` of its articles, newest first."""

    url: str
    source: str
    title: str
    description: str
    link: str
    items: tuple[FeedItem, ...]


@dataclass(frozen=True, slots=True)
class FeedsInput:
    """Everything the feeds are made from, and nothing else: its key says when they are the same."""

    base_url: str
    language: str
    full_text: bool
    sanitize: bool
    """The bodies' HTML depends on it (and on the code's version, which the cache is kept under)."""
    feeds: tuple[Feed, ...]


def _item(a: Article) -> FeedItem:
    return FeedItem(
        a.url,
        a.title,
        a.date,
        a.updated,
        tuple(author.name for author in a.authors),
        a.category.name,
        tuple(tag.name for tag in a.tags),
        a.summary,
        a.digest,
        a.body,
    )


def feeds_input(site: Site) -> FeedsInput:
    """The site feed and one feed per category, as the values they are made from."""
    config = site.config
    count = config.feeds.count

    def feed(url: str, source: str, title: str, description: str, link: str, articles: Sequence[Article]) -> Feed:
        return Feed(url, source, title, description or title, link, tuple(_item(a) for a in articles[:count]))

    feeds = [feed(SITE_FEED, "RSS feed", config.title, config.tagline, "/", site.articles)]
    for c in site.categories:
        title = f"{c.name} – {config.title}"
        articles = site.by_category.get(c.slug, ())
        feeds.append(
            feed(category_feed_url(c), f"RSS feed of category '{c.name}'", title, c.description, c.url, articles)
        )
    return FeedsInput(config.base_url, config.language, config.feeds.full_text, config.sanitize, tuple(feeds))


def rss_feed(given: FeedsInput, feed: Feed) -> bytes:
    """One RSS 2.0 document."""
    base_url = given.base_url
    rss = ET.Element("rss", {"version": "2.0"})
    channel = element(rss, "channel")
    element(channel, "title", feed.title)
    element(channel, "link", absolute(base_url, feed.link))
    element(channel, "description", feed.description)
    element(channel, "language", given.language)
    element(channel, "generator", "Broadsheet")
    element(
        channel,
        f"{{{ATOM_NS}}}link",
        attrs={"href": absolute(base_url, feed.url), "rel": "self", "type": "application/rss+xml"},
    )
    if feed.items:
        # The newest change, not the clock: an unchanged site gives a byte-identical feed.
        element(channel, "lastBuildDate", rfc822_datetime(max(i.updated or i.date for i in feed.items)))
    for i in feed.items:
        item = element(channel, "item")
        url = absolute(base_url, i.url)
        element(item, "title", i.title)
        element(item, "link", url)
        element(item, "guid", url, {"isPermaLink": "true"})
        element(item, "pubDate", rfc822_datetime(i.date))
        for author in i.authors:
            element(item, f"{{{DC_NS}}}creator", author)
        element(item, "category", i.category)
        for tag in i.tags:
            element(item, "category", tag)
        element(item, "description", i.summary)
        if given.full_text:
            element(item, f"{{{CONTENT_NS}}}encoded", absolutize_html(i.body.html, base_url))
    return to_bytes(rss)


def render_feeds(given: FeedsInput) -> list[OutputFile]:
    """The feeds as output files, made from their input alone (full-text feeds load their stories' bodies)."""
    if given.full_text:
        load_bodies(item.body for feed in given.feeds for item in feed.items)
    return [OutputFile(feed.url.lstrip("/"), feed.source, rss_feed(given, feed)) for feed in given.feeds]


def feed_files(site: Site) -> list[OutputFile]:
    """The site feed and one feed per category, as output files."""
    return render_feeds(feeds_input(site))
