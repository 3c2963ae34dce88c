"""The preview's HTTP side: pages from memory, static files from their folders, live reload.

Why not ``livereload.Server``: its ``serve()`` owns the event loop and the watcher, turns
tornado's debug autoreload on when given an app (a poll of every imported module), serves
files from one folder on disk, and neither checks the ``Host`` header nor the ``Origin`` of
websockets; its WSGI path runs our code synchronously inside tornado anyway. So this module
builds the tornado ``Application`` itself and reuses the parts of livereload that matter:

* :class:`livereload.handlers.LiveReloadHandler`, the websocket end of the livereload
  protocol. A subclass per server checks ``Host`` and ``Origin``, keeps its own set of
  waiting browsers, and is told to reload with ``reload_waiters(path)``, called on the
  event loop through ``IOLoop.add_callback`` (the one thread-safe IOLoop method). That call
  has no throttle (the 3-second ``DEFAULT_RELOAD_TIME`` only applies to livereload's own
  polling, which never runs here), so two saves a second apart both reload.
* :class:`livereload.handlers.LiveReloadJSHandler` for the browser script, and
  :class:`livereload.server.LiveScriptInjector` to add the script tag to HTML pages.

What of this needs livereload's class attributes (it has no public way to set them outside
its own ``Server.serve()``) lives in :mod:`broadsheet.serve.livereload_adapter`.

Every request first passes :class:`Guard`: the ``Host`` header must name this server (a
page on another site cannot reach it by DNS rebinding), websockets and ``/forcereload``
must come from this server's own pages, and paths that try to climb out (``..`` in any
encoding, backslashes, NUL, ``//host``) are refused. Pages are looked up in a dict and
static files in a map built by the engine, so no path from a request ever reaches the file
system, there are no directory listings, and a static file whose real path has left its
folder (a symlink swapped in later) is not served.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler  # type: ignore[import-untyped]
from tornado import web

from ..errors import BroadsheetError
from .livereload_adapter import ScriptInjector, reload_socket
from .overlay import error_page

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the server shows: the last good pages, the static files, and current errors."""

    pages: Mapping[str, bytes] = field(default_factory=dict)
    static: Mapping[str, Path] = field(default_factory=dict)
    errors: tuple[BroadsheetError, ...] = ()
    roots: tuple[Path, ...] = ()
    """Real folders static files may be read from."""
    title: str = "Broadsheet"


def is_wildcard(host: str) -> bool:
    """True for addresses that listen on every interface."""
    return host in WILDCARD_HOSTS


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or an address) only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None] | None:
    """Split a Host header (``name:port``, ``[v6]:port``) into lower-case host and port."""
    value = value.strip().lower()
    if not value or _CONTROL.search(value) or "@" in value or "/" in value:
        return None
    match = re.fullmatch(r"\[([0-9a-f:.]+)\](?::(\d{1,5}))?|([^:\[\]]+)(?::(\d{1,5}))?", value)
    if match is None:
        return None
    host = match.group(1) or match.group(3)
    port = match.group(2) or match.group(4)
    return host.rstrip("."), int(port) if port else None


@dataclass(frozen=True, slots=True)
class Guard:
    """Decides which Host headers, origins and paths this server answers."""

    port: int
    names: frozenset[str]
    any_address: bool = False
    """True when bound to every interface: any IP literal may name this server."""

    @classmethod
    def for_binding(cls, host: str, port: int) -> Guard:
        """The names a server bound to ``host``:``port`` is reachable by."""
        names = set(LOOPBACK_NAMES) if is_loopback(host) or is_wildcard(host) else set()
        if host and not is_wildcard(host):
            names.add(host.strip("[]").lower())
        if not is_loopback(host):
            for name in (socket.gethostname(), socket.getfqdn()):
                if name:
                    names.add(name.lower().rstrip("."))
        return cls(port, frozenset(names), any_address=is_wildcard(host))

    def host_ok(self, header: str | None) -> bool:
        """True when a Host header names this server (with its port)."""
        parts = split_host(header or "")
        if parts is None:
            return False
        host, port = parts
        if (port if port is not None else 80) != self.port:
            return False
        if host in self.names:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False  # a name we do not know: maybe a rebound DNS name
        return self.any_address or (address.is_loopback and "127.0.0.1" in self.names)

    def origin_ok(self, origin: str | None) -> bool:
        """True when an Origin (or Referer) is a page of this server."""
        if not origin:
            return False
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.scheme == "http" and self.host_ok(parts.netloc)


def request_url(raw_path: str) -> str | None:
    """Decode a request path into a site URL, or None when it tries to leave the site.

    Refused: anything not starting with exactly one ``/``, backslashes and control
    characters, and ``.``/``..`` segments even when percent-encoded once, twice or thrice.
    """
    if not raw_path.startswith("/") or raw_path.startswith("//"):
        return None
    decoded = raw_path
    for _ in range(3):
        if _CONTROL.search(decoded) or decoded.startswith("//"):
            return None
        if any(segment in (".", "..") for segment in decoded.split("/")):
            return None
        try:
            decoded = unquote(decoded, errors="strict") if "%" in decoded else decoded
        except UnicodeDecodeError:
            return None
    if _CONTROL.search(decoded) or any(segment in (".", "..") for segment in decoded.split("/")):
        return None
    url = unquote(raw_path)
    return None if url.startswith("//") else url


class _Guarded(web.RequestHandler):
    guard: Guard

    def initialize(self, guard: Guard) -> None:
        self.guard = guard

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")

    def prepare(self) -> None:
        if not self.guard.host_ok(self.request.headers.get("Host")):
            raise web.HTTPError(400, reason="Unknown Host")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")


class PageHandler(_Guarded):
    """Pages from memory, static files from their folders, the error view while a build fails."""

    def initialize(  # type: ignore[override]
        self, guard: Guard, snapshot: Callable[[], Snapshot], base_path: str = "/"
    ) -> None:
        super().initialize(guard)
        self.snapshot = snapshot
        self.base_path = base_path

    def get(self) -> None:
        self._serve()

    def head(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = request_url(self.request.path)
        if url is None:
            raise web.HTTPError(400, reason="Bad Path")
        if self.base_path != "/":  # the site is previewed under /news/, as it will be published
            if url in ("/", self.base_path[:-1]):
                self.redirect(self.base_path)
                return
            url = url[len(self.base_path) - 1 :] if url.startswith(self.base_path) else "/\x00outside"
        snap = self.snapshot()
        source = snap.static.get(url)
        if source is not None:
            self._serve_file(url, source, snap.roots)
            return
        if snap.errors:
            self.set_status(500)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(error_page(snap.errors, snap.title))
            return
        data = snap.pages.get(url)
        if data is not None:
            self.set_header("Content-Type", _page_type(url))
            self.finish(data)
            return
        if not url.endswith("/") and url + "/" in snap.pages:
            self.redirect(self.request.path + "/")  # a path starting with one '/': stays on this server
            return
        self.set_status(404)
        not_found = snap.pages.get("/404.html")
        if not_found is None:
            raise web.HTTPError(404)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(not_found)

    def _serve_file(self, url: str, source: Path, roots: tuple[Path, ...]) -> None:
        try:
            real = source.resolve(strict=True)
            if not any(real.is_relative_to(root) for root in roots) or not real.is_file():
                raise web.HTTPError(404)
            data = real.read_bytes()
        except OSError:
            raise web.HTTPError(404) from None
        self.set_header("Content-Type", _file_type(url))
        self.finish(data)


class LiveScriptHandler(_Guarded, LiveReloadJSHandler):  # type: ignore[misc]
    """livereload's browser script, behind the Host check."""


class ForceReloadHandler(_Guarded):
    """``/forcereload?path=...``, livereload's manual trigger, for this server's own pages only."""

    def initialize(self, guard: Guard, socket_class: type[LiveReloadHandler]) -> None:  # type: ignore[override]
        super().initialize(guard)
        self.socket_class = socket_class

    def get(self) -> None:
        headers = self.request.headers
        site = headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            raise web.HTTPError(403)
        for name in ("Origin", "Referer"):
            value = headers.get(name)
            if value is not None and not self.guard.origin_ok(value):
                raise web.HTTPError(403)
        path = self.get_argument("path", default="*")
        self.socket_class.reload_waiters(path if path.startswith("/") else "*")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok")


def make_app(
    guard: Guard, snapshot: Callable[[], Snapshot], base_path: str = "/"
) -> tuple[web.Application, type[LiveReloadHandler]]:
    """The preview application and its websocket class (for ``reload_waiters``).

    ``base_path``: the path the site is served under (``/news/``); requests outside it get the 404 page.
    """
    socket_class = reload_socket(guard.host_ok, guard.origin_ok)
    app = web.Application(
        [
            (r"/livereload", socket_class),
            (r"/livereload\.js", LiveScriptHandler, {"guard": guard}),
            (r"/forcereload", ForceReloadHandler, {"guard": guard, "socket_class": socket_class}),
            (r"/.*", PageHandler, {"guard": guard, "snapshot": snapshot, "base_path": base_path}),
        ],
        transforms=[ScriptInjector],
        default_handler_class=PageHandler,
        default_handler_args={"guard": guard, "snapshot": snapshot, "base_path": base_path},
        websocket_max_message_size=64 * 1024,
        log_function=lambda handler: None,  # the command line reports builds, not requests
    )
    return app, socket_class


def _page_type(url: str) -> str:
    if url.endswith(("/", ".html", ".htm")):
        return "text/html; charset=utf-8"
    return _file_type(url)


def _file_type(url: str) -> str:
    kind, _ = mimetypes.guess_type(url)
    kind = kind or "application/octet-stream"
    if kind.startswith("text/") or kind in (
        "application/javascript",
        "application/json",
        "application/xml",
        "image/svg+xml",
    ):
        kind += "; charset=utf-8"
    return kind
