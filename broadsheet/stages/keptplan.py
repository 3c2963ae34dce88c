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
  was, and the build then need not list every page again to find it;
* ``shape_key``: the key of the plan's shape (see incremental/inputs.py): an edit whose related
  lists moved makes the key of its plan's shape from it, instead of hashing every page again.

The file is written whole (to a temporary name, then renamed) after a build that planned the site,
and never read by a build whose inputs differ: any doubt plans the site again.

Layout: the file starts with :data:`FORMAT` and a CRC of the rest (a damaged file is not read:
checked whole on loading, so that reading a chunk later cannot fail). Then the *head*, read at
once, in two pickles: first each article's URL, source, slug and date and its view's type; then
the kept plan's inputs and sources, the site (its articles named by their place), the ``site``
view, the places of the articles each view links to (packed: which views link to an article is
found in them without unpickling any), and each page's URL, template, source and shown articles.
Then zlib chunks of :data:`VIEWS_PER_CHUNK` articles (each with its view's other fields), of
:data:`PAGES_PER_CHUNK` pages' contexts, and of :data:`VIEWS_PER_CHUNK` views' head fields (what a
fingerprint reads of each view, and the shape of its links, whose targets are the head's places).

Loading makes every article, view and page *hollow* (see deferred.py): an object of its own type
with the fields every build reads of it set (an article's URL, source, slug and date; a page's
URL, template and source). A view's head fields (those fingerprints read, its links) are set when
one is first read, from their chunk (a few thousand views' at 100,000 articles, for an edit: those
of the listings it fingerprints and of the month it renders), and the articles a page shows from
the head; a chunk of articles or pages is unpickled when one of its objects' other fields is first
read, and fills them all. Which views link to an article
and which pages show it are asked of the head (see Plan.linking and Plan.pages_showing). An edit
reads the chunks of the few dozen pages it fingerprints or renders and of the stories those list,
not the site's 100,000 articles and 165,000 pages. A build that saves a plan made from a loaded
one copies the chunks no edit changed as they are stored, and pickles the others (which reads them).

Pickling: views link to each other (previous, next, related), so a view's links are stored as
URLs, which loading turns into the (hollow) views. What chunks share with the head by identity
(the site view, the site's names, the articles) is named by its place in the head, a view by its
URL. A body is kept as where the cache keeps it (it is loaded when a page shows it), not as its
text; an article and its view share one.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import deferred
from ..content.body import Body, BodyRef
from ..content.model import Article, Site
from ..errors import BuildWarning
from ..filestamp import Stamp
from ..outputs import PageJob
from ..plan import Plan
from ..render.shows import link_fields
from ..render.views import ArticleView, SiteView
from .chunked import ChunkReader, ChunkWriter, Compressor

#: The kept plan's file, in the cache folder.
PLAN_FILE = "plan.pickle"
#: Changed when the file's layout changes (the code version covers the types it holds).
FORMAT = b"broadsheet-plan-9\n"


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
    shape_key: str | None = None
    """The key of the plan's shape (see incremental.inputs.shape_key); None: unknown. A resumed build
    makes its own plan's from it (see plan.PlanEdit.shape)."""


#: Articles (each with its view) stored together, and pages: a chunk is unpickled whole when one
#: of its objects is first read. Small enough that a listing's twenty stories do not load the
#: site, large enough to compress well.
VIEWS_PER_CHUNK = 32
PAGES_PER_CHUNK = 64
#: zlib's level for the chunks and the head: level 4 (the first with lazy matching) stores the
#: plan 7 % smaller than the fastest level for 1.7 times its compression time, on two threads
#: and only for the chunks written anew (loading inflates as fast).
PACK_LEVEL = 4
_CRC = 4
_HEAD_LENGTH = 8


class _Pickler(pickle.Pickler):
    """Pickles part of a plan: the plan's views, the objects the head shares, and bodies kept in the
    cache as references (see the module documentation). ``head``: the head is pickled, which must
    name no view (it is read before the views exist)."""

    def __init__(
        self,
        file: io.BytesIO | ChunkWriter,
        views: Mapping[int, str],
        shared: Mapping[int, int],
        articles: Mapping[int, int],
        refs: Mapping[int, BodyRef],
        head: bool = False,
    ) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.views = views
        """id(view) → its URL, for the plan's views: told by identity, since reading a hollow view's
        URL would fill it (a listing names hundreds)."""
        self.shared = shared
        self.articles = articles
        self.refs = refs
        self.head = head

    def reducer_override(self, obj: Any) -> Any:
        index = self.shared.get(id(obj))
        if index is not None:
            return _shared, (index,)
        index = self.articles.get(id(obj))
        if index is not None:
            return _article, (index,)
        url = self.views.get(id(obj))
        if url is not None:
            if self.head:
                raise pickle.PicklingError("a view in the plan's head")
            return _view, (url,)
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


# Stand-ins the unpickler resolves to its plan's objects (see _Unpickler.find_class); never called.
def _shared(index: int) -> Any:
    raise AssertionError("resolved by the kept plan's unpickler")


def _view(url: str) -> ArticleView:
    raise AssertionError("resolved by the kept plan's unpickler")


def _article(index: int) -> Article:
    raise AssertionError("resolved by the kept plan's unpickler")


def _kept_body(ref: BodyRef, opening: str, blank: bool, sanitize: bool) -> Body:
    return Body(ref=ref, opening=opening, blank=blank, sanitize=sanitize)


class _Unpickler(pickle.Unpickler):
    """Unpickles a part of the plan, its references resolved to the loaded plan's objects."""

    def __init__(self, file: Any, shared: list[Any], views: Mapping[str, ArticleView], articles: list[Article]) -> None:
        super().__init__(file)
        self.shared = shared
        self.views = views
        self.articles = articles

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_article":
            return self.articles.__getitem__
        if module == __name__ and name == "_shared":
            return self.shared.__getitem__
        if module == __name__ and name == "_view":
            return self.views.__getitem__
        return super().find_class(module, name)


def _links_of(view: ArticleView) -> dict[str, Any]:
    """A view's links as URLs: a field holds a view, a list of views, or None."""
    fields: dict[str, Any] = {}
    for name in link_fields(type(view)):
        value = getattr(view, name)
        if isinstance(value, ArticleView):
            fields[name] = value.url
        elif isinstance(value, list | tuple):
            fields[name] = (type(value), [v.url for v in value])
        else:
            fields[name] = value
    return fields


def _shared_objects(plan: Plan, was: _Chunks | None) -> list[Any]:
    """What the head holds that pages and views share by identity: the site view and the site's names.

    ``was``: the file the plan's views were loaded from. Its shared objects come first, in their
    order, and its articles not read since (hollow) are not looked at: their names are among them.
    (Looking would read every article's chunk: seconds at 100,000 articles.)"""
    site = plan.site
    found: dict[int, Any] = {id(plan.sv): plan.sv}
    if was is not None:
        found.update((id(obj), obj) for obj in was.head.shared)
    for group in (site.categories, site.tags, site.authors):
        found.update((id(name), name) for name in group)
    for a in site.articles:
        if was is not None and not deferred.is_set(a, "category"):
            continue  # (a hollow article of ``was``)
        found[id(a.category)] = a.category
        found.update((id(name), name) for name in (*a.tags, *a.authors))
    return list(found.values())


def _eager_of(view: ArticleView, was: _Chunks | None) -> tuple[Any, ...]:
    """What the head holds of a view (see :data:`EAGER_VIEW_FIELDS`) with its links: as stored in
    ``was`` for a view loaded from it that nothing wrote to, without setting its fields."""
    if was is not None and deferred.untouched(view):
        at = was.at.get(id(view))
        if at is not None:
            *values, _ = was.eager_fields(at)
            return (*values, was.stored_links(at))
    return (*(getattr(view, name) for name in EAGER_VIEW_FIELDS), _links_of(view))


#: The fields of an article set on loading, besides those stored in its chunk: what an edit reads of
#: every article (to find the edited ones, their slugs, the news sitemap's recent ones).
EAGER_ARTICLE_FIELDS = ("source", "url", "slug", "date")
_ARTICLE_STORED = tuple(f.name for f in dataclasses.fields(Article) if f.name not in EAGER_ARTICLE_FIELDS)
#: The fields of a view set on loading (with its links), besides those stored in its chunk: what
#: a page's fingerprint reads of each article it shows (see incremental.cache.Fingerprinter), and
#: what a month of the archive shows of each (an edit renders its month: a thousand stories whose
#: chunks would otherwise all be read for a headline and a date).
EAGER_VIEW_FIELDS = ("url", "digest", "category", "authors", "tags", "title", "date")
_STORED: dict[type, tuple[str, ...]] = {}


def _stored_fields(kind: type[ArticleView]) -> tuple[str, ...]:
    """The fields of a view stored in its chunk: all but the eager ones and the links."""
    names = _STORED.get(kind)
    if names is None:
        skip = {*EAGER_VIEW_FIELDS, *link_fields(kind)}
        names = _STORED[kind] = tuple(f.name for f in dataclasses.fields(kind) if f.name not in skip)
    return names


@dataclass(frozen=True, slots=True)
class _Index:
    """What loading makes the hollow articles and views from, read first (the head names them)."""

    urls: list[str]
    """The articles' URLs, newest first: the site's articles and the plan's views, in that order."""
    articles: list[tuple[Any, ...]]
    """Each article's :data:`EAGER_ARTICLE_FIELDS` but its URL."""
    view_kinds: list[type[ArticleView]]
    per_chunk: tuple[int, int]
    """Articles (with their views), and pages, to a chunk when the file was written."""


@dataclass(frozen=True, slots=True)
class _Head:
    """What loading a kept plan reads at once; articles, views and pages' contexts come in chunks."""

    kept: KeptPlan
    """The kept plan, its plan left out (``plan`` is None)."""
    site: Site
    sv: SiteView
    shared: list[Any]
    link_ends: bytes
    """Where each view's links end in ``links`` (packed ints: the first view's start at 0)."""
    links: bytes
    """The places (among the articles) of the views each view links to, packed ints, view after view.
    Unpickling each view's :data:`EAGER_VIEW_FIELDS` and links for 100,000 views was most of loading
    the plan; an edit reads a few thousand of them (in chunks), and asks which views link to the
    articles it changed, which these answer (see :meth:`_Chunks.linking`)."""
    pages: list[tuple[str, str, str, bytes | frozenset[str]]]
    """Each page's URL, template, source and the articles it shows (their places among the articles,
    packed, when all are the plan's: unpickling a set of URLs for each of 165,000 pages was a third
    of loading the plan; a page's are made when first read), in plan order."""
    spans: list[tuple[int, int]]
    """Each chunk's place in the file after the head: the articles' (and their views'), then the
    pages', then the views' head fields (see :func:`_eager_of`)."""


def save_kept_plan(folder: Path, kept: KeptPlan, refs: Mapping[int, BodyRef]) -> bool:
    """Write the kept plan into the cache folder; False when it cannot be (the next build plans anew).

    ``refs``: body (by ``id``) → where the cache keeps it, for bodies that do not name it themselves.
    """
    plan = kept.plan
    views, articles = plan.views, plan.site.articles
    urls = list(views)
    if [a.url for a in articles] != urls or any(type(a) is not Article for a in articles):
        return False  # (a plan's views are its site's articles', in order)
    chunks = Compressor(PACK_LEVEL)  # the chunks, compressed as they are pickled
    try:
        # A plan loaded from this file and saved again: the chunks nothing changed are copied as
        # they are stored (their references to the head's objects hold while those are the same).
        was = _LOADED.get(id(views))
        shared = _shared_objects(plan, was)
        if was is not None and not was.reusable(urls, shared):
            was = None
        shared_ids = {id(obj): i for i, obj in enumerate(shared)}
        place = {url: i for i, url in enumerate(urls)}
        article_ids = {id(a): i for i, a in enumerate(articles)}
        view_urls = {id(view): url for url, view in views.items()}
        stored: bytes | memoryview | None
        for number, start in enumerate(range(0, len(urls), VIEWS_PER_CHUNK)):
            part = []
            stored = was.articles_stored(number, articles, views) if was is not None else None
            for a in articles[start : start + VIEWS_PER_CHUNK]:
                view = views[a.url]
                if stored is None:
                    own = tuple(getattr(a, name) for name in _ARTICLE_STORED)
                    part.append((own, tuple(getattr(view, name) for name in _stored_fields(type(view)))))
            if stored is None:
                chunks.add(_pickled(part, view_urls, shared_ids, article_ids, refs))
            else:
                chunks.add_compressed(stored)
        pages = plan.pages
        article_chunks = len(chunks.done)
        for number, start in enumerate(range(0, len(pages), PAGES_PER_CHUNK)):
            stored = was.pages_stored(article_chunks + number, pages) if was is not None else None
            if stored is None:
                contexts = [job.context for job in pages[start : start + PAGES_PER_CHUNK]]
                chunks.add(_pickled(contexts, view_urls, shared_ids, article_ids, refs))
            else:
                chunks.add_compressed(stored)
        links, link_ends = array("i"), array("i")
        shapes: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # (one object each: pickled once a chunk)
        for number, start in enumerate(range(0, len(urls), VIEWS_PER_CHUNK)):
            part_views = [views[url] for url in urls[start : start + VIEWS_PER_CHUNK]]
            stored = was.fields_stored(number, part_views) if was is not None else None
            if stored is None:
                eager = []
                for view in part_views:
                    *values, view_links = _eager_of(view, was)
                    links.extend(_link_places(view_links, place))
                    link_ends.append(len(links))
                    eager.append((*values, _link_shape(view_links, shapes)))
                chunks.add(_pickled(eager, view_urls, shared_ids, article_ids, refs))
            else:  # (its views in the same places: their links' places are as stored too)
                assert was is not None
                for at in range(start, start + len(part_views)):
                    links.extend(was.link_places(at))
                    link_ends.append(len(links))
                chunks.add_compressed(stored)
        index = _Index(
            urls,
            [(a.source, a.slug, a.date) for a in articles],
            [type(views[url]) for url in urls],
            (VIEWS_PER_CHUNK, PAGES_PER_CHUNK),
        )
        head = _Head(
            dataclasses.replace(kept, plan=None),  # type: ignore[arg-type]  # stored apart
            plan.site,
            plan.sv,
            shared,
            link_ends.tobytes(),
            links.tobytes(),
            [(job.url, job.template, job.source, _packed_shows(job, was, place)) for job in pages],
            [],
        )
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, KeyError):
        return False  # (KeyError: a view linking to one that is not the plan's)
    finally:
        chunks.close()
    offset = 0
    for data in chunks.done:
        head.spans.append((offset, len(data)))
        offset += len(data)
    # Compressed (a third of the size for a tenth of the pickling's time) in chunks, so that loading
    # inflates one while it unpickles another (see stages/chunked.py), as it is pickled.
    packer = ChunkWriter(PACK_LEVEL)
    try:
        _Pickler(packer, view_urls, {}, {}, refs, head=True).dump(index)
        _Pickler(packer, view_urls, {}, article_ids, refs, head=True).dump(head)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return False
    finally:
        packer.close()
    head_pieces = packer.pieces
    head_length = sum(map(len, head_pieces))
    # Written piece by piece: joined, the file would be held twice more (90 MB at 100,000 articles).
    pieces = [head_length.to_bytes(_HEAD_LENGTH, "little"), *head_pieces, *chunks.done]
    crc = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    path = folder / PLAN_FILE
    tmp = path.with_name(f".{PLAN_FILE}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(FORMAT + crc.to_bytes(_CRC, "little"))
            f.writelines(pieces)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def _pickled(
    value: Any,
    views: Mapping[int, str],
    shared: Mapping[int, int],
    articles: Mapping[int, int],
    refs: Mapping[int, BodyRef],
) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, views, shared, articles, refs).dump(value)
    return buffer.getvalue()


class _Chunks:
    """The stored chunks of a loaded plan, unpickled when one of their objects is first read."""

    def __init__(
        self,
        data: memoryview,
        head: _Head,
        index: _Index,
        articles: list[Article],
        views: list[ArticleView],
        jobs: list[PageJob],
    ) -> None:
        self.data = data
        self.per_article_chunk, self.per_page_chunk = index.per_chunk
        self.head = head
        self.urls = index.urls
        self.articles = articles
        self.views = views
        self.by_url = dict(zip(index.urls, views, strict=True))
        """Article URL → its view."""
        self.at = dict(zip(map(id, views), range(len(views)), strict=True))
        """id(view) → its place (in the head's lists)."""
        self.headed: set[int] = set()
        """The views whose head fields were set when one was first read (see :meth:`fill_head`)."""
        self.job_at: dict[int, int] = {}
        """id(page) → its place in the plan's pages (set once they are made)."""
        self.jobs = jobs
        self.article_chunks = -(-len(articles) // self.per_article_chunk)
        self.field_chunks = self.article_chunks + -(-len(head.pages) // self.per_page_chunk)
        """The first chunk of views' head fields (after the articles' and the pages')."""
        self._fields: dict[int, list[tuple[Any, ...]]] = {}
        """Chunk of views' head fields → the fields, once unpickled (see :meth:`eager_fields`)."""
        self._link_ends = memoryview(head.link_ends).cast("i")
        self._links = memoryview(head.links).cast("i")

    def reusable(self, urls: list[str], shared: list[Any]) -> bool:
        """Whether chunks of this file can be copied into a plan with these articles and shared
        objects: the same articles in the same order, the same shared objects at the same places,
        and chunks of the same sizes."""
        return (
            (self.per_article_chunk, self.per_page_chunk) == (VIEWS_PER_CHUNK, PAGES_PER_CHUNK)
            and urls == self.urls
            and len(shared) == len(self.head.shared)
            and all(a is b for a, b in zip(shared, self.head.shared, strict=True))
        )

    def stored(self, chunk: int) -> memoryview:
        """A chunk's bytes as stored (compressed)."""
        start, size = self.head.spans[chunk]
        return self.data[start : start + size]

    def articles_stored(
        self, chunk: int, articles: Sequence[Article], views: Mapping[str, ArticleView]
    ) -> memoryview | None:
        """The stored bytes of an article chunk whose articles and views are as loaded, or None.

        An edit replaces an edited article (a new object) and changes its view in place, and
        gives a view whose related list moved another list: those are told by the article and by
        the view's links, which are set on loading and compared with those stored."""
        first = chunk * self.per_article_chunk
        for i in range(first, min(first + self.per_article_chunk, len(articles))):
            a = articles[i]
            view = views[a.url]
            if (
                a is not self.articles[i]
                or view is not self.views[i]
                or (not deferred.untouched(view) and _links_of(view) != self.stored_links(i))
            ):
                return None
        return self.stored(chunk)

    def pages_stored(self, chunk: int, pages: Sequence[PageJob]) -> memoryview | None:
        """The stored bytes of a page chunk whose pages are as loaded and were never read, or None
        (a page read may have had its context changed: see render.pages.add_seo)."""
        first = (chunk - self.article_chunks) * self.per_page_chunk
        last = first + self.per_page_chunk
        if len(pages) != len(self.jobs) or first >= len(pages):
            return None
        for job, was in zip(pages[first:last], self.jobs[first:last], strict=True):
            if job is not was or deferred.is_set(job, "context"):
                return None
        return self.stored(chunk)

    def eager_fields(self, at: int) -> tuple[Any, ...]:
        """The head fields of the view at ``at`` as stored: its :data:`EAGER_VIEW_FIELDS`, then the
        shape of its links (see :func:`_link_shape`); its chunk is unpickled when first asked."""
        chunk, i = divmod(at, self.per_article_chunk)
        fields = self._fields.get(chunk)
        if fields is None:
            fields = self._fields[chunk] = self._load(self.field_chunks + chunk)
        return fields[i]

    def fields_stored(self, chunk: int, views: Sequence[ArticleView]) -> memoryview | None:
        """The stored bytes of the chunk ``chunk`` of views' head fields when its views are as
        loaded and no edit wrote to them, else None (a plan saved from this file, with its views in
        the same places: see :meth:`reusable`)."""
        first = chunk * self.per_article_chunk
        was = self.views[first : first + len(views)]
        # Told by identity: comparing views would read (and fill) every field of hollow ones.
        if len(was) != len(views) or any(
            a is not b or not deferred.untouched(a) for a, b in zip(views, was, strict=True)
        ):
            return None
        return self.stored(self.field_chunks + chunk)

    def link_places(self, at: int) -> memoryview:
        """The places of the views the view at ``at`` links to, as stored."""
        return self._links[self._link_ends[at - 1] if at else 0 : self._link_ends[at]]

    def stored_links(self, at: int) -> dict[str, Any]:
        """The links of the view at ``at`` as stored, as URLs (see :func:`_links_of`)."""
        return _links_from(self.eager_fields(at)[-1], self.link_places(at), self.urls)

    def fill_head(self, view: ArticleView, whole: bool = False) -> None:
        """Set a view's fields the head holds: :data:`EAGER_VIEW_FIELDS` and its links (as views).
        ``whole``: none of them is set (the view is hollow and no edit wrote to it); else only the
        unset ones are."""
        key = id(view)
        if key in self.headed:
            return
        self.headed.add(key)
        at = self.at[key]
        *values, _ = self.eager_fields(at)
        links = self.stored_links(at)
        setattr_, by_url, is_set = object.__setattr__, self.by_url, deferred.is_set
        for name, value in zip(EAGER_VIEW_FIELDS, values, strict=True):
            if whole or not is_set(view, name):
                setattr_(view, name, value)
        for name, link in links.items():
            if not whole and is_set(view, name):
                continue
            if isinstance(link, str):
                link = by_url[link]
            elif isinstance(link, tuple):
                kind, targets = link
                link = kind(by_url[u] for u in targets)
            setattr_(view, name, link)

    def linking(self, urls: AbstractSet[str]) -> set[str]:
        """The articles whose views the kept plan links to one of ``urls`` (related, previous, next),
        found in the head's packed links without unpickling any view's fields."""
        found: set[str] = set()
        flat, ends = self.head.links, self._link_ends
        for url in urls:
            view = self.by_url.get(url)
            if view is None:
                continue
            target = array("i", [self.at[id(view)]]).tobytes()
            size = len(target)
            hit = flat.find(target)
            while hit >= 0:
                if hit % size == 0:  # an int's own bytes, not the end of one and the start of the next
                    found.add(self.urls[bisect_right(ends, hit // size)])
                hit = flat.find(target, hit + 1)
        return found

    def _load(self, chunk: int) -> Any:
        raw = zlib.decompress(self.stored(chunk))
        return _Unpickler(io.BytesIO(raw), self.head.shared, self.by_url, self.articles).load()

    def fill_articles(self, chunk: int) -> None:
        first = chunk * self.per_article_chunk
        last = first + self.per_article_chunk
        claim = deferred.claim
        entries = zip(self.articles[first:last], self.views[first:last], self._load(chunk), strict=True)
        for a, view, (own, view_own) in entries:
            _fill_fields(a, claim(a), _ARTICLE_STORED, own)
            state = claim(view)
            if state != deferred.NOT_HOLLOW:
                self.fill_head(view, whole=state == deferred.HOLLOW)
            _fill_fields(view, state, _stored_fields(type(view)), view_own)

    def article_filler(self, chunk: int) -> Callable[[object, str], None]:
        """What fills an article or view of chunk ``chunk`` when one of its unset fields is read: a
        view's head fields alone (see :meth:`fill_head`), else the chunk."""

        def fill(obj: object, name: str) -> None:
            if isinstance(obj, ArticleView) and (name in EAGER_VIEW_FIELDS or name in link_fields(type(obj))):
                self.fill_head(obj)
            else:
                self.fill_articles(chunk)

        return fill

    def fill_pages(self, chunk: int) -> None:
        first = (chunk - self.article_chunks) * self.per_page_chunk
        claim = deferred.claim
        self.fill_shows(chunk)
        for job, context in zip(self.jobs[first : first + self.per_page_chunk], self._load(chunk), strict=True):
            _fill_fields(job, claim(job), ("context",), (context,))

    def fill_shows(self, chunk: int) -> None:
        """Set the unset ``shows`` of the pages of chunk ``chunk`` from the head, without their contexts."""
        first = (chunk - self.article_chunks) * self.per_page_chunk
        urls, is_set, setattr_ = self.urls, deferred.is_set, object.__setattr__
        last = first + self.per_page_chunk
        for job, (*_, shows) in zip(self.jobs[first:last], self.head.pages[first:last], strict=True):
            if not is_set(job, "shows"):
                setattr_(job, "shows", _shown(shows, urls))

    def page_filler(self, chunk: int) -> Callable[[object, str], None]:
        """What fills a page of chunk ``chunk`` when one of its unset fields is read: the chunk's
        ``shows`` alone (see :meth:`fill_shows`), else the chunk's contexts too."""

        def fill(obj: object, name: str) -> None:
            if name == "shows":
                self.fill_shows(chunk)
            else:
                self.fill_pages(chunk)

        return fill

    def pages_showing(self, urls: AbstractSet[str]) -> set[str]:
        """The pages of the kept plan that show one of the articles ``urls``, found in the head
        without making any page's ``shows``."""
        places = {self.at[id(self.by_url[url])] for url in urls if url in self.by_url}
        found = set()
        for url, _, _, shows in self.head.pages:
            if isinstance(shows, bytes):
                if not places.isdisjoint(memoryview(shows).cast("i")):
                    found.add(url)
            elif not urls.isdisjoint(shows):
                found.add(url)
        return found


#: id(views) → the chunks of the kept plan they were loaded from (the last one loaded), for
#: saving a plan made from it (its views are the same dict: see plan.edit_plan).
_LOADED: dict[int, _Chunks] = {}


def _link_places(links: Mapping[str, Any], place: Mapping[str, int]) -> list[int]:
    """The places of the views a view links to, from its links as URLs (see :func:`_links_of`)."""
    found: list[int] = []
    for link in links.values():
        if isinstance(link, str):
            found.append(place[link])
        elif isinstance(link, tuple):
            found.extend(place[url] for url in link[1])
    return found


def _link_shape(links: Mapping[str, Any], shapes: dict[tuple[Any, ...], tuple[Any, ...]]) -> tuple[Any, ...]:
    """What a view's links are without their targets: each link field's name and what it holds
    (None; ``str``, one view; a sequence type and how many views). Their targets are the view's
    places in the head (see :func:`_link_places`, in the same order): a chunk of views' head fields
    holding each link's URL was a sixth larger than the whole plan before. ``shapes``: those met so
    far, so that equal ones are one object."""
    shape = tuple(
        (name, str if isinstance(link, str) else (link[0], len(link[1])) if isinstance(link, tuple) else link)
        for name, link in links.items()
    )
    return shapes.setdefault(shape, shape)


def _links_from(shape: tuple[Any, ...], places: Sequence[int], urls: Sequence[str]) -> dict[str, Any]:
    """A view's links as URLs (see :func:`_links_of`), from their shape and their targets' places."""
    links: dict[str, Any] = {}
    at = 0
    for name, held in shape:
        if held is str:
            links[name] = urls[places[at]]
            at += 1
        elif isinstance(held, tuple):
            kind, count = held
            links[name] = (kind, [urls[i] for i in places[at : at + count]])
            at += count
        else:
            links[name] = held
    return links


def _shown(shows: bytes | frozenset[str], urls: Sequence[str]) -> frozenset[str]:
    """A page's ``shows`` from the head (see :func:`_packed_shows`)."""
    if isinstance(shows, bytes):
        return frozenset([urls[i] for i in memoryview(shows).cast("i")])
    return shows


def _packed_shows(job: PageJob, was: _Chunks | None, place: Mapping[str, int]) -> bytes | frozenset[str]:
    """A page's ``shows`` as stored in the head: the places of its articles (see :class:`_Head`), or
    the URLs when one is no article of the plan. A page loaded from ``was`` whose shows were never
    read keeps its stored bytes (``was`` is only given when the articles are in the same places)."""
    if was is not None and not deferred.is_set(job, "shows"):
        at = was.job_at.get(id(job))
        if at is not None and was.jobs[at] is job:
            return was.head.pages[at][3]
    try:
        return array("i", sorted(place[url] for url in job.shows)).tobytes()
    except KeyError:
        return job.shows


def _fill_fields(obj: object, state: int, names: Sequence[str], values: Sequence[Any]) -> None:
    """Set a claimed object's stored fields (see deferred.claim): all of them on a hollow object, the
    unset ones on one an edit wrote to, none on one filled already."""
    setattr_ = object.__setattr__
    if state == deferred.HOLLOW:
        for name, value in zip(names, values, strict=True):
            setattr_(obj, name, value)
    elif state == deferred.WRITTEN:
        for name, value in zip(names, values, strict=True):
            if not deferred.is_set(obj, name):
                setattr_(obj, name, value)


def load_kept_plan(folder: Path) -> KeptPlan | None:
    """The kept plan, or None when there is none or it cannot be read. Its articles, views and pages
    are hollow (see deferred.py): each chunk is unpickled when one of its objects is first read."""
    try:
        data = (folder / PLAN_FILE).read_bytes()
    except OSError:
        return None
    if not data.startswith(FORMAT):
        return None
    body = memoryview(data)[len(FORMAT) + _CRC :]
    if len(body) < _HEAD_LENGTH or zlib.crc32(body) != int.from_bytes(data[len(FORMAT) : len(FORMAT) + _CRC], "little"):
        return None  # cut or damaged: checked whole now, so that reading a chunk later cannot fail
    deferred.new_generation()
    size = int.from_bytes(body[:_HEAD_LENGTH], "little")
    articles: list[Article] = []
    views: list[ArticleView] = []
    jobs: list[PageJob] = []
    defer_all, setattr_ = deferred.defer_all, object.__setattr__
    try:
        with ChunkReader(body[_HEAD_LENGTH : _HEAD_LENGTH + size]) as stream:
            index = _Unpickler(stream, [], {}, []).load()
            if not isinstance(index, _Index):
                return None
            for url, (source, slug, date), kind in zip(index.urls, index.articles, index.view_kinds, strict=True):
                a = Article.__new__(Article)
                setattr_(a, "source", source)
                setattr_(a, "url", url)
                setattr_(a, "slug", slug)
                setattr_(a, "date", date)
                articles.append(a)
                views.append(kind.__new__(kind))
            head = _Unpickler(stream, [], {}, articles).load()
        if not isinstance(head, _Head) or not isinstance(head.kept, KeptPlan):
            return None
    except Exception:
        return None
    per_article, per_page = index.per_chunk
    chunks = _Chunks(body[_HEAD_LENGTH + size :], head, index, articles, views, jobs)
    for first in range(0, len(articles), per_article):
        filler = chunks.article_filler(first // per_article)
        defer_all(articles[first : first + per_article], filler)
        defer_all(views[first : first + per_article], filler)
    _LOADED.clear()
    _LOADED[id(chunks.by_url)] = chunks
    # A view's head fields (what fingerprints read of every view they meet, and its links) are set
    # when one is first read, from the head, without its chunk: an edit fingerprints listings of
    # hundreds of stories, and setting them on all 100,000 views cost more than the rest of loading.
    new_job = PageJob.__new__
    for first in range(0, len(head.pages), per_page):
        filler = chunks.page_filler(chunks.article_chunks + first // per_page)
        for url, template, source, _ in head.pages[first : first + per_page]:
            job = new_job(PageJob)
            setattr_(job, "url", url)
            setattr_(job, "template", template)
            setattr_(job, "source", source)
            jobs.append(job)
        defer_all(jobs[first:], filler)
    chunks.job_at = dict(zip(map(id, jobs), range(len(jobs)), strict=True))
    plan = Plan(
        head.site,
        chunks.by_url,
        jobs,
        {job.url: job for job in jobs},
        None,
        head.sv,
        chunks.linking,
        chunks.pages_showing,
    )
    return dataclasses.replace(head.kept, plan=plan)


def forget_kept_plan(folder: Path | None) -> None:
    """Remove the kept plan (a build that planned the site but could not keep its plan)."""
    if folder is not None:
        (folder / PLAN_FILE).unlink(missing_ok=True)
