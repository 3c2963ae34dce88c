"""`build.py new`: a draft with a complete front matter, its path printed, never overwriting."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, run_build


def test_new_writes_draft_and_refuses_overwrite(make_site) -> None:
    site = make_site({})
    cmd = [
        sys.executable,
        str(REPO / "build.py"),
        "new",
        "Storm: the Corran rises",
        "--category",
        "World",
        "--author",
        "ana",
        "--source",
        str(site),
    ]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=site)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "content/world/storm-the-corran-rises.md"
    text = (site / "content/world/storm-the-corran-rises.md").read_text()
    assert 'title: "Storm: the Corran rises"' in text and "draft: true" in text and 'author: "ana"' in text
    result = run_build(site)
    assert result.loaded.site.articles == ()  # a draft is not published
    # dated "now" by the clock, later than the tests' fixed NOW: include the future too
    assert len(run_build(site, drafts=True, future=True).loaded.site.articles) == 1
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=site)
    assert again.returncode == 2 and "already exists" in again.stderr
