"""Markdown body → HTML, table of contents, plain text, summary, word count, reading time."""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markdown as _markdown
from markdown.extensions import Extension, extra

from .. import speedups
from ..config import MARKDOWN_EXTENSIONS
from ..speedups import markdown_inline
from ..urls import has_dangerous_url, is_dangerous_url
from . import shortcodes
from .body import Body, WithBody, html_words, plain_text

EXTENSIONS = MARKDOWN_EXTENSIONS
EXTENSION_CONFIGS = {"toc": {"permalink": False}}
#: Part of every cache key: change it when the Markdown settings change.
SETTINGS_KEY = f"markdown={_markdown.__version__};ext={','.join(EXTENSIONS)}"
SUMMARY_CHARS = 240


@dataclass(frozen=True, slots=True)
class MarkdownSettings:
    """How bodies are converted: site.yml's ``markdown`` section and where shortcodes are found.

    ``extensions`` are added to the default set (``EXTENSIONS``); ``extension_configs`` (JSON, so
    the settings stay hashable and cross to worker processes as they are) go over the defaults.
    """

    extensions: tuple[str, ...] = ()
    extension_configs: str = "{}"
    shortcode_dirs: tuple[str, ...] = ()
    """Folders holding ``<name>.html`` macros, first found wins; Broadsheet's own come last."""
    shortcode_options: str = "{}"
    """site.yml ``markdown.shortcodes`` (JSON): options the macros read as ``options``."""
    shortcode_digest: str = field(default="", compare=True)
    """A hash of the shortcode files, so that editing one converts the bodies again."""

    @property
    def default_set(self) -> bool:
        """True for Broadsheet's default extensions and configs: the fast converter applies."""
        return not self.extensions and json.loads(self.extension_configs) in ({}, EXTENSION_CONFIGS)

    def all_extensions(self) -> list[str]:
        """The default extensions, then the site's own, each once."""
        return list(dict.fromkeys([*EXTENSIONS, *self.extensions]))

    def all_configs(self) -> dict[str, dict[str, Any]]:
        """Each extension's settings: the defaults, overridden by the site's."""
        configs: dict[str, dict[str, Any]] = {name: dict(cfg) for name, cfg in EXTENSION_CONFIGS.items()}
        for name, cfg in json.loads(self.extension_configs).items():
            configs[name] = {**configs.get(name, {}), **cfg}
        return configs

    def key(self) -> str:
        """What the cache keys parses under: changes whenever a body could convert differently."""
        return hashlib.blake2b(
            "|".join(
                [SETTINGS_KEY, *self.extensions, self.extension_configs, self.shortcode_options, self.shortcode_digest]
            ).encode(),
            digest_size=12,
        ).hexdigest()


def markdown_settings(
    extensions: Sequence[str],
    extension_configs: Mapping[str, Any],
    shortcode_dirs: Sequence[Path],
    shortcode_options: Mapping[str, Any] | None = None,
) -> MarkdownSettings:
    """Settings for a site: its extensions, and the shortcode folders (site first, then its themes)."""
    dirs = [d for d in shortcode_dirs if d.is_dir()]
    h = hashlib.blake2b(digest_size=12)
    for folder in [*dirs, shortcodes.BUILTIN_DIR]:
        for path in sorted(folder.glob("*.html")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return MarkdownSettings(
        extensions=tuple(extensions),
        extension_configs=json.dumps(dict(extension_configs), sort_keys=True, default=str),
        shortcode_dirs=tuple(str(d) for d in dirs),
        shortcode_options=json.dumps(dict(shortcode_options or {}), sort_keys=True, default=str),
        shortcode_digest=h.hexdigest(),
    )


DEFAULT_SETTINGS = MarkdownSettings()
_settings = DEFAULT_SETTINGS
_md: _markdown.Markdown | None = None


def configure(settings: MarkdownSettings) -> None:
    """Use ``settings`` for every conversion in this process from now on (worker processes get them too)."""
    global _settings, _md
    if settings != _settings:
        _settings = settings
        _md = None


def current_settings() -> MarkdownSettings:
    """The settings conversions in this process use."""
    return _settings


@dataclass(frozen=True, slots=True)
class Rendered(WithBody):
    """What the Markdown stage gives the library for one document."""

    body: Body
    """The HTML and plain text (for search, related ranking and counts); a cached one is read when used."""
    toc: str
    first_paragraph: str
    words: int


def built_extensions(names: Sequence[str], configs: Mapping[str, Mapping[str, Any]]) -> list[str | Extension]:
    """The extensions named, Broadsheet's default ones (see :data:`EXTENSIONS`) made here from
    Python-Markdown's own modules, ``extra`` as the extensions it bundles; a site's own stay names.

    Given a name, Python-Markdown first lists every installed package's entry points to find it:
    40 ms in each process that makes a converter, more than an edit's conversions take.
    """
    out: list[str | Extension] = []
    for name in names:
        config = configs.get(name, {})
        if name not in EXTENSIONS:
            out.append(name)
        elif name == "extra":  # (what its extendMarkdown registers, each with its part of extra's settings)
            out += (_stock_extension(inner, config.get(inner, {})) for inner in extra.extensions)
        else:
            out.append(_stock_extension(name, config))
    return out


def _stock_extension(name: str, config: Mapping[str, Any]) -> Extension:
    extension: Extension = importlib.import_module(f"markdown.extensions.{name}").makeExtension(**config)
    return extension


def new_converter(skip_patterns: bool = True, settings: MarkdownSettings | None = None) -> _markdown.Markdown:
    """A Markdown instance with the news extensions (``skip_patterns=False``, or the speed-ups off: the
    stock processors only).

    ``settings`` (default: this process's) may add extensions; the fast processors are used only
    for the default set, whose output they reproduce byte for byte. Shortcodes are expanded first.
    """
    settings = settings or _settings
    # The speed-ups (see broadsheet.speedups): where switched on and tested on this Python-Markdown.
    configs = settings.all_configs()
    extensions = built_extensions(settings.all_extensions(), configs)
    if skip_patterns and settings.default_set and speedups.markdown_on():
        md = markdown_inline.converter(extensions, configs)
    else:
        md = _markdown.Markdown(extensions=extensions, extension_configs=configs, output_format="html")
    options = json.loads(settings.shortcode_options)
    inner_md: list[_markdown.Markdown] = []

    def convert_inner(text: str) -> str:
        # A paired shortcode's inner text, converted by a second instance (the first is mid-conversion).
        if not inner_md:
            inner_md.append(new_converter(skip_patterns, settings))
        inner = inner_md[0]
        inner.reset()
        return inner.convert(text)

    # Priority 27: after normalize_whitespace (30), before fenced code (25) and html_block (20), so
    # stashed HTML stays raw; fenced code is recognised by the preprocessor itself.
    md.preprocessors.register(
        shortcodes.ShortcodePreprocessor(
            md, lambda: shortcodes.shortcode_environment(settings.shortcode_dirs, options), convert_inner
        ),
        "shortcodes",
        27,
    )
    return md


def _converter() -> _markdown.Markdown:
    # One instance per process: building one costs more than converting an article.
    # A new one when the speed-ups were switched (the differential tests switch them in one process).
    global _md
    if _md is None or isinstance(_md, markdown_inline.SkippingMarkdown) != (
        speedups.markdown_on() and _settings.default_set
    ):
        _md = new_converter()
    return _md


# Attributes that load or follow a URL, with their quoted or unquoted value: HTML's (``data`` of
# <object>, ``background`` of old tables, ``cite``, ``longdesc``, ...) and SVG's (``xlink:href``, and
# ``values``, ``to`` and ``from`` of <animate>, which can set an ``href``).
_URL_NAMES = (
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "xml:base",
    "poster",
    "srcset",
    "data",
    "background",
    "cite",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "codebase",
    "classid",
    "archive",
    "profile",
    "usemap",
    "manifest",
    "icon",
    "ping",
    "values",
    "to",
    "from",
)
#: Those that hold several URLs (between commas, spaces or semicolons): each is looked at.
_URL_LIST_NAMES = frozenset({"srcset", "archive", "ping", "values"})
# An attribute's name follows whitespace, '/' or the quote that ended the value before it: the
# three places a browser starts a new attribute (<a/href=...>, <a title="x"href=...>).
_URL_ATTR = re.compile(
    rf"""(?<=[\s/"'])((?:{"|".join(map(re.escape, _URL_NAMES))})\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)
#: How far before its '=' a match of _URL_ATTR starts (the length of a name), longest first.
_URL_NAME_REACH = tuple(sorted({len(name) for name in _URL_NAMES}, reverse=True))


class MarkdownError(ValueError):
    """Problems converting one body: ``problems`` holds (message, line in the body, hint)."""

    def __init__(self, problems: list[tuple[str, int, str]]) -> None:
        super().__init__("; ".join(p[0] for p in problems))
        self.problems = problems


class MarkdownTooComplex(MarkdownError):
    """A body Python-Markdown would take minutes on, or recurse too deep for."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__([(message, line, "check the Markdown there: unclosed brackets or runaway nesting")])
        self.line = line


#: More '[' than this in one paragraph makes Python-Markdown's link search quadratic (5,000 took 9 s).
MAX_BRACKETS_PER_BLOCK = 1000


def _blocked(m: re.Match[str]) -> str:
    """A match of _URL_ATTR, its value replaced with '#blocked' when the URL runs script."""
    value = m.group(2)
    bare = value[1:-1] if value[:1] in "\"'" else value
    name = m.group(1).partition("=")[0].rstrip().lower()
    dangerous = has_dangerous_url(bare) if name in _URL_LIST_NAMES else is_dangerous_url(bare)
    return f'{m.group(1)}"#blocked"' if dangerous else m.group(0)


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
    search tries the expression at every character of the body, while a match needs an '=',
    which is rare outside tags. A match is a name, optional whitespace and '=' (none of them
    '='), so the '=' it holds is the first after its start: a match beginning before that '='
    ends its name where the whitespace before it begins, and can only start one name length
    earlier. Those few places are tried, leftmost first, as the search would; the expression
    itself decides at each (including what comes before the name, which it only looks at).
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
        raise MarkdownTooComplex(
            "the body is nested too deeply (lists, quotes or emphasis inside each other)", 1
        ) from None
    except shortcodes.ShortcodeErrors as exc:
        raise MarkdownError(exc.problems) from None
    out = _neutralise(out)
    toc = getattr(md, "toc", "")
    words = html_words(out)
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
