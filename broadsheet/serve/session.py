"""One preview session: the site in memory, the watcher, one build thread, and the server.

Threads and who owns what:

* the **event loop** (tornado on asyncio) answers HTTP and websocket requests; it only reads
  the current :class:`~broadsheet.serve.server.Snapshot`, which is replaced whole;
* the **watchdog observer** thread only adds paths to the :class:`ChangeBatcher`;
* the **build** thread takes one batch at a time, updates the
  :class:`~broadsheet.serve.preview.IncrementalSite`, publishes a new snapshot and asks the event
  loop to tell browsers to reload (``IOLoop.add_callback``, the one thread-safe IOLoop call).
  Changes made during a build wait in the batcher and make exactly one more build.

Nothing is ever written: the preview builds into memory, so drafts and embargoed stories it
shows can never end up in the deployable output folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Literal

from livereload.handlers import LiveReloadHandler  # type: ignore[import-untyped]
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

from ..errors import BroadsheetError, UsageError
from ..publish.pictures import process_scratch
from ..stages.types import BuildOptions
from .livereload_adapter import waiting
from .preview import IncrementalSite, RelatedMode, UpdateResult
from .server import Guard, Snapshot, is_wildcard, make_app
from .watch import QUIET_SECONDS, ChangeBatcher, SiteWatcher

#: The preview's clock wakes the builder at most this long apart (and just after the moment it
#: waits for), so a long wait never rests on one timer.
CLOCK_LONGEST_WAIT = 3600.0
CLOCK_SLACK = 0.05

NoticeKind = Literal["building", "built", "failed", "internal", "ready", "stopped"]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``serve`` was asked for."""

    source: Path
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    future: bool = False
    poll: bool = False
    related: RelatedMode = "auto"
    quiet_seconds: float = QUIET_SECONDS
    base_path: str = "/"
    """The path the preview serves the site under (``/news/``), as it will be published."""


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the session reports while it runs (the command line prints these)."""

    kind: NoticeKind
    text: str
    errors: tuple[BroadsheetError, ...] = ()
    result: UpdateResult | None = None
    changed: tuple[Path, ...] = ()


def url_host(host: str) -> str:
    """The host as it appears in a URL: wildcards become 127.0.0.1, IPv6 gets brackets."""
    if is_wildcard(host):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class PreviewSession:
    """Build, watch and serve one site until stopped."""

    def __init__(self, options: ServeOptions, report: Callable[[Notice], None] | None = None) -> None:
        self.options = options
        self.report = report or (lambda notice: None)
        self.sockets: list[socket.socket] = []
        self.port = options.port
        self.site: IncrementalSite | None = None
        self.snapshot = Snapshot(title=options.source.name)
        self.builds = 0
        """How many batches of changes were built (the first build not counted)."""
        self._batcher = ChangeBatcher(options.quiet_seconds)
        self._watcher: SiteWatcher | None = None  # made when serving starts (its observer starts a thread)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ioloop: IOLoop | None = None
        self._server: HTTPServer | None = None
        self._socket_class: type[LiveReloadHandler] | None = None
        self._worker: threading.Thread | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._idle = threading.Event()
        self._stopping = False
        self._clock: threading.Timer | None = None

    @property
    def url(self) -> str:
        """The preview's address."""
        return f"http://{url_host(self.options.host)}:{self.port}{self.options.base_path}"

    # ------------------------------------------------------------- life cycle

    def bind(self) -> None:
        """Take the port now, so a port in use is reported before the first (long) build."""
        try:
            self.sockets = bind_sockets(self.options.port, self.options.host or None)
        except OSError as exc:
            where = f"{self.options.host}:{self.options.port}"
            raise UsageError(
                f"cannot listen on {where}: {exc.strerror or exc}",
                None,
                None,
                "pick another --port, or stop the program using this one",
            ) from None
        self.port = self.sockets[0].getsockname()[1]

    def build_first(self) -> UpdateResult:
        """Load and build the whole site into memory."""
        options = BuildOptions(
            source=self.options.source,
            drafts=self.options.drafts,
            future=self.options.future,
            base_url=self.url,
            preview=True,
        )
        self.site = IncrementalSite(options, related=self.options.related)
        self.report(Notice("building", f"Building {self.options.source} ..."))
        result = self._run(IncrementalSite.load, ())
        return result

    def serve_forever(self) -> None:
        """Run the event loop in this thread until :meth:`stop` (or Ctrl+C)."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # before tornado asks for the current loop (Python 3.12+)
        try:
            self._start_serving(loop)
            self.report(Notice("ready", f"Serving {self.snapshot.title} at {self.url}"))
            loop.run_forever()
        finally:
            self._shut_down(loop)

    def start_in_thread(self) -> str:
        """Bind, build and serve from background threads; return the URL once it answers."""
        if not self.sockets:
            self.bind()
        self.build_first()
        self._thread = threading.Thread(target=self.serve_forever, name="preview-server", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        return self.url

    def stop(self) -> None:
        """Stop serving, watching and building (from any thread)."""
        self._stopping = True
        if self._clock is not None:
            self._clock.cancel()
        self._batcher.close()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed in the meantime
                loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    @property
    def browsers(self) -> int:
        """How many browser pages are connected for live reload."""
        return len(waiting(self._socket_class)) if self._socket_class is not None else 0

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no change is pending and no build runs (for scripts driving the preview)."""
        return self._idle.wait(timeout)

    # ------------------------------------------------------------- internals

    def _start_serving(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._ioloop = IOLoop.current()
        guard = Guard.for_binding(self.options.host, self.port)
        app, self._socket_class = make_app(guard, lambda: self.snapshot, self.options.base_path)
        self._server = HTTPServer(app, xheaders=False)
        if not self.sockets:
            self.bind()
        self._server.add_sockets(self.sockets)
        self._watcher = SiteWatcher(self._batcher.add, poll=self.options.poll)
        self._watcher.start()
        if self.site is not None:
            self._watcher.follow(self.site.root, self.site.watch_roots())
        self._worker = threading.Thread(target=self._work, name="preview-builder", daemon=True)
        self._worker.start()
        self._ready.set()

    def _shut_down(self, loop: asyncio.AbstractEventLoop) -> None:
        self._batcher.close()
        if self._watcher is not None:
            self._watcher.stop()
        if self._server is not None:
            self._server.stop()
        if self._socket_class is not None:
            for waiter in list(waiting(self._socket_class)):
                waiter.close()
        if self._worker is not None:
            self._worker.join(timeout=30)
        try:
            loop.run_until_complete(asyncio.sleep(0))
            if self._server is not None:
                loop.run_until_complete(self._server.close_all_connections())
        finally:
            loop.close()
            self._loop = None
            self.report(Notice("stopped", "Stopped."))

    def _work(self) -> None:
        while True:
            self._idle.set()
            batch = self._batcher.next_batch()
            if batch is None:
                return
            self._idle.clear()
            changed = tuple(sorted(batch))
            self.report(Notice("building", f"{len(changed)} change(s): rebuilding ...", changed=changed))
            before = self.snapshot
            result = self._run(partial(IncrementalSite.update, changed=changed), changed)
            self.builds += 1
            if self.site is not None and self._watcher is not None and not self._stopping:
                self._watcher.follow(self.site.root, self.site.watch_roots())
            for path in _reload_paths(before, self.snapshot, result):
                self._tell_browsers(path)

    def _run(self, step: Callable[[IncrementalSite], UpdateResult], changed: Iterable[Path]) -> UpdateResult:
        """Run one build step; publish its snapshot; never let an exception end the session."""
        site = self.site
        assert site is not None
        started = time.perf_counter()
        try:
            result = step(site)
        except Exception as exc:  # a bug must not stop the preview: show it, start afresh next time
            site.invalidate()
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            error = BroadsheetError(
                f"internal error: {type(exc).__name__}: {exc}",
                frame.filename,
                frame.lineno,
                "please report this; saving any file retries",
            )
            result = UpdateResult(0, (), (error,), seconds=time.perf_counter() - started)
            self._publish(site, result)
            self.report(Notice("internal", error.format(), (error,), result, tuple(changed)))
            return result
        self._publish(site, result)
        self._wake_at_next_change(site)
        if result.ok:
            if not changed:
                text = f"Built {len(site.pages)} pages in {result.seconds:.2f} s"
            else:
                text = (
                    f"Updated: {result.rendered_count} page(s) rendered, {len(result.changed_urls)} changed, "
                    f"in {result.seconds * 1000:.0f} ms"
                )
            self.report(Notice("built", text, (), result, tuple(changed)))
        else:
            self.report(
                Notice(
                    "failed",
                    f"Build failed: {len(result.errors)} error(s); the preview shows them until they are fixed",
                    result.errors,
                    result,
                    tuple(changed),
                )
            )
        return result

    def _wake_at_next_change(self, site: IncrementalSite) -> None:
        """Have the builder look again when the site changes by itself (an embargo lifts...): the
        file responsible is handed to it as if saved, and the clock's new time does the rest."""
        if self._clock is not None:
            self._clock.cancel()
            self._clock = None
        upcoming = site.next_change()
        if upcoming is None or self._stopping:
            return
        when, path = upcoming
        delay = min(max((when - site.now).total_seconds(), 0.0) + CLOCK_SLACK, CLOCK_LONGEST_WAIT)
        self._clock = threading.Timer(delay, self._batcher.add, args=([path],))
        self._clock.daemon = True
        self._clock.start()

    def _publish(self, site: IncrementalSite, result: UpdateResult) -> None:
        roots: list[Path] = [site.root.resolve()]
        if site.theme is not None:
            roots += [folder.resolve() for folder in site.theme.chain]
        if site.pictures:  # their variants are made in this process's private folder (see publish.pictures)
            roots.append(process_scratch().resolve())
        self.snapshot = replace(
            self.snapshot,
            pages=dict(site.pages),
            static=dict(site.static),
            errors=result.errors,
            roots=tuple(roots),
            title=site.title,
        )

    def _tell_browsers(self, path: str) -> None:
        if self._ioloop is not None and self._socket_class is not None:
            self._ioloop.add_callback(self._socket_class.reload_waiters, path)


def _reload_paths(before: Snapshot, after: Snapshot, result: UpdateResult) -> list[str]:
    """What to tell browsers: nothing, a stylesheet or image to swap, or a page to reload."""
    if after.errors or before.errors:
        same = [e.format() for e in after.errors] == [e.format() for e in before.errors]
        return [] if same else ["/"]
    if result.changed_urls:
        shown = [url for url in result.edited if url in result.changed_urls]  # the page being edited, if any
        return [(shown or list(result.changed_urls))[0]]
    if result.static_changed:
        if all(
            url.endswith((".css", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")) for url in result.static_changed
        ):
            return list(result.static_changed)  # livereload.js swaps these without a reload
        return [next(u for u in result.static_changed if not u.endswith(".css"))]
    return []
