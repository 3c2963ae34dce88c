"""The plan of a site's pages, made once for ``build`` and ``serve``, and edited in place.

:func:`make_plan` turns an assembled site (its related lists ranked, or pending) into a
:class:`Plan`: the articles' linked views, every page to render (:func:`plan_pages`, without the
pages whose optional template the theme lacks), and which pages show each article. The build
(:func:`broadsheet.stages.render.render_site`) and the live preview
(:meth:`broadsheet.serve.preview.IncrementalSite._replan`) both plan through it, and both
decide what to render again through :func:`choose`: the engine's decision
(:func:`broadsheet.engine.choose_pages`) with the plan's shape.

:func:`edit_plan` applies edits that *move nothing* to a plan without planning the site again:
the edited articles keep every field the plan reads (those marked
:data:`~broadsheet.content.model.PLACES` on the model, never a list of front-matter keys), so
every page stays where it was and shows the same articles; only the edited articles' views
change (in place: the pages share them), their own pages and those of articles whose related
list moved are planned again, and the pages showing an article the edit touched are the
candidates to render (:func:`choose_edit`), with the feeds and sitemaps it can change
(:func:`published_after_edit`). The preview calls it for each save; it takes a plan and the
articles as read, so that a build holding its last plan could call it too.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from types import MappingProxyType

import jinja2

from . import deferred
from .content.model import PLACEMENT_FIELDS, Article, Site, placement
from .engine import Choice, Shape, articles_touched, choose_pages, unchanged_articles
from .incremental.cache import PageFingerprints
from .incremental.inputs import reshaped, shape_record
from .outputs import OutputFile, PageJob
from .publish.feeds import SITE_FEED, feed_files, modified
from .publish.sitemaps import news_sitemap, sitemap_entries, sitemap_files
from .render.pages import engine_words, link_related, link_views, plan_aliases, plan_article, plan_pages
from .render.shows import link_fields, links_to
from .render.theme import Theme
from .render.views import ArticleView, SiteView, article_view, view_counts

#: The start of the print of a page rendered without being fingerprinted (see :func:`choose_edit`).
UNPRINTED = "unprinted:"
#: Pages a theme may leave out by not having their template (themes made before these pages existed).
OPTIONAL_TEMPLATES = ("archive.html", "archive_month.html", "search.html")


def pages_the_theme_has(jobs: list[PageJob], env: jinja2.Environment) -> list[PageJob]:
    """Drop the planned pages whose optional template the theme does not provide."""
    missing = set()
    for name in OPTIONAL_TEMPLATES:
        try:
            env.get_template(name)
        except jinja2.TemplateNotFound:
            missing.add(name)
        except jinja2.TemplateError:
            pass  # a broken template is reported, with its line, when the page renders
    return [job for job in jobs if job.template not in missing] if missing else jobs


@dataclass(frozen=True, slots=True)
class Plan:
    """A site's pages as planned: what rendering needs, and what an edit needs to plan again little.

    Frozen, but its views are shared with the pages' contexts and updated in place by
    :func:`edit_plan` (a new plan is made for the edit; the old one must not be used after it).
    """

    site: Site
    views: dict[str, ArticleView]
    """Article URL → its view, linked (previous, next, related)."""
    pages: list[PageJob]
    """Every page in plan order (two pages at one URL are a conflict, reported when outputs are collected)."""
    jobs: dict[str, PageJob]
    """Page URL → page."""
    showing: dict[str, frozenset[str]] | None
    """Article URL → the URLs of the pages that show it (their ``shows``), for the preview's edits;
    None in a plan a build made (an edit then finds those pages in one pass over them)."""
    sv: SiteView
    """The ``site`` view every page's context holds."""
    linking: Callable[[AbstractSet[str]], set[str]] | None = None
    """The articles whose views link to one of the given articles, as this plan links them; None:
    look at the views. A kept plan has it (see stages/keptplan.py): an edit then finds the views
    linking to the articles it changed without making every view's links."""
    pages_showing: Callable[[AbstractSet[str]], set[str]] | None = None
    """The URLs of the pages that show one of the given articles, as this plan has them; None: look
    at the pages. A kept plan has it: an edit then finds them without making every page's ``shows``."""

    def shape(self, site_key: str) -> Shape:
        """How the pages are made up, for the engine's shape shortcut (see engine.unchanged_articles)."""
        return shape_record(site_key, self.site, self.pages)


def _showing(pages: Sequence[PageJob]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for job in pages:
        for article in job.shows:
            found.setdefault(article, set()).add(job.url)
    return {article: frozenset(urls) for article, urls in found.items()}


def make_plan(
    site: Site,
    env: jinja2.Environment,
    theme: Theme | None,
    *,
    pending: bool = False,
    seo: bool = True,
    showing: bool = True,
) -> Plan:
    """Plan every page of an assembled site: link the articles' views, plan the pages, keep those the
    theme has. Raises BroadsheetError when the engine's words do not fit (a string table's text).

    ``pending``: the related lists are still being ranked (see render.views.PendingRelated).
    ``seo``: add each page's head tags now (else the render stage adds them to the pages it renders).
    ``showing``: index which pages show each article now (else the first edit does, see :func:`edit_plan`).
    """
    views = link_views(site, pending=pending)
    pages = pages_the_theme_has(plan_pages(site, seo=seo, views=views, words=engine_words(site, theme)), env)
    return Plan(
        site, views, pages, {job.url: job for job in pages}, _showing(pages) if showing else None, _site_view_of(pages)
    )


def with_related(plan: Plan, site: Site) -> Plan:
    """The plan made while the related lists were pending (see make_plan), once ``site`` has them:
    the views linked to their related articles, and each article's own page planned again (what it
    shows now names them). The views are linked in place: the given plan must not be used after."""
    link_related(plan.views, site.related)
    by_url = {a.url: a for a in site.articles}
    pages = [
        plan_article(by_url[job.url], plan.views[job.url], plan.sv)
        if job.template == "article.html" and job.url in by_url
        else job
        for job in plan.pages
    ]
    return Plan(site, plan.views, pages, {job.url: job for job in pages}, None, plan.sv)


def _site_view_of(pages: Sequence[PageJob]) -> SiteView:
    for job in pages:
        sv = job.context.get("site")
        if isinstance(sv, SiteView):
            return sv
    raise AssertionError("every page has the site view")  # plan_pages always plans the 404 page


def choose(
    plan: Plan,
    fingerprints: PageFingerprints,
    site_key: str,
    before: Mapping[str, str],
    shape_before: Shape | None,
    held: Callable[[PageJob], bool],
) -> tuple[Choice, Shape]:
    """Which of the plan's pages to render again, and the plan's shape to remember with the prints.

    ``before``: page URL → fingerprint as the sink last received the page; ``shape_before``: the
    shape remembered with them (None: every page is fingerprinted). See engine.choose_pages.
    """
    shape = plan.shape(site_key)
    same = unchanged_articles(plan.views, shape, shape_before)
    return choose_pages(plan.pages, fingerprints.of, before, same, held), shape


@dataclass(frozen=True, slots=True)
class PlanEdit:
    """A plan after edits that moved nothing (see :func:`edit_plan`)."""

    plan: Plan
    replaced: dict[str, Article]
    """Article URL → the article as edited (the site's shared names restored)."""
    replanned: dict[str, PageJob]
    """The pages planned again: the own pages (and redirects) of the edited articles and of those
    whose related list moved."""
    candidates: frozenset[str]
    """URLs of the pages whose fingerprint can have changed: those planned again and those that show
    an article the edit touched (see engine.articles_touched). Every other page is as before."""
    moved: tuple[tuple[PageJob | None, PageJob], ...]
    """The pages planned again that show other articles than before (the plan's shape moved), each
    as the plan had it (None: a page it did not have) and as planned now."""
    touched: frozenset[str] = frozenset()
    """The articles whose part of a fingerprint the edit can change: those it changed (edited, or
    whose related list moved) and those whose views link to them (see engine.articles_touched)."""

    def shape(self, before: Shape | None) -> Shape | None:
        """The plan's shape as :meth:`Plan.shape` would record it again, from the shape of the plan the
        edit was applied to, without hashing every page: the pages whose shows moved are taken out
        of its key and put back in (see incremental.inputs.reshaped). None when ``before`` is, or
        a page is new (then every page is fingerprinted)."""
        was = [page for page, _ in self.moved if page is not None]
        if before is None or len(was) < len(self.moved):
            return None
        key = reshaped(before[0], was, [page for _, page in self.moved]) if was else before[0]
        return key, {**before[1], **{a.url: a.digest for a in self.replaced.values()}}


def edit_plan(plan: Plan, edited: Mapping[str, Article], rank: Callable[[Site], Site]) -> PlanEdit | None:
    """Apply edits that move nothing to a plan; None when one moves something (plan the site again).

    ``edited``: article URL in the plan → the article as now read, assembled on its own with the
    same configuration and publishing rules (see content.library.assemble). An edit moves nothing
    when the article keeps every field the plan reads (:func:`~broadsheet.content.model.placement`):
    its names compared with their spelling, so that an article naming a tag as the site first
    spells it keeps the tag's shared object, and any other spelling plans the site again.
    ``rank``: the site with its related lists for the edited articles (ranked again, or folded in).

    The edited articles' views are updated in place (every page sharing them sees the new values);
    the plan given must not be used afterwards, the returned one replaces it.
    """
    site = plan.site
    by_url = {a.url: a for a in site.articles} if edited else {}
    replaced: dict[str, Article] = {}
    for url, fresh in edited.items():
        before = by_url.get(url)
        if before is None or placement(fresh) != placement(before):
            return None
        # Equal values: keep the site's shared objects (one Category, Tag, Author each).
        replaced[url] = dataclasses.replace(fresh, **{name: getattr(before, name) for name in PLACEMENT_FIELDS})
    ranked = rank(replace_articles(site, replaced))
    changed = set(replaced)  # articles whose own pages are planned again
    before_related, after_related = site.related, ranked.related
    for url in by_url:  # lists left alone are the same objects: cheap to compare
        old_list, new_list = before_related.get(url), after_related.get(url)
        if old_list is not new_list and old_list != new_list:
            changed.add(url)
    views = plan.views
    config = site.config
    for url, a in replaced.items():
        fresh_view = article_view(a, config.base_url, view_counts(config))
        links = link_fields(type(views[url]))  # set when views are linked, not copied from the article
        deferred.written(views[url])  # (a kept plan's view not read yet keeps these when it is)
        for f in dataclasses.fields(ArticleView):
            if f.name not in links:
                setattr(views[url], f.name, getattr(fresh_view, f.name))
    replanned: dict[str, PageJob] = {}
    articles = {a.url: a for a in ranked.articles}
    for url in changed:
        deferred.written(views[url])  # (its link to the related list, as for the fields above)
        views[url].related = [views[u] for u in ranked.related.get(url, ()) if u in views]
        a, view = articles[url], views[url]
        for job in [plan_article(a, view, plan.sv), *plan_aliases(a, view, plan.sv)]:
            replanned[job.url] = job
    jobs = dict(plan.jobs)
    jobs.update(replanned)
    # The pages are made up as before but for those planned again: only those, and the pages that
    # show an article the edit touched, can have another fingerprint (the shape shortcut, known
    # here without hashing the shape).
    candidates = set(replanned)
    # The views of the articles not changed link as the plan linked them.
    touched = changed | plan.linking(changed) if plan.linking is not None else set(articles_touched(views, changed))
    showing: dict[str, frozenset[str]] | None = None
    if plan.showing is None:
        # A plan without the index (one a build kept): one pass over the pages finds those that
        # show a touched article, without indexing every article's pages (2 s at 100,000).
        if plan.pages_showing is not None:
            candidates |= plan.pages_showing(touched)
        else:
            candidates.update(job.url for job in plan.pages if not touched.isdisjoint(job.shows))
    else:
        showing = dict(plan.showing)
        for url in touched:
            candidates |= showing.get(url, frozenset())
    moved: list[tuple[PageJob | None, PageJob]] = []
    for url, job in replanned.items():
        was = plan.jobs.get(url)
        shown = was.shows if was is not None else frozenset()
        if shown == job.shows:
            continue
        moved.append((was, job))
        if showing is None:
            continue
        for article in shown - job.shows:
            showing[article] = showing.get(article, frozenset()) - {url}
        for article in job.shows - shown:
            showing[article] = showing.get(article, frozenset()) | {url}
    # An edit keeps every page's URL, so the pages keep their order (that of ``jobs`` while no two
    # pages share a URL).
    pages = list(jobs.values()) if len(jobs) == len(plan.pages) else [replanned.get(j.url, j) for j in plan.pages]
    new = Plan(ranked, views, pages, jobs, showing, plan.sv)
    return PlanEdit(new, replaced, replanned, frozenset(candidates), tuple(moved), frozenset(touched))


def unchanged_after_edit(edit: PlanEdit, now: Shape | None, last: Shape | None) -> set[str] | None:
    """:func:`engine.unchanged_articles` for a plan made by an edit, whose shape is ``now``, against
    the shape ``last`` recorded with the prints: the articles whose part of every fingerprint is as
    then, or None (the pages are made up otherwise, or an article changed that the edit did not
    apply: fingerprint every candidate).

    Only the views the edit touched (see PlanEdit.touched) are looked at, as they link now: an
    article changed since ``last`` is one the edit applied, and a view linking to it either linked
    to it in the plan the edit was applied to or had its related list moved by the edit."""
    if now is None or last is None or now[0] != last[0]:
        return None
    changed = {url for url, digest in now[1].items() if last[1].get(url) != digest}
    if not changed <= edit.replaced.keys():
        return None
    views = edit.plan.views
    linking = {url for url in edit.touched - changed if url in views and links_to(views[url], changed)}
    return set(now[1]) - changed - linking


def choose_edit(
    edit: PlanEdit,
    fingerprints: PageFingerprints,
    before: Mapping[str, str],
    held: Callable[[PageJob], bool],
    also: Sequence[str] = (),
    fresh: frozenset[str] = frozenset(),
    same: set[str] | None = None,
) -> Choice:
    """Which pages to render after an edit: among its candidates (and ``also``, pages the sink holds
    behind an input the plan does not see, such as a changed image), those whose fingerprint moved.
    ``before`` and ``held`` as for :func:`choose`; ``kept`` and ``prints`` cover the candidates only.

    ``fresh``: articles whose bytes the last build did not see. A page showing one has another
    fingerprint than the last build's (each shown article's part holds the hash of its source), so
    it is rendered without being fingerprinted: the archive, which shows every article, costs a
    second at 100,000 articles to fingerprint. Its print is then :data:`UNPRINTED` and a token of
    this build, which no fingerprint equals: a later build that fingerprints the page renders it
    once more; one that keeps its print (nothing it shows changed) keeps the page, rightly.

    ``same``: the articles whose part of every fingerprint is as when ``before`` was recorded (see
    :func:`unchanged_after_edit`): a page showing only those keeps its print without being
    fingerprinted. Each build resumed from one kept plan applies every edit since that plan again,
    and the pages showing the stories edited in earlier builds are candidates again."""
    jobs = edit.plan.jobs
    urls = sorted(edit.candidates.union(also))
    unprinted = UNPRINTED + secrets.token_hex(8)

    def fingerprint(job: PageJob) -> str:
        return unprinted if not fresh.isdisjoint(job.shows) else fingerprints.of(job)

    chosen = [jobs[u] for u in urls if u in jobs]
    return choose_pages(chosen, fingerprint if fresh else fingerprints.of, before, same, held)


def replace_articles(site: Site, replaced: Mapping[str, Article]) -> Site:
    """The same site with some articles swapped for new versions at the same places."""
    if not replaced:
        return site

    def swap(group: tuple[Article, ...]) -> tuple[Article, ...]:
        return tuple(replaced.get(a.url, a) for a in group)

    by_category, by_tag, by_author = dict(site.by_category), dict(site.by_tag), dict(site.by_author)
    for a in replaced.values():
        by_category[a.category.slug] = swap(by_category[a.category.slug])
        for t in a.tags:
            by_tag[t.slug] = swap(by_tag[t.slug])
        for au in a.authors:
            by_author[au.slug] = swap(by_author[au.slug])
    return dataclasses.replace(
        site,
        articles=swap(site.articles),
        by_category=MappingProxyType(by_category),
        by_tag=MappingProxyType(by_tag),
        by_author=MappingProxyType(by_author),
    )


def published_after_edit(edit: PlanEdit, before: Site) -> list[OutputFile]:
    """The feeds and sitemaps to make again after an edit that moved nothing: what
    stages.publish.publishing_files() makes, minus what such an edit cannot change (the feeds that do not
    hold an edited article, the sitemaps unless an article's modification time moved, robots.txt
    ever). ``before``: the site the edit was applied to."""
    site = edit.plan.site
    published = [*_feeds_holding(site, edit.replaced.values()), news_sitemap(site)]
    was = {a.url: a for a in before.articles if a.url in edit.replaced}
    if any(modified(a) != modified(was[url]) for url, a in edit.replaced.items()):
        published += sitemap_files(sitemap_entries(site, edit.plan.pages), site.config.base_url)
    return published


def _feeds_holding(site: Site, edited: Iterable[Article]) -> list[OutputFile]:
    """The feeds (of feed_files()) whose items include one of the edited articles."""
    count = site.config.feeds.count
    urls = {a.url for a in edited}
    categories = {
        a.category.slug for a in edited if a.url in {b.url for b in site.by_category.get(a.category.slug, ())[:count]}
    }
    in_site_feed = bool(urls & {a.url for a in site.articles[:count]})
    if not categories and not in_site_feed:
        return []
    narrowed = dataclasses.replace(site, categories=tuple(c for c in site.categories if c.slug in categories))
    return [f for f in feed_files(narrowed) if in_site_feed or "/" + f.path != SITE_FEED]
