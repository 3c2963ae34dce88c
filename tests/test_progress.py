"""Build progress: the pipeline tells stages and counts; the command line draws them on a terminal only."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import article, run_build

from broadsheet import cli
from broadsheet.cli import TerminalProgress, main
from broadsheet.publish import search
from broadsheet.tuning import Tuning


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_pipeline_tells_stages_and_counts(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site({f"content/world/a{i}.md": article(f"Story {i}") for i in range(12)})
    seen: list[tuple[str, int, int]] = []
    # In worker processes, as on a large site.
    run_build(site, progress=lambda stage, done, total: seen.append((stage, done, total)), jobs=2, tuning=Tuning(1))
    stages = list(dict.fromkeys(stage for stage, _, _ in seen))
    assert stages[:2] == ["Reading", "Parsing"] and "Rendering" in stages and stages[-1] == "Writing"
    parsing = [(done, total) for stage, done, total in seen if stage == "Parsing"]
    assert parsing[0] == (0, 12) and parsing[-1] == (12, 12)
    assert [d for d, _ in parsing] == sorted(d for d, _ in parsing)
    rendering = [(done, total) for stage, done, total in seen if stage == "Rendering"]
    assert rendering[-1][0] == rendering[-1][1] > 12  # articles and listings
    seen.clear()
    run_build(site, progress=lambda stage, done, total: seen.append((stage, done, total)), jobs=1)
    assert ("Parsing", 0, 0) in seen and ("Rendering", 0, 0) in seen  # nothing to do: all from the cache


def test_terminal_display_waits_then_updates_in_place() -> None:
    now = [0.0]
    out = Terminal()
    shown = TerminalProgress(out, delay=2.0, interval=0.1, clock=lambda: now[0])
    shown("Parsing", 10, 10_000)
    assert out.getvalue() == ""  # a quick build shows nothing
    now[0] = 2.5
    shown("Parsing", 4210, 10_000)
    assert out.getvalue() == "\r\x1b[KParsing 4,210/10,000"
    now[0] = 2.52
    shown("Parsing", 4300, 10_000)  # too soon after the last
    shown("Parsing", 10_000, 10_000)  # but a stage's end is always shown
    assert out.getvalue().endswith("\r\x1b[KParsing 10,000/10,000")
    now[0] = 3.0
    shown("Checking links", 0, 0)
    assert out.getvalue().endswith("\r\x1b[KChecking links…")
    shown.close()
    assert out.getvalue().endswith("\r\x1b[K")


def test_no_display_unless_a_terminal_or_when_quiet() -> None:
    assert TerminalProgress.for_stream(io.StringIO(), quiet=False) is None
    assert TerminalProgress.for_stream(Terminal(), quiet=True) is None
    assert TerminalProgress.for_stream(Terminal(), quiet=False) is not None


def test_cli_draws_on_a_terminal_and_clears_the_line(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = make_site({"content/world/a.md": article("Alpha")})
    terminal = Terminal()
    monkeypatch.setattr(cli.sys, "stderr", terminal)
    monkeypatch.setattr(TerminalProgress, "__init__", _eager_init)
    assert main(["build", "--source", str(site)]) == 0
    drawn = terminal.getvalue()
    assert "\r\x1b[KParsing 1/1" in drawn and "\r\x1b[KWriting" in drawn
    tail = drawn.rsplit("\r\x1b[K", 1)[1]  # after the line was cleared: warnings only, no progress
    assert not any(stage in tail for stage in ("Parsing", "Rendering", "Writing"))
    assert "Built" in capsys.readouterr().out
    terminal.truncate(0)
    assert main(["build", "--source", str(site), "--quiet"]) == 0
    assert "\x1b[K" not in terminal.getvalue()


def _eager_init(
    self: TerminalProgress,
    stream,
    delay: float = 0.0,
    interval: float = 0.0,  # type: ignore[no-untyped-def]
    clock=None,
) -> None:
    import time

    self.stream, self.delay, self.interval, self.clock = stream, 0.0, 0.0, time.monotonic
    self.started, self.last, self.shown, self.line = time.monotonic(), float("-inf"), False, ""
