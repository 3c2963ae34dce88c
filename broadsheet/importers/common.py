"""What every importer shares: the imported item, loose dates, the report, and writing files.

An importer reads another tool's archive into :class:`Item` values (no writing); :func:`write_items`
turns them into Broadsheet content files under the site's ``content/``, copies their files
(images, page bundles' resources) into ``static/``, and never overwrites anything: an item whose
file exists is skipped, with the reason in the :class:`ImportReport`.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ..urls import UnsafePath, alias_url, article_url, output_path, slugify


@dataclass
class Item:
    """One article or page read from an archive, in Broadsheet's terms."""

    origin: str
    """Where it came from, for the report: a file path, or ``export.xml:LINE``."""
    title: str
    date: datetime | date | None
    slug: str
    body: str
    kind: str = "article"  # or "page"
    category: str | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str | None = None
    draft: bool = False
    updated: datetime | _dt.date | None = None
    expires: datetime | _dt.date | None = None
    image: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    aliases: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    files: list[tuple[Path, str]] = field(default_factory=list)
    """Files to copy: (source file, site path such as ``/images/2015/a.jpg``)."""


@dataclass
class ImportReport:
    """What an import did: counts, and every skip and warning with its place."""

    articles: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    copied: int = 0
    translations: int = 0
    """Of the skipped: files in another language than the site's (a Hugo site's translations)."""
    aliases: int = 0
    repeated_headlines: int = 0
    """Bodies whose first line, a heading, repeated the headline, which the theme shows: left out."""
    dropped_keys: dict[str, int] = field(default_factory=dict)
    authors: dict[str, dict[str, str]] = field(default_factory=dict)
    """Author slug → name and bio, as found in the archive (for site.yml)."""
    categories: list[str] = field(default_factory=list)
    site: dict[str, Any] = field(default_factory=dict)
    """What the archive says about the site (title, base_url, timezone, ...), for a new site.yml."""
    site_file: str | None = None
    """The site.yml written (a new site) or the suggestions file written beside an existing one."""

    def skip(self, origin: str, reason: str) -> None:
        """Record an item left out and why."""
        self.skipped.append((origin, reason))

    def warn(self, where: str, message: str) -> None:
        """Record something the user should look at (``where`` is ``path:line`` when known)."""
        self.warnings.append((where, message))

    def drop(self, key: str) -> None:
        """Count a front-matter key that has no meaning in Broadsheet and was left out."""
        self.dropped_keys[key] = self.dropped_keys.get(key, 0) + 1

    def summary_lines(self) -> list[str]:
        """The summary printed after an import."""
        translations = f" ({self.translations} translations)" if self.translations else ""
        lines = [
            f"Imported {len(self.articles)} article(s) and {len(self.pages)} page(s); "
            f"skipped {len(self.skipped)}{translations}; {len(self.warnings)} warnings; "
            f"{self.copied} files copied; {self.aliases} old URLs redirected."
        ]
        if self.repeated_headlines:
            lines.append(
                f"Left out the first heading of {self.repeated_headlines} bodies: it repeated the headline, "
                "which the theme shows above the body."
            )
        if self.skipped:
            lines.append("Skipped:")
            lines += [f"  {origin}: {reason}" for origin, reason in self.skipped]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  {where}: {message}" for where, message in self.warnings]
        if self.dropped_keys:
            keys = ", ".join(f"{k} ({n})" for k, n in sorted(self.dropped_keys.items()))
            lines.append(f"Front-matter keys not carried over (no meaning in Broadsheet): {keys}")
        if self.site_file:
            lines.append(f"Authors and categories: see {self.site_file}")
        return lines


# ------------------------------------------------------------------ dates

_LOOSE_DATE = re.compile(
    r"^(?P<date>\d{4}-\d{1,2}-\d{1,2})"
    r"(?:[T ]+(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


def parse_loose_date(value: object) -> datetime | date | None:
    """A date as other tools write them, or None when it cannot be read.

    Accepts YAML and TOML date values, ISO 8601, Jekyll's Ruby-style ``2015-03-17 14:00:00 -4``
    or ``-0400``, and RFC 2822 (``Tue, 17 Mar 2015 14:00:00 -0400``). A value without an offset
    stays without one (read later in the site's time zone).
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    m = _LOOSE_DATE.match(text)
    if m:
        try:
            year, month, day = (int(x) for x in m.group("date").split("-"))
            if not m.group("time"):
                if m.group("zone"):
                    return datetime(year, month, day, tzinfo=_zone(m.group("zone")))
                return date(year, month, day)
            parts = m.group("time").split(":")
            seconds = float(parts[2]) if len(parts) > 2 else 0.0
            moment = datetime(year, month, day, int(parts[0]), int(parts[1]), int(seconds))
            zone = m.group("zone")
            return moment.replace(tzinfo=_zone(zone)) if zone else moment
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _zone(text: str) -> timezone:
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:-2]), int(digits[-2:]))
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def iso(value: datetime | date) -> str:
    """The value as Broadsheet's front matter writes it: ISO 8601, with the offset when known."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


# ------------------------------------------------------------------ URLs and names


def site_path(url: str) -> str | None:
    """The path of an old URL (absolute or site-relative), as an alias; None if it has none worth keeping."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path)
    if parts.query and not path.strip("/"):
        return None  # /?p=123 cannot be served by a static site
    if not path or path == "/":
        return None
    if not path.startswith("/"):
        path = "/" + path
    path = re.sub(r"/{2,}", "/", path)
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return path


def author_slug(name: str) -> str:
    """The site.yml key of an author."""
    return slugify(name, fallback="author")


def as_list(value: object, split_spaces: bool = False) -> list[str]:
    """A front-matter value as a list of strings: a list, or one string (split on spaces: Jekyll's rule)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [s.strip() for s in (value.split() if split_spaces else [value]) if s.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def author_names(value: object) -> list[str]:
    """Names from ``author``/``authors`` as tools write them: a string, a list, or ``{name: ...}`` mappings."""
    if value is None:
        return []
    if isinstance(value, dict):
        name = value.get("name") or value.get("display_name") or value.get("login")
        return [str(name)] if name else []
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in author_names(v)]
    return [str(value).strip()] if str(value).strip() else []


# ------------------------------------------------------------------ writing


def dump_front_matter(data: dict[str, Any]) -> str:
    """YAML front matter that Broadsheet reads back as written (strings quoted where YAML would guess)."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None)
    return f"---\n{text}---\n"


def _front_matter(item: Item, slug: str) -> dict[str, Any]:
    data: dict[str, Any] = {"title": item.title}
    if item.kind == "article":
        assert item.date is not None
        data["date"] = iso(item.date)
        if len(item.authors) == 1:
            data["author"] = item.authors[0]
        elif item.authors:
            data["authors"] = item.authors
        if item.category:
            data["category"] = item.category
        if item.tags:
            data["tags"] = item.tags
    if item.summary:
        data["summary"] = item.summary
    if item.kind == "article":
        for key in ("image", "image_alt", "image_caption"):
            if getattr(item, key):
                data[key] = getattr(item, key)
        data["slug"] = slug
        if item.draft:
            data["draft"] = True
        if item.updated:
            data["updated"] = iso(item.updated)
        if item.expires:
            data["expires"] = iso(item.expires)
    if item.aliases:
        data["aliases"] = item.aliases
    for key, value in item.extra.items():
        data.setdefault(key, value)
    return data


#: Addresses Broadsheet itself serves (its listings, feeds, search and theme files): an old URL
#: there cannot redirect, and a page cannot take the name.
RESERVED_PREFIXES = ("/category/", "/tag/", "/author/", "/page/", "/archive/", "/search/", "/theme/", "/pagefind/")
RESERVED_FILES = ("/feed.xml", "/sitemap.xml", "/news-sitemap.xml", "/robots.txt", "/404.html", "/index.html")
RESERVED_PAGE_SLUGS = frozenset({"category", "tag", "author", "page", "archive", "search", "theme", "pagefind"})


def reserved(path: str) -> bool:
    """True for an address Broadsheet serves itself (see RESERVED_PREFIXES)."""
    folder = path if path.endswith("/") or "." in path.rsplit("/", 1)[-1] else path + "/"
    return folder.startswith(RESERVED_PREFIXES) or path in RESERVED_FILES or folder == "/"


def write_items(
    items: Iterable[Item],
    site_root: Path,
    report: ImportReport,
    permalink: str = "/{category}/{slug}/",
    default_category: str = "News",
    dry_run: bool = False,
    copy: Callable[[Path, Path], None] | None = None,
) -> None:
    """Write items as content files; copy their files into static/; never overwrite.

    Slugs taken twice within a category get the year, then a number; an old URL claimed by two
    items, or the same as an item's new URL, is kept once (or dropped) with a warning.
    """
    copy = copy or _copy_file
    content = site_root / "content"
    taken_paths: set[Path] = set()
    new_urls: dict[str, str] = {}
    planned: list[tuple[Item, Path, str, str]] = []
    for item in items:
        if item.kind == "page":
            slug = slugify(item.slug or item.title, fallback="page")
            if slug in RESERVED_PAGE_SLUGS:
                report.warn(item.origin, f"/{slug}/ is Broadsheet's own page: written as '{slug}-page'")
                slug += "-page"
            target = content / "pages" / f"{slug}.md"
            base, n = slug, 2
            while target in taken_paths:
                slug = f"{base}-{n}"
                target = content / "pages" / f"{slug}.md"
                n += 1
            if slug != base:
                report.warn(item.origin, f"page slug '{base}' is taken: written as '{slug}'")
            url = f"/{slug}/"
        else:
            item.category = item.category or default_category
            category_slug = slugify(item.category, fallback="news")
            slug = slugify(item.slug or item.title, fallback="article")
            target = content / category_slug / f"{slug}.md"
            if target in taken_paths and isinstance(item.date, (date, datetime)):
                slug = f"{slug}-{item.date.year}"
                target = content / category_slug / f"{slug}.md"
            n = 2
            base = slug
            while target in taken_paths:
                slug = f"{base}-{n}"
                target = content / category_slug / f"{slug}.md"
                n += 1
            if slug != slugify(item.slug or item.title, fallback="article"):
                report.warn(item.origin, f"slug '{item.slug}' is taken in {category_slug}/: written as '{slug}'")
            when = item.date if isinstance(item.date, datetime) else datetime(2000, 1, 1)
            if isinstance(item.date, date) and not isinstance(item.date, datetime):
                when = datetime(item.date.year, item.date.month, item.date.day)
            url = article_url(permalink, category_slug, slug, when)
        taken_paths.add(target)
        if target.exists():
            report.skip(item.origin, f"{target.relative_to(site_root).as_posix()} exists (imports never overwrite)")
            continue
        new_urls[url.casefold()] = item.origin
        planned.append((item, target, slug, url))
    claimed: dict[str, str] = {}
    for item, _target, _slug, url in planned:
        # Articles and pages alike: each old URL that can be kept becomes an alias (a redirect).
        kept: list[str] = []
        for alias in dict.fromkeys(item.aliases):
            try:
                output_path(alias)
            except UnsafePath:
                report.warn(item.origin, f"old URL {alias!r} cannot be redirected from a static site: left out")
                continue
            where = alias_url(alias)
            # Output paths are compared without case: file systems that ignore it would merge them.
            key = where.casefold()
            folder_key = alias_url(alias.rstrip("/") + "/").casefold()
            if url.casefold() in (key, folder_key, key + "/"):
                continue  # the same address as before: nothing to redirect
            if reserved(where):
                report.warn(
                    item.origin, f"old URL {alias} is one Broadsheet serves itself (listings, search): left out"
                )
                continue
            if key in new_urls or folder_key in new_urls:
                report.warn(
                    item.origin,
                    f"old URL {alias} is now the address of {new_urls.get(key, new_urls.get(folder_key))}: left out",
                )
                continue
            if key in claimed:
                report.warn(item.origin, f"old URL {alias} was also {claimed[key]}'s: left out")
                continue
            claimed[key] = item.origin
            kept.append(alias)
        item.aliases = kept
    moved = {alias_url(a).casefold(): url for item, _t, _s, url in planned for a in item.aliases}
    old_host = urlsplit(str(report.site.get("base_url") or "")).netloc.casefold()
    for item, target, slug, _url in planned:
        if old_host and moved:
            item.body = _point_links_home(item.body, old_host, moved, report, item.origin)
        body = _without_repeated_headline(item.body, item.title)
        if body is not item.body:
            report.repeated_headlines += 1
        text = dump_front_matter(_front_matter(item, slug)) + "\n" + body.strip("\n") + "\n"
        copies: list[tuple[Path, Path]] = []
        for source, path in item.files:
            dest = site_root / "static" / PurePosixPath(path.lstrip("/"))
            if dest.exists():
                if dest.read_bytes() != source.read_bytes():
                    report.warn(item.origin, f"static{path} exists with other content: not copied")
                continue
            copies.append((source, dest))
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
                fh.write(text)
            for source, dest in copies:
                copy(source, dest)
        for name in item.authors:
            report.authors.setdefault(author_slug(name), {"name": name})
        report.copied += len(copies)
        report.aliases += len(item.aliases)
        rel = target.relative_to(site_root).as_posix()
        (report.pages if item.kind == "page" else report.articles).append(rel)
        if item.kind == "article" and item.category and item.category not in report.categories:
            report.categories.append(item.category)


_OWN_LINK = re.compile(
    r"""(?P<lead>href=["']|\]\()(?P<url>https?://(?P<host>[^/"'\s)]+)(?P<path>/[^"'\s)#?]*)?)""", re.I
)


_ATX_H1 = re.compile(r"#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")
_SETEXT_H1 = re.compile(r"=+[ \t]*")


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _without_repeated_headline(body: str, title: str) -> str:
    """The body without its first line when that is a top heading saying the headline again
    (``# Title``, or ``Title`` over ``===``), as blog posts often begin: the theme shows the
    headline above the body, and the page would read it twice. Any other body is returned as it is
    (the same object)."""
    lines = body.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return body
    if (m := _ATX_H1.fullmatch(lines[first].strip())) and _same_words(m.group(1), title):
        end = first + 1
    elif first + 1 < len(lines) and _SETEXT_H1.fullmatch(lines[first + 1].strip()) and _same_words(lines[first], title):
        end = first + 2
    else:
        return body
    return "\n".join(lines[end:]).lstrip("\n")


def _point_links_home(body: str, old_host: str, moved: dict[str, str], report: ImportReport, origin: str) -> str:
    """Links to the old site's own posts (``https://old.example.com/2015/03/story/``) → their new addresses.

    The archive then stands on its own, whatever becomes of the old domain. Links to anything
    else on the old site are left as they are.
    """

    def swap(m: re.Match[str]) -> str:
        if m.group("host").casefold() != old_host:
            return m.group(0)
        path = unquote(m.group("path") or "/")
        new = moved.get(alias_url(path).casefold()) or moved.get(alias_url(path.rstrip("/") + "/").casefold())
        if new is None:
            return m.group(0)
        return m.group("lead") + new

    return _OWN_LINK.sub(swap, body)


def _copy_file(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)


def copy_tree_files(
    source_dir: Path,
    dest_prefix: str,
    report: ImportReport,
    site_root: Path,
    dry_run: bool,
    keep: Callable[[Path], bool],
) -> None:
    """Copy every file under ``source_dir`` that ``keep`` accepts to ``static/<dest_prefix>/`` (never overwriting)."""
    if not source_dir.is_dir():
        return
    for path in sorted(source_dir.rglob("*")):
        rel = path.relative_to(source_dir)
        if not path.is_file() or path.is_symlink() or any(p.startswith(".") for p in rel.parts) or not keep(path):
            continue
        dest = site_root / "static" / dest_prefix / rel
        if dest.exists():
            if dest.read_bytes() != path.read_bytes():
                report.warn(
                    str(path), f"{dest.relative_to(site_root).as_posix()} exists with other content: not copied"
                )
            continue
        if not dry_run:
            _copy_file(path, dest)
        report.copied += 1


def write_site_file(site_root: Path, report: ImportReport, dry_run: bool) -> None:
    """A new site: write site.yml from the archive. An existing one: write site.imported.yml with what to add.

    site.yml is the user's, with their comments and order: an import does not rewrite it.
    """
    authors = {slug: {k: v for k, v in a.items() if v} for slug, a in sorted(report.authors.items())}
    categories = [{"name": name} for name in report.categories]
    existing = (site_root / "site.yml").is_file()
    data: dict[str, Any] = {}
    if not existing:
        data.update({k: v for k, v in report.site.items() if v})
    if authors:
        data["authors"] = authors
    if categories:
        data["categories"] = categories
    if not data:
        return
    name = "site.imported.yml" if existing else "site.yml"
    path = site_root / name
    header = (
        "# Authors and categories found by `broadsheet import`: copy what you want into site.yml.\n"
        "# (This file is not read by the build.)\n"
        if existing
        else "# Written by `broadsheet import` from the archive; edit freely.\n"
    )
    if existing and path.exists():
        report.warn(name, "exists: not overwritten; the authors and categories are listed above instead")
        for slug, a in authors.items():
            report.warn("authors", f"{slug}: {a}")
        return
    if not dry_run:
        site_root.mkdir(parents=True, exist_ok=True)
        path.write_text(
            header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8"
        )
    report.site_file = name
