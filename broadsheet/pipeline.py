"""The build, stage by stage. Only this module knows the order of the stages.

    config → discover → frontmatter → markdown → library → related → theme → render
           → feeds, sitemaps, robots.txt → search index → link check → write
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import jinja2

from . import related as related_stage
from .cache import BuildCache, job_fingerprint, site_digest
from .config import SiteConfig, load_config_problems
from .discover import SourceFile, discover
from .errors import BroadsheetError, BuildFailed, BuildWarning, ContentError, OutputError
from .feeds import feed_files
from .frontmatter import Document, parse_document
from .library import PublishRules, assemble
from .linkcheck import check_links
from .markdown import MarkdownTooComplex, Rendered, render_markdown
from .model import Site
from .parallel import map_chunks
from .render import OutputFile, PageJob, plan_pages, render_jobs, static_files
from .schedule import Change, scheduled_changes
from .search import BUNDLE_DIR, index_record, pages_to_index, reuse_index, search_index
from .sitemaps import news_sitemap, robots_txt, sitemap_entries, sitemap_files
from .theme import Theme, load_theme, make_environment, symlink_warnings
from .urls import UnsafePath, output_path
from .views import site_view
from .write import WriteStats, check_output_dir, digest_bytes, read_manifest, still_written, write_output


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


@dataclass(slots=True)
class BuildResult:
    """What a build made: the site, its files in memory, the warnings and the counts."""

    loaded: LoadedSite
    files: list[OutputFile]
    pages_rendered: int
    warnings: list[BuildWarning]
    stats: WriteStats | None = None
    seconds: float = 0.0


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
    """Parse and convert a chunk of content files (runs in a worker process)."""
    out: list[ParseOutcome] = []
    for source, tz_name, raw in work:
        doc, errs, warns = parse_document(source, ZoneInfo(tz_name), raw)
        rendered = None
        if doc is not None:
            try:
                rendered = render_markdown(doc.body)
            except MarkdownTooComplex as exc:
                doc = None
                errs = [*errs, ContentError(str(exc), source.rel, doc_line(exc.line, source, raw),
                                            "check the Markdown there: unclosed brackets or runaway nesting")]
        out.append((doc, rendered, errs, warns))
    return out


def doc_line(body_line: int, source: SourceFile, raw: bytes | None) -> int | None:
    """Turn a line within the body into a line in the file (the body follows the front matter)."""
    try:
        text = (raw or source.path.read_bytes()).decode("utf-8-sig", "replace")
    except OSError:
        return None
    lines = text.splitlines()
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), 0)
    return closing + 1 + body_line


def parse_all(config: SiteConfig, jobs: int | None = None, cache: BuildCache | None = None
              ) -> tuple[list[tuple[Document, Rendered]], list[BroadsheetError], list[BuildWarning]]:
    """Discover, parse and convert every content file (cached ones reused, the rest in parallel)."""
    cache = cache or BuildCache(None)
    sources, warnings = discover(config.root)
    errors: list[BroadsheetError] = []
    found: dict[str, tuple[Document, Rendered]] = {}
    work: list[tuple[SourceFile, str, bytes | None]] = []
    for source in sources:
        entry, raw = cache.lookup(source)
        if entry is not None:
            found[source.rel] = (dataclasses.replace(entry.doc, source=source), entry.rendered)
            warnings += entry.warnings
        else:
            work.append((source, config.timezone, raw))
    for (source, _, _), (doc, rendered, errs, warns) in zip(work, map_chunks(parse_sources, work, jobs), strict=True):
        errors += errs
        warnings += warns
        if doc is not None and rendered is not None:
            found[source.rel] = (doc, rendered)
            cache.store(source, doc, rendered, warns)
    cache.forget_missing(s.rel for s in sources)
    # Sorted by path, whatever came from the cache: the same input gives the same site.
    docs = [found[s.rel] for s in sources if s.rel in found]
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
    return config, scheduled_changes(docs, build_time(options))


def related_docs(site: Site) -> list[related_stage.RelatedDoc]:
    """What the related ranking sees of each published article."""
    return [related_stage.RelatedDoc(key=a.url, slug=a.slug, title=a.title, summary=a.summary, text=a.text,
                                     tags=tuple(t.slug for t in a.tags), category=a.category.slug, date=a.date,
                                     pinned=a.pinned) for a in site.articles]


def related_settings(site: Site) -> related_stage.RelatedSettings:
    """The related ranking's settings from site.yml."""
    r = site.config.related
    return related_stage.RelatedSettings(count=r.count, weights=r.weights, time_scale_days=r.time_scale_days)


def rank_related(site: Site) -> Site:
    """Attach the "You may also like" lists to the site."""
    ranked = related_stage.compute_related(related_docs(site), related_settings(site))
    return dataclasses.replace(site, related=MappingProxyType({k: tuple(v) for k, v in ranked.items()}))


def load_site(options: BuildOptions) -> LoadedSite:
    """Run every stage up to rendering; raise BuildFailed listing every problem."""
    config, config_errors = load_config_problems(options.source, options.base_url)
    if config is None or config_errors:
        raise BuildFailed(config_errors)
    errors: list[BroadsheetError] = []
    try:
        theme = load_theme(config.theme, config.root)
    except BroadsheetError as exc:
        errors.append(exc)
    cache = BuildCache.load(config.root, options.cache)
    docs, parse_errors, warnings = parse_all(config, options.jobs, cache)
    errors += parse_errors
    rules = PublishRules(now=build_time(options), drafts=options.drafts, future=options.future)
    site, lib_errors, lib_warnings = assemble(config, docs, rules)
    errors += lib_errors
    warnings += lib_warnings
    if errors:
        raise BuildFailed(errors)
    site = rank_related(site)
    env = make_environment(theme, config.base_url, lambda d: d.astimezone(config.tz), config.root)
    warnings += symlink_warnings(theme, config.root)
    return LoadedSite(config, theme, env, site, warnings, cache)


def collect_outputs(jobs: list[PageJob], pages: dict[str, bytes], static: list[OutputFile]
                    ) -> tuple[list[OutputFile], list[BroadsheetError]]:
    """Map pages to files; refuse unsafe paths and two sources for one file (naming both)."""
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
        if data is None:
            continue
        files.append(OutputFile(path, source, data=data))
    files += static
    for f in files:
        key = f.path.casefold()  # case-insensitive file systems would merge these
        if key in by_path:
            errors.append(OutputError(f"two sources write '{f.path}': {by_path[key].source} and {f.source}",
                                      f.source, None, "give one of them another slug, category or alias"))
        else:
            by_path[key] = f
    return files, errors


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


def add_files(files: list[OutputFile], extra: list[OutputFile]) -> list[OutputFile]:
    """Add files made after rendering; raise BuildFailed if one would overwrite another."""
    if not extra:
        return files
    combined, conflicts = collect_outputs([], {}, files + extra)
    if conflicts:
        raise BuildFailed(conflicts)
    return combined


def html_pages(files: list[OutputFile], output: Path) -> list[OutputFile]:
    """Every HTML page with its bytes: rendered now, or kept from the last build and read back."""
    pages = []
    for f in files:
        if not f.path.endswith(".html"):
            continue
        if f.data is not None:
            pages.append(f)
        elif f.kept is not None:
            try:
                pages.append(dataclasses.replace(f, data=(output / f.path).read_bytes(), kept=None))
            except OSError:
                continue  # gone since the cache checked it: the write stage reports that
    return pages


def index_pages(loaded: LoadedSite, pages: list[OutputFile], output: Path
                ) -> tuple[list[OutputFile], list[BuildWarning]]:
    """The search index: the last build's when it indexed the same pages, else a new one by Pagefind."""
    marked = pages_to_index(pages)
    records = loaded.cache.search
    key = str(output.resolve())
    manifest = read_manifest(output)
    kept = reuse_index(marked, records.get(key), lambda path, digest: still_written(output, path, digest, manifest))
    if kept is not None:
        return kept, []
    bundle, warnings = search_index(marked)
    if bundle:
        records[key] = index_record(marked, bundle)
    else:
        records.pop(key, None)
    return bundle, warnings


def publishing_files(site: Site, jobs: list[PageJob], static: list[OutputFile]) -> list[OutputFile]:
    """Feeds, sitemaps and robots.txt; a robots.txt in the site's static/ wins over ours."""
    files = feed_files(site)
    files += sitemap_files(sitemap_entries(site, jobs), site.config.base_url)
    files.append(news_sitemap(site))
    if not any(f.path == "robots.txt" for f in static):
        files.append(robots_txt(site.config.base_url))
    return files


def reuse_pages(loaded: LoadedSite, jobs: list[PageJob], output: Path
                ) -> tuple[list[PageJob], list[OutputFile], dict[str, str]]:
    """Split jobs into those to render and pages whose output is still current (see cache.py)."""
    store = loaded.cache.page_store(output)
    manifest = read_manifest(output)
    # Templates by content; static files (whose image sizes pages show) by size and time.
    theme_files = sorted(p for d in loaded.theme.template_dirs for p in Path(d).rglob("*") if p.is_file())
    static_dirs = [loaded.config.root / "static", *loaded.theme.static_dirs]
    stamps = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                    for d in static_dirs if d.is_dir() for p in d.rglob("*") if p.is_file())
    config_text = (loaded.config.root / "site.yml").read_text(encoding="utf-8", errors="replace") + repr(stamps)
    site_key = site_digest(site_view(loaded.site), loaded.config.tz, theme_files, config_text)
    todo: list[PageJob] = []
    kept: list[OutputFile] = []
    prints: dict[str, str] = {}
    for job in jobs:
        fp = prints[job.url] = job_fingerprint(job, site_key)
        before = store.get(job.url)
        try:
            path = output_path(job.url)
        except UnsafePath:
            todo.append(job)  # reported by collect_outputs
            continue
        if before is not None and before[0] == fp and still_written(output, path, before[1], manifest):
            kept.append(OutputFile(path, job.source, kept=before[1]))
        else:
            todo.append(job)
    return todo, kept, prints


def render_site(loaded: LoadedSite, output: Path | None = None
                ) -> tuple[list[OutputFile], int, list[BuildWarning], dict[str, str]]:
    """Render every page (except those still current in ``output``) and gather static files.

    Returns the files, the count of pages rendered, warnings and the fingerprints of the
    pages; raises BuildFailed on any error.
    """
    jobs = pages_the_theme_has(plan_pages(loaded.site), loaded.env)
    todo = jobs
    kept: list[OutputFile] = []
    prints: dict[str, str] = {}
    if output is not None and loaded.cache.folder is not None:
        todo, kept, prints = reuse_pages(loaded, jobs, output)
    pages, errors = render_jobs(loaded.env, todo)
    static, warnings = static_files(loaded.config.root, loaded.theme.static_dirs)
    files, conflicts = collect_outputs(todo, pages, kept + static + publishing_files(loaded.site, jobs, static))
    errors += conflicts
    if errors:
        raise BuildFailed(errors)
    return files, len(pages), warnings, prints


def remember_pages(loaded: LoadedSite, output: Path, files: list[OutputFile], prints: dict[str, str]) -> None:
    """Record the fingerprint and output hash of every page written, then save the cache."""
    if loaded.cache.folder is None:
        return
    by_path = {f.path: f for f in files}
    store = loaded.cache.page_store(output)
    store.clear()
    for url, fp in prints.items():
        f = by_path.get(output_path(url))
        if f is not None and (f.kept or f.data is not None):
            store[url] = (fp, f.kept or digest_bytes(f.data or b""))
    loaded.cache.save()


def build(options: BuildOptions) -> BuildResult:
    """Build the site and write it to the output folder; raise BuildFailed with every problem."""
    started = time.perf_counter()
    output = options.output_dir
    check_output_dir(output, options.source)
    loaded = load_site(options)
    files, rendered, static_warnings, prints = render_site(loaded, output)
    pages = html_pages(files, output)
    index_files, search_warnings = index_pages(loaded, pages, output)  # committed with the pages
    files = add_files(files, index_files)
    # Without an index, the search page's links into it are already covered by the warning above.
    link_warnings = check_links(pages, {f.path for f in files}, loaded.config.base_url,
                                () if index_files else (f"/{BUNDLE_DIR}/",))
    warnings = loaded.warnings + static_warnings + search_warnings + link_warnings
    if options.strict and warnings:
        raise BuildFailed([BroadsheetError(f"{w.message} (--strict)", w.path, w.line, w.hint) for w in warnings])
    try:
        stats = write_output(files, output)
    except OutputError as exc:
        raise BuildFailed([exc]) from None
    remember_pages(loaded, output, files, prints)
    return BuildResult(loaded, files, rendered, warnings, stats, time.perf_counter() - started)
