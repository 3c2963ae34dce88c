"""Warm builds do little work, yet report and produce what a fresh build would."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MINIMAL_SITE_YML, NOW, article, run_build, write_site

import broadsheet.pipeline as pipeline
import broadsheet.stages.publish as publish_stage
import broadsheet.stages.rank as rank_stage
from broadsheet.cli import main
from broadsheet.incremental.cache import CACHE_DIR, CACHE_FILE
from broadsheet.publish import search


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = publish_stage.page_facts

    def counted(data: bytes) -> tuple[tuple[str, ...], bool]:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(publish_stage, "page_facts", counted)
    return calls


def test_warm_build_reads_no_kept_page_back(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site({f"content/world/a{i}.md": article(f"Story {i}") for i in range(5)})
    run_build(site)
    calls = _counting(monkeypatch)
    reads: list[Path] = []
    real_read = Path.read_bytes

    def spy(self: Path) -> bytes:
        if "output" in self.parts:
            reads.append(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    result = run_build(site)
    assert result.pages_rendered == 0 and calls == [] and reads == []


def test_kept_page_without_remembered_facts_is_read_back(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site({"content/world/a.md": article("Alpha")})
    run_build(site)
    run_build(site)
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:  # as if a page's facts had not been saved
        db.execute("DELETE FROM facts")
    calls = _counting(monkeypatch)
    result = run_build(site)
    assert result.pages_rendered == 0 and calls  # read back from the output, then remembered again
    calls.clear()
    run_build(site)
    assert calls == []


def test_broken_link_still_reported_when_its_page_is_kept(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site({"content/world/a.md": article("Alpha", body="See [gone](/world/nowhere/).")})
    fresh = [w.message for w in run_build(site).warnings if "broken" in w.message]
    assert fresh and "/world/nowhere/" in fresh[0]
    warm = run_build(site)
    assert warm.pages_rendered == 0
    assert [w.message for w in warm.warnings if "broken" in w.message] == fresh
    # The missing page appears: the kept page's remembered link now resolves.
    (site / "content/world/nowhere.md").write_text(article("Nowhere"), encoding="utf-8")
    assert not [w for w in run_build(site).warnings if "broken" in w.message]


def test_no_search_skips_the_index(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[int] = []
    monkeypatch.setattr(search, "search_index", lambda pages, *a, **k: ran.append(len(pages)) or ([], []))
    site = make_site({"content/world/a.md": article("Alpha")})
    result = run_build(site, search=False)
    assert ran == [] and not result.warnings
    assert (site / "output/search/index.html").is_file() and not (site / "output/pagefind").exists()
    assert main(["build", "--source", str(site), "--no-search", "--quiet"]) == 0
    assert ran == []


def test_related_ranked_again_only_when_what_it_reads_changes(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    calls: list[int] = []
    real = rank_stage.update_ranking

    def counted(state, digests, doc_of, settings):  # type: ignore[no-untyped-def]
        calls.append(len(digests))
        return real(state, digests, doc_of, settings)

    monkeypatch.setattr(rank_stage, "update_ranking", counted)
    site = make_site({f"content/world/a{i}.md": article(f"Story {i}", tags=["Harbour"]) for i in range(4)})
    run_build(site)
    run_build(site)
    assert calls == [4]  # nothing changed: the lists of the last build
    path = site / "content/world/a1.md"
    path.write_text(path.read_text().replace('["Harbour"]', '["Floods"]'), encoding="utf-8")
    run_build(site)
    assert calls == [4, 4]


def test_related_key_ignores_text_past_what_the_ranking_reads() -> None:
    from dataclasses import dataclass
    from datetime import UTC, datetime

    from broadsheet.content.body import Body, BodyRef
    from broadsheet.content.model import Article, Category, Tag
    from broadsheet.related.index import RelatedSettings

    @dataclass(frozen=True)
    class Reading:
        count: int = 6
        text_bytes: int = 20

    def doc(text: str) -> Article:
        return Article(
            "content/world/a.md",
            "A",
            "a",
            "/a/",
            datetime(2026, 1, 1, tzinfo=UTC),
            (),
            Category("world", "World", "/category/world/"),
            (Tag("t", "t", "/tag/t/"),),
            "S",
            Body(f"<p>{text}</p>", text),
            "",
            len(text.split()),
            1,
        )

    def key(text: str) -> str:
        return rank_stage.related_inputs_key([doc(text)], Reading())  # type: ignore[arg-type]

    base = key("one two three four five six seven")
    assert base == key("one two three four five six seven eight")
    assert base != key("ONE two three four five six seven")
    assert key("one") != key("one two")
    # The ranking's default reading uses the hash kept with each body (a cached body is not read).
    stored = rank_stage.related_inputs_key([doc("x " * 2000)], RelatedSettings())
    lazy = doc("x " * 2000)
    kept = BodyRef("cache.sqlite", "content/world/a.md", "/site/content/world/a.md", False, "digest", "UTC")
    unread = Body(ref=kept, opening=lazy.body.opening, blank=False)
    assert stored == rank_stage.related_inputs_key([dataclasses.replace(lazy, body=unread)], RelatedSettings())
    assert not unread.loaded


def test_sitemaps_kept_while_their_entries_are_the_same(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    made: list[int] = []
    real = publish_stage.sitemap_files

    def counted(entries, base_url):  # type: ignore[no-untyped-def]
        made.append(len(entries))
        return real(entries, base_url)

    monkeypatch.setattr(publish_stage, "sitemap_files", counted)
    site = make_site({f"content/world/a{i}.md": article(f"Story {i}") for i in range(3)})
    run_build(site)
    before = (site / "output/sitemap.xml").read_bytes()
    again = run_build(site)
    assert len(made) == 1 and again.stats and again.stats.written == 0
    (site / "output/sitemap.xml").write_text("defaced")
    run_build(site)
    assert len(made) == 2 and (site / "output/sitemap.xml").read_bytes() == before
    (site / "content/world/new.md").write_text(article("New story"), encoding="utf-8")
    run_build(site)
    assert len(made) == 3 and b"/world/new-story/" in (site / "output/sitemap.xml").read_bytes()


def test_feeds_kept_while_what_they_show_is_the_same(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    made: list[int] = []
    real = publish_stage.render_feeds

    def counted(feeds):  # type: ignore[no-untyped-def]
        made.append(len(feeds.feeds))
        return real(feeds)

    monkeypatch.setattr(publish_stage, "render_feeds", counted)
    # Feeds show the newest two stories; a1 is older than both.
    files = {f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-1{i}T08:00:00") for i in range(4)}
    site = make_site({**files, "site.yml": MINIMAL_SITE_YML + "feeds:\n  count: 2\n"})
    run_build(site)
    old = site / "content/world/a1.md"
    old.write_text(old.read_text() + "\nA correction.\n")
    run_build(site)
    assert len(made) == 1  # the feeds do not show it
    newest = site / "content/world/a3.md"
    newest.write_text(newest.read_text() + "\nA correction.\n")
    run_build(site)
    assert len(made) == 2 and b"A correction." in (site / "output/feed.xml").read_bytes()
    (site / "output/category/world/feed.xml").write_text("defaced")
    run_build(site)
    assert len(made) == 3
    fresh = tmp_path / "fresh"
    run_build(site, output=fresh, cache=False)
    for feed in ("feed.xml", "category/world/feed.xml"):
        assert (site / "output" / feed).read_bytes() == (fresh / feed).read_bytes()


def pages_link_checked(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The pages whose links each build checks (their paths, sorted), one list a build, as they come."""
    checked: list[list[str]] = []
    real = publish_stage.check_page_links

    def counted(pages, *args, **kwargs):  # type: ignore[no-untyped-def]
        pages = list(pages)
        checked.append(sorted(f.path for f, _ in pages))
        return real(pages, *args, **kwargs)

    monkeypatch.setattr(publish_stage, "check_page_links", counted)
    return checked


def test_warm_builds_check_only_links_that_can_have_changed(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept pages are not checked again (those with broken links: just those links), yet every warning stays."""
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site(
        {
            **{f"content/world/a{i}.md": article(f"Story {i}") for i in range(4)},
            "content/world/broken.md": article("Broken", body="See [the report](/reports/2026/)."),
        }
    )
    checked: list[list[str]] = []
    links_read: list[dict[str, list[str]]] = []
    real = publish_stage.check_page_links

    def counted(pages, *args, **kwargs):  # type: ignore[no-untyped-def]
        pages = list(pages)
        checked.append(sorted(f.path for f, _ in pages))
        links_read.append({f.path: list(links) for f, links in pages})
        return real(pages, *args, **kwargs)

    monkeypatch.setattr(publish_stage, "check_page_links", counted)
    first = run_build(site)
    warned = [w.message for w in first.warnings if "broken internal link" in w.message]
    assert len(warned) == 1 and "world/broken/index.html" in warned[0]
    assert len(checked[-1]) > 5
    again = run_build(site)
    assert again.pages_rendered == 0
    assert [w.message for w in again.warnings if "broken internal link" in w.message] == warned
    assert checked[-1] == ["world/broken/index.html"]  # only the page that had a broken link
    assert links_read[-1] == {"world/broken/index.html": ["/reports/2026/"]}  # and only that link
    # The missing target appears: the kept page's broken link is judged again and the warning goes;
    # of the other pages, only those rendered again (if any) are checked.
    (site / "static/reports/2026").mkdir(parents=True)
    (site / "static/reports/2026/index.html").write_text("<p>Report</p>", encoding="utf-8")
    fixed = run_build(site)
    assert not [w for w in fixed.warnings if "broken internal link" in w.message]
    assert "world/broken/index.html" in checked[-1] and len(checked[-1]) <= fixed.pages_rendered + 1
    quiet = run_build(site)
    assert [w.message for w in quiet.warnings] == [w.message for w in fixed.warnings]
    assert checked[-1] == []  # nothing rendered, nothing broken before: nothing to check


def test_a_target_deleted_under_kept_pages_is_reported_and_stays_reported(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file gone from the output is looked for in every page, kept ones included; the warning then
    persists on warm builds that check only that page's broken link."""
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site(
        {
            "site.yml": MINIMAL_SITE_YML + "related: {count: 0}\n",
            **{f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-1{i}T10:00:00") for i in range(4)},
            "content/sport/cites.md": article("Cites", date="2026-10-01T10:00:00", body="See [it](/world/story-3/)."),
        }
    )
    checked = pages_link_checked(monkeypatch)
    assert not [w for w in run_build(site).warnings if "broken" in w.message]
    assert checked[-1] and run_build(site).pages_rendered == 0
    assert checked[-1] == []
    page = site / "output/sport/cites/index.html"
    made = page.stat().st_mtime_ns
    (site / "content/world/a3.md").unlink()
    gone = run_build(site)
    assert page.stat().st_mtime_ns == made  # the citing page is kept as it was; its link now leads nowhere
    warned = [w.message for w in gone.warnings if "broken internal link" in w.message]
    assert len(warned) == 1 and "/world/story-3/" in warned[0] and "sport/cites/index.html" in warned[0]
    assert len(checked[-1]) > gone.pages_rendered + 1  # a file went: kept pages were checked too
    again = run_build(site)
    assert [w.message for w in again.warnings if "broken internal link" in w.message] == warned
    assert checked[-1] == ["sport/cites/index.html"]


@pytest.mark.skipif(search.find_pagefind() is None, reason="Pagefind is not installed")
def test_an_edit_indexed_again_does_not_check_every_page(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexing a shard again renames its chunks (Pagefind names them by content): files gone from
    the output, but no page links to them, so only the pages rendered again are checked."""
    site = make_site(
        {
            **{f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-1{i}T10:00:00") for i in range(5)},
            "content/sport/cites.md": article("Cites", date="2026-10-01T10:00:00", body="See [it](/nowhere/)."),
        }
    )
    checked = pages_link_checked(monkeypatch)
    first = run_build(site)
    warned = [w.message for w in first.warnings if "broken internal link" in w.message]
    assert len(warned) == 1
    chunks = {p.relative_to(site / "output").as_posix() for p in (site / "output/pagefind").rglob("*.pf_*")}
    story = site / "content/world/a2.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nA harbour strike ended at dawn.\n", encoding="utf-8")
    edited = run_build(site)
    after = {p.relative_to(site / "output").as_posix() for p in (site / "output/pagefind").rglob("*.pf_*")}
    assert chunks - after  # the index was made again: some chunks are gone
    assert edited.search_shards_indexed
    assert [w.message for w in edited.warnings if "broken internal link" in w.message] == warned
    assert "sport/cites/index.html" in checked[-1]  # a kept page with a broken link: that link again
    assert len(checked[-1]) <= edited.pages_rendered + 1 < len(checked[0])
    # A page gone from the output still has every page checked.
    (site / "content/world/a4.md").unlink()
    gone = run_build(site)
    assert len(checked[-1]) > gone.pages_rendered + 1


def test_a_path_spelt_another_way_is_the_same_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The API with a relative path and the command line (which resolves it) build the same site:
    # neither renders again what the other rendered.
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    # Files the pages' key names by path: a static file (pages may show an image's size), a table.
    files = {"static/css/site.css": "body {}\n", "i18n/en.yml": "home: Front\n"}
    site = write_site(tmp_path / "site", {**files, **{f"content/world/a{i}.md": article(f"S {i}") for i in range(3)}})
    monkeypatch.chdir(tmp_path)
    first = pipeline.build(pipeline.BuildOptions(source=Path("site"), now=NOW))
    assert first.pages_rendered > 0
    assert pipeline.build(pipeline.BuildOptions(source=site, now=NOW)).pages_rendered == 0
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    spelt = pipeline.BuildOptions(source=Path("../site/./"), output=Path("../site/output"), now=NOW)
    assert spelt.source == site and spelt.output == site / "output"
    assert pipeline.build(spelt).pages_rendered == 0
    assert main(["build", "--source", "../site", "--quiet"]) == 0
    assert (site / "output/world/s-0/index.html").is_file()


def test_warm_builds_find_where_broken_links_are_written_without_reading_sources_again(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a broken link is written is remembered with what it was found in: a warm build reads no
    source for it and warns the same; an edit to the sources finds it again (its new line)."""
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site(
        {
            **{f"content/world/a{i}.md": article(f"Story {i}") for i in range(3)},
            "content/world/broken.md": article("Broken", body="See [the report](/reports/2026/)."),
        }
    )
    searched: list[list[str]] = []
    real = publish_stage.locate_links

    def counted(links, sources):  # type: ignore[no-untyped-def]
        sources = list(sources)
        searched.append([rel for rel, _ in sources])
        return real(links, sources)

    monkeypatch.setattr(publish_stage, "locate_links", counted)
    first = run_build(site)
    warned = [(w.message, w.path, w.line) for w in first.warnings if "broken internal link" in w.message]
    assert len(warned) == 1 and warned[0][1] == "content/world/broken.md" and searched
    searched.clear()
    again = run_build(site)
    assert [(w.message, w.path, w.line) for w in again.warnings if "broken internal link" in w.message] == warned
    assert searched == []
    # The link moves two lines down in its source: found again, at its new line.
    source = site / "content/world/broken.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("See [the report]", "Intro.\n\nSee [the report]"), encoding="utf-8")
    moved = run_build(site)
    now = [(w.message, w.path, w.line) for w in moved.warnings if "broken internal link" in w.message]
    assert searched and len(now) == 1 and now[0][2] == (warned[0][2] or 0) + 2


def test_kept_links_are_those_the_check_reads_and_only_for_their_base_url(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache keeps a page's links the check can find a file for (no share buttons, mail links or
    fragments), with the base URL that chose them: kept for another, they are read from the page."""
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site(
        {
            "site.yml": MINIMAL_SITE_YML + "related: {count: 0}\n",
            **{f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-1{i}T10:00:00") for i in range(4)},
            "content/sport/cites.md": article("Cites", date="2026-10-01T10:00:00", body="See [it](/world/story-3/)."),
        }
    )
    run_build(site)
    page = "sport/cites/index.html"
    written = publish_stage.page_facts((site / "output" / page).read_bytes())[0]
    assert any(link.startswith(("mailto:", "#")) for link in written)  # the theme's share links, its anchors
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        texts = [link for (link,) in db.execute("SELECT link FROM linktext")]
    marker = publish_stage.links_under("https://news.example.org/")
    assert marker in texts
    assert not [t for t in texts if t.startswith(("mailto:", "#", "https://x.com"))]
    assert "/world/story-3/" in texts
    # Kept for another base URL: a file gone, every kept page is checked, their links read back.
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        db.execute("UPDATE linktext SET link = ? WHERE link = ?", ("\x00under https://other.example/", marker))
    read = _counting(monkeypatch)
    (site / "content/world/a3.md").unlink()
    gone = run_build(site)
    warned = [w.message for w in gone.warnings if "broken internal link" in w.message]
    assert len(warned) == 1 and "/world/story-3/" in warned[0] and page in warned[0]
    assert len((site / "output" / page).read_bytes()) in read  # the kept page, read back for its links
