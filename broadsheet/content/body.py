"""An article's rendered body: its HTML and plain text, or where the build cache keeps them.

A warm build of a large site needs every article's front matter (listings, dates, links) but
the bodies of only the pages it renders again: after a one-article edit, a few dozen of ten
thousand. The cache therefore keeps bodies apart (see cache.py) and hands out a :class:`Body`
that holds only where its text is kept; the stages that read bodies load them first, explicitly
(see bodystore.py): the body itself never reads anything.

What must be known of every body without reading it is kept beside it: whether it is blank
(the library warns about an empty article) and a hash of what the related ranking reads of it
(see :func:`opening_digest`), so that an unchanged site keeps its related lists unread.
"""

from __future__ import annotations

import hashlib
import html
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..related.index import OPENING_BYTES

_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|div|pre|tr|td|th|figcaption)>", re.IGNORECASE)


def _spaced(m: re.Match[str]) -> str:
    """The matched text and a space."""
    return m.group() + " "


def html_words(fragment: str) -> list[str]:
    """The words of an HTML fragment: tags and entities gone, the end of a block separating words."""
    # A function, not the template r"\g<0> ": re expands templates in Python code, once per match.
    text = _BLOCK_END.sub(_spaced, fragment)
    # str.split() splits on exactly the characters re's \s matches in str patterns.
    return html.unescape(_TAG.sub("", text)).split()


def plain_text(fragment: str) -> str:
    """Strip tags and entities from an HTML fragment; collapse whitespace."""
    return " ".join(html_words(fragment))


def opening_digest(text: str, limit: int = OPENING_BYTES) -> str:
    """Hash of the text's first ``limit`` bytes and whether more follows: what a ranking reading at most
    that much can see of it (the summary, which it reads too, is hashed apart)."""
    raw = text.encode("utf-8", "surrogatepass")
    opening = raw[:limit] + b"\x00+" if len(raw) > limit else raw  # what is read, and that more follows
    return hashlib.blake2b(opening, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class BodyRef:
    """Where a body not in memory is kept: its row in the build cache's file (see bodystore.py)."""

    store: str
    """The cache file holding the body's row."""
    rel: str
    """The content file's path relative to the site (the row's key)."""
    path: str
    """The content file itself: parsed again should the row be gone."""
    page: bool
    """Whether the content file is a page (content/pages/), not an article."""
    digest: str
    """Hash of the content file the body was made from."""
    timezone: str
    """The site's time zone (to parse the file again)."""


class BodyNotLoaded(RuntimeError):
    """A body was read before the stage reading it loaded it (see bodystore.load_bodies)."""


#: Set only while the render stage renders (see bodystore.loading_on_demand): loads a body a
#: template reads that the stage did not load beforehand (a story card's body, in a theme that
#: shows one). Anywhere else, reading a body not loaded raises BodyNotLoaded.
on_demand: Callable[[Body], None] | None = None


class Body:
    """The rendered HTML and plain text of one document: a plain value, in memory or kept in the cache.

    A body handed out by the build cache holds only where it is kept (``ref``) until a stage loads
    it: the render stage loads the bodies of the articles the pages it renders show, in the
    process that renders them (see bodystore.load_bodies), the ranking those it ranks, the feeds
    those they show whole. Reading a body no stage loaded raises BodyNotLoaded, except while the
    render stage renders, which loads what a template reads beyond what it loaded beforehand (see
    bodystore.loading_on_demand): a body does no I/O of its own, whichever process holds it.

    A body in memory may be *packed* (:meth:`pack`): its HTML and text compressed together, a tenth
    of their size, unpacked at each reading and not kept (see :meth:`pack` for why).

    Two bodies are equal when their HTML and text are (or, not loaded, when they are kept in the
    same place, made from the same file). Pickled, a body travels as it is: loaded, packed or not.
    """

    __slots__ = ("_html", "_packed", "_raw", "_text", "blank", "opening", "ref", "sanitize")

    def __init__(
        self,
        html: str | None = None,
        text: str | None = None,
        *,
        ref: BodyRef | None = None,
        opening: str | None = None,
        blank: bool | None = None,
        sanitize: bool = False,
    ) -> None:
        if (html is None or text is None) and (ref is None or opening is None or blank is None):
            raise ValueError("a body without its text needs where it is kept, its opening digest and blankness")
        self._html = html if text is not None else None
        self._text = text if html is not None else None
        self._raw: str | None = None
        """Loaded without its text: the HTML as kept, which the text is made from when first read."""
        self._packed: bytes | None = None
        """Packed (see :meth:`pack`): the HTML's length in bytes, the HTML and the text, compressed."""
        self.ref = ref
        """Where the body is kept in the build cache (None for a body only in memory)."""
        self.opening: str = opening if opening is not None else opening_digest(text or "")
        """Hash of what the related ranking reads of the text (see :func:`opening_digest`)."""
        self.blank: bool = blank if blank is not None else not text
        """Whether the text is empty."""
        self.sanitize = sanitize
        """Whether the HTML kept in the cache is to be cleaned when loaded (site.yml ``sanitize``)."""

    def _missing(self) -> BodyNotLoaded:
        where = self.ref.rel if self.ref is not None else "a document"
        return BodyNotLoaded(f"the body of {where} was read before it was loaded (see bodystore.load_bodies)")

    def _load(self) -> None:
        if on_demand is None:
            raise self._missing()
        on_demand(self)

    @property
    def html(self) -> str:
        """The rendered HTML."""
        if self._html is None:
            if self._packed is not None:
                return self._unpacked()[0]
            self._load()
        assert self._html is not None
        return self._html

    @property
    def text(self) -> str:
        """The body as plain text (for search, related ranking and counts)."""
        if self._text is None:
            if self._raw is not None:
                # The cache keeps the HTML alone (see bodystore.pack_body): the text is made from
                # it as markdown.render_markdown made it.
                self._text, self._raw = plain_text(self._raw), None
                return self._text
            if self._packed is not None:
                return self._unpacked()[1]
            self._load()
        assert self._text is not None
        return self._text

    @property
    def loaded(self) -> bool:
        """Whether the HTML and text are in memory (packed or not)."""
        return self._html is not None or self._packed is not None

    @property
    def packed(self) -> bool:
        """Whether the HTML and text are in memory packed (see :meth:`pack`)."""
        return self._packed is not None

    def pack(self) -> None:
        """Hold the HTML and text compressed (zlib's fastest level), unpacked whenever read.

        What a full build's parsing workers do before sending a body to the build: a site's
        bodies stay in the build's memory from parsing until the articles' pages render, and
        held as strings they are most of it (25 KB an article of 6 KB, since one curly quote
        makes Python keep a whole string at two bytes a character; 2.5 KB packed: 2 GB of
        100,000 articles). Each is read a few times in a build (the ranking, the article's own
        page, a feed), so unpacking at every reading (20 µs) costs less than keeping the strings.
        Does nothing to a body not loaded, or loaded without its text.
        """
        if self._html is None or self._text is None:
            return
        head = self._html.encode("utf-8", "surrogatepass")
        tail = self._text.encode("utf-8", "surrogatepass")
        self._packed = zlib.compress(len(head).to_bytes(8, "little") + head + tail, 1)
        self._html = self._text = None

    def _unpacked(self) -> tuple[str, str]:
        assert self._packed is not None
        data = zlib.decompress(self._packed)
        cut = 8 + int.from_bytes(data[:8], "little")
        return data[8:cut].decode("utf-8", "surrogatepass"), data[cut:].decode("utf-8", "surrogatepass")

    def fill(self, html: str, text: str | None, kept: str | None = None) -> None:
        """Give a body not loaded its HTML and text, as kept (the loader cleans the HTML first under
        ``sanitize``). ``text`` None: made from ``kept``, the HTML as kept, when first read."""
        if not self.loaded:
            if text is None and kept is None:
                raise ValueError("a body's text, or the HTML it is made from")
            self._html, self._text, self._raw = html, text, kept if text is None else None

    def evict(self, ref: BodyRef | None = None) -> None:
        """Let go of the HTML and text, kept at ``ref`` (by default where the body came from)."""
        ref = ref or self.ref
        if ref is None:
            raise ValueError("a body kept nowhere cannot let go of its text")
        self.ref = ref
        self._html = self._text = self._raw = self._packed = None

    def sanitized(self, clean: Callable[[str], str]) -> Body:
        """This body with its HTML cleaned by ``clean``: now if loaded, else when it is loaded."""
        if self.loaded:
            html, text = self._unpacked() if self._packed is not None else (self.html, self.text)
            body = Body(clean(html), text, opening=self.opening, blank=self.blank)
            if self._packed is not None:
                body.pack()
            return body
        return Body(ref=self.ref, opening=self.opening, blank=self.blank, sanitize=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Body):
            return NotImplemented
        if self is other:
            return True
        if self.loaded and other.loaded:
            return self.html == other.html and self.text == other.text
        return self.ref is not None and (self.ref, self.sanitize) == (other.ref, other.sanitize)

    def __hash__(self) -> int:
        return hash(self.opening)  # equal bodies have equal texts, and so equal openings

    def __reduce__(self) -> tuple[Any, ...]:
        values = (self._html, self._text, self.ref, self.opening, self.blank, self.sanitize, self._raw)
        return _body, (*values, self._packed) if self._packed is not None else values

    def __repr__(self) -> str:
        if not self.loaded:
            return f"Body(ref={self.ref!r})"
        return f"Body(html={self.html!r}, text={self.text!r})"


def _body(
    html: str | None,
    text: str | None,
    ref: BodyRef | None,
    opening: str,
    blank: bool,
    sanitize: bool,
    raw: str | None = None,
    packed: bytes | None = None,
) -> Body:
    if packed is not None:
        body = Body("", "", ref=ref, opening=opening, blank=blank, sanitize=sanitize)
        body._html = body._text = None
        body._packed = packed
        return body
    if raw is not None and html is not None and ref is not None:  # loaded, its text not made yet
        body = Body(ref=ref, opening=opening, blank=blank, sanitize=sanitize)
        body.fill(html, None, raw)
        return body
    return Body(html, text, ref=ref, opening=opening, blank=blank, sanitize=sanitize)


class WithBody:
    """``html`` and ``text`` of a value that holds its rendered body as ``body`` (a parse, an article)."""

    __slots__ = ()
    body: Body

    @property
    def html(self) -> str:
        """The rendered HTML of the body."""
        return self.body.html

    @property
    def text(self) -> str:
        """The body as plain text."""
        return self.body.text
