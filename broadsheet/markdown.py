"""Markdown body → HTML, table of contents, plain text, summary, word count, reading time."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import markdown as _markdown

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
# Links whose scheme runs script or embeds data never reach a page (see _neutralise).
_BAD_URL = re.compile(
    r"""(\s(?:href|src|action|formaction|xlink:href)\s*=\s*)(["']?)\s*(?:javascript|vbscript|data)\s*:""",
    re.IGNORECASE,
)


def plain_text(fragment: str) -> str:
    """Strip tags and entities from an HTML fragment; collapse whitespace."""
    text = _BLOCK_END.sub(lambda m: m.group(0) + " ", fragment)
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


def _neutralise(fragment: str) -> str:
    """Replace script-running URL schemes in links written in Markdown with '#'."""
    return _BAD_URL.sub(lambda m: f"{m.group(1)}{m.group(2)}#blocked:", fragment)


def render_markdown(body: str) -> Rendered:
    """Convert a Markdown body; the converter is reset first so footnotes never leak between files."""
    md = _converter()
    md.reset()
    out = md.convert(body)
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
