"""Broadsheet as a package: what a newsroom installs from the wheel, and the versions it declares.

The slow tests build the sdist and the wheel with PyPA's build from outside the repository,
install the wheel (not editable) into a fresh virtual environment, and build a new site with it;
then install the lowest declared versions of the dependencies and run the tests that reach into
each library. pip uses its wheel cache: only the package registries are needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
LOWEST = REPO / ".ci" / "lowest-versions.txt"
#: Libraries whose internals Broadsheet uses: each needs an upper bound.
INTERNALS_USED = ("jinja2", "markdown", "livereload")
#: The tests that reach into each library, run again with the lowest declared versions.
LIBRARY_TESTS = [
    "tests/test_golden.py",  # Jinja, Python-Markdown, PyYAML, slugify: the whole pipeline, byte for byte
    "tests/test_theme.py",  # Jinja's code generator and context
    "tests/test_markdown_blocks.py",  # Python-Markdown's processors
    "tests/test_markdown_skipping.py",
    "tests/test_markdown_text.py",
    "tests/test_markdown_settings.py",  # pymdown-extensions, Pygments
    "tests/test_import.py",  # defusedxml
    "tests/test_shortcodes.py",
    "tests/test_invalid_input.py",  # PyYAML's errors and marks
    "tests/test_hardening.py::test_deep_nesting_in_front_matter_is_an_error",
    "tests/test_serve.py",  # livereload, tornado, watchdog
    "tests/test_serve_watch.py",
]


def _requirements() -> dict[str, str]:
    """name → specifier of each runtime dependency in pyproject.toml."""
    found = {}
    for line in PYPROJECT["project"]["dependencies"]:
        name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", line).groups()  # type: ignore[union-attr]
        found[name.lower()] = spec
    return found


def test_every_floor_is_pinned_for_the_lowest_versions_check() -> None:
    pins = dict(
        line.split("==")
        for line in (s.strip() for s in LOWEST.read_text(encoding="utf-8").splitlines())
        if line and not line.startswith("#")
    )
    floors = {name: re.search(r">=([0-9.]+)", spec).group(1) for name, spec in _requirements().items()}  # type: ignore[union-attr]
    assert pins == floors
    for name in INTERNALS_USED:
        assert "<" in _requirements()[name], f"{name} needs an upper bound: Broadsheet uses its internals"


def test_package_metadata() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and "MIT License" in (REPO / "LICENSE").read_text(encoding="utf-8")
    assert (REPO / "broadsheet" / "py.typed").is_file() and "Typing :: Typed" in project["classifiers"]
    assert {"Homepage", "Changelog"} <= set(project["urls"]) and (REPO / "CHANGELOG.md").is_file()
    assert project["scripts"]["broadsheet"] == "broadsheet.cli:run"
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["broadsheet"]
    assert "themes/**/*" in data and "starter/**/*" in data


def test_python_m_build_in_the_repository_is_pypa_build() -> None:
    pytest.importorskip("build", reason="PyPA's build is in the test extra")
    shown = subprocess.run([sys.executable, "-m", "build", "--help"], cwd=REPO, capture_output=True, text=True)
    assert shown.returncode == 0 and "--wheel" in shown.stdout and "--sdist" in shown.stdout  # not build.py's help
    ours = subprocess.run([sys.executable, "build.py", "--help"], cwd=REPO, capture_output=True, text=True)
    assert ours.stdout.startswith("usage: broadsheet ")


def _venv(folder: Path) -> Path:
    """A fresh virtual environment (no system packages); returns its bin folder."""
    venv.create(folder, with_pip=True, clear=True)
    return folder / "bin"


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sdist built from a copy of the sources, then the wheel built from that sdist, by PyPA's build."""
    pytest.importorskip("build", reason="PyPA's build is in the test extra")
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "broadsheet", source / "broadsheet", ignore=shutil.ignore_patterns("__pycache__"))
    # Run from an unrelated folder: `python -m build` must be PyPA's wherever it is started.
    _run(sys.executable, "-m", "build", "--outdir", work / "dist", source, cwd=work)
    [built] = (work / "dist").glob("broadsheet-*.whl")
    yield built


@pytest.mark.slow
def test_the_wheel_installed_in_a_clean_environment_builds_a_new_site(wheel: Path, tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path / "venv")
    # As the README and the init workflow teach: with the search extra (Pagefind's binary wheel).
    _run(bin_dir / "python", "-m", "pip", "install", "-q", f"broadsheet[search] @ {wheel.as_uri()}", cwd=tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    made = _run(bin_dir / "broadsheet", "init", "gazette", cwd=empty, env=env)
    assert "broadsheet serve" in made.stdout
    site = empty / "gazette"
    built = _run(bin_dir / "broadsheet", "build", "--strict", cwd=site, env=env)
    assert built.stdout.startswith("Built ")
    out = site / "output"
    assert (out / "theme" / "css" / "style.css").is_file()  # the theme came from the installed package
    assert (out / "news" / "welcome-to-gazette" / "index.html").is_file()
    assert not list(out.glob(".broadsheet-*"))  # nothing private deployed
    help_text = _run(bin_dir / "python", "-m", "broadsheet", "--help", cwd=empty, env=env).stdout
    assert help_text.startswith("usage: broadsheet ")
    installed = _run(bin_dir / "python", "-c", "import broadsheet, pathlib; print(broadsheet.__file__)", cwd=empty)
    assert "site-packages" in installed.stdout  # the wheel's copy, not the repository's


@pytest.mark.slow
def test_the_lowest_declared_versions_pass_the_library_tests(wheel: Path, tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path / "venv")
    test_tools = [
        "pytest>=8",
        "hypothesis>=6.100",
        "Pillow>=10",
        "nh3>=0.2",
        "pagefind[bin]>=1.1",
        "mdx_truly_sane_lists>=1.3",
    ]
    _run(bin_dir / "python", "-m", "pip", "install", "-q", "-c", LOWEST, wheel, *test_tools, cwd=tmp_path)
    listed = _run(bin_dir / "python", "-m", "pip", "list", "--format=freeze", cwd=tmp_path).stdout.lower()
    for line in LOWEST.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.lower().split("==")
            assert re.search(rf"^{re.escape(name)}=={re.escape(version)}(\.0)*$", listed, re.M), line
    # The repository's tests (its own broadsheet/, which pytest puts first) on the lowest versions.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(
        bin_dir / "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not browser and not slow",
        *LIBRARY_TESTS,
        cwd=REPO,
        env=env,
    )
