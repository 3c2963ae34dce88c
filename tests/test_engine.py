"""The engine shared by build and serve: its decision of what to render again, and its sinks."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from conftest import NOW, article, write_site

from broadsheet.engine import (
    DiskSink,
    MemorySink,
    articles_touched,
    choose_pages,
    templates_reading_links,
    unchanged_articles,
)
from broadsheet.incremental.cache import PageFingerprints
from broadsheet.outputs import OutputFile, PageJob
from broadsheet.pipeline import BuildOptions, build, load_site, render_site
from broadsheet.render.pages import link_views
from broadsheet.serve.preview import IncrementalSite
from broadsheet.urls import output_path


def job(url: str, shows: tuple[str, ...] = ()) -> PageJob:
    return PageJob(url, "list.html", {"title": url}, "test", frozenset(shows))


def test_memory_sink_keeps_what_it_is_given_and_tells_what_changed() -> None:
    sink = MemorySink()
    assert sink.write([OutputFile("a/index.html", "a", data=b"A"), OutputFile("b.xml", "b", data=b"B")], ()) == [
        "a/index.html",
        "b.xml",
    ]
    # The same bytes again are no change; a kept file (no bytes) leaves what is held; removed files go.
    changed = sink.write(
        [OutputFile("a/index.html", "a", data=b"A"), OutputFile("b.xml", "b", kept="digest")], ["c.txt", "a/index.html"]
    )
    assert changed == ["a/index.html"] and sink.files == {"b.xml": b"B"}
    assert sink.holds("b.xml") and not sink.holds("a/index.html")


def test_pages_whose_articles_are_unchanged_keep_their_fingerprint_without_one_being_made() -> None:
    jobs = [job("/a/", ("x",)), job("/b/", ("y",)), job("/c/")]
    made: list[str] = []

    def fingerprint(j: PageJob) -> str:
        made.append(j.url)
        return "new" if j.url == "/b/" else "old"

    before = {"/a/": "old", "/b/": "old", "/c/": "old"}
    choice = choose_pages(jobs, fingerprint, before, {"x"}, lambda j: True)
    # /a/ shows only x, unchanged, and /c/ no article: their fingerprints are the ones they had
    # (what else a page sees is the site's, in the shape's key).
    assert made == ["/b/"]
    assert [j.url for j in choice.todo] == ["/b/"] and [j.url for j in choice.kept] == ["/a/", "/c/"]
    assert choice.prints == {"/a/": "old", "/b/": "new", "/c/": "old"}
    # Without the shortcut every page is fingerprinted; a page the sink lost is rendered whatever its fingerprint.
    made.clear()
    choice = choose_pages(jobs, fingerprint, before, None, lambda j: j.url != "/c/")
    assert made == ["/a/", "/b/", "/c/"] and [j.url for j in choice.todo] == ["/b/", "/c/"]


SITE_YML = """\
title: Test Times
base_url: https://news.example.org/
timezone: UTC
categories: [{name: World}, {name: Sport}]
pagination: {per_page: 2}
related: {count: 2}
"""


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    files = {"site.yml": SITE_YML}
    for i in range(6):
        files[f"content/{('world', 'sport')[i % 2]}/story-{i}.md"] = article(
            f"Story {i}", date=f"2026-11-{10 + i:02d}T09:00:00", body=f"Body of story {i}.", tags=[f"t{i % 3}"]
        )
    return write_site(tmp_path / "site", files)


def test_the_shape_shortcut_covers_the_neighbours_and_related_of_an_edited_article(newsroom: Path) -> None:
    site = load_site(BuildOptions(source=newsroom, now=NOW)).site
    urls = [a.url for a in site.articles]
    views = link_views(site)
    touched = articles_touched(views, {urls[2]})
    assert {urls[1], urls[2], urls[3]} <= touched  # its newer and older neighbours link to it
    assert all(url in touched for url, related in site.related.items() if urls[2] in related)
    digests = {a.url: a.digest for a in site.articles}
    assert unchanged_articles(views, ("shape", digests), None) is None
    assert unchanged_articles(views, ("shape", digests), ("other", digests)) is None
    assert unchanged_articles(views, ("shape", digests), ("shape", {**digests, urls[2]: "old"})) == set(urls) - touched


def test_articles_touched_are_those_linking_to_a_changed_one_whatever_holds_the_links(newsroom: Path) -> None:
    """The scan reads the link fields itself: it finds what render.shows.linked_views finds, with
    related lists still being ranked (which may not be looked into) and a theme's own link field."""
    import dataclasses
    import random

    from broadsheet.render.shows import linked_views
    from broadsheet.render.views import ArticleView, PendingRelated

    @dataclasses.dataclass(eq=False)
    class WithPick(ArticleView):
        pick: ArticleView | None = None

    site = load_site(BuildOptions(source=newsroom, now=NOW)).site
    views = dict(link_views(site))
    urls = list(views)
    rng = random.Random(5)
    first = views[urls[0]]
    views[urls[0]] = picked = WithPick(**{f.name: getattr(first, f.name) for f in dataclasses.fields(first)})
    others = {v.url for _, linked in linked_views(first) for v in linked}
    target = next(url for url in urls[1:] if url not in others)
    picked.pick = views[target]
    views[urls[1]].related = PendingRelated()
    for _ in range(20):
        changed = set(rng.sample(urls, rng.randint(1, 3)))
        expected = set(changed) | {
            url
            for url, view in views.items()
            if any(v.url in changed for _, linked in linked_views(view) for v in linked)
        }
        assert articles_touched(views, changed) == expected
    assert urls[0] in articles_touched(views, {target})  # through the theme's field alone


EDITS = {
    "body": lambda text: text + "\nA second paragraph.\n",
    "title": lambda text: text.replace('title: "Story 2"', 'title: "Story two"\nslug: story-2'),
    "date": lambda text: text.replace("2026-11-12T09:00:00", "2026-11-20T09:00:00"),
    "tags": lambda text: text.replace('tags: ["t2"]', 'tags: ["t0"]'),
}


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_the_preview_renders_the_pages_a_build_renders_after_the_same_edit(
    newsroom: Path, tmp_path: Path, kind: str
) -> None:
    options = BuildOptions(source=newsroom, output=tmp_path / "out", now=NOW, record_urls=False, search=False)
    live = IncrementalSite(BuildOptions(source=newsroom, now=NOW), related="exact")
    assert live.load().ok
    build(options)
    path = newsroom / "content/world/story-2.md"
    text = path.read_text(encoding="utf-8")
    edited = EDITS[kind](text)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    result = live.update([path])
    assert result.ok
    assert 0 < result.rendered_count == build(options).pages_rendered


def test_disk_sink_commits_the_site_to_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "site" / "output"
    out.parent.mkdir()
    sink = DiskSink(out, tmp_path / "site")
    stats = sink.write([OutputFile("a/index.html", "a", data=b"A")])
    assert stats.written == 1 and (out / "a/index.html").read_bytes() == b"A"
    sink.write([OutputFile("b/index.html", "b", data=b"B")])
    assert not (out / "a").exists() and (out / "b/index.html").read_bytes() == b"B"  # what is no longer made goes


def test_the_preview_updates_cards_that_show_their_articles_related_and_previous_stories(newsroom: Path) -> None:
    """A theme may show, on a listing, each card's related or previous story: an edit to that story
    reaches the listing in the preview as in a build (the fingerprint covers what a card links to)."""
    write_site(
        newsroom,
        {
            "site.yml": SITE_YML + "theme: mine\n",
            "themes/mine/theme.yml": "extends: frontier\n",
            "themes/mine/templates/list.html": (
                "{% for a in articles %}{{ a.title }}: {% for r in a.related %}{{ r.title }},{% endfor %}"
                "{% if a.prev %} after {{ a.prev.title }}{% endif %}|{% endfor %}"
            ),
        },
    )
    live = IncrementalSite(BuildOptions(source=newsroom, now=NOW), related="exact")
    assert live.load().ok
    path = newsroom / "content/world/story-2.md"
    text = path.read_text(encoding="utf-8").replace('title: "Story 2"', 'title: "Story two"\nslug: story-2')
    path.write_text(text, encoding="utf-8")
    result = live.update([path])
    assert result.ok and not result.replanned
    full = {f.path: f.data for f in render_site(load_site(BuildOptions(source=newsroom, now=NOW))).files if f.data}
    assert {output_path(url): data for url, data in live.pages.items()} == full
    assert any(b"after Story two" in data for url, data in live.pages.items() if url != "/world/story-2/")


def test_templates_that_can_read_an_articles_links_are_told_apart() -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(
            {
                "plain.html": '<a rel="prev" href="x">{% for a in articles %}{{ a.title }}{% endfor %}</a>',
                "attr.html": "{{ a.prev.title }}",
                "item.html": "{{ a['related'] }}",
                "filter.html": "{{ articles | map(attribute='next') | list }}",
                "extends.html": "{% extends 'attr.html' %}",
                "includes_plain.html": "{% include 'plain.html' %}{% include 'includes_plain.html' ignore missing %}",
                "imports.html": "{% from 'macros.html' import card %}{{ card(a) }}",
                "macros.html": "{% macro card(a) %}{% for r in a.related %}{{ r.title }}{% endfor %}{% endmacro %}",
                "dynamic.html": "{% include name %}",
                "missing.html": "{% include 'nowhere.html' %}",
                "broken.html": "{% for %}",
                "partials/card.html": "{{ item.prev.title }}",
                "cards.html": "{% for a in articles %}{{ card(a) }}{% endfor %}",
            }
        )
    )
    reads = templates_reading_links(env)
    told = {name: reads(name) for name in sorted(env.list_templates())}
    assert told == {
        "attr.html": True,
        "broken.html": True,
        "cards.html": True,  # its card() global renders partials/card.html, which reads prev
        "partials/card.html": True,
        "dynamic.html": True,
        "extends.html": True,
        "filter.html": True,
        "imports.html": True,
        "includes_plain.html": False,
        "item.html": True,
        "macros.html": True,
        "missing.html": True,
        "plain.html": False,
    }


def test_pages_whose_template_reads_no_links_are_fingerprinted_without_them() -> None:
    from test_fingerprints import base, view

    context = base()
    context["article"].related = [view("z")]  # a story that the listing does not show itself
    linked = PageFingerprints("k", lambda name: name == "article.html")
    listing, page = PageJob("/p/", "list.html", context, "t"), PageJob("/a/", "article.html", context, "t")
    before = (linked.of(listing), linked.of(page))
    context["article"].related[0].digest = "edited"
    again = PageFingerprints("k", lambda name: name == "article.html")
    assert again.of(listing) == before[0] and again.of(page) != before[1]
    assert PageFingerprints("k").of(listing) != before[0]  # without the templates' word: with the links
