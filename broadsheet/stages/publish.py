"""What is made from the pages: feeds and sitemaps (while pages render), then the *facts*,
*search* and *links* stages.

Reads the site, the planned pages, the :class:`~.types.RenderedSite`'s files and what the cache
recorded of the last build; makes feeds, sitemaps and robots.txt (kept while their inputs are the
same), each HTML page's hash, links and search mark (:data:`~.types.PageFacts`), the search index
(see publish/search.py) and the broken links' warnings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path

from ..content.lint import locate_links
from ..content.model import Site
from ..errors import BuildWarning
from ..incremental.cache import BuildCache
from ..incremental.keys import key_of
from ..outputs import OutputFile, PageJob, kept_file, output_key
from ..parallel import default_jobs
from ..publish import search as search_stage
from ..publish.feeds import feed_files, feeds_input, render_feeds
from ..publish.linkcheck import check_page_links, checked
from ..publish.search import SplitIndex
from ..publish.sitemaps import SitemapsInput, news_sitemap, robots_txt, sitemap_files, sitemap_pages
from ..render.pages import page_facts
from ..write.commit import LastOutput, digest_bytes
from ..write.generations import shown, staging_dir
from .remember import read_back
from .types import LoadedSite, PageFacts, RenderedSite


def made_or_kept(
    cache: BuildCache,
    output: Path | None,
    name: str,
    key: str,
    make: Callable[[], list[OutputFile]],
    still: Callable[[str, str], bool],
) -> list[OutputFile]:
    """Files ``make`` makes from inputs whose hash is ``key``; the last build's, kept, if it had the same
    inputs and its files are still in the output as written."""
    if cache.folder is None or output is None:
        return make()
    records = cache.made.setdefault(output_key(output), {})
    record = records.get(name)
    if record is not None and record[0] == key and record[1] and all(still(p, d) for p, d in record[1].items()):
        return [kept_file(path, name, digest) for path, digest in sorted(record[1].items())]
    files = make()
    records[name] = (key, {f.path: f.kept or f.digest or digest_bytes(f.data or b"") for f in files})
    cache.dirty = True
    return files


def made_from(cache: BuildCache, output: Path, name: str) -> str | None:
    """The key of the inputs the files ``name`` of ``output`` were last made or kept from (see
    :func:`made_or_kept`), or None."""
    record = cache.made.get(output_key(output), {}).get(name)
    return record[0] if record is not None else None


def publishing_files(
    site: Site,
    jobs: list[PageJob],
    static: list[OutputFile],
    cache: BuildCache | None = None,
    output: Path | None = None,
    still: Callable[[str, str], bool] | None = None,
    sitemaps_key: str | None = None,
) -> list[OutputFile]:
    """Feeds, sitemaps and robots.txt; a robots.txt in the site's static/ wins over ours.

    With the cache and output folder, feeds and sitemaps made from the same inputs as the last build's
    are kept. ``sitemaps_key``: the key of the sitemaps' input when the caller knows it (see
    Resumed.sitemaps_key): the pages are then listed only if the sitemaps must be made.
    """
    if cache is not None and still is not None:
        # Feeds show the newest stories whole: most edits leave them as they were.
        feeds = feeds_input(site)
        files = made_or_kept(cache, output, "feeds", key_of(feeds), lambda: render_feeds(feeds), still)

        listed: SitemapsInput | None = None
        if sitemaps_key is None:
            listed = sitemap_pages(site, jobs)
            sitemaps_key = listed.key()

        def make_sitemaps() -> list[OutputFile]:
            pages = listed or sitemap_pages(site, jobs)
            return sitemap_files(pages.entries(), pages.base_url)

        # Made from their input alone, and kept while its key is the same.
        files += made_or_kept(cache, output, "sitemaps", sitemaps_key, make_sitemaps, still)
    else:
        listed = sitemap_pages(site, jobs)
        files = feed_files(site) + sitemap_files(listed.entries(), listed.base_url)
    files.append(news_sitemap(site))
    if not any(f.path == "robots.txt" for f in static):
        files.append(robots_txt(site.config.base_url))
    return files


def links_under(base_url: str) -> str:
    """The first of a page's links as the cache keeps them: the base URL they were chosen for
    (see page_facts_of), which no link can be."""
    return f"\x00under {base_url}"


def page_facts_of(loaded: LoadedSite, rendered: RenderedSite, output: Path) -> list[PageFacts]:
    """Every HTML page with its hash, links and search mark, without reading pages again where possible.

    Pages rendered now come with theirs (read by the render workers); a kept page's hash and mark
    are those remembered in the cache (its links too, read only if checked: see check_links_of),
    else it is read back from the output.
    """
    before = loaded.cache.facts_of(output) if loaded.cache.folder is not None else {}
    remembered: dict[str, tuple[str, tuple[str, ...] | None, bool]] = {}
    # Each distinct link once: its one held copy, or None when the check cannot use it.
    kept: dict[str, str | None] = {}
    base_url = loaded.config.base_url
    under = links_under(base_url)
    out: list[PageFacts] = []
    for f in rendered.files:
        if not f.path.endswith(".html"):
            continue
        facts: tuple[str, tuple[str, ...] | None, bool] | None = rendered.facts.get(f.path)
        if facts is None and f.data is not None:
            facts = (digest_bytes(f.data), *page_facts(f.data))
        elif facts is None and f.kept is not None:
            known = before.get(f.path)
            if known is not None and known[0] == f.kept:
                facts = (f.kept, None, known[1])
            else:
                try:
                    facts = (f.kept, *page_facts((output / f.path).read_bytes()))
                except OSError:
                    continue  # gone since the cache checked it: the write stage reports that
        if facts is None:
            continue
        if facts[1] is not None:
            # Only the links the check can find a file for are held and kept (a page's share buttons
            # and fragments are most of its links). Pages repeat the same links (navigation,
            # footer), each page's read apart by a worker: each is judged once, one copy held.
            held = []
            for link in facts[1]:
                if link not in kept:
                    kept[link] = link if checked(link, base_url) else None
                copy = kept[link]
                if copy is not None:
                    held.append(copy)
            links = tuple(held)
            facts = (facts[0], links, facts[2])
            remembered[f.path] = (facts[0], (under, *links), facts[2])
        else:
            remembered[f.path] = facts
        out.append((f, *facts))
    loaded.cache.set_facts(output, remembered)
    return out


def index_pages(
    loaded: LoadedSite,
    pages: list[PageFacts],
    output: Path,
    last: LastOutput | None = None,
    jobs: int | None = None,
) -> SplitIndex:
    """The search index, split in shards (see publish/search.py): those whose pages did not change
    kept from the last build, the others made again by Pagefind.

    ``last``: the output as the render stage saw it (its files are looked at once in a build).
    """
    marked = {f.path: (f, digest) for f, digest, _, mark in pages if mark}
    key = output_key(output)
    shard_records, known = loaded.cache.search.get(key, ({}, {}))
    if marked and not shard_records and search_stage.find_pagefind() is None:
        # Nothing to keep and nothing to index with: without reading the pages back.
        return search_stage.SplitIndex([], [search_stage.not_installed()], [], {})
    staging = staging_dir(output, loaded.config.root)

    def read(paths: Sequence[str]) -> list[OutputFile]:
        return [g for g in (read_back(marked[p][0], output, staging) for p in paths) if g is not None]

    def read_one(path: str) -> bytes | None:
        page = read_back(marked[path][0], output, staging)
        return page.data if page is not None else None

    # Shards are keyed by what Pagefind reads of their pages, not by whole pages: a related list
    # or a "next story" link that changed does not index a month again.
    indexed = search_stage.indexed_digests(((path, digest) for path, (_, digest) in marked.items()), known, read_one)
    shards = search_stage.plan_shards(indexed.items(), search_stage.article_months(loaded.site, loaded.config.tz))
    index = search_stage.index_shards(
        shards, shard_records, (last or shown(output, loaded.config.root)).still_written, read, jobs or default_jobs()
    )
    record = (index.records, {digest: indexed[path] for path, (_, digest) in marked.items()})
    if loaded.cache.search.get(key) != (record if marked else None):  # an unchanged cache is not written
        if marked:
            loaded.cache.search[key] = record
        else:
            loaded.cache.search.pop(key, None)
        loaded.cache.dirty = True
    return index


def check_links_of(
    loaded: LoadedSite, output: Path, pages: list[PageFacts], known: set[str], ignore: tuple[str, ...]
) -> list[BuildWarning]:
    """Check the pages' internal links; with the cache, only those that can have changed.

    A page kept from the last build has the same links (its bytes are the same), and each link
    names what it named then. The cache remembers the output's file list and each page's broken
    links: while no file has gone from the output, a kept page's good links stay good, so only
    pages rendered now are read and checked whole; a kept page with broken links has just those
    checked again (one whose target has appeared since is good now, the others are reported
    again). A file gone from the output may break any page: every page is checked then (but for
    a search shard's chunks, which no page links to). The
    warnings are what checking every link of every page would give.
    """
    base_url = loaded.config.base_url
    key = hashlib.blake2b(repr((base_url, ignore)).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    where = output_key(output)
    record = loaded.cache.links.get(where)
    now = tuple(sorted(known))
    before: dict[str, tuple[str, ...]] | None = None
    if record is not None and record[0] == key:
        # Gone files break links; a search shard's chunks, renamed when the shard is indexed again,
        # break none (no page links to them), so an edit does not check every page's links.
        gone = () if record[1] == now else set(record[1]).difference(known)
        if not any(not search_stage.unlinked_file(path) for path in gone):
            before = record[2]
    todo: list[tuple[OutputFile, Collection[str] | None]] = []
    for f, _, links, _ in pages:
        if before is None or f.kept is None:
            todo.append((f, links))
        elif f.path in before:
            todo.append((f, before[f.path]))  # a kept page: only its links that were broken
    unread = [f.path for f, links in todo if links is None]
    stored = loaded.cache.stored_links(output, None if len(unread) > len(pages) // 2 else unread) if unread else {}

    under = links_under(base_url)

    def with_links() -> Iterator[tuple[OutputFile, Collection[str]]]:
        for f, links in todo:
            if links is None:
                links = stored.get(f.path)
                # Kept for another base URL, the links left out as another site's may be this one's.
                links = links[1:] if links and links[0] == under else None
            if links is None:  # not in the cache after all: read from the page
                try:
                    links = page_facts((output / f.path).read_bytes())[0]
                except OSError:
                    continue
            yield f, links

    broken: set[str] = set()
    root = loaded.config.root
    located = record[3] if record is not None else None

    def locate(showing: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
        """Where each broken link is written (as the last build found, while what it read is the same)."""
        nonlocal located
        reads = sources_key(loaded, showing)
        if located is not None and reads is not None and located[0] == reads:
            return located[1]
        found = find_in_sources(showing)
        located = (reads, found) if reads is not None else None
        return found

    def find_in_sources(showing: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
        """Where each broken link is written: in site.yml (the logo, social links), else in the
        articles whose picture it is, else in those whose own pages show it (a body link), else in
        any source."""
        found = locate_links(showing, [("site.yml", root / "site.yml")])
        rest = [link for link in showing if link not in found]
        # A front-matter picture: the articles that name it, shown on many pages by their cards.
        pictured = sorted({a.source for a in loaded.site.articles if a.image in rest})
        found.update(locate_links(rest, [(s, root / s) for s in pictured]))
        rest = [link for link in rest if link not in found]
        own = sorted({s for link in rest for s in showing[link] if s.startswith("content/")})
        found.update(locate_links(rest, [(s, root / s) for s in own]))
        rest = [link for link in rest if link not in found]
        if rest:
            read = set(own)
            others = [a.source for a in loaded.site.articles] + [p.source for p in loaded.site.pages]
            found.update(locate_links(rest, [(s, root / s) for s in others if s not in read]))
        return found

    found: dict[str, list[str]] = {}
    warnings = check_page_links(with_links(), known, base_url, ignore, broken, locate=locate, broken_links=found)
    remembered = {path: tuple(links) for path, links in found.items()}
    if not remembered:
        located = None  # nothing broken: nothing to remember of where
    if loaded.cache.folder is not None and record != (key, now, remembered, located):
        loaded.cache.links[where] = (key, now, remembered, located)
        loaded.cache.dirty = True
    return warnings


def sources_key(loaded: LoadedSite, showing: Mapping[str, Sequence[str]]) -> str | None:
    """Hash of everything finding where broken links are written reads (see check_links_of): the
    links with the pages' sources that show them, site.yml, and which sources the site publishes,
    each by the hash of its bytes; None without the cache (which knows the sources' hashes)."""
    cache = loaded.cache
    if cache.folder is None:
        return None
    try:
        config = (loaded.config.root / "site.yml").read_bytes()
    except OSError:
        return None
    content = cache.content
    sources = [a.source for a in loaded.site.articles] + [p.source for p in loaded.site.pages]
    digests = [content[s].digest if s in content else None for s in sources]
    if None in digests:
        return None
    links = sorted((link, tuple(shown)) for link, shown in showing.items())
    return hashlib.blake2b(repr((links, config, sources, digests)).encode("utf-8", "surrogatepass")).hexdigest()
