"""Objects whose fields are filled when first read: a kept plan's views and pages (see stages/keptplan.py).

A build resumed from the kept plan touches a few dozen of its 100,000 article views and 165,000
pages, but every page and view must exist (they are shared: pages hold views, views link to
views). Loading them all whole cost seconds. Instead the kept plan makes each one *hollow*: an
object of its own type whose slots are left unset, registered here with what fills it. Reading an
unset field raises AttributeError inside Python, which then calls the class's ``__getattr__``
(:class:`~broadsheet.render.views.ArticleView` and :class:`~broadsheet.outputs.PageJob` call
:func:`fill`): the filler sets the fields (the object's, and those of its neighbours stored with
it), and the read goes on as if they had always been there. A field an edit wrote in place
before the fill is kept: the edit says so first (:func:`written`), and the filler then sets only
that object's unset fields. Every other object it claims (:func:`claim`) is set whole, without
looking at each field (looking was most of filling a chunk). A name that is no field of the object
(a template asking for what no view has) fills nothing and is missing, as on a whole object.

Identity, type and equality are the full object's: nothing that reads an object can tell a
filled one from one made whole, only that reading it took longer. The registry keeps the objects
of the last :data:`KEPT_GENERATIONS` loads: a build loads one plan, and only tests build many
times in one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any


class _Generation:
    """The hollow objects of one load."""

    __slots__ = ("hollow", "written")

    def __init__(self) -> None:
        self.hollow: dict[int, tuple[object, Callable[[object, str], None]]] = {}
        """id(object) → the object (held, so that its id is not reused) and the filler to call."""
        self.written: set[int] = set()
        """The hollow objects whose fields were written in place (see :func:`written`)."""


#: Hollow objects of the last few loads, newest last. A load starts a generation (see :func:`new_generation`).
_GENERATIONS: list[_Generation] = [_Generation()]
#: Generations kept: the objects of a plan loaded this many loads ago are dropped unfilled (a
#: build loads one plan; a process that builds again is done with the plan before the last).
KEPT_GENERATIONS = 2

#: What :func:`claim` answers: the object is not hollow (filled already, or never was)...
NOT_HOLLOW = 0
#: ... it is hollow: every field its filler holds is unset and may be set without looking ...
HOLLOW = 1
#: ... or it is hollow and some of its fields were written in place: set only those left unset.
WRITTEN = 2


def new_generation() -> None:
    """Start registering the objects of a new load; drop the hollow objects of old ones (their
    fields left unset for good, and what they would have been filled from freed)."""
    _GENERATIONS.append(_Generation())
    del _GENERATIONS[:-KEPT_GENERATIONS]


def defer_all(objs: Iterable[object], filler: Callable[[object, str], None]) -> None:
    """Register hollow objects that share one filler: ``filler(obj, name)`` sets the unset field
    ``name`` of ``obj`` (and others, as it sees fit) when one is first read."""
    objs = list(objs)
    _GENERATIONS[-1].hollow.update(zip(map(id, objs), zip(objs, repeat(filler, len(objs)), strict=True), strict=True))


def _find(obj: object) -> tuple[_Generation, Callable[[object, str], None]] | None:
    for generation in reversed(_GENERATIONS):
        entry = generation.hollow.get(id(obj))
        if entry is not None and entry[0] is obj:
            return generation, entry[1]
    return None


def written(obj: object) -> None:
    """Fields of ``obj`` are about to be written in place: if it is hollow, its filler keeps them.
    (Code that writes a hollow object's fields, other than its filler, says so first: the filler
    of a hollow object nobody wrote to sets every field without looking at each.)"""
    found = _find(obj)
    if found is not None:
        found[0].written.add(id(obj))


def untouched(obj: object) -> bool:
    """Whether ``obj`` is hollow and no field of it was written in place: every field it has set,
    and every one its filler would set, is as it was loaded."""
    found = _find(obj)
    return found is not None and id(obj) not in found[0].written


def claim(obj: object) -> int:
    """For a filler: whether ``obj`` is to be filled (:data:`HOLLOW` or :data:`WRITTEN`) or not
    (:data:`NOT_HOLLOW`); it is no longer hollow after this."""
    found = _find(obj)
    if found is None:
        return NOT_HOLLOW
    generation, key = found[0], id(obj)
    del generation.hollow[key]
    if key in generation.written:
        generation.written.discard(key)
        return WRITTEN
    return HOLLOW


def fill(obj: object, name: str) -> Any:
    """The value of field ``name`` of ``obj`` once it is filled; AttributeError when ``obj`` is not
    hollow, ``name`` is not one of its dataclass fields, or its filler did not set it."""
    if name not in getattr(type(obj), "__dataclass_fields__", ()):
        raise AttributeError(name)  # no such field (a template asking): nothing to fill
    found = _find(obj)
    if found is None:
        raise AttributeError(name)
    found[1](obj, name)  # (it claims the objects it fills whole; one it filled in part stays hollow)
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
    return len(_GENERATIONS[-1].hollow)
