"""The search index under ``/pagefind/``, made by Pagefind from the pages just rendered.

Where Pagefind runs, and why there: the build's output must change all at once or not at all
(see write.py). So Pagefind never sees the output folder. The pages that carry
``data-pagefind-body`` (article pages in the default theme) are written, as much of each as
Pagefind reads (:func:`search_copy`), to a private temporary folder, Pagefind indexes that
folder into a second one, and its files are read back as :class:`OutputFile` values. From there
they are ordinary output files: staged and committed with the pages they index, kept when
unchanged, removed by the manifest when stale, and never written when the build fails. A draft
or embargoed article never reaches the index because it never reaches the rendered pages.

Pagefind is optional (the ``search`` extra): without it the build warns and goes on, and the
search page says search is unavailable.

Shards, so that an edit costs one month's index and not the archive's: the pages are grouped by
month of publication (pages that are not dated articles in a shard of their own), each shard is
a Pagefind bundle of its own, and the search page merges them in the browser (Pagefind UI's
``mergeIndex``). The oldest shard is the *primary* bundle, at the bundle folder's root with
Pagefind's scripts and WebAssembly; every other shard sits in a folder named after it with only
the files a merged index is read from. ``pagefind/shards.json`` lists them for the search page.
A shard whose pages (paths and bytes) are those it was last made from, and whose files are still
in the output as written, is kept; the others are indexed again, in parallel, within a budget of
pages in flight (Pagefind's memory grows with the pages it holds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from ..content.model import Site
from ..errors import BuildWarning
from ..outputs import OutputFile, kept_file
from ..parallel import dies_with_us
from ..urls import output_path
from ..write.commit import digest_bytes

#: Pagefind's own marker of the part of a page to index; pages without it are left out.
BODY_MARK = b"data-pagefind-body"
BUNDLE_DIR = "pagefind"
TIMEOUT_SECONDS = 900
INSTALL_HINT = "pip install 'pagefind[bin]' (the 'search' extra) to build the search index"


def find_pagefind() -> list[str] | None:
    """The command that runs Pagefind: the binary of the ``pagefind_bin`` wheel, else one on PATH."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-not-found,import-untyped,unused-ignore]

        return [str(get_executable())]
    except (ImportError, FileNotFoundError):
        pass
    for name in ("pagefind_extended", "pagefind"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def pages_to_index(files: Sequence[OutputFile]) -> list[OutputFile]:
    """Rendered HTML pages that mark a body for Pagefind."""
    return [f for f in files if f.data is not None and f.path.endswith(".html") and BODY_MARK in f.data]


#: What an earlier build indexed: the hash of its pages, and each bundle file with its hash.
IndexRecord = tuple[str, dict[str, str]]
SOURCE = "search index (Pagefind)"


def pages_key(pages: Sequence[OutputFile]) -> str:
    """Hash of the pages to index, paths and bytes: Pagefind gives the same bundle for the same key."""
    return digests_key((page.path, page.kept or digest_bytes(page.data or b"")) for page in pages)


def digests_key(pages: Iterable[tuple[str, str]]) -> str:
    """:func:`pages_key` from each page's path and the hash of its bytes (no need to read kept pages)."""
    h = hashlib.blake2b(digest_size=16)
    for path, digest in sorted(pages):
        h.update(path.encode() + b"\0" + digest.encode() + b"\0")
    return h.hexdigest()


def reuse_index(
    pages: Sequence[OutputFile], previous: IndexRecord | None, still_written: Callable[[str, str], bool]
) -> list[OutputFile] | None:
    """The earlier bundle as kept files when the same pages were indexed and it is untouched, else None."""
    return reuse_bundle(pages_key(pages), previous, still_written)


def reuse_bundle(
    key: str, previous: IndexRecord | None, still_written: Callable[[str, str], bool]
) -> list[OutputFile] | None:
    """Like :func:`reuse_index`, given the key of the pages (see :func:`digests_key`)."""
    if previous is None or previous[0] != key or not previous[1]:
        return None
    if not all(still_written(path, digest) for path, digest in previous[1].items()):
        return None
    return [kept_file(path, SOURCE, digest) for path, digest in sorted(previous[1].items())]


def index_record(pages: Sequence[OutputFile] | str, bundle: Sequence[OutputFile]) -> IndexRecord:
    """What to remember of this build's index for the next build (``pages``: the pages or their key)."""
    key = pages if isinstance(pages, str) else pages_key(pages)
    return key, {f.path: f.kept or digest_bytes(f.data or b"") for f in bundle}


def not_installed() -> BuildWarning:
    """The warning of a build that has pages to index but no Pagefind."""
    return BuildWarning("search index not built: Pagefind is not installed", hint=INSTALL_HINT)


def search_index(
    files: Sequence[OutputFile], command: list[str] | None = None, folder: str = BUNDLE_DIR, full: bool = True
) -> tuple[list[OutputFile], list[BuildWarning]]:
    """Index the marked pages with Pagefind; return its bundle as output files under ``folder``.

    ``full``: the whole bundle (scripts, styles, WebAssembly: the primary shard); else only the
    files Pagefind reads from a merged index (:data:`SHARD_FILES`).
    """
    pages = pages_to_index(files)
    if not pages:
        return [], []
    command = command if command is not None else find_pagefind()
    if command is None:
        return [], [not_installed()]
    copies = [(page.path, search_copy(page.data or b"")) for page in pages]
    made: list[tuple[str, bytes]] | None = None
    warning: BuildWarning | None = None
    memory = scratch_parent(sum(len(data) for _, data in copies))
    if memory is not None:
        # OSError: the file system in memory filled up meanwhile: on disk, below.
        with contextlib.suppress(OSError):
            made, warning = _run_pagefind(copies, command, memory)
    if made is None and (warning is None or "os error 28" in warning.message):  # 28: no space left
        try:
            made, warning = _run_pagefind(copies, command, None)
        except OSError as exc:
            made, warning = None, BuildWarning(f"search index not built: {exc}", None, None, "free some disk space")
    if made is None:
        return [], [warning] if warning is not None else []
    return [OutputFile(f"{folder}/{rel}", SOURCE, data) for rel, data in made if full or merged_file(rel)], []


#: A file system in memory, where Pagefind's scratch folders go when it has room (see scratch_parent).
MEMORY_TEMP = "/dev/shm"
#: Room left free in :data:`MEMORY_TEMP` besides a run's own needs (other programs use it too).
MEMORY_MARGIN = 64 << 20


def scratch_parent(size: int) -> str | None:
    """Where a Pagefind run of pages whose copies weigh ``size`` bytes makes its scratch folder: the
    machine's file system in memory when it has room for a few times that (the copies, Pagefind's
    bundle, other runs side by side), else None (the system's temporary folder).

    Why: a run writes a folder per page and Pagefind writes its bundle, thousands of small files
    read once and deleted. On a disk with a journal that took longer than indexing: 0.7 s for a
    month of 1,100 pages, against 0.05 s in memory.
    """
    try:
        st = os.statvfs(MEMORY_TEMP)
    except OSError:
        return None
    if not os.access(MEMORY_TEMP, os.W_OK | os.X_OK):
        return None
    if MEMORY_TEMP not in _SWEPT:  # once a process: a cold build indexes dozens of shards
        _SWEPT.add(MEMORY_TEMP)
        sweep_scratch(MEMORY_TEMP)
    return MEMORY_TEMP if st.f_bavail * st.f_frsize >= 4 * size + MEMORY_MARGIN else None


#: The folders :func:`scratch_parent` has swept in this process.
_SWEPT: set[str] = set()
#: The scratch folders' names start with this (see _run_pagefind).
SCRATCH_PREFIX = "broadsheet-search-"


def sweep_scratch(parent: str, now: float | None = None) -> None:
    """Remove the scratch folders under ``parent`` that a build killed while Pagefind ran left
    behind (a folder in memory holds memory until the machine restarts): those older than twice
    the longest a run may last, which no live build still uses."""
    cutoff = (time.time() if now is None else now) - 2 * TIMEOUT_SECONDS
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        try:
            stale = (
                entry.name.startswith(SCRATCH_PREFIX)
                and entry.is_dir(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_mtime < cutoff
            )
        except OSError:
            continue
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)  # another user's: left alone


def _run_pagefind(
    copies: Sequence[tuple[str, bytes]], command: list[str], parent: str | None
) -> tuple[list[tuple[str, bytes]] | None, BuildWarning | None]:
    """Run Pagefind on the pages' copies (output path, bytes) in a scratch folder under ``parent``
    (None: the system's temporary folder); return its bundle (path in it, bytes), or None and why.
    Raises OSError when the scratch folder cannot be written or read."""
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=parent) as tmp:
        site, bundle = Path(tmp) / "site", Path(tmp) / BUNDLE_DIR
        for path, data in copies:
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            run = subprocess.run(
                # Killed with its build, Pagefind would index on for seconds or minutes.
                dies_with_us([*command, "--site", str(site), "--output-path", str(bundle), "--quiet"]),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            failed = f"search index not built: Pagefind failed to run: {exc}"
            return None, BuildWarning(failed, None, None, INSTALL_HINT)
        if run.returncode != 0 or not bundle.is_dir():
            said = (run.stderr or run.stdout).strip().splitlines()[-3:]
            return None, BuildWarning(
                f"search index not built: Pagefind exited with {run.returncode}: {' / '.join(said)}",
                None,
                None,
                "run it by hand to see why",
            )
        made = [(p.relative_to(bundle).as_posix(), p.read_bytes()) for p in sorted(bundle.rglob("*")) if p.is_file()]
        return made, None


# ---------------------------------------------------------------- shards

#: The shard of marked pages that are not dated articles (a theme may mark other pages).
PAGES_SHARD = "pages"
#: The shard of a site too small to split: every page in one index, as without shards.
ALL_SHARD = "all"
#: Fewest pages a shard holds on average: Pagefind ranks each shard by its own word statistics,
#: which small shards estimate badly (a word common in one month looks rare in another), and each
#: shard costs the browser a few requests. So a site indexes by month when its months hold this
#: many pages on average, else by quarter, else by year, else in one shard.
MIN_SHARD_PAGES = 500
#: The list of shards, in the bundle folder, that the search page reads before merging them.
SHARDS_FILE = "shards.json"
#: A month with more pages than this is split in parts (by a hash of each page's path, so a page
#: stays in its part, and each part is a fair sample of the month's words): Pagefind's memory and
#: time grow with the pages of one run, and an edit runs it on its part (about a millisecond a
#: page). Parts then hold about half this to this many pages.
MAX_SHARD_PAGES = 1000
#: Pages indexed at once by Pagefind processes running side by side (a shard larger than this
#: runs alone). Measured with the generated corpus: about 0.17 MB of Pagefind memory per page.
PARALLEL_PAGES = 3000
#: Where Pagefind reads a merged index from: its entry, its metadata and its chunks. The scripts,
#: styles and WebAssembly are loaded from the primary bundle only.
SHARD_FILES = ("pagefind-entry.json", "index/", "fragment/", "filter/")


def merged_file(rel: str) -> bool:
    """Whether a file of a bundle (path inside it) is read when the bundle is merged into another."""
    return rel.startswith(SHARD_FILES) or (rel.startswith("pagefind.") and rel.endswith(".pf_meta"))


def unlinked_file(path: str) -> bool:
    """Whether an output file is one of a search bundle's chunks (``pagefind/2026-03/fragment/...``):
    named by Pagefind after its content and read only by Pagefind's script, through the bundle's
    entry, so no page links to it. Such files come and go with every index of a shard."""
    if not path.startswith(BUNDLE_DIR + "/"):
        return False
    rel = path[len(BUNDLE_DIR) + 1 :]
    if merged_file(rel) and rel != SHARD_FILES[0]:
        return True
    shard, _, inner = rel.partition("/")
    return bool(inner) and "/" not in shard and merged_file(inner) and inner != SHARD_FILES[0]


def article_months(site: Site, tz: tzinfo) -> dict[str, str]:
    """Output path → month of publication (``2026-03``, in the site's time zone) of each article."""
    months: dict[str, str] = {}
    for article in site.articles:
        date = article.date.astimezone(tz) if article.date.tzinfo is not None else article.date
        try:
            months[output_path(article.url)] = f"{date.year:04d}-{date.month:02d}"
        except ValueError:
            continue  # an unsafe URL is reported where the page is planned
    return months


#: A start tag carrying a Pagefind attribute: what Pagefind reads of a page is in such elements.
_MARKED_TAG = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*\bdata-pagefind-[^>]*>")
_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_VOID = frozenset(b"area base br col embed hr img input link meta source track wbr".split())


def search_copy(data: bytes) -> bytes:
    """What Pagefind reads of a page, as a page of its own: the ``<html>`` tag (its language) and
    every element carrying a ``data-pagefind-*`` attribute (the body, its metadata, filters and
    sorts), whole, in page order; an element inside one already taken is taken with it.

    Pagefind is given this copy, not the page: it makes the same index (a test compares the two
    bundles) from half the bytes, without parsing the navigation, the related stories and the
    cards. The rest of the page is not indexed, so a change there must not index a month again:
    :func:`search_digest` hashes this copy. An element whose end cannot be found runs to the end
    of the page.
    """
    parts = [b"<!doctype html>"]
    tag = _HTML_TAG.search(data)
    parts.append(tag.group() if tag is not None else b"<html>")
    parts.append(b'<head><meta charset="utf-8"></head><body>')
    taken = 0
    for start, end, name in marked_tags(data):
        if start < taken:
            continue  # inside the element just taken (the picture's metadata inside its figure)
        void = name in _VOID or data[end - 2 : end] == b"/>"
        taken = end if void else element_end(data, name, end)
        parts.append(data[start:taken])
    parts.append(b"</body></html>")
    return b"\n".join(parts)


def search_digest(data: bytes) -> str:
    """Hash of what Pagefind reads of a page (:func:`search_copy`)."""
    return hashlib.blake2b(search_copy(data), digest_size=16).hexdigest()


_MARK = b"data-pagefind-"
_TAG_NAME = re.compile(rb"[a-zA-Z][a-zA-Z0-9-]*")
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def marked_tags(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Each start tag carrying a ``data-pagefind-*`` attribute: where it starts and ends, and its
    name in lower case; the tags :data:`_MARKED_TAG` matches, found from the attribute (a page has
    a handful) rather than by trying the pattern at each of its hundreds of tags."""
    at = data.find(_MARK)
    while at != -1:
        lt = data.rfind(b"<", 0, at)
        gt = data.find(b">", at)
        if (
            lt != -1
            and gt != -1
            and data.find(b">", lt, at) == -1  # in a tag, not in text after one
            and data[at - 1] not in _WORD  # a word of its own
            and (name := _TAG_NAME.match(data, lt + 1)) is not None
            and name.end() < at
            and data[name.end()] not in _WORD  # the name ends where its tag says
        ):
            yield lt, gt + 1, name.group().lower()
            at = data.find(_MARK, gt)
        else:
            at = data.find(_MARK, at + 1)


_TAG_OF: dict[bytes, re.Pattern[bytes]] = {}


def element_end(data: bytes, name: bytes, pos: int) -> int:
    """Where the element ``name`` opened just before ``pos`` ends (counting nested ones of its name)."""
    pattern = _TAG_OF.get(name)
    if pattern is None:
        pattern = _TAG_OF[name] = re.compile(rb"<(/?)" + re.escape(name) + rb"\b[^>]*>", re.IGNORECASE)
    depth = 1
    for tag in pattern.finditer(data, pos):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return len(data)


#: What an earlier build remembers of its split index, per output folder: each shard's record, and
#: each page's hash → :func:`search_digest` of its bytes (so that kept pages are not read again).
SearchRecord = tuple[dict[str, IndexRecord], dict[str, str]]


def indexed_digests(
    pages: Iterable[tuple[str, str]], known: Mapping[str, str], read: Callable[[str], bytes | None]
) -> dict[str, str]:
    """Page path → :func:`search_digest` of each page (path, hash of its bytes): remembered by the
    hash of its bytes, else read (``read``: a page's bytes, None if unreadable: its hash stands)."""
    digests: dict[str, str] = {}
    for path, digest in pages:
        found = known.get(digest)
        if found is None:
            data = read(path)
            found = search_digest(data) if data is not None else digest
        digests[path] = found
    return digests


@dataclass(slots=True)
class Shard:
    """One Pagefind bundle of the split index: its name, its pages (path, hash) and where it goes."""

    name: str
    pages: list[tuple[str, str]] = field(default_factory=list)
    primary: bool = False

    @property
    def folder(self) -> str:
        """Its folder in the output: the bundle folder for the primary, a folder in it for the others."""
        return BUNDLE_DIR if self.primary else f"{BUNDLE_DIR}/{self.name}"

    @property
    def key(self) -> str:
        """Hash of its pages and its place: the same key gives the same files."""
        return digests_key(self.pages) + ("+primary" if self.primary else "")


def period_of(month: str, period: str) -> str:
    """The shard name of a month (``2026-03``) when shards hold a ``period``: the month itself, its
    quarter (``2026-q1``), its year (``2026``) or :data:`ALL_SHARD`."""
    if period == "month":
        return month
    if period == "quarter":
        return f"{month[:4]}-q{(int(month[5:7]) + 2) // 3}"
    return month[:4] if period == "year" else ALL_SHARD


def shard_period(months: Iterable[str]) -> str:
    """The shortest period (month, quarter, year) whose shards hold :data:`MIN_SHARD_PAGES` pages
    on average, given the month of each dated page; ``all`` when none does."""
    months = list(months)
    for period in ("month", "quarter", "year"):
        shards = {period_of(m, period) for m in months}
        if shards and len(months) / len(shards) >= MIN_SHARD_PAGES:
            return period
    return "all"


def plan_shards(pages: Iterable[tuple[str, str]], months: Mapping[str, str]) -> list[Shard]:
    """Group the marked pages (path, hash) in shards, sorted by name; the first one is the primary.

    By month of publication (or quarter, or year, see :func:`shard_period`); other pages in
    :data:`PAGES_SHARD`; a group larger than :data:`MAX_SHARD_PAGES` split in parts named
    ``2026-03.1``, ``2026-03.2``... A calendar period, not a count of pages, names the shard of a
    page: an edit, a new story or a deleted one changes no other page's shard.
    """
    pages = list(pages)
    period = shard_period(months[path] for path, _ in pages if path in months)
    groups: dict[str, list[tuple[str, str]]] = {}
    for path, digest in pages:
        month = months.get(path)
        name = ALL_SHARD if period == "all" else PAGES_SHARD if month is None else period_of(month, period)
        groups.setdefault(name, []).append((path, digest))
    shards: list[Shard] = []
    for name, members in groups.items():
        parts = math.ceil(len(members) / MAX_SHARD_PAGES)
        if parts <= 1:
            shards.append(Shard(name, sorted(members)))
            continue
        split: list[list[tuple[str, str]]] = [[] for _ in range(parts)]
        for path, digest in members:
            h = int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "big")
            split[h % parts].append((path, digest))
        shards += [Shard(f"{name}.{i + 1}", sorted(part)) for i, part in enumerate(split) if part]
    shards.sort(key=lambda s: s.name)
    if shards:
        shards[0].primary = True
    return shards


def shards_file(shards: Sequence[Shard]) -> OutputFile:
    """``pagefind/shards.json``: the primary shard and the folders (in the bundle folder) to merge."""
    data = {"primary": shards[0].name, "merge": [s.name for s in shards if not s.primary]}
    return OutputFile(f"{BUNDLE_DIR}/{SHARDS_FILE}", SOURCE, json.dumps(data, indent=1).encode() + b"\n")


@dataclass(slots=True)
class SplitIndex:
    """The search index of one build: its files, what went wrong, and which shards Pagefind indexed."""

    files: list[OutputFile]
    warnings: list[BuildWarning]
    indexed: list[str]
    """Names of the shards indexed in this build (the others were kept as they were)."""
    records: dict[str, IndexRecord]
    """Shard name → what to remember of it for the next build."""


def index_shards(
    shards: Sequence[Shard],
    previous: Mapping[str, IndexRecord],
    still_written: Callable[[str, str], bool],
    read: Callable[[Sequence[str]], list[OutputFile]],
    jobs: int = 1,
    command: list[str] | None = None,
) -> SplitIndex:
    """Keep the shards whose pages did not change, index the others with Pagefind side by side.

    ``read``: the marked pages of the given paths with their bytes (only those of shards to index
    are read). ``jobs``: Pagefind processes at most at once, also bounded by :data:`PARALLEL_PAGES`.
    Any shard failing fails the whole index (a page merging a missing shard would find nothing):
    no files, the warnings, and records only for the shards made or kept.
    """
    if not shards:
        return SplitIndex([], [], [], {})
    kept: dict[str, list[OutputFile]] = {}
    todo: list[Shard] = []
    for shard in shards:
        files = reuse_bundle(shard.key, previous.get(shard.name), still_written)
        if files is None:
            todo.append(shard)
        else:
            kept[shard.name] = files
    records = {name: previous[name] for name in kept}
    if todo and command is None:
        command = find_pagefind()
        if command is None:
            return SplitIndex([], [not_installed()], [], records)
    made: dict[str, list[OutputFile]] = {}
    warnings: list[BuildWarning] = []

    def index(shard: Shard) -> tuple[list[OutputFile], list[BuildWarning]]:
        return search_index(read([p for p, _ in shard.pages]), command, shard.folder, full=shard.primary)

    # Largest first, so that the long runs start early and small ones fill the gaps.
    order = sorted(todo, key=lambda s: (-len(s.pages), s.name))
    for shard, (files, said) in zip(order, run_bounded(order, index, jobs, PARALLEL_PAGES), strict=True):
        warnings += said
        if files:
            made[shard.name] = files
            records[shard.name] = index_record(shard.key, files)
        elif not said:
            warnings.append(BuildWarning(f"search index not built: Pagefind indexed nothing in shard {shard.name}"))
    indexed = sorted(made)
    if warnings or len(kept) + len(made) < len(shards):
        return SplitIndex([], warnings, indexed, records)
    files = [f for shard in shards for f in (kept.get(shard.name) or made[shard.name])]
    return SplitIndex([*files, shards_file(shards)], [], indexed, records)


def run_bounded(
    shards: Sequence[Shard],
    index: Callable[[Shard], tuple[list[OutputFile], list[BuildWarning]]],
    jobs: int,
    budget: int,
) -> list[tuple[list[OutputFile], list[BuildWarning]]]:
    """``index`` of each shard, in order, at most ``jobs`` at once and ``budget`` pages in flight."""
    if jobs <= 1 or len(shards) <= 1:
        return [index(shard) for shard in shards]
    room = threading.Condition()
    in_flight = 0

    def bounded(shard: Shard) -> tuple[list[OutputFile], list[BuildWarning]]:
        nonlocal in_flight
        size = len(shard.pages)
        with room:  # a shard larger than the budget waits until it runs alone
            room.wait_for(lambda: in_flight == 0 or in_flight + size <= budget)
            in_flight += size
        try:
            return index(shard)
        finally:
            with room:
                in_flight -= size
                room.notify_all()

    with ThreadPoolExecutor(max_workers=min(jobs, len(shards)), thread_name_prefix="pagefind") as pool:
        return list(pool.map(bounded, shards))
