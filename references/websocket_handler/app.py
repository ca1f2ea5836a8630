"""Real-time rooms over WebSocket: ``/ws/{room}``.

Run: WS_TOKEN=<secret> uvicorn app:app --ws-max-size 65536
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from realtime.endpoint import router
from realtime.hub import open_hub
from realtime.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; ``settings`` default to the environment, read when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_hub(settings or load_settings()) as hub:
            app.state.hub = hub
            yield

    app = FastAPI(title="Realtime rooms", lifespan=lifespan)
    app.include_router(router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
