"""Slugs, permalinks and URL → output path mapping. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from slugify import slugify as _slugify

# Names Windows cannot hold as a file or folder, whatever the extension.
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)
MAX_SLUG = 80
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


#: Slugs given in front matter are kept up to this length (file names allow 255 bytes).
MAX_GIVEN_SLUG = 200


@lru_cache(maxsize=1 << 16)
def slugify(text: str, fallback: str | None = None, max_length: int = MAX_SLUG) -> str:
    """Return a lowercase ASCII slug: Unicode transliterated, never empty, portable.

    Text with no letters or digits (``!!!``, emoji) gets a short stable hash so the
    URL segment is never empty; Windows device names get a ``-1`` suffix. Remembered:
    the same tag, author and category names come back on every article.
    """
    if len(text) <= max_length and _PLAIN_SLUG.match(text) and text not in WINDOWS_RESERVED:
        return text  # a slug already (front matter often gives one): what the steps below return
    text = unicodedata.normalize("NFKC", str(text))
    # Zero-width and bidi marks are invisible: drop them rather than turn them into '-'.
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    slug = _slugify(text, max_length=max_length, word_boundary=True, save_order=True)
    if not slug:
        if fallback is not None:
            return slugify(fallback)
        slug = "n-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    if slug in WINDOWS_RESERVED:
        slug += "-1"
    return slug


def article_url(pattern: str, category: str, slug: str, date: datetime) -> str:
    """Fill an article permalink pattern such as ``/{category}/{slug}/``."""
    return pattern.format(
        category=category, slug=slug, year=f"{date.year:04d}", month=f"{date.month:02d}", day=f"{date.day:02d}"
    )


def paginated(base: str, page: int) -> str:
    """Return the URL of page ``page`` (1-based) of a listing at ``base``."""
    return base if page == 1 else f"{base}page/{page}/"


class UnsafePath(ValueError):
    """A URL that would write outside the output folder."""


_SEGMENT_BAD = re.compile(r"[\x00-\x1f\\]")
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$)")


#: A URL whose path is itself: segments of letters, digits and ``-_~.``, none empty and none
#: starting with a dot (so none is ``.`` or ``..``), nothing to decode. Most pages' URLs are.
_PLAIN_URL = re.compile(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9_~.-]*/)*(?:[A-Za-z0-9_~-][A-Za-z0-9_~.-]*)?\Z")


# Remembered: a build asks for every page's path at several stages (16,000 pages on a large site).
@lru_cache(maxsize=1 << 18)
def output_path(url: str) -> str:
    """Map a site URL to a relative POSIX file path inside the output folder.

    ``/world/a/`` → ``world/a/index.html``; ``/feed.xml`` → ``feed.xml``.
    Raises UnsafePath for anything that could leave the folder: ``..`` segments
    (also percent-encoded), backslashes, control characters, drive letters.
    """
    return output_path_once(url)


def output_path_once(url: str) -> str:
    """:func:`output_path`, not remembered: for a URL asked once in a build. A resumed build asks
    for the path of each page it keeps, once, and remembering 165,000 paths cost more than finding
    them (0.24 s against 0.1 s at 100,000 articles)."""
    if _PLAIN_URL.match(url):  # what the checks would find: nothing to refuse or normalise
        return url[1:] + "index.html" if url.endswith("/") else url[1:]
    return checked_output_path(url)


def checked_output_path(url: str) -> str:
    """:func:`output_path` of any URL, checked and normalised step by step."""
    if not url.startswith("/") or url.startswith("//"):
        raise UnsafePath(f"'{url}' must be a site path starting with a single '/'")
    decoded = url
    for _ in range(3 if "%" in url else 0):  # %252e%252e decodes twice to '..'
        decoded = re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), decoded)
    if _SEGMENT_BAD.search(decoded) or _DOT_SEGMENT.search(decoded) or ":" in decoded:
        raise UnsafePath(f"'{url}' could leave the output folder")
    path = url.lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    normal = posixpath.normpath(path)
    if normal.startswith(("../", "/")) or normal == "..":
        raise UnsafePath(f"'{url}' could leave the output folder")
    return normal


def alias_url(alias: str) -> str:
    """Where a redirect page goes: ``/old/story`` becomes ``/old/story/`` (served from its index.html).

    A file without an extension would reach browsers as a download, not as a page that redirects;
    ``/2019/05/story.html`` keeps its name.
    """
    return alias if alias.endswith("/") or "." in alias.rsplit("/", 1)[-1] else alias + "/"


_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def absolute(base_url: str, url: str) -> str:
    """Join the site's base URL and a site path."""
    if not url.startswith("/") and _HAS_SCHEME.match(url):  # a site path has none: most calls skip the test
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/")


_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+")
SCRIPT_SCHEMES = ("javascript:", "vbscript:")
DANGEROUS_SCHEMES = (*SCRIPT_SCHEMES, "data:")


def _as_browser_reads(value: str) -> str:
    """The URL as a browser would take its scheme: entities decoded, invisible characters gone, lower case.

    Browsers decode entities in attributes and ignore whitespace and control characters
    inside a scheme (``java&#x09;script:``, `` JaVaScRiPt:``), so both are undone.
    """
    decoded = value
    for _ in range(3):  # entities nested as &amp;#106; decode in steps
        unescaped = html.unescape(decoded)
        if unescaped == decoded:
            break
        decoded = unescaped
    return _INVISIBLE.sub("", decoded).lower()


def is_dangerous_url(value: str) -> bool:
    """True for URLs a browser would run as script or load as inline data (see _as_browser_reads)."""
    return _as_browser_reads(value).startswith(DANGEROUS_SCHEMES)


def is_script_url(value: str) -> bool:
    """True for ``javascript:`` and ``vbscript:`` URLs, however disguised (see _as_browser_reads)."""
    return _as_browser_reads(value).startswith(SCRIPT_SCHEMES)


_LIST_SEPARATOR = re.compile(r"[\s,;]+")


def has_dangerous_url(value: str) -> bool:
    """True when any URL of a list (``srcset``, ``ping``, SVG ``values``) is dangerous."""
    decoded = value
    for _ in range(3):
        unescaped = html.unescape(decoded)
        if unescaped == decoded:
            break
        decoded = unescaped
    return any(is_dangerous_url(part) for part in _LIST_SEPARATOR.split(decoded) if part)


@lru_cache(maxsize=64)
def base_path(base_url: str) -> str:
    """The path the site is published under, with a final '/': ``https://x.org/news`` → ``/news/``."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def public_url(url: str, base: str) -> str:
    """A site path as pages link to it, under the site's base path ``base``.

    ``/world/a/`` → ``/news/world/a/`` when the site is published under ``/news/``. Anything else
    (``https://…``, ``mailto:``, ``#top``, a relative path) is returned as it is.
    """
    if base == "/" or not url.startswith("/") or url.startswith("//"):
        return url
    return base + url[1:]


#: Attributes holding URLs in HTML, with their value: ``href="/x/"``, ``src='/a.jpg'``.
_URL_ATTRIBUTE = re.compile(
    r"""(?P<lead>\s(?:href|src|srcset|action|poster|data-base-url)\s*=\s*)(?P<quote>["'])(?P<value>.*?)(?P=quote)""",
    re.IGNORECASE | re.DOTALL,
)
#: ``<meta http-equiv="refresh" content="0; url=/x/">``: the redirect of an alias page.
_REFRESH = re.compile(r"""(?P<lead>content\s*=\s*(?P<quote>["'])\s*\d+\s*;\s*url=)(?P<value>[^"']*)(?P=quote)""", re.I)


def _each_url(value: str, name: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to the URL(s) of an attribute value (``srcset`` holds several)."""
    if name.lower() != "srcset":
        return change(value)
    parts = []
    for candidate in value.split(","):
        words = candidate.strip().split(None, 1)
        if words:
            words[0] = change(words[0])
        parts.append(" ".join(words))
    return ", ".join(parts)


def rewrite_html_urls(html_text: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to every URL in the HTML's link attributes and refresh redirects."""

    def attribute(m: re.Match[str]) -> str:
        name = m.group("lead").strip().split("=")[0].strip()
        value = m.group("value")
        changed = _each_url(value, name, change)
        return m.group(0) if changed == value else f"{m.group('lead')}{m.group('quote')}{changed}{m.group('quote')}"

    def refresh(m: re.Match[str]) -> str:
        return f"{m.group('lead')}{change(m.group('value'))}{m.group('quote')}"

    return _REFRESH.sub(refresh, _URL_ATTRIBUTE.sub(attribute, html_text))


def rebase_html(html_text: str, base: str) -> str:
    """Put the site paths of an HTML fragment (an article's body) under the base path ``base``."""
    if base == "/" or "/" not in html_text:
        return html_text
    return rewrite_html_urls(html_text, lambda url: public_url(url, base))


def relative_url(url: str, page_url: str, base: str) -> str:
    """The link from the page at site path ``page_url`` to ``url`` (a public path under ``base``).

    Folders get their ``index.html`` named, so that the link also works in a site opened from
    disk, where nothing serves a folder's index: from ``/world/a/``, ``/news/sport/`` (with base
    ``/news/``) is ``../../sport/index.html``. Other URLs are returned as they are.
    """
    if not url.startswith(base) or url.startswith("//"):
        return url
    rest = url[len(base) :]
    cut = len(rest)
    for mark in ("?", "#"):
        at = rest.find(mark)
        if at != -1:
            cut = min(cut, at)
    path, tail = rest[:cut], rest[cut:]
    if path == "" or path.endswith("/"):
        path += "index.html"
    depth = page_url.count("/") - 1  # segments of the page's folder: "/" 0, "/world/a/" 2, "/a.html" 0
    return "../" * depth + path + tail


def relative_html(html_text: str, page_url: str, base: str) -> str:
    """Make every link of a page to this site relative to the page (see :func:`relative_url`)."""
    return rewrite_html_urls(html_text, lambda url: relative_url(url, page_url, base))
