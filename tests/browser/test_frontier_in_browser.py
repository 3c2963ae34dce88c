"""The frontier theme in a real browser: layout at phone and desktop widths, images, accessibility.

Screenshots of every checked page land in test-artifacts/browser/ for a person to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import DESKTOP, PHONE, ExampleSite

pytestmark = pytest.mark.browser

#: axe-core impacts that fail the build.
BLOCKING = ("serious", "critical")


def sample_pages(site: ExampleSite) -> dict[str, str]:
    """Name → site path of the pages to check: home, a rich article, a category page."""
    s = site.result.loaded.site
    articles = list(s.articles)
    # The richest article: an image, a wire source and related stories, if the site has one.
    rich = max(articles, key=lambda a: (bool(a.image), bool(a.source_name), bool(s.related.get(a.url)), a.words))
    category = next(c for c in s.categories if s.by_category.get(c.slug))
    return {"home": "/", "article": rich.url, "category": category.url}


@pytest.fixture(scope="module")
def pages(example_site: ExampleSite) -> dict[str, str]:
    """The sample pages of the example site."""
    return sample_pages(example_site)


def load_every_image(page: Any) -> list[dict[str, Any]]:
    """Make lazy images load now, wait for them, and describe every image on the page."""
    return page.evaluate("""async () => {
        const imgs = Array.from(document.images);
        imgs.forEach(img => { img.loading = "eager"; });
        await Promise.all(imgs.map(img => img.complete ? null : new Promise(done => {
            img.addEventListener("load", done, {once: true});
            img.addEventListener("error", done, {once: true});
        })));
        // Decoded images are painted in full-page screenshots too: let the page paint them.
        await Promise.all(imgs.map(img => img.decode().catch(() => null)));
        for (let y = 0; y < document.documentElement.scrollHeight; y += window.innerHeight) {
            window.scrollTo(0, y);
            await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
        }
        window.scrollTo(0, 0);
        return imgs.map(img => ({src: img.currentSrc || img.src, complete: img.complete,
                                 natural: img.naturalWidth, alt: img.getAttribute("alt"),
                                 width: img.getAttribute("width"), height: img.getAttribute("height")}));
    }""")


def screenshot(page: Any, artifacts: Path, name: str) -> None:
    """Save a full-page screenshot for review."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("name", ["home", "article", "category"])
def test_layout_fits_and_images_load(
    open_page: Any, pages: dict[str, str], artifacts: Path, name: str, width: int
) -> None:
    page = open_page(pages[name], width)
    images = load_every_image(page)
    screenshot(page, artifacts, f"{name}-{width}")
    overflow = page.evaluate("""() => {
        const root = document.documentElement;
        const wide = Array.from(document.querySelectorAll("body *"))
            .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
            .filter(el => !el.closest(".sections-list, .visually-hidden, .skip-link"))
            .slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className);
        return {scroll: root.scrollWidth, client: root.clientWidth, wide};
    }""")
    assert overflow["scroll"] <= overflow["client"], f"{name} scrolls sideways at {width}px: {overflow}"
    assert images, f"{name} shows no image at all"
    broken = [i["src"] for i in images if not i["complete"] or i["natural"] <= 0]
    assert not broken, f"broken images on {name}: {broken}"
    unsized = [i["src"] for i in images if not i["width"] or not i["height"] or i["alt"] is None]
    assert not unsized, f"images without width, height or alt on {name}: {unsized}"


@pytest.mark.parametrize(("width", "scheme"), [(PHONE, "light"), (DESKTOP, "light"), (DESKTOP, "dark")])
@pytest.mark.parametrize("name", ["home", "article", "category"])
def test_no_serious_accessibility_violations(
    open_page: Any, pages: dict[str, str], axe_source: str, artifacts: Path, name: str, width: int, scheme: str
) -> None:
    page = open_page(pages[name], width, scheme)
    load_every_image(page)
    if scheme == "dark":
        screenshot(page, artifacts, f"{name}-{width}-dark")
    page.add_script_tag(content=axe_source)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    blocking = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]
    (artifacts / f"axe-{name}-{width}-{scheme}.json").write_text(json.dumps(results["violations"], indent=1))
    assert not blocking, f"axe-core on {name} at {width}px ({scheme}): {json.dumps(blocking, indent=1)}"


def test_current_section_is_marked(open_page: Any, pages: dict[str, str]) -> None:
    page = open_page(pages["category"], DESKTOP)
    current = page.locator('nav.sections a[aria-current="page"]')
    assert current.count() == 1
    assert current.get_attribute("href") == pages["category"]
    article = open_page(pages["article"], DESKTOP)
    assert article.locator("nav.sections a[aria-current]").count() == 1


def test_skip_link_is_first_and_reaches_main(open_page: Any, pages: dict[str, str]) -> None:
    page = open_page(pages["article"], PHONE)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["skip-link", "#main"]
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link must be visible"
    style = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert style != "none", "focus must be visible"


def test_top_bar_date_follows_the_readers_clock(browser: Any, example_site: ExampleSite) -> None:
    context = browser.new_context(viewport={"width": DESKTOP, "height": 900}, locale="en-GB")
    try:
        page = context.new_page()
        page.clock.set_fixed_time("2031-01-02T09:30:00")
        page.goto(example_site.url("/"), wait_until="load")
        today = page.locator("time[data-today]")
        assert today.get_attribute("datetime") == "2031-01-02"
        assert today.inner_text() == "Thursday, 2 January 2031"
    finally:
        context.close()


def test_search_box_submits_to_the_search_page(open_page: Any, pages: dict[str, str]) -> None:
    page = open_page(pages["home"], PHONE)
    form = page.locator("header form[role=search]")
    assert form.get_attribute("action") == "/search/"
    assert form.get_attribute("method") == "get"
    assert form.locator("input[name=q]").count() == 1
