"""Progress of a build, told to whoever wants it: the core calls, the command line draws.

The pipeline never prints. It calls a :class:`Progress` (any callable taking a stage name,
items done and items in all) as stages advance; ``cli.py`` draws it on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    """Told how far a build is: ``("Rendering", 4210, 16650)``; ``total`` is 0 when not counted."""

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Report that ``done`` of ``total`` items of ``stage`` are done."""


def tell(progress: Progress | None, stage: str, done: int = 0, total: int = 0) -> None:
    """Report to ``progress`` if there is one."""
    if progress is not None:
        progress(stage, done, total)


def counter(progress: Progress | None, stage: str, total: int) -> Callable[[int], None] | None:
    """A callback for work done in parts: each call adds its count of items to the stage's tally."""
    if progress is None:
        return None
    done = 0
    progress(stage, 0, total)

    def add(items: int) -> None:
        nonlocal done
        done += items
        progress(stage, done, total)

    return add
