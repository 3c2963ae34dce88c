"""The output folder as a link to one whole build: readers see the old site or the new, never a mix.

``output`` is a symbolic link to one of two folders beside it, ``.output-builds/a`` and
``.output-builds/b`` (the *generations*). The one it names is *live*: what a web server or a
deploy reads. A build brings the other one up to date (only the files that differ from what
that folder holds: new and changed files written, files the live folder has as they should be
hard-linked from it, so that they keep their bytes, inode and modification time), then switches
``output`` to it with one ``rename`` of a new link over the old one, which is atomic: a reader
resolving ``output/...`` finds either generation whole, whenever the build is killed. The folder
left behind is brought up to date by the next build that changes anything.

Files that Broadsheet did not write (``CNAME``, ``.well-known/``, a ``.git`` folder) are carried
from one generation to the next when they sit at the top of the output: files are hard-linked
before the switch, folders moved just after it (a build killed in between leaves the folder in
the old generation, and the next build moves it). Deeper ones are not: put such files in
``static/``.

An output that is a real folder (made by an older version) becomes a generation on the first
build: it is renamed into ``.output-builds/`` and the link made in its place at once. One that
cannot be renamed (a mount point, or a link of the user's own to somewhere else) is written in
place as before: staged, journaled and committed, rolled forward by the next build if killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError
from ..outputs import OutputFile
from . import commit
from .commit import (
    OLD_JOURNAL,
    OLD_MANIFEST,
    STAGING,
    LastOutput,
    WriteStats,
    _write,
    recover,
    state_folder,
    top_names,
)

#: The two generations, inside the builds folder.
NAMES = ("a", "b")
#: Names in the output that are Broadsheet's own bookkeeping, never carried (the staging folder,
#: and the manifest and journal an earlier version kept in the output).
PRIVATE = frozenset({STAGING, OLD_MANIFEST, OLD_JOURNAL, OLD_MANIFEST + ".tmp"})
#: In the builds folder: the foreign folders a switch has still to move (see switch).
CARRY = "carry.json"
#: The end of the name of a file being carried (``.CNAME.carry``).
CARRY_SUFFIX = ".carry"


def builds_folder(output: Path) -> Path:
    """Where the generations of ``output`` live: ``.<name>-builds`` beside it."""
    return output.parent / f".{output.name}-builds"


@dataclass(frozen=True, slots=True)
class Generations:
    """Where a build writes and what readers see.

    ``target``: the folder this build brings up to date. ``live``: the generation readers see
    (None when there is no output yet, or when ``target`` is written in place).
    """

    output: Path
    target: Path
    live: Path | None
    in_place: bool


def generations(output: Path, site_root: Path | None = None) -> Generations:
    """Look at ``output`` (making the builds folder, or turning an older real folder into a generation).

    ``site_root``: the site, whose cache folder keeps each generation's manifest and journal
    (see commit.state_folder); every function here takes it for that.
    """
    builds = builds_folder(output)
    if os.path.islink(output):
        name = os.readlink(output)
        here = Path(os.path.normpath(output.parent / name))
        if here.parent == builds and here.name in NAMES:
            other = builds / NAMES[1 - NAMES.index(here.name)]
            return Generations(output, other, here if here.is_dir() else None, in_place=False)
        return Generations(output, output, None, in_place=True)  # the user's own link: written where it leads
    if output.is_dir():
        if os.path.ismount(output) or not _adopt(output, builds, site_root):
            return Generations(output, output, None, in_place=True)
        return generations(output, site_root)
    return Generations(output, builds / NAMES[0], None, in_place=False)


def _adopt(output: Path, builds: Path, site_root: Path | None) -> bool:
    """Turn the real folder ``output`` into the live generation ``a``; False if it cannot be moved."""
    old_state = state_folder(output, site_root)
    recover(output, old_state)  # a commit an older version left unfinished
    try:
        builds.mkdir(parents=True, exist_ok=True)
        first = builds / NAMES[0]
        if first.exists():
            shutil.rmtree(first)  # left over from an output removed by hand since
        os.rename(output, first)
    except OSError:
        return False
    new_state = state_folder(first, site_root)
    if old_state.is_dir() and not new_state.exists():  # its manifest follows it: what it holds is known
        with contextlib.suppress(OSError):
            new_state.parent.mkdir(parents=True, exist_ok=True)
            os.rename(old_state, new_state)
    _point(output, first)
    return True


def shown(output: Path, site_root: Path | None = None) -> LastOutput:
    """The output as readers see it now (see commit.LastOutput): its files looked at through
    ``output``, with the manifest of the generation it names; nothing is changed."""
    gens = generations(output, site_root)
    folder = gens.live if gens.live is not None and not gens.in_place else output
    return LastOutput(output, state_folder(folder, site_root))


def output_stamps(output: Path, site_root: Path | None = None) -> dict[str, dict[str, tuple[int, int] | None]]:
    """The stamps of the files of both generations of ``output`` (see commit.folder_stamps), by
    folder, for :func:`commit.offer_stamps`; none for an output that is not a link to generations.
    Changes nothing (safe in another process while the build runs)."""
    if not os.path.islink(output):
        return {}
    gens = generations(output, site_root)
    found: dict[str, dict[str, tuple[int, int] | None]] = {}
    for folder in (gens.live, gens.target):
        if folder is not None and folder.is_dir():
            stamps = commit.folder_stamps(folder, state_folder(folder, site_root))
            if stamps is not None:
                found[stamps[0]] = stamps[1]
    return found


def last_output(output: Path, site_root: Path | None = None) -> LastOutput:
    """The output as readers see it now (see :func:`shown`), the target made ready first."""
    prepare(output, site_root)
    return shown(output, site_root)


def staging_dir(output: Path, site_root: Path | None = None) -> Path:
    """Where this build stages files: inside the generation it writes (see commit.open_staging)."""
    return generations(output, site_root).target / STAGING


def open_staging(output: Path, site_root: Path | None = None) -> Path:
    """Prepare the staging folder of the generation this build writes, for the render workers."""
    gens = prepare(output, site_root)
    staging = gens.target / STAGING
    staging.mkdir(exist_ok=True)
    return staging


def discard_staging(output: Path, site_root: Path | None = None) -> None:
    """Drop what a failed build staged; readers never saw it."""
    target = generations(output, site_root).target
    commit.discard_staging(target, state_folder(target, site_root))


def write_error(exc: OSError, output: Path, site_root: Path | None = None) -> OutputError:
    """The error of a failed write (see commit.write_error), the staged files dropped."""
    target = generations(output, site_root).target
    return commit.write_error(exc, target, state_folder(target, site_root))


def write_output(
    files: Iterable[OutputFile],
    output: Path,
    done: Callable[[int], None] | None = None,
    staged: bool = False,
    last: LastOutput | None = None,
    site_root: Path | None = None,
) -> WriteStats:
    """Write the site as a new generation of ``output`` and switch readers to it (see the module).

    Arguments as :func:`commit.write_output`; ``last`` is the output as readers saw it. A build
    whose files are all as the live generation holds them writes nothing and switches nothing.
    """
    gens = generations(output, site_root) if staged else prepare(output, site_root)
    target_state = state_folder(gens.target, site_root)
    if gens.in_place:
        return commit.write_output(files, output, done, staged, last, target_state)
    try:
        live = (last or shown(output, site_root)) if gens.live is not None else None
        stats = _write(files, gens.target, done, LastOutput(gens.target, target_state), live)
        if not stats.same or gens.live is None:
            switch(gens, top_names(live.manifest) if live is not None else frozenset(), stats.top)
        return stats
    except OSError as exc:
        raise commit.write_error(exc, gens.target, target_state) from None


def prepare(output: Path, site_root: Path | None = None) -> Generations:
    """Make the target generation ready to be written: a killed build's commit finished, its staging
    folder dropped, top-level folders a killed switch left behind moved to the live generation."""
    gens = generations(output, site_root)
    if gens.in_place:
        output.mkdir(parents=True, exist_ok=True)
        recover(output, state_folder(output, site_root))
        return gens
    gens.target.mkdir(parents=True, exist_ok=True)
    recover(gens.target, state_folder(gens.target, site_root))
    pending = builds_folder(output) / CARRY
    if pending.is_file():
        if gens.live is not None:
            _move_folders(gens.target, gens.live, _load_names(pending))
        pending.unlink(missing_ok=True)
    return gens


def switch(gens: Generations, live_top: frozenset[str], target_top: frozenset[str]) -> None:
    """Make the target generation live: foreign top-level files linked into it, the link switched
    in one rename, then foreign top-level folders moved over (``*_top``: the names Broadsheet's
    files are under in each)."""
    if gens.in_place:
        return
    folders: list[str] = []
    pending = builds_folder(gens.output) / CARRY
    if gens.live is not None:
        # A name this build wrote is never carried over from the live generation, even when the
        # live one's record of its own files is gone (the cache folder deleted): its file is older.
        theirs = {n: e for n, e in _foreign(gens.live, live_top).items() if n not in target_top}
        mine = _foreign(gens.target, target_top)
        _carry_files(theirs, mine, gens.target)
        folders = [n for n, e in theirs.items() if e.is_dir(follow_symlinks=False) and n not in mine]
        if folders:  # remembered, so that a build killed before moving them has the next one move them
            tmp = pending.with_name(CARRY + ".tmp")
            tmp.write_text(json.dumps(folders), encoding="utf-8")
            os.replace(tmp, pending)
    _point(gens.output, gens.target)
    if gens.live is not None and folders:
        _move_folders(gens.live, gens.target, folders)
        pending.unlink(missing_ok=True)


def _point(output: Path, generation: Path) -> None:
    """Make ``output`` a link to ``generation`` with one atomic rename (a relative link, so that the
    site folder can be moved)."""
    link = output.parent / f".{output.name}.link"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(link)
    os.symlink(os.path.relpath(generation, output.parent), link)
    os.replace(link, output)


def _foreign(folder: Path, ours: frozenset[str]) -> dict[str, os.DirEntry[str]]:
    """The top-level entries of a generation that Broadsheet did not write (``ours``: the names it did)."""
    try:
        with os.scandir(folder) as it:
            return {e.name: e for e in it if e.name not in ours and not _private(e.name)}
    except OSError:
        return {}


def _private(name: str) -> bool:
    return name in PRIVATE or (name.startswith(".") and name.endswith(CARRY_SUFFIX))


def _carry_files(theirs: dict[str, os.DirEntry[str]], mine: dict[str, os.DirEntry[str]], target: Path) -> None:
    """Give ``target`` the foreign top-level files of the live generation (``theirs``), as hard links,
    and drop the foreign files it has (``mine``) that the live one no longer has."""
    for name, entry in mine.items():
        if name not in theirs and not entry.is_dir(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)  # removed from the live output by hand since
    for name, entry in theirs.items():
        if entry.is_dir(follow_symlinks=False):
            continue
        there = target / name
        try:
            if name in mine and os.path.samefile(entry.path, there):
                continue
            tmp = target / f".{name}{CARRY_SUFFIX}"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), tmp)
            else:
                os.link(entry.path, tmp)
            os.replace(tmp, there)
        except OSError:
            continue  # a name Broadsheet writes in the new build, or an unreadable file: left alone


def _move_folders(source: Path, live: Path, names: Iterable[str]) -> None:
    """Move the folders ``names`` of ``source`` into ``live`` where it has none of that name."""
    for name in names:
        if not _private(name) and "/" not in name and os.path.isdir(source / name) and not os.path.lexists(live / name):
            with contextlib.suppress(OSError):
                os.rename(source / name, live / name)


def _load_names(path: Path) -> list[str]:
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
