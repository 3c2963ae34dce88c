"""(site, Jinja environment) → output files in memory. Touches no disk except reading templates.

Rendering is planned as :class:`PageJob` values first: each names its template, its
context and the article URLs it shows, so a live preview can re-render only the pages
an edit touches.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from ..config import SiteConfig
from ..content.body import Body
from ..content.bodystore import load_bodies, loading_on_demand, unload_bodies
from ..content.discover import discover_static
from ..content.model import Article, Page, Site
from ..errors import BroadsheetError, BuildWarning
from ..outputs import STAGED_TREE, OutputFile, PageJob
from ..parallel import map_shared
from ..publish.linkcheck import page_links
from ..publish.pictures import Picture
from ..publish.search import BODY_MARK
from ..tuning import DEFAULT as DEFAULT_TUNING
from ..tuning import Tuning
from ..urls import UnsafePath, alias_url, base_path, output_path, relative_html
from ..write.commit import digest_bytes
from .archive import ARCHIVE_URL, group_by_month
from .i18n import Translator, translator
from .seo import SEARCH_URL, page_seo
from .shows import ShowsFinder
from .theme import BUNDLED_THEMES, SiteEnvironment, Theme, load_theme, make_environment, template_error
from .views import (
    ArticleView,
    Link,
    PageView,
    Paginator,
    PendingRelated,
    RelatedNotReady,
    SiteView,
    article_view,
    chunk,
    most_read,
    page_count,
    page_view,
    site_view,
    view_counts,
)

LEAD_STORIES = 4
LATEST = 8
SECTION_STORIES = 4
#: Stories listed beside "Latest news", after those above and in it.
EARLIER = 5
THEME_STATIC_URL = "/theme/"


def link_views(site: Site, pending: bool = False) -> dict[str, ArticleView]:
    """Build every article's view, linked to its previous, next and related articles.

    ``pending``: the related lists are still being ranked; each is a :class:`PendingRelated`
    until :func:`link_related` fills it.
    """
    base_url = site.config.base_url
    counts = view_counts(site.config)
    views = {a.url: article_view(a, base_url, counts) for a in site.articles}
    ordered = [views[a.url] for a in site.articles]
    for i, view in enumerate(ordered):
        # Newest first: the "previous" article is the older one.
        view.prev = ordered[i + 1] if i + 1 < len(ordered) else None
        view.next = ordered[i - 1] if i > 0 else None
    if pending:
        for view in ordered:
            view.related = PendingRelated()
    else:
        link_related(views, site.related)
    return views


def link_related(views: dict[str, ArticleView], related: Mapping[str, Sequence[str]]) -> None:
    """Give every article view its related articles' views."""
    for url, view in views.items():
        view.related = [views[u] for u in related.get(url, ()) if u in views]


def page_context(sv: SiteView, url: str, section: str | None, title: str, description: str) -> dict[str, Any]:
    """The context every page starts from."""
    return {"site": sv, "current_url": url, "section": section, "page_title": title, "description": description}


def page_job(
    url: str, template: str, context: dict[str, Any], source: str, finder: ShowsFinder | None = None
) -> PageJob:
    """A page to render, with the articles it shows derived from its context (see render/shows.py).

    Every page is planned through here: what a page shows is never listed by hand. ``finder``:
    one shared by the pages of a plan (what their contexts share is looked into once).
    """
    return PageJob(url, template, context, source, (finder or ShowsFinder()).shows(url, context))


def plan_article(a: Article, view: ArticleView, sv: SiteView, finder: ShowsFinder | None = None) -> PageJob:
    """Plan an article's own page. ``view`` must already be linked (see :func:`link_views`).

    (Planned again once the related lists are ranked, when they were pending: see PendingRelated.)
    """
    crumbs = [Link("Home", "/"), Link(a.category.name, a.category.url), Link(a.title, a.url)]
    ctx = page_context(sv, a.url, a.category.slug, a.title, a.summary)
    ctx.update(article=view, breadcrumbs=crumbs)
    return page_job(a.url, "article.html", ctx, a.source, finder)


def plan_aliases(a: Article, view: ArticleView, sv: SiteView, finder: ShowsFinder | None = None) -> list[PageJob]:
    """Plan the redirect pages of an article's old URLs."""
    jobs = []
    for alias in map(alias_url, a.aliases):
        ctx = page_context(sv, alias, None, a.title, a.summary)
        ctx.update(target=view, target_kind="article")
        jobs.append(page_job(alias, "alias.html", ctx, f"{a.source} (alias)", finder))
    return jobs


def plan_page_aliases(p: Page, view: PageView, sv: SiteView, finder: ShowsFinder | None = None) -> list[PageJob]:
    """Plan the redirect pages of a content page's old URLs (the same template as an article's).

    They show no article: a page is planned again whenever it changes (the live preview too).
    """
    jobs = []
    for alias in map(alias_url, p.aliases):
        ctx = page_context(sv, alias, None, p.title, p.summary)
        ctx.update(target=view, target_kind="page")
        jobs.append(page_job(alias, "alias.html", ctx, f"{p.source} (alias)", finder))
    return jobs


def engine_words(site: Site, theme: Theme | None = None) -> Translator:
    """The words the engine writes itself (page titles and descriptions) in the site's language.

    Taken from the same tables as the theme's words (the site's, then its themes'), then from the
    bundled frontier theme's: a theme of one's own need not carry the engine's words. ``theme``:
    the site's theme as the caller loaded it (looked up again when not given).
    """
    theme = theme if theme is not None else load_theme(site.config.theme, site.config.root)
    frontier = BUNDLED_THEMES / "frontier"
    folders = [site.config.root, *theme.chain, *([frontier] if frontier not in theme.chain else [])]
    return translator(folders, site.config.language)


def plan_pages(
    site: Site, seo: bool = True, views: dict[str, ArticleView] | None = None, words: Translator | None = None
) -> list[PageJob]:
    """List every page of the site with its template and context.

    Pages reach articles only through their shared :class:`ArticleView`; what each shows is
    derived from its context (see :func:`page_job`): the live preview and warm builds rely on it
    to render again only what an edit touches.
    ``seo=False`` leaves out each page's head tags (``seo`` in its context, derived from the
    rest of it): :func:`add_seo` adds them to just the pages that are rendered. ``views``:
    the articles' views, when the caller made them (see :func:`link_views`). ``words``: the
    site's words (see :func:`engine_words`), when the caller made them.
    """
    views = link_views(site) if views is None else views
    words = engine_words(site) if words is None else words
    ordered = [views[a.url] for a in site.articles]
    sv = site_view(site)
    per_page = site.config.per_page
    jobs: list[PageJob] = []
    finder = ShowsFinder()

    def job(url: str, template: str, ctx: dict[str, Any], source: str) -> PageJob:
        return page_job(url, template, ctx, source, finder)

    def common(url: str, section: str | None, title: str, description: str) -> dict[str, Any]:
        return page_context(sv, url, section, title, description)

    for a in site.articles:
        jobs.append(plan_article(a, views[a.url], sv, finder))

    # Front page: lead stories (featured first, else newest), latest, earlier ones, then one block
    # per section. No story is shown twice above the sections; a section block prefers stories not
    # shown above it, and shows those only to fill its row.
    featured = [v for v in ordered if v.featured]
    lead = (featured + [v for v in ordered if not v.featured])[:LEAD_STORIES]
    above = {v.url for v in lead}
    latest = [v for v in ordered if v.url not in above][:LATEST]
    above |= {v.url for v in latest}
    earlier = [v for v in ordered if v.url not in above][:EARLIER]
    above |= {v.url for v in earlier}
    sections = []
    for c in sv.categories:
        in_section = [views[a.url] for a in site.by_category.get(c.slug, ())]
        fresh = [v for v in in_section if v.url not in above][:SECTION_STORIES]
        fill = [v for v in in_section if v.url in above][: SECTION_STORIES - len(fresh)]
        picked = {v.url for v in fresh + fill}
        if picked:
            sections.append((c, [v for v in in_section if v.url in picked]))
    total = page_count(len(ordered), per_page)
    ctx = common("/", None, site.config.title, site.config.tagline)
    popular = most_read(ordered, site.config)
    ctx.update(
        most_read=popular,
        lead=lead,
        latest=latest,
        sections=sections,
        articles=ordered[:per_page],
        most_recent=earlier,
        paginator=Paginator(1, total, "/"),
    )
    jobs.append(job("/", "index.html", ctx, "home page"))
    for n, items in enumerate(chunk(ordered, per_page)[1:], start=2):
        pager = Paginator(n, total, "/")
        ctx = common(pager.url(n), None, words.text("latest_news_page", number=n), site.config.tagline)
        ctx.update(
            kind="home",
            subject=None,
            title=words.text("latest_news"),
            description_text="",
            articles=list(items),
            paginator=pager,
        )
        jobs.append(job(pager.url(n), "list.html", ctx, f"home page {n}"))

    listings: list[tuple[str, Any, str, str, Sequence[Any]]] = []
    for c in site.categories:
        listings.append(("category", c, c.name, c.description, site.by_category.get(c.slug, ())))
    for t in site.tags:
        listings.append(("tag", t, t.name, "", site.by_tag.get(t.slug, ())))
    for au in site.authors:
        listings.append(("author", au, au.name, au.bio, site.by_author.get(au.slug, ())))
    for kind, subject, title, description, arts in listings:
        items_all = [views[a.url] for a in arts]
        total = page_count(len(items_all), per_page)
        for n, items in enumerate(chunk(items_all, per_page), start=1):
            pager = Paginator(n, total, subject.url)
            url = pager.url(n)
            shown_title = title if n == 1 else words.text("listing_page", title=title, number=n)
            ctx = common(
                url,
                subject.slug if kind == "category" else None,
                shown_title,
                description or words.text(f"listing_description_{kind}", title=title),
            )
            ctx.update(
                kind=kind,
                subject=subject,
                title=title,
                description_text=description,
                articles=list(items),
                paginator=pager,
            )
            jobs.append(job(url, "list.html", ctx, f"{kind} '{title}'"))

    for p in site.pages:
        ctx = common(p.url, None, p.title, p.summary)
        view = page_view(p, base_path(site.config.base_url), site.config.base_url)
        ctx.update(page=view)
        jobs.append(job(p.url, "page.html", ctx, p.source))
        jobs += plan_page_aliases(p, view, sv, finder)

    for a in site.articles:
        jobs += plan_aliases(a, views[a.url], sv, finder)

    jobs += _archive_jobs(site, views, common, words, job)
    ctx = common(SEARCH_URL, None, words.text("search"), words.text("search_description", site=site.config.title))
    jobs.append(job(SEARCH_URL, "search.html", ctx, "search page"))

    ctx = common("/404.html", None, words.text("page_not_found"), "")
    ctx.update(latest=ordered[:6])
    jobs.append(job("/404.html", "404.html", ctx, "404 page"))
    return finish_jobs(site, jobs) if seo else jobs


def finish_jobs(site: Site, jobs: list[PageJob]) -> list[PageJob]:
    """Add what each page derives from its planned context: head tags (canonical, Open Graph, JSON-LD).

    Run again on a page re-planned or re-rendered on its own (as the live preview does).
    """
    for job in jobs:
        job.context["seo"] = page_seo(site, job.url, job.template, job.context)
    return jobs


def add_seo(site: Site, job: PageJob) -> None:
    """Add a page's head tags (canonical, Open Graph, JSON-LD), made from what the page shows."""
    if "seo" not in job.context:
        job.context["seo"] = page_seo(site, job.url, job.template, job.context)


def _archive_jobs(
    site: Site,
    views: dict[str, ArticleView],
    common: Callable[[str, str | None, str, str], dict[str, Any]],
    words: Translator,
    job: Callable[[str, str, dict[str, Any], str], PageJob],
) -> list[PageJob]:
    """``/archive/`` (months with counts) and one page per month listing its articles.

    The archive's context holds every article (``articles``, newest first): its months and their
    counts are made from all of them.
    """
    months = group_by_month(site.articles, site.config.tz)
    ctx = common(ARCHIVE_URL, None, words.text("archive"), words.text("archive_description", site=site.config.title))
    ctx.update(months=[m for m, _ in months], articles=[views[a.url] for a in site.articles])
    jobs = [job(ARCHIVE_URL, "archive.html", ctx, "archive")]
    for i, (month, items) in enumerate(months):
        newer = months[i - 1][0] if i > 0 else None
        older = months[i + 1][0] if i + 1 < len(months) else None
        # The month's name as the date filter writes it (Babel), not strftime's (the C locale's).
        name = words.date(month.start, words.text("month_format"))
        title = words.text("archive_month_title", month=name)
        ctx = common(month.url, None, title, words.text("archive_month_description", month=name))
        ctx.update(month=month, articles=[views[a.url] for a in items], newer=newer, older=older)
        jobs.append(job(month.url, "archive_month.html", ctx, f"archive {month.year}-{month.month:02d}"))
    return jobs


#: Pages whose links stay absolute paths under relative_urls: the 404 page is served for any
#: missing URL, at any depth, so links relative to its own place would miss.
ANYWHERE_PAGES = frozenset({"/404.html"})


def render_job(env: jinja2.Environment, job: PageJob) -> bytes:
    """Render one page to UTF-8 bytes (its links made relative to it under site.yml ``relative_urls``)."""
    text = env.get_template(job.template).render(job.context)
    if getattr(env, "relative_urls", False) and url_is_html(job.url) and job.url not in ANYWHERE_PAGES:
        text = relative_html(text, job.url, getattr(env, "base_path", "/"))
    return text.encode("utf-8")


ErrorKey = tuple[str | None, int | None, str]


def _render_each(
    env: jinja2.Environment, jobs: Iterable[PageJob], deferred: list[str] | None = None
) -> tuple[list[tuple[str, bytes]], list[tuple[ErrorKey, BroadsheetError]]]:
    """Render pages in order; keep the first template error of each template, line and kind.

    ``deferred``, if given, receives the URLs of pages that looked at a related list still
    being ranked (see :class:`PendingRelated`).
    """
    out: list[tuple[str, bytes]] = []
    errors: list[tuple[ErrorKey, BroadsheetError]] = []
    seen: set[ErrorKey] = set()
    for job in jobs:
        try:
            out.append((job.url, render_job(env, job)))
        except RelatedNotReady:
            if deferred is None:
                raise
            deferred.append(job.url)
        except Exception as exc:
            err = template_error(exc, job.source)
            key = (err.path, err.line, type(exc).__name__)
            if key not in seen:  # one broken template would otherwise report once per page
                seen.add(key)
                errors.append((key, err))
    return out, errors


def bodies_shown(jobs: Iterable[PageJob]) -> list[Body]:
    """The bodies the pages show whole: an article's own page shows its body (listings show
    headlines and summaries; a template reading another body has it loaded then, see
    bodystore.loading_on_demand)."""
    out: list[Body] = []
    for job in jobs:
        view = job.context.get("article")
        if isinstance(view, ArticleView) and view.url == job.url:
            out.append(view.body)
    return out


def render_jobs(env: jinja2.Environment, jobs: Iterable[PageJob]) -> tuple[dict[str, bytes], list[BroadsheetError]]:
    """Render pages; return URL → bytes and every template error (one per template and kind).

    The bodies the pages show whole are loaded first (and kept: see :func:`bodies_shown`).
    """
    jobs = list(jobs)
    load_bodies(bodies_shown(jobs))
    if isinstance(env, SiteEnvironment) and env.fragments is not None:
        env.fragments.begin_pass()  # views may have changed since the last pass (the live preview)
    with loading_on_demand():
        pages, errors = _render_each(env, jobs)
    return dict(pages), [err for _, err in errors]


class RenderWork:
    """What rendering needs: the theme and config (to make the Jinja environment) and the pages.

    Forked workers inherit it whole, environment included; pickled (for an executor that
    does not fork) it leaves the environment behind and the receiving process makes its own.
    With ``facts``, workers also read each HTML page's links and search mark (see PageFacts),
    so later stages need not parse every page again in one process.
    """

    def __init__(
        self,
        theme: Theme,
        config: SiteConfig,
        jobs: Sequence[PageJob],
        env: jinja2.Environment | None = None,
        facts: bool = False,
        site: Site | None = None,
        staging: Path | None = None,
        pictures: Mapping[str, Picture] | None = None,
    ) -> None:
        self.theme = theme
        self.pictures = pictures or {}
        """The responsive variants of the site's pictures (see publish/pictures.py)."""
        self.config = config
        self.jobs = jobs
        self.facts = facts or staging is not None
        self.site = site
        """With the site, pages planned without head tags get them just before rendering."""
        self.staging = staging
        """With a staging folder, workers write the pages there and send back only their facts."""
        self._env = env

    @property
    def env(self) -> jinja2.Environment:
        """The site's Jinja environment, made on first use."""
        if self._env is None:
            self._env = site_environment(self.theme, self.config, pictures=self.pictures)
        return self._env

    def __getstate__(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "config": self.config,
            "jobs": self.jobs,
            "facts": self.facts,
            "site": self.site,
            "staging": self.staging,
            "pictures": dict(self.pictures),
            "_env": None,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


#: What later stages need of a rendered HTML page: its links (distinct, in page order) and
#: whether it marks a body for the search index.
PageFacts = tuple[tuple[str, ...], bool]
#: A page's hash (as in the manifest), links and search mark.
HashedFacts = tuple[str, tuple[str, ...], bool]


def page_facts(data: bytes) -> PageFacts:
    """Read a page's links and search mark."""
    return tuple(dict.fromkeys(page_links(data))), BODY_MARK in data


@dataclass(slots=True)
class RenderOutcome:
    """Pages rendered (URL → bytes), template errors, and facts of HTML pages (URL → facts)."""

    pages: dict[str, bytes]
    errors: list[BroadsheetError]
    facts: dict[str, HashedFacts]
    staged: dict[str, str] = field(default_factory=dict)
    """URL → file name in the staging folder, for pages written there by the workers."""
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)
    """URL → size and modification time of each staged page."""
    deferred: list[str] = field(default_factory=list)
    """URLs of pages put off because they look at related lists still being ranked."""


def site_environment(
    theme: Theme, config: SiteConfig, compiled_dir: Path | None = None, pictures: Mapping[str, Picture] | None = None
) -> jinja2.Environment:
    """The Jinja environment of one build of a site: its theme, base URL, time zone and static files.

    A build's files do not change while it renders (the live preview makes its own environment).
    ``compiled_dir``: where compiled templates are kept between builds (see BuildCache.templates_dir).
    ``pictures``: the responsive variants of the site's pictures (see publish/pictures.py).
    """
    tz = config.tz
    return make_environment(
        theme,
        config.base_url,
        lambda d: d.astimezone(tz),
        config.root,
        files_fixed=True,
        compiled_dir=compiled_dir,
        pictures=pictures,
        language=config.language,
        relative_urls=config.relative_urls,
    )


ChunkResult = tuple[
    list[tuple[str, bytes | None, HashedFacts | None, str | None, tuple[int, int] | None]],
    list[tuple[ErrorKey, BroadsheetError]],
    list[str],
]


def _render_chunk(work: RenderWork, indices: Sequence[int]) -> list[ChunkResult]:
    """Render the pages at ``indices`` of ``work.jobs`` (runs in a worker process).

    The bodies the pages show whole are loaded first, in this process, a batch of pages at a time,
    and let go of once they are rendered: a worker holds the bodies of the pages at hand, not of
    every page it rendered.
    """
    results: list[ChunkResult] = []
    for start in range(0, len(indices), BODIES_AT_ONCE):
        todo = [work.jobs[i] for i in indices[start : start + BODIES_AT_ONCE]]
        loaded = load_bodies(bodies_shown(todo))
        try:
            with loading_on_demand() as more:
                results += _render_loaded(work, todo)
        finally:
            unload_bodies(loaded)
            unload_bodies(more)
    return results


#: Pages whose bodies a render worker loads at once (see :func:`_render_chunk`).
BODIES_AT_ONCE = 200


def _render_loaded(work: RenderWork, todo: list[PageJob]) -> list[ChunkResult]:
    """Render pages whose bodies are loaded (see :func:`_render_chunk`)."""
    deferred: list[str] = []
    if work.site is not None:
        ready = []
        for job in todo:
            try:
                add_seo(work.site, job)
                ready.append(job)
            except RelatedNotReady:
                deferred.append(job.url)
        todo = ready
    if isinstance(work.env, SiteEnvironment) and work.env.fragments is not None:
        work.env.fragments.begin_pass(work)  # chunks of one pass share their cards
    pages, errors = _render_each(work.env, todo, deferred)
    out: list[tuple[str, bytes | None, HashedFacts | None, str | None, tuple[int, int] | None]] = []
    for url, data in pages:
        facts = (digest_bytes(data), *page_facts(data)) if work.facts and url_is_html(url) else None
        if work.staging is None:
            out.append((url, data, facts, None, None))
            continue
        try:
            name = stage_name(url)
        except UnsafePath:
            out.append((url, data, facts, None, None))  # reported by the pipeline, never written
            continue
        # Written here, in parallel, not sent back; staged at its own path in a tree, so that the
        # write stage can move a whole new folder (a cold build's every page) in one rename.
        target = work.staging / name
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            st = os.fstat(fd)
        out.append((url, None, facts or (digest_bytes(data), (), False), name, (st.st_size, st.st_mtime_ns)))
    return [(out, errors, deferred)]


def stage_name(url: str) -> str:
    """Where a render worker stages a page, relative to the staging folder: the tree, at its output path."""
    return f"{STAGED_TREE}/{output_path(url)}"


def url_is_html(url: str) -> bool:
    """Whether a page's URL is served from an HTML file (``/a/``, ``/404.html``)."""
    return url.endswith(("/", ".html", ".htm"))


def render_pages(
    work: RenderWork,
    jobs: int | None = None,
    executor: Executor | None = None,
    done: Callable[[int], None] | None = None,
    started: Callable[[], None] | None = None,
    fresh_workers: bool = False,
    tuning: Tuning = DEFAULT_TUNING,
    in_workers: bool = False,
) -> RenderOutcome:
    """Render every page of ``work`` over worker processes (see parallel.py); ``done`` counts pages rendered.

    ``started``, if given, is called once the workers exist (see :func:`parallel.map_shared`).
    ``fresh_workers``: new workers are forked every ``tuning.fresh_workers_every`` pages (only
    when this process runs no other thread). ``in_workers``: in a worker even with one job.
    """
    outcome = RenderOutcome({}, [], {})
    seen: set[ErrorKey] = set()
    interned: dict[str, str] = {}  # pages repeat the same links: one copy of each is held
    for pages, errors, deferred in map_shared(
        _render_chunk,
        work,
        range(len(work.jobs)),
        jobs,
        executor,
        done,
        started,
        tuning.fresh_workers_every if fresh_workers else None,
        tuning.parallel_from,
        in_workers,
    ):
        outcome.deferred += deferred
        for url, data, facts, staged, stamp in pages:
            if data is not None:
                outcome.pages[url] = data
            if staged is not None:
                outcome.staged[url] = staged
            if stamp is not None:
                outcome.stamps[url] = stamp
            if facts is not None:
                digest, links, mark = facts
                outcome.facts[url] = (digest, tuple(interned.setdefault(link, link) for link in links), mark)
        for key, err in errors:
            if key not in seen:
                seen.add(key)
                outcome.errors.append(err)
    return outcome


def render_parallel(
    work: RenderWork, jobs: int | None = None, executor: Executor | None = None, tuning: Tuning = DEFAULT_TUNING
) -> tuple[dict[str, bytes], list[BroadsheetError]]:
    """Render every page of ``work`` over worker processes; like :func:`render_jobs`."""
    outcome = render_pages(work, jobs, executor, tuning=tuning)
    return outcome.pages, outcome.errors


def static_files(site_root: Path, theme_static: Sequence[Path]) -> tuple[list[OutputFile], list[BuildWarning]]:
    """Theme static files under /theme/ (child theme wins), then the site's static/ at the root."""
    files: dict[str, OutputFile] = {}
    warnings: list[BuildWarning] = []
    for folder in reversed(theme_static):  # parents first so a child theme overrides
        found, warns = discover_static(folder, site_root)
        warnings += warns
        for rel, path in found:
            out = THEME_STATIC_URL.lstrip("/") + rel
            files[out] = OutputFile(out, f"theme file {path}", copy_from=path)
    found, warns = discover_static(site_root / "static", site_root)
    warnings += warns
    result = list(files.values())
    for rel, path in found:
        result.append(OutputFile(rel, f"static/{rel}", copy_from=path))
    return result, warnings
