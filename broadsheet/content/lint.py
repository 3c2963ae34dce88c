"""Mistakes that build without an error but publish something wrong: each told with ``path:line``.

Two kinds of checks live here, so that every rule about "what looks like a slip" is in one place:

- in one article's source (``body_warnings``): an HTML block or code fence left open, which makes
  Markdown print the rest of the story as raw text, and template code from other tools (Jinja,
  Liquid, Hugo shortcodes) that Broadsheet does not run and would print as it is;
- across the site (``name_warnings``): a category folder not in site.yml, an author name close to a
  known one, two tags that differ by a letter. Each comes with a did-you-mean.

Link targets (``locate_links``) are found back in the sources, so a broken link or missing picture
is reported on the line that holds it rather than on a page that only shows it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildWarning
from ..urls import slugify

#: Warnings of one kind told per file before the rest is counted (a pasted page can hold hundreds).
PER_FILE = 3

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
#: An HTML comment on one line: never shown, so template code inside it (an import's record of
#: what it could not convert) is not printed either.
_COMMENT = re.compile(r"<!--.*?-->")
#: Block-level elements Python-Markdown reads as a raw HTML block up to their closing tag.
_BLOCK_TAGS = (
    "address|article|aside|blockquote|details|dialog|div|dl|fieldset|figcaption|figure|footer|form|"
    "header|hgroup|main|nav|ol|section|table|ul|video|audio|iframe|center"
)
_TAG = re.compile(rf"<(/?)({_BLOCK_TAGS})\b[^>]*?(/?)>", re.IGNORECASE)
#: Template code of other tools, shown as text if left in. ``{{< name >}}`` is not among them: it is
#: Broadsheet's own shortcode syntax, and content/shortcodes.py reports an unknown name as an error.
_TEMPLATE = re.compile(
    r"\{\{%.*?%\}\}"  # Hugo shortcode with Markdown inside {{% note %}}
    r"|\{%-?\s*[A-Za-z_][\w-]*.*?-?%\}"  # Jinja / Liquid / Eleventy tag {% image "a.jpg" %}
    r"|\{\{-?\s*[A-Za-z_][\w.]*\s*(?:\|[^{}]*)?-?\}\}"  # a variable or filter {{ page.title | upcase }}
)


def body_warnings(body: str, rel: str, body_line: int) -> list[BuildWarning]:
    """Warn about an unclosed HTML block or code fence and about other tools' template code.

    ``body_line`` is the file line where the body starts, so each warning names the line in the file.
    """
    warnings: list[BuildWarning] = []
    fence: tuple[str, int] | None = None  # the open fence's marker and line
    open_tags: list[tuple[str, int]] = []
    templates: list[tuple[int, str]] = []
    for number, line in enumerate(body.split("\n"), start=body_line):
        marker = _FENCE.match(line)
        if fence is not None:
            closes = marker and marker.group(1)[0] == fence[0][0] and len(marker.group(1)) >= len(fence[0])
            if closes and not line.strip().strip(fence[0][0]):
                fence = None
            continue
        if marker:
            fence = (marker.group(1), number)
            continue
        if line.startswith(("    ", "\t")) and not open_tags:
            continue  # an indented code block
        text = _COMMENT.sub("", _INLINE_CODE.sub("", line))
        for closing, name, self_closing in _TAG.findall(text):
            name = name.lower()
            if self_closing:
                continue
            if not closing:
                open_tags.append((name, number))
            else:
                # Close the innermost open tag of that name; a stray closing tag is harmless here.
                for i in range(len(open_tags) - 1, -1, -1):
                    if open_tags[i][0] == name:
                        del open_tags[i:]
                        break
        templates += [(number, m.group(0)) for m in _TEMPLATE.finditer(text)]
    if fence is not None:
        warnings.append(
            BuildWarning(
                f"code fence '{fence[0]}' opened here is never closed: the rest of the article is shown as code",
                rel,
                fence[1],
                f"close it with a line '{fence[0]}' after the code",
            )
        )
    for name, number in open_tags[:1]:  # the outermost: the ones inside it follow from it
        warnings.append(
            BuildWarning(
                f"HTML block <{name}> opened here is never closed: Markdown after it is shown as raw text",
                rel,
                number,
                f"add </{name}> after the block, on a line of its own followed by a blank line",
            )
        )
    for number, code in templates[:PER_FILE]:
        warnings.append(
            BuildWarning(
                f"template code from another tool is shown as text: {code[:60]}",
                rel,
                number,
                "Broadsheet runs no template code in articles: write plain Markdown or HTML (an image is "
                "![alt](/images/photo.jpg)); to show such code, put it in `backticks`",
            )
        )
    if len(templates) > PER_FILE:
        warnings.append(
            BuildWarning(
                f"{len(templates) - PER_FILE} more lines hold template code from another tool",
                rel,
                templates[PER_FILE][0],
                "see the warnings above",
            )
        )
    return warnings


@dataclass(frozen=True, slots=True)
class Named:
    """A name as an article gave it: where, and whether it came from the folder."""

    name: str
    rel: str
    line: int | None


def _close(name: str, known: Sequence[str], cutoff: float = 0.8) -> str | None:
    """The known name ``name`` is a likely typo of (by slug), or None."""
    found = difflib.get_close_matches(slugify(name), [slugify(k) for k in known], n=1, cutoff=cutoff)
    if not found:
        return None
    return next(k for k in known if slugify(k) == found[0])


def unknown_category_warnings(
    used: Iterable[Named], configured: Sequence[tuple[str, str]], from_folder: Mapping[str, bool]
) -> list[BuildWarning]:
    """Warn once per category that site.yml does not list, at its first use, with a did-you-mean.

    ``configured`` holds (name, slug) pairs; ``from_folder`` tells whether a name came from the
    article's folder (the fix is then to move the file) or from ``category:`` in the front matter.
    """
    if not configured:
        return []  # a site without a categories list takes them from its folders
    known = {slug for _, slug in configured} | {name.casefold() for name, _ in configured}
    candidates = [name for name, _ in configured] + [slug for _, slug in configured]
    seen: dict[str, tuple[Named, int]] = {}
    for item in used:
        key = slugify(item.name)
        if key in known or item.name.casefold() in known:
            continue
        first, count = seen.get(key, (item, 0))
        seen[key] = (first, count + 1)
    warnings = []
    for _, (item, count) in sorted(seen.items()):
        guess = _close(item.name, candidates, cutoff=0.6)
        folder = from_folder.get(item.rel, False)
        where = f"the folder content/{item.name}/" if folder else f"category '{item.name}'"
        also = f" (and {count - 1} more articles)" if count > 1 else ""
        if guess:
            slug = slugify(guess)
            hint = f"did you mean '{guess}'? " + (
                f"move the file to content/{slug}/" if folder else f"write category: {guess}"
            )
        else:
            hint = "add it to 'categories' in site.yml to put it in the navigation, or use a listed category"
        warnings.append(
            BuildWarning(
                f"{where} is not one of site.yml's categories: it makes a new section{also}",
                item.rel,
                item.line or 1,
                hint,
            )
        )
    return warnings


def author_warnings(used: Iterable[Named], known: Sequence[tuple[str, str]]) -> list[BuildWarning]:
    """Warn about a byline close to, but not, an author in site.yml (by slug or name)."""
    slugs = [slug for slug, _ in known]
    names = [name for _, name in known]
    exact = {s.casefold() for s in slugs} | {n.casefold() for n in names} | {slugify(n) for n in names}
    warnings = []
    told: set[tuple[str, str]] = set()
    guesses: dict[str, str | None] = {}  # a byline is compared with the known ones once, however often used
    for item in used:
        if item.name not in guesses:
            exactly = item.name.casefold() in exact or slugify(item.name) in exact
            guesses[item.name] = None if exactly else (_close(item.name, slugs) or _close(item.name, names))
        guess = guesses[item.name]
        if guess is None or (item.rel, item.name) in told:
            continue
        told.add((item.rel, item.name))
        slug = next((s for s, n in known if guess in (s, n)), guess)
        warnings.append(
            BuildWarning(
                f"author '{item.name}' is not in site.yml's authors: it makes a new author page",
                item.rel,
                item.line or 1,
                f"did you mean '{slug}'? write author: {slug}, or add '{slugify(item.name)}' to authors in site.yml",
            )
        )
    return warnings


#: Tags shorter than this are not compared (UK and US, Mali and Bali are different places).
SHORTEST_TAG = 5


def _deletions(slug: str) -> set[str]:
    """Each way of dropping one letter of the slug (not a digit: "route-6" and "route-66" differ)."""
    return {slug[:i] + slug[i + 1 :] for i in range(len(slug)) if slug[i].isalpha()}


def _swaps(slug: str) -> set[str]:
    """Each way of swapping two neighbouring letters of the slug."""
    return {
        slug[:i] + slug[i + 1] + slug[i] + slug[i + 2 :]
        for i in range(len(slug) - 1)
        if slug[i].isalpha() and slug[i + 1].isalpha() and slug[i] != slug[i + 1]
    }


def tag_warnings(used: Iterable[Named]) -> list[BuildWarning]:
    """Warn about a tag one slip away from a more used one: a letter added or dropped ("Flods" beside
    "Floods", "Flood" beside "Floods"), or two letters swapped ("Harbuor").

    A letter changed is not counted: real words differ so (Police, Policy). Tags are looked up in an
    index of their forms, which is linear in their number, where comparing every pair would take
    seconds on a site with thousands of tags.
    """
    uses: dict[str, list[Named]] = {}
    for item in used:
        uses.setdefault(slugify(item.name), []).append(item)
    by_count = sorted(uses, key=lambda s: (-len(uses[s]), s))
    kept: set[str] = set()  # tags seen so far, the most used first
    shorter: dict[str, str] = {}  # a kept tag with one letter dropped → that tag
    warnings = []
    for slug in by_count:
        if len(slug) < SHORTEST_TAG:
            continue
        near = (_deletions(slug) | _swaps(slug)) & kept
        if slug in shorter:
            near.add(shorter[slug])
        kept.add(slug)
        for form in _deletions(slug):
            shorter.setdefault(form, slug)
        if not near:
            continue
        main = min(near, key=lambda s: (-len(uses[s]), s))
        name = uses[main][0].name
        count = len(uses[main])
        for item in uses[slug]:
            warnings.append(
                BuildWarning(
                    f"tag '{item.name}' is nearly the same as '{name}', used by {count} "
                    f"article{'s' if count > 1 else ''}: two tag pages would split the story",
                    item.rel,
                    item.line or 1,
                    f"did you mean '{name}'?",
                )
            )
    return warnings


def locate_links(links: Iterable[str], sources: Iterable[tuple[str, Path]]) -> dict[str, list[tuple[str, int]]]:
    """Find where each link is written in the sources: link → [(source, line), ...], in source order.

    Read only when a link is broken (rare), so each source is read once here, not kept by the build.
    """
    wanted = {link for link in links if link}
    found: dict[str, list[tuple[str, int]]] = {}
    if not wanted:
        return found
    for rel, path in sources:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for link in wanted:
            start = text.find(link)
            while start != -1:
                end = start + len(link)
                # The whole link, not a prefix of a longer one (/images/a.jpg in /images/a.jpg.bak).
                if end == len(text) or text[end] in " \t\n\"')>]":
                    found.setdefault(link, []).append((rel, text.count("\n", 0, start) + 1))
                start = text.find(link, end)
    return found
