"""The websocket_handler pattern.

Renderings for several parameter sets lint, type-check and pass their own tests; then the rules
the pattern encodes are checked from outside against real uvicorn servers (child processes, or
a server task in this loop where a test must look at the rooms) and real websockets clients.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _ws_server import (
    START_TIMEOUT,
    WAIT,
    eventually,
    imported,
    ping,
    read_log,
    receive,
    say,
    start_uvicorn,
    stop,
    uvicorn_in_loop,
    uvicorn_process,
)
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from rendered import (
    PROJECT_PYPROJECT,
    assert_clean,
    assert_rendered_tests_pass,
    free_port,
    render_into,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from backend_patterns.render import Ref, SessionRef, Target, render, render_pattern, write_files

PATTERN = "websocket_handler"
# The pytest configuration all four patterns ship.
PYTEST_INI = (
    "[pytest]\n"
    "asyncio_mode = strict\n"
    "asyncio_default_fixture_loop_scope = function\n"
    "asyncio_default_test_loop_scope = function\n"
)
TOKEN = secrets.token_urlsafe(32)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 1024

PARAM_SETS: dict[str, dict[str, str]] = {
    "defaults": {},
    "redis": {"backplane": "redis"},
    "route-and-size": {"route": "/live/rooms", "max_message_bytes": str(LIMIT)},
    "root-route-redis-16mib": {
        "route": "",
        "backplane": "redis",
        "max_message_bytes": str(16 * 1024 * 1024),
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("name", PARAM_SETS)
def test_rendering_is_clean_and_its_own_tests_pass(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    params = PARAM_SETS[name]
    env: dict[str, str] = {}
    if params.get("backplane") == "redis":
        env["TEST_REDIS_URL"] = request.getfixturevalue("redis_url")
    folder = render_into(tmp_path, PATTERN, params)
    assert_clean(folder)
    assert_default_ruff(folder)
    assert (folder / "pytest.ini").read_text(encoding="utf-8") == PYTEST_INI
    with imported(folder) as module:
        assert isinstance(module.app, FastAPI)
        route = params.get("route", "/ws")
        assert module.app.url_path_for("room_socket", room="lobby") == f"{route}/lobby"
        assert module.app.url_path_for("healthz") == "/healthz"
    assert_rendered_tests_pass(folder, env)


@pytest.fixture(scope="module")
def memory_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ws-memory")
    return render_into(folder, PATTERN, {"max_message_bytes": str(LIMIT)}, with_tests=False)


@pytest.fixture(scope="module")
def redis_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ws-redis")
    return render_into(folder, PATTERN, {"backplane": "redis"}, with_tests=False)


@pytest.fixture(scope="module")
def memory_server(memory_app: Path) -> Iterator[int]:
    with uvicorn_process(memory_app, {"WS_TOKEN": TOKEN}) as port:
        yield port


def url(port: int, room: str) -> str:
    return f"ws://127.0.0.1:{port}/ws/{room}"


def client(port: int, room: str, **options: Any) -> connect:
    return connect(url(port, room), additional_headers=AUTH, open_timeout=WAIT, **options)


@pytest.mark.parametrize("token", ["", "short", "x" * 15])
def test_app_refuses_to_start_without_a_strong_token(memory_app: Path, token: str) -> None:
    with tempfile.TemporaryFile() as log:
        proc = start_uvicorn(memory_app, {"WS_TOKEN": token}, log, "--port", "0")
        try:
            code = proc.wait(START_TIMEOUT)
        finally:
            stop(proc)
        assert code != 0
        assert "WS_TOKEN must be a secret of at least 16 characters" in read_log(log)


@pytest.mark.parametrize(
    ("headers", "room"),
    [
        ({}, "lobby"),
        ({"Authorization": "Bearer not-the-token-0123456789"}, "lobby"),
        ({"Authorization": f"Token {TOKEN}"}, "lobby"),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, "lobby"),
        (AUTH, "Lobby"),
        (AUTH, "x" * 65),
        (AUTH, "semi%3Bcolon"),
    ],
)
async def test_refused_before_accept_with_403(
    memory_server: int, headers: dict[str, str], room: str
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            url(memory_server, room), additional_headers=headers, open_timeout=WAIT
        ):
            pass
    assert refused.value.response.status_code == 403
    # The same server accepts the right token on a valid room: the refusal was the check.
    async with client(memory_server, "lobby") as ws:
        await ping(ws)


async def test_token_in_the_query_string_is_not_accepted(memory_server: int) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{url(memory_server, 'lobby')}?token={TOKEN}", open_timeout=WAIT):
            pass
    assert refused.value.response.status_code == 403


async def test_room_broadcast_reaches_the_room_and_only_it(memory_server: int) -> None:
    async with (
        client(memory_server, "alpha") as a1,
        client(memory_server, "alpha") as a2,
        client(memory_server, "beta") as b,
    ):
        await ping(a2)  # a2 is in the room once it answers
        await say(a1, "hi alpha")
        expected = {"type": "message", "room": "alpha", "text": "hi alpha"}
        assert await receive(a2) == expected
        assert await receive(a1) == expected
        await ping(b)  # the pong is b's first frame: nothing from alpha came before it


async def test_bad_frame_gets_an_error_frame_and_the_connection_stays(
    memory_server: int,
) -> None:
    async with client(memory_server, "lobby") as ws:
        await ws.send(json.dumps({"type": "message", "text": "hi", "room": "other"}))
        reply = await receive(ws)
        assert reply["type"] == "error"
        assert "room" in reply["detail"]
        await ping(ws)


def frame_of_size(size: int) -> str:
    head = len(json.dumps({"type": "message", "text": ""}))
    frame = json.dumps({"type": "message", "text": "x" * (size - head)})
    assert len(frame.encode()) == size
    return frame


@pytest.mark.parametrize(
    "uvicorn_args", [(), ("--ws-max-size", str(LIMIT))], ids=["app-check", "uvicorn-ws-max-size"]
)
async def test_oversize_frame_is_closed_with_1009(
    memory_app: Path, uvicorn_args: tuple[str, ...]
) -> None:
    """The app closes a frame over the limit with 1009; so does uvicorn given --ws-max-size,
    before the frame reaches the app. A frame exactly at the limit is delivered."""
    with uvicorn_process(memory_app, {"WS_TOKEN": TOKEN}, *uvicorn_args) as port:
        async with client(port, "sizes") as ws, client(port, "sizes") as other:
            await ping(other)
            await ws.send(frame_of_size(LIMIT))
            assert (await receive(other))["type"] == "message"
            assert (await receive(ws))["type"] == "message"
            await ws.send(frame_of_size(LIMIT + 1))
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1009
            await ping(other)


async def test_two_uvicorn_processes_fan_out_through_redis(
    redis_app: Path, redis_url: str
) -> None:
    prefix = f"bap-test-{uuid.uuid4().hex}:"
    env = {"WS_TOKEN": TOKEN, "REDIS_URL": redis_url, "WS_CHANNEL_PREFIX": prefix}
    elsewhere = env | {"WS_CHANNEL_PREFIX": f"bap-test-{uuid.uuid4().hex}:"}
    with (
        uvicorn_process(redis_app, env) as one,
        uvicorn_process(redis_app, env) as two,
        uvicorn_process(redis_app, elsewhere) as other,
    ):
        async with (
            client(one, "omega") as here,
            client(two, "omega") as there,
            client(other, "omega") as outsider,
        ):
            for ws in (here, there, outsider):
                await ping(ws)
            await say(here, "from process one")
            expected = {"type": "message", "room": "omega", "text": "from process one"}
            assert await receive(there) == expected
            assert await receive(here) == expected
            await say(there, "from process two")
            assert (await receive(here))["text"] == "from process two"
            assert (await receive(there))["text"] == "from process two"
            await ping(outsider)  # another prefix is another deployment: nothing arrived


@pytest.fixture(scope="module")
def in_loop_app(memory_app: Path) -> FastAPI:
    """The rendered app, imported into this process so a test can look at its rooms."""
    with imported(memory_app) as module:
        settings = importlib.import_module("realtime.settings").Settings(token=TOKEN)
        app = module.create_app(settings)
    assert isinstance(app, FastAPI)
    return app


def rooms(app: FastAPI) -> dict[str, int]:
    counts = app.state.hub.manager.rooms()
    assert isinstance(counts, dict)
    return counts


async def test_disconnect_removes_the_socket_and_drops_the_empty_room(
    in_loop_app: FastAPI,
) -> None:
    async with uvicorn_in_loop(in_loop_app) as port:
        async with client(port, "gamma") as first:
            async with client(port, "gamma") as second:
                await ping(second)
                assert rooms(in_loop_app) == {"gamma": 2}
            await eventually(lambda: rooms(in_loop_app) == {"gamma": 1})
            await ping(first)
        await eventually(lambda: rooms(in_loop_app) == {})
        # A client that vanishes without a closing handshake is cleaned up too.
        async with client(port, "gamma") as ws:
            await ping(ws)
            ws.transport.abort()
        await eventually(lambda: rooms(in_loop_app) == {})


# Pitfall: broadcast to a closed socket.


def held_sockets_app() -> tuple[FastAPI, list[WebSocket], dict[str, asyncio.Event]]:
    """An app that keeps every socket in a plain list and never removes one: the usual
    naive registry. Each handler returns once its client has gone."""
    app = FastAPI()
    held: list[WebSocket] = []
    gone: dict[str, asyncio.Event] = {}

    @app.websocket("/hold/{name}")
    async def hold(websocket: WebSocket, name: str) -> None:
        await websocket.accept()
        gone[name] = asyncio.Event()
        held.append(websocket)
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
        gone[name].set()

    return app, held, gone


async def naive_broadcast(sockets: list[WebSocket], text: str) -> None:
    for websocket in sockets:
        await websocket.send_text(text)


async def test_pitfall_broadcast_to_a_closed_socket(in_loop_app: FastAPI) -> None:
    """A naive loop raises at the closed socket and the clients after it get nothing; the
    pattern's manager drops that socket and delivers to everyone else."""
    manager_class = type(in_loop_app.state.hub.manager)  # the rendered ConnectionManager
    app, held, gone = held_sockets_app()
    async with uvicorn_in_loop(app) as port:

        def hold(name: str) -> connect:
            return connect(f"ws://127.0.0.1:{port}/hold/{name}", open_timeout=WAIT)

        async with hold("a") as a, hold("b") as b, hold("c") as c:
            await eventually(lambda: len(held) == 3)
            await b.close()
            async with asyncio.timeout(WAIT):
                await gone["b"].wait()

            # The pitfall is real: the loop dies at b, and c never hears of it.
            with pytest.raises(WebSocketDisconnect):
                await naive_broadcast(held, "naive")
            assert await receive_text(a) == "naive"

            # The pattern: same sockets, b dead among them.
            manager = manager_class(send_timeout=2.0)
            for websocket in held:
                manager.connect("room", websocket)
            assert await manager.broadcast("room", "managed") == 2
            assert manager.rooms() == {"room": 2}
            assert await receive_text(a) == "managed"
            assert await receive_text(c) == "managed"  # c's first frame: "naive" never came
            assert await manager.broadcast("room", "again") == 2


async def receive_text(ws: Any) -> str:
    async with asyncio.timeout(WAIT):
        frame = await ws.recv()
    assert isinstance(frame, str)
    return frame


# --- lint with no configuration, and a rendering into a project ---------------------------------

BIN = Path(sys.executable).parent
MYPY_CACHE = Path(os.environ.get("BAP_TEST_MYPY_CACHE", "/tmp/bap-test-mypy-cache"))


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``args`` in ``cwd``; fail with its output unless it exits 0."""
    full = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | (env or {})
    done = subprocess.run(
        args, cwd=cwd, env=full, capture_output=True, text=True, timeout=600, check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{out}"
    return out


def assert_default_ruff(folder: Path) -> None:
    """The pinned ruff's default rule set, no configuration at all, passes."""
    _run([str(BIN / "ruff"), "check", "--isolated", "--no-cache", "."], folder)


def test_standalone_files_roles_and_imports() -> None:
    files = {f.path: f for f in render(PATTERN, with_tests=True)}
    assert files["pytest.ini"].content == PYTEST_INI
    assert files["realtime/endpoint.py"].role == "router"
    assert "router = make_router()" in files["realtime/endpoint.py"].content
    assert "APIRouter(lifespan=lifespan)" in files["realtime/endpoint.py"].content
    assert "from realtime.endpoint import make_router\n" in files["app.py"].content
    for f in files.values():  # every import goes through the context: no relative ones
        assert "from ." not in f.content, f.path
        assert "from app import" not in f.content, f.path


PROJECT_MAIN = '''"""The project's app."""

from fastapi import FastAPI

from app.chat.ws import router as chat_router

app = FastAPI()
app.include_router(chat_router)
'''

# id -> (import root, asyncio mode, backplane)
PROJECTS = {
    "flat-auto-memory": ("", "auto", "memory"),
    "src-strict-redis": ("src", "strict", "redis"),
}


async def _ping_until_served(port: int, route: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            async with connect(
                f"ws://127.0.0.1:{port}{route}/lobby", additional_headers=AUTH, open_timeout=1
            ) as ws:
                await ping(ws)
                return
        except OSError:
            assert proc.poll() is None, "uvicorn exited"
            assert time.monotonic() < deadline, "uvicorn did not serve in time"
            await asyncio.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("case", PROJECTS)
def test_rendering_into_a_project_passes_its_checks_and_tests(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import_root, mode, backplane = PROJECTS[case]
    env: dict[str, str] = {}
    if backplane == "redis":
        env["TEST_REDIS_URL"] = env["REDIS_URL"] = request.getfixturevalue("redis_url")
        env["WS_CHANNEL_PREFIX"] = f"bap-test-{uuid.uuid4().hex}:"
    root = tmp_path / "project"
    package = root / import_root / "app"
    (package / "chat").mkdir(parents=True)
    (package / "realtime").mkdir()
    for init in ("__init__.py", "chat/__init__.py"):
        (package / init).write_text("", encoding="utf-8")
    (package / "main.py").write_text(PROJECT_MAIN, encoding="utf-8")
    (root / "tests").mkdir()
    config = PROJECT_PYPROJECT.format(root=import_root or ".", mode=mode)
    (root / "pyproject.toml").write_text(config, encoding="utf-8")

    under = f"{import_root}/app" if import_root else "app"
    paths = {"router": f"{under}/chat/ws.py", "tests": "tests/test_chat_realtime.py"}
    for part in ("settings", "messages", "manager", "backplane", "hub"):
        paths[f"realtime_{part}"] = f"{under}/realtime/{part}.py"
    paths["realtime"] = f"{under}/realtime/__init__.py"
    db = Ref("app.db", "Base")  # unused by this pattern
    target = Target(
        paths=paths,
        base=db,
        session=SessionRef("app.db", "SessionDep"),
        import_root=import_root,
    )
    params = {"backplane": backplane, "route": "/chat"}
    rendering = render_pattern(PATTERN, params, with_tests=True, target=target)
    roles = {f.role: f.content for f in rendering.files}
    assert set(roles) == set(paths)  # no app.py, no pytest.ini of its own
    assert "from app.realtime.hub import Hub, open_hub\n" in roles["router"]
    assert "from app.chat.ws import make_router\n" in roles["tests"]
    write_files(rendering.files, root)

    _run([str(BIN / "ruff"), "check", "--no-cache", "."], root)  # the project's selection
    assert_default_ruff(root)
    _run([str(BIN / "ruff"), "format", "--no-cache", "--check", "."], root)
    _run([sys.executable, "-m", "mypy", "--cache-dir", str(MYPY_CACHE), "."], root)
    out = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], root, env
    )
    assert " passed" in out, out
    assert "skipped" not in out, out

    # The project's own app serves the endpoint: including the router opened the hub.
    port = free_port()
    full = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | env | {"WS_TOKEN": TOKEN}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*command, "--app-dir", str(root / import_root)],
            cwd=root,
            env=full,
            stdout=log,
            stderr=log,
        )
        try:
            asyncio.run(_ping_until_served(port, "/chat", proc))
        finally:
            stop(proc)
        assert "Traceback" not in read_log(log)
