"""Hostile and broken input, and faults: never publish what must not be, never lose work, never crash."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, article, build_errors, read, run_build
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.content.discover import SourceFile
from broadsheet.content.frontmatter import parse_document
from broadsheet.errors import BuildFailed, ContentError, UsageError
from broadsheet.write.commit import STAGING, check_output_dir


def _all_output(site: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in (site / "output").rglob("*") if p.is_file())


def test_huge_front_matter_is_an_error(make_site) -> None:
    big = '---\ntitle: x\ndate: 2026-11-20\nnotes: "' + "a" * 2_000_000 + '"\n---\nBody\n'
    site = make_site({"content/world/big.md": big, "content/world/ok.md": article("Fine")})
    [message] = build_errors(site)
    assert message.startswith("content/world/big.md:1: front matter is") and "KiB" in message


def test_deep_nesting_in_front_matter_is_an_error(make_site) -> None:
    deep = "---\ntitle: x\ndate: 2026-11-20\nx: " + "[" * 5000 + "]" * 5000 + "\n---\nBody\n"
    site = make_site({"content/world/deep.md": deep})
    [message] = build_errors(site)
    assert message.startswith("content/world/deep.md:")


# Emphasis nested past the converter's depth (Python-Markdown 3.11.4 and later stop nesting lists and
# quotes at a depth of their own: those build, see the next test).
@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, "*" * 3000 + "x" + "*" * 3000])
def test_pathological_markdown_fails_that_file_only(make_site, body: str) -> None:
    site = make_site({"content/world/p.md": article("Patho", body=body), "content/world/ok.md": article("Fine")})
    [message] = build_errors(site)
    assert message.startswith("content/world/p.md:")


def test_deeply_nested_lists_and_quotes_build(make_site) -> None:
    lists = "\n".join("  " * i + "- x" for i in range(600))
    quotes = "\n".join(">" * i + " y" for i in range(1, 600))
    site = make_site(
        {"content/world/l.md": article("Lists", body=lists), "content/world/q.md": article("Quotes", body=quotes)}
    )
    run_build(site)
    assert (site / "output/world/lists/index.html").read_text(encoding="utf-8").count("<ul>") >= 100
    assert (site / "output/world/quotes/index.html").read_text(encoding="utf-8").count("<blockquote>") >= 100


def test_many_backticks_and_huge_body_build(make_site) -> None:
    site = make_site(
        {
            "content/world/b.md": article("Ticks", body="`" * 5000),
            "content/world/h.md": article("Huge", body=("word " * 200 + "\n\n") * 500),
        }
    )
    run_build(site)
    assert (site / "output/world/huge/index.html").stat().st_size > 500_000


@pytest.mark.parametrize("field", ["slug", "category"])
@pytest.mark.parametrize("value", ["../escape", "..%2fescape", "/etc/passwd", "a\\b", "..", "../output-evil"])
def test_paths_that_leave_the_output_are_errors(make_site, field: str, value: str) -> None:
    site = make_site({"content/world/x.md": article("X", **{field: value})})
    errors = build_errors(site)
    assert errors and all(e.startswith("content/world/x.md") for e in errors), errors
    assert not (site.parent / "output-evil").exists() and not (site / "escape").exists()


@pytest.mark.parametrize(
    "alias", ["/../x/", "/a/..%2f..%2fx/", "/%252e%252e/x/", "/a\\..\\b/", "//evil.example/", "relative/", "/C:/x/"]
)
def test_aliases_that_leave_the_output_are_errors(make_site, alias: str) -> None:
    site = make_site({"content/world/x.md": article("X", aliases=[alias])})
    [message] = build_errors(site)
    assert message.startswith("content/world/x.md:")


def test_slugs_equal_after_normalisation_and_case_folding_conflict(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("Café society"),
            "content/world/b.md": article("CAFE\u0301 SOCIETY"),
        }
    )
    [message] = build_errors(site)
    assert "content/world/a.md" in message and "content/world/b.md" in message


@pytest.mark.parametrize("title", ["!!!", "🎉🎉🎉", "\u200f\u200e", "\u200b\u200b", "CON", "nul", "LPT1"])
def test_hostile_titles_get_a_portable_slug(make_site, title: str) -> None:
    site = make_site({"content/world/x.md": article(title)})
    result = run_build(site)
    [a] = result.loaded.site.articles
    segment = a.url.strip("/").split("/")[-1]
    assert segment and segment.isascii() and segment.lower() not in {"con", "nul", "lpt1", "prn", "aux"}
    assert (site / "output" / a.url.strip("/") / "index.html").is_file()


def test_naive_and_aware_dates_mixed(make_site) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntimezone: Asia/Tokyo\n",
            "content/world/a.md": article("Naive", date="2026-11-20T10:00:00"),
            "content/world/b.md": article("Aware", date="2026-11-20T02:00:00+00:00"),
        }
    )
    result = run_build(site)
    # 10:00 in Tokyo is 01:00 UTC: the aware 02:00 UTC story is newer.
    assert [a.title for a in result.loaded.site.articles] == ["Aware", "Naive"]


def test_no_false_in_headlines(make_site) -> None:
    site = make_site({"content/world/a.md": "---\ntitle: 'no'\ndate: 2026-11-20\ntags: [no, 'yes']\n---\nBody\n"})
    [message] = build_errors(site)
    assert "content/world/a.md:4:" in message and "tags" in message


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:x",
        "java\tscript:x",
        "&#106;avascript:x",
        "vbscript:x",
        "data:text/html;base64,PHNjcmlwdD4=",
    ],
)
@pytest.mark.parametrize("field", ["image", "source_url"])
def test_script_urls_in_front_matter_are_refused(make_site, field: str, url: str) -> None:
    site = make_site({"content/world/x.md": article("X", source="VOA", **{field: url})})
    [message] = build_errors(site)
    assert message.startswith("content/world/x.md:") and field in message


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](&#106;avascript:a)",
        '<a href="java&#x09;script:a">x</a>',
        "<a href=' data:text/html,x'>x</a>",
        "[x](vbscript:a)",
        "![i](data:image/svg+xml,<svg onload=alert(1)>)",
    ],
)
def test_script_urls_in_bodies_are_neutralised(make_site, link: str) -> None:
    site = make_site({"content/world/x.md": article("X", body=f"Read {link} now.")})
    run_build(site)
    body = read(site, "world/x/index.html")
    for bad in ("javascript:", "vbscript:", "data:text", "data:image", "&#106;avascript", "java&#x09;script"):
        assert bad not in body.lower()
    assert "#blocked" in body


def test_markup_in_metadata_is_escaped(make_site) -> None:
    evil = "<img src=x onerror=alert(1)>"
    site = make_site(
        {
            "site.yml": 'title: T\nbase_url: https://x.example/\nauthors:\n  e: {name: "<b>Eve</b>"}\n',
            "content/world/x.md": article(f"Headline {evil}", author="e", tags=[evil], summary=evil, source=evil),
        }
    )
    run_build(site)
    html = _all_output(site)
    assert "<img src=x onerror" not in html and "<b>Eve</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_symlinks_leading_outside_are_not_followed(make_site, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwords.md").write_text(article("Leaked secret"))
    (secret / "key.txt").write_text("TOP SECRET KEY")
    site = make_site({"content/world/a.md": article("Alpha"), "static/ok.txt": "fine"})
    os.symlink(secret / "passwords.md", site / "content/world/leak.md")
    os.symlink(secret, site / "content/leaks")
    os.symlink(secret / "key.txt", site / "static/key.txt")
    os.symlink(secret, site / "static/dir")
    result = run_build(site)
    assert "Leaked secret" not in _all_output(site) and "TOP SECRET" not in _all_output(site)
    assert len([w for w in result.warnings if "symbolic link" in w.message]) == 4
    with pytest.raises(BuildFailed):
        run_build(site, strict=True)


def test_template_symlink_out_of_theme_is_refused(make_site, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.html"
    outside.write_text("STOLEN {{ page.title }}")
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntheme: mine\n",
            "themes/mine/theme.yml": "extends: frontier\n",
            "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
        }
    )
    (site / "themes/mine/templates").mkdir(parents=True)
    os.symlink(outside, site / "themes/mine/templates/page.html")
    errors = build_errors(site)
    assert any("page.html" in e and "not followed" in e for e in errors), errors


@pytest.mark.parametrize("where", ["site", "content", "parent", "home", "static"])
def test_dangerous_output_folders_are_refused(make_site, where: str) -> None:
    site = make_site({"content/world/a.md": article("A"), "static/x.txt": "x"})
    target = {
        "site": site,
        "content": site / "content",
        "parent": site.parent,
        "home": Path.home(),
        "static": site / "static" / "out",
    }[where]
    with pytest.raises(UsageError):
        check_output_dir(target, site)


def test_sibling_output_with_shared_prefix_is_fine(make_site) -> None:
    site = make_site({"content/world/a.md": article("A")})
    run_build(site, output=site.parent / (site.name + "-output"))
    assert (site.parent / (site.name + "-output") / "index.html").is_file()


def test_full_disk_while_staging_leaves_previous_output(make_site, monkeypatch) -> None:
    site = make_site({"content/world/a.md": article("Alpha")})
    run_build(site)
    out = site / "output"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (site / "content/world/a.md").write_text(article("Alpha changed"))
    calls = {"n": 0}
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:  # type: ignore[override]
        calls["n"] += 1
        if STAGING in str(self) and calls["n"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    errors = build_errors(site)
    assert any("No space left on device" in e for e in errors), errors
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not (out / STAGING).exists()


def test_file_deleted_during_build_is_left_out(tmp_path: Path) -> None:
    gone = SourceFile(str(tmp_path / "content/world/gone.md"), "content/world/gone.md", False)
    doc, errors, warnings = parse_document(gone, __import__("zoneinfo").ZoneInfo("UTC"))
    assert doc is None and errors == [] and "disappeared" in warnings[0].message


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".broadsheet" not in p.as_posix()
    }


@pytest.mark.slow
def test_killed_builds_never_leave_a_mixed_output(make_site, tmp_path: Path) -> None:
    """SIGKILL at many moments: after the next run's recovery the output is the old site or the new."""
    files = {
        f"content/world/a{i}.md": article(
            f"Story {i}", date=f"2026-11-{1 + i % 28:02d}T0{i % 10}:00:00", body="Words. " * 300
        )
        for i in range(150)
    }
    site = make_site(files)
    cmd = [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--jobs", "1", "--quiet"]
    subprocess.run(cmd, check=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1795000000"})
    old = _tree(site / "output")
    for i in range(150):
        p = site / f"content/world/a{i}.md"
        p.write_text(p.read_text().replace("Words.", "Changed words."))
    new_dir = tmp_path / "new"
    subprocess.run([*cmd, "--output", str(new_dir)], check=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1795000000"})
    new = _tree(new_dir)
    assert old != new
    for delay in (0.2, 0.5, 0.8, 1.1, 1.4, 1.8, 2.5):
        proc = subprocess.Popen(cmd, env={**os.environ, "SOURCE_DATE_EPOCH": "1795000000"})
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        from broadsheet.write.commit import recover

        recover(site / "output")  # what the next build does first
        assert _tree(site / "output") in (old, new), delay
        assert not (site / "output" / STAGING).exists()


def test_interrupt_leaves_previous_output(make_site) -> None:
    files = {f"content/world/a{i}.md": article(f"Story {i}", body="Words. " * 300) for i in range(300)}
    site = make_site(files)
    cmd = [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--quiet", "--jobs", "1"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate()
    assert "Traceback" not in err
    if proc.returncode != 0:  # interrupted before the end (not a finished build)
        assert proc.returncode == 130 and "Interrupted" in err
        assert not (site / "output" / "index.html").exists() or not (site / "output" / STAGING).exists()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_front_matter_never_crashes(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "x.md"
    path.write_bytes(("---\n" + text).encode("utf-8", "surrogatepass"))
    source = SourceFile(str(path), "content/x.md", False)
    doc, errors, _ = parse_document(source, __import__("zoneinfo").ZoneInfo("UTC"))
    assert (doc is None) == bool(errors)
    for e in errors:
        assert isinstance(e, ContentError) and e.path == "content/x.md"


def test_raw_html_trusted_by_default_and_cleaned_when_asked(make_site) -> None:
    body = (
        'Intro.\n\n<div class="embed"><script>track()</script><p onclick="x()">Chart</p></div>\n\n'
        "## Sub\n\nNote[^1]\n\n[^1]: x"
    )
    site = make_site({"content/world/x.md": article("X", body=body)})
    run_build(site)
    assert "<script>track()</script>" in read(site, "world/x/index.html")
    yml = site / "site.yml"
    yml.write_text(yml.read_text() + "sanitize: true\n")
    run_build(site)
    page = read(site, "world/x/index.html")
    body_html = page.split("<p>Intro.</p>")[1]
    assert "track()" not in body_html and "onclick" not in body_html and "Chart" in body_html
    assert 'id="sub"' in body_html and 'href="#fn:1"' in body_html


def test_pathological_markdown_names_the_line_in_the_file(make_site) -> None:
    body = "Fine first paragraph.\n\n" + "[" * 1200 + "\n"
    site = make_site({"content/world/p.md": article("Patho", body=body)})
    [message] = build_errors(site)
    # "---", title, date, "---" are lines 1-4; a blank line, the paragraph, a blank line: brackets on line 8
    assert message.startswith("content/world/p.md:8:"), message
