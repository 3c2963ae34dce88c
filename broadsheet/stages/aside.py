"""A resumed build's helper processes: what they make ready while the build loads its kept plan.

A build resumed from the kept plan (see stages/resume.py) spends most of its time loading what the
last build kept, one thing after another, on one core. Two helpers (see parallel.Aside), forked as
the *load* stage begins, make ready beside it what the build will ask for later and can be sent
back small:

* the related ranking's kept state, rebuilt from its rows: the build asks it to fold the edits in
  (see stages/rank.aside_lists) and gets back the lists that changed;
* the size and modification time of every file of the output's two generations: the build takes
  them (see write/commit.offer_stamps) instead of looking at each file itself, once to tell the
  pages it keeps and once more to write the other generation.

The ranking's helper is started earlier still when it can be: by the check before the build (see
stages/unchanged.py), as soon as it finds a content file changed (:func:`start_ranking`). It
reads the ranking's rows from the cache file itself, and has most of its work done while the
check looks at the rest of the content files, a second or more at 100,000 articles.

A helper that fails, or cannot be forked, leaves the work to the build, which does it as before.
Three processes share two cores while the build loads its plan: the stamps are mostly the
system's work, and the build, once its plan is loaded (it is loaded hollow: see keptplan.py),
would otherwise wait for the ranking behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import SiteConfig
from ..content.ranking import related_settings_of
from ..incremental.cache import BuildCache
from ..parallel import Aside
from ..related.incremental import RankingState
from ..related.index import RelatedSettings
from ..write.commit import offer_stamps
from ..write.generations import output_stamps
from .rank import RANK, fold_asked

#: A resumed build's request for the output's stamps.
STAMPS = "stamps"


class Helpers:
    """The resumed build's two helpers (see the module documentation), asked as one: each request
    goes to the helper that answers its kind."""

    def __init__(self, ranking: Aside[RankingState | None] | None, stamps: Aside[Stamps] | None) -> None:
        self._ranking = ranking
        self._stamps = stamps

    def ask(self, request: tuple[str, Any]) -> Any | None:
        """The answer of the helper for ``request``'s kind; None without one, or when it failed."""
        helper = self._ranking if request[0] == RANK else self._stamps if request[0] == STAMPS else None
        return helper.ask(request) if helper is not None else None

    def close(self) -> None:
        """End both helpers, whatever they are doing."""
        for helper in (self._ranking, self._stamps):
            if helper is not None:
                helper.close()


#: Each generation's folder (its key) → its files' stamps (see write/generations.output_stamps).
Stamps = dict[str, dict[str, tuple[int, int] | None]]


def start_ranking(config: SiteConfig, version: str) -> Aside[RankingState | None] | None:
    """Fork the helper that rebuilds the ranking's kept state, before the build has loaded its cache:
    it reads the rows from the cache file of ``version`` itself (see BuildCache.kept_ranking). None
    where it cannot be forked."""
    settings = related_settings_of(config)
    root = config.root

    def prepare() -> RankingState | None:
        kept = BuildCache.kept_ranking(root, version)
        return RankingState.from_rows(kept[0], kept[1], settings) if kept is not None else None

    return Aside.start(prepare, _answer_ranking(settings))


def _answer_ranking(settings: RelatedSettings) -> Callable[[RankingState | None, tuple[str, Any]], Any]:
    def answer(state: RankingState | None, request: tuple[str, Any]) -> Any:
        return fold_asked(state, request[1], settings)

    return answer


def start_aside(
    cache: BuildCache, config: SiteConfig, output: Path, ranking: Aside[RankingState | None] | None = None
) -> Helpers | None:
    """Fork the helpers (None where they cannot be): one loads the ranking's kept state, if the cache
    holds one; the other looks at the output's files. Two, not one after the other: the build, its
    kept plan loaded, asks for the ranking first and would otherwise wait for both.

    ``ranking``: the ranking's helper, started already (see :func:`start_ranking`); taken over (it
    is closed with the others), or closed now when the cache the build loaded holds no ranking."""
    settings = related_settings_of(config)
    ranked = cache.folder is not None and not cache.fresh and cache.ranking_state() is not None
    if ranking is not None and not ranked:
        ranking.close()
        ranking = None

    def prepare_ranking() -> RankingState | None:
        head = cache.ranking_state()
        return RankingState.from_rows(head, cache.ranking_rows(), settings) if head is not None else None

    def answer_stamps(stamps: Stamps, request: tuple[str, Any]) -> Any:
        return stamps

    stamps = Aside.start(lambda: output_stamps(output, config.root), answer_stamps)
    if stamps is None:
        if ranking is not None:
            ranking.close()
        return None
    if ranked and ranking is None:
        ranking = Aside.start(prepare_ranking, _answer_ranking(settings))
    return Helpers(ranking, stamps)


def take_stamps(aside: Helpers) -> None:
    """Offer the output's stamps the helper looked up to the stages that look at the output."""
    stamps = aside.ask((STAMPS, None))
    if stamps:
        offer_stamps(stamps)
