"""Who may read the desk: off unless MONITOR_WEB_PORT is set, loopback by default, and any
other address only with a login (a password, compared in constant time, or a reverse
proxy's user header); the daemon serves it beside the health server."""

from __future__ import annotations

import base64
import hmac
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.web.access import password_matches
from tests.conftest import make_rules_dir
from tests.deskroom import PDX, Newsroom, newsroom, serve_desk
from tests.processes import http_get, monitor_env

__all__ = ["newsroom"]  # the session fixture, imported for pytest

PASSWORD = "correct horse battery staple"
WAIT_S = 60.0  # generous: a loaded 2-core machine; the wait ends as soon as it holds


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def locked_desk(newsroom: Newsroom) -> Iterator[httpx.Client]:
    """The desk with a password and a trusted proxy header."""
    with (
        serve_desk(
            newsroom, web_password=PASSWORD, web_trusted_header="X-Forwarded-User"
        ) as server,
        httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as client,
    ):
        yield client


def test_a_non_loopback_host_without_a_login_is_a_configuration_error() -> None:
    """MONITOR_WEB_HOST=0.0.0.0 alone stops `monitor run` with exit 2 and one line saying
    which settings fix it."""
    env = {"MONITOR_WEB_PORT": "8081", "MONITOR_WEB_HOST": "0.0.0.0"}
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert "MONITOR_WEB_HOST=0.0.0.0" in line
    assert "MONITOR_WEB_PASSWORD" in line and "MONITOR_WEB_TRUSTED_HEADER" in line


@pytest.mark.parametrize(
    "login",
    [
        {"web_password": PASSWORD},
        {"web_trusted_header": "X-Forwarded-User"},
    ],
    ids=["password", "proxy-header"],
)
def test_a_non_loopback_host_with_a_login_is_accepted(login: dict[str, object]) -> None:
    """A password or a trusted header makes any address acceptable."""
    settings = load_settings(web_port=8081, web_host="0.0.0.0", **login)
    assert settings.web_host == "0.0.0.0"


def test_the_password_may_come_from_a_file(tmp_path: Path) -> None:
    """MONITOR_WEB_PASSWORD_FILE holds the password (a mounted secret), without its newline."""
    secret = tmp_path / "desk-password"
    secret.write_text(f"{PASSWORD}\n", encoding="utf-8")
    settings = load_settings(web_port=8081, web_host="::", web_password_file=str(secret))
    assert settings.web_password == PASSWORD


def test_the_desk_is_off_unless_a_port_is_set() -> None:
    """Without MONITOR_WEB_PORT (or with it empty, as in .env.example) no login is asked
    for, whatever the host: nothing listens."""
    assert load_settings(web_host="0.0.0.0").web_port is None
    assert load_settings(web_host="0.0.0.0", web_port=" ").web_port is None


def test_a_trusted_header_must_be_a_header_name() -> None:
    """A header name with spaces or a colon is refused with an example."""
    with pytest.raises(ConfigError, match="X-Forwarded-User"):
        load_settings(web_port=8081, web_trusted_header="X-User: admin")


@pytest.mark.parametrize("path", ["/", f"/incidents/{PDX}", "/api/alerts", "/api/openapi.json"])
def test_every_page_asks_for_the_login(locked_desk: httpx.Client, path: str) -> None:
    """Without the login a page is 401 with a Basic challenge; a wrong password too."""
    refused = locked_desk.get(path)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic ")
    assert PDX not in refused.text
    assert locked_desk.get(path, headers=_basic("desk", "wrong")).status_code == 401
    assert locked_desk.get(path, headers={"X-Forwarded-User": ""}).status_code == 401


def test_the_password_or_the_proxy_header_opens_the_pages(locked_desk: httpx.Client) -> None:
    """The right password (any user name) or the proxy's non-empty user header is a 200."""
    assert locked_desk.get(f"/incidents/{PDX}", headers=_basic("anna", PASSWORD)).is_success
    assert locked_desk.get("/api/incidents", headers={"X-Forwarded-User": "anna"}).is_success


def test_the_password_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check goes through hmac.compare_digest with the given and the set password."""
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert not password_matches(_basic("x", "guess")["Authorization"], PASSWORD)
    assert password_matches(_basic("x", PASSWORD)["Authorization"], PASSWORD)
    assert compared == [(b"guess", PASSWORD.encode()), (PASSWORD.encode(), PASSWORD.encode())]
    assert not password_matches("Basic not-base64!", PASSWORD)
    assert not password_matches(f"Bearer {PASSWORD}", PASSWORD)


def test_a_taken_port_stops_the_start_with_the_fix(newsroom: Newsroom) -> None:
    """The socket is bound before uvicorn starts: a port in use is a ConfigError (exit 2)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = pytest.raises(ConfigError, match=f"MONITOR_WEB_PORT={port}: cannot listen")
        with refused, serve_desk(newsroom, web_port=port):
            pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_daemon_serves_the_desk_beside_the_health_server(tmp_path: Path) -> None:
    """`monitor run` with MONITOR_WEB_PORT answers the incidents page and its JSON."""
    web_port = _free_port()
    env = monitor_env(
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
        workdir=tmp_path,
        rules_dir=make_rules_dir(tmp_path, {}),
        MONITOR_WEB_PORT=str(web_port),
    )
    with (tmp_path / "daemon.log").open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"], env=env, stdout=subprocess.DEVNULL,
            stderr=log_file, text=True,
        )  # fmt: skip
        try:
            deadline, answer = time.monotonic() + WAIT_S, None
            while answer is None and time.monotonic() < deadline:
                assert process.poll() is None, (tmp_path / "daemon.log").read_text()
                try:
                    answer = http_get(web_port, "/api/incidents")
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.2)
            assert answer is not None and answer[0] == 200
            assert PDX in answer[1]
            assert http_get(web_port, "/")[0] == 200
        finally:
            process.kill()
            process.wait(10)
