"""The *load* stage, and the *pictures* stage after it: everything before rendering.

Reads :class:`~.types.BuildOptions`, site.yml, the content files (parsed in worker processes, or
taken from the build cache), the published-URL record and the theme; makes a
:class:`~.types.LoadedSite`: the assembled site with its related lists (see stages/rank.py, or
left to the render stage), the Jinja environment and the pictures' planned variants, which
:func:`make_site_pictures` then makes. :func:`read_schedule` reads front matter alone, for the
``schedule`` command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..config import SiteConfig, load_config_problems
from ..content.bodystore import load_bodies
from ..content.discover import Found, SourceFile, discover, discover_static
from ..content.frontmatter import Document, parse_document
from ..content.library import PublishRules, assemble
from ..content.markdown import (
    MarkdownSettings,
    Rendered,
    configure,
    current_settings,
    markdown_settings,
)
from ..content.parse import ParseOutcome, parse_sources
from ..content.permalinks import load_record, update_record, with_redirects
from ..content.schedule import Change, scheduled_changes
from ..errors import BroadsheetError, BuildFailed, BuildWarning
from ..filestamp import Stamp
from ..incremental.cache import BuildCache
from ..parallel import Aside, map_shared
from ..progress import Progress, counter, tell
from ..publish.pictures import CACHE_SUBDIR as PICTURES_SUBDIR
from ..publish.pictures import Picture, PictureOutcome, make_pictures, plan_pictures
from ..related.incremental import RankingState
from ..render.pages import site_environment
from ..render.theme import Theme, load_theme, symlink_warnings
from ..tuning import DEFAULT as DEFAULT_TUNING
from ..tuning import Tuning
from .rank import rank_related_if_cached, ranked_lists, ranking_done
from .resume import next_change, resume_site
from .types import BuildOptions, LoadedSite, PlanKeep


def build_time(options: BuildOptions) -> datetime:
    """The build's "now": SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    if options.now is not None:
        return options.now
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def site_markdown(config: SiteConfig, theme: Theme | None) -> MarkdownSettings:
    """The site's Markdown settings: site.yml ``markdown``, shortcodes from the site, then its themes."""
    chain = theme.chain if theme is not None else ()
    return markdown_settings(
        config.markdown.extensions,
        config.markdown.extension_configs,
        [config.root / "shortcodes", *(folder / "shortcodes" for folder in chain)],
        config.markdown.shortcodes,
    )


def _parse_with(settings: MarkdownSettings, work: Sequence[tuple[SourceFile, str, bytes | None]]) -> list[ParseOutcome]:
    """parse_sources under the given Markdown settings (in whichever process runs it), the bodies
    packed: the build holds every one until the articles' pages are rendered."""
    configure(settings)
    return parse_sources(work, pack=True)


def parse_all(
    config: SiteConfig,
    jobs: int | None = None,
    cache: BuildCache | None = None,
    progress: Progress | None = None,
    tuning: Tuning = DEFAULT_TUNING,
    discovered: Found | None = None,
) -> tuple[list[tuple[Document, Rendered]], list[BroadsheetError], list[BuildWarning]]:
    """Discover (unless ``discovered``), parse and convert every content file (cached ones reused,
    the rest in parallel)."""
    cache = cache or BuildCache(None)
    tell(progress, "Reading")
    sources, warnings = discovered if discovered is not None else discover(config.root)
    warnings = list(warnings)
    errors: list[BroadsheetError] = []
    found: dict[str, tuple[Document, Rendered]] = {}
    work: list[tuple[SourceFile, str, bytes | None]] = []
    cache.read_rows()  # every file is looked up: one read of the cache, not one per file
    for source in sources:
        entry, raw = cache.lookup(source)
        if entry is not None:
            found[source.rel] = (entry.doc, entry.rendered)  # made with this build's source (see incremental/cache.py)
            warnings += entry.warnings
        else:
            work.append((source, config.timezone, raw))
    parsed = map_shared(
        _parse_with,
        current_settings(),
        work,
        jobs,
        done=counter(progress, "Parsing", len(work)),
        parallel_from=tuning.parallel_from,
    )
    for (source, _, _), (doc, rendered, errs, warns) in zip(work, parsed, strict=True):
        errors += errs
        warnings += warns
        if doc is not None and rendered is not None:
            found[source.rel] = (doc, rendered)
            cache.store(source, doc, rendered, warns)
    cache.forget_missing(s.rel for s in sources)
    # Sorted by path, whatever came from the cache: the same input gives the same site.
    docs = [found[s.rel] for s in sources if s.rel in found]
    load_bodies(rendered.body for doc, rendered in docs if doc.source.is_page)  # the assembly reads pages' bodies
    return docs, errors, warnings


def read_schedule(options: BuildOptions) -> tuple[SiteConfig, list[Change]]:
    """Read the front matter of every article; return the site's future publications and expiries."""
    config, config_errors = load_config_problems(options.source, options.base_url)
    if config is None or config_errors:
        raise BuildFailed(config_errors)
    sources, _ = discover(config.root)
    errors: list[BroadsheetError] = []
    docs: list[Document] = []
    for source in sources:  # front matter only: no Markdown needed to know dates
        doc, errs, _ = parse_document(source, config.tz)
        errors += errs
        if doc is not None:
            docs.append(doc)
    if errors:
        raise BuildFailed(errors)
    now = build_time(options)
    changes = scheduled_changes(docs, now, config.featured_days)
    if config.breaking is not None and config.breaking.expires > now:  # the banner comes down
        changes.append(Change(config.breaking.expires, "expire", "site.yml", f"breaking news: {config.breaking.text}"))
        changes.sort(key=lambda c: (c.when, c.source, c.kind))
    return config, changes


def load_site(
    options: BuildOptions,
    defer_related: bool = False,
    found: Found | None = None,
    stamps: Mapping[str, Stamp] | None = None,
    ranking: Aside[RankingState | None] | None = None,
) -> LoadedSite:
    """Run every stage up to rendering; raise BuildFailed listing every problem.

    ``defer_related``: when the related lists must be ranked anew, leave that to
    :func:`~broadsheet.stages.render.render_site` (``related_pending``), which may rank them while it renders.
    ``found``: the content files, when this build has discovered them already; ``stamps``: those
    of them it has looked at; ``ranking``: the related ranking's helper it has started (see
    stages.unchanged.Checked), taken over by a resumed build.
    """
    config, config_errors = load_config_problems(options.source, options.base_url)
    if config is None or config_errors:
        raise BuildFailed(config_errors)
    errors: list[BroadsheetError] = []
    theme: Theme | None = None
    try:
        theme = load_theme(config.theme, config.root)
    except BroadsheetError as exc:
        errors.append(exc)
    configure(site_markdown(config, theme))
    cache = BuildCache.load(config.root, options.cache, config.timezone, current_settings().key())
    now = build_time(options)
    compiled = cache.templates_dir()  # (makes the cache folder, which the pictures' index joins)
    pictures = site_pictures(config, cache)
    if theme is not None and not errors:
        resumed = resume_site(options, config, theme, cache, now, pictures, found, stamps, ranking)
        if resumed is not None:  # only the articles edited since the last build's plan were read
            site, warnings, state, keep = resumed
            env = site_environment(theme, config, compiled, pictures)
            warnings += symlink_warnings(theme, config.root)
            return LoadedSite(
                config, theme, env, site, warnings, cache, pictures, options.tuning, keep=keep, resumed=state
            )
    docs, parse_errors, warnings = parse_all(config, options.jobs, cache, options.progress, options.tuning, found)
    errors += parse_errors
    rules = PublishRules(now=now, drafts=options.drafts, future=options.future, preview=options.preview)
    site, lib_errors, lib_warnings = assemble(config, docs, rules)
    errors += lib_errors
    warnings += lib_warnings
    # Before the pages are planned: a moved article's old URLs become redirects (aliases).
    record, record_errors = load_record(config.root)
    errors += record_errors
    if errors:
        raise BuildFailed(errors)
    assert theme is not None  # else its error was raised above
    published = not (options.drafts or options.future)
    new_record, moves, notices = update_record(record, site, published)
    site = with_redirects(site, moves)
    ranked, key = rank_related_if_cached(site, cache)
    if ranked is None and not defer_related:
        tell(options.progress, "Ranking related articles")
        ranked = ranking_done(site, cache, ranked_lists(site, cache), key)
    env = site_environment(theme, config, compiled, pictures)
    warnings += symlink_warnings(theme, config.root)
    return LoadedSite(
        config,
        theme,
        env,
        ranked or site,
        warnings,
        cache,
        pictures=pictures,
        tuning=options.tuning,
        related_pending=key if ranked is None else None,
        notices=notices,
        record=new_record if published and options.record_urls else None,
        keep=PlanKeep(next_change(docs, config, now), tuple(lib_warnings)) if cache.folder is not None else None,
    )


def pictures_cache(cache: BuildCache) -> Path | None:
    """Where the pictures' variants are kept between builds: beside the build cache (None without one)."""
    return cache.folder / PICTURES_SUBDIR if cache.folder is not None else None


def site_pictures(config: SiteConfig, cache: BuildCache) -> dict[str, Picture]:
    """Plan the responsive variants of the raster pictures in the site's static/ (none without Pillow)."""
    return planned_pictures(config, pictures_cache(cache))


def planned_pictures(config: SiteConfig, folder: Path | None) -> dict[str, Picture]:
    """:func:`site_pictures` with the variants kept in ``folder`` (see :func:`pictures_cache`)."""
    found, _ = discover_static(config.root / "static", config.root)  # its warnings come with the static files
    return plan_pictures(config.root, found, folder)


def make_site_pictures(loaded: LoadedSite, jobs: int | None, progress: Progress | None = None) -> PictureOutcome:
    """Make the variants the cache lacks; a picture that cannot be made is shown as it is (a warning)."""
    if loaded.pictures:
        tell(progress, "Making pictures")
    outcome = make_pictures(loaded.pictures, pictures_cache(loaded.cache), jobs)
    for w in outcome.warnings:
        loaded.pictures.pop("/" + (w.path or "").removeprefix("static/"), None)
    return outcome
