"""Loading bodies kept in the build cache: the one place a :class:`~broadsheet.content.body.Body` is read.

A body handed out by the build cache holds only where it is kept (its :class:`BodyRef`). Each
stage that reads bodies loads those it reads, in the process that reads them, before it reads
them: the render stage the bodies of the articles its pages show (see render/pages.py), the
related ranking every article's, the feeds the stories they show whole, the assembly the
content pages'. :func:`load_bodies` reads many in one query; :func:`unload_bodies` lets them go
again, so that a worker rendering a large site holds only the bodies of the pages at hand.

The rows are written by incremental/cache.py (table ``bodies``: the number of the content file's
row in table ``content``, its hash, and the HTML as :func:`pack_body` packs it: compressed with
the preset dictionary the cache file keeps in its ``blobs`` table (see rowpack.py), a quarter of
its size, as a large site's bodies are most of its cache; the text is made from the HTML when
first read). A row gone
(the cache file removed or rebuilt meanwhile) is made again from the content file; only a file
that changed since the build read it fails, naming the file.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from ..errors import ContentError
from ..rowpack import pack, unpack, unpack_hash
from . import body as body_module
from .body import Body, BodyRef
from .discover import SourceFile
from .frontmatter import content_digest, parse_document
from .markdown import render_markdown, sanitize_html

#: From how many bodies wanted of one cache file it is read whole rather than row by row.
READ_WHOLE_FROM = 2_000
#: Rows asked for per query (SQLite's limit of parameters is 32,766 in recent releases, 999 in old ones).
BATCH = 900
_ERRORS = (OSError, sqlite3.Error, ValueError, TypeError, zlib.error)  # (a text that does not decode: ValueError)
#: zlib's level for stored bodies. Level 6 with the preset dictionary: on 750 real blog posts (9 KB
#: of HTML each) 9 % smaller than level 6 alone, where the fastest level with the dictionary was
#: 3 % larger (real prose gains less from the dictionary than the generated corpus's 17 %).
PACK_LEVEL = 6
#: What a body's row is read as: its content row's path (a body is kept under that row's number), its hash, its value.
_BODY_COLUMNS = "c.rel, b.digest, b.value"
#: The name of the bodies' preset dictionary in the cache file's ``blobs`` table.
DICTIONARY_BLOB = "dictionary-bodies"


def body_bytes(html: str) -> bytes:
    """A body's HTML as its row holds it before packing (what a dictionary is made from)."""
    return html.encode("utf-8", "surrogatepass")


def pack_body(html: str, dictionary: bytes = b"") -> bytes:
    """A body's row value: its HTML, compressed with ``dictionary``. Not its text, which is made
    from the HTML (see markdown.render_markdown) when read: kept, it made a body's row a tenth larger."""
    return pack(body_bytes(html), PACK_LEVEL, dictionary)


def unpack_body(value: bytes, dictionary: bytes = b"") -> str:
    """The HTML of a row value made by :func:`pack_body` (raises on anything else)."""
    return unpack(value, dictionary).decode("utf-8", "surrogatepass")


def stored_dictionary(db: sqlite3.Connection) -> bytes:
    """The bodies' preset dictionary of the cache file ``db`` reads (empty: none)."""
    with closing(db.execute("SELECT value FROM blobs WHERE name = ?", (DICTIONARY_BLOB,))) as rows:
        found = rows.fetchall()
    return bytes(found[0][0]) if found else b""


def load_bodies(bodies: Iterable[Body]) -> list[Body]:
    """Load the bodies not loaded yet; return those loaded now (to let go of later: :func:`unload_bodies`)."""
    wanted: dict[str, dict[tuple[str, str], list[Body]]] = {}
    for body in bodies:
        if not body.loaded and body.ref is not None:
            ref = body.ref
            wanted.setdefault(ref.store, {}).setdefault((ref.rel, ref.digest), []).append(body)
    done: list[Body] = []
    for store, refs in wanted.items():
        found = _read_rows(Path(store), refs)
        for (rel, digest), waiting in refs.items():
            html = found.get((rel, digest))
            if html is None:
                html = _parse_again(waiting[0].ref)  # type: ignore[arg-type]  # (every body here has one)
            for body in waiting:
                body.fill(sanitize_html(html) if body.sanitize else html, None, html)
                done.append(body)
    return done


@contextmanager
def loading_on_demand() -> Iterator[list[Body]]:
    """While in this block (the render stage rendering), a body a template reads that was not loaded
    beforehand is loaded then; the list yielded gathers them, to let go of afterwards."""
    loaded: list[Body] = []

    def load(body: Body) -> None:
        loaded.extend(load_bodies([body]))
        if not body.loaded:
            raise body_module.BodyNotLoaded(f"the body of {body.ref.rel if body.ref else 'a document'} is kept nowhere")

    before = body_module.on_demand
    body_module.on_demand = load
    try:
        yield loaded
    finally:
        body_module.on_demand = before


def unload_bodies(bodies: Iterable[Body]) -> None:
    """Let go of the HTML and text of bodies loaded by :func:`load_bodies` (they can be loaded again)."""
    for body in bodies:
        if body.ref is not None:
            body.evict()


def _read_rows(store: Path, refs: dict[tuple[str, str], list[Body]]) -> dict[tuple[str, str], str]:
    """The HTML of the rows of ``store`` named by ``refs`` (path, hash) that it holds."""
    found: dict[tuple[str, str], str] = {}
    try:
        db = reader(store)
        # Read with the rows, not remembered: a cache file made anew has a dictionary of its own.
        dictionary = stored_dictionary(db)
        if len(refs) >= READ_WHOLE_FROM:
            # Most of a large site's bodies: one pass over the table beats as many lookups.
            with closing(
                db.execute(f"SELECT {_BODY_COLUMNS} FROM bodies AS b JOIN content AS c ON c.rowid = b.id")
            ) as rows:
                _take(rows, refs, dictionary, found)
            return found
        rels = sorted({rel for rel, _ in refs})
        for start in range(0, len(rels), BATCH):
            part = rels[start : start + BATCH]
            marks = ",".join("?" * len(part))
            # Closed at once: a statement left open would hold a read lock that blocks the cache's writer.
            query = (
                f"SELECT {_BODY_COLUMNS} FROM content AS c JOIN bodies AS b ON b.id = c.rowid WHERE c.rel IN ({marks})"
            )
            with closing(db.execute(query, part)) as rows:
                _take(rows, refs, dictionary, found)
    except _ERRORS:
        pass  # what was not found is made again from its file
    return found


def _take(
    rows: Iterable[tuple[str, bytes | str, bytes]],
    refs: dict[tuple[str, str], list[Body]],
    dictionary: bytes,
    found: dict[tuple[str, str], str],
) -> None:
    """Put into ``found`` the HTML of the rows (path, kept hash, value) that ``refs`` asks for."""
    for rel, kept, value in rows:
        digest = unpack_hash(kept)
        if (rel, digest) in refs:
            found[rel, digest] = unpack_body(value, dictionary)


def _parse_again(ref: BodyRef) -> str:
    """The body made again from its content file, which must still be the one the build read."""
    path = Path(ref.path)
    try:
        raw = path.read_bytes()
    except OSError:
        raw = b""
    doc, _, _ = parse_document(SourceFile(ref.path, ref.rel, ref.page), ZoneInfo(ref.timezone or "UTC"), raw)
    if doc is None or content_digest(raw) != ref.digest:
        raise ContentError("the file changed while the build was reading it", ref.rel, None, "build again")
    return render_markdown(doc.body).html


_readers: dict[tuple[int, Path, int], sqlite3.Connection] = {}
_inherited: list[sqlite3.Connection] = []
_readers_lock = threading.Lock()
#: Connections kept open for reading, per process (a test run or a long preview builds many sites).
_READERS_KEPT = 4


def reader(path: Path) -> sqlite3.Connection:
    """A connection for reading: one per process and cache file, shared by its threads.

    Never one inherited from the parent process: render workers are forked, and an SQLite
    connection must not be used across a fork (nor closed: it is kept, unused). A cache file
    made anew (another inode) gets a new connection.
    """
    pid = os.getpid()
    key = (pid, path, os.stat(path).st_ino)
    with _readers_lock:
        db = _readers.get(key)
        if db is None:
            for old in list(_readers):
                if old[0] != pid:
                    _inherited.append(_readers.pop(old))
                elif old[1] == path:
                    _readers.pop(old).close()  # the file this path held before
            while len(_readers) >= _READERS_KEPT:
                _readers.pop(next(iter(_readers))).close()
            # Not through a memory map: a render worker reading bodies one by one would map (and be
            # counted for) much of a large cache file, where reading copies just the rows it needs.
            db = _readers[key] = sqlite3.connect(path, timeout=30, check_same_thread=False)
        return db
