"""The preview is safe by default: loopback only, its own Host and Origin only, no way out of the site."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from conftest import article, write_site
from serve_helpers import TIMEOUT, Browser, get, raw_status, run, running
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from broadsheet.serve.server import Guard, request_url


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    return write_site(
        tmp_path / "site",
        {
            "content/world/a.md": article("Alpha story"),
            "static/files/ok.txt": "public",
            "static/files/notes.txt": "public notes",
        },
    )


HOSTILE_PATHS = [
    "/../secret.txt",
    "/files/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2e%2e/secret.txt",
    "/files/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/%25252e%25252e/secret.txt",
    "/files/..%5c..%5csecret.txt",
    "/files%5c..%5c..%5csecret.txt",
    "/files/ok.txt%00.html",
    "//evil.example/",
    "/%2f%2fevil.example/",
    "/./files/ok.txt",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_are_refused(site: Path, path: str) -> None:
    with running(site) as session:
        status, headers, body = get(session, path)
    assert status == 400
    assert b"top secret" not in body and "location" not in headers


def test_raw_backslashes_and_nul_are_refused(site: Path) -> None:
    with running(site) as session:
        host = f"Host: 127.0.0.1:{session.port}\r\n".encode()
        for target in (b"/files\\..\\..\\secret.txt", b"/files/ok.txt\x00", b"http://evil.example/"):
            assert raw_status(session, b"GET " + target + b" HTTP/1.1\r\n" + host + b"\r\n") == 400


def test_no_directory_listing_and_no_redirect_off_site(site: Path) -> None:
    with running(site) as session:
        assert get(session, "/files/")[0] == 404
        assert get(session, "/files")[0] == 404
        assert get(session, "/files/ok.txt")[2] == b"public"
        status, headers, _ = get(session, "/world/alpha-story")
        assert status in (301, 302) and headers["location"] == "/world/alpha-story/"


def test_symlinks_out_of_the_site_are_not_served(site: Path) -> None:
    os.symlink(site.parent / "secret.txt", site / "static/files/linked.txt")
    with running(site) as session:
        assert get(session, "/files/linked.txt")[0] == 404
        # A file swapped for a link after the server started is not followed either.
        notes = site / "static/files/notes.txt"
        notes.unlink()
        os.symlink(site.parent / "secret.txt", notes)
        status, _, body = get(session, "/files/notes.txt")
        assert status == 404 and b"top secret" not in body


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1:1",
        "localhost.evil.example:{port}",
        "127.0.0.1:{port}@evil.example",
        "",
    ],
)
def test_foreign_host_headers_are_refused(site: Path, host: str) -> None:
    with running(site) as session:
        status, _, body = get(session, "/world/alpha-story/", {"Host": host.format(port=session.port)})
    assert status == 400 and b"Alpha story" not in body


def test_own_names_are_accepted(site: Path) -> None:
    with running(site) as session:
        for host in ("127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"):
            assert get(session, "/", {"Host": host.format(port=session.port)})[0] == 200


def test_missing_host_is_refused(site: Path) -> None:
    with running(site) as session:
        assert raw_status(session, b"GET / HTTP/1.0\r\n\r\n") == 400


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://evil.example:{port}",
        "null",
        "http://127.0.0.1.evil.example:{port}",
        "http://127.0.0.1:1",
    ],
)
def test_websockets_from_other_origins_are_refused(site: Path, origin: str) -> None:
    with running(site) as session:

        async def connect() -> int:
            request = HTTPRequest(
                f"ws://127.0.0.1:{session.port}/livereload", headers={"Origin": origin.format(port=session.port)}
            )
            try:
                conn = await asyncio.wait_for(websocket_connect(request), TIMEOUT)
            except HTTPClientError as exc:
                return exc.code
            conn.close()
            return 101

        assert run(connect) == 403
        assert session.browsers == 0


def test_websocket_with_a_foreign_host_is_refused(site: Path) -> None:
    with running(site) as session:

        async def connect() -> int:
            request = HTTPRequest(
                f"ws://127.0.0.1:{session.port}/livereload",
                headers={"Host": f"evil.example:{session.port}", "Origin": f"http://evil.example:{session.port}"},
            )
            try:
                conn = await asyncio.wait_for(websocket_connect(request), TIMEOUT)
            except HTTPClientError as exc:
                return exc.code
            conn.close()
            return 101

        assert run(connect) == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "http://evil.example/page"},
        {"Host": "evil.example:{port}"},
    ],
)
def test_forcereload_is_not_reachable_from_other_origins(site: Path, headers: dict[str, str]) -> None:
    with running(site) as session:
        sent = {k: v.format(port=session.port) for k, v in headers.items()}
        assert get(session, "/forcereload", sent)[0] in (400, 403)


def test_forcereload_from_the_preview_itself_reloads(site: Path) -> None:
    with running(site) as session:

        async def scenario() -> dict[str, object]:
            browser = await Browser.open(session)
            status, _, _ = await asyncio.to_thread(
                get,
                session,
                "/forcereload?path=/world/alpha-story/",
                {"Sec-Fetch-Site": "same-origin", "Origin": f"http://127.0.0.1:{session.port}"},
            )
            assert status == 200
            message = await browser.reload()
            browser.close()
            return message

        assert run(scenario)["path"] == "/world/alpha-story/"


def test_binds_loopback_by_default(site: Path) -> None:
    with running(site) as session:
        assert {s.getsockname()[0] for s in session.sockets} <= {"127.0.0.1"}
        assert session.url.startswith("http://127.0.0.1:")


def test_other_hosts_need_the_flag_and_are_warned_about(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from broadsheet.cli import main

    no_site = str(site / "content")  # no site.yml there: stops after the warning
    assert main(["serve", "--source", no_site, "--host", "0.0.0.0"]) == 2
    assert "warning: listening on 0.0.0.0" in capsys.readouterr().err
    assert main(["serve", "--source", no_site, "--host", "127.0.0.1"]) == 2
    assert "warning" not in capsys.readouterr().err
    guard = Guard.for_binding("0.0.0.0", 8000)
    assert guard.host_ok("192.168.1.20:8000") and not guard.host_ok("evil.example:8000")


def test_request_url_decodes_once_and_refuses_climbing() -> None:
    assert request_url("/world/a%20b/") == "/world/a b/"
    assert request_url("/caf%C3%A9/") == "/café/"
    for bad in ("", "world/", "//x", "/a/../b", "/%2e%2e/", "/%252e%252e/", "/a%5cb", "/a%00", "/%ff/"):
        assert request_url(bad) is None, bad


def test_a_port_in_use_is_a_usage_error(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from broadsheet.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--source", str(site), "--port", str(port)]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
    assert not (site / "output").exists()


def test_a_flood_of_hostile_requests_is_refused_and_the_server_keeps_serving(site: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with running(site) as session:
        paths = [HOSTILE_PATHS[i % len(HOSTILE_PATHS)] for i in range(1000)]

        def one(i: int) -> int:
            if i % 3 == 0:
                return get(session, "/", headers={"Host": "evil.example"})[0]
            return get(session, paths[i])[0]

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(one, range(1000)))
        assert set(statuses) == {400}, sorted(set(statuses))
        status, _, body = get(session, "/world/alpha-story/")
        assert status == 200 and b"Alpha story" in body
