"""Fragments many pages show, rendered once: story cards, the site's header and footer, macros.

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

A card is one case of two globals that work the same way for any part of a theme:

* ``{{ fragment("partials/footer.html", site=site) }}`` renders a partial with only the variables
  given (and the environment's globals), once per set of values in a pass. The default theme's
  ``base.html`` renders the header and the footer so: every page of a section has the same.
* ``{{ memo(m.time, item.date) }}`` calls a macro once per set of arguments in a pass (a macro
  imported without the page's context sees only its arguments and the globals). The cards call
  their picture and date so: a story's picture shows on its listings with the same few options.

A value that compares by value (a string, a number, a date, a tuple of them) is told apart by
its type and value; any other object (a view, the site) by its identity, and the object is held
with the markup so that its id stays its own. Rendering the same partial or macro twice with
equal arguments gives equal markup within a pass, so the first result stands for the rest.

What is kept is bounded (:data:`KEPT`, the most recently used) and forgotten at the start of
each render pass (:func:`begin_pass`): the live preview updates article views in place between
passes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import jinja2
from markupsafe import Markup

#: The partial ``card()`` renders.
CARD_TEMPLATE = "partials/card.html"
#: How many fragments a process keeps: cards (about 1.5 KB each), headers, footers, pictures, dates
#: (about 25 MB in all). Pages are rendered newest first, and the cards a page shows are mostly of
#: stories near it in time, so a few thousand serve most calls.
KEPT = 16384
#: Types whose values stand for themselves in a key (compared by value, hashed by value).
_BY_VALUE: frozenset[type] = frozenset({str, int, float, bool, type(None), datetime, date, time, Markup})


def _key(value: Any, held: list[Any]) -> Any:
    """What tells ``value`` apart in a key: its type and value, or its identity (then it is held)."""
    kind = type(value)
    if kind in _BY_VALUE:
        return kind, value  # the type too: 1, 1.0 and True are equal keys, but print differently
    if kind is tuple:
        return tuple, tuple(_key(v, held) for v in value)
    held.append(value)
    return id, id(value)


class Fragments:
    """The fragments of one environment's current render pass (see the module docstring)."""

    def __init__(self, env: jinja2.Environment, kept: int = KEPT) -> None:
        self.env = env
        self.kept = kept
        self.memo: OrderedDict[tuple[Any, ...], tuple[list[Any], Any]] = OrderedDict()
        """Cards, fragments and macro results: key → the objects its key names by id, the markup."""
        self.owner: object = None
        self.made = 0
        """Fragments rendered (not reused) since the pass began."""

    def begin_pass(self, owner: object = None) -> None:
        """Forget what is kept, unless ``owner`` (a render pass's shared work) is the current one."""
        if owner is None or owner is not self.owner:
            self.memo.clear()
            self.made = 0
        self.owner = owner

    def card(self, context: jinja2.runtime.Context, item: Any, **options: Any) -> Markup:
        """The card of ``item`` with ``options`` (the variables partials/card.html reads): the
        partial as a fragment of the page's ``site``, the item and the options."""
        return self.fragment(CARD_TEMPLATE, site=context.get("site"), item=item, **options)

    def fragment(self, name: str, **variables: Any) -> Markup:
        """The partial ``name`` rendered with ``variables`` (and the globals), once per their values."""
        html: Markup = self._kept(
            ("fragment", name),
            variables,
            lambda: Markup(self.env.get_template(name).render(**variables)),
        )
        return html

    def call(self, macro: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``macro(*args, **kwargs)``, once per macro and arguments."""
        return self._kept((macro, *args), kwargs, lambda: macro(*args, **kwargs))

    def _kept(self, head: tuple[Any, ...], named: dict[str, Any], make: Callable[[], Any]) -> Any:
        """What ``make`` makes of ``head`` and ``named``, made once per their values in a pass."""
        held: list[Any] = []
        # Hashable whatever the values: those of _BY_VALUE hash, any other stands as its id.
        key = (_key(head, held), *((k, _key(v, held)) for k, v in sorted(named.items())))
        hit = self.memo.get(key)
        if hit is not None:
            self.memo.move_to_end(key)
            return hit[1]
        result = make()
        self.made += 1
        self.memo[key] = (held, result)
        if len(self.memo) > self.kept:
            self.memo.popitem(last=False)
        return result


def install(env: jinja2.Environment) -> Fragments:
    """Give ``env``'s templates the ``card()``, ``fragment()`` and ``memo()`` globals; return what
    holds what they render."""
    fragments = Fragments(env)

    @jinja2.pass_context
    def card(context: jinja2.runtime.Context, item: Any, **options: Any) -> Markup:
        return fragments.card(context, item, **options)

    env.globals["card"] = card
    env.globals["fragment"] = fragments.fragment
    env.globals["memo"] = fragments.call
    return fragments
