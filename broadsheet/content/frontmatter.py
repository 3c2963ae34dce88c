"""Split a content file into YAML front matter and Markdown body; validate the front matter.

Every problem carries the file and the line in the file (the opening ``---`` is line 1).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from .. import yamlsafe
from ..errors import BroadsheetError, BuildWarning, ContentError
from ..urls import UnsafePath, is_dangerous_url, output_path
from .discover import SourceFile
from .notices import NOTICE_KEYS, Notices, read_notices


class FrontMatterLoader(yaml.CSafeLoader):
    """CSafeLoader without implicit timestamps: dates stay text so a bad one gets its line."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}

ARTICLE_KEYS = (
    "title",
    "date",
    "author",
    "authors",
    "category",
    "tags",
    "summary",
    "image",
    "image_alt",
    "image_caption",
    "source",
    "source_url",
    "slug",
    "draft",
    "featured",
    "updated",
    "expires",
    "related",
    "aliases",
    "featured_until",
    *NOTICE_KEYS,
)
MAX_FRONT_MATTER = 256 * 1024
#: The first and last times an article may carry (see parse_date).
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The validated front matter of an article or page."""

    title: str
    date: datetime | None = None
    authors: tuple[str, ...] = ()
    category: str | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None
    image: str | None = None
    image_alt: str = ""
    image_caption: str = ""
    source: str | None = None
    source_url: str | None = None
    slug: str | None = None
    draft: bool = False
    featured: bool = False
    updated: datetime | None = None
    expires: datetime | None = None
    related: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    notices: Notices = field(default_factory=Notices)
    """Corrections and live updates (see notices.py)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Unknown keys, for templates (a plain dict so documents can cross process boundaries)."""
    featured_until: datetime | None = None
    """When ``featured`` ends (else site.yml's ``featured_days`` after the date)."""
    lines: Mapping[str, int] = field(default_factory=dict)
    """The file line of each top-level key, for warnings about its value."""
    dated_only: bool = False
    """``date`` was given as a day without a time (an imported archive's ``2021-10-14``): pages
    show the day alone, not a made-up midnight."""


@dataclass(frozen=True, slots=True)
class Document:
    """A content file split and validated: front matter, body and where the body starts."""

    source: SourceFile
    meta: FrontMatter
    body: str
    body_line: int
    digest: str = ""
    """Hash of the file's bytes (see content_digest)."""


def content_digest(raw: bytes) -> str:
    """Hash of a content file's bytes: the key of its cached parse."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def decode(raw: bytes, source: SourceFile) -> str:
    """Decode UTF-8 with BOM removed and line ends normalised."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", source.rel, line, "save the file with UTF-8 encoding"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split(text: str, rel: str) -> tuple[str, str, int]:
    """Return (front matter text, body, line where the body starts)."""
    if not text.strip():
        raise ContentError("the file is empty", rel, 1, "start it with a front matter block between '---' lines")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise ContentError(
            "no front matter: the first line must be '---'",
            rel,
            1,
            "start the file with '---', then title: and date:, then '---'",
        )
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    raise ContentError("front matter never closed", rel, 1, "add a line '---' after the last key")


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.MULTILINE)


def key_lines(fm_text: str) -> dict[str, int]:
    """Return the file line (opening '---' is line 1) of every top-level key in the front matter."""
    lines: dict[str, int] = {}
    for match in _TOP_KEY.finditer(fm_text):
        lines.setdefault(match.group(1), fm_text.count("\n", 0, match.start()) + 2)
    return lines


def key_line(fm_text: str, key: str) -> int | None:
    """Return the file line (opening '---' is line 1) of a top-level key in the front matter."""
    match = re.search(rf"^{re.escape(key)}\s*:", fm_text, re.MULTILINE)
    return fm_text.count("\n", 0, match.start()) + 2 if match else None


def parse_yaml(fm_text: str, rel: str) -> dict[str, Any]:
    """Parse front matter YAML safely; errors carry the file line."""
    if len(fm_text) > MAX_FRONT_MATTER:
        raise ContentError(
            f"front matter is {len(fm_text) // 1024} KiB, more than the {MAX_FRONT_MATTER // 1024} KiB allowed",
            rel,
            1,
            "move long text into the body",
        )
    try:
        data = yamlsafe.load(fm_text, FrontMatterLoader)
    except yamlsafe.YamlProblem as exc:
        raise ContentError(f"{exc.message} in front matter", rel, exc.line + 1, exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or str(exc)
        hint = "quote values that contain ': ' or start with a special character"
        context = exc.context or ""
        if "quoted scalar" in context and exc.context_mark is not None:
            # The scanner fails where the file ends; the mistake is where the quote opened.
            mark = exc.context_mark
            what = "a quote opened on this line is never closed"
            hint = 'end the value with the same quote mark on this line (write a " inside as \\" or quote with \')'
        elif context.startswith("while parsing a flow") and exc.context_mark is not None:
            # An unclosed [list] or {mapping} runs on until YAML gives up lines later.
            mark = exc.context_mark
            opener = "[" if "sequence" in context else "{"
            closer = "]" if opener == "[" else "}"
            what = f"a '{opener}' opened on this line is never closed"
            hint = f"end it with '{closer}' on the same line, and quote items that hold a comma or a colon"
        elif context.startswith("while scanning") and exc.context_mark is not None:
            mark = exc.context_mark
            what = f"{what} ({context})"
        elif "expected key" in what and mark is not None:
            text_line = fm_text.split("\n")[mark.line] if mark.line < fm_text.count("\n") + 1 else ""
            value = text_line.partition(":")[2].strip()
            if value[:1] in ("'", '"'):
                # 'It's here': the quote inside ends the value early, the rest is left over.
                hint = (
                    "text after the closing quote: quote the whole value with the other quote mark "
                    "(\"It's here\"), or double a ' inside '...' ('It''s here')"
                )
        line = mark.line + 2 if mark else 1
        if "could not determine a constructor" in str(exc):
            what, hint = "YAML tags such as '!!python/...' are not allowed", "remove the '!!' tag"
        raise ContentError(f"invalid front matter YAML: {what}", rel, line, hint) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ContentError(
            f"invalid front matter YAML: {type(exc).__name__}", rel, 1, "simplify the front matter"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(
            f"front matter must be keys and values, not a {type(data).__name__}",
            rel,
            2,
            "write it as 'title: ...' lines",
        )
    return data


class _Check:
    """Collects the problems of one file's front matter."""

    def __init__(self, rel: str, fm_text: str, data: dict[str, Any], tz: ZoneInfo) -> None:
        self.rel, self.fm_text, self.data, self.tz = rel, fm_text, data, tz
        self.errors: list[BroadsheetError] = []
        self.warnings: list[BuildWarning] = []

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        self.errors.append(ContentError(message, self.rel, key_line(self.fm_text, key) or 2, hint))

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.errors.append(
                    ContentError(f"'{key}' is missing", self.rel, 1, f"add a line '{key}: ...' to the front matter")
                )
            return None
        if not isinstance(value, str):
            shown = str(value).lower() if isinstance(value, bool) else value
            self.fail(
                key,
                f"'{key}' must be text, but YAML read {shown!r} as a {_yaml_kind(value)}",
                f'put the value in quotes: {key}: "..."',
            )
            return None
        return value.strip()

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f"'{key}' must be true or false, not {value!r}")
            return False
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [v for v in (part.strip() for part in value.split(",")) if v]
        if not isinstance(value, list):
            self.fail(key, f"'{key}' must be a list, not {value!r}", f"write {key}: [one, two]")
            return ()
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.fail(key, f"'{key}' holds {item!r}, which is not text", "put each item in quotes")
                continue
            if str(item).strip():
                out.append(str(item).strip())
        return tuple(out)

    def when(self, key: str, required: bool = False) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.errors.append(
                    ContentError(
                        f"'{key}' is missing", self.rel, 1, f"add '{key}: 2026-11-29T09:00:00' to the front matter"
                    )
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (str, date)):
            self.fail(key, f"'{key}' must be a date like 2026-11-29 or 2026-11-29T09:30:00, not {value!r}")
            return None
        try:
            parsed = parse_date(value, self.tz)
        except ValueError as exc:
            self.fail(
                key,
                f"'{key}' is not a valid date: {value!r} ({exc})",
                "use ISO 8601: 2026-11-29 or 2026-11-29T09:30:00+01:00",
            )
            return None
        return parsed


def _yaml_kind(value: Any) -> str:
    return {bool: "true/false value", int: "number", float: "number", list: "list", dict: "mapping"}.get(
        type(value), type(value).__name__
    )


def is_day(value: object) -> bool:
    """Whether a front-matter date is a day without a time (YAML's date, or text like 2026-11-29)."""
    if isinstance(value, datetime):
        return False
    return isinstance(value, date) or (
        isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()) is not None
    )


def parse_date(value: str | date, tz: ZoneInfo) -> datetime:
    """Read an ISO 8601 date or date-time; without an offset it is in the site time zone."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.combine(date.fromisoformat(text), time())
        elif re.match(r"\d{4}-\d{2}-\d{2}[T ]\d", text):
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        else:
            raise ValueError("expected YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    parsed = parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed
    # A day inside datetime's range: the time then exists in every time zone (offsets stay under
    # a day), so converting it for the site, for feeds or for archives cannot overflow.
    if not EARLIEST <= parsed <= LATEST:
        raise ValueError(
            "out of range: it must fall between 0001-01-02 and 9999-12-30, so that it exists in every time zone"
        )
    return parsed


def validate(
    data: dict[str, Any], fm_text: str, rel: str, tz: ZoneInfo, is_page: bool
) -> tuple[FrontMatter | None, list[BroadsheetError], list[BuildWarning]]:
    """Turn raw YAML data into a FrontMatter, collecting every problem."""
    c = _Check(rel, fm_text, data, tz)
    for key in data:
        if not isinstance(key, str):
            c.errors.append(ContentError(f"front matter key {key!r} is not text", rel, 2, "quote the key"))
    title = c.text("title", required=True)
    if title == "":
        c.fail("title", "'title' is empty", "write the headline after 'title:'")
    when = c.when("date", required=not is_page)
    authors: tuple[str, ...] = ()
    if "author" in data and "authors" in data:
        c.fail("authors", "give 'author' or 'authors', not both")
    elif "authors" in data:
        authors = c.strings("authors")
    elif "author" in data:
        authors = c.strings("author") if isinstance(data["author"], list) else (c.text("author") or "",)
        authors = tuple(a for a in authors if a)
    slug = c.text("slug")
    category = c.text("category")
    for key, value in (("slug", slug), ("category", category)):
        if value and ("/" in value or "\\" in value or ".." in value or "\x00" in value):
            c.fail(
                key,
                f"'{key}' may not contain '/', '\\' or '..': {value!r}",
                "use a plain name; the URL is built from it",
            )
    aliases = c.strings("aliases")
    for alias in aliases:
        try:
            output_path(alias)
        except UnsafePath as exc:
            c.fail("aliases", f"alias {exc}", "write aliases as site paths like /old/story-name/")
    source_url = c.text("source_url")
    image = c.text("image")
    for key, url in (("source_url", source_url), ("image", image)):
        if url and is_dangerous_url(url):
            c.fail(
                key,
                f"'{key}' uses a scheme that runs script or embeds data: {url!r}",
                "use an https:// URL or a site path such as /images/photo.jpg",
            )
    extra = {k: v for k, v in data.items() if isinstance(k, str) and k not in ARTICLE_KEYS}
    for key in extra:
        close = difflib.get_close_matches(key, ARTICLE_KEYS, n=1, cutoff=0.8)
        # A known key inside a longer word is another word ('resource', a theme's key), not a slip.
        if close and not (close[0] in key and len(key) - len(close[0]) >= 2):
            c.warnings.append(
                BuildWarning(
                    f"unknown key '{key}' looks like a misspelt '{close[0]}'",
                    rel,
                    key_line(fm_text, key),
                    f"rename it to '{close[0]}'",
                )
            )
    meta = FrontMatter(
        title=title or "",
        date=when,
        dated_only=when is not None and is_day(data.get("date")),
        authors=authors,
        category=category,
        tags=tuple(dict.fromkeys(c.strings("tags"))),
        summary=c.text("summary"),
        image=image,
        image_alt=c.text("image_alt") or "",
        image_caption=c.text("image_caption") or "",
        source=c.text("source"),
        source_url=source_url,
        slug=slug,
        draft=c.flag("draft"),
        featured=c.flag("featured"),
        updated=c.when("updated"),
        expires=c.when("expires"),
        related=c.strings("related"),
        aliases=aliases,
        notices=read_notices(data, tz, c.fail, parse_date) if not is_page else Notices(),
        extra=extra,
        featured_until=c.when("featured_until"),
        lines=key_lines(fm_text),
    )
    return (None if c.errors else meta), c.errors, c.warnings


def parse_document(
    source: SourceFile, tz: ZoneInfo, raw: bytes | None = None
) -> tuple[Document | None, list[BroadsheetError], list[BuildWarning]]:
    """Read (unless ``raw`` is given), split, parse and validate one content file."""
    if raw is None:
        try:
            raw = source.path.read_bytes()
        except FileNotFoundError:
            # Deleted or renamed after discovery: left out, as if the build had started a moment later.
            return (
                None,
                [],
                [
                    BuildWarning(
                        "the file disappeared during the build; left out",
                        source.rel,
                        None,
                        "build again to include it if it was renamed",
                    )
                ],
            )
        except OSError as exc:
            return (
                None,
                [
                    ContentError(
                        f"cannot read the file: {exc.strerror or exc}", source.rel, None, "check that it is readable"
                    )
                ],
                [],
            )
    if not source.name_ok:
        return (
            None,
            [
                ContentError(
                    "the file name is not valid UTF-8 (shown here with \\x escapes)",
                    source.rel,
                    None,
                    "rename the file or its folder with UTF-8 characters, e.g. with convmv",
                )
            ],
            [],
        )
    try:
        text = decode(raw, source)
        fm_text, body, body_line = split(text, source.rel)
        data = parse_yaml(fm_text, source.rel)
    except ContentError as exc:
        return None, [exc], []
    meta, errors, warnings = validate(data, fm_text, source.rel, tz, source.is_page)
    if meta is None:
        return None, errors, warnings
    return Document(source, meta, body, body_line, content_digest(raw)), errors, warnings
