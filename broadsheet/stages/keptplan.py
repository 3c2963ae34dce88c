"""The last build's plan, kept between builds in ``.broadsheet-cache/plan.pickle``.

A build that finds only articles edited since (and none of them moved: see plan.edit_plan) takes
the plan from here instead of assembling and planning the whole site (see stages/resume.py): the
cost of an edit is then that of the pages it touches, not that of the site. What the plan was
made from is kept with it, so that it is used only when it is still the site's plan:

* ``inputs``: the cache's version (Broadsheet's code, the Markdown settings, the time zone),
  the build options that shape the plan, the output folder whose fingerprints follow it, and
  the stamp of the published-URL record;
* ``site_key``: the key of what every page is made from besides its context (templates,
  static files, pictures, string tables, site.yml, the day: see incremental/inputs.py);
* ``sources``: each content file's stamp: a file whose stamp moved is one to read again;
* ``until``: the first scheduled change after the build (an embargo lifted, an expiry, the end of
  a featured spell, the breaking-news banner coming down), from which the plan is out of date;
* ``ranking_token``: set when the related ranking's kept state matched the plan as it was kept
  (the same token is then in the cache's ranking rows): a resumed build hashes again only the
  articles touched since, not every article;
* ``sitemaps_key``: the key of the sitemaps' input when the plan was kept (its pages' URLs and
  times, see publish.sitemaps.SitemapsInput): an edit that moves no article's time leaves it as it
  was, and the build then need not list every page again to find it.

The file is written whole (to a temporary name, then renamed) after a build that planned the site,
and never read by a build whose inputs differ: any doubt plans the site again.

Pickling: the article views link to each other (previous, next, related), so a plain pickle
recurses down the chain of every article; the links are kept as URLs and restored after loading.
A body is kept as where the cache keeps it (it is loaded when a page shows it), not as its text.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..content.body import Body, BodyRef
from ..errors import BuildWarning
from ..filestamp import Stamp
from ..plan import Plan
from ..render.shows import link_fields
from ..render.views import ArticleView
from .chunked import ChunkReader, pack_chunks

#: The kept plan's file, in the cache folder.
PLAN_FILE = "plan.pickle"
#: Changed when the file's layout changes (the code version covers the types it holds).
FORMAT = b"broadsheet-plan-4\n"


@dataclass(frozen=True, slots=True)
class KeptPlan:
    """A build's plan with what it was made from (see the module documentation)."""

    inputs: tuple[str, ...]
    """The cache version, the options that shape the plan, the output folder and the record's stamp."""
    site_key: str
    """The key of the pages' input the plan was rendered with (see stages.render.pages_site_key)."""
    sources: dict[str, tuple[Stamp, str]]
    """Content file (relative path) → its stamp when it was read, and the hash of its bytes."""
    until: datetime | None
    """The first scheduled change after the build; None when nothing is scheduled."""
    parse_warnings: dict[str, tuple[BuildWarning, ...]]
    """Content file → the warnings its parse gave (kept with its parse in the cache)."""
    site_warnings: tuple[BuildWarning, ...]
    """The warnings of the site's assembly (an article's own, and those across articles)."""
    plan: Plan
    ranking_token: str | None = None
    """Names this plan in the related ranking's kept state when the state was made to match it
    (see stages/resume.py); None when it was not (the lists were the last ranking's)."""
    sitemaps_key: str | None = None
    """The key of the sitemaps' input as the plan makes it (see the module documentation); None: unknown."""


class _Pickler(pickle.Pickler):
    """Pickles a plan with its views unlinked and its bodies as references (see the module documentation)."""

    def __init__(self, file: io.BytesIO, views: Mapping[str, ArticleView], refs: Mapping[int, BodyRef]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.views = views
        self.refs = refs

    def reducer_override(self, obj: Any) -> Any:
        # Only the plan's own views are unlinked (and linked again on loading); any other view
        # pickles whole, its links reaching the plan's views, which stop there.
        if isinstance(obj, ArticleView) and self.views.get(obj.url) is obj:
            links = set(link_fields(type(obj)))
            values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in links}
            return _unlinked_view, (type(obj), values)
        if type(obj) is Body:
            ref = obj.ref or self.refs.get(id(obj))
            if ref is not None:
                return _kept_body, (ref, obj.opening, obj.blank, obj.sanitize)
        names = _made_by_init(type(obj))
        if names is not None:
            # Rebuilt by its own __init__ from its values in field order: a frozen dataclass with
            # slots otherwise unpickles through dataclasses' __setstate__, which lists the class's
            # fields again for every object (a third of loading the plan).
            return type(obj), tuple(getattr(obj, name) for name in names)
        return NotImplemented


_INIT_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _made_by_init(kind: type) -> tuple[str, ...] | None:
    """The field names of a slotted dataclass whose __init__ takes every field and only sets them
    (no __post_init__), in order; None for any other type."""
    if kind in _INIT_FIELDS:
        return _INIT_FIELDS[kind]
    names: tuple[str, ...] | None = None
    if (
        dataclasses.is_dataclass(kind)
        and "__slots__" in vars(kind)
        and kind.__dataclass_params__.init  # type: ignore[attr-defined]
        and not hasattr(kind, "__post_init__")
        and all(f.init for f in dataclasses.fields(kind))
    ):
        names = tuple(f.name for f in dataclasses.fields(kind))
    _INIT_FIELDS[kind] = names
    return names


def _unlinked_view(kind: type[ArticleView], values: dict[str, Any]) -> ArticleView:
    view = kind.__new__(kind)
    for name, value in values.items():
        object.__setattr__(view, name, value)
    for name in link_fields(kind):
        object.__setattr__(view, name, None)
    return view


def _kept_body(ref: BodyRef, opening: str, blank: bool, sanitize: bool) -> Body:
    return Body(ref=ref, opening=opening, blank=blank, sanitize=sanitize)


def _links_of(views: Mapping[str, ArticleView]) -> dict[str, dict[str, Any]]:
    """Each view's links as URLs: a field holds a view, a list of views, or None."""
    out: dict[str, dict[str, Any]] = {}
    for url, view in views.items():
        fields: dict[str, Any] = {}
        for name in link_fields(type(view)):
            value = getattr(view, name)
            if isinstance(value, ArticleView):
                fields[name] = value.url
            elif isinstance(value, list | tuple):
                fields[name] = (type(value), [v.url for v in value])
            else:
                fields[name] = value
        out[url] = fields
    return out


def _relink(views: Mapping[str, ArticleView], links: Mapping[str, Mapping[str, Any]]) -> None:
    for url, fields in links.items():
        view = views[url]
        for name, value in fields.items():
            if isinstance(value, str):
                value = views[value]
            elif isinstance(value, tuple):
                kind, urls = value
                value = kind(views[u] for u in urls)
            object.__setattr__(view, name, value)


def save_kept_plan(folder: Path, kept: KeptPlan, refs: Mapping[int, BodyRef]) -> bool:
    """Write the kept plan into the cache folder; False when it cannot be (the next build plans anew).

    ``refs``: body (by ``id``) → where the cache keeps it, for bodies that do not name it themselves.
    A view linking to one outside the plan's views (none does) is not kept: the plan is not saved.
    """
    buffer = io.BytesIO()
    try:
        links = _links_of(kept.plan.views)
        pickler = _Pickler(buffer, kept.plan.views, refs)
        pickler.dump(kept)
        pickler.dump(links)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return False
    path = folder / PLAN_FILE
    tmp = path.with_name(f".{PLAN_FILE}.tmp")
    try:
        # Compressed at the fastest level: a third of the size for a tenth of the pickling's time;
        # in chunks, so that loading inflates one while it unpickles another (see stages/chunked.py).
        tmp.write_bytes(FORMAT + pack_chunks(buffer.getbuffer(), 1))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def load_kept_plan(folder: Path) -> KeptPlan | None:
    """The kept plan, or None when there is none or it cannot be read."""
    try:
        data = (folder / PLAN_FILE).read_bytes()
    except OSError:
        return None
    if not data.startswith(FORMAT):
        return None
    try:
        with ChunkReader(memoryview(data)[len(FORMAT) :]) as stream:
            unpickler = pickle.Unpickler(stream)
            kept = unpickler.load()
            links = unpickler.load()
        if not isinstance(kept, KeptPlan):
            return None
        _relink(kept.plan.views, links)
    except Exception:
        return None
    return kept


def forget_kept_plan(folder: Path | None) -> None:
    """Remove the kept plan (a build that planned the site but could not keep its plan)."""
    if folder is not None:
        (folder / PLAN_FILE).unlink(missing_ok=True)
