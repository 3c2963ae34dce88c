"""Sitemaps for search engines: ``/sitemap.xml`` (split past 50,000 URLs), ``/news-sitemap.xml``
in the Google News format, and ``/robots.txt`` pointing to both.

The sitemap lists the pages the render stage planned, so it can never name a page that was
not built (nor leave one out): redirects, the 404 page and the search page are not listed.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..content.model import Site
from ..outputs import OutputFile, PageJob
from ..urls import absolute
from .feeds import modified
from .xmltext import element, to_bytes, w3c_datetime

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
ET.register_namespace("news", NEWS_NS)

#: The sitemap protocol's limit of URLs per file.
SITEMAP_LIMIT = 50_000
#: Google News reads articles published in the last two days, at most 1,000 per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1_000
#: Pages that are not content of their own: redirects, the error page, the search form.
NOT_IN_SITEMAP = frozenset({"alias.html", "404.html", "search.html"})


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One URL of the sitemap and when its content last changed (None when unknown)."""

    loc: str
    lastmod: datetime | None


@dataclass(frozen=True, slots=True)
class SitemapsInput:
    """Everything the sitemaps are made from (see :func:`sitemap_files`), and nothing else: its key
    says when they are the same."""

    base_url: str
    pages: tuple[tuple[str, datetime | None], ...]
    """Each page listed: its URL (site path) and when its content last changed."""

    def key(self) -> str:
        """The hash of the input, made for its one shape: a large site lists hundreds of thousands of
        pages, which the generic key (incremental.keys.key_of) takes four times as long to hash.
        Each page as its URL and its time in ISO form, one line each (neither holds a newline)."""
        h = hashlib.blake2b(self.base_url.encode("utf-8", "surrogatepass"), digest_size=16)
        lines = "\n".join(f"{url}\t{'' if when is None else when.isoformat()}" for url, when in self.pages)
        h.update(lines.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def entries(self) -> list[SitemapEntry]:
        """The sitemap's entries, each page's URL made absolute."""
        return [SitemapEntry(absolute(self.base_url, url), when) for url, when in self.pages]


def sitemap_pages(site: Site, jobs: Sequence[PageJob]) -> SitemapsInput:
    """Every planned page worth indexing, with the newest change among the articles it shows."""
    changed = {a.url: modified(a) for a in site.articles}
    when = changed.get
    pages: list[tuple[str, datetime | None]] = []
    for job in jobs:
        if job.template in NOT_IN_SITEMAP:
            continue
        lastmod = when(job.url)  # an article page changes with its article, not with its related block
        if lastmod is None:
            # Looked up in C: the archive page alone shows every article. (Times are never false.)
            lastmod = max(filter(None, map(when, job.shows)), default=None)
        pages.append((job.url, lastmod))
    return SitemapsInput(site.config.base_url, tuple(pages))


def sitemap_entries(site: Site, jobs: Sequence[PageJob]) -> list[SitemapEntry]:
    """The entries of :func:`sitemap_pages`, their URLs absolute."""
    return sitemap_pages(site, jobs).entries()


def _urlset(entries: Sequence[SitemapEntry]) -> bytes:
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for e in entries:
        url = element(root, f"{{{SITEMAP_NS}}}url")
        element(url, f"{{{SITEMAP_NS}}}loc", e.loc)
        if e.lastmod is not None:
            element(url, f"{{{SITEMAP_NS}}}lastmod", w3c_datetime(e.lastmod))
    return to_bytes(root, default_namespace=SITEMAP_NS)


def sitemap_files(entries: Sequence[SitemapEntry], base_url: str, limit: int = SITEMAP_LIMIT) -> list[OutputFile]:
    """``sitemap.xml``; past ``limit`` URLs it becomes an index of ``sitemap-1.xml``, ``sitemap-2.xml``..."""
    if len(entries) <= limit:
        return [OutputFile("sitemap.xml", "sitemap", _urlset(entries))]
    files: list[OutputFile] = []
    index = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    for n, start in enumerate(range(0, len(entries), limit), start=1):
        part = entries[start : start + limit]
        name = f"sitemap-{n}.xml"
        files.append(OutputFile(name, f"sitemap part {n}", _urlset(part)))
        ref = element(index, f"{{{SITEMAP_NS}}}sitemap")
        element(ref, f"{{{SITEMAP_NS}}}loc", absolute(base_url, name))
        newest = max((e.lastmod for e in part if e.lastmod is not None), default=None)
        if newest is not None:
            element(ref, f"{{{SITEMAP_NS}}}lastmod", w3c_datetime(newest))
    files.insert(0, OutputFile("sitemap.xml", "sitemap index", to_bytes(index, default_namespace=SITEMAP_NS)))
    return files


def news_language(language: str) -> str:
    """The ISO 639 code Google News wants: the primary subtag, except ``zh-cn`` and ``zh-tw``."""
    tag = language.strip().lower().replace("_", "-")
    primary = tag.split("-")[0] or "en"
    if primary == "zh":
        return "zh-tw" if any(p in tag.split("-") for p in ("tw", "hk", "mo", "hant")) else "zh-cn"
    return primary


def news_sitemap(site: Site, limit: int = NEWS_LIMIT) -> OutputFile:
    """``news-sitemap.xml``: articles of the two days before the build's now, newest first."""
    config = site.config
    since = site.now - NEWS_WINDOW
    recent = [a for a in site.articles if a.date >= since][:limit]  # site.articles is newest first
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for a in recent:
        url = element(root, f"{{{SITEMAP_NS}}}url")
        element(url, f"{{{SITEMAP_NS}}}loc", absolute(config.base_url, a.url))
        news = element(url, f"{{{NEWS_NS}}}news")
        publication = element(news, f"{{{NEWS_NS}}}publication")
        element(publication, f"{{{NEWS_NS}}}name", config.title)
        element(publication, f"{{{NEWS_NS}}}language", news_language(config.language))
        element(news, f"{{{NEWS_NS}}}publication_date", w3c_datetime(a.date))
        element(news, f"{{{NEWS_NS}}}title", a.title)
    return OutputFile("news-sitemap.xml", "Google News sitemap", to_bytes(root, default_namespace=SITEMAP_NS))


def robots_txt(base_url: str) -> OutputFile:
    """``robots.txt``: everything may be crawled; here are the sitemaps."""
    text = (
        "User-agent: *\n"
        "Disallow:\n"
        "\n"
        f"Sitemap: {absolute(base_url, 'sitemap.xml')}\n"
        f"Sitemap: {absolute(base_url, 'news-sitemap.xml')}\n"
    )
    return OutputFile("robots.txt", "robots.txt", text.encode("utf-8"))
