"""Helpers for the preview tests: a real server on a free loopback port and real clients."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from broadsheet.serve import Notice, PreviewSession, ServeOptions

#: Generous limits that only keep a broken test from hanging; nothing asserts on time.
TIMEOUT = 30.0
T = TypeVar("T")


def in_thread(function: Callable[[], T]) -> T:
    """Run ``function`` in a fresh thread and return its result (or raise its exception).

    Client code runs apart from pytest's main thread, where other tests' session fixtures
    (Playwright's sync API) may keep an event loop running.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:  # handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="test-client")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run an async client scenario on its own event loop, in its own thread."""
    return in_thread(lambda: asyncio.run(scenario()))


@contextmanager
def running(site: Path, report: Callable[[Notice], None] | None = None, **options: Any) -> Iterator[PreviewSession]:
    """Serve ``site`` on a free port of 127.0.0.1 from background threads."""
    session = PreviewSession(ServeOptions(source=site, port=0, **options), report)
    session.start_in_thread()
    try:
        yield session
    finally:
        session.stop()


def get(
    session: PreviewSession, path: str, headers: Mapping[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request with the path sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        all_headers = {"Host": f"127.0.0.1:{session.port}", **(headers or {})}
        for name, value in all_headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def raw_status(session: PreviewSession, request: bytes) -> int:
    """Send raw bytes as a request (for what http.client refuses to send); return the status."""
    with socket.create_connection(("127.0.0.1", session.port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


class Browser:
    """A page's livereload client: says hello, then waits for reload commands."""

    def __init__(self, conn: WebSocketClientConnection) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, session: PreviewSession, origin: str | None = None) -> Browser:
        """Connect like livereload.js does from a page of ``session``, and wait to be registered."""
        before = session.browsers
        origin = origin or f"http://127.0.0.1:{session.port}"
        request = HTTPRequest(f"ws://127.0.0.1:{session.port}/livereload", headers={"Origin": origin})
        conn = await asyncio.wait_for(websocket_connect(request), TIMEOUT)
        await conn.write_message(
            json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]})
        )
        hello = json.loads(await asyncio.wait_for(conn.read_message(), TIMEOUT) or "{}")
        assert hello["command"] == "hello"
        await conn.write_message(json.dumps({"command": "info", "url": origin + "/", "plugins": {}}))
        deadline = time.monotonic() + TIMEOUT
        while session.browsers <= before and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return cls(conn)

    async def reload(self) -> dict[str, Any]:
        """The next reload command."""
        while True:
            message = await asyncio.wait_for(self.conn.read_message(), TIMEOUT)
            assert message is not None, "the server closed the connection"
            data: dict[str, Any] = json.loads(message)
            if data.get("command") == "reload":
                return data

    def close(self) -> None:
        self.conn.close()
