"""The front page an editor signs off and the search page, in a real browser at phone and desktop
widths, light and dark: no story twice, no empty column, no word broken in the footer, search
results with the story's picture and text in the paper's colours.

Screenshots land in test-artifacts/browser/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from broadsheet.publish.search import find_pagefind

from .conftest import DESKTOP, PHONE, ExampleSite

pytestmark = pytest.mark.browser

TABLET = 768
SIZES = [(PHONE, "light"), (PHONE, "dark"), (DESKTOP, "light"), (DESKTOP, "dark")]


@pytest.mark.parametrize(("width", "scheme"), SIZES)
def test_front_page_shows_no_story_twice_above_the_sections(
    open_page: Any, artifacts: Path, width: int, scheme: str
) -> None:
    page = open_page("/", width, scheme)
    page.screenshot(path=str(artifacts / f"front-{width}-{scheme}.png"), full_page=True)
    shown = page.evaluate("""() => {
        const blocks = [".lead-stories", ".latest", ".most-recent"];
        return blocks.flatMap(b => [...document.querySelectorAll(
            `${b} .card-title a, ${b} .recent-list a`)].map(a => a.getAttribute("href")));
    }""")
    assert len(shown) >= 12 and len(shown) == len(set(shown)), shown
    visible = page.evaluate("""() => [...document.querySelectorAll('.lead-stories .card, .latest .card')]
        .every(c => c.getBoundingClientRect().height > 0)""")
    assert visible


@pytest.mark.parametrize(("width", "scheme"), SIZES)
def test_front_page_blocks_leave_no_empty_column(open_page: Any, width: int, scheme: str) -> None:
    page = open_page("/", width, scheme)
    gaps = page.evaluate("""() => {
        const out = [];
        const check = (grid, name) => {
            const kids = [...grid.children].filter(k => k.getBoundingClientRect().height > 0);
            if (!kids.length) return;
            const box = grid.getBoundingClientRect();
            const top = Math.min(...kids.map(k => k.getBoundingClientRect().top));
            // The first row of every block reaches the block's right edge: no empty column.
            const right = Math.max(...kids.filter(k => k.getBoundingClientRect().top < top + 2)
                .map(k => k.getBoundingClientRect().right));
            if (box.right - right > 2) out.push(`${name}: ${Math.round(box.right - right)}px empty`);
        };
        document.querySelectorAll(".section-block .card-grid").forEach((g, i) => check(g, "section " + i));
        document.querySelectorAll(".lead-grid, .front-columns").forEach((g, i) => check(g, g.className));
        return out;
    }""")
    assert gaps == [], gaps


@pytest.mark.parametrize("width", [PHONE, TABLET, DESKTOP])
def test_footer_breaks_no_word(open_page: Any, width: int) -> None:
    page = open_page("/", width)
    broken = page.evaluate("""() => {
        const out = [];
        for (const a of document.querySelectorAll(".site-footer a")) {
            const text = a.firstChild;
            if (!text || text.nodeType !== Node.TEXT_NODE) continue;
            let at = 0;
            for (const word of text.data.split(/\\s+/)) {
                const start = text.data.indexOf(word, at);
                at = start + word.length;
                if (!word) continue;
                const range = document.createRange();
                range.setStart(text, start);
                range.setEnd(text, start + word.length);
                const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                if (lines.size > 1) out.push(word);
            }
        }
        return out;
    }""")
    assert broken == [], f"words broken across lines in the footer at {width}px: {broken}"


def search(page: Any, example_site: ExampleSite, query: str) -> None:
    """Search and wait until every result shown has its link and picture box."""
    page.goto(example_site.url(f"/search/?q={query}"), wait_until="load")
    page.wait_for_function(
        """() => {
        const message = document.querySelector('.pagefind-ui__message');
        if (!message || message.textContent.includes('Searching')) return false;
        const shown = [...document.querySelectorAll('.pagefind-ui__result')];
        return shown.length > 0 && shown.every(r => r.querySelector('.pagefind-ui__result-link'));
    }""",
        timeout=20_000,
    )


@pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed")
@pytest.mark.parametrize(("width", "scheme"), SIZES)
def test_search_results_show_the_story_picture_and_text_in_the_theme(
    open_page: Any, example_site: ExampleSite, artifacts: Path, width: int, scheme: str
) -> None:
    page = open_page("/", width, scheme)
    search(page, example_site, "harbour")
    page.screenshot(path=str(artifacts / f"search-{width}-{scheme}.png"), full_page=True)
    results = page.evaluate("""() => [...document.querySelectorAll('.pagefind-ui__result')].map(r => ({
        href: r.querySelector('.pagefind-ui__result-link').getAttribute('href'),
        image: (r.querySelector('.pagefind-ui__result-thumb img') || {}).src || null,
        excerpt: (r.querySelector('.pagefind-ui__result-excerpt') || {}).textContent || '',
    }))""")
    site = example_site.result.loaded.site
    pictures = {a.url: a.image for a in site.articles}
    assert results
    for r in results:
        url = r["href"].split("#")[0]
        assert not (r["image"] or "").count("/images/authors/"), r  # never the author's avatar
        if pictures.get(url):
            assert r["image"] and r["image"].endswith(pictures[url]), r
        else:
            assert r["image"] is None, r
        assert "min read" not in r["excerpt"] and "Updated" not in r["excerpt"], r
    colours = page.evaluate("""() => {
        const css = getComputedStyle(document.body);
        const probe = document.createElement('span');
        document.body.append(probe);
        const as = v => { probe.style.color = `var(${v})`; return getComputedStyle(probe).color; };
        const input = document.querySelector('.pagefind-ui__search-input');
        const link = document.querySelector('.pagefind-ui__result-link');
        return {
            text: as('--text'), bg: as('--bg'),
            link: getComputedStyle(link).color,
            input: getComputedStyle(input).backgroundColor, inputText: getComputedStyle(input).color,
            font: getComputedStyle(link).fontFamily, serif: css.getPropertyValue('--serif').trim(),
        };
    }""")
    assert colours["link"] == colours["text"] == colours["inputText"], colours
    assert colours["input"] == colours["bg"], colours
    assert "Georgia" in colours["font"], colours
    scroll = page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert scroll, f"the search page scrolls sideways at {width}px"
