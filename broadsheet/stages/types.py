"""The values the build's stages pass along, in a module of their own: no stage imports pipeline.py for a type.

:class:`BuildOptions` (what the command line or a script asked for), :class:`LoadedSite` (the
*load* stage's result, read by *render*), :class:`RenderedSite` (the *render* stage's result, read
by *facts*), :data:`PageFacts` (the *facts* stage's result, read by *search* and *links*) and
:class:`BuildResult` (what :func:`broadsheet.pipeline.build` returns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2

from ..config import SiteConfig
from ..content.model import Site
from ..content.permalinks import Entry
from ..errors import BuildWarning
from ..filestamp import Stamp
from ..incremental.cache import BuildCache
from ..outputs import OutputFile, output_folder
from ..plan import Plan, PlanEdit
from ..progress import Progress
from ..publish.pictures import Picture
from ..render.pages import HashedFacts
from ..render.theme import Theme
from ..tuning import Tuning
from ..write.commit import LastOutput, WriteStats
from .keptplan import KeptPlan


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


@dataclass(frozen=True, slots=True)
class PlanKeep:
    """What the load stage read that the plan kept for the next build needs (see stages/resume.py)."""

    until: datetime | None
    """The first scheduled change after the build (see KeptPlan.until)."""
    site_warnings: tuple[BuildWarning, ...]
    """The warnings of the site's assembly."""


@dataclass(frozen=True, slots=True)
class Resumed:
    """A build resumed from the kept plan (see stages/resume.py): what the render stage needs."""

    edit: PlanEdit
    """The kept plan with the articles edited since applied."""
    kept: KeptPlan
    """The kept plan as read, with the edited files' parse warnings."""
    site_key: str
    """The key of the pages' input, the kept plan's."""
    sources: dict[str, tuple[Stamp, str]]
    """Every content file's stamp and hash, those touched as read now (the next kept plan's)."""
    ranking_trusted: bool = False
    """Whether the related ranking's kept state matched the kept plan (see KeptPlan.ranking_token)."""
    sitemaps_key: str | None = None
    """The key of the sitemaps' input, the kept plan's, when no edit since moved an article's time
    (the sitemaps list each page with its time); None: made from the plan's pages."""
    fresh: frozenset[str] = frozenset()
    """URLs of the edited articles whose file the last build did not read as it is now (parsed in
    this build): every page showing one is rendered (see plan.choose_edit)."""


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
    keep: PlanKeep | None = None
    """What keeping this build's plan needs besides the plan (None: the plan is not kept)."""
    resumed: Resumed | None = None
    """Set when the build resumed from the kept plan: only the edited articles were read."""


@dataclass(slots=True)
class BuildResult:
    """What a build made: the site, its files in memory, the warnings and the counts."""

    site: LoadedSite | Callable[[], LoadedSite]
    """The loaded site, or how to load it (see :attr:`loaded`)."""
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
    """Seconds spent in each stage, in the order they ran (see :func:`broadsheet.pipeline.build`)."""
    search_shards_indexed: tuple[str, ...] = ()
    """Shards of the search index Pagefind made in this build (the others were kept; see publish/search.py)."""
    unchanged: int | None = None
    """Set when the build found nothing changed since the last one (see stages/unchanged.py): how
    many files the output holds as that build wrote them (``files`` is then empty)."""

    @property
    def loaded(self) -> LoadedSite:
        """The loaded site. After a build that found nothing changed, the load stage runs now (it
        reads the site as a build does, and writes nothing)."""
        if not isinstance(self.site, LoadedSite):
            self.site = self.site()
        return self.site


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
    plan: Plan | None = None
    """The plan of the pages, to keep for the next build (see stages/resume.py)."""
    site_key: str = ""
    """The key of the pages' input they were rendered with (see stages.render.pages_site_key); empty
    without a cache."""
    prints_over: Mapping[str, tuple[str, str]] | None = None
    """The page store (URL → fingerprint and file hash) ``prints`` update, when they are those of
    the pages a resumed build chose among: every other page is kept as the store records it."""


PageFacts = tuple[OutputFile, str, tuple[str, ...] | None, bool]
"""An HTML page with its hash, links and search mark. Links: those the link check can find a file for
(see publish.linkcheck.checked); None: those remembered in the cache."""
