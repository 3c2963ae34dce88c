"""What survives between builds, in ``.broadsheet-cache/cache.sqlite`` of the site (git-ignored).

Stores keyed so that a stale entry can never be used:

* **content**: each content file's parse and rendered Markdown, keyed by the hash of its bytes
  (a matching size and modification time skips even reading the file). The whole store is
  dropped when the code version changes: Broadsheet's own source, the Markdown settings, or
  the versions of the libraries that shape the result. The rendered bodies (HTML and text,
  nine tenths of it) are rows of their own, read only for the pages a build renders (see body.py).
* **prints**: for each output folder, each page's fingerprint (a hash of everything its
  template can see) and the hash of the bytes it produced. A page whose fingerprint is unchanged
  and whose file in the output is still the one written is not rendered again.
* **facts**: each HTML page's links and search mark, with the hash of its bytes, so that a page
  kept as it was is not read and parsed again for the link check and the search index. A page's
  links are kept as numbers, each link's text once in ``linktext`` (pages repeat their links).
* **related**: the last "You may also like" lists with the hash of everything the ranking read.
* **ranking**: what the related ranking needs to fold an edit into its last lists exactly (see
  related/incremental.py): the feature counts (one row, ``ranking``) and each article's features
  and list (a row each, ``ranked``), read only when the lists must be ranked again; an edit writes
  the rows it changed.
* **links**: for each output folder, its file list and each page's broken links, so that while
  no file goes only pages rendered anew, and the broken links of kept pages, are checked.

SQLite holds one row per content file, per page (prints) and per HTML page (facts), so a build
after an edit writes the rows it changed, not the cache; a page's links are read only when its
links are checked again.
A row holds plain values (tuples, strings, numbers), not pickled objects: a warm build reads
every row, and rebuilding dataclasses from their pickles cost more than reading the rows. A content
row is compressed (zlib's fastest level), as its body's row is, each with a preset dictionary the
file keeps (``blobs``, made from a sample of the first rows written: see rowpack.py).
A cache that cannot be read is ignored and rewritten; a build never fails because of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
import os
import pickle
import shutil
import sqlite3
import time
import zlib
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import markdown as _markdown
import yaml

from .. import __version__, speedups
from ..content.body import Body, BodyRef
from ..content.bodystore import DICTIONARY_BLOB, body_bytes, pack_body, reader
from ..content.discover import SourceFile
from ..content.frontmatter import Document, FrontMatter, content_digest
from ..content.markdown import SETTINGS_KEY, Rendered
from ..content.model import Author, Category, Tag
from ..content.notices import Notices
from ..errors import BuildWarning
from ..filestamp import RACY, Stamp, stamp_of, trusted_stamp
from ..outputs import CACHE_DIR, PageJob, output_key
from ..related.incremental import row_digest
from ..render.shows import linked_views
from ..render.views import ArticleView, Link, SiteView
from ..rowpack import DICTIONARY_ROWS, make_dictionary, pack, pack_hash, unpack, unpack_hash


def cache_version(timezone: str, markdown_key: str) -> str:
    """The cache's version for a site: the code's, and what parsing depends on (see BuildCache.load)."""
    return f"{code_version()}|tz={timezone}|md={markdown_key}"


def code_version() -> str:
    """Hash of what shapes output besides content: Broadsheet's source, library versions and which
    speed-ups run (the same output either way, but templates compile differently)."""
    return _code_version(speedups.state())


@cache
def _code_version(speedups_state: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(
        f"{__version__}|{SETTINGS_KEY}|jinja2={jinja2.__version__}|md={_markdown.__version__}"
        f"|yaml={yaml.__version__}|{speedups_state}".encode()
    )
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(slots=True)
class ContentEntry:
    """One content file's cached parse."""

    stamp: Stamp
    """The file's stamp when it was read (see filestamp.py)."""
    digest: str
    doc: Document
    rendered: Rendered
    warnings: list[BuildWarning]


#: The cache file: SQLite, so that a build that changed one article writes one row, not the whole cache.
CACHE_FILE = "cache.sqlite"
#: SQLite page size of a cache file made anew, and how much of the file reads may map into memory.
PAGE_BYTES = 65536
MMAP_BYTES = 1 << 32
#: Content rows asked for one query each before the rest are read at once (see BuildCache._row).
ROWS_ONE_BY_ONE = 200
#: The columns of a content row, as :func:`_content_row` takes them.
_ROW_COLUMNS = "rel, size, mtime_ns, ino, ctime_ns, digest, entry"


def _content_row(
    rel: str, size: int, mtime: int, ino: int, ctime: int, digest: bytes | str, entry: bytes
) -> tuple[str, tuple[Stamp, str, bytes]]:
    """A content row of the cache file as :attr:`BuildCache.rows` holds it."""
    return rel, ((size, mtime, ino, ctime), unpack_hash(digest), entry)


#: The parts of the cache kept whole (each a pickled value in the ``blobs`` table).
BLOBS = ("search", "related", "made", "links", "shapes", "readers")
#: The name of the content rows' preset dictionary in ``blobs`` (the bodies' is bodystore.DICTIONARY_BLOB).
CONTENT_DICTIONARY = "dictionary-content"
_CACHE_ERRORS = (
    OSError,
    sqlite3.Error,
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    KeyError,
    TypeError,
    ValueError,
    ImportError,
    IndexError,
    zlib.error,
)


@dataclass(slots=True)
class BuildCache:
    """The cache of one site, loaded at the start of a build and saved at its end.

    Content entries are stored one row per file and unpickled when a build looks them up;
    saving writes only the rows that changed and the whole-kept parts that changed.
    """

    folder: Path | None
    content: dict[str, ContentEntry] = field(default_factory=dict)
    pages: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """Output folder → URL → (fingerprint, output hash); an output's read when first asked for."""
    search: dict[str, tuple[dict[str, tuple[str, dict[str, str]]], dict[str, str]]] = field(default_factory=dict)
    """Output folder → (search index shard → (hash of its pages, its file → the file's hash), page hash →
    hash of what the index reads of it); see publish/search.py."""
    facts: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)
    """Output folder → HTML page → (hash, search mark); its links are read apart (:meth:`stored_links`)."""
    related: tuple[str, dict[str, tuple[str, ...]]] | None = None
    """(hash of what the ranking read, article URL → related URLs) of the last ranking."""
    made: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)
    """Output folder → generated set of files (sitemaps) → (hash of its inputs, file → its hash)."""
    links: dict[
        str,
        tuple[
            str,
            tuple[str, ...],
            dict[str, tuple[str, ...]],
            tuple[str, dict[str, list[tuple[str, int]]]] | None,
        ],
    ] = field(default_factory=dict)
    """Output folder → (hash of the base URL and what the link check ignores, the output's files
    (sorted), each HTML page that had broken links → those links, and where the broken links are
    written with the hash of what that was found in): while no file goes, a kept page's other links
    stay good, and while the sources are the same the broken links are where they were (see
    stages.publish.check_links_of)."""
    shapes: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    """Output folder → (how its pages were made up, article URL → its source's hash) when its
    fingerprints were recorded (see stages.render.reuse_pages)."""
    readers: tuple[str, dict[str, bool]] | None = None
    """The key of the pages' input (which covers the templates) → template name → whether it reads
    an article's links (see engine.templates_reading_links): each template is parsed once, not in
    every build."""
    dirty: bool = True
    """Whether anything changed since the cache was read (an unchanged cache is not written again)."""
    rows: dict[str, tuple[Stamp, str, bytes]] = field(default_factory=dict)
    """Stored content rows read and not looked up yet: path → (stamp, digest, pickled entry)."""
    rows_unread: bool = False
    """Whether the cache file holds content rows not read into :attr:`rows` yet (see :meth:`_row`)."""
    row_reads: int = 0
    """Content rows read one by one so far."""
    changed: set[str] = field(default_factory=set)
    """Content paths stored or touched since loading."""
    seen: dict[str, tuple[os.stat_result, int]] = field(default_factory=dict)
    """Content path → its ``stat`` when looked up in this build, and when (ns) it was taken."""
    removed: set[str] = field(default_factory=set)
    """Content paths dropped since loading."""
    stored: dict[str, bytes] = field(default_factory=dict)
    """The whole-kept parts as read (pickled), to write only those that changed."""
    fresh: bool = True
    """Whether the file on disk must be started anew (missing, unreadable or outdated)."""
    version: str = ""
    """Code version plus what parsing depends on (the site's time zone): a mismatch empties the cache."""
    timezone: str = ""
    """The site's time zone (to parse a file again whose stored body cannot be read)."""
    lazy: dict[str, tuple[str, Body]] = field(default_factory=dict)
    """Bodies handed out unread: content path → (file hash, body); see :meth:`read_bodies`."""
    read: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(table, output folder) → its rows as read or last saved, to write only the rows that changed."""
    new_links: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    """Output folder → HTML page → links, of the facts set since the last save."""
    ranking: bytes | None = None
    """The head row of the related ranking's kept state (see related/incremental.py), as read or set."""
    ranking_updates: list[tuple[bytes | None, dict[str, bytes], list[str], bool]] = field(default_factory=list)
    """Changes to the ranking's rows not saved yet (see RankingState.rows_to_save), in order."""
    ranking_synced: bool = False
    """Whether this build ranked with every article's input hashed: the state then matches the site
    as read (see stages.rank.ranked_lists)."""
    ranking_matches: bool = False
    """Whether the ranking's kept state matches the site as read, known without hashing every article:
    this build took the last ranking's lists, and the state was saved by the ranking that made them
    (see :meth:`ranking_input`)."""
    ranking_input_key: str | None = None
    """The key of the ranking's input the state is saved as matching (see :meth:`ranking_input`):
    set when this build ranked every article and remembered the lists under that key."""
    ranking_moved: bool = False
    """Whether this build's ranking changed a related list: the kept plan's lists are then no longer
    the state's (see :meth:`ranking_lists_moved`)."""
    store_path: str = ""
    """The cache file's path as text, once asked for (see :meth:`body_ref`)."""
    dictionaries: tuple[bytes, bytes] = (b"", b"")
    """The preset dictionaries the cache file's content and body rows are packed with (see
    rowpack.py): made from the first rows written to a file made anew, kept as long as the file."""

    @classmethod
    def load(cls, site_root: Path, enabled: bool = True, timezone: str = "", markdown_key: str = "") -> BuildCache:
        """Open the site's cache; an unreadable or outdated one starts empty.

        Parses depend on the site's time zone (dates without an offset are read in it) and its
        Markdown settings and shortcodes (``markdown_key``), so both are part of the cache's version.
        """
        if not enabled:
            return cls(None)
        version = cache_version(timezone, markdown_key)
        folder = site_root / CACHE_DIR
        path = folder / CACHE_FILE
        if not path.is_file():
            return cls(folder, version=version, timezone=timezone)
        try:
            with closing(sqlite3.connect(path)) as db:
                # Read through a memory map: a large site's parses are read whole at each build,
                # and read() calls page by page cost more than the rows' own unpickling.
                db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
                blobs = dict(db.execute("SELECT name, value FROM blobs"))
                if blobs.get("version") != version.encode():
                    return cls(folder, version=version, timezone=timezone)
            # (Stored compressed: see save. The pickles are kept as read, to write only those that change.)
            pickled = {name: zlib.decompress(blobs[name]) for name in BLOBS if name in blobs}
            parts = {name: pickle.loads(value) for name, value in pickled.items()}
            return cls(
                folder,
                {},
                {},
                parts.get("search", {}),
                {},
                parts.get("related"),
                parts.get("made", {}),
                parts.get("links", {}),
                parts.get("shapes", {}),
                parts.get("readers"),
                dirty=False,
                rows_unread=True,
                stored=pickled,
                fresh=False,
                dictionaries=(bytes(blobs.get(CONTENT_DICTIONARY, b"")), bytes(blobs.get(DICTIONARY_BLOB, b""))),
                version=version,
                timezone=timezone,
            )
        except _CACHE_ERRORS:
            return cls(folder, version=version, timezone=timezone)

    def _row(self, rel: str) -> tuple[Stamp, str, bytes] | None:
        """The stored content row of ``rel`` not looked up yet, taken out (None: none).

        Rows are read when first asked for, not when the cache is opened: a build resumed from the
        kept plan asks for those of the files edited since (a large site's rows are a hundred
        megabytes). Past :data:`ROWS_ONE_BY_ONE` rows asked for, the rest are read at once."""
        row = self.rows.pop(rel, None)
        if row is None and self.rows_unread:
            self.row_reads += 1
            if self.row_reads > ROWS_ONE_BY_ONE:
                self.read_rows()
                row = self.rows.pop(rel, None)
            else:
                found = self._table(f"SELECT {_ROW_COLUMNS} FROM content WHERE rel = ?", rel)
                row = _content_row(*found[0])[1] if found else None
        return row

    def read_rows(self) -> None:
        """Read every stored content row not read yet (those looked up already are left out): for a
        build that looks up every content file."""
        if not self.rows_unread or self.folder is None:
            return
        self.rows_unread = False
        try:
            with closing(sqlite3.connect(self.folder / CACHE_FILE)) as db:
                # Read through a memory map: read() calls page by page cost more than the rows' unpickling.
                db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
                found = [_content_row(*r) for r in db.execute(f"SELECT {_ROW_COLUMNS} FROM content")]
        except sqlite3.Error:
            return  # parsed again
        self.rows.update((rel, row) for rel, row in found if rel not in self.content)

    def _entry(self, source: SourceFile) -> ContentEntry | None:
        rel = source.rel
        entry = self.content.get(rel)
        row = self._row(rel) if entry is None else None
        if row is not None:
            stamp, digest, blob = row
            try:
                row_value = pickle.loads(unpack(blob, self.dictionaries[0]))
                fields, body_line, toc, first, words, opening, blank, warnings = row_value
                values = list(fields)
                for i in _TIME_FIELDS:
                    values[i] = _time_of(values[i])
                if values[_NOTICES_FIELD] is None:
                    values[_NOTICES_FIELD] = _NO_NOTICES
                meta = FrontMatter(*values)
            except _CACHE_ERRORS:
                return None
            body = Body(ref=self.body_ref(source, digest), opening=opening, blank=blank)
            self.lazy[rel] = (digest, body)
            doc = Document(source, meta, "", body_line, digest)
            entry = ContentEntry(stamp, digest, doc, Rendered(body, toc, first, words), warnings)
            self.content[rel] = entry
        return entry

    def body_ref(self, source: SourceFile, digest: str) -> BodyRef:
        """Where the stored body of a content file with hash ``digest`` is kept (see bodystore.py)."""
        assert self.folder is not None
        return BodyRef(self._store_path(), source.rel, source.file, source.is_page, digest, self.timezone)

    def _store_path(self) -> str:
        """The cache file's path as text (made once: every content file's body names it)."""
        assert self.folder is not None
        if not self.store_path:
            self.store_path = str(self.folder / CACHE_FILE)
        return self.store_path

    def evict_bodies(self) -> None:
        """Let go of the bodies in memory whose rows are saved (see :meth:`save_content`): each is
        read again from the cache when next used."""
        if self.folder is None or self.fresh or self.changed:
            return  # not saved (yet): the rows may be missing
        for rel, e in self.content.items():
            body = e.rendered.body
            if body.loaded:
                body.evict(self.body_ref(e.doc.source, e.digest))
                self.lazy[rel] = (e.digest, body)

    def lookup(self, source: SourceFile) -> tuple[ContentEntry | None, bytes | None]:
        """Return the cached entry for an unchanged file, or the file's bytes to parse it anew.

        A file whose stamp (see filestamp.py) is not the one stored is read and hashed: the same
        bytes keep their parse. The ``stat`` is taken before any read, so that :meth:`store`
        remembers a stamp no later than the bytes parsed.
        """
        entry = self._entry(source)
        try:
            taken = time.time_ns()
            st = os.stat(source.file)
        except OSError:
            return None, None
        self.seen[source.rel] = (st, taken)
        stamp = stamp_of(st)
        if entry is not None and entry.stamp == stamp:
            return entry, None
        if entry is None:
            return None, None  # the parser reads it
        try:
            raw = source.path.read_bytes()
        except OSError:
            return None, None
        if content_digest(raw) == entry.digest:
            fresh = trusted_stamp(st, taken)
            if fresh != entry.stamp:
                # Touched or copied in, not changed: the new stamp is stored, or a stamp too recent
                # to trust when stored is trusted now. (One still too recent stays as it is.)
                entry.stamp = fresh
                self.changed.add(source.rel)
                self.dirty = True
            return entry, None
        return None, raw

    def store(self, source: SourceFile, doc: Document, rendered: Rendered, warnings: list[BuildWarning]) -> None:
        """Remember a fresh parse, with the stamp its file had when it was looked up (before it was read)."""
        seen = self.seen.get(source.rel)
        if seen is None:
            try:
                seen = (os.stat(source.file), 0)  # not looked up: a stamp never trusted
            except OSError:
                return
        st, taken = seen
        self.content[source.rel] = ContentEntry(
            trusted_stamp(st, taken) if taken else (*stamp_of(st)[:3], RACY), doc.digest, doc, rendered, warnings
        )
        self.lazy.pop(source.rel, None)  # the old parse's body, never needed now
        self.changed.add(source.rel)
        self.dirty = True

    def forget_missing(self, present: Iterable[str]) -> None:
        """Drop entries of files that no longer exist."""
        keep = set(present)
        self.read_rows()
        for rel in [r for r in (*self.content, *self.rows) if r not in keep]:
            self.content.pop(rel, None)
            self.rows.pop(rel, None)
            self.lazy.pop(rel, None)
            self.changed.discard(rel)
            self.removed.add(rel)
            self.dirty = True

    def related_lists(self, key: str) -> dict[str, tuple[str, ...]] | None:
        """The related lists of the last ranking, if it read what has hash ``key``."""
        return self.related[1] if self.related is not None and self.related[0] == key else None

    def set_related(self, key: str, lists: dict[str, tuple[str, ...]]) -> None:
        """Remember a ranking."""
        if self.folder is not None:
            self.related = (key, lists)
            self.dirty = True
            if self.ranking_synced:  # the state was made from this very input: it matches the key
                self.ranking_input_key = key

    def ranking_input(self) -> str | None:
        """The key of the ranking's input its kept state was saved as matching (see
        stages.rank.rank_related_if_cached), or None: the state was changed since by a ranking that
        did not hash every article (a resumed build's), or never matched a key."""
        rows = self._table("SELECT value FROM ranking WHERE name = 'input'")
        return bytes(rows[0][0]).decode() if rows else None

    def ranking_state(self) -> bytes | None:
        """The head row of the related ranking's state as the last ranking kept it (None: none, or no
        cache); its articles' rows are :meth:`ranking_rows`."""
        if self.ranking is None:
            rows = self._table("SELECT value FROM ranking WHERE name = 'head'")
            if rows:
                self.ranking = bytes(rows[0][0])
        return self.ranking

    @staticmethod
    def kept_ranking(site_root: Path, version: str) -> tuple[bytes, list[tuple[str, bytes]]] | None:
        """The related ranking's kept state as :meth:`ranking_state` and :meth:`ranking_rows` give it,
        read from the site's cache file without loading the cache (for a helper started before the
        build loads it: see stages/aside.py); None without one, or when the file is of another
        ``version`` (see :func:`cache_version`): :meth:`load` would start that cache anew."""
        path = site_root / CACHE_DIR / CACHE_FILE
        try:
            if not path.is_file():
                return None
            db = reader(path)
            if db.execute("SELECT value FROM blobs WHERE name = 'version'").fetchall() != [(version.encode(),)]:
                return None
            head = db.execute("SELECT value FROM ranking WHERE name = 'head'").fetchall()
            if not head:
                return None
            return bytes(head[0][0]), db.execute("SELECT key, row FROM ranked").fetchall()
        except _CACHE_ERRORS:
            return None

    def ranking_rows(self) -> list[tuple[str, bytes]]:
        """The rows of the related ranking's articles as saved (those set since not included)."""
        return self._table("SELECT key, row FROM ranked")

    def set_ranking_state(self, head: bytes | None, rows: dict[str, bytes], gone: list[str], whole: bool) -> None:
        """Keep changes to the related ranking's state for the next build (see RankingState.rows_to_save)."""
        if self.folder is not None and (head is not None or rows or gone or whole):
            if head is not None:
                self.ranking = head
            self.ranking_updates.append((head, rows, gone, whole))
            self.dirty = True

    def ranking_token(self) -> str | None:
        """The token of the kept plan the ranking's state was last made to match (see
        stages/resume.py), or None."""
        rows = self._table("SELECT value FROM ranking WHERE name = 'plan'")
        return bytes(rows[0][0]).decode() if rows else None

    def ranking_lists_moved(self) -> bool:
        """Whether a build since the kept plan named by :meth:`ranking_token` changed a related list
        in the state (a build resumed from that plan that did not keep its own): the state's lists
        are then not the plan's."""
        return bool(self._table("SELECT 1 FROM ranking WHERE name = 'moved'"))

    def ranking_digests(self, keys: Collection[str]) -> dict[str, str]:
        """The hash of what the ranking read of each of these articles, as its kept state holds it
        (an article it does not hold, or a row it cannot read, is left out)."""
        keys = list(keys)
        rows = self._table(f"SELECT key, row FROM ranked WHERE key IN ({', '.join('?' * len(keys))})", *keys)
        found = {key: row_digest(bytes(row)) for key, row in rows}
        return {key: digest for key, digest in found.items() if digest is not None}

    def set_ranking_token(self, token: str | None) -> None:
        """Name the kept plan the ranking's state matches (None: none), in the saved cache at once."""
        if self.folder is None or self.fresh or self.dirty:
            return  # not saved: the state on disk is not this build's
        try:
            with closing(self._open()) as db, db:
                db.execute("DELETE FROM ranking WHERE name IN ('plan', 'moved')")
                if token is not None:
                    db.execute("INSERT INTO ranking VALUES ('plan', ?)", (token.encode(),))
        except (OSError, sqlite3.Error):
            pass

    def _table(self, sql: str, *params: Any) -> list[Any]:
        """Rows of the cache file as loaded (none when it is made anew or cannot be read)."""
        if self.folder is None or self.fresh:
            return []
        try:
            with closing(reader(self.folder / CACHE_FILE).execute(sql, params)) as rows:
                return rows.fetchall()
        except _CACHE_ERRORS:
            return []

    def facts_of(self, output: Path) -> dict[str, tuple[str, bool]]:
        """The remembered hash and search mark of each HTML page of one output folder."""
        key = output_key(output)
        facts = self.facts.get(key)
        if facts is None:
            rows = self._table("SELECT path, digest, mark FROM facts WHERE output = ?", key)
            facts = self.facts[key] = {path: (unpack_hash(digest), bool(mark)) for path, digest, mark in rows}
            self.read["facts", key] = dict(facts)
        return facts

    def stored_links(self, output: Path, paths: Collection[str] | None = None) -> dict[str, tuple[str, ...]]:
        """The links stored with the HTML pages of one output folder (of all with ``paths`` None)."""
        key = output_key(output)
        if paths is not None and len(paths) < 200:
            rows: list[Any] = []
            for path in paths:
                rows += self._table("SELECT path, links FROM facts WHERE output = ? AND path = ?", key, path)
        else:
            rows = self._table("SELECT path, links FROM facts WHERE output = ?", key)
        coded: dict[str, array[int]] = {}
        for path, blob in rows:
            ids = array("i")
            with suppress(ValueError, TypeError):  # else read back from the output by the caller
                ids.frombytes(blob)
                coded[path] = ids
        wanted = {i for ids in coded.values() for i in ids}
        # One pass over the table (keyed by text, not number): links are read back rarely, and then
        # mostly for many pages (see stages.publish.check_links_of).
        texts = {i: link for i, link in self._table("SELECT id, link FROM linktext") if i in wanted} if wanted else {}
        found: dict[str, tuple[str, ...]] = {}
        for path, ids in coded.items():
            with suppress(KeyError):  # a link not kept after all: read back from the output by the caller
                found[path] = tuple([texts[i] for i in ids])
        return found

    def set_facts(self, output: Path, facts: dict[str, tuple[str, tuple[str, ...] | None, bool]]) -> None:
        """Replace the remembered facts of the HTML pages of one output folder.

        A page given without its links (None) is one whose hash is remembered: its links stay.
        """
        if self.folder is None:
            return
        key = output_key(output)
        before = self.facts_of(output)
        links = self.new_links.setdefault(key, {})
        for path, (digest, page_links, mark) in facts.items():
            if page_links is not None and before.get(path) != (digest, mark):
                links[path] = page_links
        now = {path: (digest, mark) for path, (digest, _, mark) in facts.items()}
        if now != before:
            self.facts[key] = now
            self.dirty = True

    def shape_of(self, output: Path) -> tuple[str, dict[str, str]] | None:
        """How the pages of one output folder were made up when their fingerprints were recorded."""
        return self.shapes.get(output_key(output))

    def set_shape(self, output: Path, shape: tuple[str, dict[str, str]]) -> None:
        """Record how the pages whose fingerprints are recorded next are made up."""
        key = output_key(output)
        if self.folder is not None and self.shapes.get(key) != shape:
            self.shapes[key] = shape
            self.dirty = True

    def template_readers(self, site_key: str) -> dict[str, bool]:
        """Which templates read an article's links, as found so far under ``site_key`` (the key of
        the pages' input, which covers every template's source): filled in by
        engine.templates_reading_links, kept with the cache."""
        if self.readers is None or self.readers[0] != site_key:
            self.readers = (site_key, {})
            self.dirty = self.dirty or self.folder is not None
        return self.readers[1]

    def set_pages(self, output: Path, pages: dict[str, tuple[str, str]]) -> None:
        """Replace the page fingerprints of one output folder."""
        key = output_key(output)
        if self.page_store(output) != pages:
            self.pages[key] = pages
            self.dirty = True

    def page_store(self, output: Path) -> dict[str, tuple[str, str]]:
        """The page fingerprints recorded for one output folder."""
        key = output_key(output)
        store = self.pages.get(key)
        if store is None:
            rows = self._table("SELECT url, print, digest FROM prints WHERE output = ?", key)
            store = self.pages[key] = {url: (unpack_hash(fp), unpack_hash(digest)) for url, fp, digest in rows}
            self.read["prints", key] = dict(store)
        return store

    def _save_rows(self, db: sqlite3.Connection) -> None:
        """Write the prints and facts rows that changed since they were read (all, in a file made anew)."""
        for key, store in self.pages.items():
            before = self.read.get(("prints", key), {})
            db.executemany(
                "INSERT OR REPLACE INTO prints VALUES (?, ?, ?, ?)",
                (
                    (key, url, pack_hash(fp), pack_hash(digest))
                    for url, (fp, digest) in store.items()
                    if before.get(url) != (fp, digest)
                ),
            )
            db.executemany(
                "DELETE FROM prints WHERE output = ? AND url = ?", [(key, url) for url in before if url not in store]
            )
        for key, facts in self.facts.items():
            before = self.read.get(("facts", key), {})
            links = self.new_links.get(key, {})
            rows = [
                (path, digest, mark)
                for path, (digest, mark) in facts.items()
                if before.get(path) != (digest, mark) and path in links
            ]
            ids = _link_ids(db, {link for path, _, _ in rows for link in links[path]})
            # One row at a time: a cold build of a large site writes every page's links.
            db.executemany(
                "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?)",
                (
                    (key, path, pack_hash(digest), int(mark), array("i", [ids[link] for link in links[path]]).tobytes())
                    for path, digest, mark in rows
                ),
            )
            db.executemany(
                "DELETE FROM facts WHERE output = ? AND path = ?", [(key, path) for path in before if path not in facts]
            )

    def _make_dictionaries(self, db: sqlite3.Connection) -> None:
        """Make and store the preset dictionaries of a cache file made anew, from a sample of the
        rows about to be written to it (see rowpack.py)."""
        entries = [self.content[rel] for rel in sorted(self.changed) if rel in self.content]
        step = max(1, len(entries) // DICTIONARY_ROWS)
        sample = entries[::step]
        bodies = [body_bytes(e.rendered.body.html) for e in sample if e.rendered.body.loaded]
        self.dictionaries = (make_dictionary([_entry_bytes(e) for e in sample]), make_dictionary(bodies))
        db.executemany(
            "INSERT OR REPLACE INTO blobs VALUES (?, ?)",
            [(CONTENT_DICTIONARY, self.dictionaries[0]), (DICTIONARY_BLOB, self.dictionaries[1])],
        )

    def _rows_to_write(self) -> Iterator[tuple[str, int, int, int, int, bytes | str, bytes]]:
        """The changed content rows, pickled one at a time (not all held at once)."""
        for rel in sorted(self.changed):
            e = self.content.get(rel)
            if e is not None:
                # Compressed at the fastest level, with the file's dictionary: the summary, first
                # paragraph and table of contents repeat each other and the front matter, and
                # every row names the same fields.
                yield (rel, *e.stamp, pack_hash(e.digest), pack(_entry_bytes(e), 1, self.dictionaries[0]))

    def _bodies_to_write(self) -> Iterator[tuple[bytes | str, bytes, str]]:
        """The body rows of the changed content rows whose body is in memory (a file only touched keeps
        its stored body, unread): (hash, packed HTML, path)."""
        for rel in sorted(self.changed):
            e = self.content.get(rel)
            if e is not None and e.rendered.body.loaded:
                yield pack_hash(e.digest), pack_body(e.rendered.body.html, self.dictionaries[1]), rel

    def _make_folder(self) -> None:
        """Make the cache folder, telling git to ignore it."""
        assert self.folder is not None
        self.folder.mkdir(exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")

    def templates_dir(self) -> Path | None:
        """The folder for this code version's compiled templates (made now; older versions' removed)."""
        if self.folder is None:
            return None
        name = f"templates-{code_version()[:16]}"
        try:
            self._make_folder()
            for old in self.folder.glob("templates-*"):
                if old.name != name and old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old, ignore_errors=True)
            (self.folder / name).mkdir(exist_ok=True)
        except OSError:
            return None  # templates are compiled afresh, as without a cache
        return self.folder / name

    def _open(self) -> sqlite3.Connection:
        """Connect to the cache file, made anew (with its tables) when it is ``fresh``."""
        assert self.folder is not None
        path = self.folder / CACHE_FILE
        self._make_folder()
        if self.fresh:
            path.unlink(missing_ok=True)
        db = sqlite3.connect(path, timeout=30)
        # Large pages: a parse (rendered body and text) is about 10 kB, which small pages split in three.
        db.execute(f"PRAGMA page_size={PAGE_BYTES}")
        db.execute("CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, value BLOB)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS content (rel TEXT PRIMARY KEY, size INTEGER, "
            "mtime_ns INTEGER, ino INTEGER, ctime_ns INTEGER, digest TEXT, entry BLOB)"
        )
        # Under its content row's number, not its path: the path and its index were a tenth of the table.
        db.execute("CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, digest TEXT, value BLOB)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS prints (output TEXT, url TEXT, print TEXT, digest TEXT, "
            "PRIMARY KEY (output, url)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS facts (output TEXT, path TEXT, digest TEXT, mark INTEGER, "
            "links BLOB, PRIMARY KEY (output, path)) WITHOUT ROWID"
        )
        db.execute("CREATE TABLE IF NOT EXISTS ranking (name TEXT PRIMARY KEY, value BLOB)")
        db.execute("CREATE TABLE IF NOT EXISTS ranked (key TEXT PRIMARY KEY, row BLOB) WITHOUT ROWID")
        # Keyed by the text alone (no second index): numbers are looked up from texts at each save,
        # texts from numbers only when kept pages' links are checked again.
        db.execute("CREATE TABLE IF NOT EXISTS linktext (link TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID")
        return db

    def save_content(self) -> None:
        """Write the changed content rows now (a build does it while its workers render).

        Each row stands on its own, keyed by its file's hash, and the other parts describe the
        output as it was before this build (a file made anew has none yet): a build that fails
        after this leaves nothing a later build would misread, and its parses serve the next one.
        Failures are ignored, as in :meth:`save`.
        """
        if self.folder is None or not (self.changed or self.removed or self.fresh):
            return
        try:
            with closing(self._open()) as db, db:
                if self.fresh:
                    self.changed |= set(self.content)
                    self._make_dictionaries(db)
                # An update in place keeps the row's number, which its body's row is kept under.
                db.executemany(
                    "INSERT INTO content VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rel) DO UPDATE SET "
                    "size = excluded.size, mtime_ns = excluded.mtime_ns, ino = excluded.ino, "
                    "ctime_ns = excluded.ctime_ns, digest = excluded.digest, entry = excluded.entry",
                    self._rows_to_write(),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO bodies SELECT rowid, ?, ? FROM content WHERE rel = ?",
                    self._bodies_to_write(),
                )
                gone = [(rel,) for rel in sorted(self.removed)]
                db.executemany("DELETE FROM bodies WHERE id IN (SELECT rowid FROM content WHERE rel = ?)", gone)
                db.executemany("DELETE FROM content WHERE rel = ?", gone)
                db.execute(
                    "INSERT OR REPLACE INTO blobs VALUES (?, ?)", ("version", (self.version or code_version()).encode())
                )
            self.changed.clear()
            self.removed.clear()
            if self.fresh:
                self.stored.clear()  # a file made anew holds no parts yet: save() writes them all
            self.fresh = False
        except (OSError, sqlite3.Error):
            pass

    def save(self) -> None:
        """Write what changed, in one transaction; failures are ignored (the next build starts cold)."""
        if self.folder is None or not self.dirty:
            return
        if self.fresh or self.changed or self.removed:
            self.save_content()
        try:
            with closing(self._open()) as db, db:
                self._save_rows(db)
                parts = {
                    "search": self.search,
                    "related": self.related,
                    "made": self.made,
                    "links": self.links,
                    "shapes": self.shapes,
                    "readers": self.readers,
                }
                if self.ranking_synced and self.ranking_updates:
                    # Made to match the site as read now: no longer known to match a kept plan.
                    db.execute("DELETE FROM ranking WHERE name = 'plan'")
                if self.ranking_moved:
                    db.execute("INSERT OR REPLACE INTO ranking VALUES ('moved', x'01')")
                if self.ranking_input_key is not None:
                    db.execute("INSERT OR REPLACE INTO ranking VALUES ('input', ?)", (self.ranking_input_key.encode(),))
                elif self.ranking_updates:  # changed by a ranking that did not hash every article
                    db.execute("DELETE FROM ranking WHERE name = 'input'")
                for head, rows, gone, whole in self.ranking_updates:
                    if whole:
                        db.execute("DELETE FROM ranked")
                    if head is not None:
                        db.execute("INSERT OR REPLACE INTO ranking VALUES ('head', ?)", (head,))
                    db.executemany("DELETE FROM ranked WHERE key = ?", [(key,) for key in gone])
                    db.executemany("INSERT OR REPLACE INTO ranked VALUES (?, ?)", rows.items())
                for name, value in parts.items():
                    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                    if self.stored.get(name) != blob:
                        # At zlib's fastest level: the lists, links and shapes of a large site's pages
                        # are URLs and hashes, a third of their size packed (11 MB each at 100,000).
                        db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (name, zlib.compress(blob, 1)))
                        self.stored[name] = blob
                db.execute(
                    "INSERT OR REPLACE INTO blobs VALUES (?, ?)", ("version", (self.version or code_version()).encode())
                )
            self.dirty = False
            self.ranking_updates.clear()
            self.ranking_moved = False
            self.ranking_input_key = None
            self.read = {
                **{("prints", key): dict(store) for key, store in self.pages.items()},
                **{("facts", key): dict(facts) for key, facts in self.facts.items()},
            }
            self.new_links.clear()
        except (OSError, sqlite3.Error):
            pass


def _entry_bytes(e: ContentEntry) -> bytes:
    """A content row's value before packing: the parse pickled as plain values. Not kept: the
    Markdown source (the rendered body is what later builds use) and the file's path (the build
    looking it up has it). The front matter as a tuple: see the module's docstring."""
    meta = e.doc.meta
    r = e.rendered
    row = (
        tuple(
            _plain_time(value) if i in _TIME_FIELDS else None if i == _NOTICES_FIELD and value == _NO_NOTICES else value
            for i, value in enumerate(getattr(meta, name) for name in _META_FIELDS)
        ),
        e.doc.body_line,
        r.toc,
        r.first_paragraph,
        r.words,
        r.body.opening,
        r.body.blank,
        e.warnings,
    )
    return pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)


def _link_ids(db: sqlite3.Connection, links: Collection[str]) -> dict[str, int]:
    """The number standing for each link in the facts rows (table ``linktext``), new links numbered now.

    Pages repeat the same links (navigation, footer, the same story from many listings): a page's
    row holds its links' numbers, a tenth of their text.
    """
    ids: dict[str, int] = {}
    if len(links) >= 2_000:  # most of them, likely: one pass over the table
        ids = {link: i for i, link in db.execute("SELECT id, link FROM linktext") if link in links}
    else:
        ordered = sorted(links)
        for start in range(0, len(ordered), 900):
            part = ordered[start : start + 900]
            marks = ",".join("?" * len(part))
            ids.update(db.execute(f"SELECT link, id FROM linktext WHERE link IN ({marks})", part))
    new = sorted(link for link in links if link not in ids)
    if new:
        # The next number is kept with the other small parts (the table is not indexed by number).
        row = db.execute("SELECT value FROM blobs WHERE name = ?", (_LINKS_NUMBERED,)).fetchone()
        first = int(row[0]) if row is not None else 1
        db.executemany("INSERT INTO linktext VALUES (?, ?)", ((link, i) for i, link in enumerate(new, first)))
        db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (_LINKS_NUMBERED, str(first + len(new)).encode()))
        ids.update((link, i) for i, link in enumerate(new, first))
    return ids


#: The ``blobs`` row holding the number the next new link gets (see :func:`_link_ids`).
_LINKS_NUMBERED = "links-numbered"


#: A moment in a content row: its fields, then how its time zone is named (see _plain_time).
_TIME = "time"


def _plain_time(value: Any) -> Any:
    """A datetime as a tuple of plain values when its time zone can be made again from a name (UTC, a
    zoneinfo zone, a fixed offset without a name of its own); anything else as it is.

    Unpickling a datetime with its zone costs more than the rest of a content row: a warm build reads
    every row, and every article has a date.
    """
    if type(value) is not datetime:
        return value
    tz = value.tzinfo
    if tz is UTC:
        zone: tuple[str, Any] = ("utc", None)
    elif type(tz) is ZoneInfo and tz.key and ZoneInfo(tz.key) is tz:
        zone = ("zone", tz.key)
    elif type(tz) is timezone and tz == timezone(tz.utcoffset(None)) and repr(tz) == repr(timezone(tz.utcoffset(None))):
        zone = ("offset", tz.utcoffset(None).total_seconds())
    else:
        return value
    v = value
    return (_TIME, v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.fold, *zone)


@cache
def _zone(kind: str, name: Any) -> tzinfo:
    """The time zone named by :func:`_plain_time` (one object per name, as zoneinfo keeps them)."""
    if kind == "utc":
        return UTC
    if kind == "zone":
        return ZoneInfo(name)
    return timezone(timedelta(seconds=name))


def _time_of(value: Any) -> Any:
    """A value as :func:`_plain_time` gave it back as it was."""
    if type(value) is tuple and len(value) == 11 and value[0] == _TIME:
        _, year, month, day, hour, minute, second, micro, fold, kind, name = value
        return datetime(year, month, day, hour, minute, second, micro, _zone(kind, name), fold=fold)
    return value


#: The front matter's fields, in the order a content row holds them.
_META_FIELDS = tuple(f.name for f in dataclasses.fields(FrontMatter))
#: Where a content row holds the article's corrections and live entries: None when it has none (most
#: articles; unpickling even an empty dataclass costs as much as the rest of the front matter).
_NOTICES_FIELD = _META_FIELDS.index("notices")
_NO_NOTICES = Notices()
#: The positions of the front matter's moments in a content row (see _plain_time).
_TIME_FIELDS = tuple(
    i for i, name in enumerate(_META_FIELDS) if name in ("date", "updated", "expires", "featured_until")
)

#: Context entries made from the rest of the context, the URL, the template and the site's
#: configuration, all of which the fingerprint covers: ``seo`` (see seo.page_seo), which
#: pages planned for a warm build do not even carry (see render.plan_pages).
DERIVED_CONTEXT = frozenset({"seo"})


class Fingerprinter:
    """Hashes pages' contexts for one build; what many pages share is hashed once.

    An article as a page can show it: its own fields (its source's hash, URL, resolved names)
    and those of the articles it links to (related, previous, next: every link field of the
    view, see render/shows.py), one level deep. Articles, categories,
    tags and authors are shared objects, so their part of the hash is remembered by identity
    (the objects are kept alive with it, so an identity is never reused).

    A page's parts are gathered as a list of strings, joined with NUL and hashed once: a warm
    build fingerprints every page, and formatting, encoding or hashing each part costs more than
    the parts (see :func:`_joined`). A part starts with a mark naming its kind, and strings come
    whole after a mark of their own, so the parts read back as the one context they came from:

    ``s`` then a string; ``p<repr>`` an int, float, bool or None; ``[`` items ``]`` a list or
    tuple; ``K<repr of its sorted keys>`` then their values and ``}`` a dict with string keys
    (else ``{`` keys and values, by sorted keys, ``}``); ``A<hash>`` an article (``C<hash>``: its own
    fields only, see ``links``); ``N<hash of its repr>`` a category, tag or author; ``S`` the site
    (covered by the pages' key, see inputs.PagesInput); ``L`` then the
    name and URL of a link (``l`` then their parts when they are not strings); ``D<type>``
    fields ``)`` another dataclass; ``Q<type>`` a list and ``M<type>`` a dict of another type
    (subclasses); ``b<type>:<hex>`` bytes; ``r<type>`` then the repr of anything else.
    """

    def __init__(self, site_key: str, links: bool = True) -> None:
        self.site_key = site_key
        self.links = links
        """Whether an article's part holds its related, previous and next articles' (see :class:`PageFingerprints`)."""
        self._tokens: dict[int, str] = {}
        """id → part of a shared object (an article, a name) already seen."""
        self._own: dict[int, str] = {}
        """id → hash of an article's own part (see :meth:`_own_key`)."""
        self._alive: list[object] = []
        """The objects remembered by id above, kept alive so that no other object takes their id."""
        self._shapes: dict[tuple[frozenset[str], tuple[Any, ...]], tuple[str, Callable[[Any], Any]] | None] = {}
        """(keys left out, a dict's keys in its order) → its keys' part and values getter (see _shape)."""
        # Exact types with a part of their own; others (subclasses too) get one on first sight (_handler).
        self._exact: dict[type, Callable[[Any, list[str]], None]] = {
            str: self._str,
            ArticleView: self._view,
            SiteView: self._site,
            Link: self._link,
            Category: self._named,
            Tag: self._named,
            Author: self._named,
            list: self._seq,
            tuple: self._seq,
            dict: self._dict,
            type(None): self._plain,
            bool: self._plain,
            int: self._plain,
            float: self._plain,
        }

    def _remember(self, value: object, token: str) -> str:
        self._tokens[id(value)] = token
        self._alive.append(value)
        return token

    def _name(self, value: Category | Tag | Author) -> str:
        token = self._tokens.get(id(value))
        if token is None:
            # A name's fields are strings and flags: its repr shows every one. Hashed: an article's
            # own part holds several names, and hashing long reprs again for each costs more.
            token = self._remember(value, f"N{_hash(_joined([repr(value)]))}")
        return token

    def _own_key(self, view: ArticleView) -> str:
        key = self._own.get(id(view))
        if key is None:
            # Names are shared by many articles: most are known already, looked up without a call each.
            tokens, name = self._tokens, self._name
            names: list[Any] = [
                *map(tokens.get, map(id, (view.category, *view.authors))),
                "#",
                *map(tokens.get, map(id, view.tags)),
            ]
            if not all(names):
                names = [name(view.category), *map(name, view.authors), "#", *map(name, view.tags)]
            key = self._own[id(view)] = _hash(_joined([view.digest, view.url, *names]))
            self._alive.append(view)
        return key

    def _article(self, view: ArticleView) -> str:
        token = self._tokens.get(id(view))
        if token is None and not self.links:
            token = self._remember(view, f"C{self._own_key(view)}")
        elif token is None:
            known, own = self._own, self._own_key
            parts: list[Any] = [known.get(id(view)) or own(view)]
            # Each field linking to other views (related, previous, next: see render/shows.py), by
            # name, then its views' own parts: which article is shown where tells pages apart.
            for name, linked in linked_views(view):
                parts.append(name)
                for other in linked:
                    parts.append(known.get(id(other)) or own(other))
            # Hashed: a listing shows many articles, and would otherwise repeat all their parts.
            token = self._remember(view, f"A{_hash(','.join(parts).encode())}")
        return token

    def _str(self, value: str, out: list[str]) -> None:
        out += ("s", value)

    def _plain(self, value: bool | int | float | None, out: list[str]) -> None:
        out.append(f"p{value!r}")

    def _view(self, value: ArticleView, out: list[str]) -> None:
        out.append(self._article(value))

    def _site(self, value: SiteView, out: list[str]) -> None:
        # Covered by the pages' key; remembered, as every page holds it (then found without this call).
        out.append(self._tokens.get(id(value)) or self._remember(value, "S"))

    def _named(self, value: Category | Tag | Author, out: list[str]) -> None:
        out.append(self._name(value))

    def _link(self, value: Link, out: list[str]) -> None:
        name, url = value.name, value.url
        if type(name) is str and type(url) is str:
            out += ("L", name, url)
        else:
            out.append("l")
            self._feed(name, out)
            self._feed(url, out)

    def _seq(self, value: list[Any] | tuple[Any, ...], out: list[str]) -> None:
        out.append("[")
        tokens = self._tokens
        if value and tokens.get(id(value[0])) is not None:
            # A listing's articles, seen already: looked up without a call for each.
            known: list[Any] = [*map(tokens.get, map(id, value))]
            if all(known):
                out += known
                out.append("]")
                return
        self._values(value, out)
        out.append("]")

    def _values(self, values: Iterable[Any], out: list[str]) -> None:
        """The parts of values in a row (a list's items, a dict's values): strings and values seen
        already without a call each."""
        tokens, exact, feed = self._tokens, self._exact, self._feed
        for item in values:
            kind = type(item)
            if kind is str:
                out += ("s", item)
                continue
            token = tokens.get(id(item))
            if token is not None:
                out.append(token)
            else:
                (exact.get(kind) or feed)(item, out)

    def _dict(self, value: Mapping[Any, Any], out: list[str], skip: frozenset[str] = frozenset()) -> None:
        keys = tuple(value)
        shape = self._shapes.get((skip, keys))
        if shape is None:
            shape = self._shapes[skip, keys] = self._shape(keys, skip)
        if shape is not None:
            # Keys of one shape come as one part (pages of one template share it), values in their order.
            head, values = shape
            out.append(head)
            self._values(values(value), out)
            out.append("}")
            return
        try:
            ordered = sorted(keys)
        except TypeError:  # keys that do not compare: in an order of their own all the same
            ordered = sorted(keys, key=repr)
        out.append("{")
        for key in ordered:
            if key not in skip:
                self._feed(key, out)
                self._feed(value[key], out)
        out.append("}")

    def _shape(self, keys: tuple[Any, ...], skip: frozenset[str]) -> tuple[str, Callable[[Any], Any]] | None:
        """The part naming a dict's keys (sorted) and a getter of its values in that order, when its
        keys are strings (else None: each key is a part of its own)."""
        if not all(type(key) is str for key in keys):
            return None
        ordered = sorted(key for key in keys if key not in skip)
        # repr shows each key whole (escaped): the part says how many values follow, and for what.
        head = f"K{ordered!r}"
        if len(ordered) > 1:
            return head, operator.itemgetter(*ordered)
        return head, lambda value: tuple(value[key] for key in ordered)

    def _feed(self, value: Any, out: list[str]) -> None:
        handler = self._exact.get(type(value))
        if handler is None:
            handler = self._exact[type(value)] = self._handler(type(value))
        handler(value, out)

    def _handler(self, kind: type) -> Callable[[Any, list[str]], None]:
        """How to gather the part of values of one more type (decided once per type)."""
        tag = f"{kind.__module__}.{kind.__qualname__}"
        feed = self._feed
        if issubclass(kind, ArticleView):  # a view of a kind of its own: an article all the same
            return self._view
        if dataclasses.is_dataclass(kind):
            names = tuple(f.name for f in dataclasses.fields(kind))

            def fields(value: Any, out: list[str]) -> None:
                out.append(f"D{tag}")
                for name in names:
                    item = getattr(value, name)
                    if type(item) is str:
                        out += ("s", item)
                    else:
                        feed(item, out)
                out.append(")")

            return fields
        if issubclass(kind, bytes):
            return lambda value, out: out.append(f"b{tag}:{value.hex()}")
        if issubclass(kind, (list, tuple)):

            def sequence(value: Any, out: list[str]) -> None:
                out.append(f"Q{tag}")
                self._seq(value, out)

            return sequence
        if issubclass(kind, Mapping):

            def mapping(value: Any, out: list[str]) -> None:
                out.append(f"M{tag}")
                self._dict(value, out)

            return mapping

        def other(value: Any, out: list[str]) -> None:
            out += (f"r{tag}", repr(value))

        return other

    def of(self, job: PageJob) -> str:
        """Hash of everything a page's template can see."""
        context = job.context
        out = [self.site_key, job.template, job.url]
        if type(context) is dict:
            self._dict(context, out, DERIVED_CONTEXT)
        else:
            self._feed(context, out)
        return _hash(_joined(out))


class PageFingerprints:
    """Fingerprints of a site's pages, of each page as its template can see it.

    ``reads_links(template)`` tells whether a template (with what it includes, imports and
    extends) can read an article's related, previous or next articles (see
    engine.templates_reading_links); pages of the others are fingerprinted with each article as
    its own fields only, so that an edit to one article leaves the listings that show its
    neighbours as they are. Without it, every page is fingerprinted with the links.
    """

    def __init__(self, site_key: str, reads_links: Callable[[str], bool] | None = None) -> None:
        self._linked = Fingerprinter(site_key)
        self._cards = Fingerprinter(site_key, links=False) if reads_links is not None else self._linked
        self._reads = reads_links

    def of(self, job: PageJob) -> str:
        """The page's fingerprint (see :meth:`Fingerprinter.of`)."""
        reads = self._reads
        return (self._linked if reads is None or reads(job.template) else self._cards).of(job)


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _joined(parts: list[str]) -> bytes:
    """The parts as one text that tells them apart, in UTF-8 (lone surrogates of file names included).

    Joined with NUL, which is one scan in C, when no part holds a NUL (counted, also in C);
    otherwise each part is given with its length. (The first form never starts with U+0001.)
    """
    text = "\x00".join(parts)
    if text.count("\x00") != len(parts) - 1 or text.startswith("\x01"):
        text = "\x01" + "".join([f"{len(part)}:{part}" for part in parts])
    return text.encode("utf-8", "surrogatepass")


def job_fingerprint(job: PageJob, site_key: str) -> str:
    """Hash of everything a page's template can see (see :class:`Fingerprinter` for many pages)."""
    return Fingerprinter(site_key).of(job)
