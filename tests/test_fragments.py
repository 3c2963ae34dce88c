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


def test_header_and_footer_are_what_the_included_partials_render(make_site: Callable[..., Path]) -> None:
    """base.html renders its header and footer through fragment(): the same markup as including them,
    on the home page, a section's front, an article and a tag page (the current link marked alike)."""
    env, jobs = loaded_env(site_with_stories(make_site))
    assert env.fragments is not None
    partials = [
        env.from_string(f'{{% include "partials/{name}.html" %}}') for name in ("header", "newsletter", "footer")
    ]
    picked = [
        next(j for j in jobs if j.url == "/"),
        next(j for j in jobs if j.url == "/category/world/"),
        next(j for j in jobs if j.template == "article.html"),
        next(j for j in jobs if j.url.startswith("/tag/")),
    ]
    env.fragments.begin_pass()
    pages = {job.url: env.get_template(job.template).render(job.context) for job in picked}
    for job in picked:
        for partial in partials:
            assert partial.render(job.context).strip() in pages[job.url], job.url
    assert pages["/"].count('aria-current="page"') == 2  # the masthead and "Home"
    assert '<a href="/news/category/world/" aria-current="page">' in pages["/category/world/"]
    header = pages[picked[2].url].split("</header>")[0]  # an article: its section marked, no page
    assert 'aria-current="true"' in header and 'aria-current="page"' not in header


def test_memo_calls_a_macro_once_per_arguments(make_site: Callable[..., Path]) -> None:
    env, _ = loaded_env(site_with_stories(make_site))
    assert env.fragments is not None
    calls: list[tuple[object, ...]] = []
    env.globals["probe"] = lambda *args, **kwargs: calls.append((*args, *sorted(kwargs.items()))) or repr(args)
    page = env.from_string(
        "{% macro tag(x, label='') %}{{ probe(x, label=label) }}{% endmacro %}"
        "{{ memo(tag, 1) }}{{ memo(tag, 1) }}{{ memo(tag, 1.0) }}{{ memo(tag, true) }}"
        "{{ memo(tag, 'a', label='b') }}{{ memo(tag, 'a', label='b') }}{{ memo(tag, 'a', label='c') }}"
    )
    env.fragments.begin_pass()
    out = page.render()
    # 1, 1.0 and True are equal keys for Python, told apart here: each prints as itself.
    assert out == "(1,)(1,)(1.0,)(True,)" + "(&#39;a&#39;,)" * 3
    assert calls == [
        (1, ("label", "")),
        (1.0, ("label", "")),
        (True, ("label", "")),
        ("a", ("label", "b")),
        ("a", ("label", "c")),
    ]
    env.fragments.begin_pass()
    page.render()
    assert len(calls) == 10  # a new pass forgets what was kept


def test_memo_tells_other_objects_apart_by_identity(make_site: Callable[..., Path]) -> None:
    """A list (or a view) is one key per object: two equal lists are two calls, the same one is one,
    and nothing that cannot be hashed reaches the key."""
    env, _ = loaded_env(site_with_stories(make_site))
    assert env.fragments is not None
    count: list[int] = []
    env.globals["probe"] = lambda: count.append(1) or ""
    env.fragments.begin_pass()
    env.from_string(
        "{% macro m(x) %}{{ probe() }}{% endmacro %}{% set xs = [1] %}"
        "{{ memo(m, ([1],)) }}{{ memo(m, ([1],)) }}{{ memo(m, (xs,)) }}{{ memo(m, (xs,)) }}{{ memo(m, xs) }}"
    ).render()
    assert len(count) == 4
