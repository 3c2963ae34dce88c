"""Debian's Chromium as the browser tests and benchmarks start it: one executable, one set of flags.

Used by ``tests/browser/conftest.py``, ``tests/test_serve_browser.py`` and
``bench/pictures_bench.py``, so that a flag Chromium needs on this kind of machine (no sandbox in a
container, no GPU, no network of its own) is added or dropped in one place.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

#: The browser to drive: Debian's package, never one Playwright downloads (another path in
#: ``BROADSHEET_CHROMIUM``).
CHROMIUM = Path(os.environ.get("BROADSHEET_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # containers and CI runners give no user namespaces for Chromium's sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing of Chromium's own on the network: updates, sync, field trials.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_executable() -> str | None:
    """The Chromium to start: :data:`CHROMIUM` when it is there, else ``chromium`` on PATH, else None."""
    return str(CHROMIUM) if CHROMIUM.is_file() else shutil.which("chromium")


def launch(playwright: Any, executable: str | None = None) -> Any:
    """Start Chromium (``executable``, else :func:`chromium_executable`) with the flags above,
    through a Playwright instance (``sync_playwright()``'s)."""
    path = executable or chromium_executable()
    if path is None:
        raise FileNotFoundError(f"Chromium is not installed at {CHROMIUM} nor on PATH (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))
