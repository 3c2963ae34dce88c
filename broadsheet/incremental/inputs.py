"""What the pages of a build are made from, as frozen values whose keys say when they are the same.

* :class:`PagesInput`: what every page can show besides its own context: the site view, the
  templates, the static files (their stamps: templates may ask an image's size), the pictures'
  variants, the analytics export's counts, the string tables and site.yml. Its key starts every
  page's fingerprint (see cache.Fingerprinter); it is made in one function, :func:`pages_input`,
  so that a new input of the pages is a new field, in the key by itself (see keys.py).
* the plan's shape (:func:`shape_key`): how the pages are made up (each page's URL, template and
  the articles it shows, and the site's names), recorded with the fingerprints: two builds of the
  same shape differ, page by page, only in the articles' own content (see stages.render.reuse_pages).
  Its key is the key of :class:`ShapeHead` (the site's names) and the sum of a hash of each page:
  an edit that plans a few pages again makes the key of the new plan from the old one by taking
  those pages out and putting them back in as planned now (:func:`reshaped`), instead of hashing
  every page of the site again (five seconds at 100,000 articles).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from ..config import SiteConfig
from ..content.model import Author, Category, Site, Tag
from ..filestamp import stamp_of
from ..outputs import PageJob
from ..publish.pictures import Picture
from ..render.i18n import I18N_DIR
from ..render.theme import Theme
from ..render.views import SiteView, site_view
from .cache import code_version
from .keys import key_of


@dataclass(frozen=True, slots=True)
class PagesInput:
    """Everything every page is made from besides its own context (see the module documentation)."""

    code: str
    """Broadsheet's code version (see cache.code_version)."""
    site: SiteView
    """The ``site`` variable, its ``now`` to the local day: templates may show the build's date (the
    top bar does), not its time of day, so a page is not rendered again because a minute passed."""
    site_yml: str
    """site.yml as written (the theme's settings, the base URL, everything a filter may read)."""
    templates: tuple[tuple[str, str], ...]
    """Each file of the theme's template folders, with the hash of its bytes."""
    static: tuple[tuple[str, int, int, int, int], ...]
    """Each static file (the site's and the themes') with its stamp: pages may show an image's size."""
    pictures: tuple[tuple[str, str], ...]
    """Each picture's URL with the key of the variants made of it (pages name only those)."""
    analytics: tuple[tuple[str, int], ...]
    """The analytics export's counts (bylines, "Most read")."""
    string_tables: tuple[tuple[str, str], ...]
    """The string tables (the theme's words in the site's language), the site's and the themes'."""


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def pages_input(config: SiteConfig, theme: Theme, site: Site, pictures: Mapping[str, Picture]) -> PagesInput:
    """What the pages of this build are made from besides their own contexts."""
    return pages_input_of_view(config, theme, site_view(site), pictures)


def pages_input_of_view(
    config: SiteConfig, theme: Theme, view: SiteView, pictures: Mapping[str, Picture]
) -> PagesInput:
    """:func:`pages_input` of a site whose ``site`` view is ``view`` (see stages/unchanged.py)."""
    day = view.now.astimezone(config.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    templates = tuple((str(p), _digest(p)) for d in theme.template_dirs for p in _files(Path(d)))
    static_dirs = [config.root / "static", *theme.static_dirs]
    static = tuple(sorted((str(p), *stamp_of(p.stat())) for d in static_dirs if d.is_dir() for p in _files(d)))
    tables = tuple(
        (str(table), table.read_text(encoding="utf-8", errors="replace"))
        for folder in (config.root, *theme.chain)
        for table in sorted((folder / I18N_DIR).glob("*.yml"))
    )
    return PagesInput(
        code=code_version(),
        site=dataclasses.replace(view, now=day),
        site_yml=(config.root / "site.yml").read_text(encoding="utf-8", errors="replace"),
        templates=templates,
        static=static,
        pictures=tuple(sorted((url, p.key) for url, p in pictures.items())),
        analytics=tuple(sorted(config.analytics.views.items())),
        string_tables=tables,
    )


def preview_pages_key(view: SiteView, tz: tzinfo) -> str:
    """The live preview's start of every page's fingerprint: the code and the site view to the day.
    The preview follows the other inputs itself (a template, site.yml or string table changed: every
    page is rendered again; an image: the pages that name it), so they are left empty here."""
    day = view.now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return key_of(PagesInput(code_version(), dataclasses.replace(view, now=day), "", (), (), (), (), ()))


@dataclass(frozen=True, slots=True)
class ShapeHead:
    """What the key of a plan's shape holds besides its pages (see :func:`shape_key`)."""

    pages_key: str
    """The key of the build's :class:`PagesInput`."""
    categories: tuple[Category, ...]
    tags: tuple[Tag, ...]
    authors: tuple[Author, ...]


#: The pages' hashes are added up modulo this (the width of one hash): a sum does not depend on the
#: order of its terms, and one page's term is taken out by subtracting it.
_SHAPE_MODULUS = 1 << 128


def page_shape(job: PageJob) -> int:
    """One page's term of the shape: a hash of its URL, template and the (sorted) URLs of the
    articles it shows."""
    text = f"{job.url}\x00{job.template}\x00{chr(1).join(sorted(job.shows))}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "little")


def _with_sum(head: str, total: int) -> str:
    return f"{head}.{total % _SHAPE_MODULUS:032x}"


def shape_key(pages_key: str, site: Site, jobs: Sequence[PageJob]) -> str:
    """The key of how the site's pages are made up: its head's key, then the sum of its pages' terms.

    Each page's URL appears once in a plan, so two plans have the same sum only by a collision of
    128-bit hashes, as for any key. The sum leaves out the pages' order, which no page's content
    depends on."""
    return _with_sum(key_of(ShapeHead(pages_key, site.categories, site.tags, site.authors)), sum(map(page_shape, jobs)))


def reshaped(key: str, before: Iterable[PageJob], after: Iterable[PageJob]) -> str:
    """The key of a plan's shape (``key``, see :func:`shape_key`) once the pages ``before`` are
    replaced with ``after`` (the same site's names: an edit that moves nothing keeps them)."""
    head, _, total = key.partition(".")
    return _with_sum(head, int(total, 16) - sum(map(page_shape, before)) + sum(map(page_shape, after)))


def shape_record(pages_key: str, site: Site, jobs: Sequence[PageJob]) -> tuple[str, dict[str, str]]:
    """What is recorded with the fingerprints: the key of the plan's shape, and each article's source hash."""
    return shape_key(pages_key, site, jobs), {a.url: a.digest for a in site.articles}
