"""Responsive pictures in Chromium: the browser picks small variants on a phone, and the home
page's pictures stay within their budget there."""

from __future__ import annotations

from typing import Any

import pytest

from broadsheet.publish.pictures import PICTURE_DIR

from .conftest import PHONE, ExampleSite

pytestmark = pytest.mark.browser

#: The home page's pictures on a phone, every lazy one scrolled into view.
BUDGET_BYTES = 250 * 1024


def image_transfer(browser: Any, url: str, width: int, ratio: float) -> tuple[int, list[dict[str, Any]]]:
    """Open ``url`` at ``width`` px and device pixel ratio ``ratio``, scroll to the end; return the
    bytes of the image responses and what each <img> shows."""
    context = browser.new_context(viewport={"width": width, "height": 812}, device_scale_factor=ratio)
    page = context.new_page()
    sizes: dict[str, int] = {}
    page.on(
        "response",
        lambda r: sizes.__setitem__(r.url, len(r.body())) if r.request.resource_type == "image" and r.ok else None,
    )
    page.goto(url, wait_until="load")
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 812, 400):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(50)
    page.wait_for_load_state("networkidle")
    shown = page.evaluate(
        "() => Array.from(document.images).map(i => ({src: i.currentSrc, natural: i.naturalWidth,"
        " shown: i.getBoundingClientRect().width, complete: i.complete}))"
    )
    context.close()
    return sum(sizes.values()), shown


@pytest.mark.parametrize("ratio", [1, 2, 3])
def test_home_page_pictures_on_a_phone_stay_within_budget(
    browser: Any, example_site: ExampleSite, ratio: int, capsys: pytest.CaptureFixture[str]
) -> None:
    total, shown = image_transfer(browser, example_site.url("/"), PHONE, ratio)
    with capsys.disabled():
        print(f"\nhome page at {PHONE} px, device pixel ratio {ratio}: {total / 1024:.1f} KB of images")
    assert total <= BUDGET_BYTES, f"{total / 1024:.1f} KB of images at {PHONE} px"
    photos = [i for i in shown if not i["src"].endswith(".svg")]
    assert photos and all(f"/{PICTURE_DIR}/" in i["src"] for i in photos), photos
    assert all(i["complete"] and i["natural"] > 0 for i in shown)
    # No variant more than needed: the narrowest that covers the shown width at this ratio, or one step up.
    for i in photos:
        assert i["natural"] < max(i["shown"] * ratio * 2, 200), i


def test_desktop_gets_sharper_pictures_than_a_phone(browser: Any, example_site: ExampleSite) -> None:
    phone, phone_shown = image_transfer(browser, example_site.url("/"), PHONE, 1)
    desktop, desktop_shown = image_transfer(browser, example_site.url("/"), 1440, 1)
    lead_phone = max(i["natural"] for i in phone_shown)
    lead_desktop = max(i["natural"] for i in desktop_shown)
    assert lead_desktop > lead_phone
    assert desktop > phone
