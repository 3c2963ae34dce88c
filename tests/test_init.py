"""`broadsheet init`: a new site that builds at once, and the command line habits around it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_build

from broadsheet.cli import main


def test_init_writes_a_site_that_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "harbour-gazette"
    assert main(["init", str(folder)]) == 0
    out = capsys.readouterr().out
    # The next two commands, after the cd into the new folder.
    assert "cd " in out and "broadsheet serve" in out and "broadsheet build" in out
    assert out.index("broadsheet serve") < out.index("broadsheet build")
    for rel in (
        "site.yml",
        "content/news/welcome.md",
        "content/pages/about.md",
        "static/images/logo.svg",
        ".gitignore",
        ".github/workflows/pages.yml",
    ):
        assert (folder / rel).is_file(), rel
    config = yaml.safe_load((folder / "site.yml").read_text())
    assert config["title"] == "Harbour Gazette" and config["theme"] == "frontier"
    assert "# " in (folder / "site.yml").read_text()  # explained with comments
    ignored = (folder / ".gitignore").read_text().split()
    assert "output/" in ignored and ".broadsheet-cache/" in ignored
    workflow = yaml.safe_load((folder / ".github/workflows/pages.yml").read_text())
    steps = [s.get("uses", s.get("run", "")) for s in workflow["jobs"]["build"]["steps"]]
    assert any("broadsheet build" in s for s in steps) and any(
        s.startswith("actions/upload-pages-artifact") for s in steps
    )
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")

    result = run_build(folder, now=None, strict=True)  # today's sample article is published, no warnings
    out_dir = folder / "output"
    assert (out_dir / "news/welcome-to-harbour-gazette/index.html").is_file()
    assert (out_dir / "about/index.html").is_file() and (out_dir / "images/logo.svg").is_file()
    assert result.warnings == []


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "paper"
    assert main(["init", str(folder)]) == 0
    (folder / "site.yml").write_text("title: Mine\n")
    capsys.readouterr()
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "already holds site.yml" in err and "nothing was written" in err
    assert (folder / "site.yml").read_text() == "title: Mine\n"

    other = tmp_path / "other"
    (other / "content").mkdir(parents=True)
    assert main(["init", str(other)]) == 2
    assert sorted(p.name for p in other.iterdir()) == ["content"]  # not a file added


def test_init_here_with_a_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            ["init", "--title", 'The "Quay": news'],
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "cd " not in out  # already there
    assert yaml.safe_load((tmp_path / "site.yml").read_text())["title"] == 'The "Quay": news'


def test_python_m_broadsheet_runs_the_command_line(tmp_path: Path) -> None:
    helped = subprocess.run([sys.executable, "-m", "broadsheet", "--help"], capture_output=True, text=True, check=True)
    assert helped.stdout.startswith("usage: broadsheet ") and "examples:" in helped.stdout
    assert "broadsheet init" in helped.stdout
    made = subprocess.run(
        [sys.executable, "-m", "broadsheet", "init", str(tmp_path / "s")], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    built = subprocess.run(
        [sys.executable, "-m", "broadsheet", "-s", str(tmp_path / "s"), "-q", "--no-search"],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0 and built.stdout == "", built.stderr


def test_short_flags_and_no_abbreviations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "s"
    assert main(["init", str(site)]) == 0
    elsewhere = tmp_path / "public"
    code = main(["build", "-s", str(site), "-d", str(elsewhere), "-D", "-F", "-b", "https://x.example/news/", "-q"])
    assert code == 0
    assert 'href="/news/theme/css/style.css"' in (elsewhere / "index.html").read_text()
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["build", "--sour", str(site)])  # argparse would take it for --source
    assert stop.value.code == 2
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "no summary line" in capsys.readouterr().out  # --quiet says what it leaves out
