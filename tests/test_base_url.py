"""Links follow base_url: a site published under a sub-path, and relative_urls for a site opened from disk."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import MINIMAL_SITE_YML, article, run_build

from broadsheet.errors import BuildFailed
from broadsheet.urls import public_url, rebase_html, relative_html, relative_url

LINK = re.compile(r"""\s(?:href|src|action|data-base-url)="([^"]*)\"""")
REFRESH = re.compile(r'content="0; url=([^"]*)"')


def _site_files(**extra: str) -> dict[str, str | bytes]:
    body = "Read [the other story](/world/beta/) and see ![a map](/images/map.svg).\n\nMore words."
    files: dict[str, str | bytes] = {
        "site.yml": MINIMAL_SITE_YML.replace("https://news.example.org/", "https://example.org/news/")
        + "logo: /images/map.svg\nsocial:\n  - {name: RSS, url: /feed.xml}\n",
        "content/world/alpha.md": article("Alpha", body=body, image="/images/map.svg", aliases=["/old/alpha"]),
        "content/world/beta.md": article("Beta", date="2026-11-21T10:00:00"),
        "content/world/gamma.md": article("Gamma", date="2026-11-22T10:00:00"),
        "content/pages/about.md": "---\ntitle: About\n---\n\nSee [the front page](/).\n",
        "static/images/map.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3"/>',
    }
    files.update(extra)
    return files


def _pages(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.html")}


def test_every_link_follows_a_sub_path(make_site) -> None:
    site = make_site(_site_files())
    result = run_build(site, strict=True, search=False)  # the link check finds every target under /news/
    assert result.warnings == []
    out = site / "output"
    for name, html in _pages(out).items():
        for link in LINK.findall(html) + REFRESH.findall(html):
            assert not link.startswith("/") or link.startswith("/news/"), (name, link)
    alpha = (out / "world/alpha/index.html").read_text()
    assert 'href="/news/theme/css/style.css"' in alpha and 'src="/news/theme/js/site.js"' in alpha
    assert 'href="/news/world/beta/"' in alpha and 'src="/news/images/map.svg"' in alpha  # the body's
    assert 'href="/news/"' in alpha and 'href="/news/category/world/"' in alpha
    assert 'href="/news/feed.xml"' in alpha  # the feed announced, and the social link
    assert 'content="0; url=/news/world/alpha/"' in (out / "old/alpha/index.html").read_text()
    assert 'href="/news/world/' in (out / "index.html").read_text()
    assert 'href="/news/page/2/"' in (out / "index.html").read_text()  # pagination (two a page)
    assert 'href="/news/"' in (out / "about/index.html").read_text()  # a page's body
    assert 'href="/news/"' in (out / "404.html").read_text()
    assert 'data-base-url="/news/"' in (out / "search/index.html").read_text()  # Pagefind's result links
    assert 'src="/news/pagefind/pagefind-ui.js"' in (out / "search/index.html").read_text()
    # Feeds, sitemaps and head tags are absolute, under the base URL.
    feed = ET.parse(out / "feed.xml").getroot()
    assert feed.findtext("channel/item/link", "").startswith("https://example.org/news/world/")
    assert "https://example.org/news/world/beta/" in (out / "feed.xml").read_text()  # the body, made absolute
    assert "<loc>https://example.org/news/world/alpha/</loc>" in (out / "sitemap.xml").read_text()
    assert 'rel="canonical" href="https://example.org/news/world/alpha/"' in alpha
    assert "Sitemap: https://example.org/news/sitemap.xml" in (out / "robots.txt").read_text()


def test_the_same_site_at_the_root_keeps_root_paths(make_site) -> None:
    site = make_site(_site_files())
    run_build(site, strict=True, search=False, base_url="https://news.example.org/")
    alpha = (site / "output/world/alpha/index.html").read_text()
    assert 'href="/theme/css/style.css"' in alpha and 'href="/world/beta/"' in alpha


def test_a_template_link_outside_the_sub_path_is_reported(make_site) -> None:
    theme = {
        "themes/mine/theme.yml": "extends: frontier\n",
        "themes/mine/templates/page.html": '{% extends "base.html" %}{% block main %}<a href="/archive/">x</a>'
        "{% endblock %}",
    }
    site = make_site(_site_files(**theme, **{"site.yml": _site_files()["site.yml"] + "theme: mine\n"}))  # type: ignore[arg-type]
    result = run_build(site, search=False)
    [warning] = [w for w in result.warnings if "'/archive/'" in w.message]
    assert "broken internal link" in warning.message and "url filter" in (warning.hint or "")
    with pytest.raises(BuildFailed):
        run_build(site, search=False, strict=True)


def test_relative_urls_make_every_page_work_from_disk(make_site) -> None:
    files = _site_files()
    files["site.yml"] = str(files["site.yml"]) + "relative_urls: true\n"
    site = make_site(files)
    assert run_build(site, strict=True, search=False).warnings == []
    out = site / "output"
    for name, html in _pages(out).items():
        page = "/" + name
        for link in LINK.findall(html) + REFRESH.findall(html):
            if name == "404.html":  # served for any missing URL: its links stay rooted
                assert not link.startswith("/") or link.startswith("/news/"), link
                continue
            assert not link.startswith("/"), (name, link)
            if link.startswith(("http", "#", "mailto:")) or not link or "pagefind/" in link:
                continue  # (no search index in this build)
            target = urljoin(page, link.split("#")[0].split("?")[0])
            assert (out / target.lstrip("/")).is_file(), (name, link)  # a file, not a folder: works from disk
    alpha = (out / "world/alpha/index.html").read_text()
    assert 'href="../../theme/css/style.css"' in alpha and 'href="../../world/beta/index.html"' in alpha
    assert 'src="../../images/map.svg"' in alpha
    assert 'content="0; url=../../world/alpha/index.html"' in (out / "old/alpha/index.html").read_text()
    # What leaves the site stays absolute.
    assert 'rel="canonical" href="https://example.org/news/world/alpha/"' in alpha


def test_url_helpers() -> None:
    assert public_url("/world/a/", "/news/") == "/news/world/a/"
    for other in ("https://x.org/a/", "mailto:a@b.c", "#top", "../a/", "//cdn.example/a.js"):
        assert public_url(other, "/news/") == other
    assert public_url("/world/a/", "/") == "/world/a/"
    assert relative_url("/news/", "/", "/news/") == "index.html"
    assert relative_url("/news/world/a/#c", "/category/world/page/2/", "/news/") == "../../../../world/a/index.html#c"
    assert relative_url("/news/search/?q=x", "/a/", "/news/") == "../search/index.html?q=x"
    assert relative_url("/news/feed.xml", "/old/story.html", "/news/") == "../feed.xml"
    assert relative_url("/elsewhere/", "/a/", "/news/") == "/elsewhere/"
    html = '<img srcset="/news/a.jpg 1x, /news/b.jpg 2x" src="/news/a.jpg" alt="/news/not-a-link">'
    assert (
        relative_html(html, "/x/", "/news/")
        == '<img srcset="../a.jpg 1x, ../b.jpg 2x" src="../a.jpg" alt="/news/not-a-link">'
    )
    assert rebase_html('<a href="/a/" title="/b/">x</a><a href="https://e.org/">', "/news/") == (
        '<a href="/news/a/" title="/b/">x</a><a href="https://e.org/">'
    )
