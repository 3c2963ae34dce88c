"""A site published under a sub-path (every GitHub Pages project site), and one opened from disk.

The example newsroom is built with ``--base-url http://127.0.0.1:PORT/news/`` and served by a real
HTTP server that maps ``/news/`` to the output folder and nothing else: every request a page makes
(styles, scripts, images, the Pagefind bundle and index, links followed) must find its file.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from broadsheet.pipeline import BuildOptions, BuildResult, build
from broadsheet.publish.search import find_pagefind

from .conftest import NOW, SITE

pytestmark = pytest.mark.browser

PREFIX = "/news/"


class _UnderPrefix(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder at /news/ only, with its 404.html (status 404) for anything missing,
    as GitHub Pages and most static hosts do."""

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""

    def send_head(self) -> Any:
        if urlsplit(self.path).path.startswith(PREFIX):
            local = Path(self.translate_path(self.path))
            if local.is_file() or (local.is_dir() and (local / "index.html").is_file()):
                return super().send_head()
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        return super().translate_path("/" + path[len(PREFIX) :] if path.startswith(PREFIX) else "/\x00")


@pytest.fixture(scope="module")
def under_news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, BuildResult]]:
    """The example site built for http://127.0.0.1:PORT/news/ and served there."""
    output = tmp_path_factory.mktemp("subpath") / "output"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_UnderPrefix, directory=str(output)))
    base = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    result = build(BuildOptions(source=SITE, output=output, now=NOW, cache=False, base_url=base, strict=True))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, result
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def visit(browser: Any, url: str) -> tuple[Any, list[str], Any]:
    """Open ``url``; return the page, every failed request other than the page itself, and its response."""
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.on("response", lambda r: r.status >= 400 and r.url != url and failed.append(f"{r.status} {r.url}"))
    response = page.goto(url, wait_until="networkidle")
    return page, failed, response


def test_every_request_under_a_sub_path_finds_its_file(browser: Any, under_news: tuple[str, BuildResult]) -> None:
    base, result = under_news
    site = result.loaded.site
    rich = max(site.articles, key=lambda a: (bool(a.image), a.words))
    category = next(c for c in site.categories if site.by_category.get(c.slug))
    paged = sorted(f.path[: -len("index.html")] for f in result.files if f.path.endswith("/page/2/index.html"))
    assert paged, "the example site has a listing of more than one page"
    for path in ("", rich.url[1:], category.url[1:], "archive/", paged[0]):
        page, failed, response = visit(browser, base + path)
        try:
            assert response.status == 200, path
            assert failed == [], path
            assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).display") == "grid", path
            # Every link on the page stays under /news/ on this server.
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            inside = [h for h in hrefs if h.startswith("http://127.0.0.1")]
            assert inside and all(urlsplit(h).path.startswith(PREFIX) for h in inside), path
            if path == rich.url[1:]:
                page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
                page.wait_for_function("[...document.images].every(i => i.complete)", timeout=20_000)
                images = page.eval_on_selector_all("img", "els => els.filter(e => !e.naturalWidth).map(e => e.src)")
                assert images == [], images
        finally:
            page.close()


def test_the_404_page_under_a_sub_path_loads_its_styles(browser: Any, under_news: tuple[str, BuildResult]) -> None:
    base, _ = under_news
    page, failed, response = visit(browser, base + "no/such/story/")
    try:
        assert response.status == 404
        assert failed == []
        assert page.evaluate("document.styleSheets.length") >= 1
        front = page.get_attribute(".masthead a.brand", "href")
        assert front == PREFIX
    finally:
        page.close()


@pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed")
def test_search_under_a_sub_path(browser: Any, under_news: tuple[str, BuildResult]) -> None:
    base, result = under_news
    page, failed, response = visit(browser, base + "search/?q=harbour")
    try:
        assert response.status == 200
        page.wait_for_function(
            """() => {
            const shown = [...document.querySelectorAll('.pagefind-ui__result')];
            return shown.length > 0 && shown.every(r => r.querySelector('.pagefind-ui__result-link'));
        }""",
            timeout=20_000,
        )
        links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.href)")
        articles = {PREFIX + a.url[1:] for a in result.loaded.site.articles}
        assert links and {urlsplit(h).path for h in links} <= articles
        assert failed == []
        first, failed_there, there = visit(browser, links[0])
        first.close()
        assert there.status == 200 and failed_there == []
    finally:
        page.close()


def test_relative_urls_work_opened_from_disk(browser: Any, tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name in ("content", "static"):
        shutil.copytree(SITE / name, site / name)
    (site / "site.yml").write_text((SITE / "site.yml").read_text() + "\nrelative_urls: true\n")
    result = build(BuildOptions(source=site, now=NOW, search=False, strict=True))
    home = site / "output" / "index.html"
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page.goto(home.as_uri(), wait_until="load")
        # The theme's stylesheet applies (the masthead is a grid only through it).
        assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).display") == "grid"
        article = next(a for a in result.loaded.site.articles if a.image)
        link = page.eval_on_selector(f"a[href$='{article.url[1:]}index.html']", "a => a.href")
        page.goto(link, wait_until="load")
        assert page.url == (site / "output" / article.url[1:] / "index.html").as_uri()
        assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).display") == "grid"
        page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        page.wait_for_load_state("load")
        page.wait_for_function("[...document.images].every(i => i.complete)")
        assert page.eval_on_selector_all("img", "els => els.filter(e => !e.naturalWidth).map(e => e.src)") == []
        assert failed == []
    finally:
        page.close()
