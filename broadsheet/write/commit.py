"""Output files → disk: staged, then committed all at once; unchanged files keep their bytes and time.

How a build stays all-or-nothing:

1. every new or changed file is written into ``output/.broadsheet-staging/``: numbered, in a
   flat folder, or, for pages staged by the render workers, at their output paths under
   ``tree/``, so that a folder the output does not have yet moves in with one rename (a cold
   build's pages go in with a handful);
2. the new manifest (what Broadsheet wrote: each file's hash, size and time, the last two
   looked up in the staging folder, since a rename keeps them) is written beside the current
   one, then a journal listing the moves and removals, each atomically;
3. the staged files are renamed into place and stale files removed;
4. the new manifest replaces the old one (a rename); the journal goes.

The manifest and the journal are kept next to the build cache (``.broadsheet-cache/outputs/``
of the site, one folder per output folder; see :func:`state_folder`), not in the output: nothing
private is deployed.

Copies of static files are keyed by their source's stamp (see filestamp.py), so an
unchanged image is neither read nor hashed again. A build looks at each file of the output
once, whichever stage asks first (see :class:`LastOutput`).

A build killed before step 2 leaves the old output untouched and its staging folder is
removed by the next run; one killed after step 2 is rolled forward by the next run.
Only files listed in the manifest are ever removed, so ``CNAME`` or ``.git`` survive.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import OutputError, UsageError
from ..filestamp import stamp_of
from ..outputs import CACHE_DIR, STAGED_TREE, OutputFile

#: The manifest: a header, then the pickled ``{"files": {path: entry}}`` (written once a build, read
#: by the next; a large site's is tens of megabytes, which pickle reads and writes twice as fast as
#: JSON), compressed at zlib's fastest level: paths and hashes pack to two fifths, which the build
#: cache a CI runner keeps carries once per output generation.
MANIFEST = "manifest.pickle"
MANIFEST_FORMAT = b"broadsheet-manifest-2\n"
#: The uncompressed manifest of earlier versions, still read.
_PLAIN_MANIFEST_FORMAT = b"broadsheet-manifest-1\n"
#: The manifest a build is committing, until it replaces :data:`MANIFEST` (see the module documentation).
NEXT_MANIFEST = "manifest.next"
#: Where earlier versions kept the manifest beside the cache (JSON): read when there is no other.
JSON_MANIFEST = "manifest.json"
STAGING = ".broadsheet-staging"
JOURNAL = "journal.json"
#: Where earlier versions kept the manifest and the journal: in the output folder itself.
OLD_MANIFEST = ".broadsheet-manifest.json"
OLD_JOURNAL = ".broadsheet-journal.json"
#: Where render workers stage pages in the staging folder: at their output paths (see render.stage_name).
TREE_PREFIX = STAGED_TREE + "/"
#: Files between two progress reports.
PROGRESS_EVERY = 500


@dataclass(frozen=True, slots=True)
class WriteStats:
    """What the write stage did."""

    written: int
    unchanged: int
    removed: int
    same: bool = False
    """Nothing differed from the output readers see: nothing was written anywhere."""
    top: frozenset[str] = frozenset()
    """The names at the top of the output that Broadsheet's files are under."""


def folds_case(folder: Path) -> bool:
    """Whether the file system holding ``folder`` (or its nearest existing parent) ignores case."""
    probe = folder.resolve()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    for part in (probe, *probe.parents):
        if part.name and part.name.swapcase() != part.name:
            twin = part.with_name(part.name.swapcase())
            try:
                return twin.exists() and os.path.samefile(twin, part)
            except OSError:
                return False
    return False


def check_output_dir(output: Path, site_root: Path) -> None:
    """Refuse output folders whose cleaning could destroy sources: the site, its parents, home, /."""
    out = output.resolve()
    site = site_root.resolve()
    home = Path.home().resolve()
    forbidden = {site: "the site folder", home: "your home folder", Path(out.anchor): "the file system root"}
    for folder in ("content", "themes", "static"):
        forbidden[site / folder] = f"the site's {folder}/ folder"
    if out in forbidden:
        raise UsageError(
            f"--output {output} is {forbidden[out]}", None, None, "choose an output folder of its own, such as output/"
        )
    if site.is_relative_to(out):
        raise UsageError(
            f"--output {output} contains the site", None, None, "choose an output folder inside or beside the site"
        )
    for folder in ("content", "themes", "static"):
        if out.is_relative_to(site / folder):
            raise UsageError(
                f"--output {output} is inside the site's {folder}/ folder",
                None,
                None,
                "choose an output folder such as output/",
            )


def state_folder(output: Path, site_root: Path | None = None) -> Path:
    """Where the manifest and the journal of ``output`` are kept: beside the build cache of the site
    (``.broadsheet-cache/outputs/<key>/``), or, for an output folder outside the site, in a
    ``.broadsheet-cache/`` beside that folder.

    One folder per output folder (named by a hash of its real path), so that ``--output`` folders
    keep their own. Without ``site_root``, the output's parent is taken as the site (the default
    ``output/`` lies in the site).
    """
    real = output.resolve()
    key = hashlib.sha1(str(real).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    inside = site_root is not None and real.is_relative_to(site_root.resolve())
    return (site_root if inside and site_root is not None else output.parent) / CACHE_DIR / "outputs" / key


def read_manifest(output: Path, state: Path | None = None) -> dict[str, dict[str, Any]]:
    """What the last build wrote into ``output``: path → {hash, size, mtime_ns}.

    A manifest left in the output by an earlier version is read when there is no other (and
    removed by the next commit).
    """
    state = state or state_folder(output)
    if (state / MANIFEST).is_file():
        data = _load_manifest(state / MANIFEST)
    elif (state / JSON_MANIFEST).is_file():
        data = _load_json(state / JSON_MANIFEST)
    else:
        data = _load_json(output / OLD_MANIFEST)
    files = data.get("files", {})
    return files if isinstance(files, dict) else {}


def _load_manifest(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        if raw.startswith(MANIFEST_FORMAT):
            data = pickle.loads(zlib.decompress(memoryview(raw)[len(MANIFEST_FORMAT) :]))
        elif raw.startswith(_PLAIN_MANIFEST_FORMAT):
            data = pickle.loads(memoryview(raw)[len(_PLAIN_MANIFEST_FORMAT) :])
        else:
            data = {}
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError, zlib.error):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(path: Path, manifest: dict[str, dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    data = pickle.dumps({"files": manifest}, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.write_bytes(MANIFEST_FORMAT + zlib.compress(data, 1))
    os.replace(tmp, path)


#: Stands for a stamp not looked up yet (None is a file found missing); compared by identity.
_UNSEEN: tuple[int, int] = (-1, -1)

#: Stamps of output files looked up ahead by a helper process (see :func:`offer_stamps`): the
#: folder (real path, with a final separator) → its files' stamps.
_OFFERED: dict[str, dict[str, tuple[int, int] | None]] = {}


def folder_stamps(output: Path, state: Path) -> tuple[str, dict[str, tuple[int, int] | None]] | None:
    """The size and modification time of each file the manifest of ``output`` lists, as
    :class:`LastOutput` looks them up, with the folder's key (its real path); None while a killed
    build's commit is there to finish (finishing it moves files). Changes nothing."""
    if (state / JOURNAL).is_file() or (output / OLD_JOURNAL).is_file():
        return None
    folder = os.path.join(os.path.realpath(output), "")
    stamps: dict[str, tuple[int, int] | None] = {}
    for rel in read_manifest(output, state):
        try:
            st = os.stat(folder + rel)
            stamps[rel] = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamps[rel] = None
    return folder, stamps


def offer_stamps(stamps: dict[str, dict[str, tuple[int, int] | None]]) -> None:
    """Give the next :class:`LastOutput` of each folder the stamps of its files, looked up ahead by
    :func:`folder_stamps` during this build (by a resumed build's helper process, while the build
    loads its plan: see stages/aside.py). Each is taken once; :func:`forget_offered_stamps` drops
    those left at the end of the build."""
    _OFFERED.update(stamps)


def forget_offered_stamps() -> None:
    """Drop the stamps offered and not taken (the end of a build)."""
    _OFFERED.clear()


class LastOutput:
    """The output folder as the last build left it: its manifest, and the size and modification time
    of each of its files, asked of the file system at most once in a build.

    One is shared by the stages that judge whether a file is still as a build wrote it (pages,
    sitemaps, the search index) and the write stage: a large site's every file would otherwise be
    looked at twice (and its manifest read twice). It holds while nothing writes into the output
    outside the staging folder, which is until the write stage commits; a killed build's commit is
    finished before it is made (see :func:`last_output`), and one finished later drops it (see
    :func:`write_output`).
    """

    def __init__(self, output: Path, state: Path | None = None) -> None:
        self.output = output
        self.state = state or state_folder(output)
        """The folder of the output's manifest and journal (see :func:`state_folder`)."""
        # The output's link resolved once (see write/generations.py), not at every file looked at.
        self._folder = os.path.join(os.path.realpath(output), "")
        # Looked up ahead in this build, when they were (see offer_stamps): as good as asked now,
        # since nothing of the build writes into the output before its write stage.
        self._stamps: dict[str, tuple[int, int] | None] = _OFFERED.pop(self._folder, {})
        # Files found still written, with the hash asked: a resumed build asks it of every page it
        # keeps, and its write stage asks again (the same stamps, the same manifest: the same answer).
        self._still: dict[str, str] = {}

    @cached_property
    def manifest(self) -> dict[str, dict[str, Any]]:
        """What the last build wrote: path → {hash, size, mtime_ns} (read when first asked)."""
        return read_manifest(self.output, self.state)

    def stamp(self, rel: str) -> tuple[int, int] | None:
        """Size and modification time of ``rel`` in the output when first asked in this build (None: missing)."""
        stamp = self._stamps.get(rel, _UNSEEN)
        if stamp is _UNSEEN:
            try:
                st = os.stat(self._folder + rel)  # rel is relative (see urls.output_path)
                stamp = (st.st_size, st.st_mtime_ns)
            except OSError:
                stamp = None
            self._stamps[rel] = stamp
        return stamp

    def same_stat(self, rel: str, entry: dict[str, Any]) -> bool:
        """True when ``rel`` has the size and time ``entry`` records."""
        stamp = self.stamp(rel)
        return stamp is not None and stamp[0] == entry.get("size") and stamp[1] == entry.get("mtime_ns")

    def still_written(self, rel: str, digest: str) -> bool:
        """True when ``rel`` in the output still holds the bytes with ``digest`` that the last build wrote."""
        if self._still.get(rel) == digest:
            return True
        # same_stat inlined: a resumed build asks this of every page it keeps.
        entry = self.manifest.get(rel)
        if entry is None or entry.get("hash") != digest:
            return False
        stamp = self._stamps.get(rel, _UNSEEN)
        if stamp is _UNSEEN:
            stamp = self.stamp(rel)
        if stamp is not None and stamp[0] == entry.get("size") and stamp[1] == entry.get("mtime_ns"):
            self._still[rel] = digest
            return True
        return False


def last_output(output: Path, state: Path | None = None) -> LastOutput:
    """Finish a commit a killed build left behind (see :func:`recover`), then read what the last build wrote."""
    recover(output, state)
    return LastOutput(output, state)


def digest_bytes(data: bytes) -> str:
    """The hash used for output files in the manifest."""
    return _digest(data)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stamp(path: str) -> tuple[int | None, int | None]:
    """Size and modification time of a staged file (None, None: gone, which the commit then says)."""
    try:
        st = os.stat(path)
    except OSError:
        return None, None
    return st.st_size, st.st_mtime_ns


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    # Not sorted: the files come in build order, the same for the same input.
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


class _Containment:
    """Checks that written files stay inside the output folder.

    Only a symbolic link among the output's folders could lead a write elsewhere, so each
    folder is looked at once (one ``lstat``) and only links are resolved.
    """

    def __init__(self, output: Path) -> None:
        self.output = str(output)
        self.real = output.resolve()
        self.seen: dict[str, bool] = {"": True}

    def _folder_ok(self, rel: str) -> bool:
        ok = self.seen.get(rel)
        if ok is None:
            ok = self._folder_ok(rel.rpartition("/")[0])
            full = os.path.join(self.output, rel)
            if ok and os.path.islink(full):
                ok = Path(full).resolve().is_relative_to(self.real)
            self.seen[rel] = ok
        return ok

    def check(self, rel: str) -> None:
        """Refuse ``rel`` if it would be written outside the output folder."""
        if not self._folder_ok(rel.rpartition("/")[0]):
            raise OutputError(
                f"'{rel}' would be written outside the output folder",
                rel,
                None,
                "remove the symbolic link in the output folder",
            )


def recover(output: Path, state: Path | None = None) -> bool:
    """Finish a commit a killed build left behind, or drop its half-written staging folder.

    Returns whether a commit was finished (files in the output moved).
    """
    state = state or state_folder(output)
    for journal in (state / JOURNAL, output / OLD_JOURNAL):
        if journal.is_file():
            _commit(output, _load_json(journal), state)
            return True
    if (output / STAGING).exists():
        shutil.rmtree(output / STAGING, ignore_errors=True)
    return False


def open_staging(output: Path, state: Path | None = None) -> Path:
    """Prepare the staging folder for files written before the write stage (by render workers).

    Files staged there are named by the caller (``p12``: never a plain number, which the write
    stage uses) and handed to :func:`write_output` as ``OutputFile(staged=name)`` with
    ``staged=True``. A build that fails before then calls :func:`discard_staging`.
    """
    output.mkdir(parents=True, exist_ok=True)
    recover(output, state)
    staging = output / STAGING
    staging.mkdir(exist_ok=True)
    return staging


def discard_staging(output: Path, state: Path | None = None) -> None:
    """Drop what a failed build staged (never a staging folder a journal still needs)."""
    if not ((state or state_folder(output)) / JOURNAL).exists():
        shutil.rmtree(output / STAGING, ignore_errors=True)


def write_output(
    files: Iterable[OutputFile],
    output: Path,
    done: Callable[[int], None] | None = None,
    staged: bool = False,
    last: LastOutput | None = None,
    state: Path | None = None,
) -> WriteStats:
    """Write the site into ``output`` all at once, keeping files whose bytes did not change.

    ``done``, if given, is told how many files were dealt with, every few hundred. ``staged``:
    the staging folder was opened with :func:`open_staging` and holds files named by ``files``.
    ``last``: the output as the stages before saw it (see :class:`LastOutput`); a kept file
    (``OutputFile.kept``) is then compared with what was seen when it was judged current, not
    looked at again.

    A failure while staging (a full disk, a read-only folder) leaves the previous output as it
    was and raises OutputError; one while committing is finished by the next build. ``state``:
    the folder of the manifest and the journal (default: see :func:`state_folder`).
    """
    state = last.state if last is not None else state or state_folder(output)
    try:
        output.mkdir(parents=True, exist_ok=True)
        if not staged and recover(output, state):
            last = None  # files moved since the stages before looked
        return _write(files, output, done, last or LastOutput(output, state))
    except OSError as exc:
        raise write_error(exc, output, state) from None


def write_error(exc: OSError, output: Path, state: Path | None = None) -> OutputError:
    """The error of a failed write into ``output`` (its staging folder dropped unless a journal needs it)."""
    journal = (state or state_folder(output)) / JOURNAL
    if not journal.exists():
        shutil.rmtree(output / STAGING, ignore_errors=True)
    where = exc.filename if isinstance(exc.filename, str) else str(output)
    return OutputError(
        f"cannot write the output: {exc.strerror or exc}",
        where,
        None,
        "free some disk space or check permissions; the previous output is untouched"
        if not journal.exists()
        else "fix the cause and build again: the next build finishes this one",
    )


def _write(
    files: Iterable[OutputFile],
    output: Path,
    done: Callable[[int], None] | None,
    last: LastOutput,
    live: LastOutput | None = None,
) -> WriteStats:
    """Bring the folder ``output`` (as ``last`` saw it) to hold ``files``: staged, journaled, committed.

    ``live``: the folder readers see, when ``output`` is the other generation of the output (see
    generations.py). A file ``live`` holds as this build would write it is then hard-linked from
    it (same bytes, same time) unless ``output`` has it already; the counts tell what differs from
    ``live``, and nothing at all is done when nothing does.
    """
    # The folder's own manifest: with a live generation, needed only once the build differs from it.
    old = last.manifest if live is None else {}
    shown = live or last  # what the counts compare with: the output as readers see it
    staging = output / STAGING
    staging.mkdir(exist_ok=True)
    inside = _Containment(output)
    manifest: dict[str, dict[str, Any]] = {}
    moves: list[list[str]] = []
    tree: list[tuple[str, str]] = []
    unchanged = 0

    from_live_paths: list[str] = []

    def from_live(path: str, entry: dict[str, Any]) -> None:
        """``path`` as ``live`` holds it (brought into ``output`` once it is known that anything differs)."""
        nonlocal unchanged
        unchanged += 1
        manifest[path] = entry
        from_live_paths.append(path)

    for n, f in enumerate(files, start=1):
        if done is not None and n % PROGRESS_EVERY == 0:
            done(PROGRESS_EVERY)
        if f.kept is not None:
            if not shown.still_written(f.path, f.kept):
                raise OutputError(
                    f"'{f.path}' changed in the output during the build", f.source, None, "run the build again"
                )
            if live is not None:
                from_live(f.path, live.manifest[f.path])
            else:
                manifest[f.path] = old[f.path]
                unchanged += 1
            continue
        live_entry = live.manifest.get(f.path) if live is not None else None
        entry = old.get(f.path)
        if f.staged is not None:
            assert f.digest is not None
            in_tree = f.staged.startswith(TREE_PREFIX)
            if (
                live is not None
                and live_entry
                and live_entry.get("hash") == f.digest
                and live.same_stat(f.path, live_entry)
            ):
                if in_tree:
                    _unlink(os.path.join(staging, f.staged))  # so that its folder can move whole
                from_live(f.path, live_entry)
            elif live is None and entry and entry.get("hash") == f.digest and last.same_stat(f.path, entry):
                manifest[f.path] = entry  # the staged copy goes with the staging folder
                unchanged += 1
                if in_tree:
                    _unlink(os.path.join(staging, f.staged))  # so that its folder can move whole
            else:
                # The writer's size and time: a rename keeps both, so the commit need not look again.
                size, mtime = f.stamp or _stamp(os.path.join(staging, f.staged))
                manifest[f.path] = {"hash": f.digest, "size": size, "mtime_ns": mtime}
                if in_tree:
                    tree.append((f.staged, f.path))
                else:
                    inside.check(f.path)
                    moves.append([f.staged, f.path])
            continue
        data = f.data
        src_stamp: list[int] | None = None
        if data is not None:
            digest = f.digest or _digest(data)
        else:
            assert f.copy_from is not None
            src_stamp = list(stamp_of(f.copy_from.stat()))  # as copied by cp -p, rsync -a or tar too
            if (
                live is not None
                and live_entry
                and live_entry.get("src") == src_stamp
                and live.same_stat(f.path, live_entry)
            ):
                from_live(f.path, live_entry)  # the same source copied last time, still in place
                continue
            if live is None and entry and entry.get("src") == src_stamp and last.same_stat(f.path, entry):
                manifest[f.path] = entry  # the same source copied last time, still in place
                unchanged += 1
                continue
            digest = _file_digest(f.copy_from)
        if live is not None and live_entry and live_entry.get("hash") == digest and live.same_stat(f.path, live_entry):
            from_live(f.path, dict(live_entry, src=src_stamp) if src_stamp else live_entry)
            continue
        if live is None and entry and entry.get("hash") == digest and last.same_stat(f.path, entry):
            manifest[f.path] = dict(entry, src=src_stamp) if src_stamp else entry
            unchanged += 1
            continue
        inside.check(f.path)
        name = str(len(moves))
        staged = staging / name
        if data is not None:
            staged.write_bytes(data)
        else:
            assert f.copy_from is not None
            shutil.copyfile(f.copy_from, staged)
        size, mtime = _stamp(str(staged))  # kept by the rename into place
        manifest[f.path] = {"hash": digest, "size": size, "mtime_ns": mtime}
        if src_stamp:
            manifest[f.path]["src"] = src_stamp
        moves.append([name, f.path])
    written = len(manifest) - unchanged  # files, whether they move alone or with their folder
    removed = sum(1 for p in shown.manifest if p not in manifest)
    if live is not None and not written and not removed and len(manifest) == len(live.manifest):
        shutil.rmtree(staging, ignore_errors=True)  # the live output is this build already: nothing to do
        return WriteStats(written=0, unchanged=unchanged, removed=0, same=True)
    if live is not None:
        old = last.manifest
        if not old:
            # The target generation holds nothing of this output's (the first build that changes
            # anything after a cold one, or one after the cache was deleted, or after a fill was
            # killed). Readers never see it before the switch, so the live files are linked
            # straight into place, not staged and journaled one by one: the journal is for what
            # readers may see.
            _fill(output, live.output, from_live_paths, inside)
            from_live_paths = []
    for path in from_live_paths:  # already so in ``output``, or hard-linked from ``live`` into place
        mine, entry = old.get(path), manifest[path]
        if mine is not None and _same_entry(mine, entry) and last.same_stat(path, mine):
            continue
        assert live is not None
        inside.check(path)
        name = str(len(moves))
        _link_or_copy(os.path.join(live.output, path), os.path.join(staging, name))
        moves.append([name, path])
    moves += _tree_moves(tree, output, inside, [rel for _, rel in moves])
    removals = sorted(p for p in old if p not in manifest)
    if not moves and not removals and manifest == old and (last.state / MANIFEST).is_file():
        shutil.rmtree(staging, ignore_errors=True)  # nothing to do: not even the manifest is written again
        return WriteStats(
            written=written, unchanged=unchanged, removed=removed, same=live is None, top=top_names(manifest)
        )
    last.state.mkdir(parents=True, exist_ok=True)
    # The manifest first, then the journal that names it: a journal found is always one to finish.
    _write_manifest(last.state / NEXT_MANIFEST, manifest)
    journal = {"moves": moves, "removals": removals, "next": NEXT_MANIFEST}
    _write_json(last.state / JOURNAL, journal)
    _commit(output, journal, last.state)
    return WriteStats(written=written, unchanged=unchanged, removed=removed, top=top_names(manifest))


def top_names(manifest: Iterable[str]) -> frozenset[str]:
    """The names at the top of an output that the files of ``manifest`` are under."""
    return frozenset(path.partition("/")[0] for path in manifest)


def _same_entry(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two manifest entries describe the same file: bytes, size and modification time."""
    return a.get("hash") == b.get("hash") and a.get("size") == b.get("size") and a.get("mtime_ns") == b.get("mtime_ns")


def _fill(output: Path, live: Path, paths: list[str], inside: _Containment) -> None:
    """Link each of ``paths`` from the live generation ``live`` into the generation ``output``,
    which holds nothing of the output's: whatever a killed fill left there is removed first (no
    manifest names it, so nothing else would), the staging folder kept."""
    with os.scandir(output) as entries:
        for entry in entries:
            if entry.name == STAGING:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    out, src = str(output), str(live)
    made: set[str] = {""}
    for rel in paths:
        folder = rel.rpartition("/")[0]
        if folder not in made:
            os.makedirs(os.path.join(out, folder), exist_ok=True)
            made.add(folder)
        inside.check(rel)
        _link_or_copy(os.path.join(src, rel), os.path.join(out, rel))


def _link_or_copy(source: str, target: str) -> None:
    """Hard-link ``source`` as ``target`` (the same file, time and all), or copy it with its time."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _tree_moves(tree: list[tuple[str, str]], output: Path, inside: _Containment, others: list[str]) -> list[list[str]]:
    """The renames that put files staged in the tree into place: a folder the output does not have
    yet moves whole (one rename for a new article's folder, or for a cold build's every page).

    Every file left in the staged tree is one to move (unchanged ones were removed from it);
    ``others`` are the paths the other moves (done first) put in place, whose folders they make.
    A folder move is marked in the journal, so that finishing it never replaces a folder.
    """
    moves: list[list[str]] = []
    present: dict[str, bool] = {}
    for rel in others:
        folder = rel.rpartition("/")[0]
        while folder and folder not in present:
            present[folder] = True
            folder = folder.rpartition("/")[0]
    moved: set[str] = set()
    out = str(output)
    for name, rel in sorted(tree, key=lambda item: item[1]):
        folder = ""
        whole = None
        for part in rel.split("/")[:-1]:
            folder = f"{folder}/{part}" if folder else part
            if folder in moved:
                whole = folder
                break
            there = present.get(folder)
            if there is None:
                there = present[folder] = os.path.lexists(os.path.join(out, folder))
            if not there:
                inside.check(folder)
                moves.append([TREE_PREFIX + folder, folder, "folder"])
                moved.add(folder)
                whole = folder
                break
        if whole is None:
            inside.check(rel)
            moves.append([name, rel])
    return moves


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _commit(output: Path, journal: dict[str, Any], state: Path) -> None:
    staging = os.path.join(output, STAGING)
    out = str(output)
    # An earlier version's journal holds the manifest itself, without the sizes of the files it moves.
    manifest: dict[str, dict[str, Any]] | None = journal.get("manifest")
    made: set[str] = set()
    for move in journal.get("moves", []):
        name, rel = (move, move) if isinstance(move, str) else (move[0], move[1])  # a str: an older journal
        folder_move = not isinstance(move, str) and len(move) > 2
        staged = os.path.join(staging, name)
        target = os.path.join(out, rel)
        folder = rel.rpartition("/")[0]
        if folder not in made:
            os.makedirs(os.path.join(out, folder), exist_ok=True)
            made.add(folder)
        try:
            os.replace(staged, target)
        except FileNotFoundError:
            if os.path.lexists(staged):
                raise
            continue  # moved already by the run this journal was left by
        except OSError:
            # A folder of an older build where a file now goes. (A new folder moves only where
            # nothing was: one found there now is never replaced.)
            if folder_move or not (os.path.isdir(target) and not os.path.islink(target)):
                raise
            shutil.rmtree(target)
            os.replace(staged, target)
    for rel in journal.get("removals", []):
        target = output / rel
        try:
            if target.is_file() or target.is_symlink():
                target.unlink()
        except OSError:
            pass
        _prune_empty(target.parent, output)
    state.mkdir(parents=True, exist_ok=True)
    if manifest is not None:
        for rel, entry in manifest.items():
            if entry.get("size") is None:
                try:
                    st = (output / rel).stat()
                except OSError:
                    continue
                entry["size"], entry["mtime_ns"] = st.st_size, st.st_mtime_ns
        _write_manifest(state / MANIFEST, manifest)
    else:
        # Missing when a run killed after this rename left the journal: the manifest is in place.
        with contextlib.suppress(FileNotFoundError):
            os.replace(state / NEXT_MANIFEST, state / MANIFEST)
    (state / JSON_MANIFEST).unlink(missing_ok=True)  # an earlier version's, read by this build
    (state / JOURNAL).unlink(missing_ok=True)
    for old in (OLD_MANIFEST, OLD_JOURNAL):  # an earlier version's, in the output: moved beside the cache now
        (output / old).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def _prune_empty(folder: Path, output: Path) -> None:
    """Remove folders left empty by stale files, up to (not including) the output folder."""
    while folder != output and folder.is_relative_to(output):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
