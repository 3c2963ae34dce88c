"""The build, stage by stage. Only this module knows the order of the stages.

config → discover → frontmatter → markdown → library → related → theme → pictures → render
       → feeds, sitemaps, robots.txt → search index → link check → write

Each stage's work is in its module of :mod:`broadsheet.stages`; :func:`build` runs them in order:

- *load*, *pictures*: ``stages/load.py`` (site.yml, content parsed or taken from the cache, the
  site assembled, the theme, the pictures' variants), ranking with ``stages/rank.py``;
- *render*: ``stages/render.py`` (pages planned, kept or rendered), feeds and sitemaps meanwhile
  from ``stages/publish.py``;
- *facts*, *search*, *links*: ``stages/publish.py``;
- *write*: :class:`broadsheet.engine.DiskSink`; *remember*: ``stages/remember.py``.

The types the stages pass along are in ``stages/types.py``; the names below stay importable from here.
"""

from __future__ import annotations

from .content.permalinks import RECORD, save_record
from .content.ranking import related_settings
from .engine import DiskSink
from .errors import BroadsheetError, BuildFailed, BuildWarning, OutputError
from .outputs import OutputFile
from .progress import counter, tell
from .publish.search import BUNDLE_DIR
from .stages.load import build_time, load_site, make_site_pictures, parse_all, read_schedule
from .stages.publish import check_links_of, index_pages, page_facts_of, publishing_files
from .stages.rank import rank_related, related_docs
from .stages.remember import remember_pages
from .stages.render import add_files, case_twins, collect_outputs, pages_site_key, render_site
from .stages.resume import keep_plan, render_resumed
from .stages.running import BUILD_GC_THRESHOLDS, Stopwatch, fewer_collections
from .stages.types import BuildOptions, BuildResult, LoadedSite, RenderedSite
from .stages.unchanged import LastBuild, forget_last_build, keep_last_build, unchanged_since_last_build
from .write.commit import check_output_dir, folds_case, forget_offered_stamps
from .write.generations import discard_staging

__all__ = [
    "BUILD_GC_THRESHOLDS",
    "BuildOptions",
    "BuildResult",
    "LoadedSite",
    "RenderedSite",
    "build",
    "build_time",
    "case_twins",
    "collect_outputs",
    "load_site",
    "pages_site_key",
    "parse_all",
    "publishing_files",
    "rank_related",
    "read_schedule",
    "related_docs",
    "related_settings",
    "render_site",
]


def build(options: BuildOptions) -> BuildResult:
    """Build the site and write it to the output folder; raise BuildFailed with every problem
    (see :func:`build_once`)."""
    try:
        return build_once(options)
    finally:
        forget_offered_stamps()  # looked up ahead for this build only (see stages/aside.py)


def build_once(options: BuildOptions) -> BuildResult:
    """Build the site and write it to the output folder; raise BuildFailed with every problem.

    The stages, each timed in ``BuildResult.stages``: *check* (whether anything changed since the
    last build: if nothing did, the build ends there, see stages/unchanged.py), *load* (site.yml,
    content parsed or taken from the cache, the site assembled, the theme), *render* (pages planned, those still current
    in the output kept, the rest rendered; feeds, sitemaps and static files made meanwhile),
    *facts* (each HTML page's hash, links and search mark), *search* (the Pagefind index),
    *links* (every internal link names a file), *write* (staged, journaled commit) and
    *remember* (what the next build reuses). Nothing is written before *write*.
    """
    watch = Stopwatch()
    output = options.output_dir
    check_output_dir(output, options.source)
    with fewer_collections() as collector:
        with watch("check"):
            checked = unchanged_since_last_build(options, build_time(options))
        if checked.last is not None:
            return unchanged_result(options, checked.last, watch)
        with watch("load"):
            # (the content files the check found are not looked for again)
            try:
                loaded = load_site(
                    options, defer_related=True, found=checked.found, stamps=checked.stamps, ranking=checked.ranking
                )
            finally:
                checked.close()  # (a resumed build has ended it by now; any other build had no use for it)
        if loaded.resumed is None:
            collector.collect_as_you_go()  # the whole site is rendered
        try:
            with watch("pictures"):  # before rendering: pages name only the variants that were made
                pictures = make_site_pictures(loaded, options.jobs, options.progress)
            with watch("render"):
                if loaded.resumed is not None:  # only the pages the edits since the kept plan changed
                    site = render_resumed(loaded, loaded.resumed, output, options.jobs, options.progress)
                else:
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
                raise strict_failure(warnings)
            with watch("write"):
                forget_last_build(loaded.cache.folder)  # the output changes: no record until it is written
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
            remember_pages(loaded, output, files, site.prints, site.prints_over)
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
            keep_plan(loaded, options, site.plan, site.site_key)
            if loaded.record is None or not any(w.path == RECORD for w in warnings):
                keep_last_build(loaded, options, site.site_key, warnings, len(files))
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


def unchanged_result(options: BuildOptions, last: LastBuild, watch: Stopwatch) -> BuildResult:
    """The result of a build that found nothing changed since the last one (see stages/unchanged.py):
    the last build's warnings, no file written. Its site is loaded when asked for (``loaded``)."""
    warnings = list(last.warnings)
    if options.strict and warnings:
        raise strict_failure(warnings)
    return BuildResult(
        lambda: load_site(options),
        [],
        0,
        warnings,
        seconds=watch.total(),
        stages=watch.times,
        unchanged=last.files,
    )


def strict_failure(warnings: list[BuildWarning]) -> BuildFailed:
    """The failure of a ``--strict`` build: each warning as an error."""
    return BuildFailed([BroadsheetError(f"{w.message} (--strict)", w.path, w.line, w.hint) for w in warnings])
