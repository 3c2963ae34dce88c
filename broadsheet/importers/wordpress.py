"""WordPress's export (WXR, Tools → Export → All content) → Broadsheet items.

Read with defusedxml: an export comes from outside, and entity expansion or external entities
in it must not reach the parser. Posts and pages become articles and pages; their HTML is kept
as it is (Markdown passes HTML through), with WordPress's automatic paragraphs made explicit so
that Markdown changes nothing inside. Shortcodes are mapped (see convert.py), old permalinks
become aliases, featured images are referenced, copied from a local uploads folder, or
downloaded.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ..urls import slugify
from .common import ImportReport, Item, author_slug, site_path
from .convert import convert_wordpress

#: Post types that are the site's content; the rest (revisions, menus, blocks, styles) are not.
CONTENT_TYPES = ("post", "page")
#: Seconds a download may take, and its largest size.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAX_BYTES = 50 * 1024 * 1024


class ExportUnreadable(ValueError):
    """The export cannot be read: ``path:line: message``."""


@dataclass
class ImageOptions:
    """Where featured and body images come from: referenced (default), a local uploads copy, or downloaded."""

    uploads: Path | None = None
    """A local copy of wp-content/uploads: files found there are copied into static/wp-content/uploads/."""
    download: bool = False
    """Download every image under the old site's wp-content/uploads/ (needs the network)."""
    fetch: Callable[[str], bytes] | None = None
    cache: dict[str, Path | None] = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _text(elem: ET.Element, kind: str, name: str) -> str:
    """The text of the first child named ``name`` in the namespace kind: wp, content, excerpt, dc or ''."""
    for child in elem:
        if _local(child.tag) != name:
            continue
        ns = _ns(child.tag)
        if (
            (kind == "wp" and "wordpress.org/export" in ns and "excerpt" not in ns)
            or (kind == "excerpt" and "excerpt" in ns)
            or (kind == "content" and "purl.org/rss/1.0/modules/content" in ns)
            or (kind == "dc" and "purl.org/dc" in ns)
            or (kind == "" and not ns)
        ):
            return child.text or ""
    return ""


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _wp_date(local: str, gmt: str) -> datetime | None:
    """The post's time with its offset (from the local and GMT times), or the local time alone."""
    try:
        moment = datetime.strptime(local.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    try:
        utc = datetime.strptime(gmt.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return moment  # drafts have no GMT time: read later in the site's time zone
    offset = moment - utc
    if abs(offset) > timedelta(hours=14):
        return moment
    return moment.replace(tzinfo=timezone(offset))


_BLOCK_START = re.compile(
    r"^\s*(<(?:p|div|h[1-6]|ul|ol|li|blockquote|table|thead|tbody|tr|td|th|figure|figcaption|pre|hr|iframe|"
    r"script|style|form|dl|dt|dd|address|section|article|aside|header|footer|nav|details|summary|video|audio|"
    r"object|embed|center|!--)\b|<!--|\{\{<)",
    re.I,
)


def autop(text: str) -> str:
    """WordPress's automatic paragraphs made explicit: each text block becomes ``<p>…</p>``, line breaks ``<br>``.

    Blocks that start with a block-level tag or a shortcode are left as they are; ``<pre>``
    keeps its blank lines. The result is raw HTML blocks that Markdown passes through unchanged.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"<!-- /?wp:[^>]*-->\n?", "", text)  # block editor markers: noise once exported
    pres: list[str] = []

    def keep(m: re.Match[str]) -> str:
        pres.append(m.group(0))
        return f"\x00PRE{len(pres) - 1}\x00"

    text = re.sub(r"<pre\b.*?</pre>", keep, text, flags=re.S | re.I)
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text) if b.strip()]
    out = []
    for block in blocks:
        if _BLOCK_START.match(block) or block.startswith("\x00PRE"):
            out.append(block)
        else:
            out.append("<p>" + block.strip().replace("\n", "<br>\n") + "</p>")
    result = "\n\n".join(out)
    return re.sub("\x00PRE(\\d+)\x00", lambda m: pres[int(m.group(1))], result)


_UPLOAD_URL = re.compile(r"""https?://[^\s"'<>()\[\]]+?/wp-content/uploads/[^\s"'<>()\[\],?#]+""")


def _relocate(text: str, item: Item, images: ImageOptions, report: ImportReport, origin: str) -> str:
    """Point uploads URLs at the site's own copy (local folder or download); unchanged when referenced."""
    if images.uploads is None and not images.download:
        return text

    def swap(m: re.Match[str]) -> str:
        url = m.group(0)
        rel = unquote(url.split("/wp-content/uploads/", 1)[1])
        if ".." in rel.split("/"):
            return url
        site = "/wp-content/uploads/" + rel
        if url not in images.cache:
            images.cache[url] = _obtain(url, rel, images, report, origin)
        found = images.cache[url]
        if found is None:
            return url
        if (found, site) not in item.files:
            item.files.append((found, site))
        return site

    return _UPLOAD_URL.sub(swap, text)


def _obtain(url: str, rel: str, images: ImageOptions, report: ImportReport, origin: str) -> Path | None:
    if images.uploads is not None:
        path = images.uploads / rel
        if path.is_file():
            return path
        if not images.download:
            report.warn(origin, f"{rel} is not in {images.uploads}: the old URL is kept")
            return None
    fetch = images.fetch or _download
    try:
        data = fetch(url)
    except (OSError, ValueError) as exc:
        report.warn(origin, f"could not download {url} ({exc}): the old URL is kept")
        return None
    folder = Path(tempfile.mkdtemp(prefix="broadsheet-import-"))
    path = folder / Path(rel).name
    path.write_bytes(data)
    return path


def _download(url: str) -> bytes:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": "Broadsheet-import"})
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
        data: bytes = response.read(DOWNLOAD_MAX_BYTES + 1)
    if len(data) > DOWNLOAD_MAX_BYTES:
        raise ValueError(f"larger than {DOWNLOAD_MAX_BYTES // (1024 * 1024)} MB")
    return data


def read_export(path: Path, report: ImportReport, images: ImageOptions | None = None) -> list[Item]:
    """Read a WXR file into items; raise ExportUnreadable when it is not a readable export."""
    images = images or ImageOptions()
    shown = path.name
    try:
        raw = path.read_bytes()
        root = SafeET.fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except OSError as exc:
        raise ExportUnreadable(f"{shown}: cannot read: {exc}") from None
    except DefusedXmlException as exc:
        raise ExportUnreadable(f"{shown}: refused: {exc} (an export never needs entity declarations)") from None
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ExportUnreadable(f"{shown}:{line}: not well-formed XML: {exc}") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None or "wordpress.org/export" not in raw[:4000].decode("utf-8", "replace"):
        raise ExportUnreadable(f"{shown}:1: not a WordPress export (WXR): expected <rss> with wp: elements")
    text = raw.decode("utf-8", "replace")
    item_offsets = [m.start() for m in re.finditer(r"<item[\s>]", text)]

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    base = _text(channel, "", "link").strip()
    report.site.update(
        title=_text(channel, "", "title").strip(),
        tagline=_text(channel, "", "description").strip(),
        base_url=(base.rstrip("/") + "/") if base.startswith("http") else "",
        language=(_text(channel, "", "language").strip() or "en").split("-")[0],
    )
    logins: dict[str, str] = {}
    for a in _children(channel, "author"):
        login = _text(a, "wp", "author_login")
        name = _text(a, "wp", "author_display_name") or login
        logins[login] = name
        bio = _text(a, "wp", "author_description")
        report.authors[author_slug(name)] = {"name": name, "bio": bio}

    items = _children(channel, "item")
    attachments: dict[str, tuple[str, str, str]] = {}
    attached: dict[str, list[str]] = {}
    for elem in items:
        if _text(elem, "wp", "post_type") == "attachment":
            post_id = _text(elem, "wp", "post_id")
            meta = _meta(elem)
            url = _text(elem, "wp", "attachment_url") or _text(elem, "", "guid")
            attachments[post_id] = (url, meta.get("_wp_attachment_image_alt", ""), _text(elem, "excerpt", "encoded"))
            attached.setdefault(_text(elem, "wp", "post_parent"), []).append(post_id)

    out: list[Item] = []
    for index, elem in enumerate(items):
        offset = item_offsets[index] if index < len(item_offsets) else 0
        origin = f"{shown}:{line_of(offset)}"
        post_type = _text(elem, "wp", "post_type")
        title = _text(elem, "", "title").strip()
        label = f"{origin} ({post_type} '{title or _text(elem, 'wp', 'post_name')}')"
        if post_type == "attachment":
            continue
        if post_type not in CONTENT_TYPES:
            report.skip(
                label, f"post type '{post_type}' is not content (menus, revisions, blocks and styles stay behind)"
            )
            continue
        status = _text(elem, "wp", "status")
        if status in ("trash", "auto-draft", "inherit"):
            report.skip(label, f"status '{status}'")
            continue
        if not title:
            report.skip(label, "no title (Broadsheet needs a headline)")
            continue
        post_id = _text(elem, "wp", "post_id")
        meta = _meta(elem)
        when = _wp_date(_text(elem, "wp", "post_date"), _text(elem, "wp", "post_date_gmt"))
        if when is None:
            when = _wp_date(_text(elem, "wp", "post_modified"), _text(elem, "wp", "post_modified_gmt"))
        if when is None:
            report.skip(label, "no date")
            continue
        content_at = text.find("<content:encoded>", offset)
        first_line = line_of(content_at) if content_at >= 0 else line_of(offset)
        body = convert_wordpress(
            _text(elem, "content", "encoded"),
            shown,
            first_line,
            report,
            lambda i: attachments.get(i),
            lambda pid=post_id: [a for a in attached.get(pid, []) if _is_image(attachments[a][0])],  # type: ignore[misc]
        )
        item = Item(
            origin=label,
            title=title,
            date=when,
            slug=slugify(unquote(_text(elem, "wp", "post_name")) or title, fallback=post_id),
            body="",
            kind="page" if post_type == "page" else "article",
        )
        item.body = autop(_relocate(body, item, images, report, origin))
        excerpt = _text(elem, "excerpt", "encoded").strip()
        if excerpt:
            item.summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", excerpt)).strip()
        creator = _text(elem, "dc", "creator")
        if creator:
            item.authors = [logins.get(creator, creator)]
        for cat in _children(elem, "category"):
            name = (cat.text or "").strip()
            if not name:
                continue
            if cat.get("domain") == "category" and name not in (item.category,):
                if item.category is None:
                    item.category = name
                else:
                    item.tags.append(name)  # Broadsheet has one category: the others become tags
            elif cat.get("domain") == "post_tag":
                item.tags.append(name)
        item.tags = list(dict.fromkeys(item.tags))
        if status in ("draft", "pending", "private"):
            item.draft = True
            if status == "private":
                report.warn(label, "private post: imported as a draft")
        if _text(elem, "wp", "post_password"):
            item.draft = True
            report.warn(label, "password-protected post: imported as a draft (a static site cannot ask for a password)")
        if status == "future":
            report.warn(label, f"scheduled for {when.isoformat()}: embargoed until then (see build.py schedule)")
        if _text(elem, "wp", "is_sticky") == "1":
            item.extra["featured"] = True
        modified = _wp_date(_text(elem, "wp", "post_modified"), _text(elem, "wp", "post_modified_gmt"))
        if modified and status == "publish" and modified > when:
            item.updated = modified
        thumbnail = meta.get("_thumbnail_id")
        if thumbnail and thumbnail in attachments:
            url, alt, caption = attachments[thumbnail]
            item.image = _relocate(url, item, images, report, origin)
            item.image_alt = alt or None
            item.image_caption = re.sub(r"<[^>]+>", "", caption).strip() or None
        elif thumbnail:
            report.warn(label, f"featured image {thumbnail} is not in the export: left out")
        link = _text(elem, "", "link").strip()
        old = site_path(link) if link else None
        if old:
            item.aliases.append(old)
            for old_slug in meta.get_all("_wp_old_slug"):
                if item.slug in old:
                    item.aliases.append(old.replace(item.slug, slugify(unquote(old_slug)), 1))
        out.append(item)
    return out


class _Meta(dict[str, str]):
    """A post's postmeta: the first value of each key, and every value with get_all."""

    def __init__(self) -> None:
        super().__init__()
        self.every: dict[str, list[str]] = {}

    def get_all(self, key: str) -> list[str]:
        return self.every.get(key, [])


def _meta(elem: ET.Element) -> _Meta:
    meta = _Meta()
    for pm in _children(elem, "postmeta"):
        key = _text(pm, "wp", "meta_key")
        value = _text(pm, "wp", "meta_value")
        meta.setdefault(key, value)
        meta.every.setdefault(key, []).append(value)
    return meta


def _is_image(url: str) -> bool:
    return url.lower().rsplit(".", 1)[-1] in ("jpg", "jpeg", "png", "gif", "webp", "avif", "svg")


def cleanup_downloads(items: list[Item]) -> None:
    """Remove the temporary folders downloads were kept in (after the items are written)."""
    for item in items:
        for source, _ in item.files:
            if source.parent.name.startswith("broadsheet-import-"):
                shutil.rmtree(source.parent, ignore_errors=True)
