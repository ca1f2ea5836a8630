"""Which sockets are in which room (in this process), and sending to them safely."""

from __future__ import annotations

import asyncio
import logging

from fastapi import WebSocket, WebSocketDisconnect, status

logger = logging.getLogger(__name__)


class ConnectionManager:
    """Rooms of accepted sockets: added after ``accept()``, removed in ``finally``."""

    def __init__(self, send_timeout: float) -> None:
        self.send_timeout = send_timeout
        self._rooms: dict[str, set[WebSocket]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def connect(self, room: str, websocket: WebSocket) -> None:
        self._rooms.setdefault(room, set()).add(websocket)

    def disconnect(self, room: str, websocket: WebSocket) -> None:
        """Remove ``websocket`` from ``room``; drop the room once it is empty."""
        members = self._rooms.get(room)
        if members is None:
            return
        members.discard(websocket)
        if not members:
            del self._rooms[room]

    def is_member(self, room: str, websocket: WebSocket) -> bool:
        return websocket in self._rooms.get(room, ())

    def rooms(self) -> dict[str, int]:
        """Room name -> number of sockets, for this process."""
        return {room: len(members) for room, members in self._rooms.items()}

    async def send(self, websocket: WebSocket, text: str) -> bool:
        """Send one frame within the timeout; False if the socket is dead or slow."""
        try:
            async with asyncio.timeout(self.send_timeout):
                await websocket.send_text(text)
        except TimeoutError:
            logger.warning("a client took no frame for %.1fs", self.send_timeout)
            self._close_later(websocket)
            return False
        except (WebSocketDisconnect, RuntimeError, OSError):
            # Closed by the peer (WebSocketDisconnect) or already by us (RuntimeError).
            return False
        return True

    async def broadcast(self, room: str, text: str) -> int:
        """Send ``text`` to a snapshot of ``room``; drop the sockets that failed.

        Returns how many sockets got it. Sends run concurrently, so one slow client
        costs at most ``send_timeout``; the room may change while they run.
        """
        snapshot = list(self._rooms.get(room, ()))
        if not snapshot:
            return 0
        results = await asyncio.gather(*(self.send(ws, text) for ws in snapshot))
        for websocket, delivered in zip(snapshot, results, strict=True):
            if not delivered:
                self.disconnect(room, websocket)
        return sum(results)

    def _close_later(self, websocket: WebSocket) -> None:
        task = asyncio.create_task(self._close(websocket))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, websocket: WebSocket) -> None:
        try:
            async with asyncio.timeout(self.send_timeout):
                await websocket.close(status.WS_1008_POLICY_VIOLATION, "too slow")
        except (TimeoutError, WebSocketDisconnect, RuntimeError, OSError):
            pass  # its endpoint stops at its next frame: it is no longer a member
