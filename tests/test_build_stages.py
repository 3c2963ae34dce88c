"""A build names its stages and records each one's time in its result (the names are checked, never the times)."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadsheet.publish import search
from tests.conftest import article, run_build


def test_a_build_records_its_stages_in_order(make_site, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    site: Path = make_site({"content/world/a.md": article("A story")})
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    result = run_build(site)
    stages = ["check", "load", "pictures", "render", "facts", "search", "links", "write", "remember"]
    assert list(result.stages) == stages
    without_search = run_build(site, search=False)
    assert "search" not in without_search.stages and list(without_search.stages)[-1] == "remember"
