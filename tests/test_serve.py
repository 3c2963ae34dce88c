"""``serve`` for real: a server on a loopback port, files edited on disk, a websocket client
told to reload, and the new page served from memory."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from conftest import article, write_site
from serve_helpers import Browser, get, run, running

from broadsheet.serve import Notice


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(
        tmp_path / "site",
        {
            "content/world/flood.md": article(
                "Flood hits Millbrook", body="The river rose overnight.", tags=["Floods"]
            ),
            "content/world/storm.md": article("Storm warning", date="2026-11-21T08:00:00", tags=["Floods"]),
            "content/sport/cup.md": article("Cup run ends", date="2026-11-19"),
            "content/pages/about.md": "---\ntitle: About us\n---\n\nWe are a newspaper.\n",
            "static/css/site.css": "body { color: black }\n",
        },
    )


def rewrite(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_edit_reloads_the_browser_and_serves_the_new_page(site: Path) -> None:
    with running(site) as session:
        status, headers, body = get(session, "/world/flood-hits-millbrook/")
        assert status == 200 and b"The river rose overnight." in body
        assert b"/livereload.js" in body  # the script is injected into every page
        assert headers["cache-control"] == "no-store"

        async def scenario() -> dict[str, object]:
            browser = await Browser.open(session)
            rewrite(site / "content/world/flood.md", "The river rose overnight.", "The river fell again.")
            message = await browser.reload()
            browser.close()
            return message

        message = run(scenario)
        assert message["path"] == "/world/flood-hits-millbrook/"
        status, _, body = get(session, "/world/flood-hits-millbrook/")
        assert status == 200 and b"The river fell again." in body
    assert not (site / "output").exists()


def test_two_edits_a_second_apart_both_reload(site: Path) -> None:
    with running(site) as session:

        async def scenario() -> None:
            browser = await Browser.open(session)
            rewrite(site / "content/world/flood.md", "rose overnight", "rose at dawn")
            await browser.reload()
            await asyncio.sleep(1.0)  # well inside livereload's 3-second throttle, which must not apply
            rewrite(site / "content/world/flood.md", "rose at dawn", "rose at noon")
            await browser.reload()
            browser.close()

        run(scenario)
        assert b"rose at noon" in get(session, "/world/flood-hits-millbrook/")[2]


def test_a_burst_of_fifty_writes_is_one_build(site: Path) -> None:
    with running(site) as session:
        before = session.builds

        async def scenario() -> None:
            browser = await Browser.open(session)
            path = site / "content/world/flood.md"
            text = path.read_text(encoding="utf-8")
            for i in range(50):
                with path.open("w", encoding="utf-8") as f:
                    f.write(text.replace("The river rose overnight.", f"Update number {i}."))
            await browser.reload()
            browser.close()

        run(scenario)
        assert session.wait_idle()
        assert session.builds == before + 1
        assert b"Update number 49." in get(session, "/world/flood-hits-millbrook/")[2]


def test_a_change_during_a_build_makes_one_more_build(site: Path) -> None:
    during = threading.Event()
    late = site / "content/sport/cup.md"

    def report(notice: Notice) -> None:
        # Runs on the build thread just before a build: this write lands while it runs.
        if notice.kind == "building" and notice.changed and not during.is_set():
            during.set()
            rewrite(late, "Body text here.", "Written during the build.")

    with running(site, report) as session:
        before = session.builds

        async def scenario() -> None:
            browser = await Browser.open(session)
            rewrite(site / "content/world/flood.md", "rose overnight", "rose twice")
            await browser.reload()
            await browser.reload()
            browser.close()

        run(scenario)
        assert session.wait_idle()
        assert during.is_set() and session.builds == before + 2
        assert b"Written during the build." in get(session, "/sport/cup-run-ends/")[2]


def test_broken_front_matter_shows_the_error_in_every_page_then_recovers(site: Path) -> None:
    path = site / "content/world/storm.md"
    good = path.read_text(encoding="utf-8")
    with running(site) as session:

        async def break_it() -> None:
            browser = await Browser.open(session)
            broken = good.replace('title: "Storm warning"', "title: Breaking: storm")
            path.write_text(broken, encoding="utf-8")
            await browser.reload()
            browser.close()

        run(break_it)
        for url in ("/", "/world/flood-hits-millbrook/", "/no/such/page/"):
            status, _, body = get(session, url)
            assert status == 500
            assert b"content/world/storm.md:2" in body and b"invalid front matter YAML" in body
            assert b"/livereload.js" in body  # so the page reloads itself once fixed
        assert get(session, "/theme/css/style.css")[0] == 200

        async def fix_it() -> None:
            browser = await Browser.open(session)
            path.write_text(good.replace("Storm warning", "Storm warning lifted"), encoding="utf-8")
            await browser.reload()
            browser.close()

        run(fix_it)
        status, _, body = get(session, "/world/storm-warning-lifted/")
        assert status == 200 and b"Storm warning lifted" in body
        assert get(session, "/")[0] == 200


def test_a_stylesheet_change_is_swapped_without_a_page_reload(site: Path) -> None:
    with running(site) as session:

        async def scenario() -> dict[str, object]:
            browser = await Browser.open(session)
            (site / "static/css/site.css").write_text("body { color: navy }\n", encoding="utf-8")
            message = await browser.reload()
            browser.close()
            return message

        message = run(scenario)
        assert message["path"] == "/css/site.css" and message["liveCSS"] is True
        assert get(session, "/css/site.css")[2] == b"body { color: navy }\n"


def test_atomic_saves_count_and_editor_leftovers_do_not(site: Path) -> None:
    with running(site) as session:
        folder = site / "content/world"

        async def scenario() -> None:
            browser = await Browser.open(session)
            before = session.builds
            for name in ("4913", "flood.md~", ".flood.md.swp", "flood.md___jb_tmp___", ".#flood.md"):
                (folder / name).write_text("leftover", encoding="utf-8")
            await asyncio.sleep(0.5)
            assert session.wait_idle() and session.builds == before
            tmp = folder / ".flood.md.tmp"
            tmp.write_text(article("Flood hits Millbrook", body="Saved atomically."), encoding="utf-8")
            os.replace(tmp, folder / "flood.md")
            await browser.reload()
            browser.close()

        run(scenario)
        assert b"Saved atomically." in get(session, "/world/flood-hits-millbrook/")[2]


def test_new_folders_and_deleted_articles_are_followed(site: Path) -> None:
    with running(site) as session:

        async def scenario() -> None:
            browser = await Browser.open(session)
            (site / "content/science").mkdir()
            await asyncio.sleep(0.3)  # let the new folder be watched before writing into it
            (site / "content/science/moon.md").write_text(article("Moon landing", date="2026-11-25"), encoding="utf-8")
            while get(session, "/science/moon-landing/")[0] != 200:
                await browser.reload()
            (site / "content/sport/cup.md").unlink()
            while get(session, "/sport/cup-run-ends/")[0] != 404:
                await browser.reload()
            browser.close()

        run(scenario)
        assert b"Moon landing" in get(session, "/")[2]


def test_a_new_and_an_edited_string_table_reload_the_pages(site: Path) -> None:
    with running(site) as session:

        async def scenario() -> None:
            browser = await Browser.open(session)
            (site / "i18n").mkdir()
            deadline = time.monotonic() + 60
            while b">Front</a>" not in get(session, "/")[2]:
                # A folder made while the preview runs is watched a moment later, longer on a busy
                # machine: a file written into it before then goes unseen, so it is written again.
                assert time.monotonic() < deadline, "the new string table was never picked up"
                (site / "i18n/en.yml").write_text("home: Front\n", encoding="utf-8")
                await asyncio.sleep(1.0)
            await browser.reload()  # the pages were reloaded for it
            rewrite(site / "i18n/en.yml", "Front", "Cover")
            while b">Cover</a>" not in get(session, "/")[2]:
                await browser.reload()
            browser.close()

        run(scenario)
        assert b">Cover</a>" in get(session, "/world/flood-hits-millbrook/")[2]


def test_serve_never_touches_the_output_folder(site: Path) -> None:
    output = site / "output"
    output.mkdir()
    (output / "index.html").write_text("deployed", encoding="utf-8")
    stamp = (output / "index.html").stat().st_mtime_ns
    (site / "content/world/secret.md").write_text(article("Secret draft", draft=True), encoding="utf-8")
    with running(site, drafts=True) as session:
        assert b"Secret draft" in get(session, "/world/secret-draft/")[2]

        async def scenario() -> None:
            browser = await Browser.open(session)
            rewrite(site / "content/world/secret.md", "Body text here.", "Still secret.")
            await browser.reload()
            browser.close()

        run(scenario)
    assert sorted(p.name for p in output.iterdir()) == ["index.html"]
    assert (output / "index.html").read_text(encoding="utf-8") == "deployed"
    assert (output / "index.html").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_command_line_serve_prints_the_url_serves_and_stops(site: Path, stop: str) -> None:
    """Ctrl+C, and `kill` (a service manager's or a container's stop), end the preview cleanly."""
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    from conftest import REPO

    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", "--source", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Serving" in line:
                break
        match = re.search(r"Serving Test Times at (http://127\.0\.0\.1:\d+/)", "".join(lines))
        assert match, lines
        with urllib.request.urlopen(match.group(1) + "world/flood-hits-millbrook/", timeout=30) as response:
            assert b"The river rose overnight." in response.read()
        proc.send_signal(getattr(signal, stop))
        assert proc.wait(timeout=30) == 0
        assert "Stopped." in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (site / "output").exists()


def test_reading_pages_and_files_never_starts_a_build(site: Path) -> None:
    with running(site) as session:
        assert session.wait_idle()
        before = session.builds
        for _ in range(5):
            assert get(session, "/css/site.css")[0] == 200
            assert get(session, "/world/flood-hits-millbrook/")[0] == 200
        (site / "content/world/flood.md").read_text(encoding="utf-8")
        time.sleep(0.5)  # any event would have started a build by now
        assert session.wait_idle() and session.builds == before


def test_polling_watcher_sees_edits_too(site: Path) -> None:
    with running(site, poll=True) as session:

        async def scenario() -> None:
            browser = await Browser.open(session)
            rewrite(site / "content/world/flood.md", "rose overnight", "rose while polled")
            await browser.reload()
            browser.close()

        run(scenario)
        assert b"rose while polled" in get(session, "/world/flood-hits-millbrook/")[2]


def test_serve_under_a_base_path_as_the_site_will_be_published(site: Path) -> None:
    with running(site, base_path="/news/") as session:
        assert session.url.endswith("/news/")
        status, _, body = get(session, "/news/world/flood-hits-millbrook/")
        assert status == 200 and b'href="/news/theme/css/style.css"' in body and b'href="/news/"' in body
        assert get(session, "/news/theme/css/style.css")[0] == 200
        assert get(session, "/news/css/site.css")[0] == 200  # the site's static files too
        status, headers, _ = get(session, "/")
        assert status == 302 and headers["location"] == "/news/"
        status, _, body = get(session, "/world/flood-hits-millbrook/")  # outside the base path
        assert status == 404 and b'href="/news/' in body
