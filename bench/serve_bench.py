#!/usr/bin/env python3
"""How fast the live preview answers a save, and how quiet it is when nothing happens.

    python bench/serve_bench.py [--articles 10000] [--corpus DIR] [--saves 5] [--poll]

Generates a corpus with the shared generator (or reuses ``--corpus DIR`` when it already holds
one), starts ``python build.py serve`` on it in a subprocess, connects to the live-reload
websocket like a browser page, then:

* saves one article (a plain write, then an atomic write-and-rename) ``--saves`` times each,
  and times each save to the reload message on the websocket;
* measures the server process's CPU time over 5 idle seconds.

It prints figures; it asserts nothing (timings belong here, never in the tests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parent.parent
GENERATOR = Path(__file__).resolve().parent / "gen_corpus.py"
SITE_YML = """\
title: Bench Times
tagline: Ten thousand stories
base_url: https://bench.example.org/
timezone: UTC
pagination: {per_page: 10}
"""
IDLE_SECONDS = 5.0


def make_corpus(folder: Path, articles: int) -> None:
    """Write site.yml and ``articles`` generated articles into ``folder`` unless already there."""
    content = folder / "content"
    if not content.is_dir() or sum(1 for _ in content.rglob("*.md")) != articles:
        print(f"Generating {articles} articles in {content} ...", flush=True)
        subprocess.run(
            [sys.executable, str(GENERATOR), str(articles), str(content)], check=True, stdout=subprocess.DEVNULL
        )
    (folder / "site.yml").write_text(SITE_YML, encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc)."""
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


class Server:
    """``build.py serve`` in a subprocess; its output lines collected by a thread."""

    def __init__(self, site: Path, poll: bool) -> None:
        cmd = [sys.executable, str(REPO / "build.py"), "serve", "--source", str(site), "--port", "0"]
        if poll:
            cmd.append("--poll")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, bufsize=1
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            match = re.search(r"Serving .* at (http://\S+)", line)
            if match:
                self.url = match.group(1)
                self.ready.set()
        self.ready.set()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def connect(url: str) -> object:
    origin = url.rstrip("/")
    request = HTTPRequest(origin.replace("http://", "ws://") + "/livereload", headers={"Origin": origin})
    conn = await websocket_connect(request)
    await conn.write_message(
        json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]})
    )
    await conn.read_message()
    await conn.write_message(json.dumps({"command": "info", "url": url, "plugins": {}}))
    await asyncio.sleep(0.5)  # the server registers the page
    return conn


async def wait_reload(conn: object) -> None:
    while True:
        message = await asyncio.wait_for(conn.read_message(), 120)  # type: ignore[attr-defined]
        if message is None:
            raise RuntimeError("the server closed the websocket")
        if json.loads(message).get("command") == "reload":
            return


async def measure(server: Server, site: Path, saves: int) -> dict[str, list[float]]:
    assert server.url is not None
    conn = await connect(server.url)
    articles = sorted((site / "content").rglob("*.md"))
    results: dict[str, list[float]] = {"plain save": [], "atomic save": []}
    for kind in results:
        for i in range(saves):
            path = articles[(i * 1999 + (7 if kind == "atomic save" else 0)) % len(articles)]
            text = path.read_text(encoding="utf-8") + f"\nEdited for the benchmark ({kind} {i}).\n"
            if kind == "plain save":
                path.write_text(text, encoding="utf-8")
            else:
                tmp = path.with_name(f".{path.name}.tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)
            saved = time.perf_counter()
            await wait_reload(conn)
            results[kind].append(time.perf_counter() - saved)
            await asyncio.sleep(0.5)
    pid = server.proc.pid
    before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(IDLE_SECONDS)
    idle_cpu = cpu_seconds(pid) - before
    results["idle"] = [idle_cpu, time.perf_counter() - started]
    conn.close()  # type: ignore[attr-defined]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, help="site folder to create or reuse (default: a temporary one)")
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--poll", action="store_true", help="use the polling watcher")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        site = (args.corpus or Path(tmp) / "site").resolve()
        make_corpus(site, args.articles)
        started = time.perf_counter()
        server = Server(site, args.poll)
        try:
            server.ready.wait()
            if server.url is None:
                print("\n".join(server.lines[-20:]))
                return 1
            load = time.perf_counter() - started
            pages = next((m.group(1) for line in server.lines if (m := re.search(r"Built (\d+) pages", line))), "?")
            try:
                results = asyncio.run(measure(server, site, args.saves))
            except (TimeoutError, RuntimeError, OSError):
                print("The server said:\n  " + "\n  ".join(server.lines[-30:]), file=sys.stderr)
                raise
            memory = rss_mib(server.proc.pid)
        finally:
            server.stop()
        engine = [float(m.group(1)) for line in server.lines if (m := re.search(r"Updated: .* in (\d+) ms", line))]
        rendered = [int(m.group(1)) for line in server.lines if (m := re.search(r"Updated: (\d+) page", line))]

    idle_cpu, idle_wall = results.pop("idle")
    print()
    print(
        f"serve benchmark: {args.articles} articles, {pages} pages, watcher: "
        f"{'polling' if args.poll else 'file system events'}"
    )
    print(f"  first build and start:          {load:8.1f} s   ({memory:.0f} MiB resident after the saves)")
    for i, (kind, times) in enumerate(results.items()):
        ms = sorted(t * 1000 for t in times)
        print(
            f"  {kind} → reload message:  median {statistics.median(ms):6.0f} ms   "
            f"(min {ms[0]:.0f}, max {ms[-1]:.0f}, n={len(ms)})"
        )
        own = engine[i * len(times) : (i + 1) * len(times)]  # the server reports updates in order
        pages_done = rendered[i * len(times) : (i + 1) * len(times)]
        if own:
            print(
                f"    of which the update itself:   median {statistics.median(own):6.0f} ms   "
                f"({statistics.median(pages_done):.0f} pages rendered per save)"
            )
    print(
        f"  idle CPU over {idle_wall:.1f} s:          {idle_cpu:8.2f} s   "
        f"({100 * idle_cpu / idle_wall:.1f} % of one core)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
