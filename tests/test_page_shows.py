"""What a page shows is derived from its context (broadsheet.render.shows), never listed by hand."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from broadsheet import plan
from broadsheet.outputs import PageJob
from broadsheet.pipeline import BuildOptions, load_site
from broadsheet.render import pages, views
from broadsheet.render.pages import plan_pages
from broadsheet.render.shows import link_fields, shows_of
from broadsheet.serve.preview import IncrementalSite
from tests.conftest import MINIMAL_SITE_YML, NOW, article, run_build


def _newsroom(make_site, extra: dict[str, str] | None = None) -> Path:  # type: ignore[no-untyped-def]
    files = {
        f"content/{('world', 'sport')[i % 2]}/a{i}.md": article(
            f"Story {i}",
            date=f"2026-11-{10 + i:02d}T08:00:00",
            slug=f"story-{i}",
            tags=[f"T{i % 3}"],
            aliases=[f"/old/{i}/"] if i == 2 else [],
            body=f"Story {i} about the harbour and the flood.",
        )
        for i in range(8)
    }
    return make_site({**files, "site.yml": MINIMAL_SITE_YML, **(extra or {})})


def test_a_page_shows_the_articles_its_context_holds(make_site) -> None:  # type: ignore[no-untyped-def]
    site = _newsroom(make_site)
    loaded = load_site(BuildOptions(source=site, cache=False, now=NOW))
    jobs = {job.url: job for job in plan_pages(loaded.site)}
    by_url = {a.url: a for a in loaded.site.articles}
    every = set(by_url)
    for url, job in jobs.items():
        assert job.shows == shows_of(url, job.context)
        if job.template == "article.html":  # its own article whole: with its related, previous and next
            view = job.context["article"]
            linked = {v.url for v in view.related} | {v.url for v in (view.prev, view.next) if v is not None}
            assert job.shows == {url} | linked and len(linked) >= 2, url
        elif job.template == "list.html":  # a listing: its cards, not what they link to
            assert job.shows == {v.url for v in job.context["articles"]}, url
        elif job.template == "alias.html":
            assert job.shows == {job.context["target"].url}
        elif job.template == "archive.html":  # its months are counted over every article
            assert job.shows == every
        elif job.template in ("page.html", "search.html"):
            assert not job.shows
    assert link_fields() == ("related", "prev", "next")


def test_a_page_planned_by_hand_shows_what_its_context_holds(make_site) -> None:  # type: ignore[no-untyped-def]
    site = _newsroom(make_site)
    loaded = load_site(BuildOptions(source=site, cache=False, now=NOW))
    linked = pages.link_views(loaded.site)
    picked = [linked[a.url] for a in loaded.site.articles[2:5]]
    job = pages.page_job("/picks/", "list.html", {"picks": {"top": (picked[0], [picked[1]])}, "x": picked[2]}, "t")
    assert isinstance(job, PageJob) and job.shows == {v.url for v in picked}


@dataclass(slots=True)
class WithCompanion(views.ArticleView):
    """An article view with a field of a contributor's: a companion story, shown on the article's page."""

    companion: views.ArticleView | None = None


COMPANION_THEME = {
    "themes/mine/theme.yml": "extends: frontier\n",
    "themes/mine/templates/article.html": (
        "<h1>{{ article.title }}</h1>\n"
        "{% if article.companion %}<p class=companion>Read also: {{ article.companion.title }}</p>{% endif %}\n"
    ),
}


@pytest.fixture
def companions(make_site, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """A site whose article pages show a companion story (the oldest), added by touching the view
    (a field, filled where views are linked) and the template only."""
    monkeypatch.setattr(views, "ArticleView", WithCompanion)  # what article_view() makes
    real = pages.link_views

    def link_views(site, pending=False):  # type: ignore[no-untyped-def]
        linked = real(site, pending)
        oldest = linked[site.articles[-1].url]
        for view in linked.values():
            if view is not oldest:
                view.companion = oldest
        return linked

    monkeypatch.setattr(pages, "link_views", link_views)
    monkeypatch.setattr(plan, "link_views", link_views)  # (a contributor edits the function itself)
    yml = MINIMAL_SITE_YML.replace("\ntheme: frontier", "") + "theme: mine\n"
    return _newsroom(make_site, {**COMPANION_THEME, "site.yml": yml})


def _retitle_oldest(site: Path) -> None:
    path = site / "content/world/a0.md"
    path.write_text(path.read_text().replace("Story 0", "Harbour reopens"), encoding="utf-8")


def _pages(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*.html"))}


def test_a_value_a_view_gains_is_followed_by_warm_builds(companions: Path, tmp_path: Path) -> None:
    site = companions
    assert link_fields(WithCompanion) == ("related", "prev", "next", "companion")
    run_build(site, jobs=1)
    page = site / "output/sport/story-7/index.html"
    assert "Read also: Story 0" in page.read_text()
    _retitle_oldest(site)
    warm = run_build(site, jobs=1)
    # Every article's page shows the companion: each is rendered again, and shows its new title.
    assert warm.pages_rendered >= 7
    assert "Read also: Harbour reopens" in page.read_text()
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".broadsheet-cache", "output", ".output-*"))
    run_build(fresh, jobs=1, cache=False)
    assert _pages(site / "output") == _pages(fresh / "output")


def test_a_value_a_view_gains_is_followed_by_the_preview(companions: Path) -> None:
    live = IncrementalSite(BuildOptions(source=companions, now=NOW))
    assert live.load().ok
    _retitle_oldest(companions)
    result = live.update([companions / "content/world/a0.md"])
    assert result.ok and not result.replanned
    assert "/sport/story-7/" in result.changed_urls
    assert b"Read also: Harbour reopens" in live.pages["/sport/story-7/"]
    # An article edited in place keeps the companion it was linked to (set by linking, not copied).
    path = companions / "content/sport/a5.md"
    path.write_text(path.read_text().replace("Story 5", "Cup final"), encoding="utf-8")
    result = live.update([path])
    assert result.ok and not result.replanned
    assert b"Read also: Harbour reopens" in live.pages["/sport/story-5/"]
