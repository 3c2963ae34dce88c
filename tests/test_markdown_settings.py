"""site.yml ``markdown``: extensions added to the default set, their settings, code highlighting."""

from __future__ import annotations

import markdown as stock_markdown
import pytest
from conftest import MINIMAL_SITE_YML, article, build_errors, read, run_build

from broadsheet.content import markdown as bm
from broadsheet.speedups.markdown_inline import SkippingMarkdown

BODY = """\
Intro with ~~struck~~ words and "quotes" -- dashes.

- first
  - nested two spaces
- second

- [x] done
- [ ] to do

```python
def hello():
    return "world"
```
"""


def _site_yml(markdown: str) -> str:
    return MINIMAL_SITE_YML + markdown


@pytest.fixture(autouse=True)
def _default_settings():
    """Each test starts and ends with the default settings in this process."""
    bm.configure(bm.DEFAULT_SETTINGS)
    yield
    bm.configure(bm.DEFAULT_SETTINGS)


def test_default_site_renders_strike_literally_and_uses_the_fast_converter(make_site) -> None:
    site = make_site({"content/world/a.md": article("A", body=BODY)})
    run_build(site)
    page = read(site, "world/a/index.html")
    assert "~~struck~~" in page
    assert 'class="codehilite"' not in page
    assert "code.css" not in page
    assert type(bm.new_converter()) is SkippingMarkdown


def test_extensions_from_site_yml_strike_tasks_nested_lists_and_highlighting(make_site) -> None:
    yml = _site_yml(
        "markdown:\n"
        "  extensions: [pymdownx.tilde, pymdownx.tasklist, mdx_truly_sane_lists, codehilite]\n"
        "  extension_configs:\n"
        "    mdx_truly_sane_lists: {nested_indent: 2}\n"
        "    codehilite: {guess_lang: false}\n"
    )
    site = make_site({"site.yml": yml, "content/world/a.md": article("A", body=BODY)})
    run_build(site)
    page = read(site, "world/a/index.html")
    assert "<del>struck</del>" in page
    assert '<input type="checkbox" disabled checked/> done' in page
    assert "<li>first<ul>\n<li>nested two spaces</li>" in page
    assert '<div class="codehilite"><pre>' in page and '<span class="k">def</span>' in page
    # smarty (a default extension) still runs: the defaults are kept, the site's are added.
    assert "&ldquo;quotes&rdquo;" in page and "&ndash;" in page
    css = read(site, "theme/css/code.css")
    assert ":is(.codehilite,.highlight) :is(.k," in css and "prefers-color-scheme: dark" in css
    # The highlighting colours are linked by pages with highlighted code only.
    assert 'href="/theme/css/code.css"' in page


def test_differential_fast_path_only_for_the_default_set() -> None:
    """The default set: fast and stock converters agree byte for byte. Any other set: the stock converter."""
    for body in (BODY, "A [link](http://x.org) and *em* and `code`.\n\n> quote\n\n1. one\n2. two\n", "Plain."):
        fast, stock = bm.new_converter(), bm.new_converter(skip_patterns=False)
        assert fast.convert(body) == stock.convert(body)
    settings = bm.markdown_settings(["pymdownx.tilde"], {}, [])
    converter = bm.new_converter(settings=settings)
    assert type(converter) is stock_markdown.Markdown
    reference = stock_markdown.Markdown(
        extensions=[*bm.EXTENSIONS, "pymdownx.tilde"], extension_configs=bm.EXTENSION_CONFIGS, output_format="html"
    )
    assert converter.convert(BODY) == reference.convert(BODY)


def test_changing_the_settings_converts_cached_bodies_again(make_site) -> None:
    site = make_site({"content/world/a.md": article("A", body="Some ~~old~~ news.")})
    run_build(site)
    assert "~~old~~" in read(site, "world/a/index.html")
    (site / "site.yml").write_text(_site_yml("markdown: {extensions: [pymdownx.tilde]}\n"), encoding="utf-8")
    run_build(site)
    assert "<del>old</del>" in read(site, "world/a/index.html")


@pytest.mark.parametrize(
    ("markdown", "needle"),
    [
        (
            "markdown:\n  extensions: [tables, no_such_extension]\n",
            "site.yml:12: unknown Markdown extension 'no_such_extension'",
        ),
        (
            "markdown:\n  extensions:\n    - pymdownx.nothing\n",
            "site.yml:13: unknown Markdown extension 'pymdownx.nothing'",
        ),
        (
            "markdown:\n  extension_configs:\n    codehilite: {linenums: true}\n",
            "site.yml:13: markdown.extension_configs names 'codehilite'",
        ),
        (
            "markdown:\n  extensions: [pymdownx.tilde]\n  extension_configs:\n    pymdownx.tilde: {no_option: 1}\n",
            "site.yml:14: Markdown extension 'pymdownx.tilde' has no setting 'no_option'",
        ),
        ("markdown:\n  extension: [codehilite]\n", "site.yml:12: unknown key 'markdown.extension'"),
        ("markdown:\n  extensions: [42]\n", "site.yml:12: markdown.extensions[0] must be an extension's name"),
    ],
)
def test_bad_markdown_settings_are_errors_with_their_line(make_site, markdown: str, needle: str) -> None:
    site = make_site({"site.yml": _site_yml(markdown), "content/world/a.md": article("A")})
    errors = build_errors(site)
    assert any(needle in e for e in errors), errors


EVERY_DEFAULT_EXTENSION = """\
# A heading {: #chosen .lead }

Intro with "quotes" -- dashes... and a footnote[^1] and an HTML abbreviation.

*[HTML]: Hyper Text Markup Language

| column | other |
|--------|-------|
| a      | b     |

Term
:   its definition

<div markdown="1">
*inside* a block
</div>

```python
print("code")
```

!!! note "A note"
    In an admonition.

3. starts at three
4. then four

[^1]: The footnote.
"""


def test_the_default_extensions_made_here_convert_as_python_markdown_given_their_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Broadsheet makes its default extensions from Python-Markdown's modules, ``extra`` as the ones it
    bundles, so that no converter lists the installed packages' entry points; the HTML is the same."""
    configs = bm.DEFAULT_SETTINGS.all_configs()
    names = bm.DEFAULT_SETTINGS.all_extensions()
    by_name = stock_markdown.Markdown(extensions=names, extension_configs=configs, output_format="html")
    expected = by_name.convert(EVERY_DEFAULT_EXTENSION)
    looked_up: list[int] = []
    listing = stock_markdown.util.get_installed_extensions
    monkeypatch.setattr(stock_markdown.util, "get_installed_extensions", lambda: looked_up.append(1) or listing())
    made_here = stock_markdown.Markdown(
        extensions=bm.built_extensions(names, configs), extension_configs=configs, output_format="html"
    )
    assert made_here.convert(EVERY_DEFAULT_EXTENSION) == expected
    assert bm.new_converter().convert(EVERY_DEFAULT_EXTENSION) == expected  # (the fast one too)
    assert looked_up == []
    for part in ('id="chosen"', "&ldquo;", "<abbr", "<table>", "<dl>", "<em>inside</em>", "admonition", 'start="3"'):
        assert part in expected  # each extension did its part
    # A site's own extension stays a name, which Python-Markdown looks up as before.
    assert bm.built_extensions([*names, "nl2br"], configs)[-1] == "nl2br"
