"""A whole small site built for real: pages exist where SPEC.md says, with the right content."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import article, read, run_build


def test_article_category_tag_author_pages(make_site) -> None:
    site = make_site(
        {
            "content/world/flood.md": article("Flood hits Millbrook", tags=["Floods", "Corran"], author="ana"),
            "content/sport/cup.md": article("Cup run ends", date="2026-11-21"),
            "content/pages/about.md": "---\ntitle: About us\n---\n\nWe are a newspaper.\n",
        }
    )
    run_build(site)
    out = site / "output"
    assert (out / "world/flood-hits-millbrook/index.html").is_file()
    assert (out / "sport/cup-run-ends/index.html").is_file()
    assert (out / "category/world/index.html").is_file()
    assert (out / "tag/floods/index.html").is_file()
    assert (out / "author/ana/index.html").is_file()
    assert (out / "about/index.html").is_file()
    assert (out / "404.html").is_file()
    page = read(site, "world/flood-hits-millbrook/index.html")
    assert "Flood hits Millbrook" in page
    assert 'href="/author/ana/"' in page and "Ana Lima" in page
    assert 'href="/tag/floods/"' in page


def test_newest_first_and_pagination(make_site) -> None:
    files = {f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-{10 + i}") for i in range(5)}
    site = make_site(files)
    run_build(site)
    first = read(site, "category/world/index.html")
    assert first.index("Story 4") < first.index("Story 3")
    assert "Story 2" not in first  # per_page: 2
    assert "Story 2" in read(site, "category/world/page/2/index.html")
    assert "Story 0" in read(site, "category/world/page/3/index.html")
    assert not (site / "output/category/world/page/4").exists()
    assert "Story 2" in read(site, "page/2/index.html")


def test_category_from_front_matter_beats_folder(make_site) -> None:
    site = make_site({"content/misc/x.md": article("Match report", category="Sport")})
    run_build(site)
    assert (site / "output/sport/match-report/index.html").is_file()


def test_drafts_future_and_expired_left_out_unless_asked(make_site) -> None:
    site = make_site(
        {
            "content/world/draft.md": article("Secret draft", draft=True),
            "content/world/future.md": article("Embargoed story", date="2027-01-01T09:00:00"),
            "content/world/old.md": article("Expired story", expires="2026-11-01"),
            "content/world/ok.md": article("Published story"),
        }
    )
    run_build(site)
    out = site / "output"
    every_page = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "Published story" in every_page
    for hidden in ("Secret draft", "Embargoed story", "Expired story"):
        assert hidden not in every_page
    run_build(site, drafts=True, future=True)
    every_page = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "Secret draft" in every_page and "Embargoed story" in every_page
    assert "Expired story" not in every_page


def test_unicode_title_transliterated_slug(make_site) -> None:
    site = make_site({"content/world/l.md": article("Łódź mayor visits Kraków")})
    run_build(site)
    assert (site / "output/world/lodz-mayor-visits-krakow/index.html").is_file()


def test_ignored_files_are_not_content(make_site) -> None:
    site = make_site(
        {
            "content/world/ok.md": article("Kept"),
            "content/world/.hidden.md": article("Hidden file"),
            "content/world/_partial.md": article("Underscore file"),
            "content/_drafts/x.md": article("Underscore folder"),
            "content/world/ok.md~": article("Backup file"),
            "content/world/.ok.md.swp": "binary junk",
            "content/world/4913": "vim probe",
        }
    )
    run_build(site)
    every_page = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    assert "Kept" in every_page
    for name in ("Hidden file", "Underscore file", "Underscore folder", "Backup file"):
        assert name not in every_page


def test_bom_and_crlf_read_like_any_other(make_site) -> None:
    text = article("Windows file", body="First para.\n\n## Sub\n\nSecond.").replace("\n", "\r\n")
    site = make_site({"content/world/w.md": "\ufeff".encode() + text.encode()})
    run_build(site)
    page = read(site, "world/windows-file/index.html")
    assert "Windows file" in page and '<h2 id="sub">Sub</h2>' in page


def test_summary_defaults_to_first_paragraph_cut_at_word(make_site) -> None:
    long = " ".join(["word"] * 200)
    site = make_site({"content/world/s.md": article("Summary test", body=long + "\n\nSecond paragraph.")})
    result = run_build(site)
    summary = result.loaded.site.articles[0].summary
    assert summary.endswith("…") and len(summary) <= 241 and "Second" not in summary
    assert not summary[:-1].endswith(" wor")


def test_related_section_markup(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("Alpha story", tags=["X"]),
            "content/world/b.md": article("Beta story", tags=["X"], date="2026-11-21"),
        }
    )
    run_build(site)
    page = read(site, "world/alpha-story/index.html")
    assert '<section class="related"' in page
    related = page.split('<section class="related"')[1].split("</section>")[0]
    assert 'href="/world/beta-story/"' in related
    assert 'href="/world/alpha-story/"' not in related


def test_second_build_keeps_unchanged_files(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha")})
    first = run_build(site)
    assert first.stats and first.stats.written > 0
    page = site / "output/world/alpha/index.html"
    mtime = page.stat().st_mtime_ns
    second = run_build(site)
    assert second.stats and second.stats.written == 0 and second.stats.removed == 0
    assert page.stat().st_mtime_ns == mtime


def test_stale_files_removed_but_foreign_files_kept(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha"), "content/world/b.md": article("Beta")})
    run_build(site)
    (site / "output/CNAME").write_text("news.example.org")
    (site / "output/.git").mkdir()
    (site / "content/world/b.md").unlink()
    result = run_build(site)
    assert result.stats and result.stats.removed > 0
    assert not (site / "output/world/beta").exists()
    assert (site / "output/CNAME").is_file() and (site / "output/.git").is_dir()


def test_theme_override_in_site_themes(make_site) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntheme: mine\n",
            "themes/mine/theme.yml": "name: mine\nextends: frontier\n",
            "themes/mine/templates/page.html": "CUSTOM {{ page.title }}",
            "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
            "content/world/a.md": article("Alpha"),
        }
    )
    run_build(site)
    assert read(site, "about/index.html") == "CUSTOM About"
    assert "Alpha" in read(site, "world/alpha/index.html")  # inherited from frontier


def test_metadata_is_escaped(make_site) -> None:
    site = make_site({"content/world/x.md": article("<script>alert(1)</script> & co", tags=["<b>t</b>"])})
    run_build(site)
    page = read(site, "world/script-alert-1-script-co/index.html")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_repository_example_builds(tmp_path: Path) -> None:
    from conftest import REPO

    result = run_build(REPO, output=tmp_path / "out")
    assert len(result.loaded.site.articles) >= 20
    assert len({a.category.slug for a in result.loaded.site.articles}) >= 6
    assert not result.warnings, [w.format() for w in result.warnings]


def test_generated_corpus_builds_every_article_at_category_slug(tmp_path: Path) -> None:
    """The benchmark corpus (60 articles) with a 3-line site.yml: every article where SPEC.md says."""
    import re
    import subprocess
    import sys

    from conftest import REPO

    site = tmp_path / "corpus"
    subprocess.run([sys.executable, str(REPO / "bench/gen_corpus.py"), "60", str(site / "content")], check=True)
    (site / "site.yml").write_text("title: Corpus\nbase_url: https://corpus.example/\ntimezone: UTC\n")
    result = run_build(site)
    assert len(result.loaded.site.articles) == 60
    for md in (site / "content").rglob("*.md"):
        slug = re.search(r"^slug: (.+)$", md.read_text(), re.M).group(1)  # type: ignore[union-attr]
        assert (site / "output" / md.parent.name / slug / "index.html").is_file(), md


def test_a_build_collects_garbage_in_larger_batches_and_restores_the_collector(make_site) -> None:
    import gc

    from broadsheet.errors import BuildFailed
    from broadsheet.pipeline import BUILD_GC_THRESHOLDS

    site = make_site({"content/world/a.md": article("A story", body="The first words.")})
    before = gc.get_threshold()
    assert gc.isenabled()
    during: list[tuple[str, tuple[int, int, int], bool]] = []

    def watch(stage: str, done: int, total: int) -> None:
        during.append((stage, gc.get_threshold(), gc.isenabled()))

    run_build(site, progress=watch)
    assert during and {t for _, t, _ in during} == {BUILD_GC_THRESHOLDS} != {before}
    # Off while the site loads, on again while a full build renders it.
    assert {on for stage, _, on in during if stage == "Parsing"} == {False}
    assert {on for stage, _, on in during if stage == "Rendering"} == {True}
    assert gc.get_threshold() == before and gc.isenabled()
    # A build resumed from the kept plan renders a few pages and stays without.
    md = site / "content/world/a.md"
    md.write_text(md.read_text(encoding="utf-8").replace("The first words.", "Other words."), encoding="utf-8")
    during.clear()
    result = run_build(site, progress=watch)
    assert result.pages_rendered and {on for stage, _, on in during if stage == "Rendering"} == {False}
    assert gc.get_threshold() == before and gc.isenabled()
    (site / "content/world/b.md").write_text("---\ntitle: [unclosed\n---\nBody\n", encoding="utf-8")
    with pytest.raises(BuildFailed):
        run_build(site)
    assert gc.get_threshold() == before and gc.isenabled()  # a failed build restores it too
