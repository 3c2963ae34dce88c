"""Python-Markdown's inline stage, skipping patterns that cannot match a text (same output, faster).

Reaches into Python-Markdown's internals (the name-mangled ``InlineProcessor.__handleInline``
loop, processors' classes swapped in place): used only on the releases listed in
:data:`TESTED_ON`, where the tests compare its output with the stock processors', byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import markdown as _markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor as NewStylePattern
from markdown.inlinepatterns import LinkInlineProcessor, Pattern
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

from . import markdown_blocks

#: For each inline pattern (by its regular expression): text it cannot match without. A match
#: always consumes one of these strings, so a text holding none of them is skipped without
#: running the pattern. Patterns not listed here are always run.
INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    # Python-Markdown's own inline patterns.
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": ("`",),
    r"\\(.)": ("\\",),
    r"\[\^([^\]]*)\]": ("[^",),
    r"(?<!\!)\[": ("[",),
    r"\!\[": ("![",),
    r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>": ("<",),
    r"<([^<> !]+@[^@<> ]+)>": ("<",),
    r"  \n": ("  \n",),
    r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)": ("&",),
    r"\*|_": ("*", "_"),
    # smarty: dashes, ellipses and quotes.
    r"(?<!-)---(?!-)": ("---",),
    r"(?<!-)--(?!-)": ("--",),
    r"(?<!\.)\.{3}(?!\.)": ("...",),
}
# smarty's quote patterns, built from its own pieces so the text matches the version installed.
_PUNCT = r"""[!"#\$\%'()*+,-.\/:;<=>?\@\[\\\]\^_`{|}~]"""
_OPEN = r"(\s|&nbsp;|--|–|—|&[mn]dash;|&#8211;|&#8212;)"
_CLOSE = r"[^\ \t\r\n\[\{\(\-\u0002\u0003]"
for _pattern, _needs in {
    rf"^'(?={_PUNCT}\B)": ("'",),
    rf'^"(?={_PUNCT}\B)': ('"',),
    "\"'(?=\\w)": ('"',),
    "'\"(?=\\w)": ("'",),
    f"(?<={_CLOSE})" + "\\'\"": ("'",),
    f"(?<={_CLOSE})" + "\\\"'": ('"',),
    r"(?<!\w)'(?=\d{2}s)": ("'",),
    rf"{_OPEN}'(?=\w)": ("'",),
    rf"(?<={_CLOSE})'(?!\s|s\b|\d)": ("'",),
    r"'(\s|s\b)": ("'",),
    "'": ("'",),
    rf'{_OPEN}"(?=\w)': ('"',),
    r'"(?=\s)': ('"',),
    rf'(?<={_CLOSE})"': ('"',),
    '"': ('"',),
}.items():
    INLINE_TRIGGERS[_pattern] = _needs


#: For each inline pattern (by its regular expression) that the regex engine searches slowly,
#: trying it at every character because it starts with a look-behind or an alternation: the
#: strings every match starts with. The search is started at the first of them instead, where
#: the stock search, begun further left, finds its first match too (a look-behind still sees
#: the text before where a search starts). Anchored and literal-led patterns are fast already.
#: Used for new-style patterns (``markdown.inlinepatterns.InlineProcessor``) only.
INLINE_LEADS: dict[str, tuple[str, ...]] = {
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": ("\\\\", "`"),
    r"(?<!\!)\[": ("[",),
    r"\*|_": ("*", "_"),
    r"(?<!-)---(?!-)": ("---",),
    r"(?<!-)--(?!-)": ("--",),
    r"(?<!\.)\.{3}(?!\.)": ("...",),
    f"(?<={_CLOSE})" + "\\'\"": ("'\"",),
    f"(?<={_CLOSE})" + "\\\"'": ("\"'",),
    r"(?<!\w)'(?=\d{2}s)": ("'",),
    rf"(?<={_CLOSE})'(?!\s|s\b|\d)": ("'",),
    rf'(?<={_CLOSE})"': ('"',),
}


def _first_of(data: str, leads: tuple[str, ...], start: int) -> int:
    """Where the first of ``leads`` occurs in ``data`` from ``start`` on, or -1."""
    if len(leads) == 1:
        return data.find(leads[0], start)
    found = [i for i in (data.find(lead, start) for lead in leads) if i >= 0]
    return min(found) if found else -1


def _triggers(pattern: str) -> tuple[str, ...] | None:
    """What a pattern needs in the text to match, or None when unknown (always run it)."""
    if pattern in INLINE_TRIGGERS:
        return INLINE_TRIGGERS[pattern]
    if pattern.startswith("(<(") and pattern.endswith(")>)"):  # raw inline HTML: starts with '<'
        return ("<",)
    return None


class SkippingInlineProcessor(InlineProcessor):
    """Python-Markdown's inline processor, skipping patterns that cannot match a text.

    The stock processor runs every inline pattern (about 30 with ``smarty``) over every text
    node; most find nothing. A pattern whose every match consumes one of a few strings
    (``INLINE_TRIGGERS``) cannot match a text holding none of them, so it is skipped: the
    output is the same, byte for byte (tests compare it with the stock processor's).
    """

    _patterns: list[Pattern]
    _needs: list[tuple[str, ...] | None]
    _leads: list[tuple[str, ...] | None]
    _triggers: tuple[str, ...]
    _plans: dict[frozenset[str], tuple[int, ...]]

    def run(self, tree: Any, ancestors: list[str] | None = None) -> Any:
        """Process the tree, knowing first what each pattern needs."""
        patterns: list[Pattern] = list(self.inlinePatterns)  # type: ignore[arg-type]  # the stubs name the wrong class
        # The same pattern objects as last time have the same expressions (a pattern compiles
        # its expression once, when it is built): what they need is known already.
        if patterns != getattr(self, "_patterns", None):
            expressions = [p.getCompiledRegExp().pattern for p in patterns]
            self._patterns = patterns
            self._needs = [_triggers(expression) for expression in expressions]
            # Only new-style patterns search from where they are asked to; a legacy one matches
            # the whole rest of the text, so where it starts changes what it captures.
            self._leads = [
                INLINE_LEADS.get(expression) if isinstance(p, NewStylePattern) else None
                for p, expression in zip(patterns, expressions, strict=True)
            ]
            self._triggers = tuple(sorted({s for need in self._needs if need for s in need}))
            self._plans = {}
        return super().run(tree, ancestors)

    def _plan(self, present: frozenset[str]) -> tuple[int, ...]:
        """The patterns that may match a text holding the trigger strings ``present``, in order."""
        plan = self._plans.get(present)
        if plan is None:
            plan = self._plans[present] = tuple(
                i for i, need in enumerate(self._needs) if need is None or not present.isdisjoint(need)
            )
        return plan

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        """The stock loop (see ``InlineProcessor.__handleInline``), over only the patterns that may match.

        Which trigger strings a text holds is looked up once: matches replace text with
        placeholders (letters, digits and control characters), so a string absent at the
        start stays absent, and a pattern skipped for it would have found nothing. A pattern
        with leads (``INLINE_LEADS``) is searched from the first of them; with none left in the
        text it finds nothing, and is not run.
        """
        if isinstance(data, AtomicString):
            return data
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        patterns = self._patterns  # the registry, as taken by run
        leads = self._leads
        plan = self._plan(frozenset([s for s in self._triggers if s in data]))
        for index in plan:
            if index < patternIndex:
                continue
            pattern = patterns[index]
            lead = leads[index]
            start = 0
            matched = True
            while matched:
                if lead is not None and (start := _first_of(data, lead, start)) < 0:
                    break
                data, matched, start = apply(pattern, data, index, start)
        return data


#: Python-Markdown releases whose inline loop SkippingInlineProcessor and whose block parser and
#: processors markdown_blocks mirrors (tests compare outputs). Any other release runs the stock
#: ones: slower, never different.
TESTED_ON = ("3.11.",)
SKIPPING_TESTED_ON = TESTED_ON


class SkippingMarkdown(_markdown.Markdown):
    """Python-Markdown, looking block-level tags up in a set while it converts.

    ``is_block_level`` searches the list ``block_level_elements`` (about 60 tags) for each
    element it is asked about, by the prettify and attr_list tree processors and the HTML
    extractor. Extensions add to the list when they are loaded, never during a conversion, so a
    set taken as each conversion starts gives the same answers. Outside a conversion, or when
    the list holds something a set cannot, the stock lookup runs.
    """

    _block_level: frozenset[object] | None = None

    def convert(self, source: str) -> str:
        """Convert, with the block-level tags in a set for the duration."""
        try:
            self._block_level = frozenset(self.block_level_elements)
        except TypeError:  # an unhashable entry: keep the stock lookup
            self._block_level = None
        try:
            return super().convert(source)
        finally:
            self._block_level = None

    def is_block_level(self, tag: Any) -> bool:
        """The stock answer (see ``Markdown.is_block_level``), from the set when there is one."""
        block_level = self._block_level
        if block_level is None:
            return super().is_block_level(tag)
        return isinstance(tag, str) and tag.lower().rstrip("/") in block_level


_BRACKET = re.compile(r"[\[\]]")


def bracket_text(data: str, index: int) -> tuple[str, int, bool]:
    """``LinkInlineProcessor.getText``: the text from ``index`` (just past a link's ``[``) to the
    ``]`` that closes it, the index just past that ``]``, and whether there is one.

    The stock method (3.11.4) finds, at each text it is given, the closing bracket of every
    index of the text, in a Python loop over each character: a paragraph of ten links was read
    ten times over (a third of the Markdown time of a news article). This one reads from
    ``index`` to the closing bracket, from bracket to bracket; a text whose brackets never close
    is read to its end from each ``[`` (their number per paragraph is bounded before converting:
    see content/markdown.py's check_complexity).
    """
    depth = 0
    for match in _BRACKET.finditer(data, index):
        if match.group() == "[":
            depth += 1
        elif depth:
            depth -= 1
        else:
            end = match.end()
            return data[index : end - 1], end, True
    return data[index:], len(data), False


def _install_bracket_text(md: _markdown.Markdown) -> None:
    """Give each link, image and reference pattern :func:`bracket_text` (a pattern whose class has
    a reading of its own keeps it)."""
    for pattern in md.inlinePatterns:
        if isinstance(pattern, LinkInlineProcessor) and type(pattern).getText is LinkInlineProcessor.getText:
            pattern.getText = bracket_text  # type: ignore[method-assign]


def tested() -> bool:
    """Whether the installed Python-Markdown is a release these speed-ups were tested on."""
    return _markdown.__version__.startswith(TESTED_ON)


def converter(extensions: Sequence[str | Extension], configs: dict[str, dict[str, Any]]) -> _markdown.Markdown:
    """A Markdown instance with the skipping inline and block stages swapped in."""
    md = SkippingMarkdown(extensions=extensions, extension_configs=configs, output_format="html")
    for name in ("inline", "smarty"):
        if name in md.treeprocessors and type(md.treeprocessors[name]) is InlineProcessor:
            md.treeprocessors[name].__class__ = SkippingInlineProcessor
    markdown_blocks.install(md)
    _install_bracket_text(md)
    return md
