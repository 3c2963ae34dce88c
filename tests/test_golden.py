"""Golden sites: tests/sites/<case>/ is built and compared byte for byte with <case>/expected/.

Regenerate after an intended change with ``BROADSHEET_REGEN_GOLDEN=1 pytest tests/test_golden.py``
and review the diff in git.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import run_build

SITES = Path(__file__).parent / "sites"
CASES = sorted(p.name for p in SITES.iterdir() if (p / "site.yml").is_file())


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".broadsheet")
    }


@pytest.mark.parametrize("case", CASES)
def test_golden_site(case: str, tmp_path: Path) -> None:
    site = SITES / case
    run_build(site, output=tmp_path / "out")
    built = _tree(tmp_path / "out")
    expected_dir = site / "expected"
    if os.environ.get("BROADSHEET_REGEN_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(tmp_path / "out", expected_dir, ignore=shutil.ignore_patterns(".broadsheet*"))
    expected = _tree(expected_dir)
    assert sorted(built) == sorted(expected)
    for path, data in built.items():
        assert data.decode() == expected[path].decode(), path


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    site = SITES / CASES[0]
    run_build(site, output=tmp_path / "a")
    run_build(site, output=tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
