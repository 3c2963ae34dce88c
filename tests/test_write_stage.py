"""The write stage: flat staging, all-or-nothing commit, static copies keyed by their source's stamp."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import broadsheet.write as write
from broadsheet.render import OutputFile
from broadsheet.write import JOURNAL, MANIFEST, STAGING, recover, write_output


def _page(path: str, data: bytes) -> OutputFile:
    return OutputFile(path, "test", data=data)


def test_staging_is_flat_and_gone_after_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    staged: list[bool] = []
    real_commit = write._commit

    def spy(output: Path, journal: dict[str, object]) -> None:
        staged.extend(p.is_file() for p in (output / STAGING).iterdir())
        real_commit(output, journal)

    monkeypatch.setattr(write, "_commit", spy)
    stats = write_output([_page("a/b/index.html", b"A"), _page("c/index.html", b"C")], out)
    assert stats.written == 2
    assert staged == [True, True]  # no folders inside the staging folder
    assert (out / "a/b/index.html").read_bytes() == b"A"
    assert not (out / STAGING).exists() and not (out / JOURNAL).exists()


def test_static_copy_not_hashed_again_while_its_source_is_unchanged(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "logo.svg"
    src.write_bytes(b"<svg/>")
    out = tmp_path / "out"
    write_output([OutputFile("logo.svg", "static", copy_from=src)], out)
    hashed: list[Path] = []
    real = write._file_digest
    monkeypatch.setattr(write, "_file_digest", lambda p: hashed.append(p) or real(p))
    stats = write_output([OutputFile("logo.svg", "static", copy_from=src)], out)
    assert stats.unchanged == 1 and hashed == []
    # A changed source (new size or time) is hashed and copied again.
    src.write_bytes(b"<svg></svg>")
    stats = write_output([OutputFile("logo.svg", "static", copy_from=src)], out)
    assert stats.written == 1 and hashed == [src]
    assert (out / "logo.svg").read_bytes() == b"<svg></svg>"
    # Touched but not changed: hashed, found equal, kept (and its new stamp remembered).
    os.utime(src, ns=(1, 1))
    stats = write_output([OutputFile("logo.svg", "static", copy_from=src)], out)
    assert stats.unchanged == 1 and len(hashed) == 2
    stats = write_output([OutputFile("logo.svg", "static", copy_from=src)], out)
    assert stats.unchanged == 1 and len(hashed) == 2


def test_static_copy_replaced_when_the_output_file_was_edited(tmp_path: Path) -> None:
    src = tmp_path / "a.css"
    src.write_bytes(b"body{}")
    out = tmp_path / "out"
    write_output([OutputFile("a.css", "static", copy_from=src)], out)
    (out / "a.css").write_bytes(b"defaced!")
    stats = write_output([OutputFile("a.css", "static", copy_from=src)], out)
    assert stats.written == 1 and (out / "a.css").read_bytes() == b"body{}"


def test_journal_of_a_killed_build_is_rolled_forward(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output([_page("old/index.html", b"old")], out)
    (out / STAGING).mkdir()
    (out / STAGING / "0").write_bytes(b"new")
    manifest = {"new/index.html": {"hash": write.digest_bytes(b"new")}}
    journal = {"moves": [["0", "new/index.html"]], "removals": ["old/index.html"], "manifest": manifest}
    (out / JOURNAL).write_text(json.dumps(journal))
    recover(out)
    assert (out / "new/index.html").read_bytes() == b"new"
    assert not (out / "old").exists()
    assert "new/index.html" in json.loads((out / MANIFEST).read_text())["files"]


def test_journal_of_an_older_version_is_rolled_forward(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / STAGING / "a").mkdir(parents=True)
    (out / STAGING / "a/index.html").write_bytes(b"A")
    journal = {"moves": ["a/index.html"], "removals": [], "manifest": {"a/index.html": {"hash": "x"}}}
    (out / JOURNAL).write_text(json.dumps(journal))
    recover(out)
    assert (out / "a/index.html").read_bytes() == b"A"
    assert not (out / STAGING).exists()


def test_nothing_to_do_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = [_page("a/index.html", b"A"), _page("b/index.html", b"B")]
    write_output(files, out)
    stamp = (out / MANIFEST).stat().st_mtime_ns
    stats = write_output(files, out)
    assert stats.unchanged == 2 and stats.written == 0
    assert (out / MANIFEST).stat().st_mtime_ns == stamp and not (out / STAGING).exists()
    stats = write_output(files[:1], out)
    assert stats.removed == 1 and not (out / "b").exists()
    assert "b/index.html" not in json.loads((out / MANIFEST).read_text())["files"]


def _stage_in_tree(out: Path, rel: str, data: bytes) -> OutputFile:
    """A page as a render worker stages it: at its output path in the staging tree, with its stamp."""
    name = f"tree/{rel}"
    target = out / STAGING / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    st = target.stat()
    return OutputFile(rel, "test", digest=write.digest_bytes(data), staged=name, stamp=(st.st_size, st.st_mtime_ns))


def test_new_folders_staged_in_the_tree_move_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_output([_page("world/old/index.html", b"old"), _page("keep.txt", b"k")], out)
    write.open_staging(out)
    files = [_stage_in_tree(out, "world/old/index.html", b"old"),  # unchanged: stays, its copy dropped
             _stage_in_tree(out, "world/new/index.html", b"new"),  # a new folder in an existing one
             _stage_in_tree(out, "sport/a/index.html", b"a"),  # a new top folder ...
             _stage_in_tree(out, "sport/b/index.html", b"b"),  # ... holding two pages
             _page("sport/feed.xml", b"<rss/>"),  # made by the write stage itself, in a folder made by the tree
             _page("keep.txt", b"k")]
    journals: list[dict[str, object]] = []
    real_commit = write._commit
    monkeypatch.setattr(write, "_commit", lambda o, j: (journals.append(j), real_commit(o, j))[1])
    stats = write_output(files, out, staged=True)
    assert stats.written == 4 and stats.unchanged == 2
    moves = journals[0]["moves"]
    tree_moves = sorted(m for m in moves if m[0].startswith("tree/"))  # type: ignore[attr-defined,union-attr]
    # One rename per new folder (sport/ itself is made by the feed's move, which comes first).
    assert tree_moves == [["tree/sport/a", "sport/a", "folder"], ["tree/sport/b", "sport/b", "folder"],
                          ["tree/world/new", "world/new", "folder"]]
    for rel, data in [("world/old/index.html", b"old"), ("world/new/index.html", b"new"),
                      ("sport/a/index.html", b"a"), ("sport/b/index.html", b"b"), ("sport/feed.xml", b"<rss/>")]:
        assert (out / rel).read_bytes() == data
    manifest = json.loads((out / MANIFEST).read_text())["files"]
    st = (out / "sport/a/index.html").stat()
    assert manifest["sport/a/index.html"]["size"] == st.st_size
    assert manifest["sport/a/index.html"]["mtime_ns"] == st.st_mtime_ns
    assert not (out / STAGING).exists()
    again = write_output([OutputFile(p, "t", kept=manifest[p]["hash"]) for p in manifest], out)
    assert again.written == 0 and again.unchanged == len(manifest)


def test_a_folder_move_never_replaces_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / STAGING / "tree/new").mkdir(parents=True)
    (out / STAGING / "tree/new/index.html").write_bytes(b"new")
    (out / "new").mkdir()
    (out / "new/mine.txt").write_bytes(b"someone else's")
    journal = {"moves": [["tree/new", "new", "folder"]], "removals": [], "manifest": {}}
    (out / JOURNAL).write_text(json.dumps(journal))
    with pytest.raises(OSError):
        recover(out)
    assert (out / "new/mine.txt").read_bytes() == b"someone else's"


def test_a_folder_move_already_done_is_skipped_on_roll_forward(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "new").mkdir(parents=True)
    (out / "new/index.html").write_bytes(b"new")
    (out / STAGING).mkdir()
    manifest = {"new/index.html": {"hash": write.digest_bytes(b"new")}}
    (out / JOURNAL).write_text(json.dumps({"moves": [["tree/new", "new", "folder"]], "removals": [],
                                           "manifest": manifest}))
    recover(out)
    assert (out / "new/index.html").read_bytes() == b"new" and not (out / JOURNAL).exists()
    assert json.loads((out / MANIFEST).read_text())["files"]["new/index.html"]["size"] == 3
