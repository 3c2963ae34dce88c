"""Bad input: every problem listed with path:line and a hint; exit 1; previous output untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, article, build_errors, run_build


def _one(errors: list[str]) -> str:
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("---\ntitle: no\ndate: 2026-11-20\n---\nBody\n", 2, "put the value in quotes"),
        ("---\ntitle: 12:30\ndate: 2026-11-20\n---\nBody\n", 2, "quotes"),
        ("---\ntitle: 1.10\ndate: 2026-11-20\n---\nBody\n", 2, "quotes"),
        ("---\ntitle: Breaking: fire\ndate: 2026-11-20\n---\nBody\n", 2, "invalid front matter YAML"),
        ("---\ntitle: Fine\ndate: 2024-13-45\n---\nBody\n", 3, "not a valid date"),
        ('---\ntitle: "Unclosed\ndate: 2026-11-20\nauthor: ana\n---\nBody\n', 2, "quote opened on this line"),
        ("---\ntitle: A\ntags: [a, b\ndate: 2026-11-20\nauthor: ana\n---\nBody\n", 3, "'[' opened on this line"),
        ("---\ntitle: 'It's here'\ndate: 2026-11-20\n---\nBody\n", 2, "double a ' inside"),
        ("---\ntitle: Fine\ndate: 2024-02-30\n---\nBody\n", 3, "not a valid date"),
        ("---\ntitle: Fine\n---\nBody\n", 1, "'date' is missing"),
        ("---\ndate: 2026-11-20\n---\nBody\n", 1, "'title' is missing"),
        ("---\ntitle: Fine\ndate: 2026-11-20\ndraft: maybe\n---\nBody\n", 4, "true or false"),
        ("---\ntitle: Fine\ndate: 2026-11-20\ntags: {a: 1}\n---\nBody\n", 4, "must be a list"),
        ("---\ntitle: Never closed\ndate: 2026-11-20\nBody\n", 1, "never closed"),
        ("", 1, "empty"),
        ("   \n\n", 1, "empty"),
        ("Just text, no front matter\n", 1, "first line must be '---'"),
        ("---\n- a\n- b\n---\nBody\n", 2, "not a list"),
        ("---\njust a scalar\n---\nBody\n", 2, "not a str"),
        ("---\ntitle: x\ndate: 2026-11-20\nobj: !!python/object/apply:os.system ['echo hi']\n---\n", 4, "YAML tags"),
        ("---\ntitle: Fine\ndate: 2026-11-20\nslug: ../../etc\n---\nBody\n", 4, "may not contain"),
        ("---\ntitle: Fine\ndate: 2026-11-20\ncategory: ../up\n---\nBody\n", 4, "may not contain"),
        ("---\ntitle: Fine\ndate: 2026-11-20\naliases: [/a/../../b/]\n---\nBody\n", 4, "leave the output"),
        ("---\ntitle: Fine\ndate: 2026-11-20\naliases: ['//evil.example/x']\n---\nBody\n", 4, "single '/'"),
    ],
)
def test_bad_front_matter_names_file_and_line(make_site, text: str, line: int, needle: str) -> None:
    site = make_site({"content/world/bad.md": text, "content/world/good.md": article("Good")})
    message = _one(build_errors(site))
    assert message.startswith(f"content/world/bad.md:{line}: "), message
    assert needle in message


def test_non_utf8_bytes(make_site) -> None:
    site = make_site({"content/world/bad.md": b"---\ntitle: caf\xe9\ndate: 2026-11-20\n---\n"})
    message = _one(build_errors(site))
    assert message.startswith("content/world/bad.md:2: not valid UTF-8"), message


def test_alias_bomb_refused_quickly(make_site) -> None:
    bomb = "---\ntitle: x\ndate: 2026-11-20\na: &a [x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    bomb += "---\nBody\n"
    site = make_site({"content/world/bomb.md": bomb})
    message = _one(build_errors(site))
    assert "aliases" in message and message.startswith("content/world/bomb.md:5:")


def test_every_problem_listed_at_once(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": "---\ntitle: yes\ndate: 2026-11-20\n---\n",
            "content/world/b.md": "---\ntitle: B\ndate: nope\n---\n",
            "content/sport/c.md": "no front matter\n",
        }
    )
    errors = build_errors(site)
    assert [e.split(":")[0] for e in errors] == ["content/sport/c.md", "content/world/a.md", "content/world/b.md"]


def test_duplicate_output_names_both_sources(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("Same headline"),
            "content/world/b.md": article("Same Headline!"),
        }
    )
    message = _one(build_errors(site))
    assert "content/world/a.md" in message and "content/world/b.md" in message


def test_alias_onto_article_is_a_conflict(make_site) -> None:
    site = make_site(
        {
            "content/world/a.md": article("Alpha"),
            "content/world/b.md": article("Beta", aliases=["/world/alpha/"]),
        }
    )
    message = _one(build_errors(site))
    assert "content/world/a.md" in message and "content/world/b.md" in message


def test_misspelt_key_is_a_warning(make_site) -> None:
    site = make_site({"content/world/a.md": "---\ntitle: A\ndate: 2026-11-20\ntitel: typo\n---\nBody\n"})
    result = run_build(site)
    assert [w.format() for w in result.warnings] == [
        "content/world/a.md:4: unknown key 'titel' looks like a misspelt 'title' (hint: rename it to 'title')"
    ]
    assert "--strict" in build_errors(site, strict=True)[0]


def test_a_longer_word_holding_a_known_key_is_not_a_slip(make_site) -> None:
    """Imported themes' keys such as 'resource' are other words, not a misspelt 'source'; a key
    one letter off ('sources', 'feature') still is."""
    site = make_site(
        {"content/world/a.md": "---\ntitle: A\ndate: 2026-11-20\nresource: x\nsources: VOA\nfeature: true\n---\nB\n"}
    )
    assert [w.format() for w in run_build(site).warnings] == [
        "content/world/a.md:5: unknown key 'sources' looks like a misspelt 'source' (hint: rename it to 'source')",
        "content/world/a.md:6: unknown key 'feature' looks like a misspelt 'featured' (hint: rename it to 'featured')",
    ]


def test_config_unknown_key_and_wrong_type_name_line(make_site) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\npagination:\n  per_page: many\ncolour: red\n",
            "content/world/a.md": article("A"),
        }
    )
    errors = build_errors(site)
    assert errors == [
        "site.yml:4: 'pagination.per_page' must be a whole number, not 'many'",
        "site.yml:5: unknown key 'colour' (hint: known keys: " + errors[1].split("known keys: ")[1],
    ]


def test_config_misspelt_key_suggests(make_site) -> None:
    site = make_site({"site.yml": "title: T\ntimzone: UTC\n", "content/world/a.md": article("A")})
    assert build_errors(site) == ["site.yml:2: unknown key 'timzone' (hint: did you mean 'timezone'?)"]


def test_template_error_names_template_and_content(make_site) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntheme: broken\n",
            "themes/broken/theme.yml": "extends: frontier\n",
            "themes/broken/templates/article.html": "line one\n{{ article.no_such_field }}\n",
            "content/world/a.md": article("A"),
        }
    )
    message = _one(build_errors(site))
    assert "themes/broken/templates/article.html:2" in message
    assert "content/world/a.md" in message


def test_template_syntax_error(make_site) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntheme: broken\n",
            "themes/broken/templates/page.html": "{% if %}\n",
            "themes/broken/theme.yml": "extends: frontier\n",
            "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
        }
    )
    message = _one(build_errors(site))
    assert "themes/broken/templates/page.html:1: template syntax error" in message


def test_failed_build_leaves_previous_output(make_site) -> None:
    site = make_site({"content/world/a.md": article("Alpha")})
    run_build(site)
    out = site / "output"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (site / "content/world/b.md").write_text("---\ntitle: [broken\n---\n")
    (site / "content/world/a.md").write_text(article("Alpha changed"))
    build_errors(site)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_cli_exit_codes_and_messages(make_site, tmp_path: Path) -> None:
    site = make_site({"content/world/a.md": article("Alpha")})
    cmd = [sys.executable, str(REPO / "build.py")]
    ok = subprocess.run([*cmd, "build", "--source", str(site)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("Built ") and "warning(s) in" in ok.stdout
    quiet = subprocess.run([*cmd, "--source", str(site), "--quiet"], capture_output=True, text=True)
    assert quiet.returncode == 0 and quiet.stdout == ""
    (site / "content/world/b.md").write_text("---\ntitle: no\ndate: 2026-11-20\n---\n")
    bad = subprocess.run([*cmd, "build", "--source", str(site)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "content/world/b.md:2: 'title' must be text" in bad.stderr
    assert "Traceback" not in bad.stderr
    usage = subprocess.run([*cmd, "build", "--no-such-flag"], capture_output=True, text=True)
    assert usage.returncode == 2
    refused = subprocess.run(
        [*cmd, "build", "--source", str(site), "--output", str(site)], capture_output=True, text=True
    )
    assert refused.returncode == 2 and "is the site folder" in refused.stderr
    # No site.yml is a usage mistake (the wrong folder), the same exit code for every command.
    for command in (["build"], ["serve"], ["new", "Headline"], ["related", "a"], ["schedule"]):
        missing = subprocess.run([*cmd, *command, "-s", str(tmp_path / "nowhere")], capture_output=True, text=True)
        assert missing.returncode == 2 and "no site.yml" in missing.stderr, command
        assert "broadsheet init" in missing.stderr and "Traceback" not in missing.stderr


def test_related_settings_out_of_range_name_their_line(make_site) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\nrelated:\n  count: -1\n  weights: {tags: -2}\n"
            "  time_scale_days: 0\n",
            "content/world/a.md": article("A"),
        }
    )
    errors = build_errors(site)
    assert [e.split(": ")[0] for e in errors] == ["site.yml:4", "site.yml:5", "site.yml:6"], errors
