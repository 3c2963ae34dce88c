"""Shared fixtures: whole small sites written inline into tmp_path, built for real."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadsheet.errors import BuildFailed
from broadsheet.pipeline import BuildOptions, BuildResult, build

REPO = Path(__file__).resolve().parent.parent
#: Builds in tests are deterministic: "now" is fixed.
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

MINIMAL_SITE_YML = """\
title: Test Times
tagline: All the news that fits
base_url: https://news.example.org/
timezone: UTC
categories:
  - {name: World, description: News from everywhere}
  - {name: Sport}
authors:
  ana: {name: Ana Lima, bio: Covers the world.}
pagination: {per_page: 2}
"""


@pytest.fixture(autouse=True)
def second_builds_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests write a site and build it at once, then build again to see what a second build keeps:
    the files saved just before the first build would have the second stop at the nothing-changed
    check (stages/unchanged.py compares them by their bytes). Here it runs, as it did before that
    comparison; tests/test_unchanged.py turns the comparison on."""
    from broadsheet.stages import unchanged

    monkeypatch.setattr(unchanged, "RACY_BY_BYTES", False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last, in their usual order.

    Their session fixtures (Chromium through Playwright, a file server) run threads until the
    session ends, and a process running threads starts its workers from a fork server instead of
    forking (see parallel.worker_context): the tests of the forking paths need a process without.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def article(
    title: str = "A headline", date: str = "2026-11-20T10:00:00", body: str = "Body text here.", **fields: object
) -> str:
    """Return the text of an article file with the given front matter fields."""
    import json

    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {date}"]
    for key, value in fields.items():
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines += ["---", "", body, ""]
    return "\n".join(lines)


def write_site(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write a site's files (path → text or bytes) under ``root``; add a site.yml if missing."""
    root.mkdir(parents=True, exist_ok=True)
    if "site.yml" not in files:
        (root / "site.yml").write_text(MINIMAL_SITE_YML, encoding="utf-8")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if content.startswith("\n") else content, encoding="utf-8")
    return root


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """``make_site({"content/world/a.md": article(...)})`` → the site folder."""

    def make(files: Mapping[str, str | bytes], name: str = "site") -> Path:
        return write_site(tmp_path / name, files)

    return make


def tree(root: Path) -> dict[str, bytes]:
    """The site a reader sees in ``root``: the link to its generation resolved once, then every file read."""
    real = Path(os.path.realpath(root))
    out: dict[str, bytes] = {}
    for current, _dirs, files in os.walk(real):
        for name in files:
            path = Path(current, name)
            rel = path.relative_to(real).as_posix()
            if not rel.startswith(".broadsheet"):
                out[rel] = path.read_bytes()
    return out


def run_build(site: Path, **options: object) -> BuildResult:
    """Build ``site`` into ``site/output`` with the fixed NOW; raise BuildFailed on errors."""
    options.setdefault("now", NOW)
    # Tests write only to tmp_path: sites inside the repository (the example, golden sites) build without
    # the cache, which would otherwise be written next to their sources.
    options.setdefault("cache", not site.resolve().is_relative_to(REPO))
    options.setdefault("record_urls", not site.resolve().is_relative_to(REPO))
    return build(BuildOptions(source=site, **options))  # type: ignore[arg-type]


def build_errors(site: Path, **options: object) -> list[str]:
    """Build and return the formatted errors; fail the test if the build succeeds."""
    try:
        run_build(site, **options)
    except BuildFailed as failed:
        return [e.format() for e in failed.errors]
    raise AssertionError("the build was expected to fail")


def read(site: Path, rel: str) -> str:
    """Read a file of the built output."""
    return (site / "output" / rel).read_text(encoding="utf-8")


def count_stats(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """From now on, count each path ``os.stat`` is asked about (path → times), until the test ends
    or ``monkeypatch.undo()``."""
    looked: dict[str, int] = {}
    real_stat = os.stat

    def counted(path: object, *args: object, **kwargs: object) -> os.stat_result:
        name = os.fspath(path)  # type: ignore[call-overload]
        looked[name] = looked.get(name, 0) + 1
        return real_stat(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "stat", counted)
    return looked
