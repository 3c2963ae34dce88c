"""Most read and view counts from an analytics export dropped into the site."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from broadsheet.analytics import normalise_path
from tests.conftest import MINIMAL_SITE_YML, article, build_errors, read, run_build

STORIES = {
    "content/world/flood.md": article("Flood", date="2026-11-20T10:00:00"),
    "content/world/storm.md": article("Storm", date="2026-11-21T10:00:00"),
    "content/sport/cup.md": article("Cup", date="2026-11-22T10:00:00"),
}

PLAUSIBLE = """\
name,visitors,pageviews,bounce_rate,time_on_page
/world/storm/,900,1234,40,100
/world/flood/,300,412,40,100
/sport/cup/,10,15,40,100
/,5000,8000,50,30
"""

MATOMO = """\
label,nb_visits,nb_hits,sum_time_spent,url
/world/flood,20,30,100,https://news.example.org/world/flood
/sport/cup,5,2000,100,https://news.example.org/sport/cup?utm_source=x
"""

GA4 = """\
# ----------------------------------------
# Pages and screens: Page path and screen class
# 20261101-20261130
# ----------------------------------------

Page path and screen class,Views,Users,Views per user
/world/flood/,"1,500",900,1.6
/sport/cup/,7,5,1.4
"""


def most_read(html: str) -> list[str]:
    block = re.search(r'<section class="most-read".*?</section>', html, re.DOTALL)
    return re.findall(r'<li><a href="([^"]+)">', block.group(0)) if block else []


def view_count(html: str) -> str | None:
    found = re.search(r'<span class="view-count">([^<]+)</span>', html)
    return found.group(1) if found else None


def test_plausible_export_gives_most_read_and_byline_counts(make_site: Callable[..., Path]) -> None:
    site = make_site({**STORIES, "analytics/pages.csv": PLAUSIBLE})
    run_build(site)
    home = read(site, "index.html")
    assert most_read(home) == ["/world/storm/", "/world/flood/", "/sport/cup/"]
    assert view_count(read(site, "world/storm/index.html")) == "1,234 views"
    assert view_count(read(site, "sport/cup/index.html")) == "15 views"


def test_matomo_and_google_analytics_exports_are_added_up(make_site: Callable[..., Path]) -> None:
    site = make_site({**STORIES, "analytics/matomo.csv": MATOMO, "analytics/ga4.csv": GA4})
    run_build(site)
    # Matomo's page views are nb_hits; Google Analytics 4's "Views", thousands separators and all.
    assert view_count(read(site, "world/flood/index.html")) == "1,530 views"
    assert view_count(read(site, "sport/cup/index.html")) == "2,007 views"
    assert view_count(read(site, "world/storm/index.html")) is None
    assert most_read(read(site, "index.html")) == ["/sport/cup/", "/world/flood/"]


def test_json_exports(make_site: Callable[..., Path]) -> None:
    plausible_api = {"results": [{"page": "/world/flood/", "visitors": 40, "pageviews": 77}]}
    matomo = [{"label": "storm", "url": "https://news.example.org/world/storm/", "nb_hits": 5, "nb_visits": 3}]
    site = make_site(
        {**STORIES, "analytics/plausible.json": json.dumps(plausible_api), "analytics/matomo.json": json.dumps(matomo)}
    )
    run_build(site)
    assert view_count(read(site, "world/flood/index.html")) == "77 views"
    assert view_count(read(site, "world/storm/index.html")) == "5 views"


def test_without_an_export_there_is_no_block_and_no_count(make_site: Callable[..., Path]) -> None:
    site = make_site(STORIES)
    run_build(site)
    assert 'class="most-read"' not in read(site, "index.html")
    assert "view-count" not in read(site, "world/flood/index.html")
    assert " views" not in read(site, "world/flood/index.html")


def test_counts_can_be_switched_off_and_the_block_sized(make_site: Callable[..., Path]) -> None:
    yml = MINIMAL_SITE_YML + "analytics: {path: stats/plausible.csv, show_views: false, most_read: 2}\n"
    site = make_site({**STORIES, "site.yml": yml, "stats/plausible.csv": PLAUSIBLE})
    run_build(site)
    assert most_read(read(site, "index.html")) == ["/world/storm/", "/world/flood/"]
    assert view_count(read(site, "world/storm/index.html")) is None
    site.joinpath("site.yml").write_text(MINIMAL_SITE_YML + "analytics: {path: stats/plausible.csv, most_read: 0}\n")
    run_build(site)
    assert 'class="most-read"' not in read(site, "index.html")
    assert view_count(read(site, "world/storm/index.html")) == "1,234 views"


def test_a_new_export_updates_a_warm_build(make_site: Callable[..., Path]) -> None:
    site = make_site({**STORIES, "analytics/pages.csv": PLAUSIBLE})
    run_build(site)
    (site / "analytics/pages.csv").write_text(PLAUSIBLE.replace("/sport/cup/,10,15", "/sport/cup/,10,9999"))
    result = run_build(site)
    assert result.pages_rendered > 0
    assert most_read(read(site, "index.html"))[0] == "/sport/cup/"
    assert view_count(read(site, "sport/cup/index.html")) == "9,999 views"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"analytics/a.csv": "when,clicks\n2026-11-01,4\n"}, "analytics/a.csv:1: no page column among: when, clicks"),
        ({"analytics/a.csv": "path,views\n/world/flood/,many\n"}, "analytics/a.csv:2: 'views' is not a number: 'many'"),
        ({"analytics/a.json": "{not json"}, "analytics/a.json: invalid JSON"),
        ({"analytics/a.json": '{"total": 4}'}, "analytics/a.json:1: expected a list of rows"),
    ],
)
def test_bad_exports_are_named_with_their_file(
    make_site: Callable[..., Path], files: dict[str, str], expected: str
) -> None:
    errors = build_errors(make_site({**STORIES, **files}))
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("/world/flood", "/world/flood/"),
        ("https://news.example.org/world/flood/?utm_source=x#top", "/world/flood/"),
        ("world/flood/", "/world/flood/"),
        ("/feed.xml", "/feed.xml"),
        ("/news/world/flood/", "/world/flood/"),
        ("", None),
    ],
)
def test_paths_are_normalised(value: str, path: str | None) -> None:
    base = "/news/" if value.startswith("/news/") else "/"
    assert normalise_path(value, base) == path
