"""The newsroom's page furniture in Chromium: the breaking-news banner, live updates and
corrections, at phone to wide desktop widths, light and dark, with axe-core finding nothing serious."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ExampleSite

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
WIDTHS = (375, 768, 1440)


def furniture_pages(site: ExampleSite) -> dict[str, tuple[str, str]]:
    """Name → (site path, CSS selector of the block) for each block the example newsroom shows."""
    s = site.result.loaded.site
    live = next(a for a in s.articles if a.live)
    corrected = next(a for a in s.articles if a.corrections)
    return {
        "breaking": ("/", ".breaking"),
        "live": (live.url, ".live-updates"),
        "corrections": (corrected.url, ".corrections"),
        "most-read": ("/", ".most-read"),
        "view-count": (corrected.url, ".byline"),
        "newsletter": ("/", ".newsletter"),
        "comments": (live.url, ".comments"),
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "name", ["breaking", "live", "corrections", "most-read", "view-count", "newsletter", "comments"]
)
def test_block_is_shown_fits_and_passes_axe(
    open_page: Any,
    example_site: ExampleSite,
    axe_source: str,
    artifacts: Path,
    name: str,
    width: int,
    scheme: str,
) -> None:
    path, selector = furniture_pages(example_site)[name]
    page = open_page(path, width, scheme)
    block = page.locator(selector).first
    assert block.is_visible(), f"{selector} not visible on {path}"
    box = block.bounding_box()
    client = page.evaluate("document.documentElement.clientWidth")
    assert box["x"] >= 0 and box["x"] + box["width"] <= client + 1, f"{selector} overflows at {width}px: {box}"
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    block.screenshot(path=str(artifacts / f"furniture-{name}-{width}-{scheme}.png"))
    page.add_script_tag(content=axe_source)
    # The block itself (the rest of each page is checked by test_frontier_in_browser.py).
    results = page.evaluate("(sel) => axe.run(document.querySelector(sel), {resultTypes: ['violations']})", selector)
    blocking = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"axe-core on {name} at {width}px ({scheme}): {json.dumps(blocking, indent=1)}"


def test_a_live_entry_can_be_linked_to(open_page: Any, example_site: ExampleSite) -> None:
    path, _ = furniture_pages(example_site)["live"]
    page = open_page(path, 375, "light")
    anchor = page.locator(".live-entry").nth(1).get_attribute("id")
    page.goto(example_site.url(f"{path}#{anchor}"), wait_until="load")
    top = page.evaluate(f"document.getElementById('{anchor}').getBoundingClientRect().top")
    assert 0 <= top < 100


def test_comments_reach_their_provider_only_when_asked(browser: Any, example_site: ExampleSite) -> None:
    comments = example_site.result.loaded.config.comments
    assert comments is not None
    host = comments.options["host"].rstrip("/")
    path, _ = furniture_pages(example_site)["live"]
    context = browser.new_context(viewport={"width": 375, "height": 900})
    asked: list[str] = []

    def answer(route: Any) -> None:  # stands in for the comment server (no network here)
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/javascript", body="window.commentsLoaded = true;")

    context.route(f"{host}/**", answer)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(example_site.base) else None)
    page.goto(example_site.url(path), wait_until="networkidle")
    assert asked == [] and outside == [], outside
    button = page.locator(".comments-load")
    assert button.is_visible()
    button.click()
    page.wait_for_function("window.commentsLoaded === true")
    assert asked == [f"{host}/js/embed.min.js"]
    assert page.locator("#isso-thread").count() == 1
    assert not button.is_visible()
    context.close()


def test_newsletter_form_is_usable_by_keyboard(open_page: Any) -> None:
    page = open_page("/", 375, "light")
    email = page.get_by_label("Email address")
    email.focus()
    email.type("reader@example.org")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Sign up"
    assert page.evaluate("document.querySelector('.newsletter-form').checkValidity()")


@pytest.fixture(scope="module")
def french_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example newsroom with ``language: fr``, built and served."""
    import functools
    import http.server
    import shutil
    import threading

    from broadsheet.pipeline import BuildOptions, build

    from .conftest import NOW, SITE, _QuietHandler

    root = tmp_path_factory.mktemp("french")
    for name in ("content", "static", "analytics"):
        if (SITE / name).is_dir():
            shutil.copytree(SITE / name, root / name)
    text = (SITE / "site.yml").read_text(encoding="utf-8")
    (root / "site.yml").write_text(text.replace("language: en", "language: fr"), encoding="utf-8")
    build(BuildOptions(source=root, output=root / "output", now=NOW, cache=False, search=False))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root / "output"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("width", "scheme"), [(375, "light"), (1440, "dark")])
def test_french_pages_read_in_french_and_pass_axe(
    browser: Any, french_site: str, example_site: ExampleSite, axe_source: str, width: int, scheme: str
) -> None:
    path, _ = furniture_pages(example_site)["live"]
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    for url, words in (("/", ["Accueil", "Les plus lus", "Alerte"]), (path, ["Dernières mises à jour", "novembre"])):
        page.goto(french_site + url, wait_until="load")
        assert page.evaluate("document.documentElement.lang") == "fr"
        text = page.inner_text("body").lower()  # headings are shown in capitals
        for word in words:
            assert word.lower() in text, (url, word)
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        page.add_script_tag(content=axe_source)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [
            (v["id"], [n["target"] for n in v["nodes"][:3]]) for v in results["violations"] if v["impact"] in BLOCKING
        ]
        blocking = [b for b in blocking if b[0] != "link-in-text-block"]  # footnote links: see test_frontier_in_browser
        assert not blocking, (url, width, scheme, blocking)
    context.close()
