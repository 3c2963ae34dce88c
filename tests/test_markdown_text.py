"""What render_markdown does after conversion (URL neutralising, plain text, words) matches its plain definitions."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.content.body import _BLOCK_END, _TAG
from broadsheet.content.markdown import (
    _URL_ATTR,
    _blocked,
    _first_paragraph,
    _neutralise,
    plain_text,
    render_markdown,
)

REPO = Path(__file__).resolve().parent.parent


def _reference_neutralise(fragment: str) -> str:
    return _URL_ATTR.sub(_blocked, fragment)


def _reference_plain_text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", _BLOCK_END.sub(r"\g<0> ", fragment))).split())


def test_str_isspace_is_what_re_calls_whitespace() -> None:
    # _neutralise finds where a name ends with str.rstrip(); the expression uses \s.
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    assert {c for c in everything if c.isspace()} == set(re.findall(r"\s", everything))


NEUTRALISE = [
    '<a href="javascript:x">a</a>',
    "<a href = 'javascript:x'>",
    "<img src=javascript:x>",
    "<a HREF=JavaScript:x>",
    '<svg><a xlink:href="javascript:x">',
    '<button formaction="javascript:x">',
    '<img srcset="data:x 1x">',
    '<video poster=" data:x">',
    '<form action="vbscript:x">',
    '<a data-href="javascript:x">',
    "a = b == c",
    '<a\u00a0href="javascript:x">',
    '<a\u2028href="javascript:x">',
    '<a\x1chref="javascript:x">',
    '<img \u017frc="javascript:x">',
    '<a href="https://x.example/?a=b&c=javascript:x">',
    "<a href=>",
    "<a href= >",
    '<a title="x href=javascript:y" href="javascript:z">',
    '<a href="javascript:x" src="javascript:y">',
    "=href=javascript:x",
    " href\n=\njavascript:x",
    "<a href=java&#x09;script:x>",
    "",
]


@pytest.mark.parametrize("fragment", NEUTRALISE)
def test_neutralise_matches_the_plain_substitution(fragment: str) -> None:
    assert _neutralise(fragment) == _reference_neutralise(fragment)


PIECES = [
    " ",
    "  ",
    "\t",
    "\n",
    "\u00a0",
    "\u2028",
    "\x1c",
    "=",
    " =",
    "= ",
    '"',
    "'",
    ">",
    "<",
    "<a",
    "<img",
    "href",
    "HREF",
    "src",
    "\u017frc",
    "srcset",
    "action",
    "formaction",
    "xlink:href",
    "xlink",
    "poster",
    "data-",
    "javascript:x",
    "data:y",
    "&#106;",
    "https://x.example/",
    "a",
    "é",
    "#",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_neutralise_matches_the_plain_substitution_on_random_markup(pieces: list[str]) -> None:
    fragment = "".join(pieces)
    assert _neutralise(fragment) == _reference_neutralise(fragment)


TEXT_PIECES = [
    "<p>",
    "</p>",
    "</P>",
    "<h2 id='x'>",
    "</h2>",
    "</li>",
    "<li>",
    "<br>",
    "<a </p>",
    "<!-- </div> -->",
    "word",
    " ",
    "\n",
    "&amp;",
    "&lt;p&gt;",
    "&nbsp;",
    "\u2003",
    "<",
    ">",
    "</td>",
    "</tdx>",
    "é",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TEXT_PIECES), max_size=30))
def test_plain_text_matches_its_definition(pieces: list[str]) -> None:
    fragment = "".join(pieces)
    assert plain_text(fragment) == _reference_plain_text(fragment)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["<p>", "</p>", "<P>", "</P>", "<p", "p>", "</", "x", "\n", " "]), max_size=20))
def test_first_paragraph_matches_the_lazy_expression(pieces: list[str]) -> None:
    fragment = "".join(pieces)
    match = re.search(r"<p>(.*?)</p>", fragment, re.DOTALL)
    assert _first_paragraph(fragment) == (match.group(1) if match else None)


def test_rendered_text_and_words_on_the_example_site() -> None:
    files = sorted((REPO / "content").rglob("*.md"))
    assert files
    for path in files:
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        rendered = render_markdown(body)
        assert rendered.text == _reference_plain_text(rendered.html), path
        assert rendered.words == len(rendered.text.split()), path
