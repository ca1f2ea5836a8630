"""The WebSocket endpoint: ``/ws/{room}``.

Authentication happens before ``accept()``. A client presents the shared token
either as ``Authorization: Bearer <token>`` or, from a browser (which cannot set
headers), as the subprotocols ``["bearer", "<token>"]``; the server then accepts the
``bearer`` subprotocol. Never in the query string: URLs end up in access logs.
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket, status
from pydantic import ValidationError

from .hub import Hub
from .messages import INBOUND, ErrorFrame, Ping, Pong, RoomMessage, describe

ROOM_NAME = re.compile(r"[a-z0-9_-]{1,64}")
BEARER = "bearer"

router = APIRouter()


def get_hub(websocket: WebSocket) -> Hub:
    hub = getattr(websocket.app.state, "hub", None)
    if not isinstance(hub, Hub):
        raise RuntimeError("the app was started without its lifespan")
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


@router.websocket("/ws/{room}")
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
