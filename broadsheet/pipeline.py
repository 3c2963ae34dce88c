"""The build, stage by stage. Only this module knows the order of the stages.

    config → discover → frontmatter → markdown → library → related → theme → render → write
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import jinja2

from . import related as related_stage
from .config import SiteConfig, load_config_problems
from .discover import discover
from .errors import BroadsheetError, BuildFailed, BuildWarning, OutputError
from .frontmatter import Document, parse_document
from .library import PublishRules, assemble
from .markdown import Rendered, render_markdown
from .model import Site
from .render import OutputFile, PageJob, plan_pages, render_jobs, static_files
from .theme import Theme, load_theme, make_environment
from .urls import UnsafePath, output_path
from .write import WriteStats, check_output_dir, write_output


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


def parse_all(config: SiteConfig) -> tuple[list[tuple[Document, Rendered]], list[BroadsheetError], list[BuildWarning]]:
    """Discover, parse and convert every content file; collect every problem."""
    sources, warnings = discover(config.root)
    errors: list[BroadsheetError] = []
    docs: list[tuple[Document, Rendered]] = []
    tz = config.tz
    for source in sources:
        doc, errs, warns = parse_document(source, tz)
        errors += errs
        warnings += warns
        if doc is not None:
            docs.append((doc, render_markdown(doc.body)))
    return docs, errors, warnings


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
    docs, parse_errors, warnings = parse_all(config)
    errors += parse_errors
    rules = PublishRules(now=build_time(options), drafts=options.drafts, future=options.future)
    site, lib_errors, lib_warnings = assemble(config, docs, rules)
    errors += lib_errors
    warnings += lib_warnings
    if errors:
        raise BuildFailed(errors)
    site = rank_related(site)
    env = make_environment(theme, config.base_url, lambda d: d.astimezone(config.tz))
    return LoadedSite(config, theme, env, site, warnings)


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


def render_site(loaded: LoadedSite) -> tuple[list[OutputFile], int, list[BuildWarning]]:
    """Render every page and gather static files; raise BuildFailed on any error."""
    jobs = plan_pages(loaded.site)
    pages, errors = render_jobs(loaded.env, jobs)
    static, warnings = static_files(loaded.config.root, loaded.theme.static_dirs)
    files, conflicts = collect_outputs(jobs, pages, static)
    errors += conflicts
    if errors:
        raise BuildFailed(errors)
    return files, len(pages), warnings


def build(options: BuildOptions) -> BuildResult:
    """Build the site and write it to the output folder; raise BuildFailed with every problem."""
    started = time.perf_counter()
    check_output_dir(options.output_dir, options.source)
    loaded = load_site(options)
    files, rendered, static_warnings = render_site(loaded)
    warnings = loaded.warnings + static_warnings
    if options.strict and warnings:
        raise BuildFailed([BroadsheetError(f"{w.message} (--strict)", w.path, w.line, w.hint) for w in warnings])
    stats = write_output(files, options.output_dir)
    return BuildResult(loaded, files, rendered, warnings, stats, time.perf_counter() - started)
