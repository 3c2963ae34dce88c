"""Internal link check: every ``href`` and ``src`` of a rendered page names a file of the output.

Links are found with one regular expression rather than :class:`html.parser.HTMLParser`: it reads
start tags the way that parser does (so ``href="x"`` written as text in an article is no link, nor
is ``data-src``) and passes over comments, end tags and the contents of scripts and styles. It
finds the links the parser of Python 3.11 finds, which tests check on built pages and on generated
tricky markup, at a fraction of the cost: that matters on a 10,000-page site read on every build.

Where it reads differently: a comment ends only at ``-->`` (as browsers read it; that parser also
ends one at ``-- >``), ``<![CDATA[`` sections end at their first ``>``, and only ASCII whitespace
separates attributes (the parser, reading text, also takes a no-break space for one).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import BuildWarning
from ..outputs import OutputFile
from ..urls import base_path

# The expression is written for the speed of Python's regex engine: a run of anything but one
# character ([^"]*+) is scanned several times faster than a class of two or more; quantifiers are
# possessive, so nothing is tried twice over (nested ones took seconds on a short unclosed tag), and
# like html.parser it is slow only on pages full of tags that never end; tags without links are
# read inside the match that ends at the next tag with one, so they cost no match (nor a turn of
# the Python loop) of their own.

#: The rest of a tag name, and where the name script or style must end, as html.parser reads names.
_NAME_REST = rb"[^\t\n\r\f />\x00]*+"
_NAME_END = rb"(?![^\t\n\r\f />\x00])"
# The common shape of attributes, read fast: names and spaces (_RUN) before each '=', a value right
# after it, quoted or bare. Anything else (spaces around '=', a quote or '<' outside a quoted value,
# '=' right after a value, an empty or second link, a name ending in f or c) sends the tag to
# _EXACT, html.parser's own reading (locatestarttagend_tolerant).
_RUN = rb"[^>\"'=\x00<]*+"
_VALUE = rb"""(?:"[^"]*+"|'[^']*+'|[^\s>"'=<]++(?=[\s>]))"""
#: An '=' right after a name that ends in neither f nor c, so not href or src (told without reading
#: the name back); a space, '/', quote or '=' before it is for _EXACT to read.
_NOT_LINK = rb"=(?<=[^\s/\"'=fFcC]=)"
_IS_LINK = rb"=(?:(?<=[\s/\"'][hH][rR][eE][fF]=)|(?<=[\s/\"'][sS][rR][cC]=))"
_OTHERS = rb"(?:" + _RUN + _NOT_LINK + _VALUE + rb")*+"
#: A link's value, double quoted, single quoted or bare: groups 3, 4 and 5 of a match.
_LINK_VALUE = rb"""(?:"([^"]++)"|'([^']++)'|([^\s>"'=<]++)(?=[\s>]))"""
_SEP = rb"(?:\s|/(?!>))*+"
_EXACT = (
    _SEP + rb"""(?:(?<=['"\s/])[^\s/>][^\s/=>]*+(?:\s*=+\s*(?:'[^']*'|"[^"]*"|(?!['"])[^>\s]*)\s*)?+""" + _SEP + rb")*+"
)
# A script's or style's contents are text up to its end tag (or the end of the page), unless its
# start tag ends with a '/>' whose '/' is not the end of a bare value.
_CRIPT = rb"[cC][rR][iI][pP][tT]"
_TYLE = rb"[tT][yY][lL][eE]"
_SCRIPT = rb"[sS]" + _CRIPT
_STYLE = rb"[sS]" + _TYLE
_SLASH_FINAL = rb"[^>\"'=\x00</]*+(?:/(?!>)[^>\"'=\x00</]*+)*+"


def _contents(name: bytes) -> bytes:
    """The pattern of a script's or style's contents and end tag, if any."""
    return rb"(?:[^<]++|<(?!/\s*+" + name + rb"\s*+>))*+(?:</\s*+" + name + rb"\s*+>)?+"


# In the tag a match ends with, group 1 marks a script, group 2 a script or style.
_END_NAME = rb"(?(1)" + _SCRIPT + rb"|" + _STYLE + rb")"
_FINAL = rb"(?(2)" + _SLASH_FINAL + rb"|" + _RUN + rb")"
_TAG_END = rb"(?(2)(?:/>|>" + _contents(_END_NAME) + rb")|/?>)"

#: One match reads everything up to and including the next start tag with a link, or with anything
#: the fast reading does not cover, or up to the end of the page. Groups 3-5 hold the tag's link;
#: group 6 holds its attributes when they need html.parser's own reading.
_TOKEN = re.compile(
    # Text and whatever links nowhere, passed over inside the match.
    rb"(?:[^<]*+<(?:"
    rb"!--(?:[^-]++|-(?!->))*+-->"
    rb"|/[^>]*+>|[!?][^>]*+>"  # end tags, declarations and processing instructions end at their first '>'
    rb"|" + _SCRIPT + _NAME_END + _OTHERS + _SLASH_FINAL + rb"(?:/>|>" + _contents(_SCRIPT) + rb")"
    rb"|" + _STYLE + _NAME_END + _OTHERS + _SLASH_FINAL + rb"(?:/>|>" + _contents(_STYLE) + rb")"
    rb"|[a-zA-Z]" + _NAME_REST + _OTHERS + _RUN + rb">"
    rb"|(?![a-zA-Z])"  # a '<' that starts nothing is text
    rb"))*+[^<]*+"
    # The tag that ends the match: one link read fast, else all its attributes read exactly.
    rb"(?:<(?:[sS](?:" + _CRIPT + rb"()|" + _TYLE + rb")" + _NAME_END + rb"()|[a-zA-Z]" + _NAME_REST + rb")"
    rb"(?:"
    + _OTHERS
    + _FINAL
    + _IS_LINK
    + _LINK_VALUE
    + _OTHERS
    + _FINAL
    + _TAG_END
    + rb"|("
    + _EXACT
    + rb")"
    + _TAG_END
    + rb")"
    # A start tag that never ends is text for html.parser: up to the first '>' when the page ends
    # inside it or it stops at a letter, '=' or '/', else up to where it stops.
    rb"|<(?=[a-zA-Z]" + _NAME_REST + _EXACT + rb"(?:[a-zA-Z=/]|\Z))(?:[^>]*+>|[^<]*+)"
    rb"|<(?:[a-zA-Z]" + _NAME_REST + _EXACT + rb")?+"
    rb"|\Z)"
)
#: One attribute as html.parser reads it (attrfind_tolerant).
_ATTRIBUTE = re.compile(
    rb"""((?<=['"\s/])[^\s/>][^\s/=>]*)(\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*))?"""
    rb"(?:\s|/(?!>))*"
)
_LINK_NAMES = (b"href", b"src")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
#: What makes a site path need full URL parsing: a query, fragment, escape, parameters, dot
#: segments, a second leading slash, backslashes or whitespace.
_NEEDS_PARSING = re.compile(r"[?#%;\\\s]|/\.|^//")
#: Pages named in one warning about a link before the rest is counted.
PAGES_NAMED = 3


def _text(raw: bytes) -> str:
    """An attribute value as text: decoded, entities resolved."""
    value = raw.decode("utf-8", "replace")
    return html.unescape(value) if "&" in value else value


def _attribute_links(attributes: bytes) -> list[str]:
    """The ``href`` and ``src`` values among a start tag's attributes, read as html.parser reads them."""
    # They start with the spaces or '/' after the tag's name; one space before the first name is
    # all its lookbehind needs to see.
    attributes = b" " + attributes.lstrip(b"/ \t\n\r\f\v")
    links = []
    position = 1
    while attribute := _ATTRIBUTE.match(attributes, position):
        name, equals, value = attribute.groups()
        if equals and name.lower() in _LINK_NAMES:
            if value[:1] in (b"'", b'"') and value[:1] == value[-1:]:
                value = value[1:-1]
            links.append(_text(value))
        position = attribute.end()
    return links


def page_links(data: bytes) -> list[str]:
    """Every ``href`` and ``src`` value of an HTML page, entities decoded, in page order."""
    links: list[str] = []
    for _, _, double, single, bare, attributes in _TOKEN.findall(data):
        value = double or single or bare
        if value:
            links.append(_text(value))
        elif attributes:
            links += _attribute_links(attributes)
    return links


def page_url(path: str) -> str:
    """The URL a page is served at: ``world/a/index.html`` → ``/world/a/``."""
    return "/" + (path[: -len("index.html")] if path.endswith("index.html") else path)


#: What a site path outside the site's base path (``/world/a/`` for a site under ``/news/``) is
#: reported as needing: no output file has this name.
OUTSIDE = "\x00outside the base path: "


def link_target(link: str, url: str, base_url: str) -> str | None:
    """The output file path an internal link needs, or None for links that are not ours to check.

    Root-relative links must lie under the base URL's path: a site published at
    ``https://x.org/news/`` links to its pages as ``/news/world/a/`` (see the ``url`` filter).
    """
    link = link.strip()
    if link.startswith(base_url):  # an absolute link into this very site (canonical, og:url)
        link = "/" + link[len(base_url) :]
    elif _elsewhere(link):
        return None
    elif link[0] == "/":
        base = base_path(base_url)
        if not link.startswith(base):
            return OUTSIDE + link  # a site published under /news/ has nothing at /world/a/
        link = link[len(base) - 1 :]
    if link[0] == "/" and not _NEEDS_PARSING.search(link):
        joined = link  # a plain site path: what the parsing below gives, without its cost
    else:
        path = unquote(urlsplit(link).path)  # a query (/search/?q=) or fragment does not name a file
        if not path:
            return None
        joined = urljoin(url, path)
    rel = posixpath.normpath(joined).lstrip("/")
    if rel in ("", "."):
        return "index.html"
    return f"{rel}/index.html" if joined.endswith("/") else rel


def _elsewhere(link: str) -> bool:
    """Whether a link (stripped, not into the site by its base URL) names no file of the output:
    empty, a same-page fragment, another site, or another scheme (mailto:, tel:, data:, a share link)."""
    return not link or link.startswith(("#", "//")) or _SCHEME.match(link) is not None


def checked(link: str, base_url: str) -> bool:
    """Whether :func:`link_target` can name an output file for ``link`` (the links worth keeping
    to check again: a page's share buttons and fragments are most of its links, and never checked)."""
    link = link.strip()
    return link.startswith(base_url) or not _elsewhere(link)


def _same_on_every_page(link: str) -> bool:
    """Whether a link names the same target from any page: site paths, fragments, other schemes."""
    return link.startswith(("/", "#")) or _SCHEME.match(link) is not None


def check_links(
    pages: Sequence[OutputFile], known: Collection[str], base_url: str, ignore: Iterable[str] = ()
) -> list[BuildWarning]:
    """Check the links of ``pages`` against the output's file paths (``known``).

    Warn once per missing target, naming the pages that link to it (and their sources).
    """
    found = ((f, dict.fromkeys(page_links(f.data))) for f in pages if f.data is not None and f.path.endswith(".html"))
    return check_page_links(found, known, base_url, ignore)


def check_page_links(
    pages: Iterable[tuple[OutputFile, Collection[str]]],
    known: Collection[str],
    base_url: str,
    ignore: Iterable[str] = (),
    broken: set[str] | None = None,
    locate: Callable[[dict[str, list[str]]], Mapping[str, list[tuple[str, int]]]] | None = None,
    broken_links: dict[str, list[str]] | None = None,
) -> list[BuildWarning]:
    """Like :func:`check_links`, for pages whose distinct links were read already (or remembered).

    ``broken``, if given, receives the path of every page with a broken link, and
    ``broken_links`` each such page's broken links, in page order. ``locate``, if given, finds
    where broken links are written (source and line: see content/lint.py), given each with the
    sources of the pages that show it.
    """
    skipped = tuple(p.lstrip("/") for p in ignore)
    verdicts: dict[str, str | None] = {}  # link (with its page when relative) → missing target or None

    def missing_target(link: str, url: str) -> str | None:
        target = link_target(link, url, base_url)
        if target is None or target in known or f"{target}/index.html" in known or target.startswith(skipped):
            return None
        return target

    pages = list(pages)
    # Most builds have no broken link: judge every distinct link once (site paths are the same on
    # every page, so they are gathered in C), and name pages only when something is missing.
    shared: set[str] = set()
    anything_missing = False
    for _, links in pages:
        shared.update(links)
    relative = False
    for link in shared:
        if _same_on_every_page(link):
            verdicts[link] = missing_target(link, "/")
            anything_missing = anything_missing or verdicts[link] is not None
        else:
            relative = True
    if not anything_missing and not relative:
        return []
    missing: dict[str, tuple[str, list[OutputFile]]] = {}
    for f, links in pages:
        url = page_url(f.path)
        for link in links:
            # Navigation, footers and cards repeat the same links on every page: judge each once.
            key = link if _same_on_every_page(link) else f"{url} {link}"
            if key not in verdicts:
                verdicts[key] = missing_target(link, url)
            target = verdicts[key]
            if target is not None:
                missing.setdefault(target, (link, []))[1].append(f)
                if broken is not None:
                    broken.add(f.path)
                if broken_links is not None:
                    broken_links.setdefault(f.path, []).append(link)
    warnings = []
    written = (
        locate({link: [p.source for p in linking] for link, linking in missing.values()})
        if locate is not None and missing
        else {}
    )
    for target, (link, linking) in missing.items():
        named = ", ".join(p.path for p in linking[:PAGES_NAMED])
        more = f" and {len(linking) - PAGES_NAMED} more" if len(linking) > PAGES_NAMED else ""
        places = written.get(link)
        if places:
            # Blame the line that holds the link, not a page that only shows it (a card, a related block).
            also = "".join(f", {rel}:{line}" for rel, line in places[1:PAGES_NAMED])
            also = f" (also written at {also[2:]})" if also else ""
            warnings.append(
                BuildWarning(
                    f"broken internal link '{link}' on {named}{more}{also}",
                    places[0][0],
                    places[0][1],
                    "fix the link, or add the page or file it points to (a picture goes in static/)",
                )
            )
            continue
        warnings.append(
            BuildWarning(
                f"broken internal link '{link}' on {named}{more}",
                linking[0].source,
                None,
                f"the site is published under {base_path(base_url)}: link to site paths through the url filter "
                "({{ page.url | url }}), or write them with that prefix"
                if target.startswith(OUTSIDE)
                else "fix the link, or add the page or file it points to",
            )
        )
    return warnings
