"""The WebSocket endpoint: ``/ws/{room}``, on a router that brings its lifespan.

Include ``router`` in your app (``app.include_router(router)``): FastAPI runs the
router's lifespan with the app's, which opens the hub (settings from the environment,
the backplane started) before the app serves and closes it at shutdown.

Authentication happens before ``accept()``. A client presents the shared token
either as ``Authorization: Bearer <token>`` or, from a browser (which cannot set
headers), as the subprotocols ``["bearer", "<token>"]``; the server then accepts the
``bearer`` subprotocol. Never in the query string: URLs end up in access logs.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, WebSocket, status
from pydantic import ValidationError

from realtime.hub import Hub, open_hub
from realtime.messages import INBOUND, ErrorFrame, Ping, Pong, RoomMessage, describe
from realtime.settings import Settings, load_settings

ROOM_NAME = re.compile(r"[a-z0-9_-]{1,64}")
BEARER = "bearer"


def get_hub(websocket: WebSocket) -> Hub:
    hub: Hub | None = getattr(websocket.app.state, "hub", None)
    if hub is None:
        raise RuntimeError("the app was started without the router's lifespan")
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def presented_token(websocket: WebSocket) -> tuple[str, str | None]:
    """The token the client presents ("" if none) and the subprotocol to accept."""
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == BEARER and value.strip():
        return value.strip(), None
    offered = list(websocket.scope.get("subprotocols") or ())
    if len(offered) == 2 and offered[0] == BEARER:
        return str(offered[1]), BEARER
    return "", None


def token_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def room_socket(websocket: WebSocket, room: str, hub: HubDep) -> None:
    given, subprotocol = presented_token(websocket)
    if not (token_matches(given, hub.settings.token) and ROOM_NAME.fullmatch(room)):
        # Before accept(): the server answers the handshake with HTTP 403.
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept(subprotocol=subprotocol)
    hub.manager.connect(room, websocket)
    try:
        await _serve(websocket, room, hub)
    finally:
        hub.manager.disconnect(room, websocket)


async def _serve(websocket: WebSocket, room: str, hub: Hub) -> None:
    limit = hub.settings.max_message_bytes
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            return
        if not hub.manager.is_member(room, websocket):
            return  # dropped by a broadcast as dead or too slow
        text: str | None = frame.get("text")
        data: bytes = frame.get("bytes") or b""
        size = len(data) if text is None else len(text.encode())
        if size > limit:
            await websocket.close(
                code=status.WS_1009_MESSAGE_TOO_BIG,
                reason=f"frames are limited to {limit} bytes",
            )
            return
        if text is None:
            reply = ErrorFrame(detail="send JSON text frames, not binary ones")
            await hub.manager.send(websocket, reply.model_dump_json())
            continue
        try:
            inbound = INBOUND.validate_json(text)
        except ValidationError as exc:
            reply = ErrorFrame(detail=describe(exc))
            await hub.manager.send(websocket, reply.model_dump_json())
            continue
        if isinstance(inbound, Ping):
            await hub.manager.send(websocket, Pong().model_dump_json())
        else:
            message = RoomMessage(room=room, text=inbound.text)
            await hub.backplane.publish(room, message.model_dump_json())


def make_router(settings: Settings | None = None) -> APIRouter:
    """The endpoint on a router whose lifespan opens the hub into ``app.state.hub``;
    ``settings`` default to the environment, read when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_hub(settings or load_settings()) as hub:
            app.state.hub = hub
            yield

    router = APIRouter(lifespan=lifespan)
    router.add_api_websocket_route("/ws/{room}", room_socket)
    return router


router = make_router()
