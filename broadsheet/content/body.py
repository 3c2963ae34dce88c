"""An article's rendered body: its HTML and plain text, read from the build cache only when asked for.

A warm build of a large site needs every article's front matter (listings, dates, links) but
the bodies of only the pages it renders again: after a one-article edit, a few dozen of ten
thousand. The cache therefore keeps bodies apart (see cache.py) and hands out a :class:`Body`
that fetches its text on first use, in whichever process uses it (render workers included).

What must be known of every body without reading it is kept beside it: whether it is blank
(the library warns about an empty article) and a hash of what the related ranking reads of it
(see :func:`opening_digest`), so that an unchanged site keeps its related lists unread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ..related.index import OPENING_BYTES

Fetch = Callable[[], tuple[str, str]]
"""Reads a body's (html, text) when first needed."""


def opening_digest(text: str, limit: int = OPENING_BYTES) -> str:
    """Hash of the text's first ``limit`` bytes and whether more follows: what a ranking reading at most
    that much can see of it (the summary, which it reads too, is hashed apart)."""
    raw = text.encode("utf-8", "surrogatepass")
    opening = raw[:limit] + b"\x00+" if len(raw) > limit else raw  # what is read, and that more follows
    return hashlib.blake2b(opening, digest_size=16).hexdigest()


class Body:
    """The rendered HTML and plain text of one document, given, or fetched when first read.

    Two bodies are equal when their HTML and text are. Pickling a body reads it, so it can
    cross to any process whole.
    """

    __slots__ = ("_fetch", "_html", "_text", "blank", "opening")

    def __init__(
        self,
        html: str | None = None,
        text: str | None = None,
        *,
        fetch: Fetch | None = None,
        opening: str | None = None,
        blank: bool | None = None,
    ) -> None:
        if (html is None or text is None) and (fetch is None or opening is None or blank is None):
            raise ValueError("a body without its text needs a fetch, its opening digest and blankness")
        self._html = html
        self._text = text
        self._fetch = fetch
        self.opening: str = opening if opening is not None else opening_digest(text or "")
        """Hash of what the related ranking reads of the text (see :func:`opening_digest`)."""
        self.blank: bool = blank if blank is not None else not text
        """Whether the text is empty."""

    def _read(self) -> tuple[str, str]:
        assert self._fetch is not None
        html, text = self._fetch()
        self._html, self._text, self._fetch = html, text, None  # what fetch held is not needed any more
        return html, text

    @property
    def html(self) -> str:
        """The rendered HTML."""
        return self._html if self._html is not None else self._read()[0]

    @property
    def text(self) -> str:
        """The body as plain text (for search, related ranking and counts)."""
        return self._text if self._text is not None else self._read()[1]

    @property
    def loaded(self) -> bool:
        """Whether the HTML and text are in memory."""
        return self._html is not None

    def fill(self, html: str, text: str) -> None:
        """Give a body still to be fetched its HTML and text (the cache reads many at once)."""
        if self._html is None:
            self._html, self._text, self._fetch = html, text, None

    def evict(self, fetch: Fetch) -> None:
        """Let go of the HTML and text; ``fetch`` reads them again when they are next asked for."""
        self._html = self._text = None
        self._fetch = fetch

    def mapped(self, html: Callable[[str], str]) -> Body:
        """This body with its HTML passed through ``html`` (as late as the HTML is read)."""
        if self._html is not None:
            return Body(html(self._html), self.text, opening=self.opening, blank=self.blank)
        return Body(fetch=lambda: (html(self.html), self.text), opening=self.opening, blank=self.blank)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Body):
            return NotImplemented
        return self is other or (self.html == other.html and self.text == other.text)

    def __hash__(self) -> int:
        return hash((self.html, self.text))

    def __reduce__(self) -> tuple[Any, ...]:
        return Body, (self.html, self.text)

    def __repr__(self) -> str:
        return f"Body(html={self.html!r}, text={self.text!r})"


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
