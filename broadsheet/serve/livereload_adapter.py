"""What the preview takes from livereload 2.7, and the internals of it that this relies on.

livereload offers one public way to serve: ``livereload.Server.serve()``, which owns the event
loop and the watcher and leaves no room for the preview's own server (see server.py for why it
is not used). It has no public way either to give a websocket handler its own set of waiting
browsers, or to set the options ``Server.serve()`` sets: it sets them as class attributes of
:class:`livereload.handlers.LiveReloadHandler` (``watcher``, ``live_css``), and its handler
files every browser that says hello under ``LiveReloadHandler.waiters``, shared by every server
in the process. This module is the one place that touches those class attributes, read in
livereload 2.7.1's ``handlers.py`` and ``server.py`` (pyproject.toml bounds livereload below 2.8,
so a new minor version is tried before it is used):

* ``LiveReloadHandler.waiters``: the class-level set of browsers that ``reload_waiters()``
  tells; ``on_message`` adds to the base class's set, which is moved to ours;
* ``LiveReloadHandler.watcher``: read by ``reload_waiters()`` for ``filepath`` only;
* ``LiveReloadHandler.live_css``: sent with every reload message (a stylesheet is swapped);
* ``LiveScriptInjector.script``: the snippet the injector puts before ``</head>``.

The browser protocol itself (hello, info, reload) stays livereload's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from livereload.handlers import LiveReloadHandler  # type: ignore[import-untyped]
from livereload.server import HEAD_END, LiveScriptInjector  # type: ignore[import-untyped]
from tornado import httputil, web

BODY_END = b"</body>"
#: The same snippet livereload.Server injects: load the client from the page's own host.
LIVE_SCRIPT = (
    b'<script>(function(){var s=document.createElement("script");'
    b'var port=(window.location.port||(window.location.protocol=="https:"?443:80));'
    b's.src="//"+window.location.hostname+":"+port+"/livereload.js?port="+port;'
    b"document.head.appendChild(s);})();</script>"
)


class _Quiet:
    """Stands in for livereload's watcher, which its reload_waiters() only reads ``filepath`` from."""

    filepath: str | None = None


class ScriptInjector(LiveScriptInjector):  # type: ignore[misc]
    """livereload's injector (before ``</head>``), also for pages without a ``</head>``."""

    script: bytes = LIVE_SCRIPT

    def transform_first_chunk(
        self, status_code: int, headers: httputil.HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, httputil.HTTPHeaders, bytes]:
        if "html" in headers.get("Content-Type", "") and HEAD_END not in chunk:
            at = chunk.rfind(BODY_END)
            chunk = chunk + self.script if at < 0 else chunk[:at] + self.script + chunk[at:]
            if "Content-Length" in headers:
                headers["Content-Length"] = str(len(chunk))
            return status_code, headers, chunk
        result: tuple[int, httputil.HTTPHeaders, bytes] = super().transform_first_chunk(
            status_code, headers, chunk, finishing
        )
        return result


def reload_socket(host_ok: Callable[[str | None], bool], origin_ok: Callable[[str], bool]) -> type[LiveReloadHandler]:
    """A LiveReloadHandler class for one server: its own waiting browsers, ``Host`` and ``Origin`` checked."""

    class ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
        waiters: ClassVar[set[LiveReloadHandler]] = set()
        watcher = _Quiet()
        live_css = True

        def prepare(self) -> None:
            if not host_ok(self.request.headers.get("Host")):
                raise web.HTTPError(400, reason="Unknown Host")

        def check_origin(self, origin: str) -> bool:
            return origin_ok(origin)

        def on_message(self, message: str | bytes) -> None:
            try:
                super().on_message(message)
            except (ValueError, TypeError, AttributeError):
                self.close()
                return
            # livereload files every browser under its own class; keep ours apart per server.
            if self in LiveReloadHandler.waiters:
                LiveReloadHandler.waiters.discard(self)
                type(self).waiters.add(self)

        def on_close(self) -> None:
            type(self).waiters.discard(self)
            LiveReloadHandler.waiters.discard(self)

    return ReloadSocket


def waiting(socket_class: type[LiveReloadHandler]) -> set[LiveReloadHandler]:
    """The browsers connected to one server's websocket class (see :func:`reload_socket`)."""
    found: set[LiveReloadHandler] = socket_class.waiters
    return found
