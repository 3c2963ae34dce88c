"""The plan of a site's pages (broadsheet.plan): one for build and preview, and edits that move nothing.

Whether an edit moves nothing is decided from the Article fields marked ``PLACES`` on the model,
never from a list of front-matter keys. These tests change every other field, generically, and
check that no page but the article's own is planned differently, and that an edit applied in
place gives the plan a fresh one would: a field the plan reads that nobody marked fails them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from broadsheet.content.body import Body
from broadsheet.content.frontmatter import Document, FrontMatter
from broadsheet.content.library import PublishRules, assemble
from broadsheet.content.markdown import Rendered
from broadsheet.content.model import PLACEMENT_FIELDS, Article, Site, placement
from broadsheet.pipeline import BuildOptions, load_site, parse_all, rank_related
from broadsheet.plan import Plan, edit_plan, make_plan, replace_articles
from broadsheet.render.shows import link_fields
from broadsheet.render.views import ArticleView
from broadsheet.urls import alias_url
from tests.conftest import MINIMAL_SITE_YML, NOW, article

SECTIONS = ("world", "sport", "culture")


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fourteen stories in three sections, with tags, bylines, a lead story, a redirect and pinned
    related stories; three to a listing page, so that listings have several pages."""
    root = tmp_path_factory.mktemp("plan")
    lead = {
        "featured": True,
        "featured_until": "2026-12-31T00:00:00",
        "authors": ["Ada Lovelace"],
        "related": ["story-1"],
    }
    for i in range(14):
        path = root / f"content/{SECTIONS[i % 3]}/a{i:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = article(
            f"Story {i}",
            date=f"2026-{10 + i % 2}-{3 + i:02d}T08:00:00",
            body=f"Story {i} about the harbour and the flood, part {i % 3}.",
            slug=f"story-{i}",
            tags=[f"T{i % 4}", *(["Flood"] if i % 5 == 0 else [])],
            **({"aliases": [f"/old/{i}/"]} if i == 3 else {}),
            **(lead if i == 7 else {}),  # a lead story, with a byline of its own and a pinned story
        )
        path.write_text(text, encoding="utf-8")
    yml = MINIMAL_SITE_YML + "pagination:\n  per_page: 3\n"
    (root / "site.yml").write_text(yml, encoding="utf-8")
    return root


def _skeleton(value: Any, views_whole: bool) -> Any:
    """A context as comparable values: article views as their URLs (and, with ``views_whole``, their
    fields, links as URLs), dataclasses and containers walked."""
    if isinstance(value, ArticleView):
        if not views_whole:
            return ("view", value.url)
        links = link_fields(type(value))
        own = tuple(
            (f.name, _skeleton(getattr(value, f.name), False)) for f in dataclasses.fields(value) if f.name not in links
        )
        linked = tuple(
            (name, _skeleton(getattr(value, name), False) if getattr(value, name) is not None else None)
            for name in links
        )
        return ("view", value.url, own, linked)
    if isinstance(value, Body):
        return ("body", value.html)
    if isinstance(value, Mapping):
        return tuple((k, _skeleton(v, views_whole)) for k, v in value.items() if k != "seo")
    if isinstance(value, list | tuple):
        return tuple(_skeleton(v, views_whole) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            *(_skeleton(getattr(value, f.name), views_whole) for f in dataclasses.fields(value)),
        )
    return value


def _pages(plan: Plan, views_whole: bool = False, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Each page by URL: template, source, what it shows and its context (``leave_out``: the URL only)."""
    return {
        job.url: (job.template, job.source, sorted(job.shows), _skeleton(job.context, views_whole))
        if job.url not in leave_out
        else None
        for job in plan.pages
    }


def _differing(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """The keys whose values differ (a short message where a whole diff would be huge)."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k, ...) != b.get(k, ...))


def _others(value: Any, pool: list[Any], kind: str) -> Iterator[Any]:
    """Values other than ``value``: those other articles have, and some of the same kind (``kind``:
    the field's declared type, for a value that is None)."""
    seen = [value]
    extra: list[Any] = []
    if isinstance(value, bool):
        extra = [not value]
    elif isinstance(value, int):
        extra = [value + 3, 0]
    elif isinstance(value, str):
        extra = [value + " again", ""]
    elif isinstance(value, datetime):
        extra = [value - timedelta(days=40), value + timedelta(minutes=5)]
    elif value is None:
        extra = [NOW - timedelta(days=3)] if "datetime" in kind else ["Elsewhere"] if "str" in kind else []
    elif isinstance(value, tuple):
        extra = [()]
    elif isinstance(value, Mapping):
        extra = [MappingProxyType({"kicker": "Exclusive"}), {"kicker": "Exclusive"}]
    for other in [*pool, *extra]:
        if type(other) is not type(value) and value is not None and other is not None:
            continue
        if all(other != s or type(other) is not type(s) for s in seen):
            seen.append(other)
            yield other


def _site(newsroom: Path) -> Site:
    return load_site(BuildOptions(source=newsroom, cache=False, now=NOW)).site


def _unmarked() -> list[str]:
    return [f.name for f in dataclasses.fields(Article) if f.name not in PLACEMENT_FIELDS]


def _moves_other_pages(site: Site, loaded: Any, a: Article, name: str, also: tuple[Any, ...] = ()) -> list[str]:
    """Which values of field ``name`` given to article ``a`` plan another page than its own differently."""
    own = frozenset({a.url, *map(alias_url, a.aliases)})
    env, theme = loaded.env, loaded.theme
    before = _pages(make_plan(site, env, theme, seo=False), leave_out=own)
    moved = []
    pool = [getattr(b, name) for b in site.articles if b is not a] + list(also)
    kind = next(str(f.type) for f in dataclasses.fields(Article) if f.name == name)
    for value in _others(getattr(a, name), pool, kind):
        changed = replace_articles(site, {a.url: dataclasses.replace(a, **{name: value})})
        differing = _differing(_pages(make_plan(changed, env, theme, seo=False), leave_out=own), before)
        if differing:
            moved.append(f"{repr(value)[:60]}: {differing[:3]}")
    return moved


def test_no_field_left_unmarked_moves_another_page(newsroom: Path) -> None:
    """Every Article field the plan does not read (not marked PLACES) can change on any article
    without another page being planned differently: other URLs, shows and contexts as they were."""
    loaded = load_site(BuildOptions(source=newsroom, cache=False, now=NOW))
    site = loaded.site
    lead = next(a for a in site.articles if a.featured)
    for a in (site.articles[0], lead, site.articles[len(site.articles) // 2], site.articles[-1]):
        for name in _unmarked():
            assert not _moves_other_pages(site, loaded, a, name), (a.url, name)


def test_the_check_catches_a_field_the_plan_reads(newsroom: Path) -> None:
    """The check above fails for fields the plan reads, were they left unmarked. (Fields the site's
    assembly groups and orders articles by are checked through it, below.)"""
    loaded = load_site(BuildOptions(source=newsroom, cache=False, now=NOW))
    site = loaded.site
    lead = next(a for a in site.articles if a.featured)
    assert _moves_other_pages(site, loaded, lead, "featured")  # the front page's lead
    assert _moves_other_pages(site, loaded, site.articles[2], "date")  # the archive's months
    assert _moves_other_pages(site, loaded, site.articles[2], "aliases", (("/elsewhere/",),))  # its redirect pages
    assert placement(lead) != placement(dataclasses.replace(lead, featured=False))


def _documents(newsroom: Path) -> tuple[Any, list[tuple[Document, Rendered]]]:
    loaded = load_site(BuildOptions(source=newsroom, cache=False, now=NOW))
    docs, errors, _ = parse_all(loaded.config, 1, None)
    assert not errors
    return loaded, docs


def _assembled(config: Any, docs: list[tuple[Document, Rendered]], rules: PublishRules) -> Site | None:
    try:
        site, errors, _ = assemble(config, docs, rules)
    except (AssertionError, TypeError, ValueError, AttributeError):
        return None  # a value front matter cannot hold (validated when a file is read)
    return None if errors else site


def test_an_edit_in_place_plans_what_a_fresh_plan_does(newsroom: Path) -> None:
    """Each front-matter field of a story changed: when the engine finds the edit moves nothing,
    the plan it edits in place equals the plan made afresh from the whole site assembled again (every
    page, what it shows, its context and the views it holds, whole); otherwise it says so."""
    loaded, docs = _documents(newsroom)
    config, env, rules = loaded.config, loaded.env, PublishRules(now=NOW)
    fresh_site = _assembled(config, docs, rules)
    assert fresh_site is not None
    in_place: set[str] = set()
    replanned: set[str] = set()
    names = [d.source.rel.rsplit("/", 1)[-1] for d, _ in docs]
    for index in (names.index("a00.md"), names.index("a07.md")):  # a story; the lead, with a byline and pins
        doc, rendered = docs[index]
        pool: dict[str, list[Any]] = {
            f.name: [getattr(d.meta, f.name) for d, _ in docs if d is not doc] for f in dataclasses.fields(FrontMatter)
        }
        for f in dataclasses.fields(FrontMatter):
            for value in _others(getattr(doc.meta, f.name), pool[f.name], str(f.type)):
                edited = dataclasses.replace(doc, meta=dataclasses.replace(doc.meta, **{f.name: value}))
                after = _assembled(config, [*docs[:index], (edited, rendered), *docs[index + 1 :]], rules)
                alone = _assembled(config, [(edited, rendered)], rules)
                if after is None or alone is None or len(alone.articles) != 1:
                    continue
                site = rank_related(_assembled(config, docs, rules))  # type: ignore[arg-type]
                url = next(a.url for a in site.articles if a.source == doc.source.rel)
                plan = make_plan(site, env, loaded.theme, seo=False)
                edit = edit_plan(plan, {url: alone.articles[0]}, rank_related)
                if edit is None:
                    replanned.add(f.name)
                    continue
                in_place.add(f.name)
                expected = make_plan(rank_related(after), env, loaded.theme, seo=False)
                got, want = _pages(edit.plan, views_whole=True), _pages(expected, views_whole=True)
                assert not _differing(got, want), (f.name, value, _differing(got, want)[:5])
                assert not _differing(edit.plan.showing or {}, expected.showing or {}), (f.name, value)
                same_site_view = edit.plan.sv == expected.sv
                assert same_site_view, (f.name, value)
                # Every page whose context or view changed is among the candidates to render.
                before = _pages(make_plan(site, env, loaded.theme, seo=False), views_whole=True)
                now = _pages(expected, views_whole=True)
                missed = sorted({u for u in now if now[u] != before.get(u)} - edit.candidates)
                assert not missed, (f.name, value, missed[:5])
    # Both ways were taken: the test is not vacuous.
    assert {"title", "summary", "extra", "related", "image"} <= in_place
    assert {"date", "tags", "category", "slug"} <= replanned
