"""Which file system events start a build, and how bursts become one batch."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from watchdog.events import (
    DirModifiedEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from broadsheet.serve.watch import ChangeBatcher, SiteEventHandler, wanted

ROOT = Path("/site")


@pytest.mark.parametrize(
    ("rel", "mode", "expected"),
    [
        ("site.yml", "site", True),
        ("README.md", "site", False),
        ("output/index.html", "site", False),
        ("content", "site", True),
        ("i18n", "site", True),  # the site's string tables
        ("i18n/fr.yml", "theme", True),
        ("world/a.md", "content", True),
        ("world/a.md~", "content", False),
        ("world/.a.md.swp", "content", False),
        ("world/4913", "content", False),
        ("world/a.md___jb_tmp___", "content", False),
        ("world/.#a.md", "content", False),
        ("_drafts/a.md", "content", False),
        ("templates/_macros.html", "theme", True),  # theme templates may start with '_'
        ("templates/.base.html.swp", "theme", False),
        ("templates/base.html~", "theme", False),
    ],
)
def test_wanted(rel: str, mode: str, expected: bool) -> None:
    assert wanted(ROOT / rel, ROOT, mode) is expected


def collect(mode: str = "content") -> tuple[SiteEventHandler, list[Path]]:
    seen: list[Path] = []
    return SiteEventHandler(ROOT, mode, seen.extend), seen


def test_reads_are_not_changes() -> None:
    handler, seen = collect()
    for event in (
        FileOpenedEvent("/site/world/a.md"),
        FileClosedNoWriteEvent("/site/world/a.md"),
        DirModifiedEvent("/site/world"),
    ):
        handler.dispatch(event)
    assert seen == []


def test_writes_creations_and_deletions_are_changes() -> None:
    handler, seen = collect()
    for event in (
        FileCreatedEvent("/site/world/b.md"),
        FileModifiedEvent("/site/world/b.md"),
        FileClosedEvent("/site/world/b.md"),
        FileDeletedEvent("/site/world/c.md"),
    ):
        handler.dispatch(event)
    assert seen == [ROOT / "world/b.md"] * 3 + [ROOT / "world/c.md"]


def test_an_atomic_save_counts_by_its_destination() -> None:
    handler, seen = collect()
    handler.dispatch(FileMovedEvent("/site/world/.a.md.tmp", "/site/world/a.md"))
    handler.dispatch(FileMovedEvent("/site/world/a.md___jb_tmp___", "/site/world/a.md"))
    assert seen == [ROOT / "world/a.md", ROOT / "world/a.md"]


def test_a_rename_counts_both_sides() -> None:
    handler, seen = collect()
    handler.dispatch(FileMovedEvent("/site/world/a.md", "/site/world/b.md"))
    assert seen == [ROOT / "world/a.md", ROOT / "world/b.md"]


def test_editor_leftovers_never_count() -> None:
    handler, seen = collect()
    for name in ("4913", "a.md~", ".a.md.swp", ".a.md.swx", "a.md___jb_old___", ".#a.md", "#a.md#"):
        handler.dispatch(FileCreatedEvent(f"/site/world/{name}"))
        handler.dispatch(FileModifiedEvent(f"/site/world/{name}"))
        handler.dispatch(FileDeletedEvent(f"/site/world/{name}"))
    assert seen == []


def test_a_burst_is_one_batch_and_later_changes_another() -> None:
    batcher = ChangeBatcher(quiet=0.5)  # a pause that long within the loop would split the burst
    batches: list[set[Path]] = []
    done = threading.Event()

    def consume() -> None:
        while (batch := batcher.next_batch()) is not None:
            batches.append(batch)
            if len(batches) == 2:
                done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    for i in range(500):  # a git checkout
        batcher.add([ROOT / f"content/world/{i % 50}.md"])
    while not batches:
        threading.Event().wait(0.01)
    batcher.add([ROOT / "site.yml"])
    assert done.wait(30)
    batcher.close()
    thread.join(10)
    assert len(batches[0]) == 50 and batches[1] == {ROOT / "site.yml"}


def test_a_closed_batcher_wakes_its_waiter() -> None:
    batcher = ChangeBatcher()
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(batcher.next_batch()))
    thread.start()
    batcher.close()
    thread.join(10)
    assert result == [None]
