"""Mistakes a reporter makes are told, with path:line and a way out, through the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO, article


def cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``build.py`` for the site as a reporter would (the test's fixed time via SOURCE_DATE_EPOCH)."""
    env = {"SOURCE_DATE_EPOCH": "1795953600", "PATH": "/usr/bin:/bin"}  # 2026-11-29T12:00:00Z
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args, "--source", str(site)],
        capture_output=True,
        text=True,
        cwd=site,
        env=env,
    )


def test_unclosed_quote_is_reported_on_its_own_line(make_site) -> None:
    bad = '---\ntitle: "Corran rises at Millbrook\ndate: 2026-11-20\nauthor: ana\ntags: [Floods]\n---\n\nBody.\n'
    site = make_site({"content/world/bad.md": bad, "content/world/good.md": article("Good")})
    run = cli(site, "build", "--no-search")
    assert run.returncode == 1
    line = next(x for x in run.stderr.splitlines() if "bad.md" in x)
    assert line.startswith("content/world/bad.md:2: "), line
    assert "quote" in line and "never closed" in line


def test_new_fixes_the_slug_so_a_headline_edit_keeps_the_url(make_site) -> None:
    site = make_site({})
    made = cli(site, "new", "Corran rises at Millbrook", "--category", "World")
    assert made.returncode == 0, made.stderr
    path = site / made.stdout.strip()
    text = path.read_text()
    assert "\nslug: corran-rises-at-millbrook\n" in text
    path.write_text(text.replace("Corran rises at", "Corran bursts at").replace("draft: true", "draft: false"))
    run = cli(site, "build", "--no-search", "--future")
    assert run.returncode == 0, run.stderr
    assert (site / "output/world/corran-rises-at-millbrook/index.html").is_file()
