"""Drafts, embargoes and expiry reach no output at all; aliases redirect; builds are reproducible;
``new`` starts a complete draft."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, article, build_errors, read, run_build
from publishing_helpers import all_output_text

from broadsheet.cli import main
from broadsheet.content.frontmatter import ARTICLE_KEYS
from broadsheet.publish.search import find_pagefind

HIDDEN = {
    # file: (front matter, words that only this article uses: title, slug, tag, alias, body)
    "content/world/draft.md": (
        article(
            "Zebra crossing plan",
            body="Quokka sightings.",
            draft=True,
            tags=["Zebratag"],
            aliases=["/old/zebra/"],
            related=["live-story"],
        ),
        ("Zebra", "zebra-crossing-plan", "zebratag", "Quokka", "/old/zebra/"),
    ),
    "content/sport/future.md": (
        article(
            "Narwhal cup final",
            date="2027-01-02T09:00:00",
            body="Axolotl goal.",
            tags=["Narwhaltag"],
            aliases=["/old/narwhal/"],
        ),
        ("Narwhal", "narwhal-cup-final", "narwhaltag", "Axolotl", "/old/narwhal/"),
    ),
    "content/world/expired.md": (
        article(
            "Pangolin recall notice",
            date="2026-10-02T09:00:00",
            expires="2026-11-01",
            body="Okapi stock.",
            tags=["Pangolintag"],
            aliases=["/old/pangolin/"],
        ),
        ("Pangolin", "pangolin-recall-notice", "pangolintag", "Okapi", "/old/pangolin/"),
    ),
}


def everything(output: Path) -> str:
    """All output text, with Pagefind's compressed index files opened up as well."""
    text = all_output_text(output)
    for f in (output / "pagefind").rglob("*.pf_*") if (output / "pagefind").is_dir() else ():
        text += gzip.decompress(f.read_bytes()).decode("utf-8", "replace")
    return text


def hidden_site(make_site) -> Path:
    files: dict[str, str | bytes] = {path: fm for path, (fm, _) in HIDDEN.items()}
    files["content/world/live.md"] = article(
        "Live story", tags=["Common"], body="Published words.", related=["zebra-crossing-plan"]
    )
    return make_site(files)


def test_unpublished_articles_appear_nowhere(make_site) -> None:
    site = hidden_site(make_site)
    run_build(site)
    out = site / "output"
    text = everything(out)
    assert "Live story" in text and "Published words" in text
    if find_pagefind() is not None:
        assert (out / "pagefind").is_dir()
    for _, words in HIDDEN.values():
        for word in words:
            assert word.casefold() not in text.casefold(), word
    paths = "\n".join(p.relative_to(out).as_posix() for p in out.rglob("*"))
    for _, words in HIDDEN.values():
        assert words[1] not in paths and words[2] not in paths and "old/" not in paths
    # Neither the October archive month (only the expired story) nor 2027 exist.
    assert not (out / "archive/2026/10").exists() and not (out / "archive/2027").exists()


def test_drafts_and_future_shown_when_asked_but_never_expired(make_site) -> None:
    site = hidden_site(make_site)
    run_build(site, drafts=True, future=True)
    text = everything(site / "output")
    for word in ("Zebra", "Quokka", "Narwhal", "Axolotl"):
        assert word in text
    assert "Pangolin" not in text and "Okapi" not in text
    feed = read(site, "feed.xml")
    assert "Zebra crossing plan" in feed and "Narwhal cup final" in feed
    assert "/old/zebra/" not in read(site, "sitemap.xml")


class Redirect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refresh: str | None = None
        self.canonical: str | None = None
        self.robots: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            self.refresh = a.get("content")
        elif tag == "meta" and a.get("name") == "robots":
            self.robots = a.get("content")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")


def test_aliases_redirect_with_refresh_and_canonical(make_site) -> None:
    aliases = ["/2019/05/flood.html", "/old/flood/", "/older/flood"]
    site = make_site({"content/world/a.md": article("Flood story", aliases=aliases)})
    result = run_build(site)
    assert not (site / "output/older/flood").is_file()  # no extension: it would download, not redirect
    for rel in ("2019/05/flood.html", "old/flood/index.html", "older/flood/index.html"):
        page = Redirect()
        page.feed(read(site, rel))
        assert page.refresh == "0; url=/world/flood-story/"
        assert page.canonical == "https://news.example.org/world/flood-story/"
        assert page.robots == "noindex"
    assert not [w for w in result.warnings if "link" in w.message]


def test_alias_onto_another_article_is_an_error_naming_both(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("Alpha", aliases=["/world/beta/"]),
            "content/world/b.md": article("Beta"),
        }
    )
    errors = build_errors(site)
    clash = [e for e in errors if "world/beta/index.html" in e]
    assert len(clash) == 1
    assert "content/world/a.md" in clash[0] and "content/world/b.md" in clash[0]


def test_alias_onto_a_generated_file_is_an_error(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha", aliases=["/archive/"])})
    [error] = build_errors(site)
    assert "archive/index.html" in error and "content/world/a.md" in error


def test_reproducible_with_source_date_epoch(make_site, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
    site = make_site(
        {
            "content/world/a.md": article("Alpha", tags=["X"], image="/img/a.jpg", aliases=["/old/a/"]),
            "content/sport/b.md": article("Beta", tags=["X"], date="2026-11-28T10:00:00"),
            "content/pages/about.md": "---\ntitle: About\n---\nUs.",
            "static/img/a.jpg": b"\xff\xd8\xff",
        }
    )
    one, two = site.parent / "one", site.parent / "two"
    run_build(site, now=None, output=one)
    run_build(site, now=None, output=two)

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    first, second = files(one), files(two)
    assert first.keys() == second.keys() and len(first) > 20
    different = [name for name in first if first[name] != second[name]]
    assert different == []


@pytest.fixture
def tokyo_site(make_site) -> Path:
    return make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntimezone: Asia/Tokyo\ndefault_author: Desk\n"
            "categories: [{name: World}, {name: Local News}]\n",
        }
    )


def test_new_writes_a_complete_draft_and_prints_its_path(tokyo_site, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tokyo_site)
    title = "Mayor: 'no' to the bridge"
    assert main(["new", title, "--category", "Local News", "--source", str(tokyo_site)]) == 0
    printed = capsys.readouterr().out.strip()
    path = tokyo_site / "content/local-news/mayor-no-to-the-bridge.md"
    assert Path(printed).resolve() == path and path.is_file()
    text = path.read_text(encoding="utf-8")
    assert "draft: true" in text
    for key in (
        "title",
        "date",
        "author",
        "category",
        "tags",
        "summary",
        "image",
        "image_alt",
        "image_caption",
        "source",
        "source_url",
        "featured",
        "draft",
    ):
        assert f"{key}:" in text, key
    assert set(ARTICLE_KEYS) >= {
        line.lstrip("# ").split(":")[0] for line in text.split("---")[1].splitlines() if ":" in line
    }
    date_line = next(line for line in text.splitlines() if line.startswith("date: "))
    written = datetime.fromisoformat(date_line.removeprefix("date: "))
    assert written.tzinfo is None  # no offset: it is read in the site's time zone
    tokyo_now = datetime.now(ZoneInfo("Asia/Tokyo")).replace(tzinfo=None)
    assert abs(tokyo_now - written) < timedelta(minutes=2)
    # The template parses and builds: hidden as a draft, shown with --drafts.
    result = run_build(tokyo_site, now=None)
    assert not result.loaded.site.articles
    result = run_build(tokyo_site, now=None, drafts=True)
    [story] = result.loaded.site.articles
    assert story.title == title and story.category.name == "Local News"
    assert [a.name for a in story.authors] == ["Desk"]


def test_new_refuses_to_overwrite(tokyo_site, capsys) -> None:
    assert main(["new", "Same headline", "--source", str(tokyo_site)]) == 0
    path = tokyo_site / "content/world/same-headline.md"
    path.write_text("my edits", encoding="utf-8")
    capsys.readouterr()
    assert main(["new", "Same headline", "--source", str(tokyo_site)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "my edits"


def test_theme_without_archive_or_search_templates_still_builds(make_site) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntheme: bare\n",
            "themes/bare/templates/article.html": "{{ article.title }}",
            "themes/bare/templates/index.html": "home",
            "themes/bare/templates/list.html": "list",
            "themes/bare/templates/404.html": "404",
            "themes/bare/templates/alias.html": "alias",
            "content/world/a.md": article("Alpha"),
        }
    )
    result = run_build(site)
    out = site / "output"
    assert (out / "world/alpha/index.html").is_file() and (out / "feed.xml").is_file()
    assert not (out / "archive").exists() and not (out / "search").exists()
    assert not result.warnings
