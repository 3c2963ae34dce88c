"""Head tags: canonical, description, Open Graph, Twitter cards, feed links and JSON-LD."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from conftest import article, read, run_build
from publishing_helpers import HOSTILE, raw_article

from broadsheet.render.seo import json_ld, tidy

SITE_YML = """\
title: Test Times
tagline: All the news that fits
base_url: https://news.example.org/
logo: /images/logo.png
timezone: Europe/Paris
"""


class Head(HTMLParser):
    """Collects meta tags, link tags and the text of every script element of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.scripts: list[tuple[str, str]] = []
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta.setdefault(a.get("property") or a["name"], []).append(a.get("content", ""))
        elif tag == "link":
            self.links.append(a)
        elif tag == "script":
            self._script = a.get("type", "")
            self.scripts.append((self._script, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def head_of(site: Path, rel: str) -> Head:
    parser = Head()
    parser.feed(read(site, rel))
    parser.close()
    return parser


def ld_blocks(head: Head) -> dict[str, dict[str, Any]]:
    """Every JSON-LD block parsed with json.loads, by @type."""
    blocks = [json.loads(text) for kind, text in head.scripts if kind == "application/ld+json"]
    return {b["@type"]: b for b in blocks}


def test_article_head_tags_and_news_article(make_site) -> None:
    site = make_site(
        {
            "site.yml": SITE_YML,
            "content/world/a.md": article(
                "Flood hits Millbrook",
                date="2026-11-20T10:00:00",
                updated="2026-11-21T08:00:00",
                summary="Water everywhere.",
                image="/images/flood.jpg",
                image_alt="A flooded street",
                authors=["Ana Lima", "Bo Chen"],
                tags=["Floods"],
            ),
        }
    )
    run_build(site)
    head = head_of(site, "world/flood-hits-millbrook/index.html")
    canonical = [link for link in head.links if link.get("rel") == "canonical"]
    assert [c["href"] for c in canonical] == ["https://news.example.org/world/flood-hits-millbrook/"]
    m = head.meta
    assert m["description"] == ["Water everywhere."]
    assert m["og:type"] == ["article"] and m["og:title"] == ["Flood hits Millbrook"]
    assert m["og:url"] == ["https://news.example.org/world/flood-hits-millbrook/"]
    assert m["og:image"] == ["https://news.example.org/images/flood.jpg"]
    assert m["og:image:alt"] == ["A flooded street"]
    assert m["article:published_time"] == ["2026-11-20T10:00:00+01:00"]
    assert m["article:tag"] == ["Floods"]
    assert m["twitter:card"] == ["summary_large_image"]
    assert m["twitter:description"] == ["Water everywhere."]
    ld = ld_blocks(head)
    news = ld["NewsArticle"]
    assert news["@context"] == "https://schema.org"
    assert news["headline"] == "Flood hits Millbrook"
    assert news["datePublished"] == "2026-11-20T10:00:00+01:00"
    assert news["dateModified"] == "2026-11-21T08:00:00+01:00"
    assert [a["name"] for a in news["author"]] == ["Ana Lima", "Bo Chen"]
    assert news["image"] == ["https://news.example.org/images/flood.jpg"]
    assert news["publisher"]["name"] == "Test Times"
    assert news["publisher"]["logo"]["url"] == "https://news.example.org/images/logo.png"
    crumbs = ld["BreadcrumbList"]["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Home", "https://news.example.org/"),
        (2, "World", "https://news.example.org/category/world/"),
        (3, "Flood hits Millbrook", "https://news.example.org/world/flood-hits-millbrook/"),
    ]


def test_home_has_website_with_search_action(make_site) -> None:
    site = make_site({"site.yml": SITE_YML, "content/world/a.md": article("A")})
    run_build(site)
    head = head_of(site, "index.html")
    ld = ld_blocks(head)
    assert set(ld) == {"WebSite"}
    action = ld["WebSite"]["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == "https://news.example.org/search/?q={search_term_string}"
    assert action["query-input"] == "required name=search_term_string"
    assert head.meta["og:type"] == ["website"]
    assert head.meta["og:image"] == ["https://news.example.org/images/logo.png"]  # the logo stands in
    assert head.meta["twitter:card"] == ["summary"]


def test_svg_logo_is_no_sharing_image(make_site) -> None:
    site = make_site({"site.yml": SITE_YML.replace("logo.png", "logo.svg"), "content/world/a.md": article("A")})
    run_build(site)
    head = head_of(site, "world/a/index.html")
    assert "og:image" not in head.meta and "twitter:image" not in head.meta
    assert ld_blocks(head)["NewsArticle"]["publisher"]["logo"]["url"] == "https://news.example.org/images/logo.svg"


def test_noindex_only_on_404_and_search(make_site) -> None:
    site = make_site({"content/world/a.md": article("A")})
    run_build(site)
    assert head_of(site, "404.html").meta.get("robots") == ["noindex"]
    assert head_of(site, "search/index.html").meta.get("robots") == ["noindex"]
    assert "robots" not in head_of(site, "index.html").meta
    assert "robots" not in head_of(site, "world/a/index.html").meta


def test_hostile_title_stays_inside_its_script_and_attributes(make_site) -> None:
    site = make_site(
        {"content/world/x.md": raw_article(HOSTILE, summary=HOSTILE, image_alt=HOSTILE, image="/x.jpg", tags=[HOSTILE])}
    )
    result = run_build(site)
    url = result.loaded.site.articles[0].url
    page = read(site, url.strip("/") + "/index.html")
    assert "<script>alert(1)</script>" not in page
    head = head_of(site, url.strip("/") + "/index.html")
    # The headline opened no script element of its own: no script but the JSON-LD holds its text.
    assert [kind for kind, _ in head.scripts].count("application/ld+json") == 2
    assert not [text for kind, text in head.scripts if kind != "application/ld+json" and "alert" in text]
    ld = ld_blocks(head)
    expected = tidy(HOSTILE, 110)
    assert ld["NewsArticle"]["headline"] == expected
    assert "</script>" in expected and "😀" in expected and "\u05e9" in expected
    assert ld["NewsArticle"]["keywords"] == [tidy(HOSTILE)]
    assert ld["BreadcrumbList"]["itemListElement"][-1]["name"] == tidy(HOSTILE)
    assert head.meta["og:title"] == [tidy(HOSTILE)]
    assert head.meta["og:image:alt"] == [tidy(HOSTILE)]
    home = head_of(site, "index.html")
    assert not [text for kind, text in home.scripts if "alert(1)" in text and kind != "application/ld+json"]


def test_json_ld_escapes_script_breakers() -> None:
    text = str(json_ld({"headline": "</script><!-- & -->"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"headline": "</script><!-- & -->"}


def test_tidy_collapses_every_kind_of_whitespace() -> None:
    assert tidy("\u00a0 Flood\u2003hits\n\tMillbrook\u3000\x1c\u0085 ") == "Flood hits Millbrook"
    assert tidy(" \u2028 ") == ""
    assert tidy("A long headline about floods", 12) == "A long…"


def test_paginated_listing_is_its_own_canonical(make_site) -> None:
    files = {f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-{10 + i}") for i in range(3)}
    site = make_site(files)
    run_build(site)
    links = head_of(site, "category/world/page/2/index.html").links
    assert {"rel": "canonical", "href": "https://news.example.org/category/world/page/2/"} in links
