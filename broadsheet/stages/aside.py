"""A resumed build's helper process: what it makes ready while the build loads its kept plan.

A build resumed from the kept plan (see stages/resume.py) spends most of its time loading what the
last build kept, one thing after another, on one core. A helper (see parallel.Aside), forked as the
*load* stage begins, makes ready on the other core what the build will ask for later and can be
sent back small:

* the related ranking's kept state, rebuilt from its rows: the build asks it to fold the edits in
  (see stages/rank.aside_lists) and gets back the lists that changed;
* the size and modification time of every file of the output's two generations: the build takes
  them (see write/commit.offer_stamps) instead of looking at each file itself, once to tell the
  pages it keeps and once more to write the other generation.

A helper that fails, or cannot be forked, leaves the work to the build, which does it as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import SiteConfig
from ..content.ranking import related_settings_of
from ..incremental.cache import BuildCache
from ..parallel import Aside
from ..related.incremental import RankingState
from ..write.commit import offer_stamps
from ..write.generations import output_stamps
from .rank import RANK, fold_asked

#: A resumed build's request for the output's stamps.
STAMPS = "stamps"


@dataclass(slots=True)
class Ready:
    """What the helper made ready."""

    ranking: RankingState | None
    """The ranking's kept state (None: none kept, or unreadable)."""
    stamps: dict[str, dict[str, tuple[int, int] | None]]
    """Each generation's folder (its key) → its files' stamps (see write/generations.output_stamps)."""


def start_aside(cache: BuildCache, config: SiteConfig, output: Path) -> Aside[Ready] | None:
    """Fork the helper (None where it cannot be): it loads the ranking's kept state, if the cache
    holds one, then looks at the output's files."""
    settings = related_settings_of(config)
    ranked = cache.folder is not None and not cache.fresh and cache.ranking_state() is not None

    def prepare() -> Ready:
        # The ranking first: the build asks for it first (while it applies the edits to the plan).
        head = cache.ranking_state() if ranked else None
        state = RankingState.from_rows(head, cache.ranking_rows(), settings) if head is not None else None
        return Ready(state, output_stamps(output, config.root))

    def answer(ready: Ready, request: tuple[str, Any]) -> Any:
        kind, body = request
        if kind == RANK:
            return fold_asked(ready.ranking, body, settings)
        if kind == STAMPS:
            return ready.stamps
        return None

    return Aside.start(prepare, answer)


def take_stamps(aside: Aside[Ready]) -> None:
    """Offer the output's stamps the helper looked up to the stages that look at the output."""
    stamps = aside.ask((STAMPS, None))
    if stamps:
        offer_stamps(stamps)
