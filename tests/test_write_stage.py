"""The write stage: flat staging, all-or-nothing commit, static copies keyed by their source's stamp."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from conftest import article, count_stats, run_build

import broadsheet.write.commit as write
from broadsheet.errors import OutputError
from broadsheet.outputs import OutputFile, kept_file
from broadsheet.write.commit import (
    JOURNAL,
    JSON_MANIFEST,
    MANIFEST,
    NEXT_MANIFEST,
    OLD_MANIFEST,
    STAGING,
    read_manifest,
    recover,
    state_folder,
    write_output,
)


def _page(path: str, data: bytes) -> OutputFile:
    return OutputFile(path, "test", data=data)


def state(out: Path) -> Path:
    """The folder of ``out``'s manifest and journal (beside the cache, not in the output), made."""
    folder = state_folder(out)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_nothing_private_is_left_in_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A")], out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["a", "a/index.html"]
    assert state_folder(out).is_relative_to(tmp_path / ".broadsheet-cache")
    assert "a/index.html" in read_manifest(out)


def test_a_manifest_left_in_the_output_by_an_older_version_is_moved(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A"), _page("stale/index.html", b"S")], out)
    (out / OLD_MANIFEST).write_text(json.dumps({"files": read_manifest(out)}))
    (state(out) / MANIFEST).unlink()
    stats = write_output([_page("a/index.html", b"A")], out)  # the old manifest still says what is ours
    assert stats.removed == 1 and not (out / "stale").exists()
    assert not (out / OLD_MANIFEST).exists() and (state(out) / MANIFEST).is_file()
    write_output([_page("a/index.html", b"A")], out)
    (out / OLD_MANIFEST).write_text(json.dumps({"files": read_manifest(out)}))
    (state(out) / MANIFEST).unlink()
    write_output([_page("a/index.html", b"A")], out)  # nothing changed: the manifest still moves
    assert not (out / OLD_MANIFEST).exists() and (state(out) / MANIFEST).is_file()


def test_a_json_manifest_of_the_previous_version_is_read_then_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A"), _page("stale/index.html", b"S")], out)
    (state(out) / JSON_MANIFEST).write_text(json.dumps({"files": read_manifest(out)}))
    (state(out) / MANIFEST).unlink()
    assert set(read_manifest(out)) == {"a/index.html", "stale/index.html"}
    stats = write_output([_page("a/index.html", b"A")], out)
    assert stats.removed == 1 and stats.unchanged == 1 and not (out / "stale").exists()
    assert not (state(out) / JSON_MANIFEST).exists() and set(read_manifest(out)) == {"a/index.html"}


def test_an_uncompressed_manifest_of_an_earlier_version_is_read_then_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A"), _page("stale/index.html", b"S")], out)
    files = read_manifest(out)
    stored = (state(out) / MANIFEST).read_bytes()
    assert stored.startswith(write.MANIFEST_FORMAT) and pickle.dumps({"files": files}) not in stored  # compressed
    plain = pickle.dumps({"files": files}, protocol=pickle.HIGHEST_PROTOCOL)
    (state(out) / MANIFEST).write_bytes(b"broadsheet-manifest-1\n" + plain)
    assert read_manifest(out) == files
    stats = write_output([_page("a/index.html", b"A")], out)
    assert stats.removed == 1 and stats.unchanged == 1 and not (out / "stale").exists()
    assert (state(out) / MANIFEST).read_bytes().startswith(write.MANIFEST_FORMAT)
    assert set(read_manifest(out)) == {"a/index.html"}


def test_the_manifest_is_written_once_with_the_sizes_the_rename_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal names the new manifest, written before the moves with each staged file's size and
    time; the commit renames it into place (a large site's manifest is written once, not twice)."""
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A")], out)
    journals: list[dict[str, object]] = []
    real_commit = write._commit

    def spy(output: Path, journal: dict[str, object], state_dir: Path) -> None:
        journals.append(journal)
        assert (state_dir / NEXT_MANIFEST).is_file()
        real_commit(output, journal, state_dir)

    monkeypatch.setattr(write, "_commit", spy)
    write_output([_page("a/index.html", b"A"), _page("b/index.html", b"BB")], out)
    assert "manifest" not in journals[0] and not (state(out) / NEXT_MANIFEST).exists()
    manifest = read_manifest(out)
    st = (out / "b/index.html").stat()
    assert (manifest["b/index.html"]["size"], manifest["b/index.html"]["mtime_ns"]) == (2, st.st_mtime_ns)


def test_a_journal_whose_manifest_was_already_renamed_is_finished(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A")], out)
    before = read_manifest(out)
    (state(out) / JOURNAL).write_text(json.dumps({"moves": [], "removals": [], "next": NEXT_MANIFEST}))
    recover(out)
    assert read_manifest(out) == before and not (state(out) / JOURNAL).exists()


def test_staging_is_flat_and_gone_after_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    staged: list[bool] = []
    real_commit = write._commit

    def spy(output: Path, journal: dict[str, object], state: Path) -> None:
        staged.extend(p.is_file() for p in (output / STAGING).iterdir())
        real_commit(output, journal, state)

    monkeypatch.setattr(write, "_commit", spy)
    stats = write_output([_page("a/b/index.html", b"A"), _page("c/index.html", b"C")], out)
    assert stats.written == 2
    assert staged == [True, True]  # no folders inside the staging folder
    assert (out / "a/b/index.html").read_bytes() == b"A"
    assert not (out / STAGING).exists() and not (state(out) / JOURNAL).exists()


def test_static_copy_not_hashed_again_while_its_source_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    (state(out) / JOURNAL).write_text(json.dumps(journal))
    recover(out)
    assert (out / "new/index.html").read_bytes() == b"new"
    assert not (out / "old").exists()
    assert "new/index.html" in read_manifest(out)


def test_journal_of_an_older_version_is_rolled_forward(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / STAGING / "a").mkdir(parents=True)
    (out / STAGING / "a/index.html").write_bytes(b"A")
    journal = {"moves": ["a/index.html"], "removals": [], "manifest": {"a/index.html": {"hash": "x"}}}
    (state(out) / JOURNAL).write_text(json.dumps(journal))
    recover(out)
    assert (out / "a/index.html").read_bytes() == b"A"
    assert not (out / STAGING).exists()


def test_nothing_to_do_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = [_page("a/index.html", b"A"), _page("b/index.html", b"B")]
    write_output(files, out)
    stamp = (state(out) / MANIFEST).stat().st_mtime_ns
    stats = write_output(files, out)
    assert stats.unchanged == 2 and stats.written == 0
    assert (state(out) / MANIFEST).stat().st_mtime_ns == stamp and not (out / STAGING).exists()
    stats = write_output(files[:1], out)
    assert stats.removed == 1 and not (out / "b").exists()
    assert "b/index.html" not in read_manifest(out)


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
    files = [
        _stage_in_tree(out, "world/old/index.html", b"old"),  # unchanged: stays, its copy dropped
        _stage_in_tree(out, "world/new/index.html", b"new"),  # a new folder in an existing one
        _stage_in_tree(out, "sport/a/index.html", b"a"),  # a new top folder ...
        _stage_in_tree(out, "sport/b/index.html", b"b"),  # ... holding two pages
        _page("sport/feed.xml", b"<rss/>"),  # made by the write stage itself, in a folder made by the tree
        _page("keep.txt", b"k"),
    ]
    journals: list[dict[str, object]] = []
    real_commit = write._commit
    monkeypatch.setattr(write, "_commit", lambda o, j, s: (journals.append(j), real_commit(o, j, s))[1])
    stats = write_output(files, out, staged=True)
    assert stats.written == 4 and stats.unchanged == 2
    moves = journals[0]["moves"]
    tree_moves = sorted(m for m in moves if m[0].startswith("tree/"))  # type: ignore[attr-defined,union-attr]
    # One rename per new folder (sport/ itself is made by the feed's move, which comes first).
    assert tree_moves == [
        ["tree/sport/a", "sport/a", "folder"],
        ["tree/sport/b", "sport/b", "folder"],
        ["tree/world/new", "world/new", "folder"],
    ]
    for rel, data in [
        ("world/old/index.html", b"old"),
        ("world/new/index.html", b"new"),
        ("sport/a/index.html", b"a"),
        ("sport/b/index.html", b"b"),
        ("sport/feed.xml", b"<rss/>"),
    ]:
        assert (out / rel).read_bytes() == data
    manifest = read_manifest(out)
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
    (state(out) / JOURNAL).write_text(json.dumps(journal))
    with pytest.raises(OSError):
        recover(out)
    assert (out / "new/mine.txt").read_bytes() == b"someone else's"


def test_a_folder_move_already_done_is_skipped_on_roll_forward(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "new").mkdir(parents=True)
    (out / "new/index.html").write_bytes(b"new")
    (out / STAGING).mkdir()
    manifest = {"new/index.html": {"hash": write.digest_bytes(b"new")}}
    (state(out) / JOURNAL).write_text(
        json.dumps({"moves": [["tree/new", "new", "folder"]], "removals": [], "manifest": manifest})
    )
    recover(out)
    assert (out / "new/index.html").read_bytes() == b"new" and not (state(out) / JOURNAL).exists()
    assert read_manifest(out)["new/index.html"]["size"] == 3


def test_kept_file_changed_before_the_write_stage_is_refused(tmp_path: Path) -> None:
    """Without what earlier stages saw, the write stage looks at a kept file itself."""
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A")], out)
    kept = OutputFile("a/index.html", "test", kept=write.digest_bytes(b"A"))
    (out / "a/index.html").write_bytes(b"changed")
    with pytest.raises(OutputError, match="changed in the output during the build"):
        write_output([kept], out)


def test_write_stage_shares_what_earlier_stages_saw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each output file is looked at once in a build: by the stage that judged it, or by the write stage."""
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A"), _page("b/index.html", b"B")], out)
    last = write.last_output(out)
    assert last.still_written("a/index.html", write.digest_bytes(b"A"))
    looked: list[str] = []
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: looked.append(os.fspath(p)) or real_stat(p, *a, **k))
    stats = write_output(
        [OutputFile("a/index.html", "test", kept=write.digest_bytes(b"A")), _page("b/index.html", b"B")], out, last=last
    )
    assert stats.unchanged == 2
    assert [p for p in looked if p.endswith("index.html")] == [str(out / "b/index.html")]


def test_a_commit_finished_by_the_write_stage_drops_what_was_seen(tmp_path: Path) -> None:
    """Files a killed build's journal moves after the earlier stages looked are looked at again."""
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A")], out)
    last = write.last_output(out)
    assert last.still_written("a/index.html", write.digest_bytes(b"A"))
    (out / STAGING).mkdir()
    (out / STAGING / "0").write_bytes(b"new")
    manifest = {"a/index.html": {"hash": write.digest_bytes(b"new")}}
    (state(out) / JOURNAL).write_text(
        json.dumps({"moves": [["0", "a/index.html"]], "removals": [], "manifest": manifest})
    )
    with pytest.raises(OutputError, match="changed in the output during the build"):
        write_output([OutputFile("a/index.html", "test", kept=write.digest_bytes(b"A"))], out, last=last)
    assert (out / "a/index.html").read_bytes() == b"new"  # the journal's commit, finished


def test_last_output_finishes_a_killed_commit_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A")], out)
    (out / STAGING).mkdir()
    (out / STAGING / "0").write_bytes(b"new")
    manifest = {"a/index.html": {"hash": write.digest_bytes(b"new")}}
    (state(out) / JOURNAL).write_text(
        json.dumps({"moves": [["0", "a/index.html"]], "removals": [], "manifest": manifest})
    )
    last = write.last_output(out)
    assert last.still_written("a/index.html", write.digest_bytes(b"new"))
    assert not (state(out) / JOURNAL).exists()


def test_a_build_looks_at_each_output_file_once(make_site, monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site({f"content/world/a{i}.md": article(f"Story {i}", tags=["Harbour"]) for i in range(6)})
    run_build(site, search=False)
    written = read_manifest(site / "output")
    first = site / "content/world/a1.md"
    first.write_text(first.read_text() + "\nA correction.\n")
    live = os.path.realpath(site / "output")  # the generation readers see (the link is resolved once)
    looked = count_stats(monkeypatch)
    result = run_build(site, search=False, jobs=1)
    assert 0 < result.pages_rendered < len(written)
    files = {os.path.join(live, rel) for rel in written}
    assert {name: n for name, n in looked.items() if name in files and n > 1} == {}
    assert len([name for name in looked if name in files]) >= len(written) - result.pages_rendered


def test_the_manifest_lies_beside_the_cache_or_beside_an_output_outside_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    assert state_folder(site / "output", site).parent.parent == site / ".broadsheet-cache"
    assert state_folder(site / "public/www", site).parent.parent == site / ".broadsheet-cache"
    assert state_folder(tmp_path / "public", site).parent.parent == tmp_path / ".broadsheet-cache"
    assert state_folder(site / "output", site) != state_folder(site / "public/www", site)  # one per output


def test_a_build_killed_before_its_commit_is_finished_with_the_manifest_it_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed once its journal is written (the new manifest beside it), the build is finished by the
    next run: the files move into place and the manifest it named replaces the old one."""
    out = tmp_path / "out"
    write_output([_page("a/index.html", b"A"), _page("old/index.html", b"O")], out)

    def killed(output: Path, journal: dict[str, object], state_dir: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "_commit", killed)
    with pytest.raises(KeyboardInterrupt):
        write_output([_page("a/index.html", b"A2"), _page("new/index.html", b"N")], out)
    monkeypatch.undo()
    assert (state(out) / JOURNAL).is_file() and (state(out) / NEXT_MANIFEST).is_file()
    assert (out / "a/index.html").read_bytes() == b"A" and set(read_manifest(out)) == {"a/index.html", "old/index.html"}
    assert recover(out)
    assert (out / "a/index.html").read_bytes() == b"A2" and (out / "new/index.html").read_bytes() == b"N"
    assert not (out / "old").exists() and not (state(out) / JOURNAL).exists()
    manifest = read_manifest(out)
    assert set(manifest) == {"a/index.html", "new/index.html"} and not (state(out) / NEXT_MANIFEST).exists()
    st = (out / "a/index.html").stat()
    assert (manifest["a/index.html"]["size"], manifest["a/index.html"]["mtime_ns"]) == (2, st.st_mtime_ns)
    again = write_output([_page("a/index.html", b"A2"), _page("new/index.html", b"N")], out)
    assert again.written == 0 and again.unchanged == 2


def test_a_kept_file_made_quickly_is_the_one_its_class_makes() -> None:
    made = kept_file("world/a/index.html", "content/world/a.md", "0123abcd")
    assert made == OutputFile("world/a/index.html", "content/world/a.md", kept="0123abcd")
    assert type(made) is OutputFile and hash(made) == hash(
        OutputFile("world/a/index.html", "content/world/a.md", kept="0123abcd")
    )
