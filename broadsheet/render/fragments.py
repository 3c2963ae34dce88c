"""Fragments many pages show, rendered once: story cards.

One article's card (``partials/card.html``: picture, section, headline, date) is on the front
page, in its section's and tags' listings and in the "You may also like" block of each article
that lists it: a cold build of 10,000 articles renders about 250,000 cards for 10,000 stories.
Themes call ``{{ card(item, variant="card--row") }}``; the first call for an article and set of
options renders the partial, the later ones reuse its markup.

A card sees ``item``, the options it is given, ``site`` and the environment's globals (``t``,
``url``, ``picture_of``...), never the page's other variables, so equal calls give equal markup
within one render pass; links are made relative to each page after rendering (see
render/pages.py ``render_job``), so a card does not depend on where it is shown. A theme whose
card needs more of the page keeps ``{% include "partials/card.html" %}``: the same output, rendered
each time.

What is kept is bounded (:data:`KEPT_CARDS`, the most recently used) and forgotten at the start
of each render pass (:func:`begin_pass`): the live preview updates article views in place between
passes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import jinja2
from markupsafe import Markup

#: The partial ``card()`` renders.
CARD_TEMPLATE = "partials/card.html"
#: How many cards a process keeps: about 1.5 KB each (12 MB). Pages are rendered newest first, and the
#: cards a page shows are mostly of stories near it in time, so a few thousand serve most calls.
KEPT_CARDS = 8192


class Fragments:
    """The cards of one environment's current render pass (see the module docstring)."""

    def __init__(self, env: jinja2.Environment, kept: int = KEPT_CARDS) -> None:
        self.env = env
        self.kept = kept
        self.memo: OrderedDict[tuple[Any, ...], tuple[object, Markup]] = OrderedDict()
        self.owner: object = None
        self.made = 0
        """Cards rendered (not reused) since the pass began."""

    def begin_pass(self, owner: object = None) -> None:
        """Forget the cards kept, unless ``owner`` (a render pass's shared work) is the current one."""
        if owner is None or owner is not self.owner:
            self.memo.clear()
            self.made = 0
        self.owner = owner

    def card(self, context: jinja2.runtime.Context, item: Any, **options: Any) -> Markup:
        """The card of ``item`` with ``options`` (the variables partials/card.html reads)."""
        site = context.get("site")
        # The objects themselves are held with the markup, so their ids stay theirs while kept.
        key = (id(item), id(site), *sorted(options.items()))
        hit = self.memo.get(key)
        if hit is not None:
            self.memo.move_to_end(key)
            return hit[1]
        html = Markup(self.env.get_template(CARD_TEMPLATE).render(site=site, item=item, **options))
        self.made += 1
        self.memo[key] = ((item, site), html)
        if len(self.memo) > self.kept:
            self.memo.popitem(last=False)
        return html


def install(env: jinja2.Environment) -> Fragments:
    """Give ``env``'s templates the ``card()`` global; return what holds its cards."""
    fragments = Fragments(env)

    @jinja2.pass_context
    def card(context: jinja2.runtime.Context, item: Any, **options: Any) -> Markup:
        return fragments.card(context, item, **options)

    env.globals["card"] = card
    return fragments
