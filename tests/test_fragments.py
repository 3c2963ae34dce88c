"""Story cards rendered once per story and options (broadsheet/render/fragments.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from conftest import NOW, article

from broadsheet.outputs import PageJob
from broadsheet.pipeline import BuildOptions, load_site
from broadsheet.render.pages import engine_words, finish_jobs, plan_pages, render_jobs
from broadsheet.render.theme import SiteEnvironment

SITE_YML = """\
title: Card Times
base_url: https://example.org/news/
timezone: UTC
categories: [{name: World}, {name: Sport}]
related: {count: 3}
"""


def site_with_stories(make_site: Callable[..., Path]) -> Path:
    files: dict[str, str] = {"site.yml": SITE_YML}
    for i in range(8):
        cat = "world" if i % 2 else "sport"
        files[f"content/{cat}/story-{i}.md"] = article(
            f"Harbour story {i}",
            f"2026-11-{10 + i:02d}T10:00:00",
            "The harbour council met again.",
            tags=["Harbour", f"T{i % 3}"],
            author="Ana Lima",
            summary=f"Summary {i}",
            **({"image": "/images/pic.png"} if i % 3 == 0 else {}),
        )
    return make_site(files)


def loaded_env(site: Path) -> tuple[SiteEnvironment, list[PageJob]]:
    loaded = load_site(BuildOptions(source=site, now=NOW, cache=False, search=False))
    env = loaded.env
    assert isinstance(env, SiteEnvironment) and env.fragments is not None
    jobs = finish_jobs(loaded.site, plan_pages(loaded.site, words=engine_words(loaded.site, loaded.theme)))
    return env, jobs


def test_card_call_renders_what_the_included_partial_renders(make_site: Callable[..., Path]) -> None:
    env, jobs = loaded_env(site_with_stories(make_site))
    article_job = next(j for j in jobs if j.template == "article.html")
    site = article_job.context["site"]
    items = [j.context["article"] for j in jobs if j.template == "article.html"]
    options = {
        "heading": ["h2"],
        "eager": [True, False],
        "priority": [True],
        "summary": [True],
        "byline": [True, False],
        "kicker": [False],
        "variant": ["card--hero", "card--row card--wide"],
        "sizes": [None, "(min-width: 40rem) 24rem, 7.5rem"],
    }
    included = env.from_string('{% include "partials/card.html" %}')
    called = env.from_string("{{ card(item, **opts) }}")
    env.fragments.begin_pass()
    checked = 0
    for item in items:
        for name, values in itertools.chain([("", [None])], options.items()):
            for value in values:
                opts = {name: value} if name else {}
                want = included.render(site=site, item=item, **opts)
                assert called.render(site=site, item=item, opts=opts) == want
                assert called.render(site=site, item=item, opts=opts) == want  # the kept one
                checked += 1
    assert checked == len(items) * 13


def test_a_card_is_rendered_once_in_a_pass(make_site: Callable[..., Path]) -> None:
    env, jobs = loaded_env(site_with_stories(make_site))
    assert env.fragments is not None
    front = next(j for j in jobs if j.url == "/")
    render_jobs(env, [front])
    once = env.fragments.made
    assert once > 0
    pages, errors = render_jobs(env, [front, front, front])
    assert not errors and len(set(pages.values())) == 1
    assert env.fragments.made == once  # every card of the second and third copy was reused


def test_a_new_pass_shows_what_changed_in_a_view(make_site: Callable[..., Path]) -> None:
    """The live preview updates views in place between passes: no card of the last pass is shown."""
    env, jobs = loaded_env(site_with_stories(make_site))
    page = next(j for j in jobs if j.template == "article.html" and j.context["article"].related)
    shown = page.context["article"].related[0]
    first, _ = render_jobs(env, [page])
    assert shown.title in first[page.url].decode()
    shown.title = "A rewritten headline"
    again, _ = render_jobs(env, [page])
    assert "A rewritten headline" in again[page.url].decode()
