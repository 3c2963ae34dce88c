"""The search index under ``/pagefind/``, made by Pagefind from the pages just rendered.

Where Pagefind runs, and why there: the build's output must change all at once or not at
all (see write.py). So Pagefind never sees the output folder. The pages that carry
``data-pagefind-body`` (article pages in the default theme) are written to a private
temporary folder, Pagefind indexes that folder into a second one, and its files are read
back as :class:`OutputFile` values. From there they are ordinary output files: staged and
committed with the pages they index, kept when unchanged, removed by the manifest when stale,
and never written when the build fails. A draft or embargoed article never reaches the index
because it never reaches the rendered pages.

Pagefind is optional (the ``search`` extra): without it the build warns and goes on, and the
search page says search is unavailable.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..errors import BuildWarning
from ..outputs import OutputFile
from ..write.commit import digest_bytes

#: Pagefind's own marker of the part of a page to index; pages without it are left out.
BODY_MARK = b"data-pagefind-body"
BUNDLE_DIR = "pagefind"
TIMEOUT_SECONDS = 900
INSTALL_HINT = "pip install 'pagefind[bin]' (the 'search' extra) to build the search index"


def find_pagefind() -> list[str] | None:
    """The command that runs Pagefind: the binary of the ``pagefind_bin`` wheel, else one on PATH."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-not-found,import-untyped,unused-ignore]

        return [str(get_executable())]
    except (ImportError, FileNotFoundError):
        pass
    for name in ("pagefind_extended", "pagefind"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def pages_to_index(files: Sequence[OutputFile]) -> list[OutputFile]:
    """Rendered HTML pages that mark a body for Pagefind."""
    return [f for f in files if f.data is not None and f.path.endswith(".html") and BODY_MARK in f.data]


#: What an earlier build indexed: the hash of its pages, and each bundle file with its hash.
IndexRecord = tuple[str, dict[str, str]]
SOURCE = "search index (Pagefind)"


def pages_key(pages: Sequence[OutputFile]) -> str:
    """Hash of the pages to index, paths and bytes: Pagefind gives the same bundle for the same key."""
    return digests_key((page.path, page.kept or digest_bytes(page.data or b"")) for page in pages)


def digests_key(pages: Iterable[tuple[str, str]]) -> str:
    """:func:`pages_key` from each page's path and the hash of its bytes (no need to read kept pages)."""
    h = hashlib.blake2b(digest_size=16)
    for path, digest in sorted(pages):
        h.update(path.encode() + b"\0" + digest.encode() + b"\0")
    return h.hexdigest()


def reuse_index(
    pages: Sequence[OutputFile], previous: IndexRecord | None, still_written: Callable[[str, str], bool]
) -> list[OutputFile] | None:
    """The earlier bundle as kept files when the same pages were indexed and it is untouched, else None."""
    return reuse_bundle(pages_key(pages), previous, still_written)


def reuse_bundle(
    key: str, previous: IndexRecord | None, still_written: Callable[[str, str], bool]
) -> list[OutputFile] | None:
    """Like :func:`reuse_index`, given the key of the pages (see :func:`digests_key`)."""
    if previous is None or previous[0] != key or not previous[1]:
        return None
    if not all(still_written(path, digest) for path, digest in previous[1].items()):
        return None
    return [OutputFile(path, SOURCE, kept=digest) for path, digest in sorted(previous[1].items())]


def index_record(pages: Sequence[OutputFile] | str, bundle: Sequence[OutputFile]) -> IndexRecord:
    """What to remember of this build's index for the next build (``pages``: the pages or their key)."""
    key = pages if isinstance(pages, str) else pages_key(pages)
    return key, {f.path: f.kept or digest_bytes(f.data or b"") for f in bundle}


def not_installed() -> BuildWarning:
    """The warning of a build that has pages to index but no Pagefind."""
    return BuildWarning("search index not built: Pagefind is not installed", hint=INSTALL_HINT)


def search_index(
    files: Sequence[OutputFile], command: list[str] | None = None
) -> tuple[list[OutputFile], list[BuildWarning]]:
    """Index the marked pages with Pagefind; return its bundle as output files under ``pagefind/``."""
    pages = pages_to_index(files)
    if not pages:
        return [], []
    command = command if command is not None else find_pagefind()
    if command is None:
        return [], [not_installed()]
    with tempfile.TemporaryDirectory(prefix="broadsheet-search-") as tmp:
        site, bundle = Path(tmp) / "site", Path(tmp) / BUNDLE_DIR
        for page in pages:
            target = site / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(page.data or b"")
        try:
            run = subprocess.run(
                [*command, "--site", str(site), "--output-path", str(bundle), "--quiet"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return [], [
                BuildWarning(f"search index not built: Pagefind failed to run: {exc}", None, None, INSTALL_HINT)
            ]
        if run.returncode != 0 or not bundle.is_dir():
            said = (run.stderr or run.stdout).strip().splitlines()[-3:]
            return [], [
                BuildWarning(
                    f"search index not built: Pagefind exited with {run.returncode}: {' / '.join(said)}",
                    None,
                    None,
                    "run it by hand to see why",
                )
            ]
        return [
            OutputFile(f"{BUNDLE_DIR}/{p.relative_to(bundle).as_posix()}", SOURCE, p.read_bytes())
            for p in sorted(bundle.rglob("*"))
            if p.is_file()
        ], []
