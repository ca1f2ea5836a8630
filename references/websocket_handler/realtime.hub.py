"""What the endpoint needs at run time, opened and closed by the app's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from realtime.backplane import MemoryBackplane
from realtime.manager import ConnectionManager
from realtime.settings import Settings


@dataclass(frozen=True, slots=True)
class Hub:
    settings: Settings
    manager: ConnectionManager
    backplane: MemoryBackplane


@asynccontextmanager
async def open_hub(settings: Settings) -> AsyncIterator[Hub]:
    manager = ConnectionManager(send_timeout=settings.send_timeout)
    backplane = MemoryBackplane(manager)
    try:
        await backplane.start()
        yield Hub(settings=settings, manager=manager, backplane=backplane)
    finally:
        await backplane.stop()
