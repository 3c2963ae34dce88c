"""The build, stage by stage. Only this module knows the order of the stages.

config → discover → frontmatter → markdown → library → related → theme → pictures → render
       → feeds, sitemaps, robots.txt → search index → link check → write
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import jinja2

from .config import SiteConfig, load_config_problems
from .content.bodystore import load_bodies
from .content.discover import SourceFile, discover, discover_static
from .content.frontmatter import Document, parse_document
from .content.library import PublishRules, assemble
from .content.lint import body_warnings, locate_links
from .content.markdown import (
    MarkdownError,
    MarkdownSettings,
    Rendered,
    configure,
    current_settings,
    markdown_settings,
    render_markdown,
)
from .content.model import Article, Site
from .content.permalinks import RECORD, Entry, load_record, save_record, update_record, with_redirects
from .content.ranking import rank, related_input, site_related_input
from .content.ranking import related_settings as related_settings  # (for the preview and the command line)
from .content.schedule import Change, scheduled_changes
from .engine import DiskSink, templates_reading_links
from .errors import BroadsheetError, BuildFailed, BuildWarning, ContentError, OutputError
from .incremental.cache import BuildCache, PageFingerprints
from .incremental.inputs import pages_input
from .incremental.keys import key_of
from .outputs import OutputFile, PageJob, output_folder, output_key
from .parallel import default_jobs, map_shared
from .plan import Plan, choose, make_plan, with_related
from .progress import Progress, counter, tell
from .publish import search as search_stage
from .publish.feeds import feed_files, feeds_input, render_feeds
from .publish.linkcheck import check_page_links
from .publish.pictures import CACHE_SUBDIR as PICTURES_SUBDIR
from .publish.pictures import Picture, PictureOutcome, make_pictures, plan_pictures
from .publish.search import BUNDLE_DIR, SplitIndex
from .publish.sitemaps import SitemapsInput, news_sitemap, robots_txt, sitemap_entries, sitemap_files
from .related import index as related_stage
from .related.incremental import RankingState, ranks_everything, update_ranking
from .render.pages import (
    HashedFacts,
    RenderOutcome,
    RenderWork,
    page_facts,
    render_pages,
    site_environment,
    static_files,
)
from .render.theme import Theme, load_theme, symlink_warnings
from .tuning import DEFAULT as DEFAULT_TUNING
from .tuning import Tuning
from .urls import UnsafePath, output_path
from .write.commit import LastOutput, WriteStats, check_output_dir, digest_bytes, folds_case
from .write.generations import (
    discard_staging,
    last_output,
    open_staging,
    shown,
    staging_dir,
    write_error,
)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What the command line asked for."""

    source: Path
    output: Path | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False
    jobs: int | None = None
    now: datetime | None = None
    cache: bool = True
    """Reuse parses and pages of earlier builds (``.broadsheet-cache/`` in the site)."""
    search: bool = True
    """Build the search index (when Pagefind is installed); ``--no-search`` skips it for quick rebuilds."""
    progress: Progress | None = None
    """Told the stages as they advance (see progress.py); the command line draws it on a terminal."""
    record_urls: bool = True
    """Keep content/_permalinks.yml up to date (see content/permalinks.py) after a build of the published site."""
    preview: bool = False
    """Built for the live preview: drafts and embargoed stories are marked as such on the pages."""
    tuning: Tuning = field(default_factory=Tuning)
    """Site sizes from which the build works differently (see tuning.py)."""

    def __post_init__(self) -> None:
        """Name the folders by absolute paths, whatever the spelling they were given in.

        What a build remembers between builds names the site's files by path (a template, a
        static file, a string table: see incremental/inputs.py): ``Path("site")`` from a script
        and the command line's resolved path must be the same site, or each build after the
        other would render every page again. The output keeps its own name (see
        :func:`~broadsheet.outputs.output_folder`).
        """
        object.__setattr__(self, "source", Path(self.source).resolve())  # frozen: set once, here
        if self.output is not None:
            object.__setattr__(self, "output", output_folder(Path(self.output)))

    @property
    def output_dir(self) -> Path:
        """The output folder: --output, or output/ in the site."""
        return self.output if self.output is not None else self.source / "output"


@dataclass(slots=True)
class LoadedSite:
    """The site read and assembled, with its theme: everything before rendering."""

    config: SiteConfig
    theme: Theme
    env: jinja2.Environment
    site: Site
    warnings: list[BuildWarning] = field(default_factory=list)
    cache: BuildCache = field(default_factory=lambda: BuildCache(None))
    pictures: dict[str, Picture] = field(default_factory=dict)
    """Site URL → the responsive variants planned for that picture (see publish/pictures.py)."""
    tuning: Tuning = field(default_factory=Tuning)
    related_pending: str | None = None
    """While the related lists are not ranked yet (``site.related`` is empty; render_site ranks them):
    the hash of what the ranking reads, under which the lists are cached."""
    notices: list[BuildWarning] = field(default_factory=list)
    """What the build did by itself and the user should know (a moved article's redirect)."""
    record: dict[str, Entry] | None = None
    """The published URLs to record in content/_permalinks.yml once the build is written."""


@dataclass(slots=True)
class BuildResult:
    """What a build made: the site, its files in memory, the warnings and the counts."""

    loaded: LoadedSite
    files: list[OutputFile]
    pages_rendered: int
    warnings: list[BuildWarning]
    stats: WriteStats | None = None
    seconds: float = 0.0
    pictures_processed: int = 0
    """Pictures whose variants were made in this build (not found in the cache)."""
    notices: list[BuildWarning] = field(default_factory=list)
    """See LoadedSite.notices: told, not counted as warnings."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each stage, in the order they ran (see :func:`build`)."""
    search_shards_indexed: tuple[str, ...] = ()
    """Shards of the search index Pagefind made in this build (the others were kept; see publish/search.py)."""


def build_time(options: BuildOptions) -> datetime:
    """The build's "now": SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    if options.now is not None:
        return options.now
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


ParseOutcome = tuple[Document | None, Rendered | None, list[BroadsheetError], list[BuildWarning]]


def parse_sources(work: Sequence[tuple[SourceFile, str, bytes | None]]) -> list[ParseOutcome]:
    """Parse and convert a chunk of content files (runs in a worker process).

    The documents come back without their Markdown body (``body`` is empty): once converted, the
    stages after this one read the rendered result, and the body would double what crosses
    from the workers and what a large site holds in memory.
    """
    out: list[ParseOutcome] = []
    for source, tz_name, raw in work:
        doc, errs, warns = parse_document(source, ZoneInfo(tz_name), raw)
        rendered = None
        if doc is not None:
            try:
                rendered = render_markdown(doc.body)
                warns = [*warns, *body_warnings(doc.body, source.rel, doc.body_line)]
                doc = dataclasses.replace(doc, body="")
            except MarkdownError as exc:
                # Lines count within the body; the document knows where its body starts in the file.
                errs = [
                    *errs,
                    *(
                        ContentError(message, source.rel, doc.body_line + line - 1, hint)
                        for message, line, hint in exc.problems
                    ),
                ]
                doc = None
        out.append((doc, rendered, errs, warns))
    return out


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
    """parse_sources under the given Markdown settings (in whichever process runs it)."""
    configure(settings)
    return parse_sources(work)


def parse_all(
    config: SiteConfig,
    jobs: int | None = None,
    cache: BuildCache | None = None,
    progress: Progress | None = None,
    tuning: Tuning = DEFAULT_TUNING,
) -> tuple[list[tuple[Document, Rendered]], list[BroadsheetError], list[BuildWarning]]:
    """Discover, parse and convert every content file (cached ones reused, the rest in parallel)."""
    cache = cache or BuildCache(None)
    tell(progress, "Reading")
    sources, warnings = discover(config.root)
    errors: list[BroadsheetError] = []
    found: dict[str, tuple[Document, Rendered]] = {}
    work: list[tuple[SourceFile, str, bytes | None]] = []
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


def related_docs(site: Site) -> list[related_stage.RelatedDoc]:
    """What the related ranking sees of each published article (their texts read)."""
    return site_related_input(site).docs()


def related_inputs_key(articles: Sequence[Article], settings: related_stage.RelatedSettings) -> str:
    """Hash of the related ranking's input (see content/ranking.py): equal keys give equal lists.

    Of an article's text only the opening the ranking reads counts (``text_bytes``), by its hash,
    which a cached body keeps beside it for the default reading (the body is not read).
    """
    return key_of(related_input(list(articles), settings))


def rank_related(site: Site, cache: BuildCache | None = None) -> Site:
    """Attach the "You may also like" lists to the site (the last build's when nothing they read changed)."""
    ranked, key = rank_related_if_cached(site, cache)
    return ranked if ranked is not None else ranking_done(site, cache, ranked_lists(site, cache), key)


def rank_related_if_cached(site: Site, cache: BuildCache | None) -> tuple[Site | None, str]:
    """The site with the last build's related lists if nothing they read changed, else None; and the
    key of the ranking's input."""
    key = key_of(site_related_input(site))
    lists = cache.related_lists(key) if cache is not None else None
    return (dataclasses.replace(site, related=MappingProxyType(lists)) if lists is not None else None), key


def ranked_lists(site: Site, cache: BuildCache | None = None) -> dict[str, tuple[str, ...]]:
    """Rank the related lists of every article (a thread may run it while pages render).

    With the cache, the last ranking's kept state (see related/incremental.py) is updated with
    what changed since, which gives the lists a full ranking would, and kept for the next build;
    only the articles that changed are read then.
    """
    given = site_related_input(site)
    if cache is None or cache.folder is None:
        return rank(given)
    settings = given.settings
    head = cache.ranking_state()
    state = RankingState.from_rows(head, cache.ranking_rows(), settings) if head is not None else None
    by_url = {a.key: a for a in given.articles}
    digests = {url: key_of(a) for url, a in by_url.items()}  # the body stands outside: its opening's hash is in
    if ranks_everything(state, len(digests)):
        load_bodies(a.body for a in given.articles)  # the ranking reads every article's text

    def doc_of(url: str) -> related_stage.RelatedDoc:
        load_bodies([by_url[url].body])  # (loaded already when everything is ranked)
        return by_url[url].doc()

    state, _ = update_ranking(state, digests, doc_of, settings)
    cache.set_ranking_state(*state.rows_to_save())  # the rows that changed
    return {k: tuple(v) for k, v in state.lists.items()}


def ranking_done(site: Site, cache: BuildCache | None, lists: dict[str, tuple[str, ...]], key: str) -> Site:
    """Remember a ranking in the cache under ``key`` (see rank_related_if_cached) and attach it to the site."""
    if cache is not None:
        cache.set_related(key, lists)
    return dataclasses.replace(site, related=MappingProxyType(lists))


def load_site(options: BuildOptions, defer_related: bool = False) -> LoadedSite:
    """Run every stage up to rendering; raise BuildFailed listing every problem.

    ``defer_related``: when the related lists must be ranked anew, leave that to
    :func:`render_site` (``related_pending``), which may rank them while it renders.
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
    docs, parse_errors, warnings = parse_all(config, options.jobs, cache, options.progress, options.tuning)
    errors += parse_errors
    rules = PublishRules(now=build_time(options), drafts=options.drafts, future=options.future, preview=options.preview)
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
    compiled = cache.templates_dir()  # (makes the cache folder, which the pictures' index joins)
    pictures = site_pictures(config, cache)
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
    )


def pictures_cache(cache: BuildCache) -> Path | None:
    """Where the pictures' variants are kept between builds: beside the build cache (None without one)."""
    return cache.folder / PICTURES_SUBDIR if cache.folder is not None else None


def site_pictures(config: SiteConfig, cache: BuildCache) -> dict[str, Picture]:
    """Plan the responsive variants of the raster pictures in the site's static/ (none without Pillow)."""
    found, _ = discover_static(config.root / "static", config.root)  # its warnings come with the static files
    return plan_pictures(config.root, found, pictures_cache(cache))


def make_site_pictures(loaded: LoadedSite, jobs: int | None, progress: Progress | None = None) -> PictureOutcome:
    """Make the variants the cache lacks; a picture that cannot be made is shown as it is (a warning)."""
    if loaded.pictures:
        tell(progress, "Making pictures")
    outcome = make_pictures(loaded.pictures, pictures_cache(loaded.cache), jobs)
    for w in outcome.warnings:
        loaded.pictures.pop("/" + (w.path or "").removeprefix("static/"), None)
    return outcome


def collect_outputs(
    jobs: list[PageJob],
    pages: dict[str, bytes],
    static: list[OutputFile],
    facts: dict[str, HashedFacts] | None = None,
    staged: dict[str, str] | None = None,
    stamps: dict[str, tuple[int, int]] | None = None,
) -> tuple[list[OutputFile], list[BroadsheetError]]:
    """Map pages (in memory, or staged by the render workers) to files; refuse unsafe paths and two
    sources for one file (naming both)."""
    errors: list[BroadsheetError] = []
    by_path: dict[str, OutputFile] = {}
    files: list[OutputFile] = []
    candidates = [(job.url, job.source, pages.get(job.url)) for job in jobs]
    for url, source, data in candidates:
        try:
            path = output_path(url)
        except UnsafePath as exc:
            errors.append(OutputError(str(exc), source, None, "use a plain slug, category and alias"))
            continue
        known = facts.get(url) if facts else None
        name = staged.get(url) if staged else None
        if name is not None and known is not None:
            files.append(
                OutputFile(path, source, digest=known[0], staged=name, stamp=stamps.get(url) if stamps else None)
            )
        elif data is not None:
            files.append(OutputFile(path, source, data=data, digest=known[0] if known else None))
    files += static
    for f in files:
        key = f.path.casefold()  # case-insensitive file systems would merge these
        if key in by_path and by_path[key].path != f.path and same_story(by_path[key].source, f.source):
            continue  # an old URL kept exactly, differing only in case (see case_twins)
        if key in by_path:
            errors.append(
                OutputError(
                    f"two sources write '{f.path}': {by_path[key].source} and {f.source}",
                    f.source,
                    None,
                    "give one of them another slug, category or alias",
                )
            )
        else:
            by_path[key] = f
    return files, errors


ALIAS_MARK = " (alias)"


def same_story(a: str, b: str) -> bool:
    """Whether two output sources are one article and its redirect (or two of its redirects)."""
    return (a.endswith(ALIAS_MARK) or b.endswith(ALIAS_MARK)) and a.removesuffix(ALIAS_MARK) == b.removesuffix(
        ALIAS_MARK
    )


def case_twins(files: list[OutputFile]) -> tuple[list[OutputFile], list[BuildWarning]]:
    """Leave out redirects whose path differs only in case from another file of the same article.

    For an output folder on a file system that ignores case (macOS, Windows), where both cannot
    exist: the article's page wins, and on such a host it answers the old URL itself.
    """
    seen = {f.path.casefold() for f in files if not f.source.endswith(ALIAS_MARK)}
    kept: list[OutputFile] = []
    warnings: list[BuildWarning] = []
    for f in files:
        key = f.path.casefold()
        if f.source.endswith(ALIAS_MARK):
            if key in seen:
                warnings.append(
                    BuildWarning(
                        f"the redirect '{f.path}' differs only in case from another file of the article, and the "
                        "output folder's file system ignores case: left out",
                        f.source.removesuffix(ALIAS_MARK),
                        None,
                        "build on a case-sensitive file system (Linux) to keep both",
                    )
                )
                continue
            seen.add(key)
        kept.append(f)
    return kept, warnings


def add_files(files: list[OutputFile], extra: list[OutputFile]) -> list[OutputFile]:
    """Add files made after rendering; raise BuildFailed if one would overwrite another."""
    if not extra:
        return files
    combined, conflicts = collect_outputs([], {}, files + extra)
    if conflicts:
        raise BuildFailed(conflicts)
    return combined


def index_pages(
    loaded: LoadedSite,
    pages: list[PageFacts],
    output: Path,
    last: LastOutput | None = None,
    jobs: int | None = None,
) -> SplitIndex:
    """The search index, split in shards (see publish/search.py): those whose pages did not change
    kept from the last build, the others made again by Pagefind.

    ``last``: the output as the render stage saw it (its files are looked at once in a build).
    """
    marked = {f.path: (f, digest) for f, digest, _, mark in pages if mark}
    key = output_key(output)
    shard_records, known = loaded.cache.search.get(key, ({}, {}))
    if marked and not shard_records and search_stage.find_pagefind() is None:
        # Nothing to keep and nothing to index with: without reading the pages back.
        return search_stage.SplitIndex([], [search_stage.not_installed()], [], {})
    staging = staging_dir(output, loaded.config.root)

    def read(paths: Sequence[str]) -> list[OutputFile]:
        return [g for g in (read_back(marked[p][0], output, staging) for p in paths) if g is not None]

    def read_one(path: str) -> bytes | None:
        page = read_back(marked[path][0], output, staging)
        return page.data if page is not None else None

    # Shards are keyed by what Pagefind reads of their pages, not by whole pages: a related list
    # or a "next story" link that changed does not index a month again.
    indexed = search_stage.indexed_digests(((path, digest) for path, (_, digest) in marked.items()), known, read_one)
    shards = search_stage.plan_shards(indexed.items(), search_stage.article_months(loaded.site, loaded.config.tz))
    index = search_stage.index_shards(
        shards, shard_records, (last or shown(output, loaded.config.root)).still_written, read, jobs or default_jobs()
    )
    record = (index.records, {digest: indexed[path] for path, (_, digest) in marked.items()})
    if loaded.cache.search.get(key) != (record if marked else None):  # an unchanged cache is not written
        if marked:
            loaded.cache.search[key] = record
        else:
            loaded.cache.search.pop(key, None)
        loaded.cache.dirty = True
    return index


def made_or_kept(
    cache: BuildCache,
    output: Path | None,
    name: str,
    key: str,
    make: Callable[[], list[OutputFile]],
    still: Callable[[str, str], bool],
) -> list[OutputFile]:
    """Files ``make`` makes from inputs whose hash is ``key``; the last build's, kept, if it had the same
    inputs and its files are still in the output as written."""
    if cache.folder is None or output is None:
        return make()
    records = cache.made.setdefault(output_key(output), {})
    record = records.get(name)
    if record is not None and record[0] == key and record[1] and all(still(p, d) for p, d in record[1].items()):
        return [OutputFile(path, name, kept=digest) for path, digest in sorted(record[1].items())]
    files = make()
    records[name] = (key, {f.path: f.kept or f.digest or digest_bytes(f.data or b"") for f in files})
    cache.dirty = True
    return files


def publishing_files(
    site: Site,
    jobs: list[PageJob],
    static: list[OutputFile],
    cache: BuildCache | None = None,
    output: Path | None = None,
    still: Callable[[str, str], bool] | None = None,
) -> list[OutputFile]:
    """Feeds, sitemaps and robots.txt; a robots.txt in the site's static/ wins over ours.

    With the cache and output folder, feeds and sitemaps made from the same inputs as the last build's are kept.
    """
    entries = sitemap_entries(site, jobs)
    base = site.config.base_url
    if cache is not None and still is not None:
        # Feeds show the newest stories whole: most edits leave them as they were.
        feeds = feeds_input(site)
        files = made_or_kept(cache, output, "feeds", key_of(feeds), lambda: render_feeds(feeds), still)
        # Made from their input alone, and kept while its key is the same.
        listed = SitemapsInput(base, tuple(entries))
        files += made_or_kept(
            cache, output, "sitemaps", key_of(listed), lambda: sitemap_files(listed.entries, listed.base_url), still
        )
    else:
        files = feed_files(site) + sitemap_files(entries, base)
    files.append(news_sitemap(site))
    if not any(f.path == "robots.txt" for f in static):
        files.append(robots_txt(site.config.base_url))
    return files


def pages_site_key(loaded: LoadedSite) -> str:
    """What every page's fingerprint starts from: the key of the pages' input (see incremental/inputs.py)."""
    return key_of(pages_input(loaded.config, loaded.theme, loaded.site, loaded.pictures))


def page_fingerprints(loaded: LoadedSite, site_key: str) -> PageFingerprints:
    """The fingerprints of the site's pages, each as its template can see it (see engine.templates_reading_links)."""
    return PageFingerprints(site_key, templates_reading_links(loaded.env))


def reuse_pages(
    loaded: LoadedSite, plan: Plan, output: Path, last: LastOutput | None = None
) -> tuple[list[PageJob], list[OutputFile], dict[str, str]]:
    """Split the plan's pages into those to render and those whose output is still current (see
    incremental/cache.py).

    ``last``: the output as this build sees it (see write.LastOutput), shared with the write stage.

    The decision is the engine's (:func:`broadsheet.plan.choose`), with the fingerprints and the
    plan's shape (see incremental/inputs.py PlanShape) recorded by the last build: when the pages
    are made up as then, a page that shows no article whose content changed since (see
    :func:`broadsheet.engine.articles_touched`) has the fingerprint it had. What a page shows is
    derived from its context (see render/shows.py), so it holds every article the context holds.
    """
    store = loaded.cache.page_store(output)
    still = (last or shown(output, loaded.config.root)).still_written
    site_key = pages_site_key(loaded)
    kept: list[OutputFile] = []

    def held(job: PageJob) -> bool:  # as written by the build that recorded its fingerprint
        try:
            path = output_path(job.url)
        except UnsafePath:
            return False  # rendered, then reported by collect_outputs
        digest = store[job.url][1]
        if still(path, digest):
            kept.append(OutputFile(path, job.source, kept=digest))
            return True
        return False

    before = {url: fp for url, (fp, _) in store.items()}
    choice, shape = choose(
        plan, page_fingerprints(loaded, site_key), site_key, before, loaded.cache.shape_of(output), held
    )
    loaded.cache.set_shape(output, shape)
    return choice.todo, kept, choice.prints


@dataclass(slots=True)
class RenderedSite:
    """What the render stage made: files, how many pages were rendered, warnings, and per page
    its fingerprint (URL → fingerprint) and, for HTML pages rendered now, its hash and facts."""

    files: list[OutputFile]
    rendered: int
    warnings: list[BuildWarning]
    prints: dict[str, str]
    facts: dict[str, HashedFacts] = field(default_factory=dict)
    """Output path → (hash, links, search mark) of each HTML page rendered in this build."""
    staged: bool = False
    """Whether pages were written to the output's staging folder by the render workers."""
    last: LastOutput | None = None
    """The output as the render stage saw it, for the stages after (see write.LastOutput)."""


def render_site(
    loaded: LoadedSite, output: Path | None = None, jobs: int | None = None, progress: Progress | None = None
) -> RenderedSite:
    """Render every page (except those still current in ``output``) and gather static files.

    Raises BuildFailed on any error. With the related lists still to rank, a cold build of a
    large site ranks them while its workers render the pages that do not show them (see
    :func:`render_while_ranking`); otherwise they are ranked first.
    """
    store_empty = output is None or loaded.cache.folder is None or not loaded.cache.page_store(output)
    overlap = (
        loaded.related_pending is not None
        and store_empty
        and (jobs or default_jobs()) > 1
        and len(loaded.site.articles) >= loaded.tuning.rank_while_rendering_from
    )
    if loaded.related_pending is not None and (overlap or loaded.cache.ranking_state() is None):
        # A ranking from scratch reads every article's text (read here, not in the ranking's thread).
        load_bodies(a.body for a in loaded.site.articles)
    if loaded.related_pending is not None and not overlap:
        tell(progress, "Ranking related articles")
        loaded.site = ranking_done(
            loaded.site, loaded.cache, ranked_lists(loaded.site, loaded.cache), loaded.related_pending
        )
        loaded.related_pending = None
    tell(progress, "Planning pages")
    try:
        plan = make_plan(
            loaded.site, loaded.env, loaded.theme, pending=loaded.related_pending is not None, seo=False, showing=False
        )
    except BroadsheetError as exc:  # a page title's text in a string table that does not fit
        raise BuildFailed([exc]) from None
    planned = plan.pages
    todo = planned
    kept: list[OutputFile] = []
    prints: dict[str, str] = {}
    still: Callable[[str, str], bool] | None = None
    last: LastOutput | None = None
    if output is not None and loaded.cache.folder is not None:
        tell(progress, "Comparing with the last build")
        last = last_output(output, loaded.config.root)
        still = last.still_written
        if not overlap:  # else nothing is kept (the store is empty); fingerprints wait for the lists
            todo, kept, prints = reuse_pages(loaded, plan, output, last)
    # A large site's pages are written to the staging folder by the workers that render them: in
    # parallel, and without holding every page in this process's memory.
    staging = (
        open_staging(output, loaded.config.root)
        if output is not None and len(todo) >= loaded.tuning.stage_in_workers_from
        else None
    )
    # The parses of this build go to the cache while the workers render: this process waits then.
    # (Started after the fork-started workers exist, so none is forked mid-write.)
    saving = threading.Thread(target=loaded.cache.save_content, name="cache-save")
    done = counter(progress, "Rendering", len(todo))
    published: list[tuple[list[OutputFile], list[BuildWarning], list[OutputFile]]] = []

    def publish(final: list[PageJob]) -> None:
        """Static files, feeds and sitemaps: made while the workers render the (last round of) pages."""
        static, warns = static_files(loaded.config.root, loaded.theme.static_dirs)
        published.append((static, warns, publishing_files(loaded.site, final, static, loaded.cache, output, still)))

    try:
        if overlap:
            outcome, planned, prints = render_while_ranking(loaded, plan, jobs, staging, done, saving, publish, output)
            todo = planned
        else:
            work = RenderWork(
                loaded.theme,
                loaded.config,
                todo,
                loaded.env,
                facts=True,
                site=loaded.site,
                staging=staging,
                pictures=loaded.pictures,
            )

            def meanwhile() -> None:
                saving.start()
                publish(planned)

            outcome = render_pages(work, jobs, done=done, started=meanwhile, tuning=loaded.tuning)
    except OSError as exc:
        if output is None or staging is None:
            raise
        raise BuildFailed([write_error(exc, output, loaded.config.root)]) from None
    finally:
        if saving.is_alive():
            saving.join()
    errors = outcome.errors
    static, warnings, extra = published[0]
    files, conflicts = collect_outputs(
        todo, outcome.pages, kept + static + extra, outcome.facts, outcome.staged, outcome.stamps
    )
    errors += conflicts
    if errors:
        raise BuildFailed(errors)
    facts = {output_path(url): f for url, f in outcome.facts.items()}
    return RenderedSite(
        files, len(outcome.pages) + len(outcome.staged), warnings, prints, facts, staged=staging is not None, last=last
    )


def render_while_ranking(
    loaded: LoadedSite,
    plan: Plan,
    jobs: int | None,
    staging: Path | None,
    done: Callable[[int], None] | None,
    saving: threading.Thread,
    publish: Callable[[list[PageJob]], None],
    output: Path | None = None,
) -> tuple[RenderOutcome, list[PageJob], dict[str, str]]:
    """Rank the related lists in a thread while the workers render every page but the articles' own;
    then render those, and any page that looked at a related list (see render.views.PendingRelated).

    The ranking is plain Python: it runs in this process, which otherwise only waits for the
    workers, in the time a cold build would rank before rendering anything. The workers of the
    second round are forked after the ranking, so they see the lists.
    ``publish`` is given the final plan while the second round renders. Returns what was rendered,
    the planned pages (the articles' own planned again with their related articles) and, with the
    cache, every page's fingerprint.
    """
    site = loaded.site
    ranked: list[dict[str, tuple[str, ...]]] = []
    failed: list[BaseException] = []

    def rank() -> None:
        try:
            ranked.append(ranked_lists(site, loaded.cache))
        except BaseException as exc:  # re-raised in the build's own thread
            failed.append(exc)

    ranking = threading.Thread(target=rank, name="related")

    def start_threads() -> None:
        saving.start()
        ranking.start()

    first = [job for job in plan.pages if job.template != "article.html"]
    work = RenderWork(
        loaded.theme, loaded.config, first, loaded.env, facts=True, site=site, staging=staging, pictures=loaded.pictures
    )
    try:
        outcome = render_pages(work, jobs, done=done, started=start_threads, tuning=loaded.tuning)
    finally:
        for thread in (ranking, saving):  # both end before the second round forks its workers
            if thread.is_alive():
                thread.join()
    if failed:
        raise failed[0]
    assert loaded.related_pending is not None
    loaded.site = site = ranking_done(site, loaded.cache, ranked[0], loaded.related_pending)
    loaded.related_pending = None
    if len(site.articles) >= loaded.tuning.evict_bodies_from:
        # Saved by now: the second round's workers read the bodies of the pages they render from the
        # cache, and this process holds none (a large site's bodies are a gigabyte or more).
        loaded.cache.evict_bodies()
    plan = with_related(plan, site)
    planned = plan.pages
    put_off = set(outcome.deferred)
    second = [job for job in planned if job.template == "article.html" or job.url in put_off]
    outcome.deferred = []
    prints: dict[str, str] = {}

    def meanwhile() -> None:  # while the second round renders
        publish(planned)
        if loaded.cache.folder is not None and output is not None:  # fingerprints, for the next build
            site_key = pages_site_key(loaded)
            of = page_fingerprints(loaded, site_key).of
            prints.update((job.url, of(job)) for job in planned)
            loaded.cache.set_shape(output, plan.shape(site_key))

    work = RenderWork(
        loaded.theme,
        loaded.config,
        second,
        loaded.env,
        facts=True,
        site=site,
        staging=staging,
        pictures=loaded.pictures,
    )
    # No other thread runs now (meanwhile runs in this one): workers can be forked afresh as they go.
    rest = render_pages(work, jobs, done=done, started=meanwhile, fresh_workers=True, tuning=loaded.tuning)
    outcome.pages.update(rest.pages)
    outcome.staged.update(rest.staged)
    outcome.stamps.update(rest.stamps)
    outcome.facts.update(rest.facts)
    known = {(e.path, e.line, e.message) for e in outcome.errors}
    outcome.errors += [e for e in rest.errors if (e.path, e.line, e.message) not in known]
    outcome.deferred = rest.deferred
    return outcome, planned, prints


PageFacts = tuple[OutputFile, str, tuple[str, ...] | None, bool]
"""An HTML page with its hash, links and search mark; links None: those remembered in the cache."""


def page_facts_of(loaded: LoadedSite, rendered: RenderedSite, output: Path) -> list[PageFacts]:
    """Every HTML page with its hash, links and search mark, without reading pages again where possible.

    Pages rendered now come with theirs (read by the render workers); a kept page's hash and mark
    are those remembered in the cache (its links too, read only if checked: see check_links_of),
    else it is read back from the output.
    """
    before = loaded.cache.facts_of(output) if loaded.cache.folder is not None else {}
    remembered: dict[str, tuple[str, tuple[str, ...] | None, bool]] = {}
    interned: dict[str, str] = {}
    out: list[PageFacts] = []
    for f in rendered.files:
        if not f.path.endswith(".html"):
            continue
        facts: tuple[str, tuple[str, ...] | None, bool] | None = rendered.facts.get(f.path)
        if facts is None and f.data is not None:
            facts = (digest_bytes(f.data), *page_facts(f.data))
        elif facts is None and f.kept is not None:
            known = before.get(f.path)
            if known is not None and known[0] == f.kept:
                facts = (f.kept, None, known[1])
            else:
                try:
                    facts = (f.kept, *page_facts((output / f.path).read_bytes()))
                except OSError:
                    continue  # gone since the cache checked it: the write stage reports that
        if facts is None:
            continue
        if facts[1] is not None:
            # Pages repeat the same links (navigation, footer), each page's read apart by a worker:
            # one copy of each is held (100,000 articles: hundreds of MB otherwise).
            facts = (facts[0], tuple(interned.setdefault(link, link) for link in facts[1]), facts[2])
        remembered[f.path] = facts
        out.append((f, *facts))
    loaded.cache.set_facts(output, remembered)
    return out


def check_links_of(
    loaded: LoadedSite, output: Path, pages: list[PageFacts], known: set[str], ignore: tuple[str, ...]
) -> list[BuildWarning]:
    """Check the pages' internal links; with the cache, only those that can have changed.

    A page kept from the last build has the same links (its bytes are the same), and each link
    names what it named then. The cache remembers the output's file list and each page's broken
    links: while no file has gone from the output, a kept page's good links stay good, so only
    pages rendered now are read and checked whole; a kept page with broken links has just those
    checked again (one whose target has appeared since is good now, the others are reported
    again). A file gone from the output may break any page: every page is checked then. The
    warnings are what checking every link of every page would give.
    """
    base_url = loaded.config.base_url
    key = hashlib.blake2b(repr((base_url, ignore)).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    where = output_key(output)
    record = loaded.cache.links.get(where)
    now = tuple(sorted(known))
    before: dict[str, tuple[str, ...]] | None = None
    if record is not None and record[0] == key and (record[1] == now or set(record[1]).issubset(known)):
        before = record[2]
    todo: list[tuple[OutputFile, Collection[str] | None]] = []
    for f, _, links, _ in pages:
        if before is None or f.kept is None:
            todo.append((f, links))
        elif f.path in before:
            todo.append((f, before[f.path]))  # a kept page: only its links that were broken
    unread = [f.path for f, links in todo if links is None]
    stored = loaded.cache.stored_links(output, None if len(unread) > len(pages) // 2 else unread) if unread else {}

    def with_links() -> Iterator[tuple[OutputFile, Collection[str]]]:
        for f, links in todo:
            if links is None:
                links = stored.get(f.path)
            if links is None:  # not in the cache after all: read from the page
                try:
                    links = page_facts((output / f.path).read_bytes())[0]
                except OSError:
                    continue
            yield f, links

    broken: set[str] = set()
    root = loaded.config.root
    located = record[3] if record is not None else None

    def locate(showing: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
        """Where each broken link is written (as the last build found, while what it read is the same)."""
        nonlocal located
        reads = sources_key(loaded, showing)
        if located is not None and reads is not None and located[0] == reads:
            return located[1]
        found = find_in_sources(showing)
        located = (reads, found) if reads is not None else None
        return found

    def find_in_sources(showing: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
        """Where each broken link is written: in site.yml (the logo, social links), else in the
        articles whose picture it is, else in those whose own pages show it (a body link), else in
        any source."""
        found = locate_links(showing, [("site.yml", root / "site.yml")])
        rest = [link for link in showing if link not in found]
        # A front-matter picture: the articles that name it, shown on many pages by their cards.
        pictured = sorted({a.source for a in loaded.site.articles if a.image in rest})
        found.update(locate_links(rest, [(s, root / s) for s in pictured]))
        rest = [link for link in rest if link not in found]
        own = sorted({s for link in rest for s in showing[link] if s.startswith("content/")})
        found.update(locate_links(rest, [(s, root / s) for s in own]))
        rest = [link for link in rest if link not in found]
        if rest:
            read = set(own)
            others = [a.source for a in loaded.site.articles] + [p.source for p in loaded.site.pages]
            found.update(locate_links(rest, [(s, root / s) for s in others if s not in read]))
        return found

    found: dict[str, list[str]] = {}
    warnings = check_page_links(with_links(), known, base_url, ignore, broken, locate=locate, broken_links=found)
    remembered = {path: tuple(links) for path, links in found.items()}
    if not remembered:
        located = None  # nothing broken: nothing to remember of where
    if loaded.cache.folder is not None and record != (key, now, remembered, located):
        loaded.cache.links[where] = (key, now, remembered, located)
        loaded.cache.dirty = True
    return warnings


def sources_key(loaded: LoadedSite, showing: Mapping[str, Sequence[str]]) -> str | None:
    """Hash of everything finding where broken links are written reads (see check_links_of): the
    links with the pages' sources that show them, site.yml, and which sources the site publishes,
    each by the hash of its bytes; None without the cache (which knows the sources' hashes)."""
    cache = loaded.cache
    if cache.folder is None:
        return None
    try:
        config = (loaded.config.root / "site.yml").read_bytes()
    except OSError:
        return None
    content = cache.content
    sources = [a.source for a in loaded.site.articles] + [p.source for p in loaded.site.pages]
    digests = [content[s].digest if s in content else None for s in sources]
    if None in digests:
        return None
    links = sorted((link, tuple(shown)) for link, shown in showing.items())
    return hashlib.blake2b(repr((links, config, sources, digests)).encode("utf-8", "surrogatepass")).hexdigest()


def read_back(f: OutputFile, output: Path, staging: Path) -> OutputFile | None:
    """A page with its bytes: as rendered, staged by a worker, or kept from the last build, read back."""
    if f.data is not None:
        return f
    try:
        where = staging / f.staged if f.staged is not None else output / f.path
        return dataclasses.replace(f, data=where.read_bytes(), kept=None, staged=None)
    except OSError:
        return None


def remember_pages(loaded: LoadedSite, output: Path, files: list[OutputFile], prints: dict[str, str]) -> None:
    """Record the fingerprint and output hash of every page written, then save the cache."""
    if loaded.cache.folder is None:
        return
    by_path = {f.path: f for f in files}
    store: dict[str, tuple[str, str]] = {}
    for url, fp in prints.items():
        try:
            f = by_path.get(output_path(url))
        except UnsafePath:
            continue
        if f is not None and (f.kept or f.staged or f.data is not None):
            store[url] = (fp, f.kept or f.digest or digest_bytes(f.data or b""))
    loaded.cache.set_pages(output, store)
    loaded.cache.save()


#: Garbage collector thresholds during a build (Python's defaults: 700, 10, 10). A build makes
#: millions of objects that live until it ends (parsed articles, views, planned pages); with the
#: defaults the collector walks them all again and again: a fifth of a warm build's time on a
#: 10,000-article site, for no memory back. Young garbage is still collected, just in larger batches.
BUILD_GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the garbage collector's thresholds for the duration of a build, then restore them."""
    before = gc.get_threshold()
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class Stopwatch:
    """Times a build's stages, in order: ``with watch("render"): ...``; ``watch.times`` maps each to seconds."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.times: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.times[stage] = self.times.get(stage, 0.0) + time.perf_counter() - began

    def total(self) -> float:
        return time.perf_counter() - self.started


def build(options: BuildOptions) -> BuildResult:
    """Build the site and write it to the output folder; raise BuildFailed with every problem.

    The stages, each timed in ``BuildResult.stages``: *load* (site.yml, content parsed or taken
    from the cache, the site assembled, the theme), *render* (pages planned, those still current
    in the output kept, the rest rendered; feeds, sitemaps and static files made meanwhile),
    *facts* (each HTML page's hash, links and search mark), *search* (the Pagefind index),
    *links* (every internal link names a file), *write* (staged, journaled commit) and
    *remember* (what the next build reuses). Nothing is written before *write*.
    """
    watch = Stopwatch()
    output = options.output_dir
    check_output_dir(output, options.source)
    with fewer_collections():
        with watch("load"):
            loaded = load_site(options, defer_related=True)
        try:
            with watch("pictures"):  # before rendering: pages name only the variants that were made
                pictures = make_site_pictures(loaded, options.jobs, options.progress)
            with watch("render"):
                site = render_site(loaded, output, options.jobs, options.progress)
            files = add_files(site.files, pictures.files)
            with watch("facts"):
                pages = page_facts_of(loaded, site, output)
            index_files: list[OutputFile] = []
            search_warnings: list[BuildWarning] = []
            shards_indexed: list[str] = []
            if options.search:
                tell(options.progress, "Indexing for search")
                with watch("search"):
                    index = index_pages(loaded, pages, output, site.last, options.jobs)
                index_files, search_warnings, shards_indexed = index.files, index.warnings, index.indexed
                files = add_files(files, index_files)  # committed with the pages
            tell(options.progress, "Checking links")
            with watch("links"):
                # Without an index, the search page's links into it are covered by the search warning.
                link_warnings = check_links_of(
                    loaded, output, pages, {f.path for f in files}, () if index_files else (f"/{BUNDLE_DIR}/",)
                )
            warnings = loaded.warnings + pictures.warnings + site.warnings + search_warnings + link_warnings
            if folds_case(output):
                files, dropped = case_twins(files)
                warnings += dropped
            if options.strict and warnings:
                raise BuildFailed(
                    [BroadsheetError(f"{w.message} (--strict)", w.path, w.line, w.hint) for w in warnings]
                )
            with watch("write"):
                written = counter(options.progress, "Writing", len(files))
                sink = DiskSink(output, loaded.config.root, written, staged=site.staged, last=site.last)
                try:
                    stats = sink.write(files)
                except OutputError as exc:
                    raise BuildFailed([exc]) from None
        except BaseException:
            # What render workers staged for a build that will not be written.
            discard_staging(output, options.source)
            raise
        with watch("remember"):
            remember_pages(loaded, output, files, site.prints)
            if loaded.record is not None:  # only once the pages with the redirects are written
                try:
                    save_record(loaded.config.root, loaded.record)
                except OSError as exc:
                    warnings.append(
                        BuildWarning(
                            f"cannot record the published URLs: {exc.strerror or exc}",
                            RECORD,
                            None,
                            "make content/ writable, so moved articles keep redirects",
                        )
                    )
    return BuildResult(
        loaded,
        files,
        site.rendered,
        warnings,
        stats,
        watch.total(),
        notices=loaded.notices,
        stages=watch.times,
        pictures_processed=pictures.processed,
        search_shards_indexed=tuple(shards_indexed),
    )
