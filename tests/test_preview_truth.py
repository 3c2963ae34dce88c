"""The preview tells the truth: its clock runs, and what readers cannot see yet is marked so."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import REPO, article, run_build, write_site
from serve_helpers import TIMEOUT, get, running


def wait_for(session, path: str, needle: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """Poll the preview until ``path`` answers with ``needle`` in it (or fail after TIMEOUT)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        status, _, body = get(session, path)
        if status == 200 and needle in body:
            return body
        assert time.monotonic() < deadline, f"{path} never showed {needle!r} (last status {status})"
        time.sleep(0.1)


def clock_env() -> dict[str, str]:
    """The environment without SOURCE_DATE_EPOCH: the preview and `new` both read the real clock."""
    return {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}


def test_an_article_written_by_new_appears_in_the_running_preview(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    site = write_site(tmp_path / "site", {"content/world/old.md": article("An older story")})
    with running(site, drafts=True) as session:
        made = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "new", "Ferry cancelled at Greyhaven", "--source", str(site)],
            capture_output=True,
            text=True,
            env=clock_env(),
        )
        assert made.returncode == 0, made.stderr
        body = wait_for(session, "/world/ferry-cancelled-at-greyhaven/", b"Ferry cancelled at Greyhaven")
        assert b"status-badge--draft" in body  # new writes a draft: the preview says so
        wait_for(session, "/", b"Ferry cancelled at Greyhaven")


def test_an_embargo_lifts_while_the_preview_runs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    soon = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0).isoformat()
    site = write_site(
        tmp_path / "site",
        {"content/world/old.md": article("An older story"), "content/world/soon.md": article("Results at noon", soon)},
    )
    with running(site) as session:
        status, _, _ = get(session, "/world/results-at-noon/")
        if status == 404:  # else the machine was slow enough for the embargo to lift during the first build
            assert b"Results at noon" not in get(session, "/")[2]
        body = wait_for(session, "/world/results-at-noon/", b"Results at noon")
        assert b"status-badge" not in body
        wait_for(session, "/", b"Results at noon")


def test_drafts_and_embargoed_stories_carry_a_badge_in_the_preview_only(tmp_path: Path) -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    site = write_site(
        tmp_path / "site",
        {
            "content/world/draft.md": article("Draft story", draft=True),
            "content/world/later.md": article("Embargoed story", later),
            "content/world/live.md": article("Live story"),
        },
    )
    with running(site, drafts=True, future=True) as session:
        draft = wait_for(session, "/world/draft-story/", b"Draft story")
        assert b'<span class="status-badge status-badge--draft">Draft</span>' in draft
        embargoed = wait_for(session, "/world/embargoed-story/", b"Embargoed story")
        assert b"status-badge--embargo" in embargoed and b"Embargoed until" in embargoed
        live = wait_for(session, "/world/live-story/", b"Live story")
        assert b'class="status-badge' not in live.split(b"<main")[1].split(b"related")[0]
        front = wait_for(session, "/", b"Draft story")
        assert front.count(b'class="status-badge status-badge--draft"') >= 1
    run_build(site, drafts=True, future=True, now=datetime.now(UTC))
    for page in (site / "output").rglob("*.html"):
        assert "status-badge" not in page.read_text(encoding="utf-8"), page


def test_a_headline_edit_in_the_preview_keeps_the_recorded_url_answering(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site", {"content/world/a.md": article("Corran rises"), "content/world/b.md": article("B")}
    )
    run_build(site)  # the published site: content/_permalinks.yml records /world/corran-rises/
    with running(site) as session:
        wait_for(session, "/world/corran-rises/", b"<article")
        source = site / "content/world/a.md"
        source.write_text(source.read_text().replace("Corran rises", "Corran bursts its banks"))
        wait_for(session, "/world/corran-bursts-its-banks/", b"Corran bursts its banks")
        moved = wait_for(session, "/world/corran-rises/", b'url=/world/corran-bursts-its-banks/"')
        assert b"This story has moved" in moved
    assert "corran-bursts" not in (site / "content/_permalinks.yml").read_text()  # the preview never writes it
