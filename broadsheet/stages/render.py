"""The *render* stage: pages planned, those still current in the output kept, the rest rendered.

Reads a :class:`~.types.LoadedSite` and the output folder as the last build left it (with the
fingerprints the cache recorded); makes a :class:`~.types.RenderedSite`: the pages (in memory,
staged by the render workers, or kept), static files, and the feeds and sitemaps made meanwhile
(see stages/publish.py), with each rendered page's facts and every page's fingerprint. Also how
files join the output: :func:`collect_outputs`, :func:`add_files`, :func:`case_twins`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from ..config import SiteConfig
from ..content.bodystore import load_bodies
from ..content.model import Site
from ..engine import templates_reading_links
from ..errors import BroadsheetError, BuildFailed, BuildWarning, OutputError
from ..incremental.cache import PageFingerprints
from ..incremental.inputs import pages_input
from ..incremental.keys import key_of
from ..outputs import OutputFile, PageJob, kept_file
from ..parallel import default_jobs
from ..plan import Plan, choose, make_plan, with_related
from ..progress import Progress, counter, tell
from ..publish.pictures import Picture
from ..render.pages import HashedFacts, RenderOutcome, RenderWork, render_pages, static_files
from ..render.theme import Theme
from ..urls import UnsafePath, output_path
from ..write.commit import LastOutput
from ..write.generations import last_output, open_staging, shown, write_error
from .publish import publishing_files
from .rank import ranked_lists, ranking_done
from .running import give_back_free_memory
from .types import LoadedSite, RenderedSite


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


def pages_site_key(loaded: LoadedSite) -> str:
    """What every page's fingerprint starts from: the key of the pages' input (see incremental/inputs.py)."""
    return pages_site_key_of(loaded.config, loaded.theme, loaded.site, loaded.pictures)


def pages_site_key_of(config: SiteConfig, theme: Theme, site: Site, pictures: Mapping[str, Picture]) -> str:
    """:func:`pages_site_key` of a site not loaded yet (see stages/resume.py)."""
    return key_of(pages_input(config, theme, site, pictures))


def page_fingerprints(loaded: LoadedSite, site_key: str) -> PageFingerprints:
    """The fingerprints of the site's pages, each as its template can see it (see engine.templates_reading_links)."""
    return PageFingerprints(site_key, templates_reading_links(loaded.env, loaded.cache.template_readers(site_key)))


def reuse_pages(
    loaded: LoadedSite, plan: Plan, output: Path, site_key: str, last: LastOutput | None = None
) -> tuple[list[PageJob], list[OutputFile], dict[str, str]]:
    """Split the plan's pages into those to render and those whose output is still current (see
    incremental/cache.py).

    ``site_key``: :func:`pages_site_key`; ``last``: the output as this build sees it (see
    write.LastOutput), shared with the write stage.

    The decision is the engine's (:func:`broadsheet.plan.choose`), with the fingerprints and the
    plan's shape (see incremental/inputs.py shape_key) recorded by the last build: when the pages
    are made up as then, a page that shows no article whose content changed since (see
    :func:`broadsheet.engine.articles_touched`) has the fingerprint it had. What a page shows is
    derived from its context (see render/shows.py), so it holds every article the context holds.
    """
    store = loaded.cache.page_store(output)
    still = (last or shown(output, loaded.config.root)).still_written
    kept: list[OutputFile] = []

    def held(job: PageJob) -> bool:  # as written by the build that recorded its fingerprint
        try:
            path = output_path(job.url)
        except UnsafePath:
            return False  # rendered, then reported by collect_outputs
        digest = store[job.url][1]
        if still(path, digest):
            kept.append(kept_file(path, job.source, digest))
            return True
        return False

    before = {url: fp for url, (fp, _) in store.items()}
    choice, shape = choose(
        plan, page_fingerprints(loaded, site_key), site_key, before, loaded.cache.shape_of(output), held
    )
    loaded.cache.set_shape(output, shape)
    return choice.todo, kept, choice.prints


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
    site_key = ""
    if output is not None and loaded.cache.folder is not None:
        tell(progress, "Comparing with the last build")
        # Taken once, before any page is rendered: what the next build compares its own with.
        site_key = pages_site_key(loaded)
        last = last_output(output, loaded.config.root)
        still = last.still_written
        if not overlap:  # else nothing is kept (the store is empty); fingerprints wait for the lists
            todo, kept, prints = reuse_pages(loaded, plan, output, site_key, last)
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
            outcome, plan, prints = render_while_ranking(
                loaded, plan, jobs, staging, done, saving, publish, output, site_key
            )
            todo = planned = plan.pages
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
        files,
        len(outcome.pages) + len(outcome.staged),
        warnings,
        prints,
        facts,
        staged=staging is not None,
        last=last,
        plan=plan,
        site_key=site_key,
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
    site_key: str = "",
) -> tuple[RenderOutcome, Plan, dict[str, str]]:
    """Rank the related lists in a thread while the workers render every page but the articles' own;
    then render those, and any page that looked at a related list (see render.views.PendingRelated).

    The ranking is plain Python: it runs in this process, which otherwise only waits for the
    workers, in the time a cold build would rank before rendering anything. The workers of the
    second round are forked after the ranking, so they see the lists.
    ``publish`` is given the final plan while the second round renders; ``site_key``: the pages'
    (:func:`pages_site_key`), for their fingerprints with the cache. Returns what was rendered,
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
    # This round's workers are forked once (no worker can be forked while the ranking's and the
    # cache's threads run), and each grows towards a copy of the build's memory as the listings it
    # renders touch the stories' objects (each touch copies a memory page). On a large site one
    # worker fewer renders them while this process ranks: the process tree holds a copy less.
    first_jobs = jobs
    if len(site.articles) >= loaded.tuning.listing_worker_alone_from:
        first_jobs = max(1, (jobs or default_jobs()) - 1)
    try:
        outcome = render_pages(
            work,
            first_jobs,
            done=done,
            started=start_threads,
            tuning=loaded.tuning,
            in_workers=first_jobs != jobs,  # (a worker still: this process ranks)
        )
    finally:
        for thread in (ranking, saving):  # both end before the second round forks its workers
            if thread.is_alive():
                thread.join()
    give_back_free_memory()  # what the threads' garbage held (see stages/running.py)
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
    return outcome, plan, prints
