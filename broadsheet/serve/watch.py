"""Watching the site with watchdog: which events matter, and gathering bursts into one batch.

What the watchdog 7 handler has to get right (see the shared library notes):

* patterns use ``PurePath.full_match``, so events are filtered here by hand instead;
* an atomic save writes ``.post.md.tmp`` and renames it over ``post.md``: for moves both
  sides are looked at, each on its own, so the destination counts even when the temporary
  source is an ignored name;
* reading a file produces ``opened`` and ``closed_no_write`` events: ignored, or the
  preview would rebuild every time it serves a static file;
* editor leftovers (vim's ``4913`` probe, ``*~``, ``*.swp``, JetBrains ``___jb_tmp___``,
  emacs ``.#*``) never start a build: :func:`broadsheet.discover.is_ignored` decides, so
  the watcher and the build agree on what is content;
* a ``git checkout`` or a burst of saves is one build: :class:`ChangeBatcher` waits until
  the events stop for a moment (the trailing edge) and hands over every path at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from ..content.discover import is_editor_leftover, is_ignored
from ..render.i18n import I18N_DIR

#: Events that never mean a change.
NOISE = frozenset({"opened", "closed_no_write"})
#: Quiet time that ends a burst, and the longest a steady stream of events can delay a build.
QUIET_SECONDS = 0.1
LONGEST_WAIT_SECONDS = 2.0


def wanted(path: Path, root: Path, mode: str) -> bool:
    """Whether a changed path under a watched ``root`` can matter to the site.

    ``mode`` is ``"site"`` for the site folder itself (watched alone, not its subfolders),
    ``"content"`` for content/ and static/ (every name must be content, as in a build), and
    ``"theme"`` for theme folders (templates may start with ``_``; only hidden names and
    editor leftovers are skipped).
    """
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if not parts:
        return mode != "site"
    if mode == "site":
        return len(parts) == 1 and parts[0] in ("site.yml", "content", "static", "themes", "shortcodes", I18N_DIR)
    if mode == "content":
        return not any(is_ignored(p) for p in parts)
    return not any(p.startswith(".") or is_editor_leftover(p) for p in parts)


class SiteEventHandler(FileSystemEventHandler):
    """Turns watchdog events under one root into changed paths for ``on_change``."""

    def __init__(self, root: Path, mode: str, on_change: Callable[[Iterable[Path]], None]) -> None:
        super().__init__()
        self.root = root
        self.mode = mode
        self.on_change = on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Pass on the paths of an event that can change the site."""
        if event.event_type in NOISE:
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # a folder's own time changes whenever a file in it does: the file's event counts
        paths = [event.src_path]
        if event.event_type == "moved" and event.dest_path:
            paths.append(event.dest_path)
        changed = [p for p in (Path(_text(raw)) for raw in paths) if wanted(p, self.root, self.mode)]
        if changed:
            self.on_change(changed)


def _text(raw: str | bytes) -> str:
    return raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw


class ChangeBatcher:
    """Collects changed paths; hands them over once no new one came for ``quiet`` seconds."""

    def __init__(self, quiet: float = QUIET_SECONDS, longest: float = LONGEST_WAIT_SECONDS) -> None:
        self.quiet = quiet
        self.longest = longest
        self._cond = threading.Condition()
        self._paths: set[Path] = set()
        self._first = 0.0
        self._last = 0.0
        self._closed = False

    def add(self, paths: Iterable[Path]) -> None:
        """Record changed paths (any thread)."""
        with self._cond:
            now = time.monotonic()
            if not self._paths:
                self._first = now
            self._paths.update(paths)
            self._last = now
            self._cond.notify_all()

    def close(self) -> None:
        """Wake the waiting thread and make :meth:`next_batch` return None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def next_batch(self) -> set[Path] | None:
        """Block until a burst of changes is over and return its paths; None once closed.

        Sleeps on a condition while nothing happens, so an idle preview uses no CPU.
        """
        with self._cond:
            while not self._paths and not self._closed:
                self._cond.wait()
            while not self._closed:
                due = min(self._last + self.quiet, self._first + self.longest)
                wait = due - time.monotonic()
                if wait <= 0:
                    break
                self._cond.wait(wait)
            if self._closed:
                return None
            batch, self._paths = self._paths, set()
            return batch


class SiteWatcher:
    """A watchdog observer over the folders of a site; watches can follow the site as it changes."""

    def __init__(self, on_change: Callable[[Iterable[Path]], None], poll: bool = False) -> None:
        self.on_change = on_change
        self.observer: BaseObserver = PollingObserver() if poll else Observer()
        self._watches: dict[tuple[Path, bool], ObservedWatch] = {}
        self._site_root: Path | None = None

    def start(self) -> None:
        """Start the observer thread."""
        self.observer.daemon = True
        self.observer.start()

    def stop(self) -> None:
        """Stop the observer thread and wait for it."""
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=5)

    def follow(self, site_root: Path, roots: Iterable[tuple[Path, bool]]) -> None:
        """Watch exactly ``roots`` (folder, recursive?); start and stop watches as needed."""
        wanted_roots = {(path, recursive) for path, recursive in roots if path.is_dir()}
        for key in list(self._watches):
            if key not in wanted_roots or not key[0].is_dir():
                self.observer.unschedule(self._watches.pop(key))
        for path, recursive in sorted(wanted_roots):
            if (path, recursive) in self._watches:
                continue
            mode = (
                "site"
                if path == site_root
                else "content"
                if path in (site_root / "content", site_root / "static")
                else "theme"
            )
            handler = SiteEventHandler(path, mode, self.on_change)
            try:
                watch = self.observer.schedule(handler, str(path), recursive=recursive)
            except OSError:
                continue  # vanished meanwhile, or out of inotify watches: the next change retries
            self._watches[(path, recursive)] = watch
