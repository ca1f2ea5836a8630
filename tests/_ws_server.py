"""Helpers for the websocket_handler tests: run a rendering under uvicorn, talk to it.

Two ways to run a server, both on 127.0.0.1 with a free port and both always stopped:
- ``uvicorn_process``: ``python -m uvicorn app:app`` in the rendered folder, as a user runs it.
- ``uvicorn_in_loop``: a ``uvicorn.Server`` task in the test's event loop, so a test can look at
  the app's state (its rooms) while real clients talk to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from websockets.asyncio.client import ClientConnection

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
WAIT = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)


def start_uvicorn(
    folder: Path, env: Mapping[str, str], log: IO[bytes], *args: str
) -> subprocess.Popen[bytes]:
    """Start ``uvicorn app:app`` in ``folder``, its output into ``log``; the caller stops it."""
    full_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | dict(env)
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", *args],
        cwd=folder,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )


def read_log(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


@contextlib.contextmanager
def uvicorn_process(folder: Path, env: Mapping[str, str], *args: str) -> Iterator[int]:
    """Serve the rendering in ``folder`` from a child process; yields its port."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = start_uvicorn(folder, env, log, "--port", str(port), *args)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _healthy(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    stop(proc)
                    raise RuntimeError(
                        f"uvicorn did not start (exit {proc.returncode}):\n{read_log(log)}"
                    )
                time.sleep(0.05)
            yield port
        finally:
            stop(proc)


@contextlib.asynccontextmanager
async def uvicorn_in_loop(app: Any) -> AsyncIterator[int]:
    """Serve ``app`` from a task of the running event loop; yields its port."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped during start-up")
                await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await task
        except TimeoutError:
            server.force_exit = True
            await task
        sock.close()


_RENDERED_MODULES = ("app", "realtime", "test_realtime")


def _rendered(name: str) -> bool:
    return any(name == top or name.startswith(f"{top}.") for top in _RENDERED_MODULES)


@contextlib.contextmanager
def imported(folder: Path) -> Iterator[ModuleType]:
    """Import the rendering's ``app`` module; undo every trace of it in ``sys.modules`` after.

    Other renderings also have an ``app`` module: whatever was loaded before is put back.
    """
    saved = {name: mod for name, mod in sys.modules.items() if _rendered(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("app")
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if _rendered(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


async def receive(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        frame = await ws.recv()
    data = json.loads(frame)
    assert isinstance(data, dict)
    return data


async def say(ws: ClientConnection, text: str) -> None:
    await ws.send(json.dumps({"type": "message", "text": text}))


async def ping(ws: ClientConnection) -> None:
    """Ping and wait for the pong: nothing else was queued for ``ws`` before it."""
    await ws.send(json.dumps({"type": "ping"}))
    assert await receive(ws) == {"type": "pong"}


async def eventually(check: Any) -> None:
    for _ in range(int(WAIT / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    assert check()
