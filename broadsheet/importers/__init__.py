"""Bring an archive into a Broadsheet site: WordPress exports, Jekyll and Hugo sites.

``run_import(kind, path, site_root, options)`` reads the archive, writes content files (never
overwriting), copies media into ``static/``, writes ``site.yml`` for a new site (or
``site.imported.yml`` beside an existing one) and returns an :class:`ImportReport`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULT_PERMALINK, load_config_problems
from .common import ImportReport, write_items, write_site_file
from .staticgen import read_hugo, read_jekyll
from .wordpress import ExportUnreadable, ImageOptions, cleanup_downloads, read_export

__all__ = ["ImportFailed", "ImportOptions", "ImportReport", "run_import"]

KINDS = ("wordpress", "jekyll", "hugo")


class ImportFailed(ValueError):
    """The archive cannot be imported at all (not found, not an export): the message says why."""


@dataclass(frozen=True)
class ImportOptions:
    """How to import: the fallback category, images (WordPress), and whether to write anything."""

    default_category: str = "News"
    uploads: Path | None = None
    download_images: bool = False
    dry_run: bool = False


def run_import(kind: str, path: Path, site_root: Path, options: ImportOptions | None = None) -> ImportReport:
    """Import the archive at ``path`` into the site at ``site_root``; raise ImportFailed when it cannot be read."""
    options = options or ImportOptions()
    report = ImportReport()
    permalink = DEFAULT_PERMALINK
    if (site_root / "site.yml").is_file():
        config, problems = load_config_problems(site_root)
        if config is None or problems:
            raise ImportFailed("; ".join(p.format() for p in problems) + " (fix site.yml before importing)")
        permalink = config.article_permalink
    if kind == "wordpress":
        if not path.is_file():
            raise ImportFailed(f"{path}: no such file (give the .xml file from Tools → Export)")
        if options.uploads is not None and not options.uploads.is_dir():
            raise ImportFailed(f"{options.uploads}: no such folder (give a copy of wp-content/uploads)")
        images = ImageOptions(uploads=options.uploads, download=options.download_images)
        try:
            items = read_export(path, report, images)
        except ExportUnreadable as exc:
            raise ImportFailed(str(exc)) from None
    elif kind in ("jekyll", "hugo"):
        if not path.is_dir():
            raise ImportFailed(f"{path}: no such folder (give the {kind.title()} site's folder)")
        if kind == "jekyll":
            items = read_jekyll(path, report, permalink, options.default_category, site_root, options.dry_run)
        else:
            items = read_hugo(path, report, permalink, options.default_category, site_root, options.dry_run)
    else:
        raise ImportFailed(f"unknown archive kind '{kind}': use one of {', '.join(KINDS)}")
    try:
        write_items(items, site_root, report, permalink, options.default_category, options.dry_run)
        write_site_file(site_root, report, options.dry_run)
    finally:
        cleanup_downloads(items)
    return report
