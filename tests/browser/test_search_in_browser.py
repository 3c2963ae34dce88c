"""Search in a real browser: the example site's output, served as static files, answers ``/search/?q=``."""

from __future__ import annotations

from typing import Any

import pytest

from broadsheet.publish.search import find_pagefind

from .conftest import ExampleSite

pytestmark = [pytest.mark.browser, pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed")]


def results_for(browser: Any, example_site: ExampleSite, query: str) -> set[str]:
    """The result links the search page shows for ``query``."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(example_site.url(f"/search/?q={query}"), wait_until="load")
        page.wait_for_selector(".pagefind-ui__message", timeout=20_000)
        # Done when the message is final and every result shown has loaded its link (results load one
        # by one after the message says how many there are: on a busy machine the links come later).
        page.wait_for_function(
            """() => {
            const message = document.querySelector('.pagefind-ui__message').textContent.trim();
            if (message.includes('Searching')) return false;
            const shown = [...document.querySelectorAll('.pagefind-ui__result')];
            return message.startsWith('No results')
                || (shown.length > 0 && shown.every(r => r.querySelector('.pagefind-ui__result-link')));
        }""",
            timeout=20_000,
        )
        links = {a.get_attribute("href") or "" for a in page.query_selector_all(".pagefind-ui__result-link")}
        assert page.is_hidden(".search-unavailable")
        assert errors == []
        return {link.split("#")[0] for link in links}
    finally:
        page.close()


def test_search_finds_published_articles(browser: Any, example_site: ExampleSite) -> None:
    found = results_for(browser, example_site, "harbour")
    articles = {a.url for a in example_site.result.loaded.site.articles}
    assert found and found <= articles


def test_search_never_finds_drafts_or_embargoed_stories(browser: Any, example_site: ExampleSite) -> None:
    # content/business/insurers-under-pressure... is a draft; the book prize shortlist is embargoed.
    for query, hidden in (("insurers", "insurers-under-pressure"), ("shortlist", "book-prize-shortlist")):
        assert not [url for url in results_for(browser, example_site, query) if hidden in url]


def test_search_page_says_so_without_an_index(browser: Any, example_site: ExampleSite) -> None:
    page = browser.new_page()
    try:
        page.route("**/pagefind/**", lambda route: route.abort())  # as if Pagefind never ran
        page.goto(example_site.url("/search/?q=harbour"), wait_until="load")
        page.wait_for_selector(".search-unavailable", state="visible", timeout=10_000)
        assert page.is_visible("main .search-form")
    finally:
        page.close()
