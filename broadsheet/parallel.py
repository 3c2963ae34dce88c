"""Spread independent work over processes with a ``concurrent.futures`` executor.

Stages hand this module a picklable function and a list of work items; it chunks them and
maps them over an executor. Any ``concurrent.futures.Executor`` works, so the same stage
code could run on a cluster executor; the default is a process pool sized to the cores.
Small inputs run in-process, where starting workers would cost more than it saves.

:func:`map_shared` is for work that needs a large value besides its items (the loaded site and
its templates, to render pages): workers of the default pool are forked after the value is
set aside, so they inherit it without a copy being sent; any other executor gets the value
pickled with each chunk, so the same stage still runs there.

:class:`Aside` is one forked helper that makes a value ready while the build goes on, then answers
questions about it (a resumed build's: see stages/aside.py).

Worker processes end with the process that started them, however it ends (a build killed with
SIGKILL included: see :func:`process_pool`), and are never forked from a process running other
threads (see :func:`worker_context`); so do the programs a stage runs (see :func:`dies_with_us`).
"""

from __future__ import annotations

import copyreg
import ctypes
import functools
import gc
import multiprocessing
import multiprocessing.context
import os
import pickle
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import repeat
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from .tuning import DEFAULT as DEFAULT_TUNING

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

#: Values handed to forked workers by inheritance, by token (see map_shared).
_INHERITED: dict[int, Any] = {}


def _mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _reduce_mapping_proxy(m: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _mapping_proxy, (dict(m),)


# The site's read-only mappings (config extras, groupings) must cross to executors that pickle.
copyreg.pickle(MappingProxyType, _reduce_mapping_proxy)


#: Linux's prctl option that has the kernel signal a process when its parent ends.
_PR_SET_PDEATHSIG = 1
#: How often a worker on a system without it looks whether its build still runs (seconds).
_PARENT_POLL = 0.5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user took the number: ours is gone
        return False
    return True


@functools.cache
def c_library() -> ctypes.CDLL | None:
    """The C library of this process on Linux (for ``prctl``, glibc's ``malloc_trim``), else None.

    Found among the process's own symbols: ``ctypes.util.find_library`` would cost every build
    9 ms of imports and a look at the linker's cache."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _parent_death_signal() -> bool:
    """Ask the kernel to kill this process when its parent ends (Linux); False where it cannot."""
    libc = c_library()
    try:
        return libc is not None and bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except AttributeError:
        return False


def _watch(pid: int) -> None:
    while _alive(pid):
        time.sleep(_PARENT_POLL)
    os._exit(1)


def _start_worker(pid: int) -> None:
    """Initializer of every worker: end this worker when process ``pid`` (its build) ends (see
    :func:`_die_with`), and collect garbage automatically (the build's process may have that off)."""
    # Workers make garbage item after item: they collect it whatever the build's process does
    # (see stages/running.py).
    gc.enable()
    _die_with(pid)


def _die_with(pid: int) -> None:
    """End this process when process ``pid`` (its build) ends.

    A worker outliving its build would wait for ever, holding its memory (a killed build's
    workers block writing results nobody reads). On Linux the kernel kills a worker when its
    parent ends. A worker started by a fork server has that server for parent, which lives as long
    as any of its workers does (each holds the server's pipe): such a worker, like any worker where
    the kernel cannot do it, has a thread look for the build twice a second.
    """
    if not _parent_death_signal() or os.getppid() != pid:
        threading.Thread(target=_watch, args=(pid,), name="parent-watch", daemon=True).start()
    if not _alive(pid):  # ended before the signal was asked for
        os._exit(1)


#: Seconds an :class:`Aside` is waited for at most: far beyond what its work takes (a few seconds
#: on 100,000 articles), short of a build that seems to hang.
ASIDE_TIMEOUT = 120.0


class Aside(Generic[S]):
    """A value prepared in a forked process while this one goes on, then asked about.

    For a large value a build needs only a small answer from, computed from what this process
    learns meanwhile: the related ranking's kept state, loaded while the build loads its kept
    plan, then asked for the lists an edit changes (see stages/aside.py). Both loads are Python
    work that one process would do one after the other; two processes do them side by side on
    two cores, and only the request and the answer cross (pickled).

    The helper is forked (it inherits, and never pickles, what ``prepare`` reads), ends with this
    process, and answers until :meth:`close`. Any failure (the fork, ``prepare``, an answer, the
    helper killed) makes :meth:`ask` return None: the caller then does the work itself.
    """

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Any) -> None:
        self._process = process
        self._conn = conn

    @classmethod
    def start(cls, prepare: Callable[[], S], answer: Callable[[S, Any], Any]) -> Aside[S] | None:
        """Fork a helper that runs ``prepare()`` and then answers each request ``r`` with
        ``answer(value, r)``; None where this process may not fork (see :func:`worker_context`)."""
        context = worker_context()
        if context.get_start_method() != "fork":
            return None
        here, there = context.Pipe()
        process = context.Process(  # type: ignore[attr-defined]
            target=_aside_main, args=(there, prepare, answer, os.getpid()), name="broadsheet-aside", daemon=True
        )
        try:
            process.start()
        except OSError:
            here.close()
            there.close()
            return None
        there.close()
        return cls(process, here)

    def ask(self, request: Any, timeout: float = ASIDE_TIMEOUT) -> Any | None:
        """The helper's answer to ``request`` (it waits for the value to be prepared), or None
        when it failed or gave none within ``timeout`` seconds."""
        try:
            self._conn.send(request)
            if not self._conn.poll(timeout):
                return None  # stuck (a cache file locked by another program?): the caller does the work
            ok, value = self._conn.recv()
        except (OSError, EOFError, ValueError, TypeError, pickle.PickleError, AttributeError):
            return None
        return value if ok else None

    def close(self) -> None:
        """End the helper, whatever it is doing."""
        self._conn.close()
        self._process.kill()
        self._process.join()


def _aside_main(conn: Any, prepare: Callable[[], Any], answer: Callable[[Any, Any], Any], pid: int) -> None:
    """A helper's life (see :class:`Aside`): prepare, answer until told to stop, exit."""
    status = 0
    try:
        _die_with(pid)
        value = prepare()
        while True:
            request = conn.recv()
            if request is None:
                break
            try:
                reply = (True, answer(value, request))
            except Exception:
                reply = (False, None)
            conn.send(reply)
    except BaseException:
        status = 1
    finally:
        # Not through the interpreter's exit: the build's inherited state (open files, the cache's
        # connection, atexit handlers) belongs to the build.
        os._exit(status)


#: Run by Python between the fork and the exec of a program started with :func:`dies_with_us`:
#: ask the kernel for SIGKILL when the parent ends, give up if it already has, become the program.
#: (Arguments: the parent's pid, then the program's command.) A Python without ctypes runs the
#: program untied rather than not at all.
_TIED_EXEC = """\
import os, sys
try:
    import ctypes, signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
except (ImportError, OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    os._exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""


def dies_with_us(command: Sequence[str]) -> list[str]:
    """``command`` made to end with this process, however it ends (SIGKILL included), on Linux.

    For programs a stage runs as child processes (Pagefind): killed with its build, such a program
    would run on to the end of its work, holding its memory and cores. The kernel's parent death
    signal is kept across ``exec``, so a short Python step asks for it and then becomes the program.
    Not a ``preexec_fn``: that runs Python in a child forked from a process running threads (the
    search stage runs Pagefind from several), where it can hang on a lock another thread held, and
    it makes ``subprocess`` fork the whole build process rather than spawn. The kernel signals when the
    *thread* that started the child ends: start it from a thread that waits for it.

    Elsewhere, or when the program is not found (``subprocess`` then says so as for ``command``
    itself), ``command`` is returned as it is.
    """
    program = shutil.which(command[0]) if command else None
    if not sys.platform.startswith("linux") or not sys.executable or program is None:
        return list(command)
    return [sys.executable, "-I", "-S", "-c", _TIED_EXEC, str(os.getpid()), os.path.abspath(program), *command[1:]]


def worker_context() -> multiprocessing.context.BaseContext:
    """How to start workers now: forked while this process runs one thread, else from a fork server.

    A fork copies locks held by other threads, never to be released in the child (a worker can
    hang on logging's, or on a C library's). The preview runs threads (server, watcher, build)
    when a site.yml edit parses every file again: its workers come from the fork server, one
    clean process started once and kept, with Broadsheet's modules already imported.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["broadsheet.pipeline"])
        return context
    return multiprocessing.get_context("spawn")


def process_pool(workers: int, context: multiprocessing.context.BaseContext | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers end with this process (see :func:`_start_worker`)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context or worker_context(),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )


def default_jobs() -> int:
    """Worker count: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


#: Most items in one chunk: a worker holds a chunk's results until it is done, so on a large site
#: bounded chunks bound workers' memory (and let progress be told more often).
MAX_CHUNK = 500


def chunked(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """Split items into contiguous chunks: about ``parts`` × 4 (several per worker balances load),
    more when that would make chunks larger than ``MAX_CHUNK``."""
    if not items:
        return []
    size = min(MAX_CHUNK, max(1, -(-len(items) // (parts * 4))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def map_chunks(
    fn: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    jobs: int | None,
    executor: Executor | None = None,
    done: Callable[[int], None] | None = None,
    parallel_from: int = DEFAULT_TUNING.parallel_from,
) -> list[R]:
    """Apply ``fn`` to chunks of ``items`` (in order) and concatenate the results.

    ``done``, if given, is called with the number of items of each chunk as it completes; with
    fewer than ``parallel_from`` items the work stays in this process.
    """
    return map_shared(_call_plain, fn, items, jobs, executor, done, parallel_from=parallel_from)


def _call_plain(fn: Callable[[Sequence[T]], list[R]], chunk: Sequence[T]) -> list[R]:
    return fn(chunk)


def _in_process(
    fn: Callable[[S, Sequence[T]], list[R]], shared: S, items: Sequence[T], done: Callable[[int], None] | None
) -> list[R]:
    if done is None:
        return fn(shared, items)
    results: list[R] = []
    for chunk in chunked(items, 5):  # in parts, so that progress can be told
        results += fn(shared, chunk)
        done(len(chunk))
    return results


def _call_inherited(fn: Callable[[Any, Sequence[T]], list[R]], token: int, chunk: Sequence[T]) -> list[R]:
    """Run ``fn`` in a forked worker on the value its parent set aside under ``token``."""
    return fn(_INHERITED[token], chunk)


def map_shared(
    fn: Callable[[S, Sequence[T]], list[R]],
    shared: S,
    items: Sequence[T],
    jobs: int | None,
    executor: Executor | None = None,
    done: Callable[[int], None] | None = None,
    started: Callable[[], None] | None = None,
    fresh_workers_every: int | None = None,
    parallel_from: int = DEFAULT_TUNING.parallel_from,
    in_workers: bool = False,
) -> list[R]:
    """Apply ``fn(shared, chunk)`` to chunks of ``items`` (in order) and concatenate the results.

    With the default pool on a system that forks, workers inherit ``shared``; with another
    executor (or where processes are spawned) ``shared`` must be picklable and is sent along.
    ``done``, if given, is called with the number of items of each chunk as it completes.
    ``started``, if given, is called once, when every worker process exists and the work is
    handed out: from then on this process may start threads (a thread running while a process
    forks can leave a lock held forever in the child).

    ``fresh_workers_every``: forked workers handle at most this many items, then new ones are forked
    for the next items. A worker touches the objects it inherits (their reference counts), and so
    copies the memory pages that hold them: on a large site each would grow towards a copy of this
    process. Only for a caller whose ``started`` starts no thread, since new workers fork later.
    With fewer than ``parallel_from`` items (and no executor given) the work stays in this process;
    with one job too, unless ``in_workers`` (a caller whose process is busy with a thread of its own:
    the work then goes to one worker).
    """
    if (
        fresh_workers_every is not None
        and executor is None
        and len(items) > fresh_workers_every
        and worker_context().get_start_method() == "fork"
    ):
        waves: list[R] = []
        for first in range(0, len(items), fresh_workers_every):
            waves += map_shared(
                fn,
                shared,
                items[first : first + fresh_workers_every],
                jobs,
                None,
                done,
                started if first == 0 else None,
                parallel_from=parallel_from,
                in_workers=in_workers,
            )
        return waves
    workers = jobs or default_jobs()
    if executor is None and ((workers <= 1 and not in_workers) or len(items) < parallel_from):
        if started is not None:
            started()
        return _in_process(fn, shared, items, done)
    chunks = chunked(items, workers)
    results: list[R] = []

    def gather(parts: Iterator[list[R]]) -> list[R]:
        if started is not None:
            started()
        for chunk, part in zip(chunks, parts, strict=True):
            results.extend(part)
            if done is not None:
                done(len(chunk))
        return results

    if executor is not None:
        return gather(executor.map(fn, repeat(shared), chunks))
    context = worker_context()
    if context.get_start_method() != "fork":  # the value goes to the workers pickled
        with process_pool(workers, context) as pool:
            return gather(pool.map(fn, repeat(shared), chunks))
    token = id(shared)
    _INHERITED[token] = shared
    # Objects that exist at the fork are left out of the workers' garbage collection, which would
    # otherwise touch, and so copy into each worker, every page of the parent's memory.
    gc.freeze()
    try:
        # Fork-started workers are all created at the first submit, after the value is set aside.
        with process_pool(workers, context) as pool:
            return gather(pool.map(_call_inherited, repeat(fn), repeat(token), chunks))
    finally:
        gc.unfreeze()
        del _INHERITED[token]
