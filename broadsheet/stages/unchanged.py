"""A build that finds nothing changed since the last one: the output is left as it was written.

After each build that wrote the output, what it was made from is kept in
``.broadsheet-cache/last-build.pickle`` (a few hundred kilobytes at 10,000 articles): the inputs a
kept plan is checked against (see stages/keptplan.py: the cache version, the options that shape
the pages, the output folder, the published-URL record's stamp), the search option and the
Pagefind found, the key of what every page is made from besides its context (templates, static
files, pictures, string tables, site.yml, the day: see incremental/inputs.py), each content
file's stamp, the first scheduled change, the output's manifest as that build left it, and the
build's warnings and count of files.

The next build first checks all of that, which costs a ``stat`` of each content and output file
and no parse, plan or render: when everything is as it was, and every file the last build wrote
is still in the output with the size and time it was written with, the build has nothing to do
and says so (its warnings are those of the last build). A content file whose stamp was taken too
soon after a write to be trusted (saved within two seconds before that build) is read and
compared by hash with the bytes that build read: a reporter who saves and builds at once still
gets the next build's shortcut. Any difference, or any doubt (a killed build's journal, no
record), and the build runs as usual (resumed from the kept plan, or planned anew: see
stages/resume.py).

The record is removed before a build writes the output and written again after, so a build
killed in between leaves none.
"""

from __future__ import annotations

import heapq
import io
import os
import pickle
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..config import SiteConfig, load_config_problems
from ..content.discover import Found, discover
from ..content.frontmatter import content_digest
from ..content.markdown import configure, current_settings
from ..errors import BroadsheetError, BuildWarning
from ..filestamp import Stamp, is_racy, stamp_of
from ..incremental.cache import cache_version
from ..incremental.inputs import pages_input_of_view
from ..incremental.keys import key_of
from ..outputs import CACHE_DIR
from ..parallel import Aside
from ..publish import search as search_stage
from ..publish.pictures import CACHE_SUBDIR as PICTURES_SUBDIR
from ..publish.pictures import Picture
from ..related.incremental import RankingState
from ..render.theme import Theme, load_theme
from ..render.views import SiteView, site_view
from ..write.commit import JOURNAL, MANIFEST, LastOutput, state_folder
from .aside import start_ranking
from .load import planned_pictures, site_markdown
from .resume import plan_inputs
from .types import BuildOptions, LoadedSite

#: Whether a content file whose recorded stamp is racy is compared by its bytes (else such a file
#: makes the build run). Tests that build twice at once to exercise a second build that runs turn
#: it off (see tests/conftest.py).
RACY_BY_BYTES = True

#: The record's file, in the cache folder.
RECORD_FILE = "last-build.pickle"
#: How many of the content files written last the record names (see LastBuild.recent).
RECENT = 16
#: Changed when the record's layout changes (the code version covers the types it holds). The
#: pickle follows, compressed at zlib's fastest level (a third of its size: paths and stamps).
FORMAT = b"broadsheet-last-build-4\n"


@dataclass(frozen=True, slots=True)
class LastBuild:
    """What the last build that wrote the output was made from, and what it reported."""

    inputs: tuple[str, ...]
    """See :func:`build_inputs`."""
    view: SiteView
    """The ``site`` every page was given (the site key is made from it, at this build's day)."""
    site_key: str
    """The key of the pages' input (see stages.render.pages_site_key)."""
    sources: dict[str, Stamp]
    """Content file (relative path) → its stamp when it was read."""
    until: datetime | None
    """The first scheduled change after the build (see stages/resume.next_change)."""
    manifest: tuple[int, int, int] | None
    """The output manifest's size, modification time and inode as the build left it."""
    live: str
    """The folder the output named (its link resolved: see write/generations.py)."""
    warnings: tuple[BuildWarning, ...]
    files: int
    """How many files the build wrote or kept."""
    racy: dict[str, str]
    """Content file → the hash of the bytes the build read, for those whose stamp is racy (see
    filestamp.trusted_stamp): compared by hash, not by stamp."""
    recent: tuple[str, ...] = ()
    """The content files written last before the build (at most :data:`RECENT`, newest first): the
    next check looks at them first (see :func:`_look_at_recent`)."""


def build_inputs(options: BuildOptions, config: SiteConfig, version: str) -> tuple[str, ...]:
    """What a build's output depends on besides its site key, content and day: the cache version
    (code, Markdown settings, time zone), the options that shape the pages, the output folder, the
    published-URL record's stamp (see stages/resume.plan_inputs), and the search index asked for
    with the Pagefind that makes it."""
    search = repr(search_stage.find_pagefind()) if options.search else "off"
    return (*plan_inputs(options, config, version), f"search={search}")


def _manifest_stamp(output: Path, root: Path) -> tuple[int, int, int] | None:
    try:
        st = (state_folder(output, root) / MANIFEST).stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def site_key_now(config: SiteConfig, theme: Theme, view: SiteView, now: datetime, pictures: dict[str, Picture]) -> str:
    """The pages' site key at ``now`` of a site whose ``site`` view was ``view``."""
    return key_of(pages_input_of_view(config, theme, replace(view, now=now), pictures))


@dataclass(slots=True)
class Checked:
    """What :func:`unchanged_since_last_build` found."""

    last: LastBuild | None = None
    """The last build's record when nothing changed since; else None: the build runs."""
    found: Found | None = None
    """The content files it discovered (see content.discover), for the build that runs."""
    stamps: dict[str, Stamp] = field(default_factory=dict)
    """The stamp of each content file as it looked at them (all of them once one differed): a
    build resumed from its kept plan takes these instead of looking at every file again."""
    ranking: Aside[RankingState | None] | None = None
    """The helper rebuilding the related ranking's kept state, started when a content file of a
    large site was found changed (see stages/aside.start_ranking): a resumed build takes it over."""

    def close(self) -> None:
        """End the ranking's helper if the build did not take it over (closing it twice is harmless)."""
        if self.ranking is not None:
            self.ranking.close()
            self.ranking = None


def unchanged_since_last_build(options: BuildOptions, now: datetime) -> Checked:
    """The last build's record when nothing it was made from changed and its output is intact; else
    none (also for a site.yml or theme with a problem: the build that runs reports it)."""
    checked = Checked()
    if not options.cache:
        return checked
    config, errors = load_config_problems(options.source, options.base_url)
    if config is None or errors:
        return checked
    folder = config.root / CACHE_DIR
    last = load_last_build(folder)
    if last is None:
        return checked
    try:
        theme = load_theme(config.theme, config.root)
    except BroadsheetError:
        return checked
    configure(site_markdown(config, theme))
    pictures = planned_pictures(config, folder / PICTURES_SUBDIR)
    checked.last = _unchanged(options, config, theme, now, last, pictures, checked)
    return checked


def _unchanged(
    options: BuildOptions,
    config: SiteConfig,
    theme: Theme,
    now: datetime,
    last: LastBuild,
    pictures: dict[str, Picture],
    checked: Checked,
) -> LastBuild | None:
    """:func:`unchanged_since_last_build` once the site.yml, theme and pictures are known."""
    if last.until is not None and now >= last.until:
        return None  # an embargo lifted, an expiry, a banner down: the pages change
    output = options.output_dir
    if os.path.realpath(output) != last.live or _manifest_stamp(output, config.root) != last.manifest:
        return None
    state = state_folder(output, config.root)
    if (state / JOURNAL).exists():
        return None  # a killed build's commit, finished by the build that runs
    version = cache_version(config.timezone, current_settings().key())
    if last.inputs != build_inputs(options, config, version):
        return None
    checked.found = discover(config.root)
    sources = checked.found[0]
    if len(sources) != len(last.sources):
        return None
    same = True
    stamps = checked.stamps
    large = len(sources) >= options.tuning.aside_from  # (see resume._helper)
    if large and _look_at_recent(config.root, last):
        checked.ranking, large = start_ranking(config, version), False
    for source in sources:
        try:
            stamp = stamps[source.rel] = stamp_of(os.stat(source.file))
            if not same:
                continue  # the build runs: the rest are only looked at for it (see Checked.stamps)
            kept = last.sources.get(source.rel)
            if kept is None:
                same = False
            elif is_racy(kept):
                # Saved just before the last build: its stamp cannot tell a later write within the
                # same clock tick, its bytes can.
                digest = last.racy.get(source.rel)
                same = (
                    RACY_BY_BYTES
                    and stamp[:3] == kept[:3]
                    and digest is not None
                    and content_digest(source.path.read_bytes()) == digest
                )
            elif stamp != kept:
                same = False
            if not same and large:
                # A build runs, most likely resumed: its ranking's helper starts now (see stages/aside.py).
                checked.ranking, large = start_ranking(config, version), False
        except OSError:
            return None
    if not same:
        return None
    if site_key_now(config, theme, last.view, now, pictures) != last.site_key:
        return None
    written = LastOutput(output, state)
    if len(written.manifest) != last.files or not all(written.same_stat(rel, e) for rel, e in written.manifest.items()):
        return None
    return last


def _look_at_recent(root: Path, last: LastBuild) -> bool:
    """Whether one of the content files written last before the last build was written again since.

    Looked at before the walk, so that a large site's ranking helper starts at once (see
    stages/aside.py): the story edited last is the likeliest to be edited again, a developing story
    many times a day, and the walk would reach it only halfway, on average. A file it cannot tell
    about (gone, or stamped too soon to trust) is left to the walk."""
    folder = str(root)
    for rel in last.recent:
        kept = last.sources.get(rel)
        if kept is None or is_racy(kept):
            continue
        try:
            if stamp_of(os.stat(os.path.join(folder, rel))) != kept:
                return True
        except OSError:
            continue
    return False


def keep_last_build(
    loaded: LoadedSite, options: BuildOptions, site_key: str, warnings: list[BuildWarning], files: int
) -> None:
    """Record the build just written for the next build's check (see the module documentation).

    ``site_key``: the one the pages were rendered with (see RenderedSite.site_key), taken before
    rendering: a template changed while they rendered makes the next build run. The next build
    makes its own from the recorded ``site`` view, which gives the same key for the same inputs.
    """
    cache = loaded.cache
    if cache.folder is None or loaded.keep is None or not site_key:
        return
    config = loaded.config
    output = options.output_dir
    resumed = loaded.resumed
    # Each content file's stamp and the hash of the bytes read.
    read = resumed.sources if resumed is not None else {rel: (e.stamp, e.digest) for rel, e in cache.content.items()}
    sources = {rel: stamp for rel, (stamp, _) in read.items()}
    record = LastBuild(
        build_inputs(options, config, cache.version),
        site_view(loaded.site),
        site_key,
        sources,
        loaded.keep.until,
        _manifest_stamp(output, config.root),
        os.path.realpath(output),
        tuple(warnings),
        files,
        {rel: digest for rel, (stamp, digest) in read.items() if is_racy(stamp)},
        tuple(heapq.nlargest(RECENT, sources, key=lambda rel: sources[rel][1])),  # by modification time
    )
    buffer = io.BytesIO()
    try:
        pickle.dump(record, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    path = cache.folder / RECORD_FILE
    tmp = path.with_name(f".{RECORD_FILE}.tmp")
    try:
        tmp.write_bytes(FORMAT + zlib.compress(buffer.getbuffer(), 1))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def load_last_build(folder: Path) -> LastBuild | None:
    """The last build's record, or None when there is none or it cannot be read."""
    try:
        data = (folder / RECORD_FILE).read_bytes()
    except OSError:
        return None
    if not data.startswith(FORMAT):
        return None
    try:
        record = pickle.loads(zlib.decompress(memoryview(data)[len(FORMAT) :]))
    except Exception:
        return None
    return record if isinstance(record, LastBuild) else None


def forget_last_build(folder: Path | None) -> None:
    """Remove the record: the output is about to change (see the module documentation)."""
    if folder is not None:
        (folder / RECORD_FILE).unlink(missing_ok=True)
