"""Theme lookup and inheritance, and the Jinja environment that renders it."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup

from ..errors import BuildWarning, ConfigError, TemplateError
from ..publish.images import file_size, resolve_image
from ..publish.pictures import Picture, responsive_body
from ..speedups import jinja as jinja_speedups
from ..speedups import jinja_on as speedups_on
from ..urls import absolute, base_path, public_url
from .fragments import Fragments
from .fragments import install as install_fragments
from .i18n import translator

#: Themes shipped inside the package (package data), found after the site's own themes/.
BUNDLED_THEMES = Path(__file__).resolve().parent.parent / "themes"
THEME_KEYS = ("name", "description", "extends", "version", "author", "license")


@dataclass(frozen=True, slots=True)
class Theme:
    """A resolved theme: its folder and those of the themes it extends, most specific first."""

    name: str
    chain: tuple[Path, ...]

    @property
    def template_dirs(self) -> list[str]:
        """Template folders, most specific first: a child overrides single templates."""
        return [str(p / "templates") for p in self.chain if (p / "templates").is_dir()]

    @property
    def static_dirs(self) -> list[Path]:
        """Static folders, most specific first."""
        return [p / "static" for p in self.chain if (p / "static").is_dir()]


def find_theme_dir(name: str, site_root: Path) -> Path | None:
    """Look for a theme in the site's own themes/ first, then among the bundled ones."""
    for base in (site_root / "themes", BUNDLED_THEMES):
        candidate = base / name
        if (candidate / "templates").is_dir() or (candidate / "theme.yml").is_file():
            return candidate
    return None


def load_theme(name: str, site_root: Path) -> Theme:
    """Resolve a theme and the chain of themes it extends."""
    chain: list[Path] = []
    seen: set[str] = set()
    current: str | None = name
    while current:
        if current in seen:
            raise ConfigError(
                f"theme '{current}' extends itself through {' → '.join(seen)}",
                "site.yml",
                None,
                "remove the loop in the themes' extends:",
            )
        seen.add(current)
        folder = find_theme_dir(current, site_root)
        if folder is None:
            raise ConfigError(
                f"theme '{current}' not found",
                "site.yml",
                None,
                f"create themes/{current}/templates/ in the site, or use theme: frontier",
            )
        chain.append(folder)
        current = _read_theme_yml(folder).get("extends")
    return Theme(name, tuple(chain))


def _read_theme_yml(folder: Path) -> dict[str, Any]:
    path = folder / "theme.yml"
    if not path.is_file():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.CSafeLoader) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read theme.yml: {exc}", str(path), None) from None
    if not isinstance(data, dict):
        raise ConfigError("theme.yml must be a mapping", str(path), 1)
    for key in data:
        if key not in THEME_KEYS:
            raise ConfigError(
                f"unknown key '{key}' in theme.yml", str(path), None, f"known keys: {', '.join(THEME_KEYS)}"
            )
    return data


def format_date(value: datetime | None, fmt: str = "%d %B %Y") -> str:
    """Format a date for readers; ``%-d`` style flags are avoided for portability."""
    if value is None:
        return ""
    return value.strftime(fmt.replace("%-d", str(value.day)))


class ContainedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that will not read a template through a symlink leading out of its themes."""

    def __init__(self, searchpath: list[str], allowed: list[Path]) -> None:
        super().__init__(searchpath)
        self.allowed = [p.resolve() for p in allowed]

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(root) for root in self.allowed):
            raise jinja2.TemplateNotFound(f"{template} (a symbolic link leading outside the theme; not followed)")
        return source, filename, uptodate


def symlink_warnings(theme: Theme, site_root: Path) -> list[BuildWarning]:
    """Warn about symlinks in the theme's folders that lead outside the site or the theme."""
    allowed = [site_root.resolve(), *(p.resolve() for p in theme.chain)]
    found: list[BuildWarning] = []
    for folder in theme.chain:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() and not any(path.resolve().is_relative_to(a) for a in allowed):
                found.append(
                    BuildWarning(
                        "symbolic link leads outside the site; not followed",
                        str(path),
                        None,
                        "copy the file into the theme instead of linking to it",
                    )
                )
    return found


class SiteEnvironment(jinja2.Environment):
    """A Jinja environment whose templates see its globals as one flat mapping, with the speed-ups
    of :mod:`broadsheet.speedups.jinja` where they are on (``speedups=None``: as switched).

    Jinja chains each template's globals onto the environment's (a ChainMap), and then, for every
    ``{% include %}`` and ``{% import %}``, takes the set of their keys through that chain: several
    microseconds each, for a card partial that a listing includes once per story. Broadsheet
    sets every global before the first template loads and never changes one later, so a copy
    behaves the same.
    """

    def __init__(self, *args: Any, speedups: bool | None = None, **kwargs: Any) -> None:
        if speedups if speedups is not None else speedups_on():
            # Read by Jinja from the environment when it compiles a template and makes a context.
            self.code_generator_class = jinja_speedups.OutputCodeGenerator
            self.context_class = jinja_speedups.SiteContext
        super().__init__(*args, **kwargs)

    #: What templates compiled with the speed-ups call to escape output (see OutputCodeGenerator).
    escape_output = staticmethod(jinja_speedups.escape_output)
    base_path: str = "/"
    fragments: Fragments | None = None
    """The story cards rendered in the current render pass (see render/fragments.py)."""
    """The path the site is published under (``/news/``): what the ``url`` filter puts site paths under."""
    relative_urls: bool = False
    """site.yml ``relative_urls``: each page's links are made relative to it once rendered."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


#: Distinct (time, format) pairs remembered by the ``date`` and ``isodate`` filters of one
#: environment: a story's date is shown on ~15 pages (its own, listings, related blocks).
DATE_MEMO = 65536


def make_environment(
    theme: Theme,
    base_url: str,
    tz_convert: Callable[[datetime], datetime],
    site_root: Path | None = None,
    files_fixed: bool = False,
    compiled_dir: Path | None = None,
    pictures: Mapping[str, Picture] | None = None,
    language: str = "en",
    relative_urls: bool = False,
) -> SiteEnvironment:
    """Create the Jinja environment: autoescape for HTML and XML, StrictUndefined, our filters.

    With ``site_root``, templates can call ``image_size(url)`` to get an image's
    (width, height) for its ``<img>`` attributes (None when unknown). ``files_fixed`` says
    the site's files will not change while the environment is in use (a build, unlike a live
    preview): each picture's size is then read once. ``compiled_dir``: a folder where compiled
    templates are kept between builds (keyed by each template's source; the folder's name must
    change with the code that compiles them). ``pictures``: the responsive variants planned for
    the site's pictures (see publish/pictures.py), read by ``picture_of(url)`` and the
    ``responsive_images`` filter; the mapping may be updated in place (the live preview does).
    ``language``: the site's language, for ``t(key)`` (the theme's and the site's string tables,
    see i18n.py) and for the month and day names the ``date`` filter writes.
    change with the code that compiles them). ``relative_urls``: pages link to each other with
    relative URLs (see render.render_job).
    """
    words = translator([*([site_root] if site_root else []), *theme.chain], language)
    env = SiteEnvironment(
        loader=ContainedLoader(theme.template_dirs, [*theme.chain, *([site_root] if site_root else [])]),
        # Asked again for every include, import and macro call: answered once per template name.
        autoescape=lru_cache(maxsize=None)(jinja2.select_autoescape(["html", "htm", "xml"], default_for_string=True)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates are never reloaded in place (a live preview makes a new environment when
        # one changes), so a plain dict is cache enough: the default LRU cache locks and
        # reorders on every include and import.
        auto_reload=False,
        cache_size=-1,
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled_dir)) if compiled_dir is not None else None,
    )

    # Keyed on the fold too: equal times in one zone compare equal even when fold tells
    # apart the two readings of an hour that a clock change repeats.
    @lru_cache(maxsize=DATE_MEMO)
    def date(value: datetime, fold: int, fmt: str) -> str:
        return words.date(tz_convert(value), fmt)

    @lru_cache(maxsize=DATE_MEMO)
    def isodate(value: datetime, fold: int) -> str:
        return tz_convert(value).isoformat()

    def date_filter(value: Any, fmt: str = "%d %B %Y") -> str:
        if type(value) is datetime:  # anything else goes the slow way, failing as it always did
            return date(value, value.fold, fmt)
        return words.date(tz_convert(value), fmt) if value else ""

    def isodate_filter(value: Any) -> str:
        if type(value) is datetime:
            return isodate(value, value.fold)
        return tz_convert(value).isoformat() if value else ""

    env.filters["date"] = date_filter
    env.filters["isodate"] = isodate_filter
    env.filters["absolute"] = lambda url: absolute(base_url, url)
    env.filters["number"] = words.number
    env.globals["t"] = words
    # Every link a theme writes goes through `url`: `{{ article.url | url }}`, `{{ url("/theme/css/style.css") }}`.
    # Site paths are put under the base URL's path, so a site published at https://x.org/news/ links to
    # /news/world/a/; with relative_urls, render_job then makes them relative to each page.
    env.base_path = base = base_path(base_url)
    env.relative_urls = relative_urls
    env.filters["url"] = env.globals["url"] = lambda url: public_url(url, base) if type(url) is str else url
    static_dirs = theme.static_dirs
    found: dict[str | None, Path] = {}
    sizes: dict[str | None, tuple[int, int] | None] = {}

    def sized(url: str | None) -> tuple[int, int] | None:
        # Where a URL's file lies is found once per environment (resolving costs a stat per folder);
        # its size is read again whenever the file changes (a live preview keeps the environment),
        # unless the files are fixed: then the answer, None included, is kept.
        if site_root is None:
            return None
        if files_fixed and url in sizes:
            return sizes[url]
        path = found.get(url)
        if path is None:
            path = resolve_image(site_root, url, static_dirs)
            if path is not None:
                found[url] = path
        size = file_size(path) if path is not None else None
        if size is None:
            found.pop(url, None)  # gone: look again next time
        if files_fixed:
            sizes[url] = size
        return size

    env.globals["image_size"] = sized
    planned: Mapping[str, Picture] = pictures if pictures is not None else {}

    def picture_of(url: str | None) -> Picture | None:
        return planned.get(url) if url else None

    env.globals["picture_of"] = picture_of
    env.fragments = install_fragments(env)
    env.filters["responsive_images"] = lambda html, sizes=BODY_SIZES: Markup(
        responsive_body(str(html), planned, sizes, env.base_path)
    )
    return env


#: The width a picture in an article's body takes: the story column (46rem) or the screen.
BODY_SIZES = "(min-width: 48rem) 46rem, 100vw"


def shown_path(path: str | None) -> str | None:
    """A template's path as users read it: relative to the current folder when inside it."""
    if not path:
        return path
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path


def template_error(exc: Exception, rendering: str | None) -> TemplateError:
    """Turn a Jinja exception into a TemplateError naming the template path:line and the content file."""
    about = f" while rendering {rendering}" if rendering else ""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(
            f"template syntax error: {exc.message}{about}",
            shown_path(exc.filename) or exc.name,
            exc.lineno,
            "fix the template",
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return TemplateError(
            f"template '{exc.name}' not found{about}", None, None, "add it to the theme or to the theme it extends"
        )
    path, line = None, None
    # Jinja rewrites tracebacks so template frames carry the template's file and line.
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2", ".jinja")):
            path, line = frame.filename, frame.lineno
    message = str(exc) if isinstance(exc, jinja2.UndefinedError) else f"{type(exc).__name__}: {exc}"
    return TemplateError(f"{message}{about}", shown_path(path), line, "check the variable names the template uses")
