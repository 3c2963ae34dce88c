"""What survives between builds, in ``.broadsheet-cache/`` of the site (git-ignored).

Two stores, both keyed so that a stale entry can never be used:

* **content**: each content file's parse and rendered Markdown, keyed by the hash of its bytes
  (a matching size and modification time skips even reading the file). The whole store is
  dropped when the code version changes: Broadsheet's own source, the Markdown settings, or
  the versions of the libraries that shape the result.
* **pages**: for each output folder, each page's fingerprint (a hash of everything its
  template can see) and the hash of the bytes it produced. A page whose fingerprint is unchanged
  and whose file in the output is still the one written is not rendered again.

A cache that cannot be read is ignored and rewritten; a build never fails because of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Iterable
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
from .frontmatter import Document
from .markdown import SETTINGS_KEY, Rendered
from .render import PageJob
from .views import ArticleView, SiteView

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


@dataclass(slots=True)
class BuildCache:
    """The cache of one site, loaded at the start of a build and saved at its end."""

    folder: Path | None
    content: dict[str, ContentEntry] = field(default_factory=dict)
    pages: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """Output folder → URL → (fingerprint, output hash)."""
    search: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    """Output folder → (hash of the pages indexed, search index file → its hash); see search.py."""

    @classmethod
    def load(cls, site_root: Path, enabled: bool = True) -> BuildCache:
        """Open the site's cache; an unreadable or outdated one starts empty."""
        if not enabled:
            return cls(None)
        folder = site_root / CACHE_DIR
        try:
            with (folder / "cache.pickle").open("rb") as f:
                data = pickle.load(f)
            if data.get("version") == code_version():
                return cls(folder, data["content"], data["pages"], data.get("search", {}))
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError,
                ValueError, ImportError):
            pass
        return cls(folder)

    def lookup(self, source: SourceFile) -> tuple[ContentEntry | None, bytes | None]:
        """Return the cached entry for an unchanged file, or the file's bytes to parse it anew."""
        entry = self.content.get(source.rel)
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
        if hashlib.blake2b(raw, digest_size=16).hexdigest() == entry.digest:
            entry.size, entry.mtime_ns = st.st_size, st.st_mtime_ns  # touched, not changed
            return entry, None
        return None, raw

    def store(self, source: SourceFile, doc: Document, rendered: Rendered, warnings: list[BuildWarning]) -> None:
        """Remember a fresh parse."""
        try:
            st = source.path.stat()
        except OSError:
            return
        self.content[source.rel] = ContentEntry(st.st_size, st.st_mtime_ns, doc.digest, doc, rendered, warnings)

    def forget_missing(self, present: Iterable[str]) -> None:
        """Drop entries of files that no longer exist."""
        keep = set(present)
        for rel in [r for r in self.content if r not in keep]:
            del self.content[rel]

    def page_store(self, output: Path) -> dict[str, tuple[str, str]]:
        """The page fingerprints recorded for one output folder."""
        return self.pages.setdefault(str(output.resolve()), {})

    def save(self) -> None:
        """Write the cache atomically; failures are ignored (the next build starts cold)."""
        if self.folder is None:
            return
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            tmp = self.folder / f"cache.pickle.{os.getpid()}.tmp"
            with tmp.open("wb") as f:
                pickle.dump({"version": code_version(), "content": self.content, "pages": self.pages,
                             "search": self.search}, f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / "cache.pickle")
        except OSError:
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


def _article_key(view: ArticleView) -> str:
    return f"A{view.digest}|{view.url}|{view.category!r}|{view.authors!r}|{view.tags!r};"


def _feed(value: Any, h: Any) -> None:
    if isinstance(value, ArticleView):
        # An article as a page can show it: its own fields (its source's hash, URL, resolved names)
        # and those of its related, previous and next articles, one level deep.
        h.update(_article_key(value).encode())
        for other in (*value.related, value.prev, value.next):
            h.update(_article_key(other).encode() if other is not None else b"-")
    elif isinstance(value, SiteView):
        h.update(b"S")  # covered by site_digest
    elif isinstance(value, (list, tuple)):
        h.update(b"[")
        for item in value:
            _feed(item, h)
        h.update(b"]")
    elif isinstance(value, dict):
        h.update(b"{")
        for key in sorted(value):
            h.update(str(key).encode())
            _feed(value[key], h)
        h.update(b"}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(type(value).__name__.encode())
        for f in dataclasses.fields(value):
            _feed(getattr(value, f.name), h)
    else:
        h.update(repr(value).encode("utf-8", "surrogatepass"))
    h.update(b",")


def job_fingerprint(job: PageJob, site_key: str) -> str:
    """Hash of everything a page's template can see."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{site_key}|{job.template}|{job.url}|".encode())
    _feed(job.context, h)
    return h.hexdigest()
