"""``broadsheet new``: start an article file with a complete front matter template."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from .config import SiteConfig
from .errors import UsageError
from .urls import slugify


def yaml_quote(text: str) -> str:
    """Quote a string for YAML so any headline survives (colons, quotes, 'no')."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_article(
    config: SiteConfig, title: str, category: str | None, author: str | None, now: datetime | None = None
) -> Path:
    """Write ``content/<category-slug>/<slug>.md`` as a draft and return its path; never overwrite."""
    if not title.strip():
        raise UsageError("the title is empty", None, None, 'write: broadsheet new "Headline"')
    cat_name = category or (config.categories[0].name if config.categories else "News")
    cat_slug = next(
        (c.slug for c in config.categories if c.name.casefold() == cat_name.casefold() or c.slug == cat_name),
        slugify(cat_name),
    )
    slug = slugify(title)
    path = config.content_dir / cat_slug / f"{slug}.md"
    if path.exists():
        raise UsageError(f"{path} already exists", str(path), None, "choose another title or edit that file")
    when = (now or datetime.now(UTC)).astimezone(config.tz).replace(microsecond=0, tzinfo=None)
    lines = [
        "---",
        f"title: {yaml_quote(title.strip())}",
        # The URL is fixed once written: a later edit to the headline keeps the story's address.
        f"slug: {slug}",
        f"date: {when.isoformat()}",
        f"author: {yaml_quote(author or config.default_author)}",
        f"category: {yaml_quote(cat_name)}",
        "tags: []",
        'summary: ""',
        "# image: /images/photo.jpg",
        '# image_alt: ""',
        '# image_caption: ""',
        "# source: VOA",
        "# source_url: https://",
        "featured: false",
        f"# featured_until: {(when + timedelta(days=config.featured_days)).date().isoformat()}",
        "draft: true",
        "---",
        "",
        "Write the lede here: who, what, where, when.",
        "",
        "## A subheading",
        "",
        "> “A quote from someone in the story,” said a spokesperson.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": refuse to overwrite, even in a race
        f.write("\n".join(lines))
    return path
