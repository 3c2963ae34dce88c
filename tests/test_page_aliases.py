"""Content pages' ``aliases``: redirects at their old URLs, in builds and in the live preview, with
the same checks and errors as articles' aliases."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NOW, article, build_errors, read, run_build, write_site

from broadsheet.pipeline import BuildOptions
from broadsheet.serve.preview import IncrementalSite
from broadsheet.urls import output_path


def page(title: str, aliases: list[str], body: str = "We report.") -> str:
    listed = ", ".join(aliases)
    return f"---\ntitle: {title}\naliases: [{listed}]\n---\n{body}\n"


def test_page_aliases_redirect_to_the_page(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("Flood story"),
            "content/pages/contact.md": page("Contact us", ["/about/contact/", "/contact.html", "/old-contact"]),
        }
    )
    result = run_build(site)
    assert "We report." in read(site, "contact/index.html")
    for rel in ("about/contact/index.html", "contact.html", "old-contact/index.html"):
        html = read(site, rel)
        assert 'content="0; url=/contact/"' in html
        assert '<link rel="canonical" href="https://news.example.org/contact/">' in html
        assert '<meta name="robots" content="noindex">' in html
        assert "This page has moved" in html
    assert "This story has moved" not in read(site, "contact.html")
    sitemap = read(site, "sitemap.xml")
    assert "/contact/</loc>" in sitemap and "about/contact" not in sitemap and "contact.html" not in sitemap
    assert not [w for w in result.warnings if "link" in w.message]


def test_page_alias_onto_an_article_is_the_same_error_as_an_articles(make_site) -> None:
    site = make_site(
        {
            "content/world/beta.md": article("Beta"),
            "content/pages/about.md": page("About", ["/world/beta/"]),
        }
    )
    [error] = build_errors(site)
    assert "two sources write 'world/beta/index.html'" in error
    assert "content/pages/about.md (alias)" in error and "content/world/beta.md" in error
    assert "give one of them another slug, category or alias" in error


def test_page_alias_onto_another_page_or_a_generated_file_is_an_error(make_site) -> None:
    site = make_site(
        {
            "content/pages/about.md": page("About", ["/contact/", "/archive/"]),
            "content/pages/contact.md": "---\ntitle: Contact\n---\nWrite.\n",
        }
    )
    errors = build_errors(site)
    assert any("contact/index.html" in e and "content/pages/contact.md" in e for e in errors), errors
    assert any("archive/index.html" in e and "content/pages/about.md" in e for e in errors), errors


@pytest.mark.parametrize("alias", ["/../x/", "//evil.example/", "relative/"])
def test_page_aliases_that_leave_the_output_are_errors_with_their_line(make_site, alias: str) -> None:
    site = make_site({"content/pages/about.md": page("About", [alias])})
    [message] = build_errors(site)
    assert message.startswith("content/pages/about.md:3"), message
    assert "write aliases as site paths like /old/story-name/" in message


def test_the_preview_serves_page_aliases_and_follows_edits(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {
            "content/world/a.md": article("Flood story"),
            "content/pages/contact.md": page("Contact us", ["/about/contact/"]),
        },
    )
    live = IncrementalSite(BuildOptions(source=site, now=NOW))
    assert live.load().ok
    assert b'content="0; url=/contact/"' in live.pages["/about/contact/"]

    (site / "content/pages/contact.md").write_text(page("Contact us", ["/reach-us/"]), encoding="utf-8")
    result = live.update([site / "content/pages/contact.md"])
    assert result.ok, [e.format() for e in result.errors]
    assert "/about/contact/" not in live.pages
    assert b'content="0; url=/contact/"' in live.pages["/reach-us/"]

    # The preview's pages are a full build's.
    run_build(site, search=False)
    built = {p.relative_to(site / "output").as_posix() for p in (site / "output").rglob("*.html")}
    assert {output_path(u) for u in live.pages if output_path(u).endswith(".html")} == built
    assert live.pages["/reach-us/"] == (site / "output/reach-us/index.html").read_bytes()


def test_a_rebuild_follows_edited_page_aliases(make_site) -> None:
    """With the build cache: a changed alias moves the redirect, the old one is removed."""
    site = make_site({"content/pages/about.md": page("About", ["/who-we-are/"])})
    run_build(site, search=False)
    assert 'url=/about/"' in read(site, "who-we-are/index.html")
    (site / "content/pages/about.md").write_text(page("About the Ledger", ["/team/"]), encoding="utf-8")
    run_build(site, search=False)
    assert not (site / "output/who-we-are").exists()
    assert "<title>About the Ledger</title>" in read(site, "team/index.html")


def test_page_aliases_follow_a_sub_path(make_site) -> None:
    site = make_site({"content/pages/about.md": page("About", ["/who-we-are/"])})
    run_build(site, search=False, base_url="https://you.github.io/news/")
    html = read(site, "who-we-are/index.html")
    assert 'content="0; url=/news/about/"' in html
    assert '<link rel="canonical" href="https://you.github.io/news/about/">' in html
