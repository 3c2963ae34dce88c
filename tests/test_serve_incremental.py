"""The preview's in-memory site: after any edit its pages equal a full build's, and an edit
re-renders only the pages it touches."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import NOW, article, write_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadsheet.errors import BuildFailed
from broadsheet.pipeline import BuildOptions, build, load_site, render_site
from broadsheet.serve.preview import IncrementalSite, RelatedMode, UpdateResult
from broadsheet.urls import output_path

SITE_YML = """\
title: Test Times
tagline: All the news that fits
base_url: https://news.example.org/
timezone: UTC
categories:
  - {name: World}
  - {name: Sport}
  - {name: Culture}
authors:
  ana: {name: Ana Lima}
  ben: {name: Ben Ode}
pagination: {per_page: 3}
related: {count: 3}
feeds: {count: 4}
"""


def full_build(site: Path, **options: object) -> dict[str, bytes]:
    """Pages of a full build in memory: output path → bytes."""
    loaded = load_site(BuildOptions(source=site, now=NOW, **options))  # type: ignore[arg-type]
    files = render_site(loaded).files
    return {f.path: f.data for f in files if f.data is not None}


def html_showing(live: IncrementalSite, url: str) -> set[str]:
    """Rendered pages (not feeds or sitemaps) that link to ``url``, and its own page."""
    return {u for u, data in live.pages.items() if f'"{url}"'.encode() in data and not u.endswith((".xml", ".txt"))} | {
        url
    }


def templated(live: IncrementalSite) -> list[str]:
    """Pages rendered from templates (not feeds, sitemaps or robots.txt)."""
    return [u for u in live.pages if not u.endswith((".xml", ".txt"))]


def in_memory(live: IncrementalSite) -> dict[str, bytes]:
    """Pages of the preview, keyed like full_build()."""
    return {output_path(url): data for url, data in live.pages.items()}


def start(site: Path, related: RelatedMode = "auto", **options: object) -> IncrementalSite:
    live = IncrementalSite(BuildOptions(source=site, now=NOW, **options), related=related)  # type: ignore[arg-type]
    result = live.load()
    assert result.ok, [e.format() for e in result.errors]
    return live


def edit(site: Path, rel: str, text: str) -> Path:
    path = site / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def assert_same_as_full_build(live: IncrementalSite, site: Path) -> None:
    expected = full_build(site)
    got = in_memory(live)
    assert got.keys() == expected.keys()
    for path in expected:
        assert got[path] == expected[path], path


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    """Nine articles over three categories and two authors, with shared tags."""
    files = {"site.yml": SITE_YML, "content/pages/about.md": "---\ntitle: About\n---\nWe report.\n"}
    for i in range(9):
        cat = ("world", "sport", "culture")[i % 3]
        files[f"content/{cat}/story-{i}.md"] = article(
            f"Story {i}",
            date=f"2026-11-{10 + i:02d}T09:00:00",
            body=f"Body of story {i}.",
            tags=[f"t{i % 2}", "common"] if i % 4 else [f"t{i % 2}"],
            author="ana" if i % 2 else "ben",
        )
    return write_site(tmp_path / "site", files)


def test_first_load_equals_full_build(newsroom: Path) -> None:
    live = start(newsroom)
    assert_same_as_full_build(live, newsroom)
    assert not (newsroom / "output").exists()


def build_renders(site: Path, out: Path) -> int:
    """How many pages a build renders, with the cache of the builds before it in ``out``."""
    return build(BuildOptions(source=site, output=out, now=NOW, record_urls=False, search=False)).pages_rendered


def test_body_edit_renders_only_the_pages_showing_the_article(newsroom: Path, tmp_path: Path) -> None:
    live = start(newsroom, related="exact")
    build_renders(newsroom, tmp_path / "out")
    total = len(live.pages)
    text = (newsroom / "content/world/story-0.md").read_text() + "\nA second paragraph.\n"
    result = live.update([edit(newsroom, "content/world/story-0.md", text)])
    assert result.ok and not result.replanned
    # Story 0 is the oldest: its page, the next-newer story's page (prev link), the pages whose
    # related block lists it, and the listings that show it: last home page, World, tag t0, Ben.
    # Also rendered: /archive/, whose month counts depend on every article (it declares them all).
    # The same pages as a build renders after the same edit.
    showing = html_showing(live, "/world/story-0/") | {"/archive/"}
    assert result.rendered_count == len(showing) == build_renders(newsroom, tmp_path / "out") < total
    # The others show its title and summary (the first paragraph), not the rest. Of the feeds (four
    # newest stories each) only World's, with three stories, holds this old one.
    assert result.changed_urls == ("/category/world/feed.xml", "/world/story-0/")
    assert b"A second paragraph." in live.pages["/world/story-0/"]
    assert_same_as_full_build(live, newsroom)


def test_title_edit_moves_nothing_but_updates_every_page_showing_it(newsroom: Path, tmp_path: Path) -> None:
    live = start(newsroom, related="exact")
    build_renders(newsroom, tmp_path / "out")
    path = newsroom / "content/sport/story-4.md"
    text = path.read_text().replace('title: "Story 4"', 'title: "Story four"\nslug: story-4')
    before = html_showing(live, "/sport/story-4/")
    result = live.update([edit(newsroom, "content/sport/story-4.md", text)])
    assert result.ok and not result.replanned
    assert set(result.changed_urls) == before | {"/category/sport/feed.xml"}  # not among the 4 newest overall
    # And /archive/, which declares every article (see test_body_edit_renders_only_...).
    assert result.rendered_count == len(before | {"/archive/"}) == build_renders(newsroom, tmp_path / "out")
    assert_same_as_full_build(live, newsroom)


def test_date_change_reorders_listings(newsroom: Path) -> None:
    live = start(newsroom)
    path = newsroom / "content/world/story-0.md"
    result = live.update(
        [
            edit(
                newsroom,
                "content/world/story-0.md",
                path.read_text().replace("2026-11-10T09:00:00", "2026-11-25T09:00:00"),
            )
        ]
    )
    assert result.ok and result.replanned
    assert "/" in result.changed_urls and "/category/world/" in result.changed_urls
    home = live.pages["/"].decode()
    assert home.index("Story 0") < home.index("Story 8")
    assert_same_as_full_build(live, newsroom)


def test_new_article_shifts_pagination(newsroom: Path) -> None:
    live = start(newsroom)
    assert "/page/4/" not in live.pages
    result = live.update([edit(newsroom, "content/world/new.md", article("Fresh news", date="2026-11-28"))])
    assert result.ok and "/world/fresh-news/" in result.changed_urls
    assert "/page/4/" in live.pages  # ten articles, three per page
    assert_same_as_full_build(live, newsroom)


def test_deleted_article_disappears(newsroom: Path) -> None:
    live = start(newsroom)
    path = newsroom / "content/culture/story-2.md"
    path.unlink()
    result = live.update([path])
    assert result.ok and "/culture/story-2/" in result.changed_urls
    assert "/culture/story-2/" not in live.pages
    assert_same_as_full_build(live, newsroom)


def test_template_change_renders_every_page(newsroom: Path) -> None:
    theme = newsroom / "themes/local"
    edit(newsroom, "themes/local/theme.yml", "name: local\nextends: frontier\n")
    edit(newsroom, "site.yml", SITE_YML + "theme: local\n")
    live = start(newsroom)
    path = edit(newsroom, "themes/local/templates/page.html", "PAGE {{ page.title }}")
    result = live.update([path])
    assert result.ok and result.rendered_count == len(templated(live))
    assert live.pages["/about/"] == b"PAGE About"
    assert theme.is_dir()
    assert_same_as_full_build(live, newsroom)


def test_string_table_change_renders_every_page(newsroom: Path) -> None:
    # The site's table, new then edited, then a theme's: like a template, every page's words.
    edit(newsroom, "themes/local/theme.yml", "name: local\nextends: frontier\n")
    edit(newsroom, "site.yml", SITE_YML + "theme: local\n")
    live = start(newsroom)
    assert (newsroom / "i18n", True) not in live.watch_roots()
    result = live.update([edit(newsroom, "i18n/en.yml", "home: Front\n")])
    assert result.ok and result.rendered_count == len(templated(live))
    assert b">Front</a>" in live.pages["/"]
    assert (newsroom / "i18n", True) in live.watch_roots()
    assert_same_as_full_build(live, newsroom)
    result = live.update([edit(newsroom, "i18n/en.yml", "home: Front page\n")])
    assert result.ok and result.rendered_count == len(templated(live))
    assert b">Front page</a>" in live.pages["/"]
    (newsroom / "i18n/en.yml").unlink()
    result = live.update([edit(newsroom, "themes/local/i18n/en.yml", "home: Cover\n")])
    assert result.ok and result.rendered_count == len(templated(live))
    assert b">Cover</a>" in live.pages["/"]
    assert_same_as_full_build(live, newsroom)


def test_site_yml_change_rebuilds_all(newsroom: Path) -> None:
    live = start(newsroom)
    path = edit(newsroom, "site.yml", SITE_YML.replace("Test Times", "Evening Times"))
    result = live.update([path])
    assert result.ok and result.replanned and result.rendered_count == len(templated(live))
    assert all(b"Evening Times" in data for url, data in live.pages.items() if url.endswith("/"))
    assert_same_as_full_build(live, newsroom)


def test_broken_front_matter_reports_then_recovers(newsroom: Path) -> None:
    live = start(newsroom)
    before = dict(live.pages)
    path = newsroom / "content/world/story-3.md"
    good = path.read_text()
    result = live.update(
        [edit(newsroom, "content/world/story-3.md", good.replace('title: "Story 3"', "title: Breaking: fire"))]
    )
    assert not result.ok
    assert [e.location() for e in result.errors] == ["content/world/story-3.md:2"]
    assert live.pages == before  # the last good pages stay
    result = live.update([edit(newsroom, "content/world/story-3.md", good.replace("Story 3", "Story three"))])
    assert result.ok
    assert_same_as_full_build(live, newsroom)


def test_static_file_change_renders_nothing(newsroom: Path) -> None:
    live = start(newsroom)
    css = edit(newsroom, "static/css/extra.css", "body { color: red }")
    result = live.update([css])
    assert result.ok and result.rendered_count == 0 and result.static_changed == ("/css/extra.css",)
    assert live.static["/css/extra.css"] == css
    result = live.update([edit(newsroom, "static/css/extra.css", "body { color: blue }")])
    assert result.static_changed == ("/css/extra.css",) and result.rendered_count == 0


def png(width: int, height: int) -> bytes:
    """A valid, blank PNG of the given size."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_replaced_image_updates_the_sizes_pages_give_it(newsroom: Path) -> None:
    (newsroom / "static/images").mkdir(parents=True)
    photo = newsroom / "static/images/photo.png"
    photo.write_bytes(png(40, 30))
    path = newsroom / "content/world/story-3.md"
    path.write_text(path.read_text().replace("---\n", "---\nimage: /images/photo.png\n", 1))
    live = start(newsroom)
    assert b'width="40"' in live.pages["/world/story-3/"]
    photo.write_bytes(png(64, 48))
    result = live.update([photo])
    assert result.ok and result.static_changed == ("/images/photo.png",)
    assert b'width="64"' in live.pages["/world/story-3/"]
    assert 0 < result.rendered_count < len(templated(live))
    assert_same_as_full_build(live, newsroom)


def frozen_statistics_build(site: Path, live: IncrementalSite) -> dict[str, bytes]:
    """A full build whose related lists use the word statistics the preview's index froze."""
    import dataclasses
    from types import MappingProxyType

    from broadsheet.pipeline import related_docs, related_settings
    from broadsheet.related.index import build_related_index

    loaded = load_site(BuildOptions(source=site, now=NOW))
    index = live._related_index
    assert index is not None
    lists = build_related_index(related_docs(loaded.site), related_settings(loaded.site), stats=index.stats).lists
    loaded.site = dataclasses.replace(loaded.site, related=MappingProxyType({k: tuple(v) for k, v in lists.items()}))
    files = render_site(loaded).files
    return {f.path: f.data for f in files if f.data is not None}


def test_local_related_folds_edits_into_the_index(newsroom: Path) -> None:
    live = start(newsroom, related="local")
    path = newsroom / "content/culture/story-5.md"
    result = live.update(
        [edit(newsroom, "content/culture/story-5.md", path.read_text().replace('["t1", "common"]', '["t0"]'))]
    )
    assert result.ok
    assert in_memory(live) == frozen_statistics_build(newsroom, live)


# --------------------------------------------------------------------------- random edits

EDITS = (
    "body",
    "title",
    "date",
    "tags",
    "category",
    "draft",
    "featured",
    "add",
    "delete",
    "break",
    "alias",
    "page",
    "ignored",
    "summary",
    "image",
)


def apply_edit(site: Path, kind: str, n: int) -> list[Path]:
    """Make one kind of edit to article ``n`` (or a new one); return the paths touched."""
    files = sorted((site / "content").rglob("*.md"))
    articles = [p for p in files if p.parent.name != "pages"]
    target = articles[n % len(articles)] if articles else None
    if kind == "add" or target is None:
        cat = ("world", "sport", "culture", "science")[n % 4]
        return [
            edit(
                site,
                f"content/{cat}/added-{n}.md",
                article(f"Added {n}", date=f"2026-11-{1 + n % 27:02d}T08:00:00", tags=[f"t{n % 3}"]),
            )
        ]
    text = target.read_text(encoding="utf-8")
    if kind == "body":
        text += f"\nMore text {n}.\n"
    elif kind == "title":
        text = text.replace('title: "', f'title: "Re{n} ', 1)
    elif kind == "date":
        text = "\n".join(
            f"date: 2026-11-{1 + n % 27:02d}T07:00:00" if line.startswith("date:") else line
            for line in text.split("\n")
        )
    elif kind == "tags":
        if "tags:" not in text:
            text = text.replace("---\n", f"---\ntags: [t{n % 3}, Common]\n", 1)
        else:
            lines = text.split("\n")
            text = "\n".join(f"tags: [t{n % 3}]" if line.startswith("tags:") else line for line in lines)
    elif kind == "category":
        text = text.replace("---\n", f"---\ncategory: {('Sport', 'Science', 'World')[n % 3]}\n", 1)
    elif kind == "draft":
        text = text.replace("---\n", "---\ndraft: true\n", 1)
    elif kind == "image":
        picture = site / f"static/images/p{n % 2}.png"
        picture.parent.mkdir(parents=True, exist_ok=True)
        picture.write_bytes(png(8 + n, 6 + n % 5))
        if "image:" not in text:
            target.write_text(text.replace("---\n", f"---\nimage: /images/p{n % 2}.png\n", 1), encoding="utf-8")
        return [picture, target]
    elif kind == "summary":
        text = text.replace("---\n", f"---\nsummary: Teaser {n}\nupdated: 2026-11-28\n", 1)
    elif kind == "featured":
        text = text.replace("---\n", "---\nfeatured: true\n", 1)
    elif kind == "alias":
        text = text.replace("---\n", f"---\naliases: [/old/a{n}/]\n", 1)
    elif kind == "delete":
        target.unlink()
        return [target]
    elif kind == "break":
        text = text.replace("---\n", "---\ntitle: [unclosed\n", 1)
    elif kind == "page":
        return [edit(site, "content/pages/about.md", f"---\ntitle: About {n}\n---\nWe report {n}.\n")]
    elif kind == "ignored":
        return [
            edit(site, str(target.relative_to(site)) + "~", "backup"),
            edit(site, str(target.with_name(f".{target.name}.swp").relative_to(site)), "swap"),
        ]
    target.write_text(text, encoding="utf-8")
    return [target]


def check_against_full_build(live: IncrementalSite, site: Path, result: UpdateResult) -> None:
    try:
        expected = full_build(site)
    except BuildFailed as failed:
        assert not result.ok
        assert {e.format() for e in result.errors} == {e.format() for e in failed.errors}
        return
    assert result.ok, [e.format() for e in result.errors]
    got = in_memory(live)
    assert got.keys() == expected.keys()
    for path in expected:
        assert got[path] == expected[path], path


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 50)), min_size=1, max_size=6), st.booleans())
def test_random_edits_match_a_full_build(edits: list[tuple[str, int]], batch: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        files = {"site.yml": SITE_YML, "content/pages/about.md": "---\ntitle: About\n---\nWe report.\n"}
        for i in range(7):
            files[f"content/{('world', 'sport', 'culture')[i % 3]}/s{i}.md"] = article(
                f"Story {i}", date=f"2026-11-{10 + i}T09:00:00", tags=[f"t{i % 3}", "common"][: 1 + i % 2]
            )
        write_site(site, files)
        live = start(site, related="exact")
        pending: list[Path] = []
        for kind, n in edits:
            pending += apply_edit(site, kind, n)
            if not batch:
                check_against_full_build(live, site, live.update(pending))
                pending = []
        if pending:
            check_against_full_build(live, site, live.update(pending))


def test_helpers_cover_every_edit_kind(newsroom: Path) -> None:
    live = start(newsroom, related="exact")
    for i, kind in enumerate(EDITS):
        check_against_full_build(live, newsroom, live.update(apply_edit(newsroom, kind, i)))


def test_a_site_that_starts_broken_recovers(newsroom: Path) -> None:
    good = (newsroom / "site.yml").read_text()
    edit(newsroom, "site.yml", good + "colour: blue\n")
    live = IncrementalSite(BuildOptions(source=newsroom, now=NOW))
    result = live.load()
    assert not result.ok and any("colour" in e.message for e in result.errors)
    assert live.pages == {}
    result = live.update([edit(newsroom, "site.yml", good)])
    assert result.ok
    assert_same_as_full_build(live, newsroom)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 50)), min_size=1, max_size=5))
def test_random_edits_with_a_kept_related_index_match_a_build_with_the_same_statistics(
    edits: list[tuple[str, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        files = {"site.yml": SITE_YML, "content/pages/about.md": "---\ntitle: About\n---\nWe report.\n"}
        for i in range(7):
            files[f"content/{('world', 'sport', 'culture')[i % 3]}/s{i}.md"] = article(
                f"Story {i}", date=f"2026-11-{10 + i}T09:00:00", tags=[f"t{i % 3}", "common"][: 1 + i % 2]
            )
        write_site(site, files)
        live = start(site, related="local")
        for kind, n in edits:
            result = live.update(apply_edit(site, kind, n))
            if result.ok:
                assert in_memory(live) == frozen_statistics_build(site, live)


def test_shortcode_and_markdown_settings_edits_convert_bodies_again(newsroom: Path) -> None:
    edit(newsroom, "shortcodes/stamp.html", "{% macro stamp() %}<p>first stamp</p>{% endmacro %}")
    edit(
        newsroom,
        "content/world/story-0.md",
        article("Story 0", date="2026-11-10T09:00:00", body="{{< stamp >}}\n\n~~x~~"),
    )
    live = start(newsroom)
    assert b"first stamp" in live.pages["/world/story-0/"]
    path = edit(newsroom, "shortcodes/stamp.html", "{% macro stamp() %}<p>second stamp</p>{% endmacro %}")
    assert live.update([path]).ok
    assert b"second stamp" in live.pages["/world/story-0/"]
    assert_same_as_full_build(live, newsroom)
    path = edit(newsroom, "site.yml", SITE_YML + "markdown: {extensions: [pymdownx.tilde]}\n")
    assert live.update([path]).ok
    assert b"<del>x</del>" in live.pages["/world/story-0/"]
    assert_same_as_full_build(live, newsroom)
