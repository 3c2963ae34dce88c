"""What a page shows: the articles whose views its context holds, found in the context itself.

A page's ``shows`` (see outputs.PageJob) says which articles' content can appear on it. Warm
builds re-fingerprint, and the live preview re-renders, only the pages that show an article an
edit touched; the sitemap dates a listing by the newest article it shows. It is derived here,
from the context the template receives, and never listed by hand: a value a page shows is added
by putting it in a view (or the context) and in the template, nothing else.

A page shows:

* every :class:`~broadsheet.render.views.ArticleView` its context holds, however deep (in lists,
  tuples, dicts and dataclasses), without looking inside the views themselves (nor in the
  ``site`` view, which holds site-wide values and is part of every page's key);
* and for its own article (the view at the page's URL, as on an article's page) the views that
  article links to: every field of the view that can hold another view (:func:`link_fields`:
  ``related``, ``prev``, ``next``, and any such field a view gains).

A card's links (a listing showing a story's related stories) are covered by the fingerprint of
the card's view, which holds its links' own part (see incremental/cache.py), and by the articles
an edit touches (see engine.articles_touched), which counts the views linking to a changed one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterator, Mapping
from typing import Any

from .views import ArticleView, PendingRelated, SiteView

_LINK_FIELDS: dict[type, tuple[str, ...]] = {}


def link_fields(kind: type[ArticleView] = ArticleView) -> tuple[str, ...]:
    """The fields of an article view (of type ``kind``) that hold other views: those whose declared
    type names ArticleView (``related: list[ArticleView]``, ``prev: ArticleView | None``...)."""
    names = _LINK_FIELDS.get(kind)
    if names is None:
        names = _LINK_FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind) if "ArticleView" in str(f.type))
    return names


def every_link_field() -> frozenset[str]:
    """The link fields of the article view and of every subclass of it defined so far (a theme's or
    a contributor's view with a field of its own)."""
    kinds: list[type[ArticleView]] = [ArticleView]
    names: set[str] = set()
    while kinds:
        kind = kinds.pop()
        names.update(link_fields(kind))
        kinds += kind.__subclasses__()
    return frozenset(names)


def linked_views(view: ArticleView) -> Iterator[tuple[str, tuple[ArticleView, ...]]]:
    """Each link field of a view (see :func:`link_fields`) with the views it holds, in field order.

    A related list still being ranked (see PendingRelated) holds none yet.
    """
    for name in link_fields(type(view)):
        value = getattr(view, name)
        if isinstance(value, ArticleView):
            yield name, (value,)
        elif value is None or isinstance(value, PendingRelated):
            yield name, ()
        else:
            yield name, tuple(v for v in value if isinstance(v, ArticleView))


def links_to(view: ArticleView, urls: Container[str]) -> bool:
    """Whether a link field of ``view`` holds a view whose URL is in ``urls``: :func:`linked_views`
    asked one question, without a tuple per field (an edit asks it of every view of the site)."""
    for name in link_fields(type(view)):
        value = getattr(view, name)
        if isinstance(value, ArticleView):
            if value.url in urls:
                return True
        elif (
            isinstance(value, list | tuple)
            and not isinstance(value, PendingRelated)  # holds none yet (and may not be looked into)
            and any(isinstance(v, ArticleView) and v.url in urls for v in value)
        ):
            return True
    return False


class ShowsFinder:
    """Finds the article views held in page contexts (see the module documentation).

    Values many contexts share (the ``site`` view, categories, tags, authors) are looked into once:
    what each holds is remembered by identity while the finder lives (the values are kept alive
    with it, so an identity is never reused).
    """

    def __init__(self) -> None:
        self._held: dict[int, tuple[ArticleView, ...]] = {}
        self._alive: list[object] = []
        self._fields: dict[type, tuple[str, ...]] = {}

    def held(self, value: Any) -> dict[str, ArticleView]:
        """URL → view of every article view ``value`` holds (not those the views link to)."""
        out: dict[str, ArticleView] = {}
        for view in self._views(value):
            out[view.url] = view
        return out

    def shows(self, url: str, context: Mapping[str, Any]) -> frozenset[str]:
        """The article URLs a page at ``url`` with this context shows."""
        held = self.held(context)
        urls = set(held)
        own = held.get(url)
        if own is not None:
            for _, views in linked_views(own):
                urls.update(v.url for v in views)
        return frozenset(urls)

    def _views(self, value: Any) -> tuple[ArticleView, ...]:
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            return ()
        if isinstance(value, ArticleView):
            return (value,)
        if isinstance(value, PendingRelated | SiteView):
            # The site view holds site-wide values, no article (it is in every page's key instead).
            return ()
        key = id(value)
        known = self._held.get(key)
        if known is not None:
            return known
        found: list[ArticleView] = []
        if isinstance(value, Mapping):
            for item in value.values():
                found += self._views(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                found += self._views(item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = self._fields.get(kind)
            if names is None:
                names = self._fields[kind] = tuple(f.name for f in dataclasses.fields(value))
            for name in names:
                found += self._views(getattr(value, name))
        else:
            return ()
        held = self._held[key] = tuple(found)
        self._alive.append(value)
        return held


def views_in(value: Any, out: dict[str, ArticleView]) -> None:
    """Collect the article views ``value`` holds (URL → view), without following the links between views."""
    out.update(ShowsFinder().held(value))


def shows_of(url: str, context: Mapping[str, Any]) -> frozenset[str]:
    """The article URLs a page at ``url`` with this context shows (see the module documentation)."""
    return ShowsFinder().shows(url, context)
