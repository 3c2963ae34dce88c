"""Hostile and broken input through the real command line: a clear ``path:line`` error, exit 1,
the previous output byte for byte as it was, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, article, write_site

from broadsheet.content.markdown import render_markdown

SITE_YML = """\
title: Test Times
base_url: https://news.example.org/
timezone: America/New_York
social:
  - {name: Mastodon, url: "https://example.social/@times"}
"""


def cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``build.py build`` on ``site`` as a user would."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795953600", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--no-search", "--quiet", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (followed through links) with its bytes."""
    out: dict[str, bytes] = {}
    for current, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            path = Path(current, name)
            out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A small site built once through the command line, and its output."""
    site = write_site(
        tmp_path / "site",
        {
            "site.yml": SITE_YML,
            "content/world/a.md": article("First story", "2026-11-20T10:00:00"),
            "content/world/b.md": article("Second story", "2026-11-21T10:00:00"),
            "content/pages/about.md": "---\ntitle: About\n---\n\nAbout us.\n",
        },
    )
    done = cli(site)
    assert done.returncode == 0, done.stderr
    return site, snapshot(site / "output")


def fails_cleanly(site: Path, before: dict[str, bytes], *expected: str) -> str:
    """Build again: exit 1, every expected message in stderr, no traceback, the output unchanged."""
    done = cli(site)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr.replace("error(s)", "")
    for text in expected:
        assert text in done.stderr
    assert snapshot(site / "output") == before
    return done.stderr


@pytest.mark.parametrize("nesting", ["[" * 500 + "]" * 500, "{a: " * 500 + "1" + "}" * 500])
def test_deep_front_matter_under_an_unknown_key(built, nesting: str) -> None:
    site, before = built
    text = f"---\ntitle: Deep\ndate: 2026-11-20T10:00:00\nweird: {nesting}\n---\n\nBody.\n"
    (site / "content/world/deep.md").write_text(text)
    fails_cleanly(site, before, "content/world/deep.md:4: values are nested more than 32 levels deep")


def test_deep_front_matter_in_block_style(built) -> None:
    site, before = built
    lines = ["---", "title: Deep", "date: 2026-11-20T10:00:00", "weird:"]
    lines += ["  " * (i + 1) + "k:" for i in range(500)] + ["  " * 501 + "v", "---", "", "Body."]
    (site / "content/world/deep.md").write_text("\n".join(lines))
    fails_cleanly(site, before, "content/world/deep.md:37: values are nested more than 32 levels deep")


def test_nesting_within_the_limit_builds(built) -> None:
    site, _ = built
    (site / "content/world/deep.md").write_text(
        "---\ntitle: Deep\ndate: 2026-11-20T10:00:00\nweird: " + "[" * 30 + "]" * 30 + "\n---\n\nBody.\n"
    )
    assert cli(site).returncode == 0


def test_file_names_that_are_not_utf8(built) -> None:
    site, before = built
    content = os.fsencode(site / "content")
    with open(content + b"/world/bad\xff.md", "w") as f:
        f.write(article("Bad name"))
    with open(content + b"/pages/p\xfe.md", "w") as f:
        f.write("---\ntitle: Page\n---\n\nBody.\n")
    os.mkdir(content + b"/w\xe9")
    with open(content + b"/w\xe9/ok.md", "w") as f:
        f.write(article("In a folder", slug="ok"))
    err = fails_cleanly(
        site,
        before,
        "content/world/bad\\xff.md: the file name is not valid UTF-8",
        "content/pages/p\\xfe.md: the file name is not valid UTF-8",
        "content/w\\xe9/ok.md: the file name is not valid UTF-8",
    )
    assert "rename the file" in err


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("date", "0001-01-01T00:00:00Z", 3),
        ("date", "0001-01-01", 3),
        ("date", "9999-12-31", 3),
        ("updated", "9999-12-31T23:59:59-12:00", 4),
        ("expires", "9999-12-31T23:59:59+14:00", 4),
    ],
)
def test_dates_out_of_range_for_the_time_zone(built, field: str, value: str, line: int) -> None:
    site, before = built
    meta = f"date: {value}\n" if field == "date" else f"date: 2026-11-20T10:00:00\n{field}: {value}\n"
    (site / "content/world/when.md").write_text(f"---\ntitle: When\n{meta}---\n\nBody.\n")
    fails_cleanly(site, before, f"content/world/when.md:{line}: '{field}' is not a valid date", "out of range")


def test_dates_at_the_edges_of_the_range_build(built) -> None:
    site, _ = built
    (site / "content/world/old.md").write_text(article("Old", "0001-01-02T12:00:00"))
    (site / "content/world/late.md").write_text(article("Late", "2026-11-20", updated="9999-12-29T00:00:00-12:00"))
    done = cli(site)
    assert done.returncode == 0, done.stderr


ALIAS_BOMB = """\
extra:
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
"""


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        (ALIAS_BOMB, "site.yml:8: YAML aliases ('*name') are not allowed"),
        ("extra:\n  x: &x {a: 1}\n  y: *x\n", "site.yml:8: YAML aliases ('*name') are not allowed"),
        ("extra:\n  deep: " + "[" * 500 + "]" * 500 + "\n", "site.yml:7: values are nested more than 32 levels deep"),
        (
            "permalinks:\n  article: '/{slug}/{/'\n",
            "site.yml:7: permalink pattern '/{slug}/{/' is not valid: expected '}' before end of string",
        ),
        (
            "permalinks:\n  article: '/{year:d}/{slug}/'\n",
            "site.yml:7: permalink pattern '/{year:d}/{slug}/' is not valid: '{year}' takes no format",
        ),
        (
            "permalinks:\n  article: '/{slug.upper}/'\n",
            "site.yml:7: permalink pattern '/{slug.upper}/' is not valid: '{slug.upper}' is not a field",
        ),
        ("permalinks:\n  article: '/{}/{slug}/'\n", "'{}' names no field"),
        ("logo: javascript:alert(1)\n", "site.yml:6: 'logo' uses a scheme that runs script"),
        ("logo: ' JaVa&#x09;ScRiPt:alert(1)'\n", "site.yml:6: 'logo' uses a scheme that runs script"),
        (
            "extra:\n  links:\n    - {donate: 'vbscript:msgbox(1)'}\n",
            "site.yml:8: 'extra.links.0.donate' is a script URL",
        ),
        (
            "authors:\n  ana: {name: Ana, avatar: 'data:text/html,<script>alert(1)</script>'}\n",
            "site.yml:7: 'authors.ana.avatar' uses a scheme that runs script",
        ),
    ],
)
def test_site_yml_is_as_safe_as_front_matter(built, addition: str, expected: str) -> None:
    site, before = built
    (site / "site.yml").write_text(SITE_YML + addition)
    fails_cleanly(site, before, expected)


def test_script_urls_in_social_links_are_refused(built) -> None:
    site, before = built
    (site / "site.yml").write_text(
        SITE_YML.replace("https://example.social/@times", "javascript:alert(document.cookie)")
    )
    fails_cleanly(site, before, "site.yml:5: 'social.0.url' uses a scheme that runs script")


def test_alias_bomb_in_site_yml_fails_at_once(built) -> None:
    # Fails, rather than hanging the build for minutes (the test itself would time out).
    site, before = built
    (site / "site.yml").write_text(SITE_YML + ALIAS_BOMB.replace("h: &h", "h: &h").replace("lol", "l" * 50))
    fails_cleanly(site, before, "YAML aliases")


@pytest.mark.parametrize(
    "html",
    [
        '<object data="javascript:alert(1)"></object>',
        '<object data=" JAVASCRIPT:alert(1)"></object>',
        '<form><button formaction="javascript:alert(1)">x</button></form>',
        '<form action="javascript:alert(1)"><button>x</button></form>',
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
        '<img srcset="/a.jpg 1x, javascript:alert(1) 2x" alt="">',
        '<img srcset="data:image/svg+xml,&lt;svg onload=alert(1)&gt; 1x" alt="">',
        '<video poster="javascript:alert(1)"></video>',
        '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
        '<blockquote cite="javascript:alert(1)">x</blockquote>',
        '<a/href="javascript:alert(1)">x</a>',
        '<a title="x"href="javascript:alert(1)">x</a>',
        '<img src="/a.jpg"srcset="javascript:alert(1)" alt="">',
        '<svg><animate attributeName="href" values="/a;javascript:alert(1)"/></svg>',
        '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
        '<embed src="vbscript:msgbox(1)">',
        "<applet codebase='javascript:alert(1)'></applet>",
        '<a ping="/ok javascript:alert(1)" href="/">x</a>',
    ],
)
def test_script_urls_in_every_url_attribute_are_neutralised(html: str) -> None:
    rendered = render_markdown(f"Before.\n\n<div>{html}</div>\n\nAfter.\n")  # raw HTML, as Markdown passes it
    assert "#blocked" in rendered.html
    for scheme in ("javascript:", "vbscript:", "data:"):
        assert scheme not in rendered.html.lower()


def test_script_url_in_an_object_is_neutralised_in_the_built_page(built) -> None:
    site, _ = built
    (site / "content/world/obj.md").write_text(
        article("Object", body='Text.\n\n<object data="javascript:alert(1)"></object>\n')
    )
    assert cli(site).returncode == 0
    page = (site / "output/world/object/index.html").read_text()
    assert 'data="#blocked"' in page and "javascript:" not in page


@pytest.mark.parametrize(
    "html",
    [
        '<div data-src="javascript:x">kept as text of a data attribute</div>',
        '<a href="https://example.org/" data="x">ok</a>',
        '<img src="/a.jpg" srcset="/a.jpg 1x, /a@2x.jpg 2x" alt="">',
    ],
)
def test_ordinary_attributes_are_kept(html: str) -> None:
    rendered = render_markdown(html + "\n")
    assert "#blocked" not in rendered.html
