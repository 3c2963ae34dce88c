"""Assemble the site: publish rules, categories, tags, authors, order and grouping."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from ..config import SiteConfig
from ..errors import BroadsheetError, BuildWarning, ContentError
from ..urls import MAX_GIVEN_SLUG, article_url, slugify
from .frontmatter import Document
from .lint import Named, author_warnings, tag_warnings, unknown_category_warnings
from .markdown import MarkdownTooComplex, Rendered, cut_summary, reading_minutes, render_markdown, sanitize_html
from .model import Article, Author, Category, LiveUpdate, Page, Site, Tag
from .notices import LiveEntry

FALLBACK_CATEGORY = "News"


@dataclass(frozen=True, slots=True)
class PublishRules:
    """What is left out: drafts, embargoed (future) and expired articles."""

    now: datetime
    drafts: bool = False
    future: bool = False
    preview: bool = False
    """For the live preview, whose pages mark drafts and embargoed stories (see Site.preview)."""

    def excludes(self, doc: Document) -> str | None:
        """Return why an article is left out of the site, or None when it is published."""
        meta = doc.meta
        if meta.draft and not self.drafts:
            return "draft"
        if meta.date is not None and meta.date > self.now and not self.future:
            return "embargoed"
        if meta.expires is not None and meta.expires <= self.now:
            return "expired"
        return None

    def featured(self, doc: Document, days: float) -> bool:
        """Whether ``featured: true`` still holds: until ``featured_until``, else ``days`` after the date."""
        meta = doc.meta
        if not meta.featured or meta.date is None:
            return False
        until = meta.featured_until or meta.date + timedelta(days=days)
        return self.now < until


class _Names:
    """Resolves author and category names to one shared object each."""

    def __init__(self, config: SiteConfig) -> None:
        self.authors: dict[str, Author] = {}
        self.author_alias: dict[str, str] = {}
        for a in config.authors:
            self.authors[a.slug] = Author(a.slug, a.name, f"/author/{a.slug}/", a.bio, a.avatar, a.role)
            self.author_alias[a.slug] = a.slug
            self.author_alias[a.name.casefold()] = a.slug
            self.author_alias[slugify(a.name)] = a.slug
        self.categories: dict[str, Category] = {}
        self.category_alias: dict[str, str] = {}
        for c in config.categories:
            self.categories[c.slug] = Category(c.slug, c.name, f"/category/{c.slug}/", c.description)
            self.category_alias[c.slug] = c.slug
            self.category_alias[c.name.casefold()] = c.slug
        self.tags: dict[str, Tag] = {}

    def author(self, name: str) -> Author:
        key = self.author_alias.get(name.casefold()) or self.author_alias.get(slugify(name))
        if key is None:
            key = slugify(name)
            self.authors.setdefault(key, Author(key, name, f"/author/{key}/"))
            self.author_alias[name.casefold()] = key
        return self.authors[key]

    def category(self, name: str) -> Category:
        key = self.category_alias.get(name.casefold()) or self.category_alias.get(slugify(name))
        if key is None:
            key = slugify(name)
            shown = name if not name.islower() else name.replace("-", " ").title()
            self.categories.setdefault(key, Category(key, shown, f"/category/{key}/", "", in_nav=False))
            self.category_alias[name.casefold()] = key
        return self.categories[key]

    def tag(self, name: str) -> Tag:
        key = slugify(name)
        # The first spelling seen wins; "Flood" and "flood" are one tag.
        return self.tags.setdefault(key, Tag(key, name, f"/tag/{key}/"))


def live_updates(
    entries: Iterable[LiveEntry], sanitize: bool, source: str, errors: list[BroadsheetError]
) -> tuple[LiveUpdate, ...]:
    """Render the Markdown of a live story's entries (cleaned like bodies under ``sanitize``)."""
    out = []
    for entry in entries:
        try:
            html = render_markdown(entry.text).body.html
        except MarkdownTooComplex as exc:
            errors.append(
                ContentError(f"live entry of {entry.time.isoformat()}: {exc}", source, None, "simplify its Markdown")
            )
            continue
        out.append(LiveUpdate(entry.time, entry.title, sanitize_html(html) if sanitize else html))
    return tuple(out)


def assemble(
    config: SiteConfig,
    documents: Iterable[tuple[Document, Rendered]],
    rules: PublishRules,
    known_slugs: Collection[str] = (),
) -> tuple[Site, list[BroadsheetError], list[BuildWarning]]:
    """Build the Site from parsed, rendered documents; leave out what must not be published.

    ``known_slugs``: slugs of published articles besides these (some articles assembled on their
    own, as edits to a site): a related article may be pinned by one of them.
    """
    names = _Names(config)
    errors: list[BroadsheetError] = []
    warnings: list[BuildWarning] = []
    articles: list[Article] = []
    pages: list[Page] = []
    # Names as written, where written: checked against site.yml once every article is read.
    used_categories: list[Named] = []
    from_folder: dict[str, bool] = {}
    used_authors: list[Named] = []
    used_tags: list[Named] = []
    for doc, rendered in documents:
        meta = doc.meta
        if config.sanitize:
            rendered = dataclasses.replace(rendered, body=rendered.body.sanitized(sanitize_html))
        if doc.source.is_page:
            # SPEC: content/pages/<slug>.md: the file name is the page's URL.
            slug = slugify(meta.slug or doc.source.path.stem, fallback=meta.title)
            pages.append(
                Page(
                    doc.source.rel,
                    meta.title,
                    slug,
                    f"/{slug}/",
                    meta.summary or cut_summary(rendered.first_paragraph),
                    rendered.html,
                    rendered.text,
                    MappingProxyType(dict(meta.extra)),
                    aliases=meta.aliases,
                )
            )
            continue
        if rules.excludes(doc):
            continue
        assert meta.date is not None  # required for articles, checked by validate()
        # The folders between content/ and the file (rel is "content/<folders>/<file>").
        folder_parts = doc.source.rel.split("/")[1:-1]
        category = names.category(meta.category or (folder_parts[0] if folder_parts else FALLBACK_CATEGORY))
        if meta.category or folder_parts:
            used_categories.append(Named(meta.category or folder_parts[0], doc.source.rel, meta.lines.get("category")))
            from_folder[doc.source.rel] = not meta.category
        author_line = meta.lines.get("authors", meta.lines.get("author"))
        used_authors += [Named(a, doc.source.rel, author_line) for a in meta.authors]
        used_tags += [Named(t, doc.source.rel, meta.lines.get("tags")) for t in meta.tags]
        authors = tuple(names.author(a) for a in (meta.authors or (config.default_author,)))
        # A slug the author gave is kept whole; one made from a headline is cut at MAX_SLUG.
        slug = (
            slugify(meta.slug, fallback=meta.title, max_length=MAX_GIVEN_SLUG)
            if meta.slug
            else slugify(meta.title, fallback=doc.source.path.stem)
        )
        url = article_url(config.article_permalink, category.slug, slug, meta.date.astimezone(config.tz))
        summary = meta.summary or cut_summary(rendered.first_paragraph)
        if rendered.body.blank:
            warnings.append(
                BuildWarning(
                    "the article has no body text",
                    doc.source.rel,
                    doc.body_line,
                    "write the story below the closing '---'",
                )
            )
        articles.append(
            Article(
                source=doc.source.rel,
                title=meta.title,
                slug=slug,
                url=url,
                date=meta.date,
                authors=authors,
                category=category,
                tags=tuple(names.tag(t) for t in meta.tags),
                summary=summary,
                body=rendered.body,
                toc=rendered.toc,
                words=rendered.words,
                reading_minutes=reading_minutes(rendered.words, config.words_per_minute),
                updated=meta.updated,
                expires=meta.expires,
                image=meta.image,
                image_alt=meta.image_alt,
                image_caption=meta.image_caption,
                source_name=meta.source,
                source_url=meta.source_url,
                draft=meta.draft,
                featured=rules.featured(doc, config.featured_days),
                pinned=meta.related,
                aliases=meta.aliases,
                corrections=meta.notices.corrections,
                live=live_updates(meta.notices.live, config.sanitize, doc.source.rel, errors),
                live_ended=meta.notices.live_ended,
                extra=MappingProxyType(dict(meta.extra)),
                digest=doc.digest,
                dated_only=meta.dated_only,
            )
        )
    warnings += unknown_category_warnings(used_categories, [(c.name, c.slug) for c in config.categories], from_folder)
    warnings += author_warnings(used_authors, [(a.slug, a.name) for a in config.authors])
    warnings += tag_warnings(used_tags)
    # Newest first; the URL breaks ties so the order never depends on the file system.
    articles.sort(key=lambda a: (-a.date.timestamp(), a.url))
    by_category: dict[str, list[Article]] = defaultdict(list)
    by_tag: dict[str, list[Article]] = defaultdict(list)
    by_author: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_category[a.category.slug].append(a)
        for t in a.tags:
            by_tag[t.slug].append(a)
        for au in a.authors:
            by_author[au.slug].append(a)
    slugs = {a.slug for a in articles}.union(known_slugs)
    for a in articles:
        for pin in a.pinned:
            if pin not in slugs:
                warnings.append(
                    BuildWarning(
                        f"related: no published article has the slug '{pin}'",
                        a.source,
                        None,
                        "check the slug in the other article's URL",
                    )
                )
    # Configured categories keep site.yml's order; a site without any lists what its content uses.
    categories = [c for c in names.categories.values() if c.in_nav or c.slug in by_category]
    if not config.categories:
        categories.sort(key=lambda c: c.name.casefold())
    site = Site(
        config=config,
        now=rules.now,
        preview=rules.preview,
        articles=tuple(articles),
        pages=tuple(sorted(pages, key=lambda p: p.url)),
        categories=tuple(categories),
        tags=tuple(sorted(names.tags.values(), key=lambda t: t.slug)),
        authors=tuple(sorted((a for a in names.authors.values() if a.slug in by_author), key=lambda a: a.slug)),
        by_category=MappingProxyType({k: tuple(v) for k, v in by_category.items()}),
        by_tag=MappingProxyType({k: tuple(v) for k, v in by_tag.items()}),
        by_author=MappingProxyType({k: tuple(v) for k, v in by_author.items()}),
    )
    return site, errors, warnings
