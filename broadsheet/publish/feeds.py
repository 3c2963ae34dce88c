"""RSS 2.0 feeds: the whole site at ``/feed.xml``, each category at ``/category/<slug>/feed.xml``.

Feeds are built by the engine, not by theme templates: they are a machine format with a
fixed schema, nothing in them is presentation, and building them with ElementTree (every text
cleaned of characters XML cannot hold) keeps them well-formed whatever a theme or a headline
does. A theme changes how pages look; it cannot break a reader's subscription.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime

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


def rss_feed(site: Site, articles: Sequence[Article], feed_url: str, title: str, description: str, link: str) -> bytes:
    """One RSS 2.0 document holding the newest ``feeds.count`` of ``articles`` (newest first)."""
    config = site.config
    items = list(articles[: config.feeds.count])
    rss = ET.Element("rss", {"version": "2.0"})
    channel = element(rss, "channel")
    element(channel, "title", title)
    element(channel, "link", absolute(config.base_url, link))
    element(channel, "description", description or title)
    element(channel, "language", config.language)
    element(channel, "generator", "Broadsheet")
    element(
        channel,
        f"{{{ATOM_NS}}}link",
        attrs={"href": absolute(config.base_url, feed_url), "rel": "self", "type": "application/rss+xml"},
    )
    if items:
        # The newest change, not the clock: an unchanged site gives a byte-identical feed.
        element(channel, "lastBuildDate", rfc822_datetime(max(modified(a) for a in items)))
    for a in items:
        item = element(channel, "item")
        url = absolute(config.base_url, a.url)
        element(item, "title", a.title)
        element(item, "link", url)
        element(item, "guid", url, {"isPermaLink": "true"})
        element(item, "pubDate", rfc822_datetime(a.date))
        for author in a.authors:
            element(item, f"{{{DC_NS}}}creator", author.name)
        element(item, "category", a.category.name)
        for tag in a.tags:
            element(item, "category", tag.name)
        element(item, "description", a.summary)
        if config.feeds.full_text:
            element(item, f"{{{CONTENT_NS}}}encoded", absolutize_html(a.html, config.base_url))
    return to_bytes(rss)


def feed_files(site: Site) -> list[OutputFile]:
    """The site feed and one feed per category, as output files."""
    config = site.config
    files = [
        OutputFile(
            SITE_FEED.lstrip("/"),
            "RSS feed",
            rss_feed(site, site.articles, SITE_FEED, config.title, config.tagline, "/"),
        )
    ]
    for c in site.categories:
        url = category_feed_url(c)
        title = f"{c.name} – {config.title}"
        data = rss_feed(site, site.by_category.get(c.slug, ()), url, title, c.description, c.url)
        files.append(OutputFile(url.lstrip("/"), f"RSS feed of category '{c.name}'", data))
    return files


def feeds_key(site: Site) -> str:
    """Hash of everything :func:`feed_files` reads: equal keys give the same feeds.

    An article's body is there by its source file's hash (with the code version and site.yml's
    ``sanitize``, all its HTML depends on). Keep this in step with :func:`rss_feed`.
    """
    config = site.config
    count = config.feeds.count
    parts = [
        repr(
            (
                config.base_url,
                config.language,
                config.title,
                config.tagline,
                config.feeds,
                config.sanitize,
                site.categories,
            )
        )
    ]
    for articles in (site.articles, *(site.by_category.get(c.slug, ()) for c in site.categories)):
        parts += [
            repr((a.url, a.title, a.date, a.updated, a.authors, a.category, a.tags, a.summary, a.digest))
            for a in articles[:count]
        ]
        parts.append("|")
    return hashlib.blake2b("\n".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
