"""What survives between builds, in ``.broadsheet-cache/cache.sqlite`` of the site (git-ignored).

Stores keyed so that a stale entry can never be used:

* **content**: each content file's parse and rendered Markdown, keyed by the hash of its bytes
  (a matching size and modification time skips even reading the file). The whole store is
  dropped when the code version changes: Broadsheet's own source, the Markdown settings, or
  the versions of the libraries that shape the result.
* **pages**: for each output folder, each page's fingerprint (a hash of everything its
  template can see) and the hash of the bytes it produced. A page whose fingerprint is unchanged
  and whose file in the output is still the one written is not rendered again.
* **facts**: each HTML page's links and search mark, with the hash of its bytes, so that a page
  kept as it was is not read and parsed again for the link check and the search index.
* **related**: the last "You may also like" lists with the hash of everything the ranking read.
* **links**: for each output folder, the hash of its file list and the pages that had a broken
  link, so that with the same files only pages rendered anew have their links checked.

SQLite holds one row per content file, so a build after an edit writes a row, not the cache.
A cache that cannot be read is ignored and rewritten; a build never fails because of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
import pickle
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markdown as _markdown
import yaml

from . import __version__
from .discover import SourceFile
from .errors import BuildWarning
from .frontmatter import Document, content_digest
from .markdown import SETTINGS_KEY, Rendered
from .model import Author, Category, Tag
from .render import PageJob
from .views import ArticleView, Link, SiteView

CACHE_DIR = ".broadsheet-cache"


@cache
def code_version() -> str:
    """Hash of what shapes output besides content: Broadsheet's source and library versions."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{__version__}|{SETTINGS_KEY}|jinja2={jinja2.__version__}|md={_markdown.__version__}"
             f"|yaml={yaml.__version__}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(slots=True)
class ContentEntry:
    """One content file's cached parse."""

    size: int
    mtime_ns: int
    digest: str
    doc: Document
    rendered: Rendered
    warnings: list[BuildWarning]


#: The cache file: SQLite, so that a build that changed one article writes one row, not the whole cache.
CACHE_FILE = "cache.sqlite"
#: SQLite page size of a cache file made anew, and how much of the file reads may map into memory.
PAGE_BYTES = 65536
MMAP_BYTES = 1 << 32
#: The parts of the cache kept whole (each a pickled value in the ``blobs`` table).
BLOBS = ("pages", "search", "facts", "related", "made", "links")
_CACHE_ERRORS = (OSError, sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError,
                 ValueError, ImportError, IndexError)


@dataclass(slots=True)
class BuildCache:
    """The cache of one site, loaded at the start of a build and saved at its end.

    Content entries are stored one row per file and unpickled when a build looks them up;
    saving writes only the rows that changed and the whole-kept parts that changed.
    """

    folder: Path | None
    content: dict[str, ContentEntry] = field(default_factory=dict)
    pages: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """Output folder → URL → (fingerprint, output hash)."""
    search: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    """Output folder → (hash of the pages indexed, search index file → its hash); see search.py."""
    facts: dict[str, dict[str, tuple[str, tuple[str, ...], bool]]] = field(default_factory=dict)
    """Output folder → HTML page → (hash, links, search mark): what the link check and search need."""
    related: tuple[str, dict[str, tuple[str, ...]]] | None = None
    """(hash of what the ranking read, article URL → related URLs) of the last ranking."""
    made: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)
    """Output folder → generated set of files (sitemaps) → (hash of its inputs, file → its hash)."""
    links: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    """Output folder → (hash of the output's file list and what the link check ignores, the HTML
    pages that had a broken link): while the files are the same, a kept page's links stay good."""
    dirty: bool = True
    """Whether anything changed since the cache was read (an unchanged cache is not written again)."""
    rows: dict[str, tuple[int, int, str, bytes]] = field(default_factory=dict)
    """Stored content rows not looked up yet: path → (size, mtime_ns, digest, pickled entry)."""
    changed: set[str] = field(default_factory=set)
    """Content paths stored or touched since loading."""
    removed: set[str] = field(default_factory=set)
    """Content paths dropped since loading."""
    stored: dict[str, bytes] = field(default_factory=dict)
    """The whole-kept parts as read (pickled), to write only those that changed."""
    fresh: bool = True
    """Whether the file on disk must be started anew (missing, unreadable or outdated)."""
    version: str = ""
    """Code version plus what parsing depends on (the site's time zone): a mismatch empties the cache."""

    @classmethod
    def load(cls, site_root: Path, enabled: bool = True, timezone: str = "") -> BuildCache:
        """Open the site's cache; an unreadable or outdated one starts empty.

        Parses depend on the site's time zone (dates without an offset are read in it), so the
        zone is part of the cache's version.
        """
        if not enabled:
            return cls(None)
        version = f"{code_version()}|tz={timezone}"
        folder = site_root / CACHE_DIR
        path = folder / CACHE_FILE
        if not path.is_file():
            return cls(folder, version=version)
        try:
            with closing(sqlite3.connect(path)) as db:
                # Read through a memory map: a large site's parses are read whole at each build,
                # and read() calls page by page cost more than the rows' own unpickling.
                db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
                blobs = dict(db.execute("SELECT name, value FROM blobs"))
                if blobs.get("version") != version.encode():
                    return cls(folder, version=version)
                rows = {rel: (size, mtime, digest, entry) for rel, size, mtime, digest, entry
                        in db.execute("SELECT rel, size, mtime_ns, digest, entry FROM content")}
            parts = {name: pickle.loads(blobs[name]) for name in BLOBS if name in blobs}
            return cls(folder, {}, parts.get("pages", {}), parts.get("search", {}), parts.get("facts", {}),
                       parts.get("related"), parts.get("made", {}), parts.get("links", {}), dirty=False, rows=rows,
                       stored={name: blobs[name] for name in BLOBS if name in blobs}, fresh=False,
                       version=version)
        except _CACHE_ERRORS:
            return cls(folder, version=version)

    def _entry(self, source: SourceFile) -> ContentEntry | None:
        rel = source.rel
        entry = self.content.get(rel)
        if entry is None and rel in self.rows:
            size, mtime, digest, blob = self.rows.pop(rel)
            try:
                meta, body_line, rendered, warnings = pickle.loads(blob)
            except _CACHE_ERRORS:
                return None
            doc = Document(source, meta, "", body_line, digest)
            entry = self.content[rel] = ContentEntry(size, mtime, digest, doc, rendered, warnings)
        return entry

    def lookup(self, source: SourceFile) -> tuple[ContentEntry | None, bytes | None]:
        """Return the cached entry for an unchanged file, or the file's bytes to parse it anew."""
        entry = self._entry(source)
        try:
            st = source.path.stat()
        except OSError:
            return None, None
        if entry is not None and entry.size == st.st_size and entry.mtime_ns == st.st_mtime_ns:
            return entry, None
        if entry is None:
            return None, None  # the parser reads it
        try:
            raw = source.path.read_bytes()
        except OSError:
            return None, None
        if content_digest(raw) == entry.digest:
            entry.size, entry.mtime_ns = st.st_size, st.st_mtime_ns  # touched, not changed
            self.changed.add(source.rel)
            self.dirty = True
            return entry, None
        return None, raw

    def store(self, source: SourceFile, doc: Document, rendered: Rendered, warnings: list[BuildWarning]) -> None:
        """Remember a fresh parse."""
        try:
            st = source.path.stat()
        except OSError:
            return
        self.content[source.rel] = ContentEntry(st.st_size, st.st_mtime_ns, doc.digest, doc, rendered, warnings)
        self.changed.add(source.rel)
        self.dirty = True

    def forget_missing(self, present: Iterable[str]) -> None:
        """Drop entries of files that no longer exist."""
        keep = set(present)
        for rel in [r for r in (*self.content, *self.rows) if r not in keep]:
            self.content.pop(rel, None)
            self.rows.pop(rel, None)
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

    def set_facts(self, output: Path, facts: dict[str, tuple[str, tuple[str, ...], bool]]) -> None:
        """Replace the remembered facts of the HTML pages of one output folder."""
        key = str(output.resolve())
        if self.folder is not None and self.facts.get(key) != facts:
            self.facts[key] = facts
            self.dirty = True

    def set_pages(self, output: Path, pages: dict[str, tuple[str, str]]) -> None:
        """Replace the page fingerprints of one output folder."""
        key = str(output.resolve())
        if self.pages.get(key) != pages:
            self.pages[key] = pages
            self.dirty = True

    def page_store(self, output: Path) -> dict[str, tuple[str, str]]:
        """The page fingerprints recorded for one output folder."""
        return self.pages.setdefault(str(output.resolve()), {})

    def _rows_to_write(self) -> Iterator[tuple[str, int, int, str, bytes]]:
        """The changed content rows, pickled one at a time (not all held at once)."""
        for rel in sorted(self.changed):
            e = self.content.get(rel)
            if e is not None:
                # Not kept: the Markdown source (the rendered body is what later builds use) and
                # the file's path (the build looking it up has it).
                row = (e.doc.meta, e.doc.body_line, e.rendered, e.warnings)
                yield rel, e.size, e.mtime_ns, e.digest, pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)

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
        db.execute("CREATE TABLE IF NOT EXISTS content (rel TEXT PRIMARY KEY, size INTEGER, "
                   "mtime_ns INTEGER, digest TEXT, entry BLOB)")
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
                db.executemany("INSERT OR REPLACE INTO content VALUES (?, ?, ?, ?, ?)", self._rows_to_write())
                db.executemany("DELETE FROM content WHERE rel = ?", [(rel,) for rel in sorted(self.removed)])
                db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)",
                           ("version", (self.version or code_version()).encode()))
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
                parts = {"pages": self.pages, "search": self.search, "facts": self.facts, "related": self.related,
                         "made": self.made, "links": self.links}
                for name, value in parts.items():
                    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                    if self.stored.get(name) != blob:
                        db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (name, blob))
                        self.stored[name] = blob
                db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)",
                           ("version", (self.version or code_version()).encode()))
            self.dirty = False
        except (OSError, sqlite3.Error):
            pass


def digest_of(*parts: Any) -> str:
    """Stable hash of reprs (dataclasses, tuples, strings, numbers, datetimes)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def site_digest(view: SiteView, tz: tzinfo, theme_files: Iterable[Path], config_text: str) -> str:
    """Hash of what every page sees: site values (the build time only to the local day), theme, config.

    Templates may show the build's date (the top bar does) but not its time of day: a page is
    not rendered again just because a minute passed.
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(code_version().encode())
    day = view.now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    h.update(repr(dataclasses.replace(view, now=day)).encode("utf-8", "surrogatepass"))
    h.update(config_text.encode("utf-8", "surrogatepass"))
    for path in theme_files:
        h.update(str(path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


#: Context entries made from the rest of the context, the URL, the template and the site's
#: configuration, all of which the fingerprint covers: ``seo`` (see seo.page_seo), which
#: pages planned for a warm build do not even carry (see render.plan_pages).
DERIVED_CONTEXT = frozenset({"seo"})


class Fingerprinter:
    """Hashes pages' contexts for one build; what many pages share is hashed once.

    An article as a page can show it: its own fields (its source's hash, URL, resolved names)
    and those of its related, previous and next articles, one level deep. Articles, categories,
    tags and authors are shared objects, so their part of the hash is remembered by identity
    (the objects are kept alive with it, so an identity is never reused).

    A page's parts are gathered as a list of strings, joined with NUL and hashed once: a warm
    build fingerprints every page, and formatting, encoding or hashing each part costs more than
    the parts (see :func:`_joined`). A part starts with a mark naming its kind, and strings come
    whole after a mark of their own, so the parts read back as the one context they came from:

    ``s`` then a string; ``p<repr>`` an int, float, bool or None; ``[`` items ``]`` a list or
    tuple; ``K<repr of its sorted keys>`` then their values and ``}`` a dict with string keys
    (else ``{`` keys and values, by sorted keys, ``}``); ``A<hash>`` an article; ``N<hash of its
    repr>`` a category, tag or author; ``S`` the site (covered by site_digest); ``L`` then the
    name and URL of a link (``l`` then their parts when they are not strings); ``D<type>``
    fields ``)`` another dataclass; ``Q<type>`` a list and ``M<type>`` a dict of another type
    (subclasses); ``b<type>:<hex>`` bytes; ``r<type>`` then the repr of anything else.
    """

    def __init__(self, site_key: str) -> None:
        self.site_key = site_key
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
            str: self._str, ArticleView: self._view, SiteView: self._site, Link: self._link,
            Category: self._named, Tag: self._named, Author: self._named, list: self._seq, tuple: self._seq,
            dict: self._dict, type(None): self._plain, bool: self._plain, int: self._plain, float: self._plain,
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
            names: list[Any] = [*map(tokens.get, map(id, (view.category, *view.authors))), "#",
                                *map(tokens.get, map(id, view.tags))]
            if not all(names):
                names = [name(view.category), *map(name, view.authors), "#", *map(name, view.tags)]
            key = self._own[id(view)] = _hash(_joined([view.digest, view.url, *names]))
            self._alive.append(view)
        return key

    def _article(self, view: ArticleView) -> str:
        token = self._tokens.get(id(view))
        if token is None:
            known, own = self._own, self._own_key
            shown = (view, *view.related, view.prev, view.next)
            parts: list[Any] = [*map(known.get, map(id, shown))]
            if not all(parts):  # articles not met yet (the first pages), or no previous or next one
                parts = [own(other) if other is not None else "-" for other in shown]
            # Hashed: a listing shows many articles, and would otherwise repeat all their parts.
            # (Hashes of one length, or "-": how many parts there are tells how many related articles.)
            token = self._remember(view, f"A{_hash(','.join(parts).encode())}")
        return token

    def _str(self, value: str, out: list[str]) -> None:
        out += ("s", value)

    def _plain(self, value: bool | int | float | None, out: list[str]) -> None:
        out.append(f"p{value!r}")

    def _view(self, value: ArticleView, out: list[str]) -> None:
        out.append(self._article(value))

    def _site(self, value: SiteView, out: list[str]) -> None:
        # Covered by site_digest; remembered, as every page holds it (then found without this call).
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
        exact, feed = self._exact, self._feed
        for item in value:
            kind = type(item)
            if kind is str:
                out += ("s", item)
                continue
            token = tokens.get(id(item))
            if token is not None:
                out.append(token)
            else:
                (exact.get(kind) or feed)(item, out)
        out.append("]")

    def _dict(self, value: Mapping[Any, Any], out: list[str], skip: frozenset[str] = frozenset()) -> None:
        tokens, exact, feed = self._tokens, self._exact, self._feed
        keys = tuple(value)
        shape = self._shapes.get((skip, keys))
        if shape is None:
            shape = self._shapes[skip, keys] = self._shape(keys, skip)
        if shape is not None:
            # Keys of one shape come as one part (pages of one template share it), values in their order.
            head, values = shape
            out.append(head)
            for item in values(value):
                if type(item) is str:
                    out += ("s", item)
                    continue
                token = tokens.get(id(item))
                if token is not None:
                    out.append(token)
                else:
                    (exact.get(type(item)) or feed)(item, out)
            out.append("}")
            return
        try:
            ordered = sorted(keys)
        except TypeError:  # keys that do not compare: in an order of their own all the same
            ordered = sorted(keys, key=repr)
        out.append("{")
        for key in ordered:
            if key not in skip:
                feed(key, out)
                feed(value[key], out)
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
