#!/usr/bin/env python3
"""Time what a build spends on content/_permalinks.yml and on the checks of names, on a generated site.

    python bench/record_bench.py [--articles 10000] [--runs 5]

Writes a record of N articles (one in ten with a redirect) to a temporary folder, then prints the
best of ``--runs`` for reading it (the quick reader, and a YAML parser for comparison), writing
it, and the category, author and tag checks over N articles.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broadsheet.content.lint import Named, author_warnings, tag_warnings, unknown_category_warnings
from broadsheet.content.permalinks import RECORD, Entry, dump_record, load_record, save_record


def best(runs: int, fn: Callable[[], object]) -> float:
    """The shortest of ``runs`` timings of ``fn``, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    n = args.articles
    sections = ["local", "politics", "business", "world"]
    record = {
        f"content/{sections[i % 4]}/story-number-{i}.md": Entry(
            f"/{sections[i % 4]}/story-number-{i}/", (f"/old/story-{i}/",) if i % 10 == 0 else ()
        )
        for i in range(n)
    }
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        save_record(root, record)
        text = (root / RECORD).read_text(encoding="utf-8")
        rows = [
            ("read the record", best(args.runs, lambda: load_record(root))),
            ("  the same with a YAML parser", best(args.runs, lambda: yaml.load(text, Loader=yaml.CSafeLoader))),
            ("write the record (unchanged: compared only)", best(args.runs, lambda: save_record(root, record))),
            ("make its text", best(args.runs, lambda: dump_record(record))),
        ]
    tags = [f"topic-{i % 1500}" for i in range(n * 3)]
    used_tags = [Named(t, f"content/a{i}.md", 5) for i, t in enumerate(tags)]
    used_authors = [Named(f"Writer {i % 300}", f"content/a{i}.md", 4) for i in range(n)]
    used_categories = [Named(sections[i % 4], f"content/a{i}.md", None) for i in range(n)]
    known = [(s, s.title()) for s in sections]
    rows += [
        ("tag check", best(args.runs, lambda: tag_warnings(used_tags))),
        ("author check", best(args.runs, lambda: author_warnings(used_authors, [("ana", "Ana Lima")]))),
        ("category check", best(args.runs, lambda: unknown_category_warnings(used_categories, known, {}))),
    ]
    print(f"{n:,} articles ({len(text) // 1024} KiB record), best of {args.runs}:")
    for name, seconds in rows:
        print(f"  {name:<45} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
