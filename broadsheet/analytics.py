"""Page views from an analytics export dropped into the site: for "Most read" and view counts.

Reads CSV or JSON files as Plausible, Matomo and Google Analytics export them, or a plain
``path,views`` table: the column naming the page and the one counting its views are found by
their names (see PATH_COLUMNS and VIEW_COLUMNS). Paths may be site paths or whole URLs; the
counts of one page in several files or rows (``/a/`` and ``/a``, ``?utm=...``) are added up.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import BroadsheetError, ContentError

#: Column names of the page, most specific first (compared without case): Google Analytics 4
#: ("Page path and screen class"), Universal Analytics ("Page"), Plausible ("name"), Matomo
#: ("url" of flat exports, else "label"), and plain tables.
PATH_COLUMNS = (
    "path",
    "page path and screen class",
    "page path + query string",
    "page path",
    "page",
    "url",
    "page url",
    "name",
    "label",
)
#: Column names of the count, most specific first: page views before visits and visitors.
VIEW_COLUMNS = (
    "views",
    "pageviews",
    "page views",
    "screen page views",
    "screenpageviews",
    "nb_hits",
    "hits",
    "visits",
    "nb_visits",
    "visitors",
    "unique pageviews",
    "users",
)
EXPORT_SUFFIXES = (".csv", ".json")


def export_files(root: Path, location: str) -> list[Path]:
    """The export files at ``location`` in the site: one file, or every CSV and JSON file in a folder."""
    target = root / location
    if target.is_file():
        return [target]
    if target.is_dir():
        return sorted(
            p for p in target.iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES and p.name[0] not in "._"
        )
    return []


def normalise_path(value: str, base_path: str = "/") -> str | None:
    """A page's site path (``/world/flood/``) from a path or URL; None when it names no page."""
    text = value.strip()
    if not text:
        return None
    parts = urlsplit(text if "://" in text or text.startswith("//") else "/" + text.lstrip("/"))
    path = unquote(parts.path) or "/"
    if base_path != "/" and path.startswith(base_path):
        path = "/" + path[len(base_path) :]
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"  # /world/flood and /world/flood/ are the same page
    return path


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        if not text:
            return 0
        try:
            return int(float(text))
        except ValueError:
            return None
    return None


def _pick(names: Iterable[str], wanted: tuple[str, ...]) -> str | None:
    by_lower = {n.strip().lower(): n for n in names if isinstance(n, str)}
    for w in wanted:
        if w in by_lower:
            return by_lower[w]
    return None


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV export with their line numbers; Google Analytics' ``#`` comment lines skipped."""
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        start += 1
    body = "\n".join(lines[start:])
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):  # not sure of the dialect: the comma of most exports
        dialect = csv.Sniffer().sniff(body[:4096], delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(body), dialect=dialect)
    for row in reader:
        if row and any((v or "").strip() for v in row.values() if isinstance(v, str)):
            yield start + reader.line_num, row


def _json_rows(data: Any) -> list[dict[str, Any]] | None:
    if isinstance(data, dict):
        for key in ("results", "data", "rows", "pages"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return data
    return None


def read_views(root: Path, location: str, base_path: str = "/") -> tuple[dict[str, int], list[BroadsheetError]]:
    """Read every export at ``location``; return site path → views (added up) and every problem found."""
    views: dict[str, int] = {}
    errors: list[BroadsheetError] = []
    expected = "a column for the page (path, page, name, url, label) and one for views (views, pageviews, visitors)"
    for path in export_files(root, location):
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(ContentError(f"cannot read the analytics export: {exc}", shown, None, "save it as UTF-8"))
            continue
        rows: list[tuple[int | None, dict[str, Any]]]
        if path.suffix.lower() == ".json":
            try:
                parsed = _json_rows(json.loads(text))
            except ValueError as exc:
                errors.append(ContentError(f"invalid JSON: {exc}", shown, None, "export the data again"))
                continue
            if parsed is None:
                errors.append(
                    ContentError(
                        "expected a list of rows (or {results: [...]})", shown, 1, f"each row needs {expected}"
                    )
                )
                continue
            rows = [(None, r) for r in parsed]
        else:
            try:
                rows = list(_csv_rows(text))
            except csv.Error as exc:
                errors.append(ContentError(f"invalid CSV: {exc}", shown, None, "export the data again as CSV"))
                continue
        if not rows:
            continue
        columns = list(rows[0][1].keys())
        page_col, views_col = _pick(columns, PATH_COLUMNS), _pick(columns, VIEW_COLUMNS)
        if page_col is None or views_col is None:
            found = ", ".join(str(c) for c in columns if c is not None)
            errors.append(
                ContentError(
                    f"no {'page' if page_col is None else 'views'} column among: {found}",
                    shown,
                    rows[0][0] and rows[0][0] - 1,
                    f"an export needs {expected}",
                )
            )
            continue
        for line, row in rows:
            page, count = row.get(page_col), _number(row.get(views_col))
            if count is None:
                errors.append(
                    ContentError(
                        f"'{views_col}' is not a number: {row.get(views_col)!r}",
                        shown,
                        line,
                        "views are whole numbers",
                    )
                )
                continue
            site_path = normalise_path(page, base_path) if isinstance(page, str) else None
            if site_path is not None and count > 0:
                views[site_path] = views.get(site_path, 0) + count
    return views, errors
