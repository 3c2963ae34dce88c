"""What `build` and `serve` share after planning: which pages to render again, and where pages go.

A site's pages are planned once for both (:mod:`broadsheet.plan`, which also edits a plan in
place when an edit moves nothing), then this module decides which of them must be rendered
again, the same way for a one-shot build and for the live preview, and the pages end in a *sink*:

* :class:`DiskSink`: the output folder, written by the staged, journaled commit of
  :mod:`broadsheet.write.generations` (``build``);
* :class:`MemorySink`: bytes in a dictionary, served by the preview's web server (``serve``).

**The decision** (:func:`choose_pages`) rests on page fingerprints: a hash of everything a page's
template can see (:class:`broadsheet.incremental.cache.Fingerprinter`). A page is rendered
again when its fingerprint differs from the one it had when its sink last received it, or when
the sink no longer holds it as it was. Fingerprinting every page of a large site costs more than
an edit is worth, so the *shape shortcut* spares it: when the pages are made up as before (the
same pages, showing the same articles, over the same site), a page that shows none of the
articles an edit touched (:func:`articles_touched`) keeps its fingerprint. A one-shot build
reads the fingerprints and the shape from its cache; the preview keeps them in memory
(:class:`PageMemory`), where the shape is known without hashing it when an edit moves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import jinja2
from jinja2 import meta, nodes

from .outputs import OutputFile, PageJob
from .render.fragments import CARD_TEMPLATE
from .render.shows import every_link_field, links_to
from .render.views import ArticleView
from .write.commit import LastOutput, WriteStats
from .write.generations import write_output

#: The fields of an article's view that lead to other articles (see views.ArticleView).
LINK_FIELDS = frozenset({"related", "prev", "next"})
"""The article view's own link fields (see render/shows.py link_fields); a subclass's are added."""

Shape = tuple[str, dict[str, str]]
"""How a site's pages are made up (a hash), and each article's source hash (see incremental.inputs.shape_key)."""


def articles_touched(views: Mapping[str, ArticleView], changed: set[str]) -> set[str]:
    """The articles whose part of a fingerprint (see cache.Fingerprinter) changes with ``changed``:
    those, and those whose views link to one of them (related, previous, next: every link field,
    see render/shows.py)."""
    touched = set(changed)
    if not changed:
        return touched
    touched.update(url for url, view in views.items() if url not in changed and links_to(view, changed))
    return touched


def templates_reading_links(env: jinja2.Environment, known: dict[str, bool] | None = None) -> Callable[[str], bool]:
    """Whether a template can read an article's related, previous or next articles: whether it, or
    a template it extends, includes or imports, names ``related``, ``prev`` or ``next`` anywhere
    (an attribute, a string, a variable). Read once per template from its source; a template
    that cannot be read, or that names another by an expression, counts as reading them.

    A page whose template reads none of them sees of each article its own fields only, so its
    fingerprint leaves out the articles they link to (see cache.PageFingerprints).

    ``known``: the answers found so far for these templates (filled in as templates are read), such
    as those the build cache keeps under the key of the templates' sources.
    """
    known = {} if known is None else known
    reading: set[str] = set()  # the templates being read (only final answers go in ``known``)
    fields = LINK_FIELDS | every_link_field()  # a field a view gains is a link a template may read

    def reads(name: str) -> bool:
        found = known.get(name)
        if found is not None:
            return found
        if name in reading:
            return False  # a template that includes itself adds nothing
        try:
            assert env.loader is not None
            source, _, _ = env.loader.get_source(env, name)
            tree = env.parse(source)
        except (jinja2.TemplateError, AssertionError, OSError):
            known[name] = True
            return True
        reading.add(name)
        found = any(
            (isinstance(node, nodes.Getattr) and node.attr in fields)
            or (isinstance(node, nodes.Const) and node.value in fields)
            or (isinstance(node, nodes.Name) and node.name in fields)
            for node in tree.find_all((nodes.Getattr, nodes.Const, nodes.Name))
        ) or any(other is None or reads(other) for other in meta.find_referenced_templates(tree))
        # The card() global renders its template from Python (see render/fragments.py).
        found = found or (any(node.name == "card" for node in tree.find_all(nodes.Name)) and reads(CARD_TEMPLATE))
        reading.discard(name)
        known[name] = found
        return found

    return reads


def unchanged_articles(views: Mapping[str, ArticleView], now: Shape, before: Shape | None) -> set[str] | None:
    """The articles whose part of every fingerprint is as it was when ``before`` was recorded, or
    None when the pages are made up differently (then every page is fingerprinted)."""
    if before is None or before[0] != now[0]:
        return None
    touched = articles_touched(views, {url for url, digest in now[1].items() if before[1].get(url) != digest})
    return set(now[1]) - touched


@dataclass(slots=True)
class Choice:
    """Which planned pages to render and which the sink still holds, with every page's fingerprint."""

    todo: list[PageJob]
    kept: list[PageJob]
    prints: dict[str, str]
    """Page URL → fingerprint, for every page chosen from."""


def choose_pages(
    jobs: Sequence[PageJob],
    fingerprint: Callable[[PageJob], str],
    before: Mapping[str, str],
    same: set[str] | None,
    held: Callable[[PageJob], bool],
) -> Choice:
    """Split planned pages into those to render and those the sink holds as they would be rendered.

    ``before``: URL → fingerprint of each page as the sink last received it. ``same``: the
    articles whose part of every fingerprint is unchanged (see :func:`unchanged_articles`), or
    None to fingerprint every page. ``held``: whether the sink still holds the page as it
    received it (a build's output can have been edited by hand since).
    """
    todo: list[PageJob] = []
    kept: list[PageJob] = []
    prints: dict[str, str] = {}
    for job in jobs:
        was = before.get(job.url)
        fp = was if same is not None and was is not None and job.shows <= same else fingerprint(job)
        prints[job.url] = fp
        if was == fp and held(job):
            kept.append(job)
        else:
            todo.append(job)
    return Choice(todo, kept, prints)


@dataclass(slots=True)
class PageMemory:
    """What the engine remembers of the pages it last gave its sink: read from the cache by a
    one-shot build, kept in memory by the preview."""

    prints: dict[str, str] = field(default_factory=dict)
    """Page URL → fingerprint."""
    shape: Shape | None = None
    site_key: str | None = None
    """What every fingerprint starts from (the site's values); a new one fingerprints every page."""

    def forget(self) -> None:
        """Forget every page: the next round renders them all."""
        self.prints.clear()
        self.shape = None
        self.site_key = None


class Sink(Protocol):
    """Where the pages of a round go."""

    def write(self, files: Sequence[OutputFile], removed: Collection[str]) -> object:
        """Take the files made or kept this round (by output path) and drop ``removed`` (output paths
        no longer made); return what the sink reports of it."""
        ...


class MemorySink:
    """Pages held in memory by output path, for the preview's server; nothing touches the disk."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write(self, files: Sequence[OutputFile], removed: Collection[str]) -> list[str]:
        """Store the files that carry their bytes (a kept file is already held); drop the removed ones.

        Returns the output paths whose bytes changed, appeared or went."""
        changed: list[str] = []
        held = self.files
        for f in files:
            if f.data is not None and held.get(f.path) != f.data:
                held[f.path] = f.data
                changed.append(f.path)
        for path in removed:
            if held.pop(path, None) is not None:
                changed.append(path)
        return changed

    def holds(self, path: str) -> bool:
        """Whether a file is held at ``path``."""
        return path in self.files


class DiskSink:
    """The output folder, written as a new generation by the staged, journaled commit
    (:func:`broadsheet.write.generations.write_output`).

    The files given are the whole site (kept ones as ``OutputFile(kept=...)``): the commit
    compares them with what the output holds, so ``removed`` is implied and not needed.
    """

    def __init__(
        self,
        output: Path,
        site_root: Path,
        done: Callable[[int], None] | None = None,
        staged: bool = False,
        last: LastOutput | None = None,
    ) -> None:
        self.output = output
        self.site_root = site_root
        self.done = done
        self.staged = staged
        """Whether render workers staged pages in the output's staging folder."""
        self.last = last
        """The output as the render stage saw it (see write.LastOutput)."""
        self.stats: WriteStats | None = None

    def write(self, files: Sequence[OutputFile], removed: Collection[str] = ()) -> WriteStats:
        """Commit the site's files to the output folder; raise OutputError when it cannot."""
        self.stats = write_output(
            files, self.output, self.done, staged=self.staged, last=self.last, site_root=self.site_root
        )
        return self.stats
