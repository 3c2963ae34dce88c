"""Keep a built site in memory and bring it up to date after edits, re-rendering only what changed.

The live preview holds one :class:`IncrementalSite`. It runs the same stages as
:func:`broadsheet.stages.load.load_site` and :func:`~broadsheet.stages.render.render_site`, planning
and choosing the pages to render through the same engine (:mod:`broadsheet.plan`), keeps what
they made (parsed documents, the plan and the pages' bytes in a memory sink) and, given the
files that changed, redoes as little as it can:

* ``site.yml`` or a ``theme.yml``: everything is reloaded (documents whose file did not
  change are not parsed again unless the time zone changed).
* a template or a string table (``i18n/``, the site's or a theme's): every page is rendered
  again with a fresh Jinja environment (the words are read with it).
* a static file: the list of static files is read again; no page is rendered.
* a content file: that file alone is parsed again. Then one of two paths:

  - **in place**, when the edit moves nothing: the article keeps every field the plan reads
    (those marked :data:`~broadsheet.content.model.PLACES` on the model). The engine
    (:func:`broadsheet.plan.edit_plan`) updates its shared
    :class:`~broadsheet.render.views.ArticleView` in place, plans its own pages again and
    names the pages that can have changed; only those whose fingerprint moved are rendered.
  - **re-planned** otherwise (a new, deleted or moved article, a changed date that reorders
    listings, a page, a recovery from an error): the site is assembled and planned again and
    the new pages are compared with the previous ones. A page is rendered when it is new,
    when its context differs (another set or order of articles, another paginator, another
    site-wide value) or when an article it shows changed.

Either way the pages equal those of a full build (the tests check this on random edits),
with one exception kept on purpose for large sites, the "You may also like" lists:

* ``related="exact"`` ranks every article again after every edit, as a full build does;
* ``related="local"`` keeps the ranking's index (:func:`broadsheet.related.build_related_index`)
  and folds each changed article into it (:func:`~broadsheet.related.update_related`,
  :func:`~broadsheet.related.remove_related`): only the lists the change can touch are ranked
  again, with the word statistics of the first build (a full build recomputes those, so its
  lists can differ slightly; they equal a full ranking over the same statistics);
* ``related="auto"`` (the default) is exact when ranking the whole site took less than
  :data:`EXACT_RELATED_SECONDS`, local otherwise.

Nothing here touches the output folder, prints, or starts threads.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import jinja2

from ..config import SiteConfig, load_config_problems
from ..content.discover import SourceFile, content_source, discover, shown_name
from ..content.frontmatter import Document
from ..content.library import PublishRules, assemble
from ..content.markdown import MarkdownSettings, Rendered, configure, current_settings
from ..content.model import Article, Site
from ..content.parse import parse_sources
from ..content.permalinks import RECORD, Entry, load_record, update_record, with_redirects
from ..content.ranking import related_settings
from ..engine import MemorySink, PageMemory, templates_reading_links
from ..errors import BroadsheetError, BuildWarning
from ..filestamp import Stamp, stamp_of
from ..incremental.cache import BuildCache, PageFingerprints
from ..incremental.inputs import preview_pages_key
from ..outputs import CACHE_DIR, OutputFile, PageJob
from ..plan import Plan, choose, choose_edit, edit_plan, make_plan, published_after_edit
from ..publish.pictures import CACHE_SUBDIR as PICTURES_SUBDIR
from ..publish.pictures import PICTURE_DIR, Picture, make_pictures, plan_pictures
from ..related.index import RelatedIndex, build_related_index, remove_related, update_related
from ..render.i18n import I18N_DIR
from ..render.pages import finish_jobs, render_jobs, static_files
from ..render.theme import Theme, load_theme, make_environment
from ..stages.load import build_time, parse_all, site_markdown
from ..stages.publish import publishing_files
from ..stages.rank import related_docs
from ..stages.render import collect_outputs
from ..stages.types import BuildOptions
from ..urls import output_path

RelatedMode = Literal["auto", "exact", "local"]

#: In "auto" mode, ranking the whole site again after each edit is affordable below this.
EXACT_RELATED_SECONDS = 0.05
#: Static files whose size templates may ask for (``image_size``), so pages showing them change too.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif")


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What one update did."""

    rendered_count: int
    """How many pages were rendered."""
    changed_urls: tuple[str, ...]
    """Pages whose bytes changed, appeared or disappeared, sorted."""
    errors: tuple[BroadsheetError, ...]
    """Every problem of the site as it now stands; empty when the pages are up to date."""
    static_changed: tuple[str, ...] = ()
    """URLs of static files that appeared, changed or disappeared."""
    warnings: tuple[BuildWarning, ...] = ()
    replanned: bool = False
    """True when the whole site was assembled and planned again."""
    seconds: float = 0.0
    edited: tuple[str, ...] = ()
    """URLs of the articles and pages made from the content files that changed, when they still exist."""

    @property
    def ok(self) -> bool:
        """True when the site built without errors."""
        return not self.errors


@dataclass(slots=True)
class _Entry:
    """One content file as last read."""

    stamp: Stamp
    doc: Document | None
    rendered: Rendered | None
    errors: list[BroadsheetError]
    warnings: list[BuildWarning]


@dataclass(slots=True)
class _Model:
    """The last state whose pages were all rendered without error."""

    plan: Plan
    """The site's pages as planned (see broadsheet.plan)."""
    by_source: dict[str, str] = field(default_factory=dict)
    """Content file → article URL."""


class _Failed(Exception):
    """An update stopped; the previous pages stay."""

    def __init__(self, errors: Iterable[BroadsheetError]) -> None:
        super().__init__("update failed")
        self.errors = sorted(errors, key=BroadsheetError.sort_key)


def _stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1, -1, -1)
    return stamp_of(st)


class IncrementalSite:
    """A site built in memory, updated file by file. See the module documentation."""

    def __init__(self, options: BuildOptions, related: RelatedMode = "auto") -> None:
        self.options = options
        self.root = options.source
        self.related_mode: RelatedMode = related
        self.now = build_time(options)
        self.sink = MemorySink()
        """The pages as last rendered without error, by output path (feeds, sitemaps and robots.txt too)."""
        self.memory = PageMemory()
        """The fingerprints of the pages the sink holds and the site's key, for the engine's decision."""
        self._paths: dict[str, str] = {}
        """URL → output path of every page the sink holds."""
        self.static: dict[str, Path] = {}
        """Static file URL → the file it is served from (the pictures' variants included)."""
        self.pictures: dict[str, Picture] = {}
        """The responsive variants of the site's pictures, as a build plans them (updated in place:
        the Jinja environment reads this mapping)."""
        self.errors: list[BroadsheetError] = []
        self.config: SiteConfig | None = None
        self._markdown: MarkdownSettings | None = None  # the Markdown settings the documents were converted with
        self.theme: Theme | None = None
        self._env: jinja2.Environment | None = None
        self._reads_links: Callable[[str], bool] | None = None
        """Which templates can read an article's related, previous or next articles (see the engine)."""
        self._docs: dict[str, _Entry] = {}
        self._model: _Model | None = None
        self._related_exact = related != "local"
        self._related_index: RelatedIndex | None = None
        self._reload = True
        self._templates_changed = True
        self._pending: set[str] = set()
        self._stale: set[str] = set()
        self._warnings: list[BuildWarning] = []
        self._published: set[str] = set()
        """URLs of feeds, sitemaps and robots.txt among the pages."""
        self._published_next: set[str] = set()
        self._record_read: tuple[tuple[int, int] | None, dict[str, Entry], list[BroadsheetError]] | None = None
        """content/_permalinks.yml as last read, with the file's stamp (see _record)."""
        self._edited: tuple[str, ...] = ()
        """URLs made from the content files of the last update (see UpdateResult.edited)."""

    # ----------------------------------------------------------------- public

    def load(self) -> UpdateResult:
        """Build the whole site (or try again after a failed load)."""
        self._reload = True
        return self.update(())

    def update(self, changed: Iterable[Path | str]) -> UpdateResult:
        """Bring the pages up to date after the given files changed (or appeared or disappeared)."""
        started = time.perf_counter()
        content: list[Path] = []
        static_touched: list[Path] = []
        for raw in changed:
            path = Path(raw)
            path = path if path.is_absolute() else self.root / path
            kind = self._classify(path)
            if kind == "content":
                content.append(path)
            elif kind == "static":
                static_touched.append(path)
            elif kind == "templates":
                self._templates_changed = True
            elif kind == "config":
                self._reload = True
        self._warnings = []
        self._edited = ()
        old_static = dict(self.static)
        self._advance_clock()
        try:
            if self._reload:
                self._reload_config()
                static_touched.append(self.root)  # anything may have moved
            elif content:
                self._pending |= self._refresh_docs(content)
            if static_touched:
                self._refresh_static()
                self._stale |= self._pages_showing_images(old_static, static_touched)
            static_moved = self.static.keys() != old_static.keys()
            rendered, changed_urls, replanned = self._bring_up_to_date(static_moved)
        except _Failed as failed:
            self.errors = failed.errors
            return UpdateResult(
                0, (), tuple(self.errors), (), tuple(self._warnings), False, time.perf_counter() - started
            )
        self.errors = []
        touched = {p.resolve() for p in static_touched if p.exists()}
        static_changed = sorted(
            {
                u
                for u in self.static.keys() | old_static.keys()
                if (
                    self.static.get(u) != old_static.get(u)
                    or (u in self.static and self.static[u].resolve() in touched)
                )
                and not u.startswith(f"/{PICTURE_DIR}/")  # made from a picture, itself listed
            }
        )
        return UpdateResult(
            rendered,
            tuple(sorted(changed_urls)),
            (),
            tuple(static_changed),
            tuple(self._warnings),
            replanned,
            time.perf_counter() - started,
            self._edited,
        )

    @property
    def pages(self) -> Mapping[str, bytes]:
        """Page URL → bytes, as last rendered without error (what the server shows)."""
        return _PagesByUrl(self._paths, self.sink.files)

    def invalidate(self) -> None:
        """Forget everything but the pages: the next update reads, plans and renders the whole site again."""
        self._reload = True
        self._model = None
        self.memory.forget()
        self._related_index = None
        self._docs.clear()
        self._pending.clear()
        self.config = None

    def watch_roots(self) -> list[tuple[Path, bool]]:
        """Folders to watch and whether to watch them recursively."""
        roots: list[tuple[Path, bool]] = [(self.root, False)]
        for name in ("content", "static", "themes", "shortcodes", I18N_DIR):
            if (self.root / name).is_dir():
                roots.append((self.root / name, True))
        if self.theme is not None:
            for folder in self.theme.chain:
                if not folder.is_relative_to(self.root / "themes"):
                    roots.append((folder, True))
        return roots

    @property
    def title(self) -> str:
        """The site's title, once its configuration was read."""
        return self.config.title if self.config else self.root.name

    # ----------------------------------------------------------- classifying

    def _classify(self, path: Path) -> str | None:
        root = self.root
        if path == root / "site.yml" or path.is_relative_to(root / "shortcodes"):
            return "config"  # shortcodes shape the bodies: convert them again
        if path.is_relative_to(root / I18N_DIR):
            return "templates"  # the words of every page (and of some pages' titles)
        for name in ("content", "static"):
            if path.is_relative_to(root / name):
                return name
        chain = self.theme.chain if self.theme else ()
        for folder in chain:
            if path.is_relative_to(folder):
                parts = path.relative_to(folder).parts
                if parts == ("theme.yml",) or parts[:1] == ("shortcodes",):
                    return "config"
                if parts and parts[0] in ("templates", "static"):
                    return parts[0]
                if parts[:1] == (I18N_DIR,):
                    return "templates"
                return None
        if path.is_relative_to(root / "themes") and self.config is not None:
            # A theme created or renamed in the site may now take precedence over a bundled one.
            try:
                moved = load_theme(self.config.theme, root) != self.theme
            except BroadsheetError:
                moved = True
            return "config" if moved else None
        return None

    # -------------------------------------------------------------- reading

    def _parse(self, source: SourceFile) -> _Entry:
        """Parse one file exactly as a build does (including its error handling)."""
        assert self.config is not None
        stamp = _stamp(source.path)
        [(doc, rendered, errors, warnings)] = parse_sources([(source, self.config.timezone, None)])
        self._warnings += warnings
        return _Entry(stamp, doc, rendered, errors, warnings)

    def _load_all_docs(self, use_cache: bool) -> set[str]:
        """Parse every content file like a build: in parallel, reusing the build cache (never writing it)."""
        assert self.config is not None
        cache = BuildCache.load(self.root, use_cache, self.config.timezone, current_settings().key())
        docs, errors, warnings = parse_all(self.config, self.options.jobs, cache, tuning=self.options.tuning)
        self._warnings += warnings
        entries: dict[str, _Entry] = {}
        for doc, rendered in docs:
            entries[doc.source.rel] = _Entry(_stamp(doc.source.path), doc, rendered, [], [])
        for err in errors:
            rel = err.path or ""
            entry = entries.setdefault(rel, _Entry(_stamp(self.root / rel), None, None, [], []))
            entry.errors.append(err)
        changed = entries.keys() ^ self._docs.keys()
        changed |= {rel for rel, e in entries.items() if rel in self._docs and e.doc != self._docs[rel].doc}
        self._docs = entries
        return changed

    def _refresh_docs(self, paths: Iterable[Path]) -> set[str]:
        """Read changed content files again; return the relative paths that changed."""
        changed: set[str] = set()
        rescan = False
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                rescan = True  # a folder appeared or was renamed: walk it the way discover() does
                continue
            rel = shown_name(path.relative_to(self.root).as_posix())
            source = content_source(self.root, path)
            if source is None:
                if self._docs.pop(rel, None) is not None:
                    changed.add(rel)
                if not os.path.lexists(path):  # a removed folder takes its files along
                    for key in [k for k in self._docs if k.startswith(rel + "/")]:
                        del self._docs[key]
                        changed.add(key)
                continue
            old = self._docs.get(rel)
            entry = self._parse(source)
            self._docs[rel] = entry
            if (
                old is None
                or old.doc != entry.doc
                or [e.format() for e in old.errors] != [e.format() for e in entry.errors]
            ):
                changed.add(rel)
        if rescan:
            changed |= self._sync_docs()
        return changed

    def _sync_docs(self) -> set[str]:
        """Walk content/ like a full build; read files that are new or changed since last read."""
        sources, _ = discover(self.root)
        found = {s.rel: s for s in sources}
        changed = {rel for rel in self._docs if rel not in found}
        for rel in changed:
            del self._docs[rel]
        for rel, source in found.items():
            old = self._docs.get(rel)
            if old is not None and old.stamp == _stamp(source.path):
                continue
            entry = self._parse(source)
            self._docs[rel] = entry
            if old is None or old.doc != entry.doc or len(old.errors) != len(entry.errors):
                changed.add(rel)
        return changed

    def _reload_config(self) -> None:
        """Read site.yml and the theme again; on any difference, start over from the documents."""
        config, errors = load_config_problems(self.root, self.options.base_url)
        if config is None or errors:
            raise _Failed(errors)
        try:
            theme = load_theme(config.theme, config.root)
        except BroadsheetError as exc:
            raise _Failed([exc]) from None
        settings = site_markdown(config, theme)
        # Compared with this site's last settings (the process's may have been set by another build).
        markdown_moved = settings != self._markdown
        self._markdown = settings
        configure(settings)
        if config != self.config or theme != self.theme or self._model is None or markdown_moved:
            first = self.config is None or not self._docs
            # Dates without an offset are read in the site's time zone: a new zone means new parses
            # (the build cache does not know the zone, so it is not used then). New Markdown settings
            # or shortcodes mean new conversions.
            zone_moved = self.config is not None and (config.timezone != self.config.timezone or markdown_moved)
            self.config, self.theme = config, theme
            self.now = build_time(self.options)
            self._related_exact = self.related_mode != "local"
            self._templates_changed = True
            self._model = None  # plan everything again, but keep the pages for comparison
            if first or zone_moved:
                self._pending |= self._load_all_docs(use_cache=self.options.cache and not zone_moved)
            else:
                self._pending |= self._sync_docs()
        else:
            self._pending |= self._sync_docs()
        self._reload = False

    def _pages_showing_images(self, old_static: Mapping[str, Path], touched: list[Path]) -> set[str]:
        """Pages whose output names an image that appeared, changed or went (its size may be in them)."""
        if self._model is None:
            return set()
        real = {p.resolve() for p in touched}
        images = [
            url.encode()
            for url in self.static.keys() | old_static.keys()
            if url.lower().endswith(IMAGE_SUFFIXES)
            and (self.static.get(url) != old_static.get(url) or self.static[url].resolve() in real)
        ]
        if not images:
            return set()
        return {url for url in self._model.plan.jobs if any(image in self.pages.get(url, b"") for image in images)}

    def _refresh_static(self) -> None:
        if self.config is None or self.theme is None:
            return
        files, warnings = static_files(self.config.root, self.theme.static_dirs)
        self._warnings += warnings
        self.static = {"/" + f.path: f.copy_from for f in files if f.copy_from is not None}
        # The pictures' variants, made as a build makes them, in a private temporary folder (the
        # preview writes nothing in the site): each picture once per preview, again when it changes;
        # those a build already made are read from its cache (a large archive's photos take minutes).
        site_static = [
            (f.path, f.copy_from) for f in files if f.copy_from is not None and f.source.startswith("static/")
        ]
        plan = plan_pictures(self.config.root, site_static, None)
        made = make_pictures(plan, None, self.options.jobs, reuse=self.config.root / CACHE_DIR / PICTURES_SUBDIR)
        self._warnings += made.warnings
        for w in made.warnings:
            plan.pop("/" + (w.path or "").removeprefix("static/"), None)
        self.pictures.clear()
        self.pictures.update(plan)
        self.static.update({"/" + f.path: f.copy_from for f in made.files if f.copy_from is not None})

    # ------------------------------------------------------------- building

    def _bring_up_to_date(self, static_moved: bool) -> tuple[int, list[str], bool]:
        assert self.config is not None and self.theme is not None
        problems = [e for entry in self._docs.values() for e in entry.errors]
        if problems:
            raise _Failed(problems)
        if self._templates_changed or self._env is None:
            tz = self.config.tz
            self._env = make_environment(
                self.theme,
                self.config.base_url,
                lambda d: d.astimezone(tz),
                self.config.root,
                pictures=self.pictures,
                language=self.config.language,
                relative_urls=self.config.relative_urls,
            )
            self._reads_links = templates_reading_links(self._env)
        if static_moved and self._model is not None:
            self._check_outputs(self._model.plan.pages, [])
        if self._model is not None and not self._templates_changed:
            if not self._pending and not self._stale:
                return 0, [], False
            fast = self._update_in_place()
            if fast is not None:
                return fast[0], fast[1], False
        rendered, changed = self._replan()
        return rendered, changed, True

    def _moves(self, site: Site) -> dict[str, tuple[str, ...]]:
        """The redirects of moved articles, as a build would make them from content/_permalinks.yml
        (read here, never written: the build records URLs). An article whose headline is edited in
        the preview so keeps its recorded URL, which the open page is sent to by its reload."""
        record, errors = self._record()
        if errors:
            raise _Failed(errors)
        return update_record(record, site, published=False)[1]

    def _record(self) -> tuple[dict[str, Entry], list[BroadsheetError]]:
        """content/_permalinks.yml, read again only when it changed."""
        try:
            st = (self.root / RECORD).stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if self._record_read is None or self._record_read[0] != stamp:
            self._record_read = (stamp, *load_record(self.root))
        return self._record_read[1], self._record_read[2]

    def _advance_clock(self) -> None:
        """Move "now" to the clock's time: while the preview runs, an embargo lifts, an article
        expires, a story stops being featured and an article written a moment ago is not "future".
        Any such change plans the site again."""
        if self.config is None:
            return
        before, self.now = self._rules(), build_time(self.options)
        after = self._rules()
        days = self.config.featured_days
        for entry in self._docs.values():
            doc = entry.doc
            if doc is None or doc.source.is_page:
                continue
            if (before.excludes(doc), before.featured(doc, days)) != (after.excludes(doc), after.featured(doc, days)):
                self._model = None  # plan everything again, keeping the pages for comparison
                return

    def next_change(self) -> tuple[datetime, Path] | None:
        """When the preview must update by itself (an embargo lifting, an article expiring, a story no
        longer featured), and the file responsible; None when nothing is waiting."""
        if self.config is None:
            return None
        days = self.config.featured_days
        soonest: tuple[datetime, Path] | None = None
        for rel, entry in self._docs.items():
            doc = entry.doc
            if doc is None or doc.source.is_page or (doc.meta.draft and not self.options.drafts):
                continue
            meta = doc.meta
            featured_end = (
                (meta.featured_until or meta.date + timedelta(days=days)) if meta.featured and meta.date else None
            )
            for when in (None if self.options.future else meta.date, meta.expires, featured_end):
                if when is not None and when > self.now and (soonest is None or when < soonest[0]):
                    soonest = (when, self.root / rel)
        return soonest

    def _rules(self) -> PublishRules:
        return PublishRules(
            now=self.now, drafts=self.options.drafts, future=self.options.future, preview=self.options.preview
        )

    def _ordered_docs(self) -> list[tuple[Document, Rendered]]:
        # The order of parse_all(): discover() sorts by relative path. Name resolution
        # (first spelling of a tag wins) depends on it.
        return [
            (e.doc, e.rendered) for _, e in sorted(self._docs.items()) if e.doc is not None and e.rendered is not None
        ]

    def _rank(self, site: Site, old: _Model | None) -> Site:
        """Attach related lists: all ranked again, or the index updated with the changed articles."""
        index = self._related_index
        if old is None or self._related_exact or index is None:
            started = time.perf_counter()
            index = build_related_index(related_docs(site), related_settings(site))  # = rank_related()
            if self.related_mode == "auto" and time.perf_counter() - started > EXACT_RELATED_SECONDS:
                self._related_exact = False
            self._related_index = index
            return dataclasses.replace(site, related=MappingProxyType({k: tuple(v) for k, v in index.lists.items()}))
        related = dict(old.plan.site.related)
        current = {a.url for a in site.articles}
        changed: set[str] = set()
        for url in old.plan.site.related.keys() - current:  # deleted, unpublished, or moved to another URL
            changed |= remove_related(index, url)
            related.pop(url, None)
        fresh = [a for a in site.articles if a.source in self._pending or a.url not in index.id_of]
        for doc in related_docs(dataclasses.replace(site, articles=tuple(fresh))):
            changed |= update_related(index, doc)
            changed.add(doc.key)
        for url in changed & current:
            related[url] = tuple(index.lists.get(url, ()))
        return dataclasses.replace(site, related=MappingProxyType(related))

    def _replan(self) -> tuple[int, list[str]]:
        """Assemble and plan the whole site; render the pages the engine finds changed (see plan.choose)."""
        assert self.config is not None and self._env is not None
        old = self._model
        site, errors, _ = assemble(self.config, self._ordered_docs(), self._rules())
        if errors:
            raise _Failed(errors)
        site = with_redirects(site, self._moves(site))
        site = self._rank(site, old)
        try:
            plan = make_plan(site, self._env, self.theme)
        except BroadsheetError as exc:  # a page title's text in a string table that does not fit
            raise _Failed([exc]) from None
        jobs, job_list = plan.jobs, plan.pages
        published = publishing_files(site, job_list, self._static_outputs())
        published_urls = {"/" + f.path for f in published}
        if (
            old is None
            or jobs.keys() != old.plan.jobs.keys()
            or len(jobs) != len(job_list)
            or published_urls != self._published
        ):
            self._check_outputs(job_list, published)
        # Templates and site.yml are not in the key: a change to either renders every page (see
        # _templates_changed), and a changed image renders the pages that name it (see _stale).
        site_key = preview_pages_key(plan.sv, self.config.tz)
        memory = self.memory
        if self._templates_changed or site_key != memory.site_key:
            memory.forget()
        fingerprints = PageFingerprints(site_key, self._reads_links)
        choice, shape = choose(plan, fingerprints, site_key, memory.prints, memory.shape, self._holds)
        rendered = self._render(choice.todo)
        rendered.update(self._published_pages(published))
        self._published_next = published_urls
        removed = [u for u in self._paths if u not in jobs and u not in rendered]
        model = _Model(plan, by_source={a.source: a.url for a in site.articles})
        changed = self._commit(model, rendered, removed)
        memory.prints, memory.shape, memory.site_key = choice.prints, shape, site_key
        return len(choice.todo), changed

    def _update_in_place(self) -> tuple[int, list[str]] | None:
        """Apply edits that move nothing (see plan.edit_plan); return None when an edit needs the site
        re-planned."""
        assert self.config is not None and self._model is not None
        model = self._model
        edited: dict[str, Article] = {}
        for rel in self._pending:
            entry, url = self._docs.get(rel), model.by_source.get(rel)
            if entry is None or entry.doc is None or entry.rendered is None or url is None:
                return None  # new, removed, unpublished or a page
            alone, errors, _ = assemble(self.config, [(entry.doc, entry.rendered)], self._rules())
            if errors or len(alone.articles) != 1:
                return None  # no longer published (draft, embargo, expiry)
            edited[url] = alone.articles[0]
        edit = edit_plan(model.plan, edited, lambda site: self._rank(site, model))
        if edit is None:
            return None
        plan, memory = edit.plan, self.memory
        assert memory.site_key is not None  # set by the plan this one updates
        fingerprints = PageFingerprints(memory.site_key, self._reads_links)
        choice = choose_edit(edit, fingerprints, memory.prints, self._holds, also=sorted(self._stale))
        try:
            rendered = self._render(finish_jobs(plan.site, choice.todo))  # head tags use the new values
        except _Failed:
            self._stale |= edit.candidates  # the views were updated in place: these pages are behind
            raise
        published = published_after_edit(edit, model.plan.site)
        rendered.update(self._published_pages(published))
        changed_urls = self._commit(_Model(plan, model.by_source), rendered, [])
        memory.prints.update(choice.prints)
        memory.shape = edit.shape(memory.shape)
        return len(choice.todo), changed_urls

    def _static_outputs(self) -> list[OutputFile]:
        return [
            OutputFile(url.lstrip("/"), f"static/{url.lstrip('/')}", copy_from=path)
            for url, path in self.static.items()
        ]

    def _published_pages(self, files: list[OutputFile]) -> dict[str, bytes]:
        """Feeds, sitemaps and robots.txt by URL."""
        return {"/" + f.path: f.data for f in files if f.data is not None}

    def _check_outputs(self, job_list: list[PageJob], published: list[OutputFile]) -> None:
        """Refuse unsafe URLs and two sources for one file, as a full build does."""
        placeholder = dict.fromkeys((j.url for j in job_list), b"")
        _, conflicts = collect_outputs(job_list, placeholder, self._static_outputs() + published)
        if conflicts:
            raise _Failed(conflicts)

    def _render(self, jobs: list[PageJob]) -> dict[str, bytes]:
        assert self._env is not None
        out, errors = render_jobs(self._env, jobs)
        if errors:
            raise _Failed(errors)
        return out

    def _commit(self, model: _Model, rendered: dict[str, bytes], removed: list[str]) -> list[str]:
        made = {a.source: a.url for a in model.plan.site.articles} | {p.source: p.url for p in model.plan.site.pages}
        self._edited = tuple(sorted(made[rel] for rel in self._pending if rel in made))
        if self._published_next:
            self._published, self._published_next = self._published_next, set()
        paths = {url: output_path(url) for url in rendered}
        gone = {self._paths.pop(url): url for url in removed}
        files = [OutputFile(path, url, data=rendered[url]) for url, path in paths.items()]
        urls = {path: url for url, path in paths.items()} | gone
        changed = [urls[path] for path in self.sink.write(files, gone.keys())]
        self._paths.update(paths)
        self._model = model
        self._pending.clear()
        self._stale.clear()
        self._templates_changed = False
        return changed

    def _holds(self, job: PageJob) -> bool:
        """Whether the sink holds the page as last rendered (not behind a changed image)."""
        return job.url in self._paths and job.url not in self._stale


class _PagesByUrl(Mapping[str, bytes]):
    """The sink's pages by URL (the sink holds them by output path)."""

    def __init__(self, paths: Mapping[str, str], files: Mapping[str, bytes]) -> None:
        self._paths, self._files = paths, files

    def __getitem__(self, url: str) -> bytes:
        return self._files[self._paths[url]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)
