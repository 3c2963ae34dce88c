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
