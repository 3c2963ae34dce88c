"""Builds fold an edit into the last related ranking (related/incremental.py): the pages show what a
build from scratch shows, and only the lists the edit can change are ranked again."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import article, run_build

import broadsheet.related.index as related_index
from broadsheet.pipeline import related_docs
from broadsheet.publish import search
from broadsheet.related.index import compute_related

WORDS = [f"w{k}" for k in range(40)] + ["harbour", "strike", "ferry", "council", "budget", "flood"]
CATEGORIES = ["world", "politics", "sport"]


def _site_files(n: int) -> dict[str, str]:
    rng = random.Random(11)
    files = {}
    for k in range(n):
        cat = CATEGORIES[k % 3]
        body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(30)).capitalize() + "." for _ in range(3))
        files[f"content/{cat}/a{k}.md"] = article(
            " ".join(rng.choice(WORDS) for _ in range(4)).title(),
            date=f"2026-{1 + k % 10:02d}-{1 + k % 27:02d}T{k % 24:02d}:00:00",
            body=body,
            tags=rng.sample(["Ports", "Weather", "Budget", "Transport", "Courts"], 2),
        )
    return files


def _related_pages(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in output.glob("*/a*/index.html")}


def test_a_lede_edit_ranks_few_lists_and_pages_match_a_build_from_scratch(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site(_site_files(90))
    run_build(site)
    ranked: list[int] = []
    real = related_index._list_for

    def counted(index, i):  # type: ignore[no-untyped-def]
        ranked.append(i)
        return real(index, i)

    monkeypatch.setattr(related_index, "_list_for", counted)
    edits = [
        ("content/world/a30.md", lambda t: t.replace("\n---\n\n", "\n---\n\nHarbour strike ferry council. ", 1)),
        ("content/sport/a2.md", lambda t: t.replace('title: "', 'title: "Flood ', 1)),
        ("content/politics/a7.md", lambda t: t.replace('"Ports"', '"Harbour Board"').replace('"Weather"', '"Ports"')),
    ]
    for rel, change in edits:
        path = site / rel
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        ranked.clear()
        result = run_build(site)
        assert 0 < len(ranked) < 45, rel  # the lists the edit can reach, not all 90
        full = compute_related(related_docs(result.loaded.site), related_index.RelatedSettings(count=6))
        assert {k: list(v) for k, v in result.loaded.site.related.items()} == full
    # A new article and a deleted one.
    (site / "content/world/new.md").write_text(article("Harbour Strike Ferry", body="Harbour strike ferry."))
    (site / "content/sport/a5.md").unlink()
    ranked.clear()
    result = run_build(site)
    assert 0 < len(ranked) < 45
    fresh = tmp_path / "fresh"
    run_build(site, output=fresh, cache=False)
    assert _related_pages(site / "output") == _related_pages(fresh)
