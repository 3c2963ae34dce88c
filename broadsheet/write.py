"""Output files → disk: staged, then committed all at once; unchanged files keep their bytes and time.

How a build stays all-or-nothing:

1. every new or changed file is written under ``output/.broadsheet-staging/``;
2. a journal listing the moves and removals is written atomically;
3. the staged files are renamed into place and stale files removed;
4. the manifest (what Broadsheet wrote, with hashes) replaces the old one; the journal goes.

A build killed before step 2 leaves the old output untouched and its staging folder is
removed by the next run; one killed after step 2 is rolled forward by the next run.
Only files listed in the manifest are ever removed, so ``CNAME`` or ``.git`` survive.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import OutputError, UsageError
from .render import OutputFile

MANIFEST = ".broadsheet-manifest.json"
STAGING = ".broadsheet-staging"
JOURNAL = ".broadsheet-journal.json"


@dataclass(frozen=True, slots=True)
class WriteStats:
    """What the write stage did."""

    written: int
    unchanged: int
    removed: int


def check_output_dir(output: Path, site_root: Path) -> None:
    """Refuse output folders whose cleaning could destroy sources: the site, its parents, home, /."""
    out = output.resolve()
    site = site_root.resolve()
    home = Path.home().resolve()
    forbidden = {site: "the site folder", home: "your home folder", Path(out.anchor): "the file system root"}
    for folder in ("content", "themes", "static"):
        forbidden[site / folder] = f"the site's {folder}/ folder"
    if out in forbidden:
        raise UsageError(f"--output {output} is {forbidden[out]}", None, None,
                         "choose an output folder of its own, such as output/")
    if site.is_relative_to(out):
        raise UsageError(f"--output {output} contains the site", None, None,
                         "choose an output folder inside or beside the site")
    for folder in ("content", "themes", "static"):
        if out.is_relative_to(site / folder):
            raise UsageError(f"--output {output} is inside the site's {folder}/ folder", None, None,
                             "choose an output folder such as output/")


def read_manifest(output: Path) -> dict[str, dict[str, Any]]:
    """What the last build wrote into ``output``: path → {hash, size, mtime_ns}."""
    files = _load_json(output / MANIFEST).get("files", {})
    return files if isinstance(files, dict) else {}


def still_written(output: Path, rel: str, digest: str, manifest: dict[str, dict[str, Any]]) -> bool:
    """True when ``rel`` in the output still holds the bytes with ``digest`` that a build wrote."""
    entry = manifest.get(rel)
    return entry is not None and entry.get("hash") == digest and _same_stat(output / rel, entry)


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


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


def _inside(output: Path, rel: str) -> Path:
    """Return the target of ``rel`` in ``output``; refuse anything that resolves elsewhere."""
    target = output / rel
    real_parent = target.parent.resolve()
    if not real_parent.is_relative_to(output.resolve()):
        raise OutputError(f"'{rel}' would be written outside the output folder", rel, None,
                          "remove the symbolic link in the output folder")
    return target


def recover(output: Path) -> None:
    """Finish a commit a killed build left behind, or drop its half-written staging folder."""
    journal = output / JOURNAL
    if journal.is_file():
        _commit(output, _load_json(journal))
    elif (output / STAGING).exists():
        shutil.rmtree(output / STAGING, ignore_errors=True)


def write_output(files: Iterable[OutputFile], output: Path) -> WriteStats:
    """Write the site into ``output`` all at once, keeping files whose bytes did not change.

    A failure while staging (a full disk, a read-only folder) leaves the previous output as it
    was and raises OutputError; one while committing is finished by the next build.
    """
    try:
        output.mkdir(parents=True, exist_ok=True)
        recover(output)
        return _write(files, output)
    except OSError as exc:
        if not (output / JOURNAL).exists():
            shutil.rmtree(output / STAGING, ignore_errors=True)
        where = exc.filename if isinstance(exc.filename, str) else str(output)
        raise OutputError(f"cannot write the output: {exc.strerror or exc}", where, None,
                          "free some disk space or check permissions; the previous output is untouched"
                          if not (output / JOURNAL).exists() else
                          "fix the cause and build again: the next build finishes this one") from None


def _write(files: Iterable[OutputFile], output: Path) -> WriteStats:
    old = read_manifest(output)
    staging = output / STAGING
    staging.mkdir(exist_ok=True)
    manifest: dict[str, dict[str, Any]] = {}
    moves: list[str] = []
    unchanged = 0
    for f in files:
        target = _inside(output, f.path)
        if f.kept is not None:
            if not still_written(output, f.path, f.kept, old):
                raise OutputError(f"'{f.path}' changed in the output during the build", f.source, None,
                                  "run the build again")
            manifest[f.path] = old[f.path]
            unchanged += 1
            continue
        data = f.data if f.data is not None else None
        digest = _digest(data) if data is not None else _file_digest(f.copy_from)  # type: ignore[arg-type]
        entry = old.get(f.path)
        if entry and entry.get("hash") == digest and _same_stat(target, entry):
            manifest[f.path] = entry
            unchanged += 1
            continue
        staged = staging / f.path
        staged.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            staged.write_bytes(data)
        else:
            shutil.copyfile(f.copy_from, staged)  # type: ignore[arg-type]
        manifest[f.path] = {"hash": digest}
        moves.append(f.path)
    removals = sorted(p for p in old if p not in manifest)
    _write_json(output / JOURNAL, {"moves": moves, "removals": removals, "manifest": manifest})
    _commit(output, {"moves": moves, "removals": removals, "manifest": manifest})
    return WriteStats(written=len(moves), unchanged=unchanged, removed=len(removals))


def _same_stat(target: Path, entry: dict[str, Any]) -> bool:
    try:
        st = target.stat()
    except OSError:
        return False
    return st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns")


def _commit(output: Path, journal: dict[str, Any]) -> None:
    staging = output / STAGING
    manifest: dict[str, dict[str, Any]] = journal.get("manifest", {})
    for rel in journal.get("moves", []):
        staged = staging / rel
        target = output / rel
        if staged.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)  # a folder of an older build where a file now goes
            os.replace(staged, target)
    for rel in journal.get("removals", []):
        target = output / rel
        try:
            if target.is_file() or target.is_symlink():
                target.unlink()
        except OSError:
            pass
        _prune_empty(target.parent, output)
    for rel, entry in manifest.items():
        if "size" not in entry:
            try:
                st = (output / rel).stat()
            except OSError:
                continue
            entry["size"], entry["mtime_ns"] = st.st_size, st.st_mtime_ns
    _write_json(output / MANIFEST, {"files": manifest})
    (output / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def _prune_empty(folder: Path, output: Path) -> None:
    """Remove folders left empty by stale files, up to (not including) the output folder."""
    while folder != output and folder.is_relative_to(output):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
