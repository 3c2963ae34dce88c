"""The *remember* stage: what the next build reuses, once the output is written.

Reads the files written and each page's fingerprint; makes the cache's record of the pages (and
saves the cache). :func:`read_back` gives a page's bytes wherever the build holds them (also for
the search index).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from ..outputs import OutputFile
from ..urls import UnsafePath, output_path
from ..write.commit import digest_bytes
from .types import LoadedSite


def read_back(f: OutputFile, output: Path, staging: Path) -> OutputFile | None:
    """A page with its bytes: as rendered, staged by a worker, or kept from the last build, read back."""
    if f.data is not None:
        return f
    try:
        where = staging / f.staged if f.staged is not None else output / f.path
        return dataclasses.replace(f, data=where.read_bytes(), kept=None, staged=None)
    except OSError:
        return None


def remember_pages(
    loaded: LoadedSite,
    output: Path,
    files: list[OutputFile],
    prints: dict[str, str],
    over: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Record the fingerprint and output hash of every page written, then save the cache.

    ``over``: the record ``prints`` update (see RenderedSite.prints_over); else they are every page's.
    """
    if loaded.cache.folder is None:
        return
    store: dict[str, tuple[str, str]] = dict(over) if over is not None else {}
    paths: dict[str, str] = {}
    for url in prints:
        with suppress(UnsafePath):  # (no file: no record)
            paths[url] = output_path(url)
    # Given ``over``, only the pages chosen among: their files, without indexing the site's every file.
    wanted = set(paths.values()) if over is not None else None
    by_path = {f.path: f for f in files if wanted is None or f.path in wanted}
    for url, fp in prints.items():
        f = by_path.get(paths.get(url, ""))
        if f is not None and (f.kept or f.staged or f.data is not None):
            store[url] = (fp, f.kept or f.digest or digest_bytes(f.data or b""))
        else:
            store.pop(url, None)
    loaded.cache.set_pages(output, store)
    loaded.cache.save()
