"""The build cache: unchanged work is skipped, and the output is always that of a fresh build."""

from __future__ import annotations

import os
import pickle
import random
import shutil
import sqlite3
import zlib
from contextlib import closing
from pathlib import Path

import jinja2
import pytest
from conftest import MINIMAL_SITE_YML, article, run_build

from broadsheet.content import bodystore
from broadsheet.content.body import Body, BodyNotLoaded, BodyRef
from broadsheet.content.bodystore import load_bodies, unload_bodies
from broadsheet.content.discover import discover
from broadsheet.content.markdown import current_settings, render_markdown, sanitize_html
from broadsheet.incremental.cache import CACHE_DIR, CACHE_FILE, BuildCache, Fingerprinter
from broadsheet.outputs import PageJob
from broadsheet.rowpack import unpack


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".broadsheet")
    }


def _site(make_site, n: int = 12):
    files = {
        f"content/{'world' if i % 2 else 'sport'}/a{i}.md": article(
            f"Story number {i}",
            date=f"2026-11-{10 + i:02d}T08:00:00",
            tags=[f"T{i % 3}"],
            body=f"Body {i} about the harbour.",
        )
        for i in range(n)
    }
    return make_site(files)


def _own_listing(site: Path, template: str) -> None:
    """Give ``site`` a theme of its own, the default one with ``template`` as its listing page."""
    yml = site / "site.yml"
    yml.write_text(yml.read_text().replace("\ntheme: frontier", "") + "theme: mine\n")
    (site / "themes/mine/templates").mkdir(parents=True)
    (site / "themes/mine/theme.yml").write_text("extends: frontier\n")
    (site / "themes/mine/templates/list.html").write_text(template)


def _fresh(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "fresh"
    run_build(site, output=out, cache=False)
    return _tree(out)


def test_no_change_renders_nothing(make_site) -> None:
    site = _site(make_site)
    first = run_build(site)
    assert first.pages_rendered > 0 and (site / CACHE_DIR / CACHE_FILE).is_file()
    second = run_build(site)
    assert second.pages_rendered == 0
    assert second.stats and second.stats.written == 0


def test_one_edit_renders_only_affected_pages(make_site, tmp_path: Path) -> None:
    site = _site(make_site)
    total = run_build(site).pages_rendered
    path = site / "content/world/a5.md"
    path.write_text(path.read_text().replace("Body 5", "Body five, corrected"))
    result = run_build(site)
    assert result.stats is not None
    assert 0 < result.stats.written <= result.pages_rendered < total
    assert _tree(site / "output") == _fresh(site, tmp_path)


def test_template_change_rerenders(make_site, tmp_path: Path) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntheme: mine\n",
            "themes/mine/theme.yml": "extends: frontier\n",
            "themes/mine/templates/page.html": "ONE {{ page.title }}",
            "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
            "content/world/a.md": article("Alpha"),
        }
    )
    run_build(site)
    (site / "themes/mine/templates/page.html").write_text("TWO {{ page.title }}")
    result = run_build(site)
    assert result.stats and result.stats.written == 1  # only the page using the template changed bytes
    assert (site / "output/about/index.html").read_text() == "TWO About"
    assert _tree(site / "output") == _fresh(site, tmp_path)


def test_config_change_rerenders(make_site, tmp_path: Path) -> None:
    site = _site(make_site)
    run_build(site)
    yml = site / "site.yml"
    yml.write_text(yml.read_text().replace("Test Times", "Evening Times"))
    result = run_build(site)
    assert result.pages_rendered > 0
    assert "Evening Times" in (site / "output/index.html").read_text()
    assert _tree(site / "output") == _fresh(site, tmp_path)


def test_tampered_output_is_rewritten(make_site) -> None:
    site = _site(make_site)
    run_build(site)
    page = site / "output/world/story-number-1/index.html"
    original = page.read_bytes()
    page.write_text("defaced")
    result = run_build(site)
    assert result.pages_rendered >= 1
    assert page.read_bytes() == original


def test_corrupt_cache_is_ignored(make_site) -> None:
    site = _site(make_site)
    run_build(site)
    (site / CACHE_DIR / CACHE_FILE).write_bytes(b"not a pickle")
    result = run_build(site)
    assert result.pages_rendered > 0 and result.stats and result.stats.written == 0


def test_random_edits_match_fresh_builds(make_site, tmp_path: Path) -> None:
    site = _site(make_site, n=16)
    run_build(site)
    rng = random.Random(4)
    for step in range(8):
        i = rng.randrange(16)
        path = site / f"content/{'world' if i % 2 else 'sport'}/a{i}.md"
        action = rng.choice(["title", "date", "tags", "delete", "add"])
        if action == "delete" and path.exists():
            path.unlink()
        elif action == "add" or not path.exists():
            path.write_text(article(f"New story {step}", date=f"2026-11-0{1 + step}", tags=["T1"]))
        elif action == "title":
            path.write_text(path.read_text().replace("Story number", "Updated story"))
        elif action == "date":
            path.write_text(path.read_text().replace("2026-11-", "2026-10-"))
        else:
            path.write_text(path.read_text().replace('["T', '["X'))
        run_build(site)
        assert _tree(site / "output") == _fresh(site, tmp_path / str(step)), (step, action)


def test_cache_rows_follow_the_content(make_site) -> None:
    import sqlite3

    site = _site(make_site, n=4)
    run_build(site)
    db_path = site / CACHE_DIR / CACHE_FILE

    def rows() -> dict[str, str]:
        with sqlite3.connect(db_path) as db:
            return dict(db.execute("SELECT rel, digest FROM content"))

    before = rows()
    assert len(before) == 4
    stamp = db_path.stat().st_mtime_ns
    run_build(site)
    assert db_path.stat().st_mtime_ns == stamp  # nothing changed: the cache is not written
    path = site / "content/world/a1.md"
    path.write_text(path.read_text().replace("Body 1", "Body one"))
    (site / "content/sport/a2.md").unlink()
    run_build(site)
    after = rows()
    assert set(after) == set(before) - {"content/sport/a2.md"}
    assert after["content/world/a1.md"] != before["content/world/a1.md"]
    assert after["content/sport/a0.md"] == before["content/sport/a0.md"]


def test_timezone_change_reparses_dates(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha", date="2026-11-20T10:00:00")})
    first = run_build(site)
    assert first.loaded.site.articles[0].date.utcoffset().total_seconds() == 0
    yml = site / "site.yml"
    yml.write_text(yml.read_text().replace("timezone: UTC", "timezone: Asia/Tokyo"))
    second = run_build(site)
    assert second.loaded.site.articles[0].date.utcoffset().total_seconds() == 9 * 3600


def test_parses_saved_during_a_build_that_then_fails_serve_the_next(make_site, tmp_path: Path, monkeypatch) -> None:
    """The parses go to the cache while pages render; a build failing after that leaves a cache
    the next build uses, with the output that of a fresh build."""
    import pytest

    from broadsheet.errors import BuildFailed
    from broadsheet.stages import load as load_stage

    site = _site(make_site)
    (site / "content/world/a1.md").write_text(
        article("Story number 1", date="2026-11-11T08:00:00", body="See [the missing page](/gone/).")
    )
    with pytest.raises(BuildFailed):
        run_build(site, strict=True)  # the broken link fails it after rendering
    assert (site / CACHE_DIR / CACHE_FILE).is_file()
    parsed: list[int] = []
    real = load_stage.parse_sources
    monkeypatch.setattr(
        load_stage, "parse_sources", lambda work, pack=False: (parsed.append(len(work)), real(work, pack))[1]
    )
    result = run_build(site)
    assert sum(parsed) == 0  # every parse came from the failed build's cache
    assert result.warnings and _tree(site / "output") == _fresh(site, tmp_path)


def test_compiled_templates_are_kept_per_code_version(make_site) -> None:
    from broadsheet.incremental.cache import code_version

    site = _site(make_site, n=3)
    stale = site / CACHE_DIR / "templates-0000000000000000"
    stale.mkdir(parents=True)
    run_build(site)
    compiled = site / CACHE_DIR / f"templates-{code_version()[:16]}"
    assert any(compiled.iterdir()) and not stale.exists()
    before = {p.name: p.stat().st_mtime_ns for p in compiled.iterdir()}
    (site / "content/world/a1.md").write_text(article("Story number 1", body="Changed."))
    run_build(site)
    assert {p.name: p.stat().st_mtime_ns for p in compiled.iterdir()} == before  # read, not compiled again


def test_an_edit_reads_only_the_bodies_it_shows(make_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Feeds show their newest five stories whole; the edit comes after what the related ranking reads.
    files = {
        f"content/{'world' if i % 2 else 'sport'}/a{i}.md": article(
            f"Story number {i}",
            date=f"2026-10-{1 + i // 2:02d}T{8 + i % 2:02d}:00:00",
            tags=[f"T{i % 3}"],
            body=f"Body {i} about the harbour. " + "The story goes on. " * 200,
        )
        for i in range(40)
    }
    site = make_site({**files, "site.yml": MINIMAL_SITE_YML + "feeds:\n  count: 5\n"})
    run_build(site)
    path = site / "content/sport/a2.md"
    path.write_text(path.read_text() + "\nA correction.\n")
    reads: list[str] = []
    real = bodystore._read_rows

    def counted(store, refs):  # type: ignore[no-untyped-def]
        reads.extend(rel for rel, _ in refs)
        return real(store, refs)

    monkeypatch.setattr(bodystore, "_read_rows", counted)
    result = run_build(site, jobs=1)
    bodies = [body for _, body in result.loaded.cache.lazy.values()]
    assert len(bodies) == 39 and 0 < len(set(reads)) < 25  # the edited one is parsed anew
    assert "content/sport/a2.md" not in reads
    assert _tree(site / "output") == _fresh(site, tmp_path)


def test_bodies_missing_from_the_cache_are_parsed_again(make_site, tmp_path: Path) -> None:
    site = _site(make_site)
    run_build(site)
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        db.execute("DELETE FROM bodies")
    yml = site / "site.yml"
    yml.write_text(yml.read_text().replace("Test Times", "Evening Times"))  # every page again
    run_build(site)
    assert _tree(site / "output") == _fresh(site, tmp_path)


def test_a_cached_body_is_a_plain_value_loaded_by_the_stage_that_reads_it(make_site) -> None:
    site = _site(make_site)
    run_build(site)
    entry = BuildCache.load(site, timezone="UTC", markdown_key=current_settings().key())
    source = next(s for s in discover(site)[0] if s.rel == "content/world/a1.md")
    found, _ = entry.lookup(source)
    assert found is not None
    body = found.rendered.body
    assert not body.loaded and body.ref is not None and body.ref.rel == "content/world/a1.md"
    with pytest.raises(BodyNotLoaded, match=r"content/world/a1\.md"):
        _ = body.html  # no I/O of its own: read before a stage loaded it
    twin = pickle.loads(pickle.dumps(body))  # travels as it is, unread
    assert not twin.loaded and twin == body
    cleaned = body.sanitized(str.upper)  # cleaned when loaded
    assert load_bodies([body, cleaned, twin]) == [body, cleaned, twin]
    assert "Body 1 about the harbour" in body.html and cleaned.html == sanitize_html(body.html) and twin == body
    unload_bodies([body])
    assert not body.loaded and load_bodies([body]) == [body] and body == twin
    given = Body("<p>Hi there</p>", "Hi there")
    assert Body("", "").blank and not given.blank and given.sanitized(str.upper).html == "<P>HI THERE</P>"
    with pytest.raises(ValueError):
        Body(ref=body.ref)


def test_a_packed_body_reads_as_it_was_and_travels_packed() -> None:
    """Packed (as a full build's parsing holds bodies), a body gives back its very HTML and text at
    each reading, equals its unpacked twin, pickles at a fraction of the size and stays packed when
    cleaned; let go of, it is a body to load like any other."""
    html = "<p>\u201cQuoted,\u201d said the na\u00efve \U0001f4f0 reporter \ud800 \x00 &amp; more.</p>" * 40
    text = "\u201cQuoted,\u201d said the na\u00efve \U0001f4f0 reporter \ud800 \x00 & more. " * 40
    plain, packed = Body(html, text), Body(html, text)
    packed.pack()
    assert packed.packed and packed.loaded and not plain.packed
    assert packed.html == html and packed.text == text and packed.html == html  # read again: the same
    assert packed == plain and hash(packed) == hash(plain) and packed.opening == plain.opening
    assert not packed.blank and repr(packed) == repr(plain)
    twin = pickle.loads(pickle.dumps(packed))
    assert twin.packed and twin.html == html and twin.text == text
    assert len(pickle.dumps(packed)) * 10 < len(pickle.dumps(plain))
    cleaned = packed.sanitized(str.upper)
    assert cleaned.packed and cleaned.html == html.upper() and cleaned.text == text
    packed.fill("<p>other</p>", "other")  # loaded already: nothing to fill
    assert packed.html == html
    ref = BodyRef("cache.sqlite", "content/a.md", "/site/content/a.md", False, "0" * 32, "UTC")
    packed.evict(ref)
    assert not packed.loaded and not packed.packed and packed.ref == ref
    with pytest.raises(BodyNotLoaded):
        _ = packed.html
    empty = Body("", "")
    empty.pack()
    assert empty.packed and empty.html == "" and empty.text == "" and empty.blank


def test_a_full_build_holds_its_parsed_bodies_packed(make_site) -> None:
    """The bodies a full build parses come from its workers packed, and stay so in its memory."""
    site = _site(make_site)
    result = run_build(site, jobs=2)
    bodies = [e.rendered.body for e in result.loaded.cache.content.values() if e.rendered.body.loaded]
    assert bodies and all(body.packed for body in bodies)


def test_a_cached_body_keeps_its_html_and_makes_its_text_as_the_parse_did(make_site) -> None:
    """The row holds the HTML alone; the text read back is the parse's, cleaned HTML or not,
    and whether the body travelled (pickled) before or after its text was first read."""
    site = _site(make_site)
    path = site / "content/world/a1.md"
    path.write_text(path.read_text() + '\nA *quote* &amp; [a link](https://example.org/)\n\n> "Said" — R.\n')
    run_build(site)
    parsed = render_markdown(path.read_text().split("---", 2)[2])
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        (value,) = db.execute(
            "SELECT b.value FROM bodies AS b JOIN content AS c ON c.rowid = b.id WHERE c.rel = 'content/world/a1.md'"
        ).fetchone()
        dictionary = bodystore.stored_dictionary(db)
    assert bodystore.unpack_body(value, dictionary) == parsed.html  # the HTML, and nothing else
    entry = BuildCache.load(site, timezone="UTC", markdown_key=current_settings().key())
    source = next(s for s in discover(site)[0] if s.rel == "content/world/a1.md")
    found, _ = entry.lookup(source)
    assert found is not None
    body = found.rendered.body
    cleaned = body.sanitized(sanitize_html)  # cleaned when loaded (site.yml's sanitize)
    load_bodies([body, cleaned])
    travelled = pickle.loads(pickle.dumps(body))  # loaded, its text not made yet
    assert travelled.text == body.text == cleaned.text == parsed.body.text
    assert cleaned.html == sanitize_html(parsed.html)
    assert travelled == body and pickle.loads(pickle.dumps(body)).text == parsed.body.text


def test_page_rows_name_their_output_folder_by_a_short_key(make_site, tmp_path: Path) -> None:
    """Every row of the page tables names its output folder: by a 16-character key, not its path,
    and two folders by two keys (each keeps its own fingerprints)."""
    site = _site(make_site)
    run_build(site)
    other = tmp_path / "elsewhere" / "public"
    run_build(site, output=other)
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        for table in ("prints", "facts"):
            keys = {key for (key,) in db.execute(f"SELECT DISTINCT output FROM {table}")}
            assert len(keys) == 2 and all(len(k) == 16 and int(k, 16) >= 0 for k in keys), keys
    before = (site / "output/index.html").stat().st_mtime_ns
    assert run_build(site).pages_rendered == 0  # its own fingerprints found again
    assert (site / "output/index.html").stat().st_mtime_ns == before


def test_a_cache_made_anew_is_read_anew_in_the_same_process(make_site, tmp_path: Path) -> None:
    site = _site(make_site)
    run_build(site)
    run_build(site, jobs=1)  # reads the cache file
    shutil.rmtree(site / CACHE_DIR)
    run_build(site)  # a new cache file at the same path
    yml = site / "site.yml"
    yml.write_text(yml.read_text().replace("Test Times", "Evening Times"))  # every page again, bodies read
    result = run_build(site, jobs=1)
    assert result.pages_rendered > 0 and not result.warnings
    assert _tree(site / "output") == _fresh(site, tmp_path)


def _views_in(value: object, out: dict[str, object]) -> None:
    """Collect the article views a context holds, without following the links between views
    (what a page sees through them is covered by engine.articles_touched)."""
    import dataclasses

    from broadsheet.render.views import ArticleView, SiteView

    if isinstance(value, ArticleView):
        out[value.url] = value
    elif isinstance(value, dict):
        for v in value.values():
            _views_in(v, out)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _views_in(v, out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type | SiteView):
        for f in dataclasses.fields(value):
            _views_in(getattr(value, f.name), out)


def test_every_page_lists_the_articles_its_context_holds(make_site) -> None:
    """Warm builds and the live preview re-fingerprint or re-render a page only when an article it
    lists in ``shows`` changed: every article view its context holds must be listed."""
    from broadsheet.pipeline import BuildOptions, load_site
    from broadsheet.render.pages import plan_pages

    files = {
        f"content/{('world', 'sport', 'arts')[i % 3]}/a{i}.md": article(
            f"Story {i}",
            date=f"2026-{9 + i % 3:02d}-{1 + i:02d}T08:00:00",
            tags=[f"T{i % 4}"],
            author=["Ann Lee", "Bo Kim"][i % 2],
            featured=i % 7 == 0,
            aliases=[f"/old/{i}/"],
            body=f"Story {i} about the harbour and the flood.",
        )
        for i in range(25)
    }
    site = make_site(
        {
            **files,
            "content/pages/about.md": "---\ntitle: About\n---\nWho we are.\n",
            "site.yml": MINIMAL_SITE_YML + "pagination:\n  per_page: 3\n",
        }
    )
    loaded = load_site(BuildOptions(source=site, cache=False))
    jobs = plan_pages(loaded.site)
    assert len(jobs) > 60
    for job in jobs:
        held: dict[str, object] = {}
        _views_in(job.context, held)
        assert set(held) <= job.shows, job.url


def test_content_edits_match_fresh_builds(make_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Edits that keep every page's make-up (fixed slugs): pages showing no changed article keep their
    fingerprints without being fingerprinted; what is built is still what a fresh build makes, also
    where a card shows its article's related stories and after an edit is undone."""
    n = 30
    original = {
        f"content/{'world' if i % 2 else 'sport'}/a{i}.md": article(
            f"Story number {i}",
            date=f"2026-10-{1 + i:02d}T08:00:00",
            slug=f"story-{i}",
            tags=[f"T{i % 3}"],
            body=f"Body {i} about the harbour. " + "The story goes on. " * 200,
        )
        for i in range(n)
    }
    site = make_site(
        {
            **original,
            "site.yml": MINIMAL_SITE_YML.replace("\ntheme: frontier", "") + "theme: mine\npagination:\n  per_page: 3\n",
            "themes/mine/theme.yml": "extends: frontier\n",
            "themes/mine/templates/list.html": (
                "{% for a in articles %}{{ a.title }} ({{ a.summary }}):"
                "{% for r in a.related %}{{ r.title }},{% endfor %}|{% endfor %}"
            ),
        }
    )
    total = len(run_build(site).loaded.cache.page_store(site / "output"))
    counted: list[int] = []
    real = Fingerprinter.of

    def of(self: Fingerprinter, job: PageJob) -> str:
        counted.append(1)
        return real(self, job)

    monkeypatch.setattr(Fingerprinter, "of", of)
    fewer = 0
    rng = random.Random(7)
    for step in range(14):
        i = rng.randrange(n)
        rel = f"content/{'world' if i % 2 else 'sport'}/a{i}.md"
        path = site / rel
        action = rng.choice(["body", "title", "summary", "featured", "undo"])
        text = path.read_text()
        if action == "body":
            path.write_text(text + f"\nA correction, step {step}.\n")
        elif action == "title":
            path.write_text(text.replace('title: "', f'title: "Step {step}: ', 1))
        elif action == "summary":
            path.write_text(text.replace("slug:", f'summary: "Summary {step}"\nslug:', 1))
        elif action == "featured":
            path.write_text(text.replace("slug:", "featured: true\nslug:", 1))
        else:
            path.write_text(original[rel])
        counted.clear()
        run_build(site)
        fewer += len(counted) < total / 2
        assert _tree(site / "output") == _fresh(site, tmp_path / str(step)), (step, action)
    assert fewer >= 5  # the body and summary edits at least


def test_a_theme_showing_bodies_on_listings_gets_them_in_warm_builds(make_site, tmp_path: Path) -> None:
    """The render stage loads the bodies of the articles' own pages beforehand, and any other body a
    template reads (here each card's) while it renders: a warm build makes what a fresh one makes."""
    site = _site(make_site)
    _own_listing(site, "{% for item in articles %}<section>{{ item.html }}</section>{% endfor %}\n")
    run_build(site)
    path = site / "content/world/a3.md"
    path.write_text(path.read_text().replace("Body 3 about the harbour.", "Body 3, corrected."))
    result = run_build(site)
    assert result.pages_rendered > 0
    listings = [p for p in (site / "output/category/world").rglob("index.html")]
    assert any("<section><p>Body 3, corrected.</p></section>" in p.read_text() for p in listings)
    assert _tree(site / "output") == _fresh(site, tmp_path)


@pytest.mark.parametrize("pages", [5, 2_500])
def test_page_links_are_kept_by_number_and_read_back_as_written(tmp_path: Path, pages: int) -> None:
    """A page's links come back from the cache as the page had them (order, repeats), whether a few
    pages' are asked for or all of them, and a link's text is kept once however many pages hold it."""
    output = tmp_path / "output"
    nav = ("/", "/category/world/", "/feed.xml", "#main")
    links = {f"p{i}/index.html": (*nav, f"/world/story-{i}/", "/", f"/tag/t{i % 7}/") for i in range(pages)}
    cache = BuildCache.load(tmp_path, timezone="", markdown_key="")
    cache.set_facts(output, {path: (f"h{path}", page_links, True) for path, page_links in links.items()})
    cache.save()
    again = BuildCache.load(tmp_path, timezone="", markdown_key="")
    assert again.facts_of(output) == {path: (f"h{path}", True) for path in links}
    assert again.stored_links(output) == links
    assert again.stored_links(output, ["p3/index.html", "p1/index.html"]) == {
        path: links[path] for path in ("p3/index.html", "p1/index.html")
    }
    with sqlite3.connect(tmp_path / CACHE_DIR / CACHE_FILE) as db:
        (texts,) = db.execute("SELECT COUNT(*) FROM linktext").fetchone()
    assert texts == len({link for page_links in links.values() for link in page_links})
    # A page rendered anew with other links: its row is rewritten, the new link numbered after the others.
    again.set_facts(
        output, {**{p: (f"h{p}", None, True) for p in links}, "p1/index.html": ("new", ("/new/", "/"), True)}
    )
    again.save()
    last = BuildCache.load(tmp_path, timezone="", markdown_key="")
    assert last.stored_links(output, ["p1/index.html", "p2/index.html"]) == {
        "p1/index.html": ("/new/", "/"),
        "p2/index.html": links["p2/index.html"],
    }


def test_moments_in_content_rows_come_back_with_their_time_zone() -> None:
    """A front matter's dates are kept as plain values where their zone has a name, else as they are;
    either way they read back equal, with the same zone (its repr too: keys and pages show it)."""
    import dataclasses as dc
    import typing
    from datetime import UTC, datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from broadsheet.content.frontmatter import FrontMatter
    from broadsheet.incremental import cache as cache_module

    timed = [name for name, kind in typing.get_type_hints(FrontMatter).items() if "datetime" in str(kind)]
    names = [f.name for f in dc.fields(FrontMatter)]
    assert sorted(names[i] for i in cache_module._TIME_FIELDS) == sorted(timed)
    london = ZoneInfo("Europe/London")
    moments = [
        datetime(2026, 3, 29, 9, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, 5, 17, tzinfo=london, fold=1),
        datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=2), "CEST")),
        datetime(2026, 1, 2, 3, 4),
    ]
    for moment in moments:
        kept = pickle.loads(pickle.dumps(cache_module._plain_time(moment)))
        back = cache_module._time_of(kept)
        assert back == moment and repr(back) == repr(moment) and back.fold == moment.fold
    assert cache_module._time_of(cache_module._plain_time(moments[1])).tzinfo is london
    assert isinstance(cache_module._plain_time(moments[0]), tuple)
    assert cache_module._plain_time(moments[3]) is moments[3]  # a zone with a name of its own: as it is


def test_which_templates_read_links_is_kept_with_the_templates_key(make_site, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit does not parse the templates again to learn which read an article's links: the
    answers are kept under the key of the pages' input, and asked again once a template changes."""

    def kept_readers() -> tuple[str, dict[str, bool]]:
        with closing(sqlite3.connect(site / CACHE_DIR / CACHE_FILE)) as db:
            (blob,) = db.execute("SELECT value FROM blobs WHERE name = 'readers'").fetchone()
        return pickle.loads(zlib.decompress(blob))

    site = _site(make_site)
    run_build(site)
    kept = kept_readers()
    assert kept[1].get("article.html") is True
    parsed: list[str] = []
    real_parse = jinja2.Environment.parse

    def counting_parse(self: jinja2.Environment, source: str, *args: object, **kwargs: object) -> object:
        parsed.append(source)
        return real_parse(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "parse", counting_parse)
    path = site / "content/world/a5.md"
    path.write_text(path.read_text().replace("Body 5", "Body five, corrected"))
    assert run_build(site).pages_rendered > 0
    assert parsed == []  # every answer came from the cache
    assert kept_readers() == kept

    _own_listing(
        site, "{% for item in articles %}<p>{{ item.title }} {{ item.prev.title if item.prev }}</p>{% endfor %}\n"
    )
    run_build(site)
    again = kept_readers()
    assert again[0] != kept[0] and parsed  # a new key: the templates read again
    assert again[1].get("list.html") is True and kept[1].get("list.html") is False


def test_rows_are_packed_with_the_dictionaries_their_cache_file_keeps(make_site, tmp_path: Path) -> None:
    """Content and body rows are primed with preset dictionaries made once per cache file from its
    first rows: later rows use the same ones, a file made anew makes its own, and rows that do not
    read back with the file's dictionaries are parsed again, never misread."""
    site = _site(make_site, n=20)
    run_build(site)
    path = site / CACHE_DIR / CACHE_FILE

    def stored() -> tuple[bytes, bytes, dict[str, bytes], dict[str, bytes]]:
        with closing(sqlite3.connect(path)) as db:
            blobs = dict(db.execute("SELECT name, value FROM blobs WHERE name LIKE 'dictionary-%'"))
            content = dict(db.execute("SELECT rel, entry FROM content"))
            bodies = dict(db.execute("SELECT c.rel, b.value FROM bodies AS b JOIN content AS c ON c.rowid = b.id"))
        return blobs["dictionary-content"], blobs["dictionary-bodies"], content, bodies

    for_content, for_bodies, content, bodies = stored()
    assert for_content and for_bodies and len(content) == len(bodies) == 20
    for rel, value in bodies.items():
        html = bodystore.unpack_body(value, for_bodies)
        assert html == render_markdown((site / rel).read_text().split("---", 2)[2]).html
        with pytest.raises(zlib.error):
            bodystore.unpack_body(value)  # primed: unreadable without the file's dictionary
        with pytest.raises(zlib.error):
            unpack(content[rel])

    edited = site / "content/world/a5.md"
    edited.write_text(edited.read_text().replace("Body 5", "Body five, with a *correction*"))
    run_build(site)
    again = stored()
    assert again[:2] == (for_content, for_bodies)  # kept as long as the file
    assert "Body five, with a <em>correction</em>" in bodystore.unpack_body(again[3]["content/world/a5.md"], for_bodies)

    # A file made anew (here: the old one gone, every story rewritten) makes its own dictionaries.
    for source in (site / "content").rglob("a*.md"):
        source.write_text(source.read_text().replace("about the harbour", "on the tram strike, as the court heard"))
    shutil.rmtree(site / CACHE_DIR)
    run_build(site)
    anew = stored()
    assert anew[1] != for_bodies and anew[0] != for_content

    # Rows that do not read back with the file's dictionaries (here: the dictionaries swapped) are
    # parsed again: the site comes out as a build without a cache makes it.
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE blobs SET value = ? WHERE name = 'dictionary-bodies'", (for_bodies,))
        db.execute("UPDATE blobs SET value = ? WHERE name = 'dictionary-content'", (for_content,))
    shutil.rmtree(site / "output", ignore_errors=True)
    (site / "output").unlink(missing_ok=True)
    result = run_build(site)
    assert result.pages_rendered > 20
    assert _tree(site / "output") == _fresh(site, tmp_path)


def test_each_content_row_has_one_body_row_that_follows_it(make_site) -> None:
    """Bodies are kept under their content row's number: an edit replaces the file's body, a file
    only touched keeps it, a removed file's goes with it; no row is left without its content row."""
    site = _site(make_site)
    run_build(site)
    path = site / CACHE_DIR / CACHE_FILE

    def rows() -> dict[str, tuple[int, str]]:
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("SELECT count(*) FROM bodies WHERE id NOT IN (SELECT rowid FROM content)").fetchone() == (
                0,
            )
            assert (
                db.execute("SELECT count(*) FROM content").fetchone()
                == db.execute("SELECT count(*) FROM bodies").fetchone()
            )
            return {
                rel: (i, d)
                for rel, i, d in db.execute(
                    "SELECT c.rel, b.id, b.digest FROM content AS c JOIN bodies AS b ON b.id = c.rowid"
                )
            }

    before = rows()
    assert all(isinstance(digest, bytes) and len(digest) == 16 for _, digest in before.values())  # hashes as bytes
    edited, touched, removed = (site / f"content/world/a{i}.md" for i in (1, 3, 5))
    edited.write_text(edited.read_text().replace("Body 1", "Body one, rewritten"))
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    removed.unlink()
    run_build(site)
    after = rows()
    rel = "content/world/a{}.md".format
    assert rel(5) not in after and set(after) == set(before) - {rel(5)}
    assert after[rel(1)][0] == before[rel(1)][0] and after[rel(1)][1] != before[rel(1)][1]  # replaced in place
    assert after[rel(3)] == before[rel(3)]
    assert {r: v for r, v in after.items() if r != rel(1)} == {
        r: v for r, v in before.items() if r not in (rel(1), rel(5))
    }
