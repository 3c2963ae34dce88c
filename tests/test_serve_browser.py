"""In a real browser (Debian's Chromium through Playwright), a preview page updates by itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import article, write_site
from serve_helpers import in_thread, running

from tests.browser.chromium import chromium_executable, launch

#: Only keeps a broken test from hanging.
WAIT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_executable() is None, reason="needs Debian's chromium package"),
]


def test_page_updates_by_itself_after_an_edit(tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    in_thread(lambda: _scenario(tmp_path))  # apart from any Playwright session other tests keep open


def _scenario(tmp_path: Path) -> None:
    from playwright import sync_api

    site = write_site(
        tmp_path / "site",
        {
            "content/world/flood.md": article("Flood hits Millbrook", body="The river rose overnight."),
            "content/world/storm.md": article("Storm warning", date="2026-11-21"),
        },
    )
    with running(site) as session, sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            page.goto(session.url + "world/flood-hits-millbrook/")
            page.wait_for_function("() => window.LiveReload !== undefined", timeout=WAIT_MS)
            _wait_until(lambda: session.browsers >= 1)
            assert "The river rose overnight." in page.inner_text("article")

            path = site / "content/world/flood.md"
            path.write_text(
                path.read_text(encoding="utf-8").replace("rose overnight", "fell by morning"), encoding="utf-8"
            )
            page.wait_for_function(
                "() => document.body.innerText.includes('The river fell by morning.')", timeout=WAIT_MS
            )

            # A broken file shows the error view in the same tab, and fixing it brings the page back.
            _wait_until(lambda: session.browsers >= 1)
            good = path.read_text(encoding="utf-8")
            path.write_text(good.replace('title: "Flood hits Millbrook"', "title: Flood: bad"), encoding="utf-8")
            page.wait_for_function(
                "() => document.body.innerText.includes('content/world/flood.md:2')", timeout=WAIT_MS
            )
            _wait_until(lambda: session.browsers >= 1)
            path.write_text(good.replace("fell by morning", "is back to normal"), encoding="utf-8")
            page.wait_for_function("() => document.body.innerText.includes('is back to normal')", timeout=WAIT_MS)
            shots = Path(os.environ.get("BROADSHEET_SCREENSHOTS", tmp_path))
            page.screenshot(path=str(shots / "serve-live-reload.png"))
        finally:
            browser.close()


def _wait_until(condition: object, limit: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
