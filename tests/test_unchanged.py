"""A build that finds nothing changed since the last one does nothing (stages/unchanged.py).

Its check must see every input the output depends on: each change below makes the next build run,
and the output it leaves is the one a build from scratch makes. Stamps are trusted at once here
(``RACY_NS`` 0): a file's stamp is otherwise distrusted for two seconds after a write, and such a
file always makes the build run.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from broadsheet import filestamp
from broadsheet.errors import BuildFailed
from broadsheet.outputs import CACHE_DIR
from broadsheet.publish import search
from broadsheet.stages import unchanged
from broadsheet.stages.unchanged import RECORD_FILE
from tests.conftest import NOW, run_build, tree
from tests.test_resume import newsroom, rewrite, same_site


@pytest.fixture(autouse=True)
def trusted_stamps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filestamp, "RACY_NS", 0)
    monkeypatch.setattr(unchanged, "RACY_BY_BYTES", True)  # as in production (see conftest.py)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A newsroom built once, with a warning (a link to a page that does not exist)."""
    root = newsroom(tmp_path / "site")
    story = root / "content/world/a02.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nSee [the archive](/no-such-page/).\n", encoding="utf-8")
    first = run_build(root, search=False)
    assert first.unchanged is None and first.warnings
    return root


def test_a_build_with_nothing_changed_writes_nothing_and_repeats_the_warnings(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    story = site / "content/world/a02.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nSee [the archive](/no-such-page/).\n", encoding="utf-8")
    first = run_build(site, search=False)
    before = tree(site / "output")
    again = run_build(site, search=False)
    assert first.unchanged is None and first.warnings
    assert again.unchanged == len(first.files) and again.files == [] and list(again.stages) == ["check"]
    assert sorted(map(str, again.warnings)) == sorted(map(str, first.warnings))
    assert tree(site / "output") == before
    # The site is still there to ask for: loaded when asked.
    assert {a.slug for a in again.loaded.site.articles} == {a.slug for a in first.loaded.site.articles}


def test_strict_fails_on_the_last_builds_warnings(site: Path) -> None:
    run_build(site, search=False)
    with pytest.raises(BuildFailed) as failed:
        run_build(site, search=False, strict=True)
    assert any("no-such-page" in e.message for e in failed.value.errors)


CHANGES = {
    "edit": lambda site: rewrite(site / "content/sport/a01.md", "append", 1),
    "headline": lambda site: rewrite(site / "content/sport/a01.md", "headline", 2),
    "new story": lambda site: (site / "content/world/new.md").write_text(
        (site / "content/world/a00.md").read_text(encoding="utf-8").replace("story-0", "story-new"), encoding="utf-8"
    ),
    "removed story": lambda site: (site / "content/world/a04.md").unlink(),
    "site.yml": lambda site: (site / "site.yml").write_text(
        (site / "site.yml").read_text(encoding="utf-8").replace("Test Times", "Test Tribune"), encoding="utf-8"
    ),
    "static file": lambda site: (site / "static").mkdir() or (site / "static/extra.css").write_text("a{}"),
    "page tampered": lambda site: (site / "output/world/story-2/index.html").write_text("tampered", encoding="utf-8"),
    "page deleted": lambda site: (site / "output/tag/flood/index.html").unlink(),
    "record removed": lambda site: (site / CACHE_DIR / RECORD_FILE).unlink(),
    "record damaged": lambda site: (site / CACHE_DIR / RECORD_FILE).write_bytes(b"broadsheet-last-build-1\nxx"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_makes_the_build_run_and_the_site_is_a_full_builds(site: Path, tmp_path: Path, change: str) -> None:
    run_build(site, search=False)
    assert run_build(site, search=False).unchanged is not None
    CHANGES[change](site)
    result = run_build(site, search=False)
    assert result.unchanged is None
    same_site(site, result, tmp_path / "fresh")
    assert run_build(site, search=False).unchanged is not None  # and the next build has nothing to do


def test_a_template_changed_makes_the_build_run(site: Path) -> None:
    yml = site / "site.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("\ntheme: frontier", "") + "theme: mine\n")
    (site / "themes/mine/templates/partials").mkdir(parents=True)
    (site / "themes/mine/theme.yml").write_text("extends: frontier\n")
    footer = site / "themes/mine/templates/partials/footer.html"
    footer.write_text("<footer>Old line</footer>\n")
    run_build(site, search=False)
    assert run_build(site, search=False).unchanged is not None
    footer.write_text("<footer>New line</footer>\n")
    result = run_build(site, search=False)
    assert result.unchanged is None and "New line" in (site / "output/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "options",
    [{"drafts": True}, {"base_url": "https://other.example.org/"}, {"now": NOW + timedelta(days=1)}],
    ids=["drafts", "base_url", "another day"],
)
def test_other_options_or_another_day_make_the_build_run(site: Path, options: dict[str, object]) -> None:
    run_build(site, search=False)
    assert run_build(site, search=False, **options).unchanged is None


def test_a_scheduled_change_passed_makes_the_build_run(site: Path) -> None:
    """The embargoed story (two days ahead) is published once its time has come."""
    run_build(site, search=False)
    later = NOW + timedelta(days=2, hours=1)
    result = run_build(site, search=False, now=later)
    assert result.unchanged is None and "story-9" in {a.slug for a in result.loaded.site.articles}
    # The next day is another day anyway; the same time again has nothing to do.
    assert run_build(site, search=False, now=later).unchanged is not None


def test_the_search_option_and_pagefind_are_inputs(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    run_build(site, search=True)
    assert run_build(site, search=True).unchanged is not None
    assert run_build(site, search=False).unchanged is None
    run_build(site, search=False)
    monkeypatch.setattr(search, "find_pagefind", lambda: ["/usr/local/bin/pagefind"])
    assert run_build(site, search=False).unchanged is not None  # no index asked for: Pagefind does not count
    with pytest.raises(BuildFailed):  # asked for: the build runs (and this Pagefind does not exist)
        run_build(site, search=True, strict=True)


def test_another_output_folder_makes_the_build_run(site: Path, tmp_path: Path) -> None:
    run_build(site, search=False)
    other = tmp_path / "elsewhere"
    assert run_build(site, search=False, output=other).unchanged is None
    assert run_build(site, search=False).unchanged is None  # the record is the other folder's now


def test_a_file_touched_makes_the_build_run(site: Path) -> None:
    run_build(site, search=False)
    story = site / "content/world/a06.md"
    os.utime(story, ns=(story.stat().st_atime_ns, story.stat().st_mtime_ns + 1_000_000_000))
    result = run_build(site, search=False)
    assert result.unchanged is None and result.pages_rendered == 0


def test_the_command_says_nothing_changed(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from broadsheet.cli import main

    assert main(["build", "--source", str(site), "--no-search"]) == 0
    capsys.readouterr()
    assert main(["build", "--source", str(site), "--no-search"]) == 0
    out = capsys.readouterr()
    assert "Nothing changed since the last build" in out.out and "files in" in out.out
    assert "no-such-page" in out.err  # the last build's warning, told again
    assert main(["build", "--source", str(site), "--no-search", "--strict"]) == 1


def test_a_file_saved_just_before_the_build_is_compared_by_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reporter who saves and builds at once: the stamps of the files saved within two seconds
    before the build are not trusted, so the next build reads those files and compares their bytes
    with what the last build read, and still finds nothing changed. A write that keeps the size and
    the time (the same clock tick) is caught by the bytes."""
    monkeypatch.setattr(filestamp, "RACY_NS", 2_000_000_000)
    site = newsroom(tmp_path / "site")  # every file written just now
    rewrite(site / "content/world/a02.md", "lede", 1)
    first = run_build(site, search=False)
    assert first.unchanged is None
    again = run_build(site, search=False)
    assert again.unchanged == len(first.files)
    story = site / "content/world/a02.md"
    before = story.stat()
    text = story.read_text(encoding="utf-8")
    story.write_text(text.replace("Officials said", "Officials sold"), encoding="utf-8")  # same size
    os.utime(story, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert story.stat().st_size == before.st_size and story.stat().st_ino == before.st_ino
    result = run_build(site, search=False)
    assert result.unchanged is None
    same_site(site, result, tmp_path / "fresh")
