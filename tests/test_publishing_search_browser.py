"""Search in a real browser: the built output, served as static files, answers ``/search/?q=``."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import article, run_build

from broadsheet.search import find_pagefind

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed"),
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed"),
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(make_site) -> Iterator[str]:
    site = make_site({
        "content/world/a.md": article("Harbour walls repaired", body="The seawall at Port Alder was rebuilt."),
        "content/sport/b.md": article("Rowing club wins", body="A calm race on the river."),
        "content/world/c.md": article("Secret harbour plan", body="Seawall secrets.", draft=True),
    })
    run_build(site)
    handler = functools.partial(QuietHandler, directory=str(site / "output"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_search_page_finds_published_articles_only(served: str) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{served}/search/?q=seawall")
            page.wait_for_selector(".pagefind-ui__result-link", timeout=20_000)
            links = {a.get_attribute("href") for a in page.query_selector_all(".pagefind-ui__result-link")}
            assert links == {"/world/harbour-walls-repaired/"}
            assert page.is_hidden(".search-unavailable")
            assert errors == []
        finally:
            browser.close()


def test_search_page_says_so_without_an_index(served: str) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/pagefind/**", lambda route: route.abort())  # as if Pagefind never ran
            page.goto(f"{served}/search/?q=seawall")
            page.wait_for_selector(".search-unavailable", state="visible", timeout=10_000)
            assert page.is_visible(".search-form")
        finally:
            browser.close()
