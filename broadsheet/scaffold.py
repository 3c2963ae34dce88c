"""``broadsheet init``: a new site folder, ready to build, preview and publish."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from . import __version__
from .errors import UsageError
from .newarticle import yaml_quote

#: What ``init`` writes: the site's path → the starter file in the package. Dot files are stored
#: without their dot (package data globs skip hidden files).
STARTER_FILES = {
    "site.yml": "site.yml",
    "content/news/welcome.md": "content/news/welcome.md",
    "content/pages/about.md": "content/pages/about.md",
    "static/images/logo.svg": "static/images/logo.svg",
    ".gitignore": "gitignore",
    ".github/workflows/pages.yml": "github/workflows/pages.yml",
}


def starter_text(name: str) -> str:
    """The text of a starter file shipped in the package."""
    return files("broadsheet").joinpath("starter", *name.split("/")).read_text(encoding="utf-8")


def title_for(folder: Path) -> str:
    """A site title made from its folder's name: ``my-town-news`` → ``My Town News``."""
    words = folder.resolve().name.replace("_", " ").replace("-", " ").split()
    return " ".join(w[:1].upper() + w[1:] for w in words) or "My News Site"


def init_site(folder: Path, title: str | None = None, now: datetime | None = None) -> list[Path]:
    """Write a new site into ``folder`` (made if missing) and return the files written.

    Refuses, writing nothing, when any of the files is already there or the folder already
    holds a site (a ``site.yml`` or a ``content/`` folder).
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file", str(folder), None, "give a folder for the new site")
    clashes = [name for name in (*STARTER_FILES, "content") if (folder / name).exists()]
    if clashes:
        raise UsageError(
            f"{folder} already holds {', '.join(clashes)}; nothing was written",
            str(folder),
            None,
            "choose an empty or new folder: broadsheet init NEW-FOLDER",
        )
    title = (title or title_for(folder)).strip()
    today = (now or datetime.now(UTC)).date().isoformat()
    values = {
        "@TITLE@": yaml_quote(title),
        "@WELCOME@": yaml_quote(f"Welcome to {title}"),
        "@DATE@": today,
        "@VERSION@": __version__,
    }
    written = []
    for target, source in STARTER_FILES.items():
        text = starter_text(source)
        for token, value in values.items():
            text = text.replace(token, value)
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
            f.write(text)
        written.append(path)
    return written
