"""Tuning values: the site sizes from which a build works differently, in one frozen value.

Every site goes through the same code; these numbers only decide, for example, from how many
items work is spread over worker processes. They are options of a build (``BuildOptions.tuning``)
rather than module globals, so that a test can send a small site down the path a large one takes,
and this module imports nothing so that any stage can take one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tuning:
    """Site sizes from which a build works differently (the defaults suit a 2-core machine)."""

    parallel_from: int = 200
    """Items (files to parse, pages to render) from which work goes to worker processes: below,
    starting workers would cost more than it saves."""
    stage_in_workers_from: int = 1000
    """Pages to render from which the render workers write them to the staging folder themselves,
    rather than sending them back to the main process."""
    rank_while_rendering_from: int = 1000
    """Articles from which a cold build ranks the related lists while its workers render the pages
    that do not show them."""
    fresh_workers_every: int = 20_000
    """Pages a render worker of a cold build's second round renders before new workers are forked:
    it bounds how much of the main process each worker comes to copy."""
    aside_from: int = 2000
    """Content files from which a build resumed from the kept plan has a helper process load the
    related ranking's kept state and look at the output's files while it loads the plan (see
    stages/aside.py)."""
    listing_worker_alone_from: int = 50_000
    """Articles from which a cold build renders the listings (while it ranks the related lists) in
    one worker fewer than it has cores: each of that round's workers grows towards a copy of the
    build's memory (see stages/render.render_while_ranking), and the ranking takes a core."""
    evict_bodies_from: int = 20_000
    """Articles from which a cold build lets go of the bodies once they are in the cache, before
    rendering the articles' own pages (each reads its body back: about 25 µs a page)."""


#: The values a build takes unless told otherwise.
DEFAULT = Tuning()
