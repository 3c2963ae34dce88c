"""build.py import: WordPress exports, Jekyll and Hugo sites into a Broadsheet site that builds.

The archives are small but complete fixtures under tests/importers/. Each test imports into a
fresh folder under tmp_path, reads the files written, then builds the site for real and reads
its output (redirect pages at the old URLs, drafts and expired posts left out).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_build

from broadsheet.importers import ImportFailed, ImportOptions, run_import
from broadsheet.importers.common import parse_loose_date
from broadsheet.importers.convert import embed_for_url

FIXTURES = Path(__file__).resolve().parent / "importers"
WXR = FIXTURES / "wordpress" / "export.xml"
UPLOADS = FIXTURES / "wordpress" / "uploads"


def front(path: Path) -> tuple[dict[str, object], str]:
    """A written content file's front matter (as Broadsheet's own loader would see it) and body."""
    text = path.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.load(head, Loader=yaml.BaseLoader), body  # BaseLoader: every value as the string written


def built(site: Path, rel: str) -> str:
    return (site / "output" / rel).read_text(encoding="utf-8")


def warnings_of(report) -> str:
    return "\n".join(f"{where}: {message}" for where, message in report.warnings)


# ------------------------------------------------------------------ dates and embeds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-03-17 14:00:00 -4", datetime(2015, 3, 17, 14, 0, tzinfo=timezone(timedelta(hours=-4)))),
        ("2015-03-17 14:00:00 -0400", datetime(2015, 3, 17, 14, 0, tzinfo=timezone(timedelta(hours=-4)))),
        ("2015-03-17 14:00 +05:30", datetime(2015, 3, 17, 14, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("2015-03-17T14:00:00Z", datetime(2015, 3, 17, 14, 0, tzinfo=UTC)),
        ("2015-03-17 14:00:00", datetime(2015, 3, 17, 14, 0)),
        ("2015-3-7", date(2015, 3, 7)),
        ("Tue, 17 Mar 2015 14:00:00 -0400", datetime(2015, 3, 17, 14, 0, tzinfo=timezone(timedelta(hours=-4)))),
        (date(2015, 3, 17), date(2015, 3, 17)),
        ("2015-02-30", None),
        ("next tuesday", None),
        (42, None),
    ],
)
def test_loose_dates(value: object, expected: object) -> None:
    assert parse_loose_date(value) == expected


def test_media_urls_become_shortcodes() -> None:
    assert embed_for_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3") == '{{< youtube "dQw4w9WgXcQ" >}}'
    assert embed_for_url("https://youtu.be/dQw4w9WgXcQ") == '{{< youtube "dQw4w9WgXcQ" >}}'
    assert embed_for_url("https://vimeo.com/76979871") == '{{< vimeo "76979871" >}}'
    assert embed_for_url("https://mastodon.social/@ed/1234") == '{{< social url="https://mastodon.social/@ed/1234" >}}'
    assert embed_for_url("https://example.com/page") is None


# ------------------------------------------------------------------ WordPress


@pytest.fixture
def wp_site(tmp_path: Path):
    site = tmp_path / "ledger"
    report = run_import("wordpress", WXR, site)
    return site, report


def test_wordpress_posts_pages_and_what_is_left_out(wp_site) -> None:
    site, report = wp_site
    assert sorted(report.articles) == [
        "content/local/inside-story.md",
        "content/local/river-corran-floods.md",
        "content/news/cafe-reopens.md",
        "content/politics/council-budget-what-we-know.md",
        "content/politics/election-night-live.md",
    ]
    assert report.pages == ["content/pages/about.md", "content/pages/contact.md"]
    skipped = dict(report.skipped)
    assert skipped["export.xml:176 (post 'Old news we binned')"] == "status 'trash'"
    assert "is not content" in skipped["export.xml:204 (nav_menu_item 'Home')"]
    fm, body = front(site / "content/local/river-corran-floods.md")
    assert fm["title"] == "River Corran floods the high street"
    assert fm["date"] == "2026-05-14T09:30:00+01:00"  # local time with the offset WordPress knew
    assert fm["updated"] == "2026-05-15T10:00:00+01:00"
    assert fm["author"] == "Maria Hale"
    assert fm["category"] == "Local"
    assert fm["tags"] == ["Weather", "Floods"]  # a second category becomes a tag
    assert fm["summary"] == "Shops closed as the river rose."
    assert fm["featured"] == "true"  # sticky
    assert fm["image"] == "https://ledger.example.com/wp-content/uploads/2026/05/flood.jpg"
    assert fm["image_alt"] == "Water in the high street"
    assert fm["aliases"] == ["/2026/05/14/river-corran-floods/", "/2026/05/14/corran-floods-draft/"]
    # HTML kept, paragraphs made explicit (so Markdown changes nothing inside), shortcodes mapped.
    assert '<p>Residents said the warning came late.<br>\n"We had twenty minutes," said one.</p>' in body
    assert '{{< figure src="https://ledger.example.com/wp-content/uploads/2026/05/flood-640x427.jpg"' in body
    assert 'The high street at 9am. Photo: <a href="https://ledger.example.com/staff/">Ledger staff</a>' in body
    assert '{{< youtube "dQw4w9WgXcQ" >}}' in body and '{{< vimeo "76979871" >}}' in body
    assert "![Sandbags at a door](https://ledger.example.com/wp-content/uploads/2026/05/sandbags.jpg)" in body
    assert '{{< audio src="https://ledger.example.com/wp-content/uploads/2026/05/interview.mp3" >}}' in body
    assert "<p>The council [sic] met at noon.</p>" in body  # not a shortcode
    assert "<pre>code   with\n\nblank line</pre>" in body
    assert "<!-- not converted: [contact-form-7" in body
    assert "export.xml:48: WordPress shortcode [contact-form-7] has no Broadsheet equivalent" in warnings_of(report)
    assert front(site / "content/politics/council-budget-what-we-know.md")[0]["draft"] == "true"
    assert front(site / "content/local/inside-story.md")[0]["draft"] == "true"  # password-protected
    assert "password-protected" in warnings_of(report)
    cafe, cafe_body = front(site / "content/news/cafe-reopens.md")
    assert cafe["aliases"] == ["/2026/03/01/café-reopens/"]
    # A link to one of the old site's posts now points at its new address; other old links stay.
    assert '<a href="/local/river-corran-floods/">dry again</a>' in cafe_body
    assert 'href="https://ledger.example.com/staff/"' in body
    site_yml = yaml.safe_load((site / "site.yml").read_text(encoding="utf-8"))
    assert site_yml["title"] == "The Valley Ledger" and site_yml["base_url"] == "https://ledger.example.com/"
    assert site_yml["authors"]["maria-hale"] == {"name": "Maria Hale"}
    assert {"name": "Local"} in site_yml["categories"]


def test_wordpress_import_builds_with_redirects_and_leaves_drafts_and_scheduled_posts_out(wp_site) -> None:
    site, _ = wp_site
    result = run_build(site, search=False)
    assert not [w for w in result.warnings if "error" in w.format().lower()]
    assert "River Corran floods" in built(site, "local/river-corran-floods/index.html")
    redirect = built(site, "2026/05/14/river-corran-floods/index.html")
    assert 'content="0; url=/local/river-corran-floods/"' in redirect
    assert 'url=/local/river-corran-floods/"' in built(site, "2026/05/14/corran-floods-draft/index.html")
    assert 'url=/news/cafe-reopens/"' in built(site, "2026/03/01/café-reopens/index.html")
    assert not (site / "output/politics/council-budget-what-we-know").exists()  # draft
    assert not (site / "output/politics/election-night-live").exists()  # scheduled for 2030
    assert not (site / "output/local/inside-story").exists()  # password-protected: a draft
    page = built(site, "local/river-corran-floods/index.html")
    assert "youtube-nocookie.com/embed/dQw4w9WgXcQ" in page and '<figure class="gallery"' in page
    assert "Founded in 1902." in built(site, "about/index.html")


def test_wordpress_child_page_redirects_from_its_old_hierarchical_url(wp_site) -> None:
    """A page under a parent page (/about/contact/) is written at /contact/ with its old URL as an alias."""
    site, report = wp_site
    fm, _body = front(site / "content/pages/contact.md")
    assert fm["aliases"] == ["/about/contact/"]
    assert "aliases" not in front(site / "content/pages/about.md")[0]  # /about/ is still its address
    assert "Contact the newsroom" not in warnings_of(report)
    run_build(site, search=False)
    assert "1 Mill Lane" in built(site, "contact/index.html")
    redirect = built(site, "about/contact/index.html")
    assert 'content="0; url=/contact/"' in redirect
    assert 'href="https://ledger.example.com/contact/"' in redirect  # canonical
    assert "This page has moved" in redirect


def test_wordpress_images_from_a_local_uploads_folder(tmp_path: Path) -> None:
    site = tmp_path / "ledger"
    report = run_import("wordpress", WXR, site, ImportOptions(uploads=UPLOADS))
    assert report.copied == 4
    for name in ("flood.jpg", "flood-640x427.jpg", "sandbags.jpg", "interview.mp3"):
        assert (site / "static/wp-content/uploads/2026/05" / name).read_bytes() == (
            UPLOADS / "2026/05" / name
        ).read_bytes()
    fm, body = front(site / "content/local/river-corran-floods.md")
    assert fm["image"] == "/wp-content/uploads/2026/05/flood.jpg"
    assert "https://ledger.example.com/wp-content" not in body
    result = run_build(site, search=False)
    assert not [w for w in result.warnings if "wp-content" in w.format()]  # every image is in the site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def uploads_server(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on loopback serving the fixture's uploads as the old site's /wp-content/uploads/."""
    root = tmp_path / "served"
    shutil.copytree(UPLOADS, root / "wp-content/uploads")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_wordpress_images_downloaded(tmp_path: Path, uploads_server: str) -> None:
    export = tmp_path / "export.xml"
    text = WXR.read_text(encoding="utf-8").replace(
        "https://ledger.example.com/wp-content", f"{uploads_server}/wp-content"
    )
    # One image the old server no longer has: reported, its URL kept.
    text = text.replace("2026/05/sandbags.jpg", "2026/05/gone.jpg")
    export.write_text(text, encoding="utf-8")
    report = run_import("wordpress", export, tmp_path / "site", ImportOptions(download_images=True))
    static = tmp_path / "site/static/wp-content/uploads/2026/05"
    assert (static / "flood.jpg").read_bytes() == (UPLOADS / "2026/05/flood.jpg").read_bytes()
    assert (static / "interview.mp3").read_bytes() == (UPLOADS / "2026/05/interview.mp3").read_bytes()
    assert not (static / "gone.jpg").exists()
    assert "could not download" in warnings_of(report) and "gone.jpg" in warnings_of(report)
    fm, body = front(tmp_path / "site/content/local/river-corran-floods.md")
    assert fm["image"] == "/wp-content/uploads/2026/05/flood.jpg"
    assert f"{uploads_server}/wp-content/uploads/2026/05/gone.jpg" in body


def test_imports_never_overwrite(tmp_path: Path) -> None:
    site = tmp_path / "ledger"
    mine = site / "content/local/river-corran-floods.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("---\ntitle: Mine\ndate: 2026-01-01\n---\nMy own text.\n", encoding="utf-8")
    report = run_import("wordpress", WXR, site)
    assert mine.read_text(encoding="utf-8").endswith("My own text.\n")
    assert (
        "export.xml:24 (post 'River Corran floods the high street')",
        "content/local/river-corran-floods.md exists (imports never overwrite)",
    ) in report.skipped
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    again = run_import("wordpress", WXR, site)
    assert again.articles == [] and again.pages == []
    assert sum("exists (imports never overwrite)" in reason for _, reason in again.skipped) == 7
    after = {p: p.read_bytes() for p in site.rglob("*") if p.is_file() and p.name != "site.imported.yml"}
    assert after == before
    # site.yml is the user's: what the import found goes beside it.
    assert "Maria Hale" in (site / "site.imported.yml").read_text(encoding="utf-8")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    report = run_import("wordpress", WXR, tmp_path / "site", ImportOptions(dry_run=True))
    assert len(report.articles) == 5
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("xml", "needle"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            "<rss><channel><title>&lol2;</title></channel></rss>",
            "refused",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss><channel><title>&xxe;</title></channel></rss>',
            "refused",
        ),
        ('<?xml version="1.0"?>\n<rss>\n<channel>\n<item>\n</channel></rss>', "bad.xml:5: not well-formed XML"),
        ('<?xml version="1.0"?><rss><channel><title>A feed</title></channel></rss>', "not a WordPress export"),
    ],
)
def test_hostile_or_wrong_xml_is_refused_clearly(tmp_path: Path, xml: str, needle: str) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(xml, encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        run_import("wordpress", bad, tmp_path / "site")
    assert needle in str(failed.value)
    assert not (tmp_path / "site").exists()


def test_cli_import_prints_the_summary_and_fails_clearly(tmp_path: Path) -> None:
    cmd = [sys.executable, str(REPO / "build.py"), "import", "wordpress", str(WXR), "--source", str(tmp_path / "s")]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Imported 5 article(s) and 2 page(s); skipped 2; 3 warnings;")
    assert "export.xml:48: WordPress shortcode [contact-form-7]" in done.stdout
    missing = [
        sys.executable,
        str(REPO / "build.py"),
        "import",
        "hugo",
        str(tmp_path / "nope"),
        "--source",
        str(tmp_path),
    ]
    done = subprocess.run(missing, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "no such folder" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------ Jekyll


def test_jekyll_posts_dates_categories_liquid_and_redirects(tmp_path: Path) -> None:
    site = tmp_path / "harbour"
    report = run_import("jekyll", FIXTURES / "jekyll", site)
    fm, body = front(site / "content/transport/ferry-timetable-changes.md")
    assert fm["date"] == "2015-03-17T14:00:00-04:00"  # Ruby-style "-4"
    assert fm["author"] == "Jane Doe"  # from _data/authors.yml
    assert fm["category"] == "Transport" and fm["tags"] == ["ferry", "timetable", "Harbour"]
    assert fm["summary"] == "The 7:15 sailing moves to 7:45 from April."
    assert fm["image"] == "/assets/img/ferry.png" and fm["image_alt"] == "The ferry at the pier"
    assert fm["aliases"] == [
        "/transport/harbour/2015/03/17/ferry-timetable-changes.html",
        "/ferry-changes/",
        "/2015/03/ferry.html",
    ]
    assert '```ruby\nputs "ferry"\n```' in body
    assert "[last year's story](/harbour/new-ferry-named/)" in body  # post_url resolved
    assert "![map](/assets/img/map.png)" in body  # {{ site.baseurl }} gone
    assert '{{< youtube "dQw4w9WgXcQ" >}}' in body
    assert "Liquid like {{ this }} stays as written." in body and "editor note" not in body
    warnings = warnings_of(report)
    assert "_posts/2015-03-17-ferry-timetable-changes.md:33: Liquid include 'newsletter-signup.html'" in warnings
    fm2, _ = front(site / "content/harbour/new-ferry-named.md")
    assert fm2["date"] == "2014-11-02" and fm2["author"] == "Sam Reyes"  # date from the file name, author: {name:}
    assert front(site / "content/news/unpublished-thoughts.md")[0]["draft"] == "true"  # published: false
    assert front(site / "content/news/council-preview.md")[0]["draft"] == "true"  # _drafts
    assert front(site / "content/sport/regatta-results.md")[0]["category"] == "sport"  # from the folder
    skipped = dict(report.skipped)
    assert "does not exist" in skipped["_posts/2016-02-30-bad-date.md"]
    assert "must start with its date" in skipped["_posts/no-date-here.md"]
    assert "index.html" not in skipped and report.pages == ["content/pages/about.md"]
    assert (site / "static/assets/img/ferry.png").is_file()
    assert yaml.safe_load((site / "site.yml").read_text(encoding="utf-8"))["timezone"] == "America/Halifax"
    assert report.dropped_keys["layout"] == 3

    fireworks = front(site / "content/harbour/fireworks.md")[1]
    assert '{{< figure src="/assets/img/ferry.png" alt="Fireworks" caption="Rockets over the pier" >}}' in fireworks
    assert '<div class="notice" markdown="1">\n\n**Road closures:**' in fireworks
    assert "*Harbour Notes is reader-funded.* Read [our story](/about/)." in fireworks  # the include, written out
    assert "[YouTube playlist](https://www.youtube.com/playlist?list=PLabc123)" in fireworks

    result = run_build(site, search=False)
    # What could not be converted is kept in HTML comments, which show nothing: no template-code warning
    # for them; the {% raw %} text, shown as written (as Jekyll did), is pointed out.
    template = [w.format() for w in result.warnings if "template code" in w.message]
    assert len(template) == 1 and "ferry-timetable-changes.md:25:" in template[0] and "{{ this }}" in template[0]
    assert "<strong>Road closures:</strong>" in built(site, "harbour/fireworks/index.html")
    assert "major changes" in built(site, "transport/ferry-timetable-changes/index.html")
    old = built(site, "transport/harbour/2015/03/17/ferry-timetable-changes.html")
    assert 'url=/transport/ferry-timetable-changes/"' in old
    assert 'url=/transport/ferry-timetable-changes/"' in built(site, "ferry-changes/index.html")
    assert "social-post" in built(site, "sport/regatta-results/index.html")
    assert not (site / "output/news/council-preview").exists()


# ------------------------------------------------------------------ Hugo


def test_hugo_toml_bundles_expiry_and_shortcodes(tmp_path: Path) -> None:
    site = tmp_path / "quay"
    report = run_import("hugo", FIXTURES / "hugo", site)
    fm, body = front(site / "content/harbour/harbour-dredging.md")
    assert fm["date"] == "2024-02-10T09:00:00+00:00" and fm["updated"] == "2024-02-12T16:30:00+00:00"
    assert fm["author"] == "Ola Nordmann" and fm["category"] == "Harbour" and fm["tags"] == ["dredging", "Environment"]
    assert fm["summary"] == "Six weeks of work, and a closed slipway."
    assert fm["image"] == "/media/posts/harbour-dredging/cover.jpg"
    assert fm["aliases"] == ["/2024/02/harbour-dredging/", "/news/dredging-begins/"]  # [permalinks] and aliases
    assert "![The dredger](/media/posts/harbour-dredging/cover.jpg)" in body
    assert (
        '{{< figure src="/media/posts/harbour-dredging/diagram.png" caption="Where the silt goes" '
        'credit="Harbour Board" >}}' in body
    )
    assert '```go\nfmt.Println("silt")\n```' in body
    assert "[the plan](/posts/slipway-notice/)" in body  # ref resolved
    assert '{{< social url="https://x.com/quayside/status/1234567890" >}}' in body
    assert "{{</* youtube ID */>}}" in body
    for name in ("cover.jpg", "diagram.png"):
        assert (site / "static/media/posts/harbour-dredging" / name).is_file()
    assert (site / "static/images/logo.png").is_file()
    notice, _ = front(site / "content/posts/slipway-notice.md")
    assert (
        notice["date"] == "2023-11-02T08:00:00+00:00" and notice["expires"] == "2023-12-01"
    )  # publishDate, expiryDate
    letters, _ = front(site / "content/opinion/letters.md")
    assert letters["authors"] == ["Ada Lovelace", "Charles Babbage"]  # JSON front matter
    warnings = warnings_of(report)
    assert "content/opinion/letters.md:7: Hugo shortcode 'unknownthing'" in warnings
    assert "content/posts/harbour-dredging/index.md:24: Hugo shortcode 'callout'" in warnings
    skipped = dict(report.skipped)
    assert "invalid TOML" in skipped["content/posts/broken.md:2"]
    assert "list page" in skipped["content/_index.md"] and "list page" in skipped["content/posts/_index.md"]
    # Undated pages in a section are pages here; "search" is Broadsheet's own address.
    assert report.pages == ["content/pages/about.md", "content/pages/search-page.md"]
    assert "content/docs/search.md: no date: imported as a page" in warnings
    assert "is Broadsheet's own page: written as 'search-page'" in warnings_of(report)

    run_build(site, search=False)
    assert "Use the search box." in built(site, "search-page/index.html")
    page = built(site, "harbour/harbour-dredging/index.html")
    assert 'src="/media/posts/harbour-dredging/diagram.png"' in page and "<figcaption>Where the silt goes" in page
    assert 'url=/harbour/harbour-dredging/"' in built(site, "2024/02/harbour-dredging/index.html")
    assert not (site / "output/posts/slipway-notice").exists()  # expired in 2023
    assert not (site / "output/posts/future-piece").exists()  # dated 2031: embargoed
    assert "Dear editor" in built(site, "opinion/letters/index.html")


# ------------------------------------------------------------------ writing


def test_taken_slugs_and_old_urls_are_resolved_and_reported(tmp_path: Path) -> None:
    from broadsheet.importers.common import ImportReport, Item, write_items

    def post(origin: str, year: int, aliases: list[str]) -> Item:
        return Item(origin, "Update", datetime(year, 1, 2, 9, 0), "update", "Text.", category="World", aliases=aliases)

    report = ImportReport()
    items = [
        post("a.md", 2015, ["/2015/update.html", "/Shared/", "/World/Update/"]),
        post("b.md", 2016, ["/2016/update.html", "/shared/", "/category/world/", "/search/"]),
        post("c.md", 2016, []),
        Item("p.md", "Archive", None, "archive", "Our archive.", kind="page", aliases=["/about/archive/"]),
    ]
    write_items(items, tmp_path, report)
    assert sorted(report.articles) == [
        "content/world/update-2016-2.md",
        "content/world/update-2016.md",
        "content/world/update.md",
    ]
    assert front(tmp_path / "content/world/update.md")[0]["aliases"] == ["/2015/update.html", "/Shared/"]
    assert front(tmp_path / "content/world/update-2016.md")[0]["aliases"] == ["/2016/update.html"]
    assert "aliases" not in front(tmp_path / "content/world/update-2016-2.md")[0]
    assert report.pages == ["content/pages/archive-page.md"]
    warnings = warnings_of(report)
    assert "b.md: old URL /shared/ was also a.md's: left out" in warnings
    assert "b.md: old URL /category/world/ is one Broadsheet serves itself" in warnings
    assert "b.md: old URL /search/ is one Broadsheet serves itself" in warnings
    assert "b.md: slug 'update' is taken in world/: written as 'update-2016'" in warnings
    assert front(tmp_path / "content/pages/archive-page.md")[0]["aliases"] == ["/about/archive/"]
    (tmp_path / "site.yml").write_text("title: T\nbase_url: https://t.example/\n", encoding="utf-8")
    run_build(tmp_path, search=False)  # no two sources for one address
    assert 'url=/world/update/"' in built(tmp_path, "Shared/index.html")
    assert 'url=/archive-page/"' in built(tmp_path, "about/archive/index.html")


def test_zola_sites_read_like_hugo(tmp_path: Path) -> None:
    """Zola's layout is Hugo's, with taxonomies in a table, the address in `path` and dates in file names."""
    site = tmp_path / "zola"
    report = run_import("hugo", FIXTURES / "zola", site)
    first, body = front(site / "content/harbour/first-light.md")
    assert first["date"] == "2024-05-01" and first["category"] == "Harbour" and first["tags"] == ["lighthouse"]
    assert first["summary"] == "The lighthouse is lit again."
    assert "[follow-up](/blog/the-keepers/#update)" in body  # @/ link resolved
    keepers, _ = front(site / "content/blog/the-keepers.md")
    assert keepers["date"] == "2024-05-02" and keepers["aliases"] == ["/blog/2024/05/02/the-keepers/"]
    assert keepers["author"] == "Kim Lee"
    assert report.warnings == []
    run_build(site, search=False)
    assert 'url=/blog/the-keepers/"' in built(site, "blog/2024/05/02/the-keepers/index.html")


MULTILINGUAL = FIXTURES / "hugo-multilingual"


def test_hugo_translations_are_skipped_and_the_default_language_imported(tmp_path: Path) -> None:
    """One language per site: the default language's files come in, each other language's file is one skip line."""
    site = tmp_path / "lab"
    report = run_import("hugo", MULTILINGUAL, site)
    assert sorted(report.articles) == ["content/blog/action.md", "content/blog/badges.md"]
    assert report.pages == ["content/pages/code-of-conduct.md"]
    skipped = dict(report.skipped)
    one = "skipped; Broadsheet publishes one language per site"
    assert skipped["content/blog/2021-05-04-badges/index.es.md"] == (
        f"translation (es) of content/blog/2021-05-04-badges/index.md: {one}"
    )
    # A bundle without a bare index.md: its index.en.md is the default language's, the others its translations.
    assert skipped["content/blog/2022-02-01-action/index.pt.md"] == (
        f"translation (pt) of content/blog/2022-02-01-action/index.en.md: {one}"
    )
    assert "translation (es)" in skipped["content/blog/2022-02-01-action/index.es.md"]
    assert "translation (es)" in skipped["content/blog/2023-01-01-espanol/index.es.md"]  # no English version
    assert skipped["content/code-of-conduct.es.md"] == f"translation (es) of content/code-of-conduct.md: {one}"
    assert report.translations == 5
    assert "skipped 9 (5 translations);" in report.summary_lines()[0]
    action, body = front(site / "content/blog/action.md")
    assert action["title"] == "A check on every pull request" and action["slug"] == "action"
    assert action["aliases"] == ["/blog/2022/02/01/action/"]  # one old URL, claimed once: no warnings about it
    assert report.warnings == []
    # The bundle's pictures are resolved for index.en.md as they are for index.md.
    assert "![The comment](/media/blog/2022-02-01-action/shot.png)" in body
    assert (site / "static/media/blog/2022-02-01-action/shot.png").read_bytes() == b"PNG shot"
    assert "![A badge](/media/blog/2021-05-04-badges/badge.png)" in front(site / "content/blog/badges.md")[1]


def test_hugo_front_matter_may_follow_blank_lines(tmp_path: Path) -> None:
    """Hugo reads front matter after blank lines (Jekyll does not); a broken one is reported at its own line."""
    hugo = tmp_path / "hugo"
    (hugo / "content/posts").mkdir(parents=True)
    (hugo / "content/posts/late.md").write_text(
        "\n\n---\ntitle: Late start\ndate: 2024-01-02\n---\n{{< unknownthing >}}\n", encoding="utf-8"
    )
    (hugo / "content/posts/broken.md").write_text("\n---\ntitle: a: b\n---\nText.\n", encoding="utf-8")
    report = run_import("hugo", hugo, tmp_path / "site")
    assert front(tmp_path / "site/content/posts/late.md")[0]["title"] == "Late start"
    assert "content/posts/late.md:7: Hugo shortcode 'unknownthing'" in warnings_of(report)
    assert [origin for origin, _ in report.skipped] == ["content/posts/broken.md:3"]


def test_hugo_section_lists_in_any_language_are_skipped(tmp_path: Path) -> None:
    """_index.es.md is a section's list page like _index.md (even with a date): no page, article or section."""
    site = tmp_path / "lab"
    report = run_import("hugo", MULTILINGUAL, site)
    skipped = dict(report.skipped)
    for origin in ("content/blog/_index.md", "content/blog/_index.es.md", "content/author/jane/_index.es.md"):
        assert skipped[origin] == "a section's list page: Broadsheet makes its own listings"
    assert not (site / "content/author").exists() and not (site / "content/pages/index-es.md").exists()
    assert [c["name"] for c in yaml.safe_load((site / "site.yml").read_text(encoding="utf-8"))["categories"]] == [
        "Blog"
    ]


def test_hugo_ignore_files_are_honoured(tmp_path: Path) -> None:
    """ignoreFiles leaves out content, bundle files and static files alike, as Hugo does."""
    site = tmp_path / "lab"
    report = run_import("hugo", MULTILINGUAL, site)
    assert dict(report.skipped)["content/blog/scratch-notes.md"] == "ignored by the site's ignoreFiles"
    assert not (site / "content/blog/scratch-notes.md").exists()
    assert not (site / "static/media/blog/2021-05-04-badges/index.Rmd").exists()  # \.Rmd$
    assert not (site / "static/images/plot_cache").exists()  # _cache$
    assert (site / "static/media/blog/2021-05-04-badges/badge.png").is_file()


def test_hugo_ignore_files_that_cannot_be_read_are_reported(tmp_path: Path) -> None:
    hugo = tmp_path / "hugo"
    shutil.copytree(MULTILINGUAL, hugo)
    config = hugo / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('"_cache$"]', '"_cache$", "([unclosed"]'), encoding="utf-8"
    )
    report = run_import("hugo", hugo, tmp_path / "lab")
    assert "ignoreFiles: pattern '([unclosed' cannot be read" in warnings_of(report)
    assert dict(report.skipped)["content/blog/scratch-notes.md"] == "ignored by the site's ignoreFiles"


def test_hugo_theme_static_files_that_articles_link_to_are_copied(tmp_path: Path) -> None:
    """Hugo serves themes/<theme>/static/ at the site's root: what the bodies link to comes along, nothing else."""
    site = tmp_path / "lab"
    run_import("hugo", MULTILINGUAL, site)
    assert (site / "static/img/blog-images/2021-05-04-badges/wall.png").read_bytes() == b"PNG wall"
    assert (site / "static/images/arrow.svg").read_bytes() == b"SVG arrow"
    assert (site / "static/img/blog-images/2021-05-04-badges/full.png").is_file()  # linked at the old domain
    assert not (site / "static/img/unused.png").exists()  # the theme's own, linked only on another site
    assert (site / "static/images/logo.png").read_bytes() == b"site logo"  # the site's static/ wins, as in Hugo
    run_build(site, search=False)
    page = built(site, "blog/badges/index.html")
    assert "/img/blog-images/2021-05-04-badges/wall.png" in page
    assert (site / "output/img/blog-images/2021-05-04-badges/wall.png").is_file()


def test_hugo_default_language_from_config_default_folder(tmp_path: Path) -> None:
    """config/_default/ names the default language; a file without a suffix is in it (and wins over index.es.md)."""
    hugo = tmp_path / "hugo"
    (hugo / "config/_default").mkdir(parents=True)
    (hugo / "config/_default/hugo.yaml").write_text(
        "title: Notas\ndefaultContentLanguage: es\nlanguages:\n  es: {weight: 1}\n  en: {weight: 2}\n",
        encoding="utf-8",
    )
    bundle = hugo / "content/blog/2024-01-02-hola"
    bundle.mkdir(parents=True)
    for name, title in (("index.md", "Hola"), ("index.es.md", "Hola otra vez"), ("index.en.md", "Hello")):
        (bundle / name).write_text(f"---\ntitle: {title}\ndate: 2024-01-02\n---\nTexto.\n", encoding="utf-8")
    report = run_import("hugo", hugo, tmp_path / "site")
    assert report.articles == ["content/blog/hola.md"]
    assert front(tmp_path / "site/content/blog/hola.md")[0]["title"] == "Hola"
    skipped = dict(report.skipped)
    assert skipped["content/blog/2024-01-02-hola/index.en.md"].startswith(
        "translation (en) of content/blog/2024-01-02-hola/index.md:"
    )
    assert skipped["content/blog/2024-01-02-hola/index.es.md"] == (
        "the same page as content/blog/2024-01-02-hola/index.md"
    )


def test_a_site_naming_no_languages_skips_only_files_with_another_version_beside_them(tmp_path: Path) -> None:
    """Without a languages table, a name ending like a language code is a translation only when
    another version of the file is beside it: a post about crates.io is a post of its own."""
    hugo = tmp_path / "zola"
    (hugo / "content").mkdir(parents=True)
    (hugo / "config.toml").write_text('title = "Blog"\n', encoding="utf-8")
    posts = {
        "Update-on-crates.io-incident.md": "Update on the crates.io incident",
        "news.md": "News",
        "news.fr.md": "Nouvelles",
        "solo.es.md": "Solo en español",
        "release-v1.2-beta.md": "Release 1.2 beta",
    }
    for name, title in posts.items():
        text = f'+++\ntitle = "{title}"\ndate = 2024-01-02\n+++\nText.\n'
        (hugo / "content" / name).write_text(text, encoding="utf-8")
    report = run_import("hugo", hugo, tmp_path / "site")
    titles = {front(tmp_path / "site" / rel)[0]["title"] for rel in report.articles}
    assert titles == {"Update on the crates.io incident", "News", "Solo en español", "Release 1.2 beta"}
    assert dict(report.skipped) == {
        "content/news.fr.md": "translation (fr) of content/news.md: skipped; Broadsheet publishes one language per site"
    }
    assert report.translations == 1


def test_a_first_heading_repeating_the_headline_is_left_out(tmp_path: Path) -> None:
    """The theme shows the headline above the body: a post opening with it again (``# Title`` or a
    ``===`` heading) would read it twice. Another first heading, or a lower one, stays."""
    hugo = tmp_path / "hugo"
    (hugo / "content/posts").mkdir(parents=True)
    bodies = {
        "atx": ("Rust 2024 call for testing", "\n# Rust  2024 call for testing\n\nWe have been hard at work.\n"),
        "closed": ("Closed heading", "# closed heading ##\nText.\n"),
        "setext": ("Underlined", "Underlined\n==========\n\nText.\n"),
        "other": ("The headline", "# Another heading\n\nText.\n"),
        "lower": ("Second level", "## Second level\n\nText.\n"),
        "later": ("Later", "Text first.\n\n# Later\n"),
    }
    for name, (title, body) in bodies.items():
        text = f"---\ntitle: {title}\ndate: 2024-01-02\nslug: {name}\n---\n{body}"
        (hugo / f"content/posts/{name}.md").write_text(text, encoding="utf-8")
    report = run_import("hugo", hugo, tmp_path / "site")
    got = {name: front(tmp_path / f"site/content/posts/{name}.md")[1].strip() for name in bodies}
    assert got["atx"] == "We have been hard at work."
    assert got["closed"] == "Text."
    assert got["setext"] == "Text."
    assert got["other"] == "# Another heading\n\nText."
    assert got["lower"] == "## Second level\n\nText."
    assert got["later"] == "Text first.\n\n# Later"
    assert report.repeated_headlines == 3
    assert "Left out the first heading of 3 bodies" in "\n".join(report.summary_lines())


def test_site_imported_yml_names_the_command(tmp_path: Path) -> None:
    site = tmp_path / "lab"
    run_import("hugo", MULTILINGUAL, site)
    assert "`broadsheet import`" in (site / "site.yml").read_text(encoding="utf-8")
    (site / "content").rename(tmp_path / "first")
    run_import("hugo", MULTILINGUAL, site)
    header = (site / "site.imported.yml").read_text(encoding="utf-8").splitlines()[0]
    assert header == "# Authors and categories found by `broadsheet import`: copy what you want into site.yml."


def test_symlinks_in_an_archive_are_not_followed(tmp_path: Path) -> None:
    """A received archive may hold links to files elsewhere on the machine: none is read or copied."""
    secret = tmp_path / "secret.txt"
    secret.write_text("private key", encoding="utf-8")
    hugo = tmp_path / "hugo"
    shutil.copytree(FIXTURES / "hugo", hugo)
    (hugo / "content/posts/harbour-dredging/key.txt").symlink_to(secret)
    (hugo / "content/posts/leak.md").symlink_to(secret)
    (hugo / "static/leak.txt").symlink_to(secret)
    site = tmp_path / "site"
    run_import("hugo", hugo, site)
    assert not any("private key" in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())
