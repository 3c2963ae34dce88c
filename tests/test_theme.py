"""The frontier theme without a browser: budgets, no external requests, and the markup readers rely on."""

from __future__ import annotations

import io
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pytest
from conftest import article, read, run_build
from markupsafe import Markup, escape
from PIL import Image

from broadsheet.render.theme import SiteEnvironment, load_theme, make_environment
from broadsheet.speedups.jinja import escape_output

THEME = Path(__file__).resolve().parent.parent / "broadsheet" / "themes" / "frontier"
CSS_BUDGET = 30 * 1024
CODE_CSS_BUDGET = 6 * 1024
JS_BUDGET = 5 * 1024
#: The only template allowed to name other sites: share links are plain URLs to them.
SHARE_TEMPLATE = THEME / "templates" / "partials" / "share.html"

SITE_YML = """\
title: Test Times
tagline: All the news that fits
base_url: https://news.example.org/
timezone: UTC
logo: /images/logo.svg
about: Test Times has covered the test beat since 1901.
social:
  - {name: Mastodon, url: "https://social.example/@times"}
  - {name: RSS, url: /feed.xml}
categories:
  - {name: World, description: News from everywhere}
  - {name: Sport, description: Every result}
authors:
  ana: {name: Ana Lima, bio: Covers the world., avatar: /images/ana.png, role: World editor}
pagination: {per_page: 2}
"""

BODY = """\
The opening paragraph of the story.

## What happened

A paragraph with a footnote.[^1]

> "A quotation from a witness," she said.

| Town | Rain |
| --- | --- |
| Millbrook | 80 mm |

[^1]: The footnote.
"""


def png(size: tuple[int, int]) -> bytes:
    """A small PNG file."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 60, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def site(make_site) -> Path:  # type: ignore[no-untyped-def]
    """A small newsroom built with the frontier theme."""
    root = make_site(
        {
            "site.yml": SITE_YML,
            "static/images/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"></svg>',
            "static/images/ana.png": png((256, 256)),
            "static/images/flood.png": png((1200, 675)),
            "content/world/flood.md": article(
                "Flood hits Millbrook & Saltmarsh",
                date="2026-11-20T10:00:00",
                body=BODY,
                author="ana",
                tags=["Floods", "Corran"],
                image="/images/flood.png",
                image_alt="Water in the high street",
                image_caption="Millbrook on Tuesday.",
                source="VOA",
                source_url="https://www.voanews.com/a/1",
                updated="2026-11-21T08:00:00",
            ),
            "content/world/rain.md": article(
                "Rain warning for the Corran",
                date="2026-11-19T10:00:00",
                tags=["Floods", "Corran"],
                image="/images/flood.png",
            ),
            "content/world/wire.md": article(
                "Wire story without link", date="2026-11-18T10:00:00", source="VOA", tags=["Corran"]
            ),
            "content/sport/cup.md": article("Cup run ends", date="2026-11-17T10:00:00", tags=["Floods"]),
            "content/pages/about.md": "---\ntitle: About us\n---\n\nWe are a newspaper.\n",
        }
    )
    run_build(root)
    return root


class Tags(HTMLParser):
    """Collect every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str, name: str) -> list[dict[str, str | None]]:
    """Attributes of every ``name`` element in ``html``."""
    parser = Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if tag == name]


def text(html: str) -> str:
    """The page's text with tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- budgets and external requests -------------------------------------------------------


def test_css_and_js_stay_within_budget() -> None:
    # Every page loads all the CSS but code.css, which only pages with highlighted code link.
    code = (THEME / "static" / "css" / "code.css").stat().st_size
    css = sum(p.stat().st_size for p in THEME.rglob("*.css")) - code
    js = sum(p.stat().st_size for p in THEME.rglob("*.js"))
    assert 0 < css < CSS_BUDGET, f"CSS is {css} bytes"
    assert 0 < code < CODE_CSS_BUDGET, f"code.css is {code} bytes"
    assert 0 < js < JS_BUDGET, f"JS is {js} bytes"


def test_no_external_urls_outside_share_links() -> None:
    offenders = []
    for path in sorted(THEME.rglob("*")):
        if path.suffix not in (".css", ".js", ".html") or path == SHARE_TEMPLATE:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"https?://|(?:src|href)=[\"']//|url\(\s*[\"']?//|@import", line):
                offenders.append(f"{path.relative_to(THEME)}:{n}: {line.strip()}")
    assert not offenders, "external URLs in the theme:\n" + "\n".join(offenders)


def test_dark_scheme_follows_the_system() -> None:
    css = (THEME / "static" / "css" / "style.css").read_text(encoding="utf-8")
    assert re.search(r"@media\s*\(\s*prefers-color-scheme:\s*dark\s*\)", css)
    assert ":focus-visible" in css


# ---- every page ----------------------------------------------------------------------------


def test_every_img_has_width_height_and_alt(site: Path) -> None:
    pages = sorted((site / "output").rglob("*.html"))
    assert pages
    for page in pages:
        for img in tags(page.read_text(encoding="utf-8"), "img"):
            where = f"{page.relative_to(site / 'output')}: {img}"
            assert img.get("alt") is not None, where
            assert (img.get("width") or "").isdigit() and (img.get("height") or "").isdigit(), where


def test_real_image_sizes_and_lazy_loading(site: Path) -> None:
    page = read(site, "world/flood-hits-millbrook-saltmarsh/index.html")
    imgs = {i["src"]: i for i in tags(page, "img")}
    hero = next(i for i in tags(page, "img") if i["alt"] == "Water in the high street")
    assert (hero["width"], hero["height"]) == ("1200", "675")
    assert "loading" not in hero and hero.get("fetchpriority") == "high"
    assert (imgs["/images/logo.svg"]["width"], imgs["/images/logo.svg"]["height"]) == ("64", "64")
    related = page.split('<section class="related"')[1].split("</section>")[0]
    assert all(i.get("loading") == "lazy" for i in tags(related, "img"))


def test_chrome_on_every_page(site: Path) -> None:
    for rel in (
        "index.html",
        "world/flood-hits-millbrook-saltmarsh/index.html",
        "category/world/index.html",
        "tag/floods/index.html",
        "author/ana/index.html",
        "about/index.html",
        "404.html",
    ):
        page = read(site, rel)
        assert '<a class="skip-link" href="#main">' in page, rel
        assert '<main id="main"' in page and "<footer" in page and "<header" in page, rel
        assert 'datetime="2026-11-29" data-today>Sunday, 29 November 2026</time>' in page, rel
        assert 'href="https://social.example/@times"' in page, rel
        assert "Test Times has covered the test beat since 1901." in page, rel
        assert "© 2026 Test Times – All Right Reserved." in page, rel
        forms = tags(page, "form")
        assert {"role": "search", "action": "/search/", "method": "get", "class": "search"} in forms, rel
        assert any(i.get("name") == "q" for i in tags(page, "input")), rel
        assert 'href="/about/"' in page, rel
        assert '<script src="/theme/js/site.js" defer></script>' in page, rel
        assert page.index('href="/category/world/"') < page.index('href="/category/sport/"'), rel


def test_current_section_is_marked(site: Path) -> None:
    nav = read(site, "category/world/index.html").split('<nav class="sections"')[1].split("</nav>")[0]
    assert '<a href="/category/world/" aria-current="page">World</a>' in nav
    nav = read(site, "world/flood-hits-millbrook-saltmarsh/index.html").split('<nav class="sections"')[1]
    assert '<a href="/category/world/" aria-current="true">World</a>' in nav.split("</nav>")[0]
    home_nav = read(site, "index.html").split('<nav class="sections"')[1].split("</nav>")[0]
    assert '<a href="/" aria-current="page">Home</a>' in home_nav


# ---- article page ------------------------------------------------------------------------------


def test_article_page(site: Path) -> None:
    page = read(site, "world/flood-hits-millbrook-saltmarsh/index.html")
    crumbs = page.split('<nav class="breadcrumb" aria-label="Breadcrumb">')[1].split("</nav>")[0]
    assert '<a href="/">Home</a>' in crumbs and '<a href="/category/world/">World</a>' in crumbs
    assert '<span aria-current="page">Flood hits Millbrook &amp; Saltmarsh</span>' in crumbs
    assert text(crumbs).strip() == "Home » World » Flood hits Millbrook &amp; Saltmarsh"
    assert '<h1 class="headline" data-pagefind-body' in page and ">Flood hits Millbrook &amp; Saltmarsh</h1>" in page
    assert 'by <a href="/author/ana/" rel="author">Ana Lima</a>' in page
    assert '<time datetime="2026-11-20T10:00:00+00:00">20 November 2026, 10:00</time>' in page
    assert "Updated <time" in page and "min read" in page
    assert "<figcaption data-pagefind-ignore>Millbrook on Tuesday.</figcaption>" in page
    assert 'Source : <a href="https://www.voanews.com/a/1">VOA</a>' in page
    assert '<a href="/tag/floods/">Floods</a>' in page
    assert "<blockquote>" in page and "<table>" in page and 'class="footnote"' in page
    assert 'href="#what-happened"' in page  # the table of contents
    assert "World editor" in page and "Covers the world." in page


def test_wire_credit_without_link(site: Path) -> None:
    page = read(site, "world/wire-story-without-link/index.html")
    assert '<p class="source">Source : VOA</p>' in page
    assert 'class="toc-box"' not in page  # no subheadings, no table of contents


def test_share_links_are_plain_urlencoded_urls(site: Path) -> None:
    page = read(site, "world/flood-hits-millbrook-saltmarsh/index.html")
    share = page.split('<div class="share">')[1].split("</div>")[0]
    encoded = "https%3A//news.example.org/world/flood-hits-millbrook-saltmarsh/"
    assert f'href="mailto:?subject=Flood%20hits%20Millbrook%20%26%20Saltmarsh&amp;body={encoded}"' in share
    for host in ("mastodonshare.com", "www.facebook.com", "x.com", "www.linkedin.com"):
        assert re.search(rf'href="https://{re.escape(host)}/[^"]*{re.escape(encoded)}"', share), host
    assert "<script" not in share


def test_related_block_markup(site: Path) -> None:
    page = read(site, "world/flood-hits-millbrook-saltmarsh/index.html")
    related = page.split('<section class="related"')[1].split("</section>")[0]
    assert "You may also like" in related
    hrefs = [a["href"] for a in tags(related, "a")]
    assert hrefs and hrefs[0] == "/world/rain-warning-for-the-corran/"
    assert len(hrefs) == len(set(hrefs)), "one link per card"
    assert "/world/flood-hits-millbrook-saltmarsh/" not in hrefs
    assert 'rel="prev" href="/world/rain-warning-for-the-corran/"' in page


# ---- front page, listings, 404 ----------------------------------------------------------------------


def test_front_page(site: Path) -> None:
    page = read(site, "index.html")
    lead = page.split('class="lead-stories"')[1].split("</section>")[0]
    assert "Flood hits Millbrook" in lead and 'fetchpriority="high"' in lead
    assert 'id="section-world"' in page and 'id="section-sport"' in page
    # Every story above the sections once: lead, latest and the earlier list share none.
    above = page.split('class="section-block"')[0]
    links = re.findall(r'class="card-title"><a href="([^"]+)"|<li>\s*<a href="([^"]+)"', above)
    shown = [a or b for a, b in links]
    assert shown and len(shown) == len(set(shown)), shown
    assert 'aria-label="Pages"' in page and 'href="/page/2/"' in page


def test_listing_pages(site: Path) -> None:
    world = read(site, "category/world/index.html")
    assert '<h1 class="listing-title">World</h1>' in world and "News from everywhere" in world
    assert 'href="/category/world/page/2/"' in world
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1' in world
    author = read(site, "author/ana/index.html")
    assert "Covers the world." in author and 'src="/images/ana.png"' in author
    assert '<h1 class="listing-title">Floods</h1>' in read(site, "tag/floods/index.html")
    assert "Latest news" in read(site, "page/2/index.html")


def test_not_found_page(site: Path) -> None:
    page = read(site, "404.html")
    assert "Page not found" in page and 'class="card' in page
    assert 'id="not-found-search"' in page and 'id="site-search"' in page


def test_a_site_theme_overrides_one_partial(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site(
        {
            "site.yml": SITE_YML + "theme: courier\n",
            "themes/courier/theme.yml": "name: courier\nextends: frontier\n",
            "themes/courier/templates/partials/extra_head.html": (
                '<link rel="stylesheet" href="/theme/css/courier.css">\n'
            ),
            "themes/courier/templates/partials/footer.html": (
                "<footer>{{ site.copyright }} Printed in Port Alder.</footer>\n"
            ),
            "themes/courier/static/css/courier.css": ":root { --accent: #005a8d; }\n",
            "content/world/a.md": article("Alpha"),
        }
    )
    run_build(root)
    page = read(root, "world/alpha/index.html")
    assert '<link rel="stylesheet" href="/theme/css/style.css">' in page
    assert '<link rel="stylesheet" href="/theme/css/courier.css">' in page
    assert "Printed in Port Alder." in page and '<nav class="breadcrumb"' in page
    assert (root / "output/theme/css/courier.css").is_file() and (root / "output/theme/css/style.css").is_file()


# ---- the Jinja environment writes what plain Jinja would ---------------------------------


class MarkupSubclass(Markup):
    """Markup of another class, which escape_output leaves to escape."""


class StrSubclass(str):
    """A string of another class, which escape_output leaves to escape."""

    __slots__ = ()


class Shown:
    """An object templates print through its ``__html__``."""

    def __html__(self) -> str:
        return "<b>shown</b>"


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'Tom & Jerry\'s <b>"best"</b>',
        "",
        Markup("<i>safe</i>"),
        1200,
        -3,
        True,
        None,
        2.5,
        Shown(),
        ["<a>"],
        MarkupSubclass("<s>x</s>"),
        StrSubclass("<u>"),
    ],
)
def test_escape_output_writes_the_text_escape_writes(value: object) -> None:
    assert escape_output(value) == str(escape(value))


TEMPLATES = {
    "page.html": (
        "{% import 'macros.html' as m %}{% set block %}<p>{{ title }}</p>{% endset %}{{ block }}|"
        "{% filter upper %}{{ title }}{% endfilter %}|{{ m.wrap(title) }}|{% call m.box() %}{{ title }}{% endcall %}|"
        "{{ title ~ html }}|{{ html }}|{{ count }}|{{ flag }}|{{ none }}|{{ items }}|"
        "{% autoescape false %}{{ title }}{% endautoescape %}|{% autoescape raw %}{{ title }}{% endautoescape %}|"
        "{% include 'card.html' %}|{{ title | e }}|{{ title | safe }}|"
        "{% for i in [1, 2] %}{{ m.wrap(i) }}{{ shout() }}{{ m.wrap(v=loop.index) }}{% endfor %}"
    ),
    "macros.html": (
        "{% macro wrap(v) %}<em>{{ v }}</em>{% endmacro %}{% macro box() %}<div>{{ caller() }}</div>{% endmacro %}"
    ),
    "card.html": "<article>{{ title }} {{ count }}</article>",
    "feed.txt": "{{ title }} {{ html }}",
}


@pytest.mark.parametrize("name", ["page.html", "feed.txt"])
def test_site_environment_renders_what_jinja_renders(name: str) -> None:
    options: dict[str, Any] = {
        "loader": jinja2.DictLoader(TEMPLATES),
        "undefined": jinja2.StrictUndefined,
        "autoescape": jinja2.select_autoescape(["html"], default_for_string=True),
    }
    context = {
        "title": "Tom & Jerry's <b>",
        "html": Markup("<p>x</p>"),
        "count": 3,
        "flag": False,
        "none": None,
        "items": ["<a>"],
        "raw": False,
    }
    plain, ours = jinja2.Environment(**options), SiteEnvironment(**options)
    for env in (plain, ours):  # a function that asks for the context gets it
        env.globals["shout"] = jinja2.pass_context(lambda ctx: ctx["title"].upper())
    expected = plain.get_template(name).render(context)
    assert ours.get_template(name).render(context) == expected
    with pytest.raises(jinja2.UndefinedError):
        SiteEnvironment(**options).from_string("{{ missing }}").render()


def frontier_environment(root: Path, files_fixed: bool = False) -> jinja2.Environment:
    """The frontier theme's environment for a site at ``root``, in the New York time zone."""
    tz = ZoneInfo("America/New_York")
    return make_environment(
        load_theme("frontier", root), "https://example.org/", lambda d: d.astimezone(tz), root, files_fixed=files_fixed
    )


def test_date_filters_tell_apart_the_two_readings_of_a_repeated_hour(tmp_path: Path) -> None:
    env = frontier_environment(tmp_path)
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    assert first == second  # same zone: Python compares the clock readings and ignores fold
    out = env.from_string(
        '{{ a | isodate }} {{ b | isodate }} {{ a | date("%H:%M %Z") }} {{ b | date("%H:%M %Z") }}'
    ).render(a=first, b=second)
    assert out == "2026-11-01T01:30:00-04:00 2026-11-01T01:30:00-05:00 01:30 EDT 01:30 EST"


def test_picture_sizes_are_read_again_only_in_a_live_preview(tmp_path: Path) -> None:
    picture = tmp_path / "static" / "images" / "a.png"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(png((30, 20)))
    live, build = frontier_environment(tmp_path), frontier_environment(tmp_path, files_fixed=True)
    for env in (live, build):
        assert env.globals["image_size"]("/images/a.png") == (30, 20)
        assert env.globals["image_size"]("/images/none.png") is None
    picture.write_bytes(png((300, 200)))
    (tmp_path / "static" / "images" / "none.png").write_bytes(png((8, 8)))
    assert live.globals["image_size"]("/images/a.png") == (300, 200)
    assert live.globals["image_size"]("/images/none.png") == (8, 8)
    assert build.globals["image_size"]("/images/a.png") == (30, 20)
    assert build.globals["image_size"]("/images/none.png") is None


def test_a_story_dated_by_a_day_shows_no_made_up_time(make_site) -> None:  # type: ignore[no-untyped-def]
    """An imported archive's `date: 2021-10-14` is a day: the byline and the front page's "Earlier" list show
    the day alone; a story given a time, midnight included, shows it."""
    site = make_site(
        {
            "content/world/day.md": article("Day story", date="2021-10-14"),
            "content/world/midnight.md": article("Midnight story", date="2021-10-15T00:00:00"),
            **{f"content/world/s{i}.md": article(f"Lead {i}", date=f"2021-10-{16 + i}T09:00:00") for i in range(12)},
        }
    )
    run_build(site)
    day, midnight = read(site, "world/day-story/index.html"), read(site, "world/midnight-story/index.html")
    assert re.search(r'class="byline-meta"><time datetime="2021-10-14T00:00:00[^"]*">14 October 2021</time>', day)
    assert ">15 October 2021, 00:00</time>" in midnight
    front = read(site, "index.html")
    assert ">14 Oct</time>" in front and ">15 Oct, 00:00</time>" in front
