"""Fan-out within one process: publishing is broadcasting to the local rooms.

With several workers or hosts, render with backplane=redis instead.
"""

from __future__ import annotations

from realtime.manager import ConnectionManager


class MemoryBackplane:
    def __init__(self, manager: ConnectionManager) -> None:
        self._manager = manager

    async def start(self) -> None:
        """Nothing to start: the manager is the whole backplane."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def publish(self, room: str, text: str) -> None:
        await self._manager.broadcast(room, text)
