"""Real-time rooms over WebSocket: ``/ws/{room}``.

WS_TOKEN is the shared secret (16+ characters).
Run: WS_TOKEN="$(openssl rand -hex 16)" uvicorn app:app --ws-max-size 65536
"""

from __future__ import annotations

from fastapi import FastAPI

from realtime.endpoint import make_router
from realtime.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; ``settings`` default to the environment, read when it starts (the
    router's lifespan opens the hub)."""
    app = FastAPI(title="Realtime rooms")
    app.include_router(make_router(settings))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
