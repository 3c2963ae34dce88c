"""The search page and its Pagefind index: only published articles, committed with the pages."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import article, build_errors, read, run_build

from broadsheet.outputs import OutputFile
from broadsheet.publish import search
from broadsheet.publish.search import find_pagefind

needs_pagefind = pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed")


def indexed_urls(output: Path) -> set[str]:
    """The URL of every page in the Pagefind index, all shards (fragments are gzip'd JSON behind a marker)."""
    urls = set()
    for fragment in (output / "pagefind").rglob("fragment/*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        urls.add(json.loads(data[len(b"pagefind_dcd") :])["url"])
    return urls


def test_only_article_pages_mark_a_body(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha"), "content/pages/about.md": "---\ntitle: About\n---\nUs"})
    run_build(site)
    out = site / "output"
    marked = {p.relative_to(out).as_posix() for p in out.rglob("*.html") if "data-pagefind-body" in p.read_text()}
    assert marked == {"world/alpha/index.html"}


def test_search_page_form_and_bundle_links(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha")})
    run_build(site)
    page = read(site, "search/index.html")
    assert '<form class="search-form" action="/search/" method="get" role="search">' in page
    assert 'name="q"' in page
    assert '<script src="/pagefind/pagefind-ui.js"></script>' in page
    assert 'href="/pagefind/pagefind-ui.css"' in page


@needs_pagefind
def test_index_holds_published_articles_only(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("Alpha river story", body="The river rose overnight."),
            "content/sport/b.md": article("Beta match report", body="A late goal."),
            "content/world/draft.md": article("Secret draft", draft=True),
            "content/world/future.md": article("Embargoed story", date="2027-01-01T09:00:00"),
            "content/pages/about.md": "---\ntitle: About\n---\nWe are a newspaper.",
        }
    )
    result = run_build(site)
    out = site / "output"
    assert not result.warnings
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (out / "pagefind" / name).is_file()
    assert indexed_urls(out) == {"/world/alpha-river-story/", "/sport/beta-match-report/"}
    from broadsheet.write.commit import read_manifest

    manifest = read_manifest(out)
    assert "pagefind/pagefind.js" in manifest  # committed like any page, so removed when stale


@needs_pagefind
def test_index_follows_the_content_and_stale_files_go(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha"), "content/world/b.md": article("Beta")})
    run_build(site)
    out = site / "output"
    before = {p.name for p in (out / "pagefind").rglob("fragment/*")}
    (site / "content/world/b.md").unlink()
    run_build(site)
    after = {p.name for p in (out / "pagefind").rglob("fragment/*")}
    assert indexed_urls(out) == {"/world/alpha/"}
    assert len(after) == 1 and before - after  # Beta's fragment removed, not left behind
    again = run_build(site)
    assert again.stats and again.stats.written == 0  # Pagefind's output is stable between builds


def test_missing_pagefind_warns_and_builds(make_site, monkeypatch) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site({"content/world/a.md": article("Alpha")})
    result = run_build(site)
    assert [w.message for w in result.warnings] == ["search index not built: Pagefind is not installed"]
    assert (site / "output/world/alpha/index.html").is_file()
    assert (site / "output/search/index.html").is_file()
    assert not (site / "output/pagefind").exists()
    errors = build_errors(site, strict=True)
    assert any("Pagefind is not installed" in e and "--strict" in e for e in errors)


def test_failing_pagefind_warns_and_keeps_the_rest(make_site, monkeypatch) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: ["false"])
    site = make_site({"content/world/a.md": article("Alpha")})
    result = run_build(site)
    assert any("Pagefind exited with 1" in w.message for w in result.warnings)
    assert (site / "output/world/alpha/index.html").is_file()


@needs_pagefind
def test_unchanged_pages_reuse_the_index(make_site, monkeypatch) -> None:
    site = make_site({"content/world/a.md": article("Alpha"), "content/world/b.md": article("Beta")})
    run_build(site)
    runs: list[int] = []
    real = search.search_index

    def counted(pages, command=None, folder=search.BUNDLE_DIR, full=True):  # type: ignore[no-untyped-def]
        runs.append(len(pages))
        return real(pages, command, folder, full)

    monkeypatch.setattr(search, "search_index", counted)
    again = run_build(site)
    assert runs == [] and again.stats and again.stats.written == 0  # same pages: the bundle is kept
    assert again.search_shards_indexed == ()
    (site / "output/pagefind/pagefind.js").unlink()
    run_build(site)
    assert runs == [2] and (site / "output/pagefind/pagefind.js").is_file()  # damaged: indexed anew
    (site / "content/world/b.md").write_text(article("Beta", body="Changed words."), encoding="utf-8")
    run_build(site)
    assert runs == [2, 2]
    assert indexed_urls(site / "output") == {"/world/alpha/", "/world/beta/"}


@needs_pagefind
def test_pagefind_given_the_marked_parts_makes_the_same_index(make_site, tmp_path) -> None:
    """The build hands Pagefind only what it reads of a page (search_copy); run on the whole
    pages instead, Pagefind makes the very same bundle, byte for byte."""
    pic = "![A harbour at dawn](https://example.org/harbour.jpg)\n\n"
    site = make_site(
        {
            "content/world/a.md": article("Alpha", body=pic + "The harbour strike ended at dawn."),
            "content/world/b.md": article("Beta", body="## Talks\n\n> We will return.\n\nA *long* day in parliament."),
            "content/sport/c.md": article("Gamma", body="The derby was called off [late](https://example.org)."),
        }
    )
    run_build(site, search=False)
    out = site / "output"
    pages = [p for p in out.rglob("*.html") if search.BODY_MARK in p.read_bytes()]
    assert len(pages) == 3
    bundles = {}
    for kind, copy in (("whole", lambda b: b), ("marked", search.search_copy)):
        root = tmp_path / kind
        for page in pages:
            target = root / "site" / page.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(copy(page.read_bytes()))
        command = find_pagefind()
        assert command is not None
        subprocess.run(
            [*command, "--site", str(root / "site"), "--output-path", str(root / "b"), "--quiet"], check=True
        )
        bundles[kind] = {
            p.relative_to(root / "b").as_posix(): p.read_bytes() for p in (root / "b").rglob("*") if p.is_file()
        }
    assert any(name.startswith("fragment/") for name in bundles["whole"])
    assert bundles["marked"] == bundles["whole"]
    assert len(search.search_copy(pages[0].read_bytes())) < len(pages[0].read_bytes()) / 2


def test_search_copy_keeps_the_language_and_every_marked_element_once() -> None:
    page = (
        b'<!doctype html><html lang="fr"><head><title>T</title>'
        b'<meta data-pagefind-meta="date:2026-01-02"></head><body><nav>Menu</nav>'
        b"<h1 data-pagefind-body>Titre</h1><aside>Lire aussi</aside>"
        b'<figure data-pagefind-body><img src="/a.jpg" data-pagefind-meta="image[src]"></figure>'
        b"<div data-pagefind-body><p>Un <div>texte</div></p></div><footer>F</footer></body></html>"
    )
    copy = search.search_copy(page)
    assert b'<html lang="fr">' in copy
    assert b'<meta data-pagefind-meta="date:2026-01-02">' in copy
    assert b"<h1 data-pagefind-body>Titre</h1>" in copy
    assert copy.count(b'data-pagefind-meta="image[src]"') == 1  # inside its figure, taken once
    assert b"<div data-pagefind-body><p>Un <div>texte</div></p></div>" in copy
    for rest in (b"Menu", b"Lire aussi", b"<footer>", b"<title>"):
        assert rest not in copy
    # The rest of the page does not count: a change there indexes nothing again.
    assert search.search_digest(page.replace(b"Lire aussi", b"Autre")) == search.search_digest(page)
    assert search.search_digest(page.replace(b"Titre", b"Autre")) != search.search_digest(page)


def _marked_by_pattern(data: bytes) -> list[tuple[int, int, bytes]]:
    return [(m.start(), m.end(), m.group(1).lower()) for m in search._MARKED_TAG.finditer(data)]


def test_marked_tags_are_those_the_pattern_finds(make_site) -> None:
    """The quick scan for marked tags finds what the plain pattern does, on built pages and on
    the awkward cases: the attribute named in text or a comment, in a longer word, on an upper-case
    tag, on a self-closing tag, after a '>' inside the tag."""
    site = make_site(
        {
            "content/world/a.md": article(
                "Alpha", body="Mark `data-pagefind-body` on the story.\n\n<!-- data-pagefind-ignore -->"
            ),
            "content/world/b.md": article("Beta", body="![A harbour](https://example.org/h.jpg)\n\nThe strike."),
        }
    )
    run_build(site, search=False)
    pages = [p.read_bytes() for p in (site / "output").rglob("*.html")]
    awkward = [
        b"<p>The attribute data-pagefind-body marks it.</p>",
        b"<DIV Data-Pagefind-Body>x</DIV><div xdata-pagefind-body>y</div>",
        b'<img src="a.jpg" data-pagefind-meta="image[src]"/><br data-pagefind-ignore>',
        b"<!-- <div data-pagefind-body> --><section>\n<div\n  data-pagefind-body\n>z</div></section>",
        b'<a title=">" data-pagefind-filter="x">l</a><x-y data-pagefind-sort="d">s</x-y>',
    ]
    for data in pages + awkward:
        assert list(search.marked_tags(data)) == _marked_by_pattern(data), data[:200]
    assert any(_marked_by_pattern(p) for p in pages)


def marked_pages() -> list[OutputFile]:
    """Two article pages as the render stage gives them to the index."""
    page = '<html lang="en"><body><main data-pagefind-body><h1>{}</h1><p>{}</p></main></body></html>'
    return [
        OutputFile("world/alpha/index.html", "t", page.format("Alpha", "Harbour frozen").encode()),
        OutputFile("world/beta/index.html", "t", page.format("Beta", "Boats return").encode()),
    ]


def scratch_runs(monkeypatch, memory: Path, full: bool = False) -> list[str | None]:  # type: ignore[no-untyped-def]
    """Make ``memory`` the file system in memory, with room for anything, and record the scratch
    folder's parent of each Pagefind run (None: on disk); ``full``: a run there fails for want of room."""
    monkeypatch.setattr(search, "MEMORY_TEMP", str(memory))
    monkeypatch.setattr(search, "MEMORY_MARGIN", 0)
    parents: list[str | None] = []
    real = search._run_pagefind

    def watched(copies, command, parent):  # type: ignore[no-untyped-def]
        parents.append(parent)
        if parent is not None and full:
            raise OSError(28, "No space left on device")
        assert parent is None or list(Path(parent).iterdir()) == []  # nothing left behind before
        return real(copies, command, parent)

    monkeypatch.setattr(search, "_run_pagefind", watched)
    return parents


@needs_pagefind
def test_pagefind_runs_in_memory_when_there_is_room(monkeypatch, tmp_path) -> None:
    memory = tmp_path / "memory"
    memory.mkdir()
    parents = scratch_runs(monkeypatch, memory)
    files, warnings = search.search_index(marked_pages())
    assert not warnings and parents == [str(memory)]
    assert "pagefind/pagefind-entry.json" in {f.path for f in files}
    assert list(memory.iterdir()) == []  # the scratch folder is removed after the run
    # No room (a margin larger than the file system): the system's temporary folder.
    monkeypatch.setattr(search, "MEMORY_MARGIN", 1 << 62)
    files, warnings = search.search_index(marked_pages())
    assert not warnings and parents[-1] is None and files
    # No such file system: on disk too.
    monkeypatch.setattr(search, "MEMORY_MARGIN", 0)
    monkeypatch.setattr(search, "MEMORY_TEMP", str(tmp_path / "none"))
    assert search.scratch_parent(1) is None


@needs_pagefind
def test_a_memory_file_system_that_fills_up_falls_back_to_disk(monkeypatch, tmp_path) -> None:
    parents = scratch_runs(monkeypatch, tmp_path, full=True)
    files, warnings = search.search_index(marked_pages())
    assert parents == [str(tmp_path), None]
    assert not warnings and "pagefind/pagefind.js" in {f.path for f in files}


def test_scratch_folders_a_killed_build_left_in_memory_are_swept(monkeypatch, tmp_path) -> None:
    memory = tmp_path / "memory"
    old, fresh, other = memory / "broadsheet-search-old", memory / "broadsheet-search-new", memory / "keep-me"
    for folder in (old, fresh, other):
        (folder / "site").mkdir(parents=True)
    long_ago = time.time() - 3 * search.TIMEOUT_SECONDS
    for folder in (old, other):
        os.utime(folder, (long_ago, long_ago))
    monkeypatch.setattr(search, "MEMORY_TEMP", str(memory))
    monkeypatch.setattr(search, "MEMORY_MARGIN", 0)
    assert search.scratch_parent(1) == str(memory)
    assert sorted(p.name for p in memory.iterdir()) == ["broadsheet-search-new", "keep-me"]
