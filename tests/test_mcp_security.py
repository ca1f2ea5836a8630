"""`bap mcp --http` against hostile requests: a real server on loopback, a real HTTP client.

Every server runs under `timeout`, so it stops by itself even if a test dies half-way.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BAP = str(Path(sys.executable).parent / "bap")
LIFETIME = "90"  # seconds: the longest any server started here lives
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}
JSON_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "BAP_MCP_TOKEN"}}
    return {**env, **extra}


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(args: list[str], host: str, port: int, **env: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        ["timeout", LIFETIME, BAP, "mcp", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(**env),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(
                    f"bap mcp exited: {proc.stderr.read() if proc.stderr else ''}"
                )
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("bap mcp --http did not start listening") from None
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()


class Reply:
    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status_code, self.headers, self.text = status, headers, text


def _post(url: str, **headers: str) -> Reply:
    """POST an initialize request with ``headers`` (``host`` replaces the real Host header)."""
    address = url.removeprefix("http://").split("/", 1)[0]
    host, port = address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        sent = {**JSON_HEADERS, "host": address, **headers}
        conn.request("POST", "/mcp", body=json.dumps(INIT), headers=sent)
        response = conn.getresponse()
        text = response.read(65536).decode("utf-8", "replace")
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        conn.close()


def test_a_non_loopback_bind_needs_allow_remote() -> None:
    done = subprocess.run(
        ["timeout", "60", BAP, "mcp", "--http", f"0.0.0.0:{_free_port()}"],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: --http 0.0.0.0:")
    assert "--allow-remote" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2"])
def test_a_foreign_host_or_origin_is_refused(host: str) -> None:
    port = _free_port(host)
    url = f"http://{host}:{port}/mcp"
    with serving(["--http", f"{host}:{port}"], host, port):
        good = _post(url)
        local = _post(url, host=f"localhost:{port}", origin=f"http://localhost:{port}")
        foreign_host = _post(url, host="evil.example:80")
        foreign_origin = _post(url, origin="http://evil.example")
        other_port = _post(url, host=f"{host}:{port + 1}")
    assert good.status_code == 200, good.text
    assert local.status_code == 200, local.text
    assert foreign_host.status_code == 421
    assert foreign_origin.status_code == 403
    assert other_port.status_code == 421


def test_allow_remote_requires_the_bearer_token() -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with serving(
        ["--http", f"127.0.0.1:{port}", "--allow-remote"],
        "127.0.0.1",
        port,
        BAP_MCP_TOKEN="s3cret",
    ):
        missing = _post(url)
        wrong = _post(url, authorization="Bearer nope")
        right = _post(url, authorization="Bearer s3cret")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert right.status_code == 200, right.text


def test_allow_remote_without_a_token_generates_one_and_prints_it_once() -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with serving(["--http", f"127.0.0.1:{port}", "--allow-remote"], "127.0.0.1", port) as proc:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        token = line.rsplit(" ", 1)[-1].strip()
        assert "bearer token" in line
        assert len(token) >= 32
        assert _post(url).status_code == 401
        assert _post(url, authorization=f"Bearer {token}").status_code == 200


def test_a_taken_port_is_an_error_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            ["timeout", "60", BAP, "mcp", "--http", str(port)],
            capture_output=True,
            text=True,
            env=_env(),
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: --http: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in done.stderr


def test_a_bad_tool_timeout_is_a_usage_error() -> None:
    done = subprocess.run(
        ["timeout", "60", BAP, "mcp", "--tool-timeout", "0"],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: --tool-timeout takes a number of seconds")
