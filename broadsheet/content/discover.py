"""Walk ``content/``: which files are articles, which are pages, which are ignored."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildWarning

#: Editor and system leftovers that are never content.
EDITOR_LEFTOVERS = (
    "*~",
    "*.swp",
    "*.swx",
    "*.swo",
    "4913",
    ".#*",
    "#*#",
    "*___jb_tmp___",
    "*___jb_old___",
    ".goutputstream-*",
    "*.tmp",
    ".DS_Store",
    "Thumbs.db",
)
PAGES_DIR = "pages"
#: Where content pages are, relative to the site folder (their files directly in it).
PAGES_REL = f"content/{PAGES_DIR}/"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One content file: its path relative to the site, and whether it is a page."""

    file: str
    """Absolute path on disk. A string: every build looks at every content file (``os.stat``), and
    making and converting a ``Path`` for each took most of the walk of a large site's content."""
    rel: str
    """POSIX path relative to the site folder, used in messages (``content/world/a.md``)."""
    is_page: bool

    @property
    def path(self) -> Path:
        """Absolute path on disk, as a ``Path`` (made when asked)."""
        return Path(self.file)

    @property
    def name_ok(self) -> bool:
        """False when the path is not valid UTF-8 (``rel`` then shows the bad bytes as ``\\xff``)."""
        return not _has_surrogates(self.file)


def _has_surrogates(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown_name(name: str) -> str:
    """A file name as text that can be printed and stored: bytes that are not UTF-8 as ``\\xff``.

    Python hands such bytes over as lone surrogates, which no UTF-8 output (a terminal, SQLite,
    JSON) accepts.
    """
    if not _has_surrogates(name):
        return name
    return os.fsencode(name).decode("utf-8", "backslashreplace")


# The patterns as one expression: a site of 100,000 files asks about every name.
_LEFTOVER = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in EDITOR_LEFTOVERS), re.DOTALL)


def is_hidden(name: str) -> bool:
    """Names starting with '.' or '_' are drafts of folders, config or tooling: not content."""
    return name.startswith((".", "_"))


def is_editor_leftover(name: str) -> bool:
    """Swap files, backups and atomic-save temporaries of common editors."""
    return _LEFTOVER.match(name) is not None


def is_ignored(name: str) -> bool:
    """True for any file or folder name that is not content."""
    return is_hidden(name) or is_editor_leftover(name)


def is_markdown(name: str) -> bool:
    """Content files are Markdown."""
    return name.endswith((".md", ".markdown"))


Found = tuple[list[SourceFile], list[BuildWarning]]
"""The content files :func:`discover` found, and its warnings."""


def discover(site_root: Path) -> Found:
    """Return every content file under ``site_root/content`` in a stable order.

    Symlinks that lead outside the site are not followed (and are warned about):
    a build must never publish files from elsewhere on the machine.
    """
    content = site_root / "content"
    found: list[SourceFile] = []
    warnings: list[BuildWarning] = []
    if not content.is_dir():
        return found, warnings
    root_real = site_root.resolve()

    def walk(folder: str, rel: str, depth: int) -> None:
        # os.scandir tells files from folders and symlinks without a stat per entry.
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        subfolders: list[os.DirEntry[str]] = []
        files: list[os.DirEntry[str]] = []
        for entry in entries:
            (subfolders if entry.is_dir() else files).append(entry)
        for entry in subfolders:
            if is_ignored(entry.name):
                continue
            if entry.is_symlink():
                # Not walked (os.walk does not follow links either); one leading outside is warned about.
                if not _inside(Path(entry.path), root_real):
                    warnings.append(_symlink_warning(Path(entry.path), site_root))
                continue
            walk(entry.path, f"{rel}{shown_name(entry.name)}/", depth + 1)
        is_page = depth == 1 and rel == PAGES_REL
        for entry in files:
            name = entry.name
            if not is_markdown(name) or is_ignored(name):
                continue
            if entry.is_symlink() and not _inside(Path(entry.path), root_real):
                warnings.append(_symlink_warning(Path(entry.path), site_root))
                continue
            found.append(SourceFile(entry.path, rel + shown_name(name), is_page=is_page))

    walk(str(content), "content/", 0)
    found.sort(key=lambda s: s.rel)
    return found, warnings


def content_source(site_root: Path, path: Path) -> SourceFile | None:
    """Return the content file ``path`` is, by the same rules as :func:`discover`, or None.

    Used to look at one changed file without walking the whole of ``content/``.
    """
    content = site_root / "content"
    try:
        parts = path.relative_to(content).parts
    except ValueError:
        return None
    if not parts or any(is_ignored(part) for part in parts) or not is_markdown(parts[-1]):
        return None
    root_real = site_root.resolve()
    folder = content
    for part in parts[:-1]:
        folder = folder / part
        # discover() never descends into a symlinked folder (os.walk without followlinks).
        if folder.is_symlink() or not folder.is_dir():
            return None
    # os.walk lists every name that is not a folder as a file, broken links included.
    if not os.path.lexists(path) or path.is_dir() or (path.is_symlink() and not _inside(path, root_real)):
        return None
    rel = shown_name(path.relative_to(site_root).as_posix())
    return SourceFile(str(path), rel, is_page=len(parts) == 2 and parts[0] == PAGES_DIR)


def _inside(path: Path, root_real: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root_real)
    except OSError:
        return False


def _symlink_warning(path: Path, site_root: Path) -> BuildWarning:
    return BuildWarning(
        "symbolic link leads outside the site; not followed",
        path.relative_to(site_root).as_posix(),
        None,
        "copy the file into the site instead of linking to it",
    )


def discover_static(folder: Path, site_root: Path) -> tuple[list[tuple[str, Path]], list[BuildWarning]]:
    """Return (path relative to ``folder``, absolute path) of every static file, sorted.

    Hidden files and editor leftovers are skipped; symlinks leading outside the site
    (or outside the theme's own folder) are not followed and are warned about.
    """
    found: list[tuple[str, Path]] = []
    warnings: list[BuildWarning] = []
    if not folder.is_dir():
        return found, warnings
    allowed = [site_root.resolve(), folder.resolve()]
    shown_root = site_root if folder.is_relative_to(site_root) else folder

    def inside(p: Path) -> bool:
        try:
            real = p.resolve()
        except OSError:
            return False
        return any(real.is_relative_to(a) for a in allowed)

    for current, dirs, files in os.walk(folder, followlinks=False):
        base = Path(current)
        keep = []
        for d in sorted(dirs):
            if is_ignored(d):
                continue
            if (base / d).is_symlink() and not inside(base / d):
                warnings.append(_symlink_warning(base / d, shown_root))
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            full = base / name
            if is_ignored(name):
                continue
            if full.is_symlink() and not inside(full):
                warnings.append(_symlink_warning(full, shown_root))
                continue
            found.append((full.relative_to(folder).as_posix(), full))
    found.sort()
    return found, warnings
