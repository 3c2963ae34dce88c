"""The code's own checks: ruff (lint and format), mypy (strict) and no import cycle (import-linter).

Each check runs on the project as configured in ``pyproject.toml``, and once on a small piece of
bad code, so that a check which could no longer fail (a tool missing, a configuration that
selects nothing) is caught too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"

pytestmark = pytest.mark.slow


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool of this Python's environment and keep what it says."""
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


LINT_IMPORTS = (
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
)


# --- ruff check ---------------------------------------------------------------------------------


def test_ruff_check_is_clean() -> None:
    done = run("-m", "ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_check_fails_on_an_unused_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    done = run("-m", "ruff", "check", "--config", str(PYPROJECT), str(bad))
    assert done.returncode == 1
    assert "F401" in done.stdout


# --- ruff format --------------------------------------------------------------------------------


def test_ruff_format_is_applied() -> None:
    done = run("-m", "ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_check_fails_on_unformatted_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("x = {  'a':1 }\n")
    done = run("-m", "ruff", "format", "--check", "--config", str(PYPROJECT), str(bad))
    assert done.returncode == 1
    assert "bad.py" in done.stdout


# --- mypy ---------------------------------------------------------------------------------------


def test_mypy_strict_is_clean() -> None:
    done = run("-m", "mypy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues found" in done.stdout


def test_mypy_fails_on_an_untyped_function(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    # Fine for mypy's defaults; an error only under the project's strict settings.
    bad.write_text("def f(x):\n    return x\n")
    done = run("-m", "mypy", "--config-file", str(PYPROJECT), "--cache-dir", str(tmp_path / "cache"), str(bad))
    assert done.returncode == 1, done.stdout
    assert "no-untyped-def" in done.stdout


# --- import cycles ------------------------------------------------------------------------------


def test_no_import_cycles() -> None:
    done = run(*LINT_IMPORTS, "--no-cache", str(PYPROJECT))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        # A cycle between two modules of one package.
        ("content/body.py", "from . import library"),
        # A cycle between two packages (render imports publish already).
        ("publish/feeds.py", "from ..render import views"),
    ],
)
def test_an_import_cycle_is_caught(tmp_path: Path, module: str, line: str) -> None:
    copy = tmp_path / "broadsheet"
    shutil.copytree(ROOT / "broadsheet", copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    target = copy / module
    source = target.read_text()
    anchor = "from __future__ import annotations\n"
    assert anchor in source
    target.write_text(source.replace(anchor, anchor + line + "  # noqa\n", 1))
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = run(*LINT_IMPORTS, "--no-cache", str(tmp_path / "pyproject.toml"), cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BROKEN" in done.stdout, textwrap.shorten(done.stdout, 2000)


# --- one way to start Chromium --------------------------------------------------------------------


def test_chromium_flags_are_defined_once() -> None:
    # Tests and benchmarks start Chromium through tests/browser/chromium.py, so a flag it needs is
    # changed in one place (a copy elsewhere would drift).
    defined = ROOT / "tests" / "browser" / "chromium.py"
    assert "--no-sandbox" in defined.read_text(encoding="utf-8")
    copies = [
        path.relative_to(ROOT).as_posix()
        for folder in ("tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "node_modules" not in path.parts
        and path not in (defined, Path(__file__).resolve())
        and ("--no-sandbox" in (text := path.read_text(encoding="utf-8")) or "--headless" in text)
    ]
    assert copies == []
