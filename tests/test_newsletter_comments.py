"""The newsletter signup block and the comments embed: configured in site.yml, absent otherwise."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_SITE_YML, article, build_errors, read, run_build
from tests.publishing_helpers import all_output_text

STORY = {"content/world/flood.md": article("Flood", category="World")}

NEWSLETTER = """\
newsletter:
  title: The Morning Post
  text: "News at 7am."
  action: https://lists.example.org/subscribe
  button: Join
  fields:
    - {name: EMAIL, type: email, label: Your email, required: true}
    - {name: consent, type: checkbox, label: I agree to the privacy notice, required: true}
    - {name: list, type: hidden, value: morning}
"""

#: What any comment embed would fetch: none of it may appear in a site without comments.
PROVIDER_MARKS = ("giscus", "remark42", "isso", "embed.js", "comments.js", 'class="comments"')


def test_newsletter_form_follows_site_yml(make_site: Callable[..., Path]) -> None:
    site = make_site({**STORY, "site.yml": MINIMAL_SITE_YML + NEWSLETTER})
    run_build(site)
    for page in ("index.html", "world/flood/index.html", "category/world/index.html"):
        html = read(site, page)
        form = re.search(r'<form class="newsletter-form"[^>]*>.*?</form>', html, re.DOTALL)
        assert form is not None, page
        assert 'action="https://lists.example.org/subscribe" method="post"' in form.group(0)
    form_html = form.group(0)
    assert '<label class="newsletter-label" for="newsletter-EMAIL">Your email</label>' in form_html
    assert 'id="newsletter-EMAIL" type="email" name="EMAIL" autocomplete="email" required>' in form_html
    assert '<input type="checkbox" name="consent" value="on" required> I agree to the privacy notice' in form_html
    assert '<input type="hidden" name="list" value="morning">' in form_html
    assert '<button class="newsletter-button" type="submit">Join</button>' in form_html
    assert '<h2 id="newsletter-title" class="newsletter-title">The Morning Post</h2>' in html


def test_newsletter_defaults_to_one_email_field(make_site: Callable[..., Path]) -> None:
    yml = MINIMAL_SITE_YML + "newsletter: {action: /subscribe/}\n"
    site = make_site({**STORY, "site.yml": yml})
    run_build(site)
    html = read(site, "index.html")
    assert 'type="email" name="email" autocomplete="email" required>' in html
    assert ">Sign up</button>" in html


def test_no_newsletter_and_no_comments_by_default(make_site: Callable[..., Path]) -> None:
    site = make_site(STORY)
    run_build(site)
    assert 'class="newsletter"' not in read(site, "index.html")
    pages = "\n".join(p.read_text() for p in (site / "output").rglob("*.html"))
    for mark in PROVIDER_MARKS:
        assert mark not in pages, mark
    assert "<form" not in read(site, "world/flood/index.html").replace('<form class="search"', "")


@pytest.mark.parametrize(
    ("block", "data"),
    [
        (
            "comments: {provider: giscus, repo: news/site, repo_id: R_1, category: Comments, category_id: DIC_2}\n",
            [
                'data-provider="giscus"',
                'data-repo="news/site"',
                'data-repo-id="R_1"',
                'data-category-id="DIC_2"',
                'data-host="https://giscus.app"',  # the public instance unless site.yml names a self-hosted one
            ],
        ),
        (
            "comments: {provider: remark42, host: 'https://remark.example.org', site_id: news}\n",
            ['data-provider="remark42"', 'data-host="https://remark.example.org"', 'data-site-id="news"'],
        ),
        (
            "comments: {provider: isso, host: 'https://isso.example.org/'}\n",
            ['data-provider="isso"', 'data-host="https://isso.example.org/"'],
        ),
    ],
)
def test_comments_embed_on_article_pages_only(make_site: Callable[..., Path], block: str, data: list[str]) -> None:
    site = make_site({**STORY, "site.yml": MINIMAL_SITE_YML + block})
    run_build(site)
    page = read(site, "world/flood/index.html")
    button = re.search(r'<button type="button" class="comments-load" hidden[^>]*>', page)
    assert button is not None
    for attr in data:
        assert attr in button.group(0)
    assert 'data-page="https://news.example.org/world/flood/"' in button.group(0)
    assert '<script src="/theme/js/comments.js" defer></script>' in page
    # Nothing is fetched from the provider by the page itself: only the first-party loader.
    assert not re.search(r'<script[^>]+src="https?://', page)
    assert 'class="comments"' not in read(site, "index.html")


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("newsletter: {title: News}\n", "site.yml:11: 'newsletter' needs an action"),
        ("newsletter: {action: 'javascript:alert(1)'}\n", "site.yml:11: 'newsletter.action' must be an https:// URL"),
        (
            "newsletter:\n  action: /s/\n  fields:\n    - {name: email, type: phone, label: P}\n",
            "site.yml:14: newsletter field type 'phone' is not one of",
        ),
        (
            "newsletter:\n  action: /s/\n  fields:\n    - {name: email}\n",
            "site.yml:14: newsletter field 'email' needs a label",
        ),
        ("comments: {provider: disqus}\n", "site.yml:11: comments.provider must be one of giscus, remark42, isso"),
        ("comments: {provider: giscus, repo: a/b}\n", "site.yml:11: comments with giscus need 'repo_id'"),
        ("comments: {provider: isso, host: ftp://x}\n", "site.yml:11: 'comments.host' must be an https:// URL"),
    ],
)
def test_bad_settings_are_named_with_their_line(make_site: Callable[..., Path], block: str, expected: str) -> None:
    errors = build_errors(make_site({**STORY, "site.yml": MINIMAL_SITE_YML + block}))
    assert any(e.startswith(expected) for e in errors), errors


def test_example_newsroom_comments_make_no_request_on_their_own(tmp_path: Path) -> None:
    from tests.conftest import REPO

    result = run_build(REPO, output=tmp_path / "out")
    assert result.loaded.config.comments is not None
    text = all_output_text(tmp_path / "out")
    assert "comments.courier.example.org" in text
    assert not re.search(r'<script[^>]+src="https://comments', text)
