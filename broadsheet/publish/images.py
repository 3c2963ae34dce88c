"""Image dimensions read from file headers, so templates can give every ``<img>`` its size.

Only the standard library is used: PNG, JPEG, GIF, WebP (lossy, lossless, extended) and
SVG (``width``/``height`` or ``viewBox``). Results are cached by path, size and mtime, so a
live preview picks up a replaced image without re-reading the others.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

#: Bytes read from the start of a file: enough for every header we understand (JPEG
#: files with large EXIF blocks before the frame header are read further, see _jpeg_size).
HEAD_BYTES = 64 * 1024

Size = tuple[int, int]


def image_size(
    site_root: Path, url: str | None, theme_static: Sequence[Path] = (), theme_prefix: str = "/theme/"
) -> Size | None:
    """Return (width, height) of the image a site URL points to, or None when unknown.

    ``/images/a.jpg`` is looked up in ``site_root/static``; ``/theme/...`` in the theme's
    static folders (most specific first). External URLs, missing files, paths that leave
    their folder and unknown formats give None.
    """
    path = resolve_image(site_root, url, theme_static, theme_prefix)
    return file_size(path) if path is not None else None


def file_size(path: Path) -> Size | None:
    """Return (width, height) of an image file, read again only when its size or time changed."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _cached_size(str(path), stat.st_size, stat.st_mtime_ns)


def resolve_image(
    site_root: Path, url: str | None, theme_static: Sequence[Path] = (), theme_prefix: str = "/theme/"
) -> Path | None:
    """Map a site URL to the file that will be published there, or None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    rel = unquote(parts.path)
    if rel.startswith(theme_prefix):
        folders = list(theme_static)
        rel = rel[len(theme_prefix) :]
    else:
        folders = [site_root / "static"]
        rel = rel.lstrip("/")
    for folder in folders:
        candidate = (folder / rel).resolve()
        if candidate.is_relative_to(folder.resolve()) and candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=4096)
def _cached_size(path: str, size: int, mtime_ns: int) -> Size | None:
    # size and mtime are part of the key only so that a changed file is read again.
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
            return read_size(head, f)
    except OSError:
        return None


def read_size(head: bytes, rest: BinaryIO | None = None) -> Size | None:
    """Return the dimensions encoded in an image's first bytes, or None.

    ``rest`` may be the open file, for JPEG files whose frame header lies past ``head``.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return _positive(w, h)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", head[6:10])
        return _positive(w, h)
    if head.startswith(b"\xff\xd8"):
        return _jpeg_size(head, rest)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    if _looks_like_svg(head):
        return _svg_size(head.decode("utf-8", "replace"))
    return None


def _positive(w: int, h: int) -> Size | None:
    return (w, h) if w > 0 and h > 0 else None


#: JPEG start-of-frame markers (baseline, progressive, lossless, ...); not DHT, JPG or DAC.
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_size(head: bytes, rest: BinaryIO | None) -> Size | None:
    data = head
    i = 2
    while True:
        # Make sure the marker and its length are in the buffer.
        while i + 9 > len(data):
            more = rest.read(HEAD_BYTES) if rest is not None else b""
            if not more:
                return None
            data += more
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return _positive(w, h)
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header found
            return None
        i += 2 + length


def _webp_size(head: bytes) -> Size | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", head[26:30])
        return _positive(w & 0x3FFF, h & 0x3FFF)
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(head) >= 30:
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return _positive(w, h)
    return None


def _looks_like_svg(head: bytes) -> bool:
    start = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in head.lower()


_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.IGNORECASE | re.DOTALL)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


def _svg_attr(tag: str, name: str) -> str | None:
    match = re.search(rf"""\s{name}\s*=\s*(["'])(.*?)\1""", tag, re.IGNORECASE | re.DOTALL)
    return match.group(2) if match else None


def _svg_size(text: str) -> Size | None:
    tag_match = _SVG_TAG.search(text)
    if not tag_match:
        return None
    tag = tag_match.group(0)
    width, height = _svg_attr(tag, "width"), _svg_attr(tag, "height")
    w_match = _LENGTH.match(width) if width else None
    h_match = _LENGTH.match(height) if height else None
    if w_match and h_match:  # percentages and em sizes fall through to the viewBox
        return _positive(round(float(w_match.group(1))), round(float(h_match.group(1))))
    view_box = _svg_attr(tag, "viewBox")
    if view_box:
        numbers = re.split(r"[\s,]+", view_box.strip())
        try:
            vb_w, vb_h = float(numbers[2]), float(numbers[3])
        except (IndexError, ValueError):
            return None
        return _positive(round(vb_w), round(vb_h))
    return None
