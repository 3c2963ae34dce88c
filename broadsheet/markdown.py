"""Markdown body → HTML, table of contents, plain text, summary, word count, reading time."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import markdown as _markdown

from .urls import is_dangerous_url

EXTENSIONS = ["extra", "toc", "smarty", "sane_lists", "admonition"]
EXTENSION_CONFIGS = {"toc": {"permalink": False}}
#: Part of every cache key: change it when the Markdown settings change.
SETTINGS_KEY = f"markdown={_markdown.__version__};ext={','.join(EXTENSIONS)}"
SUMMARY_CHARS = 240

_md: _markdown.Markdown | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    """What the Markdown stage gives the library for one document."""

    html: str
    toc: str
    text: str
    """The body as plain text (for search, related ranking and counts)."""
    first_paragraph: str
    words: int


def _converter() -> _markdown.Markdown:
    # One instance per process: building one costs more than converting an article.
    global _md
    if _md is None:
        _md = _markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                 output_format="html")
    return _md


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|div|pre|tr|td|th|figcaption)>", re.IGNORECASE)
_FIRST_P = re.compile(r"<p>(.*?)</p>", re.DOTALL)
# Attributes that hold URLs, with their quoted or unquoted value.
_URL_ATTR = re.compile(
    r"""(\s(?:href|src|action|formaction|xlink:href|poster|srcset)\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)


class MarkdownTooComplex(ValueError):
    """A body Python-Markdown would take minutes on, or recurse too deep for."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


#: More '[' than this in one paragraph makes Python-Markdown's link search quadratic (5,000 took 9 s).
MAX_BRACKETS_PER_BLOCK = 1000


def plain_text(fragment: str) -> str:
    """Strip tags and entities from an HTML fragment; collapse whitespace."""
    text = _BLOCK_END.sub(lambda m: m.group(0) + " ", fragment)
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


def _neutralise(fragment: str) -> str:
    """Replace script-running URLs (``javascript:``, ``vbscript:``, ``data:``) in links with '#'."""

    def fix(m: re.Match[str]) -> str:
        value = m.group(2)
        bare = value[1:-1] if value[:1] in "\"'" else value
        return f'{m.group(1)}"#blocked"' if is_dangerous_url(bare) else m.group(0)

    return _URL_ATTR.sub(fix, fragment) if "=" in fragment else fragment


def check_complexity(body: str) -> None:
    """Refuse bodies that would make the converter take minutes; raise MarkdownTooComplex."""
    if body.count("[") <= MAX_BRACKETS_PER_BLOCK:
        return
    line = 1
    for block in re.split(r"\n\s*\n", body):
        if block.count("[") > MAX_BRACKETS_PER_BLOCK:
            raise MarkdownTooComplex(f"a paragraph holds {block.count('[')} '[' characters, more than the "
                                     f"{MAX_BRACKETS_PER_BLOCK} the converter handles in reasonable time", line)
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
    text = plain_text(out)
    match = _FIRST_P.search(out)
    first = plain_text(match.group(1)) if match else ""
    return Rendered(html=out, toc=toc, text=text, first_paragraph=first, words=len(text.split()))


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
    return nh3.clean(fragment, tags=nh3.ALLOWED_TAGS | {"sup", "sub", "figure", "figcaption"},
                     attributes=attributes, link_rel=None, url_schemes={"http", "https", "mailto", "tel"})
