"""Shortcuts for Python-Markdown's block stage: block tests that cannot succeed are not run.

The stock block parser offers every block (most are plain paragraphs) to each block processor in
turn, and several processors answer by searching the whole block with a regular expression that
starts ``(^|\\n)``: the regex engine tries it at every character, and these searches took most
of the parser's time. Each subclass here first checks, with plain string operations, for what its
regular expression cannot match without (a ``#`` at the start of a line for hash headers, ``[^``
for footnote definitions…) and only then runs the stock test; a block without it gets the stock
answer, False, at once. Output is the same, byte for byte (tests compare it with the stock parser's).

``install`` swaps a subclass in only where the processor's regular expression is exactly the one
its shortcut was derived from, so a Markdown release that changes one keeps the stock test there.
It also swaps in ``SkippingBlockParser``, which takes the sorted list of processors once per
document rather than once per block, and shortcuts for the preprocessors that prepare the
parser's text, which skip work a document gives them none of (no fence, no HTML, no blank
line holding spaces).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import Element, ElementTree

import markdown as _markdown
from markdown import util
from markdown.blockparser import BlockParser
from markdown.blockprocessors import (
    BlockProcessor,
    BlockQuoteProcessor,
    HashHeaderProcessor,
    HRProcessor,
    ReferenceProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions.abbr import AbbrBlockprocessor
from markdown.extensions.admonition import AdmonitionProcessor
from markdown.extensions.def_list import DefListProcessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.extensions.md_in_html import HtmlBlockPreprocessor
from markdown.extensions.tables import TableProcessor
from markdown.preprocessors import NormalizeWhitespace


def _line_starts(*marks: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What ``_some_line_may_start`` looks for: a line opening with one of ``marks`` or a space."""
    openings = (*marks, " ")
    return openings, tuple("\n" + opening for opening in openings)


def _some_line_may_start(block: str, starts: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
    """False when no line of ``block`` opens with one of the marks or with a space.

    The processors using it look for a mark after up to three spaces at the start of a line;
    a block none of whose lines opens with a mark or a space cannot hold one there.
    """
    openings, after_newline = starts
    if block.startswith(openings):
        return True
    if "\n" not in block:  # most paragraphs are a single line: one scan settles them
        return False
    return any(needle in block for needle in after_newline)


_QUOTE = _line_starts(">")
_DEFINITION = _line_starts(":")
_RULE = _line_starts("-", "_", "*")


class SkippingAdmonitionProcessor(AdmonitionProcessor):
    """``!!! type`` at the start of a line, or an indented block continuing an admonition."""

    def test(self, parent: Element, block: str) -> bool:
        """The stock test, unless the block can be neither (see below)."""
        # The stock test also accepts a block indented by a tab length that follows an
        # admonition (parse_content); it only looks for that sibling when the block is so
        # indented, and records nothing when it is not. current_sibling is set by a test that
        # succeeded and cleared by the run that follows: when set, the stock test must answer.
        if (
            self.current_sibling is None
            and not block.startswith(" " * self.tab_length)
            and not block.startswith("!!!")
            and "\n!!!" not in block
        ):
            return False
        return super().test(parent, block)


class SkippingHashHeaderProcessor(HashHeaderProcessor):
    """``#`` at the very start of a line (no indent: ``(?:^|\\n)#``)."""

    def test(self, parent: Element, block: str) -> bool:
        """The stock test, for blocks with a line starting with '#'."""
        return (block.startswith("#") or "\n#" in block) and super().test(parent, block)


class SkippingSetextHeaderProcessor(SetextHeaderProcessor):
    """A second line starting with '=' or '-' (the expression is matched at the block's start)."""

    def test(self, parent: Element, block: str) -> bool:
        """The stock test, for blocks whose second line starts with '=' or '-'."""
        newline = block.find("\n")
        return newline >= 0 and block[newline + 1 : newline + 2] in ("=", "-") and super().test(parent, block)


class SkippingHRProcessor(HRProcessor):
    """A line of three or more '-', '_' or '*' after up to three spaces."""

    def test(self, parent: Element, block: str) -> bool:
        """The stock test (which also stores the match for ``run``), for blocks that may hold a rule."""
        # Skipping leaves self.match as it was, like a stock test that fails.
        return _some_line_may_start(block, _RULE) and super().test(parent, block)


class SkippingBlockQuoteProcessor(BlockQuoteProcessor):
    """'>' at the start of a line after up to three spaces."""

    def test(self, parent: Element, block: str) -> bool:
        """The stock test, for blocks with a line that may start with '>'."""
        return _some_line_may_start(block, _QUOTE) and super().test(parent, block)


class SkippingDefListProcessor(DefListProcessor):
    """': ' at the start of a line after up to three spaces."""

    def test(self, parent: Element, block: str) -> bool:
        """The stock test, for blocks with a line that may start with ':'."""
        return _some_line_may_start(block, _DEFINITION) and super().test(parent, block)


class SkippingTableProcessor(TableProcessor):
    """A header row of two or more cells, or one cell with a border: either way a '|'."""

    def test(self, parent: Element, block: str) -> bool:
        """The stock test, for blocks holding a '|'."""
        # The stock test also sets self.border and self.separator; run reads them only right
        # after a test that succeeded and so set them afresh.
        return "|" in block and super().test(parent, block)


# The next three accept every block and look for their definition in run, which puts the block
# back and returns False when there is none: answering False in test instead changes nothing.


class SkippingFootnoteBlockProcessor(FootnoteBlockProcessor):
    """A footnote definition: ``[^id]:`` at the start of a line."""

    def test(self, parent: Element, block: str) -> bool:
        """True only for blocks holding '[^'."""
        return "[^" in block and super().test(parent, block)


class SkippingAbbrBlockprocessor(AbbrBlockprocessor):
    """An abbreviation definition: ``*[ABBR]: title`` at the start of a line."""

    def test(self, parent: Element, block: str) -> bool:
        """True only for blocks holding '*['."""
        return "*[" in block and super().test(parent, block)


class SkippingReferenceProcessor(ReferenceProcessor):
    """A link reference definition: ``[id]: url`` at the start of a line."""

    def test(self, parent: Element, block: str) -> bool:
        """True only for blocks holding ']:'."""
        return "]:" in block and super().test(parent, block)


#: Stock class → (its skipping subclass, the attribute holding the regular expression the
#: shortcut was derived from, that expression's text, or its texts in the releases Broadsheet
#: accepts). None: the shortcut reads no expression.
SKIPPING_BLOCK_PROCESSORS: dict[
    type[BlockProcessor], tuple[type[BlockProcessor], str, str | tuple[str, ...] | None]
] = {
    AdmonitionProcessor: (
        SkippingAdmonitionProcessor,
        "RE",
        r'(?:^|\n)!!! ?([\w\-]+(?: +[\w\-]+)*)(?: +"(.*?)")? *(?:\n|$)',
    ),
    HashHeaderProcessor: (
        SkippingHashHeaderProcessor,
        "RE",
        r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)",
    ),
    SetextHeaderProcessor: (SkippingSetextHeaderProcessor, "RE", r"^.*?\n(?:=+|-+)[ ]*(\n|$)"),
    HRProcessor: (
        SkippingHRProcessor,
        "SEARCH_RE",
        r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))"
        r"(?P=atomicgroup)[ ]*$",
    ),
    BlockQuoteProcessor: (SkippingBlockQuoteProcessor, "RE", r"(^|\n)[ ]{0,3}>[ ]?(.*)"),
    DefListProcessor: (SkippingDefListProcessor, "RE", r"(^|\n)[ ]{0,3}:[ ]{1,3}(.*?)(\n|$)"),
    TableProcessor: (SkippingTableProcessor, "RE_END_BORDER", None),
    FootnoteBlockProcessor: (SkippingFootnoteBlockProcessor, "RE", r"^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$"),
    AbbrBlockprocessor: (
        SkippingAbbrBlockprocessor,
        "RE",
        (
            r"^[*]\[(?P<abbr>[^\\]*?)\][ ]?:[ ]*\n?[ ]*(?P<title>.*)$",
            # 3.11.4: an abbreviation does not span lines (a match still holds "*[").
            r"^[*]\[(?P<abbr>[^\\\n]*?)\][ ]?:[ ]*\n?[ ]*(?P<title>.*)$",
        ),
    ),
    ReferenceProcessor: (
        SkippingReferenceProcessor,
        "RE",
        r"^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?"
        r'((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$',
    ),
}


def _shortcut_for(processor: BlockProcessor) -> type[BlockProcessor] | None:
    """The skipping subclass for a stock processor whose expression is the expected one, else None."""
    entry = SKIPPING_BLOCK_PROCESSORS.get(type(processor))
    if entry is None:
        return None
    subclass, attribute, expected = entry
    regex: Any = getattr(processor, attribute, None)
    pattern = getattr(regex, "pattern", None)
    if expected is not None and pattern not in ((expected,) if isinstance(expected, str) else expected):
        return None
    return subclass


class SkippingBlockParser(BlockParser):
    """The stock block parser, sorting its processors once per document instead of once per block.

    ``Registry.__iter__`` sorts and copies the registry each time; the stock ``parseBlocks``
    iterates it afresh for every block. Extensions register block processors only while they are
    loaded (``extendMarkdown``), never while a document is parsed, so one list serves the whole
    ``parseDocument`` call. Outside it (footnotes are parsed later, from a tree processor) the
    stock loop runs.
    """

    _processors: list[BlockProcessor] | None = None

    def parseDocument(self, lines: Iterable[str]) -> ElementTree:
        """Parse a document with the processors, in order, taken from the registry once."""
        self._processors = list(self.blockprocessors)
        try:
            return super().parseDocument(lines)
        finally:
            self._processors = None

    def parseBlocks(self, parent: Element, blocks: list[str]) -> None:
        """The stock loop (see ``BlockParser.parseBlocks``) over the list taken in parseDocument."""
        processors = self._processors
        if processors is None:
            super().parseBlocks(parent, blocks)
            return
        while blocks:
            for processor in processors:
                # run returns False when it declines the block after all: the next processor is tried.
                if processor.test(parent, blocks[0]) and processor.run(parent, blocks) is not False:
                    break


#: How FencedBlockPreprocessor.FENCED_BLOCK_RE starts, which the shortcut relies on: every match
#: opens with three '`' or '~'.
FENCE_OPENING = r"(?P<fence>^(?:~{3,}|`{3,}))"


class SkippingFencedBlockPreprocessor(FencedBlockPreprocessor):
    """Fenced code blocks, skipping documents with no opening fence (three '`' or '~')."""

    def run(self, lines: list[str]) -> list[str]:
        """The stock run, or the lines unchanged when no fence can match."""
        text = "\n".join(lines)
        # Without a fence the stock run finds nothing and returns text.split("\n"): the same lines,
        # provided none holds a newline itself. (It would also look the code-highlighting
        # extension up on its first run; it does so on the first document that has a fence.)
        if "```" in text or "~~~" in text or text.count("\n") != len(lines) - 1:
            return super().run(lines)
        return lines


class SkippingNormalizeWhitespace(NormalizeWhitespace):
    """Whitespace normalised as by the stock preprocessor, without searching for blank lines of spaces."""

    def run(self, lines: list[str]) -> list[str]:
        """The stock run (``NormalizeWhitespace.run`` in 3.11), searching only where there can be a match."""
        source = "\n".join(lines)
        source = source.replace(util.STX, "").replace(util.ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(self.md.tab_length)
        # The stock search for lines of spaces tries a look-behind at every character; each match
        # holds a space and then a newline.
        if " \n" in source:
            source = re.sub(r"(?<=\n) +\n", "\n", source)
        return source.split("\n")


class SkippingHtmlBlockPreprocessor(HtmlBlockPreprocessor):
    """Raw HTML blocks stashed (md_in_html), skipping documents with neither '<' nor '&'."""

    def run(self, lines: list[str]) -> list[str]:
        """The stock run, or the lines unchanged when the HTML parser could only see text."""
        text = "\n".join(lines)
        # The HTML parser acts on '<' (tags, comments…) and '&' (character references, which it
        # rewrites); in text with neither it passes everything to handle_data, which the stock
        # run joins and splits again: the same lines, provided none holds a newline itself.
        if "<" in text or "&" in text or text.count("\n") != len(lines) - 1:
            return super().run(lines)
        return lines


def install(md: _markdown.Markdown) -> None:
    """Swap the skipping block parser, processors and preprocessor into a Markdown instance (same output, faster)."""
    if type(md.parser) is BlockParser:
        md.parser.__class__ = SkippingBlockParser
    for processor in md.parser.blockprocessors:
        subclass = _shortcut_for(processor)
        if subclass is not None:
            processor.__class__ = subclass
    for preprocessor in md.preprocessors:
        if type(preprocessor) is FencedBlockPreprocessor and preprocessor.FENCED_BLOCK_RE.pattern.lstrip().startswith(
            FENCE_OPENING
        ):
            preprocessor.__class__ = SkippingFencedBlockPreprocessor
        elif type(preprocessor) is NormalizeWhitespace:
            preprocessor.__class__ = SkippingNormalizeWhitespace
        elif type(preprocessor) is HtmlBlockPreprocessor:
            preprocessor.__class__ = SkippingHtmlBlockPreprocessor
