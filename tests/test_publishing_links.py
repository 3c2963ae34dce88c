"""The internal link check: misses are warnings naming page and link; everything else passes."""

from __future__ import annotations

from html.parser import HTMLParser

from conftest import article, build_errors, run_build
from hypothesis import example, given, settings
from hypothesis import strategies as st

from broadsheet.outputs import OutputFile
from broadsheet.publish.linkcheck import check_links, link_target, page_links

BASE = "https://news.example.org/"


class LinkParser(HTMLParser):
    """The reference: every href and src the standard library's parser sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("href", "src") and v is not None]

    handle_startendtag = handle_starttag


def parser_links(data: bytes) -> list[str]:
    """The links the reference parser finds in a page."""
    parser = LinkParser()
    parser.feed(data.decode("utf-8"))
    parser.close()
    return parser.links


def test_good_links_pass(make_site) -> None:
    body = "\n\n".join(
        [
            "[relative](../a/) [no slash](/world/a) [fragment](#top) [query](/search/?q=flood&amp;x=1)",
            "[mail](mailto:desk@example.org) [phone](tel:+15555550100) [web](https://example.com/x)",
            "[own site](https://news.example.org/world/a/) [proto](//cdn.example.com/x.js) [feed](/feed.xml)",
            "![logo](/images/logo.png)",
        ]
    )
    site = make_site(
        {
            "content/world/a.md": article("A"),
            "content/world/b.md": article("B", body=body),
            "static/images/logo.png": b"\x89PNG",
        }
    )
    result = run_build(site)
    assert not [w for w in result.warnings if "link" in w.message], [w.format() for w in result.warnings]


def test_broken_links_are_warnings_naming_page_link_and_source(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("A", body="See [gone](/world/gone/) and ![x](/img/missing.png)."),
            "content/world/b.md": article(
                "B", body="Also [gone](/world/gone/) and [own](https://news.example.org/nope/)."
            ),
        }
    )
    result = run_build(site)
    messages = sorted(w.format() for w in result.warnings)
    assert len(messages) == 3, messages
    gone = next(m for m in messages if "'/world/gone/'" in m)
    assert "world/a/index.html" in gone and "world/b/index.html" in gone
    assert gone.startswith("content/world/")
    assert any("'/img/missing.png' on world/a/index.html" in m and m.startswith("content/world/a.md") for m in messages)
    assert any("'https://news.example.org/nope/'" in m for m in messages)
    errors = build_errors(site, strict=True)
    assert sum("broken internal link" in e for e in errors) == 3


def test_many_pages_one_warning() -> None:
    link = b'<a href="/missing/">x</a>'
    pages = [OutputFile(f"p{i}/index.html", f"content/p{i}.md", link) for i in range(5)]
    [warning] = check_links(pages, {p.path for p in pages}, BASE)
    assert warning.message == (
        "broken internal link '/missing/' on p0/index.html, p1/index.html, p2/index.html and 2 more"
    )
    assert warning.path == "content/p0.md"


def test_link_targets() -> None:
    assert link_target("/", "/world/a/", BASE) == "index.html"
    assert link_target("../b/", "/world/a/", BASE) == "world/b/index.html"
    assert link_target("img.png", "/world/a/", BASE) == "world/a/img.png"
    assert link_target("/caf%C3%A9/", "/", BASE) == "café/index.html"
    assert link_target("/search/?q={search_term_string}", "/", BASE) == "search/index.html"
    assert link_target("https://news.example.org/x/#y", "/", BASE) == "x/index.html"
    for outside in ("#top", "mailto:a@b.c", "tel:1", "https://example.com/", "//x.org/", "javascript:0", "?q=1"):
        assert link_target(outside, "/", BASE) is None


def test_ignored_prefixes() -> None:
    page = OutputFile("search/index.html", "search page", b'<script src="/pagefind/pagefind-ui.js"></script>')
    assert check_links([page], {page.path}, BASE, ignore=("/pagefind/",)) == []
    assert len(check_links([page], {page.path}, BASE)) == 1


def test_regex_extraction_agrees_with_html_parser(make_site) -> None:
    tricky = "\n\n".join(
        [
            'Code: `<a href="/not-a-link/">` and text href="/nor-this/".',
            "    <img src='/in-code-block.png'>",
            '<!-- <a href="/commented-out/"> -->',
            '<p><a href="/world/a/" title="a > b">raw html</a> <a HREF=/world/a/>upper</a></p>',
            "[amp](/search/?q=a&b=c) ![alt](/x.png 'title')",
        ]
    )
    site = make_site(
        {
            "content/world/a.md": article("A & <b>", body=tricky, tags=["T"]),
            "content/world/b.md": article("B", summary="Quote \" and ' inside"),
        }
    )
    result = run_build(site)
    pages = [f for f in result.files if f.data is not None and f.path.endswith(".html")]
    assert len(pages) > 5
    for f in pages:
        assert page_links(f.data or b"") == parser_links(f.data or b""), f.path
    links = page_links(next(f.data for f in pages if f.path == "world/a-b/index.html") or b"")
    assert "/not-a-link/" not in links and "/commented-out/" not in links and "/search/?q=a&b=c" in links


# Markup to read both ways: link and other attribute names in any case, values holding quotes of the
# other kind, '>', '<', entities, "href=" or a whole tag, bare values, spaces around '=', comments
# and scripts holding links, '</script' in strings, code samples in text. Kept to markup html.parser
# reads alike across Python versions (later ones follow HTML5 more closely): every tag ends,
# comments end at '-->', scripts are never written '<script/>' and hold no '<!--'.
NAMES = [
    "href",
    "src",
    "HREF",
    "Src",
    "sRC",
    "HrEf",
    "class",
    "title",
    "alt",
    "data-src",
    "xlink:href",
    "srcset",
    "hreflang",
    "data-href",
    "hidden",
    "style",
    "height",
    "x",
    "rel",
    "href2",
    "ahref",
    "a-src",
]
VALUE_BITS = [
    "/a/",
    "b",
    " ",
    "x y",
    "<",
    ">",
    "&amp;",
    "&lt;",
    "&#x41;",
    "&",
    "=",
    "é",
    "–",
    "href=z",
    "a>b",
    "<a href='q'>",
    "<!--",
    "-->",
    "</script>",
    "?q=1&x=2",
    "#top",
    "mailto:m@x.org",
    "\n",
    "'",
    '"',
]
BARE_BITS = ["/a/", "b", "&amp;", "&", "é", "x.png", "?q=1", "#f", "a/"]
TEXT_BITS = [
    "text",
    " ",
    "\n",
    'href="/text/"',
    "src=x",
    '&lt;a href="/escaped/"&gt;',
    "a < b",
    '"quoted"',
    "it's",
    '<code>&lt;a href="/code/"&gt;</code>',
    "</a>",
    "</div>",
    "<br>",
    "<!doctype html>",
    "<?pi x?>",
    ">",
    "=",
]
SCRIPT_BITS = [
    "var a = '<a href=\"/in-script/\">';",
    "x < y",
    "'</scr' + 'ipt>'",
    "'</script'",
    "</style>",
    "if (a<b) {}",
    '"<img src=x>"',
    "</p>",
]
STYLE_BITS = ["a > b {}", "/* <a href=/in-style/> */", "</script>", "<!-- -->", "p {}"]


@st.composite
def attributes(draw: st.DrawFn, most: int = 4) -> str:
    """Start tag attributes, each after a separator: quoted, spaced around '=', bare, or without a value."""
    out = []
    for name in draw(st.lists(st.sampled_from(NAMES), max_size=most)):
        form = draw(st.sampled_from(["double", "single", "spaced", "bare", "none"]))
        if form == "bare":
            value = "=" + "".join(draw(st.lists(st.sampled_from(BARE_BITS), min_size=1, max_size=3)))
        elif form == "none":
            value = ""
        else:
            quote = "'" if form == "single" else '"'
            text = "".join(draw(st.lists(st.sampled_from(VALUE_BITS), max_size=4))).replace(quote, "")
            value = (" = " if form == "spaced" else "=") + quote + text + quote
        out.append(draw(st.sampled_from([" ", "  ", "\n", "\t", " / "])) + name + value)
    return "".join(out)


@st.composite
def start_tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["a", "img", "link", "div", "p", "span", "A", "Img", "custom-el", "svg"]))
    return "<" + name + draw(attributes()) + draw(st.sampled_from([">", " >", "/>", " />"]))


@st.composite
def raw_text_element(draw: st.DrawFn) -> str:
    name, bits = draw(
        st.sampled_from(
            [("script", SCRIPT_BITS), ("SCRIPT", SCRIPT_BITS), ("Script", SCRIPT_BITS), ("style", STYLE_BITS)]
        )
    )
    contents = "".join(draw(st.lists(st.sampled_from(bits), max_size=4)))
    return f"<{name}{draw(attributes(most=2))}>{contents}</{draw(st.sampled_from([name, name.upper()]))}>"


@st.composite
def comment(draw: st.DrawFn) -> str:
    return (
        "<!--"
        + "".join(draw(st.lists(st.one_of(start_tag(), st.sampled_from(["x", " ", "<script>"])), max_size=3)))
        + "-->"
    )


markup = st.lists(
    st.one_of(start_tag(), start_tag(), st.sampled_from(TEXT_BITS), raw_text_element(), comment()), max_size=12
).map("".join)


@settings(max_examples=300)
@given(markup)
@example('<script></style><a href="/in-script/"></script><a href="/after/">')
@example('<p title="<!--"><a href="/after-the-title/">-->')
@example('<a title="a > b" HREF=/upper/ data-src="/no/" href="">')
@example('<code>&lt;a href="/not/"&gt;</code><img src=\'/x.png\' alt="it\'s">')
def test_page_links_reads_tricky_markup_as_html_parser_does(page: str) -> None:
    data = page.encode()
    assert page_links(data) == parser_links(data)
