"""The speed-ups (broadsheet.speedups) change nothing but speed: sites built with them on and off are
the same, byte for byte; off, or on a library release they were not tested on, the public paths run."""

from __future__ import annotations

from pathlib import Path

import jinja2
import markdown as _markdown
import pytest
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Context

from broadsheet import speedups
from broadsheet.content.markdown import new_converter, render_markdown
from broadsheet.incremental.cache import code_version
from broadsheet.render.theme import SiteEnvironment
from broadsheet.speedups import jinja as jinja_speedups
from broadsheet.speedups import markdown_inline
from tests.conftest import REPO, article, run_build

RICH_BODY = """\
Intro with *emphasis*, __strong__, `code`, a [link](https://example.org/a "t") and an ![image](/i.png).
"Quotes" -- dashes --- and ellipses... and 'single' ones, 1990's & <b>inline html</b>.

## A heading {#custom}

> A quote
> over two lines

1. one
2. two
    * nested

Term
:   Definition

| a | b |
|---|---|
| 1 | 2 |

```python
print("fenced")
```

!!! note "Admonition"
    Inside.

Footnote here[^1].

[^1]: The note.

<div markdown="1">*in html*</div>

*[HTML]: Hyper Text Markup Language
"""


def _tree(root: Path) -> dict[str, bytes]:
    # The manifest records when files were written; every file of the site is compared.
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".broadsheet-manifest.json"
    }


def _build_both(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **options: object) -> tuple[dict, dict]:
    trees = []
    for state in ("on", "off"):
        monkeypatch.setenv(speedups.ENVIRONMENT, state)
        assert speedups.markdown_on() is (state == "on") and speedups.jinja_on() is (state == "on")
        out = tmp_path / f"out-{state}"
        run_build(site, output=out, cache=False, **options)
        trees.append(_tree(out))
    return trees[0], trees[1]


@pytest.mark.parametrize("site", ["tests/sites/basic", "."], ids=["golden", "example"])
def test_sites_built_with_and_without_speedups_are_the_same(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, plain = _build_both(REPO / site, tmp_path, monkeypatch, jobs=1)
    assert fast.keys() == plain.keys() and len(fast) > 10
    assert [path for path in fast if fast[path] != plain[path]] == []


def test_rich_markdown_through_workers_is_the_same(make_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        f"content/{'world' if i % 2 else 'sport'}/s{i}.md": article(f"Story {i}", body=f"{RICH_BODY}\nPart {i}.")
        for i in range(240)
    }
    fast, plain = _build_both(make_site(files), tmp_path, monkeypatch, jobs=2)  # enough to parse in workers
    assert len(fast) > 240
    assert [path for path in fast if fast[path] != plain[path]] == []


def test_switched_off_the_public_paths_run(monkeypatch: pytest.MonkeyPatch) -> None:
    on_version = code_version()
    assert type(new_converter()) is markdown_inline.SkippingMarkdown
    assert SiteEnvironment().code_generator_class is jinja_speedups.OutputCodeGenerator
    monkeypatch.setenv(speedups.ENVIRONMENT, "off")
    assert type(new_converter()) is _markdown.Markdown
    env = SiteEnvironment()
    assert env.code_generator_class is CodeGenerator and env.context_class is Context
    assert render_markdown(RICH_BODY).html == _markdown.Markdown(
        extensions=["extra", "toc", "smarty", "sane_lists", "admonition"],
        extension_configs={"toc": {"permalink": False}},
        output_format="html",
    ).convert(RICH_BODY)
    # The cache keeps what was made with the speed-ups apart (compiled templates differ).
    assert code_version() != on_version


def test_an_untested_library_release_gets_the_public_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_markdown, "__version__", "99.0.0")
    monkeypatch.setattr(jinja2, "__version__", "99.0.0")
    assert speedups.enabled() and not speedups.markdown_on() and not speedups.jinja_on()
    md = new_converter()
    assert type(md) is _markdown.Markdown
    assert all(type(p).__module__.startswith("markdown.") for p in md.parser.blockprocessors)
    assert type(md.treeprocessors["inline"]).__module__ == "markdown.treeprocessors"
    assert SiteEnvironment().code_generator_class is CodeGenerator
