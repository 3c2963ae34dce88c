"""The *load* and *render* stages of a build that resumes from the last build's plan.

When the content files that changed since the kept plan (see stages/keptplan.py) are articles
edited in place, none of them moved (same URL, date, section, tags, bylines: see
plan.edit_plan), and every other input is as it was, the build does not read, assemble and plan
the whole site again: it reads the edited files, applies them to the kept plan with
:func:`~broadsheet.plan.edit_plan` (the live preview's step for a saved file), folds them into
the related ranking, and renders the pages whose fingerprint they changed
(:func:`~broadsheet.plan.choose_edit`). The other pages are kept as written, as a full build
keeps them; the stages after *render* run as in any build.

:func:`resume_site` is tried first by the *load* stage; it answers None whenever the site must be
planned anew (a new, removed or moved article, a page, a parse error, a template, site.yml or
static file changed, another day, a scheduled change passed, many edits, no kept plan): the full
build then runs, and keeps its plan for the next (:func:`keep_plan`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from ..config import SiteConfig
from ..content.body import BodyRef
from ..content.discover import Found, discover
from ..content.frontmatter import Document
from ..content.library import PublishRules, assemble
from ..content.markdown import Rendered
from ..content.model import Article, Site
from ..content.parse import parse_sources
from ..content.permalinks import RECORD
from ..content.schedule import scheduled_changes
from ..errors import BuildFailed, BuildWarning
from ..filestamp import Stamp, stamp_of
from ..incremental.cache import BuildCache
from ..outputs import OutputFile, PageJob, kept_file, output_key
from ..parallel import Aside
from ..plan import Plan, choose_edit, edit_plan, unchanged_after_edit
from ..progress import Progress, counter, tell
from ..publish.feeds import modified
from ..publish.pictures import Picture
from ..related.incremental import RankingState
from ..render.pages import RenderWork, render_pages, static_files
from ..render.theme import Theme
from ..urls import UnsafePath, output_path, output_path_once
from ..write.generations import last_output
from .aside import Helpers, start_aside, take_stamps
from .keptplan import KeptPlan, forget_kept_plan, load_kept_plan, save_kept_plan
from .publish import made_from, publishing_files
from .rank import aside_lists, edited_inputs, lists_stand, ranked_lists
from .render import collect_outputs, page_fingerprints, pages_site_key_of
from .types import BuildOptions, LoadedSite, PlanKeep, RenderedSite, Resumed

#: Beyond this share of the site's files edited since the kept plan, planning anew costs less.
MOST_EDITED = 0.1
#: A resumed build keeps its own plan once this many files were edited or touched since the kept
#: one: each build reads again the files whose stamp moved since (few, for a day of edits).
RESAVE_FROM = 8


def plan_inputs(options: BuildOptions, config: SiteConfig, version: str) -> tuple[str, ...]:
    """What a kept plan is valid for besides its site key and sources (see KeptPlan.inputs);
    ``version``: the build cache's (see incremental.cache.cache_version)."""
    try:
        record = repr(stamp_of((config.root / RECORD).stat()))
    except OSError:
        record = "none"
    shape = repr((options.drafts, options.future, options.preview, options.base_url))
    return (version, shape, output_key(options.output_dir), record)


def next_change(docs: list[tuple[Document, Rendered]], config: SiteConfig, now: datetime) -> datetime | None:
    """The first scheduled change after ``now`` that a build would show (see content/schedule.py)."""
    changes = scheduled_changes((doc for doc, _ in docs), now, config.featured_days)
    times = [c.when for c in changes]
    if config.breaking is not None and config.breaking.expires > now:
        times.append(config.breaking.expires)
    return min(times) if times else None


def _with_now(plan: Plan, now: datetime) -> Plan:
    """The kept plan at this build's time (the same day: see PagesInput.site). The ``site`` view is
    shared by every page's context: it is given the time in place, as a full build would make it."""
    object.__setattr__(plan.sv, "now", now)  # frozen for templates, shared by the plan's pages
    return dataclasses.replace(plan, site=dataclasses.replace(plan.site, now=now))


def resume_site(
    options: BuildOptions,
    config: SiteConfig,
    theme: Theme,
    cache: BuildCache,
    now: datetime,
    pictures: dict[str, Picture],
    found: Found | None = None,
    seen: Mapping[str, Stamp] | None = None,
    ranking: Aside[RankingState | None] | None = None,
) -> tuple[Site, list[BuildWarning], Resumed, PlanKeep] | None:
    """The site as the kept plan and the articles edited since make it, or None to plan it anew
    (see the module documentation). Only the edited files are read. ``seen``: content files'
    stamps this build took already, ``ranking``: the ranking's helper it started (see
    stages.unchanged.Checked)."""
    if cache.folder is None:
        return None
    with _helper(options, config, cache, found, ranking) as aside:
        kept = load_kept_plan(cache.folder)
        if kept is None or kept.inputs != plan_inputs(options, config, cache.version):
            return None
        if kept.until is not None and now >= kept.until:
            return None
        tell(options.progress, "Reading")
        sources, found_warnings = found if found is not None else discover(config.root)
        if len(sources) != len(kept.sources) or any(s.rel not in kept.sources for s in sources):
            return None
        touched = []  # files whose stamp moved: edited, or only touched (copied in, or stamped too soon)
        taken = seen or {}
        for source in sources:
            stamp = taken.get(source.rel)
            if stamp is None:
                try:
                    stamp = stamp_of(os.stat(source.file))
                except OSError:
                    return None
            if stamp != kept.sources[source.rel][0]:
                touched.append(source)
        plan = _with_now(kept.plan, now)
        site_key = pages_site_key_of(config, theme, plan.site, pictures)
        if site_key != kept.site_key:
            return None
        by_source = {a.source: a for a in plan.site.articles}
        rules = PublishRules(now=now, drafts=options.drafts, future=options.future, preview=options.preview)
        slugs = {a.slug for a in plan.site.articles}
        edited: dict[str, Article] = {}
        edited_docs: list[tuple[Document, Rendered]] = []
        times_moved = False  # an edited article's time (the sitemaps show it) is not the kept plan's
        fresh: set[str] = set()  # edited articles whose file the last build did not read as it is
        parse_warnings = dict(kept.parse_warnings)
        stamps = dict(kept.sources)
        looked_up = [(source, *cache.lookup(source)) for source in touched]
        parsed_one = counter(options.progress, "Parsing", sum(entry is None for _, entry, _ in looked_up))
        for source, entry, raw in looked_up:
            if entry is not None:
                doc, rendered, warns = entry.doc, entry.rendered, list(entry.warnings)
            else:
                if parsed_one is not None:
                    parsed_one(1)
                [(parsed, made, errors, warns)] = parse_sources([(source, config.timezone, raw)])
                if parsed is None or made is None or errors:
                    return None  # reported by the full build, with every other problem
                doc, rendered = parsed, made
                cache.store(source, doc, rendered, warns)
            stamps[source.rel] = (cache.content[source.rel].stamp, doc.digest)
            before = by_source.get(source.rel)
            stamp, digest = kept.sources[source.rel]
            if doc.digest == digest:
                if source.is_page or before is None or cache.content[source.rel].stamp[:3] == stamp[:3]:
                    continue  # the same bytes as when the plan was made, not written since
                return None  # written since, back to the plan's bytes: a build since may have shown an edit
            if source.is_page or before is None:
                return None  # a page, or an article not published before (a draft, an embargo)
            if len(edited) >= max(RESAVE_FROM, MOST_EDITED * len(sources)):
                return None  # many edits: planning anew costs less
            alone, errors, site_warnings = assemble(plan.site.config, [(doc, rendered)], rules, known_slugs=slugs)
            if errors or site_warnings or len(alone.articles) != 1:
                return None  # unpublished now, or a warning the whole site decides on
            if any(w.path == source.rel for w in kept.site_warnings):
                return None
            edited[before.url] = alone.articles[0]
            times_moved = times_moved or modified(alone.articles[0]) != modified(before)
            if entry is None:  # (a file the last build read as it is now has its parse in the cache)
                fresh.add(before.url)
            edited_docs.append((doc, rendered))
            parse_warnings[source.rel] = tuple(warns)
        # The ranking's state matches the kept plan but for the files touched since: those alone are hashed.
        trusted = kept.ranking_token is not None and cache.ranking_token() == kept.ranking_token
        edit = edit_plan(plan, edited, lambda site: _rank_edit(site, cache, set(edited), trusted, aside))
        if edit is None:
            return None
        # An edit may schedule a change of its own (an expiry, the end of a featured spell).
        times = [t for t in (kept.until, next_change(edited_docs, config, now)) if t is not None]
        keep = PlanKeep(min(times) if times else None, kept.site_warnings)
        warnings = [*found_warnings, *(w for s in sources for w in parse_warnings.get(s.rel, ())), *kept.site_warnings]
        kept = dataclasses.replace(kept, parse_warnings=parse_warnings)
        if aside is not None:
            take_stamps(aside)  # (by now its helper has looked at the output's files)
        sitemaps_key = None if times_moved else kept.sitemaps_key
        resumed = Resumed(edit, kept, site_key, stamps, trusted, sitemaps_key, frozenset(fresh))
        return edit.plan.site, warnings, resumed, keep


@contextlib.contextmanager
def _helper(
    options: BuildOptions,
    config: SiteConfig,
    cache: BuildCache,
    found: Found | None,
    ranking: Aside[RankingState | None] | None,
) -> Iterator[Helpers | None]:
    """The helpers that make ready meanwhile what the build asks for later (see stages/aside.py),
    ended on leaving; none for a small site, or when the check before the build did not find the
    content files (a build without that check seldom resumes). ``ranking``: the ranking's helper,
    when the check started it."""
    large = found is not None and len(found[0]) >= options.tuning.aside_from
    aside = start_aside(cache, config, options.output_dir, ranking) if large else None
    try:
        yield aside
    finally:
        if aside is not None:
            aside.close()


def _rank_edit(
    site: Site,
    cache: BuildCache,
    again: Collection[str],
    trusted: bool,
    aside: Helpers | None = None,
) -> Site:
    """The site with its related lists after the edits: folded into the ranking's kept state, which
    gives the lists a full ranking would (see related/incremental.py). ``again``: the URLs of the
    articles edited since the kept plan; ``trusted``: the kept state matched the kept plan when it
    was kept, so it holds every other article as the plan does, and only ``again`` is hashed (else
    every article is); ``aside``: the helper holding the kept state, if one was started (see
    stages/aside.py)."""
    if not again:
        return site  # nothing edited since the kept plan: its lists stand
    if not trusted:
        return dataclasses.replace(site, related=MappingProxyType(ranked_lists(site, cache)))
    # Trusted, the state holds the other articles as the plan does: a file's stamp moves with any
    # write, a file written back to the plan's bytes plans the site anew (above), and only builds
    # resumed from this plan changed the state since (a full build keeps a plan of its own).
    edited = edited_inputs(site, again)
    if lists_stand(cache, edited):
        return site  # nothing the ranking reads changed since the kept plan: its lists stand
    lists = aside_lists(site, cache, edited, aside) if aside is not None else None
    if lists is None:
        lists = ranked_lists(site, cache, edited)
    return dataclasses.replace(site, related=MappingProxyType(lists))


def render_resumed(
    loaded: LoadedSite, resumed: Resumed, output: Path, jobs: int | None = None, progress: Progress | None = None
) -> RenderedSite:
    """The render stage after a resume: render the pages the edits changed (and any page no longer
    as the last build wrote it); keep the others, with the fingerprints the last build recorded."""
    edit, cache = resumed.edit, loaded.cache
    plan = edit.plan
    store = cache.page_store(output)
    tell(progress, "Comparing with the last build")
    last = last_output(output, loaded.config.root)
    still = last.still_written
    kept: list[OutputFile] = []
    behind: list[str] = []  # pages the edits did not touch whose file is not the one written

    def held(job: PageJob) -> bool:  # as written by the build that recorded its fingerprint
        try:
            path = output_path_once(job.url)  # (asked once a page: see output_path_once)
        except UnsafePath:
            return False  # rendered, then reported by collect_outputs
        known = store.get(job.url)
        if known is not None and still(path, known[1]):
            kept.append(kept_file(path, job.source, known[1]))
            return True
        return False

    for job in plan.pages:
        if job.url not in edit.candidates and not held(job):
            behind.append(job.url)
    # The plan's shape: the kept plan's, with the pages whose shows the edits moved (a related
    # list) taken out and put back in, and the edited articles' hashes. (The edits since the kept
    # plan are all applied to it, so its shape is the one to start from, not the last build's.)
    last_shape, kept_shape = cache.shape_of(output), resumed.kept.shape_key
    shape = edit.shape((kept_shape, last_shape[1]) if last_shape is not None and kept_shape is not None else None)
    same = unchanged_after_edit(edit, shape, last_shape)
    fingerprints = page_fingerprints(loaded, resumed.site_key)
    choice = choose_edit(edit, fingerprints, _Prints(store), held, also=behind, fresh=resumed.fresh, same=same)
    cache.set_shape(output, shape if shape is not None else plan.shape(resumed.site_key))  # for the next build
    work = RenderWork(
        loaded.theme, loaded.config, choice.todo, loaded.env, facts=True, site=plan.site, pictures=loaded.pictures
    )
    outcome = render_pages(work, jobs, done=counter(progress, "Rendering", len(choice.todo)), tuning=loaded.tuning)
    static, warnings = static_files(loaded.config.root, loaded.theme.static_dirs)
    published = publishing_files(plan.site, plan.pages, static, cache, output, still, resumed.sitemaps_key)
    files, conflicts = collect_outputs(
        choice.todo, outcome.pages, kept + static + published, outcome.facts, outcome.staged, outcome.stamps
    )
    errors = outcome.errors + conflicts
    if errors:
        raise BuildFailed(errors)
    cache.save_content()  # the edited files' parses
    facts = {output_path(url): f for url, f in outcome.facts.items()}
    # Every page is where it was (an edit moves none), and a page the edit did not choose is kept
    # with the fingerprint and file the store records: the store changes only where ``choice`` does.
    return RenderedSite(
        files,
        len(outcome.pages),
        warnings,
        choice.prints,
        facts,
        last=last,
        plan=plan,
        site_key=resumed.site_key,
        prints_over=store,
    )


class _Prints(Mapping[str, str]):
    """Page URL → fingerprint, as a page store (URL → fingerprint and file hash) records them."""

    def __init__(self, store: Mapping[str, tuple[str, str]]) -> None:
        self._store = store

    def __getitem__(self, url: str) -> str:
        return self._store[url][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._store)

    def __len__(self) -> int:
        return len(self._store)


def keep_plan(loaded: LoadedSite, options: BuildOptions, plan: Plan | None, site_key: str) -> None:
    """Keep the build's plan for the next build (see stages/keptplan.py), once the cache is saved.

    After a full build, always; after a resume, when many files were edited or touched since the
    kept plan, or the pages their edits can change are a quarter of the site's (the kept plan then
    stands for them: the next build reads, and fingerprints, fewer again). A plan that cannot be kept is
    removed: a kept plan is only ever the last one planned. ``site_key``: the one the pages were
    rendered with (see RenderedSite.site_key).
    """
    cache = loaded.cache
    if cache.folder is None:
        return
    resumed = loaded.resumed
    if (
        resumed is not None
        and sum(v != resumed.kept.sources[rel] for rel, v in resumed.sources.items()) < RESAVE_FROM
        and len(resumed.edit.candidates) * 4 < len(resumed.edit.plan.pages)
    ):
        # The kept plan and the few files edited or touched since still make this build's plan, and
        # the pages those edits can change (each build fingerprints them again) are few.
        return
    if plan is None or loaded.keep is None or cache.fresh or cache.changed:
        forget_kept_plan(cache.folder)
        return
    content = cache.content
    if resumed is not None:
        sources = resumed.sources
        parse_warnings = resumed.kept.parse_warnings
    else:
        sources = {rel: (e.stamp, e.digest) for rel, e in content.items()}
        parse_warnings = {rel: tuple(e.warnings) for rel, e in content.items() if e.warnings}
    refs: dict[int, BodyRef] = {}
    for e in content.values():  # bodies parsed in this build: kept in the cache, saved by now
        if e.rendered.body.ref is None:
            refs[id(e.rendered.body)] = cache.body_ref(e.doc.source, e.digest)
    # The ranking's state matches this plan when this build ranked every article, or resumed from
    # a plan the state matched (it then holds that plan and every edit since, as this plan does).
    synced = cache.ranking_synced or cache.ranking_matches
    token = secrets.token_hex(16) if synced or (resumed is not None and resumed.ranking_trusted) else None
    kept = KeptPlan(
        plan_inputs(options, loaded.config, cache.version),
        site_key,
        sources,
        loaded.keep.until,
        parse_warnings,
        loaded.keep.site_warnings,
        plan,
        token,
        made_from(cache, options.output_dir, "sitemaps"),  # made or kept for this plan's pages by now
        shape[0] if (shape := cache.shape_of(options.output_dir)) is not None else None,  # set for this plan
    )
    if not save_kept_plan(cache.folder, kept, refs):
        forget_kept_plan(cache.folder)
    elif token is not None:
        cache.set_ranking_token(token)
