"""Search across the shards of the index in a real browser: the example newsroom, built with a shard
a month (its two months of stories are too few to be split by default), served over HTTP; the
search page merges the shards, and finds what one index over the same pages finds."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from broadsheet.outputs import OutputFile
from broadsheet.pipeline import BuildOptions, build
from broadsheet.publish import search
from broadsheet.publish.search import find_pagefind

from .conftest import NOW, SITE, ExampleSite, _QuietHandler

pytestmark = [pytest.mark.browser, pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed")]

QUERY = "harbour"


def all_results(page: Any, url: str) -> dict[str, Any]:
    """Search at ``url``, load every result ("Load more results"), return the message and results in order."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    ready = """() => {
        const message = document.querySelector('.pagefind-ui__message');
        if (!message || message.textContent.includes('Searching')) return false;
        const shown = [...document.querySelectorAll('.pagefind-ui__result')];
        return shown.length > 0 && shown.every(r => r.querySelector('.pagefind-ui__result-link'));
    }"""
    page.wait_for_function(ready, timeout=30_000)
    while page.query_selector(".pagefind-ui__button"):
        page.click(".pagefind-ui__button")
        page.wait_for_function(ready, timeout=30_000)
    results = page.evaluate("""() => [...document.querySelectorAll('.pagefind-ui__result')].map(r => ({
        href: r.querySelector('.pagefind-ui__result-link').getAttribute('href').split('#')[0],
        title: r.querySelector('.pagefind-ui__result-link').textContent.trim(),
        image: (r.querySelector('.pagefind-ui__result-thumb img') || {}).src || null,
        excerpt: (r.querySelector('.pagefind-ui__result-excerpt') || {}).innerHTML || '',
    }))""")
    message = page.text_content(".pagefind-ui__message").strip()
    assert errors == []
    return {"message": message, "results": results}


def one_index(output: Path, into: Path) -> Path:
    """The same marked pages indexed by Pagefind as one bundle (how the site was indexed before shards)."""
    pages = [
        OutputFile(p.relative_to(output).as_posix(), "test", p.read_bytes())
        for p in output.rglob("*.html")
        if not p.relative_to(output).as_posix().startswith("pagefind/")
    ]
    files, warnings = search.search_index(pages)
    assert files and not warnings
    for f in files:
        target = into / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data or b"")
    return into / search.BUNDLE_DIR


@pytest.fixture(scope="module")
def monthly_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleSite]:
    """The example newsroom indexed in a shard a month, served on a free loopback port."""
    output = tmp_path_factory.mktemp("monthly") / "output"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "MIN_SHARD_PAGES", 1)
        result = build(BuildOptions(source=SITE, output=output, now=NOW, cache=False, record_urls=False))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield ExampleSite(f"http://127.0.0.1:{server.server_address[1]}/", output, result)
    finally:
        server.shutdown()


def test_search_merges_every_month_and_matches_one_index(
    browser: Any, monthly_site: ExampleSite, tmp_path: Path
) -> None:
    example_site = monthly_site
    shards = json.loads((example_site.output / "pagefind/shards.json").read_text(encoding="utf-8"))
    months = {a.url: f"{a.date.year:04d}-{a.date.month:02d}" for a in example_site.result.loaded.site.articles}
    assert [shards["primary"], *shards["merge"]] == sorted(set(months.values()))  # one shard a month
    assert len(shards["merge"]) >= 1

    context = browser.new_context()
    try:
        merged = all_results(context.new_page(), example_site.url(f"/search/?q={QUERY}"))
    finally:
        context.close()
    found = [r["href"] for r in merged["results"]]
    assert len(found) == len(set(found)) and set(found) <= set(months)
    assert {months[u] for u in found} == set(months.values())  # results from every shard
    assert merged["message"].startswith(f"{len(found)} results")
    # The best result has the word in its headline; excerpts mark the word; stories with a picture show it.
    assert QUERY in merged["results"][0]["title"].lower()
    assert all("<mark>" in r["excerpt"].lower() for r in merged["results"])
    pictured = {a.url for a in example_site.result.loaded.site.articles if a.image}
    assert all(r["image"] for r in merged["results"] if r["href"] in pictured)

    # The same pages in one index, served in place of the shards: the same stories are found.
    single = one_index(example_site.output, tmp_path)
    context = browser.new_context()
    try:
        page = context.new_page()

        def from_single(route: Any) -> None:
            name = route.request.url.split("/pagefind/", 1)[1].split("?")[0]
            if name == "shards.json":
                route.fulfill(status=200, content_type="application/json", body='{"merge": []}')
            elif (single / name).is_file():
                route.fulfill(status=200, path=str(single / name))
            else:
                route.fulfill(status=404, body="")

        page.route("**/pagefind/**", from_single)
        alone = all_results(page, example_site.url(f"/search/?q={QUERY}"))
    finally:
        context.close()
    assert sorted(r["href"] for r in alone["results"]) == sorted(found)
    # Each shard scores by its own word statistics, so the order below the best result may differ
    # from one index's on shards this small (hence MIN_SHARD_PAGES); what is found does not.


def test_merged_shards_under_a_sub_path_with_relative_urls(browser: Any, tmp_path: Path) -> None:
    import shutil
    from urllib.parse import urlsplit

    from .test_base_path_in_browser import PREFIX, _UnderPrefix

    site = tmp_path / "site"
    for name in ("content", "static"):
        shutil.copytree(SITE / name, site / name)
    (site / "site.yml").write_text((SITE / "site.yml").read_text() + "\nrelative_urls: true\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "MIN_SHARD_PAGES", 1)
        result = build(BuildOptions(source=site, now=NOW, cache=False, record_urls=False))
    output = site / "output"
    assert json.loads((output / "pagefind/shards.json").read_text(encoding="utf-8"))["merge"]
    handler = functools.partial(_UnderPrefix, directory=str(output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    failed: list[str] = []
    try:
        page = context.new_page()
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        base = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
        found = all_results(page, base + f"search/?q={QUERY}")
    finally:
        context.close()
        server.shutdown()
    months = {PREFIX + a.url[1:]: f"{a.date.year:04d}-{a.date.month:02d}" for a in result.loaded.site.articles}
    paths = [urlsplit(r["href"]).path if "//" in r["href"] else r["href"] for r in found["results"]]
    assert set(paths) <= set(months) and {months[p] for p in paths} == set(months.values())
    assert failed == []  # every shard, script and fragment found under the sub-path
