"""Worker processes end with their build, however it ends, and are never forked from a threaded process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from broadsheet import parallel
from broadsheet.publish import search
from tests.conftest import REPO, article, write_site

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")]

#: How long a killed build's processes may take to end.
GRACE_SECONDS = 5.0


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rpartition(")")[2].split()
    return fields[0], int(fields[1])


def _descendants(root: int) -> set[int]:
    """Every live process below ``root``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = st[1]
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _running(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie has ended: it only waits to be reaped)."""
    return {pid for pid in pids if (st := _stat(pid)) is not None and st[0] != "Z"}


def _kill_once_workers_run(proc: subprocess.Popen[bytes], at_least: int) -> set[int]:
    """Wait until ``proc`` has ``at_least`` processes below it, SIGKILL it, and return them."""
    workers: set[int] = set()
    while len(workers) < at_least:
        assert proc.poll() is None, "the process ended before it started its workers"
        time.sleep(0.01)
        workers = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return workers


def _left_after_grace(workers: set[int]) -> set[int]:
    deadline = time.monotonic() + GRACE_SECONDS
    while _running(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _running(workers)


def test_a_killed_build_leaves_no_worker(tmp_path: Path) -> None:
    files = {
        f"content/{'world' if i % 2 else 'sport'}/story-{i}.md": article(
            f"Story {i}", date=f"2026-11-{1 + i % 28:02d}T08:{i % 60:02d}:00", body=f"Paragraph {i}. " * 200
        )
        for i in range(1200)
    }
    site = write_site(tmp_path / "site", files)
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--jobs", "2", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        workers = _kill_once_workers_run(proc, 2)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _left_after_grace(workers) == set()


def _programs_below(root: int, name: str) -> set[int]:
    """The processes below ``root`` running a program whose file name starts with ``name``."""
    found: set[int] = set()
    for pid in _descendants(root):
        try:
            program = os.readlink(f"/proc/{pid}/exe")
        except OSError:  # gone meanwhile
            continue
        if Path(program).name.startswith(name):
            found.add(pid)
    return found


@pytest.mark.skipif(search.find_pagefind() is None, reason="Pagefind is not installed")
def test_a_build_killed_while_indexing_leaves_no_pagefind(tmp_path: Path) -> None:
    # Enough words that Pagefind, on its own, would index for well over the grace after the kill.
    files = {
        f"content/{'world' if i % 2 else 'sport'}/story-{i}.md": article(
            f"Story {i}",
            date=f"2026-11-{1 + i % 28:02d}T08:{i % 60:02d}:00",
            body=" ".join(f"word{(i * 7 + j) % 5000} term{j}" for j in range(800)),
        )
        for i in range(1500)
    }
    site = write_site(tmp_path / "site", files)
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--jobs", "2", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        indexing: set[int] = set()
        while not indexing:
            assert proc.poll() is None, "the build ended before Pagefind ran"
            time.sleep(0.01)
            indexing = _programs_below(proc.pid, "pagefind")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _left_after_grace(indexing) == set()


def test_a_program_started_from_a_thread_ends_with_its_process(tmp_path: Path) -> None:
    # As the search stage runs Pagefind: from a thread that waits for it, in a process running others.
    script = tmp_path / "tied.py"
    script.write_text(
        textwrap.dedent(
            """
            import subprocess, threading
            from broadsheet.parallel import dies_with_us

            def run():
                subprocess.run(dies_with_us(["sleep", "300"]), check=False)

            threads = [threading.Thread(target=run) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path)
    try:
        sleeping: set[int] = set()
        while len(sleeping) < 2:  # both have become the program
            assert proc.poll() is None, "the process ended before its programs ran"
            time.sleep(0.01)
            sleeping = _programs_below(proc.pid, "sleep")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _left_after_grace(sleeping) == set()


def test_a_killed_threaded_process_leaves_no_worker_nor_fork_server(tmp_path: Path) -> None:
    # A process running threads (like the preview) gets its workers from the fork server.
    script = tmp_path / "threaded.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys, threading, time
            from pathlib import Path
            from broadsheet.parallel import map_chunks

            def slow(chunk):
                Path(sys.argv[1], str(os.getpid())).touch()
                time.sleep(60)
                return list(chunk)

            if __name__ == "__main__":
                threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
                map_chunks(slow, list(range(400)), 2)
            """
        )
    )
    started = tmp_path / "started"
    started.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # (Its resource tracker, left to clean up after it, says so on stderr.)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(started)], env=env, cwd=tmp_path, stderr=subprocess.DEVNULL
    )
    try:
        while len(list(started.iterdir())) < 2:  # both workers are running the work
            assert proc.poll() is None, "the process ended before its workers ran"
            time.sleep(0.01)
        processes = _descendants(proc.pid)
        workers = {int(p.name) for p in started.iterdir()}
        assert workers <= processes
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _left_after_grace(processes) == set()


def _parent_of_worker(chunk: list[int]) -> list[int]:
    return [os.getppid() for _ in chunk]


def test_no_fork_while_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="other")
    other.start()
    try:
        assert parallel.worker_context().get_start_method() != "fork"
        parents = set(parallel.map_chunks(_parent_of_worker, list(range(400)), 2))
    finally:
        stop.set()
        other.join()
    # Started by the fork server (or spawned), not forked from this process.
    assert parents and os.getpid() not in parents


def test_without_threads_workers_are_forked_from_the_build() -> None:
    if threading.active_count() > 1:
        pytest.skip("this process runs threads")
    assert parallel.worker_context().get_start_method() == "fork"
    assert set(parallel.map_chunks(_parent_of_worker, list(range(400)), 2)) == {os.getpid()}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_memory_a_thread_freed_is_given_back_to_the_system() -> None:
    """Garbage a thread left in its allocator arena (holes between objects still alive, as a
    ranking leaves) is given back: the process's resident memory falls (see stages/running.py)."""
    code = textwrap.dedent(
        """
        import threading
        from broadsheet.stages.running import give_back_free_memory

        def resident():
            with open("/proc/self/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) // 1024

        kept = []
        def work():
            made = [bytearray(8000) for _ in range(20000)]  # 160 MB in malloc's pieces, written
            kept.extend(made[::50])  # a few stay alive between the holes
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        before = resident()
        give_back_free_memory()
        print(before, resident())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    before, after = map(int, out.stdout.split())
    assert before > 100 and after < before - 80, (before, after)
