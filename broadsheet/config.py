"""site.yml → a validated, frozen :class:`SiteConfig`.

Every key is known here with its type and default; an unknown key or a value of
the wrong type is a :class:`ConfigError` naming the key and its line.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from . import yamlsafe
from .analytics import read_views
from .errors import ConfigError
from .related.index import DEFAULT_WEIGHTS as DEFAULT_RELATED_WEIGHTS
from .urls import is_dangerous_url, is_script_url, slugify

CONFIG_NAME = "site.yml"
DEFAULT_TITLE = "Broadsheet"
DEFAULT_BASE_URL = "http://localhost:8000/"
DEFAULT_COPYRIGHT = "© {year} {title} – All Right Reserved."
DEFAULT_PERMALINK = "/{category}/{slug}/"


#: Related-ranking signals and their default weights: the ranking's own (see related/index.py).
RELATED_WEIGHTS: Mapping[str, float] = MappingProxyType(dict(DEFAULT_RELATED_WEIGHTS))


#: The Python-Markdown extensions every site gets; site.yml's ``markdown.extensions`` add to them.
MARKDOWN_EXTENSIONS = ["extra", "toc", "smarty", "sane_lists", "admonition"]


@dataclass(frozen=True, slots=True)
class AuthorConfig:
    """A known author: slug (the key in site.yml), display name, bio and avatar."""

    slug: str
    name: str
    bio: str = ""
    avatar: str | None = None
    role: str = ""


@dataclass(frozen=True, slots=True)
class CategoryConfig:
    """A navigation category in site.yml order."""

    name: str
    slug: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class SocialLink:
    """A link in the top bar (Mastodon, RSS, ...)."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class RelatedConfig:
    """How many related articles to show and how the signals weigh."""

    count: int = 6
    weights: Mapping[str, float] = field(default_factory=lambda: RELATED_WEIGHTS)
    time_scale_days: float = 7.0


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """RSS feeds: how many items and whether they carry the full text."""

    count: int = 30
    full_text: bool = True


@dataclass(frozen=True, slots=True)
class AnalyticsConfig:
    """Page views from an analytics export in the site (see analytics.py)."""

    path: str = "analytics"
    """A CSV or JSON export, or a folder of them, in the site folder."""
    most_read: int = 5
    """How many stories the "Most read" block lists (0: no block)."""
    show_views: bool = True
    """Show each story's view count in its byline."""
    views: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Site path → views, read from the export (empty without one)."""


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of the newsletter form."""

    name: str
    type: str = "email"
    label: str = ""
    value: str = ""
    required: bool = False
    placeholder: str = ""


@dataclass(frozen=True, slots=True)
class NewsletterConfig:
    """The newsletter signup block: where its form posts and what it asks."""

    action: str
    method: str = "post"
    title: str = "Newsletter"
    text: str = ""
    button: str = "Sign up"
    fields: tuple[FormField, ...] = (FormField("email", "email", "Email address", required=True),)


#: Comment providers that can be self-hosted or respect readers' privacy, and the settings each needs.
COMMENT_PROVIDERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"giscus": ("repo", "repo_id", "category", "category_id"), "remark42": ("host", "site_id"), "isso": ("host",)}
)
COMMENT_OPTIONAL: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"giscus": ("host", "mapping", "lang"), "remark42": ("locale",), "isso": ()}
)
#: Where each provider's script is served when site.yml names no host (only Giscus has a public one).
COMMENT_HOSTS: Mapping[str, str] = MappingProxyType({"giscus": "https://giscus.app"})


@dataclass(frozen=True, slots=True)
class CommentsConfig:
    """The comments embed: its provider and that provider's settings (``options``)."""

    provider: str
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class BreakingNews:
    """The breaking-news banner shown on every page until ``expires``."""

    text: str
    expires: datetime
    url: str | None = None
    label: str = ""
    """Default: the theme's word for "Breaking" in the site's language."""


@dataclass(frozen=True, slots=True)
class MarkdownConfig:
    """site.yml ``markdown``: extensions added to the default set, their settings, shortcode options."""

    extensions: tuple[str, ...] = ()
    extension_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    shortcodes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """The whole site.yml, validated. ``root`` is the site folder."""

    root: Path
    title: str = DEFAULT_TITLE
    tagline: str = ""
    base_url: str = DEFAULT_BASE_URL
    language: str = "en"
    timezone: str = "UTC"
    theme: str = "frontier"
    logo: str | None = None
    about: str = ""
    copyright: str = DEFAULT_COPYRIGHT
    default_author: str = "Staff"
    social: tuple[SocialLink, ...] = ()
    authors: tuple[AuthorConfig, ...] = ()
    categories: tuple[CategoryConfig, ...] = ()
    per_page: int = 10
    related: RelatedConfig = field(default_factory=RelatedConfig)
    article_permalink: str = DEFAULT_PERMALINK
    feeds: FeedConfig = field(default_factory=FeedConfig)
    words_per_minute: int = 230
    featured_days: float = 7.0
    """How long ``featured: true`` puts a story among the front page's leads (``featured_until`` wins)."""
    sanitize: bool = False
    """Clean raw HTML in article bodies (reporters' HTML is trusted unless this is on)."""
    breaking: BreakingNews | None = None
    """The breaking-news banner, if any (shown only before it expires)."""
    analytics: AnalyticsConfig = field(default_factory=AnalyticsConfig)
    newsletter: NewsletterConfig | None = None
    """The newsletter signup block; none unless configured."""
    comments: CommentsConfig | None = None
    """The comments embed; off (no third-party request at all) unless configured."""
    relative_urls: bool = False
    """Link pages to each other with relative URLs, so the output also works opened from disk."""
    markdown: MarkdownConfig = field(default_factory=lambda: MarkdownConfig())
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def content_dir(self) -> Path:
        """The folder holding articles and pages."""
        return self.root / "content"


KNOWN_KEYS = (
    "title",
    "tagline",
    "base_url",
    "language",
    "timezone",
    "theme",
    "logo",
    "about",
    "copyright",
    "default_author",
    "social",
    "authors",
    "categories",
    "pagination",
    "related",
    "permalinks",
    "feeds",
    "words_per_minute",
    "featured_days",
    "sanitize",
    "breaking",
    "analytics",
    "newsletter",
    "comments",
    "relative_urls",
    "markdown",
    "extra",
)

PERMALINK_FIELDS = frozenset({"category", "slug", "year", "month", "day"})


def permalink_problem(pattern: str) -> str | None:
    """What is wrong with an article permalink pattern, or None.

    Read with the parser ``str.format`` uses, so that every pattern accepted here fills in.
    """
    if not pattern.startswith("/") or not pattern.endswith("/"):
        return "it must start and end with '/'"
    fields: set[str] = set()
    try:
        for _, name, spec, conversion in string.Formatter().parse(pattern):
            if name is None:
                continue
            if name not in PERMALINK_FIELDS:
                return f"'{{{name}}}' is not a field" if name else "'{}' names no field"
            if spec or conversion:
                return f"'{{{name}}}' takes no format ('{{{name}}}' alone)"
            fields.add(name)
    except ValueError as exc:
        return f"{exc} (write '{{{{' or '}}}}' for a literal brace)"
    if "slug" not in fields:
        return "it must include {slug}"
    return None


def line_map(node: yaml.Node | None, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map every key path in a composed YAML document to its 1-based line."""
    lines: dict[tuple[Any, ...], int] = {}
    if node is None:
        return lines
    lines[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            lines.update(line_map(value_node, path))
            lines[path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(line_map(item, (*prefix, i)))
    return lines


class _Reader:
    """Reads typed values out of the parsed YAML, recording every problem with its line."""

    def __init__(self, path: str, lines: dict[tuple[Any, ...], int]) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[ConfigError] = []

    def line(self, keys: tuple[Any, ...]) -> int | None:
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return self.lines.get(keys)

    def fail(self, keys: tuple[Any, ...], message: str, hint: str | None = None) -> None:
        self.problems.append(ConfigError(message, self.path, self.line(keys), hint))

    def check_keys(self, data: Mapping[str, Any], known: tuple[str, ...], keys: tuple[Any, ...]) -> None:
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
                name = ".".join(str(k) for k in (*keys, key))
                self.fail((*keys, key), f"unknown key '{name}'", hint)

    def get(
        self, data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any, keys: tuple[Any, ...] = ()
    ) -> Any:
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) and kind in (int, float, str):
            _wrong(self, (*keys, key), value, kind)
            return default
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            _wrong(self, (*keys, key), value, kind)
            return default
        return value


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
    }
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _wrong(reader: _Reader, keys: tuple[Any, ...], value: Any, kind: type | tuple[type, ...]) -> None:
    name = ".".join(str(k) for k in keys)
    hint = "put the value in quotes" if kind is str else None
    reader.fail(keys, f"'{name}' must be {_type_name(kind)}, not {value!r}", hint)


def load_config_problems(root: Path, base_url: str | None = None) -> tuple[SiteConfig | None, list[ConfigError]]:
    """Read ``root/site.yml``; return the config (None when unusable) and every problem found."""
    path = root / CONFIG_NAME
    shown = CONFIG_NAME
    if not path.is_file():
        return None, [
            ConfigError(
                f"no {CONFIG_NAME} in {root}", str(root), None, "run the command in a site folder or pass --source DIR"
            )
        ]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ConfigError(f"cannot read: {exc}", shown, None, "save the file as UTF-8")]
    try:
        # Aliases and deep nesting refused first, so that composing the nodes for their lines is safe.
        data = yamlsafe.load(text)
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yamlsafe.YamlProblem as exc:
        return None, [ConfigError(exc.message, shown, exc.line, exc.hint)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [
            ConfigError(
                f"invalid YAML: {exc.problem}", shown, mark.line + 1 if mark else None, "check indentation and quoting"
            )
        ]
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        return None, [ConfigError(f"invalid YAML: {exc}", shown, None, "check the file's syntax")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [ConfigError("site.yml must be a mapping of keys to values", shown, 1)]
    r = _Reader(shown, line_map(node))
    r.check_keys(data, KNOWN_KEYS, ())
    g = r.get

    timezone = g(data, "timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail(("timezone",), f"unknown time zone '{timezone}'", "use an IANA name such as Europe/London")
        timezone = "UTC"

    url = base_url or g(data, "base_url", str, DEFAULT_BASE_URL)
    if not re.match(r"^https?://[^/\s]+", url):
        r.fail(
            ("base_url",), f"base_url '{url}' is not an absolute http(s) URL", "write it like https://news.example.org/"
        )
    if not url.endswith("/"):
        url += "/"

    authors = tuple(_read_list(r, data, "authors", _read_author))
    categories = tuple(_read_list(r, data, "categories", _read_category))
    seen: dict[str, str] = {}
    for cat in categories:
        if cat.slug in seen:
            r.fail(
                ("categories",),
                f"categories '{seen[cat.slug]}' and '{cat.name}' share the slug '{cat.slug}'",
                "give one of them its own slug",
            )
        seen[cat.slug] = cat.name
    social = tuple(_read_list(r, data, "social", _read_social))

    pagination = g(data, "pagination", dict, {})
    r.check_keys(pagination, ("per_page",), ("pagination",))
    per_page = g(pagination, "per_page", int, 10, ("pagination",))
    if per_page < 1:
        r.fail(("pagination", "per_page"), "pagination.per_page must be at least 1")
        per_page = 10

    related = _read_related(r, g(data, "related", dict, {}))
    feeds_data = g(data, "feeds", dict, {})
    r.check_keys(feeds_data, ("count", "full_text"), ("feeds",))
    feeds = FeedConfig(
        count=g(feeds_data, "count", int, 30, ("feeds",)), full_text=g(feeds_data, "full_text", bool, True, ("feeds",))
    )

    permalinks = g(data, "permalinks", dict, {})
    r.check_keys(permalinks, ("article",), ("permalinks",))
    pattern = g(permalinks, "article", str, DEFAULT_PERMALINK, ("permalinks",))
    problem = permalink_problem(pattern)
    if problem:
        r.fail(
            ("permalinks", "article"),
            f"permalink pattern '{pattern}' is not valid: {problem}",
            "start and end with '/', include {slug}, use only {category} {slug} {year} {month} {day}",
        )
        pattern = DEFAULT_PERMALINK

    logo = g(data, "logo", str, None)
    extra = dict(g(data, "extra", dict, {}))
    _check_urls(r, logo, social, authors, extra)

    wpm = g(data, "words_per_minute", int, 230)
    featured_days = g(data, "featured_days", float, 7.0)
    if featured_days <= 0:
        r.fail(("featured_days",), "featured_days must be a positive number of days", "write featured_days: 7")
        featured_days = 7.0
    sanitize = g(data, "sanitize", bool, False)
    relative_urls = g(data, "relative_urls", bool, False)
    if sanitize:
        try:
            import nh3  # noqa: F401 - only checking it is installed
        except ImportError:
            r.fail(("sanitize",), "sanitize: true needs the nh3 library", "pip install 'broadsheet[sanitize]'")
    breaking = _read_breaking(r, data.get("breaking"), ZoneInfo(timezone))
    language = g(data, "language", str, "en")
    if not _known_language(language):
        r.fail(("language",), f"unknown language '{language}'", "use a language code such as en, fr or pt-BR")
        language = "en"
    newsletter = _read_newsletter(r, data.get("newsletter"))
    comments = _read_comments(r, data.get("comments"))
    analytics = _read_analytics(r, g(data, "analytics", dict, {}), root, urlsplit(url).path or "/")
    markdown = _read_markdown(r, g(data, "markdown", dict, {}))
    config = SiteConfig(
        root=root,
        title=g(data, "title", str, DEFAULT_TITLE),
        tagline=g(data, "tagline", str, ""),
        base_url=url,
        language=language,
        timezone=timezone,
        theme=g(data, "theme", str, "frontier"),
        logo=logo,
        about=g(data, "about", str, ""),
        copyright=g(data, "copyright", str, DEFAULT_COPYRIGHT),
        default_author=g(data, "default_author", str, "Staff"),
        social=social,
        authors=authors,
        categories=categories,
        per_page=per_page,
        related=related,
        article_permalink=pattern,
        feeds=feeds,
        words_per_minute=max(wpm, 1),
        featured_days=featured_days,
        sanitize=sanitize,
        breaking=breaking,
        analytics=analytics,
        newsletter=newsletter,
        comments=comments,
        relative_urls=relative_urls,
        markdown=markdown,
        extra=MappingProxyType(extra),
    )
    return config, r.problems


def _check_urls(
    r: _Reader, logo: str | None, social: tuple[SocialLink, ...], authors: tuple[AuthorConfig, ...], extra: Any
) -> None:
    """Refuse script-running URLs where site.yml gives URLs, since they reach every page.

    The keys that hold URLs refuse ``javascript:``, ``vbscript:`` and ``data:`` as front matter
    does; in ``extra``, whose values a theme may put anywhere, any text that is a script URL.
    """
    hint = "use an https:// URL or a site path such as /images/logo.png"
    urls: list[tuple[tuple[Any, ...], str | None]] = [(("logo",), logo)]
    urls += [(("social", i, "url"), link.url) for i, link in enumerate(social)]
    urls += [(("authors", a.slug, "avatar"), a.avatar) for a in authors]
    for keys, url in urls:
        if url and is_dangerous_url(url):
            name = ".".join(str(k) for k in keys)
            r.fail(keys, f"'{name}' uses a scheme that runs script or embeds data: {url!r}", hint)
    stack: list[tuple[tuple[Any, ...], Any]] = [(("extra",), extra)]
    while stack:  # nesting is bounded (see yamlsafe)
        keys, value = stack.pop()
        if isinstance(value, dict):
            stack += [((*keys, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [((*keys, i), v) for i, v in enumerate(value)]
        elif isinstance(value, str) and is_script_url(value):
            name = ".".join(str(k) for k in keys)
            r.fail(keys, f"'{name}' is a script URL: {value!r}", "remove it; a theme would publish it in every page")


def _read_list(
    r: _Reader, data: Mapping[str, Any], key: str, read: Callable[[_Reader, Any, tuple[Any, ...]], Any]
) -> list[Any]:
    raw = data.get(key)
    if raw is None:
        return []
    if key == "authors" and isinstance(raw, dict):
        items: list[tuple[tuple[Any, ...], Any]] = [((key, k), (k, v)) for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [((key, i), v) for i, v in enumerate(raw)]
    else:
        r.fail((key,), f"'{key}' must be {'a mapping' if key == 'authors' else 'a list'}")
        return []
    out = []
    for keys, value in items:
        item = read(r, value, keys)
        if item is not None:
            out.append(item)
    return out


def _read_author(r: _Reader, item: tuple[Any, Any], keys: tuple[Any, ...]) -> AuthorConfig | None:
    slug, value = item
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        r.fail(keys, f"author '{slug}' must be a mapping with name, bio and avatar")
        return None
    r.check_keys(value, ("name", "bio", "avatar", "role"), keys)
    name = r.get(value, "name", str, str(slug), keys)
    return AuthorConfig(
        slug=slugify(str(slug)),
        name=name,
        bio=r.get(value, "bio", str, "", keys),
        avatar=r.get(value, "avatar", str, None, keys),
        role=r.get(value, "role", str, "", keys),
    )


def _read_category(r: _Reader, value: Any, keys: tuple[Any, ...]) -> CategoryConfig | None:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or "name" not in value:
        r.fail(keys, "each category needs a name", "write - {name: World, description: ...}")
        return None
    r.check_keys(value, ("name", "slug", "description"), keys)
    name = r.get(value, "name", str, "", keys)
    return CategoryConfig(
        name=name,
        slug=slugify(r.get(value, "slug", str, name, keys)),
        description=r.get(value, "description", str, "", keys),
    )


def _read_social(r: _Reader, value: Any, keys: tuple[Any, ...]) -> SocialLink | None:
    if not isinstance(value, dict) or "name" not in value or "url" not in value:
        r.fail(keys, "each social link needs a name and a url", "write - {name: Mastodon, url: https://...}")
        return None
    r.check_keys(value, ("name", "url"), keys)
    return SocialLink(name=r.get(value, "name", str, "", keys), url=r.get(value, "url", str, "", keys))


def _read_related(r: _Reader, data: Mapping[str, Any]) -> RelatedConfig:
    keys = ("related",)
    r.check_keys(data, ("count", "weights", "time_scale_days"), keys)
    count = r.get(data, "count", int, 6, keys)
    weights = dict(RELATED_WEIGHTS)
    given = r.get(data, "weights", dict, {}, keys)
    r.check_keys(given, tuple(RELATED_WEIGHTS), (*keys, "weights"))
    for name in RELATED_WEIGHTS:
        weight = r.get(given, name, float, weights[name], (*keys, "weights"))
        if weight < 0:
            r.fail(
                (*keys, "weights", name),
                f"related.weights.{name} must be 0 or more, not {weight}",
                "use 0 to switch a signal off",
            )
            weight = weights[name]
        weights[name] = weight
    if count < 0:
        r.fail((*keys, "count"), f"related.count must be 0 or more, not {count}", "use 0 to hide the block")
        count = 6
    scale = r.get(data, "time_scale_days", float, 7.0, keys)
    if scale <= 0:
        r.fail(
            (*keys, "time_scale_days"),
            f"related.time_scale_days must be more than 0, not {scale}",
            "7 means articles a week apart count half as close as those of the same day",
        )
        scale = 7.0
    return RelatedConfig(count=count, weights=MappingProxyType(weights), time_scale_days=scale)


def _read_breaking(r: _Reader, data: Any, tz: ZoneInfo) -> BreakingNews | None:
    """``breaking: {text, url, expires, label}``: the banner; ``expires`` is required, so none stays up forever."""
    keys = ("breaking",)
    if data is None:
        return None
    if not isinstance(data, dict):
        r.fail(keys, "'breaking' must be a mapping", 'write breaking: {text: "...", expires: 2026-11-29T18:00}')
        return None
    r.check_keys(data, ("text", "url", "expires", "label"), keys)
    text = r.get(data, "text", str, "", keys).strip()
    if not text:
        r.fail(keys, "'breaking' needs a text", 'add text: "..." or remove the breaking: block')
    url = r.get(data, "url", str, None, keys)
    if url is not None and is_dangerous_url(url):
        r.fail(
            (*keys, "url"), f"'breaking.url' uses a scheme that runs script: {url!r}", "use a site path or https:// URL"
        )
        url = None
    label = r.get(data, "label", str, "", keys)
    raw = data.get("expires")
    expires: datetime | None = None
    if raw is None:
        r.fail(keys, "'breaking' needs an expires time", "add expires: 2026-11-29T18:00 (the site's time zone)")
    elif isinstance(raw, bool) or not isinstance(raw, (str, date)):
        r.fail((*keys, "expires"), f"'breaking.expires' must be a date-time, not {raw!r}", "write 2026-11-29T18:00")
    else:
        try:
            expires = _when(raw, tz)
        except ValueError as exc:
            r.fail(
                (*keys, "expires"), f"'breaking.expires' is not a valid date: {raw!r} ({exc})", "write 2026-11-29T18:00"
            )
    if not text or expires is None:
        return None
    return BreakingNews(text=text, expires=expires, url=url, label=label)


def _when(value: str | date, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is in the site's time zone."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _read_analytics(r: _Reader, data: Mapping[str, Any], root: Path, base_path: str) -> AnalyticsConfig:
    """``analytics: {path, most_read, show_views}``, and the views of the export found at ``path``."""
    keys = ("analytics",)
    r.check_keys(data, ("path", "most_read", "show_views"), keys)
    path = r.get(data, "path", str, "analytics", keys)
    most_read = r.get(data, "most_read", int, 5, keys)
    if most_read < 0:
        r.fail(
            (*keys, "most_read"), f"analytics.most_read must be 0 or more, not {most_read}", "use 0 to hide the block"
        )
        most_read = 5
    show_views = r.get(data, "show_views", bool, True, keys)
    if Path(path).is_absolute() or ".." in Path(path).parts:
        r.fail((*keys, "path"), f"analytics.path must lie inside the site: {path!r}", "write a path like analytics/")
        return AnalyticsConfig(path, most_read, show_views)
    views, problems = read_views(root, path, base_path)
    r.problems += [ConfigError(e.message, e.path, e.line, e.hint) for e in problems]
    return AnalyticsConfig(path, most_read, show_views, MappingProxyType(views))


FIELD_TYPES = ("email", "text", "hidden", "checkbox")


def _web_url(r: _Reader, keys: tuple[Any, ...], url: str, what: str) -> bool:
    """Whether ``url`` is an http(s) URL or a site path; report it otherwise."""
    if is_dangerous_url(url) or not (re.match(r"^https?://[^/\s]+", url) or url.startswith("/")):
        r.fail(keys, f"{what} must be an https:// URL or a site path, not {url!r}", "write https://...")
        return False
    return True


def _read_newsletter(r: _Reader, data: Any) -> NewsletterConfig | None:
    """``newsletter: {action, method, title, text, button, fields}``: the signup form."""
    keys: tuple[Any, ...] = ("newsletter",)
    if data is None:
        return None
    if not isinstance(data, dict):
        r.fail(keys, "'newsletter' must be a mapping", "write newsletter: {action: https://..., fields: [...]}")
        return None
    r.check_keys(data, ("action", "method", "title", "text", "button", "fields"), keys)
    action = r.get(data, "action", str, "", keys)
    if not action:
        r.fail(keys, "'newsletter' needs an action: the URL its form posts to", "copy it from your newsletter service")
        return None
    if not _web_url(r, (*keys, "action"), action, "'newsletter.action'"):
        return None
    method = r.get(data, "method", str, "post", keys).lower()
    if method not in ("post", "get"):
        r.fail((*keys, "method"), f"'newsletter.method' must be post or get, not {method!r}")
        method = "post"
    fields: list[FormField] = []
    raw_fields = data.get("fields")
    if raw_fields is not None and not isinstance(raw_fields, list):
        r.fail((*keys, "fields"), "'newsletter.fields' must be a list", "write - {name: email, type: email}")
        raw_fields = []
    for i, item in enumerate(raw_fields or []):
        at = (*keys, "fields", i)
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            r.fail(at, "each newsletter field needs a name", "write - {name: email, type: email, label: Email}")
            continue
        r.check_keys(item, ("name", "type", "label", "value", "required", "placeholder"), at)
        kind = r.get(item, "type", str, "text", at)
        if kind not in FIELD_TYPES:
            r.fail((*at, "type"), f"newsletter field type {kind!r} is not one of {', '.join(FIELD_TYPES)}")
            continue
        label = r.get(item, "label", str, "", at)
        if kind != "hidden" and not label:
            r.fail(at, f"newsletter field '{item['name']}' needs a label", "readers (and screen readers) see it")
            continue
        value = item.get("value", "")
        fields.append(
            FormField(
                name=item["name"].strip(),
                type=kind,
                label=label,
                value=str(value) if value is not None and not isinstance(value, (dict, list)) else "",
                required=r.get(item, "required", bool, False, at),
                placeholder=r.get(item, "placeholder", str, "", at),
            )
        )
    default = NewsletterConfig(action)
    return NewsletterConfig(
        action=action,
        method=method,
        title=r.get(data, "title", str, default.title, keys),
        text=r.get(data, "text", str, "", keys),
        button=r.get(data, "button", str, default.button, keys),
        fields=tuple(fields) if raw_fields else default.fields,
    )


def _read_comments(r: _Reader, data: Any) -> CommentsConfig | None:
    """``comments: {provider: giscus|remark42|isso, ...its settings}``; off when absent."""
    keys: tuple[Any, ...] = ("comments",)
    if data is None or data is False:
        return None
    if not isinstance(data, dict):
        r.fail(keys, "'comments' must be a mapping", "write comments: {provider: isso, host: https://comments.example}")
        return None
    provider = r.get(data, "provider", str, "", keys)
    if provider not in COMMENT_PROVIDERS:
        r.fail(
            (*keys, "provider") if "provider" in data else keys,
            f"comments.provider must be one of {', '.join(COMMENT_PROVIDERS)}, not {provider!r}",
            "these can be self-hosted or keep readers' data private",
        )
        return None
    needed, optional = COMMENT_PROVIDERS[provider], COMMENT_OPTIONAL[provider]
    r.check_keys(data, ("provider", *needed, *optional), keys)
    options: dict[str, str] = {}
    for name in (*needed, *optional):
        value = r.get(data, name, str, "", keys)
        if value:
            options[name] = value.strip()
        elif name in needed:
            r.fail(keys, f"comments with {provider} need '{name}'", f"add {name}: ... (see the {provider} docs)")
    if "host" not in options and provider in COMMENT_HOSTS:
        options["host"] = COMMENT_HOSTS[provider]
    if "host" in options and not _web_url(r, (*keys, "host"), options["host"], "'comments.host'"):
        return None
    if any(name not in options for name in needed):
        return None
    return CommentsConfig(provider, MappingProxyType(options))


def _read_markdown(r: _Reader, data: Mapping[str, Any]) -> MarkdownConfig:
    """Read site.yml ``markdown``; each extension is loaded once, so a wrong name or setting has its line."""
    import markdown as _markdown  # here: only sites that configure Markdown pay for the check

    keys = ("markdown",)
    r.check_keys(data, ("extensions", "extension_configs", "shortcodes"), keys)
    names: list[str] = []
    for i, name in enumerate(r.get(data, "extensions", list, [], keys)):
        if not isinstance(name, str) or not name.strip():
            r.fail((*keys, "extensions", i), f"markdown.extensions[{i}] must be an extension's name, not {name!r}")
            continue
        names.append(name.strip())
    configs: dict[str, Mapping[str, Any]] = {}
    given = r.get(data, "extension_configs", dict, {}, keys)
    for name, cfg in given.items():
        where = (*keys, "extension_configs", name)
        if not isinstance(cfg, dict):
            r.fail(where, f"markdown.extension_configs.{name} must be a mapping of settings, not {cfg!r}")
        elif name not in names and name not in MARKDOWN_EXTENSIONS:
            r.fail(
                where,
                f"markdown.extension_configs names '{name}', which is not in markdown.extensions",
                f"add '{name}' to markdown.extensions",
            )
        else:
            configs[name] = cfg
    for i, name in enumerate(names):
        try:
            _markdown.Markdown(extensions=[name], extension_configs={name: configs[name]} if name in configs else {})
        except (ImportError, AttributeError) as exc:
            hint = (
                "install pymdown-extensions (pip install pymdown-extensions)"
                if name.startswith("pymdownx.")
                else "use a name Python-Markdown knows (extra, codehilite, pymdownx.tilde, ...) or a module path"
            )
            r.fail((*keys, "extensions", i), f"unknown Markdown extension '{name}' ({exc})", hint)
        except KeyError as exc:
            r.fail(
                (*keys, "extension_configs", name),
                f"Markdown extension '{name}' has no setting {exc}",
                "see the extension's documentation for its settings",
            )
        except Exception as exc:  # an extension's own check of its settings: any kind of exception
            r.fail(
                (*keys, "extension_configs", name) if name in configs else (*keys, "extensions", i),
                f"Markdown extension '{name}' refused its settings: {exc}",
                "see the extension's documentation for its settings",
            )
    shortcodes = r.get(data, "shortcodes", dict, {}, keys)
    return MarkdownConfig(
        extensions=tuple(dict.fromkeys(names)),
        extension_configs=MappingProxyType(configs),
        shortcodes=MappingProxyType(dict(shortcodes)),
    )


def _known_language(language: str) -> bool:
    """Whether Babel knows the language (``en``, ``fr``, ``pt-BR``); imported here, when a site is read."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True
