"""Image dimensions from file headers: every format the theme meets, and the lookups that must fail."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from broadsheet.publish.images import image_size, read_size, resolve_image


def picture(fmt: str, size: tuple[int, int] = (120, 80), **save: object) -> bytes:
    """Encode a plain picture with Pillow."""
    buffer = io.BytesIO()
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    Image.new(mode, size, (200, 40, 40)).save(buffer, fmt, **save)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "save"),
    [
        ("PNG", {}),
        ("GIF", {}),
        ("JPEG", {}),
        ("JPEG", {"progressive": True}),
        ("WEBP", {"lossless": True}),
        ("WEBP", {"quality": 80}),
    ],
)
def test_raster_formats(fmt: str, save: dict[str, object]) -> None:
    assert read_size(picture(fmt, (321, 123), **save)) == (321, 123)


def test_webp_with_alpha_uses_the_extended_header() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 48), (0, 0, 0, 0)).save(buffer, "WEBP", quality=70)
    assert read_size(buffer.getvalue()) == (64, 48)


def test_jpeg_with_a_large_exif_block_before_the_frame(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription: pushes the frame header past the first read
    (tmp_path / "static").mkdir()
    Image.new("RGB", (90, 60)).save(tmp_path / "static" / "big.jpg", "JPEG", exif=exif)
    assert image_size(tmp_path, "/big.jpg") == (90, 60)


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"></svg>', (64, 32)),
        ('<?xml version="1.0"?>\n<svg width="10.6px" height=\'20\' viewBox="0 0 1 1"/>', (11, 20)),
        ('<svg viewBox="0 0 300 150" width="100%"></svg>', (300, 150)),
        ('<svg viewBox="0,0,48,24"></svg>', (48, 24)),
        ("<svg></svg>", None),
    ],
)
def test_svg(svg: str, expected: tuple[int, int] | None) -> None:
    assert read_size(svg.encode()) == expected


def test_unknown_bytes() -> None:
    assert read_size(b"not an image at all") is None
    assert read_size(b"") is None


def test_lookup_in_site_static_and_theme_static(tmp_path: Path) -> None:
    site = tmp_path / "site"
    theme = tmp_path / "theme" / "static"
    (site / "static" / "images").mkdir(parents=True)
    (theme / "img").mkdir(parents=True)
    (site / "static" / "images" / "a b.png").write_bytes(picture("PNG", (30, 20)))
    (theme / "img" / "logo.gif").write_bytes(picture("GIF", (8, 4)))
    assert image_size(site, "/images/a%20b.png") == (30, 20)
    assert image_size(site, "/images/a b.png?v=2") == (30, 20)
    assert image_size(site, "/theme/img/logo.gif", [theme]) == (8, 4)
    assert image_size(site, "/theme/img/logo.gif") is None  # no theme folders given


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://cdn.example.org/a.png",
        "//cdn.example.org/a.png",
        "images/a.png",
        "/images/missing.png",
        "/../secret.png",
        "/images/../../secret.png",
        "data:image/png;base64,AAAA",
    ],
)
def test_lookups_that_give_nothing(tmp_path: Path, url: str | None) -> None:
    (tmp_path / "site" / "static" / "images").mkdir(parents=True)
    (tmp_path / "site" / "secret.png").write_bytes(picture("PNG"))
    (tmp_path / "secret.png").write_bytes(picture("PNG"))
    assert image_size(tmp_path / "site", url) is None
    assert resolve_image(tmp_path / "site", url) is None


def test_a_replaced_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "static" / "x.png"
    path.parent.mkdir()
    path.write_bytes(picture("PNG", (10, 10)))
    assert image_size(tmp_path, "/x.png") == (10, 10)
    path.write_bytes(picture("PNG", (40, 10)))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert image_size(tmp_path, "/x.png") == (40, 10)
