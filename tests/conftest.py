"""Shared fixtures: the real PostgreSQL and Redis the tests talk to.

A test that needs a service skips, saying why, when the service is not there; with CI=true it
fails instead, because CI must never go green by skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

# tests/fixtures/ holds data for the linter (its check/conftest.py is a fixture of BAP001, not
# a conftest of this suite): pytest never collects there.
collect_ignore = ["fixtures"]

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def service_missing(reason: str) -> None:
    """Skip (locally) or fail (with CI=true) a test whose service is not reachable."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
    pytest.skip(f"{reason}; see README 'Running the tests' to start it")


async def _ping_postgres(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
        timeout=3,
    )
    await conn.close()


@pytest.fixture(scope="session")
def database_url() -> str:
    """A SQLAlchemy async URL of a reachable PostgreSQL (``TEST_DATABASE_URL``)."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        asyncio.run(_ping_postgres(url))
    except Exception as exc:  # any failure to connect means the service is missing
        service_missing(f"PostgreSQL at {url} is not reachable ({type(exc).__name__}: {exc})")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis URL (``TEST_REDIS_URL``)."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except Exception as exc:  # any failure to connect means the service is missing
        service_missing(f"Redis at {url} is not reachable ({type(exc).__name__}: {exc})")
    finally:
        client.close()
    return url


def copy_pack(target: Path) -> Path:
    """A writable copy of the bundled pack (SKILL.md, triggers.yaml, patterns/) at ``target``."""
    from backend_patterns.pack import bundled_pack_dir

    root = Path(bundled_pack_dir())
    target.mkdir(parents=True)
    shutil.copy(root / "SKILL.md", target / "SKILL.md")
    shutil.copy(root / "triggers.yaml", target / "triggers.yaml")
    shutil.copytree(root / "patterns", target / "patterns")
    return target
