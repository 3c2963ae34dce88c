"""The output is always one whole build: a link switched atomically between two generations."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, article, run_build, tree

from broadsheet.outputs import CACHE_DIR
from broadsheet.write.generations import builds_folder

EPOCH = {"SOURCE_DATE_EPOCH": "1795000000"}


def two_versions(site: Path, n: int) -> tuple[dict[str, str], dict[str, str]]:
    """Two versions of a site's content, differing in most files (some removed, some added)."""
    old = {
        f"content/world/a{i}.md": article(
            f"Story {i}", date=f"2026-11-{1 + i % 28:02d}T0{i % 10}:00:00", body="Words. " * 200
        )
        for i in range(n)
    }
    new = {rel: text.replace("Words.", "Other words.") for rel, text in old.items() if not rel.endswith("7.md")}
    new |= {f"content/sport/b{i}.md": article(f"Match {i}", date="2026-11-20T10:00:00") for i in range(n // 10)}
    return old, new


def put(site: Path, version: dict[str, str]) -> None:
    """Make the site's content exactly ``version``."""
    for path in list((site / "content").rglob("*.md")):
        if path.relative_to(site).as_posix() not in version:
            path.unlink()
    for rel, text in version.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


@pytest.mark.slow
def test_a_reader_sees_the_old_site_or_the_new_whenever_a_build_is_killed(make_site, tmp_path: Path) -> None:
    """SIGKILL at random moments of builds switching between two versions; the output is read right
    after each kill (no build in between to repair it), and by a reader while the builds run."""
    site = make_site({})
    versions = two_versions(site, 160)
    cmd = [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--quiet", "--no-search"]
    env = {**os.environ, **EPOCH}
    expected = []
    for i, version in enumerate(versions):
        put(site, version)
        subprocess.run([*cmd, "--output", str(tmp_path / f"v{i}")], check=True, env=env)
        expected.append(tree(tmp_path / f"v{i}"))
    assert expected[0] != expected[1]
    put(site, versions[0])
    started = time.monotonic()
    subprocess.run(cmd, check=True, env=env)
    took = time.monotonic() - started
    assert tree(site / "output") == expected[0]

    seen: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            got = tree(site / "output")
            seen.append("ok" if got in expected else f"mixed: {len(got)} files")

    watcher = threading.Thread(target=reader)
    watcher.start()
    rng = random.Random(19)
    live = 0
    try:
        for trial in range(14):
            put(site, versions[1 - live])
            proc = subprocess.Popen(cmd, env=env)
            time.sleep(rng.uniform(0, took * 1.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            now = tree(site / "output")  # right after the kill
            assert now in expected, (trial, proc.returncode)
            live = expected.index(now)
    finally:
        stop.set()
        watcher.join()
    assert seen and all(s == "ok" for s in seen), [s for s in seen if s != "ok"][:3]
    # Builds left unfinished are completed by the next one, which gives the whole new site.
    put(site, versions[1 - live])
    subprocess.run(cmd, check=True, env=env)
    assert tree(site / "output") == expected[1 - live]


def test_output_is_a_link_to_a_generation_and_unchanged_files_keep_their_inode(make_site) -> None:
    site = make_site({"content/world/a.md": article("Storm"), "content/world/b.md": article("Flood")})
    run_build(site)
    output = site / "output"
    assert output.is_symlink() and os.readlink(output) == ".output-builds/a"
    robots = os.stat(output / "robots.txt")
    (site / "content/world/c.md").write_text(article("Fire"))
    result = run_build(site)
    assert os.readlink(output) == ".output-builds/b" and result.stats.written > 0
    after = os.stat(output / "robots.txt")
    # The same file (hard link): same bytes and modification time, so rsync sends nothing for it.
    assert (after.st_ino, after.st_mtime_ns) == (robots.st_ino, robots.st_mtime_ns)
    # A build with nothing to change switches nothing and writes nothing.
    result = run_build(site)
    assert os.readlink(output) == ".output-builds/b" and result.stats.written == 0
    # The next change goes into the older generation, brought up to date.
    (site / "content/world/c.md").unlink()
    run_build(site)
    assert os.readlink(output) == ".output-builds/a"
    fresh = site.parent / "fresh"
    run_build(site, output=fresh)
    assert tree(output) == tree(fresh)


def test_files_of_your_own_at_the_top_are_carried_to_each_build(make_site) -> None:
    site = make_site({"content/world/a.md": article("Storm")})
    run_build(site)
    output = site / "output"
    (output / "CNAME").write_text("news.example.org")
    (output / ".git").mkdir()
    (output / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (output / ".well-known").mkdir()
    (output / ".well-known/security.txt").write_text("Contact: mailto:desk@example.org\n")
    for i in range(3):
        (site / f"content/world/n{i}.md").write_text(article(f"News {i}"))
        run_build(site)
        assert (output / "CNAME").read_text() == "news.example.org"
        assert (output / ".git/HEAD").is_file() and (output / ".well-known/security.txt").is_file()
    (output / "CNAME").unlink()
    for i in range(2):
        (site / f"content/world/m{i}.md").write_text(article(f"More {i}"))
        run_build(site)
        assert not (output / "CNAME").exists()  # removed by hand: not brought back from the older build
    assert len(list(builds_folder(output).glob("*/.git"))) == 1


def test_an_output_folder_of_an_older_version_becomes_a_generation(make_site) -> None:
    site = make_site({"content/world/a.md": article("Storm")})
    output = site / "output"
    run_build(site)
    # What an older version left: a real folder, with a file of the user's.
    real = site / "old-output"
    os.rename(os.path.realpath(output), real)
    output.unlink()
    os.rename(real, output)
    (output / "CNAME").write_text("news.example.org")
    before = tree(output)
    result = run_build(site)
    assert output.is_symlink() and tree(output) == before and result.stats.written == 0


def test_an_output_that_is_a_link_of_your_own_is_written_in_place(make_site, tmp_path: Path) -> None:
    site = make_site({"content/world/a.md": article("Storm")})
    www = tmp_path / "www"
    www.mkdir()
    (site / "output").symlink_to(www)
    run_build(site)
    assert os.readlink(site / "output") == str(www) and (www / "world/storm/index.html").is_file()
    assert not builds_folder(site / "output").exists()


def test_a_removed_link_is_made_again(make_site) -> None:
    site = make_site({"content/world/a.md": article("Storm")})
    run_build(site)
    (site / "output").unlink()
    run_build(site)
    assert (site / "output/world/storm/index.html").is_file()


def test_a_folder_a_killed_switch_left_behind_is_moved_by_the_next_build(make_site) -> None:
    site = make_site({"content/world/a.md": article("Storm")})
    run_build(site)
    (site / "content/world/b.md").write_text(article("Flood"))
    run_build(site)
    builds = builds_folder(site / "output")
    # As a build killed right after switching to b leaves it: the user's .git still in a.
    (builds / "a/.git").mkdir()
    (builds / "a/.git/HEAD").write_text("ref: refs/heads/main\n")
    (builds / "carry.json").write_text('[".git"]')
    run_build(site)
    assert (site / "output/.git/HEAD").is_file() and not (builds / "carry.json").exists()


def test_what_the_last_build_made_is_known_across_a_switch(make_site) -> None:
    """The cache files the output's pages under the output's name, not under the generation it names."""
    files = {f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-{1 + i:02d}T10:00:00") for i in range(12)}
    site = make_site(files)
    every = run_build(site).pages_rendered
    (site / "content/world/new.md").write_text(article("New story"))
    run_build(site)  # switched to the other generation
    cache_file = site / ".broadsheet-cache/cache.sqlite"
    stamp = cache_file.stat().st_mtime_ns
    assert run_build(site).pages_rendered == 0
    assert cache_file.stat().st_mtime_ns == stamp  # everything found as recorded: nothing to record again
    path = site / "content/world/a3.md"
    path.write_text(path.read_text().replace("Body text here.", "Body text here, corrected."))
    edit = run_build(site)
    assert 0 < edit.pages_rendered < every  # not every page, as when the last build's pages were unknown


def test_output_named_on_the_command_line_stays_the_link(make_site) -> None:
    site = make_site({"content/world/a.md": article("Storm")})
    cmd = [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--no-search", "--quiet"]
    for i in range(3):
        (site / f"content/world/n{i}.md").write_text(article(f"News {i}"))
        subprocess.run([*cmd, "--output", "output"], check=True, cwd=site, env={**os.environ, **EPOCH})
    assert os.readlink(site / "output") in (".output-builds/a", ".output-builds/b")
    assert sorted(p.name for p in builds_folder(site / "output").iterdir()) == ["a", "b"]


def test_a_generation_without_a_manifest_is_filled_afresh(make_site) -> None:
    """A fill killed before its manifest was written leaves files nothing names: the next fill removes them."""
    site = make_site({"content/world/a.md": article("Storm"), "content/world/b.md": article("Flood")})
    run_build(site)
    output = site / "output"
    target = site / ".output-builds" / "b"
    (target / "world" / "gone").mkdir(parents=True)
    (target / "world" / "gone" / "index.html").write_text("debris of a killed fill")
    (target / "stray.html").write_text("debris")
    storm = os.stat(output / "world" / "b" / "index.html") if (output / "world" / "b").is_dir() else None
    (site / "content/world/c.md").write_text(article("Fire"))
    run_build(site)
    assert os.readlink(output) == ".output-builds/b"
    assert not (output / "stray.html").exists() and not (output / "world" / "gone").exists()
    fresh = site.parent / "fresh"
    run_build(site, output=fresh)
    assert tree(output) == tree(fresh)
    if storm is not None:  # unchanged pages are the live generation's files, linked
        assert os.stat(output / "world" / "b" / "index.html").st_ino == storm.st_ino


def test_a_build_after_the_cache_folder_is_deleted_publishes_its_own_top_level_files(make_site) -> None:
    """With the cache folder gone, the live generation's record of its files is gone too: its files
    look like the newsroom's own. Those the new build writes (the front page, the feeds) are its own."""
    site = make_site({"content/world/a.md": article("Storm"), "content/world/b.md": article("Flood")})
    run_build(site)
    output = site / "output"
    (output / "CNAME").write_text("news.example.org")
    shutil.rmtree(site / CACHE_DIR)
    (site / "content/world/b.md").write_text(article("Flood", body="The river rose overnight in Millbrook."))
    run_build(site)
    assert "The river rose overnight" in (output / "index.html").read_text()
    assert "The river rose overnight" in (output / "feed.xml").read_text()
    assert (output / "CNAME").read_text() == "news.example.org"
    fresh = site.parent / "fresh"
    run_build(site, output=fresh)
    assert tree(output) == {**tree(fresh), "CNAME": tree(output)["CNAME"]}
