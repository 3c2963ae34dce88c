"""The related ranking's input: one frozen value holding what it reads of the site, and its key.

The ranking (see related/index.py) is given a :class:`RelatedInput` and nothing else, and its lists are
kept between builds under :func:`~broadsheet.incremental.keys.key_of` of that value: a field the
ranking reads is a field of the input, so it is in the key.

Of an article's text only the opening is read (``text_bytes``: see related.index.OPENING_BYTES); the
input holds a hash of it (see body.opening_digest) and the body itself outside the key, read only
when the ranking runs. The hash of the default opening is kept with each cached body, so an
unchanged site's key is made without reading one body, and an edit further down a story (a
correction appended) keeps the lists without ranking again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from ..config import SiteConfig
from ..related import index
from ..related.index import OPENING_BYTES, RelatedDoc, RelatedSettings
from .body import Body, opening_digest
from .bodystore import load_bodies
from .model import Article, Site


@dataclass(frozen=True, slots=True)
class RelatedArticle:
    """What the ranking reads of one article: a :class:`~broadsheet.related.index.RelatedDoc`
    whose text is stood for, in the key, by the hash of its opening."""

    key: str
    slug: str
    title: str
    summary: str
    opening: str
    """Hash of the opening of the text the ranking reads (see body.opening_digest)."""
    tags: tuple[str, ...]
    category: str
    date: datetime
    pinned: tuple[str, ...]
    body: Body = field(compare=False, repr=False)
    """The body whose text the ranking reads, outside the key (``opening`` stands for it)."""

    def doc(self, limit: int | None = None) -> RelatedDoc:
        """The article as the ranking takes it, its text read: whole, or as much as a ranking reading
        ``limit`` bytes of it sees (see :func:`opening_text`)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in _NOT_IN_DOC}
        text = self.body.text
        return RelatedDoc(text=text if limit is None else opening_text(text, limit), **values)


def opening_text(text: str, limit: int) -> str:
    """The start of ``text`` that holds everything a ranking reading its first ``limit`` bytes reads,
    and shows that more follows: ``limit`` + 1 characters, at least ``limit`` + 1 bytes in UTF-8.

    The ranking holds every article's text at once; a body unpacked to be read (see
    body.Body.pack) is a new string, and a whole one would be held for the ranking's duration.
    """
    return text[: limit + 1]


#: Fields of RelatedArticle that are not RelatedDoc's: the text is given from the body.
_NOT_IN_DOC = frozenset({"opening", "body"})


@dataclass(frozen=True, slots=True)
class RelatedInput:
    """Everything the related ranking reads, and nothing else: its key says when the lists are the same."""

    settings: RelatedSettings
    articles: tuple[RelatedArticle, ...]

    def docs(self) -> list[RelatedDoc]:
        """The articles as the ranking takes them, their bodies loaded first (see bodystore.py)."""
        load_bodies(a.body for a in self.articles)
        return [a.doc(self.settings.text_bytes) for a in self.articles]


def related_settings(site: Site) -> RelatedSettings:
    """The related ranking's settings from site.yml."""
    return related_settings_of(site.config)


def related_settings_of(config: SiteConfig) -> RelatedSettings:
    """The related ranking's settings from a site.yml (:func:`related_settings` of its site)."""
    r = config.related
    return RelatedSettings(count=r.count, weights=r.weights, time_scale_days=r.time_scale_days)


def related_article(a: Article, text_bytes: int = OPENING_BYTES) -> RelatedArticle:
    """What the ranking reads of an article; the opening's hash is the body's own for the default reading."""
    if text_bytes == OPENING_BYTES:
        opening = a.body.opening
    else:  # a reading of its own: hashed from the text
        load_bodies([a.body])
        opening = opening_digest(a.text, text_bytes)
    return RelatedArticle(
        key=a.url,
        slug=a.slug,
        title=a.title,
        summary=a.summary,
        opening=opening,
        tags=tuple(t.slug for t in a.tags),
        category=a.category.slug,
        date=a.date,
        pinned=a.pinned,
        body=a.body,
    )


def related_input(articles: tuple[Article, ...] | list[Article], settings: RelatedSettings) -> RelatedInput:
    """The ranking's input for these articles (a site's published ones) and settings."""
    return RelatedInput(settings, tuple(related_article(a, settings.text_bytes) for a in articles))


def site_related_input(site: Site) -> RelatedInput:
    """The ranking's input for a site: its published articles and site.yml's settings."""
    return related_input(site.articles, related_settings(site))


def rank(given: RelatedInput) -> dict[str, tuple[str, ...]]:
    """Rank the related lists of every article of the input (pure: a thread may run it while pages render)."""
    lists = index.compute_related(given.docs(), given.settings)
    return {k: tuple(v) for k, v in lists.items()}
