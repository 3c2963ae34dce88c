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


def warnings_of(run: subprocess.CompletedProcess[str]) -> list[str]:
    """The warning lines a build printed."""
    return [line.removeprefix("warning: ") for line in run.stderr.splitlines() if line.startswith("warning: ")]


def test_name_slips_are_warned_with_line_and_did_you_mean(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("A", author="ana", tags=["Floods", "Millbrook"]),
            "content/world/b.md": article("B", author="ana", tags=["Floods"]),
            "content/wrold/c.md": article("C", author="ana"),
            "content/world/d.md": article("D", author="Ana Lim", tags=["Flods"]),
            "content/world/e.md": article("E", category="Sprot"),
        }
    )
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0, run.stderr
    found = warnings_of(run)
    assert any(
        w.startswith("content/wrold/c.md:1: the folder content/wrold/ is not one of site.yml's categories")
        and "did you mean 'World'? move the file to content/world/" in w
        for w in found
    ), found
    assert any(w.startswith("content/world/e.md:4: category 'Sprot'") and "'Sport'" in w for w in found), found
    assert any(w.startswith("content/world/d.md:4: author 'Ana Lim'") and "did you mean 'ana'" in w for w in found)
    assert any(w.startswith("content/world/d.md:5: tag 'Flods'") and "did you mean 'Floods'" in w for w in found)
    assert not any("Millbrook" in w for w in found)
    strict = cli(site, "build", "--no-search", "--strict")
    assert strict.returncode == 1


def test_guest_bylines_and_distinct_tags_are_no_slips(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("A", author="Jo Guest Writer", tags=["Police", "Route 66"]),
            "content/world/b.md": article("B", tags=["Policy", "Route 6", "UK"]),
            "content/world/c.md": article("C", tags=["Police", "Route 66", "US"]),
        }
    )
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0 and warnings_of(run) == [], run.stderr


BROKEN_BODY = """\
Lede paragraph.

<div class="factbox">

**Fact**: the river rose two metres.

Then the story goes on.

{{ page.title | upcase }} and {% image "flood.jpg" %}

{{% note %}}

`{{ this is code }}` is fine in backticks.

```python
print("unclosed")
"""


def test_unclosed_blocks_and_foreign_template_code_are_warned_on_their_lines(make_site) -> None:
    site = make_site({"content/world/a.md": article("A", body=BROKEN_BODY)})
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0, run.stderr
    found = warnings_of(run)
    # the front matter is 4 lines, then a blank line: the body starts on line 6
    assert any(w.startswith("content/world/a.md:8: HTML block <div> opened here is never closed") for w in found), found
    assert sum(w.startswith("content/world/a.md:14: template code") for w in found) == 2, found
    assert any(w.startswith("content/world/a.md:16: template code") and "note" in w for w in found), found
    assert any(w.startswith("content/world/a.md:20: code fence '```' opened here is never closed") for w in found)
    assert not any(":18:" in w for w in found), found


def test_closed_blocks_give_no_warning(make_site) -> None:
    body = '<div class="box">\n\nText\n\n</div>\n\n~~~\n{{ code }}\n~~~\n\n    {% indented code %}\n'
    site = make_site({"content/world/a.md": article("A", body=body)})
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0 and warnings_of(run) == [], run.stderr


def test_missing_picture_and_broken_link_name_the_line_that_holds_them(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("A", image="/images/missing.jpg", related=["b"]),
            "content/world/b.md": article("B", body="Intro.\n\nSee [the report](/world/gone/).\n"),
            "content/world/c.md": article("C"),
            "static/images/present.jpg": b"\xff\xd8\xff",
        }
    )
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0, run.stderr
    found = warnings_of(run)
    # The picture's line in a's front matter, though the front page and b's related block show it too.
    picture = next(w for w in found if "'/images/missing.jpg'" in w)
    assert picture.startswith("content/world/a.md:4: broken internal link"), picture
    assert "index.html" in picture and "static/" in picture
    # b's link, though a's page shows b only as a related card.
    gone = next(w for w in found if "'/world/gone/'" in w)
    assert gone.startswith("content/world/b.md:8: "), gone
    assert cli(site, "build", "--no-search", "--strict").returncode == 1


def test_a_moved_article_keeps_a_redirect_recorded_with_the_content(make_site) -> None:
    site = make_site({"content/world/a.md": article("Corran rises at Millbrook"), "content/world/b.md": article("B")})
    assert cli(site, "build", "--no-search").returncode == 0
    record = site / "content/_permalinks.yml"
    assert '"world/a.md":\n  url: "/world/corran-rises-at-millbrook/"' in record.read_text()
    source = site / "content/world/a.md"
    source.write_text(source.read_text().replace("rises", "bursts its banks"))
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0, run.stderr
    assert (
        "note: content/world/a.md: the article's URL changed from /world/corran-rises-at-millbrook/ to "
        "/world/corran-bursts-its-banks-at-millbrook/: the old URL now redirects" in run.stderr
    )
    assert "content/_permalinks.yml" in run.stderr and "0 warning(s)" in run.stdout
    old = site / "output/world/corran-rises-at-millbrook/index.html"
    assert 'url=/world/corran-bursts-its-banks-at-millbrook/"' in old.read_text()
    # A fresh clone: no cache, no output; the record alone keeps the redirect.
    import shutil

    (site / "output").unlink()  # the link to the last whole build, then the builds themselves
    shutil.rmtree(site / ".output-builds")
    shutil.rmtree(site / ".broadsheet-cache")
    again = cli(site, "build", "--no-search")
    assert again.returncode == 0 and "note:" not in again.stderr, again.stderr
    assert 'url=/world/corran-bursts-its-banks-at-millbrook/"' in old.read_text()
    # Changed back: the article has its first URL again, and no redirect loops onto itself.
    source.write_text(source.read_text().replace("bursts its banks", "rises"))
    back = cli(site, "build", "--no-search")
    assert back.returncode == 0, back.stderr
    assert "<article" in old.read_text()
    moved = site / "output/world/corran-bursts-its-banks-at-millbrook/index.html"
    assert 'url=/world/corran-rises-at-millbrook/"' in moved.read_text()


def test_drafts_and_embargoed_builds_leave_the_record_alone(make_site) -> None:
    site = make_site({"content/world/a.md": article("A", draft=True)})
    assert cli(site, "build", "--no-search", "--drafts").returncode == 0
    assert not (site / "content/_permalinks.yml").exists()


def test_a_broken_record_is_an_error_with_its_line(make_site) -> None:
    site = make_site(
        {"content/world/a.md": article("A"), "content/_permalinks.yml": '"world/a.md":\n  url: /world/a/\n"b.md": 3\n'}
    )
    run = cli(site, "build", "--no-search")
    assert run.returncode == 1
    assert "content/_permalinks.yml:3: 'b.md' needs a 'url:'" in run.stderr


def test_old_urls_are_kept_exactly_whatever_their_case_and_dots(make_site) -> None:
    aliases = ["/News/Story.html", "/news/story.html", "/World/A-Story/", "/2019/05/x.y.z/", "/Old/Case"]
    site = make_site({"content/world/a.md": article("A story", aliases=aliases)})
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0, run.stderr
    out = site / "output"
    for rel in ("News/Story.html", "news/story.html", "World/A-Story/index.html", "2019/05/x.y.z/index.html"):
        assert 'url=/world/a-story/"' in (out / rel).read_text(), rel
    assert 'url=/world/a-story/"' in (out / "Old/Case/index.html").read_text()
    assert "<article" in (out / "world/a-story/index.html").read_text()


def test_on_a_case_blind_file_system_the_article_wins_over_its_case_twin() -> None:
    from broadsheet.outputs import OutputFile
    from broadsheet.pipeline import case_twins

    files = [
        OutputFile("World/A/index.html", "content/world/a.md (alias)", data=b"redirect"),
        OutputFile("world/a/index.html", "content/world/a.md", data=b"article"),
        OutputFile("old/a/index.html", "content/world/a.md (alias)", data=b"redirect"),
    ]
    kept, warned = case_twins(files)
    assert [f.path for f in kept] == ["world/a/index.html", "old/a/index.html"]
    assert len(warned) == 1 and warned[0].path == "content/world/a.md" and "ignores case" in warned[0].message


def front_blocks(page: str) -> dict[str, list[str]]:
    """The story links of each front-page block above the sections, and of each section block."""
    import re

    def links(part: str) -> list[str]:
        return re.findall(r'<a href="(/world/[^"]+|/sport/[^"]+)"', part)

    lead = page.split('class="lead-stories"')[1].split("</section>")[0]
    latest = page.split('class="latest"')[1].split("</section>")[0]
    earlier = page.split('class="most-recent"')[1].split("</aside>")[0] if 'class="most-recent"' in page else ""
    sections = page.split('class="section-block"', 1)[1] if 'class="section-block"' in page else ""
    return {"lead": links(lead), "latest": links(latest), "earlier": links(earlier), "sections": links(sections)}


def test_front_page_shows_each_story_once_above_the_sections(make_site) -> None:
    files = {
        f"content/world/s{i:02}.md": article(f"Story {i:02}", f"2026-11-{i + 1:02}T10:00:00", slug=f"s{i:02}")
        for i in range(20)
    }
    files["content/sport/cup.md"] = article("Cup", "2026-11-02T09:00:00", slug="cup")
    site = make_site(files)
    assert cli(site, "build", "--no-search").returncode == 0
    blocks = front_blocks((site / "output/index.html").read_text())
    above = blocks["lead"] + blocks["latest"] + blocks["earlier"]
    assert len(above) == 4 + 8 + 5 and len(set(above)) == len(above), blocks
    # A section block prefers stories not shown above (s02, s01, s00) and fills its row with the newest.
    assert blocks["sections"] == ["/world/s19/", "/world/s02/", "/world/s01/", "/world/s00/", "/sport/cup/"]


def test_featured_expires_after_featured_until_or_the_site_default(make_site) -> None:
    site = make_site(
        {
            "site.yml": MINIMAL_SITE_YML_WITH("featured_days: 10\n"),
            # the build's time is 2026-11-29T12:00Z
            "content/world/old.md": article("Old lead", "2026-11-01T10:00:00", featured=True),
            "content/world/recent.md": article("Recent lead", "2026-11-25T10:00:00", featured=True),
            "content/world/held.md": article(
                "Held lead", "2026-11-02T10:00:00", featured=True, featured_until="2026-12-01T00:00:00"
            ),
            "content/world/ended.md": article(
                "Ended lead", "2026-11-28T10:00:00", featured=True, featured_until="2026-11-28T12:00:00"
            ),
        }
        | {f"content/world/n{i}.md": article(f"News {i}", f"2026-11-2{i}T09:00:00") for i in range(6)}
    )
    assert cli(site, "build", "--no-search").returncode == 0
    lead = front_blocks((site / "output/index.html").read_text())["lead"]
    assert lead[:2] == ["/world/recent-lead/", "/world/held-lead/"], lead
    assert "/world/old-lead/" not in lead and "/world/ended-lead/" not in lead[:2]


def MINIMAL_SITE_YML_WITH(extra: str) -> str:
    from conftest import MINIMAL_SITE_YML

    return MINIMAL_SITE_YML + extra


def test_a_hand_edited_record_is_still_read(make_site) -> None:
    # Flow style and unquoted values: not the shape the build writes, read as YAML all the same.
    record = "world/a.md: {url: /world/a-new/, moved_from: [/world/a-old/]}\n"
    site = make_site({"content/world/a.md": article("A", slug="a-new"), "content/_permalinks.yml": record})
    run = cli(site, "build", "--no-search")
    assert run.returncode == 0, run.stderr
    assert 'url=/world/a-new/"' in (site / "output/world/a-old/index.html").read_text()
    assert (
        '"world/a.md":\n  url: "/world/a-new/"\n  moved_from:\n    - "/world/a-old/"\n'
        in (site / "content/_permalinks.yml").read_text()
    )


def test_schedule_tells_when_a_featured_story_leaves_the_lead(make_site) -> None:
    site = make_site({"content/world/a.md": article("Lead story", "2026-11-27T10:00:00", featured=True)})
    run = cli(site, "schedule")
    assert run.returncode == 0, run.stderr
    assert "2026-12-04T10:00:00+00:00  content/world/a.md  no longer featured: Lead story" in run.stdout
    assert cli(site, "schedule", "--format", "iso").stdout.strip() == "2026-12-04T10:00:00+00:00"


def test_featured_days_must_be_a_positive_number(make_site) -> None:
    site = make_site({"site.yml": MINIMAL_SITE_YML_WITH("featured_days: 0\n"), "content/world/a.md": article("A")})
    run = cli(site, "build", "--no-search")
    assert run.returncode == 1
    assert "site.yml:11: featured_days must be a positive number of days" in run.stderr, run.stderr
