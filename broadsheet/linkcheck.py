"""Internal link check: every ``href`` and ``src`` of a rendered page names a file of the output.

Links are found with regular expressions rather than :class:`html.parser.HTMLParser`:
start tags first (so ``href="x"`` written as text in an article is not taken for a link),
then, only in tags that mention ``href=`` or ``src=``, their attributes one by one the way
the parser reads them; scripts' and styles' contents and comments are skipped. On the
rendered pages that is the same list of links the parser finds (a test checks it) at a
fraction of the cost, which matters on a 10,000-page site checked on every build.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Collection, Iterable, Sequence
from urllib.parse import unquote, urljoin, urlsplit

from .errors import BuildWarning
from .render import OutputFile

# One pass over the page: a comment (skipped), a script or style element (its start tag kept,
# its contents skipped) or any other start tag. Quoted attribute values may hold '>'.
_ATTRS = rb"""((?:[^>"']+|"[^"]*"|'[^']*')*)"""
_TOKEN = re.compile(rb"<!--.*?-->|<(?:script|style)\b" + _ATTRS + rb">.*?</(?:script|style)\s*>|<[a-zA-Z][^\s/>]*"
                    + _ATTRS + rb">", re.DOTALL | re.IGNORECASE)
_HAS_LINK = re.compile(rb"(?:href|src)\s*=", re.IGNORECASE)
# One attribute at a time, as html.parser reads them, so "href=" inside another value is no link.
_ATTRIBUTE = re.compile(rb"""([^\s/>"'=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_LINK_NAMES = (b"href", b"src")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
#: What makes a site path need full URL parsing: a query, fragment, escape, parameters, dot
#: segments, a second leading slash, backslashes or whitespace.
_NEEDS_PARSING = re.compile(r"[?#%;\\\s]|/\.|^//")
#: Pages named in one warning about a link before the rest is counted.
PAGES_NAMED = 3


def page_links(data: bytes) -> list[str]:
    """Every ``href`` and ``src`` value of an HTML page, entities decoded, in page order."""
    links: list[str] = []
    # findall builds the list of tokens in C; a comment gives two empty groups, a script or
    # style element its start tag's attributes in the first, any other tag in the second.
    for script_attrs, tag_attrs in _TOKEN.findall(data):
        attrs = script_attrs or tag_attrs
        if not attrs or not _HAS_LINK.search(attrs):
            continue  # a comment, or a tag that links nowhere: most tags, skipped before reading attributes
        for attr in _ATTRIBUTE.finditer(attrs):
            if attr.group(1).lower() not in _LINK_NAMES:
                continue
            raw = next((g for g in attr.groups()[1:] if g is not None), None)
            if raw is None:
                continue
            value = raw.decode("utf-8", "replace")
            links.append(html.unescape(value) if "&" in value else value)
    return links


def page_url(path: str) -> str:
    """The URL a page is served at: ``world/a/index.html`` → ``/world/a/``."""
    return "/" + (path[: -len("index.html")] if path.endswith("index.html") else path)


def link_target(link: str, url: str, base_url: str) -> str | None:
    """The output file path an internal link needs, or None for links that are not ours to check."""
    link = link.strip()
    if link.startswith(base_url):  # an absolute link into this very site (canonical, og:url)
        link = "/" + link[len(base_url):]
    elif not link or link.startswith(("#", "//")) or _SCHEME.match(link):
        return None  # same-page fragments, other sites, mailto:, tel:, data:
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


def _same_on_every_page(link: str) -> bool:
    """Whether a link names the same target from any page: site paths, fragments, other schemes."""
    return link.startswith(("/", "#")) or _SCHEME.match(link) is not None


def check_links(pages: Sequence[OutputFile], known: Collection[str], base_url: str, ignore: Iterable[str] = ()
                ) -> list[BuildWarning]:
    """Check the links of ``pages`` against the output's file paths (``known``).

    Warn once per missing target, naming the pages that link to it (and their sources).
    """
    found = ((f, dict.fromkeys(page_links(f.data))) for f in pages
             if f.data is not None and f.path.endswith(".html"))
    return check_page_links(found, known, base_url, ignore)


def check_page_links(pages: Iterable[tuple[OutputFile, Collection[str]]], known: Collection[str], base_url: str,
                     ignore: Iterable[str] = (), broken: set[str] | None = None) -> list[BuildWarning]:
    """Like :func:`check_links`, for pages whose distinct links were read already (or remembered).

    ``broken``, if given, receives the path of every page with a broken link.
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
    warnings = []
    for link, linking in missing.values():
        named = ", ".join(p.path for p in linking[:PAGES_NAMED])
        more = f" and {len(linking) - PAGES_NAMED} more" if len(linking) > PAGES_NAMED else ""
        warnings.append(BuildWarning(f"broken internal link '{link}' on {named}{more}", linking[0].source, None,
                                     "fix the link, or add the page or file it points to"))
    return warnings
