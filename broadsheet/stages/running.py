"""How :func:`broadsheet.pipeline.build` runs its stages: each timed, under fewer garbage collections.

Reads and makes nothing of the site: :class:`Stopwatch` gives ``BuildResult.stages``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Garbage collector thresholds during a build (Python's defaults: 700, 10, 10). A build makes
#: millions of objects that live until it ends (parsed articles, views, planned pages); with the
#: defaults the collector walks them all again and again: a fifth of a warm build's time on a
#: 10,000-article site, for no memory back. Young garbage is still collected, just in larger batches.
BUILD_GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the garbage collector's thresholds for the duration of a build, then restore them."""
    before = gc.get_threshold()
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


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
