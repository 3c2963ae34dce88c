"""Jekyll and Hugo sites → Broadsheet items.

Both are read in two passes: first every file's front matter (so that each post's new address is
known), then the bodies, whose internal links (``{% post_url %}``, ``{{< ref >}}``) can then be
pointed at the new addresses. Old addresses come from the tool's own permalink settings and
become aliases.
"""

from __future__ import annotations

import functools
import glob
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ..urls import article_url, slugify
from .common import ImportReport, Item, copy_tree_files
from .convert import convert_hugo, convert_liquid
from .files import item_from, read_document

MEDIA = frozenset(
    [
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "avif",
        "svg",
        "ico",
        "bmp",
        "tif",
        "tiff",
        "mp3",
        "m4a",
        "ogg",
        "oga",
        "wav",
        "flac",
        "mp4",
        "m4v",
        "webm",
        "ogv",
        "mov",
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "csv",
        "zip",
        "txt",
    ]
)
MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
_DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[-_](.+)$")


def _date_in_path(path: str) -> date | None:
    """The date in an address such as ``/inside-rust/2020/07/29/story``, if any."""
    m = re.search(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)", path)
    return _date_in(f"{m.group(1)}-{m.group(2)}-{m.group(3)}-x") if m else None


def _date_in(name: str) -> date | None:
    """The date a ``YYYY-MM-DD-`` (or Zola's ``YYYY-MM-DD_``) name starts with, if it is one."""
    m = _DATED.match(name)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass
class _Pending:
    item: Item
    raw: str
    body_line: int
    key: str
    old_url: str | None


def _predict(item: Item, permalink: str, default_category: str) -> str:
    """The address write_items will give the item (a slug taken twice may still move it)."""
    slug = slugify(item.slug or item.title, fallback="article")
    if item.kind == "page":
        return f"/{slugify(item.slug or item.title, fallback='page')}/"
    when = item.date if isinstance(item.date, datetime) else datetime(2000, 1, 1)
    if isinstance(item.date, date) and not isinstance(item.date, datetime):
        when = datetime(item.date.year, item.date.month, item.date.day)
    return article_url(permalink, slugify(item.category or default_category, fallback="news"), slug, when)


def _finish(
    pending: list[_Pending],
    report: ImportReport,
    permalink: str,
    default_category: str,
    convert: Callable[[str, str, int, ImportReport, Callable[[str], str | None]], str],
    aliases_from: Callable[[str], list[str]],
) -> list[Item]:
    urls: dict[str, str] = {}
    for p in pending:
        new = _predict(p.item, permalink, default_category)
        for key in aliases_from(p.key):
            urls.setdefault(key, new)
        if p.old_url:
            p.item.aliases.insert(0, p.old_url)

    def resolve(name: str) -> str | None:
        name = name.strip().strip("\"'")
        for key in (name, name.lstrip("/"), PurePosixPath(name).stem, PurePosixPath(name).name):
            if key in urls:
                return urls[key]
        return None

    out = []
    for p in pending:
        origin = p.item.origin
        p.item.body = convert(p.raw, origin, p.body_line, report, resolve)
        out.append(p.item)
    return out


# ------------------------------------------------------------------ Jekyll

JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def jekyll_url(pattern: str, item: Item, categories: list[str], title_slug: str, ext: str) -> str:
    """A post's address under Jekyll's permalink pattern (the common placeholders)."""
    when = item.date if isinstance(item.date, (date, datetime)) else date(2000, 1, 1)
    moment = when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)
    values = {
        "categories": "/".join(c.lower().replace(" ", "-") for c in categories),
        "year": f"{moment.year:04d}",
        "short_year": f"{moment.year % 100:02d}",
        "month": f"{moment.month:02d}",
        "i_month": str(moment.month),
        "day": f"{moment.day:02d}",
        "i_day": str(moment.day),
        "y_day": f"{moment.timetuple().tm_yday:03d}",
        "hour": f"{moment.hour:02d}",
        "minute": f"{moment.minute:02d}",
        "second": f"{moment.second:02d}",
        "title": title_slug,
        "slug": title_slug,
        "output_ext": ext,
        "week": f"{moment.isocalendar()[1]:02d}",
        "short_day": moment.strftime("%a"),
    }
    url = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    return re.sub(r"/{2,}", "/", "/" + url.lstrip("/"))


def read_jekyll(source: Path, report: ImportReport, permalink: str, default_category: str, site_root: Path,
                dry_run: bool) -> list[Item]:  # fmt: skip
    """Read a Jekyll site: posts (``_posts``, ``_drafts``), Markdown pages, and media files into static/."""
    config: dict[str, Any] = {}
    config_path = source / "_config.yml"
    if config_path.is_file():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
            config = loaded if isinstance(loaded, dict) else {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            report.warn("_config.yml", f"cannot be read ({exc}): defaults used")
    # The site's files may live in a folder of their own (_config.yml's `source`, often src/).
    for candidate in (str(config.get("source") or ""), "src"):
        if candidate and not (source / "_posts").is_dir() and (source / candidate / "_posts").is_dir():
            source = source / candidate
            break
    url = str(config.get("url") or "").rstrip("/")
    baseurl = str(config.get("baseurl") or "").rstrip("/")
    report.site.update(
        title=str(config.get("title") or ""),
        tagline=str(config.get("description") or config.get("tagline") or ""),
        base_url=(url + baseurl + "/") if url.startswith("http") else "",
        timezone=str(config.get("timezone") or ""),
        language=str(config.get("lang") or config.get("locale") or "").split("_")[0].split("-")[0],
    )
    pattern = str(config.get("permalink") or "date")
    pattern = JEKYLL_STYLES.get(pattern, pattern)
    authors_data = _jekyll_authors(source, report)
    pending: list[_Pending] = []
    skip_dirs = {"_site", "node_modules", "vendor", ".git", ".jekyll-cache", ".sass-cache"}
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part in skip_dirs for part in rel.parts) or not path.is_file() or path.is_symlink():
            continue
        posts_at = next((i for i, part in enumerate(rel.parts) if part in ("_posts", "_drafts")), None)
        origin = rel.as_posix()
        if posts_at is not None:
            if path.suffix.lower() not in (*MARKDOWN, ".html"):
                continue
            folder_categories = [p for p in rel.parts[:posts_at] if not p.startswith(("_", "."))]
            is_draft = rel.parts[posts_at] == "_drafts"
            p = _jekyll_post(path, origin, report, folder_categories, is_draft, pattern, baseurl, authors_data)
            if p:
                pending.append(p)
        elif (
            len(rel.parts) == 1
            and path.suffix.lower() in MARKDOWN
            and path.stem.lower() not in ("readme", "license", "changelog")
        ):
            document = read_document(path, origin, report)
            if document is None:
                continue
            data, body, line = document
            if not data:
                continue  # no front matter: Jekyll copies it as a file, it is not a page
            if path.stem == "index":
                report.skip(origin, "the home page is the theme's")
                continue
            item = item_from(data, body, origin, report, slug=path.stem, file_date=None, kind="page", section=None,
                             split_spaces=False)  # fmt: skip
            if item:
                pending.append(_Pending(item, body, line, origin, None))
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        if folder.name.startswith(("_", ".")) or folder.name in skip_dirs:
            continue
        copy_tree_files(folder, folder.name, report, site_root, dry_run,
                        lambda f: f.suffix.lower().lstrip(".") in MEDIA and "_posts" not in f.parts)  # fmt: skip

    def aliases(key: str) -> list[str]:
        name = PurePosixPath(key)
        return [key, name.name, name.stem, name.stem.split("-", 3)[-1] if _DATED.match(name.stem) else name.stem]

    convert = functools.partial(convert_liquid, includes_dir=source / "_includes")
    return _finish(pending, report, permalink, default_category, convert, aliases)


def _jekyll_authors(source: Path, report: ImportReport) -> dict[str, dict[str, Any]]:
    """``_data/authors.yml``: author keys → name, bio."""
    for name in ("authors.yml", "authors.yaml"):
        path = source / "_data" / name
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                report.warn(f"_data/{name}", f"cannot be read ({exc})")
                return {}
            return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
    return {}


def _jekyll_post(path: Path, origin: str, report: ImportReport, folder_categories: list[str], is_draft: bool,
                 pattern: str, baseurl: str, authors_data: dict[str, dict[str, Any]]) -> _Pending | None:  # fmt: skip
    document = read_document(path, origin, report)
    if document is None:
        return None
    data, body, line = document
    m = _DATED.match(path.stem)
    file_date = None
    slug = path.stem
    if m:
        try:
            file_date = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            if "date" not in data:
                report.skip(
                    origin, f"the date in the file name ({path.stem[:10]}) does not exist, and there is no date:"
                )
                return None
        slug = m.group(4)
    elif is_draft:
        file_date = datetime.fromtimestamp(path.stat().st_mtime).date()
    elif "date" not in data:
        report.skip(origin, "a post's file name must start with its date (YYYY-MM-DD-) or it needs date:")
        return None
    if "categories" not in data and "category" not in data and folder_categories:
        data["categories"] = folder_categories
    item = item_from(data, body, origin, report, slug=slug, file_date=file_date, kind="article", section=None,
                     split_spaces=True)  # fmt: skip
    if item is None:
        return None
    if is_draft:
        item.draft = True
    item.authors = [_jekyll_author(a, authors_data, report) for a in item.authors]
    raw_categories = data.get("categories", data.get("category")) or []
    if isinstance(raw_categories, str):
        raw_categories = raw_categories.split()
    old = None
    if not isinstance(data.get("permalink"), str):  # a post's own permalink is an alias already (item_from)
        categories = [str(c) for c in raw_categories] if isinstance(raw_categories, list) else []
        old = baseurl + jekyll_url(pattern, item, categories, slug, ".html")
    return _Pending(item, body, line, origin, old)


def _jekyll_author(key: str, authors_data: dict[str, dict[str, Any]], report: ImportReport) -> str:
    entry = authors_data.get(key)
    name = str(entry.get("name") or key) if entry else key
    bio = str(entry.get("bio") or "") if entry else ""
    report.authors.setdefault(slugify(name, fallback="author"), {"name": name, "bio": bio})
    return name


# ------------------------------------------------------------------ Hugo

HUGO_CONFIGS = tuple(
    f"{folder}{name}.{ext}"
    for folder in ("", "config/_default/")
    for name in ("hugo", "config")
    for ext in ("toml", "yaml", "yml", "json")
)


def _hugo_config(source: Path, report: ImportReport) -> dict[str, Any]:
    for name in HUGO_CONFIGS:
        path = source / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = (
                tomllib.loads(text)
                if name.endswith(".toml")
                else json.loads(text)
                if name.endswith(".json")
                else yaml.safe_load(text)
            )
        except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
            report.warn(name, f"cannot be read ({exc}): defaults used")
            return {}
        return data if isinstance(data, dict) else {}
    return {}


def _hugo_content_dir(source: Path, lower: dict[str, Any]) -> str:
    """The default language's content folder (multilingual sites keep one per language), or ``content``."""
    language = str(lower.get("defaultcontentlanguage") or "en")
    languages = lower.get("languages") if isinstance(lower.get("languages"), dict) else {}
    entry = (languages or {}).get(language)
    if entry is None:
        for folder in (source / "config" / "_default", source):
            path = folder / f"languages.{language}.toml"
            if path.is_file():
                try:
                    entry = tomllib.loads(path.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError):
                    entry = None
                break
    if isinstance(entry, dict) and isinstance(entry.get("contentDir"), str):
        return str(entry["contentDir"])
    return str(lower.get("contentdir") or "content")


#: A language code as sites name files with: ``es``, ``pt-br``, ``zh-hans``, ``es-419``.
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-(?:[a-z]{2}|[a-z]{4}|[0-9]{3}))?$", re.IGNORECASE)


def _hugo_languages(source: Path, lower: dict[str, Any]) -> tuple[str, frozenset[str]]:
    """The default language and the language codes a file name may end with (``index.es.md``).

    Hugo reads the suffix as a language only when the site configures it; a site without a
    ``languages`` table is taken to use codes that look like ones (``es``, ``pt-br``) on files
    that have another version beside them (see :func:`_guessed_language`).
    """
    default = str(lower.get("defaultcontentlanguage") or "en").lower()
    codes: set[str] = set()
    if isinstance(lower.get("languages"), dict):
        codes.update(str(k).lower() for k in lower["languages"])
    for folder in (source / "config" / "_default", source):
        for path in sorted(folder.glob("languages.*")):
            stem = path.name.split(".")[1:-1]
            if stem:  # languages.es.toml: one language per file
                codes.add(stem[0].lower())
                continue
            try:  # languages.toml: a table of them
                text = path.read_text(encoding="utf-8")
                table = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
            except (ValueError, yaml.YAMLError, UnicodeDecodeError):
                continue
            if isinstance(table, dict):
                codes.update(str(k).lower() for k in table)
    return default, frozenset(codes | {default}) if codes else frozenset()


def _guessed_language(path: Path, base: str) -> bool:
    """Whether a file whose name ends like a language code (``post.fr.md``) in a site that names
    no languages is a version of another file beside it (``post.md``, ``post.en.md``): only then is
    it taken for a translation. A lone ``Update-on-crates.io-incident.md`` is a post of its own."""
    # Only the names that can be versions of it are listed, not the whole folder once per file.
    return any(
        other != path
        and other.suffix == path.suffix
        and other.is_file()
        and (other.stem == base or _split_language(other.stem, frozenset())[0] == base)
        for other in path.parent.glob(glob.escape(base) + ".*")
    )


def _split_language(stem: str, languages: frozenset[str]) -> tuple[str, str | None]:
    """``index.es`` → (``index``, ``es``): a file name's base and its language suffix, if it has one."""
    base, dot, suffix = stem.rpartition(".")
    if not dot or not base:
        return stem, None
    known = suffix.lower() in languages if languages else bool(_LANGUAGE_CODE.match(suffix))
    return (base, suffix.lower()) if known else (stem, None)


def _hugo_ignore(lower: dict[str, Any], report: ImportReport) -> Callable[[str], bool]:
    """The site's ``ignoreFiles`` as a test on a path relative to the site's folder (``content/a/b.Rmd``).

    Hugo matches these regular expressions against file paths and leaves out what they match,
    in content and static files alike.
    """
    raw = lower.get("ignorefiles")
    patterns: list[re.Pattern[str]] = []
    for text in raw if isinstance(raw, list) else [raw] if isinstance(raw, str) else []:
        try:
            patterns.append(re.compile(str(text)))
        except re.error as exc:
            report.warn("ignoreFiles", f"pattern {text!r} cannot be read ({exc}): not applied")
    return lambda path: any(p.search(path) for p in patterns)


def hugo_url(pattern: str | None, item: Item, section: str, file_stem: str, title: str) -> str:
    """A page's address under Hugo's permalink settings (default: /section/slug-or-filename/)."""
    slug_or_file = item.slug or file_stem
    if not pattern:
        return f"/{section}/{slug_or_file}/" if section else f"/{slug_or_file}/"
    when = item.date if isinstance(item.date, (date, datetime)) else date(2000, 1, 1)
    values = {
        "year": f"{when.year:04d}",
        "month": f"{when.month:02d}",
        "monthname": when.strftime("%B").lower(),
        "day": f"{when.day:02d}",
        "weekday": str(when.isoweekday() % 7),
        "yearday": str(when.timetuple().tm_yday),
        "section": section,
        "sections": section,
        "title": slugify(title, fallback=file_stem),
        "slug": item.slug or slugify(title, fallback=file_stem),
        "slugorfilename": slug_or_file,
        "slugorcontentbasename": slug_or_file,
        "filename": file_stem,
        "contentbasename": file_stem,
    }
    url = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    url = "/" + url.lstrip("/")
    return url if url.endswith("/") or "." in url.rsplit("/", 1)[-1] else url + "/"


def read_hugo(
    source: Path, report: ImportReport, permalink: str, default_category: str, site_root: Path, dry_run: bool
) -> list[Item]:
    """Read a Hugo site: sections' pages and leaf bundles (their files copied), top-level pages, static/."""
    config = _hugo_config(source, report)
    lower = {str(k).lower(): v for k, v in config.items()}
    params = lower.get("params") if isinstance(lower.get("params"), dict) else {}
    report.site.update(
        title=str(lower.get("title") or ""),
        tagline=str((params or {}).get("description") or ""),
        base_url=str(lower.get("baseurl") or "") if str(lower.get("baseurl") or "").startswith("http") else "",
        timezone=str(lower.get("timezone") or ""),
        language=str(lower.get("languagecode") or lower.get("defaultcontentlanguage") or "").split("-")[0],
    )
    permalinks_raw = lower.get("permalinks") if isinstance(lower.get("permalinks"), dict) else {}
    permalinks: dict[str, str] = {}
    for key, value in (permalinks_raw or {}).items():
        if isinstance(value, str):
            permalinks[str(key)] = value
        elif isinstance(value, dict) and key == "page":
            permalinks.update({str(k): str(v) for k, v in value.items()})
    base_path = re.sub(r"^https?://[^/]+", "", str(lower.get("baseurl") or "")).rstrip("/")
    content = source / _hugo_content_dir(source, lower)
    if not content.is_dir():
        report.skip(str(source), "no content/ folder: not a Hugo site")
        return []
    default_language, languages = _hugo_languages(source, lower)
    ignored = _hugo_ignore(lower, report)
    pending: list[_Pending] = []
    for path in sorted(content.rglob("*")):
        rel = path.relative_to(content)
        if (
            not path.is_file()
            or path.is_symlink()  # a link may lead anywhere on the machine: not the archive's to publish
            or path.suffix.lower() not in (*MARKDOWN, ".html")
            or any(p.startswith(".") for p in rel.parts)
        ):
            continue
        origin = f"content/{rel.as_posix()}"
        if ignored(origin):
            report.skip(origin, "ignored by the site's ignoreFiles")
            continue
        # index.es.md is index.md in Spanish: the name without its language says what the file is.
        base, language = _split_language(path.stem, languages)
        if language and not languages and not _guessed_language(path, base):
            base, language = path.stem, None
        if base.split(".")[0] == "_index":  # also _index.es.md, and a stray _index.en.md.md
            report.skip(origin, "a section's list page: Broadsheet makes its own listings")
            continue
        if language and language != default_language:
            of = _default_file(path, base, default_language, content)
            report.skip(origin, f"translation ({language}) of content/{of}: skipped; {ONE_LANGUAGE}")
            report.translations += 1
            continue
        if language and (path.parent / (base + path.suffix)).is_file():
            # index.md and index.en.md, both in the default language: Hugo shows one; the bare file is it.
            report.skip(origin, f"the same page as content/{rel.parent.joinpath(base + path.suffix).as_posix()}")
            continue
        bundle = base == "index"
        if bundle and len(rel.parts) == 1:
            report.skip(origin, "the home page is the theme's")
            continue
        section = rel.parts[0] if len(rel.parts) > 1 else ""
        if bundle and len(rel.parts) == 2:
            section = ""  # content/about/index.md: a top-level page bundle
        file_stem = path.parent.name if bundle else base
        document = read_document(path, origin, report, blank_lines_first=True)
        if document is None:
            continue
        data, body, line = document
        # Zola (read the same way): taxonomies in their own table, the address in `path`, dates in file names.
        taxonomies = data.pop("taxonomies", None)
        if isinstance(taxonomies, dict):
            for key, value in taxonomies.items():
                data.setdefault(key, value)
        zola_path = data.pop("path", None) if isinstance(data.get("path"), str) else None
        file_date = _date_in(file_stem) or (_date_in_path(zola_path) if zola_path else None)
        dated = file_date is not None or any(data.get(k) for k in ("date", "publishDate", "publishdate", "pubDate"))
        kind = "article" if section or dated else "page"
        if kind == "article" and not dated:
            # Hugo needs no date: an undated page in a section (documentation, a landing page) is a page here.
            kind = "page"
            report.warn(origin, "no date: imported as a page (at /<slug>/)")
        slug = _DATED.sub(r"\4", file_stem).lstrip("_") if _date_in(file_stem) else file_stem
        item = item_from(data, body, origin, report, slug=slug, file_date=file_date, kind=kind,
                         section=section.replace("-", " ").title() if section else None,
                         split_spaces=False)  # fmt: skip
        if item is not None and zola_path:
            if "slug" not in data and zola_path.strip("/"):
                item.slug = zola_path.strip("/").rsplit("/", 1)[-1].removesuffix(".html")
            item.aliases.append("/" + zola_path.strip("/") + ("/" if "." not in zola_path.rsplit("/", 1)[-1] else ""))
        if item is None:
            continue
        if data.get("headless") is True or (
            isinstance(data.get("build"), dict) and data["build"].get("render") == "never"
        ):
            report.skip(origin, "headless (never rendered by Hugo)")
            continue
        old = None
        if not isinstance(data.get("url"), str) and not zola_path:
            old = base_path + hugo_url(permalinks.get(section), item, section, file_stem, item.title)
        if bundle:
            body = _bundle_files(path.parent, item, section or "pages", body, lambda f: not ignored(_in(source, f)))
        pending.append(_Pending(item, body, line, origin, old))
    copy_tree_files(source / "static", "", report, site_root, dry_run, lambda f: not ignored(_in(source, f)))

    def aliases(key: str) -> list[str]:
        rel = key.removeprefix("content/")
        name = PurePosixPath(rel)
        keys = [key, rel, "/" + rel, name.stem]
        if name.stem == "index":
            keys += [str(name.parent), "/" + str(name.parent), name.parent.name]
        return keys

    items = _finish(pending, report, permalink, default_category, convert_hugo, aliases)
    _theme_static(source, lower, items, base_path, report, site_root, dry_run, ignored)
    return items


ONE_LANGUAGE = "Broadsheet publishes one language per site"


def _in(source: Path, path: Path) -> str:
    """A file's path relative to the Hugo site's folder, as ``ignoreFiles`` is matched against."""
    return path.relative_to(source).as_posix()


def _default_file(path: Path, base: str, default_language: str, content: Path) -> str:
    """The default language's version of a translated file (``index.es.md`` → ``index.md``), relative to content/."""
    folder = path.parent
    for name in (base + path.suffix, f"{base}.{default_language}{path.suffix}"):
        if (folder / name).is_file():
            break
    else:
        name = base + path.suffix  # no such file: the page exists only in other languages
    return (folder / name).relative_to(content).as_posix()


_ROOT_REFERENCE = re.compile(
    r"""(?:(?<=[("'=\s])|^)(?:https?://(?P<host>[^/"'\s)]+))?(?P<path>/[^\s"'()<>#?]+)""", re.MULTILINE
)


def _theme_static(source: Path, lower: dict[str, Any], items: list[Item], base_path: str, report: ImportReport,
                  site_root: Path, dry_run: bool, ignored: Callable[[str], bool]) -> None:  # fmt: skip
    """Copy the theme's static files that the imported bodies link to (Hugo serves them at the site's root).

    Only what is linked: the rest are the theme's own (its fonts, scripts, icons), of no use to
    Broadsheet's theme. The site's own static files win over the theme's, as in Hugo.
    """
    themes = lower.get("theme")
    names = [str(t) for t in (themes if isinstance(themes, list) else [themes] if themes else [])]
    themes_dir = source / str(lower.get("themesdir") or "themes")
    host = urlsplit(str(lower.get("baseurl") or "")).netloc.casefold()
    referenced: set[str] = set()
    for item in items:
        for text in (item.body, item.image or ""):
            for m in _ROOT_REFERENCE.finditer(text):
                if m.group("host") and m.group("host").casefold() != host:
                    continue  # another site's file
                path = unquote(m.group("path"))
                if base_path and path.startswith(base_path + "/"):
                    path = path[len(base_path) :]
                if ".." not in path.split("/"):  # only ever a file under the theme's static/
                    referenced.add(path.lstrip("/"))
    for name in names:  # the first theme named wins, as in Hugo
        folder = themes_dir / name / "static"
        wanted = {
            rel for rel in referenced if rel and (folder / rel).is_file() and not (source / "static" / rel).exists()
        }
        if not wanted:
            continue

        def keep(path: Path, folder: Path = folder, wanted: set[str] = wanted) -> bool:
            return path.relative_to(folder).as_posix() in wanted and not ignored(_in(source, path))

        copy_tree_files(folder, "", report, site_root, dry_run, keep)
        referenced -= wanted


def _bundle_files(folder: Path, item: Item, section: str, body: str, keep: Callable[[Path], bool]) -> str:
    """Copy a leaf bundle's files under /media/<section>/<bundle>/; point the body's and image's references there."""
    prefix = f"/media/{slugify(section, fallback='pages')}/{slugify(folder.name, fallback='bundle')}/"
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.suffix.lower() in MARKDOWN or path.name.startswith("."):
            continue
        if not keep(path):
            continue
        rel = path.relative_to(folder).as_posix()
        target = prefix + rel
        item.files.append((path, target))
        pattern = re.compile(r"""(?<=[("'=\s])(?:\./)?""" + re.escape(rel) + r"""(?=[)"'\s>#?])""")
        body = pattern.sub(target, body)
        if item.image in (rel, "./" + rel):
            item.image = target
    return body
