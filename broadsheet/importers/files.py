"""Jekyll's and Hugo's content files: front matter in YAML, TOML or JSON, mapped onto Broadsheet's keys."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .common import ImportReport, Item, as_list, author_names, parse_loose_date, site_path

#: Keys that mean something only to the other tool (layouts, its own URL and build settings).
DROPPED = frozenset(
    {
        "layout", "permalink", "redirect_from", "redirect_to", "url", "aliases", "type", "weight", "outputs",
        "markup", "headless", "build", "cascade", "menu", "menus", "sitemap", "comments", "share", "toc",
        "published", "draft", "categories", "category", "tags", "excerpt", "description", "summary",
        "date", "publishDate", "publishdate", "pubDate", "lastmod", "last_modified_at", "modified", "updated",
        "expiryDate", "expirydate", "expires", "expiry_date", "author", "authors", "title", "slug", "image",
        "images", "cover", "featured_image", "featureImage", "feature_image", "thumbnail", "header", "image_alt",
        "image_caption", "keywords", "excerpt_separator", "linkTitle", "translationKey", "isCJKLanguage",
        "resources", "series", "featured", "sticky", "source", "source_url", "related",
    }
)  # fmt: skip


class FrontMatterError(ValueError):
    """Front matter that cannot be read: message and line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """Front matter (``---`` YAML, ``+++`` TOML or a JSON object) and the body, with the body's first line."""
    text = text.lstrip("\ufeff")
    for fence, kind in (("---", "yaml"), ("+++", "toml")):
        if text.startswith((fence + "\n", fence + "\r\n")):
            m = re.compile(rf"^{re.escape(fence)}[ \t]*\r?$", re.M).search(text, len(fence) + 1)
            if m is None:
                raise FrontMatterError(f"the front matter opened with '{fence}' is never closed", 1)
            head = text[len(fence) + 1 : m.start()]
            body = text[m.end() + 1 :]
            body_line = text.count("\n", 0, m.end()) + 2
            try:
                data = yaml.safe_load(head) if kind == "yaml" else tomllib.loads(head)
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark
                raise FrontMatterError(f"invalid YAML: {exc.problem}", (mark.line + 2) if mark else 1) from None
            except (yaml.YAMLError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
                where = re.search(r"at line (\d+)", str(exc))
                raise FrontMatterError(
                    f"invalid {kind.upper()}: {exc}", int(where.group(1)) + 1 if where else 1
                ) from None
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise FrontMatterError("the front matter is not a mapping of keys to values", 2)
            return data, body, body_line
    if text.startswith("{"):
        try:
            data, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise FrontMatterError(f"invalid JSON front matter: {exc.msg}", exc.lineno) from None
        if isinstance(data, dict):
            return data, text[end:].lstrip("\n"), text.count("\n", 0, end) + 2
    return {}, text, 1


def _first_date(
    data: dict[str, Any], keys: tuple[str, ...], origin: str, report: ImportReport
) -> datetime | date | None:
    for key in keys:
        if key in data and data[key] not in (None, ""):
            value = parse_loose_date(data[key])
            if value is None:
                report.warn(origin, f"'{key}: {data[key]}' is not a date Broadsheet can read: left out")
            return value
    return None


def _image(data: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The featured image as themes of both tools spell it: (url, alt, caption)."""
    for key in ("image", "featured_image", "featureImage", "feature_image", "thumbnail", "cover", "header", "images"):
        value = data.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.strip():
            return value.strip(), None, None
        if isinstance(value, dict):
            url = value.get("image") or value.get("path") or value.get("src") or value.get("url") or value.get("teaser")
            if isinstance(url, str) and url:
                alt = value.get("alt") or value.get("image_alt")
                caption = value.get("caption") or value.get("image_caption")
                return url, str(alt) if alt else None, str(caption) if caption else None
    return None, None, None


def item_from(
    data: dict[str, Any],
    body: str,
    origin: str,
    report: ImportReport,
    *,
    slug: str,
    file_date: date | None,
    kind: str,
    section: str | None,
    split_spaces: bool,
) -> Item | None:
    """Map one file's front matter onto an Item (None, reported, when it cannot be an article)."""
    title = data.get("title")
    if title is None or not str(title).strip():
        report.skip(origin, "no title (Broadsheet needs a headline)")
        return None
    when = _first_date(data, ("publishDate", "publishdate", "pubDate", "date"), origin, report) or file_date
    if kind == "article" and when is None:
        report.skip(origin, "no date, in the front matter or the file name")
        return None
    item = Item(
        origin=origin, title=str(title).strip(), date=when, slug=str(data.get("slug") or slug), body=body, kind=kind
    )
    item.authors = author_names(data.get("authors", data.get("author")))
    categories = as_list(data.get("categories", data.get("category")), split_spaces)
    if categories:
        item.category = categories[0]
    elif section:
        item.category = section
    tags = as_list(data.get("tags"), split_spaces) + categories[1:] + as_list(data.get("series"))
    item.tags = list(dict.fromkeys(t for t in tags if t != item.category))
    for key in ("summary", "excerpt", "description"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            item.summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", value)).strip()
            break
    item.draft = data.get("draft") is True or data.get("published") is False
    item.updated = _first_date(data, ("lastmod", "last_modified_at", "modified", "updated"), origin, report)
    item.expires = _first_date(data, ("expiryDate", "expirydate", "expires", "expiry_date"), origin, report)
    item.image, item.image_alt, item.image_caption = _image(data)
    if isinstance(data.get("image_alt"), str):
        item.image_alt = data["image_alt"]
    if isinstance(data.get("image_caption"), str):
        item.image_caption = data["image_caption"]
    for key in ("source", "source_url"):
        if isinstance(data.get(key), str):
            item.extra[key] = data[key]
    if data.get("featured") is True or data.get("sticky") is True:
        item.extra["featured"] = True
    for key in ("redirect_from", "aliases"):
        for alias in as_list(data.get(key)):
            path = site_path(alias)
            if path:
                item.aliases.append(path)
    for key in ("permalink", "url"):
        if isinstance(data.get(key), str) and "/:" not in data[key] and ":" not in data[key].split("/")[-1]:
            path = site_path(data[key])
            if path:
                item.aliases.append(path)
    for key, value in data.items():
        if key in DROPPED:
            if key in ("layout", "type", "weight", "comments", "menu", "toc", "share", "sitemap", "outputs", "related"):
                report.drop(key)
            continue
        if isinstance(value, (str, int, float, bool, list, dict)) and not isinstance(value, datetime):
            item.extra[key] = value  # unknown keys reach templates as article.extra, as in any article
        else:
            report.drop(key)
    return item


def read_text(path: Path, origin: str, report: ImportReport) -> str | None:
    """A content file's text, or None (reported) when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.skip(origin, "not UTF-8 text")
    except OSError as exc:
        report.skip(origin, f"cannot read: {exc}")
    return None


def read_document(
    path: Path, origin: str, report: ImportReport, *, blank_lines_first: bool = False
) -> tuple[dict[str, Any], str, int] | None:
    """A content file's front matter, body and the body's first line (see :func:`split_front_matter`),
    or None (reported as skipped) when it cannot be read or its front matter is broken.

    ``blank_lines_first``: front matter may follow blank lines, as Hugo reads it (Jekyll does not:
    there, such a file has no front matter).
    """
    text = read_text(path, origin, report)
    if text is None:
        return None
    skipped_lines = 0
    if blank_lines_first:
        stripped = text.lstrip("\ufeff").lstrip(" \t\r\n")
        if stripped.startswith(("---", "+++", "{")):
            skipped_lines = text.count("\n", 0, len(text) - len(stripped))
            text = stripped
    try:
        data, body, line = split_front_matter(text)
    except FrontMatterError as exc:
        report.skip(f"{origin}:{exc.line + skipped_lines}", str(exc))
        return None
    return data, body, line + skipped_lines
