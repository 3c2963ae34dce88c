"""Markdown body → HTML, table of contents, plain text, summary, word count, reading time."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import markdown as _markdown

from .. import speedups
from ..speedups import markdown_inline
from ..urls import is_dangerous_url
from .body import Body, WithBody

EXTENSIONS = ["extra", "toc", "smarty", "sane_lists", "admonition"]
EXTENSION_CONFIGS = {"toc": {"permalink": False}}
#: Part of every cache key: change it when the Markdown settings change.
SETTINGS_KEY = f"markdown={_markdown.__version__};ext={','.join(EXTENSIONS)}"
SUMMARY_CHARS = 240

_md: _markdown.Markdown | None = None


@dataclass(frozen=True, slots=True)
class Rendered(WithBody):
    """What the Markdown stage gives the library for one document."""

    body: Body
    """The HTML and plain text (for search, related ranking and counts); a cached one is read when used."""
    toc: str
    first_paragraph: str
    words: int


def new_converter(skip_patterns: bool = True) -> _markdown.Markdown:
    """A Markdown instance with the news extensions: with the speed-ups where they are on and tested on
    this Python-Markdown (see :mod:`broadsheet.speedups`), else (or ``skip_patterns=False``) the stock one."""
    if skip_patterns and speedups.markdown_on():
        return markdown_inline.converter(EXTENSIONS, EXTENSION_CONFIGS)
    return _markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html")


def _converter() -> _markdown.Markdown:
    # One instance per process: building one costs more than converting an article.
    # A new one when the speed-ups were switched (the differential tests switch them in one process).
    global _md
    if _md is None or isinstance(_md, markdown_inline.SkippingMarkdown) != speedups.markdown_on():
        _md = new_converter()
    return _md


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|div|pre|tr|td|th|figcaption)>", re.IGNORECASE)
# Attributes that hold URLs, with their quoted or unquoted value.
_URL_NAMES = ("href", "src", "action", "formaction", "xlink:href", "poster", "srcset")
_URL_ATTR = re.compile(
    rf"""(\s(?:{"|".join(map(re.escape, _URL_NAMES))})\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)
#: How far before its name a match of _URL_ATTR starts (the whitespace, then the name), longest first.
_URL_NAME_REACH = tuple(sorted({len(name) + 1 for name in _URL_NAMES}, reverse=True))


class MarkdownTooComplex(ValueError):
    """A body Python-Markdown would take minutes on, or recurse too deep for."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


#: More '[' than this in one paragraph makes Python-Markdown's link search quadratic (5,000 took 9 s).
MAX_BRACKETS_PER_BLOCK = 1000


def _spaced(m: re.Match[str]) -> str:
    """The matched text and a space."""
    return m.group() + " "


def _words(fragment: str) -> list[str]:
    """The words of an HTML fragment: tags and entities gone, the end of a block separating words."""
    # A function, not the template r"\g<0> ": re expands templates in Python code, once per match.
    text = _BLOCK_END.sub(_spaced, fragment)
    # str.split() splits on exactly the characters re's \s matches in str patterns.
    return html.unescape(_TAG.sub("", text)).split()


def plain_text(fragment: str) -> str:
    """Strip tags and entities from an HTML fragment; collapse whitespace."""
    return " ".join(_words(fragment))


def _blocked(m: re.Match[str]) -> str:
    """A match of _URL_ATTR, its value replaced with '#blocked' when the URL runs script."""
    value = m.group(2)
    bare = value[1:-1] if value[:1] in "\"'" else value
    return f'{m.group(1)}"#blocked"' if is_dangerous_url(bare) else m.group(0)


def _first_paragraph(fragment: str) -> str | None:
    """The inside of the first ``<p>…</p>`` (as ``re.search(r"<p>(.*?)</p>", fragment, re.DOTALL)``), or None."""
    # If the first "<p>" has no "</p>" after it, no later one has: string searches give the
    # same answer as the lazy expression, which tests each character for "</p>" in turn.
    start = fragment.find("<p>")
    if start < 0:
        return None
    end = fragment.find("</p>", start + 3)
    return None if end < 0 else fragment[start + 3 : end]


def _neutralise(fragment: str) -> str:
    """Replace script-running URLs (``javascript:``, ``vbscript:``, ``data:``) in links with '#'.

    The same as ``_URL_ATTR.sub(_blocked, fragment)`` (tests compare them), found faster: that
    search tries the expression at every whitespace character of the body, while a match needs
    an '=', which is rare outside tags. A match is whitespace, a name, optional whitespace and
    '=' (none of them '='), so the '=' it holds is the first after its start: a match beginning
    before that '=' ends its name where the whitespace before it begins, and can only start
    one name length (plus one) earlier. Those few places are tried, leftmost first, as the
    search would; the expression itself decides at each.
    """
    if "=" not in fragment:
        return fragment
    parts: list[str] = []
    copied = 0  # fragment[:copied] is in parts
    pos = 0  # where the search would go on from
    while (equals := fragment.find("=", pos)) >= 0:
        # str.rstrip() strips exactly what re's \s matches in str patterns (both use str.isspace).
        name_end = pos + len(fragment[pos:equals].rstrip())
        for reach in _URL_NAME_REACH:
            if name_end - reach >= pos and (m := _URL_ATTR.match(fragment, name_end - reach)):
                parts += (fragment[copied : m.start()], _blocked(m))
                copied = pos = m.end()
                break
        else:
            pos = equals + 1
    if not parts:
        return fragment
    parts.append(fragment[copied:])
    return "".join(parts)


def check_complexity(body: str) -> None:
    """Refuse bodies that would make the converter take minutes; raise MarkdownTooComplex."""
    if body.count("[") <= MAX_BRACKETS_PER_BLOCK:
        return
    line = 1
    for block in re.split(r"\n\s*\n", body):
        if block.count("[") > MAX_BRACKETS_PER_BLOCK:
            raise MarkdownTooComplex(
                f"a paragraph holds {block.count('[')} '[' characters, more than the "
                f"{MAX_BRACKETS_PER_BLOCK} the converter handles in reasonable time",
                line,
            )
        line += block.count("\n") + 2


def render_markdown(body: str) -> Rendered:
    """Convert a Markdown body; the converter is reset first so footnotes never leak between files."""
    check_complexity(body)
    md = _converter()
    md.reset()
    global _md
    try:
        out = md.convert(body)
    except RecursionError:
        _md = None  # a converter that failed mid-way keeps broken state: start a fresh one
        raise MarkdownTooComplex("the body is nested too deeply (lists or quotes inside each other)", 1) from None
    out = _neutralise(out)
    toc = getattr(md, "toc", "")
    words = _words(out)
    paragraph = _first_paragraph(out)
    first = plain_text(paragraph) if paragraph is not None else ""
    # The words hold no whitespace, so the text joined from them splits back into the same words.
    return Rendered(Body(out, " ".join(words)), toc=toc, first_paragraph=first, words=len(words))


def cut_summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Cut plain text at a word boundary no longer than ``limit``, adding an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return (cut or text[:limit]) + "…"


def reading_minutes(words: int, per_minute: int = 230) -> int:
    """Minutes to read ``words`` at ``per_minute``, at least one."""
    return max(1, math.ceil(words / per_minute))


def sanitize_html(fragment: str) -> str:
    """Remove scripts, event handlers and unknown tags from a body (site.yml ``sanitize: true``).

    Keeps what Markdown itself produces: heading ids and footnote links, classes, tables.
    """
    import nh3

    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = {"id", "class", "title", "lang", "dir"}
    attributes.setdefault("a", set()).update({"href", "title", "rel"})
    attributes.setdefault("img", set()).update({"src", "alt", "width", "height", "title", "loading"})
    return nh3.clean(
        fragment,
        tags=nh3.ALLOWED_TAGS | {"sup", "sub", "figure", "figcaption"},
        attributes=attributes,
        link_rel=None,
        url_schemes={"http", "https", "mailto", "tel"},
    )
