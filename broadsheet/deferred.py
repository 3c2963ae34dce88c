"""Objects whose fields are filled when first read: a kept plan's views and pages (see stages/keptplan.py).

A build resumed from the kept plan touches a few dozen of its 100,000 article views and 165,000
pages, but every page and view must exist (they are shared: pages hold views, views link to
views). Loading them all whole cost seconds. Instead the kept plan makes each one *hollow*: an
object of its own type whose slots are left unset, registered here with what fills it. Reading an
unset field raises AttributeError inside Python, which then calls the class's ``__getattr__``
(:class:`~broadsheet.render.views.ArticleView` and :class:`~broadsheet.outputs.PageJob` call
:func:`fill`): the filler sets the fields (the object's, and those of its neighbours stored with
it), and the read goes on as if they had always been there. A field set before the fill (an edit
applied in place) is kept: fillers set unset fields only. A name that is no field of the object
(a template asking for what no view has) fills nothing and is missing, as on a whole object.

Identity, type and equality are the full object's: nothing that reads an object can tell a
filled one from one made whole, only that reading it took longer. The registry keeps the objects
of the last :data:`KEPT_GENERATIONS` loads: a build loads one plan, and only tests build many
times in one process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Hollow objects of the last few loads, newest last: id(object) → the object (held, so that its id
#: is not reused) and the filler to call. A load starts a generation (see :func:`new_generation`).
_GENERATIONS: list[dict[int, tuple[object, Callable[[object], None]]]] = [{}]
#: Generations kept: the objects of a plan loaded this many loads ago are dropped unfilled (a
#: build loads one plan; a process that builds again is done with the plan before the last).
KEPT_GENERATIONS = 2


def new_generation() -> None:
    """Start registering the objects of a new load; drop the hollow objects of old ones (their
    fields left unset for good, and what they would have been filled from freed)."""
    _GENERATIONS.append({})
    del _GENERATIONS[:-KEPT_GENERATIONS]


def defer(obj: object, filler: Callable[[object], None]) -> None:
    """Register a hollow object: ``filler(obj)`` sets its unset fields when one is first read."""
    _GENERATIONS[-1][id(obj)] = (obj, filler)


def _take(obj: object) -> Callable[[object], None] | None:
    for generation in reversed(_GENERATIONS):
        entry = generation.get(id(obj))
        if entry is not None and entry[0] is obj:
            del generation[id(obj)]
            return entry[1]
    return None


def done(obj: object) -> None:
    """The object is filled (by a filler filling its neighbours): forget it."""
    _take(obj)


def fill(obj: object, name: str) -> Any:
    """The value of field ``name`` of ``obj`` once it is filled; AttributeError when ``obj`` is not
    hollow, ``name`` is not one of its dataclass fields, or its filler did not set it."""
    if name not in getattr(type(obj), "__dataclass_fields__", ()):
        raise AttributeError(name)  # no such field (a template asking): nothing to fill
    filler = _take(obj)
    if filler is None:
        raise AttributeError(name)
    filler(obj)
    return object.__getattribute__(obj, name)


def is_set(obj: object, name: str) -> bool:
    """Whether field ``name`` of ``obj`` is set, without filling a hollow object."""
    try:
        object.__getattribute__(obj, name)
    except AttributeError:
        return False
    return True


def pending() -> int:
    """How many hollow objects of the last load wait to be filled (for tests)."""
    return len(_GENERATIONS[-1])
