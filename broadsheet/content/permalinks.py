"""Permanent URLs: where each published article was, so a moved one keeps its old address.

``content/_permalinks.yml`` (a name starting with ``_``, so it is not an article) records, per
article file, the URL it was last published at and the URLs it had before. The build compares each
published article's URL with the record: when it changed (a new headline without a fixed ``slug``,
another category), the old URL becomes a redirect, the record gains it, and the build says so.
The record lives with the content, not in the cache, so it is committed with the articles and
survives a fresh clone or a lost cache. It is read like an article's front matter: a mistake in it
is an error with its line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ..errors import BroadsheetError, BuildWarning, ConfigError
from ..urls import UnsafePath, output_path
from .model import Article, Site

RECORD = "content/_permalinks.yml"

HEADER = """\
# Written by Broadsheet's build: for each published article (its file under content/), the URL
# it has and the URLs it had before (each now redirects to it). Commit this file with the
# content. Remove a line under moved_from to drop that redirect; rename an article's key here
# when you rename its file.
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One article's address: its URL when last published, and those it had before."""

    url: str
    moved_from: tuple[str, ...] = ()


Record = Mapping[str, Entry]


def _problem(message: str, line: int | None, hint: str) -> ConfigError:
    return ConfigError(message, RECORD, line, hint)


def load_record(root: Path) -> tuple[dict[str, Entry], list[BroadsheetError]]:
    """Read the site's record of published URLs (empty when there is none); every problem with its line."""
    path = root / RECORD
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [_problem(f"cannot read the file: {exc}", None, "check that it is readable UTF-8")]
    quick = _read_as_written(text)
    if quick is not None:
        data, lines = quick
    else:  # edited by hand beyond removing lines: read as YAML, slower
        try:
            loaded = yaml.load(text, Loader=yaml.CSafeLoader)
            node = yaml.compose(text, Loader=yaml.CSafeLoader)  # again, for the line of each key
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            return {}, [
                _problem(
                    f"invalid YAML: {exc.problem}", mark.line + 1 if mark else None, "restore it from version control"
                )
            ]
        if loaded is None:
            return {}, []
        if not isinstance(loaded, dict) or not isinstance(node, yaml.MappingNode):
            return {}, [_problem("must map article files to their URLs", 1, "restore it from version control")]
        data = loaded
        lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    errors: list[BroadsheetError] = []
    record: dict[str, Entry] = {}
    for key, value in data.items():
        line = lines.get(str(key))
        if not isinstance(value, dict) or not isinstance(value.get("url"), str):
            errors.append(_problem(f"'{key}' needs a 'url:'", line, "write url: /section/slug/ under it"))
            continue
        moved = value.get("moved_from") or []
        if not isinstance(moved, list) or not all(isinstance(m, str) for m in moved):
            errors.append(_problem(f"'{key}': moved_from must be a list of URLs", line, "write moved_from: [/old/]"))
            continue
        bad = [u for u in [value["url"], *moved] if not _is_site_path(u)]
        if bad:
            errors.append(_problem(f"'{key}': '{bad[0]}' is not a site path", line, "write URLs like /section/slug/"))
            continue
        record["content/" + str(key)] = Entry(value["url"], tuple(dict.fromkeys(moved)))
    return record, errors


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"\Z')


def _unquote(text: str) -> str:
    """A double-quoted string as dump_record writes it; ValueError for anything else."""
    if not _QUOTED.match(text):
        raise ValueError(text)
    return json.loads(text) if "\\" in text else text[1:-1]


def _read_as_written(text: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """Read the record in the shape :func:`dump_record` writes it (quoted strings, one per line), which
    is many times quicker than a YAML parser on a large site; None for any other shape."""
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    current: dict[str, Any] = {}
    try:
        for number, line in enumerate(text.split("\n"), start=1):
            if line.startswith("    - ") and "moved_from" in current:
                current["moved_from"].append(_unquote(line[6:]))
            elif line.startswith("  url: ") and lines and "url" not in current:
                current["url"] = _unquote(line[7:])
            elif line.startswith('"') and line.endswith(":"):
                key = _unquote(line[:-1])
                if key in data:
                    return None  # YAML's reading of a repeated key, and its message, apply
                current = data[key] = {}
                lines[key] = number
            elif line == "  moved_from:" and lines and "moved_from" not in current:
                current["moved_from"] = []
            elif line and not line.startswith("#"):
                return None
    except ValueError:
        return None
    return data, lines


def _is_site_path(url: str) -> bool:
    try:
        output_path(url)
    except UnsafePath:
        return False
    return True


def with_redirects(site: Site, moves: Mapping[str, tuple[str, ...]]) -> Site:
    """The site with each moved article's old URLs added to its aliases (so they redirect to it)."""
    if not moves:
        return site
    swap = {
        a.url: dataclasses.replace(a, aliases=tuple(dict.fromkeys((*a.aliases, *moves[a.source]))))
        for a in site.articles
        if a.source in moves
    }

    def each(articles: tuple[Article, ...]) -> tuple[Article, ...]:
        return tuple(swap.get(a.url, a) for a in articles)

    return dataclasses.replace(
        site,
        articles=each(site.articles),
        by_category=MappingProxyType({k: each(v) for k, v in site.by_category.items()}),
        by_tag=MappingProxyType({k: each(v) for k, v in site.by_tag.items()}),
        by_author=MappingProxyType({k: each(v) for k, v in site.by_author.items()}),
    )


def update_record(
    record: Record, site: Site, published: bool
) -> tuple[dict[str, Entry], dict[str, tuple[str, ...]], list[BuildWarning]]:
    """Compare the site's articles with the record.

    Returns the new record, the redirects to add for this build (file → old URLs, those in the record
    included) and a notice for each article whose URL changed. ``published``: the site holds only
    what is really published (no ``--drafts``/``--future``); otherwise the record is not changed,
    since a draft's URL is not yet anyone's link.
    """
    new: dict[str, Entry] = dict(record)
    notices: list[BuildWarning] = []
    taken = {a.url for a in site.articles}
    moves: dict[str, tuple[str, ...]] = {}
    for a in site.articles:
        entry = record.get(a.source)
        before = entry.moved_from if entry else ()
        if entry is not None and entry.url != a.url:
            before = (*before, entry.url)
            if published:
                notices.append(
                    BuildWarning(
                        f"the article's URL changed from {entry.url} to {a.url}: the old URL now redirects "
                        f"to the new one (recorded in {RECORD}; commit it)",
                        a.source,
                        None,
                        "give the article a fixed 'slug:' to keep one URL whatever the headline says",
                    )
                )
        # Not the article's own URL again (a headline changed back), nor one another article now has.
        kept = tuple(u for u in dict.fromkeys(before) if u != a.url and u not in taken)
        if kept:
            moves[a.source] = kept
        if published:
            new[a.source] = Entry(a.url, kept)
    return new, moves, notices


def dump_record(record: Record) -> str:
    """The record as YAML text, files in order, one block each."""
    lines = [HEADER.rstrip("\n")]
    for rel in sorted(record):
        e = record[rel]
        lines.append(f"{_quote(rel.removeprefix('content/'))}:")
        lines.append(f"  url: {_quote(e.url)}")
        if e.moved_from:
            lines.append("  moved_from:")
            lines += [f"    - {_quote(u)}" for u in e.moved_from]
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def save_record(root: Path, record: Record) -> bool:
    """Write the record if its content changed (atomically); return whether it was written."""
    path = root / RECORD
    text = dump_record(record)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        if not record:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True
