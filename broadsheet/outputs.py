"""The values the stages hand each other: pages to render and files of the built site.

This module imports nothing of Broadsheet's, so that every stage (render, publish, write, the
incremental store) can name these types without importing another stage.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import deferred

#: The site's folder of what is kept between builds and never deployed: the build cache, and the
#: manifest and journal of each output folder (see write.commit.state_folder).
CACHE_DIR = ".broadsheet-cache"


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the built site, in memory (``data``) or copied from disk (``copy_from``)."""

    path: str
    """POSIX path relative to the output folder."""
    source: str
    """What produced it (a content file, a listing, a static file), named in conflict errors."""
    data: bytes | None = None
    copy_from: Path | None = None
    kept: str | None = None
    """Hash of the bytes already in the output, for a page not rendered again (see incremental/cache.py)."""
    digest: str | None = None
    """Hash of ``data`` (or of the staged file) when already known (the write stage computes it otherwise)."""
    staged: str | None = None
    """Name of the file holding the bytes in the output's staging folder, written by a render worker
    (see write.open_staging); ``data`` is then None."""
    stamp: tuple[int, int] | None = None
    """Size and modification time of the staged file, as its writer saw them (a rename keeps both)."""


def kept_file(path: str, source: str, digest: str) -> OutputFile:
    """``OutputFile(path, source, kept=digest)``, made in half the time: a build keeps most of its
    pages as the last one wrote them, 165,000 of them at 100,000 articles, and a frozen dataclass's
    ``__init__`` sets each of its nine fields through a call. (Every field is set here: a test
    compares the two.)"""
    f = _new_file(OutputFile)
    _set(f, "path", path)
    _set(f, "source", source)
    _set(f, "data", None)
    _set(f, "copy_from", None)
    _set(f, "kept", digest)
    _set(f, "digest", None)
    _set(f, "staged", None)
    _set(f, "stamp", None)
    return f


_new_file = OutputFile.__new__
_set = object.__setattr__


@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to render: URL, template, context, and the article URLs it shows."""

    url: str
    template: str
    context: dict[str, Any]
    source: str
    shows: frozenset[str] = field(default_factory=frozenset)

    def __getattr__(self, name: str) -> Any:
        # Only for a field left unset: a kept plan's page whose context is read when first asked
        # for (see deferred.py).
        return deferred.fill(self, name)


#: Folder of the staging folder holding pages staged by render workers, each at its output path.
STAGED_TREE = "tree"


def output_folder(output: Path) -> Path:
    """The output folder as an absolute path with its own name kept: its parents resolved, itself not.

    The output is a link to the generation readers see (see write/generations.py): resolving it
    would name that generation, which changes from build to build.
    """
    output = Path(os.path.abspath(output))
    return output.parent.resolve() / output.name


def output_key(output: Path) -> str:
    """What the cache files things of one output folder under: a short hash of its path (see
    output_folder), which every row of the cache's page tables holds (the path itself was a tenth
    of those rows)."""
    return hashlib.blake2b(str(output_folder(output)).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
