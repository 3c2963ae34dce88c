"""Spread independent work over processes with a ``concurrent.futures`` executor.

Stages hand this module a picklable function and a list of work items; it chunks them and
maps them over an executor. Any ``concurrent.futures.Executor`` works, so the same stage
code could run on a cluster executor; the default is a process pool sized to the cores.
Small inputs run in-process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Below this many items the work stays in the main process.
MIN_PARALLEL_ITEMS = 200


def default_jobs() -> int:
    """Worker count: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """Split items into about ``parts`` × 4 contiguous chunks (several per worker balances load)."""
    if not items:
        return []
    size = max(1, -(-len(items) // (parts * 4)))
    return [items[i:i + size] for i in range(0, len(items), size)]


def map_chunks(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], jobs: int | None,
               executor: Executor | None = None) -> list[R]:
    """Apply ``fn`` to chunks of ``items`` (in order) and concatenate the results."""
    workers = jobs or default_jobs()
    if executor is None and (workers <= 1 or len(items) < MIN_PARALLEL_ITEMS):
        return fn(items)
    results: list[R] = []
    if executor is not None:
        for part in executor.map(fn, chunked(items, workers)):
            results += part
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(fn, chunked(items, workers)):
            results += part
    return results
