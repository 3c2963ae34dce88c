"""Feeds, sitemaps, the Google News sitemap and robots.txt: parsed strictly, checked for content."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.dom import minidom

from conftest import article, read, run_build
from publishing_helpers import HOSTILE, raw_article

from broadsheet.publish.sitemaps import news_language, sitemap_entries, sitemap_files

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "atom": "http://www.w3.org/2005/Atom",
}


def parse(site: Path, rel: str) -> ET.Element:
    """Parse an output file with two strict XML parsers; return the ElementTree root."""
    data = (site / "output" / rel).read_bytes()
    minidom.parseString(data)  # raises on anything not well-formed
    return ET.fromstring(data)


def test_site_feed_newest_first_full_text(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article(
                "Older story", date="2026-11-20T10:00:00", body="First [link](/world/).", tags=["Floods"], author="ana"
            ),
            "content/sport/b.md": article("Newer story", date="2026-11-21T10:00:00", summary="A teaser"),
        }
    )
    run_build(site)
    channel = parse(site, "feed.xml").find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Test Times"
    assert channel.find("atom:link", NS).get("href") == "https://news.example.org/feed.xml"  # type: ignore[union-attr]
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Newer story", "Older story"]
    older = items[1]
    assert older.findtext("link") == "https://news.example.org/world/older-story/"
    assert older.findtext("guid") == older.findtext("link")
    assert parsedate_to_datetime(older.findtext("pubDate") or "") == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert older.findtext("dc:creator", namespaces=NS) == "Ana Lima"
    assert {c.text for c in older.findall("category")} == {"World", "Floods"}
    body = older.findtext("content:encoded", namespaces=NS) or ""
    assert 'href="https://news.example.org/world/"' in body  # root-relative links made absolute
    assert items[0].findtext("description") == "A teaser"


def test_feed_count_and_summary_only(make_site) -> None:
    files = {f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-{10 + i}") for i in range(5)}
    files["site.yml"] = "title: T\nbase_url: https://x.example/\nfeeds: {count: 3, full_text: false}\n"
    site = make_site(files)
    run_build(site)
    items = parse(site, "feed.xml").findall("channel/item")
    assert [i.findtext("title") for i in items] == ["Story 4", "Story 3", "Story 2"]
    assert all(i.find("content:encoded", NS) is None for i in items)
    assert all(i.findtext("description") for i in items)


def test_category_feeds_and_alternate_links(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("World story"),
            "content/sport/b.md": article("Sport story"),
        }
    )
    run_build(site)
    titles = [i.findtext("title") for i in parse(site, "category/world/feed.xml").findall("channel/item")]
    assert titles == ["World story"]
    assert parse(site, "category/world/feed.xml").findtext("channel/title") == "World – Test Times"
    assert parse(site, "category/sport/feed.xml").findtext("channel/item/title") == "Sport story"
    home = read(site, "index.html")
    assert '<link rel="alternate" type="application/rss+xml"' in home and 'href="/feed.xml"' in home
    listing = read(site, "category/world/index.html")
    assert 'href="/category/world/feed.xml"' in listing


def test_hostile_title_keeps_feeds_and_sitemaps_valid(make_site) -> None:
    site = make_site(
        {
            "content/world/x.md": raw_article(
                HOSTILE, date="2026-11-29T08:00:00", body="Body & <i>more</i> \x02 text.", tags=[HOSTILE]
            )
        }
    )
    run_build(site)
    for rel in ("feed.xml", "category/world/feed.xml", "sitemap.xml", "news-sitemap.xml"):
        parse(site, rel)
    title = parse(site, "feed.xml").findtext("channel/item/title") or ""
    assert "</script><script>alert(1)</script> &" in title  # kept as text, escaped in the file
    assert "😀" in title and "\u05e9\u05dc\u05d5\u05dd" in title and "\u200f" in title
    assert "\x01" not in title and "\x0b" not in title
    raw = read(site, "feed.xml")
    assert "<script>" not in raw and "&lt;/script&gt;" in raw
    news_title = parse(site, "news-sitemap.xml").findtext("sm:url/news:news/news:title", namespaces=NS)
    assert news_title == title


def test_sitemap_lists_pages_with_lastmod(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article(
                "Alpha", date="2026-11-20T10:00:00", updated="2026-11-25T09:00:00", aliases=["/old/alpha/"]
            ),
            "content/pages/about.md": "---\ntitle: About\n---\n\nUs.\n",
        }
    )
    run_build(site)
    root = parse(site, "sitemap.xml")
    assert root.tag == f"{{{NS['sm']}}}urlset"
    entries = {
        u.findtext("sm:loc", namespaces=NS): u.findtext("sm:lastmod", namespaces=NS) for u in root.findall("sm:url", NS)
    }
    assert entries["https://news.example.org/world/alpha/"] == "2026-11-25T09:00:00+00:00"
    assert entries["https://news.example.org/"] == "2026-11-25T09:00:00+00:00"
    assert "https://news.example.org/category/world/" in entries
    assert "https://news.example.org/about/" in entries
    assert all(loc and loc.startswith("https://news.example.org/") for loc in entries)
    assert "https://news.example.org/old/alpha/" not in entries  # redirects are not pages
    assert "https://news.example.org/404.html" not in entries


def test_sitemap_splits_into_an_index(make_site) -> None:
    files = {f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-{10 + i}") for i in range(4)}
    site = make_site(files)
    result = run_build(site)
    from broadsheet.render.pages import plan_pages

    site_model = result.loaded.site
    entries = sitemap_entries(site_model, plan_pages(site_model))
    out = sitemap_files(entries, "https://news.example.org/", limit=3)
    assert out[0].path == "sitemap.xml"
    assert len(out) == 1 + -(-len(entries) // 3)
    index = ET.fromstring(out[0].data or b"")
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    locs = [s.findtext("sm:loc", namespaces=NS) for s in index.findall("sm:sitemap", NS)]
    assert locs == [f"https://news.example.org/sitemap-{n}.xml" for n in range(1, len(out))]
    listed = []
    for part in out[1:]:
        minidom.parseString(part.data or b"")
        urls = ET.fromstring(part.data or b"").findall("sm:url/sm:loc", NS)
        assert 1 <= len(urls) <= 3
        listed += [u.text for u in urls]
    assert listed == [e.loc for e in entries]


def test_news_sitemap_last_two_days_only(make_site) -> None:
    # The build's now is 2026-11-29T12:00Z (conftest.NOW).
    site = make_site(
        {
            "content/world/fresh.md": article("Fresh", date="2026-11-29T09:00:00"),
            "content/world/edge.md": article("Edge", date="2026-11-27T12:00:00"),
            "content/world/stale.md": article("Stale", date="2026-11-27T11:59:00"),
            "site.yml": "title: Gazette\nbase_url: https://g.example/\nlanguage: pt-BR\n",
        }
    )
    run_build(site)
    root = parse(site, "news-sitemap.xml")
    urls = root.findall("sm:url", NS)
    assert [u.findtext("news:news/news:title", namespaces=NS) for u in urls] == ["Fresh", "Edge"]
    first = urls[0]
    assert first.findtext("sm:loc", namespaces=NS) == "https://g.example/world/fresh/"
    assert first.findtext("news:news/news:publication/news:name", namespaces=NS) == "Gazette"
    assert first.findtext("news:news/news:publication/news:language", namespaces=NS) == "pt"
    assert first.findtext("news:news/news:publication_date", namespaces=NS) == "2026-11-29T09:00:00+00:00"


def test_news_language_codes() -> None:
    assert news_language("en-GB") == "en"
    assert news_language("zh-Hant-TW") == "zh-tw"
    assert news_language("zh") == "zh-cn"
    assert news_language("fr") == "fr"


def test_robots_points_to_both_sitemaps_and_static_one_wins(make_site) -> None:
    site = make_site({"content/world/a.md": article("A")})
    run_build(site)
    robots = read(site, "robots.txt")
    assert "Sitemap: https://news.example.org/sitemap.xml" in robots
    assert "Sitemap: https://news.example.org/news-sitemap.xml" in robots
    (site / "static").mkdir()
    (site / "static/robots.txt").write_text("User-agent: *\nDisallow: /\n")
    run_build(site)
    assert read(site, "robots.txt") == "User-agent: *\nDisallow: /\n"
