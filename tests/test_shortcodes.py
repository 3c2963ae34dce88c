"""Shortcodes: ``{{< name args >}}`` in Markdown, expanded by Jinja macros from the site, its theme or Broadsheet."""

from __future__ import annotations

from conftest import MINIMAL_SITE_YML, article, build_errors, read, run_build


def _page(make_site, body: str, files: dict[str, str] | None = None) -> str:
    site = make_site({"content/world/a.md": article("A", body=body), **(files or {})})
    run_build(site)
    return read(site, "world/a/index.html")


def test_youtube_and_vimeo_are_privacy_friendly_lazy_embeds(make_site) -> None:
    page = _page(
        make_site, 'Intro.\n\n{{< youtube dQw4w9WgXcQ title="The clip" start=42 >}}\n\n{{< vimeo 76979871 >}}\n'
    )
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=42"' in page
    assert 'src="https://player.vimeo.com/video/76979871?dnt=1"' in page
    assert page.count('loading="lazy"') >= 2
    assert "<p><figure" not in page  # a block on its own, not wrapped in a paragraph
    assert '<script src="http' not in page and "<script async" not in page  # no third-party script


def test_arguments_are_escaped(make_site) -> None:
    page = _page(
        make_site,
        '{{< figure src="/a.jpg?x=1&y=2" alt="\\"><script>alert(1)</script>" caption="<b>bold</b>" >}}\n',
    )
    assert "<script>alert(1)</script>" not in page
    assert 'alt="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert 'src="/a.jpg?x=1&amp;y=2"' in page


def test_paired_shortcodes_get_their_inner_markdown(make_site) -> None:
    body = (
        '{{< pullquote cite="Mayor Ruiz" >}}We will *rebuild*.{{< /pullquote >}}\n\n'
        '{{< gallery caption="Flood day" >}}\n![One](/one.jpg)\n![Two](/two.jpg)\n{{< /gallery >}}\n\n'
        '{{< social url="https://mastodon.social/@meridian/1" author="Meridian" >}}'
        "Water is **rising**.{{< /social >}}\n\n"
        '{{< audio src="/clip.mp3" title="Interview" >}}\n\n'
        '{{< figure src="/f.jpg" >}}By [us](/about/){{< /figure >}}\n'
    )
    page = _page(
        make_site, body, {"static/one.jpg": "x", "static/two.jpg": "x", "static/clip.mp3": "x", "static/f.jpg": "x"}
    )
    assert (
        '<blockquote class="pullquote"><p>We will <em>rebuild</em>.</p><footer>— Mayor Ruiz</footer></blockquote>'
        in page
    )
    assert '<img alt="One" src="/one.jpg"' in page and "<figcaption>Flood day</figcaption>" in page
    assert '<blockquote class="social-post" cite="https://mastodon.social/@meridian/1">' in page
    assert "<strong>rising</strong>" in page and ">Mastodon</a>" in page
    assert '<audio controls preload="none" src="/clip.mp3">' in page
    assert '<figcaption><p>By <a href="/about/">us</a></p></figcaption>' in page


def test_social_scripts_only_when_configured(make_site) -> None:
    body = '{{< social url="https://x.com/meridian/status/1" text="Hello" >}}\n'
    assert "widgets.js" not in _page(make_site, body)
    yml = MINIMAL_SITE_YML + "markdown:\n  shortcodes:\n    social: {scripts: true}\n"
    site = make_site({"site.yml": yml, "content/world/a.md": article("A", body=body)}, name="scripts")
    run_build(site)
    page = read(site, "world/a/index.html")
    assert 'class="social-post twitter-tweet"' in page and 'src="https://platform.twitter.com/widgets.js"' in page


def test_code_and_escapes_are_left_as_text(make_site) -> None:
    body = (
        "```\n{{< youtube abc >}}\n```\n\nWrite {{</* youtube ID */>}} to embed a video.\n\n"
        "Or as code: `{{< youtube ID >}}`.\n"
    )
    page = _page(make_site, body)
    assert "Or as code: <code>{{&lt; youtube ID &gt;}}</code>." in page
    assert "<pre><code>{{&lt; youtube abc &gt;}}\n</code></pre>" in page
    assert "Write {{&lt; youtube ID &gt;}} to embed a video." in page
    assert "youtube-nocookie" not in page


def test_site_and_theme_shortcodes_override_and_extend(make_site) -> None:
    files = {
        "shortcodes/note.html": (
            '{% macro note(kind="info") %}<aside class="note {{ kind }}">{{ caller() }}</aside>{% endmacro %}'
        ),
        "shortcodes/youtube.html": "{% macro youtube(id) %}<p>Video {{ id }} (site's own)</p>{% endmacro %}",
    }
    page = _page(make_site, "{{< note warning >}}Mind the **gap**.{{< /note >}}\n\n{{< youtube abc >}}\n", files)
    assert '<aside class="note warning"><p>Mind the <strong>gap</strong>.</p></aside>' in page
    assert "Video abc (site's own)" in page and "nocookie" not in page


def test_unknown_and_wrong_shortcodes_are_errors_with_file_and_line(make_site) -> None:
    body = "\n\n".join(
        [
            "Para.",
            "{{< tweet 123 >}}",
            "{{< youtube >}}",
            "{{< youtube 'bad id!' >}}",
            "{{< vimeo 1 colour=red >}}",
            "{{< /pullquote >}}\n",
        ]
    )
    site = make_site({"content/world/a.md": article("A", body=body)})
    errors = build_errors(site)
    # The body starts on line 6 of the file (four lines of front matter, then a blank line).
    assert any(
        e.startswith("content/world/a.md:8: unknown shortcode 'tweet'") and "known shortcodes: audio" in e
        for e in errors
    ), errors
    assert any(e.startswith("content/world/a.md:10: shortcode 'youtube'") for e in errors), errors
    assert any(
        e.startswith("content/world/a.md:12: shortcode 'youtube': 'bad id!' is not a YouTube video id") for e in errors
    ), errors
    assert any(e.startswith("content/world/a.md:14: shortcode 'vimeo'") and "colour" in e for e in errors), errors
    assert any(e.startswith("content/world/a.md:16: closing shortcode") for e in errors), errors
    assert len(errors) == 5


def test_editing_a_site_shortcode_converts_the_bodies_again(make_site) -> None:
    files = {"shortcodes/hi.html": "{% macro hi() %}<p>one</p>{% endmacro %}"}
    site = make_site({"content/world/a.md": article("A", body="{{< hi >}}\n"), **files})
    run_build(site)
    assert "<p>one</p>" in read(site, "world/a/index.html")
    (site / "shortcodes/hi.html").write_text("{% macro hi() %}<p>two</p>{% endmacro %}", encoding="utf-8")
    run_build(site)
    assert "<p>two</p>" in read(site, "world/a/index.html")
