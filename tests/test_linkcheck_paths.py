"""The link check's shortcuts (plain site paths, links judged once for all pages) change no verdict."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.outputs import OutputFile
from broadsheet.publish.linkcheck import check_page_links, link_target

BASE = "https://news.example.org/"
PIECES = ["/", "a", "b", "..", ".", "?q=1", "#x", "%20", ";p", "index.html", "feed.xml", "//", "\\\\", " "]


def reference_target(link: str, url: str, base_url: str) -> str | None:
    """link_target without its shortcut: every link parsed."""
    import re

    link = link.strip()
    if link.startswith(base_url):
        link = "/" + link[len(base_url) :]
    elif not link or link.startswith(("#", "//")) or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", link):
        return None
    path = unquote(urlsplit(link).path)
    if not path:
        return None
    joined = urljoin(url, path)
    rel = posixpath.normpath(joined).lstrip("/")
    if rel in ("", "."):
        return "index.html"
    return f"{rel}/index.html" if joined.endswith("/") else rel


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8), st.sampled_from(["/", "/world/a/", "/x.html"]))
def test_site_path_shortcut_matches_parsing(pieces: list[str], url: str) -> None:
    link = "/" + "/".join(pieces)
    assert link_target(link, url, BASE) == reference_target(link, url, BASE)


def test_warnings_same_with_relative_and_broken_links() -> None:
    pages = [
        (OutputFile("index.html", "home", data=b""), ["/world/a/", "#main", "/gone/", "rel/"]),
        (OutputFile("world/a/index.html", "a.md", data=b""), ["/", "#top", "../missing/", "/gone/", "mailto:x@y"]),
        (OutputFile("world/b/index.html", "b.md", data=b""), ["/world/a/", "https://news.example.org/nope/"]),
    ]
    known = {"index.html", "world/a/index.html", "world/b/index.html", "rel/index.html"}
    warnings = [w.message for w in check_page_links(pages, known, BASE)]
    assert warnings == [
        "broken internal link '/gone/' on index.html, world/a/index.html",
        "broken internal link '../missing/' on world/a/index.html",
        "broken internal link 'https://news.example.org/nope/' on world/b/index.html",
    ]
    assert check_page_links(pages[:1], known | {"gone/index.html"}, BASE) == []
