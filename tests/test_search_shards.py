"""The search index split in shards by month: an edit re-indexes only the shard it touches."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import article, run_build

from broadsheet.outputs import OutputFile
from broadsheet.publish import search
from broadsheet.publish.search import Shard, find_pagefind, plan_shards, run_bounded

DEFAULT_MIN_SHARD_PAGES = search.MIN_SHARD_PAGES
needs_pagefind = pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed")

ABOUT = "---\ntitle: About\n---\nWe are a newspaper."


@pytest.fixture(autouse=True)
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard a month even for the few stories of a test site (a real site needs hundreds a month)."""
    monkeypatch.setattr(search, "MIN_SHARD_PAGES", 1)


def shards_of(output: Path) -> dict[str, object]:
    """The search page's list of shards, as written in the output."""
    data: dict[str, object] = json.loads((output / "pagefind/shards.json").read_text(encoding="utf-8"))
    return data


def three_months() -> dict[str, str]:
    return {
        "content/world/a.md": article("Alpha harbour", date="2026-09-03T10:00:00", body="The harbour froze."),
        "content/world/b.md": article("Beta harbour", date="2026-10-05T10:00:00", body="Boats in the harbour."),
        "content/sport/c.md": article("Gamma match", date="2026-10-20T10:00:00", body="A late goal."),
        "content/sport/d.md": article("Delta harbour race", date="2026-11-02T10:00:00", body="Rowing."),
        "content/pages/about.md": ABOUT,
    }


@needs_pagefind
def test_one_shard_a_month_the_oldest_primary(make_site: Callable[..., Path]) -> None:
    site = make_site(three_months())
    result = run_build(site)
    out = site / "output/pagefind"
    assert not result.warnings
    assert result.search_shards_indexed == ("2026-09", "2026-10", "2026-11")
    assert shards_of(site / "output") == {"primary": "2026-09", "merge": ["2026-10", "2026-11"]}
    # The primary bundle holds Pagefind's scripts; a merged shard only what a merged index is read from.
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (out / name).is_file()
    for shard in ("2026-10", "2026-11"):
        names = {p.relative_to(out / shard).as_posix().split("/")[0] for p in (out / shard).rglob("*") if p.is_file()}
        assert "pagefind-entry.json" in names and "fragment" in names and "index" in names
        assert not {n for n in names if n.endswith((".js", ".css")) or n.startswith("wasm.")}
    urls = {shard: _urls(out / shard) for shard in ("2026-10", "2026-11")}
    assert urls == {
        "2026-10": {"/world/beta-harbour/", "/sport/gamma-match/"},
        "2026-11": {"/sport/delta-harbour-race/"},
    }
    assert _urls(out) == {"/world/alpha-harbour/"}


def _urls(bundle: Path) -> set[str]:
    import gzip

    found = set()
    for fragment in (bundle / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        found.add(json.loads(data[len(b"pagefind_dcd") :])["url"])
    return found


@needs_pagefind
def test_an_edit_indexes_its_month_only(make_site: Callable[..., Path]) -> None:
    site = make_site(three_months())
    run_build(site)
    before = {p: p.read_bytes() for p in (site / "output/pagefind").rglob("*") if p.is_file()}
    again = run_build(site)
    assert again.search_shards_indexed == ()
    (site / "content/world/b.md").write_text(
        article("Beta harbour", date="2026-10-05T10:00:00", body="Ice in the harbour now."), encoding="utf-8"
    )
    edited = run_build(site)
    assert edited.search_shards_indexed == ("2026-10",)
    after = {p: p.read_bytes() for p in (site / "output/pagefind").rglob("*") if p.is_file()}
    changed = {
        p.relative_to(site / "output/pagefind").as_posix().split("/")[0] for p in before if before[p] != after.get(p)
    }
    assert changed == {"2026-10"}  # the other shards' files are the same bytes
    # An edit to the primary shard's month indexes the primary bundle again, and nothing else.
    (site / "content/world/a.md").write_text(
        article("Alpha harbour", date="2026-09-03T10:00:00", body="The harbour thawed."), encoding="utf-8"
    )
    assert run_build(site).search_shards_indexed == ("2026-09",)


@needs_pagefind
def test_a_deleted_article_rebuilds_its_shard_and_an_empty_month_goes(make_site: Callable[..., Path]) -> None:
    site = make_site(three_months())
    run_build(site)
    out = site / "output/pagefind"
    (site / "content/sport/c.md").unlink()
    result = run_build(site)
    # Its month only: the next story in Sport shows a new "previous story" link, but that link is
    # not what the index reads of it.
    assert result.search_shards_indexed == ("2026-10",)
    assert _urls(out / "2026-10") == {"/world/beta-harbour/"}
    (site / "content/sport/d.md").unlink()
    result = run_build(site)
    assert result.search_shards_indexed == ()  # nothing to index again: the shard is gone
    assert shards_of(site / "output") == {"primary": "2026-09", "merge": ["2026-10"]}
    assert not (out / "2026-11").exists()  # its files removed with the manifest, not left behind


@needs_pagefind
def test_a_new_month_adds_a_shard_to_the_search_page_list(make_site: Callable[..., Path]) -> None:
    site = make_site(three_months())
    run_build(site)
    (site / "content/world/e.md").write_text(
        article("Epsilon harbour", date="2026-12-01T08:00:00", body="Harbour lights."), encoding="utf-8"
    )
    result = run_build(site, now=datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert result.search_shards_indexed == ("2026-12",)
    assert shards_of(site / "output")["merge"] == ["2026-10", "2026-11", "2026-12"]
    assert _urls(site / "output/pagefind/2026-12") == {"/world/epsilon-harbour/"}
    # The search page merges what the list names, under the bundle folder.
    page = (site / "output/search/index.html").read_text(encoding="utf-8")
    assert 'fetch(bundle + "shards.json"' in page and "mergeIndex" in page


@needs_pagefind
def test_the_oldest_month_gone_makes_the_next_one_primary(make_site: Callable[..., Path]) -> None:
    site = make_site(three_months())
    run_build(site)
    (site / "content/world/a.md").unlink()
    result = run_build(site)
    assert result.search_shards_indexed == ("2026-10",)  # indexed again as the primary bundle
    assert shards_of(site / "output") == {"primary": "2026-10", "merge": ["2026-11"]}
    out = site / "output/pagefind"
    assert _urls(out) == {"/world/beta-harbour/", "/sport/gamma-match/"} and (out / "pagefind.js").is_file()
    assert not (out / "2026-10").exists()


def test_pages_that_are_not_articles_have_a_shard_of_their_own() -> None:
    months = {"world/a/index.html": "2026-10", "world/b/index.html": "2026-09"}
    pages = [("world/a/index.html", "1"), ("world/b/index.html", "2"), ("about/index.html", "3")]
    shards = plan_shards(pages, months)
    assert [(s.name, s.primary, s.folder) for s in shards] == [
        ("2026-09", True, "pagefind"),
        ("2026-10", False, "pagefind/2026-10"),
        ("pages", False, "pagefind/pages"),
    ]
    assert shards[2].pages == [("about/index.html", "3")]


def test_a_large_month_is_split_in_stable_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "MAX_SHARD_PAGES", 10)
    months = {f"p{i}/index.html": "2026-10" for i in range(35)}
    shards = plan_shards([(p, "x") for p in months], months)
    assert [s.name for s in shards] == ["2026-10.1", "2026-10.2", "2026-10.3", "2026-10.4"]
    assert sum(len(s.pages) for s in shards) == 35 and max(len(s.pages) for s in shards) <= 16
    where = {p: s.name for s in shards for p, _ in s.pages}
    edited = plan_shards([(p, "y" if p == "p3/index.html" else "x") for p in months], months)
    assert {p: s.name for s in edited for p, _ in s.pages} == where  # an edit keeps every page in its part
    changed = [a.name for a, b in zip(shards, edited, strict=True) if a.key != b.key]
    assert changed == [where["p3/index.html"]]


def test_parallel_indexing_keeps_within_the_page_budget() -> None:
    shards = [Shard(f"s{i}", [(f"{i}-{j}", "x") for j in range(size)]) for i, size in enumerate([60, 50, 40, 30, 5])]
    lock = threading.Lock()
    flying: list[int] = [0]
    peak: list[int] = [0]

    def index(shard: Shard) -> tuple[list[OutputFile], list[search.BuildWarning]]:
        with lock:
            flying[0] += len(shard.pages)
            peak[0] = max(peak[0], flying[0])
        time.sleep(0.02)
        with lock:
            flying[0] -= len(shard.pages)
        return [OutputFile(shard.name, "t", b"")], []

    results = run_bounded(shards, index, jobs=4, budget=100)
    assert [r[0][0].path for r in results] == ["s0", "s1", "s2", "s3", "s4"]  # in the order given
    assert peak[0] <= 100
    alone = run_bounded([Shard("big", [(str(j), "x") for j in range(150)])], index, jobs=4, budget=100)
    assert alone[0][0][0].path == "big"  # larger than the budget: runs alone rather than never


def test_a_small_site_is_one_shard_and_longer_periods_before_that(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "MIN_SHARD_PAGES", 4)
    # Four stories a month on average: a shard a month.
    months = {f"m{i}/index.html": f"2026-{1 + i % 3:02d}" for i in range(12)}
    assert [s.name for s in plan_shards([(p, "x") for p in months], months)] == ["2026-01", "2026-02", "2026-03"]
    # Two a month, six a quarter: a shard a quarter.
    months = {f"q{i}/index.html": f"2026-{1 + i % 6:02d}" for i in range(12)}
    assert [s.name for s in plan_shards([(p, "x") for p in months], months)] == ["2026-q1", "2026-q2"]
    # Fewer than four a year: one shard, with the pages that are not articles.
    months = {"a/index.html": "2024-05", "b/index.html": "2025-07", "c/index.html": "2026-01"}
    pages = [(p, "x") for p in [*months, "about/index.html"]]
    assert [(s.name, len(s.pages), s.folder) for s in plan_shards(pages, months)] == [("all", 4, "pagefind")]


def test_the_example_newsroom_is_one_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "MIN_SHARD_PAGES", DEFAULT_MIN_SHARD_PAGES)
    # Its 29 stories would make shards of a dozen: one index ranks them better.
    assert search.shard_period(["2026-10"] * 12 + ["2026-11"] * 17) == "all"
