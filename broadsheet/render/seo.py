"""What a page tells search engines and social sites: canonical URL, description, Open Graph and
Twitter card tags, feed links and JSON-LD (``NewsArticle``, ``BreadcrumbList``, ``WebSite``).

Built here as plain values (:class:`Seo`) and written into the page by the theme's
``partials/seo.html``. JSON-LD is serialised here, never in a template: :func:`json_ld` escapes
``<``, ``>`` and ``&`` so no headline can close the script element or start a comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from typing import Any

from markupsafe import Markup

from ..config import SiteConfig
from ..content.model import Site
from ..publish.xmltext import clean_text
from ..urls import absolute
from .views import ArticleView, Link

SEARCH_URL = "/search/"
SITE_FEED = "/feed.xml"
#: Google shows about this many characters of a description, and reads at most 110 of a headline.
DESCRIPTION_CHARS = 200
HEADLINE_CHARS = 110
#: Pages that should not appear in search results.
NOINDEX_TEMPLATES = frozenset({"404.html", "search.html"})


@dataclass(frozen=True, slots=True)
class MetaTag:
    """One ``<meta>``: ``attr`` is "property" (Open Graph) or "name" (Twitter, robots)."""

    attr: str
    key: str
    content: str


@dataclass(frozen=True, slots=True)
class Seo:
    """The head tags of one page, as ``seo`` in templates (see partials/seo.html)."""

    canonical: str
    title: str
    description: str
    robots: str | None
    meta: tuple[MetaTag, ...]
    feeds: tuple[Link, ...]
    """RSS feeds to announce with ``<link rel="alternate">``: the site's, then the section's."""
    json_ld: tuple[Markup, ...]
    """Serialised JSON-LD blocks, safe to place inside ``<script type="application/ld+json">``."""


@lru_cache(maxsize=4096)  # names of the site, its sections, tags and authors recur on page after page
def tidy(text: str, limit: int | None = None) -> str:
    """One line of plain text: control characters dropped, whitespace collapsed, cut at a word."""
    # split() knows the same whitespace as the regular expression \s (str.isspace), and drops it at both ends.
    text = " ".join(clean_text(text).split())
    if limit is not None and len(text) > limit:
        text = (text[: limit + 1].rsplit(" ", 1)[0] or text[:limit]).rstrip(" ,;:-–—") + "…"
    return text


#: json.dumps with these options would make a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_ld(data: Mapping[str, Any]) -> Markup:
    """Serialise JSON-LD for a script element: ``<``, ``>``, ``&`` become ``\\u003c`` and so on."""
    text = _JSON.encode(data)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # escaped above for a script element, where HTML escaping would be wrong


def _publisher(config: SiteConfig) -> dict[str, Any]:
    publisher: dict[str, Any] = {"@type": "Organization", "name": tidy(config.title), "url": config.base_url}
    if config.logo:
        publisher["logo"] = {"@type": "ImageObject", "url": absolute(config.base_url, config.logo)}
    return publisher


def news_article(article: ArticleView, config: SiteConfig, description: str) -> dict[str, Any]:
    """The ``NewsArticle`` of an article page (a ``LiveBlogPosting`` with its updates for a live story),
    with its corrections as ``CorrectionComment``s."""
    tz = config.tz
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.abs_url},
        "headline": tidy(article.title, HEADLINE_CHARS),
        "description": description,
        "datePublished": article.date.astimezone(tz).isoformat(),
        "dateModified": (article.updated or article.date).astimezone(tz).isoformat(),
        "author": [
            {"@type": "Person", "name": tidy(a.name), "url": absolute(config.base_url, a.url)} for a in article.authors
        ],
        "publisher": _publisher(config),
        "articleSection": tidy(article.category.name),
        "inLanguage": config.language,
        "wordCount": article.words,
    }
    if article.image:
        data["image"] = [absolute(config.base_url, article.image)]
    if article.tags:
        data["keywords"] = [tidy(t.name) for t in article.tags]
    if article.corrections:
        data["correction"] = [
            {"@type": "CorrectionComment", "text": tidy(c.text), "datePublished": c.date.astimezone(tz).isoformat()}
            for c in article.corrections
        ]
    if article.corrections or article.live:
        data["dateModified"] = article.last_change.astimezone(tz).isoformat()
    if article.live:
        data["@type"] = "LiveBlogPosting"
        data["coverageStartTime"] = min(article.date, article.live[-1].time).astimezone(tz).isoformat()
        if article.live_ended is not None:
            data["coverageEndTime"] = article.live_ended.astimezone(tz).isoformat()
        data["liveBlogUpdate"] = [
            {
                "@type": "BlogPosting",
                "headline": tidy(u.title or article.title, HEADLINE_CHARS),
                "datePublished": u.time.astimezone(tz).isoformat(),
                "url": f"{article.abs_url}#{u.anchor}",
                "articleBody": tidy(strip_tags(u.html)),
            }
            for u in article.live
        ]
    return data


def strip_tags(html: str) -> str:
    """The text of an HTML fragment (for JSON-LD), entities decoded."""
    return unescape(re.sub(r"<[^>]*>", " ", html))


def breadcrumb_list(crumbs: Sequence[Link], base_url: str) -> dict[str, Any]:
    """The ``BreadcrumbList`` of the trail shown on the page."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": tidy(c.name), "item": absolute(base_url, c.url)}
            for i, c in enumerate(crumbs, start=1)
        ],
    }


def website(config: SiteConfig) -> dict[str, Any]:
    """The home page's ``WebSite``, with a ``SearchAction`` into the search page."""
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": tidy(config.title),
        "url": config.base_url,
        "inLanguage": config.language,
        "publisher": _publisher(config),
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": absolute(config.base_url, SEARCH_URL) + "?q={search_term_string}",
            },
            "query-input": "required name=search_term_string",
        },
    }


def page_seo(site: Site, url: str, template: str, context: Mapping[str, Any]) -> Seo:
    """Build the head tags of one planned page from its URL, template and context."""
    config = site.config
    site_title = tidy(config.title)
    canonical = absolute(config.base_url, url)
    title = tidy(str(context.get("page_title") or config.title))
    description = tidy(str(context.get("description") or config.tagline or config.title), DESCRIPTION_CHARS)
    article: ArticleView | None = context.get("article") if template == "article.html" else None
    feeds = [Link(site_title, SITE_FEED)]
    section = article.category if article else (context.get("subject") if context.get("kind") == "category" else None)
    if section is not None:
        feeds.append(Link(tidy(f"{section.name} – {config.title}"), f"{section.url}feed.xml"))

    og = [
        ("og:site_name", site_title),
        ("og:type", "article" if article else "website"),
        ("og:title", title),
        ("og:description", description),
        ("og:url", canonical),
    ]
    # Without a photo the logo stands in, unless it is SVG, which social sites do not show.
    fallback = config.logo if config.logo and not config.logo.lower().endswith(".svg") else None
    image = article.image if article and article.image else fallback
    image_alt = tidy(article.image_alt) if article and article.image else ""
    if image:
        og.append(("og:image", absolute(config.base_url, image)))
        if image_alt:
            og.append(("og:image:alt", image_alt))
    if article:
        og.append(("article:published_time", article.date.astimezone(config.tz).isoformat()))
        if article.updated:
            og.append(("article:modified_time", article.updated.astimezone(config.tz).isoformat()))
        og.append(("article:section", tidy(article.category.name)))
        og += [("article:tag", tidy(t.name)) for t in article.tags]
    twitter = [
        ("twitter:card", "summary_large_image" if article and article.image else "summary"),
        ("twitter:title", title),
        ("twitter:description", description),
    ]
    if image:
        twitter.append(("twitter:image", absolute(config.base_url, image)))
        if image_alt:
            twitter.append(("twitter:image:alt", image_alt))
    meta = tuple(MetaTag("property", k, v) for k, v in og) + tuple(MetaTag("name", k, v) for k, v in twitter)

    blocks: list[dict[str, Any]] = []
    if article:
        blocks.append(news_article(article, config, description))
        blocks.append(breadcrumb_list(context.get("breadcrumbs") or [], config.base_url))
    elif url == "/":
        blocks.append(website(config))
    robots = "noindex" if template in NOINDEX_TEMPLATES else None
    return Seo(canonical, title, description, robots, meta, tuple(feeds), tuple(json_ld(b) for b in blocks))
