"""Objects whose fields are filled when first read: a kept plan's views and pages (see stages/keptplan.py).

A build resumed from the kept plan touches a few dozen of its 100,000 article views and 165,000
pages, but every page and view must exist (they are shared: pages hold views, views link to
views). Loading them all whole cost seconds. Instead the kept plan makes each one *hollow*: an
object of its own type whose slots are left unset, registered here with what fills it. Reading an
unset field raises AttributeError inside Python, which then calls the class's ``__getattr__``
(:class:`~broadsheet.render.views.ArticleView` and :class:`~broadsheet.outputs.PageJob` call
:func:`fill`): the filler sets the fields (the object's, and those of its neighbours stored with
it), and the read goes on as if they had always been there. A field set before the fill (an edit
applied in place) is kept: fillers set unset fields only.

Identity, type and equality are the full object's: nothing that reads an object can tell a
filled one from one made whole, only that reading it took longer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: id(object) → the object (held, so that its id is not reused) and the filler to call.
_PENDING: dict[int, tuple[object, Callable[[object], None]]] = {}


def defer(obj: object, filler: Callable[[object], None]) -> None:
    """Register a hollow object: ``filler(obj)`` sets its unset fields when one is first read."""
    _PENDING[id(obj)] = (obj, filler)


def done(obj: object) -> None:
    """The object is filled (by a filler filling its neighbours): forget it."""
    entry = _PENDING.get(id(obj))
    if entry is not None and entry[0] is obj:
        del _PENDING[id(obj)]


def fill(obj: object, name: str) -> Any:
    """The value of field ``name`` of ``obj`` once it is filled; AttributeError when ``obj`` is not
    hollow (the field does not exist, or a hollow object's filler did not set it)."""
    entry = _PENDING.get(id(obj))
    if entry is None or entry[0] is not obj or name.startswith("__"):
        raise AttributeError(name)
    del _PENDING[id(obj)]
    entry[1](obj)
    return object.__getattribute__(obj, name)


def forget_all() -> None:
    """Drop every hollow object not filled yet (a new kept plan is loaded: the last one is done with)."""
    _PENDING.clear()


def pending() -> int:
    """How many hollow objects wait to be filled (for tests)."""
    return len(_PENDING)
