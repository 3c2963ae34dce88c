"""The block-stage shortcuts (broadsheet.speedups.markdown_blocks) give exactly the stock parser's output."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

import markdown as _markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor

from broadsheet.content import markdown as bm
from broadsheet.speedups.markdown_blocks import (
    SKIPPING_BLOCK_PROCESSORS,
    SkippingBlockParser,
    SkippingFencedBlockPreprocessor,
    SkippingHtmlBlockPreprocessor,
    SkippingNormalizeWhitespace,
    _shortcut_for,
)

FAST = bm.new_converter()
STOCK = bm.new_converter(skip_patterns=False)


def _convert(md: _markdown.Markdown, text: str) -> tuple[str, str]:
    md.reset()
    return md.convert(text), str(getattr(md, "toc", ""))


def _same(text: str) -> None:
    assert _convert(FAST, text) == _convert(STOCK, text), text


def test_every_shortcut_is_installed() -> None:
    # A Markdown release that changes one of the expressions shows up here: that processor keeps
    # its stock test (still correct, only slower).
    assert type(FAST.parser) is SkippingBlockParser
    assert type(STOCK.parser) is BlockParser
    fast = {type(p) for p in FAST.parser.blockprocessors}
    stock = {type(p) for p in STOCK.parser.blockprocessors}
    for stock_class, (subclass, _attribute, _expected) in SKIPPING_BLOCK_PROCESSORS.items():
        assert stock_class in stock
        assert subclass in fast, stock_class
    assert type(FAST.preprocessors["fenced_code_block"]) is SkippingFencedBlockPreprocessor
    assert type(FAST.preprocessors["normalize_whitespace"]) is SkippingNormalizeWhitespace
    assert type(FAST.preprocessors["html_block"]) is SkippingHtmlBlockPreprocessor


PREPROCESSED = [
    [],
    [""],
    ["a", "b"],
    ["a\nb"],
    ["```", "x", "```"],
    ["~~~", "y", "~~~"],
    ["``", "`"],
    ["a\n```", "x", "```"],
    ["a ", "   ", "b", "\t", "c\t", "  "],
    ["x\r\ny\rz"],
    ["a \x02", "\x03b"],
    ["a <b>b</b>", "<div>", "x", "</div>"],
    ["AT&T", "&#65 x", "&amp;", "&copy"],
    ["a\n<", "b"],
    ["<!-- c -->"],
    ["1 > 2", "a & b"],
    [" ", "  ", " "],
    ["a", " ", "b"],
]


@pytest.mark.parametrize("name", ["normalize_whitespace", "fenced_code_block", "html_block"])
@pytest.mark.parametrize("lines", PREPROCESSED)
def test_preprocessors_return_the_stock_lines(name: str, lines: list[str]) -> None:
    FAST.reset()
    STOCK.reset()
    assert FAST.preprocessors[name].run(list(lines)) == STOCK.preprocessors[name].run(list(lines))
    assert FAST.htmlStash.rawHtmlBlocks == STOCK.htmlStash.rawHtmlBlocks


def test_a_changed_expression_keeps_the_stock_test() -> None:
    md = bm.new_converter(skip_patterns=False)
    processor = md.parser.blockprocessors["hashheader"]
    assert _shortcut_for(processor) is not None
    processor.RE = re.compile(r"(?:^|\n)(?P<level>=)(?P<header>.*)")  # type: ignore[misc]  # a release with other syntax
    assert _shortcut_for(processor) is None


def test_other_markdown_releases_get_the_stock_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_markdown, "__version__", "3.12.0")
    md = bm.new_converter()
    assert type(md.parser) is BlockParser
    assert not any(
        type(p) in {s for s, _a, _e in SKIPPING_BLOCK_PROCESSORS.values()} for p in md.parser.blockprocessors
    )
    assert not any(type(p).__module__ == "broadsheet.speedups.markdown_blocks" for p in md.preprocessors)


TRICKY = {
    "hash headers": "# One\n## Two ##\n###### Six\n####### Seven\n#NoSpace\ntext\n# After text\n\\# escaped",
    "hash header mid-block": "para line\n## Heading inside\nmore",
    "setext": "Title\n=====\n\nSub\n---\n\nNot\n  ===\n\nTwo lines\nof text\n---",
    "setext vs hr": "Text\n- - -\n\nText\n***\n\n---\ntext",
    "hr variants": "***\n\n- - -\n\n___\n\n * * *\n\n   ---\n\n    ---\n\n-- -\n\n_ _ _ _\n\n**\n\n--",
    "hr inside a paragraph": "before\n***\nafter\n\nbefore\n___",
    "blockquotes": "> one\n> two\n\n> > nested\n> back\n\n>no space\n\n   > three spaces\n\n    > four spaces",
    "blockquote lazy": "> quote\ncontinued lazily\n\ntext > not a quote",
    "quote after text": "text first\n> then quote",
    "definition lists": (
        "Term\n: Definition\n\nTerm 2\n:   Indented def\n\n    continued\n\nText: not a def\n\n: orphan"
    ),
    "definition loose": "Apple\n\n:   Pomaceous fruit\n\n:   Second definition\n\nOrange\n: Citrus",
    "admonitions": (
        '!!! note "Title"\n    First paragraph.\n\n    Second paragraph.\n\n        code?\n\nOutside.\n\n'
        '!!! warning\n    Body\n\n!!! danger ""\n    no title\n\ntext\n!!! tip\n    late'
    ),
    "admonition continuation": "!!! note\n    one\n\n    two\n\n    three\n\nafter\n\n    indented code",
    "admonition in list": "- item\n\n    !!! note\n        inside\n\n        continued\n\n    back in item",
    "admonition nested list": "!!! note\n    - a\n    - b\n\n        deeper\n\n    more",
    "footnotes": "Text[^1] and[^note].\n\n[^1]: The first.\n[^note]: Second\n    continued.\n\n    Para two.",
    "footnote mid-block": "para\n[^x]: def\n\nuse[^x]",
    "abbreviations": "The HTML spec.\n\n*[HTML]: Hyper Text Markup Language\n*[W3C]:  World Wide Web Consortium",
    "abbreviation removed": "HTML\n\n*[HTML]: ''",
    "tables": "| a | b |\n|---|:-:|\n| 1 | 2 |\n\na | b\n--- | ---\n1 | 2\n\n| one |\n| --- |\n| x |",
    "not a table": "a | b\nc | d\n\n|\n|",
    "fenced code": "```python\nprint('x')\n# not a header\n> not a quote\n```\n\n~~~\ntilde\n~~~\n\n```\nunclosed",
    "indented code": "    code line\n    # not header\n\ntext",
    "reference links": '[a][1] and [b].\n\n[1]: http://x.example/ "Title"\n[b]: <http://y.example/>\n  (Paren title)',
    "reference mid-block": "text\n[r]: /u\nmore [r]",
    "definitions without spaces": "[r]:/u\n[^n]:note\n*[AB]:Abbr\n\n[r] [^n] AB",
    "md in html": (
        '<div markdown="1">\n# Inside\n\n> quote\n\n!!! note\n    adm\n</div>\n\n'
        '<div>\n*raw*\n</div>\n\n<section markdown="block">\n: x\n</section>'
    ),
    "lists": "1. one\n2. two\n\n- a\n- b\n    - nested\n\n* star\n+ plus\n\n3. start three",
    "list with header": "* # Header\nline\n\n- item\n\n    ## loose header\n    after",
    "mixed": "# T\n\ntext\n\n> q\n\n---\n\nTerm\n: def\n\n!!! note\n    x\n\n| a | b |\n|---|---|\n\n[^1]: f",
    "edge whitespace": "\n\n\n   \n\t# tab\n \n#\n>\n:\n!!!\n|\n",
    "blank lines of spaces": "a\n   \nb\n\t\n  c  \n\r\nd\re\n \n\n    code\n    \n    more",
    "entities and inline html": "AT&T &amp; &#65 &copy x\n\na <b>bold</b> <!-- c --> 1 < 2 > 0\n\n<hr>\ntext",
    "lone markers": "#\n\n>\n\n:\n\n!!!\n\n|\n\n*[\n\n[^\n\n]:\n\n=\n\n-",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_same_output_on_tricky_blocks(name: str) -> None:
    _same(TRICKY[name])


# Lines made of what block processors look for, so that matches and near-misses are frequent.
LINES = [
    "",
    "",
    "",
    "text",
    "more words here",
    "# H",
    "## H ##",
    "#x",
    "####### h",
    "===",
    "---",
    "- - -",
    "***",
    "___",
    " * * *",
    "   ---",
    "    ---",
    "-- -",
    "> q",
    "> > qq",
    ">x",
    "   > q",
    "    > q",
    "Term",
    ": def",
    ":   def",
    "    : def",
    ": ",
    "!!! note",
    '!!! tip "T"',
    "!!!x",
    "    cont",
    "        deeper",
    "\tx",
    "[^1]: fn",
    "x[^1]",
    "*[AB]: Abbr",
    "AB",
    "[r]: /u",
    "[r]:/u",
    "[r]: /u 'T'",
    "[r]",
    "| a | b |",
    "|---|---|",
    "a | b",
    "--- | ---",
    "|",
    "```",
    "```py",
    "~~~",
    '<div markdown="1">',
    "</div>",
    "<div>",
    "<p>raw</p>",
    "1. one",
    "2. two",
    "- item",
    "* item",
    "+ item",
    "    - nested",
    "    1. nested",
    "text: colon",
    "a|b",
    "=",
    "-",
    "  ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=24))
def test_same_output_on_random_blocks(lines: list[str]) -> None:
    _same("\n".join(lines))


# Processors whose stock test is a pure function of the block: the shortcut must agree with it on
# every block, not only where the converter happens to ask.
PURE = ["hashheader", "setextheader", "hr", "quote", "deflist"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=8))
def test_shortcut_tests_agree_with_the_stock_ones(lines: list[str]) -> None:
    block = "\n".join(lines)
    for name in PURE:
        fast = FAST.parser.blockprocessors[name]
        stock = STOCK.parser.blockprocessors[name]
        assert fast.test(Element("div"), block) == stock.test(Element("div"), block), (name, block)


def test_processors_registered_later_are_used() -> None:
    # The parser takes its list of processors at the start of each document, not once for all.
    class Shout(BlockProcessor):
        def test(self, parent: Element, block: str) -> bool:
            return block.startswith("!!shout")

        def run(self, parent: Element, blocks: list[str]) -> None:
            blocks.pop(0)
            parent.append(Element("hr"))

    md = bm.new_converter()
    assert _convert(md, "!!shout")[0] == "<p>!!shout</p>"
    md.parser.blockprocessors.register(Shout(md.parser), "shout", 200)
    assert _convert(md, "!!shout")[0] == "<hr>"
