"""An edit is published however it arrives: copies that keep the size and modification time
(``cp -p``, ``rsync -a``, tar) are noticed as changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import article

from broadsheet import filestamp
from broadsheet.cli import main


@pytest.fixture(autouse=True)
def trust_every_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    # Files written by a test are seconds old at most, so their stamps would be checked by hash
    # anyway (see filestamp.RACY_NS): trusted here, the stamp alone must tell the change.
    monkeypatch.setattr(filestamp, "RACY_NS", 0)


def build(site: Path) -> None:
    assert main(["build", "--source", str(site), "--no-search", "--quiet"]) == 0


def _cp_p(fixed: Path, target: Path) -> None:
    subprocess.run(["cp", "-p", str(fixed), str(target)], check=True)


def _rsync_a(fixed: Path, target: Path) -> None:
    # What rsync -a does: a temporary file beside the target, its time set, renamed over it.
    tmp = target.with_name(f".{target.name}.XXXXXX")
    shutil.copyfile(fixed, tmp)
    st = fixed.stat()
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, target)


def _tar(fixed: Path, target: Path) -> None:
    archive = fixed.with_suffix(".tar")
    with tarfile.open(archive, "w") as tar:
        tar.add(fixed, arcname=target.name)
    subprocess.run(["tar", "-xf", str(archive), "-C", str(target.parent)], check=True)


@pytest.mark.parametrize("copy", [_cp_p, _rsync_a, _tar], ids=["cp -p", "rsync -a", "tar"])
def test_an_edit_that_keeps_size_and_time_is_published(
    make_site: Callable[..., Path], tmp_path: Path, copy: Callable[[Path, Path], None]
) -> None:
    site = make_site({"content/world/a.md": article("Storm", body="The storm hit Millbrook.")})
    target = site / "content/world/a.md"
    os.utime(target, (1795000000, 1795000000))  # whole seconds, as a tar archive keeps them
    build(site)
    assert "Millbrook" in (site / "output/world/storm/index.html").read_text()
    # A one-letter fix made elsewhere, its file given the original's modification time.
    fixed = tmp_path / "a.md"
    fixed.write_text(target.read_text().replace("Millbrook", "Millbrooc"))
    st = target.stat()
    os.utime(fixed, ns=(st.st_atime_ns, st.st_mtime_ns))
    copy(fixed, target)
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)  # what used to fool the cache
    build(site)
    assert "Millbrooc" in (site / "output/world/storm/index.html").read_text()


def test_a_touched_file_is_hashed_not_parsed_again(make_site: Callable[..., Path], monkeypatch) -> None:
    import broadsheet.stages.load as load_stage

    site = make_site({"content/world/a.md": article("Storm"), "content/world/b.md": article("Flood")})
    build(site)
    os.utime(site / "content/world/a.md")  # a new time, the same bytes
    parsed: list[str] = []
    real = load_stage.parse_sources

    def counting(work, pack=False):  # type: ignore[no-untyped-def]
        parsed.extend(source.rel for source, _, _ in work)
        return real(work, pack)

    monkeypatch.setattr(load_stage, "parse_sources", counting)
    build(site)
    assert parsed == []


def test_stamps_taken_right_after_a_write_are_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filestamp, "RACY_NS", 2 * 10**9)
    st = os.stat(__file__)
    taken = max(st.st_ctime_ns, st.st_mtime_ns)
    assert filestamp.is_racy(filestamp.trusted_stamp(st, taken + 10**9 // 2))
    assert not filestamp.is_racy(filestamp.trusted_stamp(st, taken + 10**12))


def test_a_static_file_copied_with_cp_p_is_published(make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site({"content/world/a.md": article("Storm"), "static/notice.txt": "Closed on Monday\n"})
    target = site / "static/notice.txt"
    build(site)
    fixed = tmp_path / "notice.txt"
    fixed.write_text("Closed on Friday\n")
    st = target.stat()
    os.utime(fixed, ns=(st.st_atime_ns, st.st_mtime_ns))
    _cp_p(fixed, target)
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    build(site)
    assert (site / "output/notice.txt").read_text() == "Closed on Friday\n"
