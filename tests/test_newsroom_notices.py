"""Breaking news, corrections and live updates: shown on the pages, in JSON-LD, gone when they expire."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadsheet.cli import main
from tests.conftest import MINIMAL_SITE_YML, NOW, article, build_errors, read, run_build

BREAKING = """\
breaking:
  text: "Bridge closed after the flood"
  url: /world/flood/
  expires: 2026-11-29T18:00:00
"""

LIVE = """\
---
title: "Flood: live"
date: 2026-11-28T08:00:00
category: World
live:
  - time: 2026-11-28T09:00:00
    text: "First *report* from the bridge."
  - time: 2026-11-28T11:30:00
    title: "Water falls"
    text: "The river is going down."
live_ended: {ended}
---

The story so far.
"""

CORRECTED = """\
---
title: "Flood"
date: 2026-11-20T08:00:00
category: World
corrections:
  - date: 2026-11-22T10:00:00
    text: "An earlier version gave the river's height as 4.2 m; it was 3.2 m."
  - date: 2026-11-21T09:00:00
    text: "We misspelt the mayor's name."
---

Body.
"""


def json_ld(page: str, kind: str) -> dict[str, object]:
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL):
        data = json.loads(block)
        if data.get("@type") == kind:
            return data  # type: ignore[no-any-return]
    raise AssertionError(f"no {kind} JSON-LD")


def test_breaking_banner_shows_on_every_page_until_it_expires(make_site: Callable[..., Path]) -> None:
    site = make_site({"site.yml": MINIMAL_SITE_YML + BREAKING, "content/world/flood.md": article("Flood")})
    run_build(site)
    for page in ("index.html", "world/flood/index.html", "category/world/index.html"):
        html = read(site, page)
        assert '<div class="breaking" role="region" aria-label="Breaking">' in html
        assert '<a class="breaking-text" href="/world/flood/">Bridge closed after the flood</a>' in html
    run_build(site, now=datetime(2026, 11, 29, 18, 0, tzinfo=UTC))  # the expiry (UTC site): gone
    for page in ("index.html", "world/flood/index.html"):
        assert 'class="breaking"' not in read(site, page)


def test_breaking_banner_expiry_is_scheduled(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
    site = make_site({"site.yml": MINIMAL_SITE_YML + BREAKING, "content/world/flood.md": article("Flood")})
    assert main(["schedule", "--source", str(site), "--format", "iso"]) == 0
    assert capsys.readouterr().out == "2026-11-29T18:00:00+00:00\n"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ('breaking:\n  text: "Fire"\n', "site.yml:11: 'breaking' needs an expires time"),
        ("breaking:\n  text: Fire\n  expires: soon\n", "site.yml:13: 'breaking.expires' is not a valid date: 'soon'"),
        (
            "breaking:\n  text: Fire\n  expires: 2026-12-01\n  colour: red\n",
            "site.yml:14: unknown key 'breaking.colour'",
        ),
        (
            "breaking:\n  text: Fire\n  url: 'javascript:alert(1)'\n  expires: 2026-12-01\n",
            "site.yml:13: 'breaking.url' uses a scheme that runs script",
        ),
    ],
)
def test_bad_breaking_settings_are_named_with_their_line(
    make_site: Callable[..., Path], block: str, expected: str
) -> None:
    site = make_site({"site.yml": MINIMAL_SITE_YML + block, "content/world/flood.md": article("Flood")})
    errors = build_errors(site)
    assert any(e.startswith(expected) for e in errors), errors


def test_corrections_are_listed_under_the_article_and_in_json_ld(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/world/flood.md": CORRECTED})
    run_build(site)
    page = read(site, "world/flood/index.html")
    section = page[page.index('<section class="corrections"') :]
    section = section[: section.index("</section>")]
    items = re.findall(r'<li><time datetime="([^"]+)">([^<]+)</time>: ([^<]+)</li>', section)
    assert [i[0] for i in items] == ["2026-11-21T09:00:00+00:00", "2026-11-22T10:00:00+00:00"]  # oldest first
    assert items[0][1] == "21 November 2026, 09:00"
    assert items[1][2] == "An earlier version gave the river&#39;s height as 4.2 m; it was 3.2 m."
    assert page.index('class="story-body') < page.index('class="corrections"') < page.index('class="story-footer"')
    data = json_ld(page, "NewsArticle")
    assert data["correction"] == [
        {"@type": "CorrectionComment", "text": "We misspelt the mayor's name.", "datePublished": items[0][0]},
        {
            "@type": "CorrectionComment",
            "text": "An earlier version gave the river's height as 4.2 m; it was 3.2 m.",
            "datePublished": items[1][0],
        },
    ]
    assert data["dateModified"] == "2026-11-22T10:00:00+00:00"


def test_an_article_without_notices_has_none(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/world/flood.md": article("Flood", category="World")})
    run_build(site)
    page = read(site, "world/flood/index.html")
    assert "corrections" not in page and "live-updates" not in page and "live-badge" not in page
    assert "correction" not in json.dumps(json_ld(page, "NewsArticle"))


def test_live_updates_newest_first_with_live_blog_posting(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/world/flood-live.md": LIVE.format(ended="null")})
    run_build(site)
    page = read(site, "world/flood-live/index.html")
    entries = re.findall(r'<li class="live-entry" id="([^"]+)">', page)
    assert entries == ["update-20261128-113000", "update-20261128-090000"]
    assert '<h3 class="live-entry-title">Water falls</h3>' in page
    assert "First <em>report</em> from the bridge." in page
    assert page.count('<span class="live-badge">Live</span>') == 2  # the kicker and the updates' heading
    data = json_ld(page, "LiveBlogPosting")
    assert data["coverageStartTime"] == "2026-11-28T08:00:00+00:00"
    assert "coverageEndTime" not in data
    assert data["dateModified"] == "2026-11-28T11:30:00+00:00"
    updates = data["liveBlogUpdate"]
    assert isinstance(updates, list)
    assert [u["datePublished"] for u in updates] == ["2026-11-28T11:30:00+00:00", "2026-11-28T09:00:00+00:00"]
    assert updates[0]["headline"] == "Water falls" and updates[1]["headline"] == "Flood: live"
    assert updates[1]["articleBody"] == "First report from the bridge."
    assert updates[0]["url"] == "https://news.example.org/world/flood-live/#update-20261128-113000"


def test_live_update_links_follow_a_sub_path(make_site: Callable[..., Path]) -> None:
    from tests.conftest import MINIMAL_SITE_YML

    live = LIVE.format(ended="null").replace("The river is going down.", "See [the map](/world/map/).")
    site = make_site(
        {
            "site.yml": MINIMAL_SITE_YML.replace("https://news.example.org/", "https://example.org/news/"),
            "content/world/flood-live.md": live,
        }
    )
    run_build(site)
    page = read(site, "world/flood-live/index.html")
    assert 'See <a href="/news/world/map/">the map</a>.' in page


def test_ended_live_coverage_says_so(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/world/flood-live.md": LIVE.format(ended="2026-11-28T18:00:00")})
    run_build(site)
    page = read(site, "world/flood-live/index.html")
    assert "live-badge" not in page
    assert 'Live coverage ended <time datetime="2026-11-28T18:00:00+00:00">' in page
    assert json_ld(page, "LiveBlogPosting")["coverageEndTime"] == "2026-11-28T18:00:00+00:00"


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("live: now\n", "content/world/a.md:4: 'live' must be a list of entries"),
        ("live:\n  - text: Hi\n", "content/world/a.md:4: 'live' entry 1 has no time"),
        (
            "live:\n  - time: 2026-11-28T25:00\n    text: Hi\n",
            "content/world/a.md:4: 'live' entry 1 has an invalid date",
        ),
        ("live:\n  - time: 2026-11-28T09:00\n", "content/world/a.md:4: 'live' entry 1 needs text"),
        ("corrections:\n  - date: 2026-11-28\n    txt: x\n", "content/world/a.md:4: 'corrections' entry 1 has unknown"),
        ("live_ended: yes\n", "content/world/a.md:4: 'live_ended' needs a date"),
    ],
)
def test_bad_notices_are_named_with_file_and_line(make_site: Callable[..., Path], front: str, expected: str) -> None:
    text = f"---\ntitle: A\ndate: 2026-11-20\n{front}---\n\nBody.\n"
    site = make_site({"content/world/a.md": text})
    errors = build_errors(site)
    assert any(e.startswith(expected) for e in errors), errors
