"""Browser fixtures: the example site built once, served over real HTTP, opened in Debian's Chromium.

The tests skip, saying why, only when Chromium or the Playwright package is absent; the
accessibility test also needs axe-core from the npm registry
(``npm install --prefix tests/browser axe-core@4``, or a path in ``AXE_CORE_JS``).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from broadsheet.pipeline import BuildOptions, BuildResult, build

from .chromium import CHROMIUM, chromium_executable, launch

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
#: The same fixed "now" as tests/conftest.py, so the example's articles are all published.
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
AXE_JS = Path(os.environ.get("AXE_CORE_JS", HERE / "node_modules" / "axe-core" / "axe.min.js"))
#: The site to check: the repository's example newsroom unless another folder is named.
SITE = Path(os.environ.get("BROADSHEET_EXAMPLE_SITE", REPO))
ARTIFACTS = REPO / "test-artifacts" / "browser"
PHONE, DESKTOP = 375, 1280


@dataclass(frozen=True, slots=True)
class ExampleSite:
    """The example newsroom built into a folder and served at ``base``."""

    base: str
    output: Path
    result: BuildResult

    def url(self, path: str) -> str:
        """Absolute URL of a site path on the local server."""
        return self.base.rstrip("/") + path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleSite]:
    """Build the example site and serve it on a free loopback port."""
    if not (SITE / "site.yml").is_file():
        pytest.skip(f"no site.yml in {SITE}: nothing to build")
    output = tmp_path_factory.mktemp("example") / "output"
    # Nothing written in the repository: no cache, and no record of published URLs.
    result = build(BuildOptions(source=SITE, output=output, now=NOW, cache=False, record_urls=False))
    handler = functools.partial(_QuietHandler, directory=str(output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ExampleSite(f"http://127.0.0.1:{server.server_address[1]}/", output, result)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        chromium = launch(p, executable)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser: Any, example_site: ExampleSite) -> Iterator[Any]:
    """``open_page(path, width, scheme="light")`` → a loaded Playwright page of the example site
    (closed after the test)."""
    contexts: list[Any] = []

    def open_(path: str, width: int, scheme: str = "light") -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=scheme, reduced_motion="reduce"
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(example_site.url(path), wait_until="load")
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script, or a skip saying how to install it."""
    if not AXE_JS.is_file():
        pytest.skip(
            f"axe-core not found at {AXE_JS}: run `npm install --prefix tests/browser axe-core@4` or set AXE_CORE_JS"
        )
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
