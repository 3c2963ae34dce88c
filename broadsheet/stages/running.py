"""How :func:`broadsheet.pipeline.build` runs its stages: each timed, under fewer garbage collections,
with the memory that threads left free given back (:func:`give_back_free_memory`).

Reads and makes nothing of the site: :class:`Stopwatch` gives ``BuildResult.stages``.
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..parallel import c_library

#: Garbage collector thresholds during a build (Python's defaults: 700, 10, 10). A build makes
#: millions of objects that live until it ends (parsed articles, views, planned pages); with the
#: defaults the collector walks them all again and again: a fifth of a warm build's time on a
#: 10,000-article site, for no memory back. Young garbage is still collected, just in larger batches.
BUILD_GC_THRESHOLDS = (50_000, 20, 100)


class Collector:
    """The garbage collector during a build (see :func:`fewer_collections`)."""

    def collect_as_you_go(self) -> None:
        """Collect automatically again (with :data:`BUILD_GC_THRESHOLDS`): the work from here makes
        garbage page after page (a full build's rendering and ranking)."""
        gc.enable()


@contextmanager
def fewer_collections() -> Iterator[Collector]:
    """No automatic collection while the build loads, raised thresholds after; restored at the end.

    Loading makes the objects the build keeps to its end (the kept plan, the ranking's state, the
    assembled site) and little garbage: collections there only walk them, again and again, a fifth
    of an edit's time on a 10,000-article site even with the raised thresholds. A build that goes
    on to render the whole site turns collection back on (:meth:`Collector.collect_as_you_go`);
    one resumed from the kept plan renders a few pages and ends, and is left without. Worker
    processes collect as usual (see parallel.py).
    """
    before, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
    gc.disable()
    try:
        yield Collector()
    finally:
        gc.set_threshold(*before)
        if enabled:
            gc.enable()
        else:
            gc.disable()


class Stopwatch:
    """Times a build's stages, in order: ``with watch("render"): ...``; ``watch.times`` maps each to seconds."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.times: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.times[stage] = self.times.get(stage, 0.0) + time.perf_counter() - began

    def total(self) -> float:
        return time.perf_counter() - self.started


def give_back_free_memory() -> None:
    """Give the system back the memory the C allocator holds free, once threads that made much
    garbage have ended (glibc's ``malloc_trim``; nothing elsewhere).

    glibc gives each thread an arena of its own, and the memory a thread frees stays in its arena
    for that arena's next allocations: once the thread ends, nothing of the build takes it again.
    A cold build's related ranking runs in a thread, and leaves as much garbage as the lists it
    gives (47 of the 247 MB the build held at 10,000 articles, then); given back before the articles'
    pages render, the build's peak is that much lower, and so are the workers forked then.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where there is none (another C library, another system)."""
    trim: Callable[[int], int] | None = getattr(c_library(), "malloc_trim", None)
    return trim
