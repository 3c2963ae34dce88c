"""The inline processor that skips patterns, and the set of block-level tags, give exactly the stock output."""

from __future__ import annotations

import re
from pathlib import Path

import markdown as _markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.inlinepatterns import LinkInlineProcessor
from markdown.treeprocessors import Treeprocessor

from broadsheet.content.markdown import new_converter, render_markdown
from broadsheet.speedups.markdown_inline import (
    INLINE_LEADS,
    INLINE_TRIGGERS,
    SkippingInlineProcessor,
    SkippingMarkdown,
    _triggers,
    bracket_text,
)

REPO = Path(__file__).resolve().parent.parent
FAST = new_converter()
STOCK = new_converter(skip_patterns=False)

# Text made of what inline patterns look for, so that matches and near-misses are frequent.
PIECES = [
    "a",
    "b",
    " ",
    "  \n",
    "\n",
    "\n\n",
    "*",
    "**",
    "_",
    "__",
    "`",
    "``",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "!",
    "[^1]",
    "<",
    ">",
    "&",
    "&amp;",
    "&#8211;",
    "'",
    '"',
    "-",
    "--",
    "---",
    ".",
    "...",
    "....",
    "s",
    "70s",
    "http://x.example/",
    "a@b.example",
    "<b>",
    "</b>",
    "<!-- c -->",
    "# ",
    "> ",
    "- ",
    "1. ",
    ":",
    "~",
    "\u2014",
    "\u2013",
    "&nbsp;",
    "{",
    "}",
    "é",
    "\u0002",
    "'t",
    "[x]: /u",
    "![i](/p.png)",
    "[l](/u)",
    "\\\\`",
    "\\`",
    "``x``",
    "----",
    "\"'",
    "'\"",
    "x'",
    'x"',
    "'70s",
    "[x]",
    "[x][]",
    "![x]",
]


def _both(text: str) -> tuple[tuple[str, str], tuple[str, str]]:
    FAST.reset()
    STOCK.reset()
    fast = FAST.convert(text)
    stock = STOCK.convert(text)
    return (fast, str(getattr(FAST, "toc", ""))), (stock, str(getattr(STOCK, "toc", "")))


def test_both_inline_processors_are_replaced() -> None:
    assert type(FAST.treeprocessors["inline"]) is SkippingInlineProcessor
    assert type(FAST.treeprocessors["smarty"]) is SkippingInlineProcessor
    assert type(STOCK.treeprocessors["inline"]) is not SkippingInlineProcessor


def test_every_installed_pattern_has_a_trigger() -> None:
    # A pattern without one still works (it is always run) but loses the speed-up: a new
    # Markdown version that changes a pattern's text shows up here.
    for name in ("inline", "smarty"):
        for pattern in FAST.treeprocessors[name].inlinePatterns:
            assert _triggers(pattern.getCompiledRegExp().pattern) is not None, pattern
    assert all(needs and all(needs) for needs in INLINE_TRIGGERS.values())


def test_every_lead_is_installed() -> None:
    # As for triggers: a Markdown version that changes one of these expressions shows up here.
    _both("x")
    used = {
        pattern.getCompiledRegExp().pattern
        for name in ("inline", "smarty")
        for pattern, lead in zip(FAST.treeprocessors[name]._patterns, FAST.treeprocessors[name]._leads, strict=True)
        if lead
    }
    assert used == set(INLINE_LEADS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_every_match_starts_with_a_lead(pieces: list[str]) -> None:
    # What INLINE_LEADS claims, checked on the expressions themselves.
    text = "".join(pieces)
    for expression, leads in INLINE_LEADS.items():
        for match in re.finditer(expression, text):
            assert text.startswith(leads, match.start()), (expression, text)


def test_same_output_on_the_example_site() -> None:
    files = sorted((REPO / "content").rglob("*.md")) + sorted((REPO / "tests").rglob("*.md"))
    # Other tools' archives (import fixtures) hold their shortcodes, which are not Broadsheet's.
    files = [f for f in files if "importers" not in f.relative_to(REPO).parts]
    assert files
    for path in files:
        fast, stock = _both(path.read_text(encoding="utf-8"))
        assert fast == stock, path


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_same_output_on_random_markup(pieces: list[str]) -> None:
    text = "".join(pieces)
    fast, stock = _both(text)
    assert fast == stock


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_same_output_on_any_text(text: str) -> None:
    fast, stock = _both(text)
    assert fast == stock


def test_link_patterns_read_bracket_text_fast() -> None:
    patterns = [p for p in FAST.inlinePatterns if isinstance(p, LinkInlineProcessor)]
    assert len(patterns) >= 4  # links, images, references, image references
    assert all(p.getText is bracket_text for p in patterns)
    assert not [p for p in STOCK.inlinePatterns if getattr(p, "getText", None) is bracket_text]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="[]ab\\!(", max_size=60))
def test_bracket_text_answers_as_the_stock_reading(text: str) -> None:
    stock = LinkInlineProcessor(r"\[", FAST)
    for index in range(len(text) + 1):
        assert bracket_text(text, index) == stock.getText(text, index), (text, index)


def test_render_markdown_uses_the_skipping_converter() -> None:
    out = render_markdown('He said "it\'s -- fine..." and *left*.')
    stock = _markdown.markdown('He said "it\'s -- fine..." and *left*.', extensions=["smarty"])
    assert out.html == stock


@pytest.mark.parametrize("added", [None, "news-box", ["unhashable"]])
def test_block_level_lookup_answers_as_the_stock_one(added: object) -> None:
    from xml.etree.ElementTree import Comment

    fast = new_converter()
    stock = new_converter(skip_patterns=False)
    assert type(fast) is SkippingMarkdown
    if added is not None:  # extensions may add tags after the converter is built
        fast.block_level_elements.append(added)  # type: ignore[arg-type]
        stock.block_level_elements.append(added)  # type: ignore[arg-type]
    tags: list[object] = [
        *STOCK.block_level_elements,
        "news-box",
        "P",
        "Div/",
        "div//",
        "span",
        "",
        "/",
        "pre ",
        Comment,
        None,
        1,
    ]
    seen: list[list[bool]] = []

    class Spy(Treeprocessor):
        def run(self, root: object) -> None:
            seen.append([fast.is_block_level(tag) for tag in tags])

    fast.treeprocessors.register(Spy(fast), "spy", 1)
    fast.convert("text")  # the lookup from the set, during a conversion
    expected = [stock.is_block_level(tag) for tag in tags]
    assert seen == [expected]
    assert [fast.is_block_level(tag) for tag in tags] == expected  # outside one: the stock lookup


def test_block_level_tags_added_later_are_honoured() -> None:
    fast = new_converter()
    stock = new_converter(skip_patterns=False)
    for md in (fast, stock):
        md.block_level_elements.append("news-box")
    text = "<news-box>\n*a*\n</news-box>\n\ntext"
    assert fast.convert(text) == stock.convert(text)
