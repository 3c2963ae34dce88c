#!/usr/bin/env python3
"""Time the publishing stages of one build: render (with feeds and sitemaps), search index, link check.

    python bench/publishing_overhead.py [SITE_DIR] [--runs 3]

Prints the best of ``--runs`` for each stage and its share of the whole build. Nothing is written
to the site's output folder (the write stage goes to a temporary folder).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broadsheet.pipeline import BuildOptions, load_site, render_site
from broadsheet.publish.feeds import feed_files
from broadsheet.publish.linkcheck import check_links
from broadsheet.publish.search import search_index
from broadsheet.publish.sitemaps import news_sitemap, sitemap_entries, sitemap_files
from broadsheet.render.pages import plan_pages
from broadsheet.write.commit import write_output


def best(runs: int, fn):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", nargs="?", default=".")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    options = BuildOptions(source=Path(args.site).resolve())
    t_load, loaded = best(args.runs, lambda: load_site(options))
    site = loaded.site
    t_render, rendered = best(args.runs, lambda: render_site(loaded))
    files, pages = rendered.files, rendered.rendered
    jobs = plan_pages(site)
    t_feeds, _ = best(args.runs, lambda: feed_files(site))
    t_maps, _ = best(
        args.runs, lambda: (sitemap_files(sitemap_entries(site, jobs), site.config.base_url), news_sitemap(site))
    )
    t_search, (index, warnings) = best(args.runs, lambda: search_index(files))
    every = files + index
    t_links, broken = best(args.runs, lambda: check_links(every, site.config.base_url))
    with tempfile.TemporaryDirectory() as tmp:
        t_write, _ = best(1, lambda: write_output(every, Path(tmp) / "out"))
    total = t_load + t_render + t_search + t_links + t_write
    print(
        f"{len(site.articles)} articles, {pages} pages, {len(every)} files "
        f"({len(index)} from Pagefind); {len(broken)} broken links; {len(warnings)} search warnings"
    )
    rows = [
        ("load (parse, Markdown, related)", t_load),
        ("render pages + feeds + sitemaps", t_render),
        ("  of which feeds", t_feeds),
        ("  of which sitemaps", t_maps),
        ("search index (Pagefind)", t_search),
        ("link check", t_links),
        ("write (cold)", t_write),
    ]
    for name, seconds in rows:
        print(f"{name:34} {seconds * 1000:9.1f} ms  {100 * seconds / total:5.1f} %")
    print(f"{'total':34} {total * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
